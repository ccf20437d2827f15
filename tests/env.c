/* env.c: the child's environment, as libvirt's guide to spawning commands
 * describes it.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "subproc.h"

static void
assert_line (subproc_t *cmd, const char *expected)
{
  char *line = subproc_to_string (cmd);
  ck_assert_msg (line != NULL, "to_string failed: %s",
                 subproc_get_error (cmd)->message);
  ck_assert_str_eq (line, expected);
  free (line);
}

START_TEST (test_inherit_by_default)
{
  subproc_t *cmd = subproc_new ("prog");
  assert_line (cmd, "prog");
  subproc_free (cmd);
}
END_TEST

/* The example of libvirt's guide to spawning commands, with a known parent
   environment.  */
START_TEST (test_guide_pass_common)
{
  test_setenv ("PATH", "/usr/bin:/bin");
  test_setenv ("HOME", "/home/user");
  test_setenv ("USER", "user");
  test_setenv ("DISPLAY", ":0");
  test_unsetenv ("LD_PRELOAD");
  test_unsetenv ("LD_LIBRARY_PATH");
  test_unsetenv ("LOGNAME");
  test_unsetenv ("TMPDIR");
  test_unsetenv ("XAUTHORITY");

  subproc_t *cmd = subproc_new ("prog");
  subproc_add_env_pass_common (cmd);
  subproc_add_env_pass (cmd, "DISPLAY");
  subproc_add_env_pass (cmd, "XAUTHORITY");
  subproc_add_env_pair (cmd, "TERM", "xterm");
  subproc_add_env_string (cmd, "TERM=xterm");
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  /* LC_ALL=C first, the passed variables that are set, no XAUTHORITY,
     TERM once.  */
  ck_assert_ptr_nonnull (strstr (line, "LC_ALL=C "));
  ck_assert_ptr_eq (strstr (line, "LC_ALL=C "), line);
  ck_assert_ptr_nonnull (strstr (line, "PATH=/usr/bin:/bin "));
  ck_assert_ptr_nonnull (strstr (line, "DISPLAY=:0 "));
  ck_assert_ptr_null (strstr (line, "XAUTHORITY"));
  ck_assert_ptr_null (strstr (line, "LD_PRELOAD"));
  ck_assert_ptr_nonnull (strstr (line, "TERM=xterm prog"));
  ck_assert_ptr_null (strstr (strstr (line, "TERM=") + 1, "TERM="));
  free (line);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_last_wins)
{
  subproc_t *cmd = subproc_new ("prog");
  subproc_add_env_pair (cmd, "A", "1");
  subproc_add_env_string (cmd, "B=2");
  subproc_add_env_format (cmd, "A=%d", 3);
  subproc_add_env_pair (cmd, "B", "");
  assert_line (cmd, "A=3 B= prog");
  subproc_free (cmd);
}
END_TEST

START_TEST (test_value_with_equals)
{
  subproc_t *cmd = subproc_new ("prog");
  subproc_add_env_string (cmd, "OPTS=a=b");
  subproc_add_env_pair (cmd, "X", "=");
  assert_line (cmd, "OPTS=a=b X== prog");
  subproc_free (cmd);
}
END_TEST

/* Passing a variable the parent does not have still stops inheritance:
   the child gets an empty environment.  */
START_TEST (test_pass_unset_clears)
{
  test_unsetenv ("SUBPROC_TEST_NOT_SET");
  subproc_t *cmd = subproc_new ("prog");
  subproc_add_env_pass (cmd, "SUBPROC_TEST_NOT_SET");
  assert_line (cmd, "prog");
  ck_assert_ptr_null (subproc_get_error (cmd));
  subproc_free (cmd);
}
END_TEST

START_TEST (test_xdg)
{
  subproc_t *cmd = subproc_new ("prog");
  subproc_add_env_xdg (cmd, "/tmp/base");
  assert_line (cmd, "XDG_DATA_HOME=/tmp/base/.local/share "
                    "XDG_CACHE_HOME=/tmp/base/.cache "
                    "XDG_CONFIG_HOME=/tmp/base/.config prog");
  subproc_free (cmd);
}
END_TEST

static void
assert_env_misuse (void (*add) (subproc_t *))
{
  subproc_t *cmd = subproc_new ("prog");
  add (cmd);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_ptr_nonnull (err);
  ck_assert_int_eq (err->code, SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
}

static void add_empty_name (subproc_t *c) { subproc_add_env_pair (c, "", "v"); }
static void add_eq_name (subproc_t *c) { subproc_add_env_pair (c, "A=B", "v"); }
static void add_null_name (subproc_t *c) { subproc_add_env_pair (c, NULL, "v"); }
static void add_null_value (subproc_t *c) { subproc_add_env_pair (c, "A", NULL); }
static void add_no_eq (subproc_t *c) { subproc_add_env_string (c, "NOEQUALS"); }
static void add_lead_eq (subproc_t *c) { subproc_add_env_string (c, "=v"); }
static void add_null_string (subproc_t *c) { subproc_add_env_string (c, NULL); }
static void add_null_pass (subproc_t *c) { subproc_add_env_pass (c, NULL); }
static void add_eq_pass (subproc_t *c) { subproc_add_env_pass (c, "A=B"); }
static void add_null_xdg (subproc_t *c) { subproc_add_env_xdg (c, NULL); }
static void add_null_format (subproc_t *c) { subproc_add_env_format (c, NULL); }
static void add_bad_format (subproc_t *c) { subproc_add_env_format (c, "%s", "x"); }

START_TEST (test_env_misuse)
{
  assert_env_misuse (add_empty_name);
  assert_env_misuse (add_eq_name);
  assert_env_misuse (add_null_name);
  assert_env_misuse (add_null_value);
  assert_env_misuse (add_no_eq);
  assert_env_misuse (add_lead_eq);
  assert_env_misuse (add_null_string);
  assert_env_misuse (add_null_pass);
  assert_env_misuse (add_eq_pass);
  assert_env_misuse (add_null_xdg);
  assert_env_misuse (add_null_format);
  assert_env_misuse (add_bad_format);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("env");
  TEST_CASE (s, inherit_by_default);
  TEST_CASE (s, guide_pass_common);
  TEST_CASE (s, last_wins);
  TEST_CASE (s, value_with_equals);
  TEST_CASE (s, pass_unset_clears);
  TEST_CASE (s, xdg);
  TEST_CASE (s, env_misuse);
  return s;
}

MAIN_SUITE (make_suite)
