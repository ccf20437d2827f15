/* dryrun.c: the per-thread dry-run mode.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
# include <sys/wait.h>
#endif

#include "common.h"
#include "subproc.h"

struct fake
{
  int calls;
  char seen_input[64];
  bool env_inherited;
  size_t env_count;
  const char *output;
  const char *error;
  int status;
};

static void
fake_run (subproc_dry_run_io_t *io, void *opaque)
{
  struct fake *f = opaque;
  f->calls++;
  ck_assert_ptr_nonnull (io->args);
  ck_assert_ptr_nonnull (io->args[0]);
  if (io->input)
    snprintf (f->seen_input, sizeof f->seen_input, "%.*s",
              (int) io->input_len, io->input);
  f->env_inherited = io->env == NULL;
  f->env_count = 0;
  for (const char *const *e = io->env; e && *e; e++)
    f->env_count++;
  io->output = f->output;
  io->error = f->error;
  io->status = f->status;
}

START_TEST (test_log_and_fake)
{
  struct fake f = { .output = "fake out\n", .error = "fake err\n" };
  char *out = NULL, *err = NULL;

  ck_assert_int_eq (subproc_dry_run_begin (fake_run, &f), 0);
  subproc_t *cmd = subproc_new_arg_list ("/usr/bin/dnsmasq", "--a", "b c",
                                         NULL);
  subproc_add_env_pair (cmd, "LC_ALL", "C");
  subproc_set_input_buffer (cmd, "Hello World\n");
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  subproc_free (cmd);

  cmd = subproc_new_arg_list ("second", NULL);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  subproc_free (cmd);
  char *log = subproc_dry_run_end ();

  ck_assert_str_eq (log, "LC_ALL=C /usr/bin/dnsmasq --a 'b c'\nsecond\n");
  ck_assert_int_eq (f.calls, 2);
  ck_assert_str_eq (f.seen_input, "Hello World\n");
  ck_assert_str_eq (out, "fake out\n");
  ck_assert_str_eq (err, "fake err\n");
  ck_assert (f.env_inherited);
  free (log);
  free (out);
  free (err);
}
END_TEST

START_TEST (test_fake_status)
{
  struct fake f = { .error = "it broke\n", .status = 3 };
  char *err = NULL;
  int status = -1;

  ck_assert_int_eq (subproc_dry_run_begin (fake_run, &f), 0);
  subproc_t *cmd = subproc_new ("tool");
  ck_assert_int_eq (subproc_run (cmd, &status), 0);
  ck_assert_int_eq (status, 3);
  subproc_free (cmd);

  /* Without a status pointer, non-zero is an error that carries the
     command, the status and the error output.  */
  cmd = subproc_new_arg_list ("tool", "x", NULL);
  subproc_set_error_buffer (cmd, &err);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_int_eq (e->code, SUBPROC_ERR_EXIT_STATUS);
  ck_assert_ptr_nonnull (strstr (e->message, "tool x"));
  ck_assert_ptr_nonnull (strstr (e->message, "status 3"));
  ck_assert_ptr_nonnull (strstr (e->message, "it broke"));
  ck_assert_str_eq (err, "it broke\n");
  subproc_free (cmd);
  free (err);
  free (subproc_dry_run_end ());
}
END_TEST

START_TEST (test_no_callback_and_empty_output)
{
  char *out = NULL;
  size_t len = 99;
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  subproc_t *cmd = subproc_new ("tool");
  subproc_add_env_pass (cmd, "SUBPROC_TEST_NOT_SET");
  subproc_set_output_bytes (cmd, &out, &len);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  /* Always allocated, even with nothing in it.  */
  ck_assert_ptr_nonnull (out);
  ck_assert_uint_eq (len, 0);
  ck_assert_str_eq (out, "");
  free (out);
  subproc_free (cmd);
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "tool\n");
  free (log);
}
END_TEST

START_TEST (test_env_seen)
{
  struct fake f = { 0 };
  ck_assert_int_eq (subproc_dry_run_begin (fake_run, &f), 0);
  subproc_t *cmd = subproc_new ("tool");
  subproc_add_env_pass (cmd, "SUBPROC_TEST_NOT_SET");
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  ck_assert (!f.env_inherited);
  ck_assert_uint_eq (f.env_count, 0);
  subproc_free (cmd);
  free (subproc_dry_run_end ());
}
END_TEST

static void
fake_binary (subproc_dry_run_io_t *io, void *opaque)
{
  (void) opaque;
  static const char bytes[] = { 'a', '\0', 'b' };
  ck_assert_uint_eq (io->input_len, 3);
  ck_assert_int_eq (memcmp (io->input, "x\0y", 3), 0);
  io->output = bytes;
  io->output_len = sizeof bytes;
}

START_TEST (test_binary_fake)
{
  char *out = NULL;
  size_t len = 0;
  ck_assert_int_eq (subproc_dry_run_begin (fake_binary, NULL), 0);
  subproc_t *cmd = subproc_new ("tool");
  subproc_set_input_bytes (cmd, "x\0y", 3);
  subproc_set_output_bytes (cmd, &out, &len);
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  ck_assert_uint_eq (len, 3);
  ck_assert_int_eq (memcmp (out, "a\0b", 4), 0);
  free (out);
  subproc_free (cmd);
  free (subproc_dry_run_end ());
}
END_TEST

START_TEST (test_async)
{
  struct fake f = { .status = 0 };
  pid_t pid = -5;
  int status = -1;
  ck_assert_int_eq (subproc_dry_run_begin (fake_run, &f), 0);
  subproc_t *cmd = subproc_new ("daemonish");
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  ck_assert_int_eq (pid, 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  subproc_free (cmd);
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "daemonish\n");
  free (log);
}
END_TEST

/* A handshake in a dry run has no child to wait for: both calls succeed
   at once, and the log shows the command once.  */
START_TEST (test_handshake)
{
  int status = -1;
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  subproc_t *cmd = subproc_new ("held");
  subproc_require_handshake (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  ck_assert_int_eq (subproc_handshake_notify (cmd), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  /* Not running any more: no handshake is pending.  */
  ck_assert_int_eq (subproc_handshake_notify (cmd), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_STATE);
  subproc_free (cmd);
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "held\n");
  free (log);
}
END_TEST

/* With subproc_raw_status the fake exit code comes back as the wait
   status a real child exiting with it would give.  */
START_TEST (test_raw_status)
{
  struct fake f = { .status = 7 };
  int status = -1;
  ck_assert_int_eq (subproc_dry_run_begin (fake_run, &f), 0);
  subproc_t *cmd = subproc_new ("seven");
  subproc_raw_status (cmd);
  ck_assert_int_eq (subproc_run (cmd, &status), 0);
#ifdef _WIN32
  ck_assert_int_eq (status, 7);
#else
  ck_assert (WIFEXITED (status));
  ck_assert_int_eq (WEXITSTATUS (status), 7);
#endif
  subproc_free (cmd);

  /* Without a status pointer a non-zero raw status is an error.  */
  cmd = subproc_new ("seven");
  subproc_raw_status (cmd);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code,
                    SUBPROC_ERR_EXIT_STATUS);
  subproc_free (cmd);
  free (subproc_dry_run_end ());
}
END_TEST

START_TEST (test_begin_end_errors)
{
  ck_assert_ptr_null (subproc_dry_run_end ());
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_STATE);
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "");
  free (log);
  ck_assert_ptr_null (subproc_dry_run_end ());
}
END_TEST

/* Dry run belongs to the thread that began it: another thread really
   runs (here: fails to find the program).  */
static void *
other_thread (void *arg)
{
  subproc_t *cmd = subproc_new ("subproc-no-such-program-anywhere");
  *(int *) arg = subproc_run (cmd, NULL) < 0
                   ? subproc_get_error (cmd)->code
                   : SUBPROC_ERR_OK;
  subproc_free (cmd);
  return NULL;
}

START_TEST (test_per_thread)
{
  int code = -1;
  pthread_t t;
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  ck_assert_int_eq (pthread_create (&t, NULL, other_thread, &code), 0);
  pthread_join (t, NULL);
  ck_assert_int_eq (code, SUBPROC_ERR_NOT_FOUND);
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "");
  free (log);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("dryrun");
  TEST_CASE (s, log_and_fake);
  TEST_CASE (s, fake_status);
  TEST_CASE (s, no_callback_and_empty_output);
  TEST_CASE (s, env_seen);
  TEST_CASE (s, binary_fake);
  TEST_CASE (s, async);
  TEST_CASE (s, handshake);
  TEST_CASE (s, raw_status);
  TEST_CASE (s, begin_end_errors);
  TEST_CASE (s, per_thread);
  return s;
}

MAIN_SUITE (make_suite)
