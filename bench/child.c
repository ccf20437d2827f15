/* child.c: the children that make bench spawns.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One source, two programs:
 *  - bench/child-static: built with -static -nostdlib and a _start of its
 *    own (BENCH_CHILD_FREESTANDING, x86-64 and AArch64 Linux), so that
 *    executing it costs the kernel's exec and nothing of a C library's
 *    start-up.  On other systems the build falls back to the C library,
 *    static if it can.
 *  - bench/child-dynamic: the same code, linked dynamically with the C
 *    library, like any ordinary program.
 *
 * Usage: child             exit 0 at once
 *        child p           write "ok\n"
 *        child o BYTES     write BYTES bytes of 'x' in 1 MiB writes
 *        child c           copy stdin to stdout (1 MiB reads) until EOF
 *        child e OUT ERR   write OUT NUL bytes to stdout, then ERR NUL
 *                          bytes to stderr (up to 1 MiB each)
 *        child w           read stdin until EOF, then write one record to
 *                          stdout: its pid and the CLOCK_MONOTONIC time
 *                          in nanoseconds (two native 64-bit integers)
 *        child k           say how this child was built
 * Exit status 0, or 1 when a read or write fails.
 */

#define CHUNK (1024 * 1024)

static char chunk[CHUNK];

#ifdef BENCH_CHILD_FREESTANDING

/* No C library: three system calls by hand.  */
# if defined __x86_64__
#  define SYS_READ 0
#  define SYS_WRITE 1
#  define SYS_EXIT_GROUP 231
#  define SYS_GETPID 39
#  define SYS_CLOCK_GETTIME 228
static long
sys3 (long n, long a, long b, long c)
{
  long r;
  __asm__ volatile ("syscall"
                    : "=a"(r)
                    : "a"(n), "D"(a), "S"(b), "d"(c)
                    : "rcx", "r11", "memory");
  return r;
}
__asm__ (".text\n"
         ".global _start\n"
         "_start:\n"
         "  xor %rbp, %rbp\n"
         "  mov %rsp, %rdi\n"
         "  and $-16, %rsp\n"
         "  call child_start\n"
         "  hlt\n");
# elif defined __aarch64__
#  define SYS_READ 63
#  define SYS_WRITE 64
#  define SYS_EXIT_GROUP 94
#  define SYS_GETPID 172
#  define SYS_CLOCK_GETTIME 113
static long
sys3 (long n, long a, long b, long c)
{
  register long x8 __asm__ ("x8") = n;
  register long x0 __asm__ ("x0") = a;
  register long x1 __asm__ ("x1") = b;
  register long x2 __asm__ ("x2") = c;
  __asm__ volatile ("svc 0"
                    : "+r"(x0)
                    : "r"(x8), "r"(x1), "r"(x2)
                    : "memory");
  return x0;
}
__asm__ (".text\n"
         ".global _start\n"
         "_start:\n"
         "  mov x29, #0\n"
         "  mov x0, sp\n"
         "  bl child_start\n"
         "  brk #0\n");
# else
#  error "BENCH_CHILD_FREESTANDING needs x86-64 or AArch64"
# endif

# define EINTR_ 4
# define KIND "static, no C library"

static long
sys_read (int fd, char *buf, unsigned long len)
{
  long r;
  while ((r = sys3 (SYS_READ, fd, (long) buf, (long) len)) == -EINTR_)
    ;
  return r;
}

static long
sys_write (int fd, const char *buf, unsigned long len)
{
  long r;
  while ((r = sys3 (SYS_WRITE, fd, (long) buf, (long) len)) == -EINTR_)
    ;
  return r;
}

__attribute__ ((noreturn)) static void
sys_exit (int status)
{
  for (;;)
    sys3 (SYS_EXIT_GROUP, status, 0, 0);
}

static long
sys_getpid (void)
{
  return sys3 (SYS_GETPID, 0, 0, 0);
}

/* CLOCK_MONOTONIC is 1 on Linux.  */
static long long
monotonic_ns (void)
{
  long ts[2] = { 0, 0 };
  sys3 (SYS_CLOCK_GETTIME, 1, (long) ts, 0);
  return (long long) ts[0] * 1000000000LL + ts[1];
}

/* The compiler may call these for loops and copies.  */
void *memset (void *s, int c, unsigned long n);
void *
memset (void *s, int c, unsigned long n)
{
  volatile char *p = s;
  while (n--)
    *p++ = (char) c;
  return s;
}

void *memcpy (void *d, const void *s, unsigned long n);
void *
memcpy (void *d, const void *s, unsigned long n)
{
  volatile char *p = d;
  const char *q = s;
  while (n--)
    *p++ = *q++;
  return d;
}

#else /* !BENCH_CHILD_FREESTANDING */

# include <errno.h>
# include <stdlib.h>
# include <time.h>
# include <unistd.h>

# ifdef BENCH_CHILD_STATIC
#  define KIND "static, C library"
# else
#  define KIND "dynamic, C library"
# endif

static long
sys_read (int fd, char *buf, unsigned long len)
{
  ssize_t r;
  while ((r = read (fd, buf, len)) < 0 && errno == EINTR)
    ;
  return r;
}

static long
sys_write (int fd, const char *buf, unsigned long len)
{
  ssize_t r;
  while ((r = write (fd, buf, len)) < 0 && errno == EINTR)
    ;
  return r;
}

__attribute__ ((noreturn)) static void
sys_exit (int status)
{
  _exit (status);
}

static long
sys_getpid (void)
{
  return (long) getpid ();
}

static long long
monotonic_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif /* !BENCH_CHILD_FREESTANDING */

static int
write_all_to (int fd, const char *p, unsigned long len)
{
  while (len > 0)
    {
      long w = sys_write (fd, p, len);
      if (w <= 0)
        return -1;
      p += w;
      len -= (unsigned long) w;
    }
  return 0;
}

static int
write_all (const char *p, unsigned long len)
{
  return write_all_to (1, p, len);
}

static unsigned long
number (const char *s)
{
  unsigned long n = 0;
  for (const char *d = s; *d >= '0' && *d <= '9'; d++)
    n = n * 10 + (unsigned long) (*d - '0');
  return n;
}

static unsigned long
length (const char *s)
{
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

static int
child_main (int argc, char **argv)
{
  if (argc < 2)
    return 0;
  const char *mode = argv[1];
  if (mode[0] == 'p')
    return write_all ("ok\n", 3) < 0;
  if (mode[0] == 'k')
    return write_all (KIND "\n", length (KIND "\n")) < 0;
  if (mode[0] == 'o' && argc > 2)
    {
      unsigned long n = number (argv[2]);
      for (unsigned long i = 0; i < CHUNK; i++)
        chunk[i] = 'x';
      while (n > 0)
        {
          unsigned long k = n < CHUNK ? n : CHUNK;
          if (write_all (chunk, k) < 0)
            return 1;
          n -= k;
        }
      return 0;
    }
  if (mode[0] == 'e' && argc > 3)
    {
      /* The untouched chunk: many small children, each paying only for
         its exec and its writes.  */
      unsigned long out = number (argv[2]), err = number (argv[3]);
      if (out > CHUNK || err > CHUNK)
        return 2;
      return write_all_to (1, chunk, out) < 0
             || write_all_to (2, chunk, err) < 0;
    }
  if (mode[0] == 'w')
    {
      while (sys_read (0, chunk, CHUNK) > 0)
        ;
      long long rec[2];
      rec[0] = sys_getpid ();
      rec[1] = monotonic_ns ();
      return write_all ((const char *) rec, sizeof rec) < 0;
    }
  if (mode[0] == 'c')
    {
      for (;;)
        {
          long r = sys_read (0, chunk, CHUNK);
          if (r == 0)
            return 0;
          if (r < 0 || write_all (chunk, (unsigned long) r) < 0)
            return 1;
        }
    }
  return 2;
}

#ifdef BENCH_CHILD_FREESTANDING
__attribute__ ((noreturn, used)) void child_start (long *sp);
__attribute__ ((noreturn, used)) void
child_start (long *sp)
{
  sys_exit (child_main ((int) sp[0], (char **) (sp + 1)));
}
#else
int
main (int argc, char **argv)
{
  sys_exit (child_main (argc, argv));
}
#endif
