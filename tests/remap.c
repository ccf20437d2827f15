/* remap.c: descriptors under other numbers, the child's priority, and
 * the Win32 creation flags.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * subproc_pass_fd_as gives a descriptor of the parent to the child under
 * a number of the caller's choosing.  The helper's "fd-tags N..." writes
 * "N\n" to each descriptor N it is given, so the reader of a pipe learns
 * under which numbers the child had the pipe's write end: every mapping
 * (chains, cycles, targets that are sources, numbers the library itself
 * uses for the spawn) is checked by what comes out of each pipe.  Each
 * test runs on both spawn paths where the two differ.
 */

#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
# include <fcntl.h>
# include <io.h>
# include <windows.h>
# define pipe(fds) _pipe ((fds), 65536, _O_BINARY | _O_NOINHERIT)
# define dup2 _dup2
#else
# include <fcntl.h>
# include <pwd.h>
# include <sys/resource.h>
# include <sys/wait.h>
# include <unistd.h>
#endif

#include "common.h"
#include "subproc.h"

/* ------------------------------------------------------------------ */
/* Helpers.  */

/* Move FD to number TO (free, or to be replaced), closing FD.  */
static void
move_fd (int fd, int to)
{
  if (fd == to)
    return;
  /* _dup2 returns 0, dup2 the descriptor.  */
  ck_assert_int_ne (dup2 (fd, to), -1);
  test_close (fd);
}

/* A pipe whose write end is descriptor W (made free first).  */
static void
pipe_at (int p[2], int w)
{
  int q[2];
  ck_assert_int_eq (pipe (q), 0);
  ck_assert (!test_fd_is_open (w));
  move_fd (q[1], w);
  p[0] = q[0];
  p[1] = w;
}

/* The lowest descriptor number that is free: the next descriptor made
   takes it.  */
static int
lowest_free (void)
{
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  int low = p[0] < p[1] ? p[0] : p[1];
  test_close (p[0]);
  test_close (p[1]);
  return low;
}

static char *
num (int n)
{
  char *s = malloc (16);
  ck_assert_ptr_nonnull (s);
  snprintf (s, 16, "%d", n);
  return s;
}

/* Add "fd-tags" arguments for the numbers FROM .. FROM + N - 1.  */
static void
add_tags (subproc_t *cmd, int from, int n)
{
  for (int i = 0; i < n; i++)
    {
      char *s = num (from + i);
      subproc_add_arg (cmd, s);
      free (s);
    }
}

/* Read what is left in FD and close it; compare with WANT.  */
static void
expect_fd (int fd, const char *want)
{
  char *got = test_read_fd (fd);
  test_close (fd);
  ck_assert_str_eq (got, want);
  free (got);
}

/* A helper command on spawn path PATH running "fd-tags".  */
static subproc_t *
tags_cmd (int path)
{
  return test_helper_on (path, "fd-tags", NULL);
}

/* ------------------------------------------------------------------ */
/* Targets.  */

/* A descriptor arrives under its target, and the source is not there;
   with CLOSE_PARENT the parent's copy is gone after the run.  */
START_TEST (test_target_seen)
{
  int p[2];
  char *out = NULL;

  ck_assert_int_eq (pipe (p), 0);
  subproc_t *cmd = tags_cmd (_i);
  add_tags (cmd, 50, 1);
  subproc_pass_fd_as (cmd, p[1], 50, SUBPROC_PASS_FD_CLOSE_PARENT);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert (!test_fd_is_open (p[1]));
  expect_fd (p[0], "50\n");

  /* Only the target is open in the child (the source's number is
     not).  */
  ck_assert_int_eq (pipe (p), 0);
  cmd = test_helper_on (_i, "fds", NULL);
  subproc_pass_fd_as (cmd, p[1], 51, 0);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_str_eq (out, "51\n");
  free (out);
  ck_assert (test_fd_is_open (p[1]));
  test_close (p[1]);
  expect_fd (p[0], "");
}
END_TEST

/* 60 -> 61 and 61 -> 60: each pipe comes out under the other's
   number.  */
START_TEST (test_cycle)
{
  int a[2], b[2];

  pipe_at (a, 60);
  pipe_at (b, 61);
  subproc_t *cmd = tags_cmd (_i);
  add_tags (cmd, 60, 2);
  subproc_pass_fd_as (cmd, 60, 61, SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_pass_fd_as (cmd, 61, 60, SUBPROC_PASS_FD_CLOSE_PARENT);
  test_run_ok (cmd);
  subproc_free (cmd);
  expect_fd (a[0], "61\n");
  expect_fd (b[0], "60\n");
}
END_TEST

/* A chain 70 -> 71, 71 -> 72, 72 -> 73: each target is the next
   mapping's source; 70 itself is closed in the child.  */
START_TEST (test_chain)
{
  int a[2], b[2], c[2];
  char *out = NULL;

  pipe_at (a, 70);
  pipe_at (b, 71);
  pipe_at (c, 72);
  subproc_t *cmd = tags_cmd (_i);
  add_tags (cmd, 71, 3);
  subproc_pass_fd_as (cmd, 70, 71, 0);
  subproc_pass_fd_as (cmd, 71, 72, 0);
  subproc_pass_fd_as (cmd, 72, 73, 0);
  test_run_ok (cmd);
  subproc_free (cmd);

  cmd = test_helper_on (_i, "fds", NULL);
  subproc_pass_fd_as (cmd, 70, 71, SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_pass_fd_as (cmd, 71, 72, SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_pass_fd_as (cmd, 72, 73, SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_str_eq (out, "71\n72\n73\n");
  free (out);
  expect_fd (a[0], "71\n");
  expect_fd (b[0], "72\n");
  expect_fd (c[0], "73\n");
}
END_TEST

/* One descriptor to the numbers the library takes for the spawn next
   (the pipes of the captured output, the null device, the error pipe;
   on the fork path with a handshake its two pipes as well), and under
   its own number too: every one of them comes out of the pipe.  */
static void
collide (int path, bool handshake)
{
  int p[2];
  char *out = NULL, *err = NULL;
  enum { N = 16 };

  ck_assert_int_eq (pipe (p), 0);
  int low = lowest_free ();
  subproc_t *cmd = tags_cmd (handshake ? 1 : path);
  add_tags (cmd, low, N);
  char *own = num (p[1]);
  subproc_add_arg (cmd, own);
  free (own);
  for (int i = 0; i < N; i++)
    subproc_pass_fd_as (cmd, p[1], low + i, 0);
  subproc_pass_fd (cmd, p[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);
  if (handshake)
    {
      subproc_require_handshake (cmd);
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
      ck_assert_int_eq (subproc_handshake_notify (cmd), 0);
      ck_assert_msg (subproc_wait (cmd, NULL) == 0, "%s",
                     subproc_get_error (cmd)->message);
    }
  else
    test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_str_eq (out, "");
  ck_assert_str_eq (err, "");
  free (out);
  free (err);

  char want[512] = "";
  for (int i = 0; i < N; i++)
    snprintf (want + strlen (want), sizeof want - strlen (want), "%d\n",
              low + i);
  snprintf (want + strlen (want), sizeof want - strlen (want), "%d\n", p[1]);
  expect_fd (p[0], want);
}

START_TEST (test_library_numbers)
{
  collide (_i, false);
}
END_TEST

/* A failure after the mappings are in place still reaches the parent,
   whichever numbers the mappings took.  */
START_TEST (test_library_numbers_failure)
{
  int p[2];
  enum { N = 16 };

  ck_assert_int_eq (pipe (p), 0);
  int low = lowest_free ();
  subproc_t *cmd = tags_cmd (_i);
  for (int i = 0; i < N; i++)
    subproc_pass_fd_as (cmd, p[1], low + i, 0);
  char *missing = test_tmp_path ("missing");
  subproc_set_working_directory (cmd, missing);
  free (missing);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (subproc_get_error (cmd)->stage, SUBPROC_STAGE_CHDIR);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, ENOENT);
  subproc_free (cmd);
  test_close (p[1]);
  expect_fd (p[0], "");
}
END_TEST

#ifndef _WIN32
START_TEST (test_library_numbers_handshake)
{
  collide (1, true);
}
END_TEST
#endif

/* A send buffer made after a mapping does not take the mapping's
   target, even when that is the lowest free number.  */
START_TEST (test_send_buffer_avoids_target)
{
  int p[2];

  ck_assert_int_eq (pipe (p), 0);
  int low = lowest_free ();
  subproc_t *cmd = test_helper_cmd ("consume-then-fd", NULL);
  subproc_pass_fd_as (cmd, p[1], low, SUBPROC_PASS_FD_CLOSE_PARENT);
  int sfd = subproc_set_send_buffer (cmd, "sent", 4);
  ck_assert_int_ge (sfd, 0);
  ck_assert_int_ne (sfd, low);
  char *s = num (sfd);
  subproc_add_arg (cmd, s);
  free (s);
  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_str_eq (out, "sent0\n");
  free (out);
  expect_fd (p[0], "");
}
END_TEST

/* CLOSE_PARENT consumes the mapping: the next run is refused until the
   target is given a descriptor again, which then arrives.  */
START_TEST (test_close_parent_rerun)
{
  int p[2];

  ck_assert_int_eq (pipe (p), 0);
  subproc_t *cmd = tags_cmd (_i);
  add_tags (cmd, 55, 1);
  subproc_pass_fd_as (cmd, p[1], 55, SUBPROC_PASS_FD_CLOSE_PARENT);
  test_run_ok (cmd);
  ck_assert (!test_fd_is_open (p[1]));
  expect_fd (p[0], "55\n");

  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, EBADF);

  ck_assert_int_eq (pipe (p), 0);
  subproc_pass_fd_as (cmd, p[1], 55, SUBPROC_PASS_FD_CLOSE_PARENT);
  test_run_ok (cmd);
  subproc_free (cmd);
  expect_fd (p[0], "55\n");
}
END_TEST

/* Misuse is a builder error that loses nothing: a refused call with
   CLOSE_PARENT closes its descriptor, once.  */
START_TEST (test_errors)
{
  static const int bad_targets[] = { 0, 1, 2, -1, INT_MIN };
  int p[2];

  ck_assert_int_eq (pipe (p), 0);
  for (size_t i = 0; i < sizeof bad_targets / sizeof bad_targets[0]; i++)
    {
      subproc_t *cmd = tags_cmd (0);
      subproc_pass_fd_as (cmd, p[1], bad_targets[i], 0);
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      test_assert_error (cmd, SUBPROC_ERR_INVALID);
      subproc_free (cmd);
    }

  /* Sources: as subproc_pass_fd.  */
  subproc_t *cmd = tags_cmd (0);
  subproc_pass_fd_as (cmd, 1, 40, 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
  int closed = lowest_free ();
  cmd = tags_cmd (0);
  subproc_pass_fd_as (cmd, closed, 40, 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, EBADF);
  subproc_free (cmd);
  cmd = tags_cmd (0);
  subproc_pass_fd_as (cmd, p[1], 40, 0x100);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  /* One number, two descriptors: refused whichever call comes first;
     the same mapping twice is one.  */
  int q[2];
  ck_assert_int_eq (pipe (q), 0);
  cmd = tags_cmd (0);
  subproc_pass_fd_as (cmd, p[1], 40, 0);
  subproc_pass_fd_as (cmd, p[1], 40, 0);
  subproc_pass_fd_as (cmd, q[1], 40, 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
  cmd = tags_cmd (0);
  subproc_pass_fd (cmd, q[1], 0);
  subproc_pass_fd_as (cmd, p[1], q[1], 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
  cmd = tags_cmd (0);
  subproc_pass_fd_as (cmd, p[1], q[1], 0);
  subproc_pass_fd (cmd, q[1], 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
  cmd = tags_cmd (0);
  int sfd = subproc_set_send_buffer (cmd, "x", 1);
  subproc_pass_fd_as (cmd, p[1], sfd, 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  /* A refused call with CLOSE_PARENT closes the descriptor; one the
     command holds already is closed by the command, once.  */
  cmd = tags_cmd (0);
  subproc_pass_fd_as (cmd, q[1], 2, SUBPROC_PASS_FD_CLOSE_PARENT);
  ck_assert (!test_fd_is_open (q[1]));
  subproc_free (cmd);
  test_close (q[0]);
  ck_assert_int_eq (pipe (q), 0);
  cmd = tags_cmd (0);
  subproc_pass_fd_as (cmd, q[1], 41, SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_pass_fd_as (cmd, q[1], 1, SUBPROC_PASS_FD_CLOSE_PARENT);
  ck_assert (test_fd_is_open (q[1]));
  subproc_free (cmd);
  ck_assert (!test_fd_is_open (q[1]));
  test_close (q[0]);

  test_close (p[0]);
  test_close (p[1]);
}
END_TEST

/* A number past what the child's table can hold fails the run, and
   leaves nothing behind.  */
START_TEST (test_target_too_large)
{
  int p[2];

  ck_assert_int_eq (pipe (p), 0);
  subproc_t *cmd = tags_cmd (_i);
  subproc_pass_fd_as (cmd, p[1], INT_MAX, 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
#ifdef _WIN32
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
#else
  test_assert_error (cmd, SUBPROC_ERR_SPAWN);
#endif
  ck_assert_int_eq (err->stage, SUBPROC_STAGE_DUP);
  ck_assert_int_eq (err->sys_errno, EBADF);
  subproc_free (cmd);
  test_close (p[1]);
  expect_fd (p[0], "");
}
END_TEST

#ifndef _WIN32
/* subproc_exec applies the mappings to the calling process.  */
START_TEST (test_exec)
{
  int p[2];

  ck_assert_int_eq (pipe (p), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      subproc_t *cmd = test_helper_cmd ("fd-tags", "90", "91", NULL);
      subproc_pass_fd_as (cmd, p[1], 90, 0);
      subproc_pass_fd_as (cmd, p[1], 91, 0);
      subproc_exec (cmd);
      _exit (99);
    }
  test_close (p[1]);
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  ck_assert_int_eq (WEXITSTATUS (status), 0);
  expect_fd (p[0], "90\n91\n");
}
END_TEST

/* A daemon gets its mappings too, although its intermediate makes a
   pipe of its own after the numbers were chosen.  */
START_TEST (test_daemon)
{
  int p[2];
  enum { N = 8 };

  ck_assert_int_eq (pipe (p), 0);
  int low = lowest_free ();
  subproc_t *cmd = tags_cmd (0);
  add_tags (cmd, low, N);
  for (int i = 0; i < N; i++)
    subproc_pass_fd_as (cmd, p[1], low + i, SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_daemonize (cmd);
  test_run_ok (cmd);
  subproc_free (cmd);
  char want[256] = "";
  for (int i = 0; i < N; i++)
    snprintf (want + strlen (want), sizeof want - strlen (want), "%d\n",
              low + i);
  /* End of file once the daemon has exited.  */
  expect_fd (p[0], want);
}
END_TEST
#endif

/* ------------------------------------------------------------------ */
/* Priority.  */

START_TEST (test_priority_range)
{
  static const int bad[] = { -21, 20, INT_MIN, INT_MAX };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
      subproc_set_priority (cmd, bad[i]);
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      test_assert_error (cmd, SUBPROC_ERR_INVALID);
      subproc_free (cmd);
    }
}
END_TEST

#ifndef _WIN32
static int
own_nice (void)
{
  errno = 0;
  int n = getpriority (PRIO_PROCESS, 0);
  ck_assert_msg (n != -1 || errno == 0, "getpriority: %s", strerror (errno));
  return n;
}

/* The nice value of a child with increment INC on spawn path PATH, as
   the helper reports it.  */
static int
child_nice (int path, int inc)
{
  char *out = NULL;
  int n;
  subproc_t *cmd = test_helper_on (path, "nice", NULL);
  subproc_set_priority (cmd, inc);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_int_eq (sscanf (out, "nice=%d", &n), 1);
  free (out);
  return n;
}

static int
clamp_nice (int n)
{
  return n < -20 ? -20 : n > 19 ? 19 : n;
}

START_TEST (test_priority_seen)
{
  int base = own_nice ();
  ck_assert_int_eq (child_nice (_i, 5), clamp_nice (base + 5));
  ck_assert_int_eq (child_nice (_i, 19), 19);
  ck_assert_int_eq (child_nice (_i, 0), base);
  /* The parent is left alone.  */
  ck_assert_int_eq (own_nice (), base);
}
END_TEST

/* Can this process lower a nice value (root, CAP_SYS_NICE, or an
   RLIMIT_NICE that allows it)?  Probed in a child.  */
static bool
may_lower_nice (void)
{
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int n = getpriority (PRIO_PROCESS, 0);
      _exit (setpriority (PRIO_PROCESS, 0, n - 1) == 0 ? 0 : 1);
    }
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  return WIFEXITED (status) && WEXITSTATUS (status) == 0;
}

/* Run "nice" with increment -5 as the calling process is; 0 when the
   child got there, else the stage and errno of the failure packed as
   stage * 1000 + errno.  */
static int
lower_nice_result (int base)
{
  subproc_t *cmd = test_helper_cmd ("nice", NULL);
  char *out = NULL;
  subproc_set_priority (cmd, -5);
  subproc_set_output_buffer (cmd, &out);
  int r = 0;
  if (subproc_run (cmd, NULL) < 0)
    {
      const subproc_error_t *err = subproc_get_error (cmd);
      r = err->code == SUBPROC_ERR_SPAWN
            ? err->stage * 1000 + err->sys_errno
            : -1;
    }
  else
    {
      int n;
      if (sscanf (out, "nice=%d", &n) != 1 || n != clamp_nice (base - 5))
        r = -2;
    }
  free (out);
  subproc_free (cmd);
  return r;
}

/* A negative increment without the privilege fails the run clearly;
   with it, the child gets it.  As root, the unprivileged case runs in a
   child process that has become "nobody".  */
START_TEST (test_priority_negative)
{
  int base = own_nice ();
  if (may_lower_nice ())
    ck_assert_int_eq (lower_nice_result (base), 0);
  if (geteuid () != 0)
    {
      if (may_lower_nice ())
        {
          printf ("priority_negative: this user may lower its nice value; "
                  "the refusal is not tested\n");
          return;
        }
      int r = lower_nice_result (base);
      ck_assert_msg (r == SUBPROC_STAGE_PRIORITY * 1000 + EACCES
                       || r == SUBPROC_STAGE_PRIORITY * 1000 + EPERM,
                     "result %d", r);
      return;
    }
  struct passwd *pw = getpwnam ("nobody");
  if (pw == NULL)
    {
      printf ("priority_negative: no user 'nobody'; the refusal is not "
              "tested\n");
      return;
    }
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int r = -3;
      struct rlimit rl = { 0, 0 };
      if (setrlimit (RLIMIT_NICE, &rl) == 0 && setgid (pw->pw_gid) == 0
          && setuid (pw->pw_uid) == 0)
        r = lower_nice_result (base);
      if (write (p[1], &r, sizeof r) != (ssize_t) sizeof r)
        _exit (2);
      _exit (0);
    }
  test_close (p[1]);
  int r = 0, status;
  ck_assert_int_eq (read (p[0], &r, sizeof r), (ssize_t) sizeof r);
  test_close (p[0]);
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert_msg (r == SUBPROC_STAGE_PRIORITY * 1000 + EACCES
                   || r == SUBPROC_STAGE_PRIORITY * 1000 + EPERM,
                 "result %d", r);
}
END_TEST

#else /* _WIN32 */

/* The priority class of a child with increment INC, as the helper
   reports it.  */
static char *
child_class (int inc)
{
  char *out = NULL;
  subproc_t *cmd = test_helper_cmd ("priority", NULL);
  subproc_set_priority (cmd, inc);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  return out;
}

/* The increment picks the child's priority class.  */
START_TEST (test_priority_class)
{
  static const struct
  {
    int inc;
    const char *want;
  } cases[] = {
    { 19, "class=IDLE\n" },         { 15, "class=IDLE\n" },
    { 14, "class=BELOW_NORMAL\n" }, { 5, "class=BELOW_NORMAL\n" },
    { 4, "class=NORMAL\n" },        { 0, "class=NORMAL\n" },
    { -4, "class=NORMAL\n" },       { -5, "class=ABOVE_NORMAL\n" },
    { -14, "class=ABOVE_NORMAL\n" }, { -15, "class=HIGH\n" },
    { -20, "class=HIGH\n" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *out = child_class (cases[i].inc);
      ck_assert_msg (strcmp (out, cases[i].want) == 0,
                     "increment %d: %s, not %s", cases[i].inc, out,
                     cases[i].want);
      free (out);
    }
}
END_TEST
#endif

/* ------------------------------------------------------------------ */
/* Creation flags.  */

/* Unknown bits and the combinations Windows refuses or ignores are
   builder errors everywhere.  */
START_TEST (test_creation_flags_invalid)
{
  static const unsigned int bad[] = {
    SUBPROC_WIN32_NEW_CONSOLE | SUBPROC_WIN32_DETACHED,
    SUBPROC_WIN32_NO_WINDOW | SUBPROC_WIN32_DETACHED,
    SUBPROC_WIN32_NO_WINDOW | SUBPROC_WIN32_NEW_CONSOLE,
    1u << 10,
    ~0u,
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
      subproc_set_creation_flags (cmd, bad[i]);
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      test_assert_error (cmd, SUBPROC_ERR_INVALID);
      ck_assert_int_eq (subproc_get_error (cmd)->stage, SUBPROC_STAGE_NONE);
      subproc_free (cmd);
    }
}
END_TEST

#ifndef _WIN32
/* POSIX has none of them: a non-zero set is reported at the run; 0 is
   nothing.  */
START_TEST (test_creation_flags_unsupported)
{
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_creation_flags (cmd, SUBPROC_WIN32_NO_WINDOW);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_UNSUPPORTED);
  ck_assert_int_eq (subproc_get_error (cmd)->stage,
                    SUBPROC_STAGE_UNSUPPORTED);
  subproc_set_creation_flags (cmd, 0);
  test_run_ok (cmd);
  subproc_free (cmd);
}
END_TEST

#else /* _WIN32 */

/* Wine (8.0) differs from Windows in what a child shows of its
   creation flags: a new console has no console code page when there is
   no display, and the error mode is never inherited.  */
static bool
under_wine (void)
{
  HMODULE ntdll = GetModuleHandleW (L"ntdll.dll");
  return ntdll && GetProcAddress (ntdll, "wine_get_version") != NULL;
}

/* What the child sees of each flag, as far as it shows under Wine too:
   no console when detached, the standard handles still the library's
   (the output is captured) whatever the console, the default error mode
   instead of the caller's.  */
START_TEST (test_creation_flags_seen)
{
  subproc_t *cmd = test_helper_cmd ("console", NULL);
  subproc_set_creation_flags (cmd, SUBPROC_WIN32_DETACHED);
  char *out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "console=no\n");
  free (out);

  /* The output is captured: the standard handles are the library's
     even with a console of the child's own.  */
  cmd = test_helper_cmd ("console", NULL);
  subproc_set_creation_flags (cmd, SUBPROC_WIN32_NEW_CONSOLE);
  out = test_run_output (cmd, NULL);
  if (under_wine ())
    ck_assert (strcmp (out, "console=yes\n") == 0
               || strcmp (out, "console=no\n") == 0);
  else
    ck_assert_str_eq (out, "console=yes\n");
  free (out);

  cmd = test_helper_cmd ("console", NULL);
  subproc_set_creation_flags (cmd, SUBPROC_WIN32_NO_WINDOW);
  out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "console=yes\n");
  free (out);

  UINT old = SetErrorMode (SEM_FAILCRITICALERRORS | SEM_NOGPFAULTERRORBOX);
  cmd = test_helper_cmd ("error-mode", NULL);
  char *inherited = test_run_output (cmd, NULL);
  cmd = test_helper_cmd ("error-mode", NULL);
  subproc_set_creation_flags (cmd, SUBPROC_WIN32_DEFAULT_ERROR_MODE);
  char *dflt = test_run_output (cmd, NULL);
  SetErrorMode (old);
  unsigned int mode_inherited, mode_default;
  ck_assert_int_eq (sscanf (inherited, "errormode=%x", &mode_inherited), 1);
  ck_assert_int_eq (sscanf (dflt, "errormode=%x", &mode_default), 1);
  ck_assert_uint_eq (mode_default & SEM_NOGPFAULTERRORBOX, 0);
  if (!under_wine ())
    ck_assert_uint_ne (mode_inherited & SEM_NOGPFAULTERRORBOX, 0);
  free (inherited);
  free (dflt);
}
END_TEST

/* A daemon is detached: a console for it is refused at the run.  */
START_TEST (test_creation_flags_daemon)
{
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_daemonize (cmd);
  subproc_set_creation_flags (cmd, SUBPROC_WIN32_NEW_CONSOLE);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
}
END_TEST
#endif

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("remap");
  BOTH_PATHS (s, target_seen);
  BOTH_PATHS (s, cycle);
  BOTH_PATHS (s, chain);
  BOTH_PATHS (s, library_numbers);
  BOTH_PATHS (s, library_numbers_failure);
#ifndef _WIN32
  TEST_CASE (s, library_numbers_handshake);
#endif
  TEST_CASE (s, send_buffer_avoids_target);
  BOTH_PATHS (s, close_parent_rerun);
  TEST_CASE (s, errors);
  BOTH_PATHS (s, target_too_large);
#ifndef _WIN32
  TEST_CASE (s, exec);
  TEST_CASE (s, daemon);
#endif
  TEST_CASE (s, priority_range);
#ifndef _WIN32
  BOTH_PATHS (s, priority_seen);
  TEST_CASE (s, priority_negative);
#else
  TEST_CASE (s, priority_class);
#endif
  TEST_CASE (s, creation_flags_invalid);
#ifndef _WIN32
  TEST_CASE (s, creation_flags_unsupported);
#else
  TEST_CASE (s, creation_flags_seen);
  TEST_CASE (s, creation_flags_daemon);
#endif
  return s;
}

MAIN_SUITE (make_suite)
