/* replay.c: run a fuzz target over its committed corpus, without libFuzzer.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Built with a target (FUZZ_NAME is its name) by the normal compiler,
 * this is a test for make check: it feeds every file of the directories
 * or files given as arguments, or by default of
 * $SUBPROC_TEST_SRCDIR/../fuzz/corpus/FUZZ_NAME, to the target.  A
 * mismatch aborts (FUZZ_FAIL); an empty corpus is a failure too, so that
 * a test that feeds nothing cannot pass.
 */

#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#ifndef FUZZ_NAME
# error "FUZZ_NAME must name the target"
#endif

static unsigned long files_fed;

static void
feed_file (const char *path)
{
  FILE *f = fopen (path, "rb");
  if (f == NULL)
    FUZZ_FAIL ("cannot open %s: %s", path, strerror (errno));
  size_t cap = 4096, len = 0;
  unsigned char *data = fuzz_xmalloc (cap);
  size_t got;
  while ((got = fread (data + len, 1, cap - len, f)) > 0)
    {
      len += got;
      if (len == cap)
        {
          cap *= 2;
          unsigned char *bigger = realloc (data, cap);
          if (bigger == NULL)
            FUZZ_FAIL ("out of memory reading %s", path);
          data = bigger;
        }
    }
  if (ferror (f))
    FUZZ_FAIL ("cannot read %s", path);
  fclose (f);
  /* Hand the target exactly LEN bytes, as libFuzzer does.  */
  unsigned char *exact = fuzz_xmalloc (len);
  if (len > 0)
    memcpy (exact, data, len);
  free (data);
  LLVMFuzzerTestOneInput (exact, len);
  free (exact);
  files_fed++;
}

static void
feed (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    FUZZ_FAIL ("cannot stat %s: %s", path, strerror (errno));
  if (!S_ISDIR (st.st_mode))
    {
      feed_file (path);
      return;
    }
  DIR *dir = opendir (path);
  if (dir == NULL)
    FUZZ_FAIL ("cannot open directory %s: %s", path, strerror (errno));
  struct dirent *e;
  while ((e = readdir (dir)) != NULL)
    {
      if (e->d_name[0] == '.')
        continue;
      size_t n = strlen (path) + strlen (e->d_name) + 2;
      char *child = fuzz_xmalloc (n);
      snprintf (child, n, "%s/%s", path, e->d_name);
      feed (child);
      free (child);
    }
  closedir (dir);
}

int
main (int argc, char **argv)
{
  if (argc > 1)
    for (int i = 1; i < argc; i++)
      feed (argv[i]);
  else
    {
      const char *srcdir = getenv ("SUBPROC_TEST_SRCDIR");
      if (srcdir == NULL)
        FUZZ_FAIL ("SUBPROC_TEST_SRCDIR is not set and no corpus given");
      size_t n = strlen (srcdir) + sizeof "/../fuzz/corpus/" FUZZ_NAME;
      char *dir = fuzz_xmalloc (n);
      snprintf (dir, n, "%s/../fuzz/corpus/%s", srcdir, FUZZ_NAME);
      feed (dir);
      free (dir);
    }
  if (files_fed == 0)
    FUZZ_FAIL ("no input fed to %s", FUZZ_NAME);
  printf ("%s: %lu inputs replayed\n", FUZZ_NAME, files_fed);
  return 0;
}
