/* libFuzzer target: KMS answers (untrusted bytes from the network), parsed as
 * the response of every operation and as an error body. */
#include <stddef.h>
#include <stdint.h>

#include "kms/kms.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kms_resp r;
	struct kms_error e;

	for (int op = KMS_DECRYPT; op <= KMS_ENCRYPT; op++) {
		kms_parse_response((enum kms_op)op, data, size, &r, NULL);
		kms_resp_free(&r);
	}
	kms_parse_error(size % 2 ? 400 : 503, size % 3 ? NULL : "ThrottlingException:http://x/",
			data, size, &e, NULL);
	return 0;
}
