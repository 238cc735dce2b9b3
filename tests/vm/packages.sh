#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest part of `make check-packages` (scripts/check-packages.sh): the
# module DKMS built and the pbctl and libpeerbridge the packages installed
# -- the host names them on the command line by checksum -- bind the
# "VRAM" and the NVMe CMB, answer doctor, list the regions and copy VRAM
# -> CMB with the edu DMA engine, verified.  One PB-RESULT line per test.
. /tests/guest.sh

rc=0
check() {
	name=$1
	shift
	if "$@" > /tmp/$name.log 2>&1; then
		echo "PB-RESULT $name: Passed"
	else
		sed "s/^/$name: /" /tmp/$name.log
		echo "PB-RESULT $name: Failed"
		rc=1
	fi
}

# the host's checksums, lowercase, from the kernel command line
arg() { sed -n "s/.*pb\.$1=\([a-z0-9]*\).*/\1/p" /proc/cmdline; }

# init loaded /lib/modules/peerbridge.ko: the one DKMS built
module_is_the_dkms_build() {
	v=$(md5sum < /lib/modules/peerbridge.ko | cut -d' ' -f1)
	echo "loaded peerbridge.ko $v, DKMS built $(arg kosum)"
	[ -d /sys/module/peerbridge ] && [ "$v" = "$(arg kosum)" ]
}

# pbctl is the installed one, and the only libpeerbridge.so.1 in the guest
# is the installed one
pbctl_and_library_are_the_installed_ones() {
	lib=$(ls /lib/*/libpeerbridge.so.1 /usr/lib/*/libpeerbridge.so.1 \
		/usr/lib/libpeerbridge.so.1 2>/dev/null)
	echo "libpeerbridge.so.1: $lib"
	[ "$(echo "$lib" | wc -w)" = 1 ] &&
		[ "$(md5sum < /bin/pbctl | cut -d' ' -f1)" = "$(arg pbctlsum)" ] &&
		[ "$(md5sum < "$lib" | cut -d' ' -f1)" = "$(arg libsum)" ]
}

doctor_answers() {
	pbctl doctor > /tmp/doctor.out 2>&1
	drc=$?
	cat /tmp/doctor.out
	# 0: all well, 1: it found a problem; either is an answer
	[ $drc -le 1 ] && grep -Eq 'OK|WARN|FAIL' /tmp/doctor.out
}

vram=$(bdf_of 0x1af4 0x1110)
nvme=$(bdf_of 0x1b36 0x0010)

list_shows_the_bound_regions() {
	pbctl bind "$vram" && pbctl bind "$nvme" && pbctl list > /tmp/list.out
	cat /tmp/list.out
	grep -q "$vram-bar2" /tmp/list.out && grep -q "$nvme-cmb" /tmp/list.out
}

copy_vram_to_cmb_verifies() {
	pbctl copy "$vram-bar2@0" "$nvme-cmb@0" 64K --verify
}

check dkms_module_is_loaded module_is_the_dkms_build
check installed_pbctl_and_libpeerbridge_run pbctl_and_library_are_the_installed_ones
check pbctl_doctor_answers doctor_answers
check pbctl_list_shows_the_bound_regions list_shows_the_bound_regions
check pbctl_copy_vram_to_cmb_verifies copy_vram_to_cmb_verifies
exit $rc
