/* SPDX-License-Identifier: GPL-2.0 */
/* Host-side unit tests (no kernel needed). */
#ifndef PB_UNIT_H
#define PB_UNIT_H

#include <check.h>

Suite *suite_util(void);
Suite *suite_print(void);
Suite *suite_pbctl(void);
Suite *suite_library(void);
Suite *suite_rdma_policy(void);
Suite *suite_topology(void);
Suite *suite_bench(void);

#endif
