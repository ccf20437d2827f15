## tests/local.mk: included from Makefile.am.
##
## Copyright (C) 2026 The libsubproc authors
## SPDX-License-Identifier: LGPL-2.1-or-later
##
## Every Check suite of the project, registered here and nowhere else:
## one program per area, each built from tests/NAME.c and linked with
## tests/common.c, the internal convenience library and Check.  To add a
## suite, add tests/NAME to the list of the platforms it runs on.  (The
## other parts' fragments add tests of their own kind to TESTS: the
## example scripts, the documentation-coverage script, the fuzz replays.)

# Suites for every platform ("basic" first).  Many commands at once
# driven by subproc_poll or the caller's own loop (tests/many), output as
# it arrives (tests/sinks).  The library under faults
# and load: every allocation failing in turn (tests/oom), a storm of
# spawns from many threads (tests/storm), the caller's calls against the
# library's I/O thread at a deadline (tests/race); the hostile-input
# matrix (tests/hostile), its platform-specific rows chosen inside; a
# child started inside a cgroup (tests/cgroup: Linux, elsewhere the
# report that the platform cannot); the
# subproc command (tests/tool), run with the helper child as PROGRAM;
# resource limits and the report of the one that ended a child
# (tests/limits).
subproc_tests = \
	tests/basic \
	tests/args \
	tests/env \
	tests/childopts \
	tests/errors \
	tests/tostring \
	tests/text \
	tests/dryrun \
	tests/capture \
	tests/inout \
	tests/rerun \
	tests/waits \
	tests/many \
	tests/sinks \
	tests/oom \
	tests/storm \
	tests/race \
	tests/hostile \
	tests/security \
	tests/limits \
	tests/remap \
	tests/cgroup \
	tests/tool \
	tests/usage

# Suites for the POSIX backend only; tests/signals: the caller's signal
# dispositions and a signal storm.
subproc_posix_tests = \
	tests/spawn \
	tests/fds \
	tests/process \
	tests/daemon \
	tests/privs \
	tests/cancel \
	tests/signals

# Suites for the Win32 backend only.
subproc_win32_tests = \
	tests/win32-quote \
	tests/win32-spawn

if ENABLE_TESTS
check_PROGRAMS += $(subproc_tests) tests/subproc-helper
check_LTLIBRARIES += tests/libtest.la
TESTS += $(subproc_tests)
if SUBPROC_POSIX
check_PROGRAMS += $(subproc_posix_tests)
TESTS += $(subproc_posix_tests)
endif
if SUBPROC_WIN32
check_PROGRAMS += $(subproc_win32_tests)
TESTS += $(subproc_win32_tests)
endif
endif

tests_libtest_la_SOURCES = tests/common.h tests/common.c
LDADD = tests/libtest.la lib/libsubproc-core.la $(CHECK_LIBS) $(PTHREAD_LIBS)

# The helper child that the tests spawn: a plain program of its own, not
# in TESTS.
tests_subproc_helper_SOURCES = tests/helper.c
if SUBPROC_WIN32
tests_subproc_helper_SOURCES += tests/helper-win32.c
endif
tests_subproc_helper_CFLAGS = $(WARN_CFLAGS)
tests_subproc_helper_LDADD =

# On Windows the tests run under Wine, which is found by configure when
# cross-compiling ($(WINE) is empty otherwise).  --enable-valgrind-tests
# sets $(VALGRIND) for native runs.
LOG_COMPILER = $(WINE) $(VALGRIND)

# SUBPROC_TEST_HELPER: the helper child; SUBPROC_TEST_SRCDIR: tests/ in
# the source tree.  For Windows programs under Wine, these are given as
# Z:/... paths.  A test that hangs is killed by Check after
# CK_DEFAULT_TIMEOUT seconds (not under Windows, where Check cannot fork).
AM_TESTS_ENVIRONMENT = \
	SUBPROC_TEST_HELPER='$(TEST_PATH_PREFIX)$(abs_top_builddir)/tests/subproc-helper$(EXEEXT)'; \
	SUBPROC_TEST_SRCDIR='$(TEST_PATH_PREFIX)$(abs_top_srcdir)/tests'; \
	CK_DEFAULT_TIMEOUT=120; \
	LANG=C.UTF-8; \
	LC_ALL=C.UTF-8; \
	SUBPROC_TEST_VALGRIND='$(VALGRIND)'; \
	export SUBPROC_TEST_HELPER SUBPROC_TEST_SRCDIR CK_DEFAULT_TIMEOUT; \
	export SUBPROC_TEST_VALGRIND; \
	export LANG LC_ALL;
if SUBPROC_WIN32
# No winedbg on a crash (slow, noisy, and it can turn the exit status to
# 0); keep DLL load errors visible; find the mingw runtime DLLs should a
# program need one; no Mono or Gecko prompt if make check creates the
# Wine prefix.
AM_TESTS_ENVIRONMENT += \
	WINEDLLOVERRIDES='winedbg.exe=d;mscoree,mshtml='; \
	WINEDEBUG='-all,err+module'; \
	WINEPATH='$(MINGW_RUNTIME_PATH)'; \
	export WINEDLLOVERRIDES WINEDEBUG WINEPATH;
endif

# SUBPROC_TEST_TOOL: the subproc command, for tests/tool.
AM_TESTS_ENVIRONMENT += \
	SUBPROC_TEST_TOOL='$(TEST_PATH_PREFIX)$(abs_top_builddir)/tools/subproc$(EXEEXT)'; \
	export SUBPROC_TEST_TOOL;

# make check-storm: the storm alone (make check runs it too, on every
# platform).  Under Wine it once failed now and then: CreateProcessW
# called from several threads at once sometimes fails there with
# ERROR_INTERNAL_ERROR, and a child's last output could be dropped when
# the I/O threads were slow to run; src/win32/spawn.c (create_process)
# and src/win32/io.c (sp_backend_io_wait) deal with both.
check-storm:
	$(AM_V_at)$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/storm$(EXEEXT)'

# make check-oom: the allocation-failure suite alone, with its summary
# (allocation sites failed per case).  make check runs it too.  Run it in a
# build configured with -fsanitize=address (LeakSanitizer finds what a
# failure leaked), or give VALGRIND='valgrind -q --error-exitcode=1
# --leak-check=full --errors-for-leak-kinds=definite'.
check-oom:
	$(AM_V_at)rc=0; \
	$(MAKE) $(AM_MAKEFLAGS) check TESTS='tests/oom$(EXEEXT)' || rc=$$?; \
	grep -h -e '^oom ' -e '^[0-9]*%: Checks:' -e ':[FE]:' tests/oom.log; \
	exit $$rc

.PHONY: check-oom check-storm
