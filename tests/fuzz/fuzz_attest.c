/* libFuzzer target: the attestation document parser and verifier (a
 * document is untrusted input until its chain and signature check out).  The
 * root is fixed: AWS's, so no fuzzed document can get past root pinning
 * without breaking SHA-256, but the parser, the certificate decoding and the
 * JSON output all see every input.  Seeds: documents made by nsm-sim. */
#include <stddef.h>
#include <stdint.h>

#include "attest/attest.h"
#include "attest/attest_expect.h"
#include "attest/attest_json.h"
#include "attest/attest_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct attest_verifier v;
	static int ready;
	struct attest_parsed p;
	struct attest_checks c = { 0 };
	struct attest_expect e = { .max_age = 60, .pcr_mask = 1 };
	struct nk_err err;
	json_t *j = NULL;

	if (!ready && attest_verifier_init(&v, NULL, 0, NULL, &err) == NK_OK)
		ready = 1;
	if (attest_parse(data, size, &p, &err) == NK_OK) {
		if (ready)
			attest_verify(&v, &p, (time_t)(p.doc.timestamp / 1000), &c, &err);
		e.at_ms = (int64_t)p.doc.timestamp;
		attest_check_expectations(&p, &e, &c, &err);
		if (attest_to_json(&p, 0, &c, &j, &err) == NK_OK)
			json_decref(j);
	}
	attest_parsed_free(&p);
	return 0;
}
