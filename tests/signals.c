/* signals.c: the caller's signal dispositions, and a signal storm.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The same workload (a status, buffers both ways, a send buffer, input
 * the child never reads, asynchronous runs with and without the I/O
 * thread, a timeout, an abort, a pid handed to the caller) runs with
 * SIGCHLD handled (without SA_RESTART, so that every blocking call can
 * be interrupted), ignored (the kernel reaps the children itself),
 * blocked, and with SIGALRM arriving every millisecond; SIGPIPE stays at
 * its default disposition throughout, so a write to a child that is gone
 * would kill the test.  Results must be right, and no call may fail with
 * EINTR.  Each test runs on both spawn paths, with the descriptor and
 * child accounting of common.h.  POSIX only.
 */

#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include "common.h"

static volatile sig_atomic_t sigchld_count;
static volatile sig_atomic_t sigalrm_count;

static void
on_sigchld (int sig)
{
  (void) sig;
  sigchld_count++;
}

static void
on_sigalrm (int sig)
{
  (void) sig;
  sigalrm_count++;
}

/* Install HANDLER for SIG without SA_RESTART.  */
static void
catch_signal (int sig, void (*handler) (int))
{
  struct sigaction sa;

  memset (&sa, 0, sizeof sa);
  sa.sa_handler = handler;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = 0;
  ck_assert_int_eq (sigaction (sig, &sa, NULL), 0);
}

/* Fail with CMD's error (its errno shows an EINTR that got through).  */
static void
assert_ok (subproc_t *cmd, int r, const char *what)
{
  const subproc_error_t *e = subproc_get_error (cmd);

  ck_assert_msg (r == 0, "%s: %s (errno %d)", what,
                 e ? e->message : "no error", e ? e->sys_errno : 0);
}

/* How the test process treats SIGCHLD: the status of a child is lost
   when the kernel reaps it.  */
enum mode
{
  MODE_STATUS,   /* statuses are reported */
  MODE_REAPED    /* SIGCHLD ignored: statuses are lost (ECHILD) */
};

/* A run that needs the status: right in MODE_STATUS; in MODE_REAPED the
   documented SUBPROC_ERR_SYSTEM with ECHILD, after the child ended.  */
static void
assert_status_run (subproc_t *cmd, int r, enum mode mode, const char *what)
{
  if (mode == MODE_STATUS)
    assert_ok (cmd, r, what);
  else
    {
      ck_assert_msg (r == -1, "%s: succeeded with the status lost", what);
      ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SYSTEM);
      ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, ECHILD);
    }
}

#define BIG (512 * 1024)

static void
workload (int path, enum mode mode)
{
  subproc_t *cmd;
  char *out = NULL, *err = NULL, *input, num[32];
  int status = -1, r, fd;
  pid_t pid;

  input = malloc (BIG + 1);
  ck_assert_ptr_nonnull (input);
  for (int i = 0; i < BIG; i++)
    input[i] = (char) ('a' + i % 26);
  input[BIG] = '\0';

  /* An exit status.  */
  cmd = test_helper_on (path, "exit", "7", NULL);
  r = subproc_run (cmd, &status);
  assert_status_run (cmd, r, mode, "exit 7");
  if (mode == MODE_STATUS)
    ck_assert_int_eq (status, 7);
  subproc_free (cmd);

  /* Half a megabyte through the child and back, and some to stderr.  */
  cmd = test_helper_on (path, "echo-and-err", "100000", NULL);
  subproc_set_input_buffer (cmd, input);
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);
  r = subproc_run (cmd, NULL);
  assert_status_run (cmd, r, mode, "echo-and-err");
  ck_assert_str_eq (out, input);
  ck_assert_uint_eq (strlen (err), 100000);
  subproc_free (cmd);
  free (out);
  free (err);
  out = err = NULL;

  /* A send buffer.  */
  cmd = test_helper_on (path, "fd-read", NULL);
  fd = subproc_set_send_buffer (cmd, input, 100000);
  snprintf (num, sizeof num, "%d", fd);
  subproc_add_arg (cmd, num);
  subproc_set_output_buffer (cmd, &out);
  r = subproc_run (cmd, NULL);
  assert_status_run (cmd, r, mode, "fd-read");
  ck_assert_uint_eq (strlen (out), 100000);
  ck_assert (memcmp (out, input, 100000) == 0);
  subproc_free (cmd);
  free (out);
  out = NULL;

  /* Input the child never reads: dropped, no SIGPIPE.  */
  cmd = test_helper_on (path, "exit", "0", NULL);
  subproc_set_input_buffer (cmd, input);
  r = subproc_run (cmd, NULL);
  assert_status_run (cmd, r, mode, "unread input");
  subproc_free (cmd);

  /* Asynchronous, with the I/O on the library's thread.  */
  cmd = test_helper_on (path, "echo", NULL);
  subproc_set_input_buffer (cmd, "async\n");
  subproc_set_output_buffer (cmd, &out);
  subproc_do_async_io (cmd);
  assert_ok (cmd, subproc_run_async (cmd, NULL), "run_async");
  r = subproc_wait (cmd, NULL);
  assert_status_run (cmd, r, mode, "async echo");
  ck_assert_str_eq (out, "async\n");
  subproc_free (cmd);
  free (out);
  out = NULL;

  /* Asynchronous, a child that takes a while.  */
  cmd = test_helper_on (path, "sleep", "30", NULL);
  assert_ok (cmd, subproc_run_async (cmd, NULL), "run_async");
  r = subproc_wait (cmd, &status);
  assert_status_run (cmd, r, mode, "sleep 30");
  if (mode == MODE_STATUS)
    ck_assert_int_eq (status, 0);
  subproc_free (cmd);

  /* A timeout.  */
  cmd = test_helper_on (path, "sleep-forever", NULL);
  subproc_set_timeout (cmd, 50);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_msg (subproc_get_error (cmd)->code == SUBPROC_ERR_TIMEOUT,
                 "timeout: %s", subproc_get_error (cmd)->message);
  subproc_free (cmd);

  /* An abort.  */
  cmd = test_helper_on (path, "sleep-forever", NULL);
  assert_ok (cmd, subproc_run_async (cmd, NULL), "run_async");
  subproc_abort (cmd);
  subproc_free (cmd);

  /* A pid handed to the caller.  */
  cmd = test_helper_on (path, "exit", "3", NULL);
  assert_ok (cmd, subproc_run_async (cmd, &pid), "run_async");
  subproc_free (cmd);
  r = subproc_pid_wait (pid, &status, false);
  if (mode == MODE_STATUS)
    {
      ck_assert_msg (r == 0, "pid_wait: %s", subproc_last_error ()->message);
      ck_assert_int_eq (status, 3);
    }
  else
    {
      ck_assert_int_eq (r, -1);
      ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_SYSTEM);
      ck_assert_int_eq (subproc_last_error ()->sys_errno, ECHILD);
    }

  free (input);
}

/* SIGPIPE is at its default disposition: the workload would die of it.  */
static void
sigpipe_default (void)
{
  ck_assert_ptr_ne (signal (SIGPIPE, SIG_DFL), SIG_ERR);
}

START_TEST (test_sigchld_handled)
{
  sigpipe_default ();
  sigchld_count = 0;
  catch_signal (SIGCHLD, on_sigchld);
  workload (_i, MODE_STATUS);
  ck_assert_int_gt (sigchld_count, 0);
  signal (SIGCHLD, SIG_DFL);
}
END_TEST

START_TEST (test_sigchld_ignored)
{
  sigpipe_default ();
  ck_assert_ptr_ne (signal (SIGCHLD, SIG_IGN), SIG_ERR);
  workload (_i, MODE_REAPED);
  signal (SIGCHLD, SIG_DFL);
}
END_TEST

START_TEST (test_sigchld_nocldwait)
{
  struct sigaction sa;

  sigpipe_default ();
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = on_sigchld;
  sigemptyset (&sa.sa_mask);
  sa.sa_flags = SA_NOCLDWAIT;
  ck_assert_int_eq (sigaction (SIGCHLD, &sa, NULL), 0);
  workload (_i, MODE_REAPED);
  signal (SIGCHLD, SIG_DFL);
}
END_TEST

START_TEST (test_sigchld_blocked)
{
  sigset_t set, old;
  char *out = NULL;
  subproc_t *cmd;

  sigpipe_default ();
  sigemptyset (&set);
  sigaddset (&set, SIGCHLD);
  sigaddset (&set, SIGTERM);
  ck_assert_int_eq (sigprocmask (SIG_BLOCK, &set, &old), 0);
  workload (_i, MODE_STATUS);

  /* The child starts with nothing blocked.  */
  cmd = test_helper_on (_i, "sigs", NULL);
  subproc_set_output_buffer (cmd, &out);
  assert_ok (cmd, subproc_run (cmd, NULL), "sigs");
  ck_assert_msg (strncmp (out, "blocked=0\n", 10) == 0, "child: %s", out);
  subproc_free (cmd);
  free (out);
  ck_assert_int_eq (sigprocmask (SIG_SETMASK, &old, NULL), 0);
}
END_TEST

/* SIGALRM every millisecond while the workload runs.  */
START_TEST (test_alarm_storm)
{
  struct itimerval every_ms = { { 0, 1000 }, { 0, 1000 } };
  struct itimerval off = { { 0, 0 }, { 0, 0 } };
  int rounds = test_under_valgrind () ? 1 : 5;

  sigpipe_default ();
  sigalrm_count = 0;
  catch_signal (SIGALRM, on_sigalrm);
  catch_signal (SIGCHLD, on_sigchld);
  ck_assert_int_eq (setitimer (ITIMER_REAL, &every_ms, NULL), 0);
  for (int i = 0; i < rounds; i++)
    workload (_i, MODE_STATUS);
  ck_assert_int_eq (setitimer (ITIMER_REAL, &off, NULL), 0);
  signal (SIGALRM, SIG_DFL);
  signal (SIGCHLD, SIG_DFL);
  /* The storm did reach the workload (how many arrived depends on the
     machine's load).  */
  ck_assert_int_gt (sigalrm_count, 0);
}
END_TEST

/* With SIGCHLD ignored, subproc_pid_wait reports the lost status the
   same way (SUBPROC_ERR_SYSTEM, ECHILD) whether the kernel reaped the
   child before the call or during it, and whether the command still
   holds the child or not; subproc_pid_abort still leaves alone a process
   that is not our child (a grandchild).  */
START_TEST (test_pid_wait_status_lost)
{
  char *out = NULL;
  pid_t pid = -1;

  /* A process that is not our child: the helper's grandchild.  */
  subproc_t *cmd = test_helper_on (_i, "grandchild", "60000", NULL);
  subproc_set_output_buffer (cmd, &out);
  assert_ok (cmd, subproc_run (cmd, NULL), "grandchild");
  long stranger = strtol (out, NULL, 10);
  ck_assert_int_gt (stranger, 0);
  subproc_free (cmd);
  free (out);

  ck_assert_ptr_ne (signal (SIGCHLD, SIG_IGN), SIG_ERR);
  for (int when = 0; when < 3; when++)
    {
      /* 0: gone before the call; 1: still running at the call; 2: the
         same with the command still holding the child.  */
      cmd = test_helper_on (_i, when == 0 ? "exit" : "sleep",
                            when == 0 ? "3" : "200", NULL);
      assert_ok (cmd, subproc_run_async (cmd, &pid), "run_async");
      if (when < 2)
        subproc_free (cmd);
      if (when == 0)
        ck_assert (test_pid_ends_within (pid, 10000));
      int status = -1;
      ck_assert_int_eq (subproc_pid_wait (pid, &status, false), -1);
      ck_assert_msg (subproc_last_error ()->code == SUBPROC_ERR_SYSTEM,
                     "case %d: %s", when, subproc_last_error ()->message);
      ck_assert_int_eq (subproc_last_error ()->sys_errno, ECHILD);
      ck_assert_int_eq (status, -1);
      if (when == 2)
        subproc_free (cmd);
    }

  subproc_pid_abort ((pid_t) stranger);
  signal (SIGCHLD, SIG_DFL);
  subproc_pid_abort ((pid_t) stranger);
  ck_assert_msg (!test_pid_ends_within (stranger, 300),
                 "subproc_pid_abort signalled a process not its child");
  test_kill_pid (stranger);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("signals");

  BOTH_PATHS (s, sigchld_handled);
  BOTH_PATHS (s, sigchld_ignored);
  BOTH_PATHS (s, sigchld_nocldwait);
  BOTH_PATHS (s, sigchld_blocked);
  BOTH_PATHS (s, pid_wait_status_lost);
  BOTH_PATHS (s, alarm_storm);
  return s;
}

MAIN_SUITE (make_suite)
