/* bench.h: what the parts of make bench share (bench/main.c says which).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#ifndef SUBPROC_BENCH_H
#define SUBPROC_BENCH_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define MIB (1024.0 * 1024.0)

/* ------------------------------------------------------------------ */
/* main.c: the options, the children, messages and the clock.  */

struct bench_options
{
  bool quick;
  const char *json;
  const char *child_dir;
  long small_mb;    /* parent size for the small case */
  long big_mb;      /* parent size for the large case; 0: skip */
  long capture_mb;  /* figure 4, one stream */
  long inout_mb;    /* figure 4, input and output at once */
  int max_rounds;   /* spawn figures */
  double budget;    /* seconds per group of measurements */
  int thread_spawns;
  int nfds;         /* figure 3 */
  bool thp;         /* let the ballast use transparent huge pages */
  int many;         /* figure 6: busy children in all */
  int many_at;      /* figure 6: busy children running at once */
  int idle;         /* figure 6: idle children */
  const char *only; /* figures to run ("14"), or NULL for all */
};

extern struct bench_options opt;
extern char static_child[PATH_MAX];
extern char dynamic_child[PATH_MAX];
extern char self_exe[PATH_MAX];

/* "bench: MESSAGE" on stderr; die then exits 2.  */
_Noreturn void die (const char *fmt, ...)
  __attribute__ ((format (printf, 1, 2)));
void progress (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Seconds of the monotonic clock.  */
double now_s (void);

/* ------------------------------------------------------------------ */
/* methods.c: memory and the methods.  */

/* A field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"), or -1.  */
long status_kib (const char *field);

/* Grow the parent to about MB megabytes (10^6) of resident memory.  */
void grow_parent (long mb);

enum method
{
  M_VFORK,       /* raw vfork + execve + waitpid: the baseline */
  M_POSIX_SPAWN, /* raw posix_spawn */
  M_FORK,        /* raw fork + execve */
  M_SUBPROC,     /* libsubproc */
  M_GLIB,        /* g_spawn_sync, default flags */
  M_UV,          /* uv_spawn */
  M_PIPELINE,    /* libpipeline */
  M_DISCARD,     /* vfork, output read into a fixed buffer (reference) */
  M_PREFAULT,    /* vfork, output read into a pre-faulted buffer */
  M_SAFE,        /* vfork + the child's setup the design requires */
  M_SUBPROC_POLL,    /* figure 6: subproc_poll on one thread */
  M_SUBPROC_THREADS, /* figure 6: a thread per running child, subproc_run */
  M_UV_LOOP,         /* figure 6: one libuv loop */
  M_GLIB_LOOP,       /* figure 6: GLib's main loop */
  M_RAW_POLL,        /* figure 6: posix_spawn + poll by hand (baseline) */
  M_VFORK_WAIT4,     /* figure 7: raw vfork, reaped with wait4's rusage */
  M_SUBPROC_USAGE,   /* figure 7: subproc_run + subproc_get_usage */
  M_COUNT
};

extern const char *const method_name[M_COUNT];
extern const char *const method_key[M_COUNT];

/* GLib, libuv, libpipeline (any of their methods).  */
bool is_peer (int m);

/* Why a method is not in this build, or NULL.  */
const char *method_missing (int m);

/* One operation: spawn PATH with up to two arguments, maybe feed INPUT,
   maybe collect stdout, wait.  */
typedef struct task
{
  const char *path;
  const char *arg1, *arg2;
  bool capture;
  const char *input;
  size_t input_len;
  size_t expect;   /* bytes of output when capturing */
} task_t;

enum
{
  OP_OK = 0,
  OP_FAILED = -1,
  OP_NA = 1        /* the method cannot do this */
};

#define WHY_LEN 200

/* Format into WHY, of WHY_LEN bytes.  */
void why_set (char *why, const char *fmt, ...);

/* Copy SRC into DST of LEN bytes, truncating.  */
void copy_str (char *dst, size_t len, const char *src);

/* A growing buffer, as a plain loop would write it: doubling with
   realloc, reads sized to the free space.  gbuf_room makes room for MIN
   more bytes: 0, or -1 when out of memory.  */
typedef struct gbuf
{
  char *p;
  size_t len, cap;
} gbuf_t;

int gbuf_room (gbuf_t *b, size_t min);

/* The pre-faulted buffer of M_PREFAULT (figure 4 sets it up).  */
extern char *prefault_buf;
extern size_t prefault_len;

/* Raw: start the child with IN_FD / OUT_FD as its stdin / stdout (-1:
   the parent's), and wait for it (its status, 128+N for signal N).  */
pid_t raw_start (int m, char *const *argv, int in_fd, int out_fd);
int raw_wait (pid_t pid);

/* Run T once with method M: OP_OK, or OP_FAILED / OP_NA with WHY.  */
int run_task (int m, const task_t *t, char *why);

/* ------------------------------------------------------------------ */
/* measure.c: the rows of results and the interleaved measurement.  */

enum unit
{
  U_US,      /* microseconds per operation, lower is better */
  U_MS,      /* milliseconds per operation */
  U_MIBS,    /* MiB/s, higher is better */
  U_PER_S,   /* operations per second, higher is better */
  U_MIB,     /* MiB of memory */
  U_COUNT,   /* a number of things (threads, descriptors) */
  U_KIB      /* KiB of memory */
};

extern const char *const unit_name[];

typedef struct row
{
  int fig;
  char what[96];    /* the case */
  int method;
  enum unit unit;
  double value;     /* the median; < 0 when not measured */
  int n;            /* samples */
  double ratio;     /* to the baseline below; 0: none */
  char vs[64];
  char note[WHY_LEN];
  bool failed;      /* could have been measured and was not */
  bool no_compare;  /* not a cost of the library's to hold against the
                       peers (the children's CPU time, threads) */
} row_t;

extern row_t rows[400];
extern size_t n_rows;
extern bool any_failed;

row_t *add_row (int fig, const char *what, int m, enum unit unit);
row_t *find_row (int fig, const char *what, int m);
double value_of (int fig, const char *what, int m);
double median (double *v, int n);

typedef struct cell
{
  int method;
  const task_t *task;
  double *samples;  /* seconds per operation */
  int n;
  int state;        /* OP_OK, OP_FAILED, OP_NA */
  char why[WHY_LEN];
} cell_t;

/* Bytes of memory made warm before each timed operation (see measure.c).  */
extern size_t warm_bytes;

void measure (cell_t *cells, int n_cells, int max_rounds, int min_rounds,
              double budget);
void cells_to_rows (cell_t *cells, int n_cells, int fig, const char *what,
                    enum unit unit, double bytes, int base_method);

/* ------------------------------------------------------------------ */
/* The figures.  */

/* fig-spawn.c: the spawn methods, those that share the parent's memory
   (the first N_NOFORK_METHODS) first; measure_spawn measures the two
   groups apart.  */
#define N_SPAWN_METHODS 8
#define N_NOFORK_METHODS 4
extern const int spawn_methods[N_SPAWN_METHODS];
void measure_spawn (cell_t *cells, int max_rounds, int min_rounds,
                    double budget);
void parent_label (char *buf, size_t len);
void fig_spawn (const char *size_label);

/* fig-fds.c.  */
void fig_fds (void);

/* fig-capture.c; rss_probe_main is --rss-probe's.  */
void fig_capture (void);
void fig_rss (void);
int rss_probe_main (int m, size_t size);

/* fig-threads.c.  */
void fig_threads (void);

/* fig-many.c; many_probe_main and idle_probe_main are --many-probe's
   and --idle-probe's.  */
void fig_many (void);
int many_probe_main (int m, int total, int par);
int idle_probe_main (long want);

/* fig-usage.c; the two methods of figure 7 for run_task.  */
void fig_usage (void);
int op_vfork_wait4 (const task_t *t, char *why);
int op_subproc_usage (const task_t *t, char *why);

/* ------------------------------------------------------------------ */
/* report.c.  */

void evaluate (const char *small, const char *big);
void machine_info (void);
void child_kinds (void);
void print_table (FILE *out);
void write_json (const char *path);

#endif /* SUBPROC_BENCH_H */
