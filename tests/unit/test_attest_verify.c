/* Tests of the attestation document parser, verifier and expectations
 * (lib/attest/attest_parse.c, attest_verify.c, attest_expect.c, attest_json.c):
 * documents signed in the test with a PKI made by nsmsim_pki, each
 * malformation of §4.4, the pinned root, the chain at a chosen time, the
 * signature, the expectations; and the real AWS documents of
 * ../shared/testdata when present ($NITROKIT_TESTDATA overrides).  They
 * share one set of signed documents, hence one file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include <cbor.h>
#include <openssl/pem.h>
#include <openssl/sha.h>

#include "attest/attest.h"
#include "attest/attest_expect.h"
#include "attest/attest_json.h"
#include "attest/attest_verify.h"
#include "util/cborx.h"
#include "util/cose.h"
#include "util/enc.h"
#include "util/io.h"
#include "sim/nsmsim_pki.h"

static char dir[] = "/tmp/test_attest_verify.XXXXXX";
static struct nsmsim_pki pki, old_pki, other_pki;
static time_t now, then;  /* then: old_pki's leaf expired long ago */
static char *root_pem, *old_root_pem, *other_root_pem;

static char *pem_of(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL, *s;
	long n;

	assert_non_null(b);
	assert_true(PEM_write_bio_X509(b, x));
	n = BIO_get_mem_data(b, &p);
	s = strndup(p, (size_t)n);
	BIO_free(b);
	assert_non_null(s);
	return s;
}

static int group_setup(void **state)
{
	char d[300];

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	now = time(NULL);
	then = now - 10 * 3600;
	snprintf(d, sizeof d, "%s/pki", dir);
	if (nsmsim_pki_open(&pki, d, now, NULL) || nsmsim_pki_leaf(&pki, "test", now, NULL, NULL))
		return -1;
	snprintf(d, sizeof d, "%s/old", dir);
	if (nsmsim_pki_open(&old_pki, d, then, NULL) || nsmsim_pki_leaf(&old_pki, "old", then, NULL, NULL))
		return -1;
	snprintf(d, sizeof d, "%s/other", dir);
	if (nsmsim_pki_open(&other_pki, d, now, NULL))
		return -1;
	root_pem = pem_of(pki.ca[0].x509);
	old_root_pem = pem_of(old_pki.ca[0].x509);
	other_root_pem = pem_of(other_pki.ca[0].x509);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	(void)state;
	nsmsim_pki_free(&pki);
	nsmsim_pki_free(&old_pki);
	nsmsim_pki_free(&other_pki);
	free(root_pem);
	free(old_root_pem);
	free(other_root_pem);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static unsigned char pcrs[ATTEST_HW_PCRS][PCR_LEN];

/* A well-formed document from p signed at time t (seconds). */
static void sign_doc(struct nsmsim_pki *p, time_t t, const struct attest_bytes *nonce, unsigned char **out,
		     size_t *len)
{
	struct attest_bytes ca[NSMSIM_PKI_LEVELS];
	struct attest_doc d = { 0 };

	for (int i = 0; i < ATTEST_HW_PCRS; i++)
		memset(pcrs[i], i == 0 ? 0xa0 : i < 3 ? i : 0, PCR_LEN);
	for (int i = 0; i < NSMSIM_PKI_LEVELS; i++)
		ca[i] = (struct attest_bytes){ p->ca[i].der, p->ca[i].der_len, 1 };
	d.module_id = "i-0123456789abcdef0-enc0123456789abcdef";
	d.timestamp = (uint64_t)t * 1000 + 123;
	d.pcrs = (const unsigned char (*)[PCR_LEN])pcrs;
	d.npcrs = ATTEST_HW_PCRS;
	d.certificate = p->leaf.der;
	d.certificate_len = p->leaf.der_len;
	d.cabundle = ca;
	d.ncabundle = NSMSIM_PKI_LEVELS;
	if (nonce)
		d.nonce = *nonce;
	assert_int_equal(attest_sign(&d, p->leaf_key, out, len, NULL), NK_OK);
}

/* parse + verify with root pem at t: the exit code, message in err. */
static int check(const unsigned char *doc, size_t len, const char *pem, time_t t, struct nk_err *err)
{
	struct attest_verifier v;
	struct attest_parsed p;
	int rc;

	err_clear(err);
	rc = attest_parse(doc, len, &p, err);
	if (!rc) {
		assert_int_equal(attest_verifier_init(&v, pem, pem ? strlen(pem) : 0, "'root.pem'", NULL), NK_OK);
		rc = attest_verify(&v, &p, t, NULL, err);
		attest_verifier_free(&v);
	}
	attest_parsed_free(&p);
	return rc;
}

static void test_valid(void **state)
{
	struct attest_verifier v;
	struct attest_parsed p;
	struct attest_checks c = { 0 };
	unsigned char *doc;
	size_t len;
	json_t *j;

	(void)state;
	sign_doc(&pki, now, NULL, &doc, &len);
	assert_int_equal(attest_parse(doc, len, &p, NULL), NK_OK);
	assert_int_equal(attest_verifier_init(&v, root_pem, strlen(root_pem), "'root.pem'", NULL), NK_OK);
	assert_int_equal(attest_verify(&v, &p, now, &c, NULL), NK_OK);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.name[0], "structure");
	assert_string_equal(c.name[3], "signature");
	assert_int_equal(p.pcr_mask, 0xffff);
	assert_int_equal(p.doc.timestamp, (uint64_t)now * 1000 + 123);
	assert_false(p.doc.nonce.present);
	assert_false(attest_is_debug(&p));
	assert_int_equal(attest_to_json(&p, 1, &c, &j, NULL), NK_OK);
	assert_true(json_is_true(json_object_get(j, "verified")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "pcrs"), "1")),
			    "010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101");
	assert_true(json_is_null(json_object_get(j, "nonce")));
	assert_int_equal(json_array_size(json_object_get(j, "cabundle")), 4);
	json_decref(j);
	/* one store serves many documents */
	assert_int_equal(attest_verify(&v, &p, now + 60, NULL, NULL), NK_OK);
	attest_verifier_free(&v);
	attest_parsed_free(&p);
	free(doc);
}

/* The payload variants a test can ask for. */
enum variant { V_OK, V_INDEF, V_DUP, V_WRONG_TYPE, V_PCR47, V_EMPTY_BUNDLE, V_UNKNOWN, V_MISSING, V_INT_ARRAY_PCR };

static cbor_item_t *pcr_map(enum variant v)
{
	cbor_item_t *m = cbor_new_definite_map(3);

	for (unsigned i = 0; i < 3; i++) {
		cbor_item_t *k = cborx_uint(i),
			    *val = v == V_INT_ARRAY_PCR && i == 1 ? cborx_int_array(pcrs[i], PCR_LEN)
								  : cborx_bstr(pcrs[i], v == V_PCR47 && i == 2 ? 47 : PCR_LEN);

		assert_true(cbor_map_add(m, (struct cbor_pair){ .key = k, .value = val }));
		cbor_decref(&k);
		cbor_decref(&val);
	}
	return m;
}

/* A payload built field by field, signed with pki's leaf: the COSE is sound,
 * so whatever fails is the payload. */
static void sign_variant(enum variant v, unsigned char **out, size_t *len)
{
	cbor_item_t *m = v == V_INDEF ? cbor_new_indefinite_map() : cbor_new_definite_map(10);
	cbor_item_t *bundle = cbor_new_definite_array(NSMSIM_PKI_LEVELS);
	unsigned char *payload;
	size_t plen;

	for (int i = 0; i < 3; i++)
		memset(pcrs[i], 0x11 * (i + 1), PCR_LEN);
	for (int i = 0; v != V_EMPTY_BUNDLE && i < NSMSIM_PKI_LEVELS; i++)
		assert_true(cborx_array_put(bundle, cborx_bstr(pki.ca[i].der, pki.ca[i].der_len)));
	assert_true(cborx_map_put(m, "module_id", cbor_build_string("i-0-enc0")));
	assert_true(cborx_map_put(m, "digest", cbor_build_string("SHA384")));
	assert_true(cborx_map_put(m, "timestamp", v == V_WRONG_TYPE ? cbor_build_string("1665582606081")
								     : cborx_uint((uint64_t)now * 1000)));
	assert_true(cborx_map_put(m, "pcrs", pcr_map(v)));
	assert_true(cborx_map_put(m, "certificate", cborx_bstr(pki.leaf.der, pki.leaf.der_len)));
	assert_true(cborx_map_put(m, "cabundle", bundle));
	assert_true(cborx_map_put(m, "public_key", cbor_new_null()));
	assert_true(cborx_map_put(m, "user_data", cborx_bstr("hi", 2)));
	if (v != V_MISSING)
		assert_true(cborx_map_put(m, "nonce", cbor_new_null()));
	if (v == V_DUP)
		assert_true(cborx_map_put(m, "user_data", cborx_bstr("ho", 2)));
	if (v == V_UNKNOWN)
		assert_true(cborx_map_put(m, "extra", cbor_new_null()));
	assert_int_equal(cborx_serialize(m, &payload, &plen, NULL), NK_OK);
	cbor_decref(&m);
	assert_int_equal(cose_sign1_sign(pki.leaf_key, payload, plen, out, len, NULL), NK_OK);
	free(payload);
}

static void expect_variant(enum variant v, int code, const char *msg)
{
	struct nk_err err;
	unsigned char *doc;
	size_t len;

	sign_variant(v, &doc, &len);
	assert_int_equal(check(doc, len, root_pem, now, &err), code);
	if (msg && !strstr(err.msg, msg))
		fail_msg("'%s' does not contain '%s'", err.msg, msg);
	free(doc);
}

static void test_malformed_payloads(void **state)
{
	(void)state;
	expect_variant(V_OK, NK_OK, NULL);
	expect_variant(V_INDEF, NK_OK, NULL);  /* AWS since 2025 */
	expect_variant(V_DUP, NK_DATA, "duplicate key 'user_data'");
	expect_variant(V_WRONG_TYPE, NK_DATA, "timestamp: expected an unsigned integer, got text string");
	expect_variant(V_PCR47, NK_DATA, "pcrs: PCR2: expected 48 bytes");
	expect_variant(V_EMPTY_BUNDLE, NK_DATA, "cabundle: empty");
	expect_variant(V_UNKNOWN, NK_DATA, "unknown key 'extra'");
	expect_variant(V_MISSING, NK_DATA, "no 'nonce'");
	expect_variant(V_INT_ARRAY_PCR, NK_DATA, "pcrs: PCR1: expected a byte string");
}

static void test_malformed_cose(void **state)
{
	struct nk_err err;
	unsigned char *doc, *longer, *payload;
	size_t len, plen;
	EVP_PKEY *p256 = EVP_EC_gen("P-256");
	struct attest_parsed p;

	(void)state;
	sign_doc(&pki, now, NULL, &doc, &len);
	/* trailing bytes after the COSE array */
	longer = malloc(len + 1);
	assert_non_null(longer);
	memcpy(longer, doc, len);
	longer[len] = 0;
	assert_int_equal(check(longer, len + 1, root_pem, now, &err), NK_DATA);
	/* tag 18 is optional */
	memmove(longer + 1, doc, len);
	longer[0] = 0xd2;
	assert_int_equal(check(longer, len + 1, root_pem, now, &err), NK_OK);
	free(longer);
	/* trailing bytes inside the signed payload */
	assert_int_equal(attest_parse(doc, len, &p, NULL), NK_OK);
	plen = p.cose.payload_len + 1;
	payload = malloc(plen);
	assert_non_null(payload);
	memcpy(payload, p.cose.payload, plen - 1);
	payload[plen - 1] = 0xf6;
	attest_parsed_free(&p);
	free(doc);
	assert_int_equal(cose_sign1_sign(pki.leaf_key, payload, plen, &doc, &len, NULL), NK_OK);
	assert_int_equal(check(doc, len, root_pem, now, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "payload"));
	free(doc);
	/* protected header ES256, a sound COSE_Sign1 otherwise */
	assert_non_null(p256);
	assert_int_equal(cose_sign1_sign(p256, payload, plen - 1, &doc, &len, NULL), NK_OK);
	assert_int_equal(check(doc, len, root_pem, now, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "protected header is not exactly ES384"));
	free(doc);
	free(payload);
	EVP_PKEY_free(p256);
	/* not even CBOR, and oversized */
	assert_int_equal(check((const unsigned char *)"hello", 5, root_pem, now, &err), NK_DATA);
	longer = calloc(1, ATTEST_DOC_MAX + 1);
	assert_non_null(longer);
	assert_int_equal(check(longer, ATTEST_DOC_MAX + 1, root_pem, now, &err), NK_DATA);
	free(longer);
}

static void test_root_pinning(void **state)
{
	struct nk_err err;
	unsigned char *doc;
	size_t len;

	(void)state;
	sign_doc(&pki, now, NULL, &doc, &len);
	assert_int_equal(check(doc, len, NULL, now, &err), NK_NEGATIVE);  /* the AWS root */
	assert_string_equal(err.msg, "root failed: cabundle[0] is not the pinned root (AWS Nitro Enclaves root G1)");
	assert_int_equal(check(doc, len, other_root_pem, now, &err), NK_NEGATIVE);
	assert_string_equal(err.msg, "root failed: cabundle[0] is not the pinned root ('root.pem')");
	free(doc);
}

static void test_bad_root_pem(void **state)
{
	struct attest_verifier v;
	struct nk_err err;

	(void)state;
	assert_int_equal(attest_verifier_init(&v, "not pem", 7, "'x.pem'", &err), NK_DATA);
	assert_non_null(strstr(err.msg, "'x.pem': no PEM certificate"));
	attest_verifier_free(&v);
}

static void test_chain_time(void **state)
{
	struct nk_err err;
	unsigned char *doc;
	size_t len;

	(void)state;
	sign_doc(&old_pki, then, NULL, &doc, &len);
	assert_int_equal(check(doc, len, old_root_pem, now, &err), NK_NEGATIVE);
	assert_non_null(strstr(err.msg, "certificate chain failed: certificate has expired (at "));
	assert_int_equal(check(doc, len, old_root_pem, then + 60, &err), NK_OK);
	/* before the leaf existed */
	assert_int_equal(check(doc, len, old_root_pem, then - 3600, &err), NK_NEGATIVE);
	assert_non_null(strstr(err.msg, "certificate is not yet valid"));
	free(doc);
}

static void test_signature_flip(void **state)
{
	struct nk_err err;
	unsigned char *doc;
	size_t len;

	(void)state;
	sign_doc(&pki, now, NULL, &doc, &len);
	doc[len - 1] ^= 1;
	assert_int_equal(check(doc, len, root_pem, now, &err), NK_NEGATIVE);
	assert_string_equal(err.msg, "signature failed: the COSE signature does not verify with the leaf key");
	doc[len - 1] ^= 1;
	doc[len - 60] ^= 0x80;  /* inside r */
	assert_int_equal(check(doc, len, root_pem, now, &err), NK_NEGATIVE);
	free(doc);
}

/* Decoded certificates are cached by their DER: after a good document has
 * filled the cache, a document whose leaf or intermediate certificate differs
 * by one byte of its signature must still fail the chain. */
static void test_cert_cache_never_vouches(void **state)
{
	struct nk_err err;
	unsigned char *doc, *at;
	size_t len;

	(void)state;
	sign_doc(&pki, now, NULL, &doc, &len);
	assert_int_equal(check(doc, len, root_pem, now, &err), NK_OK);
	at = memmem(doc, len, pki.leaf.der, pki.leaf.der_len);
	assert_non_null(at);
	at[pki.leaf.der_len - 5] ^= 1;  /* inside the leaf's signature */
	assert_int_equal(check(doc, len, root_pem, now, &err), NK_NEGATIVE);
	assert_non_null(strstr(err.msg, "chain failed"));
	at[pki.leaf.der_len - 5] ^= 1;
	at = memmem(doc, len, pki.ca[2].der, pki.ca[2].der_len);  /* zonal CA */
	assert_non_null(at);
	at[pki.ca[2].der_len - 5] ^= 1;
	assert_int_equal(check(doc, len, root_pem, now, &err), NK_NEGATIVE);
	assert_non_null(strstr(err.msg, "chain failed"));
	free(doc);
}

static void test_expectations(void **state)
{
	struct attest_bytes nonce = { (const unsigned char *)"0123456789", 10, 1 };
	struct attest_expect e = { .max_age = -1 };
	struct attest_parsed p;
	struct attest_checks c = { 0 };
	struct nk_err err;
	unsigned char *doc, *spki = NULL;
	size_t len;
	int n;

	(void)state;
	sign_doc(&pki, now, &nonce, &doc, &len);
	assert_int_equal(attest_parse(doc, len, &p, NULL), NK_OK);
	e.at_ms = (int64_t)now * 1000 + 123;
	e.pcr_mask = 1u | 1u << 2;
	memset(e.pcr[0], 0xa0, PCR_LEN);
	memset(e.pcr[2], 2, PCR_LEN);
	e.nonce = nonce;
	e.max_age = 0;
	assert_int_equal(attest_check_expectations(&p, &e, &c, NULL), NK_OK);
	assert_int_equal(c.n, 5);
	assert_string_equal(c.name[0], "debug");
	assert_string_equal(c.name[2], "PCR2");
	assert_string_equal(c.name[4], "max-age");
	e.pcr[2][47] = 3;
	assert_int_equal(attest_check_expectations(&p, &e, NULL, &err), NK_NEGATIVE);
	assert_non_null(strstr(err.msg, "PCR2 failed: expected 0202"));
	assert_non_null(strstr(err.msg, "03, document has 0202"));
	e.pcr[2][47] = 2;
	e.pcr_mask |= 1u << 20;
	assert_int_equal(attest_check_expectations(&p, &e, NULL, &err), NK_NEGATIVE);
	assert_non_null(strstr(err.msg, "the document has no PCR20"));
	e.pcr_mask = 0;
	e.nonce.len = 9;
	assert_int_equal(attest_check_expectations(&p, &e, NULL, &err), NK_NEGATIVE);
	assert_string_equal(err.msg, "nonce failed: expected 303132333435363738 (9 bytes), "
			    "document has 30313233343536373839 (10 bytes)");
	e.nonce.len = 10;
	e.user_data = nonce;
	assert_int_equal(attest_check_expectations(&p, &e, NULL, &err), NK_NEGATIVE);
	assert_non_null(strstr(err.msg, "user_data failed: expected 3031"));
	assert_non_null(strstr(err.msg, "document has none"));
	e.user_data.present = 0;
	e.at_ms += 61 * 1000;
	e.max_age = 60;
	assert_int_equal(attest_check_expectations(&p, &e, NULL, &err), NK_NEGATIVE);
	assert_string_equal(err.msg, "max-age failed: the document is 61 s old, more than 60");
	e.at_ms -= 61 * 1000 + 301 * 1000;
	assert_int_equal(attest_check_expectations(&p, &e, NULL, &err), NK_NEGATIVE);
	assert_string_equal(err.msg, "max-age failed: the document is dated 301 s in the future");
	attest_parsed_free(&p);
	free(doc);

	/* a public key given as PEM matches the DER SPKI nsm-attest puts in */
	n = i2d_PUBKEY(pki.leaf_key, &spki);
	assert_true(n > 0);
	{
		struct attest_doc d = { 0 };
		struct attest_bytes ca[NSMSIM_PKI_LEVELS];
		char *pem;
		BIO *b = BIO_new(BIO_s_mem());
		long pn;

		for (int i = 0; i < NSMSIM_PKI_LEVELS; i++)
			ca[i] = (struct attest_bytes){ pki.ca[i].der, pki.ca[i].der_len, 1 };
		d.module_id = "m";
		d.certificate = pki.leaf.der;
		d.certificate_len = pki.leaf.der_len;
		d.cabundle = ca;
		d.ncabundle = NSMSIM_PKI_LEVELS;
		d.public_key = (struct attest_bytes){ spki, (size_t)n, 1 };
		assert_int_equal(attest_sign(&d, pki.leaf_key, &doc, &len, NULL), NK_OK);
		assert_int_equal(attest_parse(doc, len, &p, NULL), NK_OK);
		assert_true(PEM_write_bio_PUBKEY(b, pki.leaf_key));
		pn = BIO_get_mem_data(b, &pem);
		memset(&e, 0, sizeof e);
		e.max_age = -1;
		e.public_key = (struct attest_bytes){ (const unsigned char *)pem, (size_t)pn, 1 };
		c.n = 0;
		assert_int_equal(attest_check_expectations(&p, &e, &c, &err), NK_OK);
		assert_int_equal(c.n, 1);
		assert_string_equal(c.name[0], "public_key");
		e.public_key = (struct attest_bytes){ pki.leaf.der, pki.leaf.der_len, 1 };  /* not a key */
		assert_int_equal(attest_check_expectations(&p, &e, NULL, &err), NK_NEGATIVE);
		BIO_free(b);
		attest_parsed_free(&p);
		free(doc);
		OPENSSL_free(spki);
	}
}

static void test_debug_document(void **state)
{
	struct attest_doc d = { 0 };
	struct attest_bytes ca[NSMSIM_PKI_LEVELS];
	struct attest_expect e = { .max_age = -1 };
	struct attest_parsed p;
	struct nk_err err;
	unsigned char zero[4][PCR_LEN] = { { 0 } }, *doc;
	size_t len;

	(void)state;
	for (int i = 0; i < NSMSIM_PKI_LEVELS; i++)
		ca[i] = (struct attest_bytes){ pki.ca[i].der, pki.ca[i].der_len, 1 };
	d.module_id = "m";
	d.pcrs = (const unsigned char (*)[PCR_LEN])zero;
	d.npcrs = 4;
	d.certificate = pki.leaf.der;
	d.certificate_len = pki.leaf.der_len;
	d.cabundle = ca;
	d.ncabundle = NSMSIM_PKI_LEVELS;
	assert_int_equal(attest_sign(&d, pki.leaf_key, &doc, &len, NULL), NK_OK);
	assert_int_equal(attest_parse(doc, len, &p, NULL), NK_OK);
	assert_true(attest_is_debug(&p));
	assert_int_equal(attest_check_expectations(&p, &e, NULL, &err), NK_OK);  /* nothing expected */
	e.pcr_mask = 1u << 3;
	assert_int_equal(attest_check_expectations(&p, &e, NULL, &err), NK_NEGATIVE);
	assert_string_equal(err.msg, "debug failed: debug-mode document (all-zero PCR0) and PCR "
			    "expectations given (use --allow-debug)");
	e.allow_debug = 1;
	assert_int_equal(attest_check_expectations(&p, &e, NULL, &err), NK_OK);
	attest_parsed_free(&p);
	free(doc);
}

static void test_embedded_root(void **state)
{
	struct attest_verifier v;
	unsigned char md[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];

	(void)state;
	assert_int_equal(attest_verifier_init(&v, NULL, 0, NULL, NULL), NK_OK);
	SHA256(v.root_der, v.root_der_len, md);
	enc_hex(md, sizeof md, hex);
	/* DESIGN §4.4 and AWS's documentation */
	assert_string_equal(hex, "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b");
	assert_string_equal(v.label, "AWS Nitro Enclaves root G1");
	attest_verifier_free(&v);
}

/* Checks are listed in the order they pass; a NULL list is no list, and a
 * full one drops the rest rather than overflow. */
static void test_checks_list(void **state)
{
	struct attest_checks c = { 0 };

	(void)state;
	attest_checks_add(NULL, "root");
	attest_checks_add(&c, "root");
	attest_checks_add(&c, "PCR31");
	assert_int_equal(c.n, 2);
	assert_string_equal(c.name[0], "root");
	assert_string_equal(c.name[1], "PCR31");
	for (unsigned i = 2; i < ATTEST_CHECKS_MAX + 5; i++)
		attest_checks_add(&c, "nonce");
	assert_int_equal(c.n, ATTEST_CHECKS_MAX);
}

static const char *testdata(void)
{
	const char *t = getenv("NITROKIT_TESTDATA");

	return t && *t ? t : "../shared/testdata";
}

static void test_real_documents(void **state)
{
	static const struct { const char *file, *pcr0; } docs[] = {
		{ "evervault-2022-10-12-debug.cose", "000000000000000000000000000000000000000000000000"
						     "000000000000000000000000000000000000000000000000" },
		{ "evervault-2022-10-13-prod.cose", "f4d48b81a460c9916d1e685119074bf24660afd3e34fae9f"
						    "ca0a0d28d9d5599936332687e6f66fc890ac8cf150142d8b" },
		{ "evervault-2023-09-18-debug.cose", "000000000000000000000000000000000000000000000000"
						     "000000000000000000000000000000000000000000000000" },
		{ "qos-2022-07-06-prod.cose", "f8bb0133c427bc49aa39f6811a01077ce9ab7e635fa1f543"
					      "9c9c8bf99754f8230e41b09426b0e595eebdc4d6ed4bc3b6" },
	};
	char path[512], hex[PCR_HEX_LEN + 1];
	struct attest_verifier v;
	struct nk_err err;
	FILE *probe;

	(void)state;
	snprintf(path, sizeof path, "%s/attestation/%s", testdata(), docs[0].file);
	if (!(probe = fopen(path, "rb")))
		skip();
	fclose(probe);
	assert_int_equal(attest_verifier_init(&v, NULL, 0, NULL, NULL), NK_OK);
	for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		struct attest_parsed p;
		unsigned char *doc;
		size_t len;
		time_t at;

		snprintf(path, sizeof path, "%s/attestation/%s", testdata(), docs[i].file);
		assert_int_equal(attest_read(path, &doc, &len, NULL), NK_OK);
		assert_int_equal(attest_parse(doc, len, &p, &err), NK_OK);
		enc_hex(p.pcr[0], PCR_LEN, hex);
		assert_string_equal(hex, docs[i].pcr0);
		at = (time_t)(p.doc.timestamp / 1000);
		assert_int_equal(attest_verify(&v, &p, at, NULL, &err), NK_OK);
		assert_int_equal(attest_verify(&v, &p, time(NULL), NULL, &err), NK_NEGATIVE);
		assert_non_null(strstr(err.msg, "certificate has expired"));
		attest_parsed_free(&p);
		doc[len - 5] ^= 0x40;
		assert_int_equal(check(doc, len, NULL, at, &err), NK_NEGATIVE);
		free(doc);
	}
	attest_verifier_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_malformed_payloads),
		cmocka_unit_test(test_malformed_cose),
		cmocka_unit_test(test_root_pinning),
		cmocka_unit_test(test_bad_root_pem),
		cmocka_unit_test(test_chain_time),
		cmocka_unit_test(test_signature_flip),
		cmocka_unit_test(test_cert_cache_never_vouches),
		cmocka_unit_test(test_expectations),
		cmocka_unit_test(test_debug_document),
		cmocka_unit_test(test_embedded_root),
		cmocka_unit_test(test_checks_list),
		cmocka_unit_test(test_real_documents),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
