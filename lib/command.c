/* command.c: creating commands and recording what the caller asks for.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Builder calls never fail visibly: the first problem is recorded in the
 * command (lib/error.c) and reported by the next call that runs or shows
 * it; every later builder call is then a no-op.  A command is a template:
 * builder calls are taken between runs too, but not while a child runs,
 * whose run reads what they change: such a call changes nothing, and its
 * error is the call's own (SP_ERROR_CALL), which neither replaces the
 * result of the wait nor outlasts the next run.
 */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

bool
sp_building (subproc_t *cmd, const char *func)
{
  if (sp_has_error (cmd))
    return false;
  if (cmd->state == SP_STATE_RUNNING)
    {
      sp_error_call (cmd, SUBPROC_ERR_STATE, 0,
                     "%s: cannot change command '%s' while its child is "
                     "running",
                     func, cmd->args.v[0]);
      return false;
    }
  return true;
}

/* The builder call's own guard, naming it.  */
#define building(cmd) sp_building (cmd, __func__)

/* Record that WHAT got a NULL string; false.  */
static bool
null_arg (subproc_t *cmd, const char *func)
{
  sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: NULL argument", func);
  return false;
}

/* Check a string the caller gave: not NULL, and acceptable to the
   platform (valid UTF-8 on Win32).  */
static bool
good_string (subproc_t *cmd, const char *s, const char *func)
{
  if (s == NULL)
    return null_arg (cmd, func);
  sp_fail_t f;
  if (sp_backend_check_string (s, &f) < 0)
    {
      sp_error (cmd, f.code, f.sys_errno, "%s: invalid string '%s'", func,
                s);
      return false;
    }
  return true;
}

static void
add_arg_owned (subproc_t *cmd, char *arg, const char *func)
{
  if (arg == NULL)
    {
      sp_error_nomem (cmd);
      return;
    }
  if (!good_string (cmd, arg, func))
    {
      free (arg);
      return;
    }
  if (sp_strv_push (&cmd->args, arg) < 0)
    sp_error_nomem (cmd);
}

/* ------------------------------------------------------------------ */
/* Creating.  */

static subproc_t *
command_alloc (void)
{
  subproc_t *cmd = sp_calloc (1, sizeof *cmd);
  if (cmd == NULL)
    return NULL;
  cmd->input_fd = -1;
  cmd->opt.grace_ms = SP_GRACE_MS;
  return cmd;
}

subproc_t *
subproc_new (const char *bin)
{
  subproc_t *cmd = command_alloc ();
  if (cmd == NULL)
    return NULL;
  /* The program's name goes in first, whatever happens, so that messages
     can name the command.  */
  if (sp_strv_push_dup (&cmd->args, bin ? bin : "(null)") < 0)
    {
      free (cmd);
      return NULL;
    }
  if (bin == NULL)
    null_arg (cmd, __func__);
  else if (*bin == '\0')
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: empty program name",
              __func__);
  else
    good_string (cmd, bin, __func__);
  return cmd;
}

subproc_t *
subproc_new_args (const char *const *argv)
{
  subproc_t *cmd = subproc_new (argv ? argv[0] : NULL);
  if (argv && argv[0])
    subproc_add_arg_set (cmd, argv + 1);
  return cmd;
}

subproc_t *
subproc_new_va_list (const char *bin, va_list ap)
{
  subproc_t *cmd = subproc_new (bin);
  const char *arg;
  /* The list is consumed even when the command failed, so that every
     argument is checked.  */
  while ((arg = va_arg (ap, const char *)) != NULL)
    subproc_add_arg (cmd, arg);
  return cmd;
}

subproc_t *
subproc_new_arg_list (const char *bin, ...)
{
  va_list ap;
  va_start (ap, bin);
  subproc_t *cmd = subproc_new_va_list (bin, ap);
  va_end (ap);
  return cmd;
}

/* ------------------------------------------------------------------ */
/* Arguments.  */

void
subproc_add_arg (subproc_t *cmd, const char *arg)
{
  if (!building (cmd))
    return;
  if (!good_string (cmd, arg, __func__))
    return;
  if (sp_strv_push_dup (&cmd->args, arg) < 0)
    sp_error_nomem (cmd);
}

void
subproc_add_arg_pair (subproc_t *cmd, const char *name, const char *value)
{
  if (!building (cmd))
    return;
  if (name == NULL || value == NULL)
    {
      null_arg (cmd, __func__);
      return;
    }
  add_arg_owned (cmd, sp_aprintf ("%s=%s", name, value), __func__);
}

void
subproc_add_arg_format (subproc_t *cmd, const char *fmt, ...)
{
  if (!building (cmd))
    return;
  if (fmt == NULL)
    {
      null_arg (cmd, __func__);
      return;
    }
  va_list ap;
  va_start (ap, fmt);
  char *arg = sp_vaprintf (fmt, ap);
  va_end (ap);
  if (arg == NULL && errno != ENOMEM)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, errno, "%s: cannot format '%s'",
                __func__, fmt);
      return;
    }
  add_arg_owned (cmd, arg, __func__);
}

void
subproc_add_arg_set (subproc_t *cmd, const char *const *args)
{
  if (!building (cmd))
    return;
  if (args == NULL)
    {
      null_arg (cmd, __func__);
      return;
    }
  for (; *args; args++)
    subproc_add_arg (cmd, *args);
}

void
subproc_add_arg_list (subproc_t *cmd, ...)
{
  va_list ap;
  va_start (ap, cmd);
  const char *arg;
  while ((arg = va_arg (ap, const char *)) != NULL)
    subproc_add_arg (cmd, arg);
  va_end (ap);
}

/* ------------------------------------------------------------------ */
/* Process options.  */

void
subproc_daemonize (subproc_t *cmd)
{
  if (building (cmd))
    cmd->opt.daemonize = true;
}

/* Replace *SLOT by a copy of S.  */
static void
set_string (subproc_t *cmd, char **slot, const char *s, const char *func)
{
  if (!good_string (cmd, s, func))
    return;
  if (*s == '\0')
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: empty path", func);
      return;
    }
  char *copy = sp_strdup (s);
  if (copy == NULL)
    {
      sp_error_nomem (cmd);
      return;
    }
  free (*slot);
  *slot = copy;
}

void
subproc_set_pid_file (subproc_t *cmd, const char *path)
{
  if (building (cmd))
    set_string (cmd, &cmd->opt.pid_file, path, __func__);
}

void
subproc_set_working_directory (subproc_t *cmd, const char *dir)
{
  if (!building (cmd))
    return;
  if (cmd->opt.cwd)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: the working directory of "
                "'%s' is already set",
                __func__, cmd->args.v[0]);
      return;
    }
  set_string (cmd, &cmd->opt.cwd, dir, __func__);
}

void
subproc_set_cgroup (subproc_t *cmd, const char *dir)
{
  if (building (cmd))
    set_string (cmd, &cmd->opt.cgroup, dir, __func__);
}

void
subproc_clear_caps (subproc_t *cmd)
{
  if (building (cmd))
    cmd->opt.clear_caps = true;
}

void
subproc_allow_cap (subproc_t *cmd, int cap)
{
  if (!building (cmd))
    return;
  if (cap < 0 || cap > 63)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: no capability number %d", __func__, cap);
      return;
    }
  cmd->opt.allowed_caps |= UINT64_C (1) << cap;
}

void
subproc_no_new_privs (subproc_t *cmd)
{
  if (building (cmd))
    cmd->opt.no_new_privs = true;
}

void
subproc_set_uid (subproc_t *cmd, subproc_uid_t uid)
{
  if (!building (cmd))
    return;
  if (uid == (subproc_uid_t) -1)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: -1 is not a user id",
                __func__);
      return;
    }
  cmd->opt.set_uid = true;
  cmd->opt.uid = uid;
}

void
subproc_set_gid (subproc_t *cmd, subproc_gid_t gid)
{
  if (!building (cmd))
    return;
  if (gid == (subproc_gid_t) -1)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: -1 is not a group id",
                __func__);
      return;
    }
  cmd->opt.set_gid = true;
  cmd->opt.gid = gid;
}

void
subproc_set_umask (subproc_t *cmd, int mask)
{
  if (!building (cmd))
    return;
  if (mask < 0 || mask > 0777)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: %#o is not a file mode mask", __func__, mask);
      return;
    }
  cmd->opt.set_umask = true;
  cmd->opt.umask = mask;
}

/* Set RESOURCE's limit in CMD: the earlier setting of the same
   resource, if any, goes, and this one is applied last.  */
static void
set_rlimit (subproc_t *cmd, const char *func, int resource,
            unsigned long long soft, unsigned long long hard)
{
  sp_options_t *opt = &cmd->opt;
  size_t i;

  for (i = 0; i < opt->n_rlimits; i++)
    if (opt->rlimits[i].resource == resource)
      break;
  if (i < opt->n_rlimits)
    {
      memmove (&opt->rlimits[i], &opt->rlimits[i + 1],
               (opt->n_rlimits - i - 1) * sizeof opt->rlimits[0]);
      opt->n_rlimits--;
    }
  if (opt->n_rlimits == SP_MAX_RLIMITS)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: more than %d distinct resource limits", func,
                SP_MAX_RLIMITS);
      return;
    }
  opt->rlimits[opt->n_rlimits].resource = resource;
  opt->rlimits[opt->n_rlimits].soft = soft;
  opt->rlimits[opt->n_rlimits].hard = hard;
  opt->n_rlimits++;
}

static void
set_limit (subproc_t *cmd, const char *func, sp_limit_t which,
           unsigned long long soft, unsigned long long hard)
{
  if (building (cmd))
    set_rlimit (cmd, func, sp_backend_rlimit_resource (which), soft, hard);
}

const sp_rlimit_t *
sp_rlimit_find (const sp_options_t *opt, int resource)
{
  for (size_t i = 0; i < opt->n_rlimits; i++)
    if (opt->rlimits[i].resource == resource)
      return &opt->rlimits[i];
  return NULL;
}

void
subproc_set_max_memlock (subproc_t *cmd, unsigned long long bytes)
{
  set_limit (cmd, __func__, SP_LIMIT_MEMLOCK, bytes, bytes);
}

void
subproc_set_max_processes (subproc_t *cmd, unsigned int procs)
{
  set_limit (cmd, __func__, SP_LIMIT_PROCESSES, procs, procs);
}

void
subproc_set_max_files (subproc_t *cmd, unsigned int files)
{
  set_limit (cmd, __func__, SP_LIMIT_FILES, files, files);
}

void
subproc_set_max_core_size (subproc_t *cmd, unsigned long long bytes)
{
  set_limit (cmd, __func__, SP_LIMIT_CORE, bytes, bytes);
}

void
subproc_set_rlimit (subproc_t *cmd, int resource, unsigned long long soft,
                    unsigned long long hard)
{
  if (!building (cmd))
    return;
  if (resource < 0 || !sp_backend_rlimit_known (resource))
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: %d is not a resource limit of this system", __func__,
                resource);
      return;
    }
  if (soft > hard)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: soft limit %llu above hard limit %llu", __func__, soft,
                hard);
      return;
    }
  set_rlimit (cmd, __func__, resource, soft, hard);
}

void
subproc_set_max_address_space (subproc_t *cmd, unsigned long long bytes)
{
  set_limit (cmd, __func__, SP_LIMIT_AS, bytes, bytes);
}

void
subproc_set_max_data (subproc_t *cmd, unsigned long long bytes)
{
  set_limit (cmd, __func__, SP_LIMIT_DATA, bytes, bytes);
}

void
subproc_set_job_memory_limit (subproc_t *cmd, unsigned long long bytes)
{
  if (!building (cmd))
    return;
  cmd->opt.set_job_memory = true;
  cmd->opt.job_memory = bytes;
}

void
subproc_set_max_cpu_time (subproc_t *cmd, unsigned long long seconds)
{
  if (!building (cmd))
    return;
  if (seconds == 0)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: a CPU time limit of 0 s lets nothing run", __func__);
      return;
    }
  /* The hard limit stays below "infinity", which would mean none.  */
  unsigned long long hard = seconds < SUBPROC_RLIM_INFINITY - SP_CPU_MARGIN
                              ? seconds + SP_CPU_MARGIN
                              : SUBPROC_RLIM_INFINITY - 1;
  set_limit (cmd, __func__, SP_LIMIT_CPU, seconds, hard);
}

void
subproc_new_process_group (subproc_t *cmd)
{
  if (building (cmd))
    cmd->opt.new_process_group = true;
}

void
subproc_set_priority (subproc_t *cmd, int nice_increment)
{
  if (!building (cmd))
    return;
  if (nice_increment < -20 || nice_increment > 19)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: %d is not a nice increment (-20 to 19)", __func__,
                nice_increment);
      return;
    }
  cmd->opt.set_priority = true;
  cmd->opt.nice_increment = nice_increment;
}

void
subproc_set_creation_flags (subproc_t *cmd, unsigned int flags)
{
  const unsigned int known
    = SUBPROC_WIN32_NO_WINDOW | SUBPROC_WIN32_NEW_CONSOLE
      | SUBPROC_WIN32_DETACHED | SUBPROC_WIN32_DEFAULT_ERROR_MODE;
  const unsigned int consoles
    = SUBPROC_WIN32_NEW_CONSOLE | SUBPROC_WIN32_DETACHED;

  if (!building (cmd))
    return;
  if (flags & ~known)
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              "%s: unknown flags %#x for '%s'", __func__, flags & ~known,
              cmd->args.v[0]);
  else if ((flags & consoles) == consoles)
    /* CreateProcess refuses the two together.  */
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              "%s: '%s' cannot have a new console and no console at once",
              __func__, cmd->args.v[0]);
  else if ((flags & SUBPROC_WIN32_NO_WINDOW) && (flags & consoles))
    /* CreateProcess would ignore CREATE_NO_WINDOW.  */
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              "%s: SUBPROC_WIN32_NO_WINDOW for '%s' means nothing with a "
              "new console or without a console",
              __func__, cmd->args.v[0]);
  else
    cmd->opt.creation_flags = flags;
}

void
subproc_kill_on_parent_exit (subproc_t *cmd)
{
  if (building (cmd))
    cmd->opt.kill_on_parent_exit = true;
}

void
subproc_set_timeout (subproc_t *cmd, unsigned int ms)
{
  if (building (cmd))
    cmd->timeout_ms = ms;
}

void
subproc_set_grace_period (subproc_t *cmd, unsigned int ms)
{
  if (building (cmd))
    cmd->opt.grace_ms = ms;
}

void
subproc_raw_status (subproc_t *cmd)
{
  if (building (cmd))
    cmd->raw_status = true;
}

void
subproc_set_pre_exec_hook (subproc_t *cmd, int (*hook) (void *opaque),
                           void *opaque)
{
  if (!building (cmd))
    return;
  if (hook == NULL)
    {
      null_arg (cmd, __func__);
      return;
    }
  if (cmd->opt.hook)
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: '%s' has a hook already", __func__, cmd->args.v[0]);
      return;
    }
  cmd->opt.hook = hook;
  cmd->opt.hook_opaque = opaque;
}

void
subproc_require_handshake (subproc_t *cmd)
{
  if (building (cmd))
    cmd->opt.handshake = true;
}

/* ------------------------------------------------------------------ */
/* Descriptors.  */

/* The entry that gives the child its descriptor TARGET, or NULL.  */
static sp_pass_fd_t *
find_target (subproc_t *cmd, int target)
{
  for (size_t i = 0; i < cmd->n_pass_fds; i++)
    if (cmd->pass_fds[i].target == target)
      return &cmd->pass_fds[i];
  return NULL;
}

/* Is FD the read end of one of CMD's send buffers?  */
static bool
is_send_fd (const subproc_t *cmd, int fd)
{
  for (size_t i = 0; i < cmd->n_send; i++)
    if (cmd->send[i].child_fd == fd)
      return true;
  return false;
}

/* Results of add_pass_fd besides 0.  */
#define PASS_NOMEM (-1)
#define PASS_TAKEN (-2)

/* Record FD as given to the child under TARGET: 0, PASS_NOMEM, or
   PASS_TAKEN when the child's TARGET already gets another descriptor
   (*HOLDER).  */
static int
add_pass_fd (subproc_t *cmd, int fd, int target, unsigned int flags,
             int *holder)
{
  /* A send buffer's read end is passed already, and the command closes
     it at free, never after a run: CLOSE_PARENT changes nothing.  */
  if (is_send_fd (cmd, fd))
    {
      if (target == fd)
        return 0;
      flags &= ~(unsigned int) SUBPROC_PASS_FD_CLOSE_PARENT;
    }
  sp_pass_fd_t *p = find_target (cmd, target);
  if (p && p->closed)
    {
      /* A run closed the descriptor given under this number: this is a
         new one.  */
      p->fd = fd;
      p->flags = flags;
      p->closed = false;
      return 0;
    }
  if (p && p->fd != fd)
    {
      *holder = p->fd;
      return PASS_TAKEN;
    }
  if (p)
    {
      p->flags |= flags;
      return 0;
    }
  p = sp_reallocarray (cmd->pass_fds, cmd->n_pass_fds + 1, sizeof *p);
  if (p == NULL)
    return PASS_NOMEM;
  cmd->pass_fds = p;
  cmd->pass_fds[cmd->n_pass_fds].fd = fd;
  cmd->pass_fds[cmd->n_pass_fds].target = target;
  cmd->pass_fds[cmd->n_pass_fds].flags = flags;
  cmd->pass_fds[cmd->n_pass_fds].closed = false;
  cmd->n_pass_fds++;
  return 0;
}

/* Does CMD hold FD to close it (an earlier subproc_pass_fd or
   subproc_pass_fd_as with CLOSE_PARENT, not closed by a run yet, or a
   send buffer's read end)?  Then only CMD closes it, once.  */
static bool
owns_fd (subproc_t *cmd, int fd)
{
  if (cmd == NULL)
    return false;
  if (is_send_fd (cmd, fd))
    return true;
  for (size_t i = 0; i < cmd->n_pass_fds; i++)
    {
      const sp_pass_fd_t *p = &cmd->pass_fds[i];
      if (p->fd == fd && (p->flags & SUBPROC_PASS_FD_CLOSE_PARENT)
          && !p->closed)
        return true;
    }
  return false;
}

/* subproc_pass_fd and subproc_pass_fd_as.  */
static void
pass_fd (subproc_t *cmd, int fd, int target, unsigned int flags,
         const char *func)
{
  /* A refused call with CLOSE_PARENT closes FD at once: the command took
     it over and will not spawn with it.  Unless the command holds it
     already from an earlier call, and closes it itself: a second close
     would hit whatever reused the number.  */
  bool close_now = (flags & SUBPROC_PASS_FD_CLOSE_PARENT) != 0 && fd > 2
                   && !owns_fd (cmd, fd);
  int r, holder = -1;

  if (!sp_building (cmd, func))
    {
      if (close_now)
        sp_backend_close (fd);
      return;
    }
  if (flags & ~(unsigned int) SUBPROC_PASS_FD_CLOSE_PARENT)
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL, "%s: unknown flags %#x",
              func, flags);
  else if (fd <= 2)
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              "%s: descriptor %d cannot be passed (use "
              "subproc_set_input_fd / output_fd / error_fd for 0, 1, 2)",
              func, fd);
  else if (target <= 2)
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              "%s: descriptor %d cannot be given as %d (use "
              "subproc_set_input_fd / output_fd / error_fd for 0, 1, 2)",
              func, fd, target);
  else if (!sp_backend_fd_is_open (fd))
    sp_error (cmd, SUBPROC_ERR_INVALID, EBADF, "%s: descriptor %d is not open",
              func, fd);
  else if ((r = add_pass_fd (cmd, fd, target, flags, &holder)) == 0)
    return;
  else if (r == PASS_TAKEN)
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              "%s: descriptor %d of '%s' is given descriptor %d already, "
              "not %d",
              func, target, cmd->args.v[0], holder, fd);
  else
    sp_error_nomem (cmd);
  if (close_now)
    sp_backend_close (fd);
}

void
subproc_pass_fd (subproc_t *cmd, int fd, unsigned int flags)
{
  pass_fd (cmd, fd, fd, flags, __func__);
}

void
subproc_pass_fd_as (subproc_t *cmd, int fd, int target, unsigned int flags)
{
  pass_fd (cmd, fd, target, flags, __func__);
}

static bool
has_input (const subproc_t *cmd)
{
  return cmd->input_fd >= 0 || cmd->has_input || sp_file_set (cmd, 0);
}

void
subproc_set_input_fd (subproc_t *cmd, int fd)
{
  if (!building (cmd))
    return;
  if (has_input (cmd))
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              "%s: '%s' has an input already", __func__, cmd->args.v[0]);
  else if (fd < 0 || !sp_backend_fd_is_open (fd))
    sp_error (cmd, SUBPROC_ERR_INVALID, EBADF, "%s: descriptor %d is not open",
              __func__, fd);
  else
    cmd->input_fd = fd;
}

/* Common checks for an output stream: FD or BUF was given and the stream
   has no destination yet.  STREAM_FD/STREAM_SINK: the stream's slots.  */
static bool
output_free (subproc_t *cmd, int *const *stream_fd,
             const sp_sink_t *stream_sink, const char *func)
{
  if (*stream_fd || stream_sink->buf || stream_sink->fn
      || sp_file_set (cmd, stream_fd == &cmd->output_fd ? 1 : 2))
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: the stream of '%s' has a destination already", func,
                cmd->args.v[0]);
      return false;
    }
  return true;
}

void
subproc_set_output_fd (subproc_t *cmd, int *fd)
{
  if (!building (cmd))
    return;
  if (fd == NULL)
    null_arg (cmd, __func__);
  else if (output_free (cmd, &cmd->output_fd, &cmd->output, __func__))
    cmd->output_fd = fd;
}

void
subproc_set_error_fd (subproc_t *cmd, int *fd)
{
  if (!building (cmd))
    return;
  if (fd == NULL)
    null_arg (cmd, __func__);
  else if (output_free (cmd, &cmd->error_fd, &cmd->errbuf, __func__))
    cmd->error_fd = fd;
}

void
subproc_nonblocking_fds (subproc_t *cmd)
{
  if (building (cmd))
    cmd->nonblocking_fds = true;
}

/* ------------------------------------------------------------------ */
/* Buffers.  */

static void
set_input (subproc_t *cmd, const void *data, size_t len, const char *func)
{
  if (!sp_building (cmd, func))
    return;
  if (data == NULL && len != 0)
    {
      null_arg (cmd, func);
      return;
    }
  if (has_input (cmd))
    {
      sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                "%s: '%s' has an input already", func, cmd->args.v[0]);
      return;
    }
  if (sp_backend_payload_copy (&cmd->input, data, len) < 0)
    {
      sp_error_nomem (cmd);
      return;
    }
  cmd->has_input = true;
}

void
subproc_set_input_buffer (subproc_t *cmd, const char *str)
{
  if (str == NULL)
    {
      if (building (cmd))
        null_arg (cmd, __func__);
      return;
    }
  set_input (cmd, str, strlen (str), __func__);
}

void
subproc_set_input_bytes (subproc_t *cmd, const void *data, size_t len)
{
  set_input (cmd, data, len, __func__);
}

static void
set_sink (subproc_t *cmd, int *const *stream_fd, sp_sink_t *sink, char **buf,
          size_t *len, const char *func)
{
  /* The caller's pointers are cleared first, whatever happens, so that
     the caller can free them unconditionally after the run.  */
  if (buf)
    *buf = NULL;
  if (len)
    *len = 0;
  if (!sp_building (cmd, func))
    return;
  if (buf == NULL)
    null_arg (cmd, func);
  else if (output_free (cmd, stream_fd, sink, func))
    {
      sink->buf = buf;
      sink->len = len;
    }
}

static void
set_sink_func (subproc_t *cmd, int *const *stream_fd, sp_sink_t *sink,
               subproc_sink_func fn, void *opaque, unsigned int flags,
               const char *func)
{
  if (!sp_building (cmd, func))
    return;
  if (fn == NULL)
    null_arg (cmd, func);
  else if (flags & ~(unsigned int) SUBPROC_SINK_LINES)
    sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
              "%s: unknown flags %#x for '%s'", func,
              flags & ~(unsigned int) SUBPROC_SINK_LINES, cmd->args.v[0]);
  else if (output_free (cmd, stream_fd, sink, func))
    {
      sink->fn = fn;
      sink->opaque = opaque;
      sink->flags = flags;
    }
}

void
subproc_set_output_sink (subproc_t *cmd, subproc_sink_func fn, void *opaque,
                         unsigned int flags)
{
  set_sink_func (cmd, cmd ? &cmd->output_fd : NULL,
                 cmd ? &cmd->output : NULL, fn, opaque, flags, __func__);
}

void
subproc_set_error_sink (subproc_t *cmd, subproc_sink_func fn, void *opaque,
                        unsigned int flags)
{
  set_sink_func (cmd, cmd ? &cmd->error_fd : NULL, cmd ? &cmd->errbuf : NULL,
                 fn, opaque, flags, __func__);
}

void
subproc_set_output_buffer (subproc_t *cmd, char **buf)
{
  set_sink (cmd, cmd ? &cmd->output_fd : NULL, cmd ? &cmd->output : NULL, buf,
            NULL, __func__);
}

void
subproc_set_error_buffer (subproc_t *cmd, char **buf)
{
  set_sink (cmd, cmd ? &cmd->error_fd : NULL, cmd ? &cmd->errbuf : NULL, buf,
            NULL, __func__);
}

void
subproc_set_output_bytes (subproc_t *cmd, char **buf, size_t *len)
{
  if (len == NULL)
    {
      if (buf)
        *buf = NULL;
      if (building (cmd))
        null_arg (cmd, __func__);
      return;
    }
  set_sink (cmd, cmd ? &cmd->output_fd : NULL, cmd ? &cmd->output : NULL, buf,
            len, __func__);
}

void
subproc_set_error_bytes (subproc_t *cmd, char **buf, size_t *len)
{
  if (len == NULL)
    {
      if (buf)
        *buf = NULL;
      if (building (cmd))
        null_arg (cmd, __func__);
      return;
    }
  set_sink (cmd, cmd ? &cmd->error_fd : NULL, cmd ? &cmd->errbuf : NULL, buf,
            len, __func__);
}

/* A pipe for a send buffer whose read end is not a number that
   subproc_pass_fd_as gives the child already (a target need not be open
   in the parent, so a new descriptor may take its number).  A pipe that
   lands there is held open while the next one is made, so that each try
   takes new numbers, and closed once one fits: as many tries as there
   are targets at most.  */
static int
send_pipe (subproc_t *cmd, int fds[2], sp_fail_t *f)
{
  if (sp_backend_pipe (fds, f) < 0)
    return -1;
  sp_pass_fd_t *p = find_target (cmd, fds[0]);
  if (p == NULL || p->closed)
    return 0;
  int held[2] = { fds[0], fds[1] };
  int r = send_pipe (cmd, fds, f);
  sp_backend_close (held[0]);
  sp_backend_close (held[1]);
  return r;
}

int
subproc_set_send_buffer (subproc_t *cmd, const void *data, size_t len)
{
  if (!building (cmd))
    return -1;
  if (data == NULL && len != 0)
    {
      null_arg (cmd, __func__);
      return -1;
    }

  sp_send_buffer_t *s
    = sp_reallocarray (cmd->send, cmd->n_send + 1, sizeof *s);
  if (s == NULL)
    return sp_error_nomem (cmd);
  cmd->send = s;
  sp_payload_t copy;
  if (sp_backend_payload_copy (&copy, data, len) < 0)
    return sp_error_nomem (cmd);

  int fds[2];
  sp_fail_t f;
  if (send_pipe (cmd, fds, &f) < 0)
    {
      sp_backend_payload_free (&copy);
      return sp_error (cmd, f.code, f.sys_errno,
                       "%s: cannot create a pipe: %s", __func__,
                       strerror (f.sys_errno));
    }
  /* The read end goes to the child under its own number.  The command
     keeps it until free: a later run puts the read end of a new pipe
     under the same number, which the caller has put on the command line
     already.  */
  int holder;
  if (add_pass_fd (cmd, fds[0], fds[0], 0, &holder) < 0)
    {
      sp_backend_close (fds[0]);
      sp_backend_close (fds[1]);
      sp_backend_payload_free (&copy);
      return sp_error_nomem (cmd);
    }
  s = &cmd->send[cmd->n_send++];
  s->parent_fd = fds[1];
  s->child_fd = fds[0];
  s->payload = copy;
  s->sent = false;
  return fds[0];
}

void
subproc_set_max_output (subproc_t *cmd, size_t bytes)
{
  if (building (cmd))
    cmd->max_output = bytes;
}

void
subproc_do_async_io (subproc_t *cmd)
{
  if (building (cmd))
    cmd->async_io = true;
}
