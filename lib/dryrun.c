/* dryrun.c: per-thread dry-run mode for unit tests of callers' code.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static _Thread_local bool dry_active;
static _Thread_local subproc_dry_run_func dry_func;
static _Thread_local void *dry_opaque;
static _Thread_local sp_buf_t dry_log;

bool
sp_dry_run_active (void)
{
  return dry_active;
}

int
subproc_dry_run_begin (subproc_dry_run_func func, void *opaque)
{
  if (dry_active)
    return sp_error_thread (SUBPROC_ERR_STATE, 0,
                            "dry run is already active on this thread");
  sp_buf_t log = { 0 };
  if (sp_buf_reserve (&log, 256) < 0)
    return sp_error_nomem (NULL);
  dry_log = log;
  dry_func = func;
  dry_opaque = opaque;
  dry_active = true;
  return 0;
}

char *
subproc_dry_run_end (void)
{
  if (!dry_active)
    return NULL;
  dry_active = false;
  dry_func = NULL;
  dry_opaque = NULL;
  return sp_buf_steal (&dry_log, NULL);
}

static size_t
fake_len (const char *data, size_t len)
{
  if (data == NULL)
    return 0;
  return len == (size_t) -1 ? strlen (data) : len;
}

int
sp_dry_run (subproc_t *cmd)
{
  cmd->dry_run = true;
  size_t mark = dry_log.len;
  if (sp_format_command (cmd, true, &dry_log) < 0
      || sp_buf_append (&dry_log, "\n", 1) < 0)
    {
      /* Leave the log as it was.  */
      dry_log.len = mark;
      if (dry_log.data)
        dry_log.data[mark] = '\0';
      return sp_error_nomem (cmd);
    }

  subproc_dry_run_io_t io = {
    .args = (const char *const *) cmd->args.v,
    .env = cmd->env_custom ? (const char *const *) cmd->env.v : NULL,
    .input = cmd->has_input ? cmd->input.data : NULL,
    .input_len = cmd->has_input ? cmd->input.len : 0,
    .output_len = (size_t) -1,
    .error_len = (size_t) -1,
  };
  static const char *const no_env[] = { NULL };
  if (cmd->env_custom && io.env == NULL)
    io.env = no_env;
  if (dry_func)
    {
      int cancel = sp_backend_cancel_off ();
      dry_func (&io, dry_opaque);
      sp_backend_cancel_restore (cancel);
    }

  /* The fake exit code becomes a wait status, as a real child's would:
     subproc_raw_status sees it encoded, the low 8 bits on POSIX.  */
  cmd->raw_status_value = sp_backend_status_encode (io.status);
  cmd->reaped = true;
  return sp_sinks_fill (cmd, io.output, fake_len (io.output, io.output_len),
                        io.error, fake_len (io.error, io.error_len));
}
