/* parse.c: running a command and parsing its output as it arrives:
 * lines matched by a series of regular expressions (subproc_run_regex),
 * NUL-separated records (subproc_run_nul).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Both are output sinks of the engine's (lib/capture.c) set for one
 * run: the output is parsed while the child writes it, never collected
 * whole, and a callback that asks to stop stops the child as any sink
 * does.  regcomp and regexec are the system's, or gnulib's where the
 * system has none (Makefile.am builds this file with gnulib's headers).
 */

#include <config.h>

#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* The checks of both calls before they touch CMD: no builder error, no
   child running, a free output stream.  -1 with the error reported (one
   of a call that changed nothing, except a builder error).  */
static int
check_command (subproc_t *cmd, const char *func)
{
  if (sp_has_error (cmd))
    return sp_error_raise (cmd);
  if (cmd->state == SP_STATE_RUNNING)
    return sp_error_call (cmd, SUBPROC_ERR_STATE, 0,
                          "%s: cannot run '%s': its child is still running",
                          func, cmd->args.v[0]);
  if (cmd->output_fd || cmd->output.buf || cmd->output.fn)
    return sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL,
                          "%s: the output of '%s' has a destination already",
                          func, cmd->args.v[0]);
  return 0;
}

/* Memory ran out before the run: an error of this call alone, which
   changed nothing (the command's error stays what it was).  -1.  */
static int
setup_nomem (subproc_t *cmd)
{
  return sp_error_call (cmd, SUBPROC_ERR_NOMEM, ENOMEM, "%s",
                        subproc_strerror (SUBPROC_ERR_NOMEM));
}

/* Run CMD with FN as its output sink, in lines with LINES, and take the
   sink off again, so that the command can run again with any output.  */
static int
run_with_sink (subproc_t *cmd, subproc_sink_func fn, void *opaque,
               bool lines, int *status)
{
  cmd->output.fn = fn;
  cmd->output.opaque = opaque;
  cmd->output.flags = lines ? SUBPROC_SINK_LINES : 0;
  int ret = subproc_run (cmd, status);
  memset (&cmd->output, 0, sizeof cmd->output);
  return ret;
}

/* Did the run of CMD that returned RET get to the end of the child's
   output (the child may have failed)?  Then what a parser still holds is
   the last of that output.  */
static bool
reached_end (const subproc_t *cmd, int ret)
{
  if (ret == 0)
    return true;
  const subproc_error_t *e = subproc_get_error (cmd);
  return e && (e->code == SUBPROC_ERR_EXIT_STATUS
               || e->code == SUBPROC_ERR_SIGNALED);
}

/* The last of the output, which only the end of the run showed to be
   the last, has been given to a callback after the run returned RET:
   FAILED when memory ran out then (recorded), else VALUE is what the
   callback returned.  Either is recorded as a failure of the run, as the
   engine does for a sink.  Returns what the call returns.  */
static int
late_result (subproc_t *cmd, int ret, const char *what, bool failed,
             int value)
{
  if (ret != 0 || (!failed && value == 0))
    return ret;
  if (!failed)
    sp_error (cmd, SUBPROC_ERR_IO, ECANCELED,
              "the %s callback of '%s' returned %d", what, cmd->args.v[0],
              value);
  return -1;
}

/* ------------------------------------------------------------------ */
/* subproc_run_regex */

struct regex_run
{
  subproc_t *cmd;
  size_t n;              /* expressions */
  regex_t *re;           /* compiled, N of them */
  size_t *want;          /* the groups each gives */
  size_t *first;         /* where its groups start in GROUPS */
  size_t total;          /* all the groups of a series */
  char **groups;         /* TOTAL, NULL-filled between series */
  regmatch_t *match;     /* room for the most groups of one, + 1 */
  const char *prefix;    /* NULL: none */
  size_t next;           /* the expression the next line is tried on */
  sp_buf_t line;         /* a line longer than SUBPROC_SINK_LINE_MAX,
                            gathered from its pieces */
  bool nomem;            /* out of memory, recorded */
  subproc_regex_func fn;
  void *opaque;
};

static void
clear_groups (struct regex_run *r)
{
  for (size_t i = 0; i < r->total; i++)
    {
      free (r->groups[i]);
      r->groups[i] = NULL;
    }
}

/* Match the whole line LINE (its end of line taken off) against the
   expression the series is at.  0 to go on, else what the callback
   returned (-1 with NOMEM recorded when memory ran out).  */
static int
regex_line (struct regex_run *r, char *line)
{
  const char *p = line;
  size_t plen = r->prefix ? strlen (r->prefix) : 0;
  if (plen && strncmp (p, r->prefix, plen) == 0)
    p += plen;

  size_t k = r->next;
  int rc = regexec (&r->re[k], p, r->want[k] + 1, r->match, 0);
  if (rc == REG_NOMATCH)
    return 0;  /* skipped: the series waits for a line it matches */
  if (rc != 0)
    {
      /* REG_ESPACE: the matcher ran out of memory.  */
      r->nomem = true;
      sp_error_nomem (r->cmd);
      return -1;
    }
  for (size_t g = 0; g < r->want[k]; g++)
    {
      const regmatch_t *m = &r->match[g + 1];
      char **slot = &r->groups[r->first[k] + g];
      if (m->rm_so < 0)
        continue;  /* the group took no part in the match: NULL */
      *slot = sp_memdup0 (p + m->rm_so, (size_t) (m->rm_eo - m->rm_so));
      if (*slot == NULL)
        {
          r->nomem = true;
          sp_error_nomem (r->cmd);
          return -1;
        }
    }
  if (++r->next < r->n)
    return 0;

  r->next = 0;
  int cancel = sp_backend_cancel_off ();
  int ret = r->fn (r->opaque, r->total, (const char *const *) r->groups);
  sp_backend_cancel_restore (cancel);
  clear_groups (r);
  return ret;
}

/* Take the end of line ("\n", or "\r\n") off the LEN bytes at DATA.  */
static size_t
line_length (const char *data, size_t len)
{
  if (len > 0 && data[len - 1] == '\n')
    {
      len--;
      if (len > 0 && data[len - 1] == '\r')
        len--;
    }
  return len;
}

/* The output sink: one whole line per call, or a piece of a longer
   one.  */
static int
regex_sink (void *opaque, int stream, const char *data, size_t len)
{
  struct regex_run *r = opaque;
  (void) stream;
  bool whole = len < SUBPROC_SINK_LINE_MAX || data[len - 1] == '\n';
  if (!whole || r->line.len > 0)
    {
      /* A line longer than the engine gives at once, or its last
         piece.  */
      if (sp_buf_append (&r->line, data, len) < 0)
        {
          r->nomem = true;
          sp_error_nomem (r->cmd);
          return -1;
        }
      if (!whole)
        return 0;
      r->line.len = line_length (r->line.data, r->line.len);
      r->line.data[r->line.len] = '\0';
      int ret = regex_line (r, r->line.data);
      r->line.len = 0;
      return ret;
    }
  /* The engine's DATA is not ours to change: a copy, NUL-terminated.  */
  len = line_length (data, len);
  if (sp_buf_reserve (&r->line, len) < 0)
    {
      r->nomem = true;
      sp_error_nomem (r->cmd);
      return -1;
    }
  memcpy (r->line.data, data, len);
  r->line.data[len] = '\0';
  return regex_line (r, r->line.data);
}

static void
regex_run_free (struct regex_run *r, size_t compiled)
{
  for (size_t i = 0; i < compiled; i++)
    regfree (&r->re[i]);
  if (r->groups)
    clear_groups (r);
  free (r->groups);
  free (r->re);
  free (r->want);
  free (r->first);
  free (r->match);
  sp_buf_clear (&r->line);
}

int
subproc_run_regex (subproc_t *cmd, size_t nregex, const char *const *regex,
                   const size_t *ngroups, const char *prefix,
                   subproc_regex_func fn, void *opaque, int *status)
{
  if (check_command (cmd, __func__) < 0)
    return -1;
  if (nregex == 0 || regex == NULL || fn == NULL)
    return sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL,
                          "%s: %s", __func__,
                          nregex == 0 ? "no regular expression"
                                      : "NULL argument");
  for (size_t i = 0; i < nregex; i++)
    if (regex[i] == NULL)
      return sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL,
                            "%s: regular expression %zu is NULL", __func__,
                            i);

  struct regex_run r = { .cmd = cmd, .n = nregex, .prefix = prefix,
                         .fn = fn, .opaque = opaque };
  size_t compiled = 0;
  int ret = -1;
  r.re = sp_calloc (nregex, sizeof *r.re);
  r.want = sp_calloc (nregex, sizeof *r.want);
  r.first = sp_calloc (nregex, sizeof *r.first);
  if (!r.re || !r.want || !r.first)
    {
      setup_nomem (cmd);
      goto out;
    }

  size_t most = 0;
  for (; compiled < nregex; compiled++)
    {
      size_t i = compiled;
      int rc = regcomp (&r.re[i], regex[i], REG_EXTENDED);
      if (rc != 0)
        {
          if (rc == REG_ESPACE)
            {
              setup_nomem (cmd);
              goto out;
            }
          char why[256];
          regerror (rc, &r.re[i], why, sizeof why);
          /* regcomp keeps nothing of an expression it refused.  */
          sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL,
                         "%s: bad regular expression %zu '%s': %s",
                         __func__, i, regex[i], why);
          goto out;
        }
      size_t has = r.re[i].re_nsub;
      r.want[i] = ngroups ? ngroups[i] : has;
      if (r.want[i] > has)
        {
          compiled++;
          sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL,
                         "%s: regular expression %zu '%s' has %zu groups, "
                         "not %zu",
                         __func__, i, regex[i], has, r.want[i]);
          goto out;
        }
      r.first[i] = r.total;
      r.total += r.want[i];
      if (r.want[i] > most)
        most = r.want[i];
    }
  r.groups = sp_calloc (r.total + 1, sizeof *r.groups);
  r.match = sp_calloc (most + 1, sizeof *r.match);
  if (!r.groups || !r.match)
    {
      setup_nomem (cmd);
      goto out;
    }

  ret = run_with_sink (cmd, regex_sink, &r, true, status);
  if (r.line.len > 0 && reached_end (cmd, ret))
    {
      /* The last line was a piece of SUBPROC_SINK_LINE_MAX bytes
         without its end of line: the engine could not tell it was the
         last.  */
      enum sp_error_kind before = sp_error_recording (cmd, SP_ERROR_RUN);
      r.line.data[r.line.len] = '\0';
      int v = regex_line (&r, r.line.data);
      ret = late_result (cmd, ret, "regex", r.nomem, v);
      sp_error_recording (cmd, before);
    }
out:
  regex_run_free (&r, compiled);
  return ret;
}

/* ------------------------------------------------------------------ */
/* subproc_run_nul */

struct nul_run
{
  subproc_t *cmd;
  size_t columns;
  char **fields;         /* COLUMNS (+ 1, NULL) */
  size_t n;              /* fields of the record so far */
  sp_buf_t field;        /* the field being read */
  bool in_field;         /* FIELD has begun (it may be empty) */
  bool nomem;            /* out of memory, recorded */
  subproc_nul_func fn;
  void *opaque;
};

static void
clear_fields (struct nul_run *r)
{
  for (size_t i = 0; i < r->n; i++)
    {
      free (r->fields[i]);
      r->fields[i] = NULL;
    }
  r->n = 0;
}

/* The field being read is complete: keep it, and give the record to the
   callback once it has its columns (or, with LAST, whatever it has).
   0, or what the callback returned (-1 with NOMEM recorded).  */
static int
nul_field_end (struct nul_run *r, bool last)
{
  if (r->in_field)
    {
      char *f = sp_buf_steal (&r->field, NULL);
      if (f == NULL)
        {
          r->nomem = true;
          sp_error_nomem (r->cmd);
          return -1;
        }
      r->fields[r->n++] = f;
      r->in_field = false;
    }
  if (r->n == 0 || (r->n < r->columns && !last))
    return 0;
  int cancel = sp_backend_cancel_off ();
  int ret = r->fn (r->opaque, r->n, (const char *const *) r->fields);
  sp_backend_cancel_restore (cancel);
  clear_fields (r);
  return ret;
}

/* The output sink, in chunks: each NUL ends a field.  */
static int
nul_sink (void *opaque, int stream, const char *data, size_t len)
{
  struct nul_run *r = opaque;
  (void) stream;
  while (len > 0)
    {
      const char *nul = memchr (data, '\0', len);
      size_t part = nul ? (size_t) (nul - data) : len;
      if (part > 0 || nul)
        {
          if (sp_buf_append (&r->field, data, part) < 0
              || sp_buf_reserve (&r->field, 0) < 0)
            {
              r->nomem = true;
              sp_error_nomem (r->cmd);
              return -1;
            }
          r->in_field = true;
        }
      if (!nul)
        break;
      int ret = nul_field_end (r, false);
      if (ret != 0)
        return ret;
      data += part + 1;
      len -= part + 1;
    }
  return 0;
}

int
subproc_run_nul (subproc_t *cmd, size_t ncolumns, subproc_nul_func fn,
                 void *opaque, int *status)
{
  if (check_command (cmd, __func__) < 0)
    return -1;
  if (ncolumns == 0 || fn == NULL)
    return sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: %s",
                          __func__,
                          ncolumns == 0 ? "no columns" : "NULL argument");

  struct nul_run r = { .cmd = cmd, .columns = ncolumns, .fn = fn,
                       .opaque = opaque };
  int ret = -1;
  /* SIZE_MAX columns: a record that never ends before the output.  */
  r.fields = ncolumns < SIZE_MAX / sizeof *r.fields
               ? sp_calloc (ncolumns + 1, sizeof *r.fields) : NULL;
  if (r.fields == NULL)
    {
      return setup_nomem (cmd);
    }

  ret = run_with_sink (cmd, nul_sink, &r, false, status);
  if ((r.in_field || r.n > 0) && reached_end (cmd, ret))
    {
      /* The output ended inside a record: the last field needs no NUL,
         and the last record may be short.  */
      enum sp_error_kind before = sp_error_recording (cmd, SP_ERROR_RUN);
      int v = nul_field_end (&r, true);
      ret = late_result (cmd, ret, "record", r.nomem, v);
      sp_error_recording (cmd, before);
    }
  clear_fields (&r);
  free (r.fields);
  sp_buf_clear (&r.field);
  return ret;
}
