#include "util/cose.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include "util/cborx.h"

#define COSE_TAG 18          /* COSE_Sign1 (RFC 9052 §2) */
#define COSE_HDR_ALG 1

size_t cose_alg_width(int alg)
{
	switch (alg) {
	case COSE_ES256: return 32;
	case COSE_ES384: return 48;
	case COSE_ES512: return 66;  /* P-521: 521 bits round up to 66 bytes */
	}
	return 0;
}

const char *cose_alg_name(int alg)
{
	switch (alg) {
	case COSE_ES256: return "ES256";
	case COSE_ES384: return "ES384";
	case COSE_ES512: return "ES512";
	}
	return NULL;
}

static const EVP_MD *alg_md(int alg)
{
	switch (alg) {
	case COSE_ES256: return EVP_sha256();
	case COSE_ES384: return EVP_sha384();
	default: return EVP_sha512();
	}
}

/* The algorithm a key's curve implies; 0 for anything but P-256/384/521. */
static int key_alg(EVP_PKEY *key)
{
	char name[80];
	size_t n = 0;
	int nid;

	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_group_name(key, name, sizeof name, &n))
		return 0;
	nid = OBJ_sn2nid(name);
	if (nid == NID_undef)
		nid = EC_curve_nist2nid(name);
	switch (nid) {
	case NID_X9_62_prime256v1: return COSE_ES256;
	case NID_secp384r1: return COSE_ES384;
	case NID_secp521r1: return COSE_ES512;
	}
	return 0;
}

/* Sig_structure = ["Signature1", protected, external_aad = h'', payload] (RFC 9052 §4.4). */
static int sig_structure(const unsigned char *prot, size_t prot_len, const unsigned char *payload,
			 size_t plen, unsigned char **out, size_t *outlen, struct nk_err *err)
{
	cbor_item_t *a = cbor_new_definite_array(4);
	int rc;

	if (!a || !cborx_array_put(a, cbor_build_string("Signature1")) ||
	    !cborx_array_put(a, cborx_bstr(prot, prot_len)) ||
	    !cborx_array_put(a, cborx_bstr(NULL, 0)) ||
	    !cborx_array_put(a, cborx_bstr(payload, plen))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	rc = cborx_serialize(a, out, outlen, err);
out:
	if (a)
		cbor_decref(&a);
	return rc;
}

static int protected_header(int alg, unsigned char **out, size_t *outlen, struct nk_err *err)
{
	cbor_item_t *m = cbor_new_definite_map(1), *k = cborx_uint(COSE_HDR_ALG), *v = cborx_int(alg);
	int rc;

	/* cbor_map_add takes its own references to k and v */
	if (!m || !k || !v || !cbor_map_add(m, (struct cbor_pair){ .key = k, .value = v }))
		rc = err_set(err, NK_IO, "out of memory");
	else
		rc = cborx_serialize(m, out, outlen, err);
	if (k)
		cbor_decref(&k);
	if (v)
		cbor_decref(&v);
	if (m)
		cbor_decref(&m);
	return rc;
}

/* DER ECDSA-Sig-Value -> r||s, each left-padded to width. */
static int der_to_rs(const unsigned char *der, size_t len, size_t width, unsigned char *rs)
{
	const unsigned char *p = der;
	ECDSA_SIG *s = d2i_ECDSA_SIG(NULL, &p, (long)len);
	const BIGNUM *r, *sv;
	int ok;

	if (!s)
		return 0;
	ECDSA_SIG_get0(s, &r, &sv);
	ok = BN_bn2binpad(r, rs, (int)width) == (int)width &&
	     BN_bn2binpad(sv, rs + width, (int)width) == (int)width;
	ECDSA_SIG_free(s);
	return ok;
}

/* r||s -> DER ECDSA-Sig-Value (malloc'd by OpenSSL); 0 on failure. */
static int rs_to_der(const unsigned char *rs, size_t width, unsigned char **der, size_t *len)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(rs, (int)width, NULL), *sv = BN_bin2bn(rs + width, (int)width, NULL);
	int n = -1;

	*der = NULL;
	if (s && r && sv && ECDSA_SIG_set0(s, r, sv)) {
		r = sv = NULL;  /* owned by s now */
		n = i2d_ECDSA_SIG(s, der);
	}
	BN_free(r);
	BN_free(sv);
	ECDSA_SIG_free(s);
	if (n <= 0)
		return 0;
	*len = (size_t)n;
	return 1;
}

int cose_sign1_sign(EVP_PKEY *key, const unsigned char *payload, size_t plen,
		    unsigned char **out, size_t *outlen, struct nk_err *err)
{
	int alg = key_alg(key), rc;
	size_t width = cose_alg_width(alg), prot_len = 0, tbs_len = 0, der_len = 0;
	unsigned char *prot = NULL, *tbs = NULL, *der = NULL, rs[2 * 66];
	EVP_MD_CTX *ctx = NULL;
	cbor_item_t *a = NULL;

	*out = NULL;
	*outlen = 0;
	if (!alg)
		return err_set(err, NK_DATA, "signing key is not an EC key on P-256, P-384 or P-521");
	rc = protected_header(alg, &prot, &prot_len, err);
	if (!rc)
		rc = sig_structure(prot, prot_len, payload, plen, &tbs, &tbs_len, err);
	if (rc)
		goto out;
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestSignInit(ctx, NULL, alg_md(alg), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, NULL, &der_len, tbs, tbs_len) != 1 ||
	    !(der = OPENSSL_malloc(der_len)) ||
	    EVP_DigestSign(ctx, der, &der_len, tbs, tbs_len) != 1 ||
	    !der_to_rs(der, der_len, width, rs)) {
		rc = err_set_ssl(err, NK_IO, "cannot sign with the %s key", cose_alg_name(alg));
		goto out;
	}
	a = cbor_new_definite_array(4);
	if (!a || !cborx_array_put(a, cborx_bstr(prot, prot_len)) ||
	    !cborx_array_put(a, cbor_new_definite_map(0)) ||
	    !cborx_array_put(a, cborx_bstr(payload, plen)) ||
	    !cborx_array_put(a, cborx_bstr(rs, 2 * width))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	rc = cborx_serialize(a, out, outlen, err);
out:
	if (a)
		cbor_decref(&a);
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	free(tbs);
	free(prot);
	return rc;
}

/* The algorithm from the protected header's serialized map {1: alg, ...}. */
static int parse_protected(const unsigned char *prot, size_t len, int *alg, struct nk_err *err)
{
	cbor_item_t *m = NULL, *v = NULL;
	struct cbor_pair *p;
	int64_t a = 0;
	int rc;

	/* a zero-length bstr stands for the empty map (RFC 9052 §3) */
	if (!len)
		return err_set(err, NK_DATA, "COSE_Sign1: no algorithm in the protected header");
	rc = cborx_load(prot, len, COSE_MAX, &m, err);
	if (rc) {
		err_prefix(err, "COSE_Sign1: protected header");
		goto out;
	}
	if (!cbor_isa_map(m)) {
		rc = err_set(err, NK_DATA, "COSE_Sign1: protected header: expected a map, got %s",
			     cborx_type_name(m));
		goto out;
	}
	p = cbor_map_handle(m);
	for (size_t i = 0; i < cbor_map_size(m); i++) {
		if (!cbor_isa_uint(p[i].key) || cbor_get_int(p[i].key) != COSE_HDR_ALG)
			continue;
		if (v) {
			rc = err_set(err, NK_DATA, "COSE_Sign1: duplicate algorithm in the protected header");
			goto out;
		}
		v = p[i].value;
	}
	if (!v) {
		rc = err_set(err, NK_DATA, "COSE_Sign1: no algorithm in the protected header");
		goto out;
	}
	rc = cborx_get_int(v, &a, err);
	if (rc) {
		err_prefix(err, "COSE_Sign1: algorithm");
		goto out;
	}
	if (!cose_alg_width((int)a) || a != (int)a) {
		rc = err_set(err, NK_DATA, "COSE_Sign1: unsupported algorithm '%lld'", (long long)a);
		goto out;
	}
	*alg = (int)a;
out:
	if (m)
		cbor_decref(&m);
	return rc;
}

/* A field that must be a genuine byte string (COSE does not know serde's int arrays). */
static int get_bstr(const cbor_item_t *item, const char *what, unsigned char **out, size_t *len,
		    struct nk_err *err)
{
	int rc;

	if (!cbor_isa_bytestring(item))
		return err_set(err, NK_DATA, "COSE_Sign1: %s: expected a byte string, got %s", what,
			       cborx_type_name(item));
	rc = cborx_get_bytes(item, COSE_MAX, out, len, err);
	if (rc)
		err_prefix(err, "COSE_Sign1: %s", what);
	return rc;
}

int cose_sign1_parse(const unsigned char *in, size_t len, struct cose_sign1 *c,
		     struct nk_err *err)
{
	cbor_item_t *item = NULL, **a;
	size_t width, off = cborx_skip_tag(in, len, COSE_TAG);
	int rc, alg = 0;

	memset(c, 0, sizeof *c);
	if (len > COSE_MAX)  /* before the tag, so the limit is on what we were given */
		rc = err_set(err, NK_DATA, "too large ('%zu' bytes, at most %u)", len, COSE_MAX);
	else
		rc = cborx_load(in + off, len - off, COSE_MAX, &item, err);
	if (rc) {
		err_prefix(err, "COSE_Sign1");
		goto out;
	}
	if (!cbor_isa_array(item) || cbor_array_size(item) != 4) {
		rc = cbor_isa_array(item)
			? err_set(err, NK_DATA, "COSE_Sign1: expected an array of 4 items, got %zu",
				  cbor_array_size(item))
			: err_set(err, NK_DATA, "COSE_Sign1: expected an array of 4 items, got %s",
				  cborx_type_name(item));
		goto out;
	}
	a = cbor_array_handle(item);
	if (cborx_is_null(a[2])) {
		rc = err_set(err, NK_DATA, "COSE_Sign1: detached payloads are not supported");
		goto out;
	}
	if (!cbor_isa_map(a[1])) {
		rc = err_set(err, NK_DATA, "COSE_Sign1: unprotected header: expected a map, got %s",
			     cborx_type_name(a[1]));
		goto out;
	}
	rc = get_bstr(a[0], "protected header", &c->prot, &c->prot_len, err);
	if (!rc)
		rc = get_bstr(a[2], "payload", &c->payload, &c->payload_len, err);
	if (!rc)
		rc = get_bstr(a[3], "signature", &c->sig, &c->sig_len, err);
	if (!rc)
		rc = parse_protected(c->prot, c->prot_len, &alg, err);
	if (rc)
		goto out;
	c->alg = (enum cose_alg)alg;
	width = cose_alg_width(alg);
	if (c->sig_len != 2 * width)
		rc = err_set(err, NK_DATA, "COSE_Sign1: signature is '%zu' bytes, %s needs %zu",
			     c->sig_len, cose_alg_name(alg), 2 * width);
out:
	if (item)
		cbor_decref(&item);
	if (rc)
		cose_sign1_free(c);
	return rc;
}

int cose_sign1_check(const struct cose_sign1 *c, EVP_PKEY *key, int *ok, struct nk_err *err)
{
	int alg = key_alg(key), rc;
	size_t width = cose_alg_width(c->alg), tbs_len = 0, der_len = 0;
	unsigned char *tbs = NULL, *der = NULL;
	EVP_MD_CTX *ctx = NULL;

	*ok = 0;
	if (!alg)
		return err_set(err, NK_DATA, "verification key is not an EC key on P-256, P-384 or P-521");
	/* the header names the curve; another key cannot have made this signature */
	if (alg != (int)c->alg || !width || c->sig_len != 2 * width)
		return NK_OK;
	rc = sig_structure(c->prot, c->prot_len, c->payload, c->payload_len, &tbs, &tbs_len, err);
	if (rc)
		goto out;
	if (!rs_to_der(c->sig, width, &der, &der_len)) {
		rc = err_set_ssl(err, NK_IO, "cannot encode the signature");
		goto out;
	}
	ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestVerifyInit(ctx, NULL, alg_md(alg), NULL, key) != 1) {
		rc = err_set_ssl(err, NK_IO, "cannot verify with the %s key", cose_alg_name(alg));
		goto out;
	}
	/* OpenSSL accepts high-S signatures, which real attestation documents use */
	*ok = EVP_DigestVerify(ctx, der, der_len, tbs, tbs_len) == 1;
	ERR_clear_error();  /* a bad signature leaves its reason queued */
out:
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	free(tbs);
	return rc;
}

void cose_sign1_free(struct cose_sign1 *c)
{
	if (!c)
		return;
	free(c->prot);
	free(c->payload);
	free(c->sig);
	memset(c, 0, sizeof *c);
}

int cose_sign1_verify(const unsigned char *in, size_t len, EVP_PKEY *key, int *ok,
		      unsigned char **payload, size_t *plen, struct nk_err *err)
{
	struct cose_sign1 c;
	int rc;

	*ok = 0;
	if (payload)
		*payload = NULL;
	if (plen)
		*plen = 0;
	rc = cose_sign1_parse(in, len, &c, err);
	if (rc)
		return rc;
	rc = cose_sign1_check(&c, key, ok, err);
	if (!rc && *ok && payload) {
		/* hand over the parsed copy instead of duplicating it */
		*payload = c.payload;
		if (plen)
			*plen = c.payload_len;
		c.payload = NULL;
	}
	cose_sign1_free(&c);
	return rc;
}
