/* The caller's expectations of an attestation document: PCR values (given
 * one by one or as pcr-compute's measurements file), nonce, user data,
 * public key, debug mode and maximum age.  The document must have been
 * parsed; whether it was verified is the caller's business. */
#include "attest/attest_expect.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "util/enc.h"
#include "util/io.h"
#include "eif/meas.h"

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
	attest_checks_add(checks, name);
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
	attest_checks_add(checks, "public_key");
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
		attest_checks_add(checks, "debug");
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
		attest_checks_add(checks, name);
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
		attest_checks_add(checks, "max-age");
	}
	return NK_OK;
}
