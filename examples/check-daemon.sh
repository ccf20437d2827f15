#!/bin/sh
# check-daemon.sh: examples/daemon starts a daemon with a pid file,
# refuses a second instance, sees it run, stops it.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later

. "$srcdir/examples/check-common.sh"

pidfile=$path_prefix$tmpdir/helper.pid

# Stop the daemon whatever happens below.
cleanup () {
  if [ -f "$tmpdir/helper.pid" ]; then
    $wine "examples/daemon$exeext" stop "$pidfile" >/dev/null 2>&1 || true
  fi
  rm -rf "$tmpdir"
}
trap cleanup EXIT

run_example daemon status "$pidfile"
expect_status 3
expect_line "not running"

run_example daemon start "$pidfile" "$helper" sleep-forever
expect_status 0
pid=$(sed -n 's/^started, pid \([0-9][0-9]*\)$/\1/p' "$tmpdir/out")
[ -n "$pid" ] && [ "$pid" -gt 0 ] || fail "no pid printed"
[ "$(tr -d '\r\n' <"$tmpdir/helper.pid")" = "$pid" ] \
  || fail "the pid file does not hold $pid"

run_example daemon status "$pidfile"
expect_status 0
expect_line "running, pid $pid"

# The daemon holds the pid file: a second instance does not start.
run_example daemon start "$pidfile" "$helper" sleep-forever
expect_status 1
[ -s "$tmpdir/err" ] || fail "no message for the second instance"
[ "$(tr -d '\r\n' <"$tmpdir/helper.pid")" = "$pid" ] \
  || fail "the second instance changed the pid file"

run_example daemon stop "$pidfile"
expect_status 0
expect_line "stopped, pid $pid"
[ -f "$tmpdir/helper.pid" ] && fail "the pid file is still there"

run_example daemon status "$pidfile"
expect_status 3
exit 0
