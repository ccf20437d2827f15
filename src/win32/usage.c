/* usage.c: what a Win32 child used, from its job and its process.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Read at the reap, while the command still holds the job and process
 * handles (they are closed with the proc).  The job counts the whole
 * tree: every process that ran in it, those still running included.
 * The working set is the child process's own: no job records one.  The
 * wall time is the system's, from the process's creation to its exit.
 *
 * A counter of 0 is reported unknown, not as a figure: every process
 * that ran had a working set, faulted its image in and committed memory,
 * so a 0 there means the system keeps no such counter for it.  Wine
 * (8.0) keeps none of them for a process that has ended (its CPU times,
 * working set, faults and peaks read 0, and it refuses
 * JobObjectBasicAndIoAccountingInformation), except now and then a
 * working set read before the process is quite gone.  A total CPU time
 * of 0 is unknown too: Wine gives it for every ended process, and
 * Windows, which counts in clock ticks, for one too short to be
 * charged a tick.
 */

#include <config.h>

#include <errno.h>
#include <string.h>

#include "win32.h"

#include <psapi.h>

/* FILETIME and LARGE_INTEGER counts of 100 ns, in microseconds.  */
static int64_t
filetime_us (const FILETIME *ft)
{
  ULARGE_INTEGER v;
  v.LowPart = ft->dwLowDateTime;
  v.HighPart = ft->dwHighDateTime;
  return (int64_t) (v.QuadPart / 10);
}

/* Set the field of BIT to V, known, unless V is 0.  */
static void
set_count (subproc_usage_t *u, uint64_t bit, uint64_t *field, uint64_t v)
{
  *field = v;
  if (v)
    u->known |= bit;
}

/* CPU times, known unless both are 0.  */
static void
set_times (subproc_usage_t *u, int64_t user, int64_t kernel)
{
  if (user + kernel <= 0)
    return;
  u->user_time_us = user;
  u->system_time_us = kernel;
  u->known |= SUBPROC_USAGE_USER_TIME | SUBPROC_USAGE_SYSTEM_TIME;
}

/* The process's own figures: those the job has not.  */
static void
process_usage (HANDLE process, subproc_usage_t *u, bool in_job)
{
  FILETIME created, exited, kernel, user;
  PROCESS_MEMORY_COUNTERS pmc;

  if (GetProcessTimes (process, &created, &exited, &kernel, &user))
    {
      int64_t begin = filetime_us (&created), end = filetime_us (&exited);
      if (end >= begin && end > 0)
        {
          u->wall_time_us = end - begin;
          u->known |= SUBPROC_USAGE_WALL_TIME;
        }
      if (!in_job)
        set_times (u, filetime_us (&user), filetime_us (&kernel));
    }
  memset (&pmc, 0, sizeof pmc);
  pmc.cb = sizeof pmc;
  if (K32GetProcessMemoryInfo (process, &pmc, sizeof pmc))
    {
      set_count (u, SUBPROC_USAGE_MAX_RSS, &u->max_rss,
                 pmc.PeakWorkingSetSize);
      if (!in_job)
        set_count (u, SUBPROC_USAGE_PAGE_FAULTS, &u->page_faults,
                   pmc.PageFaultCount);
    }
}

/* The job's totals over the whole tree.  */
static void
job_usage (HANDLE job, subproc_usage_t *u)
{
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION basic;
  JOBOBJECT_EXTENDED_LIMIT_INFORMATION ext;

  if (QueryInformationJobObject (job, JobObjectBasicAccountingInformation,
                                 &basic, sizeof basic, NULL))
    {
      u->processes = basic.TotalProcesses;
      u->known |= SUBPROC_USAGE_PROCESSES;
      set_times (u, basic.TotalUserTime.QuadPart / 10,
                 basic.TotalKernelTime.QuadPart / 10);
      set_count (u, SUBPROC_USAGE_PAGE_FAULTS, &u->page_faults,
                 basic.TotalPageFaultCount);
    }
  if (QueryInformationJobObject (job, JobObjectExtendedLimitInformation,
                                 &ext, sizeof ext, NULL))
    set_count (u, SUBPROC_USAGE_PEAK_COMMIT, &u->peak_commit,
               ext.PeakJobMemoryUsed);
}

int
sp_backend_usage (sp_proc_t *proc, subproc_usage_t *u, sp_fail_t *f)
{
  memset (u, 0, sizeof *u);
  /* A daemon: the library kept no process to account for.  */
  if (proc->process == NULL)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS, SP_STAGE_WAIT,
                    "usage of a daemon");
  /* The job's CPU times and faults take the place of the process's:
     they count the tree.  */
  process_usage (proc->process, u, proc->job != NULL);
  if (proc->job)
    job_usage (proc->job, u);
  return 0;
}
