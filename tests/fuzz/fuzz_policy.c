/* libFuzzer target: the key policy linter (policy-gen --check reads policies
 * from anywhere).  Findings go to /dev/null: only crashes and leaks matter. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "policy/policy_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct nk_err err;
	int errors;

	if (!null && !(null = fopen("/dev/null", "w")))
		return 0;
	policy_check(data, size, null, &errors, &err);
	return 0;
}
