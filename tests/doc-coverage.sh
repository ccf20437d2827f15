#!/bin/sh
# doc-coverage.sh: every public name of libsubproc is documented.
#
# Copyright (C) 2026 The libsubproc authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run by make check from the top build directory (srcdir and
# SUBPROC_DOC_NM set by doc/local.mk); by hand:
#
#   srcdir=SRCDIR SUBPROC_DOC_NM=nm sh SRCDIR/tests/doc-coverage.sh
#
# Checks that
#  - every symbol the built library exports (the shared library's dynamic
#    symbols, or the DLL's import library) has a @deftypefun entry in
#    doc/libsubproc.texi and a man page doc/man/NAME.3;
#  - every type of lib/subproc.h (typedef) has a @deftp entry and a man
#    page NAME.3; every SUBPROC_ macro, enumeration constant and error
#    code has a definition or an index entry (@vindex, @tindex) in the
#    manual and is named in a man page; every enum tag is in both;
#  - every man page names itself in its NAME section, or is a .so link
#    to a page that does, and is listed in dist_man3_MANS (so installed);
#    the pages render without groff warnings;
#  - every subproc_ name of the manual's libvirt correspondence table
#    is an exported function or a type of the header.
# A name missing anywhere makes it fail, listing what is missing.

set -u

: "${srcdir:=.}"
nm=${SUBPROC_DOC_NM:-nm}
texi=$srcdir/doc/libsubproc.texi
header=$srcdir/lib/subproc.h
version_header=$srcdir/lib/subproc-version.h.in
mandir=$srcdir/doc/man
mk=$srcdir/doc/local.mk
la=lib/libsubproc.la

missing=0
miss () {
  echo "undocumented: $*"
  missing=$((missing + 1))
}

for f in "$texi" "$header" "$mk" "$la"; do
  if [ ! -f "$f" ]; then
    echo "$f not found" >&2
    exit 99
  fi
done

# ------------------------------------------------------------------
# The exported symbols, from the library libtool built.

library_names=$(sed -n "s/^library_names='\(.*\)'\$/\1/p" "$la")
case " $library_names " in
  *.dll.a\ *)
    # Windows: the import library defines one "T" symbol per export.
    implib=lib/.libs/${library_names%% *}
    symbols=$($nm "$implib" | sed -n 's/^[0-9a-fA-F]* T \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p')
    # 32-bit x86 COFF gives every C name a leading underscore (i686:
    # _subproc_new for subproc_new); x86_64 and ARM do not.  When every
    # name has one, it is that decoration: take it off.
    if [ -n "$symbols" ] \
       && ! printf '%s\n' "$symbols" | grep -q '^[^_]'; then
      symbols=$(printf '%s\n' "$symbols" | sed 's/^_//')
    fi
    ;;
  *)
    shlib=lib/.libs/${library_names%% *}
    symbols=$($nm -D --defined-only "$shlib" \
                | sed -n 's/^[0-9a-fA-F]* [TDRBVW] \([A-Za-z_][A-Za-z0-9_]*\)$/\1/p')
    ;;
esac
symbols=$(printf '%s\n' $symbols | sort -u)
nsymbols=$(printf '%s\n' $symbols | grep -c .)
if [ "$nsymbols" -lt 10 ]; then
  echo "only $nsymbols exported symbols found in the library: $symbols" >&2
  exit 99
fi

# Whether the man page NAME.3 exists and lists NAME in its NAME section,
# itself or through the page its .so line points to.
man_names () {
  page=$mandir/$1.3
  [ -f "$page" ] || return 1
  target=$(sed -n 's|^\.so man3/\(.*\)$|\1|p' "$page")
  [ -z "$target" ] || page=$mandir/$target
  [ -f "$page" ] || return 1
  sed -n '/^\.SH NAME/,/^\.SH/p' "$page" | tr ',' ' ' \
    | grep -Eq "(^|[[:space:]])$1([[:space:]]|\$)"
}

for s in $symbols; do
  case $s in
    subproc_*) ;;
    *) miss "$s is exported but is not a subproc_ name"; continue ;;
  esac
  grep -Eq "^@deftypefunx? .*[ *]$s \(" "$texi" \
    || miss "$s: no @deftypefun in doc/libsubproc.texi"
  man_names "$s" || miss "$s: no man page doc/man/$s.3 naming it"
done

# ------------------------------------------------------------------
# Types, macros, constants of the header.

# Types: "typedef ... NAME;", "} NAME;", "(*NAME) (".
types=$(sed -n -e 's/^typedef .*[ *]\([a-z_][a-z0-9_]*\);$/\1/p' \
               -e 's/^} \([a-z_][a-z0-9_]*\);$/\1/p' \
               -e 's/^typedef .*(\*\([a-z_][a-z0-9_]*\)).*/\1/p' "$header" \
        | sort -u)
for t in $types; do
  grep -Eq "^@deftpx? .* $t\$" "$texi" \
    || miss "type $t: no @deftp in doc/libsubproc.texi"
  man_names "$t" || [ -f "$mandir/$t.3" ] \
    || miss "type $t: no man page doc/man/$t.3"
done

# Enumeration tags.
tags=$(sed -n 's/^enum \(subproc_[a-z_]*\)$/\1/p' "$header" | sort -u)
# Macros (not the include guard, not the helpers ending in "_"),
# enumeration constants, and the error codes and stages of the X-macro
# tables.
constants=$( (sed -n 's/^# *define \(SUBPROC_[A-Z0-9_]*[A-Z0-9]\)\b.*/\1/p' "$header" \
                "$version_header"
              sed -n 's/^ *\(SUBPROC_[A-Z0-9_]*\) = .*/\1/p' "$header"
              sed -n '/^#define SUBPROC_ERROR_TABLE/,/^$/ s/^ *X (\([A-Z_]*\), [0-9]*, ".*/SUBPROC_ERR_\1/p' "$header"
              sed -n '/^#define SUBPROC_STAGE_TABLE/,/^$/ s/^ *X (\([A-Z_]*\), [0-9]*, ".*/SUBPROC_STAGE_\1/p' "$header") \
             | grep -vx -e 'SUBPROC_H' -e 'SUBPROC_VERSION_H' | sort -u)
nconstants=$(printf '%s\n' $constants | grep -c .)
if [ "$nconstants" -lt 20 ]; then
  echo "only $nconstants constants found in the header" >&2
  exit 99
fi
for c in $tags $constants; do
  grep -Eq "^@(def[a-z]*x? .*[ {]$c([ }]|\$)|[tv]index (enum )?$c\$)" "$texi" \
    || miss "$c: no entry in doc/libsubproc.texi"
  grep -Fwlq -- "$c" "$mandir"/*.3 \
    || miss "$c: named in no man page"
done

# ------------------------------------------------------------------
# The man pages themselves.

for page in "$mandir"/*.3; do
  name=${page##*/}
  name=${name%.3}
  grep -Fq "doc/man/$name.3" "$mk" \
    || miss "doc/man/$name.3 is not in dist_man3_MANS (doc/local.mk)"
  target=$(sed -n 's|^\.so man3/\(.*\)$|\1|p' "$page")
  if [ -n "$target" ]; then
    [ -f "$mandir/$target" ] && ! grep -q '^\.so ' "$mandir/$target" \
      || miss "doc/man/$name.3: broken .so link"
    continue
  fi
  [ "$name" = subproc ] || man_names "$name" \
    || miss "doc/man/$name.3 does not name $name"
  if command -v groff >/dev/null 2>&1; then
    warnings=$(LC_ALL=C groff -man -ww -z "$page" 2>&1)
    [ -z "$warnings" ] || miss "doc/man/$name.3 renders with warnings: $warnings"
  fi
done

# ------------------------------------------------------------------
# The libvirt correspondence table names only what exists.

table=$(sed -n '/^@node libvirt correspondence$/,/^@node /p' "$texi")
[ -n "$table" ] || miss "doc/libsubproc.texi has no node libvirt correspondence"
for name in $(printf '%s\n' "$table" | grep -o 'subproc_[a-z0-9_]*' | sort -u); do
  printf '%s\n' $symbols $types | grep -Fxq -- "$name" \
    || miss "$name: in the libvirt correspondence table, but not a function or type of the library"
done

echo "$nsymbols exported functions, $(printf '%s\n' $types | grep -c .) types," \
  "$nconstants constants checked; $missing missing"
[ "$missing" -eq 0 ]
