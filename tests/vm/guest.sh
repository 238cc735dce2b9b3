# SPDX-License-Identifier: GPL-2.0
# Helpers of the guest's scripts (demo.sh, packages.sh), sourced.

# first PCI device with this vendor:device
bdf_of() {
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor")" = "$1" ] && [ "$(cat "$d/device")" = "$2" ]; then
			basename "$d"
			return 0
		fi
	done
	return 1
}
