/* kmsclient: what every KMS tool shares on top of sigv4, creds, http, kms,
 * nsm and cms: where KMS is (region, endpoint or vsock), the credentials, a
 * signed call with KMS's errors turned into exit codes, and the attested
 * "Recipient" flow (an ephemeral RSA key, an attestation document carrying
 * its public key, CiphertextForRecipient opened with the private key).
 *
 * It knows no options: the tools fill struct kmsclient_opts and struct
 * kmsclient_key, plain data, from their command lines (lib/tool/kmsopts). */
#ifndef NK_KMSCLIENT_H
#define NK_KMSCLIENT_H

#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>

#include "util/err.h"
#include "kms/creds.h"
#include "kms/kms.h"
#include "util/secmem.h"

/* Where the tool goes when nothing is configured: the enclave tools to the
 * vsock-proxy (3:8000), kms-encrypt (parent/admin side) straight to
 * https://kms.REGION.amazonaws.com/. */
enum kmsclient_default { KMSCLIENT_VIA_VSOCK, KMSCLIENT_DIRECT };

struct kmsclient_opts {
	/* Borrowed: the strings belong to the caller and must outlive the use. */
	const char *region, *endpoint, *vsock, *ca_bundle, *credentials;
	int fips;
	int retries;            /* -1: the default */
	long timeout_ms;        /* 0: the default */
	unsigned rsa_bits;      /* 0: 2048 */
	const char *nsm;        /* NULL: $NITROKIT_NSM, /dev/nsm */
	/* Credentials already in hand (kmstool_enclave_cli's argv): used instead
	 * of --credentials or the environment when access_key_id is set.
	 * kmsclient_open moves them into the client and zeroes this struct. */
	struct creds given;
	/* Set by the tools' bats tests only (never documented as a knob): base of
	 * the retry backoff in ms, from $NITROKIT_BACKOFF_MS. */
	long backoff_base_ms;
};

/* Initialise o (retries -1, the rest empty). */
void kmsclient_opts_init(struct kmsclient_opts *o);
void kmsclient_opts_free(struct kmsclient_opts *o);  /* frees given (the strings are borrowed) */

/* The key a call names: --key-id, --context KEY=VALUE and --grant-token
 * (owned: malloc'd copies). */
#define KMSCLIENT_GRANTS_MAX 10  /* GrantTokens: at most 10 in the KMS API */

struct kmsclient_key {
	char *key_id;
	struct kms_kv *context;  /* each key points at a malloc'd "KEY\0VALUE" */
	size_t ncontext;
	char **grants;
	size_t ngrant;
};

void kmsclient_key_free(struct kmsclient_key *k);  /* and zeroes k */
/* The key id, encryption context and grant tokens into r (r's other fields
 * are left alone; the pointers point into k). */
void kmsclient_key_req(const struct kmsclient_key *k, struct kms_req *r);

/* Where the calls go, resolved from options and environment (exposed for
 * tests and --verbose):
 *   --endpoint > --vsock > $AWS_ENDPOINT_URL_KMS > $AWS_ENDPOINT_URL > default.
 * --vsock also accepts "@NAME": an abstract AF_UNIX name standing in for
 * AF_VSOCK (tests on machines without vsock_loopback). */
struct kmsclient_target {
	char region[64];
	char host[128];          /* kms.REGION.amazonaws.com[.cn] (or the endpoint's host) */
	char host_header[160];   /* what is signed and sent as Host: the host, and the
				    endpoint's port when its URL names one */
	char url[512];
	int transport;           /* enum http_transport */
	unsigned cid, port;
	char abstract_name[16];
	char ca_bundle[512];     /* "" for the system's */
};
int kmsclient_resolve(const struct kmsclient_opts *o, enum kmsclient_default d,
		      struct kmsclient_target *t, struct nk_err *err);

struct kmsclient;

/* Resolve the target, load the credentials (missing ones: NK_USAGE saying
 * what to set) and open the HTTP client (one connection for every call). */
int kmsclient_open(struct kmsclient_opts *o, enum kmsclient_default d, struct kmsclient **out,
		   struct nk_err *err);
void kmsclient_close(struct kmsclient *k);

/* Timings of the last call (µs), for --verbose and bench/kms-decrypt. */
struct kmsclient_timing {
	long connect_us;   /* 0 when an open connection was reused */
	long total_us;     /* the whole call, retries included */
	int attempts;
};
const struct kmsclient_timing *kmsclient_last_timing(const struct kmsclient *k);

/* One signed call.  A KMS error is NK_REMOTE "Type: message" (NK_TRANSPORT
 * when it was throttling or a 5xx that outlived the retries); no answer at all
 * is NK_TRANSPORT; a 2xx body that is not what op returns is NK_DATA.  resp
 * must be freed with kms_resp_free either way. */
int kmsclient_call(struct kmsclient *k, const struct kms_req *req, struct kms_resp *resp,
		   struct nk_err *err);

/* The attested recipient: an ephemeral RSA key (2048 or 4096 bits) and an
 * attestation document from the NSM carrying its SubjectPublicKeyInfo. */
struct kmsclient_recipient;

int kmsclient_recipient_new(const struct kmsclient_opts *o, struct kmsclient_recipient **out,
			    struct nk_err *err);
void kmsclient_recipient_free(struct kmsclient_recipient *r);
/* A fresh document (same key) when the current one is older than max_age
 * seconds; KMS refuses documents older than 5 minutes, --batch renews at 4. */
#define KMSCLIENT_DOC_MAX_AGE 240
int kmsclient_recipient_refresh(struct kmsclient_recipient *r, time_t now, struct nk_err *err);
const unsigned char *kmsclient_recipient_document(const struct kmsclient_recipient *r, size_t *len);

/* kmsclient_call with req's attestation set to r's document (renewed when
 * due), then CiphertextForRecipient opened with r's key into resp->plaintext.
 * An answer without CiphertextForRecipient is NK_DATA (a KMS that ignored the
 * Recipient must not be trusted with the plaintext either). */
int kmsclient_call_recipient(struct kmsclient *k, struct kmsclient_recipient *r,
			     struct kms_req *req, struct kms_resp *resp, struct nk_err *err);

/* The whole of an enclave tool that makes one call: open the client (the
 * vsock-proxy by default), make the attested recipient, call with it, close.
 * resp keeps the answer (free it with kms_resp_free). */
int kmsclient_call_once(struct kmsclient_opts *o, struct kms_req *req, struct kms_resp *resp,
			struct nk_err *err);

#endif
