/* childopts.c: what the child sees that other spawning APIs let callers
 * choose: an inherited environment less some names, an argv[0] of its
 * own, a session of its own, standard streams from and to files.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _WIN32
# include <io.h>
#else
# include <signal.h>
# include <unistd.h>
#endif

#include "common.h"
#include "subproc.h"

/* Does the NUL-separated list OUT (LEN bytes) hold ENTRY?  */
static bool
has_entry (const char *out, size_t len, const char *entry)
{
  for (size_t off = 0; off < len; off += strlen (out + off) + 1)
    if (strcmp (out + off, entry) == 0)
      return true;
  return false;
}

/* ------------------------------------------------------------------ */
/* Removing names from the environment.  */

START_TEST (test_unset_inherited)
{
  test_setenv ("SUBPROC_CO_A", "a");
  test_setenv ("SUBPROC_CO_B", "b");

  subproc_t *cmd = test_helper_on (_i, "getenv", "SUBPROC_CO_A",
                                   "SUBPROC_CO_B", NULL);
  subproc_unset_env (cmd, "SUBPROC_CO_A");
  subproc_unset_env (cmd, "SUBPROC_CO_NEVER_SET");
  subproc_unset_env (cmd, "SUBPROC_CO_A");
  /* Still inheriting: the line names no variable.  */
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  ck_assert_ptr_null (strstr (line, "="));
  free (line);

  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  ck_assert_str_eq (out, "(unset)\nb\n");
  free (out);

  /* The parent's environment at the run, not at the builder call.  */
  test_setenv ("SUBPROC_CO_B", "changed");
  test_run_ok (cmd);
  ck_assert_str_eq (out, "(unset)\nchanged\n");
  free (out);
  subproc_free (cmd);

  /* Everything else is there, as without the removal.  */
  size_t len;
  out = test_run_output (test_helper_on (_i, "env", NULL), &len);
  cmd = test_helper_on (_i, "env", NULL);
  subproc_unset_env (cmd, "SUBPROC_CO_A");
  size_t len2;
  char *out2 = test_run_output (cmd, &len2);
  ck_assert (has_entry (out, len, "SUBPROC_CO_A=a"));
  ck_assert (!has_entry (out2, len2, "SUBPROC_CO_A=a"));
  ck_assert (has_entry (out2, len2, "SUBPROC_CO_B=changed"));
#ifndef _WIN32
  /* Windows adds variables of its own to every child.  */
  ck_assert_uint_eq (len2, len - strlen ("SUBPROC_CO_A=a") - 1);
#endif
  free (out);
  free (out2);

  test_unsetenv ("SUBPROC_CO_A");
  test_unsetenv ("SUBPROC_CO_B");
}
END_TEST

START_TEST (test_unset_custom)
{
  test_setenv ("SUBPROC_CO_C", "c");

  subproc_t *cmd = test_helper_on (_i, "getenv", "A", "B", "SUBPROC_CO_C",
                                   NULL);
  subproc_add_env_pair (cmd, "A", "1");
  subproc_add_env_pair (cmd, "B", "2");
  subproc_add_env_pair (cmd, "D", "4");
  subproc_unset_env (cmd, "A");
  subproc_unset_env (cmd, "NOT_ADDED");
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  ck_assert_ptr_nonnull (strstr (line, "B=2 D=4 "));
  ck_assert_ptr_eq (strstr (line, "B=2 D=4 "), line);
  free (line);
  char *out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "(unset)\n2\n(unset)\n");
  free (out);

  /* A name removed while inheriting, then an add: the environment is
     what was added, and an add after a removal sets the name again.  */
  cmd = test_helper_on (_i, "getenv", "A", "B", "SUBPROC_CO_C", NULL);
  subproc_unset_env (cmd, "B");
  subproc_add_env_pair (cmd, "B", "two");
  subproc_add_env_pair (cmd, "A", "1");
  subproc_unset_env (cmd, "A");
  subproc_add_env_pair (cmd, "A", "again");
  out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "again\ntwo\n(unset)\n");
  free (out);

#ifndef _WIN32
  /* Exactly what is left (Windows adds variables to every child).  */
  cmd = test_helper_on (_i, "env", NULL);
  subproc_add_env_pair (cmd, "X", "1");
  subproc_add_env_pair (cmd, "Y", "2");
  subproc_add_env_pair (cmd, "Z", "3");
  subproc_unset_env (cmd, "Y");
  size_t len;
  out = test_run_output (cmd, &len);
  ck_assert_uint_eq (len, 8);
  ck_assert_mem_eq (out, "X=1\0Z=3\0", 8);
  free (out);
#endif
  test_unsetenv ("SUBPROC_CO_C");
}
END_TEST

/* Names compare as the platform compares them.  */
START_TEST (test_unset_case)
{
  test_setenv ("SUBPROC_CO_CASE", "v");
  subproc_t *cmd = test_helper_cmd ("getenv", "SUBPROC_CO_CASE", NULL);
  subproc_unset_env (cmd, "subproc_co_Case");
  char *out = test_run_output (cmd, NULL);
#ifdef _WIN32
  ck_assert_str_eq (out, "(unset)\n");
#else
  ck_assert_str_eq (out, "v\n");
#endif
  free (out);

  cmd = test_helper_cmd ("getenv", "SUBPROC_CO_CASE", NULL);
  subproc_add_env_pair (cmd, "SUBPROC_CO_CASE", "w");
  subproc_unset_env (cmd, "Subproc_Co_Case");
  out = test_run_output (cmd, NULL);
#ifdef _WIN32
  ck_assert_str_eq (out, "(unset)\n");
#else
  ck_assert_str_eq (out, "w\n");
#endif
  free (out);
  test_unsetenv ("SUBPROC_CO_CASE");
}
END_TEST

START_TEST (test_unset_invalid)
{
  const char *bad[] = { "", "A=B", "=A", NULL };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
      subproc_unset_env (cmd, bad[i]);
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      test_assert_error (cmd, SUBPROC_ERR_INVALID);
      /* A builder error: it stays.  */
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      test_assert_error (cmd, SUBPROC_ERR_INVALID);
      ck_assert_ptr_null (subproc_to_string (cmd));
      subproc_free (cmd);
    }
  /* NULL commands are accepted.  */
  subproc_unset_env (NULL, "A");
  subproc_set_argv0 (NULL, "x");
  subproc_new_session (NULL);
  subproc_set_input_file (NULL, "x");
  subproc_set_output_file (NULL, "x", 0);
  subproc_set_error_file (NULL, "x", SUBPROC_FILE_APPEND);
}
END_TEST

/* ------------------------------------------------------------------ */
/* argv[0].  */

START_TEST (test_argv0)
{
  /* A '"' cannot be in the first word of a Windows command line.  */
#ifdef _WIN32
  const char *name = "my name is 'helper'";
#else
  const char *name = "my name is \"helper\"\\";
#endif
  subproc_t *cmd = test_helper_on (_i, "argv0", NULL);
  subproc_set_argv0 (cmd, "first name");
  subproc_set_argv0 (cmd, name);
  /* The line shows the program that runs.  */
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  ck_assert_ptr_null (strstr (line, "my name"));
  free (line);
  char *out = test_run_output (cmd, NULL);
  ck_assert_uint_eq (strlen (out), strlen (name) + 1);
  ck_assert_mem_eq (out, name, strlen (name));
  free (out);

  cmd = test_helper_on (_i, "argv0", NULL);
  subproc_set_argv0 (cmd, "spaced name\\");
#ifdef _WIN32
  /* Quoted, the final backslash would escape the closing quote for
     some runtimes: refused.  */
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_get_error (cmd)->stage, SUBPROC_STAGE_QUOTING);
  subproc_free (cmd);
  cmd = test_helper_on (_i, "argv0", NULL);
  subproc_set_argv0 (cmd, "unspaced\\");
  out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "unspaced\\\n");
  free (out);
#else
  out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "spaced name\\\n");
  free (out);
#endif

  /* The arguments after it are unchanged.  */
  cmd = test_helper_on (_i, "argv", "x", "", "z", NULL);
  subproc_set_argv0 (cmd, "other");
  size_t len;
  out = test_run_output (cmd, &len);
  ck_assert_uint_eq (len, 5);
  ck_assert_mem_eq (out, "x\0\0z\0", 5);
  free (out);

  /* Without it, the program as named.  */
  out = test_run_output (test_helper_cmd ("argv0", NULL), NULL);
  char *want = malloc (strlen (test_helper ()) + 2);
  ck_assert_ptr_nonnull (want);
  sprintf (want, "%s\n", test_helper ());
  ck_assert_str_eq (out, want);
  free (want);
  free (out);

  cmd = test_helper_cmd ("argv0", NULL);
  subproc_set_argv0 (cmd, NULL);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
}
END_TEST

#ifdef _WIN32
START_TEST (test_argv0_quote_refused)
{
  /* The first word of a command line cannot hold '"'.  */
  subproc_t *cmd = test_helper_cmd ("argv0", NULL);
  subproc_set_argv0 (cmd, "a\"b");
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_get_error (cmd)->stage, SUBPROC_STAGE_QUOTING);
  subproc_free (cmd);
}
END_TEST
#else
START_TEST (test_argv0_empty)
{
  subproc_t *cmd = test_helper_on (_i, "argv0", NULL);
  subproc_set_argv0 (cmd, "");
  char *out = test_run_output (cmd, NULL);
  ck_assert_str_eq (out, "\n");
  free (out);
}
END_TEST
#endif

/* ------------------------------------------------------------------ */
/* A session of its own.  */

#ifdef _WIN32
START_TEST (test_new_session_unsupported)
{
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_new_session (cmd);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_UNSUPPORTED);
  ck_assert_int_eq (subproc_get_error (cmd)->stage,
                    SUBPROC_STAGE_UNSUPPORTED);
  subproc_free (cmd);

  /* Refused before the files are opened: nothing is truncated.  */
  char *out = test_tmp_path ("out");
  test_write_file (out, "kept", 4);
  cmd = test_helper_cmd ("print", "x", NULL);
  subproc_set_output_file (cmd, out, 0);
  subproc_new_session (cmd);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_UNSUPPORTED);
  subproc_free (cmd);
  char *text = test_read_file (out, NULL);
  ck_assert_str_eq (text, "kept");
  free (text);
  free (out);
}
END_TEST
#else
/* The value of "KEY=" in the helper's pgid output.  */
static long
pgid_field (const char *out, const char *key)
{
  const char *p = strstr (out, key);
  ck_assert_msg (p != NULL, "'%s' lacks '%s'", out, key);
  return strtol (p + strlen (key), NULL, 10);
}

START_TEST (test_new_session)
{
  subproc_t *cmd = test_helper_on (_i, "pgid", NULL);
  subproc_new_session (cmd);
  char *out = test_run_output (cmd, NULL);
  long pid = pgid_field (out, "pid=");
  ck_assert_int_eq (pgid_field (out, "\nsid="), pid);
  ck_assert_int_eq (pgid_field (out, "\npgid="), pid);
  free (out);

  /* With a new process group as well: the same.  */
  cmd = test_helper_on (_i, "pgid", NULL);
  subproc_new_process_group (cmd);
  subproc_new_session (cmd);
  out = test_run_output (cmd, NULL);
  pid = pgid_field (out, "pid=");
  ck_assert_int_eq (pgid_field (out, "\nsid="), pid);
  ck_assert_int_eq (pgid_field (out, "\npgid="), pid);
  free (out);

  /* Without: the parent's session.  */
  out = test_run_output (test_helper_on (_i, "pgid", NULL), NULL);
  ck_assert_int_eq (pgid_field (out, "\nsid="), (long) getsid (0));
  free (out);
}
END_TEST

/* Start "tree N" in a new session, with a timeout of TIMEOUT_MS (0:
   none): *OUT its output pipe, KIDS the grandchildren's pids.  */
static subproc_t *
session_tree (int path, int n, unsigned int timeout_ms, int *out, long *kids)
{
  char line[64];
  subproc_t *cmd = test_helper_on (path, "tree", n == 1 ? "1" : "2", NULL);
  subproc_new_session (cmd);
  subproc_set_timeout (cmd, timeout_ms);
  *out = -1;
  subproc_set_output_fd (cmd, out);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  for (int k = 0; k < n; k++)
    {
      ck_assert (test_read_line (*out, line, sizeof line));
      kids[k] = strtol (line, NULL, 10);
      ck_assert_int_gt (kids[k], 0);
    }
  return cmd;
}

/* The group a session leader leads gets the library's signals: a
   grandchild dies with it.  */
START_TEST (test_new_session_group_signals)
{
  int out;
  long kids[2];

  /* subproc_send_signal.  */
  subproc_t *cmd = session_tree (_i, 2, 0, &out, kids);
  ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_SIGNALED);
  subproc_free (cmd);
  for (int k = 0; k < 2; k++)
    ck_assert_msg (test_pid_ends_within (kids[k], 5000),
                   "grandchild %ld lives", kids[k]);
  test_close (out);

  /* The timeout.  */
  cmd = session_tree (_i, 2, 200, &out, kids);
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_TIMEOUT);
  subproc_free (cmd);
  for (int k = 0; k < 2; k++)
    ck_assert_msg (test_pid_ends_within (kids[k], 5000),
                   "grandchild %ld lives", kids[k]);
  test_close (out);

  /* subproc_abort.  */
  cmd = session_tree (_i, 1, 0, &out, kids);
  subproc_abort (cmd);
  subproc_free (cmd);
  ck_assert_msg (test_pid_ends_within (kids[0], 5000),
                 "grandchild %ld lives", kids[0]);
  test_close (out);
}
END_TEST

/* A daemon is in a session of its own, and stays the same with it.  */
START_TEST (test_new_session_daemon)
{
  char *pidfile = test_tmp_path ("pid");
  char *outfile = test_tmp_path ("out");
  subproc_t *cmd = test_helper_cmd ("pgid", NULL);
  subproc_daemonize (cmd);
  subproc_new_session (cmd);
  subproc_set_pid_file (cmd, pidfile);
  subproc_set_output_file (cmd, outfile, 0);
  test_run_ok (cmd);
  subproc_free (cmd);
  char *pid_text = test_read_file (pidfile, NULL);
  long pid = strtol (pid_text, NULL, 10);
  free (pid_text);
  ck_assert (test_pid_ends_within (pid, 10000));
  char *out = test_read_file (outfile, NULL);
  ck_assert_int_eq (pgid_field (out, "pid="), pid);
  /* Not the leader of its session: it cannot acquire a terminal.  */
  ck_assert_int_ne (pgid_field (out, "\nsid="), pid);
  ck_assert_int_ne (pgid_field (out, "\nsid="), (long) getsid (0));
  free (out);
  free (pidfile);
  free (outfile);
}
END_TEST
#endif

/* ------------------------------------------------------------------ */
/* Files.  */

START_TEST (test_output_files)
{
  char *out = test_tmp_path ("out"), *err = test_tmp_path ("err");
  size_t len;

  /* Truncated, and created.  */
  test_write_file (out, "old content that is longer", 26);
  subproc_t *cmd = test_helper_on (_i, "interleave", "2", NULL);
  subproc_set_output_file (cmd, out, 0);
  subproc_set_error_file (cmd, err, 0);
  test_run_ok (cmd);
  char *text = test_read_file (out, &len);
  ck_assert_str_eq (text, "out 0\nout 1\n");
  free (text);
  text = test_read_file (err, NULL);
  ck_assert_str_eq (text, "err 0\nerr 1\n");
  free (text);

  /* Every run opens them again: truncated again.  */
  test_write_file (out, "replaced by the caller, and long", 32);
  test_run_ok (cmd);
  text = test_read_file (out, &len);
  ck_assert_str_eq (text, "out 0\nout 1\n");
  free (text);
  subproc_free (cmd);

  /* Appended to, every run.  */
  test_write_file (out, "old\n", 4);
  cmd = test_helper_on (_i, "interleave", "1", NULL);
  subproc_set_output_file (cmd, out, SUBPROC_FILE_APPEND);
  subproc_set_error_file (cmd, err, SUBPROC_FILE_APPEND);
  test_run_ok (cmd);
  test_run_ok (cmd);
  subproc_free (cmd);
  text = test_read_file (out, NULL);
  ck_assert_str_eq (text, "old\nout 0\nout 0\n");
  free (text);
  text = test_read_file (err, NULL);
  ck_assert_str_eq (text, "err 0\nerr 1\nerr 0\nerr 0\n");
  free (text);

  /* Appending creates a missing file.  */
  char *fresh = test_tmp_path ("fresh");
  cmd = test_helper_on (_i, "print", "new", NULL);
  subproc_set_output_file (cmd, fresh, SUBPROC_FILE_APPEND);
  test_run_ok (cmd);
  subproc_free (cmd);
  text = test_read_file (fresh, NULL);
  ck_assert_str_eq (text, "new");
  free (text);
  free (fresh);

  /* One file for both: one offset, in the order written.  */
  cmd = test_helper_on (_i, "interleave", "2", NULL);
  subproc_set_output_file (cmd, out, 0);
  subproc_set_error_file (cmd, out, 0);
  test_run_ok (cmd);
  subproc_free (cmd);
  text = test_read_file (out, NULL);
  ck_assert_str_eq (text, "out 0\nerr 0\nout 1\nerr 1\n");
  free (text);

  free (out);
  free (err);
}
END_TEST

#ifndef _WIN32
START_TEST (test_output_file_mode)
{
  char *out = test_tmp_path ("out");
  mode_t old = umask (027);
  subproc_t *cmd = test_helper_on (_i, "print", "x", NULL);
  subproc_set_output_file (cmd, out, 0);
  test_run_ok (cmd);
  subproc_free (cmd);
  umask (old);
  struct stat st;
  ck_assert_int_eq (stat (out, &st), 0);
  ck_assert_int_eq (st.st_mode & 0777, 0640);
  free (out);
}
END_TEST
#endif

START_TEST (test_input_file)
{
  char *in = test_tmp_path ("in");
  test_write_file (in, "bin\0\xff\r\n", 7);
  subproc_t *cmd = test_helper_on (_i, "echo", NULL);
  subproc_set_input_file (cmd, in);
  char *out = NULL;
  size_t len;
  subproc_set_output_bytes (cmd, &out, &len);
  test_run_ok (cmd);
  ck_assert_uint_eq (len, 7);
  ck_assert_mem_eq (out, "bin\0\xff\r\n", 7);
  free (out);

  /* Read from the start again, as it is now.  */
  test_write_file (in, "second", 6);
  test_run_ok (cmd);
  ck_assert_str_eq (out, "second");
  free (out);
  subproc_free (cmd);
  free (in);
}
END_TEST

/* Run CMD, which must fail to open the file of STREAM (named NAME) with
   ERR, leaving no descriptor open.  */
static void
open_fails (subproc_t *cmd, const char *stream, const char *name, int err)
{
  int fds = test_count_open_fds ();
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (test_count_open_fds (), fds);
  const subproc_error_t *e = subproc_get_error (cmd);
  test_assert_error (cmd, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (e->stage, SUBPROC_STAGE_OPEN);
  ck_assert_str_eq (subproc_stage_name (e->stage), "SUBPROC_STAGE_OPEN");
  ck_assert_msg (e->sys_errno == err, "errno %d, not %d: %s", e->sys_errno,
                 err, e->message);
  ck_assert_msg (strstr (e->message, stream) != NULL, "'%s' lacks '%s'",
                 e->message, stream);
  ck_assert_msg (strstr (e->message, name) != NULL, "'%s' lacks '%s'",
                 e->message, name);
  ck_assert_msg (strstr (e->message, "opening a file failed") != NULL,
                 "'%s'", e->message);
}

START_TEST (test_file_cannot_open)
{
  char *missing = test_tmp_path ("missing");
  char *in_dir = test_tmp_path ("nodir/out");
  char *out = test_tmp_path ("out");

  subproc_t *cmd = test_helper_on (_i, "echo", NULL);
  subproc_set_input_file (cmd, missing);
  open_fails (cmd, "the input file", missing, ENOENT);
  /* A failed run: once the file is there, the command runs.  */
  test_write_file (missing, "here", 4);
  char *text = NULL;
  subproc_set_output_buffer (cmd, &text);
  test_run_ok (cmd);
  ck_assert_str_eq (text, "here");
  free (text);
  subproc_free (cmd);

  /* The output file opened, the error file not: nothing left open, and
     the run never started the child.  */
  cmd = test_helper_on (_i, "print", "x", NULL);
  subproc_set_output_file (cmd, out, 0);
  subproc_set_error_file (cmd, in_dir, SUBPROC_FILE_APPEND);
  open_fails (cmd, "the error file", in_dir, ENOENT);
  subproc_free (cmd);
  text = test_read_file (out, NULL);
  ck_assert_str_eq (text, "");
  free (text);

  cmd = test_helper_on (_i, "print", "x", NULL);
  subproc_set_output_file (cmd, in_dir, 0);
  open_fails (cmd, "the output file", in_dir, ENOENT);
  subproc_free (cmd);

#ifndef _WIN32
  /* A directory cannot be written.  */
  cmd = test_helper_on (_i, "print", "x", NULL);
  subproc_set_output_file (cmd, test_tmpdir, 0);
  open_fails (cmd, "the output file", test_tmpdir, EISDIR);
  subproc_free (cmd);
#endif

  free (missing);
  free (in_dir);
  free (out);
}
END_TEST

/* A stream takes one source or destination, as between the older
   calls.  */
START_TEST (test_file_conflicts)
{
  char *path = test_tmp_path ("f");
  int fd = 1;
  char *buf = NULL;

  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_output_fd (cmd, &fd);
  subproc_set_output_file (cmd, path, 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_error_file (cmd, path, 0);
  subproc_set_error_buffer (cmd, &buf);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_output_file (cmd, path, 0);
  subproc_set_output_file (cmd, path, SUBPROC_FILE_APPEND);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_input_buffer (cmd, "x");
  subproc_set_input_file (cmd, path);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_input_file (cmd, path);
  subproc_set_input_fd (cmd, 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  const char *bad_paths[] = { "", NULL };
  for (size_t i = 0; i < 2; i++)
    {
      cmd = test_helper_cmd ("exit", "0", NULL);
      subproc_set_output_file (cmd, bad_paths[i], 0);
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      test_assert_error (cmd, SUBPROC_ERR_INVALID);
      subproc_free (cmd);
    }

  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_error_file (cmd, path, 1u << 5);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  /* Different streams are no conflict.  */
  cmd = test_helper_cmd ("interleave", "1", NULL);
  subproc_set_output_file (cmd, path, 0);
  subproc_set_error_buffer (cmd, &buf);
  test_run_ok (cmd);
  ck_assert_str_eq (buf, "err 0\n");
  free (buf);
  subproc_free (cmd);
  free (path);
}
END_TEST

/* A dry run opens nothing.  */
START_TEST (test_file_dry_run)
{
  char *path = test_tmp_path ("missing/out");
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  subproc_t *cmd = subproc_new ("prog");
  subproc_set_output_file (cmd, path, 0);
  subproc_set_input_file (cmd, path);
  subproc_set_argv0 (cmd, "name");
  subproc_unset_env (cmd, "HOME");
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  subproc_free (cmd);
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "prog\n");
  free (log);
  free (path);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("childopts");
  BOTH_PATHS (s, unset_inherited);
  BOTH_PATHS (s, unset_custom);
  TEST_CASE (s, unset_case);
  TEST_CASE (s, unset_invalid);
  BOTH_PATHS (s, argv0);
#ifdef _WIN32
  TEST_CASE (s, argv0_quote_refused);
  TEST_CASE_WITH_TMPDIR (s, new_session_unsupported);
#else
  BOTH_PATHS (s, argv0_empty);
  BOTH_PATHS (s, new_session);
  BOTH_PATHS (s, new_session_group_signals);
  TEST_CASE_WITH_TMPDIR (s, new_session_daemon);
  BOTH_PATHS (s, output_file_mode);
#endif
  BOTH_PATHS (s, output_files);
  BOTH_PATHS (s, input_file);
  BOTH_PATHS (s, file_cannot_open);
  TEST_CASE_WITH_TMPDIR (s, file_conflicts);
  TEST_CASE_WITH_TMPDIR (s, file_dry_run);
  return s;
}

MAIN_SUITE (make_suite)
