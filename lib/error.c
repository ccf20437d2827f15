/* error.c: the error table, recorded and per-thread errors, callbacks.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *
subproc_version (void)
{
  return PACKAGE_VERSION;
}

/* ------------------------------------------------------------------ */
/* The table.  */

const char *
subproc_strerror (int code)
{
  switch (code)
    {
#define SP_ERR_TEXT_(name, value, text)                                     \
  case value:                                                               \
    return text;
      SUBPROC_ERROR_TABLE (SP_ERR_TEXT_)
#undef SP_ERR_TEXT_
    default:
      return "unknown error";
    }
}

const char *
subproc_error_name (int code)
{
  switch (code)
    {
#define SP_ERR_NAME_(name, value, text)                                     \
  case value:                                                               \
    return "SUBPROC_ERR_" #name;
      SUBPROC_ERROR_TABLE (SP_ERR_NAME_)
#undef SP_ERR_NAME_
    default:
      return NULL;
    }
}

const char *
subproc_stage_name (int stage)
{
  switch (stage)
    {
#define SP_STAGE_NAME_(name, value, text)                                   \
  case value:                                                               \
    return "SUBPROC_STAGE_" #name;
      SUBPROC_STAGE_TABLE (SP_STAGE_NAME_)
#undef SP_STAGE_NAME_
    default:
      return NULL;
    }
}

const char *
sp_stage_name (sp_stage_t stage)
{
  switch (stage)
    {
#define SP_STAGE_TEXT_(name, value, text)                                   \
  case value:                                                               \
    return text;
      SUBPROC_STAGE_TABLE (SP_STAGE_TEXT_)
#undef SP_STAGE_TEXT_
    default:
      return sp_stage_name (SP_STAGE_NONE);
    }
}

int
sp_fail (sp_fail_t *f, int code, int sys_errno, sp_stage_t stage,
         const char *what)
{
  f->code = code;
  f->sys_errno = sys_errno;
  f->stage = stage;
  f->what = what;
  return -1;
}

/* ------------------------------------------------------------------ */
/* Callbacks.  Process-wide; a tiny spin lock keeps the function and its
   opaque pointer together, and they are called outside of it.  */

typedef void (*sp_error_func) (const subproc_error_t *, void *);
typedef void (*sp_log_func) (int, const char *, void *);

static char callbacks_lock;
static sp_error_func error_func;
static void *error_opaque;
static sp_log_func log_func;
static void *log_opaque;

static void
callbacks_lock_take (void)
{
  while (__atomic_test_and_set (&callbacks_lock, __ATOMIC_ACQUIRE))
    ;
}

static void
callbacks_lock_drop (void)
{
  __atomic_clear (&callbacks_lock, __ATOMIC_RELEASE);
}

void
subproc_set_error_func (void (*func) (const subproc_error_t *, void *),
                        void *opaque)
{
  callbacks_lock_take ();
  error_func = func;
  error_opaque = opaque;
  callbacks_lock_drop ();
}

void
subproc_set_log_func (void (*func) (int, const char *, void *), void *opaque)
{
  callbacks_lock_take ();
  log_func = func;
  log_opaque = opaque;
  callbacks_lock_drop ();
}

bool
sp_log_enabled (void)
{
  return __atomic_load_n (&log_func, __ATOMIC_ACQUIRE) != NULL;
}

void
sp_log (int level, const char *fmt, ...)
{
  callbacks_lock_take ();
  sp_log_func func = log_func;
  void *opaque = log_opaque;
  callbacks_lock_drop ();
  if (func == NULL)
    return;

  int saved = errno;
  va_list ap;
  va_start (ap, fmt);
  char *msg = sp_vaprintf (fmt, ap);
  va_end (ap);
  if (msg)
    {
      int cancel = sp_backend_cancel_off ();
      func (level, msg, opaque);
      sp_backend_cancel_restore (cancel);
    }
  free (msg);
  errno = saved;
}

/* ------------------------------------------------------------------ */
/* Per-thread last error.  A fixed buffer, so that reporting never needs
   memory and nothing is left to free when a thread ends; the command keeps
   the whole message.  */

#define SP_LAST_MESSAGE_MAX 1024

static _Thread_local subproc_error_t last_error;
static _Thread_local bool last_error_set;
static _Thread_local char last_message[SP_LAST_MESSAGE_MAX];

const subproc_error_t *
subproc_last_error (void)
{
  return last_error_set ? &last_error : NULL;
}

/* Make ERR the thread's last error and tell the error callback.  */
static void
report (const subproc_error_t *err)
{
  size_t len = strlen (err->message);
  if (len >= SP_LAST_MESSAGE_MAX)
    {
      memcpy (last_message, err->message, SP_LAST_MESSAGE_MAX - 4);
      strcpy (last_message + SP_LAST_MESSAGE_MAX - 4, "...");
    }
  else
    memcpy (last_message, err->message, len + 1);
  last_error.code = err->code;
  last_error.sys_errno = err->sys_errno;
  last_error.message = last_message;
  last_error.stage = err->stage;
  last_error_set = true;

  callbacks_lock_take ();
  sp_error_func func = error_func;
  void *opaque = error_opaque;
  callbacks_lock_drop ();
  if (func)
    {
      int cancel = sp_backend_cancel_off ();
      func (err, opaque);
      sp_backend_cancel_restore (cancel);
    }
}

const subproc_error_t *
subproc_get_error (const subproc_t *cmd)
{
  if (cmd == NULL || cmd->error.code == SUBPROC_ERR_OK)
    return NULL;
  return &cmd->error;
}

bool
sp_has_error (const subproc_t *cmd)
{
  return cmd == NULL
         || (cmd->error.code != SUBPROC_ERR_OK
             && cmd->error_kind == SP_ERROR_BUILD);
}

bool
sp_has_run_error (const subproc_t *cmd)
{
  return cmd->error.code != SUBPROC_ERR_OK
         && cmd->error_kind == SP_ERROR_RUN;
}

void
sp_error_clear (subproc_t *cmd)
{
  free (cmd->error_message);
  cmd->error_message = NULL;
  cmd->error.code = SUBPROC_ERR_OK;
  cmd->error.sys_errno = 0;
  cmd->error.message = NULL;
  cmd->error.stage = SP_STAGE_NONE;
  cmd->error_kind = SP_ERROR_BUILD;
}

enum sp_error_kind
sp_error_recording (subproc_t *cmd, enum sp_error_kind kind)
{
  if (cmd == NULL)
    return SP_ERROR_BUILD;
  enum sp_error_kind before = cmd->recording;
  cmd->recording = kind;
  return before;
}

void
sp_error_forget_run (subproc_t *cmd)
{
  if (cmd->error.code != SUBPROC_ERR_OK
      && cmd->error_kind != SP_ERROR_BUILD)
    sp_error_clear (cmd);
}

void
sp_error_forget_call (subproc_t *cmd)
{
  if (cmd->error.code != SUBPROC_ERR_OK && cmd->error_kind == SP_ERROR_CALL)
    sp_error_clear (cmd);
}

/* May an error of KIND take the place of CMD's error?  A builder error
   stays until free; the first error of a run stays until the next run,
   unless a builder call fails after it; an error of a call that changed
   nothing lasts until the next one.  */
static bool
may_record (const subproc_t *cmd, enum sp_error_kind kind)
{
  if (cmd->error.code == SUBPROC_ERR_OK)
    return true;
  switch (cmd->error_kind)
    {
    case SP_ERROR_BUILD:
      return false;
    case SP_ERROR_RUN:
      return kind == SP_ERROR_BUILD;
    case SP_ERROR_CALL:
    default:
      return true;
    }
}

/* Store CODE, STAGE and the formatted message into CMD as an error of
   KIND, if it may take the place of CMD's error.  True if it did.  */
static bool
record (subproc_t *cmd, enum sp_error_kind kind, int code, int sys_errno,
        sp_stage_t stage, const char *fmt, va_list ap)
{
  if (!may_record (cmd, kind))
    return false;
  char *msg = sp_vaprintf (fmt, ap);
  sp_error_clear (cmd);
  if (msg == NULL)
    {
      /* Without memory for the message, the code's own text serves, and
         the code becomes NOMEM only if nothing else went wrong.  */
      cmd->error.message = subproc_strerror (code);
    }
  else
    {
      cmd->error_message = msg;
      cmd->error.message = msg;
    }
  cmd->error.code = code;
  cmd->error.sys_errno = sys_errno;
  cmd->error.stage = stage;
  cmd->error_kind = kind;
  return true;
}

/* Report an error that is recorded nowhere.  */
static void
report_new (int code, int sys_errno, sp_stage_t stage, const char *fmt,
            va_list ap)
{
  char *msg = sp_vaprintf (fmt, ap);
  subproc_error_t err
      = { code, sys_errno, msg ? msg : subproc_strerror (code), stage };
  report (&err);
  free (msg);
}

static int
error_v (subproc_t *cmd, enum sp_error_kind kind, int code, int sys_errno,
         sp_stage_t stage, const char *fmt, va_list ap)
{
  int saved = errno;
  va_list again;
  va_copy (again, ap);
  if (cmd == NULL)
    report_new (code, sys_errno, stage, fmt, ap);
  else if (record (cmd, kind, code, sys_errno, stage, fmt, ap)
           || kind != SP_ERROR_CALL)
    report (&cmd->error);
  else
    report_new (code, sys_errno, stage, fmt, again);
  va_end (again);
  errno = saved;
  return -1;
}

int
sp_error (subproc_t *cmd, int code, int sys_errno, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  error_v (cmd, cmd ? cmd->recording : SP_ERROR_BUILD, code, sys_errno,
           SP_STAGE_NONE, fmt, ap);
  va_end (ap);
  return -1;
}

int
sp_error_stage (subproc_t *cmd, sp_stage_t stage, int code, int sys_errno,
                const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  error_v (cmd, cmd ? cmd->recording : SP_ERROR_BUILD, code, sys_errno, stage,
           fmt, ap);
  va_end (ap);
  return -1;
}

int
sp_error_call (subproc_t *cmd, int code, int sys_errno, const char *fmt,
               ...)
{
  va_list ap;
  va_start (ap, fmt);
  error_v (cmd, SP_ERROR_CALL, code, sys_errno, SP_STAGE_NONE, fmt, ap);
  va_end (ap);
  return -1;
}

int
sp_error_thread (int code, int sys_errno, const char *fmt, ...)
{
  int saved = errno;
  va_list ap;
  va_start (ap, fmt);
  char *msg = sp_vaprintf (fmt, ap);
  va_end (ap);
  subproc_error_t err = { code, sys_errno, msg ? msg : subproc_strerror (code),
                          SP_STAGE_NONE };
  report (&err);
  free (msg);
  errno = saved;
  return -1;
}

/* Report running out of memory at STAGE.  */
static int
nomem_at (subproc_t *cmd, sp_stage_t stage)
{
  /* No formatting: it needs memory.  */
  int saved = errno;
  subproc_error_t err = { SUBPROC_ERR_NOMEM, ENOMEM,
                          subproc_strerror (SUBPROC_ERR_NOMEM), stage };
  if (cmd && may_record (cmd, cmd->recording))
    {
      enum sp_error_kind kind = cmd->recording;
      sp_error_clear (cmd);
      cmd->error = err;
      cmd->error_kind = kind;
      report (&cmd->error);
    }
  else if (cmd && cmd->recording != SP_ERROR_CALL)
    report (&cmd->error);
  else
    report (&err);
  errno = saved;
  return -1;
}

int
sp_error_nomem (subproc_t *cmd)
{
  return nomem_at (cmd, SP_STAGE_NONE);
}

int
sp_error_raise (subproc_t *cmd)
{
  /* subproc_new returns NULL only when memory runs out; libvirt's guide
     to spawning commands has the next run report it, so that callers
     need not check.  */
  if (cmd == NULL)
    return sp_error_thread (SUBPROC_ERR_NOMEM, ENOMEM,
                            "no command: creating it ran out of memory");
  report (&cmd->error);
  return -1;
}

int
sp_error_fail (subproc_t *cmd, const sp_fail_t *f)
{
  const char *prog = cmd && cmd->args.n ? cmd->args.v[0] : "(none)";
  const char *sys = f->sys_errno ? strerror (f->sys_errno) : "";
  const char *sep = f->sys_errno ? ": " : "";
  /* A pid file the backend could not write is named, whichever backend
     failed.  */
  const char *what = f->what;
  if (what == NULL && f->stage == SP_STAGE_PIDFILE && cmd)
    what = cmd->opt.pid_file;

  if (f->code == SUBPROC_ERR_NOMEM)
    return nomem_at (cmd, f->stage);
  if (f->stage == SP_STAGE_USER)
    {
      unsigned long long uid = cmd ? (unsigned long long) cmd->opt.uid : 0;
      if (f->code == SUBPROC_ERR_INVALID)
        return sp_error_stage (cmd, f->stage, f->code, f->sys_errno,
                               "cannot run '%s': user id %llu has no entry in "
                               "the user database, so its group is unknown: "
                               "give one with subproc_set_gid",
                               prog, uid);
      return sp_error_stage (cmd, f->stage, f->code, f->sys_errno,
                             "cannot run '%s': looking up user id %llu "
                             "failed%s%s",
                             prog, uid, sep, sys);
    }
  if (f->stage == SP_STAGE_CGROUP && f->code != SUBPROC_ERR_UNSUPPORTED)
    {
      /* The directory, and what the kernel's refusal means.  */
      const char *dir = cmd && cmd->opt.cgroup ? cmd->opt.cgroup : "";
      const char *why = f->what ? f->what : sys;
      const char *hint = "";
      if (f->what == NULL && f->sys_errno == EBUSY)
        hint = " (it has controllers enabled in its cgroup.subtree_control: "
               "only a cgroup without them can hold processes)";
#ifdef EOPNOTSUPP
      if (f->what == NULL && f->sys_errno == EOPNOTSUPP)
        hint = " (its cgroup.type is \"domain invalid\": below a threaded "
               "cgroup, only a threaded one can hold processes)";
#endif
      return sp_error_stage (cmd, f->stage, f->code, f->sys_errno,
                             "cannot run '%s': entering the cgroup %s failed: "
                             "%s%s",
                             prog, dir, why, hint);
    }
  switch (f->code)
    {
    case SUBPROC_ERR_NOT_FOUND:
      return sp_error_stage (cmd, f->stage, f->code, f->sys_errno,
                             "cannot find program '%s'%s%s", prog, sep, sys);
    case SUBPROC_ERR_UNSUPPORTED:
      /* The platform has the option but this system cannot honour it
         (a security module not active, a kernel without core
         scheduling): WHAT says why.  */
      if ((f->stage == SP_STAGE_SECURITY || f->stage == SP_STAGE_SCHED_CORE)
          && f->what)
        return sp_error_stage (cmd, f->stage, f->code, f->sys_errno,
                               "cannot run '%s': %s", prog, f->what);
      return sp_error_stage (cmd, f->stage, f->code, f->sys_errno,
                             "cannot run '%s': %s is not supported on this "
                             "platform",
                             prog, f->what ? f->what : "an option");
    case SUBPROC_ERR_HOOK:
      return sp_error_stage (cmd, f->stage, f->code, f->sys_errno,
                             "cannot run '%s': the pre-exec hook failed%s%s",
                             prog, sep, sys);
    default:
      return sp_error_stage (cmd, f->stage, f->code, f->sys_errno,
                             "cannot run '%s': %s%s%s%s failed%s%s", prog,
                             sp_stage_name (f->stage), what ? " (" : "",
                             what ? what : "", what ? ")" : "", sep, sys);
    }
}
