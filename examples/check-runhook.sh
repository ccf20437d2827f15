#!/bin/sh
# check-runhook.sh: examples/runhook, the complete example of libvirt's
# guide to spawning commands, runs a hook with a clean environment and a
# formatted input.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later

. "$srcdir/examples/check-common.sh"

if [ -z "$wine" ]; then
  # The example hook of the distribution, a shell script.
  run_example runhook "$srcdir/examples/hooks" qemu guest1 started begin -
  expect_status 0
  # The hook's $0: the relative path made absolute by the library.
  grep -q '^hook /.*/examples/hooks/qemu called with: guest1 started begin -$' \
    "$tmpdir/out" || fail "the hook did not get its arguments"
  expect_line "stdin: <domain><name>guest1</name></domain>"
  # Only the common variables are passed, with LC_ALL=C.
  grep -q '^environment: .*LC_ALL=C' "$tmpdir/out" || fail "no LC_ALL=C"
  grep -q 'SUBPROC_TEST_HELPER' "$tmpdir/out" \
    && fail "the hook inherited the whole environment"
fi

# The helper child as the hook (this works under Wine too): HOOKDIR is
# its directory, DRIVER its name, and ID the subcommand; "echo" sends
# the input back.
hookdir=${helper%/*}
driver=${helper##*/}
run_example runhook "$hookdir" "$driver" echo started begin -
expect_status 0
expect_line "<domain><name>echo</name></domain>"

# "getenv NAME..." prints the value of each variable the hook got, or
# "(unset)": LC_ALL=C is set, our own variables are not passed.
run_example runhook "$hookdir" "$driver" getenv LC_ALL SUBPROC_TEST_HELPER -
expect_status 0
[ "$(sed -n 1p "$tmpdir/out")" = C ] || fail "no LC_ALL=C"
[ "$(sed -n 2p "$tmpdir/out")" = "(unset)" ] \
  || fail "the hook inherited the whole environment"

# A failing hook makes runhook fail, with a message.
run_example runhook "$hookdir" "$driver" exit 3 begin -
expect_status 1
grep -q 'status 3' "$tmpdir/err" || fail "no status in the message"
exit 0
