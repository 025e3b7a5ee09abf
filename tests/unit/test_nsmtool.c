/* nsmtool: the NSM tools' shared logic.  The requests go to a fake NSM (a
 * thread serving a SOCK_SEQPACKET socket through lib/nsm's codec), so these
 * tests need neither /dev/nsm nor nsm-sim.  Public-key known answers come
 * from the openssl CLI (constants below) or from OpenSSL's own i2d_PUBKEY. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "tool/nsmtool.h"

static char dir[] = "/tmp/nk-test-nsmtool-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static void path(char *buf, const char *name)
{
	snprintf(buf, 256, "%s/%s", dir, name);
}

static void write_file(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void unhex(const char *hex, unsigned char *out, size_t *n)
{
	*n = strlen(hex) / 2;
	for (size_t i = 0; i < *n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
}

/* --- a fake NSM ------------------------------------------------------------- */

enum fake_mode { FAKE_OK, FAKE_EMPTY_RANDOM, FAKE_ERROR };

struct fake {
	char sock[256];
	int lfd;
	enum fake_mode mode;
	pthread_t th;
	int nreq;
	struct nsm_request last;
	uint16_t indices[64];
	size_t nindices;
	unsigned char extend_data[NSM_REQUEST_MAX];
	size_t extend_len;
};

static void answer(struct fake *f, const struct nsm_request *q, struct nsm_response *a, unsigned char *pcr,
		   unsigned char *rnd)
{
	memset(a, 0, sizeof *a);
	a->op = q->op;
	if (f->mode == FAKE_ERROR) {
		a->op = NSM_OP_ERROR;
		a->error = NSM_E_INVALID_INDEX;
		return;
	}
	switch (q->op) {
	case NSM_OP_DESCRIBE_PCR:
	case NSM_OP_EXTEND_PCR:
		/* A value that names the index: every byte is the index. */
		memset(pcr, q->index & 0xff, PCR_LEN);
		a->lock = q->index < 16;
		a->data = (struct nsm_bytes){ pcr, PCR_LEN, 1 };
		break;
	case NSM_OP_GET_RANDOM:
		/* Byte i of call k is k: the test can tell the calls apart. */
		memset(rnd, f->nreq, NSM_RANDOM_LEN);
		a->random = (struct nsm_bytes){ rnd, f->mode == FAKE_EMPTY_RANDOM ? 0 : NSM_RANDOM_LEN, 1 };
		break;
	case NSM_OP_DESCRIBE_NSM:
		a->version_major = 1;
		a->version_patch = 7;
		a->module_id = "i-0123-enc4567";
		a->max_pcrs = 32;
		a->nlocked = 3;
		a->locked_pcrs[0] = 0;
		a->locked_pcrs[1] = 1;
		a->locked_pcrs[2] = 15;
		a->digest = "SHA384";
		break;
	default:
		break;
	}
}

static void *serve(void *p)
{
	struct fake *f = p;
	int fd = accept(f->lfd, NULL, NULL);
	unsigned char buf[NSM_REQUEST_MAX + 1], pcr[PCR_LEN], rnd[NSM_RANDOM_LEN];
	ssize_t n;

	if (fd < 0)
		return NULL;
	while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
		struct nsm_request q;
		struct nsm_response a;
		unsigned char *out = NULL;
		size_t len = 0;

		if (nsm_request_decode(buf, (size_t)n, &q, NULL))
			break;
		f->nreq++;
		if (f->nindices < 64)
			f->indices[f->nindices++] = q.op == NSM_OP_LOCK_PCRS ? q.range : q.index;
		if (q.op == NSM_OP_EXTEND_PCR) {
			memcpy(f->extend_data, q.data.p, q.data.len);
			f->extend_len = q.data.len;
		}
		f->last.op = q.op;
		answer(f, &q, &a, pcr, rnd);
		nsm_request_clear(&q);
		if (nsm_response_encode(&a, &out, &len, NULL))
			break;
		send(fd, out, len, MSG_NOSIGNAL);
		free(out);
	}
	close(fd);
	return NULL;
}

static void fake_start(struct fake *f, enum fake_mode mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof *f);
	f->mode = mode;
	path(f->sock, "nsm.sock");
	unlink(f->sock);
	strcpy(sa.sun_path, f->sock);
	f->lfd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	assert_true(f->lfd >= 0);
	assert_int_equal(bind(f->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(f->lfd, 1), 0);
	assert_int_equal(pthread_create(&f->th, NULL, serve, f), 0);
}

static struct nsm_conn *fake_connect(struct fake *f)
{
	char spec[300];
	struct nsm_conn *c = NULL;
	struct nk_err err = { 0 };

	snprintf(spec, sizeof spec, "unix:%s", f->sock);
	assert_int_equal(nsm_open(spec, &c, &err), NK_OK);
	return c;
}

static void fake_stop(struct fake *f, struct nsm_conn *c)
{
	nsm_close(c);
	pthread_join(f->th, NULL);
	close(f->lfd);
	unlink(f->sock);
}

static void test_open_errors(void **state)
{
	struct nsm_conn *c = NULL;
	struct nk_err err = { 0 };
	char sock[256], spec[300];

	assert_int_equal(nsm_open("/nonexistent/nsm", &c, &err), NK_IO);
	assert_string_equal(err.msg, "cannot open '/nonexistent/nsm': No such file or directory (not inside "
			    "a Nitro Enclave? set NITROKIT_NSM=unix:PATH to use nsm-sim)");
	path(sock, "none.sock");
	snprintf(spec, sizeof spec, "unix:%s", sock);
	assert_int_equal(nsm_open(spec, &c, &err), NK_IO);
	assert_non_null(strstr(err.msg, "cannot connect to nsm-sim at '"));
	assert_non_null(strstr(err.msg, "': No such file or directory"));
	assert_null(c);
}

/* --- fields ---------------------------------------------------------------------- */

static void test_field_hex(void **state)
{
	struct nsmtool_field f = { 0 };
	struct nk_err err = { 0 };
	char big[2 * NSM_FIELD_MAX + 3];

	assert_int_equal(nsmtool_field_hex("00fFa5", "nonce-hex", NSM_FIELD_MAX, &f, &err), NK_OK);
	assert_true(f.present);
	assert_int_equal(f.len, 3);
	assert_memory_equal(f.p, "\x00\xff\xa5", 3);

	assert_int_equal(nsmtool_field_hex("abc", "nonce-hex", NSM_FIELD_MAX, &f, &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value 'abc' for --nonce-hex: odd number of hex digits (3)");
	assert_false(f.present);
	assert_null(f.p);
	assert_int_equal(nsmtool_field_hex("zz", "user-data-hex", NSM_FIELD_MAX, &f, &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value 'zz' for --user-data-hex: not a hex digit at position 1");
	/* An empty value is refused by cli (STR); here it is a present field of no bytes. */
	assert_int_equal(nsmtool_field_hex("", "data-hex", NSM_FIELD_MAX, &f, &err), NK_OK);
	assert_true(f.present);
	assert_int_equal(f.len, 0);

	/* Exactly the cap is fine; one byte more is oversized data, shown cut short. */
	memset(big, 'a', 2 * NSM_FIELD_MAX);
	big[2 * NSM_FIELD_MAX] = '\0';
	assert_int_equal(nsmtool_field_hex(big, "nonce-hex", NSM_FIELD_MAX, &f, &err), NK_OK);
	assert_int_equal(f.len, NSM_FIELD_MAX);
	strcat(big, "aa");
	assert_int_equal(nsmtool_field_hex(big, "nonce-hex", NSM_FIELD_MAX, &f, &err), NK_DATA);
	assert_string_equal(err.msg, "invalid value 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...' for --nonce-hex: "
			    "too long (1025 bytes, at most 1024)");
	nsmtool_field_free(&f);
}

static void test_field_file(void **state)
{
	struct nsmtool_field f = { 0 };
	struct nk_err err = { 0 };
	unsigned char data[NSM_FIELD_MAX + 1];
	char p[256], msg[512];
	struct nsm_bytes b;

	memset(data, 7, sizeof data);
	path(p, "exact");
	write_file(p, data, NSM_FIELD_MAX);
	assert_int_equal(nsmtool_field_file(p, NSM_FIELD_MAX, &f, &err), NK_OK);
	assert_int_equal(f.len, NSM_FIELD_MAX);
	b = nsmtool_field_bytes(&f);
	assert_true(b.present);
	assert_ptr_equal(b.p, f.p);
	assert_int_equal(b.len, NSM_FIELD_MAX);

	path(p, "over");
	write_file(p, data, NSM_FIELD_MAX + 1);
	assert_int_equal(nsmtool_field_file(p, NSM_FIELD_MAX, &f, &err), NK_DATA);
	snprintf(msg, sizeof msg, "'%s' is too large (more than 1024 bytes)", p);
	assert_string_equal(err.msg, msg);
	assert_false(f.present);

	/* An empty file is an empty field, not an absent one. */
	path(p, "empty");
	write_file(p, "", 0);
	assert_int_equal(nsmtool_field_file(p, NSM_FIELD_MAX, &f, &err), NK_OK);
	assert_true(f.present);
	assert_int_equal(f.len, 0);

	path(p, "missing");
	assert_int_equal(nsmtool_field_file(p, NSM_FIELD_MAX, &f, &err), NK_IO);
	snprintf(msg, sizeof msg, "cannot open '%s': No such file or directory", p);
	assert_string_equal(err.msg, msg);
	nsmtool_field_free(&f);
	nsmtool_field_free(NULL);
}

/* --- public keys ----------------------------------------------------------------- */

/* From `openssl pkey -pubin -outform DER` and `openssl rsa -pubout -outform DER`. */
static const char ec_pem[] =
	"-----BEGIN PUBLIC KEY-----\n"
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGdg97ioYAXxq9Yyz7yzaIVBfH+gU\n"
	"sPOT4v+sqejnADAXTxtOPjpv+GHSgXCGG1SJUsRbkTZ0W/QTY5cDTn9ixA==\n"
	"-----END PUBLIC KEY-----\n";
static const char ec_der_hex[] =
	"3059301306072a8648ce3d020106082a8648ce3d0301070342000419d83dee2a18017c6af58cb3ef2cda21505f"
	"1fe814b0f393e2ffaca9e8e70030174f1b4e3e3a6ff861d28170861b548952c45b9136745bf4136397034e7f62c4";
static const char rsa1_pem[] =
	"-----BEGIN RSA PUBLIC KEY-----\n"
	"MIGJAoGBAMsdbohq0R7cmY9/F+oMp74TQm7retduU41QORIlfsc97+ewDgtqZwdi\n"
	"e5N2WbSQ1oNzE4gvJMP214MNGUGV75+5mMFA0wbUAKLuLqsKPcNoPLh+CeSBxnVS\n"
	"cl0imI1C4dJOtV360XH7uDiAosXqR7UZNHxfaEWocWAUZ3j0mDdVAgMBAAE=\n"
	"-----END RSA PUBLIC KEY-----\n";
static const char rsa_der_hex[] =
	"30819f300d06092a864886f70d010101050003818d0030818902818100cb1d6e886ad11edc998f7f17ea0ca7be"
	"13426eeb7ad76e538d503912257ec73defe7b00e0b6a6707627b937659b490d6837313882f24c3f6d7830d1941"
	"95ef9fb998c140d306d400a2ee2eab0a3dc3683cb87e09e481c67552725d22988d42e1d24eb55dfad171fbb838"
	"80a2c5ea47b519347c5f6845a87160146778f49837550203010001";

static void spki_ok(const void *in, size_t n, const char *want_hex)
{
	struct nsmtool_field f = { 0 };
	struct nk_err err = { 0 };
	unsigned char want[512];
	size_t wn;

	unhex(want_hex, want, &wn);
	assert_int_equal(nsmtool_spki_from_buf(in, n, "key", &f, &err), NK_OK);
	assert_true(f.present);
	assert_int_equal(f.len, wn);
	assert_memory_equal(f.p, want, wn);
	nsmtool_field_free(&f);
}

static void spki_bad(const void *in, size_t n, const char *want_msg)
{
	struct nsmtool_field f = { 0 };
	struct nk_err err = { 0 };

	assert_int_equal(nsmtool_spki_from_buf(in, n, "key", &f, &err), NK_DATA);
	if (strncmp(err.msg, want_msg, strlen(want_msg)) != 0)
		fail_msg("got '%s', expected it to start with '%s'", err.msg, want_msg);
	assert_false(f.present);
	assert_null(f.p);
}

static void test_spki_known(void **state)
{
	unsigned char der[512];
	size_t n;
	char p[256];
	struct nsmtool_field f = { 0 };
	struct nk_err err = { 0 };
	char withtext[1024];

	spki_ok(ec_pem, strlen(ec_pem), ec_der_hex);
	unhex(ec_der_hex, der, &n);
	spki_ok(der, n, ec_der_hex);
	spki_ok(rsa1_pem, strlen(rsa1_pem), rsa_der_hex);
	unhex(rsa_der_hex, der, &n);
	spki_ok(der, n, rsa_der_hex);
	/* Text before the block is skipped, as openssl does. */
	snprintf(withtext, sizeof withtext, "my key:\n%s", ec_pem);
	spki_ok(withtext, strlen(withtext), ec_der_hex);

	path(p, "ec.pem");
	write_file(p, ec_pem, strlen(ec_pem));
	assert_int_equal(nsmtool_spki_from_file(p, &f, &err), NK_OK);
	assert_int_equal(f.len, strlen(ec_der_hex) / 2);
	nsmtool_field_free(&f);
	path(p, "nokey.pem");
	assert_int_equal(nsmtool_spki_from_file(p, &f, &err), NK_IO);
}

static void test_spki_refused(void **state)
{
	EVP_PKEY *pk = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIO *b = BIO_new(BIO_s_mem());
	unsigned char der[512], *dp = NULL, *mem;
	char pem[4096];
	long mlen;
	size_t n;
	int dn;

	assert_non_null(pk);
	assert_non_null(x);
	/* A self-signed certificate: a public key inside, but not a public key. */
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)"nitrokit test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, pk);
	assert_true(X509_sign(x, pk, EVP_sha256()) > 0);
	assert_true(PEM_write_bio_X509(b, x));
	mlen = BIO_get_mem_data(b, &mem);
	spki_bad(mem, (size_t)mlen, "'key' is a certificate, not a public key (extract it with: openssl x509 -pubkey");
	dn = i2d_X509(x, &dp);
	assert_true(dn > 0);
	spki_bad(dp, (size_t)dn, "'key' is a certificate, not a public key");
	OPENSSL_free(dp);
	dp = NULL;

	/* Private keys are refused too: the tool must not handle them. */
	BIO_reset(b);
	assert_true(PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL));
	mlen = BIO_get_mem_data(b, &mem);
	spki_bad(mem, (size_t)mlen, "'key' is a private key: give its public key (openssl pkey -pubout");
	dn = i2d_PrivateKey(pk, &dp);
	assert_true(dn > 0);
	spki_bad(dp, (size_t)dn, "'key' is a private key");
	OPENSSL_free(dp);

	spki_bad("", 0, "'key' is empty (expected a public key)");
	spki_bad("garbage\n", 8, "'key' is not a public key (expected PEM or DER SubjectPublicKeyInfo)");
	snprintf(pem, sizeof pem, "-----BEGIN DH PARAMETERS-----\nMAA=\n-----END DH PARAMETERS-----\n");
	spki_bad(pem, strlen(pem), "'key' holds a PEM 'DH PARAMETERS' block, not a public key");
	snprintf(pem, sizeof pem, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
	spki_bad(pem, strlen(pem), "'key': malformed PUBLIC KEY");
	snprintf(pem, sizeof pem, "-----BEGIN PUBLIC KEY-----\nMFkw");
	spki_bad(pem, strlen(pem), "'key': malformed PEM");
	/* DER with a byte after the SubjectPublicKeyInfo. */
	unhex(ec_der_hex, der, &n);
	der[n++] = 0;
	spki_bad(der, n, "'key' is not a public key");
	/* Truncated DER. */
	spki_bad(der, 40, "'key' is not a public key");

	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(pk);
}

/* An RSA public key with an 8200-bit modulus (no primes needed for a public
 * key): its SubjectPublicKeyInfo is past the NSM's 1024 bytes. */
static void test_spki_too_large(void **state)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	BIGNUM *nn = BN_new(), *e = BN_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;
	OSSL_PARAM *params;
	unsigned char *der = NULL;
	int n;

	assert_true(BN_rand(nn, 8200, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ODD));
	assert_true(BN_set_word(e, 65537));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, nn));
	assert_true(OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e));
	params = OSSL_PARAM_BLD_to_param(bld);
	assert_true(EVP_PKEY_fromdata_init(ctx) > 0);
	assert_true(EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params) > 0);
	n = i2d_PUBKEY(pk, &der);
	assert_true(n > NSM_FIELD_MAX);
	spki_bad(der, (size_t)n, "the public key in 'key' is too large (");
	OPENSSL_free(der);
	EVP_PKEY_free(pk);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(ctx);
	BN_free(nn);
	BN_free(e);
}

/* --- PCR indices and JSON ---------------------------------------------------------- */

static void test_pcr_index(void **state)
{
	static const char *const bad[] = { "", "x", "-1", "+1", " 1", "1 ", "1x", "65536", "99999999999999999999" };
	struct nk_err err = { 0 };
	uint16_t v;

	assert_int_equal(nsmtool_pcr_index("0", &v, &err), NK_OK);
	assert_int_equal(v, 0);
	assert_int_equal(nsmtool_pcr_index("31", &v, &err), NK_OK);
	assert_int_equal(v, 31);
	/* Past 31 is the NSM's to refuse (InvalidIndex), as on hardware. */
	assert_int_equal(nsmtool_pcr_index("40", &v, &err), NK_OK);
	assert_int_equal(v, 40);
	assert_int_equal(nsmtool_pcr_index("65535", &v, &err), NK_OK);
	assert_int_equal(v, 65535);
	assert_int_equal(nsmtool_pcr_index("016", &v, &err), NK_OK);
	assert_int_equal(v, 16);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char want[128];

		assert_int_equal(nsmtool_pcr_index(bad[i], &v, &err), NK_USAGE);
		snprintf(want, sizeof want, "invalid PCR index '%s': expected a number from 0 to 31", bad[i]);
		assert_string_equal(err.msg, want);
	}
	assert_int_equal(nsmtool_pcr_range("32", &v, &err), NK_OK);
	assert_int_equal(v, 32);
	assert_int_equal(nsmtool_pcr_range("x", &v, &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value 'x' for --range: expected a number from 0 to 32");
}

static void assert_json(json_t *j, const char *want)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
	json_decref(j);
}

static void test_json(void **state)
{
	unsigned char v[PCR_LEN];
	struct nsm_response r = { 0 };
	char want[256];
	size_t n;

	memset(v, 0xab, sizeof v);
	r.op = NSM_OP_DESCRIBE_PCR;
	r.lock = 1;
	r.data = (struct nsm_bytes){ v, sizeof v, 1 };
	n = (size_t)snprintf(want, sizeof want, "{\"index\":7,\"locked\":true,\"value\":\"");
	for (size_t i = 0; i < PCR_LEN; i++, n += 2)
		memcpy(want + n, "ab", 2);
	strcpy(want + n, "\"}");
	assert_json(nsmtool_pcr_json(7, &r), want);

	memset(&r, 0, sizeof r);
	r.op = NSM_OP_DESCRIBE_NSM;
	r.version_major = 1;
	r.version_minor = 2;
	r.version_patch = 3;
	r.module_id = "i-1-enc2";
	r.max_pcrs = 32;
	r.locked_pcrs[0] = 0;
	r.locked_pcrs[1] = 16;
	r.nlocked = 2;
	r.digest = "SHA384";
	assert_json(nsmtool_nsm_json(&r), "{\"version\":\"1.2.3\",\"module_id\":\"i-1-enc2\",\"max_pcrs\":32,"
		    "\"locked_pcrs\":[0,16],\"digest\":\"SHA384\"}");
	r.nlocked = 0;
	assert_json(nsmtool_nsm_json(&r), "{\"version\":\"1.2.3\",\"module_id\":\"i-1-enc2\",\"max_pcrs\":32,"
		    "\"locked_pcrs\":[],\"digest\":\"SHA384\"}");
}

/* --- requests against the fake NSM ------------------------------------------------- */

static void test_describe_all(void **state)
{
	struct fake f;
	struct nsm_conn *c;
	struct nk_err err = { 0 };
	json_t *j = NULL, *e;
	uint16_t some[] = { 3, 40, 3 };

	fake_start(&f, FAKE_OK);
	c = fake_connect(&f);
	assert_int_equal(nsmtool_describe_pcrs(c, NULL, 0, &j, &err), NK_OK);
	assert_int_equal(json_array_size(j), 32);
	for (size_t i = 0; i < 32; i++) {
		e = json_array_get(j, i);
		assert_int_equal(json_integer_value(json_object_get(e, "index")), i);
		assert_int_equal(json_is_true(json_object_get(e, "locked")), i < 16);
		assert_int_equal(strlen(json_string_value(json_object_get(e, "value"))), 96);
		assert_int_equal(f.indices[i], i);
	}
	json_decref(j);
	/* Asked indices, in order, duplicates kept. */
	assert_int_equal(nsmtool_describe_pcrs(c, some, 3, &j, &err), NK_OK);
	assert_int_equal(json_array_size(j), 3);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(j, 1), "index")), 40);
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 1), "value")),
			    "282828282828282828282828282828282828282828282828282828282828282828282828282828282828282828282828");
	json_decref(j);
	assert_int_equal(nsmtool_describe_nsm(c, &j, &err), NK_OK);
	assert_json(j, "{\"version\":\"1.0.7\",\"module_id\":\"i-0123-enc4567\",\"max_pcrs\":32,"
		    "\"locked_pcrs\":[0,1,15],\"digest\":\"SHA384\"}");
	fake_stop(&f, c);
}

static void test_extend(void **state)
{
	struct fake f;
	struct nsm_conn *c;
	struct nk_err err = { 0 };
	char value[2 * PCR_LEN + 1];
	static unsigned char data[NSMTOOL_EXTEND_MAX + 1];

	memset(data, 0x5a, sizeof data);
	fake_start(&f, FAKE_OK);
	c = fake_connect(&f);
	assert_int_equal(nsmtool_extend(c, 17, (const unsigned char *)"abc", 3, value, &err), NK_OK);
	assert_string_equal(value, "111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111");
	assert_int_equal(f.last.op, NSM_OP_EXTEND_PCR);
	assert_int_equal(f.extend_len, 3);
	assert_memory_equal(f.extend_data, "abc", 3);
	/* The largest data still fits in one request of the largest index. */
	assert_int_equal(nsmtool_extend(c, 65535, data, NSMTOOL_EXTEND_MAX, value, &err), NK_OK);
	assert_int_equal(f.extend_len, NSMTOOL_EXTEND_MAX);
	assert_int_equal(nsmtool_extend(c, 16, data, NSMTOOL_EXTEND_MAX + 1, value, &err), NK_DATA);
	assert_string_equal(err.msg, "the data to extend is too large (4065 bytes, at most 4064)");
	fake_stop(&f, c);
}

static void test_random(void **state)
{
	struct fake f;
	struct nsm_conn *c;
	struct nk_err err = { 0 };
	struct secbuf *b = NULL;

	fake_start(&f, FAKE_OK);
	c = fake_connect(&f);
	/* 600 bytes: 256 + 256 + 88 from three calls. */
	assert_int_equal(nsmtool_random(c, 600, &b, &err), NK_OK);
	assert_int_equal(b->len, 600);
	assert_int_equal(f.nreq, 3);
	assert_int_equal(b->p[0], 1);
	assert_int_equal(b->p[255], 1);
	assert_int_equal(b->p[256], 2);
	assert_int_equal(b->p[599], 3);
	secmem_free(b);
	b = NULL;
	assert_int_equal(nsmtool_random(c, 1, &b, &err), NK_OK);
	assert_int_equal(b->len, 1);
	secmem_free(b);
	b = NULL;
	assert_int_equal(nsmtool_random(c, 0, &b, &err), NK_USAGE);
	assert_int_equal(nsmtool_random(c, NSMTOOL_RANDOM_MAX + 1, &b, &err), NK_USAGE);
	assert_null(b);
	fake_stop(&f, c);

	/* An NSM that answers with no bytes must not make us loop forever. */
	fake_start(&f, FAKE_EMPTY_RANDOM);
	c = fake_connect(&f);
	assert_int_equal(nsmtool_random(c, 32, &b, &err), NK_DATA);
	assert_string_equal(err.msg, "the NSM answered GetRandom with no bytes");
	assert_null(b);
	assert_int_equal(f.nreq, 1);
	fake_stop(&f, c);
}

static void test_nsm_errors(void **state)
{
	struct fake f;
	struct nsm_conn *c;
	struct nk_err err = { 0 };
	struct secbuf *b = NULL;
	json_t *j = NULL;
	char value[2 * PCR_LEN + 1];

	fake_start(&f, FAKE_ERROR);
	c = fake_connect(&f);
	assert_int_equal(nsmtool_describe_pcrs(c, NULL, 0, &j, &err), NK_REMOTE);
	assert_string_equal(err.msg, "the NSM refused DescribePCR: InvalidIndex (no such PCR)");
	assert_null(j);
	assert_int_equal(f.nreq, 1);  /* stops at the first refusal */
	assert_int_equal(nsmtool_extend(c, 40, (const unsigned char *)"x", 1, value, &err), NK_REMOTE);
	assert_string_equal(err.msg, "the NSM refused ExtendPCR: InvalidIndex (no such PCR)");
	assert_int_equal(nsmtool_describe_nsm(c, &j, &err), NK_REMOTE);
	assert_int_equal(nsmtool_random(c, 32, &b, &err), NK_REMOTE);
	assert_string_equal(err.msg, "the NSM refused GetRandom: InvalidIndex (no such PCR)");
	assert_null(b);
	fake_stop(&f, c);
}

/* --- kernel pool and output ------------------------------------------------------- */

static void test_seed_kernel(void **state)
{
	struct nk_err err = { 0 };
	unsigned char bytes[33];
	char p[256], want[512];

	/* Real random bytes: as root they are credited to this machine's pool. */
	assert_int_equal(RAND_bytes(bytes, sizeof bytes), 1);

	path(p, "notadevice");
	write_file(p, "", 0);
	assert_int_equal(nsmtool_seed_kernel(p, bytes, sizeof bytes, &err), NK_IO);
	snprintf(want, sizeof want, "cannot add entropy through '%s': Inappropriate ioctl for device", p);
	assert_string_equal(err.msg, want);
	path(p, "missing");
	assert_int_equal(nsmtool_seed_kernel(p, bytes, sizeof bytes, &err), NK_IO);
	snprintf(want, sizeof want, "cannot open '%s': No such file or directory", p);
	assert_string_equal(err.msg, want);
	assert_int_equal(nsmtool_seed_kernel("/dev/random", bytes, NSMTOOL_RANDOM_MAX + 1, &err), NK_USAGE);
	/* The real pool: root may add, others get the hint. */
	if (geteuid() == 0) {
		if (nsmtool_seed_kernel("/dev/random", bytes, sizeof bytes, &err) == NK_OK)
			return;
		assert_string_equal(err.msg, "--seed-kernel needs root: Operation not permitted");
	} else {
		assert_int_equal(nsmtool_seed_kernel("/dev/random", bytes, sizeof bytes, &err), NK_IO);
		assert_string_equal(err.msg, "--seed-kernel needs root: Operation not permitted");
	}
}

static void read_back(const char *p, char *buf, size_t cap, size_t *n)
{
	FILE *f = fopen(p, "rb");

	assert_non_null(f);
	*n = fread(buf, 1, cap, f);
	fclose(f);
}

static void test_write(void **state)
{
	static const unsigned char in[] = { 0x00, 0x01, 0xfe, 0xff, 'a' };
	struct nk_err err = { 0 };
	char p[256], buf[64];
	struct stat st;
	size_t n;

	path(p, "out");
	assert_int_equal(nsmtool_write(p, in, sizeof in, NSMTOOL_HEX, 0, 0600, &err), NK_OK);
	read_back(p, buf, sizeof buf, &n);
	assert_int_equal(n, 11);
	assert_memory_equal(buf, "0001feff61\n", 11);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* RFC 4648 test vector "foobar" and its 1-byte tail. */
	assert_int_equal(nsmtool_write(p, (const unsigned char *)"foobar", 6, NSMTOOL_BASE64, 0, 0644, &err),
			 NK_OK);
	read_back(p, buf, sizeof buf, &n);
	assert_int_equal(n, 9);
	assert_memory_equal(buf, "Zm9vYmFy\n", 9);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_int_equal(nsmtool_write(p, (const unsigned char *)"f", 1, NSMTOOL_BASE64, 0, 0600, &err), NK_OK);
	read_back(p, buf, sizeof buf, &n);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "Zg==\n", 5);
	assert_int_equal(nsmtool_write(p, in, sizeof in, NSMTOOL_RAW, 0, 0600, &err), NK_OK);
	read_back(p, buf, sizeof buf, &n);
	assert_int_equal(n, sizeof in);
	assert_memory_equal(buf, in, sizeof in);
	path(p, "nodir/out");
	assert_int_equal(nsmtool_write(p, in, sizeof in, NSMTOOL_HEX, 0, 0600, &err), NK_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_field_hex),
		cmocka_unit_test(test_field_file),
		cmocka_unit_test(test_spki_known),
		cmocka_unit_test(test_spki_refused),
		cmocka_unit_test(test_spki_too_large),
		cmocka_unit_test(test_pcr_index),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_describe_all),
		cmocka_unit_test(test_extend),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_nsm_errors),
		cmocka_unit_test(test_seed_kernel),
		cmocka_unit_test(test_write),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
