/* json.c: the subproc command's JSON writer.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Strings are bytes: valid UTF-8 is written as it is (with the
 * escapes JSON requires), and every byte that is not part of valid UTF-8
 * as \u00XX, the code point of the same value.  That is readable but not
 * reversible, so a captured stream that is not valid UTF-8 also gets a
 * NAME_base64 member with its exact bytes.
 */

#include <config.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

/* ------------------------------------------------------------------ */
/* The buffer.  */

void
buf_add (buf_t *b, const void *p, size_t n)
{
  if (b->size - b->len < n + 1)
    {
      size_t size = b->size ? b->size : 256;
      while (size - b->len < n + 1)
        {
          if (size > SIZE_MAX / 2)
            xalloc_die ();
          size *= 2;
        }
      b->data = xrealloc (b->data, size);
      b->size = size;
    }
  memcpy (b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
}

void
buf_str (buf_t *b, const char *s)
{
  buf_add (b, s, strlen (s));
}

void
buf_printf (buf_t *b, const char *fmt, ...)
{
  char tmp[128];
  va_list ap;
  va_start (ap, fmt);
  int n = vsnprintf (tmp, sizeof tmp, fmt, ap);
  va_end (ap);
  if (n > 0)
    buf_add (b, tmp, (size_t) n < sizeof tmp ? (size_t) n : sizeof tmp - 1);
}

/* ------------------------------------------------------------------ */
/* JSON values.  */

/* The length of the valid UTF-8 sequence at P (at most LEFT bytes), or 0
   if it is not one: no overlong forms, no surrogates, nothing above
   U+10FFFF.  */
static size_t
utf8_length (const unsigned char *p, size_t left)
{
  unsigned int c = p[0];
  size_t n;
  unsigned int min;

  if (c < 0x80)
    return 1;
  if (c >= 0xC2 && c <= 0xDF)
    n = 2, min = 0x80;
  else if (c >= 0xE0 && c <= 0xEF)
    n = 3, min = 0x800;
  else if (c >= 0xF0 && c <= 0xF4)
    n = 4, min = 0x10000;
  else
    return 0;
  if (left < n)
    return 0;
  unsigned int cp = c & (0xFFu >> (n + 1));
  for (size_t i = 1; i < n; i++)
    {
      if ((p[i] & 0xC0) != 0x80)
        return 0;
      cp = (cp << 6) | (p[i] & 0x3Fu);
    }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

/* Append S (LEN bytes) as a JSON string; true if it was valid UTF-8.  */
bool
json_string (buf_t *b, const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s;
  bool valid = true;

  buf_add (b, "\"", 1);
  for (size_t i = 0; i < len;)
    {
      unsigned char c = p[i];
      size_t n = utf8_length (p + i, len - i);
      if (n == 0)
        {
          buf_printf (b, "\\u%04x", (unsigned int) c);
          valid = false;
          i++;
          continue;
        }
      if (n > 1)
        buf_add (b, p + i, n);
      else if (c == '"' || c == '\\')
        {
          char esc[2] = { '\\', (char) c };
          buf_add (b, esc, 2);
        }
      else if (c == '\n')
        buf_str (b, "\\n");
      else if (c == '\r')
        buf_str (b, "\\r");
      else if (c == '\t')
        buf_str (b, "\\t");
      else if (c < 0x20 || c == 0x7F)
        buf_printf (b, "\\u%04x", (unsigned int) c);
      else
        buf_add (b, p + i, 1);
      i += n;
    }
  buf_add (b, "\"", 1);
  return valid;
}

static void
base64 (buf_t *b, const char *s, size_t len)
{
  static const char digits[]
    = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const unsigned char *p = (const unsigned char *) s;
  buf_add (b, "\"", 1);
  for (size_t i = 0; i < len; i += 3)
    {
      unsigned long v = (unsigned long) p[i] << 16;
      if (i + 1 < len)
        v |= (unsigned long) p[i + 1] << 8;
      if (i + 2 < len)
        v |= p[i + 2];
      char q[4] = { digits[(v >> 18) & 63], digits[(v >> 12) & 63],
                    i + 1 < len ? digits[(v >> 6) & 63] : '=',
                    i + 2 < len ? digits[v & 63] : '=' };
      buf_add (b, q, 4);
    }
  buf_add (b, "\"", 1);
}

/* ',"NAME":' and a captured stream: a string, or null if the stream was
   not captured; plus NAME_base64 when it is not valid UTF-8.  */
void
json_stream (buf_t *b, const char *name, bool captured, const char *data,
             size_t len)
{
  buf_printf (b, ",\"%s\":", name);
  if (!captured)
    {
      buf_str (b, "null");
      return;
    }
  if (data == NULL)
    data = "", len = 0;
  if (!json_string (b, data, len))
    {
      buf_printf (b, ",\"%s_base64\":", name);
      base64 (b, data, len);
    }
}

void
json_argv (buf_t *b, char *const *argv)
{
  buf_str (b, "{\"program\":");
  json_string (b, argv[0], strlen (argv[0]));
  buf_str (b, ",\"argv\":[");
  for (size_t i = 0; argv[i]; i++)
    {
      if (i)
        buf_str (b, ",");
      json_string (b, argv[i], strlen (argv[i]));
    }
  buf_str (b, "]");
}

