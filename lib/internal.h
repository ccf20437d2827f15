/* internal.h: the command structure and the front-end's private functions.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SUBPROC_INTERNAL_H
#define SUBPROC_INTERNAL_H

#include "backend.h"

/* A byte vector that grows geometrically.  */
typedef struct sp_buf
{
  char *data;
  size_t len;
  size_t cap;
} sp_buf_t;

/* A string vector, NULL-terminated at all times.  */
typedef struct sp_strv
{
  char **v;
  size_t n;
  size_t cap;
} sp_strv_t;

/* A descriptor for the child: FD of the parent under the number TARGET
   (equal to FD for subproc_pass_fd).  Each TARGET appears once.  */
typedef struct sp_pass_fd
{
  int fd;
  int target;
  unsigned int flags;
  /* CLOSE_PARENT: closed after a spawn.  The number is not ours any more:
     a later run refuses to pass it until it is passed again.  */
  bool closed;
} sp_pass_fd_t;

typedef struct sp_send_buffer
{
  int parent_fd;  /* write end, kept by the parent; -1 once a run took it */
  int child_fd;   /* read end, passed to the child under its own number;
                     the command keeps it open until free, so that the
                     number the child is told stays this buffer's */
  sp_payload_t payload;  /* kept for every run */
  bool sent;      /* a run used the pipe: the next run makes a new one,
                     whose read end replaces CHILD_FD under its number */
} sp_send_buffer_t;

/* Where a captured stream goes: a buffer of the caller's, or a sink
   function.  */
typedef struct sp_sink
{
  char **buf;
  size_t *len;    /* NULL for the string forms */
  subproc_sink_func fn;
  void *opaque;
  unsigned int flags;
} sp_sink_t;

/* A standard stream of the child from or to a file that the library
   opens (lib/childopts.c).  */
typedef struct sp_file
{
  char *path;              /* NULL: none */
  unsigned int flags;      /* SUBPROC_FILE_* */
} sp_file_t;

enum sp_state
{
  SP_STATE_NEW = 0,   /* being built, never run */
  SP_STATE_RUNNING,   /* run_async succeeded; child not yet reaped */
  SP_STATE_DONE       /* ran (or failed to), no child: may run again */
};

/* What kind of call recorded a command's error, which decides how long
   it lasts (lib/error.c).  */
enum sp_error_kind
{
  SP_ERROR_BUILD = 0, /* a builder call, or one that shows the command
                         (to_string): stays until free */
  SP_ERROR_RUN,       /* a run, from its start to the reaping of its
                         child: forgotten when the next run starts */
  SP_ERROR_CALL       /* a call made in the wrong state, which changed
                         nothing: replaced by any later error */
};

struct sp_capture;    /* lib/capture.c */

/* The legal combinations of the state fields of struct subproc between
   two calls of the library (inside one, lib/run.c passes through others):

   state    proc   reaped  capture   dry_run  what
   NEW      NULL   false   NULL      false    never run
   RUNNING  set    false   NULL/set  false    a child runs (CAPTURE: its
                                              buffers, maybe on the I/O
                                              thread); PID its id
   RUNNING  NULL   true    NULL      true     a dry run, until the wait
   DONE     NULL   true    NULL      any      reaped: RAW_STATUS_VALUE
   DONE     NULL   false   NULL      any      the spawn failed, or the
                                              child could not be stopped
   DONE     set    false   NULL      false    the wait failed: the child
                                              is lost, let go at the next
                                              run or at free

   PID_GIVEN (the caller took the pid) is set only with a child (RUNNING,
   or DONE and reaped or lost); HANDSHAKE_HELD and DEADLINE mean
   something only while RUNNING.  */

struct subproc
{
  /* The error subproc_get_error shows; code SUBPROC_ERR_OK while there
     is none.  */
  subproc_error_t error;
  char *error_message;
  enum sp_error_kind error_kind;  /* of ERROR */
  enum sp_error_kind recording;   /* the kind an error recorded now is */

  sp_strv_t args;          /* args.v[0]: the program as given */

  bool env_custom;         /* an env call was made: do not inherit */
  sp_strv_t env;           /* NAME=VALUE, one per name */
  sp_strv_t env_unset;     /* names removed from the inherited
                              environment (lib/childopts.c) */
  char *argv0;             /* the child's argv[0]; NULL: args.v[0] */
  sp_file_t files[3];      /* stdin, stdout, stderr from / to a file */

  sp_pass_fd_t *pass_fds;
  size_t n_pass_fds;

  int input_fd;            /* -1: none */
  int *output_fd;          /* NULL: none */
  int *error_fd;
  /* A run made a pipe for *output_fd / *error_fd (it was -1): every
     later run makes a new one, whatever the caller's variable holds.  */
  bool output_pipe, error_pipe;
  bool nonblocking_fds;

  bool has_input;          /* input buffer or bytes */
  sp_payload_t input;
  sp_sink_t output;
  sp_sink_t errbuf;

  sp_send_buffer_t *send;
  size_t n_send;

  size_t max_output;
  unsigned int timeout_ms;
  bool async_io;

  /* What the child is to be: read by the backend (sp_spec_t.opt).  */
  sp_options_t opt;

  bool raw_status;
  bool handshake_held;     /* the child waits for handshake_notify */

  /* Running.  */
  enum sp_state state;
  sp_proc_t *proc;         /* NULL once reaped or handed over */
  pid_t pid;
  bool pid_given;          /* the caller took the pid: do not kill at free */
  bool reaped;
  int raw_status_value;
  sp_limit_hit_t limit_hit; /* the limit that ended the reaped child */
  int64_t deadline;        /* sp_backend_now_ms () value; 0: none */
  struct sp_capture *capture; /* the engine's state, while it has any */
  bool dry_run;            /* ran in dry-run mode */
  /* What the child of the last run used, recorded at its reap
     (lib/usage.c): valid with USAGE_KNOWN; USAGE_UNSUPPORTED when the
     backend had none to give.  */
  subproc_usage_t usage;
  bool usage_known, usage_unsupported;
};

/* ------------------------------------------------------------------ */
/* lib/error.c */

/* Record an error of kind CMD->recording in CMD and report it to the
   thread and the error callback.  It takes the place of CMD's error
   unless that one lasts longer: a builder error is never replaced, a
   run's first error only by a builder error; an error that was not
   recorded is reported as the one that stays, except one of kind
   SP_ERROR_CALL, reported as itself.  The message is formatted from FMT;
   if that fails for lack of memory, the code's text is used.  Returns -1.
   CMD may be NULL.  Keeps errno.  */
int sp_error (subproc_t *cmd, int code, int sys_errno, const char *fmt, ...)
  SUBPROC_PRINTF (4, 5);

/* The same for an error of kind SP_ERROR_CALL (a call made in the wrong
   state).  */
int sp_error_call (subproc_t *cmd, int code, int sys_errno,
                   const char *fmt, ...) SUBPROC_PRINTF (4, 5);

/* Make errors recorded in CMD from now on of KIND; returns the kind
   before, to be put back when the call ends.  CMD may be NULL.  */
enum sp_error_kind sp_error_recording (subproc_t *cmd,
                                       enum sp_error_kind kind);

/* Forget CMD's error unless it is a builder error (a run starts), or
   only one of kind SP_ERROR_CALL (a wait starts).  */
void sp_error_forget_run (subproc_t *cmd);
void sp_error_forget_call (subproc_t *cmd);

/* Does CMD hold an error of its present run?  */
bool sp_has_run_error (const subproc_t *cmd);

/* sp_error for a failure of a run at STAGE, worded by the caller.  */
int sp_error_stage (subproc_t *cmd, sp_stage_t stage, int code,
                    int sys_errno, const char *fmt, ...)
  SUBPROC_PRINTF (5, 6);

/* Record a backend failure F for CMD, with the command named.  -1.  */
int sp_error_fail (subproc_t *cmd, const sp_fail_t *f);

/* Report CMD's recorded error again (to the thread and the callback), for
   the run/to_string calls that surface deferred errors.  -1.  */
int sp_error_raise (subproc_t *cmd);

/* Record out of memory.  -1.  */
int sp_error_nomem (subproc_t *cmd);

/* Report an error that belongs to no command (pid_wait, dry_run).  -1.  */
int sp_error_thread (int code, int sys_errno, const char *fmt, ...)
  SUBPROC_PRINTF (3, 4);

/* True when CMD is NULL or has a builder error: builder calls return
   early, and every call that runs or shows the command reports it.  */
bool sp_has_error (const subproc_t *cmd);

/* Free the error of CMD.  */
void sp_error_clear (subproc_t *cmd);

/* Send MSG to the log callback, if there is one.  */
void sp_log (int level, const char *fmt, ...) SUBPROC_PRINTF (2, 3);
bool sp_log_enabled (void);

/* The name of a stage, for messages.  */
const char *sp_stage_name (sp_stage_t stage);

/* ------------------------------------------------------------------ */
/* lib/command.c */

/* True when CMD may take a builder call: it has no builder error and no
   child running (then FUNC, the call, records SUBPROC_ERR_STATE as an
   error of a call in the wrong state, SP_ERROR_CALL: it changed
   nothing, and neither the wait's result nor a later run sees it).  */
bool sp_building (subproc_t *cmd, const char *func);

/* ------------------------------------------------------------------ */
/* lib/childopts.c: environment removals, argv[0], files for stdio */

/* Has stream STREAM (0, 1, 2) of CMD a file?  */
bool sp_file_set (const subproc_t *cmd, int stream);

/* For a run of CMD: in *ENVP a new vector (sp_strv_free it) with the
   parent's environment less CMD's removed names, when CMD inherits and
   has some; else NULL.  -1 with the error recorded.  */
int sp_env_for_run (subproc_t *cmd, char ***envp);

/* For a run of CMD: in *ARGV a new vector of pointers (free() only the
   vector) that is CMD's arguments with argv0 first, when it has one;
   else NULL.  -1 with the error recorded.  */
int sp_argv_for_run (subproc_t *cmd, char ***argv);

/* Open CMD's files for a run: FDS[i] (initially -1) receives the
   descriptor of stream i, and STDIO[i] the child's source; the two are
   the same descriptor, or STDIO[2] == STDIO[1] for a shared file.  -1
   with the error recorded (the files opened so far stay in FDS).  */
int sp_files_open (subproc_t *cmd, int fds[3], int stdio[3]);

/* Close what sp_files_open opened, and set FDS back to -1.  */
void sp_files_close (int fds[3]);

/* Free what lib/childopts.c keeps in CMD.  */
void sp_childopts_free (subproc_t *cmd);

/* ------------------------------------------------------------------ */
/* lib/strings.c: vectors and buffers */

int sp_strv_push (sp_strv_t *v, char *s);   /* takes S; -1 on ENOMEM */
int sp_strv_push_dup (sp_strv_t *v, const char *s);
void sp_strv_clear (sp_strv_t *v);
int sp_buf_reserve (sp_buf_t *b, size_t extra);
int sp_buf_append (sp_buf_t *b, const void *data, size_t len);
int sp_buf_append_str (sp_buf_t *b, const char *s);
void sp_buf_clear (sp_buf_t *b);
/* The contents as a NUL-terminated string, handed over; B is emptied.  */
char *sp_buf_steal (sp_buf_t *b, size_t *len);

/* ------------------------------------------------------------------ */
/* lib/tostring.c */

/* Append WORD quoted for a POSIX shell.  */
int sp_shell_quote (sp_buf_t *out, const char *word);

/* The environment part, program and arguments of CMD, each element
   separated by one space; QUOTE: shell-quoted (to_string), else verbatim
   (write_arg_log).  */
int sp_format_command (const subproc_t *cmd, bool quote, sp_buf_t *out);
/* The same with the SUBPROC_STRING_* FLAGS of subproc_to_string_full.  */
int sp_format_command_full (const subproc_t *cmd, bool quote,
                            unsigned int flags, sp_buf_t *out);

/* ------------------------------------------------------------------ */
/* lib/dryrun.c */

/* Dry-run mode is active on this thread.  */
bool sp_dry_run_active (void);

/* Run CMD in dry-run mode: log it, call the callback, fill the sinks.
   Returns 0 or -1.  */
int sp_dry_run (subproc_t *cmd);

/* ------------------------------------------------------------------ */
/* lib/lifecycle.c: a child after its spawn, for run.c and capture.c */

/* Start CMD's deadline (none without a timeout), once its child is
   spawned.  */
void sp_deadline_start (subproc_t *cmd);

/* The milliseconds left until CMD's deadline: -1 without one, 0 when it
   has passed.  */
int sp_time_left (const subproc_t *cmd);

/* Record that CMD's child did not finish in time and was stopped.  -1.  */
int sp_error_timeout (subproc_t *cmd);

/* Stop the child of PROC: terminate it (its process group with GROUP),
   give it GRACE_MS to end, and kill it if it has not (0: kill it at
   once, without terminating it first).  A group is
   killed in the end whether its leader ended or not (grandchildren may
   remain), while the leader is not reaped yet: a zombie still holds the
   group's id, so the signal cannot reach a group that reused it.  REAP:
   then reap the child, and return what sp_backend_wait does (1 with
   *RAW); else 0.  */
int sp_proc_stop (sp_proc_t *proc, bool group, unsigned int grace_ms,
                  bool reap, int *raw,
                  sp_fail_t *f);

/* Stop the child of CMD (its group with new_process_group) and reap it.
   For the owner of the child (the caller's side of the command) only,
   never while the I/O thread runs.  */
void sp_child_stop (subproc_t *cmd);

/* The same without the reap, for the I/O thread: the child is told to
   stop (terminated, given the grace period, killed), and the owner reaps
   it later.  */
void sp_child_halt (subproc_t *cmd);

/* Wait for CMD's child until the deadline, and stop it if that passes
   (SUBPROC_ERR_TIMEOUT).  0 once it is reaped, or -1 with the error
   recorded.  */
int sp_child_wait (subproc_t *cmd);

/* A child that the last run could not reap (its wait failed: the
   status was lost, or the system would not wait): let go of it, without
   signalling a pid that may not be its own any more.  */
void sp_child_forget_lost (subproc_t *cmd);

/* The command is freed: a child handed over to the caller is disowned
   (it stays the caller's), any other still running is stopped and
   reaped, and the proc is released.  */
void sp_child_let_go (subproc_t *cmd);

/* ------------------------------------------------------------------ */
/* lib/capture.c: the buffer-capture engine */

/* Does CMD have buffers for the engine to run?  */
bool sp_capture_wanted (const subproc_t *cmd);

/* Before the spawn: make the pipes for the buffers and put the child's
   ends into SPEC->stdio.  -1 with the error recorded.  */
int sp_capture_setup (subproc_t *cmd, sp_spec_t *spec);

/* After the spawn (successful or not): close the child's ends.  */
void sp_capture_after_spawn (subproc_t *cmd);

/* Run the I/O until every stream is done (or the child has ended and its
   pipes are drained), the deadline passes, max_output is exceeded or a
   sink asks to stop; in the three last cases the child is halted
   (stopped, given its grace period, not reaped).  -1 with the error
   recorded in CMD.  */
int sp_capture_run (subproc_t *cmd);

/* subproc_wait's part: the I/O of a run of subproc_run_async, from
   where it is: its thread joined (do_async_io), or the rest of it run
   on the calling thread, as sp_capture_run.  -1 with the error.  */
int sp_capture_complete (subproc_t *cmd);

/* For lib/engine.c, a round of the I/O of the running CMD (every run of
   subproc_run_async has a capture, with no stream when it has nothing
   to capture): point its streams at their data, apply its deadline,
   fill SET for sp_backend_io_wait, and return the longest the round may
   wait (-1: no limit).  With do_async_io the streams are the thread's:
   SET holds only the child.  Then sp_capture_round_end with what the
   backend reported, or sp_capture_round_failed with its errno.  */
int sp_capture_round_begin (subproc_t *cmd, sp_io_set_t *set);
void sp_capture_round_end (subproc_t *cmd, const sp_io_set_t *set);
void sp_capture_round_failed (subproc_t *cmd, int err);

/* Is the run of CMD over: its I/O done, a failed run's child halted, the
   child ended (not reaped), and with do_async_io the thread finished?
   Never blocks.  */
bool sp_capture_over (subproc_t *cmd);

/* The same on a thread of the library's (do_async_io).  The thread
   touches nothing of CMD that the caller's calls change while it runs:
   it reads the streams, the limits and CMD->proc, and halts the child
   at the deadline or the limit; the child is reaped, and the proc
   released, only once the thread has been joined.  */
int sp_capture_start_async (subproc_t *cmd);
/* Has that thread finished the I/O (true too when there is none)?
   Joining it then does not block.  Never blocks.  */
bool sp_capture_async_done (const subproc_t *cmd);
/* Wait for that thread; STOP: make it give up first (abort, free).
   -1 with the error recorded in CMD if the I/O failed.  */
int sp_capture_join_async (subproc_t *cmd, bool stop);

/* Hand what was collected to the caller's buffers (always allocated after
   a spawn, partial after a failure), then release every resource of the
   engine.  Safe to call more than once.  -1 (NOMEM recorded) if a buffer
   could not be allocated.  */
int sp_capture_finish (subproc_t *cmd);

/* Fill the caller's buffers with the given bytes (dry run).  */
int sp_sinks_fill (subproc_t *cmd, const char *out, size_t out_len,
                   const char *err, size_t err_len);

/* The captured error output so far (for error messages), or NULL.  */
const char *sp_capture_stderr (const subproc_t *cmd);

/* ------------------------------------------------------------------ */
/* lib/usage.c */

/* The child of CMD has just been reaped (CMD->proc not yet released):
   record what it used.  Never fails visibly.  */
void sp_usage_record (subproc_t *cmd);

/* A run of CMD starts: no usage until its child is reaped.  */
void sp_usage_forget (subproc_t *cmd);

/* ------------------------------------------------------------------ */
/* lib/engine.c */

/* subproc_poll, with a failure of the call itself (out of memory, the
   system's wait) in *F.  */
int sp_engine_poll (subproc_t *const *cmds, size_t n, int timeout_ms,
                    size_t *ended, sp_fail_t *f);

/* For tests (tests link the internal convenience library): stand-ins for
   a machine so loaded that the I/O of a run lags far behind its child.
   All false or 0 (the default): none.  */
struct sp_capture_test
{
  bool late_start;     /* read nothing until the child has ended */
  size_t read_max;     /* the most one read may bring in (0: no limit) */
  bool no_drain_time;  /* no time at all for output after the child's
                          end: as if the quarter of a second had passed */
};
extern struct sp_capture_test sp_capture_test;

#endif /* SUBPROC_INTERNAL_H */
