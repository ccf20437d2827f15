/* win32.h: the private declarations of the Win32 backend.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each contract function of lib/backend.h is in the file of the same
 * name as on POSIX (src/posix/posix.h):
 *
 *   spawn.c   sp_backend_prepare, spec_release, spawn, exec: the child
 *             is created suspended (CreateProcessW), put in its job,
 *             given its pid file
 *   wait.c    waiting, termination, handing over by pid, the handshake,
 *             status decoding
 *   io.c      descriptors, payloads and the I/O pump (a worker thread
 *             per stream; one wait for any number of children)
 *   misc.c    program lookup, environment, strings, clock, plus the
 *             Win32 errors and the restricted token
 *   thread.c  threads and cancellation
 *   utf8.c, quote.c  UTF-8 <-> UTF-16 and command-line quoting
 *
 * The first part below (utf8.c, quote.c) is pure C with no Windows
 * headers, so that those two files also build on POSIX hosts for unit
 * tests and fuzzing.  The second part needs <windows.h> and is only seen
 * by the Windows build.
 */

#ifndef SUBPROC_WIN32_H
#define SUBPROC_WIN32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------ */
/* utf8.c: strict conversions.  UTF-16 is handled as uint16_t so that the
   code does not depend on the size of wchar_t (on Windows, wchar_t and
   uint16_t are the same type).  */

/* Is S (LEN bytes) valid UTF-8?  Overlong forms, surrogates (U+D800 to
   U+DFFF) and values above U+10FFFF are not.  */
bool sp_win32_utf8_valid (const char *s, size_t len);

/* Convert LEN bytes of UTF-8 at S to UTF-16.  Writes at most CAP units to
   OUT (which may be NULL when CAP is 0) and returns the number of units
   the whole conversion needs, or -1 if S is not valid UTF-8.  No
   terminator is written or counted.  */
ptrdiff_t sp_win32_utf8_to_utf16 (const char *s, size_t len, uint16_t *out,
                                  size_t cap);

/* Convert LEN units of UTF-16 at S to UTF-8, the same way.  -1 for an
   unpaired surrogate.  */
ptrdiff_t sp_win32_utf16_to_utf8 (const uint16_t *s, size_t len, char *out,
                                  size_t cap);

/* The NUL-terminated UTF-8 string S as a newly allocated (sp_malloc),
   NUL-terminated UTF-16 string; NULL with errno EILSEQ or ENOMEM.  */
uint16_t *sp_win32_to_utf16 (const char *s);

/* LEN units of UTF-16 at S (LEN (size_t) -1: up to a 0 unit) as a newly
   allocated UTF-8 string; NULL with errno EILSEQ or ENOMEM.  */
char *sp_win32_to_utf8 (const uint16_t *s, size_t len);

/* ------------------------------------------------------------------ */
/* quote.c: building a command line from argv.  */

enum sp_win32_quote_status
{
  SP_WIN32_QUOTE_OK = 0,
  SP_WIN32_QUOTE_ARGV0,   /* argv[0] contains '"', or needs quotes and
                             ends in a backslash */
  SP_WIN32_QUOTE_ARG,     /* a batch argument that cannot be passed safely */
  SP_WIN32_QUOTE_SCRIPT   /* a batch file path that cannot be quoted */
};

/* Build the command line for a program that parses it the way the
   Microsoft C runtime and CommandLineToArgvW do.  Writes at most CAP
   bytes (terminating NUL included) to OUT, stores the length the whole
   line needs (without the NUL) in *LEN and returns a status; for a
   refused argument, *BAD is its index.  Works on UTF-8: every character
   that matters is ASCII, and UTF-8 never uses ASCII bytes inside a
   multi-byte sequence.  */
enum sp_win32_quote_status sp_win32_quote_argv (char *const *argv,
                                                char *out, size_t cap,
                                                size_t *len, size_t *bad);

/* The same for a batch file SCRIPT run through cmd.exe: the whole line
   given to cmd.exe, 'cmd.exe /d /e:ON /v:OFF /c ""SCRIPT" ARGS..."'.
   argv[0] is not used (the batch file sees SCRIPT as %0).  Arguments
   that cmd.exe could expand or split are refused (SP_WIN32_QUOTE_ARG).  */
enum sp_win32_quote_status sp_win32_quote_batch (const char *script,
                                                 char *const *argv,
                                                 char *out, size_t cap,
                                                 size_t *len, size_t *bad);

/* Does PATH name a batch file (.bat or .cmd, ignoring case and the
   trailing dots and spaces that Windows strips from file names)?  */
bool sp_win32_is_batch (const char *path);

/* Split LINE as the C runtime does (the rules of msvcr100 and later and
   of the UCRT; CommandLineToArgvW agrees for every line that
   sp_win32_quote_argv makes).  The arguments are written to OUT one
   after the other, each followed by a NUL, at most CAP bytes; returns
   the number of bytes needed.  For tests and fuzzing.  */
size_t sp_win32_split_cmdline (const char *line, char *out, size_t cap);

/* ------------------------------------------------------------------ */
/* What only the Windows build sees.  */

#ifdef _WIN32

# include <windows.h>

# include "backend.h"

/* A child, as sp_proc_t.  */
struct sp_proc
{
  HANDLE process;      /* NULL for a daemon (already "reaped") */
  HANDLE thread;       /* the main thread while it is held suspended */
  HANDLE job;          /* NULL when the child is in no job of ours */
  DWORD pid;
  bool kill_on_close;  /* the job has JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE */
  bool reaped;         /* STATUS is known */
  bool ended;          /* the pump has seen the process handle signalled
                          (atomic: the I/O thread and the owner) */
  bool handed;         /* duplicates are in the table of handed-over
                          children (sp_backend_hand_over) */
  int status;
  struct sp_proc *next; /* in the table of disowned children */
};

/* misc.c.  The errno closest to the Win32 error ERR.  */
int sp_win32_errno (DWORD err);

/* misc.c.  sp_fail with the errno of GetLastError ().  */
int sp_win32_fail (sp_fail_t *f, int code, sp_stage_t stage,
                   const char *what);

/* io.c.  A C runtime descriptor for H (taken over) numbered above 2,
   with _open_osfhandle FLAGS; -1 with errno, H closed.  */
int sp_win32_fd_above_stdio (HANDLE h, int flags);

/* misc.c.  Does NAME hold a ':' anywhere but after a drive letter (an
   alternate data stream, which program names never need)?  */
bool sp_win32_odd_colon (const char *name);

/* misc.c.  A restricted token for clear_caps: every privilege but
   SeChangeNotifyPrivilege removed.  NULL with *F if the system does not
   provide one that really is restricted (Wine).  */
HANDLE sp_win32_restricted_token (sp_fail_t *f);

/* wait.c.  How many processes JOB holds now, or -1 if the system cannot
   say.  */
long sp_win32_job_processes (HANDLE job);

/* wait.c.  Close the handles of PROC and free it.  */
void sp_win32_proc_free (struct sp_proc *proc);

/* The exit code used when the library stops a child: the NTSTATUS of a
   console process ended by Ctrl+C, so that it reads as an abnormal
   death (like SIGTERM on POSIX), never as an exit status.  */
# define SP_WIN32_KILL_CODE 0xC000013AUL

#endif /* _WIN32 */

#endif /* SUBPROC_WIN32_H */
