#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: boot each supported stock kernel (KVERS=..., default both)
# once with a 1 GiB ivshmem BAR, run the guest half (bench/pbbench.c), and
# hand its measurements to scripts/bench_report.py: the table, the seven
# targets, build/bench/results.json and the plots.  Timings in an emulated
# guest mean little by themselves, so every figure is set next to its peer
# from the same run.  BENCH_QUICK=1 takes fewer runs per median.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
kvers=${KVERS:-$(scripts/kernels.sh)}
out=build/bench
mkdir -p "$out"
# shellcheck disable=SC2086
make -s KVERS="$kvers" all
status=0
for kver in $kvers; do
	echo "bench: $kver: booting with a 1 GiB BAR (QEMU TCG)"
	rm -f "$out/$kver.jsonl"
	# guest RAM for a 1 GiB udmabuf and a 1 GiB ibv_reg_mr, one at a time
	if ! PB_VM_VRAM=1G PB_VM_MEM=3072 PB_VM_TIMEOUT=900 \
		PB_VM_APPEND="pb.benchargs=${BENCH_QUICK:+-q} udmabuf.size_limit_mb=2048" \
		tests/vm/run.sh "$kver" bench build > "$out/$kver.out" 2>&1; then
		echo "bench: $kver: the guest failed:" >&2
		grep -v '^PB-BENCH' "$out/$kver.out" | tail -n 40 >&2
		status=1
	fi
	# from the serial log: the guest's own record of what it printed
	tr -d '\r' < "build/vm/$kver-bench.log" | sed -n 's/^PB-BENCH //p' > "$out/$kver.jsonl"
done
[ $status = 0 ] || exit 1
# shellcheck disable=SC2086
python3 scripts/bench_report.py "$out" $kvers
