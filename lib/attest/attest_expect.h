/* attest_expect: what the caller expects of an attestation document (PCR
 * values, nonce, user data, public key, no debug mode, a maximum age) and
 * the check of a parsed document against it. */
#ifndef NK_ATTEST_EXPECT_H
#define NK_ATTEST_EXPECT_H

#include <stdint.h>

#include "util/err.h"
#include "eif/pcr.h"
#include "attest/attest.h"
#include "attest/attest_verify.h"

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
 * NK_NEGATIVE "<check> failed: <why>"; checks (may be NULL) gets the name of
 * each check as it passes. */
int attest_check_expectations(const struct attest_parsed *p, const struct attest_expect *e,
			      struct attest_checks *checks, struct nk_err *err);

#endif
