/* hostile.c: the hostile-input matrix.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One table: each row builds a command from one hostile input (a NULL
 * pointer for a pointer argument of a public function, a negative, closed
 * or huge descriptor, options that conflict, a bad variable name, a
 * program that cannot run, a huge argv or argument, a working directory
 * that goes away) and says which call must report which error, as
 * lib/subproc.h and the manual document it.  Each row runs as a test of
 * its own (a loop test), in a fresh temporary directory, with the leak
 * check of tests/common.h: no descriptor left open, no child left
 * unreaped.  Memory is checked by the sanitizer and valgrind runs of the
 * suite.  Rows that only make sense on one platform are in #if blocks
 * that say why.
 */

#include <config.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#ifdef _WIN32
# include <direct.h>
# include <io.h>
#else
# include <unistd.h>
#endif

#include "common.h"
#include "subproc.h"

/* Which call reports the row's result.  */
enum when
{
  AT_RUN,        /* subproc_run (cmd, NULL) */
  AT_ASYNC,      /* subproc_run_async (cmd, NULL), then subproc_wait */
  AT_TO_STRING,  /* subproc_to_string */
  AT_SELF        /* the row's function checks everything itself */
};

typedef struct row
{
  const char *name;
  subproc_t *(*make) (void);
  enum when when;
  int code;       /* the documented error, SUBPROC_ERR_OK for success */
  int sys_errno;  /* the documented errno, 0 when none is documented */
} row_t;

/* Buffers that rows hand to the library; freed after each row.  */
static char *buf_out, *buf_err;
static size_t len_out;

static subproc_t *
helper_exit0 (void)
{
  return test_helper_cmd ("exit", "0", NULL);
}

/* A descriptor number that is not open: one that was, just before.  */
static int
closed_fd (void)
{
  char *path = test_tmp_path ("closed");
  int fd = test_open_write (path);
  test_close (fd);
  free (path);
  return fd;
}

/* ------------------------------------------------------------------ */
/* NULL for every pointer argument.  */

static subproc_t *
new_null (void)
{
  return subproc_new (NULL);
}

static subproc_t *
new_empty (void)
{
  return subproc_new ("");
}

static subproc_t *
new_args_null (void)
{
  return subproc_new_args (NULL);
}

static subproc_t *
new_args_first_null (void)
{
  static const char *const argv[] = { NULL };
  return subproc_new_args (argv);
}

static subproc_t *
new_arg_list_null (void)
{
  return subproc_new_arg_list (NULL, "x", NULL);
}

static subproc_t *
new_va_list_null (void)
{
  return test_via_va_list (NULL, "x", "y", NULL);
}

static subproc_t *
add_arg_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_arg (cmd, NULL);
  return cmd;
}

static subproc_t *
add_arg_pair_null_name (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_arg_pair (cmd, NULL, "v");
  return cmd;
}

static subproc_t *
add_arg_pair_null_value (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_arg_pair (cmd, "n", NULL);
  return cmd;
}

/* A NULL format, hidden from the compiler's format check.  */
static const char *volatile null_format;

#if defined __GNUC__
# pragma GCC diagnostic push
# pragma GCC diagnostic ignored "-Wformat-nonliteral"
# pragma GCC diagnostic ignored "-Wformat-security"
#endif

static subproc_t *
add_arg_format_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_arg_format (cmd, null_format);
  return cmd;
}

static subproc_t *
env_format_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_format (cmd, null_format);
  return cmd;
}

#if defined __GNUC__
# pragma GCC diagnostic pop
#endif

static subproc_t *
add_arg_set_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_arg_set (cmd, NULL);
  return cmd;
}

static subproc_t *
get_arg_list_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  ck_assert_int_eq (subproc_get_arg_list (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_INVALID);
  /* Recorded: the run reports it too.  */
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
  return NULL;
}

static subproc_t *
env_pass_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_pass (cmd, NULL);
  return cmd;
}

static subproc_t *
env_pair_null_name (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_pair (cmd, NULL, "v");
  return cmd;
}

static subproc_t *
env_pair_null_value (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_pair (cmd, "N", NULL);
  return cmd;
}

static subproc_t *
env_string_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_string (cmd, NULL);
  return cmd;
}

static subproc_t *
env_xdg_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_xdg (cmd, NULL);
  return cmd;
}

static subproc_t *
pid_file_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_pid_file (cmd, NULL);
  return cmd;
}

static subproc_t *
pid_file_empty (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_pid_file (cmd, "");
  return cmd;
}

static subproc_t *
output_fd_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_output_fd (cmd, NULL);
  return cmd;
}

static subproc_t *
error_fd_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_error_fd (cmd, NULL);
  return cmd;
}

static subproc_t *
input_buffer_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_input_buffer (cmd, NULL);
  return cmd;
}

static subproc_t *
input_bytes_null_len (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_input_bytes (cmd, NULL, 5);
  return cmd;
}

/* Documented as valid: the child reads end of file at once.  */
static subproc_t *
input_bytes_null_empty (void)
{
  subproc_t *cmd = test_helper_cmd ("consume", NULL);
  subproc_set_input_bytes (cmd, NULL, 0);
  subproc_set_output_buffer (cmd, &buf_out);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  ck_assert_str_eq (buf_out, "0\n");
  subproc_free (cmd);
  return NULL;
}

static subproc_t *
output_buffer_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_output_buffer (cmd, NULL);
  return cmd;
}

static subproc_t *
error_buffer_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_error_buffer (cmd, NULL);
  return cmd;
}

static subproc_t *
output_bytes_null_buf (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_output_bytes (cmd, NULL, &len_out);
  return cmd;
}

static subproc_t *
output_bytes_null_len (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_output_bytes (cmd, &buf_out, NULL);
  ck_assert_ptr_null (buf_out);
  return cmd;
}

static subproc_t *
error_bytes_null_buf (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_error_bytes (cmd, NULL, &len_out);
  return cmd;
}

static subproc_t *
error_bytes_null_len (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_error_bytes (cmd, &buf_err, NULL);
  ck_assert_ptr_null (buf_err);
  return cmd;
}

static subproc_t *
send_buffer_null_data (void)
{
  subproc_t *cmd = helper_exit0 ();
  ck_assert_int_eq (subproc_set_send_buffer (cmd, NULL, 5), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  return cmd;
}

/* Documented as valid: an empty send buffer.  */
static subproc_t *
send_buffer_null_empty (void)
{
  subproc_t *cmd = helper_exit0 ();
  int fd = subproc_set_send_buffer (cmd, NULL, 0);
  ck_assert_int_gt (fd, 2);
  char num[16];
  snprintf (num, sizeof num, "%d", fd);
  subproc_free (cmd);
  cmd = test_helper_cmd ("fd-read", NULL);
  fd = subproc_set_send_buffer (cmd, NULL, 0);
  ck_assert_int_gt (fd, 2);
  subproc_add_arg_format (cmd, "%d", fd);
  subproc_set_output_buffer (cmd, &buf_out);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  ck_assert_str_eq (buf_out, "");
  subproc_free (cmd);
  return NULL;
}

static subproc_t *
working_directory_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_working_directory (cmd, NULL);
  return cmd;
}

static subproc_t *
working_directory_empty (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_working_directory (cmd, "");
  return cmd;
}

static subproc_t *
hook_null (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_pre_exec_hook (cmd, NULL, &len_out);
  return cmd;
}

/* The functions that take no command.  */
static subproc_t *
commandless_nulls (void)
{
  ck_assert_ptr_null (subproc_get_error (NULL));
  ck_assert_int_eq (subproc_pid_wait (0, NULL, false), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_last_error ()->sys_errno, EINVAL);
  ck_assert_int_eq (subproc_pid_wait (-1, NULL, true), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_INVALID);
  subproc_pid_abort (0);
  subproc_pid_abort (-1);
  subproc_set_error_func (NULL, &len_out);
  subproc_set_log_func (NULL, &len_out);
  ck_assert_ptr_nonnull (subproc_strerror (INT_MIN));
  ck_assert_ptr_null (subproc_error_name (INT_MAX));
  ck_assert_ptr_null (subproc_dry_run_end ());
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  subproc_t *cmd = subproc_new_arg_list ("prog", "a b", NULL);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  subproc_free (cmd);
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "prog 'a b'\n");
  free (log);
  return NULL;
}

/* A NULL command: every call that owes a result reports NOMEM.  */
static subproc_t *
null_command_results (void)
{
  char **args = (char **) &len_out;
  pid_t pid = 5;
  int status = 7;

  ck_assert_ptr_null (subproc_to_string (NULL));
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  subproc_set_error_func (NULL, NULL);
  ck_assert_int_eq (subproc_get_arg_list (NULL, &args), -1);
  ck_assert_ptr_null (args);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_get_arg_list (NULL, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_run (NULL, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_run (NULL, &status), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_run_async (NULL, &pid), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_run_async (NULL, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_wait (NULL, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_handshake_wait (NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_handshake_notify (NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_exec (NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);
  ck_assert_int_eq (subproc_set_send_buffer (NULL, NULL, 0), -1);
  subproc_write_arg_log (NULL, -1);
  subproc_abort (NULL);
  subproc_free (NULL);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* Descriptors.  */

static subproc_t *
pass_fd_negative (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_pass_fd (cmd, INT_MIN, SUBPROC_PASS_FD_CLOSE_PARENT);
  return cmd;
}

static subproc_t *
pass_fd_closed (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_pass_fd (cmd, closed_fd (), 0);
  return cmd;
}

static subproc_t *
pass_fd_huge (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_pass_fd (cmd, INT_MAX, SUBPROC_PASS_FD_CLOSE_PARENT);
  return cmd;
}

static subproc_t *
input_fd_negative (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_input_fd (cmd, -1);
  return cmd;
}

static subproc_t *
input_fd_closed (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_input_fd (cmd, closed_fd ());
  return cmd;
}

static subproc_t *
input_fd_huge (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_input_fd (cmd, INT_MAX);
  return cmd;
}

static int fd_value;

static subproc_t *
output_fd_negative (void)
{
  subproc_t *cmd = helper_exit0 ();
  fd_value = -2;
  subproc_set_output_fd (cmd, &fd_value);
  return cmd;
}

static subproc_t *
output_fd_closed (void)
{
  subproc_t *cmd = helper_exit0 ();
  fd_value = closed_fd ();
  subproc_set_output_fd (cmd, &fd_value);
  return cmd;
}

static subproc_t *
error_fd_huge (void)
{
  subproc_t *cmd = helper_exit0 ();
  fd_value = INT_MAX;
  subproc_set_error_fd (cmd, &fd_value);
  return cmd;
}

static subproc_t *
arg_log_bad_fd (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_write_arg_log (cmd, closed_fd ());
  return cmd;
}

static subproc_t *
arg_log_huge_fd (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_write_arg_log (cmd, INT_MAX);
  return cmd;
}

/* ------------------------------------------------------------------ */
/* Options that conflict.  */

static subproc_t *
output_fd_then_bytes (void)
{
  subproc_t *cmd = helper_exit0 ();
  fd_value = -1;
  subproc_set_output_fd (cmd, &fd_value);
  subproc_set_output_bytes (cmd, &buf_out, &len_out);
  return cmd;
}

static subproc_t *
error_buffer_twice (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_error_buffer (cmd, &buf_err);
  subproc_set_error_buffer (cmd, &buf_out);
  return cmd;
}

static subproc_t *
input_bytes_then_fd (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_input_bytes (cmd, "x", 1);
  subproc_set_input_fd (cmd, 0);
  return cmd;
}

static subproc_t *
hook_twice (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  return cmd;
}

static subproc_t *
daemon_async (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_daemonize (cmd);
  return cmd;
}

static subproc_t *
daemon_with_error_buffer (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_error_bytes (cmd, &buf_err, &len_out);
  subproc_daemonize (cmd);
  return cmd;
}

static int
sink_discard (void *opaque, int stream, const char *data, size_t len)
{
  (void) opaque;
  (void) stream;
  (void) data;
  (void) len;
  return 0;
}

static subproc_t *
sink_after_buffer (void)
{
  static char *out;
  subproc_t *cmd = helper_exit0 ();
  subproc_set_output_buffer (cmd, &out);
  subproc_set_output_sink (cmd, sink_discard, NULL, SUBPROC_SINK_LINES);
  return cmd;
}

static subproc_t *
sink_unknown_flags (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_error_sink (cmd, sink_discard, NULL, ~0u);
  return cmd;
}

static subproc_t *
handshake_sync (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_require_handshake (cmd);
  return cmd;
}

static subproc_t *
umask_negative (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_set_umask (cmd, -1);
  return cmd;
}

static subproc_t *
cap_negative (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_clear_caps (cmd);
  subproc_allow_cap (cmd, -1);
  return cmd;
}

/* Unknown flags, with CLOSE_PARENT among them: the command took the
   descriptor over, and a failed call closes it at once.  */
static subproc_t *
pass_fd_bad_flags (void)
{
  char *path = test_tmp_path ("owned");
  int fd = test_open_write (path);
  free (path);
  subproc_t *cmd = helper_exit0 ();
  subproc_pass_fd (cmd, fd, ~0u);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  /* Closed: the leak check of the row would see it otherwise.  */
  return cmd;
}

/* ------------------------------------------------------------------ */
/* Environment names.  */

static subproc_t *
env_pair_empty_name (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_pair (cmd, "", "v");
  return cmd;
}

static subproc_t *
env_pair_name_with_equals (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_pair (cmd, "A=B", "v");
  return cmd;
}

static subproc_t *
env_string_empty_name (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_string (cmd, "=v");
  return cmd;
}

static subproc_t *
env_string_no_equals (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_string (cmd, "NAME");
  return cmd;
}

static subproc_t *
env_pass_empty_name (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_pass (cmd, "");
  return cmd;
}

static subproc_t *
env_pass_name_with_equals (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_pass (cmd, "PATH=x");
  return cmd;
}

static subproc_t *
env_format_empty_name (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_format (cmd, "=%d", 5);
  return cmd;
}

#ifdef _WIN32
/* Windows takes UTF-16: bytes that are not UTF-8 mean nothing there.  */
static subproc_t *
env_name_not_utf8 (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_pair (cmd, "N\xff", "v");
  return cmd;
}

static subproc_t *
env_value_not_utf8 (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_env_string (cmd, "N=\xed\xa0\x80");
  return cmd;
}

static subproc_t *
arg_not_utf8 (void)
{
  subproc_t *cmd = helper_exit0 ();
  subproc_add_arg (cmd, "\xc0\xaf");
  return cmd;
}
#else
/* On POSIX, names and values are bytes: the child gets them as given.  */
static subproc_t *
env_name_not_utf8 (void)
{
  subproc_t *cmd = test_helper_cmd ("getenv", "N\xff", NULL);
  subproc_add_env_pair (cmd, "N\xff", "v\xfe");
  subproc_set_output_buffer (cmd, &buf_out);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  ck_assert_str_eq (buf_out, "v\xfe\n");
  subproc_free (cmd);
  return NULL;
}
#endif

/* ------------------------------------------------------------------ */
/* Programs that cannot run.  */

/* Named like a program, so that the Windows lookup (which tries the
   PATHEXT extensions on a name without one) takes it as a candidate.  */
static subproc_t *
program_is_directory (void)
{
  char *dir = test_tmp_path ("dir.exe");
#ifdef _WIN32
  ck_assert_int_eq (_mkdir (dir), 0);
#else
  ck_assert_int_eq (mkdir (dir, 0755), 0);
#endif
  subproc_t *cmd = subproc_new (dir);
  free (dir);
  return cmd;
}

static subproc_t *
program_missing (void)
{
  char *path = test_tmp_path ("no-such-program");
  subproc_t *cmd = subproc_new (path);
  free (path);
  return cmd;
}

#ifndef _WIN32
/* Windows has no execute permission bit and no symbolic links that a
   test can make without privileges.  */
static subproc_t *
program_not_executable (void)
{
  char *path = test_tmp_path ("not-executable");
  test_write_file (path, "#!/bin/sh\nexit 0\n", 17);
  ck_assert_int_eq (chmod (path, 0644), 0);
  subproc_t *cmd = subproc_new (path);
  free (path);
  return cmd;
}

static subproc_t *
program_dangling_symlink (void)
{
  char *path = test_tmp_path ("dangling");
  char *target = test_tmp_path ("nowhere");
  ck_assert_int_eq (symlink (target, path), 0);
  subproc_t *cmd = subproc_new (path);
  free (target);
  free (path);
  return cmd;
}
#endif

/* ------------------------------------------------------------------ */
/* Sizes.  */

enum
{
  MANY_ARGS = 100000,
  BIG_ARG = 1024 * 1024
};

#ifndef _WIN32
/* Linux takes it (2 MiB of argv and environment with the default stack
   limit): the child must get every argument.  */
static subproc_t *
argv_100000 (void)
{
  subproc_t *cmd = test_helper_cmd ("argv", NULL);
  for (int i = 0; i < MANY_ARGS; i++)
    subproc_add_arg (cmd, i % 2 ? "x" : "");
  subproc_set_output_bytes (cmd, &buf_out, &len_out);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  ck_assert_uint_eq (len_out, MANY_ARGS / 2 * 3);
  for (size_t i = 0; i < len_out; i += 3)
    ck_assert (memcmp (buf_out + i, "\0x\0", 3) == 0);
  subproc_free (cmd);
  return NULL;
}
#else
/* Windows: a command line holds at most 32766 UTF-16 units.  */
static subproc_t *
argv_100000 (void)
{
  subproc_t *cmd = test_helper_cmd ("argv", NULL);
  for (int i = 0; i < MANY_ARGS; i++)
    subproc_add_arg (cmd, "x");
  return cmd;
}
#endif

/* Linux limits one string to 128 KiB (MAX_ARG_STRLEN): the exec fails
   in the child with E2BIG.  Windows limits the whole line to 32766
   units, which the library checks before it creates the process.  */
static subproc_t *
arg_1mib (void)
{
  char *big = malloc (BIG_ARG + 1);
  ck_assert_ptr_nonnull (big);
  memset (big, 'a', BIG_ARG);
  big[BIG_ARG] = '\0';
  subproc_t *cmd = test_helper_cmd ("argv", big, NULL);
  free (big);
#ifndef _WIN32
  if (test_skip_under_valgrind ("a failed exec in the child"))
    {
      subproc_free (cmd);
      return NULL;
    }
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_msg (err->code == SUBPROC_ERR_SPAWN && err->sys_errno == E2BIG,
                 "arg_1mib: %s", err->message);
  subproc_free (cmd);
  return NULL;
#else
  return cmd;
#endif
}

/* The same argument reaches the library intact: it can be logged.  */
static subproc_t *
arg_1mib_string (void)
{
  char *big = malloc (BIG_ARG + 1);
  ck_assert_ptr_nonnull (big);
  memset (big, 'a', BIG_ARG);
  big[BIG_ARG] = '\0';
  subproc_t *cmd = subproc_new_arg_list ("prog", big, NULL);
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  ck_assert_uint_eq (strlen (line), 5 + BIG_ARG);
  ck_assert (memcmp (line + 5, big, BIG_ARG) == 0);
  char **args = NULL;
  ck_assert_int_eq (subproc_get_arg_list (cmd, &args), 1);
  ck_assert_str_eq (args[0], big);
  free (args[0]);
  free (args);
  free (line);
  free (big);
  subproc_free (cmd);
  return NULL;
}

/* ------------------------------------------------------------------ */
/* A working directory that goes away between the build and the run.  */

static subproc_t *
cwd_vanishes (void)
{
  char *dir = test_tmp_path ("gone");
#ifdef _WIN32
  ck_assert_int_eq (_mkdir (dir), 0);
#else
  ck_assert_int_eq (mkdir (dir, 0755), 0);
#endif
  subproc_t *cmd = helper_exit0 ();
  subproc_set_working_directory (cmd, dir);
  ck_assert_int_eq (rmdir (dir), 0);
  free (dir);
  return cmd;
}

/* ------------------------------------------------------------------ */
/* The table.  */

static const row_t rows[] = {
  /* NULL pointers.  */
  { "new_null", new_null, AT_RUN, SUBPROC_ERR_INVALID, EINVAL },
  { "new_empty", new_empty, AT_RUN, SUBPROC_ERR_INVALID, EINVAL },
  { "new_args_null", new_args_null, AT_RUN, SUBPROC_ERR_INVALID, EINVAL },
  { "new_args_first_null", new_args_first_null, AT_TO_STRING,
    SUBPROC_ERR_INVALID, EINVAL },
  { "new_arg_list_null", new_arg_list_null, AT_ASYNC, SUBPROC_ERR_INVALID,
    EINVAL },
  { "new_va_list_null", new_va_list_null, AT_RUN, SUBPROC_ERR_INVALID,
    EINVAL },
  { "add_arg_null", add_arg_null, AT_RUN, SUBPROC_ERR_INVALID, EINVAL },
  { "add_arg_pair_null_name", add_arg_pair_null_name, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "add_arg_pair_null_value", add_arg_pair_null_value, AT_TO_STRING,
    SUBPROC_ERR_INVALID, EINVAL },
  { "add_arg_format_null", add_arg_format_null, AT_RUN, SUBPROC_ERR_INVALID,
    0 },
  { "add_arg_set_null", add_arg_set_null, AT_RUN, SUBPROC_ERR_INVALID,
    EINVAL },
  { "get_arg_list_null", get_arg_list_null, AT_SELF, 0, 0 },
  { "env_pass_null", env_pass_null, AT_RUN, SUBPROC_ERR_INVALID, EINVAL },
  { "env_pair_null_name", env_pair_null_name, AT_RUN, SUBPROC_ERR_INVALID,
    EINVAL },
  { "env_pair_null_value", env_pair_null_value, AT_ASYNC,
    SUBPROC_ERR_INVALID, EINVAL },
  { "env_string_null", env_string_null, AT_RUN, SUBPROC_ERR_INVALID,
    EINVAL },
  { "env_format_null", env_format_null, AT_RUN, SUBPROC_ERR_INVALID, 0 },
  { "env_xdg_null", env_xdg_null, AT_RUN, SUBPROC_ERR_INVALID, EINVAL },
  { "pid_file_null", pid_file_null, AT_RUN, SUBPROC_ERR_INVALID, EINVAL },
  { "pid_file_empty", pid_file_empty, AT_RUN, SUBPROC_ERR_INVALID, EINVAL },
  { "output_fd_null", output_fd_null, AT_RUN, SUBPROC_ERR_INVALID, EINVAL },
  { "error_fd_null", error_fd_null, AT_ASYNC, SUBPROC_ERR_INVALID, EINVAL },
  { "input_buffer_null", input_buffer_null, AT_RUN, SUBPROC_ERR_INVALID,
    EINVAL },
  { "input_bytes_null_len", input_bytes_null_len, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "input_bytes_null_empty", input_bytes_null_empty, AT_SELF, 0, 0 },
  { "output_buffer_null", output_buffer_null, AT_RUN, SUBPROC_ERR_INVALID,
    EINVAL },
  { "error_buffer_null", error_buffer_null, AT_RUN, SUBPROC_ERR_INVALID,
    EINVAL },
  { "output_bytes_null_buf", output_bytes_null_buf, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "output_bytes_null_len", output_bytes_null_len, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "error_bytes_null_buf", error_bytes_null_buf, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "error_bytes_null_len", error_bytes_null_len, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "send_buffer_null_data", send_buffer_null_data, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "send_buffer_null_empty", send_buffer_null_empty, AT_SELF, 0, 0 },
  { "working_directory_null", working_directory_null, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "working_directory_empty", working_directory_empty, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "hook_null", hook_null, AT_RUN, SUBPROC_ERR_INVALID, EINVAL },
  { "commandless_nulls", commandless_nulls, AT_SELF, 0, 0 },
  { "null_command_results", null_command_results, AT_SELF, 0, 0 },
  /* Descriptors.  */
  { "pass_fd_negative", pass_fd_negative, AT_RUN, SUBPROC_ERR_INVALID, 0 },
  { "pass_fd_closed", pass_fd_closed, AT_RUN, SUBPROC_ERR_INVALID, EBADF },
  { "pass_fd_huge", pass_fd_huge, AT_ASYNC, SUBPROC_ERR_INVALID, EBADF },
  { "pass_fd_bad_flags", pass_fd_bad_flags, AT_RUN, SUBPROC_ERR_INVALID,
    0 },
  { "input_fd_negative", input_fd_negative, AT_RUN, SUBPROC_ERR_INVALID,
    EBADF },
  { "input_fd_closed", input_fd_closed, AT_RUN, SUBPROC_ERR_INVALID,
    EBADF },
  { "input_fd_huge", input_fd_huge, AT_ASYNC, SUBPROC_ERR_INVALID, EBADF },
  { "output_fd_negative", output_fd_negative, AT_RUN, SUBPROC_ERR_INVALID,
    EBADF },
  { "output_fd_closed", output_fd_closed, AT_RUN, SUBPROC_ERR_INVALID,
    EBADF },
  { "error_fd_huge", error_fd_huge, AT_ASYNC, SUBPROC_ERR_INVALID, EBADF },
  { "arg_log_bad_fd", arg_log_bad_fd, AT_RUN, SUBPROC_ERR_IO, EBADF },
  { "arg_log_huge_fd", arg_log_huge_fd, AT_RUN, SUBPROC_ERR_IO, EBADF },
  /* Conflicting options.  */
  { "output_fd_then_bytes", output_fd_then_bytes, AT_RUN,
    SUBPROC_ERR_INVALID, 0 },
  { "error_buffer_twice", error_buffer_twice, AT_RUN, SUBPROC_ERR_INVALID,
    0 },
  { "input_bytes_then_fd", input_bytes_then_fd, AT_RUN, SUBPROC_ERR_INVALID,
    0 },
  { "hook_twice", hook_twice, AT_RUN, SUBPROC_ERR_INVALID, 0 },
  { "daemon_async", daemon_async, AT_ASYNC, SUBPROC_ERR_INVALID, 0 },
  { "daemon_with_error_buffer", daemon_with_error_buffer, AT_RUN,
    SUBPROC_ERR_INVALID, 0 },
  { "sink_after_buffer", sink_after_buffer, AT_ASYNC, SUBPROC_ERR_INVALID,
    EINVAL },
  { "sink_unknown_flags", sink_unknown_flags, AT_RUN, SUBPROC_ERR_INVALID,
    EINVAL },
  { "handshake_sync", handshake_sync, AT_RUN, SUBPROC_ERR_INVALID, 0 },
  { "umask_negative", umask_negative, AT_RUN, SUBPROC_ERR_INVALID, 0 },
  { "cap_negative", cap_negative, AT_RUN, SUBPROC_ERR_INVALID, 0 },
  /* Environment names.  */
  { "env_pair_empty_name", env_pair_empty_name, AT_RUN, SUBPROC_ERR_INVALID,
    EINVAL },
  { "env_pair_name_with_equals", env_pair_name_with_equals, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "env_string_empty_name", env_string_empty_name, AT_TO_STRING,
    SUBPROC_ERR_INVALID, EINVAL },
  { "env_string_no_equals", env_string_no_equals, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "env_pass_empty_name", env_pass_empty_name, AT_RUN, SUBPROC_ERR_INVALID,
    EINVAL },
  { "env_pass_name_with_equals", env_pass_name_with_equals, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
  { "env_format_empty_name", env_format_empty_name, AT_RUN,
    SUBPROC_ERR_INVALID, EINVAL },
#ifdef _WIN32
  { "env_name_not_utf8", env_name_not_utf8, AT_RUN, SUBPROC_ERR_INVALID,
    EILSEQ },
  { "env_value_not_utf8", env_value_not_utf8, AT_RUN, SUBPROC_ERR_INVALID,
    EILSEQ },
  { "arg_not_utf8", arg_not_utf8, AT_TO_STRING, SUBPROC_ERR_INVALID,
    EILSEQ },
#else
  { "env_name_not_utf8", env_name_not_utf8, AT_SELF, 0, 0 },
#endif
  /* Programs.  */
  { "program_is_directory", program_is_directory, AT_RUN,
    SUBPROC_ERR_NOT_FOUND, EACCES },
  { "program_missing", program_missing, AT_ASYNC, SUBPROC_ERR_NOT_FOUND,
    ENOENT },
#ifndef _WIN32
  { "program_not_executable", program_not_executable, AT_RUN,
    SUBPROC_ERR_NOT_FOUND, EACCES },
  { "program_dangling_symlink", program_dangling_symlink, AT_RUN,
    SUBPROC_ERR_NOT_FOUND, ENOENT },
#endif
  /* Sizes.  */
#ifdef _WIN32
  { "argv_100000", argv_100000, AT_RUN, SUBPROC_ERR_INVALID, E2BIG },
  { "arg_1mib", arg_1mib, AT_RUN, SUBPROC_ERR_INVALID, E2BIG },
#else
  { "argv_100000", argv_100000, AT_SELF, 0, 0 },
  { "arg_1mib", arg_1mib, AT_SELF, 0, 0 },
#endif
  { "arg_1mib_string", arg_1mib_string, AT_SELF, 0, 0 },
  /* The working directory.  */
  { "cwd_vanishes", cwd_vanishes, AT_RUN, SUBPROC_ERR_SPAWN, ENOENT },
};

enum
{
  N_ROWS = sizeof rows / sizeof rows[0]
};

START_TEST (test_row)
{
  const row_t *row = &rows[_i];
  buf_out = buf_err = (char *) &len_out;
  len_out = 99;

  subproc_t *cmd = row->make ();
  if (row->when != AT_SELF)
    {
      ck_assert_msg (cmd != NULL, "%s: no command", row->name);
      int r;
      if (row->when == AT_RUN)
        r = subproc_run (cmd, NULL);
      else if (row->when == AT_ASYNC)
        {
          r = subproc_run_async (cmd, NULL);
          if (r == 0)
            r = subproc_wait (cmd, NULL);
        }
      else
        {
          char *line = subproc_to_string (cmd);
          r = line ? 0 : -1;
          free (line);
        }
      const subproc_error_t *err = subproc_get_error (cmd);
      if (row->code == SUBPROC_ERR_OK)
        ck_assert_msg (r == 0, "%s: failed: %s", row->name,
                       err ? err->message : "(no error)");
      else
        {
          ck_assert_msg (r == -1, "%s: succeeded, expected %s", row->name,
                         subproc_error_name (row->code));
          ck_assert_ptr_nonnull (err);
          ck_assert_msg (err->code == row->code,
                         "%s: expected %s, got %s: %s", row->name,
                         subproc_error_name (row->code),
                         subproc_error_name (err->code), err->message);
          ck_assert_msg (row->sys_errno == 0
                           || err->sys_errno == row->sys_errno,
                         "%s: expected errno %d (%s), got %d: %s",
                         row->name, row->sys_errno,
                         strerror (row->sys_errno), err->sys_errno,
                         err->message);
          ck_assert_ptr_nonnull (subproc_last_error ());
          ck_assert_int_eq (subproc_last_error ()->code, row->code);
        }
      subproc_free (cmd);
    }
  if (buf_out != (char *) &len_out)
    free (buf_out);
  if (buf_err != (char *) &len_out)
    free (buf_err);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("hostile");
  TCase *tc = tcase_create ("matrix");
  TEST_ACCOUNTING (tc);
  tcase_add_checked_fixture (tc, test_tmpdir_setup, test_tmpdir_teardown);
  tcase_add_loop_test (tc, test_row, 0, N_ROWS);
  suite_add_tcase (s, tc);
  return s;
}

MAIN_SUITE (make_suite)
