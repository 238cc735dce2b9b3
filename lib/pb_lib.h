/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to libpeerbridge (never exported): shared between its files. */
#ifndef PB_LIB_H
#define PB_LIB_H

#define PB_EXPORT __attribute__((visibility("default")))

/*
 * A message for @err naming what went wrong in this thread's last call,
 * which pb_strerror(@err) returns until the thread's next failure with
 * details (as the one-line explanation of a failed pb_reg_mr()).
 */
void pb_set_error_detail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* at the start of every exported call: no detail is left from an earlier one */
void pb_clear_error_detail(void);

#include <stddef.h>
#include <stdint.h>

struct pb_ctx;
/* an ioctl on the context's /dev/peerbridge, retried on EINTR */
int pb_ctx_ioctl(struct pb_ctx *ctx, unsigned long req, void *arg);

struct peerbridge_check;
struct pb_path_info;
/* the kernel's verdict -> the library's; then its sentence and its fix */
void pb_path_from_kernel(const struct peerbridge_check *c,
			 const char *iommu_type, struct pb_path_info *out);
void pb_explain(struct pb_path_info *out, int config_acs);

struct ibv_pd;
struct ibv_mr;

/*
 * pb_reg_mr()'s core, shared by the library and the preload shim: peer
 * memory through a dma-buf at @iova, anything else through
 * pb_plain_reg_mr() (for the @shim, anything QUERY does not call peer
 * memory, as the program asked).  pb_rdma_dereg() also closes an MR's
 * dma-buf.
 */
struct ibv_mr *pb_rdma_reg(struct ibv_pd *pd, void *addr, size_t len,
			   uint64_t iova, int access, int shim);
int pb_rdma_dereg(struct ibv_mr *mr);
/* set by the shim: a device's refusal is also told on stderr, once */
extern int pb_rdma_tell_stderr;

/*
 * libibverbs' own registration, which the library calls directly and the
 * shim finds past itself (pb_rdma_plain.c, preload.c).
 */
struct ibv_mr *pb_plain_reg_mr(struct ibv_pd *pd, void *addr, size_t len,
			       uint64_t iova, int access);
int pb_plain_dereg_mr(struct ibv_mr *mr);

#endif /* PB_LIB_H */
