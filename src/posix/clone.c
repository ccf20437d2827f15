/* clone.c: the fast path's children, which share the parent's memory.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * On Linux the fast child is made with clone (CLONE_VM | CLONE_VFORK) on
 * a small stack of its own, elsewhere with vfork: nothing of the
 * parent's memory is copied, so the cost does not grow with the parent's
 * size, and the parent is suspended until the child has executed or
 * exited.  Everything that decides whether a child may share our memory,
 * and the process-wide state those rules learn as they go (vm_shared,
 * no_unshare_here, the stack cache), is here; spawn.c drives the spawn
 * itself.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "posix.h"

#ifdef SP_POSIX_HAVE_CLONE
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

bool
sp_posix_vm_ok (const sp_spec_t *spec)
{
  const sp_options_t *opt = spec->opt;
  if (opt->hook || opt->daemonize || opt->handshake)
    return false;
#ifndef SP_POSIX_CLONE3_VM
  /* Without the first instructions of a clone3 child that shares our
     memory, a cgroup child is made by clone3 as a copy (cgroup.c).  */
  if (opt->cgroup)
    return false;
#endif
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
     clear_caps and no_new_privs stay on the fast path.  Without prctl
     (SP_POSIX_LINUX, posix.h) the ids would change through the C
     library's setuid and setgid, which on Linux signal every thread of
     the process to change too: in a CLONE_VM child, the parent's.  */
  return !opt->set_uid && !opt->set_gid;
#elif defined SP_SPAWN_VFORK
  /* Without raw system calls, changing identity in a child that shares
     the parent's memory is not safe (see child.c).  */
  return !opt->set_uid && !opt->set_gid;
#else
  return false;
#endif
}

#ifdef SP_SPAWN_CLONE
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
# define STACK_CACHE_SLOTS 4
static void *stack_cache[STACK_CACHE_SLOTS];

# ifndef CLOSE_RANGE_UNSHARE
#  define CLOSE_RANGE_UNSHARE (1U << 1)
# endif

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
# if !(defined SP_POSIX_HAVE_CLOSE_RANGE && defined SYS_close_range)
  /* Without close_range the child could not leave our table.  */
  (void) spec;
  (void) mem_report;
  return false;
# else
  /* A child that moves itself into a cgroup needs our cgroup.procs.  */
  if (!mem_report || spec->n_keep_fds != 0 || spec->n_fd_maps != 0
      || spec->opt->cgroup
      || __atomic_load_n (&no_unshare_here, __ATOMIC_RELAXED))
    return false;
  for (int i = 0; i < 3; i++)
    if (spec->stdio[i] >= 0 && spec->stdio[i] != i)
      return false;
  return true;
# endif
}
#endif

void
sp_posix_vm_plan (sp_posix_vm_t *vm, sp_posix_child_t *ctx,
                  const sp_spec_t *spec)
{
  memset (vm, 0, sizeof *vm);
  vm->ctx = ctx;
#ifdef SP_SPAWN_CLONE
  vm->mem_report = __atomic_load_n (&vm_shared, __ATOMIC_RELAXED);
  vm->share_files = can_share_files (spec, vm->mem_report);
#else
  (void) spec;
#endif
}

#ifdef SP_SPAWN_CLONE
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
clone_entry (void *arg)
{
  sp_posix_vm_t *a = arg;
  sp_posix_child_t ctx = *a->ctx;
  sp_stage_t stage;
  a->ran = 1;
  if (a->share_files)
    {
      /* Still on the parent's descriptor table: touch nothing until this
         child has its own, made of the parent's 0, 1 and 2 only.  */
# if defined SP_POSIX_HAVE_CLOSE_RANGE && defined SYS_close_range
      if (syscall (SYS_close_range, 3U, ~0U, CLOSE_RANGE_UNSHARE) < 0)
# endif
        {
          a->no_unshare = 1;
          _exit (127);
        }
      ctx.own_table = true;
      if (sp_posix_needs_null (ctx.spec))
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
  /* Only with the memory report (fail_returns) does child_run return.  */
  a->err = errno ? errno : ENOEXEC;
  a->stage = (int) stage;
  _exit (127);
}

/* One clone: returns the pid, *PIDFD when the kernel gave one.  */
static pid_t
spawn_clone (sp_posix_vm_t *a, int *pidfd)
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
     Older kernels ignore the flag or refuse it.  A build without pidfds
     (SP_POSIX_PIDFD) asks for none.  */
  *pidfd = -1;
# ifdef SP_POSIX_PIDFD
  bool want_pidfd = a->ctx->spec->may_signal;
# else
  bool want_pidfd = false;
# endif
  pid = -1;
  bool done = false;
# ifdef SP_POSIX_CLONE3_VM
  /* Born inside the cgroup (cgroup.c); a refusal, or no memory for the
     child, is the answer.  */
  if (a->cg)
    {
      pid = sp_posix_cgroup_clone_vm (a->cg, a->share_files, stack,
                                      CLONE_STACK_SIZE, clone_entry, a,
                                      want_pidfd ? pidfd : NULL,
                                      &a->cg_refused);
      done = pid >= 0 || errno != ENOSYS;
    }
# endif
  /* Where the kernel cannot, the child moves itself.  */
  if (a->cg && !done)
    a->ctx->cgroup_fd = a->cg->procs_fd;
  if (done)
    ;
  else if (want_pidfd)
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
#endif

pid_t
sp_posix_vm_spawn (sp_posix_vm_t *vm, int *pidfd)
{
#if defined SP_SPAWN_CLONE
  pid_t pid = spawn_clone (vm, pidfd);
  /* The child wrote to our memory and is done with it by now: the
     memory report can be trusted from now on.  */
  if (pid > 0 && vm->ran && !vm->mem_report)
    __atomic_store_n (&vm_shared, 1, __ATOMIC_RELAXED);
  if (pid > 0 && vm->share_files && vm->no_unshare)
    {
      /* The child exited without touching anything: again, with a
         table of its own.  */
      int status;
      __atomic_store_n (&no_unshare_here, 1, __ATOMIC_RELAXED);
      sp_posix_waitpid (pid, &status, 0);
      if (*pidfd >= 0)
        sp_backend_close (*pidfd);
      *pidfd = -1;
      vm->share_files = false;
      vm->no_unshare = 0;
      vm->stage = vm->err = 0;
      if (sp_posix_needs_null (vm->ctx->spec)
          && (vm->ctx->null_fd = sp_posix_open_null ()) < 0)
        {
          vm->null_failed = true;
          return -1;
        }
      pid = spawn_clone (vm, pidfd);
    }
  return pid;
#elif defined SP_SPAWN_VFORK
  *pidfd = -1;
  pid_t pid = vfork ();
  if (pid == 0)
    {
      sp_stage_t stage;
      sp_posix_child_run (vm->ctx, &stage);
      _exit (127);
    }
  return pid;
#else
  (void) vm;
  *pidfd = -1;
  errno = ENOSYS;
  return -1;
#endif
}
