/* fig-capture.c: make bench's figure 4, capture throughput and memory.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Capture throughput of a large output, and of input and output at once,
 * against a plain read() loop; the peak RSS of the capturing process,
 * measured in a fresh process (this program again, with --rss-probe).
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

/* ------------------------------------------------------------------ */
/* Figure 4.  */

static char *input_data;

void
fig_capture (void)
{
  size_t size = (size_t) opt.capture_mb << 20;
  char arg[32];
  snprintf (arg, sizeof arg, "%zu", size);
  task_t t = { .path = static_child, .arg1 = "o", .arg2 = arg,
               .capture = true, .expect = size };
  static const int methods[] = { M_VFORK, M_DISCARD, M_PREFAULT, M_SUBPROC,
                                 M_GLIB, M_UV, M_PIPELINE };
  enum { N = sizeof methods / sizeof methods[0] };
  cell_t cells[N];
  char what[96];

  prefault_len = size + 1;
  prefault_buf = malloc (prefault_len);
  if (prefault_buf == NULL)
    die ("out of memory");
  memset (prefault_buf, 1, prefault_len);

  snprintf (what, sizeof what, "capture %ld MiB", opt.capture_mb);
  progress ("figure 4: %s", what);
  for (int i = 0; i < N; i++)
    {
      cells[i].method = methods[i];
      cells[i].task = &t;
    }
  warm_bytes = size;
  measure (cells, N, opt.quick ? 3 : 7, opt.quick ? 1 : 3,
           opt.quick ? 1 : opt.budget * 5);
  warm_bytes = 0;
  cells_to_rows (cells, N, 4, what, U_MIBS, (double) size, M_VFORK);
  for (size_t i = n_rows - N; i < n_rows; i++)
    if (rows[i].ratio > 0)
      snprintf (rows[i].vs, sizeof rows[i].vs, "plain read() loop");
  free (prefault_buf);
  prefault_buf = NULL;
  prefault_len = 0;

  /* Input and output at once, against output alone.  */
  size_t io = (size_t) opt.inout_mb << 20;
  input_data = malloc (io);
  if (input_data == NULL)
    die ("out of memory");
  memset (input_data, 'y', io);
  char ioarg[32];
  snprintf (ioarg, sizeof ioarg, "%zu", io);
  task_t out_only = { .path = static_child, .arg1 = "o", .arg2 = ioarg,
                      .capture = true, .expect = io };
  task_t both = { .path = static_child, .arg1 = "c", .capture = true,
                  .input = input_data, .input_len = io, .expect = io };
  static const int io_methods[] = { M_VFORK, M_SUBPROC, M_GLIB, M_UV,
                                    M_PIPELINE };
  enum { NIO = sizeof io_methods / sizeof io_methods[0] };
  cell_t io_cells[2 * NIO];
  for (int i = 0; i < NIO; i++)
    {
      io_cells[i].method = io_methods[i];
      io_cells[i].task = &out_only;
      io_cells[NIO + i].method = io_methods[i];
      io_cells[NIO + i].task = &both;
    }
  char what_out[96], what_both[96];
  snprintf (what_out, sizeof what_out, "%ld MiB out only", opt.inout_mb);
  snprintf (what_both, sizeof what_both, "%ld MiB in + %ld MiB out at once",
            opt.inout_mb, opt.inout_mb);
  progress ("figure 4: %s", what_both);
  warm_bytes = 3 * io;
  measure (io_cells, 2 * NIO, opt.quick ? 3 : 15, opt.quick ? 1 : 5,
           opt.quick ? 1 : opt.budget * 2);
  warm_bytes = 0;
  cells_to_rows (io_cells, NIO, 4, what_out, U_MS, 0, -1);
  cells_to_rows (io_cells + NIO, NIO, 4, what_both, U_MS, 0, -1);
  for (int i = 0; i < NIO; i++)
    {
      row_t *o = find_row (4, what_out, io_methods[i]);
      row_t *b = find_row (4, what_both, io_methods[i]);
      if (o && b && o->value > 0 && b->value > 0)
        {
          b->ratio = b->value / o->value;
          snprintf (b->vs, sizeof b->vs, "same, out only");
        }
    }
  free (input_data);
  input_data = NULL;
}

/* Peak RSS: this program again, in --rss-probe mode, captures SIZE bytes
   with method M and prints its VmHWM before and after.  */
static int
probe_rss (int m, size_t size, long *before_kib, long *peak_kib, char *why)
{
  char marg[16], sarg[32];
  snprintf (marg, sizeof marg, "%d", m);
  snprintf (sarg, sizeof sarg, "%zu", size);
  char *argv[] = { self_exe, (char *) "--child-dir",
                   (char *) opt.child_dir, (char *) "--rss-probe", marg,
                   sarg, NULL };
  int fds[2];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    {
      why_set (why, "pipe: %s", strerror (errno));
      return OP_FAILED;
    }
  pid_t pid = raw_start (M_POSIX_SPAWN, argv, -1, fds[1]);
  close (fds[1]);
  if (pid < 0)
    {
      why_set (why, "cannot run %s: %s", self_exe, strerror (errno));
      close (fds[0]);
      return OP_FAILED;
    }
  char buf[WHY_LEN];
  size_t len = 0;
  ssize_t r;
  while (len < sizeof buf - 1
         && ((r = read (fds[0], buf + len, sizeof buf - 1 - len)) > 0
             || (r < 0 && errno == EINTR)))
    if (r > 0)
      len += (size_t) r;
  buf[len] = '\0';
  close (fds[0]);
  int st = raw_wait (pid);
  if (st == 3)
    {
      why_set (why, "%s", buf);
      return OP_NA;
    }
  if (st != 0 || sscanf (buf, "%ld %ld", before_kib, peak_kib) != 2)
    {
      why_set (why, "probe failed (status %d): %s", st, buf);
      return OP_FAILED;
    }
  return OP_OK;
}

int
rss_probe_main (int m, size_t size)
{
  char arg[32];
  char why[WHY_LEN];
  snprintf (arg, sizeof arg, "%zu", size);
  task_t t = { .path = static_child, .arg1 = "o", .arg2 = arg,
               .capture = true, .expect = size };
  long before = status_kib ("VmHWM:");
  int r = run_task (m, &t, why);
  long peak = status_kib ("VmHWM:");
  if (r != OP_OK)
    {
      printf ("%s\n", why);
      return r == OP_NA ? 3 : 1;
    }
  printf ("%ld %ld\n", before, peak);
  return 0;
}

void
fig_rss (void)
{
  size_t size = (size_t) opt.capture_mb << 20;
  static const int methods[] = { M_VFORK, M_SUBPROC, M_GLIB, M_UV,
                                 M_PIPELINE };
  char what[96];
  snprintf (what, sizeof what, "peak RSS, capture %ld MiB", opt.capture_mb);
  progress ("figure 4: %s", what);
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
    {
      int m = methods[i];
      row_t *r = add_row (4, what, m, U_MIB);
      if (method_missing (m))
        {
          snprintf (r->note, sizeof r->note, "skipped: %s",
                    method_missing (m));
          continue;
        }
      /* Three probes; the median peak.  */
      double peaks[3];
      long base = 0;
      int n = 0;
      for (int k = 0; k < 3; k++)
        {
          long before, peak;
          char why[WHY_LEN];
          int st = probe_rss (m, size, &before, &peak, why);
          if (st != OP_OK)
            {
              if (st == OP_NA)
                copy_str (r->note, sizeof r->note, why);
              else
                snprintf (r->note, sizeof r->note, "FAILED: %.180s", why);
              if (st != OP_NA)
                {
                  r->failed = true;
                  any_failed = true;
                }
              break;
            }
          peaks[n++] = (double) peak / 1024.0;
          base = before;
        }
      if (n == 3)
        {
          r->value = median (peaks, n);
          r->n = n;
          r->ratio = r->value / (double) opt.capture_mb;
          snprintf (r->vs, sizeof r->vs, "captured size");
          snprintf (r->note, sizeof r->note,
                    "process at start %.1f MiB", (double) base / 1024.0);
        }
    }
}
