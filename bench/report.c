/* report.c: make bench's targets, its table and its JSON.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#ifdef BENCH_HAVE_GLIB
# include <glib.h>
#endif
#ifdef BENCH_HAVE_LIBUV
# include <uv.h>
#endif

#include "subproc.h"
#include "bench.h"

/* ------------------------------------------------------------------ */
/* Targets.  */

typedef struct target
{
  char name[160];
  double measured;  /* < 0: could not be measured */
  bool at_most;     /* measured <= limit, else measured >= limit */
  double limit;     /* < 0: no limit, the figure is for information */
  char detail[160];
} target_t;

static target_t targets[24];
static size_t n_targets;

static target_t *
add_target (const char *name, double measured, bool at_most, double limit)
{
  target_t *t = &targets[n_targets++];
  memset (t, 0, sizeof *t);
  copy_str (t->name, sizeof t->name, name);
  t->measured = measured;
  t->at_most = at_most;
  t->limit = limit;
  return t;
}

static bool
target_met (const target_t *t)
{
  if (t->measured < 0 || t->limit < 0)
    return false;
  return t->at_most ? t->measured <= t->limit : t->measured >= t->limit;
}

static double
ratio_of (double a, double b)
{
  return a > 0 && b > 0 ? a / b : -1;
}

static bool
lower_is_better (enum unit u)
{
  return u == U_US || u == U_MS || u == U_MIB || u == U_COUNT
         || u == U_KIB;
}

void
evaluate (const char *small, const char *big)
{
  char w[96], w2[96];
  target_t *t;
  snprintf (w, sizeof w, "static child, %s", small);
  add_target ("static child, small parent: libsubproc / raw vfork",
              ratio_of (value_of (1, w, M_SUBPROC), value_of (1, w, M_VFORK)),
              true, 1.15);
  t = add_target ("static child, small parent: libsubproc / safe setup",
                  ratio_of (value_of (1, w, M_SUBPROC),
                            value_of (1, w, M_SAFE)),
                  true, -1);
  copy_str (t->detail, sizeof t->detail,
            "the same system calls by hand: the design's floor");
  if (big)
    {
      snprintf (w2, sizeof w2, "static child, %s", big);
      add_target ("static child, large parent: libsubproc / raw vfork",
                  ratio_of (value_of (1, w2, M_SUBPROC),
                            value_of (1, w2, M_VFORK)),
                  true, 1.15);
      add_target ("static child: libsubproc large parent / small parent",
                  ratio_of (value_of (1, w2, M_SUBPROC),
                            value_of (1, w, M_SUBPROC)),
                  true, 1.1);
    }

  for (size_t i = 0; i < n_rows; i++)
    if (rows[i].fig == 3 && rows[i].method == M_SUBPROC
        && strstr (rows[i].what, "nofile="))
      add_target ("1000 fds + hard nofile limit: libsubproc / few fds",
                  rows[i].ratio > 0 ? rows[i].ratio : -1, true, 1.2);

  /* Every peer row against libsubproc's row of the same case.  */
  double worst = -1;
  char worst_where[160] = "";
  for (size_t i = 0; i < n_rows; i++)
    {
      row_t *p = &rows[i];
      if (!is_peer (p->method) || p->value <= 0 || p->unit == U_MIB
          || p->no_compare)
        continue;
      row_t *s = find_row (p->fig, p->what, M_SUBPROC);
      if (s == NULL)
        s = find_row (p->fig, p->what, M_SUBPROC_POLL);
      if (s == NULL || s->value <= 0)
        continue;
      /* How many times slower the peer is (>= 1: not faster).  */
      double slower = lower_is_better (p->unit) ? p->value / s->value
                                                : s->value / p->value;
      if (worst < 0 || slower < worst)
        {
          worst = slower;
          snprintf (worst_where, sizeof worst_where, "worst: %s, fig. %d, %s",
                    method_name[p->method], p->fig, p->what);
        }
    }
  t = add_target ("every peer row: peer time / libsubproc time",
                            worst, false, 1.0);
  copy_str (t->detail, sizeof t->detail, worst_where);
  if (big)
    add_target ("static child, large parent: GLib / libsubproc",
                ratio_of (value_of (1, w2, M_GLIB),
                          value_of (1, w2, M_SUBPROC)),
                false, 20);

  snprintf (w, sizeof w, "capture %ld MiB", opt.capture_mb);
  add_target ("capture: libsubproc / plain read() loop throughput",
              ratio_of (value_of (4, w, M_SUBPROC), value_of (4, w, M_VFORK)),
              false, 1.0);
  snprintf (w, sizeof w, "peak RSS, capture %ld MiB", opt.capture_mb);
  double limit_mib = 1.25 * (double) opt.capture_mb + 8;
  t = add_target ("capture: libsubproc peak RSS / (1.25 x size + 8 MiB)",
                  ratio_of (value_of (4, w, M_SUBPROC), limit_mib), true, 1.0);
  snprintf (t->detail, sizeof t->detail, "peak %.0f MiB for %ld MiB",
            value_of (4, w, M_SUBPROC), opt.capture_mb);
  snprintf (w, sizeof w, "%ld MiB in + %ld MiB out at once", opt.inout_mb,
            opt.inout_mb);
  row_t *r = find_row (4, w, M_SUBPROC);
  add_target ("input+output at once / output alone (libsubproc)",
              r && r->ratio > 0 ? r->ratio : -1, true, 1.3);

  /* Figure 7: informational, asking for usage against not.  */
  t = add_target ("usage: wait4 with rusage / waitpid (raw vfork)",
                  ratio_of (value_of (7, "static child: waitpid vs wait4",
                                      M_VFORK_WAIT4),
                            value_of (7, "static child: waitpid vs wait4",
                                      M_VFORK)),
                  true, -1);
  copy_str (t->detail, sizeof t->detail,
            "what recording the rusage costs the kernel");
  t = add_target ("usage: subproc_run + get_usage / subproc_run",
                  ratio_of (value_of (7,
                                      "static child: usage not asked vs "
                                      "asked",
                                      M_SUBPROC_USAGE),
                            value_of (7,
                                      "static child: usage not asked vs "
                                      "asked",
                                      M_SUBPROC)),
                  true, -1);
  copy_str (t->detail, sizeof t->detail, "what asking costs");

  /* Figure 6.  */
  snprintf (w, sizeof w, "%d children, %d at once: wall", opt.many,
            opt.many_at);
  t = add_target ("many children: libuv wall / subproc_poll wall",
                  ratio_of (value_of (6, w, M_UV_LOOP),
                            value_of (6, w, M_SUBPROC_POLL)),
                  false, 1.0);
  copy_str (t->detail, sizeof t->detail,
            "subproc_poll at least libuv's throughput");
  add_target ("many children: subproc_poll wall / raw posix_spawn+poll",
              ratio_of (value_of (6, w, M_SUBPROC_POLL),
                        value_of (6, w, M_RAW_POLL)),
              true, 1.2);
  add_target ("many children: GLib main loop wall / subproc_poll wall",
              ratio_of (value_of (6, w, M_GLIB_LOOP),
                        value_of (6, w, M_SUBPROC_POLL)),
              false, -1);
  char name[160];
  snprintf (name, sizeof name,
            "many children: %d threads wall / subproc_poll wall",
            opt.many_at);
  add_target (name, ratio_of (value_of (6, w, M_SUBPROC_THREADS),
                              value_of (6, w, M_SUBPROC_POLL)),
              false, -1);
  snprintf (w, sizeof w, "%d children, %d at once: CPU, parent", opt.many,
            opt.many_at);
  add_target ("many children: subproc_poll CPU / raw loop CPU (parent)",
              ratio_of (value_of (6, w, M_SUBPROC_POLL),
                        value_of (6, w, M_RAW_POLL)),
              true, -1);
  for (size_t i = 0; i < n_rows; i++)
    if (rows[i].fig == 6 && rows[i].method == M_SUBPROC_POLL
        && strstr (rows[i].what, "heap per child"))
      {
        t = add_target ("idle children: library heap per child, KiB",
                        rows[i].value, true, 4);
        snprintf (t->detail, sizeof t->detail, "%.*s",
                  (int) strcspn (rows[i].what, ":"), rows[i].what);
      }
}

/* ------------------------------------------------------------------ */
/* Output.  */

static char machine_cpu[128] = "unknown";
static long machine_cpus;
static long machine_mem_mib;
static struct utsname machine_uts;
static char thp_mode[64] = "unknown";
static char lib_versions[512];

static void
read_first_line (const char *path, const char *prefix, char *out, size_t len)
{
  FILE *f = fopen (path, "r");
  char line[512];
  if (f == NULL)
    return;
  while (fgets (line, sizeof line, f))
    if (prefix == NULL || strncmp (line, prefix, strlen (prefix)) == 0)
      {
        char *p = prefix ? strchr (line, ':') : line;
        if (p == NULL)
          continue;
        if (prefix)
          p++;
        while (*p == ' ' || *p == '\t')
          p++;
        p[strcspn (p, "\n")] = '\0';
        copy_str (out, len, p);
        break;
      }
  fclose (f);
}

void
machine_info (void)
{
  uname (&machine_uts);
  read_first_line ("/proc/cpuinfo", "model name", machine_cpu,
                   sizeof machine_cpu);
  machine_cpus = sysconf (_SC_NPROCESSORS_ONLN);
  char mem[64] = "0";
  read_first_line ("/proc/meminfo", "MemTotal", mem, sizeof mem);
  machine_mem_mib = strtol (mem, NULL, 10) / 1024;
  read_first_line ("/sys/kernel/mm/transparent_hugepage/enabled", NULL,
                   thp_mode, sizeof thp_mode);
  size_t len = 0;
  len += (size_t) snprintf (lib_versions + len, sizeof lib_versions - len,
                            "libsubproc %s, glibc %s", subproc_version (),
                            gnu_get_libc_version ());
#ifdef BENCH_HAVE_GLIB
  len += (size_t) snprintf (lib_versions + len, sizeof lib_versions - len,
                            ", GLib %u.%u.%u", glib_major_version,
                            glib_minor_version, glib_micro_version);
#endif
#ifdef BENCH_HAVE_LIBUV
  len += (size_t) snprintf (lib_versions + len, sizeof lib_versions - len,
                            ", libuv %s", uv_version_string ());
#endif
#ifdef BENCH_HAVE_LIBPIPELINE
  len += (size_t) snprintf (lib_versions + len, sizeof lib_versions - len,
                            ", libpipeline %s", BENCH_LIBPIPELINE_VERSION);
#endif
  (void) len;
}

static char child_kind[2][64];

void
child_kinds (void)
{
  const char *paths[2] = { static_child, dynamic_child };
  for (int i = 0; i < 2; i++)
    {
      task_t t = { .path = paths[i], .arg1 = "k" };
      char *argv[] = { (char *) paths[i], (char *) "k", NULL };
      int fds[2];
      (void) t;
      snprintf (child_kind[i], sizeof child_kind[i], "unknown");
      if (pipe2 (fds, O_CLOEXEC) < 0)
        continue;
      pid_t pid = raw_start (M_POSIX_SPAWN, argv, -1, fds[1]);
      close (fds[1]);
      if (pid < 0)
        die ("cannot run %s: %s (run make bench)", paths[i],
             strerror (errno));
      ssize_t r = read (fds[0], child_kind[i], sizeof child_kind[i] - 1);
      close (fds[0]);
      if (raw_wait (pid) != 0 || r <= 0)
        die ("%s does not work", paths[i]);
      child_kind[i][r] = '\0';
      child_kind[i][strcspn (child_kind[i], "\n")] = '\0';
    }
}

void
print_table (FILE *out)
{
  fprintf (out, "\nlibsubproc benchmark%s\n", opt.quick ? " (smoke mode: "
                                                          "tiny sizes, "
                                                          "figures not "
                                                          "meaningful)"
                                                        : "");
  fprintf (out, "machine: %s, %ld CPUs, %ld MiB; %s %s %s; THP %s\n",
           machine_cpu, machine_cpus, machine_mem_mib, machine_uts.sysname,
           machine_uts.release, machine_uts.machine, thp_mode);
  fprintf (out, "libraries: %s\n", lib_versions);
  fprintf (out, "children: static: %s; dynamic: %s\n", child_kind[0],
           child_kind[1]);
  fprintf (out, "medians of n runs; ratio = value / value of the row named "
                "in \"vs\", same run\n\n");
  fprintf (out, "%-3s %-40s %-24s %12s %-5s %7s  %-22s %4s\n", "fig", "case",
           "method", "median", "unit", "ratio", "vs", "n");
  int last_fig = -1;
  for (size_t i = 0; i < n_rows; i++)
    {
      row_t *r = &rows[i];
      if (r->fig != last_fig && last_fig != -1)
        fputc ('\n', out);
      last_fig = r->fig;
      char val[32], ratio[16];
      if (r->value >= 0)
        snprintf (val, sizeof val, "%.*f", r->value < 100 ? 2 : 0, r->value);
      else
        snprintf (val, sizeof val, "-");
      if (r->ratio > 0)
        snprintf (ratio, sizeof ratio, "%.2fx", r->ratio);
      else
        snprintf (ratio, sizeof ratio, "-");
      fprintf (out, "%-3d %-40s %-24s %12s %-5s %7s  %-22s %4d", r->fig,
               r->what, method_name[r->method], val, unit_name[r->unit],
               ratio, r->vs, r->n);
      if (r->note[0])
        fprintf (out, "  %s", r->note);
      fputc ('\n', out);
    }

  fprintf (out, "\nTargets (informational; the exit status does not "
                "depend on them):\n");
  for (size_t i = 0; i < n_targets; i++)
    {
      target_t *t = &targets[i];
      char m[32];
      if (t->measured >= 0)
        snprintf (m, sizeof m, "%.2f", t->measured);
      else
        snprintf (m, sizeof m, "n/a");
      if (t->limit < 0)
        fprintf (out, "  %-4s %-58s %6s        %s\n", "INFO", t->name, m,
                 t->detail);
      else
        fprintf (out, "  %-4s %-58s %6s %s %.2f%s%s\n",
                 t->measured < 0 ? "??" : target_met (t) ? "MET" : "MISS",
                 t->name, m, t->at_most ? "<=" : ">=", t->limit,
                 t->detail[0] ? "  " : "", t->detail);
    }

  bool skipped = false;
  for (int m = 0; m < M_COUNT; m++)
    if (method_missing (m))
      {
        if (!skipped)
          fprintf (out, "\nSkipped peers:\n");
        skipped = true;
        fprintf (out, "  %s: %s\n", method_name[m], method_missing (m));
      }
}

static void
json_string (FILE *f, const char *s)
{
  fputc ('"', f);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        fprintf (f, "\\%c", c);
      else if (c < 0x20)
        fprintf (f, "\\u%04x", c);
      else
        fputc (c, f);
    }
  fputc ('"', f);
}

static void
json_number (FILE *f, double v)
{
  if (v < 0)
    fputs ("null", f);
  else
    fprintf (f, "%.6g", v);
}

void
write_json (const char *path)
{
  FILE *f = fopen (path, "w");
  if (f == NULL)
    {
      progress ("cannot write %s: %s", path, strerror (errno));
      any_failed = true;
      return;
    }
  time_t now = time (NULL);
  char stamp[64];
  strftime (stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", gmtime (&now));
  fprintf (f, "{\n  \"benchmark\": \"libsubproc make bench\",\n");
  fprintf (f, "  \"date\": \"%s\",\n  \"smoke\": %s,\n", stamp,
           opt.quick ? "true" : "false");
  fprintf (f, "  \"machine\": {\"cpu\": ");
  json_string (f, machine_cpu);
  fprintf (f, ", \"cpus\": %ld, \"memory_mib\": %ld, \"kernel\": ",
           machine_cpus, machine_mem_mib);
  char kernel[600];
  snprintf (kernel, sizeof kernel, "%s %s %s", machine_uts.sysname,
            machine_uts.release, machine_uts.version);
  json_string (f, kernel);
  fprintf (f, ", \"arch\": ");
  json_string (f, machine_uts.machine);
  fprintf (f, ", \"thp\": ");
  json_string (f, thp_mode);
  fprintf (f, "},\n  \"libraries\": ");
  json_string (f, lib_versions);
  fprintf (f, ",\n  \"children\": {\"static\": ");
  json_string (f, child_kind[0]);
  fprintf (f, ", \"dynamic\": ");
  json_string (f, child_kind[1]);
  fprintf (f, "},\n  \"options\": {\"small_mb\": %ld, \"big_mb\": %ld, "
              "\"capture_mib\": %ld, \"inout_mib\": %ld, \"fds\": %d, "
              "\"thread_spawns\": %d, \"ballast_huge_pages\": %s, "
              "\"many\": %d, \"many_at_once\": %d, \"idle\": %d},\n",
           opt.small_mb, opt.big_mb, opt.capture_mb, opt.inout_mb, opt.nfds,
           opt.thread_spawns, opt.thp ? "true" : "false", opt.many,
           opt.many_at, opt.idle);
  fprintf (f, "  \"skipped\": [");
  bool first = true;
  for (int m = 0; m < M_COUNT; m++)
    if (method_missing (m))
      {
        fprintf (f, "%s{\"method\": \"%s\", \"why\": ", first ? "" : ", ",
                 method_key[m]);
        json_string (f, method_missing (m));
        fputc ('}', f);
        first = false;
      }
  fprintf (f, "],\n  \"rows\": [\n");
  for (size_t i = 0; i < n_rows; i++)
    {
      row_t *r = &rows[i];
      fprintf (f, "    {\"figure\": %d, \"case\": ", r->fig);
      json_string (f, r->what);
      fprintf (f, ", \"method\": \"%s\", \"name\": ", method_key[r->method]);
      json_string (f, method_name[r->method]);
      fprintf (f, ", \"median\": ");
      json_number (f, r->value);
      fprintf (f, ", \"unit\": \"%s\", \"n\": %d, \"ratio\": ",
               unit_name[r->unit], r->n);
      json_number (f, r->ratio > 0 ? r->ratio : -1);
      fprintf (f, ", \"vs\": ");
      json_string (f, r->vs);
      fprintf (f, ", \"note\": ");
      json_string (f, r->note);
      fprintf (f, ", \"failed\": %s}%s\n", r->failed ? "true" : "false",
               i + 1 < n_rows ? "," : "");
    }
  fprintf (f, "  ],\n  \"targets\": [\n");
  for (size_t i = 0; i < n_targets; i++)
    {
      target_t *t = &targets[i];
      fprintf (f, "    {\"target\": ");
      json_string (f, t->name);
      fprintf (f, ", \"measured\": ");
      json_number (f, t->measured);
      fprintf (f, ", \"op\": \"%s\", \"limit\": %g, \"met\": %s, "
                  "\"detail\": ",
               t->at_most ? "<=" : ">=", t->limit,
               t->measured < 0 || t->limit < 0 ? "null"
               : target_met (t)                 ? "true"
                                                : "false");
      json_string (f, t->detail);
      fprintf (f, "}%s\n", i + 1 < n_targets ? "," : "");
    }
  fprintf (f, "  ],\n  \"complete\": %s\n}\n", any_failed ? "false" : "true");
  if (fclose (f) != 0)
    {
      progress ("cannot write %s: %s", path, strerror (errno));
      any_failed = true;
    }
}
