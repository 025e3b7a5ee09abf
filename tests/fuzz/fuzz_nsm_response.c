/* libFuzzer target: the NSM response decoder (the device's or nsm-sim's
 * bytes are untrusted).  Whatever decodes must survive a round trip: encode,
 * decode again, same fields, and the encoding is a fixed point. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nsm/nsm_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nsm_response a, b;
	struct nk_err err;
	unsigned char *out = NULL, *again = NULL;
	size_t len = 0, len2 = 0;

	/* nsm-sim decodes without an error value: same verdict either way */
	if (nsm_response_decode(data, size, &a, NULL) != nsm_response_decode(data, size, &b, &err))
		abort();
	nsm_response_clear(&a);
	nsm_response_clear(&b);
	if (nsm_response_decode(data, size, &a, &err))
		return 0;
	/* the canonical form is never longer than what decoded, so it fits */
	if (nsm_response_encode(&a, &out, &len, &err) ||
	    nsm_response_decode(out, len, &b, &err) || !nsm_response_equal(&a, &b) ||
	    nsm_response_encode(&b, &again, &len2, &err) || len != len2 ||
	    memcmp(out, again, len) != 0)
		abort();
	free(out);
	free(again);
	nsm_response_clear(&a);
	nsm_response_clear(&b);
	return 0;
}
