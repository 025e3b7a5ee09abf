/* libFuzzer target: what the KMS simulator does with an untrusted request:
 * parse the HTTP text, parse its Authorization header, verify the signature
 * against a known secret.  Only crashes, leaks and UB matter. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kms/sigv4_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_http h;
	struct sigv4_auth a;
	struct nk_err err;

	if (sigv4_http_parse(data, size, &h, &err))
		return 0;
	for (size_t i = 0; i < h.req.nheaders; i++)
		if (strcmp(h.req.headers[i].name, "Authorization") == 0)
			sigv4_parse_authorization(h.req.headers[i].value, &a, &err);
	sigv4_verify(&h.req, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "kms", &a, &err);
	sigv4_verify(&h.req, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL, NULL, NULL, &err);
	sigv4_http_free(&h);
	return 0;
}
