/* fds.c: descriptors on POSIX: passing, stdio mapping, pipes made for
 * the caller, and no leak into the child or the parent.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loop 0 of each test takes the fast path, loop 1 the fork path (a
 * pre-exec hook that does nothing).
 */

#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "subproc.h"

#ifdef __linux__
# include <stdint.h>
# include <sys/prctl.h>
# include <sys/syscall.h>
#endif

static bool
is_open (int fd)
{
  return fcntl (fd, F_GETFD) >= 0;
}

static char *
num (int n)
{
  static char buf[4][16];
  static int k;
  k = (k + 1) % 4;
  snprintf (buf[k], sizeof buf[k], "%d", n);
  return buf[k];
}

/* ------------------------------------------------------------------ */

START_TEST (test_pass_fd)
{
  int p[2];
  ck_assert_int_eq (pipe (p), 0);

  /* Kept in the parent.  */
  subproc_t *cmd = test_helper_on (_i, "fd-write", num (p[1]), "kept", NULL);
  subproc_pass_fd (cmd, p[1], 0);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert (is_open (p[1]));

  /* Closed in the parent once the child has it.  */
  cmd = test_helper_on (_i, "fd-write", num (p[1]), " closed", NULL);
  subproc_pass_fd (cmd, p[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  test_run_ok (cmd);
  ck_assert (!is_open (p[1]));
  subproc_free (cmd);

  char *text = test_read_fd (p[0]);
  ck_assert_str_eq (text, "kept closed");
  free (text);
  test_close (p[0]);

  /* A close-on-exec descriptor passed still reaches the child.  */
  ck_assert_int_eq (pipe2 (p, O_CLOEXEC), 0);
  cmd = test_helper_on (_i, "fd-write", num (p[1]), "cloexec", NULL);
  subproc_pass_fd (cmd, p[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  test_run_ok (cmd);
  subproc_free (cmd);
  text = test_read_fd (p[0]);
  ck_assert_str_eq (text, "cloexec");
  free (text);
  test_close (p[0]);
}
END_TEST

/* The child sees 0, 1, 2 and what was passed, nothing else, even with
   hundreds of inheritable descriptors open in the parent.  */
START_TEST (test_no_leak_into_child)
{
  int extra[300];
  for (int k = 0; k < 300; k++)
    {
      extra[k] = open ("/dev/null", O_RDONLY);
      ck_assert_int_ge (extra[k], 0);
    }
  /* One far up, above a gap.  */
  int high = fcntl (extra[0], F_DUPFD, 900);
  ck_assert_int_ge (high, 900);

  int passed_a = extra[100], passed_b = extra[7];
  subproc_t *cmd = test_helper_on (_i, "fds", NULL);
  subproc_pass_fd (cmd, passed_a, 0);
  subproc_pass_fd (cmd, passed_b, 0);
  subproc_pass_fd (cmd, passed_a, 0);
  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  char want[64];
  snprintf (want, sizeof want, "%d\n%d\n", passed_b, passed_a);
  ck_assert_str_eq (out, want);
  free (out);

  /* Nothing passed: nothing above 2.  */
  cmd = test_helper_on (_i, "fds", NULL);
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_str_eq (out, "");
  free (out);

  for (int k = 0; k < 300; k++)
    test_close (extra[k]);
  test_close (high);
}
END_TEST

START_TEST (test_input_fd)
{
  char *path = test_tmp_path ("input");
  test_write_file (path, "from a file\n", 12);
  int fd = open (path, O_RDONLY);
  ck_assert_int_ge (fd, 0);
  subproc_t *cmd = test_helper_on (_i, "echo", NULL);
  subproc_set_input_fd (cmd, fd);
  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_str_eq (out, "from a file\n");
  free (out);
  /* The caller keeps it.  */
  ck_assert (is_open (fd));
  test_close (fd);
  free (path);
}
END_TEST

START_TEST (test_output_pipes)
{
  int out_fd = -1, err_fd = -1;
  subproc_t *cmd = test_helper_on (_i, "interleave", "3", NULL);
  subproc_set_output_fd (cmd, &out_fd);
  subproc_set_error_fd (cmd, &err_fd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert_int_gt (out_fd, 2);
  ck_assert_int_gt (err_fd, 2);
  ck_assert_int_ne (out_fd, err_fd);
  /* The parent's ends are close-on-exec and blocking.  */
  ck_assert (fcntl (out_fd, F_GETFD) & FD_CLOEXEC);
  ck_assert (!(fcntl (out_fd, F_GETFL) & O_NONBLOCK));
  char *out = test_read_fd (out_fd);
  char *err = test_read_fd (err_fd);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);
  ck_assert_str_eq (out, "out 0\nout 1\nout 2\n");
  ck_assert_str_eq (err, "err 0\nerr 1\nerr 2\n");
  free (out);
  free (err);
  test_close (out_fd);
  test_close (err_fd);

  /* The same pointer twice: one pipe for both.  */
  int both = -1;
  cmd = test_helper_on (_i, "interleave", "2", NULL);
  subproc_set_output_fd (cmd, &both);
  subproc_set_error_fd (cmd, &both);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  out = test_read_fd (both);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);
  ck_assert_str_eq (out, "out 0\nerr 0\nout 1\nerr 1\n");
  free (out);
  test_close (both);
}
END_TEST

START_TEST (test_nonblocking)
{
  int out_fd = -1, err_fd = -1;
  subproc_t *cmd = test_helper_on (_i, "print", "nb", NULL);
  subproc_set_output_fd (cmd, &out_fd);
  subproc_set_error_fd (cmd, &err_fd);
  subproc_nonblocking_fds (cmd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert (fcntl (out_fd, F_GETFL) & O_NONBLOCK);
  ck_assert (fcntl (err_fd, F_GETFL) & O_NONBLOCK);
  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);
  char buf[8];
  ck_assert_int_eq (read (out_fd, buf, sizeof buf), 2);
  test_close (out_fd);
  test_close (err_fd);
}
END_TEST

/* The caller's own 0, 1, 2 used crosswise: the child's stdin is the
   parent's 1, its stdout the parent's 0.  */
START_TEST (test_stdio_crosswise)
{
  int saved[3];
  int in[2], out[2];
  for (int k = 0; k < 3; k++)
    {
      saved[k] = dup (k);
      ck_assert_int_ge (saved[k], 0);
    }
  ck_assert_int_eq (pipe (in), 0);
  ck_assert_int_eq (pipe (out), 0);
  ck_assert_int_eq (write (in[1], "swapped", 7), 7);
  test_close (in[1]);
  ck_assert_int_eq (dup2 (in[0], 1), 1);
  ck_assert_int_eq (dup2 (out[1], 0), 0);
  test_close (in[0]);
  test_close (out[1]);

  int zero = 0;
  subproc_t *cmd = test_helper_on (_i, "echo", NULL);
  subproc_set_input_fd (cmd, 1);
  subproc_set_output_fd (cmd, &zero);
  int r = subproc_run (cmd, NULL);

  for (int k = 0; k < 3; k++)
    {
      dup2 (saved[k], k);
      close (saved[k]);
    }
  ck_assert_msg (r == 0, "%s", subproc_get_error (cmd)->message);
  subproc_free (cmd);
  char *text = test_read_fd (out[0]);
  ck_assert_str_eq (text, "swapped");
  free (text);
  test_close (out[0]);
}
END_TEST

/* A parent that runs with 0, 1 and 2 closed: the library's pipes must
   not take those numbers from the child's stdio.  */
START_TEST (test_parent_without_stdio)
{
  int saved[3];
  for (int k = 0; k < 3; k++)
    {
      saved[k] = fcntl (k, F_DUPFD_CLOEXEC, 10);
      ck_assert_int_ge (saved[k], 0);
      close (k);
    }

  char *out = NULL, *err = NULL;
  subproc_t *cmd = test_helper_on (_i, "echo-and-err", "5", NULL);
  subproc_set_input_buffer (cmd, "input");
  subproc_set_output_buffer (cmd, &out);
  subproc_set_error_buffer (cmd, &err);
  int r = subproc_run (cmd, NULL);

  for (int k = 0; k < 3; k++)
    {
      dup2 (saved[k], k);
      close (saved[k]);
    }
  ck_assert_msg (r == 0, "%s", subproc_get_error (cmd)->message);
  subproc_free (cmd);
  ck_assert_str_eq (out, "input");
  ck_assert_str_eq (err, "abcde");
  free (out);
  free (err);

  /* Nothing given: the child still gets the null device on 0, 1, 2.  */
  int p[2];
  ck_assert_int_eq (pipe (p), 0);
  ck_assert_int_gt (p[0], 2);
  for (int k = 0; k < 3; k++)
    {
      saved[k] = fcntl (k, F_DUPFD_CLOEXEC, 10);
      close (k);
    }
  cmd = test_helper_on (_i, "stdio-null", num (p[1]), NULL);
  subproc_pass_fd (cmd, p[1], SUBPROC_PASS_FD_CLOSE_PARENT);
  r = subproc_run (cmd, NULL);
  for (int k = 0; k < 3; k++)
    {
      dup2 (saved[k], k);
      close (saved[k]);
    }
  ck_assert_msg (r == 0, "%s", subproc_get_error (cmd)->message);
  subproc_free (cmd);
  char *text = test_read_fd (p[0]);
  ck_assert_str_eq (text, "0=null\n1=null\n2=null\n");
  free (text);
  test_close (p[0]);
}
END_TEST

/* Descriptors the library makes in the parent are close-on-exec: a fork
   and exec elsewhere in the program does not inherit them.  */
START_TEST (test_parent_fds_cloexec)
{
  int out_fd = -1;
  subproc_t *cmd = test_helper_on (_i, "sleep", "200", NULL);
  subproc_set_output_fd (cmd, &out_fd);
  ck_assert_int_eq (subproc_run_async (cmd, NULL), 0);
  ck_assert (fcntl (out_fd, F_GETFD) & FD_CLOEXEC);
  /* Another program of the parent's, by plain fork and exec, sees none
     of them.  */
  int p[2];
  ck_assert_int_eq (pipe2 (p, O_CLOEXEC), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      dup2 (p[1], 1);
      execl (test_helper (), "subproc-helper", "fds", (char *) NULL);
      _exit (127);
    }
  test_close (p[1]);
  char *fds = test_read_fd (p[0]);
  test_close (p[0]);
  int st;
  ck_assert_int_eq (waitpid (pid, &st, 0), pid);
  char want[16];
  snprintf (want, sizeof want, "%d\n", out_fd);
  ck_assert_ptr_null (strstr (fds, want));
  free (fds);

  ck_assert_int_eq (subproc_wait (cmd, NULL), 0);
  subproc_free (cmd);
  test_close (out_fd);
}
END_TEST

#if defined __linux__ && defined SYS_close_range && defined SYS_getdents64
/* A seccomp filter program, as the kernel defines it (<linux/filter.h>
   and <linux/seccomp.h>, which not every C library's headers bring: musl's
   do not).  The instructions used: load the 32-bit word at an offset of
   the system call's data (the number is at offset 0), jump if equal to a
   constant, return a constant.  */
struct test_bpf_insn
{
  uint16_t code;
  uint8_t jt;
  uint8_t jf;
  uint32_t k;
};
struct test_bpf_prog
{
  unsigned short len;
  struct test_bpf_insn *filter;
};
# define TEST_BPF_LD_W_ABS 0x20   /* BPF_LD | BPF_W | BPF_ABS */
# define TEST_BPF_JEQ_K 0x15      /* BPF_JMP | BPF_JEQ | BPF_K */
# define TEST_BPF_RET_K 0x06      /* BPF_RET | BPF_K */
# define TEST_SECCOMP_MODE_FILTER 2
# define TEST_SECCOMP_RET_ERRNO 0x00050000U
# define TEST_SECCOMP_RET_ALLOW 0x7fff0000U
# ifndef PR_SET_SECCOMP
#  define PR_SET_SECCOMP 22
# endif

/* Make the system calls NRS fail with ENOSYS in this process and its
   children, as an old kernel or a container's filter would.  */
static bool
deny_syscalls (const long *nrs, int n)
{
  struct test_bpf_insn f[16];
  unsigned short k = 0;
  f[k++] = (struct test_bpf_insn) { TEST_BPF_LD_W_ABS, 0, 0, 0 };
  for (int j = 0; j < n; j++)
    {
      f[k++] = (struct test_bpf_insn) { TEST_BPF_JEQ_K, 0, 1,
                                        (uint32_t) nrs[j] };
      f[k++] = (struct test_bpf_insn) { TEST_BPF_RET_K, 0, 0,
                                        TEST_SECCOMP_RET_ERRNO | ENOSYS };
    }
  f[k++] = (struct test_bpf_insn) { TEST_BPF_RET_K, 0, 0,
                                    TEST_SECCOMP_RET_ALLOW };
  struct test_bpf_prog prog = { k, f };
  return prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0
         && prctl (PR_SET_SECCOMP, TEST_SECCOMP_MODE_FILTER, &prog) == 0;
}

/* Without close_range (loops 0, 1), and without getdents64 either (loops
   2, 3): the child still closes everything that is not passed.  The
   filter is set in a process of its own, where a failure is an exit
   status: it would blind the leak check of the test.  */
static int
close_fallback_run (int i)
{
  long nrs[] = { SYS_close_range, SYS_getdents64 };
  if (!deny_syscalls (nrs, i < 2 ? 1 : 2))
    return 77;
  int extra[50];
  for (int k = 0; k < 50; k++)
    if ((extra[k] = open ("/dev/null", O_RDONLY)) < 0)
      return 1;
  if (fcntl (extra[0], F_DUPFD, 900) < 900)
    return 1;

  subproc_t *cmd = test_helper_on (i & 1, "fds", NULL);
  subproc_pass_fd (cmd, extra[20], 0);
  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  if (subproc_run (cmd, NULL) < 0)
    {
      fprintf (stderr, "%s\n", subproc_get_error (cmd)->message);
      return 1;
    }
  subproc_free (cmd);
  char want[32];
  snprintf (want, sizeof want, "%d\n", extra[20]);
  if (strcmp (out, want) != 0)
    {
      fprintf (stderr, "the child has '%s', not '%s'\n", out, want);
      return 1;
    }
  free (out);
  return 0;
}

/* A child that needs nothing of the parent's but 0, 1, 2 (here: stdout
   inherited as is, stdin and stderr the null device) starts on the
   parent's descriptor table and unshares it (spawn.c, can_share_files):
   it must still see none of the parent's other descriptors, get the
   null device even where the parent has no descriptor 0, and, when the
   kernel refuses CLOSE_RANGE_UNSHARE (loop 1: close_range denied, as
   before Linux 5.9), be started again the usual way.  The checks run in
   a process of their own, which has its stdout on a pipe.  */
static int
shared_table_run (int i, int out)
{
  if (i == 1)
    {
      long nrs[] = { SYS_close_range };
      if (!deny_syscalls (nrs, 1))
        return 77;
    }
  static int extra[900];
  for (int k = 0; k < 900; k++)
    if ((extra[k] = open ("/dev/null", k % 2 ? O_RDONLY | O_CLOEXEC
                                             : O_RDONLY)) < 0)
      return 1;
  if (dup2 (out, 1) != 1 || close (out) != 0)
    return 1;

  /* Several runs: the first fast spawn learns that the child shares
     memory, the later ones may share the table too.  */
  for (int round = 0; round < 4; round++)
    {
      int one = 1;
      bool closed_stdin = round == 3;
      subproc_t *cmd = test_helper_on (0, round % 2 ? "stdio-null" : "fds",
                                       NULL);
      subproc_set_output_fd (cmd, &one);
      int saved = -1;
      if (closed_stdin && ((saved = fcntl (0, F_DUPFD_CLOEXEC, 3)) < 0
                           || close (0) != 0))
        return 1;
      int r = subproc_run (cmd, NULL);
      if (closed_stdin && (dup2 (saved, 0) != 0 || close (saved) != 0))
        return 1;
      if (r < 0)
        {
          fprintf (stderr, "%s\n", subproc_get_error (cmd)->message);
          return 1;
        }
      subproc_free (cmd);
    }
  for (int k = 0; k < 900; k++)
    close (extra[k]);
  return 0;
}

START_TEST (test_shared_table)
{
  int p[2];
  ck_assert_int_eq (pipe2 (p, O_CLOEXEC), 0);
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    {
      close (p[0]);
      _exit (shared_table_run (_i, p[1]));
    }
  test_close (p[1]);
  char *text = test_read_fd (p[0]);
  test_close (p[0]);
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  if (WEXITSTATUS (status) == 77)
    {
      fprintf (stderr, "skipped: no seccomp filter\n");
      free (text);
      return;
    }
  ck_assert_int_eq (WEXITSTATUS (status), 0);
  /* "fds" prints nothing when only 0, 1, 2 are open.  */
  ck_assert_str_eq (text, "0=null\n1=other\n2=null\n"
                          "0=null\n1=other\n2=null\n");
  free (text);
}
END_TEST

START_TEST (test_close_fallbacks)
{
  pid_t pid = fork ();
  ck_assert_int_ge (pid, 0);
  if (pid == 0)
    _exit (close_fallback_run (_i));
  int status;
  ck_assert_int_eq (waitpid (pid, &status, 0), pid);
  ck_assert (WIFEXITED (status));
  if (WEXITSTATUS (status) == 77)
    fprintf (stderr, "skipped: no seccomp filter\n");
  else
    ck_assert_int_eq (WEXITSTATUS (status), 0);
}
END_TEST
#endif

/* The child's descriptors are closed before the pre-exec hook runs, as
   libvirt does: a descriptor the hook opens without close-on-exec is
   meant for the program and reaches it; one opened close-on-exec does
   not.  */
static int
hook_opens_fds (void *opaque)
{
  (void) opaque;
  int fd = open ("/dev/null", O_RDONLY);
  if (fd < 0 || dup2 (fd, 100) != 100 || close (fd) < 0)
    return -1;
  fd = open ("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || fcntl (fd, F_DUPFD_CLOEXEC, 110) != 110 || close (fd) < 0)
    return -1;
  return 0;
}

START_TEST (test_hook_fds_reach_program)
{
  subproc_t *cmd = test_helper_cmd ("fds", NULL);
  subproc_set_pre_exec_hook (cmd, hook_opens_fds, NULL);
  char *out = NULL;
  subproc_set_output_buffer (cmd, &out);
  test_run_ok (cmd);
  subproc_free (cmd);
  ck_assert_str_eq (out, "100\n");
  free (out);
}
END_TEST

/* ------------------------------------------------------------------ */

static Suite *
make_suite (void)
{
  Suite *s = suite_create ("fds");
  BOTH_PATHS (s, pass_fd);
  BOTH_PATHS (s, no_leak_into_child);
  BOTH_PATHS (s, input_fd);
  BOTH_PATHS (s, output_pipes);
  BOTH_PATHS (s, nonblocking);
  BOTH_PATHS (s, stdio_crosswise);
  BOTH_PATHS (s, parent_without_stdio);
  BOTH_PATHS (s, parent_fds_cloexec);
  TEST_CASE_WITH_TMPDIR (s, hook_fds_reach_program);
#if defined __linux__ && defined SYS_close_range && defined SYS_getdents64
  {
    TCase *tc = tcase_create ("close_fallbacks");
    TEST_ACCOUNTING (tc);
    tcase_add_checked_fixture (tc, test_tmpdir_setup, test_tmpdir_teardown);
    tcase_add_loop_test (tc, test_close_fallbacks, 0, 4);
    suite_add_tcase (s, tc);
    tc = tcase_create ("shared_table");
    TEST_ACCOUNTING (tc);
    tcase_add_checked_fixture (tc, test_tmpdir_setup, test_tmpdir_teardown);
    tcase_add_loop_test (tc, test_shared_table, 0, 2);
    suite_add_tcase (s, tc);
  }
#endif
  return s;
}

MAIN_SUITE (make_suite)
