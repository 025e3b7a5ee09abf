/* kmsdecrypt: see kmsdecrypt.h. */
#include "tool/kmsdecrypt.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "util/enc.h"
#include "util/io.h"
#include "kms/kmsclient.h"
#include "tool/kmsout.h"
#include "tool/nsmtool.h"

/* A --batch line may carry this much trailing white space before it counts
 * as too long without being read to its end. */
#define LINE_SLACK 64u

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int is_b64(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/* --- options ------------------------------------------------------------ */

void kmsdecrypt_opts_init(struct kmsdecrypt_opts *o)
{
	memset(o, 0, sizeof *o);
	o->format = -1;
}

void kmsdecrypt_opts_free(struct kmsdecrypt_opts *o)
{
	kmsclient_key_free(&o->key);
	kmsdecrypt_opts_init(o);
}

static int reads_stdin(const struct kmsdecrypt_opts *o)
{
	return !o->ciphertext && (!o->ciphertext_file || strcmp(o->ciphertext_file, "-") == 0);
}

const char *kmsdecrypt_input_path(const struct kmsdecrypt_opts *o)
{
	return o->ciphertext_file ? o->ciphertext_file : "-";
}

const char *kmsdecrypt_output_path(const struct kmsdecrypt_opts *o)
{
	return o->output ? o->output : "-";
}

int kmsdecrypt_check(struct kmsdecrypt_opts *o, int stdin_tty, int creds_stdin, struct nk_err *err)
{
	if (o->batch && o->ciphertext)
		return err_set(err, NK_USAGE,
			       "--batch reads base64 lines from --ciphertext-file or standard input, not --ciphertext");
	if (o->format < 0)
		o->format = o->batch ? KMSDECRYPT_BASE64 : KMSDECRYPT_RAW;
	if (o->batch && o->format == KMSDECRYPT_RAW)
		return err_set(err, NK_USAGE,
			       "--format raw cannot be used with --batch: plaintexts are written one per line "
			       "(use base64, json or kmstool)");
	if (creds_stdin && reads_stdin(o))
		return err_set(err, NK_USAGE,
			       "--credentials - and the ciphertext cannot both come from standard input");
	/* Waiting for a terminal to send a ciphertext nobody mentioned would look
	 * like a hang; "--ciphertext-file -" still reads one. */
	if (!o->batch && !o->ciphertext && !o->ciphertext_file && stdin_tty)
		return err_set(err, NK_USAGE,
			       "no ciphertext: give --ciphertext, --ciphertext-file or pipe it to standard input");
	if (!o->batch && o->format == KMSDECRYPT_RAW)
		return io_refuse_tty(kmsdecrypt_output_path(o), o->force, err);
	return NK_OK;
}

/* --- the ciphertext ------------------------------------------------------- */

/* The blob of base64 text; *too_big tells a size failure (NK_DATA in every
 * context) from malformed text. */
static int unb64(const char *s, size_t len, unsigned char **blob, size_t *n, int *too_big,
		 struct nk_err *err)
{
	size_t chars = 0, got;
	unsigned char *out;
	int rc;

	*blob = NULL;
	*too_big = 0;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (is_space(c))
			continue;
		if (!is_b64(c) && c != '=')
			return err_set(err, NK_DATA, "invalid base64 character at offset %zu", i);
		chars++;
	}
	if (chars == 0)
		return err_set(err, NK_DATA, "no base64 text");
	/* enc_unb64 takes unpadded text; a ciphertext is always padded, so
	 * a missing tail is a cut-off copy, said as such before KMS sees it. */
	if (chars % 4)
		return err_set(err, NK_DATA, "invalid base64: %zu characters, not a multiple of 4 (truncated?)",
			       chars);
	if (!(out = malloc(enc_unb64_max(len))))
		return err_set(err, NK_IO, "out of memory");
	if ((rc = enc_unb64(s, len, out, &got, err)))
		goto fail;
	if (got > KMSDECRYPT_BLOB_MAX) {
		*too_big = 1;
		rc = err_set(err, NK_DATA, "ciphertext of %zu bytes is too large (KMS takes at most %u)", got,
			     KMSDECRYPT_BLOB_MAX);
		goto fail;
	}
	*blob = out;
	*n = got;
	return NK_OK;
fail:
	free(out);
	return rc;
}

int kmsdecrypt_unb64(const char *s, size_t len, unsigned char **blob, size_t *n, struct nk_err *err)
{
	int too_big;

	return unb64(s, len, blob, n, &too_big, err);
}

int kmsdecrypt_detect(const unsigned char *in, size_t len, const char *name, unsigned char **blob,
		      size_t *n, struct nk_err *err)
{
	size_t chars = 0, bad = len;
	int text = 1, rc;

	*blob = NULL;
	for (size_t i = 0; i < len; i++) {
		int c = in[i];

		if (is_space(c))
			continue;
		chars++;
		if (c < 0x20 || c > 0x7e)
			text = 0;
		else if (bad == len && !is_b64(c) && c != '=')
			bad = i;
	}
	if (chars == 0)
		return err_set(err, NK_DATA, "'%s' is empty", name);
	if (text && bad == len) {
		if ((rc = kmsdecrypt_unb64((const char *)in, len, blob, n, err)))
			err_prefix(err, "'%s'", name);
		return rc;
	}
	/* A blob that is all printable is not one KMS made: symmetric ones start
	 * with a version byte of 1, and 256 bytes of RSA output are all printable
	 * with odds below 10^-100.  It is base64 gone wrong, better said here
	 * than by KMS. */
	if (text)
		return err_set(err, NK_DATA,
			       "'%s' is neither a ciphertext blob nor base64 (invalid character '%c' at offset %zu)",
			       name, in[bad], bad);
	if (len > KMSDECRYPT_BLOB_MAX)
		return err_set(err, NK_DATA, "'%s': ciphertext of %zu bytes is too large (KMS takes at most %u)",
			       name, len, KMSDECRYPT_BLOB_MAX);
	if (!(*blob = malloc(len)))
		return err_set(err, NK_IO, "out of memory");
	memcpy(*blob, in, len);
	*n = len;
	return NK_OK;
}

int kmsdecrypt_read(const struct kmsdecrypt_opts *o, unsigned char **blob, size_t *n, struct nk_err *err)
{
	const char *path = kmsdecrypt_input_path(o);
	unsigned char *buf = NULL;
	size_t len;
	int rc, too_big;

	*blob = NULL;
	if (o->ciphertext) {
		len = strlen(o->ciphertext);
		if (len > KMSDECRYPT_FILE_MAX)
			return err_set(err, NK_DATA, "--ciphertext is too large (more than %u characters)",
				       KMSDECRYPT_FILE_MAX);
		if (!(rc = unb64(o->ciphertext, len, blob, n, &too_big, err)))
			return NK_OK;
		if (too_big || rc != NK_DATA) {
			err_prefix(err, "--ciphertext");
			return rc;
		}
		/* Malformed option values are usage errors across the suite. */
		if (err)
			err->code = NK_USAGE;
		err_prefix(err, "invalid value '%.40s%s' for --ciphertext", o->ciphertext, len > 40 ? "..." : "");
		return NK_USAGE;
	}
	if ((rc = io_read_all(path, KMSDECRYPT_FILE_MAX, &buf, &len, err)))
		return rc;
	rc = kmsdecrypt_detect(buf, len, io_name(path), blob, n, err);
	free(buf);
	return rc;
}

void kmsdecrypt_request(const struct kmsdecrypt_opts *o, const unsigned char *blob, size_t n,
			struct kms_req *req)
{
	memset(req, 0, sizeof *req);
	req->op = KMS_DECRYPT;
	kmsclient_key_req(&o->key, req);
	/* As the issue asks: naming a key pins the algorithm too, so an
	 * asymmetric key is not tried with whatever KMS would guess. */
	req->encryption_algorithm = o->algorithm ? o->algorithm : o->key.key_id ? "SYMMETRIC_DEFAULT" : NULL;
	req->data = blob;
	req->data_len = n;
}

/* --- output --------------------------------------------------------------- */

int kmsdecrypt_write(const char *path, enum kmsdecrypt_format f, const struct kms_resp *r, int force,
		     struct nk_err *err)
{
	const unsigned char *p;
	size_t n;

	if (!r->plaintext)
		return err_set(err, NK_DATA, "KMS returned no plaintext");
	p = r->plaintext->p;
	n = r->plaintext->len;
	switch (f) {
	case KMSDECRYPT_RAW:
		return nsmtool_write(path, p, n, NSMTOOL_RAW, force, 0600, err);
	case KMSDECRYPT_BASE64:
		return nsmtool_write(path, p, n, NSMTOOL_BASE64, force, 0600, err);
	case KMSDECRYPT_JSON: {
		const struct kmsout_field fields[] = {
			{ "KeyId", NULL, 0, r->key_id },
			{ "Plaintext", p, n, NULL },
			{ "EncryptionAlgorithm", NULL, 0, r->encryption_algorithm },
		};

		return kmsout_json(path, fields, 3, 0600, err);
	}
	case KMSDECRYPT_KMSTOOL: {
		const struct kmsout_field field = { "PLAINTEXT", p, n, NULL };

		return kmsout_lines(path, &field, 1, 0600, err);
	}
	}
	return err_set(err, NK_USAGE, "unknown output format");
}

/* s as a JSON string (quotes included) at out, which holds 6 * strlen(s) + 2
 * bytes.  s came out of jansson (KMS's answer), so it is valid UTF-8 and only
 * quotes, backslashes and control characters need escaping. */
static size_t json_str(const char *s, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	out[o++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[o++] = '\\';
			out[o++] = (char)c;
		} else if (c < 0x20) {
			memcpy(out + o, "\\u00", 4);
			out[o + 4] = hex[c >> 4];
			out[o + 5] = hex[c & 15];
			o += 6;
		} else {
			out[o++] = (char)c;
		}
	}
	out[o++] = '"';
	return o;
}

static size_t put_b64(const unsigned char *p, size_t n, char *out)
{
	/* EVP_EncodeBlock takes an int: a plaintext is at most 4096 bytes. */
	return (size_t)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

int kmsdecrypt_line(enum kmsdecrypt_format f, const struct kms_resp *r, struct secbuf **out,
		    struct nk_err *err)
{
	const unsigned char *p;
	size_t n, b64, cap, len = 0;
	struct secbuf *b;
	char *s;

	*out = NULL;
	if (f == KMSDECRYPT_RAW)
		return err_set(err, NK_USAGE, "raw output has no lines");
	if (!r->plaintext)
		return err_set(err, NK_DATA, "KMS returned no plaintext");
	p = r->plaintext->p;
	n = r->plaintext->len;
	b64 = 4 * ((n + 2) / 3);
	cap = b64 + 64;
	if (f == KMSDECRYPT_JSON)
		cap += 6 * (r->key_id ? strlen(r->key_id) : 0) +
		       6 * (r->encryption_algorithm ? strlen(r->encryption_algorithm) : 0);
	if (!(b = secmem_new(cap)))
		return err_set(err, NK_IO, "out of memory");
	s = (char *)b->p;
	switch (f) {
	case KMSDECRYPT_BASE64:
		len = put_b64(p, n, s);
		break;
	case KMSDECRYPT_KMSTOOL:
		memcpy(s, "PLAINTEXT: ", 11);
		len = 11 + put_b64(p, n, s + 11);
		break;
	case KMSDECRYPT_JSON:
		/* The AWS CLI's decrypt output, one object per line. */
		s[len++] = '{';
		if (r->key_id) {
			memcpy(s + len, "\"KeyId\":", 8);
			len += 8;
			len += json_str(r->key_id, s + len);
			s[len++] = ',';
		}
		memcpy(s + len, "\"Plaintext\":\"", 13);
		len += 13;
		len += put_b64(p, n, s + len);
		s[len++] = '"';
		if (r->encryption_algorithm) {
			memcpy(s + len, ",\"EncryptionAlgorithm\":", 23);
			len += 23;
			len += json_str(r->encryption_algorithm, s + len);
		}
		s[len++] = '}';
		break;
	case KMSDECRYPT_RAW:
		break;
	}
	s[len++] = '\n';
	b->len = len;
	*out = b;
	return NK_OK;
}

/* --- --batch -------------------------------------------------------------- */

void kmsdecrypt_reader_init(struct kmsdecrypt_reader *r, int fd, const char *name)
{
	r->fd = fd;
	r->name = name;
	r->lineno = 0;
	r->start = r->end = 0;
	r->eof = r->skipping = 0;
}

static int fill(struct kmsdecrypt_reader *r, struct nk_err *err)
{
	ssize_t got;

	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	do
		got = read(r->fd, r->buf + r->end, sizeof r->buf - r->end);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return err_set(err, NK_IO, "cannot read '%s':", r->name);
	if (got == 0)
		r->eof = 1;
	r->end += (size_t)got;
	return NK_OK;
}

int kmsdecrypt_next_line(struct kmsdecrypt_reader *r, const char **line, size_t *len,
			 struct nk_err *err)
{
	int rc;

	*line = NULL;
	*len = 0;
	for (;;) {
		char *s = r->buf + r->start;
		char *nl = memchr(s, '\n', r->end - r->start);

		if (r->skipping) {
			/* The rest of a line already reported as too long. */
			if (nl) {
				r->start = (size_t)(nl - r->buf) + 1;
				r->skipping = 0;
				continue;
			}
			r->start = r->end;
			if (r->eof)
				return NK_OK;
		} else if (nl || (r->eof && r->end > r->start)) {
			size_t n = nl ? (size_t)(nl - s) : r->end - r->start;

			r->start += n + (nl != NULL);
			r->lineno++;
			while (n && is_space((unsigned char)s[n - 1]))
				n--;
			if (n > KMSDECRYPT_LINE_MAX)
				return err_set(err, NK_DATA, "line too long (more than %u characters)",
					       KMSDECRYPT_LINE_MAX);
			*line = s;
			*len = n;
			return NK_OK;
		} else if (r->eof) {
			return NK_OK;
		} else if (r->end - r->start > KMSDECRYPT_LINE_MAX + LINE_SLACK) {
			/* Said now, not after reading a line of unbounded length. */
			r->lineno++;
			r->skipping = 1;
			r->start = r->end;
			return err_set(err, NK_DATA, "line too long (more than %u characters)",
				       KMSDECRYPT_LINE_MAX);
		}
		if ((rc = fill(r, err)))
			return rc;
	}
}

static int put(struct io_atomic *out, int to_stdout, const void *p, size_t n, struct nk_err *err)
{
	int rc = io_atomic_write(out, p, n, err);

	/* Each line leaves at once, so a pipeline downstream streams. */
	if (!rc && to_stdout && fflush(stdout) != 0)
		rc = err_set(err, NK_IO, "write error on standard output:");
	return rc;
}

static int one_line(struct kmsdecrypt_batch *b, const char *line, size_t len, struct secbuf **text,
		    struct nk_err *err)
{
	struct kms_resp resp;
	unsigned char *blob = NULL;
	size_t n;
	int rc;

	memset(&resp, 0, sizeof resp);
	if (len == 0)
		return err_set(err, NK_DATA, "empty line");
	if ((rc = kmsdecrypt_unb64(line, len, &blob, &n, err)))
		return rc;
	rc = b->decrypt(b->ctx, blob, n, &resp, err);
	if (!rc)
		rc = kmsdecrypt_line(b->format, &resp, text, err);
	kms_resp_free(&resp);
	free(blob);
	return rc;
}

int kmsdecrypt_batch_run(struct kmsdecrypt_batch *b, struct nk_err *err)
{
	struct kmsdecrypt_reader *rd = NULL;
	struct io_atomic out;
	int to_stdout = strcmp(b->out_path, "-") == 0, first = NK_OK, rc;

	b->lines = b->failed = 0;
	if (b->format == KMSDECRYPT_RAW)
		return err_set(err, NK_USAGE, "--format raw cannot be used with --batch");
	if (!(rd = malloc(sizeof *rd)))
		return err_set(err, NK_IO, "out of memory");
	kmsdecrypt_reader_init(rd, b->in_fd, b->in_name);
	if ((rc = io_atomic_open(&out, b->out_path, 0600, err))) {
		free(rd);
		return rc;
	}
	for (;;) {
		struct nk_err le = { 0 };
		struct secbuf *text = NULL;
		const char *line;
		size_t len;
		int lrc;

		lrc = kmsdecrypt_next_line(rd, &line, &len, &le);
		if (lrc == NK_IO) {
			*err = le;
			rc = lrc;
			goto fail;
		}
		if (!lrc && !line)
			break;
		b->lines = rd->lineno;
		if (!lrc)
			lrc = one_line(b, line, len, &text, &le);
		if (lrc) {
			err_prefix(&le, "line %lu", rd->lineno);
			if (!b->keep_going) {
				*err = le;
				rc = lrc;
				goto fail;
			}
			if (first == NK_OK)
				first = lrc;
			b->failed++;
			if (b->report)
				b->report(b->ctx, &le);
			rc = put(&out, to_stdout, "\n", 1, err);
		} else {
			rc = put(&out, to_stdout, text->p, text->len, err);
		}
		secmem_free(text);
		if (rc)
			goto fail;
	}
	free(rd);
	if ((rc = io_atomic_commit(&out, err)))
		return rc;
	if (b->failed)
		return err_set(err, first, "%lu of %lu lines failed", b->failed, b->lines);
	return NK_OK;
fail:
	io_atomic_abort(&out);
	free(rd);
	return rc;
}
