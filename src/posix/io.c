/* io.c: descriptors and the I/O pump of the POSIX backend.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Writing to a pipe whose reader is gone raises SIGPIPE, whose default
 * action kills the process.  A library may not change the process-wide
 * disposition, so every write that can hit a pipe blocks SIGPIPE in the
 * calling thread only, and consumes the signal it raised (if it was not
 * pending already) before restoring the mask.
 *
 * Moving many bytes (see bench/ for the measurements): a stream that
 * fills the default 64 KiB pipe, or an input of 1 MiB or more from its
 * first write, gets a 1 MiB one (F_SETPIPE_SZ), so that
 * the two processes exchange 1 MiB per wake-up instead of 64 KiB; and
 * the memory a fast reader is about to read into is made present ahead of
 * the read with MADV_POPULATE_WRITE, a few MiB at a time, which costs
 * far less than taking one page fault per 4 KiB inside read().  Neither
 * costs anything to a child that writes little.  A large input, which
 * the library keeps in a read-only mapping of its own, goes into the pipe
 * with vmsplice rather than write (see stream_transfer).
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

/* ------------------------------------------------------------------ */
/* System calls that are never cancellation points (see posix.h).  A
   ThreadSanitizer build takes the C library's functions: it spawns only
   with fork (no child shares our memory) and must see every descriptor
   opened and closed, or it takes a reused number for a race.  */

#if defined SP_POSIX_HAVE_SYSCALL && !defined SP_POSIX_TSAN
# define SP_RAW_SYSCALLS 1
#endif

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
int
sp_posix_sys_open (const char *path, int flags, mode_t mode)
{
#ifdef SP_RAW_SYSCALLS
  return (int) syscall (SYS_openat, AT_FDCWD, path, flags, mode);
#else
  return open (path, flags, mode);
#endif
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
int
sp_posix_sys_close (int fd)
{
#ifdef SP_RAW_SYSCALLS
  return (int) syscall (SYS_close, fd);
#else
  return close (fd);
#endif
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
ssize_t
sp_posix_sys_read (int fd, void *buf, size_t len)
{
#ifdef SP_RAW_SYSCALLS
  return (ssize_t) syscall (SYS_read, fd, buf, len);
#else
  return read (fd, buf, len);
#endif
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
ssize_t
sp_posix_sys_write (int fd, const void *buf, size_t len)
{
#ifdef SP_RAW_SYSCALLS
  return (ssize_t) syscall (SYS_write, fd, buf, len);
#else
  return write (fd, buf, len);
#endif
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
int
sp_posix_sys_poll (struct pollfd *fds, nfds_t n)
{
  /* The newer Linux ports have ppoll only, whose time argument differs
     between ABIs; there the C library's poll serves (with cancellation
     disabled, it acts on nothing).  */
#if defined SP_RAW_SYSCALLS && defined SYS_poll
  return (int) syscall (SYS_poll, fds, n, 0);
#else
  return poll (fds, n, 0);
#endif
}

/* ------------------------------------------------------------------ */
/* Descriptors.  */

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
move_above_stdio (int fd)
{
  /* A parent that runs with 0, 1 or 2 closed gets those numbers from
     pipe() and open(); keep them free for the child's stdio.  */
  if (fd < 0 || fd > 2)
    return fd;
  int moved = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  int err = errno;
  sp_posix_sys_close (fd);
  errno = err;
  return moved;
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
int
sp_posix_pipe (int fds[2])
{
#ifdef HAVE_PIPE2
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return -1;
#else
  /* Without pipe2 a fork on another thread between pipe and fcntl can
     leak these two into a child that is not ours; our own children close
     them in any case.  */
  if (pipe (fds) < 0)
    return -1;
  if (fcntl (fds[0], F_SETFD, FD_CLOEXEC) < 0
      || fcntl (fds[1], F_SETFD, FD_CLOEXEC) < 0)
    {
      int err = errno;
      sp_posix_sys_close (fds[0]);
      sp_posix_sys_close (fds[1]);
      errno = err;
      return -1;
    }
#endif
  fds[0] = move_above_stdio (fds[0]);
  fds[1] = move_above_stdio (fds[1]);
  if (fds[0] < 0 || fds[1] < 0)
    {
      int err = errno;
      if (fds[0] >= 0)
        sp_posix_sys_close (fds[0]);
      if (fds[1] >= 0)
        sp_posix_sys_close (fds[1]);
      errno = err;
      return -1;
    }
  return 0;
}

int
sp_posix_open_null (void)
{
  int fd;
  do
    fd = sp_posix_sys_open ("/dev/null", O_RDWR | O_CLOEXEC | O_NOCTTY, 0);
  while (fd < 0 && errno == EINTR);
  return move_above_stdio (fd);
}

int
sp_backend_pipe (int fds[2], sp_fail_t *f)
{
  if (sp_posix_pipe (fds) < 0)
    return sp_fail (f,
                    errno == ENOMEM ? SUBPROC_ERR_NOMEM : SUBPROC_ERR_SYSTEM,
                    errno, SP_STAGE_PIPE, NULL);
  return 0;
}

void
sp_backend_close (int fd)
{
  int saved = errno;
  /* Linux (and POSIX 2024) release the descriptor even when close fails
     with EINTR; retrying could close a descriptor another thread just
     opened.  */
  if (fd >= 0)
    {
      int cancel = sp_posix_nocancel_begin ();
      sp_posix_sys_close (fd);
      sp_posix_nocancel_end (cancel);
    }
  errno = saved;
}

bool
sp_backend_fd_is_open (int fd)
{
  return fd >= 0 && fcntl (fd, F_GETFD) >= 0;
}

int
sp_backend_replace_fd (int from, int to, sp_fail_t *f)
{
  int r;
#ifdef HAVE_DUP3
  /* One step: TO is never without a descriptor, so no other thread can
     take its number, and is never inheritable.  */
  do
    r = dup3 (from, to, O_CLOEXEC);
  while (r < 0 && errno == EINTR);
#else
  /* Without dup3 a fork on another thread between dup2 and fcntl can
     leak TO into a child that is not ours; our own children close it in
     any case.  */
  do
    r = dup2 (from, to);
  while (r < 0 && errno == EINTR);
  if (r >= 0 && fcntl (to, F_SETFD, FD_CLOEXEC) < 0)
    r = -1;
#endif
  if (r < 0)
    return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_PIPE, NULL);
  sp_backend_close (from);
  return 0;
}

int
sp_backend_set_nonblocking (int fd, sp_fail_t *f)
{
  int flags = fcntl (fd, F_GETFL);
  if (flags < 0
      || (!(flags & O_NONBLOCK) && fcntl (fd, F_SETFL, flags | O_NONBLOCK)))
    return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_IO, NULL);
  return 0;
}

/* ------------------------------------------------------------------ */
/* SIGPIPE.  */

void
sp_posix_sigpipe_begin (sp_posix_sigpipe_t *s)
{
  sigset_t pipe_set, pending;
  int saved = errno;

  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  /* A SIGPIPE pending already belongs to the caller: leave it alone.  */
  s->was_pending = sigpending (&pending) == 0
                   && sigismember (&pending, SIGPIPE) == 1;
  s->blocked = pthread_sigmask (SIG_BLOCK, &pipe_set, &s->old_mask) == 0;
  errno = saved;
}

void
sp_posix_sigpipe_end (sp_posix_sigpipe_t *s, bool got_epipe)
{
  int saved = errno;

  if (!s->blocked)
    return;
  if (got_epipe && !s->was_pending)
    {
      /* The write raised a SIGPIPE for this thread; take it before the
         mask comes off.  */
      sigset_t pipe_set;
      struct timespec zero = { 0, 0 };
      sigemptyset (&pipe_set);
      sigaddset (&pipe_set, SIGPIPE);
      while (sigtimedwait (&pipe_set, NULL, &zero) < 0 && errno == EINTR)
        ;
    }
  pthread_sigmask (SIG_SETMASK, &s->old_mask, NULL);
  errno = saved;
}

int
sp_backend_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  sp_posix_sigpipe_t sig;
  int err = 0;

  int cancel = sp_posix_nocancel_begin ();
  sp_posix_sigpipe_begin (&sig);
  while (len > 0)
    {
      ssize_t w = write (fd, p, len);
      if (w >= 0)
        {
          p += w;
          len -= (size_t) w;
          continue;
        }
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK)
        {
          /* A non-blocking descriptor: wait until it takes more.  */
          struct pollfd pfd = { fd, POLLOUT, 0 };
          if (poll (&pfd, 1, -1) >= 0 || errno == EINTR)
            continue;
        }
      err = errno;
      break;
    }
  sp_posix_sigpipe_end (&sig, err == EPIPE);
  sp_posix_nocancel_end (cancel);
  if (err)
    {
      errno = err;
      return -1;
    }
  return 0;
}

/* ------------------------------------------------------------------ */
/* The pump.  */

/* How long to poll when the child's end can only be noticed by asking:
   no pidfd.  */
#define EXIT_POLL_SLICE_MS 50

/* What the pump remembers about a stream, packed into its PRIV (no
   allocation): the end of the memory made present ahead of reads, which
   is page-aligned, and three flags in its low bits.  NULL: not seen
   yet.  */
#define ST_NONBLOCKING ((uintptr_t) 1) /* O_NONBLOCK is set */
#define ST_FAST ((uintptr_t) 2)        /* transfers fill a small pipe */
#define ST_FULL ((uintptr_t) 4)        /* one read emptied a full pipe */
#define ST_FLAGS (ST_NONBLOCKING | ST_FAST | ST_FULL)

/* The pipe size for a fast stream: what /proc/sys/fs/pipe-max-size
   allows by default.  */
#define FAST_PIPE_SIZE (1024 * 1024)

/* A transfer at least this large marks the stream as fast.  */
#define FAST_TRANSFER (64 * 1024)

static uintptr_t
st_flags (const sp_stream_t *s)
{
  return (uintptr_t) s->priv & ST_FLAGS;
}

static char *
st_populated (const sp_stream_t *s)
{
  return (char *) ((uintptr_t) s->priv & ~ST_FLAGS);
}

static void
st_set (sp_stream_t *s, char *populated, uintptr_t flags)
{
  s->priv = (void *) ((uintptr_t) populated | flags);
}

/* Non-zero once MADV_POPULATE_WRITE turned out not to work here (kernels
   before 5.14).  */
static int populate_broken;

#if !defined MADV_POPULATE_WRITE && defined SP_POSIX_HAVE_SYSCALL
# define MADV_POPULATE_WRITE 23
#endif

/* The system's page size: sysconf reads a value the kernel gave at
   start-up, so it is cheap, and no state is shared between threads.  */
static uintptr_t
page_size (void)
{
  long pagesize = sysconf (_SC_PAGESIZE);
  return pagesize > 0 ? (uintptr_t) pagesize : 4096;
}

/* Make the whole pages of [START, END) present and writable in one
   call, so that writing to them takes no page faults.  False when that
   was not done (the system cannot, or it failed); errno is kept.  */
static bool
make_present (uintptr_t start, uintptr_t end)
{
#ifdef MADV_POPULATE_WRITE
  uintptr_t page = page_size ();
  start = (start + page - 1) & ~(page - 1);
  end &= ~(page - 1);
  if (end <= start)
    return true;
  if (__atomic_load_n (&populate_broken, __ATOMIC_RELAXED))
    return false;
  int saved = errno;
  int r = madvise ((void *) start, end - start, MADV_POPULATE_WRITE);
  if (r < 0 && (errno == EINVAL || errno == ENOSYS))
    __atomic_store_n (&populate_broken, 1, __ATOMIC_RELAXED);
  errno = saved;
  return r == 0;
#else
  (void) start;
  (void) end;
  return false;
#endif
}

/* Make the pages of [BUF, BUF + LEN) present, except those done
   already, so that the read into them takes no page faults.  */
static void
populate_ahead (sp_stream_t *s, char *buf, size_t len)
{
  uintptr_t page = page_size ();
  uintptr_t start = ((uintptr_t) buf + page - 1) & ~(page - 1);
  uintptr_t end = ((uintptr_t) buf + len) & ~(page - 1);
  uintptr_t done = (uintptr_t) st_populated (s);
  /* What an earlier call did, if it was in this same buffer (after a
     realloc that moved it, DONE is elsewhere and everything is new).  */
  if (done > start && done <= end)
    start = done;
  if (end > start && make_present (start, end))
    st_set (s, (char *) end, st_flags (s));
}

/* S moved a full small pipe's worth at once: give it a large pipe, and
   from now on make its memory present ahead of reads.  */
static void
mark_fast (sp_stream_t *s)
{
#ifdef F_SETPIPE_SZ
  int saved = errno;
  /* May fail (EPERM past the user's pipe quota, EBUSY): the stream
     works as before, only slower.  */
  if (fcntl (s->fd, F_GETPIPE_SZ) < FAST_PIPE_SIZE)
    fcntl (s->fd, F_SETPIPE_SZ, FAST_PIPE_SIZE);
  errno = saved;
#endif
  st_set (s, st_populated (s), st_flags (s) | ST_FAST);
}

/* ------------------------------------------------------------------ */
/* Payloads: the bytes the library writes to children.  */

#if defined SP_POSIX_HAVE_SPLICE && defined SPLICE_F_NONBLOCK
/* From this size on, a payload is kept in a mapping of its own whose
   pages stream_transfer hands to the pipe with vmsplice.  */
# define OWN_PAGES_MIN (4 * 1024 * 1024)
# define HUGE_PAGE ((size_t) 2 * 1024 * 1024)

/* The size of the mapping for a payload of LEN bytes and its NUL.  */
static size_t
own_pages_size (size_t len)
{
  uintptr_t page = page_size ();
  return (len + 1 + page - 1) & ~(page - 1);
}

/* A copy of LEN bytes of DATA (and a NUL) in an anonymous mapping of
   its own, 2 MiB-aligned so that it can have transparent huge pages,
   made present in one call, filled, then made read-only: pages that
   stream_transfer may give to a pipe must never change again, so that a
   stray write faults rather than changes what a reader of the pipe may
   still see.  Copying many MiB into fresh memory is mostly page faults,
   one per 4 KiB, each clearing its page: 64 MiB took ~45 ms where the
   copy itself takes ~7 ms; huge pages made present first, ~15 ms.  */
static char *
own_pages_copy (const void *data, size_t len)
{
  if (len >= SIZE_MAX - 2 * HUGE_PAGE)
    {
      errno = ENOMEM;
      return NULL;
    }
  if (sp_alloc_fails ())
    return NULL;
  size_t size = own_pages_size (len);
  size_t span = size + HUGE_PAGE;
  char *m = mmap (NULL, span, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    {
      errno = ENOMEM;
      return NULL;
    }
  int saved = errno;
  char *p = (char *) (((uintptr_t) m + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1));
  if (p > m)
    munmap (m, (size_t) (p - m));
  if (m + span > p + size)
    munmap (p + size, (size_t) (m + span - (p + size)));
# ifdef MADV_HUGEPAGE
  /* Advice only: where the kernel declines, the copy faults as usual.  */
  madvise (p, size, MADV_HUGEPAGE);
# endif
  make_present ((uintptr_t) p, (uintptr_t) p + size);
  memcpy (p, data, len);
  p[len] = '\0';
  mprotect (p, size, PROT_READ);
  errno = saved;
  return p;
}
#endif

int
sp_backend_payload_copy (sp_payload_t *p, const void *data, size_t len)
{
  char *copy;
  bool own = false;
#ifdef OWN_PAGES_MIN
  if (len >= OWN_PAGES_MIN)
    {
      copy = own_pages_copy (data, len);
      own = true;
    }
  else
#endif
    copy = sp_memdup0 (data, len);
  if (copy == NULL)
    return -1;
  p->data = copy;
  p->len = len;
  p->own_pages = own;
  return 0;
}

void
sp_backend_payload_free (sp_payload_t *p)
{
  int saved = errno;
#ifdef OWN_PAGES_MIN
  /* munmap drops the mapping, not the pages: the kernel frees each only
     when the last pipe that may refer to it lets go.  */
  if (p->own_pages && p->data)
    munmap (p->data, own_pages_size (p->len));
  else
#endif
    free (p->data);
  p->data = NULL;
  p->len = 0;
  p->own_pages = false;
  errno = saved;
}

static void
stream_transfer (sp_stream_t *s, short revents)
{
  ssize_t r;

  if (revents & POLLNVAL)
    {
      s->event = SP_IO_ERROR;
      s->sys_errno = EBADF;
      return;
    }
  if (!s->writing)
    {
      /* POLLHUP without POLLIN: the writers are gone; read says EOF.  */
      if (!(revents & (POLLIN | POLLHUP | POLLERR)))
        return;
      if (st_flags (s) & ST_FAST)
        populate_ahead (s, s->buf, s->len);
      while ((r = read (s->fd, s->buf, s->len)) < 0 && errno == EINTR)
        ;
      if (r > 0)
        {
          s->event = SP_IO_DONE;
          s->done = (size_t) r;
          /* A child that writes one pipe's worth and ends, as many do,
             would gain nothing from a large pipe and memory made
             present: a second full read makes the stream fast.  */
          if ((size_t) r >= FAST_TRANSFER && !(st_flags (s) & ST_FAST))
            {
              if (st_flags (s) & ST_FULL)
                mark_fast (s);
              else
                st_set (s, st_populated (s), st_flags (s) | ST_FULL);
            }
        }
      else if (r == 0)
        s->event = SP_IO_EOF;
      else if (errno != EAGAIN && errno != EWOULDBLOCK)
        {
          s->event = SP_IO_ERROR;
          s->sys_errno = errno;
        }
      return;
    }

  if (!(revents & (POLLOUT | POLLHUP | POLLERR)))
    return;
  /* A large input gets the large pipe before its first write rather than
     after it filled the small one.  */
  if (s->len >= FAST_PIPE_SIZE && !(st_flags (s) & ST_FAST))
    mark_fast (s);
  r = -1;
  errno = EINVAL;
#if defined SPLICE_F_NONBLOCK
  /* vmsplice puts references to the pages of BUF into the pipe instead
     of copying the bytes: the child's read then copies straight from
     them, which saves a copy and the pipe's own page allocations (64 MiB
     in + out: ~15 ms of ~90).  The pipe may keep those references long
     after this call, and after the command is freed: a grandchild can
     hold the read end and read when it pleases.  What it reads is then
     whatever the pages hold at that time, so this is safe only for pages
     whose content never changes again and that are never handed out for
     other data while a reference may remain.  OWN_PAGES promises exactly
     that (see own_pages_copy): the block is the library's own anonymous
     mapping, filled once and made read-only before any of it reaches a
     pipe, never written again, and released with munmap, which drops the
     mapping but not the pages: the kernel frees them only when the last
     pipe reference goes.  A fork meanwhile shares them copy-on-write, and
     nobody writes them on either side.  A caller's buffer or a malloc
     block never gets here (malloc reuses freed memory).  */
  if (s->own_pages)
    {
      struct iovec iov = { s->buf, s->len };
      while ((r = vmsplice (s->fd, &iov, 1, SPLICE_F_NONBLOCK)) < 0
             && errno == EINTR)
        ;
    }
#endif
  if (r < 0 && (errno == EINVAL || errno == ENOSYS))
    while ((r = write (s->fd, s->buf, s->len)) < 0 && errno == EINTR)
      ;
  if (r >= 0)
    {
      s->event = SP_IO_DONE;
      s->done = (size_t) r;
      /* A short write filled the pipe.  */
      if ((size_t) r < s->len && (size_t) r >= FAST_TRANSFER
          && !(st_flags (s) & ST_FAST))
        mark_fast (s);
    }
  else if (errno == EPIPE)
    s->event = SP_IO_EOF;
  else if (errno != EAGAIN && errno != EWOULDBLOCK)
    {
      s->event = SP_IO_ERROR;
      s->sys_errno = errno;
    }
}

/* The child has ended, so all it wrote is in its pipes: what a reader's
   pipe holds when this is first called is its backlog; BACKLOG counts
   what of it is still unread.  Called after the round's reads.  */
static void
track_backlog (sp_stream_t *streams, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      sp_stream_t *s = &streams[i];
      if (!s->open || s->writing || s->drained)
        continue;
      int avail = 0;
#ifdef FIONREAD
      if (ioctl (s->fd, FIONREAD, &avail) < 0 || avail < 0)
        avail = 0;
#endif
      if (s->backlog_known && s->event == SP_IO_DONE)
        s->backlog -= s->done < s->backlog ? s->done : s->backlog;
      /* Nobody else reads the pipe, so it should never hold less than
         the backlog; were it so, waiting for bytes that are gone would
         hang the run.  */
      if (!s->backlog_known || (size_t) avail < s->backlog)
        s->backlog = (size_t) avail;
      s->backlog_known = true;
      s->drained = s->backlog == 0;
    }
}

/* Writes and reads never block the pump.  */
static void
make_nonblocking (sp_stream_t *streams, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (streams[i].open && !(st_flags (&streams[i]) & ST_NONBLOCKING))
      {
        int fl = fcntl (streams[i].fd, F_GETFL);
        if (fl >= 0 && !(fl & O_NONBLOCK))
          fcntl (streams[i].fd, F_SETFL, fl | O_NONBLOCK);
        st_set (&streams[i], NULL, ST_NONBLOCKING);
      }
}

/* Does the stream take part in this round?  */
static bool
stream_active (const sp_stream_t *s)
{
  return s->open && s->len > 0;
}

/* How the end of a set's child is noticed.  */
enum watch_kind
{
  WATCH_NONE,    /* no child */
  WATCH_REAPED,  /* it has been reaped: it has ended */
  WATCH_PIDFD,   /* its pidfd becomes readable */
  WATCH_ASK      /* no pidfd: ask, now and then */
};

static enum watch_kind
watch_kind (sp_proc_t *proc)
{
  if (proc == NULL)
    return WATCH_NONE;
  if (sp_posix_proc_reaped (proc))
    return WATCH_REAPED;
  return proc->pidfd >= 0 ? WATCH_PIDFD : WATCH_ASK;
}

/* What one sp_backend_io_wait polls: in the order of the sets, each
   set's active streams, then its pidfd; and how each set's end is
   watched.  Small waits use the arrays inside.  */
typedef struct io_list
{
  struct pollfd local[16];
  unsigned char local_kind[16];
  struct pollfd *pfd;
  unsigned char *kind;   /* enum watch_kind of each set */
  size_t np;
  bool ask;              /* a set's end must be asked for */
  bool any_exited;       /* a set's child is known to have ended */
} io_list_t;

static void
io_list_free (io_list_t *l)
{
  if (l->pfd != l->local)
    free (l->pfd);
  if (l->kind != l->local_kind)
    free (l->kind);
}

/* Clear the sets' events and fill L for them.  0, or -1 with *F.  */
static int
io_list_build (io_list_t *l, sp_io_set_t *sets, size_t n_sets, sp_fail_t *f)
{
  size_t total = 0;

  l->pfd = l->local;
  l->kind = l->local_kind;
  l->np = 0;
  l->ask = l->any_exited = false;
  if (n_sets > sizeof l->local_kind)
    {
      l->kind = sp_malloc (n_sets);
      if (l->kind == NULL)
        return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_IO, NULL);
    }
  for (size_t k = 0; k < n_sets; k++)
    {
      sp_io_set_t *set = &sets[k];
      set->exited = false;
      set->events = 0;
      for (size_t i = 0; i < set->n; i++)
        {
          set->streams[i].event = SP_IO_NONE;
          if (stream_active (&set->streams[i]))
            total++;
        }
      l->kind[k] = (unsigned char) watch_kind (set->proc);
      if (l->kind[k] == WATCH_PIDFD)
        total++;
      else if (l->kind[k] == WATCH_REAPED)
        set->exited = l->any_exited = true;
      else if (l->kind[k] == WATCH_ASK)
        l->ask = true;
    }

  if (total > sizeof l->local / sizeof l->local[0])
    {
      l->pfd = sp_reallocarray (NULL, total, sizeof *l->pfd);
      if (l->pfd == NULL)
        {
          l->pfd = l->local;
          io_list_free (l);
          return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_IO, NULL);
        }
    }

  for (size_t k = 0; k < n_sets; k++)
    {
      sp_io_set_t *set = &sets[k];
      make_nonblocking (set->streams, set->n);
      for (size_t i = 0; i < set->n; i++)
        if (stream_active (&set->streams[i]))
          {
            l->pfd[l->np].fd = set->streams[i].fd;
            l->pfd[l->np].events = set->streams[i].writing ? POLLOUT : POLLIN;
            l->pfd[l->np].revents = 0;
            l->np++;
          }
      if (l->kind[k] == WATCH_PIDFD)
        {
          l->pfd[l->np].fd = set->proc->pidfd;
          l->pfd[l->np].events = POLLIN;
          l->pfd[l->np].revents = 0;
          l->np++;
        }
    }
  return 0;
}

/* How long the next poll may wait, until DEADLINE (-1: none).  */
static int
io_poll_slice (const io_list_t *l, int64_t deadline)
{
  int slice = -1;

  if (deadline >= 0)
    {
      int64_t left = deadline - sp_backend_now_ms ();
      slice = left <= 0 ? 0 : left > 0x7fffffff ? 0x7fffffff : (int) left;
    }
  if (l->ask && (slice < 0 || slice > EXIT_POLL_SLICE_MS))
    slice = EXIT_POLL_SLICE_MS;
  if (l->any_exited)
    slice = 0;
  return slice;
}

/* After a poll that returned R: one transfer on each stream that is
   ready, and the ends of the children noticed.  Returns the number of
   streams with an event.  */
static int
io_take_events (io_list_t *l, sp_io_set_t *sets, size_t n_sets, int r)
{
  int events = 0;
  bool writes = false;

  for (size_t k = 0; k < l->np && r > 0 && !writes; k++)
    writes = (l->pfd[k].revents & (POLLOUT | POLLERR | POLLHUP))
             && l->pfd[k].events == POLLOUT;
  sp_posix_sigpipe_t sig;
  if (writes)
    sp_posix_sigpipe_begin (&sig);
  bool epipe = false;
  size_t p = 0;
  for (size_t k = 0; k < n_sets; k++)
    {
      sp_io_set_t *set = &sets[k];
      for (size_t i = 0; i < set->n; i++)
        {
          sp_stream_t *s = &set->streams[i];
          if (!stream_active (s))
            continue;
          short revents = l->pfd[p++].revents;
          if (revents == 0 || s->event != SP_IO_NONE)
            continue;
          stream_transfer (s, revents);
          if (s->event != SP_IO_NONE)
            {
              set->events++;
              events++;
            }
          if (s->writing && s->event == SP_IO_EOF)
            epipe = true;
        }
      if (l->kind[k] == WATCH_PIDFD)
        {
          if (l->pfd[p++].revents & (POLLIN | POLLHUP))
            {
              set->exited = l->any_exited = true;
              sp_posix_proc_end_seen (set->proc);
            }
        }
      else if (l->kind[k] == WATCH_ASK && !set->exited
               && sp_backend_exited (set->proc))
        set->exited = l->any_exited = true;
    }
  if (writes)
    sp_posix_sigpipe_end (&sig, epipe);
  return events;
}

int
sp_backend_io_wait (sp_io_set_t *sets, size_t n_sets, int timeout_ms,
                    sp_fail_t *f)
{
  int64_t deadline = timeout_ms < 0 ? -1 : sp_backend_now_ms () + timeout_ms;
  int ret = -1;
  io_list_t l;

  if (io_list_build (&l, sets, n_sets, f) < 0)
    return -1;

  /* poll, read, write and sigtimedwait are cancellation points.  */
  int cancel = sp_posix_nocancel_begin ();
  for (;;)
    {
      int r = poll (l.pfd, (nfds_t) l.np, io_poll_slice (&l, deadline));
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          sp_fail (f, SUBPROC_ERR_IO, errno, SP_STAGE_IO, NULL);
          break;
        }

      int events = io_take_events (&l, sets, n_sets, r);
      bool time_up = deadline >= 0 && sp_backend_now_ms () >= deadline;
      if (events > 0 || l.any_exited || time_up || timeout_ms == 0)
        {
          for (size_t k = 0; k < n_sets; k++)
            if (sets[k].exited)
              track_backlog (sets[k].streams, sets[k].n);
          ret = events;
          break;
        }
    }
  sp_posix_nocancel_end (cancel);
  io_list_free (&l);
  return ret;
}

size_t
sp_backend_io_watches (sp_proc_t *proc, sp_stream_t *streams,
                       size_t n, subproc_watch_t *w, size_t room,
                       int *timeout_ms)
{
  size_t k = 0;
  *timeout_ms = -1;
  for (size_t i = 0; i < n; i++)
    if (stream_active (&streams[i]))
      {
        if (k < room)
          {
            w[k].handle = streams[i].fd;
            w[k].events = streams[i].writing ? SUBPROC_WATCH_WRITE
                                             : SUBPROC_WATCH_READ;
          }
        k++;
      }
  enum watch_kind wk = watch_kind (proc);
  if (wk == WATCH_PIDFD || wk == WATCH_ASK)
    {
      if (wk == WATCH_PIDFD)
        {
          if (k < room)
            {
              w[k].handle = proc->pidfd;
              w[k].events = SUBPROC_WATCH_READ;
            }
          k++;
        }
      else
        *timeout_ms = EXIT_POLL_SLICE_MS;
    }
  else if (wk == WATCH_REAPED)
    *timeout_ms = 0;
  return k;
}

void
sp_backend_io_release (sp_stream_t *stream)
{
  if (stream)
    stream->priv = NULL;
}
