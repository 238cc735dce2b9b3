#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make check`: install what is missing, build everything, run the host unit
# tests, then the VM suite on every supported kernel (in parallel), print
# every test with its verdict prefixed by where it ran, and end with
# "N passed, N failed".  Exit status is nonzero on any failure.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
b=build
out=$b/check
mkdir -p "$out"
rm -f "$out"/*.log

scripts/deps.sh || exit 1
kvers=${KVER:-$(scripts/kernels.sh)}
if [ "$(echo "$kvers" | wc -w)" -lt 1 ]; then
	echo "check: no supported kernel with headers found" >&2
	exit 1
fi
echo "check: building for kernels: $(echo $kvers)"
if ! make -s KVERS="$kvers" all > "$out"/build.log 2>&1; then
	cat "$out"/build.log
	echo "check: build failed"
	echo "0 passed, 1 failed"
	exit 1
fi

status=0
echo "== host unit tests"
CK_VERBOSITY=verbose "$b"/tests/unit > "$out"/host.log 2>&1 || status=1

pids=
for k in $kvers; do
	tests/vm/run.sh "$k" check "$b" > "$out/$k.log" 2>&1 &
	pids="$pids $!"
done
sed 's/^/[host] /' "$out"/host.log
for pid in $pids; do
	wait "$pid" || status=1
done

for k in $kvers; do
	echo "== VM suite on $k (serial log: $b/vm/$k-check.log)"
	grep -E ':[PFE]:|^PB-RIG|^[0-9]+%: Checks' "$out/$k.log" | tr -d '\r' |
		sed "s/^/[$k] /"
done

passed=$(cat "$out"/*.log | tr -d '\r' |
	grep -Ec ':P:[^:]*:[^:]*:[0-9]*: Passed$|^PB-RIG: [^ ]*: Passed$')
failed=$(cat "$out"/*.log | tr -d '\r' |
	grep -Ec ':[FE]:|^PB-RIG: [^ ]*: Failed$')
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then
	failed=1	# a run failed without naming a test: count it
fi
[ "$failed" = 0 ] || status=1
echo "$passed passed, $failed failed"
exit $status
