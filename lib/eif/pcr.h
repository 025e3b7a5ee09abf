/* pcr: the SHA-384 register arithmetic of DESIGN §4.2. */
#ifndef NK_PCR_H
#define NK_PCR_H

#include <stddef.h>
#include "util/err.h"

#define PCR_LEN 48
#define PCR_HEX_LEN (2 * PCR_LEN)
#define PCR_COUNT 32

/* ext(d) = SHA384(48 zero bytes || d): what a PCR holds after one extend of
 * a fresh register with the digest d (the EIF measurements). */
int pcr_ext(const unsigned char digest[PCR_LEN], unsigned char out[PCR_LEN]);

/* SHA384(48 zero bytes || data) with no inner hash: PCR3 (role ARN) and PCR4
 * (instance id). */
int pcr_ext_raw(const void *data, size_t n, unsigned char out[PCR_LEN]);

/* NSM ExtendPCR: pcr = SHA384(pcr || data).  These three return NK_OK, or
 * NK_IO when OpenSSL cannot allocate. */
int pcr_extend(unsigned char pcr[PCR_LEN], const void *data, size_t n);

/* `nitro-cli pcr --input FILE`: ext(SHA384(file)). */
int pcr_of_file(const char *path, unsigned char out[PCR_LEN], struct nk_err *err);

/* PCR8 of a signing certificate given as PEM: ext(SHA384(DER)). */
int pcr_of_cert_pem(const void *pem, size_t len, unsigned char out[PCR_LEN], struct nk_err *err);

/* The same from a PEM file; messages name the file. */
int pcr_of_cert_file(const char *path, unsigned char out[PCR_LEN], struct nk_err *err);

/* A user PCR (16-31) after NSM extends from zero, one per value: "HEX" or
 * "@FILE" (the file's bytes).  Data is capped at PCR_EXTEND_MAX: what fits in
 * one 4096-byte NSM request once its CBOR envelope (under 32 bytes) is
 * counted, so pcr-compute predicts no value nsm-pcr could not produce.  Bad
 * hex is NK_USAGE ("invalid value ... for --extend"). */
#define PCR_EXTEND_MAX 4064
int pcr_fold_extends(const char *const *values, size_t n, unsigned char pcr[PCR_LEN], struct nk_err *err);

/* True when all 48 bytes are zero (debug-mode enclaves). */
int pcr_is_zero(const unsigned char pcr[PCR_LEN]);

#endif
