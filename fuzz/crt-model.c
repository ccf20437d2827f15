/* crt-model.c: reference models of Windows command-line splitting.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Written from the documented rules ("Parsing C command-line arguments"
 * in the Microsoft C runtime documentation, the CommandLineToArgvW
 * reference, and the known difference of msvcrt.dll on "" inside
 * quotes), independently of src/win32/quote.c, whose splitter the
 * winquote target compares with these.
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crt-model.h"

/* A list of strings being built, with the current one at the end.  */
typedef struct builder
{
  fuzz_strv_t v;
  size_t cap;
  fuzz_bytes_t cur;
} builder_t;

static void
b_char (builder_t *b, char c)
{
  fuzz_bytes_put (&b->cur, c);
}

static void
b_chars (builder_t *b, char c, size_t n)
{
  while (n-- > 0)
    b_char (b, c);
}

/* End the current string.  */
static void
b_end (builder_t *b)
{
  if (b->cur.data == NULL)
    {
      b->cur.data = fuzz_xmalloc (1);
      b->cur.data[0] = '\0';
    }
  if (b->v.n + 1 >= b->cap)
    {
      b->cap = b->cap ? 2 * b->cap : 8;
      char **p = realloc (b->v.v, b->cap * sizeof *p);
      if (p == NULL)
        FUZZ_FAIL ("out of memory");
      b->v.v = p;
    }
  b->v.v[b->v.n++] = b->cur.data;
  b->v.v[b->v.n] = NULL;
  b->cur = (fuzz_bytes_t) { NULL, 0, 0 };
}

static fuzz_strv_t
b_finish (builder_t *b)
{
  if (b->v.v == NULL)
    {
      b->v.v = fuzz_xmalloc (sizeof *b->v.v);
      b->v.v[0] = NULL;
    }
  free (b->cur.data);
  return b->v;
}

static bool
blank (char c)
{
  return c == ' ' || c == '\t';
}

fuzz_strv_t
model_crt_split (const char *line, bool old)
{
  builder_t b = { { NULL, 0 }, 0, { NULL, 0, 0 } };
  const char *p = line;
  bool quoted = false;

  /* The program name.  */
  while (*p && (quoted || !blank (*p)))
    {
      if (*p == '"')
        quoted = !quoted;
      else
        b_char (&b, *p);
      p++;
    }
  b_end (&b);

  for (;;)
    {
      while (blank (*p))
        p++;
      if (*p == '\0')
        break;
      quoted = false;
      while (*p && (quoted || !blank (*p)))
        {
          size_t slashes = 0;
          while (*p == '\\')
            {
              slashes++;
              p++;
            }
          if (*p != '"')
            {
              /* Backslashes not followed by a quote are literal.  */
              b_chars (&b, '\\', slashes);
              if (*p && (quoted || !blank (*p)))
                b_char (&b, *p++);
              continue;
            }
          /* 2N backslashes and a quote: N backslashes and the quote is
             syntax; 2N+1: N backslashes and a literal quote.  */
          b_chars (&b, '\\', slashes / 2);
          if (slashes % 2 == 1)
            b_char (&b, '"');
          else if (quoted && p[1] == '"')
            {
              b_char (&b, '"');
              p++;
              if (old)
                quoted = false;
            }
          else
            quoted = !quoted;
          p++;
        }
      b_end (&b);
    }
  return b_finish (&b);
}

fuzz_strv_t
model_cltaw_split (const char *line)
{
  builder_t b = { { NULL, 0 }, 0, { NULL, 0, 0 } };
  const char *p = line;

  if (*p == '"')
    {
      for (p++; *p && *p != '"'; p++)
        b_char (&b, *p);
      if (*p == '"')
        p++;
    }
  else
    for (; *p && !blank (*p); p++)
      b_char (&b, *p);
  b_end (&b);

  for (;;)
    {
      while (blank (*p))
        p++;
      if (*p == '\0')
        break;
      /* QUOTES counts the quotes seen in a run: odd means inside quotes;
         the third of a run gives a literal quote and starts over.  */
      unsigned int quotes = 0;
      while (*p && (quotes % 2 == 1 || !blank (*p)))
        {
          size_t slashes = 0;
          while (*p == '\\')
            {
              slashes++;
              p++;
            }
          if (*p != '"')
            {
              b_chars (&b, '\\', slashes);
              if (*p && (quotes % 2 == 1 || !blank (*p)))
                b_char (&b, *p++);
              continue;
            }
          b_chars (&b, '\\', slashes / 2);
          if (slashes % 2 == 1)
            b_char (&b, '"');
          else
            quotes++;
          p++;
          while (*p == '"')
            {
              if (++quotes == 3)
                {
                  b_char (&b, '"');
                  quotes = 0;
                }
              p++;
            }
          if (quotes == 2)
            quotes = 0;
        }
      b_end (&b);
    }
  return b_finish (&b);
}

bool
fuzz_strv_equal (const fuzz_strv_t *a, char *const *b, size_t n)
{
  if (a->n != n)
    return false;
  for (size_t i = 0; i < n; i++)
    if (strcmp (a->v[i], b[i]) != 0)
      return false;
  return true;
}

void
fuzz_strv_print (const char *label, char *const *v, size_t n)
{
  fprintf (stderr, " %s (%lu):\n", label, (unsigned long) n);
  for (size_t i = 0; i < n; i++)
    fuzz_print_escaped ("", v[i], strlen (v[i]));
}
