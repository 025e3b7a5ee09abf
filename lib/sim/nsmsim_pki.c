#include "sim/nsmsim_pki.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "util/io.h"
#include "util/secmem.h"

#define PEM_MAX (64u * 1024)
#define CN_MAX 64  /* ub-common-name (RFC 5280) */
#define CN_PREFIX "nitrokit test "

static const char *const level_names[NSMSIM_PKI_LEVELS] = { "root", "regional", "zonal", "instance" };

/* Shaped like AWS's subjects (aws.nitro-enclaves, <id>.<region>..., <id>.zonal...). */
static const char *const level_cns[NSMSIM_PKI_LEVELS] = {
	CN_PREFIX "aws.nitro-enclaves",
	CN_PREFIX "regional.aws.nitro-enclaves",
	CN_PREFIX "zonal.aws.nitro-enclaves",
	CN_PREFIX "instance.aws.nitro-enclaves",
};

/* AWS's path lengths: the root unlimited, then 2, 1, 0 down to the instance CA. */
static const int level_pathlen[NSMSIM_PKI_LEVELS] = { -1, 2, 1, 0 };

const char *nsmsim_pki_level_name(enum nsmsim_pki_level l)
{
	return (unsigned)l < NSMSIM_PKI_LEVELS ? level_names[l] : NULL;
}

struct spec {
	const char *cn;
	int ca, pathlen;   /* pathlen -1: none */
	time_t not_before, not_after;
};

static X509_NAME *make_name(const char *cn)
{
	static const char *const rdn[][2] = { { "C", "US" }, { "O", "Amazon" }, { "OU", "AWS" } };
	X509_NAME *n = X509_NAME_new();

	for (size_t i = 0; n && i < sizeof rdn / sizeof rdn[0]; i++)
		if (!X509_NAME_add_entry_by_txt(n, rdn[i][0], MBSTRING_ASC, (const unsigned char *)rdn[i][1],
						-1, -1, 0))
			X509_NAME_free(n), n = NULL;
	if (n && !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1, 0))
		X509_NAME_free(n), n = NULL;
	return n;
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	int ok = e && X509_add_ext(x, e, -1);

	X509_EXTENSION_free(e);
	return ok;
}

/* A random positive 127-bit serial, never zero (RFC 5280 §4.1.2.2). */
static int set_serial(X509 *x)
{
	BIGNUM *bn = BN_new();
	int ok = bn && BN_rand(bn, 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));

	BN_free(bn);
	return ok;
}

/* A certificate for key, signed with issuer_key (self-signed when issuer is NULL). */
static int issue(EVP_PKEY *key, const struct spec *s, X509 *issuer, EVP_PKEY *issuer_key, X509 **out,
		 struct nk_err *err)
{
	X509 *x = X509_new();
	X509_NAME *name = make_name(s->cn);
	X509V3_CTX ctx;
	char bc[48];
	int ok;

	if (!s->ca)
		snprintf(bc, sizeof bc, "critical,CA:FALSE");
	else if (s->pathlen >= 0)
		snprintf(bc, sizeof bc, "critical,CA:TRUE,pathlen:%d", s->pathlen);
	else
		snprintf(bc, sizeof bc, "critical,CA:TRUE");
	ok = x && name && X509_set_version(x, X509_VERSION_3) && set_serial(x) &&
	     ASN1_TIME_set(X509_getm_notBefore(x), s->not_before) &&
	     ASN1_TIME_set(X509_getm_notAfter(x), s->not_after) &&
	     X509_set_subject_name(x, name) &&
	     X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
	     X509_set_pubkey(x, key);
	if (ok) {
		X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
		ok = add_ext(x, &ctx, NID_basic_constraints, bc) &&
		     add_ext(x, &ctx, NID_key_usage, s->ca ? "critical,keyCertSign,cRLSign"
							   : "critical,digitalSignature") &&
		     add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
		     (!issuer || add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always")) &&
		     X509_sign(x, issuer ? issuer_key : key, EVP_sha384()) > 0;
	}
	X509_NAME_free(name);
	if (!ok) {
		X509_free(x);
		return err_set_ssl(err, NK_IO, "cannot issue the certificate '%s'", s->cn);
	}
	*out = x;
	return NK_OK;
}

static int keep_der(struct nsmsim_pki_cert *c, X509 *x, struct nk_err *err)
{
	int n = i2d_X509(x, NULL);
	unsigned char *p;

	if (n <= 0 || !(c->der = malloc((size_t)n)))
		return err_set_ssl(err, NK_IO, "cannot encode a certificate");
	p = c->der;
	i2d_X509(x, &p);
	c->der_len = (size_t)n;
	c->x509 = x;
	return NK_OK;
}

static void cert_clear(struct nsmsim_pki_cert *c)
{
	X509_free(c->x509);
	free(c->der);
	memset(c, 0, sizeof *c);
}

static EVP_PKEY *new_key(struct nk_err *err)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");

	if (!k)
		err_set_ssl(err, NK_IO, "cannot generate a P-384 key");
	return k;
}

static int is_p384(EVP_PKEY *key)
{
	char name[32];
	size_t n = 0;

	return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC &&
	       EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, name, sizeof name, &n) &&
	       (strcmp(name, "secp384r1") == 0 || strcmp(name, "P-384") == 0);
}

static int path_of(char *buf, size_t size, const char *dir, enum nsmsim_pki_level l, const char *ext,
		   struct nk_err *err)
{
	int n = snprintf(buf, size, "%s/%s.%s", dir, level_names[l], ext);

	if (n < 0 || (size_t)n >= size)
		return err_set(err, NK_USAGE, "PKI directory name '%s' is too long", dir);
	return NK_OK;
}

/* --- files ------------------------------------------------------------------ */

/* The PEM text a memory BIO holds, into a file. */
static int write_bio(BIO *b, const char *path, mode_t mode, struct nk_err *err)
{
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);

	if (n <= 0)
		return err_set_ssl(err, NK_IO, "cannot encode '%s'", path);
	return io_write_file(path, data, (size_t)n, mode, err);
}

static int write_level(const struct nsmsim_pki *p, enum nsmsim_pki_level l, struct nk_err *err)
{
	char path[4096];
	BIO *b = NULL;
	int rc;

	if ((rc = path_of(path, sizeof path, p->dir, l, "key", err)))
		return rc;
	/* The key's PEM goes through a secure-memory BIO, cleansed on free. */
	b = BIO_new(BIO_s_secmem());
	if (!b || !PEM_write_bio_PrivateKey(b, p->ca_key[l], NULL, NULL, 0, NULL, NULL))
		rc = err_set_ssl(err, NK_IO, "cannot encode '%s'", path);
	else
		rc = write_bio(b, path, 0600, err);
	BIO_free(b);
	if (rc || (rc = path_of(path, sizeof path, p->dir, l, "pem", err)))
		return rc;
	b = BIO_new(BIO_s_mem());
	if (!b || !PEM_write_bio_X509(b, p->ca[l].x509))
		rc = err_set_ssl(err, NK_IO, "cannot encode '%s'", path);
	else
		rc = write_bio(b, path, 0644, err);
	BIO_free(b);
	return rc;
}

static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return 0;  /* never prompt on the terminal: an encrypted key simply fails */
}

static int load_level(struct nsmsim_pki *p, enum nsmsim_pki_level l, struct nk_err *err)
{
	char path[4096];
	unsigned char *pem = NULL;
	struct secbuf *key = NULL;
	size_t len;
	BIO *b = NULL;
	X509 *x = NULL;
	int rc;

	if ((rc = path_of(path, sizeof path, p->dir, l, "pem", err)) ||
	    (rc = io_read_all(path, PEM_MAX, &pem, &len, err)))
		goto out;
	if (!(b = BIO_new_mem_buf(pem, (int)len)) || !(x = PEM_read_bio_X509(b, NULL, no_passphrase, NULL))) {
		rc = err_set_ssl(err, NK_DATA, "'%s' is not a PEM certificate", path);
		goto out;
	}
	if ((rc = keep_der(&p->ca[l], x, err)))
		goto out;
	x = NULL;
	BIO_free(b);
	b = NULL;
	if ((rc = path_of(path, sizeof path, p->dir, l, "key", err)) ||
	    (rc = io_read_secret(path, PEM_MAX, &key, err)))
		goto out;
	if (!(b = BIO_new_mem_buf(key->p, (int)key->len)) ||
	    !(p->ca_key[l] = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, NULL))) {
		rc = err_set_ssl(err, NK_DATA, "'%s' is not an unencrypted PEM private key", path);
		goto out;
	}
	if (!is_p384(p->ca_key[l]))
		rc = err_set(err, NK_DATA, "'%s' is not a P-384 key", path);
	else if (X509_check_private_key(p->ca[l].x509, p->ca_key[l]) != 1)
		rc = err_set_ssl(err, NK_DATA, "'%s' is not the key of '%s.pem'", path, level_names[l]);
out:
	X509_free(x);
	BIO_free(b);
	secmem_free(key);
	free(pem);
	return rc;
}

/* A loaded PKI must be what we would have made: each CA signed by its parent
 * and valid now, so documents never carry a chain a verifier rejects. */
static int check_chain(const struct nsmsim_pki *p, time_t now, struct nk_err *err)
{
	for (int l = 0; l < NSMSIM_PKI_LEVELS; l++) {
		X509 *x = p->ca[l].x509, *parent = p->ca[l ? l - 1 : 0].x509;
		const char *name = level_names[l];

		if (X509_check_ca(x) < 1)
			return err_set(err, NK_DATA, "'%s/%s.pem' is not a CA certificate", p->dir, name);
		if (X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(parent)) != 0 ||
		    X509_verify(x, X509_get0_pubkey(parent)) != 1) {
			ERR_clear_error();
			return err_set(err, NK_DATA, "'%s/%s.pem' is not signed by '%s.pem'", p->dir, name,
				       level_names[l ? l - 1 : 0]);
		}
		if (X509_cmp_time(X509_get0_notAfter(x), &now) <= 0 ||
		    X509_cmp_time(X509_get0_notBefore(x), &now) > 0)
			return err_set(err, NK_DATA, "'%s/%s.pem' is not valid now (remove '%s' for a new PKI)",
				       p->dir, name, p->dir);
	}
	return NK_OK;
}

static int create(struct nsmsim_pki *p, time_t now, struct nk_err *err)
{
	int rc;

	for (int l = 0; l < NSMSIM_PKI_LEVELS; l++) {
		struct spec s = {
			.cn = level_cns[l], .ca = 1, .pathlen = level_pathlen[l],
			.not_before = now - NSMSIM_PKI_BACKDATE,
			.not_after = now + (time_t)NSMSIM_PKI_CA_DAYS * 86400,
		};
		X509 *x = NULL;

		if (!(p->ca_key[l] = new_key(err)))
			return NK_IO;
		rc = issue(p->ca_key[l], &s, l ? p->ca[l - 1].x509 : NULL, l ? p->ca_key[l - 1] : NULL, &x, err);
		if (!rc && (rc = keep_der(&p->ca[l], x, err)))
			X509_free(x);
		if (rc)
			return rc;
	}
	/* root.pem last: its presence marks a complete PKI. */
	for (int l = NSMSIM_PKI_LEVELS - 1; l >= 0; l--)
		if ((rc = write_level(p, (enum nsmsim_pki_level)l, err)))
			return rc;
	p->created = 1;
	return NK_OK;
}

int nsmsim_pki_open(struct nsmsim_pki *p, const char *dir, time_t now, struct nk_err *err)
{
	char root[4096], lockname[4096];
	struct stat st;
	int rc = NK_OK, lock = -1;

	memset(p, 0, sizeof *p);
	if (!dir || !*dir)
		dir = NSMSIM_PKI_DEFAULT_DIR;
	if ((rc = path_of(root, sizeof root, dir, NSMSIM_PKI_ROOT, "pem", err)))
		return rc;
	if (!(p->dir = strdup(dir)))
		return err_set(err, NK_IO, "out of memory");
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		rc = err_set(err, NK_IO, "cannot create '%s':", dir);
		goto out;
	}
	snprintf(lockname, sizeof lockname, "%s/.lock", dir);
	/* Two simulators starting at once on one DIR must not both create it. */
	lock = open(lockname, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock < 0) {
		rc = err_set(err, NK_IO, "cannot open '%s':", lockname);
		goto out;
	}
	if (flock(lock, LOCK_EX) < 0) {
		rc = err_set(err, NK_IO, "cannot lock '%s':", lockname);
		goto out;
	}
	if (stat(root, &st) == 0) {
		for (int l = 0; l < NSMSIM_PKI_LEVELS && !rc; l++)
			rc = load_level(p, (enum nsmsim_pki_level)l, err);
		if (!rc)
			rc = check_chain(p, now, err);
	} else if (errno == ENOENT) {
		rc = create(p, now, err);
	} else {
		rc = err_set(err, NK_IO, "cannot stat '%s':", root);
	}
out:
	if (lock >= 0)
		close(lock);  /* releases the lock */
	if (rc)
		nsmsim_pki_free(p);
	return rc;
}

int nsmsim_pki_leaf(struct nsmsim_pki *p, const char *name, time_t now, int *issued,
		    struct nk_err *err)
{
	char cn[CN_MAX + 1];
	struct spec s = {
		.cn = cn, .ca = 0, .pathlen = -1,
		.not_before = now - NSMSIM_PKI_BACKDATE, .not_after = now + NSMSIM_PKI_LEAF_LIFETIME,
	};
	struct nsmsim_pki_cert c = { 0 };
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	int n, rc;

	if (issued)
		*issued = 0;
	if (p->leaf_key && p->leaf_not_after - now >= NSMSIM_PKI_LEAF_MARGIN)
		return NK_OK;
	n = snprintf(cn, sizeof cn, CN_PREFIX "%s", name);
	if (n < 0 || (size_t)n >= sizeof cn)
		return err_set(err, NK_USAGE, "name '%s' is too long for a certificate", name);
	if (!(key = new_key(err)))
		return NK_IO;
	rc = issue(key, &s, p->ca[NSMSIM_PKI_INSTANCE].x509, p->ca_key[NSMSIM_PKI_INSTANCE], &x, err);
	if (!rc && (rc = keep_der(&c, x, err)))
		X509_free(x);
	if (rc) {
		EVP_PKEY_free(key);
		return rc;
	}
	cert_clear(&p->leaf);
	EVP_PKEY_free(p->leaf_key);
	p->leaf = c;
	p->leaf_key = key;
	p->leaf_not_after = s.not_after;
	if (issued)
		*issued = 1;
	return NK_OK;
}

void nsmsim_pki_free(struct nsmsim_pki *p)
{
	if (!p)
		return;
	for (int l = 0; l < NSMSIM_PKI_LEVELS; l++) {
		EVP_PKEY_free(p->ca_key[l]);
		cert_clear(&p->ca[l]);
	}
	EVP_PKEY_free(p->leaf_key);
	cert_clear(&p->leaf);
	free(p->dir);
	memset(p, 0, sizeof *p);
}
