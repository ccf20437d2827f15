/* tostring.c: fuzz target: subproc_to_string quotes for a POSIX shell.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The promise (lib/subproc.h, the manual): pasting the line into sh runs
 * exactly the command's environment and argv.  The target builds a
 * command from the input, splits the line with a shell-word parser of
 * its own, and compares.  The parser follows the POSIX shell grammar for
 * one simple command: blanks separate words; single quotes keep every
 * byte; double quotes keep every byte but $ ` \ (a backslash there
 * escapes only $ ` " \ and newline); a backslash outside quotes escapes
 * the next byte and removes a backslash-newline; leading words made of
 * an unquoted NAME= are assignments.  Anything that would make the shell
 * do more than split words is a failure: an operator (& | ; < > ( )),
 * a newline, a comment, an expansion ($ `), a pattern (* ? [), a tilde,
 * braces or '!', a reserved word where the command name goes.
 *
 * A variable whose name is not a shell name cannot be an assignment; the
 * line then goes through env(1) ("env -- NAME=VALUE... PROGRAM ARGS"),
 * and through sh -c '"$0" "$@"' for a program whose name has '=', which
 * env would take for a variable.  The parser models those two utilities
 * for exactly those forms.
 *
 * Input: byte 0 holds the number of environment strings (bits 0-1) and
 * whether they are added as "NAME=VALUE" strings or split into a name
 * and a value at the first '=' (bit 2); the rest, split at NUL bytes, is
 * those strings and then the argv.
 */

#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "subproc.h"
#ifdef _WIN32
# include "../src/win32/win32.h"
#endif

/* A word as the shell sees it.  */
typedef struct word
{
  char *text;
  size_t len;
  bool assignment;  /* an unquoted NAME= starts it */
  bool unquoted;    /* no quoting character at all */
} word_t;

typedef struct words
{
  word_t *v;
  size_t n, cap;
} words_t;

static void
words_free (words_t *w)
{
  for (size_t i = 0; i < w->n; i++)
    free (w->v[i].text);
  free (w->v);
}

static bool
name_start (unsigned char c)
{
  return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
name_char (unsigned char c)
{
  return name_start (c) || (c >= '0' && c <= '9');
}

/* Split LINE into words.  NULL on success, else why the shell would do
   something else than split it.  */
static const char *
shell_split (const char *line, words_t *out)
{
  const char *p = line;

  for (;;)
    {
      while (*p == ' ' || *p == '\t')
        p++;
      if (*p == '\0')
        return NULL;
      if (*p == '#')
        return "a comment";

      fuzz_bytes_t b = { fuzz_xmalloc (64), 0, 64 };
      bool unquoted = true;
      /* For assignments: the word so far is an unquoted name.  */
      bool name_so_far = true, assignment = false;
      b.data[0] = '\0';
      while (*p != '\0' && *p != ' ' && *p != '\t')
        {
          char c = *p;
          const char *why = NULL;
          if (c == '\n')
            why = "a newline";
          else if (strchr ("&|;<>()", c))
            why = "an operator";
          else if (c == '$' || c == '`')
            why = "an expansion";
          else if (strchr ("*?[", c))
            why = "a pattern";
          else if (c == '~')
            why = "a tilde";
          else if (strchr ("{}!", c))
            why = "a brace or '!'";
          if (why)
            {
              free (b.data);
              return why;
            }
          if (c == '\'')
            {
              unquoted = false;
              if (!assignment)
                name_so_far = false;
              for (p++; *p != '\''; p++)
                {
                  if (*p == '\0')
                    {
                      free (b.data);
                      return "an unterminated single quote";
                    }
                  fuzz_bytes_put (&b, *p);
                }
              p++;
            }
          else if (c == '"')
            {
              unquoted = false;
              if (!assignment)
                name_so_far = false;
              for (p++; *p != '"'; p++)
                {
                  if (*p == '\0')
                    {
                      free (b.data);
                      return "an unterminated double quote";
                    }
                  if (*p == '$' || *p == '`')
                    {
                      free (b.data);
                      return "an expansion in double quotes";
                    }
                  if (*p == '\\' && p[1] && strchr ("$`\"\\\n", p[1]))
                    {
                      p++;
                      if (*p == '\n')
                        continue;
                    }
                  fuzz_bytes_put (&b, *p);
                }
              p++;
            }
          else if (c == '\\')
            {
              unquoted = false;
              if (!assignment)
                name_so_far = false;
              p++;
              if (*p == '\0')
                {
                  free (b.data);
                  return "a backslash at the end";
                }
              if (*p != '\n')
                fuzz_bytes_put (&b, *p);
              p++;
            }
          else
            {
              if (name_so_far && !assignment)
                {
                  if (c == '=' && b.len > 0)
                    assignment = true;
                  else if (b.len == 0 ? !name_start ((unsigned char) c)
                                      : !name_char ((unsigned char) c))
                    name_so_far = false;
                }
              fuzz_bytes_put (&b, c);
              p++;
            }
        }
      if (out->n == out->cap)
        {
          out->cap = out->cap ? 2 * out->cap : 16;
          word_t *v = realloc (out->v, out->cap * sizeof *v);
          if (v == NULL)
            FUZZ_FAIL ("out of memory");
          out->v = v;
        }
      out->v[out->n].text = b.data;
      out->v[out->n].len = b.len;
      out->v[out->n].assignment = name_so_far && assignment;
      out->v[out->n].unquoted = unquoted;
      out->n++;
    }
}

static bool
reserved (const word_t *w)
{
  static const char *const words[] = {
    "case", "coproc", "do", "done", "elif", "else", "esac", "fi", "for",
    "function", "if", "in", "select", "then", "time", "until", "while",
    "[[", "]]", "{", "}", "!", NULL
  };
  if (!w->unquoted)
    return false;
  for (size_t i = 0; words[i]; i++)
    if (strcmp (w->text, words[i]) == 0)
      return true;
  return false;
}

static bool
word_is (const word_t *w, const char *s)
{
  return w->len == strlen (s) && memcmp (w->text, s, w->len) == 0;
}

static bool
same_effect (const word_t *env, size_t n_env, const word_t *argv,
             size_t argc, char *const *want_env, size_t want_n_env,
             char *const *want_argv, size_t want_argc)
{
  if (n_env != want_n_env || argc != want_argc)
    return false;
  for (size_t i = 0; i < n_env; i++)
    if (strlen (want_env[i]) != env[i].len
        || memcmp (want_env[i], env[i].text, env[i].len) != 0)
      return false;
  for (size_t i = 0; i < argc; i++)
    if (strlen (want_argv[i]) != argv[i].len
        || memcmp (want_argv[i], argv[i].text, argv[i].len) != 0)
      return false;
  return true;
}

/* Does the line mean WANT_ENV and WANT_ARGV?  NULL if so, else why not.
   The environment words must come in WANT_ENV's order.  */
static const char *
check_line (const char *line, char *const *want_env, size_t want_n_env,
            char *const *want_argv, size_t want_argc)
{
  words_t w = { NULL, 0, 0 };
  const char *why = shell_split (line, &w);
  if (why == NULL)
    {
      size_t i = 0;
      while (i < w.n && w.v[i].assignment)
        i++;
      if (i == w.n)
        why = "no command name";
      else if (reserved (&w.v[i]))
        why = "a reserved word as the command name";
      else if (same_effect (w.v, i, w.v + i, w.n - i, want_env, want_n_env,
                            want_argv, want_argc))
        why = NULL;
      else if (i == 0 && word_is (&w.v[0], "env") && w.n > 1
               && word_is (&w.v[1], "--"))
        {
          /* env(1): operands with '=' are variables, the first other
             one is the utility.  */
          size_t e = 2;
          while (e < w.n && memchr (w.v[e].text, '=', w.v[e].len))
            e++;
          size_t prog = e;
          if (prog + 2 < w.n && word_is (&w.v[prog], "sh")
              && word_is (&w.v[prog + 1], "-c")
              && word_is (&w.v[prog + 2], "\"$0\" \"$@\""))
            /* sh -c '"$0" "$@"' NAME ARGS: the expansion of "$0" is the
               command name, never an assignment nor a reserved word.  */
            prog += 3;
          if (prog >= w.n)
            why = "no command name after env";
          else if (!same_effect (w.v + 2, e - 2, w.v + prog, w.n - prog,
                                 want_env, want_n_env, want_argv,
                                 want_argc))
            why = "env and argv differ (through env)";
        }
      else
        why = "env and argv differ";
    }
  words_free (&w);
  return why;
}

/* On Win32 the library takes only valid UTF-8.  */
static bool
platform_string_ok (const char *s)
{
#ifdef _WIN32
  return sp_win32_utf8_valid (s, strlen (s));
#else
  (void) s;
  return true;
#endif
}

/* Variable names compare as the platform compares them.  */
static bool
same_name (const char *a, const char *b)
{
  size_t la = strcspn (a, "="), lb = strcspn (b, "=");
  if (la != lb)
    return false;
#ifdef _WIN32
  for (size_t i = 0; i < la; i++)
    {
      unsigned char ca = (unsigned char) a[i], cb = (unsigned char) b[i];
      if (ca >= 'a' && ca <= 'z')
        ca = (unsigned char) (ca - 'a' + 'A');
      if (cb >= 'a' && cb <= 'z')
        cb = (unsigned char) (cb - 'a' + 'A');
      if (ca != cb)
        return false;
    }
  return true;
#else
  return memcmp (a, b, la) == 0;
#endif
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  size_t n_env = data[0] & 3;
  bool as_pairs = (data[0] & 4) != 0;
  fuzz_strv_t s = fuzz_split (data + 1, size - 1, 64);
  if (s.n <= n_env)
    {
      fuzz_strv_free (&s);
      return 0;
    }
  char *const *argv = s.v + n_env;
  size_t argc = s.n - n_env;

  /* What the command must hold, and whether the library must refuse
     it.  */
  bool refused = false;
  char *want_env[4];
  size_t want_n_env = 0;
  subproc_t *cmd = subproc_new_args ((const char *const *) argv);
  FUZZ_ASSERT (cmd != NULL);
  /* An empty program name is refused.  */
  if (argv[0][0] == '\0')
    refused = true;
  for (size_t i = 0; i < argc; i++)
    if (!platform_string_ok (argv[i]))
      refused = true;
  for (size_t i = 0; i < n_env; i++)
    {
      char *entry;
      const char *str = s.v[i];
      size_t name_len = strcspn (str, "=");
      if (as_pairs)
        {
          char *name = fuzz_xmalloc (name_len + 1);
          memcpy (name, str, name_len);
          name[name_len] = '\0';
          const char *value = str[name_len] ? str + name_len + 1 : "";
          subproc_add_env_pair (cmd, name, value);
          entry = fuzz_xmalloc (strlen (name) + strlen (value) + 2);
          sprintf (entry, "%s=%s", name, value);
          free (name);
          if (name_len == 0)
            refused = true;
        }
      else
        {
          subproc_add_env_string (cmd, str);
          entry = fuzz_xmalloc (strlen (str) + 1);
          strcpy (entry, str);
          if (name_len == 0 || str[name_len] == '\0')
            refused = true;
        }
      if (!platform_string_ok (entry))
        refused = true;
      size_t k;
      for (k = 0; k < want_n_env; k++)
        if (same_name (want_env[k], entry))
          break;
      if (k < want_n_env)
        {
          free (want_env[k]);
          want_env[k] = entry;
        }
      else
        want_env[want_n_env++] = entry;
    }

  char *line = subproc_to_string (cmd);
  if (refused)
    {
      if (line != NULL)
        {
          fuzz_print_escaped ("line", line, strlen (line));
          FUZZ_FAIL ("an invalid environment string or argument was taken");
        }
      const subproc_error_t *err = subproc_get_error (cmd);
      FUZZ_ASSERT (err != NULL && err->code == SUBPROC_ERR_INVALID);
    }
  else
    {
      if (line == NULL)
        FUZZ_FAIL ("subproc_to_string failed: %s",
                   subproc_get_error (cmd) ? subproc_get_error (cmd)->message
                                           : "(no error)");
      const char *why = check_line (line, want_env, want_n_env, argv, argc);
      if (why != NULL)
        {
          fuzz_print_escaped ("line", line, strlen (line));
          for (size_t i = 0; i < want_n_env; i++)
            fuzz_print_escaped ("env", want_env[i], strlen (want_env[i]));
          for (size_t i = 0; i < argc; i++)
            fuzz_print_escaped ("arg", argv[i], strlen (argv[i]));
          FUZZ_FAIL ("the shell would not run this command: %s", why);
        }
    }
  free (line);
  subproc_free (cmd);
  for (size_t i = 0; i < want_n_env; i++)
    free (want_env[i]);
  fuzz_strv_free (&s);
  return 0;
}
