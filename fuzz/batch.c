/* batch.c: fuzz target: batch-file arguments survive cmd.exe.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * sp_win32_quote_batch (src/win32/quote.c) makes the whole line given to
 * cmd.exe for a batch file.  For every argv it accepts, a model of
 * cmd.exe written here must find: one command (no &, |, redirection,
 * parenthesis or line end outside quotes), no %-expansion, the script as
 * the command name, and each argument back in %~1, %~2... (with its
 * trailing backslashes doubled, if it ends in one).  And when the batch
 * file passes its arguments on to a program ("prog %*", or
 * "prog "%~1" "%~2"..."), the program's C runtime must split them back
 * into the same argv: that is what most batch files do with them.
 * Every argv it refuses must break one of the documented rules (a
 * script path that is empty, ends in a separator, or holds '"', '%' or
 * a control character; an argument that holds '"', '%' or a control
 * character).
 *
 * The model of cmd.exe: "cmd.exe /c" followed by more than two quotes
 * drops the first and the last quote and runs the rest.  Phase 1 expands
 * %NAME% (the model refuses any '%': whether NAME is set is not known).
 * Phase 2 reads quotes, which toggle a quoted state, and outside them
 * '^' (escapes the next character and goes away), &, |, <, >, ( and )
 * (syntax) and line ends.  /v:OFF leaves '!' alone.  The command name is
 * the first token; the batch file's parameters are the rest, split at
 * blanks, ',', ';' and '=' outside quotes, each keeping its quotes in %N
 * and losing one leading and one trailing quote in %~N.
 *
 * Input: split at NUL bytes, the script path and the arguments (at most
 * 64 strings in all).
 */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "crt-model.h"
#include "fuzz.h"
#include "../src/win32/win32.h"

static const char prefix[] = "cmd.exe /d /e:ON /v:OFF /c ";

static bool
control (unsigned char c)
{
  return (c < 0x20 && c != '\t') || c == 0x7F;
}

/* Would the documented rules refuse S?  */
static bool
arg_breaks_rules (const char *s)
{
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (*p == '"' || *p == '%' || control (*p))
      return true;
  return false;
}

/* What the batch file must find in %~N for the argument S: S, with its
   trailing backslashes doubled.  Allocated.  */
static char *
want_param (const char *s)
{
  size_t n = strlen (s), trailing = 0;
  while (trailing < n && s[n - 1 - trailing] == '\\')
    trailing++;
  char *r = fuzz_xmalloc (n + trailing + 1);
  memcpy (r, s, n);
  memset (r + n, '\\', trailing);
  r[n + trailing] = '\0';
  return r;
}

static bool
script_breaks_rules (const char *s)
{
  size_t n = strlen (s);
  if (n == 0 || s[n - 1] == '\\' || s[n - 1] == '/')
    return true;
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    if (*p == '"' || *p == '%' || control (*p))
      return true;
  return false;
}

/* Phase 2 on LINE: NULL and the line without its escaping carets in
   *OUT (allocated), or why cmd.exe would do more than run one command.  */
static const char *
phase2 (const char *line, char **out)
{
  char *r = fuzz_xmalloc (strlen (line) + 1);
  size_t len = 0;
  bool quoted = false;
  const char *why = NULL;

  for (const char *p = line; *p && why == NULL; p++)
    {
      if (*p == '\n' || *p == '\r')
        why = "a line end";
      else if (*p == '"')
        {
          quoted = !quoted;
          r[len++] = *p;
        }
      else if (quoted)
        r[len++] = *p;
      else if (*p == '^')
        {
          if (p[1] == '\0')
            why = "a caret at the end (a continuation)";
          else
            r[len++] = *++p;
        }
      else if (strchr ("&|<>()", *p))
        why = "an operator outside quotes";
      else
        r[len++] = *p;
    }
  r[len] = '\0';
  if (why)
    free (r);
  else
    *out = r;
  return why;
}

static bool
param_delim (char c)
{
  return c == ' ' || c == '\t' || c == ',' || c == ';' || c == '='
         || c == '\v' || c == '\f';
}

/* Split the parameters of a batch file from TAIL, as %~N gives them.  */
static fuzz_strv_t
batch_params (const char *tail)
{
  fuzz_strv_t r;
  size_t cap = 8;
  r.v = fuzz_xmalloc (cap * sizeof *r.v);
  r.n = 0;
  const char *p = tail;
  for (;;)
    {
      while (*p && param_delim (*p))
        p++;
      if (*p == '\0')
        break;
      const char *start = p;
      bool quoted = false;
      for (; *p && (quoted || !param_delim (*p)); p++)
        if (*p == '"')
          quoted = !quoted;
      size_t len = (size_t) (p - start);
      /* %~N: one leading and one trailing quote go.  */
      if (len > 0 && *start == '"')
        {
          start++;
          len--;
        }
      if (len > 0 && start[len - 1] == '"')
        len--;
      if (r.n + 1 >= cap)
        {
          cap *= 2;
          char **v = realloc (r.v, cap * sizeof *v);
          if (v == NULL)
            FUZZ_FAIL ("out of memory");
          r.v = v;
        }
      char *s = fuzz_xmalloc (len + 1);
      memcpy (s, start, len);
      s[len] = '\0';
      r.v[r.n++] = s;
    }
  r.v[r.n] = NULL;
  return r;
}

/* LINE, a command of the batch file after its %-expansion, goes through
   phase 2 (which must leave it as it is), then the C runtime of the
   program it runs, which must find ARGV's arguments.  NULL, or what
   goes wrong; WHAT names the form of LINE.  */
static const char *
forwarded (const char *line, const char *what, char *const *argv,
           size_t argc)
{
  char *line2;
  const char *why = phase2 (line, &line2);
  if (why)
    return why;
  if (strcmp (line2, line) != 0)
    why = "phase 2 changes the forwarded arguments";
  for (int old = 0; old < 2 && why == NULL; old++)
    {
      fuzz_strv_t crt = model_crt_split (line2, old);
      if (crt.n != argc || strcmp (crt.v[0], "prog") != 0
          || !fuzz_strv_equal (&(fuzz_strv_t) { crt.v + 1, crt.n - 1 },
                               argv + 1, argc - 1))
        {
          fuzz_strv_print (what, crt.v, crt.n);
          why = "a program given the arguments gets other ones";
        }
      fuzz_strv_free (&crt);
    }
  free (line2);
  return why;
}

/* Run LINE through the model of cmd.exe for SCRIPT and ARGV.  NULL if
   everything comes back, else what does not.  */
static const char *
check_cmd (const char *line, const char *script, char *const *argv,
           size_t argc)
{
  if (strncmp (line, prefix, sizeof prefix - 1) != 0)
    return "the line does not start cmd.exe /d /e:ON /v:OFF /c";
  const char *s = line + sizeof prefix - 1;

  /* The /c rule on quotes.  */
  size_t quotes = 0;
  for (const char *p = s; *p; p++)
    quotes += *p == '"';
  if (*s != '"' || quotes <= 2)
    return "cmd.exe would keep the quotes after /c (or there are none)";
  char *body = fuzz_xmalloc (strlen (s));
  size_t last = strrchr (s, '"') - s;
  memcpy (body, s + 1, last - 1);
  strcpy (body + last - 1, s + last + 1);

  if (strchr (body, '%'))
    {
      free (body);
      return "a '%' on the line (expansion)";
    }
  char *p2;
  const char *why = phase2 (body, &p2);
  free (body);
  if (why)
    return why;

  /* The command name: a quoted script, then a blank or the end.  */
  const char *tail = NULL;
  if (p2[0] == '"')
    {
      const char *close = strchr (p2 + 1, '"');
      if (close && (close[1] == '\0' || close[1] == ' ')
          && (size_t) (close - p2 - 1) == strlen (script)
          && memcmp (p2 + 1, script, strlen (script)) == 0)
        tail = close + 1;
    }
  if (tail == NULL)
    {
      free (p2);
      return "the command name is not the script";
    }

  fuzz_strv_t params = batch_params (tail);
  bool same = params.n == argc - 1;
  for (size_t i = 0; same && i < params.n; i++)
    {
      char *want = want_param (argv[i + 1]);
      same = strcmp (params.v[i], want) == 0;
      free (want);
    }
  if (!same)
    {
      fuzz_strv_print ("%~N", params.v, params.n);
      fuzz_strv_free (&params);
      free (p2);
      return "the batch file's %~N differ from the arguments";
    }

  /* "prog %*": %* is the tail without its leading delimiters.  */
  const char *all = tail;
  while (*all && param_delim (*all))
    all++;
  char *fwd = fuzz_xmalloc (strlen (all) + sizeof "prog ");
  strcpy (fwd, "prog ");
  strcat (fwd, all);
  why = forwarded (fwd, "prog %*", argv, argc);
  free (fwd);

  /* prog "%~1" "%~2"...: the way a batch file passes on an argument that
     may hold blanks.  */
  size_t need = sizeof "prog";
  for (size_t i = 0; i < params.n; i++)
    need += strlen (params.v[i]) + 3;
  fwd = fuzz_xmalloc (need);
  strcpy (fwd, "prog");
  for (size_t i = 0; i < params.n; i++)
    {
      strcat (fwd, " \"");
      strcat (fwd, params.v[i]);
      strcat (fwd, "\"");
    }
  if (why == NULL)
    why = forwarded (fwd, "prog \"%~N\"", argv, argc);
  free (fwd);
  fuzz_strv_free (&params);
  free (p2);
  return why;
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fuzz_strv_t v = fuzz_split (data, size, 64);
  if (v.n == 0)
    {
      fuzz_strv_free (&v);
      return 0;
    }
  const char *script = v.v[0];
  size_t len = 0, bad = 0;
  enum sp_win32_quote_status st
    = sp_win32_quote_batch (script, v.v, NULL, 0, &len, &bad);

  /* What the documented rules say.  */
  enum sp_win32_quote_status want = SP_WIN32_QUOTE_OK;
  size_t want_bad = 0;
  if (script_breaks_rules (script))
    want = SP_WIN32_QUOTE_SCRIPT;
  else
    for (size_t i = 1; i < v.n && want == SP_WIN32_QUOTE_OK; i++)
      if (arg_breaks_rules (v.v[i]))
        {
          want = SP_WIN32_QUOTE_ARG;
          want_bad = i;
        }
  if (st != want || bad != want_bad)
    {
      fuzz_strv_print ("script and arguments", v.v, v.n);
      FUZZ_FAIL ("status %d (argument %lu), the rules say %d (argument %lu)",
                 (int) st, (unsigned long) bad, (int) want,
                 (unsigned long) want_bad);
    }

  if (st == SP_WIN32_QUOTE_OK)
    {
      char *line = fuzz_xmalloc (len + 1);
      size_t len2 = 0;
      st = sp_win32_quote_batch (script, v.v, line, len + 1, &len2, &bad);
      FUZZ_ASSERT (st == SP_WIN32_QUOTE_OK && len2 == len);
      FUZZ_ASSERT (strlen (line) == len);
      const char *why = check_cmd (line, script, v.v, v.n);
      if (why)
        {
          fuzz_print_escaped ("line", line, len);
          fuzz_strv_print ("script and arguments", v.v, v.n);
          FUZZ_FAIL ("cmd.exe would not pass the arguments: %s", why);
        }
      free (line);
    }
  fuzz_strv_free (&v);
  return 0;
}
