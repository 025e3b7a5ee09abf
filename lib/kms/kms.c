/* kms: the KMS JSON protocol.  See kms.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/enc.h"
#include "util/jsonx.h"
#include "kms/kms.h"

#define KMS_RANDOM_MAX 1024  /* GenerateRandom's NumberOfBytes range is 1..1024 */
#define KMS_PLAINTEXT_MAX 4096  /* Encrypt's Plaintext */

const char *kms_op_name(enum kms_op op)
{
	switch (op) {
	case KMS_DECRYPT: return "Decrypt";
	case KMS_GENERATE_DATA_KEY: return "GenerateDataKey";
	case KMS_GENERATE_DATA_KEY_PAIR: return "GenerateDataKeyPair";
	case KMS_GENERATE_RANDOM: return "GenerateRandom";
	case KMS_ENCRYPT: return "Encrypt";
	}
	return "?";
}

int kms_host(const char *region, int fips, char *out, size_t size, struct nk_err *err)
{
	size_t n = region ? strlen(region) : 0;
	int w;

	if (n == 0 || n > 32 || strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") != n ||
	    region[0] == '-')
		return err_set(err, NK_USAGE, "invalid region '%s'", region ? region : "");
	w = snprintf(out, size, "kms%s.%s.amazonaws.com%s", fips ? "-fips" : "", region,
		     strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	if (w < 0 || (size_t)w >= size)
		return err_set(err, NK_USAGE, "region '%s' too long", region);
	return NK_OK;
}

/* json_object_set_new that remembers a failure, so building stays linear. */
static void put(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, k, v))
		*bad = 1;
}

static json_t *b64_value(const unsigned char *p, size_t n, int secret)
{
	char *s = enc_b64(p, n);
	json_t *v;

	if (!s)
		return NULL;
	v = json_string(s);
	if (secret)
		secmem_wipe(s, strlen(s));
	free(s);
	return v;
}

static void put_common(json_t *o, const struct kms_req *r, int *bad)
{
	if (r->ncontext) {
		json_t *c = json_object();

		for (size_t i = 0; c && i < r->ncontext; i++)
			put(c, r->context[i].key, json_string(r->context[i].value), bad);
		put(o, "EncryptionContext", c, bad);
	}
	if (r->ngrant) {
		json_t *g = json_array();

		for (size_t i = 0; g && i < r->ngrant; i++)
			if (json_array_append_new(g, json_string(r->grant_tokens[i])))
				*bad = 1;
		put(o, "GrantTokens", g, bad);
	}
}

static void put_recipient(json_t *o, const struct kms_req *r, int *bad)
{
	json_t *rec;

	if (!r->attestation)
		return;
	rec = json_object();
	if (rec) {
		put(rec, "KeyEncryptionAlgorithm", json_string("RSAES_OAEP_SHA_256"), bad);
		put(rec, "AttestationDocument", b64_value(r->attestation, r->attestation_len, 0), bad);
	}
	put(o, "Recipient", rec, bad);
}

static int check_req(const struct kms_req *r, struct nk_err *err)
{
	const char *op = kms_op_name(r->op);

	if (r->op != KMS_DECRYPT && r->op != KMS_GENERATE_RANDOM && !r->key_id)
		return err_set(err, NK_USAGE, "%s needs a key id", op);
	if ((r->op == KMS_DECRYPT || r->op == KMS_ENCRYPT) && (!r->data || !r->data_len))
		return err_set(err, NK_USAGE, "%s needs %s", op,
			       r->op == KMS_DECRYPT ? "a ciphertext" : "a plaintext");
	if (r->op == KMS_ENCRYPT && r->data_len > KMS_PLAINTEXT_MAX)
		return err_set(err, NK_USAGE, "plaintext of %zu bytes is too large for Encrypt (at most %d)",
			       r->data_len, KMS_PLAINTEXT_MAX);
	if (r->op == KMS_GENERATE_DATA_KEY && !r->key_spec == !r->nbytes)
		return err_set(err, NK_USAGE, "GenerateDataKey needs a key spec or a number of bytes, not both");
	if (r->op == KMS_GENERATE_DATA_KEY_PAIR && !r->key_spec)
		return err_set(err, NK_USAGE, "GenerateDataKeyPair needs a key pair spec");
	if (r->op == KMS_GENERATE_RANDOM && (r->nbytes < 1 || r->nbytes > KMS_RANDOM_MAX))
		return err_set(err, NK_USAGE, "number of bytes '%zu' is out of range (1 to %d)",
			       r->nbytes, KMS_RANDOM_MAX);
	if ((unsigned)r->op > KMS_ENCRYPT)
		return err_set(err, NK_USAGE, "unknown kms operation");
	return NK_OK;
}

int kms_request_body(const struct kms_req *r, struct secbuf **body, struct nk_err *err)
{
	json_t *o = NULL;
	char *s = NULL;
	int bad = 0, rc;
	size_t n;

	*body = NULL;
	if ((rc = check_req(r, err)))
		return rc;
	if (!(o = json_object())) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	switch (r->op) {
	case KMS_DECRYPT:
		put(o, "CiphertextBlob", b64_value(r->data, r->data_len, 0), &bad);
		if (r->key_id)
			put(o, "KeyId", json_string(r->key_id), &bad);
		if (r->encryption_algorithm)
			put(o, "EncryptionAlgorithm", json_string(r->encryption_algorithm), &bad);
		put_common(o, r, &bad);
		break;
	case KMS_GENERATE_DATA_KEY:
		put(o, "KeyId", json_string(r->key_id), &bad);
		if (r->key_spec)
			put(o, "KeySpec", json_string(r->key_spec), &bad);
		else
			put(o, "NumberOfBytes", json_integer((json_int_t)r->nbytes), &bad);
		put_common(o, r, &bad);
		break;
	case KMS_GENERATE_DATA_KEY_PAIR:
		put(o, "KeyId", json_string(r->key_id), &bad);
		put(o, "KeyPairSpec", json_string(r->key_spec), &bad);
		put_common(o, r, &bad);
		break;
	case KMS_GENERATE_RANDOM:
		put(o, "NumberOfBytes", json_integer((json_int_t)r->nbytes), &bad);
		break;
	case KMS_ENCRYPT:
		put(o, "KeyId", json_string(r->key_id), &bad);
		put(o, "Plaintext", b64_value(r->data, r->data_len, 1), &bad);
		if (r->encryption_algorithm)
			put(o, "EncryptionAlgorithm", json_string(r->encryption_algorithm), &bad);
		put_common(o, r, &bad);
		break;
	}
	if (r->op != KMS_ENCRYPT)
		put_recipient(o, r, &bad);
	/* json_string refuses invalid UTF-8, which is how a bad key id or context shows up. */
	if (bad || !(s = json_dumps(o, JSON_COMPACT))) {
		rc = err_set(err, NK_USAGE, "cannot build the %s request: a value is not valid UTF-8",
			     kms_op_name(r->op));
		goto out;
	}
	n = strlen(s);
	if (!(*body = secmem_new(n + 1))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	memcpy((*body)->p, s, n + 1);
	(*body)->len = n;
	rc = NK_OK;
out:
	if (s) {
		secmem_wipe(s, strlen(s));
		free(s);
	}
	json_decref(o);
	return rc;
}

/* A field: 1 present, 0 absent or null, NK_DATA (negated) on the wrong type. */
static int field(const json_t *o, const char *k, const char **s, size_t *len, struct nk_err *err)
{
	json_t *v = json_object_get(o, k);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -err_set(err, NK_DATA, "kms response: '%s' is not a string", k);
	*s = json_string_value(v);
	*len = json_string_length(v);
	return 1;
}

static int get_str(const json_t *o, const char *k, char **out, struct nk_err *err)
{
	const char *s;
	size_t n;
	int r = field(o, k, &s, &n, err);

	if (r <= 0)
		return -r;
	if (memchr(s, 0, n))
		return err_set(err, NK_DATA, "kms response: '%s' holds a NUL character", k);
	if (!(*out = strdup(s)))
		return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

static int get_b64(const json_t *o, const char *k, unsigned char **out, size_t *outlen,
		   struct nk_err *err)
{
	const char *s;
	size_t n;
	int r = field(o, k, &s, &n, err), rc;

	if (r <= 0)
		return -r;
	if (!(*out = malloc(enc_unb64_max(n) + 1)))
		return err_set(err, NK_IO, "out of memory");
	if ((rc = enc_unb64(s, n, *out, outlen, err))) {
		free(*out);
		*out = NULL;
		return err_prefix(err, "kms response: '%s'", k);
	}
	return NK_OK;
}

static int get_secret(const json_t *o, const char *k, struct secbuf **out, struct nk_err *err)
{
	const char *s;
	size_t n;
	int r = field(o, k, &s, &n, err);

	if (r <= 0)
		return -r;
	if (!(*out = secmem_new(enc_unb64_max(n) + 1)))
		return err_set(err, NK_IO, "out of memory");
	if (enc_unb64(s, n, (*out)->p, &(*out)->len, err)) {
		secmem_free(*out);
		*out = NULL;
		return err_prefix(err, "kms response: '%s'", k);
	}
	return NK_OK;
}

int kms_parse_response(enum kms_op op, const void *body, size_t len, struct kms_resp *r,
		       struct nk_err *err)
{
	json_t *o = NULL;
	const char *pt_name = op == KMS_GENERATE_DATA_KEY_PAIR ? "PrivateKeyPlaintext" : "Plaintext";
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = jsonx_parse(body, len, "kms response", &o, err)))
		return rc;
	if (!json_is_object(o)) {
		rc = err_set(err, NK_DATA, "kms response is not a JSON object");
		goto out;
	}
	if ((rc = get_str(o, "KeyId", &r->key_id, err)) ||
	    (rc = get_str(o, "EncryptionAlgorithm", &r->encryption_algorithm, err)) ||
	    (rc = get_str(o, "KeyPairSpec", &r->key_pair_spec, err)) ||
	    (rc = get_b64(o, "CiphertextBlob", &r->ciphertext_blob, &r->ciphertext_blob_len, err)) ||
	    (rc = get_b64(o, "CiphertextForRecipient", &r->recipient_blob, &r->recipient_blob_len, err)) ||
	    (rc = get_b64(o, "PublicKey", &r->public_key, &r->public_key_len, err)) ||
	    (rc = get_b64(o, "PrivateKeyCiphertextBlob", &r->private_key_blob, &r->private_key_blob_len, err)) ||
	    (rc = get_secret(o, pt_name, &r->plaintext, err)))
		goto out;
	/* With a Recipient, KMS sends Plaintext null or empty: it is not a plaintext then. */
	if (r->recipient_blob && r->plaintext && !r->plaintext->len) {
		secmem_free(r->plaintext);
		r->plaintext = NULL;
	}
	if (op != KMS_ENCRYPT && !r->recipient_blob && !r->plaintext) {
		rc = err_set(err, NK_DATA, "kms response has neither 'CiphertextForRecipient' nor '%s'", pt_name);
		goto out;
	}
	if ((op == KMS_GENERATE_DATA_KEY || op == KMS_ENCRYPT) && !r->ciphertext_blob) {
		rc = err_set(err, NK_DATA, "kms response has no 'CiphertextBlob'");
		goto out;
	}
	if (op == KMS_GENERATE_DATA_KEY_PAIR && (!r->public_key || !r->private_key_blob)) {
		rc = err_set(err, NK_DATA, "kms response has no '%s'",
			     r->public_key ? "PrivateKeyCiphertextBlob" : "PublicKey");
		goto out;
	}
	rc = NK_OK;
out:
	json_decref(o);
	if (rc)
		kms_resp_free(r);
	return rc;
}

void kms_resp_free(struct kms_resp *r)
{
	if (!r)
		return;
	free(r->key_id);
	free(r->encryption_algorithm);
	free(r->key_pair_spec);
	free(r->ciphertext_blob);
	free(r->recipient_blob);
	free(r->public_key);
	free(r->private_key_blob);
	secmem_free(r->plaintext);
	memset(r, 0, sizeof *r);
}

/* Remote text goes into a one-line message: no control characters. */
static void copy_clean(char *dst, size_t cap, const char *s, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap; i++)
		dst[o++] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	dst[o] = 0;
}

static int never_retried(const char *type)
{
	static const char *const never[] = {
		"AccessDeniedException", "InvalidCiphertextException", "NotFoundException",
		"KMSInvalidStateException",
	};

	for (size_t i = 0; i < sizeof never / sizeof *never; i++)
		if (!strcmp(type, never[i]))
			return 1;
	return 0;
}

int kms_parse_error(long status, const char *error_type_header, const void *body, size_t len,
		    struct kms_error *e, struct nk_err *err)
{
	json_t *o = NULL;
	const char *s;
	size_t n;

	memset(e, 0, sizeof *e);
	e->status = status;
	/* Not JSON, too large or the wrong shape: the header and status still tell. */
	if (len <= JSONX_MAX && !jsonx_parse(body, len, "kms error", &o, NULL) && json_is_object(o)) {
		if (field(o, "__type", &s, &n, NULL) == 1) {
			const char *hash = memchr(s, '#', n);

			while (hash && memchr(hash + 1, '#', n - (size_t)(hash + 1 - s)))
				hash = memchr(hash + 1, '#', n - (size_t)(hash + 1 - s));
			if (hash) {
				n -= (size_t)(hash + 1 - s);
				s = hash + 1;
			}
			copy_clean(e->type, sizeof e->type, s, n);
		}
		if (field(o, "message", &s, &n, NULL) == 1 || field(o, "Message", &s, &n, NULL) == 1)
			copy_clean(e->message, sizeof e->message, s, n);
	}
	json_decref(o);
	if (!e->type[0] && error_type_header) {
		/* "AccessDeniedException:http://internal.amazon.com/coral/..." */
		s = error_type_header;
		n = strcspn(s, ":");
		copy_clean(e->type, sizeof e->type, s, n);
	}
	e->retryable = !never_retried(e->type) &&
		       (!strcmp(e->type, "ThrottlingException") || status == 429 || status >= 500);
	if (!e->type[0])
		return err_set(err, e->retryable ? NK_TRANSPORT : NK_REMOTE,
			       "kms answered http status %ld%s%s", status,
			       e->message[0] ? ": " : "", e->message);
	return err_set(err, e->retryable ? NK_TRANSPORT : NK_REMOTE, "%s%s%s", e->type,
		       e->message[0] ? ": " : "", e->message);
}
