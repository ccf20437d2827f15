/* args.c: building commands and their arguments (the examples of
 * libvirt's guide to spawning commands).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "subproc.h"

/* The command's to_string, checked against EXPECTED, and freed.  */
static void
assert_line (subproc_t *cmd, const char *expected)
{
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  ck_assert_str_eq (line, expected);
  free (line);
}

START_TEST (test_new)
{
  subproc_t *cmd = subproc_new ("/usr/bin/dnsmasq");
  ck_assert_ptr_nonnull (cmd);
  assert_line (cmd, "/usr/bin/dnsmasq");
  ck_assert_ptr_null (subproc_get_error (cmd));
  subproc_free (cmd);
}
END_TEST

/* Each code block of the "Adding arguments" section of libvirt's guide to
   spawning commands, in order.  */
START_TEST (test_guide_add_args)
{
  subproc_t *cmd = subproc_new ("/usr/bin/dnsmasq");
  int count = 42;

  subproc_add_arg (cmd, "-strict-order");
  subproc_add_arg_pair (cmd, "--conf-file", "/etc/dnsmasq.conf");
  subproc_add_arg_format (cmd, "%d", count);
  const char *const args[]
    = { "--strict-order", "--except-interface", "lo", NULL };
  subproc_add_arg_set (cmd, args);
  subproc_add_arg_list (cmd, "--domain", "localdomain", NULL);
  assert_line (cmd, "/usr/bin/dnsmasq -strict-order "
                    "--conf-file=/etc/dnsmasq.conf 42 --strict-order "
                    "--except-interface lo --domain localdomain");
  subproc_free (cmd);
}
END_TEST

START_TEST (test_guide_new_args)
{
  const char *const args[]
    = { "/usr/bin/dnsmasq", "--strict-order", "--except-interface",
        "lo",               "--domain",       "localdomain",
        NULL };
  subproc_t *cmd1 = subproc_new_args (args);
  subproc_t *cmd2 = subproc_new_arg_list ("/usr/bin/dnsmasq", "--domain",
                                          "localdomain", NULL);
  assert_line (cmd1, "/usr/bin/dnsmasq --strict-order --except-interface "
                     "lo --domain localdomain");
  assert_line (cmd2, "/usr/bin/dnsmasq --domain localdomain");
  subproc_free (cmd1);
  subproc_free (cmd2);
}
END_TEST

START_TEST (test_new_va_list)
{
  subproc_t *cmd = test_via_va_list ("prog", "a", "b c", NULL);
  assert_line (cmd, "prog a 'b c'");
  subproc_free (cmd);
}
END_TEST

START_TEST (test_get_arg_list)
{
  subproc_t *cmd = subproc_new_arg_list ("prog", "one", "", "three", NULL);
  char **args = NULL;
  ck_assert_int_eq (subproc_get_arg_list (cmd, &args), 3);
  ck_assert_ptr_nonnull (args);
  ck_assert_str_eq (args[0], "one");
  ck_assert_str_eq (args[1], "");
  ck_assert_str_eq (args[2], "three");
  ck_assert_ptr_null (args[3]);
  for (char **p = args; *p; p++)
    free (*p);
  free (args);

  /* A copy: changing the command later does not change it.  */
  subproc_t *empty = subproc_new ("prog");
  ck_assert_int_eq (subproc_get_arg_list (empty, &args), 0);
  ck_assert_ptr_null (args[0]);
  free (args);
  subproc_free (empty);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_get_arg_list_errors)
{
  char **args = (char **) 1;
  ck_assert_int_eq (subproc_get_arg_list (NULL, &args), -1);
  ck_assert_ptr_null (args);

  subproc_t *cmd = subproc_new ("prog");
  subproc_add_arg (cmd, NULL);
  args = (char **) 1;
  ck_assert_int_eq (subproc_get_arg_list (cmd, &args), -1);
  ck_assert_ptr_null (args);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);

  subproc_t *ok = subproc_new ("prog");
  ck_assert_int_eq (subproc_get_arg_list (ok, NULL), -1);
  ck_assert_int_eq (subproc_get_error (ok)->code, SUBPROC_ERR_INVALID);
  subproc_free (ok);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_many_args)
{
  subproc_t *cmd = subproc_new ("prog");
  for (int i = 0; i < 100000; i++)
    subproc_add_arg_format (cmd, "%d", i);
  char **args = NULL;
  ck_assert_int_eq (subproc_get_arg_list (cmd, &args), 100000);
  ck_assert_str_eq (args[99999], "99999");
  for (char **p = args; *p; p++)
    free (*p);
  free (args);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_huge_arg)
{
  size_t len = 1024 * 1024;
  char *big = malloc (len + 1);
  ck_assert_ptr_nonnull (big);
  memset (big, 'x', len);
  big[len] = '\0';
  subproc_t *cmd = subproc_new ("prog");
  subproc_add_arg (cmd, big);
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  ck_assert_uint_eq (strlen (line), len + 5);
  free (line);
  free (big);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_arg_misuse)
{
  /* NULL where a string is due: the first error is kept, later calls are
     no-ops.  */
  subproc_t *cmd = subproc_new ("prog");
  subproc_add_arg (cmd, "ok");
  subproc_add_arg_pair (cmd, "name", NULL);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_ptr_nonnull (err);
  ck_assert_int_eq (err->code, SUBPROC_ERR_INVALID);
  ck_assert_ptr_nonnull (strstr (err->message, "subproc_add_arg_pair"));
  subproc_add_arg_set (cmd, NULL);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "subproc_add_arg_pair"));
  ck_assert_ptr_null (subproc_to_string (cmd));
  subproc_free (cmd);

  cmd = subproc_new (NULL);
  ck_assert_ptr_nonnull (cmd);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  cmd = subproc_new ("");
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  cmd = subproc_new_args (NULL);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  const char *const none[] = { NULL };
  cmd = subproc_new_args (none);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  cmd = subproc_new ("prog");
  subproc_add_arg_format (cmd, NULL);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("args");
  TEST_CASE (s, new);
  TEST_CASE (s, guide_add_args);
  TEST_CASE (s, guide_new_args);
  TEST_CASE (s, new_va_list);
  TEST_CASE (s, get_arg_list);
  TEST_CASE (s, get_arg_list_errors);
  TEST_CASE (s, many_args);
  TEST_CASE (s, huge_arg);
  TEST_CASE (s, arg_misuse);
  return s;
}

MAIN_SUITE (make_suite)
