/* race.c: the caller's calls against the library's I/O thread.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * With subproc_do_async_io, buffers and a timeout, the library's I/O
 * thread notices the deadline (or the output limit) on its own and stops
 * the child, while the caller's thread may be inside any call that uses
 * the same child: subproc_wait, subproc_abort, subproc_free, the
 * handshake calls, subproc_pid_wait and subproc_pid_abort on the pid
 * subproc_run_async returned.  Each test makes one of those calls again
 * and again, at delays that sweep across the deadline, so that some
 * rounds land while the thread is stopping the child.  The child has one
 * owner (the caller's side of the command): the thread only signals it,
 * and never reaps or frees what the caller is using.  A broken version
 * shows here as a crash, a memory error (ASan, valgrind), a data race
 * (ThreadSanitizer), a status reported as lost, or a call that finds no
 * child.
 */

#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
# include <windows.h>
#else
# include <signal.h>
# include <sys/wait.h>
# include <time.h>
# include <unistd.h>
#endif

#include "common.h"
#include "subproc.h"

/* The time limit of every command, and the rounds of each test: the
   delay of round R is TIMEOUT_MS / 2 + R % TIMEOUT_MS milliseconds, so
   the rounds sweep from half the limit to one and a half times it.  */
#define TIMEOUT_MS 20

static int
rounds (void)
{
  return test_under_valgrind () ? 10 : 2 * TIMEOUT_MS;
}

static unsigned int
delay_ms (int round)
{
  return TIMEOUT_MS / 2 + (unsigned int) (round % TIMEOUT_MS);
}

/* A child that never ends by itself, with an input it never reads, its
   output and error output captured by the library's thread, and the
   time limit.  */
static subproc_t *
racer (const char *sub, char **out, char **err)
{
  subproc_t *cmd = test_helper_cmd (sub, NULL);
  subproc_set_input_buffer (cmd, "never read\n");
  subproc_set_output_buffer (cmd, out);
  subproc_set_error_buffer (cmd, err);
  subproc_do_async_io (cmd);
  subproc_set_timeout (cmd, TIMEOUT_MS);
  return cmd;
}

static void
start (subproc_t *cmd, pid_t *pid)
{
  ck_assert_msg (subproc_run_async (cmd, pid) == 0, "run_async: %s",
                 subproc_get_error (cmd)->message);
}

/* CMD's call failed with one of the codes A or B.  */
static void
assert_failed (subproc_t *cmd, int r, const char *what, int a, int b)
{
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_msg (r == -1, "%s succeeded", what);
  ck_assert_msg (e->code == a || e->code == b, "%s: %s (%s, errno %d)",
                 what, e->message, subproc_error_name (e->code),
                 e->sys_errno);
}

/* subproc_handshake_wait on a child that the deadline may already have
   stopped (a slow machine, valgrind): true when it is ready.  */
static bool
ready (subproc_t *cmd)
{
  int r = subproc_handshake_wait (cmd);
  if (r != 0)
    assert_failed (cmd, r, "handshake_wait", SUBPROC_ERR_SPAWN,
                   SUBPROC_ERR_SPAWN);
  return r == 0;
}

/* The end of every round: the buffers were handed over.  */
static void
finish (subproc_t *cmd, char **out, char **err)
{
  subproc_free (cmd);
  ck_assert_ptr_nonnull (*out);
  ck_assert_ptr_nonnull (*err);
  free (*out);
  free (*err);
}

#ifndef _WIN32
/* A pre-exec hook that keeps the child from being ready for twice the
   time limit: subproc_handshake_wait blocks across the deadline.  */
static int
slow_to_be_ready (void *opaque)
{
  (void) opaque;
  struct timespec ts = { 0, 2L * TIMEOUT_MS * 1000000L };
  nanosleep (&ts, NULL);
  return 0;
}
#endif

/* subproc_wait at the deadline.  */
START_TEST (test_wait)
{
  for (int r = 0; r < rounds (); r++)
    {
      char *out = NULL, *err = NULL;
      subproc_t *cmd = racer ("sleep-forever", &out, &err);
      start (cmd, NULL);
      test_sleep_ms (delay_ms (r));
      assert_failed (cmd, subproc_wait (cmd, NULL), "wait",
                     SUBPROC_ERR_TIMEOUT, SUBPROC_ERR_TIMEOUT);
      finish (cmd, &out, &err);
    }
}
END_TEST

/* subproc_wait at the deadline while the handshake holds the child: the
   wait lets it go (it fails before the exec), or the deadline came
   first.  */
START_TEST (test_wait_held)
{
  for (int r = 0; r < rounds (); r++)
    {
      char *out = NULL, *err = NULL;
      subproc_t *cmd = racer ("sleep-forever", &out, &err);
      subproc_require_handshake (cmd);
      start (cmd, NULL);
      if (ready (cmd))
        {
          test_sleep_ms (delay_ms (r));
          assert_failed (cmd, subproc_wait (cmd, NULL), "wait",
                         SUBPROC_ERR_SPAWN, SUBPROC_ERR_TIMEOUT);
        }
      finish (cmd, &out, &err);
    }
}
END_TEST

START_TEST (test_abort)
{
  for (int r = 0; r < rounds (); r++)
    {
      char *out = NULL, *err = NULL;
      subproc_t *cmd = racer ("sleep-forever", &out, &err);
      start (cmd, NULL);
      test_sleep_ms (delay_ms (r));
      subproc_abort (cmd);
      finish (cmd, &out, &err);
    }
}
END_TEST

START_TEST (test_free)
{
  for (int r = 0; r < rounds (); r++)
    {
      char *out = NULL, *err = NULL;
      subproc_t *cmd = racer ("sleep-forever", &out, &err);
      start (cmd, NULL);
      test_sleep_ms (delay_ms (r));
      finish (cmd, &out, &err);
    }
}
END_TEST

/* subproc_handshake_wait at the deadline.  On POSIX a pre-exec hook
   keeps the child from being ready until after it, so that the call is
   blocked when the thread stops the child.  */
START_TEST (test_handshake_wait)
{
  for (int r = 0; r < rounds (); r++)
    {
      char *out = NULL, *err = NULL;
      subproc_t *cmd = racer ("sleep-forever", &out, &err);
      subproc_require_handshake (cmd);
#ifdef _WIN32
      start (cmd, NULL);
      test_sleep_ms (delay_ms (r));
#else
      subproc_set_pre_exec_hook (cmd, slow_to_be_ready, NULL);
      start (cmd, NULL);
#endif
      if (ready (cmd))
        {
          subproc_handshake_notify (cmd);
          assert_failed (cmd, subproc_wait (cmd, NULL), "wait",
                         SUBPROC_ERR_TIMEOUT, SUBPROC_ERR_SPAWN);
        }
      finish (cmd, &out, &err);
    }
}
END_TEST

/* subproc_handshake_notify at the deadline: the program runs and is
   stopped at the deadline, or the child was stopped first.  */
START_TEST (test_handshake_notify)
{
  for (int r = 0; r < rounds (); r++)
    {
      char *out = NULL, *err = NULL;
      subproc_t *cmd = racer ("sleep-forever", &out, &err);
      subproc_require_handshake (cmd);
      start (cmd, NULL);
      if (ready (cmd))
        {
          test_sleep_ms (delay_ms (r));
          int ret = subproc_handshake_notify (cmd);
          if (ret != 0)
            assert_failed (cmd, ret, "handshake_notify", SUBPROC_ERR_SPAWN,
                           SUBPROC_ERR_SPAWN);
          else
            assert_failed (cmd, subproc_wait (cmd, NULL), "wait",
                           SUBPROC_ERR_TIMEOUT, SUBPROC_ERR_TIMEOUT);
        }
      finish (cmd, &out, &err);
    }
}
END_TEST

/* The status subproc_pid_wait reports for a child the library stopped:
   SIGTERM, or the exit code of a terminated job.  */
static void
assert_stopped (int status)
{
#ifdef _WIN32
  ck_assert_uint_eq ((unsigned int) status, 0xC000013Au);
#else
  ck_assert_msg (WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM,
                 "status %#x", (unsigned int) status);
#endif
}

/* subproc_pid_wait from the start: it is blocked when the thread stops
   the child, and must get its status.  */
START_TEST (test_pid_wait)
{
  for (int r = 0; r < rounds (); r++)
    {
      char *out = NULL, *err = NULL;
      pid_t pid = -1;
      int status = -1;
      subproc_t *cmd = racer ("sleep-forever", &out, &err);
      start (cmd, &pid);
      ck_assert_msg (subproc_pid_wait (pid, &status, true) == 0,
                     "pid_wait: %s", subproc_last_error ()->message);
      assert_stopped (status);
      assert_failed (cmd, subproc_wait (cmd, NULL), "wait",
                     SUBPROC_ERR_TIMEOUT, SUBPROC_ERR_TIMEOUT);
      finish (cmd, &out, &err);
    }
}
END_TEST

/* subproc_pid_abort at the deadline: the command still reports what
   happened to its child (stopped by the abort, or at the deadline), never
   that its status was lost.  */
START_TEST (test_pid_abort)
{
  for (int r = 0; r < rounds (); r++)
    {
      char *out = NULL, *err = NULL;
      pid_t pid = -1;
      subproc_t *cmd = racer ("sleep-forever", &out, &err);
      start (cmd, &pid);
      test_sleep_ms (delay_ms (r));
      subproc_pid_abort (pid);
      assert_failed (cmd, subproc_wait (cmd, NULL), "wait",
                     SUBPROC_ERR_TIMEOUT, SUBPROC_ERR_SIGNALED);
      finish (cmd, &out, &err);
    }
}
END_TEST

/* The output limit stops the child as the deadline does, at once.  */
START_TEST (test_max_output_pid_wait)
{
  for (int r = 0; r < rounds (); r++)
    {
      char *out = NULL, *err = NULL;
      pid_t pid = -1;
      int status = -1;
      subproc_t *cmd = racer ("write-forever", &out, &err);
      /* The limit alone stops it.  */
      subproc_set_timeout (cmd, 0);
      subproc_set_max_output (cmd, 1000);
      start (cmd, &pid);
      /* The child may see its output closed and exit before the signal
         comes: any status will do, but it must be there.  */
      ck_assert_msg (subproc_pid_wait (pid, &status, true) == 0,
                     "pid_wait: %s", subproc_last_error ()->message);
      assert_failed (cmd, subproc_wait (cmd, NULL), "wait", SUBPROC_ERR_IO,
                     SUBPROC_ERR_IO);
      ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, EFBIG);
      finish (cmd, &out, &err);
    }
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("race");
  TEST_CASE (s, wait);
  TEST_CASE (s, wait_held);
  TEST_CASE (s, abort);
  TEST_CASE (s, free);
  TEST_CASE (s, handshake_wait);
  TEST_CASE (s, handshake_notify);
  TEST_CASE (s, pid_wait);
  TEST_CASE (s, pid_abort);
  TEST_CASE (s, max_output_pid_wait);
  return s;
}

MAIN_SUITE (make_suite)
