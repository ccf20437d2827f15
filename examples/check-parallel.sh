#!/bin/sh
# check-parallel.sh: examples/parallel runs commands a few at a time,
# prints each one's output whole, and exits with the worst status.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later

. "$srcdir/examples/check-common.sh"

# line_of TEXT: the number of the first output line that starts with
# TEXT (empty if none).
line_of () {
  grep -Fn -- "$1" "$tmpdir/out" | sed -n '1s/:.*//p'
}

# Three commands, two at a time.
run_example parallel -j 2 "$helper" interleave 2 \
  ";" "$helper" err-exit "it went wrong" 3 ";" "$helper" print last
expect_status 3
expect_line "job 1: exit status 0"
expect_line "job 2: exit status 3"
expect_line "job 3: exit status 0"
expect_line "it went wrong"
expect_line "last"
# The output of job 1, both streams, comes whole under its header.
n=$(sed -n '/^job 1: /,/^job [23]: /p' "$tmpdir/out" \
      | grep -c -e '^out [01]$' -e '^err [01]$')
[ "$n" -eq 4 ] || fail "job 1's output is not whole under its header"

# More commands than slots: every one runs, the worst status wins.
run_example parallel -j 2 "$helper" exit 1 ";" "$helper" exit 5 \
  ";" "$helper" exit 2 ";" "$helper" exit 0 ";" "$helper" exit 3
expect_status 5
for i in 1 2 3 4 5; do
  [ -n "$(line_of "job $i: exit status")" ] || fail "job $i did not end"
done

# -j 1: a command starts once the one before it has ended.
run_example parallel -j 1 -v "$helper" print a ";" "$helper" print b
expect_status 0
[ "$(line_of 'job 1: exit status')" -lt "$(line_of 'job 2 started')" ] \
  || fail "job 2 started before job 1 ended with -j 1"
# -j 2: both start before either is collected.
run_example parallel -j 2 -v "$helper" print a ";" "$helper" print b
expect_status 0
[ "$(line_of 'job 2 started')" -lt "$(line_of 'job 1: exit status')" ] \
  || fail "job 2 did not start at once with -j 2"

# Output larger than a pipe holds: all of it, once the command ends.
run_example parallel "$helper" write-bytes 200000
expect_status 0
size=$(wc -c <"$tmpdir/out")
# The header (21 bytes), the bytes, the newline the program adds.
[ "$size" -eq 200022 ] || fail "$size bytes printed, not 200022"

# A program that does not exist: reported, the others still run.
run_example parallel "${path_prefix}$tmpdir/no-such-program" \
  ";" "$helper" exit 4
expect_status 125
grep -q '^job 1: .*no-such-program' "$tmpdir/out" \
  || fail "no message naming the program"
expect_line "job 2: exit status 4"

# Death by a signal is a failed run (POSIX only).
if [ -z "$wine" ]; then
  run_example parallel "$helper" signal TERM
  expect_status 125
  grep -q '^job 1: ' "$tmpdir/out" || fail "no message for the signal"
fi

# Usage errors.
run_example parallel
expect_status 125
run_example parallel "$helper" exit 0 ";"
expect_status 125
run_example parallel -j 0 "$helper" exit 0
expect_status 125
exit 0
