/* rerun.c: a command is a template that runs again.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Once its child is reaped (by subproc_wait, by subproc_run's own wait,
 * or by subproc_abort) a command runs again with the same program,
 * arguments, environment and options, and builder calls between the runs
 * change the next one, as libvirt's own tests and Rust's Command expect.
 * A failed run leaves nothing behind that stops the next one; a builder
 * error stays.  A descriptor passed with SUBPROC_PASS_FD_CLOSE_PARENT,
 * which one run consumed, makes a later run fail clearly instead of
 * passing whatever has the number now; send buffers are sent again.
 */

#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _WIN32
# include <direct.h>
# include <fcntl.h>
# include <io.h>
# define pipe(fds) _pipe ((fds), 65536, _O_BINARY | _O_NOINHERIT)
# define dup2 _dup2
#else
# include <fcntl.h>
# include <signal.h>
# include <sys/wait.h>
# include <unistd.h>
#endif

#include "common.h"
#include "subproc.h"

/* ------------------------------------------------------------------ */
/* Descriptors and files.  */

/* Put an open file under descriptor number FD, which must be free (the
   test is single-threaded): something that took the number of a
   descriptor the library closed.  PATH: the file.  */
static void
occupy_fd (int fd, const char *path)
{
  ck_assert (!test_fd_is_open (fd));
  int tmp = test_open_write (path);
  if (tmp != fd)
    {
      /* _dup2 returns 0, dup2 the descriptor.  */
      ck_assert_int_ne (dup2 (tmp, fd), -1);
      test_close (tmp);
    }
  ck_assert (test_fd_is_open (fd));
}

static char *
num (int n)
{
  static char buf[4][16];
  static int k;
  k = (k + 1) % 4;
  snprintf (buf[k], sizeof buf[k], "%d", n);
  return buf[k];
}

/* The exit code in a raw status.  */
static int
raw_exit_code (int raw)
{
#ifdef _WIN32
  return raw;
#else
  ck_assert (WIFEXITED (raw));
  return WEXITSTATUS (raw);
#endif
}

static void
run_ok (subproc_t *cmd, int *status)
{
  ck_assert_msg (subproc_run (cmd, status) == 0, "%s",
                 subproc_get_error (cmd)->message);
  ck_assert_ptr_null (subproc_get_error (cmd));
}

static void
assert_error (subproc_t *cmd, int code)
{
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_ptr_nonnull (err);
  ck_assert_msg (err->code == code, "expected %s, got %s: %s",
                 subproc_error_name (code), subproc_error_name (err->code),
                 err->message);
}

/* ------------------------------------------------------------------ */

/* Make the directory DIR.  */
static void
make_dir (const char *dir)
{
#ifdef _WIN32
  ck_assert_int_eq (_mkdir (dir), 0);
#else
  ck_assert_int_eq (mkdir (dir, 0755), 0);
#endif
}

/* Make PROG a copy of the helper, executable.  */
static void
install_program (const char *prog)
{
  size_t size;
  char *bytes = test_read_file (test_helper (), &size);
  test_write_file (prog, bytes, size);
  free (bytes);
#ifndef _WIN32
  ck_assert_int_eq (chmod (prog, 0755), 0);
#endif
}

/* A path in the test's directory for a program that does not exist yet
   (a copy of the helper, later), with the helper's extension.  */
static char *
later_program (void)
{
  const char *ext = strrchr (test_helper (), '.');
  char name[32];
  snprintf (name, sizeof name, "prog%s",
            ext && strchr (ext, '/') == NULL && strchr (ext, '\\') == NULL
              ? ext
              : "");
  return test_tmp_path (name);
}

/* The same command twice, then changed between runs, synchronously and
   asynchronously: every run sees the program, arguments, environment and
   options, and every run fills the caller's buffer anew.  */
START_TEST (test_run_twice)
{
  char *out = NULL;
  subproc_t *cmd = test_helper_on (_i, "getenv", "REPEAT", NULL);
  subproc_add_env_pair (cmd, "REPEAT", "same");
  subproc_set_output_buffer (cmd, &out);
  subproc_set_timeout (cmd, 60000);
  run_ok (cmd, NULL);
  char *first = out;
  ck_assert_str_eq (first, "same\n");
  run_ok (cmd, NULL);
  /* A buffer of its own; the first one is still the caller's.  */
  ck_assert_ptr_ne (out, first);
  ck_assert_str_eq (out, "same\n");
  ck_assert_str_eq (first, "same\n");
  free (first);
  free (out);

  /* Builder calls between runs change the next one.  */
  subproc_add_arg (cmd, "EXTRA");
  subproc_add_env_pair (cmd, "EXTRA", "added");
  subproc_add_env_pair (cmd, "REPEAT", "changed");
  run_ok (cmd, NULL);
  ck_assert_str_eq (out, "changed\nadded\n");
  free (out);

  subproc_do_async_io (cmd);
  for (int k = 0; k < 2; k++)
    {
      int status = -1;
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      ck_assert_int_eq (subproc_wait (cmd, &status), 0);
      ck_assert_int_eq (status, 0);
      ck_assert_str_eq (out, "changed\nadded\n");
      free (out);
    }
  run_ok (cmd, NULL);
  ck_assert_str_eq (out, "changed\nadded\n");
  subproc_free (cmd);
  free (out);
}
END_TEST

/* A run that fails, however it fails, is not sticky: the next run after
   a builder call that fixes it succeeds, and subproc_get_error describes
   the last run (NULL once it succeeded).  The command can be shown in
   between.  */
START_TEST (test_failed_run_not_sticky)
{
  int status = -1;

  /* Exit status, then raw status asked for.  */
  subproc_t *cmd = test_helper_on (_i, "exit", "3", NULL);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  free (line);
  subproc_raw_status (cmd);
  run_ok (cmd, &status);
  ck_assert_int_eq (raw_exit_code (status), 3);
  subproc_free (cmd);

  /* An abnormal end.  */
#ifdef _WIN32
  cmd = test_helper_on (_i, "signal", "SEGV", NULL);
#else
  cmd = test_helper_on (_i, "signal", "TERM", NULL);
#endif
  ck_assert_int_eq (subproc_run (cmd, &status), -1);
  assert_error (cmd, SUBPROC_ERR_SIGNALED);
  subproc_raw_status (cmd);
  status = 0;
  run_ok (cmd, &status);
#ifdef _WIN32
  ck_assert_uint_eq ((unsigned int) status, 0xC0000005u);
#else
  ck_assert (WIFSIGNALED (status) && WTERMSIG (status) == SIGTERM);
#endif
  subproc_free (cmd);

  /* A timeout: the child waits for the end of its input, which comes
     only after the first run.  */
  int p[2];
  char *out = NULL;
  ck_assert_int_eq (pipe (p), 0);
  cmd = test_helper_on (_i, "consume", NULL);
  subproc_set_input_fd (cmd, p[0]);
  subproc_set_output_buffer (cmd, &out);
  subproc_set_timeout (cmd, 200);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_TIMEOUT);
  free (out);
  test_close (p[1]);
  subproc_set_timeout (cmd, 0);
  run_ok (cmd, NULL);
  ck_assert_str_eq (out, "0\n");
  free (out);
  subproc_free (cmd);
  test_close (p[0]);

  /* The output limit.  */
  size_t len = 0;
  cmd = test_helper_on (_i, "write-bytes", "100", NULL);
  subproc_set_output_bytes (cmd, &out, &len);
  subproc_set_max_output (cmd, 10);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_IO);
  ck_assert_uint_eq (len, 10);
  free (out);
  subproc_set_max_output (cmd, 0);
  run_ok (cmd, NULL);
  ck_assert_uint_eq (len, 100);
  free (out);
  subproc_free (cmd);

  /* A working directory that does not exist yet: the spawn fails.  */
  char *dir = test_tmp_path ("later");
  cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_working_directory (cmd, dir);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_SPAWN);
  make_dir (dir);
  run_ok (cmd, NULL);
  subproc_free (cmd);
  free (dir);

  /* A program that does not exist yet.  */
  char *prog = later_program ();
  cmd = subproc_new_arg_list (prog, "exit", "4", NULL);
  if (_i == 1)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  ck_assert_int_eq (subproc_run (cmd, &status), -1);
  assert_error (cmd, SUBPROC_ERR_NOT_FOUND);
  install_program (prog);
  status = -1;
  run_ok (cmd, &status);
  ck_assert_int_eq (status, 4);
  subproc_free (cmd);
  free (prog);
}
END_TEST

/* Tells the hook below whether to fail.  */
static int
hook_fails (void *opaque)
{
  if (*(const int *) opaque)
    {
      errno = EDOM;
      return 1;
    }
  return 0;
}

START_TEST (test_hook_failure_not_sticky)
{
  int fail = 1;
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_pre_exec_hook (cmd, hook_fails, &fail);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_HOOK);
  fail = 0;
  run_ok (cmd, NULL);
  subproc_free (cmd);
}
END_TEST

/* While the child runs, a run is misuse and so is a builder call: both
   change nothing, the wait still reports the child, and the command runs
   again.  */
START_TEST (test_run_while_running)
{
  int p[2], status = -1;
  ck_assert_int_eq (pipe (p), 0);
  subproc_t *cmd = test_helper_on (_i, "consume", NULL);
  subproc_set_input_fd (cmd, p[0]);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "still running"));
  pid_t pid = 1;
  ck_assert_int_eq (subproc_run_async (cmd, &pid), -1);
  ck_assert_int_eq (pid, -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_STATE);
  /* Refused before anything is done to this process.  */
  ck_assert_int_eq (subproc_exec (cmd), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_STATE);
  test_close (p[1]);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_ptr_null (subproc_get_error (cmd));
  /* Reaped: it runs again.  */
  run_ok (cmd, NULL);
  subproc_free (cmd);

  /* Builder calls while the child runs (an option, an argument, the
     environment): each is refused, changes nothing, and is the error
     until the next call; the wait reports the child, and the command
     runs again as it was.  */
  char *out = NULL;
  cmd = test_helper_on (_i, "consume", NULL);
  subproc_set_input_fd (cmd, p[0]);
  subproc_set_output_buffer (cmd, &out);
  subproc_do_async_io (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  subproc_set_timeout (cmd, 10);
  assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_STATE);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "while its child is running"));
  subproc_add_arg (cmd, "late");
  assert_error (cmd, SUBPROC_ERR_STATE);
  subproc_add_env_pair (cmd, "LATE", "1");
  assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_ptr_nonnull (strstr (subproc_last_error ()->message,
                                 "while its child is running"));
  status = -1;
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_ptr_null (subproc_get_error (cmd));
  ck_assert_str_eq (out, "0\n");
  free (out);
  /* No argument "late", no timeout, no variable.  */
  run_ok (cmd, NULL);
  ck_assert_str_eq (out, "0\n");
  free (out);
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  ck_assert_ptr_null (strstr (line, "late"));
  ck_assert_ptr_null (strstr (line, "LATE"));
  free (line);
  subproc_free (cmd);
  test_close (p[0]);
}
END_TEST

/* subproc_abort reaps the child: the command runs again.  */
START_TEST (test_rerun_after_abort)
{
  pid_t pid = 0;
  int status = -1;
  subproc_t *cmd = test_helper_on (_i, "sleep-forever", NULL);
  for (int k = 0; k < 2; k++)
    {
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      subproc_abort (cmd);
    }
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  ck_assert_int_gt (pid, 0);
  subproc_abort (cmd);
  subproc_free (cmd);

  /* A pid handed over, and the child reaped by the command's wait.  */
  cmd = test_helper_on (_i, "exit", "6", NULL);
  for (int k = 0; k < 2; k++)
    {
      pid = 0;
      ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
      ck_assert_int_gt (pid, 0);
      ck_assert_int_eq (subproc_wait (cmd, &status), 0);
      ck_assert_int_eq (status, 6);
    }
  subproc_free (cmd);
}
END_TEST

/* subproc_get_error describes the last run: the first error of a run
   that failed, NULL after one that succeeded.  A call made in the wrong
   state is reported as itself, and does not take the place of the run's
   error.  */
START_TEST (test_get_error_last_run)
{
  subproc_t *cmd = test_helper_on (_i, "exit", "9", NULL);
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_STATE);
  int status = -1;
  run_ok (cmd, &status);
  ck_assert_int_eq (status, 9);

  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "status 9"));
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_STATE);
  assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);
  ck_assert_int_eq (subproc_handshake_notify (cmd), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_STATE);
  assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);

  run_ok (cmd, &status);
  ck_assert_int_eq (status, 9);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_ptr_null (subproc_get_error (cmd));
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_ptr_null (subproc_get_error (cmd));

  /* A builder error stays, whatever runs.  */
  subproc_set_umask (cmd, -1);
  assert_error (cmd, SUBPROC_ERR_INVALID);
  for (int k = 0; k < 2; k++)
    {
      ck_assert_int_eq (subproc_run (cmd, &status), -1);
      assert_error (cmd, SUBPROC_ERR_INVALID);
    }
  subproc_free (cmd);
}
END_TEST

/* A descriptor passed with CLOSE_PARENT was closed after the first
   spawn: a rerun that still lists it fails and leaves alone whatever has
   the number now; passing a descriptor under that number again makes
   the command run.  */
START_TEST (test_close_parent_consumed)
{
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  int n = p[1];
  subproc_t *cmd = test_helper_on (_i, "fd-write", num (n), "one", NULL);
  subproc_pass_fd (cmd, n, SUBPROC_PASS_FD_CLOSE_PARENT);
  run_ok (cmd, NULL);
  ck_assert (!test_fd_is_open (n));
  char *text = test_read_fd (p[0]);
  ck_assert_str_eq (text, "one");
  free (text);
  test_close (p[0]);

  /* The number now belongs to a file nobody passed.  */
  char *path = test_tmp_path ("taken");
  occupy_fd (n, path);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_STATE);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_int_eq (err->sys_errno, EBADF);
  char want[64];
  snprintf (want, sizeof want, "descriptor %d was passed", n);
  ck_assert_msg (strstr (err->message, want) != NULL, "message: %s",
                 err->message);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_exec (cmd), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_STATE);
  ck_assert (test_fd_is_open (n));
  size_t len = 99;
  free (test_read_file (path, &len));
  ck_assert_uint_eq (len, 0);

  /* Passed again: the run writes to it, and closes it.  */
  subproc_pass_fd (cmd, n, SUBPROC_PASS_FD_CLOSE_PARENT);
  run_ok (cmd, NULL);
  ck_assert (!test_fd_is_open (n));
  text = test_read_file (path, NULL);
  ck_assert_str_eq (text, "one");
  free (text);

  /* Passed again without the flag: the caller keeps it, and every run
     passes it.  */
  occupy_fd (n, path);
  subproc_pass_fd (cmd, n, 0);
  run_ok (cmd, NULL);
  run_ok (cmd, NULL);
  ck_assert (test_fd_is_open (n));
  subproc_free (cmd);
  ck_assert (test_fd_is_open (n));
  test_close (n);
  text = test_read_file (path, NULL);
  ck_assert_str_eq (text, "oneone");
  free (text);
  free (path);
}
END_TEST

/* The input is sent again to every run.  */
START_TEST (test_input_sent_again)
{
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = test_helper_on (_i, "echo", NULL);
  subproc_set_input_bytes (cmd, "in\0put", 6);
  subproc_set_output_bytes (cmd, &out, &len);
  for (int k = 0; k < 3; k++)
    {
      run_ok (cmd, NULL);
      ck_assert_uint_eq (len, 6);
      ck_assert (memcmp (out, "in\0put", 6) == 0);
      free (out);
    }
  subproc_free (cmd);

  cmd = test_helper_on (_i, "consume", NULL);
  subproc_set_input_buffer (cmd, "twelve bytes");
  subproc_set_output_buffer (cmd, &out);
  subproc_do_async_io (cmd);
  for (int k = 0; k < 2; k++)
    {
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
      ck_assert_str_eq (out, "12\n");
      free (out);
    }
  subproc_free (cmd);
}
END_TEST

/* A send buffer is sent again by every run.  Its pipe is made by the
   builder call, and the child is told the number of the read end, which
   the command keeps open until free: every later run puts the read end
   of a new pipe under that number.  Also after a run that failed before
   the spawn (no program yet) or in the child (no working directory
   yet), asynchronously, and after the number was passed again with
   SUBPROC_PASS_FD_CLOSE_PARENT, which changes nothing.  */
START_TEST (test_send_buffer_sent_again)
{
  char *out = NULL;
  char *prog = later_program ();
  char *dir = test_tmp_path ("later");
  subproc_t *cmd = subproc_new (prog);
  if (_i == 1)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  int fd = subproc_set_send_buffer (cmd, "secret", 6);
  ck_assert_int_gt (fd, 2);
  int unread = subproc_set_send_buffer (cmd, "unread", 6);
  ck_assert_int_gt (unread, 2);
  subproc_add_arg (cmd, "fd-read");
  subproc_add_arg (cmd, num (fd));
  subproc_set_output_buffer (cmd, &out);

  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_NOT_FOUND);
  ck_assert_ptr_null (out);
  ck_assert (test_fd_is_open (fd));
  install_program (prog);

  for (int k = 0; k < 2; k++)
    {
      run_ok (cmd, NULL);
      ck_assert_str_eq (out, "secret");
      free (out);
      ck_assert (test_fd_is_open (fd));
      ck_assert (test_fd_is_open (unread));
    }

  subproc_set_working_directory (cmd, dir);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_SPAWN);
  free (out);
  make_dir (dir);
  run_ok (cmd, NULL);
  ck_assert_str_eq (out, "secret");
  free (out);

  subproc_do_async_io (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  ck_assert_str_eq (out, "secret");
  free (out);

  subproc_pass_fd (cmd, fd, SUBPROC_PASS_FD_CLOSE_PARENT);
  ck_assert_ptr_null (subproc_get_error (cmd));
  run_ok (cmd, NULL);
  ck_assert_str_eq (out, "secret");
  free (out);
  ck_assert (test_fd_is_open (fd));
  run_ok (cmd, NULL);
  ck_assert_str_eq (out, "secret");
  free (out);

  subproc_free (cmd);
  ck_assert (!test_fd_is_open (fd));
  ck_assert (!test_fd_is_open (unread));
  free (prog);
  free (dir);
}
END_TEST

/* Every run gives the caller's variables fresh buffers; the buffers of
   an earlier run are the caller's, and a run that fills nothing leaves
   NULL, never a buffer the caller may have freed.  */
START_TEST (test_output_buffers_fresh)
{
  char *out = NULL, *err = NULL;
  size_t out_len = 0;
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  subproc_t *cmd = test_helper_on (_i, "print", "a", NULL);
  subproc_set_output_bytes (cmd, &out, &out_len);
  subproc_pass_fd (cmd, p[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  run_ok (cmd, NULL);
  ck_assert_uint_eq (out_len, 1);
  ck_assert_str_eq (out, "a");
  free (out);
  test_close (p[0]);
  /* The descriptor is gone: this run fails before any spawn.  */
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_ptr_null (out);
  ck_assert_uint_eq (out_len, 0);
  subproc_free (cmd);

  /* A builder error: the same.  */
  cmd = test_helper_on (_i, "print", "b", NULL);
  subproc_set_output_buffer (cmd, &out);
  run_ok (cmd, NULL);
  ck_assert_str_eq (out, "b");
  free (out);
  subproc_set_umask (cmd, -1);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_ptr_null (out);
  subproc_free (cmd);

  /* Interleaved, twice.  */
  cmd = test_helper_on (_i, "interleave", "2", NULL);
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &out);
  for (int k = 0; k < 2; k++)
    {
      run_ok (cmd, NULL);
      ck_assert_str_eq (out, "out 0\nerr 0\nout 1\nerr 1\n");
      free (out);
    }
  subproc_free (cmd);

  /* A failed exit: the error output is in the buffer and the message.  */
  cmd = test_helper_on (_i, "err-exit", "bad", "1", NULL);
  subproc_set_error_buffer (cmd, &err);
  for (int k = 0; k < 2; k++)
    {
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);
      ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                     ": bad"));
      ck_assert_str_eq (err, "bad\n");
      free (err);
    }
  subproc_free (cmd);
}
END_TEST

/* A stream that a run made a pipe for gets a new pipe at every run,
   whatever the variable holds then (the old read end is the
   caller's).  */
START_TEST (test_output_fd_pipe_each_run)
{
  int fd = -1;
  subproc_t *cmd = test_helper_on (_i, "print", "piped", NULL);
  subproc_set_output_fd (cmd, &fd);
  run_ok (cmd, NULL);
  int first = fd;
  ck_assert_int_ge (first, 0);
  run_ok (cmd, NULL);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_ne (fd, first);
  char *text = test_read_fd (first);
  ck_assert_str_eq (text, "piped");
  free (text);
  test_close (first);
  text = test_read_fd (fd);
  ck_assert_str_eq (text, "piped");
  free (text);
  test_close (fd);
  /* The closed number in the variable does not matter either.  */
  run_ok (cmd, NULL);
  text = test_read_fd (fd);
  ck_assert_str_eq (text, "piped");
  free (text);
  test_close (fd);
  subproc_free (cmd);

  /* A descriptor the caller gives is used by every run.  */
  char *path = test_tmp_path ("out");
  int file = test_open_write (path);
  fd = file;
  cmd = test_helper_on (_i, "print", "x", NULL);
  subproc_set_output_fd (cmd, &fd);
  run_ok (cmd, NULL);
  run_ok (cmd, NULL);
  ck_assert_int_eq (fd, file);
  subproc_free (cmd);
  test_close (file);
  text = test_read_file (path, NULL);
  ck_assert_str_eq (text, "xx");
  free (text);
  free (path);
}
END_TEST

/* The pid file is written by every run, with that run's child.  */
START_TEST (test_pid_file_each_run)
{
  char *path = test_tmp_path ("child.pid");
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_pid_file (cmd, path);
  for (int k = 0; k < 2; k++)
    {
      pid_t pid = 0;
      ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
      char *text = test_read_file (path, NULL);
      ck_assert_int_eq (atol (text), (long) pid);
      free (text);
      ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
    }
  run_ok (cmd, NULL);
  subproc_free (cmd);
  free (path);
}
END_TEST

#ifndef _WIN32
/* A daemon reruns: another daemon.  With a pid file, a second one is
   refused while the first lives (it holds the file's lock), and starts
   once it is gone.  */
START_TEST (test_daemon_rerun)
{
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_daemonize (cmd);
  run_ok (cmd, NULL);
  run_ok (cmd, NULL);
  subproc_free (cmd);

  char *path = test_tmp_path ("daemon.pid");
  cmd = test_helper_on (_i, "sleep-forever", NULL);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, path);
  run_ok (cmd, NULL);
  char *text = test_read_file (path, NULL);
  long pid = atol (text);
  free (text);
  ck_assert_int_gt (pid, 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_SPAWN);
  test_kill_pid (pid);
  ck_assert (test_pid_ends_within (pid, 10000));
  run_ok (cmd, NULL);
  text = test_read_file (path, NULL);
  pid = atol (text);
  free (text);
  ck_assert_int_gt (pid, 0);
  test_kill_pid (pid);
  ck_assert (test_pid_ends_within (pid, 10000));
  subproc_free (cmd);
  free (path);
}
END_TEST
#endif

/* A handshake at every run, a dry run among them.  */
START_TEST (test_handshake_rerun)
{
  int status = -1;
  subproc_t *cmd = test_helper_cmd ("exit", "7", NULL);
  subproc_require_handshake (cmd);
  for (int k = 0; k < 3; k++)
    {
      if (k == 1)
        ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
      ck_assert_int_eq (subproc_handshake_notify (cmd), 0);
      ck_assert_int_eq (subproc_wait (cmd, &status), 0);
      ck_assert_int_eq (status, k == 1 ? 0 : 7);
      if (k == 1)
        free (subproc_dry_run_end ());
    }
  /* Held, then waited for without a notify: an error, and reaped.  */
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), -1);
  assert_error (cmd, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  ck_assert_int_eq (subproc_handshake_notify (cmd), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 7);
  subproc_free (cmd);
}
END_TEST

#ifndef _WIN32
/* A child that fails before the handshake: the wait reaps it and
   reports why, and the command runs again.  */
START_TEST (test_handshake_failure_reaped)
{
  int fail = 1, status = -1;
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_require_handshake (cmd);
  subproc_set_pre_exec_hook (cmd, hook_fails, &fail);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), -1);
  assert_error (cmd, SUBPROC_ERR_HOOK);
  ck_assert_int_eq (subproc_wait (cmd, &status), -1);
  assert_error (cmd, SUBPROC_ERR_HOOK);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, EDOM);
  ck_assert_int_eq (status, -1);
  fail = 0;
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  ck_assert_int_eq (subproc_handshake_notify (cmd), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  subproc_free (cmd);
}
END_TEST
#endif

#ifndef _WIN32
/* A child whose status was lost (SIGCHLD ignored): the wait reports it,
   and the next run lets go of the lost child and runs.  */
START_TEST (test_rerun_after_lost_child)
{
  ck_assert_ptr_ne (signal (SIGCHLD, SIG_IGN), SIG_ERR);
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  for (int k = 0; k < 2; k++)
    {
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
      assert_error (cmd, SUBPROC_ERR_SYSTEM);
      ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, ECHILD);
    }
  subproc_free (cmd);
  signal (SIGCHLD, SIG_DFL);
}
END_TEST
#endif

static void
fake (subproc_dry_run_io_t *io, void *opaque)
{
  (void) opaque;
  io->output = "fake";
  io->status = 5;
}

/* In dry-run mode a command reruns too, and consumes nothing: a
   descriptor passed with CLOSE_PARENT stays open until free.  */
START_TEST (test_dry_run_rerun)
{
  int p[2], status = -1;
  char *out = NULL;
  ck_assert_int_eq (pipe (p), 0);
  ck_assert_int_eq (subproc_dry_run_begin (fake, NULL), 0);
  subproc_t *cmd = subproc_new_arg_list ("prog", "a", NULL);
  subproc_pass_fd (cmd, p[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_set_output_buffer (cmd, &out);
  run_ok (cmd, &status);
  ck_assert_int_eq (status, 5);
  char *first = out;
  ck_assert_str_eq (first, "fake");
  subproc_add_arg (cmd, "more");
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);
  ck_assert_ptr_ne (out, first);
  ck_assert_str_eq (out, "fake");
  free (first);
  free (out);
  subproc_do_async_io (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 5);
  free (out);
  ck_assert (test_fd_is_open (p[1]));
  subproc_free (cmd);
  ck_assert (!test_fd_is_open (p[1]));
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "prog a\nprog a more\nprog a more\n");
  free (log);
  test_close (p[0]);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("rerun");
  BOTH_PATHS (s, run_twice);
  BOTH_PATHS (s, failed_run_not_sticky);
  TEST_CASE_WITH_TMPDIR (s, hook_failure_not_sticky);
  BOTH_PATHS (s, run_while_running);
  BOTH_PATHS (s, rerun_after_abort);
  BOTH_PATHS (s, get_error_last_run);
  BOTH_PATHS (s, close_parent_consumed);
  BOTH_PATHS (s, input_sent_again);
  BOTH_PATHS (s, send_buffer_sent_again);
  BOTH_PATHS (s, output_buffers_fresh);
  BOTH_PATHS (s, output_fd_pipe_each_run);
  BOTH_PATHS (s, pid_file_each_run);
#ifndef _WIN32
  BOTH_PATHS (s, daemon_rerun);
#endif
  TEST_CASE_WITH_TMPDIR (s, handshake_rerun);
#ifndef _WIN32
  TEST_CASE_WITH_TMPDIR (s, handshake_failure_reaped);
  BOTH_PATHS (s, rerun_after_lost_child);
#endif
  TEST_CASE_WITH_TMPDIR (s, dry_run_rerun);
  return s;
}

MAIN_SUITE (make_suite)
