/* kms: the KMS JSON protocol (DESIGN §4.5): request bodies, responses and
 * errors.  No HTTP here; the body goes out with
 * X-Amz-Target "TrentService." kms_op_name(op). */
#ifndef NK_KMS_H
#define NK_KMS_H

#include <stddef.h>
#include "util/err.h"
#include "util/secmem.h"

enum kms_op {
	KMS_DECRYPT,
	KMS_GENERATE_DATA_KEY,
	KMS_GENERATE_DATA_KEY_PAIR,
	KMS_GENERATE_RANDOM,
	KMS_ENCRYPT,
};

/* "Decrypt", "GenerateDataKey", ... */
const char *kms_op_name(enum kms_op op);

/* KMS's host in region: "kms.REGION.amazonaws.com", ".amazonaws.com.cn" for
 * cn-* regions, "kms-fips." with fips.  NK_USAGE for a region that is not
 * [a-z0-9-]+ or too long. */
int kms_host(const char *region, int fips, char *out, size_t size, struct nk_err *err);

struct kms_kv {
	const char *key, *value;
};

/* One request.  Absent fields (NULL, 0) are left out of the body, as the
 * AWS SDKs do; an empty context or grant list is left out too. */
struct kms_req {
	enum kms_op op;
	const char *key_id;                /* required but for Decrypt and GenerateRandom */
	const char *encryption_algorithm;  /* Decrypt */
	const unsigned char *data;         /* Decrypt: CiphertextBlob; Encrypt: Plaintext */
	size_t data_len;
	const struct kms_kv *context;      /* EncryptionContext */
	size_t ncontext;
	const char *const *grant_tokens;   /* GrantTokens */
	size_t ngrant;
	const char *key_spec;              /* GenerateDataKey KeySpec; GenerateDataKeyPair KeyPairSpec */
	size_t nbytes;                     /* NumberOfBytes (GenerateDataKey without key_spec, GenerateRandom) */
	const unsigned char *attestation;  /* Recipient.AttestationDocument, when not NULL */
	size_t attestation_len;
};

/* The JSON body (compact, NUL-terminated; len excludes the NUL).  In secure
 * memory because Encrypt's carries a plaintext.  NK_USAGE when a required
 * field is missing. */
int kms_request_body(const struct kms_req *r, struct secbuf **body, struct nk_err *err);

/* A successful answer: the fields the operation returned (NULL/0 otherwise). */
struct kms_resp {
	char *key_id;                      /* KeyId */
	char *encryption_algorithm;        /* EncryptionAlgorithm */
	char *key_pair_spec;               /* KeyPairSpec */
	unsigned char *ciphertext_blob;    /* CiphertextBlob */
	size_t ciphertext_blob_len;
	unsigned char *recipient_blob;     /* CiphertextForRecipient (CMS, see cms.h) */
	size_t recipient_blob_len;
	unsigned char *public_key;         /* PublicKey (DER SPKI) */
	size_t public_key_len;
	unsigned char *private_key_blob;   /* PrivateKeyCiphertextBlob */
	size_t private_key_blob_len;
	struct secbuf *plaintext;          /* Plaintext or PrivateKeyPlaintext, without a Recipient */
};

/* Parse a 2xx body of op (capped at 1 MiB).  NK_DATA on malformed JSON or
 * base64, a field of the wrong type, or a missing field the operation must
 * return (CiphertextForRecipient or Plaintext, CiphertextBlob, ...). */
int kms_parse_response(enum kms_op op, const void *body, size_t len, struct kms_resp *r,
		       struct nk_err *err);
void kms_resp_free(struct kms_resp *r);

struct kms_error {
	long status;       /* HTTP status */
	char type[128];    /* __type without its "namespace#" prefix, e.g. "AccessDeniedException" */
	char message[384];
	int retryable;     /* ThrottlingException and 5xx; never AccessDenied, InvalidCiphertext, ... */
};

/* Make sense of a non-2xx answer.  The type comes from the body's __type, else
 * from the x-amzn-ErrorType header (error_type_header, may be NULL); a body
 * that is not JSON (a proxy's page) is not an error in itself.  err gets
 * "Type: message", with code NK_REMOTE, or NK_TRANSPORT when retryable
 * (DESIGN §3: throttling and 5xx are transient; the caller returns this once
 * its retries are spent).  Returns err's code. */
int kms_parse_error(long status, const char *error_type_header, const void *body, size_t len,
		    struct kms_error *e, struct nk_err *err);

#endif
