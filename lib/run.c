/* run.c: running, waiting, stopping and releasing commands.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The front-end checks the command, resolves everything that needs
 * memory (program path, environment vector, descriptor layout) into an
 * sp_spec_t, and hands it to the backend.  Errors are worded here.  The
 * child's deadline, its stopping and its reaping are lifecycle.c's.
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ------------------------------------------------------------------ */
/* Checks that depend on several options, made when the command runs so
   that the order of the builder calls does not matter.  */

enum run_mode
{
  MODE_SYNC,
  MODE_ASYNC,
  MODE_EXEC
};

/* What an earlier run consumed: a later run cannot have it back.  */
static int
check_consumed (subproc_t *cmd)
{
  const char *prog = cmd->args.v[0];

  /* The number may belong to anything by now: never pass it.  */
  for (size_t i = 0; i < cmd->n_pass_fds; i++)
    if (cmd->pass_fds[i].closed)
      return sp_error (cmd, SUBPROC_ERR_STATE, EBADF,
                       "cannot run '%s' again: descriptor %d was passed "
                       "with SUBPROC_PASS_FD_CLOSE_PARENT and closed after "
                       "an earlier run; pass a descriptor under that number "
                       "again first",
                       prog, cmd->pass_fds[i].target);
  return 0;
}

static int
check_options (subproc_t *cmd, enum run_mode mode)
{
  const char *prog = cmd->args.v[0];

  if (check_consumed (cmd) < 0)
    return -1;
  if (cmd->opt.daemonize && cmd->opt.cwd)
    return sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                     "cannot run '%s': a daemon runs in the root directory, "
                     "a working directory cannot be set",
                     prog);
  if (cmd->opt.daemonize && mode == MODE_ASYNC)
    return sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                     "cannot run '%s': a daemon is started with "
                     "subproc_run, not subproc_run_async",
                     prog);
  if (cmd->opt.daemonize && sp_capture_wanted (cmd))
    return sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                     "cannot run '%s': a daemon cannot have input or output "
                     "buffers",
                     prog);
  if (cmd->opt.handshake && mode != MODE_ASYNC)
    return sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                     "cannot run '%s': a handshake needs subproc_run_async",
                     prog);
  if (mode == MODE_EXEC && (sp_capture_wanted (cmd) || cmd->opt.daemonize))
    return sp_error (cmd, SUBPROC_ERR_INVALID, EINVAL,
                     "cannot exec '%s': buffers and daemonize need a child "
                     "process",
                     prog);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Spawning.  */

/* Everything the spec points to that the front-end allocated.  */
typedef struct spawn_ctx
{
  sp_spec_t spec;
  char *path;
  int *keep;
  sp_fd_map_t *maps;
  /* Pipes made for output_fd / error_fd = -1: parent ends, child ends.  */
  int out_parent, out_child, err_parent, err_child;
  char **envp;     /* the inherited environment less removed names */
  char **argv;     /* the arguments with the child's own argv[0] */
  int files[3];    /* files opened for the child's 0, 1, 2 */
} spawn_ctx_t;

static char *const empty_env[] = { NULL };

static void
ctx_init (spawn_ctx_t *ctx)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->out_parent = ctx->out_child = -1;
  ctx->err_parent = ctx->err_child = -1;
  ctx->files[0] = ctx->files[1] = ctx->files[2] = -1;
}

static void
ctx_release (spawn_ctx_t *ctx)
{
  sp_backend_spec_release (&ctx->spec);
  free (ctx->path);
  free (ctx->keep);
  sp_strv_free (ctx->envp);
  ctx->envp = NULL;
  free (ctx->argv);
  ctx->argv = NULL;
  sp_files_close (ctx->files);
  free (ctx->maps);
  /* Child ends are never needed after the spawn.  */
  if (ctx->out_child >= 0)
    sp_backend_close (ctx->out_child);
  if (ctx->err_child >= 0)
    sp_backend_close (ctx->err_child);
  ctx->out_child = ctx->err_child = -1;
}

/* Parent ends of pipes that the caller will not get (failed run).  */
static void
ctx_close_parent_ends (spawn_ctx_t *ctx)
{
  if (ctx->out_parent >= 0)
    sp_backend_close (ctx->out_parent);
  if (ctx->err_parent >= 0)
    sp_backend_close (ctx->err_parent);
  ctx->out_parent = ctx->err_parent = -1;
}

/* The descriptors of output_fd / error_fd: as given (checked open
   first), or a new pipe when the caller's value is -1 (one pipe for the
   same pointer twice).  */
static int
setup_fd_streams (subproc_t *cmd, spawn_ctx_t *ctx)
{
  sp_fail_t f;
  int fds[2];

  /* The caller's descriptors must be open, and be checked before any
     descriptor of ours is made, which could take the number of a closed
     one and become the child's stream.  A stream that an earlier run made
     a pipe for gets a new pipe: the variable holds the old pipe's end,
     the caller's now.  */
  int *given[2] = { cmd->output_fd, cmd->error_fd };
  bool pipe_made[2] = { cmd->output_pipe, cmd->error_pipe };
  for (int i = 0; i < 2; i++)
    if (given[i] && !pipe_made[i] && *given[i] != -1
        && (*given[i] < 0 || !sp_backend_fd_is_open (*given[i])))
      return sp_error (cmd, SUBPROC_ERR_INVALID, EBADF,
                       "cannot run '%s': %s descriptor %d is not open",
                       cmd->args.v[0], i == 0 ? "output" : "error",
                       *given[i]);

  if (cmd->input_fd >= 0)
    ctx->spec.stdio[0] = cmd->input_fd;
  if (cmd->output_fd)
    {
      if (cmd->output_pipe || *cmd->output_fd == -1)
        {
          if (sp_backend_pipe (fds, &f) < 0)
            return sp_error_fail (cmd, &f);
          cmd->output_pipe = true;
          ctx->out_parent = fds[0];
          ctx->out_child = fds[1];
          ctx->spec.stdio[1] = fds[1];
        }
      else
        ctx->spec.stdio[1] = *cmd->output_fd;
    }
  if (cmd->error_fd)
    {
      if (cmd->error_fd == cmd->output_fd)
        ctx->spec.stdio[2] = ctx->spec.stdio[1];
      else if (cmd->error_pipe || *cmd->error_fd == -1)
        {
          if (sp_backend_pipe (fds, &f) < 0)
            return sp_error_fail (cmd, &f);
          cmd->error_pipe = true;
          ctx->err_parent = fds[0];
          ctx->err_child = fds[1];
          ctx->spec.stdio[2] = fds[1];
        }
      else
        ctx->spec.stdio[2] = *cmd->error_fd;
    }
  if (cmd->nonblocking_fds)
    {
      if (ctx->out_parent >= 0
          && sp_backend_set_nonblocking (ctx->out_parent, &f) < 0)
        return sp_error_fail (cmd, &f);
      if (ctx->err_parent >= 0
          && sp_backend_set_nonblocking (ctx->err_parent, &f) < 0)
        return sp_error_fail (cmd, &f);
    }
  return 0;
}

/* A send buffer whose pipe an earlier run used (or failed to) is sent
   again through a new pipe: its read end takes the number the child is
   told, in place of the old one, which the command kept open so that
   the number stayed its own.  */
static int
renew_send_buffers (subproc_t *cmd)
{
  for (size_t i = 0; i < cmd->n_send; i++)
    {
      sp_send_buffer_t *sb = &cmd->send[i];
      int fds[2];
      sp_fail_t f;

      if (!sb->sent)
        continue;
      if (sp_backend_pipe (fds, &f) < 0)
        return sp_error_fail (cmd, &f);
      if (sp_backend_replace_fd (fds[0], sb->child_fd, &f) < 0)
        {
          sp_backend_close (fds[0]);
          sp_backend_close (fds[1]);
          return sp_error_fail (cmd, &f);
        }
      sb->parent_fd = fds[1];
      sb->sent = false;
    }
  return 0;
}

/* Fill CTX->spec from CMD.  CAPTURE: the run has a capture even with
   nothing to capture (subproc_run_async: its rounds watch the child).  */
static int
build_spec (subproc_t *cmd, spawn_ctx_t *ctx, bool capture)
{
  sp_spec_t *spec = &ctx->spec;
  sp_fail_t f;

  if (sp_backend_find_program (cmd->args.v[0], &ctx->path, &f) < 0)
    return sp_error_fail (cmd, &f);

  spec->opt = &cmd->opt;
  spec->path = ctx->path;
  if (sp_argv_for_run (cmd, &ctx->argv) < 0)
    return -1;
  spec->argv = ctx->argv ? ctx->argv : cmd->args.v;
  if (sp_env_for_run (cmd, &ctx->envp) < 0)
    return -1;
  spec->envp = cmd->env_custom ? (cmd->env.v ? cmd->env.v : empty_env)
                               : ctx->envp;
  spec->stdio[0] = spec->stdio[1] = spec->stdio[2] = -1;

  /* Descriptors under their own number, and those under another
     (subproc_pass_fd_as).  */
  size_t n_keep = 0, n_maps = 0;
  for (size_t i = 0; i < cmd->n_pass_fds; i++)
    if (cmd->pass_fds[i].target != cmd->pass_fds[i].fd)
      n_maps++;
  ctx->keep = sp_calloc (cmd->n_pass_fds - n_maps + 1, sizeof *ctx->keep);
  if (ctx->keep == NULL)
    return sp_error_nomem (cmd);
  if (n_maps)
    {
      ctx->maps = sp_calloc (n_maps, sizeof *ctx->maps);
      if (ctx->maps == NULL)
        return sp_error_nomem (cmd);
    }
  n_maps = 0;
  for (size_t i = 0; i < cmd->n_pass_fds; i++)
    {
      const sp_pass_fd_t *p = &cmd->pass_fds[i];
      if (p->target == p->fd)
        ctx->keep[n_keep++] = p->fd;
      else
        {
          ctx->maps[n_maps].source = p->fd;
          ctx->maps[n_maps++].target = p->target;
        }
    }
  spec->keep_fds = ctx->keep;
  spec->n_keep_fds = n_keep;
  spec->fd_maps = ctx->maps;
  spec->n_fd_maps = n_maps;

  if (setup_fd_streams (cmd, ctx) < 0)
    return -1;
  if (renew_send_buffers (cmd) < 0)
    return -1;
  if ((capture || sp_capture_wanted (cmd))
      && sp_capture_setup (cmd, spec) < 0)
    return -1;
  if (sp_backend_prepare (spec, &f) < 0)
    return sp_error_fail (cmd, &f);
  /* Last, so that a run refused above (an option the platform cannot
     honour) has not truncated the caller's file.  */
  if (sp_files_open (cmd, ctx->files, spec->stdio) < 0)
    return -1;
  return 0;
}

/* Close the descriptors passed with CLOSE_PARENT: libvirt's guide
   closes them once the command has run (or failed to), or at free.  Each
   is closed once.  */
static void
close_parent_fds (subproc_t *cmd)
{
  for (size_t i = 0; i < cmd->n_pass_fds; i++)
    if ((cmd->pass_fds[i].flags & SUBPROC_PASS_FD_CLOSE_PARENT)
        && !cmd->pass_fds[i].closed)
      {
        int fd = cmd->pass_fds[i].fd;
        sp_backend_close (fd);
        /* The number is not ours any more, for every child number it
           was given under (subproc_pass_fd_as).  */
        for (size_t j = 0; j < cmd->n_pass_fds; j++)
          if (cmd->pass_fds[j].fd == fd)
            cmd->pass_fds[j].closed = true;
      }
}

/* After a spawn, successful or not, the pipes of the send buffers are
   used: the write ends the I/O did not take are closed now, and the next
   run makes new pipes.  The read ends stay open until free, holding the
   numbers the child is told.  */
static void
consume_send_buffers (subproc_t *cmd)
{
  for (size_t i = 0; i < cmd->n_send; i++)
    {
      if (cmd->send[i].parent_fd >= 0)
        sp_backend_close (cmd->send[i].parent_fd);
      cmd->send[i].parent_fd = -1;
      cmd->send[i].sent = true;
    }
}

/* Start the child of CMD; SYNC for subproc_run.  */
static int
start (subproc_t *cmd, bool sync)
{
  spawn_ctx_t ctx;
  sp_fail_t f;
  int ret = -1;

  ctx_init (&ctx);
  if (build_spec (cmd, &ctx, !sync) == 0)
    {
      /* Only a synchronous run with neither a timeout nor buffers waits
         for the child without a limit and never signals it.  */
      ctx.spec.may_signal = !sync || cmd->timeout_ms != 0
                            || sp_capture_wanted (cmd);
      if (sp_backend_spawn (&ctx.spec, &cmd->proc, &cmd->pid, &f) < 0)
        sp_error_fail (cmd, &f);
      else
        ret = 0;
    }
  cmd->state = ret == 0 ? SP_STATE_RUNNING : SP_STATE_DONE;
  if (ret == 0)
    sp_deadline_start (cmd);

  ctx_release (&ctx);
  sp_capture_after_spawn (cmd);
  close_parent_fds (cmd);
  consume_send_buffers (cmd);
  if (ret == 0)
    {
      if (cmd->output_fd && ctx.out_parent >= 0)
        *cmd->output_fd = ctx.out_parent;
      if (cmd->error_fd && ctx.err_parent >= 0)
        *cmd->error_fd = ctx.err_parent;
    }
  else
    {
      ctx_close_parent_ends (&ctx);
      sp_capture_finish (cmd);
    }
  return ret;
}

/* ------------------------------------------------------------------ */
/* The child's status.  */

/* The command line for messages, or the program's name.  */
static char *
describe (const subproc_t *cmd)
{
  sp_buf_t b = { 0 };
  if (sp_format_command (cmd, true, &b) < 0)
    {
      sp_buf_clear (&b);
      return NULL;
    }
  return sp_buf_steal (&b, NULL);
}

/* Word a failed exit.  EXITED/VALUE: the decoded status; EXCEPTION: VALUE
   is an exception code, not a signal.  */
static int
status_error (subproc_t *cmd, bool exited, bool exception, int value)
{
  char *line = describe (cmd);
  const char *name = line ? line : cmd->args.v[0];
  const char *err = sp_capture_stderr (cmd);
  size_t err_len = err ? strlen (err) : 0;
  while (err_len && (err[err_len - 1] == '\n' || err[err_len - 1] == '\r'))
    err_len--;
  const char *sep = err_len ? ": " : "";
  int ret;

  if (exited)
    ret = sp_error (cmd, SUBPROC_ERR_EXIT_STATUS, 0,
                    "child process (%s) exited with status %d%s%.*s", name,
                    value, sep, (int) err_len, err ? err : "");
  else if (exception)
    ret = sp_error (cmd, SUBPROC_ERR_SIGNALED, 0,
                    "child process (%s) terminated by exception 0x%08X%s%.*s",
                    name, (unsigned int) value, sep, (int) err_len,
                    err ? err : "");
  else
    ret = sp_error (cmd, SUBPROC_ERR_SIGNALED, 0,
                    "child process (%s) killed by signal %d%s%.*s", name,
                    value, sep, (int) err_len, err ? err : "");
  free (line);
  return ret;
}

/* Word the end of a child that a limit stopped.  */
static int
limit_error (subproc_t *cmd)
{
  char *line = describe (cmd);
  const char *name = line ? line : cmd->args.v[0];
  unsigned long long v = cmd->limit_hit.value;
  int ret;

  if (cmd->limit_hit.which == SP_LIMIT_CPU)
    ret = sp_error (cmd, SUBPROC_ERR_LIMIT, 0,
                    "child process (%s) exceeded its CPU time limit of "
                    "%llu s", name, v);
  else if (cmd->limit_hit.which == SP_LIMIT_FSIZE)
    ret = sp_error (cmd, SUBPROC_ERR_LIMIT, 0,
                    "child process (%s) exceeded its file size limit of "
                    "%llu bytes", name, v);
  /* The cgroup counted an OOM kill while the child ran: see
     subproc_set_cgroup for why this is a guess.  */
  else if (v == UINT64_MAX)
    ret = sp_error (cmd, SUBPROC_ERR_LIMIT, 0,
                    "child process (%s) killed by the out-of-memory "
                    "killer of cgroup %s (memory.max max)",
                    name, cmd->opt.cgroup);
  else
    ret = sp_error (cmd, SUBPROC_ERR_LIMIT, 0,
                    "child process (%s) killed by the out-of-memory "
                    "killer of cgroup %s (memory.max %llu bytes)",
                    name, cmd->opt.cgroup, v);
  free (line);
  return ret;
}

/* Interpret the reaped status for subproc_run / subproc_wait.  */
static int
finish_status (subproc_t *cmd, int raw, int *status)
{
  int value;
  bool exited = sp_backend_status_exited (raw, &value) == 1;

  /* A limit's kill is an error even where a signal is not: the caller
     asked for the limit and learns that it ended the child, with the
     raw status if it asked for that too.  */
  if (cmd->limit_hit.which != SP_LIMIT_NONE)
    {
      if (cmd->raw_status && status)
        *status = raw;
      return limit_error (cmd);
    }
  if (cmd->raw_status && status)
    {
      *status = raw;
      return 0;
    }
  if (!exited || (status == NULL && (cmd->raw_status ? raw : value) != 0))
    return status_error (cmd, exited, sp_backend_status_exception (raw),
                         value);
  if (status)
    *status = value;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The public entry points.  */

/* The caller's buffers, emptied when a run starts: freeing them after
   every run is always right, even after a run that never got as far as
   filling them.  What an earlier run stored in them is the caller's.  */
static void
clear_sinks (subproc_t *cmd)
{
  sp_sink_t *sinks[2] = { &cmd->output, &cmd->errbuf };
  for (int i = 0; i < 2; i++)
    {
      if (sinks[i]->buf)
        *sinks[i]->buf = NULL;
      if (sinks[i]->len)
        *sinks[i]->len = 0;
    }
}

/* The start of subproc_run, subproc_run_async and subproc_exec.  A
   command runs again once the child of its previous run is reaped; a
   builder error stays and is reported, the previous run's error is
   forgotten, and what that run left is reset.  From here on the errors
   recorded are the run's (the caller puts back what this returns in
   *BEFORE).  */
static int
begin_run (subproc_t *cmd, enum sp_error_kind *before)
{
  if (cmd == NULL)
    return sp_error_raise (cmd);
  if (cmd->state == SP_STATE_RUNNING)
    return sp_error_call (cmd, SUBPROC_ERR_STATE, 0,
                          "cannot run '%s': its child is still running "
                          "(wait for it or abort it first)",
                          cmd->args.v[0]);
  clear_sinks (cmd);
  if (sp_has_error (cmd))
    return sp_error_raise (cmd);
  sp_error_forget_run (cmd);
  sp_child_forget_lost (cmd);
  cmd->pid = 0;
  cmd->pid_given = false;
  cmd->reaped = false;
  cmd->raw_status_value = 0;
  cmd->limit_hit.which = SP_LIMIT_NONE;
  cmd->deadline = 0;
  cmd->dry_run = false;
  cmd->handshake_held = false;
  sp_usage_forget (cmd);
  *before = sp_error_recording (cmd, SP_ERROR_RUN);
  return 0;
}

static int
run_sync (subproc_t *cmd, int *status)
{
  if (check_options (cmd, MODE_SYNC) < 0)
    return -1;
  if (sp_dry_run_active ())
    {
      cmd->state = SP_STATE_DONE;
      if (sp_dry_run (cmd) < 0)
        return -1;
      return finish_status (cmd, cmd->raw_status_value, status);
    }
  if (start (cmd, true) < 0)
    return -1;

  int ret = 0;
  if (sp_capture_wanted (cmd))
    ret = sp_capture_run (cmd);
  if (ret == 0)
    ret = sp_child_wait (cmd);
  else if (cmd->proc)
    sp_child_stop (cmd);
  cmd->state = SP_STATE_DONE;
  if (sp_capture_finish (cmd) < 0)
    ret = -1;
  if (ret == 0)
    ret = finish_status (cmd, cmd->raw_status_value, status);
  return ret;
}

int
subproc_run (subproc_t *cmd, int *status)
{
  enum sp_error_kind before;
  if (begin_run (cmd, &before) < 0)
    return -1;
  int ret = run_sync (cmd, status);
  sp_error_recording (cmd, before);
  return ret;
}

static int
run_async (subproc_t *cmd, pid_t *pid)
{
  if (check_options (cmd, MODE_ASYNC) < 0)
    return -1;
  if (sp_dry_run_active ())
    {
      cmd->state = SP_STATE_RUNNING;
      if (sp_dry_run (cmd) < 0)
        {
          cmd->state = SP_STATE_DONE;
          return -1;
        }
      cmd->reaped = true;
      if (pid)
        *pid = 0;
      return 0;
    }
  if (start (cmd, false) < 0)
    return -1;
  sp_fail_t f;
  if (pid && sp_backend_hand_over (cmd->proc, &f) < 0)
    {
      sp_error_fail (cmd, &f);
      sp_child_stop (cmd);
      cmd->state = SP_STATE_DONE;
      sp_capture_finish (cmd);
      return -1;
    }
  if (cmd->async_io && sp_capture_start_async (cmd) < 0)
    {
      sp_child_stop (cmd);
      cmd->state = SP_STATE_DONE;
      sp_capture_finish (cmd);
      return -1;
    }
  cmd->pid_given = pid != NULL;
  cmd->handshake_held = cmd->opt.handshake;
  if (pid)
    *pid = cmd->pid;
  return 0;
}

int
subproc_run_async (subproc_t *cmd, pid_t *pid)
{
  enum sp_error_kind before;
  if (pid)
    *pid = (pid_t) -1;
  if (begin_run (cmd, &before) < 0)
    return -1;
  int ret = run_async (cmd, pid);
  sp_error_recording (cmd, before);
  return ret;
}

static int
wait_running (subproc_t *cmd, int *status)
{
  int ret = 0;
  /* A child still held by the handshake waits for a notify that cannot
     come while we wait: let it go (it ends without running the program,
     and the wait reports that), so that the I/O thread sees its pipes
     close.  */
  if (cmd->handshake_held && cmd->proc)
    sp_backend_handshake_abandon (cmd->proc);
  cmd->handshake_held = false;
  /* The I/O ends before the child is reaped: the I/O thread, or the
     rounds on this thread, use the child until then.  */
  if (cmd->capture)
    ret = sp_capture_complete (cmd);
  if (ret == 0)
    ret = sp_child_wait (cmd);
  else if (cmd->proc)
    sp_child_stop (cmd);
  cmd->state = SP_STATE_DONE;
  if (sp_capture_finish (cmd) < 0)
    ret = -1;
  /* The child is reaped; what went wrong before the wait (a handshake,
     a builder call while it ran) is the result.  */
  if (ret == 0 && (sp_has_error (cmd) || sp_has_run_error (cmd)))
    ret = sp_error_raise (cmd);
  if (ret == 0)
    ret = finish_status (cmd, cmd->raw_status_value, status);
  return ret;
}

int
subproc_wait (subproc_t *cmd, int *status)
{
  if (cmd == NULL || cmd->state != SP_STATE_RUNNING)
    {
      if (sp_has_error (cmd))
        return sp_error_raise (cmd);
      return sp_error_call (cmd, SUBPROC_ERR_STATE, 0,
                            "cannot wait for '%s': it is not running",
                            cmd->args.v[0]);
    }
  sp_error_forget_call (cmd);
  enum sp_error_kind before = sp_error_recording (cmd, SP_ERROR_RUN);
  int ret = wait_running (cmd, status);
  sp_error_recording (cmd, before);
  return ret;
}

/* Drive the run of CMD (running) for up to MS milliseconds, until it is
   over: its child ended and its I/O finished (by this thread, or by the
   thread of do_async_io), so that subproc_wait blocks no more.  True
   then, or once the deadline of set_timeout has come (subproc_wait
   stops the child), or when there is no child to wait for (a dry run, a
   child lost), or when the engine itself fails (subproc_wait reports
   what it can).  Reaps nothing.  */
static bool
run_over_within (subproc_t *cmd, int ms)
{
  sp_fail_t f;
  size_t ended;
  if (sp_time_left (cmd) == 0 || cmd->proc == NULL)
    return true;
  return sp_engine_poll (&cmd, 1, ms, &ended, &f) != 0;
}

int
subproc_wait_for (subproc_t *cmd, int ms, int *status)
{
  if (cmd != NULL && cmd->state == SP_STATE_RUNNING && ms >= 0
      && !run_over_within (cmd, ms))
    return 0;
  return subproc_wait (cmd, status) < 0 ? -1 : 1;
}

int
subproc_try_wait (subproc_t *cmd, int *status)
{
  return subproc_wait_for (cmd, 0, status);
}

int
subproc_send_signal (subproc_t *cmd, int sig)
{
  sp_fail_t f;

  if (cmd == NULL)
    return sp_error_raise (cmd);
  if (cmd->state != SP_STATE_RUNNING || (!cmd->dry_run && !cmd->proc))
    return sp_error_call (cmd, SUBPROC_ERR_STATE, 0,
                          "cannot send signal %d to '%s': it is not "
                          "running",
                          sig, cmd->args.v[0]);
  /* A dry run's child has ended, not been reaped: nothing to do.  */
  if (cmd->dry_run)
    return 0;
  if (sp_backend_signal (cmd->proc, cmd->opt.new_process_group, sig, &f)
      == 0)
    return 0;
  if (f.code == SUBPROC_ERR_UNSUPPORTED)
    return sp_error_call (cmd, f.code, f.sys_errno,
                          "cannot send signal %d to '%s': not supported "
                          "on this platform",
                          sig, cmd->args.v[0]);
  return sp_error_call (cmd, f.code, f.sys_errno,
                        "cannot send signal %d to '%s': %s", sig,
                        cmd->args.v[0], strerror (f.sys_errno));
}

void
subproc_abort (subproc_t *cmd)
{
  if (cmd == NULL || cmd->state != SP_STATE_RUNNING)
    return;
  int saved = errno;
  enum sp_error_kind before = sp_error_recording (cmd, SP_ERROR_RUN);
  if (cmd->capture)
    sp_capture_join_async (cmd, true);
  sp_child_stop (cmd);
  cmd->state = SP_STATE_DONE;
  sp_capture_finish (cmd);
  sp_error_recording (cmd, before);
  errno = saved;
}

/* The checks of the handshake calls: a builder error, then misuse.  */
static int
handshake_pending (subproc_t *cmd)
{
  if (sp_has_error (cmd))
    return sp_error_raise (cmd);
  if (!cmd->opt.handshake || cmd->state != SP_STATE_RUNNING
      || (!cmd->dry_run && !cmd->proc))
    return sp_error_call (cmd, SUBPROC_ERR_STATE, 0,
                          "no handshake is pending for '%s'",
                          cmd->args.v[0]);
  return 0;
}

/* Word a failed handshake step: the run's error, unless the step was
   misuse (called twice).  */
static int
handshake_failed (subproc_t *cmd, const sp_fail_t *f)
{
  enum sp_error_kind kind
    = f->code == SUBPROC_ERR_STATE ? SP_ERROR_CALL : SP_ERROR_RUN;
  enum sp_error_kind before = sp_error_recording (cmd, kind);
  sp_error_fail (cmd, f);
  sp_error_recording (cmd, before);
  return -1;
}

int
subproc_handshake_wait (subproc_t *cmd)
{
  sp_fail_t f;
  if (handshake_pending (cmd) < 0)
    return -1;
  /* A dry run has no child: the handshake succeeds at once.  */
  if (cmd->dry_run)
    return 0;
  if (sp_backend_handshake_wait (cmd->proc, &f) < 0)
    return handshake_failed (cmd, &f);
  return 0;
}

int
subproc_handshake_notify (subproc_t *cmd)
{
  sp_fail_t f;
  if (handshake_pending (cmd) < 0)
    return -1;
  /* A dry run has no child: the handshake succeeds at once.  */
  if (cmd->dry_run)
    return 0;
  cmd->handshake_held = false;
  if (sp_backend_handshake_notify (cmd->proc, &f) < 0)
    return handshake_failed (cmd, &f);
  return 0;
}

int
subproc_exec (subproc_t *cmd)
{
  enum sp_error_kind before;
  if (begin_run (cmd, &before) < 0)
    return -1;
  if (check_options (cmd, MODE_EXEC) == 0)
    {
      spawn_ctx_t ctx;
      sp_fail_t f;
      ctx_init (&ctx);
      if (build_spec (cmd, &ctx, false) == 0
          && sp_backend_exec (&ctx.spec, &f) < 0)
        sp_error_fail (cmd, &f);
      ctx_close_parent_ends (&ctx);
      ctx_release (&ctx);
    }
  sp_error_recording (cmd, before);
  return -1;
}

void
subproc_free (subproc_t *cmd)
{
  if (cmd == NULL)
    return;
  int saved = errno;

  if (cmd->capture)
    sp_capture_join_async (cmd, true);
  sp_child_let_go (cmd);
  sp_capture_finish (cmd);

  /* Descriptors handed over with CLOSE_PARENT that no spawn closed, the
     read ends of the send buffers, and their write ends that no run
     used.  */
  close_parent_fds (cmd);
  for (size_t i = 0; i < cmd->n_send; i++)
    {
      sp_backend_close (cmd->send[i].child_fd);
      if (cmd->send[i].parent_fd >= 0)
        sp_backend_close (cmd->send[i].parent_fd);
      sp_backend_payload_free (&cmd->send[i].payload);
    }
  free (cmd->send);
  free (cmd->pass_fds);
  sp_strv_clear (&cmd->args);
  sp_strv_clear (&cmd->env);
  sp_childopts_free (cmd);
  sp_backend_payload_free (&cmd->input);
  free (cmd->opt.cwd);
  free (cmd->opt.pid_file);
  free (cmd->opt.selinux_label);
  free (cmd->opt.apparmor_profile);
  free (cmd->opt.cgroup);
  sp_error_clear (cmd);
  free (cmd);
  errno = saved;
}

/* ------------------------------------------------------------------ */
/* Children handed to the caller.  */

int
subproc_pid_wait (pid_t pid, int *status, bool raw)
{
  sp_fail_t f;
  int raw_status;

  sp_proc_t *proc = sp_backend_proc_for_pid (pid, &f);
  if (proc == NULL)
    return sp_error_thread (f.code, f.sys_errno,
                            "cannot wait for process %ld: %s", (long) pid,
                            f.sys_errno ? strerror (f.sys_errno)
                                        : "unknown process");
  int r = sp_backend_wait (proc, -1, &raw_status, &f);
  sp_backend_release (proc);
  if (r != 1)
    return sp_error_thread (f.code, f.sys_errno,
                            "cannot wait for process %ld: %s", (long) pid,
                            strerror (f.sys_errno));
  if (raw && status)
    {
      *status = raw_status;
      return 0;
    }
  int value;
  bool exited = sp_backend_status_exited (raw_status, &value) == 1;
  if (!exited)
    return sp_error_thread (SUBPROC_ERR_SIGNALED, 0,
                            sp_backend_status_exception (raw_status)
                              ? "process %ld terminated by exception %#x"
                              : "process %ld killed by signal %d",
                            (long) pid, value);
  if (status == NULL && value != 0)
    return sp_error_thread (SUBPROC_ERR_EXIT_STATUS, 0,
                            "process %ld exited with status %d", (long) pid,
                            value);
  if (status)
    *status = value;
  return 0;
}

void
subproc_pid_abort (pid_t pid)
{
  sp_fail_t f;
  int raw;
  int saved = errno;

  sp_proc_t *proc = sp_backend_proc_for_pid (pid, &f);
  if (proc == NULL)
    {
      errno = saved;
      return;
    }
  /* The process only: the caller has its pid, not its group; the
     default grace period: the command's options are not at hand.  */
  sp_proc_stop (proc, false, SP_GRACE_MS, true, &raw, &f);
  sp_backend_release (proc);
  errno = saved;
}
