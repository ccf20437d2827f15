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
 * SUBPROC_ERR_SYSTEM and ECHILD (after the child has ended).
 */

#include <config.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
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
#if defined HAVE_PIDFD_OPEN && defined HAVE_SYS_PIDFD_H
  return pidfd_open (pid, 0);
#elif defined SYS_pidfd_open
  return (int) syscall (SYS_pidfd_open, pid, 0);
#else
  (void) pid;
  errno = ENOSYS;
  return -1;
#endif
}

/* Send SIG through the pidfd of PROC: -1 when that cannot be done.  */
static int
pidfd_signal (sp_proc_t *proc, int sig)
{
#if defined SYS_pidfd_send_signal
  if (proc->pidfd >= 0)
    return (int) syscall (SYS_pidfd_send_signal, proc->pidfd, sig, NULL, 0);
#else
  (void) proc;
  (void) sig;
#endif
  errno = ENOSYS;
  return -1;
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

/* waitid (P_PID, PID, WEXITED | WNOHANG | WNOWAIT): has PID ended?  */
static int
peek_exited (pid_t pid, siginfo_t *si)
{
  memset (si, 0, sizeof *si);
  int cancel = sp_posix_nocancel_begin ();
  int r = waitid (P_PID, (id_t) pid, si, WEXITED | WNOHANG | WNOWAIT);
  sp_posix_nocancel_end (cancel);
  return r;
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

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    sp_backend_close (*fd);
  *fd = -1;
}

/* A child that cannot be waited for: auto-reaped (SIGCHLD ignored) or
   reaped by someone else.  */
static int
lost (sp_proc_t *proc, int err, sp_fail_t *f)
{
  proc->lost_errno = err;
  close_fd (&proc->pidfd);
  return sp_fail (f, SUBPROC_ERR_SYSTEM, err, SP_STAGE_WAIT, NULL);
}

static int child_report (sp_proc_t *proc, sp_fail_t *f, bool *got);

/* PROC has been reaped with STATUS.  A child held by the handshake that
   gave up (no notify came) reported why on its error pipe: that is the
   result, not its exit status 127.  */
static int
reaped (sp_proc_t *proc, int status, int *raw_status, sp_fail_t *f)
{
  bool got = false;

  proc->reaped = true;
  proc->status = status;
  close_fd (&proc->pidfd);
  *raw_status = status;
  if (proc->err_fd >= 0 && child_report (proc, f, &got) < 0)
    return -1;
  return 1;
}

static void
sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000L };
  int cancel = sp_posix_nocancel_begin ();
  nanosleep (&ts, NULL);
  sp_posix_nocancel_end (cancel);
}

int
sp_backend_wait (sp_proc_t *proc, int timeout_ms, int *raw_status,
                 sp_fail_t *f)
{
  int status = 0;
  pid_t r;

  if (proc->reaped)
    {
      *raw_status = proc->status;
      return 1;
    }
  if (proc->lost_errno)
    return sp_fail (f, SUBPROC_ERR_SYSTEM, proc->lost_errno, SP_STAGE_WAIT,
                    NULL);

  /* A child held before exec by the handshake would wait forever for a
     notify that nobody can send while we wait: let it go (it fails
     with SP_STAGE_HANDSHAKE and exits).  */
  close_fd (&proc->go_fd);

  if (timeout_ms < 0)
    {
      r = sp_posix_waitpid (proc->pid, &status, 0);
      if (r < 0)
        return lost (proc, errno, f);
      return reaped (proc, status, raw_status, f);
    }

  int64_t deadline = sp_backend_now_ms () + timeout_ms;
  int nap = 1;
  for (;;)
    {
      r = sp_posix_waitpid (proc->pid, &status, WNOHANG);
      if (r < 0)
        return lost (proc, errno, f);
      if (r > 0)
        return reaped (proc, status, raw_status, f);
      int64_t left = deadline - sp_backend_now_ms ();
      if (left <= 0)
        return 0;
      if (proc->pidfd >= 0)
        {
          /* Readable once the child has ended.  */
          struct pollfd pfd = { proc->pidfd, POLLIN, 0 };
          int pr = poll_one (&pfd,
                             left > 0x7fffffff ? 0x7fffffff : (int) left);
          if (pr < 0 && errno != EINTR)
            return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_WAIT,
                            NULL);
        }
      else
        {
          /* No way to sleep until the child ends without touching
             SIGCHLD: short naps, growing to 50 ms.  */
          sleep_ms (left < nap ? (int) left : nap);
          if (nap < 50)
            nap *= 2;
        }
    }
}

int
sp_backend_exited (sp_proc_t *proc)
{
  if (proc->reaped || proc->lost_errno)
    return 1;
  if (proc->pidfd >= 0)
    {
      struct pollfd pfd = { proc->pidfd, POLLIN, 0 };
      int r;
      while ((r = poll_one (&pfd, 0)) < 0 && errno == EINTR)
        ;
      if (r >= 0)
        return r > 0;
    }
  siginfo_t si;
  if (peek_exited (proc->pid, &si) < 0)
    return errno == ECHILD ? 1 : 0;
  return si.si_pid != 0;
}

static void
send_signal (sp_proc_t *proc, bool group, int sig)
{
  int saved = errno;

  if (group)
    {
      /* The group outlives its leader while grandchildren remain in it;
         its id cannot be handed to a new process or group meanwhile.  */
      kill (-proc->pid, sig);
    }
  else if (!proc->reaped && !proc->lost_errno)
    {
      if (pidfd_signal (proc, sig) < 0)
        kill (proc->pid, sig);
    }
  errno = saved;
}

void
sp_backend_terminate (sp_proc_t *proc, bool group)
{
  send_signal (proc, group, SIGTERM);
}

void
sp_backend_kill (sp_proc_t *proc, bool group)
{
  send_signal (proc, group, SIGKILL);
}

/* subproc_pid_abort cannot report a failure, and a child handed to the
   caller must not be left running for want of a few bytes: when memory
   runs out, sp_backend_proc_for_pid lends this one (to one caller at a
   time).  */
static sp_proc_t reserve_proc;
static char reserve_busy;

void
sp_backend_release (sp_proc_t *proc)
{
  if (proc == NULL)
    return;
  int saved = errno;
  close_fd (&proc->pidfd);
  close_fd (&proc->err_fd);
  close_fd (&proc->ready_fd);
  close_fd (&proc->go_fd);
  if (proc == &reserve_proc)
    __atomic_clear (&reserve_busy, __ATOMIC_RELEASE);
  else
    free (proc);
  errno = saved;
}

sp_proc_t *
sp_backend_proc_for_pid (pid_t pid, sp_fail_t *f)
{
  if (pid <= 0)
    {
      sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_WAIT, NULL);
      return NULL;
    }

  /* Only our own children can be waited for: say so now rather than
     signalling a stranger in subproc_pid_abort.  */
  siginfo_t si;
  if (peek_exited (pid, &si) < 0 && errno == ECHILD)
    {
      sp_fail (f, SUBPROC_ERR_INVALID, ECHILD, SP_STAGE_WAIT, NULL);
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
  proc->err_fd = proc->ready_fd = proc->go_fd = -1;
  proc->pidfd = sp_posix_pidfd_open (pid);
  return proc;
}

int
sp_backend_hand_over (sp_proc_t *proc, sp_fail_t *f)
{
  /* waitpid finds any child of ours by its pid.  */
  (void) proc;
  (void) f;
  return 0;
}

void
sp_backend_forget (pid_t pid)
{
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
