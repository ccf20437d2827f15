/* fig-fds.c: make bench's figure 3, spawning with many descriptors.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Spawn + wait with many descriptors open and RLIMIT_NOFILE at the hard
 * limit, against the same spawn with the usual few descriptors.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "bench.h"

/* ------------------------------------------------------------------ */
/* Figure 3.  */

void
fig_fds (void)
{
  struct rlimit old, rl;
  getrlimit (RLIMIT_NOFILE, &old);
  task_t t = { .path = static_child };
  cell_t cells[N_SPAWN_METHODS];
  static const char *const what[2]
    = { "static child, few fds", "static child, 1000 fds, nofile=hard" };
  char what_many[96];
  snprintf (what_many, sizeof what_many,
            "static child, %d fds, nofile=%llu (hard)", opt.nfds,
            (unsigned long long) old.rlim_max);
  int *fds = calloc ((size_t) opt.nfds, sizeof *fds);
  if (fds == NULL)
    die ("out of memory");

  /* Few descriptors first, then many, then both again: two halves each,
     pooled, so that a slow spell of the machine hits both.  */
  double *pool[2][N_SPAWN_METHODS];
  int n_pool[2][N_SPAWN_METHODS];
  int state[2][N_SPAWN_METHODS];
  char why[2][N_SPAWN_METHODS][WHY_LEN];
  memset (n_pool, 0, sizeof n_pool);
  for (int s = 0; s < 2; s++)
    for (int i = 0; i < N_SPAWN_METHODS; i++)
      {
        pool[s][i] = calloc ((size_t) opt.max_rounds, sizeof (double));
        if (pool[s][i] == NULL)
          die ("out of memory");
        state[s][i] = OP_OK;
        why[s][i][0] = '\0';
      }

  progress ("figure 3: %d descriptors, RLIMIT_NOFILE %llu", opt.nfds,
            (unsigned long long) old.rlim_max);
  for (int pass = 0; pass < 4; pass++)
    {
      int s = pass % 2;
      if (s == 1)
        {
          rl = old;
          rl.rlim_cur = rl.rlim_max;
          if (setrlimit (RLIMIT_NOFILE, &rl) < 0)
            die ("setrlimit: %s", strerror (errno));
          for (int k = 0; k < opt.nfds; k++)
            if ((fds[k] = open ("/dev/null", O_RDONLY)) < 0)
              die ("cannot open descriptor %d of %d: %s", k, opt.nfds,
                   strerror (errno));
        }
      for (int i = 0; i < N_SPAWN_METHODS; i++)
        {
          cells[i].method = spawn_methods[i];
          cells[i].task = &t;
        }
      measure_spawn (cells, opt.max_rounds / 2, opt.quick ? 1 : 3,
                     opt.budget / 2);
      for (int i = 0; i < N_SPAWN_METHODS; i++)
        {
          if (cells[i].state != OP_OK && state[s][i] == OP_OK)
            {
              state[s][i] = cells[i].state;
              copy_str (why[s][i], WHY_LEN, cells[i].why);
            }
          for (int k = 0; k < cells[i].n; k++)
            pool[s][i][n_pool[s][i]++] = cells[i].samples[k];
          free (cells[i].samples);
        }
      if (s == 1)
        {
          for (int k = 0; k < opt.nfds; k++)
            close (fds[k]);
          setrlimit (RLIMIT_NOFILE, &old);
        }
    }
  free (fds);

  for (int s = 0; s < 2; s++)
    {
      for (int i = 0; i < N_SPAWN_METHODS; i++)
        {
          cells[i].method = spawn_methods[i];
          cells[i].task = &t;
          cells[i].samples = pool[s][i];
          cells[i].n = n_pool[s][i];
          cells[i].state = state[s][i];
          copy_str (cells[i].why, WHY_LEN, why[s][i]);
        }
      cells_to_rows (cells, N_SPAWN_METHODS, 3, s ? what_many : what[0],
                     U_US, 0, M_VFORK);
    }
  /* The many-descriptor rows compare with the same method's few.  */
  for (int i = 0; i < N_SPAWN_METHODS; i++)
    {
      row_t *few = find_row (3, what[0], spawn_methods[i]);
      row_t *many = find_row (3, what_many, spawn_methods[i]);
      if (few && many && few->value > 0 && many->value > 0)
        {
          many->ratio = many->value / few->value;
          snprintf (many->vs, sizeof many->vs, "same, few fds");
        }
    }
}
