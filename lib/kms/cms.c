/* cms: KMS's CiphertextForRecipient.  See cms.h.
 *
 * The describing side is a small BER walker of our own because OpenSSL 3.0
 * has no accessors for encryptedKey or the content-encryption parameters.
 * Decryption is OpenSSL's CMS; both parsers must agree on where the
 * structure ends, so a disagreement between them cannot slip through. */
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "kms/cms.h"

#define BER_DEPTH 32

struct tlv {
	const unsigned char *start;  /* the tag byte */
	unsigned char tag;
	const unsigned char *v;      /* content */
	size_t len;                  /* content bytes, end-of-contents excluded */
	size_t total;                /* header + content (+ end-of-contents) */
};

static int ber_get(const unsigned char *p, size_t n, int depth, struct tlv *t)
{
	size_t i = 2, len = 0;

	if (depth > BER_DEPTH || n < 2 || (p[0] & 0x1f) == 0x1f)
		return -1;
	t->start = p;
	t->tag = p[0];
	if (p[1] == 0x80) {
		/* Indefinite length: only constructed, ends at the first 00 00 child. */
		const unsigned char *q = p + 2;
		size_t rem = n - 2;
		struct tlv c;

		if (!(p[0] & 0x20))
			return -1;
		for (;;) {
			if (rem < 2)
				return -1;
			if (q[0] == 0 && q[1] == 0)
				break;
			if (ber_get(q, rem, depth + 1, &c))
				return -1;
			q += c.total;
			rem -= c.total;
		}
		t->v = p + 2;
		t->len = (size_t)(q - t->v);
		t->total = t->len + 4;
		return 0;
	}
	if (p[1] < 0x80) {
		len = p[1];
	} else {
		size_t k = p[1] & 0x7f;

		if (k > 4 || k > n - 2)
			return -1;
		for (size_t j = 0; j < k; j++)
			len = len << 8 | p[2 + j];
		i += k;
	}
	if (len > n - i)
		return -1;
	t->v = p + i;
	t->len = len;
	t->total = i + len;
	return 0;
}

struct cur {
	const unsigned char *p;
	size_t n;
	int depth;
};

static struct cur inside(const struct tlv *t, int depth)
{
	struct cur c = { t->v, t->len, depth };

	return c;
}

/* 1 with the next element, 0 at the end, -1 when malformed. */
static int next(struct cur *c, struct tlv *t)
{
	if (!c->n)
		return 0;
	if (ber_get(c->p, c->n, c->depth, t))
		return -1;
	c->p += t->total;
	c->n -= t->total;
	return 1;
}

/* An OCTET STRING, primitive or in BER segments: total length, first cap bytes copied. */
static int octets(const struct tlv *t, int depth, unsigned char *buf, size_t cap, size_t *total)
{
	struct cur c;
	struct tlv s;
	int r;

	if (!(t->tag & 0x20)) {
		if (*total < cap)
			memcpy(buf + *total, t->v, t->len < cap - *total ? t->len : cap - *total);
		*total += t->len;
		return 0;
	}
	if (depth > BER_DEPTH)
		return -1;
	c = inside(t, depth + 1);
	while ((r = next(&c, &s)) > 0)
		if ((s.tag & 0xdf) != 0x04 || octets(&s, depth + 1, buf, cap, total))
			return -1;
	return r;
}

static int oid_name(const struct tlv *t, char *buf, size_t cap)
{
	const unsigned char *p = t->start;
	ASN1_OBJECT *o;

	if (t->tag != 0x06 || !(o = d2i_ASN1_OBJECT(NULL, &p, (long)t->total)))
		return -1;
	OBJ_obj2txt(buf, (int)cap, o, 0);
	ASN1_OBJECT_free(o);
	return 0;
}

/* AlgorithmIdentifier: OID name and the parameters element (tag 0 when absent). */
static int alg_id(const struct tlv *t, int depth, char *name, size_t cap, struct tlv *params)
{
	struct cur c = inside(t, depth + 1);
	struct tlv o;

	memset(params, 0, sizeof *params);
	if (t->tag != 0x30 || next(&c, &o) != 1 || oid_name(&o, name, cap))
		return -1;
	if (next(&c, params) < 0)
		return -1;
	return 0;
}

/* RSAES-OAEP-params (RFC 4055): every field optional, defaults SHA-1/MGF1-SHA-1. */
static int oaep_params(const struct tlv *t, int depth, struct cms_desc *d)
{
	struct cur c;
	struct tlv f, a, p;

	strcpy(d->oaep_hash, "sha1");
	strcpy(d->oaep_mgf, "mgf1");
	strcpy(d->oaep_mgf_hash, "sha1");
	if (t->tag == 0 || t->tag == 0x05)
		return 0;
	if (t->tag != 0x30)
		return -1;
	c = inside(t, depth + 1);
	for (int r; (r = next(&c, &f)) != 0;) {
		struct cur e;

		if (r < 0)
			return -1;
		e = inside(&f, depth + 2);
		if (f.tag == 0xa2) {
			d->oaep_label = 1;
			continue;
		}
		if ((f.tag != 0xa0 && f.tag != 0xa1) || next(&e, &a) != 1)
			return -1;
		if (f.tag == 0xa0) {
			if (alg_id(&a, depth + 2, d->oaep_hash, sizeof d->oaep_hash, &p))
				return -1;
		} else {
			if (alg_id(&a, depth + 2, d->oaep_mgf, sizeof d->oaep_mgf, &p))
				return -1;
			if (p.tag == 0x30 &&
			    alg_id(&p, depth + 3, d->oaep_mgf_hash, sizeof d->oaep_mgf_hash, &a))
				return -1;
			if (p.tag != 0x30)
				strcpy(d->oaep_mgf_hash, "?");
		}
	}
	return 0;
}

static int small_int(const struct tlv *t, int *out)
{
	if (t->tag != 0x02 || t->len != 1 || t->v[0] > 0x7f)
		return -1;
	*out = t->v[0];
	return 0;
}

static int ktri(const struct tlv *t, int depth, struct cms_desc *d)
{
	struct cur c = inside(t, depth + 1);
	struct tlv v, rid, alg, params, ek;

	d->ktri = 1;
	if (next(&c, &v) != 1 || small_int(&v, &d->ktri_version) || next(&c, &rid) != 1 ||
	    next(&c, &alg) != 1 || next(&c, &ek) != 1 || (ek.tag & 0xdf) != 0x04)
		return -1;
	if (rid.tag == 0x80)
		d->skid_len = rid.len;
	else if (rid.tag != 0x30)
		return -1;
	if (alg_id(&alg, depth + 1, d->key_alg, sizeof d->key_alg, &params))
		return -1;
	if (!strcmp(d->key_alg, "rsaesOaep") && oaep_params(&params, depth + 1, d))
		return -1;
	return octets(&ek, depth + 1, d->ekey, sizeof d->ekey, &d->ekey_len);
}

static int enc_content_info(const struct tlv *t, int depth, struct cms_desc *d)
{
	struct cur c = inside(t, depth + 1);
	struct tlv type, alg, params, content;
	int r;

	if (t->tag != 0x30 || next(&c, &type) != 1 ||
	    oid_name(&type, d->content_type, sizeof d->content_type) || next(&c, &alg) != 1 ||
	    alg_id(&alg, depth + 1, d->content_alg, sizeof d->content_alg, &params))
		return -1;
	if (params.tag == 0x04 && params.len <= sizeof d->iv) {
		memcpy(d->iv, params.v, params.len);
		d->iv_len = params.len;
	}
	r = next(&c, &content);
	if (r < 0)
		return -1;
	if (r == 1 && content.tag != 0x80 && content.tag != 0xa0)
		return 0;  /* no encryptedContent; [1] attributes follow */
	if (r == 1)
		return octets(&content, depth + 1, d->content_head, sizeof d->content_head,
			      &d->content_len);
	return 0;
}

static const char *ri_kind(unsigned char tag)
{
	switch (tag) {
	case 0x30: return "key transport";
	case 0xa1: return "key agreement";
	case 0xa2: return "key encryption key";
	case 0xa3: return "password";
	case 0xa4: return "other";
	default: return "unknown";
	}
}

static int describe(const unsigned char *der, size_t len, struct cms_desc *d, size_t *end,
		    struct nk_err *err)
{
	static const unsigned char enveloped[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x03 };
	struct tlv ci, oid, wrap, env, f, ri;
	struct cur c;
	char name[64];
	int r;

	memset(d, 0, sizeof *d);
	if (len > CMS_MAX)
		return err_set(err, NK_DATA, "cms is too large (%zu bytes, at most %u)", len, CMS_MAX);
	if (ber_get(der, len, 0, &ci) || ci.tag != 0x30)
		return err_set(err, NK_DATA, "malformed cms: not a BER sequence");
	for (size_t i = ci.total; i < len; i++)
		if (der[i])
			return err_set(err, NK_DATA, "malformed cms: data after the structure at offset %zu", i);
	*end = ci.total;
	c = inside(&ci, 1);
	if (next(&c, &oid) != 1 || oid.tag != 0x06)
		return err_set(err, NK_DATA, "malformed cms: no content type");
	if (oid.len != sizeof enveloped || memcmp(oid.v, enveloped, sizeof enveloped)) {
		if (oid_name(&oid, name, sizeof name))
			return err_set(err, NK_DATA, "malformed cms: bad content type");
		return err_set(err, NK_DATA, "cms content type is '%s', not enveloped data", name);
	}
	if (next(&c, &wrap) != 1 || wrap.tag != 0xa0)
		return err_set(err, NK_DATA, "malformed cms: no enveloped data");
	c = inside(&wrap, 2);
	if (next(&c, &env) != 1 || env.tag != 0x30)
		return err_set(err, NK_DATA, "malformed cms: enveloped data is not a sequence");
	c = inside(&env, 3);
	if (next(&c, &f) != 1 || small_int(&f, &d->version) || next(&c, &f) != 1)
		return err_set(err, NK_DATA, "malformed cms: enveloped data version");
	if (f.tag == 0xa0 && next(&c, &f) != 1)  /* originatorInfo */
		return err_set(err, NK_DATA, "malformed cms: no recipient infos");
	if (f.tag != 0x31)
		return err_set(err, NK_DATA, "malformed cms: no recipient infos");
	{
		struct cur rc = inside(&f, 4);

		while ((r = next(&rc, &ri)) > 0) {
			if (d->recipients++)
				continue;
			if (ri.tag != 0x30) {
				strcpy(d->key_alg, ri_kind(ri.tag));
				continue;
			}
			if (ktri(&ri, 4, d))
				return err_set(err, NK_DATA, "malformed cms: key transport recipient info");
		}
		if (r < 0)
			return err_set(err, NK_DATA, "malformed cms: recipient infos");
	}
	if (next(&c, &f) != 1 || enc_content_info(&f, 3, d))
		return err_set(err, NK_DATA, "malformed cms: encrypted content info");
	return NK_OK;
}

int cms_describe(const unsigned char *der, size_t len, struct cms_desc *d, struct nk_err *err)
{
	size_t end;

	return describe(der, len, d, &end, err);
}

int cms_check_profile(const struct cms_desc *d, struct nk_err *err)
{
	if (d->recipients != 1)
		return err_set(err, NK_DATA, "cms has %d recipients, expected 1", d->recipients);
	if (!d->ktri)
		return err_set(err, NK_DATA, "cms recipient uses '%s', expected key transport", d->key_alg);
	if (strcmp(d->key_alg, "rsaesOaep"))
		return err_set(err, NK_DATA, "cms key encryption is '%s', expected 'rsaesOaep'", d->key_alg);
	if (strcmp(d->oaep_hash, "sha256") || strcmp(d->oaep_mgf, "mgf1") ||
	    strcmp(d->oaep_mgf_hash, "sha256") || d->oaep_label)
		return err_set(err, NK_DATA, "cms oaep parameters are '%s' with '%s-%s'%s, expected "
			       "'sha256' with 'mgf1-sha256'", d->oaep_hash, d->oaep_mgf,
			       d->oaep_mgf_hash, d->oaep_label ? " and a label" : "");
	if (strcmp(d->content_alg, "aes-256-cbc") || d->iv_len != 16)
		return err_set(err, NK_DATA, "cms content encryption is '%s', expected 'aes-256-cbc'",
			       d->content_alg);
	if (!d->content_len)
		return err_set(err, NK_DATA, "cms has no encrypted content");
	return NK_OK;
}

/* A write-only BIO into a secbuf, so the plaintext never sits in ordinary heap. */
static int sb_write(BIO *b, const char *in, int n)
{
	struct secbuf *s = BIO_get_data(b);
	size_t need = s->len + (size_t)n;

	if (n <= 0)
		return 0;
	if (need > s->cap && secmem_reserve(s, need > 2 * s->cap ? need : 2 * s->cap))
		return -1;
	memcpy(s->p + s->len, in, (size_t)n);
	s->len = need;
	return n;
}

static long sb_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	return cmd == BIO_CTRL_FLUSH;
}

static int sb_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

int cms_decrypt(const unsigned char *der, size_t len, EVP_PKEY *pkey, struct secbuf **out,
		struct nk_err *err)
{
	struct cms_desc *d = NULL;
	CMS_ContentInfo *cms = NULL;
	STACK_OF(CMS_RecipientInfo) *ris;
	BIO_METHOD *meth = NULL;
	BIO *bio = NULL;
	struct secbuf *pt = NULL;
	const unsigned char *p = der;
	size_t end;
	int rc;

	*out = NULL;
	if (!(d = calloc(1, sizeof *d))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	if ((rc = describe(der, len, d, &end, err)) || (rc = cms_check_profile(d, err)))
		goto out;
	cms = d2i_CMS_ContentInfo(NULL, &p, (long)len);
	if (!cms || (size_t)(p - der) != end) {
		rc = cms ? err_set(err, NK_DATA, "malformed cms: parsers disagree on its end")
			 : err_set_ssl(err, NK_DATA, "malformed cms");
		goto out;
	}
	ris = CMS_get0_RecipientInfos(cms);
	if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped || sk_CMS_RecipientInfo_num(ris) != 1 ||
	    CMS_RecipientInfo_type(sk_CMS_RecipientInfo_value(ris, 0)) != CMS_RECIPINFO_TRANS) {
		rc = err_set(err, NK_DATA, "malformed cms: parsers disagree on its recipients");
		goto out;
	}
	if (!(pt = secmem_new(d->content_len)) ||
	    !(meth = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "secbuf")) ||
	    !BIO_meth_set_write(meth, sb_write) || !BIO_meth_set_ctrl(meth, sb_ctrl) ||
	    !BIO_meth_set_create(meth, sb_create) || !(bio = BIO_new(meth))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	BIO_set_data(bio, pt);
	/* CMS_DEBUG_DECRYPT: a wrong key is an error rather than a random content
	 * key (OpenSSL's MMA countermeasure, which would yield garbage 1 time in
	 * 256).  No oracle is offered: the key is ephemeral and TLS ends in the
	 * enclave, so nobody on the way can submit chosen ciphertexts. */
	if (!CMS_decrypt(cms, pkey, NULL, NULL, bio, CMS_BINARY | CMS_DEBUG_DECRYPT)) {
		rc = err_set_ssl(err, NK_DATA, "cannot decrypt");
		goto out;
	}
	*out = pt;
	pt = NULL;
	rc = NK_OK;
out:
	BIO_free(bio);
	BIO_meth_free(meth);
	secmem_free(pt);
	CMS_ContentInfo_free(cms);
	free(d);
	ERR_clear_error();
	return rc;
}

/* OpenSSL 3.0 adds key-transport recipients only from a certificate, so the
 * SPKI goes into a throwaway one carrying the subjectKeyIdentifier KMS uses
 * (SHA-256 of the SPKI DER).  Nobody verifies it: any signing key will do. */
static X509 *carrier_cert(EVP_PKEY *pub, const unsigned char *spki, size_t spki_len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	ASN1_OCTET_STRING *skid = ASN1_OCTET_STRING_new();
	EVP_PKEY *signer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	int ok;

	SHA256(spki, spki_len, md);
	ok = skid && signer && x && ASN1_OCTET_STRING_set(skid, md, sizeof md) &&
	     X509_set_version(x, X509_VERSION_3) && ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
	     X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
					(const unsigned char *)"kms recipient", -1, -1, 0) &&
	     X509_set_issuer_name(x, X509_get_subject_name(x)) &&
	     X509_gmtime_adj(X509_getm_notBefore(x), 0) && X509_gmtime_adj(X509_getm_notAfter(x), 3600) &&
	     X509_set_pubkey(x, pub) &&
	     X509_add1_ext_i2d(x, NID_subject_key_identifier, skid, 0, X509V3_ADD_DEFAULT) == 1 &&
	     X509_sign(x, signer, EVP_sha256());
	ASN1_OCTET_STRING_free(skid);
	EVP_PKEY_free(signer);
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int cms_encrypt_for_recipient(const unsigned char *pt, size_t ptlen, const unsigned char *spki,
			      size_t spki_len, unsigned char **out, size_t *outlen, struct nk_err *err)
{
	const unsigned char *p = spki;
	EVP_PKEY *pub = NULL;
	X509 *x = NULL;
	CMS_ContentInfo *cms = NULL;
	CMS_RecipientInfo *ri;
	EVP_PKEY_CTX *pctx;
	BIO *in = NULL, *mem = NULL;
	BUF_MEM *bm;
	int rc;

	*out = NULL;
	*outlen = 0;
	if (ptlen > CMS_MAX / 2) {
		rc = err_set(err, NK_DATA, "plaintext is too large (%zu bytes, at most %u)", ptlen, CMS_MAX / 2);
		goto out;
	}
	pub = d2i_PUBKEY(NULL, &p, (long)spki_len);
	if (!pub || p != spki + spki_len || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA) {
		rc = err_set(err, NK_DATA, "recipient public key is not an RSA SubjectPublicKeyInfo");
		goto out;
	}
	if (!(x = carrier_cert(pub, spki, spki_len))) {
		rc = err_set_ssl(err, NK_IO, "cannot make the recipient certificate");
		goto out;
	}
	/* CMS_STREAM: indefinite lengths, BER as KMS sends it. */
	cms = CMS_encrypt(NULL, NULL, EVP_aes_256_cbc(), CMS_BINARY | CMS_PARTIAL | CMS_STREAM);
	ri = cms ? CMS_add1_recipient_cert(cms, x, CMS_KEY_PARAM | CMS_USE_KEYID) : NULL;
	pctx = ri ? CMS_RecipientInfo_get0_pkey_ctx(ri) : NULL;
	if (!pctx || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 ||
	    EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0) {
		rc = err_set_ssl(err, NK_IO, "cannot set up the cms recipient");
		goto out;
	}
	in = BIO_new_mem_buf(pt, (int)ptlen);
	mem = BIO_new(BIO_s_mem());
	if (!in || !mem || !i2d_CMS_bio_stream(mem, cms, in, CMS_BINARY | CMS_STREAM)) {
		rc = err_set_ssl(err, NK_IO, "cannot encrypt the cms");
		goto out;
	}
	BIO_get_mem_ptr(mem, &bm);
	if (!(*out = malloc(bm->length ? bm->length : 1))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	memcpy(*out, bm->data, bm->length);
	*outlen = bm->length;
	rc = NK_OK;
out:
	BIO_free(in);
	BIO_free(mem);
	CMS_ContentInfo_free(cms);
	X509_free(x);
	EVP_PKEY_free(pub);
	ERR_clear_error();
	return rc;
}
