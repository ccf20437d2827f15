/* glib-loop.c: run commands from a GLib main loop.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   glib-loop [-t MS] PROGRAM [ARG]... [';' PROGRAM [ARG]...]...
 *
 * Runs all the commands, separated by ';' words (quoted, for the
 * shell), at once from a GLib main loop, and prints each line they
 * write as it comes, prefixed with the command's number: output on our
 * standard output, error output on our standard error.  With -t, a
 * command that takes more than MS milliseconds is stopped.
 *
 *   $ ./glib-loop sh -c 'echo a; sleep 1; echo b' \; echo c
 *   1: a
 *   2: c
 *   2: exit status 0
 *   1: b
 *   1: exit status 0
 *
 * Each command is a GSource of its own.  Its descriptors are those that
 * subproc_get_watches names (g_source_add_unix_fd), and its ready time
 * the longest the loop may wait for it (g_source_set_ready_time); GLib
 * dispatches it when one of them is ready or the time has come, and the
 * dispatch calls subproc_advance, which moves what can be moved, calls
 * the sinks with the lines, applies the timeout, and says whether the
 * run is over.  If it is not, the source takes the new watches in place
 * of the old: they change as the run goes on.  The loop could be
 * serving a user interface or sockets at the same time.
 *
 * POSIX only: on Windows a watch is a HANDLE, which GLib waits for
 * through g_source_add_poll instead.
 *
 * Exit status: the worst of the commands' exit statuses (the highest),
 * 125 if one could not be run, died abnormally or took too long, 125
 * for a usage error.
 */

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include <subproc.h>

/* What subproc_get_watches can ask for: 4, plus one per send buffer
   (this program sets none).  */
#define MAX_WATCHES 4

/* A command, as a source of events of the main loop.  */
typedef struct job_source
{
  GSource source; /* first: a GSource that GLib allocates larger */
  subproc_t *cmd;
  unsigned int number;
  gpointer tags[MAX_WATCHES]; /* its descriptors, for GLib */
  int ntags;
  bool mid_line[3]; /* per stream (1, 2): the last piece ended no
                       line */
} job_source_t;

/* Per stream of ours (1, 2): the command whose line is open there.  */
static job_source_t *open_line[3];

static GMainLoop *loop;
static unsigned int running;
static int worst;

/* The sink of both streams: one line per call, called from
   subproc_advance, hence from the dispatch of the command's source.  */
static int
print_line (void *opaque, int stream, const char *data, size_t len)
{
  job_source_t *job = opaque;
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
    fprintf (to, "%u: ", job->number);
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
  return 0;
}

/* Give JOB's source the descriptors its run needs watched now, in
   place of those it had, and the time by which it must be dispatched
   anyway.  Returns 0, or -1 if the watches cannot be had.  */
static int
update_watches (job_source_t *job)
{
  subproc_watch_t w[MAX_WATCHES];
  int timeout_ms;
  int n = subproc_get_watches (job->cmd, w, MAX_WATCHES, &timeout_ms);
  if (n < 0 || n > MAX_WATCHES)
    return -1;

  for (int i = 0; i < job->ntags; i++)
    g_source_remove_unix_fd (&job->source, job->tags[i]);
  for (int i = 0; i < n; i++)
    {
      GIOCondition cond = G_IO_HUP | G_IO_ERR;
      if (w[i].events & SUBPROC_WATCH_READ)
        cond |= G_IO_IN;
      if (w[i].events & SUBPROC_WATCH_WRITE)
        cond |= G_IO_OUT;
      job->tags[i] = g_source_add_unix_fd (&job->source, w[i].handle, cond);
    }
  job->ntags = n;

  /* -1: only the descriptors wake the source up.  The ready time stays
     until it is set again, which the next dispatch does.  */
  g_source_set_ready_time (&job->source,
                           timeout_ms < 0 ? -1
                                          : g_get_monotonic_time ()
                                                + (gint64) timeout_ms * 1000);
  return 0;
}

/* JOB's run is over (OVER true), or must be given up: collect it, say
   how it ended, and end the loop after the last one.  */
static void
finish_job (job_source_t *job, bool over)
{
  /* A line left open, this job's own piece of a long line or another
     job's, ends before the report of how the job ended; the other job's
     next piece then gets its prefix again.  */
  for (int stream = 1; stream <= 2; stream++)
    if (open_line[stream])
      {
        fputc ('\n', stream == 2 ? stderr : stdout);
        open_line[stream]->mid_line[stream] = false;
        open_line[stream] = NULL;
      }

  int status = 0;
  if (!over)
    {
      /* subproc_wait would block: stop the child first.  */
      printf ("%u: cannot watch the command\n", job->number);
      subproc_abort (job->cmd);
      status = 125;
    }
  else if (subproc_wait (job->cmd, &status) < 0)
    {
      printf ("%u: %s\n", job->number, subproc_get_error (job->cmd)->message);
      status = 125;
    }
  else
    printf ("%u: exit status %d\n", job->number, status);
  fflush (stdout);
  if (status > worst)
    worst = status;

  if (--running == 0)
    g_main_loop_quit (loop);
}

/* GLib calls this when a descriptor of the source is ready or its ready
   time has come.  */
static gboolean
job_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  job_source_t *job = (job_source_t *) source;
  (void) callback;
  (void) user_data;

  int over = subproc_advance (job->cmd);
  if (over == 0 && update_watches (job) == 0)
    return G_SOURCE_CONTINUE;
  finish_job (job, over != 0);
  return G_SOURCE_REMOVE;
}

/* Called when the source's last reference goes.  */
static void
job_finalize (GSource *source)
{
  job_source_t *job = (job_source_t *) source;
  subproc_free (job->cmd);
}

static GSourceFuncs job_funcs = {
  .dispatch = job_dispatch,
  .finalize = job_finalize,
};

int
main (int argc, char **argv)
{
  unsigned int timeout = 0;
  int first = 1;

  if (argc > 2 && strcmp (argv[1], "-t") == 0)
    {
      char *end;
      unsigned long ms = strtoul (argv[2], &end, 10);
      if (*argv[2] == '\0' || *end != '\0' || ms == 0 || ms > 86400000)
        {
          fprintf (stderr, "%s: invalid time limit: %s\n", argv[0], argv[2]);
          return 125;
        }
      timeout = (unsigned int) ms;
      first = 3;
    }
  if (first >= argc)
    {
      fprintf (
          stderr,
          "usage: %s [-t MS] PROGRAM [ARG]... [';' PROGRAM [ARG]...]...\n",
          argv[0]);
      return 125;
    }

  loop = g_main_loop_new (NULL, FALSE);
  unsigned int number = 0;
  for (int i = first; i < argc; i++)
    {
      /* One command: argv[i] up to the next ";" or the end.  */
      int start = i;
      while (i < argc && strcmp (argv[i], ";") != 0)
        i++;
      argv[i] = NULL; /* argv[argc] is NULL already */
      number++;
      if (i == start)
        {
          fprintf (stderr, "%s: command %u is empty\n", argv[0], number);
          worst = 125;
          continue;
        }

      job_source_t *job
          = (job_source_t *) g_source_new (&job_funcs, sizeof *job);
      job->number = number;
      job->cmd = subproc_new_args ((const char *const *) argv + start);
      subproc_set_output_sink (job->cmd, print_line, job, SUBPROC_SINK_LINES);
      subproc_set_error_sink (job->cmd, print_line, job, SUBPROC_SINK_LINES);
      subproc_set_timeout (job->cmd, timeout);

      if (subproc_run_async (job->cmd, NULL) < 0)
        {
          printf ("%u: %s\n", number, subproc_get_error (job->cmd)->message);
          worst = 125;
        }
      else if (update_watches (job) < 0)
        {
          printf ("%u: cannot watch the command\n", number);
          worst = 125;
        }
      else
        {
          /* The context holds the source from now on.  */
          g_source_attach (&job->source, NULL);
          running++;
        }
      /* Our reference: the last one if the source was not attached,
         and then the finalizer frees the command, stopping its child.  */
      g_source_unref (&job->source);
    }
  fflush (stdout);

  if (running > 0)
    g_main_loop_run (loop);
  g_main_loop_unref (loop);
  return worst;
}
