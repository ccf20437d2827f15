/* common.c: the helpers of fuzz.h.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

void
fuzz_fail (const char *file, int line, const char *fmt, ...)
{
  va_list ap;

  fprintf (stderr, "fuzz: %s:%d: ", file, line);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
  fflush (stderr);
  abort ();
}

void *
fuzz_xmalloc (size_t size)
{
  void *p = malloc (size ? size : 1);
  if (p == NULL)
    FUZZ_FAIL ("out of memory (%lu bytes)", (unsigned long) size);
  return p;
}

void
fuzz_bytes_put (fuzz_bytes_t *b, char c)
{
  if (b->len + 1 >= b->cap)
    {
      b->cap = b->cap ? 2 * b->cap : 64;
      char *p = realloc (b->data, b->cap);
      if (p == NULL)
        FUZZ_FAIL ("out of memory");
      b->data = p;
    }
  b->data[b->len++] = c;
  b->data[b->len] = '\0';
}

fuzz_strv_t
fuzz_split (const uint8_t *data, size_t size, size_t max)
{
  fuzz_strv_t r = { NULL, 0 };
  size_t n = 0;

  if (size > 0 && max > 0)
    {
      n = 1;
      for (size_t i = 0; i < size && n < max; i++)
        if (data[i] == 0)
          n++;
    }
  r.v = fuzz_xmalloc ((n + 1) * sizeof *r.v);
  size_t start = 0;
  for (size_t k = 0; k < n; k++)
    {
      size_t end = start;
      if (k + 1 < n)
        while (data[end] != 0)
          end++;
      else
        end = size;
      char *s = fuzz_xmalloc (end - start + 1);
      size_t len = 0;
      for (size_t i = start; i < end; i++)
        if (data[i] != 0)
          s[len++] = (char) data[i];
      s[len] = '\0';
      r.v[k] = s;
      start = end + 1;
    }
  r.v[n] = NULL;
  r.n = n;
  return r;
}

void
fuzz_strv_free (fuzz_strv_t *v)
{
  for (size_t i = 0; i < v->n; i++)
    free (v->v[i]);
  free (v->v);
  v->v = NULL;
  v->n = 0;
}

void
fuzz_print_escaped (const char *label, const char *s, size_t len)
{
  fprintf (stderr, "  %s: \"", label);
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) s[i];
      if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\')
        fputc (c, stderr);
      else
        fprintf (stderr, "\\x%02X", c);
    }
  fputs ("\"\n", stderr);
}
