/* thread.c: threads for subproc_do_async_io, with Win32 threads.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <process.h>
#include <stdlib.h>
#include <windows.h>

#include "backend.h"

struct sp_thread
{
  HANDLE handle;
  void (*fn) (void *);
  void *arg;
};

/* _beginthreadex rather than CreateThread, so that the C runtime's
   per-thread state is set up for the engine's calls into it.  */
static unsigned __stdcall
thread_main (void *data)
{
  sp_thread_t *t = data;
  t->fn (t->arg);
  return 0;
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
  uintptr_t h = _beginthreadex (NULL, 0, thread_main, t, 0, NULL);
  if (h == 0)
    {
      int err = errno ? errno : EAGAIN;
      free (t);
      return sp_fail (f, SUBPROC_ERR_SYSTEM, err, SP_STAGE_IO,
                      "starting the I/O thread");
    }
  t->handle = (HANDLE) h;
  *thread = t;
  return 0;
}

void
sp_backend_thread_join (sp_thread_t *thread)
{
  if (thread == NULL)
    return;
  WaitForSingleObject (thread->handle, INFINITE);
  CloseHandle (thread->handle);
  free (thread);
}

/* The library does not use POSIX threads here: no cancellation to hold
   off.  */
int
sp_backend_cancel_off (void)
{
  return 0;
}

void
sp_backend_cancel_restore (int state)
{
  (void) state;
}
