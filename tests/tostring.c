/* tostring.c: to_string quoting and write_arg_log.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * to_string must quote so that a POSIX shell gives back exactly the argv.
 * The tests never run /bin/sh (it does not exist under Wine): a small
 * parser of shell words, written for this test after POSIX's "Token
 * Recognition" and "Quoting" rules, reads the line back.
 */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "subproc.h"

/* Split LINE into words as sh would (quotes, backslashes, blanks; no
   expansions, which to_string must never leave unquoted).  Returns the
   number of words; WORDS gets malloc'd copies.  Fails the test on a word
   that sh would expand.  */
static size_t
shell_split (const char *line, char **words, size_t max)
{
  size_t n = 0;
  const char *p = line;
  while (*p)
    {
      while (*p == ' ' || *p == '\t')
        p++;
      if (!*p)
        break;
      size_t cap = strlen (p) + 1;
      char *w = malloc (cap);
      size_t len = 0;
      ck_assert_ptr_nonnull (w);
      while (*p && *p != ' ' && *p != '\t')
        {
          if (*p == '\'')
            {
              p++;
              while (*p && *p != '\'')
                w[len++] = *p++;
              ck_assert_msg (*p == '\'', "unterminated single quote");
              p++;
            }
          else if (*p == '"')
            {
              p++;
              while (*p && *p != '"')
                {
                  ck_assert_msg (*p != '$' && *p != '`',
                                 "expansion inside double quotes");
                  if (*p == '\\' && strchr ("$`\"\\\n", p[1]))
                    p++;
                  w[len++] = *p++;
                }
              ck_assert_msg (*p == '"', "unterminated double quote");
              p++;
            }
          else if (*p == '\\')
            {
              p++;
              if (*p == '\n')
                p++;
              else if (*p)
                w[len++] = *p++;
            }
          else
            {
              ck_assert_msg (strchr ("$`|&;<>()*?[#~\n", *p) == NULL
                               || (*p == '#' && len > 0)
                               || (*p == '~' && len > 0),
                             "unquoted special character '%c' in %s", *p,
                             line);
              w[len++] = *p++;
            }
        }
      w[len] = '\0';
      ck_assert_uint_lt (n, max);
      words[n++] = w;
    }
  return n;
}

static void
assert_round_trip (const char *const *argv)
{
  subproc_t *cmd = subproc_new_args (argv);
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  char *words[64];
  size_t n = shell_split (line, words, 64);
  size_t argc = 0;
  while (argv[argc])
    argc++;
  ck_assert_msg (n == argc, "%s: %zu words, expected %zu", line, n, argc);
  for (size_t i = 0; i < n; i++)
    {
      ck_assert_str_eq (words[i], argv[i]);
      free (words[i]);
    }
  free (line);
  subproc_free (cmd);
}

START_TEST (test_plain_words)
{
  subproc_t *cmd
    = subproc_new_arg_list ("/bin/prog", "-x", "--a=b", "a,b:c@d%e+f", NULL);
  char *line = subproc_to_string (cmd);
  ck_assert_str_eq (line, "/bin/prog -x --a=b a,b:c@d%e+f");
  free (line);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_quoting_exact)
{
  subproc_t *cmd = subproc_new_arg_list (
    "prog", "a b", "it's", "$HOME", "`id`", "", "line\nbreak", "\"q\"",
    "back\\slash", "*", "~user", "#c", NULL);
  char *line = subproc_to_string (cmd);
  ck_assert_str_eq (line, "prog 'a b' 'it'\\''s' '$HOME' '`id`' '' "
                          "'line\nbreak' '\"q\"' 'back\\slash' '*' "
                          "'~user' '#c'");
  free (line);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_quoting_round_trip)
{
  const char *const cases[][8] = {
    { "prog", "a b", "c\td", NULL },
    { "prog", "'", "''", "'a'", "a'b'c", NULL },
    { "prog", "$x", "${x}", "$(id)", "`id`", NULL },
    { "prog", "", "", "x", NULL },
    { "prog", "\n", "a\nb\n", "\r\n", NULL },
    { "prog", ";", "&&", "|", ">", "<", "(", ")" },
    { "prog", "\\", "\\\\", "\\'", "\"", "\\\"", NULL },
    { "prog", "caf\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac", NULL },
#ifndef _WIN32
    /* Bytes that are not UTF-8 are fine on POSIX (and refused on Win32,
       see errors.c).  */
    { "prog", "\xff\xfe", "a\x80", NULL },
#endif
    { "prog", "*", "?", "[a]", "~", "#", "!", NULL },
    { "a=b", "c=d", NULL },
    { "with space/prog", "x", NULL },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      const char *argv[9] = { 0 };
      memcpy (argv, cases[i], sizeof cases[i]);
      assert_round_trip (argv);
    }
}
END_TEST

/* A program named like an assignment must not become one.  */
START_TEST (test_program_with_equals)
{
  subproc_t *cmd = subproc_new_arg_list ("A=b", "c=d", NULL);
  char *line = subproc_to_string (cmd);
  ck_assert_str_eq (line, "'A=b' c=d");
  free (line);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_env_quoting)
{
  subproc_t *cmd = subproc_new_arg_list ("prog", "x", NULL);
  subproc_add_env_pair (cmd, "A", "has space");
  subproc_add_env_pair (cmd, "B", "");
  subproc_add_env_pair (cmd, "C", "it's");
  char *line = subproc_to_string (cmd);
  ck_assert_str_eq (line, "A='has space' B= C='it'\\''s' prog x");
  free (line);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_write_arg_log)
{
  char *path = test_tmp_path ("arglog");
  int fd = test_open_write (path);
  subproc_t *cmd = subproc_new_arg_list ("prog", "a b", "$x", NULL);
  subproc_add_env_pair (cmd, "A", "1 2");
  subproc_write_arg_log (cmd, fd);
  ck_assert_ptr_null (subproc_get_error (cmd));
  test_close (fd);
  char *text = test_read_file (path, NULL);
  ck_assert_str_eq (text, "A=1 2 prog a b $x\n");
  free (text);

  /* A bad descriptor is recorded, not fatal.  */
  subproc_write_arg_log (cmd, fd);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_IO);
  subproc_free (cmd);

  /* A command with an error writes nothing.  */
  subproc_t *bad = subproc_new (NULL);
  subproc_write_arg_log (bad, -1);
  ck_assert_int_eq (subproc_get_error (bad)->code, SUBPROC_ERR_INVALID);
  subproc_free (bad);
  subproc_write_arg_log (NULL, -1);
  free (path);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("tostring");
  TEST_CASE (s, plain_words);
  TEST_CASE (s, quoting_exact);
  TEST_CASE (s, quoting_round_trip);
  TEST_CASE (s, program_with_equals);
  TEST_CASE (s, env_quoting);
  TEST_CASE_WITH_FIXTURE (s, write_arg_log, test_tmpdir_setup,
                          test_tmpdir_teardown);
  return s;
}

MAIN_SUITE (make_suite)
