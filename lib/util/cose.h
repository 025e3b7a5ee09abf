/* cose: COSE_Sign1 (RFC 9052) with ECDSA ES256/ES384/ES512, as the EIF
 * signature section and (later) attestation documents use it.
 * Untagged on output; tag 18 accepted on input. */
#ifndef NK_COSE_H
#define NK_COSE_H

#include <stddef.h>
#include <openssl/evp.h>
#include "util/err.h"

enum cose_alg { COSE_ES256 = -7, COSE_ES384 = -35, COSE_ES512 = -36 };

/* Sign payload with an EC private key (P-256/384/521 picks the algorithm).
 * Protected header {1: alg}, unprotected {}, signature r||s. *out is malloc'd. */
int cose_sign1_sign(EVP_PKEY *key, const unsigned char *payload, size_t plen,
		    unsigned char **out, size_t *outlen, struct nk_err *err);

/* Parse a COSE_Sign1 and verify it with key.  *ok = 1 when the signature is
 * valid (high-S accepted); a malformed structure is NK_DATA.  When *ok = 1,
 * *payload is a malloc'd copy of the payload the caller frees (payload may be
 * NULL when not wanted); otherwise *payload is NULL, so an unverified payload
 * cannot be used by mistake. */
int cose_sign1_verify(const unsigned char *in, size_t len, EVP_PKEY *key, int *ok,
		      unsigned char **payload, size_t *plen, struct nk_err *err);

/* The two steps of cose_sign1_verify, for callers that want the payload of a
 * document before (or without) checking it, e.g. to print it. */
#define COSE_MAX (1u << 16)  /* both of our formats are well under this */

struct cose_sign1 {
	enum cose_alg alg;        /* from the protected header */
	unsigned char *prot;      /* the protected header bstr's content, as received */
	size_t prot_len;
	unsigned char *payload;
	size_t payload_len;
	unsigned char *sig;       /* r||s, 2 * cose_alg_width(alg) bytes */
	size_t sig_len;
};

/* Parse (tag 18 optional); a bad structure, an unknown algorithm or a
 * signature of the wrong length is NK_DATA. */
int cose_sign1_parse(const unsigned char *in, size_t len, struct cose_sign1 *c,
		     struct nk_err *err);
/* *ok = 1 when c's signature is valid for key.  A key on another curve than
 * the algorithm's gives *ok = 0; a key that is not P-256/384/521 is NK_DATA. */
int cose_sign1_check(const struct cose_sign1 *c, EVP_PKEY *key, int *ok, struct nk_err *err);
void cose_sign1_free(struct cose_sign1 *c);

/* Bytes of r (and of s) for alg: 32, 48, 66; 0 for an unknown algorithm. */
size_t cose_alg_width(int alg);
/* "ES256", "ES384", "ES512", or NULL. */
const char *cose_alg_name(int alg);

#endif
