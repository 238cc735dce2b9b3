#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The install test of `make check`'s host part: `make install` into a
# scratch DESTDIR with PREFIX=/usr, then use what it installed the way a
# program would (pkg-config, headers, the shared and the static library,
# pbctl), then `make uninstall`.  Prints one "PB-RESULT <test>: Passed" or
# "...: Failed" line per test, and exits nonzero if any failed.
#   tests/install/run.sh [<build-dir>]
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
b=${1:-build}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/pbinstall.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
rc=0

# result <test> <command...>: run the command in a subshell that stops at
# its first failure (outside any condition, where set -e would not count),
# its output kept in $tmp/<test>.log and shown only when it fails
result() {
	name=$1
	shift
	set +e
	(set -e; "$@") > "$tmp/$name.log" 2>&1
	st=$?
	set -e
	if [ $st = 0 ]; then
		echo "PB-RESULT $name: Passed"
	else
		sed "s/^/$name: /" "$tmp/$name.log"
		echo "PB-RESULT $name: Failed"
		rc=1
	fi
}

version=$(sed -n 's/^VERSION[[:space:]]*:= *//p' Makefile)
ma=$(${CC:-cc} -print-multiarch)
libdir=/usr/lib${ma:+/$ma}

do_install() {
	make -s B="$b" DESTDIR="$dest" PREFIX=/usr install
}

installs_every_file() {
	for f in "$libdir"/libpeerbridge.so.1 "$libdir"/libpeerbridge.a \
		"$libdir"/peerbridge/libpeerbridge-preload.so "$libdir"/pkgconfig/peerbridge.pc \
		/usr/include/peerbridge.h /usr/include/peerbridge/uapi.h \
		/usr/sbin/pbctl /usr/share/man/man8/pbctl.8 \
		/usr/share/man/man3/pb_open.3 /etc/udev/rules.d/60-peerbridge.rules \
		/etc/modprobe.d/peerbridge.conf; do
		[ -f "$dest$f" ] || { echo "missing: $f"; return 1; }
	done
	[ "$(readlink "$dest$libdir/libpeerbridge.so")" = libpeerbridge.so.1 ] ||
		{ echo "libpeerbridge.so is not a link to libpeerbridge.so.1"; return 1; }
	readelf -d "$dest$libdir/libpeerbridge.so.1" | grep -q 'SONAME.*\[libpeerbridge\.so\.1\]' ||
		{ echo "libpeerbridge.so.1 has no soname libpeerbridge.so.1"; return 1; }
	# the ioctl ABI never lands in the kernel's own uapi namespace
	[ ! -e "$dest/usr/include/uapi" ] || { echo "installed /usr/include/uapi"; return 1; }
}

pc_names_the_configured_dirs() {
	pc=$dest$libdir/pkgconfig/peerbridge.pc
	cat "$pc"
	grep -qx "libdir=$libdir" "$pc" && grep -qx 'includedir=/usr/include' "$pc" &&
		grep -qx 'prefix=/usr' "$pc"
}

# a program built only from what pkg-config says, run against the
# installed library
cat > "$tmp/prog.c" <<'EOT'
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <peerbridge.h>
#include <peerbridge/uapi.h>

int main(void)
{
	const char *path = pb_path_name(PB_PATH_PIX);

	printf("%s / %s / ABI %d\n", path, pb_strerror(ENODEV),
	       PEERBRIDGE_ABI_MAJOR);
	return strcmp(path, "PIX") || !strstr(pb_strerror(ENODEV), "revoked");
}
EOT
pkgconf() {
	PKG_CONFIG_SYSROOT_DIR=$dest PKG_CONFIG_PATH=$dest$libdir/pkgconfig \
		pkg-config "$@" peerbridge
}

program_links_by_pkg_config_and_runs() {
	flags="$(pkgconf --cflags) $(pkgconf --libs)"
	echo "pkg-config: $flags"
	case $flags in *"$dest"*) ;; *) echo "pkg-config flags miss the DESTDIR"; return 1 ;; esac
	# shellcheck disable=SC2086
	${CC:-cc} -Wall -Werror -o "$tmp/prog" "$tmp/prog.c" $flags
	LD_LIBRARY_PATH=$dest$libdir "$tmp/prog"
	LD_LIBRARY_PATH=$dest$libdir ldd "$tmp/prog" | grep -q "$dest$libdir/libpeerbridge.so.1"
}

# the archive itself, then what the .pc says a static link needs besides
program_links_the_static_archive_and_runs() {
	# shellcheck disable=SC2046
	${CC:-cc} -Wall -Werror -o "$tmp/prog-static" "$tmp/prog.c" $(pkgconf --cflags) \
		"$dest$libdir/libpeerbridge.a" \
		$(pkgconf --static --libs | sed 's/-lpeerbridge//') -pthread
	if ldd "$tmp/prog-static" | grep libpeerbridge; then return 1; fi
	"$tmp/prog-static"
}

headers_compile_pedantic() {
	printf '#include <peerbridge.h>\n#include <peerbridge/uapi.h>\nint main(void) { return 0; }\n' \
		> "$tmp/hdr.c"
	for std in c99 c11 gnu11; do
		${CC:-cc} -std=$std -Wall -Wextra -Werror -pedantic -I"$dest/usr/include" \
			-c -o "$tmp/hdr.o" "$tmp/hdr.c" || return 1
	done
	if command -v "${CXX:-g++}" > /dev/null; then
		cp "$tmp/hdr.c" "$tmp/hdr.cc"
		for std in c++11 c++17; do
			"${CXX:-g++}" -std=$std -Wall -Wextra -Werror -pedantic \
				-I"$dest/usr/include" -c -o "$tmp/hdr.o" "$tmp/hdr.cc" || return 1
		done
	else
		echo "no C++ compiler: C only"
	fi
}

pbctl_has_no_runpath() {
	readelf -d "$dest/usr/sbin/pbctl" > "$tmp/dyn"
	grep -q NEEDED "$tmp/dyn"
	if grep -Ei 'RPATH|RUNPATH' "$tmp/dyn"; then return 1; fi
}

# only the API is global in the archive: exactly the version script's names
static_archive_exports_only_the_api() {
	nm -g --defined-only "$dest$libdir/libpeerbridge.a" |
		awk 'NF == 3 {print $3}' | sort > "$tmp/archive.syms"
	sed -n 's/^[[:space:]]*\(pb_[a-z_]*\);.*/\1/p' lib/libpeerbridge.map | sort > "$tmp/map.syms"
	[ -s "$tmp/map.syms" ] || { echo "no names in lib/libpeerbridge.map"; return 1; }
	diff -u "$tmp/map.syms" "$tmp/archive.syms"
}

modprobe_conf_documents_every_parameter() {
	params=$(sed -n 's/^module_param\(_cb\)\{0,1\}(\([a-z_]*\),.*/\2/p' kmod/*.c)
	[ -n "$params" ] || { echo "no module_param in kmod/"; return 1; }
	for p in $params; do
		grep -Eq "^#options peerbridge $p=[^ ]+$" "$dest/etc/modprobe.d/peerbridge.conf" ||
			{ echo "parameter $p is not documented with its default"; return 1; }
	done
}

udev_rule_gives_group_peerbridge_never_0666() {
	r=$dest/etc/udev/rules.d/60-peerbridge.rules
	if grep -n '0666' "$r"; then return 1; fi
	grep -q 'KERNEL=="peerbridge".*GROUP="peerbridge", MODE="0660"' "$r"
	grep -q 'SUBSYSTEM=="pbmem".*GROUP="peerbridge", MODE="0660"' "$r"
}

# one version: the Makefile's, in dkms.conf and debian/changelog too
versions_agree() {
	v=$(sed -n 's/^VERSION[[:space:]]*:= *//p' Makefile)
	d=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
	c=$(dpkg-parsechangelog -S Version)
	echo "Makefile $v, dkms.conf $d, debian/changelog $c"
	[ -n "$v" ] && [ "$v" = "$d" ] && [ "$v" = "$c" ]
}

# dkms.conf's own build line, as DKMS runs it from its tree (the module
# sources as `make install-dkms` lays them out), on one object with a
# warning added: a kernel upgrade's DKMS build must not fail on a warning,
# while the tree's own build (PB_WERROR=y) must
dkms_build_keeps_warnings_warnings() {
	kver=$(scripts/kernels.sh | head -n1)
	[ -n "$kver" ] || { echo "no kernel headers"; return 1; }
	dkms_tree=$tmp/dkms
	make -s DESTDIR="$dkms_tree" DKMSDIR=/peerbridge/$version/build install-dkms
	echo 'static int pb_test_unused_warning;' >> "$dkms_tree/peerbridge/$version/build/kmod/main.c"
	line=$(sed -n 's/^MAKE\[0\]="\(.*\)"$/\1/p' dkms.conf)
	kernel_source_dir=/lib/modules/$kver/build
	PACKAGE_NAME=peerbridge
	PACKAGE_VERSION=$version
	cmd=$(eval "echo \"$line\"" | sed 's/ modules$/ main.o/')
	echo "$cmd"
	$cmd
	! $cmd PB_WERROR=y -B
}

uninstall_leaves_no_files() {
	make -s B="$b" DESTDIR="$dest" PREFIX=/usr uninstall
	left=$(find "$dest" ! -type d)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
	[ ! -e "$dest/usr/include/peerbridge" ] && [ ! -e "$dest$libdir/peerbridge" ]
}

result install_into_destdir do_install
result install_puts_every_file_in_place installs_every_file
result installed_pc_names_the_configured_dirs pc_names_the_configured_dirs
result program_builds_by_pkg_config_and_runs program_links_by_pkg_config_and_runs
result program_links_the_static_archive_and_runs program_links_the_static_archive_and_runs
result installed_headers_compile_pedantic_in_c_and_cxx headers_compile_pedantic
result installed_pbctl_has_no_runpath pbctl_has_no_runpath
result static_archive_exports_exactly_the_version_script static_archive_exports_only_the_api
result modprobe_conf_documents_every_module_parameter modprobe_conf_documents_every_parameter
result udev_rule_gives_group_peerbridge_0660_never_0666 udev_rule_gives_group_peerbridge_never_0666
result dkms_conf_and_debian_changelog_carry_the_makefile_version versions_agree
result dkms_build_keeps_warnings_warnings dkms_build_keeps_warnings_warnings
result uninstall_leaves_no_files uninstall_leaves_no_files
exit $rc
