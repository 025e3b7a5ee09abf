/* eifsig: the EIF signature section (DESIGN §4.2): a CBOR array of one map
 * {"signing_certificate": PEM, "signature": COSE_Sign1} whose byte fields are
 * arrays of small unsigned ints (serde_cbor's Vec<u8>); the COSE payload is
 * {"register_index": 0, "register_value": PCR0 as an array of ints}. */
#ifndef NK_EIFSIG_H
#define NK_EIFSIG_H

#include <stddef.h>
#include <openssl/evp.h>
#include "util/err.h"
#include "eif/pcr.h"

/* Check the section against the computed PCR0: *pcr8 = ext(SHA384(cert DER));
 * *ok = signature valid with the certificate's key and payload == PCR0.
 * A section that does not parse is NK_DATA.
 * Decoders also accept byte strings where eif_build writes int arrays; the
 * array must hold exactly one map.  NK_OK with *ok = 0: a bad signature, a
 * certificate of another key, or a payload for another register or value.
 * NK_DATA ("bad signature section: ..."): more than EIF_MAX_SIGNATURE bytes,
 * not CBOR, wrong types, missing or duplicate keys, a certificate that is
 * not PEM, a signature that is not a COSE_Sign1, a verified payload that is
 * not PcrInfo.  *pcr8 is set once the certificate has been read. */
int eifsig_verify(const unsigned char *sec, size_t len, const unsigned char pcr0[PCR_LEN],
		  unsigned char pcr8[PCR_LEN], int *ok, struct nk_err *err);

/* Build the section for pcr0, signed with key, carrying cert_pem verbatim.
 * A certificate that is not PEM, or whose key is not key's, is NK_DATA. */
int eifsig_build(const unsigned char *cert_pem, size_t cert_len, EVP_PKEY *key,
		 const unsigned char pcr0[PCR_LEN], unsigned char **out, size_t *outlen,
		 struct nk_err *err);

/* The serde_cbor encodings eif_build writes, exposed for callers that sign
 * elsewhere and for tests against upstream's published bytes: the COSE
 * payload PcrInfo{register_index: 0, register_value: pcr0} and the section
 * [PcrSignature{signing_certificate, signature}]. */
int eifsig_payload_encode(const unsigned char pcr0[PCR_LEN], unsigned char **out,
			  size_t *outlen, struct nk_err *err);
int eifsig_section_encode(const unsigned char *cert_pem, size_t cert_len,
			  const unsigned char *cose, size_t cose_len, unsigned char **out,
			  size_t *outlen, struct nk_err *err);

#endif
