/* security.c: the security label and core scheduling of the child,
 * POSIX (Linux).
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The parent checks, before anything is created, that the system can
 * honour what was asked (the module is active, the kernel has core
 * scheduling) and makes the bytes; the child writes them to the kernel
 * interfaces that libselinux's setexeccon and libapparmor's
 * aa_change_onexec write to, with raw system calls and no allocation.
 *
 * SELinux (libselinux's setprocattrcon): the context and its NUL to
 * /proc/thread-self/attr/exec, opened O_RDWR; where the kernel has no
 * thread-self (before 3.17), /proc/self/task/TID/attr/exec.
 * AppArmor (libapparmor's aa_change_onexec): "exec PROFILE" without a
 * NUL, opened O_WRONLY, to /proc/thread-self/attr/apparmor/exec (the
 * interface that LSM stacking brought, 5.8), and where that cannot be
 * opened, to the shared /proc/thread-self/attr/exec; a short write is
 * EPROTO, as there.
 *
 * All of it may run in a child that shares the parent's memory: none of
 * it changes the user or group ids, so the kernel leaves the memory's
 * "dumpable" flag alone (the exec label lives in the child's own
 * credentials, AppArmor's in its task, the core cookie in its task).
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "posix.h"

#ifdef SP_POSIX_LINUX
# include <sys/prctl.h>
# include <sys/vfs.h>
/* From <linux/prctl.h> (5.14, the scopes 5.16) and <linux/magic.h>,
   which not every C library's headers bring.  */
# ifndef PR_SCHED_CORE
#  define PR_SCHED_CORE 62
# endif
# ifndef PR_SCHED_CORE_GET
#  define PR_SCHED_CORE_GET 0
#  define PR_SCHED_CORE_CREATE 1
#  define PR_SCHED_CORE_SHARE_FROM 3
# endif
# ifndef PR_SCHED_CORE_SCOPE_THREAD
#  define PR_SCHED_CORE_SCOPE_THREAD 0
#  define PR_SCHED_CORE_SCOPE_THREAD_GROUP 1
# endif
# define SP_SELINUX_MAGIC 0xf97cff8cUL
#endif

/* The longest root a test may give: the paths are built in buffers on
   the stack (the child's too), without allocating.  */
#define ATTR_ROOT_MAX 256
#define ATTR_PATH_MAX (ATTR_ROOT_MAX + 64)

#ifdef SP_POSIX_LINUX
/* Is selinuxfs mounted where libselinux looks for it first
   (/sys/fs/selinux, then the old /selinux)?  Under a test root, a
   directory ROOT/sys/fs/selinux stands for it.  */
static bool
selinux_active (const char *root)
{
  if (*root)
    {
      char p[ATTR_PATH_MAX];
      struct stat st;
      snprintf (p, sizeof p, "%s/sys/fs/selinux", root);
      return stat (p, &st) == 0 && S_ISDIR (st.st_mode);
    }
  static const char *const mounts[] = { "/sys/fs/selinux", "/selinux" };
  for (size_t i = 0; i < 2; i++)
    {
      struct statfs sfs;
      if (statfs (mounts[i], &sfs) == 0
          && (unsigned long) sfs.f_type == SP_SELINUX_MAGIC)
        return true;
    }
  return false;
}

/* Up to ROOM - 1 bytes of ROOT/REL into BUF, NUL-terminated: the length
   read, or -1.  */
static ssize_t
read_small (const char *root, const char *rel, char *buf, size_t room)
{
  char p[ATTR_PATH_MAX];
  snprintf (p, sizeof p, "%s%s", root, rel);
  int fd = open (p, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  ssize_t n;
  do
    n = read (fd, buf, room - 1);
  while (n < 0 && errno == EINTR);
  sp_backend_close (fd);
  buf[n < 0 ? 0 : n] = '\0';
  return n;
}

/* Is AppArmor active?  As libapparmor decides whether the old shared
   interface is its own: the module parameter "enabled" says Y.  And where
   securityfs is mounted, the kernel's list of active modules names it
   (with LSM stacking, another module may have taken the shared
   interface while AppArmor is built in).  */
static bool
apparmor_active (const char *root)
{
  char buf[SP_ATTR_MAX];
  if (read_small (root, "/sys/module/apparmor/parameters/enabled", buf, 4)
        <= 0
      || buf[0] != 'Y')
    return false;
  if (read_small (root, "/sys/kernel/security/lsm", buf, sizeof buf) < 0)
    return true;
  for (char *tok = buf; *tok;)
    {
      size_t len = strcspn (tok, ",\n");
      if (len == 8 && memcmp (tok, "apparmor", 8) == 0)
        return true;
      tok += len;
      tok += strspn (tok, ",\n");
    }
  return false;
}
#endif

int
sp_posix_security_prepare (sp_spec_t *spec, sp_fail_t *f)
{
  const sp_options_t *opt = spec->opt;
  spec->apparmor_exec = NULL;
  spec->apparmor_len = 0;
  spec->attr_root = sp_backend_test_attr_dir ? sp_backend_test_attr_dir : "";
  if (!opt->selinux_label && !opt->apparmor_profile
      && opt->sched_core == SP_SCHED_CORE_NONE)
    return 0;
#ifndef SP_POSIX_LINUX
  if (opt->selinux_label)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS, SP_STAGE_UNSUPPORTED,
                    "selinux_label");
  if (opt->apparmor_profile)
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS, SP_STAGE_UNSUPPORTED,
                    "apparmor_profile");
  return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOSYS, SP_STAGE_UNSUPPORTED,
                  opt->sched_core == SP_SCHED_CORE_ALONE ? "run_alone"
                                                         : "run_among");
#else
  const char *root = spec->attr_root;
  if (strlen (root) > ATTR_ROOT_MAX)
    return sp_fail (f, SUBPROC_ERR_INVALID, ENAMETOOLONG, SP_STAGE_SECURITY,
                    NULL);

  if (opt->sched_core != SP_SCHED_CORE_NONE)
    {
      /* The kernel says EINVAL for a prctl it does not know (before 5.14,
         or without CONFIG_SCHED_CORE) and ENODEV on a machine without
         SMT, where there is nothing to share a core with.  */
      uint64_t cookie = 0;
      if (prctl (PR_SCHED_CORE, PR_SCHED_CORE_GET, 0,
                 PR_SCHED_CORE_SCOPE_THREAD, (unsigned long) &cookie) < 0
          && (errno == EINVAL || errno == ENODEV))
        return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, errno,
                        SP_STAGE_SCHED_CORE,
                        errno == ENODEV
                          ? "this machine has no SMT: there is no core "
                            "scheduling"
                          : "the kernel has no core scheduling "
                            "(PR_SCHED_CORE)");
    }
  if (opt->selinux_label && !selinux_active (root))
    return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOTSUP, SP_STAGE_SECURITY,
                    "SELinux is not active on this system");
  if (opt->apparmor_profile)
    {
      if (!apparmor_active (root))
        return sp_fail (f, SUBPROC_ERR_UNSUPPORTED, ENOTSUP,
                        SP_STAGE_SECURITY,
                        "AppArmor is not active on this system");
      spec->apparmor_exec = sp_aprintf ("exec %s", opt->apparmor_profile);
      if (spec->apparmor_exec == NULL)
        return sp_fail (f, SUBPROC_ERR_NOMEM, ENOMEM, SP_STAGE_SECURITY,
                        NULL);
      spec->apparmor_len = strlen (spec->apparmor_exec);
    }
  return 0;
#endif
}

void
sp_posix_security_release (sp_spec_t *spec)
{
  free (spec->apparmor_exec);
  spec->apparmor_exec = NULL;
  spec->apparmor_len = 0;
}

#ifdef SP_POSIX_LINUX
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static size_t
put (char *buf, size_t at, const char *s)
{
  size_t len = strlen (s);
  memcpy (buf + at, s, len + 1);
  return at + len;
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static size_t
put_number (char *buf, size_t at, unsigned long n)
{
  char digits[24];
  size_t i = sizeof digits;
  digits[--i] = '\0';
  do
    digits[--i] = (char) ('0' + n % 10);
  while ((n /= 10) != 0);
  return put (buf, at, digits + i);
}

/* Open ROOT/proc/thread-self/REL with FLAGS, or, where the kernel has
   no thread-self, ROOT/proc/self/task/TID/REL, as libselinux does: a
   descriptor, or -1 with errno.  The parent checked ROOT's length.  */
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
open_attr (const char *root, const char *rel, int flags)
{
  char path[ATTR_PATH_MAX];
  size_t n = put (path, 0, root);
  n = put (path, n, "/proc/thread-self/");
  put (path, n, rel);
  int fd = sp_posix_sys_open (path, flags | O_CLOEXEC, 0);
  if (fd >= 0 || errno != ENOENT)
    return fd;
  n = put (path, 0, root);
  n = put (path, n, "/proc/self/task/");
# ifdef SYS_gettid
  n = put_number (path, n, (unsigned long) syscall (SYS_gettid));
# else
  n = put_number (path, n, (unsigned long) getpid ());
# endif
  n = put (path, n, "/");
  put (path, n, rel);
  return sp_posix_sys_open (path, flags | O_CLOEXEC, 0);
}

/* Write LEN bytes of DATA to FD in one write and close it: 0, or -1 with
   errno (EPROTO for a short write: the kernel takes the attribute whole
   or not at all).  */
/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
static int
write_attr (int fd, const char *data, size_t len)
{
  ssize_t r;
  do
    r = sp_posix_sys_write (fd, data, len);
  while (r < 0 && errno == EINTR);
  int err = r < 0 ? errno : (size_t) r != len ? EPROTO : 0;
  sp_posix_sys_close (fd);
  errno = err;
  return err ? -1 : 0;
}
#endif

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
sp_stage_t
sp_posix_sched_core_apply (const sp_spec_t *spec)
{
#ifdef SP_POSIX_LINUX
  const sp_options_t *opt = spec->opt;
  /* libvirt's virProcessSchedCoreCreate and ...ShareFrom: a new cookie
     for the whole thread group (here the child alone), or the cookie of
     one task, which the kernel takes only with the thread scope.  */
  if (opt->sched_core == SP_SCHED_CORE_ALONE
      && prctl (PR_SCHED_CORE, PR_SCHED_CORE_CREATE, 0,
                PR_SCHED_CORE_SCOPE_THREAD_GROUP, 0) < 0)
    return SP_STAGE_SCHED_CORE;
  if (opt->sched_core == SP_SCHED_CORE_AMONG
      && prctl (PR_SCHED_CORE, PR_SCHED_CORE_SHARE_FROM,
                (unsigned long) opt->sched_core_pid,
                PR_SCHED_CORE_SCOPE_THREAD, 0) < 0)
    return SP_STAGE_SCHED_CORE;
#else
  (void) spec;
#endif
  return SP_STAGE_NONE;
}

/* Runs in the child between fork and exec: async-signal-safe only
   (signal-safety(7)).  */
sp_stage_t
sp_posix_security_apply (const sp_spec_t *spec)
{
#ifdef SP_POSIX_LINUX
  const sp_options_t *opt = spec->opt;
  const char *root = spec->attr_root;
  if (opt->selinux_label)
    {
      int fd = open_attr (root, "attr/exec", O_RDWR);
      if (fd < 0
          || write_attr (fd, opt->selinux_label,
                         strlen (opt->selinux_label) + 1) < 0)
        return SP_STAGE_SECURITY;
    }
  if (spec->apparmor_exec)
    {
      int fd = open_attr (root, "attr/apparmor/exec", O_WRONLY);
      if (fd < 0)
        fd = open_attr (root, "attr/exec", O_WRONLY);
      if (fd < 0
          || write_attr (fd, spec->apparmor_exec, spec->apparmor_len) < 0)
        return SP_STAGE_SECURITY;
    }
#else
  (void) spec;
#endif
  return SP_STAGE_NONE;
}
