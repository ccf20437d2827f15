#!/bin/sh
# setup.sh: make a fresh Debian 12 ready to build and test libsubproc, then
# build it.  This file holds the one list of packages the project needs;
# .ci/run uses it too.
#
# Usage: scripts/setup.sh [--deps-only] [--no-cross]
#   --deps-only  install the packages, then stop
#   --no-cross   leave out the Windows cross build (mingw-w64, Wine)
#
# Packages are installed with apt-get, through sudo unless run as root.
# The rest (bootstrap, configure, make) runs as the calling user in the
# source tree; afterwards, `make check` runs the tests.

set -eu

# Native build and tests; man-db and info for installcheck's checks of
# the installed manuals, abigail-tools for the ABI check, clang for the
# libFuzzer targets, and GLib, libuv and libpipeline as the peers that
# make bench compares with (it builds without them); musl-tools for the
# musl build, gcc-multilib for the 32-bit x86 build (gcc -m32), and what
# scripts/build-check.sh needs to
# fetch Debian's Check source package for those and for the Windows
# builds (dpkg-source).
native_packages="
  build-essential
  gcc-multilib
  dpkg-dev
  xz-utils
  debian-archive-keyring
  autoconf
  automake
  libtool
  pkg-config
  texinfo
  check
  valgrind
  file
  man-db
  info
  abigail-tools
  clang
  libglib2.0-dev
  libuv1-dev
  libpipeline-dev
  musl-tools
"
# Windows cross builds: x86_64, tests under Wine; i686, compile-only.
cross_packages="
  gcc-mingw-w64-x86-64
  gcc-mingw-w64-i686
  wine
  wine64
"

deps_only=no
cross=yes
for arg in "$@"; do
  case $arg in
    --deps-only) deps_only=yes ;;
    --no-cross) cross=no ;;
    -h|--help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
    *) echo "$0: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

packages=$native_packages
[ "$cross" = no ] || packages="$packages $cross_packages"

if [ "$(id -u)" = 0 ]; then
  sudo=
elif command -v sudo >/dev/null 2>&1; then
  sudo=sudo
else
  echo "$0: run as root or install sudo to install packages" >&2
  exit 1
fi

# shellcheck disable=SC2086 # word splitting of the package lists is wanted
echo "Installing packages:" $packages
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive \
  apt-get install -q -y --no-install-recommends --no-upgrade $packages

[ "$deps_only" = no ] || exit 0

cd "$(dirname "$0")/.."
./bootstrap
./configure
make -j"$(nproc 2>/dev/null || echo 2)"

cat <<'EOF'

libsubproc is built.  Run the tests with:   make check
The Windows build under Wine:              see "Cross build" in README.md
EOF
