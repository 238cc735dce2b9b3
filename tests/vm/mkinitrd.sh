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
# Environment, for testing what is installed rather than what was built
# (scripts/check-packages.sh): PB_VM_MODULE, a peerbridge.ko (also .ko.xz,
# .ko.zst) to use instead of <build-dir>/kmod/<kver>/peerbridge.ko;
# PB_VM_PBCTL, an installed pbctl to use with the libpeerbridge the system
# resolves for it, instead of <build-dir>/pbctl and <build-dir>/lib.
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
	copy_module "$src"
	echo "$name" >> "$root"/etc/modules.done
}
# a module into the initramfs, decompressed, and into the load list
copy_module() {
	local dst
	dst="$root/lib/modules/$(basename "$1" | sed 's/\.ko\..*$/.ko/')"
	case $1 in
	*.ko.xz) xz -dc "$1" > "$dst" ;;
	*.ko.zst) zstd -qdc "$1" > "$dst" ;;
	*.ko.gz) gzip -dc "$1" > "$dst" ;;
	*) cp "$1" "$dst" ;;
	esac
	echo "$(basename "$dst")" >> "$root"/etc/modules
}
# nvme: a driver for bind to take the controller from; vgem: a dma-buf
# importer without peer2peer, and a foreign dma-buf exporter; rxe over a
# dummy netdev for the RDMA suite (its crc32 must come first, or adding the
# link fails).  The debug kernel builds in what it has and sets
# PB_DISTRO_MODULES="".
for m in ${PB_DISTRO_MODULES-nvme vgem crc32_generic dummy rdma_rxe ib_uverbs}; do
	add_module "$m"
done
ko=${PB_VM_MODULE:-$b/kmod/$kver/peerbridge.ko}
[ -f "$ko" ] || { echo "mkinitrd.sh: no module $ko" >&2; exit 1; }
[ -z "${PB_VM_MODULE:-}" ] || echo "mkinitrd.sh: peerbridge.ko from $ko"
copy_module "$ko"
cp "$b/tkmod/$kver/pb_edu_dma.ko" \
	"$b/tkmod/$kver/pb_test_importer.ko" "$b/tkmod/$kver/pb_slow_fault.ko" \
	"$b/samples/$kver/pb_vga.ko" \
	"$root"/lib/modules/
printf '%s\n' pb_edu_dma.ko pb_test_importer.ko pb_slow_fault.ko pb_vga.ko \
	>> "$root"/etc/modules
# the kernel's RDMA umem code on our dma-bufs, where the kernel has RDMA
if [ -e "$b/tkmod/$kver/pb_test_umem.ko" ]; then
	cp "$b/tkmod/$kver/pb_test_umem.ko" "$root"/lib/modules/
	echo pb_test_umem.ko >> "$root"/etc/modules
fi

# --- binaries and exactly the libraries they need ----------------------------
# pbctl and libpeerbridge: the built ones from build/, or an installed
# pbctl with the library the system resolves for it
if [ -n "${PB_VM_PBCTL:-}" ]; then
	[ -x "$PB_VM_PBCTL" ] || { echo "mkinitrd.sh: no pbctl $PB_VM_PBCTL" >&2; exit 1; }
	echo "mkinitrd.sh: pbctl from $PB_VM_PBCTL, with the installed libpeerbridge"
	cp "$PB_VM_PBCTL" "$root"/bin/pbctl
	libpath='' shim=''
else
	cp "$b"/pbctl "$root"/bin/pbctl
	libpath=$b/lib shim=$b/lib/libpeerbridge-preload.so
fi
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
cp "$top"/tests/vm/demo.sh "$top"/tests/vm/packages.sh "$top"/tests/vm/guest.sh \
	"$root"/tests/
mkdir -p "$root"/usr/lib
[ -z "$libpath" ] || cp -P "$libpath"/libpeerbridge.so* "$shim" "$root"/usr/lib/
for bin in "$root"/bin/pbctl "$root"/bin/rdma "$root"/bin/ib_write_bw "$root$rxe" "$root"/tests/pbvm \
	"$root"/tests/pbdemo "$root"/tests/pbfuzz "$root"/tests/pbverbs $shim; do
	LD_LIBRARY_PATH=$libpath ldd "$bin" | awk '/=> \// {print $3} /^\t\// {print $1}'
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
# --- users, and the udev rule as busybox mdev's configuration -------------
# The tests drop to nobody, in group peerbridge or not.  The guest has no
# udevd: its init applies the installed rule with `mdev -s`, from an
# /etc/mdev.conf made here from the rule's own lines, so the guest tests
# the very rule that gets installed.  It understands the rule's keys
# (SUBSYSTEM==, KERNEL== with a name or a * glob, OWNER=, GROUP=, MODE=)
# and refuses any other; devices no line names are left alone (!).
pb_gid=990
cat > "$root"/etc/passwd <<EOT
root:x:0:0:root:/:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOT
cat > "$root"/etc/group <<EOT
root:x:0:
peerbridge:x:$pb_gid:
nogroup:x:65534:
EOT
awk -v groups="$root/etc/group" -v passwd="$root/etc/passwd" '
BEGIN {
	FS = ":"
	while ((getline l < groups) > 0) { split(l, f, ":"); gid[f[1]] = f[3] }
	while ((getline l < passwd) > 0) { split(l, f, ":"); uid[f[1]] = f[3] }
	FS = " "
}
/^[ \t]*(#|$)/ { next }
{
	sub(/^[ \t]+/, ""); sub(/[ \t]+$/, "")
	n = split($0, keys, /, */)
	subsys = ""; name = ".*"; owner = "root"; group = "root"; mode = ""
	for (i = 1; i <= n; i++) {
		k = keys[i]
		if (!match(k, /^[A-Z]+(==|=)"[^"]*"$/)) { bad = k; break }
		op = index(k, "==") ? "==" : "="
		key = substr(k, 1, index(k, op) - 1)
		val = substr(k, index(k, "\"") + 1); sub(/"$/, "", val)
		if (key == "SUBSYSTEM" && op == "==") subsys = val
		else if (key == "KERNEL" && op == "==") { name = val; gsub(/\./, "\\.", name); gsub(/\*/, ".*", name) }
		else if (key == "OWNER" && op == "=") owner = val
		else if (key == "GROUP" && op == "=") group = val
		else if (key == "MODE" && op == "=") mode = val
		else { bad = k; break }
	}
	if (bad != "" || mode == "" || !(owner in uid) || !(group in gid)) {
		printf "mkinitrd.sh: cannot translate the udev rule line: %s\n", $0 > "/dev/stderr"
		exit 1
	}
	printf "%s%s %s:%s %s\n", subsys != "" ? "SUBSYSTEM=" subsys ";" : "", name, uid[owner], gid[group], mode
}
END { if (!bad) print ".* 0:0 0600 !" }
' "$top"/udev/60-peerbridge.rules > "$root"/etc/mdev.conf

# libpci names devices from the PCI ID database (Debian's pci.ids)
mkdir -p "$root"/usr/share/misc
cp -L /usr/share/misc/pci.ids "$root"/usr/share/misc/

(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$out"
