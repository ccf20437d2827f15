/* posix.h: what the files of the POSIX backend share.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each contract function of lib/backend.h is in the file of the same
 * name as on Win32 (src/win32/win32.h):
 *
 *   spawn.c   sp_backend_prepare, spec_release, spawn, exec: the
 *             parent's side, a dispatcher over the fast path and fork
 *   clone.c   the fast path: children that share the parent's memory
 *   child.c   everything the child does between fork and exec
 *   wait.c    waiting, signals, handing over by pid, the handshake,
 *             status decoding
 *   io.c      descriptors, payloads and the I/O pump
 *   misc.c    program lookup, environment, strings, clock
 *   thread.c  threads and cancellation
 */

#ifndef SUBPROC_POSIX_H
#define SUBPROC_POSIX_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>
#ifdef SP_POSIX_HAVE_SYSCALL
# include <sys/syscall.h>
#endif

#include "backend.h"

/* The Linux-specific features come from configure (SP_POSIX_HAVE_*, see
   configure.ac), never from the system's headers alone, so that a build
   without them (--disable-linux-specific) takes the portable paths.

   SP_POSIX_LINUX: prctl, the capability sets and the raw identity
   system calls.  */
#ifdef SP_POSIX_HAVE_PRCTL
# define SP_POSIX_LINUX 1
#endif

#ifdef SP_POSIX_LINUX
/* The capget and capset system calls' arguments, as the kernel defines
   them (its user-space ABI, which does not change).  Declared here rather
   than taken from <linux/capability.h>: a C library's headers need not
   bring the kernel's (musl's do not), and the backend calls the system
   calls directly, so only the numbers and layouts are needed.  Version 3
   takes two data words, capabilities 0-31 then 32-63.  */
# define SP_POSIX_CAP_VERSION_3 0x20080522
# define SP_POSIX_CAP_SETGID 6
struct sp_posix_cap_header
{
  uint32_t version;
  int pid;
};
struct sp_posix_cap_data
{
  uint32_t effective;
  uint32_t permitted;
  uint32_t inheritable;
};
#endif

/* pidfds: a descriptor that names one process and cannot be confused with
   a later process that reuses the pid.  */
#ifdef SP_POSIX_HAVE_PIDFD
# define SP_POSIX_PIDFD 1
#endif

/* ThreadSanitizer keeps each thread's state in memory of that thread's:
   a child that runs in the parent's memory (clone with CLONE_VM, vfork)
   runs instrumented code and intercepted calls (sigaction,
   pthread_sigmask) on the state of the parent's thread, and corrupts it
   (lost locks, reports of races that are none).  A build with it spawns
   every child with fork (clone.c, sp_posix_vm_ok).  */
#if defined __SANITIZE_THREAD__
# define SP_POSIX_TSAN 1
#elif defined __has_feature
# if __has_feature (thread_sanitizer)
#  define SP_POSIX_TSAN 1
# endif
#endif

struct sp_proc
{
  pid_t pid;
  int pidfd;          /* -1: none (old kernel, not Linux, reaped) */
  bool reaped;        /* the status below is valid */
  int status;         /* waitpid status once reaped */
  int lost_errno;     /* non-zero: the child cannot be waited for (ECHILD) */
  /* What the child used: the rusage of its reap (with HAVE_RU), and the
     CLOCK_MONOTONIC microseconds of its spawn and of the first moment
     the library saw it had ended (0: not yet).  */
  struct rusage ru;
  bool have_ru;
  int64_t spawn_us;
  int64_t end_us;
  /* The handshake and the report of failures that happen after it: the
     read end of the error pipe, the read end of "ready", the write end of
     "go".  -1 when not in use.  */
  int err_fd;
  int ready_fd;
  int go_fd;
  /* Sharing with subproc_pid_wait / subproc_pid_abort (wait.c): a view
     made by sp_backend_proc_for_pid has SHARED, the command's proc, which
     keeps the state above for both; its own PID is a copy and its
     descriptors are -1.  */
  struct sp_proc *shared;
  struct sp_proc *next;  /* in the table of handed-over children */
  bool handed;           /* in that table */
  bool orphan;           /* the command let go; freed with the last view */
  unsigned int views;    /* views that point here */
  /* subproc_set_cgroup, for the OOM report (cgroup.c): the directory
     (O_PATH), its memory.events, and memory.events' oom_kill at the
     spawn.  CGROUP false (a view, no memory controller): none.  */
  bool cgroup;
  int cg_dir_fd;
  int cg_events_fd;
  uint64_t cg_oom_kills;
};

/* What the child needs, prepared by the parent before the fork.  It lives
   in the parent's memory; with CLONE_VM the child reads it in place and
   only writes FAIL_STAGE / FAIL_ERRNO.  */
typedef struct sp_posix_child
{
  const sp_spec_t *spec;
  const int *keep_sorted;  /* spec->keep_fds, ascending, no duplicates */
  size_t n_keep;
  char *const *envp;       /* spec->envp, or environ */
  int null_fd;             /* /dev/null (close-on-exec), or -1 */
  int err_fd;              /* write end of the error pipe, or -1 */
  int ready_fd;            /* handshake: write end of "ready", or -1 */
  int go_fd;               /* handshake: read end of "go", or -1 */
  int notify_fd;           /* daemon: write end towards the intermediate */
  pid_t parent_pid;        /* for the PR_SET_PDEATHSIG race */
  /* sp_posix_child_run returns a failure (with its stage) to its caller
     instead of writing it to ERR_FD and exiting: subproc_exec, and the
     memory report of the fast path.  */
  bool fail_returns;
  /* The signal dispositions are reset just before exec, not first:
     subproc_exec keeps the caller's handlers in case the setup fails
     (and the memory report's child, which returns like it, does too).  */
  bool signals_last;
  int cgroup_fd;           /* subproc_set_cgroup without clone3: the
                              cgroup.procs the child writes itself into
                              first, or -1 */
  bool daemon;             /* this is the daemon of a daemonize */
  bool own_table;          /* the child's descriptor table holds only 0, 1,
                              2 and close-on-exec ones of its own (spawn.c,
                              can_share_files): nothing else to close */
} sp_posix_child_t;

/* The failure record written to the error pipe.  */
typedef struct sp_posix_report
{
  int stage;
  int err;
} sp_posix_report_t;

/* child.c.  Set up the child as CTX says and execute the program.  In a
   forked child this never returns (it _exits with 127 after reporting a
   failure); with CTX->fail_returns it returns -1 with *STAGE and
   errno.  */
int sp_posix_child_run (sp_posix_child_t *ctx, sp_stage_t *stage);

/* Does the child need the null device for one of 0, 1, 2?  */
static inline bool
sp_posix_needs_null (const sp_spec_t *spec)
{
  return spec->stdio[0] < 0 || spec->stdio[1] < 0 || spec->stdio[2] < 0;
}

/* clone.c.  The fast path, whose child shares our memory until it
   executes or exits; the parent is suspended meanwhile.  The child only
   writes the four report fields here.  */
typedef struct sp_posix_vm
{
  sp_posix_child_t *ctx;
  bool mem_report;         /* the child reports a failure in STAGE / ERR
                              (CTX->fail_returns), not on the error pipe */
  bool share_files;        /* cloned with CLONE_FILES (see clone.c) */
  bool null_failed;        /* the retry could not open the null device */
  volatile int ran;        /* the child writes 1 at once */
  volatile int stage;      /* memory report: SP_STAGE_NONE, or where */
  volatile int err;
  volatile int no_unshare; /* the kernel cannot CLOSE_RANGE_UNSHARE */
  /* subproc_set_cgroup: the cgroup, opened; NULL: none.  REFUSED: it
     would not take the child (errno says why).  */
  const struct sp_posix_cgroup *cg;
  bool cg_refused;
} sp_posix_vm_t;

/* clone.c.  May SPEC's child take the fast path?  */
bool sp_posix_vm_ok (const sp_spec_t *spec);

/* clone.c.  Fill *VM for a fast spawn of SPEC set up in CTX: whether the
   memory report can be trusted here and the child may share our
   descriptor table.  */
void sp_posix_vm_plan (sp_posix_vm_t *vm, sp_posix_child_t *ctx,
                       const sp_spec_t *spec);

/* clone.c.  Start the fast child of VM, all signals blocked: its pid,
   and *PIDFD when the kernel gave one (else -1), or -1 with errno
   (VM->null_failed: opening the null device failed).  A child that
   could not unshare the descriptor table is reaped and started again
   without sharing it.  */
pid_t sp_posix_vm_spawn (sp_posix_vm_t *vm, int *pidfd);

/* security.c.  Check that the system can honour the security label,
   AppArmor profile and core scheduling of SPEC->opt and fill SPEC's
   apparmor_exec and attr_root: 0, or -1 with *F (SUBPROC_ERR_UNSUPPORTED
   where they cannot be).  sp_posix_security_release frees what it
   made.  */
int sp_posix_security_prepare (sp_spec_t *spec, sp_fail_t *f);
void sp_posix_security_release (sp_spec_t *spec);

/* security.c.  In the child: take the core-scheduling cookie, and write
   the security label and profile for the exec.  SP_STAGE_NONE, or the
   stage that failed with errno.  Async-signal-safe.  */
sp_stage_t sp_posix_sched_core_apply (const sp_spec_t *spec);
sp_stage_t sp_posix_security_apply (const sp_spec_t *spec);

/* cgroup.c.  The cgroup of subproc_set_cgroup, opened by the parent
   before the spawn.  */
typedef struct sp_posix_cgroup sp_posix_cgroup_t;
struct sp_posix_cgroup
{
  int dir_fd;          /* the directory (O_PATH), or -1 */
  int procs_fd;        /* its cgroup.procs, for writing, or -1 */
  int events_fd;       /* its memory.events, or -1 (no memory
                          controller there) */
  uint64_t oom_kills;  /* memory.events' oom_kill when opened */
};

/* cgroup.c.  Empty *CG; close what it holds.  */
void sp_posix_cgroup_init (sp_posix_cgroup_t *cg);
void sp_posix_cgroup_close (sp_posix_cgroup_t *cg);

/* cgroup.c.  Open DIR into *CG and check that it is a cgroup v2
   directory whose cgroup.procs we may write: 0, or -1 with *F
   (SP_STAGE_CGROUP).  */
int sp_posix_cgroup_open (sp_posix_cgroup_t *cg, const char *dir,
                          sp_fail_t *f);

/* cgroup.c.  Fork a child that starts inside CG: with clone3
   (CLONE_INTO_CGROUP, and CLONE_PIDFD into *PIDFD when the spawn may
   signal), else with sp_posix_fork and CTX->cgroup_fd set, so that the
   child moves itself.  As fork: the pid, 0 in the child, -1 with errno
   and *REFUSED when the cgroup would not take the child.  */
pid_t sp_posix_cgroup_fork (const sp_posix_cgroup_t *cg,
                            sp_posix_child_t *ctx, int *pidfd,
                            bool *refused);

/* cgroup.c.  clone3 of a child that shares our memory (CLONE_VM |
   CLONE_VFORK, and CLONE_FILES with SHARE_FILES) and is born inside
   CG, running FN (ARG) on STACK (STACK_SIZE bytes): x86-64 only, where
   the child's first instructions can be written (SP_POSIX_CLONE3_VM).
   The pid, or -1 with errno: ENOSYS when the kernel cannot (or the test
   hook says so), and the caller clones as usual with the child moving
   itself; *REFUSED when the cgroup would not take the child.  *PIDFD:
   as in sp_posix_cgroup_fork.  */
#if defined SP_POSIX_HAVE_CLONE3 && defined SYS_clone3 && defined SYS_exit \
  && defined __x86_64__ && defined __GNUC__
# define SP_POSIX_CLONE3_VM 1
pid_t sp_posix_cgroup_clone_vm (const sp_posix_cgroup_t *cg,
                                bool share_files, void *stack,
                                size_t stack_size, int (*fn) (void *),
                                void *arg, int *pidfd, bool *refused);
#endif

/* cgroup.c.  In the child: move into the cgroup of PROCS_FD.  0, or -1
   with errno.  Async-signal-safe.  */
int sp_posix_cgroup_enter (int procs_fd);

/* cgroup.c.  Give PROC what the OOM report needs from *CG (which keeps
   the rest), and release it.  */
void sp_posix_cgroup_hand_over (sp_posix_cgroup_t *cg, sp_proc_t *proc);
void sp_posix_cgroup_release (sp_proc_t *proc);

/* child.c.  Report a failure of the child and _exit (127).  */
void sp_posix_child_fail (sp_posix_child_t *ctx, sp_stage_t stage, int err)
  __attribute__ ((noreturn));

#ifdef SP_POSIX_LINUX
/* child.c.  The capget or capset system call (NR) on the calling thread,
   with its effective, permitted and inheritable sets as SETS[0..2], 64
   bits each: read into SETS, or set from them.  0, or -1 with errno.
   Async-signal-safe.  */
int sp_posix_caps (long nr, uint64_t sets[3]);
#endif

/* child.c.  fork without the application's pthread_atfork handlers (see
   child.c).  Async-signal-safe.  */
pid_t sp_posix_fork (void);

/* child.c.  The intermediate process of a daemon; never returns.  */
void sp_posix_daemon_intermediate (sp_posix_child_t *ctx)
  __attribute__ ((noreturn));

/* Cancellation.  No function of the library is a cancellation point: a
   pthread_cancel acted upon inside one would unwind through frames that
   hold a half-made child, descriptors or memory, and in a child that
   shares the parent's memory it would run the caller's cleanup handlers
   on the caller's stack.  Every function of the backend that reaches a
   cancellation point of the C library runs between these two; a request
   that arrives meanwhile is acted upon at the caller's next cancellation
   point.  The child inherits the disabled state, and makes its system
   calls with the sp_posix_sys_* functions below.  */
static inline int
sp_posix_nocancel_begin (void)
{
  int old = PTHREAD_CANCEL_ENABLE;
  pthread_setcancelstate (PTHREAD_CANCEL_DISABLE, &old);
  return old;
}

static inline void
sp_posix_nocancel_end (int old)
{
  int ignored;
  pthread_setcancelstate (old, &ignored);
}

/* io.c.  The system calls of the child, never cancellation points.  On
   Linux they are the raw system calls (not in a ThreadSanitizer build:
   see io.c), which neither act on a
   cancellation request nor touch the calling thread's cancellation
   state (in a CLONE_VM child, that of the parent's thread).  Elsewhere
   they are the C library's functions, which the state disabled by the
   parent keeps from acting.  Async-signal-safe.  SP_POSIX_SYS_POLL
   polls without waiting.  */
int sp_posix_sys_open (const char *path, int flags, mode_t mode);
int sp_posix_sys_close (int fd);
ssize_t sp_posix_sys_read (int fd, void *buf, size_t len);
ssize_t sp_posix_sys_write (int fd, const void *buf, size_t len);
int sp_posix_sys_poll (struct pollfd *fds, nfds_t n);

/* io.c.  A pipe whose ends are both close-on-exec and above 2, so that
   no descriptor of the backend's can collide with a child's 0, 1, 2.
   Async-signal-safe.  */
int sp_posix_pipe (int fds[2]);

/* io.c.  The null device, opened close-on-exec above 2, or -1.  */
int sp_posix_open_null (void);

/* io.c.  Block SIGPIPE in the calling thread for a write that may hit a
   closed pipe; sp_posix_sigpipe_end consumes a SIGPIPE the write raised
   (GOT_EPIPE) and restores the mask.  */
typedef struct sp_posix_sigpipe
{
  sigset_t old_mask;
  bool was_pending;
  bool blocked;
} sp_posix_sigpipe_t;
void sp_posix_sigpipe_begin (sp_posix_sigpipe_t *s);
void sp_posix_sigpipe_end (sp_posix_sigpipe_t *s, bool got_epipe);

/* wait.c.  A pidfd for PID, or -1.  */
int sp_posix_pidfd_open (pid_t pid);

/* wait.c.  Read a failure report from FD until EOF: 1 with *REP when the
   child reported one, 0 at EOF without a report (exec succeeded), -1 on
   a read error (errno).  */
int sp_posix_read_report (int fd, sp_posix_report_t *rep);

/* wait.c.  CLOCK_MONOTONIC in microseconds, for the wall time of a
   child.  */
int64_t sp_posix_now_us (void);

/* wait.c.  The I/O wait saw the child of PROC end (its pidfd became
   readable): the end of its wall time, unless an earlier look saw it.  */
void sp_posix_proc_end_seen (sp_proc_t *proc);

/* wait.c.  waitpid for PID, retried on EINTR, with the rusage of the
   child in *RU where the system gives it (*HAVE_RU).  */
pid_t sp_posix_wait4 (pid_t pid, int *status, int flags, struct rusage *ru,
                      bool *have_ru);

/* wait.c.  waitpid for PID, retried on EINTR.  */
pid_t sp_posix_waitpid (pid_t pid, int *status, int flags);

/* wait.c.  Has PROC's child been reaped (its status is known)?  Read
   under the lock that the reaper holds.  */
bool sp_posix_proc_reaped (sp_proc_t *proc);

#endif /* SUBPROC_POSIX_H */
