/* fig-spawn.c: make bench's figures 1 and 2, spawn + wait.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A tiny static and a dynamic child, spawned and waited for, then the
 * same with their output captured, by every method; main runs them with
 * the parent small and again with the parent large.
 */

#include <config.h>

#include <stdio.h>

#include "bench.h"

/* ------------------------------------------------------------------ */
/* Figures 1 and 2.  */

/* The methods that share the parent's memory first, then those that
   fork.  The two groups are measured apart: after a fork every page of
   the parent is copy-on-write, and the next writes to it fault, which
   would charge the forks' after-effects to the methods that follow.  */
const int spawn_methods[N_SPAWN_METHODS] = {
  M_VFORK, M_SAFE, M_POSIX_SPAWN, M_SUBPROC, M_FORK, M_GLIB, M_UV, M_PIPELINE
};

/* Measure the spawn cells in their two groups.  */
void
measure_spawn (cell_t *cells, int max_rounds, int min_rounds, double budget)
{
  measure (cells, N_NOFORK_METHODS, max_rounds, min_rounds, budget);
  measure (cells + N_NOFORK_METHODS, N_SPAWN_METHODS - N_NOFORK_METHODS,
           max_rounds, min_rounds, budget);
}

void
parent_label (char *buf, size_t len)
{
  long rss = status_kib ("VmRSS:");
  snprintf (buf, len, "parent %ld MB", (long) ((double) rss * 1024 / 1e6 + 0.5));
}

void
fig_spawn (const char *size_label)
{
  int max_rounds = opt.max_rounds;
  for (int capture = 0; capture <= 1; capture++)
    for (int dyn = 0; dyn <= 1; dyn++)
      {
        task_t t = { .path = dyn ? dynamic_child : static_child,
                     .arg1 = capture ? "p" : NULL,
                     .capture = capture != 0,
                     .expect = 3 };
        cell_t cells[N_SPAWN_METHODS];
        for (int i = 0; i < N_SPAWN_METHODS; i++)
          {
            cells[i].method = spawn_methods[i];
            cells[i].task = &t;
          }
        char what[96];
        snprintf (what, sizeof what, "%s child, %s", dyn ? "dynamic" : "static",
                  size_label);
        progress ("figure %d: %s", capture ? 2 : 1, what);
        measure_spawn (cells, max_rounds, opt.quick ? 2 : 5, opt.budget);
        cells_to_rows (cells, N_SPAWN_METHODS, capture ? 2 : 1, what, U_US,
                       0, M_VFORK);
      }
}
