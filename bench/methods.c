/* methods.c: make bench's ways of spawning a child, and memory.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each method runs one operation (task_t: spawn, maybe feed and capture,
 * wait) its own way: raw system calls, libsubproc, or a peer library.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef BENCH_HAVE_GLIB
# include <glib.h>
#endif
#ifdef BENCH_HAVE_LIBUV
# include <uv.h>
#endif
#ifdef BENCH_HAVE_LIBPIPELINE
# include <pipeline.h>
#endif

#include "subproc.h"
#include "bench.h"

extern char **environ;

/* ------------------------------------------------------------------ */
/* Memory.  */

/* A field of /proc/self/status in KiB ("VmRSS:", "VmHWM:"), or -1.  */
long
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
void
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

/* A growing buffer (bench.h).  */
int
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

const char *const method_name[M_COUNT] = {
  "raw vfork+execve",  "raw posix_spawn",     "raw fork+execve",
  "libsubproc",        "GLib g_spawn_sync",   "libuv uv_spawn",
  "libpipeline",       "read() loop, discard", "read() loop, pre-faulted",
  "raw vfork, safe setup",
  "libsubproc subproc_poll", "libsubproc, threads", "libuv, one loop",
  "GLib main loop",    "raw posix_spawn+poll",
  "raw vfork, wait4",  "libsubproc + usage",
};

const char *const method_key[M_COUNT] = {
  "raw_vfork", "raw_posix_spawn", "raw_fork",    "libsubproc",
  "glib",      "libuv",           "libpipeline", "raw_discard",
  "raw_prefaulted", "raw_vfork_safe",
  "libsubproc_poll", "libsubproc_threads", "libuv_loop", "glib_main_loop",
  "raw_posix_spawn_poll",
  "raw_vfork_wait4", "libsubproc_usage",
};

bool
is_peer (int m)
{
  return m == M_GLIB || m == M_UV || m == M_PIPELINE || m == M_UV_LOOP
         || m == M_GLIB_LOOP;
}

/* Why a method is not in this build, or NULL.  */
const char *
method_missing (int m)
{
  switch (m)
    {
#ifndef BENCH_HAVE_GLIB
    case M_GLIB:
    case M_GLIB_LOOP:
      return "GLib (glib-2.0) not found by configure";
#endif
#ifndef BENCH_HAVE_LIBUV
    case M_UV:
    case M_UV_LOOP:
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

void
why_set (char *why, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (why, WHY_LEN, fmt, ap);
  va_end (ap);
}

/* Copy SRC into DST of LEN bytes, truncating.  */
void
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
char *prefault_buf;
size_t prefault_len;

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
pid_t
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

int
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

int
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
    case M_VFORK_WAIT4:
      return op_vfork_wait4 (t, why);
    case M_SUBPROC_USAGE:
      return op_subproc_usage (t, why);
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
      why_set (why, "%s", method_missing (m) ? method_missing (m)
                          : "not a method of single runs");
      return OP_NA;
    }
}
