/* basic.c: the first suite: the library loads, spawns, captures and
 * reports exit status.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "subproc.h"

START_TEST (test_version)
{
  ck_assert_str_eq (subproc_version (), SUBPROC_VERSION_STRING);
}
END_TEST

START_TEST (test_run_true)
{
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "exit", "0", NULL);
  ck_assert_msg (subproc_run (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_capture_hello)
{
  char *out = NULL;
  subproc_t *cmd
    = subproc_new_arg_list (test_helper (), "print", "hello world", NULL);
  subproc_set_output_buffer (cmd, &out);
  ck_assert_msg (subproc_run (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
  subproc_free (cmd);
  ck_assert_str_eq (out, "hello world");
  free (out);
}
END_TEST

START_TEST (test_exit_status)
{
  int status = -1;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "exit", "3", NULL);
  ck_assert_int_eq (subproc_run (cmd, &status), 0);
  ck_assert_int_eq (status, 3);
  subproc_free (cmd);

  cmd = subproc_new_arg_list (test_helper (), "exit", "3", NULL);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_int_eq (err->code, SUBPROC_ERR_EXIT_STATUS);
  ck_assert_ptr_nonnull (strstr (err->message, "status 3"));
  ck_assert_ptr_nonnull (strstr (err->message, "exit 3"));
  subproc_free (cmd);
}
END_TEST

START_TEST (test_not_found)
{
  subproc_t *cmd = subproc_new ("subproc-no-such-program-anywhere");
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_NOT_FOUND);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "subproc-no-such-program-anywhere"));
  subproc_free (cmd);
}
END_TEST

/* A pid taken from subproc_run_async is the caller's at once, on every
   platform: subproc_pid_wait and subproc_pid_abort work before the
   command is freed, and a child the command reaped itself is unknown to
   them afterwards, as to waitpid.  */
START_TEST (test_pid_before_free)
{
  pid_t pid = -1;
  int status = -1;
  subproc_t *cmd = test_helper_cmd ("exit", "3", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  ck_assert_int_gt (pid, 0);
  ck_assert_msg (subproc_pid_wait (pid, &status, false) == 0, "%s",
                 subproc_last_error ()->message);
  ck_assert_int_eq (status, 3);
  subproc_free (cmd);
  ck_assert_int_eq (subproc_pid_wait (pid, &status, false), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_last_error ()->sys_errno, ECHILD);

  /* Aborted by pid while the command still holds it.  */
  cmd = test_helper_cmd ("sleep-forever", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  subproc_pid_abort (pid);
  subproc_free (cmd);
  ck_assert_int_eq (subproc_pid_wait (pid, NULL, false), -1);
  ck_assert_int_eq (subproc_last_error ()->sys_errno, ECHILD);

  /* Reaped through the command: the pid is gone.  */
  cmd = test_helper_cmd ("exit", "0", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_int_eq (subproc_pid_wait (pid, NULL, false), -1);
  ck_assert_int_eq (subproc_last_error ()->sys_errno, ECHILD);
  subproc_free (cmd);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("basic");
  TEST_CASE (s, version);
  TEST_CASE (s, run_true);
  TEST_CASE (s, capture_hello);
  TEST_CASE (s, exit_status);
  TEST_CASE (s, not_found);
  TEST_CASE (s, pid_before_free);
  return s;
}

MAIN_SUITE (make_suite)
