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

/* A pid file at PID_FILE that must be refused (ERR, or ERR2 where
   systems differ): on both spawn paths and for a daemon, the run fails
   with SUBPROC_ERR_SPAWN naming the pid file, the program does not run,
   and VICTIM (if not NULL) still holds "precious\n".  */
static void
check_pid_file_refused (const char *pid_file, int err, int err2,
                        const char *victim)
{
  for (int path = 0; path < 3; path++)
    {
      subproc_t *cmd = test_helper_on (path == 1, "exit", "0", NULL);
      if (path == 2)
        subproc_daemonize (cmd);
      subproc_set_pid_file (cmd, pid_file);
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      const subproc_error_t *e = subproc_get_error (cmd);
      ck_assert_int_eq (e->code, SUBPROC_ERR_SPAWN);
      ck_assert_msg (e->sys_errno == err || e->sys_errno == err2, "%s: %s",
                     pid_file, e->message);
      ck_assert_ptr_nonnull (strstr (e->message, "pid file"));
      ck_assert_msg (strstr (e->message, pid_file) != NULL,
                     "the message does not name %s: %s", pid_file,
                     e->message);
      subproc_free (cmd);
      if (victim)
        {
          char *text = test_read_file (victim, NULL);
          ck_assert_str_eq (text, "precious\n");
          free (text);
        }
    }
}

enum pid_file_case
{
  PF_SYMLINK,   /* a symbolic link to a file */
  PF_DANGLING,  /* a symbolic link to nothing, which is not created */
  PF_HARD_LINK, /* a second name of a file */
  PF_DIRECTORY,
  PF_FIFO,        /* opening it for writing would wait for a reader */
  PF_FIFO_READER, /* one with a reader: nothing reaches it */
  PF_OTHER_OWNER, /* a file of another user's (needs root) */
  PF_CASES
};

/* A pid file is never reached through a symbolic link, and only a
   regular file with one link, owned by the effective user, is written:
   the directory may be writable by others.  Loop _i: the case.  */
START_TEST (test_pid_file_refused)
{
  char *victim = test_tmp_path ("victim");
  char *pid_file = test_tmp_path ("x.pid");
  char *missing = test_tmp_path ("missing");
  int reader = -1;
  char c;
  test_write_file (victim, "precious\n", 9);

  /* O_NOFOLLOW: Linux says ELOOP, FreeBSD EMLINK, NetBSD EFTYPE.  */
#ifdef EFTYPE
  int link_err2 = EFTYPE;
#else
  int link_err2 = EMLINK;
#endif
  switch ((enum pid_file_case) _i)
    {
    case PF_SYMLINK:
      ck_assert_int_eq (symlink (victim, pid_file), 0);
      check_pid_file_refused (pid_file, ELOOP, link_err2, victim);
      break;
    case PF_DANGLING:
      ck_assert_int_eq (symlink (missing, pid_file), 0);
      check_pid_file_refused (pid_file, ELOOP, link_err2, NULL);
      ck_assert_int_eq (access (missing, F_OK), -1);
      break;
    case PF_HARD_LINK:
      ck_assert_int_eq (link (victim, pid_file), 0);
      check_pid_file_refused (pid_file, EMLINK, EMLINK, victim);
      break;
    case PF_DIRECTORY:
      ck_assert_int_eq (mkdir (pid_file, 0755), 0);
      check_pid_file_refused (pid_file, EISDIR, EISDIR, NULL);
      ck_assert_int_eq (rmdir (pid_file), 0);
      break;
    case PF_FIFO:
      ck_assert_int_eq (mkfifo (pid_file, 0644), 0);
      check_pid_file_refused (pid_file, ENXIO, ENXIO, NULL);
      break;
    case PF_FIFO_READER:
      ck_assert_int_eq (mkfifo (pid_file, 0644), 0);
      reader = open (pid_file, O_RDONLY | O_NONBLOCK);
      ck_assert_int_ge (reader, 0);
      check_pid_file_refused (pid_file, EINVAL, EINVAL, NULL);
      ck_assert_int_eq (read (reader, &c, 1), 0);
      test_close (reader);
      break;
    case PF_OTHER_OWNER:
    default:
      if (geteuid () != 0)
        {
          printf ("pid_file_refused: not root, no file of another user\n");
          break;
        }
      test_write_file (pid_file, "precious\n", 9);
      ck_assert_int_eq (chown (pid_file, 65534, 65534), 0);
      check_pid_file_refused (pid_file, EPERM, EPERM, pid_file);
      break;
    }
  if (_i != PF_DIRECTORY && (_i != PF_OTHER_OWNER || geteuid () == 0))
    ck_assert_int_eq (unlink (pid_file), 0);

  free (missing);
  free (pid_file);
  free (victim);
}
END_TEST

/* A missing pid file is created (mode 0644 less the umask), an existing
   one of ours is truncated and rewritten, on both spawn paths.  */
START_TEST (test_pid_file_fresh_and_existing)
{
  char *pid_file = test_tmp_path ("ok.pid");
  mode_t mask = umask (022);
  umask (mask);
  for (int path = 0; path < 2; path++)
    for (int existing = 0; existing < 2; existing++)
      {
        if (existing)
          test_write_file (pid_file, "123456789012345678901234567890\n", 31);
        subproc_t *cmd = test_helper_on (path, "sleep-forever", NULL);
        subproc_set_pid_file (cmd, pid_file);
        pid_t pid;
        ck_assert_msg (subproc_run_async (cmd, &pid) == 0, "%s",
                       subproc_get_error (cmd)->message);
        ck_assert_int_eq (read_pid_file (pid_file), pid);
        struct stat st;
        ck_assert_int_eq (stat (pid_file, &st), 0);
        ck_assert_int_eq (st.st_nlink, 1);
        if (!existing)
          ck_assert_int_eq (st.st_mode & 0777, 0644 & ~mask);
        subproc_abort (cmd);
        subproc_free (cmd);
        if (!existing)
          continue;
        ck_assert_int_eq (unlink (pid_file), 0);
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
  TEST_CASE_WITH_TMPDIR (s, daemon_pid_file);
  TEST_CASE_WITH_TMPDIR (s, daemon_stdio);
  TEST_CASE_WITH_TMPDIR (s, daemon_errors);
  TEST_CASE_WITH_TMPDIR (s, child_pid_file);
  TCase *tc = tcase_create ("pid_file_refused");
  TEST_ACCOUNTING (tc);
  tcase_add_checked_fixture (tc, test_tmpdir_setup, test_tmpdir_teardown);
  tcase_add_loop_test (tc, test_pid_file_refused, 0, PF_CASES);
  suite_add_tcase (s, tc);
  TEST_CASE_WITH_TMPDIR (s, pid_file_fresh_and_existing);
  TEST_CASE_WITH_TMPDIR (s, no_atfork_handlers);
  return s;
}

MAIN_SUITE (make_suite)
