/* nsm_dev: the two transports of the NSM protocol, which carry the same
 * nsm_msg bytes: the /dev/nsm ioctl inside an enclave and nsm-sim's
 * "unix:PATH" SOCK_SEQPACKET socket outside one.  The ABI definitions below
 * are shared with the LD_PRELOAD shim (preload/), which includes only this
 * header and links no library. */
#ifndef NK_NSM_DEV_H
#define NK_NSM_DEV_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "nsm/nsm_msg.h"

#define NSM_DEVICE "/dev/nsm"
#define NSM_ENV "NITROKIT_NSM"
/* _IOWR(0x0A, 0, struct nsm_raw): struct nsm_raw is 2 x {u64 addr, u64 len}. */
#define NSM_IOCTL_RAW 0xC0200A00u

struct nsm_iovec {
	uint64_t addr;
	uint64_t len;
};
/* The kernel's ABI, defined here because older kernel headers lack it. */
struct nsm_raw {
	struct nsm_iovec request;
	struct nsm_iovec response;
};

struct nsm_conn;

/* The NSM to use: spec (--nsm) when given and not empty, else $NITROKIT_NSM
 * when set and not empty, else /dev/nsm. */
const char *nsm_spec(const char *spec);

/* spec: "/dev/nsm" (or any path: the ioctl device) or "unix:PATH" (nsm-sim);
 * NULL means nsm_spec's choice, which --verbose names ("using the NSM at
 * '...'", through util/log).  A missing device is NK_IO with
 * "cannot open '/dev/nsm': ... (not inside a Nitro Enclave? set
 * NITROKIT_NSM=unix:PATH to use nsm-sim)". */
int nsm_open(const char *spec, struct nsm_conn **c, struct nk_err *err);
void nsm_close(struct nsm_conn *c);

/* How long a unix: call waits for nsm-sim's answer (default 30000 ms; the
 * device has no timeout).  0 waits forever. */
void nsm_set_timeout(struct nsm_conn *c, unsigned ms);

/* One raw exchange: req (at most NSM_REQUEST_MAX) in, the response into
 * resp (capacity *resp_len in, length out).  Transport failures are NK_IO. */
int nsm_call_raw(struct nsm_conn *c, const unsigned char *req, size_t req_len,
		 unsigned char *resp, size_t *resp_len, struct nk_err *err);

/* Encode, exchange, decode.  An {"Error": code} answer is NK_REMOTE with
 * "the NSM refused <Op>: <Code> (<text>)"; an answer of another operation
 * than asked is NK_DATA ("the NSM answered <X> to <Y>"). */
int nsm_exec(struct nsm_conn *c, const struct nsm_request *req, struct nsm_response *resp,
	     struct nk_err *err);

#endif
