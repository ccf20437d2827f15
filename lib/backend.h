/* backend.h: what each platform backend (src/posix, src/win32) provides.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The front-end (lib/) validates the command, builds an sp_spec_t with
 * everything resolved (program path, argv, envp, descriptor layout) and
 * calls the functions below.  Backends never format user-facing messages:
 * they describe a failure as an sp_fail_t (error code, errno, stage) and
 * the front-end words it.  Backends export nothing; every name here starts
 * with sp_ and has hidden visibility.  All allocation goes through
 * sp_malloc and friends so that the tests can make it fail.
 */

#ifndef SUBPROC_BACKEND_H
#define SUBPROC_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "subproc.h"

/* ------------------------------------------------------------------ */
/* Allocation (lib/alloc.c).  Every allocation of the library goes through
   these, so that sp_alloc_fail_at can make the Nth one fail.  They set
   errno to ENOMEM on failure and never abort.  */

void *sp_malloc (size_t size);
void *sp_calloc (size_t n, size_t size);
void *sp_realloc (void *ptr, size_t size);
/* realloc of N * SIZE, failing with ENOMEM on overflow.  */
void *sp_reallocarray (void *ptr, size_t n, size_t size);
char *sp_strdup (const char *s);
/* LEN bytes of S, plus a terminating NUL.  */
char *sp_memdup0 (const void *s, size_t len);
/* Count one allocation that the backend makes other than with the
   functions above (a mapping); true, with errno ENOMEM, when it is the
   one sp_alloc_fail_at asked to fail.  */
bool sp_alloc_fails (void);
/* A newly allocated formatted string, or NULL.  */
char *sp_aprintf (const char *fmt, ...) SUBPROC_PRINTF (1, 2);
char *sp_vaprintf (const char *fmt, va_list ap) SUBPROC_PRINTF (1, 0);
/* Free a NULL-terminated vector of strings and the vector.  */
void sp_strv_free (char **v);

/* For tests (tests link the internal convenience library): make the Nth
   allocation from now fail (1 = the next one; 0 = none), and count the
   allocations made since the last call to sp_alloc_fail_at.  */
void sp_alloc_fail_at (unsigned long n);
unsigned long sp_alloc_count (void);

/* ------------------------------------------------------------------ */
/* Failures.  A backend fills one of these; the front-end turns it into the
   command's error, naming the stage.  */

/* The stages: SUBPROC_STAGE_TABLE (lib/subproc.h) under shorter names,
   SP_STAGE_CHDIR having the value of SUBPROC_STAGE_CHDIR.  JOB, TOKEN,
   ENCODING and QUOTING happen on Win32 only; UNSUPPORTED is an option
   this platform cannot honour.  */
typedef enum sp_stage
{
#define SP_STAGE_ENUM_(name, value, text) SP_STAGE_##name = value,
  SUBPROC_STAGE_TABLE (SP_STAGE_ENUM_)
#undef SP_STAGE_ENUM_
} sp_stage_t;

typedef struct sp_fail
{
  int code;       /* enum subproc_error_code */
  int sys_errno;  /* errno (Win32: mapped from GetLastError) */
  sp_stage_t stage;
  const char *what; /* optional static detail: the option that is
                       unsupported, the argument index, ...; never
                       allocated */
} sp_fail_t;

/* Fill *F and return -1, for "return sp_fail (f, ...);".  */
int sp_fail (sp_fail_t *f, int code, int sys_errno, sp_stage_t stage,
             const char *what);

/* ------------------------------------------------------------------ */
/* The process options: what the caller asked of the child, recorded by
   the builder calls (lib/command.c) in the command, which owns them, and
   read by the backend through sp_spec_t.opt.  An option is added here,
   in lib/subproc.h, in its setter, and in each backend: nothing copies
   them.  */

/* The limits the builder calls name, whatever the system calls them.  */
typedef enum sp_limit
{
  SP_LIMIT_NONE = 0,
  SP_LIMIT_MEMLOCK,   /* RLIMIT_MEMLOCK */
  SP_LIMIT_PROCESSES, /* RLIMIT_NPROC; Win32: the job's active processes */
  SP_LIMIT_FILES,     /* RLIMIT_NOFILE */
  SP_LIMIT_CORE,      /* RLIMIT_CORE */
  SP_LIMIT_AS,        /* RLIMIT_AS; Win32: the per-process memory */
  SP_LIMIT_DATA,      /* RLIMIT_DATA; Win32: the per-process memory */
  SP_LIMIT_CPU,       /* RLIMIT_CPU; Win32: the per-process user time */
  SP_LIMIT_FSIZE,     /* RLIMIT_FSIZE (only named when it ends a child) */
  SP_LIMIT_CGROUP_MEMORY /* the memory.max of subproc_set_cgroup's
                            cgroup (only named when it ends a child) */
} sp_limit_t;

/* One resource limit of the child.  RESOURCE is the system's RLIMIT_*
   number (from subproc_set_rlimit, or sp_backend_rlimit_resource of a
   builder call), or minus an sp_limit_t that the system has no rlimit
   for (every one on Win32).  */
typedef struct sp_rlimit
{
  int resource;
  unsigned long long soft, hard;  /* SUBPROC_RLIM_INFINITY: none */
} sp_rlimit_t;

/* Room for every resource: distinct ones only, a later setting replaces
   an earlier one.  */
#define SP_MAX_RLIMITS 32

/* The hard CPU limit of subproc_set_max_cpu_time is this many seconds
   above the soft one: SIGXCPU first, SIGKILL after.  */
#define SP_CPU_MARGIN 1

/* The number under which the system knows WHICH: its RLIMIT_* number,
   or -WHICH when it has none (always on Win32).  */
int sp_backend_rlimit_resource (sp_limit_t which);

/* Can RESOURCE (>= 0) be a resource limit here?  False only when the
   system says it is not (POSIX, with RLIM_NLIMITS); true when it cannot
   tell (the spawn finds out).  */
bool sp_backend_rlimit_known (int resource);

/* What ended a child, when a limit did.  */
typedef struct sp_limit_hit
{
  sp_limit_t which;          /* SP_LIMIT_NONE: no limit */
  unsigned long long value;  /* the limit, in its unit (s, bytes) */
} sp_limit_hit_t;

typedef struct sp_options
{
  char *cwd;               /* NULL: the parent's */
  char *pid_file;          /* NULL: none */
  bool daemonize;

  int (*hook) (void *opaque);
  void *hook_opaque;

  bool clear_caps;
  uint64_t allowed_caps;   /* bit N: keep capability N */
  bool no_new_privs;

  /* subproc_set_selinux_label, subproc_set_apparmor_profile: NULL, or
     the label; sched_core: SP_SCHED_CORE_*, sched_core_pid for AMONG.  */
  char *selinux_label;
  char *apparmor_profile;
  int sched_core;
  pid_t sched_core_pid;

  bool set_uid, set_gid, set_umask;
  subproc_uid_t uid;
  subproc_gid_t gid;
  int umask;

  /* Resource limits, one per resource, in the order they were last
     set (so that the child applies them in that order).  */
  sp_rlimit_t rlimits[SP_MAX_RLIMITS];
  size_t n_rlimits;
  bool set_job_memory;     /* Win32 JOB_OBJECT_LIMIT_JOB_MEMORY */
  unsigned long long job_memory;

  char *cgroup;            /* NULL: the parent's cgroup */

  bool new_process_group;
  bool new_session;        /* setsid; sets new_process_group too */
  bool kill_on_parent_exit;
  bool handshake;
  unsigned int grace_ms;   /* from terminate to kill; 0: kill at once */

  bool set_priority;
  int nice_increment;      /* -20..19 (subproc_set_priority) */
  unsigned int creation_flags; /* SUBPROC_WIN32_*, checked */
} sp_options_t;

enum sp_sched_core
{
  SP_SCHED_CORE_NONE = 0,
  SP_SCHED_CORE_ALONE,   /* a new cookie of its own */
  SP_SCHED_CORE_AMONG    /* the cookie of sched_core_pid */
};

/* The longest label or AppArmor command the kernel takes in one write
   to a /proc attribute: one page, at least 4096 bytes.  */
#define SP_ATTR_MAX 4096

/* The limit of OPT for RESOURCE, or NULL when none is set
   (lib/command.c).  */
const sp_rlimit_t *sp_rlimit_find (const sp_options_t *opt, int resource);

/* The grace period of a new command, and of subproc_pid_abort.  */
#define SP_GRACE_MS 500

/* ------------------------------------------------------------------ */
/* What to spawn.  Built by the front-end before the backend is called;
   everything in it is allocated already, so a POSIX backend can use it
   between fork and exec without allocating.  */

/* One descriptor given to the child under another number.  */
typedef struct sp_fd_map
{
  int source;              /* the parent's descriptor */
  int target;              /* its number in the child */
} sp_fd_map_t;

typedef struct sp_spec
{
  const sp_options_t *opt; /* the command's options */

  const char *path;        /* the resolved program to execute */
  char *const *argv;       /* argv[0] is the program as the caller named it */
  char *const *envp;       /* the whole environment, or NULL to inherit */

  /* Descriptors for the child's 0, 1 and 2: -1 means the null device.
     stdio[1] == stdio[2] is allowed.  These are parent descriptors; the
     backend maps them onto 0, 1, 2 in the child.  */
  int stdio[3];
  /* Descriptors that keep their number in the child (pass_fd, send
     buffers).  All other descriptors are closed in the child.  */
  const int *keep_fds;
  size_t n_keep_fds;
  /* Descriptors given under another number (subproc_pass_fd_as): in
     the child TARGET refers to what the parent's SOURCE refers to.
     Sources are open and above 2; targets are above 2, distinct, never
     in KEEP_FDS, and may be anything in the parent (a source of another
     mapping, a descriptor of the backend's).  */
  const sp_fd_map_t *fd_maps;
  size_t n_fd_maps;

  /* The identity of this run, resolved from OPT by sp_backend_prepare
     (they may change with the user database): the group the child
     takes (CHANGE_GID: OPT's set_gid, or with set_uid alone the user's
     primary group), and its supplementary groups (NULL / 0 when not
     changing identity).  */
  bool change_gid;
  subproc_gid_t gid;
  subproc_gid_t *groups;
  int n_groups;

  /* False when nothing will signal the child or wait for it with a time
     limit (subproc_run with no timeout and no buffers): a backend may
     then skip what only those need (the pidfd on Linux).  */
  bool may_signal;

  /* The security attributes, filled by sp_backend_prepare (POSIX): the
     bytes the child writes for the AppArmor profile ("exec PROFILE",
     APPARMOR_LEN bytes; NULL: none), and the directory the /proc and
     /sys paths are taken under ("" but in tests, see
     sp_backend_test_attr_dir).  */
  char *apparmor_exec;
  size_t apparmor_len;
  const char *attr_root;
} sp_spec_t;

/* ------------------------------------------------------------------ */
/* Processes                                                          */

/* A running or finished child, owned by the backend.  */
typedef struct sp_proc sp_proc_t;

/* Resolve BIN as DESIGN.md section 3 says: with a directory separator, as
   given; else search the parent's PATH (and PATHEXT on Win32).  On success
   *PATH is a newly allocated path.  Not found: SUBPROC_ERR_NOT_FOUND with
   ENOENT (or EACCES when only non-executable candidates exist).  */
int sp_backend_find_program (const char *bin, char **path, sp_fail_t *f);

/* Last preparations that may allocate, before the spawn (supplementary
   groups of the target user, capability sets, ...).  May fill fields of
   SPEC marked as such.  sp_backend_spec_release frees what it made.  */
int sp_backend_prepare (sp_spec_t *spec, sp_fail_t *f);
void sp_backend_spec_release (sp_spec_t *spec);

/* Start the child.  On success *PROC owns it and *PID is its id (for a
   daemon, the intermediate's; that one has already been reaped, and *PROC
   reports its exit status at once).  On failure nothing is left behind:
   no process, no descriptor.  */
int sp_backend_spawn (const sp_spec_t *spec, sp_proc_t **proc, pid_t *pid,
                      sp_fail_t *f);

/* Who may call what.  A proc has one owner (the command, on the
   caller's side), which alone waits for it (sp_backend_wait), lets go of
   a held handshake and releases it.  While the owner holds it, one other
   thread (the I/O thread of do_async_io) may call sp_backend_terminate,
   sp_backend_kill, sp_backend_wait_exit, sp_backend_exited and
   sp_backend_io_wait on it; those never reap and never free.  The
   backend makes them safe against the owner's wait and against a
   proc_for_pid view of the same child.  */

/* Wait up to TIMEOUT_MS (-1: forever) for the child to end.  Returns 1
   with *RAW_STATUS (the waitpid status on POSIX, the exit code on Win32)
   once it has ended and been reaped, 0 if it is still running when the
   time is up, -1 on error.  EINTR is handled inside.  */
int sp_backend_wait (sp_proc_t *proc, int timeout_ms, int *raw_status,
                     sp_fail_t *f);

/* The child of PROC has just been reaped (sp_backend_wait gave RAW):
   did a limit of OPT end it?  Fills *HIT (SP_LIMIT_NONE when not, or
   when the system cannot tell).  POSIX: SIGXCPU under a CPU limit, or
   SIGKILL with the CPU time used at the reap (wait4's rusage) at or
   past the soft CPU limit (a child that survived SIGXCPU, killed at the
   hard one); SIGXFSZ under a file size limit.  Win32: an
   exit code of ERROR_NOT_ENOUGH_QUOTA or STATUS_QUOTA_EXCEEDED with the
   user time at or past the per-process time limit.  */
void sp_backend_limit_ended (sp_proc_t *proc, const sp_options_t *opt,
                             int raw, sp_limit_hit_t *hit);

/* What the child of PROC used, for its owner once sp_backend_wait has
   returned 1 and before sp_backend_release: fills every field of *U but
   SIZE, with the KNOWN bits of what the system told (POSIX: the rusage
   the reap recorded, so nothing is asked of the system here; Win32: the
   job's accounting and the process's own figures, asked now).  0, or -1
   with *F: SUBPROC_ERR_UNSUPPORTED when there is no child to account
   for (a daemon on Win32).  */
int sp_backend_usage (sp_proc_t *proc, subproc_usage_t *u, sp_fail_t *f);

/* Wait up to TIMEOUT_MS (-1: forever) for the child to end, without
   reaping it: 1 once it has ended (or has been reaped, or is lost), 0
   if it is still running when the time is up.  */
int sp_backend_wait_exit (sp_proc_t *proc, int timeout_ms);

/* Has the child ended?  Does not reap it.  1 yes, 0 no.  */
int sp_backend_exited (sp_proc_t *proc);

/* Ask the child (its process group, its job) to stop, or kill it
   outright.  GROUP: signal the process group made by
   new_process_group.  Nothing is sent once the child has been reaped,
   by the library or by anyone else (SIGCHLD ignored, the caller's own
   waitpid): its pid, and its group's id, may belong to someone else by
   then.  A leader that has ended but is not reaped (a zombie) still
   holds both.  */
void sp_backend_terminate (sp_proc_t *proc, bool group);
void sp_backend_kill (sp_proc_t *proc, bool group);

/* Send SIG to the child (GROUP: its process group), as the two above do
   and under the same rule; the owner's call.  0, or -1 with *F:
   SUBPROC_ERR_INVALID for a signal that does not exist,
   SUBPROC_ERR_STATE (ESRCH) once the child is gone (a zombie is still
   there), SUBPROC_ERR_UNSUPPORTED for a signal the platform cannot
   deliver (Win32: all but SIGTERM and SIGKILL, which terminate the
   job).  */
int sp_backend_signal (sp_proc_t *proc, bool group, int sig, sp_fail_t *f);

/* For tests: call FN (ID, SIG) just before each signal sent to a child,
   with nothing of the library's able to reap it meanwhile (POSIX: ID is
   the pid, or minus the process group's id; Win32: the pid, SIG 0, for
   each termination).  NULL: none.  */
void sp_backend_signal_observer (void (*fn) (long id, int sig));

/* For tests: when true, children are spawned without a pollable handle
   (POSIX: without a pidfd, as on Linux before 5.3 and on other
   systems), so that the fallback is tested where the system has one.
   Win32 ignores it: a process handle always exists.  */
extern bool sp_backend_test_no_handle;

/* For tests: when not NULL, a directory that stands for the root of
   the files that the security options read and write (POSIX): the child
   writes DIR/proc/thread-self/attr/exec (and the other attribute paths)
   instead of the kernel's, and whether a module is active is read from
   DIR/sys/... (DIR/sys/fs/selinux a directory stands for selinuxfs
   mounted there), so that a test can fake a module and read back the
   bytes the child wrote.  */
extern const char *sp_backend_test_attr_dir;

/* For tests: when true, a child of subproc_set_cgroup is never made
   with clone3 (CLONE_INTO_CGROUP) but moves itself into the cgroup, as
   on kernels before 5.7, so that the fallback is tested where the
   kernel has clone3.  Win32 and systems without cgroups ignore it.  */
extern bool sp_backend_test_no_clone_into_cgroup;

/* After the owner reaped PROC's child with RAW_STATUS: did the
   out-of-memory killer of its cgroup (subproc_set_cgroup) end it?  1
   when the child died of SIGKILL and the cgroup counted an OOM kill
   since the spawn, with *MEMORY_MAX the cgroup's memory.max in bytes
   (UINT64_MAX: "max", or unreadable); 0 otherwise, and always where
   the platform has no cgroups.  */
int sp_backend_limit_hit (sp_proc_t *proc, int raw_status,
                          uint64_t *memory_max);

/* Release what the backend holds for PROC (pidfd, handles).  Does not wait;
   a child still running is left to whoever has its pid.  */
void sp_backend_release (sp_proc_t *proc);

/* A proc for a pid the caller took from subproc_run_async, for
   subproc_pid_wait / subproc_pid_abort.  On Win32 the library keeps each
   such child's handle until then, so the id cannot be reused.  While the
   command still holds the child, POSIX returns a view of the command's
   own proc, so that the reap by one and the signals of the other are
   serialised and the command still learns the status.  NULL with *F when
   the pid is unknown.  */
sp_proc_t *sp_backend_proc_for_pid (pid_t pid, sp_fail_t *f);

/* The caller took the pid of PROC from subproc_run_async: from now on
   sp_backend_proc_for_pid must find it, while the command still holds
   PROC (Win32 puts duplicates of its handles in the table; POSIX has
   nothing to do).  0, or -1 with *F.  */
int sp_backend_hand_over (sp_proc_t *proc, sp_fail_t *f);

/* The command reaped the child of PID that was handed over: forget it,
   so that sp_backend_proc_for_pid reports it unknown, as waitpid does
   for a reaped child (Win32 releases its table entry).  */
void sp_backend_forget (pid_t pid);

/* The command is freed with its handed-over child still running: PROC
   is released, and the child stays reachable through
   sp_backend_proc_for_pid.  */
void sp_backend_disown (sp_proc_t *proc);

/* Decode a raw status: 1 and *VALUE the exit code for a normal exit, 0 and
   *VALUE the signal (POSIX) or exception code (Win32) for an abnormal
   one.  */
int sp_backend_status_exited (int raw_status, int *value);

/* For an abnormal end: is the value that sp_backend_status_exited gives
   an exception code (Win32 NTSTATUS, 0xC0000000 and up), not a signal
   number?  The front-end words the two differently.  */
bool sp_backend_status_exception (int raw_status);

/* The raw status of a process that exited normally with EXIT_CODE (what a
   dry run reports): POSIX the wait status of exit (EXIT_CODE), Win32 the
   code itself.  */
int sp_backend_status_encode (int exit_code);

/* The handshake of subproc_require_handshake: wait until the child is
   ready to exec (or failed before), then let it go.  */
int sp_backend_handshake_wait (sp_proc_t *proc, sp_fail_t *f);
int sp_backend_handshake_notify (sp_proc_t *proc, sp_fail_t *f);
/* Nobody will notify (the caller waits instead): let a held child go
   without waiting for it.  It fails before the exec (POSIX) or is ended
   (Win32), and the next sp_backend_wait reports that.  */
void sp_backend_handshake_abandon (sp_proc_t *proc);

/* Replace the calling process (Win32: run the child, then exit with its
   code).  Returns -1 with *F on failure only.  */
int sp_backend_exec (const sp_spec_t *spec, sp_fail_t *f);

/* ------------------------------------------------------------------ */
/* Environment                                                        */

/* The value of NAME in the parent's environment (newly allocated), or
   NULL with errno ENOENT if unset, ENOMEM if out of memory.  */
char *sp_backend_getenv (const char *name);

/* The names subproc_add_env_pass_common passes on this platform.  */
extern const char *const sp_backend_common_env[];

/* Compare environment names as the platform does (on Win32, without
   regard to case by the system's own rule, not only ASCII's): <0, 0 or
   >0.  LEN_A, LEN_B: the names' lengths.  Never allocates, never fails.  */
int sp_backend_env_name_cmp (const char *a, size_t len_a, const char *b,
                             size_t len_b);

/* A copy of the parent's environment as it is now: a NULL-terminated
   vector of "NAME=VALUE" strings (Win32: UTF-8, from the process's
   UTF-16 block, entries such as "=C:=C:\dir" included), each newly
   allocated (sp_strv_free).  NULL with *F on failure.  */
char **sp_backend_environ_copy (sp_fail_t *f);

/* Check a string the caller gave (program, argument, environment, path):
   0, or -1 with *F (Win32: invalid UTF-8).  */
int sp_backend_check_string (const char *s, sp_fail_t *f);

/* Does C separate the directories of a path ('/'; Win32 '\\' too)?  */
bool sp_backend_is_dir_sep (char c);

/* ------------------------------------------------------------------ */
/* Descriptors.  Descriptors in the API are C runtime descriptors on every
   platform.  */

/* A pipe, both ends close-on-exec (not inheritable) from birth.  */
int sp_backend_pipe (int fds[2], sp_fail_t *f);

/* Close FD, keeping errno.  */
void sp_backend_close (int fd);

/* Make TO, an open descriptor of ours, refer to what FROM refers to, and
   close FROM: TO keeps its number and stays close-on-exec (not
   inheritable), and whatever it referred to before is closed.  0, or -1
   with *F and FROM left open.  */
int sp_backend_replace_fd (int from, int to, sp_fail_t *f);

/* How sp_backend_open_file opens a file.  */
enum sp_open_mode
{
  SP_OPEN_READ,            /* an existing file, for reading */
  SP_OPEN_TRUNCATE,        /* for writing, created or truncated */
  SP_OPEN_APPEND           /* for appending, created if missing */
};

/* Open PATH (POSIX: mode 0666 less the umask when created) as a
   descriptor of ours, close-on-exec (not inheritable), above 2, in *FD.
   0, or -1 with *F (stage SP_STAGE_OPEN, the open's errno).  */
int sp_backend_open_file (const char *path, enum sp_open_mode mode, int *fd,
                          sp_fail_t *f);

/* Is FD an open descriptor of this process?  */
bool sp_backend_fd_is_open (int fd);

/* Make FD non-blocking.  */
int sp_backend_set_nonblocking (int fd, sp_fail_t *f);

/* Write all of BUF to FD (EINTR and short writes handled; never raises
   SIGPIPE).  0 or -1 with errno.  */
int sp_backend_write_all (int fd, const void *buf, size_t len);

/* Milliseconds of a monotonic clock.  */
int64_t sp_backend_now_ms (void);

/* Sleep about MS milliseconds (an interrupted sleep may end early).  */
void sp_backend_sleep_ms (int ms);

/* ------------------------------------------------------------------ */
/* Threads, for subproc_do_async_io.  */

typedef struct sp_thread sp_thread_t;

/* Run FN (ARG) on a new thread.  */
int sp_backend_thread_start (sp_thread_t **thread, void (*fn) (void *),
                             void *arg, sp_fail_t *f);
/* Wait for the thread to end and free it.  */
void sp_backend_thread_join (sp_thread_t *thread);

/* The calling thread's cancellation (POSIX threads).  No function of the
   library acts on a pthread_cancel: the backend holds it off wherever it
   reaches a cancellation point, and the front-end calls the caller's
   callbacks between these two, so that a callback that reaches one does
   not unwind the library's frames either.  sp_backend_cancel_restore
   takes what sp_backend_cancel_off returned.  */
int sp_backend_cancel_off (void);
void sp_backend_cancel_restore (int state);

/* ------------------------------------------------------------------ */
/* The I/O pump that the capture engine (lib/capture.c) drives.  The
   engine owns every byte; the backend only moves them between a stream
   and the memory the engine points it at.  */

/* Bytes the library writes to a child (its input, a send buffer),
   copied at the builder call so that the caller may free its own.  */
typedef struct sp_payload
{
  char *data;       /* LEN bytes and a NUL, or NULL when empty */
  size_t len;
  bool own_pages;   /* see sp_stream_t.own_pages */
} sp_payload_t;

/* Copy LEN bytes of DATA into *P.  A backend may keep a large copy in
   memory of its own, from which it can hand pages to a pipe instead of
   copying them again (P->own_pages).  0, or -1 with errno ENOMEM
   (failure injection counts it as one allocation); *P is set only on
   success.  */
int sp_backend_payload_copy (sp_payload_t *p, const void *data, size_t len);
/* Release P's copy and empty it (an empty P is fine).  */
void sp_backend_payload_free (sp_payload_t *p);

enum sp_io_event
{
  SP_IO_NONE = 0,  /* nothing happened on this stream */
  SP_IO_DONE,      /* DONE bytes were read into / written from BUF */
  SP_IO_EOF,       /* end of file (read), or the reader is gone (write) */
  SP_IO_ERROR      /* SYS_ERRNO says why */
};

typedef struct sp_stream
{
  int fd;          /* the parent's end */
  bool writing;    /* the parent writes (child's stdin, send buffers) */
  bool open;       /* the backend ignores closed streams */
  /* Set by the engine before each sp_backend_io_wait.  Reading: room for
     LEN bytes at BUF.  Writing: LEN bytes at BUF to send.  The memory
     stays valid and untouched until the stream reports an event.  */
  char *buf;
  size_t len;
  /* Writing: BUF lies in a payload whose own_pages is set: memory of the
     backend's own that nobody writes and that is never reused for other
     data, so the backend may hand its pages to the pipe itself.  */
  bool own_pages;
  /* Set by the backend.  */
  enum sp_io_event event;
  size_t done;
  int sys_errno;
  /* Reading, once PROC has ended: every byte that the pipe held when the
     backend first saw the end has been reported.  Those bytes are what
     the child wrote (and what a grandchild wrote before then); the engine
     reads on until they are all in, however long that takes, and only
     what comes later can be cut short.  Stays set.  */
  bool drained;
  /* The backend's own: bytes of that backlog still to be read, and
     whether it has been measured.  */
  size_t backlog;
  bool backlog_known;
  void *priv;      /* the backend's (pending overlapped I/O, threads) */
} sp_stream_t;

/* One child and its streams, a set of those that sp_backend_io_wait
   waits on.  */
typedef struct sp_io_set
{
  sp_proc_t *proc;       /* NULL: no child to watch */
  sp_stream_t *streams;
  size_t n;
  /* Set by the backend.  */
  bool exited;           /* PROC is known to have ended (not reaped) */
  int events;            /* streams of this set that have an event */
} sp_io_set_t;

/* Wait up to TIMEOUT_MS (-1: forever) until at least one open stream of
   any of the N_SETS sets can make progress, or the PROC of one ends
   (one known to have ended already makes the wait return at once).
   Performs at most one transfer per stream and reports it in its EVENT;
   clears the EVENT of the others.  Sets each set's EXITED when its PROC
   is known to have ended (not reaped), and its EVENTS.  Returns the
   number of streams with an event over all the sets (0: time up, or a
   child ended), or -1 with *F.  Any number of sets: the system's limits
   on what one call can wait on (WaitForMultipleObjects' 64) are the
   backend's to overcome.  Never raises SIGPIPE and never fails with
   EINTR.  Once a PROC has ended, sets DRAINED on the streams of its set
   that have reported their backlog; while one has not, a call with
   TIMEOUT_MS 0 still waits for what is needed to read it, which never
   takes a grandchild's help.  */
int sp_backend_io_wait (sp_io_set_t *sets, size_t n_sets, int timeout_ms,
                        sp_fail_t *f);

/* What a loop of the caller's must watch so that the next
   sp_backend_io_wait on this one set, with TIMEOUT_MS 0, makes progress
   (a transfer on an open stream with LEN > 0, or PROC's end): stores up
   to ROOM of them in W and returns how many there are (never more than
   N + 1).  *TIMEOUT_MS: at most how long the loop may wait without
   asking again (-1: no limit), for what cannot be watched (a system
   without pollable handles, I/O finished by a thread).  STREAMS are the
   engine's own, pointed at their data as for that wait: a backend whose
   transfers must be under way to be watched (Win32's workers) starts
   them here.  */
size_t sp_backend_io_watches (sp_proc_t *proc, sp_stream_t *streams,
                              size_t n, subproc_watch_t *w, size_t room,
                              int *timeout_ms);

/* The pollable handle of PROC (see subproc_get_handle): 0 with *H, or
   -1 with *F (SUBPROC_ERR_UNSUPPORTED where the system has none, or
   SUBPROC_ERR_STATE once PROC has been reaped).  */
int sp_backend_proc_handle (sp_proc_t *proc, subproc_handle_t *h,
                            sp_fail_t *f);

/* Before the engine closes a stream or gives up: cancel what is pending on
   it and free PRIV.  */
void sp_backend_io_release (sp_stream_t *stream);

#endif /* SUBPROC_BACKEND_H */
