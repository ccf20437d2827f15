/* getters.c: what a command was told, for callers that build on it.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>

#include "internal.h"

/* The common start: CMD and OUT given, no builder error (whose value
   would not be the one set).  0, or -1 with the error reported.  */
static int
check (subproc_t *cmd, const void *out, const char *func)
{
  if (sp_has_error (cmd))
    return sp_error_raise (cmd);
  if (out == NULL)
    return sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL,
                          "%s: NULL argument", func);
  return 0;
}

int
subproc_get_uid (subproc_t *cmd, subproc_uid_t *uid)
{
  if (uid)
    *uid = (subproc_uid_t) -1;
  if (check (cmd, uid, __func__) < 0)
    return -1;
  if (!cmd->opt.set_uid)
    return 0;
  *uid = cmd->opt.uid;
  return 1;
}

int
subproc_get_gid (subproc_t *cmd, subproc_gid_t *gid)
{
  if (gid)
    *gid = (subproc_gid_t) -1;
  if (check (cmd, gid, __func__) < 0)
    return -1;
  if (!cmd->opt.set_gid)
    return 0;
  *gid = cmd->opt.gid;
  return 1;
}

int
subproc_get_pass_fd_index (subproc_t *cmd, int fd)
{
  if (sp_has_error (cmd))
    return sp_error_raise (cmd);
  /* The descriptors still passed, in the order they were first passed:
     one that a run closed (SUBPROC_PASS_FD_CLOSE_PARENT) is not passed
     any more and takes no place.  */
  int index = 0;
  for (size_t i = 0; i < cmd->n_pass_fds; i++)
    {
      if (cmd->pass_fds[i].closed)
        continue;
      if (cmd->pass_fds[i].fd == fd)
        return index;
      index++;
    }
  return sp_error_call (cmd, SUBPROC_ERR_INVALID, EBADF,
                        "%s: descriptor %d is not passed to '%s'", __func__,
                        fd, cmd->args.v[0]);
}
