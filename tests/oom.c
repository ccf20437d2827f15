/* oom.c: every allocation of the library fails once, in every public call.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each case below is a small program using the public API as a caller
 * would: it builds commands, runs them, checks what it got, and returns
 * SUBPROC_ERR_OK, or the code of the error the library reported.  The
 * driver runs a case once with no failure to count its allocations, then
 * once per allocation N with the Nth one failing (sp_alloc_fail_at).
 * Every run must either report SUBPROC_ERR_NOMEM or end as the normal run
 * does (the failed allocation was optional: an error message, a log
 * line); after every run the descriptors and (POSIX) the children of the
 * test process must be what they were before.  Leaked memory is found by
 * the sanitizers or valgrind that CI runs the suite under (each case runs
 * in a process of its own where Check forks).
 *
 * The number of allocations of a run that pumps I/O depends on how the
 * child's output arrives, so the driver goes on past the count of the
 * first run for as long as the Nth allocation is still reached.
 *
 * make check runs it; make check-oom runs it alone with a summary of the
 * allocation sites failed per case.
 */

#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
# include <sys/stat.h>
#endif

#ifdef _WIN32
# include <fcntl.h>
# include <io.h>
# include <windows.h>
#else
# include <fcntl.h>
# include <signal.h>
# include <sys/resource.h>
# include <sys/wait.h>
# include <unistd.h>
#endif

#include "backend.h"
#include "common.h"

#ifdef _WIN32
# define pipe(fds) _pipe ((fds), 65536, _O_BINARY | _O_NOINHERIT)
#endif

/* The allocation the driver makes fail in the current run (0: none), and
   the allocations a case made in a child process of its own (exec).  */
static unsigned long current_fail_at;
static unsigned long child_alloc_count;

/* The error code the last failing call reported to this thread.  */
static int
last_code (void)
{
  const subproc_error_t *e = subproc_last_error ();

  ck_assert_msg (e != NULL, "a call failed without reporting an error");
  ck_assert_ptr_nonnull (e->message);
  return e->code;
}

/* Run CMD with STATUS (may be NULL); free it; the error code.  */
static int
run_free (subproc_t *cmd, int *status)
{
  int code = subproc_run (cmd, status) == 0 ? SUBPROC_ERR_OK : last_code ();

  subproc_free (cmd);
  return code;
}

/* ------------------------------------------------------------------ */
/* The cases.  PATH: 0 the fast path, 1 the fork path (a pre-exec hook),
   for the cases that spawn.  */

/* Every builder call, then the calls that show the command.  */
static int
case_builder (int path)
{
  const char *const set[] = { "s1", "s 2", NULL };
  const char *const argv[] = { "prog", "a'b", NULL };
  subproc_t *cmd = subproc_new_args (argv);
  char *line, **args;
  int n, fds[2];

  (void) path;
  ck_assert_str_eq (subproc_version (), SUBPROC_VERSION_STRING);
  test_setenv ("SUBPROC_OOM_PASS", "passed");
  subproc_add_arg (cmd, "plain");
  subproc_add_arg_pair (cmd, "--opt", "value");
  subproc_add_arg_format (cmd, "n=%d", 42);
  subproc_add_arg_set (cmd, set);
  subproc_add_arg_list (cmd, "l1", "l2", NULL);
  subproc_add_env_pair (cmd, "A", "1");
  subproc_add_env_string (cmd, "B=2");
  subproc_add_env_format (cmd, "C=%s", "3");
  subproc_add_env_pass (cmd, "SUBPROC_OOM_PASS");
  subproc_add_env_pass (cmd, "SUBPROC_OOM_UNSET_VARIABLE");
  subproc_add_env_xdg (cmd, "/base");
  subproc_add_env_pair (cmd, "A", "one");
  subproc_set_pid_file (cmd, "/nonexistent/pid");
  subproc_set_working_directory (cmd, "/nonexistent");
  subproc_set_cgroup (cmd, "/nonexistent/cgroup");
  subproc_set_timeout (cmd, 1000);
  subproc_set_max_output (cmd, 100);
  subproc_set_input_bytes (cmd, "in\0put", 6);
  subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  subproc_new_process_group (cmd);
  subproc_raw_status (cmd);
  subproc_nonblocking_fds (cmd);

  line = subproc_to_string (cmd);
  if (line == NULL)
    {
      int code = last_code ();
      subproc_free (cmd);
      return code;
    }
  ck_assert_str_eq (line,
                    "A=one B=2 C=3 SUBPROC_OOM_PASS=passed "
                    "XDG_DATA_HOME=/base/.local/share "
                    "XDG_CACHE_HOME=/base/.cache "
                    "XDG_CONFIG_HOME=/base/.config "
                    "prog 'a'\\''b' plain --opt=value n=42 s1 's 2' l1 l2");
  free (line);

  n = subproc_get_arg_list (cmd, &args);
  if (n < 0)
    {
      int code = last_code ();
      ck_assert_ptr_null (args);
      subproc_free (cmd);
      return code;
    }
  ck_assert_int_eq (n, 8);
  ck_assert_str_eq (args[0], "a'b");
  ck_assert_str_eq (args[7], "l2");
  ck_assert_ptr_null (args[8]);
  for (int i = 0; i < n; i++)
    free (args[i]);
  free (args);

  ck_assert_int_eq (pipe (fds), 0);
  subproc_write_arg_log (cmd, fds[1]);
  test_close (fds[1]);
  line = test_read_fd (fds[0]);
  test_close (fds[0]);
  if (subproc_get_error (cmd) != NULL)
    {
      int code = subproc_get_error (cmd)->code;
      ck_assert_str_eq (line, "");
      free (line);
      subproc_free (cmd);
      return code;
    }
  ck_assert_str_eq (line, "A=one B=2 C=3 SUBPROC_OOM_PASS=passed "
                          "XDG_DATA_HOME=/base/.local/share "
                          "XDG_CACHE_HOME=/base/.cache "
                          "XDG_CONFIG_HOME=/base/.config "
                          "prog a'b plain --opt=value n=42 s1 s 2 l1 l2\n");
  free (line);
  subproc_free (cmd);
  return SUBPROC_ERR_OK;
}

/* subproc_add_env_pass_common and a command given as a va_list.  */
static int
case_env_common (int path)
{
  subproc_t *cmd = test_via_va_list (test_helper (), "getenv", "LC_ALL",
                                     "PATH", NULL);
  char *out = NULL;
  int code;

  if (path == 1)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  subproc_add_env_pass_common (cmd);
  subproc_add_env_pair (cmd, "EXTRA", "x");
  subproc_set_output_buffer (cmd, &out);
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_OK)
    {
      char *expect = malloc (strlen (getenv ("PATH")) + 16);
      ck_assert_ptr_nonnull (expect);
      sprintf (expect, "C\n%s\n", getenv ("PATH"));
      ck_assert_str_eq (out, expect);
      free (expect);
    }
  free (out);
  return code;
}

struct dry_fake
{
  int calls;
};

static void
dry_callback (subproc_dry_run_io_t *io, void *opaque)
{
  struct dry_fake *fake = opaque;

  fake->calls++;
  io->output = "fake out";
  io->error = "fake err";
  io->status = 0;
}

/* Dry run: begin, a run with buffers, an asynchronous run, end.  */
static int
case_dry_run (int path)
{
  struct dry_fake fake = { 0 };
  char *out = NULL, *err = NULL, *log;
  subproc_t *cmd;
  int code = SUBPROC_ERR_OK;

  (void) path;
  if (subproc_dry_run_begin (dry_callback, &fake) < 0)
    return last_code ();
  cmd = subproc_new_arg_list ("dry-prog", "x y", NULL);
  subproc_add_env_pair (cmd, "K", "v");
  subproc_set_input_buffer (cmd, "in");
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_OK)
    {
      ck_assert_str_eq (out, "fake out");
      ck_assert_str_eq (err, "fake err");
      cmd = subproc_new ("second");
      if (subproc_run_async (cmd, NULL) < 0 || subproc_wait (cmd, NULL) < 0)
        code = last_code ();
      subproc_free (cmd);
    }
  free (out);
  free (err);
  log = subproc_dry_run_end ();
  ck_assert_ptr_nonnull (log);
  if (code == SUBPROC_ERR_OK)
    {
      ck_assert_str_eq (log, "K=v dry-prog 'x y'\nsecond\n");
      ck_assert_int_eq (fake.calls, 2);
    }
  free (log);
  return code;
}

/* A synchronous run with the exit status.  */
static int
case_run_status (int path)
{
  int status = -1;
  int code = run_free (test_helper_on (path, "exit", "3", NULL), &status);

  if (code == SUBPROC_ERR_OK)
    ck_assert_int_eq (status, 3);
  return code;
}

/* A failed exit, its message with the captured error output.  */
static int
case_exit_error (int path)
{
  char *err = NULL;
  subproc_t *cmd = test_helper_on (path, "err-exit", "boom", "4", NULL);
  int code;

  subproc_set_error_buffer (cmd, &err);
  if (subproc_run (cmd, NULL) == 0)
    ck_abort_msg ("a failed exit was not reported");
  code = last_code ();
  if (code == SUBPROC_ERR_EXIT_STATUS)
    {
      const char *msg = subproc_get_error (cmd)->message;
      /* Without memory for the message, the code's text stands in.  */
      ck_assert_msg (strstr (msg, "boom") != NULL
                       || strcmp (msg, subproc_strerror (code)) == 0,
                     "message: %s", msg);
      ck_assert_str_eq (err, "boom\n");
    }
  subproc_free (cmd);
  free (err);
  return code;
}

/* Input, output and error buffers, an environment and a directory.  */
static int
case_buffers (int path)
{
  char *out = NULL, *err = NULL;
  subproc_t *cmd = test_helper_on (path, "echo-and-err", "10", NULL);
  int code;

  subproc_set_input_buffer (cmd, "hello\n");
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);
  subproc_add_env_pair (cmd, "X", "y");
  subproc_set_working_directory (cmd, test_srcdir ());
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_OK)
    {
      ck_assert_str_eq (out, "hello\n");
      ck_assert_str_eq (err, "abcdefghij");
    }
  free (out);
  free (err);
  return code;
}

/* Output large enough for the buffers to grow, binary forms.  */
static int
case_big_output (int path)
{
  char *out = NULL, *err = NULL;
  size_t out_len = 0, err_len = 0;
  subproc_t *cmd = test_helper_on (path, "write-both", "300000", NULL);
  int code;

  subproc_set_output_bytes (cmd, &out, &out_len);
  subproc_set_error_bytes (cmd, &err, &err_len);
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_OK)
    {
      ck_assert_uint_eq (out_len, 300000);
      ck_assert_uint_eq (err_len, 300000);
      for (size_t i = 0; i < out_len; i++)
        if (out[i] != 'a' + (char) (i % 26) || err[i] != out[i])
          ck_abort_msg ("byte %zu differs", i);
    }
  free (out);
  free (err);
  return code;
}

/* One buffer for both streams.  */
static int
case_interleaved (int path)
{
  char *both = NULL;
  subproc_t *cmd = test_helper_on (path, "interleave", "3", NULL);
  int code;

  subproc_set_output_buffer (cmd, &both);
  subproc_set_error_buffer (cmd, &both);
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_OK)
    ck_assert_str_eq (both, "out 0\nerr 0\nout 1\nerr 1\nout 2\nerr 2\n");
  free (both);
  return code;
}

/* Two send buffers; the child copies one of them.  */
static int
case_send_buffers (int path)
{
  char *out = NULL, num[32], *data;
  subproc_t *cmd = test_helper_on (path, "fd-read", NULL);
  int code, fd;

  data = malloc (100000);
  ck_assert_ptr_nonnull (data);
  for (int i = 0; i < 100000; i++)
    data[i] = (char) ('A' + i % 7);
  subproc_set_send_buffer (cmd, "unread", 6);
  fd = subproc_set_send_buffer (cmd, data, 100000);
  snprintf (num, sizeof num, "%d", fd);
  subproc_add_arg (cmd, num);
  subproc_set_output_buffer (cmd, &out);
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_OK)
    {
      ck_assert_int_gt (fd, 2);
      ck_assert_uint_eq (strlen (out), 100000);
      ck_assert (memcmp (out, data, 100000) == 0);
    }
  free (data);
  free (out);
  return code;
}

/* A send buffer sent by three runs of one command, whatever became of
   the runs before.  */
static int
case_send_buffer_rerun (int path)
{
  char *out = NULL, num[32];
  subproc_t *cmd = test_helper_on (path, "fd-read", NULL);
  int code = SUBPROC_ERR_OK;
  int fd = subproc_set_send_buffer (cmd, "again", 5);

  snprintf (num, sizeof num, "%d", fd);
  subproc_add_arg (cmd, num);
  subproc_set_output_buffer (cmd, &out);
  for (int k = 0; k < 3; k++)
    {
      if (subproc_run (cmd, NULL) == 0)
        ck_assert_str_eq (out, "again");
      else if (code == SUBPROC_ERR_OK)
        code = last_code ();
      free (out);
    }
  subproc_free (cmd);
  return code;
}

/* A descriptor passed with CLOSE_PARENT, then an input descriptor and
   an output descriptor of the caller's.  */
static int
case_pass_fds (int path)
{
  int to_child[2], from_child[2], pass[2], code;
  char num[32], *got, *passed;
  subproc_t *cmd;

  ck_assert_int_eq (pipe (pass), 0);
  snprintf (num, sizeof num, "%d", pass[1]);
  cmd = test_helper_on (path, "fd-write", num, "passed", NULL);
  subproc_pass_fd (cmd, pass[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  code = run_free (cmd, NULL);
  /* The parent's copy is closed whether the command ran or not.  */
  passed = test_read_fd (pass[0]);
  test_close (pass[0]);
  if (code != SUBPROC_ERR_OK)
    {
      free (passed);
      return code;
    }
  ck_assert_str_eq (passed, "passed");
  free (passed);

  ck_assert_int_eq (pipe (to_child), 0);
  ck_assert_int_eq (pipe (from_child), 0);
  ck_assert_int_eq (write (to_child[1], "via fd\n", 7), 7);
  test_close (to_child[1]);
  cmd = test_helper_on (path, "echo", NULL);
  subproc_set_input_fd (cmd, to_child[0]);
  subproc_set_output_fd (cmd, &from_child[1]);
  code = run_free (cmd, NULL);
  test_close (to_child[0]);
  test_close (from_child[1]);
  got = test_read_fd (from_child[0]);
  test_close (from_child[0]);
  if (code == SUBPROC_ERR_OK)
    ck_assert_str_eq (got, "via fd\n");
  free (got);
  return code;
}

/* Pipes made by the library for output_fd / error_fd = -1.  */
/* Descriptors under other numbers: a cycle, with CLOSE_PARENT, and a
   send buffer beside them.  */
static int
case_pass_fd_as (int path)
{
  int a[2], b[2], code;
  char *got;

  ck_assert_int_eq (pipe (a), 0);
  ck_assert_int_eq (pipe (b), 0);
  char na[16], nb[16];
  snprintf (na, sizeof na, "%d", a[1]);
  snprintf (nb, sizeof nb, "%d", b[1]);
  subproc_t *cmd = test_helper_on (path, "fd-tags", na, nb, NULL);
  subproc_pass_fd_as (cmd, a[1], b[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_pass_fd_as (cmd, b[1], a[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_set_send_buffer (cmd, "x", 1);
  subproc_set_priority (cmd, 1);
  code = run_free (cmd, NULL);
  got = test_read_fd (a[0]);
  test_close (a[0]);
  if (code == SUBPROC_ERR_OK)
    {
      char want[20];
      snprintf (want, sizeof want, "%d\n", b[1]);
      ck_assert_str_eq (got, want);
    }
  free (got);
  got = test_read_fd (b[0]);
  test_close (b[0]);
  if (code == SUBPROC_ERR_OK)
    {
      char want[20];
      snprintf (want, sizeof want, "%d\n", a[1]);
      ck_assert_str_eq (got, want);
    }
  free (got);
  return code;
}

static int
case_fd_pipes (int path)
{
  int out = -1, err = -1, code = SUBPROC_ERR_OK;
  subproc_t *cmd = test_helper_on (path, "print", "to pipe", NULL);

  subproc_set_output_fd (cmd, &out);
  subproc_set_error_fd (cmd, &err);
  if (subproc_run_async (cmd, NULL) < 0)
    {
      code = last_code ();
      ck_assert_int_eq (out, -1);
      ck_assert_int_eq (err, -1);
    }
  else
    {
      char *got = test_read_fd (out), *errs = test_read_fd (err);

      test_close (out);
      test_close (err);
      if (subproc_wait (cmd, NULL) < 0)
        code = last_code ();
      ck_assert_str_eq (got, "to pipe");
      ck_assert_str_eq (errs, "");
      free (got);
      free (errs);
    }
  subproc_free (cmd);
  return code;
}

/* Asynchronous I/O on the library's thread.  */
static int
case_async_io (int path)
{
  char *out = NULL;
  subproc_t *cmd = test_helper_on (path, "echo", NULL);
  int code = SUBPROC_ERR_OK, status = -1;

  subproc_set_input_buffer (cmd, "async\n");
  subproc_set_output_buffer (cmd, &out);
  subproc_do_async_io (cmd);
  if (subproc_run_async (cmd, NULL) < 0 || subproc_wait (cmd, &status) < 0)
    code = last_code ();
  else
    {
      ck_assert_int_eq (status, 0);
      ck_assert_str_eq (out, "async\n");
    }
  subproc_free (cmd);
  free (out);
  return code;
}

/* run_async with the pid taken, then subproc_pid_wait.  */
static int
case_pid_wait (int path)
{
  subproc_t *cmd = test_helper_on (path, "exit", "5", NULL);
  pid_t pid = -1;
  int code = SUBPROC_ERR_OK, status = -1;

  if (subproc_run_async (cmd, &pid) < 0)
    {
      subproc_free (cmd);
      ck_assert_int_eq (pid, -1);
      return last_code ();
    }
  subproc_free (cmd);
  if (subproc_pid_wait (pid, &status, false) < 0)
    {
      /* The child is still the caller's: a caller that ran out of memory
         tries again.  */
      code = last_code ();
      ck_assert_int_eq (code, SUBPROC_ERR_NOMEM);
      ck_assert_int_eq (subproc_pid_wait (pid, &status, false), 0);
    }
  ck_assert_int_eq (status, 5);
  return code;
}

/* run_async, then subproc_abort of a child that would never end.  */
static int
case_abort (int path)
{
  subproc_t *cmd = test_helper_on (path, "sleep-forever", NULL);
  int code = SUBPROC_ERR_OK;

  subproc_new_process_group (cmd);
  if (subproc_run_async (cmd, NULL) < 0)
    code = last_code ();
  else
    subproc_abort (cmd);
  subproc_free (cmd);
  return code;
}

/* The same through subproc_pid_abort.  */
static int
case_pid_abort (int path)
{
  subproc_t *cmd = test_helper_on (path, "sleep-forever", NULL);
  pid_t pid = -1;
  int code = SUBPROC_ERR_OK;

  if (subproc_run_async (cmd, &pid) < 0)
    code = last_code ();
  subproc_free (cmd);
  if (code == SUBPROC_ERR_OK)
    subproc_pid_abort (pid);
  return code;
}

/* A timeout stops the child.  */
static int
case_timeout (int path)
{
  subproc_t *cmd = test_helper_on (path, "sleep-forever", NULL);

  subproc_set_timeout (cmd, 20);
  return run_free (cmd, NULL);
}

/* Too much output stops the child.  */
static int
case_max_output (int path)
{
  char *out = NULL;
  subproc_t *cmd = test_helper_on (path, "write-forever", NULL);
  int code;

  subproc_set_output_buffer (cmd, &out);
  subproc_set_max_output (cmd, 5000);
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_IO)
    ck_assert_uint_eq (strlen (out), 5000);
  free (out);
  return code;
}

/* The handshake.  */
static int
case_handshake (int path)
{
  subproc_t *cmd = test_helper_on (path, "exit", "0", NULL);
  int code = SUBPROC_ERR_OK;

  subproc_require_handshake (cmd);
  if (subproc_run_async (cmd, NULL) < 0 || subproc_handshake_wait (cmd) < 0
      || subproc_handshake_notify (cmd) < 0 || subproc_wait (cmd, NULL) < 0)
    code = last_code ();
  subproc_free (cmd);
  return code;
}

static int
failing_hook (void *opaque)
{
  (void) opaque;
  errno = EPERM;
  return -1;
}

/* A pre-exec hook that fails.  */
static int
case_hook_fails (int path)
{
  subproc_t *cmd = test_helper_on (path, "exit", "0", NULL);

  subproc_set_pre_exec_hook (cmd, failing_hook, NULL);
  return run_free (cmd, NULL);
}

/* A program that does not exist.  */
static int
case_not_found (int path)
{
  subproc_t *cmd = subproc_new ("libsubproc-no-such-program");

  if (path == 1)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  return run_free (cmd, NULL);
}

struct callback_seen
{
  int errors;
  int last_code;
  int logs;
};

static void
on_error (const subproc_error_t *err, void *opaque)
{
  struct callback_seen *seen = opaque;

  seen->errors++;
  seen->last_code = err->code;
}

static void
on_log (int level, const char *msg, void *opaque)
{
  struct callback_seen *seen = opaque;

  (void) level;
  ck_assert_ptr_nonnull (msg);
  seen->logs++;
}

/* The error and log callbacks (log messages need memory; a missing one is
   not an error), with output nobody captured going to the log.  */
static int
case_callbacks (int path)
{
  struct callback_seen seen = { 0, 0, 0 };
  subproc_t *cmd = test_helper_on (path, "err-exit", "logged", "1", NULL);
  int code;

  subproc_set_error_func (on_error, &seen);
  subproc_set_log_func (on_log, &seen);
  code = run_free (cmd, NULL);
  subproc_set_error_func (NULL, NULL);
  subproc_set_log_func (NULL, NULL);
  ck_assert_int_ge (seen.errors, 1);
  ck_assert_int_eq (seen.last_code, code);
  return code;
}

/* A command run twice, as libvirt's tests do: the first run fails with
   its exit status, raw status is asked for between the runs, and the
   second run succeeds and fills the error buffer anew (the first one
   was freed: the run must not leave it in the variable).  */
static int
case_run_twice (int path)
{
  subproc_t *cmd = test_helper_on (path, "err-exit", "again", "3", NULL);
  char *err = NULL;
  int status = -1, code;

  subproc_set_error_buffer (cmd, &err);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  code = last_code ();
  free (err);
  if (code == SUBPROC_ERR_EXIT_STATUS)
    {
      subproc_raw_status (cmd);
      if (subproc_run (cmd, &status) < 0)
        code = last_code ();
      else
        {
          code = SUBPROC_ERR_OK;
          ck_assert_ptr_null (subproc_get_error (cmd));
#ifdef _WIN32
          ck_assert_int_eq (status, 3);
#else
          ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 3);
#endif
          ck_assert_str_eq (err, "again\n");
        }
      free (err);
    }
  subproc_free (cmd);
  return code;
}

/* A name removed from the inherited environment and from a custom
   one, an argv[0] of the child's own, streams from and to files that
   the library opens (output and error sharing one), a new session
   (POSIX).  */
static int
case_childopts (int path)
{
  char *in = test_tmp_path ("oom.in"), *out = test_tmp_path ("oom.out");
  char *text = NULL;
  int code;

  test_write_file (in, "in", 2);
  test_setenv ("SUBPROC_OOM_GONE", "x");
  subproc_t *cmd = test_helper_on (path, "getenv", "SUBPROC_OOM_GONE",
                                   NULL);
  subproc_unset_env (cmd, "SUBPROC_OOM_GONE");
  subproc_set_argv0 (cmd, "renamed");
  subproc_set_input_file (cmd, in);
  subproc_set_output_file (cmd, out, 0);
  subproc_set_error_file (cmd, out, 0);
#ifndef _WIN32
  subproc_new_session (cmd);
#endif
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_OK)
    {
      text = test_read_file (out, NULL);
      ck_assert_str_eq (text, "(unset)\n");
      free (text);
      text = NULL;

      cmd = test_helper_on (path, "getenv", "A", "B", NULL);
      subproc_add_env_pair (cmd, "A", "1");
      subproc_add_env_pair (cmd, "B", "2");
      subproc_unset_env (cmd, "A");
      subproc_set_output_buffer (cmd, &text);
      code = run_free (cmd, NULL);
      if (code == SUBPROC_ERR_OK)
        ck_assert_str_eq (text, "(unset)\n2\n");
      free (text);
    }
  test_unsetenv ("SUBPROC_OOM_GONE");
  free (in);
  free (out);
  return code;
}

/* subproc_to_string_full with every flag, the getters.  */
static int
case_to_string_full (int path)
{
  subproc_t *cmd = subproc_new_arg_list ("/bin/prog", "-a", "v w", NULL);
  subproc_uid_t uid;
  char *line;

  (void) path;
  subproc_add_env_pair (cmd, "A-B", "1");
  subproc_set_uid (cmd, 7);
  line = subproc_to_string_full (cmd, SUBPROC_STRING_LINE_BREAKS
                                        | SUBPROC_STRING_STRIP_PATH);
  if (line == NULL)
    {
      int code = last_code ();
      subproc_free (cmd);
      return code;
    }
  ck_assert_str_eq (line, "env -- \\\nA-B=1 \\\nprog \\\n-a 'v w'");
  free (line);
  ck_assert_int_eq (subproc_get_uid (cmd, &uid), 1);
  ck_assert (uid == 7);
  subproc_free (cmd);
  return SUBPROC_ERR_OK;
}

/* What the parsers' callbacks got, joined.  */
static int
oom_collect (void *opaque, size_t n, const char *const *v)
{
  char *text = opaque;
  for (size_t i = 0; i < n; i++)
    {
      strcat (text, v[i] ? v[i] : "-");
      strcat (text, i + 1 < n ? "|" : ";");
    }
  return 0;
}

/* subproc_run_regex: a series of two expressions.  */
static int
case_run_regex (int path)
{
  const char *re[] = { "^n=(.*)$", "^s=([0-9]+)(x)?$" };
  char text[256] = "";
  subproc_t *cmd = test_helper_on (path, "print", "n=a\ns=1\nn=b\ns=22\n",
                                   NULL);
  int code = SUBPROC_ERR_OK;

  if (subproc_run_regex (cmd, 2, re, NULL, NULL, oom_collect, text, NULL)
      < 0)
    code = last_code ();
  else
    ck_assert_str_eq (text, "a|1|-;b|22|-;");
  subproc_free (cmd);
  return code;
}

/* subproc_run_nul: records of two fields.  */
static int
case_run_nul (int path)
{
  char text[256] = "";
  subproc_t *cmd = test_helper_on (path, "argv", "a", "", "c", NULL);
  int code = SUBPROC_ERR_OK;

  if (subproc_run_nul (cmd, 2, oom_collect, text, NULL) < 0)
    code = last_code ();
  else
    ck_assert_str_eq (text, "a|;c;");
  subproc_free (cmd);
  return code;
}

#ifndef _WIN32

/* The working directory, with the program found in PATH.  */
static int
case_cwd_path (int path)
{
  char *out = NULL, *dir, *slash;
  subproc_t *cmd;
  int code;

  dir = strdup (test_helper ());
  ck_assert_ptr_nonnull (dir);
  slash = strrchr (dir, '/');
  ck_assert_ptr_nonnull (slash);
  *slash = '\0';
  test_setenv ("PATH", dir);
  cmd = subproc_new_arg_list ("subproc-helper", "cwd", NULL);
  if (path == 1)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  subproc_set_working_directory (cmd, "/");
  subproc_set_output_buffer (cmd, &out);
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_OK)
    ck_assert_str_eq (out, "/\n");
  free (out);
  free (dir);
  return code;
}

/* The process options, resolved before the spawn (the target user's
   groups, the capability sets) and applied in the child.  The identity
   is the test's own, set only where that is allowed (root).  */
static int
case_options (int path)
{
  subproc_t *cmd = test_helper_on (path, "umask", NULL);
  struct rlimit core, memlock, nproc, nofile;
  char *out = NULL;
  int code;

  ck_assert_int_eq (getrlimit (RLIMIT_CORE, &core), 0);
  ck_assert_int_eq (getrlimit (RLIMIT_MEMLOCK, &memlock), 0);
  ck_assert_int_eq (getrlimit (RLIMIT_NPROC, &nproc), 0);
  ck_assert_int_eq (getrlimit (RLIMIT_NOFILE, &nofile), 0);
  subproc_set_umask (cmd, 027);
  subproc_set_max_core_size (cmd, 0);
  subproc_set_max_memlock (cmd, memlock.rlim_cur);
  subproc_set_max_processes (cmd, (unsigned int) (nproc.rlim_cur
                                                   > 0x7fffffffu
                                                   ? 0x7fffffffu
                                                   : nproc.rlim_cur));
  /* Valgrind refuses RLIMIT_NOFILE changes in the forked child.  */
  if (!test_under_valgrind ())
    subproc_set_max_files (cmd, (unsigned int) (nofile.rlim_cur > 4096
                                                ? 4096
                                                : nofile.rlim_cur));
  /* Linux's parent-death signal: other POSIX systems have none, and
     tests/process checks that they say so.  */
#if defined _WIN32 || defined SP_POSIX_HAVE_PRCTL
  subproc_kill_on_parent_exit (cmd);
#endif
  subproc_clear_caps (cmd);
  subproc_allow_cap (cmd, 5 /* CAP_KILL */);
  if (getuid () == 0)
    {
      subproc_set_uid (cmd, getuid ());
      subproc_set_gid (cmd, getgid ());
    }
  subproc_set_output_buffer (cmd, &out);
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_OK)
    ck_assert_str_eq (out, "0027\n");
  free (out);
  return code;
}

/* A daemon with a pid file.  */
static int
case_daemon (int path)
{
  char *pid_file = test_tmp_path ("daemon.pid");
  subproc_t *cmd = test_helper_on (path, "exit", "0", NULL);
  int code;

  remove (pid_file);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, pid_file);
  code = run_free (cmd, NULL);
  if (code == SUBPROC_ERR_OK)
    {
      char *text = test_read_file (pid_file, NULL);
      long pid = strtol (text, NULL, 10);

      ck_assert_int_gt (pid, 1);
      ck_assert (test_pid_ends_within (pid, 10000));
      free (text);
    }
  free (pid_file);
  return code;
}

#ifdef SP_POSIX_HAVE_PRCTL
/* An SELinux label and an AppArmor profile, written to a fake tree
   (sp_backend_test_attr_dir): the copies of the builder calls and the
   AppArmor command made before the spawn.  */
static int
case_security (int path)
{
  static const char *const dirs[] = {
    "proc", "proc/thread-self", "proc/thread-self/attr",
    "proc/thread-self/attr/apparmor", "sys", "sys/fs", "sys/fs/selinux",
    "sys/module", "sys/module/apparmor", "sys/module/apparmor/parameters"
  };
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    {
      char *d = test_tmp_path (dirs[i]);
      ck_assert (mkdir (d, 0755) == 0 || errno == EEXIST);
      free (d);
    }
  char *exec = test_tmp_path ("proc/thread-self/attr/exec");
  char *aa = test_tmp_path ("proc/thread-self/attr/apparmor/exec");
  char *enabled = test_tmp_path ("sys/module/apparmor/parameters/enabled");
  test_write_file (exec, "", 0);
  test_write_file (aa, "", 0);
  test_write_file (enabled, "Y", 1);
  sp_backend_test_attr_dir = test_tmpdir;

  subproc_t *cmd = test_helper_on (path, "exit", "0", NULL);
  subproc_set_selinux_label (cmd, "u:r:t:s0");
  subproc_set_apparmor_profile (cmd, "profile");
  int code = run_free (cmd, NULL);
  sp_backend_test_attr_dir = NULL;
  if (code == SUBPROC_ERR_OK)
    {
      size_t len;
      char *text = test_read_file (aa, &len);
      ck_assert_uint_eq (len, 12);
      ck_assert_int_eq (memcmp (text, "exec profile", 12), 0);
      free (text);
      text = test_read_file (exec, &len);
      ck_assert_uint_eq (len, 9);
      free (text);
    }
  free (enabled);
  free (aa);
  free (exec);
  return code;
}
#endif

/* The report of the exec case's child: the allocation count when its
   hook ran (the exec goes ahead) or when subproc_exec failed.  */
struct exec_report
{
  unsigned long count;
  int code;
};

static int
exec_report_hook (void *opaque)
{
  struct exec_report r = { sp_alloc_count (), SUBPROC_ERR_OK };
  int fd = *(int *) opaque;

  return write (fd, &r, sizeof r) == (ssize_t) sizeof r ? 0 : -1;
}

/* subproc_exec, in a child of the test.  */
static int
case_exec (int path)
{
  int report[2], out[2], status;
  struct exec_report r;
  ssize_t n;
  pid_t pid;
  char *got;
  unsigned long fail_at = current_fail_at;

  (void) path;
  ck_assert_int_eq (pipe2 (report, O_CLOEXEC), 0);
  ck_assert_int_eq (pipe2 (out, O_CLOEXEC), 0);
  /* Allocations happen in the child: the driver learns of them from
     here.  */
  sp_alloc_fail_at (0);
  pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      subproc_t *cmd;

      sp_alloc_fail_at (fail_at);
      cmd = test_helper_cmd ("print", "exec'd", NULL);
      subproc_set_pre_exec_hook (cmd, exec_report_hook, &report[1]);
      subproc_pass_fd (cmd, report[1], 0);
      subproc_set_output_fd (cmd, &out[1]);
      subproc_exec (cmd);
      r.count = sp_alloc_count ();
      r.code = last_code ();
      if (write (report[1], &r, sizeof r) != (ssize_t) sizeof r)
        _exit (2);
      _exit (1);
    }
  test_close (report[1]);
  test_close (out[1]);
  n = read (report[0], &r, sizeof r);
  ck_assert_int_eq (n, sizeof r);
  got = test_read_fd (out[0]);
  test_close (report[0]);
  test_close (out[0]);
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  child_alloc_count = r.count;
  if (r.code == SUBPROC_ERR_OK)
    {
      ck_assert_str_eq (got, "exec'd");
      ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
  else
    {
      ck_assert_str_eq (got, "");
      ck_assert (WIFEXITED (status) && WEXITSTATUS (status) == 1);
    }
  free (got);
  return r.code;
}

#endif /* !_WIN32 */

/* ------------------------------------------------------------------ */
/* The driver.  */

typedef struct oom_case
{
  const char *name;
  int (*fn) (int path);
  int path;        /* 0 fast, 1 fork */
  int expect;      /* the code of a run where nothing fails */
} oom_case_t;

#define BOTH(name, expect)                                                  \
  { #name "_fast", case_##name, 0, expect },                                \
  { #name "_fork", case_##name, 1, expect }
#define ONE(name, expect) { #name, case_##name, 0, expect }

static const oom_case_t cases[] = {
  ONE (builder, SUBPROC_ERR_OK),
  BOTH (env_common, SUBPROC_ERR_OK),
  ONE (dry_run, SUBPROC_ERR_OK),
  BOTH (run_status, SUBPROC_ERR_OK),
  BOTH (exit_error, SUBPROC_ERR_EXIT_STATUS),
  BOTH (buffers, SUBPROC_ERR_OK),
  BOTH (big_output, SUBPROC_ERR_OK),
  BOTH (interleaved, SUBPROC_ERR_OK),
  BOTH (send_buffers, SUBPROC_ERR_OK),
  BOTH (send_buffer_rerun, SUBPROC_ERR_OK),
  BOTH (pass_fds, SUBPROC_ERR_OK),
  BOTH (pass_fd_as, SUBPROC_ERR_OK),
  BOTH (fd_pipes, SUBPROC_ERR_OK),
  BOTH (async_io, SUBPROC_ERR_OK),
  BOTH (pid_wait, SUBPROC_ERR_OK),
  BOTH (abort, SUBPROC_ERR_OK),
  BOTH (pid_abort, SUBPROC_ERR_OK),
  BOTH (timeout, SUBPROC_ERR_TIMEOUT),
  BOTH (max_output, SUBPROC_ERR_IO),
  BOTH (handshake, SUBPROC_ERR_OK),
  ONE (hook_fails, SUBPROC_ERR_HOOK),
  BOTH (not_found, SUBPROC_ERR_NOT_FOUND),
  BOTH (callbacks, SUBPROC_ERR_EXIT_STATUS),
  BOTH (run_twice, SUBPROC_ERR_OK),
  BOTH (childopts, SUBPROC_ERR_OK),
  ONE (to_string_full, SUBPROC_ERR_OK),
  BOTH (run_regex, SUBPROC_ERR_OK),
  BOTH (run_nul, SUBPROC_ERR_OK),
#ifndef _WIN32
  BOTH (cwd_path, SUBPROC_ERR_OK),
  BOTH (options, SUBPROC_ERR_OK),
  BOTH (daemon, SUBPROC_ERR_OK),
#ifdef SP_POSIX_HAVE_PRCTL
  BOTH (security, SUBPROC_ERR_OK),
#endif
  ONE (exec, SUBPROC_ERR_OK),
#endif
};

#define N_CASES (sizeof cases / sizeof cases[0])

/* Fail unless the test process holds what it held before the run: the
   same number of descriptors and, on POSIX, no child at all (every case
   reaps what it starts).  */
static void
assert_clean (const oom_case_t *c, unsigned long n, int fds_before)
{
  int fds = test_count_open_fds ();

  ck_assert_msg (fds == fds_before,
                 "%s, allocation %lu failing: %d descriptors open, %d "
                 "before",
                 c->name, n, fds, fds_before);
#ifndef _WIN32
  {
    siginfo_t si;

    memset (&si, 0, sizeof si);
    ck_assert_msg (waitid (P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0
                     && errno == ECHILD,
                   "%s, allocation %lu failing: a child is left behind "
                   "(pid %ld)",
                   c->name, n, (long) si.si_pid);
  }
#endif
}

/* Run case C with the Nth allocation failing (0: none).  Returns the
   number of allocations made (counted up to and including the failed
   one) and the code in *CODE.  */
static unsigned long
run_case (const oom_case_t *c, unsigned long n, int *code)
{
  unsigned long made;

  current_fail_at = n;
  child_alloc_count = 0;
  sp_alloc_fail_at (n);
  *code = c->fn (c->path);
  made = sp_alloc_count ();
  sp_alloc_fail_at (0);
  return made + child_alloc_count;
}

START_TEST (test_oom)
{
  const oom_case_t *c = &cases[_i];
  int fds_before, code;
  unsigned long count, n, nomem = 0, optional = 0, sites = 0;

  /* A write to a child that is gone must be an error, not death.  */
#ifndef _WIN32
  signal (SIGPIPE, SIG_DFL);
#endif
  /* The first run warms up what the C library allocates once (stdio
     buffers, the helper's path).  */
  fds_before = test_count_open_fds ();
  count = run_case (c, 0, &code);
  ck_assert_msg (code == c->expect,
                 "%s: %s without failures, expected %s (%s)", c->name,
                 subproc_error_name (code), subproc_error_name (c->expect),
                 code ? subproc_last_error ()->message : "");
  assert_clean (c, 0, fds_before);
  ck_assert_msg (count > 0, "%s allocates nothing", c->name);

  for (n = 1;; n++)
    {
      unsigned long made = run_case (c, n, &code);

      assert_clean (c, n, fds_before);
      if (made < n)
        {
          /* The Nth allocation was not reached: the run went as normal.  */
          ck_assert_msg (code == c->expect,
                         "%s, %lu allocations: %s, expected %s", c->name,
                         made, subproc_error_name (code),
                         subproc_error_name (c->expect));
          if (n > count)
            break;
          continue;
        }
      sites++;
      ck_assert_msg (code == SUBPROC_ERR_NOMEM || code == c->expect,
                     "%s, allocation %lu of %lu failing: %s (expected %s "
                     "or SUBPROC_ERR_NOMEM)",
                     c->name, n, count, subproc_error_name (code),
                     subproc_error_name (c->expect));
      if (code == SUBPROC_ERR_NOMEM && c->expect != SUBPROC_ERR_NOMEM)
        nomem++;
      else
        optional++;
      ck_assert_msg (n < count + 10000, "%s: no end to the allocations",
                     c->name);
    }
  printf ("oom %-20s %3lu allocation sites failed: %3lu reported "
          "SUBPROC_ERR_NOMEM, %3lu optional\n",
          c->name, sites, nomem, optional);
  fflush (stdout);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("oom");

  for (size_t i = 0; i < N_CASES; i++)
    {
      TCase *tc = tcase_create (cases[i].name);

      /* Valgrind makes each of the hundreds of runs slower.  */
      tcase_set_timeout (tc, 900);
      tcase_add_unchecked_fixture (tc, test_tmpdir_setup,
                                   test_tmpdir_teardown);
      tcase_add_loop_test (tc, test_oom, (int) i, (int) i + 1);
      suite_add_tcase (s, tc);
    }
  return s;
}

MAIN_SUITE (make_suite)
