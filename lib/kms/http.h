/* http: POST requests over libcurl, with retries (KMS's transport, DESIGN
 * §4.5; what KMS is, its host names and which of its errors are retried,
 * live in kms.h and kmsclient.c).
 *
 * One client (one curl easy handle) per process, reused for every call, so a
 * batch runs over one kept-alive connection.  Three ways to reach the server:
 *   HTTP_TCP       the URL as given (--endpoint, http or https);
 *   HTTP_VSOCK     AF_VSOCK CID:PORT to the parent's vsock-proxy, TLS end to
 *                  end to the URL's host (SNI, Host and certificate name);
 *   HTTP_ABSTRACT  an abstract AF_UNIX name standing in for AF_VSOCK in tests.
 * The last two share one code path: curl connects to a private unix socket
 * (CURLOPT_UNIX_SOCKET_PATH) whose connections a relay thread forwards to the
 * proxy (relay.h says why), so the URL's host is never resolved and one
 * connection serves every call.  Where no relay can be made (no writable
 * TMPDIR), CURLOPT_RESOLVE pins the host to an unused IPv4 address and the
 * opensocket/sockopt callbacks turn curl's socket and address into the
 * foreign ones, one connection per call. */
#ifndef NK_HTTP_H
#define NK_HTTP_H

#include <stddef.h>
#include "util/err.h"

#define HTTP_MAX_BODY (1024 * 1024)      /* responses larger than this are refused */
#define HTTP_DEFAULT_RETRIES 3
#define HTTP_DEFAULT_CONNECT_MS 5000
#define HTTP_DEFAULT_TIMEOUT_MS 30000
#define HTTP_BACKOFF_BASE_MS 100
#define HTTP_BACKOFF_CAP_MS 2000
#define HTTP_ABSTRACT_MAX 13             /* so the address fits curl's struct sockaddr */
#define HTTP_VSOCK_DEFAULT_CID 3
#define HTTP_VSOCK_DEFAULT_PORT 8000

enum http_transport { HTTP_TCP, HTTP_VSOCK, HTTP_ABSTRACT };

struct http_opts {
	const char *url;               /* e.g. "https://kms.us-east-1.amazonaws.com/" */
	enum http_transport transport;
	unsigned vsock_cid, vsock_port;   /* HTTP_VSOCK */
	const char *abstract_name;     /* HTTP_ABSTRACT: the name without its leading NUL */
	const char *ca_bundle;         /* a PEM file; NULL or "" for the system's */
	long connect_timeout_ms;       /* 0: HTTP_DEFAULT_CONNECT_MS */
	long timeout_ms;               /* per attempt; 0: HTTP_DEFAULT_TIMEOUT_MS */
	int retries;                   /* extra attempts; < 0: HTTP_DEFAULT_RETRIES */
	long backoff_base_ms;          /* 0: HTTP_BACKOFF_BASE_MS (tests make it small) */
	long backoff_cap_ms;           /* 0: HTTP_BACKOFF_CAP_MS */
	int verbose;                   /* curl's trace on stderr */
	const char *peer;              /* who the URL is, for messages: "KMS" gives
	                                * "cannot reach KMS at 'URL'"; NULL "cannot reach 'URL'" */
};

struct http_resp {
	long status;
	char error_type[128];     /* x-amzn-ErrorType, "" when absent */
	char request_id[128];     /* x-amzn-RequestId, "" when absent */
	unsigned char *body;      /* NUL-terminated (len excludes it); never NULL on NK_OK */
	size_t len;
	int attempts;             /* requests sent, including the last */
	long connect_us;          /* time to connect in the last attempt; 0 on a reused connection */
	long total_us;            /* the last attempt, from start to the end of the body */
	long new_connections;     /* connections opened by this call (all attempts) */
};

/* Decides whether a complete non-2xx answer is worth another attempt.  NULL
 * means the default: 429 or 5xx (a service with its own rule, as KMS's
 * ThrottlingException in a 400, passes it). */
typedef int (*http_retry_fn)(const struct http_resp *r, void *arg);
int http_default_retryable(const struct http_resp *r, void *arg);

struct http_client;

/* NK_USAGE for a bad URL or abstract name, NK_IO when libcurl fails to start. */
int http_open(const struct http_opts *o, struct http_client **out, struct nk_err *err);
void http_close(struct http_client *c);

/* What one attempt sends; the pointers must stay valid until the next call
 * of the request function or the end of http_post_each. */
struct http_request {
	const char *const *headers;  /* "Name: value" */
	size_t nheaders;
	const void *body;
	size_t len;
};
/* Called before every attempt (attempt 0 first) for the request to send. */
typedef int (*http_request_fn)(void *arg, int attempt, struct http_request *rq, struct nk_err *err);

/* POST body with headers ("Name: value") to the client's URL.  Connection
 * errors, timeouts and retryable statuses are retried with capped exponential
 * backoff and full jitter.  NK_OK whenever an HTTP answer came back, whatever
 * its status (the last one when retries ran out: the caller makes the service's
 * error of it); NK_TRANSPORT "cannot reach PEER at 'URL': <curl error> (after
 * N attempts)" when none did; NK_DATA when the body exceeds HTTP_MAX_BODY.
 * *resp is reset first and must be freed with http_resp_free either way. */
int http_post(struct http_client *c, const char *const *headers, size_t nheaders,
	      const void *body, size_t len, http_retry_fn retryable, void *arg,
	      struct http_resp *resp, struct nk_err *err);
/* http_post with a request made anew for each attempt (for KMS: a fresh
 * signature date, a fresh attestation document).  A CA bundle curl cannot
 * read, or memory running out, is NK_IO. */
int http_post_each(struct http_client *c, http_request_fn request, void *rarg, http_retry_fn retryable,
		   void *arg, struct http_resp *resp, struct nk_err *err);
void http_resp_free(struct http_resp *r);

/* The delay before retry number n (0-based): uniform in [0, min(cap, base * 2^n)]. */
long http_backoff_ms(int n, long base_ms, long cap_ms);

/* "CID:PORT" (decimal) → cid, port.  NK_USAGE when malformed. */
int http_parse_vsock(const char *s, unsigned *cid, unsigned *port, struct nk_err *err);

#endif
