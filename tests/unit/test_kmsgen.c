/* Tests of lib/tool/kmsgen.c: the checks the option tables cannot declare, the request bodies (compared as
 * parsed JSON with the shapes of the KMS API reference), the output fields,
 * and the all-or-nothing writing of kms-genkey's files.  No network here:
 * the bats files cover the wire. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <jansson.h>

#include "tool/kmsgen.h"
#include "tool/kmsopts.h"

static char dir[] = "/tmp/nk-test-kmsgen-XXXXXX";

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

static char *path(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", dir, name);
	return buf[i];
}

static void write_file(const char *p, const void *data, size_t n)
{
	FILE *f = fopen(p, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* The file's bytes (NUL-terminated) or NULL when it does not exist. */
static char *slurp(const char *p, size_t *n)
{
	FILE *f = fopen(p, "rb");
	char *buf;

	if (!f)
		return NULL;
	buf = calloc(1, 8192);
	assert_non_null(buf);
	*n = fread(buf, 1, 8191, f);
	fclose(f);
	return buf;
}

static void assert_mode_0600(const char *p)
{
	struct stat st;

	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

static void body_is(const struct kms_req *r, const char *expected)
{
	struct secbuf *b = NULL;
	struct nk_err err;
	json_t *got, *want;

	assert_int_equal(kms_request_body(r, &b, &err), NK_OK);
	got = json_loadb((char *)b->p, b->len, 0, NULL);
	want = json_loads(expected, 0, NULL);
	assert_non_null(got);
	assert_non_null(want);
	if (!json_equal(got, want))
		fail_msg("got %s\nwant %s", (char *)b->p, expected);
	json_decref(got);
	json_decref(want);
	secmem_free(b);
}

static void usage_is(int rc, const struct nk_err *err, const char *msg)
{
	assert_int_equal(rc, NK_USAGE);
	assert_string_equal(err->msg, msg);
}

/* --- options ----------------------------------------------------------------- */

static void test_specs(void **state)
{
	/* The tables' choices are KMS's KeySpec and KeyPairSpec values (botocore's
	 * service model); a data key's size comes from its spec. */
	assert_string_equal(KMSGEN_KEY_SPECS, "AES_256|AES_128");
	assert_string_equal(KMSGEN_PAIR_SPECS, "RSA_2048|RSA_3072|RSA_4096|ECC_NIST_P256|ECC_NIST_P384|"
					       "ECC_NIST_P521|ECC_SECG_P256K1");
	assert_int_equal(kmsgen_key_spec_bytes("AES_256"), 32);
	assert_int_equal(kmsgen_key_spec_bytes("AES_128"), 16);
	assert_int_equal(kmsgen_key_spec_bytes("AES_512"), 0);
	assert_int_equal(kmsgen_key_spec_bytes(NULL), 0);
}

/* --- kms-genkey ---------------------------------------------------------------- */

/* A kms-genkey command line as (name, value) pairs (NULL value for flags),
 * already checked by type as kms-genkey's table does; the values are filled
 * in as its run() does. */
static int genkey(struct kmsgen_genkey *g, struct nk_err *err, ...)
{
	const char *key_id = NULL, *ctx[8], *grants[16], *name;
	size_t nctx = 0, ngrant = 0;
	va_list ap;
	int rc;

	memset(g, 0, sizeof *g);
	va_start(ap, err);
	while ((name = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		if (strcmp(name, "key-id") == 0)
			key_id = v;
		else if (strcmp(name, "context") == 0)
			ctx[nctx++] = v;
		else if (strcmp(name, "grant-token") == 0)
			grants[ngrant++] = v;
		else if (strcmp(name, "key-spec") == 0)
			g->key_spec = v;
		else if (strcmp(name, "bytes") == 0)
			g->nbytes = strtoul(v, NULL, 10);
		else if (strcmp(name, "pair") == 0)
			g->pair = v;
		else if (strcmp(name, "format") == 0)
			g->format = strcmp(v, "kmstool") == 0 ? KMSGEN_GENKEY_KMSTOOL : KMSGEN_GENKEY_JSON;
		else if (strcmp(name, "output") == 0)
			g->output = v;
		else if (strcmp(name, "plaintext-out") == 0)
			g->plaintext_out = v;
		else if (strcmp(name, "ciphertext-out") == 0)
			g->ciphertext_out = v;
		else
			fail_msg("no kms-genkey option --%s here", name);
	}
	va_end(ap);
	if ((rc = kmsopts_key_make(key_id, ctx, nctx, grants, ngrant, &g->key, err)))
		return rc;
	return kmsgen_genkey_check(g, err);
}

static void test_genkey_check(void **state)
{
	/* (--key-spec, --bytes and --pair exclude each other in kms-genkey's
	 * option table: EXCL, kms-genkey.bats.) */
	static const struct {
		const char *a[10];
		const char *msg;
	} bad[] = {
		{ { "key-spec", "AES_256" }, "--key-id is required" },
		{ { "key-id", "k" }, "one of --key-spec, --bytes or --pair is required" },
		{ { "key-id", "k", "bytes", "8", "output", "x", "plaintext-out", "x" },
		  "-o and --plaintext-out name the same file 'x'" },
		{ { "key-id", "k", "bytes", "8", "plaintext-out", "y", "ciphertext-out", "y" },
		  "--plaintext-out and --ciphertext-out name the same file 'y'" },
		{ { "key-id", "k", "pair", "RSA_2048", "output", "z", "ciphertext-out", "z" },
		  "-o and --ciphertext-out name the same file 'z'" },
		{ { "key-id", "k", "bytes", "8", "plaintext-out", "-" },
		  "the output and --plaintext-out cannot both write to standard output (use -o FILE)" },
		{ { "key-id", "k", "bytes", "8", "output", "o", "plaintext-out", "-", "ciphertext-out", "-" },
		  "--plaintext-out and --ciphertext-out cannot both write to standard output" },
	};
	struct kmsgen_genkey g;
	struct nk_err err;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *const *a = bad[i].a;

		usage_is(genkey(&g, &err, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], NULL), &err,
			 bad[i].msg);
		kmsgen_genkey_free(&g);
	}
	assert_int_equal(genkey(&g, &err, "key-id", "k", "key-spec", "AES_256", "output", "o",
				"plaintext-out", "p", "ciphertext-out", "c", NULL), NK_OK);
	kmsgen_genkey_free(&g);
	assert_int_equal(genkey(&g, &err, "key-id", "k", "pair", "RSA_4096", "format", "kmstool", NULL), NK_OK);
	assert_int_equal(g.format, KMSGEN_GENKEY_KMSTOOL);
	kmsgen_genkey_free(&g);
	/* The key's own checks come first (kmsopts). */
	usage_is(genkey(&g, &err, "key-id", "k", "bytes", "1", "context", "a=1", "context", "a=2", NULL), &err,
		 "--context key 'a' given twice");
	kmsgen_genkey_free(&g);
}

static void test_genkey_bodies(void **state)
{
	struct kmsgen_genkey g;
	struct kms_req r;
	struct nk_err err;

	assert_int_equal(genkey(&g, &err, "key-id", "alias/test", "key-spec", "AES_256", "context", "app=x",
				"context", "env=prod", "grant-token", "T1", "grant-token", "T2", NULL), NK_OK);
	kmsgen_genkey_req(&g, &r);
	assert_int_equal(r.op, KMS_GENERATE_DATA_KEY);
	body_is(&r, "{\"KeyId\": \"alias/test\", \"KeySpec\": \"AES_256\", "
		    "\"EncryptionContext\": {\"app\": \"x\", \"env\": \"prod\"}, \"GrantTokens\": [\"T1\", \"T2\"]}");
	kmsgen_genkey_free(&g);

	assert_int_equal(genkey(&g, &err, "key-id", "k", "bytes", "7", NULL), NK_OK);
	kmsgen_genkey_req(&g, &r);
	body_is(&r, "{\"KeyId\": \"k\", \"NumberOfBytes\": 7}");
	kmsgen_genkey_free(&g);

	assert_int_equal(genkey(&g, &err, "key-id", "k", "pair", "ECC_SECG_P256K1", "context", "a=b", NULL), NK_OK);
	kmsgen_genkey_req(&g, &r);
	assert_int_equal(r.op, KMS_GENERATE_DATA_KEY_PAIR);
	body_is(&r, "{\"KeyId\": \"k\", \"KeyPairSpec\": \"ECC_SECG_P256K1\", \"EncryptionContext\": {\"a\": \"b\"}}");
	kmsgen_genkey_free(&g);
}

static unsigned char *dup_bytes(const char *s, size_t *len)
{
	unsigned char *p = malloc(strlen(s) + 1);

	assert_non_null(p);
	memcpy(p, s, strlen(s) + 1);
	*len = strlen(s);
	return p;
}

/* An answer as kmsclient_call_recipient leaves it: plaintext opened. */
static void fake_resp(struct kms_resp *r, int pair, size_t keylen)
{
	memset(r, 0, sizeof *r);
	r->key_id = strdup("arn:aws:kms:us-east-1:111122223333:key/k");
	r->plaintext = secmem_new(keylen + 1);
	assert_non_null(r->plaintext);
	for (size_t i = 0; i < keylen; i++)
		r->plaintext->p[i] = (unsigned char)(0xa0 + i);
	r->plaintext->len = keylen;
	if (pair) {
		r->key_pair_spec = strdup("ECC_NIST_P256");
		r->public_key = dup_bytes("PUB", &r->public_key_len);
		r->private_key_blob = dup_bytes("PRIVBLOB", &r->private_key_blob_len);
	} else {
		r->ciphertext_blob = dup_bytes("BLOB", &r->ciphertext_blob_len);
	}
}

static void field_is(const struct kmsout_field *f, const char *name, const char *value)
{
	assert_string_equal(f->name, name);
	if (f->text) {
		assert_string_equal(f->text, value);
		return;
	}
	assert_int_equal(f->len, strlen(value));
	assert_memory_equal(f->p, value, f->len);
}

static void test_genkey_fields(void **state)
{
	struct kmsgen_genkey g;
	struct kmsout_field f[KMSGEN_FIELDS_MAX];
	struct kms_resp r;
	struct nk_err err;
	const char *arn = "arn:aws:kms:us-east-1:111122223333:key/k";

	fake_resp(&r, 0, 3);
	assert_int_equal(genkey(&g, &err, "key-id", "k", "bytes", "3", NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_fields(&g, &r, f), 3);
	field_is(&f[0], "KeyId", arn);
	field_is(&f[1], "CiphertextBlob", "BLOB");
	field_is(&f[2], "Plaintext", "\xa0\xa1\xa2");
	g.format = KMSGEN_GENKEY_KMSTOOL;
	assert_int_equal(kmsgen_genkey_fields(&g, &r, f), 2);
	field_is(&f[0], "CIPHERTEXT", "BLOB");
	field_is(&f[1], "PLAINTEXT", "\xa0\xa1\xa2");
	/* --plaintext-out takes the key out of the main output */
	g.plaintext_out = "key.bin";
	assert_int_equal(kmsgen_genkey_fields(&g, &r, f), 1);
	field_is(&f[0], "CIPHERTEXT", "BLOB");
	g.format = KMSGEN_GENKEY_JSON;
	assert_int_equal(kmsgen_genkey_fields(&g, &r, f), 2);
	field_is(&f[1], "CiphertextBlob", "BLOB");
	kmsgen_genkey_free(&g);
	kms_resp_free(&r);

	fake_resp(&r, 1, 4);
	assert_int_equal(genkey(&g, &err, "key-id", "k", "pair", "ECC_NIST_P256", NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_fields(&g, &r, f), 5);
	field_is(&f[0], "KeyId", arn);
	field_is(&f[1], "KeyPairSpec", "ECC_NIST_P256");
	field_is(&f[2], "PublicKey", "PUB");
	field_is(&f[3], "PrivateKeyCiphertextBlob", "PRIVBLOB");
	field_is(&f[4], "PrivateKeyPlaintext", "\xa0\xa1\xa2\xa3");
	g.format = KMSGEN_GENKEY_KMSTOOL;
	assert_int_equal(kmsgen_genkey_fields(&g, &r, f), 3);
	field_is(&f[0], "CIPHERTEXT", "PRIVBLOB");
	field_is(&f[1], "PLAINTEXT", "\xa0\xa1\xa2\xa3");
	field_is(&f[2], "PUBLICKEY", "PUB");
	kmsgen_genkey_free(&g);
	kms_resp_free(&r);
}

static void test_genkey_write(void **state)
{
	struct kmsgen_genkey g;
	struct kms_resp r;
	struct nk_err err;
	char *s;
	size_t n;

	fake_resp(&r, 0, 32);
	assert_int_equal(genkey(&g, &err, "key-id", "k", "key-spec", "AES_256", "output", path("out.txt"),
				"plaintext-out", path("key.bin"), "ciphertext-out", path("key.enc"),
				"format", "kmstool", NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_OK);
	s = slurp(path("key.bin"), &n);
	assert_non_null(s);
	assert_int_equal(n, 32);
	assert_memory_equal(s, r.plaintext->p, 32);
	free(s);
	s = slurp(path("key.enc"), &n);
	assert_non_null(s);
	assert_string_equal(s, "BLOB");
	free(s);
	s = slurp(path("out.txt"), &n);
	assert_non_null(s);
	assert_string_equal(s, "CIPHERTEXT: QkxPQg==\n");  /* base64 of "BLOB" */
	free(s);
	assert_mode_0600(path("key.bin"));
	assert_mode_0600(path("key.enc"));
	assert_mode_0600(path("out.txt"));
	kmsgen_genkey_free(&g);
	unlink(path("key.bin"));
	unlink(path("key.enc"));
	unlink(path("out.txt"));

	/* The main output cannot be written: the key files go again. */
	assert_int_equal(genkey(&g, &err, "key-id", "k", "key-spec", "AES_256", "output", path("nodir/out"),
				"plaintext-out", path("key.bin"), "ciphertext-out", path("key.enc"), NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_IO);
	assert_non_null(strstr(err.msg, "nodir/out"));
	assert_int_equal(access(path("key.bin"), F_OK), -1);
	assert_int_equal(access(path("key.enc"), F_OK), -1);
	kmsgen_genkey_free(&g);

	/* The second key file cannot be created: neither is left. */
	assert_int_equal(genkey(&g, &err, "key-id", "k", "key-spec", "AES_256", "output", path("out.json"),
				"plaintext-out", path("key.bin"), "ciphertext-out", path("nodir/key.enc"), NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_IO);
	assert_int_equal(access(path("key.bin"), F_OK), -1);
	assert_int_equal(access(path("out.json"), F_OK), -1);
	kmsgen_genkey_free(&g);

	/* A data key of another size than asked for is not written anywhere. */
	assert_int_equal(genkey(&g, &err, "key-id", "k", "key-spec", "AES_128", "output", path("out.json"),
				"plaintext-out", path("key.bin"), NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_DATA);
	assert_string_equal(err.msg, "KMS sent a data key of 32 bytes, 16 were asked for");
	assert_int_equal(access(path("key.bin"), F_OK), -1);
	assert_int_equal(access(path("out.json"), F_OK), -1);
	kmsgen_genkey_free(&g);
	kms_resp_free(&r);

	/* A pair: the DER private key and its blob as raw files, JSON without the key. */
	fake_resp(&r, 1, 5);
	assert_int_equal(genkey(&g, &err, "key-id", "k", "pair", "ECC_NIST_P256", "output", path("pair.json"),
				"plaintext-out", path("priv.der"), "ciphertext-out", path("priv.enc"), NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_OK);
	s = slurp(path("priv.enc"), &n);
	assert_string_equal(s, "PRIVBLOB");
	free(s);
	s = slurp(path("priv.der"), &n);
	assert_int_equal(n, 5);
	assert_memory_equal(s, "\xa0\xa1\xa2\xa3\xa4", 5);
	free(s);
	s = slurp(path("pair.json"), &n);
	assert_string_equal(s, "{\n  \"KeyId\": \"arn:aws:kms:us-east-1:111122223333:key/k\",\n"
			       "  \"KeyPairSpec\": \"ECC_NIST_P256\",\n  \"PublicKey\": \"UFVC\",\n"
			       "  \"PrivateKeyCiphertextBlob\": \"UFJJVkJMT0I=\"\n}\n");
	free(s);
	kmsgen_genkey_free(&g);
	/* no private key in the answer */
	r.plaintext->len = 0;
	assert_int_equal(genkey(&g, &err, "key-id", "k", "pair", "ECC_NIST_P256", "output", path("p2.json"), NULL),
			 NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_DATA);
	assert_string_equal(err.msg, "KMS sent no private key");
	assert_int_equal(access(path("p2.json"), F_OK), -1);
	kmsgen_genkey_free(&g);
	kms_resp_free(&r);
}

/* No ".NAME.XXXXXX" temporary left in the test directory. */
static void no_temporaries(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	assert_non_null(d);
	while ((e = readdir(d)))
		if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			fail_msg("temporary left: %s", e->d_name);
	closedir(d);
}

static void old_content_is(const char *p, const char *want)
{
	size_t n;
	char *s = slurp(p, &n);

	if (!s)
		fail_msg("'%s' was removed", p);
	assert_string_equal(s, want);
	free(s);
}

/* A later output that fails leaves the files that were there as they were
 * (the review's reproduction: --plaintext-out key.bin -o /dev/full used to
 * remove key.bin), and a FIFO gets nothing until every file is complete. */
static void test_genkey_write_failure_keeps_old_files(void **state)
{
	struct kmsgen_genkey g;
	struct kms_resp r;
	struct nk_err err;
	unsigned char buf[64];
	int rfd;

	fake_resp(&r, 0, 32);
	write_file(path("old.bin"), "OLDKEY\n", 7);
	write_file(path("old.json"), "{}\n", 3);

	assert_int_equal(genkey(&g, &err, "key-id", "k", "key-spec", "AES_256", "output", "/dev/full",
				"plaintext-out", path("old.bin"), NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_IO);
	assert_string_equal(err.msg, "cannot write '/dev/full': No space left on device");
	old_content_is(path("old.bin"), "OLDKEY\n");
	kmsgen_genkey_free(&g);

	assert_int_equal(genkey(&g, &err, "key-id", "k", "key-spec", "AES_256", "output", path("old.json"),
				"plaintext-out", path("old.bin"), "ciphertext-out", path("nodir/k.enc"), NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_IO);
	old_content_is(path("old.bin"), "OLDKEY\n");
	old_content_is(path("old.json"), "{}\n");
	kmsgen_genkey_free(&g);

	/* a directory as the main output: refused before anything is written */
	assert_int_equal(mkdir(path("adir"), 0700), 0);
	assert_int_equal(genkey(&g, &err, "key-id", "k", "key-spec", "AES_256", "output", path("adir"),
				"plaintext-out", path("old.bin"), NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_IO);
	assert_non_null(strstr(err.msg, "adir': Is a directory"));
	old_content_is(path("old.bin"), "OLDKEY\n");
	kmsgen_genkey_free(&g);

	/* A FIFO with a reader: nothing when the main output fails, the key
	 * when everything else is complete. */
	assert_int_equal(mkfifo(path("fifo"), 0600), 0);
	rfd = open(path("fifo"), O_RDONLY | O_NONBLOCK);
	assert_true(rfd >= 0);
	assert_int_equal(genkey(&g, &err, "key-id", "k", "key-spec", "AES_256", "output", path("nodir/out"),
				"plaintext-out", path("fifo"), NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_IO);
	assert_true(read(rfd, buf, sizeof buf) <= 0);
	kmsgen_genkey_free(&g);
	assert_int_equal(genkey(&g, &err, "key-id", "k", "key-spec", "AES_256", "output", path("old.json"),
				"plaintext-out", path("fifo"), "ciphertext-out", path("k.enc"), NULL), NK_OK);
	assert_int_equal(kmsgen_genkey_write(&g, &r, &err), NK_OK);
	assert_int_equal(read(rfd, buf, sizeof buf), 32);
	assert_memory_equal(buf, r.plaintext->p, 32);
	old_content_is(path("k.enc"), "BLOB");
	close(rfd);
	kmsgen_genkey_free(&g);
	kms_resp_free(&r);
	no_temporaries();
}

/* --- kms-random ------------------------------------------------------------------ */

static void test_random(void **state)
{
	struct kmsgen_random g;
	struct kms_req req;
	struct kms_resp r;
	struct nk_err err;
	char *s;
	size_t n;

	kmsgen_random_init(&g);
	assert_int_equal(g.nbytes, 32);
	assert_int_equal(g.format, KMSGEN_RANDOM_HEX);
	kmsgen_random_req(&g, &req);
	assert_int_equal(req.op, KMS_GENERATE_RANDOM);
	body_is(&req, "{\"NumberOfBytes\": 32}");
	g.nbytes = 3;
	g.output = path("rnd");
	assert_int_equal(kmsgen_random_check(&g, &err), NK_OK);
	kmsgen_random_req(&g, &req);
	body_is(&req, "{\"NumberOfBytes\": 3}");

	fake_resp(&r, 0, 3);
	assert_int_equal(kmsgen_random_write(&g, &r, &err), NK_OK);
	s = slurp(path("rnd"), &n);
	assert_string_equal(s, "a0a1a2\n");
	free(s);
	assert_mode_0600(path("rnd"));
	g.format = KMSGEN_RANDOM_BASE64;
	assert_int_equal(kmsgen_random_write(&g, &r, &err), NK_OK);
	s = slurp(path("rnd"), &n);
	assert_string_equal(s, "oKGi\n");
	free(s);
	g.format = KMSGEN_RANDOM_KMSTOOL;
	assert_int_equal(kmsgen_random_write(&g, &r, &err), NK_OK);
	s = slurp(path("rnd"), &n);
	assert_string_equal(s, "PLAINTEXT: oKGi\n");
	free(s);
	g.format = KMSGEN_RANDOM_RAW;
	assert_int_equal(kmsgen_random_write(&g, &r, &err), NK_OK);
	s = slurp(path("rnd"), &n);
	assert_int_equal(n, 3);
	assert_memory_equal(s, "\xa0\xa1\xa2", 3);
	free(s);
	unlink(path("rnd"));
	r.plaintext->len = 2;
	assert_int_equal(kmsgen_random_write(&g, &r, &err), NK_DATA);
	assert_string_equal(err.msg, "KMS sent 2 random bytes, 3 were asked for");
	assert_int_equal(access(path("rnd"), F_OK), -1);
	kms_resp_free(&r);
}

/* --- kms-encrypt -------------------------------------------------------------------- */

static void test_encrypt_check(void **state)
{
	/* (--plaintext-file - with --credentials -: the option tables' STDIN,
	 * test_kmsopts and kms-encrypt.bats.) */
	static const char *const none[] = { NULL };
	struct kmsgen_encrypt g = { 0 };
	struct nk_err err;

	usage_is(kmsgen_encrypt_check(&g, &err), &err, "--key-id is required");
	assert_int_equal(kmsopts_key_make("alias/test", none, 0, none, 0, &g.key, &err), NK_OK);
	usage_is(kmsgen_encrypt_check(&g, &err), &err,
		 "--plaintext-file is required (FILE, or - for standard input)");
	g.plaintext_file = "-";
	g.output = path("ct");
	assert_int_equal(kmsgen_encrypt_check(&g, &err), NK_OK);
	g.format = KMSGEN_ENCRYPT_BASE64;
	g.output = NULL;
	assert_int_equal(kmsgen_encrypt_check(&g, &err), NK_OK);  /* text to a terminal is fine */
	kmsgen_encrypt_free(&g);
	assert_null(g.key.key_id);
}

static void test_encrypt_read(void **state)
{
	static unsigned char big[KMSGEN_PLAINTEXT_MAX + 1];
	struct kmsgen_encrypt g = { 0 };
	struct nk_err err;
	char msg[256];

	memset(big, 'p', sizeof big);
	write_file(path("empty"), "", 0);
	write_file(path("max"), big, KMSGEN_PLAINTEXT_MAX);
	write_file(path("over"), big, sizeof big);
	g.plaintext_file = path("empty");
	assert_int_equal(kmsgen_encrypt_read(&g, &err), NK_DATA);
	snprintf(msg, sizeof msg, "'%s' is empty: Encrypt takes 1 to 4096 bytes", path("empty"));
	assert_string_equal(err.msg, msg);
	g.plaintext_file = path("over");
	assert_int_equal(kmsgen_encrypt_read(&g, &err), NK_DATA);
	snprintf(msg, sizeof msg, "'%s' is too large for Encrypt (more than 4096 bytes): "
		 "encrypt a data key from kms-genkey instead", path("over"));
	assert_string_equal(err.msg, msg);
	g.plaintext_file = dir;
	assert_int_equal(kmsgen_encrypt_read(&g, &err), NK_IO);
	assert_non_null(strstr(err.msg, "Is a directory"));
	g.plaintext_file = path("missing");
	assert_int_equal(kmsgen_encrypt_read(&g, &err), NK_IO);
	assert_non_null(strstr(err.msg, "No such file or directory"));
	g.plaintext_file = path("max");
	assert_int_equal(kmsgen_encrypt_read(&g, &err), NK_OK);
	assert_int_equal(g.plaintext->len, KMSGEN_PLAINTEXT_MAX);
	kmsgen_encrypt_free(&g);
}

static void test_encrypt_body_and_write(void **state)
{
	static const char *const ctx[] = { "app=x" }, *const grants[] = { "G" };
	struct kmsgen_encrypt g = { 0 };
	struct kms_req req;
	struct kms_resp r;
	struct nk_err err;
	char *s;
	size_t n;

	write_file(path("pt"), "hello", 5);
	assert_int_equal(kmsopts_key_make("alias/test", ctx, 1, grants, 1, &g.key, &err), NK_OK);
	g.plaintext_file = path("pt");
	assert_int_equal(kmsgen_encrypt_read(&g, &err), NK_OK);
	kmsgen_encrypt_req(&g, &req);
	assert_int_equal(req.op, KMS_ENCRYPT);
	/* no Recipient: Encrypt takes no attestation */
	body_is(&req, "{\"KeyId\": \"alias/test\", \"Plaintext\": \"aGVsbG8=\", "
		      "\"EncryptionContext\": {\"app\": \"x\"}, \"GrantTokens\": [\"G\"]}");
	g.algorithm = "RSAES_OAEP_SHA_256";
	kmsgen_encrypt_req(&g, &req);
	body_is(&req, "{\"KeyId\": \"alias/test\", \"Plaintext\": \"aGVsbG8=\", \"EncryptionAlgorithm\": "
		      "\"RSAES_OAEP_SHA_256\", \"EncryptionContext\": {\"app\": \"x\"}, \"GrantTokens\": [\"G\"]}");

	fake_resp(&r, 0, 1);
	g.output = path("ct");
	assert_int_equal(kmsgen_encrypt_write(&g, &r, &err), NK_OK);
	s = slurp(path("ct"), &n);
	assert_int_equal(n, 4);
	assert_memory_equal(s, "BLOB", 4);
	free(s);
	g.format = KMSGEN_ENCRYPT_BASE64;
	assert_int_equal(kmsgen_encrypt_write(&g, &r, &err), NK_OK);
	s = slurp(path("ct"), &n);
	assert_string_equal(s, "QkxPQg==\n");
	free(s);
	kms_resp_free(&r);
	kmsgen_encrypt_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_specs),
		cmocka_unit_test(test_genkey_check),
		cmocka_unit_test(test_genkey_bodies),
		cmocka_unit_test(test_genkey_fields),
		cmocka_unit_test(test_genkey_write),
		cmocka_unit_test(test_genkey_write_failure_keeps_old_files),
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_encrypt_check),
		cmocka_unit_test(test_encrypt_read),
		cmocka_unit_test(test_encrypt_body_and_write),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
