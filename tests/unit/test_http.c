/* http: against a tiny HTTP/1.1 server in a thread (127.0.0.1, an abstract
 * AF_UNIX name standing in for the vsock proxy, or AF_VSOCK CID 1 where
 * vsock_loopback exists).  The server plays a script of answers, one per
 * request, and counts connections and requests. */
#include <errno.h>
#include <poll.h>
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
#include <linux/vm_sockets.h>
#include <cmocka.h>

#include "kms/http.h"

enum act { OK200, ERR500, ERR400, ERR429, THROTTLE400, DROP, SLOW, BIG_OK, BIG_OVER };

struct srv {
	int lfd;
	pthread_t th;
	volatile int stop;
	const enum act *script;
	int nscript;
	int nconn, nreq;
	char last_req[8192];   /* head and body of the last request */
	char name[16];         /* abstract name */
	unsigned port;
};

static int read_request(int fd, char *buf, size_t size)
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
		if (need && have >= need)
			return 0;
		if (have >= size - 1)
			return -1;
	}
}

static int send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int answer(int fd, long status, const char *extra, const char *body, size_t len)
{
	char head[512];
	int n = snprintf(head, sizeof head,
			 "HTTP/1.1 %ld X\r\nContent-Type: application/x-amz-json-1.1\r\n"
			 "x-amzn-RequestId: req-%ld\r\n%sContent-Length: %zu\r\n\r\n",
			 status, status, extra, len);

	return send_all(fd, head, (size_t)n) || send_all(fd, body, len) ? -1 : 0;
}

static int big_answer(int fd, size_t len)
{
	char *b = malloc(len);
	int rc;

	memset(b, 'a', len);
	rc = answer(fd, 200, "", b, len);
	free(b);
	return rc;
}

/* Wait for the next request on fd; give up on it when a new connection
 * comes instead (the client abandoned this one) or on stop. */
static int next_request(struct srv *s, int fd)
{
	for (;;) {
		struct pollfd p[2] = { { fd, POLLIN, 0 }, { s->lfd, POLLIN, 0 } };

		if (s->stop)
			return 0;
		if (poll(p, 2, 50) <= 0)
			continue;
		if (p[0].revents)
			return 1;
		if (p[1].revents)
			return 0;
	}
}

/* One connection, as many requests as the client sends on it. */
static void serve_conn(struct srv *s, int fd)
{
	char req[8192];

	while (next_request(s, fd) && read_request(fd, req, sizeof req) == 0) {
		enum act a = s->script[s->nreq < s->nscript ? s->nreq : s->nscript - 1];
		int rc = 0;

		memcpy(s->last_req, req, sizeof req);
		s->nreq++;
		switch (a) {
		case OK200: rc = answer(fd, 200, "", "{\"ok\":1}", 8); break;
		case ERR500: rc = answer(fd, 500, "", "{}", 2); break;
		case ERR400:
			rc = answer(fd, 400, "x-amzn-ErrorType: AccessDeniedException:http://x/\r\n",
				    "{\"__type\":\"AccessDeniedException\"}", 34);
			break;
		case ERR429: rc = answer(fd, 429, "", "{}", 2); break;
		case THROTTLE400:
			rc = answer(fd, 400, "x-amzn-ErrorType: ThrottlingException\r\n", "{}", 2);
			break;
		case DROP: rc = -1; break;
		case SLOW: usleep(800 * 1000); rc = answer(fd, 200, "", "{}", 2); break;
		case BIG_OK: rc = big_answer(fd, HTTP_MAX_BODY); break;
		case BIG_OVER: rc = big_answer(fd, HTTP_MAX_BODY + 1); break;
		}
		if (rc)
			break;
	}
	close(fd);
}

static void *serve(void *arg)
{
	struct srv *s = arg;

	while (!s->stop) {
		struct pollfd p = { s->lfd, POLLIN, 0 };
		int fd;

		if (poll(&p, 1, 50) <= 0)
			continue;
		if ((fd = accept(s->lfd, NULL, NULL)) < 0)
			continue;
		s->nconn++;
		serve_conn(s, fd);
	}
	return NULL;
}

static void srv_start(struct srv *s, int family, const enum act *script, int n)
{
	memset(s, 0, sizeof *s);
	s->script = script;
	s->nscript = n;
	s->lfd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	if (family == AF_INET) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t al = sizeof a;

		assert_int_equal(bind(s->lfd, (struct sockaddr *)&a, sizeof a), 0);
		assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&a, &al), 0);
		s->port = ntohs(a.sin_port);
	} else {
		static int seq;
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		snprintf(s->name, sizeof s->name, "nkh%d.%d", (int)getpid() % 100000, seq++ % 100);
		memcpy(a.sun_path + 1, s->name, strlen(s->name));
		assert_int_equal(bind(s->lfd, (struct sockaddr *)&a,
				      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(s->name))),
				 0);
	}
	assert_int_equal(listen(s->lfd, 8), 0);
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void srv_stop(struct srv *s)
{
	s->stop = 1;
	pthread_join(s->th, NULL);
	close(s->lfd);
}

static struct http_client *client_at(const struct srv *s, int retries, long timeout_ms)
{
	char url[128];
	struct http_opts o = { .url = url, .retries = retries, .timeout_ms = timeout_ms,
			       .backoff_base_ms = 1, .backoff_cap_ms = 5 };
	struct http_client *c = NULL;
	struct nk_err e = { 0 };

	snprintf(url, sizeof url, "http://127.0.0.1:%u/", s->port);
	assert_int_equal(http_open(&o, &c, &e), NK_OK);
	return c;
}

static const char *const kms_headers[] = {
	"Content-Type: application/x-amz-json-1.1",
	"X-Amz-Target: TrentService.Decrypt",
};
static const char kms_body[] = "{\"CiphertextBlob\":\"AQID\"}";

static int post(struct http_client *c, struct http_resp *r, struct nk_err *e)
{
	return http_post(c, kms_headers, 2, kms_body, strlen(kms_body), NULL, NULL, r, e);
}

static void test_round_trip(void **state)
{
	static const enum act script[] = { OK200 };
	struct srv s;
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;

	srv_start(&s, AF_INET, script, 1);
	c = client_at(&s, 3, 0);
	assert_int_equal(post(c, &r, &e), NK_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.attempts, 1);
	assert_string_equal(r.request_id, "req-200");
	assert_string_equal(r.error_type, "");
	assert_int_equal(r.len, 8);
	assert_string_equal((char *)r.body, "{\"ok\":1}");
	assert_non_null(strstr(s.last_req, "POST / HTTP/1.1\r\n"));
	assert_non_null(strstr(s.last_req, "\r\nX-Amz-Target: TrentService.Decrypt\r\n"));
	assert_non_null(strstr(s.last_req, "\r\nContent-Type: application/x-amz-json-1.1\r\n"));
	assert_null(strcasestr(s.last_req, "Expect:"));
	assert_non_null(strstr(s.last_req, "\r\n\r\n{\"CiphertextBlob\":\"AQID\"}"));
	http_resp_free(&r);
	http_close(c);
	srv_stop(&s);
}

static void test_keep_alive(void **state)
{
	static const enum act script[] = { OK200 };
	struct srv s;
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;

	srv_start(&s, AF_INET, script, 1);
	c = client_at(&s, 3, 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(post(c, &r, &e), NK_OK);
		assert_int_equal(r.status, 200);
		http_resp_free(&r);
	}
	http_close(c);
	srv_stop(&s);
	assert_int_equal(s.nreq, 3);
	assert_int_equal(s.nconn, 1);
}

/* Retries: what the server answers, in order (the last answer repeats), and
 * what the client must end with.  Out of retries, the last answer is
 * returned for the caller to report; a dropped connection costs a new one. */
static void test_retry_table(void **state)
{
	static const struct {
		const char *what;
		enum act script[3];
		size_t n;
		long status;
		int attempts, nreq, nconn;  /* 0: not checked */
	} cases[] = {
		{ "500, 500, 200", { ERR500, ERR500, OK200 }, 3, 200, 3, 3, 0 },
		{ "500 forever", { ERR500 }, 1, 500, 4, 4, 0 },
		{ "429, 503, 200", { ERR429, ERR500, OK200 }, 3, 200, 3, 3, 0 },
		/* KMS's rule (kmsclient's classifier), not HTTP's */
		{ "400 ThrottlingException is final", { THROTTLE400, OK200 }, 2, 400, 1, 1, 0 },
		{ "dropped, 200", { DROP, OK200 }, 2, 200, 2, 0, 2 },
		{ "400 is final", { ERR400, OK200 }, 2, 400, 1, 1, 0 },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct srv s;
		struct http_resp r;
		struct nk_err e = { 0 };
		struct http_client *c;

		srv_start(&s, AF_INET, cases[i].script, cases[i].n);
		c = client_at(&s, 3, 0);
		if (post(c, &r, &e) != NK_OK || r.status != cases[i].status || r.attempts != cases[i].attempts ||
		    (cases[i].nreq && s.nreq != cases[i].nreq) || (cases[i].nconn && s.nconn != cases[i].nconn))
			fail_msg("%s: status %ld after %d attempts, %d requests on %d connections",
				 cases[i].what, r.status, r.attempts, s.nreq, s.nconn);
		http_resp_free(&r);
		http_close(c);
		srv_stop(&s);
	}
}

static void test_no_retry_400(void **state)
{
	static const enum act script[] = { ERR400, OK200 };
	struct srv s;
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;

	srv_start(&s, AF_INET, script, 2);
	c = client_at(&s, 3, 0);
	assert_int_equal(post(c, &r, &e), NK_OK);
	assert_int_equal(r.status, 400);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(s.nreq, 1);
	assert_string_equal(r.error_type, "AccessDeniedException:http://x/");
	assert_string_equal((char *)r.body, "{\"__type\":\"AccessDeniedException\"}");
	http_resp_free(&r);
	http_close(c);
	srv_stop(&s);
}

static int never(const struct http_resp *r, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_retry_callback(void **state)
{
	static const enum act script[] = { ERR500, OK200 };
	struct srv s;
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;
	int calls = 0;

	srv_start(&s, AF_INET, script, 2);
	c = client_at(&s, 3, 0);
	assert_int_equal(http_post(c, kms_headers, 2, "{}", 2, never, &calls, &r, &e), NK_OK);
	assert_int_equal(r.status, 500);
	assert_int_equal(r.attempts, 1);
	assert_int_equal(calls, 1);
	http_resp_free(&r);
	http_close(c);
	srv_stop(&s);
}

/* Each attempt sends what the request function gives for it (a fresh
 * signature in KMS's case), not the first attempt's bytes again. */
static int numbered(void *arg, int attempt, struct http_request *rq, struct nk_err *err)
{
	static char hdr[32], body[16];
	static const char *h[1];
	int *seen = arg;

	(void)err;
	*seen = attempt + 1;
	snprintf(hdr, sizeof hdr, "X-Attempt: %d", attempt);
	snprintf(body, sizeof body, "{\"n\":%d}", attempt);
	h[0] = hdr;
	rq->headers = h;
	rq->nheaders = 1;
	rq->body = body;
	rq->len = strlen(body);
	return NK_OK;
}

static int refuse_second(void *arg, int attempt, struct http_request *rq, struct nk_err *err)
{
	if (attempt == 1)
		return err_set(err, NK_IO, "no second request");
	return numbered(arg, attempt, rq, err);
}

static void test_request_per_attempt(void **state)
{
	static const enum act script[] = { ERR500, OK200, ERR500 };
	struct srv s;
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;
	int seen = 0;

	(void)state;
	srv_start(&s, AF_INET, script, 3);
	c = client_at(&s, 3, 0);
	assert_int_equal(http_post_each(c, numbered, &seen, NULL, NULL, &r, &e), NK_OK);
	assert_int_equal(r.status, 200);
	assert_int_equal(seen, 2);
	assert_non_null(strstr(s.last_req, "\r\nX-Attempt: 1\r\n"));
	assert_non_null(strstr(s.last_req, "{\"n\":1}"));
	http_resp_free(&r);
	/* A request function that fails stops the call with its error. */
	assert_int_equal(http_post_each(c, refuse_second, &seen, NULL, NULL, &r, &e), NK_IO);
	assert_string_equal(e.msg, "no second request");
	http_resp_free(&r);
	http_close(c);
	srv_stop(&s);
}

static void test_dropped_exhausted(void **state)
{
	static const enum act script[] = { DROP };
	struct srv s;
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;
	char want[96];

	srv_start(&s, AF_INET, script, 1);
	c = client_at(&s, 1, 0);
	assert_int_equal(post(c, &r, &e), NK_TRANSPORT);
	assert_int_equal(e.code, NK_TRANSPORT);
	snprintf(want, sizeof want, "cannot reach 'http://127.0.0.1:%u/': ", s.port);
	assert_memory_equal(e.msg, want, strlen(want));
	assert_non_null(strstr(e.msg, "(after 2 attempts)"));
	assert_int_equal(s.nreq, 2);
	http_resp_free(&r);
	http_close(c);
	srv_stop(&s);
}

static void test_refused(void **state)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char url[64];
	struct http_opts o = { .url = url, .retries = 2, .backoff_base_ms = 1, .backoff_cap_ms = 2 };
	struct http_client *c;
	struct http_resp r;
	struct nk_err e = { 0 };

	/* A port that was free a moment ago and has no listener now. */
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	close(fd);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/", ntohs(a.sin_port));
	assert_int_equal(http_open(&o, &c, &e), NK_OK);
	assert_int_equal(http_post(c, NULL, 0, "x", 1, NULL, NULL, &r, &e), NK_TRANSPORT);
	assert_non_null(strstr(e.msg, "(after 3 attempts)"));
	assert_non_null(strstr(e.msg, "Failed to connect"));
	assert_int_equal(r.attempts, 3);
	http_resp_free(&r);
	http_close(c);
}

static void test_timeout(void **state)
{
	static const enum act script[] = { SLOW };
	struct srv s;
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;

	srv_start(&s, AF_INET, script, 1);
	c = client_at(&s, 0, 200);
	assert_int_equal(post(c, &r, &e), NK_TRANSPORT);
	assert_non_null(strstr(e.msg, "timed out"));
	assert_non_null(strstr(e.msg, "(after 1 attempt)"));
	http_resp_free(&r);
	http_close(c);
	srv_stop(&s);
}

static void test_body_cap(void **state)
{
	static const enum act script[] = { BIG_OK, BIG_OVER };
	struct srv s;
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;

	srv_start(&s, AF_INET, script, 2);
	c = client_at(&s, 3, 0);
	assert_int_equal(post(c, &r, &e), NK_OK);
	assert_int_equal(r.len, HTTP_MAX_BODY);
	http_resp_free(&r);
	assert_int_equal(post(c, &r, &e), NK_DATA);
	assert_non_null(strstr(e.msg, "exceeds 1048576 bytes"));
	assert_int_equal(s.nreq, 2);   /* not retried */
	http_resp_free(&r);
	http_close(c);
	srv_stop(&s);
}

/* The vsock code path with an abstract AF_UNIX address standing in for
 * AF_VSOCK.  Normally curl talks to the relay's unix socket (relay.h), which
 * forwards to the proxy, so the calls of a process share one connection.
 * Without a usable TMPDIR there is no relay: curl resolves the KMS host to a
 * placeholder and connects where the callbacks point it, one connection per
 * call (libcurl 7.88.1 reuses no connection whose peer address prints empty,
 * "is still name resolving, can't reuse").  Either way the Host header still
 * names the KMS host. */
static void abstract_round_trips(int with_relay)
{
	static const enum act script[] = { OK200, OK200, OK200 };
	struct srv s;
	struct http_opts o = { .url = "http://kms.us-east-1.amazonaws.com/", .transport = HTTP_ABSTRACT,
			       .retries = 0, .timeout_ms = 5000 };
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;
	const char *tmp = getenv("TMPDIR");
	char *saved = tmp ? strdup(tmp) : NULL;

	char dir[] = "/tmp/nk-http-XXXXXX";

	assert_non_null(mkdtemp(dir));
	setenv("TMPDIR", with_relay ? dir : "/nonexistent/tmp", 1);
	srv_start(&s, AF_UNIX, script, 3);
	o.abstract_name = s.name;
	assert_int_equal(http_open(&o, &c, &e), NK_OK);
	for (int i = 0; i < 3; i++) {
		if (post(c, &r, &e))
			assert_int_equal(e.code, NK_OK);
		assert_int_equal(r.status, 200);
		assert_string_equal((char *)r.body, "{\"ok\":1}");
		assert_true(i == 0 || with_relay == (r.new_connections == 0));
		http_resp_free(&r);
	}
	http_close(c);
	srv_stop(&s);
	/* The relay's socket and directory are gone with the client. */
	assert_int_equal(rmdir(dir), 0);
	if (saved)
		setenv("TMPDIR", saved, 1);
	else
		unsetenv("TMPDIR");
	free(saved);
	assert_non_null(strstr(s.last_req, "\r\nHost: kms.us-east-1.amazonaws.com\r\n"));
	assert_int_equal(s.nconn, with_relay ? 1 : 3);
}

static void test_abstract_stand_in(void **state)
{
	(void)state;
	abstract_round_trips(1);
}

static void test_abstract_no_relay(void **state)
{
	(void)state;
	abstract_round_trips(0);
}

static void test_abstract_absent(void **state)
{
	struct http_opts o = { .url = "https://kms.us-east-1.amazonaws.com/", .transport = HTTP_ABSTRACT,
			       .abstract_name = "nkh-none", .retries = 1, .backoff_base_ms = 1,
			       .peer = "KMS" };
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;

	assert_int_equal(http_open(&o, &c, &e), NK_OK);
	assert_int_equal(http_post(c, NULL, 0, "x", 1, NULL, NULL, &r, &e), NK_TRANSPORT);
	assert_non_null(strstr(e.msg, "cannot reach KMS at 'https://kms.us-east-1.amazonaws.com/' "
				      "through '@nkh-none': Connection refused (after 2 attempts)"));
	http_resp_free(&r);
	http_close(c);
}

/* AF_VSOCK for real, to CID 1 only, where the vsock_loopback transport lets us
 * listen there; skipped elsewhere. */
static void test_vsock_loopback(void **state)
{
	static const enum act script[] = { OK200 };
	struct sockaddr_vm a = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_LOCAL,
				 .svm_port = VMADDR_PORT_ANY };
	socklen_t al = sizeof a;
	struct srv s;
	struct http_opts o = { .url = "http://kms.us-east-1.amazonaws.com/", .transport = HTTP_VSOCK,
			       .vsock_cid = VMADDR_CID_LOCAL, .retries = 0 };
	struct http_resp r;
	struct nk_err e = { 0 };
	struct http_client *c;
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
		if (fd >= 0)
			close(fd);
		skip();
	}
	memset(&s, 0, sizeof s);
	s.lfd = fd;
	s.script = script;
	s.nscript = 1;
	assert_int_equal(pthread_create(&s.th, NULL, serve, &s), 0);
	o.vsock_port = a.svm_port;
	assert_int_equal(http_open(&o, &c, &e), NK_OK);
	assert_int_equal(post(c, &r, &e), NK_OK);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(s.last_req, "\r\nHost: kms.us-east-1.amazonaws.com\r\n"));
	http_resp_free(&r);
	http_close(c);
	srv_stop(&s);
}

static void test_open_errors(void **state)
{
	struct http_opts o = { .url = "ftp://x/" };
	struct http_client *c;
	struct nk_err e = { 0 };

	assert_int_equal(http_open(&o, &c, &e), NK_USAGE);
	assert_string_equal(e.msg, "invalid URL 'ftp://x/' (want http:// or https://)");
	assert_null(c);
	o.url = "https://kms.us-east-1.amazonaws.com/";
	o.transport = HTTP_ABSTRACT;
	o.abstract_name = "fourteen-bytes";
	assert_int_equal(http_open(&o, &c, &e), NK_USAGE);
	assert_string_equal(e.msg, "invalid abstract socket name 'fourteen-bytes' (1 to 13 bytes)");
}

static void test_parse_vsock(void **state)
{
	unsigned cid = 0, port = 0;
	struct nk_err e = { 0 };

	assert_int_equal(http_parse_vsock("3:8000", &cid, &port, &e), NK_OK);
	assert_int_equal(cid, 3);
	assert_int_equal(port, 8000);
	assert_int_equal(http_parse_vsock("4294967295:1", &cid, &port, &e), NK_OK);
	assert_int_equal(cid, 4294967295u);
	assert_int_equal(http_parse_vsock("3", &cid, &port, &e), NK_USAGE);
	assert_string_equal(e.msg, "invalid vsock address '3' (want CID:PORT)");
	assert_int_equal(http_parse_vsock("3:", &cid, &port, &e), NK_USAGE);
	assert_int_equal(http_parse_vsock(":80", &cid, &port, &e), NK_USAGE);
	assert_int_equal(http_parse_vsock("-1:80", &cid, &port, &e), NK_USAGE);
	assert_int_equal(http_parse_vsock("3:80x", &cid, &port, &e), NK_USAGE);
	assert_int_equal(http_parse_vsock("4294967296:80", &cid, &port, &e), NK_USAGE);
}

static void test_backoff(void **state)
{
	long max0 = 0, max5 = 0;

	for (int i = 0; i < 2000; i++) {
		long d0 = http_backoff_ms(0, 100, 2000), d5 = http_backoff_ms(5, 100, 2000);

		assert_true(d0 >= 0 && d0 <= 100);
		assert_true(d5 >= 0 && d5 <= 2000);   /* 100 * 2^5 = 3200, capped */
		max0 = d0 > max0 ? d0 : max0;
		max5 = d5 > max5 ? d5 : max5;
	}
	/* Jittered, and the cap rather than the base bounds later attempts. */
	assert_true(max0 > 50);
	assert_true(max5 > 1000);
	assert_true(http_backoff_ms(2, 100, 2000) <= 400);
	assert_true(http_backoff_ms(40, 100, 2000) <= 2000);
}

static int drive(int argc, char **argv)
{
	struct http_opts o = { .retries = 0, .timeout_ms = 10000, .peer = "KMS" };
	struct http_client *c = NULL;
	struct http_resp r = { 0 };
	struct nk_err e = { 0 };
	int rc;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--post") == 0) {
			o.url = argv[i + 1];
		} else if (strcmp(argv[i], "--abstract") == 0) {
			o.transport = HTTP_ABSTRACT;
			o.abstract_name = argv[i + 1];
		} else if (strcmp(argv[i], "--vsock") == 0) {
			o.transport = HTTP_VSOCK;
			if ((rc = http_parse_vsock(argv[i + 1], &o.vsock_cid, &o.vsock_port, &e)) != NK_OK)
				goto out;
		} else if (strcmp(argv[i], "--ca") == 0) {
			o.ca_bundle = argv[i + 1];
		} else {
			rc = err_set(&e, NK_USAGE, "unknown option '%s'", argv[i]);
			goto out;
		}
	}
	if ((rc = http_open(&o, &c, &e)) != NK_OK)
		goto out;
	if ((rc = post(c, &r, &e)) != NK_OK)
		goto out;
	printf("%ld\n%s\n%s\n", r.status, r.request_id, (char *)r.body);
out:
	if (rc)
		fprintf(stderr, "test_http: %s\n", e.msg);
	http_resp_free(&r);
	http_close(c);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return drive(argc, argv);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_keep_alive),
		cmocka_unit_test(test_retry_table),
		cmocka_unit_test(test_no_retry_400),
		cmocka_unit_test(test_retry_callback),
		cmocka_unit_test(test_request_per_attempt),
		cmocka_unit_test(test_dropped_exhausted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_abstract_stand_in),
		cmocka_unit_test(test_abstract_no_relay),
		cmocka_unit_test(test_abstract_absent),
		cmocka_unit_test(test_vsock_loopback),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_parse_vsock),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
