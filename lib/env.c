/* env.c: the child's environment.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Until the first call here the child inherits the parent's environment.
 * After it, the child gets exactly cmd->env: one NAME=VALUE per name, the
 * last add of a name replacing the earlier one in place.
 */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* True when CMD may take an environment change.  Marks the environment
   as custom: even a pass of an unset variable stops inheritance.  */
static bool
env_building (subproc_t *cmd, const char *func)
{
  if (!sp_building (cmd, func))
    return false;
  cmd->env_custom = true;
  return true;
}

/* Add ENTRY ("NAME=VALUE", taken over), replacing an entry of the same
   name.  */
static void
env_put (subproc_t *cmd, char *entry, const char *func)
{
  if (entry == NULL)
    {
      sp_error_nomem (cmd);
      return;
    }
  const char *eq = strchr (entry, '=');
  sp_fail_t f;
  if (eq == NULL || eq == entry)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: '%s' is not of the form NAME=VALUE", func, entry);
      free (entry);
      return;
    }
  if (sp_backend_check_string (entry, &f) < 0)
    {
      sp_error (cmd, f.code, f.sys_errno, "%s: invalid string '%s'", func,
                entry);
      free (entry);
      return;
    }

  size_t name_len = (size_t) (eq - entry);
  for (size_t i = 0; i < cmd->env.n; i++)
    {
      const char *old = cmd->env.v[i];
      size_t old_len = strcspn (old, "=");
      if (sp_backend_env_name_cmp (old, old_len, entry, name_len) == 0)
        {
          free (cmd->env.v[i]);
          cmd->env.v[i] = entry;
          return;
        }
    }
  if (sp_strv_push (&cmd->env, entry) < 0)
    sp_error_nomem (cmd);
}

/* A variable name must be non-empty and hold no '='.  */
static bool
good_name (subproc_t *cmd, const char *name, const char *func)
{
  if (name == NULL)
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL name", func);
  else if (*name == '\0' || strchr (name, '='))
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              "%s: '%s' is not a valid variable name", func, name);
  else
    return true;
  return false;
}

static void
env_pair (subproc_t *cmd, const char *name, const char *value,
          const char *func)
{
  if (!good_name (cmd, name, func))
    return;
  if (value == NULL)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL value for %s",
                func, name);
      return;
    }
  env_put (cmd, sp_aprintf ("%s=%s", name, value), func);
}

void
subproc_add_env_pair (subproc_t *cmd, const char *name, const char *value)
{
  if (env_building (cmd, __func__))
    env_pair (cmd, name, value, __func__);
}

void
subproc_add_env_string (subproc_t *cmd, const char *str)
{
  if (!env_building (cmd, __func__))
    return;
  if (str == NULL)
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL argument", __func__);
  else
    env_put (cmd, sp_strdup (str), __func__);
}

void
subproc_add_env_format (subproc_t *cmd, const char *fmt, ...)
{
  if (!env_building (cmd, __func__))
    return;
  if (fmt == NULL)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL argument",
                __func__);
      return;
    }
  va_list ap;
  va_start (ap, fmt);
  char *entry = sp_vaprintf (fmt, ap);
  va_end (ap);
  if (entry == NULL && errno != ENOMEM)
    sp_error (cmd, SUBPROC_ERR_INVALID, errno, "%s: cannot format '%s'",
              __func__, fmt);
  else
    env_put (cmd, entry, __func__);
}

/* Pass NAME if the parent has it.  */
static void
env_pass (subproc_t *cmd, const char *name, const char *func)
{
  if (!good_name (cmd, name, func))
    return;
  errno = 0;
  char *value = sp_backend_getenv (name);
  if (value == NULL)
    {
      if (errno == ENOMEM)
        sp_error_nomem (cmd);
      return;
    }
  env_pair (cmd, name, value, func);
  free (value);
}

void
subproc_add_env_pass (subproc_t *cmd, const char *name)
{
  if (env_building (cmd, __func__))
    env_pass (cmd, name, __func__);
}

void
subproc_add_env_pass_common (subproc_t *cmd)
{
  if (!env_building (cmd, __func__))
    return;
  env_pair (cmd, "LC_ALL", "C", __func__);
  for (const char *const *name = sp_backend_common_env; *name; name++)
    env_pass (cmd, *name, __func__);
}

void
subproc_add_env_xdg (subproc_t *cmd, const char *basedir)
{
  static const char *const dirs[][2] = {
    { "XDG_DATA_HOME", ".local/share" },
    { "XDG_CACHE_HOME", ".cache" },
    { "XDG_CONFIG_HOME", ".config" },
  };

  if (!env_building (cmd, __func__))
    return;
  if (basedir == NULL)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL argument",
                __func__);
      return;
    }
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
    env_put (cmd, sp_aprintf ("%s=%s/%s", dirs[i][0], basedir, dirs[i][1]),
             __func__);
}
