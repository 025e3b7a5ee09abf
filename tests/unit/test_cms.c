/* Tests of lib/kms/cms.c: the real KMS and enclaver vectors of ../shared/testdata
 * ($NITROKIT_TESTDATA overrides; skipped when absent), malformed input, a
 * round trip, and the openssl CLI as an independent peer both ways. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "kms/cms.h"
#include "util/enc.h"
#include "util/io.h"

static char dir[] = "/tmp/test_cms.XXXXXX";
static EVP_PKEY *key;  /* RSA-2048 made for the round trips */
static unsigned char *spki;
static size_t spki_len;

static const char *testdata(void)
{
	const char *t = getenv("NITROKIT_TESTDATA");

	return t && *t ? t : "../shared/testdata";
}

/* NULL when the vector is absent. */
static unsigned char *vector(const char *name, size_t *len)
{
	char path[4096];
	unsigned char *buf = NULL;

	snprintf(path, sizeof path, "%s/cms/%s", testdata(), name);
	if (access(path, R_OK))
		return NULL;
	assert_int_equal(io_read_all(path, 1 << 20, &buf, len, NULL), NK_OK);
	return buf;
}

static char *hex(const unsigned char *p, size_t n)
{
	static char s[2 * 1024 + 1];

	enc_hex(p, n, s);
	return s;
}

static int group_setup(void **state)
{
	unsigned char *p;
	int n;

	(void)state;
	if (!mkdtemp(dir))
		return -1;
	key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	if (!key || (n = i2d_PUBKEY(key, NULL)) <= 0 || !(spki = malloc((size_t)n)))
		return -1;
	p = spki;
	spki_len = (size_t)i2d_PUBKEY(key, &p);
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[200];

	(void)state;
	EVP_PKEY_free(key);
	free(spki);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) ? -1 : 0;
}

static void test_enclaver_vector(void **state)
{
	size_t len, klen;
	unsigned char *der = vector("enclaver-recipient.der", &len);
	unsigned char *pem = vector("enclaver-recipient-key.pem", &klen), *padded;
	struct secbuf *pt = NULL;
	struct nk_err err;
	EVP_PKEY *k;
	BIO *b;

	(void)state;
	if (!der || !pem)
		skip();
	b = BIO_new_mem_buf(pem, (int)klen);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	assert_non_null(k);
	assert_int_equal(cms_decrypt(der, len, k, &pt, &err), NK_OK);
	assert_int_equal(pt->len, 12);
	assert_memory_equal(pt->p, "Hello, World", 12);
	secmem_free(pt);

	/* Trailing zero bytes are tolerated, anything else after the structure is not. */
	padded = calloc(1, len + 8);
	memcpy(padded, der, len);
	assert_int_equal(cms_decrypt(padded, len + 8, k, &pt, &err), NK_OK);
	secmem_free(pt);
	padded[len + 5] = 1;
	assert_int_equal(cms_decrypt(padded, len + 8, k, &pt, &err), NK_DATA);
	assert_null(pt);
	assert_non_null(strstr(err.msg, "data after the structure"));

	/* Not our key: a clear error, never garbage. */
	assert_int_equal(cms_decrypt(der, len, key, &pt, &err), NK_DATA);
	assert_null(pt);
	assert_true(!strncmp(err.msg, "cannot decrypt: ", 16));

	free(padded);
	EVP_PKEY_free(k);
	BIO_free(b);
	free(der);
	free(pem);
}

static void check_kms_shape(const struct cms_desc *d)
{
	assert_int_equal(d->version, 2);
	assert_int_equal(d->recipients, 1);
	assert_true(d->ktri);
	assert_int_equal(d->ktri_version, 2);
	assert_int_equal(d->skid_len, 32);
	assert_string_equal(d->key_alg, "rsaesOaep");
	assert_string_equal(d->oaep_hash, "sha256");
	assert_string_equal(d->oaep_mgf, "mgf1");
	assert_string_equal(d->oaep_mgf_hash, "sha256");
	assert_string_equal(d->content_type, "pkcs7-data");
	assert_string_equal(d->content_alg, "aes-256-cbc");
	assert_int_equal(d->iv_len, 16);
	assert_int_equal(cms_check_profile(d, NULL), NK_OK);
}

static void test_sdkc_vectors(void **state)
{
	size_t len;
	unsigned char *der = vector("kms-response-sdkc.der", &len);
	struct cms_desc d;
	struct nk_err err;

	(void)state;
	if (!der)
		skip();
	/* The README's published values belong to this first vector. */
	assert_int_equal(cms_describe(der, len, &d, &err), NK_OK);
	check_kms_shape(&d);
	assert_string_equal(hex(d.iv, d.iv_len), "688c6d5f7f31b0fecedf09f2e7c99ac9");
	assert_int_equal(d.ekey_len, 256);
	assert_string_equal(hex(d.ekey, 4), "a0614593");
	assert_int_equal(d.content_len, 48);
	assert_string_equal(hex(d.content_head, 4), "70e5caaf");
	free(der);

	/* The second: structure only (its lengths as `openssl asn1parse` shows them). */
	der = vector("kms-response-sdkc-2.der", &len);
	assert_non_null(der);
	assert_int_equal(cms_describe(der, len, &d, &err), NK_OK);
	check_kms_shape(&d);
	assert_int_equal(d.ekey_len, 256);
	assert_int_equal(d.content_len, 16);
	assert_string_not_equal(hex(d.iv, d.iv_len), "688c6d5f7f31b0fecedf09f2e7c99ac9");
	/* No key for it: decrypting with another one fails cleanly. */
	{
		struct secbuf *pt = NULL;

		assert_int_equal(cms_decrypt(der, len, key, &pt, &err), NK_DATA);
		assert_null(pt);
	}
	free(der);
}

static void test_round_trip(void **state)
{
	static const char msg[] = "a data key of thirty-two bytes!!";
	unsigned char *der = NULL;
	size_t len;
	struct cms_desc d;
	struct secbuf *pt = NULL;
	struct nk_err err;

	(void)state;
	assert_int_equal(cms_encrypt_for_recipient((const unsigned char *)msg, 32, spki, spki_len,
						   &der, &len, &err), NK_OK);
	assert_int_equal(der[1], 0x80);  /* BER indefinite length, as KMS sends */
	assert_int_equal(cms_describe(der, len, &d, &err), NK_OK);
	check_kms_shape(&d);
	assert_int_equal(d.ekey_len, 256);
	assert_int_equal(d.content_len, 48);
	assert_int_equal(cms_decrypt(der, len, key, &pt, &err), NK_OK);
	assert_int_equal(pt->len, 32);
	assert_memory_equal(pt->p, msg, 32);
	secmem_free(pt);
	free(der);

	/* Empty plaintext, and a non-RSA or malformed recipient key. */
	assert_int_equal(cms_encrypt_for_recipient((const unsigned char *)"", 0, spki, spki_len,
						   &der, &len, &err), NK_OK);
	assert_int_equal(cms_decrypt(der, len, key, &pt, &err), NK_OK);
	assert_int_equal(pt->len, 0);
	secmem_free(pt);
	free(der);
	assert_int_equal(cms_encrypt_for_recipient((const unsigned char *)"x", 1, spki, spki_len - 1,
						   &der, &len, &err), NK_DATA);
	assert_null(der);
	{
		EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		unsigned char *e = NULL;
		int n = i2d_PUBKEY(ec, &e);

		assert_true(n > 0);
		assert_int_equal(cms_encrypt_for_recipient((const unsigned char *)"x", 1, e, (size_t)n,
							   &der, &len, &err), NK_DATA);
		assert_non_null(strstr(err.msg, "not an RSA"));
		OPENSSL_free(e);
		EVP_PKEY_free(ec);
	}
}

static void test_malformed(void **state)
{
	unsigned char *der = NULL, *big, garbage[300];
	size_t len;
	struct cms_desc d;
	struct secbuf *pt = NULL;
	struct nk_err err;

	(void)state;
	assert_int_equal(cms_encrypt_for_recipient((const unsigned char *)"secret", 6, spki, spki_len,
						   &der, &len, &err), NK_OK);
	for (size_t n = 0; n < len; n++) {
		assert_int_equal(cms_describe(der, n, &d, &err), NK_DATA);
		assert_int_equal(cms_decrypt(der, n, key, &pt, &err), NK_DATA);
		assert_null(pt);
	}
	for (size_t i = 0; i < sizeof garbage; i++)
		garbage[i] = (unsigned char)(i * 37 + 11);
	assert_int_equal(cms_decrypt(garbage, sizeof garbage, key, &pt, &err), NK_DATA);
	assert_int_equal(cms_decrypt((const unsigned char *)"", 0, key, &pt, &err), NK_DATA);

	big = calloc(1, CMS_MAX + 1);
	memcpy(big, der, len);
	assert_int_equal(cms_decrypt(big, CMS_MAX + 1, key, &pt, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "too large"));
	free(big);

	/* A signedData content type is named. */
	{
		static const unsigned char signed_data[] = {
			0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02, 0xa0, 0x00
		};

		assert_int_equal(cms_describe(signed_data, sizeof signed_data, &d, &err), NK_DATA);
		assert_string_equal(err.msg, "cms content type is 'pkcs7-signedData', not enveloped data");
	}
	/* Flipping a byte of the encrypted key: cannot decrypt. */
	assert_int_equal(cms_describe(der, len, &d, &err), NK_OK);
	{
		unsigned char *k = memmem(der, len, d.ekey, 8);

		assert_non_null(k);
		k[100] ^= 1;
		assert_int_equal(cms_decrypt(der, len, key, &pt, &err), NK_DATA);
		assert_true(!strncmp(err.msg, "cannot decrypt", 14));
	}
	free(der);
}

static int have_openssl(void)
{
	return !system("openssl version >/dev/null 2>&1");
}

static void write_key(const char *path)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL));
	assert_int_equal(fclose(f), 0);
}

/* `openssl cms -decrypt` opens what we make. */
static void test_openssl_opens_ours(void **state)
{
	char path[300], cmd[1500];
	unsigned char *der = NULL, *got = NULL;
	size_t len, glen;
	struct nk_err err;

	(void)state;
	if (!have_openssl())
		skip();
	assert_int_equal(cms_encrypt_for_recipient((const unsigned char *)"Hello, World", 12, spki,
						   spki_len, &der, &len, &err), NK_OK);
	snprintf(path, sizeof path, "%s/ours.der", dir);
	assert_int_equal(io_write_file(path, der, len, 0600, &err), NK_OK);
	snprintf(path, sizeof path, "%s/key.pem", dir);
	write_key(path);
	snprintf(cmd, sizeof cmd, "openssl cms -decrypt -inform DER -inkey '%s/key.pem' -binary "
		 "-in '%s/ours.der' -out '%s/ours.out'", dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	snprintf(path, sizeof path, "%s/ours.out", dir);
	assert_int_equal(io_read_all(path, 1024, &got, &glen, &err), NK_OK);
	assert_int_equal(glen, 12);
	assert_memory_equal(got, "Hello, World", 12);
	free(got);
	free(der);
}

/* We open what `openssl cms -encrypt` makes with KMS's profile, and refuse
 * (naming it) what it makes with its defaults (PKCS#1 v1.5). */
static void test_we_open_openssls(void **state)
{
	char path[300], cmd[2000];
	unsigned char *der = NULL;
	size_t len;
	struct secbuf *pt = NULL;
	struct nk_err err;

	(void)state;
	if (!have_openssl())
		skip();
	snprintf(path, sizeof path, "%s/key.pem", dir);
	write_key(path);
	snprintf(path, sizeof path, "%s/pt", dir);
	assert_int_equal(io_write_file(path, "peer plaintext", 14, 0600, &err), NK_OK);
	snprintf(cmd, sizeof cmd,
		 "cd '%s' && openssl req -new -x509 -key key.pem -subj /CN=t -days 1 -out cert.pem 2>/dev/null && "
		 "openssl cms -encrypt -binary -aes-256-cbc -in pt -outform DER -out oaep.der "
		 "-recip cert.pem -keyid -keyopt rsa_padding_mode:oaep -keyopt rsa_oaep_md:sha256 "
		 "-keyopt rsa_mgf1_md:sha256 && "
		 "openssl cms -encrypt -binary -aes-256-cbc -in pt -outform DER -out v15.der cert.pem", dir);
	assert_int_equal(system(cmd), 0);

	snprintf(path, sizeof path, "%s/oaep.der", dir);
	assert_int_equal(io_read_all(path, CMS_MAX, &der, &len, &err), NK_OK);
	assert_int_equal(cms_decrypt(der, len, key, &pt, &err), NK_OK);
	assert_int_equal(pt->len, 14);
	assert_memory_equal(pt->p, "peer plaintext", 14);
	secmem_free(pt);
	free(der);

	snprintf(path, sizeof path, "%s/v15.der", dir);
	assert_int_equal(io_read_all(path, CMS_MAX, &der, &len, &err), NK_OK);
	pt = NULL;
	assert_int_equal(cms_decrypt(der, len, key, &pt, &err), NK_DATA);
	assert_null(pt);
	assert_string_equal(err.msg, "cms key encryption is 'rsaEncryption', expected 'rsaesOaep'");
	free(der);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enclaver_vector),
		cmocka_unit_test(test_sdkc_vectors),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_openssl_opens_ours),
		cmocka_unit_test(test_we_open_openssls),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
