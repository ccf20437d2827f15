#!/bin/sh
# check-capture.sh: examples/capture collects both streams apart, and
# follows the child's exit status.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later

. "$srcdir/examples/check-common.sh"

# "interleave 2": out 0, err 0, out 1, err 1 on stdout and stderr.
run_example capture "$helper" interleave 2
expect_status 0
expect_line "exit status: 0"
expect_line "output (12 bytes):"
expect_line "error output (12 bytes):"
# Each stream in its own buffer, in order.
sed -n '/^output/,/^error output/p' "$tmpdir/out" | grep -q '^err [0-9]' \
  && fail "error output in the output buffer"
sed -n '/^error output/,$p' "$tmpdir/out" | grep -q '^out [0-9]' \
  && fail "output in the error buffer"
expect_line "out 1"
expect_line "err 1"

# A non-zero exit is not an error with a status pointer: the status is
# printed and passed on, with the error output.
run_example capture "$helper" err-exit "it went wrong" 3
expect_status 3
expect_line "exit status: 3"
expect_line "it went wrong"

# A program that does not exist: 125 and a message naming it.
run_example capture "${path_prefix}$tmpdir/no-such-program"
expect_status 125
grep -q 'no-such-program' "$tmpdir/err" || fail "no program in the message"
exit 0
