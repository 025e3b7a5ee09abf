/* attest: the Nitro attestation document (DESIGN §4.4), an untagged
 * COSE_Sign1 (ES384) over a CBOR payload map of nine keys in a fixed order.
 *
 * Building one is what nsm-sim does for every Attestation request; parsing
 * and verifying (attest-verify) belong to this module too. */
#ifndef NK_ATTEST_H
#define NK_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "err.h"
#include "pcr.h"

#define ATTEST_DIGEST "SHA384"
#define ATTEST_FIELD_MAX 1024   /* user_data, nonce, public_key: each at most this */
#define ATTEST_HW_PCRS 16       /* real hardware puts PCR0-15 in its documents */

/* An optional byte string: present = 0 is CBOR null. */
struct attest_bytes {
	const unsigned char *p;
	size_t len;
	int present;
};

/* The payload's fields, in the order they are encoded.  Nothing is owned. */
struct attest_doc {
	const char *module_id;
	uint64_t timestamp;                   /* ms since the epoch (UTC) */
	const unsigned char (*pcrs)[PCR_LEN]; /* pcrs[i] is PCR i, for i < npcrs */
	unsigned npcrs;
	const unsigned char *certificate;     /* the signing (leaf) certificate, DER */
	size_t certificate_len;
	const struct attest_bytes *cabundle;  /* DER, root first, issuer of the leaf last */
	size_t ncabundle;
	struct attest_bytes public_key, user_data, nonce;
};

/* The payload map, definite length, keys in the order of §4.4 (module_id,
 * digest, timestamp, pcrs, certificate, cabundle, public_key, user_data,
 * nonce).  A field over ATTEST_FIELD_MAX, no module id or no certificate is
 * NK_USAGE (a caller's bug, not bad input).  *out is malloc'd. */
int attest_encode_payload(const struct attest_doc *d, unsigned char **out, size_t *len,
			  struct nk_err *err);

/* The whole document: the payload signed with the leaf's P-384 key as an
 * untagged COSE_Sign1 (protected a1 01 38 22, unprotected {}, r||s).  The key
 * must belong to d->certificate; that is the caller's to ensure. */
int attest_sign(const struct attest_doc *d, EVP_PKEY *leaf_key, unsigned char **out, size_t *len,
		struct nk_err *err);

#endif
