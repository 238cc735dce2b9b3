#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Print the supported kernels that have headers installed, one per line:
# the newest Debian 6.1 and the newest 6.12 (generic amd64 flavour).
for series in 6.1 6.12; do
	for d in /lib/modules/"$series".*-amd64/build; do
		[ -d "$d" ] || continue
		k=$(basename "$(dirname "$d")")
		case $k in *-rt-amd64|*-cloud-amd64) continue ;; esac
		echo "$k"
	done | sort -V | tail -n1
done
