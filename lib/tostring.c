/* tostring.c: the command as text, for logs and for the shell.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Bytes that never need quoting in a POSIX shell word.  */
static bool
shell_safe_byte (unsigned char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
         || (c >= '0' && c <= '9') || strchr ("@%+=:,./-_", c) != NULL;
}

/* Words that the shell (POSIX sh, bash, ksh) takes for syntax when they
   stand unquoted where a command name goes.  Those made of other bytes
   than the safe ones ("!", "{", "[[") are quoted anyway.  */
static bool
shell_reserved_word (const char *word)
{
  static const char *const reserved[] = {
    "case", "coproc", "do", "done", "elif", "else", "esac", "fi", "for",
    "function", "if", "in", "select", "then", "time", "until", "while",
    NULL
  };
  for (size_t i = 0; reserved[i]; i++)
    if (strcmp (word, reserved[i]) == 0)
      return true;
  return false;
}

static bool
shell_safe_word (const char *word, bool command_position)
{
  if (*word == '\0')
    return false;
  /* In command position, "a=b" would be an assignment, "if" syntax.  */
  if (command_position
      && (strchr (word, '=') || shell_reserved_word (word)))
    return false;
  for (const char *p = word; *p; p++)
    if (!shell_safe_byte ((unsigned char) *p))
      return false;
  return true;
}

/* Single quotes keep every byte literally, newlines included; a single
   quote itself is written as '\''.  */
static int
shell_quote (sp_buf_t *out, const char *word, bool command_position)
{
  if (shell_safe_word (word, command_position))
    return sp_buf_append_str (out, word);
  if (sp_buf_append (out, "'", 1) < 0)
    return -1;
  for (const char *p = word; *p; p++)
    {
      int r = *p == '\'' ? sp_buf_append (out, "'\\''", 4)
                         : sp_buf_append (out, p, 1);
      if (r < 0)
        return -1;
    }
  return sp_buf_append (out, "'", 1);
}

int
sp_shell_quote (sp_buf_t *out, const char *word)
{
  return shell_quote (out, word, false);
}

/* Is the name of the environment entry ENTRY (NAME=VALUE) a shell name,
   one that an assignment word can set?  */
static bool
shell_name (const char *entry)
{
  size_t name_len = strcspn (entry, "=");
  bool identifier = name_len > 0
                    && !(entry[0] >= '0' && entry[0] <= '9');
  for (size_t i = 0; identifier && i < name_len; i++)
    {
      unsigned char c = (unsigned char) entry[i];
      identifier = c == '_' || (c >= 'a' && c <= 'z')
                   || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }
  return identifier;
}

/* An environment entry NAME=VALUE with a shell NAME: the name as it is
   (so that the shell takes the word as an assignment), the value
   quoted.  */
static int
shell_quote_env (sp_buf_t *out, const char *entry)
{
  size_t name_len = strcspn (entry, "=");
  if (sp_buf_append (out, entry, name_len + 1) < 0)
    return -1;
  const char *value = entry + name_len + 1;
  if (*value == '\0')
    return 0;
  return shell_quote (out, value, false);
}

/* A variable whose name is not a shell name ("A-B", "1X") cannot be set
   by an assignment word: the shell would run "'A-B=1'" as the command.
   Then the line goes through env(1), "env -- NAME=VALUE... PROGRAM
   ARGS", with every variable an operand of env.  env takes every operand
   with '=' for a variable, so a program name with '=' is run as "$0" of
   sh -c '"$0" "$@"', whose expansion is never an assignment.  */
static const char env_prefix[] = "env --";
static const char env_sh_prefix[] = "sh -c '\"$0\" \"$@\"'";

/* The program's name as shown: with SUBPROC_STRING_STRIP_PATH, what
   follows its last directory separator ('/', and '\\' on Win32), unless
   that is nothing (a name ending in a separator is shown whole).  */
static const char *
shown_program (const char *program, unsigned int flags)
{
  if (!(flags & SUBPROC_STRING_STRIP_PATH))
    return program;
  const char *base = program;
  for (const char *p = program; *p; p++)
    if (sp_backend_is_dir_sep (*p))
      base = p + 1;
  return *base ? base : program;
}

/* Does argument I of CMD begin a line of its own with
   SUBPROC_STRING_LINE_BREAKS?  An option (an argument that starts with
   '-') does, and so does every argument that does not follow an option:
   the one value after an option stays on the option's line.  */
static bool
arg_starts_line (const subproc_t *cmd, size_t i)
{
  if (i == 0 || cmd->args.v[i][0] == '-')
    return true;
  return i == 1 || cmd->args.v[i - 1][0] != '-';
}

/* The separator before an element: one space, or with BREAK a
   backslash-newline continuation, which sh reads as no separator at all,
   after the space.  */
static int
separate (sp_buf_t *out, bool brk)
{
  return brk ? sp_buf_append (out, " \\\n", 3)
             : sp_buf_append (out, " ", 1);
}

int
sp_format_command_full (const subproc_t *cmd, bool quote, unsigned int flags,
                        sp_buf_t *out)
{
  bool first = true;
  bool via_env = false;
  bool lines = (flags & SUBPROC_STRING_LINE_BREAKS) != 0;
  const char *program = shown_program (cmd->args.v[0], flags);
  for (size_t i = 0; quote && i < cmd->env.n; i++)
    if (!shell_name (cmd->env.v[i]))
      via_env = true;
  if (via_env)
    {
      if (sp_buf_append_str (out, env_prefix) < 0)
        return -1;
      first = false;
    }
  for (size_t i = 0; i < cmd->env.n; i++, first = false)
    {
      if (!first && separate (out, lines) < 0)
        return -1;
      int r = via_env  ? shell_quote (out, cmd->env.v[i], false)
              : quote ? shell_quote_env (out, cmd->env.v[i])
                      : sp_buf_append_str (out, cmd->env.v[i]);
      if (r < 0)
        return -1;
    }
  if (via_env && strchr (program, '='))
    {
      if (separate (out, lines) < 0
          || sp_buf_append_str (out, env_sh_prefix) < 0)
        return -1;
    }
  for (size_t i = 0; i < cmd->args.n; i++, first = false)
    {
      if (!first && separate (out, lines && arg_starts_line (cmd, i)) < 0)
        return -1;
      const char *word = i == 0 ? program : cmd->args.v[i];
      int r = quote ? shell_quote (out, word, i == 0)
                    : sp_buf_append_str (out, word);
      if (r < 0)
        return -1;
    }
  /* An empty buffer is still a string.  */
  return sp_buf_reserve (out, 0);
}

int
sp_format_command (const subproc_t *cmd, bool quote, sp_buf_t *out)
{
  return sp_format_command_full (cmd, quote, 0, out);
}

char *
subproc_to_string_full (subproc_t *cmd, unsigned int flags)
{
  if (sp_has_error (cmd))
    {
      sp_error_raise (cmd);
      return NULL;
    }
  unsigned int known = SUBPROC_STRING_LINE_BREAKS | SUBPROC_STRING_STRIP_PATH;
  if (flags & ~known)
    {
      /* A call that changed nothing: the command stays usable.  */
      sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL,
                     "%s: unknown flags %#x for '%s'", __func__,
                     flags & ~known, cmd->args.v[0]);
      return NULL;
    }
  sp_buf_t out = { 0 };
  if (sp_format_command_full (cmd, true, flags, &out) < 0)
    {
      sp_buf_clear (&out);
      sp_error_nomem (cmd);
      return NULL;
    }
  return sp_buf_steal (&out, NULL);
}

char *
subproc_to_string (subproc_t *cmd)
{
  return subproc_to_string_full (cmd, 0);
}

void
subproc_write_arg_log (subproc_t *cmd, int fd)
{
  if (sp_has_error (cmd))
    return;
  sp_buf_t out = { 0 };
  if (sp_format_command (cmd, false, &out) < 0
      || sp_buf_append (&out, "\n", 1) < 0)
    {
      sp_buf_clear (&out);
      sp_error_nomem (cmd);
      return;
    }
  if (sp_backend_write_all (fd, out.data, out.len) < 0)
    sp_error (cmd, SUBPROC_ERR_IO, errno,
              "cannot write the command line of '%s' to descriptor %d: %s",
              cmd->args.v[0], fd, strerror (errno));
  sp_buf_clear (&out);
}

int
subproc_get_arg_list (subproc_t *cmd, char ***args)
{
  if (args == NULL)
    {
      if (cmd)
        sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL argument",
                  __func__);
      else
        sp_error_raise (cmd);
      return -1;
    }
  *args = NULL;
  if (sp_has_error (cmd))
    return sp_error_raise (cmd);

  size_t n = cmd->args.n - 1;
  char **v = sp_calloc (n + 1, sizeof *v);
  if (v == NULL)
    return sp_error_nomem (cmd);
  for (size_t i = 0; i < n; i++)
    if ((v[i] = sp_strdup (cmd->args.v[i + 1])) == NULL)
      {
        sp_strv_free (v);
        return sp_error_nomem (cmd);
      }
  *args = v;
  return (int) n;
}
