/* cgroup.c: starting children inside a cgroup v2 directory, Linux.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * subproc_set_cgroup.  The parent opens the directory (O_PATH), checks
 * that it lies in a cgroup2 file system, and opens its cgroup.procs for
 * writing and its memory.events for reading, all before the spawn, so
 * that the child needs no path lookup and no memory.
 *
 * Where the kernel has clone3 with CLONE_INTO_CGROUP (Linux 5.7), the
 * child is created inside the cgroup: it runs no instruction outside,
 * and the kernel's refusal (EBUSY, EACCES, EOPNOTSUPP) comes back from
 * clone3 itself.  On the fast path (clone.c) that child shares our
 * memory (CLONE_VM | CLONE_VFORK) and runs on a stack of its own: the
 * system call returns there in the child, with no frame of ours to
 * return to, so its first instructions are written out here
 * (clone3_call, x86-64; the C library has no clone3 function).  On the
 * fork path, and on other processors, it is a copy of the parent, as
 * after fork, in which returning through the caller's frames is fine;
 * such a spawn costs what a fork costs (it grows with the parent's
 * memory).
 *
 * Elsewhere (clone3 missing, ENOSYS; CLONE_INTO_CGROUP unknown, E2BIG or
 * EINVAL; a seccomp filter's EPERM or ENOSYS; valgrind), the child is
 * forked as usual and writes "0" to cgroup.procs, which moves the
 * writer, as the first thing it does: before the pre-exec hook, the
 * handshake and the exec, so that the program never runs outside
 * either.
 *
 * The out-of-memory report: memory.events' oom_kill counter, read at
 * the spawn and again once the child has died of SIGKILL.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef SP_POSIX_HAVE_CGROUP
# include <sys/vfs.h>
#endif

#include "posix.h"

#ifdef SP_POSIX_HAVE_CGROUP
/* From <linux/magic.h> and <linux/sched.h>, which not every C library's
   headers bring; the kernel's ABI, which does not change.  */
# define CGROUP2_MAGIC 0x63677270
# define SP_CLONE_VM 0x00000100ULL
# define SP_CLONE_FILES 0x00000400ULL
# define SP_CLONE_PIDFD 0x00001000ULL
# define SP_CLONE_VFORK 0x00004000ULL
# define SP_CLONE_INTO_CGROUP 0x200000000ULL

/* struct clone_args as of Linux 5.7 (CLONE_ARGS_SIZE_VER2).  */
struct sp_clone_args
{
  uint64_t flags;
  uint64_t pidfd;
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;
  uint64_t stack_size;
  uint64_t tls;
  uint64_t set_tid;
  uint64_t set_tid_size;
  uint64_t cgroup;
};

#endif

#if defined SP_POSIX_HAVE_CLONE3 && defined SYS_clone3
/* 1 once clone3 has shown that it cannot start a child in a cgroup
   here: every later child moves itself.  */
static int no_clone_into_cgroup;
#endif

void
sp_posix_cgroup_init (sp_posix_cgroup_t *cg)
{
  cg->dir_fd = cg->procs_fd = cg->events_fd = -1;
  cg->oom_kills = 0;
}

void
sp_posix_cgroup_close (sp_posix_cgroup_t *cg)
{
  int *fds[3] = { &cg->dir_fd, &cg->procs_fd, &cg->events_fd };
  for (int i = 0; i < 3; i++)
    if (*fds[i] >= 0)
      {
        sp_backend_close (*fds[i]);
        *fds[i] = -1;
      }
}

#ifdef SP_POSIX_HAVE_CGROUP
/* Keep 0, 1 and 2 free for the child's stdio (see io.c).  */
static int
above_stdio (int fd)
{
  if (fd < 0 || fd > 2)
    return fd;
  int moved = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  int err = errno;
  close (fd);
  errno = err;
  return moved;
}

static int
open_in (int dir_fd, const char *name, int flags)
{
  int fd;
  do
    fd = openat (dir_fd, name, flags | O_CLOEXEC | O_NOCTTY);
  while (fd < 0 && errno == EINTR);
  return above_stdio (fd);
}

/* The value of KEY in the "key value" lines of the file FD, read from
   its start.  0 with *VALUE, or -1.  */
static int
read_key (int fd, const char *key, uint64_t *value)
{
  char buf[1024];
  ssize_t n;
  while ((n = pread (fd, buf, sizeof buf - 1, 0)) < 0 && errno == EINTR)
    ;
  if (n < 0)
    return -1;
  buf[n] = '\0';
  size_t len = strlen (key);
  for (char *p = buf; *p != '\0';)
    {
      if (strncmp (p, key, len) == 0 && p[len] == ' ')
        {
          char *end;
          errno = 0;
          unsigned long long v = strtoull (p + len + 1, &end, 10);
          if (errno != 0 || end == p + len + 1)
            return -1;
          *value = v;
          return 0;
        }
      char *nl = strchr (p, '\n');
      if (nl == NULL)
        break;
      p = nl + 1;
    }
  errno = ENOENT;
  return -1;
}
#endif

int
sp_posix_cgroup_open (sp_posix_cgroup_t *cg, const char *dir, sp_fail_t *f)
{
#ifdef SP_POSIX_HAVE_CGROUP
  int fd;
  do
    fd = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if ((cg->dir_fd = above_stdio (fd)) < 0)
    return sp_fail (f, SUBPROC_ERR_SPAWN, errno, SP_STAGE_CGROUP, NULL);

  struct statfs st;
  if (fstatfs (cg->dir_fd, &st) < 0)
    return sp_fail (f, SUBPROC_ERR_SPAWN, errno, SP_STAGE_CGROUP, NULL);
  if (st.f_type != CGROUP2_MAGIC)
    return sp_fail (f, SUBPROC_ERR_SPAWN, EINVAL, SP_STAGE_CGROUP,
                    "not a directory of the cgroup2 file system");

  /* Opened even when clone3 will do: the child may need it after all.
     The kernel checks the right to move a process against the opener of
     cgroup.procs, the parent here.  */
  if ((cg->procs_fd = open_in (cg->dir_fd, "cgroup.procs", O_WRONLY)) < 0)
    return sp_fail (f, SUBPROC_ERR_SPAWN, errno, SP_STAGE_CGROUP, NULL);

  /* No memory controller for this cgroup: no memory.events, and no OOM
     report.  */
  cg->events_fd = open_in (cg->dir_fd, "memory.events", O_RDONLY);
  if (cg->events_fd >= 0 && read_key (cg->events_fd, "oom_kill",
                                      &cg->oom_kills) < 0)
    {
      sp_backend_close (cg->events_fd);
      cg->events_fd = -1;
    }
  return 0;
#else
  (void) cg;
  (void) dir;
  return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS, SP_STAGE_UNSUPPORTED,
                  "cgroup");
#endif
}

#if defined SP_POSIX_TSAN && defined SP_POSIX_HAVE_CLONE3
void __sanitizer_syscall_pre_impl_fork (void);
void __sanitizer_syscall_post_impl_fork (long res);
#endif

#if defined SP_POSIX_HAVE_CLONE3 && defined SYS_clone3
/* clone3 into the cgroup: the pid, 0 in the child, or -1.  */
static pid_t
clone_into (const sp_posix_cgroup_t *cg, int *pidfd)
{
  struct sp_clone_args args;
  memset (&args, 0, sizeof args);
  args.flags = SP_CLONE_INTO_CGROUP;
  if (pidfd)
    {
      args.flags |= SP_CLONE_PIDFD;
      args.pidfd = (uint64_t) (uintptr_t) pidfd;
    }
  args.exit_signal = SIGCHLD;
  args.cgroup = (uint64_t) cg->dir_fd;
# ifdef SP_POSIX_TSAN
  /* As sp_posix_fork: tell ThreadSanitizer of the fork it cannot see.  */
  __sanitizer_syscall_pre_impl_fork ();
  pid_t pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
  int err = errno;
  __sanitizer_syscall_post_impl_fork (pid);
  errno = err;
  return pid;
# else
  return (pid_t) syscall (SYS_clone3, &args, sizeof args);
# endif
}
#endif

/* Runs in the child between fork and exec, where it returns 0:
   async-signal-safe only (signal-safety(7)).  */
pid_t
sp_posix_cgroup_fork (const sp_posix_cgroup_t *cg, sp_posix_child_t *ctx,
                      int *pidfd, bool *refused)
{
  *pidfd = -1;
  *refused = false;
#if defined SP_POSIX_HAVE_CLONE3 && defined SYS_clone3
  if (!sp_backend_test_no_clone_into_cgroup
      && !__atomic_load_n (&no_clone_into_cgroup, __ATOMIC_RELAXED))
    {
# ifdef SP_POSIX_PIDFD
      int *want = ctx->spec->may_signal ? pidfd : NULL;
# else
      int *want = NULL;
# endif
      pid_t pid = clone_into (cg, want);
      if (pid >= 0)
        return pid;
      if (errno != ENOSYS && errno != E2BIG && errno != EINVAL
          && errno != EPERM)
        {
          /* The cgroup refused the child (EBUSY, EACCES, EOPNOTSUPP...),
             or the system has no room for one.  */
          *refused = errno != ENOMEM && errno != EAGAIN;
          return -1;
        }
      __atomic_store_n (&no_clone_into_cgroup, 1, __ATOMIC_RELAXED);
      *pidfd = -1;
    }
#endif
  ctx->cgroup_fd = cg->procs_fd;
  return sp_posix_fork ();
}

#ifdef SP_POSIX_CLONE3_VM
/* clone3 (ARGS) whose child calls FN (ARG) on the stack ARGS gives it
   and exits with its value should it return: the kernel's return in
   the child lands on that stack, with no frame of ours to return to,
   so the child's first instructions are these, as in the C library's
   own clone.  The parent sees the system call's result.  */
static long
clone3_call (struct sp_clone_args *args, int (*fn) (void *), void *arg)
{
  long ret;
  __asm__ volatile ("syscall\n\t"
                    "test %%rax, %%rax\n\t"
                    "jnz 1f\n\t"
                    /* The child: no caller's frame above this one.  */
                    "xor %%ebp, %%ebp\n\t"
                    "mov %[arg], %%rdi\n\t"
                    "call *%[fn]\n\t"
                    "mov %%eax, %%edi\n\t"
                    "mov %[nr_exit], %%eax\n\t"
                    "syscall\n\t"
                    "hlt\n"
                    "1:\n"
                    : "=a"(ret)
                    : "0"((long) SYS_clone3), "D"(args), "S"(sizeof *args),
                      [fn] "r"(fn), [arg] "r"(arg), [nr_exit] "i"(SYS_exit)
                    : "rcx", "r11", "memory");
  return ret;
}

pid_t
sp_posix_cgroup_clone_vm (const sp_posix_cgroup_t *cg, bool share_files,
                          void *stack, size_t stack_size,
                          int (*fn) (void *), void *arg, int *pidfd,
                          bool *refused)
{
  *refused = false;
  if (sp_backend_test_no_clone_into_cgroup
      || __atomic_load_n (&no_clone_into_cgroup, __ATOMIC_RELAXED))
    {
      errno = ENOSYS;
      return -1;
    }
  struct sp_clone_args args;
  memset (&args, 0, sizeof args);
  args.flags = SP_CLONE_VM | SP_CLONE_VFORK | SP_CLONE_INTO_CGROUP;
  if (share_files)
    args.flags |= SP_CLONE_FILES;
  if (pidfd)
    {
      args.flags |= SP_CLONE_PIDFD;
      args.pidfd = (uint64_t) (uintptr_t) pidfd;
    }
  args.exit_signal = SIGCHLD;
  args.stack = (uint64_t) (uintptr_t) stack;
  args.stack_size = stack_size;
  args.cgroup = (uint64_t) cg->dir_fd;
  long r = clone3_call (&args, fn, arg);
  if (r >= 0)
    return (pid_t) r;
  errno = (int) -r;
  if (errno != ENOSYS && errno != E2BIG && errno != EINVAL && errno != EPERM)
    *refused = errno != ENOMEM && errno != EAGAIN;
  else
    {
      __atomic_store_n (&no_clone_into_cgroup, 1, __ATOMIC_RELAXED);
      errno = ENOSYS;
    }
  return -1;
}
#endif

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
int
sp_posix_cgroup_enter (int procs_fd)
{
  /* "0" moves the process that writes it, with all its threads.  */
  ssize_t w;
  while ((w = sp_posix_sys_write (procs_fd, "0", 1)) < 0 && errno == EINTR)
    ;
  return w == 1 ? 0 : -1;
}

void
sp_posix_cgroup_hand_over (sp_posix_cgroup_t *cg, sp_proc_t *proc)
{
  if (cg->events_fd < 0)
    return;
  proc->cgroup = true;
  proc->cg_dir_fd = cg->dir_fd;
  proc->cg_events_fd = cg->events_fd;
  proc->cg_oom_kills = cg->oom_kills;
  cg->dir_fd = cg->events_fd = -1;
}

void
sp_posix_cgroup_release (sp_proc_t *proc)
{
  if (!proc->cgroup)
    return;
  sp_backend_close (proc->cg_dir_fd);
  sp_backend_close (proc->cg_events_fd);
  proc->cg_dir_fd = proc->cg_events_fd = -1;
  proc->cgroup = false;
}

int
sp_backend_limit_hit (sp_proc_t *proc, int raw_status, uint64_t *memory_max)
{
#ifdef SP_POSIX_HAVE_CGROUP
  uint64_t kills;
  if (proc == NULL || !proc->cgroup || !WIFSIGNALED (raw_status)
      || WTERMSIG (raw_status) != SIGKILL)
    return 0;
  int saved = errno;
  int hit = read_key (proc->cg_events_fd, "oom_kill", &kills) == 0
            && kills > proc->cg_oom_kills;
  if (hit)
    {
      /* "max", or the limit in bytes, read now: it may have changed
         since the spawn.  */
      char buf[32];
      ssize_t n = -1;
      *memory_max = UINT64_MAX;
      int fd = open_in (proc->cg_dir_fd, "memory.max", O_RDONLY);
      if (fd >= 0)
        {
          while ((n = read (fd, buf, sizeof buf - 1)) < 0 && errno == EINTR)
            ;
          sp_backend_close (fd);
        }
      if (n > 0 && buf[0] >= '0' && buf[0] <= '9')
        {
          buf[n] = '\0';
          *memory_max = strtoull (buf, NULL, 10);
        }
    }
  errno = saved;
  return hit;
#else
  (void) proc;
  (void) raw_status;
  (void) memory_max;
  return 0;
#endif
}
