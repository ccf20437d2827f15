/* helper.c: the child program that the tests spawn.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Usage: subproc-helper SUBCOMMAND [ARGS]
 *
 * One small program with subcommands, so that no test depends on /bin
 * tools (they do not exist under Wine).  It builds for POSIX and, with
 * mingw-w64, for Windows; Windows-only subcommands are in helper-win32.c.
 * Output goes to stdout unless said otherwise, the exit status is 0 unless
 * said otherwise, and an unknown subcommand exits with 2.
 *
 *   argv               each argument after the subcommand, NUL after each
 *   argv0              argv[0] as the helper got it, and a newline
 *   env                each environment entry, NUL after each
 *   getenv NAME...     per name a line: the value, or "(unset)"
 *   cwd                the working directory
 *   umask              the umask in octal ("0022")
 *   fds                open descriptors above 2, one per line, ascending
 *   fd-read N          copy descriptor N to stdout until EOF
 *   fd-write N TEXT    write TEXT to descriptor N
 *   fd-tags N...       write "N\n" to each descriptor N given, so that
 *                      the reader of a pipe learns under which number the
 *                      helper had it
 *   nice               (POSIX) "nice=N", the helper's nice value
 *   ids                uid=, gid=, euid=, egid=, suid=, sgid= (saved ids,
 *                      Linux), groups= (POSIX)
 *   caps               the Cap* and NoNewPrivs lines of /proc/self/status,
 *                      and "Securebits:\tXX", PR_GET_SECUREBITS in hex
 *                      (Linux)
 *   clear-securebits   try PR_SET_SECUREBITS 0: "cleared", or "refused: "
 *                      and why (POSIX)
 *   reexec SUB [ARGS]  execute the helper again with SUB and ARGS (POSIX)
 *   pgid               pid=, ppid=, pgid=, sid= (POSIX)
 *   rlimits            memlock=, nproc=, nofile=, core= soft limits (POSIX)
 *   sigs               blocked= (hex mask, bit N-1 for signal N), ignored=,
 *                      handled= (comma-separated signal numbers) (POSIX)
 *   stdio-null [FD]    "0=null" or "0=other", the same for 1 and 2, written
 *                      to FD (default 1)
 *   echo               stdin to stdout until EOF
 *   echo-err           stdin to stderr until EOF
 *   echo-and-err N     stdin to stdout, and at the same time N bytes of the
 *                      pattern to stderr
 *   consume            read stdin to EOF, print the byte count
 *   stdin-then-exit    the same
 *   read-one           read one byte of stdin, close stdin, print "closed",
 *                      wait 500 ms
 *   print TEXT         TEXT, no newline
 *   print-err TEXT     TEXT to stderr, no newline
 *   err-exit TEXT N    TEXT and a newline to stderr, exit N
 *   interleave N       N times "out I\n" to stdout then "err I\n" to stderr
 *   write-bytes N [err]  N bytes of the pattern 'a'..'z' (to stderr: err)
 *   write-both N       N bytes of the pattern to stdout and to stderr
 *   write-nul          the 5 bytes "a\0b\0c"
 *   write-forever      the pattern to stdout until killed
 *   write-then-sleep N N bytes of the pattern to stdout, then sleep until
 *                      killed
 *   exit N             exit with status N
 *   sleep MS           sleep MS milliseconds
 *   sleep-forever      sleep until killed
 *   await-usr1         (POSIX) print "ready", wait for SIGUSR1, print
 *                      "usr1", exit 0
 *   ignore-term        (POSIX) ignore SIGTERM, print "ready", sleep until
 *                      killed
 *   signal NAME        die of signal NAME (TERM, KILL, SEGV, ABRT, INT, HUP,
 *                      USR1, PIPE or a number); on Windows "segv" is an
 *                      access violation
 *   grandchild MS      start a grandchild that sleeps MS with the same
 *                      stdout, print its pid, exit
 *   grandchild-writer  start a grandchild that writes the pattern to the
 *                      same stdout until killed, print its pid to stderr,
 *                      exit
 *   tree N             start N grandchildren that sleep forever, print their
 *                      pids one per line, then sleep forever
 *   pid                the helper's pid
 *   index-out I NOUT NERR  NOUT bytes of child I's pattern for stdout and
 *                      NERR bytes of its pattern for stderr (binary, NUL
 *                      bytes included; see index_byte), in chunks of
 *                      varying size that alternate between the streams
 *   dribble            stdin to stdout, one write per byte
 *   consume-then-fd N  read stdin to EOF, copy descriptor N to stdout
 *                      until EOF, then print the stdin byte count
 *   limits             NAME=SOFT:HARD for as, data, cpu, stack, nofile,
 *                      core, fsize (and memlock, nproc where they exist),
 *                      "unlimited" for none (POSIX)
 *   alloc MIB STEP     allocate MIB MiB in steps of STEP MiB, touching
 *                      every page; print "allocated N of MIB MiB" (N how
 *                      far it got) and exit 0, or 3 if a step failed
 *   spin S             use S seconds of CPU time (user time on Windows),
 *                      print "spun" and exit 0
 *   spin-ignore-xcpu S  the same with SIGXCPU ignored (POSIX)
 *   write-file PATH N  write N bytes of the pattern to PATH (created)
 *   burn MS [MIB]      write MIB MiB of memory (default 0), then spin
 *                      until the helper's own user CPU time reaches MS
 *   burn-grandchild MS wait|nowait  start a grandchild that burns MS
 *                      and wait until it has ended: reaping it (wait),
 *                      or without reaping it (nowait: POSIX waitid with
 *                      WNOWAIT; the same as wait on Windows)
 *   cgroup             (POSIX) /proc/self/cgroup, read as the first thing
 *                      main does
 *   touch-mib N        allocate and touch N MiB, print "touched N MiB"
 */

#ifdef HAVE_CONFIG_H
# include <config.h>
#endif

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>

#ifdef _WIN32
# include <direct.h>
# include <fcntl.h>
# include <io.h>
# include <process.h>
# include <windows.h>
#else
# include <dirent.h>
# include <fcntl.h>
# include <grp.h>
# include <poll.h>
# include <sys/resource.h>
# include <sys/wait.h>
# include <time.h>
# include <unistd.h>
# ifdef __linux__
#  include <sys/auxv.h>
#  include <sys/prctl.h>
#  ifndef PR_GET_SECUREBITS
#   define PR_GET_SECUREBITS 27
#   define PR_SET_SECUREBITS 28
#  endif
# endif
#endif

#ifdef _WIN32
/* Windows-only subcommands (helper-win32.c): -1 for an unknown one.  */
int helper_win32_main (const char *sub, int argc, char **argv);
# define environ _environ
#else
extern char **environ;
#endif

#define CHUNK (64 * 1024)

static const char *self_path;

/* ------------------------------------------------------------------ */
/* Small portable pieces.  */

static void
die (const char *what)
{
  fprintf (stderr, "subproc-helper: %s: %s\n", what, strerror (errno));
  exit (1);
}

static void
usage (const char *why)
{
  fprintf (stderr, "subproc-helper: %s\n", why);
  exit (2);
}

static long
num_arg (int argc, char **argv, int i)
{
  if (i >= argc)
    usage ("missing number");
  char *end;
  errno = 0;
  long v = strtol (argv[i], &end, 10);
  if (errno || *end || end == argv[i])
    usage ("bad number");
  return v;
}

static long
read_fd (int fd, void *buf, size_t len)
{
  for (;;)
    {
#ifdef _WIN32
      long r = _read (fd, buf, (unsigned int) len);
#else
      long r = (long) read (fd, buf, len);
#endif
      if (r < 0 && errno == EINTR)
        continue;
      return r;
    }
}

/* Write all of BUF with write(2), unbuffered.  */
static void
write_fd (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
#ifdef _WIN32
      long w = _write (fd, p, (unsigned int) (len > CHUNK ? CHUNK : len));
#else
      long w = (long) write (fd, p, len);
#endif
      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        die ("write");
      p += w;
      len -= (size_t) w;
    }
}

static void
write_str (int fd, const char *s)
{
  write_fd (fd, s, strlen (s));
}

static void
sleep_ms (long ms)
{
#ifdef _WIN32
  Sleep ((DWORD) ms);
#else
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
#endif
}

static void
sleep_forever (void)
{
  for (;;)
    sleep_ms (1000000);
}

static long
own_pid (void)
{
#ifdef _WIN32
  return (long) GetCurrentProcessId ();
#else
  return (long) getpid ();
#endif
}

/* Fill BUF with LEN bytes of the pattern 'a' + i % 26, starting at
   offset OFF of the stream.  */
static void
pattern (char *buf, size_t len, unsigned long long off)
{
  for (size_t i = 0; i < len; i++)
    buf[i] = (char) ('a' + (off + i) % 26);
}

/* N bytes of the pattern to FD, CHUNK bytes at a time.  */
static void
write_pattern (int fd, unsigned long long n)
{
  static char buf[CHUNK];
  unsigned long long off = 0;
  while (off < n)
    {
      size_t len = n - off > CHUNK ? CHUNK : (size_t) (n - off);
      pattern (buf, len, off);
      write_fd (fd, buf, len);
      off += len;
    }
}

/* Copy FROM to TO until EOF; the byte count.  TO < 0: discard.  */
static unsigned long long
copy_fd (int from, int to)
{
  static char buf[CHUNK];
  unsigned long long total = 0;
  for (;;)
    {
      long r = read_fd (from, buf, sizeof buf);
      if (r < 0)
        die ("read");
      if (r == 0)
        return total;
      total += (unsigned long long) r;
      if (to >= 0)
        write_fd (to, buf, (size_t) r);
    }
}

/* Byte OFF of stream STREAM (1 or 2) of child INDEX for "index-out".
   tests/common.c (test_index_byte) computes the same.  */
static unsigned char
index_byte (unsigned long index, int stream, unsigned long long off)
{
  return (unsigned char) (off * 7 + index * 13 + (unsigned long) stream * 101
                          + (off >> 8) * (index + 1));
}

/* "index-out": both streams of child INDEX, alternating in chunks whose
   sizes come from a list that each child enters at its own place.  */
static void
index_out (unsigned long index, unsigned long long nout,
           unsigned long long nerr)
{
  static const size_t sizes[] = { 1, 7, 512, 4096, CHUNK, 100, 3000 };
  static char buf[CHUNK];
  unsigned long long done[3] = { 0, 0, 0 }, want[3] = { 0, nout, nerr };
  size_t k = index % (sizeof sizes / sizeof sizes[0]);
  int stream = 1;

  while (done[1] < want[1] || done[2] < want[2])
    {
      if (done[stream] < want[stream])
        {
          size_t len = sizes[k];
          if (len > want[stream] - done[stream])
            len = (size_t) (want[stream] - done[stream]);
          for (size_t i = 0; i < len; i++)
            buf[i] = (char) index_byte (index, stream, done[stream] + i);
          write_fd (stream, buf, len);
          done[stream] += len;
          k = (k + 1) % (sizeof sizes / sizeof sizes[0]);
        }
      stream = 3 - stream;
    }
}

/* ------------------------------------------------------------------ */
/* Descriptors.  */

#ifdef _WIN32
static void
ignore_invalid_parameter (const wchar_t *e, const wchar_t *f,
                          const wchar_t *file, unsigned int line,
                          uintptr_t reserved)
{
  (void) e;
  (void) f;
  (void) file;
  (void) line;
  (void) reserved;
}
#endif

static int
cmp_int (const void *a, const void *b)
{
  int x = *(const int *) a, y = *(const int *) b;
  return (x > y) - (x < y);
}

static void
list_fds (void)
{
  static int fds[65536];
  size_t n = 0;

#ifdef _WIN32
  _set_invalid_parameter_handler (ignore_invalid_parameter);
  for (int fd = 3; fd < 2048; fd++)
    if (_get_osfhandle (fd) != -1)
      fds[n++] = fd;
#else
  DIR *dir = opendir ("/proc/self/fd");
  bool listed = false;
  if (dir)
    {
      int own = dirfd (dir);
      struct dirent *d;
      errno = 0;
      while ((d = readdir (dir)) != NULL && n < 65536)
        {
          if (d->d_name[0] < '0' || d->d_name[0] > '9')
            continue;
          int fd = atoi (d->d_name);
          if (fd > 2 && fd != own)
            fds[n++] = fd;
        }
      /* A directory that cannot be read (a seccomp filter of a test):
         probe instead.  */
      listed = errno == 0;
      closedir (dir);
    }
  if (!listed)
    {
      n = 0;
      long max = sysconf (_SC_OPEN_MAX);
      if (max < 0 || max > 65536)
        max = 65536;
      for (int fd = 3; fd < max; fd++)
        if (fcntl (fd, F_GETFD) >= 0)
          fds[n++] = fd;
    }
#endif
  qsort (fds, n, sizeof fds[0], cmp_int);
  for (size_t i = 0; i < n; i++)
    printf ("%d\n", fds[i]);
}

static int
is_null (int fd)
{
#ifdef _WIN32
  HANDLE h = (HANDLE) _get_osfhandle (fd);
  DWORD mode;
  if (h == INVALID_HANDLE_VALUE)
    return 0;
  return GetFileType (h) == FILE_TYPE_CHAR && !GetConsoleMode (h, &mode);
#else
  struct stat a, b;
  if (fstat (fd, &a) < 0 || stat ("/dev/null", &b) < 0)
    return 0;
  return S_ISCHR (a.st_mode) && a.st_rdev == b.st_rdev;
#endif
}

/* ------------------------------------------------------------------ */
/* Process information (POSIX).  */

#ifndef _WIN32
static void
print_ids (void)
{
  printf ("uid=%ld\ngid=%ld\neuid=%ld\negid=%ld\n", (long) getuid (),
          (long) getgid (), (long) geteuid (), (long) getegid ());
# ifdef __linux__
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  if (getresuid (&ru, &eu, &su) < 0 || getresgid (&rg, &eg, &sg) < 0)
    die ("getresuid");
  printf ("suid=%ld\nsgid=%ld\n", (long) su, (long) sg);
# endif
  printf ("groups=");
  int n = getgroups (0, NULL);
  if (n > 0)
    {
      gid_t *g = calloc ((size_t) n, sizeof *g);
      if (g == NULL)
        die ("calloc");
      n = getgroups (n, g);
      for (int i = 0; i < n; i++)
        printf ("%s%ld", i ? "," : "", (long) g[i]);
      free (g);
    }
  printf ("\n");
}

static void
print_caps (void)
{
  FILE *f = fopen ("/proc/self/status", "r");
  char line[512];
  if (f == NULL)
    die ("/proc/self/status");
  while (fgets (line, sizeof line, f))
    if (strncmp (line, "Cap", 3) == 0
        || strncmp (line, "NoNewPrivs:", 11) == 0)
      fputs (line, stdout);
  fclose (f);
# ifdef __linux__
  int bits = prctl (PR_GET_SECUREBITS, 0, 0, 0, 0);
  if (bits < 0)
    die ("PR_GET_SECUREBITS");
  printf ("Securebits:\t%02x\n", (unsigned int) bits);
# endif
}

/* Try to clear the secure bits (PR_SET_SECUREBITS 0); say whether it
   worked.  */
static void
clear_securebits (void)
{
# ifdef __linux__
  if (prctl (PR_SET_SECUREBITS, 0UL, 0, 0, 0) == 0)
    printf ("cleared\n");
  else
    printf ("refused: %s\n", strerror (errno));
# else
  printf ("refused: no secure bits\n");
# endif
}

/* Execute this program again with the arguments after "reexec".  */
static void
reexec (int argc, char **argv)
{
  if (argc < 3)
    usage ("reexec SUBCOMMAND [ARGS]");
  argv[1] = argv[0];
  fflush (stdout);
  execv (self_path, argv + 1);
  die ("execv");
}

static void
print_limit (const char *name, int resource)
{
  struct rlimit rl;
  if (getrlimit (resource, &rl) < 0)
    die ("getrlimit");
  if (rl.rlim_cur == RLIM_INFINITY)
    printf ("%s=unlimited\n", name);
  else
    printf ("%s=%llu\n", name, (unsigned long long) rl.rlim_cur);
}

static void
print_rlimits (void)
{
# ifdef RLIMIT_MEMLOCK
  print_limit ("memlock", RLIMIT_MEMLOCK);
# endif
# ifdef RLIMIT_NPROC
  print_limit ("nproc", RLIMIT_NPROC);
# endif
  print_limit ("nofile", RLIMIT_NOFILE);
  print_limit ("core", RLIMIT_CORE);
}

static void
print_hard_limit (const char *name, int resource)
{
  struct rlimit rl;
  if (getrlimit (resource, &rl) < 0)
    die ("getrlimit");
  printf ("%s=", name);
  if (rl.rlim_cur == RLIM_INFINITY)
    printf ("unlimited:");
  else
    printf ("%llu:", (unsigned long long) rl.rlim_cur);
  if (rl.rlim_max == RLIM_INFINITY)
    printf ("unlimited\n");
  else
    printf ("%llu\n", (unsigned long long) rl.rlim_max);
}

static void
print_all_limits (void)
{
# ifdef RLIMIT_AS
  print_hard_limit ("as", RLIMIT_AS);
# endif
  print_hard_limit ("data", RLIMIT_DATA);
  print_hard_limit ("cpu", RLIMIT_CPU);
  print_hard_limit ("stack", RLIMIT_STACK);
  print_hard_limit ("nofile", RLIMIT_NOFILE);
  print_hard_limit ("core", RLIMIT_CORE);
  print_hard_limit ("fsize", RLIMIT_FSIZE);
# ifdef RLIMIT_MEMLOCK
  print_hard_limit ("memlock", RLIMIT_MEMLOCK);
# endif
# ifdef RLIMIT_NPROC
  print_hard_limit ("nproc", RLIMIT_NPROC);
# endif
}

/* In a sanitizer build the helper itself is instrumented, and the
   sanitizer's runtime installs handlers for these before main runs: they
   say nothing about what the library left the child.  */
static bool
sanitizer_signal (int sig)
{
#if defined __SANITIZE_ADDRESS__ || defined __SANITIZE_UNDEFINED__ \
  || defined __SANITIZE_THREAD__
  return sig == SIGBUS || sig == SIGFPE || sig == SIGSEGV;
#else
  (void) sig;
  return false;
#endif
}

# if defined __SANITIZE_ADDRESS__ && defined __linux__
/* LeakSanitizer cannot work in a process whose ids a set-user-ID bit
   changed (the kernel refuses it ptrace there) and fails such a process
   at exit: leave the check out there.  */
int __lsan_is_turned_off (void);

int
__lsan_is_turned_off (void)
{
  return getauxval (AT_SECURE) != 0;
}
# endif

static void
print_sigs (void)
{
  sigset_t blocked;
  unsigned long long mask = 0;
  int max = NSIG < 65 ? NSIG : 65;

  sigprocmask (SIG_BLOCK, NULL, &blocked);
  for (int sig = 1; sig < max; sig++)
    if (sigismember (&blocked, sig) == 1)
      mask |= 1ULL << (sig - 1);
  printf ("blocked=%llx\n", mask);

  for (int pass = 0; pass < 2; pass++)
    {
      int first = 1;
      printf ("%s=", pass == 0 ? "ignored" : "handled");
      for (int sig = 1; sig < NSIG; sig++)
        {
          struct sigaction sa;
          if (sigaction (sig, NULL, &sa) < 0)
            continue;
          bool ign = !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN;
          bool dfl = !(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_DFL;
          if ((pass == 0 && ign)
              || (pass == 1 && !ign && !dfl && !sanitizer_signal (sig)))
            {
              printf ("%s%d", first ? "" : ",", sig);
              first = 0;
            }
        }
      printf ("\n");
    }
}
#endif

/* ------------------------------------------------------------------ */
/* Signals and children.  */

static int
signal_number (const char *name)
{
  static const struct
  {
    const char *name;
    int sig;
  } table[] = {
    { "TERM", SIGTERM }, { "SEGV", SIGSEGV }, { "ABRT", SIGABRT },
    { "INT", SIGINT },   { "ILL", SIGILL },   { "FPE", SIGFPE },
#ifndef _WIN32
    { "KILL", SIGKILL }, { "HUP", SIGHUP },   { "USR1", SIGUSR1 },
    { "USR2", SIGUSR2 }, { "PIPE", SIGPIPE }, { "QUIT", SIGQUIT },
    { "ALRM", SIGALRM },
#endif
  };
  char up[16];
  size_t i = 0;

  if (name[0] >= '0' && name[0] <= '9')
    return atoi (name);
  if ((name[0] == 's' || name[0] == 'S') && (name[1] == 'i' || name[1] == 'I')
      && (name[2] == 'g' || name[2] == 'G'))
    name += 3;
  for (; name[i] && i < sizeof up - 1; i++)
    up[i] = (char) (name[i] >= 'a' && name[i] <= 'z' ? name[i] - 32
                                                      : name[i]);
  up[i] = '\0';
  for (i = 0; i < sizeof table / sizeof table[0]; i++)
    if (strcmp (up, table[i].name) == 0)
      return table[i].sig;
  usage ("unknown signal");
  return 0;
}

static void
die_of_signal (const char *name)
{
  int sig = signal_number (name);
#ifdef _WIN32
  if (sig == SIGSEGV)
    {
      /* A real access violation: exit code 0xC0000005.  */
      volatile int *volatile p = NULL;
      *p = 1;
    }
  if (sig == SIGABRT)
    abort ();
  raise (sig);
  exit (3);
#else
  /* No core file from a test, whatever the system's core pattern.  */
  struct rlimit rl = { 0, 0 };
  sigset_t set;
  setrlimit (RLIMIT_CORE, &rl);
  signal (sig, SIG_DFL);
  sigemptyset (&set);
  sigaddset (&set, sig);
  sigprocmask (SIG_UNBLOCK, &set, NULL);
  raise (sig);
  kill (getpid (), sig);
  sleep_ms (1000);
  exit (3);
#endif
}

/* Start a copy of this program running "SUB ARG"; its pid.  */
static long
start_self (const char *sub, const char *arg)
{
#ifdef _WIN32
  char path[MAX_PATH];
  if (GetModuleFileNameA (NULL, path, sizeof path) == 0)
    die ("GetModuleFileName");
  intptr_t h = _spawnl (_P_NOWAIT, path, "subproc-helper", sub, arg, NULL);
  if (h == -1)
    die ("_spawnl");
  return (long) GetProcessId ((HANDLE) h);
#else
  (void) self_path;
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      if (strcmp (sub, "sleep") == 0)
        sleep_ms (strtol (arg, NULL, 10));
      else if (strcmp (sub, "write-forever") == 0)
        write_pattern (1, ~0ULL);
      else
        sleep_forever ();
      _exit (0);
    }
  return (long) pid;
#endif
}

/* ------------------------------------------------------------------ */
/* The subcommands.  */

/* The helper's own user CPU time, in milliseconds.  */
static long
own_user_ms (void)
{
#ifdef _WIN32
  FILETIME created, exited, kernel, user;
  ULARGE_INTEGER v;
  if (!GetProcessTimes (GetCurrentProcess (), &created, &exited, &kernel,
                        &user))
    die ("GetProcessTimes");
  v.LowPart = user.dwLowDateTime;
  v.HighPart = user.dwHighDateTime;
  return (long) (v.QuadPart / 10000);
#else
  struct rusage ru;
  if (getrusage (RUSAGE_SELF, &ru) < 0)
    die ("getrusage");
  return (long) ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000;
#endif
}

/* Spin until the helper has spent MS ms of CPU time in user mode, after
   writing every byte of MIB MiB (so that they are resident).  Between
   two looks at the clock, about a millisecond of arithmetic: asking the
   clock is a system call (under Wine one to its server), which would
   count as system time instead.  */
static void
burn (long ms, long mib)
{
  volatile unsigned long sum = 0;
  char *p = NULL;
  if (mib > 0)
    {
      size_t n = (size_t) mib << 20;
      p = malloc (n);
      if (p == NULL)
        die ("malloc");
      memset (p, 1, n);
      sum += (unsigned char) p[n - 1];
    }
  while (own_user_ms () < ms)
    for (unsigned long i = 0; i < 1000000; i++)
      sum += i;
  free (p);
}

/* Start a grandchild that burns MS ms and wait until it has ended,
   reaping it or (REAP false, POSIX) leaving it a zombie.  */
static void
burn_grandchild (long ms, bool reap)
{
#ifdef _WIN32
  char path[MAX_PATH], arg[32];
  (void) reap;
  snprintf (arg, sizeof arg, "%ld", ms);
  if (GetModuleFileNameA (NULL, path, sizeof path) == 0)
    die ("GetModuleFileName");
  intptr_t h = _spawnl (_P_NOWAIT, path, "subproc-helper", "burn", arg,
                        NULL);
  if (h == -1)
    die ("_spawnl");
  WaitForSingleObject ((HANDLE) h, INFINITE);
#else
  fflush (stdout);
  pid_t pid = fork ();
  if (pid < 0)
    die ("fork");
  if (pid == 0)
    {
      burn (ms, 0);
      _exit (0);
    }
  siginfo_t si;
  int status;
  if (reap ? waitpid (pid, &status, 0) != pid
           : waitid (P_PID, (id_t) pid, &si, WEXITED | WNOWAIT) != 0)
    die ("wait");
#endif
}

static void
echo_and_err (unsigned long long n)
{
  /* Interleave the two streams so that a parent that serves only one of
     them at a time would deadlock.  */
  static char in[CHUNK], err[CHUNK];
  unsigned long long off = 0;
  bool eof = false;
  while (!eof || off < n)
    {
      if (!eof)
        {
          long r = read_fd (0, in, sizeof in);
          if (r < 0)
            die ("read");
          if (r == 0)
            eof = true;
          else
            write_fd (1, in, (size_t) r);
        }
      if (off < n)
        {
          size_t len = n - off > CHUNK ? CHUNK : (size_t) (n - off);
          pattern (err, len, off);
          write_fd (2, err, len);
          off += len;
        }
    }
}

static void
write_both (unsigned long long n)
{
  static char buf[CHUNK];
  for (unsigned long long off = 0; off < n;)
    {
      size_t len = n - off > CHUNK ? CHUNK : (size_t) (n - off);
      pattern (buf, len, off);
      write_fd (1, buf, len);
      write_fd (2, buf, len);
      off += len;
    }
}

/* Allocate MIB MiB in steps of STEP MiB, touching every page so that
   the memory is really committed.  */
static int
alloc_steps (unsigned long long mib, unsigned long long step)
{
  unsigned long long got = 0;
  if (step == 0)
    step = 1;
  while (got < mib)
    {
      size_t len = (size_t) (step << 20);
      char *p = malloc (len);
      if (p == NULL)
        break;
      for (size_t i = 0; i < len; i += 4096)
        p[i] = (char) i;
      got += step;
      /* Kept: the point is to hold it all at once.  */
    }
  printf ("allocated %llu of %llu MiB\n", got, mib);
  return got >= mib ? 0 : 3;
}

/* The CPU time used so far, in milliseconds (user time on Windows, which
   is what a job's time limit counts).  */
static unsigned long long
cpu_ms (void)
{
#ifdef _WIN32
  FILETIME c, e, k, u;
  if (!GetProcessTimes (GetCurrentProcess (), &c, &e, &k, &u))
    return 0;
  return (((unsigned long long) u.dwHighDateTime << 32) | u.dwLowDateTime)
         / 10000ULL;
#else
  struct timespec ts;
  if (clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
    die ("clock_gettime");
  return (unsigned long long) ts.tv_sec * 1000ULL
         + (unsigned long long) ts.tv_nsec / 1000000ULL;
#endif
}

static void
spin (unsigned long long seconds)
{
  volatile unsigned long long x = 0;
  while (cpu_ms () < seconds * 1000ULL)
    for (int i = 0; i < 100000; i++)
      x += (unsigned long long) i;
  printf ("spun\n");
}

static int
run (const char *sub, int argc, char **argv)
{
  char line[64];

  if (strcmp (sub, "argv") == 0)
    {
      for (int i = 2; i < argc; i++)
        write_fd (1, argv[i], strlen (argv[i]) + 1);
    }
  else if (strcmp (sub, "argv0") == 0)
    printf ("%s\n", argv[0]);
  else if (strcmp (sub, "env") == 0)
    {
      for (char **e = environ; e && *e; e++)
        write_fd (1, *e, strlen (*e) + 1);
    }
  else if (strcmp (sub, "getenv") == 0)
    {
      for (int i = 2; i < argc; i++)
        {
          const char *v = getenv (argv[i]);
          printf ("%s\n", v ? v : "(unset)");
        }
    }
  else if (strcmp (sub, "cwd") == 0)
    {
      char buf[4096];
#ifdef _WIN32
      if (_getcwd (buf, sizeof buf) == NULL)
#else
      if (getcwd (buf, sizeof buf) == NULL)
#endif
        die ("getcwd");
      printf ("%s\n", buf);
    }
  else if (strcmp (sub, "umask") == 0)
    {
#ifdef _WIN32
      int m = _umask (0);
      _umask (m);
#else
      mode_t m = umask (0);
      umask (m);
#endif
      printf ("%04o\n", (unsigned int) m);
    }
  else if (strcmp (sub, "fds") == 0)
    list_fds ();
  else if (strcmp (sub, "fd-read") == 0)
    copy_fd ((int) num_arg (argc, argv, 2), 1);
  else if (strcmp (sub, "fd-write") == 0)
    {
      if (argc < 4)
        usage ("fd-write N TEXT");
      write_str ((int) num_arg (argc, argv, 2), argv[3]);
    }
  else if (strcmp (sub, "fd-tags") == 0)
    for (int i = 2; i < argc; i++)
      {
        snprintf (line, sizeof line, "%d\n", (int) num_arg (argc, argv, i));
        write_str ((int) num_arg (argc, argv, i), line);
      }
#ifndef _WIN32
  else if (strcmp (sub, "nice") == 0)
    {
      errno = 0;
      int n = getpriority (PRIO_PROCESS, 0);
      if (n == -1 && errno != 0)
        die ("getpriority");
      printf ("nice=%d\n", n);
    }
  else if (strcmp (sub, "ids") == 0)
    print_ids ();
  else if (strcmp (sub, "caps") == 0)
    print_caps ();
  else if (strcmp (sub, "clear-securebits") == 0)
    clear_securebits ();
  else if (strcmp (sub, "reexec") == 0)
    reexec (argc, argv);
  else if (strcmp (sub, "pgid") == 0)
    printf ("pid=%ld\nppid=%ld\npgid=%ld\nsid=%ld\n", (long) getpid (),
            (long) getppid (), (long) getpgid (0), (long) getsid (0));
  else if (strcmp (sub, "rlimits") == 0)
    print_rlimits ();
  else if (strcmp (sub, "limits") == 0)
    print_all_limits ();
  else if (strcmp (sub, "spin-ignore-xcpu") == 0)
    {
      signal (SIGXCPU, SIG_IGN);
      spin ((unsigned long long) num_arg (argc, argv, 2));
    }
  else if (strcmp (sub, "sigs") == 0)
    print_sigs ();
#endif
  else if (strcmp (sub, "stdio-null") == 0)
    {
      int out = argc > 2 ? (int) num_arg (argc, argv, 2) : 1;
      for (int fd = 0; fd < 3; fd++)
        {
          snprintf (line, sizeof line, "%d=%s\n", fd,
                    is_null (fd) ? "null" : "other");
          write_str (out, line);
        }
    }
  else if (strcmp (sub, "echo") == 0)
    copy_fd (0, 1);
  else if (strcmp (sub, "echo-err") == 0)
    copy_fd (0, 2);
  else if (strcmp (sub, "echo-and-err") == 0)
    echo_and_err ((unsigned long long) num_arg (argc, argv, 2));
  else if (strcmp (sub, "consume") == 0
           || strcmp (sub, "stdin-then-exit") == 0)
    printf ("%llu\n", copy_fd (0, -1));
  else if (strcmp (sub, "read-one") == 0)
    {
      char c;
      read_fd (0, &c, 1);
#ifdef _WIN32
      _close (0);
#else
      close (0);
#endif
      write_str (1, "closed\n");
      sleep_ms (500);
    }
  else if (strcmp (sub, "print") == 0 || strcmp (sub, "print-err") == 0)
    {
      if (argc < 3)
        usage ("print TEXT");
      write_str (sub[5] ? 2 : 1, argv[2]);
    }
  else if (strcmp (sub, "err-exit") == 0)
    {
      if (argc < 4)
        usage ("err-exit TEXT N");
      write_str (2, argv[2]);
      write_str (2, "\n");
      return (int) num_arg (argc, argv, 3);
    }
  else if (strcmp (sub, "interleave") == 0)
    {
      long n = num_arg (argc, argv, 2);
      for (long i = 0; i < n; i++)
        {
          snprintf (line, sizeof line, "out %ld\n", i);
          write_str (1, line);
          snprintf (line, sizeof line, "err %ld\n", i);
          write_str (2, line);
        }
    }
  else if (strcmp (sub, "write-bytes") == 0)
    write_pattern (argc > 3 && strcmp (argv[3], "err") == 0 ? 2 : 1,
                   (unsigned long long) num_arg (argc, argv, 2));
  else if (strcmp (sub, "write-both") == 0)
    write_both ((unsigned long long) num_arg (argc, argv, 2));
  else if (strcmp (sub, "write-nul") == 0)
    write_fd (1, "a\0b\0c", 5);
  else if (strcmp (sub, "write-forever") == 0)
    write_pattern (1, ~0ULL);
  else if (strcmp (sub, "write-then-sleep") == 0)
    {
      write_pattern (1, (unsigned long long) num_arg (argc, argv, 2));
      sleep_forever ();
    }
  else if (strcmp (sub, "exit") == 0)
    return (int) num_arg (argc, argv, 2);
  else if (strcmp (sub, "sleep") == 0)
    sleep_ms (num_arg (argc, argv, 2));
  else if (strcmp (sub, "sleep-forever") == 0)
    sleep_forever ();
#ifndef _WIN32
  else if (strcmp (sub, "await-usr1") == 0)
    {
      sigset_t set;
      int sig = 0;
      sigemptyset (&set);
      sigaddset (&set, SIGUSR1);
      sigprocmask (SIG_BLOCK, &set, NULL);
      write_str (1, "ready\n");
      while (sigwait (&set, &sig) != 0 || sig != SIGUSR1)
        ;
      write_str (1, "usr1\n");
    }
  else if (strcmp (sub, "ignore-term") == 0)
    {
      signal (SIGTERM, SIG_IGN);
      write_str (1, "ready\n");
      sleep_forever ();
    }
#endif
  else if (strcmp (sub, "signal") == 0)
    {
      if (argc < 3)
        usage ("signal NAME");
      die_of_signal (argv[2]);
    }
  else if (strcmp (sub, "grandchild") == 0)
    {
      long pid = start_self ("sleep", argc > 2 ? argv[2] : "1000");
      printf ("%ld\n", pid);
    }
  else if (strcmp (sub, "grandchild-writer") == 0)
    {
      long pid = start_self ("write-forever", "0");
      snprintf (line, sizeof line, "%ld\n", pid);
      write_str (2, line);
    }
  else if (strcmp (sub, "tree") == 0)
    {
      long n = num_arg (argc, argv, 2);
      for (long i = 0; i < n; i++)
        printf ("%ld\n", start_self ("sleep-forever", "0"));
      fflush (stdout);
      sleep_forever ();
    }
  else if (strcmp (sub, "pid") == 0)
    printf ("%ld\n", own_pid ());
  else if (strcmp (sub, "index-out") == 0)
    index_out ((unsigned long) num_arg (argc, argv, 2),
               (unsigned long long) num_arg (argc, argv, 3),
               (unsigned long long) num_arg (argc, argv, 4));
  else if (strcmp (sub, "dribble") == 0)
    {
      char c;
      long r;
      while ((r = read_fd (0, &c, 1)) == 1)
        write_fd (1, &c, 1);
      if (r < 0)
        die ("read");
    }
  else if (strcmp (sub, "alloc") == 0)
    return alloc_steps ((unsigned long long) num_arg (argc, argv, 2),
                        (unsigned long long) num_arg (argc, argv, 3));
  else if (strcmp (sub, "spin") == 0)
    spin ((unsigned long long) num_arg (argc, argv, 2));
  else if (strcmp (sub, "write-file") == 0)
    {
      if (argc < 4)
        usage ("write-file PATH N");
      FILE *f = fopen (argv[2], "wb");
      if (f == NULL)
        die (argv[2]);
      static char buf[CHUNK];
      unsigned long long n = (unsigned long long) num_arg (argc, argv, 3);
      for (unsigned long long off = 0; off < n;)
        {
          size_t len = n - off > CHUNK ? CHUNK : (size_t) (n - off);
          pattern (buf, len, off);
          if (fwrite (buf, 1, len, f) != len || fflush (f) != 0)
            die ("write");
          off += len;
        }
      if (fclose (f) != 0)
        die ("close");
    }
  else if (strcmp (sub, "burn") == 0)
    burn (num_arg (argc, argv, 2), argc > 3 ? num_arg (argc, argv, 3) : 0);
  else if (strcmp (sub, "burn-grandchild") == 0)
    burn_grandchild (num_arg (argc, argv, 2),
                     argc > 3 && strcmp (argv[3], "wait") == 0);
  else if (strcmp (sub, "cgroup") == 0)
    /* Printed by main before anything else.  */
    ;
  else if (strcmp (sub, "touch-mib") == 0)
    {
      /* Allocate and touch N MiB, a page at a time, one MiB per block,
         then say so.  */
      long n = num_arg (argc, argv, 2);
      for (long i = 0; i < n; i++)
        {
          volatile char *p = malloc (1 << 20);
          if (p == NULL)
            die ("malloc");
          for (long off = 0; off < (1 << 20); off += 4096)
            p[off] = 1;
        }
      printf ("touched %ld MiB\n", n);
    }
  else if (strcmp (sub, "consume-then-fd") == 0)
    {
      unsigned long long n = copy_fd (0, -1);
      copy_fd ((int) num_arg (argc, argv, 2), 1);
      printf ("%llu\n", n);
    }
  else
    {
#ifdef _WIN32
      int r = helper_win32_main (sub, argc, argv);
      if (r >= 0)
        return r;
#endif
      fprintf (stderr, "subproc-helper: unknown subcommand '%s'\n", sub);
      return 2;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  self_path = argv[0];
#ifdef _WIN32
  /* Bytes in, bytes out: no CRLF translation.  */
  _setmode (0, _O_BINARY);
  _setmode (1, _O_BINARY);
  _setmode (2, _O_BINARY);
#else
#endif
  if (argc < 2)
    usage ("usage: subproc-helper SUBCOMMAND [ARGS]");
#ifndef _WIN32
  /* The cgroup of the child as it starts, before anything else runs.  */
  if (strcmp (argv[1], "cgroup") == 0)
    {
      int fd = open ("/proc/self/cgroup", O_RDONLY);
      if (fd < 0)
        die ("/proc/self/cgroup");
      copy_fd (fd, 1);
      close (fd);
    }
#endif
#ifndef _WIN32
  /* A closed pipe is an error to report, not a reason to die; "sigs"
     reports the dispositions as they came.  */
  if (strcmp (argv[1], "sigs") != 0)
    signal (SIGPIPE, SIG_IGN);
#endif
  int r = run (argv[1], argc, argv);
  if (fflush (stdout) != 0)
    die ("stdout");
  return r;
}
