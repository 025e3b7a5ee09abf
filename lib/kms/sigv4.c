/* SigV4 as specified in the AWS General Reference ("Create a canonical
 * request", "Create a string to sign", "Calculate the signature") and as the
 * aws-c-auth test suite pins it down (../shared/testdata/sigv4). */
#include "kms/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "util/enc.h"
#include "util/secmem.h"

/* A growing string; an allocation failure is remembered and reported once. */
struct sb {
	char *p;
	size_t len, cap;
	int bad;
};

static void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (b->bad)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		char *q;

		while (c < b->len + n + 1)
			c *= 2;
		if (!(q = realloc(b->p, c))) {
			b->bad = 1;
			return;
		}
		b->p = q;
		b->cap = c;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_putc(struct sb *b, char c)
{
	sb_putn(b, &c, 1);
}

/* The string, or NULL after an allocation failure. */
static char *sb_take(struct sb *b)
{
	char *p;

	if (!b->bad && !b->p)
		sb_putn(b, "", 0);
	if (b->bad) {
		free(b->p);
		b->p = NULL;
		return NULL;
	}
	p = b->p;
	b->p = NULL;
	return p;
}

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

static void uri_encode(struct sb *b, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_unreserved(c) || (keep_slash && c == '/')) {
			sb_putc(b, (char)c);
		} else {
			char t[3] = { '%', hex[c >> 4], hex[c & 15] };

			sb_putn(b, t, 3);
		}
	}
}

/* Percent-decode then encode, so "%E1%88%B4" and the raw UTF-8 sign alike;
 * a '%' not followed by two hex digits is taken literally. */
static char *reencode(const char *s, size_t n)
{
	struct sb b = { 0 };

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%' && i + 2 < n && enc_hexval(s[i + 1]) >= 0 && enc_hexval(s[i + 2]) >= 0) {
			c = (char)(enc_hexval(s[i + 1]) << 4 | enc_hexval(s[i + 2]));
			i += 2;
		}
		uri_encode(&b, &c, 1, 0);
	}
	return sb_take(&b);
}

struct seg {
	const char *p;
	size_t n;
};

static int canonical_path(struct sb *b, const char *path, int normalize)
{
	size_t n = path ? strlen(path) : 0, top = 0;
	struct seg *st;

	if (n == 0) {
		sb_putc(b, '/');
		return 0;
	}
	if (!normalize) {
		uri_encode(b, path, n, 1);
		return 0;
	}
	if (!(st = malloc((n + 1) * sizeof *st)))
		return -1;
	for (size_t i = 0; i <= n;) {
		size_t j = i;

		while (j < n && path[j] != '/')
			j++;
		if (j - i == 2 && path[i] == '.' && path[i + 1] == '.') {
			if (top)
				top--;
		} else if (j > i && !(j - i == 1 && path[i] == '.')) {
			st[top].p = path + i;
			st[top++].n = j - i;
		}
		i = j + 1;
	}
	for (size_t k = 0; k < top; k++) {
		sb_putc(b, '/');
		uri_encode(b, st[k].p, st[k].n, 0);
	}
	if (!top || path[n - 1] == '/')
		sb_putc(b, '/');
	free(st);
	return 0;
}

struct qparam {
	char *k, *v;
};

static int qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c = strcmp(x->k, y->k);

	return c ? c : strcmp(x->v, y->v);
}

static int canonical_query(struct sb *b, const char *q)
{
	size_t n = q ? strlen(q) : 0, np = 0;
	struct qparam *ps;
	int rc = 0;

	if (n == 0)
		return 0;
	if (!(ps = calloc(n / 2 + 1, sizeof *ps)))
		return -1;
	for (size_t i = 0; i < n;) {
		size_t j = i, eq;

		while (j < n && q[j] != '&')
			j++;
		if (j > i) {
			for (eq = i; eq < j && q[eq] != '='; eq++)
				;
			ps[np].k = reencode(q + i, eq - i);
			ps[np].v = eq < j ? reencode(q + eq + 1, j - eq - 1) : reencode("", 0);
			if (!ps[np].k || !ps[np].v) {
				np++;
				rc = -1;
				goto out;
			}
			np++;
		}
		i = j + 1;
	}
	qsort(ps, np, sizeof *ps, qparam_cmp);
	for (size_t i = 0; i < np; i++) {
		if (i)
			sb_putc(b, '&');
		sb_puts(b, ps[i].k);
		sb_putc(b, '=');
		sb_puts(b, ps[i].v);
	}
out:
	for (size_t i = 0; i < np; i++) {
		free(ps[i].k);
		free(ps[i].v);
	}
	free(ps);
	return rc;
}

struct hdr {
	char *name;  /* lowercase copy */
	const char *value;
	size_t idx;  /* keeps duplicates in their original order */
};

static int hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* "Trimall": no leading or trailing blanks, inner runs become one space. */
static void put_trimmed(struct sb *b, const char *v)
{
	int pending = 0, any = 0;

	for (; *v; v++) {
		if (is_blank(*v)) {
			pending = any;
			continue;
		}
		if (pending)
			sb_putc(b, ' ');
		pending = 0;
		any = 1;
		sb_putc(b, *v);
	}
}

static int eq_nocase(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		char x = *a, y = *b;

		if (x >= 'A' && x <= 'Z')
			x = (char)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (char)(y - 'A' + 'a');
		if (x != y)
			return 0;
	}
	return *a == *b;
}

int sigv4_canonical_request(const struct sigv4_request *req, int normalize, const char *payload_hash,
			    char **creq, char **signed_headers, struct nk_err *err)
{
	struct sb b = { 0 }, s = { 0 };
	struct hdr *h;
	size_t n = req->nheaders;
	int rc = NK_OK;

	*creq = *signed_headers = NULL;
	if (!(h = calloc(n + 1, sizeof *h)))
		return err_set(err, NK_IO, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *nm = req->headers[i].name;

		if (!nm || !*nm || !req->headers[i].value) {
			rc = err_set(err, NK_DATA, "empty header name or value");
			goto out;
		}
		if (!(h[i].name = strdup(nm))) {
			rc = err_set(err, NK_IO, "out of memory");
			goto out;
		}
		for (char *c = h[i].name; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		h[i].value = req->headers[i].value;
		h[i].idx = i;
	}
	qsort(h, n, sizeof *h, hdr_cmp);

	sb_puts(&b, req->method ? req->method : "");
	sb_putc(&b, '\n');
	if (canonical_path(&b, req->path, normalize) < 0)
		b.bad = 1;
	sb_putc(&b, '\n');
	if (canonical_query(&b, req->query) < 0)
		b.bad = 1;
	sb_putc(&b, '\n');
	for (size_t i = 0; i < n; i++) {
		int first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;

		if (first) {
			if (i)
				sb_putc(&b, '\n');
			sb_puts(&b, h[i].name);
			sb_putc(&b, ':');
			if (i)
				sb_putc(&s, ';');
			sb_puts(&s, h[i].name);
		} else {
			sb_putc(&b, ',');
		}
		put_trimmed(&b, h[i].value);
	}
	if (n)
		sb_putc(&b, '\n');
	sb_putc(&b, '\n');
	sb_puts(&b, s.p ? s.p : "");
	sb_putc(&b, '\n');
	sb_puts(&b, payload_hash);
	*creq = sb_take(&b);
	*signed_headers = sb_take(&s);
	if (!*creq || !*signed_headers) {
		free(*creq);
		free(*signed_headers);
		*creq = *signed_headers = NULL;
		rc = err_set(err, NK_IO, "out of memory");
	}
out:
	free(b.p);
	free(s.p);
	for (size_t i = 0; i < n; i++)
		free(h[i].name);
	free(h);
	return rc;
}

void sigv4_payload_hash(const unsigned char *body, size_t len, char out[SIGV4_HEX_LEN + 1])
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(body ? body : (const unsigned char *)"", len, md);
	enc_hex(md, sizeof md, out);
}

int sigv4_valid_date(const char *d)
{
	if (!d || strlen(d) != SIGV4_DATE_LEN || d[8] != 'T' || d[15] != 'Z')
		return 0;
	for (int i = 0; i < 15; i++)
		if (i != 8 && (d[i] < '0' || d[i] > '9'))
			return 0;
	return 1;
}

int sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
			 const char *creq, char **sts, struct nk_err *err)
{
	char hash[SIGV4_HEX_LEN + 1];
	struct sb b = { 0 };

	*sts = NULL;
	if (!sigv4_valid_date(amz_date))
		return err_set(err, NK_USAGE, "bad SigV4 date '%s' (want YYYYMMDDTHHMMSSZ)", amz_date ? amz_date : "");
	sigv4_payload_hash((const unsigned char *)creq, strlen(creq), hash);
	sb_puts(&b, SIGV4_ALGORITHM "\n");
	sb_puts(&b, amz_date);
	sb_putc(&b, '\n');
	sb_putn(&b, amz_date, 8);
	sb_putc(&b, '/');
	sb_puts(&b, region);
	sb_putc(&b, '/');
	sb_puts(&b, service);
	sb_puts(&b, "/aws4_request\n");
	sb_puts(&b, hash);
	if (!(*sts = sb_take(&b)))
		return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

static int hmac(const unsigned char *key, size_t klen, const char *msg, size_t mlen, unsigned char out[32])
{
	unsigned int olen = 32;

	return HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &olen) && olen == 32;
}

int sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
		      unsigned char key[32], struct nk_err *err)
{
	size_t slen = strlen(secret);
	unsigned char k1[32], k2[32], k3[32];
	char *ks;
	int ok;

	if (!(ks = secmem_alloc(slen + 5)))
		return err_set(err, NK_IO, "out of memory");
	memcpy(ks, "AWS4", 4);
	memcpy(ks + 4, secret, slen);
	ok = hmac((unsigned char *)ks, slen + 4, date8, 8, k1) &&
	     hmac(k1, 32, region, strlen(region), k2) &&
	     hmac(k2, 32, service, strlen(service), k3) &&
	     hmac(k3, 32, "aws4_request", 12, key);
	secmem_release(ks, slen + 5);
	secmem_wipe(k1, sizeof k1);
	secmem_wipe(k2, sizeof k2);
	secmem_wipe(k3, sizeof k3);
	if (!ok)
		return err_set_ssl(err, NK_IO, "HMAC-SHA256 failed");
	return NK_OK;
}

int sigv4_signature(const unsigned char key[32], const char *sts, char out[SIGV4_HEX_LEN + 1],
		    struct nk_err *err)
{
	unsigned char mac[32];

	if (!hmac(key, 32, sts, strlen(sts), mac))
		return err_set_ssl(err, NK_IO, "HMAC-SHA256 failed");
	enc_hex(mac, sizeof mac, out);
	return NK_OK;
}

char *sigv4_authorization(const char *access_key_id, const char *date8, const char *region,
			  const char *service, const char *signed_headers, const char *signature)
{
	struct sb b = { 0 };

	sb_puts(&b, SIGV4_ALGORITHM " Credential=");
	sb_puts(&b, access_key_id);
	sb_putc(&b, '/');
	sb_putn(&b, date8, 8);
	sb_putc(&b, '/');
	sb_puts(&b, region);
	sb_putc(&b, '/');
	sb_puts(&b, service);
	sb_puts(&b, "/aws4_request, SignedHeaders=");
	sb_puts(&b, signed_headers);
	sb_puts(&b, ", Signature=");
	sb_puts(&b, signature);
	return sb_take(&b);
}

void sigv4_signed_free(struct sigv4_signed *s)
{
	if (!s)
		return;
	/* It holds the x-amz-security-token header's value. */
	if (s->canonical_request)
		secmem_wipe(s->canonical_request, strlen(s->canonical_request));
	free(s->canonical_request);
	free(s->string_to_sign);
	free(s->signed_headers);
	free(s->authorization);
	memset(s, 0, sizeof *s);
}

const char *sigv4_find_header(const struct sigv4_header *h, size_t n, const char *name,
			      size_t *count)
{
	const char *v = NULL;

	*count = 0;
	for (size_t i = 0; i < n; i++)
		if (h[i].name && eq_nocase(h[i].name, name)) {
			if (!v)
				v = h[i].value;
			(*count)++;
		}
	/* A received value keeps the optional whitespace after the colon (RFC 9110 OWS). */
	while (v && (*v == ' ' || *v == '\t'))
		v++;
	return v;
}

int sigv4_compute(const struct sigv4_request *req, const char *secret, const char *amz_date,
		  const char *region, const char *service, int normalize, struct sigv4_signed *out,
		  struct nk_err *err)
{
	unsigned char key[32];
	int rc;

	sigv4_payload_hash(req->body, req->body_len, out->payload_hash);
	rc = sigv4_canonical_request(req, normalize, out->payload_hash, &out->canonical_request,
				     &out->signed_headers, err);
	if (!rc)
		rc = sigv4_string_to_sign(amz_date, region, service, out->canonical_request,
					  &out->string_to_sign, err);
	if (!rc)
		rc = sigv4_signing_key(secret, amz_date, region, service, key, err);
	if (!rc)
		rc = sigv4_signature(key, out->string_to_sign, out->signature, err);
	secmem_wipe(key, sizeof key);
	return rc;
}

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_creds *c,
	       const struct sigv4_params *p, struct sigv4_signed *out, struct nk_err *err)
{
	struct sigv4_request r = *req;
	struct sigv4_header *h;
	char hash[SIGV4_HEX_LEN + 1];
	size_t n = req->nheaders, cnt;
	int rc;

	memset(out, 0, sizeof *out);
	if (!c || !c->access_key_id || !*c->access_key_id || !c->secret_access_key || !*c->secret_access_key)
		return err_set(err, NK_USAGE, "no AWS credentials to sign with");
	if (!sigv4_valid_date(p->amz_date))
		return err_set(err, NK_USAGE, "bad SigV4 date '%s' (want YYYYMMDDTHHMMSSZ)",
			       p->amz_date ? p->amz_date : "");
	if (!(h = calloc(n + 3, sizeof *h)))
		return err_set(err, NK_IO, "out of memory");
	if (n)
		memcpy(h, req->headers, n * sizeof *h);
	if (!sigv4_find_header(h, n, "x-amz-date", &cnt))
		h[n++] = (struct sigv4_header){ "x-amz-date", p->amz_date };
	if (c->session_token && *c->session_token && !sigv4_find_header(h, n, "x-amz-security-token", &cnt))
		h[n++] = (struct sigv4_header){ "x-amz-security-token", c->session_token };
	sigv4_payload_hash(req->body, req->body_len, hash);
	if (p->sign_body && !sigv4_find_header(h, n, "x-amz-content-sha256", &cnt))
		h[n++] = (struct sigv4_header){ "x-amz-content-sha256", hash };
	r.headers = h;
	r.nheaders = n;
	rc = sigv4_compute(&r, c->secret_access_key, p->amz_date, p->region, p->service, p->normalize, out, err);
	if (!rc && !(out->authorization = sigv4_authorization(c->access_key_id, p->amz_date, p->region,
							      p->service, out->signed_headers, out->signature)))
		rc = err_set(err, NK_IO, "out of memory");
	free(h);
	if (rc)
		sigv4_signed_free(out);
	return rc;
}
