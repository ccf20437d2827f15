#!/bin/sh
# check-stream.sh: examples/stream prints every line of each command,
# prefixed with its name, on the stream it came on.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later

. "$srcdir/examples/check-common.sh"

# expect_err_line TEXT: the last run printed the line TEXT on its
# standard error.
expect_err_line () {
  tr -d '\r' <"$tmpdir/err" | grep -Fqx -- "$1" \
    || fail "no line '$1' in the error output"
}

# Two commands at once; a last line without a newline is a line too.
run_example stream one "$helper" interleave 2 \
  ";" two "$helper" print "no newline" ";" three "$helper" exit 3
expect_status 3
expect_line "one: out 0"
expect_line "one: out 1"
expect_err_line "one: err 0"
expect_err_line "one: err 1"
expect_line "two: no newline"
expect_line "one exited with status 0"
expect_line "two exited with status 0"
expect_line "three exited with status 3"
grep -q '^one: err' "$tmpdir/out" && fail "error output on the output"
grep -q '^one: out' "$tmpdir/err" && fail "output on the error output"

# A line longer than SUBPROC_SINK_LINE_MAX comes in pieces: printed as
# one line again, with one prefix.
run_example stream long "$helper" write-bytes 70000
expect_status 0
length=$(awk '/^long: /{ print length($0) }' "$tmpdir/out")
[ "$length" = 70006 ] || fail "the long line is not whole: '$length'"

# A sink that returns non-zero stops its command: -l 3 stops one that
# would write without end after three pieces of a line of 65536 bytes.
run_example stream -l 3 forever "$helper" write-forever ";" \
  other "$helper" print fine
expect_status 125
grep -q '^forever failed: ' "$tmpdir/out" || fail "no failure for -l"
# (Another command's line may come between two pieces: count the bytes.)
length=$(awk '/^forever: /{ n += length($0) - 9 } END { print n }' \
           "$tmpdir/out")
[ "$length" = 196608 ] || fail "not 3 pieces of 65536 bytes: '$length'"
expect_line "other: fine"

# A program that does not exist.
run_example stream gone "${path_prefix}$tmpdir/no-such-program"
expect_status 125
grep -q '^gone: .*no-such-program' "$tmpdir/out" \
  || fail "no message naming the program"

# Usage errors: no program after a name.
run_example stream alone
expect_status 125
exit 0
