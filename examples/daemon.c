/* daemon.c: start a daemon with a pid file, check on it, stop it.
 *
 * Copyright (C) 2026 The libsubproc authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 *   daemon start PIDFILE PROGRAM [ARG]...
 *   daemon status PIDFILE
 *   daemon stop PIDFILE
 *
 * "start" runs PROGRAM as a daemon, detached from the caller, and has the
 * library write the daemon's pid to PIDFILE before subproc_run returns.
 * The daemon keeps the pid file locked for as long as it lives, so
 * "start" refuses to run a second instance with the same pid file, and
 * "status" can tell whether the daemon still runs without trusting a pid
 * that may have been reused:
 *
 *   $ ./daemon start /tmp/sleep.pid sleep 600
 *   started, pid 12345
 *   $ ./daemon start /tmp/sleep.pid sleep 600
 *   daemon: cannot run 'sleep': writing the pid file failed: ...
 *   $ ./daemon status /tmp/sleep.pid
 *   running, pid 12345
 *   $ ./daemon stop /tmp/sleep.pid
 *   stopped, pid 12345
 *
 * POSIX: the daemon is started with a double fork and setsid, with "/" as
 * its working directory (use absolute paths in its arguments); the lock
 * is an fcntl write lock on the pid file.  Windows: the daemon is a
 * detached process out of the caller's job; the lock is the daemon's
 * open handle, which keeps the file from being opened for writing.
 *
 * Exit status: 0 on success; for "status", 0 if the daemon runs and 3 if
 * it does not (as for an init script); 1 on failure.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
# include <windows.h>
#else
# include <fcntl.h>
# include <signal.h>
# include <time.h>
# include <unistd.h>
#endif

#include <subproc.h>

/* Read the pid written by the library: decimal, then a newline.  Returns
   0 if the file does not hold one.  */
static long
read_pid (const char *pidfile)
{
  FILE *f = fopen (pidfile, "r");
  long pid = 0;

  if (f == NULL)
    return 0;
  if (fscanf (f, "%ld", &pid) != 1 || pid <= 0)
    pid = 0;
  fclose (f);
  return pid;
}

/* Whether a live process holds the pid file.  The file may exist while
   its daemon is long gone (the library never removes it), and its pid
   may now belong to another process: the lock is what tells.  */
static int
is_locked (const char *pidfile)
{
#ifdef _WIN32
  HANDLE h = CreateFileA (pidfile, GENERIC_WRITE, FILE_SHARE_READ, NULL,
                          OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
  if (h != INVALID_HANDLE_VALUE)
    {
      CloseHandle (h);
      return 0;
    }
  return GetLastError () == ERROR_SHARING_VIOLATION;
#else
  int fd = open (pidfile, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  /* F_GETLK asks who would prevent a write lock, without taking one.  */
  struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
  int locked = fcntl (fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
  close (fd);
  return locked;
#endif
}

static int
start (const char *pidfile, char **argv)
{
  subproc_t *cmd = subproc_new_args ((const char *const *) argv);
  subproc_daemonize (cmd);
  subproc_set_pid_file (cmd, pidfile);
  /* A daemon needs no buffers (they are refused) and gets the null
     device for its standard streams.  Give it a clean environment.  */
  subproc_add_env_pass_common (cmd);

  /* subproc_run returns once the daemon has executed PROGRAM or failed
     to: a failure of the daemon's setup, such as a pid file that another
     instance holds, is reported here.  */
  int ret = subproc_run (cmd, NULL);
  if (ret < 0)
    fprintf (stderr, "daemon: %s\n", subproc_get_error (cmd)->message);
  else
    printf ("started, pid %ld\n", read_pid (pidfile));
  subproc_free (cmd);
  return ret < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

static int
status (const char *pidfile)
{
  if (!is_locked (pidfile))
    {
      printf ("not running\n");
      return 3;
    }
  printf ("running, pid %ld\n", read_pid (pidfile));
  return EXIT_SUCCESS;
}

static int
stop (const char *pidfile)
{
  long pid = read_pid (pidfile);

  if (pid == 0 || !is_locked (pidfile))
    {
      printf ("not running\n");
      return EXIT_FAILURE;
    }
#ifdef _WIN32
  /* Windows has no polite request to end a process.  */
  HANDLE h = OpenProcess (PROCESS_TERMINATE | SYNCHRONIZE, FALSE,
                          (DWORD) pid);
  if (h == NULL || !TerminateProcess (h, 1)
      || WaitForSingleObject (h, 10000) != WAIT_OBJECT_0)
    {
      fprintf (stderr, "daemon: cannot stop pid %ld (error %lu)\n", pid,
               (unsigned long) GetLastError ());
      if (h)
        CloseHandle (h);
      return EXIT_FAILURE;
    }
  CloseHandle (h);
#else
  /* The daemon is not our child: we cannot wait for it.  Once it has
     exited, the kernel has released its lock; poll for that, for up to
     ten seconds.  */
  if (kill ((pid_t) pid, SIGTERM) < 0)
    {
      fprintf (stderr, "daemon: cannot stop pid %ld: %s\n", pid,
               strerror (errno));
      return EXIT_FAILURE;
    }
  for (int i = 0; is_locked (pidfile); i++)
    {
      if (i == 1000)
        {
          fprintf (stderr, "daemon: pid %ld did not stop\n", pid);
          return EXIT_FAILURE;
        }
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
    }
#endif
  /* The library never removes the pid file: that is the caller's job.  */
  remove (pidfile);
  printf ("stopped, pid %ld\n", pid);
  return EXIT_SUCCESS;
}

int
main (int argc, char **argv)
{
  if (argc >= 4 && strcmp (argv[1], "start") == 0)
    return start (argv[2], argv + 3);
  if (argc == 3 && strcmp (argv[1], "status") == 0)
    return status (argv[2]);
  if (argc == 3 && strcmp (argv[1], "stop") == 0)
    return stop (argv[2]);
  fprintf (stderr,
           "usage: %s start PIDFILE PROGRAM [ARG]...\n"
           "       %s status PIDFILE\n"
           "       %s stop PIDFILE\n", argv[0], argv[0], argv[0]);
  return EXIT_FAILURE;
}
