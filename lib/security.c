/* security.c: the security-module and core-scheduling options.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The builder calls only check and record; the backend decides at run
 * time whether the system can honour them (src/posix/security.c) and
 * the child applies them just before exec.
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

const char *sp_backend_test_attr_dir;

/* Check LABEL for FUNC: 0, or -1 with the command's error set.  PREFIX
   bytes go before it in the kernel's write and SUFFIX after (a NUL);
   EDGES: white space at either end is refused (AppArmor strips it, so
   the profile would not be the one named).  */
static int
check_label (subproc_t *cmd, const char *label, size_t prefix,
             size_t suffix, bool edges, const char *func)
{
  if (label == NULL)
    return sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL argument",
                     func);
  size_t len = strlen (label);
  if (len == 0)
    return sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: empty label",
                     func);
  /* The kernel takes at most a page in one write to a /proc attribute
     and cuts the rest off silently.  */
  if (len > SP_ATTR_MAX - prefix - suffix)
    return sp_error (cmd, SUBPROC_ERR_INVALID, E2BIG,
                     "%s: a label of %zu bytes is too long (at most %zu)",
                     func, len, (size_t) SP_ATTR_MAX - prefix - suffix);
  /* A newline would end the context for SELinux (which strips a
     trailing one and takes a leading one as "none") and the command
     for AppArmor; no valid label has a control character.  */
  for (size_t i = 0; i < len; i++)
    {
      unsigned char c = (unsigned char) label[i];
      if (c < 0x20 || c == 0x7f)
        return sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                         "%s: control character %#x in label", func, c);
    }
  if (edges && (label[0] == ' ' || label[len - 1] == ' '))
    return sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                     "%s: white space at either end of '%s'", func, label);
  sp_fail_t f;
  if (sp_backend_check_string (label, &f) < 0)
    return sp_error (cmd, f.code, f.sys_errno, "%s: invalid string '%s'",
                     func, label);
  return 0;
}

/* Replace *SLOT by a copy of LABEL, already checked.  */
static void
set_label (subproc_t *cmd, char **slot, const char *label)
{
  char *copy = sp_strdup (label);
  if (copy == NULL)
    {
      sp_error_nomem (cmd);
      return;
    }
  free (*slot);
  *slot = copy;
}

void
subproc_set_selinux_label (subproc_t *cmd, const char *label)
{
  /* LABEL and its NUL, as libselinux writes them.  */
  if (sp_building (cmd, __func__)
      && check_label (cmd, label, 0, 1, false, __func__) == 0)
    set_label (cmd, &cmd->opt.selinux_label, label);
}

void
subproc_set_apparmor_profile (subproc_t *cmd, const char *profile)
{
  /* "exec PROFILE", as libapparmor writes it.  */
  if (sp_building (cmd, __func__)
      && check_label (cmd, profile, 5, 0, true, __func__) == 0)
    set_label (cmd, &cmd->opt.apparmor_profile, profile);
}

void
subproc_set_run_alone (subproc_t *cmd)
{
  if (!sp_building (cmd, __func__))
    return;
  cmd->opt.sched_core = SP_SCHED_CORE_ALONE;
  cmd->opt.sched_core_pid = 0;
}

void
subproc_set_run_among (subproc_t *cmd, pid_t pid)
{
  if (!sp_building (cmd, __func__))
    return;
  /* 0 would be the child itself, a negative number no process.  */
  if (pid <= 0)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: %lld is not a process id", __func__, (long long) pid);
      return;
    }
  cmd->opt.sched_core = SP_SCHED_CORE_AMONG;
  cmd->opt.sched_core_pid = pid;
}
