/* storm.c: many threads spawning at once.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * STORM_THREADS threads each run STORM_SPAWNS commands, all at the same
 * time, in a rotation of five kinds:
 *
 *   0, 1  "fds" with descriptors of its own passed (one with CLOSE_PARENT,
 *         one without), on the fast path (0) and the fork path (1, a
 *         pre-exec hook): the child must list exactly those descriptors,
 *         none of the pipes other threads are creating at that moment;
 *   2     "echo" of a token unique to the thread and the spawn, through
 *         input and output buffers: the output is that token, never
 *         another command's;
 *   3     "print" of a token to a pipe the library makes (output_fd -1),
 *         run asynchronously and read by the thread;
 *   4     "fd-read" of a token sent through a send buffer, on the fork
 *         path.
 *
 * A second storm drives many children at once per thread: each of the
 * STORM_THREADS threads starts STORM_POLL_CHILDREN children (an echo of
 * a token of its own through input and output buffers, its stderr to a
 * line sink, on the fast and the fork path) and drives them all with
 * subproc_poll until each is over, STORM_POLL_ROUNDS times: natively
 * 8 x 64 children x 3 rounds, under valgrind 8 x 64 x 1, under Wine
 * 8 x 16 x 1.  SUBPROC_STORM_POLL_CHILDREN and SUBPROC_STORM_POLL_ROUNDS
 * override them.
 *
 * A watchdog thread ends the program if the storm does not finish in
 * time, so a deadlock fails the test instead of hanging CI (Check's
 * timeout does not work where it cannot fork).  At the end the test
 * process must have no child left (no zombie) and as many descriptors as
 * at the start.  Natively 8 threads x 500 spawns; under valgrind, which
 * runs one thread at a time, 8 x 60; under Wine 8 x 40.
 * SUBPROC_STORM_SPAWNS overrides the number of spawns per thread.
 */

#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
# include <fcntl.h>
# include <io.h>
#else
# include <fcntl.h>
# include <signal.h>
# include <sys/wait.h>
# include <unistd.h>
#endif

#include "common.h"

#define STORM_THREADS 8
#define STORM_KINDS 5

/* Seconds before the watchdog gives up on the whole storm.  */
#define WATCHDOG_SECONDS 600

/* A new pipe, both ends not inherited by children unless passed.  */
static void
storm_pipe (int fds[2])
{
#ifdef _WIN32
  ck_assert_int_eq (_pipe (fds, 4096, _O_BINARY | _O_NOINHERIT), 0);
#else
  ck_assert_int_eq (pipe2 (fds, O_CLOEXEC), 0);
#endif
}

struct storm_thread
{
  int index;
  int spawns;
  int done;              /* spawns finished (atomic) */
  char failure[1024];    /* the first failure, "" if none */
};

/* Record the first failure of T.  */
static void
storm_fail (struct storm_thread *t, int spawn, const char *fmt, ...)
  SUBPROC_PRINTF (3, 4);

static void
storm_fail (struct storm_thread *t, int spawn, const char *fmt, ...)
{
  va_list ap;
  size_t len;

  if (t->failure[0] != '\0')
    return;
  snprintf (t->failure, sizeof t->failure, "thread %d, spawn %d: ", t->index,
            spawn);
  len = strlen (t->failure);
  va_start (ap, fmt);
  vsnprintf (t->failure + len, sizeof t->failure - len, fmt, ap);
  va_end (ap);
}

/* Run CMD; on failure record it in T and return false.  */
static bool
storm_run (struct storm_thread *t, int spawn, subproc_t *cmd)
{
  if (subproc_run (cmd, NULL) == 0)
    return true;
  storm_fail (t, spawn, "%s", subproc_get_error (cmd)
                                ? subproc_get_error (cmd)->message
                                : "no command");
  return false;
}

static void
close_fd (int fd)
{
  if (fd >= 0)
    close (fd);
}

/* Read FD to EOF into BUF (at most SIZE - 1 bytes, NUL-terminated).  */
static bool
read_fd (int fd, char *buf, size_t size)
{
  size_t len = 0;

  for (;;)
    {
      int n = (int) read (fd, buf + len, (unsigned int) (size - 1 - len));

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return false;
      if (n == 0)
        break;
      len += (size_t) n;
      if (len == size - 1)
        break;
    }
  buf[len] = '\0';
  return true;
}

/* Kinds 0 and 1: the child lists its descriptors above 2.  */
static void
spawn_fds (struct storm_thread *t, int spawn, int path)
{
  int a[2], b[2];
  char *out = NULL, expect[64];
  subproc_t *cmd;

  storm_pipe (a);
  storm_pipe (b);
  cmd = test_helper_on (path, "fds", NULL);
  subproc_pass_fd (cmd, a[1], 0);
  subproc_pass_fd (cmd, b[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_set_output_buffer (cmd, &out);
  if (a[1] < b[1])
    snprintf (expect, sizeof expect, "%d\n%d\n", a[1], b[1]);
  else
    snprintf (expect, sizeof expect, "%d\n%d\n", b[1], a[1]);
  if (storm_run (t, spawn, cmd) && strcmp (out, expect) != 0)
    storm_fail (t, spawn, "the child has descriptors\n%sinstead of\n%s", out,
                expect);
  subproc_free (cmd);
  free (out);
  close_fd (a[0]);
  close_fd (a[1]);
  close_fd (b[0]);
}

/* Kind 2: echo a token through buffers.  */
static void
spawn_echo (struct storm_thread *t, int spawn, const char *token)
{
  char *out = NULL, *err = NULL;
  subproc_t *cmd = test_helper_on (spawn % 2, "echo", NULL);

  subproc_set_input_buffer (cmd, token);
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);
  if (storm_run (t, spawn, cmd)
      && (strcmp (out, token) != 0 || strcmp (err, "") != 0))
    storm_fail (t, spawn, "echo of %s gave '%s' and '%s'", token, out, err);
  subproc_free (cmd);
  free (out);
  free (err);
}

/* Kind 3: a pipe made by the library, read by the thread.  */
static void
spawn_pipe (struct storm_thread *t, int spawn, const char *token)
{
  int out = -1;
  char got[256];
  subproc_t *cmd = test_helper_on (spawn % 2, "print", token, NULL);

  subproc_set_output_fd (cmd, &out);
  if (subproc_run_async (cmd, NULL) < 0)
    storm_fail (t, spawn, "%s", subproc_get_error (cmd)->message);
  else
    {
      bool ok = read_fd (out, got, sizeof got);

      close_fd (out);
      if (subproc_wait (cmd, NULL) < 0)
        storm_fail (t, spawn, "%s", subproc_get_error (cmd)->message);
      else if (!ok || strcmp (got, token) != 0)
        storm_fail (t, spawn, "print %s gave '%s'", token, ok ? got : "");
    }
  subproc_free (cmd);
}

/* Kind 4: a send buffer, on the fork path.  */
static void
spawn_send (struct storm_thread *t, int spawn, const char *token)
{
  char *out = NULL, num[32];
  subproc_t *cmd = test_helper_on (1, "fd-read", NULL);
  int fd = subproc_set_send_buffer (cmd, token, strlen (token));

  snprintf (num, sizeof num, "%d", fd);
  subproc_add_arg (cmd, num);
  subproc_set_output_buffer (cmd, &out);
  if (storm_run (t, spawn, cmd) && strcmp (out, token) != 0)
    storm_fail (t, spawn, "send buffer %s came back as '%s'", token, out);
  subproc_free (cmd);
  free (out);
}

static void *
storm_thread_main (void *arg)
{
  struct storm_thread *t = arg;

  for (int i = 0; i < t->spawns && t->failure[0] == '\0'; i++)
    {
      char token[64];

      snprintf (token, sizeof token, "token-%d-%d-%s", t->index, i,
                i % 3 ? "x" : "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
      switch ((i + t->index) % STORM_KINDS)
        {
        case 0:
        case 1:
          spawn_fds (t, i, (i + t->index) % STORM_KINDS);
          break;
        case 2:
          spawn_echo (t, i, token);
          break;
        case 3:
          spawn_pipe (t, i, token);
          break;
        default:
          spawn_send (t, i, token);
          break;
        }
      __atomic_add_fetch (&t->done, 1, __ATOMIC_RELAXED);
    }
  return NULL;
}

/* The watchdog: ends the program when the storm takes too long.  It
   looks at a monotonic clock ten times a second.  */
static int storm_over;   /* atomic */
static struct storm_thread threads[STORM_THREADS];

static void *
watchdog_main (void *arg)
{
  int64_t end = test_now_ms () + (int64_t) WATCHDOG_SECONDS * 1000;

  (void) arg;
  while (!__atomic_load_n (&storm_over, __ATOMIC_ACQUIRE))
    {
      if (test_now_ms () > end)
        {
          fprintf (stderr,
                   "storm: watchdog: not done after %d s (a deadlock?);",
                   WATCHDOG_SECONDS);
          for (int i = 0; i < STORM_THREADS; i++)
            fprintf (stderr, " thread %d: %d/%d", i,
                     __atomic_load_n (&threads[i].done, __ATOMIC_RELAXED),
                     threads[i].spawns);
          fprintf (stderr, "\n");
          fflush (stderr);
          _exit (99);
        }
      test_sleep_ms (100);
    }
  return NULL;
}

static int
storm_spawns (void)
{
  const char *s = getenv ("SUBPROC_STORM_SPAWNS");

  if (s != NULL && atoi (s) > 0)
    return atoi (s);
#ifdef _WIN32
  return 40;
#else
  return test_under_valgrind () ? 60 : 500;
#endif
}

/* Run FN on STORM_THREADS threads, each told to make PER_THREAD spawns,
   under the watchdog; fail the test with the first failure of a thread,
   or if the spawns made are not all those asked for.  */
static void
storm_threads_run (void *(*fn) (void *), int per_thread)
{
  pthread_t tids[STORM_THREADS], watchdog;
  int total = 0;

#ifndef _WIN32
  /* A write to a child that is gone must be an error, not death.  */
  signal (SIGPIPE, SIG_DFL);
#endif
  for (int i = 0; i < STORM_THREADS; i++)
    {
      threads[i].index = i;
      threads[i].spawns = per_thread;
      threads[i].done = 0;
      threads[i].failure[0] = '\0';
    }
  __atomic_store_n (&storm_over, 0, __ATOMIC_RELEASE);
  ck_assert_int_eq (pthread_create (&watchdog, NULL, watchdog_main, NULL), 0);
  for (int i = 0; i < STORM_THREADS; i++)
    ck_assert_int_eq (pthread_create (&tids[i], NULL, fn, &threads[i]), 0);
  for (int i = 0; i < STORM_THREADS; i++)
    ck_assert_int_eq (pthread_join (tids[i], NULL), 0);
  __atomic_store_n (&storm_over, 1, __ATOMIC_RELEASE);
  ck_assert_int_eq (pthread_join (watchdog, NULL), 0);

  for (int i = 0; i < STORM_THREADS; i++)
    {
      ck_assert_msg (threads[i].failure[0] == '\0', "%s",
                     threads[i].failure);
      total += threads[i].done;
    }
  ck_assert_int_eq (total, STORM_THREADS * per_thread);
}

START_TEST (test_storm)
{
  int fds_before = test_count_open_fds ();
  int64_t start = test_now_ms ();

  storm_threads_run (storm_thread_main, storm_spawns ());
  printf ("storm: %d threads x %d spawns in %lld ms\n", STORM_THREADS,
          storm_spawns (), (long long) (test_now_ms () - start));
  fflush (stdout);

  ck_assert_int_eq (test_count_open_fds (), fds_before);
#ifndef _WIN32
  {
    /* No child at all: every one was reaped, none is still running.  */
    siginfo_t si;

    memset (&si, 0, sizeof si);
    ck_assert_msg (waitid (P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) < 0
                     && errno == ECHILD,
                   "a child is left behind (pid %ld)", (long) si.si_pid);
  }
#endif
}
END_TEST

/* ------------------------------------------------------------------ */
/* The storm of polls.  */

static int
storm_env (const char *name, int dflt)
{
  const char *s = getenv (name);
  return s != NULL && atoi (s) > 0 ? atoi (s) : dflt;
}

static int
storm_poll_children (void)
{
#ifdef _WIN32
  return storm_env ("SUBPROC_STORM_POLL_CHILDREN", 16);
#else
  return storm_env ("SUBPROC_STORM_POLL_CHILDREN", 64);
#endif
}

/* The children each thread drives at once: STORM_POLL_CHILDREN, or
   fewer where the descriptor limit leaves no room for three streams
   and a pidfd per child of every thread.  */
static int poll_children;

static int
storm_poll_room (void)
{
  long want = storm_poll_children ();
  long room = test_fd_room (4L * STORM_THREADS * want + 64);

  if (room < 4L * STORM_THREADS * want + 64)
    {
      want = (room - 64) / (4L * STORM_THREADS);
      printf ("storm: room for %ld children per thread only\n", want);
    }
  ck_assert_int_ge (want, 1);
  return (int) want;
}

static int
storm_poll_rounds (void)
{
#ifdef _WIN32
  return storm_env ("SUBPROC_STORM_POLL_ROUNDS", 1);
#else
  return storm_env ("SUBPROC_STORM_POLL_ROUNDS",
                    test_under_valgrind () ? 1 : 3);
#endif
}

/* A sink that keeps its stderr lines (there should be none).  */
struct storm_child
{
  subproc_t *cmd;
  char token[64];
  char *out;
  size_t lines;
};

static int
storm_err_sink (void *opaque, int stream, const char *data, size_t len)
{
  struct storm_child *c = opaque;
  (void) stream;
  (void) data;
  (void) len;
  c->lines++;
  return 0;
}

/* One round of thread T: N children at once, all driven by subproc_poll
   from this thread.  */
static void
storm_poll_round (struct storm_thread *t, int round, int n)
{
  struct storm_child *c = calloc ((size_t) n, sizeof *c);
  subproc_t **cmds = calloc ((size_t) n, sizeof *cmds);
  size_t *ended = calloc ((size_t) n, sizeof *ended);
  int left = 0;

  if (c == NULL || cmds == NULL || ended == NULL)
    {
      storm_fail (t, round, "out of memory");
      goto out;
    }
  for (int i = 0; i < n; i++)
    {
      snprintf (c[i].token, sizeof c[i].token, "poll-%d-%d-%d%s", t->index,
                round, i, i % 3 ? "" : "-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz");
      c[i].cmd = test_helper_on (i % 2, "echo", NULL);
      subproc_set_input_buffer (c[i].cmd, c[i].token);
      subproc_set_output_buffer (c[i].cmd, &c[i].out);
      subproc_set_error_sink (c[i].cmd, storm_err_sink, &c[i],
                              SUBPROC_SINK_LINES);
      if (subproc_run_async (c[i].cmd, NULL) < 0)
        {
          storm_fail (t, round, "child %d: %s", i,
                      subproc_get_error (c[i].cmd)->message);
          break;
        }
      cmds[i] = c[i].cmd;
      left++;
    }
  while (left > 0)
    {
      int r = subproc_poll (cmds, (size_t) n, -1, ended);

      if (r <= 0)
        {
          storm_fail (t, round, "subproc_poll gave %d: %s", r,
                      subproc_last_error () ? subproc_last_error ()->message
                                            : "time up");
          break;
        }
      for (int k = 0; k < r; k++)
        {
          struct storm_child *ch = &c[ended[k]];

          if (subproc_wait (ch->cmd, NULL) < 0)
            storm_fail (t, round, "%s", subproc_get_error (ch->cmd)->message);
          else if (strcmp (ch->out, ch->token) != 0 || ch->lines != 0)
            storm_fail (t, round, "echo of %s gave '%s' and %zu lines",
                        ch->token, ch->out, ch->lines);
          cmds[ended[k]] = NULL;
          left--;
          __atomic_add_fetch (&t->done, 1, __ATOMIC_RELAXED);
        }
    }
out:
  if (c != NULL)
    for (int i = 0; i < n; i++)
      {
        /* After a failure, subproc_free stops what still runs.  */
        subproc_free (c[i].cmd);
        free (c[i].out);
      }
  free (c);
  free (cmds);
  free (ended);
}

static void *
storm_poll_thread_main (void *arg)
{
  struct storm_thread *t = arg;

  for (int round = 0; round < storm_poll_rounds () && t->failure[0] == '\0';
       round++)
    storm_poll_round (t, round, poll_children);
  return NULL;
}

START_TEST (test_storm_poll)
{
  int64_t start = test_now_ms ();

  poll_children = storm_poll_room ();
  storm_threads_run (storm_poll_thread_main,
                     poll_children * storm_poll_rounds ());
  printf ("storm: %d threads x %d children x %d rounds through subproc_poll "
          "in %lld ms\n",
          STORM_THREADS, poll_children, storm_poll_rounds (),
          (long long) (test_now_ms () - start));
  fflush (stdout);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("storm");
  TCase *tc = tcase_create ("storm");

  /* The watchdog fails the test before this does.  */
  tcase_set_timeout (tc, WATCHDOG_SECONDS + 60);
  tcase_add_test (tc, test_storm);
  suite_add_tcase (s, tc);

  tc = tcase_create ("storm_poll");
  TEST_ACCOUNTING (tc);
  tcase_set_timeout (tc, WATCHDOG_SECONDS + 60);
  tcase_add_test (tc, test_storm_poll);
  suite_add_tcase (s, tc);
  return s;
}

MAIN_SUITE (make_suite)
