#include "util/enc.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

static const char hexdig[] = "0123456789abcdef";

void enc_hex(const unsigned char *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hexdig[in[i] >> 4];
		out[2 * i + 1] = hexdig[in[i] & 15];
	}
	out[2 * n] = '\0';
}

int enc_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int enc_unhex(const char *s, unsigned char *out, size_t max, size_t *outlen, struct nk_err *err)
{
	size_t n = strlen(s);

	if (n % 2)
		return err_set(err, NK_DATA, "odd number of hex digits (%zu)", n);
	if (n / 2 > max)
		return err_set(err, NK_DATA, "hex value too long (%zu bytes, at most %zu)", n / 2, max);
	for (size_t i = 0; i < n; i += 2) {
		int hi = enc_hexval((unsigned char)s[i]), lo = enc_hexval((unsigned char)s[i + 1]);

		if (hi < 0 || lo < 0)
			return err_set(err, NK_DATA, "not a hex digit at position %zu", hi < 0 ? i + 1 : i + 2);
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	*outlen = n / 2;
	return NK_OK;
}

char *enc_b64(const unsigned char *in, size_t n)
{
	size_t outn = 4 * ((n + 2) / 3) + 1;
	char *out = malloc(outn);

	if (!out)
		return NULL;
	/* EVP_EncodeBlock takes an int length; callers pass far less than 2 GiB. */
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	return out;
}

size_t enc_unb64_max(size_t len)
{
	return len / 4 * 3 + 3;
}

static int b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Hand-written rather than EVP_DecodeBlock, which accepts trailing garbage
 * after padding and cannot report where the text went wrong. */
int enc_unb64(const char *s, size_t len, unsigned char *out, size_t *outlen, struct nk_err *err)
{
	unsigned acc = 0;
	int bits = 0, pad = 0;
	size_t o = 0, chars = 0;

	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i], v;

		if (is_space(c))
			continue;
		if (c == '=') {
			pad++;
			chars++;
			continue;
		}
		v = b64val(c);
		if (v < 0)
			return err_set(err, NK_DATA, "invalid base64 character at offset %zu", i);
		if (pad)
			return err_set(err, NK_DATA, "invalid base64: data after padding at offset %zu", i);
		chars++;
		acc = acc << 6 | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (pad > 2 || (pad && chars % 4) || (!pad && chars % 4 == 1))
		return err_set(err, NK_DATA, "invalid base64: bad length or padding");
	if (acc != 0)
		return err_set(err, NK_DATA, "invalid base64: non-zero trailing bits");
	*outlen = o;
	return NK_OK;
}

int enc_is_b64_text(const unsigned char *s, size_t len)
{
	size_t chars = 0;

	for (size_t i = 0; i < len; i++) {
		if (is_space(s[i]))
			continue;
		if (s[i] != '=' && b64val(s[i]) < 0)
			return 0;
		chars++;
	}
	return chars > 0;
}
