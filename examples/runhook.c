/* runhook.c: the complete example of libvirt's guide to spawning commands,
 * ported to libsubproc.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Runs the hook program HOOKDIR/DRIVER with four arguments, a clean
 * environment and a formatted document on its standard input, as
 * libvirt's src/util/hooks.c does.  Beyond the guide's example, it
 * captures the hook's output and prints it, so that the example shows its
 * result.
 *
 *   runhook HOOKDIR DRIVER ID OP SUBOP EXTRA
 */

#include <stdio.h>
#include <stdlib.h>

#include <subproc.h>

static int
runhook (const char *hookdir, const char *drvstr, const char *id,
         const char *opstr, const char *subopstr, const char *extra,
         const char *input, char **output)
{
  char path[4096];

  if (snprintf (path, sizeof path, "%s/%s", hookdir, drvstr)
      >= (int) sizeof path)
    {
      fprintf (stderr, "Failed to build path for %s hook\n", drvstr);
      return -1;
    }

  /* No error checking until the run: it reports everything.  */
  subproc_t *cmd = subproc_new (path);
  subproc_add_env_pass_common (cmd);
  subproc_add_arg_list (cmd, id, opstr, subopstr, extra, NULL);
  subproc_set_input_buffer (cmd, input);
  subproc_set_output_buffer (cmd, output);

  int ret = subproc_run (cmd, NULL);
  if (ret < 0)
    fprintf (stderr, "runhook: %s\n", subproc_get_error (cmd)->message);
  subproc_free (cmd);
  return ret;
}

int
main (int argc, char **argv)
{
  if (argc != 7)
    {
      fprintf (stderr, "usage: %s HOOKDIR DRIVER ID OP SUBOP EXTRA\n",
               argv[0]);
      return 2;
    }
  char input[256];
  snprintf (input, sizeof input, "<domain><name>%s</name></domain>\n",
            argv[3]);

  char *output = NULL;
  int ret = runhook (argv[1], argv[2], argv[3], argv[4], argv[5], argv[6],
                     input, &output);
  if (output)
    fputs (output, stdout);
  free (output);
  return ret < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
