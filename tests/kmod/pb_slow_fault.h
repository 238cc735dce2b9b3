/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pb_slow_fault (test-only): /dev/pb_slow_fault, see pb_slow_fault.c.
 * Shared by the module and the VM suite.
 */
#ifndef PB_SLOW_FAULT_H
#define PB_SLOW_FAULT_H

#define PBSF_DEV	"/dev/pb_slow_fault"

/* the byte a fault maps at file offset @off */
static inline unsigned char pbsf_byte(unsigned long long off)
{
	return (unsigned char)(off * 131 + 7 + (off >> 12));
}

#endif
