#!/usr/bin/env bash
# build-check-musl.sh: build the Check unit-test library with musl-gcc, so
# that the test suites can be built and run against the musl C library.
#
# Check is not packaged for musl, so this fetches Debian's source package
# for it with apt-get through a private apt configuration (its own
# sources.list, lists and cache in a temporary directory; /etc/apt is
# never touched), then configures it with CC=musl-gcc, static only, and
# installs it into a cache directory.  Nothing is rebuilt when that
# directory already holds a build of the same version.
#
# Usage: scripts/build-check-musl.sh [--force]
#
# Environment:
#   MUSL_CC            the compiler (default musl-gcc)
#   CHECK_MUSL_PREFIX  install prefix (default
#                      ${XDG_CACHE_HOME:-$HOME/.cache}/libsubproc/check-musl)
#   DEBIAN_MIRROR      (default http://deb.debian.org/debian)
#   DEBIAN_SUITE       (default bookworm)
#
# Output: progress goes to stderr; the last line on stdout is the directory
# to put in PKG_CONFIG_PATH (and, to keep the glibc build's .pc files out
# of a musl build, in PKG_CONFIG_LIBDIR):
#
#   pc=$(scripts/build-check-musl.sh)
#   PKG_CONFIG_LIBDIR=$pc PKG_CONFIG_PATH=$pc ./configure CC=musl-gcc
#
# Needs: apt-get, dpkg-source (package dpkg-dev), musl-gcc (package
# musl-tools), make.

set -euo pipefail

cc=${MUSL_CC:-musl-gcc}
prefix=${CHECK_MUSL_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/libsubproc/check-musl}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=${DEBIAN_SUITE:-bookworm}
keyring=/usr/share/keyrings/debian-archive-keyring.gpg
force=no

for arg in "$@"; do
  case $arg in
    --force) force=yes ;;
    -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "$0: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

log () { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

pcdir=$prefix/lib/pkgconfig
stamp=$prefix/.libsubproc-stamp

if [ "$force" = no ] && [ -f "$stamp" ] && [ -f "$pcdir/check.pc" ] \
   && [ -f "$prefix/lib/libcheck.a" ] && [ "$(cat "$stamp")" = "$cc" ]; then
  log "Check for $cc is already in $prefix ($(sed -n 's/^Version: //p' "$pcdir/check.pc"))"
  echo "$pcdir"
  exit 0
fi

# Replace an earlier build of ours, but never a directory we did not make.
owned=$prefix/.libsubproc-owned
if [ -d "$prefix" ] && [ ! -f "$owned" ] && [ -n "$(ls -A "$prefix")" ]; then
  log "$prefix exists and was not made by this script; not touching it"
  exit 1
fi

for tool in apt-get dpkg-source "$cc" make; do
  command -v "$tool" >/dev/null 2>&1 || {
    log "missing tool: $tool (install dpkg-dev, musl-tools, make)"; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/check-musl.XXXXXX")
trap 'rm -rf "$work"' EXIT

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
# musl build of it on the library path.  Subunit is not built for musl.
log "building Check with $cc into $prefix"
mkdir "$work/build"
cd "$work/build"
"$work/src/check/configure" CC="$cc" --prefix="$prefix" \
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
echo "$cc" > "$stamp"

log "installed Check $(sed -n 's/^Version: //p' "$pcdir/check.pc") in $prefix"
echo "$pcdir"
