## tools/local.mk: included from Makefile.am.
##
## Copyright (C) 2026 The libsubproc authors
## SPDX-License-Identifier: LGPL-2.1-or-later
##
## The subproc command (installed to bindir), its man page, its chapter
## of the manual and its test suite.

bin_PROGRAMS = tools/subproc
tools_subproc_SOURCES = tools/subproc.c tools/json.c tools/json.h
tools_subproc_CFLAGS = $(WARN_CFLAGS)
# The installed program links the shared library like any user of it,
# not statically like the test programs (AM_LDFLAGS).
tools_subproc_LDFLAGS =
tools_subproc_LDADD = lib/libsubproc.la
if SUBPROC_WIN32
# CommandLineToArgvW: the command line as UTF-16, converted to UTF-8.
tools_subproc_LDADD += -lshell32
endif

dist_man1_MANS = doc/subproc.1

# The chapter about the command, @included by doc/libsubproc.texi.
doc_libsubproc_TEXINFOS += doc/tool.texi

# Its suite, tests/tool, is registered in tests/local.mk with the others.
