#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make check-packages` (and the packages lane of scripts/check.sh): build
# the Debian packages (`make deb`), install them on this machine, have
# DKMS build and install the module for both Debian kernels, then boot
# each kernel in the VM with the module DKMS built
# (/lib/modules/<kver>/updates/dkms) and the pbctl and libpeerbridge the
# packages installed (tests/vm/packages.sh runs pbctl doctor, list and a
# verified copy); purge the packages at the end, also after a failure.
# The module is never loaded on this machine.  Prints one
# "PB-RESULT <test>: Passed|Failed" line per test and the rig's PB-RIG
# lines, then "N passed, N failed"; exits nonzero on any failure.
#   scripts/check-packages.sh [<build-dir>]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
b=${1:-build}
export DEBIAN_FRONTEND=noninteractive
log=$b/check/packages-steps.txt
mkdir -p "$b/check"
: > "$log"
rc=0
pkgs="peerbridge-dkms libpeerbridge1 libpeerbridge-dev pbctl"
version=$(sed -n 's/^VERSION[[:space:]]*:= *//p' Makefile)

[ "$(id -u)" = 0 ] || { echo "check-packages: installs packages: run as root" >&2; exit 1; }
kvers=$(scripts/kernels.sh)
for series in 6.1 6.12; do
	echo "$kvers" | grep -q "^$series\." ||
		{ echo "check-packages: no Debian $series kernel with headers: run scripts/deps.sh" >&2; exit 1; }
done

# result <test> <command...>: one verdict, the command's output in the
# steps log (and on the console when it fails)
result() {
	name=$1
	shift
	echo "== $name" >> "$log"
	set +e
	(set -e; "$@") > "$b/check/packages-step.txt" 2>&1
	st=$?
	set -e
	cat "$b/check/packages-step.txt" >> "$log"
	if [ $st = 0 ]; then
		echo "PB-RESULT $name: Passed"
	else
		tail -n 30 "$b/check/packages-step.txt" | sed "s/^/$name: /"
		echo "PB-RESULT $name: Failed"
		rc=1
	fi
}

# every package of ours dpkg knows in any state (half-configured after a
# failed postinst, unpacked, config-files) goes, not only installed ones
purge() {
	dpkg --configure -a >> "$log" 2>&1 || true
	known=
	for p in $pkgs; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || continue
		[ "$st" = not-installed ] || known="$known $p"
	done
	# one call: dpkg orders the dependents first
	# shellcheck disable=SC2086
	[ -z "$known" ] || dpkg --purge $known >> "$log" 2>&1
}
# whatever happens, nothing of ours stays installed: dash runs the EXIT
# trap on exit only, so a signal exits first
trap 'purge || echo "check-packages: purging the packages failed (log: $log)" >&2' EXIT
trap 'exit 130' INT TERM HUP

build_debs() {
	make -s KVERS="$kvers" all
	make -s deb
}
install_debs() {
	# an earlier run that died before purging
	purge
	# apt takes a path for a .deb, not a name
	debs=
	# make deb writes build/deb whatever the build directory
	for d in "$top"/build/deb/*.deb; do
		case $d in *-dbgsym_*) ;; *) debs="$debs $d" ;; esac
	done
	# an administrator's own (non-system) group of that name, on a machine
	# that has none yet, is what the postinst must keep
	getent group peerbridge > /dev/null || groupadd peerbridge
	gid=$(getent group peerbridge | cut -d: -f3)
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $debs
	[ "$(getent group peerbridge | cut -d: -f3)" = "$gid" ]
	test -x /usr/sbin/pbctl
}
# the package's postinst has built it already for every kernel with
# headers: build it again, for this test
dkms_build_install() {
	dkms build -m peerbridge -v "$version" -k "$1" --force
	dkms install -m peerbridge -v "$version" -k "$1" --force
	ls /lib/modules/"$1"/updates/dkms/peerbridge.ko*
}
lib=$(${CC:-cc} -print-multiarch)
lib=/usr/lib/${lib:+$lib/}libpeerbridge.so.1
guest() {
	k=$1
	ko=$(ls /lib/modules/"$k"/updates/dkms/peerbridge.ko*)
	# the guest gets it decompressed
	case $ko in
	*.ko.xz) kosum=$(xz -dc "$ko" | md5sum | cut -d' ' -f1) ;;
	*.ko.zst) kosum=$(zstd -qdc "$ko" | md5sum | cut -d' ' -f1) ;;
	*) kosum=$(md5sum < "$ko" | cut -d' ' -f1) ;;
	esac
	pbctlsum=$(md5sum < /usr/sbin/pbctl | cut -d' ' -f1)
	libsum=$(md5sum < "$lib" | cut -d' ' -f1)
	PB_VM_MODULE=$ko PB_VM_PBCTL=/usr/sbin/pbctl \
	PB_VM_APPEND="pb.kosum=$kosum pb.pbctlsum=$pbctlsum pb.libsum=$libsum" \
		tests/vm/run.sh "$k" packages "$b" > "$b/check/packages-$k.vm" 2>&1 || return 1
}
purged() {
	purge
	for p in $pkgs; do
		st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || continue
		[ "$st" = not-installed ] || { echo "$p still known to dpkg: $st"; return 1; }
	done
	left=$(ls /usr/sbin/pbctl "$lib" /usr/src/peerbridge-* \
		/lib/modules/*/updates/dkms/peerbridge.ko* /var/lib/dkms/peerbridge 2>/dev/null || true)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

result packages_build_and_pass_lintian build_debs
if [ $rc = 0 ]; then
	result packages_install install_debs
fi
if [ $rc = 0 ]; then
	for k in $kvers; do
		result "dkms_builds_and_installs_for_$k" dkms_build_install "$k"
	done
fi
if [ $rc = 0 ]; then
	for k in $kvers; do
		set +e
		guest "$k"
		vrc=$?
		set -e
		# the guest's verdicts and the rig's, named by kernel
		tr -d '\r' < "$b/check/packages-$k.vm" | grep -E '^PB-RESULT|^PB-RIG' |
			sed "s/^PB-RESULT \([^ ]*\):/PB-RESULT $k:\1:/"
		n=$(tr -d '\r' < "$b/check/packages-$k.vm" | grep -c '^PB-RESULT ' || true)
		# modules_load, the five of packages.sh, module_unloads_cleanly
		if [ "$vrc" = 0 ] && [ "$n" = 7 ]; then
			echo "PB-RIG: $k:packages_guest_ran_all_7_tests: Passed"
		else
			echo "PB-RIG: $k:packages_guest_ran_all_7_tests: Failed"
			echo "check-packages: $k: guest exit $vrc, $n of 7 results (log: $b/check/packages-$k.vm)"
			rc=1
		fi
	done
fi
result packages_purge_cleanly purged
exit $rc
