/* fig-many.c: make bench's figure 6, many children at once.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Two parts.
 *
 * Busy children: 1,000 children, 64 running at any time, each writing
 * 64 KiB to stdout and 1 KiB to stderr, both captured into memory, a new
 * child started as soon as one is over.  Five ways of doing it:
 * libsubproc's subproc_poll on one thread; libuv, one loop; GLib's main
 * loop (g_child_watch and GIOChannel watches); 64 threads each calling
 * subproc_run in a loop; and a loop written by hand (posix_spawn, pipes,
 * poll, waitpid), the baseline.  Each run is a fresh process (this
 * program again, with --many-probe), so that its peak RSS, its CPU time
 * (getrusage: the process, and its reaped children apart) and its
 * threads are its own.  Peak threads: /proc/self/status sampled every
 * 25 children and at the end of the run (every 10 ms from the main
 * thread for the threaded method).
 *
 * Idle children: 10,000 children that block reading a pipe the parent
 * holds, all started with subproc_run_async and tracked by one thread
 * with subproc_poll (in a fresh process too, --idle-probe).  The
 * library's memory per child is the growth of the heap in use
 * (mallinfo2: the command objects with their arguments and every run's
 * state) and of VmRSS between before the first subproc_new and after the
 * last subproc_run_async, divided by the number of children.  Then the
 * parent closes the pipe, every child writes its pid and the time (the
 * system-wide CLOCK_MONOTONIC) to a shared file just before it exits,
 * and the time of each subproc_poll report is taken as it returns: the
 * delay from an exit to its report is the difference (a few
 * microseconds too long: the child's exit comes after its record).
 * Each child costs a pidfd: RLIMIT_NOFILE's soft limit is raised to the
 * hard one, and the number of children is scaled down, with a message,
 * when it is still too low.
 */

#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
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

extern char **environ;

/* What each busy child writes.  */
#define OUT_BYTES 65536
#define ERR_BYTES 1024
#define OUT_ARG "65536"
#define ERR_ARG "1024"

/* No child of this figure takes that long: a wait that does is a
   failure, not a hang.  */
#define POLL_LIMIT_MS 60000

/* ------------------------------------------------------------------ */
/* Peak threads.  */

static int status_fd = -1;
static atomic_long peak_threads;

static void
sample_threads (void)
{
  char buf[4096];
  if (status_fd < 0)
    status_fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  if (status_fd < 0)
    return;
  ssize_t n = pread (status_fd, buf, sizeof buf - 1, 0);
  if (n <= 0)
    return;
  buf[n] = '\0';
  char *p = strstr (buf, "\nThreads:");
  if (p == NULL)
    return;
  long t = strtol (p + 9, NULL, 10);
  long old = atomic_load (&peak_threads);
  while (t > old && !atomic_compare_exchange_weak (&peak_threads, &old, t))
    ;
}

/* The message of the calling thread's last error.  */
static const char *
last_message (void)
{
  const subproc_error_t *e = subproc_last_error ();
  return e && e->message ? e->message : "unknown error";
}

/* ------------------------------------------------------------------ */
/* The busy children, one method each.  */

/* A child's result: status 0 and the exact amounts.  */
static int
check_child (int status, size_t out, size_t err, char *why)
{
  if (status != 0)
    {
      why_set (why, "child status %d", status);
      return OP_FAILED;
    }
  if (out != OUT_BYTES || err != ERR_BYTES)
    {
      why_set (why, "captured %zu + %zu bytes, expected %d + %d", out, err,
               OUT_BYTES, ERR_BYTES);
      return OP_FAILED;
    }
  return OP_OK;
}

/* libsubproc, one command per child.  */
static subproc_t *
subproc_busy_new (char **out, size_t *out_len, char **err, size_t *err_len)
{
  subproc_t *cmd = subproc_new (static_child);
  subproc_add_arg (cmd, "e");
  subproc_add_arg (cmd, OUT_ARG);
  subproc_add_arg (cmd, ERR_ARG);
  subproc_set_output_bytes (cmd, out, out_len);
  subproc_set_error_bytes (cmd, err, err_len);
  return cmd;
}

typedef struct sp_slot
{
  char *out, *err;
  size_t out_len, err_len;
} sp_slot_t;

/* (a) subproc_poll on one thread over the running commands.  */
static int
busy_subproc_poll (int total, int par, char *why)
{
  subproc_t **cmds = calloc ((size_t) par, sizeof *cmds);
  sp_slot_t *s = calloc ((size_t) par, sizeof *s);
  size_t *ended = calloc ((size_t) par, sizeof *ended);
  int started = 0, finished = 0, ret = OP_OK;
  if (cmds == NULL || s == NULL || ended == NULL)
    die ("out of memory");
  for (;;)
    {
      /* Fill the free slots.  */
      for (int i = 0; i < par && started < total && ret == OP_OK; i++)
        if (cmds[i] == NULL)
          {
            cmds[i] = subproc_busy_new (&s[i].out, &s[i].out_len, &s[i].err,
                                        &s[i].err_len);
            if (subproc_run_async (cmds[i], NULL) < 0)
              {
                why_set (why, "%s", subproc_get_error (cmds[i])->message);
                ret = OP_FAILED;
              }
            started++;
          }
      if (finished == started && (started == total || ret != OP_OK))
        break;
      int n = subproc_poll (cmds, (size_t) par, POLL_LIMIT_MS, ended);
      if (n <= 0)
        {
          if (n < 0)
            why_set (why, "subproc_poll: %s",
                     last_message ());
          else
            why_set (why, "subproc_poll: nothing over in %d s",
                     POLL_LIMIT_MS / 1000);
          ret = OP_FAILED;
          break;
        }
      for (int k = 0; k < n; k++)
        {
          size_t i = ended[k];
          int st = -1;
          if (subproc_wait (cmds[i], &st) < 0)
            {
              why_set (why, "%s", subproc_get_error (cmds[i])->message);
              ret = OP_FAILED;
            }
          else if (ret == OP_OK)
            ret = check_child (st, s[i].out_len, s[i].err_len, why);
          subproc_free (cmds[i]);
          cmds[i] = NULL;
          free (s[i].out);
          free (s[i].err);
          memset (&s[i], 0, sizeof s[i]);
          if (++finished % 25 == 0)
            sample_threads ();
        }
    }
  /* After a failure: stop what still runs.  */
  for (int i = 0; i < par; i++)
    if (cmds[i])
      {
        subproc_free (cmds[i]);
        free (s[i].out);
        free (s[i].err);
      }
  free (cmds);
  free (s);
  free (ended);
  return ret;
}

/* (d) PAR threads, each running one command after the other with
   subproc_run.  */
typedef struct busy_threads
{
  atomic_int left;
  atomic_int done;
  atomic_int failed;
  char why[WHY_LEN];
  pthread_mutex_t lock;
} busy_threads_t;

static void *
busy_thread_main (void *arg)
{
  busy_threads_t *b = arg;
  while (atomic_fetch_sub (&b->left, 1) > 0 && !atomic_load (&b->failed))
    {
      sp_slot_t s = { 0 };
      int st = -1;
      char why[WHY_LEN];
      subproc_t *cmd = subproc_busy_new (&s.out, &s.out_len, &s.err,
                                         &s.err_len);
      int r = OP_OK;
      if (subproc_run (cmd, &st) < 0)
        {
          why_set (why, "%s", subproc_get_error (cmd)->message);
          r = OP_FAILED;
        }
      else
        r = check_child (st, s.out_len, s.err_len, why);
      subproc_free (cmd);
      free (s.out);
      free (s.err);
      if (r != OP_OK)
        {
          pthread_mutex_lock (&b->lock);
          if (!atomic_exchange (&b->failed, 1))
            copy_str (b->why, sizeof b->why, why);
          pthread_mutex_unlock (&b->lock);
        }
      atomic_fetch_add (&b->done, 1);
    }
  return NULL;
}

static int
busy_subproc_threads (int total, int par, char *why)
{
  busy_threads_t b;
  memset (&b, 0, sizeof b);
  atomic_store (&b.left, total);
  pthread_mutex_init (&b.lock, NULL);
  pthread_t *th = calloc ((size_t) par, sizeof *th);
  if (th == NULL)
    die ("out of memory");
  int n = 0;
  for (; n < par; n++)
    if (pthread_create (&th[n], NULL, busy_thread_main, &b) != 0)
      break;
  /* The main thread only watches the number of threads.  */
  struct timespec ten_ms = { 0, 10 * 1000 * 1000 };
  while (n > 0 && atomic_load (&b.done) < total && !atomic_load (&b.failed))
    {
      sample_threads ();
      nanosleep (&ten_ms, NULL);
    }
  for (int i = 0; i < n; i++)
    pthread_join (th[i], NULL);
  free (th);
  pthread_mutex_destroy (&b.lock);
  if (n < par)
    {
      why_set (why, "pthread_create failed after %d threads", n);
      return OP_FAILED;
    }
  if (atomic_load (&b.failed))
    {
      copy_str (why, WHY_LEN, b.why);
      return OP_FAILED;
    }
  return OP_OK;
}

/* (e) By hand: posix_spawn, two pipes per child, one poll over all of
   them, waitpid once both pipes are at their end (the child's pidfd is
   polled only for a child that has closed them and not yet exited).  */
typedef struct raw_child
{
  bool used;
  pid_t pid;
  int fd[2];   /* stdout, stderr; -1 once at their end */
  int pidfd;
  gbuf_t buf[2];
} raw_child_t;

static int
raw_busy_start (raw_child_t *c, char *why)
{
  static char *argv[5];
  argv[0] = static_child;
  argv[1] = (char *) "e";
  argv[2] = (char *) OUT_ARG;
  argv[3] = (char *) ERR_ARG;
  argv[4] = NULL;
  int p[2][2];
  memset (c, 0, sizeof *c);
  c->pidfd = -1;
  if (pipe2 (p[0], O_CLOEXEC) < 0)
    goto sys;
  if (pipe2 (p[1], O_CLOEXEC) < 0)
    {
      close (p[0][0]);
      close (p[0][1]);
      goto sys;
    }
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_addopen (&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2 (&fa, p[0][1], 1);
  posix_spawn_file_actions_adddup2 (&fa, p[1][1], 2);
  int r = posix_spawn (&c->pid, argv[0], &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  close (p[0][1]);
  close (p[1][1]);
  if (r != 0)
    {
      close (p[0][0]);
      close (p[1][0]);
      errno = r;
      goto sys;
    }
  for (int s = 0; s < 2; s++)
    {
      c->fd[s] = p[s][0];
      fcntl (c->fd[s], F_SETFL, fcntl (c->fd[s], F_GETFL) | O_NONBLOCK);
    }
  c->used = true;
  return OP_OK;

sys:
  why_set (why, "%s", strerror (errno));
  return OP_FAILED;
}

/* Read stream S of C until it would block or ends.  */
static int
raw_busy_read (raw_child_t *c, int s)
{
  for (;;)
    {
      if (gbuf_room (&c->buf[s], 64 * 1024) < 0)
        return -1;
      ssize_t r = read (c->fd[s], c->buf[s].p + c->buf[s].len,
                        c->buf[s].cap - c->buf[s].len);
      if (r > 0)
        {
          c->buf[s].len += (size_t) r;
          continue;
        }
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EAGAIN)
        return 0;
      if (r < 0)
        return -1;
      close (c->fd[s]);
      c->fd[s] = -1;
      return 0;
    }
}

/* The end of C: 1 when reaped (with *STATUS), 0 not yet.  */
static int
raw_busy_reap (raw_child_t *c, bool block, int *status)
{
  int st;
  pid_t r;
  while ((r = waitpid (c->pid, &st, block ? 0 : WNOHANG)) < 0
         && errno == EINTR)
    ;
  if (r == 0)
    return 0;
  *status = r < 0 ? -1 : WIFEXITED (st) ? WEXITSTATUS (st)
                                         : 128 + WTERMSIG (st);
  return 1;
}

static int
busy_raw_poll (int total, int par, char *why)
{
  raw_child_t *c = calloc ((size_t) par, sizeof *c);
  struct pollfd *pfd = calloc ((size_t) par * 3, sizeof *pfd);
  int *who = calloc ((size_t) par * 3, sizeof *who);
  int started = 0, running = 0, finished = 0, ret = OP_OK;
  if (c == NULL || pfd == NULL || who == NULL)
    die ("out of memory");
  for (;;)
    {
      for (int i = 0; i < par && started < total && ret == OP_OK; i++)
        if (!c[i].used)
          {
            ret = raw_busy_start (&c[i], why);
            if (ret == OP_OK)
              started++, running++;
          }
      if (running == 0 || ret != OP_OK)
        break;
      nfds_t n = 0;
      for (int i = 0; i < par; i++)
        {
          if (!c[i].used)
            continue;
          for (int s = 0; s < 2; s++)
            if (c[i].fd[s] >= 0)
              {
                pfd[n].fd = c[i].fd[s];
                pfd[n].events = POLLIN;
                who[n++] = i * 3 + s;
              }
          if (c[i].pidfd >= 0)
            {
              pfd[n].fd = c[i].pidfd;
              pfd[n].events = POLLIN;
              who[n++] = i * 3 + 2;
            }
        }
      if (poll (pfd, n, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          why_set (why, "poll: %s", strerror (errno));
          ret = OP_FAILED;
          break;
        }
      for (nfds_t k = 0; k < n && ret == OP_OK; k++)
        {
          if (pfd[k].revents == 0)
            continue;
          int i = who[k] / 3, s = who[k] % 3;
          int st = -1, over = 0;
          if (s < 2)
            {
              if (raw_busy_read (&c[i], s) < 0)
                {
                  why_set (why, "read: %s", strerror (errno));
                  ret = OP_FAILED;
                  break;
                }
              if (c[i].fd[0] >= 0 || c[i].fd[1] >= 0)
                continue;
              over = raw_busy_reap (&c[i], false, &st);
              if (!over)
                {
#ifdef SYS_pidfd_open
                  c[i].pidfd = (int) syscall (SYS_pidfd_open, c[i].pid, 0);
#endif
                  if (c[i].pidfd < 0)
                    over = raw_busy_reap (&c[i], true, &st);
                }
            }
          else
            over = raw_busy_reap (&c[i], true, &st);
          if (!over)
            continue;
          if (c[i].pidfd >= 0)
            close (c[i].pidfd);
          ret = check_child (st, c[i].buf[0].len, c[i].buf[1].len, why);
          free (c[i].buf[0].p);
          free (c[i].buf[1].p);
          memset (&c[i], 0, sizeof c[i]);
          c[i].fd[0] = c[i].fd[1] = c[i].pidfd = -1;
          running--;
          if (++finished % 25 == 0)
            sample_threads ();
        }
    }
  /* After a failure: end what still runs.  */
  for (int i = 0; i < par; i++)
    if (c[i].used)
      {
        int st;
        for (int s = 0; s < 2; s++)
          if (c[i].fd[s] >= 0)
            close (c[i].fd[s]);
        if (c[i].pidfd >= 0)
          close (c[i].pidfd);
        raw_busy_reap (&c[i], true, &st);
        free (c[i].buf[0].p);
        free (c[i].buf[1].p);
      }
  free (c);
  free (pfd);
  free (who);
  return ret;
}

#ifdef BENCH_HAVE_LIBUV
/* (b) libuv: one loop, uv_spawn with two pipes, uv_read_start, the exit
   callback; a child is over when its three handles are closed.  */
typedef struct uv_many uv_many_t;

typedef struct uv_child
{
  uv_process_t proc;
  uv_pipe_t pipe[2];
  gbuf_t buf[2];
  int open;       /* handles not closed yet */
  int status;
  uv_many_t *m;
} uv_child_t;

struct uv_many
{
  uv_loop_t loop;
  int total, started, finished, ret;
  char *why;
};

static void uv_many_start (uv_child_t *c);

static void
uv_many_closed (uv_handle_t *h)
{
  uv_child_t *c = h->data;
  if (--c->open > 0)
    return;
  uv_many_t *m = c->m;
  if (m->ret == OP_OK)
    m->ret = check_child (c->status, c->buf[0].len, c->buf[1].len, m->why);
  free (c->buf[0].p);
  free (c->buf[1].p);
  if (++m->finished % 25 == 0)
    sample_threads ();
  if (m->started < m->total && m->ret == OP_OK)
    uv_many_start (c);
}

static void
uv_many_exit (uv_process_t *p, int64_t status, int term)
{
  uv_child_t *c = p->data;
  c->status = term ? 128 + term : (int) status;
  uv_close ((uv_handle_t *) p, uv_many_closed);
}

static void
uv_many_alloc (uv_handle_t *h, size_t suggested, uv_buf_t *b)
{
  uv_child_t *c = h->data;
  gbuf_t *g = &c->buf[h == (uv_handle_t *) &c->pipe[1]];
  if (gbuf_room (g, suggested) < 0)
    {
      b->base = NULL;
      b->len = 0;
      return;
    }
  b->base = g->p + g->len;
  b->len = g->cap - g->len;
}

static void
uv_many_read (uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
  uv_child_t *c = s->data;
  (void) b;
  if (n > 0)
    c->buf[s == (uv_stream_t *) &c->pipe[1]].len += (size_t) n;
  else if (n < 0)
    {
      if (n != UV_EOF && c->m->ret == OP_OK)
        {
          why_set (c->m->why, "libuv read: %s", uv_strerror ((int) n));
          c->m->ret = OP_FAILED;
        }
      uv_close ((uv_handle_t *) s, uv_many_closed);
    }
}

static void
uv_many_start (uv_child_t *c)
{
  uv_many_t *m = c->m;
  char *argv[] = { static_child, (char *) "e", (char *) OUT_ARG,
                   (char *) ERR_ARG, NULL };
  memset (c, 0, sizeof *c);
  c->m = m;
  m->started++;
  uv_stdio_container_t stdio[3];
  memset (stdio, 0, sizeof stdio);
  stdio[0].flags = UV_IGNORE;
  for (int s = 0; s < 2; s++)
    {
      uv_pipe_init (&m->loop, &c->pipe[s], 0);
      c->pipe[s].data = c;
      stdio[s + 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
      stdio[s + 1].data.stream = (uv_stream_t *) &c->pipe[s];
    }
  uv_process_options_t o;
  memset (&o, 0, sizeof o);
  o.file = static_child;
  o.args = argv;
  o.exit_cb = uv_many_exit;
  o.stdio = stdio;
  o.stdio_count = 3;
  c->proc.data = c;
  c->open = 3;
  int r = uv_spawn (&m->loop, &c->proc, &o);
  if (r < 0)
    {
      why_set (m->why, "uv_spawn: %s", uv_strerror (r));
      m->ret = OP_FAILED;
      /* The handles are closed all the same; the run then stops.  */
      uv_close ((uv_handle_t *) &c->proc, uv_many_closed);
      for (int s = 0; s < 2; s++)
        uv_close ((uv_handle_t *) &c->pipe[s], uv_many_closed);
      return;
    }
  for (int s = 0; s < 2; s++)
    uv_read_start ((uv_stream_t *) &c->pipe[s], uv_many_alloc,
                   uv_many_read);
}

static int
busy_uv (int total, int par, char *why)
{
  uv_many_t m;
  memset (&m, 0, sizeof m);
  m.total = total;
  m.why = why;
  m.ret = OP_OK;
  if (uv_loop_init (&m.loop) < 0)
    {
      why_set (why, "uv_loop_init failed");
      return OP_FAILED;
    }
  uv_child_t *c = calloc ((size_t) par, sizeof *c);
  if (c == NULL)
    die ("out of memory");
  for (int i = 0; i < par && m.started < total && m.ret == OP_OK; i++)
    {
      c[i].m = &m;
      uv_many_start (&c[i]);
    }
  uv_run (&m.loop, UV_RUN_DEFAULT);
  uv_loop_close (&m.loop);
  free (c);
  return m.ret;
}
#endif

#ifdef BENCH_HAVE_GLIB
/* (c) GLib's main loop: g_spawn_async_with_pipes, a g_child_watch and
   a GIOChannel watch per pipe; a child is over when its watch has fired
   and both pipes are at their end.  */
typedef struct g_many g_many_t;
typedef struct g_child g_child_t;

typedef struct g_stream
{
  g_child_t *c;
  int s;
} g_stream_t;

struct g_child
{
  g_stream_t st[2];
  gbuf_t buf[2];
  int open;     /* the child watch and the pipes still to come */
  int status;
  g_many_t *m;
};

struct g_many
{
  GMainLoop *loop;
  int total, started, finished, ret;
  char *why;
};

static void g_many_start (g_child_t *c);

static void
g_many_part_over (g_child_t *c)
{
  if (--c->open > 0)
    return;
  g_many_t *m = c->m;
  if (m->ret == OP_OK)
    m->ret = check_child (c->status, c->buf[0].len, c->buf[1].len, m->why);
  free (c->buf[0].p);
  free (c->buf[1].p);
  if (++m->finished % 25 == 0)
    sample_threads ();
  if (m->started < m->total && m->ret == OP_OK)
    g_many_start (c);
  else if (m->finished == m->started)
    g_main_loop_quit (m->loop);
}

static void
g_many_exit (GPid pid, gint status, gpointer data)
{
  g_child_t *c = data;
  c->status = WIFEXITED (status) ? WEXITSTATUS (status)
                                 : 128 + WTERMSIG (status);
  g_spawn_close_pid (pid);
  g_many_part_over (c);
}

static gboolean
g_many_read (GIOChannel *ch, GIOCondition cond, gpointer data)
{
  g_stream_t *st = data;
  g_child_t *c = st->c;
  gbuf_t *b = &c->buf[st->s];
  (void) cond;
  for (;;)
    {
      gsize got = 0;
      GError *err = NULL;
      if (gbuf_room (b, 64 * 1024) < 0)
        die ("out of memory");
      GIOStatus r = g_io_channel_read_chars (ch, b->p + b->len,
                                             b->cap - b->len, &got, &err);
      b->len += got;
      if (r == G_IO_STATUS_NORMAL)
        continue;
      if (r == G_IO_STATUS_AGAIN)
        return TRUE;
      if (r == G_IO_STATUS_ERROR && c->m->ret == OP_OK)
        {
          why_set (c->m->why, "GIOChannel: %s", err->message);
          c->m->ret = OP_FAILED;
        }
      if (err)
        g_error_free (err);
      g_io_channel_unref (ch);
      g_many_part_over (c);
      return FALSE;
    }
}

static void
g_many_start (g_child_t *c)
{
  g_many_t *m = c->m;
  gchar *argv[] = { static_child, (gchar *) "e", (gchar *) OUT_ARG,
                    (gchar *) ERR_ARG, NULL };
  GPid pid;
  gint fd[2];
  GError *err = NULL;
  memset (c, 0, sizeof *c);
  c->m = m;
  m->started++;
  if (!g_spawn_async_with_pipes (NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                 NULL, NULL, &pid, NULL, &fd[0], &fd[1],
                                 &err))
    {
      why_set (m->why, "g_spawn_async_with_pipes: %s", err->message);
      g_error_free (err);
      m->ret = OP_FAILED;
      m->finished++;
      if (m->finished == m->started)
        g_main_loop_quit (m->loop);
      return;
    }
  c->open = 3;
  g_child_watch_add (pid, g_many_exit, c);
  for (int s = 0; s < 2; s++)
    {
      GIOChannel *ch = g_io_channel_unix_new (fd[s]);
      g_io_channel_set_close_on_unref (ch, TRUE);
      g_io_channel_set_encoding (ch, NULL, NULL);
      g_io_channel_set_buffered (ch, FALSE);
      g_io_channel_set_flags (ch, G_IO_FLAG_NONBLOCK, NULL);
      c->st[s].c = c;
      c->st[s].s = s;
      g_io_add_watch (ch, G_IO_IN | G_IO_HUP | G_IO_ERR, g_many_read,
                      &c->st[s]);
    }
}

static int
busy_glib (int total, int par, char *why)
{
  g_many_t m;
  memset (&m, 0, sizeof m);
  m.total = total;
  m.why = why;
  m.ret = OP_OK;
  m.loop = g_main_loop_new (NULL, FALSE);
  g_child_t *c = calloc ((size_t) par, sizeof *c);
  if (c == NULL)
    die ("out of memory");
  for (int i = 0; i < par && m.started < total && m.ret == OP_OK; i++)
    {
      c[i].m = &m;
      g_many_start (&c[i]);
    }
  if (m.finished < m.started)
    g_main_loop_run (m.loop);
  g_main_loop_unref (m.loop);
  free (c);
  return m.ret;
}
#endif

/* ------------------------------------------------------------------ */
/* The probes: this program again, one run in a fresh process.  */

static double
tv_s (struct timeval tv)
{
  return (double) tv.tv_sec + (double) tv.tv_usec / 1e6;
}

/* --many-probe M TOTAL PAR: prints "wall user sys child-user child-sys
   peak-threads peak-rss-KiB start-rss-KiB", or the reason it could not
   (exit 3: the method is not in this build).  */
int
many_probe_main (int m, int total, int par)
{
  char why[WHY_LEN] = "";
  struct rusage self0, self1, kids0, kids1;
  long start_kib = status_kib ("VmHWM:");
  if (method_missing (m))
    {
      printf ("skipped: %s\n", method_missing (m));
      return 3;
    }
  sample_threads ();
  getrusage (RUSAGE_SELF, &self0);
  getrusage (RUSAGE_CHILDREN, &kids0);
  double t0 = now_s ();
  int r;
  switch (m)
    {
    case M_SUBPROC_POLL:
      r = busy_subproc_poll (total, par, why);
      break;
    case M_SUBPROC_THREADS:
      r = busy_subproc_threads (total, par, why);
      break;
    case M_RAW_POLL:
      r = busy_raw_poll (total, par, why);
      break;
#ifdef BENCH_HAVE_LIBUV
    case M_UV_LOOP:
      r = busy_uv (total, par, why);
      break;
#endif
#ifdef BENCH_HAVE_GLIB
    case M_GLIB_LOOP:
      r = busy_glib (total, par, why);
      break;
#endif
    default:
      why_set (why, "not a method of figure 6");
      r = OP_FAILED;
      break;
    }
  double t1 = now_s ();
  getrusage (RUSAGE_SELF, &self1);
  getrusage (RUSAGE_CHILDREN, &kids1);
  sample_threads ();
  if (r != OP_OK)
    {
      printf ("%s\n", why);
      return 1;
    }
  printf ("%.6f %.6f %.6f %.6f %.6f %ld %ld %ld\n", t1 - t0,
          tv_s (self1.ru_utime) - tv_s (self0.ru_utime),
          tv_s (self1.ru_stime) - tv_s (self0.ru_stime),
          tv_s (kids1.ru_utime) - tv_s (kids0.ru_utime),
          tv_s (kids1.ru_stime) - tv_s (kids0.ru_stime),
          atomic_load (&peak_threads), status_kib ("VmHWM:"), start_kib);
  return 0;
}

/* Run this program with ARGS (after --child-dir): its output in OUT;
   OP_OK, OP_NA (exit 3) or OP_FAILED with the output or the reason in
   OUT.  */
static int
run_probe (const char *const *args, char *out, size_t len)
{
  char *argv[12];
  int k = 0;
  argv[k++] = self_exe;
  argv[k++] = (char *) "--child-dir";
  argv[k++] = (char *) opt.child_dir;
  for (; *args && k < 11; args++)
    argv[k++] = (char *) *args;
  argv[k] = NULL;
  int fds[2];
  if (pipe2 (fds, O_CLOEXEC) < 0)
    {
      snprintf (out, len, "pipe: %s", strerror (errno));
      return OP_FAILED;
    }
  pid_t pid = raw_start (M_POSIX_SPAWN, argv, -1, fds[1]);
  close (fds[1]);
  if (pid < 0)
    {
      snprintf (out, len, "cannot run %.100s: %s", self_exe, strerror (errno));
      close (fds[0]);
      return OP_FAILED;
    }
  size_t got = 0;
  ssize_t r;
  while (got < len - 1
         && ((r = read (fds[0], out + got, len - 1 - got)) > 0
             || (r < 0 && errno == EINTR)))
    if (r > 0)
      got += (size_t) r;
  out[got] = '\0';
  out[strcspn (out, "\n")] = '\0';
  close (fds[0]);
  int st = raw_wait (pid);
  if (st == 3)
    return OP_NA;
  if (st != 0)
    {
      char msg[WHY_LEN];
      snprintf (msg, sizeof msg, "probe status %d: %.150s", st, out);
      copy_str (out, len, msg);
      return OP_FAILED;
    }
  return OP_OK;
}

/* ------------------------------------------------------------------ */
/* The idle children.  */

static long
count_fds (void)
{
  DIR *d = opendir ("/proc/self/fd");
  long n = 0;
  if (d == NULL)
    return -1;
  while (readdir (d))
    n++;
  closedir (d);
  return n - 3; /* ".", ".." and the directory's own */
}

static size_t
heap_in_use (void)
{
  struct mallinfo2 mi = mallinfo2 ();
  return mi.uordblks + mi.hblkhd;
}

typedef struct idle_rec
{
  long long pid;
  long long ns;
} idle_rec_t;

static int
cmp_rec (const void *a, const void *b)
{
  const idle_rec_t *x = a, *y = b;
  return (x->pid > y->pid) - (x->pid < y->pid);
}

static int
cmp_dbl (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static int records_fd = -1;  /* the shared file of their records */

static subproc_t *
idle_start (int in_fd, pid_t *pid, char *why)
{
  subproc_t *cmd = subproc_new (static_child);
  subproc_add_arg (cmd, "w");
  subproc_set_input_fd (cmd, in_fd);
  subproc_set_output_fd (cmd, &records_fd);
  if (subproc_run_async (cmd, pid) < 0)
    {
      why_set (why, "%s", subproc_get_error (cmd)->message);
      subproc_free (cmd);
      return NULL;
    }
  return cmd;
}

static void idle_print (long started, double fds, double heap,
                        double rss_kib, double start_s, double t0,
                        const double *started_at, double *poll_idle,
                        double release_s, double last_lat, double *lat,
                        long n_lat);

/* --idle-probe N: prints "children fds-per-child heap-bytes-per-child
   rss-KiB-per-child start-us start-first-tenth-us start-last-tenth-us
   poll-idle-us release-to-all-s last-s median-s max-s" (the starts per
   child), or the reason.  */
int
idle_probe_main (long want)
{
  char why[WHY_LEN] = "";
  struct rlimit rl;
  if (getrlimit (RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max)
    {
      rl.rlim_cur = rl.rlim_max;
      setrlimit (RLIMIT_NOFILE, &rl);
      getrlimit (RLIMIT_NOFILE, &rl);
    }
  int in[2];
  char tmpl[] = "/tmp/bench-idle-XXXXXX";
  if (pipe2 (in, O_CLOEXEC) < 0
      || (records_fd = mkostemp (tmpl, O_CLOEXEC | O_APPEND)) < 0)
    {
      printf ("pipe or temporary file: %s\n", strerror (errno));
      return 1;
    }
  unlink (tmpl);
  subproc_t **cmds = calloc ((size_t) want, sizeof *cmds);
  pid_t *pids = calloc ((size_t) want, sizeof *pids);
  double *reported = calloc ((size_t) want, sizeof *reported);
  double *lat = calloc ((size_t) want, sizeof *lat);
  size_t *ended = calloc ((size_t) want, sizeof *ended);
  double *started_at = calloc ((size_t) want, sizeof *started_at);
  if (!cmds || !pids || !reported || !lat || !ended || !started_at)
    die ("out of memory");

  /* Before the first command: the heap, RSS and descriptors.  */
  size_t heap0 = heap_in_use ();
  long rss0 = status_kib ("VmRSS:");
  long fds0 = count_fds ();
  long n = want;
  int fail = 0;
  double t0 = now_s ();
  long started = 0;
  long calib = want < 16 ? want : 16;
  for (; started < calib; started++)
    {
      if ((cmds[started] = idle_start (in[0], &pids[started], why)) == NULL)
        {
          fail = 1;
          break;
        }
      started_at[started] = now_s ();
    }
  long per = fail ? 1 : (count_fds () - fds0 + calib - 1) / calib;
  if (per < 1)
    per = 1;
  long room = ((long) rl.rlim_cur - fds0 - 64) / per;
  if (!fail && room < n)
    {
      progress ("figure 6: RLIMIT_NOFILE is %ld and each child costs %ld "
                "descriptor(s): %ld idle children instead of %ld",
                (long) rl.rlim_cur, per, room, want);
      n = room > started ? room : started;
    }
  for (; !fail && started < n; started++)
    {
      if ((cmds[started] = idle_start (in[0], &pids[started], why)) == NULL)
        {
          fail = 1;
          break;
        }
      started_at[started] = now_s ();
    }
  double t1 = now_s ();
  size_t heap1 = heap_in_use ();
  long rss1 = status_kib ("VmRSS:");
  long fds1 = count_fds ();

  /* Nothing may be over yet; the time of one look at them all.  */
  double poll_idle[5];
  for (int k = 0; k < 5 && !fail; k++)
    {
      double a = now_s ();
      int r = subproc_poll (cmds, (size_t) started, 0, ended);
      poll_idle[k] = now_s () - a;
      if (r != 0)
        {
          why_set (why, "subproc_poll reported %d idle children over (%s)",
                   r, r < 0 ? last_message () : "early");
          fail = 1;
        }
    }

  /* Release them all; note when each is reported.  */
  close (in[1]);
  double t_release = now_s ();
  long left = started;
  while (left > 0)
    {
      int r = subproc_poll (cmds, (size_t) started, POLL_LIMIT_MS, ended);
      double t = now_s ();
      if (r <= 0)
        {
          if (r < 0)
            why_set (why, "subproc_poll: %s",
                     last_message ());
          else
            why_set (why, "subproc_poll: %ld children not reported in "
                     "%d s", left, POLL_LIMIT_MS / 1000);
          fail = 1;
          break;
        }
      for (int k = 0; k < r; k++)
        {
          size_t i = ended[k];
          int st = -1;
          reported[i] = t;
          if (subproc_wait (cmds[i], &st) < 0)
            {
              why_set (why, "%s", subproc_get_error (cmds[i])->message);
              fail = 1;
            }
          else if (st != 0 && !fail)
            {
              why_set (why, "idle child status %d", st);
              fail = 1;
            }
          subproc_free (cmds[i]);
          cmds[i] = NULL;
          left--;
        }
    }
  double t_all = now_s ();
  for (long i = 0; i < started; i++)
    subproc_free (cmds[i]);

  /* Match each record with its child's report.  */
  idle_rec_t *rec = calloc ((size_t) started + 1, sizeof *rec);
  if (rec == NULL)
    die ("out of memory");
  ssize_t got = pread (records_fd, rec, ((size_t) started + 1) * sizeof *rec,
                       0);
  long n_rec = got > 0 ? (long) ((size_t) got / sizeof *rec) : 0;
  if (!fail && n_rec != started)
    {
      why_set (why, "%ld records from %ld children", n_rec, started);
      fail = 1;
    }
  qsort (rec, (size_t) n_rec, sizeof *rec, cmp_rec);
  double last_exit = -1, last_lat = -1;
  long n_lat = 0;
  for (long i = 0; i < started && !fail; i++)
    {
      idle_rec_t key = { .pid = pids[i] };
      idle_rec_t *e = bsearch (&key, rec, (size_t) n_rec, sizeof *rec,
                               cmp_rec);
      if (e == NULL)
        {
          why_set (why, "no record from child %ld", (long) pids[i]);
          fail = 1;
          break;
        }
      double exit_t = (double) e->ns / 1e9;
      lat[n_lat++] = reported[i] - exit_t;
      if (exit_t > last_exit)
        {
          last_exit = exit_t;
          last_lat = reported[i] - exit_t;
        }
    }
  if (fail)
    printf ("%s\n", why);
  else
    idle_print (started, (double) (fds1 - fds0), (double) (heap1 - heap0),
                (double) (rss1 - rss0), t1 - t0, t0, started_at, poll_idle,
                t_all - t_release, last_lat, lat, n_lat);
  close (records_fd);
  records_fd = -1;
  close (in[0]);
  free (cmds);
  free (pids);
  free (reported);
  free (lat);
  free (ended);
  free (started_at);
  free (rec);
  return fail;
}

/* The line of --idle-probe (see idle_probe_main).  */
static void
idle_print (long started, double fds, double heap, double rss_kib,
            double start_s, double t0, const double *started_at,
            double *poll_idle, double release_s, double last_lat,
            double *lat, long n_lat)
{
  qsort (lat, (size_t) n_lat, sizeof *lat, cmp_dbl);
  qsort (poll_idle, 5, sizeof *poll_idle, cmp_dbl);
  /* The cost of a start grows with the descriptors the parent holds (one
     pidfd per child so far): the first tenth against the last.  */
  long tenth = started / 10 > 0 ? started / 10 : 1;
  double first = (started_at[tenth - 1] - t0) / (double) tenth;
  double last = started > tenth
                  ? (started_at[started - 1] - started_at[started - 1 - tenth])
                      / (double) tenth
                  : first;
  printf ("%ld %.3f %.1f %.3f %.3f %.3f %.3f %.3f %.6f %.6f %.6f %.6f\n",
          started, fds / (double) started, heap / (double) started,
          rss_kib / (double) started, start_s / (double) started * 1e6,
          first * 1e6, last * 1e6, poll_idle[2] * 1e6, release_s, last_lat,
          lat[n_lat / 2], lat[n_lat - 1]);
}

/* ------------------------------------------------------------------ */
/* Figure 6.  */

static const int busy_methods[] = { M_RAW_POLL, M_SUBPROC_POLL, M_UV_LOOP,
                                    M_GLIB_LOOP, M_SUBPROC_THREADS };
enum
{
  N_BUSY = sizeof busy_methods / sizeof busy_methods[0],
  N_METRICS = 5
};

/* The rows of one busy method: wall, CPU of the parent and of the
   children (ms), peak threads, peak RSS.  */
static const char *const metric_name[N_METRICS] = {
  "wall", "CPU, parent", "CPU, children", "peak threads", "peak RSS"
};
static const enum unit metric_unit[N_METRICS] = { U_MS, U_MS, U_MS, U_COUNT,
                                                  U_MIB };

static void
fig_busy (void)
{
  int total = opt.many, par = opt.many_at;
  int rounds = opt.quick ? 1 : 5;
  double v[N_BUSY][N_METRICS][8];
  int n[N_BUSY], state[N_BUSY];
  char why[N_BUSY][WHY_LEN];
  double start_mib[N_BUSY];
  char tot_arg[16], par_arg[16], m_arg[N_BUSY][16];
  snprintf (tot_arg, sizeof tot_arg, "%d", total);
  snprintf (par_arg, sizeof par_arg, "%d", par);
  for (int i = 0; i < N_BUSY; i++)
    {
      n[i] = 0;
      state[i] = OP_OK;
      why[i][0] = '\0';
      start_mib[i] = -1;
      snprintf (m_arg[i], sizeof m_arg[i], "%d", busy_methods[i]);
      if (method_missing (busy_methods[i]))
        {
          state[i] = OP_NA;
          why_set (why[i], "skipped: %s", method_missing (busy_methods[i]));
        }
    }
  progress ("figure 6: %d children, %d at once, %d + %d bytes each, "
            "%d round%s", total, par, OUT_BYTES, ERR_BYTES, rounds,
            rounds == 1 ? "" : "s");
  for (int round = 0; round < rounds; round++)
    for (int k = 0; k < N_BUSY; k++)
      {
        /* Rotate the order, as measure () does.  */
        int i = (k + round) % N_BUSY;
        if (state[i] != OP_OK)
          continue;
        const char *args[] = { "--many-probe", m_arg[i], tot_arg, par_arg,
                               NULL };
        char out[WHY_LEN];
        int r = run_probe (args, out, sizeof out);
        double wall, us, ss, cu, cs;
        long th, hwm, base;
        if (r == OP_OK
            && sscanf (out, "%lf %lf %lf %lf %lf %ld %ld %ld", &wall, &us,
                       &ss, &cu, &cs, &th, &hwm, &base) != 8)
          {
            r = OP_FAILED;
            char msg[WHY_LEN];
            snprintf (msg, sizeof msg, "bad probe output: %.150s", out);
            copy_str (out, sizeof out, msg);
          }
        if (r != OP_OK)
          {
            state[i] = r;
            copy_str (why[i], WHY_LEN, out);
            continue;
          }
        v[i][0][n[i]] = wall * 1e3;
        v[i][1][n[i]] = (us + ss) * 1e3;
        v[i][2][n[i]] = (cu + cs) * 1e3;
        v[i][3][n[i]] = (double) th;
        v[i][4][n[i]] = (double) hwm / 1024.0;
        start_mib[i] = (double) base / 1024.0;
        n[i]++;
      }

  for (int mt = 0; mt < N_METRICS; mt++)
    {
      char what[96];
      snprintf (what, sizeof what, "%d children, %d at once: %s", total, par,
                metric_name[mt]);
      double base = -1;
      for (int i = 0; i < N_BUSY; i++)
        {
          row_t *r = add_row (6, what, busy_methods[i], metric_unit[mt]);
          r->n = n[i];
          /* Only the wall time and the parent's CPU are the library's
             cost to hold against the peers.  */
          r->no_compare = mt >= 2;
          if (state[i] == OP_NA)
            copy_str (r->note, sizeof r->note, why[i]);
          else if (state[i] != OP_OK || n[i] == 0)
            {
              snprintf (r->note, sizeof r->note, "FAILED: %.180s", why[i]);
              r->failed = true;
              any_failed = true;
            }
          else
            {
              r->value = median (v[i][mt], n[i]);
              if (busy_methods[i] == M_RAW_POLL)
                base = r->value;
              if (mt == 4)
                snprintf (r->note, sizeof r->note,
                          "process at start %.1f MiB", start_mib[i]);
            }
        }
      if (base <= 0 || mt == 3)
        continue;
      for (size_t k = n_rows - N_BUSY; k < n_rows; k++)
        if (rows[k].value > 0)
          {
            rows[k].ratio = rows[k].value / base;
            snprintf (rows[k].vs, sizeof rows[k].vs, "%s",
                      method_name[M_RAW_POLL]);
          }
    }
}

static void
fig_idle (void)
{
  char n_arg[16];
  /* One run: each figure is already the mean or the median over every
     child, and a run of 10,000 takes a while.  */
  int runs = 1;
  snprintf (n_arg, sizeof n_arg, "%d", opt.idle);
  progress ("figure 6: %d idle children tracked by subproc_poll",
            opt.idle);
  enum { N_IDLE = 11 };
  double v[N_IDLE][3];
  long children = opt.idle;
  int n = 0;
  char why[WHY_LEN] = "";
  int state = OP_OK;
  for (int k = 0; k < runs; k++)
    {
      const char *args[] = { "--idle-probe", n_arg, NULL };
      char out[WHY_LEN];
      int r = run_probe (args, out, sizeof out);
      if (r == OP_OK
          && sscanf (out, "%ld %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf %lf",
                     &children, &v[0][n], &v[1][n], &v[2][n], &v[3][n],
                     &v[4][n], &v[5][n], &v[6][n], &v[7][n], &v[8][n],
                     &v[9][n], &v[10][n])
                 != 12)
        {
          r = OP_FAILED;
          char msg[WHY_LEN];
          snprintf (msg, sizeof msg, "bad probe output: %.150s", out);
          copy_str (out, sizeof out, msg);
        }
      if (r != OP_OK)
        {
          state = r;
          copy_str (why, sizeof why, out);
          break;
        }
      n++;
    }
  /* What the columns are, and in which unit the rows give them.  */
  static const struct
  {
    const char *what;
    enum unit unit;
    double scale;
  } col[N_IDLE] = {
    { "descriptors per child", U_COUNT, 1 },
    { "heap per child (mallinfo2)", U_KIB, 1.0 / 1024 },
    { "RSS per child", U_KIB, 1 },
    { "start, mean per child", U_US, 1 },
    { "start, first tenth, per child", U_US, 1 },
    { "start, last tenth, per child", U_US, 1 },
    { "one subproc_poll, none ready", U_US, 1 },
    { "release to all reported", U_MS, 1e3 },
    { "last exit to its report", U_MS, 1e3 },
    { "exit to report, median", U_MS, 1e3 },
    { "exit to report, worst", U_MS, 1e3 },
  };
  for (int c = 0; c < N_IDLE; c++)
    {
      char what[96];
      snprintf (what, sizeof what, "%ld idle: %s", children, col[c].what);
      row_t *r = add_row (6, what, M_SUBPROC_POLL, col[c].unit);
      r->n = n;
      r->no_compare = true;
      if (state == OP_NA)
        copy_str (r->note, sizeof r->note, why);
      else if (state != OP_OK || n == 0)
        {
          snprintf (r->note, sizeof r->note, "FAILED: %.180s", why);
          r->failed = true;
          any_failed = true;
        }
      else
        r->value = median (v[c], n) * col[c].scale;
    }
}

void
fig_many (void)
{
  fig_busy ();
  fig_idle ();
}
