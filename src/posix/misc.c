/* misc.c: program lookup, environment, strings and clock, POSIX.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "posix.h"

/* The search path when PATH is unset.  */
#define DEFAULT_PATH "/usr/bin:/bin"

const char *const sp_backend_common_env[] = {
  "PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "HOME", "USER", "LOGNAME",
  "TMPDIR", NULL
};

/* 0 if PATH is a file we may execute, else the errno exec would give
   (a directory or another non-regular file: EACCES).  */
static int
check_executable (const char *path)
{
  struct stat st;

  if (stat (path, &st) < 0)
    return errno;
  if (!S_ISREG (st.st_mode))
    return EACCES;
  if (access (path, X_OK) < 0)
    return errno;
  return 0;
}

/* PATH as an absolute path in a new string: the child may run in
   another directory than the one the name was found from.  */
static char *
absolute (const char *path)
{
  if (path[0] == '/')
    return sp_strdup (path);

  size_t size = 256;
  char *cwd = NULL;
  for (;;)
    {
      char *n = sp_realloc (cwd, size);
      if (n == NULL)
        {
          free (cwd);
          return NULL;
        }
      cwd = n;
      if (getcwd (cwd, size) != NULL)
        break;
      if (errno != ERANGE)
        {
          /* No usable cwd (removed): keep the path as given.  */
          free (cwd);
          return sp_strdup (path);
        }
      size *= 2;
    }
  while (path[0] == '.' && path[1] == '/')
    path += 2;
  size_t len = strlen (cwd);
  char *res = sp_aprintf ("%s%s%s", cwd,
                          len > 0 && cwd[len - 1] == '/' ? "" : "/", path);
  free (cwd);
  return res;
}

static int
nomem (sp_fail_t *f)
{
  return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_LOOKUP, NULL);
}

int
sp_backend_find_program (const char *bin, char **path, sp_fail_t *f)
{
  *path = NULL;
  if (bin == NULL || bin[0] == '\0')
    return sp_fail (f, SUBPROC_ERR_NOT_FOUND, ENOENT, SP_STAGE_LOOKUP, NULL);

  if (strchr (bin, '/'))
    {
      int err = check_executable (bin);
      if (err)
        return sp_fail (f, SUBPROC_ERR_NOT_FOUND, err, SP_STAGE_LOOKUP,
                        NULL);
      *path = absolute (bin);
      return *path ? 0 : nomem (f);
    }

  const char *search = getenv ("PATH");
  if (search == NULL)
    search = DEFAULT_PATH;
  size_t bin_len = strlen (bin);
  char *candidate = sp_malloc (strlen (search) + bin_len + 3);
  if (candidate == NULL)
    return nomem (f);

  bool denied = false;
  for (const char *dir = search;;)
    {
      const char *end = strchr (dir, ':');
      size_t dir_len = end ? (size_t) (end - dir) : strlen (dir);
      char *p = candidate;
      /* An empty entry means the current directory, as for execvp.  */
      if (dir_len == 0)
        *p++ = '.';
      else
        {
          memcpy (p, dir, dir_len);
          p += dir_len;
        }
      *p++ = '/';
      memcpy (p, bin, bin_len + 1);

      int err = check_executable (candidate);
      if (err == 0)
        {
          *path = absolute (candidate);
          free (candidate);
          return *path ? 0 : nomem (f);
        }
      if (err == EACCES)
        denied = true;
      if (end == NULL)
        break;
      dir = end + 1;
    }
  free (candidate);
  return sp_fail (f, SUBPROC_ERR_NOT_FOUND, denied ? EACCES : ENOENT,
                  SP_STAGE_LOOKUP, NULL);
}

char *
sp_backend_getenv (const char *name)
{
  const char *value = getenv (name);
  if (value == NULL)
    {
      errno = ENOENT;
      return NULL;
    }
  return sp_strdup (value);
}

int
sp_backend_env_name_cmp (const char *a, size_t len_a, const char *b,
                         size_t len_b)
{
  int r = memcmp (a, b, len_a < len_b ? len_a : len_b);
  if (r != 0)
    return r;
  return (len_a > len_b) - (len_a < len_b);
}

int
sp_backend_check_string (const char *s, sp_fail_t *f)
{
  /* Any bytes will do on POSIX.  */
  (void) s;
  (void) f;
  return 0;
}

bool
sp_backend_is_dir_sep (char c)
{
  return c == '/';
}

/* ------------------------------------------------------------------ */
/* Clock.  */

int64_t
sp_backend_now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
sp_backend_sleep_ms (int ms)
{
  struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };
  nanosleep (&ts, NULL);
}
