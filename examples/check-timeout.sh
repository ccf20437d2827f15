#!/bin/sh
# check-timeout.sh: examples/timeout stops a child that takes too long and
# passes on the status of one that does not.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later

. "$srcdir/examples/check-common.sh"

# Stopped after 200 ms, far from the minute it asked for.
run_example timeout 200 "$helper" sleep 60000
expect_status 124
grep -q 'did not finish within 200 ms' "$tmpdir/err" \
  || fail "no timeout message"

# Within the limit: the child's status, and its output reaches ours.
run_example timeout 60000 "$helper" print "hello"
expect_status 0
grep -q hello "$tmpdir/out" || fail "the child's output did not come through"
run_example timeout 60000 "$helper" exit 7
expect_status 7

# Death by a signal: 128 + N, as timeout(1) says (POSIX only).
if [ -z "$wine" ]; then
  run_example timeout 60000 "$helper" signal TERM
  expect_status 143
fi

run_example timeout 0 "$helper" exit 0
expect_status 125
exit 0
