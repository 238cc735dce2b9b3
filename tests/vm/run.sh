#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot one kernel in the reference topology and run the guest in a mode:
#   run.sh <kver> <check|checkdebug|demo|packages|shell> <build-dir>
# Environment: PB_KERNEL_IMAGE (default /boot/vmlinuz-<kver>), PB_VM_MEM
# (MiB, default 1024), PB_VM_TIMEOUT (s, default 600), PB_VM_APPEND (more
# kernel command line), PB_DISTRO_MODULES (see mkinitrd.sh), PB_VM_TOPO
# (ref, the default, or wide: see below), PB_VM_IOMMU=1 (an Intel IOMMU,
# translating), PB_VM_VRAM (a size: one more ivshmem that large, on a root
# port of its own, for `make bench`'s 1 GiB "VRAM"), PB_VM_MODULE and
# PB_VM_PBCTL (test an installed module and pbctl, not build/'s: see
# mkinitrd.sh).
# Prints the guest's output (without the dmesg dump), keeps the whole
# serial log in <build-dir>/vm/<kver>-<mode>.log, and exits nonzero when
# the guest's own status is nonzero, the guest did not finish within the
# timeout, or its dmesg shows a kernel splat.
set -eu

kver=$1 mode=$2 b=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
timeout=${PB_VM_TIMEOUT:-600}
image=${PB_KERNEL_IMAGE:-/boot/vmlinuz-$kver}
vm=$b/vm
mkdir -p "$vm"
initrd=$vm/initrd-$kver.cpio.gz
[ -z "${PB_VM_MODULE:-}${PB_VM_PBCTL:-}" ] || initrd=$vm/initrd-$kver-installed.cpio.gz
topo=${PB_VM_TOPO:-ref}
iommu=${PB_VM_IOMMU:-}
# a run other than the reference one is told apart in its files' names
tag=$mode
[ "$topo" = ref ] || tag=$tag-$topo
[ -z "$iommu" ] || tag=$tag-iommu
log=$vm/$kver-$tag.log
where=$kver${tag#"$mode"}	# how its verdicts are named
img=$vm/nvme-$kver-$tag.img	# one per run: runs may go in parallel

"$top"/tests/vm/mkinitrd.sh "$kver" "$initrd" "$b"
[ -f "$img" ] || truncate -s 64M "$img"

# Under TCG a guest's CPU can go 20 s without scheduling while two guests
# share two host cores (the debug kernel's boot, lockdep and KASAN
# unwinding stacks, took 22 s): the soft-lockup and RCU-stall detectors
# wait 120 s instead of 20 s, and still catch a real lockup.
detectors="watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=120"

# Reference topology (CONTRACT.md): root port rp1 -> x3130 switch with
# ivshmem "VRAM", edu DMA engine, VGA and nvme with a CMB below it; root
# port rp2 with a second ivshmem, reached only through the host bridge.
# Both start with a switch below root port rp1, downstream ports dn1..dn3.
switch_on_rp1="
	-device pcie-root-port,id=rp1,chassis=1,slot=1
	-device x3130-upstream,id=up1,bus=rp1
	-device xio3130-downstream,id=dn1,bus=up1,chassis=2,slot=1
	-device xio3130-downstream,id=dn2,bus=up1,chassis=2,slot=2
	-device xio3130-downstream,id=dn3,bus=up1,chassis=2,slot=3"
ref_topology="$switch_on_rp1
	-device xio3130-downstream,id=dn4,bus=up1,chassis=2,slot=4
	-device ivshmem-plain,memdev=hm,bus=dn1
	-device edu,dma_mask=0xffffffffffffffff,bus=dn2
	-device VGA,bus=dn3
	-device nvme,serial=pb0001,drive=nvm,cmb_size_mb=16,bus=dn4
	-device pcie-root-port,id=rp2,chassis=3,slot=2
	-device ivshmem-plain,memdev=hm2,bus=rp2"
# The wide topology (the topology suites' second rig): nested switches
# below rp1 -- ivshmem #0 and edu below the inner switch (PIX), ivshmem #1
# and nvme below the outer one (PXB from edu) -- a third ivshmem on root
# port rp2 and the VGA on the root bus itself (both PHB).  The third
# ivshmem's 2 GiB BAR fits in no 32-bit window, so the firmware places the
# 64-bit BARs above 4 GiB: DMA to addresses beyond 32 bits gets tested.
wide_topology="$switch_on_rp1
	-device x3130-upstream,id=up2,bus=dn1
	-device xio3130-downstream,id=dn11,bus=up2,chassis=4,slot=1
	-device xio3130-downstream,id=dn12,bus=up2,chassis=4,slot=2
	-device ivshmem-plain,memdev=hm,bus=dn11
	-device edu,dma_mask=0xffffffffffffffff,bus=dn12
	-device ivshmem-plain,memdev=hm2,bus=dn2
	-device nvme,serial=pb0001,drive=nvm,cmb_size_mb=16,bus=dn3
	-device pcie-root-port,id=rp2,chassis=3,slot=2
	-device ivshmem-plain,memdev=hm3,bus=rp2
	-device VGA,bus=pcie.0"
hm3_size=16M
case $topo in
ref) devices=$ref_topology ;;
wide) devices=$wide_topology hm3_size=2G ;;
*) echo "run.sh: unknown PB_VM_TOPO '$topo'" >&2; exit 2 ;;
esac
# QEMU's IOMMU translates every DMA, also below a switch (real switches
# turn peer TLPs around before any IOMMU); interrupt remapping off keeps
# the split irqchip out
iommu_dev= iommu_append=
if [ -n "$iommu" ]; then
	iommu_dev="-device intel-iommu,intremap=off"
	iommu_append="intel_iommu=on iommu=nopt"
fi
# below a switch, SeaBIOS hangs on a BAR of 1 GiB: a root port of its own
vram=
[ -z "${PB_VM_VRAM:-}" ] || vram="-object memory-backend-ram,id=vram,size=$PB_VM_VRAM,share=on
	-device pcie-root-port,id=rp9,chassis=9,slot=9
	-device ivshmem-plain,memdev=vram,bus=rp9"
console=ttyS0
[ "$mode" = shell ] && serial=mon:stdio || serial=stdio
boot() {
	: > "$log"	# before tail -f below looks for it
	timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
		-accel tcg -M q35 -cpu max -m "${PB_VM_MEM:-1024}" -smp 2 -nographic -no-reboot \
		-vga none -net none -serial "$serial" -monitor none \
		-kernel "$image" -initrd "$initrd" \
		-append "console=$console quiet loglevel=4 panic=-1 oops=panic softlockup_panic=1 $detectors pb.mode=$mode pb.topo=$topo $iommu_append ${PB_VM_APPEND:-}" \
		-object memory-backend-ram,id=hm,size=64M,share=on \
		-object memory-backend-ram,id=hm2,size=16M,share=on \
		-object memory-backend-ram,id=hm3,size=$hm3_size,share=on \
		-drive file="$img",if=none,id=nvm,format=raw \
		$iommu_dev $devices $vram \
		< /dev/null > "$log" 2>&1 &
	qpid=$!
	if [ "$mode" = shell ]; then
		wait $qpid
		exit 0
	fi
	# stream the guest's output, minus its dmesg dump, while it runs
	tail -n +1 -f "$log" --pid=$qpid | sed -u '/^PB-DMESG-BEGIN/,/^PB-DMESG-END/d' | tr -d '\r'
	wait $qpid
	qrc=$?
}
# the last lines the guest's console printed: where a CI log is all there
# is, a panic or a hang must be readable from it
console_tail() {
	tr -d '\r' < "$1" | tail -n 80 | sed "s/^/PB-RIG: $where: console: /"
}

set +e
boot
# the kernel splatted while booting, or died before it ran the guest's
# init, with nothing of ours loaded (tests/vm/init checks): not a verdict
# on peerbridge; shown, then booted once more
if grep -q '^PB-BOOT-SPLAT' "$log"; then
	mv "$log" "$log.boot-splat"
	echo "PB-RIG: $where: the kernel splatted while booting, before any module of ours was loaded (log: $log.boot-splat); booting again"
	boot
elif [ $qrc != 124 ] && [ $qrc != 137 ] && ! grep -q 'PB-INIT' "$log"; then
	mv "$log" "$log.early"
	echo "PB-RIG: $where: the guest died before its init ran (a kernel or QEMU failure; log: $log.early); booting again"
	console_tail "$log.early"
	boot
fi
set -e

status=0
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "PB-RIG: $where: guest did not finish within ${timeout}s; serial log: $log"
	console_tail "$log"
	status=1
fi
grc=$(sed -n 's/^PB-EXIT rc=\([0-9]*\).*/\1/p' "$log" | tr -d '\r' | tail -n1)
if [ -z "$grc" ]; then
	echo "PB-RIG: $where: guest ended without a result (crash or panic?); serial log: $log"
	[ $status != 0 ] || console_tail "$log"
	echo "PB-RIG: $where:guest_finished: Failed"
	exit 1
elif [ "$grc" != 0 ]; then
	status=1
fi

# A splat anywhere in the serial log or the dmesg dump fails the run.
splat='BUG:|WARNING:|Oops|KASAN|possible circular locking|sleeping function called from invalid context|hung_task|blocked for more than|Call Trace:|general protection fault|kernel BUG'
if grep -Eq "$splat" "$log"; then
	echo "PB-RIG: $where: kernel splat in the guest's dmesg:"
	grep -En "$splat" "$log" | head -n 20
	echo "PB-RIG: serial log: $log"
	echo "PB-RIG: $where:guest_dmesg_clean: Failed"
	status=1
else
	echo "PB-RIG: $where:guest_dmesg_clean: Passed"
fi
[ $status = 0 ] || echo "PB-RIG: $where: FAILED (serial log kept: $log)"
exit $status
