#include "eif/pcr.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util/enc.h"
#include "util/io.h"

static const unsigned char zeros[PCR_LEN];

int pcr_extend(unsigned char pcr[PCR_LEN], const void *data, size_t n)
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned len = PCR_LEN;
	int ok;

	ok = c && EVP_DigestInit_ex(c, EVP_sha384(), NULL) && EVP_DigestUpdate(c, pcr, PCR_LEN) &&
	     EVP_DigestUpdate(c, data, n) && EVP_DigestFinal_ex(c, pcr, &len);
	EVP_MD_CTX_free(c);
	return ok ? NK_OK : NK_IO;
}

int pcr_ext_raw(const void *data, size_t n, unsigned char out[PCR_LEN])
{
	memcpy(out, zeros, PCR_LEN);
	return pcr_extend(out, data, n);
}

int pcr_ext(const unsigned char digest[PCR_LEN], unsigned char out[PCR_LEN])
{
	return pcr_ext_raw(digest, PCR_LEN, out);
}

int pcr_is_zero(const unsigned char pcr[PCR_LEN])
{
	return memcmp(pcr, zeros, PCR_LEN) == 0;
}

int pcr_of_file(const char *path, unsigned char out[PCR_LEN], struct nk_err *err)
{
	unsigned char buf[1 << 16], d[PCR_LEN];
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned len = PCR_LEN;
	int fd, rc;
	size_t got;

	if (!c)
		return err_set(err, NK_IO, "out of memory");
	rc = io_open_in(path, &fd, NULL, err);
	if (rc)
		goto out;
	EVP_DigestInit_ex(c, EVP_sha384(), NULL);
	do {
		if (io_read_full(fd, buf, sizeof buf, &got) < 0) {
			rc = err_set(err, NK_IO, "cannot read '%s':", io_name(path));
			break;
		}
		EVP_DigestUpdate(c, buf, got);
	} while (got == sizeof buf);
	if (fd > 0)
		close(fd);
	if (!rc && (!EVP_DigestFinal_ex(c, d, &len) || pcr_ext(d, out)))
		rc = err_set(err, NK_IO, "cannot hash '%s'", io_name(path));
out:
	EVP_MD_CTX_free(c);
	return rc;
}

int pcr_of_cert_pem(const void *pem, size_t len, unsigned char out[PCR_LEN], struct nk_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	X509 *x = NULL;
	unsigned char *der = NULL, d[PCR_LEN];
	int n;

	if (!bio)
		return err_set(err, NK_IO, "out of memory");
	x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!x)
		return err_set_ssl(err, NK_DATA, "not a PEM certificate");
	n = i2d_X509(x, &der);
	X509_free(x);
	if (n <= 0)
		return err_set_ssl(err, NK_DATA, "cannot encode the certificate");
	n = EVP_Digest(der, (size_t)n, d, NULL, EVP_sha384(), NULL);
	OPENSSL_free(der);
	if (!n || pcr_ext(d, out))
		return err_set(err, NK_IO, "cannot hash the certificate");
	return NK_OK;
}

int pcr_of_cert_file(const char *path, unsigned char out[PCR_LEN], struct nk_err *err)
{
	unsigned char *pem = NULL;
	size_t len;
	int rc;

	rc = io_read_all(path, 1u << 20, &pem, &len, err);
	if (rc)
		return rc;
	rc = pcr_of_cert_pem(pem, len, out, err);
	free(pem);
	return rc ? err_prefix(err, "'%s'", path) : NK_OK;
}

int pcr_fold_extends(const char *const *values, size_t n, unsigned char pcr[PCR_LEN], struct nk_err *err)
{
	memset(pcr, 0, PCR_LEN);
	for (size_t i = 0; i < n; i++) {
		unsigned char hex[PCR_EXTEND_MAX], *data = hex;
		size_t len;
		int rc;

		if (values[i][0] == '@') {
			rc = io_read_all(values[i] + 1, PCR_EXTEND_MAX, &data, &len, err);
		} else if (enc_unhex(values[i], hex, sizeof hex, &len, err)) {
			err_prefix(err, "invalid value '%s' for --extend", values[i]);
			return err ? (err->code = NK_USAGE) : NK_USAGE;
		} else {
			rc = NK_OK;
		}
		if (!rc && pcr_extend(pcr, data, len))
			rc = err_set(err, NK_IO, "SHA-384 failed");
		if (data != hex)
			free(data);
		if (rc)
			return rc;
	}
	return NK_OK;
}
