/* spawn.c: starting children, the parent's side, POSIX.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two ways to start a child, both running the same child code
 * (child.c):
 *
 *  - the fast path, clone (CLONE_VM | CLONE_VFORK) on a small stack of
 *    its own (vfork elsewhere): nothing of the parent's memory is copied,
 *    so the cost does not grow with the parent's size.  The parent is
 *    suspended until the child has executed or exited.
 *  - fork, for what cannot run in a child that shares the parent's
 *    memory and stops it: a pre-exec hook (the caller's code), a
 *    handshake (the child waits for the parent), a daemon (two forks),
 *    and a change of user or group id (it would make the parent itself
 *    not dumpable: see fast_path_ok).  It is sp_posix_fork, which runs
 *    no pthread_atfork handler.
 *
 * The child reports a failure (stage, errno) through a close-on-exec
 * pipe; end of file means exec succeeded.  The fast path does without
 * the pipe (a pipe, a read and two closes: about 10% of a spawn) once it
 * has seen that the child really shares the parent's memory and that
 * clone returns only after the child executed or exited: then the child
 * writes its report into the parent's memory.  Under valgrind, which
 * runs such a child as a copy, that never shows, and the pipe stays.
 *
 * All signals are blocked around the fork so that no handler of the
 * parent's runs in the child before the child has reset them.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "posix.h"

#ifdef SP_POSIX_LINUX
# include <linux/capability.h>
#endif

extern char **environ;

#if defined __linux__ && defined HAVE_CLONE
# define SP_SPAWN_CLONE 1
# ifndef CLONE_PIDFD
#  define CLONE_PIDFD 0x00001000
# endif
/* Enough for the child's frames: the largest is a 1 KiB directory
   buffer.  */
# define CLONE_STACK_SIZE (64 * 1024)
#elif defined HAVE_VFORK
# define SP_SPAWN_VFORK 1
#endif

/* ------------------------------------------------------------------ */
/* Preparation.  */

/* Look UID up in the user database.  1 when it has an entry: *GID is its
   primary group unless HAS_GID (then *GID is kept), and *OUT (N_OUT
   entries, a new vector) its supplementary groups with *GID as the
   base.  0 when it has no entry (nothing allocated).  -1 with errno on
   failure.  */
static int
user_groups (uid_t uid, gid_t *gid, bool has_gid, gid_t **out, int *n_out)
{
  size_t bufsize = 1024;
  long max = sysconf (_SC_GETPW_R_SIZE_MAX);
  if (max > 0 && (size_t) max > bufsize)
    bufsize = (size_t) max;

  struct passwd pw, *found = NULL;
  char *buf = NULL;
  int r;
  for (;;)
    {
      char *nbuf = sp_realloc (buf, bufsize);
      if (nbuf == NULL)
        {
          free (buf);
          errno = ENOMEM;
          return -1;
        }
      buf = nbuf;
      r = getpwuid_r (uid, &pw, buf, bufsize, &found);
      if (r != ERANGE || bufsize > (1u << 20))
        break;
      bufsize *= 2;
    }

  /* getpwuid_r(3) lists these as ways of saying "no such user".  */
  if (r == 0 ? found == NULL
             : r == ENOENT || r == ESRCH || r == EBADF || r == EPERM)
    {
      free (buf);
      return 0;
    }
  if (r != 0)
    {
      free (buf);
      errno = r;
      return -1;
    }

  if (!has_gid)
    *gid = pw.pw_gid;
  gid_t *groups = NULL;
  int n = 0;
#ifdef HAVE_GETGROUPLIST
  int cap = 32;
  for (;;)
    {
      gid_t *ng = sp_reallocarray (groups, (size_t) cap, sizeof *ng);
      if (ng == NULL)
        goto nomem;
      groups = ng;
      n = cap;
      if (getgrouplist (pw.pw_name, *gid, groups, &n) >= 0)
        break;
      /* glibc says how many it needs; others do not.  */
      cap = n > cap ? n : cap * 2;
      if (cap > 65536)
        {
          free (groups);
          free (buf);
          errno = E2BIG;
          return -1;
        }
    }
#else
  groups = sp_malloc (sizeof *groups);
  if (groups == NULL)
    goto nomem;
  groups[0] = *gid;
  n = 1;
#endif
  free (buf);
  *out = groups;
  *n_out = n;
  return 1;

nomem:
  free (groups);
  free (buf);
  errno = ENOMEM;
  return -1;
}

/* Can the calling thread change its group ids (setgroups, setgid to
   any group)?  On Linux, whether CAP_SETGID is in its effective set,
   whatever its effective user id (a service may keep the capability
   after leaving uid 0, or be given it without ever being root);
   elsewhere, an effective user id of 0.  */
static bool
may_set_groups (void)
{
#ifdef SP_POSIX_LINUX
  struct __user_cap_header_struct hdr;
  struct __user_cap_data_struct data[2];

  memset (&hdr, 0, sizeof hdr);
  memset (data, 0, sizeof data);
  hdr.version = _LINUX_CAPABILITY_VERSION_3;
  hdr.pid = 0;
  if (syscall (SYS_capget, &hdr, data) == 0)
    return (data[CAP_TO_INDEX (CAP_SETGID)].effective
            & CAP_TO_MASK (CAP_SETGID)) != 0;
#endif
  return geteuid () == 0;
}

static int
prepare_spec (sp_spec_t *spec, sp_fail_t *f)
{
#ifndef SP_POSIX_LINUX
  if (spec->kill_on_parent_exit)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS,
                    SP_STAGE_UNSUPPORTED, "kill_on_parent_exit");
  if (spec->no_new_privs)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS,
                    SP_STAGE_UNSUPPORTED, "no_new_privs");
#endif
  if (spec->daemonize && spec->handshake)
    return sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_HANDSHAKE,
                    "daemonize");

  /* The child's groups, so that a root parent's group ids never reach a
     child that was meant to run with less: with set_uid, the user's
     primary group (unless set_gid gives one) and supplementary groups
     from the user database, and a user without an entry is refused
     unless set_gid says which group; with set_gid alone, that group as
     the only supplementary group.  Only a parent that may change
     groups does so at all (see may_set_groups); another keeps its own
     (and setuid/setgid to its own ids still works).  */
  spec->groups = NULL;
  spec->n_groups = 0;
  if ((!spec->set_uid && !spec->set_gid) || !may_set_groups ())
    return 0;
  gid_t *groups = NULL;
  int n = 0;
  if (spec->set_uid)
    {
      gid_t gid = spec->gid;
      int r = user_groups (spec->uid, &gid, spec->set_gid, &groups, &n);
      if (r < 0)
        return sp_fail (f,
                        errno == ENOMEM ? SUBPROC_ERR_NOMEM
                                        : SUBPROC_ERR_SYSTEM,
                        errno, SP_STAGE_USER, NULL);
      if (r == 0 && !spec->set_gid)
        return sp_fail (f, SUBPROC_ERR_INVALID, ENOENT, SP_STAGE_USER, NULL);
      spec->set_gid = true;
      spec->gid = gid;
    }
  if (groups == NULL)
    {
      /* set_gid alone, or a user without an entry: the group alone.  */
      groups = sp_malloc (sizeof *groups);
      if (groups == NULL)
        return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_SETGROUPS,
                        NULL);
      groups[0] = spec->gid;
      n = 1;
    }
  spec->groups = groups;
  spec->n_groups = n;
  return 0;
}

int
sp_backend_prepare (sp_spec_t *spec, sp_fail_t *f)
{
  /* The user database may be read through a socket (NSS modules), with
     cancellation points in the middle.  */
  int cancel = sp_posix_nocancel_begin ();
  int r = prepare_spec (spec, f);
  sp_posix_nocancel_end (cancel);
  return r;
}

void
sp_backend_spec_release (sp_spec_t *spec)
{
  if (spec == NULL)
    return;
  int saved = errno;
  free (spec->groups);
  spec->groups = NULL;
  spec->n_groups = 0;
  errno = saved;
}

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

/* Does the child need the null device for one of 0, 1, 2?  */
static bool
needs_null (const sp_spec_t *spec)
{
  return spec->stdio[0] < 0 || spec->stdio[1] < 0 || spec->stdio[2] < 0;
}

/* Fill CTX for SPEC: sorted keep list (*SORTED to free), and the null
   device when OPEN_NULL.  */
static int
ctx_init (sp_posix_child_t *ctx, const sp_spec_t *spec, bool open_null,
          int **sorted, sp_fail_t *f)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->spec = spec;
  ctx->null_fd = ctx->err_fd = ctx->ready_fd = ctx->go_fd = -1;
  ctx->notify_fd = -1;
  ctx->envp = spec->envp ? spec->envp : environ;
  ctx->keep_sorted = spec->keep_fds;
  ctx->n_keep = spec->n_keep_fds;
  *sorted = NULL;

  if (spec->n_keep_fds > 1)
    {
      int *s = sp_reallocarray (NULL, spec->n_keep_fds, sizeof *s);
      if (s == NULL)
        return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_NONE, NULL);
      memcpy (s, spec->keep_fds, spec->n_keep_fds * sizeof *s);
      qsort (s, spec->n_keep_fds, sizeof *s, cmp_int);
      size_t n = 1;
      for (size_t i = 1; i < spec->n_keep_fds; i++)
        if (s[i] != s[n - 1])
          s[n++] = s[i];
      ctx->keep_sorted = s;
      ctx->n_keep = n;
      *sorted = s;
    }

  if (open_null && needs_null (spec))
    {
      ctx->null_fd = sp_posix_open_null ();
      if (ctx->null_fd < 0)
        {
          int err = errno;
          free (*sorted);
          *sorted = NULL;
          return sp_fail (f, SUBPROC_ERR_SPAWN, err, SP_STAGE_DUP,
                          "/dev/null");
        }
    }
  return 0;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    sp_backend_close (*fd);
  *fd = -1;
}

static int
report_fail (sp_fail_t *f, int stage, int err)
{
  return sp_fail (f, stage == SP_STAGE_HOOK ? SUBPROC_ERR_HOOK
                                            : SUBPROC_ERR_SPAWN,
                  err, (sp_stage_t) stage, NULL);
}

/* SIGKILL our child PID, not yet reaped by the library: through PIDFD
   when there is one, since a caller's waitpid (-1) may have reaped it
   and its pid be someone else's by now.  */
static void
kill_unreaped (pid_t pid, int pidfd)
{
#ifdef SYS_pidfd_send_signal
  if (pidfd >= 0)
    {
      if (syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0) == 0
          || errno != ENOSYS)
        return;
    }
#else
  (void) pidfd;
#endif
  kill (pid, SIGKILL);
}

/* ------------------------------------------------------------------ */
/* Spawning.  */

#ifdef SP_SPAWN_CLONE
/* What the parent and a CLONE_VM child share beyond the context: the
   child's report when there is no error pipe.  */
typedef struct fast_arg
{
  sp_posix_child_t *ctx;
  bool share_files;       /* cloned with CLONE_FILES (see spawn_clone) */
  volatile int ran;       /* the child writes 1 at once */
  volatile int stage;     /* memory report: SP_STAGE_NONE, or where */
  volatile int err;
  volatile int no_unshare; /* the kernel cannot CLOSE_RANGE_UNSHARE */
} fast_arg_t;

/* 1 once a fast spawn has shown that the child shares our memory and
   that clone returns after it executed or exited.  */
static int vm_shared;

/* 1 once close_range (CLOSE_RANGE_UNSHARE) has failed here (before Linux
   5.9, or a seccomp filter): children then never share our table.  */
static int no_unshare_here;

/* Child stacks kept for the next spawns: mapping and unmapping one each
   time costs more than the rest of the parent's side, and unmapping
   stops every other thread of ours to flush its TLB.  A few, so that
   threads spawning at once each find one.  */
#define STACK_CACHE_SLOTS 4
static void *stack_cache[STACK_CACHE_SLOTS];

#ifndef CLOSE_RANGE_UNSHARE
# define CLOSE_RANGE_UNSHARE (1U << 1)
#endif

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
clone_entry (void *arg)
{
  fast_arg_t *a = arg;
  sp_posix_child_t ctx = *a->ctx;
  sp_stage_t stage;
  a->ran = 1;
  if (a->share_files)
    {
      /* Still on the parent's descriptor table: touch nothing until this
         child has its own, made of the parent's 0, 1 and 2 only.  */
      if (syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_UNSHARE) < 0)
        {
          a->no_unshare = 1;
          _exit (127);
        }
      ctx.own_table = true;
      if (needs_null (ctx.spec))
        {
          ctx.null_fd = sp_posix_sys_open ("/dev/null",
                                           O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
          if (ctx.null_fd < 0)
            {
              a->err = errno;
              a->stage = SP_STAGE_DUP;
              _exit (127);
            }
        }
    }
  sp_posix_child_run (&ctx, &stage);
  /* Only in exec mode (the memory report) does child_run return.  */
  a->err = errno ? errno : ENOEXEC;
  a->stage = (int) stage;
  _exit (127);
}

/* The fast path: returns the pid, *PIDFD when the kernel gave one.  */
static pid_t
spawn_clone (fast_arg_t *a, int *pidfd)
{
  void *stack = NULL;
  for (int i = 0; i < STACK_CACHE_SLOTS && stack == NULL; i++)
    stack = __atomic_exchange_n (&stack_cache[i], NULL, __ATOMIC_ACQUIRE);
  if (stack == NULL)
    stack = mmap (NULL, CLONE_STACK_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED)
    return -1;
  char *top = (char *) stack + CLONE_STACK_SIZE;
  int flags = CLONE_VM | CLONE_VFORK | SIGCHLD;
  if (a->share_files)
    flags |= CLONE_FILES;
  pid_t pid;

  /* CLONE_PIDFD (5.2) gives a pidfd with no window for pid reuse.
     Older kernels ignore the flag or refuse it.  */
  *pidfd = -1;
  if (a->ctx->spec->may_signal)
    {
      pid = clone (clone_entry, top, flags | CLONE_PIDFD, a, pidfd);
      if (pid < 0 && errno == EINVAL)
        {
          *pidfd = -1;
          pid = clone (clone_entry, top, flags, a);
        }
    }
  else
    pid = clone (clone_entry, top, flags, a);
  int err = errno;
  /* The child is done with the stack: it executed or exited (or, not
     sharing our memory, never used this copy).  Keep it for the next
     spawn unless the cache is full.  */
  for (int i = 0; stack != NULL && i < STACK_CACHE_SLOTS; i++)
    {
      void *expected = NULL;
      if (__atomic_compare_exchange_n (&stack_cache[i], &expected, stack,
                                       false, __ATOMIC_RELEASE,
                                       __ATOMIC_RELAXED))
        stack = NULL;
    }
  if (stack != NULL)
    munmap (stack, CLONE_STACK_SIZE);
  errno = err;
  return pid;
}

/* Can a fast child share our descriptor table until it unshares it?
   The kernel copies the whole table for a new process, and the child
   then closes it: with thousands of descriptors open, that is most of
   the spawn.  close_range (3, ~0U, CLOSE_RANGE_UNSHARE) instead gives
   the child a table of its own holding only copies of 0, 1 and 2, and
   costs the same whatever the parent has open.  A child can do that only
   if it needs nothing else of ours: no descriptor to pass or to report
   on, its stdio either ours under the same number or the null device,
   which it opens itself.  Until it has its own table, the child touches
   no descriptor, and its memory report (no error pipe) is all it
   writes.  */
static bool
can_share_files (const sp_spec_t *spec, bool mem_report)
{
  if (!mem_report || spec->n_keep_fds != 0
      || __atomic_load_n (&no_unshare_here, __ATOMIC_RELAXED))
    return false;
  for (int i = 0; i < 3; i++)
    if (spec->stdio[i] >= 0 && spec->stdio[i] != i)
      return false;
  return true;
}
#endif

/* Can the child be started with the fast path?  */
static bool
fast_path_ok (const sp_spec_t *spec)
{
  if (spec->hook || spec->daemonize || spec->handshake)
    return false;
#if defined SP_POSIX_TSAN
  /* See SP_POSIX_TSAN in posix.h.  */
  return false;
#elif defined SP_SPAWN_CLONE
  /* A child that changes its user or group id takes the fork path: the
     kernel marks the memory of a process whose effective ids change as
     not dumpable, and a CLONE_VM child's memory is ours, so we would
     lose core dumps, our /proc/self would become root's and ptrace
     would stop working.  Putting the flag back after the spawn would
     not do: between the child's change and our restore another thread
     could spawn and take "not dumpable" for how we were, and anything
     that looked at us meanwhile would see the wrong flag.  Dropping
     capabilities leaves the flag alone (the new sets are a subset of
     the old), and so do the secure bits and no_new_privs, so
     clear_caps and no_new_privs stay on the fast path.  */
  return !spec->set_uid && !spec->set_gid;
#elif defined SP_SPAWN_VFORK
  /* Without raw system calls, changing identity in a child that shares
     the parent's memory is not safe (see child.c).  */
  return !spec->set_uid && !spec->set_gid;
#else
  return false;
#endif
}

static int
spawn_child (const sp_spec_t *spec, sp_proc_t **procp, pid_t *pidp,
             sp_fail_t *f)
{
  sp_posix_child_t ctx;
  int *sorted;
  int err_r = -1, ready_r = -1, go_w = -1;
  int fds[2];
  int pidfd = -1;
  int null_err = 0;
  pid_t pid;
  int ret = -1;

  *procp = NULL;
  sp_proc_t *proc = sp_calloc (1, sizeof *proc);
  if (proc == NULL)
    return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_NONE, NULL);
  proc->pidfd = proc->err_fd = proc->ready_fd = proc->go_fd = -1;

  bool fast = fast_path_ok (spec);
#ifdef SP_SPAWN_CLONE
  fast_arg_t fa;
  memset (&fa, 0, sizeof fa);
  fa.ctx = &ctx;
  /* The memory report: the child returns from sp_posix_child_run on
     failure (exec mode) instead of writing to a pipe.  */
  bool mem_report = fast && __atomic_load_n (&vm_shared, __ATOMIC_RELAXED);
  fa.share_files = can_share_files (spec, mem_report);
  bool open_null = !fa.share_files;
#else
  bool mem_report = false;
  bool open_null = true;
#endif

  if (ctx_init (&ctx, spec, open_null, &sorted, f) < 0)
    {
      free (proc);
      return -1;
    }
  if (mem_report)
    ctx.exec_mode = true;
  /* Otherwise the report goes over a pipe: it works whatever the kernel
     or a tool such as valgrind (which runs a CLONE_VM child as a copy)
     makes of the fast path.  */
  if (!mem_report)
    {
      if (sp_posix_pipe (fds) < 0)
        {
          sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_PIPE, NULL);
          goto out;
        }
      err_r = fds[0];
      ctx.err_fd = fds[1];
    }
  if (spec->handshake)
    {
      if (sp_posix_pipe (fds) < 0)
        {
          sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_PIPE, NULL);
          goto out;
        }
      ready_r = fds[0];
      ctx.ready_fd = fds[1];
      if (sp_posix_pipe (fds) < 0)
        {
          sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_PIPE, NULL);
          goto out;
        }
      ctx.go_fd = fds[0];
      go_w = fds[1];
    }

  sigset_t all, old;
  sigfillset (&all);
  if (spec->kill_on_parent_exit)
    ctx.parent_pid = getpid ();
  pthread_sigmask (SIG_SETMASK, &all, &old);
  if (fast)
    {
#if defined SP_SPAWN_CLONE
      pid = spawn_clone (&fa, &pidfd);
      /* The child wrote to our memory and is done with it by now: the
         memory report can be trusted from now on.  */
      if (pid > 0 && fa.ran && !mem_report)
        __atomic_store_n (&vm_shared, 1, __ATOMIC_RELAXED);
      if (pid > 0 && fa.share_files && fa.no_unshare)
        {
          /* The child exited without touching anything: again, the usual
             way.  */
          int status;
          __atomic_store_n (&no_unshare_here, 1, __ATOMIC_RELAXED);
          sp_posix_waitpid (pid, &status, 0);
          close_fd (&pidfd);
          fa.share_files = false;
          fa.no_unshare = 0;
          fa.stage = fa.err = 0;
          if (needs_null (spec) && (ctx.null_fd = sp_posix_open_null ()) < 0)
            {
              null_err = errno;
              pid = -1;
            }
          else
            pid = spawn_clone (&fa, &pidfd);
        }
#elif defined SP_SPAWN_VFORK
      pid = vfork ();
      if (pid == 0)
        {
          sp_stage_t stage;
          sp_posix_child_run (&ctx, &stage);
          _exit (127);
        }
#else
      pid = -1;
      errno = ENOSYS;
#endif
    }
  else
    {
      pid = sp_posix_fork ();
      if (pid == 0)
        {
          sp_stage_t stage;
          if (spec->daemonize)
            sp_posix_daemon_intermediate (&ctx);
          sp_posix_child_run (&ctx, &stage);
          _exit (127);
        }
    }
  int fork_err = errno;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (null_err)
    {
      sp_fail (f, SUBPROC_ERR_SPAWN, null_err, SP_STAGE_DUP, "/dev/null");
      goto out;
    }

  /* The child's ends: only the child needs them.  */
  close_fd (&ctx.err_fd);
  close_fd (&ctx.ready_fd);
  close_fd (&ctx.go_fd);

  if (pid < 0)
    {
      sp_fail (f, fork_err == ENOMEM ? SUBPROC_ERR_NOMEM : SUBPROC_ERR_SPAWN,
               fork_err, SP_STAGE_FORK, NULL);
      goto out;
    }
  proc->pid = pid;

  int status;
#ifdef SP_SPAWN_CLONE
  if (mem_report && fa.stage != SP_STAGE_NONE)
    {
      sp_posix_waitpid (pid, &status, 0);
      report_fail (f, fa.stage, fa.err);
      goto out;
    }
#endif
  if (!spec->handshake && !mem_report)
    {
      sp_posix_report_t rep;
      int r = sp_posix_read_report (err_r, &rep);
      int err = errno;
      close_fd (&err_r);
      if (r != 0)
        {
          /* Failed (or, r < 0, cannot tell: then make sure it did not
             run at all).  */
          if (r < 0)
            kill_unreaped (pid, pidfd);
          sp_posix_waitpid (pid, &status, 0);
          if (r < 0)
            sp_fail (f, SUBPROC_ERR_SYSTEM, err, SP_STAGE_FORK, NULL);
          else
            report_fail (f, rep.stage, rep.err);
          goto out;
        }
    }

  if (spec->daemonize)
    {
      /* The intermediate has exited (the error pipe closed once the
         daemon executed); its status is the command's.  */
      if (sp_posix_waitpid (pid, &status, 0) < 0)
        {
          proc->lost_errno = errno;
        }
      else
        {
          proc->reaped = true;
          proc->status = status;
        }
    }
  else
    {
      if (pidfd < 0 && spec->may_signal)
        pidfd = sp_posix_pidfd_open (pid);
      proc->pidfd = pidfd;
      pidfd = -1;
      proc->err_fd = err_r;
      proc->ready_fd = ready_r;
      proc->go_fd = go_w;
      err_r = ready_r = go_w = -1;
    }

  *procp = proc;
  *pidp = pid;
  proc = NULL;
  ret = 0;

out:
  close_fd (&err_r);
  close_fd (&ready_r);
  close_fd (&go_w);
  close_fd (&ctx.err_fd);
  close_fd (&ctx.ready_fd);
  close_fd (&ctx.go_fd);
  close_fd (&ctx.null_fd);
  close_fd (&pidfd);
  free (sorted);
  free (proc);
  return ret;
}

int
sp_backend_spawn (const sp_spec_t *spec, sp_proc_t **procp, pid_t *pidp,
                  sp_fail_t *f)
{
  /* Held off for the whole spawn, as glibc's posix_spawn does: the
     child inherits the disabled state (a CLONE_VM child shares this
     thread's), so neither the caller's cleanup handlers nor, in a
     forked child, its atexit handlers and stdio buffers can run there;
     and the parent is not unwound with the child half made.  */
  int cancel = sp_posix_nocancel_begin ();
  int r = spawn_child (spec, procp, pidp, f);
  sp_posix_nocancel_end (cancel);
  return r;
}

int
sp_backend_exec (const sp_spec_t *spec, sp_fail_t *f)
{
  sp_posix_child_t ctx;
  sp_stage_t stage;
  int *sorted;

  if (spec->daemonize || spec->handshake)
    return sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_NONE,
                    spec->daemonize ? "daemonize" : "handshake");
  int cancel = sp_posix_nocancel_begin ();
  if (ctx_init (&ctx, spec, true, &sorted, f) < 0)
    {
      sp_posix_nocancel_end (cancel);
      return -1;
    }
  ctx.exec_mode = true;
  ctx.parent_pid = getppid ();

  sp_posix_child_run (&ctx, &stage);
  int err = errno;
  close_fd (&ctx.null_fd);
  free (sorted);
  sp_posix_nocancel_end (cancel);
  return report_fail (f, (int) stage, err);
}
