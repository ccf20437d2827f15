/* poll-loop.c: drive several commands from a poll(2) loop of one's own.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   poll-loop [-e] [-t MS] [-i TEXT [-n COUNT]] PROGRAM [ARG]...
 *             [';' PROGRAM [ARG]...]...
 *
 * Runs all the commands, separated by ';' words (quoted, for the
 * shell), at once, feeds each one TEXT repeated COUNT times on its
 * standard input (-i, -n), collects its output and error output
 * together, and prints them whole when it ends.  With -t, a command
 * that takes more than MS milliseconds is stopped.
 *
 *   $ ./poll-loop -i 'hello ' -n 3 cat \; wc -c
 *   command 1: exit status 0
 *   hello hello hello
 *   command 2: exit status 0
 *   18
 *
 * The loop is the program's, not the library's: it is where a program
 * that already waits for sockets, timers or a terminal would add the
 * commands.  For each command, subproc_get_watches says which
 * descriptors to wait for (on Linux, the child's pidfd and the pipes
 * that can move data now) and how long at most; one poll waits for all
 * of them; then subproc_advance moves, for each command whose
 * descriptors are ready or whose time has come, what can be moved
 * without blocking, and says when the run is over.  The watches change
 * as the run goes on, so they are asked for again after every advance.
 * On Windows the watches are HANDLEs, and the loop waits for them with
 * WaitForMultipleObjects instead.
 *
 * With -e (Linux), the loop waits with epoll(7) instead of poll.  An
 * epoll set keeps its descriptors from one wait to the next, and the
 * library may close a command's descriptors in subproc_advance, so the
 * loop takes them out of the set before it advances the command and
 * puts the new ones in after.
 *
 * Exit status: the worst of the commands' exit statuses (the highest),
 * 125 if one could not be run, died abnormally or took too long, 125
 * for a usage error.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
# include <windows.h>
#else
# include <poll.h>
# include <time.h>
#endif
#ifdef __linux__
# include <sys/epoll.h>
# include <unistd.h>
#endif

#include <subproc.h>

/* What subproc_get_watches can ask for: 4, plus one per send buffer
   (this program sets none).  */
#define MAX_WATCHES 4

/* One command and the state of its run.  */
typedef struct job
{
  char **argv;    /* program and arguments, NULL-terminated */
  subproc_t *cmd; /* NULL once collected */
  char *out;      /* its output and error output, interleaved */
  size_t out_len;
  size_t err_len; /* the same length again (one shared buffer) */
  subproc_watch_t watches[MAX_WATCHES];
  int nwatches;
  long long deadline; /* when to advance it anyway, or -1 */
  bool ready;         /* one of its watches is ready */
} job_t;

static void
usage (const char *prog)
{
  fprintf (stderr,
           "usage: %s [-e] [-t MS] [-i TEXT [-n COUNT]] PROGRAM [ARG]... "
           "[';' PROGRAM [ARG]...]...\n",
           prog);
}

/* Milliseconds from some fixed point in the past, never going back.  */
static long long
now_ms (void)
{
#ifdef _WIN32
  return (long long) GetTickCount64 ();
#else
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
}

/* Split ARGV, from index FIRST on, into commands at each ";" word.
   Returns their number, or 0 for an empty command or no memory.  */
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
          return 0;
        if (i < argc)
          (*jobs)[++j].argv = argv + i + 1;
      }
  return n;
}

#ifdef __linux__
/* The epoll set, with -e; -1 without.  */
static int epoll_fd = -1;

/* Put JOB's watches into the epoll set (ADD), or take them out.
   Returns 0, or -1 with errno.  */
static int
epoll_update (job_t *job, bool add)
{
  for (int k = 0; k < job->nwatches; k++)
    {
      const subproc_watch_t *w = &job->watches[k];
      struct epoll_event ev = { 0 };
      ev.events = ((w->events & SUBPROC_WATCH_READ) ? EPOLLIN : 0)
                  | ((w->events & SUBPROC_WATCH_WRITE) ? EPOLLOUT : 0);
      ev.data.ptr = job;
      if (epoll_ctl (epoll_fd, add ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, w->handle,
                     &ev)
          < 0)
        return -1;
    }
  return 0;
}

/* Wait up to TIMEOUT_MS (-1: no limit) until a descriptor of the set
   is ready, and mark the jobs it belongs to.  Returns 0, or -1 with
   errno.  */
static int
wait_for_epoll (int timeout_ms)
{
  struct epoll_event events[64];
  int n = epoll_wait (epoll_fd, events, 64, timeout_ms);
  if (n < 0)
    return errno == EINTR ? 0 : -1;
  for (int i = 0; i < n; i++)
    ((job_t *) events[i].data.ptr)->ready = true;
  return 0;
}
#endif

/* Ask what JOB's run needs watched before its next subproc_advance, and
   until when the loop may wait without advancing it.  Returns 0, or -1
   with the error printed.  */
static int
get_watches (job_t *job)
{
  int timeout_ms;
  int n
      = subproc_get_watches (job->cmd, job->watches, MAX_WATCHES, &timeout_ms);
  if (n < 0 || n > MAX_WATCHES)
    {
      /* More than MAX_WATCHES cannot happen without send buffers.  */
      fprintf (stderr, "poll-loop: %s\n",
               n < 0 ? subproc_get_error (job->cmd)->message
                     : "more watches than expected");
      return -1;
    }
  job->nwatches = n;
  job->deadline = timeout_ms < 0 ? -1 : now_ms () + timeout_ms;
#ifdef __linux__
  if (epoll_fd >= 0 && epoll_update (job, true) < 0)
    {
      perror ("poll-loop: epoll_ctl");
      job->nwatches = 0;
      return -1;
    }
#endif
  return 0;
}

#ifdef _WIN32
/* Wait up to TIMEOUT_MS (-1: no limit) until a watch of one of the
   NJOBS jobs is ready, and mark that job.  Every watch is a HANDLE to
   be waited for until it is signaled.  Returns 0, or -1 with errno.  */
static int
wait_for_watches (job_t *jobs, size_t njobs, int timeout_ms)
{
  HANDLE handles[MAXIMUM_WAIT_OBJECTS];
  size_t owner[MAXIMUM_WAIT_OBJECTS];
  DWORD n = 0;
  bool left_out = false;

  for (size_t j = 0; j < njobs; j++)
    for (int k = 0; jobs[j].cmd && k < jobs[j].nwatches; k++)
      {
        if (n == MAXIMUM_WAIT_OBJECTS)
          {
            left_out = true;
            continue;
          }
        handles[n] = jobs[j].watches[k].handle;
        owner[n++] = j;
      }

  /* WaitForMultipleObjects takes 64 handles at most.  Those left out
     are looked at 10 milliseconds later at the latest: every job is
     then advanced after the wait.  */
  if (left_out && (timeout_ms < 0 || timeout_ms > 10))
    timeout_ms = 10;
  if (n == 0)
    {
      Sleep (timeout_ms < 0 ? 10 : (DWORD) timeout_ms);
      return 0;
    }
  DWORD r = WaitForMultipleObjects (
      n, handles, FALSE, timeout_ms < 0 ? INFINITE : (DWORD) timeout_ms);
  if (r == WAIT_FAILED)
    {
      errno = EIO;
      return -1;
    }
  if (r != WAIT_TIMEOUT && r - WAIT_OBJECT_0 < n)
    jobs[owner[r - WAIT_OBJECT_0]].ready = true;
  for (size_t j = 0; left_out && j < njobs; j++)
    jobs[j].ready = true;
  return 0;
}
#else
/* Wait up to TIMEOUT_MS (-1: no limit) until a watch of one of the
   NJOBS jobs is ready, and mark those jobs.  POLLFDS and OWNER have
   room for every watch.  Returns 0, or -1 with errno.  */
static int
wait_for_watches (job_t *jobs, size_t njobs, int timeout_ms,
                  struct pollfd *pollfds, size_t *owner)
{
  nfds_t n = 0;

  for (size_t j = 0; j < njobs; j++)
    for (int k = 0; jobs[j].cmd && k < jobs[j].nwatches; k++)
      {
        const subproc_watch_t *w = &jobs[j].watches[k];
        pollfds[n].fd = w->handle;
        pollfds[n].events
            = (short) (((w->events & SUBPROC_WATCH_READ) ? POLLIN : 0)
                       | ((w->events & SUBPROC_WATCH_WRITE) ? POLLOUT : 0));
        pollfds[n].revents = 0;
        owner[n++] = j;
      }

  if (poll (pollfds, n, timeout_ms) < 0)
    return errno == EINTR ? 0 : -1;
  /* POLLHUP and POLLERR count too: the next advance reads the end of
     the stream, or the error.  */
  for (nfds_t i = 0; i < n; i++)
    if (pollfds[i].revents)
      jobs[owner[i]].ready = true;
  return 0;
}
#endif

/* JOB's run is over: collect it, print its status and output, release
   it.  */
static void
finish_job (job_t *job, size_t number, int *worst)
{
  /* subproc_advance said the run is over: this does not block.  */
  int status = 0;
  if (subproc_wait (job->cmd, &status) < 0)
    {
      printf ("command %zu: %s\n", number,
              subproc_get_error (job->cmd)->message);
      status = 125;
    }
  else
    printf ("command %zu: exit status %d\n", number, status);
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

/* A number option's value, or -1 if it is not one.  */
static long
parse_number (const char *prog, const char *arg, long max)
{
  char *end;
  long n = strtol (arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || n <= 0 || n > max)
    {
      fprintf (stderr, "%s: invalid number: %s\n", prog, arg);
      return -1;
    }
  return n;
}

int
main (int argc, char **argv)
{
  long timeout = 0;
  const char *text = NULL;
  long count = 1;
  int first = 1;

  bool use_epoll = false;

  while (first + 1 < argc && argv[first][0] == '-')
    {
      if (strcmp (argv[first], "-e") == 0)
        {
          use_epoll = true;
          first++;
          continue;
        }
      if (strcmp (argv[first], "-t") == 0)
        timeout = parse_number (argv[0], argv[first + 1], 86400000);
      else if (strcmp (argv[first], "-n") == 0)
        count = parse_number (argv[0], argv[first + 1], 100000000);
      else if (strcmp (argv[first], "-i") == 0)
        text = argv[first + 1];
      else
        break;
      if (timeout < 0 || count < 0)
        return 125;
      first += 2;
    }
  if (first >= argc)
    {
      usage (argv[0]);
      return 125;
    }
  if (use_epoll)
    {
#ifdef __linux__
      epoll_fd = epoll_create1 (EPOLL_CLOEXEC);
      if (epoll_fd < 0)
        {
          perror ("poll-loop: epoll_create1");
          return 125;
        }
#else
      fprintf (stderr, "%s: -e: epoll is Linux's\n", argv[0]);
      return 125;
#endif
    }

  job_t *jobs;
  size_t njobs = split_commands (argv, first, argc, &jobs);
  if (njobs == 0)
    {
      usage (argv[0]);
      free (jobs);
      return 125;
    }

  /* The input, the same for every command: the library copies it.  */
  size_t text_len = text ? strlen (text) : 0;
  size_t input_len = text_len * (size_t) count;
  char *input = malloc (input_len + 1);
#ifndef _WIN32
  /* Room for every watch of every command, for poll.  */
  struct pollfd *pollfds = calloc (njobs * MAX_WATCHES, sizeof *pollfds);
  size_t *owner = calloc (njobs * MAX_WATCHES, sizeof *owner);
  if (!input || !pollfds || !owner)
#else
  if (!input)
#endif
    {
      fprintf (stderr, "%s: out of memory\n", argv[0]);
      return 125;
    }
  for (long i = 0; i < count; i++)
    memcpy (input + (size_t) i * text_len, text ? text : "", text_len);

  int worst = 0;
  size_t running = 0;
  for (size_t j = 0; j < njobs; j++)
    {
      job_t *job = &jobs[j];
      job->cmd = subproc_new_args ((const char *const *) job->argv);
      if (text)
        subproc_set_input_bytes (job->cmd, input, input_len);
      subproc_set_output_bytes (job->cmd, &job->out, &job->out_len);
      subproc_set_error_bytes (job->cmd, &job->out, &job->err_len);
      subproc_set_timeout (job->cmd, (unsigned int) timeout);
      bool started = subproc_run_async (job->cmd, NULL) == 0;
      if (!started)
        printf ("command %zu: %s\n", j + 1,
                subproc_get_error (job->cmd)->message);
      if (started && get_watches (job) == 0)
        running++;
      else
        {
          /* It could not start, or (very unlikely) its watches cannot
             be had: subproc_free stops and reaps a child that runs.  */
          fflush (stdout);
          subproc_free (job->cmd);
          free (job->out);
          job->cmd = NULL;
          job->out = NULL;
          if (worst < 125)
            worst = 125;
        }
    }
  free (input);

  while (running > 0)
    {
      /* Wait no longer than the earliest time a command asked for.  */
      long long now = now_ms ();
      long long wait = -1;
      for (size_t j = 0; j < njobs; j++)
        if (jobs[j].cmd && jobs[j].deadline >= 0
            && (wait < 0 || jobs[j].deadline - now < wait))
          wait = jobs[j].deadline > now ? jobs[j].deadline - now : 0;

#ifdef _WIN32
      int r = wait_for_watches (jobs, njobs, (int) wait);
#else
#ifdef __linux__
      int r = epoll_fd >= 0
                  ? wait_for_epoll ((int) wait)
                  : wait_for_watches (jobs, njobs, (int) wait, pollfds, owner);
#else
      int r = wait_for_watches (jobs, njobs, (int) wait, pollfds, owner);
#endif
#endif
      if (r < 0)
        {
          perror ("poll-loop: waiting");
          break;
        }

      /* Advance the commands that have something to do, and those whose
         time has come; ask the others nothing.  */
      now = now_ms ();
      for (size_t j = 0; j < njobs; j++)
        {
          job_t *job = &jobs[j];
          if (!job->cmd
              || !(job->ready || (job->deadline >= 0 && now >= job->deadline)))
            continue;
          job->ready = false;
#ifdef __linux__
          /* The descriptors are still open: take them out now.  */
          if (epoll_fd >= 0 && epoll_update (job, false) < 0)
            perror ("poll-loop: epoll_ctl");
          job->nwatches = 0;
#endif
          int over = subproc_advance (job->cmd);
          if (over == 0 && get_watches (job) < 0)
            {
              /* The error is printed: stop the child, and forget it.  */
              subproc_free (job->cmd);
              free (job->out);
              job->cmd = NULL;
              job->out = NULL;
              if (worst < 125)
                worst = 125;
              running--;
            }
          else if (over != 0)
            {
              /* Over (1), or -1 for a command that is not running, which
                 cannot be here and which subproc_wait reports too.  */
              finish_job (job, j + 1, &worst);
              running--;
            }
        }
    }

  /* After a failed wait, subproc_free stops and reaps what still runs.  */
  for (size_t j = 0; j < njobs; j++)
    if (jobs[j].cmd)
      {
        subproc_free (jobs[j].cmd);
        free (jobs[j].out);
        if (worst < 125)
          worst = 125;
      }
#ifndef _WIN32
  free (owner);
  free (pollfds);
#endif
#ifdef __linux__
  if (epoll_fd >= 0)
    close (epoll_fd);
#endif
  free (jobs);
  return worst;
}
