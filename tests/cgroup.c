/* cgroup.c: subproc_set_cgroup, the child started inside a cgroup v2
 * directory, and the report of the cgroup's out-of-memory killer.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Where the library has cgroups (Linux, SP_POSIX_HAVE_CGROUP), the
 * tests make cgroups of their own below the cgroup2 mount, if this
 * process may (root, a writable mount), and skip saying why otherwise.
 * Each test's cgroups are made and removed by the process that runs the
 * suite (an unchecked fixture), so they go away even when a test fails.
 * Loop 0 of the placement tests lets the library use clone3
 * (CLONE_INTO_CGROUP), loop 1 forces the fallback where the child moves
 * itself (under valgrind, which has no clone3, both take the fallback).
 * Elsewhere (Win32, --disable-linux-specific) the option is
 * SUBPROC_ERR_UNSUPPORTED.
 */

#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined SP_POSIX_HAVE_CGROUP
# include <dirent.h>
# include <fcntl.h>
# include <signal.h>
# include <sys/stat.h>
# include <sys/vfs.h>
# include <sys/wait.h>
# include <unistd.h>
#endif

#include "backend.h"
#include "common.h"
#include "subproc.h"
#if defined SP_POSIX_HAVE_CGROUP
/* For the OOM counter's test: the backend's record of a child.  */
# include "../src/posix/posix.h"
#endif

/* Both: the builder's own checks.  */
START_TEST (test_builder_errors)
{
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_cgroup (cmd, "");
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "subproc_set_cgroup"));
  subproc_free (cmd);

  cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_cgroup (cmd, NULL);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_INVALID);
  subproc_free (cmd);

  /* No command: nothing happens.  */
  subproc_set_cgroup (NULL, "/sys/fs/cgroup");
}
END_TEST

#if !defined SP_POSIX_HAVE_CGROUP

/* Win32, and a POSIX build without the Linux-specific features.  */
START_TEST (test_unsupported)
{
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_cgroup (cmd, "/sys/fs/cgroup/x");
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_UNSUPPORTED);
  ck_assert_int_eq (subproc_get_error (cmd)->stage,
                    SUBPROC_STAGE_UNSUPPORTED);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "cgroup"));
  /* Nothing was started: the command runs without it.  */
  ck_assert_int_eq (subproc_run_async (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_UNSUPPORTED);
  subproc_free (cmd);
}
END_TEST

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("cgroup");
  TEST_CASE (s, builder_errors);
  TEST_CASE (s, unsupported);
  return s;
}

#else /* SP_POSIX_HAVE_CGROUP */

# define CGROUP2_MAGIC 0x63677270

/* The cgroup2 mount (from /proc/self/mountinfo), "" when there is none,
   and this suite's own directory below it, made by the fixture; NULL
   when the machine lets us make none (SKIP_WHY says why).  */
static char mount_dir[4096];
static char *base;
static char skip_why[256];
/* The mount root's cgroup.subtree_control before the tests: what they
   enable there is taken back.  */
static char *root_control;

static void
find_mount (void)
{
  FILE *f = fopen ("/proc/self/mountinfo", "r");
  char line[8192];
  mount_dir[0] = '\0';
  if (f == NULL)
    return;
  while (fgets (line, sizeof line, f))
    {
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS... - FSTYPE ...  */
      char root[4096], point[4096];
      const char *dash = strstr (line, " - ");
      if (dash == NULL || strncmp (dash + 3, "cgroup2 ", 8) != 0)
        continue;
      if (sscanf (line, "%*s %*s %*s %4095s %4095s", root, point) == 2)
        {
          snprintf (mount_dir, sizeof mount_dir, "%s", point);
          break;
        }
    }
  fclose (f);
}

/* Write TEXT to DIR/NAME: 0, or -1 with errno.  */
static int
write_at (const char *dir, const char *name, const char *text)
{
  char path[4200];
  snprintf (path, sizeof path, "%s/%s", dir, name);
  int fd = open (path, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t w = write (fd, text, strlen (text));
  int err = errno;
  close (fd);
  errno = err;
  return w == (ssize_t) strlen (text) ? 0 : -1;
}

/* The contents of DIR/NAME (newly allocated), or NULL.  */
static char *
read_at (const char *dir, const char *name)
{
  char path[4200];
  snprintf (path, sizeof path, "%s/%s", dir, name);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  char *buf = calloc (1, 8192);
  ssize_t n = buf ? read (fd, buf, 8191) : -1;
  close (fd);
  if (n < 0)
    {
      free (buf);
      return NULL;
    }
  return buf;
}

/* Is CONTROLLER a word of DIR/NAME (DIR NULL: of the text NAME)?  */
static bool
has_word (const char *dir, const char *name, const char *controller)
{
  char *s = dir ? read_at (dir, name) : strdup (name);
  bool found = false;
  size_t len = strlen (controller);
  for (char *p = s; p && (p = strstr (p, controller)) != NULL; p += len)
    if ((p == s || p[-1] == ' ')
        && (p[len] == ' ' || p[len] == '\n' || p[len] == '\0'))
      found = true;
  free (s);
  return found;
}

/* A new cgroup below BASE, named as by printf: its path (newly
   allocated).  The loops of a test share BASE: their names differ.  */
static char *
make_cgroup (const char *fmt, ...) SUBPROC_PRINTF (1, 2);
static char *
make_cgroup (const char *fmt, ...)
{
  char name[256];
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (name, sizeof name, fmt, ap);
  va_end (ap);
  char *path = malloc (strlen (base) + strlen (name) + 2);
  ck_assert_ptr_nonnull (path);
  sprintf (path, "%s/%s", base, name);
  ck_assert_msg (mkdir (path, 0755) == 0, "mkdir %s: %s", path,
                 strerror (errno));
  return path;
}

/* Remove DIR and the cgroups below it, deepest first.  */
static void
remove_tree (const char *dir)
{
  DIR *d = opendir (dir);
  if (d)
    {
      struct dirent *e;
      while ((e = readdir (d)) != NULL)
        {
          if (e->d_type != DT_DIR || strcmp (e->d_name, ".") == 0
              || strcmp (e->d_name, "..") == 0)
            continue;
          char *sub = malloc (strlen (dir) + strlen (e->d_name) + 2);
          if (sub == NULL)
            continue;
          sprintf (sub, "%s/%s", dir, e->d_name);
          remove_tree (sub);
          free (sub);
        }
      closedir (d);
    }
  rmdir (dir);
}

static void
cgroup_setup (void)
{
  static unsigned int serial;
  struct statfs st;

  base = NULL;
  skip_why[0] = '\0';
  find_mount ();
  if (mount_dir[0] == '\0' || statfs (mount_dir, &st) < 0
      || st.f_type != CGROUP2_MAGIC)
    {
      snprintf (skip_why, sizeof skip_why, "no cgroup2 file system mounted");
      return;
    }
  char path[4200];
  snprintf (path, sizeof path, "%s/subproc-test-%ld-%u", mount_dir,
            (long) getpid (), serial++);
  if (mkdir (path, 0755) < 0)
    {
      snprintf (skip_why, sizeof skip_why, "cannot make a cgroup in %s: %s",
                mount_dir, strerror (errno));
      return;
    }
  base = strdup (path);
  root_control = read_at (mount_dir, "cgroup.subtree_control");
}

static void
cgroup_teardown (void)
{
  if (base)
    remove_tree (base);
  free (base);
  base = NULL;
  char *now = root_control ? read_at (mount_dir, "cgroup.subtree_control")
                           : NULL;
  char word[64];
  int used;
  for (const char *p = now; p && sscanf (p, "%63s%n", word, &used) == 1;
       p += used)
    if (!has_word (NULL, root_control, word))
      {
        char off[80];
        snprintf (off, sizeof off, "-%s", word);
        /* Another cgroup may use it by now: then it stays.  */
        write_at (mount_dir, "cgroup.subtree_control", off);
      }
  free (now);
  free (root_control);
  root_control = NULL;
}

static bool
skip_without_cgroups (void)
{
  if (base)
    return false;
  fprintf (stderr, "skipped: %s\n", skip_why);
  return true;
}

/* Enable CONTROLLER for the cgroups below BASE (in BASE's parent, the
   mount's root, too if needed).  False, saying why, if it cannot be.  */
static bool
enable_below_base (const char *controller)
{
  char plus[80];
  snprintf (plus, sizeof plus, "+%s", controller);
  if (!has_word (base, "cgroup.controllers", controller))
    {
      /* Our base is right below the mount's root (see cgroup_setup),
         which holds processes but is exempt from the rule that a cgroup
         with controllers enabled for its children holds none.  */
      if (!has_word (mount_dir, "cgroup.controllers", controller)
          || write_at (mount_dir, "cgroup.subtree_control", plus) < 0)
        {
          fprintf (stderr, "skipped: no %s controller in %s\n", controller,
                   mount_dir);
          return false;
        }
    }
  if (write_at (base, "cgroup.subtree_control", plus) < 0)
    {
      fprintf (stderr, "skipped: cannot enable %s in %s: %s\n", controller,
               base, strerror (errno));
      return false;
    }
  return true;
}

/* Loop index I: 0 clone3 where the kernel has it, 1 the fallback.  */
static void
choose_path (int i)
{
  sp_backend_test_no_clone_into_cgroup = i == 1;
}

/* The cgroup v2 line ("0::/...") of the /proc/PID/cgroup text TEXT.  */
static const char *
v2_line (const char *text)
{
  for (const char *p = text; p && *p;)
    {
      if (strncmp (p, "0::", 3) == 0)
        return p + 3;
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  ck_abort_msg ("no cgroup v2 line in '%s'", text);
  return NULL;
}

/* Does the cgroup v2 line of TEXT name the cgroup DIR?  The line gives
   the path from the root of our cgroup namespace: compare the ends.  */
static bool
names_cgroup (const char *text, const char *dir)
{
  const char *line = v2_line (text);
  size_t len = strcspn (line, "\n");
  const char *rel = dir + strlen (mount_dir);
  size_t rel_len = strlen (rel);
  return len >= rel_len && memcmp (line + len - rel_len, rel, rel_len) == 0;
}

/* The child's first instruction runs in the cgroup, and the parent
   stays where it was.  */
START_TEST (test_child_starts_inside)
{
  if (skip_without_cgroups ())
    return;
  choose_path (_i);
  char *leaf = make_cgroup ("leaf%d", _i);
  char *ours = read_at ("/proc/self", "cgroup");
  ck_assert_ptr_nonnull (ours);

  char *out = NULL;
  subproc_t *cmd = test_helper_cmd ("cgroup", NULL);
  subproc_set_cgroup (cmd, leaf);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  ck_assert_msg (names_cgroup (out, leaf), "child in '%s', not in %s", out,
                 leaf);
  char *after = read_at ("/proc/self", "cgroup");
  ck_assert_str_eq (after, ours);

  /* Again, reusing the command: a rerun goes in as well.  */
  free (out);
  out = NULL;
  test_run_ok (cmd);
  ck_assert_msg (names_cgroup (out, leaf), "rerun in '%s'", out);

  /* On the fork path (a pre-exec hook) as well.  */
  free (out);
  out = NULL;
  subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  test_run_ok (cmd);
  ck_assert_msg (names_cgroup (out, leaf), "with a hook in '%s'", out);
  subproc_free (cmd);
  free (out);
  free (after);
  free (ours);
  free (leaf);
}
END_TEST

/* Held by the handshake, before it executes, the child is in already:
   it is listed in cgroup.procs.  */
START_TEST (test_inside_before_handshake)
{
  if (skip_without_cgroups ())
    return;
  choose_path (_i);
  char *leaf = make_cgroup ("held%d", _i);
  pid_t pid = 0;
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_cgroup (cmd, leaf);
  subproc_require_handshake (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
  ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
  char *procs = read_at (leaf, "cgroup.procs");
  char want[32];
  snprintf (want, sizeof want, "%ld\n", (long) pid);
  ck_assert_msg (procs && strncmp (procs, want, strlen (want)) == 0,
                 "cgroup.procs '%s', child %ld", procs ? procs : "(none)",
                 (long) pid);
  ck_assert_int_eq (subproc_handshake_notify (cmd), 0);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);
  free (procs);
  free (leaf);
}
END_TEST

/* No descriptor of the library's (the directory, cgroup.procs,
   memory.events) reaches the program.  */
START_TEST (test_no_descriptor_leaks)
{
  if (skip_without_cgroups ())
    return;
  choose_path (_i);
  char *leaf = make_cgroup ("fds%d", _i);
  char *out = NULL;
  subproc_t *cmd = test_helper_cmd ("fds", NULL);
  subproc_set_cgroup (cmd, leaf);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  ck_assert_str_eq (out, "");
  subproc_free (cmd);
  free (out);
  free (leaf);
}
END_TEST

/* Run "exit 0" in DIR: the error, which must be at SUBPROC_STAGE_CGROUP
   with ERR and name DIR.  */
static void
assert_refused (const char *dir, int err)
{
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_cgroup (cmd, dir);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  test_assert_error (cmd, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (e->stage, SUBPROC_STAGE_CGROUP);
  ck_assert_msg (e->sys_errno == err, "errno %d (%s), not %d: %s",
                 e->sys_errno, strerror (e->sys_errno), err, e->message);
  ck_assert_msg (strstr (e->message, dir) != NULL
                   && strstr (e->message, "entering the cgroup") != NULL,
                 "message '%s'", e->message);
  subproc_free (cmd);
}

START_TEST (test_errors)
{
  if (skip_without_cgroups ())
    return;
  choose_path (_i);

  char *missing = malloc (strlen (base) + 16);
  sprintf (missing, "%s/missing", base);
  assert_refused (missing, ENOENT);
  free (missing);

  /* A file of the cgroup, not a directory.  */
  char *file = malloc (strlen (base) + 32);
  sprintf (file, "%s/cgroup.procs", base);
  assert_refused (file, ENOTDIR);
  free (file);

  /* A directory elsewhere.  */
  assert_refused ("/", EINVAL);
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_cgroup (cmd, "/");
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "not a directory of the cgroup2 file "
                                 "system"));
  subproc_free (cmd);

  /* Below a threaded cgroup, a new one is "domain invalid" until made
     threaded too: it takes no process.  */
  char *dom = make_cgroup ("dom%d", _i);
  char *thr = make_cgroup ("dom%d/thr", _i);
  if (write_at (thr, "cgroup.type", "threaded") == 0)
    {
      char *inv = make_cgroup ("dom%d/thr/invalid", _i);
      assert_refused (inv, EOPNOTSUPP);
      free (inv);
    }
  else
    fprintf (stderr, "skipped: no threaded cgroups: %s\n", strerror (errno));
  free (thr);
  free (dom);
}
END_TEST

/* The "no internal processes" rule: a cgroup with controllers enabled
   for its children cannot take one.  */
START_TEST (test_not_a_leaf)
{
  if (skip_without_cgroups ())
    return;
  choose_path (_i);
  /* Any controller will do; pids and memory are the usual ones.  */
  char *avail = read_at (mount_dir, "cgroup.controllers");
  ck_assert_ptr_nonnull (avail);
  char controller[64] = "";
  sscanf (avail, "%63s", controller);
  free (avail);
  if (controller[0] == '\0')
    {
      fprintf (stderr, "skipped: no controller in %s\n", mount_dir);
      return;
    }
  if (!enable_below_base (controller))
    return;
  char *mid = make_cgroup ("mid%d", _i);
  char *below = make_cgroup ("mid%d/below", _i);
  char plus[80];
  snprintf (plus, sizeof plus, "+%s", controller);
  ck_assert_msg (write_at (mid, "cgroup.subtree_control", plus) == 0,
                 "enabling %s in %s: %s", controller, mid, strerror (errno));
  assert_refused (mid, EBUSY);
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_cgroup (cmd, mid);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "cgroup.subtree_control"));
  /* The leaf below it takes the child.  */
  subproc_set_cgroup (cmd, below);
  test_run_ok (cmd);
  subproc_free (cmd);
  free (below);
  free (mid);
}
END_TEST

/* The cgroup's OOM killer ends a child that touches more than
   memory.max: SUBPROC_ERR_LIMIT.  */
START_TEST (test_oom_kill)
{
  if (skip_without_cgroups ())
    return;
  choose_path (0);
  if (!enable_below_base ("memory"))
    return;
  char *box = make_cgroup ("box");
  ck_assert_int_eq (write_at (box, "memory.max", "33554432"), 0);
  /* No swap to escape into, where the kernel counts it.  */
  write_at (box, "memory.swap.max", "0");

  subproc_t *cmd = test_helper_cmd ("touch-mib", "256", NULL);
  subproc_set_cgroup (cmd, box);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  test_assert_error (cmd, SUBPROC_ERR_LIMIT);
  ck_assert_msg (strstr (e->message, "33554432 bytes") != NULL
                   && strstr (e->message, box) != NULL,
                 "message '%s'", e->message);
  subproc_free (cmd);

  /* Within the limit: a plain success.  */
  cmd = test_helper_cmd ("touch-mib", "1", NULL);
  subproc_set_cgroup (cmd, box);
  test_run_ok (cmd);
  subproc_free (cmd);

  /* Killed by someone else in the same cgroup: a plain signal.  */
  cmd = test_helper_cmd ("signal", "KILL", NULL);
  subproc_set_cgroup (cmd, box);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  test_assert_error (cmd, SUBPROC_ERR_SIGNALED);
  subproc_free (cmd);
  free (box);
}
END_TEST

/* The OOM report's reading of memory.events and memory.max, with
   files of a temporary directory standing in for the cgroup's: it runs
   where no cgroup has the memory controller.  */
START_TEST (test_oom_counter)
{
  char *events = test_tmp_path ("memory.events");
  char *max = test_tmp_path ("memory.max");
  static const char text[] = "low 0\nhigh 0\nmax 7\noom 2\noom_kill 2\n"
                             "oom_group_kill 0\n";
  test_write_file (events, text, strlen (text));
  test_write_file (max, "33554432\n", 9);

  sp_proc_t proc;
  memset (&proc, 0, sizeof proc);
  proc.cgroup = true;
  proc.cg_oom_kills = 2;
  proc.cg_dir_fd = open (test_tmpdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  proc.cg_events_fd = open (events, O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge (proc.cg_dir_fd, 0);
  ck_assert_int_ge (proc.cg_events_fd, 0);
  int killed = SIGKILL; /* the wait status of a SIGKILL death */
  ck_assert (WIFSIGNALED (killed) && WTERMSIG (killed) == SIGKILL);
  uint64_t limit = 0;

  /* No OOM kill since the spawn.  */
  ck_assert_int_eq (sp_backend_limit_hit (&proc, killed, &limit), 0);

  /* One more, read again through the same descriptor.  */
  static const char more[] = "low 0\nhigh 0\nmax 9\noom 3\noom_kill 3\n"
                             "oom_group_kill 0\n";
  test_write_file (events, more, strlen (more));
  ck_assert_int_eq (sp_backend_limit_hit (&proc, killed, &limit), 1);
  ck_assert_uint_eq (limit, 33554432);

  /* Not a SIGKILL death, or an exit: not the OOM killer.  */
  ck_assert_int_eq (sp_backend_limit_hit (&proc, SIGTERM, &limit), 0);
  ck_assert_int_eq (sp_backend_limit_hit (&proc, 0, &limit), 0);

  /* No limit set: "max".  */
  test_write_file (max, "max\n", 4);
  limit = 0;
  ck_assert_int_eq (sp_backend_limit_hit (&proc, killed, &limit), 1);
  ck_assert_uint_eq (limit, UINT64_MAX);

  /* A cgroup without the counter: nothing to say.  */
  test_write_file (events, "low 0\n", 6);
  ck_assert_int_eq (sp_backend_limit_hit (&proc, killed, &limit), 0);
  sp_posix_cgroup_release (&proc);
  ck_assert (!proc.cgroup);
  free (events);
  free (max);
}
END_TEST

/* subproc_exec: the calling process moves in, then becomes the
   program.  */
START_TEST (test_exec)
{
  if (skip_without_cgroups ())
    return;
  choose_path (0);
  char *leaf = make_cgroup ("exec");
  int fds[2];
  ck_assert_int_eq (pipe (fds), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      int out_fd = 1;
      dup2 (fds[1], 1);
      subproc_t *cmd = test_helper_cmd ("cgroup", NULL);
      subproc_set_cgroup (cmd, leaf);
      subproc_set_output_fd (cmd, &out_fd);
      subproc_exec (cmd);
      _exit (99);
    }
  close (fds[1]);
  char *out = test_read_fd (fds[0]);
  close (fds[0]);
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                 "status %d, output '%s'", status, out);
  ck_assert_msg (names_cgroup (out, leaf), "exec in '%s'", out);
  free (out);
  free (leaf);
}
END_TEST

/* With a loop over the two ways in, and the fixture that makes and
   removes the cgroups.  */
static void
add_case (Suite *s, const char *name, const TTest *test, int loops)
{
  TCase *tc = tcase_create (name);
  TEST_ACCOUNTING (tc);
  tcase_add_unchecked_fixture (tc, cgroup_setup, cgroup_teardown);
  tcase_add_loop_test (tc, test, 0, loops);
  suite_add_tcase (s, tc);
}

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("cgroup");
  TEST_CASE (s, builder_errors);
  add_case (s, "child_starts_inside", test_child_starts_inside, 2);
  add_case (s, "inside_before_handshake", test_inside_before_handshake, 2);
  add_case (s, "no_descriptor_leaks", test_no_descriptor_leaks, 2);
  add_case (s, "errors", test_errors, 2);
  add_case (s, "not_a_leaf", test_not_a_leaf, 2);
  add_case (s, "oom_kill", test_oom_kill, 1);
  TEST_CASE_WITH_TMPDIR (s, oom_counter);
  add_case (s, "exec", test_exec, 1);
  return s;
}

#endif /* SP_POSIX_HAVE_CGROUP */

MAIN_SUITE (make_suite)
