/* libFuzzer target: the key policy evaluator (attest-verify --policy and
 * kms-sim evaluate policies from anywhere).  Input: a policy, optionally
 * followed by "\n---\n" and the request, one item per line: the action, the
 * principal ("-": not checked), then KEY=VALUE context lines.  Only crashes
 * and leaks matter; the request is also evaluated without a principal. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_eval.h"

#define CTX_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy_request r = {.action = "kms:Decrypt"};
	struct policy_ctx_kv kv[CTX_MAX];
	struct policy_decision d;
	struct nk_err err;
	char *buf, *sep, *line, *save = NULL;
	size_t plen = size;
	json_t *policy;

	if (size > 65536 || !(buf = malloc(size + 1)))
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	if ((sep = strstr(buf, "\n---\n"))) {
		plen = (size_t)(sep - buf);
		*sep = '\0';
		for (size_t n = 0; (line = strtok_r(n ? NULL : sep + 5, "\n", &save)); n++) {
			char *eq;

			if (n == 0)
				r.action = line;
			else if (n == 1)
				r.principal = strcmp(line, "-") ? line : NULL;
			else if ((eq = strchr(line, '=')) && r.nctx < CTX_MAX) {
				*eq = '\0';
				kv[r.nctx++] = (struct policy_ctx_kv){line, eq + 1};
			}
		}
	}
	r.ctx = kv;
	policy = json_loadb(buf, plen, 0, NULL);
	if (policy) {
		policy_eval(policy, &r, &d, &err);
		r.principal = NULL;
		policy_eval(policy, &r, &d, &err);
		json_decref(policy);
	}
	free(buf);
	return 0;
}
