/* attest_json: a parsed attestation document as attest-verify's output
 * object (see its man page); tool/attest_out prints it as text. */
#ifndef NK_ATTEST_JSON_H
#define NK_ATTEST_JSON_H

#include <jansson.h>

#include "util/err.h"
#include "attest/attest.h"
#include "attest/attest_verify.h"

/* verified: whether attest_verify passed (the "verified" key); checks (may
 * be NULL) becomes the "checks" array.  *out is a new reference. */
int attest_to_json(const struct attest_parsed *p, int verified, const struct attest_checks *checks,
		   json_t **out, struct nk_err *err);

#endif
