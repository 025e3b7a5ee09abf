/* nsm_msg: the Nitro Secure Module protocol's messages (DESIGN §4.3): typed
 * requests and responses and their serde-CBOR encoding, shared by the client
 * tools (through nsm_dev) and nsm-sim.  No I/O here: nsm_dev carries the bytes.
 *
 * Encoding: unit variants are a bare text string ("DescribeNSM",
 * "GetRandom", "LockPCR", "LockPCRs"), the others a one-entry map
 * {"Name": {fields in declaration order}}; absent options are null; byte
 * fields are byte strings (decoders also accept arrays of small ints). */
#ifndef NK_NSM_MSG_H
#define NK_NSM_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"
#include "eif/pcr.h"

/* The driver's limits, which the codec enforces too so that nsm-sim and the
 * device accept the same messages. */
#define NSM_REQUEST_MAX 0x1000     /* the driver refuses larger requests */
#define NSM_RESPONSE_MAX 0x3000    /* the driver's response buffer */
#define NSM_FIELD_MAX 1024         /* user_data, nonce, public_key: each at most this */
#define NSM_RANDOM_LEN 256         /* GetRandom's answer */
#define NSM_MAX_PCRS 32

enum nsm_op {
	NSM_OP_DESCRIBE_PCR,
	NSM_OP_EXTEND_PCR,
	NSM_OP_LOCK_PCR,
	NSM_OP_LOCK_PCRS,
	NSM_OP_DESCRIBE_NSM,
	NSM_OP_ATTESTATION,
	NSM_OP_GET_RANDOM,
	NSM_OP_ERROR,               /* responses only: {"Error": "<code>"} */
};

/* ErrorCode, in the order of the Rust enum. */
enum nsm_error {
	NSM_E_SUCCESS,
	NSM_E_INVALID_ARGUMENT,
	NSM_E_INVALID_INDEX,
	NSM_E_INVALID_RESPONSE,
	NSM_E_READONLY_INDEX,
	NSM_E_INVALID_OPERATION,
	NSM_E_BUFFER_TOO_SMALL,
	NSM_E_INPUT_TOO_LARGE,
	NSM_E_INTERNAL_ERROR,
};

/* "InvalidIndex" ... and a sentence for messages; NULL for an unknown code. */
const char *nsm_error_name(enum nsm_error e);
const char *nsm_error_text(enum nsm_error e);
const char *nsm_op_name(enum nsm_op op);  /* "DescribePCR" ... "Error" */

/* An optional byte field: present = 0 encodes null. */
struct nsm_bytes {
	const unsigned char *p;
	size_t len;
	int present;
};

struct nsm_request {
	enum nsm_op op;
	uint16_t index;             /* DescribePCR, ExtendPCR, LockPCR */
	uint16_t range;             /* LockPCRs */
	struct nsm_bytes data;      /* ExtendPCR (always present) */
	struct nsm_bytes user_data, nonce, public_key;  /* Attestation */
	/* Owned storage behind the pointers above (decoders fill it). */
	unsigned char *owned;
	size_t owned_len;
};

struct nsm_response {
	enum nsm_op op;
	enum nsm_error error;       /* op == NSM_OP_ERROR */
	int lock;                   /* DescribePCR */
	struct nsm_bytes data;      /* DescribePCR, ExtendPCR: the PCR value */
	struct nsm_bytes document;  /* Attestation */
	struct nsm_bytes random;    /* GetRandom */
	/* DescribeNSM */
	uint16_t version_major, version_minor, version_patch, max_pcrs;
	const char *module_id;
	uint16_t locked_pcrs[NSM_MAX_PCRS];
	size_t nlocked;
	const char *digest;         /* "SHA384" */
	/* Owned storage behind the pointers above (decoders fill it). */
	unsigned char *owned;       /* wiped on clear: GetRandom's bytes are secrets */
	size_t owned_len;
	char *owned_str[2];
};

/* Encoding.  *out is malloc'd.  A request over NSM_REQUEST_MAX is NK_DATA
 * (callers check sizes before sending; nsm-sim answers InputTooLarge). */
int nsm_request_encode(const struct nsm_request *r, unsigned char **out, size_t *len, struct nk_err *err);
int nsm_response_encode(const struct nsm_response *r, unsigned char **out, size_t *len, struct nk_err *err);

/* Decoding untrusted bytes (capped: requests at NSM_REQUEST_MAX, responses at
 * NSM_RESPONSE_MAX).  Pointers in *r point into storage owned by *r: release
 * with nsm_request_clear / nsm_response_clear.  Malformed input is NK_DATA;
 * a well-formed request with bad values (e.g. index 40) decodes fine: judging
 * it is the simulator's job. */
int nsm_request_decode(const unsigned char *buf, size_t len, struct nsm_request *r, struct nk_err *err);
void nsm_request_clear(struct nsm_request *r);
int nsm_response_decode(const unsigned char *buf, size_t len, struct nsm_response *r, struct nk_err *err);
void nsm_response_clear(struct nsm_response *r);

/* Same message with the same field values (what an encode/decode round trip
 * keeps: the op's own fields only; a NULL digest counts as "SHA384"). */
int nsm_request_equal(const struct nsm_request *a, const struct nsm_request *b);
int nsm_response_equal(const struct nsm_response *a, const struct nsm_response *b);

#endif
