/* parallel.c: run a list of commands, a few at a time.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   parallel [-j JOBS] [-v] PROGRAM [ARG]... [';' PROGRAM [ARG]...]...
 *
 * Runs the commands, separated by ';' words (quoted, for the shell), at
 * most JOBS at a time (4 by default), all from the calling thread:
 * subproc_poll drives every running command (collects its output,
 * notices its end) and says which ones are over, and the next command
 * takes the place of each.  A command's output and error output are
 * collected together into one buffer and printed whole when it ends,
 * so the outputs of commands that run at the same time never mix:
 *
 *   $ ./parallel -j 2 sh -c 'sleep 1; echo slow' \; echo fast \; false
 *   job 2: exit status 0
 *   fast
 *   job 3: exit status 1
 *   job 1: exit status 0
 *   slow
 *
 * With -v, a line "job N started: COMMAND" says when each one starts.
 *
 * No thread is started for this, neither by the program nor by the
 * library: the buffers of a command started with subproc_run_async
 * are filled by whichever call drives it, here subproc_poll.
 *
 * Exit status: the worst of the commands' exit statuses (the highest),
 * 125 if one could not be run or died abnormally, 125 for a usage
 * error.
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <subproc.h>

/* One command of the list.  */
typedef struct job
{
  char **argv;    /* program and arguments, NULL-terminated */
  subproc_t *cmd; /* while it runs */
  char *out;      /* its output and error output, interleaved */
  size_t out_len;
  size_t err_len; /* the same length again (one shared buffer) */
} job_t;

static void
usage (const char *prog)
{
  fprintf (stderr,
           "usage: %s [-j JOBS] [-v] PROGRAM [ARG]... "
           "[';' PROGRAM [ARG]...]...\n",
           prog);
}

/* Split ARGV, from index FIRST on, into commands at each ";" word
   (which becomes the NULL that ends the command before it).  Stores
   the commands in a new array in *JOBS and returns their number, or 0
   for an empty command or no memory.  */
static size_t
split_commands (char **argv, int first, int argc, job_t **jobs)
{
  size_t n = 1;
  for (int i = first; i < argc; i++)
    if (strcmp (argv[i], ";") == 0)
      n++;
  *jobs = calloc (n, sizeof **jobs);
  if (!*jobs)
    return 0;

  size_t j = 0;
  (*jobs)[0].argv = argv + first;
  for (int i = first; i <= argc; i++)
    if (i == argc || strcmp (argv[i], ";") == 0)
      {
        argv[i] = NULL;
        if (!(*jobs)[j].argv[0])
          return 0; /* nothing between two separators */
        if (i < argc)
          (*jobs)[++j].argv = argv + i + 1;
      }
  return n;
}

/* Start JOB (number NUMBER, counted from 1).  Returns true if it runs;
   otherwise the failure has been printed and *WORST updated.  */
static bool
start_job (job_t *job, size_t number, bool verbose, int *worst)
{
  /* No error check: a command that could not be made, or a builder
     error, is reported by subproc_run_async.  */
  job->cmd = subproc_new_args ((const char *const *) job->argv);

  /* The same buffer for both streams: they are collected in the order
     the child wrote them.  The byte forms keep NUL bytes too.  */
  subproc_set_output_bytes (job->cmd, &job->out, &job->out_len);
  subproc_set_error_bytes (job->cmd, &job->out, &job->err_len);

  /* Buffers need no subproc_do_async_io here: the loop's subproc_poll
     runs their I/O.  A NULL pid lets the command own the child, so
     that subproc_free would stop and reap it on any path.  */
  if (subproc_run_async (job->cmd, NULL) < 0)
    {
      printf ("job %zu: %s\n", number, subproc_get_error (job->cmd)->message);
      fflush (stdout);
      subproc_free (job->cmd);
      job->cmd = NULL;
      free (job->out);
      job->out = NULL;
      if (*worst < 125)
        *worst = 125;
      return false;
    }
  if (verbose)
    {
      char *line = subproc_to_string (job->cmd);
      printf ("job %zu started: %s\n", number, line ? line : job->argv[0]);
      fflush (stdout);
      free (line);
    }
  return true;
}

/* JOB is over: collect it, print its status and its output whole, and
   release it.  */
static void
finish_job (job_t *job, size_t number, int *worst)
{
  /* The run is over, so subproc_wait does not block: it reaps the
     child and hands the buffer over.  With a status pointer, a non-zero
     exit is a status, not an error.  */
  int status = 0;
  if (subproc_wait (job->cmd, &status) < 0)
    {
      printf ("job %zu: %s\n", number, subproc_get_error (job->cmd)->message);
      status = 125;
    }
  else
    printf ("job %zu: exit status %d\n", number, status);
  if (status > *worst)
    *worst = status;

  if (job->out && job->out_len > 0)
    {
      fwrite (job->out, 1, job->out_len, stdout);
      if (job->out[job->out_len - 1] != '\n')
        putchar ('\n');
    }
  fflush (stdout);

  free (job->out);
  job->out = NULL;
  subproc_free (job->cmd);
  job->cmd = NULL;
}

int
main (int argc, char **argv)
{
  size_t max_running = 4;
  bool verbose = false;
  int first = 1;

  while (first < argc && argv[first][0] == '-')
    {
      if (strcmp (argv[first], "-v") == 0)
        {
          verbose = true;
          first++;
        }
      else if (strcmp (argv[first], "-j") == 0 && first + 1 < argc)
        {
          char *end;
          unsigned long n = strtoul (argv[first + 1], &end, 10);
          if (*argv[first + 1] == '\0' || *end != '\0' || n == 0 || n > 1024)
            {
              fprintf (stderr, "%s: invalid number of jobs: %s\n", argv[0],
                       argv[first + 1]);
              return 125;
            }
          max_running = n;
          first += 2;
        }
      else
        break;
    }
  if (first >= argc)
    {
      usage (argv[0]);
      return 125;
    }

  job_t *jobs;
  size_t njobs = split_commands (argv, first, argc, &jobs);
  if (njobs == 0)
    {
      usage (argv[0]);
      free (jobs);
      return 125;
    }
  if (max_running > njobs)
    max_running = njobs;

  /* The commands that run, in slots: subproc_poll skips the NULL
     entries, the slots that wait for a command.  */
  subproc_t **slots = calloc (max_running, sizeof *slots);
  size_t *slot_job = calloc (max_running, sizeof *slot_job);
  size_t *ended = calloc (max_running, sizeof *ended);
  if (!slots || !slot_job || !ended)
    {
      fprintf (stderr, "%s: out of memory\n", argv[0]);
      return 125;
    }

  int worst = 0;
  size_t next = 0;
  size_t running = 0;
  for (;;)
    {
      /* Fill the free slots, going on to the next command when one
         cannot be started.  */
      for (size_t s = 0; s < max_running; s++)
        while (!slots[s] && next < njobs)
          {
            size_t j = next++;
            if (start_job (&jobs[j], j + 1, verbose, &worst))
              {
                slots[s] = jobs[j].cmd;
                slot_job[s] = j;
                running++;
              }
          }
      if (running == 0)
        break;

      /* Drive them all until at least one run is over: no limit on the
         time, since each command's own timeout, if it had one, would be
         applied in here too.  */
      int n = subproc_poll (slots, max_running, -1, ended);
      if (n < 0)
        {
          /* Out of memory, or a system failure: give up.  subproc_free
             stops and reaps what still runs.  */
          fprintf (stderr, "%s: %s\n", argv[0],
                   subproc_last_error ()->message);
          for (size_t s = 0; s < max_running; s++)
            if (slots[s])
              {
                subproc_free (slots[s]);
                free (jobs[slot_job[s]].out);
              }
          if (worst < 125)
            worst = 125;
          break;
        }
      for (int i = 0; i < n; i++)
        {
          size_t s = ended[i];
          finish_job (&jobs[slot_job[s]], slot_job[s] + 1, &worst);
          slots[s] = NULL;
          running--;
        }
    }

  free (ended);
  free (slot_job);
  free (slots);
  free (jobs);
  return worst;
}
