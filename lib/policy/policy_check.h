/* policy_check: lint a KMS key policy for the mistakes that matter when its
 * conditions carry Nitro Enclave attestation (DESIGN §4.6; policy-gen --check).
 * tests/unit/test_policy_check.c shows every finding's exact wording. */
#ifndef NK_POLICY_CHECK_H
#define NK_POLICY_CHECK_H

#include <stddef.h>
#include <stdio.h>

#include "util/err.h"

/* Lint a key policy given as bytes (untrusted; capped at 1 MiB by the caller's read).
 * Prints one line per finding to out: "LEVEL: statement SID: WHAT AND WHY" (LEVEL error|warning;
 * SID = the Sid or "#N", 1-based; document-level findings use "policy" instead of
 * "statement SID").  *errors = number of error-level findings.  Returns NK_OK, or NK_IO on a
 * write error / out of memory. */
int policy_check(const unsigned char *buf, size_t len, FILE *out, int *errors, struct nk_err *err);

#endif
