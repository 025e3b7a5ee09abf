/* Parsing and verifying attestation documents (DESIGN §4.4): the strict
 * reading of untrusted bytes, root pinning, the chain at a chosen time, the
 * COSE signature, and the caller's expectations. */
#include "attest/attest.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util/cborx.h"
#include "util/enc.h"
#include "util/io.h"
#include "util/jsonx.h"
#include "eif/meas.h"
#include "policy/policy.h"

/* The only protected header §4.4 allows: {1: -35} (alg ES384). */
static const unsigned char es384_header[] = { 0xa1, 0x01, 0x38, 0x22 };

/* Base64 of ATTEST_DOC_MAX bytes with a line break every 64 characters, and
 * some slack for CRLFs: anything longer cannot decode to a document. */
#define READ_MAX (ATTEST_DOC_MAX / 3 * 4 * 66 / 64 + 1024)

/* 9999-12-31T23:59:59.999Z: RFC 3339 has four-digit years. */
#define TIME_MAX_MS 253402300799999LL

enum field {
	F_MODULE_ID, F_DIGEST, F_TIMESTAMP, F_PCRS, F_CERTIFICATE, F_CABUNDLE,
	F_PUBLIC_KEY, F_USER_DATA, F_NONCE, F_COUNT
};

static const char *const field_name[F_COUNT] = {
	"module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle",
	"public_key", "user_data", "nonce",
};

int attest_read(const char *path, unsigned char **out, size_t *len, struct nk_err *err)
{
	unsigned char *buf = NULL, *dec = NULL;
	size_t n = 0, dn = 0;
	int rc;

	*out = NULL;
	*len = 0;
	if ((rc = io_read_all(path, READ_MAX, &buf, &n, err)))
		return rc;
	if (n && enc_is_b64_text(buf, n)) {
		/* a raw document starts with 0x84 or 0xd2, never with base64 text */
		if (!(dec = malloc(enc_unb64_max(n) + 1))) {
			rc = err_set(err, NK_IO, "out of memory");
			goto out;
		}
		if ((rc = enc_unb64((const char *)buf, n, dec, &dn, err))) {
			err_prefix(err, "base64");
			goto out;
		}
		free(buf);
		buf = dec;
		n = dn;
		dec = NULL;
	}
	if (n > ATTEST_DOC_MAX) {
		rc = err_set(err, NK_DATA, "too large ('%zu' bytes, at most %d)", n, ATTEST_DOC_MAX);
		goto out;
	}
	*out = buf;
	*len = n;
	buf = NULL;
out:
	free(dec);
	free(buf);
	return rc;
}

void attest_parsed_free(struct attest_parsed *p)
{
	if (!p)
		return;
	if (p->chain)
		for (size_t i = 0; i < p->doc.ncabundle; i++)
			X509_free(p->chain[i]);
	if (p->cabundle)
		for (size_t i = 0; i < p->doc.ncabundle; i++)
			free((void *)p->cabundle[i].p);
	free(p->chain);
	free(p->cabundle);
	X509_free(p->leaf);
	free(p->module_id);
	free(p->certificate);
	free(p->public_key);
	free(p->user_data);
	free(p->nonce);
	cose_sign1_free(&p->cose);
	memset(p, 0, sizeof *p);
}

int attest_is_debug(const struct attest_parsed *p)
{
	return (p->pcr_mask & 1u) && pcr_is_zero(p->pcr[0]);
}

static int fail(struct nk_err *err, enum field f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct nk_err *err, enum field f, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return err_set(err, NK_DATA, "%s: %s", field_name[f], what);
}

/* Decoding a P-384 certificate costs OpenSSL 3 about a fifth of a signature
 * check (the key is decoded eagerly), and a verifier sees the same cabundle in
 * every document of an instance: the last few decoded certificates are kept,
 * keyed by their whole DER.  Only decoding is saved: every document's chain
 * and signature are still verified in full. */
#define CERT_CACHE 16
static struct {
	unsigned char *der;
	size_t len;
	X509 *x;
} cert_cache[CERT_CACHE];
static unsigned cert_cache_next;
static pthread_mutex_t cert_cache_mu = PTHREAD_MUTEX_INITIALIZER;

static X509 *cache_get(const unsigned char *der, size_t len)
{
	X509 *x = NULL;

	pthread_mutex_lock(&cert_cache_mu);
	for (unsigned i = 0; i < CERT_CACHE && !x; i++)
		if (cert_cache[i].x && cert_cache[i].len == len && memcmp(cert_cache[i].der, der, len) == 0 &&
		    X509_up_ref(cert_cache[i].x))
			x = cert_cache[i].x;
	pthread_mutex_unlock(&cert_cache_mu);
	return x;
}

static void cache_put(const unsigned char *der, size_t len, X509 *x)
{
	unsigned char *copy = malloc(len);
	unsigned i;

	if (!copy || !X509_up_ref(x)) {
		free(copy);
		return;
	}
	memcpy(copy, der, len);
	pthread_mutex_lock(&cert_cache_mu);
	i = cert_cache_next++ % CERT_CACHE;
	free(cert_cache[i].der);
	X509_free(cert_cache[i].x);
	cert_cache[i].der = copy;
	cert_cache[i].len = len;
	cert_cache[i].x = x;
	pthread_mutex_unlock(&cert_cache_mu);
}

/* A certificate must be exactly one DER X.509 structure. */
static int der_cert(const unsigned char *der, size_t len, X509 **out)
{
	const unsigned char *q = der;

	if ((*out = cache_get(der, len)))
		return 1;
	*out = d2i_X509(NULL, &q, (long)len);
	ERR_clear_error();
	if (*out && q == der + len) {
		cache_put(der, len, *out);
		return 1;
	}
	X509_free(*out);
	*out = NULL;
	return 0;
}

/* A definite byte string (chunks allowed) of 1..max bytes, copied. */
static int get_bstr(const cbor_item_t *v, enum field f, size_t max, unsigned char **out,
		    size_t *len, struct nk_err *err)
{
	int rc;

	if (!cbor_isa_bytestring(v))
		return fail(err, f, "expected a byte string, got %s", cborx_type_name(v));
	if ((rc = cborx_get_bytes(v, max, out, len, err)))
		return err_prefix(err, "%s", field_name[f]);
	return NK_OK;
}

static int get_opt(const cbor_item_t *v, enum field f, unsigned char **buf,
		   struct attest_bytes *b, struct nk_err *err)
{
	size_t n = 0;
	int rc;

	if (cborx_is_null(v))
		return NK_OK;
	if (!cbor_isa_bytestring(v))
		return fail(err, f, "expected a byte string or null, got %s", cborx_type_name(v));
	if ((rc = get_bstr(v, f, ATTEST_FIELD_MAX, buf, &n, err)))
		return rc;
	*b = (struct attest_bytes){ *buf, n, 1 };
	return NK_OK;
}

static int get_module_id(const cbor_item_t *v, struct attest_parsed *p, struct nk_err *err)
{
	size_t n;
	json_t *probe;

	if (!cbor_isa_string(v) || !cbor_string_is_definite(v))
		return fail(err, F_MODULE_ID, "expected a text string, got %s", cborx_type_name(v));
	n = cbor_string_length(v);
	if (!n || n > 256)
		return fail(err, F_MODULE_ID, "length %s", n ? "over 256 bytes" : "zero");
	/* jansson refuses invalid UTF-8: test it here, not when printing */
	probe = json_stringn((const char *)cbor_string_handle(v), n);
	if (!probe || memchr(cbor_string_handle(v), 0, n)) {
		json_decref(probe);
		return fail(err, F_MODULE_ID, "%s", "not valid UTF-8 text");
	}
	json_decref(probe);
	if (!(p->module_id = strndup((const char *)cbor_string_handle(v), n)))
		return err_set(err, NK_IO, "out of memory");
	p->doc.module_id = p->module_id;
	return NK_OK;
}

static int get_pcrs(const cbor_item_t *v, struct attest_parsed *p, struct nk_err *err)
{
	struct cbor_pair *kv;
	char idx[24];
	unsigned hi = 0;
	size_t n;

	if (!cbor_isa_map(v))
		return fail(err, F_PCRS, "expected a map, got %s", cborx_type_name(v));
	kv = cbor_map_handle(v);
	n = cbor_map_size(v);
	for (size_t i = 0; i < n; i++) {
		uint64_t k;

		if (!cbor_isa_uint(kv[i].key))
			return fail(err, F_PCRS, "expected unsigned integer keys, got %s",
				    cborx_type_name(kv[i].key));
		k = cbor_get_int(kv[i].key);
		snprintf(idx, sizeof idx, "%llu", (unsigned long long)k);
		if (k >= PCR_COUNT)
			return fail(err, F_PCRS, "index '%s' out of range (0-31)", idx);
		if (p->pcr_mask & (1u << k))
			return fail(err, F_PCRS, "duplicate PCR%s", idx);
		if (!cbor_isa_bytestring(kv[i].value))
			return err_set(err, NK_DATA, "pcrs: PCR%s: expected a byte string, got %s", idx,
				       cborx_type_name(kv[i].value));
		if (cborx_get_bytes_exact(kv[i].value, p->pcr[k], PCR_LEN, err))
			return err_prefix(err, "pcrs: PCR%s", idx);
		p->pcr_mask |= 1u << k;
		if (k + 1 > hi)
			hi = (unsigned)k + 1;
	}
	p->doc.pcrs = (const unsigned char (*)[PCR_LEN])p->pcr;
	p->doc.npcrs = hi;
	return NK_OK;
}

static int get_cabundle(const cbor_item_t *v, struct attest_parsed *p, struct nk_err *err)
{
	cbor_item_t **a;
	size_t n;
	char idx[24];
	int rc;

	if (!cbor_isa_array(v))
		return fail(err, F_CABUNDLE, "expected an array, got %s", cborx_type_name(v));
	n = cbor_array_size(v);
	a = cbor_array_handle(v);
	if (!n)
		return fail(err, F_CABUNDLE, "%s", "empty");
	p->cabundle = calloc(n, sizeof *p->cabundle);
	p->chain = calloc(n, sizeof *p->chain);
	if (!p->cabundle || !p->chain)
		return err_set(err, NK_IO, "out of memory");
	p->doc.cabundle = p->cabundle;
	for (size_t i = 0; i < n; i++) {
		unsigned char *der = NULL;
		size_t len = 0;

		p->doc.ncabundle = i + 1;  /* what attest_parsed_free walks */
		snprintf(idx, sizeof idx, "%zu", i);
		if (!cbor_isa_bytestring(a[i]))
			return err_set(err, NK_DATA, "cabundle[%s]: expected a byte string, got %s", idx,
				       cborx_type_name(a[i]));
		if ((rc = cborx_get_bytes(a[i], ATTEST_DOC_MAX, &der, &len, err)))
			return err_prefix(err, "cabundle[%s]", idx);
		p->cabundle[i] = (struct attest_bytes){ der, len, 1 };
		if (!der_cert(der, len, &p->chain[i]))
			return err_set(err, NK_DATA, "cabundle[%s]: not a DER X.509 certificate", idx);
	}
	return NK_OK;
}

/* The nine fields of the payload map, each exactly once and nothing else. */
static int payload_fields(const cbor_item_t *m, const cbor_item_t *f[F_COUNT], struct nk_err *err)
{
	struct cbor_pair *kv;
	size_t n;

	if (!cbor_isa_map(m))
		return err_set(err, NK_DATA, "payload: expected a map, got %s", cborx_type_name(m));
	kv = cbor_map_handle(m);
	n = cbor_map_size(m);
	for (size_t i = 0; i < n; i++) {
		const cbor_item_t *k = kv[i].key;
		int j;

		if (!cbor_isa_string(k) || !cbor_string_is_definite(k))
			return err_set(err, NK_DATA, "payload: expected text keys, got %s",
				       cborx_type_name(k));
		for (j = 0; j < F_COUNT; j++)
			if (cborx_text_eq(k, field_name[j]))
				break;
		if (j == F_COUNT)
			return err_set(err, NK_DATA, "payload: unknown key '%.*s'",
				       (int)(cbor_string_length(k) > 64 ? 64 : cbor_string_length(k)),
				       (const char *)cbor_string_handle(k));
		if (f[j])
			return err_set(err, NK_DATA, "payload: duplicate key '%s'", field_name[j]);
		f[j] = kv[i].value;
	}
	for (int j = 0; j < F_COUNT; j++)
		if (!f[j])
			return err_set(err, NK_DATA, "payload: no '%s'", field_name[j]);
	return NK_OK;
}

static int parse_payload(const cbor_item_t *m, struct attest_parsed *p, struct nk_err *err)
{
	const cbor_item_t *f[F_COUNT] = { 0 };
	size_t n = 0;
	int rc;

	if ((rc = payload_fields(m, f, err)) || (rc = get_module_id(f[F_MODULE_ID], p, err)))
		return rc;
	if (!cbor_isa_string(f[F_DIGEST]))
		return fail(err, F_DIGEST, "expected a text string, got %s", cborx_type_name(f[F_DIGEST]));
	if (!cborx_text_eq(f[F_DIGEST], ATTEST_DIGEST))
		return fail(err, F_DIGEST, "expected '%s'", ATTEST_DIGEST);
	if (!cbor_isa_uint(f[F_TIMESTAMP]))
		return fail(err, F_TIMESTAMP, "expected an unsigned integer, got %s",
			    cborx_type_name(f[F_TIMESTAMP]));
	p->doc.timestamp = cbor_get_int(f[F_TIMESTAMP]);
	if (p->doc.timestamp > (uint64_t)TIME_MAX_MS)
		return fail(err, F_TIMESTAMP, "%s", "after the year 9999");
	if ((rc = get_pcrs(f[F_PCRS], p, err)))
		return rc;
	if ((rc = get_bstr(f[F_CERTIFICATE], F_CERTIFICATE, ATTEST_DOC_MAX, &p->certificate, &n, err)))
		return rc;
	p->doc.certificate = p->certificate;
	p->doc.certificate_len = n;
	if (!der_cert(p->certificate, n, &p->leaf))
		return fail(err, F_CERTIFICATE, "%s", "not a DER X.509 certificate");
	if ((rc = get_cabundle(f[F_CABUNDLE], p, err)) ||
	    (rc = get_opt(f[F_PUBLIC_KEY], F_PUBLIC_KEY, &p->public_key, &p->doc.public_key, err)) ||
	    (rc = get_opt(f[F_USER_DATA], F_USER_DATA, &p->user_data, &p->doc.user_data, err)) ||
	    (rc = get_opt(f[F_NONCE], F_NONCE, &p->nonce, &p->doc.nonce, err)))
		return rc;
	return NK_OK;
}

int attest_parse(const unsigned char *in, size_t len, struct attest_parsed *p, struct nk_err *err)
{
	cbor_item_t *m = NULL;
	int rc;

	memset(p, 0, sizeof *p);
	if (len > ATTEST_DOC_MAX)
		return err_set(err, NK_DATA, "too large ('%zu' bytes, at most %d)", len, ATTEST_DOC_MAX);
	if ((rc = cose_sign1_parse(in, len, &p->cose, err)))
		return rc;
	if (p->cose.prot_len != sizeof es384_header ||
	    memcmp(p->cose.prot, es384_header, sizeof es384_header) != 0)
		return err_set(err, NK_DATA, "protected header is not exactly ES384 (a1 01 38 22)");
	if ((rc = cborx_load(p->cose.payload, p->cose.payload_len, ATTEST_DOC_MAX, &m, err))) {
		err_prefix(err, "payload");
		goto out;
	}
	rc = parse_payload(m, p, err);
out:
	if (m)
		cbor_decref(&m);
	return rc;
}

/* ---- verification ---- */

static void check_done(struct attest_checks *c, const char *name)
{
	if (c && c->n < ATTEST_CHECKS_MAX)
		snprintf(c->name[c->n++], sizeof c->name[0], "%s", name);
}

void attest_verifier_free(struct attest_verifier *v)
{
	if (!v)
		return;
	X509_STORE_free(v->store);
	X509_free(v->root);
	OPENSSL_free(v->root_der);
	memset(v, 0, sizeof *v);
}

int attest_verifier_init(struct attest_verifier *v, const char *pem, size_t len,
			 const char *label, struct nk_err *err)
{
	BIO *b;
	int n;

	memset(v, 0, sizeof *v);
	if (!pem) {
		pem = attest_aws_root_g1_pem;
		len = strlen(pem);
		label = ATTEST_AWS_ROOT_NAME;
	}
	snprintf(v->label, sizeof v->label, "%s", label);
	if (len > INT_MAX || !(b = BIO_new_mem_buf(pem, (int)len)))
		return err_set(err, NK_IO, "out of memory");
	v->root = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	if (!v->root)
		return err_set_ssl(err, NK_DATA, "%s: no PEM certificate", label);
	n = i2d_X509(v->root, &v->root_der);
	v->store = X509_STORE_new();
	if (n <= 0 || !v->store || !X509_STORE_add_cert(v->store, v->root)) {
		attest_verifier_free(v);
		return err_set_ssl(err, NK_IO, "cannot set up the certificate store");
	}
	v->root_der_len = (size_t)n;
	return NK_OK;
}

static int is_p384(EVP_PKEY *k)
{
	char name[32];
	size_t n = 0;

	return k && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
	       EVP_PKEY_get_group_name(k, name, sizeof name, &n) &&
	       (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0);
}

static int verify_chain(const struct attest_verifier *v, const struct attest_parsed *p, time_t at,
			struct nk_err *err)
{
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	char when[32];
	int rc = NK_OK, ok;

	if (!untrusted || !ctx) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	for (size_t i = 1; i < p->doc.ncabundle; i++)
		if (!sk_X509_push(untrusted, p->chain[i])) {
			rc = err_set(err, NK_IO, "out of memory");
			goto out;
		}
	if (!X509_STORE_CTX_init(ctx, v->store, p->leaf, untrusted)) {
		rc = err_set_ssl(err, NK_IO, "cannot set up the chain verification");
		goto out;
	}
	X509_STORE_CTX_set_time(ctx, 0, at);
	ok = X509_verify_cert(ctx) == 1;
	ERR_clear_error();
	if (!ok) {
		attest_format_time((int64_t)at * 1000, when);
		when[19] = 'Z';  /* whole seconds: that is what was checked */
		when[20] = '\0';
		rc = err_set(err, NK_NEGATIVE, "certificate chain failed: %s (at %s)",
			     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)), when);
	}
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted);  /* the certificates are p's */
	return rc;
}

int attest_verify(const struct attest_verifier *v, const struct attest_parsed *p, time_t at,
		  struct attest_checks *checks, struct nk_err *err)
{
	EVP_PKEY *key;
	int rc, ok = 0;

	check_done(checks, "structure");
	if (p->cabundle[0].len != v->root_der_len ||
	    memcmp(p->cabundle[0].p, v->root_der, v->root_der_len) != 0)
		return err_set(err, NK_NEGATIVE, "root failed: cabundle[0] is not the pinned root (%s)",
			       v->label);
	check_done(checks, "root");
	if ((rc = verify_chain(v, p, at, err)))
		return rc;
	check_done(checks, "chain");
	key = X509_get0_pubkey(p->leaf);
	ERR_clear_error();
	if (!is_p384(key))
		return err_set(err, NK_NEGATIVE, "signature failed: the leaf key is not a P-384 key");
	if ((rc = cose_sign1_check(&p->cose, key, &ok, err)))
		return rc;
	if (!ok)
		return err_set(err, NK_NEGATIVE,
			       "signature failed: the COSE signature does not verify with the leaf key");
	check_done(checks, "signature");
	return NK_OK;
}

/* ---- expectations ---- */

/* "none", or hex of the first bytes ("…" when cut) and the length. */
static void show(const struct attest_bytes *b, char *out, size_t size)
{
	char hex[2 * 24 + 1];
	size_t n = b->len > 24 ? 24 : b->len;

	if (!b->present) {
		snprintf(out, size, "none");
		return;
	}
	enc_hex(b->p, n, hex);
	snprintf(out, size, "%s%s (%zu byte%s)", hex, n < b->len ? "…" : "", b->len, b->len == 1 ? "" : "s");
}

static int bytes_eq(const struct attest_bytes *a, const struct attest_bytes *b)
{
	return a->present == b->present && a->len == b->len && (!a->len || memcmp(a->p, b->p, a->len) == 0);
}

static int check_bytes(const char *name, const struct attest_bytes *want,
		       const struct attest_bytes *have, struct attest_checks *checks, struct nk_err *err)
{
	char w[96], h[96];

	if (!want->present)
		return NK_OK;
	if (!bytes_eq(want, have)) {
		show(want, w, sizeof w);
		show(have, h, sizeof h);
		return err_set(err, NK_NEGATIVE, "%s failed: expected %s, document has %s", name, w, h);
	}
	check_done(checks, name);
	return NK_OK;
}

/* A public key from PEM or DER (SubjectPublicKeyInfo, or a private key's). */
static EVP_PKEY *load_key(const struct attest_bytes *b)
{
	EVP_PKEY *k = NULL;
	const unsigned char *q = b->p;
	BIO *bio;

	if (!b->present || !b->len || b->len > INT_MAX)
		return NULL;
	if ((k = d2i_PUBKEY(NULL, &q, (long)b->len)) && q == b->p + b->len)
		goto out;
	EVP_PKEY_free(k);
	k = NULL;
	if ((bio = BIO_new_mem_buf(b->p, (int)b->len))) {
		k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
		if (!k && BIO_reset(bio) == 1)
			k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
		BIO_free(bio);
	}
out:
	ERR_clear_error();
	return k;
}

/* The document's public_key is opaque bytes (nsm-attest writes DER SPKI,
 * other SDKs PEM): the same bytes match, and so does the same key. */
static int check_public_key(const struct attest_bytes *want, const struct attest_bytes *have,
			    struct attest_checks *checks, struct nk_err *err)
{
	EVP_PKEY *a, *b;
	int same;

	if (!want->present || bytes_eq(want, have))
		return check_bytes("public_key", want, have, checks, err);
	a = load_key(want);
	b = load_key(have);
	same = a && b && EVP_PKEY_eq(a, b) == 1;
	EVP_PKEY_free(a);
	EVP_PKEY_free(b);
	ERR_clear_error();
	if (!same)
		return check_bytes("public_key", want, have, checks, err);  /* says how they differ */
	check_done(checks, "public_key");
	return NK_OK;
}

int attest_expect_pcr(struct attest_expect *e, unsigned i, const unsigned char v[PCR_LEN],
		      struct nk_err *err)
{
	if (i >= PCR_COUNT)
		return err_set(err, NK_USAGE, "PCR%u out of range (0-31)", i);
	if ((e->pcr_mask & (1u << i)) && memcmp(e->pcr[i], v, PCR_LEN) != 0)
		return err_set(err, NK_USAGE, "two different values expected for PCR%u", i);
	e->pcr_mask |= 1u << i;
	memcpy(e->pcr[i], v, PCR_LEN);
	return NK_OK;
}

int attest_expect_pcr_arg(struct attest_expect *e, const char *arg, struct nk_err *err)
{
	const char *eq = strchr(arg, '=');
	unsigned char v[PCR_LEN];
	size_t n = 0, digits_len = eq ? (size_t)(eq - arg) : 0;
	unsigned long i;

	if (!digits_len || digits_len > 2 || strspn(arg, "0123456789") != digits_len ||
	    (i = strtoul(arg, NULL, 10)) >= PCR_COUNT || strlen(eq + 1) != PCR_HEX_LEN ||
	    enc_unhex(eq + 1, v, PCR_LEN, &n, NULL))
		return err_set(err, NK_USAGE, "invalid value '%s' for --expect-pcr: expected N=HEX "
			       "(N from 0 to 31, 96 hex digits)", arg);
	return attest_expect_pcr(e, (unsigned)i, v, err);
}

int attest_expect_measurements(struct attest_expect *e, const char *path, struct nk_err *err)
{
	struct meas m;
	int rc;

	if ((rc = meas_load(path, &m, err)))
		return rc;
	if (!meas_count(&m))
		return err_set(err, NK_DATA, "'%s': no PCR values", io_name(path));
	for (unsigned i = 0; i < PCR_COUNT; i++)
		if (m.have[i] && (rc = attest_expect_pcr(e, i, m.pcr[i], err)))
			return rc;
	return NK_OK;
}

int attest_check_expectations(const struct attest_parsed *p, const struct attest_expect *e,
			      struct attest_checks *checks, struct nk_err *err)
{
	const struct attest_doc *d = &p->doc;
	char name[16], want[PCR_HEX_LEN + 1], have[PCR_HEX_LEN + 1];
	int64_t age;
	int rc;

	if (e->pcr_mask && !e->allow_debug) {
		if (attest_is_debug(p))
			return err_set(err, NK_NEGATIVE, "debug failed: debug-mode document (all-zero PCR0) "
				       "and PCR expectations given (use --allow-debug)");
		check_done(checks, "debug");
	}
	for (unsigned i = 0; i < PCR_COUNT; i++) {
		if (!(e->pcr_mask & (1u << i)))
			continue;
		snprintf(name, sizeof name, "PCR%u", i);
		enc_hex(e->pcr[i], PCR_LEN, want);
		if (!(p->pcr_mask & (1u << i)))
			return err_set(err, NK_NEGATIVE, "%s failed: expected %s, the document has no %s",
				       name, want, name);
		if (memcmp(p->pcr[i], e->pcr[i], PCR_LEN) != 0) {
			enc_hex(p->pcr[i], PCR_LEN, have);
			return err_set(err, NK_NEGATIVE, "%s failed: expected %s, document has %s", name,
				       want, have);
		}
		check_done(checks, name);
	}
	if ((rc = check_bytes("nonce", &e->nonce, &d->nonce, checks, err)) ||
	    (rc = check_bytes("user_data", &e->user_data, &d->user_data, checks, err)) ||
	    (rc = check_public_key(&e->public_key, &d->public_key, checks, err)))
		return rc;
	if (e->max_age >= 0) {
		age = e->at_ms - (int64_t)d->timestamp;
		if (age < -5 * 60 * 1000)
			return err_set(err, NK_NEGATIVE, "max-age failed: the document is dated %lld s "
				       "in the future", (long long)(-age / 1000));
		if (age > e->max_age * 1000)
			return err_set(err, NK_NEGATIVE, "max-age failed: the document is %lld s old, "
				       "more than %lld", (long long)(age / 1000), (long long)e->max_age);
		check_done(checks, "max-age");
	}
	return NK_OK;
}

/* ---- time ---- */

void attest_format_time(int64_t ms, char *out)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || !gmtime_r(&s, &tm)) {
		snprintf(out, 32, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

/* n digits at s into *v; 0 when they are not all digits. */
static int digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		*v = *v * 10 + (s[i] - '0');
	}
	return 1;
}

int attest_parse_time(const char *s, int64_t *ms, struct nk_err *err)
{
	struct tm tm = { 0 };
	const char *q = s + 19;
	int y, mo, d, h, mi, sec, frac = 0, off = 0, oh, om;
	time_t t;

	if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		goto bad;
	if (*q == '.') {
		int n = 0;

		for (q++; *q >= '0' && *q <= '9'; q++, n++)
			if (n < 3)
				frac = frac * 10 + (*q - '0');
		if (!n)
			goto bad;
		for (; n < 3; n++)
			frac *= 10;
	}
	if ((*q == 'Z' || *q == 'z') && !q[1]) {
		off = 0;
	} else if ((*q == '+' || *q == '-') && strlen(q) == 6 && digits(q + 1, 2, &oh) && q[3] == ':' &&
		   digits(q + 4, 2, &om) && oh < 24 && om < 60) {
		off = (oh * 60 + om) * 60 * (*q == '-' ? -1 : 1);
	} else {
		goto bad;
	}
	/* a leap second (60) is read as the next second's start, as timegm would */
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (tm.tm_mday != d && sec != 60)  /* timegm normalised a 31 April */
		goto bad;
	*ms = ((int64_t)t - off) * 1000 + frac;
	return NK_OK;
bad:
	return err_set(err, NK_USAGE, "invalid time '%s': expected now, doc or RFC 3339 "
		       "(2022-10-12T13:50:06Z)", s);
}

/* ---- output ---- */

static json_t *hex_or_null(const struct attest_bytes *b)
{
	return b->present ? jsonx_hex(b->p, b->len) : json_null();
}

/* RFC 2253 text of a name; NULL when out of memory. */
static json_t *name_json(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long len;
	json_t *j = NULL;

	if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_get_mem_data(b, &p)) >= 0)
		j = json_stringn(p, (size_t)len);
	if (!j)  /* not UTF-8 after all: show it escaped */
		j = (BIO_reset(b) == 1 && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
		     (len = BIO_get_mem_data(b, &p)) >= 0) ? json_stringn(p, (size_t)len) : NULL;
	BIO_free(b);
	ERR_clear_error();
	return j;
}

static json_t *asn1_time_json(const ASN1_TIME *t)
{
	struct tm tm;
	char s[32];

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return json_null();
	snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return json_string(s);
}

static json_t *serial_json(const ASN1_INTEGER *a)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(a, NULL);
	unsigned char buf[64];
	char hex[2 * sizeof buf + 2];
	int n = bn ? BN_num_bytes(bn) : -1;
	json_t *j = NULL;

	if (n >= 0 && n <= (int)sizeof buf) {
		BN_bn2bin(bn, buf);
		hex[0] = '-';
		enc_hex(buf, (size_t)n, hex + 1);
		j = json_string(n ? hex + !BN_is_negative(bn) : "00");
	}
	BN_free(bn);
	ERR_clear_error();
	return j ? j : json_null();
}

static int put(json_t *o, const char *k, json_t *v)
{
	return v && json_object_set_new(o, k, v) == 0;
}

int attest_to_json(const struct attest_parsed *p, int verified, const struct attest_checks *checks,
		   json_t **out, struct nk_err *err)
{
	json_t *o = json_object(), *pcrs = json_object(), *cert = json_object(),
	       *bundle = json_array(), *ch = json_array();
	char t[32], hex[PCR_HEX_LEN + 1], idx[8];
	int ok = o && pcrs && cert && bundle && ch;

	attest_format_time((int64_t)p->doc.timestamp, t);
	for (unsigned i = 0; ok && i < PCR_COUNT; i++) {
		if (!(p->pcr_mask & (1u << i)))
			continue;
		snprintf(idx, sizeof idx, "%u", i);
		enc_hex(p->pcr[i], PCR_LEN, hex);
		ok = put(pcrs, idx, json_string(hex));
	}
	for (size_t i = 0; ok && i < p->doc.ncabundle; i++)
		ok = json_array_append_new(bundle, name_json(X509_get_subject_name(p->chain[i]))) == 0;
	for (unsigned i = 0; ok && checks && i < checks->n; i++)
		ok = json_array_append_new(ch, json_string(checks->name[i])) == 0;
	ok = ok && put(cert, "subject", name_json(X509_get_subject_name(p->leaf))) &&
	     put(cert, "serial", serial_json(X509_get0_serialNumber(p->leaf))) &&
	     put(cert, "not_before", asn1_time_json(X509_get0_notBefore(p->leaf))) &&
	     put(cert, "not_after", asn1_time_json(X509_get0_notAfter(p->leaf)));
	ok = ok && put(o, "verified", json_boolean(verified)) &&
	     put(o, "module_id", json_string(p->module_id)) &&
	     put(o, "timestamp", json_integer((json_int_t)p->doc.timestamp)) &&
	     put(o, "time", json_string(t)) && put(o, "digest", json_string(ATTEST_DIGEST)) &&
	     put(o, "pcrs", json_incref(pcrs)) && put(o, "debug", json_boolean(attest_is_debug(p))) &&
	     put(o, "public_key", hex_or_null(&p->doc.public_key)) &&
	     put(o, "user_data", hex_or_null(&p->doc.user_data)) &&
	     put(o, "nonce", hex_or_null(&p->doc.nonce)) && put(o, "certificate", json_incref(cert)) &&
	     put(o, "cabundle", json_incref(bundle)) && put(o, "checks", json_incref(ch));
	json_decref(pcrs);
	json_decref(cert);
	json_decref(bundle);
	json_decref(ch);
	if (!ok) {
		json_decref(o);
		*out = NULL;
		return err_set(err, NK_IO, "out of memory");
	}
	*out = o;
	return NK_OK;
}

static void text_value(const json_t *v, FILE *f)
{
	if (json_is_string(v))
		fputs(json_string_value(v), f);
	else if (json_is_integer(v))
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		fputs(json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null", f);
}

int attest_print_text(const json_t *j, FILE *f, struct nk_err *err)
{
	const char *k, *k2;
	json_t *v, *v2;
	size_t i;

	json_object_foreach((json_t *)j, k, v) {
		if (json_is_object(v)) {
			json_object_foreach(v, k2, v2) {
				/* pcrs.3 reads better as PCR3 */
				if (strcmp(k, "pcrs") == 0)
					fprintf(f, "PCR%s: ", k2);
				else
					fprintf(f, "%s.%s: ", k, k2);
				text_value(v2, f);
				fputc('\n', f);
			}
		} else if (json_is_array(v) && !strcmp(k, "checks")) {
			fprintf(f, "checks:");
			json_array_foreach(v, i, v2)
				fprintf(f, "%s%s", i ? ", " : " ", json_string_value(v2));
			fputs(json_array_size(v) ? "\n" : " none\n", f);
		} else if (json_is_array(v)) {
			json_array_foreach(v, i, v2) {
				fprintf(f, "%s[%zu]: ", k, i);
				text_value(v2, f);
				fputc('\n', f);
			}
		} else {
			fprintf(f, "%s: ", k);
			text_value(v, f);
			fputc('\n', f);
		}
	}
	if (ferror(f))
		return err_set(err, NK_IO, "write error on standard output:");
	return NK_OK;
}

size_t attest_context(const struct attest_parsed *p, struct attest_ctx *c)
{
	size_t n = 0;

	if (p->pcr_mask & 1u) {
		snprintf(c->key[n], sizeof c->key[0], "%s", POLICY_IMAGE_KEY);
		enc_hex(p->pcr[0], PCR_LEN, c->value[n++]);
	}
	for (unsigned i = 0; i < PCR_COUNT; i++) {
		if (!(p->pcr_mask & (1u << i)))
			continue;
		snprintf(c->key[n], sizeof c->key[0], "%sPCR%u", POLICY_KEY_PREFIX, i);
		enc_hex(p->pcr[i], PCR_LEN, c->value[n++]);
	}
	return n;
}
