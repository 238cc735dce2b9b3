// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libpeerbridge: context, ioctl marshalling and region mappings.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <uapi/peerbridge.h>

#include "peerbridge.h"
#include "pb_lib.h"
#include "pb_util.h"

/* pb_get_info() passes the module's bits through */
_Static_assert(PB_CAP_REGIONS == PEERBRIDGE_CAP_REGIONS &&
	       PB_CAP_EXPORT == PEERBRIDGE_CAP_EXPORT &&
	       PB_CAP_COPY == PEERBRIDGE_CAP_COPY &&
	       PB_CAP_CHECK == PEERBRIDGE_CAP_CHECK &&
	       PB_KCONFIG_P2PDMA == PEERBRIDGE_KCONFIG_P2PDMA &&
	       PB_KCONFIG_MOVE_NOTIFY == PEERBRIDGE_KCONFIG_MOVE_NOTIFY &&
	       PB_KCONFIG_IOMMU == PEERBRIDGE_KCONFIG_IOMMU &&
	       PB_KCONFIG_IB_UMEM == PEERBRIDGE_KCONFIG_IB_UMEM,
	       "pb_info's bits are the module's");

struct pb_ctx {
	int fd;
	struct peerbridge_info info;
};

/*
 * The one place ioctls are issued: retried on EINTR, and on EAGAIN (a
 * revocation raced the request) a bounded number of times, backing off
 * from 100 us to 25.6 ms: about 50 ms in all, then EAGAIN is the answer.
 */
#define PB_EAGAIN_TRIES	9

static int pb_ioctl(int fd, unsigned long req, void *arg)
{
	struct timespec pause = { .tv_nsec = 100 * 1000 };
	int ret, tries = 0;

	for (;;) {
		ret = ioctl(fd, req, arg);
		if (ret != -1)
			return ret;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN || tries++ == PB_EAGAIN_TRIES)
			return -1;
		nanosleep(&pause, NULL);
		pause.tv_nsec *= 2;
	}
}

int pb_ctx_ioctl(struct pb_ctx *ctx, unsigned long req, void *arg)
{
	return pb_ioctl(ctx->fd, req, arg);
}

PB_EXPORT struct pb_ctx *pb_open(void)
{
	struct pb_ctx *ctx;
	int err;

	pb_begin(PB_CALL_OPEN);
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->fd = open(PB_CTL_NODE, O_RDWR | O_CLOEXEC);
	if (ctx->fd < 0)
		goto err_free;

	ctx->info.argsz = sizeof(ctx->info);
	if (pb_ioctl(ctx->fd, PEERBRIDGE_GET_INFO, &ctx->info)) {
		/* a module of another ABI does not know this ioctl number */
		if (errno == ENOTTY)
			errno = EPROTO;
		goto err_close;
	}
	if (ctx->info.abi_major != PEERBRIDGE_ABI_MAJOR) {
		errno = EPROTO;
		goto err_close;
	}
	return ctx;

err_close:
	err = errno;
	close(ctx->fd);
	errno = err;
err_free:
	err = errno;
	free(ctx);
	errno = err;
	return NULL;
}

PB_EXPORT void pb_close(struct pb_ctx *ctx)
{
	if (!ctx)
		return;
	close(ctx->fd);
	free(ctx);
}

PB_EXPORT const char *pb_version(void)
{
	return PB_VERSION;
}

PB_EXPORT int pb_get_info(struct pb_ctx *ctx, struct pb_info *out)
{
	struct peerbridge_info info = { .argsz = sizeof(info) };

	pb_begin(PB_CALL_INFO);
	if (!ctx || !out) {
		errno = EINVAL;
		return -1;
	}
	/* asked again: nr_regions changes */
	if (pb_ioctl(ctx->fd, PEERBRIDGE_GET_INFO, &info))
		return -1;
	memset(out, 0, sizeof(*out));
	out->abi_major = info.abi_major;
	out->abi_minor = info.abi_minor;
	out->nr_regions = info.nr_regions;
	/* the library's bits are the module's, one for one */
	out->caps = info.caps;
	out->kconfig = info.kconfig;
	return 0;
}

/* the node of region @name (already canonical), close-on-exec */
static int pb_node_open(const char *name, int flags)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", name);
	return open(path, flags | O_CLOEXEC);
}

PB_EXPORT void *pb_map(struct pb_ctx *ctx, const char *region, size_t *len)
{
	char name[PB_REGION_NAME_MAX];
	uint64_t size;
	void *addr;
	int fd, err;

	pb_begin(PB_CALL_MAP);
	if (!ctx || !region || !len) {
		errno = EINVAL;
		return NULL;
	}
	if (pb_region_name(region, name, sizeof(name)))
		return NULL;
	if (pb_sysfs_region_u64(pb_sysfs_root(), name, "size", &size))
		return NULL;
	if (size > SIZE_MAX) {
		errno = EOVERFLOW;
		return NULL;
	}

	fd = pb_node_open(name, O_RDWR);
	if (fd < 0)
		return NULL;
	addr = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	close(fd);	/* the mapping keeps the region open */
	if (addr == MAP_FAILED) {
		errno = err;
		return NULL;
	}
	*len = size;
	return addr;
}

PB_EXPORT int pb_unmap(void *addr, size_t len)
{
	pb_begin(PB_CALL_ANY);
	return munmap(addr, len);
}

/* a fixed-size string field from the kernel, always terminated */
static void pb_copy_name(char *dst, const char *src, size_t size)
{
	memcpy(dst, src, size);
	dst[size - 1] = '\0';
}

/* EXPORT of a range of the caller's mappings, or of a region node's */
static int pb_export_ioctl(struct pb_ctx *ctx, int node, uint64_t addr,
			   size_t len, unsigned int flags)
{
	struct peerbridge_export arg;

	if (!ctx || (flags & ~(PB_EXPORT_RDONLY | PB_EXPORT_CLOEXEC))) {
		errno = EINVAL;
		return -1;
	}
	memset(&arg, 0, sizeof(arg));
	arg.argsz = sizeof(arg);
	arg.flags = (flags & PB_EXPORT_RDONLY ? PEERBRIDGE_EXPORT_RDONLY : 0) |
		    (flags & PB_EXPORT_CLOEXEC ? PEERBRIDGE_EXPORT_CLOEXEC : 0) |
		    (node >= 0 ? PEERBRIDGE_EXPORT_REGION : 0);
	arg.addr = addr;
	arg.len = len;
	arg.fd = node;
	if (pb_ioctl(ctx->fd, PEERBRIDGE_EXPORT, &arg))
		return -1;
	return arg.fd;
}

PB_EXPORT int pb_export(struct pb_ctx *ctx, void *addr, size_t len,
			unsigned int flags)
{
	pb_begin(PB_CALL_EXPORT);
	return pb_export_ioctl(ctx, -1, (uintptr_t)addr, len, flags);
}

PB_EXPORT int pb_export_region(struct pb_ctx *ctx, const char *region,
			       uint64_t offset, size_t len, unsigned int flags)
{
	char name[PB_REGION_NAME_MAX];
	int node, fd, err;

	pb_begin(PB_CALL_EXPORT_REGION);
	if (!ctx || !region ||
	    (flags & ~(PB_EXPORT_RDONLY | PB_EXPORT_CLOEXEC))) {
		errno = EINVAL;
		return -1;
	}
	if (pb_region_name(region, name, sizeof(name)))
		return -1;
	node = pb_node_open(name, flags & PB_EXPORT_RDONLY ? O_RDONLY : O_RDWR);
	if (node < 0)
		return -1;
	fd = pb_export_ioctl(ctx, node, offset, len, flags);
	err = errno;
	close(node);	/* the dma-buf keeps the region */
	errno = err;
	return fd;
}

PB_EXPORT int pb_query(struct pb_ctx *ctx, const void *addr, size_t len,
		       struct pb_range_info *out)
{
	struct peerbridge_query arg;

	pb_begin(PB_CALL_QUERY);
	if (!ctx || !out) {
		errno = EINVAL;
		return -1;
	}
	memset(&arg, 0, sizeof(arg));
	arg.argsz = sizeof(arg);
	arg.addr = (uintptr_t)addr;
	arg.len = len;
	if (pb_ioctl(ctx->fd, PEERBRIDGE_QUERY, &arg))
		return -1;

	memset(out, 0, sizeof(*out));
	pb_copy_name(out->region, arg.region, sizeof(out->region));
	pb_copy_name(out->device, arg.device, sizeof(out->device));
	out->bar = arg.bar;
	out->offset = arg.offset;
	out->region_size = arg.region_size;
	out->bar_offset = arg.bar_offset;
	out->flags = (arg.out_flags & PEERBRIDGE_QUERY_WC ? PB_RANGE_WC : 0) |
		     (arg.out_flags & PEERBRIDGE_QUERY_RDONLY ? PB_RANGE_RDONLY : 0);
	return 0;
}

static int pb_copy_side(struct peerbridge_copy_side *side,
			const struct pb_buf *buf)
{
	switch (buf ? buf->type : 0) {
	case PB_BUF_DMABUF:
		side->type = PEERBRIDGE_SIDE_DMABUF;
		side->fd = buf->fd;
		side->addr = buf->offset;
		return 0;
	case PB_BUF_VA:
		side->type = PEERBRIDGE_SIDE_VA;
		side->fd = -1;
		side->addr = (uintptr_t)buf->addr;
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

PB_EXPORT int pb_copy_ex(struct pb_ctx *ctx, const struct pb_buf *dst,
			 const struct pb_buf *src, size_t len,
			 unsigned int flags, struct pb_copy_result *result)
{
	struct peerbridge_copy arg;
	int ret, err;

	pb_begin(PB_CALL_COPY);
	if (result)	/* nothing arrived, whatever is refused */
		memset(result, 0, sizeof(*result));
	memset(&arg, 0, sizeof(arg));
	/* no optional pb_buf fields exist yet */
	if (!ctx || flags || (dst && dst->comp_mask) ||
	    (src && src->comp_mask) || pb_copy_side(&arg.dst, dst) ||
	    pb_copy_side(&arg.src, src)) {
		errno = EINVAL;
		return -1;
	}
	arg.argsz = sizeof(arg);
	arg.len = len;
	/* not retried on EINTR: a copy stopped part way must be reported */
	ret = ioctl(ctx->fd, PEERBRIDGE_COPY, &arg);
	err = errno;
	if (ret && err == ENODEV && ctx->info.abi_minor < 3)
		pb_set_error_detail(ENODEV, "a side's memory was revoked, the DMA engine went away, or no DMA_MEMCPY channel is free (peerbridge.ko of ABI 2.%u does not tell these apart)",
				    ctx->info.abi_minor);
	if (result) {
		memset(result, 0, sizeof(*result));
		result->copied = arg.copied;
		result->dst_dma = arg.dst_dma;
		result->src_dma = arg.src_dma;
		pb_copy_name(result->channel, arg.channel,
			     sizeof(result->channel));
		pb_copy_name(result->engine, arg.engine, sizeof(result->engine));
	}
	errno = err;
	return ret ? -1 : 0;
}

PB_EXPORT int pb_copy(struct pb_ctx *ctx, const struct pb_buf *dst,
		      const struct pb_buf *src, size_t len, unsigned int flags)
{
	return pb_copy_ex(ctx, dst, src, len, flags, NULL);
}
