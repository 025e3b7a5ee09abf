/* kmsdecrypt: the checks its option table cannot declare, the ciphertext input (base64 or raw,
 * told apart), the request, the output shapes, the line reader and the
 * --batch loop driven by a fake decrypt.  Base64 known answers are RFC 4648's
 * vectors (§10) and facts of the encoding (three zero bytes are "AAAA"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <cmocka.h>

#include "util/io.h"
#include "tool/kmsdecrypt.h"
#include "tool/kmsopts.h"

static char dir[64], out_path[96];

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/nk-kmsdecrypt-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(out_path, sizeof out_path, "%s/out", dir);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A readable descriptor holding s (an unlinked temporary file). */
static int fd_of(const char *s, size_t len)
{
	char path[] = "/tmp/nk-kmsdecrypt-in-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(io_write_full(fd, s, len), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static char *slurp(const char *path)
{
	unsigned char *buf;
	size_t len;
	struct nk_err e = { 0 };

	assert_int_equal(io_read_all(path, 1 << 20, &buf, &len, &e), NK_OK);
	return (char *)buf;  /* NUL-terminated by io_read_all */
}

static char *repeat(char c, size_t n, const char *tail)
{
	char *s = malloc(n + strlen(tail) + 1);

	assert_non_null(s);
	memset(s, c, n);
	strcpy(s + n, tail);
	return s;
}

/* --- options ------------------------------------------------------------ */

static void test_check(void **state)
{
	struct kmsdecrypt_opts o;
	struct nk_err e = { 0 };

	(void)state;
	/* Defaults: raw for one ciphertext, base64 for --batch.  (--ciphertext
	 * with --ciphertext-file and --keep-going without --batch are refused by
	 * kms-decrypt's option table, EXCL and NEEDS: kms-decrypt.bats.) */
	kmsdecrypt_opts_init(&o);
	assert_int_equal(o.format, -1);
	o.ciphertext_file = "ct.bin";
	o.output = "pt.bin";
	assert_int_equal(kmsdecrypt_check(&o, 1, 0, &e), NK_OK);
	assert_int_equal(o.format, KMSDECRYPT_RAW);
	assert_string_equal(kmsdecrypt_input_path(&o), "ct.bin");
	assert_string_equal(kmsdecrypt_output_path(&o), "pt.bin");
	kmsdecrypt_opts_free(&o);
	assert_null(o.ciphertext_file);

	o.batch = 1;
	assert_int_equal(kmsdecrypt_check(&o, 1, 0, &e), NK_OK);  /* a terminal may paste lines */
	assert_int_equal(o.format, KMSDECRYPT_BASE64);
	assert_string_equal(kmsdecrypt_input_path(&o), "-");
	assert_string_equal(kmsdecrypt_output_path(&o), "-");
	assert_int_equal(kmsdecrypt_check(&o, 0, 1, &e), NK_USAGE);
	assert_string_equal(e.msg, "--credentials - and the ciphertext cannot both come from standard input");
	o.format = KMSDECRYPT_RAW;
	assert_int_equal(kmsdecrypt_check(&o, 0, 0, &e), NK_USAGE);
	assert_string_equal(e.msg, "--format raw cannot be used with --batch: plaintexts are written one per "
				   "line (use base64, json or kmstool)");
	o.format = -1;
	o.ciphertext = "Zm9v";
	assert_int_equal(kmsdecrypt_check(&o, 0, 0, &e), NK_USAGE);
	assert_string_equal(e.msg, "--batch reads base64 lines from --ciphertext-file or standard input, not --ciphertext");
	kmsdecrypt_opts_free(&o);

	/* Nothing named and a terminal on stdin: refused rather than waiting. */
	o.format = KMSDECRYPT_BASE64;
	assert_int_equal(kmsdecrypt_check(&o, 1, 0, &e), NK_USAGE);
	assert_string_equal(e.msg, "no ciphertext: give --ciphertext, --ciphertext-file or pipe it to standard input");
	assert_int_equal(kmsdecrypt_check(&o, 0, 0, &e), NK_OK);
	o.ciphertext_file = "-";
	assert_int_equal(kmsdecrypt_check(&o, 1, 0, &e), NK_OK);
	/* Standard input named for both: cli's STDIN check says it first, this
	 * one too for callers without the table. */
	assert_int_equal(kmsdecrypt_check(&o, 0, 1, &e), NK_USAGE);
	assert_string_equal(e.msg, "--credentials - and the ciphertext cannot both come from standard input");
	/* --credentials - is fine when the ciphertext comes from elsewhere. */
	o.ciphertext_file = NULL;
	o.ciphertext = "Zm9v";
	assert_int_equal(kmsdecrypt_check(&o, 0, 1, &e), NK_OK);
	o.ciphertext = NULL;
	o.ciphertext_file = "ct.bin";
	assert_int_equal(kmsdecrypt_check(&o, 0, 1, &e), NK_OK);
	kmsdecrypt_opts_free(&o);
}

/* --- the ciphertext ------------------------------------------------------- */

static void test_unb64(void **state)
{
	struct nk_err e = { 0 };
	unsigned char *b;
	size_t n;
	char *s;

	(void)state;
	assert_int_equal(kmsdecrypt_unb64("Zm9vYmFy", 8, &b, &n, &e), NK_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(b, "foobar", 6);
	free(b);
	/* As base64(1) wraps it, with CRLF too. */
	assert_int_equal(kmsdecrypt_unb64("Zm9v\r\nYmE=\n", 11, &b, &n, &e), NK_OK);
	assert_int_equal(n, 5);
	assert_memory_equal(b, "fooba", 5);
	free(b);
	assert_int_equal(kmsdecrypt_unb64("Zm8", 3, &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "invalid base64: 3 characters, not a multiple of 4 (truncated?)");
	assert_null(b);
	assert_int_equal(kmsdecrypt_unb64("Zm9vY", 5, &b, &n, &e), NK_DATA);
	assert_int_equal(kmsdecrypt_unb64("Zm9v!mFy", 8, &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "invalid base64 character at offset 4");
	assert_int_equal(kmsdecrypt_unb64("Zg=a", 4, &b, &n, &e), NK_DATA);
	assert_int_equal(kmsdecrypt_unb64(" \n", 2, &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "no base64 text");
	/* 6144 bytes is KMS's limit: 6144 zero bytes are 8192 'A's. */
	s = repeat('A', 8192, "");
	assert_int_equal(kmsdecrypt_unb64(s, 8192, &b, &n, &e), NK_OK);
	assert_int_equal(n, 6144);
	assert_int_equal(b[0] | b[6143], 0);
	free(b);
	free(s);
	s = repeat('A', 8192, "AA==");
	assert_int_equal(kmsdecrypt_unb64(s, strlen(s), &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "ciphertext of 6145 bytes is too large (KMS takes at most 6144)");
	free(s);
}

static void test_detect(void **state)
{
	/* KMS's symmetric blobs start 01 02 02 00. */
	const unsigned char raw[] = { 0x01, 0x02, 0x02, 0x00, 'x', 0xff, '\n', 0x80 };
	struct nk_err e = { 0 };
	unsigned char *b, *big;
	size_t n;

	(void)state;
	assert_int_equal(kmsdecrypt_detect(raw, sizeof raw, "ct.bin", &b, &n, &e), NK_OK);
	assert_int_equal(n, sizeof raw);
	assert_memory_equal(b, raw, sizeof raw);
	free(b);
	assert_int_equal(kmsdecrypt_detect((const unsigned char *)"Zm9vYmFy\n", 9, "ct.b64", &b, &n, &e), NK_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(b, "foobar", 6);
	free(b);
	assert_int_equal(kmsdecrypt_detect((const unsigned char *)"Zm9vYmE\n", 8, "ct.b64", &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "'ct.b64': invalid base64: 7 characters, not a multiple of 4 (truncated?)");
	assert_int_equal(kmsdecrypt_detect((const unsigned char *)"hello world!\n", 13, "t.txt", &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "'t.txt' is neither a ciphertext blob nor base64 (invalid character '!' at offset 11)");
	assert_null(b);
	assert_int_equal(kmsdecrypt_detect((const unsigned char *)"", 0, "standard input", &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "'standard input' is empty");
	assert_int_equal(kmsdecrypt_detect((const unsigned char *)"\r\n \n", 4, "e", &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "'e' is empty");
	big = calloc(1, 6145);
	big[0] = 1;
	assert_int_equal(kmsdecrypt_detect(big, 6145, "big", &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "'big': ciphertext of 6145 bytes is too large (KMS takes at most 6144)");
	assert_int_equal(kmsdecrypt_detect(big, 6144, "big", &b, &n, &e), NK_OK);
	assert_int_equal(n, 6144);
	free(b);
	free(big);
}

static void test_read(void **state)
{
	const unsigned char raw[] = { 0x01, 0x02, 0x02, 0x00, 0xfe };
	struct kmsdecrypt_opts o;
	struct nk_err e = { 0 };
	unsigned char *b;
	char path[128], *s;
	size_t n;

	(void)state;
	kmsdecrypt_opts_init(&o);
	o.ciphertext = "Zm9v\nYmFy";
	assert_int_equal(kmsdecrypt_read(&o, &b, &n, &e), NK_OK);
	assert_memory_equal(b, "foobar", 6);
	free(b);
	/* Malformed option values are usage errors, as elsewhere in the suite. */
	o.ciphertext = "Zm9v!mFy";
	assert_int_equal(kmsdecrypt_read(&o, &b, &n, &e), NK_USAGE);
	assert_string_equal(e.msg, "invalid value 'Zm9v!mFy' for --ciphertext: invalid base64 character at offset 4");
	o.ciphertext = s = repeat('A', 50, "!");
	assert_int_equal(kmsdecrypt_read(&o, &b, &n, &e), NK_USAGE);
	assert_string_equal(e.msg, "invalid value 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...' for --ciphertext: "
				   "invalid base64 character at offset 50");
	free(s);
	/* ...but too large is bad data. */
	o.ciphertext = s = repeat('A', 8192, "AAAA");
	assert_int_equal(kmsdecrypt_read(&o, &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "--ciphertext: ciphertext of 6147 bytes is too large (KMS takes at most 6144)");
	free(s);
	o.ciphertext = s = repeat('A', 16385, "");
	assert_int_equal(kmsdecrypt_read(&o, &b, &n, &e), NK_DATA);
	assert_string_equal(e.msg, "--ciphertext is too large (more than 16384 characters)");
	free(s);
	o.ciphertext = NULL;

	snprintf(path, sizeof path, "%s/ct.bin", dir);
	assert_int_equal(io_write_file(path, raw, sizeof raw, 0600, &e), NK_OK);
	o.ciphertext_file = path;
	assert_int_equal(kmsdecrypt_read(&o, &b, &n, &e), NK_OK);
	assert_int_equal(n, sizeof raw);
	assert_memory_equal(b, raw, sizeof raw);
	free(b);
	/* Capped before it is parsed. */
	s = repeat('A', 16385, "");
	assert_int_equal(io_write_file(path, s, 16385, 0600, &e), NK_OK);
	free(s);
	assert_int_equal(kmsdecrypt_read(&o, &b, &n, &e), NK_DATA);
	snprintf(path + strlen(path), sizeof path - strlen(path), "' is too large (more than 16384 bytes)");
	assert_non_null(strstr(e.msg, path));
	o.ciphertext_file = dir;
	assert_int_equal(kmsdecrypt_read(&o, &b, &n, &e), NK_IO);
	assert_non_null(strstr(e.msg, "Is a directory"));
	kmsdecrypt_opts_free(&o);
}

static void test_request(void **state)
{
	static const char *const ctx[] = { "app=web" }, *const grants[] = { "gt1", "gt2" };
	struct kmsdecrypt_opts o;
	struct nk_err e = { 0 };
	struct kms_req req;
	struct secbuf *body = NULL;
	json_t *j;

	(void)state;
	kmsdecrypt_opts_init(&o);
	kmsdecrypt_request(&o, (const unsigned char *)"foo", 3, &req);
	assert_int_equal(req.op, KMS_DECRYPT);
	assert_null(req.key_id);
	assert_null(req.encryption_algorithm);
	/* A key id pins the algorithm. */
	assert_int_equal(kmsopts_key_make("alias/test", ctx, 1, grants, 2, &o.key, &e), NK_OK);
	kmsdecrypt_request(&o, (const unsigned char *)"foo", 3, &req);
	assert_string_equal(req.encryption_algorithm, "SYMMETRIC_DEFAULT");
	assert_int_equal(kms_request_body(&req, &body, &e), NK_OK);
	j = json_loadb((const char *)body->p, body->len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "KeyId")), "alias/test");
	assert_string_equal(json_string_value(json_object_get(j, "EncryptionAlgorithm")), "SYMMETRIC_DEFAULT");
	assert_string_equal(json_string_value(json_object_get(j, "CiphertextBlob")), "Zm9v");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "EncryptionContext"), "app")), "web");
	assert_int_equal(json_array_size(json_object_get(j, "GrantTokens")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "GrantTokens"), 1)), "gt2");
	json_decref(j);
	secmem_free(body);
	o.algorithm = "RSAES_OAEP_SHA_1";
	kmsdecrypt_request(&o, (const unsigned char *)"foo", 3, &req);
	assert_string_equal(req.encryption_algorithm, "RSAES_OAEP_SHA_1");
	kmsdecrypt_opts_free(&o);
}

/* --- output --------------------------------------------------------------- */

static void fill_resp(struct kms_resp *r, const char *pt, const char *key_id)
{
	memset(r, 0, sizeof *r);
	r->plaintext = secmem_new(strlen(pt) + 1);
	memcpy(r->plaintext->p, pt, strlen(pt));
	r->plaintext->len = strlen(pt);
	r->key_id = key_id ? strdup(key_id) : NULL;
	r->encryption_algorithm = strdup("SYMMETRIC_DEFAULT");
}

static void assert_line(enum kmsdecrypt_format f, const struct kms_resp *r, const char *want)
{
	struct secbuf *b = NULL;
	struct nk_err e = { 0 };

	assert_int_equal(kmsdecrypt_line(f, r, &b, &e), NK_OK);
	assert_int_equal(b->len, strlen(want));
	assert_memory_equal(b->p, want, b->len);
	secmem_free(b);
}

static void test_line(void **state)
{
	struct kms_resp r;
	struct secbuf *b = NULL;
	struct nk_err e = { 0 };
	json_t *j;

	(void)state;
	fill_resp(&r, "foobar", "arn:aws:kms:us-east-1:111122223333:key/k");
	assert_line(KMSDECRYPT_BASE64, &r, "Zm9vYmFy\n");
	assert_line(KMSDECRYPT_KMSTOOL, &r, "PLAINTEXT: Zm9vYmFy\n");
	assert_line(KMSDECRYPT_JSON, &r, "{\"KeyId\":\"arn:aws:kms:us-east-1:111122223333:key/k\","
					 "\"Plaintext\":\"Zm9vYmFy\",\"EncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}\n");
	assert_int_equal(kmsdecrypt_line(KMSDECRYPT_RAW, &r, &b, &e), NK_USAGE);
	assert_null(b);
	kms_resp_free(&r);

	/* A KeyId needing escapes still gives one line of JSON that reads back. */
	fill_resp(&r, "fo", "k\"e\\y\n\x01\xc3\xa9");
	assert_line(KMSDECRYPT_JSON, &r, "{\"KeyId\":\"k\\\"e\\\\y\\u000a\\u0001\xc3\xa9\",\"Plaintext\":\"Zm8=\","
					 "\"EncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}\n");
	assert_int_equal(kmsdecrypt_line(KMSDECRYPT_JSON, &r, &b, &e), NK_OK);
	j = json_loadb((const char *)b->p, b->len, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "KeyId")), "k\"e\\y\n\x01\xc3\xa9");
	json_decref(j);
	secmem_free(b);
	kms_resp_free(&r);

	/* Fields KMS did not return are left out. */
	fill_resp(&r, "", NULL);
	free(r.encryption_algorithm);
	r.encryption_algorithm = NULL;
	assert_line(KMSDECRYPT_JSON, &r, "{\"Plaintext\":\"\"}\n");
	assert_line(KMSDECRYPT_BASE64, &r, "\n");
	kms_resp_free(&r);
	assert_int_equal(kmsdecrypt_line(KMSDECRYPT_BASE64, &r, &b, &e), NK_DATA);
}

static void test_write(void **state)
{
	struct kms_resp r;
	struct nk_err e = { 0 };
	struct stat st;
	json_t *j;
	char *s;

	(void)state;
	fill_resp(&r, "foobar", "arn:k");
	assert_int_equal(kmsdecrypt_write(out_path, KMSDECRYPT_RAW, &r, 0, &e), NK_OK);
	s = slurp(out_path);
	assert_string_equal(s, "foobar");
	free(s);
	assert_int_equal(stat(out_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(kmsdecrypt_write(out_path, KMSDECRYPT_BASE64, &r, 0, &e), NK_OK);
	s = slurp(out_path);
	assert_string_equal(s, "Zm9vYmFy\n");
	free(s);
	assert_int_equal(kmsdecrypt_write(out_path, KMSDECRYPT_KMSTOOL, &r, 0, &e), NK_OK);
	s = slurp(out_path);
	assert_string_equal(s, "PLAINTEXT: Zm9vYmFy\n");
	free(s);
	assert_int_equal(kmsdecrypt_write(out_path, KMSDECRYPT_JSON, &r, 0, &e), NK_OK);
	s = slurp(out_path);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 3);
	assert_string_equal(json_string_value(json_object_get(j, "KeyId")), "arn:k");
	assert_string_equal(json_string_value(json_object_get(j, "Plaintext")), "Zm9vYmFy");
	assert_string_equal(json_string_value(json_object_get(j, "EncryptionAlgorithm")), "SYMMETRIC_DEFAULT");
	json_decref(j);
	free(s);
	kms_resp_free(&r);
	assert_int_equal(kmsdecrypt_write(out_path, KMSDECRYPT_BASE64, &r, 0, &e), NK_DATA);
}

/* --- lines ---------------------------------------------------------------- */

static void next(struct kmsdecrypt_reader *r, int want_rc, const char *want, unsigned long lineno)
{
	struct nk_err e = { 0 };
	const char *line;
	size_t len;

	assert_int_equal(kmsdecrypt_next_line(r, &line, &len, &e), want_rc);
	if (want_rc) {
		assert_string_equal(e.msg, "line too long (more than 8192 characters)");
	} else if (!want) {
		assert_null(line);
		return;
	} else {
		assert_non_null(line);
		assert_int_equal(len, strlen(want));
		assert_memory_equal(line, want, len);
	}
	assert_int_equal(r->lineno, lineno);
}

static void test_reader(void **state)
{
	struct kmsdecrypt_reader *r = malloc(sizeof *r);
	char *max = repeat('A', 8192, "");
	char *s, *in;
	int fd;

	(void)state;
	fd = fd_of("a\r\nb  \t\n\n \nlast", 15);
	kmsdecrypt_reader_init(r, fd, "in");
	next(r, NK_OK, "a", 1);
	next(r, NK_OK, "b", 2);
	next(r, NK_OK, "", 3);
	next(r, NK_OK, "", 4);
	next(r, NK_OK, "last", 5);  /* no final newline */
	next(r, NK_OK, NULL, 5);
	next(r, NK_OK, NULL, 5);
	close(fd);

	/* 8192 characters fit (plus a CR); 8193 do not, and the reader goes on
	 * with the next line, also after a line longer than its buffer. */
	if (asprintf(&in, "%s\r\n%sB\nok\n%s%s%s\nend\n", max, max, max, max, max) < 0)
		fail();
	fd = fd_of(in, strlen(in));
	kmsdecrypt_reader_init(r, fd, "in");
	next(r, NK_OK, max, 1);
	next(r, NK_DATA, NULL, 2);
	next(r, NK_OK, "ok", 3);
	next(r, NK_DATA, NULL, 4);
	next(r, NK_OK, "end", 5);
	next(r, NK_OK, NULL, 5);
	close(fd);
	free(in);

	/* A long last line without a newline. */
	s = repeat('A', 20000, "");
	fd = fd_of(s, 20000);
	kmsdecrypt_reader_init(r, fd, "in");
	next(r, NK_DATA, NULL, 1);
	next(r, NK_OK, NULL, 1);
	close(fd);
	free(s);

	/* A read error is the stream's, not a line's. */
	{
		struct nk_err e = { 0 };
		const char *line;
		size_t len;

		kmsdecrypt_reader_init(r, -1, "in");
		assert_int_equal(kmsdecrypt_next_line(r, &line, &len, &e), NK_IO);
		assert_string_equal(e.msg, "cannot read 'in': Bad file descriptor");
	}
	free(max);
	free(r);
}

/* --- --batch ---------------------------------------------------------------- */

/* The plaintext is the blob itself; "deny" is refused as KMS would. */
struct fake {
	int calls, reports;
	char msgs[8][128];
};

static int fake_decrypt(void *ctx, const unsigned char *blob, size_t n, struct kms_resp *resp,
			struct nk_err *err)
{
	struct fake *f = ctx;

	f->calls++;
	if (n == 4 && memcmp(blob, "deny", 4) == 0)
		return err_set(err, NK_REMOTE, "AccessDeniedException: nope");
	resp->plaintext = secmem_new(n + 1);
	memcpy(resp->plaintext->p, blob, n);
	resp->plaintext->len = n;
	resp->key_id = strdup("arn:k");
	return NK_OK;
}

static void fake_report(void *ctx, const struct nk_err *err)
{
	struct fake *f = ctx;

	if (f->reports < 8)
		snprintf(f->msgs[f->reports], sizeof f->msgs[0], "%s", err->msg);
	f->reports++;
}

static int batch(const char *in, enum kmsdecrypt_format fmt, int keep_going, struct fake *f,
		 struct kmsdecrypt_batch *b, struct nk_err *e)
{
	int fd = fd_of(in, strlen(in)), rc;

	memset(f, 0, sizeof *f);
	memset(b, 0, sizeof *b);
	b->in_fd = fd;
	b->in_name = "standard input";
	b->out_path = out_path;
	b->format = fmt;
	b->keep_going = keep_going;
	b->decrypt = fake_decrypt;
	b->report = fake_report;
	b->ctx = f;
	rc = kmsdecrypt_batch_run(b, e);
	close(fd);
	return rc;
}

static void test_batch(void **state)
{
	struct kmsdecrypt_batch b;
	struct nk_err e = { 0 };
	struct fake f;
	struct stat st;
	char *s;

	(void)state;
	/* In order, one line each, the last one without its newline. */
	assert_int_equal(batch("Zm9vYmFy\nZm8=\r\nZGVueQ==xxxx\nZm9v", KMSDECRYPT_BASE64, 0, &f, &b, &e), NK_DATA);
	assert_string_equal(e.msg, "line 3: invalid base64: data after padding at offset 8");
	assert_int_equal(f.calls, 2);
	/* A stopped batch leaves no file behind. */
	assert_int_equal(stat(out_path, &st), -1);

	assert_int_equal(batch("Zm9vYmFy\nZm8=\r\nZm9v", KMSDECRYPT_BASE64, 0, &f, &b, &e), NK_OK);
	assert_int_equal(b.lines, 3);
	assert_int_equal(b.failed, 0);
	s = slurp(out_path);
	assert_string_equal(s, "Zm9vYmFy\nZm8=\nZm9v\n");
	free(s);
	assert_int_equal(stat(out_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	assert_int_equal(batch("Zm8=\nZm9v\n", KMSDECRYPT_JSON, 0, &f, &b, &e), NK_OK);
	s = slurp(out_path);
	assert_string_equal(s, "{\"KeyId\":\"arn:k\",\"Plaintext\":\"Zm8=\"}\n{\"KeyId\":\"arn:k\",\"Plaintext\":\"Zm9v\"}\n");
	free(s);
	assert_int_equal(batch("Zm8=\n", KMSDECRYPT_KMSTOOL, 0, &f, &b, &e), NK_OK);
	s = slurp(out_path);
	assert_string_equal(s, "PLAINTEXT: Zm8=\n");
	free(s);

	/* KMS's refusal stops the batch with its own code. */
	unlink(out_path);
	assert_int_equal(batch("Zm8=\nZGVueQ==\nZm9v\n", KMSDECRYPT_BASE64, 0, &f, &b, &e), NK_REMOTE);
	assert_string_equal(e.msg, "line 2: AccessDeniedException: nope");
	assert_int_equal(f.calls, 2);
	assert_int_equal(f.reports, 0);
	assert_int_equal(stat(out_path, &st), -1);

	/* --keep-going: an empty line for each failure, all reported, the first
	 * failure's code at the end, the file kept. */
	assert_int_equal(batch("Zm8=\nZm9v!\n\nZGVueQ==\nZm9vYmE\nZm9v\n", KMSDECRYPT_BASE64, 1, &f, &b, &e),
			 NK_DATA);
	assert_string_equal(e.msg, "4 of 6 lines failed");
	assert_int_equal(b.lines, 6);
	assert_int_equal(b.failed, 4);
	assert_int_equal(f.reports, 4);
	assert_string_equal(f.msgs[0], "line 2: invalid base64 character at offset 4");
	assert_string_equal(f.msgs[1], "line 3: empty line");
	assert_string_equal(f.msgs[2], "line 4: AccessDeniedException: nope");
	assert_string_equal(f.msgs[3], "line 5: invalid base64: 7 characters, not a multiple of 4 (truncated?)");
	s = slurp(out_path);
	assert_string_equal(s, "Zm8=\n\n\n\n\nZm9v\n");
	free(s);
	assert_int_equal(batch("ZGVueQ==\nZm9v!\nZm8=\n", KMSDECRYPT_KMSTOOL, 1, &f, &b, &e), NK_REMOTE);
	assert_string_equal(e.msg, "2 of 3 lines failed");
	s = slurp(out_path);
	assert_string_equal(s, "\n\nPLAINTEXT: Zm8=\n");
	free(s);

	/* No lines: nothing to do, an empty output. */
	assert_int_equal(batch("", KMSDECRYPT_BASE64, 0, &f, &b, &e), NK_OK);
	assert_int_equal(b.lines, 0);
	assert_int_equal(f.calls, 0);
	s = slurp(out_path);
	assert_string_equal(s, "");
	free(s);

	assert_int_equal(batch("Zm8=\n", KMSDECRYPT_RAW, 0, &f, &b, &e), NK_USAGE);
	/* An output that cannot be created stops before any decrypt. */
	b.out_path = "/nonexistent/dir/out";
	b.format = KMSDECRYPT_BASE64;
	assert_int_equal(kmsdecrypt_batch_run(&b, &e), NK_IO);
	assert_non_null(strstr(e.msg, "/nonexistent/dir/out"));
	assert_int_equal(f.calls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_unb64),
		cmocka_unit_test(test_detect),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_line),
		cmocka_unit_test_setup_teardown(test_write, setup, teardown),
		cmocka_unit_test(test_reader),
		cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
