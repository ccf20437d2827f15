/* dryrun-test.c: unit-test code that runs commands, without running them.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   dryrun-test
 *
 * The first half of this file is "application code": two functions that
 * run programs through libsubproc (du, to measure a directory, and tar,
 * to archive it).  The second half is its unit test.  In dry-run mode
 * the library starts nothing: every subproc_run logs the command line
 * and asks a function of the test's for the output and status to fake.
 * So the test needs neither du nor tar, touches no file, runs the same
 * on every platform, and can check the exact command lines and how the
 * code copes with a failing program.
 *
 * Exit status: 0 if every check passed, 1 otherwise.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <subproc.h>

/* ------------------------------------------------------------------ */
/* The application code under test.                                   */

/* Store in *KB the disk usage of PATH in KiB, as du -sk reports it.
   Returns 0, or -1 after printing why.  */
static int
disk_usage_kb (const char *path, long *kb)
{
  char *out = NULL;
  char *err = NULL;
  int ret = -1;

  subproc_t *cmd = subproc_new_arg_list ("du", "-sk", "--", path, NULL);
  /* The output is parsed: no translated messages, no locale's digits.
     This makes the environment custom, so LC_ALL is the only variable
     du gets.  */
  subproc_add_env_pair (cmd, "LC_ALL", "C");
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);
  if (subproc_run (cmd, NULL) < 0)
    fprintf (stderr, "disk usage: %s\n", subproc_get_error (cmd)->message);
  else
    {
      char *end;
      errno = 0;
      *kb = strtol (out, &end, 10);
      if (errno == 0 && end != out && (*end == '\t' || *end == ' '))
        ret = 0;
      else
        fprintf (stderr, "disk usage: unexpected output from du: %s\n",
                 out);
    }
  free (out);
  free (err);
  subproc_free (cmd);
  return ret;
}

/* Archive DIR into the compressed tarball DEST, leaving out the files
   that match EXCLUDE (NULL: none).  Returns 0 or -1.  */
static int
archive (const char *dir, const char *dest, const char *exclude)
{
  /* tar runs gzip through PATH: it inherits the whole environment.  */
  subproc_t *cmd = subproc_new ("tar");
  subproc_add_arg_list (cmd, "-czf", dest, "-C", dir, NULL);
  if (exclude)
    subproc_add_arg_pair (cmd, "--exclude", exclude);
  subproc_add_arg (cmd, ".");
  int ret = subproc_run (cmd, NULL);
  if (ret < 0)
    fprintf (stderr, "archive: %s\n", subproc_get_error (cmd)->message);
  subproc_free (cmd);
  return ret;
}

/* ------------------------------------------------------------------ */
/* The unit test.                                                     */

static int failures;

#define CHECK(cond)                                                        \
  do                                                                       \
    {                                                                      \
      if (!(cond))                                                         \
        {                                                                  \
          fprintf (stderr, "%s:%d: check failed: %s\n", __FILE__,          \
                   __LINE__, #cond);                                       \
          failures++;                                                      \
        }                                                                  \
    }                                                                      \
  while (0)

/* Stands in for every program the code runs.  IO->args is the argument
   vector the real program would get, program first; IO->env the
   environment it would get (NULL: the parent's).  */
static void
fake_programs (subproc_dry_run_io_t *io, void *opaque)
{
  int *runs = opaque;
  (*runs)++;

  if (strcmp (io->args[0], "du") == 0)
    {
      if (strcmp (io->args[3], "/srv/missing") == 0)
        {
          io->error = "du: cannot access '/srv/missing': No such file\n";
          io->status = 1;
        }
      else if (strcmp (io->args[3], "/srv/odd") == 0)
        io->output = "garbage\n";
      else
        io->output = "1234\t/srv/data\n";
    }
  /* tar: nothing to say, status 0.  */
}

int
main (void)
{
  int runs = 0;
  long kb = 0;

  if (subproc_dry_run_begin (fake_programs, &runs) < 0)
    {
      fprintf (stderr, "dry run: %s\n", subproc_last_error ()->message);
      return EXIT_FAILURE;
    }

  /* The output is parsed.  */
  CHECK (disk_usage_kb ("/srv/data", &kb) == 0);
  CHECK (kb == 1234);

  /* A failing program is an error, and its error output is in the
     message the code printed (on stderr, in the test log).  */
  CHECK (disk_usage_kb ("/srv/missing", &kb) == -1);
  const subproc_error_t *err = subproc_last_error ();
  CHECK (err != NULL && err->code == SUBPROC_ERR_EXIT_STATUS);
  CHECK (err != NULL && strstr (err->message, "No such file") != NULL);

  /* Unexpected output is caught.  */
  CHECK (disk_usage_kb ("/srv/odd", &kb) == -1);

  /* An argument with a space or a quote stays one argument: the log
     shows it quoted for a shell, as subproc_to_string does.  */
  CHECK (archive ("/srv/my data", "/backup/a.tgz", "*.o") == 0);
  CHECK (archive ("/srv/data", "/backup/b.tgz", NULL) == 0);

  char *log = subproc_dry_run_end ();
  const char *expected =
    "LC_ALL=C du -sk -- /srv/data\n"
    "LC_ALL=C du -sk -- /srv/missing\n"
    "LC_ALL=C du -sk -- /srv/odd\n"
    "tar -czf /backup/a.tgz -C '/srv/my data' '--exclude=*.o' .\n"
    "tar -czf /backup/b.tgz -C /srv/data .\n";
  CHECK (log != NULL);
  CHECK (runs == 5);
  if (log && strcmp (log, expected) != 0)
    {
      fprintf (stderr, "log:\n%sexpected:\n%s", log, expected);
      failures++;
    }
  free (log);

  /* Out of dry-run mode, runs are real again.  */
  CHECK (subproc_dry_run_end () == NULL);

  if (failures)
    {
      fprintf (stderr, "%d check(s) failed\n", failures);
      return EXIT_FAILURE;
    }
  printf ("all checks passed\n");
  return EXIT_SUCCESS;
}
