/* libFuzzer target: the NSM request decoder, nsm-sim's first look at a
 * client's bytes.  Whatever decodes must survive a round trip: encode, decode
 * again, same fields, and the encoding is a fixed point. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nsm/nsm_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsm_request a, b;
	struct nk_err err;
	unsigned char *out = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	int rc;

	/* nsm-sim decodes without an error value: same verdict either way */
	if (nsm_request_decode(data, size, &a, NULL) != nsm_request_decode(data, size, &b, &err))
		abort();
	nsm_request_clear(&a);
	nsm_request_clear(&b);
	if (nsm_request_decode(data, size, &a, &err))
		return 0;
	rc = nsm_request_encode(&a, &out, &len, &err);
	/* Attestation's missing options come back as nulls, which can push a
	 * request near the cap over it: the one allowed failure */
	if (rc == NK_DATA && a.op == NSM_OP_ATTESTATION &&
	    strncmp(err.msg, "request too large", 17) == 0)
		goto out;
	if (rc || nsm_request_decode(out, len, &b, &err) || !nsm_request_equal(&a, &b) ||
	    nsm_request_encode(&b, &again, &len2, &err) || len != len2 ||
	    memcmp(out, again, len) != 0)
		abort();
	nsm_request_clear(&b);
out:
	free(out);
	free(again);
	nsm_request_clear(&a);
	return 0;
}
