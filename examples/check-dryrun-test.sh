#!/bin/sh
# check-dryrun-test.sh: examples/dryrun-test, a unit test of its own.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later

. "$srcdir/examples/check-common.sh"

run_example dryrun-test
expect_status 0
expect_line "all checks passed"
exit 0
