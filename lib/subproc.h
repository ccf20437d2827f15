/* subproc.h: spawn and manage child processes safely, on POSIX and Win32.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One opaque command type, built up with subproc_new*() and the builder
 * calls, then run synchronously (subproc_run) or asynchronously
 * (subproc_run_async + subproc_wait / subproc_abort), as many times as
 * needed, and released with subproc_free.
 *
 * Conventions that hold for every function below:
 *  - Every function accepts a NULL command: builder calls do nothing, calls
 *    that owe a result fail with SUBPROC_ERR_NOMEM (or return NULL), as a
 *    command whose creation ran out of memory would.
 *  - Strings and byte buffers given to the library are copied; the caller
 *    keeps ownership of what it passed.
 *  - Builder calls never fail visibly.  The first builder error (out of
 *    memory, misuse) is recorded in the command, every later builder call
 *    on it is a no-op, and the error is reported by every later subproc_run,
 *    subproc_run_async, subproc_wait, subproc_to_string, subproc_exec or
 *    subproc_get_arg_list, which return -1 or NULL.
 *  - A command is a template: once the child of a run is reaped
 *    (subproc_wait, subproc_run's own wait, subproc_abort) it runs again,
 *    and builder calls between runs change the next run.  A failed run
 *    leaves no error behind for the next one; a builder error stays.
 *    While a child runs, a run or a builder call reports SUBPROC_ERR_STATE
 *    and changes nothing; that error is not a builder error, and neither
 *    the wait's result nor a later run sees it.  Descriptors passed with
 *    SUBPROC_PASS_FD_CLOSE_PARENT are consumed by a run: a later run that
 *    needs them fails with SUBPROC_ERR_STATE; send buffers are sent again
 *    by every run.
 *  - A reported error is readable with subproc_get_error (per command) and
 *    subproc_last_error (per thread).
 *  - The library never prints, never exits and never aborts.
 *  - No function is a cancellation point or acts on a pthread_cancel of
 *    the calling thread, not even subproc_run and subproc_wait while they
 *    wait: a pending request is acted upon at the thread's next
 *    cancellation point after the call.  The child never acts on it.
 *  - Strings are bytes on POSIX and UTF-8 on Win32 (converted to UTF-16 for
 *    the system; invalid UTF-8 is SUBPROC_ERR_INVALID).
 */

#ifndef SUBPROC_H
#define SUBPROC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined _WIN32 && !defined __CYGWIN__
# ifdef SUBPROC_BUILDING_DLL
#  define SUBPROC_API __declspec (dllexport)
# else
#  define SUBPROC_API
# endif
#elif defined __GNUC__ && __GNUC__ >= 4
# define SUBPROC_API __attribute__ ((visibility ("default")))
#else
# define SUBPROC_API
#endif

/* The library formats with C99 printf on every platform (mingw's own
   implementation on Win32, not msvcrt's), hence gnu_printf there.  */
#if defined __GNUC__ && __GNUC__ >= 4 && defined __MINGW32__
# define SUBPROC_SENTINEL __attribute__ ((sentinel))
# define SUBPROC_PRINTF(f, a) __attribute__ ((format (gnu_printf, f, a)))
#elif defined __GNUC__ && __GNUC__ >= 4
# define SUBPROC_SENTINEL __attribute__ ((sentinel))
# define SUBPROC_PRINTF(f, a) __attribute__ ((format (printf, f, a)))
#else
# define SUBPROC_SENTINEL
# define SUBPROC_PRINTF(f, a)
#endif

/* SUBPROC_VERSION_MAJOR, _MINOR, _MICRO and _STRING, made by configure.  */
#include "subproc-version.h"

/* The version of the library actually loaded: its SUBPROC_VERSION_STRING.  */
SUBPROC_API const char *subproc_version (void);

/* ------------------------------------------------------------------ */
/* Types                                                              */

/* A command under construction or running.  Opaque.  */
typedef struct subproc subproc_t;

#if defined _WIN32 && !defined __CYGWIN__
typedef long subproc_uid_t;
typedef long subproc_gid_t;
#else
typedef uid_t subproc_uid_t;
typedef gid_t subproc_gid_t;
#endif

/* The error codes.  One list makes the enum, subproc_strerror() and
   subproc_error_name(), so the three never drift apart.  */
#define SUBPROC_ERROR_TABLE(X)                                              \
  X (OK, 0, "success")                                                      \
  X (NOMEM, 1, "out of memory")                                             \
  X (INVALID, 2, "invalid argument")                                        \
  X (STATE, 3, "operation not valid in this state")                         \
  X (NOT_FOUND, 4, "program not found")                                     \
  X (SPAWN, 5, "cannot start the child process")                            \
  X (EXIT_STATUS, 6, "child exited with non-zero status")                   \
  X (SIGNALED, 7, "child terminated abnormally")                            \
  X (TIMEOUT, 8, "child did not finish in time")                            \
  X (IO, 9, "input/output error")                                           \
  X (HOOK, 10, "pre-exec hook failed")                                      \
  X (UNSUPPORTED, 11, "not supported on this platform")                     \
  X (SYSTEM, 12, "system call failed")                                      \
  X (LIMIT, 13, "child stopped by a resource limit")

enum subproc_error_code
{
#define SUBPROC_ERR_ENUM_(name, value, text) SUBPROC_ERR_##name = value,
  SUBPROC_ERROR_TABLE (SUBPROC_ERR_ENUM_)
#undef SUBPROC_ERR_ENUM_
};

/* The steps of a run that can fail, for the stage of subproc_error_t.
   One list makes the enum, subproc_stage_name() and the wording that
   messages use for each step ("cannot run 'x': changing directory
   failed"), so they never drift apart.  The numbers are part of the ABI;
   new steps are added at the end.  */
#define SUBPROC_STAGE_TABLE(X)                                              \
  X (NONE, 0, "spawning")                                                   \
  X (LOOKUP, 1, "looking up the program")                                   \
  X (PIPE, 2, "creating a pipe")                                            \
  X (FORK, 3, "creating the process")                                       \
  X (DUP, 4, "setting up descriptors")                                      \
  X (CLOSE_FDS, 5, "closing descriptors")                                   \
  X (SIGNALS, 6, "resetting signals")                                       \
  X (SETSID, 7, "creating a session or process group")                      \
  X (PDEATHSIG, 8, "arranging kill on parent exit")                         \
  X (UMASK, 9, "setting the umask")                                         \
  X (RLIMIT, 10, "setting resource limits")                                 \
  X (HOOK, 11, "running the pre-exec hook")                                 \
  X (HANDSHAKE, 12, "the handshake")                                        \
  X (SETGROUPS, 13, "setting supplementary groups")                         \
  X (SETGID, 14, "changing group id")                                       \
  X (SETUID, 15, "changing user id")                                        \
  X (USER, 16, "looking up the user")                                       \
  X (CAPS, 17, "dropping capabilities")                                     \
  X (NO_NEW_PRIVS, 18, "setting no_new_privs")                              \
  X (CHDIR, 19, "changing directory")                                       \
  X (PIDFILE, 20, "writing the pid file")                                   \
  X (EXEC, 21, "executing")                                                 \
  X (WAIT, 22, "waiting for the child")                                     \
  X (KILL, 23, "stopping the child")                                        \
  X (IO, 24, "child input/output")                                          \
  X (JOB, 25, "setting up the job object")                                  \
  X (TOKEN, 26, "making a restricted token")                                \
  X (ENCODING, 27, "converting from UTF-8")                                 \
  X (QUOTING, 28, "quoting an argument")                                    \
  X (UNSUPPORTED, 29, "checking options")                                   \
  X (OPEN, 30, "opening a file")                                            \
  X (PRIORITY, 31, "setting the priority")                                  \
  X (SECURITY, 32, "setting the security label")                            \
  X (SCHED_CORE, 33, "setting core scheduling")\
  X (CGROUP, 34, "entering the cgroup")

enum subproc_stage
{
#define SUBPROC_STAGE_ENUM_(name, value, text) SUBPROC_STAGE_##name = value,
  SUBPROC_STAGE_TABLE (SUBPROC_STAGE_ENUM_)
#undef SUBPROC_STAGE_ENUM_
};

/* A reported error.  The message names the command; for a failed exit it
   carries the status and, when stderr was captured, the captured text.
   The structure and its message belong to the library: the one of
   subproc_get_error is valid until the command's error changes (the next
   run forgets a run's error; a builder error never changes) and at most
   until subproc_free, the one of subproc_last_error until the next error
   reported on the same thread.  */
typedef struct subproc_error
{
  int code;            /* enum subproc_error_code */
  int sys_errno;       /* errno, or the errno closest to GetLastError() */
  const char *message; /* never NULL */
  int stage;           /* enum subproc_stage: the step of starting,
                          feeding or waiting for the child that failed;
                          SUBPROC_STAGE_NONE for every other error (a
                          builder error, a misuse, a failed exit status,
                          a timeout) (since 0.2.0) */
} subproc_error_t;

/* Flags for subproc_pass_fd.  */
enum
{
  /* Close the parent's copy once the child has it: after the spawn of
     subproc_run or subproc_run_async, or at subproc_free if no run got
     that far.  A later run then fails until the number is passed
     again.  */
  SUBPROC_PASS_FD_CLOSE_PARENT = 1 << 0
};

/* Flags for subproc_set_creation_flags: Win32 process creation options,
   each the CreateProcess flag of the same name (since 0.2.0).  */
enum
{
  /* CREATE_NO_WINDOW: a console program gets a console without a window
     (started from a GUI program, it would otherwise open one).  */
  SUBPROC_WIN32_NO_WINDOW = 1 << 0,
  /* CREATE_NEW_CONSOLE: a console of its own (a new window) instead of
     the caller's.  */
  SUBPROC_WIN32_NEW_CONSOLE = 1 << 1,
  /* DETACHED_PROCESS: no console at all.  */
  SUBPROC_WIN32_DETACHED = 1 << 2,
  /* CREATE_DEFAULT_ERROR_MODE: the system's default error mode instead
     of the caller's (SetErrorMode).  */
  SUBPROC_WIN32_DEFAULT_ERROR_MODE = 1 << 3
};

/* Levels given to the log callback.  */
enum subproc_log_level
{
  SUBPROC_LOG_DEBUG = 0,
  SUBPROC_LOG_INFO = 1,
  SUBPROC_LOG_WARNING = 2,
  SUBPROC_LOG_ERROR = 3
};

/* Capabilities for subproc_allow_cap: the Linux CAP_* numbers.  */

/* ------------------------------------------------------------------ */
/* Creating commands                                                  */

/* A command that runs BIN: an absolute path, a relative path (with a
   directory separator, resolved against the parent's working directory
   when the command runs, not the one set for the child), or a bare name
   searched in the parent's PATH (and PATHEXT on Win32) when the command
   runs.  BIN is copied.  Returns NULL only when memory runs out; every
   other problem is reported by the run.  */
SUBPROC_API subproc_t *subproc_new (const char *bin);

/* A command from a NULL-terminated vector, program first.  */
SUBPROC_API subproc_t *subproc_new_args (const char *const *argv);

/* A command from BIN and the arguments that follow, up to a NULL.  */
SUBPROC_API subproc_t *subproc_new_arg_list (const char *bin, ...)
  SUBPROC_SENTINEL;

/* The same with a va_list.  */
SUBPROC_API subproc_t *subproc_new_va_list (const char *bin, va_list ap);

/* ------------------------------------------------------------------ */
/* Arguments                                                          */

/* Append one argument (copied).  */
SUBPROC_API void subproc_add_arg (subproc_t *cmd, const char *arg);

/* Append "NAME=VALUE" as one argument.  */
SUBPROC_API void subproc_add_arg_pair (subproc_t *cmd, const char *name,
                                       const char *value);

/* Append one argument formatted as by printf.  */
SUBPROC_API void subproc_add_arg_format (subproc_t *cmd, const char *fmt, ...)
  SUBPROC_PRINTF (2, 3);

/* Append every string of a NULL-terminated vector.  */
SUBPROC_API void subproc_add_arg_set (subproc_t *cmd,
                                      const char *const *args);

/* Append the arguments that follow, up to a NULL.  */
SUBPROC_API void subproc_add_arg_list (subproc_t *cmd, ...) SUBPROC_SENTINEL;

/* Give the child ARG0 (copied) as its argv[0], in place of the program
   as named at subproc_new: the program is still looked up and run by
   that name (Python's executable=, Rust's arg0).  On Win32 ARG0 is the
   first word of the command line, quoted as every argument is (which
   cannot hold a '"', nor end in a backslash when it has blanks: the
   run reports SUBPROC_ERR_INVALID), and the resolved program the
   application that runs; a batch file is given to
   cmd.exe by its path, and there ARG0 has no effect.  ARG0 may be
   empty.  subproc_to_string, subproc_write_arg_log and a dry run show
   the program that runs, not ARG0, so that the line still runs it when
   pasted into a shell.  A second call replaces the first.  Since
   0.2.0.  */
SUBPROC_API void subproc_set_argv0 (subproc_t *cmd, const char *arg0);

/* Return a copy of the arguments without the program name, as a
   NULL-terminated vector in *ARGS; the caller frees each string and the
   vector with free().  Returns the number of arguments, or -1 with the
   command's error (or the recorded one) and *ARGS set to NULL.  */
SUBPROC_API int subproc_get_arg_list (subproc_t *cmd, char ***args);

/* ------------------------------------------------------------------ */
/* Environment                                                        */
/* Until the first of these calls the child inherits the whole
   environment of the parent.  After it, the child gets only what was
   added or passed; when a name is added twice, the last one wins.
   subproc_unset_env removes a name either way, and is not one of these
   calls: it does not stop inheritance.  */

/* Pass PATH, LD_PRELOAD, LD_LIBRARY_PATH, HOME, USER, LOGNAME and TMPDIR
   when they are set, and set LC_ALL=C.  On Win32 the passed names are
   SystemRoot, SystemDrive, windir, COMSPEC, PATH, PATHEXT, TEMP, TMP,
   USERPROFILE, USERNAME, HOMEDRIVE, HOMEPATH, APPDATA, LOCALAPPDATA,
   ProgramData, ProgramFiles, NUMBER_OF_PROCESSORS and
   PROCESSOR_ARCHITECTURE.  */
SUBPROC_API void subproc_add_env_pass_common (subproc_t *cmd);

/* Pass NAME with its value in the parent, if it is set there.  */
SUBPROC_API void subproc_add_env_pass (subproc_t *cmd, const char *name);

/* Set NAME to VALUE.  NAME must be non-empty and contain no '='.  */
SUBPROC_API void subproc_add_env_pair (subproc_t *cmd, const char *name,
                                       const char *value);

/* Set a preformatted "NAME=VALUE".  */
SUBPROC_API void subproc_add_env_string (subproc_t *cmd, const char *str);

/* Set a "NAME=VALUE" formatted as by printf.  */
SUBPROC_API void subproc_add_env_format (subproc_t *cmd, const char *fmt,
                                         ...) SUBPROC_PRINTF (2, 3);

/* Set XDG_DATA_HOME, XDG_CACHE_HOME and XDG_CONFIG_HOME to
   BASEDIR/.local/share, BASEDIR/.cache and BASEDIR/.config.  */
SUBPROC_API void subproc_add_env_xdg (subproc_t *cmd, const char *basedir);

/* Remove NAME from the child's environment, without changing whether it
   inherits.  While the environment is inherited (no call above yet),
   the child gets the parent's environment as it is when the command
   runs, less every name given here; an inheriting command keeps
   inheriting.  Once the environment is custom, NAME is removed from
   what was added before (a later add of NAME sets it again), and the
   names given while it was inherited no longer matter: a custom
   environment holds only what was added.  A name the environment does
   not hold is no error.  Names are compared as the platform does (on
   Win32 without regard to case).  NAME must be non-empty and contain
   no '=' (else SUBPROC_ERR_INVALID).  subproc_to_string and a dry run
   show an inherited environment as nothing, with or without removed
   names.  Since 0.2.0.  */
SUBPROC_API void subproc_unset_env (subproc_t *cmd, const char *name);

/* ------------------------------------------------------------------ */
/* Process options                                                    */

/* Run the command as a daemon: detached from the caller (double fork and
   setsid on POSIX; a detached process outside the caller's job on
   Win32), with "/" (the system drive's root on Win32) as its working
   directory.  subproc_run waits only for the intermediate process; the
   daemon's pid is in the pid file, if one was asked for.  Cannot be
   combined with subproc_run_async, a working directory or buffers.  */
SUBPROC_API void subproc_daemonize (subproc_t *cmd);

/* Write the child's pid (for a daemon, the daemon's own) to PATH before
   subproc_run returns.  POSIX: never through a symbolic link, and only a
   regular file with one link owned by the effective user is truncated
   (a missing one is created exclusively, mode 0644); locked by the
   child for as long as it lives; Win32: held open by the child so that it
   cannot be opened for writing.  Either way a second instance can tell:
   its run fails with SUBPROC_ERR_SPAWN (the message naming the file),
   and so does a rerun of the same command while the child of an earlier
   run (a daemon) holds the file.
   Every run writes its own child's pid.  On Win32 a reparse point, a
   file with more than one link or a device is refused the same way, and
   a failed run removes the file only if it created it.  */
SUBPROC_API void subproc_set_pid_file (subproc_t *cmd, const char *path);

/* Drop every capability (Linux) before exec but those of
   subproc_allow_cap, and set and lock the secure bits SECBIT_NOROOT and
   SECBIT_NO_SETUID_FIXUP: user id 0 gains no capability at exec, and a
   change of user id neither gives nor takes any.  It does not stop a
   set-user-ID program from changing the child's user ids (see
   subproc_no_new_privs), nor a root child from using what user 0 owns.
   On Win32 the child runs with a restricted token if the system allows
   it, else the run reports SUBPROC_ERR_UNSUPPORTED.  */
SUBPROC_API void subproc_clear_caps (subproc_t *cmd);

/* With subproc_clear_caps: keep capability CAP (a CAP_* number).  */
SUBPROC_API void subproc_allow_cap (subproc_t *cmd, int cap);

/* Set the "no new privileges" flag of the child (Linux
   PR_SET_NO_NEW_PRIVS): from its exec on, neither it nor its
   descendants gain privileges by executing a program (set-user-ID and
   set-group-ID bits and file capabilities are ignored).  It cannot be
   cleared.  Other systems: SUBPROC_ERR_UNSUPPORTED at run time.  */
SUBPROC_API void subproc_no_new_privs (subproc_t *cmd);

/* Run the program under the SELinux security context LABEL (a raw
   context such as "system_u:system_r:svirt_t:s0:c1,c2", libvirt's
   virCommandSetSELinuxLabel): the child writes LABEL and a NUL to its
   /proc/thread-self/attr/exec (older kernels /proc/self/task/TID/...),
   as libselinux's setexeccon does, and the kernel applies it at exec.
   The write comes after the pre-exec hook, the handshake and core
   scheduling, and before the change of identity, the capabilities and
   no_new_privs; exec follows the working directory.  A run on a system
   where SELinux is not active (no selinuxfs at /sys/fs/selinux or
   /selinux) reports SUBPROC_ERR_UNSUPPORTED at SUBPROC_STAGE_SECURITY;
   a label the kernel refuses, SUBPROC_ERR_SPAWN at that stage.  LABEL
   empty, with a control character, or of a page (4096 bytes) or more:
   SUBPROC_ERR_INVALID.  A second call replaces the first.  Other
   systems, Win32: SUBPROC_ERR_UNSUPPORTED at run time.
   Since 0.2.0.  */
SUBPROC_API void subproc_set_selinux_label (subproc_t *cmd,
                                            const char *label);

/* Run the program confined by the AppArmor profile PROFILE
   (libvirt's virCommandSetAppArmorProfile): the child writes
   "exec PROFILE" (no NUL) to /proc/thread-self/attr/apparmor/exec, or
   where that does not exist to /proc/thread-self/attr/exec, as
   libapparmor's aa_change_onexec does; the kernel applies it at exec.
   Written right after the SELinux label, at the same point.  A run on a
   system where AppArmor is not active (/sys/module/apparmor/parameters/
   enabled not "Y", or /sys/kernel/security/lsm without "apparmor")
   reports SUBPROC_ERR_UNSUPPORTED at SUBPROC_STAGE_SECURITY; a profile
   the kernel refuses, SUBPROC_ERR_SPAWN there.  PROFILE empty, with a
   control character or leading or trailing white space (the kernel
   would strip it), or too long for a page with "exec ":
   SUBPROC_ERR_INVALID.  A second call replaces the first.  Other
   systems, Win32: SUBPROC_ERR_UNSUPPORTED at run time.
   Since 0.2.0.  */
SUBPROC_API void subproc_set_apparmor_profile (subproc_t *cmd,
                                               const char *profile);

/* Core scheduling (Linux 5.14, CONFIG_SCHED_CORE), libvirt's
   virCommandSetRunAlone and virCommandSetRunAmong: the child shares a
   physical core's hyper-threads only with tasks of the same cookie.
   run_alone: the child gets a new cookie of its own
   (prctl PR_SCHED_CORE_CREATE for its thread group); run_among: it takes
   the cookie of process PID (PR_SCHED_CORE_SHARE_FROM, which needs
   ptrace read access to PID).  Done in the child before the security
   label and the change of identity; a run_among PID that is gone fails
   with SUBPROC_ERR_SPAWN at SUBPROC_STAGE_SCHED_CORE.  The last of the
   two calls wins.  A kernel without core scheduling (or a machine
   without SMT) reports SUBPROC_ERR_UNSUPPORTED at
   SUBPROC_STAGE_SCHED_CORE before anything starts; PID <= 0:
   SUBPROC_ERR_INVALID.  Other systems, Win32: SUBPROC_ERR_UNSUPPORTED
   at run time.  Since 0.2.0.  */
SUBPROC_API void subproc_set_run_alone (subproc_t *cmd);
SUBPROC_API void subproc_set_run_among (subproc_t *cmd, pid_t pid);

/* Run the child as UID / GID.  From a privileged parent (Linux:
   CAP_SETGID in its effective set, whatever its euid; elsewhere euid 0),
   UID also sets the group (unless GID is set) and the supplementary
   groups to those of the user in the user database; a UID without an
   entry there needs a GID, else the run reports SUBPROC_ERR_INVALID.  GID alone, from a
   privileged parent, also replaces the supplementary groups with GID
   alone (never the parent's groups).  Win32:
   SUBPROC_ERR_UNSUPPORTED at run time.  */
SUBPROC_API void subproc_set_uid (subproc_t *cmd, subproc_uid_t uid);
SUBPROC_API void subproc_set_gid (subproc_t *cmd, subproc_gid_t gid);

/* The user / group id that subproc_set_uid / subproc_set_gid gave CMD:
   1 with *UID / *GID set to it, 0 when none was given (*UID / *GID
   receives -1, the "no change" value of chown), -1 with the error for a
   NULL pointer or a command with a builder error (*UID / *GID -1).  On
   Win32 the value is kept too, although the run reports
   SUBPROC_ERR_UNSUPPORTED.  Since 0.2.0.  */
SUBPROC_API int subproc_get_uid (subproc_t *cmd, subproc_uid_t *uid);
SUBPROC_API int subproc_get_gid (subproc_t *cmd, subproc_gid_t *gid);

/* Set the child's umask (0 is a valid mask).  Win32: unsupported.  */
SUBPROC_API void subproc_set_umask (subproc_t *cmd, int mask);

/* Resource limits of the child (RLIMIT_MEMLOCK in bytes, RLIMIT_NPROC,
   RLIMIT_NOFILE, RLIMIT_CORE in bytes), soft and hard limit alike; the
   last setting of a resource wins (see subproc_set_rlimit).  Win32: only
   max_processes is supported (a job object limit on active processes; not for a daemon,
   which is in no job); the others report
   SUBPROC_ERR_UNSUPPORTED at run time.  */
SUBPROC_API void subproc_set_max_memlock (subproc_t *cmd,
                                          unsigned long long bytes);
SUBPROC_API void subproc_set_max_processes (subproc_t *cmd,
                                            unsigned int procs);
SUBPROC_API void subproc_set_max_files (subproc_t *cmd, unsigned int files);
SUBPROC_API void subproc_set_max_core_size (subproc_t *cmd,
                                            unsigned long long bytes);

/* "No limit", for subproc_set_rlimit (the system's RLIM_INFINITY).
   Since 0.2.0.  */
#define SUBPROC_RLIM_INFINITY (~0ULL)

/* Set the child's resource limit RESOURCE (an RLIMIT_* number of
   <sys/resource.h>) to SOFT and HARD (SUBPROC_RLIM_INFINITY: none), as
   setrlimit does in the child before exec.  The four calls above and the
   three below set the same limits: the last setting of a resource wins.
   SOFT above HARD, or a negative RESOURCE, is SUBPROC_ERR_INVALID at
   once; a RESOURCE the system does not know is SUBPROC_ERR_INVALID at
   once where the library can tell (RLIM_NLIMITS), else the run fails at
   SUBPROC_STAGE_RLIMIT; so does a limit the child may not raise to.
   Win32: SUBPROC_ERR_UNSUPPORTED at run time.  Since 0.2.0.  */
SUBPROC_API void subproc_set_rlimit (subproc_t *cmd, int resource,
                                     unsigned long long soft,
                                     unsigned long long hard);

/* The most memory the child may map (POSIX RLIMIT_AS), in bytes; on
   Win32 the job's per-process memory limit (JOB_OBJECT_LIMIT_PROCESS_
   MEMORY: the memory each process of the tree may commit).  A child
   that goes past it sees its allocations fail: it ends with its own
   exit status (or a signal of its own), which the run reports as for
   any other child.  Since 0.2.0.  */
SUBPROC_API void subproc_set_max_address_space (subproc_t *cmd,
                                                unsigned long long bytes);

/* The most data (heap and private writable mappings) the child may have
   (POSIX RLIMIT_DATA), in bytes.  Win32: the same per-process memory
   limit as subproc_set_max_address_space (the smaller of the two when
   both are set).  Since 0.2.0.  */
SUBPROC_API void subproc_set_max_data (subproc_t *cmd,
                                       unsigned long long bytes);

/* The most memory the whole tree of the child may commit together: on
   Win32 the job memory limit (JOB_OBJECT_LIMIT_JOB_MEMORY), not for a
   daemon, which is in no job.  POSIX: SUBPROC_ERR_UNSUPPORTED at run
   time (a control group does this there: subproc_set_cgroup).
   Since 0.2.0.  */
SUBPROC_API void subproc_set_job_memory_limit (subproc_t *cmd,
                                               unsigned long long bytes);

/* The most CPU time the child may use, in seconds (not 0, which is
   SUBPROC_ERR_INVALID).  POSIX: RLIMIT_CPU with a soft limit of SECONDS
   and a hard one of SECONDS + 1: SIGXCPU at SECONDS, SIGKILL a second of
   CPU later for a child that survives it.  Win32: the job's per-process
   user-time limit (JOB_OBJECT_LIMIT_PROCESS_TIME; not for a daemon).
   A child ended by it makes the run fail with SUBPROC_ERR_LIMIT, as does
   one killed by SIGXFSZ under an RLIMIT_FSIZE of subproc_set_rlimit (see
   the manual for how the library tells).  Since 0.2.0.  */
SUBPROC_API void subproc_set_max_cpu_time (subproc_t *cmd,
                                           unsigned long long seconds);

/* Start the child inside the cgroup v2 directory DIR (copied), for
   example /sys/fs/cgroup/my.slice/job1, so that the memory.max, cpu.max
   and pids.max set there apply to the child and to everything it
   starts.  A relative DIR is taken from the parent's working directory
   when the command runs.  Linux: where the kernel has clone3 with
   CLONE_INTO_CGROUP (5.7), the child is created inside the cgroup and
   runs no instruction outside it (on x86-64 without copying the
   parent's memory; on other processors, and with what needs a fork
   anyway, as a fork-like copy whose cost grows with the parent's
   memory).  Elsewhere (an older kernel, a seccomp filter that
   refuses clone3, valgrind) the child moves itself in by writing to
   DIR/cgroup.procs, opened by the parent beforehand, as the first
   thing it does: before the pre-exec hook, the handshake and the exec.
   A directory that cannot be opened, is not in a cgroup2 file system,
   or refuses the process (EBUSY: it has controllers enabled in its
   cgroup.subtree_control, and only a cgroup without them can hold
   processes; EACCES; EOPNOTSUPP: a cgroup below a threaded one that is
   not threaded itself) fails the run with
   SUBPROC_ERR_SPAWN at SUBPROC_STAGE_CGROUP, the message naming DIR.
   When the child dies of SIGKILL and the oom_kill counter of
   DIR/memory.events grew since the spawn, the run reports
   SUBPROC_ERR_LIMIT, the message giving the cgroup's memory.max: the
   cgroup's out-of-memory killer ended it.  The counter is the
   cgroup's, not the child's: with other processes in the same cgroup
   (the child's own children among them) that is a good guess, not a
   proof.  With subproc_exec the calling process itself moves in (and
   stays there if a later step fails).
   Other systems and Win32: SUBPROC_ERR_UNSUPPORTED at run time.  Since
   0.2.0.  */
SUBPROC_API void subproc_set_cgroup (subproc_t *cmd, const char *dir);

/* Run the child in a new process group (POSIX) so that subproc_abort and
   timeouts signal the whole group, SIGKILL last, while the leader is
   still unreaped.  A group whose leader someone else reaped (SIGCHLD
   ignored, the caller's own waitpid) is never signalled: its id may have
   been reused.  On Linux 6.9 and later the group is signalled through
   the leader's pidfd, so that not even a waitpid (-1) at the moment of
   the signal can turn it onto a group that took the id; elsewhere that
   moment remains.  On Win32 every child is in a job object and the whole
   tree is always killed; this only detaches it from the console's Ctrl-C
   group.  */
SUBPROC_API void subproc_new_process_group (subproc_t *cmd);

/* Run the child in a new session (setsid), without daemonizing it:
   the child is the leader of a new session and of a new process group,
   whose id is its pid, and has no controlling terminal.  A new session
   is a new process group: subproc_abort, the timeout, the output limit,
   subproc_free and subproc_send_signal signal the whole group, as with
   subproc_new_process_group (which adds nothing to it).  A daemon is
   in a session of its own already (made by its intermediate, so that
   it is not the leader and cannot acquire a terminal): for it this
   changes nothing.  subproc_exec: setsid fails (EPERM, the run reports
   SUBPROC_ERR_SPAWN at SUBPROC_STAGE_SETSID) when the calling process
   leads a process group.  Win32 has no sessions of this kind (a new
   process group there only leaves the console's Ctrl-C group, and the
   child keeps the console): SUBPROC_ERR_UNSUPPORTED at run time.
   Since 0.2.0.  */
SUBPROC_API void subproc_new_session (subproc_t *cmd);

/* Run the child at a lower (or higher) scheduling priority, as
   nice (NICE_INCREMENT) in the child would: POSIX adds NICE_INCREMENT,
   -20 to 19, to the nice value the child inherits (the result is kept
   within the system's range), with getpriority and setpriority.  A
   negative increment needs privilege (Linux: CAP_SYS_NICE, or an
   RLIMIT_NICE that allows it); without it the run fails with
   SUBPROC_ERR_SPAWN, stage SUBPROC_STAGE_PRIORITY, errno EACCES or
   EPERM.  Win32 has priority classes, not nice values: the increment
   picks one for CreateProcess, whatever the caller's own class: 15 to
   19 IDLE_PRIORITY_CLASS, 5 to 14 BELOW_NORMAL_PRIORITY_CLASS, -4 to 4
   NORMAL_PRIORITY_CLASS, -14 to -5 ABOVE_NORMAL_PRIORITY_CLASS, -20 to
   -15 HIGH_PRIORITY_CLASS (never REALTIME_PRIORITY_CLASS).  An
   increment outside -20..19 is a builder error (SUBPROC_ERR_INVALID).
   Since 0.2.0.  */
SUBPROC_API void subproc_set_priority (subproc_t *cmd, int nice_increment);

/* Win32 process creation options: FLAGS is a set of SUBPROC_WIN32_*
   bits, given to CreateProcess as the flags of the same names (it
   replaces the set of an earlier call; 0 asks for none).  Unknown bits,
   SUBPROC_WIN32_NEW_CONSOLE with SUBPROC_WIN32_DETACHED (which Windows
   refuses), and SUBPROC_WIN32_NO_WINDOW with either of them (which
   Windows would ignore) are builder errors (SUBPROC_ERR_INVALID); so is,
   at the run, SUBPROC_WIN32_NEW_CONSOLE or SUBPROC_WIN32_NO_WINDOW for a
   daemon, which is always detached.  The standard handles stay the
   library's (NUL, the descriptors and pipes of the command) even with a
   new console.  With SUBPROC_WIN32_NEW_CONSOLE or
   SUBPROC_WIN32_DETACHED the library does not add the CREATE_NO_WINDOW
   it gives console children of a GUI program.  On POSIX a non-zero set
   reports SUBPROC_ERR_UNSUPPORTED at run time.  Since 0.2.0.  */
SUBPROC_API void subproc_set_creation_flags (subproc_t *cmd,
                                             unsigned int flags);

/* Kill the child when the calling process dies (Win32: the job is
   closed).  On Linux this is PR_SET_PDEATHSIG, set after the child's
   user and group ids change (which clears it), and it fires when the
   thread that ran the command exits, even if the process lives on: run
   from a thread that outlives the child.  Elsewhere than
   Linux and Win32: SUBPROC_ERR_UNSUPPORTED at run time.  */
SUBPROC_API void subproc_kill_on_parent_exit (subproc_t *cmd);

/* The grace period of subproc_abort, the timeout, the output limit and
   subproc_free: the child is terminated (SIGTERM, to the group with
   subproc_new_process_group) and killed MS milliseconds later if it has
   not ended.  0: killed at once (SIGKILL), without SIGTERM.  Default:
   500.  subproc_pid_abort always uses the default.  Win32: no effect,
   the job is terminated at once.  */
SUBPROC_API void subproc_set_grace_period (subproc_t *cmd, unsigned int ms);

/* Limit subproc_run / subproc_wait to MS milliseconds (0: no limit).
   Past it the child is terminated (SIGTERM, or the job on Win32), killed
   after a short grace period, reaped, and the call reports
   SUBPROC_ERR_TIMEOUT.  With subproc_do_async_io the library's thread
   stops the child at the deadline, without waiting for subproc_wait;
   the command reaps it and reports the timeout at subproc_wait,
   subproc_abort or subproc_free.  */
SUBPROC_API void subproc_set_timeout (subproc_t *cmd, unsigned int ms);

/* ------------------------------------------------------------------ */
/* Descriptors                                                        */

/* Keep descriptor FD open in the child under the same number.  FD must be
   greater than 2.  With SUBPROC_PASS_FD_CLOSE_PARENT the parent's copy is
   closed after the child is spawned, or by subproc_free; a call that
   fails closes it at once, unless an earlier call gave it to the command
   already: every descriptor is closed once.  The number is not passed to
   a later run: that run fails with SUBPROC_ERR_STATE (EBADF) until a
   descriptor under the number is passed again.  On Win32, FD is
   a C runtime descriptor; its handle is inherited and the number survives
   in C runtime children.  */
SUBPROC_API void subproc_pass_fd (subproc_t *cmd, int fd, unsigned int flags);

/* Give descriptor FD to the child as descriptor TARGET: in the child
   TARGET refers to what FD refers to in the parent, open across exec,
   while FD itself is closed there (unless it is passed too).  FD follows
   the rules of subproc_pass_fd (greater than 2, open; the flags, the
   closing with SUBPROC_PASS_FD_CLOSE_PARENT, the later run), and stays
   as it was in the parent (close-on-exec or not).  TARGET must be
   greater than 2 (SUBPROC_ERR_INVALID: the child's 0, 1 and 2 are set
   with subproc_set_input_fd, output_fd and error_fd); TARGET equal to FD
   is subproc_pass_fd.  Each number of the child gets one descriptor: a
   TARGET that another call gives a different descriptor, or that is the
   number of a descriptor passed with subproc_pass_fd or of a send
   buffer, is a builder error (SUBPROC_ERR_INVALID), unless a run has
   closed that descriptor (SUBPROC_PASS_FD_CLOSE_PARENT): then the new
   one takes its place.  One FD may go to several targets, and be passed
   under its own number too.  Any mapping works, chains and cycles (3 to
   4 and 4 to 3) included, and a target may be a number the library uses
   for itself in the parent or before the exec.  POSIX needs room for
   one more descriptor per mapping above the highest number in play,
   else the run fails with SUBPROC_ERR_SPAWN, stage SUBPROC_STAGE_DUP
   (EBADF).  On Win32 FD is a C runtime descriptor and TARGET a slot of
   the table the C runtime gives its children: a C runtime child finds
   the handle under TARGET.  Since 0.2.0.  */
SUBPROC_API void subproc_pass_fd_as (subproc_t *cmd, int fd, int target,
                                     unsigned int flags);

/* The position of FD among the descriptors CMD passes (subproc_pass_fd),
   in the order they were first passed: 0 for the first.  A descriptor
   that a run closed (SUBPROC_PASS_FD_CLOSE_PARENT) is not passed any
   more and takes no place until it is passed again.  For protocols that
   number the descriptors a child gets, such as LISTEN_FDS of socket
   activation (whose descriptors are 3 + the position, once passed under
   those numbers).  -1 with
   SUBPROC_ERR_INVALID (EBADF) when FD is not passed (an error of the
   call alone: the command is unchanged).  Since 0.2.0.  */
SUBPROC_API int subproc_get_pass_fd_index (subproc_t *cmd, int fd);

/* The child's stdin reads from FD (the caller keeps it).  */
SUBPROC_API void subproc_set_input_fd (subproc_t *cmd, int fd);

/* The child's stdout / stderr goes to *FD.  If *FD is -1 when the command
   runs, a pipe is made and *FD receives the parent's (close-on-exec) read
   end, which the caller closes; every later run then makes a new pipe
   and stores its end in *FD, whatever *FD holds.  The same pointer for
   both: one pipe for both streams.  */
SUBPROC_API void subproc_set_output_fd (subproc_t *cmd, int *fd);
SUBPROC_API void subproc_set_error_fd (subproc_t *cmd, int *fd);

/* Flags for subproc_set_output_file and subproc_set_error_file.  */
enum
{
  /* Append to the file (POSIX O_APPEND; Win32 FILE_APPEND_DATA access
     without FILE_WRITE_DATA: every write goes to the end, even with
     other writers), creating it if it is missing.  Default: create the
     file, or truncate it.  */
  SUBPROC_FILE_APPEND = 1 << 0
};

/* The child's stdin reads from the file PATH (copied), which must
   exist; stdout / stderr goes to the file PATH, created (mode 0666 less
   the umask on POSIX) or truncated, or appended to with
   SUBPROC_FILE_APPEND.  The library opens the file in the parent when
   the command runs, every run again (a rerun truncates again), never
   inheritable by another child (close-on-exec), hands it to the child
   as its descriptor 0, 1 or 2 and closes its own copy after the spawn.
   A relative PATH is resolved against the parent's working directory,
   not the child's.  A file that cannot be opened fails the run with
   SUBPROC_ERR_SPAWN at SUBPROC_STAGE_OPEN, with the errno of the open
   (nothing is spawned, nothing is left open), the message naming the
   stream and the file.  Output and error to the same PATH with the same
   flags share one open file, as the shell's ">FILE 2>&1" does;
   different flags or different spellings of the path open it twice.
   A file takes the place of a descriptor, a buffer or a sink for its
   stream, as those do between each other: a second destination for a
   stream (a second file included) is a builder error
   (SUBPROC_ERR_INVALID).  Unknown FLAGS too.  A dry run opens nothing.
   Win32: PATH is UTF-8, opened with CreateFileW, shared for reading,
   writing and deletion.  Since 0.2.0.  */
SUBPROC_API void subproc_set_input_file (subproc_t *cmd, const char *path);
SUBPROC_API void subproc_set_output_file (subproc_t *cmd, const char *path,
                                          unsigned int flags);
SUBPROC_API void subproc_set_error_file (subproc_t *cmd, const char *path,
                                         unsigned int flags);

/* Pipes created for subproc_set_output_fd / subproc_set_error_fd are
   non-blocking in the parent.  Win32: PIPE_NOWAIT; _read of an empty pipe
   fails with EINVAL (not EAGAIN), and returns 0 at end of file.  */
SUBPROC_API void subproc_nonblocking_fds (subproc_t *cmd);

/* ------------------------------------------------------------------ */
/* Buffers                                                            */
/* Buffers work with subproc_run, and with subproc_run_async: the I/O
   then runs while the caller drives the command (subproc_poll,
   subproc_advance, subproc_try_wait) or waits for it, or on a thread of
   the library's with subproc_do_async_io.  They cannot be mixed with a
   descriptor or a sink for the same stream.  Every byte the child wrote before it ended is collected,
   however loaded the machine; what a grandchild that inherited the pipes
   writes after that is collected for at most a quarter of a second from
   the child's end, so that it cannot hold the run.  */

/* Feed the NUL-terminated STR to the child's stdin (copied; sent again
   to every run).  */
SUBPROC_API void subproc_set_input_buffer (subproc_t *cmd, const char *str);

/* Feed LEN bytes of DATA (NUL bytes allowed; copied).  */
SUBPROC_API void subproc_set_input_bytes (subproc_t *cmd, const void *data,
                                          size_t len);

/* Collect the child's stdout / stderr into a NUL-terminated string stored
   in *BUF.  After a run that got as far as spawning, *BUF is allocated
   (an empty string when there was no output), holds what was collected
   when the run failed, and outlives subproc_free: the caller frees it
   with free().  Every run stores NULL in *BUF when it starts, then its
   own buffer: free the previous one before running again.  The same
   pointer for both: one interleaved string.  */
SUBPROC_API void subproc_set_output_buffer (subproc_t *cmd, char **buf);
SUBPROC_API void subproc_set_error_buffer (subproc_t *cmd, char **buf);

/* Binary-safe forms: *LEN receives the byte count (the buffer is still
   NUL-terminated after the last byte).  */
SUBPROC_API void subproc_set_output_bytes (subproc_t *cmd, char **buf,
                                           size_t *len);
SUBPROC_API void subproc_set_error_bytes (subproc_t *cmd, char **buf,
                                          size_t *len);

/* Feed LEN bytes of DATA (copied) to the child through a pipe of its own.
   Returns the descriptor number the child reads from (pass it on the
   command line), or -1 when an error was recorded.  The command keeps
   that read end open until subproc_free; every run sends the data
   again, a run after the first through a new pipe whose read end takes
   the same number.  */
SUBPROC_API int subproc_set_send_buffer (subproc_t *cmd, const void *data,
                                         size_t len);

/* Stop the child and fail the run with SUBPROC_ERR_IO once a captured
   stream (output and error counted together) exceeds BYTES (0: no
   limit; any value up to SIZE_MAX works, and SIZE_MAX is a limit no
   output reaches).  What was collected up to the limit is kept.  */
SUBPROC_API void subproc_set_max_output (subproc_t *cmd, size_t bytes);

/* ------------------------------------------------------------------ */
/* Output as it arrives                                               */

/* A sink gets the child's output while the child runs: FN (OPAQUE,
   STREAM, DATA, LEN) with each chunk as it is read from the child's
   stdout (STREAM 1) or stderr (STREAM 2), bytes unchanged (NUL bytes
   included; DATA is not NUL-terminated and is valid during the call
   only).  A return of 0 goes on; any other value stops the child as
   the output limit does, and the run fails with SUBPROC_ERR_IO
   (ECANCELED), the message naming the stream and the value.  The
   output limit counts what sinks receive, and the timeout applies as
   with buffers.  FN runs on the thread that runs the I/O (the caller of
   subproc_run, subproc_wait, subproc_poll or subproc_advance, or the
   thread of subproc_do_async_io), with POSIX threads' cancellation
   disabled; it must not call the library on the same command.  A sink takes the place of
   a buffer or a descriptor for its stream: setting both is a builder
   error (SUBPROC_ERR_INVALID).  Since 0.2.0.  */
typedef int (*subproc_sink_func) (void *opaque, int stream, const char *data,
                                  size_t len);

/* Flags for subproc_set_output_sink and subproc_set_error_sink.  */
enum
{
  /* Deliver whole lines, each with its '\n', one per call; the last
     line, at the end of the stream, may lack it.  A line longer than
     SUBPROC_SINK_LINE_MAX bytes is delivered in pieces of that many
     bytes (the last piece with the '\n'), never dropped.  */
  SUBPROC_SINK_LINES = 1 << 0
};

/* The longest line SUBPROC_SINK_LINES delivers in one call.  */
#define SUBPROC_SINK_LINE_MAX 65536

/* Give the child's stdout / stderr to FN (see subproc_sink_func), in
   chunks as they are read, or in lines with SUBPROC_SINK_LINES.  FN
   NULL is a builder error.  Since 0.2.0.  */
SUBPROC_API void subproc_set_output_sink (subproc_t *cmd,
                                          subproc_sink_func fn, void *opaque,
                                          unsigned int flags);
SUBPROC_API void subproc_set_error_sink (subproc_t *cmd, subproc_sink_func fn,
                                         void *opaque, unsigned int flags);

/* ------------------------------------------------------------------ */
/* Parsing the output as it arrives                                   */

/* Called by subproc_run_regex each time the whole series of expressions
   has matched: NGROUPS strings in GROUPS (the groups of the first
   expression, then those of the second, ...), each NUL-terminated, or
   NULL for a group that took no part in its match.  The strings and the
   array belong to the library and are valid during the call only (copy
   what is kept).  A return of 0 goes on; any other value stops the
   child, as a sink's does.  Since 0.2.0.  */
typedef int (*subproc_regex_func) (void *opaque, size_t ngroups,
                                   const char *const *groups);

/* Run CMD as subproc_run does (STATUS and the exit status rules are
   those of subproc_run) and match its stdout, line by line as it
   arrives (an output sink with SUBPROC_SINK_LINES, set for this run
   only), against the series of NREGEX POSIX extended regular
   expressions REGEX: expression 0 is tried on each line until one
   matches, then expression 1 on the lines that follow (a line it does
   not match is skipped), and so on; once the last one has matched, FN
   gets the groups of the whole series, and the series starts again at
   expression 0.  NGROUPS[I] is how many groups of expression I (the
   first ones, from group 1) are passed; NGROUPS NULL: all of each.
   PREFIX (NULL: none) is taken off the start of every line that has it
   before matching.  A line is matched without its end ("\n" or
   "\r\n"); a NUL byte ends what the expressions see of it; a line
   longer than SUBPROC_SINK_LINE_MAX is matched whole.  FN runs while the
   child runs: a run that fails in the end (an exit status) may have
   called it.  FN returning non-zero stops the child and fails the run
   with SUBPROC_ERR_IO (ECANCELED).  CMD's stdout must have no other
   destination, else SUBPROC_ERR_INVALID.  A bad expression (one that
   regcomp refuses), NREGEX 0, a NULL expression or FN, or NGROUPS[I]
   above the groups of expression I: SUBPROC_ERR_INVALID, the message
   naming the expression and, for a bad one, regerror's text; nothing is
   run, and that error belongs to the call alone (the command runs
   again as it was).  Returns 0 or -1.  Win32 (and musl): gnulib's
   regcomp and regexec, built in.  Since 0.2.0.  */
SUBPROC_API int subproc_run_regex (subproc_t *cmd, size_t nregex,
                                   const char *const *regex,
                                   const size_t *ngroups, const char *prefix,
                                   subproc_regex_func fn, void *opaque,
                                   int *status);

/* Called by subproc_run_nul with each record: NFIELDS strings in FIELDS,
   each NUL-terminated (a field may hold no byte).  NFIELDS is the
   number of columns, except for a last record that the output cut short.
   The strings and the array belong to the library and are valid during
   the call only.  A return of 0 goes on; any other value stops the
   child, as a sink's does.  Since 0.2.0.  */
typedef int (*subproc_nul_func) (void *opaque, size_t nfields,
                                 const char *const *fields);

/* Run CMD as subproc_run does (STATUS and the exit status rules are
   those of subproc_run) and split its stdout, as it arrives (an output
   sink, set for this run only), into fields, each ended by a NUL byte
   (as find -print0 or xargs -0 write them), and the fields into records
   of NCOLUMNS, each given to FN.  Output that does not end with a NUL
   has a last field all the same, and a last record with fewer fields is
   given as it is; no output, no call.  FN returning non-zero stops the
   child and fails the run with SUBPROC_ERR_IO (ECANCELED).  CMD's stdout
   must have no other destination, else SUBPROC_ERR_INVALID; NCOLUMNS 0
   or FN NULL: SUBPROC_ERR_INVALID, nothing is run, and that error
   belongs to the call alone.  Returns 0 or -1.  Since 0.2.0.  */
SUBPROC_API int subproc_run_nul (subproc_t *cmd, size_t ncolumns,
                                 subproc_nul_func fn, void *opaque,
                                 int *status);

/* Let subproc_run_async run the buffer I/O on a thread of the library's;
   subproc_wait joins it.  The thread stops a child that passes the
   timeout or the output limit, but never reaps it and never frees what
   the caller can use: the child stays the command's, reaped by
   subproc_wait, subproc_abort or subproc_free (or subproc_pid_wait and
   subproc_pid_abort on its pid), whichever thread the caller is in.  */
SUBPROC_API void subproc_do_async_io (subproc_t *cmd);

/* ------------------------------------------------------------------ */
/* Working directory and hooks                                        */

/* Run the child in DIR (copied).  Not with subproc_daemonize.  */
SUBPROC_API void subproc_set_working_directory (subproc_t *cmd,
                                                const char *dir);

/* A function called in the child after fork (a fork that runs no
   pthread_atfork handler), as the last thing before changing
   directory, dropping capabilities and executing (POSIX).  It must
   restrict itself to async-signal-safe calls.  Descriptors are closed
   before it runs: what it opens without close-on-exec reaches the
   program.  A non-zero return stops the child: the run reports
   SUBPROC_ERR_HOOK with the errno the hook left.  On Win32 the hook
   runs in the parent while the child exists but is suspended; non-zero
   terminates the child.  */
SUBPROC_API void subproc_set_pre_exec_hook (subproc_t *cmd,
                                            int (*hook) (void *opaque),
                                            void *opaque);

/* Make the child stop just before exec (after the hook) until the parent
   calls subproc_handshake_notify.  subproc_handshake_wait, after
   subproc_run_async, returns 0 once the child has reached that point,
   -1 (with the error) if it failed before.  On Win32 the child is created
   suspended and notify resumes it.  subproc_wait or subproc_abort without
   a notify ends the held child (wait reports SUBPROC_ERR_SPAWN).  In a
   dry run both calls succeed at once.  */
SUBPROC_API void subproc_require_handshake (subproc_t *cmd);
SUBPROC_API int subproc_handshake_wait (subproc_t *cmd);
SUBPROC_API int subproc_handshake_notify (subproc_t *cmd);

/* ------------------------------------------------------------------ */
/* Logging commands                                                   */

/* The command as one line: the environment that was set ("NAME=VALUE"
   words), the program, then the arguments, each quoted for a POSIX shell
   so that pasting the line into sh runs exactly this argv.  The caller
   frees the result with free().  NULL, with the error, on failure.  */
SUBPROC_API char *subproc_to_string (subproc_t *cmd);

/* Flags for subproc_to_string_full.  */
enum
{
  /* Put each environment assignment, the program and each option on a
     line of its own, the lines joined by " \\" and a newline (a
     continuation, which sh reads as a blank): an argument that starts
     with '-' begins a line, and the one argument that follows it stays
     on its line; every other argument has a line of its own.  For logs
     and generated scripts.  */
  SUBPROC_STRING_LINE_BREAKS = 1 << 0,
  /* Show the program by its base name (what follows its last '/', and
     '\\' on Win32), as a command found through PATH.  */
  SUBPROC_STRING_STRIP_PATH = 1 << 1
};

/* subproc_to_string with FLAGS (0 gives the same line).  The text still
   runs exactly this argv when pasted into sh (with STRIP_PATH: the
   program PATH finds under that name).  Unknown flags:
   SUBPROC_ERR_INVALID, NULL, and the command is left as it was.  Since
   0.2.0.  */
SUBPROC_API char *subproc_to_string_full (subproc_t *cmd,
                                          unsigned int flags);

/* Write the environment, program and arguments, unquoted and separated
   by single spaces, then a newline, to FD.  Errors are recorded in the
   command.  */
SUBPROC_API void subproc_write_arg_log (subproc_t *cmd, int fd);

/* ------------------------------------------------------------------ */
/* Running                                                            */

/* Report the raw wait status (POSIX: as from waitpid, use WIFEXITED and
   friends; Win32: the process exit code) instead of the exit code; with
   a STATUS pointer, death by a signal is then not an error, except one
   that a resource limit caused (SUBPROC_ERR_LIMIT, *STATUS still set:
   see subproc_set_max_cpu_time).  With STATUS
   NULL any non-zero raw status, a signal death included, is an error.  */
SUBPROC_API void subproc_raw_status (subproc_t *cmd);

/* Run the command and wait for it, performing buffer I/O.  With STATUS
   NULL, a non-zero exit or an abnormal death is an error
   (SUBPROC_ERR_EXIT_STATUS / SUBPROC_ERR_SIGNALED, or SUBPROC_ERR_LIMIT
   when a limit of the command ended it) that names the command, the
   status and any captured stderr.  With STATUS, *STATUS receives the
   exit code (or raw status).  Returns 0 or -1.  The command runs again
   after it; a run while its child runs is SUBPROC_ERR_STATE.  */
SUBPROC_API int subproc_run (subproc_t *cmd, int *status);

/* Start the command and return at once; *PID (if PID is not NULL)
   receives the child's id.  With PID NULL the library owns the child and
   reaps it at subproc_wait, subproc_abort or subproc_free.  With PID
   given, the child may outlive the command: reap it with
   subproc_pid_wait or subproc_pid_abort, which work on the pid at once
   (before subproc_free too) until the command reaps the child itself;
   a child they reap while the command holds it is still the command's to
   report (subproc_wait gives its status).  Input, buffers and sinks are
   served while the caller drives the command (subproc_poll,
   subproc_advance, subproc_try_wait, subproc_wait_for) and by
   subproc_wait, on the caller's thread; with subproc_do_async_io, by a
   thread of the library's from the start (which a child reaped with
   subproc_pid_wait needs, since nothing else then serves its pipes).
   Returns 0 or -1.  */
SUBPROC_API int subproc_run_async (subproc_t *cmd, pid_t *pid);

/* Wait for a child started with subproc_run_async, as subproc_run does
   (same STATUS rules, the timeout of subproc_set_timeout).  It reaps the
   child even when the run failed before (a handshake) or a builder error
   was recorded meanwhile, and then reports that error.  */
SUBPROC_API int subproc_wait (subproc_t *cmd, int *status);

/* subproc_wait without blocking: 1 once the run is over (the child has
   ended and, with subproc_do_async_io, the I/O thread has finished), and
   then it is exactly as after subproc_wait (child reaped, *STATUS set,
   buffers handed over, the command can run again); 0 while the run goes
   on, and nothing changes; -1 on error, as subproc_wait.  A deadline of
   subproc_set_timeout that has passed is applied as subproc_wait does
   (-1, SUBPROC_ERR_TIMEOUT).  A dry run is over at once.  */
SUBPROC_API int subproc_try_wait (subproc_t *cmd, int *status);

/* subproc_try_wait, waiting up to MS milliseconds (negative: without a
   limit, as subproc_wait) for the run to be over.  0 when the time is up
   with the run going on: the child is left running and the command can
   be waited for again (unlike subproc_set_timeout, whose deadline, if it
   comes first, stops the child as in subproc_wait).  */
SUBPROC_API int subproc_wait_for (subproc_t *cmd, int ms, int *status);

/* Send signal SIG to the child started with subproc_run_async, or to its
   process group with subproc_new_process_group, under the same lock as
   the library's own signals: never to a child that has been reaped.  A
   child that has ended but is not reaped yet gets it harmlessly (0).
   SIG 0 checks only.  Returns 0 or -1: SUBPROC_ERR_STATE when no child
   runs (or it was reaped elsewhere), SUBPROC_ERR_INVALID for a signal
   that does not exist.  Win32: SIGTERM and SIGKILL (9) terminate the
   job, as subproc_abort does; any other signal is
   SUBPROC_ERR_UNSUPPORTED.  In a dry run it does nothing.  A failure
   does not take the place of the error of the last run.  */
SUBPROC_API int subproc_send_signal (subproc_t *cmd, int sig);

/* ------------------------------------------------------------------ */
/* Many commands at once                                              */
/* A thread can run any number of commands started with
   subproc_run_async: subproc_poll drives them all (feeds inputs, fills
   buffers, calls sinks, applies output limits and deadlines, notices
   each child's end) and says which runs are over; subproc_wait then
   reaps each without blocking.  An event loop of the caller's (GLib,
   libuv, libevent, epoll) does the same with subproc_get_watches and
   subproc_advance.  No thread is started for this, and no SIGCHLD
   handler is installed: the library only ever waits for its own
   children.  A command with subproc_do_async_io keeps its I/O on the
   library's thread; these calls then only notice the end of its run.
   Since 0.2.0.  */

/* What the caller's loop waits on: a descriptor on POSIX, a HANDLE on
   Win32.  */
#if defined _WIN32 && !defined __CYGWIN__
typedef void *subproc_handle_t;
#else
typedef int subproc_handle_t;
#endif

/* Events of a watch.  */
enum
{
  SUBPROC_WATCH_READ = 1 << 0,  /* POSIX: readable (POLLIN); Win32: the
                                   handle is signaled */
  SUBPROC_WATCH_WRITE = 1 << 1  /* POSIX: writable (POLLOUT) */
};

/* One thing to watch: HANDLE for EVENTS.  */
typedef struct subproc_watch
{
  subproc_handle_t handle;
  unsigned int events;
} subproc_watch_t;

/* The pollable handle of the running child in *HANDLE: on Linux its
   pidfd, readable once the child has ended; on Win32 its process
   HANDLE, signaled once it has ended.  It belongs to the command and is
   valid until the child is reaped: watch it, never read, close or wait
   on it with a call that reaps.  Returns 0, or -1: SUBPROC_ERR_STATE
   when no child runs, SUBPROC_ERR_UNSUPPORTED where the system has no
   such handle (Linux before 5.3, other POSIX systems); subproc_get_watches
   then asks to be called back after a short time instead.  */
SUBPROC_API int subproc_get_handle (subproc_t *cmd, subproc_handle_t *handle);

/* What the run of CMD needs watched before its next subproc_advance:
   stores up to N watches in W and returns how many there are (more
   than N: call again with room for them all; 4 + the number of send
   buffers is always enough), or -1 with the error.  *TIMEOUT_MS
   receives the longest the caller may wait before calling
   subproc_advance even if no watch is ready (a deadline, the short
   wait after the child's end, a system without pollable handles):
   -1 for no limit, 0 to call at once.  The watches change as the run
   goes on: ask again after every subproc_advance.  Once the run is
   over: 0 watches and 0 ms.  */
SUBPROC_API int subproc_get_watches (subproc_t *cmd, subproc_watch_t *w,
                                     size_t n, int *timeout_ms);

/* Advance the run of CMD as far as it goes without blocking: move what
   its streams can take or give, call its sinks, apply its limits and
   deadline, notice its child's end.  Returns 1 once the run is over
   (subproc_wait and subproc_try_wait then return at once), 0 while it
   goes on, -1 when CMD is not running (SUBPROC_ERR_STATE).  A failure
   of the run (a timeout, the output limit, a sink that stopped, an
   I/O error) stops the child and makes the run over; subproc_wait
   reports it.  */
SUBPROC_API int subproc_advance (subproc_t *cmd);

/* Drive the N commands of CMDS (NULL entries are skipped) from the
   calling thread until at least one run is over or TIMEOUT_MS
   milliseconds have passed (negative: no limit; 0: only what is ready
   now).  Returns the number of runs that are over and stores their
   indexes in CMDS, in order, in ENDED (room for N), or 0 when the time
   is up first; -1 with the error in subproc_last_error (out of memory,
   a system failure).  A command that is not running counts as over at
   once.  Each run that is over is then collected with subproc_wait or
   subproc_try_wait.  */
SUBPROC_API int subproc_poll (subproc_t *const *cmds, size_t n,
                              int timeout_ms, size_t *ended);

/* ------------------------------------------------------------------ */
/* Resource usage                                                     */

/* Bits of subproc_usage_t.known: the fields the system told.  A field
   whose bit is clear holds 0.  */
enum
{
  SUBPROC_USAGE_USER_TIME = 1 << 0,
  SUBPROC_USAGE_SYSTEM_TIME = 1 << 1,
  SUBPROC_USAGE_WALL_TIME = 1 << 2,
  SUBPROC_USAGE_MAX_RSS = 1 << 3,
  SUBPROC_USAGE_PAGE_FAULTS = 1 << 4,
  SUBPROC_USAGE_MINOR_FAULTS = 1 << 5,
  SUBPROC_USAGE_MAJOR_FAULTS = 1 << 6,
  SUBPROC_USAGE_VOLUNTARY_SWITCHES = 1 << 7,
  SUBPROC_USAGE_INVOLUNTARY_SWITCHES = 1 << 8,
  SUBPROC_USAGE_PROCESSES = 1 << 9,
  SUBPROC_USAGE_PEAK_COMMIT = 1 << 10
};

/* What the child of a run used.  The caller sets SIZE to
   sizeof (subproc_usage_t) before the call: a later version may add
   fields at the end (and bits to KNOWN), and fills only what SIZE says
   the caller has room for.  Since 0.2.0.  */
typedef struct subproc_usage
{
  size_t size;                   /* set by the caller */
  uint64_t known;                /* SUBPROC_USAGE_* bits */
  int64_t user_time_us;          /* CPU time in user mode */
  int64_t system_time_us;        /* CPU time in the kernel */
  int64_t wall_time_us;          /* from the spawn to the end */
  uint64_t max_rss;              /* peak resident memory, bytes */
  uint64_t page_faults;          /* all page faults (minor + major) */
  uint64_t minor_faults;         /* served without I/O */
  uint64_t major_faults;         /* that needed I/O */
  uint64_t voluntary_switches;   /* context switches: waits */
  uint64_t involuntary_switches; /* context switches: preempted */
  uint64_t processes;            /* Win32: processes the job held */
  uint64_t peak_commit;          /* Win32: peak memory the job
                                    committed, bytes */
} subproc_usage_t;

/* What the child of the last run of CMD used, in *USAGE (USAGE->size
   set by the caller), once the run is over and its child reaped:
   after subproc_run, subproc_wait, subproc_abort, or a subproc_try_wait
   or subproc_wait_for that returned 1 (also when the run failed, say by
   a timeout, after its child was reaped).  POSIX: the child's own
   rusage from its reap, which counts the descendants it waited for and
   no others; Win32: the job's accounting, which counts the whole tree,
   and the child's own peak working set.  The KNOWN bits say which
   fields the system told.  After a dry run: 0, every field 0 and every
   bit set (nothing ran, nothing was used).  Returns 0 or -1:
   SUBPROC_ERR_INVALID for USAGE NULL or a SIZE too small;
   SUBPROC_ERR_STATE before any run, while the child runs, after a spawn
   that failed and when the child could not be reaped;
   SUBPROC_ERR_UNSUPPORTED for a daemonized command on Win32 (POSIX
   reports the intermediate process's usage).  A child reaped with
   subproc_pid_wait has none to give, unless its command still held it
   (then the command's own wait gives it).  The failure does not take
   the place of the error of the last run.  Since 0.2.0.  */
SUBPROC_API int subproc_get_usage (subproc_t *cmd, subproc_usage_t *usage);

/* Stop a child started with subproc_run_async: terminate it (SIGTERM, or
   the whole process group with subproc_new_process_group; the job on
   Win32), kill it if it is still there after the grace period of
   subproc_set_grace_period, and reap it.  Does nothing if there is no child.  Keeps errno.  */
SUBPROC_API void subproc_abort (subproc_t *cmd);

/* Release the command.  A child it still owns is killed and reaped.
   Output buffers are not freed (they belong to the caller).  NULL is
   accepted.  Keeps errno.  */
SUBPROC_API void subproc_free (subproc_t *cmd);

/* Wait for PID, a child returned by subproc_run_async.  With RAW false,
   STATUS rules are those of subproc_run; with RAW true *STATUS receives
   the raw status.  Returns 0 or -1 (error in subproc_last_error):
   SUBPROC_ERR_INVALID with ECHILD for a pid that is not our child;
   SUBPROC_ERR_SYSTEM with ECHILD when SIGCHLD is ignored and the kernel
   reaped the child, before the call or during it.  */
SUBPROC_API int subproc_pid_wait (pid_t pid, int *status, bool raw);

/* Terminate, then kill and reap PID.  Keeps errno.  */
SUBPROC_API void subproc_pid_abort (pid_t pid);

/* Replace the calling process with the command, after applying the same
   setup (environment, descriptors, directory, limits, privileges).
   Returns -1 with the error only if that fails.  Win32: the command runs
   as a child, and the calling process exits with its exit code.  */
SUBPROC_API int subproc_exec (subproc_t *cmd);

/* ------------------------------------------------------------------ */
/* Errors and logging                                                 */

/* The error that describes CMD, or NULL: its builder error if it has one
   (it stays); else the first error of its last run, from the start of
   subproc_run, subproc_run_async or subproc_exec to the reaping of its
   child (NULL once a run succeeded); else the error of the last call made
   in the wrong state (SUBPROC_ERR_STATE), until the next run or wait.  */
SUBPROC_API const subproc_error_t *subproc_get_error (const subproc_t *cmd);

/* The last error reported to the calling thread by any function of the
   library, or NULL.  */
SUBPROC_API const subproc_error_t *subproc_last_error (void);

/* The text of CODE ("out of memory"); "unknown error" for others.  */
SUBPROC_API const char *subproc_strerror (int code);

/* The name of CODE ("SUBPROC_ERR_NOMEM"), or NULL for unknown codes.  */
SUBPROC_API const char *subproc_error_name (int code);

/* The name of STAGE ("SUBPROC_STAGE_CHDIR"), or NULL for unknown
   stages.  */
SUBPROC_API const char *subproc_stage_name (int stage);

/* Call FUNC with every error at the moment it is reported.  Process-wide;
   FUNC NULL removes it.  */
SUBPROC_API void subproc_set_error_func (
  void (*func) (const subproc_error_t *err, void *opaque), void *opaque);

/* Call FUNC with the library's debug messages and with output the child
   wrote to streams that nobody captured while the library ran its I/O.
   Process-wide; FUNC NULL removes it.  */
SUBPROC_API void subproc_set_log_func (
  void (*func) (int level, const char *msg, void *opaque), void *opaque);

/* ------------------------------------------------------------------ */
/* Dry run, for unit tests of code that uses the library              */

/* What a dry-run callback sees and may fill in.  */
typedef struct subproc_dry_run_io
{
  const char *const *args;  /* program, then arguments, NULL-terminated */
  const char *const *env;   /* NAME=VALUE set on the command, or NULL when
                               the environment is inherited */
  const char *input;        /* the input buffer (NUL-terminated), or NULL */
  size_t input_len;
  /* Set by the callback; copied by the library before the run returns. */
  const char *output;       /* fake stdout, or NULL */
  size_t output_len;        /* (size_t) -1: strlen (output) */
  const char *error;        /* fake stderr, or NULL */
  size_t error_len;         /* (size_t) -1: strlen (error) */
  int status;               /* fake exit code (default 0); POSIX keeps the
                               low 8 bits, as exit() does, and
                               subproc_raw_status sees it as a wait
                               status */
} subproc_dry_run_io_t;

typedef void (*subproc_dry_run_func) (subproc_dry_run_io_t *io,
                                      void *opaque);

/* Start dry-run mode on the calling thread: subproc_run and
   subproc_run_async spawn nothing; they append the command line (as
   subproc_to_string gives it) and a newline to a log, and call FUNC (if
   not NULL) to fake output, error and status.  Returns 0, or -1 if dry
   run is already active on this thread or memory runs out.  */
SUBPROC_API int subproc_dry_run_begin (subproc_dry_run_func func,
                                       void *opaque);

/* End dry-run mode on the calling thread and return the log (the caller
   frees it with free()); NULL if dry run was not active.  */
SUBPROC_API char *subproc_dry_run_end (void);

#ifdef __cplusplus
}
#endif

#endif /* SUBPROC_H */
