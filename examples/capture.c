/* capture.c: run a command and capture its output and its error output.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   capture PROGRAM [ARG]...
 *
 * Runs PROGRAM with its arguments (no shell involved), collects what it
 * writes on its standard output and on its standard error into two
 * separate strings, and prints both along with the exit status:
 *
 *   $ ./capture ls / /nonexistent
 *   exit status: 2
 *   output (N bytes):
 *   ...
 *   error output (M bytes):
 *   ls: cannot access '/nonexistent': No such file or directory
 *
 * The library reads both pipes at once, so a child that writes a lot on
 * one stream while the other is full cannot deadlock the parent, which
 * is the classic trap of reading stdout to the end before stderr.
 *
 * Exit status: the child's, or 125 if it could not be run or died
 * abnormally (of a signal on POSIX).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <subproc.h>

/* Print one captured stream under a title, ending it with a newline if
   the child did not.  */
static void
print_stream (const char *title, const char *text)
{
  size_t len = strlen (text);

  printf ("%s (%zu bytes):\n%s", title, len, text);
  if (len > 0 && text[len - 1] != '\n')
    putchar ('\n');
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    {
      fprintf (stderr, "usage: %s PROGRAM [ARG]...\n", argv[0]);
      return 125;
    }

  /* argv + 1 is already a NULL-terminated vector: program, arguments.
     The result of subproc_new_args need not be checked: if memory ran
     out it is NULL, and subproc_run reports that.  */
  subproc_t *cmd = subproc_new_args ((const char *const *) argv + 1);

  /* Each pointer is set to NULL at once and, after a run that started
     the child, to a malloc'ed NUL-terminated string that outlives the
     command.  Passing the same pointer twice would interleave both
     streams into one string instead.  */
  char *out = NULL;
  char *err = NULL;
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);

  /* With a status pointer, a non-zero exit is not an error: the caller
     looks at the status itself.  Only a failure to run, or a death by a
     signal, makes subproc_run return -1.  */
  int status = 0;
  int ret = subproc_run (cmd, &status);
  if (ret < 0)
    {
      /* The message names the command and the reason, for instance
         "cannot run 'nosuch': program not found".  */
      fprintf (stderr, "capture: %s\n", subproc_get_error (cmd)->message);
      status = 125;
    }
  else
    printf ("exit status: %d\n", status);

  /* After a failed run, the buffers hold whatever was collected (or are
     still NULL if the child never started).  */
  if (out)
    print_stream ("output", out);
  if (err)
    print_stream ("error output", err);

  /* The buffers belong to the caller, not to the command.  */
  free (out);
  free (err);
  subproc_free (cmd);
  return status;
}
