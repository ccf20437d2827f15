/* thread.c: the thread that runs subproc_do_async_io, POSIX.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "posix.h"

struct sp_thread
{
  pthread_t id;
  void (*fn) (void *);
  void *arg;
};

static void *
thread_main (void *data)
{
  sp_thread_t *t = data;
  t->fn (t->arg);
  return NULL;
}

int
sp_backend_thread_start (sp_thread_t **thread, void (*fn) (void *),
                         void *arg, sp_fail_t *f)
{
  sp_thread_t *t = sp_malloc (sizeof *t);
  if (t == NULL)
    return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_IO, NULL);
  t->fn = fn;
  t->arg = arg;

  /* The library's thread must not run the application's signal
     handlers: it starts with every signal blocked.  */
  sigset_t all, old;
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  int err = pthread_create (&t->id, NULL, thread_main, t);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (err != 0)
    {
      free (t);
      return sp_fail (f, SUBPROC_ERR_SYSTEM, err, SP_STAGE_IO, NULL);
    }
  *thread = t;
  return 0;
}

void
sp_backend_thread_join (sp_thread_t *thread)
{
  if (thread == NULL)
    return;
  int saved = errno;
  int cancel = sp_posix_nocancel_begin ();
  pthread_join (thread->id, NULL);
  sp_posix_nocancel_end (cancel);
  free (thread);
  errno = saved;
}

int
sp_backend_cancel_off (void)
{
  return sp_posix_nocancel_begin ();
}

void
sp_backend_cancel_restore (int state)
{
  sp_posix_nocancel_end (state);
}
