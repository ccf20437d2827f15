## fuzz/local.mk: included from Makefile.am.
##
## Copyright (C) 2026 The libsubproc authors
## SPDX-License-Identifier: LGPL-2.1-or-later
##
## The fuzz targets (fuzz/*.c, one LLVMFuzzerTestOneInput each), built two
## ways:
##  - make fuzz: libFuzzer programs fuzz/fuzz-NAME, compiled by
##    $(FUZZ_CC) (clang) with the library sources they exercise, under
##    ASan and UBSan.  Outside automake's program machinery, since the
##    compiler is not $(CC).  scripts/run-fuzz.sh builds and runs them.
##  - make check: fuzz/replay-NAME, the same target with fuzz/replay.c
##    for a main, built by $(CC), replays the committed corpus
##    fuzz/corpus/NAME (natively and under Wine).

fuzz_names = tostring winquote batch utf8

# The sources of each target, besides the target itself.
fuzz_common_sources = fuzz/fuzz.h fuzz/common.c
fuzz_crt_sources = fuzz/crt-model.h fuzz/crt-model.c
fuzz_tostring_lib = $(subproc_frontend_sources)
if SUBPROC_POSIX
fuzz_tostring_lib += $(subproc_posix_sources)
endif
if SUBPROC_WIN32
fuzz_tostring_lib += $(subproc_win32_sources)
endif
fuzz_winquote_lib = src/win32/win32.h src/win32/quote.c
fuzz_utf8_lib = src/win32/win32.h src/win32/utf8.c lib/alloc.c

EXTRA_DIST += fuzz/corpus scripts/run-fuzz.sh

## ------------------------------------------------------------------
## make check: replay the committed corpus.

fuzz_replay_programs = \
	fuzz/replay-tostring \
	fuzz/replay-winquote \
	fuzz/replay-batch \
	fuzz/replay-utf8

if ENABLE_TESTS
check_PROGRAMS += $(fuzz_replay_programs)
TESTS += $(fuzz_replay_programs)
endif

fuzz_replay_tostring_SOURCES = fuzz/replay.c fuzz/tostring.c \
	$(fuzz_common_sources)
fuzz_replay_tostring_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"tostring"'
fuzz_replay_tostring_LDADD = lib/libsubproc-core.la $(PTHREAD_LIBS)

# The Win32 quoting and UTF-8 code is pure C: compiled into the replay
# programs on every platform (and not taken from the library, which on
# POSIX does not have it).
fuzz_replay_winquote_SOURCES = fuzz/replay.c fuzz/winquote.c \
	$(fuzz_common_sources) $(fuzz_crt_sources) $(fuzz_winquote_lib)
fuzz_replay_winquote_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"winquote"'
fuzz_replay_winquote_LDADD =

fuzz_replay_batch_SOURCES = fuzz/replay.c fuzz/batch.c \
	$(fuzz_common_sources) $(fuzz_crt_sources) $(fuzz_winquote_lib)
fuzz_replay_batch_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"batch"'
fuzz_replay_batch_LDADD =

fuzz_replay_utf8_SOURCES = fuzz/replay.c fuzz/utf8.c \
	$(fuzz_common_sources) $(fuzz_utf8_lib)
fuzz_replay_utf8_CPPFLAGS = $(AM_CPPFLAGS) -DFUZZ_NAME='"utf8"'
fuzz_replay_utf8_LDADD =

## ------------------------------------------------------------------
## make fuzz: the libFuzzer programs.

FUZZ_CC = clang
FUZZ_CFLAGS = -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
FUZZ_CPPFLAGS = $(DEFS) -I$(top_builddir) -I$(top_builddir)/lib \
	-I$(top_srcdir)/lib \
	$(SUBPROC_PLATFORM_CPPFLAGS) $(SUBPROC_LIB_CPPFLAGS)
fuzz_programs = \
	fuzz/fuzz-tostring \
	fuzz/fuzz-winquote \
	fuzz/fuzz-batch \
	fuzz/fuzz-utf8
CLEANFILES += $(fuzz_programs)

fuzz_tostring_all = fuzz/tostring.c $(fuzz_common_sources) \
	$(fuzz_tostring_lib)
fuzz_winquote_all = fuzz/winquote.c $(fuzz_common_sources) \
	$(fuzz_crt_sources) $(fuzz_winquote_lib)
fuzz_batch_all = fuzz/batch.c $(fuzz_common_sources) \
	$(fuzz_crt_sources) $(fuzz_winquote_lib)
fuzz_utf8_all = fuzz/utf8.c $(fuzz_common_sources) $(fuzz_utf8_lib)

# One compiler run per program, from the .c files of its list.
fuzz_link = $(MKDIR_P) fuzz && \
	srcs=; for f in $$list; do \
	  case $$f in *.c) srcs="$$srcs $(srcdir)/$$f" ;; esac; \
	done; \
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CPPFLAGS) -o $@ $$srcs

fuzz/fuzz-tostring: $(fuzz_tostring_all) config.h
	$(AM_V_CCLD)list='$(fuzz_tostring_all)'; \
	$(fuzz_link) $(CAPNG_LIBS) $(PTHREAD_LIBS)
fuzz/fuzz-winquote: $(fuzz_winquote_all) config.h
	$(AM_V_CCLD)list='$(fuzz_winquote_all)'; $(fuzz_link)
fuzz/fuzz-batch: $(fuzz_batch_all) config.h
	$(AM_V_CCLD)list='$(fuzz_batch_all)'; $(fuzz_link)
fuzz/fuzz-utf8: $(fuzz_utf8_all) config.h
	$(AM_V_CCLD)list='$(fuzz_utf8_all)'; $(fuzz_link)

fuzz: $(fuzz_programs)
.PHONY: fuzz
