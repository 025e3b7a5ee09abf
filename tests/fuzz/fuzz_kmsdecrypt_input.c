/* libFuzzer target: kms-decrypt's untrusted inputs.  The bytes are a
 * ciphertext file (raw blob or base64, told apart), one base64 ciphertext,
 * a --batch stream (lines through the whole loop with a decrypt that echoes
 * the blob), and a KeyId from KMS put into a JSON output line.  Besides not
 * crashing: an accepted blob is 1 to 6144 bytes, accepted base64 is exactly
 * the canonical encoding of what it decoded to, and a JSON line reads back. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "tool/kmsdecrypt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_blob(const unsigned char *b, size_t n)
{
	if (!b || n < 1 || n > KMSDECRYPT_BLOB_MAX)
		abort();
}

static void check_canonical(const uint8_t *data, size_t size, const unsigned char *b, size_t n)
{
	unsigned char *enc = malloc(4 * ((n + 2) / 3) + 1);
	size_t j = 0;
	int len;

	if (!enc)
		return;
	len = EVP_EncodeBlock(enc, b, (int)n);
	for (size_t i = 0; i < size; i++) {
		if (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r')
			continue;
		if ((int)j >= len || data[i] != enc[j++])
			abort();
	}
	if ((int)j != len)
		abort();
	free(enc);
}

static int echo(void *ctx, const unsigned char *blob, size_t n, struct kms_resp *resp, struct nk_err *err)
{
	(void)ctx;
	check_blob(blob, n);
	if (!(resp->plaintext = secmem_new(n)))
		return err_set(err, NK_IO, "out of memory");
	memcpy(resp->plaintext->p, blob, n);
	resp->plaintext->len = n;
	return NK_OK;
}

static void batch(const uint8_t *data, size_t size)
{
	struct kmsdecrypt_batch b = {
		.in_name = "fuzz", .out_path = "/dev/null", .keep_going = 1, .decrypt = echo,
	};
	struct nk_err err = { 0 };
	int fd = memfd_create("fuzz", 0);

	if (fd < 0)
		return;
	if (write(fd, data, size) == (ssize_t)size && lseek(fd, 0, SEEK_SET) == 0) {
		b.in_fd = fd;
		b.format = size ? KMSDECRYPT_BASE64 + data[0] % 3 : KMSDECRYPT_BASE64;
		kmsdecrypt_batch_run(&b, &err);
		if (b.failed > b.lines)
			abort();
	}
	close(fd);
}

static void json_line(const uint8_t *data, size_t size)
{
	struct kms_resp r = { 0 };
	struct secbuf *line = NULL;
	json_t *probe, *j;
	char *key = malloc(size + 1);

	if (!key)
		return;
	memcpy(key, data, size);
	key[size] = 0;
	/* KMS's KeyId came through jansson, so it is valid UTF-8. */
	probe = json_string(key);
	r.key_id = key;
	r.plaintext = secmem_new(1);
	if (probe && r.plaintext && !kmsdecrypt_line(KMSDECRYPT_JSON, &r, &line, NULL)) {
		j = json_loadb((const char *)line->p, line->len, 0, NULL);
		if (!j || strcmp(json_string_value(json_object_get(j, "KeyId")), key) != 0)
			abort();
		json_decref(j);
	}
	json_decref(probe);
	secmem_free(line);
	kms_resp_free(&r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *b = NULL;
	size_t n = 0;

	if (size > 4 * KMSDECRYPT_FILE_MAX)
		return 0;
	if (!kmsdecrypt_detect(data, size, "fuzz", &b, &n, NULL))
		check_blob(b, n);
	free(b);
	b = NULL;
	if (!kmsdecrypt_unb64((const char *)data, size, &b, &n, NULL)) {
		check_blob(b, n);
		check_canonical(data, size, b, n);
	}
	free(b);
	batch(data, size);
	json_line(data, size);
	return 0;
}
