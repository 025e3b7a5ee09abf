/* attest: the Nitro attestation document (DESIGN §4.4), an untagged
 * COSE_Sign1 (ES384) over a CBOR payload map of nine keys in a fixed order.
 *
 * Building one (attest.c) is what nsm-sim does for every Attestation
 * request; parsing one (attest_parse.c) is the first step of attest-verify.
 * Trusting a parsed document is attest_verify.h's job, comparing it with
 * what the caller expects attest_expect.h's. */
#ifndef NK_ATTEST_H
#define NK_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/err.h"
#include "util/cose.h"
#include "eif/pcr.h"

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

/* ---- Parsing (attest_parse.c) ---- */

#define ATTEST_DOC_MAX 16384  /* a document, raw or once base64 is decoded */

/* A parsed document that owns everything doc points to.  The certificates
 * are decoded once here; verification and printing reuse them. */
struct attest_parsed {
	struct attest_doc doc;        /* doc.pcrs has PCR_COUNT rows; see pcr_mask */
	uint32_t pcr_mask;            /* bit i: the document carries PCR i */
	unsigned char pcr[PCR_COUNT][PCR_LEN];
	char *module_id;
	unsigned char *certificate;
	struct attest_bytes *cabundle;
	unsigned char *public_key, *user_data, *nonce;
	X509 *leaf;
	X509 **chain;                 /* cabundle decoded, same order */
	struct cose_sign1 cose;
};

/* Read a document from path or "-": raw COSE_Sign1 bytes, or their base64
 * (detected).  More than ATTEST_DOC_MAX bytes is NK_DATA.  *out is malloc'd. */
int attest_read(const char *path, unsigned char **out, size_t *len, struct nk_err *err);

/* Parse COSE (tag 18 optional, protected header exactly a1 01 38 22) and the
 * payload of §4.4 (definite or indefinite maps; all nine keys, no other and
 * none twice; exact types; PCRs of 48 bytes; a non-empty cabundle; DER
 * certificates).  Anything else is NK_DATA.  Free with attest_parsed_free
 * (also after a failure). */
int attest_parse(const unsigned char *in, size_t len, struct attest_parsed *p, struct nk_err *err);
void attest_parsed_free(struct attest_parsed *p);
/* True when the document carries an all-zero PCR0 (a debug-mode enclave). */
int attest_is_debug(const struct attest_parsed *p);

#endif
