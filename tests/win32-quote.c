/* win32-quote.c: Windows command lines: argv must come back exactly.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The helper child reports its arguments as CommandLineToArgvW splits its
 * command line (argv-w), as the C runtime's wide argv has them
 * (argv-crtw), and, for ASCII, as main's argv has them (argv); each view
 * must give back the argv the test passed.
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "common.h"
#include "subproc.h"
#include "../src/win32/win32.h"

/* Arguments that have broken quoting code somewhere.  */
static const char *const nasty[] = {
  "",
  " ",
  "  ",
  "a b",
  "\"",
  "\"\"",
  "\\",
  "\\\\",
  "a\\",
  "a\\\\",
  "\\\"",
  "a\\\"b",
  "\\\\\"",
  "x\"y\"z",
  "\t",
  "a\tb",
  "\"a b\"",
  "a\\ b\\",
  "ab\\\\ c\\",
  "\\\\server\\share\\",
  "C:\\Program Files\\x\\",
  "%PATH%",
  "^",
  "&",
  "|",
  "<>",
  "!x!",
  "*",
  "?",
  "'single'",
  "-o=\"q\"",
  "=",
  ";",
  ",",
  "\\\\\\\"\\\\",
  "trail \\\\",
  "\v",
  "\n",
  "a\nb",
  "--flag=\"x y\"\\",
  "end\\\"",
  "\"\\\"",
  " \\ ",
  "\"\"\"",
  "a\"\"b",
  "-",
  "--",
  "/c",
  "x y z\t\t",
  NULL
};

/* Non-ASCII: main's argv (ANSI code page) cannot hold these.  */
static const char *const unicode[] = {
  "\xc3\xa9 \xc3\xbc",             /* é ü */
  "\xe6\x97\xa5\xe6\x9c\xac",      /* 日本 */
  "\xf0\x9f\x98\x80",              /* an emoji: a surrogate pair */
  "\"\xc3\xa9\\",
  "\xef\xbc\x82",                  /* fullwidth quotation mark */
  NULL
};

/* Run the helper's VIEW with ARGS and check that it reports them.  */
static void
check_view (const char *view, const char *const *args)
{
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), view, NULL);
  subproc_add_arg_set (cmd, args);
  subproc_set_output_bytes (cmd, &out, &len);
  ck_assert_msg (subproc_run (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
  subproc_free (cmd);

  size_t off = 0;
  for (size_t i = 0; args[i]; i++)
    {
      ck_assert_msg (off < len, "%s: argument %zu [%s] missing", view, i,
                     args[i]);
      ck_assert_msg (strcmp (out + off, args[i]) == 0,
                     "%s: argument %zu: sent [%s], got [%s]", view, i,
                     args[i], out + off);
      off += strlen (args[i]) + 1;
    }
  ck_assert_msg (off == len, "%s: extra output after the arguments", view);
  free (out);
}

START_TEST (test_table_argv_w)
{
  check_view ("argv-w", nasty);
}
END_TEST

START_TEST (test_table_crt_wide)
{
  check_view ("argv-crtw", nasty);
}
END_TEST

START_TEST (test_table_crt_ansi)
{
  check_view ("argv", nasty);
}
END_TEST

START_TEST (test_unicode)
{
  check_view ("argv-w", unicode);
  check_view ("argv-crtw", unicode);
}
END_TEST

/* A small deterministic generator (mingw has no rand_r).  */
static unsigned int
next_rand (unsigned int *seed)
{
  *seed = *seed * 1103515245u + 12345u;
  return *seed >> 16;
}

/* A random argument over the characters that matter to quoting.  */
static void
random_arg (char *buf, size_t cap, unsigned int *seed)
{
  static const char *const pieces[] = {
    " ", "\t", "\\", "\"", "a", "b", "%", "^", "&", "\xc3\xa9", "\\\\",
    "\\\""
  };
  size_t n = (size_t) next_rand (seed) % 12, len = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++)
    {
      const char *p = pieces[next_rand (seed) % 12];
      if (len + strlen (p) + 1 > cap)
        break;
      strcpy (buf + len, p);
      len += strlen (p);
    }
}

START_TEST (test_random)
{
  unsigned int seed = 20260101;
  for (int round = 0; round < 25; round++)
    {
      char bufs[8][40];
      const char *args[9];
      size_t n = 1 + (size_t) next_rand (&seed) % 8;
      for (size_t i = 0; i < n; i++)
        {
          random_arg (bufs[i], sizeof bufs[i], &seed);
          args[i] = bufs[i];
        }
      args[n] = NULL;
      check_view ("argv-w", args);
      check_view ("argv-crtw", args);
    }
}
END_TEST

/* The quoting and the C runtime rules, in the library itself: quote,
   split again, compare, many times over.  */
START_TEST (test_split_roundtrip)
{
  unsigned int seed = 7;
  char line[4096], split[4096];
  for (int round = 0; round < 20000; round++)
    {
      char bufs[6][40];
      char *argv[8];
      size_t n = 1 + (size_t) next_rand (&seed) % 6;
      argv[0] = (char *) "C:\\dir with space\\prog.exe";
      for (size_t i = 0; i < n; i++)
        {
          random_arg (bufs[i], sizeof bufs[i], &seed);
          argv[i + 1] = bufs[i];
        }
      argv[n + 1] = NULL;

      size_t len, bad;
      ck_assert_int_eq (sp_win32_quote_argv (argv, line, sizeof line, &len,
                                             &bad),
                        SP_WIN32_QUOTE_OK);
      ck_assert_uint_lt (len, sizeof line);
      size_t total = sp_win32_split_cmdline (line, split, sizeof split);
      size_t off = 0;
      for (size_t i = 0; argv[i]; i++)
        {
          ck_assert_msg (off < total && strcmp (split + off, argv[i]) == 0,
                         "line [%s]: argument %zu [%s]", line, i, argv[i]);
          off += strlen (argv[i]) + 1;
        }
      ck_assert_uint_eq (off, total);
    }
}
END_TEST

START_TEST (test_argv0_with_quote_refused)
{
  char *argv[] = { (char *) "a\"b", (char *) "x", NULL };
  size_t len, bad;
  ck_assert_int_eq (sp_win32_quote_argv (argv, NULL, 0, &len, &bad),
                    SP_WIN32_QUOTE_ARGV0);
  /* Quoted and ending in a backslash: runtimes disagree on it.  */
  char *trail[] = { (char *) "a b\\", (char *) "x", NULL };
  ck_assert_int_eq (sp_win32_quote_argv (trail, NULL, 0, &len, &bad),
                    SP_WIN32_QUOTE_ARGV0);
  char *plain[] = { (char *) "ab\\", (char *) "x", NULL };
  ck_assert_int_eq (sp_win32_quote_argv (plain, NULL, 0, &len, &bad),
                    SP_WIN32_QUOTE_OK);
}
END_TEST

START_TEST (test_program_path_with_spaces)
{
  char *dir = test_tmp_path ("dir with spaces");
  char *exe = test_tmp_path ("dir with spaces\\helper copy.exe");
  size_t len;
  char *data = test_read_file (test_helper (), &len);
  ck_assert_int_eq (CreateDirectoryA (dir, NULL), 1);
  test_write_file (exe, data, len);
  free (data);
  check_view ("argv-w", nasty);
  subproc_t *cmd = subproc_new_arg_list (exe, "argv-w", "a b", "", NULL);
  char *out = NULL;
  size_t out_len;
  subproc_set_output_bytes (cmd, &out, &out_len);
  ck_assert_msg (subproc_run (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
  ck_assert_uint_eq (out_len, 5);
  ck_assert_mem_eq (out, "a b\0\0", 5);
  free (out);
  subproc_free (cmd);
  free (exe);
  free (dir);
}
END_TEST

/* Batch files: the exact line given to cmd.exe.  An argument that ends
   in a backslash is quoted with its trailing backslashes doubled, so
   that a batch file that passes it on as "%~1" does not hand a program
   a quote escaped by the last backslash.  */
START_TEST (test_batch_lines)
{
  static const struct
  {
    const char *arg;
    const char *want;
  } table[] = {
    { "plain", "plain" },
    { "a\\b", "a\\b" },
    { "", "\"\"" },
    { "a b", "\"a b\"" },
    { "a&b", "\"a&b\"" },
    { "C:\\dir\\", "\"C:\\dir\\\\\"" },
    { "C:\\my dir\\", "\"C:\\my dir\\\\\"" },
    { "\\", "\"\\\\\"" },
    { "a\\\\", "\"a\\\\\\\\\"" },
    { "\\\\server\\share\\", "\"\\\\server\\share\\\\\"" },
    { "x&y\\", "\"x&y\\\\\"" },
    { "\\a", "\\a" },
  };
  static const char prefix[] = "cmd.exe /d /e:ON /v:OFF /c \"\"C:\\s.bat\" ";
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    {
      char *argv[] = { (char *) "C:\\s.bat", (char *) table[i].arg, NULL };
      char line[256], want[256];
      size_t len, bad;
      ck_assert_int_eq (sp_win32_quote_batch ("C:\\s.bat", argv, line,
                                              sizeof line, &len, &bad),
                        SP_WIN32_QUOTE_OK);
      snprintf (want, sizeof want, "%s%s\"", prefix, table[i].want);
      ck_assert_msg (strcmp (line, want) == 0, "[%s]: line [%s], want [%s]",
                     table[i].arg, line, want);
      ck_assert_uint_eq (len, strlen (want));
    }

  /* Two arguments: the doubled backslashes belong to the first only.  */
  char *argv[] = { (char *) "C:\\s.bat", (char *) "C:\\d\\", (char *) "x",
                   NULL };
  char line[256];
  size_t len, bad;
  ck_assert_int_eq (sp_win32_quote_batch ("C:\\s.bat", argv, line,
                                          sizeof line, &len, &bad),
                    SP_WIN32_QUOTE_OK);
  ck_assert_str_eq (line, "cmd.exe /d /e:ON /v:OFF /c "
                          "\"\"C:\\s.bat\" \"C:\\d\\\\\" x\"");
}
END_TEST

START_TEST (test_invalid_utf8_refused)
{
  static const char *const bad[] = {
    "\xc3\x28", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\x80", NULL
  };
  for (size_t i = 0; bad[i]; i++)
    {
      subproc_t *cmd = subproc_new_arg_list (test_helper (), "argv", NULL);
      subproc_add_arg (cmd, bad[i]);
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      const subproc_error_t *err = subproc_get_error (cmd);
      ck_assert_int_eq (err->code, SUBPROC_ERR_INVALID);
      ck_assert_int_eq (err->sys_errno, EILSEQ);
      subproc_free (cmd);
    }
}
END_TEST

START_TEST (test_utf8_conversions)
{
  uint16_t w[8];
  ck_assert_int_eq (sp_win32_utf8_to_utf16 ("\xf0\x9f\x98\x80", 4, w, 8), 2);
  ck_assert_uint_eq (w[0], 0xD83D);
  ck_assert_uint_eq (w[1], 0xDE00);
  char s[8];
  ck_assert_int_eq (sp_win32_utf16_to_utf8 (w, 2, s, 8), 4);
  ck_assert_mem_eq (s, "\xf0\x9f\x98\x80", 4);
  uint16_t lone[] = { 0xDC00 };
  ck_assert_int_eq (sp_win32_utf16_to_utf8 (lone, 1, s, 8), -1);
  ck_assert_int_eq (sp_win32_utf8_to_utf16 ("\xe0\x80\x80", 3, w, 8), -1);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("win32-quote");
  TEST_CASE (s, table_argv_w);
  TEST_CASE (s, table_crt_wide);
  TEST_CASE (s, table_crt_ansi);
  TEST_CASE (s, unicode);
  TEST_CASE (s, random);
  TEST_CASE (s, split_roundtrip);
  TEST_CASE (s, argv0_with_quote_refused);
  TEST_CASE_WITH_TMPDIR (s, program_path_with_spaces);
  TEST_CASE (s, batch_lines);
  TEST_CASE (s, invalid_utf8_refused);
  TEST_CASE (s, utf8_conversions);
  return s;
}

MAIN_SUITE (make_suite)
