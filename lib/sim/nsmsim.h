/* nsmsim: the core of nsm-sim, a software Nitro Secure Module: 32 PCRs with
 * lock bits, a module id, debug mode and a signer (lib/nsmsim_pki), and the
 * handling of one raw request (DESIGN §4.3) into one raw response.  No
 * sockets here (lib/nsmsim_server serves it), so all of it is testable in
 * process.
 *
 * As the hardware (and QEMU's virtio-nsm) does: PCR0-15 are set at boot and
 * locked, PCR16-31 start at zero, unlocked; an index >= 32 is InvalidIndex,
 * ExtendPCR of a locked PCR is ReadOnlyIndex, locking a locked PCR succeeds,
 * LockPCRs{range} locks 0..range-1 (range > 32 is InvalidIndex), a request
 * over 4096 bytes is InputTooLarge, an Attestation field over 1024 bytes is
 * InvalidArgument, anything that is not a known request is InvalidOperation.
 * Documents carry PCR0-15, as real ones do. */
#ifndef NK_NSMSIM_H
#define NK_NSMSIM_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "nsm/nsm_msg.h"
#include "sim/nsmsim_pki.h"
#include "eif/pcr.h"

#define NSMSIM_BOOT_PCRS 16      /* PCR0-15: set at boot, locked */
#define NSMSIM_MODULE_ID_MAX 48  /* fits the leaf certificate's CN */
/* The shape of a real module id: instance id, "-enc", enclave id. */
#define NSMSIM_DEFAULT_MODULE_ID "i-00000000000000000-enc0000000000000000"
#define NSMSIM_VERSION_MAJOR 1
#define NSMSIM_VERSION_MINOR 0
#define NSMSIM_VERSION_PATCH 0

/* What the simulator boots with (nsm-sim's options).  Strings are borrowed. */
struct nsmsim_config {
	const char *eif;          /* PCR0/1/2 (and 8 when signed) from this EIF, or NULL */
	unsigned char pcr[NSMSIM_BOOT_PCRS][PCR_LEN];  /* --pcr N=HEX values */
	uint16_t pcr_given;       /* bit N: pcr[N] was given */
	int debug;                /* debug mode: PCR0/1/2/8 are zero */
	const char *role_arn;     /* PCR3, or NULL */
	const char *instance_id;  /* PCR4, or NULL */
	const char *pki_dir;      /* NULL: NSMSIM_PKI_DEFAULT_DIR */
	const char *module_id;    /* NULL: NSMSIM_DEFAULT_MODULE_ID */
};

/* Parse one "--pcr N=HEX" (N 0-15, HEX exactly 96 hex digits) into c.  A
 * malformed value or an index given twice is NK_USAGE. */
int nsmsim_config_pcr(struct nsmsim_config *c, const char *arg, struct nk_err *err);

struct nsmsim {
	unsigned char pcr[NSM_MAX_PCRS][PCR_LEN];
	uint32_t locked;          /* bit i: PCR i is locked */
	char module_id[NSMSIM_MODULE_ID_MAX + 1];
	int debug;
	struct nsmsim_pki pki;
	uint64_t fixed_ms;        /* the clock in ms since the epoch; 0 = real time (tests set it) */
	/* The last request, for logs: its operation (-1 when it did not
	 * decode) and the error answered (NSM_E_SUCCESS when none). */
	int last_op;
	enum nsm_error last_error;
	size_t last_len;
};

/* Boot: check the configuration (--eif with --pcr, a --pcr for a PCR that
 * --role-arn, --instance-id or --debug-mode sets, a bad module id: NK_USAGE),
 * measure the EIF (missing: NK_IO, corrupt: NK_DATA), open or create the PKI
 * and issue the first leaf.  On failure s holds nothing to free. */
int nsmsim_init(struct nsmsim *s, const struct nsmsim_config *c, struct nk_err *err);
void nsmsim_free(struct nsmsim *s);

/* Answer one raw request.  *resp (malloc'd) is always a response record,
 * {"Error": "..."} for a bad request; a len over NSM_REQUEST_MAX is answered
 * InputTooLarge without reading req (so a caller that saw a longer record
 * than it buffered may pass its full length).  Returns NK_OK, or NK_IO with
 * *resp NULL only when memory runs out even for an error answer: the caller
 * then sends nsmsim_internal_error. */
int nsmsim_handle(struct nsmsim *s, const unsigned char *req, size_t len, unsigned char **resp,
		  size_t *resp_len);

/* {"Error": "InternalError"}, for when nothing else can be built. */
extern const unsigned char nsmsim_internal_error[];
extern const size_t nsmsim_internal_error_len;

#endif
