/* sigv4_verify: the server half of SigV4: parsing and checking a received
 * request's Authorization header, and the HTTP/1.1 request parser that
 * feeds it.  Signing is sigv4.h's. */
#ifndef NK_SIGV4_VERIFY_H
#define NK_SIGV4_VERIFY_H

#include <stddef.h>

#include "util/err.h"
#include "kms/sigv4.h"

/* A parsed Authorization header value (untrusted input: every field is
 * checked for its alphabet and length). */
struct sigv4_auth {
	char access_key_id[129];
	char date[9];         /* YYYYMMDD of the credential scope */
	char region[64];
	char service[64];
	char signed_headers[1024];  /* lowercase names, strictly ascending, ';'-separated */
	size_t nsigned;
	char signature[SIGV4_HEX_LEN + 1];
};
/* NK_DATA with a message when the value is not a well-formed SigV4 header. */
int sigv4_parse_authorization(const char *value, struct sigv4_auth *out, struct nk_err *err);

/* Check a received request signed with secret: NK_OK when the signature
 * matches, NK_NEGATIVE when it does not (or the scope names another region or
 * service, or the x-amz-date disagrees with the scope), NK_DATA when the
 * request is malformed (no or bad Authorization, a signed header missing, no
 * x-amz-date).  region/service may be NULL to accept any.  auth (optional)
 * receives the parsed header, e.g. to report the access key id. */
int sigv4_verify(const struct sigv4_request *req, const char *secret, const char *region,
		 const char *service, struct sigv4_auth *auth, struct nk_err *err);

/* An HTTP/1.1 request in text form (the test suite's request.txt, or bytes
 * read by a simple server): request line, headers with continuation lines,
 * blank line, body.  Everything points into out's own copy. */
struct sigv4_http {
	struct sigv4_request req;
	struct sigv4_header headers[SIGV4_MAX_HEADERS];
	char *buf;  /* owns all the strings */
};
int sigv4_http_parse(const void *buf, size_t len, struct sigv4_http *out, struct nk_err *err);
void sigv4_http_free(struct sigv4_http *h);

#endif
