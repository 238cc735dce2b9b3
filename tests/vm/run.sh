#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Boot one kernel in the reference topology and run the guest in a mode:
#   run.sh <kver> <check|checkdebug|demo|shell> <build-dir>
# Environment: PB_KERNEL_IMAGE (default /boot/vmlinuz-<kver>), PB_VM_MEM
# (MiB, default 1024), PB_VM_TIMEOUT (s, default 600), PB_VM_APPEND (more
# kernel command line), PB_DISTRO_MODULES (see mkinitrd.sh).
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
log=$vm/$kver-$mode.log
img=$vm/nvme-$kver.img	# one per kernel: runs may go in parallel

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
console=ttyS0
[ "$mode" = shell ] && serial=mon:stdio || serial=stdio
boot() {
	timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
		-accel tcg -M q35 -cpu max -m "${PB_VM_MEM:-1024}" -smp 2 -nographic -no-reboot \
		-vga none -net none -serial "$serial" -monitor none \
		-kernel "$image" -initrd "$initrd" \
		-append "console=$console quiet loglevel=4 panic=-1 oops=panic softlockup_panic=1 $detectors pb.mode=$mode ${PB_VM_APPEND:-}" \
		-object memory-backend-ram,id=hm,size=64M,share=on \
		-object memory-backend-ram,id=hm2,size=16M,share=on \
		-drive file="$img",if=none,id=nvm,format=raw \
		-device pcie-root-port,id=rp1,chassis=1,slot=1 \
		-device x3130-upstream,id=up1,bus=rp1 \
		-device xio3130-downstream,id=dn1,bus=up1,chassis=2,slot=1 \
		-device xio3130-downstream,id=dn2,bus=up1,chassis=2,slot=2 \
		-device xio3130-downstream,id=dn3,bus=up1,chassis=2,slot=3 \
		-device xio3130-downstream,id=dn4,bus=up1,chassis=2,slot=4 \
		-device ivshmem-plain,memdev=hm,bus=dn1 \
		-device edu,dma_mask=0xffffffffffffffff,bus=dn2 \
		-device VGA,bus=dn3 \
		-device nvme,serial=pb0001,drive=nvm,cmb_size_mb=16,bus=dn4 \
		-device pcie-root-port,id=rp2,chassis=3,slot=2 \
		-device ivshmem-plain,memdev=hm2,bus=rp2 \
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
	tr -d '\r' < "$1" | tail -n 80 | sed "s/^/PB-RIG: $kver: console: /"
}

set +e
boot
# the kernel splatted while booting, or died before it ran the guest's
# init, with nothing of ours loaded (tests/vm/init checks): not a verdict
# on peerbridge; shown, then booted once more
if grep -q '^PB-BOOT-SPLAT' "$log"; then
	mv "$log" "$log.boot-splat"
	echo "PB-RIG: $kver: the kernel splatted while booting, before any module of ours was loaded (log: $log.boot-splat); booting again"
	boot
elif [ $qrc != 124 ] && [ $qrc != 137 ] && ! grep -q 'PB-INIT' "$log"; then
	mv "$log" "$log.early"
	echo "PB-RIG: $kver: the guest died before its init ran (a kernel or QEMU failure; log: $log.early); booting again"
	console_tail "$log.early"
	boot
fi
set -e

status=0
if [ $qrc = 124 ] || [ $qrc = 137 ]; then
	echo "PB-RIG: $kver: guest did not finish within ${timeout}s; serial log: $log"
	console_tail "$log"
	status=1
fi
grc=$(sed -n 's/^PB-EXIT rc=\([0-9]*\).*/\1/p' "$log" | tr -d '\r' | tail -n1)
if [ -z "$grc" ]; then
	echo "PB-RIG: $kver: guest ended without a result (crash or panic?); serial log: $log"
	[ $status != 0 ] || console_tail "$log"
	echo "PB-RIG: $kver:guest_finished: Failed"
	exit 1
elif [ "$grc" != 0 ]; then
	status=1
fi

# A splat anywhere in the serial log or the dmesg dump fails the run.
splat='BUG:|WARNING:|Oops|KASAN|possible circular locking|sleeping function called from invalid context|hung_task|blocked for more than|Call Trace:|general protection fault|kernel BUG'
if grep -Eq "$splat" "$log"; then
	echo "PB-RIG: $kver: kernel splat in the guest's dmesg:"
	grep -En "$splat" "$log" | head -n 20
	echo "PB-RIG: serial log: $log"
	echo "PB-RIG: $kver:guest_dmesg_clean: Failed"
	status=1
else
	echo "PB-RIG: $kver:guest_dmesg_clean: Passed"
fi
[ $status = 0 ] || echo "PB-RIG: $kver: FAILED (serial log kept: $log)"
exit $status
