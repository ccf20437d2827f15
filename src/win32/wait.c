/* wait.c: waiting for, stopping and handing over Win32 children.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A process id names a process only while some handle to it is open;
 * once the last one closes, Windows may give the id to another process.
 * So the library keeps each child's handle until the child is reaped,
 * and children handed to the caller by pid wait in a table, handle and
 * all, until subproc_pid_wait or subproc_pid_abort takes them back.
 */

#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include "backend.h"
#include "win32.h"

void
sp_win32_proc_free (struct sp_proc *proc)
{
  if (proc == NULL)
    return;
  int saved = errno;
  if (proc->thread)
    CloseHandle (proc->thread);
  if (proc->process)
    CloseHandle (proc->process);
  if (proc->job)
    CloseHandle (proc->job);
  free (proc);
  errno = saved;
}

static void stop (sp_proc_t *proc);

/* PROC is still held suspended by the handshake and nobody can notify
   while we wait: end it, as the POSIX child gives up when the parent
   waits without a notify, and report that rather than an exit code.  */
static int
give_up_handshake (sp_proc_t *proc, sp_fail_t *f)
{
  DWORD code = (DWORD) SP_WIN32_KILL_CODE;

  stop (proc);
  WaitForSingleObject (proc->process, INFINITE);
  GetExitCodeProcess (proc->process, &code);
  proc->status = (int) code;
  proc->reaped = true;
  CloseHandle (proc->thread);
  proc->thread = NULL;
  return sp_fail (f, SUBPROC_ERR_SPAWN, ECANCELED, SP_STAGE_HANDSHAKE,
                  NULL);
}

int
sp_backend_wait (sp_proc_t *proc, int timeout_ms, int *raw_status,
                 sp_fail_t *f)
{
  if (proc->reaped || proc->process == NULL)
    {
      *raw_status = proc->status;
      return 1;
    }
  if (proc->thread != NULL)
    return give_up_handshake (proc, f);
  DWORD r = WaitForSingleObject (proc->process,
                                 timeout_ms < 0 ? INFINITE
                                                : (DWORD) timeout_ms);
  if (r == WAIT_TIMEOUT)
    return 0;
  if (r != WAIT_OBJECT_0)
    return sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_WAIT, NULL);

  DWORD code;
  if (!GetExitCodeProcess (proc->process, &code))
    return sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_WAIT, NULL);
  proc->status = (int) code;
  proc->reaped = true;
  *raw_status = proc->status;
  return 1;
}

int
sp_backend_wait_exit (sp_proc_t *proc, int timeout_ms)
{
  if (proc->reaped || proc->process == NULL)
    return 1;
  return WaitForSingleObject (proc->process,
                              timeout_ms < 0 ? INFINITE : (DWORD) timeout_ms)
         != WAIT_TIMEOUT;
}

int
sp_backend_exited (sp_proc_t *proc)
{
  if (proc->reaped || proc->process == NULL)
    return 1;
  return WaitForSingleObject (proc->process, 0) == WAIT_OBJECT_0;
}

/* The process handle: signalled once the child has ended, and the
   child's own until it is reaped (sp_win32_proc_free closes it only
   then, or later).  */
int
sp_backend_proc_handle (sp_proc_t *proc, subproc_handle_t *h, sp_fail_t *f)
{
  if (proc == NULL || proc->reaped || proc->process == NULL)
    return sp_fail (f, SUBPROC_ERR_STATE, ESRCH, SP_STAGE_NONE, NULL);
  *h = proc->process;
  return 0;
}

/* For tests: called before each termination.  */
static void (*signal_observer) (long id, int sig);

void
sp_backend_signal_observer (void (*fn) (long id, int sig))
{
  __atomic_store_n (&signal_observer, fn, __ATOMIC_RELEASE);
}

/* Windows has no polite request to end a process, and the job holds the
   whole tree: terminate and kill are the same, whatever GROUP says.  The
   handles name the job and the process whatever their ids become, so
   they are safe to use until released.  */
static void
stop (sp_proc_t *proc)
{
  if (proc->process == NULL)
    return;
  int saved = errno;
  void (*observe) (long, int)
    = __atomic_load_n (&signal_observer, __ATOMIC_ACQUIRE);
  if (observe)
    observe ((long) proc->pid, 0);
  if (proc->job)
    TerminateJobObject (proc->job, (UINT) SP_WIN32_KILL_CODE);
  else if (!proc->reaped)
    TerminateProcess (proc->process, (UINT) SP_WIN32_KILL_CODE);
  errno = saved;
}

void
sp_backend_terminate (sp_proc_t *proc, bool group)
{
  (void) group;
  stop (proc);
}

void
sp_backend_kill (sp_proc_t *proc, bool group)
{
  (void) group;
  stop (proc);
}

int
sp_backend_signal (sp_proc_t *proc, bool group, int sig, sp_fail_t *f)
{
  (void) group;
  /* SIGTERM, and SIGKILL by its number (the C library has no name for
     it): the job is terminated, as by subproc_abort.  Nothing else has
     a meaning for a Windows process.  The nearest thing to SIGINT, a
     Ctrl-Break for a new process group (GenerateConsoleCtrlEvent),
     reaches only a child that shares the caller's console, which a
     child with a hidden console of its own or a caller without one
     does not, and Wine (8.0) delivers it to none: it fails there even
     with a console.  */
  if (sig != 0 && sig != SIGTERM && sig != 9)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS, SP_STAGE_NONE,
                    NULL);
  /* Ended but not reaped, the child's job still holds what is left of
     its tree, which these signals end.  */
  if (proc->reaped || proc->process == NULL)
    return sp_fail (f, SUBPROC_ERR_STATE, ESRCH, SP_STAGE_NONE, NULL);
  if (sig == 0)
    return 0;
  stop (proc);
  return 0;
}

/* Jobs with KILL_ON_JOB_CLOSE whose processes outlived their
   sp_proc_t: closing the handle would kill them now, while the caller
   asked for that only when the calling process ends.  The handles are
   kept here until then (the system closes them at exit).  */
static SRWLOCK kept_lock = SRWLOCK_INIT;
static HANDLE *kept_jobs;
static size_t n_kept_jobs, cap_kept_jobs;

long
sp_win32_job_processes (HANDLE job)
{
  JOBOBJECT_BASIC_ACCOUNTING_INFORMATION info;
  if (!QueryInformationJobObject (job, JobObjectBasicAccountingInformation,
                                  &info, sizeof info, NULL))
    return -1;
  return (long) info.ActiveProcesses;
}

/* Does JOB still hold processes (yes when the system cannot say)?  */
static bool
job_has_processes (HANDLE job)
{
  return sp_win32_job_processes (job) != 0;
}

static void
keep_job (HANDLE job)
{
  AcquireSRWLockExclusive (&kept_lock);
  /* Forget jobs that have emptied since, so the table does not grow
     with every kill_on_parent_exit child of a long-lived process.  */
  for (size_t i = 0; i < n_kept_jobs;)
    if (!job_has_processes (kept_jobs[i]))
      {
        CloseHandle (kept_jobs[i]);
        kept_jobs[i] = kept_jobs[--n_kept_jobs];
      }
    else
      i++;
  if (n_kept_jobs == cap_kept_jobs)
    {
      size_t cap = cap_kept_jobs ? 2 * cap_kept_jobs : 8;
      HANDLE *v = sp_reallocarray (kept_jobs, cap, sizeof *v);
      if (v != NULL)
        {
          kept_jobs = v;
          cap_kept_jobs = cap;
        }
    }
  if (n_kept_jobs < cap_kept_jobs)
    kept_jobs[n_kept_jobs++] = job;
  /* Out of memory: the handle leaks, which still keeps the promise.  */
  ReleaseSRWLockExclusive (&kept_lock);
}

int
sp_backend_limit_hit (sp_proc_t *proc, int raw_status, uint64_t *memory_max)
{
  /* No cgroups here (subproc_set_cgroup is refused).  */
  (void) proc;
  (void) raw_status;
  (void) memory_max;
  return 0;
}

void
sp_backend_release (sp_proc_t *proc)
{
  if (proc == NULL)
    return;
  int saved = errno;
  if (proc->job && proc->kill_on_close && job_has_processes (proc->job))
    {
      keep_job (proc->job);
      proc->job = NULL;
    }
  sp_win32_proc_free (proc);
  errno = saved;
}

/* ------------------------------------------------------------------ */
/* Children handed over by pid.  */

static SRWLOCK table_lock = SRWLOCK_INIT;
static struct sp_proc *table;

static void
table_add (struct sp_proc *proc)
{
  AcquireSRWLockExclusive (&table_lock);
  proc->next = table;
  table = proc;
  ReleaseSRWLockExclusive (&table_lock);
}

/* Take the entry of PID out of the table: NULL if there is none.  */
static struct sp_proc *
table_take (pid_t pid)
{
  struct sp_proc *found = NULL;

  AcquireSRWLockExclusive (&table_lock);
  for (struct sp_proc **p = &table; *p; p = &(*p)->next)
    if ((pid_t) (*p)->pid == pid)
      {
        found = *p;
        *p = found->next;
        found->next = NULL;
        break;
      }
  ReleaseSRWLockExclusive (&table_lock);
  return found;
}

/* A handle of ours for the same object as H (NULL stays NULL).  */
static int
dup_handle (HANDLE h, HANDLE *out, sp_fail_t *f)
{
  *out = NULL;
  if (h == NULL)
    return 0;
  if (!DuplicateHandle (GetCurrentProcess (), h, GetCurrentProcess (), out,
                        0, FALSE, DUPLICATE_SAME_ACCESS))
    return sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_WAIT,
                          "duplicating the process handle");
  return 0;
}

/* Windows has no waitpid: for subproc_pid_wait and subproc_pid_abort to
   work on the pid at once, as on POSIX, the table gets a proc of its own
   (duplicates of the process and job handles) while the command keeps
   its own until it is freed or reaps the child.  */
int
sp_backend_hand_over (sp_proc_t *proc, sp_fail_t *f)
{
  if (proc == NULL || proc->process == NULL || proc->handed)
    return 0;
  struct sp_proc *copy = sp_calloc (1, sizeof *copy);
  if (copy == NULL)
    return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_WAIT, NULL);
  copy->pid = proc->pid;
  copy->kill_on_close = proc->kill_on_close;
  if (dup_handle (proc->process, &copy->process, f) < 0
      || dup_handle (proc->job, &copy->job, f) < 0)
    {
      sp_win32_proc_free (copy);
      return -1;
    }
  table_add (copy);
  proc->handed = true;
  return 0;
}

void
sp_backend_forget (pid_t pid)
{
  sp_backend_release (table_take (pid));
}

void
sp_backend_disown (sp_proc_t *proc)
{
  if (proc == NULL)
    return;
  /* Handed over already: the table has its own handles.  */
  if (proc->handed)
    {
      sp_backend_release (proc);
      return;
    }
  table_add (proc);
}

sp_proc_t *
sp_backend_proc_for_pid (pid_t pid, sp_fail_t *f)
{
  struct sp_proc *found = NULL;

  /* As documented, and as on POSIX: no process has such an id.  */
  if (pid <= 0)
    {
      sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_WAIT, NULL);
      return NULL;
    }
  found = table_take (pid);
  if (found == NULL)
    /* Not a child of ours that the caller holds: like waitpid, refuse
       rather than open a process that merely has that id now.  */
    sp_fail (f, SUBPROC_ERR_INVALID, ECHILD, SP_STAGE_WAIT, NULL);
  return found;
}

/* ------------------------------------------------------------------ */
/* Handshake: the child was created suspended; it is "ready to exec" as
   soon as it exists, and notify lets it run.  */

int
sp_backend_handshake_wait (sp_proc_t *proc, sp_fail_t *f)
{
  if (proc->thread == NULL)
    return sp_fail (f, SUBPROC_ERR_STATE, EINVAL, SP_STAGE_HANDSHAKE,
                    NULL);
  return 0;
}

int
sp_backend_handshake_notify (sp_proc_t *proc, sp_fail_t *f)
{
  if (proc->thread == NULL)
    return sp_fail (f, SUBPROC_ERR_STATE, EINVAL, SP_STAGE_HANDSHAKE,
                    NULL);
  if (ResumeThread (proc->thread) == (DWORD) -1)
    return sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_HANDSHAKE, NULL);
  CloseHandle (proc->thread);
  proc->thread = NULL;
  return 0;
}

void
sp_backend_handshake_abandon (sp_proc_t *proc)
{
  /* A suspended child cannot be let go without running the program: end
     it now; sp_backend_wait reports the handshake that did not happen.  */
  if (proc->thread != NULL)
    stop (proc);
}

/* ------------------------------------------------------------------ */
/* Status.  */

bool
sp_backend_status_exception (int raw_status)
{
  /* NTSTATUS error codes (0xC0000000 and up: access violation, stack
     overflow, Ctrl+C, the library's own kill) mean an abnormal end.  */
  return (unsigned int) raw_status >= 0xC0000000u;
}

int
sp_backend_status_exited (int raw_status, int *value)
{
  *value = raw_status;
  return sp_backend_status_exception (raw_status) ? 0 : 1;
}

int
sp_backend_status_encode (int exit_code)
{
  return exit_code;
}

void
sp_backend_limit_ended (sp_proc_t *proc, const sp_options_t *opt, int raw,
                        sp_limit_hit_t *hit)
{
  hit->which = SP_LIMIT_NONE;
  hit->value = 0;
  const sp_rlimit_t *cpu = sp_rlimit_find (opt, -SP_LIMIT_CPU);
  if (cpu == NULL || proc == NULL || proc->process == NULL)
    return;
  /* The system ends a process over its time limit with one of these
     codes; a process that used that much user time and ended with one
     was ended by the limit (a process cannot run past it).  */
  DWORD code = (DWORD) raw;
  if (code != ERROR_NOT_ENOUGH_QUOTA && code != 0xC0000044UL)
    return;
  FILETIME created, exited, kernel, user;
  if (!GetProcessTimes (proc->process, &created, &exited, &kernel, &user))
    return;
  unsigned long long ticks
    = ((unsigned long long) user.dwHighDateTime << 32) | user.dwLowDateTime;
  if (ticks / 10000000ULL >= cpu->soft)
    {
      hit->which = SP_LIMIT_CPU;
      hit->value = cpu->soft;
    }
}
