/* usage.c: what the child of a run used (subproc_get_usage).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The backend gives the figures at the reap, while it still holds the
 * child (the Win32 job is closed with the proc); the command keeps them
 * until its next run, so that asking costs no system call and works
 * however late the caller asks.
 */

#include <config.h>

#include <errno.h>
#include <string.h>

#include "internal.h"

/* Every bit this version defines: what a dry run knows (all zero).  */
#define ALL_KNOWN                                                           \
  ((uint64_t) SUBPROC_USAGE_USER_TIME | SUBPROC_USAGE_SYSTEM_TIME          \
   | SUBPROC_USAGE_WALL_TIME | SUBPROC_USAGE_MAX_RSS                        \
   | SUBPROC_USAGE_PAGE_FAULTS | SUBPROC_USAGE_MINOR_FAULTS                 \
   | SUBPROC_USAGE_MAJOR_FAULTS | SUBPROC_USAGE_VOLUNTARY_SWITCHES          \
   | SUBPROC_USAGE_INVOLUNTARY_SWITCHES | SUBPROC_USAGE_PROCESSES           \
   | SUBPROC_USAGE_PEAK_COMMIT)

void
sp_usage_forget (subproc_t *cmd)
{
  memset (&cmd->usage, 0, sizeof cmd->usage);
  cmd->usage_known = cmd->usage_unsupported = false;
}

void
sp_usage_record (subproc_t *cmd)
{
  sp_fail_t f;

  sp_usage_forget (cmd);
  if (cmd->proc == NULL)
    return;
  int saved = errno;
  if (sp_backend_usage (cmd->proc, &cmd->usage, &f) == 0)
    cmd->usage_known = true;
  else
    cmd->usage_unsupported = f.code == SUBPROC_ERR_UNSUPPORTED;
  cmd->usage.size = sizeof cmd->usage;
  errno = saved;
}

/* Copy the figures of U to the caller's OUT, which has OUT->size bytes:
   as many as fit, and the rest of the caller's room zeroed (fields of a
   later version, which this one does not know: their bits stay
   clear).  */
static void
copy_out (const subproc_usage_t *u, subproc_usage_t *out)
{
  size_t room = out->size;
  size_t n = room < sizeof *u ? room : sizeof *u;

  memcpy ((char *) out + sizeof out->size, (const char *) u + sizeof u->size,
          n - sizeof out->size);
  if (room > sizeof *u)
    memset ((char *) out + sizeof *u, 0, room - sizeof *u);
  out->size = room;
}

int
subproc_get_usage (subproc_t *cmd, subproc_usage_t *usage)
{
  if (cmd == NULL)
    return sp_error_raise (cmd);
  /* 0.2.0's structure is the smallest there will ever be.  */
  if (usage == NULL || usage->size < sizeof (subproc_usage_t))
    return sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL,
                          "subproc_get_usage: %s",
                          usage == NULL ? "no structure to fill"
                                        : "its size member is too small "
                                          "(set it to "
                                          "sizeof (subproc_usage_t))");
  if (cmd->state == SP_STATE_DONE && cmd->dry_run)
    {
      subproc_usage_t none;
      memset (&none, 0, sizeof none);
      none.known = ALL_KNOWN;
      copy_out (&none, usage);
      return 0;
    }
  if (cmd->state == SP_STATE_DONE && cmd->usage_unsupported)
    return sp_error_call (cmd, SUBPROC_ERR_UNSUPPORTED, ENOSYS,
                          "no usage for '%s': not supported on this "
                          "platform for this command",
                          cmd->args.v[0]);
  if (cmd->state != SP_STATE_DONE || !cmd->usage_known)
    return sp_error_call (cmd, SUBPROC_ERR_STATE, 0,
                          "no usage for '%s': %s", cmd->args.v[0],
                          cmd->state == SP_STATE_NEW ? "it has not run"
                          : cmd->state == SP_STATE_RUNNING
                            ? "its child is still running"
                            : "its last run reaped no child");
  copy_out (&cmd->usage, usage);
  return 0;
}
