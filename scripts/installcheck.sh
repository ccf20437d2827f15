#!/bin/sh
# installcheck.sh: install a build into a scratch DESTDIR and check it.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
#   scripts/installcheck.sh BUILDDIR
#
# BUILDDIR is a configured and built tree, native or mingw.  The script
#  1. runs make install DESTDIR=<scratch>;
#  2. compares the installed files with the expected manifest, exactly:
#     the shared library with its soname and symlinks (on Windows the DLL
#     in bindir and its import library), subproc.h and subproc-version.h,
#     libsubproc.pc, the programs of bin_PROGRAMS, the info manual (and the
#     info "dir" file that install-info maintains), the man pages; no .la
#     file, no static library, nothing else;
#  3. checks the ELF files for RPATH and RUNPATH (there must be none) and
#     the library's soname and symlinks;
#  4. checks that "man 3 NAME" finds a page for every man page installed
#     (the .so links included) and that info finds the manual;
#  5. runs make installcheck DESTDIR=<scratch>, which builds a consumer
#     program against the installed files with pkg-config and runs it
#     (under Wine for mingw);
#  6. runs make uninstall DESTDIR=<scratch> and checks that nothing is
#     left but the info "dir" file.
# Exit status 0 if all passed, 1 otherwise.

set -eu

if [ $# -ne 1 ]; then
  echo "usage: $0 BUILDDIR" >&2
  exit 2
fi
builddir=$(cd "$1" && pwd)
make=${MAKE:-make}

destdir=$(mktemp -d "${TMPDIR:-/tmp}/subproc-install.XXXXXX")
trap 'rm -rf "$destdir"' EXIT

failed=0
fail () {
  echo "FAIL: $*" >&2
  failed=1
}

# Bring the Makefile up to date first, so that its regeneration does not
# mix with the values printed below.
$make -s -C "$builddir" Makefile >/dev/null

# The value of a variable of BUILDDIR's Makefile, expanded.
mkvar () {
  # shellcheck disable=SC2016 # $(...) is for make
  printf 'print-var: ; @echo $(%s)\n' "$1" \
    | $make -s --no-print-directory -C "$builddir" -f Makefile -f - print-var
}

prefix=$(mkvar prefix)
bindir=$(mkvar bindir)
libdir=$(mkvar libdir)
includedir=$(mkvar includedir)
pkgconfigdir=$(mkvar pkgconfigdir)
infodir=$(mkvar infodir)
mandir=$(mkvar mandir)
exeext=$(mkvar EXEEXT)
bin_programs=$(mkvar bin_PROGRAMS)
man1="$(mkvar man1_MANS) $(mkvar dist_man1_MANS)"
man3=$(mkvar dist_man3_MANS)
dlname=$(sed -n "s/^dlname='\(.*\)'\$/\1/p" "$builddir/lib/libsubproc.la")
library_names=$(sed -n "s/^library_names='\(.*\)'\$/\1/p" \
                  "$builddir/lib/libsubproc.la")
echo "Installing $builddir (prefix $prefix) into $destdir"

# ------------------------------------------------------------------
echo "== make install"
$make -s -C "$builddir" install DESTDIR="$destdir" >/dev/null

# ------------------------------------------------------------------
echo "== installed files"
{
  case $dlname in
    *.dll) echo "$bindir/$dlname" ;;
  esac
  for f in $library_names; do echo "$libdir/$f"; done
  echo "$includedir/subproc.h"
  echo "$includedir/subproc-version.h"
  echo "$pkgconfigdir/libsubproc.pc"
  for p in $bin_programs; do echo "$bindir/${p##*/}"; done
  echo "$infodir/libsubproc.info"
  for m in $man1; do echo "$mandir/man1/${m##*/}"; done
  for m in $man3; do echo "$mandir/man3/${m##*/}"; done
} | sort -u >"$destdir.expected"
(cd "$destdir" && find . \( -type f -o -type l \) | sed 's|^\.||') \
  | grep -vx "$infodir/dir" | sort >"$destdir.installed"
if ! diff "$destdir.expected" "$destdir.installed" >"$destdir.diff"; then
  fail "the installed files differ from the manifest (< missing, > extra):"
  grep '^[<>]' "$destdir.diff" >&2
else
  echo "$(wc -l <"$destdir.installed") files, as expected"
fi
rm -f "$destdir.expected" "$destdir.installed" "$destdir.diff"
# What the manifest must hold whatever the Makefile says.
case " $bin_programs " in
  *" tools/subproc$exeext "*) ;;
  *) fail "the subproc program is not installed (bin_PROGRAMS: $bin_programs)" ;;
esac
case " $man1 " in
  *"/subproc.1 "*) ;;
  *) fail "subproc(1) is not installed (man1 pages: $man1)" ;;
esac
[ -n "$man3" ] || fail "no man page of section 3 is installed"

# ------------------------------------------------------------------
case $dlname in
  *.so*)
    echo "== ELF: soname, symlinks, no RPATH/RUNPATH"
    real=$destdir$libdir/${library_names%% *}
    soname=$(readelf -d "$real" | sed -n 's/.*(SONAME).*\[\(.*\)\]$/\1/p')
    [ "$soname" = "$dlname" ] || fail "soname $soname, expected $dlname"
    for f in $library_names; do
      [ "$destdir$libdir/$f" = "$real" ] && continue
      [ -L "$destdir$libdir/$f" ] || fail "$libdir/$f is not a symlink"
      [ "$(readlink -f "$destdir$libdir/$f")" = "$(readlink -f "$real")" ] \
        || fail "$libdir/$f does not point to ${real##*/}"
    done
    elf_files=$real
    for p in $bin_programs; do
      elf_files="$elf_files $destdir$bindir/${p##*/}"
    done
    for f in $elf_files; do
      if readelf -d "$f" | grep -E '\((RPATH|RUNPATH)\)'; then
        fail "${f#"$destdir"} has an RPATH or RUNPATH"
      else
        echo "${f#"$destdir"}: no RPATH/RUNPATH"
      fi
    done
    ;;
  *.dll)
    echo "== DLL"
    if command -v x86_64-w64-mingw32-objdump >/dev/null 2>&1; then
      deps=$(x86_64-w64-mingw32-objdump -p "$destdir$bindir/$dlname" \
               | sed -n 's/^[[:space:]]*DLL Name: //p' | tr '\n' ' ')
      echo "$bindir/$dlname imports: $deps"
    fi
    ;;
esac

# ------------------------------------------------------------------
echo "== man and info"
if command -v man >/dev/null 2>&1; then
  n=0
  for m in $man3; do
    name=${m##*/}
    name=${name%.3}
    title=$(MANPATH="$destdir$mandir" MANWIDTH=80 LC_ALL=C.UTF-8 \
              man 3 "$name" 2>/dev/null | head -n 1) || true
    case $title in
      SUBPROC*"(3)"*) n=$((n + 1)) ;;
      *) fail "man 3 $name: no page (got '$title')" ;;
    esac
  done
  echo "man 3 NAME works for $n pages"
  for m in $man1; do
    name=${m##*/}
    name=${name%.1}
    MANPATH="$destdir$mandir" MANWIDTH=80 man 1 "$name" >/dev/null 2>&1 \
      || fail "man 1 $name: no page"
  done
fi
if command -v info >/dev/null 2>&1; then
  info --directory "$destdir$infodir" -f libsubproc --output=- 2>/dev/null \
    | grep -q 'libsubproc' || fail "info cannot read the installed manual"
  echo "info libsubproc: readable"
fi

# ------------------------------------------------------------------
echo "== make installcheck"
$make -s -C "$builddir" installcheck DESTDIR="$destdir" \
  || fail "make installcheck"

# ------------------------------------------------------------------
echo "== make uninstall"
$make -s -C "$builddir" uninstall DESTDIR="$destdir" >/dev/null
left=$(cd "$destdir" && find . \( -type f -o -type l \) | sed 's|^\.||' \
         | grep -vx "$infodir/dir" || true)
if [ -n "$left" ]; then
  fail "make uninstall left files behind:"
  echo "$left" >&2
else
  echo "nothing left"
fi

if [ $failed -ne 0 ]; then
  echo "installcheck: FAILED" >&2
  exit 1
fi
echo "installcheck: all passed"
