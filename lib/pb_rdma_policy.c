// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * pb_reg_mr()'s policy: the PEERBRIDGE_DMABUF setting and the per-device
 * memory of whether a device imports dma-bufs.
 */
#include <errno.h>
#include <string.h>

#include "pb_rdma_policy.h"

int pb_dmabuf_mode_parse(const char *value)
{
	if (!value || !*value || !strcmp(value, "auto"))
		return PB_DMABUF_AUTO;
	if (!strcmp(value, "0"))
		return PB_DMABUF_OFF;
	if (!strcmp(value, "1"))
		return PB_DMABUF_ON;
	errno = EINVAL;
	return -1;
}

/* with the lock held: the device's slot, or -1 */
static int pb_probe_find(struct pb_probe_cache *cache, const char *device)
{
	unsigned int i;

	for (i = 0; i < cache->nr; i++)
		if (!strcmp(cache->dev[i].name, device))
			return i;
	return -1;
}

enum pb_probe pb_probe_get(struct pb_probe_cache *cache, const char *device)
{
	enum pb_probe probe = PB_PROBE_UNKNOWN;
	int i;

	pthread_mutex_lock(&cache->lock);
	i = pb_probe_find(cache, device);
	if (i >= 0)
		probe = cache->dev[i].probe;
	pthread_mutex_unlock(&cache->lock);
	return probe;
}

void pb_probe_set(struct pb_probe_cache *cache, const char *device,
		  enum pb_probe probe)
{
	int i;

	if (strlen(device) >= PB_PROBE_NAME_MAX)
		return;		/* not remembered: probed each time */
	pthread_mutex_lock(&cache->lock);
	i = pb_probe_find(cache, device);
	if (i < 0 && cache->nr < PB_PROBE_DEVICES)
		i = cache->nr++;
	if (i >= 0) {
		strcpy(cache->dev[i].name, device);
		cache->dev[i].probe = probe;
	}
	pthread_mutex_unlock(&cache->lock);
}
