/* helper-win32.c: the Windows-only subcommands of the helper child.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   argv-w             the arguments after the subcommand as
 *                      CommandLineToArgvW (GetCommandLineW ()) splits
 *                      them, in UTF-8, NUL after each
 *   argv-crtw          the same as the C runtime's wide argv
 *                      (__wgetmainargs) splits them
 *   handles [0xH...]   "fd=N handle=0x... type=pipe|file|char|unknown" for
 *                      each C runtime descriptor 0..2047 that is open;
 *                      then per hex value given, "0xH=valid" or
 *                      "0xH=invalid": is it a handle of this process?
 *   getenv-w NAME...   per name a line: the value (UTF-8, through
 *                      GetEnvironmentVariableW), or "(unset)"
 *   env-w              each entry of the environment block
 *                      (GetEnvironmentStringsW), in its order, in UTF-8,
 *                      NUL after each
 *   cwd-w              the working directory (UTF-8, through
 *                      GetCurrentDirectoryW)
 *   in-job             "job=yes" or "job=no"
 *   privileges         the number of privileges in the process token
 *   console            "console=yes" or "console=no"
 *   priority           "class=" and the name of the priority class
 *                      (IDLE, BELOW_NORMAL, NORMAL, ABOVE_NORMAL, HIGH,
 *                      REALTIME) or its value in hex
 *   error-mode         "errormode=0x..." (GetErrorMode)
 */

#ifdef HAVE_CONFIG_H
# include <config.h>
#endif

#include <io.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>
#include <shellapi.h>

int helper_win32_main (const char *sub, int argc, char **argv);

/* From the C runtime (msvcrt and the UCRT's compatibility layer).  */
typedef struct
{
  int newmode;
} helper_startupinfo_t;
extern int __wgetmainargs (int *argc, wchar_t ***argv, wchar_t ***env,
                           int glob, helper_startupinfo_t *si);

/* Write the wide string W as UTF-8 and a NUL.  */
static int
put_utf8 (const wchar_t *w)
{
  int n = WideCharToMultiByte (CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
  if (n <= 0)
    return -1;
  char *s = malloc ((size_t) n);
  if (s == NULL)
    return -1;
  WideCharToMultiByte (CP_UTF8, 0, w, -1, s, n, NULL, NULL);
  /* N counts the terminator, which is the separator we want.  */
  size_t done = fwrite (s, 1, (size_t) n, stdout);
  free (s);
  return done == (size_t) n ? 0 : -1;
}

static int
argv_w (void)
{
  int n;
  wchar_t **wargv = CommandLineToArgvW (GetCommandLineW (), &n);
  if (wargv == NULL)
    return 1;
  for (int i = 2; i < n; i++)
    if (put_utf8 (wargv[i]) < 0)
      return 1;
  LocalFree (wargv);
  return 0;
}

static int
argv_crtw (void)
{
  int n;
  wchar_t **wargv, **wenv;
  helper_startupinfo_t si = { 0 };
  if (__wgetmainargs (&n, &wargv, &wenv, 0, &si) < 0)
    return 1;
  for (int i = 2; i < n; i++)
    if (put_utf8 (wargv[i]) < 0)
      return 1;
  return 0;
}

static const char *
type_name (HANDLE h)
{
  switch (GetFileType (h))
    {
    case FILE_TYPE_PIPE:
      return "pipe";
    case FILE_TYPE_DISK:
      return "file";
    case FILE_TYPE_CHAR:
      return "char";
    default:
      return "unknown";
    }
}

static int
handles (int argc, char **argv)
{
  for (int fd = 0; fd < 2048; fd++)
    {
      intptr_t h = _get_osfhandle (fd);
      if (h == -1 || h == -2)
        continue;
      printf ("fd=%d handle=0x%llx type=%s\n", fd,
              (unsigned long long) h, type_name ((HANDLE) h));
    }
  for (int i = 2; i < argc; i++)
    {
      unsigned long long v = strtoull (argv[i], NULL, 16);
      DWORD flags;
      HANDLE h = (HANDLE) (uintptr_t) v;
      int valid = v != 0 && GetHandleInformation (h, &flags);
      printf ("%s=%s\n", argv[i], valid ? "valid" : "invalid");
    }
  return 0;
}

static int
env_w (void)
{
  wchar_t *block = GetEnvironmentStringsW ();
  if (block == NULL)
    return 1;
  int r = 0;
  for (const wchar_t *e = block; *e && r == 0; e += wcslen (e) + 1)
    r = put_utf8 (e);
  FreeEnvironmentStringsW (block);
  return r < 0 ? 1 : 0;
}

/* The names come from the wide command line: main's argv is in the ANSI
   code page, which cannot hold every name.  */
static int
getenv_w (void)
{
  int n;
  wchar_t **wargv = CommandLineToArgvW (GetCommandLineW (), &n);
  static wchar_t value[32768];
  if (wargv == NULL)
    return 1;
  for (int i = 2; i < n; i++)
    {
      SetLastError (0);
      DWORD len = GetEnvironmentVariableW (wargv[i], value, 32768);
      if (len == 0 && GetLastError () == ERROR_ENVVAR_NOT_FOUND)
        printf ("(unset)\n");
      else
        {
          int u = WideCharToMultiByte (CP_UTF8, 0, value, -1, NULL, 0, NULL,
                                       NULL);
          char *s = malloc ((size_t) (u > 0 ? u : 1));
          if (s == NULL || u <= 0)
            return 1;
          WideCharToMultiByte (CP_UTF8, 0, value, -1, s, u, NULL, NULL);
          printf ("%s\n", s);
          free (s);
        }
    }
  LocalFree (wargv);
  return 0;
}

static int
cwd_w (void)
{
  static wchar_t dir[32768];
  if (GetCurrentDirectoryW (32768, dir) == 0)
    return 1;
  int u = WideCharToMultiByte (CP_UTF8, 0, dir, -1, NULL, 0, NULL, NULL);
  char *s = malloc ((size_t) (u > 0 ? u : 1));
  if (s == NULL || u <= 0)
    return 1;
  WideCharToMultiByte (CP_UTF8, 0, dir, -1, s, u, NULL, NULL);
  printf ("%s\n", s);
  free (s);
  return 0;
}

static int
in_job (void)
{
  BOOL in = FALSE;
  if (!IsProcessInJob (GetCurrentProcess (), NULL, &in))
    return 1;
  printf ("job=%s\n", in ? "yes" : "no");
  return 0;
}

static int
privileges (void)
{
  HANDLE token;
  DWORD size = 0;
  if (!OpenProcessToken (GetCurrentProcess (), TOKEN_QUERY, &token))
    return 1;
  GetTokenInformation (token, TokenPrivileges, NULL, 0, &size);
  TOKEN_PRIVILEGES *tp = malloc (size ? size : 1);
  if (tp == NULL || !GetTokenInformation (token, TokenPrivileges, tp, size,
                                          &size))
    return 1;
  printf ("%lu\n", (unsigned long) tp->PrivilegeCount);
  free (tp);
  CloseHandle (token);
  return 0;
}

int
helper_win32_main (const char *sub, int argc, char **argv)
{
  if (strcmp (sub, "argv-w") == 0)
    return argv_w ();
  if (strcmp (sub, "argv-crtw") == 0)
    return argv_crtw ();
  if (strcmp (sub, "handles") == 0)
    return handles (argc, argv);
  if (strcmp (sub, "getenv-w") == 0)
    return getenv_w ();
  if (strcmp (sub, "env-w") == 0)
    return env_w ();
  if (strcmp (sub, "cwd-w") == 0)
    return cwd_w ();
  if (strcmp (sub, "in-job") == 0)
    return in_job ();
  if (strcmp (sub, "privileges") == 0)
    return privileges ();
  if (strcmp (sub, "priority") == 0)
    {
      DWORD c = GetPriorityClass (GetCurrentProcess ());
      const char *name = c == IDLE_PRIORITY_CLASS           ? "IDLE"
                         : c == BELOW_NORMAL_PRIORITY_CLASS ? "BELOW_NORMAL"
                         : c == NORMAL_PRIORITY_CLASS       ? "NORMAL"
                         : c == ABOVE_NORMAL_PRIORITY_CLASS ? "ABOVE_NORMAL"
                         : c == HIGH_PRIORITY_CLASS         ? "HIGH"
                         : c == REALTIME_PRIORITY_CLASS     ? "REALTIME"
                                                            : NULL;
      if (name)
        printf ("class=%s\n", name);
      else
        printf ("class=%#lx\n", (unsigned long) c);
      return 0;
    }
  if (strcmp (sub, "error-mode") == 0)
    {
      printf ("errormode=%#x\n", (unsigned int) GetErrorMode ());
      return 0;
    }
  if (strcmp (sub, "console") == 0)
    {
      printf ("console=%s\n", GetConsoleCP () != 0 ? "yes" : "no");
      return 0;
    }
  return -1;
}
