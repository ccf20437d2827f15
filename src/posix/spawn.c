/* spawn.c: starting children, the parent's side, POSIX.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two ways to start a child, both running the same child code
 * (child.c), behind one dispatcher (spawn_child):
 *
 *  - the fast path (spawn_fast), a child that shares the parent's
 *    memory, made by clone.c, which keeps the rules for it: nothing of
 *    the parent's memory is copied, so the cost does not grow with the
 *    parent's size.  The parent is suspended until the child has
 *    executed or exited.
 *  - the fork path (spawn_fork), for what cannot run in a child that
 *    shares the parent's memory and stops it: a pre-exec hook (the
 *    caller's code), a handshake (the child waits for the parent), a
 *    daemon (two forks), and a change of user or group id (it would make
 *    the parent itself not dumpable: see sp_posix_vm_ok).  It is
 *    sp_posix_fork, which runs no pthread_atfork handler.
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
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "posix.h"

extern char **environ;


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
  uint64_t sets[3] = { 0, 0, 0 };
  if (sp_posix_caps (SYS_capget, sets) == 0)
    return (sets[0] >> SP_POSIX_CAP_SETGID) & 1;
#endif
  return geteuid () == 0;
}

int
sp_backend_rlimit_resource (sp_limit_t which)
{
  switch (which)
    {
#ifdef RLIMIT_MEMLOCK
    case SP_LIMIT_MEMLOCK:
      return RLIMIT_MEMLOCK;
#endif
#ifdef RLIMIT_NPROC
    case SP_LIMIT_PROCESSES:
      return RLIMIT_NPROC;
#endif
    case SP_LIMIT_FILES:
      return RLIMIT_NOFILE;
    case SP_LIMIT_CORE:
      return RLIMIT_CORE;
#ifdef RLIMIT_AS
    case SP_LIMIT_AS:
      return RLIMIT_AS;
#endif
    case SP_LIMIT_DATA:
      return RLIMIT_DATA;
    case SP_LIMIT_CPU:
      return RLIMIT_CPU;
    case SP_LIMIT_FSIZE:
      return RLIMIT_FSIZE;
    default:
      return -(int) which;
    }
}

bool
sp_backend_rlimit_known (int resource)
{
#ifdef RLIM_NLIMITS
  return resource >= 0 && resource < RLIM_NLIMITS;
#else
  return resource >= 0;
#endif
}

/* The limits of SPEC: each one the system has, with values it can
   hold.  */
static int
check_rlimits (const sp_spec_t *spec, sp_fail_t *f)
{
  static const char *const names[] = {
    [SP_LIMIT_MEMLOCK] = "max_memlock", [SP_LIMIT_PROCESSES] = "max_processes",
    [SP_LIMIT_AS] = "max_address_space",
  };
  const sp_options_t *opt = spec->opt;

  for (size_t i = 0; i < opt->n_rlimits; i++)
    {
      const sp_rlimit_t *l = &opt->rlimits[i];
      if (l->resource < 0)
        {
          int which = -l->resource;
          const char *what = (size_t) which < sizeof names / sizeof names[0]
                               && names[which] ? names[which] : "rlimit";
          return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS,
                          SP_STAGE_UNSUPPORTED, what);
        }
      unsigned long long v[2] = { l->soft, l->hard };
      for (int j = 0; j < 2; j++)
        if (v[j] != SUBPROC_RLIM_INFINITY
            && ((unsigned long long) (rlim_t) v[j] != v[j]
                || (rlim_t) v[j] == RLIM_INFINITY))
          return sp_fail (f, SUBPROC_ERR_INVALID, EOVERFLOW,
                          SP_STAGE_RLIMIT, NULL);
    }
  if (opt->set_job_memory)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS, SP_STAGE_UNSUPPORTED,
                    "job_memory_limit");
  return 0;
}

static int
prepare_spec (sp_spec_t *spec, sp_fail_t *f)
{
  if (check_rlimits (spec, f) < 0)
    return -1;
#ifndef SP_POSIX_LINUX
  if (spec->opt->kill_on_parent_exit)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS,
                    SP_STAGE_UNSUPPORTED, "kill_on_parent_exit");
  if (spec->opt->no_new_privs)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS,
                    SP_STAGE_UNSUPPORTED, "no_new_privs");
#endif
  if (spec->opt->creation_flags)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS,
                    SP_STAGE_UNSUPPORTED, "creation_flags");
#ifndef SP_POSIX_HAVE_CGROUP
  if (spec->opt->cgroup)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS,
                    SP_STAGE_UNSUPPORTED, "cgroup");
#endif
  if (spec->opt->daemonize && spec->opt->handshake)
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
  spec->change_gid = spec->opt->set_gid;
  spec->gid = spec->opt->gid;
  spec->groups = NULL;
  spec->n_groups = 0;
  if ((!spec->opt->set_uid && !spec->opt->set_gid) || !may_set_groups ())
    return 0;
  gid_t *groups = NULL;
  int n = 0;
  if (spec->opt->set_uid)
    {
      gid_t gid = spec->gid;
      int r = user_groups (spec->opt->uid, &gid, spec->change_gid, &groups,
                           &n);
      if (r < 0)
        return sp_fail (f,
                        errno == ENOMEM ? SUBPROC_ERR_NOMEM
                                        : SUBPROC_ERR_SYSTEM,
                        errno, SP_STAGE_USER, NULL);
      if (r == 0 && !spec->change_gid)
        return sp_fail (f, SUBPROC_ERR_INVALID, ENOENT, SP_STAGE_USER, NULL);
      spec->change_gid = true;
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
  int r = sp_posix_security_prepare (spec, f);
  if (r == 0)
    r = prepare_spec (spec, f);
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
  sp_posix_security_release (spec);
  spec->n_groups = 0;
  errno = saved;
}

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
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
  ctx->notify_fd = ctx->cgroup_fd = -1;
  ctx->envp = spec->envp ? spec->envp : environ;
  ctx->keep_sorted = spec->keep_fds;
  ctx->n_keep = spec->n_keep_fds;
  *sorted = NULL;

  /* The targets of subproc_pass_fd_as are kept as well (child.c puts
     them in place before it closes the rest).  */
  size_t total = spec->n_keep_fds + spec->n_fd_maps;
  if (total > 1 || spec->n_fd_maps > 0)
    {
      int *s = sp_reallocarray (NULL, total, sizeof *s);
      if (s == NULL)
        return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_NONE, NULL);
      if (spec->n_keep_fds)
        memcpy (s, spec->keep_fds, spec->n_keep_fds * sizeof *s);
      for (size_t i = 0; i < spec->n_fd_maps; i++)
        s[spec->n_keep_fds + i] = spec->fd_maps[i].target;
      qsort (s, total, sizeof *s, cmp_int);
      size_t n = 1;
      for (size_t i = 1; i < total; i++)
        if (s[i] != s[n - 1])
          s[n++] = s[i];
      ctx->keep_sorted = s;
      ctx->n_keep = n;
      *sorted = s;
    }

  if (open_null && sp_posix_needs_null (spec))
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
#if defined SP_POSIX_HAVE_PIDFD_SEND_SIGNAL && defined SYS_pidfd_send_signal
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

/* What one spawn holds until it is done, on either path.  */
typedef struct spawn
{
  sp_posix_child_t ctx;
  int *sorted;   /* the sorted keep list, to free */
  int err_r;     /* read end of the error pipe, or -1 */
  int ready_r;   /* handshake: read end of "ready", or -1 */
  int go_w;      /* handshake: write end of "go", or -1 */
  int pidfd;
  pid_t pid;
  sp_posix_cgroup_t cg; /* subproc_set_cgroup */
} spawn_t;

static void
spawn_init (spawn_t *s)
{
  memset (s, 0, sizeof *s);
  s->err_r = s->ready_r = s->go_w = s->pidfd = -1;
  s->ctx.null_fd = s->ctx.err_fd = s->ctx.ready_fd = s->ctx.go_fd = -1;
  s->ctx.notify_fd = s->ctx.cgroup_fd = -1;
  sp_posix_cgroup_init (&s->cg);
}

static void
spawn_cleanup (spawn_t *s)
{
  close_fd (&s->err_r);
  close_fd (&s->ready_r);
  close_fd (&s->go_w);
  close_fd (&s->ctx.err_fd);
  close_fd (&s->ctx.ready_fd);
  close_fd (&s->ctx.go_fd);
  close_fd (&s->ctx.null_fd);
  close_fd (&s->pidfd);
  sp_posix_cgroup_close (&s->cg);
  free (s->sorted);
}

/* Prepare the child's context; ERROR_PIPE: with the pipe on which it
   reports a failure.  */
static int
spawn_begin (spawn_t *s, const sp_spec_t *spec, bool open_null,
             bool error_pipe, sp_fail_t *f)
{
  int fds[2];

  if (ctx_init (&s->ctx, spec, open_null, &s->sorted, f) < 0)
    return -1;
  if (spec->opt->kill_on_parent_exit)
    s->ctx.parent_pid = getpid ();
  if (!error_pipe)
    return 0;
  if (sp_posix_pipe (fds) < 0)
    return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_PIPE, NULL);
  s->err_r = fds[0];
  s->ctx.err_fd = fds[1];
  return 0;
}

/* All signals are blocked around the fork so that no handler of the
   parent's runs in the child before the child has reset them.  */
static void
block_signals (sigset_t *old)
{
  sigset_t all;
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, old);
}

/* The fork or clone returned PID (FORK_ERR its errno).  */
static int
spawn_started (spawn_t *s, pid_t pid, int fork_err, sp_fail_t *f)
{
  /* The child's ends: only the child needs them.  */
  close_fd (&s->ctx.err_fd);
  close_fd (&s->ctx.ready_fd);
  close_fd (&s->ctx.go_fd);
  if (pid < 0)
    return sp_fail (f,
                    fork_err == ENOMEM ? SUBPROC_ERR_NOMEM
                                       : SUBPROC_ERR_SPAWN,
                    fork_err, SP_STAGE_FORK, NULL);
  s->pid = pid;
  return 0;
}

/* Read the error pipe until the child has executed (end of file) or
   reported a failure; a child that failed is reaped.  */
static int
spawn_await_exec (spawn_t *s, sp_fail_t *f)
{
  sp_posix_report_t rep;
  int status;
  int r = sp_posix_read_report (s->err_r, &rep);
  int err = errno;
  close_fd (&s->err_r);
  if (r == 0)
    return 0;
  /* Failed (or, r < 0, cannot tell: then make sure it did not run at
     all).  */
  if (r < 0)
    kill_unreaped (s->pid, s->pidfd);
  sp_posix_waitpid (s->pid, &status, 0);
  if (r < 0)
    return sp_fail (f, SUBPROC_ERR_SYSTEM, err, SP_STAGE_FORK, NULL);
  return report_fail (f, rep.stage, rep.err);
}

/* The fast path (clone.c): clone or vfork, with the retry for a kernel
   that cannot unshare the descriptor table, and the memory report once
   it can be trusted.  */
static int
spawn_fast (spawn_t *s, const sp_spec_t *spec, sp_fail_t *f)
{
  sp_posix_vm_t vm;
  sigset_t old;
  int status;

  if (spec->opt->cgroup
      && sp_posix_cgroup_open (&s->cg, spec->opt->cgroup, f) < 0)
    return -1;
  sp_posix_vm_plan (&vm, &s->ctx, spec);
  if (spec->opt->cgroup)
    vm.cg = &s->cg;
  /* Without the memory report, the report goes over a pipe: it works
     whatever the kernel or a tool such as valgrind (which runs a
     CLONE_VM child as a copy) makes of the fast path.  A child that
     shares our table opens the null device itself.  */
  if (spawn_begin (s, spec, !vm.share_files, !vm.mem_report, f) < 0)
    return -1;
  s->ctx.fail_returns = s->ctx.signals_last = vm.mem_report;

  block_signals (&old);
  pid_t pid = sp_posix_vm_spawn (&vm, &s->pidfd);
  int fork_err = errno;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (vm.null_failed)
    return sp_fail (f, SUBPROC_ERR_SPAWN, fork_err, SP_STAGE_DUP,
                    "/dev/null");
  if (vm.cg_refused)
    {
      spawn_started (s, pid, fork_err, f);
      return sp_fail (f, SUBPROC_ERR_SPAWN, fork_err, SP_STAGE_CGROUP, NULL);
    }
  if (spawn_started (s, pid, fork_err, f) < 0)
    return -1;
  if (!vm.mem_report)
    return spawn_await_exec (s, f);
  if (vm.stage == SP_STAGE_NONE)
    return 0;
  sp_posix_waitpid (pid, &status, 0);
  return report_fail (f, vm.stage, vm.err);
}

/* The fork path, for what cannot run in a child that shares our memory
   and stops us: a pre-exec hook, a handshake, a daemon, a change of
   identity (see sp_posix_vm_ok), a cgroup (see cgroup.c).  */
static int
spawn_fork (spawn_t *s, const sp_spec_t *spec, sp_fail_t *f)
{
  int fds[2];
  sigset_t old;
  bool refused = false;

  if (spec->opt->cgroup
      && sp_posix_cgroup_open (&s->cg, spec->opt->cgroup, f) < 0)
    return -1;
  if (spawn_begin (s, spec, true, true, f) < 0)
    return -1;
  if (spec->opt->handshake)
    {
      if (sp_posix_pipe (fds) < 0)
        return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_PIPE, NULL);
      s->ready_r = fds[0];
      s->ctx.ready_fd = fds[1];
      if (sp_posix_pipe (fds) < 0)
        return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_PIPE, NULL);
      s->ctx.go_fd = fds[0];
      s->go_w = fds[1];
    }

  block_signals (&old);
  pid_t pid = spec->opt->cgroup
                ? sp_posix_cgroup_fork (&s->cg, &s->ctx, &s->pidfd, &refused)
                : sp_posix_fork ();
  if (pid == 0)
    {
      sp_stage_t stage;
      if (spec->opt->daemonize)
        sp_posix_daemon_intermediate (&s->ctx);
      sp_posix_child_run (&s->ctx, &stage);
      _exit (127);
    }
  int fork_err = errno;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (refused)
    {
      spawn_started (s, pid, fork_err, f);
      return sp_fail (f, SUBPROC_ERR_SPAWN, fork_err, SP_STAGE_CGROUP, NULL);
    }
  if (spawn_started (s, pid, fork_err, f) < 0)
    return -1;
  /* With a handshake the report is read by sp_backend_handshake_wait
     and sp_backend_wait: the child is held before it executes.  */
  if (!spec->opt->handshake)
    return spawn_await_exec (s, f);
  return 0;
}

/* Hand what a successful spawn holds to PROC.  */
static void
spawn_hand_over (spawn_t *s, const sp_spec_t *spec, sp_proc_t *proc)
{
  proc->pid = s->pid;
  if (spec->opt->daemonize)
    {
      /* The intermediate has exited (the error pipe closed once the
         daemon executed); its status is the command's.  */
      int status;
      if (sp_posix_wait4 (s->pid, &status, 0, &proc->ru, &proc->have_ru) < 0)
        proc->lost_errno = errno;
      else
        {
          proc->end_us = sp_posix_now_us ();
          proc->reaped = true;
          proc->status = status;
        }
      return;
    }
  if (s->pidfd < 0 && spec->may_signal)
    s->pidfd = sp_posix_pidfd_open (s->pid);
  if (sp_backend_test_no_handle)
    close_fd (&s->pidfd);
  sp_posix_cgroup_hand_over (&s->cg, proc);
  proc->pidfd = s->pidfd;
  proc->err_fd = s->err_r;
  proc->ready_fd = s->ready_r;
  proc->go_fd = s->go_w;
  s->pidfd = s->err_r = s->ready_r = s->go_w = -1;
}

static int
spawn_child (const sp_spec_t *spec, sp_proc_t **procp, pid_t *pidp,
             sp_fail_t *f)
{
  spawn_t s;

  *procp = NULL;
  sp_proc_t *proc = sp_calloc (1, sizeof *proc);
  if (proc == NULL)
    return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_NONE, NULL);
  proc->pidfd = proc->err_fd = proc->ready_fd = proc->go_fd = -1;
  /* The wall time counts from just before the fork.  */
  proc->spawn_us = sp_posix_now_us ();

  spawn_init (&s);
  int ret = sp_posix_vm_ok (spec) ? spawn_fast (&s, spec, f)
                                  : spawn_fork (&s, spec, f);
  if (ret == 0)
    {
      spawn_hand_over (&s, spec, proc);
      *procp = proc;
      *pidp = s.pid;
      proc = NULL;
    }
  spawn_cleanup (&s);
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

  if (spec->opt->daemonize || spec->opt->handshake)
    return sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_NONE,
                    spec->opt->daemonize ? "daemonize" : "handshake");
  int cancel = sp_posix_nocancel_begin ();
  if (ctx_init (&ctx, spec, true, &sorted, f) < 0)
    {
      sp_posix_nocancel_end (cancel);
      return -1;
    }
  ctx.fail_returns = ctx.signals_last = true;
  ctx.parent_pid = getppid ();
  /* The calling process moves itself into the cgroup, as a child
     without clone3 does.  */
  sp_posix_cgroup_t cg;
  sp_posix_cgroup_init (&cg);
  if (spec->opt->cgroup
      && sp_posix_cgroup_open (&cg, spec->opt->cgroup, f) < 0)
    {
      sp_posix_cgroup_close (&cg);
      close_fd (&ctx.null_fd);
      free (sorted);
      sp_posix_nocancel_end (cancel);
      return -1;
    }
  ctx.cgroup_fd = cg.procs_fd;

  sp_posix_child_run (&ctx, &stage);
  int err = errno;
  sp_posix_cgroup_close (&cg);
  close_fd (&ctx.null_fd);
  free (sorted);
  sp_posix_nocancel_end (cancel);
  return report_fail (f, (int) stage, err);
}
