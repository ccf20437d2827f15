/* waits.c: waiting for a child without blocking, and with a time limit.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * subproc_try_wait and subproc_wait_for report 0 while the run goes on
 * and leave the child running; once the child has ended (and the I/O
 * thread of do_async_io has finished) they are subproc_wait.  The
 * children here run until the test closes their input, so that
 * "still running" never depends on timing; "ended" is polled for.
 * Loop 0 of each test takes the fast path, loop 1 the fork path.
 */

#include <config.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
# include <fcntl.h>
# include <io.h>
# define pipe(fds) _pipe ((fds), 65536, _O_BINARY | _O_NOINHERIT)
#else
# include <signal.h>
# include <sys/wait.h>
# include <unistd.h>
#endif

#include "common.h"
#include "subproc.h"

static void
assert_error (subproc_t *cmd, int code)
{
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_ptr_nonnull (err);
  ck_assert_int_eq (err->code, code);
}

/* subproc_try_wait until the run is over; its result.  */
static int
try_wait_until_over (subproc_t *cmd, int *status)
{
  int r;
  while ((r = subproc_try_wait (cmd, status)) == 0)
    test_sleep_ms (5);
  return r;
}

/* A child that runs until the write end *IN of its input is closed.  */
static subproc_t *
held_child (int path, int in[2])
{
  ck_assert_int_eq (pipe (in), 0);
  subproc_t *cmd = test_helper_on (path, "consume", NULL);
  subproc_set_input_fd (cmd, in[0]);
  return cmd;
}

/* ------------------------------------------------------------------ */

START_TEST (test_try_wait_running_then_ended)
{
  int in[2], status = -1;
  char *out = NULL;
  subproc_t *cmd = held_child (_i, in);
  subproc_set_output_buffer (cmd, &out);
  subproc_do_async_io (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  /* Running: nothing changes, again and again.  */
  for (int k = 0; k < 3; k++)
    {
      ck_assert_int_eq (subproc_try_wait (cmd, &status), 0);
      ck_assert_int_eq (status, -1);
      ck_assert_ptr_null (out);
    }
  ck_assert_int_eq (subproc_wait_for (cmd, 20, &status), 0);
  ck_assert_int_eq (status, -1);
  test_close (in[1]);
  /* Over: reaped, the buffer handed over, as after subproc_wait.  */
  ck_assert_int_eq (try_wait_until_over (cmd, &status), 1);
  ck_assert_int_eq (status, 0);
  ck_assert_str_eq (out, "0\n");
  free (out);
  ck_assert_int_eq (subproc_try_wait (cmd, &status), -1);
  assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_wait (cmd, &status), -1);
  assert_error (cmd, SUBPROC_ERR_STATE);
  subproc_free (cmd);
  test_close (in[0]);
}
END_TEST

START_TEST (test_try_wait_without_async_io)
{
  int in[2], status = -1;
  subproc_t *cmd = held_child (_i, in);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_try_wait (cmd, &status), 0);
  ck_assert_int_eq (subproc_wait_for (cmd, 10, &status), 0);
  test_close (in[1]);
  ck_assert_int_eq (try_wait_until_over (cmd, &status), 1);
  ck_assert_int_eq (status, 0);
  subproc_free (cmd);
  test_close (in[0]);
}
END_TEST

START_TEST (test_exit_codes)
{
  int status = -1;
  subproc_t *cmd = test_helper_on (_i, "exit", "7", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (try_wait_until_over (cmd, &status), 1);
  ck_assert_int_eq (status, 7);
  /* Without STATUS a non-zero exit is an error, as with subproc_wait.  */
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (try_wait_until_over (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);
  /* A wait without a limit.  */
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait_for (cmd, -1, &status), 1);
  ck_assert_int_eq (status, 7);
  subproc_free (cmd);
}
END_TEST

#ifndef _WIN32
START_TEST (test_signaled)
{
  int status = -1;
  subproc_t *cmd = test_helper_on (_i, "signal", "TERM", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (try_wait_until_over (cmd, &status), -1);
  assert_error (cmd, SUBPROC_ERR_SIGNALED);
  subproc_raw_status (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (try_wait_until_over (cmd, &status), 1);
  ck_assert (WIFSIGNALED (status));
  ck_assert_int_eq (WTERMSIG (status), SIGTERM);
  subproc_free (cmd);
}
END_TEST
#endif

/* A limited wait that expires leaves the child running; the next wait
   gets it.  */
START_TEST (test_wait_for_expires_then_wait)
{
  int in[2], status = -1;
  char *out = NULL;
  for (int async = 0; async < 2; async++)
    {
      subproc_t *cmd = held_child (_i, in);
      if (async)
        {
          subproc_set_output_buffer (cmd, &out);
          subproc_do_async_io (cmd);
        }
      pid_t pid = 0;
      ck_assert_int_eq (subproc_run_async (cmd, async ? NULL : &pid), 0);
      ck_assert_int_eq (subproc_wait_for (cmd, 30, &status), 0);
      ck_assert_int_eq (subproc_wait_for (cmd, 0, &status), 0);
      test_close (in[1]);
      ck_assert_int_eq (subproc_wait (cmd, &status), 0);
      ck_assert_int_eq (status, 0);
      if (async)
        {
          ck_assert_str_eq (out, "0\n");
          free (out);
          out = NULL;
        }
      subproc_free (cmd);
      test_close (in[0]);
    }
}
END_TEST

/* The deadline of subproc_set_timeout comes first: applied as in
   subproc_wait.  */
START_TEST (test_timeout_first)
{
  int in[2], status = -1;
  char *out = NULL;
  for (int async = 0; async < 2; async++)
    {
      subproc_t *cmd = held_child (_i, in);
      if (async)
        {
          subproc_set_output_buffer (cmd, &out);
          subproc_do_async_io (cmd);
        }
      subproc_set_timeout (cmd, 50);
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      ck_assert_int_eq (subproc_wait_for (cmd, 600000, &status), -1);
      assert_error (cmd, SUBPROC_ERR_TIMEOUT);
      /* Over: the misuse does not hide the run's error.  */
      ck_assert_int_eq (subproc_try_wait (cmd, &status), -1);
      assert_error (cmd, SUBPROC_ERR_TIMEOUT);
      free (out);
      out = NULL;
      test_close (in[1]);
      subproc_free (cmd);
      test_close (in[0]);
    }
}
END_TEST

/* Once try_wait has reaped the child the command runs again.  */
START_TEST (test_rerun_after_try_wait)
{
  char *out = NULL;
  int status = -1;
  subproc_t *cmd = test_helper_on (_i, "print", "hello", NULL);
  subproc_set_output_buffer (cmd, &out);
  subproc_do_async_io (cmd);
  for (int k = 0; k < 3; k++)
    {
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      ck_assert_int_eq (try_wait_until_over (cmd, &status), 1);
      ck_assert_int_eq (status, 0);
      ck_assert_str_eq (out, "hello");
      free (out);
      out = NULL;
    }
  ck_assert_int_eq (subproc_run (cmd, &status), 0);
  ck_assert_str_eq (out, "hello");
  free (out);
  subproc_free (cmd);
}
END_TEST

/* Freeing a command whose wait expired stops and reaps the child.  */
START_TEST (test_free_after_expired_wait)
{
  int in[2], status = -1;
  subproc_t *cmd = held_child (_i, in);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait_for (cmd, 5, &status), 0);
  subproc_abort (cmd);
  ck_assert_int_eq (subproc_try_wait (cmd, &status), -1);
  assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_try_wait (cmd, &status), 0);
  subproc_free (cmd);
  test_close (in[1]);
  test_close (in[0]);
}
END_TEST

START_TEST (test_state_errors)
{
  int status = -1;
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  ck_assert_int_eq (subproc_try_wait (cmd, &status), -1);
  assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_wait_for (cmd, 10, &status), -1);
  assert_error (cmd, SUBPROC_ERR_STATE);
  subproc_free (cmd);
  ck_assert_int_eq (subproc_try_wait (NULL, &status), -1);
  ck_assert_int_eq (subproc_wait_for (NULL, 10, &status), -1);
  ck_assert_int_eq (status, -1);
}
END_TEST

/* A dry run is over at once.  */
START_TEST (test_dry_run)
{
  int status = -1;
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  subproc_t *cmd = subproc_new ("prog");
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_try_wait (cmd, &status), 1);
  ck_assert_int_eq (status, 0);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait_for (cmd, 0, &status), 1);
  subproc_free (cmd);
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "prog\nprog\n");
  free (log);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("waits");
  BOTH_PATHS (s, try_wait_running_then_ended);
  BOTH_PATHS (s, try_wait_without_async_io);
  BOTH_PATHS (s, exit_codes);
#ifndef _WIN32
  BOTH_PATHS (s, signaled);
#endif
  BOTH_PATHS (s, wait_for_expires_then_wait);
  BOTH_PATHS (s, timeout_first);
  BOTH_PATHS (s, rerun_after_try_wait);
  BOTH_PATHS (s, free_after_expired_wait);
  TEST_CASE (s, state_errors);
  TEST_CASE (s, dry_run);
  return s;
}

MAIN_SUITE (make_suite)
