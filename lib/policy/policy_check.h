/* policy_check: lint a KMS key policy for the mistakes that matter when its
 * conditions carry Nitro Enclave attestation (DESIGN §4.6; policy-gen --check).
 * tests/unit/test_policy_check.c shows every finding's exact wording. */
#ifndef NK_POLICY_CHECK_H
#define NK_POLICY_CHECK_H

#include <stddef.h>

#include "util/err.h"

/* One finding, which policy-gen prints as "LEVEL: WHERE: MSG": level "error" or
 * "warning"; where "statement SID" (SID = the Sid or "#N", 1-based) or "policy" for
 * document-level findings; msg says what and why, on one line (control characters
 * of the input replaced by '?').  Returns NK_OK, or a code with err set (a write
 * error) that stops the reporting. */
typedef int (*policy_finding_fn)(void *ctx, const char *level, const char *where, const char *msg,
				 struct nk_err *err);

/* Lint a key policy given as bytes (untrusted; capped at 1 MiB by the caller's read),
 * reporting each finding to fn in document order.  *errors = number of error-level
 * findings.  Returns NK_OK, fn's code when it failed, or NK_IO when out of memory. */
int policy_check(const unsigned char *buf, size_t len, policy_finding_fn fn, void *ctx, int *errors,
		 struct nk_err *err);

#endif
