#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make deb`: the Debian packages peerbridge-dkms, libpeerbridge1,
# libpeerbridge-dev and pbctl, built from a copy of the tree in
# build/deb/peerbridge-<version> so that the .debs land in build/deb/ and
# nothing is written outside the tree.  Installs the build dependencies
# debian/control names (apt-get build-dep) and lintian first, when
# missing; fails when lintian reports an error.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
export DEBIAN_FRONTEND=noninteractive

version=$(dpkg-parsechangelog -S Version)
mkversion=$(sed -n 's/^VERSION[[:space:]]*:= *//p' Makefile)
if [ "$version" != "$mkversion" ]; then
	echo "deb: debian/changelog says $version, the Makefile's VERSION $mkversion" >&2
	exit 1
fi
out=build/deb
src=$out/peerbridge-$version
rm -rf "$out"
mkdir -p "$src"
tar -C "$top" --exclude=./build --exclude=./.git -cf - . | tar -C "$src" -xf -

if ! (cd "$src" && dpkg-checkbuilddeps) 2>/dev/null; then
	[ "$(id -u)" = 0 ] || { echo "deb: missing build dependencies; run as root to install them" >&2; exit 1; }
	echo "deb: installing the build dependencies"
	apt-get build-dep -y -q "./$src" > "$out"/build-dep.log 2>&1 ||
		{ cat "$out"/build-dep.log; echo "deb: apt-get build-dep failed" >&2; exit 1; }
fi
if ! command -v lintian > /dev/null; then
	[ "$(id -u)" = 0 ] || { echo "deb: lintian missing; run as root to install it" >&2; exit 1; }
	echo "deb: installing lintian"
	apt-get install -y -q --no-install-recommends lintian > "$out"/lintian-install.log 2>&1 ||
		{ cat "$out"/lintian-install.log; echo "deb: installing lintian failed" >&2; exit 1; }
fi

echo "deb: dpkg-buildpackage -us -uc -b in $src (log: $out/build.log)"
(cd "$src" && dpkg-buildpackage -us -uc -b) > "$out"/build.log 2>&1 ||
	{ tail -n 40 "$out"/build.log; echo "deb: dpkg-buildpackage failed" >&2; exit 1; }
rm -rf "$src"
ls "$out"/*.deb

changes=$(ls "$out"/peerbridge_"$version"_*.changes)
echo "deb: lintian $changes"
lintian --fail-on error "$changes"
