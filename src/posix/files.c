/* files.c: files for the child's standard streams and a copy of the
 * environment, POSIX.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "posix.h"

extern char **environ;

int
sp_backend_open_file (const char *path, enum sp_open_mode mode, int *fd,
                      sp_fail_t *f)
{
  /* O_NOCTTY: a terminal given as a file must not become the parent's
     controlling terminal.  Opening a FIFO waits for its other end, as
     a shell's redirection does; a cancellation request of the caller's
     is not acted upon meanwhile.  */
  int flags = O_CLOEXEC | O_NOCTTY;
  switch (mode)
    {
    case SP_OPEN_READ:
      flags |= O_RDONLY;
      break;
    case SP_OPEN_APPEND:
      flags |= O_WRONLY | O_CREAT | O_APPEND;
      break;
    case SP_OPEN_TRUNCATE:
    default:
      flags |= O_WRONLY | O_CREAT | O_TRUNC;
      break;
    }

  int cancel = sp_posix_nocancel_begin ();
  int r;
  do
    r = sp_posix_sys_open (path, flags, 0666);
  while (r < 0 && errno == EINTR);
  /* A parent running with 0, 1 or 2 closed gets those numbers: keep
     them free, as for every descriptor of the library's.  */
  if (r >= 0 && r <= 2)
    {
      int moved = fcntl (r, F_DUPFD_CLOEXEC, 3);
      int err = errno;
      sp_posix_sys_close (r);
      errno = err;
      r = moved;
    }
  int err = errno;
  sp_posix_nocancel_end (cancel);
  if (r < 0)
    return sp_fail (f, SUBPROC_ERR_SPAWN, err, SP_STAGE_OPEN, NULL);
  *fd = r;
  return 0;
}

char **
sp_backend_environ_copy (sp_fail_t *f)
{
  size_t n = 0;
  while (environ && environ[n])
    n++;
  char **v = sp_calloc (n + 1, sizeof *v);
  if (v == NULL)
    goto nomem;
  for (size_t i = 0; i < n; i++)
    if ((v[i] = sp_strdup (environ[i])) == NULL)
      {
        sp_strv_free (v);
        goto nomem;
      }
  return v;

nomem:
  sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_NONE, NULL);
  return NULL;
}
