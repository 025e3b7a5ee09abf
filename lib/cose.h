/* cose: COSE_Sign1 (RFC 9052) with ECDSA ES256/ES384/ES512, as the EIF
 * signature section and (later) attestation documents use it.
 * Untagged on output; tag 18 accepted on input. */
#ifndef NK_COSE_H
#define NK_COSE_H

#include <stddef.h>
#include <openssl/evp.h>
#include "err.h"

enum cose_alg { COSE_ES256 = -7, COSE_ES384 = -35, COSE_ES512 = -36 };

/* Sign payload with an EC private key (P-256/384/521 picks the algorithm).
 * Protected header {1: alg}, unprotected {}, signature r||s. *out is malloc'd. */
int cose_sign1_sign(EVP_PKEY *key, const unsigned char *payload, size_t plen,
		    unsigned char **out, size_t *outlen, struct nk_err *err);

/* Parse a COSE_Sign1 and verify it with key.  *ok = 1 when the signature is
 * valid (high-S accepted); a malformed structure is NK_DATA.  On success
 * *payload points into a malloc'd copy the caller frees (may be NULL). */
int cose_sign1_verify(const unsigned char *in, size_t len, EVP_PKEY *key, int *ok,
		      unsigned char **payload, size_t *plen, struct nk_err *err);

#endif
