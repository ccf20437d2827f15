/* limits.c: hard limits on what the child may use, and the report of
 * the limit that ended it: subproc_set_rlimit, the libvirt-style
 * max_* calls, subproc_set_max_address_space, subproc_set_max_data,
 * subproc_set_job_memory_limit and subproc_set_max_cpu_time.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loop 0 of a BOTH_PATHS test takes the fast path, loop 1 the fork path.
 * Nothing here measures time: a CPU limit is seen by how the child
 * ended, and a generous timeout only keeps a broken build from hanging.
 */

#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
# include <windows.h>
#else
# include <signal.h>
# include <sys/resource.h>
# include <sys/wait.h>
# include <unistd.h>
#endif

#include "common.h"
#include "subproc.h"

/* A run that should end by itself long before this; only a limit that
   is not enforced makes it matter.  */
#define GUARD_MS 120000

#ifdef _WIN32
/* Wine accepts the job limits but enforces none of them (memory, time),
   and says nothing of it: the tests there check what it does do.  */
static bool
under_wine (void)
{
  HMODULE ntdll = GetModuleHandleW (L"ntdll.dll");
  return ntdll && GetProcAddress (ntdll, "wine_get_version") != NULL;
}
#endif

/* Run CMD, which must exit normally, and free it: its output, and its
   exit status in *STATUS.  */
static char *
run_output (subproc_t *cmd, int *status)
{
  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  subproc_set_timeout (cmd, GUARD_MS);
  ck_assert_msg (subproc_run (cmd, status) == 0, "%s",
                 subproc_get_error (cmd)->message);
  subproc_free (cmd);
  ck_assert_ptr_nonnull (out);
  return out;
}

/* Run CMD, which must fail with CODE, and free it; the message must
   hold WANT (if not NULL).  */
static void
run_fails (subproc_t *cmd, int code, const char *want)
{
  subproc_set_timeout (cmd, GUARD_MS);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_msg (err->code == code, "%s, wanted %s: %s",
                 subproc_error_name (err->code), subproc_error_name (code),
                 err->message);
  if (want)
    ck_assert_msg (strstr (err->message, want) != NULL, "no '%s' in '%s'",
                   want, err->message);
  subproc_free (cmd);
}

/* How far the helper's "alloc" got, from its line.  */
static unsigned long long
allocated (const char *out)
{
  unsigned long long got = 0, want = 0;
  ck_assert_msg (sscanf (out, "allocated %llu of %llu MiB", &got, &want) == 2,
                 "'%s'", out);
  return got;
}

/* ------------------------------------------------------------------ */
/* Every platform.  */

START_TEST (test_errors)
{
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_rlimit (cmd, 0, 10, 9);
  run_fails (cmd, SUBPROC_ERR_INVALID, "soft limit 10 above hard limit 9");

  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_rlimit (cmd, -1, 1, 1);
  run_fails (cmd, SUBPROC_ERR_INVALID, "-1 is not a resource limit");

  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_max_cpu_time (cmd, 0);
  run_fails (cmd, SUBPROC_ERR_INVALID, "CPU time limit of 0 s");

  /* A builder error stays: the call after it changes nothing.  */
  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_rlimit (cmd, 0, 2, 1);
  subproc_set_max_files (cmd, 10);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

#ifndef _WIN32
# ifdef RLIM_NLIMITS
  /* Told at the call, before anything runs.  */
  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_rlimit (cmd, RLIM_NLIMITS, 1, 1);
  run_fails (cmd, SUBPROC_ERR_INVALID, "not a resource limit");
  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_rlimit (cmd, 100000, 1, 1);
  run_fails (cmd, SUBPROC_ERR_INVALID, "100000");
# endif
  /* Equal limits, and none at all, are fine.  */
  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_rlimit (cmd, RLIMIT_CORE, 0, 0);
  subproc_set_rlimit (cmd, RLIMIT_FSIZE, SUBPROC_RLIM_INFINITY,
                      SUBPROC_RLIM_INFINITY);
  {
    struct rlimit rl;
    ck_assert_int_eq (getrlimit (RLIMIT_FSIZE, &rl), 0);
    if (rl.rlim_max != RLIM_INFINITY)
      /* The parent itself has a limit: a child may not rise above it.  */
      subproc_set_rlimit (cmd, RLIMIT_FSIZE, (unsigned long long) rl.rlim_max,
                          (unsigned long long) rl.rlim_max);
  }
  test_run_ok (cmd);
  subproc_free (cmd);
#endif
}
END_TEST

/* The error table has the code, its name and text.  */
START_TEST (test_code)
{
  ck_assert_int_eq (SUBPROC_ERR_LIMIT, 13);
  ck_assert_str_eq (subproc_error_name (SUBPROC_ERR_LIMIT),
                    "SUBPROC_ERR_LIMIT");
  ck_assert_str_eq (subproc_strerror (SUBPROC_ERR_LIMIT),
                    "child stopped by a resource limit");
}
END_TEST

/* A child that allocates past its memory limit sees its allocations
   fail and ends with its own status, reporting how far it got.  */
START_TEST (test_memory)
{
  static const char *const what[] = { "address space", "data" };
#ifdef TEST_SANITIZED_MEMORY
  return;
#endif
  if (test_skip_under_valgrind ("valgrind maps beyond any memory limit"))
    return;
  for (int k = 0; k < 2; k++)
    {
      subproc_t *cmd = test_helper_on (_i, "alloc", "512", "16", NULL);
      if (k == 0)
        subproc_set_max_address_space (cmd, 256ULL << 20);
      else
        subproc_set_max_data (cmd, 256ULL << 20);
      int status = -1;
      char *out = run_output (cmd, &status);
      unsigned long long got = allocated (out);
#ifdef _WIN32
      if (under_wine ())
        {
          /* Not enforced: the child gets all it asks for.  */
          ck_assert_msg (status == 0 && got == 512, "%s: %d, %s", what[k],
                         status, out);
          free (out);
          continue;
        }
#endif
      ck_assert_msg (status == 3, "%s: status %d, %s", what[k], status, out);
      ck_assert_msg (got < 256, "%s: %s", what[k], out);
      free (out);
    }

  /* The same child without a limit gets it all.  */
  subproc_t *cmd = test_helper_on (_i, "alloc", "64", "16", NULL);
  int status = -1;
  char *out = run_output (cmd, &status);
  ck_assert_int_eq (status, 0);
  ck_assert_uint_eq (allocated (out), 64);
  free (out);
}
END_TEST

/* A child that spins past a CPU limit of 1 s is ended and the run says
   so, whatever STATUS the caller passed.  */
START_TEST (test_cpu)
{
#ifdef _WIN32
  if (under_wine ())
    {
      /* Not enforced: the child uses its 2 s and exits.  */
      subproc_t *cmd = test_helper_on (_i, "spin", "2", NULL);
      subproc_set_max_cpu_time (cmd, 1);
      int status = -1;
      char *out = run_output (cmd, &status);
      ck_assert_int_eq (status, 0);
      ck_assert_str_eq (out, "spun\n");
      free (out);
      return;
    }
#endif
  subproc_t *cmd = test_helper_on (_i, "spin", "60", NULL);
  subproc_set_max_cpu_time (cmd, 1);
  run_fails (cmd, SUBPROC_ERR_LIMIT, "exceeded its CPU time limit of 1 s");

  /* With a status to fill, and with the raw status: still the error
     (the raw status shows the signal).  */
  cmd = test_helper_on (_i, "spin", "60", NULL);
  subproc_set_max_cpu_time (cmd, 1);
  subproc_set_timeout (cmd, GUARD_MS);
  subproc_raw_status (cmd);
  int raw = -1;
  ck_assert_int_eq (subproc_run (cmd, &raw), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_LIMIT);
#ifndef _WIN32
  ck_assert_msg (WIFSIGNALED (raw) && WTERMSIG (raw) == SIGXCPU, "%#x", raw);
#endif
  /* The command runs again, and a run that stays within the limit is
     no error.  */
  subproc_free (cmd);
  cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_max_cpu_time (cmd, 30);
  test_run_ok (cmd);
  subproc_free (cmd);
}
END_TEST

#ifndef _WIN32
/* ------------------------------------------------------------------ */
/* POSIX.  */

/* A child that survives SIGXCPU is killed at the hard limit, a second
   later, and that too is the limit's doing.  */
START_TEST (test_cpu_kill)
{
  subproc_t *cmd = test_helper_cmd ("spin-ignore-xcpu", "60", NULL);
  subproc_set_max_cpu_time (cmd, 1);
  subproc_set_timeout (cmd, GUARD_MS);
  subproc_raw_status (cmd);
  int raw = -1;
  ck_assert_int_eq (subproc_run (cmd, &raw), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_msg (err->code == SUBPROC_ERR_LIMIT, "%s", err->message);
  ck_assert_msg (strstr (err->message, "CPU time limit of 1 s"), "%s",
                 err->message);
  ck_assert_msg (WIFSIGNALED (raw) && WTERMSIG (raw) == SIGKILL, "%#x", raw);
  subproc_free (cmd);
}
END_TEST

/* SIGKILL from anyone else, with a CPU limit the child is far from, is
   a plain death by a signal.  */
START_TEST (test_cpu_other_kill)
{
  subproc_t *cmd = test_helper_on (_i, "signal", "KILL", NULL);
  subproc_set_max_cpu_time (cmd, 100);
  run_fails (cmd, SUBPROC_ERR_SIGNALED, "killed by signal 9");

  /* SIGXCPU without a CPU limit is not a limit either.  */
  char num[16];
  snprintf (num, sizeof num, "%d", SIGXCPU);
  cmd = test_helper_on (_i, "signal", num, NULL);
  run_fails (cmd, SUBPROC_ERR_SIGNALED, NULL);
}
END_TEST

/* SIGXFSZ under a file size limit.  */
START_TEST (test_file_size)
{
  char *path = test_tmp_path ("big");
  subproc_t *cmd = test_helper_on (_i, "write-file", path, "1048576", NULL);
  subproc_set_rlimit (cmd, RLIMIT_FSIZE, 65536, 65536);
  run_fails (cmd, SUBPROC_ERR_LIMIT,
             "exceeded its file size limit of 65536 bytes");
  free (path);
}
END_TEST

/* The limits of subproc_set_rlimit are the child's, soft and hard.  */
START_TEST (test_rlimit_seen)
{
  if (test_skip_under_valgrind ("valgrind refuses RLIMIT_NOFILE changes"))
    return;
  struct rlimit nofile, stack;
  ck_assert_int_eq (getrlimit (RLIMIT_NOFILE, &nofile), 0);
  ck_assert_int_eq (getrlimit (RLIMIT_STACK, &stack), 0);
  ck_assert (nofile.rlim_max == RLIM_INFINITY || nofile.rlim_max >= 60);
  ck_assert (stack.rlim_max == RLIM_INFINITY || stack.rlim_max >= 8 << 20);

  subproc_t *cmd = test_helper_on (_i, "limits", NULL);
  subproc_set_rlimit (cmd, RLIMIT_NOFILE, 50, 60);
  subproc_set_rlimit (cmd, RLIMIT_STACK, 4 << 20, 8 << 20);
  subproc_set_rlimit (cmd, RLIMIT_CORE, 0, SUBPROC_RLIM_INFINITY);
  char *out = run_output (cmd, NULL);
  ck_assert_msg (strstr (out, "nofile=50:60\n"), "%s", out);
  ck_assert_msg (strstr (out, "stack=4194304:8388608\n"), "%s", out);
  struct rlimit core;
  ck_assert_int_eq (getrlimit (RLIMIT_CORE, &core), 0);
  if (core.rlim_max == RLIM_INFINITY)
    ck_assert_msg (strstr (out, "core=0:unlimited\n"), "%s", out);
  free (out);

  /* The builder calls, through the same list.  */
  cmd = test_helper_on (_i, "limits", NULL);
  subproc_set_max_cpu_time (cmd, 5);
#ifndef TEST_SANITIZED_MEMORY
  subproc_set_max_address_space (cmd, 1ULL << 40);
  subproc_set_max_data (cmd, 1ULL << 39);
#endif
  out = run_output (cmd, NULL);
  ck_assert_msg (strstr (out, "cpu=5:6\n"), "%s", out);
#ifndef TEST_SANITIZED_MEMORY
  ck_assert_msg (strstr (out, "as=1099511627776:1099511627776\n"), "%s", out);
  ck_assert_msg (strstr (out, "data=549755813888:549755813888\n"), "%s", out);
#endif
  free (out);
}
END_TEST

/* The old calls and the new one set the same limits: the last setting
   of a resource wins, whichever call made it.  */
START_TEST (test_last_wins)
{
  if (test_skip_under_valgrind ("valgrind refuses RLIMIT_NOFILE changes"))
    return;
  subproc_t *cmd = test_helper_on (_i, "limits", NULL);
  subproc_set_max_files (cmd, 40);
  subproc_set_rlimit (cmd, RLIMIT_NOFILE, 30, 35);
  subproc_set_max_cpu_time (cmd, 5);
  subproc_set_rlimit (cmd, RLIMIT_CPU, 7, 9);
  subproc_set_max_core_size (cmd, 0);
  char *out = run_output (cmd, NULL);
  ck_assert_msg (strstr (out, "nofile=30:35\n"), "%s", out);
  ck_assert_msg (strstr (out, "cpu=7:9\n"), "%s", out);
  ck_assert_msg (strstr (out, "core=0:0\n"), "%s", out);
  free (out);

  cmd = test_helper_on (_i, "limits", NULL);
  subproc_set_rlimit (cmd, RLIMIT_NOFILE, 30, 35);
  subproc_set_max_files (cmd, 45);
  subproc_set_rlimit (cmd, RLIMIT_CPU, 7, 9);
  subproc_set_max_cpu_time (cmd, 3);
  subproc_set_max_files (cmd, 44);
  out = run_output (cmd, NULL);
  ck_assert_msg (strstr (out, "nofile=44:44\n"), "%s", out);
  ck_assert_msg (strstr (out, "cpu=3:4\n"), "%s", out);
  free (out);

  /* Between runs, too: the template changes.  */
  cmd = test_helper_on (_i, "limits", NULL);
  char *buf = NULL;
  subproc_set_output_buffer (cmd, &buf);
  subproc_set_max_files (cmd, 40);
  test_run_ok (cmd);
  ck_assert_msg (strstr (buf, "nofile=40:40\n"), "%s", buf);
  free (buf);
  buf = NULL;
  subproc_set_rlimit (cmd, RLIMIT_NOFILE, 20, 40);
  test_run_ok (cmd);
  ck_assert_msg (strstr (buf, "nofile=20:40\n"), "%s", buf);
  free (buf);
  subproc_free (cmd);
}
END_TEST

/* A limit the child may not take fails the run at its stage.  */
START_TEST (test_rlimit_refused)
{
  struct rlimit rl;
  ck_assert_int_eq (getrlimit (RLIMIT_NOFILE, &rl), 0);
  if (geteuid () == 0 || rl.rlim_max == RLIM_INFINITY
      || test_under_valgrind ())
    return;
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_rlimit (cmd, RLIMIT_NOFILE, 1, (unsigned long long) rl.rlim_max
                                               + 1);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_int_eq (err->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (err->stage, SUBPROC_STAGE_RLIMIT);
  subproc_free (cmd);
}
END_TEST

/* The job memory limit needs a job: a control group here.  */
START_TEST (test_job_memory_unsupported)
{
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_job_memory_limit (cmd, 1 << 30);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_int_eq (err->code, SUBPROC_ERR_UNSUPPORTED);
  ck_assert_int_eq (err->stage, SUBPROC_STAGE_UNSUPPORTED);
  ck_assert_msg (strstr (err->message, "job_memory_limit"), "%s",
                 err->message);
  subproc_free (cmd);
}
END_TEST

/* A daemon's CPU limit ends the daemon, not the intermediate the run
   reports: nothing to say for the run.  */
START_TEST (test_daemon_limit)
{
  char *pid_file = test_tmp_path ("pid");
  subproc_t *cmd = test_helper_cmd ("limits", NULL);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, pid_file);
  subproc_set_max_cpu_time (cmd, 7);
  test_run_ok (cmd);
  subproc_free (cmd);
  char *pid = test_read_file (pid_file, NULL);
  long p = strtol (pid, NULL, 10);
  ck_assert (test_pid_ends_within (p, GUARD_MS));
  free (pid);
  free (pid_file);
}
END_TEST

#else
/* ------------------------------------------------------------------ */
/* Win32.  */

/* No rlimits here; the builder calls a job cannot take are refused at
   the run, and so are the job limits for a daemon.  */
START_TEST (test_win32_unsupported)
{
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_rlimit (cmd, 7, 10, 10);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_int_eq (err->code, SUBPROC_ERR_UNSUPPORTED);
  ck_assert_int_eq (err->stage, SUBPROC_STAGE_UNSUPPORTED);
  ck_assert_msg (strstr (err->message, "rlimit"), "%s", err->message);
  subproc_free (cmd);

  static const char *const names[]
    = { "max_cpu_time for a daemon", "max_address_space for a daemon",
        "job_memory_limit for a daemon" };
  for (int i = 0; i < 3; i++)
    {
      cmd = test_helper_cmd ("exit", "0", NULL);
      subproc_daemonize (cmd);
      if (i == 0)
        subproc_set_max_cpu_time (cmd, 5);
      else if (i == 1)
        subproc_set_max_address_space (cmd, 1 << 30);
      else
        subproc_set_job_memory_limit (cmd, 1 << 30);
      run_fails (cmd, SUBPROC_ERR_UNSUPPORTED, names[i]);
    }
}
END_TEST

/* The job memory limit holds the whole tree.  */
START_TEST (test_win32_job_memory)
{
  subproc_t *cmd = test_helper_cmd ("alloc", "512", "16", NULL);
  subproc_set_job_memory_limit (cmd, 256ULL << 20);
  int status = -1;
  char *out = run_output (cmd, &status);
  unsigned long long got = allocated (out);
  if (under_wine ())
    ck_assert_msg (status == 0 && got == 512, "%d, %s", status, out);
  else
    {
      ck_assert_msg (status == 3, "%d, %s", status, out);
      ck_assert_msg (got < 256, "%s", out);
    }
  free (out);
}
END_TEST
#endif

static Suite *
limits_suite (void)
{
  Suite *s = suite_create ("limits");
  TEST_CASE (s, errors);
  TEST_CASE (s, code);
  BOTH_PATHS (s, memory);
  BOTH_PATHS (s, cpu);
#ifndef _WIN32
  TEST_CASE (s, cpu_kill);
  BOTH_PATHS (s, cpu_other_kill);
  BOTH_PATHS (s, file_size);
  BOTH_PATHS (s, rlimit_seen);
  BOTH_PATHS (s, last_wins);
  BOTH_PATHS (s, rlimit_refused);
  TEST_CASE (s, job_memory_unsupported);
  TEST_CASE_WITH_TMPDIR (s, daemon_limit);
#else
  TEST_CASE (s, win32_unsupported);
  TEST_CASE (s, win32_job_memory);
#endif
  return s;
}

SUBPROC_TEST_MAIN (limits_suite)
