#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build (once per machine) a debug kernel of the sanitizer lane from
# Debian's linux-source-<series> (argument: 6.1, the default, or 6.12 from
# bookworm-backports): `make tinyconfig`, merged with
# tests/debug/kernel.config.  The build lives outside the clone, keyed by
# the source package version and the config, so it is paid once:
#   $PB_KERNEL_CACHE (default /var/cache/peerbridge)/debug-<key>/
#     src/     the unpacked source
#     build/   the kernel build tree (make -C build M=... for modules)
#     bzImage
#     kver     its `uname -r`, written last: a directory without it is an
#              interrupted build and is started over
# Prints the cache directory on its last line.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cache=${PB_KERNEL_CACHE:-/var/cache/peerbridge}
series=${1:-6.1}
# the common fragment, then the series' own if it has one
frags=$top/tests/debug/kernel.config
[ -f "$top/tests/debug/kernel-$series.config" ] &&
	frags="$frags $top/tests/debug/kernel-$series.config"
tarball=/usr/src/linux-source-$series.tar.xz

srcver=$(dpkg-query -W -f='${Version}' "linux-source-$series" 2>/dev/null || true)
if [ -z "$srcver" ] || [ ! -f "$tarball" ]; then
	echo "debug-kernel: linux-source-$series is not installed (scripts/deps.sh installs it)" >&2
	exit 1
fi
# shellcheck disable=SC2086
key=$(printf '%s\n' "$srcver" | cat - $frags | sha256sum | cut -c1-16)
dir=$cache/debug-$key
if [ -f "$dir/kver" ]; then
	echo "$dir"
	exit 0
fi

echo "debug-kernel: building linux-source-$series $srcver with KASAN, lockdep, kmemleak, DMA-API debug, fault injection" >&2
echo "debug-kernel: into $dir (once per machine; about 10-15 minutes on 2 cores)" >&2
rm -rf "$dir"
mkdir -p "$dir/src" "$dir/build"
tar -xJf "$tarball" -C "$dir/src" --strip-components=1
src=$dir/src
o=$dir/build
make -s -C "$src" O="$o" tinyconfig >&2
# shellcheck disable=SC2086
"$src"/scripts/kconfig/merge_config.sh -m -O "$o" "$o/.config" $frags >/dev/null
make -s -C "$src" O="$o" olddefconfig >&2
# every option the fragment sets must have survived dependency resolution
# shellcheck disable=SC2086
missing=$(cat $frags | grep -E '^CONFIG_[A-Z0-9_]+=[ym0-9]' | while read -r line; do
	grep -qx "$line" "$o/.config" || echo "$line"
done)
if [ -n "$missing" ]; then
	echo "debug-kernel: options that did not stick:" >&2
	echo "$missing" >&2
	exit 1
fi
for off in CONFIG_PCI_P2PDMA CONFIG_DMABUF_MOVE_NOTIFY; do
	if grep -q "^$off=y" "$o/.config"; then
		echo "debug-kernel: $off must stay off, like the stock kernels" >&2
		exit 1
	fi
done
make -s -C "$src" O="$o" -j"$(nproc)" bzImage modules >&2
make -s -C "$src" O="$o" modules_prepare >&2
cp "$o/arch/x86/boot/bzImage" "$dir/bzImage"
make -s -C "$src" O="$o" kernelrelease > "$dir/kver.new"
mv "$dir/kver.new" "$dir/kver"
echo "$dir"
