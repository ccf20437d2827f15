/* cancel.c: threads with a cancellation request pending, POSIX.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * No function of the library is a cancellation point.  A thread that
 * has a deferred cancellation pending when it runs a command gets its
 * run done, and is cancelled at its own next cancellation point; the
 * child never acts on the request: it runs neither the thread's cleanup
 * handlers nor the process's atexit handlers, and never flushes the
 * parent's stdio buffers.
 *
 * Every handler of the test records who ran it (a tag and getpid ()) on
 * a pipe, with one write(2) of a few bytes, which is atomic.
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "subproc.h"

typedef struct mark
{
  int tag;
  pid_t pid;
} mark_t;

enum
{
  TAG_CLEANUP = 'C', /* the spawning thread's cleanup handler */
  TAG_ATEXIT = 'A',  /* the process's atexit handler */
  TAG_HOOK = 'H'     /* the pre-exec hook */
};

/* The pipe of the marks; the write end is -1 outside of a test.  */
static int marks[2] = { -1, -1 };

static void
mark (int tag)
{
  mark_t m = { tag, getpid () };
  if (marks[1] >= 0)
    (void) !write (marks[1], &m, sizeof m);
}

static void
atexit_mark (void)
{
  mark (TAG_ATEXIT);
}

static void
cleanup_mark (void *arg)
{
  (void) arg;
  mark (TAG_CLEANUP);
}

/* A hook that reaches a cancellation point (write).  */
static int
hook_mark (void *opaque)
{
  (void) opaque;
  mark (TAG_HOOK);
  return 0;
}

static void
marks_open (void)
{
  static bool registered;
  ck_assert_int_eq (pipe (marks), 0);
  ck_assert_int_eq (fcntl (marks[0], F_SETFL, O_NONBLOCK), 0);
  if (!registered)
    ck_assert_int_eq (atexit (atexit_mark), 0);
  registered = true;
}

/* Count the marks of TAG by this process (*OURS) and by others
   (*THEIRS), and close the pipe.  */
static void
marks_close (size_t n_tags, const int *tags, int *ours, int *theirs)
{
  mark_t m;
  ssize_t r;

  for (size_t i = 0; i < n_tags; i++)
    ours[i] = theirs[i] = 0;
  test_close (marks[1]);
  marks[1] = -1;
  while ((r = read (marks[0], &m, sizeof m)) == (ssize_t) sizeof m)
    for (size_t i = 0; i < n_tags; i++)
      if (m.tag == tags[i])
        {
          if (m.pid == getpid ())
            ours[i]++;
          else
            theirs[i]++;
        }
  ck_assert_int_eq (r, 0);
  test_close (marks[0]);
}

/* ------------------------------------------------------------------ */
/* The spawning thread.  */

enum variant
{
  PLAIN,   /* no buffers */
  BUFFERS, /* input, output and error buffers */
  FAILS,   /* the child fails before exec (no working directory) */
  N_VARIANTS
};

typedef struct job
{
  int path; /* 0 the fast path, 1 the fork path (a hook) */
  enum variant variant;
  const char *missing_dir;
  /* Set by the thread.  */
  int ret;
  int status;
  int code;
  char *out, *err;
  int cancel_err;   /* what pthread_cancel returned */
  bool returned;    /* subproc_run returned */
  bool past_cancel; /* the thread went on after pthread_testcancel */
} job_t;

static void *
spawner (void *arg)
{
  job_t *j = arg;
  pthread_cleanup_push (cleanup_mark, NULL);
  subproc_t *cmd = j->variant == BUFFERS ? test_helper_cmd ("echo", NULL)
                                         : test_helper_cmd ("exit", "3", NULL);
  /* Deferred: acted upon at the next cancellation point, which must not
     be in the library.  (From here on, no Check assertion in this
     thread: they write, and write is a cancellation point.)  */
  j->cancel_err = pthread_cancel (pthread_self ());
  /* The child keeps the pipe of the marks, so that whatever runs there
     can leave one; but a plain fast child then could not take its
     shortest way (it keeps nothing of ours and opens the null device
     itself).  */
  if (j->path || j->variant != PLAIN)
    subproc_pass_fd (cmd, marks[1], 0);
  if (j->path)
    subproc_set_pre_exec_hook (cmd, hook_mark, NULL);
  if (j->variant == BUFFERS)
    {
      subproc_set_input_buffer (cmd, "to the child and back\n");
      subproc_set_output_buffer (cmd, &j->out);
      subproc_set_error_buffer (cmd, &j->err);
    }
  if (j->variant == FAILS)
    subproc_set_working_directory (cmd, j->missing_dir);
  j->ret = subproc_run (cmd, &j->status);
  j->code = j->ret < 0 ? subproc_get_error (cmd)->code : 0;
  subproc_free (cmd);
  j->returned = true;

  pthread_testcancel ();
  j->past_cancel = true;
  pthread_cleanup_pop (0);
  return NULL;
}

/* A thread with a cancellation pending runs a command on PATH: the run
   is done, in the parent only, and the thread is cancelled right
   after.  */
static void
check_run_with_cancel (int path, enum variant variant)
{
  char *missing = test_tmp_path ("missing");
  job_t job = { .path = path, .variant = variant, .missing_dir = missing };
  int tags[] = { TAG_CLEANUP, TAG_ATEXIT, TAG_HOOK };
  int ours[3], theirs[3];

  /* Text the parent has buffered and not flushed yet: a child that
     ran exit() would flush it a second time.  */
  int out[2];
  ck_assert_int_eq (pipe (out), 0);
  ck_assert_int_eq (fcntl (out[0], F_SETFL, O_NONBLOCK), 0);
  FILE *stream = fdopen (out[1], "w");
  ck_assert_ptr_nonnull (stream);
  ck_assert_int_eq (setvbuf (stream, NULL, _IOFBF, 4096), 0);
  ck_assert_int_ge (fputs ("buffered in the parent\n", stream), 0);

  marks_open ();
  pthread_t t;
  void *result = NULL;
  ck_assert_int_eq (pthread_create (&t, NULL, spawner, &job), 0);
  ck_assert_int_eq (pthread_join (t, &result), 0);
  marks_close (3, tags, ours, theirs);

  /* Nothing ran in the child but the hook, and nobody flushed the
     parent's stream yet.  */
  char buf[128];
  ck_assert_msg (theirs[0] == 0, "the child ran the cleanup handler");
  ck_assert_msg (theirs[1] == 0, "the child ran the atexit handler");
  ck_assert_msg (read (out[0], buf, sizeof buf) == -1 && errno == EAGAIN,
                 "the child flushed the parent's stdio");
  ck_assert_int_eq (ours[1], 0);
  ck_assert_int_eq (theirs[2], (path ? 1 : 0));

  /* The parent survived, its run was done, and the thread was cancelled
     at its next cancellation point: the cleanup handler ran once, in
     this process.  */
  ck_assert_int_eq (job.cancel_err, 0);
  ck_assert_msg (job.returned, "the thread was cancelled inside the run");
  ck_assert (result == PTHREAD_CANCELED);
  ck_assert (!job.past_cancel);
  ck_assert_int_eq (ours[0], 1);
  switch (variant)
    {
    case PLAIN:
      ck_assert_int_eq (job.ret, 0);
      ck_assert_int_eq (job.status, 3);
      break;
    case BUFFERS:
      ck_assert_int_eq (job.ret, 0);
      ck_assert_int_eq (job.status, 0);
      ck_assert_str_eq (job.out, "to the child and back\n");
      ck_assert_str_eq (job.err, "");
      break;
    case FAILS:
    default:
      ck_assert_int_eq (job.ret, -1);
      ck_assert_int_eq (job.code, SUBPROC_ERR_SPAWN);
      break;
    }

  /* The parent's stream is written once.  */
  ck_assert_int_eq (fclose (stream), 0);
  ssize_t n = read (out[0], buf, sizeof buf - 1);
  ck_assert_int_gt (n, 0);
  buf[n] = '\0';
  ck_assert_str_eq (buf, "buffered in the parent\n");
  test_close (out[0]);

  free (job.out);
  free (job.err);
  free (missing);
}

/* Loop _i: the spawn path is _i % 2, the variant _i / 2.  */
START_TEST (test_run_with_cancel_pending)
{
  /* A first run, without cancellation, shows the fast path that the
     child shares our memory: later fast children then take their
     shortest way.  */
  subproc_t *warm = test_helper_cmd ("exit", "0", NULL);
  test_run_ok (warm);
  subproc_free (warm);
  check_run_with_cancel (_i % 2, (enum variant) (_i / 2));
}
END_TEST

/* ------------------------------------------------------------------ */
/* Waiting.  */

typedef struct wait_job
{
  bool async_io;
  int ret;
  int status;
  char *out;
  int cancel_err;
  bool returned;
  bool past_cancel;
} wait_job_t;

static void *
waiter (void *arg)
{
  wait_job_t *j = arg;
  pthread_cleanup_push (cleanup_mark, NULL);
  subproc_t *cmd = test_helper_cmd (j->async_io ? "print" : "exit",
                                    j->async_io ? "waited for" : "5", NULL);
  if (j->async_io)
    {
      subproc_do_async_io (cmd);
      subproc_set_output_buffer (cmd, &j->out);
    }
  j->ret = subproc_run_async (cmd, NULL);
  j->cancel_err = pthread_cancel (pthread_self ());
  if (j->ret == 0)
    j->ret = subproc_wait (cmd, &j->status);
  subproc_free (cmd);
  j->returned = true;

  pthread_testcancel ();
  j->past_cancel = true;
  pthread_cleanup_pop (0);
  return NULL;
}

/* subproc_wait is no cancellation point either, with or without a
   thread of the library's for the I/O.  */
START_TEST (test_wait_with_cancel_pending)
{
  int tags[] = { TAG_CLEANUP };
  int ours, theirs;

  for (int async_io = 0; async_io < 2; async_io++)
    {
      wait_job_t job = { .async_io = async_io };
      pthread_t t;
      void *result = NULL;

      marks_open ();
      ck_assert_int_eq (pthread_create (&t, NULL, waiter, &job), 0);
      ck_assert_int_eq (pthread_join (t, &result), 0);
      marks_close (1, tags, &ours, &theirs);
      ck_assert_int_eq (job.cancel_err, 0);
      ck_assert_msg (job.returned, "the thread was cancelled inside wait");
      ck_assert (result == PTHREAD_CANCELED);
      ck_assert (!job.past_cancel);
      ck_assert_int_eq (ours, 1);
      ck_assert_int_eq (theirs, 0);
      ck_assert_int_eq (job.ret, 0);
      if (async_io)
        ck_assert_str_eq (job.out, "waited for");
      else
        ck_assert_int_eq (job.status, 5);
      free (job.out);
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* Cancelled while a child runs.  */

typedef struct free_job
{
  subproc_t *cmd;
  int ready[2];
  int never[2];
} free_job_t;

static void
free_command (void *arg)
{
  free_job_t *j = arg;
  subproc_free (j->cmd);
  j->cmd = NULL;
}

static void *
runs_then_blocks (void *arg)
{
  free_job_t *j = arg;
  char c = 0;
  j->cmd = test_helper_cmd ("sleep-forever", NULL);
  pthread_cleanup_push (free_command, j);
  if (subproc_run_async (j->cmd, NULL) == 0)
    c = 1;
  (void) !write (j->ready[1], &c, 1);
  /* A cancellation point of the thread's own, which never returns.  */
  (void) !read (j->never[0], &c, 1);
  pthread_cleanup_pop (1);
  return NULL;
}

/* The way to cancel a thread that has a child running: its cleanup
   handler frees the command, which stops and reaps the child.  */
START_TEST (test_cleanup_handler_frees)
{
  free_job_t job;
  pthread_t t;
  void *result = NULL;
  char c = 0;

  ck_assert_int_eq (pipe (job.ready), 0);
  ck_assert_int_eq (pipe (job.never), 0);
  ck_assert_int_eq (pthread_create (&t, NULL, runs_then_blocks, &job), 0);
  ck_assert_int_eq (read (job.ready[0], &c, 1), 1);
  ck_assert_int_eq (c, 1);
  ck_assert_int_eq (pthread_cancel (t), 0);
  ck_assert_int_eq (pthread_join (t, &result), 0);
  ck_assert (result == PTHREAD_CANCELED);
  ck_assert_ptr_null (job.cmd);
  for (int i = 0; i < 2; i++)
    {
      test_close (job.ready[i]);
      test_close (job.never[i]);
    }
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("cancel");
  TCase *tc = tcase_create ("run_with_cancel_pending");
  TEST_ACCOUNTING (tc);
  tcase_add_checked_fixture (tc, test_tmpdir_setup, test_tmpdir_teardown);
  tcase_add_loop_test (tc, test_run_with_cancel_pending, 0, 2 * N_VARIANTS);
  suite_add_tcase (s, tc);
  TEST_CASE (s, wait_with_cancel_pending);
  TEST_CASE (s, cleanup_handler_frees);
  return s;
}

MAIN_SUITE (make_suite)
