/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal (never exported): how pb_reg_mr() decides between the dma-buf
 * route and plain ibv_reg_mr(), kept apart from verbs so it can be tested
 * without a device.
 */
#ifndef PB_RDMA_POLICY_H
#define PB_RDMA_POLICY_H

#include <pthread.h>

/* PEERBRIDGE_DMABUF: auto (unset or empty), 0 or 1 */
enum pb_dmabuf_mode {
	PB_DMABUF_AUTO,		/* dma-buf route, probed once per device */
	PB_DMABUF_OFF,		/* plain ibv_reg_mr() for everything */
	PB_DMABUF_ON,		/* dma-buf route, tried on every call */
};

#define PB_DMABUF_ENV	"PEERBRIDGE_DMABUF"

/* @value of PEERBRIDGE_DMABUF (NULL: unset) -> mode, or -1 with EINVAL */
int pb_dmabuf_mode_parse(const char *value);

/* What a device did with a dma-buf registration, per device name. */
enum pb_probe {
	PB_PROBE_UNKNOWN,
	PB_PROBE_IMPORTS,
	PB_PROBE_REFUSES,
};

#define PB_PROBE_DEVICES	32	/* devices remembered; more are re-probed */
#define PB_PROBE_NAME_MAX	64

struct pb_probe_cache {
	pthread_mutex_t lock;
	unsigned int nr;
	struct {
		char name[PB_PROBE_NAME_MAX];
		enum pb_probe probe;
	} dev[PB_PROBE_DEVICES];
};

#define PB_PROBE_CACHE_INIT { .lock = PTHREAD_MUTEX_INITIALIZER }

enum pb_probe pb_probe_get(struct pb_probe_cache *cache, const char *device);
void pb_probe_set(struct pb_probe_cache *cache, const char *device,
		  enum pb_probe probe);

#endif /* PB_RDMA_POLICY_H */
