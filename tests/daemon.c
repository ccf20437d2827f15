/* daemon.c: daemons and pid files on POSIX.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A daemon is not a child of the test: it is stopped by pid at the end of
 * each test, and the leak check only looks at this process's children
 * and descriptors.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "subproc.h"

/* The pid in the pid file PATH.  */
static long
read_pid_file (const char *path)
{
  char *text = test_read_file (path, NULL);
  char *end;
  long pid = strtol (text, &end, 10);
  ck_assert_msg (pid > 0 && strcmp (end, "\n") == 0, "pid file: '%s'", text);
  free (text);
  return pid;
}

/* The pid that holds a write lock on PATH, or 0.  */
static long
lock_holder (const char *path)
{
  int fd = open (path, O_RDWR);
  ck_assert_int_ge (fd, 0);
  struct flock lk;
  memset (&lk, 0, sizeof lk);
  lk.l_type = F_WRLCK;
  lk.l_whence = SEEK_SET;
  ck_assert_int_eq (fcntl (fd, F_GETLK, &lk), 0);
  test_close (fd);
  return lk.l_type == F_UNLCK ? 0 : (long) lk.l_pid;
}

/* ------------------------------------------------------------------ */

START_TEST (test_daemon_pid_file)
{
  char *pid_file = test_tmp_path ("daemon.pid");
  subproc_t *cmd = test_helper_cmd ("sleep-forever", NULL);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, pid_file);
  int status = -1;
  ck_assert_msg (subproc_run (cmd, &status) == 0, "%s",
                 subproc_get_error (cmd)->message);
  /* The intermediate's status.  */
  ck_assert_int_eq (status, 0);
  subproc_free (cmd);

  /* Written before run returned, and locked by the daemon.  */
  long pid = read_pid_file (pid_file);
  ck_assert_int_eq (kill ((pid_t) pid, 0), 0);
  ck_assert_int_eq (lock_holder (pid_file), pid);

  /* Detached: another session, not a session leader, in "/".  */
  ck_assert_int_ne (getsid ((pid_t) pid), getsid (0));
  ck_assert_int_ne (getsid ((pid_t) pid), pid);
  char link[64], cwd[PATH_MAX];
  snprintf (link, sizeof link, "/proc/%ld/cwd", pid);
  ssize_t n = readlink (link, cwd, sizeof cwd - 1);
  if (n >= 0)
    {
      cwd[n] = '\0';
      ck_assert_str_eq (cwd, "/");
    }

  /* A second instance finds the file locked.  */
  cmd = test_helper_cmd ("sleep-forever", NULL);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, pid_file);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SPAWN);
  ck_assert (subproc_get_error (cmd)->sys_errno == EAGAIN
             || subproc_get_error (cmd)->sys_errno == EACCES);
  subproc_free (cmd);
  ck_assert_int_eq (read_pid_file (pid_file), pid);

  /* Stopped: the lock goes with it.  */
  ck_assert_int_eq (kill ((pid_t) pid, SIGTERM), 0);
  ck_assert (test_pid_ends_within (pid, 2000));
  free (pid_file);
}
END_TEST

/* The daemon's stdio is the null device, and it keeps what was passed.  */
START_TEST (test_daemon_stdio)
{
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  char fd[16];
  snprintf (fd, sizeof fd, "%d", p[1]);
  subproc_t *cmd = test_helper_cmd ("stdio-null", fd, NULL);
  subproc_daemonize (cmd);
  subproc_pass_fd (cmd, p[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  ck_assert_msg (subproc_run (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
  subproc_free (cmd);
  char buf[64];
  size_t len = 0;
  for (;;)
    {
      ssize_t r = read (p[0], buf + len, sizeof buf - 1 - len);
      if (r <= 0)
        break;
      len += (size_t) r;
    }
  buf[len] = '\0';
  ck_assert_str_eq (buf, "0=null\n1=null\n2=null\n");
  test_close (p[0]);
}
END_TEST

START_TEST (test_daemon_errors)
{
  subproc_t *cmd = test_helper_cmd ("sleep-forever", NULL);
  subproc_daemonize (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  cmd = subproc_new ("/nonexistent/daemon");
  subproc_daemonize (cmd);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_NOT_FOUND);
  subproc_free (cmd);

  /* exec fails in the daemon: reported by run.  */
  if (test_skip_under_valgrind ("valgrind dies when execve fails"))
    return;
  char *script = test_tmp_path ("bad-interp");
  test_write_file (script, "#!/nonexistent/interp\n", 22);
  ck_assert_int_eq (chmod (script, 0755), 0);
  char *pid_file = test_tmp_path ("bad.pid");
  cmd = subproc_new (script);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, pid_file);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, ENOENT);
  subproc_free (cmd);
  free (pid_file);

  /* A pid file that cannot be written.  */
  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, "/nonexistent/dir/x.pid");
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, ENOENT);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message, "pid"));
  subproc_free (cmd);
  free (script);
}
END_TEST

/* A pid file for an ordinary child, on the fast and the fork path: its
   own pid, written before run_async returns, locked while it runs.  */
START_TEST (test_child_pid_file)
{
  char *pid_file = test_tmp_path ("child.pid");
  pid_t pid;
  for (int path = 0; path < 2; path++)
    {
      subproc_t *cmd = test_helper_cmd ("sleep-forever", NULL);
      subproc_set_pid_file (cmd, pid_file);
      if (path)
        subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
      ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
      ck_assert_int_eq (read_pid_file (pid_file), pid);
      ck_assert_int_eq (lock_holder (pid_file), pid);
      subproc_abort (cmd);
      subproc_free (cmd);
      ck_assert_int_eq (lock_holder (pid_file), 0);
    }
  free (pid_file);
}
END_TEST

/* pthread_atfork handlers that record in which process they ran: a tag
   and getpid (), in one write(2) on a pipe.  */
typedef struct atfork_mark
{
  int tag;
  pid_t pid;
} atfork_mark_t;

static int atfork_pipe[2] = { -1, -1 };

static void
atfork_record (int tag)
{
  atfork_mark_t m = { tag, getpid () };
  if (atfork_pipe[1] >= 0)
    (void) !write (atfork_pipe[1], &m, sizeof m);
}

static void
atfork_prepare (void)
{
  atfork_record ('P');
}

static void
atfork_parent (void)
{
  atfork_record ('p');
}

static void
atfork_child (void)
{
  atfork_record ('c');
}

/* A spawn runs none of the application's pthread_atfork handlers, on
   any path: not in the caller, not in a forked child, not in a daemon's
   intermediate, not in the daemon.  */
START_TEST (test_no_atfork_handlers)
{
  char *pid_file = test_tmp_path ("atfork.pid");
  ck_assert_int_eq (pipe (atfork_pipe), 0);
  ck_assert_int_eq (fcntl (atfork_pipe[0], F_SETFL, O_NONBLOCK), 0);
  ck_assert_int_eq (
      pthread_atfork (atfork_prepare, atfork_parent, atfork_child), 0);

  subproc_t *cmd = test_helper_cmd ("sleep-forever", NULL);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, pid_file);
  test_run_ok (cmd);
  subproc_free (cmd);
  long daemon = read_pid_file (pid_file);

  /* The fast path and the fork path (a hook).  */
  for (int path = 0; path < 2; path++)
    {
      cmd = test_helper_on (path, "exit", "0", NULL);
      test_run_ok (cmd);
      subproc_free (cmd);
    }

  ck_assert_int_eq (kill ((pid_t) daemon, SIGTERM), 0);
  ck_assert (test_pid_ends_within (daemon, 2000));
  test_close (atfork_pipe[1]);
  atfork_pipe[1] = -1;
  atfork_mark_t m;
  ssize_t r;
  char ran[512] = "";
  while ((r = read (atfork_pipe[0], &m, sizeof m)) == (ssize_t) sizeof m)
    {
      size_t len = strlen (ran);
      snprintf (ran + len, sizeof ran - len, " '%c' in %s;", m.tag,
                m.pid == getpid ()       ? "the caller"
                : (long) m.pid == daemon ? "the daemon"
                                         : "a child or the intermediate");
    }
  ck_assert_int_eq (r, 0);
  ck_assert_msg (ran[0] == '\0', "atfork handlers ran:%s", ran);
  test_close (atfork_pipe[0]);
  free (pid_file);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("daemon");
  TEST_CASE_WITH_TMPDIR_LEAKS (s, daemon_pid_file);
  TEST_CASE_WITH_TMPDIR_LEAKS (s, daemon_stdio);
  TEST_CASE_WITH_TMPDIR_LEAKS (s, daemon_errors);
  TEST_CASE_WITH_TMPDIR_LEAKS (s, child_pid_file);
  TEST_CASE_WITH_TMPDIR_LEAKS (s, no_atfork_handlers);
  return s;
}

MAIN_SUITE (make_suite)
