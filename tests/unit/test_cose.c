/* Tests of cose (COSE_Sign1 ES256/384/512) and of the cborx helpers under it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "util/cborx.h"
#include "util/cose.h"
#include "util/enc.h"

static const unsigned char msg[] = "hello, enclave";
#define MSG_LEN (sizeof msg - 1)

static EVP_PKEY *ec_key(const char *curve)
{
	EVP_PKEY *k = EVP_EC_gen(curve);

	assert_non_null(k);
	return k;
}

static unsigned char *unhex(const char *s, size_t *n)
{
	unsigned char *b = malloc(strlen(s) / 2 + 1);

	assert_non_null(b);
	assert_int_equal(enc_unhex(s, b, strlen(s) / 2, n, NULL), NK_OK);
	return b;
}

/* Serialize and drop an item built in a test. */
static unsigned char *enc(cbor_item_t *item, size_t *n)
{
	unsigned char *b = NULL;

	assert_non_null(item);
	assert_int_equal(cborx_serialize(item, &b, n, NULL), NK_OK);
	cbor_decref(&item);
	return b;
}

/* [prot bstr, unprotected, payload, sig] from parts, any of which may be odd. */
static unsigned char *cose_of(cbor_item_t *prot, cbor_item_t *unprot, cbor_item_t *payload,
			      cbor_item_t *sig, size_t *n)
{
	cbor_item_t *a = cbor_new_definite_array(4);

	assert_true(cborx_array_put(a, prot));
	assert_true(cborx_array_put(a, unprot));
	assert_true(cborx_array_put(a, payload));
	assert_true(cborx_array_put(a, sig));
	return enc(a, n);
}

/* Sign prot/payload without the code under test: the Sig_structure is
 * written byte by byte from RFC 9052 §4.4 (payload shorter than 24 bytes). */
static void sign_raw(EVP_PKEY *key, const EVP_MD *md, size_t width, const unsigned char *prot,
		     size_t prot_len, const unsigned char *payload, size_t plen, unsigned char *rs)
{
	unsigned char tbs[256], der[256];
	size_t n = 0, dlen = sizeof der;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const unsigned char *p = der;
	ECDSA_SIG *s;

	assert_true(prot_len < 24 && plen < 24);
	tbs[n++] = 0x84;
	tbs[n++] = 0x6a;  /* text(10) */
	memcpy(tbs + n, "Signature1", 10);
	n += 10;
	tbs[n++] = (unsigned char)(0x40 + prot_len);
	memcpy(tbs + n, prot, prot_len);
	n += prot_len;
	tbs[n++] = 0x40;  /* external_aad h'' */
	tbs[n++] = (unsigned char)(0x40 + plen);
	memcpy(tbs + n, payload, plen);
	n += plen;
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, md, NULL, key), 1);
	assert_int_equal(EVP_DigestSign(ctx, der, &dlen, tbs, n), 1);
	s = d2i_ECDSA_SIG(NULL, &p, (long)dlen);
	assert_non_null(s);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_r(s), rs, (int)width), (int)width);
	assert_int_equal(BN_bn2binpad(ECDSA_SIG_get0_s(s), rs + width, (int)width), (int)width);
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(ctx);
}

static void verify_expect(const unsigned char *in, size_t n, EVP_PKEY *key, int rc_want, int ok_want)
{
	struct nk_err err = { 0 };
	unsigned char *p = (unsigned char *)"x";
	size_t plen = 7;
	int ok = -1;

	assert_int_equal(cose_sign1_verify(in, n, key, &ok, &p, &plen, &err), rc_want);
	assert_int_equal(ok, ok_want);
	if (!ok_want)
		assert_null(p);  /* never hand out an unverified payload */
	if (rc_want == NK_DATA)
		assert_true(err.msg[0] != '\0');
	free(p);
}

/* ---- round trips -------------------------------------------------------- */

static void round_trip(const char *curve, const unsigned char *hdr, size_t hdr_len, size_t width)
{
	EVP_PKEY *k = ec_key(curve);
	unsigned char *out = NULL, *p = NULL;
	size_t n = 0, plen = 0;
	struct nk_err err = { 0 };
	int ok = 0;

	assert_int_equal(cose_sign1_sign(k, msg, MSG_LEN, &out, &n, &err), NK_OK);
	/* 84: array(4), then bstr(protected) holding exactly {1: alg}, then {} */
	assert_int_equal(out[0], 0x84);
	assert_int_equal(out[1], 0x40 + hdr_len);
	assert_memory_equal(out + 2, hdr, hdr_len);
	assert_int_equal(out[2 + hdr_len], 0xa0);
	assert_int_equal(out[3 + hdr_len], 0x40 + MSG_LEN);
	assert_memory_equal(out + 4 + hdr_len, msg, MSG_LEN);
	/* signature: bstr of 2 * width bytes, the last item */
	assert_int_equal(out[4 + hdr_len + MSG_LEN], 0x58);
	assert_int_equal(out[5 + hdr_len + MSG_LEN], 2 * width);
	assert_int_equal(n, 6 + hdr_len + MSG_LEN + 2 * width);

	assert_int_equal(cose_sign1_verify(out, n, k, &ok, &p, &plen, &err), NK_OK);
	assert_true(ok);
	assert_int_equal(plen, MSG_LEN);
	assert_memory_equal(p, msg, MSG_LEN);
	free(p);
	free(out);
	EVP_PKEY_free(k);
}

static void round_trip_p256(void **state)
{
	round_trip("P-256", (const unsigned char *)"\xa1\x01\x26", 3, 32);
}

static void round_trip_p384(void **state)
{
	/* the attestation document's header (DESIGN §4.4) */
	round_trip("P-384", (const unsigned char *)"\xa1\x01\x38\x22", 4, 48);
}

static void round_trip_p521(void **state)
{
	round_trip("P-521", (const unsigned char *)"\xa1\x01\x38\x23", 4, 66);
}

/* The signature is over RFC 9052's Sig_structure: check it with a
 * Sig_structure built here and OpenSSL's verifier directly. */
static void signature_covers_rfc_sig_structure(void **state)
{
	EVP_PKEY *k = ec_key("P-384");
	unsigned char *out = NULL, tbs[64], *der = NULL;
	size_t n = 0, t = 0;
	ECDSA_SIG *s = ECDSA_SIG_new();
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int dlen;

	assert_int_equal(cose_sign1_sign(k, msg, MSG_LEN, &out, &n, NULL), NK_OK);
	memcpy(tbs, "\x84\x6aSignature1\x44\xa1\x01\x38\x22\x40", 18);
	t = 18;
	tbs[t++] = 0x40 + MSG_LEN;
	memcpy(tbs + t, msg, MSG_LEN);
	t += MSG_LEN;
	assert_int_equal(ECDSA_SIG_set0(s, BN_bin2bn(out + n - 96, 48, NULL),
					BN_bin2bn(out + n - 48, 48, NULL)), 1);
	dlen = i2d_ECDSA_SIG(s, &der);
	assert_true(dlen > 0);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, k), 1);
	assert_int_equal(EVP_DigestVerify(ctx, der, (size_t)dlen, tbs, t), 1);
	OPENSSL_free(der);
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(ctx);
	free(out);
	EVP_PKEY_free(k);
}

/* A document signed outside the code under test, with an extra protected
 * header (kid) as other COSE producers write, verifies. */
static void foreign_signature_with_extra_header(void **state)
{
	EVP_PKEY *k = ec_key("P-256");
	const unsigned char prot[] = { 0xa2, 0x01, 0x26, 0x04, 0x41, 0x07 };  /* {1: -7, 4: h'07'} */
	unsigned char rs[64], *in;
	size_t n;

	sign_raw(k, EVP_sha256(), 32, prot, sizeof prot, msg, MSG_LEN, rs);
	in = cose_of(cborx_bstr(prot, sizeof prot), cbor_new_definite_map(0),
		     cborx_bstr(msg, MSG_LEN), cborx_bstr(rs, sizeof rs), &n);
	verify_expect(in, n, k, NK_OK, 1);
	free(in);
	EVP_PKEY_free(k);
}

/* ---- tampering and wrong keys ------------------------------------------- */

static void flipped_bits_never_verify(void **state)
{
	EVP_PKEY *k = ec_key("P-384");
	unsigned char *out = NULL;
	size_t n = 0, prot_at = 2, payload_at = 7;
	int ok;

	assert_int_equal(cose_sign1_sign(k, msg, MSG_LEN, &out, &n, NULL), NK_OK);
	/* in the signature, the payload and the protected header specifically */
	out[n - 1] ^= 1;
	verify_expect(out, n, k, NK_OK, 0);
	out[n - 1] ^= 1;
	out[n - 60] ^= 0x80;
	verify_expect(out, n, k, NK_OK, 0);
	out[n - 60] ^= 0x80;
	out[payload_at + 3] ^= 0x20;
	verify_expect(out, n, k, NK_OK, 0);
	out[payload_at + 3] ^= 0x20;
	for (size_t i = prot_at; i < prot_at + 4; i++) {
		for (int b = 0; b < 8; b++) {
			struct nk_err err = { 0 };
			int rc;

			out[i] ^= (unsigned char)(1 << b);
			ok = -1;
			rc = cose_sign1_verify(out, n, k, &ok, NULL, NULL, &err);
			assert_true((rc == NK_OK && ok == 0) || (rc == NK_DATA && ok == 0));
			out[i] ^= (unsigned char)(1 << b);
		}
	}
	/* and anywhere at all: a structure error or a failed check, never ok */
	for (size_t i = 0; i < n; i++) {
		for (int b = 0; b < 8; b++) {
			int rc;

			out[i] ^= (unsigned char)(1 << b);
			ok = -1;
			rc = cose_sign1_verify(out, n, k, &ok, NULL, NULL, NULL);
			assert_true(rc == NK_OK || rc == NK_DATA);
			assert_int_equal(ok, 0);
			out[i] ^= (unsigned char)(1 << b);
		}
	}
	verify_expect(out, n, k, NK_OK, 1);
	free(out);
	EVP_PKEY_free(k);
}

static void wrong_key(void **state)
{
	EVP_PKEY *k = ec_key("P-384"), *other = ec_key("P-384"), *p256 = ec_key("P-256");
	unsigned char *out = NULL;
	size_t n = 0;

	assert_int_equal(cose_sign1_sign(k, msg, MSG_LEN, &out, &n, NULL), NK_OK);
	verify_expect(out, n, other, NK_OK, 0);
	/* another curve than the header's algorithm */
	verify_expect(out, n, p256, NK_OK, 0);
	free(out);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	EVP_PKEY_free(p256);
}

static void non_ec_keys_are_refused(void **state)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048), *k = ec_key("P-256");
	unsigned char *out = NULL;
	size_t n = 0;
	struct nk_err err = { 0 };
	int ok = 1;

	assert_non_null(rsa);
	assert_int_equal(cose_sign1_sign(rsa, msg, MSG_LEN, &out, &n, &err), NK_DATA);
	assert_null(out);
	assert_string_equal(err.msg, "signing key is not an EC key on P-256, P-384 or P-521");
	assert_int_equal(cose_sign1_sign(k, msg, MSG_LEN, &out, &n, NULL), NK_OK);
	assert_int_equal(cose_sign1_verify(out, n, rsa, &ok, NULL, NULL, &err), NK_DATA);
	assert_int_equal(ok, 0);
	free(out);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(k);
}

static void tag_18_accepted(void **state)
{
	EVP_PKEY *k = ec_key("P-521");
	unsigned char *out = NULL, *tagged;
	size_t n = 0;

	assert_int_equal(cose_sign1_sign(k, msg, MSG_LEN, &out, &n, NULL), NK_OK);
	tagged = malloc(n + 2);
	assert_non_null(tagged);
	tagged[0] = 0xd2;  /* tag(18) */
	memcpy(tagged + 1, out, n);
	verify_expect(tagged, n + 1, k, NK_OK, 1);
	tagged[0] = 0xd1;  /* tag(17) is COSE_Mac0, not ours */
	verify_expect(tagged, n + 1, k, NK_DATA, 0);
	tagged[0] = 0xd8;  /* tag(18) in a needlessly long head */
	tagged[1] = 0x12;
	memcpy(tagged + 2, out, n);
	verify_expect(tagged, n + 2, k, NK_OK, 1);
	free(tagged);
	free(out);
	EVP_PKEY_free(k);
}

/* Real attestation documents carry high-S signatures (DESIGN §4.4). */
static void high_s_accepted(void **state)
{
	EVP_PKEY *k = ec_key("P-384");
	EC_GROUP *g = EC_GROUP_new_by_curve_name(NID_secp384r1);
	BIGNUM *s = NULL, *hs = BN_new();
	unsigned char *out = NULL, before[48];
	size_t n = 0;

	assert_non_null(g);
	assert_int_equal(cose_sign1_sign(k, msg, MSG_LEN, &out, &n, NULL), NK_OK);
	memcpy(before, out + n - 48, 48);
	s = BN_bin2bn(out + n - 48, 48, NULL);
	assert_non_null(s);
	/* (r, n - s) is the other valid signature for the same r */
	assert_int_equal(BN_sub(hs, EC_GROUP_get0_order(g), s), 1);
	assert_int_equal(BN_bn2binpad(hs, out + n - 48, 48), 48);
	assert_memory_not_equal(before, out + n - 48, 48);
	verify_expect(out, n, k, NK_OK, 1);
	BN_free(s);
	BN_free(hs);
	EC_GROUP_free(g);
	free(out);
	EVP_PKEY_free(k);
}

/* ---- malformed input ---------------------------------------------------- */

static void truncated_and_garbage(void **state)
{
	EVP_PKEY *k = ec_key("P-256");
	unsigned char *out = NULL, *longer;
	const unsigned char garbage[] = "not cbor at all \xff\xfe";
	size_t n = 0;

	assert_int_equal(cose_sign1_sign(k, msg, MSG_LEN, &out, &n, NULL), NK_OK);
	for (size_t i = 0; i < n; i++)
		verify_expect(out, i, k, NK_DATA, 0);
	verify_expect(garbage, sizeof garbage - 1, k, NK_DATA, 0);
	longer = malloc(n + 1);
	assert_non_null(longer);
	memcpy(longer, out, n);
	longer[n] = 0;
	verify_expect(longer, n + 1, k, NK_DATA, 0);  /* trailing byte */
	free(longer);
	free(out);
	EVP_PKEY_free(k);
}

static void wrong_shapes(void **state)
{
	EVP_PKEY *k = ec_key("P-384");
	const unsigned char es384[] = { 0xa1, 0x01, 0x38, 0x22 }, es256[] = { 0xa1, 0x01, 0x26 };
	unsigned char rs[96] = { 1 }, *in;
	struct nk_err err = { 0 };
	cbor_item_t *a;
	size_t n;
	int ok = 1;

	/* three items */
	a = cbor_new_definite_array(3);
	assert_true(cborx_array_put(a, cborx_bstr(es384, 4)));
	assert_true(cborx_array_put(a, cbor_new_definite_map(0)));
	assert_true(cborx_array_put(a, cborx_bstr(msg, MSG_LEN)));
	in = enc(a, &n);
	assert_int_equal(cose_sign1_verify(in, n, k, &ok, NULL, NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "COSE_Sign1: expected an array of 4 items, got 3");
	free(in);
	/* five items */
	a = cbor_new_definite_array(5);
	for (int i = 0; i < 5; i++)
		assert_true(cborx_array_put(a, cborx_bstr(es384, 4)));
	in = enc(a, &n);
	verify_expect(in, n, k, NK_DATA, 0);
	free(in);
	/* a map */
	in = enc(cbor_new_definite_map(0), &n);
	verify_expect(in, n, k, NK_DATA, 0);
	free(in);

	/* signature of the wrong length for the algorithm */
	in = cose_of(cborx_bstr(es384, 4), cbor_new_definite_map(0), cborx_bstr(msg, MSG_LEN),
		     cborx_bstr(rs, 95), &n);
	assert_int_equal(cose_sign1_verify(in, n, k, &ok, NULL, NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "COSE_Sign1: signature is '95' bytes, ES384 needs 96");
	free(in);
	/* an algorithm that does not match the key's curve: a failed check */
	in = cose_of(cborx_bstr(es256, 3), cbor_new_definite_map(0), cborx_bstr(msg, MSG_LEN),
		     cborx_bstr(rs, 64), &n);
	verify_expect(in, n, k, NK_OK, 0);
	free(in);

	/* protected header as text, as serde's int array, empty, not a map */
	in = cose_of(cbor_build_string("a1013822"), cbor_new_definite_map(0),
		     cborx_bstr(msg, MSG_LEN), cborx_bstr(rs, 96), &n);
	assert_int_equal(cose_sign1_verify(in, n, k, &ok, NULL, NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "COSE_Sign1: protected header: expected a byte string, got text string");
	free(in);
	in = cose_of(cborx_int_array(es384, 4), cbor_new_definite_map(0),
		     cborx_bstr(msg, MSG_LEN), cborx_bstr(rs, 96), &n);
	verify_expect(in, n, k, NK_DATA, 0);
	free(in);
	in = cose_of(cborx_bstr(NULL, 0), cbor_new_definite_map(0),
		     cborx_bstr(msg, MSG_LEN), cborx_bstr(rs, 96), &n);
	assert_int_equal(cose_sign1_verify(in, n, k, &ok, NULL, NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "COSE_Sign1: no algorithm in the protected header");
	free(in);
	in = cose_of(cborx_bstr("\x81\x01", 2), cbor_new_definite_map(0),
		     cborx_bstr(msg, MSG_LEN), cborx_bstr(rs, 96), &n);
	verify_expect(in, n, k, NK_DATA, 0);
	free(in);
	in = cose_of(cborx_bstr("\xa1\x01", 2), cbor_new_definite_map(0),  /* truncated map */
		     cborx_bstr(msg, MSG_LEN), cborx_bstr(rs, 96), &n);
	verify_expect(in, n, k, NK_DATA, 0);
	free(in);
	/* unsupported, textual and duplicate algorithms */
	in = cose_of(cborx_bstr("\xa1\x01\x27", 3), cbor_new_definite_map(0),  /* -8: EdDSA */
		     cborx_bstr(msg, MSG_LEN), cborx_bstr(rs, 64), &n);
	assert_int_equal(cose_sign1_verify(in, n, k, &ok, NULL, NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "COSE_Sign1: unsupported algorithm '-8'");
	free(in);
	in = cose_of(cborx_bstr("\xa1\x01\x65""ES384", 8), cbor_new_definite_map(0),
		     cborx_bstr(msg, MSG_LEN), cborx_bstr(rs, 96), &n);
	verify_expect(in, n, k, NK_DATA, 0);
	free(in);
	in = cose_of(cborx_bstr("\xa2\x01\x38\x22\x01\x38\x22", 7), cbor_new_definite_map(0),
		     cborx_bstr(msg, MSG_LEN), cborx_bstr(rs, 96), &n);
	verify_expect(in, n, k, NK_DATA, 0);
	free(in);

	/* unprotected header not a map; detached (null) payload; text signature */
	in = cose_of(cborx_bstr(es384, 4), cbor_new_definite_array(0), cborx_bstr(msg, MSG_LEN),
		     cborx_bstr(rs, 96), &n);
	verify_expect(in, n, k, NK_DATA, 0);
	free(in);
	in = cose_of(cborx_bstr(es384, 4), cbor_new_definite_map(0), cbor_new_null(),
		     cborx_bstr(rs, 96), &n);
	assert_int_equal(cose_sign1_verify(in, n, k, &ok, NULL, NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "COSE_Sign1: detached payloads are not supported");
	free(in);
	in = cose_of(cborx_bstr(es384, 4), cbor_new_definite_map(0), cborx_bstr(msg, MSG_LEN),
		     cbor_build_string("sig"), &n);
	verify_expect(in, n, k, NK_DATA, 0);
	free(in);
	/* a float where null might be: libcbor's cbor_is_null would abort here */
	in = cose_of(cborx_bstr(es384, 4), cbor_new_definite_map(0), cbor_build_float8(1.5),
		     cborx_bstr(rs, 96), &n);
	assert_int_equal(cose_sign1_verify(in, n, k, &ok, NULL, NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "COSE_Sign1: payload: expected a byte string, got float");
	free(in);
	EVP_PKEY_free(k);
}

static void oversized(void **state)
{
	EVP_PKEY *k = ec_key("P-256");
	unsigned char *big = calloc(COSE_MAX + 1, 1);
	struct nk_err err = { 0 };
	int ok = 1;

	assert_non_null(big);
	assert_int_equal(cose_sign1_verify(big, COSE_MAX + 1, k, &ok, NULL, NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "COSE_Sign1: too large ('65537' bytes, at most 65536)");
	free(big);
	EVP_PKEY_free(k);
}

/* ---- cborx -------------------------------------------------------------- */

/* RFC 8949 Appendix A: shortest-form integers. */
static void cborx_integers_rfc8949(void **state)
{
	static const struct { int64_t v; const char *hex; } t[] = {
		{ 0, "00" }, { 23, "17" }, { 24, "1818" }, { 100, "1864" }, { 1000, "1903e8" },
		{ 1000000, "1a000f4240" }, { 1000000000000, "1b000000e8d4a51000" },
		{ -1, "20" }, { -10, "29" }, { -100, "3863" }, { -1000, "3903e7" },
	};

	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		size_t n, wn;
		unsigned char *b = enc(cborx_int(t[i].v), &n), *want = unhex(t[i].hex, &wn);
		cbor_item_t *item = NULL;
		int64_t back = 0;

		assert_int_equal(n, wn);
		assert_memory_equal(b, want, n);
		assert_int_equal(cborx_load(b, n, 16, &item, NULL), NK_OK);
		assert_int_equal(cborx_get_int(item, &back, NULL), NK_OK);
		assert_true(back == t[i].v);
		cbor_decref(&item);
		free(b);
		free(want);
	}
}

static int check_hex(const char *hex, size_t *used)
{
	size_t n;
	unsigned char *b = unhex(hex, &n);
	int rc = cborx_check(b, n, CBORX_MAX_DEPTH, used, NULL);

	free(b);
	return rc;
}

static void cborx_check_wellformed(void **state)
{
	char deep[2 * (CBORX_MAX_DEPTH + 2) + 3];
	size_t used = 0;

	assert_int_equal(check_hex("83010203", &used), NK_OK);
	assert_int_equal(used, 4);
	assert_int_equal(check_hex("8301020304", &used), NK_OK);  /* trailing byte: used says so */
	assert_int_equal(used, 4);
	assert_int_equal(check_hex("5f4101420203ff", &used), NK_OK);
	assert_int_equal(check_hex("bf6161f5ff", &used), NK_OK);
	assert_int_equal(check_hex("c2410a", &used), NK_OK);
	assert_int_equal(check_hex("f97e00", &used), NK_OK);
	/* counts larger than the input are refused before libcbor allocates them */
	assert_int_equal(check_hex("9bffffffffffffffff00", NULL), NK_DATA);
	assert_int_equal(check_hex("bb7fffffffffffffff00", NULL), NK_DATA);
	assert_int_equal(check_hex("5bffffffffffffffff00", NULL), NK_DATA);
	assert_int_equal(check_hex("830102", NULL), NK_DATA);
	assert_int_equal(check_hex("", NULL), NK_DATA);
	/* reserved, unassigned and misplaced heads */
	assert_int_equal(check_hex("1c", NULL), NK_DATA);
	assert_int_equal(check_hex("ff", NULL), NK_DATA);
	assert_int_equal(check_hex("1f", NULL), NK_DATA);
	assert_int_equal(check_hex("df00", NULL), NK_DATA);
	/* libcbor 0.8 cannot load one-byte tags 6..20 */
	assert_int_equal(check_hex("d280", NULL), NK_DATA);
	assert_int_equal(check_hex("d81280", &used), NK_OK);
	assert_int_equal(cborx_skip_tag((const unsigned char *)"\xd2\x80", 2, 18), 1);
	assert_int_equal(cborx_skip_tag((const unsigned char *)"\xd8\x12\x80", 3, 18), 2);
	assert_int_equal(cborx_skip_tag((const unsigned char *)"\xd1\x80", 2, 18), 0);
	assert_int_equal(cborx_skip_tag((const unsigned char *)"\xd8", 1, 18), 0);
	assert_int_equal(check_hex("f820", NULL), NK_DATA);
	assert_int_equal(check_hex("e0", NULL), NK_DATA);
	/* indefinite strings: chunks must be definite strings of the same type */
	assert_int_equal(check_hex("5f6161ff", NULL), NK_DATA);
	assert_int_equal(check_hex("5f5f4100ffff", NULL), NK_DATA);
	assert_int_equal(check_hex("5f01ff", NULL), NK_DATA);
	/* indefinite map with a key and no value */
	assert_int_equal(check_hex("bf01ff", NULL), NK_DATA);
	/* nesting: CBORX_MAX_DEPTH arrays is fine, one more is not */
	for (int extra = 0; extra < 2; extra++) {
		size_t d = CBORX_MAX_DEPTH + (size_t)extra, i;

		for (i = 0; i < d; i++)
			memcpy(deep + 2 * i, "81", 2);
		strcpy(deep + 2 * i, "00");
		assert_int_equal(check_hex(deep, NULL), extra ? NK_DATA : NK_OK);
	}
}

static void cborx_load_rejects(void **state)
{
	cbor_item_t *item = (cbor_item_t *)1;
	struct nk_err err = { 0 };

	assert_int_equal(cborx_load((const unsigned char *)"\x01\x02", 2, 16, &item, &err), NK_DATA);
	assert_null(item);
	assert_string_equal(err.msg, "'1' trailing bytes after the CBOR item");
	assert_int_equal(cborx_load((const unsigned char *)"\x83\x01", 2, 1, &item, &err), NK_DATA);
	assert_string_equal(err.msg, "too large ('2' bytes, at most 1)");
	assert_int_equal(cborx_load((const unsigned char *)"\x83\x01", 2, 16, &item, &err), NK_DATA);
	assert_string_equal(err.msg, "CBOR array at byte '0' longer than the input");
}

static void cborx_bytes_both_forms(void **state)
{
	const char *forms[] = { "43010203", "83010203", "5f4101420203ff", "9f010203ff" };
	unsigned char *b = NULL, three[3];
	struct nk_err err = { 0 };
	size_t n;

	for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
		size_t hn;
		unsigned char *h = unhex(forms[i], &hn);
		cbor_item_t *item = NULL;

		assert_int_equal(cborx_load(h, hn, 64, &item, NULL), NK_OK);
		assert_int_equal(cborx_get_bytes(item, 3, &b, &n, NULL), NK_OK);
		assert_int_equal(n, 3);
		assert_memory_equal(b, "\x01\x02\x03", 3);
		free(b);
		assert_int_equal(cborx_get_bytes_exact(item, three, 3, NULL), NK_OK);
		assert_memory_equal(three, "\x01\x02\x03", 3);
		assert_int_equal(cborx_get_bytes(item, 2, &b, &n, &err), NK_DATA);
		assert_null(b);
		assert_string_equal(err.msg, "too long ('3' bytes, at most 2)");
		assert_int_equal(cborx_get_bytes_exact(item, three, 2, NULL), NK_DATA);
		cbor_decref(&item);
		free(h);
	}
	/* empty forms give a non-NULL buffer of 0 bytes */
	{
		cbor_item_t *item = NULL;

		assert_int_equal(cborx_load((const unsigned char *)"\x40", 1, 8, &item, NULL), NK_OK);
		assert_int_equal(cborx_get_bytes(item, 8, &b, &n, NULL), NK_OK);
		assert_non_null(b);
		assert_int_equal(n, 0);
		free(b);
		cbor_decref(&item);
	}
	/* not bytes: 256, a negative integer, text, a map */
	const char *bad[] = { "8201190100", "820120", "6161", "a0" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		size_t hn;
		cbor_item_t *item = NULL;
		unsigned char *h = unhex(bad[i], &hn);

		assert_int_equal(cborx_load(h, hn, 64, &item, NULL), NK_OK);
		assert_int_equal(cborx_get_bytes(item, 64, &b, &n, &err), NK_DATA);
		assert_null(b);
		cbor_decref(&item);
		free(h);
	}
	assert_string_equal(err.msg, "expected bytes, got map");
}

static void cborx_int_array_is_serde_vec(void **state)
{
	const unsigned char v[] = { 0, 23, 24, 255 };
	size_t n, wn;
	unsigned char *b = enc(cborx_int_array(v, sizeof v), &n), *want = unhex("840017181818ff", &wn);

	assert_int_equal(n, wn);
	assert_memory_equal(b, want, n);
	free(b);
	free(want);
}

static void cborx_maps(void **state)
{
	cbor_item_t *m = cbor_new_definite_map(3), *v = NULL;
	struct nk_err err = { 0 };
	unsigned char *b;
	size_t n, wn;
	unsigned char *want = unhex("a3616101616202616103", &wn);

	assert_true(cborx_map_put(m, "a", cborx_uint(1)));
	assert_true(cborx_map_put(m, "b", cborx_uint(2)));
	assert_true(cborx_map_put(m, "a", cborx_uint(3)));
	assert_false(cborx_map_put(m, "c", cborx_uint(4)));  /* full */
	assert_false(cborx_map_put(m, "c", NULL));            /* failed builder */
	assert_int_equal(cborx_map_get(m, "b", &v), 1);
	assert_int_equal(cbor_get_int(v), 2);
	assert_int_equal(cborx_map_get(m, "z", &v), 0);
	assert_null(v);
	assert_int_equal(cborx_map_get(m, "a", &v), -1);
	assert_int_equal(cborx_map_need(m, "a", &v, &err), NK_DATA);
	assert_string_equal(err.msg, "duplicate 'a'");
	assert_int_equal(cborx_map_need(m, "z", &v, &err), NK_DATA);
	assert_string_equal(err.msg, "no 'z'");
	b = enc(cbor_incref(m), &n);
	assert_int_equal(n, wn);
	assert_memory_equal(b, want, n);
	free(b);
	free(want);
	cbor_decref(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_p256),
		cmocka_unit_test(round_trip_p384),
		cmocka_unit_test(round_trip_p521),
		cmocka_unit_test(signature_covers_rfc_sig_structure),
		cmocka_unit_test(foreign_signature_with_extra_header),
		cmocka_unit_test(flipped_bits_never_verify),
		cmocka_unit_test(wrong_key),
		cmocka_unit_test(non_ec_keys_are_refused),
		cmocka_unit_test(tag_18_accepted),
		cmocka_unit_test(high_s_accepted),
		cmocka_unit_test(truncated_and_garbage),
		cmocka_unit_test(wrong_shapes),
		cmocka_unit_test(oversized),
		cmocka_unit_test(cborx_integers_rfc8949),
		cmocka_unit_test(cborx_check_wellformed),
		cmocka_unit_test(cborx_load_rejects),
		cmocka_unit_test(cborx_bytes_both_forms),
		cmocka_unit_test(cborx_int_array_is_serde_vec),
		cmocka_unit_test(cborx_maps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
