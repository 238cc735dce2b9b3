#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In-guest part of `make demo`: bind the "VRAM" (ivshmem) and the NVMe
# controller to peerbridge, list the regions, round-trip a pattern through
# two independent mappings of each, then move data device to device: VRAM
# -> NVMe CMB by the edu DMA engine, peer-to-peer below the PCIe switch.
set -e
. /tests/guest.sh

vram=$(bdf_of 0x1af4 0x1110)
nvme=$(bdf_of 0x1b36 0x0010)
echo
echo "== ivshmem (VRAM stand-in) at $vram, nvme with a 16 MiB CMB at $nvme (driver: $(basename "$(readlink /sys/bus/pci/devices/$nvme/driver)"))"
echo "\$ pbctl bind $vram"
pbctl bind "$vram"
echo "\$ pbctl bind $nvme"
pbctl bind "$nvme"
echo
echo "\$ pbctl list"
pbctl list
echo
echo "\$ pbdemo $vram-bar2"
pbdemo "$vram-bar2"
echo
echo "\$ pbdemo $nvme-cmb"
pbdemo "$nvme-cmb"
echo
echo "== peer-to-peer: fill VRAM from the CPU, export it as a dma-buf, DMA it to the"
echo "== CMB with the edu engine (bus addresses, below the switch), read the CMB back"
echo "\$ pbctl copy $vram-bar2@0 $nvme-cmb@0 64K --verify"
pbctl copy "$vram-bar2@0" "$nvme-cmb@0" 64K --verify
echo
echo "\$ pbctl unbind $nvme    # revokes the CMB mappings, gives the controller back to nvme"
pbctl unbind "$nvme"
