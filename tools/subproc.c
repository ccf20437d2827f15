/* subproc.c: the subproc command, the library's builder on the command line.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   subproc [OPTION]... [--] PROGRAM [ARG]...
 *   subproc -P N [OPTION]... [--] PROGRAM [ARG]... < LIST
 *
 * Runs PROGRAM with ARGs through libsubproc, so that shell scripts get
 * what the library guarantees: no shell, a clean environment if asked,
 * descriptors other than 0, 1 and 2 closed, a timeout, a daemon with a
 * pid file, dropped capabilities, resource limits.  Every option maps to
 * one builder call; the run, its status and its errors are the library's.
 *
 * With -P (parallel mode, as xargs -P) it runs PROGRAM ARGs ITEM for each
 * item of LIST, N jobs at a time, all driven from this one thread by
 * subproc_poll, and writes each job's captured output and error whole
 * when the job ends.
 *
 * Exit status, as env(1) and timeout(1) have it: the child's exit status,
 * 128+N when it died of signal N (POSIX), 124 when it timed out, 125 when
 * the tool itself failed (bad option, library error, --max-output
 * exceeded), 126 when the program was found but could not be run, 127
 * when it was not found.  On Windows the child's exit code is passed on
 * whole.  In parallel mode: the highest of the jobs' statuses.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#ifdef _WIN32
# include <io.h>
# include <windows.h>
# include <shellapi.h>
#else
# include <grp.h>
# include <pwd.h>
# include <sys/resource.h>
# include <sys/wait.h>
# include <unistd.h>
#endif

#include "subproc.h"
#include "json.h"

#ifndef O_BINARY
# define O_BINARY 0
#endif
#ifndef O_CLOEXEC
# define O_CLOEXEC 0
#endif

/* The exit statuses of the tool's own outcomes.  */
enum
{
  EXIT_TIMED_OUT = 124,
  EXIT_TOOL_FAILED = 125,
  EXIT_CANNOT_RUN = 126,
  EXIT_NOT_FOUND = 127
};

static const char *program_name = "subproc";

/* ------------------------------------------------------------------ */
/* Messages and memory.  */

static void
warn (const char *fmt, ...) SUBPROC_PRINTF (1, 2);

static void
warn (const char *fmt, ...)
{
  va_list ap;
  fprintf (stderr, "%s: ", program_name);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

/* A usage error: say what and where to look, exit 125.  */
static void
usage_error (const char *fmt, ...) SUBPROC_PRINTF (1, 2);

static void
usage_error (const char *fmt, ...)
{
  if (fmt)
    {
      va_list ap;
      fprintf (stderr, "%s: ", program_name);
      va_start (ap, fmt);
      vfprintf (stderr, fmt, ap);
      va_end (ap);
      fputc ('\n', stderr);
    }
  fprintf (stderr, "Try '%s --help' for more information.\n", program_name);
  exit (EXIT_TOOL_FAILED);
}

void
xalloc_die (void)
{
  warn ("out of memory");
  exit (EXIT_TOOL_FAILED);
}

void *
xrealloc (void *p, size_t n)
{
  void *q = realloc (p, n ? n : 1);
  if (q == NULL)
    xalloc_die ();
  return q;
}

/* Write all of P to FD.  */
static bool
write_all (int fd, const char *p, size_t len)
{
  while (len > 0)
    {
#ifdef _WIN32
      int w = _write (fd, p, len > 0x10000 ? 0x10000 : (unsigned int) len);
#else
      ssize_t w = write (fd, p, len);
#endif
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        return false;
      p += w;
      len -= (size_t) w;
    }
  return true;
}

/* ------------------------------------------------------------------ */
/* Platform glue: UTF-8 arguments and environment on Windows, clocks,
   descriptors.  */

#ifdef _WIN32
static char *
utf8_from_wide (const wchar_t *w)
{
  int n = WideCharToMultiByte (CP_UTF8, 0, w, -1, NULL, 0, NULL, NULL);
  if (n <= 0)
    return NULL;
  char *s = xrealloc (NULL, (size_t) n);
  WideCharToMultiByte (CP_UTF8, 0, w, -1, s, n, NULL, NULL);
  return s;
}

static wchar_t *
wide_from_utf8 (const char *s)
{
  int n = MultiByteToWideChar (CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL,
                               0);
  if (n <= 0)
    return NULL;
  wchar_t *w = xrealloc (NULL, (size_t) n * sizeof *w);
  MultiByteToWideChar (CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
  return w;
}

/* The command line as UTF-8: the C runtime's argv is in the ANSI code
   page, which cannot hold every argument.  */
static char **
utf8_argv (int *argc)
{
  int n;
  wchar_t **w = CommandLineToArgvW (GetCommandLineW (), &n);
  if (w == NULL)
    {
      warn ("cannot read the command line");
      exit (EXIT_TOOL_FAILED);
    }
  char **v = xrealloc (NULL, ((size_t) n + 1) * sizeof *v);
  for (int i = 0; i < n; i++)
    if ((v[i] = utf8_from_wide (w[i])) == NULL)
      {
        warn ("cannot convert argument %d to UTF-8", i);
        exit (EXIT_TOOL_FAILED);
      }
  v[n] = NULL;
  LocalFree (w);
  *argc = n;
  return v;
}
#endif

/* Open PATH (UTF-8 on Windows) with FLAGS; -1 with errno on failure.  */
static int
open_path (const char *path, int flags)
{
#ifdef _WIN32
  wchar_t *w = wide_from_utf8 (path);
  if (w == NULL)
    {
      errno = EINVAL;
      return -1;
    }
  int fd = _wopen (w, flags | O_BINARY | _O_NOINHERIT, _S_IREAD | _S_IWRITE);
  free (w);
  return fd;
#else
  return open (path, flags | O_CLOEXEC, 0666);
#endif
}

static void
close_fd (int fd)
{
#ifdef _WIN32
  _close (fd);
#else
  close (fd);
#endif
}

/* Whether FD is open: a closed standard stream stays closed for the
   child (the null device) rather than failing the run.  */
static bool
fd_is_open (int fd)
{
#ifdef _WIN32
  intptr_t h = _get_osfhandle (fd);
  return h != -1 && h != -2;
#else
  return fcntl (fd, F_GETFD) != -1;
#endif
}

/* Seconds of a monotonic clock.  */
static double
now_seconds (void)
{
#ifdef _WIN32
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency (&f);
  QueryPerformanceCounter (&c);
  return (double) c.QuadPart / (double) f.QuadPart;
#else
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
#endif
}

/* ------------------------------------------------------------------ */
/* Parsing option values.  */

static bool
all_digits (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return false;
  return true;
}

/* A decimal number into *V, with overflow checks.  */
static bool
parse_ull (const char **sp, unsigned long long *v)
{
  const char *s = *sp;
  unsigned long long n = 0;
  if (*s < '0' || *s > '9')
    return false;
  for (; *s >= '0' && *s <= '9'; s++)
    {
      unsigned int d = (unsigned int) (*s - '0');
      if (n > (ULLONG_MAX - d) / 10)
        return false;
      n = n * 10 + d;
    }
  *v = n;
  *sp = s;
  return true;
}

static unsigned long long
number_arg (const char *opt, const char *s, unsigned long long max)
{
  unsigned long long v;
  const char *p = s;
  if (!parse_ull (&p, &v) || *p != '\0' || v > max)
    usage_error ("--%s: '%s' is not a number from 0 to %llu", opt, s, max);
  return v;
}

/* A byte count with an optional binary suffix: K, M, G or T (KiB, MiB,
   ... and the lower-case forms are accepted as well).  */
static unsigned long long
size_arg (const char *opt, const char *s)
{
  unsigned long long v;
  const char *p = s;
  if (!parse_ull (&p, &v))
    usage_error ("--%s: '%s' is not a size", opt, s);
  int shift = 0;
  switch (*p)
    {
    case '\0':
      break;
    case 'k':
    case 'K':
      shift = 10;
      break;
    case 'm':
    case 'M':
      shift = 20;
      break;
    case 'g':
    case 'G':
      shift = 30;
      break;
    case 't':
    case 'T':
      shift = 40;
      break;
    default:
      usage_error ("--%s: '%s' is not a size", opt, s);
    }
  if (shift)
    {
      p++;
      if (strcmp (p, "iB") == 0 || strcmp (p, "B") == 0)
        p += strlen (p);
    }
  if (*p != '\0')
    usage_error ("--%s: '%s' is not a size", opt, s);
  if (shift && v > (ULLONG_MAX >> shift))
    usage_error ("--%s: '%s' is too large", opt, s);
  return v << shift;
}

/* A duration as timeout(1) takes it: a decimal number of seconds with an
   optional fraction ("2", "0.25", ".5") and an optional unit: s (seconds,
   the default), m (minutes), h (hours) or d (days).  Returns
   milliseconds, rounded up so that a short positive duration is not taken
   for 0, which means no limit.  The decimal point is always '.'.  */
static unsigned int
duration_arg (const char *opt, const char *s)
{
  unsigned long long whole = 0, frac_ns = 0;
  const char *p = s;
  bool digits = false;

  if (*p >= '0' && *p <= '9')
    {
      if (!parse_ull (&p, &whole))
        usage_error ("--%s: '%s' is too large", opt, s);
      digits = true;
    }
  if (*p == '.')
    {
      unsigned long long scale = 100000000;
      for (p++; *p >= '0' && *p <= '9'; p++)
        {
          digits = true;
          if (scale)
            frac_ns += (unsigned long long) (*p - '0') * scale;
          else if (*p != '0')
            /* Below a nanosecond: round up.  */
            frac_ns = frac_ns / 1000000 * 1000000 + 1000000;
          scale /= 10;
        }
    }
  unsigned long long mult = 1;
  switch (*p)
    {
    case '\0':
      break;
    case 's':
      p++;
      break;
    case 'm':
      mult = 60;
      p++;
      break;
    case 'h':
      mult = 3600;
      p++;
      break;
    case 'd':
      mult = 86400;
      p++;
      break;
    default:
      break;
    }
  if (!digits || *p != '\0')
    usage_error ("--%s: '%s' is not a duration", opt, s);

  /* UINT_MAX milliseconds is about 49.7 days.  */
  unsigned long long limit_s = UINT_MAX / 1000ULL;
  if (whole > limit_s / mult + 1)
    usage_error ("--%s: '%s' is too long (the limit is %llu seconds)", opt,
                 s, limit_s);
  unsigned long long ns = (whole * 1000000000ULL + frac_ns) * mult;
  unsigned long long ms = ns / 1000000 + (ns % 1000000 != 0);
  if (ms > UINT_MAX)
    usage_error ("--%s: '%s' is too long (the limit is %llu seconds)", opt,
                 s, limit_s);
  return (unsigned int) ms;
}

/* The Linux capability names, by number.  */
static const char *const cap_names[] = {
  "chown",           "dac_override",   "dac_read_search", "fowner",
  "fsetid",          "kill",           "setgid",          "setuid",
  "setpcap",         "linux_immutable", "net_bind_service", "net_broadcast",
  "net_admin",       "net_raw",        "ipc_lock",        "ipc_owner",
  "sys_module",      "sys_rawio",      "sys_chroot",      "sys_ptrace",
  "sys_pacct",       "sys_admin",      "sys_boot",        "sys_nice",
  "sys_resource",    "sys_time",       "sys_tty_config",  "mknod",
  "lease",           "audit_write",    "audit_control",   "setfcap",
  "mac_override",    "mac_admin",      "syslog",          "wake_alarm",
  "block_suspend",   "audit_read",     "perfmon",         "bpf",
  "checkpoint_restore",
};

static bool
same_ascii_nocase (const char *a, const char *b)
{
  for (; *a && *b; a++, b++)
    {
      char x = *a >= 'A' && *a <= 'Z' ? (char) (*a - 'A' + 'a') : *a;
      char y = *b >= 'A' && *b <= 'Z' ? (char) (*b - 'A' + 'a') : *b;
      if (x != y)
        return false;
    }
  return *a == *b;
}

/* A capability: its number, or its name with or without "CAP_", in any
   case.  */
static int
cap_arg (const char *s)
{
  if (all_digits (s))
    return (int) number_arg ("allow-cap", s, 63);
  const char *name = s;
  if (strlen (name) > 4 && (name[0] == 'c' || name[0] == 'C')
      && (name[1] == 'a' || name[1] == 'A')
      && (name[2] == 'p' || name[2] == 'P') && name[3] == '_')
    name += 4;
  for (size_t i = 0; i < sizeof cap_names / sizeof cap_names[0]; i++)
    if (same_ascii_nocase (name, cap_names[i]))
      return (int) i;
  usage_error ("--allow-cap: unknown capability '%s'", s);
  return -1;
}

/* A resource limit of --limit NAME=SOFT[:HARD].  */
struct rlimit_opt
{
  int resource;
  unsigned long long soft, hard;
};

#ifndef _WIN32
/* The resource limits of this system by name, without "RLIMIT_".  */
static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
# ifdef RLIMIT_AS
  { "as", RLIMIT_AS },
# endif
  { "core", RLIMIT_CORE },
  { "cpu", RLIMIT_CPU },
  { "data", RLIMIT_DATA },
  { "fsize", RLIMIT_FSIZE },
  { "nofile", RLIMIT_NOFILE },
  { "stack", RLIMIT_STACK },
# ifdef RLIMIT_LOCKS
  { "locks", RLIMIT_LOCKS },
# endif
# ifdef RLIMIT_MEMLOCK
  { "memlock", RLIMIT_MEMLOCK },
# endif
# ifdef RLIMIT_MSGQUEUE
  { "msgqueue", RLIMIT_MSGQUEUE },
# endif
# ifdef RLIMIT_NICE
  { "nice", RLIMIT_NICE },
# endif
# ifdef RLIMIT_NPROC
  { "nproc", RLIMIT_NPROC },
# endif
# ifdef RLIMIT_RSS
  { "rss", RLIMIT_RSS },
# endif
# ifdef RLIMIT_RTPRIO
  { "rtprio", RLIMIT_RTPRIO },
# endif
# ifdef RLIMIT_RTTIME
  { "rttime", RLIMIT_RTTIME },
# endif
# ifdef RLIMIT_SIGPENDING
  { "sigpending", RLIMIT_SIGPENDING },
# endif
};
#endif

#ifndef _WIN32
/* A value of --limit: a size or "unlimited".  */
static unsigned long long
rlimit_value_arg (const char *s, size_t len)
{
  char buf[64];
  if (len >= sizeof buf)
    usage_error ("--limit: '%.*s' is not a size", (int) len, s);
  memcpy (buf, s, len);
  buf[len] = '\0';
  if (same_ascii_nocase (buf, "unlimited"))
    return SUBPROC_RLIM_INFINITY;
  return size_arg ("limit", buf);
}
#endif

/* NAME=SOFT[:HARD], NAME in any case.  */
static struct rlimit_opt
rlimit_arg (const char *s)
{
  struct rlimit_opt l = { 0, 0, 0 };
  const char *eq = strchr (s, '=');
  if (eq == NULL || eq == s)
    usage_error ("--limit: '%s' is not NAME=SOFT[:HARD]", s);
#ifdef _WIN32
  usage_error ("--limit: this system has no resource limits (--limit-as, "
               "--limit-cpu and --memory-limit are job limits)");
#else
  size_t n = (size_t) (eq - s);
  size_t i;
  for (i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
    {
      const char *name = rlimit_names[i].name;
      size_t k;
      for (k = 0; k < n && name[k]; k++)
        if ((s[k] | 0x20) != name[k])
          break;
      if (k == n && name[k] == '\0')
        break;
    }
  if (i == sizeof rlimit_names / sizeof rlimit_names[0])
    usage_error ("--limit: unknown resource '%.*s'", (int) n, s);
  l.resource = rlimit_names[i].resource;
  const char *v = eq + 1;
  const char *colon = strchr (v, ':');
  l.soft = rlimit_value_arg (v, colon ? (size_t) (colon - v) : strlen (v));
  l.hard = colon ? rlimit_value_arg (colon + 1, strlen (colon + 1)) : l.soft;
  if (l.soft > l.hard)
    usage_error ("--limit: the soft limit of '%s' is above the hard one", s);
#endif
  return l;
}

/* ------------------------------------------------------------------ */
/* The options.  */

/* Where a standard stream of the child goes.  */
enum stream_mode
{
  STREAM_INHERIT, /* the tool's own descriptor */
  STREAM_NULL,    /* the null device */
  STREAM_FILE,    /* a file */
  STREAM_STRING,  /* input only: a string */
  STREAM_CAPTURE  /* output only: collected in memory */
};

/* Environment operations, applied in command-line order.  */
enum env_op_kind
{
  ENV_SET,
  ENV_PASS,
  ENV_PASS_COMMON,
  ENV_XDG
};

struct env_op
{
  enum env_op_kind kind;
  const char *arg;
};

struct options
{
  bool clear_env;
  struct env_op *env_ops;
  size_t n_env_ops;
  const char **unset;
  size_t n_unset;

  const char *cwd;
  enum stream_mode in, out, err;
  const char *in_arg, *out_arg, *err_arg;
  bool merge;
  bool out_append, err_append; /* --append-output, --append-error */
  bool capture;
  unsigned long long max_output;
  bool json;
  bool time;
  bool dry_run;
  bool verbose;

  unsigned int timeout_ms;
  bool grace_set;
  unsigned int grace_ms;
  bool daemonize;
  const char *pid_file;
  int umask;
  const char *uid, *gid;
  bool set_nofile, set_nproc, set_core, set_memlock;
  unsigned int nofile, nproc;
  unsigned long long core, memlock;
  bool set_as, set_cpu, set_memory;
  unsigned long long as, cpu, memory;
  struct rlimit_opt *rlimits;  /* --limit NAME=SOFT[:HARD] */
  size_t n_rlimits;
  bool clear_caps;
  int *allow_caps;
  size_t n_allow_caps;
  bool no_new_privs;
  const char *selinux_label, *apparmor_profile;
  int run_alone;         /* 0 none, 1 --run-alone, 2 --run-among (last wins) */
  pid_t run_among;
  int *pass_fds;
  size_t n_pass_fds;
  int *pass_fd_as;       /* pairs: descriptor, then its number */
  size_t n_pass_fd_as;
  bool set_nice;
  int nice;
  bool no_window;
  bool new_process_group;
  bool new_session;
  const char *argv0;
  bool kill_on_parent_exit;
  const char *cgroup;

  unsigned int parallel; /* jobs at a time; 0: one run, no list */
  const char *replace;   /* --replace: where in PROGRAM ARGs the item goes */
  bool null_items;
  bool keep_order;
  bool progress;
};

enum
{
  OPT_PASS_ENV = 256,
  OPT_PASS_COMMON,
  OPT_ENV_XDG,
  OPT_INPUT,
  OPT_INPUT_FILE,
  OPT_NULL_INPUT,
  OPT_OUTPUT_FILE,
  OPT_ERROR_FILE,
  OPT_APPEND_OUTPUT,
  OPT_APPEND_ERROR,
  OPT_NULL_OUTPUT,
  OPT_NULL_ERROR,
  OPT_MERGE,
  OPT_CAPTURE,
  OPT_MAX_OUTPUT,
  OPT_GRACE,
  OPT_DAEMONIZE,
  OPT_PID_FILE,
  OPT_UMASK,
  OPT_UID,
  OPT_GID,
  OPT_LIMIT_NOFILE,
  OPT_LIMIT_NPROC,
  OPT_LIMIT_CORE,
  OPT_LIMIT_MEMLOCK,
  OPT_LIMIT_AS,
  OPT_LIMIT_CPU,
  OPT_LIMIT,
  OPT_MEMORY_LIMIT,
  OPT_CLEAR_CAPS,
  OPT_ALLOW_CAP,
  OPT_NO_NEW_PRIVS,
  OPT_SELINUX_LABEL,
  OPT_APPARMOR_PROFILE,
  OPT_RUN_ALONE,
  OPT_RUN_AMONG,
  OPT_PASS_FD,
  OPT_PASS_FD_AS,
  OPT_NICE,
  OPT_NO_WINDOW,
  OPT_NEW_PROCESS_GROUP,
  OPT_NEW_SESSION,
  OPT_ARGV0,
  OPT_KILL_ON_PARENT_EXIT,
  OPT_CGROUP,
  OPT_PROGRESS,
  OPT_TIME
};

static const struct option long_options[] = {
  { "clear-env", no_argument, NULL, 'i' },
  { "env", required_argument, NULL, 'e' },
  { "unset", required_argument, NULL, 'u' },
  { "pass-env", required_argument, NULL, OPT_PASS_ENV },
  { "pass-common", no_argument, NULL, OPT_PASS_COMMON },
  { "env-xdg", required_argument, NULL, OPT_ENV_XDG },
  { "cwd", required_argument, NULL, 'C' },
  { "input", required_argument, NULL, OPT_INPUT },
  { "input-file", required_argument, NULL, OPT_INPUT_FILE },
  { "null-input", no_argument, NULL, OPT_NULL_INPUT },
  { "output-file", required_argument, NULL, OPT_OUTPUT_FILE },
  { "error-file", required_argument, NULL, OPT_ERROR_FILE },
  { "append-output", required_argument, NULL, OPT_APPEND_OUTPUT },
  { "append-error", required_argument, NULL, OPT_APPEND_ERROR },
  { "null-output", no_argument, NULL, OPT_NULL_OUTPUT },
  { "null-error", no_argument, NULL, OPT_NULL_ERROR },
  { "merge", no_argument, NULL, OPT_MERGE },
  { "capture", no_argument, NULL, OPT_CAPTURE },
  { "max-output", required_argument, NULL, OPT_MAX_OUTPUT },
  { "json", no_argument, NULL, 'j' },
  { "time", no_argument, NULL, OPT_TIME },
  { "timeout", required_argument, NULL, 't' },
  { "grace", required_argument, NULL, OPT_GRACE },
  { "daemonize", no_argument, NULL, OPT_DAEMONIZE },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "umask", required_argument, NULL, OPT_UMASK },
  { "uid", required_argument, NULL, OPT_UID },
  { "gid", required_argument, NULL, OPT_GID },
  { "limit-nofile", required_argument, NULL, OPT_LIMIT_NOFILE },
  { "limit-nproc", required_argument, NULL, OPT_LIMIT_NPROC },
  { "limit-core", required_argument, NULL, OPT_LIMIT_CORE },
  { "limit-memlock", required_argument, NULL, OPT_LIMIT_MEMLOCK },
  { "limit-as", required_argument, NULL, OPT_LIMIT_AS },
  { "limit-cpu", required_argument, NULL, OPT_LIMIT_CPU },
  { "limit", required_argument, NULL, OPT_LIMIT },
  { "memory-limit", required_argument, NULL, OPT_MEMORY_LIMIT },
  { "clear-caps", no_argument, NULL, OPT_CLEAR_CAPS },
  { "allow-cap", required_argument, NULL, OPT_ALLOW_CAP },
  { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
  { "selinux-label", required_argument, NULL, OPT_SELINUX_LABEL },
  { "apparmor-profile", required_argument, NULL, OPT_APPARMOR_PROFILE },
  { "run-alone", no_argument, NULL, OPT_RUN_ALONE },
  { "run-among", required_argument, NULL, OPT_RUN_AMONG },
  { "pass-fd", required_argument, NULL, OPT_PASS_FD },
  { "pass-fd-as", required_argument, NULL, OPT_PASS_FD_AS },
  { "nice", required_argument, NULL, OPT_NICE },
  { "no-window", no_argument, NULL, OPT_NO_WINDOW },
  { "new-process-group", no_argument, NULL, OPT_NEW_PROCESS_GROUP },
  { "new-session", no_argument, NULL, OPT_NEW_SESSION },
  { "argv0", required_argument, NULL, OPT_ARGV0 },
  { "kill-on-parent-exit", no_argument, NULL, OPT_KILL_ON_PARENT_EXIT },
  { "cgroup", required_argument, NULL, OPT_CGROUP },
  { "parallel", required_argument, NULL, 'P' },
  { "null", no_argument, NULL, '0' },
  { "replace", required_argument, NULL, 'I' },
  { "keep-order", no_argument, NULL, 'k' },
  { "progress", no_argument, NULL, OPT_PROGRESS },
  { "dry-run", no_argument, NULL, 'n' },
  { "verbose", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { "version", no_argument, NULL, 'V' },
  { NULL, 0, NULL, 0 }
};

/* "+": stop at PROGRAM, so that its options are its own.  */
static const char short_options[] = "+ie:u:C:jt:P:0I:knvhV";

static void
help (void)
{
  printf ("\
Usage: %s [OPTION]... [--] PROGRAM [ARG]...\n\
  or:  %s -P N [OPTION]... [--] PROGRAM [ARG]... < LIST\n\
Run PROGRAM with ARGs through libsubproc: no shell, descriptors other\n\
than 0, 1 and 2 closed, and the environment, limits and privileges that\n\
the options ask for.  With -P, run it once per item of LIST, N at a time.\n\
\n",
          program_name, program_name);
  fputs ("\
Environment (without -i, the child gets this process's environment):\n\
  -i, --clear-env          start from an empty environment\n\
  -e, --env=NAME=VALUE     set NAME to VALUE\n\
  -u, --unset=NAME         remove NAME from the inherited environment\n\
      --pass-env=NAME      pass NAME with its value here, if it is set\n\
      --pass-common        pass PATH, HOME, USER, TMPDIR... and set\n\
                           LC_ALL=C (subproc_add_env_pass_common)\n\
      --env-xdg=DIR        set XDG_DATA_HOME, XDG_CACHE_HOME and\n\
                           XDG_CONFIG_HOME below DIR\n\
\n\
Standard streams (by default the child shares this process's):\n\
  -C, --cwd=DIR            run in directory DIR\n\
      --input=STRING       feed STRING to the child's standard input\n\
      --input-file=FILE    the child's standard input reads FILE\n\
      --null-input         standard input from the null device\n\
      --output-file=FILE   standard output to FILE (created or truncated)\n\
      --error-file=FILE    standard error to FILE (created or truncated)\n\
      --append-output=FILE standard output appended to FILE (created if\n\
                           missing)\n\
      --append-error=FILE  standard error appended to FILE (created if\n\
                           missing)\n\
      --null-output        standard output to the null device\n\
      --null-error         standard error to the null device\n\
      --merge              standard error goes where standard output goes\n\
      --capture            collect output and error in memory and write\n\
                           them out when the child has finished\n\
      --max-output=SIZE    stop the child once it has written more than\n\
                           SIZE bytes (K, M, G, T suffixes); implies\n\
                           --capture\n\
  -j, --json               print one JSON object with the outcome and the\n\
                           captured output; implies --capture for the\n\
                           streams not sent elsewhere\n\
      --time               when the child has ended, write what it used\n\
                           (times, memory, faults) to standard error\n\
\n\
Process:\n\
  -t, --timeout=DURATION   stop the child after DURATION seconds (a\n\
                           fraction and a unit s, m, h or d allowed)\n\
      --grace=DURATION     give a child being stopped DURATION (as for\n\
                           --timeout) between SIGTERM and SIGKILL;\n\
                           0: kill at once (default 0.5)\n\
      --daemonize          run the child as a daemon\n\
      --pid-file=FILE      write the child's (or daemon's) pid to FILE\n\
      --umask=MODE         set the child's umask (octal)\n\
      --uid=USER           run as USER (a name or a number)\n\
      --gid=GROUP          run as GROUP (a name or a number); default\n\
                           with --uid: the user's primary group\n\
      --limit-nofile=N     at most N open files\n\
      --limit-nproc=N      at most N processes\n\
      --limit-core=SIZE    core files of at most SIZE bytes\n\
      --limit-memlock=SIZE at most SIZE bytes of locked memory\n\
      --limit-as=SIZE      at most SIZE bytes of address space (Win32:\n\
                           of memory committed by each process)\n\
      --limit-cpu=SECONDS  at most SECONDS of CPU time (Win32: user time)\n\
      --limit NAME=SOFT[:HARD]  set resource limit NAME (nofile, stack,\n\
                           ...: RLIMIT_NAME) to SOFT and HARD (default:\n\
                           SOFT); a size or \"unlimited\" (POSIX only)\n\
      --memory-limit=SIZE  at most SIZE bytes of memory: Win32 for the\n\
                           whole tree (the job), POSIX as --limit-as\n\
      --clear-caps         drop every capability\n\
      --allow-cap=CAP      drop every capability but CAP (repeatable)\n\
      --no-new-privs       no privileges gained by executing programs\n\
                           (set-user-ID bits, file capabilities)\n\
      --selinux-label=LABEL  execute in SELinux context LABEL\n\
      --apparmor-profile=PROFILE  execute confined by AppArmor PROFILE\n\
      --run-alone          core scheduling: a core-scheduling cookie of\n\
                           the child's own (no hyper-thread sharing\n\
                           with other tasks)\n\
      --run-among=PID      core scheduling: share process PID's cookie\n\
      --pass-fd=N          keep descriptor N open in the child\n\
      --pass-fd-as=N:M     give descriptor N to the child as descriptor M\n\
      --nice=N             add N (-20 to 19) to the child's nice value\n\
                           (Win32: a priority class)\n\
      --no-window          Win32: no console window for the child\n\
      --new-process-group  run the child in a process group of its own\n\
      --new-session        run the child in a session of its own (setsid)\n\
      --argv0=NAME         give the child NAME as its argv[0]; PROGRAM is\n\
                           still what runs\n\
      --kill-on-parent-exit  kill the child if this process dies\n\
      --cgroup=DIR         start the child inside the cgroup v2\n\
                           directory DIR (Linux)\n\
\n\
Parallel jobs (one job per item read from standard input):\n\
  -P, --parallel=N         run PROGRAM with ARGs and the item as one more\n\
                           argument, N jobs at a time; each job's output\n\
                           and error are written out whole when it ends\n\
  -0, --null               items end with a NUL byte, not a newline\n\
  -I, --replace=STR        put the item in place of STR wherever it is\n\
                           found in PROGRAM and ARGs, instead of adding it\n\
  -k, --keep-order         write the jobs out in input order, not in the\n\
                           order they end\n\
      --progress           show [done/total, running] on standard error\n\
                           if it is a terminal\n\
\n\
Other:\n\
  -n, --dry-run            print the command line and run nothing\n\
  -v, --verbose            print the command line before running it\n\
  -h, --help               print this help and exit\n\
  -V, --version            print the version and exit\n\
\n\
Exit status: the child's; 128+N if it died of signal N; 124 if it timed\n\
out; 125 if this program failed; 126 if PROGRAM cannot be run; 127 if\n\
it was not found.  With -P: the highest status of the jobs.\n",
         stdout);
  printf ("\nReport bugs to the libsubproc authors; manual: "
          "'info libsubproc'.\n");
}

#define APPEND(array, count, value)                                         \
  do                                                                        \
    {                                                                       \
      (array) = xrealloc ((array), ((count) + 1) * sizeof *(array));        \
      (array)[(count)++] = (value);                                         \
    }                                                                       \
  while (0)

static void
add_env_op (struct options *o, enum env_op_kind kind, const char *arg)
{
  struct env_op op = { kind, arg };
  APPEND (o->env_ops, o->n_env_ops, op);
}

/* Take option C (with optarg) if it sets the environment or a stream;
   false if it is another.  */
static bool
env_stream_option (int c, struct options *o)
{
  switch (c)
    {
    case 'i':
      o->clear_env = true;
      break;
    case 'e':
      if (strchr (optarg, '=') == NULL || optarg[0] == '=')
        usage_error ("--env: '%s' is not of the form NAME=VALUE", optarg);
      add_env_op (o, ENV_SET, optarg);
      break;
    case 'u':
      if (optarg[0] == '\0' || strchr (optarg, '='))
        usage_error ("--unset: '%s' is not a variable name", optarg);
      APPEND (o->unset, o->n_unset, optarg);
      break;
    case OPT_PASS_ENV:
      add_env_op (o, ENV_PASS, optarg);
      break;
    case OPT_PASS_COMMON:
      add_env_op (o, ENV_PASS_COMMON, NULL);
      break;
    case OPT_ENV_XDG:
      add_env_op (o, ENV_XDG, optarg);
      break;
    case 'C':
      o->cwd = optarg;
      break;
    case OPT_INPUT:
      o->in = STREAM_STRING;
      o->in_arg = optarg;
      break;
    case OPT_INPUT_FILE:
      o->in = STREAM_FILE;
      o->in_arg = optarg;
      break;
    case OPT_NULL_INPUT:
      o->in = STREAM_NULL;
      break;
    case OPT_OUTPUT_FILE:
    case OPT_APPEND_OUTPUT:
      o->out = STREAM_FILE;
      o->out_arg = optarg;
      o->out_append = c == OPT_APPEND_OUTPUT;
      break;
    case OPT_ERROR_FILE:
    case OPT_APPEND_ERROR:
      o->err = STREAM_FILE;
      o->err_arg = optarg;
      o->err_append = c == OPT_APPEND_ERROR;
      break;
    case OPT_NULL_OUTPUT:
      o->out = STREAM_NULL;
      break;
    case OPT_NULL_ERROR:
      o->err = STREAM_NULL;
      break;
    case OPT_MERGE:
      o->merge = true;
      break;
    case OPT_CAPTURE:
      o->capture = true;
      break;
    case OPT_MAX_OUTPUT:
      o->max_output = size_arg ("max-output", optarg);
      if (o->max_output > SIZE_MAX)
        usage_error ("--max-output: '%s' is too large", optarg);
      o->capture = true;
      break;
    default:
      return false;
    }
  return true;
}

/* Take option C (with optarg) if it is a process option (daemon,
   identity, limits, capabilities, descriptors, groups); false if it is
   another.  */
static bool
process_option (int c, struct options *o)
{
  switch (c)
    {
    case OPT_DAEMONIZE:
      o->daemonize = true;
      break;
    case OPT_PID_FILE:
      o->pid_file = optarg;
      break;
    case OPT_UMASK:
      {
        char *end;
        errno = 0;
        long m = strtol (optarg, &end, 8);
        if (errno || end == optarg || *end || m < 0 || m > 0777)
          usage_error ("--umask: '%s' is not an octal mode from 0 to 777",
                       optarg);
        o->umask = (int) m;
      }
      break;
    case OPT_UID:
      o->uid = optarg;
      break;
    case OPT_GID:
      o->gid = optarg;
      break;
    case OPT_LIMIT_NOFILE:
      o->nofile = (unsigned int) number_arg ("limit-nofile", optarg,
                                             UINT_MAX);
      o->set_nofile = true;
      break;
    case OPT_LIMIT_NPROC:
      o->nproc = (unsigned int) number_arg ("limit-nproc", optarg,
                                            UINT_MAX);
      o->set_nproc = true;
      break;
    case OPT_LIMIT_CORE:
      o->core = size_arg ("limit-core", optarg);
      o->set_core = true;
      break;
    case OPT_LIMIT_MEMLOCK:
      o->memlock = size_arg ("limit-memlock", optarg);
      o->set_memlock = true;
      break;
    case OPT_LIMIT_AS:
      o->as = size_arg ("limit-as", optarg);
      o->set_as = true;
      break;
    case OPT_LIMIT_CPU:
      o->cpu = number_arg ("limit-cpu", optarg, ULLONG_MAX);
      if (o->cpu == 0)
        usage_error ("--limit-cpu: 0 seconds lets nothing run");
      o->set_cpu = true;
      break;
    case OPT_LIMIT:
      {
        struct rlimit_opt l = rlimit_arg (optarg);
        APPEND (o->rlimits, o->n_rlimits, l);
      }
      break;
    case OPT_MEMORY_LIMIT:
      o->memory = size_arg ("memory-limit", optarg);
      o->set_memory = true;
      break;
    case OPT_CLEAR_CAPS:
      o->clear_caps = true;
      break;
    case OPT_ALLOW_CAP:
      {
        int cap = cap_arg (optarg);
        APPEND (o->allow_caps, o->n_allow_caps, cap);
        o->clear_caps = true;
      }
      break;
    case OPT_NO_NEW_PRIVS:
      o->no_new_privs = true;
      break;
    case OPT_SELINUX_LABEL:
      o->selinux_label = optarg;
      break;
    case OPT_APPARMOR_PROFILE:
      o->apparmor_profile = optarg;
      break;
    case OPT_RUN_ALONE:
      o->run_alone = 1;
      break;
    case OPT_RUN_AMONG:
      o->run_among = (pid_t) number_arg ("run-among", optarg, INT_MAX);
      o->run_alone = 2;
      break;
    case OPT_PASS_FD:
      {
        int fd = (int) number_arg ("pass-fd", optarg, INT_MAX);
        APPEND (o->pass_fds, o->n_pass_fds, fd);
      }
      break;
    case OPT_PASS_FD_AS:
      {
        char *colon = strchr (optarg, ':');
        if (colon == NULL)
          usage_error ("--pass-fd-as: '%s' is not N:M", optarg);
        *colon = '\0';
        int fd = (int) number_arg ("pass-fd-as", optarg, INT_MAX);
        int target = (int) number_arg ("pass-fd-as", colon + 1, INT_MAX);
        *colon = ':';
        APPEND (o->pass_fd_as, o->n_pass_fd_as, fd);
        APPEND (o->pass_fd_as, o->n_pass_fd_as, target);
      }
      break;
    case OPT_NICE:
      {
        char *end;
        errno = 0;
        long n = strtol (optarg, &end, 10);
        if (errno || end == optarg || *end || n < -20 || n > 19)
          usage_error ("--nice: '%s' is not a number from -20 to 19",
                       optarg);
        o->set_nice = true;
        o->nice = (int) n;
      }
      break;
    case OPT_NO_WINDOW:
      o->no_window = true;
      break;
    case OPT_NEW_PROCESS_GROUP:
      o->new_process_group = true;
      break;
    case OPT_NEW_SESSION:
      o->new_session = true;
      break;
    case OPT_ARGV0:
      o->argv0 = optarg;
      break;
    case OPT_KILL_ON_PARENT_EXIT:
      o->kill_on_parent_exit = true;
      break;
    case OPT_CGROUP:
      o->cgroup = optarg;
      break;
    default:
      return false;
    }
  return true;
}

/* The most jobs --parallel runs at a time: each takes a few descriptors
   (two pipes and, where the system has them, a process descriptor).  */
#define MAX_JOBS 1024

/* Take option C (with optarg) if it belongs to parallel mode; false if
   it is another.  */
static bool
parallel_option (int c, struct options *o)
{
  switch (c)
    {
    case 'P':
      o->parallel = (unsigned int) number_arg ("parallel", optarg, MAX_JOBS);
      if (o->parallel == 0)
        usage_error ("--parallel: the number of jobs must be at least 1");
      break;
    case '0':
      o->null_items = true;
      break;
    case 'I':
      if (optarg[0] == '\0')
        usage_error ("--replace: the string to replace cannot be empty");
      o->replace = optarg;
      break;
    case 'k':
      o->keep_order = true;
      break;
    case OPT_PROGRESS:
      o->progress = true;
      break;
    default:
      return false;
    }
  return true;
}

/* Refuse what parallel mode cannot do, and its options without it.  */
static void
check_parallel (const struct options *o)
{
  if (!o->parallel)
    {
      if (o->null_items || o->replace || o->keep_order || o->progress)
        usage_error ("--%s needs --parallel",
                     o->null_items   ? "null"
                     : o->replace    ? "replace"
                     : o->keep_order ? "keep-order"
                                     : "progress");
      return;
    }
  /* Every job's output is captured, to be written out whole; one file
     shared by all of them would mix them up, and one pid file cannot
     name many children.  */
  if (o->out == STREAM_FILE)
    usage_error ("--%s cannot be used with --parallel",
                 o->out_append ? "append-output" : "output-file");
  if (o->err == STREAM_FILE)
    usage_error ("--%s cannot be used with --parallel",
                 o->err_append ? "append-error" : "error-file");
  if (o->daemonize)
    usage_error ("--daemonize cannot be used with --parallel");
  if (o->pid_file)
    usage_error ("--pid-file cannot be used with --parallel");
}

/* Parse the options; returns the index of PROGRAM in ARGV.  */
static int
parse_options (int argc, char **argv, struct options *o)
{
  int c;

  while ((c = getopt_long (argc, argv, short_options, long_options, NULL))
         != -1)
    if (!env_stream_option (c, o) && !process_option (c, o)
        && !parallel_option (c, o))
      switch (c)
        {
        case 'j':
          o->json = true;
          break;
        case OPT_TIME:
          o->time = true;
          break;
        case 't':
          o->timeout_ms = duration_arg ("timeout", optarg);
          break;
        case OPT_GRACE:
          o->grace_ms = duration_arg ("grace", optarg);
          o->grace_set = true;
          break;
        case 'n':
          o->dry_run = true;
          break;
        case 'v':
          o->verbose = true;
          break;
        case 'h':
          help ();
          exit (fflush (stdout) == 0 ? EXIT_SUCCESS : EXIT_TOOL_FAILED);
        case 'V':
          printf ("subproc (libsubproc) %s\n"
                  "library loaded: libsubproc %s\n"
                  "Copyright (C) 2026 The libsubproc authors.\n"
                  "License LGPL-2.1-or-later: GNU LGPL version 2.1 or later.\n"
                  "This is free software: you are free to change and "
                  "redistribute it.\n"
                  "There is NO WARRANTY, to the extent permitted by law.\n",
                  PACKAGE_VERSION, subproc_version ());
          exit (fflush (stdout) == 0 ? EXIT_SUCCESS : EXIT_TOOL_FAILED);
        default:
          /* getopt_long has said what was wrong.  */
          usage_error (NULL);
        }

  if (optind >= argc)
    usage_error ("missing the program to run");
  check_parallel (o);
  return optind;
}

/* ------------------------------------------------------------------ */
/* Building the command.  */

/* The uid of USER, and in *GID its primary group (-1 if unknown).  */
static subproc_uid_t
lookup_user (const char *user, subproc_gid_t *gid)
{
  *gid = (subproc_gid_t) -1;
#ifdef _WIN32
  /* Windows has no numeric user ids: whatever the id, the library
     reports SUBPROC_ERR_UNSUPPORTED when the command runs, which is the
     error the user should see.  */
  if (all_digits (user))
    return (subproc_uid_t) number_arg ("uid", user, LONG_MAX);
  return 0;
#else
  struct passwd *pw;
  if (all_digits (user))
    {
      subproc_uid_t uid = (subproc_uid_t) number_arg ("uid", user,
                                                      (uid_t) -1 - 1);
      if ((pw = getpwuid (uid)) != NULL)
        *gid = pw->pw_gid;
      return uid;
    }
  errno = 0;
  pw = getpwnam (user);
  if (pw == NULL)
    {
      if (errno)
        warn ("--uid: cannot look up user '%s': %s", user, strerror (errno));
      else
        warn ("--uid: no such user '%s'", user);
      exit (EXIT_TOOL_FAILED);
    }
  *gid = pw->pw_gid;
  return pw->pw_uid;
#endif
}

static subproc_gid_t
lookup_group (const char *group)
{
#ifdef _WIN32
  /* As for users: the library reports that this cannot be done.  */
  if (all_digits (group))
    return (subproc_gid_t) number_arg ("gid", group, LONG_MAX);
  return 0;
#else
  if (all_digits (group))
    return (subproc_gid_t) number_arg ("gid", group, (gid_t) -1 - 1);
  errno = 0;
  struct group *gr = getgrnam (group);
  if (gr == NULL)
    {
      if (errno)
        warn ("--gid: cannot look up group '%s': %s", group,
              strerror (errno));
      else
        warn ("--gid: no such group '%s'", group);
      exit (EXIT_TOOL_FAILED);
    }
  return gr->gr_gid;
#endif
}

#ifndef _WIN32
extern char **environ;
#endif

/* Give CMD this process's environment, as a custom one.  */
static void
add_inherited_env (subproc_t *cmd)
{
#ifdef _WIN32
  /* The process environment block, which is what children get, in
     UTF-16: the C runtime's copy is in the ANSI code page.  */
  wchar_t *block = GetEnvironmentStringsW ();
  if (block == NULL)
    return;
  for (wchar_t *w = block; *w; w += wcslen (w) + 1)
    {
      char *entry = utf8_from_wide (w);
      /* Entries such as "=C:=C:\dir" (the per-drive directories of
         cmd.exe) have no name; the library refuses them.  */
      if (entry && entry[0] != '=' && strchr (entry, '='))
        subproc_add_env_string (cmd, entry);
      free (entry);
    }
  FreeEnvironmentStringsW (block);
#else
  for (char **e = environ; e && *e; e++)
    if ((*e)[0] != '=' && strchr (*e, '='))
      subproc_add_env_string (cmd, *e);
#endif
}

/* Switch CMD to a custom environment without adding to it.  The library
   does that on the first environment call, even one that passes a
   variable this process does not have (see "Environment" in the manual);
   there is no call that only clears.  */
static void
start_custom_env (subproc_t *cmd)
{
  char name[64];
  for (unsigned int i = 0;; i++)
    {
      snprintf (name, sizeof name, "SUBPROC_TOOL_UNSET_%u", i);
      if (getenv (name) == NULL)
        break;
    }
  subproc_add_env_pass (cmd, name);
}

/* The --unset names leave what is inherited: the library's removal,
   on this process's environment itself when nothing else changes, or
   on its copy, before the other options add to it.  */
static void
apply_env (subproc_t *cmd, const struct options *o)
{
  if (!o->clear_env && o->n_env_ops == 0)
    {
      for (size_t i = 0; i < o->n_unset; i++)
        subproc_unset_env (cmd, o->unset[i]);
      return;
    }
  start_custom_env (cmd);
  if (!o->clear_env)
    {
      add_inherited_env (cmd);
      for (size_t i = 0; i < o->n_unset; i++)
        subproc_unset_env (cmd, o->unset[i]);
    }
  for (size_t i = 0; i < o->n_env_ops; i++)
    switch (o->env_ops[i].kind)
      {
      case ENV_SET:
        subproc_add_env_string (cmd, o->env_ops[i].arg);
        break;
      case ENV_PASS:
        subproc_add_env_pass (cmd, o->env_ops[i].arg);
        break;
      case ENV_PASS_COMMON:
        subproc_add_env_pass_common (cmd);
        break;
      case ENV_XDG:
        subproc_add_env_xdg (cmd, o->env_ops[i].arg);
        break;
      default:
        break;
      }
}

/* What the run produced and what it needs kept.  */
struct streams
{
  int out_fd, err_fd;        /* this process's 1 and 2 */
  char *out, *err;           /* captured bytes */
  size_t out_len, err_len;
};

static int
open_stream (const char *path, int flags, const char *what)
{
  int fd = open_path (path, flags);
  if (fd < 0)
    {
      warn ("cannot open %s file '%s': %s", what, path, strerror (errno));
      exit (EXIT_TOOL_FAILED);
    }
  return fd;
}

/* Decide where each stream goes: the explicit option, else --capture,
   else the null device for a daemon (which must not hold on to this
   process's terminal or pipes), else --json's capture, else this
   process's own stream.  */
static void
resolve_streams (struct options *o)
{
  enum stream_mode *outs[2] = { &o->out, &o->err };
  for (int i = 0; i < 2; i++)
    {
      if (*outs[i] == STREAM_INHERIT && o->capture)
        *outs[i] = STREAM_CAPTURE;
      if (*outs[i] == STREAM_INHERIT && o->daemonize)
        *outs[i] = STREAM_NULL;
      if (*outs[i] == STREAM_INHERIT && o->json)
        *outs[i] = STREAM_CAPTURE;
      if (*outs[i] == STREAM_INHERIT && !fd_is_open (i + 1))
        *outs[i] = STREAM_NULL;
    }
  if (o->in == STREAM_INHERIT && (o->daemonize || !fd_is_open (0)))
    o->in = STREAM_NULL;
  if (o->merge)
    {
      o->err = o->out;
      o->err_arg = o->out_arg;
      o->err_append = o->out_append;
    }
}

static void
apply_streams (subproc_t *cmd, const struct options *o, struct streams *s)
{
  s->out_fd = 1;
  s->err_fd = 2;

  switch (o->in)
    {
    case STREAM_INHERIT:
      subproc_set_input_fd (cmd, 0);
      break;
    case STREAM_FILE:
      /* The library opens the files when the command runs, and says
         which one it could not open.  */
      subproc_set_input_file (cmd, o->in_arg);
      break;
    case STREAM_STRING:
      subproc_set_input_bytes (cmd, o->in_arg, strlen (o->in_arg));
      break;
    case STREAM_NULL:
    case STREAM_CAPTURE:
    default:
      break;
    }

  switch (o->out)
    {
    case STREAM_INHERIT:
      subproc_set_output_fd (cmd, &s->out_fd);
      break;
    case STREAM_FILE:
      subproc_set_output_file (cmd, o->out_arg,
                               o->out_append ? SUBPROC_FILE_APPEND : 0);
      break;
    case STREAM_CAPTURE:
      subproc_set_output_bytes (cmd, &s->out, &s->out_len);
      break;
    case STREAM_NULL:
    case STREAM_STRING:
    default:
      break;
    }

  /* With --merge the same pointer twice: one descriptor, one buffer.  */
  switch (o->err)
    {
    case STREAM_INHERIT:
      subproc_set_error_fd (cmd, o->merge ? &s->out_fd : &s->err_fd);
      break;
    case STREAM_FILE:
      /* With --merge the same file and flags: one open file.  */
      subproc_set_error_file (cmd, o->err_arg,
                              o->err_append ? SUBPROC_FILE_APPEND : 0);
      break;
    case STREAM_CAPTURE:
      if (o->merge)
        subproc_set_error_bytes (cmd, &s->out, &s->out_len);
      else
        subproc_set_error_bytes (cmd, &s->err, &s->err_len);
      break;
    case STREAM_NULL:
    case STREAM_STRING:
    default:
      break;
    }
  if (o->max_output)
    subproc_set_max_output (cmd, (size_t) o->max_output);
}

static void
apply_process_options (subproc_t *cmd, const struct options *o)
{
  if (o->cwd)
    subproc_set_working_directory (cmd, o->cwd);
  if (o->timeout_ms)
    subproc_set_timeout (cmd, o->timeout_ms);
  if (o->grace_set)
    subproc_set_grace_period (cmd, o->grace_ms);
  if (o->daemonize)
    subproc_daemonize (cmd);
  if (o->pid_file)
    subproc_set_pid_file (cmd, o->pid_file);
  if (o->umask >= 0)
    subproc_set_umask (cmd, o->umask);
  if (o->uid)
    {
      subproc_gid_t primary;
      subproc_set_uid (cmd, lookup_user (o->uid, &primary));
      if (!o->gid && primary != (subproc_gid_t) -1)
        subproc_set_gid (cmd, primary);
    }
  if (o->gid)
    subproc_set_gid (cmd, lookup_group (o->gid));
  if (o->set_nofile)
    subproc_set_max_files (cmd, o->nofile);
  if (o->set_nproc)
    subproc_set_max_processes (cmd, o->nproc);
  if (o->set_core)
    subproc_set_max_core_size (cmd, o->core);
  if (o->set_memlock)
    subproc_set_max_memlock (cmd, o->memlock);
  if (o->set_as)
    subproc_set_max_address_space (cmd, o->as);
  if (o->set_cpu)
    subproc_set_max_cpu_time (cmd, o->cpu);
  for (size_t i = 0; i < o->n_rlimits; i++)
    subproc_set_rlimit (cmd, o->rlimits[i].resource, o->rlimits[i].soft,
                        o->rlimits[i].hard);
  if (o->set_memory)
    {
#ifdef _WIN32
      subproc_set_job_memory_limit (cmd, o->memory);
#else
      /* No job here: the nearest is each process's address space (a
         control group would hold the tree).  */
      subproc_set_max_address_space (cmd, o->memory);
#endif
    }
  if (o->clear_caps)
    subproc_clear_caps (cmd);
  for (size_t i = 0; i < o->n_allow_caps; i++)
    subproc_allow_cap (cmd, o->allow_caps[i]);
  if (o->no_new_privs)
    subproc_no_new_privs (cmd);
  if (o->selinux_label)
    subproc_set_selinux_label (cmd, o->selinux_label);
  if (o->apparmor_profile)
    subproc_set_apparmor_profile (cmd, o->apparmor_profile);
  if (o->run_alone == 1)
    subproc_set_run_alone (cmd);
  else if (o->run_alone == 2)
    subproc_set_run_among (cmd, o->run_among);
  for (size_t i = 0; i < o->n_pass_fds; i++)
    subproc_pass_fd (cmd, o->pass_fds[i], 0);
  for (size_t i = 0; i + 1 < o->n_pass_fd_as; i += 2)
    subproc_pass_fd_as (cmd, o->pass_fd_as[i], o->pass_fd_as[i + 1], 0);
  if (o->set_nice)
    subproc_set_priority (cmd, o->nice);
  if (o->no_window)
    subproc_set_creation_flags (cmd, SUBPROC_WIN32_NO_WINDOW);
  if (o->new_process_group)
    subproc_new_process_group (cmd);
  if (o->new_session)
    subproc_new_session (cmd);
  if (o->argv0)
    subproc_set_argv0 (cmd, o->argv0);
  if (o->kill_on_parent_exit)
    subproc_kill_on_parent_exit (cmd);
  if (o->cgroup)
    subproc_set_cgroup (cmd, o->cgroup);
}

/* ------------------------------------------------------------------ */
/* Running.  */

/* The outcome of the run.  */
struct outcome
{
  bool ran;            /* the child was reaped and *status is valid */
  long long exit_status; /* -1: none */
  int signal;          /* 0: none */
  bool timed_out;
  bool output_limit;
  bool limit;          /* a resource limit ended the child */
  const subproc_error_t *error;
  int tool_status;
  bool have_usage;     /* the child was reaped: USAGE holds what it used */
  subproc_usage_t usage;
};

/* What the child of CMD's run used, if it was reaped.  */
static void
record_usage (subproc_t *cmd, struct outcome *r)
{
  r->usage.size = sizeof r->usage;
  r->have_usage = subproc_get_usage (cmd, &r->usage) == 0;
}

/* The fields of the usage: JSON key, bit, and whether it is a time (in
   microseconds, shown in seconds).  */
static const struct
{
  const char *key;
  uint64_t bit;
  size_t offset;
  bool time;
} usage_fields[] = {
#define USAGE_FIELD(key, bit, member, time)                                  \
  { key, bit, offsetof (subproc_usage_t, member), time }
  USAGE_FIELD ("user_time", SUBPROC_USAGE_USER_TIME, user_time_us, true),
  USAGE_FIELD ("system_time", SUBPROC_USAGE_SYSTEM_TIME, system_time_us,
               true),
  USAGE_FIELD ("wall_time", SUBPROC_USAGE_WALL_TIME, wall_time_us, true),
  USAGE_FIELD ("max_rss", SUBPROC_USAGE_MAX_RSS, max_rss, false),
  USAGE_FIELD ("page_faults", SUBPROC_USAGE_PAGE_FAULTS, page_faults, false),
  USAGE_FIELD ("minor_faults", SUBPROC_USAGE_MINOR_FAULTS, minor_faults,
               false),
  USAGE_FIELD ("major_faults", SUBPROC_USAGE_MAJOR_FAULTS, major_faults,
               false),
  USAGE_FIELD ("voluntary_switches", SUBPROC_USAGE_VOLUNTARY_SWITCHES,
               voluntary_switches, false),
  USAGE_FIELD ("involuntary_switches", SUBPROC_USAGE_INVOLUNTARY_SWITCHES,
               involuntary_switches, false),
  USAGE_FIELD ("processes", SUBPROC_USAGE_PROCESSES, processes, false),
  USAGE_FIELD ("peak_commit", SUBPROC_USAGE_PEAK_COMMIT, peak_commit, false),
#undef USAGE_FIELD
};

/* --json's "usage": an object with every field (null when the system did
   not tell), or null when the child was not reaped.  */
static void
json_usage (buf_t *b, const struct outcome *r)
{
  if (!r->have_usage)
    {
      buf_str (b, ",\"usage\":null");
      return;
    }
  buf_str (b, ",\"usage\":{");
  for (size_t i = 0; i < sizeof usage_fields / sizeof usage_fields[0]; i++)
    {
      uint64_t v;
      memcpy (&v, (const char *) &r->usage + usage_fields[i].offset,
              sizeof v);
      buf_printf (b, "%s\"%s\":", i ? "," : "", usage_fields[i].key);
      if (!(r->usage.known & usage_fields[i].bit))
        buf_str (b, "null");
      else if (usage_fields[i].time)
        buf_printf (b, "%lld.%06lld", (long long) (v / 1000000),
                    (long long) (v % 1000000));
      else
        buf_printf (b, "%llu", (unsigned long long) v);
    }
  buf_str (b, "}");
}

/* Append a piece of --time's report, "NAME VALUE" or nothing when the
   field of BIT is unknown.  */
static void
time_piece (buf_t *b, const subproc_usage_t *u, uint64_t bit,
            const char *fmt, ...) SUBPROC_PRINTF (4, 5);

static void
time_piece (buf_t *b, const subproc_usage_t *u, uint64_t bit,
            const char *fmt, ...)
{
  char piece[128];
  va_list ap;
  if (!(u->known & bit))
    return;
  va_start (ap, fmt);
  vsnprintf (piece, sizeof piece, fmt, ap);
  va_end (ap);
  char last = b->len ? b->data[b->len - 1] : '\n';
  buf_str (b, last != ' ' && last != '\n' ? ", " : "");
  buf_str (b, piece);
}

/* --time: what the child used, in the manner of GNU time, on standard
   error: "subproc: elapsed M:SS.CC, user S.CC s, system S.CC s, CPU P%",
   then a line with the memory, faults, switches and processes the
   system told; with -P, "job N: " after "subproc: " (PREFIX).  */
static void
print_time (const char *prefix, const struct outcome *r)
{
  const subproc_usage_t *u = &r->usage;
  buf_t b = { 0 };

  /* No child was reaped (it could not be started): the error said
     why.  */
  if (!r->have_usage)
    return;
  buf_printf (&b, "%s: %s%s", program_name, prefix, *prefix ? ": " : "");
  int64_t wall = u->wall_time_us;
  time_piece (&b, u, SUBPROC_USAGE_WALL_TIME, "elapsed %lld:%02lld.%02lld",
              (long long) (wall / 60000000),
              (long long) (wall / 1000000 % 60),
              (long long) (wall / 10000 % 100));
  time_piece (&b, u, SUBPROC_USAGE_USER_TIME, "user %lld.%02lld s",
              (long long) (u->user_time_us / 1000000),
              (long long) (u->user_time_us / 10000 % 100));
  time_piece (&b, u, SUBPROC_USAGE_SYSTEM_TIME, "system %lld.%02lld s",
              (long long) (u->system_time_us / 1000000),
              (long long) (u->system_time_us / 10000 % 100));
  if ((u->known & SUBPROC_USAGE_WALL_TIME) && wall > 0)
    time_piece (&b, u, SUBPROC_USAGE_USER_TIME, "CPU %lld%%",
                (long long) ((u->user_time_us + u->system_time_us) * 100
                             / wall));
  buf_str (&b, "\n");
  size_t first = b.len;
  time_piece (&b, u, SUBPROC_USAGE_MAX_RSS, "max resident %llu KiB",
              (unsigned long long) (u->max_rss / 1024));
  if (u->known & SUBPROC_USAGE_MINOR_FAULTS)
    time_piece (&b, u, SUBPROC_USAGE_MAJOR_FAULTS,
                "page faults %llu minor + %llu major",
                (unsigned long long) u->minor_faults,
                (unsigned long long) u->major_faults);
  else
    time_piece (&b, u, SUBPROC_USAGE_PAGE_FAULTS, "page faults %llu",
                (unsigned long long) u->page_faults);
  time_piece (&b, u, SUBPROC_USAGE_VOLUNTARY_SWITCHES,
              "context switches %llu voluntary + %llu involuntary",
              (unsigned long long) u->voluntary_switches,
              (unsigned long long) u->involuntary_switches);
  time_piece (&b, u, SUBPROC_USAGE_PROCESSES, "processes %llu",
              (unsigned long long) u->processes);
  time_piece (&b, u, SUBPROC_USAGE_PEAK_COMMIT, "peak commit %llu KiB",
              (unsigned long long) (u->peak_commit / 1024));
  if (b.len > first)
    {
      /* The second line has the same prefix as the first.  */
      buf_t line = { 0 };
      buf_printf (&line, "%s: %s%s", program_name, prefix,
                  *prefix ? ": " : "");
      buf_add (&line, b.data + first, b.len - first);
      b.len = first;
      buf_add (&b, line.data, line.len);
      buf_str (&b, "\n");
      free (line.data);
    }
  if (!write_all (2, b.data, b.len))
    warn ("cannot write the usage: %s", strerror (errno));
  free (b.data);
}

static void
interpret_failure (const subproc_error_t *err, struct outcome *r)
{
  r->error = err;
  switch (err->code)
    {
    case SUBPROC_ERR_TIMEOUT:
      r->timed_out = true;
      r->tool_status = EXIT_TIMED_OUT;
      break;
    case SUBPROC_ERR_NOT_FOUND:
      /* The lookup reports EACCES when it found only files that cannot
         be executed.  */
      r->tool_status = err->sys_errno == EACCES ? EXIT_CANNOT_RUN
                                                : EXIT_NOT_FOUND;
      break;
    case SUBPROC_ERR_SPAWN:
      if (err->sys_errno == ENOEXEC)
        r->tool_status = EXIT_CANNOT_RUN;
      else if (err->stage == SUBPROC_STAGE_EXEC)
        /* Executing the program itself failed, rather than one of the
           setup steps before it (changing directory, identity,
           limits).  */
        r->tool_status = err->sys_errno == ENOENT ? EXIT_NOT_FOUND
                                                  : EXIT_CANNOT_RUN;
      else
        r->tool_status = EXIT_TOOL_FAILED;
      break;
    case SUBPROC_ERR_LIMIT:
      /* The child died of the limit: its status (a signal's 128 + N, as
         for any death by a signal) follows, from interpret_status.  */
      r->limit = true;
      r->tool_status = EXIT_TOOL_FAILED;
      break;
    case SUBPROC_ERR_IO:
      r->output_limit = err->sys_errno == EFBIG;
      r->tool_status = EXIT_TOOL_FAILED;
      break;
    default:
      r->tool_status = EXIT_TOOL_FAILED;
      break;
    }
}

static void
interpret_status (int raw, struct outcome *r)
{
  r->ran = true;
#ifdef _WIN32
  /* The exit code, passed on whole (an exception code included).  */
  r->exit_status = (unsigned int) raw;
  r->tool_status = raw;
#else
  if (WIFEXITED (raw))
    {
      r->exit_status = WEXITSTATUS (raw);
      r->tool_status = WEXITSTATUS (raw);
    }
  else if (WIFSIGNALED (raw))
    {
      r->signal = WTERMSIG (raw);
      r->tool_status = 128 + WTERMSIG (raw);
    }
  else
    r->tool_status = EXIT_TOOL_FAILED;
#endif
}

static void
print_json (char *const *argv, const struct options *o,
            const struct streams *s, const struct outcome *r, double elapsed)
{
  buf_t b = { 0 };

  json_argv (&b, argv);
  if (r->ran && r->signal == 0)
    buf_printf (&b, ",\"exit_status\":%lld", r->exit_status);
  else
    buf_str (&b, ",\"exit_status\":null");
  if (r->signal)
    buf_printf (&b, ",\"signal\":%d", r->signal);
  else
    buf_str (&b, ",\"signal\":null");
  buf_printf (&b, ",\"timed_out\":%s,\"output_limit_exceeded\":%s",
              r->timed_out ? "true" : "false",
              r->output_limit ? "true" : "false");
  buf_printf (&b, ",\"limit_exceeded\":%s", r->limit ? "true" : "false");
  buf_printf (&b, ",\"elapsed\":%.6f", elapsed);
  json_usage (&b, r);
  json_stream (&b, "stdout", o->out == STREAM_CAPTURE, s->out, s->out_len);
  json_stream (&b, "stderr", o->err == STREAM_CAPTURE && !o->merge, s->err,
               s->err_len);
  if (r->error)
    {
      buf_printf (&b, ",\"error\":{\"code\":\"%s\",\"message\":",
                  subproc_error_name (r->error->code)
                    ? subproc_error_name (r->error->code)
                    : "unknown");
      json_string (&b, r->error->message, strlen (r->error->message));
      buf_str (&b, "}");
    }
  else
    buf_str (&b, ",\"error\":null");
  buf_printf (&b, ",\"status\":%d}\n", r->tool_status);
  if (!write_all (1, b.data, b.len))
    warn ("cannot write the JSON output: %s", strerror (errno));
  free (b.data);
}

/* The last error of CMD (or of the thread, if the command has none).  */
static const subproc_error_t *
command_error (subproc_t *cmd)
{
  const subproc_error_t *err = subproc_get_error (cmd);
  if (err == NULL)
    err = subproc_last_error ();
  return err;
}

static int
dry_run (subproc_t *cmd, char *const *argv, const struct options *o)
{
  char *line = subproc_to_string (cmd);
  if (line == NULL)
    {
      warn ("%s", command_error (cmd)->message);
      return EXIT_TOOL_FAILED;
    }
  if (o->json)
    {
      buf_t b = { 0 };
      json_argv (&b, argv);
      buf_str (&b, ",\"command\":");
      json_string (&b, line, strlen (line));
      buf_str (&b, "}\n");
      write_all (1, b.data, b.len);
      free (b.data);
    }
  else
    printf ("%s\n", line);
  free (line);
  return fflush (stdout) == 0 ? EXIT_SUCCESS : EXIT_TOOL_FAILED;
}

/* ------------------------------------------------------------------ */
/* Parallel mode: one job per item of standard input.  */

/* Everything FD gives until its end, NUL-terminated, in *DATA and its
   length in *LEN; false, with errno, if reading fails.  */
static bool
read_all (int fd, char **data, size_t *len)
{
  size_t n = 0, size = 4096;
  char *p = xrealloc (NULL, size);
  for (;;)
    {
      if (size - n < 2)
        {
          if (size > SIZE_MAX / 2)
            xalloc_die ();
          size *= 2;
          p = xrealloc (p, size);
        }
      size_t room = size - n - 1;
#ifdef _WIN32
      int r = _read (fd, p + n,
                     room > 0x10000 ? 0x10000 : (unsigned int) room);
#else
      ssize_t r = read (fd, p + n, room);
#endif
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          free (p);
          errno = e;
          return false;
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  p[n] = '\0';
  *data = p;
  *len = n;
  return true;
}

/* The items of the list: pointers into its text, in which every
   separator has become a NUL.  */
struct items
{
  char *text;
  char **v;
  size_t n;
};

/* Split the LEN bytes of IT->text into items: lines, or with NULL_ITEMS
   strings that end with a NUL; the last one may lack its separator.
   Empty items are skipped.  False, with the message given, for a line
   that holds a NUL byte.  */
static bool
split_items (struct items *it, size_t len, bool null_items)
{
  char sep = null_items ? '\0' : '\n';
  char *p = it->text, *end = it->text + len;
  for (size_t line = 1; p < end; line++)
    {
      char *e = memchr (p, sep, (size_t) (end - p));
      if (e == NULL)
        e = end;
      if (!null_items && memchr (p, '\0', (size_t) (e - p)))
        {
          warn ("standard input, line %zu: a NUL byte in the line (use "
                "--null for items that end with NUL bytes)", line);
          return false;
        }
#ifdef _WIN32
      /* Lines that Windows programs write end with CR LF.  */
      if (!null_items && e > p && e[-1] == '\r')
        e[-1] = '\0';
#endif
      *e = '\0';
      if (*p)
        APPEND (it->v, it->n, p);
      p = e + 1;
    }
  return true;
}

/* Where a job is.  */
enum job_state
{
  JOB_WAITING,
  JOB_RUNNING,
  JOB_ENDED,  /* its outcome is known, its output not written yet */
  JOB_WRITTEN
};

struct job
{
  enum job_state state;
  subproc_t *cmd;
  struct streams s;
  struct outcome r;
  subproc_error_t error; /* a copy of *r.error, which outlives cmd */
  char *message;         /* the copy's message */
  double start, elapsed;
};

/* The jobs of one parallel run.  */
struct pool
{
  const struct options *o;
  char *const *base;   /* PROGRAM and ARGs as given */
  size_t n_base;       /* their number */
  char **argv;         /* those of a job: PROGRAM, ARGs, its item, NULL */
  char **replaced;     /* --replace: the arguments made for a job */
  struct items items;  /* one job per item */
  char *input;         /* --input-file: the file's bytes, for every job */
  size_t input_len;
  struct job *jobs;
  subproc_t **slots;   /* the running commands; NULL: a free slot */
  size_t *slot_job;    /* the job in each slot */
  size_t *ended;       /* room for subproc_poll's answer */
  size_t next_start;   /* the next job to start */
  size_t next_write;   /* --keep-order: the next job to write out */
  size_t done, running;
  bool one_at_a_time;  /* subproc_poll failed: wait for the oldest job */
  bool progress;       /* --progress, and standard error is a terminal */
  size_t progress_len; /* the length of the progress line drawn */
  int worst;           /* the highest status so far */
};

/* S with every PAT in it replaced by WITH, newly allocated; NULL when S
   has no PAT.  */
static char *
replace_all (const char *s, const char *pat, const char *with)
{
  size_t n = 0, pat_len = strlen (pat), with_len = strlen (with);
  for (const char *q = strstr (s, pat); q; q = strstr (q + pat_len, pat))
    n++;
  if (n == 0)
    return NULL;
  size_t len = strlen (s);
  if (with_len > pat_len && (with_len - pat_len) > (SIZE_MAX - len - 1) / n)
    xalloc_die ();
  char *r = xrealloc (NULL, len - n * pat_len + n * with_len + 1), *w = r;
  for (const char *q; (q = strstr (s, pat)) != NULL; s = q + pat_len)
    {
      memcpy (w, s, (size_t) (q - s));
      w += q - s;
      memcpy (w, with, with_len);
      w += with_len;
    }
  strcpy (w, s);
  return r;
}

/* The argument vector of job I: PROGRAM, ARGs and its item, or with
   --replace PROGRAM and ARGs with the item in place of the string.  */
static char *const *
job_argv (struct pool *p, size_t i)
{
  const char *item = p->items.v[i];
  if (p->o->replace == NULL)
    {
      p->argv[p->n_base] = (char *) item;
      return p->argv;
    }
  for (size_t k = 0; k < p->n_base; k++)
    {
      free (p->replaced[k]);
      p->replaced[k] = replace_all (p->base[k], p->o->replace, item);
      p->argv[k] = p->replaced[k] ? p->replaced[k] : p->base[k];
    }
  p->argv[p->n_base] = NULL;
  return p->argv;
}

/* The command of job I, with the options that apply to each job; NULL
   when memory runs out.  */
static subproc_t *
job_command (struct pool *p, size_t i)
{
  subproc_t *cmd = subproc_new_args ((const char *const *) job_argv (p, i));
  if (cmd == NULL)
    return NULL;
  apply_env (cmd, p->o);
  apply_process_options (cmd, p->o);
  return cmd;
}

/* Where the standard streams of a job go: its input is the null device,
   --input's string or --input-file's bytes; its output and error are
   captured, unless sent to the null device.  */
static void
job_streams (struct pool *p, struct job *j)
{
  const struct options *o = p->o;
  subproc_t *cmd = j->cmd;

  if (o->in == STREAM_STRING)
    subproc_set_input_bytes (cmd, o->in_arg, strlen (o->in_arg));
  else if (o->in == STREAM_FILE)
    subproc_set_input_bytes (cmd, p->input, p->input_len);
  if (o->out == STREAM_CAPTURE)
    subproc_set_output_bytes (cmd, &j->s.out, &j->s.out_len);
  if (o->err == STREAM_CAPTURE)
    {
      if (o->merge)
        subproc_set_error_bytes (cmd, &j->s.out, &j->s.out_len);
      else
        subproc_set_error_bytes (cmd, &j->s.err, &j->s.err_len);
    }
  if (o->max_output)
    subproc_set_max_output (cmd, (size_t) o->max_output);
  subproc_raw_status (cmd);
}

static void
write_fd_or_warn (int fd, const char *data, size_t len, const char *what)
{
  if (data && !write_all (fd, data, len))
    warn ("cannot write the %s: %s", what, strerror (errno));
}

/* Clear the progress line, so that what follows starts on a clean
   line.  */
static void
progress_erase (struct pool *p)
{
  if (p->progress_len == 0)
    return;
  char blank[84];
  size_t n = p->progress_len + 2;
  memset (blank, ' ', n);
  blank[0] = blank[n - 1] = '\r';
  write_all (2, blank, n);
  p->progress_len = 0;
}

/* Draw the progress line: "[DONE/TOTAL, RUNNING running] ITEM", ITEM
   being the item of the job started last, shortened to fit in 79
   columns, its control characters shown as '?'.  */
static void
progress_draw (struct pool *p)
{
  if (!p->progress)
    return;
  char line[82];
  line[0] = '\r';
  int n = snprintf (line + 1, 80, "[%zu/%zu, %zu running] ", p->done,
                    p->items.n, p->running);
  size_t len = n > 0 && n < 80 ? (size_t) n + 1 : 1;
  const char *c = p->next_start ? p->items.v[p->next_start - 1] : "";
  for (; *c && len < 80; c++)
    line[len++] = (unsigned char) *c < 0x20 || *c == 0x7f ? '?' : *c;
  /* Shortened: leave out the character that was cut in two.  */
  if (*c)
    for (; len > 1 && ((unsigned char) *c & 0xC0) == 0x80; c--)
      len--;
  /* Blanks over the rest of a longer line drawn before.  */
  while (len - 1 < p->progress_len)
    line[len++] = ' ';
  write_all (2, line, len);
  p->progress_len = len - 1;
}

/* Write out what job I printed, and its error.  */
static void
write_job (struct pool *p, size_t i)
{
  struct job *j = &p->jobs[i];
  progress_erase (p);
  if (j->r.error)
    warn ("job %zu (%s): %s", i + 1, p->items.v[i], j->r.error->message);
  if (p->o->time)
    {
      char prefix[32];
      snprintf (prefix, sizeof prefix, "job %zu", i + 1);
      print_time (prefix, &j->r);
    }
  if (p->o->json)
    print_json (job_argv (p, i), p->o, &j->s, &j->r, j->elapsed);
  else
    {
      write_fd_or_warn (1, j->s.out, j->s.out_len, "output");
      write_fd_or_warn (2, j->s.err, j->s.err_len, "error output");
    }
  free (j->s.out);
  free (j->s.err);
  free (j->message);
  j->s.out = j->s.err = j->message = NULL;
  j->state = JOB_WRITTEN;
}

/* Job I is over, with its outcome in its R: free its command, and
   write it out now, or with --keep-order once the jobs before it are
   written.  */
static void
job_ended (struct pool *p, size_t i)
{
  struct job *j = &p->jobs[i];
  if (j->r.error)
    {
      /* The error belongs to the command, which goes now.  */
      j->error = *j->r.error;
      j->message = xrealloc (NULL, strlen (j->r.error->message) + 1);
      strcpy (j->message, j->r.error->message);
      j->error.message = j->message;
      j->r.error = &j->error;
    }
  subproc_free (j->cmd);
  j->cmd = NULL;
  j->elapsed = now_seconds () - j->start;
  j->state = JOB_ENDED;
  p->done++;
  if ((unsigned int) j->r.tool_status > (unsigned int) p->worst)
    p->worst = j->r.tool_status;
  if (!p->o->keep_order)
    write_job (p, i);
  else
    while (p->next_write < p->items.n
           && p->jobs[p->next_write].state == JOB_ENDED)
      write_job (p, p->next_write++);
}

/* Whether ERR says that the system lacks what a run needs for now
   (descriptors, processes), which the jobs running hold and give back
   when they end.  */
static bool
lacks_resources (const subproc_error_t *err)
{
  return err->sys_errno == EMFILE || err->sys_errno == ENFILE
         || err->sys_errno == EAGAIN;
}

/* Start the next job in free slot SLOT.  A job that cannot start is
   over at once, with its error; false if it is put back instead, to
   start once a running job has ended, because it lacks what the running
   ones hold.  */
static bool
start_job (struct pool *p, size_t slot)
{
  size_t i = p->next_start++;
  struct job *j = &p->jobs[i];

  j->r.exit_status = -1;
  j->start = now_seconds ();
  j->cmd = job_command (p, i);
  if (j->cmd == NULL)
    {
      warn ("job %zu (%s): out of memory", i + 1, p->items.v[i]);
      j->r.tool_status = EXIT_TOOL_FAILED;
      job_ended (p, i);
      return true;
    }
  job_streams (p, j);
  int ret = subproc_run_async (j->cmd, NULL);
  if (ret < 0 && p->running > 0 && lacks_resources (command_error (j->cmd)))
    {
      subproc_free (j->cmd);
      free (j->s.out);
      free (j->s.err);
      memset (j, 0, sizeof *j);
      p->next_start--;
      return false;
    }
  if (p->o->verbose)
    {
      char *line = subproc_to_string (j->cmd);
      progress_erase (p);
      if (line)
        fprintf (stderr, "%s: running: %s\n", program_name, line);
      free (line);
    }
  if (ret < 0)
    {
      interpret_failure (command_error (j->cmd), &j->r);
      job_ended (p, i);
      return true;
    }
  j->state = JOB_RUNNING;
  p->slots[slot] = j->cmd;
  p->slot_job[slot] = i;
  p->running++;
  return true;
}

/* Reap the job in SLOT, whose run is over.  */
static void
collect_job (struct pool *p, size_t slot)
{
  size_t i = p->slot_job[slot];
  struct job *j = &p->jobs[i];
  int raw = 0;

  if (subproc_wait (j->cmd, &raw) == 0)
    interpret_status (raw, &j->r);
  else
    {
      interpret_failure (command_error (j->cmd), &j->r);
      if (j->r.error->code == SUBPROC_ERR_LIMIT)
        interpret_status (raw, &j->r);
    }
  record_usage (j->cmd, &j->r);
  p->slots[slot] = NULL;
  p->running--;
  job_ended (p, i);
}

/* The slot of the running job that started first.  */
static size_t
oldest_slot (const struct pool *p)
{
  size_t best = 0;
  bool found = false;
  for (size_t k = 0; k < p->o->parallel; k++)
    if (p->slots[k] && (!found || p->slot_job[k] < p->slot_job[best]))
      {
        best = k;
        found = true;
      }
  return best;
}

/* Run every job, keeping the slots full, and write each out.  */
static void
run_jobs (struct pool *p)
{
  size_t n_slots = p->o->parallel;
  while (p->done < p->items.n)
    {
      bool room = true;
      for (size_t k = 0; k < n_slots && room; k++)
        while (room && p->slots[k] == NULL && p->next_start < p->items.n)
          room = start_job (p, k);
      progress_draw (p);
      if (p->running == 0)
        continue;
      int n = -1;
      if (!p->one_at_a_time)
        n = subproc_poll (p->slots, n_slots, -1, p->ended);
      if (n < 0)
        {
          /* The jobs can still be run to their end, each in turn.  */
          if (!p->one_at_a_time)
            {
              const subproc_error_t *err = subproc_last_error ();
              progress_erase (p);
              warn ("cannot wait for many jobs at once (%s); waiting for "
                    "one at a time",
                    err ? err->message : "unknown error");
            }
          p->one_at_a_time = true;
          p->ended[0] = oldest_slot (p);
          n = 1;
        }
      for (int k = 0; k < n; k++)
        collect_job (p, p->ended[k]);
    }
  progress_erase (p);
}

static bool
stderr_is_terminal (void)
{
#ifdef _WIN32
  return _isatty (2) != 0;
#else
  return isatty (2) != 0;
#endif
}

/* Read the list and, with --input-file, the file every job reads.  */
static bool
read_inputs (struct pool *p, const struct options *o)
{
  size_t len;
  if (!read_all (0, &p->items.text, &len))
    {
      warn ("cannot read the list of items from standard input: %s",
            strerror (errno));
      return false;
    }
  if (!split_items (&p->items, len, o->null_items))
    return false;
  if (o->in == STREAM_FILE)
    {
      int fd = open_stream (o->in_arg, O_RDONLY, "input");
      bool ok = read_all (fd, &p->input, &p->input_len);
      if (!ok)
        warn ("cannot read input file '%s': %s", o->in_arg,
              strerror (errno));
      close_fd (fd);
      return ok;
    }
  return true;
}

/* --dry-run: the command line of every job.  */
static void
dry_run_jobs (struct pool *p)
{
  for (size_t i = 0; i < p->items.n; i++)
    {
      subproc_t *cmd = job_command (p, i);
      int status = cmd ? dry_run (cmd, job_argv (p, i), p->o)
                       : EXIT_TOOL_FAILED;
      if (cmd == NULL)
        warn ("out of memory");
      subproc_free (cmd);
      if (status > p->worst)
        p->worst = status;
    }
}

static void
pool_free (struct pool *p)
{
  free (p->items.text);
  free (p->items.v);
  free (p->input);
  free (p->jobs);
  free (p->slots);
  free (p->slot_job);
  free (p->ended);
  free (p->argv);
  for (size_t k = 0; p->replaced && k < p->n_base; k++)
    free (p->replaced[k]);
  free (p->replaced);
}

/* Run PROGRAM and ARGs (BASE) once per item of standard input, O->parallel
   jobs at a time.  Returns the highest status of the jobs (0 for no
   job), or 125 when the list cannot be read.  */
static int
run_parallel (char *const *base, struct options *o)
{
  struct pool p;
  memset (&p, 0, sizeof p);
  p.o = o;

  /* Standard input is the list, not the jobs' input; every job's output
     is captured, to be written out whole.  */
  if (o->in == STREAM_INHERIT)
    o->in = STREAM_NULL;
  o->capture = true;
  resolve_streams (o);

  p.base = base;
  while (base[p.n_base])
    p.n_base++;
  p.argv = xrealloc (NULL, (p.n_base + 2) * sizeof *p.argv);
  memcpy (p.argv, base, p.n_base * sizeof *p.argv);
  p.argv[p.n_base + 1] = NULL;
  p.replaced = xrealloc (NULL, p.n_base * sizeof *p.replaced);
  memset (p.replaced, 0, p.n_base * sizeof *p.replaced);

  if (!read_inputs (&p, o))
    {
      pool_free (&p);
      return EXIT_TOOL_FAILED;
    }
  if (o->dry_run)
    dry_run_jobs (&p);
  else if (p.items.n > 0)
    {
      p.jobs = xrealloc (NULL, p.items.n * sizeof *p.jobs);
      memset (p.jobs, 0, p.items.n * sizeof *p.jobs);
      p.slots = xrealloc (NULL, o->parallel * sizeof *p.slots);
      memset (p.slots, 0, o->parallel * sizeof *p.slots);
      p.slot_job = xrealloc (NULL, o->parallel * sizeof *p.slot_job);
      p.ended = xrealloc (NULL, o->parallel * sizeof *p.ended);
      p.progress = o->progress && stderr_is_terminal ();
      run_jobs (&p);
    }
  int worst = p.worst;
  pool_free (&p);
  return worst;
}

/* What parse_options allocated.  */
static void
options_free (struct options *o)
{
  free (o->env_ops);
  free (o->unset);
  free (o->allow_caps);
  free (o->pass_fds);
  free (o->rlimits);
  free (o->pass_fd_as);
}

int
main (int argc, char **argv)
{
  struct options o;
  struct streams s;
  struct outcome r = { .exit_status = -1 };

#ifdef _WIN32
  argv = utf8_argv (&argc);
  /* Bytes in, bytes out: no CRLF translation of captured output.  */
  _setmode (0, _O_BINARY);
  _setmode (1, _O_BINARY);
  _setmode (2, _O_BINARY);
#endif
  /* getopt_long names the program after argv[0] in its messages.  */
  argv[0] = (char *) program_name;
  memset (&o, 0, sizeof o);
  memset (&s, 0, sizeof s);
  o.umask = -1;

  int first = parse_options (argc, argv, &o);
  char *const *child_argv = argv + first;
  if (o.parallel)
    {
      int ret = run_parallel (child_argv, &o);
      options_free (&o);
      return ret;
    }

  subproc_t *cmd = subproc_new_args ((const char *const *) child_argv);
  if (cmd == NULL)
    {
      warn ("out of memory");
      options_free (&o);
      return EXIT_TOOL_FAILED;
    }
  apply_env (cmd, &o);
  apply_process_options (cmd, &o);
  if (o.dry_run)
    {
      int ret = dry_run (cmd, child_argv, &o);
      subproc_free (cmd);
      options_free (&o);
      return ret;
    }
  resolve_streams (&o);
  apply_streams (cmd, &o, &s);
  subproc_raw_status (cmd);

  if (o.verbose)
    {
      char *line = subproc_to_string (cmd);
      if (line)
        fprintf (stderr, "%s: running: %s\n", program_name, line);
      free (line);
    }

  int raw = 0;
  double start = now_seconds ();
  int ret = subproc_run (cmd, &raw);
  double elapsed = now_seconds () - start;
  record_usage (cmd, &r);
  if (ret == 0)
    interpret_status (raw, &r);
  else
    {
      interpret_failure (command_error (cmd), &r);
      if (r.error->code == SUBPROC_ERR_LIMIT)
        interpret_status (raw, &r);
      warn ("%s", r.error->message);
    }

  if (o.time)
    print_time ("", &r);
  if (o.json)
    print_json (child_argv, &o, &s, &r, elapsed);
  else
    {
      if (s.out && !write_all (1, s.out, s.out_len))
        warn ("cannot write the output: %s", strerror (errno));
      if (s.err && !write_all (2, s.err, s.err_len))
        warn ("cannot write the error output: %s", strerror (errno));
    }
  free (s.out);
  free (s.err);
  subproc_free (cmd);
  options_free (&o);
  return r.tool_status;
}
