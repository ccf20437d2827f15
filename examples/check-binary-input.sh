#!/bin/sh
# check-binary-input.sh: examples/binary-input feeds and gets back every
# byte value, NUL included.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later

. "$srcdir/examples/check-common.sh"

# "echo" copies its input to its output, byte for byte.
run_example binary-input "$helper" echo
expect_status 0
expect_line "sent 1024 bytes, received 1024 bytes: identical"

# "consume" prints the number of bytes it read ("1024" and a newline):
# not the same bytes.
run_example binary-input "$helper" consume
expect_status 0
grep -Eqx 'sent 1024 bytes, received [56] bytes: different' "$tmpdir/out" \
  || fail "wrong report for consume"

# A failing filter: the error names the status and the error output.
run_example binary-input "$helper" err-exit "bad input" 1
expect_status 1
grep -q 'bad input' "$tmpdir/err" || fail "no error output in the message"
exit 0
