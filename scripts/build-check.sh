#!/usr/bin/env bash
# build-check.sh: build the Check unit-test library for a host that
# Debian does not package it for, so that the test suites can be built for
# that host: a mingw-w64 host (x86_64 or i686, the tests run under Wine),
# 32-bit x86 Linux built with the native compiler's -m32 (gcc-multilib),
# which would otherwise need Debian's i386 architecture enabled in apt, or
# the musl C library (x86_64-linux-musl with CC=musl-gcc).
#
# Check is not packaged for these hosts, so this fetches Debian's source package
# for it with apt-get through a private apt configuration (its own
# sources.list, lists and cache in a temporary directory; /etc/apt is
# never touched), then configures it for the host, static only, and
# installs it into a cache directory.  Nothing is rebuilt when that
# directory already holds a build of the same version.
#
# Usage: scripts/build-check.sh [--force] [HOST]
#
#   HOST  the target triplet (default: $HOST, else x86_64-w64-mingw32),
#         for instance i686-w64-mingw32, i686-pc-linux-gnu with
#         CC='gcc -m32', or x86_64-linux-musl with CC=musl-gcc
#
# Environment:
#   CC                 the compiler (default HOST-gcc)
#   CHECK_MINGW_PREFIX install prefix (default
#                      ${XDG_CACHE_HOME:-$HOME/.cache}/libsubproc/check-mingw
#                      for x86_64-w64-mingw32, .../check-HOST for another
#                      host)
#   DEBIAN_MIRROR      (default http://deb.debian.org/debian)
#   DEBIAN_SUITE       (default bookworm)
#
# Output: progress goes to stderr; the last line on stdout is the directory
# to put in PKG_CONFIG_PATH (and, to keep the build machine's own .pc files
# out of a cross build, in PKG_CONFIG_LIBDIR):
#
#   pc=$(scripts/build-check.sh)
#   PKG_CONFIG_LIBDIR=$pc PKG_CONFIG_PATH=$pc \
#     ./configure --host=x86_64-w64-mingw32
#
#   pc=$(CC='gcc -m32' scripts/build-check.sh i686-pc-linux-gnu)
#   PKG_CONFIG_LIBDIR=$pc PKG_CONFIG_PATH=$pc \
#     ./configure --host=i686-pc-linux-gnu CC='gcc -m32'
#
#   pc=$(CC=musl-gcc scripts/build-check.sh x86_64-linux-musl)
#   PKG_CONFIG_LIBDIR=$pc PKG_CONFIG_PATH=$pc ./configure CC=musl-gcc
#
# Needs: apt-get, dpkg-source (package dpkg-dev), the compiler for the
# host (mingw-w64, gcc-multilib or musl-tools), make.

set -euo pipefail

host=${HOST:-x86_64-w64-mingw32}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${DEBIAN_SUITE:-bookworm}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
force=no

for arg in "$@"; do
  case $arg in
    --force) force=yes ;;
    -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    -*) echo "$0: unknown argument: $arg" >&2; exit 2 ;;
    *) host=$arg ;;
  esac
done

case $host in
  x86_64-w64-mingw32) cache_name=check-mingw ;;
  *) cache_name=check-$host ;;
esac
prefix=${CHECK_MINGW_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/libsubproc/$cache_name}
cc=${CC:-$host-gcc}

log () { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

pcdir=$prefix/lib/pkgconfig
stamp=$prefix/.libsubproc-stamp

if [ "$force" = no ] && [ -f "$stamp" ] && [ -f "$pcdir/check.pc" ] \
   && [ -f "$prefix/lib/libcheck.a" ] && [ "$(cat "$stamp")" = "$host" ]; then
  log "Check for $host is already in $prefix ($(sed -n 's/^Version: //p' "$pcdir/check.pc"))"
  echo "$pcdir"
  exit 0
fi

# Replace an earlier build of ours, but never a directory we did not make.
owned=$prefix/.libsubproc-owned
if [ -d "$prefix" ] && [ ! -f "$owned" ] && [ -n "$(ls -A "$prefix")" ]; then
  log "$prefix exists and was not made by this script; not touching it"
  exit 1
fi

for tool in apt-get dpkg-source "${cc%% *}" make; do
  command -v "$tool" >/dev/null 2>&1 || {
    log "missing tool: $tool (install dpkg-dev, mingw-w64, gcc-multilib or musl-tools, make)"
    exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/$cache_name.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The compiler links for the host (gcc -m32 without gcc-multilib does not).
if ! echo 'int main (void) { return 0; }' \
     | $cc -x c -o "$work/conftest" - >/dev/null 2>&1; then
  log "$cc cannot link a program for $host"
  exit 1
fi

# A private apt configuration that knows only Debian's source archive.
aptdir=$work/apt
mkdir -p "$aptdir/lists/partial" "$aptdir/cache/archives/partial"
signed_by=
[ -f "$keyring" ] && signed_by=" [signed-by=$keyring]"
echo "deb-src$signed_by $mirror $suite main" > "$aptdir/sources.list"
apt_opts=(
  -o "Dir::Etc::SourceList=$aptdir/sources.list"
  -o "Dir::Etc::SourceParts=/dev/null"
  -o "Dir::State::Lists=$aptdir/lists"
  -o "Dir::Cache=$aptdir/cache"
  -o "Dir::Cache::archives=$aptdir/cache/archives"
  -o "Debug::NoLocking=1"
)
# apt drops root privileges to the _apt user for downloads, which cannot
# write into our private (mode 0700) directory: stay root instead.
if [ "$(id -u)" = 0 ]; then
  apt_opts+=(-o "APT::Sandbox::User=root")
fi

log "fetching the Check source package from $mirror $suite"
apt-get -q "${apt_opts[@]}" update >&2
mkdir "$work/src"
(cd "$work/src" && apt-get -q "${apt_opts[@]}" source --download-only check) >&2
dsc=$(ls "$work"/src/check_*.dsc)
dpkg-source --no-check -x "$dsc" "$work/src/check" >&2

# Static only: the test programs link it into themselves and then need no
# DLL under Wine, nor a library path.  Subunit is not available for the
# host.
log "building Check for $host into $prefix"
mkdir "$work/build"
cd "$work/build"
"$work/src/check/configure" --host="$host" --prefix="$prefix" CC="$cc" \
  --enable-static --disable-shared --disable-subunit \
  --disable-build-docs --disable-timeout-tests >&2
make -j"$(nproc 2>/dev/null || echo 2)" >&2
rm -rf "$prefix"
mkdir -p "$prefix"
: > "$owned"
make install >&2
# Debian's packaging names the library check_pic (its static PIC build);
# this build installs plain libcheck.a.
sed -i 's/-lcheck_pic/-lcheck/' "$pcdir/check.pc"
echo "$host" > "$stamp"

log "installed Check $(sed -n 's/^Version: //p' "$pcdir/check.pc") in $prefix"
echo "$pcdir"
