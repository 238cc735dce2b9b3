// SPDX-License-Identifier: GPL-2.0
#include "pb_pattern.h"

/* splitmix64: every 8-byte word differs, so shifted copies are caught */
static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static unsigned char pattern_byte(size_t i, uint64_t seed)
{
	return mix64(seed ^ (i / 8)) >> (8 * (i % 8));
}

void pb_fill_pattern(volatile void *dst, size_t len, uint64_t seed)
{
	volatile uint64_t *w = dst;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = mix64(seed ^ i);
	for (i = len & ~7UL; i < len; i++)
		((volatile unsigned char *)dst)[i] = pattern_byte(i, seed);
}

long pb_verify_pattern(const volatile void *src, size_t len, uint64_t seed)
{
	const volatile uint64_t *w = src;
	size_t i, b;

	for (i = 0; i < len / 8; i++) {
		uint64_t got = w[i];

		if (got != mix64(seed ^ i))
			for (b = 0; b < 8; b++)
				if ((unsigned char)(got >> (8 * b)) !=
				    pattern_byte(i * 8 + b, seed))
					return i * 8 + b;
	}
	for (i = len & ~7UL; i < len; i++)
		if (((const volatile unsigned char *)src)[i] !=
		    pattern_byte(i, seed))
			return i;
	return -1;
}
