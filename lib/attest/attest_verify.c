/* Verifying a parsed attestation document (DESIGN §4.4): root pinning, the
 * certificate chain at a chosen time, and the COSE signature. */
#include "attest/attest_verify.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "attest/attest_time.h"

void attest_checks_add(struct attest_checks *c, const char *name)
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

	attest_checks_add(checks, "structure");
	if (p->cabundle[0].len != v->root_der_len ||
	    memcmp(p->cabundle[0].p, v->root_der, v->root_der_len) != 0)
		return err_set(err, NK_NEGATIVE, "root failed: cabundle[0] is not the pinned root (%s)",
			       v->label);
	attest_checks_add(checks, "root");
	if ((rc = verify_chain(v, p, at, err)))
		return rc;
	attest_checks_add(checks, "chain");
	key = X509_get0_pubkey(p->leaf);
	ERR_clear_error();
	if (!is_p384(key))
		return err_set(err, NK_NEGATIVE, "signature failed: the leaf key is not a P-384 key");
	if ((rc = cose_sign1_check(&p->cose, key, &ok, err)))
		return rc;
	if (!ok)
		return err_set(err, NK_NEGATIVE,
			       "signature failed: the COSE signature does not verify with the leaf key");
	attest_checks_add(checks, "signature");
	return NK_OK;
}
