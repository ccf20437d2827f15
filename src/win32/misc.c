/* misc.c: errors, environment, program lookup, clock, tokens, Win32.
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
/* Finding the program.  */

bool
sp_backend_is_dir_sep (char c)
{
  return c == '\\' || c == '/';
}

/* Does NAME carry a directory part (a separator or a drive)?  */
static bool
has_dir (const char *name)
{
  if (strpbrk (name, "\\/") != NULL)
    return true;
  return ((name[0] >= 'A' && name[0] <= 'Z')
          || (name[0] >= 'a' && name[0] <= 'z'))
         && name[1] == ':';
}

/* Does the last component of NAME have an extension?  */
static bool
has_ext (const char *name)
{
  const char *base = name;
  for (const char *p = name; *p; p++)
    if (sp_backend_is_dir_sep (*p) || (p == name + 1 && *p == ':'))
      base = p + 1;
  return strchr (base, '.') != NULL;
}

/* A ':' anywhere but after a drive letter names an alternate data stream
   ("x.bat::$DATA"), which no extension check can see through; program
   names never need one.  */
bool
sp_win32_odd_colon (const char *name)
{
  size_t skip = 0;
  if ((strncmp (name, "\\\\?\\", 4) == 0 || strncmp (name, "\\\\.\\", 4) == 0)
      && name[4] != '\0')
    skip = 4;
  for (const char *p = name + skip; *p; p++)
    if (*p == ':' && p != name + skip + 1)
      return true;
  return false;
}

enum found
{
  FOUND_NONE,
  FOUND_FILE,
  FOUND_OTHER,  /* exists, but cannot be run (a directory) */
  FOUND_NOMEM   /* out of memory: not an answer */
};

static enum found
probe (const char *path)
{
  uint16_t *w = sp_win32_to_utf16 (path);
  if (w == NULL)
    return errno == ENOMEM ? FOUND_NOMEM : FOUND_NONE;
  DWORD attr = GetFileAttributesW (w);
  free (w);
  if (attr == INVALID_FILE_ATTRIBUTES)
    return FOUND_NONE;
  return attr & FILE_ATTRIBUTE_DIRECTORY ? FOUND_OTHER : FOUND_FILE;
}

/* Probe CAND (taken over).  1: a file, *PATH = CAND; 0: not one (a
   directory sets *SAW_OTHER); -1: CAND is NULL (out of memory).  */
static int
try_candidate (char *cand, bool *saw_other, char **path)
{
  if (cand == NULL)
    return -1;
  enum found r = probe (cand);
  if (r == FOUND_NOMEM)
    {
      free (cand);
      return -1;
    }
  if (r == FOUND_FILE)
    {
      *path = cand;
      return 1;
    }
  if (r == FOUND_OTHER)
    *saw_other = true;
  free (cand);
  return 0;
}

/* Try PREFIX (DIR_LEN bytes of DIR, a separator if needed, then NAME) as
   is when it has an extension, else with each extension of PATHEXT.
   1: found, *PATH set; 0: not found; -1: out of memory.  */
static int
try_dir (const char *dir, size_t dir_len, const char *name,
         const char *pathext, bool *saw_other, char **path)
{
  const char *sep = "";
  if (dir_len > 0 && !sp_backend_is_dir_sep (dir[dir_len - 1])
      && !(dir_len == 2 && dir[1] == ':'))
    sep = "\\";

  if (has_ext (name))
    return try_candidate (sp_aprintf ("%.*s%s%s", (int) dir_len, dir, sep,
                                      name),
                          saw_other, path);

  for (const char *e = pathext; *e;)
    {
      size_t n = strcspn (e, ";");
      if (n > 0)
        {
          int r = try_candidate (sp_aprintf ("%.*s%s%s%.*s", (int) dir_len,
                                             dir, sep, name, (int) n, e),
                                 saw_other, path);
          if (r != 0)
            return r;
        }
      e += n;
      if (*e == ';')
        e++;
    }
  return 0;
}

/* Make the found *PATH absolute against the parent's current directory,
   as on POSIX: a relative program (or a relative entry of PATH) must
   not be looked for again in the working directory set for the child,
   which is what cmd.exe would do with a batch file's path.  0, or -1
   when memory runs out; a path that cannot be made absolute is left as
   it is.  */
static int
make_absolute (char **path)
{
  const char *p = *path;
  if ((sp_backend_is_dir_sep (p[0]) && sp_backend_is_dir_sep (p[1]))
      || (p[0] != '\0' && p[1] == ':' && sp_backend_is_dir_sep (p[2])))
    return 0;

  uint16_t *w = sp_win32_to_utf16 (p);
  if (w == NULL)
    return errno == ENOMEM ? -1 : 0;
  uint16_t *full = NULL;
  char *result = NULL;
  bool nomem = false;
  DWORD need = GetFullPathNameW (w, 0, NULL, NULL);
  if (need > 0)
    {
      full = sp_reallocarray (NULL, need, sizeof *full);
      DWORD n = full ? GetFullPathNameW (w, need, full, NULL) : 0;
      if (full == NULL)
        nomem = true;
      else if (n > 0 && n < need)
        {
          /* A directory name that is not valid UTF-16 cannot come back
             as UTF-8: keep the relative path then.  */
          result = sp_win32_to_utf8 (full, n);
          nomem = result == NULL && errno == ENOMEM;
        }
    }
  free (w);
  free (full);
  if (nomem)
    {
      errno = ENOMEM;
      return -1;
    }
  if (result != NULL)
    {
      free (*path);
      *path = result;
    }
  return 0;
}

int
sp_backend_find_program (const char *bin, char **path, sp_fail_t *f)
{
  char *pathext = NULL, *search = NULL;
  bool saw_other = false;
  int r = 0;

  *path = NULL;
  if (*bin == '\0')
    return sp_fail (f, SUBPROC_ERR_NOT_FOUND, ENOENT, SP_STAGE_LOOKUP, NULL);
  if (sp_win32_odd_colon (bin))
    return sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_LOOKUP,
                    "program name with ':'");

  pathext = sp_backend_getenv ("PATHEXT");
  if (pathext == NULL && errno == ENOMEM)
    goto nomem;
  const char *exts = pathext && *pathext ? pathext : ".COM;.EXE;.BAT;.CMD";

  if (has_dir (bin))
    r = try_dir ("", 0, bin, exts, &saw_other, path);
  else
    {
      /* The parent's PATH, and nothing else: CreateProcessW would look
         in the application's directory and the current one first, and
         a program planted there must not win.  */
      search = sp_backend_getenv ("PATH");
      if (search == NULL && errno == ENOMEM)
        goto nomem;
      for (const char *d = search ? search : ""; *d && r == 0;)
        {
          size_t n = strcspn (d, ";");
          const char *dir = d;
          size_t len = n;
          /* "C:\Program Files\x" is sometimes written in quotes.  */
          if (len >= 2 && dir[0] == '"' && dir[len - 1] == '"')
            {
              dir++;
              len -= 2;
            }
          if (len > 0)
            r = try_dir (dir, len, bin, exts, &saw_other, path);
          d += n;
          if (*d == ';')
            d++;
        }
    }
  if (r > 0 && make_absolute (path) < 0)
    {
      free (*path);
      *path = NULL;
      r = -1;
    }
  if (r < 0)
    goto nomem;
  free (pathext);
  free (search);
  if (r == 0)
    return sp_fail (f, SUBPROC_ERR_NOT_FOUND, saw_other ? EACCES : ENOENT,
                    SP_STAGE_LOOKUP, NULL);
  return 0;

nomem:
  free (pathext);
  free (search);
  return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_LOOKUP, NULL);
}

/* ------------------------------------------------------------------ */
/* Clock.  */

int64_t
sp_backend_now_ms (void)
{
  return (int64_t) GetTickCount64 ();
}

void
sp_backend_sleep_ms (int ms)
{
  Sleep ((DWORD) ms);
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
sp_backend_rlimit_resource (sp_limit_t which)
{
  /* No rlimits here: the job limits go by the builder call's name.  */
  return -(int) which;
}

bool
sp_backend_rlimit_known (int resource)
{
  /* Nothing to tell it by; every rlimit is refused at the run.  */
  return resource >= 0;
}
