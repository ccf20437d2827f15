#!/bin/sh
# gnulib-import.sh: (re)import the gnulib modules libsubproc uses into
# gnulib/ (gnulib/lib, gnulib/m4).  The result is committed, so building
# from a clone needs only autoreconf; run this only to add or update a
# module, with Debian's gnulib package (/usr/bin/gnulib-tool) or a gnulib
# checkout (GNULIB_TOOL=/path/to/gnulib/gnulib-tool).
#
# Modules, and why each is here:
#   manywarnings           the list of GCC warnings gathered into WARN_CFLAGS
#                          (configure.ac leaves out the noisy ones)
#   warnings               gl_WARN_ADD: add a warning flag only if the
#                          compiler accepts it
#   lib-symbol-visibility  gl_VISIBILITY: CFLAG_VISIBILITY
#                          (-fvisibility=hidden) for the library's objects,
#                          so that only SUBPROC_API symbols are exported
#   valgrind-tests         gl_VALGRIND_TESTS: --enable-valgrind-tests runs
#                          make check under valgrind
#   regex                  regcomp / regexec for subproc_run_regex
#                          (lib/parse.c) where the system has no regex.h
#                          (mingw-w64) or no GNU regex (musl); with glibc
#                          configure keeps the system's and libgnu
#                          carries only the small helpers regex.h needs
#
# regex is the one module with C sources.  Only lib/parse.c is built with
# gnulib/lib in its include path (Makefile.am), and libgnu's objects are
# compiled hidden, so that no gnulib symbol is exported by the library.
# Never add a module that can exit the process (xalloc, error, ...): the
# library must only report.  The import also writes gnulib/tests/, which
# is not used: remove it.

set -eu

cd "$(dirname "$0")/.."

${GNULIB_TOOL:-gnulib-tool} --import \
  --dir=. \
  --lib=libgnu \
  --source-base=gnulib/lib \
  --m4-base=gnulib/m4 \
  --doc-base=gnulib/doc \
  --tests-base=gnulib/tests \
  --aux-dir=build-aux \
  --lgpl=2 \
  --libtool \
  --macro-prefix=gl \
  --makefile-name=gnulib.mk \
  --automake-subdir \
  --no-conditional-dependencies \
  --no-vc-files \
  manywarnings \
  warnings \
  lib-symbol-visibility \
  valgrind-tests \
  regex

rm -rf gnulib/tests
