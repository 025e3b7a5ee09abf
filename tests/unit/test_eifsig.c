/* Tests of eifsig, the EIF signature section (DESIGN §4.2). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/buffer.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/cborx.h"
#include "util/cose.h"
#include "eif/eif.h"
#include "eif/eifsig.h"
#include "util/enc.h"

#define CHECKER "tests/fixtures/eifsig_check.py"

struct signer {
	EVP_PKEY *key;
	unsigned char *pem;
	size_t pem_len;
	unsigned char pcr8[PCR_LEN];  /* computed here, independently of lib/ */
};

static unsigned char pcr0[PCR_LEN];

static unsigned char *unhex(const char *s, size_t *n)
{
	unsigned char *b = malloc(strlen(s) / 2 + 1);

	assert_non_null(b);
	assert_int_equal(enc_unhex(s, b, strlen(s) / 2, n, NULL), NK_OK);
	return b;
}

/* A self-signed certificate for a fresh key on curve, as PEM, and its PCR8 =
 * SHA384(48 zero bytes || SHA384(DER)). */
static void make_signer(struct signer *s, const char *curve)
{
	X509 *x = X509_new();
	X509_NAME *name;
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *mem;
	unsigned char *der = NULL, buf[2 * PCR_LEN] = { 0 };
	int n;

	s->key = EVP_EC_gen(curve);
	assert_non_null(s->key);
	assert_non_null(x);
	assert_int_equal(X509_set_version(x, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), 1), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(x), 0));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(x), 3600));
	assert_int_equal(X509_set_pubkey(x, s->key), 1);
	name = X509_get_subject_name(x);
	assert_int_equal(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
						    (const unsigned char *)"nitrokit test", -1, -1, 0), 1);
	assert_int_equal(X509_set_issuer_name(x, name), 1);
	assert_true(X509_sign(x, s->key, EVP_sha384()) > 0);

	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	BIO_get_mem_ptr(b, &mem);
	s->pem_len = mem->length;
	s->pem = malloc(s->pem_len);
	assert_non_null(s->pem);
	memcpy(s->pem, mem->data, s->pem_len);

	n = i2d_X509(x, &der);
	assert_true(n > 0);
	assert_int_equal(EVP_Digest(der, (size_t)n, buf + PCR_LEN, NULL, EVP_sha384(), NULL), 1);
	assert_int_equal(EVP_Digest(buf, sizeof buf, s->pcr8, NULL, EVP_sha384(), NULL), 1);
	OPENSSL_free(der);
	BIO_free(b);
	X509_free(x);
}

static void free_signer(struct signer *s)
{
	EVP_PKEY_free(s->key);
	free(s->pem);
}

static int setup(void **state)
{
	/* any 48 bytes stand for a measured image */
	return EVP_Digest("kernel", 6, pcr0, NULL, EVP_sha384(), NULL) == 1 ? 0 : -1;
}

static void expect(const unsigned char *sec, size_t n, const unsigned char want_pcr0[PCR_LEN],
		   int rc_want, int ok_want, const char *msg_prefix)
{
	struct nk_err err = { 0 };
	unsigned char pcr8[PCR_LEN];
	int ok = -1;

	assert_int_equal(eifsig_verify(sec, n, want_pcr0, pcr8, &ok, &err), rc_want);
	assert_int_equal(ok, ok_want);
	if (msg_prefix)
		assert_memory_equal(err.msg, msg_prefix, strlen(msg_prefix));
}

static unsigned char *enc(cbor_item_t *item, size_t *n)
{
	unsigned char *b = NULL;

	assert_non_null(item);
	assert_int_equal(cborx_serialize(item, &b, n, NULL), NK_OK);
	cbor_decref(&item);
	return b;
}

/* [{"signing_certificate": cert, "signature": sig}] from items of any form. */
static unsigned char *section_of(cbor_item_t *cert, cbor_item_t *sig, size_t *n)
{
	cbor_item_t *a = cbor_new_definite_array(1), *m = cbor_new_definite_map(2);

	assert_true(cborx_map_put(m, "signing_certificate", cert));
	assert_true(cborx_map_put(m, "signature", sig));
	assert_true(cborx_array_put(a, m));
	return enc(a, n);
}

/* ---- build and verify --------------------------------------------------- */

static void round_trip(const char *curve)
{
	struct signer s;
	struct nk_err err = { 0 };
	unsigned char *sec = NULL, pcr8[PCR_LEN];
	size_t n = 0;
	int ok = 0;

	make_signer(&s, curve);
	assert_int_equal(eifsig_build(s.pem, s.pem_len, s.key, pcr0, &sec, &n, &err), NK_OK);
	/* 81 a2 73 "signing_certificate" 99 <len16> <ints>: serde's Vec<PcrSignature> */
	assert_memory_equal(sec, "\x81\xa2\x73signing_certificate\x99", 23);
	assert_int_equal(sec[23] << 8 | sec[24], s.pem_len);
	assert_int_equal(eifsig_verify(sec, n, pcr0, pcr8, &ok, &err), NK_OK);
	assert_true(ok);
	assert_memory_equal(pcr8, s.pcr8, PCR_LEN);
	free(sec);
	free_signer(&s);
}

static void round_trip_p384(void **state) { round_trip("P-384"); }
static void round_trip_p256(void **state) { round_trip("P-256"); }
static void round_trip_p521(void **state) { round_trip("P-521"); }

static void wrong_pcr0(void **state)
{
	struct signer s;
	unsigned char *sec = NULL, other[PCR_LEN], pcr8[PCR_LEN];
	size_t n = 0;
	int ok = 1;

	make_signer(&s, "P-384");
	assert_int_equal(eifsig_build(s.pem, s.pem_len, s.key, pcr0, &sec, &n, NULL), NK_OK);
	memcpy(other, pcr0, PCR_LEN);
	other[47] ^= 1;
	assert_int_equal(eifsig_verify(sec, n, other, pcr8, &ok, NULL), NK_OK);
	assert_false(ok);
	assert_memory_equal(pcr8, s.pcr8, PCR_LEN);  /* PCR8 does not depend on PCR0 */
	free(sec);
	free_signer(&s);
}

/* A section whose certificate is not the signer's: a bad signature, not bad data. */
static void certificate_of_another_key(void **state)
{
	struct signer a, b;
	unsigned char *payload = NULL, *cose = NULL, *sec = NULL, pcr8[PCR_LEN];
	size_t plen, clen, n;
	int ok = 1;

	make_signer(&a, "P-384");
	make_signer(&b, "P-384");
	assert_int_equal(eifsig_payload_encode(pcr0, &payload, &plen, NULL), NK_OK);
	assert_int_equal(cose_sign1_sign(a.key, payload, plen, &cose, &clen, NULL), NK_OK);
	assert_int_equal(eifsig_section_encode(b.pem, b.pem_len, cose, clen, &sec, &n, NULL), NK_OK);
	assert_int_equal(eifsig_verify(sec, n, pcr0, pcr8, &ok, NULL), NK_OK);
	assert_false(ok);
	assert_memory_equal(pcr8, b.pcr8, PCR_LEN);
	free(payload);
	free(cose);
	free(sec);
	free_signer(&a);
	free_signer(&b);
}

static void build_refuses_bad_inputs(void **state)
{
	struct signer a, b;
	struct nk_err err = { 0 };
	unsigned char *sec = NULL;
	size_t n = 0;

	make_signer(&a, "P-384");
	make_signer(&b, "P-384");
	assert_int_equal(eifsig_build(a.pem, a.pem_len, b.key, pcr0, &sec, &n, &err), NK_DATA);
	assert_string_equal(err.msg, "signing key does not match the certificate");
	assert_null(sec);
	assert_int_equal(eifsig_build((const unsigned char *)"hello", 5, a.key, pcr0, &sec, &n, &err),
			 NK_DATA);
	assert_string_equal(err.msg, "signing certificate is not a PEM certificate");
	assert_null(sec);
	free_signer(&a);
	free_signer(&b);
}

/* ---- decoders accept byte strings too ----------------------------------- */

static void byte_string_variants(void **state)
{
	struct signer s;
	unsigned char *payload = NULL, *cose = NULL, *sec;
	size_t plen, clen, n;
	cbor_item_t *m;

	make_signer(&s, "P-256");
	assert_int_equal(eifsig_payload_encode(pcr0, &payload, &plen, NULL), NK_OK);
	assert_int_equal(cose_sign1_sign(s.key, payload, plen, &cose, &clen, NULL), NK_OK);
	sec = section_of(cborx_bstr(s.pem, s.pem_len), cborx_bstr(cose, clen), &n);
	expect(sec, n, pcr0, NK_OK, 1, NULL);
	free(sec);
	sec = section_of(cborx_int_array(s.pem, s.pem_len), cborx_bstr(cose, clen), &n);
	expect(sec, n, pcr0, NK_OK, 1, NULL);
	free(sec);
	free(payload);
	free(cose);

	/* register_value as a byte string, and an unknown extra field (ignored, like serde) */
	m = cbor_new_definite_map(3);
	assert_true(cborx_map_put(m, "register_index", cborx_uint(0)));
	assert_true(cborx_map_put(m, "register_value", cborx_bstr(pcr0, PCR_LEN)));
	assert_true(cborx_map_put(m, "comment", cbor_build_string("x")));
	payload = enc(m, &plen);
	assert_int_equal(cose_sign1_sign(s.key, payload, plen, &cose, &clen, NULL), NK_OK);
	sec = section_of(cborx_int_array(s.pem, s.pem_len), cborx_int_array(cose, clen), &n);
	expect(sec, n, pcr0, NK_OK, 1, NULL);
	free(sec);
	free(payload);
	free(cose);
	free_signer(&s);
}

/* Payloads that are well formed but sign something else, or are not PcrInfo. */
static void payload_contents(void **state)
{
	struct signer s;
	struct {
		int index;
		size_t value_len;
		int rc, ok;
		const char *msg;
	} t[] = {
		{ 0, PCR_LEN, NK_OK, 1, NULL },
		{ 1, PCR_LEN, NK_OK, 0, NULL },   /* another register */
		{ -1, PCR_LEN, NK_OK, 0, NULL },
		{ 0, PCR_LEN - 1, NK_OK, 0, NULL },
		{ 0, 0, NK_OK, 0, NULL },
		{ 2, 0, NK_DATA, 0, "bad signature section: payload: no 'register_value'" },
		{ 3, 0, NK_DATA, 0, "bad signature section: payload: expected a map, got text string" },
		{ 4, 0, NK_DATA, 0, "bad signature section: payload: register_index: expected an integer" },
	};

	make_signer(&s, "P-384");
	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		cbor_item_t *m = cbor_new_definite_map(2);
		unsigned char *payload, *cose = NULL, *sec;
		size_t plen, clen, n;

		if (t[i].rc == NK_OK) {
			assert_true(cborx_map_put(m, "register_index", cborx_int(t[i].index)));
			assert_true(cborx_map_put(m, "register_value", cborx_int_array(pcr0, t[i].value_len)));
		} else if (t[i].index == 2) {
			assert_true(cborx_map_put(m, "register_index", cborx_int(0)));
		} else if (t[i].index == 3) {
			cbor_decref(&m);
			m = cbor_build_string("PCR0");
		} else {
			assert_true(cborx_map_put(m, "register_index", cbor_build_string("0")));
			assert_true(cborx_map_put(m, "register_value", cborx_int_array(pcr0, PCR_LEN)));
		}
		payload = enc(m, &plen);
		assert_int_equal(cose_sign1_sign(s.key, payload, plen, &cose, &clen, NULL), NK_OK);
		assert_int_equal(eifsig_section_encode(s.pem, s.pem_len, cose, clen, &sec, &n, NULL), NK_OK);
		expect(sec, n, pcr0, t[i].rc, t[i].ok, t[i].msg);
		free(payload);
		free(cose);
		free(sec);
	}
	free_signer(&s);
}

/* ---- upstream's bytes --------------------------------------------------- */

/* From aws-nitro-enclaves-image-format src/utils/cbor.rs: the bytes serde_cbor
 * 0.11 wrote (eif_build up to 0.8.0) for PcrInfo{0, 0x00..=0x2f} and for a
 * section with a stub certificate and a stub COSE_Sign1. */
static const char upstream_pcr_info[] =
	"a26e72656769737465725f696e646578006e72656769737465725f76616c75659830000102030405060708"
	"090a0b0c0d0e0f101112131415161718181819181a181b181c181d181e181f1820182118221823182418"
	"251826182718281829182a182b182c182d182e182f";
static const char upstream_section[] =
	"81a2737369676e696e675f6365727469666963617465983b182d182d182d182d182d184218451847184918"
	"4e182018431845185218541849184618491843184118541845182d182d182d182d182d0a184d1849184918"
	"420a182d182d182d182d182d1845184e184418201843184518521854184918461849184318411854184518"
	"2d182d182d182d182d0a697369676e61747572658a18d21884184418a1011838182218a018401840";

static void upstream_encodings(void **state)
{
	unsigned char v[PCR_LEN], *out = NULL, *want;
	const char *pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
	const unsigned char sig[] = { 0xd2, 0x84, 0x44, 0xa1, 0x01, 0x38, 0x22, 0xa0, 0x40, 0x40 };
	size_t n = 0, wn;

	for (int i = 0; i < PCR_LEN; i++)
		v[i] = (unsigned char)i;
	want = unhex(upstream_pcr_info, &wn);
	assert_int_equal(eifsig_payload_encode(v, &out, &n, NULL), NK_OK);
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, n);
	free(out);
	free(want);

	want = unhex(upstream_section, &wn);
	assert_int_equal(eifsig_section_encode((const unsigned char *)pem, strlen(pem), sig, sizeof sig,
					       &out, &n, NULL), NK_OK);
	assert_int_equal(n, wn);
	assert_memory_equal(out, want, n);
	/* it parses as far as the certificate, which is a stub */
	expect(want, wn, pcr0, NK_DATA, 0, "bad signature section: signing_certificate is not a PEM certificate");
	free(out);
	free(want);
}

/* ---- malformed sections ------------------------------------------------- */

static void malformed(void **state)
{
	static const struct { const char *hex, *msg; } t[] = {
		{ "", "bad signature section: no CBOR data" },
		{ "ff", "bad signature section: " },
		{ "00", "bad signature section: expected an array of one map, got unsigned integer" },
		{ "80", "bad signature section: expected an array of one map, got 0 items" },
		{ "a0", "bad signature section: expected an array of one map, got map" },
		{ "fb3ff8000000000000", "bad signature section: expected an array of one map, got float" },
		{ "f6", "bad signature section: expected an array of one map, got null" },
		{ "82a0a0", "bad signature section: expected an array of one map, got 2 items" },
		{ "8180", "bad signature section: expected a map, got array" },
		{ "81a0", "bad signature section: no 'signing_certificate'" },
		/* {"signing_certificate": "a", ...} */
		{ "81a2737369676e696e675f63657274696669636174656161697369676e617475726580",
		  "bad signature section: signing_certificate: expected bytes, got text string" },
		/* {"signing_certificate": [256]} */
		{ "81a1737369676e696e675f636572746966696361746581190100",
		  "bad signature section: signing_certificate: byte array item 0 is not an integer 0..255" },
		/* the certificate twice */
		{ "81a2737369676e696e675f63657274696669636174654100737369676e696e675f63657274696669636174654100",
		  "bad signature section: duplicate 'signing_certificate'" },
		/* {"signing_certificate": h'00'} without a signature */
		{ "81a1737369676e696e675f63657274696669636174654100",
		  "bad signature section: no 'signature'" },
		/* a PEM that is not one, with an empty signature */
		{ "81a2737369676e696e675f63657274696669636174654100697369676e617475726580",
		  "bad signature section: signing_certificate is not a PEM certificate" },
	};
	struct signer s;
	unsigned char *sec = NULL, *longer, *big;
	size_t n = 0;

	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		size_t hn;
		unsigned char *h = unhex(t[i].hex, &hn);

		expect(h, hn, pcr0, NK_DATA, 0, t[i].msg);
		free(h);
	}

	make_signer(&s, "P-384");
	assert_int_equal(eifsig_build(s.pem, s.pem_len, s.key, pcr0, &sec, &n, NULL), NK_OK);
	for (size_t i = 0; i < n; i++)  /* every truncation */
		expect(sec, i, pcr0, NK_DATA, 0, "bad signature section: ");
	longer = malloc(n + 1);
	assert_non_null(longer);
	memcpy(longer, sec, n);
	longer[n] = 0;
	expect(longer, n + 1, pcr0, NK_DATA, 0, "bad signature section: '1' trailing bytes");
	free(longer);
	big = calloc(EIF_MAX_SIGNATURE + 1, 1);
	assert_non_null(big);
	memcpy(big, sec, n);
	expect(big, EIF_MAX_SIGNATURE + 1, pcr0, NK_DATA, 0,
	       "bad signature section: too large ('65537' bytes, at most 65536)");
	free(big);

	/* a signature field that is not a COSE_Sign1 */
	free(sec);
	sec = section_of(cborx_bstr(s.pem, s.pem_len), cborx_int_array("garbage", 7), &n);
	expect(sec, n, pcr0, NK_DATA, 0, "bad signature section: signature: COSE_Sign1: ");
	free(sec);
	free_signer(&s);
}

/* ---- the independent checker agrees ------------------------------------- */

static int have_checker(void)
{
	return access("/usr/bin/python3", X_OK) == 0 &&
	       system("/usr/bin/python3 -c 'import cbor2, cryptography' 2>/dev/null") == 0;
}

/* Run the checker on a section; returns its exit code and its stdout line. */
static int run_checker(const unsigned char *sec, size_t n, const unsigned char want[PCR_LEN],
		       char *out, size_t outsz)
{
	char path[] = "/tmp/test_eifsig.XXXXXX", cmd[512], hex[PCR_HEX_LEN + 1];
	int fd = mkstemp(path), st;
	FILE *p;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, sec, n), (ssize_t)n);
	close(fd);
	enc_hex(want, PCR_LEN, hex);
	snprintf(cmd, sizeof cmd, "/usr/bin/python3 " CHECKER " %s %s 2>/dev/null", path, hex);
	p = popen(cmd, "r");
	assert_non_null(p);
	out[0] = '\0';
	if (!fgets(out, (int)outsz, p))
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	st = pclose(p);
	unlink(path);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void independent_checker(void **state)
{
	struct signer s;
	unsigned char *sec = NULL, *payload = NULL, *cose = NULL, other[PCR_LEN];
	char line[256], hex[PCR_HEX_LEN + 1];
	size_t n = 0, plen, clen;

	if (!have_checker())
		skip();
	for (int c = 0; c < 3; c++) {
		make_signer(&s, c == 0 ? "P-256" : c == 1 ? "P-384" : "P-521");
		assert_int_equal(eifsig_build(s.pem, s.pem_len, s.key, pcr0, &sec, &n, NULL), NK_OK);
		assert_int_equal(run_checker(sec, n, pcr0, line, sizeof line), 0);
		enc_hex(s.pcr8, PCR_LEN, hex);
		assert_string_equal(line, hex);
		free(sec);
		if (c == 1) {
			/* its negative answers: another PCR0 (1), byte strings where eif_build writes ints (3) */
			memcpy(other, pcr0, PCR_LEN);
			other[0] ^= 1;
			assert_int_equal(eifsig_build(s.pem, s.pem_len, s.key, pcr0, &sec, &n, NULL), NK_OK);
			assert_int_equal(run_checker(sec, n, other, line, sizeof line), 1);
			free(sec);
			assert_int_equal(eifsig_payload_encode(pcr0, &payload, &plen, NULL), NK_OK);
			assert_int_equal(cose_sign1_sign(s.key, payload, plen, &cose, &clen, NULL), NK_OK);
			sec = section_of(cborx_bstr(s.pem, s.pem_len), cborx_bstr(cose, clen), &n);
			assert_int_equal(run_checker(sec, n, pcr0, line, sizeof line), 3);
			free(sec);
			free(payload);
			free(cose);
		}
		free_signer(&s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip_p384),
		cmocka_unit_test(round_trip_p256),
		cmocka_unit_test(round_trip_p521),
		cmocka_unit_test(wrong_pcr0),
		cmocka_unit_test(certificate_of_another_key),
		cmocka_unit_test(build_refuses_bad_inputs),
		cmocka_unit_test(byte_string_variants),
		cmocka_unit_test(payload_contents),
		cmocka_unit_test(upstream_encodings),
		cmocka_unit_test(malformed),
		cmocka_unit_test(independent_checker),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
