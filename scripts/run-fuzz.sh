#!/usr/bin/env bash
# run-fuzz.sh: build the libFuzzer targets and run each for a bounded time.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Usage: scripts/run-fuzz.sh [SECONDS]
#
# Runs every target of fuzz/ (make fuzz: clang, -fsanitize=fuzzer,
# address,undefined) for SECONDS (default 60) each, starting from its
# committed corpus fuzz/corpus/NAME.  New inputs go to a working corpus in the
# build directory, never into the source tree.  A crash, a sanitizer
# report, a timeout or a round-trip mismatch (the targets abort) fails the
# run; the input that did it is saved as BUILD/fuzz/crash-NAME-* and the
# end of the log is printed.  Prints the executions of each target.
#
# Environment: FUZZ_BUILD_DIR, a build directory (default _fuzz in the
# source tree; configured there if it has no Makefile); FUZZ_CC (default
# clang); FUZZ_TARGETS, the targets to run (default all); FUZZ_MAX_LEN
# (default 4096), the largest input tried.

set -euo pipefail

seconds=${1:-60}
case $seconds in
  ''|*[!0-9]*) echo "run-fuzz.sh: SECONDS must be a number" >&2; exit 2 ;;
esac
top=$(cd "$(dirname "$0")/.." && pwd)
build=${FUZZ_BUILD_DIR:-$top/_fuzz}
targets=${FUZZ_TARGETS:-tostring winquote batch utf8}
max_len=${FUZZ_MAX_LEN:-4096}
fuzz_cc=${FUZZ_CC:-clang}

mkdir -p "$build"
cd "$build"
if [ ! -f Makefile ]; then
  if [ ! -x "$top/configure" ]; then
    echo "run-fuzz.sh: run ./bootstrap first" >&2
    exit 2
  fi
  "$top/configure" -q --disable-tests
fi
make -s fuzz FUZZ_CC="$fuzz_cc"

status=0
total=0
for name in $targets; do
  prog=fuzz/fuzz-$name
  seeds=$top/fuzz/corpus/$name
  work=fuzz/work/$name
  log=fuzz/fuzz-$name.log
  if [ ! -x "$prog" ] || [ ! -d "$seeds" ]; then
    echo "run-fuzz.sh: no target or committed corpus for '$name'" >&2
    status=1
    continue
  fi
  mkdir -p "$work"
  rm -f fuzz/crash-"$name"-*
  start=$(date +%s)
  if "$prog" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -max_len="$max_len" -print_final_stats=1 \
       -artifact_prefix=fuzz/crash-"$name"- "$work" "$seeds" \
       >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
  fi
  end=$(date +%s)
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  execs=${execs:-0}
  total=$((total + execs))
  printf '%-10s %s: %s executions in %s s, corpus %s inputs\n' \
    "$name" "$result" "$execs" "$((end - start))" \
    "$(find "$work" -type f | wc -l)"
  if [ "$result" != ok ]; then
    tail -n 40 "$log"
    ls fuzz/crash-"$name"-* 2>/dev/null || true
  fi
done
printf 'fuzzing: %s executions in all\n' "$total"
exit "$status"
