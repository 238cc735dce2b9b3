/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libpeerbridge: user-space access to peerbridge regions.
 *
 * Conventions (as in libibverbs): a call returning a pointer returns NULL
 * on failure, a call returning int returns -1; either way errno says why,
 * and pb_strerror() explains it the way peerbridge means it.
 */
#ifndef PEERBRIDGE_H
#define PEERBRIDGE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pb_ctx;

/* Open /dev/peerbridge and check the module speaks this library's ABI. */
struct pb_ctx *pb_open(void);
void pb_close(struct pb_ctx *ctx);

/*
 * Map a whole region ("0000:03:00.0-bar2" or "/dev/pbmem/0000:03:00.0-bar2")
 * shared and read-write; *len receives its size.
 */
void *pb_map(struct pb_ctx *ctx, const char *region, size_t *len);
int pb_unmap(void *addr, size_t len);

/* A message for an errno value as peerbridge calls return it. */
const char *pb_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* PEERBRIDGE_H */
