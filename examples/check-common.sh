# check-common.sh: sourced by the examples' test scripts (check-*.sh).
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# make check runs each script from the top build directory, with the
# environment of AM_TESTS_ENVIRONMENT: SUBPROC_TEST_HELPER (the helper
# child, as the programs must name it), SUBPROC_EXAMPLE_EXEEXT,
# SUBPROC_EXAMPLE_WINE, SUBPROC_EXAMPLE_PATH_PREFIX and
# SUBPROC_EXAMPLE_DLL_DIR (examples/local.mk).  Exit status 77 is a skip.

set -u

exeext=${SUBPROC_EXAMPLE_EXEEXT-}
wine=${SUBPROC_EXAMPLE_WINE-}
# shellcheck disable=SC2034 # used by the scripts that source this one
path_prefix=${SUBPROC_EXAMPLE_PATH_PREFIX-}
helper=${SUBPROC_TEST_HELPER-}
: "${srcdir:=.}"

if [ -z "$helper" ]; then
  echo "SUBPROC_TEST_HELPER is not set: run this through make check" >&2
  exit 99
fi
if [ -n "$exeext" ] && [ -z "$wine" ]; then
  echo "Windows programs and no Wine to run them" >&2
  exit 77
fi
if [ -n "$wine" ]; then
  # Find the DLL next to the mingw runtime DLLs.
  WINEPATH="${SUBPROC_EXAMPLE_DLL_DIR-}${WINEPATH:+;$WINEPATH}"
  export WINEPATH
fi

tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/subproc-example.XXXXXX") || exit 99
trap 'rm -rf "$tmpdir"' EXIT

# run_example NAME ARGS...: run examples/NAME with ARGS; its standard
# output goes to $tmpdir/out (carriage returns removed: Windows programs
# write text with CRLF), its standard error to $tmpdir/err, and its exit
# status to $status.
run_example () {
  name=$1
  shift
  status=0
  $wine "examples/$name$exeext" "$@" >"$tmpdir/out.raw" 2>"$tmpdir/err" \
    || status=$?
  # 139 under Wine is Wine's own process dying of SIGSEGV (its loader
  # does, now and then, before the program runs); a crash of the Windows
  # program is reported as its exception code instead.  Run it once more.
  if [ -n "$wine" ] && [ "$status" -eq 139 ]; then
    echo "(Wine itself crashed; running examples/$name again)" >&2
    status=0
    $wine "examples/$name$exeext" "$@" >"$tmpdir/out.raw" \
      2>"$tmpdir/err" || status=$?
  fi
  tr -d '\r' <"$tmpdir/out.raw" >"$tmpdir/out"
  echo "--- examples/$name $* (exit status $status)"
  cat "$tmpdir/out"
  cat "$tmpdir/err" >&2
}

fail () {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_status N: the last run exited with N.
expect_status () {
  [ "$status" -eq "$1" ] || fail "exit status $status, expected $1"
}

# expect_line TEXT: the last run printed the line TEXT.
expect_line () {
  grep -Fqx -- "$1" "$tmpdir/out" || fail "no line '$1' in the output"
}
