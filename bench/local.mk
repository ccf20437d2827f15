## bench/local.mk: included from Makefile.am.
##
## make bench: builds bench/bench and its two children on demand (never by
## make all or make check) and runs it; BENCH_ARGS adds options, e.g.
##   make bench BENCH_ARGS=--smoke            (seconds, for CI)
##   make bench BENCH_ARGS='--big-mb 512 --json /tmp/r.json'
## The peers (GLib, libuv, libpipeline) are used when configure found
## them; the benchmark says which ones it skipped.

EXTRA_PROGRAMS = bench/bench bench/child-dynamic

# The parts of the program (bench/main.c says what each holds): the
# methods, the measurement, one file per figure family, the report.
bench_bench_SOURCES = \
	bench/bench.h \
	bench/main.c \
	bench/methods.c \
	bench/measure.c \
	bench/fig-spawn.c \
	bench/fig-fds.c \
	bench/fig-capture.c \
	bench/fig-threads.c \
	bench/fig-many.c \
	bench/fig-usage.c \
	bench/report.c
bench_bench_CPPFLAGS = $(AM_CPPFLAGS)
bench_bench_CFLAGS = $(WARN_CFLAGS) $(PTHREAD_CFLAGS)
bench_bench_LDADD = lib/libsubproc-core.la $(PTHREAD_LIBS)
if BENCH_GLIB
bench_bench_CPPFLAGS += -DBENCH_HAVE_GLIB
bench_bench_CFLAGS += $(GLIB_CFLAGS)
bench_bench_LDADD += $(GLIB_LIBS)
endif
if BENCH_LIBUV
bench_bench_CPPFLAGS += -DBENCH_HAVE_LIBUV
bench_bench_CFLAGS += $(LIBUV_CFLAGS)
bench_bench_LDADD += $(LIBUV_LIBS)
endif
if BENCH_LIBPIPELINE
bench_bench_CPPFLAGS += -DBENCH_HAVE_LIBPIPELINE \
	-DBENCH_LIBPIPELINE_VERSION='"$(LIBPIPELINE_VERSION)"'
bench_bench_CFLAGS += $(LIBPIPELINE_CFLAGS)
bench_bench_LDADD += $(LIBPIPELINE_LIBS)
endif

# The dynamically linked child: an ordinary program.
bench_child_dynamic_SOURCES = bench/child.c
bench_child_dynamic_CFLAGS = $(WARN_CFLAGS)
bench_child_dynamic_LDADD =

# The static child, with no C library where the architecture allows
# (x86-64, AArch64), else static with the C library, else dynamic.  Built
# with flags of its own: the user's CFLAGS (sanitizers, coverage) cannot
# apply to a program without a C library.
BENCH_CHILD_FREESTANDING_FLAGS = -O2 -static -nostdlib -nostartfiles \
	-ffreestanding -fno-stack-protector -fno-asynchronous-unwind-tables \
	-fno-pie -no-pie -DBENCH_CHILD_FREESTANDING
bench/child-static$(EXEEXT): bench/child.c
	$(AM_V_CCLD)$(MKDIR_P) bench && \
	if $(CC) $(BENCH_CHILD_FREESTANDING_FLAGS) -o $@ \
	     $(srcdir)/bench/child.c 2>/dev/null; then :; \
	elif $(CC) -O2 -static -DBENCH_CHILD_STATIC -o $@ \
	     $(srcdir)/bench/child.c 2>/dev/null; then :; \
	else $(CC) -O2 -o $@ $(srcdir)/bench/child.c; fi

if SUBPROC_POSIX
bench: bench/bench$(EXEEXT) bench/child-static$(EXEEXT) \
	bench/child-dynamic$(EXEEXT)
	bench/bench$(EXEEXT) --child-dir bench --json bench/results.json \
	  $(BENCH_ARGS)
else
bench:
	@echo "make bench: the benchmark needs the POSIX backend"
endif
.PHONY: bench

CLEANFILES += bench/bench$(EXEEXT) bench/child-dynamic$(EXEEXT) \
	bench/child-static$(EXEEXT) bench/results.json
