/* alloc.c: the one allocation wrapper of the library.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every allocation goes through here so that a test can make the Nth one
 * fail (sp_alloc_fail_at) and check that the failure is reported as
 * SUBPROC_ERR_NOMEM with nothing leaked.  The counters are atomic so that
 * the thread tests can run with failure injection switched off at no
 * cost and without data races.
 */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef __linux__
# include <sys/mman.h>
# include <unistd.h>
#endif

#include "internal.h"

static unsigned long alloc_count;
static unsigned long alloc_fail_at;

void
sp_alloc_fail_at (unsigned long n)
{
  __atomic_store_n (&alloc_count, 0, __ATOMIC_SEQ_CST);
  __atomic_store_n (&alloc_fail_at, n, __ATOMIC_SEQ_CST);
}

unsigned long
sp_alloc_count (void)
{
  return __atomic_load_n (&alloc_count, __ATOMIC_SEQ_CST);
}

/* Count one allocation; true if it is the one that must fail.  */
static bool
alloc_should_fail (void)
{
  unsigned long n = __atomic_add_fetch (&alloc_count, 1, __ATOMIC_SEQ_CST);
  unsigned long fail = __atomic_load_n (&alloc_fail_at, __ATOMIC_RELAXED);
  if (fail != 0 && n == fail)
    {
      errno = ENOMEM;
      return true;
    }
  return false;
}

void *
sp_malloc (size_t size)
{
  if (alloc_should_fail ())
    return NULL;
  void *p = malloc (size ? size : 1);
  if (p == NULL)
    errno = ENOMEM;
  return p;
}

void *
sp_calloc (size_t n, size_t size)
{
  if (alloc_should_fail ())
    return NULL;
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    errno = ENOMEM;
  return p;
}

void *
sp_realloc (void *ptr, size_t size)
{
  if (alloc_should_fail ())
    return NULL;
  void *p = realloc (ptr, size ? size : 1);
  if (p == NULL)
    errno = ENOMEM;
  return p;
}

void *
sp_reallocarray (void *ptr, size_t n, size_t size)
{
  if (size != 0 && n > SIZE_MAX / size)
    {
      errno = ENOMEM;
      return NULL;
    }
  return sp_realloc (ptr, n * size);
}

/* A copy at least this large gets its memory made present before the
   copy (see prepare_copy).  */
#define BIG_COPY (4 * 1024 * 1024)

/* Prepare the LEN bytes at P, just allocated, for a copy into them.
   Copying many MiB into fresh memory costs mostly page faults, one per
   4 KiB, each clearing its page: 64 MiB took ~45 ms where the copy
   itself takes ~7 ms (bench/, figure 4).  Asking for transparent huge
   pages on the 2 MiB-aligned part cuts the faults 512-fold, and
   MADV_POPULATE_WRITE takes the rest in one call.  Both are only advice:
   when the kernel declines, the copy faults as before.  The block stays
   the allocator's (free releases it); only its pages' backing changes,
   as with glibc's own glibc.malloc.hugetlb tunable.  */
static void
prepare_copy (char *p, size_t len)
{
#ifdef __linux__
# ifndef MADV_POPULATE_WRITE
#  define MADV_POPULATE_WRITE 23
# endif
  long pagesize = sysconf (_SC_PAGESIZE);
  uintptr_t page = pagesize > 0 ? (uintptr_t) pagesize : 4096;
  uintptr_t huge = 2 * 1024 * 1024;
  uintptr_t start = ((uintptr_t) p + page - 1) & ~(page - 1);
  uintptr_t end = ((uintptr_t) p + len) & ~(page - 1);
  uintptr_t hstart = ((uintptr_t) p + huge - 1) & ~(huge - 1);
  uintptr_t hend = ((uintptr_t) p + len) & ~(huge - 1);
  int saved = errno;
# ifdef MADV_HUGEPAGE
  if (hend > hstart)
    madvise ((void *) hstart, hend - hstart, MADV_HUGEPAGE);
# endif
  if (end > start)
    madvise ((void *) start, end - start, MADV_POPULATE_WRITE);
  errno = saved;
#else
  (void) p;
  (void) len;
#endif
}

#ifdef SP_HAVE_MAP_COPY
static size_t
map_size (size_t len)
{
  long pagesize = sysconf (_SC_PAGESIZE);
  size_t page = pagesize > 0 ? (size_t) pagesize : 4096;
  return (len + 1 + page - 1) & ~(page - 1);
}

/* The block is an anonymous mapping of its own, 2 MiB-aligned so that
   it can have transparent huge pages (the copy then takes 1/512 of the
   page faults), made present in one call, filled, and made read-only:
   io.c may hand its pages to a pipe (vmsplice), which is safe only if
   they never change again, so a stray write must fault rather than
   change what a reader of the pipe may still see.  sp_map_free unmaps
   it; the kernel keeps the pages for as long as a pipe refers to them,
   and never reuses them for other data before.  Counted and failed like
   sp_malloc.  */
char *
sp_map_copy (const void *s, size_t len)
{
  size_t huge = 2 * 1024 * 1024;
  if (len >= SIZE_MAX - 2 * huge)
    {
      errno = ENOMEM;
      return NULL;
    }
  if (alloc_should_fail ())
    return NULL;
  size_t size = map_size (len);
  size_t span = size + huge;
  char *m = mmap (NULL, span, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED)
    {
      errno = ENOMEM;
      return NULL;
    }
  int saved = errno;
  char *p = (char *) (((uintptr_t) m + huge - 1) & ~(uintptr_t) (huge - 1));
  if (p > m)
    munmap (m, (size_t) (p - m));
  if (m + span > p + size)
    munmap (p + size, (size_t) (m + span - (p + size)));
  prepare_copy (p, size);
  memcpy (p, s, len);
  p[len] = '\0';
  mprotect (p, size, PROT_READ);
  errno = saved;
  return p;
}

void
sp_map_free (char *p, size_t len)
{
  int saved = errno;
  if (p)
    munmap (p, map_size (len));
  errno = saved;
}
#endif

char *
sp_memdup0 (const void *s, size_t len)
{
  if (len == SIZE_MAX)
    {
      errno = ENOMEM;
      return NULL;
    }
  char *p = sp_malloc (len + 1);
  if (p == NULL)
    return NULL;
  if (len >= BIG_COPY)
    prepare_copy (p, len);
  if (len)
    memcpy (p, s, len);
  p[len] = '\0';
  return p;
}

char *
sp_strdup (const char *s)
{
  return sp_memdup0 (s, strlen (s));
}

char *
sp_vaprintf (const char *fmt, va_list ap)
{
  va_list ap2;
  va_copy (ap2, ap);
  int n = vsnprintf (NULL, 0, fmt, ap2);
  va_end (ap2);
  if (n < 0)
    {
      errno = EINVAL;
      return NULL;
    }
  char *p = sp_malloc ((size_t) n + 1);
  if (p == NULL)
    return NULL;
  vsnprintf (p, (size_t) n + 1, fmt, ap);
  return p;
}

char *
sp_aprintf (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  char *p = sp_vaprintf (fmt, ap);
  va_end (ap);
  return p;
}

void
sp_strv_free (char **v)
{
  if (v == NULL)
    return;
  int saved = errno;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
  errno = saved;
}
