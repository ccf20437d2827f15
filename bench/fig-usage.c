/* fig-usage.c: make bench's figure 7, the cost of a child's usage.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The library reaps with wait4, which fills the child's rusage in the
 * same system call as the reap, and keeps it in the command; asking
 * with subproc_get_usage copies it.  Two pairs, measured interleaved:
 * a raw vfork+execve reaped with waitpid against the same reaped with
 * wait4 and a struct rusage (what recording costs in the kernel), and
 * subproc_run against subproc_run followed by subproc_get_usage (what
 * asking costs), both with the tiny static child.
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "subproc.h"

extern char **environ;

/* M_VFORK_WAIT4: raw vfork+execve, reaped with wait4 and its rusage.  */
int
op_vfork_wait4 (const task_t *t, char *why)
{
  char *argv[] = { (char *) t->path, (char *) t->arg1, NULL };
  struct rusage ru;
  int st;
  pid_t pid = raw_start (M_VFORK, argv, -1, -1);
  if (pid < 0)
    {
      why_set (why, "%s", strerror (errno));
      return OP_FAILED;
    }
  while (wait4 (pid, &st, 0, &ru) < 0)
    if (errno != EINTR)
      {
        why_set (why, "wait4: %s", strerror (errno));
        return OP_FAILED;
      }
  if (!WIFEXITED (st) || WEXITSTATUS (st) != 0 || ru.ru_utime.tv_sec < 0)
    {
      why_set (why, "child status %#x", (unsigned int) st);
      return OP_FAILED;
    }
  return OP_OK;
}

/* M_SUBPROC_USAGE: subproc_run, then subproc_get_usage.  */
int
op_subproc_usage (const task_t *t, char *why)
{
  subproc_t *cmd = subproc_new (t->path);
  subproc_usage_t u = { .size = sizeof u };
  int st = -1;
  if (t->arg1)
    subproc_add_arg (cmd, t->arg1);
  int r = subproc_run (cmd, &st);
  if (r == 0)
    r = subproc_get_usage (cmd, &u);
  if (r < 0)
    why_set (why, "%s", subproc_get_error (cmd)->message);
  else if (st != 0 || !(u.known & SUBPROC_USAGE_USER_TIME))
    {
      why_set (why, "status %d, usage bits %#llx", st,
               (unsigned long long) u.known);
      r = -1;
    }
  subproc_free (cmd);
  return r < 0 ? OP_FAILED : OP_OK;
}

void
fig_usage (void)
{
  task_t t = { .path = static_child };
  cell_t cells[4] = {
    { .method = M_VFORK, .task = &t },
    { .method = M_VFORK_WAIT4, .task = &t },
    { .method = M_SUBPROC, .task = &t },
    { .method = M_SUBPROC_USAGE, .task = &t },
  };
  char what[96];
  snprintf (what, sizeof what, "static child, usage");
  progress ("figure 7: %s", what);
  /* A few seconds at most: the four share the budget of one group.  */
  measure (cells, 4, opt.max_rounds, opt.quick ? 2 : 5,
           opt.budget < 4 ? opt.budget : 4);
  cells_to_rows (cells, 2, 7, "static child: waitpid vs wait4", U_US, 0,
                 M_VFORK);
  cells_to_rows (cells + 2, 2, 7, "static child: usage not asked vs asked",
                 U_US, 0, M_SUBPROC);
}
