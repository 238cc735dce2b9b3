# SPDX-License-Identifier: GPL-2.0
#
# peerbridge top level.  `make` builds the module for every supported
# installed kernel (or KVER=<uname -r>), the library, pbctl and the tests.
# `make check` runs every test on both kernels; `make demo` shows a round
# trip in the VM.  Everything lands in build/.

VERSION		:= 0.1.0
SOVERSION	:= 1
B		:= build
KVERS		?= $(if $(KVER),$(KVER),$(shell scripts/kernels.sh))

# where `make install` puts things; DESTDIR is prepended to all of them
CC		?= cc
MULTIARCH	:= $(shell $(CC) -print-multiarch 2>/dev/null)
PREFIX		?= /usr/local
DESTDIR		?=
LIBDIR		?= $(PREFIX)/lib$(if $(MULTIARCH),/$(MULTIARCH))
INCLUDEDIR	?= $(PREFIX)/include
SBINDIR		?= $(PREFIX)/sbin
MANDIR		?= $(PREFIX)/share/man
PKGCONFIGDIR	?= $(LIBDIR)/pkgconfig
# the preload shim has no soname: not a library to link, so a directory of
# its own
SHIMDIR		?= $(LIBDIR)/peerbridge
UDEVRULESDIR	?= /etc/udev/rules.d
MODPROBEDIR	?= /etc/modprobe.d

PKG_CONFIG	?= pkg-config
# CPPFLAGS, CFLAGS and LDFLAGS are the user's (or dpkg-buildflags'): they
# reach every compile and link.  -O2 comes first so that a CFLAGS without
# an -O still optimizes, which _FORTIFY_SOURCE needs; a -O in CFLAGS wins.
CFLAGS		?= -g
PB_CFLAGS	:= -std=gnu11 -D_GNU_SOURCE -Iinclude -Ilib -Itools $(CPPFLAGS) \
		   -O2 $(CFLAGS) -Wall -Wextra -Werror -Wno-unused-parameter \
		   -DPB_VERSION='"$(VERSION)"'
CHECK_CFLAGS	= $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS	= $(shell $(PKG_CONFIG) --libs check)
DRM_CFLAGS	= $(shell $(PKG_CONFIG) --cflags libdrm)

LIB_SRCS	:= lib/libpeerbridge.c lib/pb_error.c lib/pb_util.c lib/pb_rdma.c lib/pb_rdma_policy.c \
		   lib/pb_rdma_plain.c lib/pb_check.c lib/pb_explain.c
# the preload shim: the library's core without its exports, plus the verbs
# calls it takes over
SHIM_SRCS	:= $(filter-out lib/pb_rdma_plain.c,$(LIB_SRCS)) lib/preload.c
SHIM		:= $(B)/lib/libpeerbridge-preload.so
LIB_PIC_OBJS	:= $(LIB_SRCS:%.c=$(B)/pic/%.o)
LIBSO		:= $(B)/lib/libpeerbridge.so.$(SOVERSION)
TOOL_OBJS	:= $(B)/obj/tools/print.o $(B)/obj/lib/pb_util.o $(B)/obj/lib/pb_pattern.o
VM_SRCS		:= $(filter-out tests/vm/pbdemo.c tests/vm/pbfuzz.c tests/vm/pbverbs.c,\
			      $(wildcard tests/vm/*.c))
UNIT_SRCS	:= $(wildcard tests/unit/*.c)
KMOD_SRCS	:= $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild include/uapi/peerbridge.h \
		   include/linux/peerbridge.h
TKMOD_SRCS	:= $(wildcard tests/kmod/*.c tests/kmod/*.h) tests/kmod/Kbuild
SAMPLE_SRCS	:= $(wildcard samples/*.c samples/*.h) samples/Kbuild

.PHONY: all lib tools kmod tests check check-debug check-packages debug-kernel demo bench clean deps checkpatch \
	install uninstall install-module install-dkms deb
all: lib tools kmod tests

deps:
	@scripts/deps.sh

# --- library -----------------------------------------------------------------
lib: $(LIBSO) $(B)/lib/libpeerbridge.a $(SHIM)

$(B)/pic/%.o: %.c $(wildcard include/*.h include/uapi/*.h lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(PB_CFLAGS) -fPIC -fvisibility=hidden -c -o $@ $<

$(B)/static/%.o: %.c $(wildcard include/*.h include/uapi/*.h lib/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(PB_CFLAGS) -fvisibility=hidden -c -o $@ $<

$(B)/obj/%.o: %.c $(wildcard include/*.h include/uapi/*.h lib/*.h tools/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(PB_CFLAGS) -c -o $@ $<

$(LIBSO): $(LIB_PIC_OBJS) lib/libpeerbridge.map
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,-soname,libpeerbridge.so.$(SOVERSION) \
		-Wl,--version-script=lib/libpeerbridge.map -Wl,-z,defs \
		-o $@ $(LIB_PIC_OBJS) -libverbs -lpci -pthread
	ln -sf libpeerbridge.so.$(SOVERSION) $(B)/lib/libpeerbridge.so

$(SHIM): $(SHIM_SRCS:%.c=$(B)/pic/%.o) lib/preload.map
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -shared -Wl,--version-script=lib/preload.map -Wl,-z,defs \
		-o $@ $(SHIM_SRCS:%.c=$(B)/pic/%.o) -libverbs -lpci -ldl -pthread

# The archive exports what the shared library does and nothing more: its
# objects, built with hidden visibility, are linked into one relocatable
# object whose hidden symbols become local, so pb_util's helpers cannot
# collide with a program's own.
OBJCOPY		?= objcopy
$(B)/lib/libpeerbridge.a: $(LIB_SRCS:%.c=$(B)/static/%.o)
	@mkdir -p $(dir $@)
	$(LD) -r -o $(B)/static/libpeerbridge.o $^
	$(OBJCOPY) --localize-hidden $(B)/static/libpeerbridge.o
	rm -f $@ && $(AR) rcs $@ $(B)/static/libpeerbridge.o

# --- pbctl -------------------------------------------------------------------
tools: $(B)/pbctl

# the root complex list is the module's own (kmod/topology_rules.c)
PBCTL_OBJS	:= $(B)/obj/tools/pbctl.o $(B)/obj/tools/pbctl_bind.o $(B)/obj/tools/pbctl_topo.o \
		   $(B)/obj/kmod/topology_rules.o
$(B)/obj/tools/pbctl_topo.o: PB_CFLAGS += $(DRM_CFLAGS) -Ikmod

# no RUNPATH: installed, it finds the library where the system keeps it; in
# the tree, users of build/pbctl set LD_LIBRARY_PATH=build/lib
$(B)/pbctl: $(PBCTL_OBJS) $(TOOL_OBJS) $(LIBSO)
	$(CC) $(LDFLAGS) -o $@ $(PBCTL_OBJS) $(TOOL_OBJS) -L$(B)/lib \
		-lpeerbridge -lpci -ldrm -libverbs

# --- module, once per kernel ---------------------------------------------------
# kbuild writes objects next to the sources, so each kernel gets a tree of
# symlinks of its own.  The debug kernel (DEBUG_KVER) builds from its own
# tree (DEBUG_KDIR) instead of /lib/modules.
kdir = $(if $(filter $(1),$(DEBUG_KVER)),$(DEBUG_KDIR),/lib/modules/$(1)/build)
kmod: $(foreach k,$(KVERS),$(B)/kmod/$(k)/peerbridge.ko $(B)/tkmod/$(k)/pb_edu_dma.ko \
	$(B)/samples/$(k)/pb_vga.ko)

$(B)/kmod/%/peerbridge.ko: $(KMOD_SRCS)
	@test -d $(call kdir,$*) || \
		{ echo "no headers for kernel $*: run scripts/deps.sh" >&2; exit 1; }
	@mkdir -p $(dir $@)
	@for f in kmod/*; do ln -sf ../../../$$f $(dir $@); done
	$(MAKE) -C $(call kdir,$*) M=$(CURDIR)/$(dir $@) PB_TOP=$(CURDIR) PB_WERROR=y modules

# test-only modules (tests/kmod) and the samples, the same way; they use
# peerbridge's exported symbols.  kbuild reruns modpost only when its own
# command line changes, not when peerbridge's Module.symvers does, so each
# rebuild drops the old symvers to get the new symbol versions linked in.
$(B)/tkmod/%/pb_edu_dma.ko: $(TKMOD_SRCS) $(B)/kmod/%/peerbridge.ko
	@mkdir -p $(dir $@)
	@for f in tests/kmod/*; do ln -sf ../../../$$f $(dir $@); done
	@rm -f $(dir $@)Module.symvers
	$(MAKE) -C $(call kdir,$*) M=$(CURDIR)/$(dir $@) PB_TOP=$(CURDIR) PB_WERROR=y \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/$(B)/kmod/$*/Module.symvers modules

$(B)/samples/%/pb_vga.ko: $(SAMPLE_SRCS) $(B)/kmod/%/peerbridge.ko
	@mkdir -p $(dir $@)
	@for f in samples/*; do ln -sf ../../../$$f $(dir $@); done
	@rm -f $(dir $@)Module.symvers
	$(MAKE) -C $(call kdir,$*) M=$(CURDIR)/$(dir $@) PB_TOP=$(CURDIR) PB_WERROR=y \
		KBUILD_EXTRA_SYMBOLS=$(CURDIR)/$(B)/kmod/$*/Module.symvers modules

# --- tests ---------------------------------------------------------------------
tests: $(B)/tests/unit $(B)/tests/pbvm $(B)/tests/pbdemo $(B)/tests/pbfuzz $(B)/tests/pbverbs \
	$(B)/tests/pbbench

# the unit tests run the built pbctl and inspect the built library
# ... and the topology rules, the module's own file, and their explanation
UNIT_OBJS	:= $(TOOL_OBJS) $(B)/obj/lib/pb_rdma_policy.o $(B)/obj/lib/pb_explain.o \
		   $(B)/obj/kmod/topology_rules.o
$(B)/tests/unit: $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(UNIT_OBJS) $(B)/pbctl $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(PB_CFLAGS) $(LDFLAGS) $(CHECK_CFLAGS) -DPB_BUILD_DIR='"$(CURDIR)/$(B)"' \
		-DPB_SRC_DIR='"$(CURDIR)"' -o $@ $(UNIT_SRCS) $(UNIT_OBJS) \
		-L$(B)/lib -Wl,-rpath,$(CURDIR)/$(B)/lib -lpeerbridge -lpci $(CHECK_LIBS)

$(B)/tests/pbvm: $(VM_SRCS) $(wildcard tests/vm/*.h) $(LIBSO) $(TOOL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(PB_CFLAGS) $(LDFLAGS) $(CHECK_CFLAGS) $(DRM_CFLAGS) -pthread -o $@ $(VM_SRCS) $(B)/obj/lib/pb_util.o \
		$(B)/obj/lib/pb_pattern.o -L$(B)/lib -ldrm -libverbs -lpeerbridge -lpci $(CHECK_LIBS)

# knows nothing of peerbridge: only libibverbs
$(B)/tests/pbverbs: tests/vm/pbverbs.c tests/vm/rc_loop.c tests/vm/rc_loop.h
	@mkdir -p $(dir $@)
	$(CC) $(PB_CFLAGS) $(LDFLAGS) -o $@ tests/vm/pbverbs.c tests/vm/rc_loop.c -libverbs

$(B)/tests/pbdemo: tests/vm/pbdemo.c $(B)/obj/lib/pb_pattern.o $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(PB_CFLAGS) $(LDFLAGS) -o $@ tests/vm/pbdemo.c $(B)/obj/lib/pb_pattern.o -L$(B)/lib -lpeerbridge

$(B)/tests/pbfuzz: tests/vm/pbfuzz.c $(B)/obj/lib/pb_pattern.o $(B)/obj/lib/pb_util.o $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(PB_CFLAGS) $(LDFLAGS) -pthread -o $@ tests/vm/pbfuzz.c $(B)/obj/lib/pb_pattern.o \
		$(B)/obj/lib/pb_util.o -L$(B)/lib -lpeerbridge -lpci

# the guest half of `make bench`
$(B)/tests/pbbench: bench/pbbench.c tests/kmod/pb_test_importer.h $(B)/obj/lib/pb_util.o $(LIBSO)
	@mkdir -p $(dir $@)
	$(CC) $(PB_CFLAGS) $(LDFLAGS) -o $@ bench/pbbench.c $(B)/obj/lib/pb_util.o -L$(B)/lib \
		-lpeerbridge -libverbs -lpci

# --- the two commands ----------------------------------------------------------
check:
	@scripts/check.sh

# the sanitizer lane: 6.1 and 6.12 kernels with KASAN, lockdep, kmemleak, DMA-API
# debugging and fault injection, built once per machine (outside the clone)
debug-kernel:
	@scripts/debug-kernel.sh 6.1 && scripts/debug-kernel.sh 6.12

check-debug:
	@LANES=debug scripts/check.sh

# the packages: built, installed here, DKMS for both kernels, tried in the VM
check-packages:
	@LANES=packages scripts/check.sh

demo:
	@scripts/demo.sh

# what the struct-page-free design buys, side by side (docs/benchmarks.md)
bench:
	@scripts/bench.sh

# --- install -------------------------------------------------------------------
# The library (shared, with its soname and the development link, and
# static), its headers (the ioctl ABI as <peerbridge/uapi.h>), a
# peerbridge.pc naming the directories it was installed to, pbctl, the
# preload shim, the man pages, the udev rule that opens the nodes to group
# peerbridge and a modprobe.d file listing the module's parameters.
# `make uninstall` removes exactly INSTALLED, with the same variables.
MAN3		:= $(wildcard man/*.3)
MAN8		:= $(wildcard man/*.8)
INSTALLED	= $(LIBDIR)/libpeerbridge.so.$(SOVERSION) $(LIBDIR)/libpeerbridge.so \
		  $(LIBDIR)/libpeerbridge.a $(SHIMDIR)/libpeerbridge-preload.so \
		  $(PKGCONFIGDIR)/peerbridge.pc \
		  $(INCLUDEDIR)/peerbridge.h $(INCLUDEDIR)/peerbridge/uapi.h \
		  $(SBINDIR)/pbctl \
		  $(MAN3:man/%=$(MANDIR)/man3/%) $(MAN8:man/%=$(MANDIR)/man8/%) \
		  $(UDEVRULESDIR)/60-peerbridge.rules $(MODPROBEDIR)/peerbridge.conf

install: lib tools
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(SHIMDIR) $(DESTDIR)$(PKGCONFIGDIR) \
		$(DESTDIR)$(INCLUDEDIR)/peerbridge $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(UDEVRULESDIR) $(DESTDIR)$(MODPROBEDIR)
	install -m 644 $(LIBSO) $(DESTDIR)$(LIBDIR)/
	ln -sf libpeerbridge.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libpeerbridge.so
	install -m 644 $(B)/lib/libpeerbridge.a $(DESTDIR)$(LIBDIR)/
	install -m 644 $(SHIM) $(DESTDIR)$(SHIMDIR)/
	sed -e 's|@VERSION@|$(VERSION)|' -e 's|@PREFIX@|$(PREFIX)|' \
		-e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' \
		lib/peerbridge.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/peerbridge.pc
	install -m 644 include/peerbridge.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 include/uapi/peerbridge.h $(DESTDIR)$(INCLUDEDIR)/peerbridge/uapi.h
	install -m 755 $(B)/pbctl $(DESTDIR)$(SBINDIR)/
	install -m 644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 644 udev/60-peerbridge.rules $(DESTDIR)$(UDEVRULESDIR)/
	install -m 644 modprobe.d/peerbridge.conf $(DESTDIR)$(MODPROBEDIR)/

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	for d in $(DESTDIR)$(INCLUDEDIR)/peerbridge $(DESTDIR)$(SHIMDIR); do \
		[ ! -d $$d ] || rmdir --ignore-fail-on-non-empty $$d || exit 1; \
	done

# the module, for each kernel in KVERS (KVER=<one>), with the kernel's own
# modules_install (INSTALL_MOD_PATH=$(DESTDIR)) and depmod, so that
# `modprobe peerbridge` finds it
install-module: $(foreach k,$(KVERS),$(B)/kmod/$(k)/peerbridge.ko)
	@for k in $(KVERS); do \
		echo "install-module: $$k"; \
		$(MAKE) -C $(call kdir,$$k) M=$(CURDIR)/$(B)/kmod/$$k PB_TOP=$(CURDIR) \
			INSTALL_MOD_PATH=$(DESTDIR) modules_install && \
		depmod $(if $(DESTDIR),-b $(DESTDIR)) $$k || exit 1; \
	done

# the module's source for DKMS: dkms.conf, kmod/ and the two headers it
# includes, a tree that builds on its own
DKMSDIR		?= /usr/src/peerbridge-$(VERSION)
install-dkms:
	install -d $(DESTDIR)$(DKMSDIR)/kmod $(DESTDIR)$(DKMSDIR)/include/uapi \
		$(DESTDIR)$(DKMSDIR)/include/linux
	install -m 644 dkms.conf $(DESTDIR)$(DKMSDIR)/
	install -m 644 $(wildcard kmod/*.c kmod/*.h) kmod/Kbuild $(DESTDIR)$(DKMSDIR)/kmod/
	install -m 644 include/uapi/peerbridge.h $(DESTDIR)$(DKMSDIR)/include/uapi/
	install -m 644 include/linux/peerbridge.h $(DESTDIR)$(DKMSDIR)/include/linux/

# the Debian packages, into build/deb/ (scripts/deb.sh)
deb:
	@scripts/deb.sh

# kernel style, with the checkpatch.pl of the debug kernel's source (or of
# linux-source-6.1 unpacked in /usr/src); the module's version differences
# are confined to pb_compat.h, where they are expected
CHECKPATCH	?= $(firstword $(wildcard /usr/src/linux-source-6.1/scripts/checkpatch.pl \
		   $(or $(PB_KERNEL_CACHE),/var/cache/peerbridge)/debug-*/src/scripts/checkpatch.pl))
checkpatch:
	@test -n "$(CHECKPATCH)" || { echo "checkpatch: run 'make debug-kernel' first (it unpacks linux-source-6.1)" >&2; exit 1; }
	$(CHECKPATCH) --strict --no-tree --quiet -f $(filter-out kmod/pb_compat.h,$(wildcard kmod/*.c kmod/*.h)) \
		include/uapi/peerbridge.h include/linux/peerbridge.h $(wildcard tests/kmod/*.c tests/kmod/*.h)
	# an out-of-tree sample has to test the kernel version once, and its ABI
	# header is shared with user space, which has no BIT_ULL()
	$(CHECKPATCH) --strict --no-tree --quiet --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON,BIT_MACRO \
		-f $(wildcard samples/*.c samples/*.h)

clean:
	rm -rf $(B)
