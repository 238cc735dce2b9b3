#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make check` (LANES=stock, the default), `make check-debug`
# (LANES=debug) and `make check-packages` (LANES=packages); CI runs
# LANES="stock debug packages".  Installs what is missing, builds, runs
# the host unit tests and the install test, then:
#  - stock: the VM suite on every supported Debian kernel, in parallel;
#  - debug: the VM suite, a fault-injection sweep, the fuzzer and the
#    kmemleak/lockdep/DMA-API checks on a sanitizer kernel of each Debian
#    series, 6.1 and 6.12 (built once per machine by
#    scripts/debug-kernel.sh), side by side;
#  - packages: scripts/check-packages.sh: the .debs built, installed on
#    this machine, DKMS's module and the installed pbctl in the VM on both
#    kernels, purged.
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

# Every test the sources register must have run, on every kernel: a suite
# dropped from the runner (or a guest that died half way) fails by name.
# $1: yes for a debug kernel, which runs the fault sweep; the stock ones
# run the rxe and lockdown suites instead (RDMA and an LSM the debug kernel
# lacks).  $2: the rig: ref, or wide / iommu, which run only their own
# topology suite.
expected_tests() {
	for f in tests/vm/t_*.c; do
		case "$2:$f" in
		wide:tests/vm/t_topowide.c|iommu:tests/vm/t_topoiommu.c) ;;
		wide:*|iommu:*|ref:tests/vm/t_topowide.c|ref:tests/vm/t_topoiommu.c) continue ;;
		esac
		case "$1:$f" in
		no:tests/vm/t_faults.c|yes:tests/vm/t_lockdown.c|yes:tests/vm/t_rdma.c) continue ;;
		esac
		cat "$f"
	done | grep -c 'tcase_add_test('
}

# wait for every guest of a lane; any that failed fails the run
wait_all() {
	for pid in "$@"; do
		wait "$pid" || status=1
	done
}

# a named verdict for $1 (where), given its log $2 and the count $3
count_verdict() {
	ran=$(tr -d '\r' < "$2" | grep -Ec '^tests/[^:]*:[0-9]+:[PFES]:')
	if [ "$ran" = "$3" ]; then
		echo "PB-RIG: $1:all_$3_tests_ran: Passed"
	else
		echo "PB-RIG: $1:all_$3_tests_ran: Failed"
		echo "check: $1 ran $ran of the $3 tests the sources register" >&2
	fi
}

kvers=
case " $lanes " in *" stock "*)
	kvers=${KVER:-$(scripts/kernels.sh)}
	[ -n "$kvers" ] || fail_build "no supported kernel with headers found"
	# the stock lane is both Debian kernels, unless KVER asks for one
	if [ -z "${KVER:-}" ]; then
		for series in 6.1 6.12; do
			echo "$kvers" | grep -q "^$series\." ||
				fail_build "no Debian $series kernel with headers: run scripts/deps.sh"
		done
	fi
esac
echo "check: lanes: $lanes${kvers:+; kernels: $(echo $kvers)}"

# the debug kernels (a first build takes minutes) build while the stock
# lane runs: its guests spend most of their time waiting for edu's timers
debug_series=${DEBUG_SERIES:-6.1 6.12}
case " $lanes " in *" debug "*)
	(
		for series in $debug_series; do
			scripts/debug-kernel.sh "$series" || exit 1
		done
	) > "$out"/debug-kernels.log 2>&1 &
	dkpid=$!
esac
make -s KVERS="$kvers" all > "$out"/build.log 2>&1 || fail_build "build failed"

echo "== host unit tests"
CK_VERBOSITY=verbose "$b"/tests/unit > "$out"/host.log 2>&1 || status=1
sed 's/^/[host] /' "$out"/host.log
echo "== install test"
tests/install/run.sh "$b" > "$out"/install.log 2>&1 || status=1
sed 's/^/[install] /' "$out"/install.log

pids=
for k in $kvers; do
	tests/vm/run.sh "$k" check "$b" > "$out/$k.log" 2>&1 &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait_all $pids
# the topology suites' other rigs: nested switches, then the same under
# an IOMMU; each kernel's two runs one after the other, the kernels side
# by side
pids=
for k in $kvers; do
	{
		PB_VM_TOPO=wide tests/vm/run.sh "$k" check "$b" > "$out/$k-wide.log" 2>&1
		r1=$?
		PB_VM_TOPO=wide PB_VM_IOMMU=1 tests/vm/run.sh "$k" check "$b" > "$out/$k-iommu.log" 2>&1
		[ $r1 = 0 ] && [ $? = 0 ]
	} &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait_all $pids
for k in $kvers; do
	count_verdict "$k" "$out/$k.log" "$(expected_tests no ref)" >> "$out/$k.log"
	count_verdict "$k-wide" "$out/$k-wide.log" "$(expected_tests no wide)" >> "$out/$k-wide.log"
	count_verdict "$k-iommu" "$out/$k-iommu.log" "$(expected_tests no iommu)" >> "$out/$k-iommu.log"
	for rig in "" -wide -iommu; do
		serial=$b/vm/$k-check${rig:+-wide}.log
		[ "$rig" = -iommu ] && serial=$b/vm/$k-check-wide-iommu.log
		echo "== VM suite on $k${rig:+ (rig ${rig#-})} (serial log: $serial)"
		grep -E ':[PFES]:|^PB-RIG|^PB-RESULT|^[0-9]+%: Checks' "$out/$k$rig.log" | tr -d '\r' |
			sed "s/^/[$k${rig:+ ${rig#-}}] /"
	done
done

case " $lanes " in *" debug "*)
	# a sanitizer kernel per Debian series (DEBUG_SERIES picks), built once
	# per machine, each with its own module build; then the lanes run side
	# by side, like the stock kernels
	wait "$dkpid" || { cat "$out"/debug-kernels.log >> "$out"/build.log
		fail_build "debug kernel build failed"; }
	dks=
	for series in $debug_series; do
		dir=$(scripts/debug-kernel.sh "$series" | tail -n1) ||
			fail_build "debug kernel $series build failed"
		dk=$(cat "$dir/kver")
		make -s KVERS="$dk" DEBUG_KVER="$dk" DEBUG_KDIR="$dir/build" kmod \
			>> "$out"/build.log 2>&1 ||
			fail_build "module build for the $series debug kernel failed"
		dks="$dks $dk:$dir"
	done
	calls=${PB_FUZZ_CALLS:-100000}
	pids=
	for d in $dks; do
		dk=${d%%:*} dir=${d#*:}
		# no5lvl: with 5-level paging (QEMU's -cpu max has LA57) the
		# KASAN kernel takes an early interrupt on an address its shadow
		# does not cover yet and reports a wild-memory-access while booting
		PB_KERNEL_IMAGE=$dir/bzImage PB_DISTRO_MODULES= PB_VM_MEM=2048 \
		PB_VM_TIMEOUT=${PB_DEBUG_TIMEOUT:-2700} \
		PB_VM_APPEND="no5lvl pb.fuzzcalls=$calls ${PB_FUZZ_SEED:+pb.fuzzseed=$PB_FUZZ_SEED}" \
			tests/vm/run.sh "$dk" checkdebug "$b" > "$out/debug-$dk.log" 2>&1 &
		pids="$pids $!"
	done
	# shellcheck disable=SC2086
	wait_all $pids
	for d in $dks; do
		dk=${d%%:*}
		log=$out/debug-$dk.log
		count_verdict "$dk" "$log" "$(expected_tests yes ref)" >> "$log"
		echo "== debug lane on $dk: KASAN, lockdep, kmemleak, DMA-API debug, fault injection (serial log: $b/vm/$dk-checkdebug.log)"
		grep -E ':[PFES]:|^PB-RIG|^PB-RESULT|^PB-SWEEP|^PB-FUZZ|^PB-LEAK|^pbfuzz|^[0-9]+%: Checks' \
			"$log" | tr -d '\r' | sed "s/^/[debug $dk] /"
		injected=$(tr -d '\r' < "$log" |
			sed -n 's/^PB-SWEEP .*: \([0-9]*\) fault points.*/\1/p' |
			awk '{ n += $1 } END { print n + 0 }')
		fuzz=$(tr -d '\r' < "$log" | sed -n 's/^PB-FUZZ //p' | tail -n1)
		vmtests=$(tr -d '\r' < "$log" | grep -Ec '^tests/[^:]*:[0-9]+:[PFES]:')
		echo "debug lane on $dk: $vmtests suite tests, $injected injected allocation failures, fuzzer: ${fuzz:-did not finish}"
	done
esac

case " $lanes " in *" packages "*)
	echo "== packages: make deb, installed here, DKMS for both Debian kernels, the installed pieces in the VM"
	scripts/check-packages.sh "$b" > "$out"/packages.log 2>&1 || status=1
	sed 's/^/[packages] /' "$out"/packages.log
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
