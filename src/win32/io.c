/* io.c: descriptors and the I/O pump of the Win32 backend.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Descriptors in the API are C runtime descriptors; each wraps a HANDLE.
 *
 * The pump uses one worker thread per stream that does blocking
 * ReadFile / WriteFile calls.  Overlapped I/O, or a completion port,
 * would need the parent's end of each pipe opened with
 * FILE_FLAG_OVERLAPPED, but sp_backend_pipe does not know which end the
 * parent keeps (the same pipes also become the caller's own descriptors,
 * read with _read), and a child given an overlapped handle as its stdin
 * or stdout can misbehave (synchronous ReadFile on it is documented as
 * unreliable).  Threads work with any handle.
 *
 * A worker moves bytes through a buffer of its own, never through the
 * engine's memory: the engine may move its buffer (two streams can share
 * one growing buffer when output and error are interleaved), and when
 * the engine gives up on a stream whose worker is stuck in a read that
 * cannot be cancelled, the worker must not write into memory that has
 * been freed.  The copy costs far less than the pipe.
 *
 * Each worker signals its own event when a request completes; that is
 * also what a caller's event loop watches (sp_backend_io_watches).  One
 * wait covers any number of streams and children: up to
 * MAXIMUM_WAIT_OBJECTS of those events and process handles are waited
 * on directly; beyond that, the call makes one event of its own that
 * every busy worker also signals, and has the system's thread pool
 * (RegisterWaitForSingleObject) signal it for the process handles that
 * do not fit beside it.
 *
 * Once the child has ended, its bytes are all in its pipes, but a worker
 * thread on a loaded machine may take any time to bring them in, and a
 * blocking read may also wait for ever on a pipe that a grandchild holds
 * open.  So at the child's end a read still pending is cancelled (one
 * that has completed keeps its bytes), and each reader then drains what
 * its pipe holds at that moment, its backlog, with reads that never
 * block: however slowly they run, the engine can wait for them.  Only
 * then are reads blocking again, for what a grandchild may still send,
 * and those the engine waits for a moment only.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <limits.h>
#include <process.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "win32.h"

/* The size asked for new pipes (advisory for Windows).  */
#define PIPE_SIZE (64 * 1024)

/* The largest transfer of one worker request, and the buffer a worker
   starts with: it grows towards CHUNK_MAX while its stream keeps it
   full, so that many children that write little cost little.  */
#define CHUNK_MAX (256 * 1024)
#define CHUNK_MIN (16 * 1024)

/* How long a poll after the child's end, its backlog read, waits for
   blocking reads (for what a grandchild sends) to finish.  */
#define SETTLE_MS 50

/* How often a wait looks again when the system refuses what it needs to
   watch everything at once (an event, a thread pool wait).  */
#define POLL_MS 10

/* ------------------------------------------------------------------ */
/* Descriptors.  */

/* A C runtime descriptor for H (taken over) numbered above 2, as on
   POSIX: a caller that closed a standard descriptor must not get its
   number back, since 0 to 2 cannot be passed to a child under their own
   number (a send buffer would read the child's stdin).  While the number
   the runtime gives is 0 to 2, that slot is kept and a non-inheritable
   duplicate of the handle is tried; there are at most three such slots.
   -1 with errno on failure, H closed.  */
static int
fd_above_stdio (HANDLE h, int flags)
{
  int low[3];
  int n_low = 0;
  int fd;

  for (;;)
    {
      errno = 0;
      fd = _open_osfhandle ((intptr_t) h, flags);
      if (fd < 0)
        {
          if (errno == 0)
            errno = EMFILE;
          CloseHandle (h);
          break;
        }
      if (fd > 2 || n_low == 3)
        break;
      low[n_low++] = fd;
      if (!DuplicateHandle (GetCurrentProcess (), h, GetCurrentProcess (),
                            &h, 0, FALSE, DUPLICATE_SAME_ACCESS))
        {
          errno = sp_win32_errno (GetLastError ());
          fd = -1;
          break;
        }
    }
  /* The kept slots own the earlier handles; closing them frees both.  */
  int saved = errno;
  for (int i = 0; i < n_low; i++)
    _close (low[i]);
  errno = saved;
  return fd;
}

int
sp_win32_fd_above_stdio (HANDLE h, int flags)
{
  return fd_above_stdio (h, flags);
}

int
sp_backend_pipe (int fds[2], sp_fail_t *f)
{
  HANDLE rd, wr;

  /* No SECURITY_ATTRIBUTES: both ends are born non-inheritable, so a
     CreateProcess running on another thread cannot leak them.  The
     spawn makes inheritable duplicates of the ends a child gets.  */
  if (!CreatePipe (&rd, &wr, NULL, PIPE_SIZE))
    return sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_PIPE, NULL);

  int fd_r = fd_above_stdio (rd, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
  if (fd_r < 0)
    {
      int err = errno;
      CloseHandle (wr);
      return sp_fail (f, SUBPROC_ERR_SYSTEM, err, SP_STAGE_PIPE, NULL);
    }
  int fd_w = fd_above_stdio (wr, _O_WRONLY | _O_BINARY | _O_NOINHERIT);
  if (fd_w < 0)
    {
      int err = errno;
      _close (fd_r);
      return sp_fail (f, SUBPROC_ERR_SYSTEM, err, SP_STAGE_PIPE, NULL);
    }
  fds[0] = fd_r;
  fds[1] = fd_w;
  return 0;
}

void
sp_backend_close (int fd)
{
  int saved = errno;
  if (fd >= 0)
    _close (fd);
  errno = saved;
}

bool
sp_backend_fd_is_open (int fd)
{
  int saved = errno;
  bool open = fd >= 0 && _get_osfhandle (fd) != (intptr_t) -1;
  errno = saved;
  return open;
}

/* The C runtime's _dup2 is the only way to change the handle under a
   descriptor's number, and it makes the new handle inheritable (it asks
   DuplicateHandle for that, in Microsoft's runtimes and Wine's alike)
   and drops the descriptor's no-inherit flag, which no call sets again.
   The handle is made non-inheritable again at once; in between, a
   CreateProcess with bInheritHandles on another thread that gives no
   handle list (the C runtime's spawn and system, or another library;
   never this one, whose children inherit only the handles they are
   given) could leak it into its child.  After that, such a spawn lists
   the descriptor in the table it gives its child, but the handle is not
   inherited, so the child's entry is invalid.  No other descriptor takes
   the number meanwhile: _dup2 replaces the handle under the runtime's
   lock.  */
int
sp_backend_replace_fd (int from, int to, sp_fail_t *f)
{
  if (_dup2 (from, to) < 0)
    return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_PIPE, NULL);
  HANDLE h = (HANDLE) _get_osfhandle (to);
  if (h == INVALID_HANDLE_VALUE
      || !SetHandleInformation (h, HANDLE_FLAG_INHERIT, 0))
    return sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_PIPE, NULL);
  _close (from);
  return 0;
}

/* Only pipes can be made non-blocking (PIPE_NOWAIT): a read then fails
   at once when the pipe is empty instead of waiting.  The C runtime's
   _read reports that as -1 with errno EINVAL (GetLastError () is
   ERROR_NO_DATA), not EAGAIN; see the manual.  */
int
sp_backend_set_nonblocking (int fd, sp_fail_t *f)
{
  HANDLE h = (HANDLE) _get_osfhandle (fd);
  if (h == INVALID_HANDLE_VALUE)
    return sp_fail (f, SUBPROC_ERR_INVALID, EBADF, SP_STAGE_PIPE, NULL);
  if (GetFileType (h) != FILE_TYPE_PIPE)
    return 0;
  DWORD mode = PIPE_READMODE_BYTE | PIPE_NOWAIT;
  if (!SetNamedPipeHandleState (h, &mode, NULL, NULL))
    return sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_PIPE,
                          "non-blocking pipe");
  return 0;
}

/* Through _write, so that a descriptor the caller opened in text mode
   keeps its meaning.  Windows has no SIGPIPE to fear.  */
int
sp_backend_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      unsigned int chunk = len > INT_MAX / 2 ? INT_MAX / 2
                                             : (unsigned int) len;
      int n = _write (fd, p, chunk);
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return -1;
        }
      if (n == 0)
        {
          errno = EIO;
          return -1;
        }
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Payloads.  */

/* A plain copy: the workers write with WriteFile, which copies into the
   pipe, so no memory of the backend's own would save anything.  */
int
sp_backend_payload_copy (sp_payload_t *p, const void *data, size_t len)
{
  char *copy = sp_memdup0 (data, len);
  if (copy == NULL)
    return -1;
  p->data = copy;
  p->len = len;
  p->own_pages = false;
  return 0;
}

void
sp_backend_payload_free (sp_payload_t *p)
{
  int saved = errno;
  free (p->data);
  p->data = NULL;
  p->len = 0;
  errno = saved;
}

/* ------------------------------------------------------------------ */
/* Workers.  */

typedef struct worker
{
  HANDLE thread;
  HANDLE wake;        /* auto-reset: a request was posted, or quit */
  HANDLE done;        /* manual-reset: no request is in flight (the last
                         one has completed); the watch of the stream */
  /* An event of the sp_backend_io_wait in progress that the worker also
     signals when a request completes, or NULL; under LOCK, so that the
     call can close it once it has taken it back.  */
  SRWLOCK lock;
  HANDLE notify;
  HANDLE file;        /* the stream's handle; used only during a request */
  bool writing;
  LONG refs;          /* the stream's and the thread's */
  volatile LONG quit;

  char *buf;          /* CAP bytes */
  size_t cap;
  bool full;          /* the last request moved CAP bytes */
  /* The request, written by the pump before WAKE is set.  */
  DWORD req_len;
  bool req_drain;     /* a read of the backlog, that never blocks */
  bool busy;          /* a request is posted and not yet collected */
  bool draining;      /* the child has ended: reads drain the backlog */
  bool no_cancel;     /* a pending read could not be cancelled */
  /* The backlog: what the pipe held once the child had ended, as far as
     it is not read yet.  Written by the worker during a drain request.  */
  bool backlog_known;
  DWORD backlog;
  /* The result, written by the worker before COMPLETED and DONE are
     set.  COMPLETED tells the pump as DONE does, without asking the
     system.  */
  volatile LONG completed;
  BOOL ok;
  DWORD got;
  DWORD err;
  /* Bytes read but not yet handed to the engine (its room was
     smaller).  */
  size_t pend_off, pend_len;
  bool pend_eof;      /* end of file reached after those bytes */
  int pend_errno;     /* a read error to report after them */
} worker_t;

static void
worker_unref (worker_t *w)
{
  if (InterlockedDecrement (&w->refs) != 0)
    return;
  if (w->thread)
    CloseHandle (w->thread);
  if (w->wake)
    CloseHandle (w->wake);
  if (w->done)
    CloseHandle (w->done);
  free (w->buf);
  free (w);
}

/* PIPE_NOWAIT or back to waiting; a failure only costs the guarantee
   that a read of the backlog cannot block (see drain_read).  */
static void
set_pipe_wait (HANDLE h, bool wait)
{
  DWORD mode = PIPE_READMODE_BYTE | (wait ? PIPE_WAIT : PIPE_NOWAIT);
  SetNamedPipeHandleState (h, &mode, NULL, NULL);
}

/* A read of the backlog into W->buf: 0 with *N bytes (0: the backlog is
   all read), or the error.  The first one measures the backlog.  The
   handle is non-blocking meanwhile: a grandchild whose blocked write is
   cancelled takes its bytes back out of the pipe, and a read counting
   on them must not then wait.  */
static DWORD
drain_read (worker_t *w, DWORD *n)
{
  *n = 0;
  if (!w->backlog_known)
    {
      DWORD avail = 0;
      if (!PeekNamedPipe (w->file, NULL, 0, NULL, &avail, NULL))
        return GetLastError ();
      w->backlog_known = true;
      w->backlog = avail;
      if (avail == 0)
        return 0;
      set_pipe_wait (w->file, false);
    }
  if (w->backlog == 0)
    return 0;
  DWORD err = 0;
  DWORD len = w->req_len < w->backlog ? w->req_len : w->backlog;
  if (ReadFile (w->file, w->buf, len, n, NULL))
    w->backlog -= *n < w->backlog ? *n : w->backlog;
  else if ((err = GetLastError ()) == ERROR_NO_DATA)
    {
      /* Taken back: there is no more backlog.  */
      err = 0;
      w->backlog = 0;
    }
  if (w->backlog == 0 || err)
    set_pipe_wait (w->file, true);
  return err;
}

static unsigned __stdcall
worker_main (void *data)
{
  worker_t *w = data;

  for (;;)
    {
      WaitForSingleObject (w->wake, INFINITE);
      if (w->quit)
        break;
      DWORD n = 0;
      DWORD err = 0;
      if (w->writing)
        err = WriteFile (w->file, w->buf, w->req_len, &n, NULL)
                ? 0
                : GetLastError ();
      else if (w->req_drain)
        err = drain_read (w, &n);
      else
        err = ReadFile (w->file, w->buf, w->req_len, &n, NULL)
                ? 0
                : GetLastError ();
      w->err = err;
      w->got = n;
      w->ok = err == 0;
      __atomic_store_n (&w->completed, 1, __ATOMIC_RELEASE);
      AcquireSRWLockExclusive (&w->lock);
      SetEvent (w->done);
      if (w->notify)
        SetEvent (w->notify);
      ReleaseSRWLockExclusive (&w->lock);
    }
  worker_unref (w);
  return 0;
}

static worker_t *
worker_new (sp_stream_t *s, sp_fail_t *f)
{
  HANDLE h = (HANDLE) _get_osfhandle (s->fd);
  if (h == INVALID_HANDLE_VALUE)
    {
      sp_fail (f, SUBPROC_ERR_IO, EBADF, SP_STAGE_IO, NULL);
      return NULL;
    }
  worker_t *w = sp_calloc (1, sizeof *w);
  if (w == NULL)
    {
      sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_IO, NULL);
      return NULL;
    }
  w->file = h;
  w->writing = s->writing;
  w->refs = 1;
  InitializeSRWLock (&w->lock);
  w->cap = CHUNK_MIN;
  w->buf = sp_malloc (w->cap);
  w->wake = CreateEventW (NULL, FALSE, FALSE, NULL);
  w->done = CreateEventW (NULL, TRUE, TRUE, NULL);
  if (w->buf == NULL || w->wake == NULL || w->done == NULL)
    {
      if (w->buf == NULL)
        sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_IO, NULL);
      else
        sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_IO, NULL);
      worker_unref (w);
      return NULL;
    }
  /* The thread's own reference.  */
  w->refs = 2;
  uintptr_t t = _beginthreadex (NULL, 64 * 1024, worker_main, w, 0, NULL);
  if (t == 0)
    {
      w->refs = 1;
      sp_fail (f, SUBPROC_ERR_SYSTEM, errno ? errno : EAGAIN, SP_STAGE_IO,
               "starting an I/O thread");
      worker_unref (w);
      return NULL;
    }
  w->thread = (HANDLE) t;
  return w;
}

/* Give the engine what a read brought in: as much as its room takes.  */
static void
deliver (sp_stream_t *s, worker_t *w)
{
  if (w->pend_len > 0)
    {
      size_t n = w->pend_len < s->len ? w->pend_len : s->len;
      memcpy (s->buf, w->buf + w->pend_off, n);
      w->pend_off += n;
      w->pend_len -= n;
      s->event = SP_IO_DONE;
      s->done = n;
      return;
    }
  if (w->pend_eof)
    {
      w->pend_eof = false;
      s->event = SP_IO_EOF;
      return;
    }
  if (w->pend_errno)
    {
      s->event = SP_IO_ERROR;
      s->sys_errno = w->pend_errno;
      w->pend_errno = 0;
    }
}

static bool
has_pending (const worker_t *w)
{
  return w->pend_len > 0 || w->pend_eof || w->pend_errno;
}

/* Take the result of a completed request into S.  */
static void
collect (sp_stream_t *s, worker_t *w)
{
  __atomic_store_n (&w->completed, 0, __ATOMIC_RELAXED);
  w->busy = false;
  w->full = w->ok && w->got == w->cap;

  if (w->writing)
    {
      if (w->ok)
        {
          s->event = SP_IO_DONE;
          s->done = w->got;
        }
      else if (w->err == ERROR_NO_DATA || w->err == ERROR_BROKEN_PIPE
               || w->err == ERROR_PIPE_NOT_CONNECTED)
        /* The reader is gone: the rest of the input has nowhere to go.  */
        s->event = SP_IO_EOF;
      else
        {
          s->event = SP_IO_ERROR;
          s->sys_errno = sp_win32_errno (w->err);
        }
      return;
    }

  if (!w->ok && w->err == ERROR_OPERATION_ABORTED)
    /* Cancelled at the child's end while the pipe was empty.  */
    return;
  w->pend_off = 0;
  w->pend_len = w->ok ? w->got : 0;
  if (w->ok && w->got == 0)
    /* The end of file; from a drain request, the backlog is all read.  */
    w->pend_eof = !w->req_drain;
  else if (!w->ok)
    {
      /* ERROR_NO_DATA: the handle stayed non-blocking after its backlog
         (see set_pipe_wait), and the pipe is empty.  */
      if (w->err == ERROR_BROKEN_PIPE || w->err == ERROR_HANDLE_EOF
          || w->err == ERROR_PIPE_NOT_CONNECTED || w->err == ERROR_NO_DATA)
        w->pend_eof = true;
      else
        w->pend_errno = sp_win32_errno (w->err);
    }
  deliver (s, w);
}

/* Post the stream's next request to its worker.  */
static void
post (sp_stream_t *s, worker_t *w)
{
  size_t n = s->len < CHUNK_MAX ? s->len : CHUNK_MAX;
  /* A larger buffer once the last request filled this one; out of
     memory, the request is only smaller.  */
  if (n > w->cap && w->full)
    {
      size_t cap = w->cap * 4 < CHUNK_MAX ? w->cap * 4 : CHUNK_MAX;
      char *buf = sp_realloc (w->buf, cap);
      if (buf != NULL)
        {
          w->buf = buf;
          w->cap = cap;
        }
    }
  if (n > w->cap)
    n = w->cap;
  if (w->writing)
    memcpy (w->buf, s->buf, n);
  w->req_len = (DWORD) n;
  w->req_drain = w->draining && !(w->backlog_known && w->backlog == 0);
  w->busy = true;
  ResetEvent (w->done);
  SetEvent (w->wake);
}

/* The child has ended: from now on W's reads drain the backlog.  A read
   posted before may wait for ever on an empty pipe that a grandchild
   holds: cancel it, retrying while the worker may not have reached its
   call yet.  A read that has completed keeps its bytes (cancelling it
   does nothing), and one cancelled found the pipe empty.  */
static void
start_draining (worker_t *w)
{
  w->draining = true;
  if (!w->busy)
    return;
  while (WaitForSingleObject (w->done, 0) != WAIT_OBJECT_0)
    {
      if (!CancelSynchronousIo (w->thread)
          && GetLastError () != ERROR_NOT_FOUND)
        {
          /* Never seen: the engine then waits for it no more than for
             a grandchild.  */
          w->no_cancel = true;
          return;
        }
      WaitForSingleObject (w->done, 10);
    }
}

/* Has W's stream brought in its backlog?  W is not in a drain
   request.  */
static bool
backlog_read (const worker_t *w)
{
  return w->pend_len == 0
         && (w->no_cancel || (w->backlog_known && w->backlog == 0));
}

/* Has W's request completed?  */
static bool
completed (worker_t *w)
{
  return __atomic_load_n (&w->completed, __ATOMIC_ACQUIRE) != 0;
}

/* Is PROC known to have ended?  Without asking the system: a child that
   has ended since the last wait has its handle signalled, so the next
   wait, which watches it, returns at once and learns of it then.  */
static bool
proc_ended (sp_proc_t *proc)
{
  return proc->process == NULL || proc->reaped
         || __atomic_load_n (&proc->ended, __ATOMIC_ACQUIRE);
}

/* Does the pump wait for the request in flight on S: one whose result
   it can report now?  A reader without room keeps its result for a
   later call; a writer's bytes have gone, so it is reported whatever
   LEN says now.  */
static bool
waits_on (const sp_stream_t *s)
{
  const worker_t *w = s->priv;
  return s->open && w && w->busy && (w->writing || s->len > 0);
}

/* Add H to the COUNT handles of V, once: a wait may not name one
   twice (a child in two sets).  False when V is full.  */
static bool
add_handle (HANDLE *v, DWORD *count, HANDLE h)
{
  for (DWORD i = 0; i < *count; i++)
    if (v[i] == h)
      return true;
  if (*count == MAXIMUM_WAIT_OBJECTS)
    return false;
  v[(*count)++] = h;
  return true;
}

/* Have W also signal EV (NULL: no longer).  True when its request has
   completed already.  Under W's lock, so that no worker signals EV once
   it has been taken back.  */
static bool
notify_arm (worker_t *w, HANDLE ev)
{
  AcquireSRWLockExclusive (&w->lock);
  w->notify = ev;
  bool done = completed (w);
  ReleaseSRWLockExclusive (&w->lock);
  return done;
}

static VOID CALLBACK
signal_event (PVOID ev, BOOLEAN timed_out)
{
  (void) timed_out;
  SetEvent ((HANDLE) ev);
}

/* Wait up to WAIT_MS for more than MAXIMUM_WAIT_OBJECTS things: the
   busy workers of SETS and the children not known to have ended.  One
   event EV stands for all the workers, which signal it besides their
   own, and for the children that do not fit beside it in one wait,
   which the thread pool waits for.  Whatever cannot be watched that way
   (no event, no thread pool wait) is looked at again every POLL_MS.  */
static int
wait_many (sp_io_set_t *sets, size_t n_sets, DWORD wait_ms, sp_fail_t *f)
{
  HANDLE handles[MAXIMUM_WAIT_OBJECTS];
  DWORD count = 0;
  HANDLE *regs = NULL;
  size_t n_regs = 0;

  HANDLE ev = CreateEventW (NULL, TRUE, FALSE, NULL);
  if (ev != NULL)
    handles[count++] = ev;
  for (size_t k = 0; k < n_sets; k++)
    {
      sp_proc_t *proc = sets[k].proc;
      if (proc == NULL || sets[k].exited)
        continue;
      if (add_handle (handles, &count, proc->process))
        continue;
      if (ev != NULL && regs == NULL)
        regs = sp_calloc (n_sets, sizeof *regs);
      if (regs != NULL
          && RegisterWaitForSingleObject (&regs[n_regs], proc->process,
                                          signal_event, ev, INFINITE,
                                          WT_EXECUTEINWAITTHREAD
                                            | WT_EXECUTEONLYONCE))
        n_regs++;
      else if (wait_ms > POLL_MS)
        wait_ms = POLL_MS;
    }
  for (size_t k = 0; k < n_sets; k++)
    for (size_t i = 0; i < sets[k].n; i++)
      {
        sp_stream_t *s = &sets[k].streams[i];
        if (!waits_on (s))
          continue;
        worker_t *w = s->priv;
        if (ev != NULL)
          {
            if (notify_arm (w, ev))
              wait_ms = 0;
          }
        else if (!add_handle (handles, &count, w->done) && wait_ms > POLL_MS)
          wait_ms = POLL_MS;
      }

  DWORD r = WAIT_TIMEOUT;
  DWORD err = 0;
  if (count > 0)
    {
      r = WaitForMultipleObjects (count, handles, FALSE, wait_ms);
      err = GetLastError ();
    }
  else if (wait_ms != INFINITE)
    Sleep (wait_ms);

  /* Blocking until a callback that runs has returned: EV is closed
     next.  */
  for (size_t i = 0; i < n_regs; i++)
    UnregisterWaitEx (regs[i], INVALID_HANDLE_VALUE);
  free (regs);
  if (ev != NULL)
    {
      for (size_t k = 0; k < n_sets; k++)
        for (size_t i = 0; i < sets[k].n; i++)
          if (waits_on (&sets[k].streams[i]))
            notify_arm (sets[k].streams[i].priv, NULL);
      CloseHandle (ev);
    }
  if (r == WAIT_FAILED)
    {
      SetLastError (err);
      return sp_win32_fail (f, SUBPROC_ERR_IO, SP_STAGE_IO, NULL);
    }
  return 0;
}

/* Wait up to WAIT_MS (not 0) for one of the busy workers of SETS, or the
   end of one of their children not known to have ended.  */
static int
wait_any (sp_io_set_t *sets, size_t n_sets, DWORD wait_ms, sp_fail_t *f)
{
  HANDLE handles[MAXIMUM_WAIT_OBJECTS];
  DWORD count = 0;

  for (size_t k = 0; k < n_sets; k++)
    {
      if (sets[k].proc && !sets[k].exited
          && !add_handle (handles, &count, sets[k].proc->process))
        return wait_many (sets, n_sets, wait_ms, f);
      for (size_t i = 0; i < sets[k].n; i++)
        {
          sp_stream_t *s = &sets[k].streams[i];
          if (!waits_on (s))
            continue;
          worker_t *w = s->priv;
          if (!add_handle (handles, &count, w->done))
            return wait_many (sets, n_sets, wait_ms, f);
        }
    }
  if (count == 0)
    {
      /* Nothing to wait for: sleep out the time, as poll would.  */
      if (wait_ms != INFINITE)
        Sleep (wait_ms);
      return 0;
    }
  if (WaitForMultipleObjects (count, handles, FALSE, wait_ms) == WAIT_FAILED)
    return sp_win32_fail (f, SUBPROC_ERR_IO, SP_STAGE_IO, NULL);
  return 0;
}

/* Start the round of SET: deliver what its workers hold, post the next
   requests.  Adds the streams with an event to *EVENTS; sets *DRAINING
   when a read of a backlog is in flight, and lowers *CAP to what an
   ended child allows the wait.  */
static int
set_start (sp_io_set_t *set, int *events, bool *draining, DWORD *cap,
           sp_fail_t *f)
{
  size_t busy_readers = 0;
  bool set_draining = false;

  set->events = 0;
  set->exited = set->proc && proc_ended (set->proc);
  for (size_t i = 0; i < set->n; i++)
    {
      sp_stream_t *s = &set->streams[i];
      s->event = SP_IO_NONE;
      s->done = 0;
      if (!s->open)
        continue;
      worker_t *w = s->priv;
      if (w == NULL)
        {
          w = worker_new (s, f);
          if (w == NULL)
            return -1;
          s->priv = w;
        }
      if (set->exited && !w->writing && !w->draining)
        start_draining (w);
      if (!w->writing && s->len == 0)
        /* No room: nothing is transferred, nothing waited for.  */
        continue;
      if (!w->busy && has_pending (w))
        {
          deliver (s, w);
          if (s->event != SP_IO_NONE)
            {
              (*events)++;
              set->events++;
            }
          continue;
        }
      if (!w->busy && s->len > 0)
        post (s, w);
      if (w->busy && !w->writing)
        busy_readers++;
      if (w->busy && w->req_drain)
        set_draining = true;
    }

  /* A read of a backlog cannot block, so a wait lasts as long as it
     takes: the child's last bytes may be in a worker's hands with its
     thread not yet run on a loaded machine.  Other busy readers after
     the child's end wait for what a grandchild holding the pipe may
     send, and get a moment only; with none, an ended child ends the
     wait at once.  */
  if (set_draining)
    *draining = true;
  else if (set->exited)
    {
      DWORD allow = busy_readers > 0 ? SETTLE_MS : 0;
      if (allow < *cap)
        *cap = allow;
    }
  return 0;
}

/* Take what the round brought in SET.  Adds the streams with an event
   to *EVENTS.  */
static void
set_finish (sp_io_set_t *set, int *events)
{
  for (size_t i = 0; i < set->n; i++)
    {
      sp_stream_t *s = &set->streams[i];
      if (!waits_on (s) || s->event != SP_IO_NONE || !completed (s->priv))
        continue;
      collect (s, s->priv);
      if (s->event != SP_IO_NONE)
        {
          (*events)++;
          set->events++;
        }
    }
  for (size_t i = 0; i < set->n; i++)
    {
      sp_stream_t *s = &set->streams[i];
      worker_t *w = s->priv;
      if (s->open && w && w->draining && !s->drained
          && !(w->busy && w->req_drain) && backlog_read (w))
        s->drained = true;
    }
  if (set->proc && !set->exited
      && WaitForSingleObject (set->proc->process, 0) == WAIT_OBJECT_0)
    {
      __atomic_store_n (&set->proc->ended, true, __ATOMIC_RELEASE);
      set->exited = true;
    }
}

int
sp_backend_io_wait (sp_io_set_t *sets, size_t n_sets, int timeout_ms,
                    sp_fail_t *f)
{
  int events = 0;
  bool draining = false;
  DWORD cap = INFINITE;

  for (size_t k = 0; k < n_sets; k++)
    if (set_start (&sets[k], &events, &draining, &cap, f) < 0)
      return -1;

  /* With events in hand, only look at what is ready now.  Nothing is
     asked of a busy handle (PeekNamedPipe would wait behind the
     worker's ReadFile on a synchronous handle).  */
  DWORD wait_ms;
  if (events > 0)
    wait_ms = 0;
  else
    {
      wait_ms = draining || timeout_ms < 0 ? INFINITE : (DWORD) timeout_ms;
      if (cap < wait_ms)
        wait_ms = cap;
    }
  if (wait_ms != 0 && wait_any (sets, n_sets, wait_ms, f) < 0)
    return -1;

  for (size_t k = 0; k < n_sets; k++)
    set_finish (&sets[k], &events);
  return events;
}

/* Each stream's watch is its worker's DONE event, signalled once its
   request has completed (and while the worker holds bytes the engine has
   not taken).  So that there is something to watch, the request that
   the next sp_backend_io_wait would post is posted here, the worker
   started first if need be: STREAMS are the engine's, pointed for the
   next wait (buf, len) as for that wait.  */
size_t
sp_backend_io_watches (sp_proc_t *proc, sp_stream_t *streams,
                       size_t n, subproc_watch_t *w, size_t room,
                       int *timeout_ms)
{
  size_t count = 0;

  *timeout_ms = -1;
  for (size_t i = 0; i < n; i++)
    {
      sp_stream_t *s = &streams[i];
      worker_t *wk = s->priv;
      if (!s->open || (s->len == 0 && !(wk && wk->writing && wk->busy)))
        continue;
      if (wk == NULL)
        {
          sp_fail_t f;
          int saved = errno;
          wk = s->priv = worker_new (s, &f);
          errno = saved;
          if (wk == NULL)
            {
              /* The next call reports why.  */
              *timeout_ms = 0;
              continue;
            }
        }
      if (!wk->busy && !has_pending (wk) && s->len > 0)
        post (s, wk);
      if (count < room)
        {
          w[count].handle = wk->done;
          w[count].events = SUBPROC_WATCH_READ;
        }
      count++;
    }
  if (proc && !proc->reaped && proc->process)
    {
      if (count < room)
        {
          w[count].handle = proc->process;
          w[count].events = SUBPROC_WATCH_READ;
        }
      count++;
    }
  return count;
}

void
sp_backend_io_release (sp_stream_t *stream)
{
  worker_t *w = stream->priv;
  if (w == NULL)
    return;
  stream->priv = NULL;

  InterlockedExchange (&w->quit, 1);
  SetEvent (w->wake);
  if (w->busy)
    {
      /* Blocked in ReadFile or WriteFile: cancel it.  The worker may be
         just about to make the call, so try a few times.  */
      for (int tries = 0; tries < 25; tries++)
        {
          CancelSynchronousIo (w->thread);
          if (WaitForSingleObject (w->thread, 20) == WAIT_OBJECT_0)
            break;
        }
    }
  /* A worker that could not be stopped keeps its own reference and frees
     everything once its call returns; it never touches the stream or the
     engine's memory again.  */
  worker_unref (w);
}
