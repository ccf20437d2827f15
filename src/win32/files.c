/* files.c: files for the child's standard streams and a copy of the
 * environment, Win32.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "backend.h"
#include "win32.h"

int
sp_backend_open_file (const char *path, enum sp_open_mode mode, int *fd,
                      sp_fail_t *f)
{
  DWORD access, disposition;
  int crt;
  switch (mode)
    {
    case SP_OPEN_READ:
      access = GENERIC_READ;
      disposition = OPEN_EXISTING;
      crt = _O_RDONLY;
      break;
    case SP_OPEN_APPEND:
      /* Appending without FILE_WRITE_DATA: the system puts every write
         at the end of the file, whatever the offset, as O_APPEND.  */
      access = FILE_APPEND_DATA | FILE_READ_ATTRIBUTES | SYNCHRONIZE;
      disposition = OPEN_ALWAYS;
      crt = _O_WRONLY | _O_APPEND;
      break;
    case SP_OPEN_TRUNCATE:
    default:
      access = GENERIC_WRITE;
      disposition = CREATE_ALWAYS;
      crt = _O_WRONLY;
      break;
    }

  uint16_t *wide = sp_win32_to_utf16 (path);
  if (wide == NULL)
    return sp_fail (f,
                    errno == ENOMEM ? SUBPROC_ERR_NOMEM : SUBPROC_ERR_INVALID,
                    errno, SP_STAGE_OPEN, NULL);
  /* No SECURITY_ATTRIBUTES: born non-inheritable, so that a process
     created on another thread meanwhile cannot get it.  The spawn makes
     the inheritable duplicate the child gets.  */
  HANDLE h = CreateFileW (wide, access,
                          FILE_SHARE_READ | FILE_SHARE_WRITE
                            | FILE_SHARE_DELETE,
                          NULL, disposition, FILE_ATTRIBUTE_NORMAL, NULL);
  free (wide);
  if (h == INVALID_HANDLE_VALUE)
    return sp_win32_fail (f, SUBPROC_ERR_SPAWN, SP_STAGE_OPEN, NULL);
  int r = sp_win32_fd_above_stdio (h, crt | _O_BINARY | _O_NOINHERIT);
  if (r < 0)
    return sp_fail (f, SUBPROC_ERR_SYSTEM, errno, SP_STAGE_OPEN, NULL);
  *fd = r;
  return 0;
}

char **
sp_backend_environ_copy (sp_fail_t *f)
{
  /* The process environment block, which is what a child inherits, in
     UTF-16: the C runtime's copy is in the ANSI code page.  */
  wchar_t *block = GetEnvironmentStringsW ();
  if (block == NULL)
    {
      sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_NONE, "environment");
      return NULL;
    }
  size_t n = 0;
  for (const wchar_t *w = block; *w; w += wcslen (w) + 1)
    n++;
  char **v = sp_calloc (n + 1, sizeof *v);
  if (v == NULL)
    {
      FreeEnvironmentStringsW (block);
      sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_NONE, NULL);
      return NULL;
    }
  size_t i = 0;
  for (const wchar_t *w = block; *w; w += wcslen (w) + 1)
    if ((v[i++] = sp_win32_to_utf8 ((const uint16_t *) w, (size_t) -1))
        == NULL)
      {
        int err = errno;
        sp_strv_free (v);
        FreeEnvironmentStringsW (block);
        sp_fail (f, err == ENOMEM ? SUBPROC_ERR_NOMEM : SUBPROC_ERR_INVALID,
                 err, SP_STAGE_ENCODING, "environment");
        return NULL;
      }
  FreeEnvironmentStringsW (block);
  return v;
}
