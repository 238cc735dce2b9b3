// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpeerbridge's error messages: what an errno value means depends on the
 * call that returned it (ENOENT from pb_open() is a module that is not
 * loaded, from pb_query() a range that is not peer memory), so each thread
 * remembers its last call, and a call that knows more leaves a sentence of
 * its own.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "peerbridge.h"
#include "pb_lib.h"

static __thread enum pb_call pb_last_call;
static __thread int pb_detail_err;
static __thread char pb_detail[320];

void pb_begin(enum pb_call call)
{
	pb_last_call = call;
	pb_detail_err = 0;
}

void pb_set_error_detail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(pb_detail, sizeof(pb_detail), fmt, ap);
	va_end(ap);
	pb_detail_err = err;
}

struct pb_message {
	enum pb_call call;	/* PB_CALL_ANY: whatever the call */
	int err;
	const char *text;
};

#define REGION_OPEN(call)						\
	{ call, ENOENT, "no such region (pbctl list shows the regions)" }, \
	{ call, EACCES, "permission denied opening the region node: it is root-only unless the udev rule gives group peerbridge access" }, \
	{ call, EPERM, "operation not permitted: kernel lockdown forbids raw BAR access" }, \
	{ call, ENODEV, "the region was revoked: its device was unbound or removed" }

/* the first match wins: a call's own meanings before the general ones */
static const struct pb_message pb_messages[] = {
	{ PB_CALL_OPEN, ENOENT, "/dev/peerbridge does not exist: peerbridge.ko is not loaded (modprobe peerbridge)" },
	{ PB_CALL_OPEN, ENXIO, "/dev/peerbridge has no driver behind it: peerbridge.ko is not loaded (modprobe peerbridge)" },
	{ PB_CALL_OPEN, ENODEV, "/dev/peerbridge has no driver behind it: peerbridge.ko is not loaded (modprobe peerbridge)" },
	{ PB_CALL_OPEN, EACCES, "permission denied opening /dev/peerbridge: it is root-only unless the udev rule gives group peerbridge access (add the user to that group)" },
	{ PB_CALL_OPEN, EPERM, "opening /dev/peerbridge is not permitted: a security module or the device cgroup forbids it (a container needs --device /dev/peerbridge)" },

	REGION_OPEN(PB_CALL_MAP),
	{ PB_CALL_MAP, EINVAL, "not a region name (\"0000:03:00.0-bar2\" or \"/dev/pbmem/0000:03:00.0-bar2\")" },

	REGION_OPEN(PB_CALL_EXPORT_REGION),
	{ PB_CALL_EXPORT_REGION, EINVAL, "invalid export: not a region name, an offset or length not page aligned or outside the region, a zero length, or an unknown flag" },

	{ PB_CALL_EXPORT, ENOENT, "the range is not peer memory: no peerbridge mapping covers it" },
	{ PB_CALL_EXPORT, EINVAL, "invalid export: address or length not page aligned, a zero length, an unknown flag, or a range mixing peer memory with ordinary memory, holes or two regions" },
	{ PB_CALL_EXPORT, ENODEV, "the memory was revoked: its device was unbound or removed, or its exporter freed it" },

	{ PB_CALL_QUERY, ENOENT, "the range is not peer memory: no peerbridge mapping covers it" },
	{ PB_CALL_QUERY, EINVAL, "invalid range: a zero length, an overflow, or a range mixing peer memory with ordinary memory, holes or two regions" },
	{ PB_CALL_QUERY, ENODEV, "the memory was revoked: its device was unbound or removed, or its exporter freed it" },

	{ PB_CALL_COPY, ENXIO, "no DMA channel: COPY needs a dmaengine DMA_MEMCPY channel, and none is free (the host has none, or other kernel users hold them all)" },
	{ PB_CALL_COPY, EXDEV, "the DMA channel cannot reach both sides: the topology policy refuses the path between the DMA engine peerbridge took and a side's device (pbctl check <device> <engine> says why)" },
	{ PB_CALL_COPY, ENODEV, "a side's memory was revoked (its device was unbound or removed), or the DMA engine went away" },
	{ PB_CALL_COPY, EBUSY, "every DMA channel peerbridge may use stayed busy for 30 s (other copies up to the module parameter max_copies, or other users of the engine)" },
	{ PB_CALL_COPY, EACCES, "a side's mode forbids it: the destination is a read-only export or a dma-buf not open for writing, or the source a dma-buf not open for reading" },
	{ PB_CALL_COPY, EFAULT, "a side's user range is not mapped (or for the destination not writable), is device memory, or is a shared file mapping whose filesystem tracks dirty pages" },
	{ PB_CALL_COPY, ENOENT, "a peer mapping was unmapped or replaced while the copy ran" },
	{ PB_CALL_COPY, EOPNOTSUPP, "a dma-buf's exporter refuses peer-to-peer importers, or host memory cannot be pinned for DMA (fsdax)" },
	{ PB_CALL_COPY, EBADF, "a side's dma-buf fd is not open" },
	{ PB_CALL_COPY, EINVAL, "invalid copy: a zero length, an unknown flag or side type, a side out of its buffer, or a user range mixing peer memory with ordinary memory or holes" },
	{ PB_CALL_COPY, ETIMEDOUT, "the DMA engine did not complete the transfer, or a dma-buf's other users did not finish with it within 30 s" },
	{ PB_CALL_COPY, EIO, "the DMA engine reported an error, or an exporter's callbacks failed" },
	{ PB_CALL_COPY, EINTR, "interrupted by a signal: the transfer was stopped (the result's copied field says how far it got)" },

	{ PB_CALL_CHECK, ENODEV, "no such PCI device" },

	{ PB_CALL_ANY, EPROTO, "libpeerbridge and peerbridge.ko speak different ABI major versions" },
	{ PB_CALL_ANY, ENOTTY, "the loaded peerbridge.ko does not know this request: it is older than the library" },
	{ PB_CALL_ANY, EOPNOTSUPP, "the importer cannot take peer-to-peer addresses, or the exporter refuses peer-to-peer importers" },
	{ PB_CALL_ANY, EXDEV, "no peer path between the two devices: the topology policy refuses it (pbctl check <exporter> <importer> says why and what to change)" },
	{ PB_CALL_ANY, EAGAIN, "revocations kept racing the request: try again" },
	{ PB_CALL_ANY, ENODEV, "no such device, or its memory was revoked" },
};

PB_EXPORT const char *pb_strerror(int err)
{
	size_t i;

	if (!err)
		return "success";
	if (err == pb_detail_err)
		return pb_detail;
	for (i = 0; i < sizeof(pb_messages) / sizeof(pb_messages[0]); i++) {
		const struct pb_message *m = &pb_messages[i];

		if (m->err == err &&
		    (m->call == PB_CALL_ANY || m->call == pb_last_call))
			return m->text;
	}
	return strerror(err);
}
