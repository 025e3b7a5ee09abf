/* sigv4: AWS Signature Version 4, header signing (HMAC-SHA256).
 *
 * One implementation for both sides: the KMS client signs with sigv4_sign and
 * the KMS simulator checks received requests with sigv4_verify (sigv4_verify.h),
 * both through sigv4_compute, so the two can never disagree about
 * canonicalisation.  The pieces (canonical request, string to sign, signing
 * key, signature, Authorization value) are exported because the AWS test
 * suite checks each of them separately. */
#ifndef NK_SIGV4_H
#define NK_SIGV4_H

#include <stddef.h>
#include "util/err.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_DATE_LEN 16     /* YYYYMMDDTHHMMSSZ */
#define SIGV4_HEX_LEN 64      /* a SHA-256 or HMAC-SHA256 in hex */
#define SIGV4_MAX_HEADERS 64  /* a received request with more is refused */

struct sigv4_header {
	const char *name;   /* any case; canonicalised to lowercase */
	const char *value;  /* raw; trimmed and inner blank runs collapsed when signed */
};

/* A request as sent or received.  path is the request target before '?', as on
 * the request line (it is URI-encoded for signing, so "%" becomes "%25" as
 * AWS does for every service but S3); query is the text after '?' (decoded
 * then re-encoded, so both raw and already-encoded forms sign alike). */
struct sigv4_request {
	const char *method;
	const char *path;
	const char *query;                 /* NULL or "" when none */
	const struct sigv4_header *headers;
	size_t nheaders;
	const unsigned char *body;
	size_t body_len;
};

/* The secret and the token point into memory the caller owns (creds keeps
 * them in secmem); nothing here copies them except into wiped temporaries. */
struct sigv4_creds {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;  /* NULL when none */
};

struct sigv4_params {
	const char *region;
	const char *service;
	const char *amz_date;  /* YYYYMMDDTHHMMSSZ (UTC) */
	int normalize;         /* remove "." and ".." segments and empty segments from the path */
	int sign_body;         /* also sign an x-amz-content-sha256 header (S3 style) */
};

/* Everything sigv4_sign produced; the caller sends the request with the
 * headers it signed plus X-Amz-Date, X-Amz-Security-Token (with a token),
 * X-Amz-Content-Sha256 (with sign_body) and Authorization. */
struct sigv4_signed {
	char *canonical_request;
	char *string_to_sign;
	char *signed_headers;               /* "host;x-amz-date;..." */
	char *authorization;                /* the Authorization header's value */
	char payload_hash[SIGV4_HEX_LEN + 1];
	char signature[SIGV4_HEX_LEN + 1];
};
void sigv4_signed_free(struct sigv4_signed *s);

/* Sign req: x-amz-date (and x-amz-security-token, x-amz-content-sha256 as
 * configured) are added to req's headers for signing unless already there. */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_creds *c,
	       const struct sigv4_params *p, struct sigv4_signed *out, struct nk_err *err);

/* The pieces.  sigv4_canonical_request signs every header of req; *creq and
 * *signed_headers are malloc'd. */
int sigv4_canonical_request(const struct sigv4_request *req, int normalize, const char *payload_hash,
			    char **creq, char **signed_headers, struct nk_err *err);
void sigv4_payload_hash(const unsigned char *body, size_t len, char out[SIGV4_HEX_LEN + 1]);
int sigv4_string_to_sign(const char *amz_date, const char *region, const char *service,
			 const char *creq, char **sts, struct nk_err *err);
int sigv4_signing_key(const char *secret, const char *date8, const char *region, const char *service,
		      unsigned char key[32], struct nk_err *err);
int sigv4_signature(const unsigned char key[32], const char *sts, char out[SIGV4_HEX_LEN + 1],
		    struct nk_err *err);
char *sigv4_authorization(const char *access_key_id, const char *date8, const char *region,
			  const char *service, const char *signed_headers, const char *signature);

/* --- Shared with the verifying side (sigv4_verify.c) ----------------------- */

/* Canonical request -> string to sign -> signature of req with exactly the
 * headers it has (sigv4_sign adds its own first; sigv4_verify keeps the
 * signed ones).  out must start zeroed; it is freed with sigv4_signed_free,
 * also after a failure.  out->authorization is not set. */
int sigv4_compute(const struct sigv4_request *req, const char *secret, const char *amz_date,
		  const char *region, const char *service, int normalize, struct sigv4_signed *out,
		  struct nk_err *err);

/* The value of header name (any case) with its leading blanks skipped, the
 * first when there are several; *count gets how many there are.  NULL when
 * none. */
const char *sigv4_find_header(const struct sigv4_header *h, size_t n, const char *name,
			      size_t *count);

/* True when d is a YYYYMMDDTHHMMSSZ date (digits checked, not the calendar). */
int sigv4_valid_date(const char *d);

#endif
