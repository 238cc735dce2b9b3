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
#include <unistd.h>

#include <uapi/peerbridge.h>

#include "peerbridge.h"
#include "pb_util.h"

#define PB_EXPORT __attribute__((visibility("default")))

struct pb_ctx {
	int fd;
	struct peerbridge_info info;
};

/* The one place ioctls are issued: retried on EINTR/EAGAIN. */
static int pb_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));
	return ret;
}

PB_EXPORT struct pb_ctx *pb_open(void)
{
	struct pb_ctx *ctx;
	int err;

	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	ctx->fd = open(PB_CTL_NODE, O_RDWR | O_CLOEXEC);
	if (ctx->fd < 0)
		goto err_free;

	ctx->info.argsz = sizeof(ctx->info);
	if (pb_ioctl(ctx->fd, PEERBRIDGE_GET_INFO, &ctx->info))
		goto err_close;
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

PB_EXPORT void *pb_map(struct pb_ctx *ctx, const char *region, size_t *len)
{
	char name[PB_REGION_NAME_MAX], path[PATH_MAX];
	uint64_t size;
	void *addr;
	int fd, err;

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

	snprintf(path, sizeof(path), PB_REGION_DIR "/%s", name);
	fd = open(path, O_RDWR | O_CLOEXEC);
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
	return munmap(addr, len);
}

PB_EXPORT const char *pb_strerror(int err)
{
	switch (err) {
	case 0:
		return "success";
	case ENOENT:
		return "no such region or device (is peerbridge.ko loaded and the device bound?)";
	case ENODEV:
		return "the region was revoked: its device was unbound or removed";
	case EPROTO:
		return "libpeerbridge and peerbridge.ko speak different ABI major versions";
	case EACCES:
	case EPERM:
		return "permission denied (region nodes are root-only by default)";
	case EINVAL:
		return "invalid argument (range outside the region, MAP_PRIVATE, unknown flag, or nonzero reserved field)";
	case ENOTTY:
		return "the loaded peerbridge.ko does not know this request";
	default:
		return strerror(err);
	}
}
