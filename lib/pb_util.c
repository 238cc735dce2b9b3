// SPDX-License-Identifier: LGPL-2.1-or-later
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pb_util.h"

const char *pb_sysfs_root(void)
{
	const char *root = getenv("PEERBRIDGE_SYSFS");

	return root && *root ? root : "/sys";
}

int pb_region_name(const char *in, char *out, size_t outsz)
{
	static const char prefix[] = PB_REGION_DIR "/";
	size_t len;

	if (!strncmp(in, prefix, sizeof(prefix) - 1))
		in += sizeof(prefix) - 1;
	len = strlen(in);
	if (!len || len >= outsz || strchr(in, '/') ||
	    !strcmp(in, ".") || !strcmp(in, "..")) {
		errno = EINVAL;
		return -1;
	}
	memcpy(out, in, len + 1);
	return 0;
}

int pb_read_text(const char *path, char *buf, size_t bufsz)
{
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, bufsz - 1);
	err = errno;
	close(fd);
	if (n < 0) {
		errno = err;
		return -1;
	}
	buf[n] = '\0';
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

int pb_write_text(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	err = errno;
	close(fd);
	if (n != (ssize_t)len) {
		errno = n < 0 ? err : EIO;
		return -1;
	}
	return 0;
}

int pb_sysfs_region_u64(const char *root, const char *region,
			const char *attr, uint64_t *val)
{
	char path[PATH_MAX], text[32];

	if (snprintf(path, sizeof(path), "%s/class/pbmem/%s/%s", root, region,
		     attr) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (pb_read_text(path, text, sizeof(text)))
		return -1;
	return pb_parse_u64(text, val);
}

int pb_parse_u64(const char *s, uint64_t *val)
{
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)*s)) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end) {
		errno = errno ? errno : EINVAL;
		return -1;
	}
	*val = v;
	return 0;
}

int pb_parse_size(const char *s, uint64_t *val)
{
	static const char units[] = "KMG";
	char num[32];
	const char *u;
	size_t len = s ? strlen(s) : 0;
	uint64_t v;
	int shift = 0;

	if (!len || len >= sizeof(num)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(num, s, len + 1);
	u = strchr(units, num[len - 1]);
	if (u && *u) {
		shift = 10 * (int)(u - units + 1);
		num[len - 1] = '\0';
	}
	if (pb_parse_u64(num, &v))
		return -1;
	if (shift && v > (UINT64_MAX >> shift)) {
		errno = ERANGE;
		return -1;
	}
	*val = v << shift;
	return 0;
}

/* Parse exactly @width..1 hex digits (at least one) up to @max. */
static const char *pb_hex_field(const char *s, int width, unsigned int max,
				unsigned int *out)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < width && isxdigit((unsigned char)s[i]); i++)
		v = v * 16 + (isdigit((unsigned char)s[i]) ? s[i] - '0' :
			      tolower((unsigned char)s[i]) - 'a' + 10);
	if (!i || v > max)
		return NULL;
	*out = v;
	return s + i;
}

int pb_parse_bdf(const char *s, char out[PB_BDF_LEN])
{
	unsigned int dom = 0, bus, dev, fn;
	const char *p = s;

	/* a domain is present when two ':' appear */
	if (strchr(p, ':') && strchr(p, ':') != strrchr(p, ':')) {
		p = pb_hex_field(p, 4, 0xffff, &dom);
		if (!p || *p++ != ':')
			goto inval;
	}
	p = pb_hex_field(p, 2, 0xff, &bus);
	if (!p || *p++ != ':')
		goto inval;
	p = pb_hex_field(p, 2, 0x1f, &dev);
	if (!p || *p++ != '.')
		goto inval;
	p = pb_hex_field(p, 1, 7, &fn);
	if (!p || *p)
		goto inval;
	snprintf(out, PB_BDF_LEN, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return 0;
inval:
	errno = EINVAL;
	return -1;
}

void pb_format_size(uint64_t bytes, char *buf, size_t bufsz)
{
	static const char units[] = "KMGTPE";
	uint64_t scale = 1;
	int u = -1;

	while (u < (int)sizeof(units) - 2 && bytes >= scale * 1024) {
		scale *= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, bufsz, "%" PRIu64, bytes);
	else if (bytes % scale == 0)
		snprintf(buf, bufsz, "%" PRIu64 "%c", bytes / scale, units[u]);
	else
		snprintf(buf, bufsz, "%.1f%c", (double)bytes / scale, units[u]);
}

/* the device classes whose entries name a device by its own name */
static const char *const pb_classes[] = {
	"pbmem", "infiniband", "dma", "drm", "nvme", "net",
};

/*
 * A region, a BDF or a class entry's name -> the PCI device, canonical.
 * ENODEV: no such device; ENXIO: it exists but is not a PCI device.
 */
int pb_resolve_pci(const char *name, char bdf[PB_BDF_LEN])
{
	const char *root = pb_sysfs_root();
	char path[PATH_MAX], *real, *base;
	unsigned int i;

	if (!name || !*name || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, "..")) {
		errno = EINVAL;
		return -1;
	}
	if (!pb_parse_bdf(name, bdf)) {
		snprintf(path, sizeof(path), "%s/bus/pci/devices/%s", root, bdf);
		if (!access(path, F_OK))
			return 0;
		errno = ENODEV;
		return -1;
	}
	for (i = 0; i < sizeof(pb_classes) / sizeof(pb_classes[0]); i++) {
		snprintf(path, sizeof(path), "%s/class/%s/%s", root,
			 pb_classes[i], name);
		if (access(path, F_OK))
			continue;
		/* the entry exists: its device is PCI, or it has none */
		snprintf(path, sizeof(path), "%s/class/%s/%s/device", root,
			 pb_classes[i], name);
		real = realpath(path, NULL);
		base = real ? strrchr(real, '/') : NULL;
		if (base && !pb_parse_bdf(base + 1, bdf) &&
		    strstr(real, "/pci")) {
			free(real);
			return 0;
		}
		free(real);
		errno = ENXIO;
		return -1;
	}
	errno = ENODEV;
	return -1;
}
