/* The server half of SigV4: checking a received request's Authorization
 * header (kms-sim, the tests' in-process KMS), and the plain HTTP/1.1
 * request parser that turns received bytes or the AWS suite's request.txt
 * into a struct sigv4_request.  The signature itself is computed by the
 * same code that signs (sigv4_compute), so the two sides cannot disagree. */
#include "kms/sigv4_verify.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

/* Copy [s, s+n) into dst (size cap) when every byte passes ok(). */
static int take_field(char *dst, size_t cap, const char *s, size_t n, size_t min, int (*ok)(unsigned char))
{
	if (n < min || n >= cap)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!ok((unsigned char)s[i]))
			return 0;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 1;
}

static int ok_akid(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int ok_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int ok_label(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static int ok_hname(unsigned char c)
{
	return ok_label(c) || c == '_' || c == '.';
}

static int ok_lhex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Expect the literal lit at *s; advance past it. */
static int expect(const char **s, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*s, lit, n) != 0)
		return 0;
	*s += n;
	return 1;
}

/* The separator between components: ',' then optional spaces, as botocore
 * (", ") and some SDKs (",") write it. */
static int expect_comma(const char **s)
{
	if (**s != ',')
		return 0;
	(*s)++;
	while (**s == ' ')
		(*s)++;
	return 1;
}

int sigv4_parse_authorization(const char *value, struct sigv4_auth *a, struct nk_err *err)
{
	const char *s = value, *e;

	memset(a, 0, sizeof *a);
	if (!s || !expect(&s, SIGV4_ALGORITHM " "))
		return err_set(err, NK_DATA, "authorization header: not '" SIGV4_ALGORITHM "'");
	while (*s == ' ')
		s++;
	if (!expect(&s, "Credential="))
		return err_set(err, NK_DATA, "authorization header: no Credential");
	e = strchr(s, '/');
	if (!e || !take_field(a->access_key_id, sizeof a->access_key_id, s, (size_t)(e - s), 1, ok_akid))
		return err_set(err, NK_DATA, "authorization header: bad access key id");
	s = e + 1;
	e = strchr(s, '/');
	if (!e || e - s != 8 || !take_field(a->date, sizeof a->date, s, 8, 8, ok_digit))
		return err_set(err, NK_DATA, "authorization header: bad credential date");
	s = e + 1;
	e = strchr(s, '/');
	if (!e || !take_field(a->region, sizeof a->region, s, (size_t)(e - s), 1, ok_label))
		return err_set(err, NK_DATA, "authorization header: bad region");
	s = e + 1;
	e = strchr(s, '/');
	if (!e || !take_field(a->service, sizeof a->service, s, (size_t)(e - s), 1, ok_label))
		return err_set(err, NK_DATA, "authorization header: bad service");
	s = e + 1;
	if (!expect(&s, "aws4_request") || !expect_comma(&s) || !expect(&s, "SignedHeaders="))
		return err_set(err, NK_DATA, "authorization header: bad credential scope or no SignedHeaders");
	if (!(e = strchr(s, ',')))
		return err_set(err, NK_DATA, "authorization header: no Signature");
	/* names: lowercase, non-empty, strictly ascending (so no duplicates) */
	{
		size_t n = (size_t)(e - s), start = 0;
		const char *prev = NULL;
		size_t prevlen = 0;

		if (n == 0 || n >= sizeof a->signed_headers)
			return err_set(err, NK_DATA, "authorization header: bad SignedHeaders");
		for (size_t i = 0; i <= n; i++) {
			if (i < n && s[i] != ';') {
				if (!ok_hname((unsigned char)s[i]))
					return err_set(err, NK_DATA, "authorization header: bad SignedHeaders");
				continue;
			}
			if (i == start)
				return err_set(err, NK_DATA, "authorization header: empty name in SignedHeaders");
			if (prev) {
				size_t m = prevlen < i - start ? prevlen : i - start;
				int c = memcmp(prev, s + start, m);

				if (c > 0 || (c == 0 && prevlen >= i - start))
					return err_set(err, NK_DATA,
						       "authorization header: SignedHeaders not sorted or repeated");
			}
			if (++a->nsigned > SIGV4_MAX_HEADERS)
				return err_set(err, NK_DATA, "authorization header: too many SignedHeaders");
			prev = s + start;
			prevlen = i - start;
			start = i + 1;
		}
		memcpy(a->signed_headers, s, n);
		a->signed_headers[n] = '\0';
	}
	s = e;
	if (!expect_comma(&s) || !expect(&s, "Signature="))
		return err_set(err, NK_DATA, "authorization header: no Signature");
	if (!take_field(a->signature, sizeof a->signature, s, strlen(s), SIGV4_HEX_LEN, ok_lhex))
		return err_set(err, NK_DATA, "authorization header: signature is not 64 lowercase hex digits");
	return NK_OK;
}

int sigv4_verify(const struct sigv4_request *req, const char *secret, const char *region,
		 const char *service, struct sigv4_auth *auth, struct nk_err *err)
{
	struct sigv4_auth local, *a = auth ? auth : &local;
	struct sigv4_signed out = { 0 };
	struct sigv4_request r = *req;
	struct sigv4_header *h = NULL;
	const char *v, *date, *csha;
	char names[sizeof a->signed_headers];
	size_t cnt, n = 0;
	int rc;

	if (req->nheaders > SIGV4_MAX_HEADERS)
		return err_set(err, NK_DATA, "too many headers");
	v = sigv4_find_header(req->headers, req->nheaders, "authorization", &cnt);
	if (!v)
		return err_set(err, NK_DATA, "no authorization header");
	if (cnt != 1)
		return err_set(err, NK_DATA, "more than one authorization header");
	if ((rc = sigv4_parse_authorization(v, a, err)))
		return rc;
	date = sigv4_find_header(req->headers, req->nheaders, "x-amz-date", &cnt);
	if (!date || cnt != 1 || !sigv4_valid_date(date))
		return err_set(err, NK_DATA, "missing or bad x-amz-date header");
	if (service && strcmp(a->service, service) != 0)
		return err_set(err, NK_NEGATIVE, "credential scope names service '%s', not '%s'", a->service, service);
	if (region && strcmp(a->region, region) != 0)
		return err_set(err, NK_NEGATIVE, "credential scope names region '%s', not '%s'", a->region, region);
	if (strncmp(date, a->date, 8) != 0)
		return err_set(err, NK_NEGATIVE, "x-amz-date '%s' is not in the credential scope's day '%s'",
			       date, a->date);

	/* keep only the signed headers (every one must be there), in request order */
	if (!(h = calloc(req->nheaders + 1, sizeof *h)))
		return err_set(err, NK_IO, "out of memory");
	memcpy(names, a->signed_headers, sizeof names);
	{
		int have_host = 0, have_date = 0;

		for (char *save = NULL, *nm = strtok_r(names, ";", &save); nm; nm = strtok_r(NULL, ";", &save)) {
			if (!sigv4_find_header(req->headers, req->nheaders, nm, &cnt)) {
				rc = err_set(err, NK_DATA, "signed header '%s' is missing", nm);
				goto out;
			}
			have_host |= strcmp(nm, "host") == 0;
			have_date |= strcmp(nm, "x-amz-date") == 0;
		}
		if (!have_host || !have_date) {
			rc = err_set(err, NK_DATA, "host and x-amz-date must be signed");
			goto out;
		}
	}
	for (size_t i = 0; i < req->nheaders; i++) {
		const char *nm = req->headers[i].name;
		const char *p = a->signed_headers;

		if (!nm)
			continue;
		while (*p) {
			const char *q = strchr(p, ';');
			size_t l = q ? (size_t)(q - p) : strlen(p);

			if (strlen(nm) == l && strncasecmp(nm, p, l) == 0) {
				h[n++] = req->headers[i];
				break;
			}
			p += l + (q ? 1 : 0);
		}
	}
	r.headers = h;
	r.nheaders = n;
	rc = sigv4_compute(&r, secret, date, a->region, a->service, 1, &out, err);
	if (rc)
		goto out;
	csha = sigv4_find_header(req->headers, req->nheaders, "x-amz-content-sha256", &cnt);
	if (csha && (cnt != 1 || strcmp(csha, out.payload_hash) != 0)) {
		rc = err_set(err, NK_NEGATIVE, "x-amz-content-sha256 does not match the body");
		goto out;
	}
	if (CRYPTO_memcmp(out.signature, a->signature, SIGV4_HEX_LEN) != 0)
		rc = err_set(err, NK_NEGATIVE, "signature does not match");
out:
	sigv4_signed_free(&out);
	free(h);
	return rc;
}

void sigv4_http_free(struct sigv4_http *h)
{
	if (!h)
		return;
	free(h->buf);
	memset(h, 0, sizeof *h);
}

int sigv4_http_parse(const void *data, size_t len, struct sigv4_http *out, struct nk_err *err)
{
	char *b, *p, *end, *nl, *sp, *lastsp, *q, *prev_end = NULL;
	size_t n = 0;

	memset(out, 0, sizeof *out);
	if (!(b = malloc(len + 1)))
		return err_set(err, NK_IO, "out of memory");
	if (len)
		memcpy(b, data, len);
	b[len] = '\0';
	out->buf = b;
	end = b + len;

	/* request line: METHOD SP target SP HTTP/x.y (the suite's targets contain spaces) */
	nl = memchr(b, '\n', len);
	if (!nl || memchr(b, '\0', (size_t)(nl - b)))
		goto bad;
	*nl = '\0';
	if (nl > b && nl[-1] == '\r')
		nl[-1] = '\0';
	sp = strchr(b, ' ');
	lastsp = strrchr(b, ' ');
	if (!sp || sp == b || lastsp == sp || strncmp(lastsp + 1, "HTTP/", 5) != 0)
		goto bad;
	*sp = '\0';
	*lastsp = '\0';
	out->req.method = b;
	out->req.path = sp + 1;
	if ((q = strchr(sp + 1, '?'))) {
		*q = '\0';
		out->req.query = q + 1;
	} else {
		out->req.query = "";
	}

	for (p = nl + 1; p < end;) {
		char *line = p, *colon;
		size_t l;

		nl = memchr(p, '\n', (size_t)(end - p));
		l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl ? nl + 1 : end;
		if (l && line[l - 1] == '\r')
			l--;
		if (memchr(line, '\0', l))
			goto bad;
		if (l == 0)
			break;  /* the body follows */
		if (line[0] == ' ' || line[0] == '\t') {
			/* obsolete line folding: the value goes on past the old line end */
			if (!prev_end)
				goto bad;
			for (char *c = prev_end; c < line; c++)
				*c = ' ';
			line[l] = '\0';
			prev_end = line + l;
			continue;
		}
		line[l] = '\0';
		colon = strchr(line, ':');
		if (!colon || colon == line || strcspn(line, " \t") < (size_t)(colon - line))
			goto bad;
		if (n == SIGV4_MAX_HEADERS) {
			sigv4_http_free(out);
			return err_set(err, NK_DATA, "more than %d headers", SIGV4_MAX_HEADERS);
		}
		*colon = '\0';
		out->headers[n].name = line;
		out->headers[n++].value = colon + 1;
		prev_end = line + l;
	}
	out->req.headers = out->headers;
	out->req.nheaders = n;
	out->req.body = (const unsigned char *)p;
	out->req.body_len = (size_t)(end - p);
	return NK_OK;
bad:
	sigv4_http_free(out);
	return err_set(err, NK_DATA, "malformed HTTP request");
}
