/* child.c: everything the child does between fork and exec.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The child may be a vfork/CLONE_VM child that shares the parent's
 * memory, or a fork of a multi-threaded parent whose other threads held
 * locks at the moment of the fork.  Either way only async-signal-safe
 * calls are allowed (signal-safety(7)): no malloc, no stdio, no opendir,
 * no locale, no getpwnam.  Everything that needs memory was prepared by
 * the parent (sp_posix_child_t).  With CLONE_VM the child must not write
 * to the parent's memory either, except for the two report fields.
 *
 * The child never acts on a pthread_cancel aimed at the caller's thread:
 * the parent disables cancellation around the spawn and the child
 * inherits that, and the calls that are cancellation points in the C
 * library go through sp_posix_sys_* (raw system calls on Linux, which
 * do not even look at the thread's cancellation state: in a CLONE_VM
 * child that state is the parent thread's).  The child leaves only
 * through execve or _exit, never through exit or by unwinding, so the
 * caller's cleanup handlers, atexit handlers and stdio buffers never
 * run or get flushed here.
 *
 * Identity changes use raw system calls on Linux: glibc's setuid and
 * friends broadcast the change to every thread of the process, and in a
 * CLONE_VM child "every thread" is the parent's threads.
 *
 * libcap-ng is not used here on purpose: it keeps its state in global
 * (or thread-local) memory that a CLONE_VM child would share with the
 * parent.  The capability sets are a few words, computed on the stack.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

#ifdef SP_POSIX_LINUX
# include <sys/prctl.h>
/* From <linux/prctl.h> and <linux/securebits.h>, which not every C
   library's headers bring.  */
# ifndef PR_GET_SECUREBITS
#  define PR_GET_SECUREBITS 27
#  define PR_SET_SECUREBITS 28
# endif
# ifndef PR_SET_NO_NEW_PRIVS
#  define PR_SET_NO_NEW_PRIVS 38
# endif
# ifndef SECBIT_NOROOT
#  define SECBIT_NOROOT (1 << 0)
#  define SECBIT_NOROOT_LOCKED (1 << 1)
#  define SECBIT_NO_SETUID_FIXUP (1 << 2)
#  define SECBIT_NO_SETUID_FIXUP_LOCKED (1 << 3)
# endif
#endif
#ifdef HAVE_LINUX_CLOSE_RANGE_H
# include <linux/close_range.h>
#endif
#ifdef HAVE_SETGROUPS
# include <grp.h>
#endif

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
void
sp_posix_child_fail (sp_posix_child_t *ctx, sp_stage_t stage, int err)
{
  if (err == 0)
    err = EIO;
  if (ctx->err_fd >= 0)
    {
      sp_posix_report_t rep = { (int) stage, err };
      /* Eight bytes on a pipe are written at once or not at all.  */
      while (sp_posix_sys_write (ctx->err_fd, &rep, sizeof rep) < 0
             && errno == EINTR)
        ;
    }
  _exit (127);
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static void
reset_signals (void)
{
  struct sigaction sa;
  sigset_t empty;

  /* Handlers would be reset by exec anyway, but a signal arriving before
     exec must not run a handler of the parent's in the child, and
     ignored signals stay ignored across exec.  The parent blocked every
     signal around the fork, so nothing runs until the mask is cleared
     below.  Errors are for the signals the C library reserves.  */
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  sigemptyset (&sa.sa_mask);
  /* NSIG covers the real-time signals on Linux, but not on every system
     (on the BSDs it stops at 32): up to the highest real-time signal
     where there are any.  */
  int last = NSIG - 1;
#ifdef SIGRTMAX
  if (SIGRTMAX > last)
    last = SIGRTMAX;
#endif
  for (int sig = 1; sig <= last; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction (sig, &sa, NULL);
  sigemptyset (&empty);
  sigprocmask (SIG_SETMASK, &empty, NULL);
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
clear_cloexec (int fd)
{
  int flags = fcntl (fd, F_GETFD);
  if (flags < 0)
    return -1;
  if ((flags & FD_CLOEXEC) && fcntl (fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
    return -1;
  return 0;
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
arrange_stdio (const sp_posix_child_t *ctx)
{
  int src[3];

  for (int i = 0; i < 3; i++)
    {
      src[i] = ctx->spec->stdio[i] >= 0 ? ctx->spec->stdio[i] : ctx->null_fd;
      if (src[i] < 0)
        {
          errno = EBADF;
          return -1;
        }
    }

  /* A source that is itself one of 0, 1, 2 but meant for another slot
     (the parent's stdout as the child's stdin, say) would be overwritten
     by an earlier dup2: move it out of the way first.  The backend's own
     descriptors are never below 3 (sp_posix_pipe), so they are safe.  */
  for (int i = 0; i < 3; i++)
    if (src[i] < 3 && src[i] != i)
      {
        int old = src[i];
        int moved = fcntl (old, F_DUPFD_CLOEXEC, 3);
        if (moved < 0)
          return -1;
        for (int j = i; j < 3; j++)
          if (src[j] == old)
            src[j] = moved;
      }

  for (int i = 0; i < 3; i++)
    {
      /* dup2 onto itself keeps FD_CLOEXEC; the slot must survive exec.  */
      if (src[i] == i)
        {
          if (clear_cloexec (i) < 0)
            return -1;
        }
      else
        {
          while (dup2 (src[i], i) < 0)
            if (errno != EINTR)
              return -1;
        }
    }
  return 0;
}

/* Descriptors under other numbers (subproc_pass_fd_as), in two steps
   around arrange_stdio, so that any mapping works (chains, cycles, a
   target that is a source, a descriptor of the backend's or a stdio
   source) without memory: first every source is copied to BASE + I,
   above every number in play (the sources, the targets, the kept
   descriptors, the stdio sources, the backend's own), where nothing can
   be overwritten that the child needs; then each copy goes to its
   target.  The copies are not close-on-exec; close_other_fds closes
   them, as it does the sources that are not kept.  */

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static bool
sorted_has (const int *v, size_t n, int fd)
{
  size_t lo = 0, hi = n;

  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (v[mid] == fd)
        return true;
      if (v[mid] < fd)
        lo = mid + 1;
      else
        hi = mid;
    }
  return false;
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static void
raise_to (long long *max, int fd)
{
  if (fd > *max)
    *max = fd;
}

/* A descriptor of the backend's own, *FD, that is a target moves to the
   lowest free number from ABOVE up, close-on-exec.  The keep list holds
   the targets (spawn.c), and the backend's descriptors are never among
   the caller's kept ones.  */
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
move_own (const sp_posix_child_t *ctx, int *fd, int above)
{
  if (*fd <= 2 || !sorted_has (ctx->keep_sorted, ctx->n_keep, *fd))
    return 0;
  int moved = fcntl (*fd, F_DUPFD_CLOEXEC, above);
  if (moved < 0)
    return -1;
  *fd = moved;
  return 0;
}

/* Copy every source above the numbers in play, and move the backend's
   own descriptors off the targets; *BASE receives the first copy's
   number.  On failure no copy is left (and *BASE is unchanged).  */
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
remap_begin (sp_posix_child_t *ctx, int *base)
{
  const sp_spec_t *spec = ctx->spec;
  size_t n = spec->n_fd_maps;
  long long max = 2;

  if (n == 0)
    return 0;
  for (int i = 0; i < 3; i++)
    raise_to (&max, spec->stdio[i]);
  if (ctx->n_keep)
    raise_to (&max, ctx->keep_sorted[ctx->n_keep - 1]);
  for (size_t i = 0; i < n; i++)
    raise_to (&max, spec->fd_maps[i].source);
  raise_to (&max, ctx->null_fd);
  raise_to (&max, ctx->err_fd);
  raise_to (&max, ctx->ready_fd);
  raise_to (&max, ctx->go_fd);
  raise_to (&max, ctx->notify_fd);
  if (max + 1 + (long long) n > INT_MAX)
    {
      errno = EBADF;
      return -1;
    }
  int first = (int) max + 1;
  size_t made = 0;

  for (; made < n; made++)
    while (dup2 (spec->fd_maps[made].source, first + (int) made) < 0)
      if (errno != EINTR)
        goto fail;

  int above = first + (int) n;
  if (move_own (ctx, &ctx->err_fd, above) < 0
      || move_own (ctx, &ctx->ready_fd, above) < 0
      || move_own (ctx, &ctx->go_fd, above) < 0
      || move_own (ctx, &ctx->notify_fd, above) < 0)
    goto fail;
  *base = first;
  return 0;

fail:;
  /* subproc_exec goes on in this process after a failure.  */
  int err = errno;
  for (size_t i = 0; i < made; i++)
    sp_posix_sys_close (first + (int) i);
  errno = err;
  return -1;
}

/* Put each copy of remap_begin under its target.  */
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
remap_finish (const sp_posix_child_t *ctx, int base)
{
  const sp_spec_t *spec = ctx->spec;

  for (size_t i = 0; i < spec->n_fd_maps; i++)
    while (dup2 (base + (int) i, spec->fd_maps[i].target) < 0)
      if (errno != EINTR)
        return -1;
  return 0;
}

/* The descriptors the child keeps besides 0, 1, 2: the caller's (sorted,
   from the parent) and the backend's own few (sorted here).  */
typedef struct kept
{
  const int *user;
  size_t n_user;
  int own[4];
  size_t n_own;
} kept_t;

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static void
kept_init (kept_t *k, const sp_posix_child_t *ctx)
{
  int cand[4] = { ctx->err_fd, ctx->ready_fd, ctx->go_fd, ctx->notify_fd };

  k->user = ctx->keep_sorted;
  k->n_user = ctx->n_keep;
  k->n_own = 0;
  for (size_t i = 0; i < 4; i++)
    if (cand[i] > 2)
      {
        size_t j = k->n_own++;
        while (j > 0 && k->own[j - 1] > cand[i])
          {
            k->own[j] = k->own[j - 1];
            j--;
          }
        k->own[j] = cand[i];
      }
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static bool
kept_has (const kept_t *k, int fd)
{
  size_t lo = 0, hi = k->n_user;

  while (lo < hi)
    {
      size_t mid = lo + (hi - lo) / 2;
      if (k->user[mid] == fd)
        return true;
      if (k->user[mid] < fd)
        lo = mid + 1;
      else
        hi = mid;
    }
  for (size_t i = 0; i < k->n_own; i++)
    if (k->own[i] == fd)
      return true;
  return false;
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
kept_max (const kept_t *k)
{
  int max = 2;
  if (k->n_user && k->user[k->n_user - 1] > max)
    max = k->user[k->n_user - 1];
  if (k->n_own && k->own[k->n_own - 1] > max)
    max = k->own[k->n_own - 1];
  return max;
}

#ifdef SP_POSIX_HAVE_CLOSE_RANGE
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
sys_close_range (unsigned int first, unsigned int last)
{
# if HAVE_DECL_CLOSE_RANGE
  return close_range (first, last, 0);
# else
  return (int) syscall (SYS_close_range, first, last, 0);
# endif
}

/* Close the gaps between the kept descriptors with close_range: a few
   system calls whatever RLIMIT_NOFILE is.  -1 when the kernel lacks it
   (ENOSYS before 5.9, EINVAL on some seccomp filters); the caller falls
   back, and closing a descriptor twice is harmless here.  */
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
close_with_close_range (const kept_t *k)
{
  unsigned int lo = 3;
  size_t i = 0, j = 0;

  while (i < k->n_user || j < k->n_own)
    {
      int next;
      if (j >= k->n_own || (i < k->n_user && k->user[i] < k->own[j]))
        next = k->user[i++];
      else
        next = k->own[j++];
      if (next < (int) lo)
        continue;
      if ((unsigned int) next > lo
          && sys_close_range (lo, (unsigned int) next - 1) < 0)
        return -1;
      lo = (unsigned int) next + 1;
    }
  return sys_close_range (lo, ~0U);
}
#endif

#ifdef SP_POSIX_HAVE_PROC_SELF_FD
/* The record of getdents64(2); glibc has no wrapper before 2.30 and
   readdir would allocate.  */
struct linux_dirent64
{
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
close_with_proc (const kept_t *k)
{
  /* Linux numbers the entries of /proc/self/fd by descriptor, so closing
     descriptors while reading the directory skips nothing.  */
  char buf[1024] __attribute__ ((aligned (8)));
  int dir = sp_posix_sys_open ("/proc/self/fd",
                               O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dir < 0)
    return -1;
  for (;;)
    {
      long n = syscall (SYS_getdents64, dir, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          sp_posix_sys_close (dir);
          return -1;
        }
      if (n == 0)
        break;
      for (long off = 0; off < n;)
        {
          struct linux_dirent64 *d = (struct linux_dirent64 *) (buf + off);
          int fd = 0;
          bool digits = d->d_name[0] != '\0';
          for (const char *c = d->d_name; *c; c++)
            {
              if (*c < '0' || *c > '9' || fd > 100000000)
                {
                  digits = false;
                  break;
                }
              fd = fd * 10 + (*c - '0');
            }
          if (digits && fd > 2 && fd != dir && !kept_has (k, fd))
            sp_posix_sys_close (fd);
          off += d->d_reclen;
        }
    }
  sp_posix_sys_close (dir);
  return 0;
}
#endif

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static void
close_with_poll (const kept_t *k)
{
  /* The portable way: poll() reports POLLNVAL for descriptors that are
     not open, 64 at a time.  Where the system has closefrom, the
     descriptors above the highest kept one go in one call and the probe
     only covers the space below it.  */
  struct rlimit rl;
  long limit = 1024;
  int top = kept_max (k);

#if defined __FreeBSD__ || defined __OpenBSD__ || defined __NetBSD__        \
  || defined __DragonFly__ || defined __sun
  closefrom (top + 1);
  limit = (long) top + 1;
#else
  (void) top;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0)
    limit = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1048576
              ? 1048576
              : (long) rl.rlim_cur;
#endif
  (void) rl;

  struct pollfd p[64];
  for (long base = 3; base < limit; base += 64)
    {
      int n = (int) (limit - base < 64 ? limit - base : 64);
      for (int i = 0; i < n; i++)
        {
          p[i].fd = (int) base + i;
          p[i].events = 0;
          p[i].revents = 0;
        }
      if (sp_posix_sys_poll (p, (nfds_t) n) < 0)
        {
          if (errno == EINTR)
            {
              base -= 64;
              continue;
            }
          /* Let close () find out.  */
          for (int i = 0; i < n; i++)
            p[i].revents = 0;
        }
      for (int i = 0; i < n; i++)
        if (!(p[i].revents & POLLNVAL) && !kept_has (k, p[i].fd))
          sp_posix_sys_close (p[i].fd);
    }
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static void
close_other_fds (const sp_posix_child_t *ctx)
{
  kept_t k;

  kept_init (&k, ctx);
#ifdef SP_POSIX_HAVE_CLOSE_RANGE
  if (close_with_close_range (&k) == 0)
    return;
#endif
#ifdef SP_POSIX_HAVE_PROC_SELF_FD
  if (close_with_proc (&k) == 0)
    return;
#endif
  close_with_poll (&k);
}

/* How often to go back and forth between creating the pid file and
   opening it, while others create and remove it in between.  */
#define PID_FILE_TRIES 100

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
open_pid_file (const char *path)
{
  /* Others may write the directory, and the child may be root: the file
     is never reached through a symbolic link (the last component), and
     nothing is written or truncated before fstat has shown what it is.
     O_NONBLOCK: opening a FIFO planted there for writing would wait for
     a reader; now it fails at once (ENXIO), or opens and is refused.  A
     missing file is created exclusively, an existing one opened without
     O_CREAT; it may appear or vanish in between.  */
  int flags = O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  int fd = -1;

  for (int i = 0; i < PID_FILE_TRIES && fd < 0; i++)
    {
      fd = sp_posix_sys_open (path, flags | O_CREAT | O_EXCL, 0644);
      if (fd >= 0 || (errno != EEXIST && errno != EINTR))
        break;
      fd = sp_posix_sys_open (path, flags, 0);
      if (fd < 0 && errno != ENOENT && errno != EINTR)
        break;
    }
  if (fd < 0)
    return -1;

  struct stat st;
  int err = 0;
  int fl;
  if (fstat (fd, &st) < 0)
    err = errno;
  else if (!S_ISREG (st.st_mode))
    err = EINVAL;
  else if (st.st_nlink != 1)
    err = EMLINK;
  else if (st.st_uid != geteuid ())
    err = EPERM;
  else if ((fl = fcntl (fd, F_GETFL)) < 0
           || fcntl (fd, F_SETFL, fl & ~O_NONBLOCK) < 0)
    err = errno;
  if (err == 0)
    return fd;
  sp_posix_sys_close (fd);
  errno = err;
  return -1;
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
write_pid_file (const char *path, int *out)
{
  /* The descriptor stays open (and the lock held) across exec, for as
     long as the program runs: a second instance finds the file locked.
     It is born close-on-exec so that no other child of the parent can
     inherit it, and kept only once it is written.  */
  int fd = open_pid_file (path);
  if (fd < 0)
    return -1;

  struct flock lock;
  memset (&lock, 0, sizeof lock);
  lock.l_type = F_WRLCK;
  lock.l_whence = SEEK_SET;
  char text[24];
  size_t len = 0;
  char digits[24];
  size_t nd = 0;
#ifdef SP_POSIX_HAVE_SYSCALL
  /* The kernel's word: a C library that caches the pid would not know of
     a fork made by system call (sp_posix_fork).  */
  unsigned long pid = (unsigned long) syscall (SYS_getpid);
#else
  unsigned long pid = (unsigned long) getpid ();
#endif
  do
    digits[nd++] = (char) ('0' + pid % 10);
  while ((pid /= 10) != 0);
  while (nd > 0)
    text[len++] = digits[--nd];
  text[len++] = '\n';

  /* Truncated only once it is known to be ours, and locked: a running
     instance's pid stays.  */
  if (fcntl (fd, F_SETLK, &lock) < 0 || ftruncate (fd, 0) < 0)
    goto fail;
  for (size_t done = 0; done < len;)
    {
      ssize_t w = sp_posix_sys_write (fd, text + done, len - done);
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        goto fail;
      done += (size_t) w;
    }
  if (clear_cloexec (fd) < 0)
    goto fail;
  *out = fd;
  return 0;

fail:;
  int err = errno;
  sp_posix_sys_close (fd);
  errno = err;
  return -1;
}

/* The system's value for V (SUBPROC_RLIM_INFINITY: none).  The spawn
   checked that every value fits (sp_posix_check_rlimits).  */
static rlim_t
rlim_value (unsigned long long v)
{
  return v == SUBPROC_RLIM_INFINITY ? RLIM_INFINITY : (rlim_t) v;
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  The limits in the order they were set, so that
   the last setting of each resource is the one applied.  */
static int
set_limits (const sp_options_t *opt)
{
  for (size_t i = 0; i < opt->n_rlimits; i++)
    {
      struct rlimit rl;
      rl.rlim_cur = rlim_value (opt->rlimits[i].soft);
      rl.rlim_max = rlim_value (opt->rlimits[i].hard);
      if (setrlimit (opt->rlimits[i].resource, &rl) < 0)
        return -1;
    }
  return 0;
}

/* nice (INCREMENT), with an unambiguous error: getpriority may return
   -1 as a value.  Like setrlimit, these two are bare system calls.  */
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
set_priority (int increment)
{
  errno = 0;
  int cur = getpriority (PRIO_PROCESS, 0);
  if (cur == -1 && errno != 0)
    return -1;
  /* The system keeps the value within its range.  */
  return setpriority (PRIO_PROCESS, 0, cur + increment);
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
handshake (const sp_posix_child_t *ctx)
{
  char c = 1;
  ssize_t r;

  while ((r = sp_posix_sys_write (ctx->ready_fd, &c, 1)) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return -1;
  while ((r = sp_posix_sys_read (ctx->go_fd, &c, 1)) < 0 && errno == EINTR)
    ;
  if (r == 1)
    return 0;
  /* The parent went away, or gave up on the child.  */
  if (r == 0)
    errno = ECANCELED;
  return -1;
}

#ifdef SP_POSIX_LINUX
/* Raw identity calls: see the comment at the top of the file.  */
# ifdef SYS_setresgid32
#  define SP_SYS_SETRESGID SYS_setresgid32
#  define SP_SYS_SETRESUID SYS_setresuid32
#  define SP_SYS_SETGROUPS SYS_setgroups32
# else
#  define SP_SYS_SETRESGID SYS_setresgid
#  define SP_SYS_SETRESUID SYS_setresuid
#  define SP_SYS_SETGROUPS SYS_setgroups
# endif

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
drop_bounding_set (uint64_t allowed, bool strict)
{
  /* PR_CAPBSET_READ fails past the last capability the kernel knows.  A
     root child regains every capability left in the bounding set at
     exec, so for it a failure to drop one is an error (STRICT); for
     another user the bounding set only limits set-user-ID programs and
     file capabilities, and it is dropped where possible.  */
  for (unsigned long cap = 0;; cap++)
    {
      int r = prctl (PR_CAPBSET_READ, cap, 0, 0, 0);
      if (r < 0)
        return 0;
      if (r == 0 || (cap < 64 && (allowed >> cap) & 1))
        continue;
      if (prctl (PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
        return strict || errno != EPERM ? -1 : 0;
    }
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
lock_secure_bits (bool strict, bool *set)
{
  /* User id 0 becomes an ordinary user: no capabilities are granted at
     exec, neither to a root child nor through a set-user-ID-root
     program, and none are taken or given when the ids change between 0
     and another; locked, so that the child cannot undo it.  Like the
     bounding set this needs CAP_SETPCAP, and a failure is an error for
     a child that is or stays root (STRICT) only.  Bits the parent has
     set already, locked or not, stay as they are.  */
  const unsigned long want = SECBIT_NOROOT | SECBIT_NOROOT_LOCKED
                             | SECBIT_NO_SETUID_FIXUP
                             | SECBIT_NO_SETUID_FIXUP_LOCKED;
  int cur = prctl (PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (cur < 0)
    return strict ? -1 : 0;
  if (((unsigned long) cur & want) != want
      && prctl (PR_SET_SECUREBITS, (unsigned long) cur | want, 0, 0, 0) < 0)
    return strict || errno != EPERM ? -1 : 0;
  *set = true;
  return 0;
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
int
sp_posix_caps (long nr, uint64_t sets[3])
{
  struct sp_posix_cap_header hdr;
  struct sp_posix_cap_data data[2];

  memset (&hdr, 0, sizeof hdr);
  memset (data, 0, sizeof data);
  hdr.version = SP_POSIX_CAP_VERSION_3;
  hdr.pid = 0;
  for (int i = 0; i < 2; i++)
    {
      data[i].effective = (uint32_t) (sets[0] >> (32 * i));
      data[i].permitted = (uint32_t) (sets[1] >> (32 * i));
      data[i].inheritable = (uint32_t) (sets[2] >> (32 * i));
    }
  if (syscall (nr, &hdr, data) < 0)
    return -1;
  sets[0] = data[0].effective | (uint64_t) data[1].effective << 32;
  sets[1] = data[0].permitted | (uint64_t) data[1].permitted << 32;
  sets[2] = data[0].inheritable | (uint64_t) data[1].inheritable << 32;
  return 0;
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
apply_caps (uint64_t allowed)
{
  uint64_t sets[3] = { allowed, allowed, allowed };
  if (sp_posix_caps (SYS_capset, sets) < 0)
    return -1;

# ifdef PR_CAP_AMBIENT
  /* Kernels before 4.3 have no ambient set (EINVAL): nothing to clear.
     A program run by another user than root, or by root under
     SECBIT_NOROOT, keeps the allowed capabilities across exec only
     through the ambient set.  */
  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
    return errno == EINVAL ? 0 : -1;
  for (unsigned long cap = 0; cap < 64; cap++)
    if (((allowed >> cap) & 1)
        && prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      return -1;
# endif
  return 0;
}
#endif /* SP_POSIX_LINUX */

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
/* SP_STAGE_NONE, or the stage that failed.  */
static sp_stage_t
change_identity (const sp_spec_t *spec)
{
  const sp_options_t *opt = spec->opt;
#ifdef SP_POSIX_LINUX
  bool to_root = opt->clear_caps
                 && (opt->set_uid ? opt->uid == 0 : geteuid () == 0);
  bool keep_caps = opt->clear_caps && opt->allowed_caps != 0;
  bool bits = false;

  /* The bounding set and the secure bits need CAP_SETPCAP: before
     setuid.  With SECBIT_NO_SETUID_FIXUP the capabilities survive the
     change of user id as they are, and apply_caps then leaves the
     allowed ones; only without it (an unprivileged parent) is
     PR_SET_KEEPCAPS needed for that.  */
  if (opt->clear_caps && drop_bounding_set (opt->allowed_caps, to_root))
    return SP_STAGE_CAPS;
  if (opt->clear_caps && lock_secure_bits (to_root, &bits) < 0)
    return SP_STAGE_CAPS;
  if (opt->set_uid && keep_caps && !bits
      && prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0))
    return SP_STAGE_CAPS;
  if (spec->change_gid
      && syscall (SP_SYS_SETRESGID, spec->gid, spec->gid, spec->gid) < 0)
    return SP_STAGE_SETGID;
  if (spec->groups
      && syscall (SP_SYS_SETGROUPS, (size_t) spec->n_groups, spec->groups))
    return SP_STAGE_SETGROUPS;
  if (opt->set_uid
      && syscall (SP_SYS_SETRESUID, opt->uid, opt->uid, opt->uid) < 0)
    return SP_STAGE_SETUID;
  if (opt->clear_caps && apply_caps (opt->allowed_caps) < 0)
    return SP_STAGE_CAPS;
  /* Per thread, not in the credentials: it leaves the parent's memory
     alone on the fast path too.  */
  if (opt->no_new_privs && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return SP_STAGE_NO_NEW_PRIVS;
#else
  /* No capabilities here; clear_caps has nothing to clear, and
     no_new_privs was refused before the spawn.  These run in a forked
     child only (see sp_posix_vm_ok).  */
  if (spec->change_gid && setgid (spec->gid) < 0)
    return SP_STAGE_SETGID;
# ifdef HAVE_SETGROUPS
  if (spec->groups && setgroups (spec->n_groups, spec->groups) < 0)
    return SP_STAGE_SETGROUPS;
# endif
  if (opt->set_uid && setuid (opt->uid) < 0)
    return SP_STAGE_SETUID;
#endif
  return SP_STAGE_NONE;
}

/* The child's setup, top to bottom in the order it must happen, and the
   exec; every failure leaves through FAIL with STAGE saying where.  */
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
int
sp_posix_child_run (sp_posix_child_t *ctx_in, sp_stage_t *stage_out)
{
  /* A copy on the child's stack, which remap_begin may change: CTX_IN
     may be the parent's memory (vfork).  */
  sp_posix_child_t local = *ctx_in;
  sp_posix_child_t *ctx = &local;
  const sp_spec_t *spec = ctx->spec;
  const sp_options_t *opt = spec->opt;
  const char *cwd = ctx->daemon ? "/" : opt->cwd;
  int pid_fd = -1;
  int remap_base = -1;
  sp_stage_t stage;

  /* Into the cgroup first, so that nothing below (the caller's hook
     among it) runs outside; a daemon's intermediate moved already.  */
  stage = SP_STAGE_CGROUP;
  if (!ctx->daemon && ctx->cgroup_fd >= 0
      && sp_posix_cgroup_enter (ctx->cgroup_fd) < 0)
    goto fail;

  if (!ctx->signals_last)
    reset_signals ();

  /* A daemon is in the session its intermediate made.  A new session
     is a new process group too, led by the child.  */
  stage = SP_STAGE_SETSID;
  if (!ctx->daemon && opt->new_session)
    {
      if (setsid () < 0)
        goto fail;
    }
  else if (!ctx->daemon && opt->new_process_group && setpgid (0, 0) < 0)
    goto fail;

  stage = SP_STAGE_DUP;
  if (remap_begin (ctx, &remap_base) < 0)
    goto fail;
  if (arrange_stdio (ctx) < 0)
    goto fail;
  if (remap_base >= 0 && remap_finish (ctx, remap_base) < 0)
    goto fail;
  if (!ctx->own_table)
    close_other_fds (ctx);
  /* The copies of remap_begin went with the others.  */
  remap_base = -1;
  for (size_t i = 0; i < ctx->n_keep; i++)
    if (ctx->keep_sorted[i] > 2 && clear_cloexec (ctx->keep_sorted[i]) < 0)
      goto fail;

  stage = SP_STAGE_PIDFILE;
  if (opt->pid_file && write_pid_file (opt->pid_file, &pid_fd) < 0)
    goto fail;
  if (ctx->notify_fd >= 0)
    {
      /* The intermediate may exit now: the pid file is there.  */
      char c = 1;
      while (sp_posix_sys_write (ctx->notify_fd, &c, 1) < 0 && errno == EINTR)
        ;
      sp_posix_sys_close (ctx->notify_fd);
    }

  if (opt->set_umask)
    umask ((mode_t) opt->umask);
  stage = SP_STAGE_RLIMIT;
  if (set_limits (opt) < 0)
    goto fail;
  /* Before the identity changes: an increment below 0 may need the
     parent's privilege.  */
  stage = SP_STAGE_PRIORITY;
  if (opt->set_priority && set_priority (opt->nice_increment) < 0)
    goto fail;

  /* The descriptors are closed before the hook, as libvirt does, so
     that what the hook opens without close-on-exec reaches the
     program.  */
  stage = SP_STAGE_HOOK;
  if (opt->hook)
    {
      errno = 0;
      if (opt->hook (opt->hook_opaque) != 0)
        {
          if (errno == 0)
            errno = ECANCELED;
          goto fail;
        }
    }

  stage = SP_STAGE_HANDSHAKE;
  if (opt->handshake && handshake (ctx) < 0)
    goto fail;

  /* Core scheduling and the security label come after the caller's
     code and before the identity changes: the parent's credentials
     decide whether the child may take another task's cookie, and
     AppArmor refuses most profile changes once no_new_privs is set.
     The label only takes effect at exec, so what follows runs in the
     parent's domain still.  */
  stage = sp_posix_sched_core_apply (spec);
  if (stage != SP_STAGE_NONE)
    goto fail;
  stage = sp_posix_security_apply (spec);
  if (stage != SP_STAGE_NONE)
    goto fail;

  stage = change_identity (spec);
  if (stage != SP_STAGE_NONE)
    goto fail;

#ifdef SP_POSIX_LINUX
  /* The kernel clears the death signal whenever the credentials change
     (a new user or group id), so it is set once they have.  The death
     signal of a daemon would fire as soon as its intermediate exits: it
     is meant to outlive its parent.  If the parent died before prctl
     took effect, no signal will ever come: check.  */
  stage = SP_STAGE_PDEATHSIG;
  if (opt->kill_on_parent_exit && !ctx->daemon)
    {
      if (prctl (PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        goto fail;
      if (getppid () != ctx->parent_pid)
        {
          errno = ESRCH;
          goto fail;
        }
    }
#endif

  /* The directory is entered once the identity has changed, so that the
     new user's permissions decide whether the child may enter it, not
     those of a privileged parent.  */
  stage = SP_STAGE_CHDIR;
  if (cwd && chdir (cwd) < 0)
    goto fail;

  /* subproc_exec replaces the calling process: its handlers stay in
     place until the last moment, in case something above fails.  */
  if (ctx->signals_last)
    reset_signals ();
  execve (spec->path, spec->argv, ctx->envp);
  stage = SP_STAGE_EXEC;

fail:;
  int err = errno;
  if (!ctx->fail_returns)
    sp_posix_child_fail (ctx, stage, err);
  if (pid_fd >= 0)
    sp_posix_sys_close (pid_fd);
  /* subproc_exec goes on in this process: no copy stays behind.  */
  for (size_t i = 0; remap_base >= 0 && i < spec->n_fd_maps; i++)
    sp_posix_sys_close (remap_base + (int) i);
  *stage_out = stage;
  errno = err;
  return -1;
}

#ifdef SP_POSIX_TSAN
/* ThreadSanitizer makes a fork() child of a threaded process ignore
   everything it does (it only waits for the exec), but it cannot see a
   fork made without fork(): its syscall hooks tell it.  */
void __sanitizer_syscall_pre_impl_fork (void);
void __sanitizer_syscall_post_impl_fork (long res);
#endif

static pid_t fork_without_handlers (void);

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
pid_t
sp_posix_fork (void)
{
#ifdef SP_POSIX_TSAN
  __sanitizer_syscall_pre_impl_fork ();
  pid_t pid = fork_without_handlers ();
  int err = errno;
  __sanitizer_syscall_post_impl_fork (pid);
  errno = err;
  return pid;
#else
  return fork_without_handlers ();
#endif
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static pid_t
fork_without_handlers (void)
{
  /* fork () runs the application's pthread_atfork handlers: the prepare
     and parent handlers in the calling process, the child handlers in
     the child, between the fork and the exec, where they may take locks
     that another thread held or allocate.  A spawn runs none of them, as
     posix_spawn does not: _Fork (glibc 2.34, musl 1.2.3) is the fork
     that skips them, and is async-signal-safe.  */
#if defined HAVE__FORK
  return _Fork ();
#elif defined SP_POSIX_HAVE_SYSCALL && (defined SYS_fork || defined SYS_clone)
  /* An older C library: the system call itself, which runs no handler
     either.  The C library then does not know it is in a new process
     (its cached thread id is the parent's); nothing done between the
     fork and the exec relies on that.  */
# if defined SYS_fork
  return (pid_t) syscall (SYS_fork);
# elif defined __s390__ || defined __CRIS__
  return (pid_t) syscall (SYS_clone, 0, SIGCHLD);
# else
  return (pid_t) syscall (SYS_clone, SIGCHLD, 0);
# endif
#else
  /* No fork without the handlers here.  */
  return fork ();
#endif
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
void
sp_posix_daemon_intermediate (sp_posix_child_t *ctx)
{
  /* The intermediate of a daemon: a new session, then the daemon
     itself, which may not reacquire a terminal as it is not the session
     leader.  The intermediate exits once the daemon has written its pid
     file (or failed), so the pid file exists when the caller has reaped
     the intermediate.  Failures of both go to the error pipe, which the
     parent reads until the daemon has executed.  */
  int notify[2];
  char c;

  if (ctx->cgroup_fd >= 0 && sp_posix_cgroup_enter (ctx->cgroup_fd) < 0)
    sp_posix_child_fail (ctx, SP_STAGE_CGROUP, errno);
  if (setsid () < 0)
    sp_posix_child_fail (ctx, SP_STAGE_SETSID, errno);
  if (sp_posix_pipe (notify) < 0)
    sp_posix_child_fail (ctx, SP_STAGE_PIPE, errno);

  pid_t pid = sp_posix_fork ();
  if (pid < 0)
    sp_posix_child_fail (ctx, SP_STAGE_FORK, errno);
  if (pid == 0)
    {
      sp_stage_t stage;
      /* A copy of the intermediate's memory: CTX may change.  */
      sp_posix_sys_close (notify[0]);
      ctx->notify_fd = notify[1];
      ctx->daemon = true;
      sp_posix_child_run (ctx, &stage);
      _exit (127);
    }
  sp_posix_sys_close (notify[1]);
  while (sp_posix_sys_read (notify[0], &c, 1) < 0 && errno == EINTR)
    ;
  _exit (0);
}
