/* capture.c: the buffer-capture engine.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The engine owns all buffer logic: which streams exist, where their
 * bytes go, growth, limits, interleaving, NUL termination, partial writes,
 * timeouts.  A backend only moves bytes between a stream and the memory
 * the engine points it at (sp_backend_io_wait), so no backend duplicates
 * any of this.
 *
 * Reads go straight into the caller's growing buffer (no intermediate
 * copy); the buffer doubles, so the number of reallocations is
 * logarithmic, and glibc moves large blocks with mremap rather than by
 * copying.
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The least room offered to one read, and the most.  Large reads keep the
   number of system calls down; the cap keeps a slow trickle from making
   the buffer grow far beyond what it holds.  */
#define READ_MIN (64 * 1024)
#define READ_MAX (4 * 1024 * 1024)

/* After the child has ended, what its pipes held then is read however
   long that takes (the backend tells when: sp_stream_t.drained); what a
   grandchild that inherited them sends later is read for at most this
   long from the child's end, so that it cannot hold the run.  */
#define DRAIN_MS 250

/* With a thread of the library's, wake up at least this often to see
   whether the caller wants the I/O to stop.  */
#define ASYNC_SLICE_MS 100

struct sp_capture_test sp_capture_test;

enum role
{
  ROLE_INPUT,   /* child's stdin, from cmd->input */
  ROLE_SEND,    /* a send buffer */
  ROLE_OUTPUT,  /* child's stdout (and stderr, when interleaved) */
  ROLE_ERROR,   /* child's stderr */
  ROLE_LOG_OUT, /* stdout nobody asked for: logged, then dropped */
  ROLE_LOG_ERR
};

typedef struct meta
{
  enum role role;
  int child_fd;        /* the child's end, closed after the spawn */
  const char *data;    /* writers: what to send */
  size_t len;
  size_t off;
  sp_send_buffer_t *send;
  sp_buf_t *sink;      /* readers: where bytes go */
} meta_t;

enum result
{
  RESULT_OK = 0,
  RESULT_IO,
  RESULT_TIMEOUT,
  RESULT_MAX_OUTPUT
};

struct sp_capture
{
  sp_stream_t *streams;  /* what the backend sees */
  meta_t *meta;          /* what the engine knows about each */
  size_t n;
  sp_buf_t out, err, log_out, log_err;
  bool interleaved;
  bool spawned;
  size_t total;          /* bytes captured for the caller */

  /* do_async_io */
  sp_thread_t *thread;   /* the caller's side only */
  bool on_thread;        /* the I/O runs on THREAD; set before it starts */
  int stop;              /* atomic: the caller wants the I/O to end */
  int done;              /* atomic: the thread has finished the I/O */

  enum result result;
  int result_errno;
};

bool
sp_capture_wanted (const subproc_t *cmd)
{
  return cmd->has_input || cmd->output.buf || cmd->errbuf.buf
         || cmd->n_send > 0;
}

/* ------------------------------------------------------------------ */
/* Setting up.  */

/* Add a stream on PARENT_FD; CHILD_FD is closed after the spawn.  */
static meta_t *
add_stream (struct sp_capture *c, enum role role, int parent_fd,
            int child_fd)
{
  sp_stream_t *s = &c->streams[c->n];
  meta_t *m = &c->meta[c->n];
  c->n++;
  memset (s, 0, sizeof *s);
  memset (m, 0, sizeof *m);
  s->fd = parent_fd;
  s->open = true;
  s->writing = role == ROLE_INPUT || role == ROLE_SEND;
  m->role = role;
  m->child_fd = child_fd;
  return m;
}

/* A pipe whose child end becomes *CHILD_STDIO; the parent's end is a new
   stream.  */
static meta_t *
add_pipe (subproc_t *cmd, struct sp_capture *c, enum role role,
          int *child_stdio)
{
  int fds[2];
  sp_fail_t f;
  if (sp_backend_pipe (fds, &f) < 0)
    {
      sp_error_fail (cmd, &f);
      return NULL;
    }
  bool writing = role == ROLE_INPUT;
  int parent = writing ? fds[1] : fds[0];
  int child = writing ? fds[0] : fds[1];
  *child_stdio = child;
  return add_stream (c, role, parent, child);
}

int
sp_capture_setup (subproc_t *cmd, sp_spec_t *spec)
{
  struct sp_capture *c = sp_calloc (1, sizeof *c);
  if (c == NULL)
    return sp_error_nomem (cmd);
  cmd->capture = c;
  size_t max = 5 + cmd->n_send;
  c->streams = sp_calloc (max, sizeof *c->streams);
  c->meta = sp_calloc (max, sizeof *c->meta);
  if (c->streams == NULL || c->meta == NULL)
    return sp_error_nomem (cmd);

  meta_t *m;
  if (cmd->has_input)
    {
      if ((m = add_pipe (cmd, c, ROLE_INPUT, &spec->stdio[0])) == NULL)
        return -1;
      m->data = cmd->input.data;
      m->len = cmd->input.len;
      c->streams[c->n - 1].own_pages = cmd->input.own_pages;
    }

  /* Streams that nobody redirected are captured for the log while the
     library runs the I/O, as libvirt's guide to spawning commands says;
     without a log function they go to the null device, which costs
     nothing.  */
  bool log = sp_log_enabled ();
  c->interleaved = cmd->output.buf && cmd->output.buf == cmd->errbuf.buf;
  if (cmd->output.buf)
    {
      if ((m = add_pipe (cmd, c, ROLE_OUTPUT, &spec->stdio[1])) == NULL)
        return -1;
      m->sink = &c->out;
      if (c->interleaved)
        spec->stdio[2] = spec->stdio[1];
    }
  else if (cmd->output_fd == NULL && log)
    {
      if ((m = add_pipe (cmd, c, ROLE_LOG_OUT, &spec->stdio[1])) == NULL)
        return -1;
      m->sink = &c->log_out;
    }
  if (cmd->errbuf.buf && !c->interleaved)
    {
      if ((m = add_pipe (cmd, c, ROLE_ERROR, &spec->stdio[2])) == NULL)
        return -1;
      m->sink = &c->err;
    }
  else if (!cmd->errbuf.buf && cmd->error_fd == NULL && log)
    {
      if ((m = add_pipe (cmd, c, ROLE_LOG_ERR, &spec->stdio[2])) == NULL)
        return -1;
      m->sink = &c->log_err;
    }

  for (size_t i = 0; i < cmd->n_send; i++)
    {
      sp_send_buffer_t *sb = &cmd->send[i];
      /* The stream takes over the parent's end.  */
      m = add_stream (c, ROLE_SEND, sb->parent_fd, -1);
      sb->parent_fd = -1;
      m->data = sb->payload.data;
      m->len = sb->payload.len;
      c->streams[c->n - 1].own_pages = sb->payload.own_pages;
      m->send = sb;
    }
  return 0;
}

void
sp_capture_after_spawn (subproc_t *cmd)
{
  struct sp_capture *c = cmd->capture;
  if (c == NULL)
    return;
  c->spawned = cmd->proc != NULL;
  for (size_t i = 0; i < c->n; i++)
    if (c->meta[i].child_fd >= 0)
      {
        sp_backend_close (c->meta[i].child_fd);
        c->meta[i].child_fd = -1;
      }
}

/* ------------------------------------------------------------------ */
/* Pumping.  */

static void
close_stream (struct sp_capture *c, size_t i)
{
  sp_stream_t *s = &c->streams[i];
  if (!s->open)
    return;
  sp_backend_io_release (s);
  sp_backend_close (s->fd);
  s->open = false;
  s->fd = -1;
}

static bool
counted (enum role role)
{
  return role == ROLE_OUTPUT || role == ROLE_ERROR;
}

/* Point each open stream at its data or at free room.  -1: no memory.  */
static int
prepare (subproc_t *cmd, struct sp_capture *c)
{
  for (size_t i = 0; i < c->n; i++)
    {
      sp_stream_t *s = &c->streams[i];
      meta_t *m = &c->meta[i];
      if (!s->open)
        continue;
      if (s->writing)
        {
          if (m->off >= m->len)
            {
              /* Nothing (left) to send, as with an empty input: the
                 child must see the end of file now, not wait for a
                 write that never comes.  */
              close_stream (c, i);
              continue;
            }
          s->buf = (char *) m->data + m->off;
          s->len = m->len - m->off;
          continue;
        }
      sp_buf_t *b = m->sink;
      if (b->cap - b->len < READ_MIN + 1
          && sp_buf_reserve (b, b->len < READ_MIN ? READ_MIN : b->len) < 0)
        return -1;
      size_t room = b->cap - b->len - 1;
      if (room > READ_MAX)
        room = READ_MAX;
      if (sp_capture_test.read_max && room > sp_capture_test.read_max)
        room = sp_capture_test.read_max;
      /* One byte beyond the limit is enough to know it was crossed.
         c->total never exceeds the limit, and the sum is taken only
         when the room left is smaller than ROOM, so that no limit, up
         to SIZE_MAX, wraps it around.  */
      if (cmd->max_output && counted (m->role)
          && cmd->max_output - c->total < room)
        room = cmd->max_output - c->total + 1;
      s->buf = b->data + b->len;
      s->len = room;
    }
  return 0;
}

static bool
any_open (const struct sp_capture *c)
{
  for (size_t i = 0; i < c->n; i++)
    if (c->streams[i].open)
      return true;
  return false;
}

/* Has every open reader brought in what its pipe held at the child's
   end?  */
static bool
all_drained (const struct sp_capture *c)
{
  for (size_t i = 0; i < c->n; i++)
    if (c->streams[i].open && !c->streams[i].writing
        && !c->streams[i].drained)
      return false;
  return true;
}

/* Once the child has ended, nobody will read what is left to send.  */
static void
close_writers (struct sp_capture *c)
{
  for (size_t i = 0; i < c->n; i++)
    if (c->streams[i].writing)
      close_stream (c, i);
}

/* Take the events of one round.  Returns false when the run must end
   (c->result says why).  */
static bool
take_events (subproc_t *cmd, struct sp_capture *c)
{
  for (size_t i = 0; i < c->n; i++)
    {
      sp_stream_t *s = &c->streams[i];
      meta_t *m = &c->meta[i];
      switch (s->event)
        {
        case SP_IO_NONE:
          break;
        case SP_IO_DONE:
          if (s->writing)
            {
              m->off += s->done;
              if (m->off >= m->len)
                /* All sent: closing tells the child it is the end.  */
                close_stream (c, i);
              break;
            }
          m->sink->len += s->done;
          m->sink->data[m->sink->len] = '\0';
          if (counted (m->role))
            {
              /* Compared with what is left, not summed first: the sum
                 could wrap around with a limit near SIZE_MAX.  */
              if (cmd->max_output
                  && s->done > cmd->max_output - c->total)
                {
                  m->sink->len -= s->done - (cmd->max_output - c->total);
                  m->sink->data[m->sink->len] = '\0';
                  c->total = cmd->max_output;
                  c->result = RESULT_MAX_OUTPUT;
                  return false;
                }
              c->total += s->done;
            }
          break;
        case SP_IO_EOF:
          /* For a writer: the child closed its end early.  The rest of
             the input is dropped; that is not an error.  */
          close_stream (c, i);
          break;
        case SP_IO_ERROR:
        default:
          c->result = RESULT_IO;
          c->result_errno = s->sys_errno;
          return false;
        }
      s->event = SP_IO_NONE;
    }
  return true;
}

/* Wait for the child's end without reading (sp_capture_test).  */
static bool
wait_for_end (subproc_t *cmd, struct sp_capture *c)
{
  bool ended = false;
  sp_fail_t f;
  while (!ended)
    if (sp_backend_io_wait (cmd->proc, c->streams, 0, -1, &ended, &f) < 0)
      {
        c->result = RESULT_IO;
        c->result_errno = f.sys_errno;
        return false;
      }
  return true;
}

/* Run the streams of CMD until they are done or the run must end.  */
static void
pump (subproc_t *cmd, struct sp_capture *c)
{
  bool exited = false;
  int64_t exit_time = 0;
  sp_fail_t f;

  if (sp_capture_test.late_start && !wait_for_end (cmd, c))
    return;
  while (any_open (c))
    {
      if (c->on_thread && __atomic_load_n (&c->stop, __ATOMIC_ACQUIRE))
        return;
      if (prepare (cmd, c) < 0)
        {
          c->result = RESULT_IO;
          c->result_errno = ENOMEM;
          return;
        }
      int timeout = exited ? 0 : sp_time_left (cmd);
      if (timeout == 0 && !exited)
        {
          c->result = RESULT_TIMEOUT;
          return;
        }
      if (c->on_thread && (timeout < 0 || timeout > ASYNC_SLICE_MS))
        timeout = ASYNC_SLICE_MS;

      bool now_exited = false;
      int n = sp_backend_io_wait (cmd->proc, c->streams, c->n, timeout,
                                  &now_exited, &f);
      if (n < 0)
        {
          c->result = RESULT_IO;
          c->result_errno = f.sys_errno;
          return;
        }
      if (!take_events (cmd, c))
        return;
      if (now_exited && !exited)
        {
          exited = true;
          exit_time = sp_backend_now_ms ();
          close_writers (c);
          continue;
        }
      /* Not even a machine too loaded to keep up may cost the child's
         own bytes: time counts only once they are in.  */
      if (exited && all_drained (c)
          && (n == 0 || sp_capture_test.no_drain_time
              || sp_backend_now_ms () - exit_time > DRAIN_MS))
        return;
    }
}

static void
close_all (struct sp_capture *c)
{
  for (size_t i = 0; i < c->n; i++)
    close_stream (c, i);
}

/* Word C's result into CMD's error.  */
static int
record_result (subproc_t *cmd, struct sp_capture *c)
{
  switch (c->result)
    {
    case RESULT_OK:
      return 0;
    case RESULT_TIMEOUT:
      return sp_error_timeout (cmd);
    case RESULT_MAX_OUTPUT:
      return sp_error (cmd, SUBPROC_ERR_IO, EFBIG,
                       "the output of '%s' exceeded the limit of %zu bytes; "
                       "the child was stopped",
                       cmd->args.v[0], cmd->max_output);
    case RESULT_IO:
    default:
      if (c->result_errno == ENOMEM)
        return sp_error_nomem (cmd);
      return sp_error (cmd, SUBPROC_ERR_IO, c->result_errno,
                       "input/output with '%s' failed: %s", cmd->args.v[0],
                       strerror (c->result_errno));
    }
}

/* The whole I/O of a run, on whichever thread.  A runaway child (time or
   output limit) is stopped here, so that it does not go on until the
   caller waits; it is not reaped here: on the library's thread the
   caller may be using it (a handshake call, subproc_pid_wait), and only
   the caller's side reaps it (sp_child_stop), after joining this
   thread.  */
static void
run_io (subproc_t *cmd)
{
  struct sp_capture *c = cmd->capture;
  pump (cmd, c);
  close_all (c);
  if (c->result == RESULT_TIMEOUT || c->result == RESULT_MAX_OUTPUT)
    sp_child_halt (cmd);
}

int
sp_capture_run (subproc_t *cmd)
{
  if (cmd->capture == NULL)
    return 0;
  run_io (cmd);
  return record_result (cmd, cmd->capture);
}

static void
thread_main (void *arg)
{
  subproc_t *cmd = arg;
  struct sp_capture *c = cmd->capture;
  run_io (cmd);
  /* Nothing of C is touched after this: the caller may join at once.  */
  __atomic_store_n (&c->done, 1, __ATOMIC_RELEASE);
}

int
sp_capture_start_async (subproc_t *cmd)
{
  sp_fail_t f;
  struct sp_capture *c = cmd->capture;
  if (c == NULL)
    return 0;
  c->on_thread = true;
  if (sp_backend_thread_start (&c->thread, thread_main, cmd, &f) < 0)
    {
      c->on_thread = false;
      c->thread = NULL;
      return sp_error_fail (cmd, &f);
    }
  return 0;
}

bool
sp_capture_async_done (const subproc_t *cmd)
{
  const struct sp_capture *c = cmd->capture;
  if (c == NULL || c->thread == NULL)
    return true;
  return __atomic_load_n (&c->done, __ATOMIC_ACQUIRE) != 0;
}

int
sp_capture_join_async (subproc_t *cmd, bool stop)
{
  struct sp_capture *c = cmd->capture;
  if (c == NULL || c->thread == NULL)
    return 0;
  if (stop)
    __atomic_store_n (&c->stop, 1, __ATOMIC_RELEASE);
  sp_backend_thread_join (c->thread);
  c->thread = NULL;
  if (stop)
    return 0;
  return record_result (cmd, c);
}

/* ------------------------------------------------------------------ */
/* Handing over.  */

/* Give B to the caller's SINK.  LEN_ALSO: a second length to set (the
   error's length when it shares the output's buffer).  */
static int
deliver (sp_buf_t *b, const sp_sink_t *sink, size_t *len_also)
{
  /* Return the slack of the doubling; failing to shrink is harmless.  */
  if (b->data && b->cap > b->len + b->len / 4 + 4096)
    {
      char *p = sp_realloc (b->data, b->len + 1);
      if (p)
        {
          b->data = p;
          b->cap = b->len + 1;
        }
    }
  size_t len = 0;
  char *data = sp_buf_steal (b, &len);
  *sink->buf = data;
  if (sink->len)
    *sink->len = data ? len : 0;
  if (len_also)
    *len_also = data ? len : 0;
  return data ? 0 : -1;
}

static void
log_stream (const subproc_t *cmd, sp_buf_t *b, const char *name)
{
  if (b->len)
    sp_log (SUBPROC_LOG_DEBUG, "'%s' wrote on %s: %.*s", cmd->args.v[0],
            name, (int) (b->len > 65536 ? 65536 : b->len), b->data);
  sp_buf_clear (b);
}

int
sp_capture_finish (subproc_t *cmd)
{
  struct sp_capture *c = cmd->capture;
  if (c == NULL)
    return 0;
  int ret = 0;
  if (c->thread)
    sp_capture_join_async (cmd, true);
  close_all (c);
  for (size_t i = 0; i < c->n; i++)
    if (c->meta[i].child_fd >= 0)
      sp_backend_close (c->meta[i].child_fd);

  if (c->spawned)
    {
      size_t *err_len = c->interleaved && cmd->errbuf.len != cmd->output.len
                          ? cmd->errbuf.len
                          : NULL;
      if (cmd->output.buf && deliver (&c->out, &cmd->output, err_len) < 0)
        ret = -1;
      if (cmd->errbuf.buf && !c->interleaved
          && deliver (&c->err, &cmd->errbuf, NULL) < 0)
        ret = -1;
    }
  log_stream (cmd, &c->log_out, "stdout");
  log_stream (cmd, &c->log_err, "stderr");
  sp_buf_clear (&c->out);
  sp_buf_clear (&c->err);
  free (c->streams);
  free (c->meta);
  free (c);
  cmd->capture = NULL;
  if (ret < 0)
    sp_error_nomem (cmd);
  return ret;
}

int
sp_sinks_fill (subproc_t *cmd, const char *out, size_t out_len,
               const char *err, size_t err_len)
{
  sp_buf_t o = { 0 }, e = { 0 };
  bool interleaved = cmd->output.buf && cmd->output.buf == cmd->errbuf.buf;
  int ret = 0;

  if (cmd->output.buf)
    {
      /* Interleaved: a fake run has no order to keep; output first.  */
      if (sp_buf_append (&o, out, out_len) < 0
          || (interleaved && sp_buf_append (&o, err, err_len) < 0))
        ret = -1;
      size_t *len_also = interleaved && cmd->errbuf.len != cmd->output.len
                           ? cmd->errbuf.len
                           : NULL;
      if (ret == 0 && deliver (&o, &cmd->output, len_also) < 0)
        ret = -1;
    }
  if (cmd->errbuf.buf && !interleaved && ret == 0)
    {
      if (sp_buf_append (&e, err, err_len) < 0
          || deliver (&e, &cmd->errbuf, NULL) < 0)
        ret = -1;
    }
  sp_buf_clear (&o);
  sp_buf_clear (&e);
  if (ret < 0)
    return sp_error_nomem (cmd);
  return 0;
}

const char *
sp_capture_stderr (const subproc_t *cmd)
{
  if (cmd->capture && !cmd->capture->interleaved && cmd->capture->err.data)
    return cmd->capture->err.data;
  if (cmd->errbuf.buf && *cmd->errbuf.buf)
    return *cmd->errbuf.buf;
  return NULL;
}
