/* libFuzzer target: policy-gen's readers of untrusted JSON: an existing key
 * policy merged with new values (both --replace and --add), and the
 * measurements parser. */
#include <stdint.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/jsonx.h"
#include "eif/meas.h"
#include "policy/policy.h"

static void merge(const uint8_t *data, size_t size, int add)
{
	struct policy_spec s;
	struct nk_err err;
	json_t *doc = NULL;
	char *out = NULL;
	size_t len;

	memset(&s, 0, sizeof s);
	s.style = POLICY_STYLE_UNSET;
	if (policy_load(data, size, "fuzz", &doc, &err) == NK_OK &&
	    policy_values_add(&s.values, 0, "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
			      "202122232425262728292a2b2c2d2e2f", &err) == NK_OK &&
	    policy_merge(doc, "fuzz", &s, add, &err) == NK_OK)
		(void)policy_render(doc, 1, &out, &len, &err);
	free(out);
	json_decref(doc);
	policy_spec_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meas m;
	struct nk_err err;
	json_t *j;

	merge(data, size, 0);
	merge(data, size, 1);
	if (jsonx_parse(data, size, "fuzz", &j, &err) == NK_OK) {
		(void)meas_parse(j, "fuzz", &m, &err);
		json_decref(j);
	}
	return 0;
}
