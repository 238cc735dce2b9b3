#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Build the rig's initramfs for one kernel:
#   mkinitrd.sh <kver> <out.cpio.gz> <build-dir>
# It holds busybox-static, the guest init, peerbridge.ko, the sample driver
# pb_vga.ko and the test-only pb_edu_dma.ko (a dmaengine driver for QEMU's
# edu), pb_test_importer.ko and pb_slow_fault.ko for <kver>, the
# distro modules the suite needs (with their dependencies, decompressed),
# pbctl, the VM suite and the demo, plus exactly the shared libraries those
# binaries load.
set -eu

kver=$1 out=$2 b=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
root=$(mktemp -d "${TMPDIR:-/tmp}/pbinitrd.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"	# it becomes /: unprivileged test users must get through

mkdir -p "$root"/bin "$root"/lib/modules "$root"/proc "$root"/sys \
	"$root"/dev "$root"/tmp "$root"/tests "$root"/etc
cp /bin/busybox "$root"/bin/busybox
cp "$top"/tests/vm/init "$root"/init
chmod +x "$root"/init

# --- modules: ours, then distro ones in dependency order ------------------
: > "$root"/etc/modules
# dash has no arrays, but it has local: the recursion needs it
add_module() {
	local name src dst dep
	name=$1
	grep -qx "$name" "$root"/etc/modules.done 2>/dev/null && return 0
	for dep in $(modinfo -k "$kver" -F depends "$name" | tr ',' ' '); do
		add_module "$dep"
	done
	src=$(modinfo -k "$kver" -n "$name")
	dst="$root/lib/modules/$(basename "$src" | sed 's/\.ko\..*$/.ko/')"
	case $src in
	*.ko.xz) xz -dc "$src" > "$dst" ;;
	*.ko.zst) zstd -qdc "$src" > "$dst" ;;
	*.ko.gz) gzip -dc "$src" > "$dst" ;;
	*) cp "$src" "$dst" ;;
	esac
	echo "$(basename "$dst")" >> "$root"/etc/modules
	echo "$name" >> "$root"/etc/modules.done
}
# nvme: a driver for bind to take the controller from; vgem: a dma-buf
# importer without peer2peer, and a foreign dma-buf exporter; rxe over a
# dummy netdev for the RDMA suite (its crc32 must come first, or adding the
# link fails).  The debug kernel builds in what it has and sets
# PB_DISTRO_MODULES="".
for m in ${PB_DISTRO_MODULES-nvme vgem crc32_generic dummy rdma_rxe ib_uverbs}; do
	add_module "$m"
done
cp "$b/kmod/$kver/peerbridge.ko" "$b/tkmod/$kver/pb_edu_dma.ko" \
	"$b/tkmod/$kver/pb_test_importer.ko" "$b/tkmod/$kver/pb_slow_fault.ko" \
	"$b/samples/$kver/pb_vga.ko" \
	"$root"/lib/modules/
printf '%s\n' peerbridge.ko pb_edu_dma.ko pb_test_importer.ko pb_slow_fault.ko \
	pb_vga.ko \
	>> "$root"/etc/modules
# the kernel's RDMA umem code on our dma-bufs, where the kernel has RDMA
if [ -e "$b/tkmod/$kver/pb_test_umem.ko" ]; then
	cp "$b/tkmod/$kver/pb_test_umem.ko" "$root"/lib/modules/
	echo pb_test_umem.ko >> "$root"/etc/modules
fi

# --- binaries and exactly the libraries they need ----------------------------
cp "$b"/pbctl "$root"/bin/pbctl
# rdma (iproute2) adds the rxe link, ib_write_bw (perftest) runs on it;
# libibverbs loads its rxe provider through a .driver file, so ldd does
# not see it
cp /usr/bin/rdma /usr/bin/ib_write_bw "$root"/bin/
mkdir -p "$root"/etc/libibverbs.d
cp /etc/libibverbs.d/rxe.driver "$root"/etc/libibverbs.d/
rxe=$(ls /usr/lib/x86_64-linux-gnu/libibverbs/librxe-rdmav*.so)
mkdir -p "$root$(dirname "$rxe")"
cp -L "$rxe" "$root$rxe"
cp "$b"/tests/pbvm "$b"/tests/pbdemo "$b"/tests/pbfuzz "$b"/tests/pbverbs \
	"$root"/tests/
# `make bench`'s guest half, once built
[ ! -e "$b"/tests/pbbench ] || cp "$b"/tests/pbbench "$root"/tests/
cp "$top"/tests/vm/demo.sh "$root"/tests/demo.sh
mkdir -p "$root"/usr/lib
cp -P "$b"/lib/libpeerbridge.so* "$b"/lib/libpeerbridge-preload.so "$root"/usr/lib/
for bin in "$root"/bin/pbctl "$root"/bin/rdma "$root"/bin/ib_write_bw "$root$rxe" "$root"/tests/pbvm \
	"$root"/tests/pbdemo "$root"/tests/pbfuzz "$root"/tests/pbverbs \
	"$b"/lib/libpeerbridge-preload.so; do
	LD_LIBRARY_PATH="$b/lib" ldd "$bin" | awk '/=> \// {print $3} /^\t\// {print $1}'
done | sort -u | while read -r lib; do
	case $lib in "$b"/*) continue ;; esac
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
# the dynamic loader is found through its canonical path
[ -e "$root"/lib64/ld-linux-x86-64.so.2 ] || {
	mkdir -p "$root"/lib64
	cp -L /lib64/ld-linux-x86-64.so.2 "$root"/lib64/
}
echo /usr/lib > "$root"/etc/ld.so.conf
# libpci names devices from the PCI ID database (Debian's pci.ids)
mkdir -p "$root"/usr/share/misc
cp -L /usr/share/misc/pci.ids "$root"/usr/share/misc/

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
