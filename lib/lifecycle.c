/* lifecycle.c: a child after its spawn: deadline, waiting, stopping, reaping.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The running of commands (run.c) and the capture engine (capture.c)
 * both stop children and watch the deadline; they do it through the
 * functions here, which call only the backend and the error layer, so
 * that neither of the two calls the other back.
 */

#include <config.h>

#include <errno.h>

#include "internal.h"

/* ------------------------------------------------------------------ */
/* The deadline.  */

void
sp_deadline_start (subproc_t *cmd)
{
  cmd->deadline = cmd->timeout_ms ? sp_backend_now_ms () + cmd->timeout_ms
                                  : 0;
}

int
sp_time_left (const subproc_t *cmd)
{
  if (cmd->deadline == 0)
    return -1;
  int64_t left = cmd->deadline - sp_backend_now_ms ();
  if (left <= 0)
    return 0;
  return left > 0x7fffffff ? 0x7fffffff : (int) left;
}

int
sp_error_timeout (subproc_t *cmd)
{
  return sp_error (cmd, SUBPROC_ERR_TIMEOUT, ETIMEDOUT,
                   "'%s' did not finish within %u ms and was stopped",
                   cmd->args.v[0], cmd->timeout_ms);
}

/* ------------------------------------------------------------------ */
/* Stopping and reaping.  */

/* The child of CMD has been reaped with status RAW.  */
static void
reaped (subproc_t *cmd, int raw)
{
  cmd->raw_status_value = raw;
  cmd->reaped = true;
  /* Asked now: what tells it (the CPU time used) goes with the proc.  */
  sp_backend_limit_ended (cmd->proc, &cmd->opt, raw, &cmd->limit_hit);
  uint64_t memory_max;
  if (cmd->limit_hit.which == SP_LIMIT_NONE
      && sp_backend_limit_hit (cmd->proc, raw, &memory_max) == 1)
    {
      cmd->limit_hit.which = SP_LIMIT_CGROUP_MEMORY;
      cmd->limit_hit.value = memory_max;
    }
  sp_usage_record (cmd);
  sp_backend_release (cmd->proc);
  cmd->proc = NULL;
  /* Reaped here, the pid means nothing to subproc_pid_wait any more.  */
  if (cmd->pid_given)
    sp_backend_forget (cmd->pid);
}

int
sp_proc_stop (sp_proc_t *proc, bool group, unsigned int grace_ms, bool reap,
              int *raw, sp_fail_t *f)
{
  int grace = grace_ms > 0x7fffffff ? 0x7fffffff : (int) grace_ms;
  if (grace == 0)
    sp_backend_kill (proc, group);
  else
    {
      sp_backend_terminate (proc, group);
      if (sp_backend_wait_exit (proc, grace) != 1 || group)
        sp_backend_kill (proc, group);
    }
  if (!reap)
    return 0;
  /* A failure the child reported is read once; the status is there.  */
  if (sp_backend_wait (proc, -1, raw, f) == 1)
    return 1;
  return sp_backend_wait (proc, -1, raw, f);
}

void
sp_child_halt (subproc_t *cmd)
{
  sp_proc_stop (cmd->proc, cmd->opt.new_process_group, cmd->opt.grace_ms,
                false, NULL, NULL);
}

void
sp_child_stop (subproc_t *cmd)
{
  sp_fail_t f;
  int raw;

  if (cmd->proc == NULL)
    return;
  if (sp_proc_stop (cmd->proc, cmd->opt.new_process_group, cmd->opt.grace_ms,
                    true, &raw, &f)
      != 1)
    {
      /* Nothing more can be done; do not wait on it again.  */
      sp_backend_release (cmd->proc);
      cmd->proc = NULL;
      return;
    }
  reaped (cmd, raw);
}

int
sp_child_wait (subproc_t *cmd)
{
  sp_fail_t f;
  int raw;

  if (cmd->reaped)
    return 0;
  if (cmd->proc == NULL)
    return sp_error (cmd, SUBPROC_ERR_STATE, 0,
                     "command '%s' has no child to wait for",
                     cmd->args.v[0]);
  int r = sp_backend_wait (cmd->proc, sp_time_left (cmd), &raw, &f);
  if (r < 0)
    return sp_error_fail (cmd, &f);
  if (r == 0)
    {
      sp_child_stop (cmd);
      return sp_error_timeout (cmd);
    }
  reaped (cmd, raw);
  return 0;
}

void
sp_child_forget_lost (subproc_t *cmd)
{
  if (cmd->proc == NULL)
    return;
  if (cmd->pid_given && !cmd->reaped)
    sp_backend_disown (cmd->proc);
  else
    sp_backend_release (cmd->proc);
  cmd->proc = NULL;
}

void
sp_child_let_go (subproc_t *cmd)
{
  if (cmd->proc && !cmd->reaped)
    {
      if (cmd->pid_given)
        sp_backend_disown (cmd->proc);
      else
        sp_child_stop (cmd);
      if (cmd->proc && cmd->pid_given)
        cmd->proc = NULL;
    }
  if (cmd->proc)
    sp_backend_release (cmd->proc);
  cmd->proc = NULL;
}
