/* usage.c: what a child used (subproc_get_usage).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The helper burns a known amount of CPU time (spinning until its own
 * clock says so) and writes a known amount of memory; the figures must
 * hold at least most of it, and not absurdly more, on a machine as busy
 * as it likes: nothing here times the library.  Where the system keeps
 * no figure (a clear bit in KNOWN) the field must be 0: Wine (8.0)
 * keeps no CPU times, working sets or fault counts for a process that
 * has ended, and the Win32 tests check that the library says so rather
 * than report zeros as figures.
 */

#include <config.h>

#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
# include <windows.h>
#endif

#include "common.h"
#include "subproc.h"

#define MIB (1024 * 1024)
#define BURN_MS 300
#define BURN_MS_STR "300"

/* What POSIX always knows from the reap.  */
#define POSIX_KNOWN                                                         \
  (SUBPROC_USAGE_USER_TIME | SUBPROC_USAGE_SYSTEM_TIME                     \
   | SUBPROC_USAGE_WALL_TIME | SUBPROC_USAGE_MAX_RSS                        \
   | SUBPROC_USAGE_PAGE_FAULTS | SUBPROC_USAGE_MINOR_FAULTS                 \
   | SUBPROC_USAGE_MAJOR_FAULTS | SUBPROC_USAGE_VOLUNTARY_SWITCHES          \
   | SUBPROC_USAGE_INVOLUNTARY_SWITCHES)

/* The usage of CMD's last run, which must be there.  */
static subproc_usage_t
usage_of (subproc_t *cmd)
{
  subproc_usage_t u;
  memset (&u, 0xa5, sizeof u);
  u.size = sizeof u;
  ck_assert_msg (subproc_get_usage (cmd, &u) == 0, "%s",
                 subproc_get_error (cmd)->message);
  ck_assert_uint_eq (u.size, sizeof u);
  return u;
}

/* Every field whose bit is clear holds 0.  */
static void
check_unknown_zero (const subproc_usage_t *u)
{
  static const struct
  {
    uint64_t bit;
    size_t off;
  } fields[] = {
    { SUBPROC_USAGE_USER_TIME, offsetof (subproc_usage_t, user_time_us) },
    { SUBPROC_USAGE_SYSTEM_TIME,
      offsetof (subproc_usage_t, system_time_us) },
    { SUBPROC_USAGE_WALL_TIME, offsetof (subproc_usage_t, wall_time_us) },
    { SUBPROC_USAGE_MAX_RSS, offsetof (subproc_usage_t, max_rss) },
    { SUBPROC_USAGE_PAGE_FAULTS, offsetof (subproc_usage_t, page_faults) },
    { SUBPROC_USAGE_MINOR_FAULTS,
      offsetof (subproc_usage_t, minor_faults) },
    { SUBPROC_USAGE_MAJOR_FAULTS,
      offsetof (subproc_usage_t, major_faults) },
    { SUBPROC_USAGE_VOLUNTARY_SWITCHES,
      offsetof (subproc_usage_t, voluntary_switches) },
    { SUBPROC_USAGE_INVOLUNTARY_SWITCHES,
      offsetof (subproc_usage_t, involuntary_switches) },
    { SUBPROC_USAGE_PROCESSES, offsetof (subproc_usage_t, processes) },
    { SUBPROC_USAGE_PEAK_COMMIT, offsetof (subproc_usage_t, peak_commit) },
  };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
    if (!(u->known & fields[i].bit))
      {
        uint64_t v;
        memcpy (&v, (const char *) u + fields[i].off, sizeof v);
        ck_assert_msg (v == 0, "unknown field %#lx holds %ld",
                       (unsigned long) fields[i].bit, (long) v);
      }
}

/* What the platform must know about any run.  */
static void
check_known (const subproc_usage_t *u)
{
  check_unknown_zero (u);
#ifdef _WIN32
  /* Wall time (the system's creation and exit times) and the job's
     process count are kept everywhere, Wine included; the rest goes
     together: kept for the process, or not at all.  */
  ck_assert (u->known & SUBPROC_USAGE_WALL_TIME);
  ck_assert (u->known & SUBPROC_USAGE_PROCESSES);
  ck_assert (u->processes >= 1);
  ck_assert (!(u->known & (SUBPROC_USAGE_MINOR_FAULTS
                           | SUBPROC_USAGE_VOLUNTARY_SWITCHES)));
#elif defined HAVE_WAIT4
  ck_assert_msg ((u->known & POSIX_KNOWN) == POSIX_KNOWN, "known %#lx",
                 (unsigned long) u->known);
  ck_assert (!(u->known & (SUBPROC_USAGE_PROCESSES
                           | SUBPROC_USAGE_PEAK_COMMIT)));
  ck_assert_uint_eq (u->page_faults, u->minor_faults + u->major_faults);
#else
  /* Without wait4 the reap gives no rusage: the wall time alone.  */
  ck_assert_uint_eq (u->known, SUBPROC_USAGE_WALL_TIME);
#endif
  ck_assert (u->user_time_us >= 0 && u->system_time_us >= 0
             && u->wall_time_us >= 0);
}

/* The user time of U holds most of BURN_MS ms of CPU (COUNTED) or
   almost none of it, where it is known at all.  */
static void
check_burned (const subproc_usage_t *u, bool counted)
{
  /* The spinning took at least that long.  */
  ck_assert_msg (u->wall_time_us >= BURN_MS * 800, "wall time %ld us",
                 (long) u->wall_time_us);
  if (!(u->known & SUBPROC_USAGE_USER_TIME))
    return;
  if (counted)
    {
      ck_assert_msg (u->user_time_us >= BURN_MS * 800,
                     "user time %ld us", (long) u->user_time_us);
      ck_assert_msg (u->user_time_us < BURN_MS * 20000,
                     "user time %ld us", (long) u->user_time_us);
    }
  else
    ck_assert_msg (u->user_time_us < BURN_MS * 500, "user time %ld us",
                   (long) u->user_time_us);
}

/* ------------------------------------------------------------------ */

/* CPU time and memory through subproc_run, on both spawn paths.  */
START_TEST (test_run_burns)
{
  subproc_t *cmd = test_helper_on (_i, "burn", BURN_MS_STR, "64", NULL);
  test_run_ok (cmd);
  subproc_usage_t u = usage_of (cmd);
  check_known (&u);
  check_burned (&u, true);
  if (u.known & SUBPROC_USAGE_MAX_RSS)
    {
      ck_assert_msg (u.max_rss >= 64 * MIB, "max rss %ld KiB",
                     (long) (u.max_rss / 1024));
      ck_assert_msg (u.max_rss < 1024 * MIB, "max rss %ld KiB",
                     (long) (u.max_rss / 1024));
    }
#ifdef _WIN32
  ck_assert_uint_eq (u.processes, 1);
#elif defined HAVE_WAIT4
  /* Writing 64 MiB faults in its pages.  */
  ck_assert_uint_ge (u.minor_faults, 64 * MIB / 65536);
#endif
  /* Asked again, the same.  */
  subproc_usage_t again = usage_of (cmd);
  ck_assert_int_eq (memcmp (&u, &again, sizeof u), 0);
  subproc_free (cmd);
}
END_TEST

/* The ways of ending a run of subproc_run_async.  */
enum how
{
  BY_WAIT,
  BY_TRY_WAIT,
  BY_WAIT_FOR,
  BY_POLL,
  BY_ADVANCE,
  N_HOW
};

START_TEST (test_async_burns)
{
  int status = -1;
  subproc_t *cmd = test_helper_cmd ("burn", BURN_MS_STR, NULL);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  switch ((enum how) _i)
    {
    case BY_WAIT:
      break;
    case BY_TRY_WAIT:
      while (subproc_try_wait (cmd, &status) == 0)
        test_sleep_ms (5);
      break;
    case BY_WAIT_FOR:
      while (subproc_wait_for (cmd, 50, &status) == 0)
        ;
      break;
    case BY_POLL:
      {
        size_t ended;
        while (subproc_poll (&cmd, 1, 100, &ended) == 0)
          ;
        break;
      }
    case BY_ADVANCE:
      test_advance_until_over (cmd);
      break;
    default:
      ck_abort ();
    }
  if (_i == BY_WAIT || _i == BY_POLL || _i == BY_ADVANCE)
    {
      /* Over but not reaped: no usage yet.  */
      subproc_usage_t u = { .size = sizeof u };
      ck_assert_int_eq (subproc_get_usage (cmd, &u), -1);
      ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_STATE);
      ck_assert_int_eq (subproc_wait (cmd, &status), 0);
    }
  ck_assert_int_eq (status, 0);
  subproc_usage_t u = usage_of (cmd);
  check_known (&u);
  check_burned (&u, true);
  subproc_free (cmd);
}
END_TEST

/* A grandchild that its parent reaps is in the parent's rusage; one it
   does not reap is not, on POSIX.  The Win32 job counts it either way.  */
START_TEST (test_grandchild)
{
  bool reap = _i == 0;
  subproc_t *cmd = test_helper_cmd ("burn-grandchild", BURN_MS_STR,
                                    reap ? "wait" : "nowait", NULL);
  test_run_ok (cmd);
  subproc_usage_t u = usage_of (cmd);
  check_known (&u);
#ifdef _WIN32
  ck_assert_uint_eq (u.processes, 2);
  check_burned (&u, true);
#else
  check_burned (&u, reap);
#endif
  subproc_free (cmd);
}
END_TEST

/* A child stopped at the deadline is reaped: its usage is there,
   although the run failed.  */
START_TEST (test_timeout_has_usage)
{
  subproc_t *cmd = test_helper_cmd ("sleep-forever", NULL);
  subproc_set_timeout (cmd, 200);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_TIMEOUT);
  subproc_usage_t u = usage_of (cmd);
  check_known (&u);
  ck_assert_msg (u.wall_time_us >= 150 * 1000, "wall time %ld us",
                 (long) u.wall_time_us);
  /* Asking did not replace the run's error.  */
  test_assert_error (cmd, SUBPROC_ERR_TIMEOUT);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_errors)
{
  subproc_usage_t u = { .size = sizeof u };
  subproc_t *cmd = test_helper_cmd ("exit", "3", NULL);

  /* No command: as a command that ran out of memory.  */
  ck_assert_int_eq (subproc_get_usage (NULL, &u), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_NOMEM);

  /* Never run.  */
  ck_assert_int_eq (subproc_get_usage (cmd, &u), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);

  /* A bad structure, whatever the state.  */
  ck_assert_int_eq (subproc_get_usage (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  u.size = sizeof u - 1;
  ck_assert_int_eq (subproc_get_usage (cmd, &u), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  u.size = 0;
  ck_assert_int_eq (subproc_get_usage (cmd, &u), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  u.size = sizeof u;

  /* A failed run keeps its error; asking with a bad structure does not
     replace it.  */
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);
  ck_assert_int_eq (subproc_get_usage (cmd, NULL), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_INVALID);
  test_assert_error (cmd, SUBPROC_ERR_EXIT_STATUS);
  /* Its child was reaped: usage there is.  */
  ck_assert_int_eq (subproc_get_usage (cmd, &u), 0);
  subproc_free (cmd);

  /* While the child runs, and after its end before the reap.  */
  cmd = test_helper_cmd ("consume", NULL);
  subproc_set_input_buffer (cmd, "x");
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_get_usage (cmd, &u), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  ck_assert_int_eq (subproc_get_usage (cmd, &u), 0);
  /* The next run forgets the last run's usage.  */
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_get_usage (cmd, &u), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);

  /* A spawn that failed has no child to account for.  */
  char *garbage = test_garbage_program ();
  cmd = subproc_new (garbage);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_usage (cmd, &u), -1);
  ck_assert_int_eq (subproc_last_error ()->code, SUBPROC_ERR_STATE);
  subproc_free (cmd);
  free (garbage);
}
END_TEST

/* A larger structure (a later version's) gets the rest zeroed, and its
   size kept.  */
START_TEST (test_larger_structure)
{
  struct
  {
    subproc_usage_t u;
    char later[24];
  } big;
  memset (&big, 0x5a, sizeof big);
  big.u.size = sizeof big;
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  test_run_ok (cmd);
  ck_assert_int_eq (subproc_get_usage (cmd, &big.u), 0);
  ck_assert_uint_eq (big.u.size, sizeof big);
  for (size_t i = 0; i < sizeof big.later; i++)
    ck_assert_int_eq (big.later[i], 0);
  check_known (&big.u);
  subproc_free (cmd);
}
END_TEST

/* A dry run used nothing, and knows it.  */
START_TEST (test_dry_run)
{
  subproc_usage_t u = { .size = sizeof u };
  ck_assert_int_eq (subproc_dry_run_begin (NULL, NULL), 0);
  subproc_t *cmd = subproc_new ("tool");
  ck_assert_int_eq (subproc_run (cmd, NULL), 0);
  memset (&u, 0xa5, sizeof u);
  u.size = sizeof u;
  ck_assert_int_eq (subproc_get_usage (cmd, &u), 0);
  ck_assert_uint_eq (u.known & SUBPROC_USAGE_USER_TIME,
                     SUBPROC_USAGE_USER_TIME);
  ck_assert_uint_eq (u.known & SUBPROC_USAGE_PEAK_COMMIT,
                     SUBPROC_USAGE_PEAK_COMMIT);
  ck_assert (u.user_time_us == 0 && u.system_time_us == 0
             && u.wall_time_us == 0 && u.max_rss == 0 && u.processes == 0
             && u.minor_faults == 0 && u.peak_commit == 0);
  /* Asynchronously: none until the wait.  */
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_get_usage (cmd, &u), -1);
  test_assert_error (cmd, SUBPROC_ERR_STATE);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  ck_assert_int_eq (subproc_get_usage (cmd, &u), 0);
  ck_assert (u.user_time_us == 0 && u.wall_time_us == 0);
  subproc_free (cmd);
  free (subproc_dry_run_end ());
}
END_TEST

/* The pid handed over and reaped with subproc_pid_wait while the
   command holds the child: the command's wait still gives the usage.  */
START_TEST (test_pid_wait_then_wait)
{
  pid_t pid;
  int status = -1;
  subproc_t *cmd = test_helper_cmd ("burn", BURN_MS_STR, NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  ck_assert_int_eq (subproc_pid_wait (pid, &status, false), 0);
  ck_assert_int_eq (status, 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  subproc_usage_t u = usage_of (cmd);
  check_known (&u);
  check_burned (&u, true);
  subproc_free (cmd);
}
END_TEST

/* Wait up to MS for process PID to end: true once it has.  */
static bool
pid_ends_within (long pid, int ms)
{
#ifdef _WIN32
  HANDLE h = OpenProcess (SYNCHRONIZE, FALSE, (DWORD) pid);
  if (h == NULL)
    return true;
  DWORD r = WaitForSingleObject (h, (DWORD) ms);
  CloseHandle (h);
  return r == WAIT_OBJECT_0;
#else
  return test_pid_ends_within (pid, ms);
#endif
}

/* A daemon: POSIX gives the intermediate process's usage (it ran, and
   was reaped); Win32 has no intermediate and says so.  */
START_TEST (test_daemon)
{
  subproc_usage_t u = { .size = sizeof u };
  char *pid_file = test_tmp_path ("daemon.pid");
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, pid_file);
  test_run_ok (cmd);
  char *text = test_read_file (pid_file, NULL);
  ck_assert (pid_ends_within (strtol (text, NULL, 10), 10000));
  free (text);
  free (pid_file);
#ifdef _WIN32
  ck_assert_int_eq (subproc_get_usage (cmd, &u), -1);
  test_assert_error (cmd, SUBPROC_ERR_UNSUPPORTED);
#else
  ck_assert_int_eq (subproc_get_usage (cmd, &u), 0);
  check_known (&u);
#endif
  subproc_free (cmd);
}
END_TEST

static Suite *
usage_suite (void)
{
  Suite *s = suite_create ("usage");
  BOTH_PATHS (s, run_burns);
  TCase *tc = tcase_create ("async_burns");
  TEST_ACCOUNTING (tc);
  tcase_add_loop_test (tc, test_async_burns, 0, N_HOW);
  suite_add_tcase (s, tc);
  tc = tcase_create ("grandchild");
  TEST_ACCOUNTING (tc);
  tcase_add_loop_test (tc, test_grandchild, 0, 2);
  suite_add_tcase (s, tc);
  TEST_CASE (s, timeout_has_usage);
  TEST_CASE_WITH_TMPDIR (s, errors);
  TEST_CASE (s, larger_structure);
  TEST_CASE (s, dry_run);
  TEST_CASE (s, pid_wait_then_wait);
  TEST_CASE_WITH_TMPDIR (s, daemon);
  return s;
}

SUBPROC_TEST_MAIN (usage_suite)
