/* kmsgen: what kms-genkey, kms-random and kms-encrypt share on top of
 * kmsclient and kmsout: the checks of their command lines that their option
 * tables cannot declare, made before any key generation, NSM call or network
 * call, the kms_req each one sends, and the shape of what they print.
 *
 * Each tool fills a struct of plain values from its parsed command line (the
 * strings are borrowed; the key is kmsopts_key's), then kmsgen_X_check
 * (usage errors, NK_USAGE), kmsgen_X_req (the request), and after a
 * successful call kmsgen_X_write (checks the answer, writes every output or
 * none). */
#ifndef NK_KMSGEN_H
#define NK_KMSGEN_H

#include <stddef.h>

#include "util/err.h"
#include "kms/kms.h"
#include "kms/kmsclient.h"
#include "tool/kmsout.h"
#include "util/secmem.h"

#define KMSGEN_BYTES_MAX 1024    /* NumberOfBytes of GenerateDataKey and GenerateRandom */
#define KMSGEN_PLAINTEXT_MAX 4096 /* Encrypt's Plaintext */
#define KMSGEN_FIELDS_MAX 5

/* The values KMS takes, as the option tables' choices (cli.h's CHOICE): the
 * value given is KMS's spelling. */
#define KMSGEN_KEY_SPECS "AES_256|AES_128"    /* GenerateDataKey's KeySpec */
#define KMSGEN_PAIR_SPECS "RSA_2048|RSA_3072|RSA_4096|ECC_NIST_P256|ECC_NIST_P384|ECC_NIST_P521|ECC_SECG_P256K1"
#define KMSGEN_ALGORITHMS "SYMMETRIC_DEFAULT|RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256|SM2PKE"
#define KMSGEN_GENKEY_FORMATS "json|kmstool"
#define KMSGEN_RANDOM_FORMATS "raw|hex|base64|kmstool"
#define KMSGEN_ENCRYPT_FORMATS "raw|base64"

/* Bytes of a data key of KeySpec spec (32, 16), 0 when spec is unknown. */
size_t kmsgen_key_spec_bytes(const char *spec);

/* --- kms-genkey ---------------------------------------------------------- */

enum kmsgen_genkey_format { KMSGEN_GENKEY_JSON, KMSGEN_GENKEY_KMSTOOL };  /* KMSGEN_GENKEY_FORMATS */

struct kmsgen_genkey {
	struct kmsclient_key key;  /* owned: kmsgen_genkey_free */
	const char *key_spec;    /* KeySpec; NULL when not given */
	size_t nbytes;           /* 0 when not given */
	const char *pair;        /* KeyPairSpec; NULL for a data key */
	int format;              /* enum kmsgen_genkey_format */
	const char *output;      /* NULL: standard output */
	const char *plaintext_out, *ciphertext_out;
	int force;
};

/* Usage errors the option table does not declare (it has --key-spec,
 * --bytes and --pair exclude each other): no key id; none of
 * --key-spec/--bytes/--pair; two outputs naming the same file or both
 * standard output; raw bytes to a terminal without --force. */
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

enum kmsgen_random_format {   /* KMSGEN_RANDOM_FORMATS; the first three are nsmtool's */
	KMSGEN_RANDOM_RAW, KMSGEN_RANDOM_HEX, KMSGEN_RANDOM_BASE64, KMSGEN_RANDOM_KMSTOOL
};

struct kmsgen_random {
	size_t nbytes;           /* default 32, as nsm-random */
	int format;              /* default hex, as nsm-random */
	const char *output;      /* NULL: standard output */
	int force;
};

void kmsgen_random_init(struct kmsgen_random *g);
int kmsgen_random_check(const struct kmsgen_random *g, struct nk_err *err);
void kmsgen_random_req(const struct kmsgen_random *g, struct kms_req *r);
/* NK_DATA when KMS sent another number of bytes than asked for. */
int kmsgen_random_write(const struct kmsgen_random *g, const struct kms_resp *r, struct nk_err *err);

/* --- kms-encrypt --------------------------------------------------------- */

enum kmsgen_encrypt_format { KMSGEN_ENCRYPT_RAW, KMSGEN_ENCRYPT_BASE64 };  /* KMSGEN_ENCRYPT_FORMATS */

struct kmsgen_encrypt {
	struct kmsclient_key key;    /* owned: kmsgen_encrypt_free */
	const char *plaintext_file;
	const char *algorithm;       /* NULL: KMS's default (SYMMETRIC_DEFAULT) */
	int format;
	const char *output;          /* NULL: standard output */
	int force;
	struct secbuf *plaintext;    /* kmsgen_encrypt_read */
};

/* Usage errors, as kmsgen_genkey_check (the option table has it that
 * --plaintext-file and --credentials do not both read standard input). */
int kmsgen_encrypt_check(const struct kmsgen_encrypt *g, struct nk_err *err);
/* The plaintext into secure memory: 1 to KMSGEN_PLAINTEXT_MAX bytes, else
 * NK_DATA. */
int kmsgen_encrypt_read(struct kmsgen_encrypt *g, struct nk_err *err);
void kmsgen_encrypt_req(const struct kmsgen_encrypt *g, struct kms_req *r);
int kmsgen_encrypt_write(const struct kmsgen_encrypt *g, const struct kms_resp *r, struct nk_err *err);
void kmsgen_encrypt_free(struct kmsgen_encrypt *g);

#endif
