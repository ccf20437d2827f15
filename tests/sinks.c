/* sinks.c: the child's output as it arrives, in chunks and in lines.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A sink sees every byte of its stream, unchanged and in order, whether
 * the I/O runs in subproc_run, in subproc_wait, in subproc_poll, in the
 * caller's own loop with subproc_advance or on the thread of
 * subproc_do_async_io, and (POSIX) always with cancellation disabled.
 * In line mode every call is one line with its '\n', a longer line
 * comes in pieces of exactly SUBPROC_SINK_LINE_MAX bytes, and only the
 * last line of the stream may lack its '\n' (test_sink_func
 * checks these rules on every call).  A sink that returns non-zero stops
 * its child; the output limit counts what sinks receive.  The children
 * here that would write for ever are stopped by the sink or the limit,
 * so that no result depends on timing.
 */

#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "subproc.h"

#define LINE_MAX_ SUBPROC_SINK_LINE_MAX

/* How the tests below run a command.  */
enum how
{
  HOW_RUN,       /* subproc_run */
  HOW_WAIT,      /* subproc_run_async, then subproc_wait: no thread */
  HOW_POLL,      /* subproc_run_async, then subproc_poll until over */
  HOW_ASYNC_IO,  /* subproc_do_async_io, then subproc_wait */
  HOW_ADVANCE,   /* subproc_run_async, then the caller's own loop with
                    subproc_get_watches and subproc_advance */
  HOW_TRY_WAIT,  /* subproc_run_async, then subproc_try_wait until over */
  HOW_COUNT
};

static const char *const how_names[]
  = { "subproc_run",     "subproc_wait",    "subproc_poll",
      "do_async_io",     "subproc_advance", "subproc_try_wait" };

/* The longest subproc_poll waits in one call where Check cannot end a
   test that hangs (Windows); elsewhere no limit.  */
#ifdef _WIN32
# define POLL_GUARD_MS 120000
#else
# define POLL_GUARD_MS (-1)
#endif


/* Drive CMD, started with subproc_run_async, with subproc_poll until its
   run is over.  */
static void
poll_until_over (subproc_t *cmd)
{
  size_t ended = 99;
  int r = subproc_poll (&cmd, 1, POLL_GUARD_MS, &ended);
  ck_assert_msg (r == 1, "subproc_poll gave %d: %s", r,
                 subproc_last_error () ? subproc_last_error ()->message
                                       : "time up");
  ck_assert_uint_eq (ended, 0);
}

/* Run CMD as HOW says; the result of the run (or of its wait).  */
static int
run_how (subproc_t *cmd, enum how how, int *status)
{
  if (how == HOW_RUN)
    return subproc_run (cmd, status);
  if (how == HOW_ASYNC_IO)
    subproc_do_async_io (cmd);
  if (subproc_run_async (cmd, NULL) < 0)
    return -1;
  if (how == HOW_POLL)
    poll_until_over (cmd);
  else if (how == HOW_ADVANCE)
    test_advance_until_over (cmd);
  else if (how == HOW_TRY_WAIT)
    {
      /* The guard (ten minutes at least) is for Windows, where Check
         cannot end a test that hangs.  */
      for (long k = 0; k < 600000; k++)
        {
          int r = subproc_try_wait (cmd, status);
          if (r != 0)
            return r == 1 ? 0 : -1;
          test_sleep_ms (1);
        }
      ck_abort_msg ("subproc_try_wait: the run is not over");
    }
  return subproc_wait (cmd, status);
}

/* Check that the first LEN bytes of DATA are stream STREAM of the
   helper's "index-out INDEX".  */
static void
assert_index_data (const char *data, size_t len, unsigned long index,
                   int stream)
{
  for (size_t i = 0; i < len; i++)
    if ((unsigned char) data[i] != test_index_byte (index, stream, i))
      ck_abort_msg ("child %lu, stream %d: byte %zu is %d, not %d", index,
                    stream, i, (unsigned char) data[i],
                    test_index_byte (index, stream, i));
}

/* ------------------------------------------------------------------ */
/* Chunks.  */

/* A sink that also notes the thread it runs on and whether cancellation
   was disabled there.  */
typedef struct thread_sink
{
  test_sink_t s;
  pthread_t caller;
  int on_caller;      /* calls on the thread that made the sink */
  int elsewhere;      /* calls on another thread */
  int cancel_enabled; /* calls with cancellation enabled */
} thread_sink_t;

static int
thread_sink_func (void *opaque, int stream, const char *data, size_t len)
{
  thread_sink_t *t = opaque;
  int old = PTHREAD_CANCEL_ENABLE;

  if (pthread_equal (pthread_self (), t->caller))
    t->on_caller++;
  else
    t->elsewhere++;
#ifndef _WIN32
  /* (On Win32 the library has no POSIX threads' cancellation to hold
     off.)  */
  if (pthread_setcancelstate (PTHREAD_CANCEL_DISABLE, &old) == 0)
    {
      if (old != PTHREAD_CANCEL_DISABLE)
        t->cancel_enabled++;
      pthread_setcancelstate (old, &old);
    }
#else
  (void) old;
#endif
  return test_sink_func (&t->s, stream, data, len);
}

static void
thread_sink_init (thread_sink_t *t, int stream, bool lines)
{
  memset (t, 0, sizeof *t);
  test_sink_init (&t->s, stream, lines);
  t->caller = pthread_self ();
}

/* Both streams, binary with NUL bytes and larger than any pipe, reach
   their sinks whole, on the thread that runs the I/O, with cancellation
   disabled (POSIX).  */
START_TEST (test_chunks_unchanged)
{
  for (int how = 0; how < HOW_COUNT; how++)
    {
      thread_sink_t out, err;
      int status = -1;
      subproc_t *cmd = test_helper_on (how % 2, "index-out", "5", "300001",
                                       "70007", NULL);

      thread_sink_init (&out, 1, false);
      thread_sink_init (&err, 2, false);
      subproc_set_output_sink (cmd, thread_sink_func, &out, 0);
      subproc_set_error_sink (cmd, thread_sink_func, &err, 0);
      ck_assert_msg (run_how (cmd, how, &status) == 0, "%s: %s",
                     how_names[how], subproc_get_error (cmd)->message);
      ck_assert_int_eq (status, 0);
      test_sink_check (&out.s);
      test_sink_check (&err.s);
      ck_assert_uint_eq (out.s.len, 300001);
      ck_assert_uint_eq (err.s.len, 70007);
      assert_index_data (out.s.data, out.s.len, 5, 1);
      assert_index_data (err.s.data, err.s.len, 5, 2);
      ck_assert_int_eq (out.cancel_enabled + err.cancel_enabled, 0);
      if (how == HOW_ASYNC_IO)
        ck_assert_msg (out.on_caller + err.on_caller == 0,
                       "a sink ran on the caller's thread with "
                       "do_async_io");
      else
        ck_assert_msg (out.elsewhere + err.elsewhere == 0,
                       "%s: a sink ran on another thread", how_names[how]);
      subproc_free (cmd);
      test_sink_free (&out.s);
      test_sink_free (&err.s);
    }
}
END_TEST

/* A child that writes nothing: the sink is never called with data, and
   the run succeeds.  */
START_TEST (test_no_output)
{
  for (int how = 0; how < HOW_COUNT; how++)
    {
      test_sink_t out, err;
      subproc_t *cmd = test_helper_on (how % 2, "exit", "0", NULL);

      test_sink_init (&out, 1, how % 2);
      test_sink_init (&err, 2, false);
      subproc_set_output_sink (cmd, test_sink_func, &out,
                               how % 2 ? SUBPROC_SINK_LINES : 0);
      subproc_set_error_sink (cmd, test_sink_func, &err, 0);
      ck_assert_msg (run_how (cmd, how, NULL) == 0, "%s: %s", how_names[how],
                     subproc_get_error (cmd)->message);
      test_sink_check (&out);
      test_sink_check (&err);
      ck_assert_uint_eq (out.len, 0);
      ck_assert_uint_eq (err.len, 0);
      if (out.lines)
        ck_assert_uint_eq (out.calls, 0);
      subproc_free (cmd);
      test_sink_free (&out);
      test_sink_free (&err);
    }
}
END_TEST

/* A sink on one stream, a buffer on the other; one sink function for
   both streams, told apart by STREAM; every run delivers again.  */
START_TEST (test_sink_beside_buffer)
{
  char *buf = NULL;
  size_t len = 0;
  test_sink_t s;
  subproc_t *cmd = test_helper_on (_i, "index-out", "9", "100000", "5000",
                                   NULL);

  test_sink_init (&s, 1, false);
  subproc_set_output_sink (cmd, test_sink_func, &s, 0);
  subproc_set_error_bytes (cmd, &buf, &len);
  for (int run = 0; run < 2; run++)
    {
      test_run_ok (cmd);
      test_sink_check (&s);
      ck_assert_uint_eq (s.len, 100000);
      assert_index_data (s.data, s.len, 9, 1);
      ck_assert_uint_eq (len, 5000);
      assert_index_data (buf, len, 9, 2);
      free (buf);
      buf = NULL;
      test_sink_free (&s);
    }
  subproc_free (cmd);

  cmd = test_helper_on (_i, "index-out", "10", "777", "66000", NULL);
  test_sink_init (&s, 2, false);
  subproc_set_output_bytes (cmd, &buf, &len);
  subproc_set_error_sink (cmd, test_sink_func, &s, 0);
  test_run_ok (cmd);
  test_sink_check (&s);
  ck_assert_uint_eq (len, 777);
  assert_index_data (buf, len, 10, 1);
  ck_assert_uint_eq (s.len, 66000);
  assert_index_data (s.data, s.len, 10, 2);
  free (buf);
  test_sink_free (&s);
  subproc_free (cmd);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Lines.  */

/* Feed LEN bytes of INPUT through the helper's SUB ("echo", "echo-err"
   or "dribble") to a line sink of the stream it writes to and check the
   calls: their lengths, in order, are the N_PIECES of PIECES, and
   together they are INPUT.  */
static void
check_lines (int path, const char *sub, const char *input, size_t len,
             const size_t *pieces, size_t n_pieces)
{
  int stream = strcmp (sub, "echo-err") == 0 ? 2 : 1;
  test_sink_t s;
  subproc_t *cmd = test_helper_on (path, sub, NULL);

  test_sink_init (&s, stream, true);
  subproc_set_input_bytes (cmd, input, len);
  if (stream == 1)
    subproc_set_output_sink (cmd, test_sink_func, &s, SUBPROC_SINK_LINES);
  else
    subproc_set_error_sink (cmd, test_sink_func, &s, SUBPROC_SINK_LINES);
  test_run_ok (cmd);
  subproc_free (cmd);
  test_sink_check (&s);
  ck_assert_uint_eq (s.len, len);
  ck_assert_msg (len == 0 || memcmp (s.data, input, len) == 0,
                 "the lines are not the input");
  for (size_t i = 0; i < s.calls && i < n_pieces; i++)
    ck_assert_msg (s.pieces[i] == pieces[i],
                   "%s: call %zu has %zu bytes, not %zu", sub, i,
                   s.pieces[i], pieces[i]);
  ck_assert_uint_eq (s.calls, n_pieces);
  test_sink_free (&s);
}

#define CHECK_LINES(path, sub, lit, ...)                                    \
  do                                                                        \
    {                                                                       \
      static const size_t pieces_[] = { __VA_ARGS__ };                      \
      check_lines ((path), (sub), (lit), sizeof (lit) - 1, pieces_,         \
                   sizeof pieces_ / sizeof pieces_[0]);                     \
    }                                                                       \
  while (0)

/* Short lines: the last one without its newline, empty lines, NUL bytes
   inside lines, CRLF unchanged.  */
START_TEST (test_lines_short)
{
  CHECK_LINES (_i, "echo", "one\ntwo\n\nthree", 4, 4, 1, 5);
  CHECK_LINES (_i, "echo", "\n\n\n", 1, 1, 1);
  CHECK_LINES (_i, "echo", "a\0b\n\0\n\0", 4, 2, 1);
  CHECK_LINES (_i, "echo", "x\r\ny\r\n\r\nz\r", 3, 3, 2, 2);
  CHECK_LINES (_i, "echo", "no newline at all", 17);
  CHECK_LINES (_i, "echo-err", "err\nlines\n", 4, 6);
  check_lines (_i, "echo", "", 0, NULL, 0);
}
END_TEST

/* One line written a byte at a time is still one call.  */
START_TEST (test_lines_small_writes)
{
  CHECK_LINES (_i, "dribble",
               "a line that the child writes one byte at a time\nnext\n",
               48, 5);
  CHECK_LINES (_i, "dribble", "\0\0\0\n\r\n", 4, 2);
  CHECK_LINES (_i, "dribble", "tail", 4);
}
END_TEST

/* Lines longer than SUBPROC_SINK_LINE_MAX come in pieces of exactly that
   size, the last with the newline, nothing dropped; a line of exactly
   that size, newline included, is one call.  */
START_TEST (test_lines_long)
{
  size_t len = 3 * LINE_MAX_ + 1000;
  char *in = malloc (len);
  ck_assert_ptr_nonnull (in);

  /* 2 * MAX + 100 bytes and the newline, then "tail\n".  */
  for (size_t i = 0; i < len; i++)
    in[i] = (char) ('A' + i % 26);
  in[2 * LINE_MAX_ + 100] = '\n';
  memcpy (in + 2 * LINE_MAX_ + 101, "tail\n", 5);
  {
    size_t pieces[] = { LINE_MAX_, LINE_MAX_, 101, 5 };
    check_lines (_i, "echo", in, 2 * LINE_MAX_ + 106, pieces, 4);
  }

  /* Exactly MAX with its newline; then MAX + 1 with it; then MAX - 1.  */
  for (size_t i = 0; i < len; i++)
    in[i] = (char) ('a' + i % 26);
  in[LINE_MAX_ - 1] = '\n';
  in[2 * LINE_MAX_] = '\n';
  in[3 * LINE_MAX_ - 1] = '\n';
  {
    size_t pieces[] = { LINE_MAX_, LINE_MAX_, 1, LINE_MAX_ - 1 };
    check_lines (_i, "echo", in, 3 * LINE_MAX_, pieces, 4);
  }

  /* A long last line without a newline: MAX, MAX, then the rest.  */
  for (size_t i = 0; i < len; i++)
    in[i] = (char) (i % 7 == 0 ? '\0' : 'x');
  {
    size_t pieces[] = { LINE_MAX_, LINE_MAX_, 77 };
    check_lines (_i, "echo", in, 2 * LINE_MAX_ + 77, pieces, 3);
  }

  /* Exactly MAX bytes, no newline, at the end of the stream.  */
  {
    size_t pieces[] = { LINE_MAX_ };
    check_lines (_i, "echo-err", in, LINE_MAX_, pieces, 1);
  }
  free (in);
}
END_TEST

/* Binary output of both streams in line mode, through every way of
   running: the pieces put together are the streams.  */
START_TEST (test_lines_binary_streams)
{
  for (int how = 0; how < HOW_COUNT; how++)
    {
      test_sink_t out, err;
      subproc_t *cmd = test_helper_on (how % 2, "index-out", "3", "200003",
                                       "90001", NULL);

      test_sink_init (&out, 1, true);
      test_sink_init (&err, 2, true);
      subproc_set_output_sink (cmd, test_sink_func, &out,
                               SUBPROC_SINK_LINES);
      subproc_set_error_sink (cmd, test_sink_func, &err, SUBPROC_SINK_LINES);
      ck_assert_msg (run_how (cmd, how, NULL) == 0, "%s: %s", how_names[how],
                     subproc_get_error (cmd)->message);
      test_sink_check (&out);
      test_sink_check (&err);
      ck_assert_uint_eq (out.len, 200003);
      ck_assert_uint_eq (err.len, 90001);
      assert_index_data (out.data, out.len, 3, 1);
      assert_index_data (err.data, err.len, 3, 2);
      /* Every call ends a line (one '\n' in every 256 bytes of the pattern),
         but the last.  */
      for (size_t i = 0; i + 1 < out.calls; i++)
        ck_assert_uint_le (out.pieces[i], 511);
      subproc_free (cmd);
      test_sink_free (&out);
      test_sink_free (&err);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Dry runs.  */

static void
fake_output (subproc_dry_run_io_t *io, void *opaque)
{
  (void) opaque;
  io->output = "one\ntwo\n\nend";
  io->output_len = (size_t) -1;
  io->error = "e\0rr\n";
  io->error_len = 5;
  io->status = 3;
}

/* In a dry run the fake output goes to the sinks, in lines or chunks as
   asked, before the run returns.  */
START_TEST (test_dry_run)
{
  for (int async = 0; async < 2; async++)
    {
      test_sink_t out, err;
      int status = -1;
      subproc_t *cmd;

      test_sink_init (&out, 1, true);
      test_sink_init (&err, 2, false);
      ck_assert_int_eq (subproc_dry_run_begin (fake_output, NULL), 0);
      cmd = subproc_new ("prog");
      subproc_set_output_sink (cmd, test_sink_func, &out, SUBPROC_SINK_LINES);
      subproc_set_error_sink (cmd, test_sink_func, &err, 0);
      if (async)
        {
          ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
          ck_assert_int_eq (subproc_wait (cmd, &status), 0);
        }
      else
        ck_assert_int_eq (subproc_run (cmd, &status), 0);
      ck_assert_int_eq (status, 3);
      subproc_free (cmd);
      free (subproc_dry_run_end ());
      test_sink_check (&out);
      test_sink_check (&err);
      ck_assert_str_eq (out.data, "one\ntwo\n\nend");
      ck_assert_uint_eq (out.calls, 4);
      ck_assert_uint_eq (out.pieces[0], 4);
      ck_assert_uint_eq (out.pieces[1], 4);
      ck_assert_uint_eq (out.pieces[2], 1);
      ck_assert_uint_eq (out.pieces[3], 3);
      ck_assert_uint_eq (err.len, 5);
      ck_assert_int_eq (memcmp (err.data, "e\0rr\n", 5), 0);
      test_sink_free (&out);
      test_sink_free (&err);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Builder errors.  */

START_TEST (test_builder_errors)
{
  test_sink_t s;
  char *buf = NULL;
  size_t len = 0;
  int fd = -1;

  test_sink_init (&s, 1, false);
  for (int k = 0; k < 8; k++)
    {
      subproc_t *cmd = test_helper_cmd ("print", "x", NULL);
      switch (k)
        {
        case 0:
          subproc_set_output_buffer (cmd, &buf);
          subproc_set_output_sink (cmd, test_sink_func, &s, 0);
          break;
        case 1:
          subproc_set_output_sink (cmd, test_sink_func, &s, 0);
          subproc_set_output_bytes (cmd, &buf, &len);
          break;
        case 2:
          subproc_set_output_fd (cmd, &fd);
          subproc_set_output_sink (cmd, test_sink_func, &s, 0);
          break;
        case 3:
          subproc_set_error_sink (cmd, test_sink_func, &s, 0);
          subproc_set_error_fd (cmd, &fd);
          break;
        case 4:
          subproc_set_error_buffer (cmd, &buf);
          subproc_set_error_sink (cmd, test_sink_func, &s,
                                  SUBPROC_SINK_LINES);
          break;
        case 5:
          subproc_set_output_sink (cmd, NULL, &s, 0);
          break;
        case 6:
          /* A flag that does not exist.  */
          subproc_set_output_sink (cmd, test_sink_func, &s, 1U << 7);
          break;
        default:
          subproc_set_error_sink (cmd, NULL, NULL, SUBPROC_SINK_LINES);
          break;
        }
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      test_assert_error (cmd, SUBPROC_ERR_INVALID);
      ck_assert_int_eq (subproc_run_async (cmd, NULL), -1);
      test_assert_error (cmd, SUBPROC_ERR_INVALID);
      subproc_free (cmd);
      ck_assert_int_eq (fd, -1);
      ck_assert_uint_eq (s.calls, 0);
      free (buf);
      buf = NULL;
    }
  /* A NULL command is accepted.  */
  subproc_set_output_sink (NULL, test_sink_func, &s, 0);
  subproc_set_error_sink (NULL, test_sink_func, &s, 0);
}
END_TEST

/* ------------------------------------------------------------------ */
/* A sink that stops its child.  */

typedef struct stopper
{
  test_sink_t s;
  size_t after;    /* return VALUE once this many bytes came */
  int value;
  int stops;       /* calls that returned VALUE */
} stopper_t;

static int
stopper_func (void *opaque, int stream, const char *data, size_t len)
{
  stopper_t *st = opaque;
  test_sink_func (&st->s, stream, data, len);
  if (st->s.len < st->after)
    return 0;
  st->stops++;
  return st->value;
}

/* A child that would write for ever, on stdout or on stderr (loop index
   / 2), in chunks or lines (loop index % 2), is stopped by its sink,
   however the run is driven: it fails with SUBPROC_ERR_IO (ECANCELED),
   the message naming the stream and the value, and the sink gets
   nothing more.  */
START_TEST (test_sink_stops_child)
{
  int stream = _i / 2 ? 2 : 1;
  bool lines = _i % 2;

  for (int how = 0; how < HOW_COUNT; how++)
    {
      stopper_t st;
      int status = -1;
      subproc_t *cmd = stream == 1
                         ? test_helper_on (how % 2, "write-forever", NULL)
                         : test_helper_on (how % 2, "write-bytes",
                                           "2000000000", "err", NULL);

      memset (&st, 0, sizeof st);
      test_sink_init (&st.s, stream, lines);
      st.after = how == HOW_POLL ? 1 : 150000;
      st.value = how == HOW_RUN ? -3 : 42 + how;
      if (stream == 1)
        subproc_set_output_sink (cmd, stopper_func, &st,
                                 lines ? SUBPROC_SINK_LINES : 0);
      else
        subproc_set_error_sink (cmd, stopper_func, &st,
                                lines ? SUBPROC_SINK_LINES : 0);
      ck_assert_int_eq (run_how (cmd, how, &status), -1);
      const subproc_error_t *err = subproc_get_error (cmd);
      ck_assert_ptr_nonnull (err);
      ck_assert_msg (err->code == SUBPROC_ERR_IO && err->sys_errno == ECANCELED,
                     "%s: %s (%s, errno %d)", how_names[how], err->message,
                     subproc_error_name (err->code), err->sys_errno);
      char value[16];
      snprintf (value, sizeof value, "%d", st.value);
      ck_assert_msg (strstr (err->message, value) != NULL,
                     "the message does not name the value %s: %s", value,
                     err->message);
      const char *name = stream == 1 ? "output" : "error";
      ck_assert_msg (strstr (err->message, name) != NULL,
                     "the message does not name the %s stream: %s", name,
                     err->message);
      test_sink_check (&st.s);
      /* Nothing more is given to the sink in that run.  */
      ck_assert_int_eq (st.stops, 1);
      ck_assert_uint_ge (st.s.len, st.after);
      /* What the sink got is the pattern, unchanged.  */
      for (size_t i = 0; i < st.s.len; i++)
        if (st.s.data[i] != 'a' + (char) (i % 26))
          ck_abort_msg ("%s: byte %zu is %d", how_names[how], i,
                        st.s.data[i]);
      subproc_free (cmd);
      test_sink_free (&st.s);
    }
}
END_TEST

/* The command runs again after a sink stopped it, and the sink that
   lets it go sees all the output.  */
START_TEST (test_rerun_after_stop)
{
  stopper_t st;
  subproc_t *cmd = test_helper_on (_i, "write-bytes", "250000", NULL);

  memset (&st, 0, sizeof st);
  test_sink_init (&st.s, 1, false);
  st.after = 1;
  st.value = 1;
  subproc_set_output_sink (cmd, stopper_func, &st, 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_IO);
  test_sink_free (&st.s);

  st.after = SIZE_MAX;
  test_run_ok (cmd);
  test_sink_check (&st.s);
  ck_assert_uint_eq (st.s.len, 250000);
  ck_assert_int_eq (st.stops, 1);
  test_sink_free (&st.s);
  subproc_free (cmd);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The output limit.  */

/* The output limit counts what sinks receive: the run fails with
   SUBPROC_ERR_IO, and the sinks got the limit, no more, as a buffer
   would (lines: no more, and no whole line less).  */
START_TEST (test_max_output_counts_sinks)
{
  const size_t limit = 200000 + 17;

  for (int how = 0; how < HOW_COUNT; how++)
    {
      test_sink_t out, err;
      char *buf = NULL;
      size_t len = 0;
      subproc_t *cmd;

      /* One stream to a sink (lines every other time).  */
      test_sink_init (&out, 1, how % 2);
      cmd = test_helper_on (how % 2, "write-forever", NULL);
      subproc_set_output_sink (cmd, test_sink_func, &out,
                               how % 2 ? SUBPROC_SINK_LINES : 0);
      subproc_set_max_output (cmd, limit);
      ck_assert_int_eq (run_how (cmd, how, NULL), -1);
      test_assert_error (cmd, SUBPROC_ERR_IO);
      ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                     "exceeded"));
      test_sink_check (&out);
      /* In chunks the sink gets exactly the limit; in lines, the whole
         lines within it (and perhaps the part of a line that was read
         up to it).  */
      if (out.lines)
        ck_assert_msg (out.len <= limit && out.len + LINE_MAX_ > limit,
                       "%s: the line sink got %zu bytes, limit %zu",
                       how_names[how], out.len, limit);
      else
        ck_assert_msg (out.len == limit,
                       "%s: the sink got %zu bytes, not %zu",
                       how_names[how], out.len, limit);
      subproc_free (cmd);
      test_sink_free (&out);

      /* Both streams, a sink and a buffer, counted together.  */
      test_sink_init (&err, 2, false);
      cmd = test_helper_on (how % 2, "write-both", "100000000", NULL);
      subproc_set_output_bytes (cmd, &buf, &len);
      subproc_set_error_sink (cmd, test_sink_func, &err, 0);
      subproc_set_max_output (cmd, limit);
      ck_assert_int_eq (run_how (cmd, how, NULL), -1);
      test_assert_error (cmd, SUBPROC_ERR_IO);
      test_sink_check (&err);
      ck_assert_msg (len + err.len == limit,
                     "%s: %zu + %zu bytes, not %zu", how_names[how], len,
                     err.len, limit);
      free (buf);
      subproc_free (cmd);
      test_sink_free (&err);

      /* Under the limit: everything arrives.  */
      test_sink_init (&out, 1, false);
      cmd = test_helper_on (how % 2, "index-out", "1", "100000", "0", NULL);
      subproc_set_output_sink (cmd, test_sink_func, &out, 0);
      subproc_set_max_output (cmd, 100000);
      ck_assert_msg (run_how (cmd, how, NULL) == 0, "%s: %s", how_names[how],
                     subproc_get_error (cmd)->message);
      test_sink_check (&out);
      ck_assert_uint_eq (out.len, 100000);
      assert_index_data (out.data, out.len, 1, 1);
      subproc_free (cmd);
      test_sink_free (&out);
    }
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("sinks");
  TEST_CASE (s, chunks_unchanged);
  TEST_CASE (s, no_output);
  BOTH_PATHS (s, sink_beside_buffer);
  BOTH_PATHS (s, lines_short);
  BOTH_PATHS (s, lines_small_writes);
  BOTH_PATHS (s, lines_long);
  TEST_CASE (s, lines_binary_streams);
  TEST_CASE (s, dry_run);
  TEST_CASE (s, builder_errors);
  {
    TCase *tc = tcase_create ("sink_stops_child");
    TEST_ACCOUNTING (tc);
    /* stdout or stderr, in chunks or lines.  */
    tcase_add_loop_test (tc, test_sink_stops_child, 0, 4);
    suite_add_tcase (s, tc);
  }
  BOTH_PATHS (s, rerun_after_stop);
  TEST_CASE (s, max_output_counts_sinks);
  return s;
}

MAIN_SUITE (make_suite)
