/* common.c: helpers shared by the test programs (see common.h).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <fcntl.h>
#include <time.h>

#ifdef _WIN32
# include <direct.h>
# include <io.h>
# include <wchar.h>
# include <windows.h>
# include <tlhelp32.h>
#else
# include <dirent.h>
# include <poll.h>
# include <signal.h>
# include <sys/resource.h>
# include <sys/wait.h>
# include <unistd.h>
#endif

#include "backend.h"
#include "common.h"

char *test_tmpdir;

/* What a test process holds, for the leak accounting (common.h).  */
typedef struct account
{
  int fds;           /* open descriptors */
  long handles;      /* Windows: open handles; elsewhere 0 */
  long children;     /* Windows: processes started by this one that still
                        run; elsewhere 0 (POSIX asks waitid instead) */
} account_t;

#ifdef _WIN32
/* The processes this one started that are still there.  */
static long
count_children (void)
{
  HANDLE snap = CreateToolhelp32Snapshot (TH32CS_SNAPPROCESS, 0);
  DWORD self = GetCurrentProcessId ();
  PROCESSENTRY32W pe;
  long n = 0;

  if (snap == INVALID_HANDLE_VALUE)
    return -1;
  pe.dwSize = sizeof pe;
  if (Process32FirstW (snap, &pe))
    do
      if (pe.th32ParentProcessID == self && pe.th32ProcessID != self)
        n++;
    while (Process32NextW (snap, &pe));
  CloseHandle (snap);
  return n;
}
#endif

static void
account_take (account_t *a)
{
  a->fds = test_count_open_fds ();
#ifdef _WIN32
  {
    DWORD handles = 0;

    GetProcessHandleCount (GetCurrentProcess (), &handles);
    a->handles = (long) handles;
  }
  a->children = count_children ();
#else
  a->handles = 0;
  a->children = 0;
#endif
}

/* Compare what the process holds now with BEFORE; describe the first
   difference in WHY (of SIZE bytes) and return false, or return true.
   No child may be left at all, running or not (POSIX).  */
static bool
account_same (const account_t *before, char *why, size_t size)
{
  account_t now;

  account_take (&now);
  if (now.fds != before->fds)
    {
      snprintf (why, size, "open descriptors: %d at the start, %d at the end",
                before->fds, now.fds);
      return false;
    }
  if (now.handles != before->handles)
    {
      snprintf (why, size, "open handles: %ld at the start, %ld at the end",
                before->handles, now.handles);
      return false;
    }
  if (now.children != before->children)
    {
      snprintf (why, size,
                "child processes: %ld at the start, %ld at the end",
                before->children, now.children);
      return false;
    }
#ifndef _WIN32
  {
    siginfo_t si;
    int r;

    /* WNOWAIT: a child is reported, not reaped.  */
    memset (&si, 0, sizeof si);
    r = waitid (P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT);
    if (r == 0 && si.si_pid != 0)
      {
        snprintf (why, size, "child %ld has ended but was never reaped",
                  (long) si.si_pid);
        return false;
      }
    if (r == 0)
      {
        snprintf (why, size, "a child process is still running");
        return false;
      }
    if (r != 0 && errno != ECHILD)
      {
        snprintf (why, size, "waitid: %s", strerror (errno));
        return false;
      }
  }
#endif
  return true;
}

static account_t case_account;
static bool case_account_taken;

void
test_account_begin (void)
{
  account_take (&case_account);
  case_account_taken = true;
}

void
test_account_end (void)
{
  char why[256];

  ck_assert_msg (case_account_taken, "test_account_begin was not called");
  case_account_taken = false;
  ck_assert_msg (account_same (&case_account, why, sizeof why),
                 "left behind by the test: %s", why);
}

int
sp_test_main (Suite *(*make_suite) (void))
{
  account_t start;
  SRunner *runner;
  char why[256];
  int failed;

  account_take (&start);
  runner = srunner_create (make_suite ());
  srunner_run_all (runner, CK_ENV);
  failed = srunner_ntests_failed (runner);
  srunner_free (runner);
  fflush (stdout);
  if (!account_same (&start, why, sizeof why))
    {
      fprintf (stderr, "left behind by the test program: %s\n", why);
      failed++;
    }
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

static const char *
env_or_fail (const char *name)
{
  const char *value = getenv (name);

  ck_assert_msg (value != NULL && *value != '\0',
                 "%s is not set (make check sets it)", name);
  return value;
}

const char *
test_helper (void)
{
  return env_or_fail ("SUBPROC_TEST_HELPER");
}

const char *
test_srcdir (void)
{
  return env_or_fail ("SUBPROC_TEST_SRCDIR");
}

static char *
concat3 (const char *a, const char *b, const char *c)
{
  size_t la = strlen (a), lb = strlen (b), lc = strlen (c);
  char *s = malloc (la + lb + lc + 1);

  ck_assert_ptr_nonnull (s);
  memcpy (s, a, la);
  memcpy (s + la, b, lb);
  memcpy (s + la + lb, c, lc + 1);
  return s;
}

/* ------------------------------------------------------------------ */
/* File system primitives, UTF-8 paths on both platforms.             */

#ifdef _WIN32

/* PATH (UTF-8) as UTF-16, newly allocated.  */
static wchar_t *
wide (const char *path)
{
  int n = MultiByteToWideChar (CP_UTF8, MB_ERR_INVALID_CHARS, path, -1,
                               NULL, 0);
  wchar_t *w;

  ck_assert_msg (n > 0, "invalid UTF-8 in path %s", path);
  w = malloc ((size_t) n * sizeof *w);
  ck_assert_ptr_nonnull (w);
  MultiByteToWideChar (CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, w, n);
  return w;
}

/* W (UTF-16) as UTF-8, newly allocated.  */
static char *
narrow (const wchar_t *w)
{
  int n = WideCharToMultiByte (CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
  char *s;

  ck_assert_int_gt (n, 0);
  s = malloc ((size_t) n);
  ck_assert_ptr_nonnull (s);
  WideCharToMultiByte (CP_UTF8, 0, w, -1, s, n, NULL, NULL);
  return s;
}

static FILE *
open_file (const char *path, bool writing)
{
  wchar_t *w = wide (path);
  FILE *f = _wfopen (w, writing ? L"wb" : L"rb");

  free (w);
  return f;
}

static int
make_dir (const char *path)
{
  wchar_t *w = wide (path);
  int r = _wmkdir (w);

  free (w);
  return r;
}

/* Remove PATH, a file or a directory with everything in it.  */
static int
remove_tree (const char *path)
{
  wchar_t *w = wide (path);
  DWORD attrs = GetFileAttributesW (w);
  int r = 0;

  if (attrs == INVALID_FILE_ATTRIBUTES)
    r = -1;
  else if (attrs & FILE_ATTRIBUTE_DIRECTORY)
    {
      char *pattern = concat3 (path, "\\", "*");
      wchar_t *wpattern = wide (pattern);
      WIN32_FIND_DATAW fd;
      HANDLE h = FindFirstFileW (wpattern, &fd);

      free (wpattern);
      free (pattern);
      if (h != INVALID_HANDLE_VALUE)
        {
          do
            {
              char *name, *child;

              if (wcscmp (fd.cFileName, L".") == 0
                  || wcscmp (fd.cFileName, L"..") == 0)
                continue;
              name = narrow (fd.cFileName);
              child = concat3 (path, "\\", name);
              if (remove_tree (child) != 0)
                r = -1;
              free (child);
              free (name);
            }
          while (FindNextFileW (h, &fd));
          FindClose (h);
        }
      if (!RemoveDirectoryW (w))
        r = -1;
    }
  else
    {
      if (attrs & FILE_ATTRIBUTE_READONLY)
        SetFileAttributesW (w, attrs & ~(DWORD) FILE_ATTRIBUTE_READONLY);
      if (!DeleteFileW (w))
        r = -1;
    }
  free (w);
  return r;
}

#else /* !_WIN32 */

static FILE *
open_file (const char *path, bool writing)
{
  return fopen (path, writing ? "w" : "r");
}

/* Remove PATH, a file or a directory with everything in it (symbolic
   links are removed, not followed).  */
static int
remove_tree (const char *path)
{
  struct stat st;
  DIR *dir;
  struct dirent *e;
  int r = 0;

  if (lstat (path, &st) != 0)
    return -1;
  if (!S_ISDIR (st.st_mode))
    return unlink (path);

  /* A test may leave a directory without search permission.  */
  if ((st.st_mode & S_IRWXU) != S_IRWXU)
    chmod (path, st.st_mode | S_IRWXU);
  dir = opendir (path);
  if (dir == NULL)
    return -1;
  while ((e = readdir (dir)) != NULL)
    {
      char *child;

      if (strcmp (e->d_name, ".") == 0 || strcmp (e->d_name, "..") == 0)
        continue;
      child = concat3 (path, "/", e->d_name);
      if (remove_tree (child) != 0)
        r = -1;
      free (child);
    }
  closedir (dir);
  if (rmdir (path) != 0)
    r = -1;
  return r;
}

#endif /* !_WIN32 */

/* ------------------------------------------------------------------ */
/* Temporary directory fixture                                        */

void
test_tmpdir_setup (void)
{
#ifdef _WIN32
  wchar_t wbase[MAX_PATH + 1];
  DWORD n = GetTempPathW (MAX_PATH + 1, wbase);
  char *base;
  unsigned int i;

  ck_assert_msg (n > 0 && n <= MAX_PATH, "GetTempPath failed: %lu",
                 (unsigned long) GetLastError ());
  /* GetTempPath ends with a backslash.  */
  wbase[n - 1] = L'\0';
  base = narrow (wbase);
  for (i = 0; i < 1000; i++)
    {
      char name[64];

      snprintf (name, sizeof name, "libsubproc-test-%lu-%u",
                (unsigned long) GetCurrentProcessId (), i);
      test_tmpdir = concat3 (base, "\\", name);
      if (make_dir (test_tmpdir) == 0)
        break;
      ck_assert_msg (errno == EEXIST, "cannot create %s: %s", test_tmpdir,
                     strerror (errno));
      free (test_tmpdir);
      test_tmpdir = NULL;
    }
  free (base);
  ck_assert_msg (test_tmpdir != NULL, "no free temporary directory name");
#else
  const char *base = getenv ("TMPDIR");

  if (base == NULL || *base != '/')
    base = "/tmp";
  test_tmpdir = concat3 (base, "/", "libsubproc-test.XXXXXX");
  ck_assert_msg (mkdtemp (test_tmpdir) != NULL, "mkdtemp %s: %s",
                 test_tmpdir, strerror (errno));
#endif
}

void
test_tmpdir_teardown (void)
{
  char *dir = test_tmpdir;

  if (dir == NULL)
    return;
  test_tmpdir = NULL;
  ck_assert_msg (remove_tree (dir) == 0, "cannot remove %s entirely: %s",
                 dir, strerror (errno));
  free (dir);
}

char *
test_tmp_path (const char *name)
{
  ck_assert_msg (test_tmpdir != NULL, "no temporary directory (fixture)");
#ifdef _WIN32
  return concat3 (test_tmpdir, "\\", name);
#else
  return concat3 (test_tmpdir, "/", name);
#endif
}

char *
test_garbage_program (void)
{
#ifdef _WIN32
  char *path = test_tmp_path ("garbage.exe");
#else
  char *path = test_tmp_path ("garbage");
#endif
  test_write_file (path, "\x01\x02 not a program\n", 17);
#ifndef _WIN32
  ck_assert_int_eq (chmod (path, 0755), 0);
#endif
  return path;
}

/* ------------------------------------------------------------------ */
/* Files                                                              */

bool
test_fd_is_open (int fd)
{
#ifdef _WIN32
  return _get_osfhandle (fd) != (intptr_t) -1;
#else
  return fcntl (fd, F_GETFD) >= 0;
#endif
}

char *
test_read_fd (int fd)
{
  size_t len = 0, size = 4096;
  char *s = malloc (size);
  ck_assert_ptr_nonnull (s);
  for (;;)
    {
      if (len + 1 == size)
        {
          size *= 2;
          s = realloc (s, size);
          ck_assert_ptr_nonnull (s);
        }
      int n = (int) read (fd, s + len, (unsigned int) (size - len - 1));
      if (n < 0 && errno == EINTR)
        continue;
      ck_assert_msg (n >= 0, "read: %s", strerror (errno));
      if (n == 0)
        break;
      len += (size_t) n;
    }
  s[len] = '\0';
  return s;
}

bool
test_read_line (int fd, char *buf, size_t size)
{
  size_t n = 0;
  while (n + 1 < size)
    {
      int r = (int) read (fd, buf + n, 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      if (buf[n++] == '\n')
        break;
    }
  buf[n] = '\0';
  return n > 0;
}

char *
test_read_file (const char *path, size_t *len)
{
  FILE *f = open_file (path, false);
  char *data = NULL;
  size_t used = 0, size = 0;

  ck_assert_msg (f != NULL, "cannot open %s: %s", path, strerror (errno));
  for (;;)
    {
      size_t got;

      if (size - used < 4096)
        {
          size = size == 0 ? 8192 : size * 2;
          data = realloc (data, size);
          ck_assert_ptr_nonnull (data);
        }
      got = fread (data + used, 1, size - used - 1, f);
      used += got;
      if (got == 0)
        break;
    }
  ck_assert_msg (!ferror (f), "cannot read %s", path);
  fclose (f);
  data[used] = '\0';
  if (len != NULL)
    *len = used;
  return data;
}

void
test_write_file (const char *path, const void *data, size_t len)
{
  FILE *f = open_file (path, true);

  ck_assert_msg (f != NULL, "cannot create %s: %s", path, strerror (errno));
  ck_assert_msg (fwrite (data, 1, len, f) == len, "cannot write %s: %s",
                 path, strerror (errno));
  ck_assert_msg (fclose (f) == 0, "cannot write %s: %s", path,
                 strerror (errno));
}

int
test_open_write (const char *path)
{
#ifdef _WIN32
  wchar_t *w = wide (path);
  int fd = _wopen (w, _O_WRONLY | _O_CREAT | _O_TRUNC | _O_BINARY,
                   _S_IREAD | _S_IWRITE);

  free (w);
#else
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
#endif
  ck_assert_msg (fd >= 0, "cannot create %s: %s", path, strerror (errno));
  return fd;
}

void
test_close (int fd)
{
  ck_assert_msg (close (fd) == 0, "close %d: %s", fd, strerror (errno));
}

/* ------------------------------------------------------------------ */
/* Environment, time and processes                                    */

void
test_setenv (const char *name, const char *value)
{
#ifdef _WIN32
  ck_assert_msg (_putenv_s (name, value) == 0, "cannot set %s", name);
#else
  ck_assert_msg (setenv (name, value, 1) == 0, "cannot set %s: %s", name,
                 strerror (errno));
#endif
}

void
test_unsetenv (const char *name)
{
#ifdef _WIN32
  /* An empty value removes the variable.  */
  ck_assert_msg (_putenv_s (name, "") == 0, "cannot unset %s", name);
#else
  ck_assert_msg (unsetenv (name) == 0, "cannot unset %s: %s", name,
                 strerror (errno));
#endif
}

int64_t
test_now_ms (void)
{
#ifdef _WIN32
  /* GetTickCount64 moves in steps of 10 to 16 ms.  */
  LARGE_INTEGER freq, now;

  QueryPerformanceFrequency (&freq);
  QueryPerformanceCounter (&now);
  return (int64_t) (now.QuadPart / (freq.QuadPart / 1000));
#else
  struct timespec ts;

  ck_assert_int_eq (clock_gettime (CLOCK_MONOTONIC, &ts), 0);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
#endif
}

void
test_sleep_ms (unsigned int ms)
{
#ifdef _WIN32
  Sleep (ms);
#else
  struct timespec ts = { (time_t) (ms / 1000),
                         (long) (ms % 1000) * 1000000 };

  while (nanosleep (&ts, &ts) != 0 && errno == EINTR)
    continue;
#endif
}

void
test_kill_pid (long pid)
{
#ifdef _WIN32
  HANDLE h = OpenProcess (PROCESS_TERMINATE, FALSE, (DWORD) pid);

  if (h != NULL)
    {
      TerminateProcess (h, 9);
      CloseHandle (h);
    }
#else
  ck_assert_int_gt (pid, 0);
  kill ((pid_t) pid, SIGKILL);
#endif
}

/* ------------------------------------------------------------------ */
/* Leak accounting                                                    */

#ifdef _WIN32

/* msvcrt may treat a bad descriptor as an invalid parameter and end the
   process; while counting, a bad descriptor is just not counted.  */
static void __cdecl
ignore_invalid_parameter (const wchar_t *expression, const wchar_t *function,
                          const wchar_t *file, unsigned int line,
                          uintptr_t reserved)
{
  (void) expression;
  (void) function;
  (void) file;
  (void) line;
  (void) reserved;
}

int
test_count_open_fds (void)
{
  _invalid_parameter_handler old
    = _set_invalid_parameter_handler (ignore_invalid_parameter);
  int fd, count = 0;

  for (fd = 0; fd < 2048; fd++)
    if (_get_osfhandle (fd) != (intptr_t) INVALID_HANDLE_VALUE)
      count++;
  _set_invalid_parameter_handler (old);
  return count;
}

#else /* !_WIN32 */

int
test_count_open_fds (void)
{
  DIR *dir = opendir ("/proc/self/fd");
  int count = 0;

  if (dir != NULL)
    {
      int self = dirfd (dir);
      struct dirent *e;

      while ((e = readdir (dir)) != NULL)
        if (e->d_name[0] != '.' && atoi (e->d_name) != self)
          count++;
      closedir (dir);
    }
  else
    {
      int fd;

      for (fd = 0; fd < 4096; fd++)
        if (fcntl (fd, F_GETFD) != -1)
          count++;
    }
  return count;
}

#endif /* !_WIN32 */

bool
test_under_valgrind (void)
{
  const char *v = getenv ("SUBPROC_TEST_VALGRIND");
  return v != NULL && *v != '\0';
}

bool
test_skip_under_valgrind (const char *why)
{
  if (!test_under_valgrind ())
    return false;
  printf ("skipped under valgrind: %s\n", why);
  fflush (stdout);
  return true;
}

/* ------------------------------------------------------------------ */
/* Commands that run the helper child.  */

int
test_noop_hook (void *opaque)
{
  (void) opaque;
  return 0;
}

static subproc_t *
helper_va (int path, const char *sub, va_list ap)
{
  subproc_t *cmd = subproc_new_arg_list (test_helper (), sub, NULL);
  const char *arg;
  while ((arg = va_arg (ap, const char *)) != NULL)
    subproc_add_arg (cmd, arg);
  if (path == 1)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  return cmd;
}

subproc_t *
test_helper_cmd (const char *sub, ...)
{
  va_list ap;
  va_start (ap, sub);
  subproc_t *cmd = helper_va (0, sub, ap);
  va_end (ap);
  return cmd;
}

subproc_t *
test_via_va_list (const char *bin, ...)
{
  va_list ap;
  va_start (ap, bin);
  subproc_t *cmd = subproc_new_va_list (bin, ap);
  va_end (ap);
  return cmd;
}

subproc_t *
test_helper_on (int path, const char *sub, ...)
{
  va_list ap;
  va_start (ap, sub);
  subproc_t *cmd = helper_va (path, sub, ap);
  va_end (ap);
  return cmd;
}

void
test_run_ok (subproc_t *cmd)
{
  ck_assert_msg (subproc_run (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
}

#ifndef _WIN32
bool
test_pid_ends_within (long pid, int ms)
{
  int64_t end = test_now_ms () + ms;
  do
    {
      if (kill ((pid_t) pid, 0) < 0 && errno == ESRCH)
        return true;
      /* A zombie whose parent is gone: PID 1 of a container may never
         reap it, but it has ended.  */
      char path[64], stat[512] = "";
      snprintf (path, sizeof path, "/proc/%ld/stat", pid);
      FILE *f = fopen (path, "r");
      if (f)
        {
          size_t n = fread (stat, 1, sizeof stat - 1, f);
          stat[n] = '\0';
          fclose (f);
          const char *paren = strrchr (stat, ')');
          if (paren && paren[1] == ' ' && paren[2] == 'Z')
            return true;
        }
      test_sleep_ms (10);
    }
  while (test_now_ms () < end);
  return false;
}
#endif

/* ------------------------------------------------------------------ */
/* Many children and sinks                                            */

unsigned char
test_index_byte (unsigned long index, int stream, unsigned long long off)
{
  return (unsigned char) (off * 7 + index * 13 + (unsigned long) stream * 101
                          + (off >> 8) * (index + 1));
}

long
test_fd_room (long want)
{
#ifdef _WIN32
  return want;
#else
  struct rlimit rl;

  ck_assert_int_eq (getrlimit (RLIMIT_NOFILE, &rl), 0);
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < (rlim_t) want)
    {
      rlim_t old = rl.rlim_cur;

      rl.rlim_cur = rl.rlim_max == RLIM_INFINITY
                        || rl.rlim_max >= (rlim_t) want
                      ? (rlim_t) want
                      : rl.rlim_max;
      if (setrlimit (RLIMIT_NOFILE, &rl) != 0)
        rl.rlim_cur = old;
    }
  return rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= (rlim_t) want
           ? want
           : (long) rl.rlim_cur;
#endif
}

long
test_advance_until_over (subproc_t *cmd)
{
  enum { MAX = 64 };
  subproc_watch_t w[MAX];
  long rounds = 0;

  for (;;)
    {
      int tmo = -2, r;
      int n = subproc_get_watches (cmd, w, MAX, &tmo);

      ck_assert_msg (n >= 0 && n <= MAX, "subproc_get_watches gave %d: %s",
                     n, subproc_last_error () ? subproc_last_error ()->message
                                              : "");
      ck_assert_msg (tmo >= -1, "subproc_get_watches: timeout %d", tmo);
      ck_assert_msg (n > 0 || tmo >= 0,
                     "nothing to watch and no time limit: a loop would hang");
#ifdef _WIN32
      {
        HANDLE h[MAX];
        DWORD got;

        for (int i = 0; i < n; i++)
          h[i] = w[i].handle;
        if (n == 0)
          Sleep ((DWORD) tmo);
        else
          {
            got = WaitForMultipleObjects ((DWORD) n, h, FALSE,
                                          tmo < 0 ? 120000 : (DWORD) tmo);
            ck_assert_msg (got != WAIT_FAILED,
                           "WaitForMultipleObjects: error %lu",
                           (unsigned long) GetLastError ());
            ck_assert_msg (got != WAIT_TIMEOUT || tmo >= 0,
                           "no watch was ready for two minutes");
          }
      }
#else
      {
        struct pollfd p[MAX];

        for (int i = 0; i < n; i++)
          {
            p[i].fd = w[i].handle;
            p[i].events
              = (short) ((w[i].events & SUBPROC_WATCH_READ ? POLLIN : 0)
                         | (w[i].events & SUBPROC_WATCH_WRITE ? POLLOUT : 0));
            p[i].revents = 0;
          }
        do
          r = poll (p, (nfds_t) n, tmo);
        while (r < 0 && errno == EINTR);
        ck_assert_msg (r >= 0, "poll: %s", strerror (errno));
        for (int i = 0; i < n; i++)
          ck_assert_msg (!(p[i].revents & POLLNVAL), "watch %d is not open",
                         i);
      }
#endif
      rounds++;
      r = subproc_advance (cmd);
      ck_assert_msg (r == 0 || r == 1, "subproc_advance gave %d: %s", r,
                     subproc_last_error () ? subproc_last_error ()->message
                                           : "");
      if (r == 1)
        return rounds;
    }
}

void
test_sink_init (test_sink_t *s, int stream, bool lines)
{
  memset (s, 0, sizeof *s);
  s->stream = stream;
  s->lines = lines;
}

static void
sink_fail (test_sink_t *s, const char *what)
{
  if (s->failure[0] == '\0')
    snprintf (s->failure, sizeof s->failure,
              "sink of stream %d, call %zu (%zu bytes before it): %s",
              s->stream, s->calls, s->len, what);
}

int
test_sink_func (void *opaque, int stream, const char *data, size_t len)
{
  test_sink_t *s = opaque;

  if (stream != s->stream)
    sink_fail (s, "called with the other stream");
  if (data == NULL && len > 0)
    sink_fail (s, "no data");
  if (s->lines)
    {
      if (len == 0)
        sink_fail (s, "an empty call in line mode");
      else if (len > SUBPROC_SINK_LINE_MAX)
        sink_fail (s, "more than SUBPROC_SINK_LINE_MAX bytes in one call");
      else if (memchr (data, '\n', len - 1) != NULL)
        sink_fail (s, "more than one line in one call");
      if (s->unterminated)
        sink_fail (s, "a call after the unterminated last line");
      if (len > 0 && data[len - 1] != '\n' && len < SUBPROC_SINK_LINE_MAX)
        s->unterminated = true;
    }
  if (s->calls == s->pieces_size)
    {
      size_t n = s->pieces_size ? 2 * s->pieces_size : 64;
      size_t *p = realloc (s->pieces, n * sizeof *p);

      if (p == NULL)
        {
          sink_fail (s, "out of memory in the test");
          return 0;
        }
      s->pieces = p;
      s->pieces_size = n;
    }
  if (s->size - s->len < len + 1)
    {
      size_t n = s->size ? s->size : 4096;
      char *p;

      while (n - s->len < len + 1)
        n *= 2;
      p = realloc (s->data, n);
      if (p == NULL)
        {
          sink_fail (s, "out of memory in the test");
          return 0;
        }
      s->data = p;
      s->size = n;
    }
  if (len > 0)
    memcpy (s->data + s->len, data, len);
  s->len += len;
  s->data[s->len] = '\0';
  s->pieces[s->calls++] = len;
  return 0;
}

void
test_sink_check (const test_sink_t *s)
{
  ck_assert_msg (s->failure[0] == '\0', "%s", s->failure);
}

void
test_sink_free (test_sink_t *s)
{
  free (s->data);
  free (s->pieces);
  test_sink_init (s, s->stream, s->lines);
}

void
test_assert_error (subproc_t *cmd, int code)
{
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_ptr_nonnull (err);
  ck_assert_msg (err->code == code, "error %s (%s), not %s",
                 subproc_error_name (err->code), err->message,
                 subproc_error_name (code));
}

static int observed[TEST_OBSERVED_MAX];
static int n_observed;

static void
observe_signal (long id, int sig)
{
  (void) id;
  int i = __atomic_fetch_add (&n_observed, 1, __ATOMIC_ACQ_REL);
  if (i < TEST_OBSERVED_MAX)
    __atomic_store_n (&observed[i], sig, __ATOMIC_RELEASE);
}

void
test_observe_begin (void)
{
  __atomic_store_n (&n_observed, 0, __ATOMIC_RELEASE);
  sp_backend_signal_observer (observe_signal);
}

int
test_observe_end (void)
{
  sp_backend_signal_observer (NULL);
  return __atomic_load_n (&n_observed, __ATOMIC_ACQUIRE);
}

int
test_observed (int i)
{
  ck_assert_int_lt (i, TEST_OBSERVED_MAX);
  return __atomic_load_n (&observed[i], __ATOMIC_ACQUIRE);
}

char *
test_run_output (subproc_t *cmd, size_t *len)
{
  char *out = NULL;
  size_t n = 0;
  subproc_set_output_bytes (cmd, &out, &n);
  ck_assert_msg (subproc_run (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
  subproc_free (cmd);
  if (len)
    *len = n;
  return out;
}
