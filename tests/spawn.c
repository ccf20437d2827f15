/* spawn.c: starting children on POSIX: lookup, argv, environment,
 * working directory, default stdio and the ways a spawn fails.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Most tests run twice: loop 0 takes the fast path (clone/vfork), loop 1
 * sets a pre-exec hook that does nothing, which forces a fork.  Both must
 * behave the same.  Every test checks that no descriptor and no zombie
 * is left behind.
 */

/* 64-bit file offsets in this program whatever the library was built
   with, so that large_program can make its file over 2 GiB on a 32-bit
   system (config.h defines the same where configure enabled large-file
   support).  */
#define _FILE_OFFSET_BITS 64

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "subproc.h"

/* Run CMD, which must fail with CODE and ERRNO_WANT (0: any).  */
static void
run_fails (subproc_t *cmd, int code, int errno_want)
{
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_msg (e->code == code, "code %d, not %d: %s", e->code, code,
                 e->message);
  if (errno_want)
    ck_assert_msg (e->sys_errno == errno_want, "errno %d, not %d: %s",
                   e->sys_errno, errno_want, e->message);
}

/* A copy of the directory part of the helper's path.  */
static char *
helper_dir (void)
{
  char *dir = strdup (test_helper ());
  ck_assert_ptr_nonnull (dir);
  char *slash = strrchr (dir, '/');
  ck_assert_ptr_nonnull (slash);
  *slash = '\0';
  return dir;
}

/* The base name of the helper.  */
static const char *
helper_base (void)
{
  return strrchr (test_helper (), '/') + 1;
}

/* A file NAME in the temporary directory with TEXT and MODE.  */
static char *
make_file (const char *name, const char *text, mode_t mode)
{
  char *path = test_tmp_path (name);
  test_write_file (path, text, strlen (text));
  ck_assert_int_eq (chmod (path, mode), 0);
  return path;
}

/* ------------------------------------------------------------------ */

START_TEST (test_runs_both_paths)
{
  char *out = test_run_output (test_helper_on (_i, "print", "hi", NULL), NULL);
  ck_assert_str_eq (out, "hi");
  free (out);
}
END_TEST

START_TEST (test_lookup_in_path)
{
  char *dir = helper_dir ();
  char *path = NULL;
  subproc_t *cmd;

  /* A bare name is searched in PATH.  */
  test_setenv ("PATH", dir);
  cmd = subproc_new_arg_list (helper_base (), "print", "found", NULL);
  if (_i)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  char *out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "found");
  free (out);

  /* Empty entries mean the current directory; the program is found
     before the child changes directory.  */
  ck_assert_int_eq (chdir (dir), 0);
  test_setenv ("PATH", "/nonexistent::/also-not");
  cmd = subproc_new_arg_list (helper_base (), "cwd", NULL);
  subproc_set_working_directory (cmd, "/");
  out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "/\n");
  free (out);

  /* A relative path with a slash is resolved against the parent's
     directory, not the child's.  */
  path = malloc (strlen (helper_base ()) + 3);
  ck_assert_ptr_nonnull (path);
  strcpy (path, "./");
  strcat (path, helper_base ());
  cmd = subproc_new_arg_list (path, "print", "relative", NULL);
  subproc_set_working_directory (cmd, "/");
  out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "relative");
  free (out);
  free (path);
  free (dir);
}
END_TEST

START_TEST (test_lookup_failures)
{
  subproc_t *cmd;

  test_setenv ("PATH", test_tmpdir);
  cmd = subproc_new ("subproc-no-such-program");
  run_fails (cmd, SUBPROC_ERR_NOT_FOUND, ENOENT);
  subproc_free (cmd);

  /* Only a non-executable candidate: EACCES.  */
  free (make_file ("plain", "not a program\n", 0644));
  cmd = subproc_new ("plain");
  run_fails (cmd, SUBPROC_ERR_NOT_FOUND, EACCES);
  subproc_free (cmd);

  /* Given with a slash: as given.  */
  char *plain = test_tmp_path ("plain");
  cmd = subproc_new (plain);
  run_fails (cmd, SUBPROC_ERR_NOT_FOUND, EACCES);
  subproc_free (cmd);
  free (plain);

  cmd = subproc_new ("/nonexistent/program");
  run_fails (cmd, SUBPROC_ERR_NOT_FOUND, ENOENT);
  subproc_free (cmd);

  /* A directory cannot be executed.  */
  cmd = subproc_new (test_tmpdir);
  run_fails (cmd, SUBPROC_ERR_NOT_FOUND, EACCES);
  subproc_free (cmd);

  /* PATH unset: the default path, where the helper is not.  */
  test_unsetenv ("PATH");
  cmd = subproc_new (helper_base ());
  run_fails (cmd, SUBPROC_ERR_NOT_FOUND, ENOENT);
  subproc_free (cmd);
}
END_TEST

/* Failures of exec itself come back as SUBPROC_ERR_SPAWN with exec's
   errno, never as exit status 127.  */
START_TEST (test_exec_failures)
{
  if (test_skip_under_valgrind ("valgrind dies when execve fails"))
    return;
  int status = -1;
  char *bad_interp = make_file ("bad-interp", "#!/nonexistent/interp\n",
                                0755);
  subproc_t *cmd = subproc_new (bad_interp);
  if (_i)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  ck_assert_int_eq (subproc_run (cmd, &status), -1);
  ck_assert_int_eq (status, -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_int_eq (e->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (e->sys_errno, ENOENT);
  subproc_free (cmd);
  free (bad_interp);

  char *garbage = make_file ("garbage", "\x7f\x01\x02garbage", 0755);
  cmd = subproc_new (garbage);
  if (_i)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  run_fails (cmd, SUBPROC_ERR_SPAWN, ENOEXEC);
  subproc_free (cmd);

  /* run_async fails the same way and leaves no child.  */
  pid_t pid = 1;
  cmd = subproc_new (garbage);
  if (_i)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SPAWN);
  subproc_free (cmd);
  free (garbage);
}
END_TEST

/* A program over 2 GiB runs: the program check's stat() must not fail
   with EOVERFLOW, as it does on a 32-bit system built without large-file
   support.  The program is a sparse file: a shell script followed by
   zeros that the shell never reads.  */
START_TEST (test_large_program)
{
  static const char script[] = "#!/bin/sh\necho large\nexit 0\n";
  const off_t size = (off_t) 3 << 30;
  char *path = test_tmp_path ("large");

  ck_assert_msg (sizeof (off_t) >= 8, "off_t has %zu bytes",
                 sizeof (off_t));
  int fd = open (path, O_WRONLY | O_CREAT | O_EXCL, 0755);
  ck_assert_int_ge (fd, 0);
  ck_assert_int_eq (write (fd, script, sizeof script - 1),
                    (ssize_t) sizeof script - 1);
  if (ftruncate (fd, size) < 0)
    {
      int err = errno;
      ck_assert_int_eq (close (fd), 0);
      ck_assert_int_eq (unlink (path), 0);
      free (path);
      printf ("skipped: the file system refuses a sparse file of %lld "
              "bytes: %s\n", (long long) size, strerror (err));
      fflush (stdout);
      return;
    }
  ck_assert_int_eq (close (fd), 0);
  ck_assert_int_eq (chmod (path, 0755), 0);

  subproc_t *cmd = subproc_new (path);
  if (_i)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  char *out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "large\n");
  free (out);
  ck_assert_int_eq (unlink (path), 0);
  free (path);
}
END_TEST

START_TEST (test_argv)
{
  static const char *const args[] = {
    "plain", "", "two words", "quote\"s", "'single'", "new\nline",
    "tab\there", "$HOME", "*", "back\\slash", "-", "--", "\xc3\xa9t\xc3\xa9",
    NULL
  };
  subproc_t *cmd = test_helper_on (_i, "argv", NULL);
  subproc_add_arg_set (cmd, args);
  size_t len;
  char *out = test_run_output (cmd, &len);

  size_t off = 0;
  for (size_t k = 0; args[k]; k++)
    {
      ck_assert_uint_lt (off, len);
      ck_assert_str_eq (out + off, args[k]);
      off += strlen (args[k]) + 1;
    }
  ck_assert_uint_eq (off, len);
  free (out);
}
END_TEST

START_TEST (test_env)
{
  /* Inherited by default.  */
  test_setenv ("SUBPROC_SPAWN_TEST", "inherited value");
  char *out = test_run_output (test_helper_on (_i, "getenv", "SUBPROC_SPAWN_TEST", NULL),
                          NULL);
  ck_assert_str_eq (out, "inherited value\n");
  free (out);

  /* Exactly what was added once anything was.  */
  subproc_t *cmd = test_helper_on (_i, "env", NULL);
  subproc_add_env_pair (cmd, "A", "1");
  subproc_add_env_string (cmd, "B=two=2");
  subproc_add_env_pair (cmd, "A", "3");
  size_t len;
  out = test_run_output (cmd, &len);
  /* The order is the library's; both entries and nothing else.  */
  ck_assert_uint_eq (len, strlen ("A=3") + 1 + strlen ("B=two=2") + 1);
  ck_assert (memmem (out, len, "A=3\0", 4) != NULL);
  ck_assert (memmem (out, len, "B=two=2\0", 8) != NULL);
  free (out);

  /* The common set.  */
  test_setenv ("TMPDIR", "/some/tmp");
  cmd = test_helper_on (_i, "getenv", "TMPDIR", "LC_ALL", "SUBPROC_SPAWN_TEST",
                NULL);
  subproc_add_env_pass_common (cmd);
  out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "/some/tmp\nC\n(unset)\n");
  free (out);
}
END_TEST

START_TEST (test_cwd)
{
  char real[PATH_MAX];
  ck_assert_ptr_nonnull (realpath (test_tmpdir, real));
  subproc_t *cmd = test_helper_on (_i, "cwd", NULL);
  subproc_set_working_directory (cmd, test_tmpdir);
  char *out = test_run_output (cmd, NULL);
  char want[PATH_MAX + 2];
  snprintf (want, sizeof want, "%s\n", real);
  ck_assert_str_eq (out, want);
  free (out);

  /* The parent's directory otherwise.  */
  ck_assert_int_eq (chdir (test_tmpdir), 0);
  out = test_run_output (test_helper_on (_i, "cwd", NULL), NULL);
  ck_assert_str_eq (out, want);
  free (out);
}
END_TEST

START_TEST (test_bad_cwd)
{
  char *missing = test_tmp_path ("missing");
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_working_directory (cmd, missing);
  run_fails (cmd, SUBPROC_ERR_SPAWN, ENOENT);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "directory"));
  subproc_free (cmd);

  char *file = make_file ("file", "x", 0644);
  cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_working_directory (cmd, file);
  run_fails (cmd, SUBPROC_ERR_SPAWN, ENOTDIR);
  subproc_free (cmd);
  free (file);
  free (missing);
}
END_TEST

/* Without any stdio setting, 0, 1 and 2 are the null device.  */
START_TEST (test_stdio_null)
{
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  char fd[16];
  snprintf (fd, sizeof fd, "%d", p[1]);
  subproc_t *cmd = test_helper_on (_i, "stdio-null", fd, NULL);
  subproc_pass_fd (cmd, p[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  ck_assert_msg (subproc_run (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
  subproc_free (cmd);
  char buf[64] = "";
  ssize_t n = read (p[0], buf, sizeof buf - 1);
  ck_assert_int_gt (n, 0);
  buf[n] = '\0';
  ck_assert_str_eq (buf, "0=null\n1=null\n2=null\n");
  test_close (p[0]);

  /* With stdout captured, only stdout differs.  */
  char *out = test_run_output (test_helper_on (_i, "stdio-null", NULL), NULL);
  ck_assert_str_eq (out, "0=null\n1=other\n2=null\n");
  free (out);
}
END_TEST

static int
failing_hook (void *opaque)
{
  errno = *(int *) opaque;
  return -1;
}

static int
marking_hook (void *opaque)
{
  /* Runs in the child, after its stdio is in place.  */
  const char *text = opaque;
  return write (1, text, strlen (text)) < 0;
}

START_TEST (test_hook)
{
  int err = EPERM;
  subproc_t *cmd = test_helper_on (0, "print", "never", NULL);
  subproc_set_pre_exec_hook (cmd, failing_hook, &err);
  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  run_fails (cmd, SUBPROC_ERR_HOOK, EPERM);
  subproc_free (cmd);
  /* The program never ran: nothing was captured.  */
  ck_assert (out == NULL || strcmp (out, "") == 0);
  free (out);

  /* A hook that fails without setting errno.  */
  err = 0;
  cmd = test_helper_on (0, "print", "never", NULL);
  subproc_set_pre_exec_hook (cmd, failing_hook, &err);
  run_fails (cmd, SUBPROC_ERR_HOOK, 0);
  ck_assert_int_ne (subproc_get_error (cmd)->sys_errno, 0);
  subproc_free (cmd);

  cmd = test_helper_on (0, "print", " program", NULL);
  subproc_set_pre_exec_hook (cmd, marking_hook, (void *) "hook");
  out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "hook program");
  free (out);
}
END_TEST

START_TEST (test_identity)
{
  char *out;
  subproc_t *cmd = test_helper_on (_i, "ids", NULL);

  if (geteuid () != 0)
    {
      /* Another user's uid is out of reach.  */
      subproc_set_uid (cmd, 0);
      subproc_set_gid (cmd, 0);
      run_fails (cmd, SUBPROC_ERR_SPAWN, EPERM);
      subproc_free (cmd);
      return;
    }
  subproc_set_uid (cmd, 65534);
  subproc_set_gid (cmd, 65534);
  out = test_run_output (cmd, NULL);
  ck_assert_ptr_nonnull (strstr (out, "uid=65534\ngid=65534\n"));
  ck_assert_ptr_nonnull (strstr (out, "euid=65534\negid=65534\n"));
  /* Not root's supplementary groups.  */
  ck_assert_ptr_null (strstr (out, "groups=0"));
  ck_assert_ptr_null (strstr (out, ",0\n"));
  free (out);
}
END_TEST

/* Many children in a row: nothing accumulates.  */
START_TEST (test_many)
{
  for (int k = 0; k < 200; k++)
    {
      subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
      ck_assert_int_eq (subproc_run (cmd, NULL), 0);
      subproc_free (cmd);
    }
}
END_TEST

/* ------------------------------------------------------------------ */

/* A test run on both paths (_i = 0, 1), with a temporary directory and
   the leak check.  */
static Suite *
make_suite (void)
{
  Suite *s = suite_create ("spawn");
  BOTH_PATHS (s, runs_both_paths);
  BOTH_PATHS (s, lookup_in_path);
  BOTH_PATHS (s, lookup_failures);
  BOTH_PATHS (s, exec_failures);
  BOTH_PATHS (s, large_program);
  BOTH_PATHS (s, argv);
  BOTH_PATHS (s, env);
  BOTH_PATHS (s, cwd);
  BOTH_PATHS (s, bad_cwd);
  BOTH_PATHS (s, stdio_null);
  BOTH_PATHS (s, hook);
  BOTH_PATHS (s, identity);
  BOTH_PATHS (s, many);
  return s;
}

MAIN_SUITE (make_suite)
