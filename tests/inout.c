/* inout.c: large inputs, the copy the library takes of them, and the
 * input side of the pump.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A large input is copied by the library in a way of its own (on Linux
 * a read-only mapping of huge pages, made present before the copy, whose
 * pages go into the pipe with vmsplice; see sp_backend_payload_copy in
 * src/posix/io.c) and
 * gets a large pipe from its first write (src/posix/io.c).  These tests check that
 * the bytes the child sees are exactly the caller's at the time of the
 * call, around the size thresholds and at sizes that are no multiple of
 * a page, that a large input survives every allocation failing once, and
 * (POSIX) that what a grandchild reads from the input pipe after the
 * command is freed is still the input.
 */

#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
# include <unistd.h>
#endif
#ifdef __GLIBC__
# include <malloc.h>
#endif

#include "backend.h"
#include "common.h"
#include "subproc.h"

#define MIB (1024 * 1024)

/* Bytes whose value depends on their offset over a long period, so that
   a block moved, lost or repeated shows.  */
static char *
make_input (size_t n)
{
  char *p = malloc (n ? n : 1);
  ck_assert_ptr_nonnull (p);
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < n; i++)
    {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      p[i] = (char) (x >> 24);
    }
  return p;
}

static void
assert_same (const char *got, size_t got_len, const char *want,
             size_t want_len)
{
  ck_assert_uint_eq (got_len, want_len);
  for (size_t i = 0; i < want_len; i++)
    if (got[i] != want[i])
      ck_abort_msg ("byte %zu of %zu differs", i, want_len);
}

/* Echo N bytes through the child and compare.  */
static void
round_trip (int path, size_t n)
{
  char *in = make_input (n);
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = test_helper_on (path, "echo", NULL);
  subproc_set_input_bytes (cmd, in, n);
  subproc_set_output_bytes (cmd, &out, &len);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_ptr_nonnull (out);
  assert_same (out, len, in, n);
  ck_assert_int_eq (out[len], '\0');
  free (out);
  free (in);
}

/* Around the size from which the copy and the pipe change, and sizes
   that end inside a page or a huge page.  */
static const size_t sizes[] = {
  MIB - 1, MIB,         MIB + 1,         4 * MIB - 1,
  4 * MIB, 4 * MIB + 1, 6 * MIB + 12345, 2 * MIB + 4096 - 1,
};

START_TEST (test_sizes)
{
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    round_trip (_i, sizes[i]);
}
END_TEST

/* The child sees the bytes as they were when the input was set: the
   caller may change or free its buffer right after the call.  */
START_TEST (test_copy_taken_at_call)
{
  size_t n = 8 * MIB + 3;
  char *in = make_input (n);
  char *want = malloc (n);
  ck_assert_ptr_nonnull (want);
  memcpy (want, in, n);
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = test_helper_on (_i, "echo", NULL);
  subproc_set_input_bytes (cmd, in, n);
  memset (in, 'Z', n);
  free (in);
  subproc_set_output_bytes (cmd, &out, &len);
  test_run_ok (cmd);
  subproc_free (cmd);
  assert_same (out, len, want, n);
  free (out);
  free (want);
}
END_TEST

/* A large input that is never run: freed with the command, nothing
   leaks (valgrind and the sanitizers check).  */
START_TEST (test_never_run)
{
  size_t n = 5 * MIB;
  char *in = make_input (n);
  subproc_t *cmd = test_helper_cmd ("echo", NULL);
  subproc_set_input_bytes (cmd, in, n);
  free (in);
  ck_assert_ptr_null (subproc_get_error (cmd));
  subproc_free (cmd);
}
END_TEST

/* A large input the child never reads, next to a large send buffer it
   copies to its stdout.  */
START_TEST (test_input_and_send_buffer)
{
  size_t n = 5 * MIB + 7, m = 4 * MIB + 9;
  char *in = make_input (n);
  char *extra = make_input (m);
  for (size_t i = 0; i < m; i++)
    extra[i] ^= 0x5a;
  char *out = NULL;
  size_t out_len = 0;
  subproc_t *cmd = test_helper_cmd ("fd-read", NULL);
  int fd = subproc_set_send_buffer (cmd, extra, m);
  ck_assert_int_ge (fd, 0);
  char num[16];
  snprintf (num, sizeof num, "%d", fd);
  subproc_add_arg (cmd, num);
  subproc_set_input_bytes (cmd, in, n);
  subproc_set_output_bytes (cmd, &out, &out_len);
  test_run_ok (cmd);
  subproc_free (cmd);
  assert_same (out, out_len, extra, m);
  free (out);
  free (extra);
  free (in);
}
END_TEST

/* Every allocation of a run with a large input fails once: each run
   reports SUBPROC_ERR_NOMEM or ends as the normal run, and leaks
   nothing.  */
START_TEST (test_oom_large_input)
{
  size_t n = 4 * MIB + 1;
  char *in = make_input (n);
  unsigned long total = 0;
  for (unsigned long k = 0;; k++)
    {
      sp_alloc_fail_at (k);
      char *out = NULL;
      size_t len = 0;
      subproc_t *cmd = test_helper_cmd ("echo", NULL);
      subproc_set_input_bytes (cmd, in, n);
      subproc_set_output_bytes (cmd, &out, &len);
      int r = subproc_run (cmd, NULL);
      if (r < 0)
        {
          ck_assert_uint_gt (k, 0);
          const subproc_error_t *e = subproc_last_error ();
          ck_assert_ptr_nonnull (e);
          ck_assert_int_eq (e->code, SUBPROC_ERR_NOMEM);
          /* What was collected before the failure, if anything.  */
          if (out)
            {
              ck_assert_uint_le (len, n);
              assert_same (out, len, in, len);
            }
        }
      else
        assert_same (out, len, in, n);
      subproc_free (cmd);
      unsigned long count = sp_alloc_count ();
      sp_alloc_fail_at (0);
      free (out);
      if (k == 0)
        total = count;
      else if (k >= total && count < k)
        break;
      ck_assert_uint_lt (k, total + 1000);
    }
  free (in);
}
END_TEST

#ifndef _WIN32
/* A grandchild holds the input pipe and reads it only after the command
   has been freed and its memory reused: it must still read the input.
   The child takes exactly one byte, so the pipe holds input bytes when it
   exits; the library then closes its end, and the grandchild copies what
   is left to a file.  */
START_TEST (test_grandchild_reads_after_free)
{
  size_t n = 8 * MIB;
#ifdef M_MMAP_THRESHOLD
  /* Large blocks from the heap, which reuses freed memory at once (glibc
     otherwise maps and unmaps them): a library that handed the pipe
     pages of a malloc block, or of the caller's, would be caught.  */
  mallopt (M_MMAP_THRESHOLD, 256 * MIB);
  mallopt (M_TRIM_THRESHOLD, 512 * MIB);
#endif
  char *in = make_input (n);
  char *want = malloc (n);
  ck_assert_ptr_nonnull (want);
  memcpy (want, in, n);
  char *file = test_tmp_path ("rest");
  char *out = NULL;
  subproc_t *cmd = subproc_new ("/bin/sh");
  subproc_add_arg (cmd, "-c");
  subproc_add_arg (cmd,
                   "dd bs=1 count=1 of=/dev/null 2>/dev/null || exit 1; "
                   "exec 3<&0; "
                   "(sleep 1; cat <&3 >\"$1.tmp\" && mv \"$1.tmp\" \"$1\") "
                   ">/dev/null 2>&1 & exit 0");
  subproc_add_arg (cmd, "sh");
  subproc_add_arg (cmd, file);
  subproc_set_input_bytes (cmd, in, n);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  free (out);

  /* Change the caller's buffer, and reuse as much freed memory as we can,
     before the grandchild reads.  */
  memset (in, 'Y', n);
  for (int round = 0; round < 4; round++)
    {
      char *junk = malloc (n);
      ck_assert_ptr_nonnull (junk);
      memset (junk, 'Z', n);
      free (junk);
    }

  char *rest = NULL;
  size_t len = 0;
  int64_t start = test_now_ms ();
  while (access (file, F_OK) != 0)
    {
      ck_assert_msg (test_now_ms () - start < 30000,
                     "the grandchild never wrote %s", file);
      test_sleep_ms (50);
    }
  rest = test_read_file (file, &len);
  ck_assert_uint_gt (len, 0);
  ck_assert_uint_lt (len, n);
  assert_same (rest, len, want + 1, len);
  free (rest);
  free (file);
  free (want);
  free (in);
}
END_TEST
#endif

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("inout");
  BOTH_PATHS (s, sizes);
  BOTH_PATHS (s, copy_taken_at_call);
  TEST_CASE (s, never_run);
  TEST_CASE (s, input_and_send_buffer);
  TEST_CASE (s, oom_large_input);
#ifndef _WIN32
  TEST_CASE_WITH_TMPDIR (s, grandchild_reads_after_free);
#endif
  return s;
}

MAIN_SUITE (make_suite)
