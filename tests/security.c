/* security.c: tests of the security label, the AppArmor profile and core
 * scheduling of the child.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A real SELinux or AppArmor transition needs a system where the module
 * is active and a policy that allows it.  Where neither is active, the
 * tests check that a run says so, and point the backend at a fake tree
 * (sp_backend_test_attr_dir): files that stand for /proc/thread-self/
 * attr/... and the /sys files that say whether a module is active, so
 * that they can read back exactly the bytes the child wrote, on both
 * spawn paths, and when it wrote them.
 */

#include <config.h>

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "backend.h"
#include "common.h"

#if defined __linux__ && defined SP_POSIX_HAVE_PRCTL
# define LINUX_CONTROLS 1
# include <fcntl.h>
# include <sys/prctl.h>
# ifndef PR_SCHED_CORE
#  define PR_SCHED_CORE 62
# endif
# ifndef PR_SCHED_CORE_GET
#  define PR_SCHED_CORE_GET 0
# endif
#endif

static const char label[] = "system_u:system_r:svirt_t:s0:c1,c2";
static const char profile[] = "libvirt-0f3c9e2a-5d1b-4c7e-9a8f-1b2c3d4e5f60";

/* A builder error for what CALL sets on a fresh command.  */
#define ASSERT_INVALID(call)                                                \
  do                                                                        \
    {                                                                       \
      subproc_t *cmd_ = test_helper_cmd ("exit", "0", NULL);                \
      call;                                                                 \
      ck_assert_int_eq (subproc_run (cmd_, NULL), -1);                      \
      ck_assert_int_eq (subproc_get_error (cmd_)->code,                     \
                        SUBPROC_ERR_INVALID);                               \
      subproc_free (cmd_);                                                  \
    }                                                                       \
  while (0)

/* Bad labels and pids are refused at the builder call, on every
   platform.  */
START_TEST (test_invalid)
{
  char big[SP_ATTR_MAX + 2];

  ASSERT_INVALID (subproc_set_selinux_label (cmd_, NULL));
  ASSERT_INVALID (subproc_set_selinux_label (cmd_, ""));
  ASSERT_INVALID (subproc_set_selinux_label (cmd_, "a:b:c:s0\n"));
  ASSERT_INVALID (subproc_set_selinux_label (cmd_, "\na:b:c:s0"));
  ASSERT_INVALID (subproc_set_selinux_label (cmd_, "a:b\tc"));
  ASSERT_INVALID (subproc_set_apparmor_profile (cmd_, NULL));
  ASSERT_INVALID (subproc_set_apparmor_profile (cmd_, ""));
  ASSERT_INVALID (subproc_set_apparmor_profile (cmd_, "p\nq"));
  ASSERT_INVALID (subproc_set_apparmor_profile (cmd_, " p"));
  ASSERT_INVALID (subproc_set_apparmor_profile (cmd_, "p "));
  ASSERT_INVALID (subproc_set_apparmor_profile (cmd_, "p\x7f"));
  ASSERT_INVALID (subproc_set_run_among (cmd_, 0));
  ASSERT_INVALID (subproc_set_run_among (cmd_, -5));

  /* A page at most in the kernel's write: the label and its NUL, or
     "exec " and the profile.  */
  memset (big, 'a', sizeof big);
  big[SP_ATTR_MAX] = '\0';
  ASSERT_INVALID (subproc_set_selinux_label (cmd_, big));
  big[SP_ATTR_MAX - 4] = '\0';
  ASSERT_INVALID (subproc_set_apparmor_profile (cmd_, big));

  /* The longest that fit are taken: the run fails only later, for
     another reason (no module here, or another platform).  */
  big[SP_ATTR_MAX - 5] = '\0';
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_apparmor_profile (cmd, big);
  ck_assert_ptr_null (subproc_get_error (cmd));
  big[SP_ATTR_MAX - 5] = 'a';
  big[SP_ATTR_MAX - 4] = 'a';
  big[SP_ATTR_MAX - 1] = '\0';
  subproc_set_selinux_label (cmd, big);
  ck_assert_ptr_null (subproc_get_error (cmd));
  subproc_free (cmd);
}
END_TEST

#ifdef LINUX_CONTROLS
/* ------------------------------------------------------------------ */
/* The fake tree.  */

enum
{
  TREE_SELINUX = 1 << 0,      /* sys/fs/selinux: SELinux active */
  TREE_APPARMOR = 1 << 1,     /* apparmor's enabled parameter says Y */
  TREE_APPARMOR_NO = 1 << 2,  /* ... says N */
  TREE_LSM = 1 << 3,          /* sys/kernel/security/lsm lists apparmor */
  TREE_LSM_OTHER = 1 << 4,    /* ... lists other modules only */
  TREE_NEW_AA = 1 << 5,       /* attr/apparmor/exec exists */
  TREE_NO_THREAD_SELF = 1 << 6 /* no proc/thread-self (before 3.17) */
};

/* The root of the fake tree: test_tmpdir/ROW (see make_tree).  */
static char tree_root[512];

/* TREE_ROOT/REL, newly allocated.  */
static char *
tree_path (const char *rel)
{
  size_t n = strlen (tree_root), m = strlen (rel);
  char *p = malloc (n + m + 2);
  ck_assert_ptr_nonnull (p);
  memcpy (p, tree_root, n);
  p[n] = '/';
  memcpy (p + n + 1, rel, m + 1);
  return p;
}

/* mkdir -p of TREE_ROOT/REL.  */
static void
make_dirs (const char *rel)
{
  char *path = tree_path (rel);
  for (char *p = path + strlen (test_tmpdir) + 1;; p++)
    if (*p == '/' || *p == '\0')
      {
        char c = *p;
        *p = '\0';
        ck_assert_msg (mkdir (path, 0755) == 0 || errno == EEXIST,
                       "mkdir %s: %s", path, strerror (errno));
        *p = c;
        if (c == '\0')
          break;
      }
  free (path);
}

static void
put_file (const char *rel, const char *text)
{
  char *path = tree_path (rel);
  test_write_file (path, text, strlen (text));
  free (path);
}

/* The bytes of test_tmpdir/REL, and their number in *LEN.  */
static char *
get_file (const char *rel, size_t *len)
{
  char *path = tree_path (rel);
  char *data = test_read_file (path, len);
  free (path);
  return data;
}

/* Build the tree FLAGS say in test_tmpdir/ROW and point the backend at
   it.  The attribute files exist and are empty, as the kernel's are
   before a write.  */
static void
make_tree_at (int row, int flags)
{
  snprintf (tree_root, sizeof tree_root, "%s/%d", test_tmpdir, row);
  ck_assert_msg (mkdir (tree_root, 0755) == 0, "mkdir %s: %s", tree_root,
                 strerror (errno));
  if (!(flags & TREE_NO_THREAD_SELF))
    {
      make_dirs ("proc/thread-self/attr");
      put_file ("proc/thread-self/attr/exec", "");
      if (flags & TREE_NEW_AA)
        {
          make_dirs ("proc/thread-self/attr/apparmor");
          put_file ("proc/thread-self/attr/apparmor/exec", "");
        }
    }
  if (flags & TREE_SELINUX)
    make_dirs ("sys/fs/selinux");
  if (flags & (TREE_APPARMOR | TREE_APPARMOR_NO))
    {
      make_dirs ("sys/module/apparmor/parameters");
      put_file ("sys/module/apparmor/parameters/enabled",
                flags & TREE_APPARMOR ? "Y\n" : "N\n");
    }
  if (flags & (TREE_LSM | TREE_LSM_OTHER))
    {
      make_dirs ("sys/kernel/security");
      put_file ("sys/kernel/security/lsm",
                flags & TREE_LSM ? "lockdown,capability,landlock,yama,"
                                   "apparmor"
                                 : "lockdown,capability,selinux");
    }
  sp_backend_test_attr_dir = tree_root;
}

static void
make_tree (int flags)
{
  make_tree_at (0, flags);
}

/* Check that TREE_ROOT/REL holds exactly LEN bytes of WANT.  */
static void
assert_file (const char *rel, const char *want, size_t len)
{
  size_t got;
  char *data = get_file (rel, &got);
  ck_assert_msg (got == len && memcmp (data, want, len) == 0,
                 "%s: %zu bytes \"%.*s\", want %zu", rel, got, (int) got,
                 data, len);
  free (data);
}

/* Run CMD, which must fail with CODE at STAGE; free it.  */
static void
assert_fails (subproc_t *cmd, int code, int stage, const char *text)
{
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_msg (e->code == code && e->stage == stage,
                 "code %d stage %d, want %d %d: %s", e->code, e->stage, code,
                 stage, e->message);
  if (text)
    ck_assert_msg (strstr (e->message, text) != NULL, "%s", e->message);
  subproc_free (cmd);
}

/* ------------------------------------------------------------------ */
/* The real system.  */

static bool
exists (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0;
}

/* Neither module is active here: a run says so before it starts
   anything (the accounting sees no child), and names the module.  */
START_TEST (test_not_active)
{
  sp_backend_test_attr_dir = NULL;
  if (exists ("/sys/fs/selinux") || exists ("/selinux"))
    fprintf (stderr, "skipped for SELinux: selinuxfs is there\n");
  else
    {
      subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
      subproc_set_selinux_label (cmd, label);
      assert_fails (cmd, SUBPROC_ERR_UNSUPPORTED, SUBPROC_STAGE_SECURITY,
                    "SELinux is not active on this system");
    }
  if (exists ("/sys/module/apparmor/parameters/enabled"))
    fprintf (stderr, "skipped for AppArmor: the module is there\n");
  else
    {
      subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
      subproc_set_apparmor_profile (cmd, profile);
      assert_fails (cmd, SUBPROC_ERR_UNSUPPORTED, SUBPROC_STAGE_SECURITY,
                    "AppArmor is not active on this system");
    }
}
END_TEST

/* ------------------------------------------------------------------ */
/* The fake tree.  */

/* SELinux: the context and its NUL, as libselinux's setexeccon writes
   them, to attr/exec; nothing else is touched.  */
START_TEST (test_selinux_bytes)
{
  make_tree (TREE_SELINUX | TREE_NEW_AA);
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_selinux_label (cmd, "first:label:t:s0");
  subproc_set_selinux_label (cmd, label);
  test_run_ok (cmd);
  assert_file ("proc/thread-self/attr/exec", label, sizeof label);
  assert_file ("proc/thread-self/attr/apparmor/exec", "", 0);

  /* A second run writes the same again.  */
  put_file ("proc/thread-self/attr/exec", "");
  test_run_ok (cmd);
  assert_file ("proc/thread-self/attr/exec", label, sizeof label);
  subproc_free (cmd);
  sp_backend_test_attr_dir = NULL;
}
END_TEST

/* AppArmor: "exec PROFILE" without a NUL, as libapparmor's
   aa_change_onexec writes it, to attr/apparmor/exec where it exists.  */
START_TEST (test_apparmor_bytes)
{
  make_tree (TREE_APPARMOR | TREE_LSM | TREE_NEW_AA);
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_apparmor_profile (cmd, profile);
  test_run_ok (cmd);
  subproc_free (cmd);
  char want[sizeof profile + 5];
  memcpy (want, "exec ", 5);
  memcpy (want + 5, profile, sizeof profile);
  assert_file ("proc/thread-self/attr/apparmor/exec", want,
               strlen (want));
  assert_file ("proc/thread-self/attr/exec", "", 0);
  sp_backend_test_attr_dir = NULL;
}
END_TEST

/* A kernel before the stacking interface: the shared attr/exec.  No
   list of modules (securityfs not mounted): the parameter decides.  */
START_TEST (test_apparmor_old_interface)
{
  make_tree (TREE_APPARMOR);
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_apparmor_profile (cmd, "a profile//with a hat");
  test_run_ok (cmd);
  subproc_free (cmd);
  assert_file ("proc/thread-self/attr/exec", "exec a profile//with a hat",
               26);
  sp_backend_test_attr_dir = NULL;
}
END_TEST

/* Both: SELinux to attr/exec, AppArmor to its own.  */
START_TEST (test_both)
{
  make_tree (TREE_SELINUX | TREE_APPARMOR | TREE_LSM | TREE_NEW_AA);
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_apparmor_profile (cmd, "p");
  subproc_set_selinux_label (cmd, label);
  test_run_ok (cmd);
  subproc_free (cmd);
  assert_file ("proc/thread-self/attr/exec", label, sizeof label);
  assert_file ("proc/thread-self/attr/apparmor/exec", "exec p", 6);
  sp_backend_test_attr_dir = NULL;
}
END_TEST

/* What "active" means, module by module.  */
START_TEST (test_active_checks)
{
  static const struct
  {
    int flags;
    bool selinux;
    bool ok;
  } rows[] = {
    { 0, true, false },                         /* no selinuxfs */
    { TREE_APPARMOR, true, false },             /* another module */
    { TREE_SELINUX, true, true },
    { 0, false, false },                        /* no apparmor module */
    { TREE_APPARMOR_NO, false, false },         /* disabled at boot */
    { TREE_APPARMOR_NO | TREE_LSM, false, false },
    { TREE_APPARMOR | TREE_LSM_OTHER, false, false }, /* not in the list */
    { TREE_SELINUX, false, false },
    { TREE_APPARMOR | TREE_LSM, false, true },
    { TREE_APPARMOR, false, true },             /* no list to read */
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
    {
      make_tree_at ((int) i, rows[i].flags | TREE_NEW_AA);
      subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
      if (rows[i].selinux)
        subproc_set_selinux_label (cmd, label);
      else
        subproc_set_apparmor_profile (cmd, profile);
      if (rows[i].ok)
        {
          test_run_ok (cmd);
          subproc_free (cmd);
        }
      else
        assert_fails (cmd, SUBPROC_ERR_UNSUPPORTED, SUBPROC_STAGE_SECURITY,
                      rows[i].selinux ? "SELinux is not active"
                                      : "AppArmor is not active");
    }
  sp_backend_test_attr_dir = NULL;
}
END_TEST

/* A write the kernel refuses is a failure of the spawn at
   SUBPROC_STAGE_SECURITY with its errno, and the program never runs.  */
START_TEST (test_write_fails)
{
  make_tree (TREE_SELINUX | TREE_APPARMOR);
  char *exec = tree_path ("proc/thread-self/attr/exec");
  ck_assert_int_eq (unlink (exec), 0);
  ck_assert_int_eq (mkdir (exec, 0755), 0);
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_selinux_label (cmd, label);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  const subproc_error_t *e = subproc_get_error (cmd);
  ck_assert_int_eq (e->code, SUBPROC_ERR_SPAWN);
  ck_assert_int_eq (e->stage, SUBPROC_STAGE_SECURITY);
  ck_assert_int_eq (e->sys_errno, EISDIR);
  ck_assert_msg (strstr (e->message, "setting the security label") != NULL,
                 "%s", e->message);
  subproc_free (cmd);

  /* AppArmor falls back from its own file to the shared one, which
     cannot be written either.  */
  cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_apparmor_profile (cmd, profile);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->stage, SUBPROC_STAGE_SECURITY);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, EISDIR);
  subproc_free (cmd);
  free (exec);
  sp_backend_test_attr_dir = NULL;
}
END_TEST

/* A kernel without /proc/thread-self (before 3.17): the child's own
   /proc/self/task/TID, as libselinux does.  Its TID is its pid, known
   only once it runs: the handshake holds it before the write.  */
START_TEST (test_task_fallback)
{
  make_tree (TREE_SELINUX | TREE_APPARMOR | TREE_NO_THREAD_SELF);
  for (int k = 0; k < 2; k++)
    {
      subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
      if (k == 0)
        subproc_set_selinux_label (cmd, label);
      else
        subproc_set_apparmor_profile (cmd, "p");
      subproc_require_handshake (cmd);
      pid_t pid;
      ck_assert_int_eq (subproc_run_async (cmd, &pid), 0);
      ck_assert_int_eq (subproc_handshake_wait (cmd), 0);
      char rel[96];
      snprintf (rel, sizeof rel, "proc/self/task/%ld/attr", (long) pid);
      make_dirs (rel);
      strcat (rel, "/exec");
      put_file (rel, "");
      ck_assert_int_eq (subproc_handshake_notify (cmd), 0);
      int status = -1;
      ck_assert_msg (subproc_wait (cmd, &status) == 0, "%s",
                     subproc_get_error (cmd)->message);
      ck_assert_int_eq (status, 0);
      subproc_free (cmd);
      if (k == 0)
        assert_file (rel, label, sizeof label);
      else
        assert_file (rel, "exec p", 6);
    }

  /* Neither there: ENOENT, the program never runs.  */
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_selinux_label (cmd, label);
  ck_assert_int_eq (subproc_run (cmd, NULL), -1);
  ck_assert_int_eq (subproc_get_error (cmd)->stage, SUBPROC_STAGE_SECURITY);
  ck_assert_int_eq (subproc_get_error (cmd)->sys_errno, ENOENT);
  subproc_free (cmd);
  sp_backend_test_attr_dir = NULL;
}
END_TEST

/* In the child, the hook sees no label yet: the label is written after
   the caller's code.  */
static int
hook_sees_empty (void *opaque)
{
  struct stat st;
  if (stat ((const char *) opaque, &st) < 0)
    return -1;
  errno = EEXIST;
  return st.st_size == 0 ? 0 : -1;
}

/* The order in the child: after the pre-exec hook, before the change of
   user id, before the working directory and the exec.  */
START_TEST (test_order)
{
  make_tree (TREE_SELINUX);
  char *exec = tree_path ("proc/thread-self/attr/exec");

  /* After the hook (the fork path, which the hook makes).  */
  subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
  subproc_set_pre_exec_hook (cmd, hook_sees_empty, exec);
  subproc_set_selinux_label (cmd, label);
  test_run_ok (cmd);
  subproc_free (cmd);
  assert_file ("proc/thread-self/attr/exec", label, sizeof label);

  /* Before the working directory: written when entering it fails.  */
  put_file ("proc/thread-self/attr/exec", "");
  cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_working_directory (cmd, "/nonexistent/directory");
  subproc_set_selinux_label (cmd, label);
  assert_fails (cmd, SUBPROC_ERR_SPAWN, SUBPROC_STAGE_CHDIR, NULL);
  assert_file ("proc/thread-self/attr/exec", label, sizeof label);

  /* Before the change of user id: a file only root may write is
     written by a child that becomes nobody.  */
  if (geteuid () == 0)
    {
      put_file ("proc/thread-self/attr/exec", "");
      ck_assert_int_eq (chmod (exec, 0600), 0);
      cmd = test_helper_on (_i, "exit", "0", NULL);
      subproc_set_uid (cmd, 65534);
      subproc_set_gid (cmd, 65534);
      subproc_set_selinux_label (cmd, label);
      test_run_ok (cmd);
      subproc_free (cmd);
      assert_file ("proc/thread-self/attr/exec", label, sizeof label);
    }
  else
    fprintf (stderr, "skipped the change of user id: not root\n");
  free (exec);
  sp_backend_test_attr_dir = NULL;
}
END_TEST

/* ------------------------------------------------------------------ */
/* Core scheduling.  */

/* The core-scheduling cookie of PID, or -1 with errno.  */
static long long
cookie_of (pid_t pid)
{
  unsigned long long cookie = 0;
  if (prctl (PR_SCHED_CORE, PR_SCHED_CORE_GET, (unsigned long) pid, 0,
             (unsigned long) &cookie) < 0)
    return -1;
  return (long long) cookie;
}

/* Start the helper sleeping with run_alone (AMONG 0) or run_among
   (AMONG): its pid.  */
static pid_t
start_sleeper (subproc_t **cmd, int path, pid_t among)
{
  *cmd = test_helper_on (path, "sleep", "30", NULL);
  if (among)
    subproc_set_run_among (*cmd, among);
  else
    subproc_set_run_alone (*cmd);
  pid_t pid;
  ck_assert_msg (subproc_run_async (*cmd, &pid) == 0, "%s",
                 subproc_get_error (*cmd)->message);
  return pid;
}

START_TEST (test_sched_core)
{
  sp_backend_test_attr_dir = NULL;
  if (cookie_of (0) < 0 && (errno == EINVAL || errno == ENODEV))
    {
      /* Here: say so before anything starts.  */
      const char *why = errno == EINVAL ? "the kernel has no core scheduling"
                                        : "no SMT";
      subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
      subproc_set_run_alone (cmd);
      assert_fails (cmd, SUBPROC_ERR_UNSUPPORTED, SUBPROC_STAGE_SCHED_CORE,
                    why);
      cmd = test_helper_on (_i, "exit", "0", NULL);
      subproc_set_run_among (cmd, getpid ());
      assert_fails (cmd, SUBPROC_ERR_UNSUPPORTED, SUBPROC_STAGE_SCHED_CORE,
                    why);
      fprintf (stderr, "core scheduling not available here: checked that "
                       "runs report it\n");
      return;
    }

  /* A cookie of its own, not ours; a second child shares it.  */
  subproc_t *a, *b;
  long long mine = cookie_of (0);
  pid_t pa = start_sleeper (&a, _i, 0);
  long long ca = cookie_of (pa);
  ck_assert (ca > 0);
  ck_assert (ca != mine);
  pid_t pb = start_sleeper (&b, _i, pa);
  ck_assert (cookie_of (pb) == ca);
  subproc_abort (b);
  subproc_free (b);

  /* The last call wins.  */
  b = test_helper_on (_i, "sleep", "30", NULL);
  subproc_set_run_among (b, pa);
  subproc_set_run_alone (b);
  ck_assert_int_eq (subproc_run_async (b, &pb), 0);
  ck_assert (cookie_of (pb) > 0 && cookie_of (pb) != ca);
  subproc_abort (b);
  subproc_free (b);
  subproc_abort (a);
  subproc_free (a);

  /* A pid that is gone: the spawn fails there.  */
  subproc_t *cmd = test_helper_on (_i, "exit", "0", NULL);
  subproc_set_run_among (cmd, pa);
  assert_fails (cmd, SUBPROC_ERR_SPAWN, SUBPROC_STAGE_SCHED_CORE, NULL);
}
END_TEST

#else /* !LINUX_CONTROLS */

/* Win32 and POSIX systems other than Linux: every option is reported
   unsupported at the run, by name.  */
START_TEST (test_unsupported)
{
  static const char *const what[]
    = { "selinux_label", "apparmor_profile", "run_alone", "run_among" };
  for (int k = 0; k < 4; k++)
    {
      subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
      switch (k)
        {
        case 0: subproc_set_selinux_label (cmd, label); break;
        case 1: subproc_set_apparmor_profile (cmd, profile); break;
        case 2: subproc_set_run_alone (cmd); break;
        default: subproc_set_run_among (cmd, 1); break;
        }
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      const subproc_error_t *e = subproc_get_error (cmd);
      ck_assert_int_eq (e->code, SUBPROC_ERR_UNSUPPORTED);
      ck_assert_int_eq (e->stage, SUBPROC_STAGE_UNSUPPORTED);
      ck_assert_msg (strstr (e->message, what[k]) != NULL, "%s", e->message);
      subproc_free (cmd);
    }

  /* Of run_alone and run_among, the last call wins.  */
  for (int k = 0; k < 2; k++)
    {
      subproc_t *cmd = test_helper_cmd ("exit", "0", NULL);
      if (k == 0)
        {
          subproc_set_run_among (cmd, 1);
          subproc_set_run_alone (cmd);
        }
      else
        {
          subproc_set_run_alone (cmd);
          subproc_set_run_among (cmd, 1);
        }
      ck_assert_int_eq (subproc_run (cmd, NULL), -1);
      const char *msg = subproc_get_error (cmd)->message;
      ck_assert_msg (strstr (msg, what[2 + k]) != NULL, "%s", msg);
      subproc_free (cmd);
    }
}
END_TEST
#endif

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("security");
  TEST_CASE (s, invalid);
#ifdef LINUX_CONTROLS
  BOTH_PATHS (s, not_active);
  BOTH_PATHS (s, selinux_bytes);
  BOTH_PATHS (s, apparmor_bytes);
  BOTH_PATHS (s, apparmor_old_interface);
  BOTH_PATHS (s, both);
  BOTH_PATHS (s, active_checks);
  BOTH_PATHS (s, write_fails);
  TEST_CASE_WITH_TMPDIR (s, task_fallback);
  BOTH_PATHS (s, order);
  BOTH_PATHS (s, sched_core);
#else
  TEST_CASE (s, unsupported);
#endif
  return s;
}

MAIN_SUITE (make_suite)
