/* privs.c: what the child inherits and what it is made to drop, POSIX:
 * umask, resource limits, signal state, user and group ids, and Linux
 * capabilities (the last two as root only).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loop 0 of each test takes the fast path, loop 1 the fork path (a
 * pre-exec hook that does nothing).
 */

#include <config.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#ifdef __linux__
# include <stdint.h>
# include <sys/prctl.h>
# include <sys/syscall.h>
# ifndef PR_GET_SECUREBITS
#  define PR_GET_SECUREBITS 27
# endif
# ifndef PR_GET_NO_NEW_PRIVS
#  define PR_GET_NO_NEW_PRIVS 39
# endif
#endif
#include <unistd.h>

#include "common.h"
#include "subproc.h"

/* The Linux process controls the library was built with (configure's
   SP_POSIX_HAVE_PRCTL): capabilities, secure bits, no_new_privs and the
   parent-death signal.  A build without them (--disable-linux-specific)
   behaves as on the other systems, even on Linux.  */
#if defined __linux__ && defined SP_POSIX_HAVE_PRCTL
# define LINUX_CONTROLS 1
#endif

/* Linux capability numbers, for subproc_allow_cap.  */
#define CAP_CHOWN 0
#define CAP_SETPCAP 8
#define CAP_NET_BIND_SERVICE 10

/* What subproc_clear_caps sets and locks: SECBIT_NOROOT,
   SECBIT_NOROOT_LOCKED, SECBIT_NO_SETUID_FIXUP and its lock
   (<linux/securebits.h>).  */
#define SECBITS_LOCKED 0x0f

/* Run CMD, free it, and return its output.  */
static char *
output_of (subproc_t *cmd)
{
  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  ck_assert_msg (subproc_run (cmd, NULL) == 0, "%s",
                 subproc_get_error (cmd)->message);
  subproc_free (cmd);
  return out;
}

/* The value of "NAME=" in OUT, as a new string.  */
static char *
field (const char *out, const char *name)
{
  size_t len = strlen (name);
  for (const char *p = out; p && *p;)
    {
      if (strncmp (p, name, len) == 0 && p[len] == '=')
        {
          const char *v = p + len + 1;
          return strndup (v, strcspn (v, "\n"));
        }
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  ck_abort_msg ("no %s in '%s'", name, out);
  return NULL;
}

/* A capability line of /proc/self/status as the helper printed it.  */
static unsigned long long
cap_field (const char *out, const char *name)
{
  const char *p = strstr (out, name);
  ck_assert_msg (p != NULL, "no %s in '%s'", name, out);
  return strtoull (p + strlen (name) + 2, NULL, 16);
}

static bool
skip_unless_root (void)
{
  if (geteuid () == 0)
    return false;
  fprintf (stderr, "skipped: needs root\n");
  return true;
}

/* ------------------------------------------------------------------ */

START_TEST (test_umask)
{
  subproc_t *cmd = test_helper_on (_i, "umask", NULL);
  subproc_set_umask (cmd, 027);
  char *out = output_of (cmd);
  ck_assert_str_eq (out, "0027\n");
  free (out);

  cmd = test_helper_on (_i, "umask", NULL);
  subproc_set_umask (cmd, 0);
  out = output_of (cmd);
  ck_assert_str_eq (out, "0000\n");
  free (out);

  /* Inherited otherwise.  */
  mode_t old = umask (0063);
  out = output_of (test_helper_on (_i, "umask", NULL));
  umask (old);
  ck_assert_str_eq (out, "0063\n");
  free (out);
}
END_TEST

START_TEST (test_rlimits)
{
  if (test_skip_under_valgrind ("valgrind refuses RLIMIT_NOFILE changes"))
    return;
  subproc_t *cmd = test_helper_on (_i, "rlimits", NULL);
  subproc_set_max_files (cmd, 100);
  subproc_set_max_core_size (cmd, 0);
  subproc_set_max_memlock (cmd, 64 * 1024);
  subproc_set_max_processes (cmd, 5000);
  char *out = output_of (cmd);
  char *v;
  ck_assert_str_eq (v = field (out, "nofile"), "100");
  free (v);
  ck_assert_str_eq (v = field (out, "core"), "0");
  free (v);
  ck_assert_str_eq (v = field (out, "memlock"), "65536");
  free (v);
  ck_assert_str_eq (v = field (out, "nproc"), "5000");
  free (v);
  free (out);

  /* Too many descriptors for the limits of an unprivileged parent.  */
  if (geteuid () != 0)
    {
      struct rlimit rl;
      ck_assert_int_eq (getrlimit (RLIMIT_NOFILE, &rl), 0);
      if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 0x7fffffff)
        {
          cmd = test_helper_on (_i, "rlimits", NULL);
          subproc_set_max_files (cmd, (unsigned int) rl.rlim_max + 1);
          ck_assert_int_eq (subproc_run (cmd, NULL), -1);
          ck_assert_int_eq (subproc_get_error (cmd)->code,
                            SUBPROC_ERR_SPAWN);
          subproc_free (cmd);
        }
    }
}
END_TEST

static void
on_usr2 (int sig)
{
  (void) sig;
}

/* The child starts with every signal at its default and none blocked,
   whatever the parent had.  */
START_TEST (test_signals_reset)
{
  sigset_t block, old;
  sigemptyset (&block);
  sigaddset (&block, SIGINT);
  sigaddset (&block, SIGCHLD);
  ck_assert_int_eq (sigprocmask (SIG_BLOCK, &block, &old), 0);
  signal (SIGUSR1, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  signal (SIGUSR2, on_usr2);
  char *out = output_of (test_helper_on (_i, "sigs", NULL));
  signal (SIGUSR1, SIG_DFL);
  signal (SIGHUP, SIG_DFL);
  signal (SIGUSR2, SIG_DFL);
  sigprocmask (SIG_SETMASK, &old, NULL);
  ck_assert_str_eq (out, "blocked=0\nignored=\nhandled=\n");
  free (out);
}
END_TEST

/* GID, in decimal, is every group id of OUT (real, effective, saved).  */
static void
assert_gids (const char *out, const char *gid)
{
  char *v;
  ck_assert_str_eq (v = field (out, "gid"), gid);
  free (v);
  ck_assert_str_eq (v = field (out, "egid"), gid);
  free (v);
#ifdef __linux__
  ck_assert_str_eq (v = field (out, "sgid"), gid);
  free (v);
#endif
}

START_TEST (test_ids)
{
  if (skip_unless_root ())
    return;
  subproc_t *cmd = test_helper_on (_i, "ids", NULL);
  subproc_set_uid (cmd, 65534);
  subproc_set_gid (cmd, 65534);
  char *out = output_of (cmd);
  char *v;
  ck_assert_str_eq (v = field (out, "uid"), "65534");
  free (v);
  ck_assert_str_eq (v = field (out, "euid"), "65534");
  free (v);
  ck_assert_str_eq (v = field (out, "gid"), "65534");
  free (v);
  ck_assert_str_eq (v = field (out, "egid"), "65534");
  free (v);
  /* The user's groups, not root's.  */
  v = field (out, "groups");
  ck_assert_msg (strcmp (v, "") == 0 || strcmp (v, "65534") == 0,
                 "groups: %s", v);
  free (v);
  free (out);

  /* A gid alone keeps the uid, and replaces root's groups (given a few
     here, so that they would show) with that group alone.  */
  int n_saved = getgroups (0, NULL);
  ck_assert_int_ge (n_saved, 0);
  gid_t *saved = calloc ((size_t) n_saved + 1, sizeof *saved);
  ck_assert_ptr_nonnull (saved);
  ck_assert_int_eq (getgroups (n_saved, saved), n_saved);
  gid_t mine[2] = { 4242, 4343 };
  ck_assert_int_eq (setgroups (2, mine), 0);
  cmd = test_helper_on (_i, "ids", NULL);
  subproc_set_gid (cmd, 12345);
  out = output_of (cmd);
  ck_assert_int_eq (setgroups ((size_t) n_saved, saved), 0);
  free (saved);
  ck_assert_str_eq (v = field (out, "uid"), "0");
  free (v);
  assert_gids (out, "12345");
  ck_assert_str_eq (v = field (out, "groups"), "12345");
  free (v);
  free (out);

}
END_TEST

/* As root, with a user 65534 whose primary group is not 0: true, and
   that group in GID (decimal).  Else say why the test is skipped.  */
static bool
root_and_user_65534 (char gid[32])
{
  if (skip_unless_root ())
    return false;
  struct passwd *pw = getpwuid (65534);
  if (pw == NULL || pw->pw_gid == 0)
    {
      fprintf (stderr, "skipped: no user 65534 with a group of its own\n");
      return false;
    }
  snprintf (gid, 32, "%ld", (long) pw->pw_gid);
  return true;
}

/* A user id alone: the user's primary group and groups from the user
   database, never root's group.  */
START_TEST (test_uid_alone)
{
  char gid[32];
  if (!root_and_user_65534 (gid))
    return;

  subproc_t *cmd = test_helper_on (_i, "ids", NULL);
  subproc_set_uid (cmd, 65534);
  char *out = output_of (cmd);
  char *v;
  ck_assert_str_eq (v = field (out, "uid"), "65534");
  free (v);
  assert_gids (out, gid);
  /* The user's groups, not root's.  */
  v = field (out, "groups");
  char *list = NULL;
  ck_assert_int_ge (asprintf (&list, ",%s,", v), 0);
  ck_assert_msg (strstr (list, ",0,") == NULL, "groups: %s", v);
  char *want = NULL;
  ck_assert_int_ge (asprintf (&want, ",%s,", gid), 0);
  ck_assert_msg (strstr (list, want) != NULL, "groups: %s", v);
  free (want);
  free (list);
  free (v);
  free (out);

  /* With a group id too, that group replaces the user's.  */
  cmd = test_helper_on (_i, "ids", NULL);
  subproc_set_uid (cmd, 65534);
  subproc_set_gid (cmd, 23456);
  out = output_of (cmd);
  assert_gids (out, "23456");
  free (out);
}
END_TEST

#ifdef LINUX_CONTROLS
/* What a process that is not root but may change its user and group ids
   (CAP_SETUID and CAP_SETGID kept across leaving uid 0) gives a child
   with a user id alone: the user's groups from the user database too,
   not its own.  Runs in a process of its own; 0 as expected, 77 when
   such a process cannot be made here, 1 otherwise (said on stderr).  */
enum { CAPS_OK, CAPS_WRONG, CAPS_SKIP = 77 };

/* capset's arguments, as the kernel defines them; not every C library's
   headers bring <linux/capability.h> (musl's do not).  */
#define TEST_CAP_VERSION_3 0x20080522
struct test_cap_header
{
  uint32_t version;
  int pid;
};
struct test_cap_data
{
  uint32_t effective;
  uint32_t permitted;
  uint32_t inheritable;
};

static int
uid_alone_with_caps (int path, const char *gid)
{
  gid_t mine = 4242;
  struct test_cap_header hdr;
  struct test_cap_data data[2];

  if (setgroups (1, &mine) < 0 || prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0
      || setresuid (4321, 4321, 4321) < 0)
    return CAPS_SKIP;
  memset (&hdr, 0, sizeof hdr);
  memset (data, 0, sizeof data);
  hdr.version = TEST_CAP_VERSION_3;
  data[0].effective = data[0].permitted
    = (1U << 6) | (1U << 7); /* CAP_SETGID, CAP_SETUID */
  if (syscall (SYS_capset, &hdr, data) < 0 || geteuid () != 4321)
    return CAPS_SKIP;

  subproc_t *cmd = test_helper_on (path, "ids", NULL);
  subproc_set_uid (cmd, 65534);
  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  if (subproc_run (cmd, NULL) < 0)
    {
      fprintf (stderr, "%s\n", subproc_get_error (cmd)->message);
      subproc_free (cmd);
      return CAPS_WRONG;
    }
  subproc_free (cmd);
  char *uid = field (out, "uid"), *g = field (out, "gid"),
       *eg = field (out, "egid"), *groups = field (out, "groups");
  char *list = NULL, *want = NULL;
  if (asprintf (&list, ",%s,", groups) < 0
      || asprintf (&want, ",%s,", gid) < 0)
    abort ();
  int rc = strcmp (uid, "65534") == 0 && strcmp (g, gid) == 0
               && strcmp (eg, gid) == 0 && strstr (list, want) != NULL
               && strstr (list, ",4242,") == NULL
               && strstr (list, ",0,") == NULL
             ? CAPS_OK
             : CAPS_WRONG;
  if (rc != CAPS_OK)
    fprintf (stderr, "a child of euid 4321 with CAP_SETGID, set_uid 65534 "
             "alone (group %s): %s", gid, out);
  free (list);
  free (want);
  free (uid);
  free (g);
  free (eg);
  free (groups);
  free (out);
  return rc;
}

/* Whether the library may change the child's groups depends on the
   capability, not on the effective user id being 0.  */
START_TEST (test_uid_alone_with_caps)
{
  char gid[32];
  if (!root_and_user_65534 (gid))
    return;

  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    _exit (uid_alone_with_caps (_i, gid));
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  if (WEXITSTATUS (status) == CAPS_SKIP)
    {
      fprintf (stderr, "skipped: cannot keep CAP_SETGID without uid 0\n");
      return;
    }
  ck_assert_msg (WEXITSTATUS (status) == CAPS_OK,
                 "the child did not get user 65534's groups (see above)");
}
END_TEST
#endif

/* A user id without an entry in the user database: its group is
   unknown, so a user id alone is refused, with a group id it runs.  */
START_TEST (test_uid_without_entry)
{
  if (skip_unless_root ())
    return;
  if (getpwuid (54321) != NULL)
    {
      fprintf (stderr, "skipped: user 54321 exists\n");
      return;
    }
  subproc_t *cmd = test_helper_on (_i, "ids", NULL);
  subproc_set_uid (cmd, 54321);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *err = subproc_get_error (cmd);
  ck_assert_int_eq (err->code, SUBPROC_ERR_INVALID);
  ck_assert_int_eq (err->sys_errno, ENOENT);
  ck_assert_msg (strstr (err->message, "user id 54321") != NULL, "%s",
                 err->message);
  subproc_free (cmd);

  cmd = test_helper_on (_i, "ids", NULL);
  subproc_set_uid (cmd, 54321);
  subproc_set_gid (cmd, 54322);
  char *out = output_of (cmd);
  char *v;
  ck_assert_str_eq (v = field (out, "uid"), "54321");
  free (v);
  assert_gids (out, "54322");
  ck_assert_str_eq (v = field (out, "groups"), "54322");
  free (v);
  free (out);
}
END_TEST

START_TEST (test_caps)
{
#ifndef LINUX_CONTROLS
  /* Elsewhere clear_caps has no effect (there is nothing to check).  */
  fprintf (stderr, "skipped: capabilities are Linux's\n");
  return;
#endif
  if (skip_unless_root ())
    return;
  char *out = output_of (test_helper_on (_i, "caps", NULL));
  if (cap_field (out, "CapEff") == 0)
    {
      fprintf (stderr, "skipped: root without capabilities\n");
      free (out);
      return;
    }
  free (out);

  /* Root, everything dropped: nothing comes back at exec.  */
  subproc_t *cmd = test_helper_on (_i, "caps", NULL);
  subproc_clear_caps (cmd);
  out = output_of (cmd);
  ck_assert_uint_eq (cap_field (out, "CapEff"), 0);
  ck_assert_uint_eq (cap_field (out, "CapPrm"), 0);
  ck_assert_uint_eq (cap_field (out, "CapInh"), 0);
  ck_assert_uint_eq (cap_field (out, "CapBnd"), 0);
  free (out);

  /* Root, one kept.  */
  cmd = test_helper_on (_i, "caps", NULL);
  subproc_clear_caps (cmd);
  subproc_allow_cap (cmd, CAP_NET_BIND_SERVICE);
  out = output_of (cmd);
  ck_assert_uint_eq (cap_field (out, "CapEff"), 1ULL << CAP_NET_BIND_SERVICE);
  ck_assert_uint_eq (cap_field (out, "CapPrm"), 1ULL << CAP_NET_BIND_SERVICE);
  ck_assert_uint_eq (cap_field (out, "CapBnd"), 1ULL << CAP_NET_BIND_SERVICE);
  free (out);

  /* Another user, two kept: they survive setuid and exec.  */
  cmd = test_helper_on (_i, "caps", NULL);
  subproc_set_uid (cmd, 65534);
  subproc_set_gid (cmd, 65534);
  subproc_clear_caps (cmd);
  subproc_allow_cap (cmd, CAP_NET_BIND_SERVICE);
  subproc_allow_cap (cmd, CAP_CHOWN);
  out = output_of (cmd);
  unsigned long long want
    = (1ULL << CAP_NET_BIND_SERVICE) | (1ULL << CAP_CHOWN);
  ck_assert_uint_eq (cap_field (out, "CapEff"), want);
  ck_assert_uint_eq (cap_field (out, "CapPrm"), want);
  ck_assert_uint_eq (cap_field (out, "CapAmb"), want);
  free (out);

  /* Another user without clear_caps: the kernel drops everything.  */
  cmd = test_helper_on (_i, "caps", NULL);
  subproc_set_uid (cmd, 65534);
  out = output_of (cmd);
  ck_assert_uint_eq (cap_field (out, "CapEff"), 0);
  ck_assert_uint_eq (cap_field (out, "CapPrm"), 0);
  free (out);
}
END_TEST

/* Start sleep-forever with kill_on_parent_exit, as user 65534 (AS_UID)
   and group 65534 (AS_GID), from a process of its own on spawn path PATH
   that then exits; the child's pid.  */
static long
orphan_as (int path, bool as_uid, bool as_gid)
{
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  pid_t mid = fork ();
  ck_assert_int_ge (mid, 0);
  if (mid == 0)
    {
      close (p[0]);
      pid_t pid = 0;
      subproc_t *cmd = test_helper_on (path, "sleep-forever", NULL);
      subproc_kill_on_parent_exit (cmd);
      if (as_uid)
        subproc_set_uid (cmd, 65534);
      if (as_gid)
        subproc_set_gid (cmd, 65534);
      if (subproc_run_async (cmd, &pid) < 0)
        _exit (1);
      /* With the pid taken, free hands the child over.  */
      subproc_free (cmd);
      char buf[32];
      int n = snprintf (buf, sizeof buf, "%ld\n", (long) pid);
      _exit (write (p[1], buf, (size_t) n) == n ? 0 : 1);
    }
  test_close (p[1]);
  char line[32];
  size_t n = 0;
  for (ssize_t r; n + 1 < sizeof line; n += (size_t) r)
    if ((r = read (p[0], line + n, sizeof line - 1 - n)) <= 0)
      break;
  line[n] = '\0';
  test_close (p[0]);
  int status;
  ck_assert_int_eq (waitpid (mid, &status, 0), mid);
  ck_assert_msg (WIFEXITED (status) && WEXITSTATUS (status) == 0,
                 "the intermediate failed: %#x", (unsigned int) status);
  return strtol (line, NULL, 10);
}

/* The kernel clears the parent-death signal when the credentials
   change: it must be set after the identity change.  */
START_TEST (test_kill_on_parent_exit_with_identity)
{
#ifndef LINUX_CONTROLS
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_kill_on_parent_exit (cmd);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_UNSUPPORTED);
  subproc_free (cmd);
  return;
#endif
  if (skip_unless_root ())
    return;
  for (int k = 0; k < 3; k++)
    {
      long pid = orphan_as (_i, k != 1, k != 0);
      bool ended = test_pid_ends_within (pid, 10000);
      if (!ended)
        test_kill_pid (pid);
      ck_assert_msg (ended, "child %ld (%s) outlived its parent", pid,
                     k == 0 ? "uid" : k == 1 ? "gid" : "uid and gid");
    }
}
END_TEST

/* clear_caps also sets and locks the secure bits that keep user id 0
   from gaining capabilities at exec, and the child cannot undo them.  */
START_TEST (test_secure_bits)
{
#ifdef LINUX_CONTROLS
  if (skip_unless_root ())
    return;
  int parent_bits = prctl (PR_GET_SECUREBITS, 0, 0, 0, 0);
  char *out = output_of (test_helper_on (_i, "caps", NULL));
  bool has_caps = cap_field (out, "CapEff") != 0;
  /* Without clear_caps, they stay as they were.  */
  ck_assert_uint_eq (cap_field (out, "Securebits"),
                     (unsigned long long) parent_bits);
  free (out);
  if (!has_caps || parent_bits != 0)
    {
      fprintf (stderr, "skipped: root without capabilities, or with "
                       "secure bits of its own\n");
      return;
    }

  /* A root child: set and locked, and nothing comes back, not even
     when it executes a program again.  */
  subproc_t *cmd = test_helper_on (_i, "reexec", "caps", NULL);
  subproc_clear_caps (cmd);
  out = output_of (cmd);
  ck_assert_uint_eq (cap_field (out, "Securebits"), SECBITS_LOCKED);
  ck_assert_uint_eq (cap_field (out, "CapEff"), 0);
  ck_assert_uint_eq (cap_field (out, "CapPrm"), 0);
  ck_assert_uint_eq (cap_field (out, "CapInh"), 0);
  ck_assert_uint_eq (cap_field (out, "CapBnd"), 0);
  ck_assert_uint_eq (cap_field (out, "CapAmb"), 0);
  free (out);

  /* A root child allowed CAP_SETPCAP keeps it across exec (through the
     ambient set: root is an ordinary user now), and still cannot clear
     the bits.  */
  cmd = test_helper_on (_i, "reexec", "caps", NULL);
  subproc_clear_caps (cmd);
  subproc_allow_cap (cmd, CAP_SETPCAP);
  out = output_of (cmd);
  ck_assert_uint_eq (cap_field (out, "Securebits"), SECBITS_LOCKED);
  ck_assert_uint_eq (cap_field (out, "CapEff"), 1ULL << CAP_SETPCAP);
  ck_assert_uint_eq (cap_field (out, "CapPrm"), 1ULL << CAP_SETPCAP);
  ck_assert_uint_eq (cap_field (out, "CapAmb"), 1ULL << CAP_SETPCAP);
  free (out);
  cmd = test_helper_on (_i, "clear-securebits", NULL);
  subproc_clear_caps (cmd);
  subproc_allow_cap (cmd, CAP_SETPCAP);
  out = output_of (cmd);
  ck_assert_msg (strncmp (out, "refused", 7) == 0, "%s", out);
  free (out);

  /* Another user: the same bits.  */
  cmd = test_helper_on (_i, "caps", NULL);
  subproc_set_uid (cmd, 65534);
  subproc_set_gid (cmd, 65534);
  subproc_clear_caps (cmd);
  out = output_of (cmd);
  ck_assert_uint_eq (cap_field (out, "Securebits"), SECBITS_LOCKED);
  ck_assert_uint_eq (cap_field (out, "CapEff"), 0);
  ck_assert_uint_eq (cap_field (out, "CapPrm"), 0);
  free (out);
#else
  fprintf (stderr, "skipped: secure bits are Linux's\n");
#endif
}
END_TEST

#ifdef LINUX_CONTROLS
/* A copy of the helper in the test's directory, owned by user and group
   65534, set-user-ID and set-group-ID; its path (free it).  */
static char *
setuid_helper (void)
{
  size_t len;
  char *image = test_read_file (test_helper (), &len);
  char *path = test_tmp_path ("setuid-helper");
  test_write_file (path, image, len);
  free (image);
  ck_assert_int_eq (chown (path, 65534, 65534), 0);
  ck_assert_int_eq (chmod (path, 06755), 0);
  return path;
}

/* The euid= that the helper at PATH reports (path PATH_I: 0 fast, 1
   fork), with no_new_privs if NNP, clear_caps if CLEAR.  */
static char *
euid_of (const char *path, int path_i, bool nnp, bool clear)
{
  subproc_t *cmd = subproc_new_arg_list (path, "ids", NULL);
  if (path_i)
    subproc_set_pre_exec_hook (cmd, test_noop_hook, NULL);
  if (nnp)
    subproc_no_new_privs (cmd);
  if (clear)
    subproc_clear_caps (cmd);
  char *out = output_of (cmd);
  char *v = field (out, "euid");
  free (out);
  return v;
}
#endif

START_TEST (test_no_new_privs)
{
#ifdef LINUX_CONTROLS
  bool parent_has = prctl (PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;

  subproc_t *cmd = test_helper_on (_i, "caps", NULL);
  subproc_no_new_privs (cmd);
  char *out = output_of (cmd);
  ck_assert_uint_eq (cap_field (out, "NoNewPrivs"), 1);
  free (out);
  /* An opt-in: neither a plain run nor clear_caps sets it.  */
  for (int k = 0; k < 2 && !parent_has; k++)
    {
      cmd = test_helper_on (_i, "caps", NULL);
      if (k)
        subproc_clear_caps (cmd);
      out = output_of (cmd);
      ck_assert_uint_eq (cap_field (out, "NoNewPrivs"), 0);
      free (out);
    }
  if (geteuid () != 0)
    return;

  /* With another identity too.  */
  cmd = test_helper_on (_i, "caps", NULL);
  subproc_set_uid (cmd, 65534);
  subproc_set_gid (cmd, 65534);
  subproc_no_new_privs (cmd);
  out = output_of (cmd);
  ck_assert_uint_eq (cap_field (out, "NoNewPrivs"), 1);
  free (out);

  /* What it is for: a set-user-ID program does not change the user id.
     clear_caps does not stop that.  */
  char *path = setuid_helper ();
  char *v = euid_of (path, _i, false, false);
  if (parent_has || strcmp (v, "65534") != 0)
    {
      fprintf (stderr, "skipped: no set-user-ID programs here (euid %s)\n",
               v);
      free (v);
      free (path);
      return;
    }
  free (v);
  ck_assert_str_eq (v = euid_of (path, _i, false, true), "65534");
  free (v);
  ck_assert_str_eq (v = euid_of (path, _i, true, false), "0");
  free (v);
  free (path);
#else
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_no_new_privs (cmd);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->code, SUBPROC_ERR_UNSUPPORTED);
  ck_assert_ptr_nonnull (strstr (subproc_get_error (cmd)->message,
                                 "no_new_privs"));
  subproc_free (cmd);
#endif
}
END_TEST

/* No spawn changes the caller's dumpable flag: a child sharing our
   memory that changed its ids would have made us not dumpable.  */
START_TEST (test_dumpable)
{
#ifdef LINUX_CONTROLS
  ck_assert_int_eq (prctl (PR_SET_DUMPABLE, 1, 0, 0, 0), 0);
  static const char *const what[]
    = { "clear_caps", "no_new_privs", "uid", "gid",
        "uid, gid, clear_caps and no_new_privs" };
  for (int k = 0; k < 5; k++)
    {
      if (k > 1 && geteuid () != 0)
        {
          fprintf (stderr, "skipped: ids need root\n");
          break;
        }
      subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
      if (k == 2 || k == 4)
        subproc_set_uid (cmd, 65534);
      if (k == 3 || k == 4)
        subproc_set_gid (cmd, 65534);
      if (k == 0 || k == 4)
        subproc_clear_caps (cmd);
      if (k == 1 || k == 4)
        subproc_no_new_privs (cmd);
      test_run_ok (cmd);
      subproc_free (cmd);
      ck_assert_msg (prctl (PR_GET_DUMPABLE, 0, 0, 0, 0) == 1,
                     "not dumpable after a spawn with %s", what[k]);
    }
#else
  fprintf (stderr, "skipped: PR_GET_DUMPABLE is Linux's\n");
#endif
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("privs");
  BOTH_PATHS (s, umask);
  BOTH_PATHS (s, rlimits);
  BOTH_PATHS (s, signals_reset);
  BOTH_PATHS (s, ids);
  BOTH_PATHS (s, uid_alone);
  BOTH_PATHS (s, uid_without_entry);
#ifdef LINUX_CONTROLS
  BOTH_PATHS (s, uid_alone_with_caps);
#endif
  BOTH_PATHS (s, caps);
  BOTH_PATHS (s, kill_on_parent_exit_with_identity);
  BOTH_PATHS (s, dumpable);
  BOTH_PATHS (s, secure_bits);
  BOTH_PATHS (s, no_new_privs);
  return s;
}

MAIN_SUITE (make_suite)
