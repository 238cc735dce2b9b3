/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A deterministic, non-repeating byte pattern for data-path checks, shared
 * by pbctl copy --verify and the tests (never exported from the library).
 */
#ifndef PB_PATTERN_H
#define PB_PATTERN_H

#include <stddef.h>
#include <stdint.h>

void pb_fill_pattern(volatile void *dst, size_t len, uint64_t seed);
/* offset of the first byte that differs from the pattern, or -1 */
long pb_verify_pattern(const volatile void *src, size_t len, uint64_t seed);

#endif
