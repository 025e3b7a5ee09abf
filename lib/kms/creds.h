/* creds: AWS credentials from the environment or from the instance-metadata
 * JSON shape {"AccessKeyId","SecretAccessKey","Token","Expiration"} (DESIGN
 * §3), so a parent can pipe IMDS output into the enclave.  The secret and
 * the token live in secmem buffers; the parsed JSON's copies are wiped. */
#ifndef NK_CREDS_H
#define NK_CREDS_H

#include <time.h>
#include "util/err.h"
#include "util/secmem.h"
#include "kms/sigv4.h"

#define CREDS_MAX (64u * 1024)  /* a credentials file larger than this is refused */

struct creds {
	char *access_key_id;    /* not secret (it appears in every request) */
	struct secbuf *secret;  /* NUL-terminated */
	struct secbuf *token;   /* NUL-terminated; NULL when there is none */
	time_t expiration;      /* 0 when unknown */
};

/* AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, optional AWS_SESSION_TOKEN.
 * NK_USAGE (saying what to set) when they are missing. */
int creds_from_env(struct creds *c, struct nk_err *err);
/* Parse the JSON shape; name is for messages; an Expiration before now is
 * NK_DATA.  buf is not modified (the caller wipes it). */
int creds_from_json(const void *buf, size_t len, const char *name, time_t now, struct creds *c,
		    struct nk_err *err);
/* path NULL: the environment; else a file or "-" in the JSON shape. */
int creds_load(const char *path, time_t now, struct creds *c, struct nk_err *err);
void creds_free(struct creds *c);

/* A view for sigv4_sign (valid while c lives). */
struct sigv4_creds creds_sigv4(const struct creds *c);

#endif
