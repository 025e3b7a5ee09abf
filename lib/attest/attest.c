#include "attest/attest.h"

#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/core_names.h>

#include "util/cborx.h"
#include "util/cose.h"

#define PAYLOAD_KEYS 9

/* bstr or null; the reference passes to the map as cborx_map_put does. */
static cbor_item_t *opt_bstr(const struct attest_bytes *b)
{
	return b->present ? cborx_bstr(b->p, b->len) : cbor_new_null();
}

/* {uint -> bstr(48)}, keys ascending: what serde writes for a BTreeMap. */
static cbor_item_t *pcr_map(const struct attest_doc *d)
{
	cbor_item_t *m = cbor_new_definite_map(d->npcrs);

	for (unsigned i = 0; m && i < d->npcrs; i++) {
		cbor_item_t *k = cborx_uint(i), *v = cborx_bstr(d->pcrs[i], PCR_LEN);
		int ok = k && v && cbor_map_add(m, (struct cbor_pair){ .key = k, .value = v });

		if (k)
			cbor_decref(&k);
		if (v)
			cbor_decref(&v);
		if (!ok)
			cbor_decref(&m);
	}
	return m;
}

static cbor_item_t *bundle(const struct attest_doc *d)
{
	cbor_item_t *a = cbor_new_definite_array(d->ncabundle);

	for (size_t i = 0; a && i < d->ncabundle; i++)
		if (!cborx_array_put(a, cborx_bstr(d->cabundle[i].p, d->cabundle[i].len)))
			cbor_decref(&a);
	return a;
}

static int check_fields(const struct attest_doc *d, struct nk_err *err)
{
	const struct { const char *name; const struct attest_bytes *b; } f[] = {
		{ "public_key", &d->public_key }, { "user_data", &d->user_data }, { "nonce", &d->nonce },
	};

	if (!d->module_id || !*d->module_id)
		return err_set(err, NK_USAGE, "attestation document without a module id");
	if (!d->certificate || !d->certificate_len)
		return err_set(err, NK_USAGE, "attestation document without a certificate");
	if (d->npcrs > PCR_COUNT)
		return err_set(err, NK_USAGE, "attestation document with %u PCRs", d->npcrs);
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
		if (f[i].b->present && f[i].b->len > ATTEST_FIELD_MAX)
			return err_set(err, NK_USAGE, "%s of %zu bytes is over the limit of %d bytes",
				       f[i].name, f[i].b->len, ATTEST_FIELD_MAX);
	return NK_OK;
}

int attest_encode_payload(const struct attest_doc *d, unsigned char **out, size_t *len,
			  struct nk_err *err)
{
	cbor_item_t *m = NULL;
	int rc;

	*out = NULL;
	*len = 0;
	if ((rc = check_fields(d, err)))
		return rc;
	/* Definite length, as AWS did until 2025 (verifiers accept both). */
	m = cbor_new_definite_map(PAYLOAD_KEYS);
	if (!m || !cborx_map_put(m, "module_id", cbor_build_string(d->module_id)) ||
	    !cborx_map_put(m, "digest", cbor_build_string(ATTEST_DIGEST)) ||
	    !cborx_map_put(m, "timestamp", cborx_uint(d->timestamp)) ||
	    !cborx_map_put(m, "pcrs", pcr_map(d)) ||
	    !cborx_map_put(m, "certificate", cborx_bstr(d->certificate, d->certificate_len)) ||
	    !cborx_map_put(m, "cabundle", bundle(d)) ||
	    !cborx_map_put(m, "public_key", opt_bstr(&d->public_key)) ||
	    !cborx_map_put(m, "user_data", opt_bstr(&d->user_data)) ||
	    !cborx_map_put(m, "nonce", opt_bstr(&d->nonce))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	rc = cborx_serialize(m, out, len, err);
out:
	if (m)
		cbor_decref(&m);
	return rc;
}

static int is_p384(EVP_PKEY *key)
{
	char name[32];
	size_t n = 0;

	return key && EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	       EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &n) &&
	       (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0);
}

int attest_sign(const struct attest_doc *d, EVP_PKEY *leaf_key, unsigned char **out, size_t *len,
		struct nk_err *err)
{
	unsigned char *payload = NULL;
	size_t plen = 0;
	int rc;

	*out = NULL;
	*len = 0;
	/* Attestation documents are ES384 only (§4.4); cose would pick by curve. */
	if (!is_p384(leaf_key))
		return err_set(err, NK_USAGE, "the attestation signing key is not a P-384 key");
	rc = attest_encode_payload(d, &payload, &plen, err);
	if (!rc)
		rc = cose_sign1_sign(leaf_key, payload, plen, out, len, err);
	free(payload);
	return rc;
}
