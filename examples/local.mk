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
	examples/dryrun-test \
	examples/parallel \
	examples/stream \
	examples/poll-loop

# The GLib main loop example: where configure found GLib (the test of
# make bench), and on POSIX only.
if SUBPROC_POSIX
if BENCH_GLIB
examples_programs += examples/glib-loop
endif
endif

noinst_PROGRAMS += $(examples_programs)

examples_runhook_SOURCES = examples/runhook.c
examples_capture_SOURCES = examples/capture.c
examples_binary_input_SOURCES = examples/binary-input.c
examples_daemon_SOURCES = examples/daemon.c
examples_timeout_SOURCES = examples/timeout.c
examples_dryrun_test_SOURCES = examples/dryrun-test.c
examples_parallel_SOURCES = examples/parallel.c
examples_stream_SOURCES = examples/stream.c
examples_poll_loop_SOURCES = examples/poll-loop.c
examples_glib_loop_SOURCES = examples/glib-loop.c

# No Check, no internals: the public header and the shared library only.
# The per-target CFLAGS also give each program objects of its own.
examples_runhook_CFLAGS = $(WARN_CFLAGS)
examples_capture_CFLAGS = $(WARN_CFLAGS)
examples_binary_input_CFLAGS = $(WARN_CFLAGS)
examples_daemon_CFLAGS = $(WARN_CFLAGS)
examples_timeout_CFLAGS = $(WARN_CFLAGS)
examples_dryrun_test_CFLAGS = $(WARN_CFLAGS)
examples_parallel_CFLAGS = $(WARN_CFLAGS)
examples_stream_CFLAGS = $(WARN_CFLAGS)
examples_poll_loop_CFLAGS = $(WARN_CFLAGS)
examples_glib_loop_CFLAGS = $(WARN_CFLAGS) $(GLIB_CFLAGS)
examples_runhook_LDADD = lib/libsubproc.la
examples_capture_LDADD = lib/libsubproc.la
examples_binary_input_LDADD = lib/libsubproc.la
examples_daemon_LDADD = lib/libsubproc.la
examples_timeout_LDADD = lib/libsubproc.la
examples_dryrun_test_LDADD = lib/libsubproc.la
examples_parallel_LDADD = lib/libsubproc.la
examples_stream_LDADD = lib/libsubproc.la
examples_poll_loop_LDADD = lib/libsubproc.la
examples_glib_loop_LDADD = lib/libsubproc.la $(GLIB_LIBS)

examples_tests = \
	examples/check-runhook.sh \
	examples/check-capture.sh \
	examples/check-binary-input.sh \
	examples/check-daemon.sh \
	examples/check-timeout.sh \
	examples/check-dryrun-test.sh \
	examples/check-parallel.sh \
	examples/check-stream.sh \
	examples/check-poll-loop.sh \
	examples/check-glib-loop.sh

# The scripts run the helper child, built with the tests.
# check-glib-loop.sh skips itself where examples/glib-loop is not built.
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
