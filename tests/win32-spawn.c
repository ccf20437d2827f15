/* win32-spawn.c: what the Win32 backend promises beyond the common suites:
 * batch files without BatBadBut, exact handle inheritance, job trees,
 * UTF-8 everywhere, PATH/PATHEXT lookup, daemons and unsupported options.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include "common.h"
#include "subproc.h"
#include "../src/win32/win32.h"

/* Run CMD, which must succeed; its error message otherwise.  */
#define RUN_OK(cmd, status)                                                 \
  ck_assert_msg (subproc_run ((cmd), (status)) == 0, "%s",                  \
                 subproc_get_error (cmd)->message)

static char *
copy_helper (const char *name)
{
  char *path = test_tmp_path (name);
  size_t len;
  char *data = test_read_file (test_helper (), &len);
  test_write_file (path, data, len);
  free (data);
  return path;
}

/* Has process PID ended (within MS milliseconds)?  */
static bool
pid_gone (long pid, DWORD ms)
{
  HANDLE h = OpenProcess (SYNCHRONIZE, FALSE, (DWORD) pid);
  if (h == NULL)
    return true;
  DWORD r = WaitForSingleObject (h, ms);
  CloseHandle (h);
  return r == WAIT_OBJECT_0;
}

/* ------------------------------------------------------------------ */
/* Batch files.  */

/* A batch file t.bat of TEXT in a new directory DIR_NAME; the helper is
   %SUBPROC_BATCH_HELPER% there.  */
static char *
make_batch_of (const char *dir_name, const char *text)
{
  char *dir = test_tmp_path (dir_name);
  ck_assert_int_eq (CreateDirectoryA (dir, NULL), 1);
  char *bat = malloc (strlen (dir) + 16);
  strcpy (bat, dir);
  strcat (bat, "\\t.bat");
  test_write_file (bat, text, strlen (text));
  test_setenv ("SUBPROC_BATCH_HELPER", test_helper ());
  free (dir);
  return bat;
}

/* A batch file that hands %* to the helper's argv (which splits with the
   C runtime's rules) and shows %1 on stderr.  */
static char *
make_batch (const char *dir_name)
{
  return make_batch_of (dir_name, "@echo off\r\n"
                                  "\"%SUBPROC_BATCH_HELPER%\" argv %*\r\n"
                                  "echo [%1]>&2\r\n"
                                  "exit /b 7\r\n");
}

START_TEST (test_batch_args_intact)
{
  /* Each would run a command, redirect, or expand, if cmd.exe saw it
     unquoted.  */
  static const char *const args[] = {
    "a&b", "c|d", "<in", ">out", "^caret", "a b", "(x)", "!PATH!",
    "semi;colon", "eq=al", "comma,x", "plain", "", "&calc.exe", "x^&y",
    "*?", "@$#", "a\tb", NULL
  };
  char *bat = make_batch ("b dir & (x)");
  char *out = NULL, *err = NULL;
  size_t len;
  int status = -1;
  subproc_t *cmd = subproc_new (bat);
  subproc_add_arg_set (cmd, args);
  subproc_set_output_bytes (cmd, &out, &len);
  subproc_set_error_buffer (cmd, &err);
  RUN_OK (cmd, &status);
  ck_assert_int_eq (status, 7);
  size_t off = 0;
  for (size_t i = 0; args[i]; i++)
    {
      ck_assert_msg (off < len && strcmp (out + off, args[i]) == 0,
                     "argument %zu: sent [%s], got [%s]", i, args[i],
                     off < len ? out + off : "(nothing)");
      off += strlen (args[i]) + 1;
    }
  ck_assert_uint_eq (off, len);
  ck_assert_str_eq (err, "[\"a&b\"]\r\n");
  free (out);
  free (err);
  subproc_free (cmd);
  free (bat);
}
END_TEST

START_TEST (test_batch_unsafe_args_refused)
{
  static const char *const bad[] = {
    "50%", "%PATH%", "\"", "a\"&calc\"", "a\nb", "x\ry", "\x1a", NULL
  };
  char *bat = make_batch ("bdir");
  for (size_t i = 0; bad[i]; i++)
    {
      subproc_t *cmd = subproc_new_arg_list (bat, "ok", bad[i], NULL);
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      const subproc_error_t *err = subproc_get_error (cmd);
      ck_assert_int_eq (err->code, SUBPROC_ERR_INVALID);
      subproc_free (cmd);
    }
  free (bat);
}
END_TEST

START_TEST (test_batch_trailing_backslash)
{
  /* A batch file that passes its argument on the usual ways: "%~1", %1
     and %*.  Each must give the helper's C runtime the argument itself,
     which a trailing backslash escaping the closing quote of "%~1" would
     break.  %~1 itself holds the trailing backslashes doubled.  */
  static const char *const args[] = {
    "C:\\dir\\", "C:\\my dir\\", "\\", "a\\\\", "\\\\server\\share\\",
    NULL
  };
  static const char *const in_batch[] = {
    "C:\\dir\\\\", "C:\\my dir\\\\", "\\\\", "a\\\\\\\\",
    "\\\\server\\share\\\\", NULL
  };
  char *bat = make_batch_of ("tb", "@echo off\r\n"
                                   "echo [%~1]>&2\r\n"
                                   "\"%SUBPROC_BATCH_HELPER%\" argv \"%~1\" "
                                   "%1 %*\r\n"
                                   "exit /b 7\r\n");
  for (size_t i = 0; args[i]; i++)
    {
      char *out = NULL, *err = NULL;
      size_t len = 0;
      int status = -1;
      subproc_t *cmd = subproc_new_arg_list (bat, args[i], NULL);
      subproc_set_output_bytes (cmd, &out, &len);
      subproc_set_error_buffer (cmd, &err);
      RUN_OK (cmd, &status);
      ck_assert_int_eq (status, 7);
      size_t n = strlen (args[i]) + 1;
      ck_assert_msg (len == 3 * n && strcmp (out, args[i]) == 0
                       && strcmp (out + n, args[i]) == 0
                       && strcmp (out + 2 * n, args[i]) == 0,
                     "sent [%s], the helper got %zu bytes: [%s]", args[i],
                     len, out);
      char want[64];
      snprintf (want, sizeof want, "[%s]\r\n", in_batch[i]);
      ck_assert_str_eq (err, want);
      free (out);
      free (err);
      subproc_free (cmd);
    }
  free (bat);
}
END_TEST

START_TEST (test_batch_found_through_path)
{
  char *bat = make_batch ("pdir");
  char *dir = test_tmp_path ("pdir");
  const char *old = getenv ("PATH");
  char *saved = strdup (old ? old : "");
  char *path = malloc (strlen (dir) + strlen (saved) + 2);
  strcpy (path, dir);
  strcat (path, ";");
  strcat (path, saved);
  test_setenv ("PATH", path);

  char *out = NULL;
  int status = -1;
  subproc_t *cmd = subproc_new_arg_list ("t", "x&y", NULL);
  subproc_set_output_buffer (cmd, &out);
  int r = subproc_run (cmd, &status);
  test_setenv ("PATH", saved);
  ck_assert_msg (r == 0, "%s", subproc_get_error (cmd)->message);
  ck_assert_int_eq (status, 7);
  ck_assert_str_eq (out, "x&y");
  free (out);
  subproc_free (cmd);
  free (path);
  free (saved);
  free (dir);
  free (bat);
}
END_TEST

START_TEST (test_batch_names)
{
  ck_assert (sp_win32_is_batch ("C:\\x\\a.BAT"));
  ck_assert (sp_win32_is_batch ("a.cmd"));
  /* Windows strips trailing dots and spaces: still a batch file
     (CVE-2024-43402).  */
  ck_assert (sp_win32_is_batch ("a.bat."));
  ck_assert (sp_win32_is_batch ("a.cmd . ."));
  ck_assert (!sp_win32_is_batch ("a.exe"));
  ck_assert (!sp_win32_is_batch ("bat"));
  ck_assert (!sp_win32_is_batch ("a.batx"));

  /* Alternate data streams are refused outright.  */
  subproc_t *cmd = subproc_new ("C:\\x\\a.bat::$DATA");
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_INVALID);
  subproc_free (cmd);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Handles.  */

START_TEST (test_unpassed_handle_not_inherited)
{
  /* An inheritable handle, numbered above anything the child has of its
     own (inherited handles keep their value).  */
  SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
  HANDLE ev = CreateEventA (&sa, TRUE, FALSE, NULL);
  HANDLE dups[2000];
  for (int i = 0; i < 2000; i++)
    ck_assert (DuplicateHandle (GetCurrentProcess (), ev,
                                GetCurrentProcess (), &dups[i], 0, TRUE,
                                DUPLICATE_SAME_ACCESS));
  char hex[32];
  snprintf (hex, sizeof hex, "0x%llx",
            (unsigned long long) (uintptr_t) dups[1999]);

  char *out = NULL;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "handles", hex,
                                         NULL);
  subproc_set_output_buffer (cmd, &out);
  RUN_OK (cmd, NULL);
  char want[64];
  snprintf (want, sizeof want, "%s=invalid", hex);
  ck_assert_msg (strstr (out, want) != NULL, "%s", out);
  /* Nothing but 0, 1 and 2.  */
  ck_assert_ptr_null (strstr (out, "fd=3 "));
  free (out);
  subproc_free (cmd);
  for (int i = 0; i < 2000; i++)
    CloseHandle (dups[i]);
  CloseHandle (ev);
}
END_TEST

START_TEST (test_passed_fd_keeps_number)
{
  int p[2];
  ck_assert_int_eq (_pipe (p, 4096, _O_BINARY | _O_NOINHERIT), 0);
  ck_assert_int_eq (_dup2 (p[1], 41), 0);
  _close (p[1]);

  char *out = NULL;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "handles", NULL);
  subproc_pass_fd (cmd, 41, 0);
  subproc_set_output_buffer (cmd, &out);
  RUN_OK (cmd, NULL);
  ck_assert_msg (strstr (out, "fd=41 ") != NULL, "%s", out);
  free (out);
  subproc_free (cmd);

  cmd = subproc_new_arg_list (test_helper (), "fd-write", "41", "hello",
                              NULL);
  subproc_pass_fd (cmd, 41, SUBPROC_PASS_FD_CLOSE_PARENT);
  RUN_OK (cmd, NULL);
  subproc_free (cmd);
  char buf[16] = { 0 };
  ck_assert_int_eq (_read (p[0], buf, sizeof buf - 1), 5);
  ck_assert_str_eq (buf, "hello");
  /* The only writer was closed: end of file.  */
  ck_assert_int_eq (_read (p[0], buf, sizeof buf - 1), 0);
  _close (p[0]);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Jobs.  */

/* Start the helper's "tree N" and read the N grandchildren's pids.  */
static subproc_t *
start_tree (int n, long *pids, unsigned int timeout_ms)
{
  char num[8];
  snprintf (num, sizeof num, "%d", n);
  int fd = -1;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "tree", num, NULL);
  subproc_set_output_fd (cmd, &fd);
  if (timeout_ms)
    {
      subproc_new_process_group (cmd);
      subproc_set_timeout (cmd, timeout_ms);
    }
  ck_assert_msg (subproc_run_async (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
  char buf[256];
  int len = 0, got = 0;
  int64_t start = test_now_ms ();
  while (got < n && test_now_ms () - start < 10000)
    {
      int r = _read (fd, buf + len, (unsigned int) (sizeof buf - 1 - len));
      if (r <= 0)
        break;
      len += r;
      buf[len] = '\0';
      got = 0;
      for (char *p = buf; got < n;)
        {
          char *nl = strchr (p, '\n');
          if (nl == NULL)
            break;
          pids[got++] = atol (p);
          p = nl + 1;
        }
    }
  _close (fd);
  ck_assert_int_eq (got, n);
  return cmd;
}

START_TEST (test_abort_kills_tree)
{
  long pids[3];
  subproc_t *cmd = start_tree (3, pids, 0);
  subproc_abort (cmd);
  for (int i = 0; i < 3; i++)
    ck_assert_msg (pid_gone (pids[i], 3000), "grandchild %ld lives", pids[i]);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_timeout_kills_tree)
{
  long pids[2];
  subproc_t *cmd = start_tree (2, pids, 300);
  ck_assert_int_eq (subproc_wait (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_TIMEOUT);
  for (int i = 0; i < 2; i++)
    ck_assert_msg (pid_gone (pids[i], 3000), "grandchild %ld lives", pids[i]);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_child_in_job)
{
  char *out = NULL;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "in-job", NULL);
  subproc_set_output_buffer (cmd, &out);
  RUN_OK (cmd, NULL);
  ck_assert_str_eq (out, "job=yes\n");
  free (out);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_abort_status_is_abnormal)
{
  pid_t pid;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "sleep-forever",
                                         NULL);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  subproc_free (cmd);
  HANDLE h = OpenProcess (SYNCHRONIZE | PROCESS_QUERY_LIMITED_INFORMATION,
                          FALSE, (DWORD) pid);
  ck_assert_ptr_nonnull (h);
  subproc_pid_abort (pid);
  ck_assert_uint_eq (WaitForSingleObject (h, 3000), WAIT_OBJECT_0);
  DWORD code = 0;
  ck_assert (GetExitCodeProcess (h, &code));
  CloseHandle (h);
  /* An NTSTATUS error code: abnormal, as SIGTERM is on POSIX.  */
  ck_assert_uint_eq (code, SP_WIN32_KILL_CODE);
  /* The pid was taken back by pid_abort: it is no longer ours.  */
  int status;
  ck_assert_int_eq (subproc_pid_wait (pid, &status, false), -1);
}
END_TEST

START_TEST (test_exception_status)
{
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "signal", "SEGV",
                                         NULL);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_int_eq (err->code, SUBPROC_ERR_SIGNALED);
  ck_assert_ptr_nonnull (strstr (err->message, "0xC0000005"));
  subproc_free (cmd);

  int value;
  ck_assert_int_eq (sp_backend_status_exited ((int) 0xC000013A, &value), 0);
  ck_assert_int_eq (sp_backend_status_exited (255, &value), 1);
  ck_assert_int_eq (value, 255);
}
END_TEST

/* ------------------------------------------------------------------ */
/* UTF-8.  */

START_TEST (test_unicode_program_args_env_cwd)
{
  char *dir = test_tmp_path ("d\xc3\xafr \xe2\x82\xac");
  wchar_t wdir[MAX_PATH];
  MultiByteToWideChar (CP_UTF8, 0, dir, -1, wdir, MAX_PATH);
  ck_assert (CreateDirectoryW (wdir, NULL));
  char *exe = malloc (strlen (dir) + 32);
  strcpy (exe, dir);
  strcat (exe, "\\h\xc3\xa9lper.exe");
  wchar_t wexe[MAX_PATH], whelper[MAX_PATH];
  MultiByteToWideChar (CP_UTF8, 0, exe, -1, wexe, MAX_PATH);
  MultiByteToWideChar (CP_UTF8, 0, test_helper (), -1, whelper, MAX_PATH);
  ck_assert (CopyFileW (whelper, wexe, FALSE));

  char *out = NULL;
  size_t len;
  subproc_t *cmd
    = subproc_new_arg_list (exe, "argv-w", "\xc3\xb1 \xe6\x97\xa5", NULL);
  subproc_set_output_bytes (cmd, &out, &len);
  RUN_OK (cmd, NULL);
  ck_assert_str_eq (out, "\xc3\xb1 \xe6\x97\xa5");
  free (out);
  subproc_free (cmd);

  cmd = subproc_new_arg_list (exe, "getenv-w", "\xc3\x84VAR", "\xc3\xa4var",
                              NULL);
  subproc_add_env_pass_common (cmd);
  subproc_add_env_pair (cmd, "\xc3\x84VAR", "\xe2\x82\xac=x");
  subproc_set_output_buffer (cmd, &out);
  RUN_OK (cmd, NULL);
  ck_assert_str_eq (out, "\xe2\x82\xac=x\n\xe2\x82\xac=x\n");
  free (out);
  subproc_free (cmd);

  cmd = subproc_new_arg_list (exe, "cwd-w", NULL);
  subproc_set_working_directory (cmd, dir);
  subproc_set_output_buffer (cmd, &out);
  RUN_OK (cmd, NULL);
  char *want = malloc (strlen (dir) + 2);
  strcpy (want, dir);
  strcat (want, "\n");
  ck_assert_str_eq (out, want);
  free (want);
  free (out);
  subproc_free (cmd);
  free (exe);
  free (dir);
}
END_TEST

START_TEST (test_env_names_ignore_case)
{
  char *out = NULL;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "getenv-w", "foo",
                                         NULL);
  subproc_add_env_pair (cmd, "FOO", "1");
  subproc_add_env_pair (cmd, "foo", "2");
  subproc_set_output_buffer (cmd, &out);
  RUN_OK (cmd, NULL);
  ck_assert_str_eq (out, "2\n");
  free (out);
  subproc_free (cmd);
}
END_TEST

/* Where the entry NAME=... is in the helper's environment block OUT
   (LEN bytes of NUL-terminated entries): its index, or -1.  *VALUE: its
   value.  */
static int
env_index (const char *out, size_t len, const char *name,
           const char **value)
{
  size_t n = strlen (name);
  int i = 0;
  for (size_t off = 0; off < len; off += strlen (out + off) + 1, i++)
    if (strncmp (out + off, name, n) == 0 && out[off + n] == '=')
      {
        if (value)
          *value = out + off + n + 1;
        return i;
      }
  return -1;
}

START_TEST (test_env_names_ignore_unicode_case)
{
  /* Windows takes "\xc3\x84" and "\xc3\xa4" (A and a with diaeresis) for
     the same letter in a name: the second add replaces the first, and
     the child gets one variable.  */
  char *out = NULL;
  size_t len = 0;
  const char *value = NULL;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "env-w", NULL);
  subproc_add_env_pair (cmd, "\xc3\x84" "B", "1");
  subproc_add_env_pair (cmd, "\xc3\xa4" "b", "2");
  subproc_set_output_bytes (cmd, &out, &len);
  RUN_OK (cmd, NULL);
  ck_assert_int_eq (env_index (out, len, "\xc3\x84" "B", NULL), -1);
  ck_assert_int_ge (env_index (out, len, "\xc3\xa4" "b", &value), 0);
  ck_assert_str_eq (value, "2");
  free (out);
  subproc_free (cmd);

  cmd = subproc_new_arg_list (test_helper (), "getenv-w", "\xc3\x84" "B",
                              NULL);
  subproc_add_env_pair (cmd, "\xc3\x84" "B", "1");
  subproc_add_env_pair (cmd, "\xc3\xa4" "b", "2");
  subproc_set_output_buffer (cmd, &out);
  RUN_OK (cmd, NULL);
  ck_assert_str_eq (out, "2\n");
  free (out);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_env_block_order)
{
  /* Sorted as Windows sorts: by the names upper-cased with the system's
     table, in ordinal order.  So 'a' (as 'A', 0x41) comes before 'Z'
     (0x5A) and '_' (0x5F), and U+00E4 (as U+00C4) before U+00C9; raw or
     lower-cased names would sort otherwise.  */
  static const char *const added[] = {
    "_Y", "\xc3\x89", "\xc3\xa4", "a", "Z", NULL
  };
  static const char *const sorted[] = {
    "a", "Z", "_Y", "\xc3\xa4", "\xc3\x89", NULL
  };
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "env-w", NULL);
  for (size_t i = 0; added[i]; i++)
    subproc_add_env_pair (cmd, added[i], "x");
  subproc_set_output_bytes (cmd, &out, &len);
  RUN_OK (cmd, NULL);
  int last = -1;
  for (size_t i = 0; sorted[i]; i++)
    {
      int at = env_index (out, len, sorted[i], NULL);
      ck_assert_msg (at > last, "[%s] at %d, after the one at %d",
                     sorted[i], at, last);
      last = at;
    }
  free (out);
  subproc_free (cmd);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Lookup.  */

START_TEST (test_no_search_in_cwd)
{
  char *exe = copy_helper ("cwdonly-xyz.exe");
  char old[MAX_PATH];
  ck_assert_ptr_nonnull (_getcwd (old, sizeof old));
  ck_assert_int_eq (_chdir (test_tmpdir), 0);
  subproc_t *cmd = subproc_new_arg_list ("cwdonly-xyz", "exit", "0", NULL);
  int r = subproc_run (cmd, NULL);
  int code = subproc_get_error (cmd) ? subproc_get_error (cmd)->code : 0;
  subproc_free (cmd);
  /* With a directory part, the current directory is fine.  */
  cmd = subproc_new_arg_list (".\\cwdonly-xyz", "exit", "0", NULL);
  int r2 = subproc_run (cmd, NULL);
  subproc_free (cmd);
  ck_assert_int_eq (_chdir (old), 0);
  ck_assert_int_eq (r, -1);
  ck_assert_int_eq (code, SUBPROC_ERR_NOT_FOUND);
  ck_assert_int_eq (r2, 0);
  free (exe);
}
END_TEST

START_TEST (test_pathext)
{
  char *exe = copy_helper ("pxt.exe");
  const char *old = getenv ("PATH");
  char *saved = strdup (old ? old : "");
  char *path = malloc (strlen (test_tmpdir) + strlen (saved) + 2);
  strcpy (path, test_tmpdir);
  strcat (path, ";");
  strcat (path, saved);
  test_setenv ("PATH", path);
  int status = -1;
  subproc_t *cmd = subproc_new_arg_list ("pxt", "exit", "4", NULL);
  int r = subproc_run (cmd, &status);
  subproc_free (cmd);
  cmd = subproc_new_arg_list ("PXT.EXE", "exit", "5", NULL);
  int status2 = -1;
  int r2 = subproc_run (cmd, &status2);
  subproc_free (cmd);
  test_setenv ("PATH", saved);
  ck_assert_int_eq (r, 0);
  ck_assert_int_eq (status, 4);
  ck_assert_int_eq (r2, 0);
  ck_assert_int_eq (status2, 5);
  free (path);
  free (saved);
  free (exe);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Process options.  */

static int
hook_fails (void *opaque)
{
  (void) opaque;
  errno = EPERM;
  return 1;
}

START_TEST (test_hook_failure_child_never_runs)
{
  int p[2];
  ck_assert_int_eq (_pipe (p, 4096, _O_BINARY | _O_NOINHERIT), 0);
  ck_assert_int_eq (_dup2 (p[1], 42), 0);
  _close (p[1]);
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "fd-write", "42",
                                         "ran", NULL);
  subproc_pass_fd (cmd, 42, SUBPROC_PASS_FD_CLOSE_PARENT);
  subproc_set_pre_exec_hook (cmd, hook_fails, NULL);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_HOOK);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, EPERM);
  subproc_free (cmd);
  char buf[8];
  ck_assert_int_eq (_read (p[0], buf, sizeof buf), 0);
  _close (p[0]);
}
END_TEST

START_TEST (test_handshake_holds_child)
{
  int fd = -1, status = -1;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "print", "go",
                                         NULL);
  subproc_set_output_fd (cmd, &fd);
  subproc_require_handshake (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  test_sleep_ms (200);
  DWORD avail = 1;
  ck_assert (PeekNamedPipe ((HANDLE) _get_osfhandle (fd), NULL, 0, NULL,
                            &avail, NULL));
  ck_assert_uint_eq (avail, 0);
  ck_assert_int_eq (subproc_handshake_notify (cmd), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), 0);
  ck_assert_int_eq (status, 0);
  char buf[8] = { 0 };
  ck_assert_int_eq (_read (fd, buf, sizeof buf - 1), 2);
  ck_assert_str_eq (buf, "go");
  _close (fd);
  subproc_free (cmd);

  /* Waited for without a notify: the child is ended, and that is an
     error of the handshake, not an exit status (as on POSIX).  */
  status = -1;
  cmd = subproc_new_arg_list (test_helper (), "exit", "0", NULL);
  subproc_require_handshake (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_eq (subproc_wait (cmd, &status), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (status, -1);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_daemon_pid_file)
{
  char *pid_path = test_tmp_path ("d.pid");
  int status = -1;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "sleep", "20000",
                                         NULL);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, pid_path);
  RUN_OK (cmd, &status);
  ck_assert_int_eq (status, 0);
  subproc_free (cmd);

  char *text = test_read_file (pid_path, NULL);
  long pid = atol (text);
  free (text);
  ck_assert_int_gt (pid, 0);
  ck_assert (!pid_gone (pid, 0));
  /* Held by the daemon: nobody can write it while it lives.  */
  HANDLE h = CreateFileA (pid_path, GENERIC_WRITE,
                          FILE_SHARE_READ | FILE_SHARE_WRITE
                            | FILE_SHARE_DELETE,
                          NULL, OPEN_EXISTING, 0, NULL);
  ck_assert (h == INVALID_HANDLE_VALUE);
  test_kill_pid (pid);
  ck_assert (pid_gone (pid, 3000));
  free (pid_path);
}
END_TEST

START_TEST (test_unsupported_options)
{
  static const char *const names[]
    = { "uid",       "gid",           "umask",       "max_memlock",
        "max_files", "max_core_size", "no_new_privs" };
  for (int i = 0; i < 7; i++)
    {
      subproc_t *cmd = subproc_new_arg_list (test_helper (), "exit", "0",
                                             NULL);
      switch (i)
        {
        case 0: subproc_set_uid (cmd, 0); break;
        case 1: subproc_set_gid (cmd, 0); break;
        case 2: subproc_set_umask (cmd, 022); break;
        case 3: subproc_set_max_memlock (cmd, 1 << 20); break;
        case 4: subproc_set_max_files (cmd, 64); break;
        case 5: subproc_set_max_core_size (cmd, 0); break;
        default: subproc_no_new_privs (cmd); break;
        }
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      const subproc_error_t *err = subproc_get_error (cmd);
      ck_assert_int_eq (err->code, SUBPROC_ERR_UNSUPPORTED);
      ck_assert_msg (strstr (err->message, names[i]) != NULL, "%s",
                     err->message);
      subproc_free (cmd);
    }
}
END_TEST

/* The steps that exist on Windows only, in the error's stage.  */
START_TEST (test_win32_stages)
{
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "exit", "0", NULL);
  subproc_set_uid (cmd, 0);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_int_eq (err->code, SUBPROC_ERR_UNSUPPORTED);
  ck_assert_int_eq (err->stage, SUBPROC_STAGE_UNSUPPORTED);
  ck_assert_int_eq (subproc_last_error ()->stage, SUBPROC_STAGE_UNSUPPORTED);
  subproc_free (cmd);

  char *bat = make_batch ("sdir");
  cmd = subproc_new_arg_list (bat, "ok", "50%", NULL);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  err = subproc_get_error (cmd);
  ck_assert_int_eq (err->code, SUBPROC_ERR_INVALID);
  ck_assert_int_eq (err->stage, SUBPROC_STAGE_QUOTING);
  subproc_free (cmd);
  free (bat);
}
END_TEST

START_TEST (test_clear_caps)
{
  /* A restricted token where the system gives a real one; Wine's keeps
     every privilege, and then the run must say so instead of pretending.  */
  char *out = NULL;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "privileges", NULL);
  subproc_clear_caps (cmd);
  subproc_set_output_buffer (cmd, &out);
  if (subproc_run (cmd, NULL) == 0)
    ck_assert_int_le (atoi (out), 1);
  else
    ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_UNSUPPORTED);
  free (out);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_relative_batch_with_working_directory)
{
  /* A relative program names a file of the parent's directory, not of
     the child's: cmd.exe, which runs in the child's, must be given the
     batch file's absolute path.  */
  char *bat = make_batch ("rel");
  char *other = test_tmp_path ("other");
  ck_assert_int_eq (CreateDirectoryA (other, NULL), 1);
  char *old = _getcwd (NULL, 0);
  ck_assert_ptr_nonnull (old);
  ck_assert_int_eq (_chdir (test_tmpdir), 0);
  char *out = NULL;
  size_t len = 0;
  int status = -1;
  subproc_t *cmd = subproc_new_arg_list ("rel\\t.bat", "x", NULL);
  subproc_set_working_directory (cmd, "other");
  subproc_set_output_bytes (cmd, &out, &len);
  int r = subproc_run (cmd, &status);
  ck_assert_int_eq (_chdir (old), 0);
  ck_assert_msg (r == 0, "%s", subproc_get_error (cmd)->message);
  ck_assert_int_eq (status, 7);
  ck_assert_uint_eq (len, 2);
  ck_assert_str_eq (out, "x");
  free (out);
  subproc_free (cmd);
  free (old);
  free (other);
  free (bat);
}
END_TEST

START_TEST (test_pid_file_held)
{
  /* A pid file held by a running child: the second run fails as on
     POSIX (SUBPROC_ERR_SPAWN), and the first child's file stays.  */
  char *pid_path = test_tmp_path ("held.pid");
  subproc_t *first = subproc_new_arg_list (test_helper (), "sleep-forever",
                                           NULL);
  subproc_set_pid_file (first, pid_path);
  ck_assert_msg (subproc_run_async (first, NULL) == 0, "%s",
                 subproc_get_error (first)->message);
  subproc_t *second = subproc_new_arg_list (test_helper (), "exit", "0",
                                            NULL);
  subproc_set_pid_file (second, pid_path);
  ck_assert_int_eq (subproc_run (second, NULL), -1);
  ck_assert_int_eq (subproc_get_error (second)->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (subproc_get_error (second)->sys_errno, EACCES);
  subproc_free (second);
  char *text = test_read_file (pid_path, NULL);
  ck_assert_int_gt (atol (text), 0);
  free (text);
  subproc_free (first);

  /* A directory that does not exist.  */
  char *bad = test_tmp_path ("nodir\\x.pid");
  second = subproc_new_arg_list (test_helper (), "exit", "0", NULL);
  subproc_set_pid_file (second, bad);
  ck_assert_int_eq (subproc_run (second, NULL), -1);
  ck_assert_int_eq (subproc_get_error (second)->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (subproc_get_error (second)->sys_errno, ENOENT);
  subproc_free (second);
  free (bad);
  free (pid_path);
}
END_TEST

/* Does PATH exist?  */
static bool
file_exists (const char *path)
{
  return GetFileAttributesA (path) != INVALID_FILE_ATTRIBUTES;
}

/* Run CMD with the pid file PID_PATH; it must fail with CODE.  */
static void
run_fails (subproc_t *cmd, const char *pid_path, int code)
{
  subproc_set_pid_file (cmd, pid_path);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_msg (subproc_get_error (cmd)->code == code, "%s",
                 subproc_get_error (cmd)->message);
  subproc_free (cmd);
}

START_TEST (test_pid_file_removed_only_if_created)
{
  /* A program that cannot start (CreateProcessW fails after the pid file
     is open), and a hook that fails after the child exists: a pid file
     that was there before is left as it was; one the run created is
     removed.  */
  char *pid_path = test_tmp_path ("keep.pid");
  char *bad_exe = test_tmp_path ("bad.exe");
  test_write_file (bad_exe, "not a program", 13);

  for (int created = 0; created < 2; created++)
    for (int hook = 0; hook < 2; hook++)
      {
        if (created)
          ck_assert (!file_exists (pid_path));
        else
          test_write_file (pid_path, "old\n", 4);
        subproc_t *cmd
          = hook ? subproc_new_arg_list (test_helper (), "exit", "0", NULL)
                 : subproc_new (bad_exe);
        if (hook)
          subproc_set_pre_exec_hook (cmd, hook_fails, NULL);
        run_fails (cmd, pid_path, hook ? SUBPROC_ERR_HOOK : SUBPROC_ERR_SPAWN);
        if (created)
          ck_assert_msg (!file_exists (pid_path), "hook %d: the pid file "
                         "this run created is still there", hook);
        else
          {
            ck_assert_msg (file_exists (pid_path), "hook %d: the pid file "
                           "that was there before is gone", hook);
            char *text = test_read_file (pid_path, NULL);
            ck_assert_str_eq (text, "old\n");
            free (text);
            ck_assert (DeleteFileA (pid_path));
          }
      }

  /* A run that succeeds replaces an existing file's contents.  */
  test_write_file (pid_path, "a much longer line than any pid\n", 32);
  pid_t pid = 0;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "exit", "0", NULL);
  subproc_set_pid_file (cmd, pid_path);
  ck_assert_msg (subproc_run_async (cmd, &pid) == 0, "%s",
                 subproc_get_error (cmd)->message);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);
  char want[32];
  snprintf (want, sizeof want, "%ld\n", (long) pid);
  char *text = test_read_file (pid_path, NULL);
  ck_assert_str_eq (text, want);
  free (text);
  free (bad_exe);
  free (pid_path);
}
END_TEST

/* The run with the pid file PID_PATH is refused with ERRNO, names the
   file, and the child never runs.  */
static void
pid_file_refused (const char *pid_path, int err)
{
  char *out = NULL;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "print", "ran",
                                         NULL);
  subproc_set_pid_file (cmd, pid_path);
  subproc_set_output_buffer (cmd, &out);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_msg (e->code == SUBPROC_ERR_SPAWN && e->sys_errno == err,
                 "%s: code %d, errno %d: %s", pid_path, e->code,
                 e->sys_errno, e->message);
  ck_assert_msg (strstr (e->message, pid_path) != NULL, "%s", e->message);
  ck_assert_msg (out == NULL || *out == '\0', "the child ran: %s", out);
  free (out);
  subproc_free (cmd);
}

START_TEST (test_pid_file_links_refused)
{
  /* Whoever can write the pid file's directory must not make the run
     overwrite another file through it.  */
  char *victim = test_tmp_path ("victim");
  test_write_file (victim, "precious\n", 9);

  char *hard = test_tmp_path ("hard.pid");
  ck_assert (CreateHardLinkA (hard, victim, NULL));
  pid_file_refused (hard, EMLINK);
  char *text = test_read_file (victim, NULL);
  ck_assert_str_eq (text, "precious\n");
  free (text);
  ck_assert (file_exists (hard));

  /* A symbolic link, where the system can make one: Wine 8 reports
     success for CreateSymbolicLinkA and makes nothing.  */
  char *sym = test_tmp_path ("sym.pid");
  if (CreateSymbolicLinkA (sym, victim,
                           SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE)
      && (GetFileAttributesA (sym) & FILE_ATTRIBUTE_REPARSE_POINT)
      && file_exists (sym))
    {
      pid_file_refused (sym, ELOOP);
      text = test_read_file (victim, NULL);
      ck_assert_str_eq (text, "precious\n");
      free (text);
      ck_assert (file_exists (sym));
    }

  /* Not a file at all.  */
  pid_file_refused ("NUL", EINVAL);
  free (sym);
  free (hard);
  free (victim);
}
END_TEST

START_TEST (test_send_buffer_above_stdio)
{
  /* With descriptor 0 closed, a send buffer's descriptor is still above
     2: 0 to 2 cannot reach the child under their own number.  */
  int saved = _dup (0);
  ck_assert_int_ge (saved, 0);
  _close (0);
  subproc_t *cmd = subproc_new (test_helper ());
  int fd = subproc_set_send_buffer (cmd, "hello", 5);
  ck_assert_int_eq (_dup2 (saved, 0), 0);
  _close (saved);
  ck_assert_int_gt (fd, 2);
  char num[16];
  snprintf (num, sizeof num, "%d", fd);
  subproc_add_arg_list (cmd, "fd-read", num, NULL);
  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  RUN_OK (cmd, NULL);
  ck_assert_str_eq (out, "hello");
  free (out);
  subproc_free (cmd);
}
END_TEST

/* ------------------------------------------------------------------ */
/* I/O.  */

START_TEST (test_64mib_both_ways)
{
  size_t n = (size_t) 64 << 20;
  char *in = malloc (n);
  ck_assert_ptr_nonnull (in);
  for (size_t i = 0; i < n; i++)
    in[i] = (char) (i * 7 + i / 65536);
  char *out = NULL;
  size_t len = 0;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "echo", NULL);
  subproc_set_input_bytes (cmd, in, n);
  subproc_set_output_bytes (cmd, &out, &len);
  RUN_OK (cmd, NULL);
  ck_assert_uint_eq (len, n);
  ck_assert (memcmp (out, in, n) == 0);
  free (out);
  free (in);
  subproc_free (cmd);
}
END_TEST

START_TEST (test_interleaved_output_and_error)
{
  char *out = NULL, *err = NULL;
  size_t out_len = 0, err_len = 0;
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "write-both",
                                         "8000000", NULL);
  subproc_set_output_bytes (cmd, &out, &out_len);
  subproc_set_error_bytes (cmd, &err, &err_len);
  RUN_OK (cmd, NULL);
  ck_assert_uint_eq (out_len, 8000000);
  ck_assert_uint_eq (err_len, 8000000);
  free (out);
  free (err);
  subproc_free (cmd);

  char *both = NULL;
  size_t both_len = 0;
  cmd = subproc_new_arg_list (test_helper (), "write-both", "3000000", NULL);
  subproc_set_output_bytes (cmd, &both, &both_len);
  subproc_set_error_bytes (cmd, &both, &both_len);
  RUN_OK (cmd, NULL);
  ck_assert_uint_eq (both_len, 6000000);
  free (both);
  subproc_free (cmd);
}
END_TEST

/* ------------------------------------------------------------------ */
/* The pump over many children (the backend's own calls).  */

/* More children than one WaitForMultipleObjects can watch, with a
   stream each: 64 and more.  */
#define MANY 100

/* A child of the backend's running the helper with ARGV (after the
   helper's name), its stdout a pipe whose read end is *OUT_FD and, when
   IN_FD is not NULL, its stdin a pipe whose write end is *IN_FD.  */
static sp_proc_t *
backend_child (const char *const *argv, int *out_fd, int *in_fd)
{
  static const sp_options_t opt;
  char *v[8];
  size_t n = 0;
  int out[2], in[2] = { -1, -1 };
  sp_fail_t f;
  sp_proc_t *proc = NULL;
  pid_t pid;

  v[n++] = (char *) test_helper ();
  while (*argv && n < 7)
    v[n++] = (char *) *argv++;
  v[n] = NULL;
  ck_assert_int_eq (sp_backend_pipe (out, &f), 0);
  if (in_fd)
    ck_assert_int_eq (sp_backend_pipe (in, &f), 0);
  sp_spec_t spec = { .opt = &opt, .path = test_helper (), .argv = v,
                     .stdio = { in[0], out[1], -1 } };
  ck_assert_int_eq (sp_backend_prepare (&spec, &f), 0);
  ck_assert_msg (sp_backend_spawn (&spec, &proc, &pid, &f) == 0,
                 "spawn: code %d, errno %d", f.code, f.sys_errno);
  sp_backend_spec_release (&spec);
  sp_backend_close (out[1]);
  *out_fd = out[0];
  if (in_fd)
    {
      sp_backend_close (in[0]);
      *in_fd = in[1];
    }
  return proc;
}

/* Reap PROC and release it; its exit code.  */
static int
backend_reap (sp_proc_t *proc)
{
  int raw = -1;
  sp_fail_t f;
  ck_assert_int_eq (sp_backend_wait (proc, -1, &raw, &f), 1);
  sp_backend_release (proc);
  return raw;
}

/* Should the pump lose a wake-up, a wait without a time limit would
   never return: end the test program instead, with a message, once
   the children have had far more time than they need.  */
static DWORD WINAPI
watchdog (void *arg)
{
  if (WaitForSingleObject ((HANDLE) arg, 300 * 1000) == WAIT_TIMEOUT)
    {
      fprintf (stderr, "win32-spawn: a wait of the pump never returned\n");
      fflush (stderr);
      ExitProcess (99);
    }
  return 0;
}

static HANDLE
watchdog_start (HANDLE *thread)
{
  HANDLE done = CreateEventW (NULL, TRUE, FALSE, NULL);
  ck_assert_ptr_nonnull (done);
  *thread = CreateThread (NULL, 0, watchdog, done, 0, NULL);
  ck_assert_ptr_nonnull (*thread);
  return done;
}

static void
watchdog_stop (HANDLE done, HANDLE thread)
{
  SetEvent (done);
  WaitForSingleObject (thread, INFINITE);
  CloseHandle (thread);
  CloseHandle (done);
}

static sp_proc_t *many_procs[MANY];
static sp_stream_t many_streams[MANY];
static sp_io_set_t many_sets[MANY];
static int many_in[MANY];
static char many_bufs[MANY][64];
static size_t many_lens[MANY];
static bool many_ended[MANY];

/* Wait for the children of many_sets without a time limit, taking the
   events, until UNTIL (I) is true for each I.  Every return must bring a
   transfer or an end: should a wake-up be lost, the wait never returns
   (the watchdog ends the test program).  */
static void
many_wait_until (bool (*until) (size_t i))
{
  sp_fail_t f;

  for (;;)
    {
      size_t i;
      for (i = 0; i < MANY && until (i); i++)
        ;
      if (i == MANY)
        return;
      for (i = 0; i < MANY; i++)
        {
          many_streams[i].buf = many_bufs[i] + many_lens[i];
          many_streams[i].len = sizeof many_bufs[i] - 1 - many_lens[i];
        }
      int n = sp_backend_io_wait (many_sets, MANY, -1, &f);
      ck_assert_msg (n >= 0, "io_wait: errno %d", f.sys_errno);
      int events = 0;
      bool news = false;
      for (i = 0; i < MANY; i++)
        {
          sp_stream_t *s = &many_streams[i];
          events += many_sets[i].events;
          if (many_sets[i].exited && !many_ended[i])
            news = many_ended[i] = true;
          if (many_sets[i].n == 0)
            continue;
          if (s->event == SP_IO_DONE)
            many_lens[i] += s->done;
          else if (s->event == SP_IO_EOF)
            {
              sp_backend_io_release (s);
              s->open = false;
            }
          else
            ck_assert_int_eq (s->event, SP_IO_NONE);
        }
      ck_assert_int_eq (events, n);
      ck_assert_msg (n > 0 || news, "a wait without a limit returned "
                                    "with neither a transfer nor an end");
    }
}

static bool
many_text_in (size_t i)
{
  char want[32];
  snprintf (want, sizeof want, "child %zu\n", i);
  return many_lens[i] == strlen (want)
         && memcmp (many_bufs[i], want, many_lens[i]) == 0;
}

static bool
many_last_text_in (size_t i)
{
  return i != MANY - 1 || many_text_in (i);
}

static bool
many_last_ended (size_t i)
{
  return i != MANY - 1 || many_ended[i];
}

static bool
many_all_over (size_t i)
{
  return many_ended[i] && !many_streams[i].open;
}

static void
many_write (size_t i)
{
  char text[32];
  snprintf (text, sizeof text, "child %zu\n", i);
  ck_assert_int_eq (_write (many_in[i], text, (unsigned) strlen (text)),
                    (int) strlen (text));
}

/* What a thread does a moment from now, so that it happens while the
   test waits (most likely: the test cannot fail by it, only miss what
   it tests, on a machine too loaded to start waiting in time).  */
enum later { LATER_WRITE, LATER_CLOSE };
static enum later later_what;

static DWORD WINAPI
later_main (void *arg)
{
  (void) arg;
  Sleep (300);
  if (later_what == LATER_WRITE)
    many_write (MANY - 1);
  else
    sp_backend_close (many_in[MANY - 1]);
  return 0;
}

static HANDLE
later (enum later what)
{
  later_what = what;
  HANDLE t = CreateThread (NULL, 0, later_main, NULL, 0, NULL);
  ck_assert_ptr_nonnull (t);
  return t;
}

static void
later_join (HANDLE t)
{
  WaitForSingleObject (t, INFINITE);
  CloseHandle (t);
}

/* One wait over 100 children, 200 things to watch: each wakes it.  The
   children copy their input to their output and end at its end.  */
START_TEST (test_io_wait_many_children)
{
  const char *argv[] = { "echo", NULL };
  sp_fail_t f;
  HANDLE dog;
  HANDLE done = watchdog_start (&dog);

  for (size_t i = 0; i < MANY; i++)
    {
      many_procs[i] = backend_child (argv, &many_streams[i].fd, &many_in[i]);
      many_streams[i].open = true;
      many_lens[i] = 0;
      many_ended[i] = false;
      many_sets[i] = (sp_io_set_t) { many_procs[i], &many_streams[i], 1,
                                     false, 0 };
    }
  /* Start the reads: nothing is ready yet.  */
  for (size_t i = 0; i < MANY; i++)
    {
      many_streams[i].buf = many_bufs[i];
      many_streams[i].len = sizeof many_bufs[i] - 1;
    }
  ck_assert_int_eq (sp_backend_io_wait (many_sets, MANY, 0, &f), 0);

  /* The last child's output alone ends a wait: it is far beyond what one
     WaitForMultipleObjects holds.  Then all the others.  */
  HANDLE t = later (LATER_WRITE);
  many_wait_until (many_last_text_in);
  later_join (t);
  for (size_t i = 0; i < MANY - 1; i++)
    ck_assert_uint_eq (many_lens[i], 0);
  for (size_t i = 0; i < MANY - 1; i++)
    many_write (i);
  many_wait_until (many_text_in);

  /* The end of the last child alone, with its output not watched, ends
     a wait too.  */
  many_sets[MANY - 1].n = 0;
  t = later (LATER_CLOSE);
  many_wait_until (many_last_ended);
  later_join (t);
  for (size_t i = 0; i < MANY - 1; i++)
    ck_assert (!many_ended[i]);
  many_sets[MANY - 1].n = 1;

  for (size_t i = 0; i < MANY - 1; i++)
    sp_backend_close (many_in[i]);
  many_wait_until (many_all_over);
  watchdog_stop (done, dog);

  for (size_t i = 0; i < MANY; i++)
    {
      ck_assert (many_text_in (i));
      sp_backend_close (many_streams[i].fd);
      ck_assert_int_eq (backend_reap (many_procs[i]), 0);
    }
}
END_TEST

/* The watches of one child are handles that WaitForMultipleObjects
   waits on, ready once the child writes and once it ends, and after
   them a wait with timeout 0 makes progress.  */
START_TEST (test_io_watches_are_handles)
{
  const char *argv[] = { "read-one", NULL };
  int in_fd;
  sp_stream_t s = { .open = true };
  sp_proc_t *proc = backend_child (argv, &s.fd, &in_fd);
  sp_io_set_t set = { proc, &s, 1, false, 0 };
  subproc_watch_t w[4];
  HANDLE h[4];
  int timeout;
  char buf[64];
  size_t len = 0;
  sp_fail_t f;

  subproc_handle_t ph;
  ck_assert_int_eq (sp_backend_proc_handle (proc, &ph, &f), 0);

  /* The stream and the child: the child waits for its input, so
     nothing is ready, before a wait or after one.  */
  s.buf = buf;
  s.len = sizeof buf - 1;
  size_t n = sp_backend_io_watches (proc, &s, 1, w, 4, &timeout);
  ck_assert_uint_eq (n, 2);
  ck_assert_ptr_eq (w[1].handle, ph);
  ck_assert_int_eq (timeout, -1);
  ck_assert_uint_eq (WaitForSingleObject (w[0].handle, 0), WAIT_TIMEOUT);
  ck_assert_int_eq (sp_backend_io_wait (&set, 1, 0, &f), 0);
  ck_assert (!set.exited);
  n = sp_backend_io_watches (proc, &s, 1, w, 4, &timeout);
  ck_assert_uint_eq (n, 2);
  ck_assert_int_eq (timeout, -1);
  /* Room for one: the count says there are two.  */
  ck_assert_uint_eq (sp_backend_io_watches (proc, &s, 1, w, 1, &timeout), 2);
  n = sp_backend_io_watches (proc, &s, 1, w, 4, &timeout);
  for (size_t i = 0; i < n; i++)
    {
      ck_assert_uint_eq (w[i].events, SUBPROC_WATCH_READ);
      h[i] = w[i].handle;
    }
  ck_assert_ptr_eq (h[1], ph);
  ck_assert_uint_eq (WaitForMultipleObjects ((DWORD) n, h, FALSE, 0),
                     WAIT_TIMEOUT);

  /* Once it has its byte, the child writes "closed\n", sleeps a little
     and ends: each time the watches become ready, a wait that does not
     block makes progress, until the end of file and of the child.  */
  ck_assert_int_eq (_write (in_fd, "x", 1), 1);
  bool eof = false, exited = false;
  while (!eof || !exited)
    {
      /* Once the end of each is known, it is no longer watched.  */
      set.proc = exited ? NULL : proc;
      s.buf = buf + len;
      s.len = sizeof buf - 1 - len;
      n = sp_backend_io_watches (set.proc, &s, 1, w, 4, &timeout);
      for (size_t i = 0; i < n; i++)
        h[i] = w[i].handle;
      ck_assert_int_eq (timeout, -1);
      ck_assert_uint_gt (n, 0);
      DWORD r = WaitForMultipleObjects ((DWORD) n, h, FALSE, 300 * 1000);
      ck_assert_uint_lt (r, WAIT_OBJECT_0 + n);
      /* Progress: a transfer, the child's end, or (after it) the end of
         what its pipe held then.  */
      bool was_drained = s.drained;
      int got = sp_backend_io_wait (&set, 1, 0, &f);
      ck_assert_int_ge (got, 0);
      ck_assert_msg (got > 0 || set.exited || s.drained != was_drained,
                     "a watch was ready, and the wait made no progress");
      if (set.exited)
        exited = true;
      if (s.event == SP_IO_DONE)
        len += s.done;
      else if (s.event == SP_IO_EOF)
        {
          eof = true;
          sp_backend_io_release (&s);
          s.open = false;
        }
    }
  buf[len] = '\0';
  ck_assert_str_eq (buf, "closed\n");
  sp_backend_close (s.fd);
  sp_backend_close (in_fd);
  int raw = -1;
  ck_assert_int_eq (sp_backend_wait (proc, -1, &raw, &f), 1);
  ck_assert_int_eq (raw, 0);
  /* Reaped: no handle any more.  */
  ck_assert_int_eq (sp_backend_proc_handle (proc, &ph, &f), -1);
  ck_assert_int_eq (f.code, SUBPROC_ERR_STATE);
  sp_backend_release (proc);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Many commands through the public calls.  */

/* The children of test_poll_many_children: the write end of each one's
   stdin, and what its sink got.  */
static int poll_in[MANY];
static char poll_got[MANY][32];
static size_t poll_len[MANY];

/* A line of child I: keep it, and let the child end (its input
   ends).  */
static int
poll_sink (void *opaque, int stream, const char *data, size_t len)
{
  size_t i = (size_t) (uintptr_t) opaque;
  ck_assert_int_eq (stream, 1);
  ck_assert_uint_lt (poll_len[i] + len, sizeof poll_got[i]);
  memcpy (poll_got[i] + poll_len[i], data, len);
  poll_len[i] += len;
  if (poll_in[i] >= 0)
    {
      test_close (poll_in[i]);
      poll_in[i] = -1;
    }
  return 0;
}

/* A moment after the polling starts, most likely while it waits, each
   child gets its line (the test cannot fail by the timing, only miss
   waking up a wait in progress on a machine too loaded).  */
static DWORD WINAPI
poll_feed (void *arg)
{
  (void) arg;
  Sleep (300);
  for (size_t i = 0; i < MANY; i++)
    {
      char line[32];
      snprintf (line, sizeof line, "child %zu\n", i);
      /* No assertion on this thread: a failed write leaves the child
         without its line, which the test then reports.  */
      if (_write (poll_in[i], line, (unsigned) strlen (line))
          != (int) strlen (line))
        {
          _close (poll_in[i]);
          poll_in[i] = -1;
        }
    }
  return 0;
}

/* 100 commands at once, each with its output and its error captured
   (300 things to wait on), driven by subproc_poll without a time limit
   until every run is over.  A child writes only once the test has sent
   it a line, and ends only once its sink has had the line back, from
   within subproc_poll: so the output, not the children's ends, must
   wake the waits.  */
START_TEST (test_poll_many_children)
{
  static subproc_t *cmds[MANY];
  static char *errs[MANY];
  size_t ended[MANY];
  size_t left = MANY;
  HANDLE dog;
  HANDLE done = watchdog_start (&dog);

  for (size_t i = 0; i < MANY; i++)
    {
      int fds[2];
      ck_assert_int_eq (_pipe (fds, 4096, _O_BINARY | _O_NOINHERIT), 0);
      poll_in[i] = fds[1];
      poll_len[i] = 0;
      errs[i] = NULL;
      cmds[i] = subproc_new_arg_list (test_helper (), "echo", NULL);
      subproc_set_input_fd (cmds[i], fds[0]);
      subproc_set_output_sink (cmds[i], poll_sink, (void *) (uintptr_t) i,
                               SUBPROC_SINK_LINES);
      subproc_set_error_buffer (cmds[i], &errs[i]);
      ck_assert_msg (subproc_run_async (cmds[i], NULL) == 0, "%s",
                     subproc_get_error (cmds[i])->message);
      test_close (fds[0]);
    }
  HANDLE feeder = CreateThread (NULL, 0, poll_feed, NULL, 0, NULL);
  ck_assert_ptr_nonnull (feeder);
  while (left > 0)
    {
      int n = subproc_poll (cmds, MANY, -1, ended);
      ck_assert_msg (n > 0, "subproc_poll without a limit gave %d", n);
      for (int k = 0; k < n; k++)
        {
          size_t i = ended[k];
          int status = -1;
          char want[32];
          ck_assert_ptr_nonnull (cmds[i]);
          ck_assert_msg (subproc_try_wait (cmds[i], &status) == 1, "%s",
                         subproc_get_error (cmds[i])
                           ? subproc_get_error (cmds[i])->message
                           : "still running");
          ck_assert_int_eq (status, 0);
          snprintf (want, sizeof want, "child %zu\n", i);
          poll_got[i][poll_len[i]] = '\0';
          ck_assert_str_eq (poll_got[i], want);
          ck_assert_str_eq (errs[i], "");
          free (errs[i]);
          subproc_free (cmds[i]);
          cmds[i] = NULL;
          left--;
        }
    }
  WaitForSingleObject (feeder, INFINITE);
  CloseHandle (feeder);
  watchdog_stop (done, dog);
}
END_TEST

/* The watches of a command are HANDLEs: WaitForMultipleObjects on them
   waits while the child waits, and returns once it writes or ends;
   subproc_advance then moves the run on.  The child reads one byte from
   a pipe of the test's before it writes.  */
START_TEST (test_watches_are_handles)
{
  int hold[2];
  char *out = NULL;
  subproc_watch_t w[8];
  HANDLE h[8];
  int tmo = -2, status = -1;
  subproc_handle_t ph = NULL;

  ck_assert_int_eq (_pipe (hold, 4096, _O_BINARY | _O_NOINHERIT), 0);
  subproc_t *cmd = subproc_new_arg_list (test_helper (), "read-one", NULL);
  subproc_set_input_fd (cmd, hold[0]);
  subproc_set_output_buffer (cmd, &out);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  test_close (hold[0]);
  ck_assert_int_eq (subproc_get_handle (cmd, &ph), 0);
  ck_assert_ptr_nonnull (ph);

  /* The output and the child; nothing is ready, before an advance or
     after one.  */
  for (int round = 0; round < 2; round++)
    {
      int n = subproc_get_watches (cmd, w, 8, &tmo);
      ck_assert_int_eq (n, 2);
      ck_assert_int_eq (tmo, -1);
      bool has_proc = false;
      for (int i = 0; i < n; i++)
        {
          ck_assert_uint_eq (w[i].events, SUBPROC_WATCH_READ);
          h[i] = w[i].handle;
          has_proc |= h[i] == ph;
        }
      ck_assert (has_proc);
      ck_assert_uint_eq (WaitForMultipleObjects ((DWORD) n, h, FALSE, 0),
                         WAIT_TIMEOUT);
      ck_assert_int_eq (subproc_advance (cmd), 0);
    }

  ck_assert_int_eq (_write (hold[1], "x", 1), 1);
  for (;;)
    {
      int n = subproc_get_watches (cmd, w, 8, &tmo);
      ck_assert_int_ge (n, 0);
      ck_assert_int_le (n, 8);
      for (int i = 0; i < n; i++)
        h[i] = w[i].handle;
      if (n > 0)
        {
          /* A limit the child cannot need, so that a lost wake-up fails
             the test rather than hanging it.  */
          DWORD limit = tmo < 0 ? 300 * 1000 : (DWORD) tmo;
          DWORD r = WaitForMultipleObjects ((DWORD) n, h, FALSE, limit);
          ck_assert_msg (r < WAIT_OBJECT_0 + (DWORD) n || tmo >= 0,
                         "no watch became ready");
        }
      else
        ck_assert_int_ge (tmo, 0);
      int r = subproc_advance (cmd);
      ck_assert_int_ge (r, 0);
      if (r == 1)
        break;
    }
  ck_assert_int_eq (subproc_try_wait (cmd, &status), 1);
  ck_assert_int_eq (status, 0);
  ck_assert_str_eq (out, "closed\n");
  free (out);
  test_close (hold[1]);
  subproc_free (cmd);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("win32-spawn");
  TEST_CASE_WITH_TMPDIR (s, batch_args_intact);
  TEST_CASE_WITH_TMPDIR (s, batch_unsafe_args_refused);
  TEST_CASE_WITH_TMPDIR (s, batch_trailing_backslash);
  TEST_CASE_WITH_TMPDIR (s, batch_found_through_path);
  TEST_CASE (s, batch_names);
  TEST_CASE (s, unpassed_handle_not_inherited);
  TEST_CASE (s, passed_fd_keeps_number);
  TEST_CASE (s, abort_kills_tree);
  TEST_CASE (s, timeout_kills_tree);
  TEST_CASE (s, child_in_job);
  TEST_CASE (s, abort_status_is_abnormal);
  TEST_CASE (s, exception_status);
  TEST_CASE_WITH_TMPDIR (s, unicode_program_args_env_cwd);
  TEST_CASE (s, env_names_ignore_case);
  TEST_CASE (s, env_names_ignore_unicode_case);
  TEST_CASE (s, env_block_order);
  TEST_CASE_WITH_TMPDIR (s, no_search_in_cwd);
  TEST_CASE_WITH_TMPDIR (s, pathext);
  TEST_CASE (s, hook_failure_child_never_runs);
  TEST_CASE (s, handshake_holds_child);
  TEST_CASE_WITH_TMPDIR (s, daemon_pid_file);
  TEST_CASE (s, unsupported_options);
  TEST_CASE_WITH_TMPDIR (s, win32_stages);
  TEST_CASE (s, clear_caps);
  TEST_CASE_WITH_TMPDIR (s, relative_batch_with_working_directory);
  TEST_CASE_WITH_TMPDIR (s, pid_file_held);
  TEST_CASE_WITH_TMPDIR (s, pid_file_removed_only_if_created);
  TEST_CASE_WITH_TMPDIR (s, pid_file_links_refused);
  TEST_CASE (s, send_buffer_above_stdio);
  TEST_CASE (s, 64mib_both_ways);
  TEST_CASE (s, interleaved_output_and_error);
  TEST_CASE (s, io_wait_many_children);
  TEST_CASE (s, io_watches_are_handles);
  TEST_CASE (s, poll_many_children);
  TEST_CASE (s, watches_are_handles);
  return s;
}

MAIN_SUITE (make_suite)
