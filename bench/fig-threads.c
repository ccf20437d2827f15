/* fig-threads.c: make bench's figure 5, spawns from several threads.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Spawns per second from 1 and from 2 threads at once.
 */

#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* ------------------------------------------------------------------ */
/* Figure 5.  */

typedef struct thread_job
{
  int method;
  int count;
  int failed;
  char why[WHY_LEN];
} thread_job_t;

static void *
thread_main (void *arg)
{
  thread_job_t *j = arg;
  task_t t = { .path = static_child };
  for (int i = 0; i < j->count && !j->failed; i++)
    {
      int r = run_task (j->method, &t, j->why);
      if (r != OP_OK)
        j->failed = r;
    }
  return NULL;
}

/* Spawns per second with THREADS threads at once, or -1 with WHY.  */
static double
thread_rate (int m, int threads, char *why, int *state)
{
  pthread_t th[2];
  thread_job_t jobs[2];
  double t0 = now_s ();
  for (int i = 0; i < threads; i++)
    {
      memset (&jobs[i], 0, sizeof jobs[i]);
      jobs[i].method = m;
      jobs[i].count = opt.thread_spawns;
      if (pthread_create (&th[i], NULL, thread_main, &jobs[i]) != 0)
        die ("pthread_create failed");
    }
  for (int i = 0; i < threads; i++)
    pthread_join (th[i], NULL);
  double t1 = now_s ();
  for (int i = 0; i < threads; i++)
    if (jobs[i].failed)
      {
        copy_str (why, WHY_LEN, jobs[i].why);
        *state = jobs[i].failed;
        return -1;
      }
  return (double) threads * opt.thread_spawns / (t1 - t0);
}

void
fig_threads (void)
{
  static const int methods[] = { M_VFORK, M_POSIX_SPAWN, M_SUBPROC,
                                 M_GLIB };
  enum { N = sizeof methods / sizeof methods[0] };
  double rate[2][N][9];
  int n[2][N], state[2][N];
  char why[2][N][WHY_LEN];
  int rounds = opt.quick ? 1 : 5;
  memset (n, 0, sizeof n);
  for (int s = 0; s < 2; s++)
    for (int i = 0; i < N; i++)
      {
        state[s][i] = method_missing (methods[i]) ? OP_NA : OP_OK;
        snprintf (why[s][i], WHY_LEN, "skipped: %s",
                  method_missing (methods[i]) ? method_missing (methods[i])
                                              : "");
      }
  progress ("figure 5: %d spawns per thread, 1 and 2 threads",
            opt.thread_spawns);
  for (int round = 0; round < rounds; round++)
    for (int i = 0; i < N; i++)
      for (int s = 0; s < 2; s++)
        {
          if (state[s][i] != OP_OK)
            continue;
          double r = thread_rate (methods[i], s + 1, why[s][i], &state[s][i]);
          if (r > 0)
            rate[s][i][n[s][i]++] = r;
        }
  static const char *const what[2] = { "static child, 1 thread",
                                       "static child, 2 threads" };
  for (int s = 0; s < 2; s++)
    for (int i = 0; i < N; i++)
      {
        row_t *r = add_row (5, what[s], methods[i], U_PER_S);
        r->n = n[s][i];
        if (state[s][i] == OP_NA)
          copy_str (r->note, sizeof r->note, why[s][i]);
        else if (state[s][i] != OP_OK || n[s][i] == 0)
          {
            snprintf (r->note, sizeof r->note, "FAILED: %.180s", why[s][i]);
            r->failed = true;
            any_failed = true;
          }
        else
          r->value = median (rate[s][i], n[s][i]);
        if (s == 1)
          {
            row_t *one = find_row (5, what[0], methods[i]);
            if (one && one->value > 0 && r->value > 0)
              {
                r->ratio = r->value / one->value;
                snprintf (r->vs, sizeof r->vs, "same, 1 thread");
              }
          }
      }
}
