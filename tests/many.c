/* many.c: many commands at once, driven by subproc_poll, or by the
 * caller's own loop with subproc_get_watches and subproc_advance.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Hundreds of children run at once (300; 100 under valgrind and under
 * Wine; SUBPROC_MANY_CHILDREN overrides), each writing a pattern of its
 * own to stdout and to stderr (tests/helper.c "index-out"), of sizes
 * from nothing to more than any pipe holds, binary with NUL bytes, into
 * buffers and sinks: no byte may be lost or reach another command or
 * the other stream.  Inputs and send buffers are fed to many children
 * at once; fast and fork paths, handshakes, timeouts, the grace period,
 * the waits and signals are mixed with subproc_poll.  The children that
 * must still be running when the test looks are held on a pipe of the
 * test's, so that no result depends on timing; where a test must see
 * output first it polls with a short limit until a sink has it.  The
 * fixture of every test checks that no descriptor, handle or child
 * (running or a zombie) is left behind.
 */

#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
# include <fcntl.h>
# include <io.h>
# include <windows.h>
# define pipe(fds) _pipe ((fds), 65536, _O_BINARY | _O_NOINHERIT)
#else
# include <fcntl.h>
# include <poll.h>
# include <sys/wait.h>
# include <unistd.h>
# ifdef __linux__
#  include <sys/syscall.h>
# endif
#endif

#include "backend.h"
#include "common.h"
#include "subproc.h"

/* The longest subproc_poll or a wait of the caller's loop waits in one
   call where Check cannot end a test that hangs (Windows); elsewhere no
   limit (Check's timeout ends a test that hangs).  */
#ifdef _WIN32
# define POLL_GUARD_MS 120000
#else
# define POLL_GUARD_MS (-1)
#endif

/* Where a test polls until a sink has seen something: the limit of one
   subproc_poll, and how many times (a guard, not a measurement).  */
#define STEP_MS 20
#define MAX_STEPS 30000


/* The error the calling thread saw last is CODE.  */
static void
assert_last_error (int code)
{
  const subproc_error_t *err = subproc_last_error ();
  ck_assert_ptr_nonnull (err);
  ck_assert_msg (err->code == code, "error %s (%s), not %s",
                 subproc_error_name (err->code), err->message,
                 subproc_error_name (code));
}

static const char *
error_text (subproc_t *cmd)
{
  const subproc_error_t *err = subproc_get_error (cmd);
  return err ? err->message : "no error";
}

static const char *
last_error_text (void)
{
  const subproc_error_t *err = subproc_last_error ();
  return err ? err->message : "no error";
}

/* Drive the N commands of CMDS (NULL entries are done) with subproc_poll
   until every run is over, calling COLLECT (I, OPAQUE) for each as it is
   reported, then setting its entry to NULL.  Checks that the indexes
   come in order and name commands that are still in the set.  */
static void
poll_all (subproc_t **cmds, size_t n, void (*collect) (size_t, void *),
          void *opaque)
{
  size_t *ended = calloc (n ? n : 1, sizeof *ended);
  size_t left = 0;

  ck_assert_ptr_nonnull (ended);
  for (size_t i = 0; i < n; i++)
    left += cmds[i] != NULL;
  while (left > 0)
    {
      int r = subproc_poll ((subproc_t *const *) cmds, n, POLL_GUARD_MS,
                            ended);
      ck_assert_msg (r > 0, "subproc_poll gave %d: %s", r,
                     r < 0 ? last_error_text () : "time up");
      ck_assert_uint_le ((size_t) r, left);
      for (int k = 0; k < r; k++)
        {
          size_t i = ended[k];
          ck_assert_uint_lt (i, n);
          ck_assert_msg (cmds[i] != NULL, "index %zu reported twice", i);
          if (k > 0)
            ck_assert_uint_gt (i, ended[k - 1]);
        }
      for (int k = 0; k < r; k++)
        {
          size_t i = ended[k];
          collect (i, opaque);
          cmds[i] = NULL;
          left--;
        }
    }
  free (ended);
}

/* subproc_poll on CMD alone until its run is over.  */
static void
poll_one (subproc_t *cmd)
{
  subproc_t *cmds[1] = { cmd };
  size_t ended = 99;
  int r = subproc_poll (cmds, 1, POLL_GUARD_MS, &ended);
  ck_assert_msg (r == 1, "subproc_poll gave %d: %s", r,
                 r < 0 ? last_error_text () : "time up");
  ck_assert_uint_eq (ended, 0);
}

/* A child that runs until the write end IN[1] of its input is closed.  */
static subproc_t *
held_child (int path, int in[2])
{
  ck_assert_int_eq (pipe (in), 0);
#ifndef _WIN32
  ck_assert_int_eq (fcntl (in[1], F_SETFD, FD_CLOEXEC), 0);
#endif
  subproc_t *cmd = test_helper_on (path, "consume", NULL);
  subproc_set_input_fd (cmd, in[0]);
  return cmd;
}

/* The number of children for the big tests.  */
static size_t
many_count (void)
{
  const char *s = getenv ("SUBPROC_MANY_CHILDREN");
  long n;

  if (s != NULL && atoi (s) > 0)
    n = atoi (s);
  else
#ifdef _WIN32
    n = 100;
#else
    n = test_under_valgrind () ? 100 : 300;
#endif
  /* Each child has up to four descriptors open in the test at once
     (three streams and its pidfd, or a send buffer).  */
  long room = test_fd_room (4 * n + 64);
  if (room < 4 * n + 64)
    {
      n = (room - 64) / 4;
      printf ("many: only room for %ld children\n", n);
      fflush (stdout);
    }
  ck_assert_int_gt (n, 8);
  return (size_t) n;
}

/* Check that LEN bytes of DATA are stream STREAM of child INDEX's
   "index-out".  */
static void
assert_index_data (const char *what, const char *data, size_t len,
                   unsigned long index, int stream)
{
  for (size_t i = 0; i < len; i++)
    if ((unsigned char) data[i] != test_index_byte (index, stream, i))
      ck_abort_msg ("child %lu, %s of stream %d: byte %zu of %zu is %d, not "
                    "%d",
                    index, what, stream, i, len, (unsigned char) data[i],
                    test_index_byte (index, stream, i));
}

/* ------------------------------------------------------------------ */
/* Hundreds of children.  */

enum kind
{
  KIND_BYTES,   /* subproc_set_*_bytes */
  KIND_CHUNKS,  /* a sink */
  KIND_LINES,   /* a sink with SUBPROC_SINK_LINES */
  KIND_COUNT
};

typedef struct child
{
  subproc_t *cmd;
  unsigned long index;
  size_t want[3];       /* bytes of stream 1 and 2 */
  int kind[3];
  char *buf[3];
  size_t len[3];
  test_sink_t sink[3];
} child_t;

/* The size of stream STREAM of child I: nothing, a few bytes, a little
   more than 64 KiB, 200 KB, 3 KB.  */
static size_t
size_for (unsigned long i, int stream)
{
  switch ((i + (stream == 2 ? 2 : 0)) % 5)
    {
    case 0:
      return 0;
    case 1:
      return i % 50 + 1;
    case 2:
      return 65536 + i + 1;
    case 3:
      return 200000 + i;
    default:
      return 3000 + i;
    }
}

static void
start_index_child (child_t *c, unsigned long i)
{
  char num[3][32];

  memset (c, 0, sizeof *c);
  c->index = i;
  c->want[1] = size_for (i, 1);
  c->want[2] = size_for (i, 2);
  c->kind[1] = (int) (i % KIND_COUNT);
  c->kind[2] = (int) ((i / KIND_COUNT) % KIND_COUNT);
  snprintf (num[0], sizeof num[0], "%lu", i);
  snprintf (num[1], sizeof num[1], "%zu", c->want[1]);
  snprintf (num[2], sizeof num[2], "%zu", c->want[2]);
  /* Fast path, fork path (a hook), fork path (a umask, POSIX), fast.  */
  c->cmd = test_helper_on (i % 4 == 1, "index-out", num[0], num[1], num[2],
                           NULL);
#ifndef _WIN32
  if (i % 4 == 2)
    subproc_set_umask (c->cmd, 022);
#endif
  for (int s = 1; s <= 2; s++)
    {
      test_sink_init (&c->sink[s], s, c->kind[s] == KIND_LINES);
      unsigned int flags = c->kind[s] == KIND_LINES ? SUBPROC_SINK_LINES : 0;
      if (c->kind[s] == KIND_BYTES && s == 1)
        subproc_set_output_bytes (c->cmd, &c->buf[s], &c->len[s]);
      else if (c->kind[s] == KIND_BYTES)
        subproc_set_error_bytes (c->cmd, &c->buf[s], &c->len[s]);
      else if (s == 1)
        subproc_set_output_sink (c->cmd, test_sink_func, &c->sink[s], flags);
      else
        subproc_set_error_sink (c->cmd, test_sink_func, &c->sink[s], flags);
    }
  /* Now and then the I/O on the library's thread instead.  */
  if (i % 7 == 6)
    subproc_do_async_io (c->cmd);
  ck_assert_msg (subproc_run_async (c->cmd, NULL) == 0, "child %lu: %s", i,
                 error_text (c->cmd));
}

/* Collect a child that subproc_poll reported: subproc_try_wait and
   subproc_wait_for (0 ms) must find it over at once, subproc_wait reaps
   it; then its streams are checked.  */
static void
collect_index_child (size_t i, void *opaque)
{
  child_t *c = (child_t *) opaque + i;
  int status = -1, r;

  switch (i % 3)
    {
    case 0:
      r = subproc_try_wait (c->cmd, &status);
      break;
    case 1:
      r = subproc_wait_for (c->cmd, 0, &status);
      break;
    default:
      r = subproc_wait (c->cmd, &status) == 0 ? 1 : -1;
      break;
    }
  ck_assert_msg (r == 1, "child %zu reported over, collected with %d: %s", i,
                 r, error_text (c->cmd));
  ck_assert_int_eq (status, 0);
  for (int s = 1; s <= 2; s++)
    {
      const char *data;
      size_t len;

      if (c->kind[s] == KIND_BYTES)
        {
          data = c->buf[s];
          len = c->len[s];
          ck_assert_ptr_nonnull (data);
        }
      else
        {
          test_sink_check (&c->sink[s]);
          data = c->sink[s].data;
          len = c->sink[s].len;
        }
      ck_assert_msg (len == c->want[s],
                     "child %zu, stream %d (%s): %zu bytes, not %zu", i, s,
                     c->kind[s] == KIND_BYTES ? "buffer" : "sink", len,
                     c->want[s]);
      assert_index_data (c->kind[s] == KIND_BYTES ? "buffer" : "sink", data,
                         len, c->index, s);
    }
}

/* Loop 1 (POSIX): children without a pollable handle, as on systems
   that have none: subproc_poll must still notice every end.  */
START_TEST (test_hundreds)
{
  size_t n = many_count ();
#ifndef _WIN32
  if (_i == 1)
    {
      sp_backend_test_no_handle = true;
      n /= 3;
    }
#endif
  child_t *c = calloc (n, sizeof *c);
  subproc_t **cmds = calloc (n, sizeof *cmds);

  ck_assert_ptr_nonnull (c);
  ck_assert_ptr_nonnull (cmds);
  for (size_t i = 0; i < n; i++)
    {
      start_index_child (&c[i], i);
      cmds[i] = c[i].cmd;
    }
  poll_all (cmds, n, collect_index_child, c);
  for (size_t i = 0; i < n; i++)
    {
      subproc_free (c[i].cmd);
      for (int s = 1; s <= 2; s++)
        {
          free (c[i].buf[s]);
          test_sink_free (&c[i].sink[s]);
        }
    }
  free (cmds);
  free (c);
#ifndef _WIN32
  sp_backend_test_no_handle = false;
#endif
  printf ("many: %zu children%s\n", n, _i ? " without pollable handles" : "");
  fflush (stdout);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Inputs and send buffers to many children at once.  */

typedef struct feed
{
  subproc_t *cmd;
  char *in, *send;
  size_t in_len, send_len;
  char *out;
  size_t out_len;
  char *expect;
  size_t expect_len;
} feed_t;

static char *
index_bytes (unsigned long index, int stream, size_t len)
{
  char *p = malloc (len ? len : 1);
  ck_assert_ptr_nonnull (p);
  for (size_t k = 0; k < len; k++)
    p[k] = (char) test_index_byte (index, stream, k);
  return p;
}

static void
collect_feed (size_t i, void *opaque)
{
  feed_t *f = (feed_t *) opaque + i;
  int status = -1;

  ck_assert_msg (subproc_wait (f->cmd, &status) == 0, "child %zu: %s", i,
                 error_text (f->cmd));
  ck_assert_int_eq (status, 0);
  ck_assert_msg (f->out_len == f->expect_len,
                 "child %zu: %zu bytes back, not %zu", i, f->out_len,
                 f->expect_len);
  ck_assert_msg (memcmp (f->out, f->expect, f->expect_len) == 0,
                 "child %zu: not what it was fed", i);
}

/* Every child gets an input of its own (echoed back), a send buffer
   (copied back), or both (the send buffer, then the input's size), each
   larger than a pipe holds, on mixed spawn paths, all in one poll.  */
START_TEST (test_inputs_and_send_buffers)
{
  size_t n = many_count () / 4;
  feed_t *f = calloc (n, sizeof *f);
  subproc_t **cmds = calloc (n, sizeof *cmds);

  ck_assert_ptr_nonnull (f);
  ck_assert_ptr_nonnull (cmds);
  for (size_t i = 0; i < n; i++)
    {
      int kind = (int) (i % 3);
      char num[32];

      f[i].in_len = kind != 1 ? 70000 + i * 97 : 0;
      f[i].send_len = kind != 0 ? 80000 + i * 31 : 0;
      f[i].in = index_bytes (i, 1, f[i].in_len);
      f[i].send = index_bytes (i, 2, f[i].send_len);
      f[i].cmd = subproc_new (test_helper ());
      if (kind == 0)
        subproc_add_arg (f[i].cmd, "echo");
      else
        {
          int fd = subproc_set_send_buffer (f[i].cmd, f[i].send,
                                            f[i].send_len);
          ck_assert_int_gt (fd, 2);
          subproc_add_arg (f[i].cmd, kind == 1 ? "fd-read"
                                               : "consume-then-fd");
          subproc_add_arg_format (f[i].cmd, "%d", fd);
        }
      if (kind != 1)
        subproc_set_input_bytes (f[i].cmd, f[i].in, f[i].in_len);
      if (i % 4 == 1)
        subproc_set_pre_exec_hook (f[i].cmd, test_noop_hook, NULL);
#ifndef _WIN32
      if (i % 4 == 2)
        subproc_set_umask (f[i].cmd, 077);
#endif
      subproc_set_output_bytes (f[i].cmd, &f[i].out, &f[i].out_len);

      /* What comes back.  */
      snprintf (num, sizeof num, "%zu\n", f[i].in_len);
      f[i].expect_len = kind == 0   ? f[i].in_len
                        : kind == 1 ? f[i].send_len
                                    : f[i].send_len + strlen (num);
      f[i].expect = malloc (f[i].expect_len + 1);
      ck_assert_ptr_nonnull (f[i].expect);
      if (kind == 0)
        memcpy (f[i].expect, f[i].in, f[i].in_len);
      else
        {
          memcpy (f[i].expect, f[i].send, f[i].send_len);
          if (kind == 2)
            memcpy (f[i].expect + f[i].send_len, num, strlen (num));
        }
      ck_assert_msg (subproc_run_async (f[i].cmd, NULL) == 0, "child %zu: %s",
                     i, error_text (f[i].cmd));
      cmds[i] = f[i].cmd;
    }
  poll_all (cmds, n, collect_feed, f);
  for (size_t i = 0; i < n; i++)
    {
      subproc_free (f[i].cmd);
      free (f[i].in);
      free (f[i].send);
      free (f[i].out);
      free (f[i].expect);
    }
  free (cmds);
  free (f);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Handshakes.  */

typedef struct shaken
{
  subproc_t *cmd;
  char *out;
  char text[32];
} shaken_t;

static void
collect_shaken (size_t i, void *opaque)
{
  shaken_t *h = (shaken_t *) opaque + i;
  int status = -1;

  ck_assert_msg (subproc_wait (h->cmd, &status) == 0, "child %zu: %s", i,
                 error_text (h->cmd));
  ck_assert_int_eq (status, 0);
  ck_assert_str_eq (h->out, h->text);
}

/* Children held at the handshake are running: subproc_poll does not
   report them; once let go they run through the engine; the one never
   let go is ended by subproc_wait, which reports the handshake.  */
START_TEST (test_handshakes)
{
  enum { N = 12 };
  shaken_t h[N];
  subproc_t *cmds[N];
  size_t ended[N];
  int status = -1;

  for (size_t i = 0; i < N; i++)
    {
      memset (&h[i], 0, sizeof h[i]);
      snprintf (h[i].text, sizeof h[i].text, "hello %zu\n", i);
      h[i].cmd = test_helper_on (i % 2, "echo", NULL);
      subproc_set_input_buffer (h[i].cmd, h[i].text);
      subproc_set_output_buffer (h[i].cmd, &h[i].out);
      subproc_require_handshake (h[i].cmd);
      ck_assert_msg (subproc_run_async (h[i].cmd, NULL) == 0, "%s",
                     error_text (h[i].cmd));
      cmds[i] = h[i].cmd;
    }
  for (size_t i = 0; i < N; i++)
    ck_assert_msg (subproc_handshake_wait (h[i].cmd) == 0, "child %zu: %s",
                   i, error_text (h[i].cmd));
  ck_assert_int_eq (subproc_poll (cmds, N, 0, ended), 0);
  for (size_t i = 0; i + 1 < N; i++)
    ck_assert_int_eq (subproc_handshake_notify (h[i].cmd), 0);
  cmds[N - 1] = NULL;
  poll_all (cmds, N, collect_shaken, h);

  /* The last one is still held.  */
  cmds[0] = h[N - 1].cmd;
  ck_assert_int_eq (subproc_poll (cmds, 1, 0, ended), 0);
  ck_assert_int_eq (subproc_try_wait (h[N - 1].cmd, &status), 0);
  ck_assert_int_eq (subproc_wait (h[N - 1].cmd, &status), -1);
  test_assert_error (h[N - 1].cmd, SUBPROC_ERR_SPAWN);
  for (size_t i = 0; i < N; i++)
    {
      subproc_free (h[i].cmd);
      free (h[i].out);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Timeouts and the grace period.  */

typedef struct timed
{
  subproc_t *cmd;
  bool slow;       /* would run for ever: the timeout ends it */
  char *out;
  size_t len;
  test_sink_t sink;
} timed_t;

static void
collect_timed (size_t i, void *opaque)
{
  timed_t *t = (timed_t *) opaque + i;
  int status = -1;

  if (t->slow)
    {
      /* Over at the deadline: both ways of collecting report it.  */
      int r = (i / 2) % 2 ? subproc_try_wait (t->cmd, &status)
                    : subproc_wait (t->cmd, &status);
      ck_assert_msg (r == -1, "child %zu: %d", i, r);
      test_assert_error (t->cmd, SUBPROC_ERR_TIMEOUT);
      ck_assert_ptr_nonnull (t->out);
    }
  else
    {
      ck_assert_msg (subproc_wait (t->cmd, &status) == 0, "child %zu: %s", i,
                     error_text (t->cmd));
      ck_assert_str_eq (t->out, "quick");
    }
  test_sink_check (&t->sink);
}

/* Under subproc_poll a deadline makes the run over; subproc_wait or
   subproc_try_wait then reports SUBPROC_ERR_TIMEOUT.  The children that
   would run for ever sleep, sleep after some output, or (POSIX) ignore
   SIGTERM, so that the grace period ends them; quick ones share the
   poll and end normally.  */
START_TEST (test_timeouts)
{
  enum { N = 12 };
  timed_t t[N];
  subproc_t *cmds[N];

  for (size_t i = 0; i < N; i++)
    {
      memset (&t[i], 0, sizeof t[i]);
      test_sink_init (&t[i].sink, 2, true);
      t[i].slow = i % 2 == 0;
      if (!t[i].slow)
        t[i].cmd = test_helper_on (i % 4 == 1, "print", "quick", NULL);
      else if (i % 6 == 0)
        t[i].cmd = test_helper_on (i % 4 == 2, "sleep-forever", NULL);
#ifndef _WIN32
      else if (i % 6 == 2)
        {
          t[i].cmd = test_helper_on (i % 4 == 2, "ignore-term", NULL);
          subproc_set_grace_period (t[i].cmd, 50);
        }
#endif
      else
        t[i].cmd = test_helper_on (i % 4 == 2, "write-then-sleep", "70000",
                                   NULL);
      subproc_set_output_bytes (t[i].cmd, &t[i].out, &t[i].len);
      subproc_set_error_sink (t[i].cmd, test_sink_func, &t[i].sink,
                              SUBPROC_SINK_LINES);
      if (t[i].slow)
        subproc_set_timeout (t[i].cmd, (unsigned int) (50 + 20 * i));
      if (i == 4)
        subproc_do_async_io (t[i].cmd);
      ck_assert_msg (subproc_run_async (t[i].cmd, NULL) == 0, "%s",
                     error_text (t[i].cmd));
      cmds[i] = t[i].cmd;
    }
  poll_all (cmds, N, collect_timed, t);
  for (size_t i = 0; i < N; i++)
    {
      subproc_free (t[i].cmd);
      free (t[i].out);
      test_sink_free (&t[i].sink);
    }
}
END_TEST

#ifndef _WIN32
/* A line sink that returns VALUE for the line "ready\n".  */
typedef struct ready_sink
{
  test_sink_t s;
  int value;
  bool ready;
} ready_sink_t;

static int
ready_func (void *opaque, int stream, const char *data, size_t len)
{
  ready_sink_t *r = opaque;
  test_sink_func (&r->s, stream, data, len);
  if (len == 6 && memcmp (data, "ready\n", 6) == 0)
    {
      r->ready = true;
      return r->value;
    }
  return 0;
}

/* The grace test's children: 1 is stopped by its sink, the others end
   well.  */
static void
collect_grace (size_t i, void *opaque)
{
  subproc_t **all = opaque;
  int status = -1;

  if (i == 1)
    {
      ck_assert_int_eq (subproc_wait (all[i], &status), -1);
      test_assert_error (all[i], SUBPROC_ERR_IO);
      ck_assert_int_eq (subproc_get_error (all[i])->sys_errno, ECANCELED);
      return;
    }
  ck_assert_msg (subproc_wait (all[i], &status) == 0, "child %zu: %s", i,
                 error_text (all[i]));
  ck_assert_int_eq (status, 0);
}

/* The grace period under the engine: a child that ignores SIGTERM is
   stopped by its sink (as by the output limit) once it is ready; it gets
   SIGTERM, then SIGKILL when the grace period is over (grace 0: only
   SIGKILL), while subproc_poll drives it and two other children that
   get no signal.  */
START_TEST (test_grace_period)
{
  static const unsigned int graces[] = { 100, 0 };

  for (size_t g = 0; g < 2; g++)
    {
      ready_sink_t r;
      subproc_t *all[3], *cmds[3];

      memset (&r, 0, sizeof r);
      test_sink_init (&r.s, 1, true);
      r.value = 5;
      all[0] = test_helper_on (_i, "print", "other", NULL);
      all[1] = test_helper_on (_i, "ignore-term", NULL);
      all[2] = test_helper_on (!_i, "exit", "0", NULL);
      subproc_set_output_sink (all[1], ready_func, &r, SUBPROC_SINK_LINES);
      subproc_set_grace_period (all[1], graces[g]);
      test_observe_begin ();
      for (int i = 0; i < 3; i++)
        {
          ck_assert_msg (subproc_run_async (all[i], NULL) == 0, "%s",
                         error_text (all[i]));
          cmds[i] = all[i];
        }
      poll_all (cmds, 3, collect_grace, all);
      int n = test_observe_end ();
      ck_assert (r.ready);
      ck_assert_int_ge (n, 1);
      ck_assert_int_le (n, TEST_OBSERVED_MAX);
      /* SIGTERM first, then SIGKILL; the wait may signal the zombie
         again, harmlessly.  */
      int first = test_observed (0);
      bool killed = false;
      for (int i = 1; i < n; i++)
        killed |= test_observed (i) == SIGKILL;
      if (graces[g] > 0)
        {
          ck_assert_msg (first == SIGTERM, "first signal %d", first);
          ck_assert_msg (killed,
                         "the child that ignores SIGTERM got no SIGKILL "
                         "(%d signals)",
                         n);
        }
      for (int i = 0; i < n; i++)
        {
          int sig = test_observed (i);
          if (graces[g] == 0)
            ck_assert_msg (sig == SIGKILL, "grace 0: signal %d", sig);
          else
            ck_assert_msg (sig == SIGTERM || sig == SIGKILL, "signal %d",
                           sig);
        }
      test_sink_check (&r.s);
      ck_assert_str_eq (r.s.data, "ready\n");
      for (int i = 0; i < 3; i++)
        subproc_free (all[i]);
      test_sink_free (&r.s);
    }
}
END_TEST
#endif

/* ------------------------------------------------------------------ */
/* The waits beside subproc_poll.  */

typedef struct waited
{
  subproc_t *cmd;
  int in[2];       /* held children: their input */
  bool held;
  char *out;
  size_t len;
  bool collected;
} waited_t;

static void
collect_quick (size_t i, void *opaque)
{
  waited_t *w = (waited_t *) opaque + i;
  int status = -1, r;

  ck_assert_msg (!w->held, "held child %zu reported over", i);
  switch (i % 3)
    {
    case 0:
      r = subproc_try_wait (w->cmd, &status);
      break;
    case 1:
      r = subproc_wait_for (w->cmd, 0, &status);
      break;
    default:
      r = subproc_wait (w->cmd, &status) == 0 ? 1 : -1;
      break;
    }
  ck_assert_msg (r == 1, "child %zu: %d: %s", i, r, error_text (w->cmd));
  ck_assert_int_eq (status, (int) (i % 5));
  ck_assert_uint_eq (w->len, 0);
  w->collected = true;
}

static void
collect_held (size_t i, void *opaque)
{
  waited_t *w = (waited_t *) opaque + i;
  int status = -1;

  ck_assert (w->held);
  ck_assert_int_eq (subproc_wait (w->cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_str_eq (w->out, "0\n");
  w->collected = true;
}

/* Held and quick children in one set: subproc_poll reports only the
   quick ones; subproc_try_wait and subproc_wait_for leave the held ones
   running and change nothing; once let go, the held ones end through
   subproc_try_wait, subproc_wait_for or subproc_poll.  */
START_TEST (test_waits_beside_poll)
{
  enum { N = 18 };
  waited_t w[N];
  subproc_t *cmds[N];
  size_t ended[N];
  int quick_left = 0;

  for (size_t i = 0; i < N; i++)
    {
      char code[16];

      memset (&w[i], 0, sizeof w[i]);
      w[i].held = i % 2 == 1;
      snprintf (code, sizeof code, "%zu", i % 5);
      w[i].cmd = w[i].held ? held_child ((int) (i / 2) % 2, w[i].in)
                           : test_helper_on ((int) (i / 2) % 2, "exit", code,
                                             NULL);
      subproc_set_output_bytes (w[i].cmd, &w[i].out, &w[i].len);
      ck_assert_msg (subproc_run_async (w[i].cmd, NULL) == 0, "%s",
                     error_text (w[i].cmd));
      cmds[i] = w[i].cmd;
      quick_left += !w[i].held;
    }

  /* Until every quick one is collected.  */
  while (quick_left > 0)
    {
      int r = subproc_poll (cmds, N, POLL_GUARD_MS, ended);
      ck_assert_msg (r > 0, "subproc_poll gave %d: %s", r, last_error_text ());
      for (int k = 0; k < r; k++)
        {
          collect_quick (ended[k], w);
          cmds[ended[k]] = NULL;
          quick_left--;
        }
      for (size_t i = 1; i < N; i += 2)
        {
          int status = -1;
          ck_assert_int_eq (subproc_try_wait (w[i].cmd, &status), 0);
          ck_assert_int_eq (subproc_wait_for (w[i].cmd, 1, &status), 0);
          ck_assert_int_eq (status, -1);
          ck_assert_ptr_null (w[i].out);
        }
    }
  ck_assert_int_eq (subproc_poll (cmds, N, 0, ended), 0);

  /* Let the held ones go.  */
  for (size_t i = 1; i < N; i += 2)
    test_close (w[i].in[1]);
  for (size_t i = 1; i < N; i += 2)
    {
      int status = -1, r = 0;
      if (i % 3 == 0)
        {
          for (long k = 0; k < 600000 && r == 0; k++)
            {
              r = subproc_try_wait (w[i].cmd, &status);
              if (r == 0)
                test_sleep_ms (1);
            }
        }
      else if (i % 3 == 1)
        r = subproc_wait_for (w[i].cmd, POLL_GUARD_MS, &status);
      else
        continue;
      ck_assert_msg (r == 1, "child %zu: %d: %s", i, r, error_text (w[i].cmd));
      ck_assert_int_eq (status, 0);
      ck_assert_str_eq (w[i].out, "0\n");
      w[i].collected = true;
      cmds[i] = NULL;
    }
  poll_all (cmds, N, collect_held, w);
  for (size_t i = 0; i < N; i++)
    {
      ck_assert (w[i].collected);
      subproc_free (w[i].cmd);
      free (w[i].out);
      if (w[i].held)
        test_close (w[i].in[0]);
    }
}
END_TEST

/* Without subproc_do_async_io and without subproc_poll, the waits run
   the I/O themselves: input, output and error, each larger than a pipe
   holds, go through subproc_try_wait, subproc_wait_for and subproc_wait
   alone.  */
START_TEST (test_waits_run_the_io)
{
  const size_t len = 300000;
  char *in = index_bytes (4, 1, len);

  for (int how = 0; how < 3; how++)
    {
      char *out = NULL, *err = NULL;
      size_t out_len = 0, err_len = 0;
      int status = -1, r = 0;
      char num[32];
      subproc_t *cmd;

      snprintf (num, sizeof num, "%zu", len);
      cmd = test_helper_on (_i, "echo-and-err", num, NULL);
      subproc_set_input_bytes (cmd, in, len);
      subproc_set_output_bytes (cmd, &out, &out_len);
      subproc_set_error_bytes (cmd, &err, &err_len);
      ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
      if (how == 0)
        for (long k = 0; k < 1200000 && r == 0; k++)
          {
            r = subproc_try_wait (cmd, &status);
            if (r == 0)
              test_sleep_ms (1);
          }
      else if (how == 1)
        for (long k = 0; k < 60000 && r == 0; k++)
          r = subproc_wait_for (cmd, 10, &status);
      else
        r = subproc_wait (cmd, &status) == 0 ? 1 : -1;
      ck_assert_msg (r == 1, "way %d: %d: %s", how, r, error_text (cmd));
      ck_assert_int_eq (status, 0);
      ck_assert_uint_eq (out_len, len);
      ck_assert_int_eq (memcmp (out, in, len), 0);
      ck_assert_uint_eq (err_len, len);
      for (size_t i = 0; i < len; i++)
        if (err[i] != 'a' + (char) (i % 26))
          ck_abort_msg ("way %d: stderr byte %zu is %d", how, i, err[i]);
      subproc_free (cmd);
      free (out);
      free (err);
    }
  free (in);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Signals under the engine.  */

#ifndef _WIN32
/* subproc_poll with a short limit until the sink S of CMD has a line;
   OTHER (if not NULL) is polled with it, and collected if it ends
   meanwhile (then *OTHER_DONE is set).  */
static void
poll_until_line (subproc_t *cmd, const test_sink_t *s, subproc_t *other,
                 bool *other_done)
{
  subproc_t *cmds[2] = { cmd, other };
  size_t ended[2];

  for (int step = 0; step < MAX_STEPS && s->len == 0; step++)
    {
      int r = subproc_poll (cmds, 2, STEP_MS, ended);
      ck_assert_msg (r >= 0, "subproc_poll: %s", last_error_text ());
      for (int k = 0; k < r; k++)
        {
          ck_assert_msg (ended[k] == 1, "the child ended before its line");
          ck_assert_int_eq (subproc_wait (other, NULL), 0);
          cmds[1] = NULL;
          *other_done = true;
        }
    }
  ck_assert_msg (s->len > 0, "no line from the child");
}

/* A signal reaches the child while subproc_poll drives it.  */
START_TEST (test_signal_under_poll)
{
  test_sink_t s;
  int status = -1;
  subproc_t *cmd = test_helper_on (_i, "await-usr1", NULL);
  subproc_t *other = test_helper_on (!_i, "print", "x", NULL);

  test_sink_init (&s, 1, true);
  subproc_set_output_sink (cmd, test_sink_func, &s, SUBPROC_SINK_LINES);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_run_async (other, NULL), 0);
  bool other_done = false;
  poll_until_line (cmd, &s, other, &other_done);
  ck_assert_str_eq (s.data, "ready\n");
  ck_assert_int_eq (subproc_send_signal (cmd, SIGUSR1), 0);
  poll_one (cmd);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_str_eq (s.data, "ready\nusr1\n");
  if (!other_done)
    {
      poll_one (other);
      ck_assert_int_eq (subproc_wait (other, NULL), 0);
    }
  test_sink_check (&s);
  subproc_free (cmd);
  subproc_free (other);
  test_sink_free (&s);
}
END_TEST

/* A signal to the process group under the engine reaches the
   grandchild too.  */
START_TEST (test_signal_group_under_poll)
{
  test_sink_t s;
  int status = -1;
  subproc_t *cmd = test_helper_on (_i, "tree", "1", NULL);

  test_sink_init (&s, 1, true);
  subproc_new_process_group (cmd);
  subproc_raw_status (cmd);
  subproc_set_output_sink (cmd, test_sink_func, &s, SUBPROC_SINK_LINES);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  poll_until_line (cmd, &s, NULL, NULL);
  long grandchild = strtol (s.data, NULL, 10);
  ck_assert_int_gt (grandchild, 0);
  ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), 0);
  poll_one (cmd);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert (WIFSIGNALED (status));
  ck_assert_int_eq (WTERMSIG (status), SIGTERM);
  bool ended = test_pid_ends_within (grandchild, 60000);
  if (!ended)
    test_kill_pid (grandchild);
  ck_assert_msg (ended, "the grandchild did not get the signal");
  test_sink_check (&s);
  subproc_free (cmd);
  test_sink_free (&s);
}
END_TEST
#else
/* Win32: SIGTERM terminates the job while subproc_poll drives it.  */
START_TEST (test_signal_under_poll)
{
  int in[2], status = -1;
  char *out = NULL;
  subproc_t *cmd = held_child (_i, in);

  subproc_raw_status (cmd);
  subproc_set_output_buffer (cmd, &out);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  {
    size_t ended;
    ck_assert_int_eq (subproc_poll (&cmd, 1, 0, &ended), 0);
  }
  ck_assert_int_eq (subproc_send_signal (cmd, SIGTERM), 0);
  poll_one (cmd);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_uint_eq ((unsigned int) status, 0xC000013AU);
  subproc_free (cmd);
  free (out);
  test_close (in[1]);
  test_close (in[0]);
}
END_TEST
#endif

/* ------------------------------------------------------------------ */
/* Over stays over; a sink that calls the library on another command.  */

/* A run that is over stays over: every subproc_poll after reports it
   again, at once, until it is collected; its watches are none and
   subproc_advance says 1.  */
START_TEST (test_over_stays_over)
{
  int in[2], tmo = -2, status = -1;
  subproc_watch_t w[4];
  size_t ended[2] = { 99, 99 };
  subproc_t *cmds[2];

  cmds[0] = held_child (_i, in);
  cmds[1] = test_helper_on (_i, "exit", "4", NULL);
  ck_assert_int_eq (subproc_run_async (cmds[0], NULL), 0);
  ck_assert_int_eq (subproc_run_async (cmds[1], NULL), 0);
  ck_assert_int_eq (subproc_poll (cmds, 2, POLL_GUARD_MS, ended), 1);
  ck_assert_uint_eq (ended[0], 1);
  for (int k = 0; k < 3; k++)
    {
      ended[0] = 99;
      ck_assert_int_eq (subproc_poll (cmds, 2, -1, ended), 1);
      ck_assert_uint_eq (ended[0], 1);
      ck_assert_int_eq (subproc_get_watches (cmds[1], w, 4, &tmo), 0);
      ck_assert_int_eq (tmo, 0);
      ck_assert_int_eq (subproc_advance (cmds[1]), 1);
    }
  ck_assert_int_eq (subproc_wait (cmds[1], &status), 0);
  ck_assert_int_eq (status, 4);
  /* Collected, it is not running: over at once, and its wait is
     SUBPROC_ERR_STATE.  */
  ck_assert_int_eq (subproc_poll (cmds, 2, -1, ended), 1);
  ck_assert_uint_eq (ended[0], 1);
  ck_assert_int_eq (subproc_wait (cmds[1], &status), -1);
  test_assert_error (cmds[1], SUBPROC_ERR_STATE);
  test_close (in[1]);
  subproc_free (cmds[1]);
  cmds[1] = NULL;
  ck_assert_int_eq (subproc_poll (cmds, 2, POLL_GUARD_MS, ended), 1);
  ck_assert_uint_eq (ended[0], 0);
  ck_assert_int_eq (subproc_wait (cmds[0], &status), 0);
  subproc_free (cmds[0]);
  test_close (in[0]);
}
END_TEST

/* What the sink of the first command does on its line "go": the library
   on the second command, which the same subproc_poll drives.  */
typedef struct other_sink
{
  test_sink_t s;
  subproc_t *other;
  int try_wait;     /* what subproc_try_wait on the other gave */
  int signal;       /* what subproc_send_signal on it gave */
} other_sink_t;

static int
other_func (void *opaque, int stream, const char *data, size_t len)
{
  other_sink_t *o = opaque;
  int status = -1;

  test_sink_func (&o->s, stream, data, len);
  if (len == 3 && memcmp (data, "go\n", 3) == 0)
    {
      o->try_wait = subproc_try_wait (o->other, &status);
      o->signal = subproc_send_signal (o->other, SIGTERM);
    }
  return 0;
}

/* A sink may call the library on other commands, even one that the
   same subproc_poll drives: it waits for one without blocking, and
   stops it.  */
START_TEST (test_sink_calls_other)
{
  int in[2], status = -1;
  other_sink_t o;
  subproc_t *all[2], *cmds[2];
  size_t ended[2];
  int left = 2;

  memset (&o, 0, sizeof o);
  test_sink_init (&o.s, 1, true);
  o.try_wait = o.signal = 99;
  all[0] = test_helper_on (_i, "print", "go\n", NULL);
  all[1] = held_child (!_i, in);
  o.other = all[1];
  subproc_set_output_sink (all[0], other_func, &o, SUBPROC_SINK_LINES);
  subproc_raw_status (all[1]);
  for (int i = 0; i < 2; i++)
    {
      ck_assert_int_eq (subproc_run_async (all[i], NULL), 0);
      cmds[i] = all[i];
    }
  while (left > 0)
    {
      int r = subproc_poll (cmds, 2, POLL_GUARD_MS, ended);
      ck_assert_msg (r > 0, "subproc_poll gave %d: %s", r, last_error_text ());
      for (int k = 0; k < r; k++)
        {
          size_t i = ended[k];
          ck_assert_int_eq (subproc_wait (all[i], &status), 0);
          if (i == 0)
            ck_assert_int_eq (status, 0);
          else
#ifdef _WIN32
            ck_assert_uint_eq ((unsigned int) status, 0xC000013AU);
#else
            {
              ck_assert (WIFSIGNALED (status));
              ck_assert_int_eq (WTERMSIG (status), SIGTERM);
            }
#endif
          cmds[i] = NULL;
          left--;
        }
    }
  test_sink_check (&o.s);
  ck_assert_str_eq (o.s.data, "go\n");
  ck_assert_int_eq (o.try_wait, 0);
  ck_assert_int_eq (o.signal, 0);
  for (int i = 0; i < 2; i++)
    subproc_free (all[i]);
  test_sink_free (&o.s);
  test_close (in[1]);
  test_close (in[0]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The caller's own loop.  */

#define MAX_WATCHES 16

/* Wait for the N watches of W, or TIMEOUT_MS (negative: no limit; on
   Windows at most POLL_GUARD_MS, and then something must be ready).  */
static void
wait_watches (const subproc_watch_t *w, int n, int timeout_ms)
{
  ck_assert_msg (n > 0 || timeout_ms >= 0,
                 "nothing to watch and no time limit: the loop would hang");
#ifdef _WIN32
  HANDLE h[MAX_WATCHES];
  for (int i = 0; i < n; i++)
    {
      ck_assert_uint_eq (w[i].events, SUBPROC_WATCH_READ);
      h[i] = w[i].handle;
    }
  DWORD r;
  if (n == 0)
    {
      Sleep ((DWORD) timeout_ms);
      return;
    }
  r = WaitForMultipleObjects ((DWORD) n, h, FALSE,
                              timeout_ms < 0 ? POLL_GUARD_MS
                                             : (DWORD) timeout_ms);
  ck_assert_msg (r != WAIT_FAILED, "WaitForMultipleObjects: error %lu",
                 (unsigned long) GetLastError ());
  ck_assert_msg (r != WAIT_TIMEOUT || timeout_ms >= 0,
                 "no watch was ready in %d ms", POLL_GUARD_MS);
#else
  struct pollfd p[MAX_WATCHES];
  for (int i = 0; i < n; i++)
    {
      ck_assert_int_ge (w[i].handle, 0);
      ck_assert (w[i].events != 0);
      ck_assert ((w[i].events & ~(unsigned int) (SUBPROC_WATCH_READ
                                                 | SUBPROC_WATCH_WRITE))
                 == 0);
      p[i].fd = w[i].handle;
      p[i].events = (short) ((w[i].events & SUBPROC_WATCH_READ ? POLLIN : 0)
                             | (w[i].events & SUBPROC_WATCH_WRITE ? POLLOUT
                                                                  : 0));
      p[i].revents = 0;
    }
  int r;
  do
    r = poll (p, (nfds_t) n, timeout_ms);
  while (r < 0 && errno == EINTR);
  ck_assert_msg (r >= 0, "poll: %s", strerror (errno));
  for (int i = 0; i < n; i++)
    ck_assert_msg (!(p[i].revents & POLLNVAL), "watch %d is not open", i);
#endif
}

static bool
has_write_watch (const subproc_watch_t *w, int n)
{
  for (int i = 0; i < n; i++)
    if (w[i].events & SUBPROC_WATCH_WRITE)
      return true;
  return false;
}

/* A run driven by poll(2) (WaitForMultipleObjects on Windows) on its
   watches and subproc_advance: while 8 MiB of input go to the child the
   watches include a writable one, afterwards not (POSIX); the child
   then waits on a pipe of the test's, so that the run cannot be over
   before the test closes it; once over, 0 watches and 0 ms.  */
START_TEST (test_own_loop)
{
  const size_t len = 8 << 20;
  char *in = malloc (len), *out = NULL;
  int hold[2], status = -1, tmo = -2;
  subproc_watch_t w[MAX_WATCHES];
  bool wrote = false, closed = false;
  subproc_t *cmd;
  char num[32];

  ck_assert_ptr_nonnull (in);
  memset (in, 'i', len);
  ck_assert_int_eq (pipe (hold), 0);
#ifndef _WIN32
  ck_assert_int_eq (fcntl (hold[0], F_SETFD, FD_CLOEXEC), 0);
  ck_assert_int_eq (fcntl (hold[1], F_SETFD, FD_CLOEXEC), 0);
#endif
  snprintf (num, sizeof num, "%d", hold[0]);
  cmd = test_helper_on (_i, "consume-then-fd", num, NULL);
  subproc_pass_fd (cmd, hold[0], SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_set_input_bytes (cmd, in, len);
  subproc_set_output_buffer (cmd, &out);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);

  for (long step = 0;; step++)
    {
      int n = subproc_get_watches (cmd, w, MAX_WATCHES, &tmo);
      ck_assert_msg (n >= 0, "subproc_get_watches: %s", error_text (cmd));
      ck_assert_int_le (n, MAX_WATCHES);
      ck_assert_int_ge (tmo, -1);
#ifndef _WIN32
      if (step == 0)
        ck_assert_msg (has_write_watch (w, n),
                       "no writable watch while the input is pending");
      if (has_write_watch (w, n))
        wrote = true;
      else if (wrote && !closed)
        {
          test_close (hold[1]);
          closed = true;
        }
#else
      (void) has_write_watch;
      if (!closed)
        {
          wrote = true;
          test_close (hold[1]);
          closed = true;
        }
#endif
      wait_watches (w, n, tmo);
      int r = subproc_advance (cmd);
      ck_assert_msg (r == 0 || r == 1, "subproc_advance gave %d: %s", r,
                     error_text (cmd));
      if (r == 1)
        {
          ck_assert_msg (closed, "the run was over while the child waited");
          break;
        }
    }
  ck_assert (wrote);
  /* Over: nothing to watch, call at once; subproc_advance stays 1.  */
  tmo = -2;
  ck_assert_int_eq (subproc_get_watches (cmd, w, MAX_WATCHES, &tmo), 0);
  ck_assert_int_eq (tmo, 0);
  ck_assert_int_eq (subproc_advance (cmd), 1);
  ck_assert_int_eq (subproc_try_wait (cmd, &status), 1);
  ck_assert_int_eq (status, 0);
  snprintf (num, sizeof num, "%zu\n", len);
  ck_assert_str_eq (out, num);
  ck_assert_int_eq (subproc_advance (cmd), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  subproc_free (cmd);
  free (out);
  free (in);
}
END_TEST

/* A deadline bounds the time the caller's loop may wait: a child that
   neither writes nor ends is over at its timeout, reported by
   subproc_wait.  */
START_TEST (test_own_loop_timeout)
{
  subproc_watch_t w[MAX_WATCHES];
  int tmo = -2;
  test_sink_t s;
  subproc_t *cmd = test_helper_on (_i, "sleep-forever", NULL);

  test_sink_init (&s, 1, false);
  subproc_set_output_sink (cmd, test_sink_func, &s, 0);
  subproc_set_timeout (cmd, 200);
  subproc_set_grace_period (cmd, 0);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  for (long step = 0;; step++)
    {
      int n = subproc_get_watches (cmd, w, MAX_WATCHES, &tmo);
      ck_assert_msg (n >= 0, "subproc_get_watches: %s", error_text (cmd));
      if (step == 0)
        ck_assert_msg (tmo >= 0 && tmo <= 200,
                       "%d ms to wait with a deadline 200 ms away", tmo);
      wait_watches (w, n, tmo);
      int r = subproc_advance (cmd);
      ck_assert_int_ge (r, 0);
      if (r == 1)
        break;
    }
  ck_assert_int_eq (subproc_get_watches (cmd, w, MAX_WATCHES, &tmo), 0);
  ck_assert_int_eq (tmo, 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_TIMEOUT);
  test_sink_check (&s);
  ck_assert_uint_eq (s.len, 0);
  subproc_free (cmd);
  test_sink_free (&s);
}
END_TEST

/* Room for the watches: 4 + the number of send buffers is always
   enough, even with every stream and send buffer pending; a child that
   ends without reading its send buffers still ends the run.  */
START_TEST (test_watch_room)
{
  enum { SENDS = 3 };
  const size_t len = 4 << 20;
  char *data = malloc (len), *out = NULL, *err = NULL;
  subproc_watch_t w[MAX_WATCHES];
  int in[2], tmo = -2, status = -1;
  subproc_t *cmd = held_child (_i, in);

  ck_assert_ptr_nonnull (data);
  memset (data, 's', len);
  for (int k = 0; k < SENDS; k++)
    ck_assert_int_gt (subproc_set_send_buffer (cmd, data, len), 2);
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  int n = subproc_get_watches (cmd, NULL, 0, &tmo);
  ck_assert_int_ge (n, 1);
  ck_assert_msg (n <= 4 + SENDS, "%d watches, more than 4 + %d", n, SENDS);
  ck_assert_int_eq (subproc_get_watches (cmd, w, MAX_WATCHES, &tmo), n);
#ifndef _WIN32
  int writes = 0;
  for (int i = 0; i < n; i++)
    writes += (w[i].events & SUBPROC_WATCH_WRITE) != 0;
  ck_assert_msg (writes == SENDS, "%d writable watches for %d send buffers",
                 writes, SENDS);
#endif
  test_close (in[1]);
  test_advance_until_over (cmd);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_str_eq (out, "0\n");
  ck_assert_str_eq (err, "");
  subproc_free (cmd);
  test_close (in[0]);
  free (out);
  free (err);
  free (data);
}
END_TEST

/* A command with do_async_io in the caller's loop: the watches and
   subproc_advance only notice the end of its run; its I/O is the
   library's thread's.  */
START_TEST (test_own_loop_async_io)
{
  char *out = NULL;
  size_t len = 0;
  int status = -1;
  subproc_t *cmd = test_helper_on (_i, "index-out", "2", "500000", "0",
                                   NULL);

  subproc_set_output_bytes (cmd, &out, &len);
  subproc_do_async_io (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  test_advance_until_over (cmd);
  ck_assert_int_eq (subproc_try_wait (cmd, &status), 1);
  ck_assert_int_eq (status, 0);
  ck_assert_uint_eq (len, 500000);
  assert_index_data ("buffer", out, len, 2, 1);
  subproc_free (cmd);
  free (out);
}
END_TEST

/* In a dry run nothing runs: subproc_poll finds the run over at once.  */
START_TEST (test_dry_run)
{
  int status = -1;
  size_t ended = 99;
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  subproc_t *cmd = subproc_new ("prog");
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_poll (&cmd, 1, -1, &ended), 1);
  ck_assert_uint_eq (ended, 0);
  ck_assert_int_eq (subproc_try_wait (cmd, &status), 1);
  ck_assert_int_eq (status, 0);
  subproc_free (cmd);
  char *log = subproc_dry_run_end ();
  ck_assert_str_eq (log, "prog\n");
  free (log);
}
END_TEST

/* Can this system give pidfds (false under a valgrind that does not know
   pidfd_open)?  */
#if !defined _WIN32 && defined __linux__ && defined SP_POSIX_HAVE_PIDFD
static bool
pidfds_work (void)
{
# ifndef SYS_pidfd_open
#  define SYS_pidfd_open 434
# endif
  long fd = syscall (SYS_pidfd_open, (long) getpid (), 0L);
  if (fd < 0)
    return false;
  close ((int) fd);
  return true;
}
#endif

/* subproc_get_handle: the child's pidfd (Linux), readable once it has
   ended, or its process HANDLE (Win32), signaled then; where there is
   none, SUBPROC_ERR_UNSUPPORTED, and subproc_get_watches asks to be
   called back after a while.  Without a child, SUBPROC_ERR_STATE.  */
START_TEST (test_handle)
{
  int in[2], status = -1, tmo = -2;
  subproc_handle_t h;
  subproc_watch_t w[MAX_WATCHES];
  subproc_t *cmd = held_child (_i, in);

  ck_assert_int_eq (subproc_get_handle (cmd, &h), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  int r = subproc_get_handle (cmd, &h);
#if defined _WIN32
  ck_assert_msg (r == 0, "%s", error_text (cmd));
  ck_assert_uint_eq (WaitForSingleObject (h, 0), WAIT_TIMEOUT);
  test_close (in[1]);
  ck_assert_uint_eq (WaitForSingleObject (h, POLL_GUARD_MS), WAIT_OBJECT_0);
#else
  /* Where pidfd_open works the library has a pidfd; a library built
     without pidfds has none.  */
# if defined __linux__ && defined SP_POSIX_HAVE_PIDFD
  if (pidfds_work ())
    ck_assert_msg (r == 0, "%s", last_error_text ());
# elif !defined SP_POSIX_HAVE_PIDFD
  ck_assert_int_eq (r, -1);
# endif
  if (r == 0)
    {
      ck_assert_msg (r == 0, "%s", error_text (cmd));
      struct pollfd p = { h, POLLIN, 0 };
      ck_assert_int_ge (h, 0);
      ck_assert_int_eq (poll (&p, 1, 0), 0);
      test_close (in[1]);
      do
        r = poll (&p, 1, -1);
      while (r < 0 && errno == EINTR);
      ck_assert_int_eq (r, 1);
      ck_assert (p.revents & POLLIN);
      /* Still the command's until it is reaped.  */
      subproc_handle_t again;
      ck_assert_int_eq (subproc_get_handle (cmd, &again), 0);
      ck_assert_int_eq (again, h);
    }
  else
    {
      ck_assert_int_eq (r, -1);
      assert_last_error (SUBPROC_ERR_UNSUPPORTED);
      ck_assert_int_ge (subproc_get_watches (cmd, w, MAX_WATCHES, &tmo), 0);
      ck_assert_msg (tmo >= 0, "no pollable handle, yet no time limit");
      test_close (in[1]);
    }
#endif
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_int_eq (subproc_get_handle (cmd, &h), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  (void) w;
  (void) tmo;
  subproc_free (cmd);
  test_close (in[0]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Bad input.  */

START_TEST (test_bad_input)
{
  subproc_watch_t w[MAX_WATCHES];
  size_t ended[4] = { 99, 99, 99, 99 };
  int tmo = -2, in[2];
  subproc_t *idle = test_helper_cmd ("exit", "0", NULL);
  subproc_t *cmds[4] = { NULL, idle, NULL, NULL };

  /* Nothing to drive.  */
  ck_assert_int_eq (subproc_poll (NULL, 0, 0, NULL), 0);
  ck_assert_int_eq (subproc_poll (cmds, 0, 0, ended), 0);
  {
    subproc_t *none[2] = { NULL, NULL };
    ck_assert_int_eq (subproc_poll (none, 2, 0, ended), 0);
  }
  /* A command that never ran counts as over at once, even without a time
     limit; NULL entries are skipped.  */
  ck_assert_int_eq (subproc_poll (cmds, 4, -1, ended), 1);
  ck_assert_uint_eq (ended[0], 1);
  /* So does one whose run was collected.  */
  test_run_ok (idle);
  ck_assert_int_eq (subproc_poll (cmds, 3, -1, ended), 1);
  ck_assert_uint_eq (ended[0], 1);
  /* No array, or no room for the result.  */
  ck_assert_int_eq (subproc_poll (NULL, 2, 0, ended), -1);
  assert_last_error (SUBPROC_ERR_INVALID);
  ck_assert_int_eq (subproc_poll (cmds, 3, 0, NULL), -1);
  assert_last_error (SUBPROC_ERR_INVALID);

  /* subproc_advance without a run.  */
  ck_assert_int_eq (subproc_advance (idle), -1);
  test_assert_error (idle, SUBPROC_ERR_STATE);
  assert_last_error (SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_advance (NULL), -1);
  ck_assert_int_eq (subproc_get_watches (NULL, w, MAX_WATCHES, &tmo), -1);
  {
    subproc_handle_t h;
    ck_assert_int_eq (subproc_get_handle (NULL, &h), -1);
  }

  /* Too little room: the count needed, which is then enough.  */
  {
    char *out = NULL, *err = NULL;
    subproc_t *cmd = held_child (_i, in);
    int n, again;

    subproc_set_output_buffer (cmd, &out);
    subproc_set_error_buffer (cmd, &err);
    ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
    n = subproc_get_watches (cmd, NULL, 0, &tmo);
    ck_assert_msg (n >= 2, "%d watches for a child with two captured "
                   "streams", n);
    ck_assert_int_le (n, 4);
    memset (w, 0xff, sizeof w);
    ck_assert_int_eq (subproc_get_watches (cmd, w, 1, &tmo), n);
    again = subproc_get_watches (cmd, w, (size_t) n, &tmo);
    ck_assert_int_eq (again, n);
    ck_assert_int_eq (subproc_get_watches (cmd, w, MAX_WATCHES, &tmo), n);
    /* Still running: the command is not over for subproc_poll.  */
    cmds[0] = cmd;
    ck_assert_int_eq (subproc_poll (cmds, 1, 0, ended), 0);
    ck_assert_int_eq (subproc_advance (cmd), 0);
    test_close (in[1]);
    poll_one (cmd);
    ck_assert_int_eq (subproc_advance (cmd), 1);
    ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
    ck_assert_str_eq (out, "0\n");
    ck_assert_str_eq (err, "");
    ck_assert_int_eq (subproc_advance (cmd), -1);
    test_assert_error (cmd, SUBPROC_ERR_STATE);
    subproc_free (cmd);
    free (out);
    free (err);
    test_close (in[0]);
  }
  subproc_free (idle);
}
END_TEST

/* A TCase of its own for test_NAME, with the leak accounting, LOOPS
   loop runs (the spawn path is _i where it matters) and a timeout of
   SECONDS.  */
#define MANY_CASE(suite, name, loops, seconds)                              \
  do                                                                        \
    {                                                                       \
      TCase *tc_ = tcase_create (#name);                                    \
      TEST_ACCOUNTING (tc_);                                                \
      tcase_set_timeout (tc_, (seconds));                                   \
      tcase_add_loop_test (tc_, test_##name, 0, (loops));                   \
      suite_add_tcase ((suite), tc_);                                       \
    }                                                                       \
  while (0)

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("many");
#ifdef _WIN32
  MANY_CASE (s, hundreds, 1, 600);
#else
  MANY_CASE (s, hundreds, 2, 600);
#endif
  MANY_CASE (s, inputs_and_send_buffers, 1, 600);
  MANY_CASE (s, handshakes, 1, 300);
  MANY_CASE (s, timeouts, 1, 300);
#ifndef _WIN32
  MANY_CASE (s, grace_period, 2, 300);
#endif
  MANY_CASE (s, waits_beside_poll, 1, 300);
  MANY_CASE (s, waits_run_the_io, 2, 300);
  MANY_CASE (s, signal_under_poll, 2, 300);
#ifndef _WIN32
  MANY_CASE (s, signal_group_under_poll, 2, 300);
#endif
  MANY_CASE (s, over_stays_over, 2, 300);
  MANY_CASE (s, sink_calls_other, 2, 300);
  MANY_CASE (s, own_loop, 2, 300);
  MANY_CASE (s, own_loop_timeout, 2, 300);
  MANY_CASE (s, watch_room, 2, 300);
  MANY_CASE (s, own_loop_async_io, 2, 300);
  MANY_CASE (s, handle, 2, 300);
  MANY_CASE (s, dry_run, 1, 300);
  MANY_CASE (s, bad_input, 2, 300);
  return s;
}

MAIN_SUITE (make_suite)
