#!/bin/sh
# check-abi.sh: compare the ABI of a built libsubproc with the baseline.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   scripts/check-abi.sh BUILDDIR            check (make check-abi)
#   scripts/check-abi.sh --update BUILDDIR   make BUILDDIR's library the
#                                            new baseline
#
# abi/libsubproc.abi is the ABI of the public interface (what
# lib/subproc.h declares; private types are dropped), written by abidw
# from the library built at the -version-info recorded in
# abi/version-info.  The check runs abidiff between that baseline and the
# shared library of BUILDDIR (a native build, with debug information:
# the default CFLAGS have -g), and compares the -version-info of
# Makefile.am with the baseline's, as libtool's rules want it:
#
#   no ABI change             any -version-info (a revision bump is usual)
#   compatible change         current and age both increased by the same
#   (interfaces added only)   amount (the soname stays)
#   incompatible change       current increased and age reset to 0 (the
#   (anything removed or      soname changes)
#   changed)
#
# Exit status: 0 if the ABI and -version-info agree, 1 if not (abidiff's
# report is printed), 2 on a usage or tool error, 77 if BUILDDIR is not a
# build of the ELF shared library (the mingw build).
#
# Needs abidw and abidiff (Debian: abigail-tools).  Update the baseline
# at a release, once -version-info was bumped: the check then passes
# again with no change.

set -eu

update=no
if [ "${1-}" = --update ]; then
  update=yes
  shift
fi
if [ $# -ne 1 ]; then
  echo "usage: $0 [--update] BUILDDIR" >&2
  exit 2
fi
builddir=$(cd "$1" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
baseline=$top/abi/libsubproc.abi
baseline_version=$top/abi/version-info
header=$top/lib/subproc.h

for tool in abidw abidiff readelf; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "$0: $tool not found (Debian: apt-get install abigail-tools binutils)" >&2
    exit 2
  fi
done

la=$builddir/lib/libsubproc.la
if [ ! -f "$la" ]; then
  echo "$0: $la not found: build the library first" >&2
  exit 2
fi
library_names=$(sed -n "s/^library_names='\(.*\)'\$/\1/p" "$la")
case $library_names in
  *.so*) ;;
  *) echo "$0: $builddir does not build an ELF shared library: skipped"
     exit 77 ;;
esac
lib=$builddir/lib/.libs/${library_names%% *}
if ! readelf -S "$lib" | grep -q '\.debug_info'; then
  echo "$0: $lib has no debug information: build with -g" >&2
  exit 2
fi

# -version-info current:revision:age of Makefile.am, and of the baseline.
version_info=$(sed -n 's/.*-version-info \([0-9]*:[0-9]*:[0-9]*\).*/\1/p' \
                 "$top/Makefile.am")
if [ -z "$version_info" ]; then
  echo "$0: no -version-info in $top/Makefile.am" >&2
  exit 2
fi
IFS=: read -r cur rev age <<EOF2
$version_info
EOF2

# The library must be the one Makefile.am describes (not a stale build).
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
if [ "$soname" != "libsubproc.so.$((cur - age))" ]; then
  echo "$0: $lib has soname $soname but Makefile.am says" \
    "-version-info $version_info: rebuild" >&2
  exit 2
fi

dump () {
  # Locations and paths depend on where the tree was built: leave them out.
  abidw --header-file "$header" --drop-private-types --no-corpus-path \
    --no-comp-dir-path --no-show-locs "$lib" \
    | sed "s#\(<abi-instr [^>]*path='\)[^']*/\(lib/\|src/\)#\1\2#"
}

if [ $update = yes ]; then
  dump >"$baseline.tmp"
  mv "$baseline.tmp" "$baseline"
  echo "$version_info" >"$baseline_version"
  echo "abi/libsubproc.abi updated from $lib at -version-info $version_info"
  exit 0
fi

if [ ! -f "$baseline" ] || [ ! -f "$baseline_version" ]; then
  echo "$0: no baseline in $top/abi: run $0 --update BUILDDIR" >&2
  exit 2
fi
base_info=$(cat "$baseline_version")
IFS=: read -r base_cur base_rev base_age <<EOF2
$base_info
EOF2

status=0
report=$(abidiff --hf2 "$header" --drop-private-types "$baseline" "$lib") \
  || status=$?
if [ $((status & 3)) -ne 0 ]; then
  echo "$0: abidiff failed (exit status $status):" >&2
  echo "$report" >&2
  exit 2
fi

# abidiff flags as incompatible (8) only some changes, such as removed
# symbols; a changed parameter or structure is an "ABI change" (4), as are
# added functions.  Only additions are compatible: anything removed or
# changed counts as incompatible.
if [ $((status & 4)) -ne 0 ] \
   && printf '%s\n' "$report" | grep -E '(^| )[1-9][0-9]* (Removed|Changed)' \
        >/dev/null; then
  status=$((status | 8))
fi

echo "ABI of $lib against abi/libsubproc.abi (-version-info $base_info):"
if [ $((status & 8)) -ne 0 ]; then
  echo "$report"
  if [ "$cur" -gt "$base_cur" ] && [ "$age" -eq 0 ]; then
    echo "incompatible change, and -version-info $version_info changes the" \
      "soname: fine"
    exit 0
  fi
  echo "FAIL: incompatible ABI change: set -version-info to" \
    "$((base_cur + 1)):0:0 in Makefile.am (or undo the change)"
  exit 1
elif [ $((status & 4)) -ne 0 ]; then
  echo "$report"
  if [ "$cur" -gt "$base_cur" ] \
     && [ $((cur - age)) -eq $((base_cur - base_age)) ]; then
    echo "compatible change, and -version-info $version_info accounts for it"
    exit 0
  fi
  echo "FAIL: the ABI changed compatibly (interfaces added): set" \
    "-version-info to $((base_cur + 1)):0:$((base_age + 1)) in Makefile.am"
  exit 1
fi
if [ "$cur" -lt "$base_cur" ] \
   || [ $((cur - age)) -ne $((base_cur - base_age)) ]; then
  echo "FAIL: no ABI change, but -version-info $version_info changes the" \
    "soname or goes back from $base_info"
  exit 1
fi
echo "no ABI change"
exit 0
