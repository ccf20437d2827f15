/* capture.c: the buffer-capture engine, through the helper child.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The test process keeps SIGPIPE at its default disposition throughout:
 * a write to a child that stopped reading must not kill it.
 */

#include <config.h>

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "internal.h"
#include "subproc.h"

#define MIB (1024 * 1024)

/* The pattern the helper writes: 'a'..'z' repeating.  */
static void
assert_pattern (const char *buf, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (buf[i] != 'a' + (char) (i % 26))
      ck_abort_msg ("byte %zu is %d", i, buf[i]);
}

/* The "Feeding & capturing strings" examples of libvirt's guide to
   spawning commands.  */
START_TEST (test_guide_buffers)
{
  const char *input = "Hello World\n";
  char *output = NULL, *errors = NULL;
  subproc_t *cmd = test_helper_cmd ("echo", NULL);
  subproc_set_input_buffer (cmd, input);
  subproc_set_output_buffer (cmd, &output);
  subproc_set_error_buffer (cmd, &errors);
  test_run_ok (cmd);
  subproc_free (cmd);
  /* The buffers outlive the command.  */
  ck_assert_str_eq (output, "Hello World\n");
  ck_assert_str_eq (errors, "");
  free (output);
  free (errors);
}
END_TEST

START_TEST (test_empty_output_allocated)
{
  char *out = NULL, *err = NULL;
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);
  test_run_ok (cmd);
  ck_assert_ptr_nonnull (out);
  ck_assert_ptr_nonnull (err);
  ck_assert_str_eq (out, "");
  ck_assert_str_eq (err, "");
  subproc_free (cmd);
  free (out);
  free (err);
}
END_TEST

START_TEST (test_interleaved)
{
  char *both = NULL;
  subproc_t *cmd = test_helper_cmd ("interleave", "200", NULL);
  subproc_set_output_buffer (cmd, &both);
  subproc_set_error_buffer (cmd, &both);
  test_run_ok (cmd);
  subproc_free (cmd);
  /* In the order the child wrote.  */
  const char *p = both;
  for (int i = 0; i < 200; i++)
    {
      char line[64];
      snprintf (line, sizeof line, "out %d\nerr %d\n", i, i);
      ck_assert_msg (strncmp (p, line, strlen (line)) == 0,
                     "at %d: %.20s", i, p);
      p += strlen (line);
    }
  ck_assert_str_eq (p, "");
  free (both);
}
END_TEST

START_TEST (test_binary_output)
{
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = test_helper_cmd ("write-nul", NULL);
  subproc_set_output_bytes (cmd, &out, &len);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_uint_eq (len, 5);
  ck_assert_int_eq (memcmp (out, "a\0b\0c", 6), 0);
  free (out);
}
END_TEST

START_TEST (test_binary_input)
{
  char in[1000];
  for (size_t i = 0; i < sizeof in; i++)
    in[i] = (char) (i % 7 == 0 ? 0 : i);
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = test_helper_cmd ("echo", NULL);
  subproc_set_input_bytes (cmd, in, sizeof in);
  subproc_set_output_bytes (cmd, &out, &len);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_uint_eq (len, sizeof in);
  ck_assert_int_eq (memcmp (out, in, sizeof in), 0);
  ck_assert_int_eq (out[len], '\0');
  free (out);
}
END_TEST

/* 64 MiB in, 64 MiB out and 64 MiB on stderr at once: no deadlock, no
   lost byte.  */
START_TEST (test_big_three_ways)
{
  size_t n = 64 * MIB;
  char *in = malloc (n);
  ck_assert_ptr_nonnull (in);
  for (size_t i = 0; i < n; i++)
    in[i] = (char) ('A' + i % 23);
  char *out = NULL, *err = NULL;
  size_t out_len = 0, err_len = 0;
  char count[32];
  snprintf (count, sizeof count, "%zu", n);
  subproc_t *cmd = test_helper_cmd ("echo-and-err", count, NULL);
  subproc_set_input_bytes (cmd, in, n);
  subproc_set_output_bytes (cmd, &out, &out_len);
  subproc_set_error_bytes (cmd, &err, &err_len);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_uint_eq (out_len, n);
  ck_assert_uint_eq (err_len, n);
  ck_assert (memcmp (out, in, n) == 0);
  assert_pattern (err, err_len);
  free (in);
  free (out);
  free (err);
}
END_TEST

/* The machine is so loaded that the run's I/O gets no time before the
   child has ended, then little at a time, and none at all for output
   after the child's end: everything the child wrote is still read, on
   both streams.  The child's bytes wait in the pipes (less than either
   holds, so that it can end without a reader).  */
START_TEST (test_child_output_outlasts_drain_time)
{
  size_t n = 60000;
  char *out = NULL, *err = NULL;
  size_t out_len = 0, err_len = 0;
  subproc_t *cmd = test_helper_cmd ("write-both", "60000", NULL);
  subproc_set_output_bytes (cmd, &out, &out_len);
  subproc_set_error_bytes (cmd, &err, &err_len);
  sp_capture_test.late_start = true;
  sp_capture_test.read_max = 4096;
  sp_capture_test.no_drain_time = true;
  int r = subproc_run (cmd, NULL);
  sp_capture_test = (struct sp_capture_test) { 0 };
  ck_assert_int_eq (r, 0);
  subproc_free (cmd);
  ck_assert_uint_eq (out_len, n);
  ck_assert_uint_eq (err_len, n);
  assert_pattern (out, out_len);
  assert_pattern (err, err_len);
  free (out);
  free (err);
}
END_TEST

/* The same with the library's I/O thread.  */
START_TEST (test_child_output_outlasts_drain_time_async)
{
  size_t n = 60000;
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = test_helper_cmd ("write-bytes", "60000", NULL);
  subproc_set_output_bytes (cmd, &out, &len);
  subproc_do_async_io (cmd);
  sp_capture_test.late_start = true;
  sp_capture_test.read_max = 1000;
  sp_capture_test.no_drain_time = true;
  int r = subproc_run_async (cmd, NULL);
  if (r == 0)
    r = subproc_wait (cmd, NULL);
  sp_capture_test = (struct sp_capture_test) { 0 };
  ck_assert_int_eq (r, 0);
  subproc_free (cmd);
  ck_assert_uint_eq (len, n);
  assert_pattern (out, len);
  free (out);
}
END_TEST

/* A grandchild that shares the child's stdout and writes to it without
   end: the run still ends once the child has, with what the child wrote
   (its stderr) and a part of the grandchild's output.  */
START_TEST (test_grandchild_writes_forever)
{
  char *out = NULL, *err = NULL;
  size_t out_len = 0;
  subproc_t *cmd = test_helper_cmd ("grandchild-writer", NULL);
  subproc_set_output_bytes (cmd, &out, &out_len);
  subproc_set_error_buffer (cmd, &err);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_ptr_nonnull (err);
  long pid = strtol (err, NULL, 10);
  ck_assert_int_gt (pid, 0);
  test_kill_pid (pid);
  assert_pattern (out, out_len);
  free (out);
  free (err);
}
END_TEST

/* A child that reads one byte and closes its stdin while 100 MiB are
   offered: the rest is dropped, no error, no SIGPIPE.  */
START_TEST (test_child_closes_stdin)
{
  size_t n = 100 * MIB;
  char *in = malloc (n);
  ck_assert_ptr_nonnull (in);
  memset (in, 'x', n);
#ifdef SIGPIPE
  /* Still the default: the library must be immune without changing it.  */
  ck_assert_ptr_eq (signal (SIGPIPE, SIG_DFL), SIG_DFL);
#endif
  char *out = NULL;
  subproc_t *cmd = test_helper_cmd ("read-one", NULL);
  subproc_set_input_bytes (cmd, in, n);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_str_eq (out, "closed\n");
  free (out);
  free (in);
}
END_TEST

START_TEST (test_timeout_writer)
{
  /* A child that writes and never exits.  The time limit leaves a
     loaded machine (a Windows child under Wine starts slowly) time
     enough to start the child and read what it wrote.  */
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = test_helper_cmd ("write-then-sleep", "100000", NULL);
  subproc_set_output_bytes (cmd, &out, &len);
  subproc_set_timeout (cmd, 2000);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_TIMEOUT);
  /* What was collected is kept.  */
  ck_assert_uint_eq (len, 100000);
  assert_pattern (out, len);
  subproc_free (cmd);
  free (out);

  /* A child that neither writes nor exits.  */
  cmd = test_helper_cmd ("sleep-forever", NULL);
  subproc_set_output_bytes (cmd, &out, &len);
  subproc_set_timeout (cmd, 300);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_TIMEOUT);
  /* Buffers are allocated and freeable after the failure.  */
  ck_assert_ptr_nonnull (out);
  ck_assert_uint_eq (len, 0);
  subproc_free (cmd);
  free (out);
}
END_TEST

/* The child ends but leaves a grandchild holding its stdout: the run
   returns once the child is gone and its pipe is drained.  */
START_TEST (test_grandchild_holds_pipe)
{
  char *out = NULL;
  int64_t start = test_now_ms ();
  subproc_t *cmd = test_helper_cmd ("grandchild", "20000", NULL);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_msg (test_now_ms () - start < 10000, "waited for the grandchild");
  ck_assert_ptr_nonnull (out);
  long pid = strtol (out, NULL, 10);
  ck_assert_int_gt (pid, 0);
  test_kill_pid (pid);
  free (out);
}
END_TEST

START_TEST (test_max_output)
{
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = test_helper_cmd ("write-forever", NULL);
  subproc_set_output_bytes (cmd, &out, &len);
  subproc_set_max_output (cmd, 3 * MIB + 17);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_int_eq (err->code, SUBPROC_ERR_IO);
  ck_assert_ptr_nonnull (strstr (err->message, "exceeded"));
  ck_assert_uint_eq (len, 3 * MIB + 17);
  assert_pattern (out, len);
  subproc_free (cmd);
  free (out);
}
END_TEST

/* A limit at or near SIZE_MAX is no limit: small and large outputs
   arrive whole.  (The timeout only bounds a regression: a read size
   wrapped to 0 dropped the output or stalled the pipe.)  */
START_TEST (test_max_output_huge_limit)
{
  static const size_t limits[] = { SIZE_MAX, SIZE_MAX - 1 };
  for (size_t k = 0; k < sizeof limits / sizeof limits[0]; k++)
    {
      char *out = NULL;
      size_t len = 0;
      subproc_t *cmd = test_helper_cmd ("print", "small", NULL);
      subproc_set_output_bytes (cmd, &out, &len);
      subproc_set_max_output (cmd, limits[k]);
      subproc_set_timeout (cmd, 60000);
      test_run_ok (cmd);
      subproc_free (cmd);
      ck_assert_uint_eq (len, 5);
      ck_assert_str_eq (out, "small");
      free (out);

      char count[32];
      snprintf (count, sizeof count, "%d", 8 * MIB + 3);
      cmd = test_helper_cmd ("write-bytes", count, NULL);
      subproc_set_output_bytes (cmd, &out, &len);
      subproc_set_max_output (cmd, limits[k]);
      subproc_set_timeout (cmd, 60000);
      test_run_ok (cmd);
      subproc_free (cmd);
      ck_assert_uint_eq (len, 8 * MIB + 3);
      assert_pattern (out, len);
      free (out);
    }
}
END_TEST

START_TEST (test_failed_exit_carries_stderr)
{
  char *err = NULL;
  subproc_t *cmd = test_helper_cmd ("err-exit", "disk on fire", "4", NULL);
  subproc_set_error_buffer (cmd, &err);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_int_eq (e->code, SUBPROC_ERR_EXIT_STATUS);
  ck_assert_ptr_nonnull (strstr (e->message, "status 4"));
  ck_assert_ptr_nonnull (strstr (e->message, "disk on fire"));
  ck_assert_str_eq (err, "disk on fire\n");
  subproc_free (cmd);
  free (err);
}
END_TEST

START_TEST (test_async_io)
{
  char *out = NULL;
  int status = -1;
  subproc_t *cmd = test_helper_cmd ("echo", NULL);
  subproc_set_input_buffer (cmd, "async hello\n");
  subproc_set_output_buffer (cmd, &out);
  subproc_do_async_io (cmd);
  ck_assert_msg (subproc_run_async (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_str_eq (out, "async hello\n");
  subproc_free (cmd);
  free (out);

  /* Abort while the engine runs.  */
  cmd = test_helper_cmd ("write-forever", NULL);
  subproc_set_output_bytes (cmd, &out, &(size_t){ 0 });
  subproc_do_async_io (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  test_sleep_ms (50);
  subproc_abort (cmd);
  ck_assert_ptr_nonnull (out);
  subproc_free (cmd);
  free (out);

  /* Free while the engine runs.  */
  cmd = test_helper_cmd ("write-forever", NULL);
  subproc_set_output_bytes (cmd, &out, &(size_t){ 0 });
  subproc_do_async_io (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  subproc_free (cmd);
  free (out);
}
END_TEST

/* A handshake with async I/O: the child is held with its pipes open, so
   the I/O thread cannot end before it does.  Waited for without a
   notify, the child is ended at once (not at the timeout, which is only
   there so that a regression fails instead of hanging) and the wait
   reports the handshake; with the notify, it runs normally.  */
START_TEST (test_async_io_handshake)
{
  char *out = NULL;
  int status = -1;
  subproc_t *cmd = test_helper_cmd ("echo", NULL);
  subproc_set_input_buffer (cmd, "held\n");
  subproc_set_output_buffer (cmd, &out);
  subproc_do_async_io (cmd);
  subproc_require_handshake (cmd);
  subproc_set_timeout (cmd, 60000);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (status, -1);
  ck_assert_ptr_nonnull (out);
  subproc_free (cmd);
  free (out);

  out = NULL;
  cmd = test_helper_cmd ("echo", NULL);
  subproc_set_input_buffer (cmd, "let go\n");
  subproc_set_output_buffer (cmd, &out);
  subproc_do_async_io (cmd);
  subproc_require_handshake (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  ck_assert_int_eq (subproc_handshake_notify (cmd), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_str_eq (out, "let go\n");
  subproc_free (cmd);
  free (out);
}
END_TEST

START_TEST (test_send_buffer)
{
  char *out = NULL;
  subproc_t *cmd = subproc_new (test_helper ());
  int fd = subproc_set_send_buffer (cmd, "secret\0data", 11);
  ck_assert_int_gt (fd, 2);
  subproc_add_arg (cmd, "fd-read");
  subproc_add_arg_format (cmd, "%d", fd);
  size_t len = 0;
  subproc_set_output_bytes (cmd, &out, &len);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_uint_eq (len, 11);
  ck_assert_int_eq (memcmp (out, "secret\0data", 11), 0);
  free (out);

  /* A send buffer that is never run leaves no descriptor behind (the
     leak check of the fixture would see it).  */
  cmd = subproc_new (test_helper ());
  ck_assert_int_gt (subproc_set_send_buffer (cmd, "x", 1), 2);
  subproc_free (cmd);
}
END_TEST

static int log_calls;
static char log_text[256];

static void
on_log (int level, const char *msg, void *opaque)
{
  (void) level;
  (void) opaque;
  log_calls++;
  snprintf (log_text, sizeof log_text, "%s", msg);
}

/* Streams nobody captured are logged while the library runs the I/O.  */
START_TEST (test_uncaptured_logged)
{
  char *out = NULL;
  subproc_set_log_func (on_log, NULL);
  subproc_t *cmd = test_helper_cmd ("err-exit", "to the log", "0", NULL);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  subproc_set_log_func (NULL, NULL);
  ck_assert_int_ge (log_calls, 1);
  ck_assert_ptr_nonnull (strstr (log_text, "to the log"));
  free (out);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("capture");
  TEST_CASE (s, guide_buffers);
  TEST_CASE (s, empty_output_allocated);
  TEST_CASE (s, interleaved);
  TEST_CASE (s, binary_output);
  TEST_CASE (s, binary_input);
  TEST_CASE (s, big_three_ways);
  TEST_CASE (s, child_output_outlasts_drain_time);
  TEST_CASE (s, child_output_outlasts_drain_time_async);
  TEST_CASE (s, grandchild_writes_forever);
  TEST_CASE (s, child_closes_stdin);
  TEST_CASE (s, timeout_writer);
  TEST_CASE (s, grandchild_holds_pipe);
  TEST_CASE (s, max_output);
  TEST_CASE (s, max_output_huge_limit);
  TEST_CASE (s, failed_exit_carries_stderr);
  TEST_CASE (s, async_io);
  TEST_CASE (s, async_io_handshake);
  TEST_CASE (s, send_buffer);
  TEST_CASE (s, uncaptured_logged);
  return s;
}

MAIN_SUITE (make_suite)
