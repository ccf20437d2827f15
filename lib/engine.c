/* engine.c: many commands driven from one thread.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Every run of subproc_run_async has a capture (lib/capture.c), with no
 * stream when it captures nothing, whose rounds advance it.  The calls
 * here run one round of any number of commands at once: each command
 * says how long it may wait and fills a set (its child and its
 * streams), the backend waits on all the sets together and moves the
 * bytes, and each command takes what happened to it.  subproc_poll
 * repeats that until a run is over; subproc_get_watches and
 * subproc_advance split one round between the caller's event loop,
 * which does the waiting, and the library.  Nothing here blocks other
 * than in the backend's wait, and nothing reaps: subproc_wait does.
 */

#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* Read by the backends (lib/backend.h).  */
bool sp_backend_test_no_handle;
bool sp_backend_test_no_clone_into_cgroup;

/* Sets kept on the stack; more are allocated.  */
#define LOCAL_SETS 16

/* Is the run of CMD (not NULL) over?  A command that is not running, a
   dry run, a child that was lost: at once.  */
static bool
run_over (subproc_t *cmd)
{
  if (cmd->state != SP_STATE_RUNNING || cmd->capture == NULL
      || cmd->proc == NULL)
    return true;
  return sp_capture_over (cmd);
}

static int
shorter (int a, int b)
{
  if (a < 0)
    return b;
  if (b < 0)
    return a;
  return a < b ? a : b;
}

int
sp_engine_poll (subproc_t *const *cmds, size_t n, int timeout_ms,
                size_t *ended, sp_fail_t *f)
{
  sp_io_set_t local_sets[LOCAL_SETS];
  size_t local_map[LOCAL_SETS];
  sp_io_set_t *sets = local_sets;
  size_t *map = local_map;
  int64_t end = timeout_ms < 0 ? -1 : sp_backend_now_ms () + timeout_ms;
  bool last = false;
  int ret;

  if (n > LOCAL_SETS)
    {
      sets = sp_reallocarray (NULL, n, sizeof *sets);
      map = sp_reallocarray (NULL, n, sizeof *map);
      if (sets == NULL || map == NULL)
        {
          free (sets);
          free (map);
          return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_IO, NULL);
        }
    }

  for (;;)
    {
      size_t n_ended = 0, n_sets = 0;
      int wait = -1;

      for (size_t i = 0; i < n; i++)
        {
          subproc_t *cmd = cmds[i];
          if (cmd == NULL)
            continue;
          if (run_over (cmd))
            {
              ended[n_ended++] = i;
              continue;
            }
          if (last || n_ended > 0)
            continue;
          int w = sp_capture_round_begin (cmd, &sets[n_sets]);
          if (run_over (cmd))
            {
              ended[n_ended++] = i;
              continue;
            }
          map[n_sets++] = i;
          wait = shorter (wait, w);
        }
      if (n_ended > 0 || n_sets == 0 || last)
        {
          ret = (int) n_ended;
          break;
        }

      if (end >= 0)
        {
          int64_t left = end - sp_backend_now_ms ();
          wait = shorter (wait, left <= 0              ? 0
                                : left > 0x7fffffff ? 0x7fffffff
                                                    : (int) left);
        }
      if (sp_backend_io_wait (sets, n_sets, wait, f) < 0)
        {
          ret = -1;
          break;
        }
      for (size_t k = 0; k < n_sets; k++)
        sp_capture_round_end (cmds[map[k]], &sets[k]);
      /* Time up: the runs that the round ended are still told.  */
      last = end >= 0 && sp_backend_now_ms () >= end;
    }

  if (sets != local_sets)
    free (sets);
  if (map != local_map)
    free (map);
  return ret;
}

int
subproc_poll (subproc_t *const *cmds, size_t n, int timeout_ms,
              size_t *ended)
{
  sp_fail_t f;

  if (n > 0 && (cmds == NULL || ended == NULL))
    return sp_error_thread (SUBPROC_ERR_INVALID, EINVAL,
                            "subproc_poll: %s is NULL",
                            cmds == NULL ? "the command array"
                                         : "the array of ended commands");
  int r = sp_engine_poll (cmds, n, timeout_ms, ended, &f);
  if (r < 0)
    return sp_error_thread (f.code, f.sys_errno,
                            "cannot drive %zu commands: %s", n,
                            strerror (f.sys_errno));
  return r;
}

/* The checks of the calls on one running command.  */
static int
check_running (subproc_t *cmd, const char *what)
{
  if (cmd == NULL)
    return sp_error_raise (cmd);
  if (cmd->state != SP_STATE_RUNNING)
    return sp_error_call (cmd, SUBPROC_ERR_STATE, 0,
                          "cannot %s '%s': it is not running", what,
                          cmd->args.v[0]);
  return 0;
}

int
subproc_advance (subproc_t *cmd)
{
  sp_fail_t f;
  sp_io_set_t set;

  if (check_running (cmd, "advance") < 0)
    return -1;
  if (run_over (cmd))
    return 1;
  sp_capture_round_begin (cmd, &set);
  if (run_over (cmd))
    return 1;
  if (sp_backend_io_wait (&set, 1, 0, &f) < 0)
    sp_capture_round_failed (cmd, f.sys_errno);
  else
    sp_capture_round_end (cmd, &set);
  return run_over (cmd) ? 1 : 0;
}

int
subproc_get_watches (subproc_t *cmd, subproc_watch_t *w, size_t n,
                     int *timeout_ms)
{
  sp_io_set_t set;

  if (timeout_ms)
    *timeout_ms = 0;
  if (check_running (cmd, "watch") < 0)
    return -1;
  if (timeout_ms == NULL || (w == NULL && n > 0))
    return sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL,
                          "subproc_get_watches: %s is NULL",
                          timeout_ms == NULL ? "the timeout"
                                             : "the watch array");
  if (run_over (cmd))
    return 0;
  int wait = sp_capture_round_begin (cmd, &set);
  if (run_over (cmd))
    return 0;
  int backend_wait = -1;
  size_t k = sp_backend_io_watches (set.proc, set.streams, set.n, w, n,
                                    &backend_wait);
  *timeout_ms = shorter (wait, backend_wait);
  return (int) k;
}

int
subproc_get_handle (subproc_t *cmd, subproc_handle_t *handle)
{
  sp_fail_t f;

  if (check_running (cmd, "get the handle of") < 0)
    return -1;
  if (handle == NULL)
    return sp_error_call (cmd, SUBPROC_ERR_INVALID, EINVAL,
                          "subproc_get_handle: the handle is NULL");
  if (cmd->proc == NULL)
    return sp_error_call (cmd, SUBPROC_ERR_STATE, 0,
                          "'%s' has no child to watch", cmd->args.v[0]);
  if (sp_backend_proc_handle (cmd->proc, handle, &f) < 0)
    return sp_error_call (cmd, f.code, f.sys_errno,
                          f.code == SUBPROC_ERR_UNSUPPORTED
                            ? "'%s' has no pollable handle on this system"
                            : "'%s' has no pollable handle: its child is "
                              "gone",
                          cmd->args.v[0]);
  return 0;
}
