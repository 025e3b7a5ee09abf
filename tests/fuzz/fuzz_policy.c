/* libFuzzer target: the key policy linter (policy-gen --check reads policies
 * from anywhere).  Findings are dropped: only crashes and leaks matter. */
#include <stddef.h>
#include <stdint.h>

#include "policy/policy_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int drop(void *ctx, const char *level, const char *where, const char *msg, struct nk_err *err)
{
	return NK_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nk_err err;
	int errors;

	policy_check(data, size, drop, NULL, &errors, &err);
	return 0;
}
