## examples/local.mk: included from Makefile.am.
##
## Copyright (C) 2026 The libsubproc authors
## SPDX-License-Identifier: LGPL-2.1-or-later
##
## The example programs: built with the library (make), not installed,
## and run by make check through the scripts examples/check-*.sh, which
## give them a command to run (the helper child of the tests, so that
## they work under Wine too) and check what they print.  Each links the
## shared library (the DLL on Windows) as a program of the user's would.

examples_programs = \
	examples/runhook \
	examples/capture \
	examples/binary-input \
	examples/daemon \
	examples/timeout \
	examples/dryrun-test

noinst_PROGRAMS += $(examples_programs)

examples_runhook_SOURCES = examples/runhook.c
examples_capture_SOURCES = examples/capture.c
examples_binary_input_SOURCES = examples/binary-input.c
examples_daemon_SOURCES = examples/daemon.c
examples_timeout_SOURCES = examples/timeout.c
examples_dryrun_test_SOURCES = examples/dryrun-test.c

# No Check, no internals: the public header and the shared library only.
# The per-target CFLAGS also give each program objects of its own.
examples_runhook_CFLAGS = $(WARN_CFLAGS)
examples_capture_CFLAGS = $(WARN_CFLAGS)
examples_binary_input_CFLAGS = $(WARN_CFLAGS)
examples_daemon_CFLAGS = $(WARN_CFLAGS)
examples_timeout_CFLAGS = $(WARN_CFLAGS)
examples_dryrun_test_CFLAGS = $(WARN_CFLAGS)
examples_runhook_LDADD = lib/libsubproc.la
examples_capture_LDADD = lib/libsubproc.la
examples_binary_input_LDADD = lib/libsubproc.la
examples_daemon_LDADD = lib/libsubproc.la
examples_timeout_LDADD = lib/libsubproc.la
examples_dryrun_test_LDADD = lib/libsubproc.la

examples_tests = \
	examples/check-runhook.sh \
	examples/check-capture.sh \
	examples/check-binary-input.sh \
	examples/check-daemon.sh \
	examples/check-timeout.sh \
	examples/check-dryrun-test.sh

# The scripts run the helper child, built with the tests.
if ENABLE_TESTS
TESTS += $(examples_tests)
endif

# What the scripts need to run a program of the build: its suffix, Wine
# (empty natively), the prefix that turns a path into one a Windows
# program understands (Z: under Wine), and where the DLL is.
AM_TESTS_ENVIRONMENT += \
	SUBPROC_EXAMPLE_EXEEXT='$(EXEEXT)'; \
	SUBPROC_EXAMPLE_WINE='$(WINE)'; \
	SUBPROC_EXAMPLE_PATH_PREFIX='$(TEST_PATH_PREFIX)'; \
	SUBPROC_EXAMPLE_DLL_DIR='$(TEST_PATH_PREFIX)$(abs_top_builddir)/lib/.libs'; \
	export SUBPROC_EXAMPLE_EXEEXT SUBPROC_EXAMPLE_WINE; \
	export SUBPROC_EXAMPLE_PATH_PREFIX SUBPROC_EXAMPLE_DLL_DIR;

# The chapter about the examples, @included by doc/libsubproc.texi.
doc_libsubproc_TEXINFOS += doc/examples.texi

EXTRA_DIST += \
	examples/hooks/qemu \
	examples/check-common.sh \
	$(examples_tests)
