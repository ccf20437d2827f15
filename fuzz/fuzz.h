/* fuzz.h: what the fuzz targets share.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each target is one file defining LLVMFuzzerTestOneInput.  Built with
 * clang and -fsanitize=fuzzer (make fuzz, scripts/run-fuzz.sh) it is a
 * libFuzzer program; built with the normal compiler and fuzz/replay.c it
 * is a test that feeds it every file of its committed corpus (make check).
 *
 * A target that finds a mismatch calls FUZZ_FAIL, which prints what went
 * wrong and aborts, so that libFuzzer saves the input as a crash and the
 * replay test fails.
 */

#ifndef SUBPROC_FUZZ_H
#define SUBPROC_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Print "fuzz: FILE:LINE: MESSAGE" (MESSAGE formatted as by printf) on
   stderr and abort.  */
#define FUZZ_FAIL(...) fuzz_fail (__FILE__, __LINE__, __VA_ARGS__)

/* Abort with FUZZ_FAIL unless COND holds.  */
#define FUZZ_ASSERT(cond)                                                   \
  do                                                                        \
    {                                                                       \
      if (!(cond))                                                          \
        FUZZ_FAIL ("assertion failed: %s", #cond);                          \
    }                                                                       \
  while (0)

void fuzz_fail (const char *file, int line, const char *fmt, ...)
#if defined __GNUC__
  __attribute__ ((noreturn, format (printf, 3, 4)))
#endif
  ;

/* A NULL-terminated vector of strings made from fuzz input.  */
typedef struct fuzz_strv
{
  char **v;
  size_t n;
} fuzz_strv_t;

/* Split SIZE bytes at DATA at each NUL byte into at most MAX strings
   (the last one keeps the rest, NULs dropped).  An input without any
   byte gives no string; a trailing NUL gives a last empty string.  */
fuzz_strv_t fuzz_split (const uint8_t *data, size_t size, size_t max);

/* Free what fuzz_split made.  */
void fuzz_strv_free (fuzz_strv_t *v);

/* Write S (LEN bytes) to stderr with every byte outside printable ASCII
   as \xHH, between double quotes, for failure messages.  */
void fuzz_print_escaped (const char *label, const char *s, size_t len);

/* Allocate, or FUZZ_FAIL: the targets do not test the system's
   allocator.  */
void *fuzz_xmalloc (size_t size);

/* Growable bytes: DATA is NUL-terminated once a byte was put.  */
typedef struct fuzz_bytes
{
  char *data;
  size_t len, cap;
} fuzz_bytes_t;

/* Append C to B (FUZZ_FAIL when memory runs out).  */
void fuzz_bytes_put (fuzz_bytes_t *b, char c);

#endif /* SUBPROC_FUZZ_H */
