/* common.h: what every test program shares.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A test program is one Check suite for one area of the library:
 *
 *   START_TEST (test_runs_true)
 *   {
 *     ...ck_assert_int_eq (...);
 *   }
 *   END_TEST
 *
 *   static Suite *
 *   make_suite (void)
 *   {
 *     Suite *s = suite_create ("basic");
 *     TEST_CASE (s, runs_true);
 *     TEST_CASE_WITH_TMPDIR (s, writes_a_file);
 *     return s;
 *   }
 *
 *   MAIN_SUITE (make_suite)
 *
 * Each test gets a TCase of its own, named after it, so that a failure
 * names the test and CK_RUN_CASE=runs_true runs that test alone.  The
 * helpers below that can fail fail the current test with a Check
 * assertion; call them from tests and fixtures only.
 *
 * On Windows (mingw, under Wine) Check cannot fork: all tests run in one
 * process, a crash ends the program, and timeouts do nothing, so a test
 * that waits must bound the wait itself.
 *
 * Leak accounting.  Every test made with the macros below is accounted
 * for on its own (test_account_begin / test_account_end, a checked
 * fixture, so it runs in the test's own process where Check forks): at
 * its end the test process must have as many descriptors open as at its
 * start (and on Windows as many handles), and no child left, running or
 * ended (Windows: as many processes started by this one still running as
 * at the start).  sp_test_main does the same for the whole program, at
 * exit after every test.  A difference fails the test, or the program.
 * (Grandchildren are not children: test_kill_pid is for them.)  Memory is accounted for by the tools
 * CI runs every suite under: LeakSanitizer (the ASan build) and valgrind
 * memcheck check each test's process at its exit where Check forks, and
 * fail the test with its leak; where Check cannot fork they check the
 * whole program.  (The library frees with free(), so its allocation
 * wrapper cannot count what is live.)  A TCase made by hand gets the same
 * accounting with TEST_ACCOUNTING (tc).
 */

#ifndef SUBPROC_TESTS_COMMON_H
#define SUBPROC_TESTS_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#if defined __MINGW32__ && defined __GNUC__
/* check.h marks its assertion functions format (printf), which GCC reads
   as msvcrt's printf on mingw, where %jd and %zu do not exist; Check
   formats with a C99 printf of its own.  Have GCC read GNU printf.  */
# pragma push_macro ("printf")
# undef printf
# define printf gnu_printf
# include <check.h>
# pragma pop_macro ("printf")
/* Check cannot fork on Windows; there its assertion functions are not
   marked noreturn (they longjmp), so GCC cannot tell that a pointer that
   ck_assert_ptr_nonnull accepted is not NULL afterwards.  */
# pragma GCC diagnostic ignored "-Wnull-dereference"
#else
# include <check.h>
#endif

#include "subproc.h"

/* Account for the descriptors, handles and children of every test of TC
   (see above).  Call it before adding the TCase's own fixtures, so that
   what they make and undo happens inside the accounting.  */
#define TEST_ACCOUNTING(tc)                                                 \
  tcase_add_checked_fixture ((tc), test_account_begin, test_account_end)

void test_account_begin (void);
void test_account_end (void);

/* Add the test test_NAME (declared with START_TEST (test_NAME)) to SUITE
   in a TCase of its own called NAME.  */
#define TEST_CASE(suite, name)                                              \
  do                                                                        \
    {                                                                       \
      TCase *tc_##name = tcase_create (#name);                              \
      TEST_ACCOUNTING (tc_##name);                                          \
      tcase_add_test (tc_##name, test_##name);                              \
      suite_add_tcase ((suite), tc_##name);                                 \
    }                                                                       \
  while (0)

/* The same, with SETUP and TEARDOWN (void (*) (void), either may be NULL)
   run around the test in the test's own process (a checked fixture).
   Where Check forks, a failed assertion ends that process at once, so
   TEARDOWN runs only after a test that passed.  */
#define TEST_CASE_WITH_FIXTURE(suite, name, setup, teardown)                \
  do                                                                        \
    {                                                                       \
      TCase *tc_##name = tcase_create (#name);                              \
      TEST_ACCOUNTING (tc_##name);                                          \
      tcase_add_checked_fixture (tc_##name, (setup), (teardown));           \
      tcase_add_test (tc_##name, test_##name);                              \
      suite_add_tcase ((suite), tc_##name);                                 \
    }                                                                       \
  while (0)

/* A test that runs in a fresh temporary directory, test_tmpdir.  The
   directory is made and removed by the process that runs the suite (an
   unchecked fixture), so it goes away even when the test fails or
   crashes.  */
#define TEST_CASE_WITH_TMPDIR(suite, name)                                  \
  do                                                                        \
    {                                                                       \
      TCase *tc_##name = tcase_create (#name);                              \
      TEST_ACCOUNTING (tc_##name);                                          \
      tcase_add_unchecked_fixture (tc_##name, test_tmpdir_setup,            \
                                   test_tmpdir_teardown);                   \
      tcase_add_test (tc_##name, test_##name);                              \
      suite_add_tcase ((suite), tc_##name);                                 \
    }                                                                       \
  while (0)

/* A test run once on each spawn path (Check's loop index _i: 0 the fast
   path, 1 the fork path; see test_helper_on), each run in a fresh
   temporary directory made and removed in the test's own process.  */
#define BOTH_PATHS(suite, name)                                             \
  do                                                                        \
    {                                                                       \
      TCase *tc_##name = tcase_create (#name);                              \
      TEST_ACCOUNTING (tc_##name);                                          \
      tcase_add_checked_fixture (tc_##name, test_tmpdir_setup,              \
                                 test_tmpdir_teardown);                     \
      tcase_add_loop_test (tc_##name, test_##name, 0, 2);                   \
      suite_add_tcase ((suite), tc_##name);                                 \
    }                                                                       \
  while (0)

/* Run the suite that MAKE_SUITE builds, with CK_NORMAL output (CK_VERBOSITY
   in the environment overrides it).  Returns EXIT_SUCCESS when every test
   passed and the program leaves nothing behind (see above), else
   EXIT_FAILURE.  */
int sp_test_main (Suite *(*make_suite) (void));

/* The main function of a test program.  */
#define MAIN_SUITE(make_suite)                                              \
  int                                                                       \
  main (void)                                                               \
  {                                                                         \
    return sp_test_main (make_suite);                                       \
  }
#define SUBPROC_TEST_MAIN(make_suite) MAIN_SUITE (make_suite)

/* ------------------------------------------------------------------ */
/* Where things are                                                   */

/* The helper child program (tests/helper.c), from SUBPROC_TEST_HELPER as
   make check sets it.  Fails the test if it is not set.  */
const char *test_helper (void);

/* The tests/ directory of the source tree, from SUBPROC_TEST_SRCDIR.
   Fails the test if it is not set.  */
const char *test_srcdir (void);

/* ------------------------------------------------------------------ */
/* Commands that run the helper child                                 */

/* A command running the helper with subcommand SUB and the arguments that
   follow, up to a NULL.  */
subproc_t *test_helper_cmd (const char *sub, ...) SUBPROC_SENTINEL;

/* The same, on the spawn path PATH: 0 the fast path, 1 the fork path (a
   pre-exec hook that does nothing forces it).  For tests run on both with
   BOTH_PATHS, PATH is Check's loop index _i.  */
subproc_t *test_helper_on (int path, const char *sub, ...) SUBPROC_SENTINEL;

/* subproc_new_va_list (BIN, the arguments that follow up to a NULL):
   the va_list form, called through a variadic wrapper.  */
subproc_t *test_via_va_list (const char *bin, ...) SUBPROC_SENTINEL;

/* A pre-exec hook that does nothing (it forces the fork path).  */
int test_noop_hook (void *opaque);

/* Run CMD synchronously, failing the test with the error if it fails.  */
void test_run_ok (subproc_t *cmd);

/* ------------------------------------------------------------------ */
/* Temporary directory fixture                                        */

/* The directory made by test_tmpdir_setup, or NULL outside of it.  An
   absolute path, without a trailing separator.  */
extern char *test_tmpdir;

/* Make a new, empty test_tmpdir (under $TMPDIR or /tmp; on Windows under
   GetTempPath).  */
void test_tmpdir_setup (void);

/* Remove test_tmpdir and everything in it.  */
void test_tmpdir_teardown (void);

/* NAME inside test_tmpdir ("DIR/NAME"), newly allocated: free() it.  */
char *test_tmp_path (const char *name);

/* A file in test_tmpdir that looks like a program (executable; on
   Windows named garbage.exe) but is not one, so that the system refuses
   to run it: its path, newly allocated.  */
char *test_garbage_program (void);

/* ------------------------------------------------------------------ */
/* Files                                                              */

/* Is FD an open descriptor of the test process?  */
bool test_fd_is_open (int fd);

/* Everything FD gives until its end of file, NUL-terminated, newly
   allocated: free() it.  */
char *test_read_fd (int fd);

/* One line of at most SIZE - 1 bytes from FD, read byte by byte (so that
   nothing after it is consumed), with its newline, NUL-terminated in
   BUF.  False when FD gave nothing.  */
bool test_read_line (int fd, char *buf, size_t size);

/* The whole contents of PATH, NUL-terminated, newly allocated (free()
   it); *LEN (if LEN is not NULL) receives the length without the NUL.
   Binary mode on Windows.  Fails the test if the file cannot be read.  */
char *test_read_file (const char *path, size_t *len);

/* Create or truncate PATH and write LEN bytes of DATA to it (binary mode
   on Windows).  Fails the test if it cannot.  */
void test_write_file (const char *path, const void *data, size_t len);

/* Open PATH for writing (created with mode 0644, or truncated; binary
   mode on Windows) and return the descriptor.  Fails the test if it
   cannot.  */
int test_open_write (const char *path);

/* Close FD, failing the test if that fails.  */
void test_close (int fd);

/* ------------------------------------------------------------------ */
/* Environment, time and processes                                    */

/* Set or remove a variable of this process's environment (setenv and
   unsetenv; _putenv_s on Windows).  Fail the test if they fail.  */
void test_setenv (const char *name, const char *value);
void test_unsetenv (const char *name);

/* Milliseconds of a monotonic clock.  */
int64_t test_now_ms (void);

/* Sleep for MS milliseconds.  */
void test_sleep_ms (unsigned int ms);

/* Wait up to MS milliseconds for process PID to end (gone, or a zombie
   that is not ours to reap); true if it did.  POSIX only.  */
bool test_pid_ends_within (long pid, int ms);

/* Kill process PID outright (SIGKILL; TerminateProcess on Windows), for
   processes a test leaves behind on purpose, such as grandchildren.  It
   is not reaped: it is not a child of the test.  */
void test_kill_pid (long pid);

/* True when make check runs the tests under valgrind (it sets
   SUBPROC_TEST_VALGRIND to the valgrind command).  Valgrind cannot
   survive a failed execve in a child, and refuses some resource limits;
   the few tests that need those skip themselves with
   test_skip_under_valgrind.  */
bool test_under_valgrind (void);

/* In a test: if running under valgrind, say why on stdout and return
   true (the caller returns at once).  */
bool test_skip_under_valgrind (const char *why);

/* ------------------------------------------------------------------ */
/* Leak accounting                                                    */

/* The number of open descriptors of this process: /proc/self/fd where it
   exists, else every descriptor below 4096 that fcntl accepts; on Windows
   the C runtime descriptors below 2048.  */
int test_count_open_fds (void);

/* ------------------------------------------------------------------ */
/* Many children and sinks                                            */

/* Byte OFF of stream STREAM (1 stdout, 2 stderr) of the helper's
   "index-out INDEX ..." (tests/helper.c computes the same): distinct
   for every child and stream, NUL bytes and newlines included.  */
unsigned char test_index_byte (unsigned long index, int stream,
                               unsigned long long off);

/* Make room for WANT open descriptors in the test process (the soft
   RLIMIT_NOFILE raised towards the hard one, POSIX) and return how many
   there is room for, WANT at most.  */
long test_fd_room (long want);

/* Drive the run of CMD (started with subproc_run_async) as an event
   loop of the caller's would: subproc_get_watches, poll(2) on them
   (WaitForMultipleObjects on Windows) for at most the time it says,
   subproc_advance, until the run is over.  Fails the test if a call
   fails, if the watches leave nothing to wait for and no time limit, or
   (Windows) if no watch is ready for two minutes when no time limit
   was given.  Returns the number of rounds.  */
long test_advance_until_over (subproc_t *cmd);

/* What a sink received, for test_sink_func.  */
typedef struct test_sink
{
  int stream;          /* the stream it is set for (1 or 2) */
  bool lines;          /* set with SUBPROC_SINK_LINES: check each call */
  char *data;          /* every byte received, in order */
  size_t len, size;
  size_t calls;
  size_t *pieces;      /* the length of each call */
  size_t pieces_size;
  bool unterminated;   /* lines: a call without '\n' shorter than
                          SUBPROC_SINK_LINE_MAX came (the last line) */
  char failure[256];   /* the first broken promise, "" if none */
} test_sink_t;

/* Get S ready for a sink of STREAM, in line mode if LINES.  */
void test_sink_init (test_sink_t *s, int stream, bool lines);

/* A subproc_sink_func that appends to the test_sink_t OPAQUE and checks
   what the header promises of every call (the stream; in line mode one
   line per call, at most SUBPROC_SINK_LINE_MAX bytes, nothing after an
   unterminated last line).  It never fails the test itself (it may run
   on the library's thread): test_sink_check does.  Returns 0.  */
int test_sink_func (void *opaque, int stream, const char *data, size_t len);

/* Fail the test if S recorded a failure.  */
void test_sink_check (const test_sink_t *s);

/* Release what S holds (it can be set up again).  */
void test_sink_free (test_sink_t *s);

/* CMD's error (subproc_get_error) has CODE; the message says which it
   has instead.  */
void test_assert_error (subproc_t *cmd, int code);

/* Run CMD, which must succeed, free it and return its output (*LEN: its
   length, if LEN is not NULL).  */
char *test_run_output (subproc_t *cmd, size_t *len);

/* Defined in a build with AddressSanitizer or ThreadSanitizer, whose
   instrumented helper reserves terabytes of address space for its
   shadow memory before main: a limit on address space or data stops it
   before it runs at all, whatever the library does.  */
#if defined __SANITIZE_ADDRESS__ || defined __SANITIZE_THREAD__
# define TEST_SANITIZED_MEMORY 1
#elif defined __has_feature
# if __has_feature (address_sanitizer) || __has_feature (thread_sanitizer)
#  define TEST_SANITIZED_MEMORY 1
# endif
#endif

/* Record the signals that the library sends to children, through the
   backend's signal observer (it may run on the I/O thread), from
   test_observe_begin to test_observe_end, which returns how many were
   sent; the first TEST_OBSERVED_MAX are kept, for test_observed.  */
#define TEST_OBSERVED_MAX 16
void test_observe_begin (void);
int test_observe_end (void);
int test_observed (int i);

#endif /* SUBPROC_TESTS_COMMON_H */
