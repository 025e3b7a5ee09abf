/* enc: hex and base64, strict on input (untrusted text), lowercase hex out. */
#ifndef NK_ENC_H
#define NK_ENC_H

#include <stddef.h>
#include "util/err.h"

/* out must hold 2*n+1 bytes; NUL-terminated lowercase hex. */
void enc_hex(const unsigned char *in, size_t n, char *out);

/* Decode exactly the hex text s (upper or lower case, even length).  At most
 * max bytes are written; returns NK_DATA with a message on bad input. */
int enc_unhex(const char *s, unsigned char *out, size_t max, size_t *outlen, struct nk_err *err);

/* The value of one hex digit (either case), -1 for anything else. */
int enc_hexval(int c);

/* Base64 (RFC 4648, with padding).  enc_b64 returns a malloc'd string. */
char *enc_b64(const unsigned char *in, size_t n);
/* Decode base64; ASCII white space is skipped; out must hold
 * enc_unb64_max(len) bytes. */
size_t enc_unb64_max(size_t len);
int enc_unb64(const char *s, size_t len, unsigned char *out, size_t *outlen, struct nk_err *err);

/* True when the whole buffer looks like base64 text (alphabet, padding, white space). */
int enc_is_b64_text(const unsigned char *s, size_t len);

#endif
