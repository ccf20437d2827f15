/* capture.c: the capture engine.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The engine owns all buffer logic: which streams exist, where their
 * bytes go (buffers, sinks), growth, limits, interleaving, lines, NUL
 * termination, partial writes, timeouts, and the stopping of a child
 * that passes a limit.  A backend only moves bytes between a stream and
 * the memory the engine points it at (sp_backend_io_wait), so no
 * backend duplicates any of this.
 *
 * A run advances in rounds: round_begin points every stream at its data
 * or at free room and says how long the round may wait; the backend
 * waits and moves bytes (for one command, or for many at once in
 * subproc_poll); round_end takes what happened.  The same rounds serve
 * subproc_run, the thread of do_async_io, and the calls of lib/engine.c
 * that drive many commands from one thread, so none of them stops a
 * child differently: a failed run halts it (SIGTERM, SIGKILL after the
 * grace period) without ever blocking, and blocking callers wait for
 * the halt to complete.
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

/* The room a buffer starts with, the least room offered to one read
   before the buffer grows, and the most.  Large reads keep the number
   of system calls down; growing only when little room is left lets a
   child that writes one pipe's worth (64 KiB) and ends be read, up to
   its end of file, without growing the buffer for nothing; the cap
   keeps a slow trickle from making the buffer grow far beyond what it
   holds.  */
#define READ_MIN (64 * 1024)
#define READ_LOW (16 * 1024)
#define READ_MAX (4 * 1024 * 1024)

/* The first allocation of a buffer: one pipe's worth, READ_LOW beyond
   it and the NUL, so that a child that writes a pipe's worth is read to
   its end of file without growing the buffer; below glibc's threshold
   for a mapping of its own (128 KiB), so that it comes from the heap,
   whose pages are reused from one child to the next.  */
#define READ_FIRST (READ_MIN + READ_LOW + 2)

/* After the child has ended, what its pipes held then is read however
   long that takes (the backend tells when: sp_stream_t.drained); what a
   grandchild that inherited them sends later is read for at most this
   long from the child's end, so that it cannot hold the run.  */
#define DRAIN_MS 250

/* With a thread of the library's, wake up at least this often to see
   whether the caller wants the I/O to stop.  */
#define ASYNC_SLICE_MS 100

/* How often the calls that drive many commands look whether the thread
   of a command with do_async_io has finished.  */
#define WAIT_THREAD_MS 10

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
  sp_buf_t *into;      /* readers: where bytes go */
  const sp_sink_t *dest; /* readers with a sink function: the caller's */
  int stream;          /* readers: 1 or 2, as sinks are told */
  size_t scanned;      /* line mode: bytes of INTO known to hold no '\n' */
} meta_t;

enum result
{
  RESULT_OK = 0,
  RESULT_IO,
  RESULT_TIMEOUT,
  RESULT_MAX_OUTPUT,
  RESULT_SINK
};

struct sp_capture
{
  sp_stream_t *streams;  /* what the backend sees */
  meta_t *meta;          /* what the engine knows about each */
  size_t n;
  sp_buf_t out, err, log_out, log_err;
  sp_buf_t sink_out, sink_err; /* what a sink has not been given yet */
  bool interleaved;
  bool spawned;
  size_t total;          /* bytes captured for the caller */

  /* The run, as the rounds see it.  */
  bool exited;           /* the child has ended (not reaped) */
  int64_t exit_time;     /* when that was noticed */
  bool io_done;          /* no stream is left: the I/O is over */
  bool halting;          /* the run failed: the child is being stopped */
  bool halted;           /* ... and it has been, as far as it goes */
  int64_t kill_at;       /* halting: when SIGKILL follows SIGTERM */
  int sink_value;        /* RESULT_SINK: what the sink returned */
  int sink_stream;       /* ... and on which stream */

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
         || cmd->output.fn || cmd->errbuf.fn || cmd->n_send > 0;
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
  bool log = sp_log_enabled () && sp_capture_wanted (cmd);
  c->interleaved = cmd->output.buf && cmd->output.buf == cmd->errbuf.buf;
  if (cmd->output.buf || cmd->output.fn)
    {
      if ((m = add_pipe (cmd, c, ROLE_OUTPUT, &spec->stdio[1])) == NULL)
        return -1;
      m->into = cmd->output.fn ? &c->sink_out : &c->out;
      m->dest = cmd->output.fn ? &cmd->output : NULL;
      m->stream = 1;
      if (c->interleaved)
        spec->stdio[2] = spec->stdio[1];
    }
  else if (cmd->output_fd == NULL && log)
    {
      if ((m = add_pipe (cmd, c, ROLE_LOG_OUT, &spec->stdio[1])) == NULL)
        return -1;
      m->into = &c->log_out;
    }
  if ((cmd->errbuf.buf || cmd->errbuf.fn) && !c->interleaved)
    {
      if ((m = add_pipe (cmd, c, ROLE_ERROR, &spec->stdio[2])) == NULL)
        return -1;
      m->into = cmd->errbuf.fn ? &c->sink_err : &c->err;
      m->dest = cmd->errbuf.fn ? &cmd->errbuf : NULL;
      m->stream = 2;
    }
  else if (!cmd->errbuf.buf && !cmd->errbuf.fn && cmd->error_fd == NULL
           && log)
    {
      if ((m = add_pipe (cmd, c, ROLE_LOG_ERR, &spec->stdio[2])) == NULL)
        return -1;
      m->into = &c->log_err;
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
      sp_buf_t *b = m->into;
      if (b->cap == 0)
        {
          b->data = sp_malloc (READ_FIRST);
          if (b->data == NULL)
            return -1;
          b->data[0] = '\0';
          b->cap = READ_FIRST;
        }
      if (b->cap - b->len < READ_LOW + 1
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
    case RESULT_SINK:
      return sp_error (cmd, SUBPROC_ERR_IO, ECANCELED,
                       "the %s sink of '%s' returned %d; the child was "
                       "stopped",
                       c->sink_stream == 1 ? "output" : "error",
                       cmd->args.v[0], c->sink_value);
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

/* Give what INTO holds to the sink DEST of STREAM: all of it in chunk
   mode; in line mode each whole line, and pieces of
   SUBPROC_SINK_LINE_MAX bytes of a longer one, keeping the rest (all
   of it at EOF) in INTO, its first *SCANNED bytes known to hold no
   '\n'.  Returns 0, or what the sink returned when that was not 0
   (nothing more is given then).  The sink runs with cancellation
   disabled, as every callback of the library.  */
static int
sink_feed (const sp_sink_t *dest, int stream, sp_buf_t *into,
           size_t *scanned, bool eof)
{
  size_t start = 0;
  int ret = 0;
  int cancel = sp_backend_cancel_off ();

  if (!(dest->flags & SUBPROC_SINK_LINES))
    {
      if (into->len > 0)
        ret = dest->fn (dest->opaque, stream, into->data, into->len);
      start = into->len;
    }
  else
    {
      while (ret == 0 && start < into->len)
        {
          size_t avail = into->len - start;
          size_t from = *scanned > start ? *scanned - start : 0;
          size_t limit = avail < SUBPROC_SINK_LINE_MAX
                           ? avail
                           : (size_t) SUBPROC_SINK_LINE_MAX;
          const char *nl = from < limit
                             ? memchr (into->data + start + from, '\n',
                                       limit - from)
                             : NULL;
          size_t len;
          if (nl)
            len = (size_t) (nl - (into->data + start)) + 1;
          else if (avail >= SUBPROC_SINK_LINE_MAX || eof)
            len = limit;
          else
            {
              *scanned = into->len;
              break;
            }
          ret = dest->fn (dest->opaque, stream, into->data + start, len);
          start += len;
          *scanned = start;
        }
    }
  sp_backend_cancel_restore (cancel);

  /* Keep what was not given, at the start.  */
  if (start > 0)
    {
      memmove (into->data, into->data + start, into->len - start);
      into->len -= start;
      *scanned -= start < *scanned ? start : *scanned;
      into->data[into->len] = '\0';
    }
  return ret;
}

/* The run failed (C->result says why): no more I/O, and the child is
   told to stop.  */
static void end_io (subproc_t *cmd, struct sp_capture *c);
static void halt_start (subproc_t *cmd, struct sp_capture *c);

static void
fail (subproc_t *cmd, struct sp_capture *c, enum result result, int err)
{
  if (c->result == RESULT_OK)
    {
      c->result = result;
      c->result_errno = err;
    }
  end_io (cmd, c);
  halt_start (cmd, c);
}

/* Hand what stream I brought in to its sink; false, with the run
   failed, when the sink asked to stop.  */
static bool
feed_sink (subproc_t *cmd, struct sp_capture *c, size_t i, bool eof)
{
  meta_t *m = &c->meta[i];
  if (m->dest == NULL || c->result == RESULT_SINK)
    return true;
  int r = sink_feed (m->dest, m->stream, m->into, &m->scanned, eof);
  if (r == 0)
    return true;
  c->sink_value = r;
  c->sink_stream = m->stream;
  fail (cmd, c, RESULT_SINK, ECANCELED);
  return false;
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
      enum sp_io_event event = s->event;
      s->event = SP_IO_NONE;
      switch (event)
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
          m->into->len += s->done;
          m->into->data[m->into->len] = '\0';
          if (counted (m->role))
            {
              /* Compared with what is left, not summed first: the sum
                 could wrap around with a limit near SIZE_MAX.  */
              if (cmd->max_output
                  && s->done > cmd->max_output - c->total)
                {
                  m->into->len -= s->done - (cmd->max_output - c->total);
                  m->into->data[m->into->len] = '\0';
                  c->total = cmd->max_output;
                  /* What came in up to the limit is the sink's too.  */
                  if (feed_sink (cmd, c, i, true))
                    fail (cmd, c, RESULT_MAX_OUTPUT, EFBIG);
                  return false;
                }
              c->total += s->done;
            }
          if (!feed_sink (cmd, c, i, false))
            return false;
          break;
        case SP_IO_EOF:
          /* For a writer: the child closed its end early.  The rest of
             the input is dropped; that is not an error.  A reader's
             sink gets its last line.  */
          if (!s->writing && !feed_sink (cmd, c, i, true))
            return false;
          close_stream (c, i);
          break;
        case SP_IO_ERROR:
        default:
          fail (cmd, c, RESULT_IO, s->sys_errno);
          return false;
        }
    }
  return true;
}

/* No stream is left, or none is wanted any more: the I/O is over.  A
   line still held for a sink is its last.  */
static void
end_io (subproc_t *cmd, struct sp_capture *c)
{
  if (c->io_done)
    return;
  c->io_done = true;
  for (size_t i = 0; i < c->n; i++)
    if (c->streams[i].open && !c->streams[i].writing
        && c->meta[i].into && c->meta[i].into->len > 0)
      feed_sink (cmd, c, i, true);
  close_all (c);
}

/* ------------------------------------------------------------------ */
/* Halting: a failed run stops its child, without blocking.  */

static void
halt_start (subproc_t *cmd, struct sp_capture *c)
{
  if (c->halting)
    return;
  c->halting = true;
  if (cmd->proc == NULL || c->exited)
    {
      if (cmd->proc && cmd->opt.new_process_group)
        sp_backend_kill (cmd->proc, true);
      c->halted = true;
      return;
    }
  if (cmd->opt.grace_ms == 0)
    {
      sp_backend_kill (cmd->proc, cmd->opt.new_process_group);
      c->halted = true;
      return;
    }
  sp_backend_terminate (cmd->proc, cmd->opt.new_process_group);
  unsigned int grace = cmd->opt.grace_ms > 0x7fffffff ? 0x7fffffff
                                                      : cmd->opt.grace_ms;
  c->kill_at = sp_backend_now_ms () + grace;
}

/* Go on halting: once the child has ended, or the grace period is over,
   it is killed (its process group is, in any case: grandchildren may
   remain), as sp_proc_stop does.  True once that is done.  */
static bool
halt_step (subproc_t *cmd, struct sp_capture *c)
{
  if (!c->halting || c->halted)
    return true;
  if (!c->exited && sp_backend_exited (cmd->proc) == 1)
    c->exited = true;
  if (c->exited || sp_backend_now_ms () >= c->kill_at)
    {
      if (!c->exited || cmd->opt.new_process_group)
        sp_backend_kill (cmd->proc, cmd->opt.new_process_group);
      c->halted = true;
      return true;
    }
  return false;
}

/* The milliseconds until halt_step has something to do: -1, none.  */
static int
halt_wait (const struct sp_capture *c)
{
  if (!c->halting || c->halted)
    return -1;
  int64_t left = c->kill_at - sp_backend_now_ms ();
  return left <= 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int) left;
}

/* ------------------------------------------------------------------ */
/* Rounds.  */

static int
round_begin (subproc_t *cmd, struct sp_capture *c, sp_io_set_t *set)
{
  int wait = -1;

  set->proc = cmd->proc;
  set->streams = NULL;
  set->n = 0;
  set->exited = false;
  set->events = 0;

  /* The deadline holds until the child has ended, I/O or not.  */
  if (!c->exited && !c->halting)
    {
      wait = sp_time_left (cmd);
      if (wait == 0)
        fail (cmd, c, RESULT_TIMEOUT, ETIMEDOUT);
    }
  if (!c->io_done)
    {
      if (prepare (cmd, c) < 0)
        fail (cmd, c, RESULT_IO, ENOMEM);
      else if (!any_open (c))
        end_io (cmd, c);
      else if (c->exited)
        /* What is in the pipes now is read at once.  */
        wait = 0;
    }
  if (!c->io_done)
    {
      set->streams = c->streams;
      set->n = c->n;
    }
  if (c->halting)
    wait = halt_wait (c);
  return wait;
}

static void
round_end (subproc_t *cmd, struct sp_capture *c, const sp_io_set_t *set)
{
  if (!c->io_done && take_events (cmd, c))
    {
      if (set->exited && !c->exited)
        {
          c->exited = true;
          c->exit_time = sp_backend_now_ms ();
          close_writers (c);
        }
      /* Not even a machine too loaded to keep up may cost the child's
         own bytes: time counts only once they are in.  */
      else if (c->exited && all_drained (c)
               && (set->events == 0 || sp_capture_test.no_drain_time
                   || sp_backend_now_ms () - c->exit_time > DRAIN_MS))
        end_io (cmd, c);
      if (!c->io_done && !any_open (c))
        end_io (cmd, c);
    }
  if (set->exited)
    c->exited = true;
  halt_step (cmd, c);
}

/* The calls of lib/engine.c leave a command whose I/O runs on the
   thread of do_async_io to that thread: they only watch its child.  */
int
sp_capture_round_begin (subproc_t *cmd, sp_io_set_t *set)
{
  struct sp_capture *c = cmd->capture;
  if (c->thread == NULL)
    return round_begin (cmd, c, set);
  memset (set, 0, sizeof *set);
  /* A child that has ended would make every wait return at once while
     the thread reads what it left: then only the thread is waited
     for.  */
  if (cmd->proc && sp_backend_exited (cmd->proc) != 1)
    set->proc = cmd->proc;
  return sp_capture_async_done (cmd) ? -1 : WAIT_THREAD_MS;
}

void
sp_capture_round_end (subproc_t *cmd, const sp_io_set_t *set)
{
  struct sp_capture *c = cmd->capture;
  if (c->thread == NULL)
    round_end (cmd, c, set);
}

void
sp_capture_round_failed (subproc_t *cmd, int err)
{
  struct sp_capture *c = cmd->capture;
  if (c->thread)
    return;
  fail (cmd, c, RESULT_IO, err);
}

bool
sp_capture_over (subproc_t *cmd)
{
  struct sp_capture *c = cmd->capture;
  if (c->thread)
    return sp_capture_async_done (cmd)
           && (cmd->proc == NULL || sp_backend_exited (cmd->proc) == 1);
  /* The rounds learn of the child's end from the backend's wait (the
     pidfd, or asking where there is none): no system call here, which
     would cost one per command and round.  */
  if (!c->io_done || !halt_step (cmd, c))
    return false;
  if (cmd->proc == NULL)
    c->exited = true;
  return c->exited;
}

/* Wait for the child's end without reading (sp_capture_test).  */
static bool
wait_for_end (subproc_t *cmd, struct sp_capture *c)
{
  sp_fail_t f;
  sp_io_set_t set = { cmd->proc, c->streams, 0, false, 0 };
  while (!set.exited)
    if (sp_backend_io_wait (&set, 1, -1, &f) < 0)
      {
        fail (cmd, c, RESULT_IO, f.sys_errno);
        return false;
      }
  return true;
}

/* Should the I/O thread give up (abort, free)?  */
static bool
stop_wanted (const struct sp_capture *c)
{
  return c->on_thread && __atomic_load_n (&c->stop, __ATOMIC_ACQUIRE);
}

/* The whole I/O of a run, from wherever it is, on whichever thread: the
   rounds until no stream is left, then the halt of a child that failed
   the run (a time or output limit, a sink that stopped, an error), so
   that it does not go on until the caller waits.  The child is not
   reaped here: on the library's thread the caller may be using it (a
   handshake call, subproc_pid_wait), and only the caller's side reaps it
   (sp_child_stop), after joining this thread.  */
static void
run_io (subproc_t *cmd)
{
  struct sp_capture *c = cmd->capture;
  sp_fail_t f;

  if (sp_capture_test.late_start && !c->io_done && !c->exited
      && !wait_for_end (cmd, c))
    return;
  while (!c->io_done || !halt_step (cmd, c))
    {
      if (stop_wanted (c))
        {
          /* The caller stops the child itself.  */
          c->io_done = true;
          close_all (c);
          return;
        }
      sp_io_set_t set;
      int wait = round_begin (cmd, c, &set);
      if (c->on_thread && (wait < 0 || wait > ASYNC_SLICE_MS))
        wait = ASYNC_SLICE_MS;
      if (c->io_done && c->halting && !c->halted)
        {
          /* Only the child's end is waited for.  */
          if (sp_backend_wait_exit (cmd->proc, wait) == 1)
            c->exited = true;
        }
      else if (!c->io_done && sp_backend_io_wait (&set, 1, wait, &f) < 0)
        fail (cmd, c, RESULT_IO, f.sys_errno);
      else if (!c->io_done)
        round_end (cmd, c, &set);
    }
}

int
sp_capture_run (subproc_t *cmd)
{
  if (cmd->capture == NULL)
    return 0;
  run_io (cmd);
  return record_result (cmd, cmd->capture);
}

int
sp_capture_complete (subproc_t *cmd)
{
  struct sp_capture *c = cmd->capture;
  if (c == NULL)
    return 0;
  if (c->thread)
    return sp_capture_join_async (cmd, false);
  run_io (cmd);
  return record_result (cmd, c);
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
  if (c == NULL || c->n == 0)
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
  sp_buf_clear (&c->sink_out);
  sp_buf_clear (&c->sink_err);
  free (c->streams);
  free (c->meta);
  free (c);
  cmd->capture = NULL;
  if (ret < 0)
    sp_error_nomem (cmd);
  return ret;
}

/* Give LEN bytes of DATA to the sink DEST of STREAM at once (dry run):
   0, -1 with the error recorded.  */
static int
sink_fill (subproc_t *cmd, const sp_sink_t *dest, int stream,
           const char *data, size_t len)
{
  sp_buf_t b = { 0 };
  size_t scanned = 0;
  int r = 0;
  if (len > 0 && sp_buf_append (&b, data, len) < 0)
    return sp_error_nomem (cmd);
  if (b.len > 0)
    r = sink_feed (dest, stream, &b, &scanned, true);
  sp_buf_clear (&b);
  if (r != 0)
    return sp_error (cmd, SUBPROC_ERR_IO, ECANCELED,
                     "the %s sink of '%s' returned %d",
                     stream == 1 ? "output" : "error", cmd->args.v[0], r);
  return 0;
}

int
sp_sinks_fill (subproc_t *cmd, const char *out, size_t out_len,
               const char *err, size_t err_len)
{
  sp_buf_t o = { 0 }, e = { 0 };
  bool interleaved = cmd->output.buf && cmd->output.buf == cmd->errbuf.buf;
  int ret = 0;

  if (cmd->output.fn
      && sink_fill (cmd, &cmd->output, 1, out, out_len) < 0)
    return -1;
  if (cmd->errbuf.fn
      && sink_fill (cmd, &cmd->errbuf, 2, err, err_len) < 0)
    return -1;
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
