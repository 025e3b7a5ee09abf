/* The KMS condition keys a Recipient document stands for: KMS reads the PCRs
 * of the attestation document in a request as kms:RecipientAttestation:*
 * context, so a policy can be evaluated against a document (attest-verify
 * --action) with the same keys. */
#include "policy/policy_attest.h"

#include <stdio.h>

#include "util/enc.h"
#include "policy/policy.h"

size_t policy_attest_context(const struct attest_parsed *p, struct policy_attest_ctx *c)
{
	size_t n = 0;

	if (p->pcr_mask & 1u) {
		snprintf(c->key[n], sizeof c->key[0], "%s", POLICY_IMAGE_KEY);
		enc_hex(p->pcr[0], PCR_LEN, c->value[n++]);
	}
	for (unsigned i = 0; i < PCR_COUNT; i++) {
		if (!(p->pcr_mask & (1u << i)))
			continue;
		snprintf(c->key[n], sizeof c->key[0], "%sPCR%u", POLICY_KEY_PREFIX, i);
		enc_hex(p->pcr[i], PCR_LEN, c->value[n++]);
	}
	return n;
}
