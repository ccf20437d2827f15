/* quote.c: turning argv into a Windows command line.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A Windows process gets one string, and each program splits it again.
 * Nearly every program splits it the way the Microsoft C runtime does
 * (CommandLineToArgvW agrees), so sp_win32_quote_argv quotes for those
 * rules: the line it makes splits back into exactly the argv.
 *
 * Batch files are different: CreateProcessW would hand them to cmd.exe,
 * whose parser knows nothing of those rules and treats &|<>^()%! and
 * quotes as syntax.  Quoting for the C runtime there lets a caller's
 * argument run commands ("BatBadBut", CVE-2024-24576; and
 * CVE-2024-43402 for names with trailing dots or spaces, which Windows
 * strips).  So the backend starts cmd.exe itself, with a line built by
 * sp_win32_quote_batch under these rules:
 *
 *  - cmd.exe /d (no AutoRun commands) /e:ON (extensions: the parsing we
 *    reason about) /v:OFF (no !delayed! expansion, whatever the registry
 *    says) /c "LINE": more than two quotes follow /c, so cmd.exe removes
 *    the first and the last one and parses LINE as it stands.
 *  - The script's path is quoted; a path with '"' or '%', a control
 *    character or a trailing backslash is refused.
 *  - An argument made only of [A-Za-z0-9] and #$*+-./:?@\_ that does
 *    not end in a backslash is passed bare (cmd.exe gives it no
 *    meaning, and neither does the batch file's %1 splitting); any
 *    other argument is put in double quotes, inside which cmd.exe
 *    treats &|<>^()!,;= and blanks as text.  The batch file sees it as
 *    "ARG" in %1 and as ARG in %~1.
 *  - An argument that ends in backslashes is quoted and has those
 *    backslashes doubled, as Rust's standard library does since
 *    CVE-2024-24576: C:\dir\ is given as "C:\dir\\".  cmd.exe does not
 *    read backslashes, so the batch file gets C:\dir\\ in %~1, but a
 *    program that it hands %1, %* or the common "%~1" reads C:\dir\
 *    back (given a bare %~1, a program reads C:\dir\\, which Windows
 *    takes for the same directory).  Bare, "%~1" would become
 *    "C:\dir\", which the C runtime reads as C:\dir" (the last
 *    backslash escaping the closing quote) run together with whatever
 *    follows.
 *  - '"' is refused: it would toggle cmd.exe's quote state, and no
 *    escape makes %~1 give it back.  '%' is refused: %NAME% is expanded
 *    on the /c line even inside quotes, and two '%' anywhere in the line
 *    can pair up.  Control characters (CR and LF end the command line)
 *    are refused, tab excepted.
 *
 * Everything here works on UTF-8 bytes (all the characters that matter
 * are ASCII) and uses no Windows API, so it can be tested and fuzzed on
 * any host.
 */

#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "win32.h"

/* An output that counts what it cannot hold, so that one function both
   measures and fills.  */
typedef struct sink
{
  char *out;
  size_t cap;
  size_t len;
} sink_t;

static void
put (sink_t *s, char c)
{
  if (s->len < s->cap)
    s->out[s->len] = c;
  s->len++;
}

static void
put_n (sink_t *s, char c, size_t n)
{
  while (n-- > 0)
    put (s, c);
}

static void
put_str (sink_t *s, const char *str)
{
  while (*str)
    put (s, *str++);
}

/* Terminate: the NUL goes at the end if it fits, else at the last byte
   of OUT (a truncated line is never mistaken for a whole one: *LEN tells
   the caller it did not fit).  */
static void
finish (sink_t *s, size_t *len)
{
  *len = s->len;
  if (s->cap == 0)
    return;
  s->out[s->len < s->cap ? s->len : s->cap - 1] = '\0';
}

/* Blanks as the C runtime sees them; \n and \v are added to be safe with
   other parsers (quoting them costs nothing).  */
static bool
is_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\v';
}

/* argv[0]: the C runtime reads it with no escapes at all (a '"' only
   toggles quoting and a backslash is always literal), so it can be
   quoted but never hold a quote.  Nor, once quoted, end in a
   backslash: some runtimes (Wine's msvcrt) read the closing '\\"' as an
   escaped quote, and the rest of the line joins argv[0].  A program's
   path never ends so; an argv[0] of subproc_set_argv0 might.  */
static bool
put_argv0 (sink_t *s, const char *arg)
{
  bool quote = *arg == '\0';
  size_t len = 0;
  for (const char *p = arg; *p; p++, len++)
    {
      if (*p == '"')
        return false;
      if (is_blank (*p))
        quote = true;
    }
  if (quote && len > 0 && arg[len - 1] == '\\')
    return false;
  if (quote)
    put (s, '"');
  put_str (s, arg);
  if (quote)
    put (s, '"');
  return true;
}

/* Any other argument: inside quotes, backslashes are literal unless they
   precede a '"'; then 2N of them give N, and 2N+1 give N and a literal
   quote.  */
static void
put_arg (sink_t *s, const char *arg)
{
  bool quote = *arg == '\0';
  for (const char *p = arg; *p && !quote; p++)
    if (is_blank (*p) || *p == '"')
      quote = true;
  if (!quote)
    {
      put_str (s, arg);
      return;
    }

  put (s, '"');
  size_t backslashes = 0;
  for (const char *p = arg; *p; p++)
    {
      if (*p == '\\')
        {
          backslashes++;
          continue;
        }
      if (*p == '"')
        {
          put_n (s, '\\', 2 * backslashes + 1);
          put (s, '"');
        }
      else
        {
          put_n (s, '\\', backslashes);
          put (s, *p);
        }
      backslashes = 0;
    }
  /* The closing quote must not be escaped by the ones before it.  */
  put_n (s, '\\', 2 * backslashes);
  put (s, '"');
}

enum sp_win32_quote_status
sp_win32_quote_argv (char *const *argv, char *out, size_t cap, size_t *len,
                     size_t *bad)
{
  sink_t s = { out, cap, 0 };

  *bad = 0;
  if (!put_argv0 (&s, argv[0]))
    {
      finish (&s, len);
      return SP_WIN32_QUOTE_ARGV0;
    }
  for (size_t i = 1; argv[i]; i++)
    {
      put (&s, ' ');
      put_arg (&s, argv[i]);
    }
  finish (&s, len);
  return SP_WIN32_QUOTE_OK;
}

/* ------------------------------------------------------------------ */
/* Batch files.  */

/* Characters that mean nothing to cmd.exe nor to a batch file's %1
   splitting, so that an argument made only of them needs no quotes.  */
static bool
batch_plain (unsigned char c)
{
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
      || (c >= '0' && c <= '9'))
    return true;
  return c != '\0' && strchr ("#$*+-./:?@\\_", c) != NULL;
}

/* Control characters: CR and LF end the line for cmd.exe, others
   (Ctrl-Z, form feed, ...) have meanings we do not want to reason
   about.  Tab is a blank, harmless inside quotes.  */
static bool
batch_control (unsigned char c)
{
  return (c < 0x20 && c != '\t') || c == 0x7F;
}

/* Does ARG go in double quotes?  An argument that ends in a backslash
   does, so that its backslashes can be doubled (put_batch_arg).  */
static bool
batch_needs_quotes (const char *arg)
{
  size_t n = strlen (arg);
  if (n == 0 || arg[n - 1] == '\\')
    return true;
  for (const unsigned char *p = (const unsigned char *) arg; *p; p++)
    if (!batch_plain (*p))
      return true;
  return false;
}

static bool
batch_arg_ok (const char *arg)
{
  for (const unsigned char *p = (const unsigned char *) arg; *p; p++)
    if (*p == '"' || *p == '%' || batch_control (*p))
      return false;
  return true;
}

static bool
batch_script_ok (const char *script)
{
  size_t n = strlen (script);
  if (n == 0 || script[n - 1] == '\\' || script[n - 1] == '/')
    return false;
  return batch_arg_ok (script);
}

static void
put_batch_arg (sink_t *s, const char *arg)
{
  if (!batch_needs_quotes (arg))
    {
      put_str (s, arg);
      return;
    }
  /* Backslashes only escape a quote, and the argument holds none: only
     the ones before the closing quote need doubling, for the programs
     that the batch file passes the argument on to ("%~1" gives them
     "C:\dir\\", which they read as C:\dir\).  */
  size_t n = strlen (arg), trailing = 0;
  while (trailing < n && arg[n - 1 - trailing] == '\\')
    trailing++;
  put (s, '"');
  put_str (s, arg);
  put_n (s, '\\', trailing);
  put (s, '"');
}

enum sp_win32_quote_status
sp_win32_quote_batch (const char *script, char *const *argv, char *out,
                      size_t cap, size_t *len, size_t *bad)
{
  sink_t s = { out, cap, 0 };
  enum sp_win32_quote_status status = SP_WIN32_QUOTE_OK;

  *bad = 0;
  if (!batch_script_ok (script))
    status = SP_WIN32_QUOTE_SCRIPT;
  for (size_t i = 1; status == SP_WIN32_QUOTE_OK && argv[i]; i++)
    if (!batch_arg_ok (argv[i]))
      {
        *bad = i;
        status = SP_WIN32_QUOTE_ARG;
      }
  if (status != SP_WIN32_QUOTE_OK)
    {
      finish (&s, len);
      return status;
    }

  put_str (&s, "cmd.exe /d /e:ON /v:OFF /c \"\"");
  put_str (&s, script);
  put (&s, '"');
  for (size_t i = 1; argv[i]; i++)
    {
      put (&s, ' ');
      put_batch_arg (&s, argv[i]);
    }
  put (&s, '"');
  finish (&s, len);
  return SP_WIN32_QUOTE_OK;
}

static char
ascii_lower (char c)
{
  return c >= 'A' && c <= 'Z' ? (char) (c - 'A' + 'a') : c;
}

bool
sp_win32_is_batch (const char *path)
{
  size_t n = strlen (path);

  /* "x.bat." and "x.bat " open x.bat: the file system drops them.  */
  while (n > 0 && (path[n - 1] == '.' || path[n - 1] == ' '))
    n--;
  if (n < 4 || path[n - 4] != '.')
    return false;
  char ext[3];
  for (int i = 0; i < 3; i++)
    ext[i] = ascii_lower (path[n - 3 + i]);
  return memcmp (ext, "bat", 3) == 0 || memcmp (ext, "cmd", 3) == 0;
}

/* ------------------------------------------------------------------ */
/* Splitting, as the C runtime does.  */

size_t
sp_win32_split_cmdline (const char *line, char *out, size_t cap)
{
  sink_t s = { out, cap, 0 };
  const char *p = line;
  bool in_quotes = false;

  /* argv[0]: quotes toggle, nothing escapes.  */
  for (; *p; p++)
    {
      if (*p == '"')
        in_quotes = !in_quotes;
      else if (!in_quotes && (*p == ' ' || *p == '\t'))
        break;
      else
        put (&s, *p);
    }
  put (&s, '\0');

  for (;;)
    {
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0')
        break;
      in_quotes = false;
      for (;;)
        {
          size_t backslashes = 0;
          while (*p == '\\')
            {
              backslashes++;
              p++;
            }
          if (*p == '"')
            {
              put_n (&s, '\\', backslashes / 2);
              if (backslashes % 2)
                put (&s, '"');
              else if (in_quotes && p[1] == '"')
                {
                  /* msvcr100 and later: "" inside quotes is a quote.  */
                  put (&s, '"');
                  p++;
                }
              else
                in_quotes = !in_quotes;
              p++;
              continue;
            }
          put_n (&s, '\\', backslashes);
          if (*p == '\0' || (!in_quotes && (*p == ' ' || *p == '\t')))
            break;
          put (&s, *p++);
        }
      put (&s, '\0');
    }
  return s.len;
}
