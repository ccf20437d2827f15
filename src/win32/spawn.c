/* spawn.c: preparing and starting children on Win32.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A child is created suspended with CreateProcessW, inheriting exactly
 * the handles it is given (PROC_THREAD_ATTRIBUTE_HANDLE_LIST), is put in
 * a job object of its own so that the whole tree can be stopped, gets
 * its pid file, runs the pre-exec hook's verdict, and only then runs
 * (or, with a handshake, waits for subproc_handshake_notify).
 */

#include <config.h>

#include <errno.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "win32.h"

/* The longest command line CreateProcessW takes, and the longest cmd.exe
   takes, in UTF-16 units without the terminator.  */
#define CMDLINE_MAX 32766
#define CMD_EXE_LINE_MAX 8191

/* How many times a CreateProcessW that Wine fails with
   ERROR_INTERNAL_ERROR is tried in all (see create_process).  */
#define INTERNAL_ERROR_TRIES 5

/* The C runtime's flags for inherited descriptors (lpReserved2).  */
#define CRT_FOPEN 0x01
#define CRT_FPIPE 0x08
#define CRT_FDEV 0x40

/* ------------------------------------------------------------------ */
/* Preparation.  */

/* The limits of OPT that this platform cannot honour, or NULL: every
   rlimit of subproc_set_rlimit, and those of the builder calls but the
   ones a job has; a daemon is in no job, so none of those either.  */
static const char *
check_limits (const sp_options_t *opt)
{
  static const char *const names[] = {
    [SP_LIMIT_MEMLOCK] = "max_memlock",
    [SP_LIMIT_PROCESSES] = "max_processes for a daemon",
    [SP_LIMIT_FILES] = "max_files",
    [SP_LIMIT_CORE] = "max_core_size",
    [SP_LIMIT_AS] = "max_address_space for a daemon",
    [SP_LIMIT_DATA] = "max_data for a daemon",
    [SP_LIMIT_CPU] = "max_cpu_time for a daemon",
  };

  for (size_t i = 0; i < opt->n_rlimits; i++)
    {
      int which = -opt->rlimits[i].resource;
      if (which <= 0 || (size_t) which >= sizeof names / sizeof names[0])
        return "rlimit";
      bool job = which == SP_LIMIT_PROCESSES || which == SP_LIMIT_AS
                 || which == SP_LIMIT_DATA || which == SP_LIMIT_CPU;
      if (!job || opt->daemonize)
        return names[which];
    }
  if (opt->set_job_memory && opt->daemonize)
    return "job_memory_limit for a daemon";
  return NULL;
}

/* Check the options that this platform cannot honour (uid, gid, umask,
   rlimits but those of a job): 0 or -1 with *F
   (SUBPROC_ERR_UNSUPPORTED).  */
static int
check_spec (const sp_spec_t *spec, sp_fail_t *f)
{
  const char *what = NULL;

  if (spec->opt->set_uid)
    what = "uid";
  else if (spec->opt->set_gid)
    what = "gid";
  else if (spec->opt->set_umask)
    what = "umask";
  else if (spec->opt->no_new_privs)
    what = "no_new_privs";
  else if (spec->opt->selinux_label)
    what = "selinux_label";
  else if (spec->opt->apparmor_profile)
    what = "apparmor_profile";
  else if (spec->opt->sched_core == SP_SCHED_CORE_ALONE)
    what = "run_alone";
  else if (spec->opt->sched_core == SP_SCHED_CORE_AMONG)
    what = "run_among";
  else if (spec->opt->new_session)
    /* No sessions of the POSIX kind: a new process group only leaves
       the console's Ctrl-C group, and the child keeps the console.  */
    what = "new_session";
  else if (spec->opt->cgroup)
    what = "cgroup";
  else
    what = check_limits (spec->opt);
  if (what)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS,
                    SP_STAGE_UNSUPPORTED, what);
  /* A daemon is detached (DETACHED_PROCESS): a new console, or one
     without a window, contradicts that.  */
  if (spec->opt->daemonize
      && (spec->opt->creation_flags
          & (SUBPROC_WIN32_NEW_CONSOLE | SUBPROC_WIN32_NO_WINDOW)))
    return sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_UNSUPPORTED,
                    "a console for a daemon");
  return 0;
}

int
sp_backend_prepare (sp_spec_t *spec, sp_fail_t *f)
{
  if (check_spec (spec, f) < 0)
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
/* The environment block.  */

typedef struct env_entry
{
  const uint16_t *s;
  size_t name_len;
} env_entry_t;

static int
env_entry_cmp (const void *a, const void *b)
{
  const env_entry_t *x = a, *y = b;
  /* Windows keeps the block sorted by name, ignoring case, by ordinal
     (not locale) order of the upper-cased names.  */
  int r = CompareStringOrdinal (x->s, (int) x->name_len, y->s,
                                (int) y->name_len, TRUE);
  return r - CSTR_EQUAL;
}

/* A sorted UTF-16 environment block from ENVP, or NULL with errno.  */
static uint16_t *
env_block (char *const *envp)
{
  size_t n = 0;
  while (envp[n])
    n++;

  uint16_t **wide = sp_calloc (n + 1, sizeof *wide);
  env_entry_t *entries = sp_calloc (n + 1, sizeof *entries);
  uint16_t *block = NULL;
  size_t total = 1;

  if (wide == NULL || entries == NULL)
    goto out;
  for (size_t i = 0; i < n; i++)
    {
      wide[i] = sp_win32_to_utf16 (envp[i]);
      if (wide[i] == NULL)
        goto out;
      size_t len = 0, name_len = 0;
      while (wide[i][len])
        len++;
      /* Names like "=C:" (the per-drive directories) start with '='.  */
      for (name_len = 1; name_len < len && wide[i][name_len] != '=';
           name_len++)
        ;
      entries[i].s = wide[i];
      entries[i].name_len = name_len;
      total += len + 1;
    }
  qsort (entries, n, sizeof *entries, env_entry_cmp);

  block = sp_reallocarray (NULL, total + 1, sizeof *block);
  if (block == NULL)
    goto out;
  size_t pos = 0;
  for (size_t i = 0; i < n; i++)
    {
      for (const uint16_t *p = entries[i].s; *p; p++)
        block[pos++] = *p;
      block[pos++] = 0;
    }
  /* An empty block still needs two terminators.  */
  if (n == 0)
    block[pos++] = 0;
  block[pos] = 0;

out:;
  int saved = errno;
  if (wide)
    for (size_t i = 0; i < n; i++)
      free (wide[i]);
  free (wide);
  free (entries);
  errno = saved;
  return block;
}

/* ------------------------------------------------------------------ */
/* Everything a spawn builds, so that one function can undo it.  */

typedef struct spawn
{
  uint16_t *app;
  uint16_t *cmdline;
  uint16_t *env;
  uint16_t *cwd;
  uint16_t *pid_path;

  HANDLE null_dev;          /* inheritable NUL, if a stream needs it */
  HANDLE std[3];            /* what the child gets as 0, 1, 2 */
  HANDLE *dups;             /* inheritable duplicates we made */
  size_t n_dups;
  HANDLE *list;             /* the handle list: each once */
  size_t n_list;
  HANDLE pid_file;
  bool pid_file_made;       /* this call created the file */

  unsigned char *crt;       /* the C runtime's descriptor table */
  size_t crt_size;

  LPPROC_THREAD_ATTRIBUTE_LIST attrs;
  bool attrs_ready;
  HANDLE token;
  HANDLE job;
  PROCESS_INFORMATION pi;
} spawn_t;

/* Remove the pid file that H has open: that file, through a new handle
   to it, not whatever its name leads to by now.  H itself has no DELETE
   access: with it, nobody could open the file for reading without
   sharing deletion.  */
static void
remove_pid_file (HANDLE h)
{
  HANDLE del = ReOpenFile (h, DELETE,
                           FILE_SHARE_READ | FILE_SHARE_WRITE
                             | FILE_SHARE_DELETE,
                           FILE_FLAG_OPEN_REPARSE_POINT);
  if (del == INVALID_HANDLE_VALUE)
    return;
  FILE_DISPOSITION_INFO gone = { TRUE };
  SetFileInformationByHandle (del, FileDispositionInfo, &gone, sizeof gone);
  CloseHandle (del);
}

static void
spawn_cleanup (spawn_t *s, bool failed)
{
  int saved = errno;
  if (failed && s->pi.hProcess)
    {
      TerminateProcess (s->pi.hProcess, (UINT) SP_WIN32_KILL_CODE);
      WaitForSingleObject (s->pi.hProcess, INFINITE);
    }
  if (s->pi.hThread)
    CloseHandle (s->pi.hThread);
  if (s->pi.hProcess)
    CloseHandle (s->pi.hProcess);
  if (s->job)
    CloseHandle (s->job);
  for (size_t i = 0; i < s->n_dups; i++)
    CloseHandle (s->dups[i]);
  if (s->null_dev)
    CloseHandle (s->null_dev);
  if (s->pid_file)
    {
      if (failed && s->pid_file_made)
        remove_pid_file (s->pid_file);
      CloseHandle (s->pid_file);
    }
  if (s->token)
    CloseHandle (s->token);
  if (s->attrs_ready)
    DeleteProcThreadAttributeList (s->attrs);
  free (s->attrs);
  free (s->dups);
  free (s->list);
  free (s->crt);
  free (s->app);
  free (s->cmdline);
  free (s->env);
  free (s->cwd);
  free (s->pid_path);
  errno = saved;
}

/* An inheritable duplicate of FD's handle, recorded for the list and
   for closing.  The caller's own handle is never made inheritable:
   another thread may be creating a process at this very moment.  */
static HANDLE
dup_fd (spawn_t *s, int fd, sp_fail_t *f)
{
  HANDLE h = (HANDLE) _get_osfhandle (fd);
  HANDLE d;
  if (h == INVALID_HANDLE_VALUE || h == NULL)
    {
      sp_fail (f, SUBPROC_ERR_INVALID, EBADF, SP_STAGE_DUP, NULL);
      return NULL;
    }
  if (!DuplicateHandle (GetCurrentProcess (), h, GetCurrentProcess (), &d,
                        0, TRUE, DUPLICATE_SAME_ACCESS))
    {
      sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_DUP, NULL);
      return NULL;
    }
  s->dups[s->n_dups++] = d;
  s->list[s->n_list++] = d;
  return d;
}

static HANDLE
null_device (spawn_t *s, sp_fail_t *f)
{
  if (s->null_dev)
    return s->null_dev;
  SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
  HANDLE h = CreateFileW (L"NUL", GENERIC_READ | GENERIC_WRITE,
                          FILE_SHARE_READ | FILE_SHARE_WRITE, &sa,
                          OPEN_EXISTING, 0, NULL);
  if (h == INVALID_HANDLE_VALUE)
    {
      sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_DUP, "NUL");
      return NULL;
    }
  s->null_dev = h;
  s->list[s->n_list++] = h;
  return h;
}

/* The table through which the C runtime gives descriptors to its
   children (what _spawn fills in STARTUPINFO.lpReserved2): an int N,
   then N flag bytes, then N handles, packed.  Descriptors 0 to 2 are
   left out (no FOPEN): the child's runtime then takes the standard
   handles of STARTUPINFO for them, in its usual text mode.  KEEP holds
   the handles of SPEC's keep_fds, then those of its fd_maps, which go to
   the slots of their targets: the table is made from nothing, so any
   mapping (a chain, a cycle) needs no ordering.  */
static int
crt_table (spawn_t *s, const sp_spec_t *spec, const HANDLE *keep,
           sp_fail_t *f)
{
  size_t n = spec->n_keep_fds + spec->n_fd_maps;
  int count = 0;
  for (size_t i = 0; i < n; i++)
    {
      int slot = i < spec->n_keep_fds
                   ? spec->keep_fds[i]
                   : spec->fd_maps[i - spec->n_keep_fds].target;
      if (slot >= 0xFFFF)
        return sp_fail (f, SUBPROC_ERR_INVALID, EBADF, SP_STAGE_DUP,
                        "descriptor number too large to pass");
      if (slot + 1 > count)
        count = slot + 1;
    }
  if (count == 0)
    return 0;

  size_t size = sizeof (int) + (size_t) count * (1 + sizeof (HANDLE));
  if (size > 0xFFFF)
    return sp_fail (f, SUBPROC_ERR_INVALID, EBADF, SP_STAGE_DUP,
                    "descriptor number too large to pass");
  s->crt = sp_calloc (1, size);
  if (s->crt == NULL)
    return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_DUP, NULL);
  s->crt_size = size;

  unsigned char *flags = s->crt + sizeof (int);
  unsigned char *handles = flags + count;
  memcpy (s->crt, &count, sizeof count);
  for (int fd = 0; fd < count; fd++)
    {
      HANDLE h = INVALID_HANDLE_VALUE;
      memcpy (handles + (size_t) fd * sizeof h, &h, sizeof h);
    }
  for (size_t i = 0; i < n; i++)
    {
      int fd = i < spec->n_keep_fds
                 ? spec->keep_fds[i]
                 : spec->fd_maps[i - spec->n_keep_fds].target;
      if (fd < 3)
        continue;
      unsigned char fl = CRT_FOPEN;
      switch (GetFileType (keep[i]))
        {
        case FILE_TYPE_PIPE:
          fl |= CRT_FPIPE;
          break;
        case FILE_TYPE_CHAR:
          fl |= CRT_FDEV;
          break;
        default:
          break;
        }
      flags[fd] = fl;
      memcpy (handles + (size_t) fd * sizeof keep[i], &keep[i],
              sizeof keep[i]);
    }
  return 0;
}

/* Stdio, passed descriptors, the pid file: the handles the child gets,
   and the attribute that limits inheritance to them.  */
static int
setup_handles (spawn_t *s, const sp_spec_t *spec, STARTUPINFOEXW *si,
               sp_fail_t *f)
{
  size_t n_keep = spec->n_keep_fds + spec->n_fd_maps;
  size_t max = 3 + n_keep + 2;
  HANDLE *keep = NULL;

  s->dups = sp_calloc (max, sizeof *s->dups);
  s->list = sp_calloc (max, sizeof *s->list);
  keep = sp_calloc (n_keep + 1, sizeof *keep);
  if (s->dups == NULL || s->list == NULL || keep == NULL)
    {
      free (keep);
      return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_DUP, NULL);
    }

  for (int i = 0; i < 3; i++)
    {
      int fd = spec->stdio[i];
      s->std[i] = fd < 0 ? null_device (s, f) : dup_fd (s, fd, f);
      if (s->std[i] == NULL)
        goto fail;
    }
  /* A source given to several numbers gets a duplicate for each, so
     that the list names every handle once.  */
  for (size_t i = 0; i < n_keep; i++)
    {
      int fd = i < spec->n_keep_fds
                 ? spec->keep_fds[i]
                 : spec->fd_maps[i - spec->n_keep_fds].source;
      keep[i] = dup_fd (s, fd, f);
      if (keep[i] == NULL)
        goto fail;
    }
  if (s->pid_file)
    s->list[s->n_list++] = s->pid_file;
  if (crt_table (s, spec, keep, f) < 0)
    goto fail;
  free (keep);
  keep = NULL;

  SIZE_T size = 0;
  InitializeProcThreadAttributeList (NULL, 1, 0, &size);
  s->attrs = sp_malloc (size);
  if (s->attrs == NULL)
    return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_DUP, NULL);
  if (!InitializeProcThreadAttributeList (s->attrs, 1, 0, &size))
    goto sys_fail;
  s->attrs_ready = true;
  if (!UpdateProcThreadAttribute (s->attrs, 0,
                                  PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                  s->list, s->n_list * sizeof *s->list,
                                  NULL, NULL))
    goto sys_fail;

  si->StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  si->StartupInfo.hStdInput = s->std[0];
  si->StartupInfo.hStdOutput = s->std[1];
  si->StartupInfo.hStdError = s->std[2];
  si->StartupInfo.cbReserved2 = (WORD) s->crt_size;
  si->StartupInfo.lpReserved2 = s->crt;
  si->lpAttributeList = s->attrs;
  return 0;

sys_fail:
  sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_DUP, NULL);
fail:
  free (keep);
  return -1;
}

/* The application and command line: the program itself, or cmd.exe
   running a batch file.  */
static int
setup_cmdline (spawn_t *s, const sp_spec_t *spec, sp_fail_t *f)
{
  bool batch = sp_win32_is_batch (spec->path);
  size_t len, bad;
  enum sp_win32_quote_status st;
  size_t limit = batch ? CMD_EXE_LINE_MAX : CMDLINE_MAX;

  if (sp_win32_odd_colon (spec->path))
    return sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_QUOTING,
                    "program name with ':'");
  if (batch)
    st = sp_win32_quote_batch (spec->path, spec->argv, NULL, 0, &len, &bad);
  else
    st = sp_win32_quote_argv (spec->argv, NULL, 0, &len, &bad);
  switch (st)
    {
    case SP_WIN32_QUOTE_OK:
      break;
    case SP_WIN32_QUOTE_ARGV0:
      return sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_QUOTING,
                      "'\"' in the program name, or a '\\' ending one "
                      "with blanks");
    case SP_WIN32_QUOTE_SCRIPT:
      return sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_QUOTING,
                      "batch file name that cmd.exe cannot be given");
    case SP_WIN32_QUOTE_ARG:
    default:
      return sp_fail (f, SUBPROC_ERR_INVALID, EINVAL, SP_STAGE_QUOTING,
                      "batch file argument with '\"', '%' or a control "
                      "character");
    }

  char *line = sp_malloc (len + 1);
  if (line == NULL)
    return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_QUOTING, NULL);
  if (batch)
    sp_win32_quote_batch (spec->path, spec->argv, line, len + 1, &len,
                          &bad);
  else
    sp_win32_quote_argv (spec->argv, line, len + 1, &len, &bad);
  s->cmdline = sp_win32_to_utf16 (line);
  free (line);
  if (s->cmdline == NULL)
    return sp_fail (f, errno == ENOMEM ? SUBPROC_ERR_NOMEM
                                       : SUBPROC_ERR_INVALID,
                    errno, SP_STAGE_ENCODING, NULL);
  size_t units = 0;
  while (s->cmdline[units])
    units++;
  if (units > limit)
    return sp_fail (f, SUBPROC_ERR_INVALID, E2BIG, SP_STAGE_QUOTING,
                    "command line too long");

  if (batch)
    {
      /* cmd.exe from the system directory, never from PATH or COMSPEC,
         which whoever sets the environment controls.  */
      wchar_t sys[MAX_PATH];
      UINT n = GetSystemDirectoryW (sys, MAX_PATH);
      if (n == 0 || n >= MAX_PATH - 9)
        return sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_EXEC,
                              "cmd.exe");
      s->app = sp_reallocarray (NULL, n + 9, sizeof *s->app);
      if (s->app == NULL)
        return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_EXEC, NULL);
      memcpy (s->app, sys, n * sizeof *sys);
      memcpy (s->app + n, L"\\cmd.exe", 9 * sizeof (wchar_t));
    }
  else
    {
      s->app = sp_win32_to_utf16 (spec->path);
      if (s->app == NULL)
        return sp_fail (f, SUBPROC_ERR_NOMEM, errno, SP_STAGE_ENCODING,
                        NULL);
    }
  return 0;
}

/* Is the pid file that H opened one that may be written: a regular file
   with one link, not a reparse point?  Anything else could be another
   file reached through the name (a hard link, a symbolic link or a
   junction planted by whoever can write the directory), or a device.  */
static int
check_pid_file (HANDLE h, const sp_spec_t *spec, sp_fail_t *f)
{
  BY_HANDLE_FILE_INFORMATION info;
  int err = 0;

  if (GetFileType (h) != FILE_TYPE_DISK)
    err = EINVAL;
  else if (!GetFileInformationByHandle (h, &info))
    return sp_win32_fail (f, SUBPROC_ERR_SPAWN, SP_STAGE_PIDFILE,
                          spec->opt->pid_file);
  else if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT)
    err = ELOOP;
  else if (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
    err = EISDIR;
  else if (info.nNumberOfLinks != 1)
    err = EMLINK;
  if (err)
    return sp_fail (f, SUBPROC_ERR_SPAWN, err, SP_STAGE_PIDFILE,
                    spec->opt->pid_file);
  return 0;
}

/* Open the pid file before the child exists, so that the child can
   inherit the handle: while it (or a process it handed the handle to)
   lives, the file cannot be opened for writing, which is how a second
   instance can tell.

   The file is created if it does not exist (CREATE_NEW: then this call
   made it, and removes it if the spawn fails), else opened as it is; a
   reparse point is opened itself, never followed, and refused with
   anything else that is not a plain file (check_pid_file).  An existing
   file is left as it was until the pid is written (write_pid_file
   truncates it).  The messages name the file (spec->opt->pid_file lives as
   long as the command).  */
static int
open_pid_file (spawn_t *s, const sp_spec_t *spec, sp_fail_t *f)
{
  s->pid_path = sp_win32_to_utf16 (spec->opt->pid_file);
  if (s->pid_path == NULL)
    return sp_fail (f, errno == ENOMEM ? SUBPROC_ERR_NOMEM
                                       : SUBPROC_ERR_INVALID,
                    errno, SP_STAGE_PIDFILE, NULL);

  SECURITY_ATTRIBUTES sa = { sizeof sa, NULL, TRUE };
  const DWORD share = FILE_SHARE_READ | FILE_SHARE_DELETE;
  const DWORD flags = FILE_ATTRIBUTE_NORMAL | FILE_FLAG_OPEN_REPARSE_POINT;
  HANDLE h = INVALID_HANDLE_VALUE;
  bool made = false;
  /* A file removed between the two calls is simply created; a few
     rounds bound a loop against someone who keeps doing that.  */
  for (int tries = 0; tries < 3; tries++)
    {
      h = CreateFileW (s->pid_path, GENERIC_WRITE, share, &sa, CREATE_NEW,
                       flags, NULL);
      if (h != INVALID_HANDLE_VALUE)
        {
          made = true;
          break;
        }
      DWORD err = GetLastError ();
      if (err != ERROR_FILE_EXISTS && err != ERROR_ALREADY_EXISTS)
        break;
      h = CreateFileW (s->pid_path, GENERIC_WRITE, share, &sa,
                       OPEN_EXISTING, flags, NULL);
      if (h != INVALID_HANDLE_VALUE || GetLastError () != ERROR_FILE_NOT_FOUND)
        break;
    }
  if (h == INVALID_HANDLE_VALUE)
    /* SUBPROC_ERR_SPAWN, as when the POSIX child cannot write it; a
       file a running child holds is EACCES here (EAGAIN or EACCES
       there).  */
    return sp_win32_fail (f, SUBPROC_ERR_SPAWN, SP_STAGE_PIDFILE,
                          spec->opt->pid_file);
  s->pid_file = h;
  s->pid_file_made = made;
  return check_pid_file (h, spec, f);
}

static int
write_pid_file (spawn_t *s, const sp_spec_t *spec, DWORD pid, sp_fail_t *f)
{
  char text[32];
  int n = snprintf (text, sizeof text, "%lu\n", (unsigned long) pid);
  DWORD done;
  LARGE_INTEGER zero = { .QuadPart = 0 };
  if (!SetFilePointerEx (s->pid_file, zero, NULL, FILE_BEGIN)
      || !SetEndOfFile (s->pid_file)
      || !WriteFile (s->pid_file, text, (DWORD) n, &done, NULL)
      || done != (DWORD) n || !FlushFileBuffers (s->pid_file))
    return sp_win32_fail (f, SUBPROC_ERR_SPAWN, SP_STAGE_PIDFILE,
                          spec->opt->pid_file);
  /* The child's inherited copy keeps the file locked; ours must go.  */
  CloseHandle (s->pid_file);
  s->pid_file = NULL;
  return 0;
}

static int
setup_job (spawn_t *s, const sp_spec_t *spec, sp_fail_t *f)
{
  s->job = CreateJobObjectW (NULL, NULL);
  if (s->job == NULL)
    return sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_JOB, NULL);

  JOBOBJECT_EXTENDED_LIMIT_INFORMATION info;
  memset (&info, 0, sizeof info);
  /* A grandchild that asks to leave (a daemon) may, as setsid lets it
     escape a process group on POSIX.  */
  info.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_BREAKAWAY_OK;
  if (spec->opt->kill_on_parent_exit)
    info.BasicLimitInformation.LimitFlags
      |= JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
  const sp_rlimit_t *l;
  if ((l = sp_rlimit_find (spec->opt, -SP_LIMIT_PROCESSES)))
    {
      /* The child counts: with 0, not even the child could run, while
         RLIMIT_NPROC 0 still lets it exec.  */
      info.BasicLimitInformation.LimitFlags
        |= JOB_OBJECT_LIMIT_ACTIVE_PROCESS;
      info.BasicLimitInformation.ActiveProcessLimit
        = l->soft == 0 ? 1 : l->soft > 0xffffffffULL ? 0xffffffffUL
                                                      : (DWORD) l->soft;
    }
  /* Address space and data are one thing here: the memory a process
     commits.  The smaller wins.  */
  unsigned long long mem = SUBPROC_RLIM_INFINITY;
  if ((l = sp_rlimit_find (spec->opt, -SP_LIMIT_AS)))
    mem = l->soft;
  if ((l = sp_rlimit_find (spec->opt, -SP_LIMIT_DATA)) && l->soft < mem)
    mem = l->soft;
  if (mem != SUBPROC_RLIM_INFINITY)
    {
      info.BasicLimitInformation.LimitFlags
        |= JOB_OBJECT_LIMIT_PROCESS_MEMORY;
      info.ProcessMemoryLimit = mem > SIZE_MAX ? SIZE_MAX : (SIZE_T) mem;
    }
  if (spec->opt->set_job_memory)
    {
      info.BasicLimitInformation.LimitFlags |= JOB_OBJECT_LIMIT_JOB_MEMORY;
      info.JobMemoryLimit = spec->opt->job_memory > SIZE_MAX
                              ? SIZE_MAX
                              : (SIZE_T) spec->opt->job_memory;
    }
  if ((l = sp_rlimit_find (spec->opt, -SP_LIMIT_CPU)))
    {
      /* Seconds to 100 ns ticks; only user time counts here.  */
      info.BasicLimitInformation.LimitFlags
        |= JOB_OBJECT_LIMIT_PROCESS_TIME;
      info.BasicLimitInformation.PerProcessUserTimeLimit.QuadPart
        = l->soft > 922337203685ULL ? INT64_MAX
                                    : (LONGLONG) (l->soft * 10000000ULL);
    }
  if (!SetInformationJobObject (s->job, JobObjectExtendedLimitInformation,
                                &info, sizeof info))
    return sp_win32_fail (f, SUBPROC_ERR_SYSTEM, SP_STAGE_JOB, NULL);
  return 0;
}

/* Should a console child be kept from opening a console window?  A GUI
   program has no console, and each console child would flash a window
   of its own: CREATE_NO_WINDOW gives it a hidden console instead (one
   that its own children share).  A console program without a console
   (detached, a service) does not get the flag: there is nobody to see a
   window, and under Wine the hidden console is one more process, which
   also keeps the child's working directory busy for a while after the
   child has ended.  */
static bool
want_hidden_console (void)
{
  if (GetConsoleCP () != 0)
    return false;
  const unsigned char *base = (const unsigned char *) GetModuleHandleW (NULL);
  if (base == NULL)
    return false;
  const IMAGE_DOS_HEADER *dos = (const IMAGE_DOS_HEADER *) base;
  const IMAGE_NT_HEADERS *nt
    = (const IMAGE_NT_HEADERS *) (base + dos->e_lfanew);
  return nt->OptionalHeader.Subsystem == IMAGE_SUBSYSTEM_WINDOWS_GUI;
}

/* Calls of CreateProcessW (and CreateProcessAsUserW) by the library are
   made one at a time.  Under Wine (checked with 8.0) concurrent process
   creation from several threads of one process now and then fails with
   ERROR_INTERNAL_ERROR: Wine forks and execs a Unix process for each
   child, and the new process can die before it has connected to the
   wineserver (the failure never happens with one thread, nor with the
   calls serialised; a program of 30 lines that only calls CreateProcessW
   from 8 threads shows it, about once in 3000 calls).  Windows itself
   is not known to need this, but CreateProcess is short next to what a
   child costs, and runtimes that spawn from many threads commonly
   serialise it anyway.  */
static SRWLOCK create_lock = SRWLOCK_INIT;

/* CreateProcessW or, with a token, CreateProcessAsUserW, for S.  FALSE
   with GetLastError () on failure.

   ERROR_INTERNAL_ERROR is what Wine reports when the new process died
   before it ran any of its code (NtCreateUserProcess reads it from a
   process that never reached its initialisation): nothing of the child
   ran, so the call is simply made again, a few times.  The lock above
   keeps the library's own threads from causing it, but other threads of
   the caller may be creating processes too.  Windows does not give this
   error for CreateProcess.  */
static BOOL
create_process (spawn_t *s, DWORD flags, STARTUPINFOEXW *si)
{
  BOOL ok = FALSE;

  for (int tries = 0; tries < INTERNAL_ERROR_TRIES; tries++)
    {
      AcquireSRWLockExclusive (&create_lock);
      if (s->token)
        ok = CreateProcessAsUserW (s->token, s->app, s->cmdline, NULL, NULL,
                                   TRUE, flags, s->env, s->cwd,
                                   &si->StartupInfo, &s->pi);
      else
        ok = CreateProcessW (s->app, s->cmdline, NULL, NULL, TRUE, flags,
                             s->env, s->cwd, &si->StartupInfo, &s->pi);
      DWORD err = ok ? ERROR_SUCCESS : GetLastError ();
      ReleaseSRWLockExclusive (&create_lock);
      SetLastError (err);
      if (ok || err != ERROR_INTERNAL_ERROR)
        break;
    }
  return ok;
}

/* The child's working directory in S->cwd: the caller's, or for a
   daemon without one the system drive's root, as "/" on POSIX.  */
static int
setup_cwd (spawn_t *s, const sp_spec_t *spec, sp_fail_t *f)
{
  if (spec->opt->daemonize && spec->opt->cwd == NULL)
    {
      wchar_t sys[MAX_PATH];
      UINT n = GetSystemDirectoryW (sys, MAX_PATH);
      s->cwd = sp_calloc (4, sizeof *s->cwd);
      if (s->cwd == NULL)
        return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_CHDIR, NULL);
      if (n >= 3 && sys[1] == L':')
        {
          s->cwd[0] = sys[0];
          s->cwd[1] = L':';
          s->cwd[2] = L'\\';
        }
      else
        memcpy (s->cwd, L"C:\\", 4 * sizeof (wchar_t));
    }
  else if (spec->opt->cwd)
    {
      s->cwd = sp_win32_to_utf16 (spec->opt->cwd);
      if (s->cwd == NULL)
        return sp_fail (f, errno == ENOMEM ? SUBPROC_ERR_NOMEM
                                           : SUBPROC_ERR_INVALID,
                        errno, SP_STAGE_CHDIR, NULL);
    }
  return 0;
}

/* The priority class for the nice increment of subproc_set_priority
   (documented in lib/subproc.h); never REALTIME_PRIORITY_CLASS, which
   can starve the system.  */
static DWORD
priority_class (int increment)
{
  if (increment >= 15)
    return IDLE_PRIORITY_CLASS;
  if (increment >= 5)
    return BELOW_NORMAL_PRIORITY_CLASS;
  if (increment > -5)
    return NORMAL_PRIORITY_CLASS;
  if (increment > -15)
    return ABOVE_NORMAL_PRIORITY_CLASS;
  return HIGH_PRIORITY_CLASS;
}

/* The CreateProcess flags of subproc_set_creation_flags.  */
static DWORD
caller_creation_flags (unsigned int flags)
{
  DWORD r = 0;
  if (flags & SUBPROC_WIN32_NO_WINDOW)
    r |= CREATE_NO_WINDOW;
  if (flags & SUBPROC_WIN32_NEW_CONSOLE)
    r |= CREATE_NEW_CONSOLE;
  if (flags & SUBPROC_WIN32_DETACHED)
    r |= DETACHED_PROCESS;
  if (flags & SUBPROC_WIN32_DEFAULT_ERROR_MODE)
    r |= CREATE_DEFAULT_ERROR_MODE;
  return r;
}

/* Create the child suspended, with the creation flags SPEC asks for.
   The library's own are always there: CREATE_SUSPENDED (the job, the
   pid file and the hook come before the child runs),
   CREATE_UNICODE_ENVIRONMENT (the block is UTF-16) and
   EXTENDED_STARTUPINFO_PRESENT (the handle list); CREATE_NEW_PROCESS_GROUP
   for subproc_new_process_group and a daemon, which is also
   DETACHED_PROCESS and CREATE_BREAKAWAY_FROM_JOB.  */
static int
create_suspended (spawn_t *s, const sp_spec_t *spec, STARTUPINFOEXW *si,
                  sp_fail_t *f)
{
  DWORD flags = CREATE_UNICODE_ENVIRONMENT | CREATE_SUSPENDED
                | EXTENDED_STARTUPINFO_PRESENT;
  unsigned int asked = spec->opt->creation_flags;
  flags |= caller_creation_flags (asked);
  if (spec->opt->set_priority)
    flags |= priority_class (spec->opt->nice_increment);
  if (spec->opt->new_process_group)
    flags |= CREATE_NEW_PROCESS_GROUP;
  if (spec->opt->daemonize)
    flags |= DETACHED_PROCESS | CREATE_NEW_PROCESS_GROUP
             | CREATE_BREAKAWAY_FROM_JOB;
  /* CREATE_NO_WINDOW is ignored with a console of the caller's choosing
     (a new one, or none).  */
  else if (!(asked & (SUBPROC_WIN32_NEW_CONSOLE | SUBPROC_WIN32_DETACHED))
           && want_hidden_console ())
    flags |= CREATE_NO_WINDOW;

  for (;;)
    {
      if (create_process (s, flags, si))
        return 0;
      /* Our own job may forbid breaking away; a daemon then stays in
         it, which is the best the system allows.  */
      if ((flags & CREATE_BREAKAWAY_FROM_JOB)
          && GetLastError () == ERROR_ACCESS_DENIED)
        {
          flags &= ~(DWORD) CREATE_BREAKAWAY_FROM_JOB;
          continue;
        }
      memset (&s->pi, 0, sizeof s->pi);
      DWORD err = GetLastError ();
      sp_stage_t stage = SP_STAGE_EXEC;
      int sys_errno = sp_win32_errno (err);
      /* A bad working directory reads as ERROR_DIRECTORY (or "path not
         found"); tell a missing one from one that is not a directory,
         as chdir would.  */
      if (s->cwd && (err == ERROR_DIRECTORY || err == ERROR_PATH_NOT_FOUND))
        {
          DWORD attr = GetFileAttributesW (s->cwd);
          if (attr == INVALID_FILE_ATTRIBUTES)
            {
              stage = SP_STAGE_CHDIR;
              sys_errno = ENOENT;
            }
          else if (!(attr & FILE_ATTRIBUTE_DIRECTORY))
            {
              stage = SP_STAGE_CHDIR;
              sys_errno = ENOTDIR;
            }
        }
      return sp_fail (f, SUBPROC_ERR_SPAWN, sys_errno, stage, NULL);
    }
}

/* The priority class was given to CreateProcess; Wine (checked with
   8.0) ignores that flag, but honours SetPriorityClass on the child,
   which is still suspended here.  */
static int
check_priority (spawn_t *s, const sp_spec_t *spec, sp_fail_t *f)
{
  DWORD want = priority_class (spec->opt->nice_increment);
  if (GetPriorityClass (s->pi.hProcess) == want)
    return 0;
  if (!SetPriorityClass (s->pi.hProcess, want))
    return sp_win32_fail (f, SUBPROC_ERR_SPAWN, SP_STAGE_PRIORITY, NULL);
  return 0;
}

/* Let the child run (with a handshake: keep it suspended) and hand it
   to a new proc in *PROC.  */
static int
start_child (spawn_t *s, const sp_spec_t *spec, sp_proc_t **proc,
             sp_fail_t *f)
{
  sp_proc_t *p = sp_calloc (1, sizeof *p);
  if (p == NULL)
    return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_FORK, NULL);
  if (!spec->opt->handshake || spec->opt->daemonize)
    {
      if (ResumeThread (s->pi.hThread) == (DWORD) -1)
        {
          sp_win32_fail (f, SUBPROC_ERR_SPAWN, SP_STAGE_EXEC, NULL);
          free (p);
          return -1;
        }
      CloseHandle (s->pi.hThread);
    }
  else
    p->thread = s->pi.hThread;
  s->pi.hThread = NULL;

  p->pid = s->pi.dwProcessId;
  p->kill_on_close = spec->opt->kill_on_parent_exit;
  if (spec->opt->daemonize)
    {
      /* There is no intermediate process on Windows; the caller sees the
         one POSIX would have reaped: gone, with status 0.  */
      CloseHandle (s->pi.hProcess);
      p->reaped = true;
      p->status = 0;
    }
  else
    {
      p->process = s->pi.hProcess;
      p->job = s->job;
      s->job = NULL;
    }
  s->pi.hProcess = NULL;

  *proc = p;
  return 0;
}

static int
do_spawn (const sp_spec_t *spec, sp_proc_t **proc, pid_t *pid,
          sp_fail_t *f)
{
  spawn_t s;
  STARTUPINFOEXW si;

  memset (&s, 0, sizeof s);
  memset (&si, 0, sizeof si);
  si.StartupInfo.cb = sizeof si;

  if (check_spec (spec, f) < 0)
    return -1;
  if (spec->opt->clear_caps)
    {
      s.token = sp_win32_restricted_token (f);
      if (s.token == NULL)
        return -1;
    }
  if (setup_cmdline (&s, spec, f) < 0)
    goto fail;
  if (spec->envp)
    {
      s.env = env_block (spec->envp);
      if (s.env == NULL)
        {
          sp_fail (f, errno == ENOMEM ? SUBPROC_ERR_NOMEM
                                      : SUBPROC_ERR_INVALID,
                   errno, SP_STAGE_ENCODING, "environment");
          goto fail;
        }
    }
  if (setup_cwd (&s, spec, f) < 0)
    goto fail;
  if (spec->opt->pid_file && open_pid_file (&s, spec, f) < 0)
    goto fail;
  if (setup_handles (&s, spec, &si, f) < 0)
    goto fail;
  if (!spec->opt->daemonize && setup_job (&s, spec, f) < 0)
    goto fail;

  if (create_suspended (&s, spec, &si, f) < 0)
    goto fail;

  if (s.job && !AssignProcessToJobObject (s.job, s.pi.hProcess))
    {
      /* Old systems cannot nest jobs.  Without the options that need
         the job, the child can still run: stopping it then ends only
         the child, not its descendants.  */
      if (spec->opt->kill_on_parent_exit || spec->opt->n_rlimits
          || spec->opt->set_job_memory)
        {
          sp_win32_fail (f, SUBPROC_ERR_SPAWN, SP_STAGE_JOB, NULL);
          goto fail;
        }
      CloseHandle (s.job);
      s.job = NULL;
    }

  if (spec->opt->set_priority && check_priority (&s, spec, f) < 0)
    goto fail;

  if (spec->opt->hook)
    {
      errno = 0;
      if (spec->opt->hook (spec->opt->hook_opaque) != 0)
        {
          sp_fail (f, SUBPROC_ERR_HOOK, errno, SP_STAGE_HOOK, NULL);
          goto fail;
        }
    }
  if (s.pid_file && write_pid_file (&s, spec, s.pi.dwProcessId, f) < 0)
    goto fail;

  if (start_child (&s, spec, proc, f) < 0)
    goto fail;
  spawn_cleanup (&s, false);
  if (pid)
    *pid = (pid_t) (*proc)->pid;
  return 0;

fail:
  spawn_cleanup (&s, true);
  return -1;
}

int
sp_backend_spawn (const sp_spec_t *spec, sp_proc_t **proc, pid_t *pid,
                  sp_fail_t *f)
{
  return do_spawn (spec, proc, pid, f);
}

/* Windows cannot replace a process image: run the command as a child
   (set up as any other: unset standard streams are the NUL device, as
   on POSIX), wait, and leave with its exit code.  */
int
sp_backend_exec (const sp_spec_t *spec, sp_fail_t *f)
{
  sp_proc_t *proc;
  int status;

  if (do_spawn (spec, &proc, NULL, f) < 0)
    return -1;
  /* Ctrl+C reaches both processes; the child decides what it means, and
     the caller exits with whatever code the child ends with.  */
  SetConsoleCtrlHandler (NULL, TRUE);
  if (proc->thread)
    sp_backend_handshake_notify (proc, f);
  if (sp_backend_wait (proc, -1, &status, f) != 1)
    status = 1;
  ExitProcess ((UINT) status);
}
