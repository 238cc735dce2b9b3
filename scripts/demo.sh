#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# `make demo`: boot the VM (KVER=..., default the newest supported kernel)
# and show peerbridge binding devices and round-tripping data through them.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
scripts/deps.sh
kver=${KVER:-$(scripts/kernels.sh | tail -n1)}
echo "demo: building for $kver"
make -s KVERS="$kver" all
echo "demo: booting $kver in QEMU (TCG) with the reference topology"
tests/vm/run.sh "$kver" demo build |
	sed -e 's/\x1bc//g' -e 's/\x1b[[0-9;?]*[a-zA-Z]//g' \
	    -e '/SeaBIOS\|Booting from ROM\|^PB-\|reboot: Power down/d'
