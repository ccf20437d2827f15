/* utf8.c: strict UTF-8 <-> UTF-16 for the Win32 backend.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The API speaks UTF-8 and Windows speaks UTF-16.  The conversions are
 * written here rather than taken from MultiByteToWideChar because that
 * one accepts (or silently replaces) what we must refuse: a string that
 * does not mean exactly one thing must not reach CreateProcessW.  No
 * Windows API is used, so the file builds and can be fuzzed anywhere.
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "win32.h"

/* Decode one code point from S (LEN > 0 bytes left).  Returns the number
   of bytes it takes and stores it in *CP, or 0 if the bytes there are not
   the shortest encoding of a scalar value.  */
static size_t
decode (const unsigned char *s, size_t len, uint32_t *cp)
{
  unsigned char c = s[0];
  size_t n;
  uint32_t v, min;

  if (c < 0x80)
    {
      *cp = c;
      return 1;
    }
  if (c >= 0xC2 && c <= 0xDF)
    {
      n = 2;
      v = c & 0x1F;
      min = 0x80;
    }
  else if (c >= 0xE0 && c <= 0xEF)
    {
      n = 3;
      v = c & 0x0F;
      min = 0x800;
    }
  else if (c >= 0xF0 && c <= 0xF4)
    {
      n = 4;
      v = c & 0x07;
      min = 0x10000;
    }
  else
    /* 0x80-0xBF: a continuation byte without a lead; 0xC0, 0xC1: always
       overlong; 0xF5-0xFF: beyond U+10FFFF.  */
    return 0;

  if (len < n)
    return 0;
  for (size_t i = 1; i < n; i++)
    {
      if ((s[i] & 0xC0) != 0x80)
        return 0;
      v = (v << 6) | (s[i] & 0x3F);
    }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
    return 0;
  *cp = v;
  return n;
}

bool
sp_win32_utf8_valid (const char *s, size_t len)
{
  const unsigned char *p = (const unsigned char *) s;
  uint32_t cp;

  while (len > 0)
    {
      size_t n = decode (p, len, &cp);
      if (n == 0)
        return false;
      p += n;
      len -= n;
    }
  return true;
}

ptrdiff_t
sp_win32_utf8_to_utf16 (const char *s, size_t len, uint16_t *out,
                        size_t cap)
{
  const unsigned char *p = (const unsigned char *) s;
  size_t units = 0;
  uint32_t cp;

  while (len > 0)
    {
      size_t n = decode (p, len, &cp);
      if (n == 0)
        return -1;
      p += n;
      len -= n;
      if (cp < 0x10000)
        {
          if (units < cap)
            out[units] = (uint16_t) cp;
          units++;
        }
      else
        {
          cp -= 0x10000;
          if (units < cap)
            out[units] = (uint16_t) (0xD800 | (cp >> 10));
          if (units + 1 < cap)
            out[units + 1] = (uint16_t) (0xDC00 | (cp & 0x3FF));
          units += 2;
        }
    }
  return (ptrdiff_t) units;
}

ptrdiff_t
sp_win32_utf16_to_utf8 (const uint16_t *s, size_t len, char *out,
                        size_t cap)
{
  size_t bytes = 0;
  unsigned char buf[4];

  for (size_t i = 0; i < len; i++)
    {
      uint32_t cp = s[i];
      size_t n;

      if (cp >= 0xD800 && cp <= 0xDBFF)
        {
          if (i + 1 >= len || s[i + 1] < 0xDC00 || s[i + 1] > 0xDFFF)
            return -1;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (s[i + 1] - 0xDC00);
          i++;
        }
      else if (cp >= 0xDC00 && cp <= 0xDFFF)
        return -1;

      if (cp < 0x80)
        {
          buf[0] = (unsigned char) cp;
          n = 1;
        }
      else if (cp < 0x800)
        {
          buf[0] = (unsigned char) (0xC0 | (cp >> 6));
          buf[1] = (unsigned char) (0x80 | (cp & 0x3F));
          n = 2;
        }
      else if (cp < 0x10000)
        {
          buf[0] = (unsigned char) (0xE0 | (cp >> 12));
          buf[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
          buf[2] = (unsigned char) (0x80 | (cp & 0x3F));
          n = 3;
        }
      else
        {
          buf[0] = (unsigned char) (0xF0 | (cp >> 18));
          buf[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
          buf[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
          buf[3] = (unsigned char) (0x80 | (cp & 0x3F));
          n = 4;
        }
      for (size_t k = 0; k < n; k++)
        if (bytes + k < cap)
          out[bytes + k] = (char) buf[k];
      bytes += n;
    }
  return (ptrdiff_t) bytes;
}

uint16_t *
sp_win32_to_utf16 (const char *s)
{
  size_t len = strlen (s);
  ptrdiff_t units = sp_win32_utf8_to_utf16 (s, len, NULL, 0);
  if (units < 0)
    {
      errno = EILSEQ;
      return NULL;
    }
  uint16_t *w = sp_reallocarray (NULL, (size_t) units + 1, sizeof *w);
  if (w == NULL)
    return NULL;
  sp_win32_utf8_to_utf16 (s, len, w, (size_t) units);
  w[units] = 0;
  return w;
}

char *
sp_win32_to_utf8 (const uint16_t *s, size_t len)
{
  if (len == (size_t) -1)
    for (len = 0; s[len]; len++)
      ;
  ptrdiff_t bytes = sp_win32_utf16_to_utf8 (s, len, NULL, 0);
  if (bytes < 0)
    {
      errno = EILSEQ;
      return NULL;
    }
  char *u = sp_malloc ((size_t) bytes + 1);
  if (u == NULL)
    return NULL;
  sp_win32_utf16_to_utf8 (s, len, u, (size_t) bytes);
  u[bytes] = '\0';
  return u;
}
