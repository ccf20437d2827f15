#!/bin/sh
# check-glib-loop.sh: examples/glib-loop runs commands from a GLib main
# loop (built where configure found GLib, on POSIX).
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later

. "$srcdir/examples/check-common.sh"

if [ ! -x "examples/glib-loop$exeext" ]; then
  echo "examples/glib-loop was not built (no GLib, or not POSIX)"
  exit 77
fi

run_example glib-loop "$helper" interleave 2 \
  ";" "$helper" print "no newline" ";" "$helper" exit 3
expect_status 3
expect_line "1: out 0"
expect_line "1: out 1"
grep -Fqx "1: err 1" "$tmpdir/err" || fail "no error output line"
expect_line "2: no newline"
expect_line "1: exit status 0"
expect_line "2: exit status 0"
expect_line "3: exit status 3"

# Output larger than a pipe holds, line by line.
run_example glib-loop "$helper" write-bytes 200000
expect_status 0
length=$(awk '/^1: abc/{ print length($0) }' "$tmpdir/out")
[ "$length" = 200003 ] || fail "the output is not whole: '$length'"

# The ready time of a source: the timeout, with no descriptor ready.
run_example glib-loop -t 300 "$helper" sleep 60000 ";" "$helper" print quick
expect_status 125
grep -q '^1: .*did not finish within 300 ms' "$tmpdir/out" \
  || fail "no timeout message"
expect_line "2: quick"

run_example glib-loop "$tmpdir/no-such-program" ";" "$helper" exit 4
expect_status 125
grep -q '^1: .*no-such-program' "$tmpdir/out" \
  || fail "no message naming the program"
expect_line "2: exit status 4"
exit 0
