#include "eif/eifsig.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/cborx.h"
#include "util/cose.h"
#include "eif/eif.h"

#define BAD "bad signature section"

int eifsig_payload_encode(const unsigned char pcr0[PCR_LEN], unsigned char **out,
			  size_t *outlen, struct nk_err *err)
{
	cbor_item_t *m = cbor_new_definite_map(2);
	int rc;

	*out = NULL;
	*outlen = 0;
	/* serde writes struct fields in declaration order */
	if (!m || !cborx_map_put(m, "register_index", cborx_uint(0)) ||
	    !cborx_map_put(m, "register_value", cborx_int_array(pcr0, PCR_LEN)))
		rc = err_set(err, NK_IO, "out of memory");
	else
		rc = cborx_serialize(m, out, outlen, err);
	if (m)
		cbor_decref(&m);
	return rc;
}

int eifsig_section_encode(const unsigned char *cert_pem, size_t cert_len,
			  const unsigned char *cose, size_t cose_len, unsigned char **out,
			  size_t *outlen, struct nk_err *err)
{
	cbor_item_t *a = cbor_new_definite_array(1), *m = cbor_new_definite_map(2);
	int rc, built;

	*out = NULL;
	*outlen = 0;
	built = a && m && cborx_map_put(m, "signing_certificate", cborx_int_array(cert_pem, cert_len)) &&
		cborx_map_put(m, "signature", cborx_int_array(cose, cose_len));
	if (built) {
		built = cborx_array_put(a, m);
		m = NULL;  /* the array's now, or dropped */
	}
	if (!built)
		rc = err_set(err, NK_IO, "out of memory");
	else
		rc = cborx_serialize(a, out, outlen, err);
	if (!rc && *outlen > EIF_MAX_SIGNATURE) {
		rc = err_set(err, NK_DATA, "signature section too large ('%zu' bytes, at most %u)",
			     *outlen, EIF_MAX_SIGNATURE);
		free(*out);
		*out = NULL;
		*outlen = 0;
	}
	if (m)
		cbor_decref(&m);
	if (a)
		cbor_decref(&a);
	return rc;
}

static X509 *read_cert(const unsigned char *pem, size_t len)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	ERR_clear_error();
	return x;
}

int eifsig_build(const unsigned char *cert_pem, size_t cert_len, EVP_PKEY *key,
		 const unsigned char pcr0[PCR_LEN], unsigned char **out, size_t *outlen,
		 struct nk_err *err)
{
	unsigned char *payload = NULL, *cose = NULL;
	size_t plen = 0, clen = 0;
	X509 *x = NULL;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (cert_len > EIF_MAX_SIGNATURE || !(x = read_cert(cert_pem, cert_len))) {
		rc = err_set(err, NK_DATA, "signing certificate is not a PEM certificate");
		goto out;
	}
	/* a mismatch would make an image whose SignatureCheck always fails */
	if (X509_check_private_key(x, key) != 1) {
		ERR_clear_error();
		rc = err_set(err, NK_DATA, "signing key does not match the certificate");
		goto out;
	}
	rc = eifsig_payload_encode(pcr0, &payload, &plen, err);
	if (!rc)
		rc = cose_sign1_sign(key, payload, plen, &cose, &clen, err);
	if (!rc)
		rc = eifsig_section_encode(cert_pem, cert_len, cose, clen, out, outlen, err);
out:
	X509_free(x);
	free(payload);
	free(cose);
	return rc;
}

/* A signed payload matches when it is PcrInfo{0, pcr0}; other fields are
 * ignored, as serde ignores unknown struct fields. */
static int check_payload(const unsigned char *p, size_t n, const unsigned char pcr0[PCR_LEN],
			 int *match, struct nk_err *err)
{
	cbor_item_t *m = NULL, *idx, *val;
	unsigned char *v = NULL;
	size_t vlen = 0;
	int64_t i = -1;
	int rc;

	*match = 0;
	rc = cborx_load(p, n, EIF_MAX_SIGNATURE, &m, err);
	if (!rc)
		rc = cborx_map_need(m, "register_index", &idx, err);
	if (!rc && (rc = cborx_get_int(idx, &i, err)))
		err_prefix(err, "register_index");
	if (!rc)
		rc = cborx_map_need(m, "register_value", &val, err);
	if (!rc && (rc = cborx_get_bytes(val, EIF_MAX_SIGNATURE, &v, &vlen, err)))
		err_prefix(err, "register_value");
	if (rc) {
		err_prefix(err, BAD ": payload");
		goto out;
	}
	*match = i == 0 && vlen == PCR_LEN && memcmp(v, pcr0, PCR_LEN) == 0;
out:
	free(v);
	if (m)
		cbor_decref(&m);
	return rc;
}

int eifsig_verify(const unsigned char *sec, size_t len, const unsigned char pcr0[PCR_LEN],
		  unsigned char pcr8[PCR_LEN], int *ok, struct nk_err *err)
{
	cbor_item_t *root = NULL, *m, *f;
	unsigned char *cert = NULL, *sig = NULL;
	size_t cert_len = 0, sig_len = 0;
	struct cose_sign1 c = { 0 };
	X509 *x = NULL;
	EVP_PKEY *pub;
	int rc, sig_ok = 0, match = 0;

	*ok = 0;
	memset(pcr8, 0, PCR_LEN);
	rc = cborx_load(sec, len, EIF_MAX_SIGNATURE, &root, err);
	if (rc) {
		err_prefix(err, BAD);
		goto out;
	}
	/* upstream writes Vec<PcrSignature> with PCR0's signature only */
	if (!cbor_isa_array(root) || cbor_array_size(root) != 1) {
		rc = cbor_isa_array(root)
			? err_set(err, NK_DATA, BAD ": expected an array of one map, got %zu items",
				  cbor_array_size(root))
			: err_set(err, NK_DATA, BAD ": expected an array of one map, got %s",
				  cborx_type_name(root));
		goto out;
	}
	m = cbor_array_handle(root)[0];
	rc = cborx_map_need(m, "signing_certificate", &f, err);
	if (!rc && (rc = cborx_get_bytes(f, EIF_MAX_SIGNATURE, &cert, &cert_len, err)))
		err_prefix(err, "signing_certificate");
	if (!rc)
		rc = cborx_map_need(m, "signature", &f, err);
	if (!rc && (rc = cborx_get_bytes(f, EIF_MAX_SIGNATURE, &sig, &sig_len, err)))
		err_prefix(err, "signature");
	if (rc) {
		err_prefix(err, BAD);
		goto out;
	}
	if (!(x = read_cert(cert, cert_len))) {
		rc = err_set(err, NK_DATA, BAD ": signing_certificate is not a PEM certificate");
		goto out;
	}
	rc = pcr_of_cert_pem(cert, cert_len, pcr8, err);
	if (!rc && (rc = cose_sign1_parse(sig, sig_len, &c, err)))
		err_prefix(err, BAD ": signature");
	if (rc)
		goto out;
	pub = X509_get0_pubkey(x);
	if (!pub) {
		ERR_clear_error();
		rc = err_set(err, NK_DATA, BAD ": cannot read the signing certificate's key");
		goto out;
	}
	rc = cose_sign1_check(&c, pub, &sig_ok, err);
	if (rc) {
		err_prefix(err, BAD ": signing_certificate");
		goto out;
	}
	/* only a verified payload is worth parsing */
	if (sig_ok)
		rc = check_payload(c.payload, c.payload_len, pcr0, &match, err);
	*ok = !rc && sig_ok && match;
out:
	cose_sign1_free(&c);
	X509_free(x);
	free(cert);
	free(sig);
	if (root)
		cbor_decref(&root);
	return rc;
}
