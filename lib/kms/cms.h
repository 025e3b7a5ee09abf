/* cms: KMS's CiphertextForRecipient (DESIGN §4.5), opened and made.
 *
 * KMS answers a request carrying a Recipient with a CMS (RFC 5652)
 * ContentInfo/EnvelopedData, BER with indefinite lengths: one
 * KeyTransRecipientInfo v2 naming the attested key by a 32-byte
 * subjectKeyIdentifier (SHA-256 of its SPKI), rsaesOaep with SHA-256 and
 * MGF1-SHA-256, content aes-256-cbc.  cms_decrypt accepts exactly that
 * profile; anything else is NK_DATA naming what was found. */
#ifndef NK_CMS_H
#define NK_CMS_H

#include <stddef.h>
#include <openssl/evp.h>
#include "util/err.h"
#include "util/secmem.h"

#define CMS_MAX (64u * 1024)  /* KMS responses are a few hundred bytes */

/* The structure of an EnvelopedData, read without a key (for errors and tests).
 * Algorithm names are OpenSSL long names ("rsaesOaep", "sha256", "mgf1",
 * "aes-256-cbc"), or dotted OIDs when OpenSSL does not know them. */
struct cms_desc {
	int version;                /* EnvelopedData version */
	int recipients;             /* RecipientInfos in the SET */
	int ktri;                   /* 1 when the first recipient is a KeyTransRecipientInfo */
	int ktri_version;
	size_t skid_len;            /* subjectKeyIdentifier; 0 with issuerAndSerialNumber */
	char key_alg[64];           /* keyEncryptionAlgorithm, e.g. "rsaesOaep" */
	char oaep_hash[64];         /* OAEP parameters (RFC 4055 defaults when absent) */
	char oaep_mgf[64];
	char oaep_mgf_hash[64];
	int oaep_label;             /* 1 when pSourceFunc is present */
	unsigned char ekey[1024];   /* encryptedKey (RSA up to 8192 bits) */
	size_t ekey_len;
	char content_type[64];      /* "pkcs7-data" */
	char content_alg[64];       /* contentEncryptionAlgorithm, e.g. "aes-256-cbc" */
	unsigned char iv[16];       /* its OCTET STRING parameter, when one of 16 bytes or less */
	size_t iv_len;
	size_t content_len;         /* encryptedContent, all BER segments together */
	unsigned char content_head[16];  /* its first bytes */
};

/* Describe der (BER accepted; trailing zero bytes tolerated).  NK_DATA when it
 * is not a ContentInfo holding an EnvelopedData. */
int cms_describe(const unsigned char *der, size_t len, struct cms_desc *d, struct nk_err *err);

/* NK_DATA unless d is KMS's profile: one KeyTransRecipientInfo, rsaesOaep
 * SHA-256/MGF1-SHA-256 without a label, aes-256-cbc with a 16-byte IV. */
int cms_check_profile(const struct cms_desc *d, struct nk_err *err);

/* Open a CiphertextForRecipient with the private key.  The plaintext goes to
 * a secmem buffer.  A key that does not open it is NK_DATA "cannot decrypt:
 * ..." (the data is not for this key, or was corrupted on the way). */
int cms_decrypt(const unsigned char *der, size_t len, EVP_PKEY *pkey, struct secbuf **out,
		struct nk_err *err);

/* KMS's side, for kms-sim and tests: encrypt to the RSA key of spki (DER
 * SubjectPublicKeyInfo) in the shape above.  *out is malloc'd BER. */
int cms_encrypt_for_recipient(const unsigned char *pt, size_t ptlen, const unsigned char *spki,
			      size_t spki_len, unsigned char **out, size_t *outlen, struct nk_err *err);

#endif
