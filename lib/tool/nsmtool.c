#include "tool/nsmtool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/random.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "tool/cli.h"
#include "util/enc.h"
#include "util/io.h"
#include "util/jsonx.h"

void nsmtool_field_free(struct nsmtool_field *f)
{
	if (!f)
		return;
	free(f->p);
	memset(f, 0, sizeof *f);
}

struct nsm_bytes nsmtool_field_bytes(const struct nsmtool_field *f)
{
	struct nsm_bytes b = { f->p, f->len, f->present };

	return b;
}

int nsmtool_field_file(const char *path, size_t max, struct nsmtool_field *f, struct nk_err *err)
{
	int rc;

	nsmtool_field_free(f);
	rc = io_read_all(path, max, &f->p, &f->len, err);
	if (rc)
		return rc;
	f->present = 1;
	return NK_OK;
}

/* Long values are cut in messages: the reason must survive the 512-byte limit. */
static void short_value(const char *s, char *out, size_t n)
{
	if (strlen(s) > 40)
		snprintf(out, n, "%.32s...", s);
	else
		snprintf(out, n, "%s", s);
}

int nsmtool_field_hex(const char *hex, const char *opt, size_t max, struct nsmtool_field *f,
		      struct nk_err *err)
{
	size_t n = strlen(hex);
	char shown[48];
	struct nk_err why;

	nsmtool_field_free(f);
	short_value(hex, shown, sizeof shown);
	if ((n + 1) / 2 > max)
		return err_set(err, NK_DATA, "invalid value '%s' for --%s: too long (%zu bytes, at most %zu)",
			       shown, opt, (n + 1) / 2, max);
	if (!(f->p = malloc(n / 2 + 1)))
		return err_set(err, NK_IO, "out of memory");
	if (enc_unhex(hex, f->p, max, &f->len, &why)) {
		nsmtool_field_free(f);
		return err_set(err, NK_USAGE, "invalid value '%s' for --%s: %s", shown, opt, why.msg);
	}
	f->present = 1;
	return NK_OK;
}

/* --- public keys ----------------------------------------------------------- */

static int spki_out(EVP_PKEY *pk, const char *name, struct nsmtool_field *f, struct nk_err *err)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);

	if (n <= 0)
		return err_set_ssl(err, NK_DATA, "cannot encode the public key of '%s'", name);
	if ((size_t)n > NSM_FIELD_MAX) {
		OPENSSL_free(der);
		return err_set(err, NK_DATA, "the public key in '%s' is too large (%d bytes of DER, at most %d)",
			       name, n, NSM_FIELD_MAX);
	}
	f->p = malloc((size_t)n);
	if (!f->p) {
		OPENSSL_free(der);
		return err_set(err, NK_IO, "out of memory");
	}
	memcpy(f->p, der, (size_t)n);
	f->len = (size_t)n;
	f->present = 1;
	OPENSSL_free(der);
	return NK_OK;
}

static int not_a_cert(const char *name, struct nk_err *err)
{
	return err_set(err, NK_DATA, "'%s' is a certificate, not a public key "
		       "(extract it with: openssl x509 -pubkey -noout -in '%s')", name, name);
}

static int not_a_private_key(const char *name, struct nk_err *err)
{
	return err_set(err, NK_DATA, "'%s' is a private key: give its public key "
		       "(openssl pkey -pubout -in '%s')", name, name);
}

/* DER SubjectPublicKeyInfo, and only that: every byte consumed. */
static EVP_PKEY *der_pubkey(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)len);

	if (pk && p != der + len) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

static int der_is_cert(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	int yes = x != NULL;

	X509_free(x);
	return yes;
}

static int der_is_private_key(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	EVP_PKEY *pk = d2i_AutoPrivateKey(NULL, &p, (long)len);
	int yes = pk != NULL;

	EVP_PKEY_free(pk);
	return yes;
}

static int from_der(const unsigned char *der, size_t len, const char *name, struct nsmtool_field *f,
		    struct nk_err *err)
{
	EVP_PKEY *pk = der_pubkey(der, len);
	int rc;

	if (pk) {
		rc = spki_out(pk, name, f, err);
		EVP_PKEY_free(pk);
		return rc;
	}
	if (der_is_cert(der, len))
		rc = not_a_cert(name, err);
	else if (der_is_private_key(der, len))
		rc = not_a_private_key(name, err);
	else
		rc = err_set(err, NK_DATA, "'%s' is not a public key (expected PEM or DER SubjectPublicKeyInfo)",
			     name);
	ERR_clear_error();
	return rc;
}

static int from_pem(const unsigned char *buf, size_t len, const char *name, struct nsmtool_field *f,
		    struct nk_err *err)
{
	BIO *bio = BIO_new_mem_buf(buf, (int)len);
	char *label = NULL, *header = NULL;
	unsigned char *der = NULL;
	const unsigned char *p;
	EVP_PKEY *pk = NULL;
	long dlen = 0;
	int rc;

	if (!bio)
		return err_set(err, NK_IO, "out of memory");
	if (!PEM_read_bio(bio, &label, &header, &der, &dlen)) {
		rc = err_set_ssl(err, NK_DATA, "'%s': malformed PEM", name);
		goto out;
	}
	p = der;
	if (strcmp(label, "PUBLIC KEY") == 0) {
		pk = der_pubkey(der, (size_t)dlen);
	} else if (strcmp(label, "RSA PUBLIC KEY") == 0) {
		/* PKCS#1, as `openssl rsa -RSAPublicKey_out` writes it. */
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, dlen);
	} else if (strstr(label, "CERTIFICATE")) {
		rc = not_a_cert(name, err);
		goto out;
	} else if (strstr(label, "PRIVATE KEY")) {
		rc = not_a_private_key(name, err);
		goto out;
	} else {
		rc = err_set(err, NK_DATA, "'%s' holds a PEM '%s' block, not a public key", name, label);
		goto out;
	}
	if (!pk) {
		rc = err_set_ssl(err, NK_DATA, "'%s': malformed %s", name, label);
		goto out;
	}
	rc = spki_out(pk, name, f, err);
out:
	ERR_clear_error();
	EVP_PKEY_free(pk);
	OPENSSL_free(label);
	OPENSSL_free(header);
	OPENSSL_free(der);
	BIO_free(bio);
	return rc;
}

int nsmtool_spki_from_buf(const unsigned char *buf, size_t len, const char *name,
			  struct nsmtool_field *f, struct nk_err *err)
{
	nsmtool_field_free(f);
	if (len == 0)
		return err_set(err, NK_DATA, "'%s' is empty (expected a public key)", name);
	if (len > NSMTOOL_KEYFILE_MAX)
		return err_set(err, NK_DATA, "'%s' is too large (more than %u bytes)", name, NSMTOOL_KEYFILE_MAX);
	if (memmem(buf, len, "-----BEGIN ", 11))
		return from_pem(buf, len, name, f, err);
	return from_der(buf, len, name, f, err);
}

int nsmtool_spki_from_file(const char *path, struct nsmtool_field *f, struct nk_err *err)
{
	unsigned char *buf = NULL;
	size_t len;
	int rc;

	rc = io_read_all(path, NSMTOOL_KEYFILE_MAX, &buf, &len, err);
	if (!rc)
		rc = nsmtool_spki_from_buf(buf, len, io_name(path), f, err);
	free(buf);
	return rc;
}

/* --- PCRs and DescribeNSM ---------------------------------------------------- */

/* Decimal digits only (no sign, no space), at most 65535. */
static int parse_u16(const char *s, uint16_t *out)
{
	unsigned long v = 0;
	const char *p;

	for (p = s; *p >= '0' && *p <= '9' && v <= UINT16_MAX; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (p == s || *p || v > UINT16_MAX)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int nsmtool_pcr_index(const char *s, uint16_t *out, struct nk_err *err)
{
	if (parse_u16(s, out))
		return err_set(err, NK_USAGE, "invalid PCR index '%s': expected a number from 0 to %d", s,
			       NSM_MAX_PCRS - 1);
	return NK_OK;
}

int nsmtool_pcr_range(const char *s, uint16_t *out, struct nk_err *err)
{
	if (parse_u16(s, out))
		return err_set(err, NK_USAGE, "invalid value '%s' for --range: expected a number from 0 to %d", s,
			       NSM_MAX_PCRS);
	return NK_OK;
}

json_t *nsmtool_pcr_json(uint16_t index, const struct nsm_response *r)
{
	json_t *o = json_object();

	if (!o || json_object_set_new(o, "index", json_integer(index)) ||
	    json_object_set_new(o, "locked", json_boolean(r->lock)) ||
	    json_object_set_new(o, "value", jsonx_hex(r->data.p, r->data.len))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *nsmtool_nsm_json(const struct nsm_response *r)
{
	json_t *o = json_object(), *locked = json_array();
	char version[24];

	snprintf(version, sizeof version, "%u.%u.%u", r->version_major, r->version_minor, r->version_patch);
	if (!o || !locked)
		goto fail;
	for (size_t i = 0; i < r->nlocked && i < NSM_MAX_PCRS; i++)
		if (json_array_append_new(locked, json_integer(r->locked_pcrs[i])))
			goto fail;
	if (json_object_set_new(o, "version", json_string(version)) ||
	    json_object_set_new(o, "module_id", json_string(r->module_id ? r->module_id : "")) ||
	    json_object_set_new(o, "max_pcrs", json_integer(r->max_pcrs)) ||
	    json_object_set(o, "locked_pcrs", locked) ||
	    json_object_set_new(o, "digest", json_string(r->digest ? r->digest : "")))
		goto fail;
	json_decref(locked);
	return o;
fail:
	json_decref(locked);
	json_decref(o);
	return NULL;
}

int nsmtool_describe_pcrs(struct nsm_conn *c, const uint16_t *idx, size_t n, json_t **out,
			  struct nk_err *err)
{
	json_t *arr = json_array();
	size_t count = n ? n : NSM_MAX_PCRS;
	int rc = NK_OK;

	if (!arr)
		return err_set(err, NK_IO, "out of memory");
	for (size_t i = 0; i < count && !rc; i++) {
		struct nsm_request req = { .op = NSM_OP_DESCRIBE_PCR };
		struct nsm_response resp = { 0 };

		req.index = n ? idx[i] : (uint16_t)i;
		rc = nsm_exec(c, &req, &resp, err);
		if (!rc && json_array_append_new(arr, nsmtool_pcr_json(req.index, &resp)))
			rc = err_set(err, NK_IO, "out of memory");
		nsm_response_clear(&resp);
	}
	if (rc) {
		json_decref(arr);
		return rc;
	}
	*out = arr;
	return NK_OK;
}

int nsmtool_describe_nsm(struct nsm_conn *c, json_t **out, struct nk_err *err)
{
	struct nsm_request req = { .op = NSM_OP_DESCRIBE_NSM };
	struct nsm_response resp = { 0 };
	int rc;

	rc = nsm_exec(c, &req, &resp, err);
	if (!rc && !(*out = nsmtool_nsm_json(&resp)))
		rc = err_set(err, NK_IO, "out of memory");
	nsm_response_clear(&resp);
	return rc;
}

int nsmtool_extend(struct nsm_conn *c, uint16_t index, const unsigned char *data, size_t len,
		   char new_value[2 * PCR_LEN + 1], struct nk_err *err)
{
	struct nsm_request req = { .op = NSM_OP_EXTEND_PCR, .index = index };
	struct nsm_response resp = { 0 };
	int rc;

	if (len > NSMTOOL_EXTEND_MAX)
		return err_set(err, NK_DATA, "the data to extend is too large (%zu bytes, at most %d)",
			       len, NSMTOOL_EXTEND_MAX);
	req.data.p = data;
	req.data.len = len;
	req.data.present = 1;
	/* nsm_response_decode accepts PCR values of exactly PCR_LEN bytes only. */
	rc = nsm_exec(c, &req, &resp, err);
	if (!rc)
		enc_hex(resp.data.p, PCR_LEN, new_value);
	nsm_response_clear(&resp);
	return rc;
}

/* --- random bytes ------------------------------------------------------------ */

int nsmtool_random(struct nsm_conn *c, size_t n, struct secbuf **out, struct nk_err *err)
{
	struct secbuf *b;
	int rc = NK_OK;

	if (n == 0 || n > NSMTOOL_RANDOM_MAX)
		return err_set(err, NK_USAGE, "cannot ask for %zu random bytes (1 to %u)", n, NSMTOOL_RANDOM_MAX);
	if (!(b = secmem_new(n)))
		return err_set(err, NK_IO, "out of memory");
	while (b->len < n && !rc) {
		struct nsm_request req = { .op = NSM_OP_GET_RANDOM };
		struct nsm_response resp = { 0 };
		size_t take;

		rc = nsm_exec(c, &req, &resp, err);
		if (!rc && resp.random.len == 0)
			rc = err_set(err, NK_DATA, "the NSM answered GetRandom with no bytes");
		if (!rc) {
			take = resp.random.len < n - b->len ? resp.random.len : n - b->len;
			memcpy(b->p + b->len, resp.random.p, take);
			b->len += take;
		}
		/* The response's own copy is a secret too. */
		secmem_wipe((void *)resp.random.p, resp.random.len);
		nsm_response_clear(&resp);
	}
	if (rc) {
		secmem_free(b);
		return rc;
	}
	*out = b;
	return NK_OK;
}

int nsmtool_seed_kernel(const char *dev, const unsigned char *p, size_t n, struct nk_err *err)
{
	/* struct rand_pool_info ends in a flexible array of u32: round up. */
	size_t size = sizeof(struct rand_pool_info) + (n + 3) / 4 * 4;
	struct rand_pool_info *info;
	int fd, rc = NK_OK;

	if (n > NSMTOOL_RANDOM_MAX)
		return err_set(err, NK_USAGE, "cannot seed the kernel with %zu bytes (at most %u)", n,
			       NSMTOOL_RANDOM_MAX);
	if (!(info = secmem_alloc(size)))
		return err_set(err, NK_IO, "out of memory");
	info->entropy_count = (int)(8 * n);
	info->buf_size = (int)n;
	memcpy(info->buf, p, n);
	fd = open(dev, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = err_set(err, NK_IO, "cannot open '%s':", dev);
	} else if (ioctl(fd, RNDADDENTROPY, info) < 0) {
		if (errno == EPERM)
			rc = err_set(err, NK_IO, "--seed-kernel needs root:");
		else
			rc = err_set(err, NK_IO, "cannot add entropy through '%s':", dev);
	} else {
		cli_trace("credited %zu bytes (%zu bits) to the kernel's entropy pool", n, 8 * n);
	}
	if (fd >= 0)
		close(fd);
	secmem_release(info, size);
	return rc;
}

/* --- output ------------------------------------------------------------------ */

int nsmtool_write(const char *path, const unsigned char *p, size_t n, enum nsmtool_format f,
		  int force, mode_t mode, struct nk_err *err)
{
	size_t cap, len;
	char *text;
	int rc;

	if (f == NSMTOOL_RAW) {
		if ((rc = io_refuse_tty(path, force, err)))
			return rc;
		return io_write_file(path, p, n, mode, err);
	}
	cap = f == NSMTOOL_HEX ? 2 * n + 2 : 4 * ((n + 2) / 3) + 2;
	if (!(text = secmem_alloc(cap)))
		return err_set(err, NK_IO, "out of memory");
	if (f == NSMTOOL_HEX) {
		enc_hex(p, n, text);
		len = 2 * n;
	} else {
		/* EVP_EncodeBlock takes an int: our outputs are at most a few KiB. */
		len = (size_t)EVP_EncodeBlock((unsigned char *)text, p, (int)n);
	}
	text[len++] = '\n';
	rc = io_write_file(path, text, len, mode, err);
	secmem_release(text, cap);
	return rc;
}
