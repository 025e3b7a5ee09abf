/* Reading and parsing attestation documents (DESIGN §4.4): the strict
 * reading of untrusted bytes into a struct attest_parsed, with the signing
 * certificates decoded once (and cached across documents).  Nothing here
 * decides whether the document is to be trusted: that is attest_verify. */
#include "attest/attest.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <jansson.h>
#include <openssl/err.h>

#include "util/cborx.h"
#include "util/enc.h"
#include "util/io.h"
#include "attest/attest_time.h"

/* The only protected header §4.4 allows: {1: -35} (alg ES384). */
static const unsigned char es384_header[] = { 0xa1, 0x01, 0x38, 0x22 };

/* Base64 of ATTEST_DOC_MAX bytes with a line break every 64 characters, and
 * some slack for CRLFs: anything longer cannot decode to a document. */
#define READ_MAX (ATTEST_DOC_MAX / 3 * 4 * 66 / 64 + 1024)

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
	if (p->doc.timestamp > (uint64_t)ATTEST_TIME_MAX_MS)
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
