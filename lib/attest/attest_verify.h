/* attest_verify: whether a parsed attestation document (attest.h) is to be
 * trusted: its cabundle starts with the pinned root, the chain to the leaf
 * holds at a chosen time, and the leaf key signed it (DESIGN §4.4).  Also
 * the list of checks passed, which attest_expect extends and attest-verify
 * prints. */
#ifndef NK_ATTEST_VERIFY_H
#define NK_ATTEST_VERIFY_H

#include <stddef.h>
#include <time.h>
#include <openssl/x509.h>

#include "util/err.h"
#include "attest/attest.h"

/* The embedded trust anchor (attest_root.c): AWS Nitro Enclaves root G1. */
extern const char attest_aws_root_g1_pem[];
#define ATTEST_AWS_ROOT_NAME "AWS Nitro Enclaves root G1"

/* What was checked, in order, for the output's "checks". */
#define ATTEST_CHECKS_MAX 48
struct attest_checks {
	unsigned n;
	char name[ATTEST_CHECKS_MAX][16];
};

/* Record that check `name` passed; c may be NULL (nobody is listening), and
 * names beyond ATTEST_CHECKS_MAX are dropped. */
void attest_checks_add(struct attest_checks *c, const char *name);

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

#endif
