/* json.h: the subproc command's JSON writer (tools/json.c).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A growing byte buffer and the pieces of the --json and --dry-run --json
 * objects that are written into it; tools/subproc.c puts the objects
 * together.
 */

#ifndef SUBPROC_TOOLS_JSON_H
#define SUBPROC_TOOLS_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include "subproc.h"

/* Provided by tools/subproc.c: say "out of memory" and exit 125.  */
_Noreturn void xalloc_die (void);

/* Provided by tools/subproc.c: realloc, or xalloc_die.  */
void *xrealloc (void *p, size_t n);

/* A growing byte buffer, always NUL-terminated once written to.  */
typedef struct buf
{
  char *data;
  size_t len, size;
} buf_t;

/* Append N bytes at P, a string, or a formatted string (cut at 127
   bytes).  */
void buf_add (buf_t *b, const void *p, size_t n);
void buf_str (buf_t *b, const char *s);
void buf_printf (buf_t *b, const char *fmt, ...) SUBPROC_PRINTF (2, 3);

/* Append S (LEN bytes) as a JSON string; true if it was valid UTF-8.  */
bool json_string (buf_t *b, const char *s, size_t len);

/* ',"NAME":' and a captured stream: a string, or null if the stream was
   not captured; plus NAME_base64 when it is not valid UTF-8.  */
void json_stream (buf_t *b, const char *name, bool captured,
                  const char *data, size_t len);

/* '{"program":ARGV[0],"argv":[...]': the start of an object, left open.  */
void json_argv (buf_t *b, char *const *argv);

#endif /* SUBPROC_TOOLS_JSON_H */
