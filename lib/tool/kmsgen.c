/* kmsgen: see kmsgen.h. */
#include "tool/kmsgen.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/io.h"
#include "kms/kmsclient.h"
#include "tool/nsmtool.h"

static const char *const key_specs[] = { "AES_256", "AES_128" };  /* KMSGEN_KEY_SPECS */
static const size_t key_spec_len[] = { 32, 16 };

static int is_stdout(const char *path)
{
	return strcmp(path, "-") == 0;
}

size_t kmsgen_key_spec_bytes(const char *spec)
{
	for (size_t i = 0; spec && i < sizeof key_specs / sizeof *key_specs; i++)
		if (strcmp(spec, key_specs[i]) == 0)
			return key_spec_len[i];
	return 0;
}

/* --- outputs ----------------------------------------------------------------- */

struct dest {
	const char *label;  /* for messages: "-o", "--plaintext-out" */
	const char *path;   /* NULL when not written */
};

/* Two outputs into one file would leave only the last; two on standard
 * output could not be told apart. */
static int check_dests(const struct dest *d, size_t n, struct nk_err *err)
{
	for (size_t i = 0; i < n; i++) {
		if (!d[i].path)
			continue;
		for (size_t j = 0; j < i; j++) {
			if (!d[j].path || strcmp(d[i].path, d[j].path) != 0)
				continue;
			if (is_stdout(d[i].path))
				return err_set(err, NK_USAGE, "%s and %s cannot both write to standard output%s",
					       d[j].label, d[i].label, j == 0 ? " (use -o FILE)" : "");
			return err_set(err, NK_USAGE, "%s and %s name the same file '%s'", d[j].label,
				       d[i].label, d[i].path);
		}
	}
	return NK_OK;
}

/* --- kms-genkey ------------------------------------------------------------ */

int kmsgen_genkey_check(const struct kmsgen_genkey *g, struct nk_err *err)
{
	const struct dest d[] = {
		{ g->output ? "-o" : "the output", g->output ? g->output : "-" },
		{ "--plaintext-out", g->plaintext_out },
		{ "--ciphertext-out", g->ciphertext_out },
	};
	int rc;

	if (!g->key.key_id)
		return err_set(err, NK_USAGE, "--key-id is required");
	if (!g->pair && !g->key_spec && !g->nbytes)
		return err_set(err, NK_USAGE, "one of --key-spec, --bytes or --pair is required");
	if ((rc = check_dests(d, 3, err)))
		return rc;
	for (size_t i = 1; i < 3; i++)
		if (d[i].path && (rc = io_refuse_tty(d[i].path, g->force, err)))
			return rc;
	return NK_OK;
}

void kmsgen_genkey_req(const struct kmsgen_genkey *g, struct kms_req *r)
{
	memset(r, 0, sizeof *r);
	kmsclient_key_req(&g->key, r);
	if (g->pair) {
		r->op = KMS_GENERATE_DATA_KEY_PAIR;
		r->key_spec = g->pair;
	} else {
		r->op = KMS_GENERATE_DATA_KEY;
		r->key_spec = g->key_spec;
		r->nbytes = g->key_spec ? 0 : g->nbytes;
	}
}

static void add_field(struct kmsout_field *f, size_t *n, const char *name, const unsigned char *p,
		      size_t len, const char *text)
{
	if (!p && !text)
		return;
	f[*n].name = name;
	f[*n].p = text ? NULL : p;
	f[*n].len = text ? 0 : len;
	f[*n].text = text;
	(*n)++;
}

size_t kmsgen_genkey_fields(const struct kmsgen_genkey *g, const struct kms_resp *r,
			    struct kmsout_field f[KMSGEN_FIELDS_MAX])
{
	const unsigned char *pt = !g->plaintext_out && r->plaintext ? r->plaintext->p : NULL;
	size_t ptlen = pt ? r->plaintext->len : 0, n = 0;
	const unsigned char *blob = g->pair ? r->private_key_blob : r->ciphertext_blob;
	size_t bloblen = g->pair ? r->private_key_blob_len : r->ciphertext_blob_len;

	if (g->format == KMSGEN_GENKEY_KMSTOOL) {
		/* AWS's kmstool_enclave_cli genkey: CIPHERTEXT first, then PLAINTEXT. */
		add_field(f, &n, "CIPHERTEXT", blob, bloblen, NULL);
		add_field(f, &n, "PLAINTEXT", pt, ptlen, NULL);
		if (g->pair)
			add_field(f, &n, "PUBLICKEY", r->public_key, r->public_key_len, NULL);
		return n;
	}
	add_field(f, &n, "KeyId", NULL, 0, r->key_id);
	if (g->pair) {
		add_field(f, &n, "KeyPairSpec", NULL, 0, r->key_pair_spec ? r->key_pair_spec : g->pair);
		add_field(f, &n, "PublicKey", r->public_key, r->public_key_len, NULL);
		add_field(f, &n, "PrivateKeyCiphertextBlob", blob, bloblen, NULL);
		add_field(f, &n, "PrivateKeyPlaintext", pt, ptlen, NULL);
	} else {
		add_field(f, &n, "CiphertextBlob", blob, bloblen, NULL);
		add_field(f, &n, "Plaintext", pt, ptlen, NULL);
	}
	return n;
}

/* What KMS sent must be what was asked for before anyone uses it as a key. */
static int genkey_verify(const struct kmsgen_genkey *g, const struct kms_resp *r, struct nk_err *err)
{
	size_t want = g->key_spec ? kmsgen_key_spec_bytes(g->key_spec) : g->nbytes;

	if (!r->plaintext || !r->plaintext->len)
		return err_set(err, NK_DATA, "KMS sent no %s", g->pair ? "private key" : "data key");
	if (g->pair)
		return r->private_key_blob && r->public_key ? NK_OK :
		       err_set(err, NK_DATA, "KMS sent no %s", r->public_key ? "PrivateKeyCiphertextBlob" : "PublicKey");
	if (!r->ciphertext_blob)
		return err_set(err, NK_DATA, "KMS sent no CiphertextBlob");
	if (r->plaintext->len != want)
		return err_set(err, NK_DATA, "KMS sent a data key of %zu bytes, %zu were asked for",
			       r->plaintext->len, want);
	return NK_OK;
}

static int genkey_main(const struct kmsgen_genkey *g, const struct kms_resp *r, const char *path,
		       struct nk_err *err)
{
	struct kmsout_field f[KMSGEN_FIELDS_MAX];
	size_t n = kmsgen_genkey_fields(g, r, f);

	if (g->format == KMSGEN_GENKEY_KMSTOOL)
		return kmsout_lines(path, f, n, 0600, err);
	return kmsout_json(path, f, n, 0600, err);
}

/* kmsout names the staging file in its messages; the user knows the output
 * by its own name. */
static void name_output(struct nk_err *err, const char *tmp, const char *path)
{
	char rest[sizeof err->msg];
	char *at = err ? strstr(err->msg, tmp) : NULL;

	if (!at)
		return;
	snprintf(rest, sizeof rest, "%s", at + strlen(tmp));
	snprintf(at, sizeof err->msg - (size_t)(at - err->msg), "%s%s", path, rest);
}

/* One of kms-genkey's outputs: raw bytes (p) or the main output (p NULL). */
struct genkey_out {
	const char *path;     /* NULL: not written */
	const unsigned char *p;
	size_t len;
	int through;          /* FIFO, device or standard output */
	struct io_atomic a;
};

/* A file, complete under its temporary name.  kmsout writes only to paths,
 * so the main output goes to a staged hidden file. */
static int out_prepare(const struct kmsgen_genkey *g, const struct kms_resp *r, struct genkey_out *o,
		       struct nk_err *err)
{
	int rc;

	if (o->p) {
		if ((rc = io_atomic_open(&o->a, o->path, 0600, err)))
			return rc;
		return io_atomic_write(&o->a, o->p, o->len, err);
	}
	if ((rc = io_atomic_stage(&o->a, o->path, 0600, err)))
		return rc;
	if ((rc = genkey_main(g, r, o->a.tmp, err)))
		name_output(err, o->a.tmp, o->path);
	return rc;
}

/* Written through an already open FIFO or device (or standard output). */
static int out_pass(const struct kmsgen_genkey *g, const struct kms_resp *r, struct genkey_out *o,
		    struct nk_err *err)
{
	int rc = o->p ? io_atomic_write(&o->a, o->p, o->len, err) : genkey_main(g, r, o->path, err);

	return rc ? rc : io_atomic_commit(&o->a, err);
}

int kmsgen_genkey_write(const struct kmsgen_genkey *g, const struct kms_resp *r, struct nk_err *err)
{
	struct genkey_out o[3];
	const size_t n = sizeof o / sizeof *o;
	int rc;

	if ((rc = genkey_verify(g, r, err)))
		return rc;
	/* One output: kmsout's own write is atomic. */
	if (!g->plaintext_out && !g->ciphertext_out)
		return genkey_main(g, r, g->output ? g->output : "-", err);
	memset(o, 0, sizeof o);
	o[0].path = g->output ? g->output : "-";
	o[1].path = g->plaintext_out;
	o[1].p = r->plaintext->p;
	o[1].len = r->plaintext->len;
	o[2].path = g->ciphertext_out;
	o[2].p = g->pair ? r->private_key_blob : r->ciphertext_blob;
	o[2].len = g->pair ? r->private_key_blob_len : r->ciphertext_blob_len;
	for (size_t i = 0; i < n; i++) {
		o[i].a.fd = -1;
		o[i].through = o[i].path && io_writes_through(o[i].path);
	}

	/* All or none, as far as can be: every file complete under a temporary
	 * name; then every FIFO and device opened; then what cannot be taken
	 * back written, standard output last; renames at the very end.  On a
	 * failure the temporaries go and the files that were there stay. */
	for (size_t i = 0; i < n; i++)
		if (o[i].path && !o[i].through && (rc = out_prepare(g, r, &o[i], err)))
			goto out;
	for (size_t i = 0; i < n; i++)
		if (o[i].path && o[i].through && (rc = io_atomic_open(&o[i].a, o[i].path, 0600, err)))
			goto out;
	for (int last = 0; last < 2; last++)
		for (size_t i = 0; i < n; i++)
			if (o[i].path && o[i].through && is_stdout(o[i].path) == last &&
			    (rc = out_pass(g, r, &o[i], err)))
				goto out;
	/* A rename that fails here leaves the ones before it in place: they
	 * were committed, and are not removed. */
	for (size_t i = 0; i < n; i++)
		if (o[i].path && !o[i].through && (rc = io_atomic_commit(&o[i].a, err)))
			goto out;
out:
	for (size_t i = 0; i < n; i++)
		io_atomic_abort(&o[i].a);
	return rc;
}

void kmsgen_genkey_free(struct kmsgen_genkey *g)
{
	kmsclient_key_free(&g->key);
	memset(g, 0, sizeof *g);
}

/* --- kms-random -------------------------------------------------------------- */

void kmsgen_random_init(struct kmsgen_random *g)
{
	memset(g, 0, sizeof *g);
	g->nbytes = 32;
	g->format = KMSGEN_RANDOM_HEX;
}

int kmsgen_random_check(const struct kmsgen_random *g, struct nk_err *err)
{
	if (g->format == KMSGEN_RANDOM_RAW)
		return io_refuse_tty(g->output ? g->output : "-", g->force, err);
	return NK_OK;
}

void kmsgen_random_req(const struct kmsgen_random *g, struct kms_req *r)
{
	memset(r, 0, sizeof *r);
	r->op = KMS_GENERATE_RANDOM;
	r->nbytes = g->nbytes;
}

int kmsgen_random_write(const struct kmsgen_random *g, const struct kms_resp *r, struct nk_err *err)
{
	const char *path = g->output ? g->output : "-";
	size_t got = r->plaintext ? r->plaintext->len : 0;

	if (got != g->nbytes)
		return err_set(err, NK_DATA, "KMS sent %zu random bytes, %zu were asked for", got, g->nbytes);
	if (g->format == KMSGEN_RANDOM_KMSTOOL) {
		/* AWS's kmstool_enclave_cli genrandom: one PLAINTEXT line. */
		const struct kmsout_field f = { "PLAINTEXT", r->plaintext->p, got, NULL };

		return kmsout_lines(path, &f, 1, 0600, err);
	}
	return nsmtool_write(path, r->plaintext->p, got, (enum nsmtool_format)g->format, g->force, 0600, err);
}

/* --- kms-encrypt ------------------------------------------------------------- */

int kmsgen_encrypt_check(const struct kmsgen_encrypt *g, struct nk_err *err)
{
	if (!g->key.key_id)
		return err_set(err, NK_USAGE, "--key-id is required");
	if (!g->plaintext_file)
		return err_set(err, NK_USAGE, "--plaintext-file is required (FILE, or - for standard input)");
	if (g->format == KMSGEN_ENCRYPT_RAW)
		return io_refuse_tty(g->output ? g->output : "-", g->force, err);
	return NK_OK;
}

int kmsgen_encrypt_read(struct kmsgen_encrypt *g, struct nk_err *err)
{
	const char *name = io_name(g->plaintext_file);
	int rc;

	secmem_free(g->plaintext);
	g->plaintext = NULL;
	rc = io_read_secret(g->plaintext_file, KMSGEN_PLAINTEXT_MAX, &g->plaintext, err);
	if (rc == NK_DATA)
		return err_set(err, NK_DATA, "'%s' is too large for Encrypt (more than %d bytes): "
			       "encrypt a data key from kms-genkey instead", name, KMSGEN_PLAINTEXT_MAX);
	if (rc)
		return rc;
	if (!g->plaintext->len)
		return err_set(err, NK_DATA, "'%s' is empty: Encrypt takes 1 to %d bytes", name,
			       KMSGEN_PLAINTEXT_MAX);
	return NK_OK;
}

void kmsgen_encrypt_req(const struct kmsgen_encrypt *g, struct kms_req *r)
{
	memset(r, 0, sizeof *r);
	kmsclient_key_req(&g->key, r);
	r->op = KMS_ENCRYPT;
	r->encryption_algorithm = g->algorithm;
	if (g->plaintext) {
		r->data = g->plaintext->p;
		r->data_len = g->plaintext->len;
	}
}

int kmsgen_encrypt_write(const struct kmsgen_encrypt *g, const struct kms_resp *r, struct nk_err *err)
{
	if (!r->ciphertext_blob || !r->ciphertext_blob_len)
		return err_set(err, NK_DATA, "KMS sent no CiphertextBlob");
	return nsmtool_write(g->output ? g->output : "-", r->ciphertext_blob, r->ciphertext_blob_len,
			     g->format == KMSGEN_ENCRYPT_RAW ? NSMTOOL_RAW : NSMTOOL_BASE64, g->force, 0600,
			     err);
}

void kmsgen_encrypt_free(struct kmsgen_encrypt *g)
{
	kmsclient_key_free(&g->key);
	secmem_free(g->plaintext);
	memset(g, 0, sizeof *g);
}
