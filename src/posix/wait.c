/* wait.c: reaping, signalling and the handshake, POSIX.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A child that has not been reaped keeps its pid: signalling it by pid is
 * safe until waitpid has returned it.  After that the pid may belong to
 * another process, so a reaped child is never signalled by pid again.  A
 * pidfd (Linux 5.3) also lets a timed wait sleep in poll() instead of
 * polling waitpid.
 *
 * If the caller has set SIGCHLD to SIG_IGN (or SA_NOCLDWAIT), the kernel
 * reaps children itself and their status is lost: waitpid blocks until
 * the child is gone and then fails with ECHILD, and waitid (P_PIDFD) does
 * the same.  There is no status to report, so the wait fails with
 * SUBPROC_ERR_SYSTEM and ECHILD (after the child has ended), and so does
 * subproc_pid_wait of a child that the kernel reaped before the call.
 *
 * One owner for the child.  The command's sp_proc_t is the record of its
 * child: pid, pidfd, status.  The command reaps the child (subproc_wait,
 * subproc_abort, subproc_free, on the caller's side); the library's I/O
 * thread may signal it but never reaps or releases it; subproc_pid_wait
 * and subproc_pid_abort on a pid handed over while its command still
 * holds it work on the same record through a view (see
 * sp_backend_proc_for_pid).  One lock serialises every signal with every
 * reap: a waiter sleeps until the child has ended without reaping it
 * (poll on the pidfd, or waitid with WNOWAIT) and reaps it under the
 * lock, and a signal is sent under the lock only while the child is
 * unreaped, as the record says and the system confirms (waitid with
 * WNOWAIT: a child that someone else reaped is lost and is not
 * signalled).  So the id of a child, or of the group it leads, is never
 * signalled once the child is gone: the final SIGKILL to a group is sent
 * while its leader is still an unreaped zombie (lib/lifecycle.c,
 * sp_proc_stop).
 */

#include <config.h>

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

#ifdef HAVE_SYS_PIDFD_H
# include <sys/pidfd.h>
#endif

int
sp_posix_pidfd_open (pid_t pid)
{
#if defined SP_POSIX_HAVE_PIDFD && defined SYS_pidfd_open
  return (int) syscall (SYS_pidfd_open, pid, 0);
#elif defined SP_POSIX_HAVE_PIDFD && defined HAVE_SYS_PIDFD_H
  return pidfd_open (pid, 0);
#else
  (void) pid;
  errno = ENOSYS;
  return -1;
#endif
}

pid_t
sp_posix_waitpid (pid_t pid, int *status, int flags)
{
  pid_t r;
  int cancel = sp_posix_nocancel_begin ();
  while ((r = waitpid (pid, status, flags)) < 0 && errno == EINTR)
    ;
  sp_posix_nocancel_end (cancel);
  return r;
}

pid_t
sp_posix_wait4 (pid_t pid, int *status, int flags, struct rusage *ru,
                bool *have_ru)
{
#ifdef HAVE_WAIT4
  /* The rusage of this child alone (and of the descendants it waited
     for), in the same system call as the reap: recording it costs
     nothing.  getrusage (RUSAGE_CHILDREN) would sum every child.  */
  pid_t r;
  int cancel = sp_posix_nocancel_begin ();
  while ((r = wait4 (pid, status, flags, ru)) < 0 && errno == EINTR)
    ;
  sp_posix_nocancel_end (cancel);
  *have_ru = r > 0;
  return r;
#else
  (void) ru;
  *have_ru = false;
  return sp_posix_waitpid (pid, status, flags);
#endif
}

int64_t
sp_posix_now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* waitid, retried on EINTR, never acting on a cancellation request.  */
static int
waitid_nocancel (idtype_t type, id_t id, siginfo_t *si, int options)
{
  int r;
  int cancel = sp_posix_nocancel_begin ();
  while ((r = waitid (type, id, si, options)) < 0 && errno == EINTR)
    ;
  sp_posix_nocancel_end (cancel);
  return r;
}

/* waitid (P_PID, PID, WEXITED | WNOHANG | WNOWAIT): has PID ended?  */
static int
peek_exited (pid_t pid, siginfo_t *si)
{
  memset (si, 0, sizeof *si);
  return waitid_nocancel (P_PID, (id_t) pid, si,
                          WEXITED | WNOHANG | WNOWAIT);
}

/* poll on one descriptor.  */
static int
poll_one (struct pollfd *pfd, int timeout_ms)
{
  int cancel = sp_posix_nocancel_begin ();
  int r = poll (pfd, 1, timeout_ms);
  sp_posix_nocancel_end (cancel);
  return r;
}

int
sp_posix_read_report (int fd, sp_posix_report_t *rep)
{
  char *p = (char *) rep;
  size_t got = 0;
  ssize_t r = 0;

  int cancel = sp_posix_nocancel_begin ();
  while (got < sizeof *rep)
    {
      r = sp_posix_sys_read (fd, p + got, sizeof *rep - got);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      got += (size_t) r;
    }
  sp_posix_nocancel_end (cancel);
  if (r < 0)
    return -1;
  if (got == sizeof *rep)
    return 1;
  if (got == 0)
    return 0;
  errno = EPROTO;
  return -1;
}

/* The lock of every record: its state (reaped, status, lost_errno), the
   table of handed-over children, the views of each record, and every
   signal the backend sends.  Nothing blocks while holding it.  */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* For tests: called under the lock before each signal.  */
static void (*signal_observer) (long id, int sig);

void
sp_backend_signal_observer (void (*fn) (long id, int sig))
{
  __atomic_store_n (&signal_observer, fn, __ATOMIC_RELEASE);
}

/* The record of PROC's child: the command's proc for a view.  */
static sp_proc_t *
record (sp_proc_t *proc)
{
  return proc->shared ? proc->shared : proc;
}

#ifdef SP_POSIX_PIDFD
/* waitid's P_PIDFD (Linux 5.4), which some C libraries define only as an
   enumeration constant of their own, if at all.  */
# define SP_P_PIDFD ((idtype_t) 3)
#endif

/* Under the lock: the child of R has ended, as far as the library can
   tell now; the first time ends its wall time.  */
static void
end_seen_locked (sp_proc_t *r)
{
  if (r->end_us == 0)
    r->end_us = sp_posix_now_us ();
}

void
sp_posix_proc_end_seen (sp_proc_t *proc)
{
  sp_proc_t *r = record (proc);
  pthread_mutex_lock (&lock);
  end_seen_locked (r);
  pthread_mutex_unlock (&lock);
}

/* Where the child of record R stands.  */
enum child_state
{
  CHILD_RUNNING,
  CHILD_ENDED,    /* a zombie: ended, not reaped, its pid still ours */
  CHILD_GONE      /* reaped, by the library or by someone else (lost) */
};

/* Under the lock.  A child that the system says is no child of ours any
   more was reaped behind the library's back: it is lost.  Through the
   pidfd when there is one, which names this very process even if its pid
   has been reused.  */
static enum child_state
state_locked (sp_proc_t *r)
{
  siginfo_t si;
  int rc = -1;
  bool asked = false;

  if (r->reaped || r->lost_errno)
    return CHILD_GONE;
  memset (&si, 0, sizeof si);
#ifdef SP_POSIX_PIDFD
  if (r->pidfd >= 0)
    {
      rc = waitid_nocancel (SP_P_PIDFD, (id_t) r->pidfd, &si,
                            WEXITED | WNOHANG | WNOWAIT);
      /* EINVAL: a kernel without P_PIDFD.  */
      asked = rc == 0 || errno != EINVAL;
    }
#endif
  if (!asked)
    rc = waitid_nocancel (P_PID, (id_t) r->pid, &si,
                          WEXITED | WNOHANG | WNOWAIT);
  if (rc < 0)
    {
      if (errno != ECHILD)
        return CHILD_RUNNING;   /* cannot tell: as if still there */
      r->lost_errno = ECHILD;
      return CHILD_GONE;
    }
  if (si.si_pid == 0)
    return CHILD_RUNNING;
  end_seen_locked (r);
  return CHILD_ENDED;
}

/* Under the lock: reap the child of R if it has ended.  1 reaped (or
   already), 0 still running, -1 lost (R->lost_errno).  With a pidfd,
   waitpid runs only once the pidfd has confirmed that the pid is still
   this child's.  */
static int
reap_locked (sp_proc_t *r)
{
  int status = 0;

  if (r->reaped)
    return 1;
  if (r->lost_errno)
    return -1;
  if (r->pidfd >= 0)
    {
      enum child_state st = state_locked (r);
      if (st == CHILD_RUNNING)
        return 0;
      if (st == CHILD_GONE)
        return -1;
    }
  pid_t p = sp_posix_wait4 (r->pid, &status, WNOHANG, &r->ru, &r->have_ru);
  if (p < 0)
    {
      r->lost_errno = errno;
      return -1;
    }
  if (p == 0)
    return 0;
  end_seen_locked (r);
  r->reaped = true;
  r->status = status;
  return 1;
}

static int64_t
timeval_us (const struct timeval *tv)
{
  return (int64_t) tv->tv_sec * 1000000 + tv->tv_usec;
}

void
sp_backend_limit_ended (sp_proc_t *proc, const sp_options_t *opt, int raw,
                        sp_limit_hit_t *hit)
{
  hit->which = SP_LIMIT_NONE;
  hit->value = 0;
  if (!WIFSIGNALED (raw))
    return;
  int sig = WTERMSIG (raw);
  const sp_rlimit_t *cpu = sp_rlimit_find (opt, RLIMIT_CPU);
  const sp_rlimit_t *fsize = sp_rlimit_find (opt, RLIMIT_FSIZE);

  if (cpu && cpu->soft != SUBPROC_RLIM_INFINITY)
    {
      /* SIGXCPU comes from the soft limit.  SIGKILL comes from the hard
         one, or from anyone else: it counts for a child that has used
         at least the soft limit's time, so that it was sent SIGXCPU
         and survived it.  The hard limit itself cannot be compared:
         the time the kernel counts against the limit and the time
         wait4 reports differ (by a sixth, on a virtual machine), and
         a child killed at 2 s of the one may show 1.75 s of the
         other.  */
      sp_proc_t *r = record (proc);
      pthread_mutex_lock (&lock);
      bool past_soft = r->have_ru && cpu->hard != SUBPROC_RLIM_INFINITY
                       && (unsigned long long) (timeval_us (&r->ru.ru_utime)
                                                + timeval_us (&r->ru.ru_stime))
                              / 1000000ULL
                            >= cpu->soft;
      pthread_mutex_unlock (&lock);
      if (sig == SIGXCPU || (sig == SIGKILL && past_soft))
        {
          hit->which = SP_LIMIT_CPU;
          hit->value = cpu->soft;
          return;
        }
    }
  if (fsize && fsize->soft != SUBPROC_RLIM_INFINITY && sig == SIGXFSZ)
    {
      hit->which = SP_LIMIT_FSIZE;
      hit->value = fsize->soft;
    }
}

int
sp_backend_proc_handle (sp_proc_t *proc, subproc_handle_t *h, sp_fail_t *f)
{
  sp_proc_t *r = record (proc);
  pthread_mutex_lock (&lock);
  bool reaped = r->reaped || r->lost_errno;
  int pidfd = r->pidfd;
  pthread_mutex_unlock (&lock);
  if (reaped)
    return sp_fail (f, SUBPROC_ERR_STATE, ESRCH, SP_STAGE_WAIT, NULL);
  if (pidfd < 0)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS, SP_STAGE_WAIT,
                    "pidfd");
  *h = pidfd;
  return 0;
}

bool
sp_posix_proc_reaped (sp_proc_t *proc)
{
  sp_proc_t *r = record (proc);
  pthread_mutex_lock (&lock);
  bool reaped = r->reaped;
  pthread_mutex_unlock (&lock);
  return reaped;
}

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  int cancel = sp_posix_nocancel_begin ();
  nanosleep (&ts, NULL);
  sp_posix_nocancel_end (cancel);
}

/* Sleep until the child of R may have ended, at most LEFT ms (-1: no
   limit), without reaping it.  *NAP: the next nap without a pidfd.  */
static int
sleep_for_child (sp_proc_t *r, int64_t left, int *nap, sp_fail_t *f)
{
  if (r->pidfd >= 0)
    {
      /* Readable once the child has ended.  */
      struct pollfd pfd = { r->pidfd, POLLIN, 0 };
      int ms = left < 0 ? -1 : left > 0x7fffffff ? 0x7fffffff : (int) left;
      if (poll_one (&pfd, ms) < 0 && errno != EINTR)
        return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_WAIT, NULL);
      return 0;
    }
  if (left < 0)
    {
      /* Returns once the child has ended, or at once with ECHILD when
         it is gone; either way the caller looks again under the
         lock.  */
      siginfo_t si;
      int rc;
      rc = waitid_nocancel (P_PID, (id_t) r->pid, &si, WEXITED | WNOWAIT);
      if (rc < 0 && errno != ECHILD)
        return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_WAIT, NULL);
      return 0;
    }
  /* No way to sleep until the child ends without touching SIGCHLD:
     short naps, growing to 50 ms.  */
  sleep_ms (left < *nap ? (int) left : *nap);
  if (*nap < 50)
    *nap *= 2;
  return 0;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    sp_backend_close (*fd);
  *fd = -1;
}

static int child_report (sp_proc_t *proc, sp_fail_t *f, bool *got);

int
sp_backend_wait (sp_proc_t *proc, int timeout_ms, int *raw_status,
                 sp_fail_t *f)
{
  sp_proc_t *r = record (proc);
  int64_t deadline = timeout_ms < 0 ? -1
                                    : sp_backend_now_ms () + timeout_ms;
  int nap = 1;
  int rc;

  pthread_mutex_lock (&lock);
  rc = r->reaped ? 1 : r->lost_errno ? -1 : 0;
  pthread_mutex_unlock (&lock);
  /* A blocking wait sleeps first: the child is most likely running.  */
  bool slept = rc != 0 || timeout_ms >= 0;
  while (rc == 0)
    {
      if (!slept && sleep_for_child (r, -1, &nap, f) < 0)
        return -1;
      pthread_mutex_lock (&lock);
      rc = reap_locked (r);
      pthread_mutex_unlock (&lock);
      if (rc != 0)
        break;
      slept = false;
      if (deadline >= 0)
        {
          int64_t left = deadline - sp_backend_now_ms ();
          if (left <= 0)
            return 0;
          if (sleep_for_child (r, left, &nap, f) < 0)
            return -1;
          slept = true;
        }
    }
  pthread_mutex_lock (&lock);
  int status = r->status;
  int lost = r->lost_errno;
  pthread_mutex_unlock (&lock);
  if (rc < 0)
    return sp_fail (f, SUBPROC_ERR_SYSTEM, lost, SP_STAGE_WAIT, NULL);

  /* A child held by the handshake that gave up (no notify came) reported
     why on its error pipe: that is the result, not its exit status
     127.  */
  bool got = false;
  *raw_status = status;
  if (proc->err_fd >= 0 && child_report (proc, f, &got) < 0)
    return -1;
  return 1;
}

int
sp_backend_wait_exit (sp_proc_t *proc, int timeout_ms)
{
  sp_proc_t *r = record (proc);
  int64_t deadline = timeout_ms < 0 ? -1
                                    : sp_backend_now_ms () + timeout_ms;
  int nap = 1;
  sp_fail_t f;

  for (;;)
    {
      pthread_mutex_lock (&lock);
      enum child_state st = state_locked (r);
      pthread_mutex_unlock (&lock);
      if (st != CHILD_RUNNING)
        return 1;
      int64_t left = deadline < 0 ? -1 : deadline - sp_backend_now_ms ();
      if (deadline >= 0 && left <= 0)
        return 0;
      if (sleep_for_child (r, left, &nap, &f) < 0)
        return 0;
    }
}

int
sp_backend_exited (sp_proc_t *proc)
{
  sp_proc_t *r = record (proc);
  pthread_mutex_lock (&lock);
  enum child_state st = state_locked (r);
  pthread_mutex_unlock (&lock);
  return st != CHILD_RUNNING;
}

#if defined SP_POSIX_HAVE_PIDFD_SEND_SIGNAL && defined SYS_pidfd_send_signal
/* pidfd_send_signal's flag for the process group the pidfd's process
   leads (Linux 6.9; include/uapi/linux/pidfd.h).  */
# ifndef PIDFD_SIGNAL_PROCESS_GROUP
#  define PIDFD_SIGNAL_PROCESS_GROUP (1U << 2)
# endif

/* 1 once the kernel refused PIDFD_SIGNAL_PROCESS_GROUP (before 6.9).  */
static int no_pidfd_group;
#endif

/* Send SIG through the pidfd of R, to its process or (GROUP) to the
   group it leads: -1 with ENOSYS when that cannot be done.  */
static int
pidfd_signal (sp_proc_t *r, bool group, int sig)
{
#if defined SP_POSIX_HAVE_PIDFD_SEND_SIGNAL && defined SYS_pidfd_send_signal
  if (r->pidfd >= 0 && !(group && no_pidfd_group))
    {
      unsigned int flags = group ? PIDFD_SIGNAL_PROCESS_GROUP : 0;
      int rc = (int) syscall (SYS_pidfd_send_signal, r->pidfd, sig, NULL,
                              flags);
      if (rc < 0 && group && errno == EINVAL)
        {
          /* SIG is one of ours: only the flag can be unknown.  */
          no_pidfd_group = 1;
          errno = ENOSYS;
        }
      return rc;
    }
#else
  (void) r;
  (void) group;
  (void) sig;
#endif
  errno = ENOSYS;
  return -1;
}

/* Send SIG (valid) to the child of PROC: 0, or -1 with the errno (ESRCH
   once the child is gone).  Keeps errno.  */
static int
send_signal (sp_proc_t *proc, bool group, int sig, int *err)
{
  sp_proc_t *r = record (proc);
  int saved = errno;
  int ret = -1;

  *err = ESRCH;

  pthread_mutex_lock (&lock);
  /* Unreaped (running or a zombie), the child keeps its pid, and the
     group it leads keeps its id: neither can belong to anyone else.  Once
     the library knows the leader is gone, the group is not signalled at
     all, even if grandchildren remain in it: nothing tells the library
     whether the id still names that group.  The lock keeps the library
     from reaping between the check and the signal, but not a caller's
     own waitpid (-1) (a SIGCHLD handler): so a pidfd signals the group
     itself, the kernel's group of the leader, which the id's reuse by
     another group cannot redirect (it fails with ESRCH once the group is
     empty).  Without one (before Linux 6.9 for groups, or no pidfd),
     kill by number remains, with that window: a leader reaped by the
     caller between the check and the kill, whose group has emptied and
     whose id another process has taken for a group of its own.  */
  if (state_locked (r) != CHILD_GONE)
    {
      void (*observe) (long, int)
        = __atomic_load_n (&signal_observer, __ATOMIC_ACQUIRE);
      if (observe)
        observe (group ? -(long) r->pid : (long) r->pid, sig);
      ret = pidfd_signal (r, group, sig);
      if (ret < 0 && errno == ENOSYS)
        ret = kill (group ? -r->pid : r->pid, sig);
      *err = ret < 0 ? errno : 0;
    }
  pthread_mutex_unlock (&lock);
  errno = saved;
  return ret;
}

void
sp_backend_terminate (sp_proc_t *proc, bool group)
{
  int err;
  send_signal (proc, group, SIGTERM, &err);
}

void
sp_backend_kill (sp_proc_t *proc, bool group)
{
  int err;
  send_signal (proc, group, SIGKILL, &err);
}

int
sp_backend_signal (sp_proc_t *proc, bool group, int sig, sp_fail_t *f)
{
  int err;
  sigset_t set;

  /* Checked here: pidfd_signal takes an EINVAL for a group as the
     kernel's refusal of the flag.  */
  sigemptyset (&set);
  if (sig < 0 || (sig > 0 && sigaddset (&set, sig) < 0))
    return sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_NONE, NULL);
  if (send_signal (proc, group, sig, &err) == 0)
    return 0;
  return sp_fail (f, err == ESRCH ? SUBPROC_ERR_STATE : SUBPROC_ERR_SYSTEM,
                  err, SP_STAGE_NONE, NULL);
}

/* ------------------------------------------------------------------ */
/* Children handed over by pid.  While the command holds a child whose
   pid it handed over, its record is in this table, and
   sp_backend_proc_for_pid returns a view of it: subproc_pid_wait and
   subproc_pid_abort then reap and signal under the same lock as the
   command and its I/O thread, and the command still knows the status
   afterwards.  Once the command has let go of the record, the pid is an
   ordinary child of ours that waitpid finds.  */

static sp_proc_t *table;

static void
table_unlink_locked (sp_proc_t *proc)
{
  for (sp_proc_t **p = &table; *p; p = &(*p)->next)
    if (*p == proc)
      {
        *p = proc->next;
        break;
      }
  proc->next = NULL;
  proc->handed = false;
}

/* subproc_pid_abort cannot report a failure, and a child handed to the
   caller must not be left running for want of a few bytes: when memory
   runs out, sp_backend_proc_for_pid lends this one (to one caller at a
   time).  */
static sp_proc_t reserve_proc;
static char reserve_busy;

/* Close what is left of P and free it.  */
static void
proc_free (sp_proc_t *p)
{
  close_fd (&p->pidfd);
  close_fd (&p->err_fd);
  close_fd (&p->ready_fd);
  close_fd (&p->go_fd);
  if (p == &reserve_proc)
    __atomic_clear (&reserve_busy, __ATOMIC_RELEASE);
  else
    free (p);
}

void
sp_backend_release (sp_proc_t *proc)
{
  if (proc == NULL)
    return;
  int saved = errno;
  sp_proc_t *gone = proc;
  sp_proc_t *also = NULL;

  /* The handshake's descriptors go now: a child held by it must not wait
     for a view to be released.  */
  close_fd (&proc->err_fd);
  close_fd (&proc->ready_fd);
  close_fd (&proc->go_fd);
  sp_posix_cgroup_release (proc);
  pthread_mutex_lock (&lock);
  if (proc->shared)
    {
      /* A view: the record goes with its last view once the command has
         let go of it.  */
      sp_proc_t *r = proc->shared;
      if (--r->views == 0 && r->orphan)
        also = r;
    }
  else
    {
      if (proc->handed)
        table_unlink_locked (proc);
      if (proc->views > 0)
        {
          proc->orphan = true;
          gone = NULL;
        }
    }
  pthread_mutex_unlock (&lock);
  if (gone)
    proc_free (gone);
  if (also)
    proc_free (also);
  errno = saved;
}

/* Does the kernel reap our children itself (SIGCHLD ignored, or
   SA_NOCLDWAIT)?  */
static bool
statuses_discarded (void)
{
  struct sigaction sa;
  if (sigaction (SIGCHLD, NULL, &sa) < 0)
    return false;
  return (sa.sa_flags & SA_NOCLDWAIT)
         || (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN);
}

sp_proc_t *
sp_backend_proc_for_pid (pid_t pid, sp_fail_t *f)
{
  if (pid <= 0)
    {
      sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_WAIT, NULL);
      return NULL;
    }

  sp_proc_t *proc = sp_calloc (1, sizeof *proc);
  if (proc == NULL
      && !__atomic_test_and_set (&reserve_busy, __ATOMIC_ACQUIRE))
    {
      proc = &reserve_proc;
      memset (proc, 0, sizeof *proc);
    }
  if (proc == NULL)
    {
      sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_WAIT, NULL);
      return NULL;
    }
  proc->pid = pid;
  proc->pidfd = proc->err_fd = proc->ready_fd = proc->go_fd = -1;

  /* The caller's claim on the pid is taken once: a second pid_wait finds
     the pid as waitpid would.  */
  pthread_mutex_lock (&lock);
  for (sp_proc_t *r = table; r; r = r->next)
    if (r->pid == pid)
      {
        table_unlink_locked (r);
        r->views++;
        proc->shared = r;
        break;
      }
  pthread_mutex_unlock (&lock);
  if (proc->shared)
    return proc;

  /* Only our own children can be waited for: say so now rather than
     signalling a stranger in subproc_pid_abort.  */
  siginfo_t si;
  if (peek_exited (pid, &si) < 0 && errno == ECHILD)
    {
      proc_free (proc);
      /* With SIGCHLD ignored the kernel may have reaped our child before
         this call, as it does during a wait: the status is lost, and the
         report is the one the wait gives (nothing tells such a child
         from a stranger any more).  */
      sp_fail (f, statuses_discarded () ? SUBPROC_ERR_SYSTEM
                                        : SUBPROC_ERR_INVALID,
               ECHILD, SP_STAGE_WAIT, NULL);
      return NULL;
    }
  proc->pidfd = sp_posix_pidfd_open (pid);
  return proc;
}

int
sp_backend_hand_over (sp_proc_t *proc, sp_fail_t *f)
{
  (void) f;
  pthread_mutex_lock (&lock);
  if (!proc->handed)
    {
      proc->handed = true;
      proc->next = table;
      table = proc;
    }
  pthread_mutex_unlock (&lock);
  return 0;
}

void
sp_backend_forget (pid_t pid)
{
  /* sp_backend_release took the record out of the table; the pid may
     already belong to another child whose record must stay.  */
  (void) pid;
}

void
sp_backend_disown (sp_proc_t *proc)
{
  /* The pid stays valid until the caller reaps it: nothing to keep.  */
  sp_backend_release (proc);
}

int
sp_backend_status_exited (int raw_status, int *value)
{
  if (WIFEXITED (raw_status))
    {
      *value = WEXITSTATUS (raw_status);
      return 1;
    }
  if (WIFSIGNALED (raw_status))
    *value = WTERMSIG (raw_status);
  else
    *value = 0;
  return 0;
}

bool
sp_backend_status_exception (int raw_status)
{
  /* An abnormal end is a signal here.  */
  (void) raw_status;
  return false;
}

int
sp_backend_status_encode (int exit_code)
{
  /* What waitpid reports for exit (EXIT_CODE): W_EXITCODE, which POSIX
     does not name.  */
  return (exit_code & 0xff) << 8;
}

/* The failure a child reported on PROC's error pipe, or none (0).  */
static int
child_report (sp_proc_t *proc, sp_fail_t *f, bool *got)
{
  sp_posix_report_t rep;
  int r = proc->err_fd >= 0 ? sp_posix_read_report (proc->err_fd, &rep) : 0;

  *got = r != 0;
  close_fd (&proc->err_fd);
  if (r < 0)
    return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_HANDSHAKE, NULL);
  if (r > 0)
    return sp_fail (f,
                    rep.stage == SP_STAGE_HOOK ? SUBPROC_ERR_HOOK
                                               : SUBPROC_ERR_SPAWN,
                    rep.err, (sp_stage_t) rep.stage, NULL);
  return 0;
}

int
sp_backend_handshake_wait (sp_proc_t *proc, sp_fail_t *f)
{
  char c;
  ssize_t r;
  bool got;

  if (proc->ready_fd < 0)
    return sp_fail (f, SUBPROC_ERR_STATE, EINVAL, SP_STAGE_HANDSHAKE, NULL);
  int cancel = sp_posix_nocancel_begin ();
  while ((r = sp_posix_sys_read (proc->ready_fd, &c, 1)) < 0 && errno == EINTR)
    ;
  sp_posix_nocancel_end (cancel);
  int err = errno;
  close_fd (&proc->ready_fd);
  if (r == 1)
    return 0;
  if (r < 0)
    return sp_fail (f, SUBPROC_ERR_SYSTEM, err, SP_STAGE_HANDSHAKE, NULL);
  /* The child ended before it was ready: it said why, or was killed.  */
  if (child_report (proc, f, &got) < 0)
    return -1;
  return sp_fail (f, SUBPROC_ERR_SPAWN, ECHILD, SP_STAGE_HANDSHAKE, NULL);
}

int
sp_backend_handshake_notify (sp_proc_t *proc, sp_fail_t *f)
{
  char c = 1;
  bool got;

  if (proc->go_fd < 0)
    return sp_fail (f, SUBPROC_ERR_STATE, EINVAL, SP_STAGE_HANDSHAKE, NULL);
  int w = sp_backend_write_all (proc->go_fd, &c, 1);
  int err = errno;
  close_fd (&proc->go_fd);
  /* Whatever went wrong after the handshake (identity, directory, exec)
     comes through the error pipe; EOF means the program runs.  */
  if (child_report (proc, f, &got) < 0)
    return -1;
  if (w < 0)
    return sp_fail (f, SUBPROC_ERR_SPAWN, err, SP_STAGE_HANDSHAKE, NULL);
  return 0;
}

void
sp_backend_handshake_abandon (sp_proc_t *proc)
{
  /* Without "go" the held child fails with SP_STAGE_HANDSHAKE and exits;
     it says so on the error pipe, which sp_backend_wait reads.  */
  close_fd (&proc->go_fd);
}

/* ------------------------------------------------------------------ */
/* Usage.  */

int
sp_backend_usage (sp_proc_t *proc, subproc_usage_t *u, sp_fail_t *f)
{
  sp_proc_t *r = record (proc);

  (void) f;
  memset (u, 0, sizeof *u);
  pthread_mutex_lock (&lock);
  if (r->spawn_us && r->end_us >= r->spawn_us)
    {
      u->wall_time_us = r->end_us - r->spawn_us;
      u->known |= SUBPROC_USAGE_WALL_TIME;
    }
  if (r->have_ru)
    {
      const struct rusage *ru = &r->ru;
      u->user_time_us = timeval_us (&ru->ru_utime);
      u->system_time_us = timeval_us (&ru->ru_stime);
#ifdef __APPLE__
      u->max_rss = (uint64_t) ru->ru_maxrss;            /* bytes there */
#else
      u->max_rss = (uint64_t) ru->ru_maxrss * 1024;     /* KiB */
#endif
      u->minor_faults = (uint64_t) ru->ru_minflt;
      u->major_faults = (uint64_t) ru->ru_majflt;
      u->page_faults = u->minor_faults + u->major_faults;
      u->voluntary_switches = (uint64_t) ru->ru_nvcsw;
      u->involuntary_switches = (uint64_t) ru->ru_nivcsw;
      u->known |= SUBPROC_USAGE_USER_TIME | SUBPROC_USAGE_SYSTEM_TIME
                  | SUBPROC_USAGE_MAX_RSS | SUBPROC_USAGE_PAGE_FAULTS
                  | SUBPROC_USAGE_MINOR_FAULTS | SUBPROC_USAGE_MAJOR_FAULTS
                  | SUBPROC_USAGE_VOLUNTARY_SWITCHES
                  | SUBPROC_USAGE_INVOLUNTARY_SWITCHES;
    }
  pthread_mutex_unlock (&lock);
  return 0;
}
