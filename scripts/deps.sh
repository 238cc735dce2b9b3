#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install everything peerbridge needs on a Debian 12 (bookworm) machine:
# tool chain, QEMU, busybox, the libraries, and the headers + images of
# Debian's 6.1 kernel and the newest 6.12 from bookworm-backports (whose
# apt source it adds, reusing the URI of the Debian source already
# configured), and the sources of both for the sanitizer lane's kernels.  Idempotent and non-interactive; silent when nothing is
# missing, otherwise it says what it installs.  Installing needs root.
set -eu

export DEBIAN_FRONTEND=noninteractive

PKGS="build-essential pkg-config bc flex bison libelf-dev libssl-dev
xz-utils zstd busybox-static qemu-system-x86 cpio kmod
rdma-core ibverbs-providers libibverbs-dev libdrm-dev libpci-dev pci.ids check
iproute2 perftest python3 gnuplot-nox
linux-image-amd64 linux-headers-amd64 linux-source-6.1"

need_root() {
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing: $1; run scripts/deps.sh as root to install it" >&2
		exit 1
	fi
}

apt_updated=
apt_update_once() {
	[ -n "$apt_updated" ] && return 0
	echo "deps.sh: apt-get update"
	apt-get update -q
	apt_updated=yes
}

# First URI of a Debian source (deb822 or one-line) that carries bookworm.
debian_uri() {
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ && u {print u; exit}' "$f"
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' "$f"
	done
}

# --- Debian packages -----------------------------------------------------------
missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	need_root "$missing"
	apt_update_once
	echo "deps.sh: installing:$missing"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

# --- the 6.12 kernel and its source from bookworm-backports -------------------
need_backports() {
	if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
		uri=$(debian_uri | head -n1)
		if [ -z "$uri" ]; then
			echo "deps.sh: no Debian bookworm apt source to derive bookworm-backports from" >&2
			exit 1
		fi
		echo "deps.sh: adding the bookworm-backports apt source ($uri)"
		cat > /etc/apt/sources.list.d/peerbridge-backports.sources <<EOT
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
		apt_updated=
	fi
	apt_update_once
}

if [ -z "$(ls -d /lib/modules/6.12.*+*[0-9]-amd64/build 2>/dev/null)" ]; then
	need_root "a 6.12 kernel from bookworm-backports"
	need_backports
	img=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+[a-z0-9]+-amd64-unsigned$' |
		awk '{print $1}' | sort -V | tail -n1)
	if [ -z "$img" ]; then
		echo "deps.sh: bookworm-backports offers no linux-image-6.12.*-amd64-unsigned" >&2
		exit 1
	fi
	kv=${img#linux-image-}
	kv=${kv%-unsigned}
	echo "deps.sh: installing $img and linux-headers-$kv"
	apt-get install -y -q --no-install-recommends -t bookworm-backports \
		"$img" "linux-headers-$kv"
fi

# the source of the sanitizer lane's 6.12 debug kernel
if ! dpkg-query -W -f='${Status}' linux-source-6.12 2>/dev/null | grep -q 'ok installed'; then
	need_root "linux-source-6.12 from bookworm-backports"
	need_backports
	echo "deps.sh: installing linux-source-6.12"
	apt-get install -y -q --no-install-recommends -t bookworm-backports \
		linux-source-6.12
fi
