#!/bin/sh
# check-poll-loop.sh: examples/poll-loop drives several commands from a
# poll loop of its own (WaitForMultipleObjects on Windows).
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later

. "$srcdir/examples/check-common.sh"

run_example poll-loop "$helper" interleave 2 \
  ";" "$helper" err-exit "it went wrong" 3 ";" "$helper" print last
expect_status 3
expect_line "command 1: exit status 0"
expect_line "command 2: exit status 3"
expect_line "command 3: exit status 0"
expect_line "out 1"
expect_line "err 1"
expect_line "it went wrong"
expect_line "last"

# Input larger than a pipe holds, to two commands at once, and output
# as large from one of them.
run_example poll-loop -i abcdefgh -n 100000 "$helper" consume \
  ";" "$helper" echo
expect_status 0
expect_line "800000"
length=$(awk '/^abcdefgh/{ print length($0) }' "$tmpdir/out")
[ "$length" = 800000 ] || fail "the echo is not whole: '$length'"

# A time limit: the loop wakes up for it with no descriptor ready.
run_example poll-loop -t 300 "$helper" sleep 60000 ";" "$helper" print quick
expect_status 125
grep -q '^command 1: .*did not finish within 300 ms' "$tmpdir/out" \
  || fail "no timeout message"
expect_line "command 2: exit status 0"
expect_line "quick"

# The same with epoll (Linux), whose set keeps descriptors between
# waits: the loop takes a command's out before each advance.
if [ -z "$wine" ] && [ "$(uname -s)" = Linux ]; then
  run_example poll-loop -e -i abcdefgh -n 100000 "$helper" consume \
    ";" "$helper" echo ";" "$helper" interleave 3
  expect_status 0
  expect_line "800000"
  length=$(awk '/^abcdefgh/{ print length($0) }' "$tmpdir/out")
  [ "$length" = 800000 ] || fail "the echo is not whole with -e: '$length'"
  expect_line "err 2"
  grep -q 'epoll_ctl' "$tmpdir/err" && fail "epoll_ctl failed"
  run_example poll-loop -e -t 300 "$helper" sleep 60000
  expect_status 125
  grep -q '^command 1: .*did not finish within 300 ms' "$tmpdir/out" \
    || fail "no timeout message with -e"
else
  run_example poll-loop -e "$helper" exit 0
  expect_status 125
fi

run_example poll-loop "${path_prefix}$tmpdir/no-such-program" \
  ";" "$helper" exit 4
expect_status 125
grep -q '^command 1: .*no-such-program' "$tmpdir/out" \
  || fail "no message naming the program"
expect_line "command 2: exit status 4"
exit 0
