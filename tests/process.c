/* process.c: running, waiting, stopping and reaping children on POSIX.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loop 0 of each test takes the fast path, loop 1 the fork path (a
 * pre-exec hook that does nothing).  Every test ends with no zombie and
 * no leaked descriptor.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
# include <sched.h>
# include <sys/syscall.h>
#endif

#include "backend.h"
#include "common.h"
#include "subproc.h"

/* ------------------------------------------------------------------ */

START_TEST (test_run_async_wait)
{
  int status = -1;
  pid_t pid = 0;
  subproc_t *cmd = test_helper_on (_i, "exit", "5", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  ck_assert_int_gt (pid, 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 5);
  /* Once: the child is gone.  */
  ck_assert_int_eq (subproc_wait (cmd, &status), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_STATE);
  subproc_free (cmd);

  /* Without STATUS a non-zero exit is an error.  */
  cmd = test_helper_on (_i, "exit", "5", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_EXIT_STATUS);
  subproc_free (cmd);

  /* Not started: nothing to wait for.  */
  cmd = test_helper_on (_i, "exit", "0", NULL);
  ck_assert_int_eq (subproc_wait (cmd, &status), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_STATE);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_abort)
{
  subproc_t *cmd = test_helper_on (_i, "sleep-forever", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  int64_t start = test_now_ms ();
  errno = 1234;
  subproc_abort (cmd);
  ck_assert_int_eq (errno, 1234);
  /* SIGTERM was enough: no grace period.  */
  ck_assert_int_lt (test_now_ms () - start, 400);
  subproc_abort (cmd);
  subproc_free (cmd);

  /* A child that ignores SIGTERM is killed after the grace period.  */
  cmd = test_helper_on (_i, "sleep-forever", NULL);
  ck_assert_ptr_ne (signal (SIGTERM, SIG_IGN), SIG_ERR);
  /* Ignored signals stay ignored across exec: the library resets them,
     so the child dies of SIGTERM anyway.  */
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  start = test_now_ms ();
  subproc_abort (cmd);
  ck_assert_int_lt (test_now_ms () - start, 400);
  subproc_free (cmd);
  signal (SIGTERM, SIG_DFL);
}
END_TEST

START_TEST (test_free_kills)
{
  int out = -1;
  subproc_t *cmd = test_helper_on (_i, "sleep-forever", NULL);
  subproc_set_output_fd (cmd, &out);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  subproc_free (cmd);
  /* The child is dead: its end of the pipe is closed.  */
  char c;
  ck_assert_int_eq (read (out, &c, 1), 0);
  test_close (out);
}
END_TEST

START_TEST (test_pid_wait)
{
  pid_t pid = 0;
  int status = -1;
  subproc_t *cmd = test_helper_on (_i, "exit", "7", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  /* The caller took the pid: free leaves the child alone.  */
  subproc_free (cmd);
  ck_assert_int_eq (subproc_pid_wait (pid, &status, false), 0);
  ck_assert_int_eq (status, 7);

  cmd = test_helper_on (_i, "exit", "7", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  subproc_free (cmd);
  ck_assert_int_eq (subproc_pid_wait (pid, NULL, false), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_EXIT_STATUS);

  cmd = test_helper_on (_i, "signal", "TERM", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  subproc_free (cmd);
  ck_assert_int_eq (subproc_pid_wait (pid, &status, true), 0);
  ck_assert (WIFSIGNALED (status));
  ck_assert_int_eq (WTERMSIG (status), SIGTERM);

  /* Not a child of ours.  */
  ck_assert_int_eq (subproc_pid_wait (1, &status, false), -1);

  /* pid_abort stops and reaps.  */
  cmd = test_helper_on (_i, "sleep-forever", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  subproc_free (cmd);
  ck_assert (kill (pid, 0) == 0);
  subproc_pid_abort (pid);
  ck_assert_int_eq (waitpid (pid, &status, WNOHANG), -1);
  ck_assert_int_eq (errno, ECHILD);

  /* Wait and abort work before free too.  */
  cmd = test_helper_on (_i, "sleep-forever", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  subproc_abort (cmd);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_signal_status)
{
  int status = -1;
  subproc_t *cmd = test_helper_on (_i, "signal", "TERM", NULL);
  subproc_raw_status (cmd);
  ck_assert_int_eq (subproc_run (cmd, &status), 0);
  ck_assert (WIFSIGNALED (status));
  ck_assert_int_eq (WTERMSIG (status), SIGTERM);
  subproc_free (cmd);

  cmd = test_helper_on (_i, "exit", "3", NULL);
  subproc_raw_status (cmd);
  ck_assert_int_eq (subproc_run (cmd, &status), 0);
  ck_assert (WIFEXITED (status));
  ck_assert_int_eq (WEXITSTATUS (status), 3);
  subproc_free (cmd);

  /* Death by a signal is an error without raw status, status or not.  */
  const char *sigs[] = { "TERM", "KILL", "SEGV", "ABRT" };
  for (size_t k = 0; k < 4; k++)
    {
      status = -1;
      cmd = test_helper_on (_i, "signal", sigs[k], NULL);
      ck_assert_int_eq (subproc_run (cmd, &status), -1);
      ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SIGNALED);
      ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                     "signal"));
      subproc_free (cmd);
    }
}
END_TEST

START_TEST (test_timeout)
{
  subproc_t *cmd = test_helper_on (_i, "sleep-forever", NULL);
  subproc_set_timeout (cmd, 200);
  int64_t start = test_now_ms ();
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  int64_t took = test_now_ms () - start;
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_TIMEOUT);
  ck_assert_int_ge (took, 190);
  ck_assert_int_lt (took, 2000);
  subproc_free (cmd);

  cmd = test_helper_on (_i, "sleep-forever", NULL);
  subproc_set_timeout (cmd, 200);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_TIMEOUT);
  subproc_free (cmd);

  /* A child that ends in time.  */
  cmd = test_helper_on (_i, "sleep", "10", NULL);
  subproc_set_timeout (cmd, 5000);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_process_group)
{
  pid_t pid;
  int out = -1;
  char line[64];

  /* Without: the parent's group.  */
  subproc_t *cmd = test_helper_on (_i, "pgid", NULL);
  subproc_set_output_fd (cmd, &out);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  char *want = NULL;
  ck_assert (test_read_line (out, line, sizeof line));
  ck_assert (test_read_line (out, line, sizeof line));
  ck_assert (test_read_line (out, line, sizeof line));
  ck_assert_int_ne (asprintf (&want, "pgid=%ld\n", (long) getpgid (0)), -1);
  ck_assert_str_eq (line, want);
  free (want);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);
  test_close (out);
  ck_assert_int_eq (subproc_pid_wait (pid, NULL, false), -1);

  /* With: a group of its own.  */
  out = -1;
  cmd = test_helper_on (_i, "pgid", NULL);
  subproc_new_process_group (cmd);
  subproc_set_output_fd (cmd, &out);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert (test_read_line (out, line, sizeof line));
  long child = strtol (line + 4, NULL, 10);
  ck_assert (test_read_line (out, line, sizeof line));
  ck_assert (test_read_line (out, line, sizeof line));
  ck_assert_int_eq (strtol (line + 5, NULL, 10), child);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);
  test_close (out);
}
END_TEST

/* Abort of a child in its own group takes its grandchildren along.  */
START_TEST (test_group_abort_tree)
{
  int out = -1;
  long kids[3];
  char line[64];
  subproc_t *cmd = test_helper_on (_i, "tree", "3", NULL);
  subproc_new_process_group (cmd);
  subproc_set_output_fd (cmd, &out);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  for (int k = 0; k < 3; k++)
    {
      ck_assert (test_read_line (out, line, sizeof line));
      kids[k] = strtol (line, NULL, 10);
      ck_assert_int_gt (kids[k], 0);
    }
  subproc_abort (cmd);
  subproc_free (cmd);
  for (int k = 0; k < 3; k++)
    ck_assert_msg (test_pid_ends_within (kids[k], 2000), "grandchild %ld lives",
                   kids[k]);
  test_close (out);

  /* A timeout too.  */
  out = -1;
  cmd = test_helper_on (_i, "tree", "2", NULL);
  subproc_new_process_group (cmd);
  subproc_set_output_fd (cmd, &out);
  subproc_set_timeout (cmd, 300);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  for (int k = 0; k < 2; k++)
    {
      ck_assert (test_read_line (out, line, sizeof line));
      kids[k] = strtol (line, NULL, 10);
    }
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_TIMEOUT);
  subproc_free (cmd);
  for (int k = 0; k < 2; k++)
    ck_assert_msg (test_pid_ends_within (kids[k], 2000), "grandchild %ld lives",
                   kids[k]);
  test_close (out);
}
END_TEST

/* A child in a group of its own that starts a grandchild in the same
   group, sleeping for a minute, prints its pid and exits.  *OUT: the
   output pipe; *GC: the grandchild; PID as for subproc_run_async.  */
static subproc_t *
group_with_grandchild (int path, int *out, long *gc, pid_t *pid)
{
  char line[64];
  subproc_t *cmd = test_helper_on (path, "grandchild", "60000", NULL);
  subproc_new_process_group (cmd);
  *out = -1;
  subproc_set_output_fd (cmd, out);
  ck_assert_int_eq (subproc_run_async (cmd, pid), 0);
  ck_assert (test_read_line (*out, line, sizeof line));
  *gc = strtol (line, NULL, 10);
  ck_assert_int_gt (*gc, 0);
  return cmd;
}

/* The leader ended and was reaped by someone other than the library (the
   caller's own waitpid (-1), as in a SIGCHLD handler): the group's id may
   name another group by then, so abort and free must send it nothing.
   The grandchild left in the group shows whether they did: the group's
   SIGTERM would end it.  */
START_TEST (test_group_leader_reaped_by_caller)
{
  for (int how = 0; how < 2; how++)
    {
      int out, status;
      long gc;
      subproc_t *cmd = group_with_grandchild (_i, &out, &gc, NULL);
      ck_assert_int_gt (waitpid (-1, &status, 0), 0);
      if (how == 0)
        subproc_abort (cmd);
      subproc_free (cmd);
      ck_assert_msg (!test_pid_ends_within (gc, 300),
                     "%s signalled the group of a reaped leader",
                     how == 0 ? "abort" : "free");
      test_kill_pid (gc);
      test_close (out);
    }
}
END_TEST

/* The same with SIGCHLD ignored: the kernel reaps the leader as soon as
   it exits.  */
START_TEST (test_group_leader_reaped_by_kernel)
{
  int out;
  long gc;
  pid_t pid;
  ck_assert_ptr_ne (signal (SIGCHLD, SIG_IGN), SIG_ERR);
  subproc_t *cmd = group_with_grandchild (_i, &out, &gc, &pid);
  ck_assert (test_pid_ends_within (pid, 10000));
  subproc_abort (cmd);
  subproc_free (cmd);
  signal (SIGCHLD, SIG_DFL);
  ck_assert_msg (!test_pid_ends_within (gc, 300),
                 "abort signalled the group of a reaped leader");
  test_kill_pid (gc);
  test_close (out);
}
END_TEST

/* Every signal the library sends to a group, it sends while the leader
   is still its child, running or an unreaped zombie (the observer runs
   while the library cannot reap it): also the final SIGKILL after the
   leader ended of SIGTERM.  */
static int group_signals, late_group_signals;

static void
check_group_signal (long id, int sig)
{
  siginfo_t si;

  (void) sig;
  if (id >= 0)
    return;
  __atomic_add_fetch (&group_signals, 1, __ATOMIC_RELAXED);
  memset (&si, 0, sizeof si);
  if (waitid (P_PID, (id_t) -id, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
    __atomic_add_fetch (&late_group_signals, 1, __ATOMIC_RELAXED);
}

START_TEST (test_group_signals_while_leader_unreaped)
{
  char *out = NULL;
  sp_backend_signal_observer (check_group_signal);

  /* Abort: the leader ends at SIGTERM, then the group gets SIGKILL.  */
  subproc_t *cmd = test_helper_on (_i, "sleep-forever", NULL);
  subproc_new_process_group (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  subproc_abort (cmd);
  subproc_free (cmd);

  /* Free.  */
  cmd = test_helper_on (_i, "sleep-forever", NULL);
  subproc_new_process_group (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  subproc_free (cmd);

  /* A timeout of subproc_run.  */
  cmd = test_helper_on (_i, "sleep-forever", NULL);
  subproc_new_process_group (cmd);
  subproc_set_timeout (cmd, 50);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_TIMEOUT);
  subproc_free (cmd);

  /* A timeout seen by the I/O thread, then the wait.  */
  cmd = test_helper_on (_i, "sleep-forever", NULL);
  subproc_new_process_group (cmd);
  subproc_set_output_buffer (cmd, &out);
  subproc_do_async_io (cmd);
  subproc_set_timeout (cmd, 50);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_TIMEOUT);
  subproc_free (cmd);
  free (out);

  sp_backend_signal_observer (NULL);
  ck_assert_int_gt (group_signals, 0);
  ck_assert_msg (late_group_signals == 0,
                 "%d of %d group signals after the leader was reaped",
                 late_group_signals, group_signals);
}
END_TEST

#if defined __linux__ && defined SYS_pidfd_send_signal \
    && defined SYS_pidfd_open && defined SP_POSIX_HAVE_PIDFD \
    && defined SP_POSIX_HAVE_PIDFD_SEND_SIGNAL
/* A caller's waitpid (-1) can reap a leader in the moment between the
   library's check that it is still there and its group signal: then
   another process may take the group's id.  The observer does both at
   that moment, in a pid namespace of the test's own, where the next
   process gets the pid asked of ns_last_pid: it reaps the leader, then
   starts a process that makes a group with the leader's id.  The
   library's signal must not reach that group.  */
enum { TAKEN_OK, TAKEN_SIGNALLED, TAKEN_SETUP, TAKEN_SKIP = 77 };

static int taken_state;    /* 0 not tried, 1 the id is taken, -1 not */
static pid_t taken_by = -1;
static int taken_ask = -1, taken_answer = -1; /* pipes to and from it */

/* The process that takes the id: it blocks every signal it can, makes
   its group, says so on ANSWER, and once asked on ASK, says whether a
   signal is pending (a kill sets it before returning: no waiting).  */
static void
taker (int ask, int answer)
{
  sigset_t all, pending;
  char c;

  sigfillset (&all);
  sigprocmask (SIG_BLOCK, &all, NULL);
  c = setpgid (0, 0) == 0 ? 'y' : 'n';
  if (write (answer, &c, 1) != 1 || read (ask, &c, 1) != 1)
    _exit (1);
  sigemptyset (&pending);
  c = 'n';
  if (sigpending (&pending) == 0)
    for (int sig = 1; sig < NSIG; sig++)
      if (sigismember (&pending, sig) == 1)
        c = 'y';
  _exit (write (answer, &c, 1) == 1 ? 0 : 1);
}

static void
take_group_id (long id, int sig)
{
  char buf[32];
  int ask[2], answer[2];

  (void) sig;
  if (id >= 0 || taken_state != 0)
    return;
  pid_t leader = (pid_t) -id;
  taken_state = -1;
  if (kill (leader, SIGKILL) < 0 || waitpid (leader, NULL, 0) != leader)
    return;
  int fd = open ("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return;
  int n = snprintf (buf, sizeof buf, "%ld", (long) leader - 1);
  bool set = write (fd, buf, (size_t) n) == n;
  close (fd);
  if (!set || pipe (ask) < 0)
    return;
  if (pipe (answer) < 0)
    {
      close (ask[0]);
      close (ask[1]);
      return;
    }
  pid_t pid = fork ();
  if (pid == 0)
    {
      close (ask[1]);
      close (answer[0]);
      taker (ask[0], answer[1]);
    }
  close (ask[0]);
  close (answer[1]);
  taken_ask = ask[1];
  taken_answer = answer[0];
  char c = 'n';
  if (pid < 0 || read (taken_answer, &c, 1) != 1)
    c = 'n';
  taken_by = pid;
  if (c == 'y' && pid == leader)
    taken_state = 1;
}

/* As pid 1 of a new pid namespace.  */
static int
group_id_taken (int path)
{
  subproc_t *cmd = test_helper_on (path, "sleep-forever", NULL);
  subproc_new_process_group (cmd);
  if (subproc_run_async (cmd, NULL) < 0)
    return TAKEN_SETUP;
  sp_backend_signal_observer (take_group_id);
  subproc_abort (cmd);
  sp_backend_signal_observer (NULL);
  subproc_free (cmd);
  if (taken_state != 1)
    return TAKEN_SETUP;
  char c = 'y';
  if (write (taken_ask, "?", 1) != 1 || read (taken_answer, &c, 1) != 1)
    c = 'y';  /* it was killed */
  close (taken_ask);
  close (taken_answer);
  int status;
  waitpid (taken_by, &status, 0);
  return c == 'n' ? TAKEN_OK : TAKEN_SIGNALLED;
}

START_TEST (test_group_id_taken_after_caller_reaped)
{
  if (geteuid () != 0)
    {
      fprintf (stderr, "skipped: needs root (a pid namespace)\n");
      return;
    }
  /* Before Linux 6.9 the kernel cannot signal a group through a pidfd
     (EINVAL), and without pidfds at all (before 5.3, or valgrind, which
     does not know the calls: ENOSYS) neither can the library: it kills
     by number, and this moment remains open.  */
  int rc = -1, err = ENOSYS;
  int self = (int) syscall (SYS_pidfd_open, getpid (), 0);
  if (self >= 0)
    {
      rc = (int) syscall (SYS_pidfd_send_signal, self, 0, NULL, 1U << 2);
      err = errno;
      test_close (self);
    }
  if (rc < 0 && (err == EINVAL || err == ENOSYS))
    {
      fprintf (stderr, "skipped: no PIDFD_SIGNAL_PROCESS_GROUP here\n");
      return;
    }

  pid_t mid = fork ();
  ck_assert_int_ge (mid, 0);
  if (mid == 0)
    {
      if (unshare (CLONE_NEWPID) < 0)
        _exit (TAKEN_SKIP);
      pid_t init = fork ();
      if (init == 0)
        _exit (group_id_taken (_i));
      int status;
      if (init < 0 || waitpid (init, &status, 0) != init)
        _exit (TAKEN_SETUP);
      _exit (WIFEXITED (status) ? WEXITSTATUS (status) : TAKEN_SETUP);
    }
  int status;
  ck_assert_int_eq (waitpid (mid, &status, 0), mid);
  ck_assert (WIFEXITED (status));
  if (WEXITSTATUS (status) == TAKEN_SKIP)
    {
      fprintf (stderr, "skipped: no new pid namespace here\n");
      return;
    }
  ck_assert_msg (WEXITSTATUS (status) != TAKEN_SIGNALLED,
                 "the library signalled a group that took the id of its "
                 "reaped leader");
  ck_assert_int_eq (WEXITSTATUS (status), TAKEN_OK);
}
END_TEST
#endif

/* Start sleep-forever from a process of its own that then exits; the
   child's pid.  */
static long
orphan (int i, bool kill_on_exit)
{
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  pid_t mid = fork ();
  ck_assert_int_ge (mid, 0);
  if (mid == 0)
    {
      close (p[0]);
      pid_t pid = 0;
      subproc_t *cmd = test_helper_on (i, "sleep-forever", NULL);
      if (kill_on_exit)
        subproc_kill_on_parent_exit (cmd);
      if (subproc_run_async (cmd, &pid) < 0)
        _exit (1);
      /* With the pid taken, free hands the child over, it does not kill
         it.  */
      subproc_free (cmd);
      char buf[32];
      int n = snprintf (buf, sizeof buf, "%ld\n", (long) pid);
      _exit (write (p[1], buf, (size_t) n) == n ? 0 : 1);
    }
  test_close (p[1]);
  char line[32];
  ck_assert (test_read_line (p[0], line, sizeof line));
  test_close (p[0]);
  int status;
  ck_assert_int_eq (waitpid (mid, &status, 0), mid);
  ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
  return strtol (line, NULL, 10);
}

START_TEST (test_kill_on_parent_exit)
{
#ifndef SP_POSIX_HAVE_PRCTL
  /* Linux's parent-death signal, and nothing like it elsewhere.  */
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_kill_on_parent_exit (cmd);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "kill_on_parent_exit"));
  subproc_free (cmd);
  return;
#endif
  long pid = orphan (_i, true);
  ck_assert_msg (test_pid_ends_within (pid, 2000), "child %ld outlived its parent",
                 pid);

  /* Without: it survives its parent.  */
  pid = orphan (_i, false);
  test_sleep_ms (200);
  ck_assert_int_eq (kill ((pid_t) pid, 0), 0);
  test_kill_pid (pid);
  ck_assert (test_pid_ends_within (pid, 2000));
}
END_TEST

START_TEST (test_exec)
{
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      close (p[0]);
      subproc_t *cmd = test_helper_on (0, "pid", NULL);
      subproc_set_output_fd (cmd, &p[1]);
      subproc_exec (cmd);
      _exit (99);
    }
  test_close (p[1]);
  char line[32];
  ck_assert (test_read_line (p[0], line, sizeof line));
  test_close (p[0]);
  /* The helper replaced the forked process: same pid.  */
  ck_assert_int_eq (strtol (line, NULL, 10), pid);
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  ck_assert_int_eq (WEXITSTATUS (status), 0);

  /* What cannot be found is reported and the process goes on.  */
  subproc_t *cmd = subproc_new ("/nonexistent/program");
  ck_assert_int_eq (subproc_exec (cmd), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_NOT_FOUND);
  subproc_free (cmd);
}
END_TEST

static int
failing_hook (void *opaque)
{
  (void) opaque;
  errno = EDOM;
  return 1;
}

START_TEST (test_handshake)
{
  char *out = NULL;
  int out_fd = -1;
  subproc_t *cmd = test_helper_on (0, "print", "after", NULL);
  subproc_require_handshake (cmd);
  subproc_set_output_fd (cmd, &out_fd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  /* Held before exec: nothing written yet.  */
  fcntl (out_fd, F_SETFL, O_NONBLOCK);
  char buf[16];
  ck_assert_int_eq (read (out_fd, buf, sizeof buf), -1);
  ck_assert_int_eq (errno, EAGAIN);
  ck_assert_int_eq (subproc_handshake_notify (cmd), 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);
  ck_assert_int_eq (read (out_fd, buf, sizeof buf), 5);
  test_close (out_fd);
  free (out);

  /* The hook fails before the handshake.  */
  cmd = test_helper_on (0, "exit", "0", NULL);
  subproc_require_handshake (cmd);
  subproc_set_pre_exec_hook (cmd, failing_hook, NULL);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_HOOK);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, EDOM);
  subproc_free (cmd);

  /* A failure after the handshake is reported by notify.  */
  cmd = test_helper_on (0, "exit", "0", NULL);
  subproc_require_handshake (cmd);
  subproc_set_working_directory (cmd, "/nonexistent/dir");
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  ck_assert_int_eq (subproc_handshake_notify (cmd), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, ENOENT);
  subproc_free (cmd);

  /* Waited for without a notify: the child gives up, and that is an
     error, not an exit status.  */
  int status = -1;
  cmd = test_helper_on (0, "exit", "0", NULL);
  subproc_require_handshake (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (status, -1);
  subproc_free (cmd);

  /* Freed while held: the child goes away.  */
  cmd = test_helper_on (0, "sleep-forever", NULL);
  subproc_require_handshake (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  subproc_free (cmd);
}
END_TEST

/* With SIGCHLD ignored the kernel reaps children itself: the status is
   lost, and the library says so instead of inventing one.  */
START_TEST (test_sigchld_ignored)
{
  ck_assert_ptr_ne (signal (SIGCHLD, SIG_IGN), SIG_ERR);
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  int r = subproc_run (cmd, NULL);
  signal (SIGCHLD, SIG_DFL);
  ck_assert_int_eq (r, -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SYSTEM);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, ECHILD);
  subproc_free (cmd);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("process");
  BOTH_PATHS (s, run_async_wait);
  BOTH_PATHS (s, abort);
  BOTH_PATHS (s, free_kills);
  BOTH_PATHS (s, pid_wait);
  BOTH_PATHS (s, signal_status);
  BOTH_PATHS (s, timeout);
  BOTH_PATHS (s, process_group);
  BOTH_PATHS (s, group_abort_tree);
  BOTH_PATHS (s, group_leader_reaped_by_caller);
  BOTH_PATHS (s, group_leader_reaped_by_kernel);
  BOTH_PATHS (s, group_signals_while_leader_unreaped);
#if defined __linux__ && defined SYS_pidfd_send_signal \
    && defined SYS_pidfd_open && defined SP_POSIX_HAVE_PIDFD \
    && defined SP_POSIX_HAVE_PIDFD_SEND_SIGNAL
  BOTH_PATHS (s, group_id_taken_after_caller_reaped);
#endif
  BOTH_PATHS (s, kill_on_parent_exit);
  TEST_CASE (s, exec);
  TEST_CASE (s, handshake);
  BOTH_PATHS (s, sigchld_ignored);
  return s;
}

MAIN_SUITE (make_suite)
