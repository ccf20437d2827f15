/* misc.c: errors, environment, strings, clock and options for Win32.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "win32.h"

/* ------------------------------------------------------------------ */
/* Errors.  */

int
sp_win32_errno (DWORD err)
{
  switch (err)
    {
    case ERROR_SUCCESS:
      return 0;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_NETPATH:
    case ERROR_BAD_NET_NAME:
    case ERROR_MOD_NOT_FOUND:
    case ERROR_ENVVAR_NOT_FOUND:
    case ERROR_INVALID_NAME:
      return ENOENT;
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
    case ERROR_PRIVILEGE_NOT_HELD:
      return EACCES;
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY:
    case ERROR_NOT_ENOUGH_QUOTA:
    case ERROR_COMMITMENT_LIMIT:
      return ENOMEM;
    case ERROR_INVALID_PARAMETER:
    case ERROR_INVALID_FLAGS:
    case ERROR_BAD_ARGUMENTS:
      return EINVAL;
    case ERROR_INVALID_HANDLE:
      return EBADF;
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:
    case ERROR_PIPE_NOT_CONNECTED:
      return EPIPE;
    case ERROR_DIRECTORY:
      return ENOTDIR;
    case ERROR_BAD_EXE_FORMAT:
    case ERROR_EXE_MACHINE_TYPE_MISMATCH:
    case ERROR_BAD_FORMAT:
    case ERROR_INVALID_EXE_SIGNATURE:
    case ERROR_EXE_MARKED_INVALID:
      return ENOEXEC;
    case ERROR_TOO_MANY_OPEN_FILES:
      return EMFILE;
    case ERROR_FILENAME_EXCED_RANGE:
      return ENAMETOOLONG;
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS:
      return EEXIST;
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL:
      return ENOSPC;
    case ERROR_NOT_SUPPORTED:
    case ERROR_CALL_NOT_IMPLEMENTED:
      return ENOSYS;
    case ERROR_OPERATION_ABORTED:
      return EINTR;
    case ERROR_WAIT_NO_CHILDREN:
    case ERROR_CHILD_NOT_COMPLETE:
      return ECHILD;
    case ERROR_NO_PROC_SLOTS:
    case ERROR_MAX_THRDS_REACHED:
    case ERROR_NOT_ENOUGH_SERVER_MEMORY:
      return EAGAIN;
    case ERROR_TIMEOUT:
    case WAIT_TIMEOUT:
      return ETIMEDOUT;
    default:
      return EIO;
    }
}

int
sp_win32_fail (sp_fail_t *f, int code, sp_stage_t stage, const char *what)
{
  int err = sp_win32_errno (GetLastError ());
  if (err == ENOMEM && code == SUBPROC_ERR_SYSTEM)
    code = SUBPROC_ERR_NOMEM;
  return sp_fail (f, code, err, stage, what);
}

/* ------------------------------------------------------------------ */
/* Environment.  */

const char *const sp_backend_common_env[] = {
  "SystemRoot", "SystemDrive", "windir", "COMSPEC", "PATH", "PATHEXT",
  "TEMP", "TMP", "USERPROFILE", "USERNAME", "HOMEDRIVE", "HOMEPATH",
  "APPDATA", "LOCALAPPDATA", "ProgramData", "ProgramFiles",
  "NUMBER_OF_PROCESSORS", "PROCESSOR_ARCHITECTURE", NULL
};

/* GetEnvironmentVariableW rather than _wgetenv: the process environment
   block is what CreateProcessW hands to children, and the C runtime's
   copy can differ from it.  */
char *
sp_backend_getenv (const char *name)
{
  if (*name == '\0' || strchr (name, '=') != NULL)
    {
      errno = ENOENT;
      return NULL;
    }
  uint16_t *wname = sp_win32_to_utf16 (name);
  if (wname == NULL)
    {
      if (errno == EILSEQ)
        errno = ENOENT;
      return NULL;
    }

  wchar_t small[256];
  wchar_t *value = small;
  DWORD cap = sizeof small / sizeof *small;
  char *result = NULL;

  for (;;)
    {
      SetLastError (ERROR_SUCCESS);
      DWORD n = GetEnvironmentVariableW (wname, value, cap);
      if (n == 0 && GetLastError () == ERROR_ENVVAR_NOT_FOUND)
        {
          errno = ENOENT;
          break;
        }
      if (n < cap)
        {
          result = sp_win32_to_utf8 (value, n);
          /* A value that is not valid UTF-16 cannot be given back as
             UTF-8: treat it as unset rather than pass on garbage.  */
          if (result == NULL && errno == EILSEQ)
            errno = ENOENT;
          break;
        }
      /* Too small: N is the size needed, with the terminator.  */
      if (value != small)
        free (value);
      cap = n;
      value = sp_reallocarray (NULL, cap, sizeof *value);
      if (value == NULL)
        break;
    }
  int saved = errno;
  if (value != small)
    free (value);
  free (wname);
  errno = saved;
  return result;
}

/* A name read as UTF-16, one unit at a time, without allocating: a
   code point's UTF-8 bytes at a time.  */
typedef struct name_units
{
  const char *s;
  size_t len;
  size_t pos;
  uint16_t unit[2];
  size_t n;
  size_t next;
} name_units_t;

static bool
next_unit (name_units_t *r, uint16_t *u)
{
  if (r->next == r->n)
    {
      if (r->pos >= r->len)
        return false;
      unsigned char c = (unsigned char) r->s[r->pos];
      size_t k = c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
      ptrdiff_t n = -1;
      if (k <= r->len - r->pos)
        n = sp_win32_utf8_to_utf16 (r->s + r->pos, k, r->unit, 2);
      if (n < 1 || n > 2)
        {
          /* Not UTF-8 (the front-end checks names before): compare the
             byte as it is, so that the order stays total.  */
          r->unit[0] = c;
          n = 1;
          k = 1;
        }
      r->pos += k;
      r->n = (size_t) n;
      r->next = 0;
    }
  *u = r->unit[r->next++];
  return true;
}

/* Windows compares names without regard to case, by its own rule: the
   ordinal order of the names upper-cased unit by unit with the system's
   table (CompareStringOrdinal with bIgnoreCase, as for the sorted block
   in spawn.c), which folds 'a' and 'A' and also, say, U+00E4 and
   U+00C4.  Comparing unit by unit gives the same answer as comparing
   the whole names, and needs no copy of them.  */
int
sp_backend_env_name_cmp (const char *a, size_t len_a, const char *b,
                         size_t len_b)
{
  name_units_t ra = { a, len_a, 0, { 0, 0 }, 0, 0 };
  name_units_t rb = { b, len_b, 0, { 0, 0 }, 0, 0 };

  for (;;)
    {
      uint16_t ua, ub;
      bool more_a = next_unit (&ra, &ua), more_b = next_unit (&rb, &ub);
      if (!more_a || !more_b)
        return more_a ? 1 : more_b ? -1 : 0;
      if (ua == ub)
        continue;
      int r = CompareStringOrdinal ((const WCHAR *) &ua, 1,
                                    (const WCHAR *) &ub, 1, TRUE);
      if (r == CSTR_LESS_THAN)
        return -1;
      if (r == CSTR_GREATER_THAN)
        return 1;
      if (r == 0)
        /* Cannot fail on these arguments; if it did, the units differ.  */
        return ua < ub ? -1 : 1;
    }
}

int
sp_backend_check_string (const char *s, sp_fail_t *f)
{
  if (!sp_win32_utf8_valid (s, strlen (s)))
    return sp_fail (f, SUBPROC_ERR_INVALID, EILSEQ, SP_STAGE_ENCODING,
                    "not valid UTF-8");
  return 0;
}

/* ------------------------------------------------------------------ */
/* Clock.  */

int64_t
sp_backend_now_ms (void)
{
  return (int64_t) GetTickCount64 ();
}

/* ------------------------------------------------------------------ */
/* Options.  */

HANDLE
sp_win32_restricted_token (sp_fail_t *f)
{
  HANDLE token = NULL, restricted = NULL;
  TOKEN_PRIVILEGES *privs = NULL;
  DWORD size = 0;

  if (!OpenProcessToken (GetCurrentProcess (),
                         TOKEN_DUPLICATE | TOKEN_ASSIGN_PRIMARY
                           | TOKEN_QUERY,
                         &token))
    {
      sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_TOKEN, "clear_caps");
      goto out;
    }
  if (!CreateRestrictedToken (token, DISABLE_MAX_PRIVILEGE, 0, NULL, 0,
                              NULL, 0, NULL, &restricted))
    {
      restricted = NULL;
      sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS, SP_STAGE_UNSUPPORTED,
               "clear_caps");
      goto out;
    }

  /* DISABLE_MAX_PRIVILEGE leaves SeChangeNotifyPrivilege alone.  Wine
     returns a token that still has every privilege: a restriction that
     does not restrict must be reported, not pretended.  */
  GetTokenInformation (restricted, TokenPrivileges, NULL, 0, &size);
  privs = size ? sp_malloc (size) : NULL;
  if (privs == NULL)
    {
      sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_TOKEN, "clear_caps");
      goto fail;
    }
  if (!GetTokenInformation (restricted, TokenPrivileges, privs, size,
                            &size))
    {
      sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_TOKEN, "clear_caps");
      goto fail;
    }
  if (privs->PrivilegeCount > 1)
    {
      sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS, SP_STAGE_UNSUPPORTED,
               "clear_caps");
      goto fail;
    }
  goto out;

fail:
  CloseHandle (restricted);
  restricted = NULL;
out:
  free (privs);
  if (token)
    CloseHandle (token);
  return restricted;
}

int
sp_win32_check_spec (const sp_spec_t *spec, sp_fail_t *f)
{
  const char *what = NULL;

  if (spec->opt->set_uid)
    what = "uid";
  else if (spec->opt->set_gid)
    what = "gid";
  else if (spec->opt->set_umask)
    what = "umask";
  else if (spec->opt->set_max_memlock)
    what = "max_memlock";
  else if (spec->opt->set_max_files)
    what = "max_files";
  else if (spec->opt->set_max_core)
    what = "max_core_size";
  else if (spec->opt->no_new_privs)
    what = "no_new_privs";
  else if (spec->opt->daemonize && spec->opt->set_max_processes)
    /* The limit belongs to a job, and a daemon is in none.  */
    what = "max_processes for a daemon";
  if (what)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS,
                    SP_STAGE_UNSUPPORTED, what);
  return 0;
}

int
sp_backend_prepare (sp_spec_t *spec, sp_fail_t *f)
{
  if (sp_win32_check_spec (spec, f) < 0)
    return -1;
  if (spec->opt->clear_caps)
    {
      /* Ask now, so that an unsupported clear_caps is reported before
         anything is created.  */
      HANDLE token = sp_win32_restricted_token (f);
      if (token == NULL)
        return -1;
      CloseHandle (token);
    }
  return 0;
}

void
sp_backend_spec_release (sp_spec_t *spec)
{
  (void) spec;
}

/* ------------------------------------------------------------------ */
/* Status.  */

int
sp_backend_status_exited (int raw_status, int *value)
{
  *value = raw_status;
  /* NTSTATUS error codes (0xC0000000 and up: access violation, stack
     overflow, Ctrl+C, the library's own kill) mean an abnormal end.  */
  return (unsigned int) raw_status >= 0xC0000000u ? 0 : 1;
}

int
sp_backend_status_encode (int exit_code)
{
  return exit_code;
}
