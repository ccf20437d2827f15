/* utf8.c: fuzz target: the strict UTF-8 <-> UTF-16 conversions.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * src/win32/utf8.c against a reference written here from the table of
 * well-formed byte sequences (Unicode, chapter 3, table 3-7), which
 * checks each byte against its allowed range rather than decoding first
 * and checking the value after, as the library does.  For any bytes:
 * sp_win32_utf8_valid and sp_win32_utf8_to_utf16 accept exactly the
 * well-formed ones, and convert them to the same units; any units:
 * sp_win32_utf16_to_utf8 refuses exactly the unpaired surrogates and
 * encodes the rest as the reference does; a conversion back gives the
 * input again; a short output buffer gets a prefix and the full count;
 * the allocating forms agree with the counting ones.
 *
 * Input: the bytes, as UTF-8, and (little-endian pairs) as UTF-16.
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../src/win32/win32.h"

/* The length of the well-formed sequence at S (N bytes left), or 0.  */
static size_t
ref_sequence (const unsigned char *s, size_t n)
{
  /* For each lead byte range: the length and the range of the second
     byte; later bytes are always 80..BF.  */
  static const struct
  {
    unsigned char lo, hi, len, lo2, hi2;
  } table[] = {
    { 0x00, 0x7F, 1, 0, 0 },       { 0xC2, 0xDF, 2, 0x80, 0xBF },
    { 0xE0, 0xE0, 3, 0xA0, 0xBF }, { 0xE1, 0xEC, 3, 0x80, 0xBF },
    { 0xED, 0xED, 3, 0x80, 0x9F }, { 0xEE, 0xEF, 3, 0x80, 0xBF },
    { 0xF0, 0xF0, 4, 0x90, 0xBF }, { 0xF1, 0xF3, 4, 0x80, 0xBF },
    { 0xF4, 0xF4, 4, 0x80, 0x8F },
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    {
      if (s[0] < table[i].lo || s[0] > table[i].hi)
        continue;
      size_t len = table[i].len;
      if (n < len)
        return 0;
      if (len > 1 && (s[1] < table[i].lo2 || s[1] > table[i].hi2))
        return 0;
      for (size_t k = 2; k < len; k++)
        if (s[k] < 0x80 || s[k] > 0xBF)
          return 0;
      return len;
    }
  return 0;
}

/* Decode S (N bytes) into OUT (room for N units); the unit count, or -1
   if it is not well-formed.  */
static ptrdiff_t
ref_utf8_to_utf16 (const unsigned char *s, size_t n, uint16_t *out)
{
  size_t units = 0;
  while (n > 0)
    {
      size_t len = ref_sequence (s, n);
      if (len == 0)
        return -1;
      /* Bits of the lead byte: 7, 5, 4 or 3.  */
      uint32_t cp = s[0] & (len == 1 ? 0x7F : 0x7F >> len);
      for (size_t k = 1; k < len; k++)
        cp = cp * 64 + (s[k] - 0x80);
      if (cp >= 0x10000)
        {
          out[units++] = (uint16_t) (0xD800 + ((cp - 0x10000) / 0x400));
          out[units++] = (uint16_t) (0xDC00 + ((cp - 0x10000) % 0x400));
        }
      else
        out[units++] = (uint16_t) cp;
      s += len;
      n -= len;
    }
  return (ptrdiff_t) units;
}

/* Encode W (N units) into OUT (room for 3 * N bytes); the byte count, or
   -1 for an unpaired surrogate.  */
static ptrdiff_t
ref_utf16_to_utf8 (const uint16_t *w, size_t n, unsigned char *out)
{
  size_t len = 0;
  for (size_t i = 0; i < n; i++)
    {
      uint32_t cp = w[i];
      if (cp >= 0xDC00 && cp < 0xE000)
        return -1;
      if (cp >= 0xD800 && cp < 0xDC00)
        {
          if (i + 1 == n || w[i + 1] < 0xDC00 || w[i + 1] >= 0xE000)
            return -1;
          cp = 0x10000 + (cp - 0xD800) * 0x400 + (w[++i] - 0xDC00);
        }
      if (cp < 0x80)
        out[len++] = (unsigned char) cp;
      else if (cp < 0x800)
        {
          out[len++] = (unsigned char) (0xC0 + cp / 64);
          out[len++] = (unsigned char) (0x80 + cp % 64);
        }
      else if (cp < 0x10000)
        {
          out[len++] = (unsigned char) (0xE0 + cp / 4096);
          out[len++] = (unsigned char) (0x80 + cp / 64 % 64);
          out[len++] = (unsigned char) (0x80 + cp % 64);
        }
      else
        {
          out[len++] = (unsigned char) (0xF0 + cp / 262144);
          out[len++] = (unsigned char) (0x80 + cp / 4096 % 64);
          out[len++] = (unsigned char) (0x80 + cp / 64 % 64);
          out[len++] = (unsigned char) (0x80 + cp % 64);
        }
    }
  return (ptrdiff_t) len;
}

static void
check_utf8 (const uint8_t *data, size_t size, size_t short_cap)
{
  const char *s = (const char *) data;
  uint16_t *want = fuzz_xmalloc ((size + 1) * sizeof *want);
  ptrdiff_t n = ref_utf8_to_utf16 (data, size, want);

  FUZZ_ASSERT (sp_win32_utf8_valid (s, size) == (n >= 0));
  ptrdiff_t got_n = sp_win32_utf8_to_utf16 (s, size, NULL, 0);
  if (got_n != n)
    FUZZ_FAIL ("sp_win32_utf8_to_utf16 counts %ld units, reference %ld",
               (long) got_n, (long) n);
  if (n >= 0)
    {
      /* Exactly N units, for the sanitizers.  */
      uint16_t *got = fuzz_xmalloc ((size_t) n * sizeof *got);
      FUZZ_ASSERT (sp_win32_utf8_to_utf16 (s, size, got, (size_t) n) == n);
      FUZZ_ASSERT (memcmp (got, want, (size_t) n * sizeof *got) == 0);

      /* A short buffer: a prefix.  */
      size_t cap = (size_t) n ? short_cap % (size_t) n : 0;
      uint16_t *part = fuzz_xmalloc (cap * sizeof *part);
      FUZZ_ASSERT (sp_win32_utf8_to_utf16 (s, size, part, cap) == n);
      FUZZ_ASSERT (memcmp (part, want, cap * sizeof *part) == 0);
      free (part);

      /* And back.  */
      char *back = fuzz_xmalloc (size);
      FUZZ_ASSERT (sp_win32_utf16_to_utf8 (got, (size_t) n, back, size)
                   == (ptrdiff_t) size);
      FUZZ_ASSERT (memcmp (back, data, size) == 0);
      free (back);
      free (got);
    }

  /* The allocating form reads up to the first NUL.  */
  char *z = fuzz_xmalloc (size + 1);
  memcpy (z, data, size);
  z[size] = '\0';
  size_t zlen = strlen (z);
  ptrdiff_t zn = ref_utf8_to_utf16 (data, zlen, want);
  errno = 0;
  uint16_t *w = sp_win32_to_utf16 (z);
  if (zn < 0)
    FUZZ_ASSERT (w == NULL && errno == EILSEQ);
  else
    {
      FUZZ_ASSERT (w != NULL);
      FUZZ_ASSERT (memcmp (w, want, (size_t) zn * sizeof *w) == 0);
      FUZZ_ASSERT (w[zn] == 0);
      char *u = sp_win32_to_utf8 (w, (size_t) -1);
      FUZZ_ASSERT (u != NULL && strcmp (u, z) == 0);
      free (u);
      free (w);
    }
  free (z);
  free (want);
}

static void
check_utf16 (const uint8_t *data, size_t size, size_t short_cap)
{
  size_t n = size / 2;
  uint16_t *w = fuzz_xmalloc (n * sizeof *w);
  for (size_t i = 0; i < n; i++)
    w[i] = (uint16_t) (data[2 * i] | data[2 * i + 1] << 8);
  unsigned char *want = fuzz_xmalloc (3 * n + 1);
  ptrdiff_t len = ref_utf16_to_utf8 (w, n, want);

  ptrdiff_t got_len = sp_win32_utf16_to_utf8 (w, n, NULL, 0);
  if (got_len != len)
    FUZZ_FAIL ("sp_win32_utf16_to_utf8 counts %ld bytes, reference %ld",
               (long) got_len, (long) len);
  errno = 0;
  char *u = sp_win32_to_utf8 (w, n);
  if (len < 0)
    FUZZ_ASSERT (u == NULL && errno == EILSEQ);
  else
    {
      char *got = fuzz_xmalloc ((size_t) len);
      FUZZ_ASSERT (sp_win32_utf16_to_utf8 (w, n, got, (size_t) len) == len);
      FUZZ_ASSERT (memcmp (got, want, (size_t) len) == 0);
      size_t cap = (size_t) len ? short_cap % (size_t) len : 0;
      char *part = fuzz_xmalloc (cap);
      FUZZ_ASSERT (sp_win32_utf16_to_utf8 (w, n, part, cap) == len);
      FUZZ_ASSERT (memcmp (part, want, cap) == 0);
      free (part);

      /* The allocating form, NUL-terminated (the input may hold 0
         units: it is given a length).  */
      FUZZ_ASSERT (u != NULL);
      FUZZ_ASSERT (memcmp (u, want, (size_t) len) == 0 && u[len] == '\0');

      /* And back.  */
      uint16_t *back = fuzz_xmalloc (n * sizeof *back);
      FUZZ_ASSERT (sp_win32_utf8_to_utf16 (got, (size_t) len, back, n)
                   == (ptrdiff_t) n);
      FUZZ_ASSERT (memcmp (back, w, n * sizeof *back) == 0);
      free (back);
      free (got);
      free (u);
    }
  free (want);
  free (w);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  size_t short_cap = size ? data[0] : 0;
  check_utf8 (data, size, short_cap);
  check_utf16 (data, size, short_cap);
  return 0;
}
