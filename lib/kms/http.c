/* http: see http.h. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>
#include <curl/curl.h>

#include "kms/http.h"
#include "kms/relay.h"
#include "util/secmem.h"

/* Where CURLOPT_RESOLVE sends the URL's host on the foreign transports: the
 * opensocket callback replaces it before any connect(), and being TEST-NET-1
 * it would go nowhere if it ever were used. */
#define PLACEHOLDER_IP "192.0.2.1"

struct http_client {
	CURL *curl;
	struct curl_slist *resolve;
	char *url;
	char where[64];                /* " through vsock '3:8000'", or "" */
	char at[40];                   /* "KMS at " for "cannot reach KMS at 'URL'", or "" */
	enum http_transport transport;
	unsigned cid, port;
	char abstract_name[HTTP_ABSTRACT_MAX + 1];
	int retries;
	long base_ms, cap_ms;
	char errbuf[CURL_ERROR_SIZE];
	struct curl_sockaddr *pending; /* curl's address for the socket just opened */
	int pending_fd;
	struct http_resp *cur;         /* the answer being received */
	struct relay *relay;           /* foreign transports: see relay.h */
	int too_big;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc;

static void global_init(void)
{
	/* curl's copies of our headers (the session token) and of the body
	 * (Encrypt's plaintext) are wiped when it frees them. */
	global_rc = curl_global_init_mem(CURL_GLOBAL_DEFAULT, secmem_lib_malloc, secmem_lib_free,
					 secmem_lib_realloc, secmem_lib_strdup, secmem_lib_calloc);
}

int http_parse_vsock(const char *s, unsigned *cid, unsigned *port, struct nk_err *err)
{
	unsigned long a, b;
	char *end;
	const char *colon = s ? strchr(s, ':') : NULL;

	if (!colon || colon == s || s[0] < '0' || s[0] > '9' || colon[1] < '0' || colon[1] > '9')
		goto bad;
	errno = 0;
	a = strtoul(s, &end, 10);
	if (errno || end != colon || a > UINT32_MAX)
		goto bad;
	b = strtoul(colon + 1, &end, 10);
	if (errno || *end || b > UINT32_MAX)
		goto bad;
	*cid = (unsigned)a;
	*port = (unsigned)b;
	return NK_OK;
bad:
	return err_set(err, NK_USAGE, "invalid vsock address '%s' (want CID:PORT)", s ? s : "");
}

long http_backoff_ms(int n, long base_ms, long cap_ms)
{
	long ceil = base_ms;
	uint32_t r = 0;

	for (int i = 0; i < n && ceil < cap_ms; i++)
		ceil *= 2;
	if (ceil > cap_ms)
		ceil = cap_ms;
	if (ceil <= 0)
		return 0;
	/* Jitter needs no strength; a failed getrandom just means no jitter. */
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		return ceil;
	return (long)(r % (uint32_t)(ceil + 1));
}

int http_default_retryable(const struct http_resp *r, void *arg)
{
	return r->status == 429 || (r->status >= 500 && r->status <= 599);
}

/* Failures of this machine, not of the way to the peer: a CA bundle that cannot
 * be read, memory for the answer (DESIGN §3: local I/O, exit 4). */
static int local_failure(CURLcode rc)
{
	return rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_OUT_OF_MEMORY || rc == CURLE_WRITE_ERROR;
}

/* Connection trouble worth another attempt; a bad certificate or URL is not. */
static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Point curl's connect() at the vsock proxy (or its abstract stand-in).
 *
 * Two steps, because libcurl formats the address it was given (for its logs
 * and CURLINFO_PRIMARY_IP) between opening the socket and connecting it, and
 * fails the attempt for a family it does not know ("sa_addr inet_ntop()
 * failed", 7.88.1 and later alike): AF_UNIX passes, AF_VSOCK does not.  So
 * open_foreign only opens a socket of the foreign family and remembers where
 * curl keeps the address; set_foreign, curl's sockopt callback, runs after the
 * formatting and before connect() and rewrites the address in place.  Both
 * transports take this path, so the abstract stand-in exercises it.
 * Returning a pre-connected socket (CURL_SOCKOPT_ALREADY_CONNECTED) instead
 * fails on Debian 12's libcurl 7.88.1 (curl issue #10626). */
static curl_socket_t open_foreign(void *clientp, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct http_client *c = clientp;
	int fd;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKET_BAD;
	fd = socket(c->transport == HTTP_VSOCK ? AF_VSOCK : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	c->pending = fd >= 0 ? a : NULL;
	c->pending_fd = fd;
	return fd >= 0 ? fd : CURL_SOCKET_BAD;
}

static int set_foreign(void *clientp, curl_socket_t fd, curlsocktype purpose)
{
	struct http_client *c = clientp;
	struct curl_sockaddr *a = c->pending;

	if (purpose != CURLSOCKTYPE_IPCXN)
		return CURL_SOCKOPT_OK;
	c->pending = NULL;
	if (!a || fd != c->pending_fd)
		return CURL_SOCKOPT_ERROR;
	if (c->transport == HTTP_VSOCK) {
		struct sockaddr_vm vm;

		_Static_assert(sizeof vm <= sizeof a->addr, "sockaddr_vm fits struct sockaddr");
		memset(&vm, 0, sizeof vm);
		vm.svm_family = AF_VSOCK;
		vm.svm_cid = c->cid;
		vm.svm_port = c->port;
		memcpy(&a->addr, &vm, sizeof vm);
		a->addrlen = sizeof vm;
		a->family = AF_VSOCK;
	} else {
		struct sockaddr_un un;
		size_t n = strlen(c->abstract_name);
		size_t len = offsetof(struct sockaddr_un, sun_path) + 1 + n;

		/* Abstract names are not NUL-terminated: the length says where they end. */
		if (len > sizeof a->addr)
			return CURL_SOCKOPT_ERROR;
		memset(&un, 0, sizeof un);
		un.sun_family = AF_UNIX;
		memcpy(un.sun_path + 1, c->abstract_name, n);
		memcpy(&a->addr, &un, len);
		a->addrlen = (unsigned)len;
		a->family = AF_UNIX;
	}
	a->protocol = 0;
	return CURL_SOCKOPT_OK;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http_client *c = arg;
	struct http_resp *r = c->cur;
	size_t n = size * nmemb;
	unsigned char *nb;

	if (n > HTTP_MAX_BODY - r->len) {
		c->too_big = 1;
		return 0;
	}
	nb = realloc(r->body, r->len + n + 1);
	if (!nb)
		return 0;
	r->body = nb;
	memcpy(r->body + r->len, p, n);
	r->len += n;
	r->body[r->len] = 0;
	return n;
}

/* value of "Name: value\r\n" into out when the name matches, trimmed. */
static void grab_header(const char *line, size_t n, const char *name, char *out, size_t size)
{
	size_t k = strlen(name), vlen;
	const char *v, *end = line + n;

	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return;
	v = line + k + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
		end--;
	vlen = (size_t)(end - v);
	if (vlen >= size)
		vlen = size - 1;
	memcpy(out, v, vlen);
	out[vlen] = 0;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *arg)
{
	struct http_client *c = arg;
	struct http_resp *r = c->cur;
	size_t n = size * nmemb;

	/* A new status line (after a 100 Continue, say) starts a new header block. */
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		r->error_type[0] = 0;
		r->request_id[0] = 0;
	}
	grab_header(p, n, "x-amzn-ErrorType", r->error_type, sizeof r->error_type);
	grab_header(p, n, "x-amzn-RequestId", r->request_id, sizeof r->request_id);
	return n;
}

/* The URL's host and port, for CURLOPT_RESOLVE. */
static int resolve_entry(const char *url, char *out, size_t size, struct nk_err *err)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	int rc;

	if (!u)
		return err_set(err, NK_IO, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		rc = err_set(err, NK_USAGE, "invalid URL '%s'", url);
		goto out;
	}
	rc = NK_OK;
	if ((size_t)snprintf(out, size, "%s:%s:" PLACEHOLDER_IP, host, port) >= size)
		rc = err_set(err, NK_USAGE, "URL host too long in '%s'", url);
out:
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return rc;
}

/* The vsock-proxy's address (or the abstract stand-in's) as a sockaddr. */
static socklen_t foreign_addr(const struct http_client *c, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (c->transport == HTTP_VSOCK) {
		struct sockaddr_vm *vm = (struct sockaddr_vm *)ss;

		vm->svm_family = AF_VSOCK;
		vm->svm_cid = c->cid;
		vm->svm_port = c->port;
		return sizeof *vm;
	} else {
		struct sockaddr_un *un = (struct sockaddr_un *)ss;
		size_t n = strlen(c->abstract_name);

		un->sun_family = AF_UNIX;
		memcpy(un->sun_path + 1, c->abstract_name, n);
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
	}
}

static int start_relay(struct http_client *c, const struct http_opts *o)
{
	struct sockaddr_storage ss;
	socklen_t len = foreign_addr(c, &ss);
	struct nk_err ignored = { 0 };

	return relay_start((struct sockaddr *)&ss, len,
			   o->connect_timeout_ms > 0 ? o->connect_timeout_ms : (long)HTTP_DEFAULT_CONNECT_MS,
			   &c->relay, &ignored);
}

int http_open(const struct http_opts *o, struct http_client **out, struct nk_err *err)
{
	struct http_client *c = NULL;
	CURLU *u = NULL;
	char *scheme = NULL;
	char entry[512];
	int rc;

	*out = NULL;
	pthread_once(&global_once, global_init);
	if (global_rc != CURLE_OK)
		return err_set(err, NK_IO, "cannot start libcurl: %s", curl_easy_strerror(global_rc));
	if (!o->url || !*o->url)
		return err_set(err, NK_USAGE, "no URL");
	if (!(u = curl_url()))
		return err_set(err, NK_IO, "out of memory");
	if (curl_url_set(u, CURLUPART_URL, o->url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)) {
		rc = err_set(err, NK_USAGE, "invalid URL '%s' (want http:// or https://)", o->url);
		goto out;
	}
	if (!(c = calloc(1, sizeof *c)) || !(c->url = strdup(o->url)) || !(c->curl = curl_easy_init())) {
		rc = err_set(err, NK_IO, "cannot start libcurl");
		goto out;
	}
	c->transport = o->transport;
	if (o->peer && *o->peer)
		snprintf(c->at, sizeof c->at, "%s at ", o->peer);
	c->retries = o->retries < 0 ? HTTP_DEFAULT_RETRIES : o->retries;
	c->base_ms = o->backoff_base_ms > 0 ? o->backoff_base_ms : HTTP_BACKOFF_BASE_MS;
	c->cap_ms = o->backoff_cap_ms > 0 ? o->backoff_cap_ms : HTTP_BACKOFF_CAP_MS;

	CURL *h = c->curl;
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, c);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 o->connect_timeout_ms > 0 ? o->connect_timeout_ms : (long)HTTP_DEFAULT_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
			 o->timeout_ms > 0 ? o->timeout_ms : (long)HTTP_DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_VERBOSE, o->verbose ? 1L : 0L);
	if (o->ca_bundle && *o->ca_bundle &&
	    curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_bundle) != CURLE_OK) {
		rc = err_set(err, NK_IO, "cannot use CA bundle '%s'", o->ca_bundle);
		goto out;
	}

	switch (o->transport) {
	case HTTP_TCP:
		break;
	case HTTP_VSOCK:
		c->cid = o->vsock_cid;
		c->port = o->vsock_port;
		snprintf(c->where, sizeof c->where, " through vsock '%u:%u'", c->cid, c->port);
		break;
	case HTTP_ABSTRACT:
		if (!o->abstract_name || !*o->abstract_name ||
		    strlen(o->abstract_name) > HTTP_ABSTRACT_MAX) {
			rc = err_set(err, NK_USAGE, "invalid abstract socket name '%s' (1 to %d bytes)",
				     o->abstract_name ? o->abstract_name : "", HTTP_ABSTRACT_MAX);
			goto out;
		}
		strcpy(c->abstract_name, o->abstract_name);
		snprintf(c->where, sizeof c->where, " through '@%s'", c->abstract_name);
		break;
	default:
		rc = err_set(err, NK_USAGE, "unknown transport");
		goto out;
	}
	/* The vsock-proxy is the way out of the enclave: an http(s)_proxy in the
	 * environment must not be put in front of it. */
	if (o->transport != HTTP_TCP)
		curl_easy_setopt(h, CURLOPT_PROXY, "");
	if (o->transport != HTTP_TCP && start_relay(c, o) == NK_OK) {
		/* curl talks to the relay's socket; the URL still names the peer,
		 * so TLS, SNI and Host are its own and no name is resolved. */
		if (curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, relay_path(c->relay)) != CURLE_OK) {
			rc = err_set(err, NK_IO, "cannot use a unix socket with this libcurl");
			goto out;
		}
	} else if (o->transport != HTTP_TCP) {
		/* No relay (no writable TMPDIR): curl's own connect() goes to the
		 * foreign address, one connection per call. */
		if ((rc = resolve_entry(c->url, entry, sizeof entry, err)) != NK_OK)
			goto out;
		if (!(c->resolve = curl_slist_append(NULL, entry))) {
			rc = err_set(err, NK_IO, "out of memory");
			goto out;
		}
		curl_easy_setopt(h, CURLOPT_RESOLVE, c->resolve);
		curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_foreign);
		curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, c);
		curl_easy_setopt(h, CURLOPT_SOCKOPTFUNCTION, set_foreign);
		curl_easy_setopt(h, CURLOPT_SOCKOPTDATA, c);
	}
	*out = c;
	c = NULL;
	rc = NK_OK;
out:
	curl_free(scheme);
	curl_url_cleanup(u);
	http_close(c);
	return rc;
}

void http_close(struct http_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	relay_stop(c->relay);
	curl_slist_free_all(c->resolve);
	free(c->url);
	free(c);
}

void http_resp_free(struct http_resp *r)
{
	if (!r)
		return;
	free(r->body);
	memset(r, 0, sizeof *r);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void reset_answer(struct http_resp *r)
{
	r->status = 0;
	r->error_type[0] = 0;
	r->request_id[0] = 0;
	r->len = 0;
	if (r->body)
		r->body[0] = 0;
}

/* curl's figures of the attempt just made, for --verbose and the benchmark. */
static void note_timing(struct http_client *c, struct http_resp *r)
{
	curl_off_t t = 0;
	long n = 0;

	r->connect_us = curl_easy_getinfo(c->curl, CURLINFO_CONNECT_TIME_T, &t) == CURLE_OK ? (long)t : 0;
	r->total_us = curl_easy_getinfo(c->curl, CURLINFO_TOTAL_TIME_T, &t) == CURLE_OK ? (long)t : 0;
	if (curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &n) == CURLE_OK)
		r->new_connections += n;
}

/* The curl header list for one attempt, with "Expect:" so no 100-continue
 * round trip precedes the body. */
static int header_list(const char *const *headers, size_t n, struct curl_slist **out, struct nk_err *err)
{
	struct curl_slist *hl = NULL, *t;

	for (size_t i = 0; i <= n; i++) {
		if (!(t = curl_slist_append(hl, i < n ? headers[i] : "Expect:"))) {
			curl_slist_free_all(hl);
			return err_set(err, NK_IO, "out of memory");
		}
		hl = t;
	}
	*out = hl;
	return NK_OK;
}

int http_post_each(struct http_client *c, http_request_fn request, void *rarg, http_retry_fn retryable,
		   void *arg, struct http_resp *resp, struct nk_err *err)
{
	struct curl_slist *hl = NULL;
	CURLcode cc = CURLE_OK;
	int rc;

	memset(resp, 0, sizeof *resp);
	if (!retryable)
		retryable = http_default_retryable;
	c->cur = resp;
	for (int attempt = 0;; attempt++) {
		struct http_request rq = { 0 };

		if (attempt > 0)
			sleep_ms(http_backoff_ms(attempt - 1, c->base_ms, c->cap_ms));
		/* Asked anew for every attempt: a retry after a long backoff needs a
		 * fresh signature date (and KMS a fresh enough document: kmsclient). */
		if ((rc = request(rarg, attempt, &rq, err)))
			goto out;
		curl_slist_free_all(hl);
		hl = NULL;
		if ((rc = header_list(rq.headers, rq.nheaders, &hl, err)))
			goto out;
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, rq.body ? rq.body : "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq.len);
		reset_answer(resp);
		c->too_big = 0;
		c->errbuf[0] = 0;
		resp->attempts = attempt + 1;
		cc = curl_easy_perform(c->curl);
		note_timing(c, resp);
		if (cc == CURLE_OK) {
			curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &resp->status);
			if (resp->status >= 200 && resp->status <= 299)
				break;
			if (attempt >= c->retries || !retryable(resp, arg))
				break;
			continue;
		}
		if (c->too_big) {
			rc = err_set(err, NK_DATA, "answer from '%s' exceeds %d bytes", c->url, HTTP_MAX_BODY);
			goto out;
		}
		if (local_failure(cc)) {
			rc = err_set(err, NK_IO, "cannot talk to %s'%s': %s", c->at, c->url,
				     c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
			goto out;
		}
		if (attempt >= c->retries || !retryable_curl(cc)) {
			char why[128] = "";

			/* Through the relay, curl only sees its socket close: the
			 * relay knows why the proxy could not be reached. */
			if (c->relay)
				relay_last_error(c->relay, why, sizeof why);
			rc = err_set(err, NK_TRANSPORT, "cannot reach %s'%s'%s: %s (after %d attempt%s)",
				     c->at, c->url, c->where,
				     why[0] ? why : c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc),
				     resp->attempts, resp->attempts == 1 ? "" : "s");
			goto out;
		}
	}
	if (!resp->body && !(resp->body = calloc(1, 1))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	rc = NK_OK;
out:
	c->cur = NULL;
	/* The list must not outlive this call inside the handle. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, NULL);
	curl_slist_free_all(hl);
	return rc;
}

struct fixed_request {
	const char *const *headers;
	size_t nheaders;
	const void *body;
	size_t len;
};

static int same_request(void *arg, int attempt, struct http_request *rq, struct nk_err *err)
{
	const struct fixed_request *f = arg;

	(void)attempt;
	(void)err;
	rq->headers = f->headers;
	rq->nheaders = f->nheaders;
	rq->body = f->body;
	rq->len = f->len;
	return NK_OK;
}

int http_post(struct http_client *c, const char *const *headers, size_t nheaders,
	      const void *body, size_t len, http_retry_fn retryable, void *arg,
	      struct http_resp *resp, struct nk_err *err)
{
	struct fixed_request f = { headers, nheaders, body, len };

	return http_post_each(c, same_request, &f, retryable, arg, resp, err);
}
