/* winquote.c: fuzz target: Windows command lines split back into argv.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * sp_win32_quote_argv (src/win32/quote.c) must make a line that each
 * reference model of crt-model.c (the UCRT and msvcr90+ rules, the
 * msvcrt.dll rules, CommandLineToArgvW) splits back into exactly the
 * argv, or refuse argv[0] only when it holds a '"'.  A buffer too small
 * gets a NUL-terminated prefix and the full length.  The library's own
 * splitter (sp_win32_split_cmdline, used by the tests) must agree with
 * the UCRT model on any line.
 *
 * Input: split at NUL bytes, the argv (at most 64 strings); the same
 * bytes with NULs as blanks, a line for the splitter comparison.
 */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "crt-model.h"
#include "fuzz.h"
#include "../src/win32/win32.h"

static void
check_round_trip (const fuzz_strv_t *want, const char *line)
{
  fuzz_strv_t got[3];
  static const char *const names[3]
    = { "UCRT", "msvcrt.dll", "CommandLineToArgvW" };
  got[0] = model_crt_split (line, false);
  got[1] = model_crt_split (line, true);
  got[2] = model_cltaw_split (line);
  for (int m = 0; m < 3; m++)
    if (!fuzz_strv_equal (&got[m], want->v, want->n))
      {
        fuzz_print_escaped ("line", line, strlen (line));
        fuzz_strv_print ("argv", want->v, want->n);
        fuzz_strv_print (names[m], got[m].v, got[m].n);
        FUZZ_FAIL ("%s splits the line into another argv", names[m]);
      }
  for (int m = 0; m < 3; m++)
    fuzz_strv_free (&got[m]);
}

/* The line for ARGV through a buffer of CAP bytes must be a prefix of
   FULL (LEN bytes).  */
static void
check_truncated (char *const *argv, const char *full, size_t len, size_t cap)
{
  char *out = cap ? fuzz_xmalloc (cap) : NULL;
  size_t got_len = 0, bad = 0;
  enum sp_win32_quote_status st
    = sp_win32_quote_argv (argv, out, cap, &got_len, &bad);
  FUZZ_ASSERT (st == SP_WIN32_QUOTE_OK);
  FUZZ_ASSERT (got_len == len);
  if (cap > 0)
    {
      size_t kept = len < cap ? len : cap - 1;
      FUZZ_ASSERT (memcmp (out, full, kept) == 0);
      FUZZ_ASSERT (out[kept] == '\0');
    }
  free (out);
}

/* The library's splitter against the UCRT model, on any line.  */
static void
check_splitter (const char *line)
{
  fuzz_strv_t want = model_crt_split (line, false);
  size_t need = sp_win32_split_cmdline (line, NULL, 0);
  char *buf = fuzz_xmalloc (need);
  FUZZ_ASSERT (sp_win32_split_cmdline (line, buf, need) == need);
  size_t n = 0;
  for (size_t i = 0; i < need; i++)
    if (buf[i] == '\0')
      n++;
  char **got = fuzz_xmalloc ((n + 1) * sizeof *got);
  size_t k = 0;
  for (size_t i = 0; i < need; i += strlen (buf + i) + 1)
    got[k++] = buf + i;
  got[k] = NULL;
  if (!fuzz_strv_equal (&want, got, n))
    {
      fuzz_print_escaped ("line", line, strlen (line));
      fuzz_strv_print ("UCRT model", want.v, want.n);
      fuzz_strv_print ("sp_win32_split_cmdline", got, n);
      FUZZ_FAIL ("sp_win32_split_cmdline disagrees with the UCRT model");
    }
  free (got);
  free (buf);
  fuzz_strv_free (&want);
}

/* Can ARG0 not be argv[0]?  The C runtime reads argv[0] with no escapes,
   so it never holds a '"', and once quoted (empty, or with a blank) it
   cannot end in a backslash either: some runtimes read the closing
   '\\"' as an escaped quote.  */
static bool
argv0_refused (const char *arg0)
{
  size_t len = strlen (arg0);
  bool quoted = len == 0 || strpbrk (arg0, " \t\n\v") != NULL;
  return strchr (arg0, '"') != NULL
         || (quoted && len > 0 && arg0[len - 1] == '\\');
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  fuzz_strv_t argv = fuzz_split (data, size, 64);
  if (argv.n > 0)
    {
      size_t len = 0, bad = 0;
      enum sp_win32_quote_status st
        = sp_win32_quote_argv (argv.v, NULL, 0, &len, &bad);
      if (argv0_refused (argv.v[0]))
        FUZZ_ASSERT (st == SP_WIN32_QUOTE_ARGV0);
      else
        {
          FUZZ_ASSERT (st == SP_WIN32_QUOTE_OK);
          /* Exactly the bytes needed, so that the sanitizers see any
             write past them.  */
          char *line = fuzz_xmalloc (len + 1);
          size_t len2 = 0;
          st = sp_win32_quote_argv (argv.v, line, len + 1, &len2, &bad);
          FUZZ_ASSERT (st == SP_WIN32_QUOTE_OK && len2 == len);
          FUZZ_ASSERT (strlen (line) == len);
          check_round_trip (&argv, line);
          check_truncated (argv.v, line, len, size % (len + 1));
          free (line);
        }
    }
  fuzz_strv_free (&argv);

  char *line = fuzz_xmalloc (size + 1);
  for (size_t i = 0; i < size; i++)
    line[i] = data[i] ? (char) data[i] : ' ';
  line[size] = '\0';
  check_splitter (line);
  free (line);
  return 0;
}
