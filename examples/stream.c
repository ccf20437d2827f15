/* stream.c: run several commands at once, their output line by line.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   stream [-j JOBS] [-l LINES] NAME PROGRAM [ARG]...
 *          [';' NAME PROGRAM [ARG]...]...
 *
 * Runs the commands, separated by ';' words (quoted, for the shell), at
 * most JOBS at a time (4 by default), and prints every line each one
 * writes as soon as the line is complete, prefixed with the command's
 * NAME: its output on our standard output, its error output on our
 * standard error.  Lines of different commands never mix, whatever
 * each writes in how many pieces:
 *
 *   $ ./stream slow sh -c 'echo a; sleep 1; echo b' \; fast echo c
 *   slow: a
 *   fast: c
 *   fast exited with status 0
 *   slow: b
 *   slow exited with status 0
 *
 * The library splits the output into lines (SUBPROC_SINK_LINES) and
 * calls a function of the program's, a sink, with each; no buffer holds
 * more than a line.  A line longer than SUBPROC_SINK_LINE_MAX comes in
 * pieces, printed here as one line again.  With -l, a command that has
 * written LINES lines (counting each such piece) is stopped by its sink,
 * as head(1) would stop it: the sink's non-zero return makes the
 * library stop the child and fail the run.
 *
 * Exit status: the worst of the commands' exit statuses (the highest),
 * 125 if one could not be run, died abnormally or was stopped, 125 for
 * a usage error.
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <subproc.h>

/* One command of the list.  */
typedef struct job
{
  const char *name;
  char **argv;             /* program and arguments, NULL-terminated */
  subproc_t *cmd;          /* while it runs */
  unsigned long lines;     /* what its sinks printed */
  unsigned long max_lines; /* 0: no limit */
  bool mid_line[3];        /* per stream (1, 2): the last piece ended no
                              line, so the next one goes on with it */
} job_t;

/* Per stream of ours (1, 2): the job whose line is open there.  */
static job_t *open_line[3];

static void
usage (const char *prog)
{
  fprintf (stderr,
           "usage: %s [-j JOBS] [-l LINES] NAME PROGRAM [ARG]... "
           "[';' NAME PROGRAM [ARG]...]...\n",
           prog);
}

/* The sink of both streams of a job: called by the library, on the
   thread that drives the command (here in subproc_poll), with one whole
   line, its '\n' included, or with a piece of a longer line, or with
   the last line of the stream, which may have no '\n'.  DATA is not
   NUL-terminated and may hold NUL bytes.  */
static int
print_line (void *opaque, int stream, const char *data, size_t len)
{
  job_t *job = opaque;
  FILE *to = stream == 2 ? stderr : stdout;

  if (len == 0)
    return 0;
  /* Another command's line left open, a long one that comes in pieces:
     end it here, its next piece gets a prefix of its own.  */
  if (open_line[stream] && open_line[stream] != job)
    {
      fputc ('\n', to);
      open_line[stream]->mid_line[stream] = false;
    }
  if (!job->mid_line[stream])
    fprintf (to, "%s: ", job->name);
  fwrite (data, 1, len, to);

  /* A piece of a long line is SUBPROC_SINK_LINE_MAX bytes without a
     '\n'; a shorter one without it is the last line of the stream, which
     the child did not end.  */
  job->mid_line[stream] = data[len - 1] != '\n';
  if (job->mid_line[stream] && len < SUBPROC_SINK_LINE_MAX)
    {
      fputc ('\n', to);
      job->mid_line[stream] = false;
    }
  open_line[stream] = job->mid_line[stream] ? job : NULL;

  /* Any value but 0 stops the child; the run then fails with
     SUBPROC_ERR_IO, naming the stream and this value.  */
  job->lines++;
  if (job->max_lines > 0 && job->lines >= job->max_lines)
    return 1;
  return 0;
}

/* End the line a job left open on each stream, so that what is
   printed next (how a job ended, why it could not start) starts a line
   of its own; that job's next piece then gets its prefix again.  */
static void
end_open_lines (void)
{
  for (int stream = 1; stream <= 2; stream++)
    if (open_line[stream])
      {
        fputc ('\n', stream == 2 ? stderr : stdout);
        open_line[stream]->mid_line[stream] = false;
        open_line[stream] = NULL;
      }
}

/* Split ARGV, from index FIRST on, into commands at each ";" word
   (which becomes the NULL that ends the command before it), each
   NAME PROGRAM [ARG]....  Stores them in a new array in *JOBS and
   returns their number, or 0 for a command without a program, or no
   memory.  */
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
  int start = first;
  for (int i = first; i <= argc; i++)
    if (i == argc || strcmp (argv[i], ";") == 0)
      {
        if (i - start < 2)
          return 0; /* a NAME and a PROGRAM at least */
        argv[i] = NULL;
        (*jobs)[j].name = argv[start];
        (*jobs)[j].argv = argv + start + 1;
        j++;
        start = i + 1;
      }
  return n;
}

/* Start JOB.  Returns true if it runs; otherwise the failure has been
   printed and *WORST updated.  */
static bool
start_job (job_t *job, int *worst)
{
  job->cmd = subproc_new_args ((const char *const *) job->argv);

  /* Lines, not chunks as they are read.  The sink takes the place of
     a buffer: nothing is kept once it has been called.  */
  subproc_set_output_sink (job->cmd, print_line, job, SUBPROC_SINK_LINES);
  subproc_set_error_sink (job->cmd, print_line, job, SUBPROC_SINK_LINES);

  if (subproc_run_async (job->cmd, NULL) < 0)
    {
      end_open_lines ();
      printf ("%s: %s\n", job->name, subproc_get_error (job->cmd)->message);
      fflush (stdout);
      subproc_free (job->cmd);
      job->cmd = NULL;
      if (*worst < 125)
        *worst = 125;
      return false;
    }
  return true;
}

/* JOB is over: collect it, print how it ended, release it.  */
static void
finish_job (job_t *job, int *worst)
{
  /* A line left open, this job's own last one or another's piece of a
     long line, ends before the report of how the job ended.  */
  end_open_lines ();

  int status = 0;
  if (subproc_wait (job->cmd, &status) < 0)
    {
      /* The run failed: the child died of a signal, or a sink stopped
         it (SUBPROC_ERR_IO, the message naming the stream and what the
         sink returned).  */
      printf ("%s failed: %s\n", job->name,
              subproc_get_error (job->cmd)->message);
      status = 125;
    }
  else
    printf ("%s exited with status %d\n", job->name, status);
  fflush (stdout);
  if (status > *worst)
    *worst = status;

  subproc_free (job->cmd);
  job->cmd = NULL;
}

/* A positive number option's value, or 0 if it is not one.  */
static unsigned long
parse_count (const char *prog, const char *what, const char *arg)
{
  char *end;
  unsigned long n = strtoul (arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || n == 0 || n > 1000000)
    {
      fprintf (stderr, "%s: invalid %s: %s\n", prog, what, arg);
      return 0;
    }
  return n;
}

int
main (int argc, char **argv)
{
  size_t max_running = 4;
  unsigned long max_lines = 0;
  int first = 1;

  while (first + 1 < argc && argv[first][0] == '-')
    {
      unsigned long n;
      if (strcmp (argv[first], "-j") == 0)
        {
          if (!(n = parse_count (argv[0], "number of jobs", argv[first + 1])))
            return 125;
          max_running = n;
        }
      else if (strcmp (argv[first], "-l") == 0)
        {
          if (!(n = parse_count (argv[0], "number of lines", argv[first + 1])))
            return 125;
          max_lines = n;
        }
      else
        break;
      first += 2;
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
  for (size_t j = 0; j < njobs; j++)
    jobs[j].max_lines = max_lines;
  if (max_running > njobs)
    max_running = njobs;

  /* The running commands, in slots; subproc_poll skips NULL entries.  */
  subproc_t **slots = calloc (max_running, sizeof *slots);
  job_t **slot_job = calloc (max_running, sizeof *slot_job);
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
      for (size_t s = 0; s < max_running; s++)
        while (!slots[s] && next < njobs)
          {
            job_t *job = &jobs[next++];
            if (start_job (job, &worst))
              {
                slots[s] = job->cmd;
                slot_job[s] = job;
                running++;
              }
          }
      if (running == 0)
        break;

      /* The sinks are called from in here, as the lines arrive.  */
      int n = subproc_poll (slots, max_running, -1, ended);
      if (n < 0)
        {
          fprintf (stderr, "%s: %s\n", argv[0],
                   subproc_last_error ()->message);
          for (size_t s = 0; s < max_running; s++)
            subproc_free (slots[s]);
          if (worst < 125)
            worst = 125;
          break;
        }
      for (int i = 0; i < n; i++)
        {
          size_t s = ended[i];
          finish_job (slot_job[s], &worst);
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
