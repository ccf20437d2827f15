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

bool
sp_alloc_fails (void)
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
  if (sp_alloc_fails ())
    return NULL;
  void *p = malloc (size ? size : 1);
  if (p == NULL)
    errno = ENOMEM;
  return p;
}

void *
sp_calloc (size_t n, size_t size)
{
  if (sp_alloc_fails ())
    return NULL;
  void *p = calloc (n ? n : 1, size ? size : 1);
  if (p == NULL)
    errno = ENOMEM;
  return p;
}

void *
sp_realloc (void *ptr, size_t size)
{
  if (sp_alloc_fails ())
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
