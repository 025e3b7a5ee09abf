/* attest: the Nitro attestation document (DESIGN §4.4), an untagged
 * COSE_Sign1 (ES384) over a CBOR payload map of nine keys in a fixed order.
 *
 * Building one is what nsm-sim does for every Attestation request; parsing
 * and verifying (attest-verify) belong to this module too. */
#ifndef NK_ATTEST_H
#define NK_ATTEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <openssl/evp.h>

#include "util/err.h"
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

/* ---- Parsing and verification (attest_verify.c) ---- */

#include <time.h>
#include <openssl/x509.h>
#include <jansson.h>

#include "util/cose.h"

#define ATTEST_DOC_MAX 16384  /* a document, raw or once base64 is decoded */

/* The embedded trust anchor (attest_root.c): AWS Nitro Enclaves root G1. */
extern const char attest_aws_root_g1_pem[];
#define ATTEST_AWS_ROOT_NAME "AWS Nitro Enclaves root G1"

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

/* What was checked, in order, for the output's "checks". */
#define ATTEST_CHECKS_MAX 48
struct attest_checks {
	unsigned n;
	char name[ATTEST_CHECKS_MAX][16];
};

/* The pinned root and one X509_STORE, made once and reused per document. */
struct attest_verifier {
	X509 *root;
	unsigned char *root_der;
	size_t root_der_len;
	X509_STORE *store;
	char label[160];   /* for messages: "AWS Nitro Enclaves root G1" or "'root.pem'" */
};

/* pem: one PEM certificate (the first one counts); NULL = the embedded AWS
 * root.  label names it in messages.  Bad PEM is NK_DATA. */
int attest_verifier_init(struct attest_verifier *v, const char *pem, size_t len,
			 const char *label, struct nk_err *err);
void attest_verifier_free(struct attest_verifier *v);

/* Root pinning (cabundle[0] is the pinned root, byte for byte), the chain
 * root -> cabundle[1..] -> leaf at time `at` (no partial chains), then the
 * ES384 signature with the leaf key.  NK_OK, or NK_NEGATIVE with
 * "<check> failed: <why>".  checks (may be NULL) gets "structure", "root",
 * "chain", "signature" as they pass. */
int attest_verify(const struct attest_verifier *v, const struct attest_parsed *p, time_t at,
		  struct attest_checks *checks, struct nk_err *err);

/* What the caller expects of the document. */
struct attest_expect {
	uint32_t pcr_mask;                 /* bit i: pcr[i] is expected */
	unsigned char pcr[PCR_COUNT][PCR_LEN];
	struct attest_bytes nonce, user_data, public_key;  /* public_key: PEM or DER, any form */
	int allow_debug;
	int64_t max_age;                   /* seconds; < 0: not checked */
	int64_t at_ms;                     /* the chosen time, for max_age */
};

/* Expect PCR i to hold v; NK_USAGE when another value is expected already. */
int attest_expect_pcr(struct attest_expect *e, unsigned i, const unsigned char v[PCR_LEN],
		      struct nk_err *err);
/* --expect-pcr's "N=HEX" (N 0-31, 96 hex digits); NK_USAGE otherwise. */
int attest_expect_pcr_arg(struct attest_expect *e, const char *arg, struct nk_err *err);
/* Every PCR of pcr-compute's output in path (meas_load); none is NK_DATA. */
int attest_expect_measurements(struct attest_expect *e, const char *path, struct nk_err *err);

/* Check e against p: debug mode (when PCRs are expected and !allow_debug),
 * the PCRs in index order, nonce, user_data, public_key, max-age.  NK_OK or
 * NK_NEGATIVE "<check> failed: <why>". */
int attest_check_expectations(const struct attest_parsed *p, const struct attest_expect *e,
			      struct attest_checks *checks, struct nk_err *err);

/* The output object of attest-verify (see its man page). */
int attest_to_json(const struct attest_parsed *p, int verified, const struct attest_checks *checks,
		   json_t **out, struct nk_err *err);
/* The same as "key: value" lines. */
int attest_print_text(const json_t *j, FILE *f, struct nk_err *err);

/* "now" is not parsed here; "2022-10-12T13:50:06Z", fractional seconds and
 * +HH:MM offsets allowed.  NK_USAGE otherwise. */
int attest_parse_time(const char *s, int64_t *ms, struct nk_err *err);
/* RFC 3339 UTC with milliseconds: out must hold 32 bytes. */
void attest_format_time(int64_t ms, char *out);

/* The KMS request context of a document: kms:RecipientAttestation:ImageSha384
 * (PCR0) and kms:RecipientAttestation:PCR<N>, lowercase hex.  Returns the
 * number of entries (at most ATTEST_CTX_MAX). */
#define ATTEST_CTX_MAX (PCR_COUNT + 1)
struct attest_ctx {
	char key[ATTEST_CTX_MAX][48];
	char value[ATTEST_CTX_MAX][PCR_HEX_LEN + 1];
};
size_t attest_context(const struct attest_parsed *p, struct attest_ctx *c);

#endif
