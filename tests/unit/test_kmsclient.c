/* kmsclient: where the calls go (a table over options and environment), and
 * whole calls against two in-process peers: a KMS-shaped
 * HTTP server in a thread that checks each request's SigV4 and answers from
 * a script, and an in-process nsm-sim on a unix socket for the Recipient
 * flow.  The wire format against independent peers (botocore, the Python
 * responder) is the bats files' job. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <jansson.h>
#include <cmocka.h>

#include "attest/attest.h"
#include "kms/cms.h"
#include "util/enc.h"
#include "kms/http.h"
#include "kms/kmsclient.h"
#include "sim/nsmsim.h"
#include "kms/sigv4_verify.h"

#define AK "AKIDUNITTEST"
#define SK "unitTestSecret/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN "unitTestToken"
#define SECRET_PT "the launch codes"

/* --- where the calls go -------------------------------------------------------- */

static const char *const ENV_VARS[] = {
	"AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL_KMS", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE",
};

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof ENV_VARS / sizeof *ENV_VARS; i++)
		unsetenv(ENV_VARS[i]);
}

struct resolve_case {
	const char *env[5];           /* values of ENV_VARS, NULL unset */
	const char *region, *endpoint, *vsock, *ca;
	int fips;
	enum kmsclient_default d;
	int rc;
	const char *url;
	int transport;
	unsigned cid, port;
	const char *name, *host, *region_out, *ca_out;
	const char *host_header;  /* NULL: the same as host */
};

static void test_resolve_table(void **state)
{
	static const struct resolve_case cases[] = {
		/* nothing set: the enclave tools go to the vsock-proxy */
		{ .d = KMSCLIENT_VIA_VSOCK, .url = "https://kms.us-east-1.amazonaws.com/",
		  .transport = HTTP_VSOCK, .cid = 3, .port = 8000, .host = "kms.us-east-1.amazonaws.com",
		  .region_out = "us-east-1" },
		/* ... kms-encrypt straight to KMS */
		{ .d = KMSCLIENT_DIRECT, .url = "https://kms.us-east-1.amazonaws.com/", .transport = HTTP_TCP,
		  .region_out = "us-east-1" },
		/* region: option > AWS_REGION > AWS_DEFAULT_REGION */
		{ .env = { "eu-west-1", "ap-south-1" }, .d = KMSCLIENT_DIRECT,
		  .url = "https://kms.eu-west-1.amazonaws.com/", .region_out = "eu-west-1" },
		{ .env = { NULL, "ap-south-1" }, .d = KMSCLIENT_DIRECT,
		  .url = "https://kms.ap-south-1.amazonaws.com/", .region_out = "ap-south-1" },
		{ .env = { "eu-west-1" }, .region = "us-west-2", .d = KMSCLIENT_DIRECT,
		  .url = "https://kms.us-west-2.amazonaws.com/", .region_out = "us-west-2" },
		{ .region = "cn-north-1", .d = KMSCLIENT_VIA_VSOCK, .transport = HTTP_VSOCK, .cid = 3, .port = 8000,
		  .url = "https://kms.cn-north-1.amazonaws.com.cn/", .host = "kms.cn-north-1.amazonaws.com.cn" },
		{ .region = "us-gov-west-1", .fips = 1, .d = KMSCLIENT_DIRECT,
		  .url = "https://kms-fips.us-gov-west-1.amazonaws.com/" },
		{ .region = "US-EAST-1", .rc = NK_USAGE },
		/* endpoint: option > vsock option > AWS_ENDPOINT_URL_KMS > AWS_ENDPOINT_URL */
		{ .env = { NULL, NULL, "http://127.0.0.1:4566", "http://127.0.0.1:9" }, .d = KMSCLIENT_VIA_VSOCK,
		  .url = "http://127.0.0.1:4566", .transport = HTTP_TCP, .host = "127.0.0.1",
		  .host_header = "127.0.0.1:4566" },
		{ .env = { NULL, NULL, NULL, "http://localhost:9" }, .d = KMSCLIENT_VIA_VSOCK,
		  .url = "http://localhost:9", .transport = HTTP_TCP, .host = "localhost", .host_header = "localhost:9" },
		{ .env = { NULL, NULL, "http://127.0.0.1:4566" }, .endpoint = "https://kms.example:8443/",
		  .url = "https://kms.example:8443/", .transport = HTTP_TCP, .host = "kms.example",
		  .host_header = "kms.example:8443" },
		{ .env = { NULL, NULL, "http://127.0.0.1:4566" }, .vsock = "16:9000", .transport = HTTP_VSOCK,
		  .cid = 16, .port = 9000, .url = "https://kms.us-east-1.amazonaws.com/" },
		{ .vsock = "@nk-test", .transport = HTTP_ABSTRACT, .name = "nk-test",
		  .url = "https://kms.us-east-1.amazonaws.com/" },
		{ .vsock = "@", .rc = NK_USAGE },
		{ .vsock = "@abcdefghijklmn", .rc = NK_USAGE },
		{ .vsock = "3", .rc = NK_USAGE },
		{ .vsock = "3:x", .rc = NK_USAGE },
		{ .endpoint = "ftp://x/", .rc = NK_USAGE },
		{ .endpoint = "not a url", .rc = NK_USAGE },
		/* requests are signed for "/": another path, a query or userinfo is refused */
		{ .endpoint = "http://127.0.0.1:4566/kms", .rc = NK_USAGE },
		{ .endpoint = "http://127.0.0.1:4566/?a=b", .rc = NK_USAGE },
		{ .endpoint = "http://user:pw@127.0.0.1:4566/", .rc = NK_USAGE },
		{ .endpoint = "http://127.0.0.1:4566/#x", .rc = NK_USAGE },
		{ .endpoint = "http://[::1]:4566", .url = "http://[::1]:4566", .transport = HTTP_TCP, .host = "[::1]",
		  .host_header = "[::1]:4566" },
		{ .endpoint = "https://kms.example/", .url = "https://kms.example/", .transport = HTTP_TCP,
		  .host = "kms.example" },
		{ .endpoint = "http://a/", .vsock = "3:8000", .rc = NK_USAGE },
		/* CA bundle: option > AWS_CA_BUNDLE */
		{ .env = { NULL, NULL, NULL, NULL, "/etc/env-ca.pem" }, .d = KMSCLIENT_DIRECT,
		  .url = "https://kms.us-east-1.amazonaws.com/", .ca_out = "/etc/env-ca.pem" },
		{ .env = { NULL, NULL, NULL, NULL, "/etc/env-ca.pem" }, .ca = "/opt/ca.pem", .d = KMSCLIENT_DIRECT,
		  .url = "https://kms.us-east-1.amazonaws.com/", .ca_out = "/opt/ca.pem" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct resolve_case *c = &cases[i];
		struct kmsclient_opts o;
		struct kmsclient_target t;
		struct nk_err e = { 0 };
		int rc;

		clear_env();
		for (size_t v = 0; v < 5; v++)
			if (c->env[v])
				setenv(ENV_VARS[v], c->env[v], 1);
		kmsclient_opts_init(&o);
		o.region = c->region;
		o.endpoint = c->endpoint;
		o.vsock = c->vsock;
		o.ca_bundle = c->ca;
		o.fips = c->fips;
		rc = kmsclient_resolve(&o, c->d, &t, &e);
		if (rc != c->rc)
			fail_msg("case %zu: rc %d (%s), expected %d", i, rc, e.msg, c->rc);
		if (rc)
			continue;
		if (c->url && strcmp(t.url, c->url) != 0)
			fail_msg("case %zu: url '%s', expected '%s'", i, t.url, c->url);
		if (t.transport != c->transport)
			fail_msg("case %zu: transport %d, expected %d", i, t.transport, c->transport);
		if (c->transport == HTTP_VSOCK && (t.cid != c->cid || t.port != c->port))
			fail_msg("case %zu: vsock %u:%u", i, t.cid, t.port);
		if (c->name && strcmp(t.abstract_name, c->name) != 0)
			fail_msg("case %zu: name '%s'", i, t.abstract_name);
		if (c->host && strcmp(t.host, c->host) != 0)
			fail_msg("case %zu: host '%s', expected '%s'", i, t.host, c->host);
		if (c->host && strcmp(t.host_header, c->host_header ? c->host_header : c->host) != 0)
			fail_msg("case %zu: Host header '%s'", i, t.host_header);
		if (c->region_out && strcmp(t.region, c->region_out) != 0)
			fail_msg("case %zu: region '%s'", i, t.region);
		if (strcmp(t.ca_bundle, c->ca_out ? c->ca_out : "") != 0)
			fail_msg("case %zu: ca '%s'", i, t.ca_bundle);
	}
	clear_env();
}

/* --- a KMS-shaped server -------------------------------------------------------- */

enum answer { A_ENCRYPT_OK, A_DENIED, A_THROTTLE, A_RECIPIENT, A_PLAINTEXT_ONLY, A_GARBAGE_2XX };

struct kms_srv {
	int lfd;
	unsigned port;
	pthread_t th;
	const enum answer *script;
	int nscript, nreq, nconn;
	char sig[8][32];           /* sigv4_verify's verdict per request: "ok" or the message */
	char target[8][64];
	char host[8][64];
	int has_token[8];
	int had_recipient[8];
	unsigned long doc_hash[8];  /* FNV-1a of the Recipient's document */
};

static int read_request(int fd, char *buf, size_t size, size_t *got)
{
	size_t have = 0, need = 0;
	char *eoh;

	for (;;) {
		ssize_t n = recv(fd, buf + have, size - 1 - have, 0);

		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = 0;
		if (!need && (eoh = strstr(buf, "\r\n\r\n"))) {
			const char *cl = strcasestr(buf, "\r\ncontent-length:");

			need = (size_t)(eoh + 4 - buf) + (cl ? strtoul(cl + 17, NULL, 10) : 0);
		}
		if (need && have >= need) {
			*got = have;
			return 0;
		}
		if (have >= size - 1)
			return -1;
	}
}

static void reply(int fd, long status, const char *body)
{
	char head[256];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %ld X\r\nContent-Type: application/x-amz-json-1.1\r\n"
			 "x-amzn-RequestId: unit-%ld\r\nContent-Length: %zu\r\n\r\n",
			 status, status, strlen(body));

	assert_int_equal(send(fd, head, (size_t)n, MSG_NOSIGNAL), n);
	assert_int_equal(send(fd, body, strlen(body), MSG_NOSIGNAL), (ssize_t)strlen(body));
}

/* The CiphertextForRecipient for the public key in the request's document. */
static unsigned long fnv(const char *p)
{
	unsigned long h = 1469598103934665603UL;

	while (*p)
		h = (h ^ (unsigned char)*p++) * 1099511628211UL;
	return h;
}

static char *recipient_answer(const struct sigv4_http *h, int *had, unsigned long *doc_hash)
{
	json_t *j = json_loadb((const char *)h->req.body, h->req.body_len, 0, NULL);
	const char *doc64 = json_string_value(json_object_get(json_object_get(j, "Recipient"),
							      "AttestationDocument"));
	unsigned char doc[16384], *cms = NULL;
	size_t doclen = 0, cmslen = 0;
	struct attest_parsed p;
	struct nk_err e = { 0 };
	char *b64, *out;

	*had = doc64 != NULL;
	assert_non_null(doc64);
	*doc_hash = fnv(doc64);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "Recipient"),
							      "KeyEncryptionAlgorithm")),
			    "RSAES_OAEP_SHA_256");
	assert_int_equal(enc_unb64(doc64, strlen(doc64), doc, &doclen, &e), NK_OK);
	assert_int_equal(attest_parse(doc, doclen, &p, &e), NK_OK);
	assert_true(p.doc.public_key.present);
	assert_int_equal(cms_encrypt_for_recipient((const unsigned char *)SECRET_PT, strlen(SECRET_PT),
						   p.doc.public_key.p, p.doc.public_key.len, &cms, &cmslen, &e),
			 NK_OK);
	b64 = enc_b64(cms, cmslen);
	assert_true(asprintf(&out, "{\"KeyId\":\"arn:k\",\"CiphertextForRecipient\":\"%s\","
			     "\"EncryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}", b64) > 0);
	free(b64);
	free(cms);
	attest_parsed_free(&p);
	json_decref(j);
	return out;
}

static void *kms_serve(void *arg)
{
	struct kms_srv *s = arg;
	static char buf[65536];

	while (s->nreq < s->nscript) {
		int fd = accept(s->lfd, NULL, NULL);
		size_t got;

		if (fd < 0)
			break;
		s->nconn++;
		while (s->nreq < s->nscript && read_request(fd, buf, sizeof buf, &got) == 0) {
			struct sigv4_http h;
			struct nk_err e = { 0 };
			int i = s->nreq++;
			char *body = NULL;

			assert_int_equal(sigv4_http_parse(buf, got, &h, &e), NK_OK);
			snprintf(s->sig[i], sizeof s->sig[i], "%s",
				 sigv4_verify(&h.req, SK, "us-east-1", "kms", NULL, &e) == NK_OK ? "ok" : e.msg);
			for (size_t k = 0; k < h.req.nheaders; k++) {
				const char *v = h.req.headers[k].value + strspn(h.req.headers[k].value, " ");

				if (strcasecmp(h.req.headers[k].name, "x-amz-target") == 0)
					snprintf(s->target[i], sizeof s->target[i], "%s", v);
				if (strcasecmp(h.req.headers[k].name, "host") == 0)
					snprintf(s->host[i], sizeof s->host[i], "%s", v);
				if (strcasecmp(h.req.headers[k].name, "x-amz-security-token") == 0)
					s->has_token[i] = strcmp(v, TOKEN) == 0;
			}
			switch (s->script[i]) {
			case A_ENCRYPT_OK:
				reply(fd, 200, "{\"CiphertextBlob\":\"AQID\",\"KeyId\":\"arn:k\"}");
				break;
			case A_DENIED:
				reply(fd, 400, "{\"__type\":\"AccessDeniedException\",\"message\":\"not for you\"}");
				break;
			case A_THROTTLE:
				reply(fd, 400, "{\"__type\":\"ThrottlingException\",\"message\":\"slow down\"}");
				break;
			case A_RECIPIENT:
				body = recipient_answer(&h, &s->had_recipient[i], &s->doc_hash[i]);
				reply(fd, 200, body);
				break;
			case A_PLAINTEXT_ONLY:
				reply(fd, 200, "{\"KeyId\":\"arn:k\",\"Plaintext\":\"c2VjcmV0\"}");
				break;
			case A_GARBAGE_2XX:
				reply(fd, 200, "{\"KeyId\":");
				break;
			}
			free(body);
			sigv4_http_free(&h);
		}
		close(fd);
	}
	return NULL;
}

static void kms_start(struct kms_srv *s, const enum answer *script, int n)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;

	memset(s, 0, sizeof *s);
	s->script = script;
	s->nscript = n;
	assert_true((s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->lfd, 8), 0);
	assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pthread_create(&s->th, NULL, kms_serve, s), 0);
}

static void kms_stop(struct kms_srv *s)
{
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static void client_env(int token)
{
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", AK, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SK, 1);
	if (token)
		setenv("AWS_SESSION_TOKEN", TOKEN, 1);
	else
		unsetenv("AWS_SESSION_TOKEN");
}

/* retries -1 and timeout_s 0: the defaults. */
static struct kmsclient *client(const struct kms_srv *s, struct kmsclient_opts *o, int retries,
				long timeout_s)
{
	static char url[64];  /* o borrows it */
	struct kmsclient *k = NULL;
	struct nk_err e = { 0 };

	snprintf(url, sizeof url, "http://127.0.0.1:%u/", s->port);
	kmsclient_opts_init(o);
	o->endpoint = url;
	o->retries = retries;
	o->timeout_ms = timeout_s * 1000;
	o->backoff_base_ms = 1;
	if (kmsclient_open(o, KMSCLIENT_VIA_VSOCK, &k, &e) != NK_OK)
		fail_msg("open: %s", e.msg);
	return k;
}

static void test_call_signed_and_errors(void **state)
{
	static const enum answer script[] = { A_ENCRYPT_OK, A_DENIED, A_THROTTLE, A_ENCRYPT_OK, A_GARBAGE_2XX };
	struct kms_srv s;
	struct kmsclient_opts o;
	struct kmsclient *k;
	struct kms_resp r;
	struct nk_err e = { 0 };
	struct kms_req enc = { .op = KMS_ENCRYPT, .key_id = "alias/x",
			       .data = (const unsigned char *)"pt", .data_len = 2 };
	char host[32];

	(void)state;
	client_env(1);
	kms_start(&s, script, 5);
	k = client(&s, &o, -1, 0);
	assert_int_equal(kmsclient_call(k, &enc, &r, &e), NK_OK);
	assert_int_equal(r.ciphertext_blob_len, 3);
	kms_resp_free(&r);
	/* A refusal: verbatim, exit 5, not retried. */
	assert_int_equal(kmsclient_call(k, &enc, &r, &e), NK_REMOTE);
	assert_string_equal(e.msg, "AccessDeniedException: not for you");
	assert_int_equal(kmsclient_last_timing(k)->attempts, 1);
	kms_resp_free(&r);
	/* Throttling is retried. */
	assert_int_equal(kmsclient_call(k, &enc, &r, &e), NK_OK);
	assert_int_equal(kmsclient_last_timing(k)->attempts, 2);
	kms_resp_free(&r);
	/* A 200 that is not KMS's JSON. */
	assert_int_equal(kmsclient_call(k, &enc, &r, &e), NK_DATA);
	kms_resp_free(&r);
	kmsclient_close(k);
	kmsclient_opts_free(&o);
	kms_stop(&s);

	/* Every request carried a valid signature over the Host curl sent, and
	 * the token; all went over one connection. */
	snprintf(host, sizeof host, "127.0.0.1:%u", s.port);
	assert_int_equal(s.nreq, 5);
	assert_int_equal(s.nconn, 1);
	for (int i = 0; i < 5; i++) {
		assert_string_equal(s.sig[i], "ok");
		assert_string_equal(s.target[i], "TrentService.Encrypt");
		assert_string_equal(s.host[i], host);
		assert_true(s.has_token[i]);
	}
}

static void test_throttling_exhausted(void **state)
{
	static const enum answer script[] = { A_THROTTLE, A_THROTTLE };
	struct kms_srv s;
	struct kmsclient_opts o;
	struct kmsclient *k;
	struct kms_resp r;
	struct nk_err e = { 0 };
	struct kms_req req = { .op = KMS_GENERATE_RANDOM, .nbytes = 8 };

	(void)state;
	client_env(0);
	kms_start(&s, script, 2);
	k = client(&s, &o, 1, 0);
	assert_int_equal(kmsclient_call(k, &req, &r, &e), NK_TRANSPORT);
	assert_string_equal(e.msg, "KMS still failing after 2 attempts: ThrottlingException: slow down");
	kms_resp_free(&r);
	kmsclient_close(k);
	kmsclient_opts_free(&o);
	kms_stop(&s);
	assert_string_equal(s.sig[0], "ok");
	assert_false(s.has_token[0]);
}

static void test_missing_credentials(void **state)
{
	struct kmsclient_opts o;
	struct kmsclient *k = NULL;
	struct nk_err e = { 0 };

	(void)state;
	clear_env();
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	kmsclient_opts_init(&o);
	assert_int_equal(kmsclient_open(&o, KMSCLIENT_DIRECT, &k, &e), NK_USAGE);
	assert_null(k);
	assert_non_null(strstr(e.msg, "AWS_ACCESS_KEY_ID"));
	/* Credentials in hand are moved into the client. */
	o.given.access_key_id = strdup(AK);
	o.given.secret = secmem_new(sizeof SK);
	memcpy(o.given.secret->p, SK, sizeof SK);
	o.given.secret->len = sizeof SK - 1;
	assert_int_equal(kmsclient_open(&o, KMSCLIENT_DIRECT, &k, &e), NK_OK);
	assert_null(o.given.access_key_id);
	assert_null(o.given.secret);
	kmsclient_close(k);
	kmsclient_opts_free(&o);
}

/* --- the Recipient flow, with an in-process nsm-sim ------------------------------- */

struct nsm_srv {
	struct nsmsim sim;
	int lfd;
	pthread_t th;
	char path[108], dir[64];
};

static void *nsm_serve(void *arg)
{
	struct nsm_srv *s = arg;
	static unsigned char buf[NSM_REQUEST_MAX + 1];

	for (;;) {
		int fd = accept(s->lfd, NULL, NULL);
		ssize_t n;

		if (fd < 0)
			break;
		while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
			unsigned char *resp = NULL;
			size_t rlen = 0;

			assert_int_equal(nsmsim_handle(&s->sim, buf, (size_t)n, &resp, &rlen), NK_OK);
			assert_int_equal(send(fd, resp, rlen, MSG_NOSIGNAL), (ssize_t)rlen);
			free(resp);
		}
		close(fd);
	}
	return NULL;
}

static void nsm_start(struct nsm_srv *s)
{
	struct nsmsim_config c = { 0 };
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	struct nk_err e = { 0 };
	char spec[128];

	memset(s, 0, sizeof *s);
	strcpy(s->dir, "/tmp/nk-kmsclient-XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof s->path, "%s/nsm.sock", s->dir);
	c.pki_dir = s->dir;
	if (nsmsim_init(&s->sim, &c, &e) != NK_OK)
		fail_msg("nsmsim_init: %s", e.msg);
	strcpy(a.sun_path, s->path);
	assert_true((s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)) >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->lfd, 4), 0);
	assert_int_equal(pthread_create(&s->th, NULL, nsm_serve, s), 0);
	snprintf(spec, sizeof spec, "unix:%s", s->path);
	setenv("NITROKIT_NSM", spec, 1);
}

static void nsm_stop(struct nsm_srv *s)
{
	char cmd[128];

	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->th, NULL);
	close(s->lfd);
	nsmsim_free(&s->sim);
	unsetenv("NITROKIT_NSM");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
}

static void test_recipient_flow(void **state)
{
	static const enum answer script[] = { A_RECIPIENT, A_PLAINTEXT_ONLY, A_RECIPIENT };
	struct nsm_srv n;
	struct kms_srv s;
	struct kmsclient_opts o;
	struct kmsclient *k;
	struct kmsclient_recipient *rcp = NULL;
	struct kms_resp r;
	struct nk_err e = { 0 };
	struct kms_req req = { .op = KMS_DECRYPT, .data = (const unsigned char *)"blob", .data_len = 4 };
	const unsigned char *doc1, *doc2;
	size_t len;
	unsigned char *saved;

	(void)state;
	client_env(1);
	nsm_start(&n);
	kms_start(&s, script, 3);
	k = client(&s, &o, -1, 0);
	if (kmsclient_recipient_new(&o, &rcp, &e) != NK_OK)
		fail_msg("recipient: %s", e.msg);
	doc1 = kmsclient_recipient_document(rcp, &len);
	assert_true(len > 1000);
	saved = malloc(len);
	memcpy(saved, doc1, len);

	/* The plaintext comes out of CiphertextForRecipient, opened with our key. */
	assert_int_equal(kmsclient_call_recipient(k, rcp, &req, &r, &e), NK_OK);
	assert_non_null(r.plaintext);
	assert_int_equal(r.plaintext->len, strlen(SECRET_PT));
	assert_memory_equal(r.plaintext->p, SECRET_PT, strlen(SECRET_PT));
	kms_resp_free(&r);
	/* An answer that ignored the Recipient is not trusted. */
	assert_int_equal(kmsclient_call_recipient(k, rcp, &req, &r, &e), NK_DATA);
	assert_string_equal(e.msg, "KMS answered Decrypt without CiphertextForRecipient");
	kms_resp_free(&r);
	/* A document younger than 4 minutes is kept; an older one is renewed
	 * (same key, so KMS's answer still opens). */
	assert_int_equal(kmsclient_recipient_refresh(rcp, time(NULL) + KMSCLIENT_DOC_MAX_AGE - 5, &e), NK_OK);
	doc2 = kmsclient_recipient_document(rcp, &len);
	assert_memory_equal(doc2, saved, len);
	assert_int_equal(kmsclient_recipient_refresh(rcp, time(NULL) + KMSCLIENT_DOC_MAX_AGE + 1, &e), NK_OK);
	{
		size_t len2;

		doc2 = kmsclient_recipient_document(rcp, &len2);
		/* A new signature (ECDSA is randomised) and timestamp: never the same bytes. */
		assert_true(len2 != len || memcmp(doc2, saved, len) != 0);
	}
	assert_int_equal(kmsclient_call_recipient(k, rcp, &req, &r, &e), NK_OK);
	assert_memory_equal(r.plaintext->p, SECRET_PT, strlen(SECRET_PT));
	kms_resp_free(&r);

	free(saved);
	kmsclient_recipient_free(rcp);
	kmsclient_close(k);
	kmsclient_opts_free(&o);
	kms_stop(&s);
	nsm_stop(&n);
	assert_true(s.had_recipient[0]);
	assert_string_equal(s.target[0], "TrentService.Decrypt");
	assert_string_equal(s.sig[2], "ok");
}

/* A document KMS could find older than five minutes by the end of an
 * attempt is renewed before the attempt: with a 290 s attempt time limit,
 * every request carries a new one; with the default, one serves all. */
static void test_recipient_renewed_for_long_attempts(void **state)
{
	static const enum answer script[] = { A_RECIPIENT, A_RECIPIENT, A_RECIPIENT, A_RECIPIENT };
	struct nsm_srv n;
	struct kms_srv s;
	struct kmsclient_opts o;
	struct kmsclient *k;
	struct kmsclient_recipient *rcp = NULL;
	struct kms_resp r;
	struct nk_err e = { 0 };
	struct kms_req req = { .op = KMS_DECRYPT, .data = (const unsigned char *)"blob", .data_len = 4 };

	(void)state;
	client_env(0);
	nsm_start(&n);
	kms_start(&s, script, 4);
	for (int slow = 0; slow < 2; slow++) {
		k = client(&s, &o, -1, slow ? 290 : 0);
		assert_int_equal(kmsclient_recipient_new(&o, &rcp, &e), NK_OK);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(kmsclient_call_recipient(k, rcp, &req, &r, &e), NK_OK);
			kms_resp_free(&r);
		}
		kmsclient_recipient_free(rcp);
		kmsclient_close(k);
		kmsclient_opts_free(&o);
	}
	kms_stop(&s);
	nsm_stop(&n);
	assert_true(s.doc_hash[0] == s.doc_hash[1]);
	assert_true(s.doc_hash[2] != s.doc_hash[3]);
}

static void test_ca_bundle_unreadable(void **state)
{
	struct kmsclient_opts o;
	struct kmsclient *k = NULL;
	struct nk_err e = { 0 };

	(void)state;
	client_env(0);
	kmsclient_opts_init(&o);
	o.ca_bundle = "/nonexistent/ca.pem";
	assert_int_equal(kmsclient_open(&o, KMSCLIENT_DIRECT, &k, &e), NK_IO);
	assert_null(k);
	assert_string_equal(e.msg, "cannot read CA bundle '/nonexistent/ca.pem': No such file or directory");
	kmsclient_opts_free(&o);
}

static void test_recipient_no_nsm(void **state)
{
	struct kmsclient_opts o;
	struct kmsclient_recipient *rcp = NULL;
	struct nk_err e = { 0 };

	(void)state;
	kmsclient_opts_init(&o);
	o.nsm = "unix:/nonexistent/nsm.sock";
	assert_int_not_equal(kmsclient_recipient_new(&o, &rcp, &e), NK_OK);
	assert_null(rcp);
	assert_non_null(strstr(e.msg, "/nonexistent/nsm.sock"));
	kmsclient_opts_free(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_resolve_table),
		cmocka_unit_test(test_call_signed_and_errors),
		cmocka_unit_test(test_throttling_exhausted),
		cmocka_unit_test(test_missing_credentials),
		cmocka_unit_test(test_recipient_flow),
		cmocka_unit_test(test_recipient_renewed_for_long_attempts),
		cmocka_unit_test(test_ca_bundle_unreadable),
		cmocka_unit_test(test_recipient_no_nsm),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
