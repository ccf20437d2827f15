/* text.c: the command as text (subproc_to_string_full), its output
 * parsed as it arrives (subproc_run_regex, subproc_run_nul), and what a
 * command was told (subproc_get_uid, subproc_get_gid,
 * subproc_get_pass_fd_index).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * On POSIX the text is run by /bin/sh, and what the helper child prints
 * of its argv and environment must be what the command holds.
 */

#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
# include <fcntl.h>
# include <io.h>
# define pipe(fds) _pipe ((fds), 4096, _O_BINARY | _O_NOINHERIT)
#else
# include <unistd.h>
#endif

#include "common.h"
#include "subproc.h"

/* The code of the last error reported to this thread.  */
static int
last_code (void)
{
  const subproc_error_t *e = subproc_last_error ();
  ck_assert_ptr_nonnull (e);
  return e->code;
}

/* ------------------------------------------------------------------ */
/* subproc_to_string_full */

START_TEST (test_line_breaks_exact)
{
  subproc_t *cmd = subproc_new_arg_list ("/usr/bin/prog", "sub", "-a", "v",
                                         "-b", "--long=x", "file 1", "f2",
                                         NULL);
  subproc_add_env_pair (cmd, "A", "1");
  subproc_add_env_pair (cmd, "B", "x y");
  char *s = subproc_to_string_full (cmd, SUBPROC_STRING_LINE_BREAKS);
  ck_assert_ptr_nonnull (s);
  ck_assert_str_eq (s, "A=1 \\\n"
                       "B='x y' \\\n"
                       "/usr/bin/prog \\\n"
                       "sub \\\n"
                       "-a v \\\n"
                       "-b \\\n"
                       "--long=x 'file 1' \\\n"
                       "f2");
  free (s);

  /* 0 is subproc_to_string's line.  */
  s = subproc_to_string_full (cmd, 0);
  char *plain = subproc_to_string (cmd);
  ck_assert_str_eq (s, plain);
  ck_assert_str_eq (s, "A=1 B='x y' /usr/bin/prog sub -a v -b --long=x "
                       "'file 1' f2");
  free (s);
  free (plain);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_strip_path)
{
  subproc_t *cmd = subproc_new_arg_list ("/usr/local/bin/prog", "/x/y",
                                         NULL);
  char *s = subproc_to_string_full (cmd, SUBPROC_STRING_STRIP_PATH);
  /* Only the program loses its directory.  */
  ck_assert_str_eq (s, "prog /x/y");
  free (s);
  s = subproc_to_string_full (cmd, SUBPROC_STRING_STRIP_PATH
                                     | SUBPROC_STRING_LINE_BREAKS);
  ck_assert_str_eq (s, "prog \\\n/x/y");
  free (s);
  subproc_free (cmd);

  /* A base name that is shell syntax stays quoted; a name that ends in
     a separator is shown whole; a name without one is as it was.  */
  cmd = subproc_new ("/bin/if");
  s = subproc_to_string_full (cmd, SUBPROC_STRING_STRIP_PATH);
  ck_assert_str_eq (s, "'if'");
  free (s);
  subproc_free (cmd);
  cmd = subproc_new ("dir/");
  s = subproc_to_string_full (cmd, SUBPROC_STRING_STRIP_PATH);
  ck_assert_str_eq (s, "dir/");
  free (s);
  subproc_free (cmd);
  cmd = subproc_new ("a b");
  s = subproc_to_string_full (cmd, SUBPROC_STRING_STRIP_PATH);
  ck_assert_str_eq (s, "'a b'");
  free (s);
  subproc_free (cmd);
#ifdef _WIN32
  cmd = subproc_new ("C:\\Tools\\prog.exe");
  s = subproc_to_string_full (cmd, SUBPROC_STRING_STRIP_PATH);
  ck_assert_str_eq (s, "prog.exe");
  free (s);
  subproc_free (cmd);
#endif
}
END_TEST

START_TEST (test_env_via_env_line_breaks)
{
  /* A name that is not a shell name goes through env(1), on a line of
     its own.  */
  subproc_t *cmd = subproc_new_arg_list ("/bin/prog", "-x", NULL);
  subproc_add_env_pair (cmd, "A-B", "1");
  char *s = subproc_to_string_full (cmd, SUBPROC_STRING_LINE_BREAKS);
  ck_assert_str_eq (s, "env -- \\\nA-B=1 \\\n/bin/prog \\\n-x");
  free (s);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_unknown_flags)
{
  subproc_t *cmd = subproc_new_arg_list ("prog", "a", NULL);
  ck_assert_ptr_null (subproc_to_string_full (cmd, 1u << 7));
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  ck_assert_ptr_nonnull (strstr (subproc_last_error ()->message, "0x80"));
  /* The command is as it was.  */
  char *s = subproc_to_string_full (cmd, SUBPROC_STRING_LINE_BREAKS);
  ck_assert_str_eq (s, "prog \\\na");
  free (s);
  ck_assert_ptr_null (subproc_to_string_full (NULL, 0));
  subproc_free (cmd);
}
END_TEST

#ifndef _WIN32
/* The arguments that make a shell line hard.  */
static const char *const tricky[] = {
  "plain", "a b", "it's", "\"dq\"", "$HOME", "`id`", "", "line\nbreak",
  "-o", "value with space", "--flag", "-", "--", "back\\slash", "*", "~",
  "#c", "x=y", "-e", "", "tail\\", "!", ";", "&&", NULL
};

/* Run LINE with /bin/sh -c, PATH set to PATH_DIR when it is not NULL;
   return what it wrote to stdout (*LEN bytes).  */
static char *
sh_output (const char *line, const char *path_dir, size_t *len)
{
  subproc_t *sh = subproc_new_arg_list ("/bin/sh", "-c", line, NULL);
  char *out = NULL;
  if (path_dir)
    subproc_add_env_pair (sh, "PATH", path_dir);
  subproc_set_output_bytes (sh, &out, len);
  test_run_ok (sh);
  subproc_free (sh);
  return out;
}

/* OUT (LEN bytes) is each of ARGS followed by a NUL.  */
static void
assert_nul_list (const char *out, size_t len, const char *const *args)
{
  size_t off = 0;
  for (size_t i = 0; args[i]; i++)
    {
      size_t n = strlen (args[i]);
      ck_assert_msg (off + n < len, "output ends before argument %zu", i);
      ck_assert_msg (memcmp (out + off, args[i], n) == 0
                       && out[off + n] == '\0',
                     "argument %zu is not '%s' in: %.*s", i, args[i],
                     (int) (len - off), out + off);
      off += n + 1;
    }
  ck_assert_uint_eq (off, len);
}

START_TEST (test_sh_round_trip)
{
  const unsigned int flag_sets[] = {
    0, SUBPROC_STRING_LINE_BREAKS, SUBPROC_STRING_STRIP_PATH,
    SUBPROC_STRING_LINE_BREAKS | SUBPROC_STRING_STRIP_PATH
  };
  char *dir = strdup (test_helper ());
  ck_assert_ptr_nonnull (dir);
  *strrchr (dir, '/') = '\0';

  for (size_t f = 0; f < sizeof flag_sets / sizeof *flag_sets; f++)
    {
      subproc_t *cmd = test_helper_cmd ("argv", NULL);
      subproc_add_arg_set (cmd, tricky);
      char *line = subproc_to_string_full (cmd, flag_sets[f]);
      ck_assert_ptr_nonnull (line);
      if (flag_sets[f] & SUBPROC_STRING_LINE_BREAKS)
        ck_assert_ptr_nonnull (strstr (line, " \\\n-o 'value with space'"));
      size_t len = 0;
      char *out = sh_output (line, (flag_sets[f] & SUBPROC_STRING_STRIP_PATH)
                                     ? dir : NULL, &len);
      assert_nul_list (out, len, tricky);
      free (out);
      free (line);
      subproc_free (cmd);
    }
  free (dir);
}
END_TEST

START_TEST (test_sh_round_trip_env)
{
  /* Assignments on lines of their own still set the program's
     environment, through env(1) or not.  */
  const char *const names[] = { "SP_T1", "A-B" };
  for (size_t k = 0; k < 2; k++)
    {
      subproc_t *cmd = test_helper_cmd ("getenv", names[k], "SP_T2", NULL);
      subproc_add_env_pair (cmd, names[k], "va lue\n'x'");
      subproc_add_env_pair (cmd, "SP_T2", "");
      char *line = subproc_to_string_full (cmd, SUBPROC_STRING_LINE_BREAKS);
      size_t len = 0;
      char *out = sh_output (line, NULL, &len);
      ck_assert_str_eq (out, "va lue\n'x'\n\n");
      free (out);
      free (line);
      subproc_free (cmd);
    }
}
END_TEST
#endif

/* ------------------------------------------------------------------ */
/* subproc_run_regex */

/* What the callbacks saw: each call's groups joined with '|' ("(null)"
   for NULL), calls joined with ';'.  */
typedef struct seen
{
  char text[4096];
  size_t calls;
  size_t stop_at;     /* return 1 on this call (1-based; 0: never) */
  size_t longest;     /* the longest group */
} seen_t;

static void
seen_add (seen_t *s, size_t n, const char *const *v)
{
  size_t used = strlen (s->text);
  if (s->calls > 0)
    used += (size_t) snprintf (s->text + used, sizeof s->text - used, ";");
  for (size_t i = 0; i < n; i++)
    {
      if (v[i] && strlen (v[i]) > s->longest)
        s->longest = strlen (v[i]);
      if (v[i] && strlen (v[i]) > 64)
        used += (size_t) snprintf (s->text + used, sizeof s->text - used,
                                   "%s<%zu>", i ? "|" : "", strlen (v[i]));
      else
        used += (size_t) snprintf (s->text + used, sizeof s->text - used,
                                   "%s%s", i ? "|" : "",
                                   v[i] ? v[i] : "(null)");
    }
  s->calls++;
}

static int
seen_func (void *opaque, size_t n, const char *const *v)
{
  seen_t *s = opaque;
  ck_assert_ptr_null (v[n]);
  seen_add (s, n, v);
  return s->stop_at && s->calls == s->stop_at ? 1 : 0;
}

/* subproc_regex_func and subproc_nul_func have the same shape.  */
static int
seen_regex (void *opaque, size_t n, const char *const *groups)
{
  return seen_func (opaque, n, groups);
}

static int
seen_nul (void *opaque, size_t n, const char *const *fields)
{
  seen_t *s = opaque;
  seen_add (s, n, fields);
  return s->stop_at && s->calls == s->stop_at ? 1 : 0;
}

START_TEST (test_regex_one)
{
  const char *re[] = { "^name=([a-z]+) size=([0-9]+)$" };
  seen_t s = { 0 };
  subproc_t *cmd = test_helper_cmd ("print", "name=a size=1\nname=b "
                                    "size=22\r\nnoise\nname=c size=3", NULL);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, NULL, NULL, seen_regex,
                                       &s, NULL), 0);
  /* "\r\n" is an end of line too; the last line needs none.  */
  ck_assert_str_eq (s.text, "a|1;b|22;c|3");
  ck_assert_ptr_null (subproc_get_error (cmd));
  subproc_free (cmd);
}
END_TEST

START_TEST (test_regex_series)
{
  const char *re[] = { "^Name: (.*)$", "^Size: ([0-9]+)$" };
  seen_t s = { 0 };
  subproc_t *cmd = test_helper_cmd ("print", "Size: 0\nName: x\nother\n"
                                    "Size: 5\nName: y\nSize: 6\nName: z\n",
                                    NULL);
  ck_assert_int_eq (subproc_run_regex (cmd, 2, re, NULL, NULL, seen_regex,
                                       &s, NULL), 0);
  /* A line the next expression does not match is skipped; a series cut
     short by the end of the output makes no call.  */
  ck_assert_str_eq (s.text, "x|5;y|6");
  subproc_free (cmd);
}
END_TEST

START_TEST (test_regex_groups)
{
  const char *re[] = { "^(a)(b)?(c)$" };
  size_t three[] = { 3 }, one[] = { 1 }, none[] = { 0 };
  seen_t s = { 0 };
  subproc_t *cmd = test_helper_cmd ("print", "ac\nabc\n", NULL);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, three, NULL, seen_regex,
                                       &s, NULL), 0);
  ck_assert_str_eq (s.text, "a|(null)|c;a|b|c");
  memset (&s, 0, sizeof s);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, one, NULL, seen_regex,
                                       &s, NULL), 0);
  ck_assert_str_eq (s.text, "a;a");
  memset (&s, 0, sizeof s);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, none, NULL, seen_regex,
                                       &s, NULL), 0);
  ck_assert_uint_eq (s.calls, 2);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_regex_prefix)
{
  const char *re[] = { "^foo=([0-9])$" };
  seen_t s = { 0 };
  subproc_t *cmd = test_helper_cmd ("print", "  > foo=1\nfoo=2\n >foo=3\n",
                                    NULL);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, NULL, "  > ", seen_regex,
                                       &s, NULL), 0);
  ck_assert_str_eq (s.text, "1;2");
  subproc_free (cmd);
}
END_TEST

START_TEST (test_regex_bad)
{
  const char *bad[] = { "^ok$", "a(" };
  const char *good[] = { "^(x)$" };
  size_t too_many[] = { 2 };
  seen_t s = { 0 };
  subproc_t *cmd = test_helper_cmd ("print", "x\n", NULL);

  ck_assert_int_eq (subproc_run_regex (cmd, 2, bad, NULL, NULL, seen_regex,
                                       &s, NULL), -1);
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  const char *msg = subproc_last_error ()->message;
  ck_assert_msg (strstr (msg, "regular expression 1 'a('") != NULL,
                 "message: %s", msg);
  /* regerror's text follows the expression.  */
  ck_assert_msg (strlen (strstr (msg, "'a(': ")) > strlen ("'a(': "),
                 "message: %s", msg);

  ck_assert_int_eq (subproc_run_regex (cmd, 1, good, too_many, NULL,
                                       seen_regex, &s, NULL), -1);
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  ck_assert_ptr_nonnull (strstr (subproc_last_error ()->message,
                                 "has 1 groups, not 2"));
  ck_assert_int_eq (subproc_run_regex (cmd, 0, good, NULL, NULL, seen_regex,
                                       &s, NULL), -1);
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, good, NULL, NULL, NULL, &s,
                                       NULL), -1);
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_run_regex (NULL, 1, good, NULL, NULL, seen_regex,
                                       &s, NULL), -1);
  ck_assert_uint_eq (s.calls, 0);

  /* Nothing ran, and the command runs as it was.  */
  ck_assert_int_eq (subproc_run_regex (cmd, 1, good, NULL, NULL, seen_regex,
                                       &s, NULL), 0);
  ck_assert_str_eq (s.text, "x");
  subproc_free (cmd);
}
END_TEST

START_TEST (test_regex_stop)
{
  const char *re[] = { "^out ([0-9]+)$" };
  seen_t s = { .stop_at = 2 };
  char *err = NULL;
  /* Far more lines than a pipe holds: the child is still writing when
     the callback stops it.  */
  subproc_t *cmd = test_helper_cmd ("interleave", "200000", NULL);
  subproc_set_error_buffer (cmd, &err);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, NULL, NULL, seen_regex,
                                       &s, NULL), -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_int_eq (e->code, SUBPROC_ERR_IO);
  ck_assert_int_eq (e->sys_errno, ECANCELED);
  ck_assert_str_eq (s.text, "0;1");
  free (err);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_regex_exit_status)
{
  const char *re[] = { "^(.*)$" };
  seen_t s = { 0 };
  int status = -1;
  subproc_t *cmd = test_helper_cmd ("exit", "3", NULL);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, NULL, NULL, seen_regex,
                                       &s, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_EXIT_STATUS);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, NULL, NULL, seen_regex,
                                       &s, &status), 0);
  ck_assert_int_eq (status, 3);
  ck_assert_uint_eq (s.calls, 0);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_regex_destination)
{
  const char *re[] = { "^(.*)$" };
  seen_t s = { 0 };
  char *out = NULL;
  subproc_t *cmd = test_helper_cmd ("print", "line\n", NULL);

  /* The sink is taken off after the run: the command can run with
     another output, and the parser refuses that one.  */
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, NULL, NULL, seen_regex,
                                       &s, NULL), 0);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  ck_assert_str_eq (out, "line\n");
  free (out);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, NULL, NULL, seen_regex,
                                       &s, NULL), -1);
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  ck_assert_str_eq (s.text, "line");
  /* ... an error of the call alone.  */
  test_run_ok (cmd);
  free (out);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_regex_long_lines)
{
  const char *re[] = { "^([a-z]*)$" };
  /* Longer than SUBPROC_SINK_LINE_MAX, and exactly twice it, the last
     piece then without an end of line.  */
  const char *sizes[] = { "200000", "131072" };
  for (size_t k = 0; k < 2; k++)
    {
      seen_t s = { 0 };
      subproc_t *cmd = test_helper_cmd ("write-bytes", sizes[k], NULL);
      ck_assert_int_eq (subproc_run_regex (cmd, 1, re, NULL, NULL,
                                           seen_regex, &s, NULL), 0);
      ck_assert_uint_eq (s.calls, 1);
      ck_assert_uint_eq (s.longest, strtoul (sizes[k], NULL, 10));
      subproc_free (cmd);
    }
}
END_TEST

static void
fake_lines (subproc_dry_run_io_t *io, void *opaque)
{
  (void) opaque;
  io->output = "k=v\nx\nk=w\n";
  io->output_len = (size_t) -1;
}

START_TEST (test_regex_dry_run)
{
  const char *re[] = { "^k=(.)$" };
  seen_t s = { 0 };
  ck_assert_int_eq (subproc_dry_run_begin (fake_lines, NULL), 0);
  subproc_t *cmd = subproc_new_arg_list ("/no/such/prog", "-l", NULL);
  ck_assert_int_eq (subproc_run_regex (cmd, 1, re, NULL, NULL, seen_regex,
                                       &s, NULL), 0);
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "/no/such/prog -l\n");
  ck_assert_str_eq (s.text, "v;w");
  free (log);
  subproc_free (cmd);
}
END_TEST

/* ------------------------------------------------------------------ */
/* subproc_run_nul */

START_TEST (test_nul_records)
{
  seen_t s = { 0 };
  subproc_t *cmd = test_helper_cmd ("argv", "a", "b", "c", "d", "e", "f",
                                    NULL);
  ck_assert_int_eq (subproc_run_nul (cmd, 2, seen_nul, &s, NULL), 0);
  ck_assert_str_eq (s.text, "a|b;c|d;e|f");
  /* A last record cut short is given as it is.  */
  memset (&s, 0, sizeof s);
  ck_assert_int_eq (subproc_run_nul (cmd, 4, seen_nul, &s, NULL), 0);
  ck_assert_str_eq (s.text, "a|b|c|d;e|f");
  subproc_free (cmd);
}
END_TEST

START_TEST (test_nul_empty_fields)
{
  seen_t s = { 0 };
  subproc_t *cmd = test_helper_cmd ("argv", "", "x", "", NULL);
  ck_assert_int_eq (subproc_run_nul (cmd, 3, seen_nul, &s, NULL), 0);
  ck_assert_str_eq (s.text, "|x|");
  ck_assert_uint_eq (s.calls, 1);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_nul_unterminated)
{
  /* "a\0b\0c": the last field needs no NUL.  */
  seen_t s = { 0 };
  subproc_t *cmd = test_helper_cmd ("write-nul", NULL);
  ck_assert_int_eq (subproc_run_nul (cmd, 1, seen_nul, &s, NULL), 0);
  ck_assert_str_eq (s.text, "a;b;c");
  memset (&s, 0, sizeof s);
  ck_assert_int_eq (subproc_run_nul (cmd, 2, seen_nul, &s, NULL), 0);
  ck_assert_str_eq (s.text, "a|b;c");
  subproc_free (cmd);
}
END_TEST

START_TEST (test_nul_no_output)
{
  seen_t s = { 0 };
  int status = -1;
  subproc_t *cmd = test_helper_cmd ("exit", "4", NULL);
  ck_assert_int_eq (subproc_run_nul (cmd, 1, seen_nul, &s, &status), 0);
  ck_assert_int_eq (status, 4);
  ck_assert_int_eq (subproc_run_nul (cmd, 1, seen_nul, &s, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_EXIT_STATUS);
  ck_assert_uint_eq (s.calls, 0);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_nul_bad)
{
  seen_t s = { 0 };
  int fd = -1;
  subproc_t *cmd = test_helper_cmd ("argv", "a", NULL);
  ck_assert_int_eq (subproc_run_nul (cmd, 0, seen_nul, &s, NULL), -1);
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_run_nul (cmd, 1, NULL, &s, NULL), -1);
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_run_nul (NULL, 1, seen_nul, &s, NULL), -1);
  ck_assert_int_eq (subproc_run_nul (cmd, 1, seen_nul, &s, NULL), 0);
  ck_assert_str_eq (s.text, "a");
  subproc_set_output_fd (cmd, &fd);
  ck_assert_int_eq (subproc_run_nul (cmd, 1, seen_nul, &s, NULL), -1);
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  ck_assert_int_eq (fd, -1);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_nul_stop)
{
  seen_t s = { .stop_at = 2 };
  subproc_t *cmd = test_helper_cmd ("argv", "a", "b", "c", "d", NULL);
  ck_assert_int_eq (subproc_run_nul (cmd, 1, seen_nul, &s, NULL), -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_int_eq (e->code, SUBPROC_ERR_IO);
  ck_assert_int_eq (e->sys_errno, ECANCELED);
  ck_assert_str_eq (s.text, "a;b");
  /* A callback that stops at the very last field, which only the end of
     the output completes, fails the run too.  */
  memset (&s, 0, sizeof s);
  s.stop_at = 3;
  subproc_t *cmd2 = test_helper_cmd ("write-nul", NULL);
  ck_assert_int_eq (subproc_run_nul (cmd2, 1, seen_nul, &s, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd2)->code, SUBPROC_ERR_IO);
  ck_assert_int_eq (subproc_get_error (cmd2)->sys_errno, ECANCELED);
  ck_assert_str_eq (s.text, "a;b;c");
  subproc_free (cmd2);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_nul_big_fields)
{
  /* A field far larger than a read: 300000 bytes of the pattern, and
     no NUL.  */
  seen_t s = { 0 };
  subproc_t *cmd = test_helper_cmd ("write-bytes", "300000", NULL);
  ck_assert_int_eq (subproc_run_nul (cmd, 1, seen_nul, &s, NULL), 0);
  ck_assert_str_eq (s.text, "<300000>");
  subproc_free (cmd);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Getters */

START_TEST (test_get_ids)
{
  subproc_t *cmd = subproc_new ("prog");
  subproc_uid_t uid = 0;
  subproc_gid_t gid = 0;
  ck_assert_int_eq (subproc_get_uid (cmd, &uid), 0);
  ck_assert (uid == (subproc_uid_t) -1);
  ck_assert_int_eq (subproc_get_gid (cmd, &gid), 0);
  ck_assert (gid == (subproc_gid_t) -1);
  subproc_set_uid (cmd, 1234);
  ck_assert_int_eq (subproc_get_uid (cmd, &uid), 1);
  ck_assert_int_eq ((long) uid, 1234);
  ck_assert_int_eq (subproc_get_gid (cmd, &gid), 0);
  subproc_set_gid (cmd, 0);
  ck_assert_int_eq (subproc_get_gid (cmd, &gid), 1);
  ck_assert_int_eq ((long) gid, 0);
  ck_assert_int_eq (subproc_get_uid (cmd, NULL), -1);
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  /* An error of the call alone: the command is as it was.  */
  ck_assert_int_eq (subproc_get_uid (cmd, &uid), 1);
  char *s = subproc_to_string (cmd);
  ck_assert_str_eq (s, "prog");
  free (s);
  subproc_free (cmd);

  /* A builder error: no value.  */
  cmd = subproc_new ("prog");
  subproc_set_uid (cmd, (subproc_uid_t) -1);
  uid = 5;
  ck_assert_int_eq (subproc_get_uid (cmd, &uid), -1);
  ck_assert (uid == (subproc_uid_t) -1);
  subproc_free (cmd);
  ck_assert_int_eq (subproc_get_gid (NULL, &gid), -1);
}
END_TEST

START_TEST (test_pass_fd_index)
{
  int a[2], b[2], c[2];
  ck_assert_int_eq (pipe (a), 0);
  ck_assert_int_eq (pipe (b), 0);
  ck_assert_int_eq (pipe (c), 0);
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_pass_fd (cmd, a[0], 0);
  subproc_pass_fd (cmd, b[0], SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_pass_fd (cmd, c[0], 0);
  subproc_pass_fd (cmd, a[0], 0);
  ck_assert_int_eq (subproc_get_pass_fd_index (cmd, a[0]), 0);
  ck_assert_int_eq (subproc_get_pass_fd_index (cmd, b[0]), 1);
  ck_assert_int_eq (subproc_get_pass_fd_index (cmd, c[0]), 2);
  ck_assert_int_eq (subproc_get_pass_fd_index (cmd, a[1]), -1);
  ck_assert_int_eq (last_code (), SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_last_error ()->sys_errno, EBADF);
  /* The run closes b[0]: it takes no place any more.  */
  test_run_ok (cmd);
  ck_assert_int_eq (subproc_get_pass_fd_index (cmd, b[0]), -1);
  ck_assert_int_eq (subproc_get_pass_fd_index (cmd, c[0]), 1);
  ck_assert_int_eq (subproc_get_pass_fd_index (NULL, c[0]), -1);
  subproc_free (cmd);
  test_close (a[0]);
  test_close (a[1]);
  test_close (b[1]);
  test_close (c[0]);
  test_close (c[1]);
}
END_TEST

static Suite *
text_suite (void)
{
  Suite *s = suite_create ("text");
  TEST_CASE (s, line_breaks_exact);
  TEST_CASE (s, strip_path);
  TEST_CASE (s, env_via_env_line_breaks);
  TEST_CASE (s, unknown_flags);
#ifndef _WIN32
  TEST_CASE (s, sh_round_trip);
  TEST_CASE (s, sh_round_trip_env);
#endif
  TEST_CASE (s, regex_one);
  TEST_CASE (s, regex_series);
  TEST_CASE (s, regex_groups);
  TEST_CASE (s, regex_prefix);
  TEST_CASE (s, regex_bad);
  TEST_CASE (s, regex_stop);
  TEST_CASE (s, regex_exit_status);
  TEST_CASE (s, regex_destination);
  TEST_CASE (s, regex_long_lines);
  TEST_CASE (s, regex_dry_run);
  TEST_CASE (s, nul_records);
  TEST_CASE (s, nul_empty_fields);
  TEST_CASE (s, nul_unterminated);
  TEST_CASE (s, nul_no_output);
  TEST_CASE (s, nul_bad);
  TEST_CASE (s, nul_stop);
  TEST_CASE (s, nul_big_fields);
  TEST_CASE (s, get_ids);
  TEST_CASE (s, pass_fd_index);
  return s;
}

SUBPROC_TEST_MAIN (text_suite)
