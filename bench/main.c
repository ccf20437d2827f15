/* main.c: make bench, libsubproc against raw system calls and the peers.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Measures, side by side in one run, each figure below as the median
 * of repeated runs, and as a ratio to a baseline measured in the same run:
 *
 *  1. spawn + wait of a tiny static child (bench/child-static, no C
 *     library) and of a dynamically linked one (bench/child-dynamic), with
 *     the parent at ~10 MB and at ~2 GB of touched memory;
 *  2. the same with the child's output captured to a buffer;
 *  3. spawn + wait with 1,000 descriptors open and RLIMIT_NOFILE at the
 *     hard limit, against the same spawn with the usual few descriptors;
 *  4. capture throughput of 1 GiB from a fast writer, and of 64 MiB in
 *     plus 64 MiB out at once, against a plain read() loop into a growing
 *     buffer; peak RSS of the capturing process against the captured size
 *     (measured in a fresh process: this program executed again with
 *     --rss-probe, so that the parent's ballast does not count);
 *  5. many spawns from 1 and from 2 threads at once;
 *  6. many children at once: 1,000 children, 64 running at a time, each
 *     writing 64 KiB to stdout and 1 KiB to stderr, all captured, with
 *     libsubproc's subproc_poll on one thread, a libuv loop, GLib's main
 *     loop, a thread per running child calling subproc_run, and a
 *     posix_spawn + poll loop written by hand (the baseline): wall time,
 *     CPU time of the process and of its children, peak threads and peak
 *     RSS, each run in a fresh process (--many-probe); and 10,000 idle
 *     children tracked by subproc_poll: the library's memory per child
 *     and the delay from a child's exit to its report (--idle-probe);
 *  7. the cost of a child's usage: raw vfork reaped with waitpid against
 *     wait4 with its rusage, and subproc_run without and with
 *     subproc_get_usage (bench/fig-usage.c).
 *
 * Besides raw vfork (the baseline), posix_spawn and fork, figures 1-3
 * have "raw vfork, safe setup": the steps the library's rules require of
 * every child (every signal disposition reset, stdio, all else closed),
 * written out by hand; libsubproc cannot be cheaper than that.
 *
 * The methods of one figure run interleaved, one operation each in turn,
 * so that the noise of a shared machine falls on all of them alike.  Each
 * group of measurements stops after a number of rounds or a time budget,
 * whichever comes first (but never before a minimum of rounds).
 *
 * Prints one table, then the performance targets with the ratio measured
 * against each, and writes the same as JSON.  The exit status says only
 * whether every figure could be measured, never whether a target was met.
 *
 * The program is split along its parts: bench/methods.c, the ways of
 * spawning a child that are measured (and the memory helpers);
 * bench/measure.c, the interleaved measurement and the rows of results;
 * one file per figure family, bench/fig-spawn.c (figures 1 and 2),
 * bench/fig-fds.c (3), bench/fig-capture.c (4), bench/fig-threads.c
 * (5) and bench/fig-many.c (6); bench/report.c, the targets, the table and the JSON; this file,
 * the options and main.  bench/bench.h is what they share.
 */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* ------------------------------------------------------------------ */
/* Options.  */

struct bench_options opt = {
  .json = "bench/results.json",
  .child_dir = "bench",
  .small_mb = 10,
  .big_mb = 2048,
  .capture_mb = 1024,
  .inout_mb = 64,
  .max_rounds = 200,
  .budget = 6.0,
  .thread_spawns = 400,
  .nfds = 1000,
  .many = 1000,
  .many_at = 64,
  .idle = 10000,
};

char static_child[PATH_MAX];
char dynamic_child[PATH_MAX];
char self_exe[PATH_MAX];

/* "bench: MESSAGE" on stderr.  */
static void
vsay (const char *fmt, va_list ap)
{
  fputs ("bench: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
}

void
die (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsay (fmt, ap);
  va_end (ap);
  exit (2);
}

void
progress (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsay (fmt, ap);
  va_end (ap);
}

double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */

static void
usage (FILE *out)
{
  fprintf (out,
           "Usage: bench [OPTION]...\n"
           "Measure libsubproc against raw system calls and its peers.\n\n"
           "  --quick, --smoke   every figure, tiny and short (for CI)\n"
           "  --json FILE        write the results there "
           "(default bench/results.json)\n"
           "  --child-dir DIR    where child-static and child-dynamic are "
           "(default bench)\n"
           "  --small-mb N       the small parent, in MB (default 10)\n"
           "  --big-mb N         the large parent, in MB (default 2048; "
           "0 skips it)\n"
           "  --capture-mb N     MiB captured in figure 4 (default 1024)\n"
           "  --inout-mb N       MiB in and out at once (default 64)\n"
           "  --rounds N         most rounds of a spawn figure (default "
           "200)\n"
           "  --budget S         seconds per group of measurements "
           "(default 6)\n"
           "  --thread-spawns N  spawns per thread in figure 5 (default "
           "400)\n"
           "  --fds N            descriptors open in figure 3 (default "
           "1000)\n"
           "  --thp              let the ballast use transparent huge "
           "pages\n"
           "  --many N           children in all in figure 6 (default "
           "1000)\n"
           "  --many-at N        of them running at once (default 64)\n"
           "  --idle N           idle children in figure 6 (default "
           "10000)\n"
           "  --only FIGS        run only these figures (e.g. 14)\n"
           "Exit status: 0 when every figure was measured, 1 when one "
           "could not be,\n2 on a usage or setup error.  Targets never "
           "change it.\n");
}

static bool
wanted (int fig)
{
  return opt.only == NULL || strchr (opt.only, '0' + fig) != NULL;
}

static long
num_arg (int argc, char **argv, int *i)
{
  if (*i + 1 >= argc)
    die ("%s needs a value", argv[*i]);
  char *end;
  long v = strtol (argv[++*i], &end, 10);
  if (*end || v < 0)
    die ("bad value for %s: %s", argv[*i - 1], argv[*i]);
  return v;
}

int
main (int argc, char **argv)
{
  int probe_method = -1;
  size_t probe_size = 0;
  int many_probe = -1, many_total = 0, many_at = 0;
  long idle_probe = -1;
  bool set_big = false, set_capture = false, set_inout = false;
  bool set_rounds = false, set_budget = false, set_threads = false;
  bool set_many = false, set_many_at = false, set_idle = false;

  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      if (!strcmp (a, "--quick") || !strcmp (a, "--smoke"))
        opt.quick = true;
      else if (!strcmp (a, "--json") && i + 1 < argc)
        opt.json = argv[++i];
      else if (!strcmp (a, "--child-dir") && i + 1 < argc)
        opt.child_dir = argv[++i];
      else if (!strcmp (a, "--small-mb"))
        opt.small_mb = num_arg (argc, argv, &i);
      else if (!strcmp (a, "--big-mb"))
        opt.big_mb = num_arg (argc, argv, &i), set_big = true;
      else if (!strcmp (a, "--capture-mb"))
        opt.capture_mb = num_arg (argc, argv, &i), set_capture = true;
      else if (!strcmp (a, "--inout-mb"))
        opt.inout_mb = num_arg (argc, argv, &i), set_inout = true;
      else if (!strcmp (a, "--rounds"))
        opt.max_rounds = (int) num_arg (argc, argv, &i), set_rounds = true;
      else if (!strcmp (a, "--budget"))
        opt.budget = (double) num_arg (argc, argv, &i), set_budget = true;
      else if (!strcmp (a, "--thread-spawns"))
        opt.thread_spawns = (int) num_arg (argc, argv, &i),
        set_threads = true;
      else if (!strcmp (a, "--fds"))
        opt.nfds = (int) num_arg (argc, argv, &i);
      else if (!strcmp (a, "--thp"))
        opt.thp = true;
      else if (!strcmp (a, "--many"))
        opt.many = (int) num_arg (argc, argv, &i), set_many = true;
      else if (!strcmp (a, "--many-at"))
        opt.many_at = (int) num_arg (argc, argv, &i), set_many_at = true;
      else if (!strcmp (a, "--idle"))
        opt.idle = (int) num_arg (argc, argv, &i), set_idle = true;
      else if (!strcmp (a, "--many-probe") && i + 3 < argc)
        {
          many_probe = atoi (argv[i + 1]);
          many_total = atoi (argv[i + 2]);
          many_at = atoi (argv[i + 3]);
          i += 3;
        }
      else if (!strcmp (a, "--idle-probe") && i + 1 < argc)
        idle_probe = atol (argv[++i]);
      else if (!strcmp (a, "--only") && i + 1 < argc)
        opt.only = argv[++i];
      else if (!strcmp (a, "--rss-probe") && i + 2 < argc)
        {
          probe_method = atoi (argv[i + 1]);
          probe_size = (size_t) strtoull (argv[i + 2], NULL, 10);
          i += 2;
        }
      else if (!strcmp (a, "--help"))
        {
          usage (stdout);
          return 0;
        }
      else
        {
          usage (stderr);
          return 2;
        }
    }
  if (opt.quick)
    {
      if (!set_big)
        opt.big_mb = 64;
      if (!set_capture)
        opt.capture_mb = 16;
      if (!set_inout)
        opt.inout_mb = 4;
      if (!set_rounds)
        opt.max_rounds = 6;
      if (!set_budget)
        opt.budget = 1;
      if (!set_threads)
        opt.thread_spawns = 10;
      if (!set_many)
        opt.many = 100;
      if (!set_many_at)
        opt.many_at = 16;
      if (!set_idle)
        opt.idle = 200;
    }
  if (opt.max_rounds < 2 || opt.capture_mb < 1 || opt.inout_mb < 1)
    die ("--rounds must be at least 2, sizes at least 1");
  if (opt.many < 1 || opt.many_at < 1 || opt.idle < 1)
    die ("--many, --many-at and --idle must be at least 1");

  snprintf (static_child, sizeof static_child, "%s/child-static",
            opt.child_dir);
  snprintf (dynamic_child, sizeof dynamic_child, "%s/child-dynamic",
            opt.child_dir);
  /* Absolute paths: no method searches PATH.  */
  char *abs_static = realpath (static_child, NULL);
  char *abs_dynamic = realpath (dynamic_child, NULL);
  if (abs_static == NULL || abs_dynamic == NULL)
    die ("%s/child-static or child-dynamic is missing (run make bench)",
         opt.child_dir);
  copy_str (static_child, sizeof static_child, abs_static);
  copy_str (dynamic_child, sizeof dynamic_child, abs_dynamic);
  free (abs_static);
  free (abs_dynamic);

  if (probe_method >= 0)
    {
      if (probe_method >= M_COUNT)
        die ("bad probe method");
      return rss_probe_main (probe_method, probe_size);
    }
  if (many_probe >= 0)
    {
      if (many_probe >= M_COUNT || many_total < 1 || many_at < 1)
        die ("bad --many-probe arguments");
      return many_probe_main (many_probe, many_total, many_at);
    }
  if (idle_probe >= 0)
    {
      if (idle_probe < 1)
        die ("bad --idle-probe argument");
      return idle_probe_main (idle_probe);
    }

  ssize_t sl = readlink ("/proc/self/exe", self_exe, sizeof self_exe - 1);
  if (sl <= 0)
    die ("cannot find this program through /proc/self/exe");
  self_exe[sl] = '\0';

  double t_start = now_s ();
  machine_info ();
  child_kinds ();

  grow_parent (opt.small_mb);
  char small[48], big[48];
  parent_label (small, sizeof small);
  if (wanted (1) || wanted (2))
    fig_spawn (small);
  if (wanted (3))
    fig_fds ();
  if (wanted (4))
    {
      fig_capture ();
      fig_rss ();
    }
  if (wanted (5))
    fig_threads ();
  if (wanted (6))
    fig_many ();
  if (wanted (7))
    fig_usage ();
  bool have_big = opt.big_mb > opt.small_mb && (wanted (1) || wanted (2));
  if (have_big)
    {
      progress ("growing the parent to %ld MB", opt.big_mb);
      grow_parent (opt.big_mb);
      parent_label (big, sizeof big);
      fig_spawn (big);
    }
  evaluate (small, have_big ? big : NULL);

  print_table (stdout);
  write_json (opt.json);
  printf ("\nResults written to %s in %.0f s.%s\n", opt.json,
          now_s () - t_start,
          any_failed ? "  Some figures could not be measured (FAILED)." : "");
  return any_failed ? 1 : 0;
}
