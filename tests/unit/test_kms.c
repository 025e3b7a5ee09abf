/* Tests of lib/kms/kms.c: each request body compared as parsed JSON with the
 * shape of the KMS API reference, responses, and every tolerated error form. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <jansson.h>

#include "util/jsonx.h"
#include "kms/kms.h"

static void body_is(const struct kms_req *r, const char *expected)
{
	struct secbuf *b = NULL;
	struct nk_err err;
	json_t *got, *want;

	assert_int_equal(kms_request_body(r, &b, &err), NK_OK);
	assert_int_equal(strlen((char *)b->p), b->len);
	got = json_loadb((char *)b->p, b->len, 0, NULL);
	want = json_loads(expected, 0, NULL);
	assert_non_null(got);
	assert_non_null(want);
	if (!json_equal(got, want))
		fail_msg("got %s\nwant %s", (char *)b->p, expected);
	json_decref(got);
	json_decref(want);
	secmem_free(b);
}

static const unsigned char doc[] = { 0x84, 0x44, 0xa1, 0x01 };  /* base64 "hEShAQ==" */
#define RECIPIENT "\"Recipient\": {\"KeyEncryptionAlgorithm\": \"RSAES_OAEP_SHA_256\", " \
		  "\"AttestationDocument\": \"hEShAQ==\"}"

static void test_bodies(void **state)
{
	static const struct kms_kv ctx[] = { { "purpose", "test" }, { "app", "x" } };
	static const char *const grants[] = { "g1", "g2" };
	struct kms_req r;

	(void)state;
	memset(&r, 0, sizeof r);
	r.op = KMS_DECRYPT;
	r.data = (const unsigned char *)"\x01\x02\x03";
	r.data_len = 3;
	body_is(&r, "{\"CiphertextBlob\": \"AQID\"}");
	r.key_id = "alias/test";
	r.encryption_algorithm = "SYMMETRIC_DEFAULT";
	r.context = ctx;
	r.ncontext = 2;
	r.grant_tokens = grants;
	r.ngrant = 2;
	r.attestation = doc;
	r.attestation_len = sizeof doc;
	body_is(&r, "{\"CiphertextBlob\": \"AQID\", \"KeyId\": \"alias/test\", "
		    "\"EncryptionAlgorithm\": \"SYMMETRIC_DEFAULT\", "
		    "\"EncryptionContext\": {\"purpose\": \"test\", \"app\": \"x\"}, "
		    "\"GrantTokens\": [\"g1\", \"g2\"], " RECIPIENT "}");

	memset(&r, 0, sizeof r);
	r.op = KMS_GENERATE_DATA_KEY;
	r.key_id = "k";
	r.key_spec = "AES_256";
	r.context = ctx;
	r.ncontext = 1;
	r.attestation = doc;
	r.attestation_len = sizeof doc;
	body_is(&r, "{\"KeyId\": \"k\", \"KeySpec\": \"AES_256\", "
		    "\"EncryptionContext\": {\"purpose\": \"test\"}, " RECIPIENT "}");
	r.key_spec = NULL;
	r.nbytes = 64;
	r.ncontext = 0;
	body_is(&r, "{\"KeyId\": \"k\", \"NumberOfBytes\": 64, " RECIPIENT "}");

	memset(&r, 0, sizeof r);
	r.op = KMS_GENERATE_DATA_KEY_PAIR;
	r.key_id = "k";
	r.key_spec = "ECC_NIST_P256";
	r.attestation = doc;
	r.attestation_len = sizeof doc;
	body_is(&r, "{\"KeyId\": \"k\", \"KeyPairSpec\": \"ECC_NIST_P256\", " RECIPIENT "}");

	memset(&r, 0, sizeof r);
	r.op = KMS_GENERATE_RANDOM;
	r.nbytes = 1024;
	body_is(&r, "{\"NumberOfBytes\": 1024}");
	r.attestation = doc;
	r.attestation_len = sizeof doc;
	body_is(&r, "{\"NumberOfBytes\": 1024, " RECIPIENT "}");

	memset(&r, 0, sizeof r);
	r.op = KMS_ENCRYPT;
	r.key_id = "alias/x";
	r.data = (const unsigned char *)"Hello, World";
	r.data_len = 12;
	r.context = ctx + 1;
	r.ncontext = 1;
	r.attestation = doc;  /* Encrypt takes no attestation: ignored */
	r.attestation_len = sizeof doc;
	body_is(&r, "{\"KeyId\": \"alias/x\", \"Plaintext\": \"SGVsbG8sIFdvcmxk\", "
		    "\"EncryptionContext\": {\"app\": \"x\"}}");
	assert_string_equal(kms_op_name(KMS_GENERATE_DATA_KEY_PAIR), "GenerateDataKeyPair");
}

static void bad_body(const struct kms_req *r, const char *msg)
{
	struct secbuf *b = NULL;
	struct nk_err err;

	assert_int_equal(kms_request_body(r, &b, &err), NK_USAGE);
	assert_null(b);
	assert_string_equal(err.msg, msg);
}

static void test_bad_requests(void **state)
{
	struct kms_req r;

	(void)state;
	memset(&r, 0, sizeof r);
	r.op = KMS_DECRYPT;
	bad_body(&r, "Decrypt needs a ciphertext");
	r.op = KMS_GENERATE_DATA_KEY;
	bad_body(&r, "GenerateDataKey needs a key id");
	r.key_id = "k";
	bad_body(&r, "GenerateDataKey needs a key spec or a number of bytes, not both");
	r.key_spec = "AES_256";
	r.nbytes = 32;
	bad_body(&r, "GenerateDataKey needs a key spec or a number of bytes, not both");
	r.op = KMS_GENERATE_DATA_KEY_PAIR;
	r.key_spec = NULL;
	bad_body(&r, "GenerateDataKeyPair needs a key pair spec");
	r.op = KMS_GENERATE_RANDOM;
	r.nbytes = 1025;
	bad_body(&r, "number of bytes '1025' is out of range (1 to 1024)");
	r.nbytes = 0;
	bad_body(&r, "number of bytes '0' is out of range (1 to 1024)");
	r.op = KMS_ENCRYPT;
	bad_body(&r, "Encrypt needs a plaintext");
	r.op = KMS_DECRYPT;
	r.data = (const unsigned char *)"x";
	r.data_len = 1;
	r.key_id = "bad \xff utf-8";
	bad_body(&r, "cannot build the Decrypt request: a value is not valid UTF-8");
}

static void parse_ok(enum kms_op op, const char *body, struct kms_resp *r)
{
	struct nk_err err;

	if (kms_parse_response(op, body, strlen(body), r, &err))
		fail_msg("%s: %s", body, err.msg);
}

static void test_responses(void **state)
{
	struct kms_resp r;

	(void)state;
	parse_ok(KMS_DECRYPT, "{\"KeyId\": \"arn:aws:kms:us-east-1:1:key/k\", \"EncryptionAlgorithm\": "
			      "\"SYMMETRIC_DEFAULT\", \"CiphertextForRecipient\": \"MIAGCSqG\", \"Plaintext\": null}", &r);
	assert_string_equal(r.key_id, "arn:aws:kms:us-east-1:1:key/k");
	assert_string_equal(r.encryption_algorithm, "SYMMETRIC_DEFAULT");
	assert_int_equal(r.recipient_blob_len, 6);
	assert_memory_equal(r.recipient_blob, "\x30\x80\x06\x09\x2a\x86", 6);
	assert_null(r.plaintext);
	kms_resp_free(&r);

	/* Empty Plaintext next to CiphertextForRecipient is no plaintext. */
	parse_ok(KMS_GENERATE_RANDOM, "{\"CiphertextForRecipient\": \"AQID\", \"Plaintext\": \"\"}", &r);
	assert_null(r.plaintext);
	kms_resp_free(&r);
	parse_ok(KMS_GENERATE_RANDOM, "{\"Plaintext\": \"SGVsbG8sIFdvcmxk\"}", &r);
	assert_int_equal(r.plaintext->len, 12);
	assert_memory_equal(r.plaintext->p, "Hello, World", 12);
	kms_resp_free(&r);

	parse_ok(KMS_GENERATE_DATA_KEY, "{\"KeyId\": \"k\", \"CiphertextBlob\": \"AQIDBA==\", "
					"\"CiphertextForRecipient\": \"AQID\"}", &r);
	assert_int_equal(r.ciphertext_blob_len, 4);
	assert_int_equal(r.recipient_blob_len, 3);
	kms_resp_free(&r);

	parse_ok(KMS_GENERATE_DATA_KEY_PAIR, "{\"KeyId\": \"k\", \"KeyPairSpec\": \"RSA_2048\", "
					     "\"PublicKey\": \"MIIB\", \"PrivateKeyCiphertextBlob\": \"AQID\", "
					     "\"PrivateKeyPlaintext\": \"c2VjcmV0\"}", &r);
	assert_string_equal(r.key_pair_spec, "RSA_2048");
	assert_int_equal(r.public_key_len, 3);
	assert_int_equal(r.private_key_blob_len, 3);
	assert_int_equal(r.plaintext->len, 6);
	assert_memory_equal(r.plaintext->p, "secret", 6);
	kms_resp_free(&r);

	parse_ok(KMS_ENCRYPT, "{\"KeyId\": \"k\", \"CiphertextBlob\": \"AQID\", "
			      "\"EncryptionAlgorithm\": \"SYMMETRIC_DEFAULT\"}", &r);
	assert_int_equal(r.ciphertext_blob_len, 3);
	assert_null(r.plaintext);
	kms_resp_free(&r);
	kms_resp_free(NULL);
}

static void parse_bad(enum kms_op op, const char *body, size_t len, const char *msg)
{
	struct kms_resp r;
	struct nk_err err;

	assert_int_equal(kms_parse_response(op, body, len, &r, &err), NK_DATA);
	assert_null(r.key_id);
	assert_null(r.plaintext);
	if (msg && !strstr(err.msg, msg))
		fail_msg("'%s' does not contain '%s'", err.msg, msg);
}

#define BAD(op, s, msg) parse_bad(op, s, strlen(s), msg)

static void test_bad_responses(void **state)
{
	char *big;

	(void)state;
	BAD(KMS_DECRYPT, "{\"Plaintext\": \"AQID\"", "invalid JSON");
	BAD(KMS_DECRYPT, "", "invalid JSON");
	BAD(KMS_DECRYPT, "[1]", "not a JSON object");
	BAD(KMS_DECRYPT, "{\"Plaintext\": \"AQ!D\"}", "kms response: 'Plaintext': invalid base64");
	BAD(KMS_DECRYPT, "{\"CiphertextForRecipient\": \"AQIDA\"}", "'CiphertextForRecipient'");
	BAD(KMS_DECRYPT, "{\"Plaintext\": 12}", "'Plaintext' is not a string");
	BAD(KMS_DECRYPT, "{\"KeyId\": \"k\"}", "neither 'CiphertextForRecipient' nor 'Plaintext'");
	BAD(KMS_DECRYPT, "{\"KeyId\": \"k\\u0000x\", \"Plaintext\": \"AQID\"}", "NUL");
	BAD(KMS_DECRYPT, "{\"Plaintext\": \"AQID\", \"Plaintext\": \"AQID\"}", "invalid JSON");
	BAD(KMS_GENERATE_DATA_KEY, "{\"Plaintext\": \"AQID\"}", "no 'CiphertextBlob'");
	BAD(KMS_GENERATE_DATA_KEY_PAIR, "{\"PublicKey\": \"AQID\", \"CiphertextForRecipient\": \"AQID\"}",
	    "no 'PrivateKeyCiphertextBlob'");
	BAD(KMS_GENERATE_DATA_KEY_PAIR, "{\"CiphertextForRecipient\": \"AQID\"}", "no 'PublicKey'");
	BAD(KMS_ENCRYPT, "{\"KeyId\": \"k\"}", "no 'CiphertextBlob'");

	big = malloc(JSONX_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', JSONX_MAX + 1);
	memcpy(big, "{\"Plaintext\": \"AQID\"}", 21);
	parse_bad(KMS_DECRYPT, big, JSONX_MAX + 1, "too large");
	free(big);
}

static void error_is(long status, const char *hdr, const char *body, int code, const char *msg,
		     const char *type, int retryable)
{
	struct kms_error e;
	struct nk_err err;

	assert_int_equal(kms_parse_error(status, hdr, body, body ? strlen(body) : 0, &e, &err), code);
	assert_int_equal(err.code, code);
	assert_string_equal(err.msg, msg);
	assert_string_equal(e.type, type);
	assert_int_equal(e.retryable, retryable);
	assert_int_equal(e.status, status);
}

static void test_errors(void **state)
{
	(void)state;
	error_is(400, NULL, "{\"__type\": \"AccessDeniedException\", \"message\": \"no\"}",
		 NK_REMOTE, "AccessDeniedException: no", "AccessDeniedException", 0);
	error_is(400, NULL, "{\"__type\": \"com.amazonaws.kms#InvalidCiphertextException\", "
			    "\"Message\": \"bad blob\"}",
		 NK_REMOTE, "InvalidCiphertextException: bad blob", "InvalidCiphertextException", 0);
	error_is(400, "NotFoundException:http://internal.amazon.com/coral/com.amazon.coral.service/",
		 "", NK_REMOTE, "NotFoundException", "NotFoundException", 0);
	error_is(403, "AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/",
		 "{\"message\": \"User is not authorized\"}", NK_REMOTE,
		 "AccessDeniedException: User is not authorized", "AccessDeniedException", 0);
	/* The body's __type wins over the header. */
	error_is(400, "Other:x", "{\"__type\": \"KMSInvalidStateException\", \"message\": \"pending\"}",
		 NK_REMOTE, "KMSInvalidStateException: pending", "KMSInvalidStateException", 0);
	/* Never retried even when KMS says 5xx. */
	error_is(500, NULL, "{\"__type\": \"KMSInvalidStateException\"}", NK_REMOTE,
		 "KMSInvalidStateException", "KMSInvalidStateException", 0);
	error_is(400, NULL, "{\"__type\": \"ThrottlingException\", \"message\": \"Rate exceeded\"}",
		 NK_TRANSPORT, "ThrottlingException: Rate exceeded", "ThrottlingException", 1);
	error_is(500, NULL, "{\"__type\": \"KMSInternalException\"}", NK_TRANSPORT,
		 "KMSInternalException", "KMSInternalException", 1);
	error_is(502, NULL, "<html>bad gateway</html>", NK_TRANSPORT, "kms answered http status 502", "", 1);
	error_is(404, NULL, NULL, NK_REMOTE, "kms answered http status 404", "", 0);
	error_is(400, NULL, "{\"__type\": \"ValidationException\", \"message\": \"two\\nlines\"}",
		 NK_REMOTE, "ValidationException: two?lines", "ValidationException", 0);
	error_is(400, NULL, "{\"__type\": 5, \"message\": []}", NK_REMOTE, "kms answered http status 400", "", 0);
	/* The retry rule http leaves to KMS: a throttled 400 known by its header alone. */
	error_is(400, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.coral.service/", "",
		 NK_TRANSPORT, "ThrottlingException", "ThrottlingException", 1);
}

/* Moved from test_http: host names are KMS's business, not HTTP's. */
static void test_kms_host(void **state)
{
	char h[128];
	struct nk_err e = { 0 };

	assert_int_equal(kms_host("us-east-1", 0, h, sizeof h, &e), NK_OK);
	assert_string_equal(h, "kms.us-east-1.amazonaws.com");
	assert_int_equal(kms_host("cn-north-1", 0, h, sizeof h, &e), NK_OK);
	assert_string_equal(h, "kms.cn-north-1.amazonaws.com.cn");
	assert_int_equal(kms_host("us-gov-west-1", 1, h, sizeof h, &e), NK_OK);
	assert_string_equal(h, "kms-fips.us-gov-west-1.amazonaws.com");
	assert_int_equal(kms_host("us-east-1", 1, h, sizeof h, &e), NK_OK);
	assert_string_equal(h, "kms-fips.us-east-1.amazonaws.com");
	assert_int_equal(kms_host("US-east-1", 0, h, sizeof h, &e), NK_USAGE);
	assert_string_equal(e.msg, "invalid region 'US-east-1'");
	assert_int_equal(kms_host("evil.com/", 0, h, sizeof h, &e), NK_USAGE);
	assert_int_equal(kms_host("", 0, h, sizeof h, &e), NK_USAGE);
	assert_int_equal(kms_host("us-east-1", 0, h, 10, &e), NK_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_bad_responses),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_kms_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
