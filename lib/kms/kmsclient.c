/* kmsclient: see kmsclient.h. */
#include "kms/kmsclient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "kms/cms.h"
#include "kms/creds.h"
#include "kms/http.h"
#include "nsm/nsm_dev.h"
#include "kms/sigv4.h"
#include "util/log.h"

#define DEFAULT_REGION "us-east-1"
#define CONTENT_TYPE "application/x-amz-json-1.1"
#define KMS_DOC_LIMIT 300     /* KMS refuses attestation documents older than 5 minutes */
#define DOC_MARGIN 20         /* clock skew and time in transit */

static long usec_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000000L + (t1.tv_nsec - t0->tv_nsec) / 1000;
}

/* --- options ------------------------------------------------------------ */

void kmsclient_opts_init(struct kmsclient_opts *o)
{
	memset(o, 0, sizeof *o);
	o->retries = -1;
}

void kmsclient_opts_free(struct kmsclient_opts *o)
{
	creds_free(&o->given);
	kmsclient_opts_init(o);
}

/* --- the key a call names --------------------------------------------------- */

void kmsclient_key_free(struct kmsclient_key *k)
{
	free(k->key_id);
	for (size_t i = 0; i < k->ncontext; i++)
		free((char *)k->context[i].key);  /* the start of the "KEY\0VALUE" block */
	free(k->context);
	for (size_t i = 0; i < k->ngrant; i++)
		free(k->grants[i]);
	free(k->grants);
	memset(k, 0, sizeof *k);
}

void kmsclient_key_req(const struct kmsclient_key *k, struct kms_req *r)
{
	r->key_id = k->key_id;
	r->context = k->context;
	r->ncontext = k->ncontext;
	r->grant_tokens = (const char *const *)k->grants;
	r->ngrant = k->ngrant;
}

/* --- where KMS is --------------------------------------------------------- */

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

/* The host of an endpoint URL, for messages and the signed Host header.
 * Requests are signed for the path "/", so an endpoint must not name another
 * path, a query or credentials of its own. */
static int url_host(const char *url, struct kmsclient_target *t, struct nk_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL, *port = NULL, *path = NULL, *query = NULL, *user = NULL, *frag = NULL;
	int rc = NK_OK;

	if (!u)
		return err_set(err, NK_IO, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
	    curl_url_get(u, CURLUPART_HOST, &h, 0) != CURLUE_OK)
		rc = err_set(err, NK_USAGE, "invalid endpoint '%s' (expected http://HOST[:PORT] or https://...)",
			     url);
	else if (strlen(h) >= sizeof t->host)
		rc = err_set(err, NK_USAGE, "invalid endpoint '%s': host name too long", url);
	else if ((curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && strcmp(path, "/") != 0) ||
		 curl_url_get(u, CURLUPART_QUERY, &query, 0) == CURLUE_OK ||
		 curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0) == CURLUE_OK ||
		 curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK)
		rc = err_set(err, NK_USAGE, "invalid endpoint '%s': only a scheme, host and port "
			     "(KMS is at the path /)", url);
	else if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
		snprintf(t->host_header, sizeof t->host_header, "%s:%s", strcpy(t->host, h), port);
	else
		snprintf(t->host_header, sizeof t->host_header, "%s", strcpy(t->host, h));
	curl_free(scheme);
	curl_free(h);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_free(frag);
	curl_free(user);
	curl_url_cleanup(u);
	return rc;
}

int kmsclient_resolve(const struct kmsclient_opts *o, enum kmsclient_default d,
		      struct kmsclient_target *t, struct nk_err *err)
{
	const char *region = o->region, *endpoint = o->endpoint, *vsock = o->vsock, *ca;
	int rc;

	memset(t, 0, sizeof *t);
	if (o->endpoint && o->vsock)
		return err_set(err, NK_USAGE, "--endpoint and --vsock cannot be used together");
	if (!region)
		region = env("AWS_REGION");
	if (!region)
		region = env("AWS_DEFAULT_REGION");
	if (!region)
		region = DEFAULT_REGION;
	if ((rc = kms_host(region, o->fips, t->host, sizeof t->host, err)))
		return rc;
	snprintf(t->region, sizeof t->region, "%s", region);
	if (!endpoint && !vsock) {
		endpoint = env("AWS_ENDPOINT_URL_KMS");
		if (!endpoint)
			endpoint = env("AWS_ENDPOINT_URL");
	}
	ca = o->ca_bundle ? o->ca_bundle : env("AWS_CA_BUNDLE");
	if (ca && strlen(ca) >= sizeof t->ca_bundle)
		return err_set(err, NK_USAGE, "CA bundle path too long");
	snprintf(t->ca_bundle, sizeof t->ca_bundle, "%s", ca ? ca : "");

	if (endpoint) {
		if (strlen(endpoint) >= sizeof t->url)
			return err_set(err, NK_USAGE, "invalid endpoint '%.64s...': too long", endpoint);
		if ((rc = url_host(endpoint, t, err)))
			return rc;
		snprintf(t->url, sizeof t->url, "%s", endpoint);
		t->transport = HTTP_TCP;
		return NK_OK;
	}
	snprintf(t->url, sizeof t->url, "https://%s/", t->host);
	snprintf(t->host_header, sizeof t->host_header, "%s", t->host);
	if (!vsock && d == KMSCLIENT_DIRECT) {
		t->transport = HTTP_TCP;
		return NK_OK;
	}
	if (vsock && vsock[0] == '@') {
		size_t n = strlen(vsock + 1);

		if (n == 0 || n > HTTP_ABSTRACT_MAX)
			return err_set(err, NK_USAGE, "invalid value '%s' for --vsock: an abstract name has 1 to %d bytes",
				       vsock, HTTP_ABSTRACT_MAX);
		memcpy(t->abstract_name, vsock + 1, n + 1);
		t->transport = HTTP_ABSTRACT;
		return NK_OK;
	}
	t->transport = HTTP_VSOCK;
	t->cid = HTTP_VSOCK_DEFAULT_CID;
	t->port = HTTP_VSOCK_DEFAULT_PORT;
	if (vsock && (rc = http_parse_vsock(vsock, &t->cid, &t->port, err)))
		return rc;
	return NK_OK;
}

/* --- the client ----------------------------------------------------------- */

struct kmsclient {
	struct kmsclient_target t;
	struct creds creds;
	struct http_client *http;
	long timeout_ms;               /* of one attempt */
	struct kmsclient_timing timing;
};

int kmsclient_open(struct kmsclient_opts *o, enum kmsclient_default d, struct kmsclient **out,
		   struct nk_err *err)
{
	struct kmsclient *k = calloc(1, sizeof *k);
	struct http_opts ho = { 0 };
	const char *b;
	int rc;

	*out = NULL;
	if (!k)
		return err_set(err, NK_IO, "out of memory");
	if ((rc = kmsclient_resolve(o, d, &k->t, err)))
		goto fail;
	/* A CA bundle that cannot be read is this machine's problem (exit 4),
	 * found before any key is made or request sent. */
	if (k->t.ca_bundle[0] && access(k->t.ca_bundle, R_OK) != 0) {
		rc = err_set(err, NK_IO, "cannot read CA bundle '%s':", k->t.ca_bundle);
		goto fail;
	}
	if (o->given.access_key_id) {
		k->creds = o->given;
		memset(&o->given, 0, sizeof o->given);
	} else if ((rc = creds_load(o->credentials, time(NULL), &k->creds, err))) {
		goto fail;
	}
	ho.url = k->t.url;
	ho.peer = "KMS";
	ho.transport = (enum http_transport)k->t.transport;
	ho.vsock_cid = k->t.cid;
	ho.vsock_port = k->t.port;
	ho.abstract_name = k->t.abstract_name;
	ho.ca_bundle = k->t.ca_bundle;
	ho.retries = o->retries;
	ho.timeout_ms = o->timeout_ms;
	k->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : HTTP_DEFAULT_TIMEOUT_MS;
	ho.backoff_base_ms = o->backoff_base_ms;
	/* The bats tests shorten the backoff; not a user knob. */
	if (!ho.backoff_base_ms && (b = env("NITROKIT_BACKOFF_MS")))
		ho.backoff_base_ms = atol(b);
	if ((rc = http_open(&ho, &k->http, err)))
		goto fail;
	log_trace("KMS at '%s'%s, region %s", k->t.url,
		  k->t.transport == HTTP_VSOCK ? " through vsock" :
		  k->t.transport == HTTP_ABSTRACT ? " through an abstract socket" : "", k->t.region);
	*out = k;
	return NK_OK;
fail:
	kmsclient_close(k);
	return rc;
}

void kmsclient_close(struct kmsclient *k)
{
	if (!k)
		return;
	http_close(k->http);
	creds_free(&k->creds);
	free(k);
}

const struct kmsclient_timing *kmsclient_last_timing(const struct kmsclient *k)
{
	return &k->timing;
}

/* --- the attested recipient ------------------------------------------------ */

struct kmsclient_recipient {
	EVP_PKEY *key;
	unsigned char *spki;
	size_t spki_len;
	char *nsm;
	unsigned char *doc;
	size_t doc_len;
	time_t made;
	unsigned long generation;      /* counts documents: a new one means a new body */
};

static int attest(struct kmsclient_recipient *r, struct nk_err *err)
{
	struct nsm_conn *conn = NULL;
	struct nsm_request req = { .op = NSM_OP_ATTESTATION };
	struct nsm_response resp = { 0 };
	struct timespec t0;
	unsigned char *doc;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	req.public_key.p = r->spki;
	req.public_key.len = r->spki_len;
	req.public_key.present = 1;
	if ((rc = nsm_open(r->nsm, &conn, err)) || (rc = nsm_exec(conn, &req, &resp, err)))
		goto out;
	if (!(doc = malloc(resp.document.len))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	memcpy(doc, resp.document.p, resp.document.len);
	free(r->doc);
	r->doc = doc;
	r->doc_len = resp.document.len;
	r->made = time(NULL);
	r->generation++;
	log_trace("attestation document of %zu bytes in %.1f ms", r->doc_len, usec_since(&t0) / 1000.0);
out:
	nsm_response_clear(&resp);
	if (conn)
		nsm_close(conn);
	return rc;
}

int kmsclient_recipient_new(const struct kmsclient_opts *o, struct kmsclient_recipient **out,
			    struct nk_err *err)
{
	struct kmsclient_recipient *r = calloc(1, sizeof *r);
	unsigned bits = o->rsa_bits ? o->rsa_bits : 2048;
	unsigned char *p = NULL;
	struct timespec t0;
	int n, rc;

	*out = NULL;
	if (!r)
		return err_set(err, NK_IO, "out of memory");
	if (o->nsm && !(r->nsm = strdup(o->nsm))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!(r->key = EVP_RSA_gen(bits))) {
		rc = err_set_ssl(err, NK_IO, "cannot generate an RSA-%u key", bits);
		goto fail;
	}
	log_trace("RSA-%u key generated in %.1f ms", bits, usec_since(&t0) / 1000.0);
	if ((n = i2d_PUBKEY(r->key, &p)) <= 0) {
		rc = err_set_ssl(err, NK_IO, "cannot encode the public key");
		goto fail;
	}
	r->spki = p;
	r->spki_len = (size_t)n;
	if ((rc = attest(r, err)))
		goto fail;
	*out = r;
	return NK_OK;
fail:
	kmsclient_recipient_free(r);
	return rc;
}

void kmsclient_recipient_free(struct kmsclient_recipient *r)
{
	if (!r)
		return;
	EVP_PKEY_free(r->key);  /* OpenSSL cleanses the private key on free */
	OPENSSL_free(r->spki);
	free(r->doc);
	free(r->nsm);
	free(r);
}

/* A new document when the current one is KMSCLIENT_DOC_MAX_AGE old, or
 * would be older than KMS's five minutes (less a margin) by the end of an
 * attempt that may take `within` seconds. */
static int refresh_within(struct kmsclient_recipient *r, time_t now, long within, struct nk_err *err)
{
	long age = (long)(now - r->made);

	if (now >= r->made && age < KMSCLIENT_DOC_MAX_AGE && age + within <= KMS_DOC_LIMIT - DOC_MARGIN)
		return NK_OK;
	log_trace("attestation document is %ld s old: asking for a new one", age);
	return attest(r, err);
}

int kmsclient_recipient_refresh(struct kmsclient_recipient *r, time_t now, struct nk_err *err)
{
	return refresh_within(r, now, 0, err);
}

const unsigned char *kmsclient_recipient_document(const struct kmsclient_recipient *r, size_t *len)
{
	*len = r->doc_len;
	return r->doc;
}

/* http's retry decision, made from KMS's error as kms_parse_error reads it:
 * a ThrottlingException may come as a 400 whose only sign is the body's
 * __type, without an x-amzn-ErrorType header. */
static int kms_retryable(const struct http_resp *r, void *arg)
{
	struct kms_error ke;
	struct nk_err e = { 0 };

	(void)arg;
	kms_parse_error(r->status, r->error_type[0] ? r->error_type : NULL, r->body, r->len, &ke, &e);
	return ke.retryable;
}

/* One call's request, made anew for each attempt by next_attempt: the body
 * (again only when the document changed) and a signature of this second. */
struct attempt {
	struct kmsclient *k;
	struct kmsclient_recipient *r;  /* NULL: no Recipient */
	struct kms_req *req;
	struct secbuf *body;
	unsigned long body_generation;  /* r's document the body carries */
	char target[64], h_target[96], h_date[48], h_host[200];
	char *h_auth;                   /* no secret in it: a signature, the key id */
	char *h_token;                  /* secmem: the session token */
	size_t h_token_cap;
	const char *headers[6];
};

static void attempt_clear(struct attempt *a)
{
	secmem_free(a->body);
	free(a->h_auth);
	secmem_release(a->h_token, a->h_token_cap);
	memset(a, 0, sizeof *a);
}

static void amz_date(char out[SIGV4_DATE_LEN + 1])
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, SIGV4_DATE_LEN + 1, "%Y%m%dT%H%M%SZ", &tm);
}

static int next_attempt(void *arg, int attempt, struct http_request *rq, struct nk_err *err)
{
	struct attempt *a = arg;
	struct kmsclient *k = a->k;
	struct sigv4_creds sc = creds_sigv4(&k->creds);
	struct sigv4_signed sig = { 0 };
	char date[SIGV4_DATE_LEN + 1];
	size_t nh = 0;
	int rc;

	if (a->r) {
		if ((rc = refresh_within(a->r, time(NULL), k->timeout_ms / 1000 + 1, err)))
			return rc;
		if (a->body && a->body_generation != a->r->generation) {
			secmem_free(a->body);
			a->body = NULL;
		}
		a->req->attestation = a->r->doc;
		a->req->attestation_len = a->r->doc_len;
		a->body_generation = a->r->generation;
	}
	if (!a->body && (rc = kms_request_body(a->req, &a->body, err)))
		return rc;
	if (attempt == 0)
		snprintf(a->target, sizeof a->target, "TrentService.%s", kms_op_name(a->req->op));
	amz_date(date);
	{
		const struct sigv4_header sh[] = {
			{ "content-type", CONTENT_TYPE },
			{ "host", k->t.host_header },
			{ "x-amz-date", date },
			{ "x-amz-target", a->target },
		};
		const struct sigv4_request sr = {
			.method = "POST", .path = "/", .headers = sh, .nheaders = 4,
			.body = a->body->p, .body_len = a->body->len,
		};
		const struct sigv4_params sp = {
			.region = k->t.region, .service = "kms", .amz_date = date,
		};

		if ((rc = sigv4_sign(&sr, &sc, &sp, &sig, err)))
			return rc;
	}
	free(a->h_auth);
	a->h_auth = NULL;
	if (asprintf(&a->h_auth, "Authorization: %s", sig.authorization) < 0) {
		a->h_auth = NULL;
		sigv4_signed_free(&sig);
		return err_set(err, NK_IO, "out of memory");
	}
	sigv4_signed_free(&sig);
	snprintf(a->h_host, sizeof a->h_host, "Host: %s", k->t.host_header);
	snprintf(a->h_date, sizeof a->h_date, "X-Amz-Date: %s", date);
	snprintf(a->h_target, sizeof a->h_target, "X-Amz-Target: %s", a->target);
	a->headers[nh++] = "Content-Type: " CONTENT_TYPE;
	a->headers[nh++] = a->h_host;
	a->headers[nh++] = a->h_date;
	a->headers[nh++] = a->h_target;
	a->headers[nh++] = a->h_auth;
	if (sc.session_token) {
		if (!a->h_token) {
			a->h_token_cap = strlen(sc.session_token) + sizeof "X-Amz-Security-Token: ";
			if (!(a->h_token = secmem_alloc(a->h_token_cap))) {
				a->h_token_cap = 0;
				return err_set(err, NK_IO, "out of memory");
			}
			snprintf(a->h_token, a->h_token_cap, "X-Amz-Security-Token: %s", sc.session_token);
		}
		a->headers[nh++] = a->h_token;
	}
	rq->headers = a->headers;
	rq->nheaders = nh;
	rq->body = a->body->p;
	rq->len = a->body->len;
	return NK_OK;
}

/* The signed call, with r's document as the Recipient when r is given. */
static int call(struct kmsclient *k, struct kmsclient_recipient *r, struct kms_req *req,
		struct kms_resp *resp, struct nk_err *err)
{
	struct attempt a = { .k = k, .r = r, .req = req };
	struct http_resp hr = { 0 };
	struct kms_error ke;
	struct timespec t0;
	int rc;

	memset(resp, 0, sizeof *resp);
	memset(&k->timing, 0, sizeof k->timing);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = http_post_each(k->http, next_attempt, &a, kms_retryable, NULL, &hr, err);
	k->timing.attempts = hr.attempts;
	k->timing.connect_us = hr.connect_us;
	k->timing.total_us = usec_since(&t0);
	if (rc)
		goto out;
	log_trace("%s: HTTP %ld in %.1f ms (%d attempt%s, connect %.1f ms%s)%s%s", kms_op_name(req->op),
		  hr.status, k->timing.total_us / 1000.0, hr.attempts, hr.attempts == 1 ? "" : "s",
		  hr.connect_us / 1000.0, hr.new_connections ? "" : ", connection reused",
		  hr.request_id[0] ? ", request id " : "", hr.request_id);
	if (hr.status < 200 || hr.status > 299) {
		rc = kms_parse_error(hr.status, hr.error_type[0] ? hr.error_type : NULL, hr.body, hr.len,
				     &ke, err);
		if (rc == NK_TRANSPORT)
			err_prefix(err, "KMS still failing after %d attempt%s", hr.attempts,
				   hr.attempts == 1 ? "" : "s");
		goto out;
	}
	rc = kms_parse_response(req->op, hr.body, hr.len, resp, err);
out:
	/* The answer may hold a Plaintext (a Decrypt without Recipient would). */
	if (hr.body)
		secmem_wipe(hr.body, hr.len);
	http_resp_free(&hr);
	attempt_clear(&a);
	return rc;
}

int kmsclient_call(struct kmsclient *k, const struct kms_req *req, struct kms_resp *resp,
		   struct nk_err *err)
{
	struct kms_req copy = *req;

	return call(k, NULL, &copy, resp, err);
}

int kmsclient_call_recipient(struct kmsclient *k, struct kmsclient_recipient *r,
			     struct kms_req *req, struct kms_resp *resp, struct nk_err *err)
{
	int rc;

	if ((rc = call(k, r, req, resp, err)))
		return rc;
	if (!resp->recipient_blob)
		return err_set(err, NK_DATA, "KMS answered %s without CiphertextForRecipient",
			       kms_op_name(req->op));
	/* A plaintext next to CiphertextForRecipient is not KMS's behaviour;
	 * only the one sealed to our key is used. */
	secmem_free(resp->plaintext);
	resp->plaintext = NULL;
	rc = cms_decrypt(resp->recipient_blob, resp->recipient_blob_len, r->key, &resp->plaintext, err);
	/* OpenSSL's CMS code copies the content through buffers on the stack. */
	secmem_scrub_stack();
	if (rc)
		return err_prefix(err, "CiphertextForRecipient");
	return NK_OK;
}

int kmsclient_call_once(struct kmsclient_opts *o, struct kms_req *req, struct kms_resp *resp,
			struct nk_err *err)
{
	struct kmsclient *k = NULL;
	struct kmsclient_recipient *r = NULL;
	int rc;

	memset(resp, 0, sizeof *resp);
	if (!(rc = kmsclient_open(o, KMSCLIENT_VIA_VSOCK, &k, err)) &&
	    !(rc = kmsclient_recipient_new(o, &r, err)))
		rc = kmsclient_call_recipient(k, r, req, resp, err);
	kmsclient_recipient_free(r);
	kmsclient_close(k);
	return rc;
}
