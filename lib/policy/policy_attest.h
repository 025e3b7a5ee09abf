/* policy_attest: an attestation document as KMS request context, for
 * evaluating a key policy against it. */
#ifndef NK_POLICY_ATTEST_H
#define NK_POLICY_ATTEST_H

#include <stddef.h>

#include "eif/pcr.h"
#include "attest/attest.h"

/* kms:RecipientAttestation:ImageSha384 (PCR0) and
 * kms:RecipientAttestation:PCR<N> of every PCR the document carries, values
 * in lowercase hex. */
#define POLICY_ATTEST_CTX_MAX (PCR_COUNT + 1)
struct policy_attest_ctx {
	char key[POLICY_ATTEST_CTX_MAX][48];
	char value[POLICY_ATTEST_CTX_MAX][PCR_HEX_LEN + 1];
};

/* Fills c; returns the number of entries (at most POLICY_ATTEST_CTX_MAX). */
size_t policy_attest_context(const struct attest_parsed *p, struct policy_attest_ctx *c);

#endif
