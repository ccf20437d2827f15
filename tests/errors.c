/* errors.c: the error table, deferred errors, misuse, NULL commands,
 * callbacks and allocation failure.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
# include <sys/stat.h>
#endif

#include "backend.h"
#include "common.h"
#include "subproc.h"

/* TEXT gives each of the N values V a text of its own.  */
static void
assert_distinct (const int *v, size_t n, const char *(*text) (int))
{
  for (size_t i = 0; i < n; i++)
    {
      ck_assert_ptr_nonnull (text (v[i]));
      for (size_t j = 0; j < i; j++)
        ck_assert_str_ne (text (v[i]), text (v[j]));
    }
}

START_TEST (test_table)
{
  ck_assert_str_eq (subproc_strerror (SUBPROC_ERR_OK), "success");
  ck_assert_str_eq (subproc_strerror (SUBPROC_ERR_NOMEM), "out of memory");
  ck_assert_str_eq (subproc_strerror (12345), "unknown error");
  ck_assert_str_eq (subproc_error_name (SUBPROC_ERR_TIMEOUT),
                    "SUBPROC_ERR_TIMEOUT");
  ck_assert_ptr_null (subproc_error_name (-1));
  /* Every code from the table has a distinct name and text.  */
  int codes[] = {
#define CODE_(name, value, text) SUBPROC_ERR_##name,
    SUBPROC_ERROR_TABLE (CODE_)
#undef CODE_
  };
  size_t n = sizeof codes / sizeof codes[0];
  ck_assert_uint_eq (n, 14);
  for (size_t i = 0; i < n; i++)
    {
      ck_assert_ptr_nonnull (subproc_error_name (codes[i]));
      ck_assert_str_ne (subproc_strerror (codes[i]), "unknown error");
    }
  assert_distinct (codes, n, subproc_strerror);
  ck_assert_str_eq (subproc_version (), SUBPROC_VERSION_STRING);
}
END_TEST

/* Every function accepts a NULL command.  */
START_TEST (test_null_command)
{
  int fd = -1;
  char *buf = (char *) 1;
  size_t len = 7;
  char **args = NULL;
  pid_t pid = 0;
  int status = 0;

  subproc_add_arg (NULL, "x");
  subproc_add_arg_pair (NULL, "a", "b");
  subproc_add_arg_format (NULL, "%d", 1);
  subproc_add_arg_set (NULL, (const char *const[]){ "a", NULL });
  subproc_add_arg_list (NULL, "a", NULL);
  subproc_add_env_pass_common (NULL);
  subproc_add_env_pass (NULL, "PATH");
  subproc_add_env_pair (NULL, "A", "B");
  subproc_add_env_string (NULL, "A=B");
  subproc_add_env_format (NULL, "A=%d", 1);
  subproc_add_env_xdg (NULL, "/tmp");
  subproc_daemonize (NULL);
  subproc_set_pid_file (NULL, "/tmp/x");
  subproc_clear_caps (NULL);
  subproc_allow_cap (NULL, 1);
  subproc_no_new_privs (NULL);
  subproc_set_uid (NULL, 0);
  subproc_set_gid (NULL, 0);
  subproc_set_umask (NULL, 022);
  subproc_set_max_memlock (NULL, 1);
  subproc_set_max_processes (NULL, 1);
  subproc_set_max_files (NULL, 1);
  subproc_set_max_core_size (NULL, 1);
  subproc_set_rlimit (NULL, 0, 1, 1);
  subproc_set_max_address_space (NULL, 1);
  subproc_set_max_data (NULL, 1);
  subproc_set_job_memory_limit (NULL, 1);
  subproc_set_max_cpu_time (NULL, 1);
  subproc_new_process_group (NULL);
  subproc_kill_on_parent_exit (NULL);
  subproc_set_timeout (NULL, 1);
  subproc_pass_fd (NULL, 3, 0);
  subproc_set_input_fd (NULL, 0);
  subproc_set_output_fd (NULL, &fd);
  subproc_set_error_fd (NULL, &fd);
  subproc_nonblocking_fds (NULL);
  subproc_set_input_buffer (NULL, "x");
  subproc_set_input_bytes (NULL, "x", 1);
  subproc_set_output_buffer (NULL, &buf);
  ck_assert_ptr_null (buf);
  buf = (char *) 1;
  subproc_set_error_buffer (NULL, &buf);
  ck_assert_ptr_null (buf);
  buf = (char *) 1;
  subproc_set_output_bytes (NULL, &buf, &len);
  ck_assert_ptr_null (buf);
  ck_assert_uint_eq (len, 0);
  subproc_set_error_bytes (NULL, &buf, &len);
  ck_assert_int_eq (subproc_set_send_buffer (NULL, "x", 1), -1);
  subproc_set_max_output (NULL, 1);
  subproc_do_async_io (NULL);
  subproc_set_working_directory (NULL, "/");
  subproc_set_pre_exec_hook (NULL, NULL, NULL);
  subproc_require_handshake (NULL);
  subproc_raw_status (NULL);
  subproc_write_arg_log (NULL, 1);
  subproc_abort (NULL);
  subproc_free (NULL);
  ck_assert_ptr_null (subproc_get_error (NULL));

  /* Calls that owe a result fail, and say so.  */
  ck_assert_ptr_null (subproc_to_string (NULL));
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_get_arg_list (NULL, &args), -1);
  ck_assert_int_eq (subproc_run (NULL, &status), -1);
  ck_assert_int_eq (subproc_run_async (NULL, &pid), -1);
  ck_assert_int_eq (pid, -1);
  ck_assert_int_eq (subproc_wait (NULL, &status), -1);
  ck_assert_int_eq (subproc_handshake_wait (NULL), -1);
  ck_assert_int_eq (subproc_handshake_notify (NULL), -1);
  ck_assert_int_eq (subproc_exec (NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
}
END_TEST

/* Run CMD and check that it fails with CODE and a message holding
   NEEDLE.  Frees CMD.  */
static void
assert_run_fails (subproc_t *cmd, int code, const char *needle)
{
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_ptr_nonnull (err);
  ck_assert_msg (err->code == code, "expected %s, got %s: %s",
                 subproc_error_name (code), subproc_error_name (err->code),
                 err->message);
  ck_assert_msg (strstr (err->message, needle) != NULL,
                 "'%s' not in '%s'", needle, err->message);
  /* The thread's last error is the same.  */
  ck_assert_int_eq (subproc_last_error ()->code, code);
  ck_assert_str_eq (subproc_last_error ()->message, err->message);
  subproc_free (cmd);
}

static int
count_sink (void *opaque, int stream, const char *data, size_t len)
{
  (void) opaque;
  (void) stream;
  (void) data;
  (void) len;
  return 0;
}

static subproc_t *
helper (void)
{
  return subproc_new_arg_list (test_helper (), "exit", "0", NULL);
}

START_TEST (test_misuse)
{
  subproc_t *cmd;
  int fd = -1, fd2 = -1;
  char *out = NULL;

  /* A second input source.  */
  cmd = helper ();
  subproc_set_input_buffer (cmd, "a");
  subproc_set_input_bytes (cmd, "b", 1);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "input already");

  cmd = helper ();
  subproc_set_input_buffer (cmd, "a");
  subproc_set_input_fd (cmd, 0);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "input already");

  /* Descriptors 0, 1, 2 and negative ones cannot be passed.  */
  for (int bad = -1; bad <= 2; bad++)
    {
      cmd = helper ();
      subproc_pass_fd (cmd, bad, 0);
      assert_run_fails (cmd, SUBPROC_ERR_INVALID, "cannot be passed");
    }
  /* A closed descriptor.  */
  cmd = helper ();
  subproc_pass_fd (cmd, 1000, 0);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "not open");
  cmd = helper ();
  subproc_pass_fd (cmd, 1000, 0x100);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "unknown flags");

  /* A buffer and a descriptor for the same stream, either order.  */
  cmd = helper ();
  subproc_set_output_buffer (cmd, &out);
  subproc_set_output_fd (cmd, &fd);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "destination already");
  cmd = helper ();
  subproc_set_error_fd (cmd, &fd2);
  subproc_set_error_buffer (cmd, &out);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "destination already");
  ck_assert_ptr_null (out);

  /* Working directory with daemonize, either order.  */
  cmd = helper ();
  subproc_daemonize (cmd);
  subproc_set_working_directory (cmd, "/");
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "working directory");
  cmd = helper ();
  subproc_set_working_directory (cmd, "/");
  subproc_set_working_directory (cmd, "/");
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "already set");

  /* NULL where a string is due.  */
  cmd = helper ();
  subproc_set_working_directory (cmd, NULL);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "NULL");
  cmd = helper ();
  subproc_set_pid_file (cmd, NULL);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "NULL");
  cmd = helper ();
  subproc_set_input_buffer (cmd, NULL);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "NULL");
  cmd = helper ();
  subproc_set_output_buffer (cmd, NULL);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "NULL");
  cmd = helper ();
  subproc_set_output_fd (cmd, NULL);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "NULL");
  cmd = helper ();
  subproc_set_pre_exec_hook (cmd, NULL, NULL);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "NULL");

  /* Values out of range.  */
  cmd = helper ();
  subproc_set_umask (cmd, 01000);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "mask");
  cmd = helper ();
  subproc_allow_cap (cmd, 64);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "capability");
  cmd = helper ();
  subproc_set_uid (cmd, (subproc_uid_t) -1);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "user id");

  /* Combinations checked when the command runs.  */
  cmd = helper ();
  subproc_set_output_buffer (cmd, &out);
  subproc_daemonize (cmd);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "daemon");
  cmd = helper ();
  subproc_require_handshake (cmd);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "handshake");

  /* Buffers without do_async_io: the wait runs the I/O.  */
  cmd = helper ();
  subproc_set_output_buffer (cmd, &out);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  ck_assert_ptr_nonnull (out);
  ck_assert_str_eq (out, "");
  subproc_free (cmd);
  free (out);
  out = NULL;

  /* A sink and a buffer for one stream.  */
  cmd = helper ();
  subproc_set_output_buffer (cmd, &out);
  subproc_set_output_sink (cmd, count_sink, NULL, 0);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "destination");
  ck_assert_ptr_null (out);
  cmd = helper ();
  subproc_set_error_sink (cmd, count_sink, NULL, 0);
  subproc_set_error_fd (cmd, &fd);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "destination");
  cmd = helper ();
  subproc_set_output_sink (cmd, NULL, NULL, 0);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "subproc_set_output_sink");
  cmd = helper ();
  subproc_set_error_sink (cmd, count_sink, NULL, 1u << 7);
  assert_run_fails (cmd, SUBPROC_ERR_INVALID, "flags");

  cmd = helper ();
  subproc_daemonize (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
}
END_TEST

/* The first error is kept; later ones neither replace it nor act.  */
START_TEST (test_first_error_wins)
{
  subproc_t *cmd = helper ();
  subproc_set_umask (cmd, -5);
  subproc_add_arg (cmd, NULL);
  subproc_add_arg (cmd, "extra");
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message, "mask"));
  ck_assert_ptr_null (subproc_to_string (cmd));
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message, "mask"));
  subproc_free (cmd);
}
END_TEST

START_TEST (test_state)
{
  /* Nothing to wait for.  */
  subproc_t *cmd = helper ();
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_STATE);
  subproc_free (cmd);

  /* A command runs again once its child is reaped, not while it runs.  */
  cmd = helper ();
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);

  /* Changes while the child runs are misuse.  */
  cmd = helper ();
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  subproc_add_arg (cmd, "late");
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_STATE);
  subproc_free (cmd);

  cmd = helper ();
  ck_assert_int_eq (subproc_handshake_notify (cmd), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_STATE);
  subproc_free (cmd);
}
END_TEST

#ifdef _WIN32
# include <io.h>
#else
# include <fcntl.h>
#endif

/* A descriptor passed twice with CLOSE_PARENT, with an error recorded in
   between, is the command's from the first call on and is closed once,
   at free.  The descriptor opened after the second call would take its
   number if that call had closed it (as the lowest free number), and
   free would then close it in its place.  */
START_TEST (test_close_parent_once)
{
  static const unsigned int second_flags[] = {
    SUBPROC_PASS_FD_CLOSE_PARENT,         /* after another builder error */
    SUBPROC_PASS_FD_CLOSE_PARENT | 0x100, /* a call that is an error */
  };
  char *path = test_tmp_path ("passed");
  for (size_t k = 0; k < 2; k++)
    {
      int fd = test_open_write (path);
      subproc_t *cmd = helper ();
      subproc_pass_fd (cmd, fd, SUBPROC_PASS_FD_CLOSE_PARENT);
      if (k == 0)
        subproc_set_umask (cmd, -1);
      subproc_pass_fd (cmd, fd, second_flags[k]);
      ck_assert_ptr_nonnull (subproc_get_error (cmd));
      int other = test_open_write (path);
      subproc_free (cmd);
      ck_assert_msg (test_fd_is_open (other),
                     "descriptor %d, opened after the calls, was closed",
                     other);
      ck_assert_int_ne (other, fd);
      ck_assert (!test_fd_is_open (fd));
      test_close (other);
    }
  free (path);
}
END_TEST

static int callback_calls;
static int callback_code;

static void
on_error (const subproc_error_t *err, void *opaque)
{
  ck_assert_ptr_eq (opaque, &callback_calls);
  callback_calls++;
  callback_code = err->code;
}

START_TEST (test_error_callback)
{
  subproc_set_error_func (on_error, &callback_calls);
  subproc_t *cmd = subproc_new ("subproc-no-such-program-anywhere");
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_ge (callback_calls, 1);
  ck_assert_int_eq (callback_code, SUBPROC_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "subproc-no-such-program-anywhere"));
  subproc_free (cmd);
  subproc_set_error_func (NULL, NULL);
  int before = callback_calls;
  cmd = subproc_new (NULL);
  subproc_free (cmd);
  ck_assert_int_eq (callback_calls, before);
}
END_TEST

/* Allocation failure: subproc_new returns NULL, and the NULL command
   reports NOMEM; a failure in a builder call is reported by the run.  */
START_TEST (test_nomem)
{
  sp_alloc_fail_at (1);
  subproc_t *cmd = subproc_new ("prog");
  sp_alloc_fail_at (0);
  ck_assert_ptr_null (cmd);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);

  cmd = subproc_new ("prog");
  sp_alloc_fail_at (1);
  subproc_add_arg (cmd, "x");
  sp_alloc_fail_at (0);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_NOMEM);
  ck_assert_ptr_null (subproc_to_string (cmd));
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  subproc_free (cmd);

  /* Every allocation of a typical build, one at a time.  */
  for (unsigned long n = 1;; n++)
    {
      sp_alloc_fail_at (n);
      cmd = subproc_new_arg_list ("prog", "a", NULL);
      subproc_add_env_pair (cmd, "A", "b");
      subproc_add_arg_format (cmd, "%d", 5);
      char *line = subproc_to_string (cmd);
      unsigned long used = sp_alloc_count ();
      sp_alloc_fail_at (0);
      if (line)
        {
          free (line);
          subproc_free (cmd);
          ck_assert_uint_lt (used, n);
          break;
        }
      ck_assert (cmd == NULL
                 || subproc_get_error (cmd)->code == SUBPROC_ERR_NOMEM);
      subproc_free (cmd);
    }
}
END_TEST

/* Every stage of the table has a distinct name.  */
START_TEST (test_stage_table)
{
  int stages[] = {
#define STAGE_(name, value, text) SUBPROC_STAGE_##name,
    SUBPROC_STAGE_TABLE (STAGE_)
#undef STAGE_
  };
  size_t n = sizeof stages / sizeof stages[0];
  /* Numbered from 0 in the order of the table, none missing.  */
  ck_assert_int_eq (SUBPROC_STAGE_CGROUP, 34);
  ck_assert_uint_eq (n, 35);
  for (size_t i = 0; i < n; i++)
    {
      ck_assert_int_eq (stages[i], (int) i);
      const char *name = subproc_stage_name (stages[i]);
      ck_assert_ptr_nonnull (name);
      ck_assert_int_eq (strncmp (name, "SUBPROC_STAGE_", 14), 0);
    }
  assert_distinct (stages, n, subproc_stage_name);
  ck_assert_str_eq (subproc_stage_name (SUBPROC_STAGE_NONE),
                    "SUBPROC_STAGE_NONE");
  ck_assert_str_eq (subproc_stage_name (SUBPROC_STAGE_CHDIR),
                    "SUBPROC_STAGE_CHDIR");
  ck_assert_ptr_null (subproc_stage_name (-1));
  ck_assert_ptr_null (subproc_stage_name ((int) n));
}
END_TEST

static void
note_stage (const subproc_error_t *err, void *opaque)
{
  *(int *) opaque = err->stage;
}

/* Run CMD, which must fail with CODE at STAGE, as every reader of the
   error sees it; then free it.  */
static void
run_fails_at (subproc_t *cmd, int code, int stage)
{
  int seen = -1;
  subproc_set_error_func (note_stage, &seen);
  int ret = subproc_run (cmd, NULL);
  subproc_set_error_func (NULL, NULL);
  ck_assert_int_eq (ret, -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_ptr_nonnull (e);
  ck_assert_msg (e->code == code && e->stage == stage,
                 "%s: %s at %s, not %s at %s", e->message,
                 subproc_error_name (e->code), subproc_stage_name (e->stage),
                 subproc_error_name (code), subproc_stage_name (stage));
  ck_assert_int_eq (subproc_last_error ()->stage, stage);
  ck_assert_int_eq (seen, stage);
  subproc_free (cmd);
}

static int
failing_hook (void *opaque)
{
  (void) opaque;
  errno = EPERM;
  return -1;
}

/* A failed start names the step that failed.  */
START_TEST (test_stage_of_start)
{
  char *missing = test_tmp_path ("missing");
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_working_directory (cmd, missing);
  run_fails_at (cmd, SUBPROC_ERR_SPAWN, SUBPROC_STAGE_CHDIR);

  run_fails_at (subproc_new ("subproc-no-such-program-anywhere"),
                SUBPROC_ERR_NOT_FOUND, SUBPROC_STAGE_LOOKUP);
  run_fails_at (subproc_new (missing), SUBPROC_ERR_NOT_FOUND,
                SUBPROC_STAGE_LOOKUP);

  char *garbage = test_garbage_program ();
  run_fails_at (subproc_new (garbage), SUBPROC_ERR_SPAWN,
                SUBPROC_STAGE_EXEC);

  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_pre_exec_hook (cmd, failing_hook, NULL);
  run_fails_at (cmd, SUBPROC_ERR_HOOK, SUBPROC_STAGE_HOOK);
  free (garbage);
  free (missing);
}
END_TEST

/* Errors that are no failed step have no stage: a failed exit, a
   builder error (even one that takes the place of a failed start), a
   dry run's; a run that succeeds has no error.  */
START_TEST (test_stage_none)
{
  run_fails_at (test_helper_cmd ("exit", "3", NULL),
                SUBPROC_ERR_EXIT_STATUS, SUBPROC_STAGE_NONE);

  char *missing = test_tmp_path ("missing");
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_working_directory (cmd, missing);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->stage, SUBPROC_STAGE_CHDIR);
  subproc_set_umask (cmd, -1);
  run_fails_at (cmd, SUBPROC_ERR_INVALID, SUBPROC_STAGE_NONE);

  cmd = test_helper_cmd ("exit", "0", NULL);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  ck_assert_ptr_null (subproc_get_error (cmd));
  subproc_free (cmd);

  /* A dry run starts nothing: the missing directory is never entered.  */
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_working_directory (cmd, missing);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  ck_assert_ptr_null (subproc_get_error (cmd));
  subproc_free (cmd);
  free (subproc_dry_run_end ());
  free (missing);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("errors");
  TEST_CASE (s, table);
  TEST_CASE (s, null_command);
  TEST_CASE (s, misuse);
  TEST_CASE (s, first_error_wins);
  TEST_CASE (s, state);
  TEST_CASE_WITH_TMPDIR (s, close_parent_once);
  TEST_CASE (s, error_callback);
  TEST_CASE (s, nomem);
  TEST_CASE (s, stage_table);
  TEST_CASE_WITH_TMPDIR (s, stage_of_start);
  TEST_CASE_WITH_TMPDIR (s, stage_none);
  return s;
}

MAIN_SUITE (make_suite)
