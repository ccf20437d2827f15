/* tool.c: the subproc command (tools/subproc.c), run with the helper child
 * as its PROGRAM.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * make check sets SUBPROC_TEST_TOOL to the built command.  Every test
 * runs it through the library and looks at its exit status, its output
 * and what the helper child reported.  The same suite runs under Wine for
 * the Windows build; the tests of options that only POSIX has are
 * compiled for POSIX only, and on Windows those options are checked to
 * fail with the library's "not supported" error instead.
 */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifdef _WIN32
# include <fcntl.h>
# include <io.h>
# include <windows.h>
#else
# include <fcntl.h>
# include <poll.h>
# include <pwd.h>
# include <signal.h>
# include <sys/resource.h>
# include <unistd.h>
#endif

#include "common.h"
#include "subproc.h"

/* ------------------------------------------------------------------ */
/* Running the command.  */

static const char *
tool (void)
{
  const char *path = getenv ("SUBPROC_TEST_TOOL");
  ck_assert_msg (path != NULL && *path,
                 "SUBPROC_TEST_TOOL is not set (run the tests with make "
                 "check)");
  return path;
}

/* What one run of the command gave.  */
struct result
{
  int status;
  char *out, *err;
  size_t out_len, err_len;
};

static void
result_free (struct result *r)
{
  free (r->out);
  free (r->err);
}

/* The no-limit guard of every run: on Windows Check has no timeout of
   its own, so a hung command must not hang the suite.  */
#define RUN_LIMIT_MS 60000

/* Run CMD (the command with its arguments), feeding it INPUT (LEN bytes)
   if INPUT is not NULL, and collect its status, output and error.  */
static struct result
run_cmd (subproc_t *cmd, const char *input, size_t len)
{
  struct result r = { 0 };
  subproc_set_output_bytes (cmd, &r.out, &r.out_len);
  subproc_set_error_bytes (cmd, &r.err, &r.err_len);
  if (input)
    subproc_set_input_bytes (cmd, input, len);
  subproc_set_timeout (cmd, RUN_LIMIT_MS);
  int ret = subproc_run (cmd, &r.status);
  ck_assert_msg (ret == 0, "running the command failed: %s",
                 subproc_get_error (cmd)->message);
  subproc_free (cmd);
  return r;
}

/* The command with the arguments that follow, up to a NULL.  */
static subproc_t *
tool_cmd (const char *first, ...)
{
  va_list ap;
  subproc_t *cmd = subproc_new (tool ());
  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    subproc_add_arg (cmd, a);
  va_end (ap);
  return cmd;
}

/* Run the command with the arguments that follow, up to a NULL.  The
   word HELPER among them stands for the helper child's path.  */
static struct result
run_tool (const char *first, ...)
{
  va_list ap;
  subproc_t *cmd = subproc_new (tool ());
  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    subproc_add_arg (cmd, strcmp (a, "HELPER") == 0 ? test_helper () : a);
  va_end (ap);
  return run_cmd (cmd, NULL, 0);
}

/* The same, with INPUT on the command's standard input.  */
static struct result
run_tool_input (const char *input, const char *first, ...)
{
  va_list ap;
  subproc_t *cmd = subproc_new (tool ());
  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    subproc_add_arg (cmd, strcmp (a, "HELPER") == 0 ? test_helper () : a);
  va_end (ap);
  return run_cmd (cmd, input, strlen (input));
}

#define ASSERT_STATUS(r, want)                                              \
  ck_assert_msg ((r).status == (want),                                      \
                 "status %d, expected %d; stdout '%s', stderr '%s'",        \
                 (r).status, (want), (r).out, (r).err)

#define ASSERT_CONTAINS(hay, needle)                                        \
  ck_assert_msg (strstr ((hay), (needle)) != NULL, "'%s' lacks '%s'",      \
                 (hay), (needle))

/* ------------------------------------------------------------------ */
/* A small JSON reader, enough to take the command's object apart.  */

enum jtype
{
  J_NULL,
  J_BOOL,
  J_NUMBER,
  J_STRING,
  J_ARRAY,
  J_OBJECT
};

typedef struct jv
{
  enum jtype type;
  bool b;
  double num;
  char *str; /* J_STRING: decoded bytes, NUL-terminated */
  size_t len;
  struct jv *items; /* J_ARRAY, J_OBJECT */
  char **keys;      /* J_OBJECT */
  size_t n;
} jv_t;

struct jparser
{
  const char *p, *start;
};

static void jparse_value (struct jparser *j, jv_t *v);

static void
jfail (struct jparser *j, const char *what)
{
  ck_abort_msg ("bad JSON at offset %ld (%s): '%s'",
                (long) (j->p - j->start), what, j->start);
}

static void
jskip (struct jparser *j)
{
  while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
    j->p++;
}

static void
jexpect (struct jparser *j, char c)
{
  jskip (j);
  if (*j->p != c)
    jfail (j, "unexpected character");
  j->p++;
}

static unsigned int
jhex4 (struct jparser *j)
{
  unsigned int v = 0;
  for (int i = 0; i < 4; i++)
    {
      char c = *j->p++;
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= (unsigned int) (c - '0');
      else if (c >= 'a' && c <= 'f')
        v |= (unsigned int) (c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v |= (unsigned int) (c - 'A' + 10);
      else
        jfail (j, "bad \\u escape");
    }
  return v;
}

/* Append code point CP to OUT as UTF-8.  */
static size_t
put_utf8 (char *out, unsigned int cp)
{
  if (cp < 0x80)
    {
      out[0] = (char) cp;
      return 1;
    }
  if (cp < 0x800)
    {
      out[0] = (char) (0xC0 | (cp >> 6));
      out[1] = (char) (0x80 | (cp & 0x3F));
      return 2;
    }
  if (cp < 0x10000)
    {
      out[0] = (char) (0xE0 | (cp >> 12));
      out[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
      out[2] = (char) (0x80 | (cp & 0x3F));
      return 3;
    }
  out[0] = (char) (0xF0 | (cp >> 18));
  out[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char) (0x80 | (cp & 0x3F));
  return 4;
}

static char *
jparse_string (struct jparser *j, size_t *len)
{
  jexpect (j, '"');
  /* Decoded text is never longer than its JSON form.  */
  char *out = malloc (strlen (j->p) + 1);
  size_t n = 0;
  ck_assert_ptr_nonnull (out);
  for (;;)
    {
      unsigned char c = (unsigned char) *j->p++;
      if (c == '"')
        break;
      if (c == '\0')
        jfail (j, "unterminated string");
      if (c < 0x20)
        jfail (j, "raw control character in a string");
      if (c != '\\')
        {
          out[n++] = (char) c;
          continue;
        }
      c = (unsigned char) *j->p++;
      switch (c)
        {
        case '"':
        case '\\':
        case '/':
          out[n++] = (char) c;
          break;
        case 'b':
          out[n++] = '\b';
          break;
        case 'f':
          out[n++] = '\f';
          break;
        case 'n':
          out[n++] = '\n';
          break;
        case 'r':
          out[n++] = '\r';
          break;
        case 't':
          out[n++] = '\t';
          break;
        case 'u':
          {
            unsigned int cp = jhex4 (j);
            if (cp >= 0xD800 && cp <= 0xDBFF && j->p[0] == '\\'
                && j->p[1] == 'u')
              {
                j->p += 2;
                unsigned int lo = jhex4 (j);
                if (lo < 0xDC00 || lo > 0xDFFF)
                  jfail (j, "bad surrogate pair");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              }
            n += put_utf8 (out + n, cp);
          }
          break;
        default:
          jfail (j, "bad escape");
        }
    }
  out[n] = '\0';
  *len = n;
  return out;
}

static void
jparse_value (struct jparser *j, jv_t *v)
{
  memset (v, 0, sizeof *v);
  jskip (j);
  if (*j->p == '{' || *j->p == '[')
    {
      bool object = *j->p == '{';
      char close = object ? '}' : ']';
      v->type = object ? J_OBJECT : J_ARRAY;
      j->p++;
      jskip (j);
      if (*j->p == close)
        {
          j->p++;
          return;
        }
      for (;;)
        {
          v->items = realloc (v->items, (v->n + 1) * sizeof *v->items);
          ck_assert_ptr_nonnull (v->items);
          if (object)
            {
              size_t klen;
              v->keys = realloc (v->keys, (v->n + 1) * sizeof *v->keys);
              ck_assert_ptr_nonnull (v->keys);
              v->keys[v->n] = jparse_string (j, &klen);
              jexpect (j, ':');
            }
          jparse_value (j, &v->items[v->n]);
          v->n++;
          jskip (j);
          if (*j->p == ',')
            {
              j->p++;
              continue;
            }
          jexpect (j, close);
          return;
        }
    }
  if (*j->p == '"')
    {
      v->type = J_STRING;
      v->str = jparse_string (j, &v->len);
      return;
    }
  if (strncmp (j->p, "null", 4) == 0)
    {
      v->type = J_NULL;
      j->p += 4;
      return;
    }
  if (strncmp (j->p, "true", 4) == 0 || strncmp (j->p, "false", 5) == 0)
    {
      v->type = J_BOOL;
      v->b = *j->p == 't';
      j->p += v->b ? 4 : 5;
      return;
    }
  /* A number, JSON's grammar: -?int frac? exp?  */
  const char *s = j->p;
  if (*j->p == '-')
    j->p++;
  if (*j->p < '0' || *j->p > '9')
    jfail (j, "not a value");
  if (*j->p == '0' && j->p[1] >= '0' && j->p[1] <= '9')
    jfail (j, "leading zero");
  while (*j->p >= '0' && *j->p <= '9')
    j->p++;
  if (*j->p == '.')
    {
      j->p++;
      if (*j->p < '0' || *j->p > '9')
        jfail (j, "bad fraction");
      while (*j->p >= '0' && *j->p <= '9')
        j->p++;
    }
  v->type = J_NUMBER;
  v->num = strtod (s, NULL);
}

static void
jv_clear (jv_t *v)
{
  for (size_t i = 0; i < v->n; i++)
    {
      jv_clear (&v->items[i]);
      if (v->keys)
        free (v->keys[i]);
    }
  free (v->items);
  free (v->keys);
  free (v->str);
}

/* Parse TEXT, which must be one object followed by a newline and
   nothing else.  */
static jv_t
jparse (const char *text)
{
  struct jparser j = { text, text };
  jv_t v;
  ck_assert_ptr_nonnull (text);
  jparse_value (&j, &v);
  if (v.type != J_OBJECT)
    jfail (&j, "not an object");
  if (strcmp (j.p, "\n") != 0)
    jfail (&j, "not one line");
  return v;
}

/* Member KEY of object O, which must be there.  */
static const jv_t *
jget (const jv_t *o, const char *key)
{
  for (size_t i = 0; i < o->n; i++)
    if (strcmp (o->keys[i], key) == 0)
      return &o->items[i];
  ck_abort_msg ("no member '%s'", key);
  return NULL;
}

static bool
jhas (const jv_t *o, const char *key)
{
  for (size_t i = 0; i < o->n; i++)
    if (strcmp (o->keys[i], key) == 0)
      return true;
  return false;
}

static const char *
jstr (const jv_t *o, const char *key)
{
  const jv_t *v = jget (o, key);
  ck_assert_msg (v->type == J_STRING, "'%s' is not a string", key);
  return v->str;
}

static long long
jint (const jv_t *o, const char *key)
{
  const jv_t *v = jget (o, key);
  ck_assert_msg (v->type == J_NUMBER, "'%s' is not a number", key);
  return (long long) v->num;
}

static bool
jbool (const jv_t *o, const char *key)
{
  const jv_t *v = jget (o, key);
  ck_assert_msg (v->type == J_BOOL, "'%s' is not a boolean", key);
  return v->b;
}

static bool
jnull (const jv_t *o, const char *key)
{
  return jget (o, key)->type == J_NULL;
}

/* The members of a run's object, in their order; the _base64 ones come
   right after their stream when it is not valid UTF-8.  */
static void
check_members (const jv_t *o)
{
  static const char *const keys[] = {
    "program", "argv", "exit_status", "signal", "timed_out",
    "output_limit_exceeded", "limit_exceeded", "elapsed", "usage", "stdout",
    "stdout_base64",
    "stderr", "stderr_base64", "error", "status",
  };
  size_t k = 0;
  for (size_t i = 0; i < o->n; i++)
    {
      while (k < sizeof keys / sizeof keys[0]
             && strcmp (keys[k], o->keys[i]) != 0
             && strstr (keys[k], "_base64"))
        k++;
      ck_assert_msg (k < sizeof keys / sizeof keys[0]
                       && strcmp (keys[k], o->keys[i]) == 0,
                     "unexpected member '%s' at %zu", o->keys[i], i);
      k++;
    }
  ck_assert_msg (k == sizeof keys / sizeof keys[0], "members missing");
  ck_assert (jget (o, "elapsed")->num >= 0);
}

/* Decode base64 TEXT; the byte count in *LEN.  */
static char *
unbase64 (const char *text, size_t *len)
{
  static const char digits[]
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t n = strlen (text);
  char *out = malloc (n + 1);
  size_t o = 0;
  ck_assert_ptr_nonnull (out);
  ck_assert_msg (n % 4 == 0, "base64 length %zu", n);
  for (size_t i = 0; i < n; i += 4)
    {
      unsigned long v = 0;
      int pad = 0;
      for (int k = 0; k < 4; k++)
        {
          const char *d = strchr (digits, text[i + k]);
          if (text[i + k] == '=')
            pad++, d = digits;
          ck_assert_msg (d != NULL && text[i + k], "bad base64 '%s'", text);
          v = (v << 6) | (unsigned long) (d - digits);
        }
      out[o++] = (char) (v >> 16);
      if (pad < 2)
        out[o++] = (char) (v >> 8);
      if (pad < 1)
        out[o++] = (char) v;
    }
  *len = o;
  return out;
}

/* ------------------------------------------------------------------ */
/* Help, version and usage errors.  */

START_TEST (test_version)
{
  struct result r = run_tool ("--version", NULL);
  char want[64];
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "subproc (libsubproc) " PACKAGE_VERSION "\n");
  snprintf (want, sizeof want, "library loaded: libsubproc %s\n",
            subproc_version ());
  ASSERT_CONTAINS (r.out, want);
  ck_assert_str_eq (r.err, "");
  result_free (&r);

  r = run_tool ("-V", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "subproc (libsubproc) ");
  result_free (&r);
}
END_TEST

START_TEST (test_help)
{
  /* Every option is in the help.  */
  static const char *const options[] = {
    "--clear-env", "--env=", "--unset=", "--pass-env=", "--pass-common",
    "--env-xdg=", "--cwd=", "--input=", "--input-file=", "--null-input",
    "--output-file=", "--error-file=", "--null-output", "--null-error",
    "--merge", "--capture", "--max-output=", "--json", "--timeout=",
    "--grace=",
    "--daemonize", "--pid-file=", "--umask=", "--uid=", "--gid=",
    "--limit-nofile=", "--limit-nproc=", "--limit-core=",
    "--limit-memlock=", "--clear-caps", "--allow-cap=", "--no-new-privs",
    "--pass-fd=", "--new-process-group", "--kill-on-parent-exit",
    "--new-session", "--argv0=", "--append-output=", "--append-error=",
    "--pass-fd-as=", "--nice=", "--no-window",
    "--cgroup=",
    "--dry-run", "--verbose", "--help", "--version", "--parallel=",
    "--null", "--replace=", "--keep-order", "--progress", "--time",
  };
  struct result r = run_tool ("--help", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "Usage: subproc [OPTION]... [--] PROGRAM [ARG]...");
  for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
    ASSERT_CONTAINS (r.out, options[i]);
  ck_assert_str_eq (r.err, "");
  result_free (&r);
}
END_TEST

/* Each of these command lines is refused with 125 before anything
   runs.  */
START_TEST (test_usage_errors)
{
  static const char *const lines[][3] = {
    { "--no-such-option", "HELPER", NULL },
    { "-Z", "HELPER", NULL },
    { NULL },
    { "--timeout", NULL },
    { "--timeout=abc", "HELPER", NULL },
    { "--timeout=1x", "HELPER", NULL },
    { "--timeout=.", "HELPER", NULL },
    { "--timeout=99999999999999999999", "HELPER", NULL },
    { "--timeout=50d", "HELPER", NULL },
    { "--grace", NULL },
    { "--grace=abc", "HELPER", NULL },
    { "--grace=50d", "HELPER", NULL },
    { "--umask=800", "HELPER", NULL },
    { "--umask=-1", "HELPER", NULL },
    { "--limit-nofile=many", "HELPER", NULL },
    { "--limit-nproc=-1", "HELPER", NULL },
    { "--limit-core=5Q", "HELPER", NULL },
    { "--max-output=99999999999T", "HELPER", NULL },
    { "--env=NOEQUALS", "HELPER", NULL },
    { "--env==x", "HELPER", NULL },
    { "--unset=A=B", "HELPER", NULL },
    { "--allow-cap=no_such_cap", "HELPER", NULL },
    { "--allow-cap=64", "HELPER", NULL },
    { "--pass-fd=x", "HELPER", NULL },
    { "--pass-fd-as=3", "HELPER", NULL },
    { "--pass-fd-as=x:4", "HELPER", NULL },
    { "--pass-fd-as=3:", "HELPER", NULL },
    { "--nice=20", "HELPER", NULL },
    { "--nice=-21", "HELPER", NULL },
    { "--nice=x", "HELPER", NULL },
    { "--parallel=0", "HELPER", NULL },
    { "--parallel=1025", "HELPER", NULL },
    { "-P", "x", "HELPER" },
    { "--null", "HELPER", NULL },
    { "--replace={}", "HELPER", NULL },
    { "--keep-order", "HELPER", NULL },
    { "--progress", "HELPER", NULL },
    { "-P2", "--replace=", "HELPER" },
    { "-P2", "--output-file=out", "HELPER" },
    { "-P2", "--error-file=err", "HELPER" },
    { "-P2", "--append-output=out", "HELPER" },
    { "-P2", "--append-error=err", "HELPER" },
    { "--argv0", NULL },
    { "-P2", "--daemonize", "HELPER" },
    { "-P2", "--pid-file=pid", "HELPER" },
  };
  for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
    {
      subproc_t *cmd = subproc_new (tool ());
      for (size_t k = 0; k < 3 && lines[i][k]; k++)
        subproc_add_arg (cmd, strcmp (lines[i][k], "HELPER") == 0
                                ? test_helper ()
                                : lines[i][k]);
      /* The helper would print its usage and exit 2 if it ran.  */
      struct result r = run_cmd (cmd, NULL, 0);
      ck_assert_msg (r.status == 125, "line %zu: status %d, stderr '%s'", i,
                     r.status, r.err);
      ASSERT_CONTAINS (r.err, "Try 'subproc --help' for more information.");
      ck_assert_str_eq (r.out, "");
      result_free (&r);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Exit status.  */

START_TEST (test_exit_status)
{
  static const char *const codes[] = { "0", "1", "3", "42", "123", "255" };
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
    {
      struct result r = run_tool ("HELPER", "exit", codes[i], NULL);
      ASSERT_STATUS (r, atoi (codes[i]));
      ck_assert_str_eq (r.err, "");
      result_free (&r);
    }
  /* Options end at the program: its own options are its own.  */
  struct result r = run_tool ("--", "HELPER", "argv", "--json", "-n", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_uint_eq (r.out_len, 10);
  ck_assert_mem_eq (r.out, "--json\0-n\0", 10);
  result_free (&r);
}
END_TEST

#ifdef _WIN32
/* Windows exit codes are 32 bits wide and passed on whole.  */
START_TEST (test_exit_status_wide)
{
  struct result r = run_tool ("HELPER", "exit", "300", NULL);
  ASSERT_STATUS (r, 300);
  result_free (&r);
}
END_TEST
#endif

START_TEST (test_not_found)
{
  char *missing = test_tmp_path ("no-such-program");
  struct result r = run_tool (missing, NULL);
  ASSERT_STATUS (r, 127);
  ASSERT_CONTAINS (r.err, "subproc: cannot find program '");
  ASSERT_CONTAINS (r.err, "no-such-program");
  result_free (&r);

  r = run_tool ("subproc-no-such-program-anywhere", "x", NULL);
  ASSERT_STATUS (r, 127);
  ASSERT_CONTAINS (r.err, "cannot find program "
                          "'subproc-no-such-program-anywhere'");
  result_free (&r);
  free (missing);
}
END_TEST

#ifndef _WIN32
/* The lookup finds the program, but executing it fails: the exec step
   decides between 127 (its interpreter is missing) and 126 (its
   interpreter is a directory).  */
START_TEST (test_exec_fails)
{
  char *path = test_tmp_path ("no-interpreter");
  static const char missing[] = "#!/nonexistent/subproc-interpreter\n";
  test_write_file (path, missing, sizeof missing - 1);
  ck_assert_int_eq (chmod (path, 0755), 0);
  struct result r = run_tool (path, NULL);
  ASSERT_STATUS (r, 127);
  ASSERT_CONTAINS (r.err, "subproc: cannot run '");
  result_free (&r);
  free (path);

  path = test_tmp_path ("directory-interpreter");
  char *text = malloc (strlen (test_tmpdir) + 4);
  ck_assert_ptr_nonnull (text);
  sprintf (text, "#!%s\n", test_tmpdir);
  test_write_file (path, text, strlen (text));
  ck_assert_int_eq (chmod (path, 0755), 0);
  r = run_tool (path, NULL);
  ASSERT_STATUS (r, 126);
  ASSERT_CONTAINS (r.err, "subproc: cannot run '");
  result_free (&r);
  free (text);
  free (path);
}
END_TEST
#endif

/* A file that is there but is no program: 126.  */
START_TEST (test_cannot_run)
{
  /* A file the system refuses to run: on Windows, CreateProcess fails
     with ERROR_BAD_EXE_FORMAT; elsewhere execve with ENOEXEC (the
     library never falls back to a shell).  */
  char *path = test_garbage_program ();
  struct result r = run_tool (path, NULL);
  ASSERT_STATUS (r, 126);
  ASSERT_CONTAINS (r.err, "subproc: cannot run '");
  result_free (&r);
  free (path);

#ifndef _WIN32
  /* Not executable (no x bit, which binds root too): the lookup finds
     it but may not run it.  */
  path = test_tmp_path ("not-executable");
  test_write_file (path, "data\n", 5);
  ck_assert_int_eq (chmod (path, 0644), 0);
  r = run_tool (path, NULL);
  ASSERT_STATUS (r, 126);
  ASSERT_CONTAINS (r.err, "Permission denied");
  result_free (&r);
  free (path);
#endif
}
END_TEST

START_TEST (test_timeout)
{
  /* Stopped: 124, with the library's message.  */
  struct result r = run_tool ("--timeout=0.2", "HELPER", "sleep", "30000",
                              NULL);
  ASSERT_STATUS (r, 124);
  ASSERT_CONTAINS (r.err, "did not finish within 200 ms and was stopped");
  result_free (&r);

  r = run_tool ("-t", ".1", "HELPER", "sleep-forever", NULL);
  ASSERT_STATUS (r, 124);
  ASSERT_CONTAINS (r.err, "within 100 ms");
  result_free (&r);

  /* Units, and rounding up below a millisecond.  */
  r = run_tool ("--timeout=0.0001s", "HELPER", "sleep", "30000", NULL);
  ASSERT_STATUS (r, 124);
  ASSERT_CONTAINS (r.err, "within 1 ms");
  result_free (&r);

  /* Finished in time: the child's status.  */
  r = run_tool ("--timeout=1m", "HELPER", "exit", "7", NULL);
  ASSERT_STATUS (r, 7);
  ck_assert_str_eq (r.err, "");
  result_free (&r);

  r = run_tool ("--timeout=0.5h", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 0);
  result_free (&r);

  /* 0: no limit.  */
  r = run_tool ("--timeout=0", "HELPER", "sleep", "50", NULL);
  ASSERT_STATUS (r, 0);
  result_free (&r);
}
END_TEST

/* The grace period of the stop at the timeout: 0 and a long one (the
   child ends on the first signal).  */
START_TEST (test_grace)
{
  struct result r = run_tool ("--timeout=0.1", "--grace=0", "HELPER",
                              "sleep-forever", NULL);
  ASSERT_STATUS (r, 124);
  ASSERT_CONTAINS (r.err, "within 100 ms");
  result_free (&r);

  r = run_tool ("--timeout=0.1", "--grace=1h", "HELPER", "sleep-forever",
                NULL);
  ASSERT_STATUS (r, 124);
  result_free (&r);

  r = run_tool ("--grace=2", "HELPER", "exit", "7", NULL);
  ASSERT_STATUS (r, 7);
  ck_assert_str_eq (r.err, "");
  result_free (&r);
}
END_TEST

#ifndef _WIN32
/* Death by signal N: 128+N, as shells report it (POSIX has signals).  */
START_TEST (test_signal_status)
{
  struct result r = run_tool ("HELPER", "signal", "KILL", NULL);
  ASSERT_STATUS (r, 128 + SIGKILL);
  ck_assert_str_eq (r.err, "");
  result_free (&r);

  r = run_tool ("HELPER", "signal", "TERM", NULL);
  ASSERT_STATUS (r, 128 + SIGTERM);
  result_free (&r);

  r = run_tool ("--json", "HELPER", "signal", "USR1", NULL);
  ASSERT_STATUS (r, 128 + SIGUSR1);
  jv_t o = jparse (r.out);
  check_members (&o);
  ck_assert (jnull (&o, "exit_status"));
  ck_assert_int_eq (jint (&o, "signal"), SIGUSR1);
  ck_assert_int_eq (jint (&o, "status"), 128 + SIGUSR1);
  ck_assert (jnull (&o, "error"));
  jv_clear (&o);
  result_free (&r);
}
END_TEST
#endif

/* ------------------------------------------------------------------ */
/* Environment.  */

/* Per name, the value the helper saw, one per line.  */
START_TEST (test_env_inherited_and_modified)
{
  test_setenv ("SUBPROC_TOOL_A", "a value");
  test_setenv ("SUBPROC_TOOL_B", "b");

  /* Inherited as it is by default.  */
  struct result r = run_tool ("HELPER", "getenv", "SUBPROC_TOOL_A",
                              "SUBPROC_TOOL_B", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "a value\nb\n");
  result_free (&r);

  /* Set, unset, replaced: the rest stays.  */
  r = run_tool ("-u", "SUBPROC_TOOL_A", "--env=SUBPROC_TOOL_C=c=d",
                "-e", "SUBPROC_TOOL_B=new", "HELPER", "getenv",
                "SUBPROC_TOOL_A", "SUBPROC_TOOL_B", "SUBPROC_TOOL_C", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "(unset)\nnew\nc=d\n");
  result_free (&r);

  /* An empty value is a value.  */
  r = run_tool ("--env=SUBPROC_TOOL_A=", "HELPER", "getenv",
                "SUBPROC_TOOL_A", "SUBPROC_TOOL_B", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "\nb\n");
  result_free (&r);

#ifdef _WIN32
  /* Windows compares names without regard to case.  */
  r = run_tool ("--unset=subproc_tool_a", "HELPER", "getenv",
                "SUBPROC_TOOL_A", "SUBPROC_TOOL_B", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "(unset)\nb\n");
  result_free (&r);
#endif

  test_unsetenv ("SUBPROC_TOOL_A");
  test_unsetenv ("SUBPROC_TOOL_B");
}
END_TEST

START_TEST (test_env_clear)
{
  test_setenv ("SUBPROC_TOOL_A", "a");
  test_setenv ("SUBPROC_TOOL_B", "b");

  struct result r = run_tool ("--clear-env", "HELPER", "getenv",
                              "SUBPROC_TOOL_A", "PATH", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "(unset)\n(unset)\n");
  result_free (&r);

  r = run_tool ("-i", "--pass-env=SUBPROC_TOOL_B", "-e", "X=1",
                "--pass-env=SUBPROC_TOOL_UNSET_NAME", "HELPER", "getenv",
                "SUBPROC_TOOL_A", "SUBPROC_TOOL_B", "X",
                "SUBPROC_TOOL_UNSET_NAME", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "(unset)\nb\n1\n(unset)\n");
  result_free (&r);

  r = run_tool ("-i", "--pass-common", "HELPER", "getenv", "LC_ALL",
                "SUBPROC_TOOL_A", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "C\n(unset)\n");
  result_free (&r);

  r = run_tool ("-i", "--env-xdg=/base", "HELPER", "getenv",
                "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out,
                    "/base/.local/share\n/base/.cache\n/base/.config\n");
  result_free (&r);

#ifndef _WIN32
  /* Exactly what was asked for, and nothing else (Windows adds variables
     of its own to a child's environment).  */
  r = run_tool ("-i", "-e", "ONE=1", "-e", "TWO=2", "-e", "ONE=3", "HELPER",
                "env", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_uint_eq (r.out_len, 12);
  ck_assert_mem_eq (r.out, "ONE=3\0TWO=2\0", 12);
  result_free (&r);

  r = run_tool ("-i", "HELPER", "env", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_uint_eq (r.out_len, 0);
  result_free (&r);
#endif

  test_unsetenv ("SUBPROC_TOOL_A");
  test_unsetenv ("SUBPROC_TOOL_B");
}
END_TEST

/* ------------------------------------------------------------------ */
/* Working directory and streams.  */

START_TEST (test_cwd)
{
  struct result r = run_tool ("--cwd", test_tmpdir, "HELPER", "cwd", NULL);
  char *want = malloc (strlen (test_tmpdir) + 2);
  ck_assert_ptr_nonnull (want);
  sprintf (want, "%s\n", test_tmpdir);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, want);
  result_free (&r);
  free (want);

  /* The directory is missing: a setup step failed, 125.  */
  char *missing = test_tmp_path ("missing");
  r = run_tool ("-C", missing, "HELPER", "cwd", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "subproc: cannot run '");
  ASSERT_CONTAINS (r.err, "changing directory failed");
  ck_assert_str_eq (r.out, "");
  result_free (&r);
  free (missing);
}
END_TEST

START_TEST (test_input)
{
  /* Inherited by default.  */
  struct result r = run_tool_input ("from the caller", "HELPER", "echo",
                                    NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "from the caller");
  result_free (&r);

  r = run_tool_input ("from the caller", "--input", "a string\n", "HELPER",
                      "echo", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "a string\n");
  result_free (&r);

  /* A file, bytes as they are.  */
  char *path = test_tmp_path ("in");
  test_write_file (path, "bin\0\xff\r\n", 7);
  r = run_tool ("--input-file", path, "HELPER", "echo", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_uint_eq (r.out_len, 7);
  ck_assert_mem_eq (r.out, "bin\0\xff\r\n", 7);
  result_free (&r);

  /* The null device; the last input option wins.  */
  r = run_tool_input ("from the caller", "--input=x", "--null-input",
                      "HELPER", "stdio-null", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "0=null\n1=other\n2=other\n");
  result_free (&r);

  char *missing = test_tmp_path ("missing");
  r = run_tool ("--input-file", missing, "HELPER", "echo", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "opening a file failed: the input file '");
  result_free (&r);
  free (missing);
  free (path);
}
END_TEST

/* Appended to, created if missing, and with --merge one file.  */
START_TEST (test_append_files)
{
  char *out = test_tmp_path ("out"), *err = test_tmp_path ("err");

  test_write_file (out, "old\n", 4);
  struct result r = run_tool ("--append-output", out, "--append-error", err,
                              "HELPER", "interleave", "1", NULL);
  ASSERT_STATUS (r, 0);
  result_free (&r);
  r = run_tool ("--append-output", out, "--append-error", err, "HELPER",
                "interleave", "1", NULL);
  ASSERT_STATUS (r, 0);
  result_free (&r);
  char *text = test_read_file (out, NULL);
  ck_assert_str_eq (text, "old\nout 0\nout 0\n");
  free (text);
  text = test_read_file (err, NULL);
  ck_assert_str_eq (text, "err 0\nerr 0\n");
  free (text);

  r = run_tool ("--merge", "--append-output", out, "HELPER", "interleave",
                "1", NULL);
  ASSERT_STATUS (r, 0);
  result_free (&r);
  text = test_read_file (out, NULL);
  ck_assert_str_eq (text, "old\nout 0\nout 0\nout 0\nerr 0\n");
  free (text);

  /* The last option for a stream wins.  */
  r = run_tool ("--append-output", out, "--output-file", out, "HELPER",
                "print", "x", NULL);
  ASSERT_STATUS (r, 0);
  result_free (&r);
  text = test_read_file (out, NULL);
  ck_assert_str_eq (text, "x");
  free (text);
  free (out);
  free (err);
}
END_TEST

/* The child's argv[0], and the program that still runs.  */
START_TEST (test_argv0)
{
  struct result r = run_tool ("--argv0=other name", "HELPER", "argv0", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "other name\n");
  result_free (&r);

  r = run_tool ("--argv0", "x", "-n", "HELPER", "argv0", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, test_helper ());
  result_free (&r);
}
END_TEST

START_TEST (test_output_files)
{
  char *out = test_tmp_path ("out"), *err = test_tmp_path ("err");
  size_t len;

  /* Existing content is replaced.  */
  test_write_file (out, "old content that is longer", 26);
  struct result r = run_tool ("--output-file", out, "--error-file", err,
                              "HELPER", "interleave", "2", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "");
  ck_assert_str_eq (r.err, "");
  result_free (&r);
  char *text = test_read_file (out, &len);
  ck_assert_str_eq (text, "out 0\nout 1\n");
  free (text);
  text = test_read_file (err, NULL);
  ck_assert_str_eq (text, "err 0\nerr 1\n");
  free (text);

  /* Merged: one file, in the order written.  */
  r = run_tool ("--merge", "--output-file", out, "HELPER", "interleave", "2",
                NULL);
  ASSERT_STATUS (r, 0);
  result_free (&r);
  text = test_read_file (out, NULL);
  ck_assert_str_eq (text, "out 0\nerr 0\nout 1\nerr 1\n");
  free (text);

  /* Merged into the command's own standard output.  */
  r = run_tool ("--merge", "HELPER", "interleave", "1", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "out 0\nerr 0\n");
  ck_assert_str_eq (r.err, "");
  result_free (&r);

  /* Null devices.  */
  r = run_tool ("--null-output", "HELPER", "interleave", "1", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "");
  ck_assert_str_eq (r.err, "err 0\n");
  result_free (&r);
  r = run_tool ("--null-error", "HELPER", "stdio-null", "2", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.err, "");
  result_free (&r);
  r = run_tool ("--null-error", "HELPER", "stdio-null", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "0=null\n1=other\n2=null\n");
  result_free (&r);

  char *bad = test_tmp_path ("missing/out");
  r = run_tool ("--output-file", bad, "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "opening a file failed: the output file '");
  result_free (&r);
  r = run_tool ("--error-file", bad, "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "opening a file failed: the error file '");
  result_free (&r);
  r = run_tool ("--append-output", bad, "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "opening a file failed: the output file '");
  result_free (&r);
  free (bad);
  free (out);
  free (err);
}
END_TEST

START_TEST (test_capture)
{
  /* Collected, then written out; the status is the child's.  */
  struct result r = run_tool ("--capture", "HELPER", "err-exit", "message",
                              "3", NULL);
  ASSERT_STATUS (r, 3);
  ck_assert_str_eq (r.out, "");
  ck_assert_str_eq (r.err, "message\n");
  result_free (&r);

  r = run_tool ("--capture", "HELPER", "write-nul", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_uint_eq (r.out_len, 5);
  ck_assert_mem_eq (r.out, "a\0b\0c", 5);
  result_free (&r);

  r = run_tool ("--capture", "--merge", "HELPER", "interleave", "2", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "out 0\nerr 0\nout 1\nerr 1\n");
  ck_assert_str_eq (r.err, "");
  result_free (&r);

  /* Large output, both streams at once.  */
  r = run_tool ("--capture", "HELPER", "write-both", "1000000", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_uint_eq (r.out_len, 1000000);
  ck_assert_uint_eq (r.err_len, 1000000);
  ck_assert_int_eq (memcmp (r.out, r.err, 1000000), 0);
  ck_assert_mem_eq (r.out + 26 * 1000, "abcdef", 6);
  result_free (&r);
}
END_TEST

START_TEST (test_max_output)
{
  struct result r = run_tool ("--max-output=1K", "HELPER", "write-bytes",
                              "100000", NULL);
  ASSERT_STATUS (r, 125);
  ck_assert_uint_eq (r.out_len, 1024);
  ck_assert_mem_eq (r.out, "abcdefghijklmnopqrstuvwxyz", 26);
  ASSERT_CONTAINS (r.err, "exceeded the limit of 1024 bytes");
  result_free (&r);

  /* A child that never stops writing is stopped.  */
  r = run_tool ("--json", "--max-output=64KiB", "HELPER", "write-forever",
                NULL);
  ASSERT_STATUS (r, 125);
  jv_t o = jparse (r.out);
  check_members (&o);
  ck_assert (jbool (&o, "output_limit_exceeded"));
  ck_assert (!jbool (&o, "timed_out"));
  ck_assert_uint_eq (jget (&o, "stdout")->len, 65536);
  ck_assert_str_eq (jstr (jget (&o, "error"), "code"), "SUBPROC_ERR_IO");
  ck_assert_int_eq (jint (&o, "status"), 125);
  jv_clear (&o);
  result_free (&r);

  /* Within the limit: nothing happens.  */
  r = run_tool ("--max-output=100", "HELPER", "write-bytes", "100", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_uint_eq (r.out_len, 100);
  result_free (&r);
}
END_TEST

/* ------------------------------------------------------------------ */
/* JSON.  */

START_TEST (test_json)
{
  struct result r = run_tool ("--json", "HELPER", "err-exit", "oops", "3",
                              NULL);
  ASSERT_STATUS (r, 3);
  /* The library's message is not printed for a status: only errors.  */
  ck_assert_str_eq (r.err, "");
  jv_t o = jparse (r.out);
  check_members (&o);
  ck_assert_str_eq (jstr (&o, "program"), test_helper ());
  const jv_t *argv = jget (&o, "argv");
  ck_assert_int_eq (argv->type, J_ARRAY);
  ck_assert_uint_eq (argv->n, 4);
  ck_assert_str_eq (argv->items[0].str, test_helper ());
  ck_assert_str_eq (argv->items[1].str, "err-exit");
  ck_assert_str_eq (argv->items[2].str, "oops");
  ck_assert_str_eq (argv->items[3].str, "3");
  ck_assert_int_eq (jint (&o, "exit_status"), 3);
  ck_assert (jnull (&o, "signal"));
  ck_assert (!jbool (&o, "timed_out"));
  ck_assert (!jbool (&o, "output_limit_exceeded"));
  ck_assert_str_eq (jstr (&o, "stdout"), "");
  ck_assert_str_eq (jstr (&o, "stderr"), "oops\n");
  ck_assert (jnull (&o, "error"));
  ck_assert_int_eq (jint (&o, "status"), 3);
  jv_clear (&o);
  result_free (&r);

  /* Streams sent elsewhere are null; merged, stderr is null.  */
  r = run_tool ("-j", "--merge", "HELPER", "interleave", "1", NULL);
  ASSERT_STATUS (r, 0);
  o = jparse (r.out);
  check_members (&o);
  ck_assert_str_eq (jstr (&o, "stdout"), "out 0\nerr 0\n");
  ck_assert (jnull (&o, "stderr"));
  jv_clear (&o);
  result_free (&r);

  r = run_tool ("-j", "--null-output", "HELPER", "interleave", "1", NULL);
  ASSERT_STATUS (r, 0);
  o = jparse (r.out);
  check_members (&o);
  ck_assert (jnull (&o, "stdout"));
  ck_assert_str_eq (jstr (&o, "stderr"), "err 0\n");
  jv_clear (&o);
  result_free (&r);
}
END_TEST

/* The child's usage, in the object: every field, null where the system
   did not tell; null without a child.  */
START_TEST (test_json_usage)
{
  static const char *const keys[] = {
    "user_time", "system_time", "wall_time", "max_rss", "page_faults",
    "minor_faults", "major_faults", "voluntary_switches",
    "involuntary_switches", "processes", "peak_commit",
  };
  struct result r = run_tool ("--json", "HELPER", "burn", "200", "16", NULL);
  ASSERT_STATUS (r, 0);
  jv_t o = jparse (r.out);
  check_members (&o);
  const jv_t *u = jget (&o, "usage");
  ck_assert_int_eq (u->type, J_OBJECT);
  ck_assert_uint_eq (u->n, sizeof keys / sizeof keys[0]);
  for (size_t i = 0; i < u->n; i++)
    {
      ck_assert_str_eq (u->keys[i], keys[i]);
      ck_assert (u->items[i].type == J_NULL
                 || (u->items[i].type == J_NUMBER && u->items[i].num >= 0));
    }
  /* The wall time is always known; it took the 0.2 s of CPU at least.  */
  ck_assert (jget (u, "wall_time")->num >= 0.16);
  if (!jnull (u, "user_time"))
    ck_assert (jget (u, "user_time")->num >= 0.16
               && jget (u, "user_time")->num < 4);
  if (!jnull (u, "max_rss"))
    ck_assert (jget (u, "max_rss")->num >= 16.0 * 1024 * 1024);
#if !defined _WIN32 && defined HAVE_WAIT4
  ck_assert (!jnull (u, "user_time") && !jnull (u, "minor_faults"));
  ck_assert (jnull (u, "processes"));
#elif defined _WIN32
  ck_assert_int_eq (jint (u, "processes"), 1);
#endif
  jv_clear (&o);
  result_free (&r);

  /* No child, no usage.  */
  r = run_tool ("--json", "subproc-no-such-program-anywhere", NULL);
  ASSERT_STATUS (r, 127);
  o = jparse (r.out);
  ck_assert (jnull (&o, "usage"));
  jv_clear (&o);
  result_free (&r);
}
END_TEST

/* --time: what the child used, on standard error after its end, in the
   manner of GNU time; per job with -P.  */
START_TEST (test_time)
{
  struct result r = run_tool ("--time", "HELPER", "print", "hi", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "hi");
  ASSERT_CONTAINS (r.err, "subproc: elapsed 0:");
#if !defined _WIN32 && defined HAVE_WAIT4
  ASSERT_CONTAINS (r.err, ", user 0.");
  ASSERT_CONTAINS (r.err, ", system 0.");
  ASSERT_CONTAINS (r.err, "\nsubproc: max resident ");
  ASSERT_CONTAINS (r.err, " KiB, page faults ");
  ASSERT_CONTAINS (r.err, " minor + 0 major, context switches ");
  ASSERT_CONTAINS (r.err, " involuntary\n");
#elif defined _WIN32
  ASSERT_CONTAINS (r.err, "processes 1");
#endif
  /* Two lines (one, with the wall time alone), nothing else.  */
  size_t lines = 0;
  for (const char *c = r.err; *c; c++)
    lines += *c == '\n';
#if !defined _WIN32 && !defined HAVE_WAIT4
  ck_assert_uint_eq (lines, 1);
#else
  ck_assert_uint_eq (lines, 2);
#endif
  ck_assert (r.err[strlen (r.err) - 1] == '\n');
  result_free (&r);

  /* A failed run whose child was reaped still has it; its status stays
     the command's.  */
  r = run_tool ("--time", "--timeout=0.1", "HELPER", "sleep-forever",
                NULL);
  ASSERT_STATUS (r, 124);
  ASSERT_CONTAINS (r.err, "subproc: elapsed 0:");
  result_free (&r);

  /* Nothing to say without a child: only the error.  */
  r = run_tool ("--time", "subproc-no-such-program-anywhere", NULL);
  ASSERT_STATUS (r, 127);
  ck_assert_ptr_null (strstr (r.err, "elapsed"));
  result_free (&r);

  /* Per job.  */
  r = run_tool_input ("0\n0\n", "--time", "-P", "2", "-k", "HELPER", "exit",
                      NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.err, "subproc: job 1: elapsed 0:");
  ASSERT_CONTAINS (r.err, "subproc: job 2: elapsed 0:");
  result_free (&r);
}
END_TEST

START_TEST (test_json_failures)
{
  /* Not found: no status, the error, 127.  */
  struct result r = run_tool ("--json", "subproc-no-such-program-anywhere",
                              NULL);
  ASSERT_STATUS (r, 127);
  ASSERT_CONTAINS (r.err, "cannot find program");
  jv_t o = jparse (r.out);
  check_members (&o);
  ck_assert (jnull (&o, "exit_status"));
  ck_assert (jnull (&o, "signal"));
  const jv_t *err = jget (&o, "error");
  ck_assert_str_eq (jstr (err, "code"), "SUBPROC_ERR_NOT_FOUND");
  ASSERT_CONTAINS (jstr (err, "message"),
                   "cannot find program 'subproc-no-such-program-anywhere'");
  ck_assert_int_eq (jint (&o, "status"), 127);
  jv_clear (&o);
  result_free (&r);

  /* Timed out: what was written before is kept.  */
  r = run_tool ("--json", "--timeout=0.3", "HELPER", "tree", "0", NULL);
  ASSERT_STATUS (r, 124);
  o = jparse (r.out);
  check_members (&o);
  ck_assert (jbool (&o, "timed_out"));
  ck_assert (jnull (&o, "exit_status"));
  ck_assert_str_eq (jstr (jget (&o, "error"), "code"),
                    "SUBPROC_ERR_TIMEOUT");
  ck_assert_int_eq (jint (&o, "status"), 124);
  jv_clear (&o);
  result_free (&r);

  /* Input and JSON output together.  */
  r = run_tool ("--json", "--input=kept", "HELPER", "read-one", NULL);
  ASSERT_STATUS (r, 0);
  o = jparse (r.out);
  ck_assert_str_eq (jstr (&o, "stdout"), "closed\n");
  jv_clear (&o);
  result_free (&r);
}
END_TEST

/* Bytes through JSON: exact for valid UTF-8, \u00XX plus base64 for the
   rest.  */
START_TEST (test_json_bytes)
{
  static const struct
  {
    const char *bytes;
    size_t len;
    bool valid;
    const char *shown; /* the decoded JSON string */
    size_t shown_len;
  } cases[] = {
    { "a\0b\0c", 5, true, "a\0b\0c", 5 },
    { "q\"b\\s/\n\r\t\x01\x1f\x7f", 12, true,
      "q\"b\\s/\n\r\t\x01\x1f\x7f", 12 },
    { "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, true,
      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9 },
    /* A stray byte: shown as U+00FF, i.e. \xc3\xbf once decoded.  */
    { "\xff" "A", 2, false, "\xc3\xbf" "A", 3 },
    /* An overlong '/', a surrogate, a truncated sequence.  */
    { "\xc0\xaf", 2, false, "\xc3\x80\xc2\xaf", 4 },
    { "\xed\xa0\x80", 3, false, "\xc3\xad\xc2\xa0\xc2\x80", 6 },
    { "x\xe2\x82", 3, false, "x\xc3\xa2\xc2\x82", 5 },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *path = test_tmp_path ("bytes");
      test_write_file (path, cases[i].bytes, cases[i].len);
      struct result r = run_tool ("--json", "--input-file", path, "HELPER",
                                  "echo", NULL);
      ASSERT_STATUS (r, 0);
      jv_t o = jparse (r.out);
      check_members (&o);
      const jv_t *out = jget (&o, "stdout");
      ck_assert_msg (out->len == cases[i].shown_len
                       && memcmp (out->str, cases[i].shown, out->len) == 0,
                     "case %zu: %s", i, r.out);
      ck_assert_int_eq (jhas (&o, "stdout_base64"), !cases[i].valid);
      if (!cases[i].valid)
        {
          size_t len;
          char *exact = unbase64 (jstr (&o, "stdout_base64"), &len);
          ck_assert_uint_eq (len, cases[i].len);
          ck_assert_mem_eq (exact, cases[i].bytes, len);
          free (exact);
        }
      ck_assert (!jhas (&o, "stderr_base64"));
      jv_clear (&o);
      result_free (&r);
      free (path);
    }

  /* Base64 of every length modulo 3, on stderr.  */
  for (size_t n = 1; n <= 4; n++)
    {
      char bytes[4] = { '\xfe', 'x', 'y', 'z' };
      char *path = test_tmp_path ("bytes");
      test_write_file (path, bytes, n);
      struct result r = run_tool ("--json", "--input-file", path, "HELPER",
                                  "echo-err", NULL);
      jv_t o = jparse (r.out);
      check_members (&o);
      size_t len;
      char *exact = unbase64 (jstr (&o, "stderr_base64"), &len);
      ck_assert_uint_eq (len, n);
      ck_assert_mem_eq (exact, bytes, n);
      free (exact);
      jv_clear (&o);
      result_free (&r);
      free (path);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Dry run and verbose.  */

/* The library's line for the command that the tool would build.  */
static char *
expected_line (const char *env, const char *first, ...)
{
  va_list ap;
  subproc_t *cmd = subproc_new (test_helper ());
  if (env)
    subproc_add_env_string (cmd, env);
  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    subproc_add_arg (cmd, a);
  va_end (ap);
  char *line = subproc_to_string (cmd);
  ck_assert_ptr_nonnull (line);
  subproc_free (cmd);
  return line;
}

START_TEST (test_dry_run)
{
  char *out = test_tmp_path ("out");
  struct result r = run_tool ("--dry-run", "-i", "-e", "A=1 2",
                              "--output-file", out, "HELPER", "err-exit",
                              "it's", "3", NULL);
  char *line = expected_line ("A=1 2", "err-exit", "it's", "3", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.err, "");
  ck_assert_uint_eq (r.out_len, strlen (line) + 1);
  ck_assert_mem_eq (r.out, line, strlen (line));
  ck_assert_int_eq (r.out[strlen (line)], '\n');
  ASSERT_CONTAINS (r.out, "A='1 2' ");
  ASSERT_CONTAINS (r.out, " err-exit 'it'\\''s' 3\n");
  /* Nothing ran, nothing was opened.  */
  struct stat st;
  ck_assert_int_eq (stat (out, &st), -1);
  result_free (&r);

  r = run_tool ("-n", "-j", "HELPER", "exit", "3", NULL);
  free (line);
  line = expected_line (NULL, "exit", "3", NULL);
  ASSERT_STATUS (r, 0);
  jv_t o = jparse (r.out);
  ck_assert_str_eq (jstr (&o, "program"), test_helper ());
  ck_assert_uint_eq (jget (&o, "argv")->n, 3);
  ck_assert_str_eq (jstr (&o, "command"), line);
  ck_assert_uint_eq (o.n, 3);
  jv_clear (&o);
  result_free (&r);

  /* What the library refuses is refused here too.  */
  r = run_tool ("-n", "--pass-env=", "HELPER", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "is not a valid variable name");
  result_free (&r);

  free (line);
  free (out);
}
END_TEST

START_TEST (test_verbose)
{
  struct result r = run_tool ("-v", "-i", "-e", "B=2", "HELPER", "print",
                              "x y", NULL);
  char *line = expected_line ("B=2", "print", "x y", NULL);
  char *want = malloc (strlen (line) + 32);
  ck_assert_ptr_nonnull (want);
  sprintf (want, "subproc: running: %s\n", line);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.err, want);
  ck_assert_str_eq (r.out, "x y");
  result_free (&r);
  free (want);
  free (line);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Process options.  */

static long
read_pid_file (const char *path)
{
  char *text = test_read_file (path, NULL);
  char *end;
  long pid = strtol (text, &end, 10);
  ck_assert_msg (pid > 0 && (*end == '\n' || *end == '\0'),
                 "pid file holds '%s'", text);
  free (text);
  return pid;
}

START_TEST (test_pid_file)
{
  char *path = test_tmp_path ("pid");
  struct result r = run_tool ("--pid-file", path, "HELPER", "pid", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_int_eq (read_pid_file (path), atol (r.out));
  result_free (&r);
  free (path);
}
END_TEST

START_TEST (test_daemonize)
{
  char *path = test_tmp_path ("daemon.pid");
  /* The tool returns once the daemon has started; the daemon's standard
     streams are the null device, so this run's pipes close at once.  */
  struct result r = run_tool ("--daemonize", "--pid-file", path, "HELPER",
                              "sleep", "200", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "");
  ck_assert_str_eq (r.err, "");
  long pid = read_pid_file (path);
#ifndef _WIN32
  ck_assert_msg (test_pid_ends_within (pid, 10000), "daemon %ld still there",
                 pid);
#else
  /* The daemon holds its pid file open while it lives, and Windows cannot
     remove the directory before it ends.  */
  HANDLE h = OpenProcess (SYNCHRONIZE, FALSE, (DWORD) pid);
  if (h != NULL)
    {
      DWORD w = WaitForSingleObject (h, 10000);
      CloseHandle (h);
      ck_assert_msg (w == WAIT_OBJECT_0, "daemon %ld still there", pid);
    }
#endif
  result_free (&r);

  /* A daemon has no buffers to capture into: the library says so.  */
  r = run_tool ("--daemonize", "--capture", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "a daemon cannot have input or output buffers");
  result_free (&r);

  r = run_tool ("--daemonize", "-C", test_tmpdir, "HELPER", "exit", "0",
                NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "working directory cannot be set");
  result_free (&r);
  free (path);
}
END_TEST

START_TEST (test_pass_fd)
{
  char *path = test_tmp_path ("passed");
  int fd = test_open_write (path);
  /* Above the tool's own descriptors, and not close-on-exec.  */
  char num[16];
  snprintf (num, sizeof num, "%d", fd);

  subproc_t *cmd = tool_cmd ("--pass-fd", num, test_helper (), "fd-write",
                             num, "through two processes", NULL);
  subproc_pass_fd (cmd, fd, 0);
  struct result r = run_cmd (cmd, NULL, 0);
  ASSERT_STATUS (r, 0);
  result_free (&r);

  /* Not passed: closed in the child, whatever the tool had.  */
  cmd = tool_cmd (test_helper (), "fds", NULL);
  subproc_pass_fd (cmd, fd, 0);
  r = run_cmd (cmd, NULL, 0);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "");
  result_free (&r);

  cmd = tool_cmd ("--pass-fd", num, test_helper (), "fds", NULL);
  subproc_pass_fd (cmd, fd, SUBPROC_PASS_FD_CLOSE_PARENT);
  r = run_cmd (cmd, NULL, 0);
  ASSERT_STATUS (r, 0);
  char want[20];
  snprintf (want, sizeof want, "%d\n", fd);
  ck_assert_str_eq (r.out, want);
  result_free (&r);

  char *text = test_read_file (path, NULL);
  ck_assert_str_eq (text, "through two processes");
  free (text);

  /* 0, 1 and 2 are not for passing.  */
  r = run_tool ("--pass-fd=1", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "subproc_pass_fd: descriptor 1 cannot be passed");
  result_free (&r);
  free (path);
}
END_TEST

/* --pass-fd-as: the tool's descriptor reaches the helper under the
   number asked for.  */
START_TEST (test_pass_fd_as)
{
  char *path = test_tmp_path ("passed");
  int fd = test_open_write (path);
  char arg[32];
  snprintf (arg, sizeof arg, "--pass-fd-as=%d:57", fd);

  subproc_t *cmd = tool_cmd (arg, test_helper (), "fd-write", "57",
                             "under another number", NULL);
  subproc_pass_fd (cmd, fd, SUBPROC_PASS_FD_CLOSE_PARENT);
  struct result r = run_cmd (cmd, NULL, 0);
  ASSERT_STATUS (r, 0);
  result_free (&r);
  char *text = test_read_file (path, NULL);
  ck_assert_str_eq (text, "under another number");
  free (text);
  free (path);

  r = run_tool ("--pass-fd-as=5:1", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "cannot be given as 1");
  result_free (&r);
}
END_TEST

/* --nice: the child's nice value (POSIX), its priority class (Win32).  */
START_TEST (test_nice)
{
#ifdef _WIN32
  struct result r = run_tool ("--nice=10", "HELPER", "priority", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "class=BELOW_NORMAL\n");
#else
  errno = 0;
  int base = getpriority (PRIO_PROCESS, 0);
  ck_assert (base != -1 || errno == 0);
  int want = base + 3 > 19 ? 19 : base + 3;
  char line[32];
  snprintf (line, sizeof line, "nice=%d\n", want);
  struct result r = run_tool ("--nice=3", "HELPER", "nice", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, line);
#endif
  result_free (&r);
}
END_TEST

/* --no-window: Win32 only.  */
START_TEST (test_no_window)
{
  struct result r = run_tool ("--no-window", "HELPER", "console", NULL);
#ifdef _WIN32
  /* A console without a window.  */
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "console=yes\n");
#else
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "creation_flags is not supported on this platform");
#endif
  result_free (&r);
}
END_TEST

#ifndef _WIN32
/* POSIX-only options: umask, identities, limits, capabilities, process
   groups and kill on parent exit have no Windows counterpart that the
   library offers (it reports SUBPROC_ERR_UNSUPPORTED; see
   test_unsupported below for Windows).  */

START_TEST (test_umask)
{
  struct result r = run_tool ("--umask=027", "HELPER", "umask", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "0027\n");
  result_free (&r);
  r = run_tool ("--umask", "0", "HELPER", "umask", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "0000\n");
  result_free (&r);
}
END_TEST

/* The value of "NAME=" in the helper's line-per-field output.  */
static char *
field (const char *out, const char *name)
{
  size_t n = strlen (name);
  const char *p = out;
  while (p)
    {
      if (strncmp (p, name, n) == 0 && p[n] == '=')
        {
          size_t len = strcspn (p + n + 1, "\n");
          char *v = malloc (len + 1);
          ck_assert_ptr_nonnull (v);
          memcpy (v, p + n + 1, len);
          v[len] = '\0';
          return v;
        }
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  ck_abort_msg ("no %s= in '%s'", name, out);
  return NULL;
}

#define ASSERT_FIELD(out, name, want)                                       \
  do                                                                        \
    {                                                                       \
      char *v_ = field ((out), (name));                                     \
      ck_assert_str_eq (v_, (want));                                        \
      free (v_);                                                            \
    }                                                                       \
  while (0)

START_TEST (test_ids)
{
  if (geteuid () != 0)
    {
      /* Becoming someone else needs privileges: the library's error from
         the child's setup, 125.  */
      struct result r = run_tool ("--uid=0", "HELPER", "ids", NULL);
      ASSERT_STATUS (r, 125);
      ASSERT_CONTAINS (r.err, "subproc: cannot run '");
      result_free (&r);
      return;
    }

  struct result r = run_tool ("--uid=12345", "--gid=23456", "HELPER", "ids",
                              NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_FIELD (r.out, "uid", "12345");
  ASSERT_FIELD (r.out, "euid", "12345");
  ASSERT_FIELD (r.out, "gid", "23456");
  result_free (&r);

  /* A name: its uid and its primary group.  */
  struct passwd *pw = getpwnam ("nobody");
  if (pw)
    {
      char uid[32], gid[32];
      snprintf (uid, sizeof uid, "%ld", (long) pw->pw_uid);
      snprintf (gid, sizeof gid, "%ld", (long) pw->pw_gid);
      r = run_tool ("--uid=nobody", "HELPER", "ids", NULL);
      ASSERT_STATUS (r, 0);
      ASSERT_FIELD (r.out, "uid", uid);
      ASSERT_FIELD (r.out, "gid", gid);
      result_free (&r);

      /* The same by number.  */
      char opt[48];
      snprintf (opt, sizeof opt, "--uid=%s", uid);
      r = run_tool (opt, "HELPER", "ids", NULL);
      ASSERT_STATUS (r, 0);
      ASSERT_FIELD (r.out, "uid", uid);
      ASSERT_FIELD (r.out, "gid", gid);
      result_free (&r);

      /* A group name.  */
      r = run_tool ("--uid=nobody", "--gid=root", "HELPER", "ids", NULL);
      ASSERT_STATUS (r, 0);
      ASSERT_FIELD (r.out, "gid", "0");
      result_free (&r);
    }

  /* A number without an entry: its group is unknown.  */
  if (getpwuid (54321) == NULL)
    {
      r = run_tool ("--uid=54321", "HELPER", "ids", NULL);
      ASSERT_STATUS (r, 125);
      ASSERT_CONTAINS (r.err, "user id 54321 has no entry");
      result_free (&r);
      r = run_tool ("--uid=54321", "--gid=54322", "HELPER", "ids", NULL);
      ASSERT_STATUS (r, 0);
      ASSERT_FIELD (r.out, "gid", "54322");
      result_free (&r);
    }

  r = run_tool ("--uid=subproc-no-such-user", "HELPER", "ids", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "no such user 'subproc-no-such-user'");
  result_free (&r);
  r = run_tool ("--gid=subproc-no-such-group", "HELPER", "ids", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "no such group 'subproc-no-such-group'");
  result_free (&r);
}
END_TEST

START_TEST (test_rlimits)
{
  struct rlimit rl;
  char nproc[32], want_nproc[32];
  ck_assert_int_eq (getrlimit (RLIMIT_NPROC, &rl), 0);
  /* Lower than the hard limit, so that anyone may set it.  */
  unsigned long long n = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > 5000
                           ? 5000
                           : (unsigned long long) rl.rlim_max;
  snprintf (nproc, sizeof nproc, "--limit-nproc=%llu", n);
  snprintf (want_nproc, sizeof want_nproc, "%llu", n);

  struct result r = run_tool ("--limit-nofile=100", "--limit-core=0",
                              "--limit-memlock=64K", nproc, "HELPER",
                              "rlimits", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_FIELD (r.out, "nofile", "100");
  ASSERT_FIELD (r.out, "core", "0");
  ASSERT_FIELD (r.out, "memlock", "65536");
  ASSERT_FIELD (r.out, "nproc", want_nproc);
  result_free (&r);

  /* A limit the kernel refuses (above fs.nr_open, even for root): the
     library's error, 125.  */
  r = run_tool ("--limit-nofile=4294967295", "HELPER", "rlimits", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "subproc: cannot run '");
  result_free (&r);
}
END_TEST

/* --limit, --limit-as, --limit-cpu, --memory-limit, and the report of
   the limit that ended the child.  */
START_TEST (test_resource_limits)
{
  struct result r = run_tool ("--limit", "nofile=50:60", "--limit",
                              "STACK=4M:8M", "--limit-cpu=5", "HELPER",
                              "limits", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "nofile=50:60\n");
  ASSERT_CONTAINS (r.out, "stack=4194304:8388608\n");
  ASSERT_CONTAINS (r.out, "cpu=5:6\n");
  result_free (&r);

  /* The last setting of a resource wins, whichever option made it.  */
  r = run_tool ("--limit-nofile=40", "--limit", "nofile=30:35", "HELPER",
                "limits", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "nofile=30:35\n");
  result_free (&r);

#  ifndef TEST_SANITIZED_MEMORY
  r = run_tool ("--limit-as=1T", "HELPER", "limits", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "as=1099511627776:1099511627776\n");
  result_free (&r);
  /* No job here: the address space.  */
  r = run_tool ("--memory-limit=2T", "HELPER", "limits", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "as=2199023255552:2199023255552\n");
  result_free (&r);
#  endif

  /* A child the CPU limit ends: its death's status, and the library's
     message naming the limit.  */
  r = run_tool ("--limit-cpu=1", "--timeout=120", "HELPER", "spin", "60",
                NULL);
  ASSERT_STATUS (r, 128 + SIGXCPU);
  ASSERT_CONTAINS (r.err, "exceeded its CPU time limit of 1 s");
  result_free (&r);
  r = run_tool ("--json", "--limit", "cpu=1:2", "--timeout=120", "HELPER",
                "spin", "60", NULL);
  ASSERT_STATUS (r, 128 + SIGXCPU);
  jv_t o = jparse (r.out);
  check_members (&o);
  ck_assert (jbool (&o, "limit_exceeded"));
  ck_assert (!jbool (&o, "timed_out"));
  ck_assert_int_eq (jint (&o, "signal"), SIGXCPU);
  ck_assert_str_eq (jstr (jget (&o, "error"), "code"), "SUBPROC_ERR_LIMIT");
  ck_assert_int_eq (jint (&o, "status"), 128 + SIGXCPU);
  jv_clear (&o);
  result_free (&r);

  /* Bad values are the command's usage errors.  */
  static const char *const bad[][2] = {
    { "bogus=1", "unknown resource 'bogus'" },
    { "nofile", "is not NAME=SOFT[:HARD]" },
    { "=5", "is not NAME=SOFT[:HARD]" },
    { "nofile=10:5", "soft limit of 'nofile=10:5' is above the hard one" },
    { "nofile=ten", "'ten' is not a size" },
    { "nofile=5:", "'' is not a size" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      r = run_tool ("--limit", bad[i][0], "HELPER", "exit", "0", NULL);
      ASSERT_STATUS (r, 125);
      ASSERT_CONTAINS (r.err, bad[i][1]);
      result_free (&r);
    }
  r = run_tool ("--limit-cpu=0", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "--limit-cpu");
  result_free (&r);
}
END_TEST

START_TEST (test_caps)
{
# if !defined __linux__ || !defined SP_POSIX_HAVE_PRCTL
  /* Without Linux's capabilities --clear-caps has no effect.  */
  fprintf (stderr, "skipped: capabilities are Linux's\n");
  return;
# endif
  if (geteuid () != 0)
    {
      fprintf (stderr, "skipped: needs root\n");
      return;
    }
  struct result r = run_tool ("HELPER", "caps", NULL);
  if (strstr (r.out, "CapEff:\t0000000000000000"))
    {
      fprintf (stderr, "skipped: root without capabilities\n");
      result_free (&r);
      return;
    }
  result_free (&r);
  r = run_tool ("--clear-caps", "HELPER", "caps", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "CapEff:\t0000000000000000\n");
  ASSERT_CONTAINS (r.out, "CapPrm:\t0000000000000000\n");
  ASSERT_CONTAINS (r.out, "CapBnd:\t0000000000000000\n");
  result_free (&r);

  /* Kept by name, with or without the prefix, and by number.  */
  r = run_tool ("--allow-cap=CAP_NET_BIND_SERVICE", "--allow-cap=chown",
                "HELPER", "caps", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "CapEff:\t0000000000000401\n");
  result_free (&r);
  r = run_tool ("--allow-cap=10", "HELPER", "caps", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "CapEff:\t0000000000000400\n");
  ASSERT_CONTAINS (r.out, "CapBnd:\t0000000000000400\n");
  result_free (&r);
}
END_TEST

START_TEST (test_no_new_privs)
{
# if defined __linux__ && defined SP_POSIX_HAVE_PRCTL
  struct result r = run_tool ("--no-new-privs", "HELPER", "caps", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, "NoNewPrivs:\t1\n");
  result_free (&r);
# else
  struct result r = run_tool ("--no-new-privs", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "no_new_privs is not supported on this platform");
  result_free (&r);
# endif
}
END_TEST

START_TEST (test_new_session)
{
  struct result r = run_tool ("--new-session", "HELPER", "pgid", NULL);
  ASSERT_STATUS (r, 0);
  char *pid = field (r.out, "pid"), *sid = field (r.out, "sid");
  char *pgid = field (r.out, "pgid");
  ck_assert_str_eq (pid, sid);
  ck_assert_str_eq (pid, pgid);
  free (pid);
  free (sid);
  free (pgid);
  result_free (&r);

  r = run_tool ("HELPER", "pgid", NULL);
  ASSERT_STATUS (r, 0);
  pid = field (r.out, "pid");
  sid = field (r.out, "sid");
  ck_assert_str_ne (pid, sid);
  free (pid);
  free (sid);
  result_free (&r);
}
END_TEST

START_TEST (test_process_group)
{
  struct result r = run_tool ("--new-process-group", "HELPER", "pgid", NULL);
  ASSERT_STATUS (r, 0);
  char *pid = field (r.out, "pid"), *pgid = field (r.out, "pgid");
  ck_assert_str_eq (pid, pgid);
  free (pid);
  free (pgid);
  result_free (&r);

  r = run_tool ("HELPER", "pgid", NULL);
  ASSERT_STATUS (r, 0);
  pid = field (r.out, "pid");
  pgid = field (r.out, "pgid");
  ck_assert_str_ne (pid, pgid);
  free (pid);
  free (pgid);
  result_free (&r);
}
END_TEST

/* The tool is killed outright: its child goes with it.  */
START_TEST (test_kill_on_parent_exit)
{
# if defined __linux__ && defined SP_POSIX_HAVE_PRCTL
  char *path = test_tmp_path ("child.pid");
  subproc_t *cmd = tool_cmd ("--kill-on-parent-exit", "--pid-file", path,
                             test_helper (), "sleep-forever", NULL);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  /* The pid file is written before the child runs; wait for it.  */
  struct stat st;
  int64_t end = test_now_ms () + 30000;
  while ((stat (path, &st) != 0 || st.st_size == 0) && test_now_ms () < end)
    test_sleep_ms (10);
  long pid = read_pid_file (path);
  subproc_abort (cmd);
  subproc_free (cmd);
  ck_assert_msg (test_pid_ends_within (pid, 10000),
                 "child %ld outlived the tool", pid);
  free (path);
# else
  /* Elsewhere the library reports that it cannot.  */
  struct result r = run_tool ("--kill-on-parent-exit", "HELPER", "exit", "0",
                              NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "not supported on this platform");
  result_free (&r);
# endif
}
END_TEST

#endif /* _WIN32 */

/* --cgroup: a directory the library cannot enter is its error, 125;
   where there are no cgroups, the library says so.  */
START_TEST (test_cgroup)
{
#if defined SP_POSIX_HAVE_CGROUP
  struct result r = run_tool ("--cgroup=/nonexistent/cgroup", "HELPER",
                              "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "entering the cgroup /nonexistent/cgroup failed");
  result_free (&r);
  r = run_tool ("--cgroup=/", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "not a directory of the cgroup2 file system");
  result_free (&r);
#else
  struct result r = run_tool ("--cgroup=/sys/fs/cgroup/x", "HELPER", "exit",
                              "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "cgroup is not supported on this platform");
  result_free (&r);
#endif
}
END_TEST

#ifdef _WIN32

/* What Windows cannot do is reported with the library's message, 125.  */
START_TEST (test_unsupported)
{
  static const char *const options[][2] = {
    { "--umask=022", "umask" },
    { "--uid=0", "uid" },
    { "--uid=someone", "uid" },
    { "--gid=0", "gid" },
    { "--limit-nofile=64", "max_files" },
    { "--limit-core=0", "max_core_size" },
    { "--limit-memlock=1M", "max_memlock" },
    { "--no-new-privs", "no_new_privs" },
    { "--new-session", "new_session" },
  };
  for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
    {
      struct result r = run_tool (options[i][0], "HELPER", "exit", "0", NULL);
      ck_assert_msg (r.status == 125, "%s: status %d", options[i][0],
                     r.status);
      ASSERT_CONTAINS (r.err, "is not supported on this platform");
      ASSERT_CONTAINS (r.err, options[i][1]);
      result_free (&r);
    }
}
END_TEST

/* The job limits are taken (Wine enforces none of them); --limit is
   refused, there being no resource limits.  */
START_TEST (test_windows_limits)
{
  struct result r = run_tool ("--limit-cpu=30", "--limit-as=1G",
                              "--memory-limit=2G", "HELPER", "exit", "4",
                              NULL);
  ASSERT_STATUS (r, 4);
  result_free (&r);
  r = run_tool ("--limit", "nofile=5", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "this system has no resource limits");
  result_free (&r);
}
END_TEST

/* What Windows does offer.  */
START_TEST (test_windows_options)
{
  struct result r = run_tool ("--limit-nproc=5", "--new-process-group",
                              "--kill-on-parent-exit", "HELPER", "exit", "4",
                              NULL);
  ASSERT_STATUS (r, 4);
  result_free (&r);

  /* A restricted token, or the library's refusal (Wine).  */
  r = run_tool ("--clear-caps", "HELPER", "exit", "0", NULL);
  if (r.status != 0)
    {
      ASSERT_STATUS (r, 125);
      ASSERT_CONTAINS (r.err, "is not supported on this platform");
    }
  result_free (&r);
}
END_TEST
#endif

/* --selinux-label, --apparmor-profile, --run-alone, --run-among: the
   library's checks and messages, status 125 when the run cannot be
   made.  Where the system can, a real transition is not tried here.  */
START_TEST (test_security_options)
{
  struct result r = run_tool ("--selinux-label=", "HELPER", "exit", "0",
                              NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "subproc_set_selinux_label: empty label");
  result_free (&r);
  r = run_tool ("--apparmor-profile= p", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "white space at either end");
  result_free (&r);
  r = run_tool ("--run-among=0", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "0 is not a process id");
  result_free (&r);
  r = run_tool ("--run-among=x", "HELPER", "exit", "0", NULL);
  ASSERT_STATUS (r, 125);
  ASSERT_CONTAINS (r.err, "run-among");
  result_free (&r);

#if defined __linux__ && defined SP_POSIX_HAVE_PRCTL
  struct stat st;
  if (stat ("/sys/fs/selinux", &st) != 0 && stat ("/selinux", &st) != 0)
    {
      r = run_tool ("--selinux-label=system_u:system_r:svirt_t:s0", "HELPER",
                    "exit", "0", NULL);
      ASSERT_STATUS (r, 125);
      ASSERT_CONTAINS (r.err, "SELinux is not active on this system");
      result_free (&r);
    }
  if (stat ("/sys/module/apparmor/parameters/enabled", &st) != 0)
    {
      r = run_tool ("--apparmor-profile=libvirt-x", "HELPER", "exit", "0",
                    NULL);
      ASSERT_STATUS (r, 125);
      ASSERT_CONTAINS (r.err, "AppArmor is not active on this system");
      result_free (&r);
    }
  /* Where the kernel has core scheduling the child runs; else the run
     says why not.  */
  static const char *const sched[] = { "--run-alone", "--run-among=1" };
  for (int i = 0; i < 2; i++)
    {
      r = run_tool (sched[i], "HELPER", "exit", "0", NULL);
      if (r.status != 0)
        {
          ASSERT_STATUS (r, 125);
          ASSERT_CONTAINS (r.err, "core scheduling");
        }
      result_free (&r);
    }
#else
  static const char *const options[][2] = {
    { "--selinux-label=system_u:system_r:svirt_t:s0", "selinux_label" },
    { "--apparmor-profile=libvirt-x", "apparmor_profile" },
    { "--run-alone", "run_alone" },
    { "--run-among=1", "run_among" },
    /* The last of the two wins.  */
    { "--run-alone --run-among=1", "run_among" },
  };
  for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
    {
      const char *opt = options[i][0];
      if (strchr (opt, ' '))
        r = run_tool ("--run-alone", "--run-among=1", "HELPER", "exit", "0",
                      NULL);
      else
        r = run_tool (opt, "HELPER", "exit", "0", NULL);
      ck_assert_msg (r.status == 125, "%s: status %d", opt, r.status);
      ASSERT_CONTAINS (r.err, "is not supported on this platform");
      ASSERT_CONTAINS (r.err, options[i][1]);
      result_free (&r);
    }
#endif
}
END_TEST

/* ------------------------------------------------------------------ */
/* Parallel jobs.  */

/* Run the command with the arguments that follow (HELPER as in
   run_tool), its standard input the LEN bytes of LIST.  */
static struct result
run_list (const char *list, size_t len, const char *first, ...)
{
  va_list ap;
  subproc_t *cmd = subproc_new (tool ());
  va_start (ap, first);
  for (const char *a = first; a; a = va_arg (ap, const char *))
    subproc_add_arg (cmd, strcmp (a, "HELPER") == 0 ? test_helper () : a);
  va_end (ap);
  return run_cmd (cmd, list, len);
}

/* The JSON objects of TEXT, one per line, into V (room for MAX); their
   number.  */
static size_t
json_lines (const char *text, jv_t *v, size_t max)
{
  size_t n = 0;
  for (const char *nl; (nl = strchr (text, '\n')) != NULL; text = nl + 1)
    {
      ck_assert_msg (n < max, "more than %zu lines", max);
      size_t len = (size_t) (nl - text) + 1;
      char *line = malloc (len + 1);
      ck_assert_ptr_nonnull (line);
      memcpy (line, text, len);
      line[len] = '\0';
      v[n++] = jparse (line);
      free (line);
    }
  ck_assert_str_eq (text, "");
  return n;
}

/* The groups of TEXT, each "PREFIX 0\n" ... "PREFIX N-1\n" as the
   helper's "interleave N" writes them: their sizes, in order, in SIZES
   (room for MAX).  Fails the test if TEXT is anything else, as when
   the lines of two jobs are mixed.  */
static size_t
split_groups (const char *text, const char *prefix, long *sizes, size_t max)
{
  size_t n = 0;
  char want[64];
  while (*text)
    {
      ck_assert_msg (n < max, "more than %zu groups", max);
      long k = 0;
      for (;; k++)
        {
          snprintf (want, sizeof want, "%s %ld\n", prefix, k);
          if (strncmp (text, want, strlen (want)) != 0)
            break;
          text += strlen (want);
        }
      ck_assert_msg (k > 0, "not the start of a group: '%.40s'", text);
      sizes[n++] = k;
    }
  return n;
}

/* The output and error of each job come out whole, never mixed with
   another's, however the jobs run side by side; with --keep-order in
   the order of the list.  */
START_TEST (test_parallel_grouped)
{
  static const char list[] = "3000\n1000\n2000\n";
  static const long order[] = { 3000, 1000, 2000 };
  long sizes[8];

  struct result r = run_list (list, strlen (list), "--parallel=3", "HELPER",
                              "interleave", NULL);
  ASSERT_STATUS (r, 0);
  const char *streams[2] = { r.out, r.err };
  const char *prefixes[2] = { "out", "err" };
  for (int s = 0; s < 2; s++)
    {
      size_t n = split_groups (streams[s], prefixes[s], sizes, 8);
      ck_assert_uint_eq (n, 3);
      long total = 0, biggest = 0;
      for (size_t i = 0; i < n; i++)
        {
          total += sizes[i];
          biggest = sizes[i] > biggest ? sizes[i] : biggest;
          ck_assert (sizes[i] == 1000 || sizes[i] == 2000
                     || sizes[i] == 3000);
        }
      ck_assert_int_eq (total, 6000);
      ck_assert_int_eq (biggest, 3000);
    }
  result_free (&r);

  r = run_list (list, strlen (list), "-P", "3", "--keep-order", "HELPER",
                "interleave", NULL);
  ASSERT_STATUS (r, 0);
  for (int s = 0; s < 2; s++)
    {
      const char *text = s ? r.err : r.out;
      ck_assert_uint_eq (split_groups (text, s ? "err" : "out", sizes, 8), 3);
      for (size_t i = 0; i < 3; i++)
        ck_assert_int_eq (sizes[i], order[i]);
    }
  result_free (&r);

  /* Outputs larger than a pipe holds, written in many pieces while the
     other jobs write theirs: each comes out in one piece.  */
  static const char big[] = "300000\n300000\n300000\n";
  r = run_list (big, strlen (big), "-P3", "HELPER", "write-both", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_uint_eq (r.out_len, 900000);
  ck_assert_uint_eq (r.err_len, 900000);
  size_t same = 0;
  while (same < 900000 && r.out[same] == (char) ('a' + same % 300000 % 26)
         && r.err[same] == r.out[same])
    same++;
  ck_assert_msg (same == 900000, "the jobs' output is mixed at byte %zu",
                 same);
  result_free (&r);

  /* The first job ends last, and still comes first.  */
  static const char slow_first[] = "500\n0\n";
  r = run_list (slow_first, strlen (slow_first), "-P2", "-k", "--json",
                "HELPER", "sleep", NULL);
  ASSERT_STATUS (r, 0);
  jv_t o[2];
  ck_assert_uint_eq (json_lines (r.out, o, 2), 2);
  ck_assert_str_eq (jget (&o[0], "argv")->items[2].str, "500");
  ck_assert_str_eq (jget (&o[1], "argv")->items[2].str, "0");
  jv_clear (&o[0]);
  jv_clear (&o[1]);
  result_free (&r);

  /* One job at a time, in the order of the list, with -k or not.  */
  r = run_list (list, strlen (list), "-P1", "HELPER", "interleave", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_uint_eq (split_groups (r.out, "out", sizes, 8), 3);
  for (size_t i = 0; i < 3; i++)
    ck_assert_int_eq (sizes[i], order[i]);
  result_free (&r);
}
END_TEST

#ifndef _WIN32
/* One line of FD (at most SIZE - 1 bytes) into BUF; fails the test at
   the end of FD.  */
static void
read_line_or_fail (int fd, char *buf, size_t size)
{
  ck_assert_msg (test_read_line (fd, buf, size), "the output ended early");
}

/* N jobs run at a time, no more: each job reads a pipe that the test
   keeps open, so none can end before the test lets them.  The command's
   output and error go to one pipe, so that the lines --verbose writes
   as each job starts and the JSON line of each job that ends come in
   the order they happened.  */
START_TEST (test_parallel_at_a_time)
{
  int gate[2];
  char fd_arg[32], item[32], line[4096];
  ck_assert_int_eq (pipe (gate), 0);
  ck_assert_int_eq (fcntl (gate[1], F_SETFD, FD_CLOEXEC), 0);
  snprintf (fd_arg, sizeof fd_arg, "--pass-fd=%d", gate[0]);
  snprintf (item, sizeof item, "%d\n", gate[0]);
  char *list = malloc (5 * strlen (item) + 1);
  ck_assert_ptr_nonnull (list);
  list[0] = '\0';
  for (int i = 0; i < 5; i++)
    strcat (list, item);

  subproc_t *cmd = tool_cmd ("--parallel=3", "--verbose", "--json", fd_arg,
                             test_helper (), "fd-read", NULL);
  int out = -1, status = -1;
  subproc_pass_fd (cmd, gate[0], SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_set_input_bytes (cmd, list, strlen (list));
  subproc_set_output_fd (cmd, &out);
  subproc_set_error_fd (cmd, &out);
  subproc_set_timeout (cmd, RUN_LIMIT_MS);
  /* The list is fed by the library's thread while the test reads.  */
  subproc_do_async_io (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);

  /* Three start, and wait at the gate.  */
  for (int i = 0; i < 3; i++)
    {
      read_line_or_fail (out, line, sizeof line);
      ASSERT_CONTAINS (line, "subproc: running: ");
    }
  /* Open it: what follows is ends and starts, and never more than three
     running.  */
  test_close (gate[1]);
  int running = 3, started = 3, ended = 0;
  while (ended < 5)
    {
      read_line_or_fail (out, line, sizeof line);
      if (strncmp (line, "subproc: running: ", 18) == 0)
        {
          started++;
          running++;
          ck_assert_msg (running <= 3, "%d jobs running at once", running);
        }
      else
        {
          jv_t o = jparse (line);
          ck_assert_int_eq (jint (&o, "status"), 0);
          jv_clear (&o);
          ended++;
          running--;
        }
    }
  ck_assert_int_eq (started, 5);
  ck_assert (!test_read_line (out, line, sizeof line));
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  test_close (out);
  subproc_free (cmd);
  free (list);
}
END_TEST

/* With few descriptors, a job that finds none left waits for a running
   one to end and give its own back, rather than failing.  */
START_TEST (test_parallel_few_descriptors)
{
  static const char item[] = "0\n";
  char list[sizeof item * 40];
  if (test_skip_under_valgrind ("valgrind refuses RLIMIT_NOFILE changes"))
    return;
  list[0] = '\0';
  for (int i = 0; i < 40; i++)
    strcat (list, item);
  subproc_t *cmd = tool_cmd ("-P40", test_helper (), "exit", NULL);
  subproc_set_max_files (cmd, 48);
  struct result r = run_cmd (cmd, list, strlen (list));
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.err, "");
  result_free (&r);
}
END_TEST
#endif

/* The status is the worst of the jobs', each as the command gives it for
   one run; a job's error names the job, and the others go on.  */
START_TEST (test_parallel_status)
{
  static const char some_fail[] = "0\n3\n1\n";
  struct result r = run_list (some_fail, strlen (some_fail), "-P", "2",
                              "HELPER", "exit", NULL);
  ASSERT_STATUS (r, 3);
  ck_assert_str_eq (r.err, "");
  result_free (&r);

  static const char big[] = "0\n200\n7\n";
  r = run_list (big, strlen (big), "-P3", "HELPER", "exit", NULL);
  ASSERT_STATUS (r, 200);
  result_free (&r);

  static const char ok[] = "0\n0\n0\n0\n";
  r = run_list (ok, strlen (ok), "-P2", "HELPER", "exit", NULL);
  ASSERT_STATUS (r, 0);
  result_free (&r);

  /* A job that times out, among jobs that do not (the limit leaves a
     loaded machine, or Wine, time enough to start the quick ones).  */
  static const char one_slow[] = "0\n30000\n0\n";
  r = run_list (one_slow, strlen (one_slow), "-P3", "--timeout=5",
                "HELPER", "sleep", NULL);
  ASSERT_STATUS (r, 124);
  ASSERT_CONTAINS (r.err, "subproc: job 2 (30000): ");
  ASSERT_CONTAINS (r.err, "did not finish within 5000 ms and was stopped");
  ck_assert_ptr_null (strstr (r.err, "job 1"));
  ck_assert_ptr_null (strstr (r.err, "job 3"));
  result_free (&r);

#ifndef _WIN32
  static const char sigs[] = "TERM\nKILL\n";
  r = run_list (sigs, strlen (sigs), "-P2", "HELPER", "signal", NULL);
  ASSERT_STATUS (r, 128 + SIGTERM);
  result_free (&r);
#endif

  /* No items: nothing runs.  */
  r = run_list ("", 0, "-P2", "HELPER", "exit", "9", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "");
  ck_assert_str_eq (r.err, "");
  result_free (&r);
}
END_TEST

/* A job whose program is not found, or cannot be run, among jobs that
   run: each bad one is reported, the good ones run, and the status is
   the worst.  */
START_TEST (test_parallel_not_found)
{
  char *missing = test_tmp_path ("no-such-program");
  char *garbage = test_garbage_program ();
  const char *helper = test_helper ();
  char *list = malloc (3 * strlen (helper) + strlen (missing)
                       + strlen (garbage) + 6);
  ck_assert_ptr_nonnull (list);
  sprintf (list, "%s\n%s\n%s\n%s\n%s\n", helper, missing, helper, garbage,
           helper);

  struct result r = run_list (list, strlen (list), "--parallel=2",
                              "--replace={}", "--", "{}", "print", "ok.",
                              NULL);
  ASSERT_STATUS (r, 127);
  ck_assert_str_eq (r.out, "ok.ok.ok.");
  ASSERT_CONTAINS (r.err, "subproc: job 2 (");
  ASSERT_CONTAINS (r.err, "cannot find program '");
  ASSERT_CONTAINS (r.err, "no-such-program");
  ASSERT_CONTAINS (r.err, "subproc: job 4 (");
  ASSERT_CONTAINS (r.err, "cannot run '");
  ck_assert_ptr_null (strstr (r.err, "job 1 "));
  ck_assert_ptr_null (strstr (r.err, "job 3 "));
  ck_assert_ptr_null (strstr (r.err, "job 5 "));
  result_free (&r);

  /* Without the missing one: the one that cannot run, 126.  */
  sprintf (list, "%s\n%s\n", garbage, helper);
  r = run_list (list, strlen (list), "-P2", "-I", "{}", "{}", "exit", "5",
                NULL);
  ASSERT_STATUS (r, 126);
  result_free (&r);
  free (list);
  free (garbage);
  free (missing);
}
END_TEST

/* Items end with NUL bytes with --null; lines cannot hold one; empty
   items are skipped; the last one may lack its end.  */
START_TEST (test_parallel_null)
{
  static const char items[] = "a b\0line\nbreak\0\0last";
  struct result r = run_list (items, sizeof items - 1, "-P3", "-0", "-k",
                              "HELPER", "argv", "x", NULL);
  ASSERT_STATUS (r, 0);
  static const char want[] = "x\0a b\0x\0line\nbreak\0x\0last\0";
  ck_assert_uint_eq (r.out_len, sizeof want - 1);
  ck_assert_mem_eq (r.out, want, sizeof want - 1);
  result_free (&r);

  static const char lines[] = "one\n\ntwo words\nthree";
  r = run_list (lines, sizeof lines - 1, "-P2", "--keep-order", "HELPER",
                "argv", NULL);
  ASSERT_STATUS (r, 0);
  static const char want_lines[] = "one\0two words\0three\0";
  ck_assert_uint_eq (r.out_len, sizeof want_lines - 1);
  ck_assert_mem_eq (r.out, want_lines, sizeof want_lines - 1);
  result_free (&r);

  /* A NUL byte in a line: nothing runs.  */
  static const char bad[] = "fine\nnot\0fine\n";
  r = run_list (bad, sizeof bad - 1, "-P2", "HELPER", "argv", NULL);
  ASSERT_STATUS (r, 125);
  ck_assert_str_eq (r.out, "");
  ASSERT_CONTAINS (r.err, "standard input, line 2: a NUL byte in the line");
  ASSERT_CONTAINS (r.err, "--null");
  result_free (&r);
}
END_TEST

/* Without a terminal, --progress writes nothing; on one (a
   pseudo-terminal, where the system has them) it draws the line.  */
START_TEST (test_parallel_progress)
{
  static const char list[] = "0\n0\n0\n";
  struct result r = run_list (list, strlen (list), "-P2", "--progress",
                              "HELPER", "exit", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.err, "");
  ck_assert_str_eq (r.out, "");
  result_free (&r);

#ifndef _WIN32
  int master = posix_openpt (O_RDWR | O_NOCTTY);
  if (master < 0)
    {
      printf ("progress: no pseudo-terminal (%s); the terminal case is "
              "not checked\n", strerror (errno));
      return;
    }
  ck_assert_int_eq (grantpt (master), 0);
  ck_assert_int_eq (unlockpt (master), 0);
  int slave = open (ptsname (master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ck_assert_int_ge (slave, 0);
  ck_assert_int_eq (fcntl (master, F_SETFD, FD_CLOEXEC), 0);

  subproc_t *cmd = tool_cmd ("-P2", "--progress", test_helper (), "print",
                             NULL);
  char *out = NULL;
  size_t out_len = 0;
  int status = -1;
  subproc_set_input_bytes (cmd, "a\nb\n", 4);
  subproc_set_output_bytes (cmd, &out, &out_len);
  subproc_set_error_fd (cmd, &slave);
  subproc_set_timeout (cmd, RUN_LIMIT_MS);
  ck_assert_int_eq (subproc_run (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_uint_eq (out_len, 2);
  subproc_free (cmd);
  free (out);

  /* What the terminal got: the line with both jobs running, drawn over
     with carriage returns.  */
  static const char want[] = "\r[0/2, 2 running] b";
  char seen[4096];
  size_t n = 0;
  struct pollfd pfd = { master, POLLIN, 0 };
  while (n < sizeof seen - 1 && poll (&pfd, 1, 10000) == 1)
    {
      ssize_t k = read (master, seen + n, sizeof seen - 1 - n);
      if (k <= 0)
        break;
      n += (size_t) k;
      seen[n] = '\0';
      if (strstr (seen, want) && seen[n - 1] == '\r')
        break;
    }
  seen[n] = '\0';
  ASSERT_CONTAINS (seen, want);
  /* Cleared at the end.  */
  ck_assert_msg (n > 0 && seen[n - 1] == '\r', "not cleared: '%s'", seen);
  test_close (slave);
  test_close (master);
#endif
}
END_TEST

/* One JSON object per job; --dry-run prints every job's command line;
   each job's input is the null device or --input's, never the list.  */
START_TEST (test_parallel_json_and_more)
{
  static const char list[] = "first\nsecond\n";
  struct result r = run_list (list, strlen (list), "-P2", "-k", "--json",
                              "HELPER", "print", NULL);
  ASSERT_STATUS (r, 0);
  jv_t o[2];
  ck_assert_uint_eq (json_lines (r.out, o, 2), 2);
  const char *items[2] = { "first", "second" };
  for (int i = 0; i < 2; i++)
    {
      check_members (&o[i]);
      const jv_t *argv = jget (&o[i], "argv");
      ck_assert_uint_eq (argv->n, 3);
      ck_assert_str_eq (argv->items[2].str, items[i]);
      ck_assert_str_eq (jstr (&o[i], "stdout"), items[i]);
      ck_assert_int_eq (jint (&o[i], "status"), 0);
      jv_clear (&o[i]);
    }
  result_free (&r);

  r = run_list (list, strlen (list), "-P2", "-n", "HELPER", "print", NULL);
  ASSERT_STATUS (r, 0);
  ASSERT_CONTAINS (r.out, " print first\n");
  ASSERT_CONTAINS (r.out, " print second\n");
  result_free (&r);

  r = run_list (list, strlen (list), "-P2", "HELPER", "echo", NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "");
  result_free (&r);

  r = run_list (list, strlen (list), "-P2", "--input=in.", "HELPER", "echo",
                NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "in.in.");
  result_free (&r);

  /* --merge and --max-output apply to each job.  */
  static const char two[] = "2\n2\n";
  r = run_list (two, strlen (two), "-P2", "--merge", "HELPER", "interleave",
                NULL);
  ASSERT_STATUS (r, 0);
  ck_assert_str_eq (r.out, "out 0\nerr 0\nout 1\nerr 1\n"
                           "out 0\nerr 0\nout 1\nerr 1\n");
  ck_assert_str_eq (r.err, "");
  result_free (&r);

  static const char sizes[] = "10\n100000\n";
  r = run_list (sizes, strlen (sizes), "-P2", "-k", "--max-output=1K",
                "HELPER", "write-bytes", NULL);
  ASSERT_STATUS (r, 125);
  ck_assert_uint_eq (r.out_len, 10 + 1024);
  ASSERT_CONTAINS (r.err, "subproc: job 2 (100000): ");
  ASSERT_CONTAINS (r.err, "exceeded the limit of 1024 bytes");
  result_free (&r);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("tool");
  TEST_CASE (s, version);
  TEST_CASE (s, help);
  TEST_CASE (s, usage_errors);
  TEST_CASE (s, exit_status);
#ifdef _WIN32
  TEST_CASE (s, exit_status_wide);
#endif
  TEST_CASE_WITH_TMPDIR (s, not_found);
  TEST_CASE_WITH_TMPDIR (s, cannot_run);
#ifndef _WIN32
  TEST_CASE_WITH_TMPDIR (s, exec_fails);
#endif
  TEST_CASE (s, timeout);
  TEST_CASE (s, grace);
#ifndef _WIN32
  TEST_CASE (s, signal_status);
#endif
  TEST_CASE (s, env_inherited_and_modified);
  TEST_CASE (s, env_clear);
  TEST_CASE_WITH_TMPDIR (s, cwd);
  TEST_CASE_WITH_TMPDIR (s, input);
  TEST_CASE_WITH_TMPDIR (s, output_files);
  TEST_CASE_WITH_TMPDIR (s, append_files);
  TEST_CASE (s, argv0);
  TEST_CASE (s, capture);
  TEST_CASE (s, max_output);
  TEST_CASE (s, json);
  TEST_CASE (s, json_failures);
  TEST_CASE (s, json_usage);
  TEST_CASE (s, time);
  TEST_CASE_WITH_TMPDIR (s, json_bytes);
  TEST_CASE_WITH_TMPDIR (s, dry_run);
  TEST_CASE (s, verbose);
  TEST_CASE_WITH_TMPDIR (s, pid_file);
  TEST_CASE_WITH_TMPDIR (s, daemonize);
  TEST_CASE_WITH_TMPDIR (s, pass_fd);
  TEST_CASE_WITH_TMPDIR (s, pass_fd_as);
  TEST_CASE (s, nice);
  TEST_CASE (s, no_window);
#ifndef _WIN32
  TEST_CASE (s, umask);
  TEST_CASE (s, ids);
  TEST_CASE (s, rlimits);
  TEST_CASE (s, resource_limits);
  TEST_CASE (s, caps);
  TEST_CASE (s, no_new_privs);
  TEST_CASE (s, process_group);
  TEST_CASE (s, new_session);
  TEST_CASE_WITH_TMPDIR (s, kill_on_parent_exit);
#else
  TEST_CASE (s, unsupported);
  TEST_CASE (s, windows_limits);
  TEST_CASE (s, windows_options);
#endif
  TEST_CASE (s, security_options);
  TEST_CASE (s, cgroup);
  TEST_CASE (s, parallel_grouped);
#ifndef _WIN32
  TEST_CASE (s, parallel_at_a_time);
  TEST_CASE (s, parallel_few_descriptors);
#endif
  TEST_CASE (s, parallel_status);
  TEST_CASE_WITH_TMPDIR (s, parallel_not_found);
  TEST_CASE (s, parallel_null);
  TEST_CASE (s, parallel_progress);
  TEST_CASE (s, parallel_json_and_more);
  return s;
}

MAIN_SUITE (make_suite)
