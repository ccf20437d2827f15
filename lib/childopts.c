/* childopts.c: what the child sees that other spawning APIs let callers
 * choose: an inherited environment less some names, an argv[0] of its
 * own, a session of its own, standard streams from and to files.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Everything here that the child needs is built in the parent before
 * the spawn (the environment vector, the argument vector, the open
 * files), so that nothing is allocated between fork and exec.
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------------ */
/* The environment.  */

/* Does ENTRY ("NAME=VALUE") have the name NAME, as the platform
   compares names?  An entry whose name is empty ("=C:=C:\dir") has
   none that a caller can give.  */
static bool
entry_named (const char *entry, const char *name, size_t name_len)
{
  size_t len = strcspn (entry, "=");
  return sp_backend_env_name_cmp (entry, len, name, name_len) == 0;
}

void
subproc_unset_env (subproc_t *cmd, const char *name)
{
  if (!sp_building (cmd, __func__))
    return;
  sp_fail_t f;
  if (name == NULL)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL name", __func__);
      return;
    }
  if (*name == '\0' || strchr (name, '='))
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: '%s' is not a valid variable name", __func__, name);
      return;
    }
  if (sp_backend_check_string (name, &f) < 0)
    {
      sp_error (cmd, f.code, f.sys_errno, "%s: invalid string '%s'",
                __func__, name);
      return;
    }

  size_t name_len = strlen (name);
  if (cmd->env_custom)
    {
      /* One entry per name (env.c replaces in place): remove it and
         keep the others in their order.  */
      for (size_t i = 0; i < cmd->env.n; i++)
        if (entry_named (cmd->env.v[i], name, name_len))
          {
            free (cmd->env.v[i]);
            memmove (&cmd->env.v[i], &cmd->env.v[i + 1],
                     (cmd->env.n - i) * sizeof *cmd->env.v);
            cmd->env.n--;
            break;
          }
      return;
    }
  for (size_t i = 0; i < cmd->env_unset.n; i++)
    if (sp_backend_env_name_cmp (cmd->env_unset.v[i],
                                 strlen (cmd->env_unset.v[i]), name, name_len)
        == 0)
      return;
  if (sp_strv_push_dup (&cmd->env_unset, name) < 0)
    sp_error_nomem (cmd);
}

/* Is ENTRY one of the names CMD removes?  */
static bool
removed (const subproc_t *cmd, const char *entry)
{
  for (size_t i = 0; i < cmd->env_unset.n; i++)
    if (entry_named (entry, cmd->env_unset.v[i], strlen (cmd->env_unset.v[i])))
      return true;
  return false;
}

int
sp_env_for_run (subproc_t *cmd, char ***envp)
{
  sp_fail_t f;

  *envp = NULL;
  if (cmd->env_custom || cmd->env_unset.n == 0)
    return 0;
  /* The parent's environment as it is at this run, not at the builder
     call: an inheriting command follows the parent's changes.  */
  char **env = sp_backend_environ_copy (&f);
  if (env == NULL)
    return sp_error_fail (cmd, &f);
  size_t kept = 0;
  for (size_t i = 0; env[i]; i++)
    {
      if (removed (cmd, env[i]))
        free (env[i]);
      else
        env[kept++] = env[i];
    }
  env[kept] = NULL;
  *envp = env;
  return 0;
}

/* ------------------------------------------------------------------ */
/* argv[0].  */

void
subproc_set_argv0 (subproc_t *cmd, const char *arg0)
{
  if (!sp_building (cmd, __func__))
    return;
  sp_fail_t f;
  if (arg0 == NULL)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL argument",
                __func__);
      return;
    }
  if (sp_backend_check_string (arg0, &f) < 0)
    {
      sp_error (cmd, f.code, f.sys_errno, "%s: invalid string '%s'",
                __func__, arg0);
      return;
    }
  char *copy = sp_strdup (arg0);
  if (copy == NULL)
    {
      sp_error_nomem (cmd);
      return;
    }
  free (cmd->argv0);
  cmd->argv0 = copy;
}

int
sp_argv_for_run (subproc_t *cmd, char ***argv)
{
  *argv = NULL;
  if (cmd->argv0 == NULL)
    return 0;
  char **v = sp_calloc (cmd->args.n + 1, sizeof *v);
  if (v == NULL)
    return sp_error_nomem (cmd);
  memcpy (v, cmd->args.v, cmd->args.n * sizeof *v);
  v[0] = cmd->argv0;
  *argv = v;
  return 0;
}

/* ------------------------------------------------------------------ */
/* A session of its own.  */

void
subproc_new_session (subproc_t *cmd)
{
  if (!sp_building (cmd, __func__))
    return;
  /* The session leader leads a new process group too: every signal the
     library sends to a child of a new group goes to this group.  */
  cmd->opt.new_session = true;
  cmd->opt.new_process_group = true;
}

/* ------------------------------------------------------------------ */
/* Standard streams from and to files.  */

static const char *const stream_names[3] = { "input", "output", "error" };

bool
sp_file_set (const subproc_t *cmd, int stream)
{
  return cmd->files[stream].path != NULL;
}

/* Has STREAM of CMD a source or destination already (a descriptor, a
   buffer, a sink, a file)?  */
static bool
stream_taken (const subproc_t *cmd, int stream)
{
  if (sp_file_set (cmd, stream))
    return true;
  if (stream == 0)
    return cmd->input_fd >= 0 || cmd->has_input;
  const sp_sink_t *sink = stream == 1 ? &cmd->output : &cmd->errbuf;
  int *const fd = stream == 1 ? cmd->output_fd : cmd->error_fd;
  return fd || sink->buf || sink->fn;
}

static void
set_file (subproc_t *cmd, int stream, const char *path, unsigned int flags,
          const char *func)
{
  if (!sp_building (cmd, func))
    return;
  sp_fail_t f;
  if (path == NULL)
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL path", func);
  else if (*path == '\0')
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: empty path", func);
  else if (flags & ~(unsigned int) SUBPROC_FILE_APPEND)
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              "%s: unknown flags %#x for '%s'", func,
              flags & ~(unsigned int) SUBPROC_FILE_APPEND, cmd->args.v[0]);
  else if (sp_backend_check_string (path, &f) < 0)
    sp_error (cmd, f.code, f.sys_errno, "%s: invalid string '%s'", func,
              path);
  else if (stream_taken (cmd, stream))
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              stream == 0 ? "%s: '%s' has an input already"
                          : "%s: the stream of '%s' has a destination "
                            "already",
              func, cmd->args.v[0]);
  else
    {
      char *copy = sp_strdup (path);
      if (copy == NULL)
        {
          sp_error_nomem (cmd);
          return;
        }
      cmd->files[stream].path = copy;
      cmd->files[stream].flags = flags;
    }
}

void
subproc_set_input_file (subproc_t *cmd, const char *path)
{
  set_file (cmd, 0, path, 0, __func__);
}

void
subproc_set_output_file (subproc_t *cmd, const char *path,
                         unsigned int flags)
{
  set_file (cmd, 1, path, flags, __func__);
}

void
subproc_set_error_file (subproc_t *cmd, const char *path, unsigned int flags)
{
  set_file (cmd, 2, path, flags, __func__);
}

int
sp_files_open (subproc_t *cmd, int fds[3], int stdio[3])
{
  for (int i = 0; i < 3; i++)
    {
      const sp_file_t *file = &cmd->files[i];
      sp_fail_t f;

      if (file->path == NULL)
        continue;
      /* The shell's ">FILE 2>&1": one open file, one offset.  */
      if (i == 2 && fds[1] >= 0 && file->flags == cmd->files[1].flags
          && strcmp (file->path, cmd->files[1].path) == 0)
        {
          stdio[2] = stdio[1];
          continue;
        }
      enum sp_open_mode mode = i == 0 ? SP_OPEN_READ
                               : file->flags & SUBPROC_FILE_APPEND
                                 ? SP_OPEN_APPEND
                                 : SP_OPEN_TRUNCATE;
      if (sp_backend_open_file (file->path, mode, &fds[i], &f) < 0)
        {
          if (f.code == SUBPROC_ERR_NOMEM)
            return sp_error_nomem (cmd);
          return sp_error_stage (cmd, SP_STAGE_OPEN, f.code, f.sys_errno,
                                 "cannot run '%s': opening a file failed: "
                                 "the %s file '%s': %s",
                                 cmd->args.v[0], stream_names[i], file->path,
                                 strerror (f.sys_errno));
        }
      stdio[i] = fds[i];
    }
  return 0;
}

void
sp_files_close (int fds[3])
{
  for (int i = 0; i < 3; i++)
    {
      if (fds[i] >= 0)
        sp_backend_close (fds[i]);
      fds[i] = -1;
    }
}

void
sp_childopts_free (subproc_t *cmd)
{
  sp_strv_clear (&cmd->env_unset);
  free (cmd->argv0);
  cmd->argv0 = NULL;
  for (int i = 0; i < 3; i++)
    {
      free (cmd->files[i].path);
      cmd->files[i].path = NULL;
    }
}
