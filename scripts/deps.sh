#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Install everything peerbridge needs on a Debian 12 (bookworm) machine.
# Idempotent, non-interactive; run as root.  Adds the bookworm-backports
# suite (reusing the URI of the Debian source already configured) for the
# 6.12 kernel.  Prints what it installs.
set -eu

export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: must run as root (it installs Debian packages)" >&2
	exit 1
fi

PKGS="build-essential gcc make pkg-config bc flex bison libelf-dev libssl-dev
busybox-static qemu-system-x86 cpio kmod
rdma-core ibverbs-providers libibverbs-dev libdrm-dev libpci-dev check
linux-image-amd64 linux-headers-amd64"

# --- bookworm-backports source --------------------------------------------
debian_uri() {
	# First URI of a deb822 or one-line source that carries the bookworm suite.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk '/^URIs:/ {u=$2} /^Suites:/ && / bookworm( |$)/ && u {print u; exit}' "$f"
	done | head -n1
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		awk '$1 == "deb" && $3 == "bookworm" {print $2; exit}' "$f"
	done | head -n1
}

BP=/etc/apt/sources.list.d/peerbridge-backports.sources
if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	uri=$(debian_uri | head -n1)
	if [ -z "$uri" ]; then
		echo "deps.sh: no Debian bookworm source found to derive backports from" >&2
		exit 1
	fi
	echo "deps.sh: adding bookworm-backports from $uri"
	cat > "$BP" <<EOT
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
	updated=
else
	updated=yes
fi

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done

if [ -n "$missing" ] || [ -z "$updated" ]; then
	echo "deps.sh: apt-get update"
	apt-get update -q
fi
if [ -n "$missing" ]; then
	echo "deps.sh: installing:$missing"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi

# --- backports 6.12 kernel: newest unsigned image + matching headers ---------
have612=$(ls -d /lib/modules/6.12.*+*[0-9]-amd64/build 2>/dev/null | head -n1 || true)
if [ -z "$have612" ]; then
	[ -n "$updated" ] && apt-get update -q
	img=$(apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+[a-z0-9]+-amd64-unsigned$' |
		awk '{print $1}' | sort -V | tail -n1)
	if [ -z "$img" ]; then
		echo "deps.sh: no linux-image-6.12.*-amd64-unsigned in bookworm-backports" >&2
		exit 1
	fi
	kv=${img#linux-image-}
	kv=${kv%-unsigned}
	echo "deps.sh: installing $img linux-headers-$kv from bookworm-backports"
	apt-get install -y -q --no-install-recommends -t bookworm-backports \
		"$img" "linux-headers-$kv"
fi

echo "deps.sh: kernels with headers:"
for d in /lib/modules/*/build; do
	[ -d "$d" ] && echo "  $(basename "$(dirname "$d")")"
done
exit 0
