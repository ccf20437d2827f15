/* timeout.c: run a command with a time limit, like timeout(1).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   timeout MILLISECONDS PROGRAM [ARG]...
 *
 * Runs PROGRAM and waits for it at most MILLISECONDS.  Past that, the
 * library terminates it (SIGTERM, then SIGKILL after a grace period of
 * half a second; on Windows its job object is terminated), reaps it, and
 * reports SUBPROC_ERR_TIMEOUT:
 *
 *   $ ./timeout 500 sleep 10
 *   timeout: 'sleep' did not finish within 500 ms and was stopped
 *   $ echo $?
 *   124
 *
 * The command runs in a process group of its own, so that the signal
 * reaches whatever it started too (a shell script and its children, for
 * instance), not only the process the library started.
 *
 * Exit status: 124 if the time ran out, 125 if the command could not be
 * run, 128 + N if it died of signal N, else its own exit status: the
 * conventions of timeout(1).
 */

#include <stdio.h>
#include <stdlib.h>
#ifndef _WIN32
# include <sys/wait.h>
#endif

#include <subproc.h>

int
main (int argc, char **argv)
{
  if (argc < 3)
    {
      fprintf (stderr, "usage: %s MILLISECONDS PROGRAM [ARG]...\n", argv[0]);
      return 125;
    }
  char *end;
  unsigned long ms = strtoul (argv[1], &end, 10);
  if (*argv[1] == '\0' || *end != '\0' || ms == 0 || ms > 86400000)
    {
      fprintf (stderr, "%s: invalid time limit: %s\n", argv[0], argv[1]);
      return 125;
    }

  subproc_t *cmd = subproc_new_args ((const char *const *) argv + 2);
  subproc_set_timeout (cmd, (unsigned int) ms);
  subproc_new_process_group (cmd);

  /* The standard streams are put on the null device unless redirected.
     A command-line tool wants the child to talk to the user: give it
     ours.  The caller keeps these descriptors.  */
  int out_fd = 1;
  int err_fd = 2;
  subproc_set_input_fd (cmd, 0);
  subproc_set_output_fd (cmd, &out_fd);
  subproc_set_error_fd (cmd, &err_fd);

  /* Ask for the raw status, to tell a signal from an exit ourselves.  */
  subproc_raw_status (cmd);

  int status = 0;
  int ret = subproc_run (cmd, &status);
  if (ret < 0)
    {
      const subproc_error_t *err = subproc_get_error (cmd);
      fprintf (stderr, "timeout: %s\n", err->message);
      ret = err->code == SUBPROC_ERR_TIMEOUT ? 124 : 125;
    }
  else
    {
#ifdef _WIN32
      /* The raw status is the process exit code.  */
      ret = status;
#else
      /* The raw status is a wait status, as from waitpid.  */
      if (WIFEXITED (status))
        ret = WEXITSTATUS (status);
      else if (WIFSIGNALED (status))
        ret = 128 + WTERMSIG (status);
      else
        ret = 125;
#endif
    }

  subproc_free (cmd);
  return ret;
}
