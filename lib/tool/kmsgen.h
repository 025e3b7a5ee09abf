/* kmsgen: what kms-genkey, kms-random and kms-encrypt share on top of
 * kmsclient and kmsout: their options (key specs, byte counts, output files;
 * the key id, context and grant tokens are kmsclient_key's), the checks made
 * before any key generation, NSM call or network call, the kms_req each one
 * sends, and the shape of what they print.
 *
 * Each tool has a struct filled by its option callback:
 *
 *   rc = kmsclient_opt(&c->kms, name, arg, err);
 *   if (rc == KMSCLIENT_NOT_MINE)
 *           rc = kmsgen_genkey_opt(&c->g, name, arg, err);
 *
 * then kmsgen_X_check (usage errors, NK_USAGE), kmsgen_X_req (the request),
 * and after a successful call kmsgen_X_write (checks the answer, writes every
 * output or none). */
#ifndef NK_KMSGEN_H
#define NK_KMSGEN_H

#include <stddef.h>

#include "util/err.h"
#include "kms/kms.h"
#include "kms/kmsclient.h"
#include "tool/kmsout.h"
#include "util/secmem.h"

#define KMSGEN_NOT_MINE KMSCLIENT_NOT_MINE
#define KMSGEN_BYTES_MAX 1024    /* NumberOfBytes of GenerateDataKey and GenerateRandom */
#define KMSGEN_PLAINTEXT_MAX 4096 /* Encrypt's Plaintext */
#define KMSGEN_FIELDS_MAX 5

/* The key options of kms-genkey and kms-encrypt, as X-macro rows (see
 * cli.h) to splice into a tool's OPTIONS; parsed by kmsclient_key_opt. */
#define KMSGEN_KEY_OPTIONS(X) \
	X(KEY_ID, "key-id", 0, STR, "KEY", NULL, "KMS key: key id, key ARN, alias/NAME or alias ARN (required)") \
	X(CONTEXT, "context", 0, LIST, "KEY=VALUE", NULL, "encryption context pair (repeatable); Decrypt needs the same") \
	X(GRANT_TOKEN, "grant-token", 0, LIST, "TOKEN", NULL, "grant token (repeatable, at most 10)")

/* A byte count of 1 to KMSGEN_BYTES_MAX for --opt (NK_USAGE otherwise). */
int kmsgen_bytes(const char *arg, const char *opt, size_t *out, struct nk_err *err);
/* GenerateDataKey's KeySpec (AES_256, AES_128) and GenerateDataKeyPair's
 * KeyPairSpec (RSA_2048 ... ECC_SECG_P256K1): *out is a static string. */
int kmsgen_key_spec(const char *arg, const char **out, struct nk_err *err);
int kmsgen_pair_spec(const char *arg, const char **out, struct nk_err *err);
/* Bytes of a data key of KeySpec spec (32, 16), 0 when spec is unknown. */
size_t kmsgen_key_spec_bytes(const char *spec);

/* --- kms-genkey ---------------------------------------------------------- */

enum kmsgen_genkey_format { KMSGEN_GENKEY_JSON, KMSGEN_GENKEY_KMSTOOL };  /* "json|kmstool" */

struct kmsgen_genkey {
	struct kmsclient_key key;
	const char *key_spec;    /* static; NULL when not given */
	size_t nbytes;           /* 0 when not given */
	const char *pair;        /* KeyPairSpec, static; NULL for a data key */
	int format;              /* enum kmsgen_genkey_format */
	char *output;            /* NULL: standard output */
	char *plaintext_out, *ciphertext_out;
	int force;
};

/* key options, "key-spec", "bytes", "pair", "format", "output",
 * "plaintext-out", "ciphertext-out", "force". */
int kmsgen_genkey_opt(struct kmsgen_genkey *g, const char *name, const char *arg, struct nk_err *err);
/* Usage errors: no key id; none or two of --key-spec/--bytes; either with
 * --pair; two outputs naming the same file or both standard output; raw
 * bytes to a terminal without --force. */
int kmsgen_genkey_check(const struct kmsgen_genkey *g, struct nk_err *err);
/* GenerateDataKey or GenerateDataKeyPair (r's pointers point into g). */
void kmsgen_genkey_req(const struct kmsgen_genkey *g, struct kms_req *r);
/* The main output's fields: KeyId, CiphertextBlob, Plaintext, or for pairs
 * KeyId, KeyPairSpec, PublicKey, PrivateKeyCiphertextBlob,
 * PrivateKeyPlaintext (json); CIPHERTEXT, PLAINTEXT (kmstool, as AWS's
 * kmstool_enclave_cli genkey), and PUBLICKEY after them for pairs.  The
 * plaintext is left out when --plaintext-out takes it.  Returns the count. */
size_t kmsgen_genkey_fields(const struct kmsgen_genkey *g, const struct kms_resp *r,
			    struct kmsout_field f[KMSGEN_FIELDS_MAX]);
/* Check the answer (a data key of the size asked for, a private key), then
 * write --plaintext-out, --ciphertext-out (raw bytes) and the main output,
 * all or none: every file complete under a temporary name, then FIFOs and
 * devices opened and written, standard output last, and the renames at the
 * very end; on a failure the files that were there stay.  Mode 0600. */
int kmsgen_genkey_write(const struct kmsgen_genkey *g, const struct kms_resp *r, struct nk_err *err);
void kmsgen_genkey_free(struct kmsgen_genkey *g);

/* --- kms-random ---------------------------------------------------------- */

enum kmsgen_random_format {   /* "raw|hex|base64|kmstool"; the first three are nsmtool's */
	KMSGEN_RANDOM_RAW, KMSGEN_RANDOM_HEX, KMSGEN_RANDOM_BASE64, KMSGEN_RANDOM_KMSTOOL
};

struct kmsgen_random {
	size_t nbytes;           /* default 32, as nsm-random */
	int format;              /* default hex, as nsm-random */
	char *output;
	int force;
};

void kmsgen_random_init(struct kmsgen_random *g);
/* "bytes", "format", "output", "force". */
int kmsgen_random_opt(struct kmsgen_random *g, const char *name, const char *arg, struct nk_err *err);
int kmsgen_random_check(const struct kmsgen_random *g, struct nk_err *err);
void kmsgen_random_req(const struct kmsgen_random *g, struct kms_req *r);
/* NK_DATA when KMS sent another number of bytes than asked for. */
int kmsgen_random_write(const struct kmsgen_random *g, const struct kms_resp *r, struct nk_err *err);
void kmsgen_random_free(struct kmsgen_random *g);

/* --- kms-encrypt --------------------------------------------------------- */

enum kmsgen_encrypt_format { KMSGEN_ENCRYPT_RAW, KMSGEN_ENCRYPT_BASE64 };  /* "raw|base64" */

struct kmsgen_encrypt {
	struct kmsclient_key key;
	char *plaintext_file;
	const char *algorithm;   /* static; NULL: KMS's default (SYMMETRIC_DEFAULT) */
	int format;
	char *output;
	int force;
	struct secbuf *plaintext;  /* kmsgen_encrypt_read */
};

/* key options, "plaintext-file", "encryption-algorithm", "format",
 * "output", "force". */
int kmsgen_encrypt_opt(struct kmsgen_encrypt *g, const char *name, const char *arg, struct nk_err *err);
/* Usage errors, as kmsgen_genkey_check; credentials is --credentials (may
 * be NULL): it cannot read standard input too. */
int kmsgen_encrypt_check(const struct kmsgen_encrypt *g, const char *credentials, struct nk_err *err);
/* The plaintext into secure memory: 1 to KMSGEN_PLAINTEXT_MAX bytes, else
 * NK_DATA. */
int kmsgen_encrypt_read(struct kmsgen_encrypt *g, struct nk_err *err);
void kmsgen_encrypt_req(const struct kmsgen_encrypt *g, struct kms_req *r);
int kmsgen_encrypt_write(const struct kmsgen_encrypt *g, const struct kms_resp *r, struct nk_err *err);
void kmsgen_encrypt_free(struct kmsgen_encrypt *g);

#endif
