#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make check` (LANES=stock, the default) and `make check-debug`
# (LANES=debug); CI runs LANES="stock debug".  Installs what is missing,
# builds, runs the host unit tests, then:
#  - stock: the VM suite on every supported Debian kernel, in parallel;
#  - debug: the VM suite, a fault-injection sweep, the fuzzer and the
#    kmemleak/lockdep/DMA-API checks on the sanitizer kernel (built once
#    per machine by scripts/debug-kernel.sh).
# Prints every test with its verdict, prefixed by where it ran, and ends
# with "N passed, N failed".  Exit status is nonzero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
b=build
out=$b/check
lanes=${LANES:-stock}
mkdir -p "$out"
rm -f "$out"/*.log
status=0

scripts/deps.sh || exit 1

fail_build() {
	cat "$out"/build.log
	echo "check: $1"
	echo "0 passed, 1 failed"
	exit 1
}

kvers=
case " $lanes " in *" stock "*)
	kvers=${KVER:-$(scripts/kernels.sh)}
	[ -n "$kvers" ] || fail_build "no supported kernel with headers found"
esac
echo "check: lanes: $lanes${kvers:+; kernels: $(echo $kvers)}"
make -s KVERS="$kvers" all > "$out"/build.log 2>&1 || fail_build "build failed"

echo "== host unit tests"
CK_VERBOSITY=verbose "$b"/tests/unit > "$out"/host.log 2>&1 || status=1
sed 's/^/[host] /' "$out"/host.log

pids=
for k in $kvers; do
	tests/vm/run.sh "$k" check "$b" > "$out/$k.log" 2>&1 &
	pids="$pids $!"
done
for pid in $pids; do
	wait "$pid" || status=1
done
for k in $kvers; do
	echo "== VM suite on $k (serial log: $b/vm/$k-check.log)"
	grep -E ':[PFES]:|^PB-RIG|^PB-RESULT|^[0-9]+%: Checks' "$out/$k.log" | tr -d '\r' |
		sed "s/^/[$k] /"
done

case " $lanes " in *" debug "*)
	dir=$(scripts/debug-kernel.sh | tail -n1) || fail_build "debug kernel build failed"
	dk=$(cat "$dir/kver")
	make -s KVERS="$dk" DEBUG_KVER="$dk" DEBUG_KDIR="$dir/build" kmod \
		>> "$out"/build.log 2>&1 || fail_build "module build for the debug kernel failed"
	calls=${PB_FUZZ_CALLS:-100000}
	# no5lvl: with 5-level paging (QEMU's -cpu max has LA57) the KASAN
	# kernel takes an early interrupt on an address its shadow does not
	# cover yet and reports a wild-memory-access while booting
	PB_KERNEL_IMAGE=$dir/bzImage PB_DISTRO_MODULES= PB_VM_MEM=2048 \
	PB_VM_TIMEOUT=${PB_DEBUG_TIMEOUT:-2700} \
	PB_VM_APPEND="no5lvl pb.fuzzcalls=$calls ${PB_FUZZ_SEED:+pb.fuzzseed=$PB_FUZZ_SEED}" \
		tests/vm/run.sh "$dk" checkdebug "$b" > "$out/debug.log" 2>&1 || status=1
	echo "== debug lane on $dk: KASAN, lockdep, kmemleak, DMA-API debug, fault injection (serial log: $b/vm/$dk-checkdebug.log)"
	grep -E ':[PFES]:|^PB-RIG|^PB-RESULT|^PB-SWEEP|^PB-FUZZ|^pbfuzz|^[0-9]+%: Checks' \
		"$out/debug.log" | tr -d '\r' | sed "s/^/[debug] /"
	injected=$(tr -d '\r' < "$out/debug.log" |
		sed -n 's/^PB-SWEEP .*: \([0-9]*\) fault points.*/\1/p' |
		awk '{ n += $1 } END { print n + 0 }')
	fuzz=$(tr -d '\r' < "$out/debug.log" | sed -n 's/^PB-FUZZ //p' | tail -n1)
	vmtests=$(tr -d '\r' < "$out/debug.log" | grep -Ec '^tests/[^:]*:[0-9]+:[PFES]:')
	echo "debug lane: $vmtests suite tests, $injected injected allocation failures, fuzzer: ${fuzz:-did not finish}"
esac

# Check's result lines start with the test's file; PB-RIG/PB-RESULT are the
# rig's and the guest's own named verdicts
passed=$(cat "$out"/*.log | tr -d '\r' |
	grep -Ec '^tests/[^:]*:[0-9]+:P:|^PB-(RIG:|RESULT) [^ ]*: Passed$')
failed=$(cat "$out"/*.log | tr -d '\r' |
	grep -Ec '^tests/[^:]*:[0-9]+:[FES]:|^PB-(RIG:|RESULT) [^ ]*: Failed$')
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
	failed=1	# a run failed without naming a test: count it
fi
[ "$failed" = 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
