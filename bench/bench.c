/* bench.c: make bench, libsubproc against raw system calls and the peers.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Measures, side by side in one run, each figure of issue 7 as the median
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
 *  5. many spawns from 1 and from 2 threads at once.
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
 * Prints one table, then the targets of the issue with the ratio measured
 * against each, and writes the same as JSON.  The exit status says only
 * whether every figure could be measured, never whether a target was met.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "subproc.h"

#ifdef BENCH_HAVE_GLIB
# include <glib.h>
#endif
#ifdef BENCH_HAVE_LIBUV
# include <uv.h>
#endif
#ifdef BENCH_HAVE_LIBPIPELINE
# include <pipeline.h>
#endif

extern char **environ;

#define MIB (1024.0 * 1024.0)

/* ------------------------------------------------------------------ */
/* Options.  */

static struct
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
  const char *only; /* figures to run ("14"), or NULL for all */
} opt = {
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
};

static char static_child[PATH_MAX];
static char dynamic_child[PATH_MAX];
static char self_exe[PATH_MAX];

/* "bench: MESSAGE" on stderr.  */
static void
vsay (const char *fmt, va_list ap)
{
  fputs ("bench: ", stderr);
  vfprintf (stderr, fmt, ap);
  fputc ('\n', stderr);
}

static void
die (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsay (fmt, ap);
  va_end (ap);
  exit (2);
}

static void
progress (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsay (fmt, ap);
  va_end (ap);
}

static double
now_s (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------------ */
/* Memory.  */

/* A field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"), or -1.  */
static long
status_kib (const char *field)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[256];
  long v = -1;
  size_t n = strlen (field);
  if (f == NULL)
    return -1;
  while (fgets (line, sizeof line, f))
    if (strncmp (line, field, n) == 0)
      {
        v = strtol (line + n, NULL, 10);
        break;
      }
  fclose (f);
  return v;
}

/* Touched memory that makes the parent large.  */
static char *ballast;
static size_t ballast_len;

/* Grow the parent to about MB megabytes (10^6) of resident memory.  */
static void
grow_parent (long mb)
{
  long rss = status_kib ("VmRSS:");
  double want = (double) mb * 1e6 - (double) (rss > 0 ? rss : 0) * 1024.0;
  if (want <= (double) ballast_len)
    return;
  size_t len = (size_t) want;
  long page = sysconf (_SC_PAGESIZE);
  len = (len + (size_t) page - 1) / (size_t) page * (size_t) page;
  char *p = mmap (NULL, len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED)
    die ("cannot map %zu bytes of ballast: %s", len, strerror (errno));
#ifdef MADV_NOHUGEPAGE
  /* A large heap of small objects: ordinary pages, as most processes
     have; --thp allows huge pages.  */
  if (!opt.thp)
    madvise (p, len, MADV_NOHUGEPAGE);
#endif
  memset (p, 0x5a, len);
  if (ballast)
    munmap (ballast, ballast_len);
  ballast = p;
  ballast_len = len;
}

/* A growing buffer, as a plain loop would write it: doubling with
   realloc, reads sized to the free space.  */
typedef struct gbuf
{
  char *p;
  size_t len, cap;
} gbuf_t;

static int
gbuf_room (gbuf_t *b, size_t min)
{
  if (b->cap - b->len >= min)
    return 0;
  size_t cap = b->cap ? b->cap : 64 * 1024;
  while (cap - b->len < min)
    cap *= 2;
  char *p = realloc (b->p, cap);
  if (p == NULL)
    return -1;
  b->p = p;
  b->cap = cap;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The methods.  */

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
  M_COUNT
};

static const char *const method_name[M_COUNT] = {
  "raw vfork+execve",  "raw posix_spawn",     "raw fork+execve",
  "libsubproc",        "GLib g_spawn_sync",   "libuv uv_spawn",
  "libpipeline",       "read() loop, discard", "read() loop, pre-faulted",
  "raw vfork, safe setup",
};

static const char *const method_key[M_COUNT] = {
  "raw_vfork", "raw_posix_spawn", "raw_fork",    "libsubproc",
  "glib",      "libuv",           "libpipeline", "raw_discard",
  "raw_prefaulted", "raw_vfork_safe",
};

static bool
is_peer (int m)
{
  return m == M_GLIB || m == M_UV || m == M_PIPELINE;
}

/* Why a method is not in this build, or NULL.  */
static const char *
method_missing (int m)
{
  switch (m)
    {
#ifndef BENCH_HAVE_GLIB
    case M_GLIB:
      return "GLib (glib-2.0) not found by configure";
#endif
#ifndef BENCH_HAVE_LIBUV
    case M_UV:
      return "libuv not found by configure";
#endif
#ifndef BENCH_HAVE_LIBPIPELINE
    case M_PIPELINE:
      return "libpipeline not found by configure";
#endif
    default:
      return NULL;
    }
}

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

static void
why_set (char *why, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (why, WHY_LEN, fmt, ap);
  va_end (ap);
}

/* Copy SRC into DST of LEN bytes, truncating.  */
static void
copy_str (char *dst, size_t len, const char *src)
{
  size_t n = strlen (src);
  if (n >= len)
    n = len - 1;
  memcpy (dst, src, n);
  dst[n] = '\0';
}

static int
check_output (const task_t *t, size_t got, int status, char *why)
{
  if (status != 0)
    {
      why_set (why, "child status %d", status);
      return OP_FAILED;
    }
  if (t->capture && got != t->expect)
    {
      why_set (why, "captured %zu bytes, expected %zu", got, t->expect);
      return OP_FAILED;
    }
  return OP_OK;
}

/* The pre-faulted buffer of M_PREFAULT, kept between operations.  */
static char *prefault_buf;
static size_t prefault_len;

/* M_SAFE: the least a spawn must do to follow the library's rules
   (DESIGN.md section 4), written out by hand, without error reporting:
   all signals blocked around vfork; in the child every disposition back
   to the default (one system call per signal), stdio from IN_FD /
   OUT_FD or the null device, every other descriptor closed, the mask
   cleared.  The figure libsubproc can be held to.  */
static void __attribute__ ((noreturn))
safe_child (char *const *argv, const int *src)
{
  struct sigaction sa;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; sig++)
    if (sig != SIGKILL && sig != SIGSTOP)
      sigaction (sig, &sa, NULL);
  for (int i = 0; i < 3; i++)
    dup2 (src[i], i);
  syscall (SYS_close_range, 3U, ~0U, 0U);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  execve (argv[0], argv, environ);
  _exit (127);
}

static pid_t
raw_start_safe (char *const *argv, int in_fd, int out_fd)
{
  sigset_t all, old;
  int src[3];
  src[2] = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (src[2] < 0)
    return -1;
  src[0] = in_fd >= 0 ? in_fd : src[2];
  src[1] = out_fd >= 0 ? out_fd : src[2];
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  pid_t pid = vfork ();
  if (pid == 0)
    safe_child (argv, src);
  int err = errno;
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  close (src[2]);
  errno = err;
  return pid;
}

/* Raw: start the child with IN_FD / OUT_FD as its stdin / stdout (-1:
   the parent's).  */
static pid_t
raw_start (int m, char *const *argv, int in_fd, int out_fd)
{
  pid_t pid;
  if (m == M_POSIX_SPAWN)
    {
      posix_spawn_file_actions_t fa;
      posix_spawn_file_actions_init (&fa);
      if (in_fd >= 0)
        posix_spawn_file_actions_adddup2 (&fa, in_fd, 0);
      if (out_fd >= 0)
        posix_spawn_file_actions_adddup2 (&fa, out_fd, 1);
      int r = posix_spawn (&pid, argv[0], &fa, NULL, argv, environ);
      posix_spawn_file_actions_destroy (&fa);
      if (r != 0)
        {
          errno = r;
          return -1;
        }
      return pid;
    }
  if (m == M_SAFE)
    return raw_start_safe (argv, in_fd, out_fd);
  pid = m == M_FORK ? fork () : vfork ();
  if (pid == 0)
    {
      if (in_fd >= 0)
        dup2 (in_fd, 0);
      if (out_fd >= 0)
        dup2 (out_fd, 1);
      execve (argv[0], argv, environ);
      _exit (127);
    }
  return pid;
}

static int
raw_wait (pid_t pid)
{
  int st;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return WIFEXITED (st) ? WEXITSTATUS (st) : 128 + WTERMSIG (st);
}

/* Read FD to the end, the way method M keeps the bytes.  Returns the
   number of bytes, or -1.  B receives the data for M_VFORK and the
   other plain loops.  */
static ssize_t
raw_read_all (int m, int fd, gbuf_t *b)
{
  static char discard[1 << 20];
  size_t total = 0;
  for (;;)
    {
      char *dst;
      size_t room;
      if (m == M_DISCARD)
        {
          dst = discard;
          room = sizeof discard;
        }
      else if (m == M_PREFAULT && total < prefault_len)
        {
          dst = prefault_buf + total;
          room = prefault_len - total;
        }
      else
        {
          if (gbuf_room (b, 64 * 1024) < 0)
            return -1;
          dst = b->p + b->len;
          room = b->cap - b->len;
        }
      ssize_t r = read (fd, dst, room);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        return (ssize_t) total;
      total += (size_t) r;
      if (dst != discard && !(m == M_PREFAULT && dst != b->p + b->len))
        b->len += (size_t) r;
    }
}

/* Feed INPUT to IN_FD and read OUT_FD at once, with poll().  */
static ssize_t
raw_pump (int in_fd, const char *input, size_t len, int out_fd, gbuf_t *b)
{
  size_t off = 0;
  fcntl (in_fd, F_SETFL, fcntl (in_fd, F_GETFL) | O_NONBLOCK);
  fcntl (out_fd, F_SETFL, fcntl (out_fd, F_GETFL) | O_NONBLOCK);
  bool out_open = true;
  while (out_open || in_fd >= 0)
    {
      struct pollfd p[2];
      int n = 0, io = -1, oo = -1;
      if (in_fd >= 0)
        {
          p[n].fd = in_fd;
          p[n].events = POLLOUT;
          io = n++;
        }
      if (out_open)
        {
          p[n].fd = out_fd;
          p[n].events = POLLIN;
          oo = n++;
        }
      if (poll (p, (nfds_t) n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (io >= 0 && p[io].revents)
        {
          ssize_t w = write (in_fd, input + off, len - off);
          if (w > 0)
            off += (size_t) w;
          if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == len)
            {
              close (in_fd);
              in_fd = -1;
            }
        }
      if (oo >= 0 && p[oo].revents)
        {
          if (gbuf_room (b, 64 * 1024) < 0)
            return -1;
          ssize_t r = read (out_fd, b->p + b->len, b->cap - b->len);
          if (r > 0)
            b->len += (size_t) r;
          else if (r == 0 || (errno != EAGAIN && errno != EINTR))
            out_open = false;
        }
    }
  return (ssize_t) b->len;
}

static int
op_raw (int m, const task_t *t, char *why)
{
  char *argv[] = { (char *) t->path, (char *) t->arg1, (char *) t->arg2,
                   NULL };
  int in[2] = { -1, -1 }, out[2] = { -1, -1 };
  gbuf_t b = { 0 };
  ssize_t got = 0;
  int ret = OP_FAILED;

  if (t->input && pipe2 (in, O_CLOEXEC) < 0)
    goto sys;
  if (t->capture && pipe2 (out, O_CLOEXEC) < 0)
    goto sys;
  pid_t pid = raw_start (m == M_DISCARD || m == M_PREFAULT ? M_VFORK : m,
                         argv, in[0], out[1]);
  if (pid < 0)
    goto sys;
  if (in[0] >= 0)
    close (in[0]);
  if (out[1] >= 0)
    close (out[1]);
  in[0] = out[1] = -1;
  if (t->input)
    got = raw_pump (in[1], t->input, t->input_len, out[0], &b);
  else if (t->capture)
    got = raw_read_all (m, out[0], &b);
  in[1] = -1;  /* closed by raw_pump */
  int st = raw_wait (pid);
  if (got < 0)
    goto sys;
  ret = check_output (t, (size_t) got, st, why);
  goto out;

sys:
  why_set (why, "%s", strerror (errno));
out:
  for (int i = 0; i < 2; i++)
    {
      if (in[i] >= 0)
        close (in[i]);
      if (out[i] >= 0)
        close (out[i]);
    }
  free (b.p);
  return ret;
}

static int
op_subproc (const task_t *t, char *why)
{
  subproc_t *cmd = subproc_new (t->path);
  char *out = NULL;
  size_t len = 0;
  int st = -1;
  if (t->arg1)
    subproc_add_arg (cmd, t->arg1);
  if (t->arg2)
    subproc_add_arg (cmd, t->arg2);
  if (t->capture)
    subproc_set_output_bytes (cmd, &out, &len);
  if (t->input)
    subproc_set_input_bytes (cmd, t->input, t->input_len);
  int r = subproc_run (cmd, &st);
  if (r < 0)
    why_set (why, "%s", subproc_get_error (cmd)->message);
  subproc_free (cmd);
  free (out);
  if (r < 0)
    return OP_FAILED;
  return check_output (t, len, st, why);
}

#ifdef BENCH_HAVE_GLIB
static int
op_glib (const task_t *t, char *why)
{
  gchar *argv[] = { (gchar *) t->path, (gchar *) t->arg1, (gchar *) t->arg2,
                    NULL };
  gchar *out = NULL;
  gint st = -1;
  GError *err = NULL;
  if (t->input)
    {
      why_set (why, "g_spawn_sync cannot feed stdin");
      return OP_NA;
    }
  if (!g_spawn_sync (NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                     t->capture ? &out : NULL, NULL, &st, &err))
    {
      why_set (why, "%s", err->message);
      g_error_free (err);
      return OP_FAILED;
    }
  size_t len = out ? strlen (out) : 0;
  g_free (out);
  return check_output (t, len, WIFEXITED (st) ? WEXITSTATUS (st) : 128, why);
}
#endif

#ifdef BENCH_HAVE_LIBUV
typedef struct uv_op
{
  uv_process_t proc;
  uv_pipe_t in, out;
  uv_write_t wr;
  gbuf_t buf;
  int64_t status;
  int term;
  bool failed;
} uv_op_t;

static void
uv_on_exit (uv_process_t *p, int64_t status, int term)
{
  uv_op_t *u = p->data;
  u->status = status;
  u->term = term;
  uv_close ((uv_handle_t *) p, NULL);
}

static void
uv_on_alloc (uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
  uv_op_t *u = h->data;
  if (gbuf_room (&u->buf, suggested) < 0)
    {
      b->base = NULL;
      b->len = 0;
      return;
    }
  b->base = u->buf.p + u->buf.len;
  b->len = u->buf.cap - u->buf.len;
}

static void
uv_on_read (uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  uv_op_t *u = s->data;
  (void) b;
  if (n > 0)
    u->buf.len += (size_t) n;
  else if (n < 0)
    {
      if (n != UV_EOF)
        u->failed = true;
      uv_close ((uv_handle_t *) s, NULL);
    }
}

static void
uv_on_write (uv_write_t *w, int status)
{
  uv_op_t *u = w->data;
  if (status < 0 && status != UV_EPIPE)
    u->failed = true;
  uv_close ((uv_handle_t *) &u->in, NULL);
}

static int
op_uv (const task_t *t, char *why)
{
  static __thread uv_loop_t *loop;
  if (loop == NULL)
    {
      loop = malloc (sizeof *loop);
      if (loop == NULL || uv_loop_init (loop) < 0)
        {
          why_set (why, "uv_loop_init failed");
          return OP_FAILED;
        }
    }
  char *argv[] = { (char *) t->path, (char *) t->arg1, (char *) t->arg2,
                   NULL };
  uv_op_t u;
  memset (&u, 0, sizeof u);
  uv_stdio_container_t stdio[3];
  memset (stdio, 0, sizeof stdio);
  stdio[0].flags = UV_IGNORE;
  stdio[1].flags = UV_INHERIT_FD;
  stdio[1].data.fd = 1;
  stdio[2].flags = UV_INHERIT_FD;
  stdio[2].data.fd = 2;
  if (t->input)
    {
      uv_pipe_init (loop, &u.in, 0);
      u.in.data = &u;
      stdio[0].flags = UV_CREATE_PIPE | UV_READABLE_PIPE;
      stdio[0].data.stream = (uv_stream_t *) &u.in;
    }
  if (t->capture)
    {
      uv_pipe_init (loop, &u.out, 0);
      u.out.data = &u;
      stdio[1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
      stdio[1].data.stream = (uv_stream_t *) &u.out;
    }
  uv_process_options_t o;
  memset (&o, 0, sizeof o);
  o.file = t->path;
  o.args = argv;
  o.exit_cb = uv_on_exit;
  o.stdio = stdio;
  o.stdio_count = 3;
  u.proc.data = &u;
  int r = uv_spawn (loop, &u.proc, &o);
  if (r < 0)
    {
      why_set (why, "uv_spawn: %s", uv_strerror (r));
      if (t->input)
        uv_close ((uv_handle_t *) &u.in, NULL);
      if (t->capture)
        uv_close ((uv_handle_t *) &u.out, NULL);
      uv_run (loop, UV_RUN_DEFAULT);
      return OP_FAILED;
    }
  if (t->capture)
    uv_read_start ((uv_stream_t *) &u.out, uv_on_alloc, uv_on_read);
  if (t->input)
    {
      uv_buf_t ib = uv_buf_init ((char *) t->input, (unsigned) t->input_len);
      u.wr.data = &u;
      uv_write (&u.wr, (uv_stream_t *) &u.in, &ib, 1, uv_on_write);
    }
  uv_run (loop, UV_RUN_DEFAULT);
  size_t len = u.buf.len;
  free (u.buf.p);
  if (u.failed)
    {
      why_set (why, "libuv I/O failed");
      return OP_FAILED;
    }
  return check_output (t, len, u.term ? 128 + u.term : (int) u.status, why);
}
#endif

#ifdef BENCH_HAVE_LIBPIPELINE
static int
op_pipeline (const task_t *t, char *why)
{
  if (t->input)
    {
      why_set (why, "libpipeline cannot feed and read at once");
      return OP_NA;
    }
  /* libpipeline installs a SIGCHLD handler of its own; put back the
     previous one so that it does not stay for the other methods.  */
  struct sigaction old;
  sigaction (SIGCHLD, NULL, &old);
  pipeline *p = pipeline_new_command_args (t->path, t->arg1, t->arg2,
                                           (void *) NULL);
  int st;
  gbuf_t b = { 0 };
  bool nomem = false;
  if (!t->capture)
    st = pipeline_run (p);
  else
    {
      /* pipeline_read lends its own buffer: keep the bytes in ours.  */
      pipeline_want_out (p, -1);
      pipeline_start (p);
      for (;;)
        {
          size_t len = 1 << 20;
          const char *d = pipeline_read (p, &len);
          if (d == NULL || len == 0)
            break;
          if (gbuf_room (&b, len) < 0)
            {
              nomem = true;
              break;
            }
          memcpy (b.p + b.len, d, len);
          b.len += len;
        }
      st = pipeline_wait (p);
      pipeline_free (p);
    }
  sigaction (SIGCHLD, &old, NULL);
  free (b.p);
  if (nomem)
    {
      why_set (why, "out of memory");
      return OP_FAILED;
    }
  return check_output (t, b.len, st, why);
}
#endif

static int
run_task (int m, const task_t *t, char *why)
{
  switch (m)
    {
    case M_VFORK:
    case M_POSIX_SPAWN:
    case M_FORK:
    case M_DISCARD:
    case M_PREFAULT:
    case M_SAFE:
      return op_raw (m, t, why);
    case M_SUBPROC:
      return op_subproc (t, why);
#ifdef BENCH_HAVE_GLIB
    case M_GLIB:
      return op_glib (t, why);
#endif
#ifdef BENCH_HAVE_LIBUV
    case M_UV:
      return op_uv (t, why);
#endif
#ifdef BENCH_HAVE_LIBPIPELINE
    case M_PIPELINE:
      return op_pipeline (t, why);
#endif
    default:
      why_set (why, "%s", method_missing (m));
      return OP_NA;
    }
}

/* ------------------------------------------------------------------ */
/* Results.  */

enum unit
{
  U_US,      /* microseconds per operation, lower is better */
  U_MS,      /* milliseconds per operation */
  U_MIBS,    /* MiB/s, higher is better */
  U_PER_S,   /* operations per second, higher is better */
  U_MIB      /* MiB of memory */
};

static const char *const unit_name[] = { "us", "ms", "MiB/s", "ops/s",
                                         "MiB" };

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
} row_t;

static row_t rows[400];
static size_t n_rows;
static bool any_failed;

static row_t *
add_row (int fig, const char *what, int m, enum unit unit)
{
  if (n_rows == sizeof rows / sizeof rows[0])
    die ("too many rows");
  row_t *r = &rows[n_rows++];
  memset (r, 0, sizeof *r);
  r->fig = fig;
  copy_str (r->what, sizeof r->what, what);
  r->method = m;
  r->unit = unit;
  r->value = -1;
  return r;
}

static row_t *
find_row (int fig, const char *what, int m)
{
  for (size_t i = 0; i < n_rows; i++)
    if (rows[i].fig == fig && rows[i].method == m
        && strcmp (rows[i].what, what) == 0)
      return &rows[i];
  return NULL;
}

static double
value_of (int fig, const char *what, int m)
{
  row_t *r = find_row (fig, what, m);
  return r ? r->value : -1;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  if (n <= 0)
    return -1;
  qsort (v, (size_t) n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* ------------------------------------------------------------------ */
/* Interleaved measurement of several (method, task) cells.  */

typedef struct cell
{
  int method;
  const task_t *task;
  double *samples;  /* seconds per operation */
  int n;
  int state;        /* OP_OK, OP_FAILED, OP_NA */
  char why[WHY_LEN];
} cell_t;

/* Bytes of memory to make warm before each timed operation (figure 4).
   On a VM whose guest reports free pages to the host (virtio free page
   reporting, as on this project's machines), memory that stayed free for
   a couple of seconds is given back, and touching it again costs a
   host-side fault on top of the guest's: several times a normal page
   fault.  A method that runs after others that allocated nothing would
   then pay for that, and one that follows a large free would not: the
   order of the methods, not the methods, would decide.  So before each
   operation of a capture figure, as much memory as it will fill is
   touched and freed again, untimed.  */
static size_t warm_bytes;

static void
warm_memory (size_t len)
{
  if (len == 0)
    return;
  char *p = mmap (NULL, len, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p != MAP_FAILED)
    munmap (p, len);
}

static void
measure (cell_t *cells, int n_cells, int max_rounds, int min_rounds,
         double budget)
{
  for (int c = 0; c < n_cells; c++)
    {
      cells[c].samples = calloc ((size_t) max_rounds, sizeof (double));
      if (cells[c].samples == NULL)
        die ("out of memory");
      cells[c].n = 0;
      cells[c].state = OP_OK;
      cells[c].why[0] = '\0';
      if (method_missing (cells[c].method))
        {
          cells[c].state = OP_NA;
          snprintf (cells[c].why, WHY_LEN, "skipped: %s",
                    method_missing (cells[c].method));
        }
    }
  /* One round untimed: page in the programs and the libraries.  */
  for (int c = 0; c < n_cells; c++)
    if (cells[c].state == OP_OK)
      cells[c].state = run_task (cells[c].method, cells[c].task,
                                 cells[c].why);

  double start = now_s ();
  for (int round = 0; round < max_rounds; round++)
    {
      if (round >= min_rounds && now_s () - start > budget)
        break;
      /* Rotate the order so that no method always follows another.  */
      for (int k = 0; k < n_cells; k++)
        {
          cell_t *c = &cells[(k + round) % n_cells];
          if (c->state != OP_OK)
            continue;
          warm_memory (warm_bytes);
          double t0 = now_s ();
          int r = run_task (c->method, c->task, c->why);
          double t1 = now_s ();
          if (r != OP_OK)
            {
              c->state = r;
              continue;
            }
          c->samples[c->n++] = t1 - t0;
        }
    }
}

/* Turn CELLS into rows of figure FIG, case WHAT; ratios to BASE_METHOD's
   cell (or none when BASE_METHOD < 0).  */
static void
cells_to_rows (cell_t *cells, int n_cells, int fig, const char *what,
               enum unit unit, double bytes, int base_method)
{
  double base = -1;
  for (int c = 0; c < n_cells; c++)
    {
      cell_t *cl = &cells[c];
      row_t *r = add_row (fig, what, cl->method, unit);
      r->n = cl->n;
      if (cl->state == OP_NA)
        copy_str (r->note, sizeof r->note, cl->why);
      else if (cl->state == OP_FAILED || cl->n == 0)
        {
          snprintf (r->note, sizeof r->note, "FAILED: %.180s", cl->why);
          r->failed = true;
          any_failed = true;
        }
      else
        {
          double med = median (cl->samples, cl->n);
          switch (unit)
            {
            case U_US:
              r->value = med * 1e6;
              break;
            case U_MS:
              r->value = med * 1e3;
              break;
            case U_MIBS:
              r->value = bytes / MIB / med;
              break;
            case U_PER_S:
              r->value = 1 / med;
              break;
            case U_MIB:
            default:
              r->value = med;
              break;
            }
          if (cl->method == base_method)
            base = r->value;
        }
      free (cl->samples);
      cl->samples = NULL;
    }
  if (base_method < 0 || base <= 0)
    return;
  for (size_t i = n_rows - (size_t) n_cells; i < n_rows; i++)
    if (rows[i].value > 0)
      {
        rows[i].ratio = rows[i].value / base;
        snprintf (rows[i].vs, sizeof rows[i].vs, "%s",
                  method_name[base_method]);
      }
}

/* ------------------------------------------------------------------ */
/* Figures 1 and 2.  */

/* The methods that share the parent's memory first, then those that
   fork.  The two groups are measured apart: after a fork every page of
   the parent is copy-on-write, and the next writes to it fault, which
   would charge the forks' after-effects to the methods that follow.  */
static const int spawn_methods[] = { M_VFORK, M_SAFE, M_POSIX_SPAWN,
                                     M_SUBPROC, M_FORK, M_GLIB,
                                     M_UV,      M_PIPELINE };
#define N_SPAWN_METHODS \
  ((int) (sizeof spawn_methods / sizeof spawn_methods[0]))
#define N_NOFORK_METHODS 4

/* Measure the spawn cells in their two groups.  */
static void
measure_spawn (cell_t *cells, int max_rounds, int min_rounds, double budget)
{
  measure (cells, N_NOFORK_METHODS, max_rounds, min_rounds, budget);
  measure (cells + N_NOFORK_METHODS, N_SPAWN_METHODS - N_NOFORK_METHODS,
           max_rounds, min_rounds, budget);
}

static void
parent_label (char *buf, size_t len)
{
  long rss = status_kib ("VmRSS:");
  snprintf (buf, len, "parent %ld MB", (long) ((double) rss * 1024 / 1e6 + 0.5));
}

static void
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

/* ------------------------------------------------------------------ */
/* Figure 3.  */

static void
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

/* ------------------------------------------------------------------ */
/* Figure 4.  */

static char *input_data;

static void
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

static int
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

static void
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

static void
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

static target_t targets[16];
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
  return u == U_US || u == U_MS || u == U_MIB;
}

static void
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
      if (!is_peer (p->method) || p->value <= 0 || p->unit == U_MIB)
        continue;
      row_t *s = find_row (p->fig, p->what, M_SUBPROC);
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

static void
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

static void
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

static void
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

  fprintf (out, "\nTargets of issue 7 and 4 (informational; the exit status "
                "does not depend on them):\n");
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

static void
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
              "\"thread_spawns\": %d, \"ballast_huge_pages\": %s},\n",
           opt.small_mb, opt.big_mb, opt.capture_mb, opt.inout_mb, opt.nfds,
           opt.thread_spawns, opt.thp ? "true" : "false");
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

/* ------------------------------------------------------------------ */

static void
usage (FILE *out)
{
  fprintf (out,
           "Usage: bench [OPTION]...\n"
           "Measure libsubproc against raw system calls and its peers "
           "(issue 7).\n\n"
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
  bool set_big = false, set_capture = false, set_inout = false;
  bool set_rounds = false, set_budget = false, set_threads = false;

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
    }
  if (opt.max_rounds < 2 || opt.capture_mb < 1 || opt.inout_mb < 1)
    die ("--rounds must be at least 2, sizes at least 1");

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
