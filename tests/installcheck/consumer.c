/* consumer.c: a program of a user's, built against the installed library.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * make installcheck compiles this file outside the build tree with the
 * flags that "pkg-config --cflags --libs libsubproc" gives for the
 * installed libsubproc.pc, links it against the installed shared library
 * (the DLL and its import library on Windows), and runs it:
 *
 *   consumer SELF     SELF: this program's own path, to spawn as a child
 *   consumer child    the child: upper-cases stdin onto stdout, exit 3
 *
 * It checks that the header and the loaded library agree on the version,
 * runs a real child with an input buffer and captured output, and runs a
 * command in dry-run mode.  It prints "consumer: ok" and exits 0 when all
 * went well.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <subproc.h>

#ifdef _WIN32
# include <fcntl.h>
# include <io.h>
#endif

static int
fail (const char *what, const char *detail)
{
  fprintf (stderr, "consumer: %s%s%s\n", what, detail ? ": " : "",
           detail ? detail : "");
  return EXIT_FAILURE;
}

static int
child (void)
{
  int c;

#ifdef _WIN32
  _setmode (0, _O_BINARY);
  _setmode (1, _O_BINARY);
#endif
  while ((c = getchar ()) != EOF)
    putchar (toupper (c));
  return 3;
}

static void
fake (subproc_dry_run_io_t *io, void *opaque)
{
  (void) opaque;
  io->output = "faked\n";
  io->status = 0;
}

int
main (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], "child") == 0)
    return child ();
  if (argc != 2)
    return fail ("usage: consumer SELF", NULL);

  if (strcmp (subproc_version (), SUBPROC_VERSION_STRING) != 0)
    return fail ("header and library versions differ", subproc_version ());

  /* A real child: this program again.  */
  char *out = NULL;
  int status = -1;
  subproc_t *cmd = subproc_new_arg_list (argv[1], "child", NULL);
  subproc_set_input_buffer (cmd, "hello, library\n");
  subproc_set_output_buffer (cmd, &out);
  if (subproc_run (cmd, &status) < 0)
    return fail ("run", subproc_get_error (cmd)->message);
  subproc_free (cmd);
  if (status != 3 || out == NULL || strcmp (out, "HELLO, LIBRARY\n") != 0)
    return fail ("unexpected child result", out);
  free (out);

  /* A dry run: nothing is started.  */
  if (subproc_dry_run_begin (fake, NULL) < 0)
    return fail ("dry run", subproc_last_error ()->message);
  cmd = subproc_new_arg_list ("no-such-program", "a b", NULL);
  subproc_set_output_buffer (cmd, &out);
  int ret = subproc_run (cmd, NULL);
  subproc_free (cmd);
  char *log = subproc_dry_run_end ();
  if (ret < 0 || out == NULL || strcmp (out, "faked\n") != 0 || log == NULL
      || strcmp (log, "no-such-program 'a b'\n") != 0)
    return fail ("unexpected dry-run result", log);
  free (out);
  free (log);

  /* Errors have names.  */
  if (strcmp (subproc_error_name (SUBPROC_ERR_TIMEOUT),
              "SUBPROC_ERR_TIMEOUT") != 0)
    return fail ("subproc_error_name", NULL);

  printf ("consumer: ok (libsubproc %s)\n", subproc_version ());
  return EXIT_SUCCESS;
}
