/* waits.c: waiting for a child without blocking, with a time limit, and
 * signalling it.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * subproc_try_wait and subproc_wait_for report 0 while the run goes on
 * and leave the child running; once the child has ended (and the I/O
 * thread of do_async_io has finished) they are subproc_wait.  The
 * children here run until the test closes their input, so that
 * "still running" never depends on timing; "ended" is polled for.
 * subproc_send_signal reaches the child (or its group) while it is not
 * reaped, and only then; Win32 maps what it can and refuses the rest.
 * The grace period of subproc_set_grace_period decides which signals
 * stop a child: seen through the backend's signal observer, never timed.
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
# include <errno.h>
# include <signal.h>
# include <sys/wait.h>
# include <unistd.h>
#endif
#include <signal.h>

#include "backend.h"
#include "common.h"
#include "subproc.h"


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
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_wait (cmd, &status), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
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
  test_assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);
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
  test_assert_error (cmd, SUBPROC_ERR_SIGNALED);
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
      test_assert_error (cmd, SUBPROC_ERR_TIMEOUT);
      /* Over: the misuse does not hide the run's error.  */
      ck_assert_int_eq (subproc_try_wait (cmd, &status), -1);
      test_assert_error (cmd, SUBPROC_ERR_TIMEOUT);
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
  test_assert_error (cmd, SUBPROC_ERR_STATE);
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
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_wait_for (cmd, 10, &status), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
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

/* ------------------------------------------------------------------ */
/* Signals.  */

#ifndef _WIN32
START_TEST (test_signal_reaches_child)
{
  char line[64];
  int out = -1, status = -1;
  subproc_t *cmd = test_helper_on (_i, "await-usr1", NULL);
  subproc_set_output_fd (cmd, &out);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  test_read_line (out, line, sizeof line);
  ck_assert_str_eq (line, "ready\n");
  ck_assert_int_eq (subproc_send_signal (cmd, 0), 0);
  ck_assert_int_eq (subproc_send_signal (cmd, SIGUSR1), 0);
  test_read_line (out, line, sizeof line);
  ck_assert_str_eq (line, "usr1\n");
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  test_close (out);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_signal_term_ends_child)
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
      subproc_raw_status (cmd);
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), 0);
      ck_assert_int_eq (subproc_wait (cmd, &status), 0);
      ck_assert (WIFSIGNALED (status));
      ck_assert_int_eq (WTERMSIG (status), SIGTERM);
      /* Reaped: nothing to signal.  */
      ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), -1);
      test_assert_error (cmd, SUBPROC_ERR_STATE);
      free (out);
      out = NULL;
      subproc_free (cmd);
      test_close (in[1]);
      test_close (in[0]);
    }
}
END_TEST

/* With a process group the signal reaches the grandchildren too.  */
START_TEST (test_signal_group)
{
  char line[64];
  int out = -1, status = -1;
  subproc_t *cmd = test_helper_on (_i, "tree", "1", NULL);
  subproc_new_process_group (cmd);
  subproc_set_output_fd (cmd, &out);
  subproc_raw_status (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  test_read_line (out, line, sizeof line);
  long grandchild = strtol (line, NULL, 10);
  ck_assert_int_gt (grandchild, 0);
  ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert (WIFSIGNALED (status));
  ck_assert_int_eq (WTERMSIG (status), SIGTERM);
  bool ended = test_pid_ends_within (grandchild, 60000);
  if (!ended)
    test_kill_pid (grandchild);
  ck_assert_msg (ended, "the grandchild did not get the signal");
  test_close (out);
  subproc_free (cmd);
}
END_TEST

/* An ended child that is not reaped yet gets the signal harmlessly; one
   reaped elsewhere does not get it.  */
START_TEST (test_signal_zombie_and_reaped)
{
  int status = -1;
  pid_t pid = 0;
  siginfo_t info;
  subproc_t *cmd = test_helper_on (_i, "exit", "3", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  memset (&info, 0, sizeof info);
  ck_assert_int_eq (waitid (P_PID, (id_t) pid, &info, WEXITED | WNOWAIT),
                    0);
  ck_assert_int_eq (subproc_send_signal (cmd, SIGUSR1), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 3);

  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  ck_assert_int_eq (subproc_pid_wait (pid, &status, false), 0);
  ck_assert_int_eq (status, 3);
  ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 3);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_signal_invalid)
{
  int in[2], status = -1;
  subproc_t *cmd = held_child (_i, in);
  subproc_new_process_group (cmd);
  subproc_raw_status (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_send_signal (cmd, -1), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_send_signal (cmd, 100000), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  /* Still running, still signalled through the group.  */
  ck_assert_int_eq (subproc_try_wait (cmd, &status), 0);
  ck_assert_int_eq (subproc_send_signal (cmd, SIGKILL), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert (WIFSIGNALED (status));
  ck_assert_int_eq (WTERMSIG (status), SIGKILL);
  subproc_free (cmd);
  test_close (in[1]);
  test_close (in[0]);
}
END_TEST
#else
/* Win32: SIGTERM and SIGKILL (9) terminate the job, nothing else is
   offered.  */
START_TEST (test_signal_win32_mapping)
{
  static const int ends[] = { SIGTERM, 9 };
  int in[2], status = -1;
  for (size_t k = 0; k < 2; k++)
    {
      subproc_t *cmd = held_child (_i, in);
      subproc_raw_status (cmd);
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      ck_assert_int_eq (subproc_send_signal (cmd, 0), 0);
      ck_assert_int_eq (subproc_send_signal (cmd, SIGINT), -1);
      test_assert_error (cmd, SUBPROC_ERR_UNSUPPORTED);
      ck_assert_int_eq (subproc_send_signal (cmd, SIGBREAK), -1);
      test_assert_error (cmd, SUBPROC_ERR_UNSUPPORTED);
      ck_assert_int_eq (subproc_try_wait (cmd, &status), 0);
      ck_assert_int_eq (subproc_send_signal (cmd, ends[k]), 0);
      ck_assert_int_eq (subproc_wait (cmd, &status), 0);
      ck_assert_uint_eq ((unsigned int) status, 0xC000013AU);
      subproc_free (cmd);
      test_close (in[1]);
      test_close (in[0]);
    }
}
END_TEST
#endif

/* ------------------------------------------------------------------ */
/* The grace period.  */

/* Stop observing the signals sent (test_observe_begin); assert that
   SIG, and only SIG, was sent (more than once when the I/O thread
   stopped the child and the caller's side stopped it again, an unreaped
   zombie by then).  */
static void
observe_only (int sig)
{
  int n = test_observe_end ();
  ck_assert_int_ge (n, 1);
  ck_assert_int_le (n, TEST_OBSERVED_MAX);
  for (int i = 0; i < n; i++)
    ck_assert_int_eq (test_observed (i), sig);
}

#ifndef _WIN32
/* Grace 0: killed at once, for abort, the timeout, the output limit and
   free, even a child that would end on SIGTERM.  */
START_TEST (test_grace_zero)
{
  int in[2], status = -1;
  char *out = NULL;
  for (int how = 0; how < 4; how++)
    {
      subproc_t *cmd;
      if (how == 2)
        {
          cmd = test_helper_on (_i, "write-then-sleep", "100", NULL);
          subproc_set_output_buffer (cmd, &out);
          subproc_set_max_output (cmd, 10);
        }
      else
        cmd = held_child (_i, in);
      subproc_set_grace_period (cmd, 0);
      if (how == 1)
        {
          subproc_set_output_buffer (cmd, &out);
          subproc_do_async_io (cmd);
          subproc_set_timeout (cmd, 30);
        }
      test_observe_begin ();
      if (how == 2)
        {
          ck_assert_int_eq (subproc_run (cmd, &status), -1);
          test_assert_error (cmd, SUBPROC_ERR_IO);
        }
      else
        ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      if (how == 0)
        subproc_abort (cmd);
      else if (how == 1)
        {
          ck_assert_int_eq (subproc_wait (cmd, &status), -1);
          test_assert_error (cmd, SUBPROC_ERR_TIMEOUT);
        }
      else if (how == 3)
        subproc_free (cmd);
      observe_only (SIGKILL);
      free (out);
      out = NULL;
      if (how != 3)
        subproc_free (cmd);
      if (how != 2)
        {
          test_close (in[1]);
          test_close (in[0]);
        }
    }
}
END_TEST

/* A child that ignores SIGTERM, with grace 0: killed at once.  */
START_TEST (test_grace_zero_term_ignored)
{
  char line[64];
  int out = -1;
  subproc_t *cmd = test_helper_on (_i, "ignore-term", NULL);
  subproc_set_output_fd (cmd, &out);
  subproc_set_grace_period (cmd, 0);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  test_read_line (out, line, sizeof line);
  ck_assert_str_eq (line, "ready\n");
  test_observe_begin ();
  subproc_abort (cmd);
  observe_only (SIGKILL);
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  test_close (out);
  subproc_free (cmd);
}
END_TEST

/* A long grace period: a child that ends on SIGTERM gets no SIGKILL.  */
START_TEST (test_grace_long)
{
  int in[2], status = -1;
  for (int how = 0; how < 2; how++)
    {
      subproc_t *cmd = held_child (_i, in);
      subproc_set_grace_period (cmd, 600000);
      if (how == 1)
        subproc_set_timeout (cmd, 30);
      test_observe_begin ();
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      if (how == 0)
        subproc_abort (cmd);
      else
        {
          ck_assert_int_eq (subproc_wait (cmd, &status), -1);
          test_assert_error (cmd, SUBPROC_ERR_TIMEOUT);
        }
      observe_only (SIGTERM);
      subproc_free (cmd);
      test_close (in[1]);
      test_close (in[0]);
    }
}
END_TEST
#else
/* Win32: the job ends at once whatever the grace period.  */
START_TEST (test_grace_win32)
{
  int in[2], status = -1;
  static const unsigned int graces[] = { 0, 600000 };
  for (size_t k = 0; k < 2; k++)
    {
      subproc_t *cmd = held_child (_i, in);
      subproc_set_grace_period (cmd, graces[k]);
      subproc_raw_status (cmd);
      test_observe_begin ();
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), 0);
      ck_assert_int_eq (subproc_wait (cmd, &status), 0);
      ck_assert_uint_eq ((unsigned int) status, 0xC000013AU);
      observe_only (0);
      subproc_free (cmd);
      test_close (in[1]);
      test_close (in[0]);
    }
}
END_TEST
#endif

START_TEST (test_signal_state_errors)
{
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  test_run_ok (cmd);
  ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  subproc_free (cmd);
  ck_assert_int_eq (subproc_send_signal (NULL, SIGTERM), -1);

  /* A dry run: nothing to signal, and nothing fails.  */
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  cmd = subproc_new ("prog");
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);
  free (subproc_dry_run_end ());
}
END_TEST


#ifndef _WIN32
/* Without a pollable handle (as on a system that has none), the end of
   the child is asked for: the watches say how soon to ask again, and
   subproc_poll still notices it.  */
START_TEST (test_poll_without_handle)
{
  int in[2], status = -1, timeout = -2;
  char *out = NULL;
  subproc_handle_t handle;
  subproc_watch_t w[8];
  size_t ended = 99;

  sp_backend_test_no_handle = true;
  subproc_t *cmd = held_child (_i, in);
  subproc_set_output_buffer (cmd, &out);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_get_handle (cmd, &handle), -1);
  test_assert_error (cmd, SUBPROC_ERR_UNSUPPORTED);
  /* Its output can be watched, its end cannot.  */
  ck_assert_int_eq (subproc_get_watches (cmd, w, 8, &timeout), 1);
  ck_assert_int_eq (w[0].events, SUBPROC_WATCH_READ);
  ck_assert_int_gt (timeout, 0);
  ck_assert_int_eq (subproc_poll (&cmd, 1, 0, &ended), 0);
  ck_assert_uint_eq (ended, 99);
  test_close (in[1]);
  ck_assert_int_eq (subproc_poll (&cmd, 1, -1, &ended), 1);
  ck_assert_uint_eq (ended, 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_str_eq (out, "0\n");
  free (out);

  /* Nothing captured: nothing to watch, only a time to ask again.  */
  test_close (in[0]);
  ck_assert_int_eq (pipe (in), 0);
  subproc_t *bare = test_helper_on (_i, "consume", NULL);
  subproc_set_input_fd (bare, in[0]);
  ck_assert_int_eq (subproc_run_async (bare, NULL), 0);
  timeout = -2;
  ck_assert_int_eq (subproc_get_watches (bare, w, 8, &timeout), 0);
  ck_assert_int_gt (timeout, 0);
  test_close (in[1]);
  ck_assert_int_eq (subproc_poll (&bare, 1, -1, &ended), 1);
  ck_assert_int_eq (subproc_wait (bare, &status), 0);
  ck_assert_int_eq (subproc_get_watches (bare, w, 8, &timeout), -1);
  test_assert_error (bare, SUBPROC_ERR_STATE);
  sp_backend_test_no_handle = false;
  subproc_free (bare);
  subproc_free (cmd);
  test_close (in[0]);
}
END_TEST
#endif

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
#ifndef _WIN32
  BOTH_PATHS (s, signal_reaches_child);
  BOTH_PATHS (s, signal_term_ends_child);
  BOTH_PATHS (s, signal_group);
  BOTH_PATHS (s, signal_zombie_and_reaped);
  BOTH_PATHS (s, signal_invalid);
#else
  BOTH_PATHS (s, signal_win32_mapping);
#endif
  TEST_CASE (s, signal_state_errors);
#ifndef _WIN32
  BOTH_PATHS (s, grace_zero);
  BOTH_PATHS (s, grace_zero_term_ignored);
  BOTH_PATHS (s, grace_long);
  BOTH_PATHS (s, poll_without_handle);
#else
  BOTH_PATHS (s, grace_win32);
#endif
  return s;
}

MAIN_SUITE (make_suite)
