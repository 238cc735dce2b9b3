/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal to libpeerbridge (never exported): shared between its files. */
#ifndef PB_LIB_H
#define PB_LIB_H

#define PB_EXPORT __attribute__((visibility("default")))

/* the exported calls whose errno values pb_strerror() reads in context */
enum pb_call {
	PB_CALL_ANY,
	PB_CALL_OPEN,
	PB_CALL_INFO,
	PB_CALL_MAP,
	PB_CALL_EXPORT,
	PB_CALL_EXPORT_REGION,
	PB_CALL_QUERY,
	PB_CALL_COPY,
	PB_CALL_CHECK,
	PB_CALL_RDMA,
};
/*
 * At the start of every exported call that can fail: pb_strerror() reads
 * errno values as @call returns them, and no detail is left from an
 * earlier call.
 */
void pb_begin(enum pb_call call);
/*
 * A message for @err naming what went wrong in this thread's current call,
 * which pb_strerror(@err) returns until the thread's next call (as the
 * one-line explanation of a failed pb_reg_mr()).
 */
void pb_set_error_detail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#include <stddef.h>
#include <stdint.h>

struct pb_ctx;
/* an ioctl on the context's /dev/peerbridge, retried on EINTR, bounded on EAGAIN */
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
