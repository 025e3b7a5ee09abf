/* sigv4_verify: the server half of SigV4.  The KMS request of issue 6 as KMS
 * receives it, with the Authorization value botocore's SigV4Auth computed
 * (test_sigv4.c checks that sigv4_sign writes the same one), checked and
 * then tampered with field by field; the Authorization parser's refusals;
 * and the HTTP request parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kms/sigv4_verify.h"

static const char kms_body[] = "{\"CiphertextBlob\": \"AQID\", \"KeyId\": \"alias/test\"}";
static const char kms_secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static const char kms_authorization[] =
	"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, "
	"SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
	"Signature=394df7a121907e604654eb0f68c01be9256f4aed40ce0c6e90062540374c38c0";

struct received {
	struct sigv4_header h[8];
	struct sigv4_request r;
};

static void received(struct received *rv)
{
	static const struct sigv4_header h[] = {
		{ "Content-Type", "application/x-amz-json-1.1" },
		{ "Host", "kms.us-east-1.amazonaws.com" },
		{ "X-Amz-Target", "TrentService.Decrypt" },
		{ "X-Amz-Date", "20150830T123600Z" },
		{ "X-Amz-Security-Token", "SESSIONTOKENEXAMPLE" },
		{ "Authorization", kms_authorization },
		{ "Content-Length", "50" },  /* unsigned: ignored */
	};

	memcpy(rv->h, h, sizeof h);
	rv->r = (struct sigv4_request){
		.method = "POST", .path = "/", .query = "",
		.headers = rv->h, .nheaders = sizeof h / sizeof h[0],
		.body = (const unsigned char *)kms_body, .body_len = sizeof kms_body - 1,
	};
}

static void test_verify(void **state)
{
	static const char other_body[] = "{\"CiphertextBlob\": \"AQIE\", \"KeyId\": \"alias/test\"}";
	struct sigv4_auth a;
	struct received rv;
	struct nk_err err;

	(void)state;
	received(&rv);
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", &a, &err), NK_OK);
	assert_string_equal(a.access_key_id, "AKIDEXAMPLE");
	assert_int_equal(a.nsigned, 5);
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, NULL, NULL, NULL, &err), NK_OK);

	/* changed body */
	rv.r.body = (const unsigned char *)other_body;
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_NEGATIVE);
	assert_string_equal(err.msg, "signature does not match");
	/* changed signed header */
	received(&rv);
	rv.h[2].value = "TrentService.Encrypt";
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_NEGATIVE);
	/* header value canonicalisation is not a change */
	rv.h[2].value = "  TrentService.Decrypt ";
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_OK);
	/* changed date, same day, then another day */
	received(&rv);
	rv.h[3].value = "20150830T123601Z";
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_NEGATIVE);
	rv.h[3].value = "20150831T123600Z";
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_NEGATIVE);
	rv.h[3].value = "yesterday";
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_DATA);
	/* changed token */
	received(&rv);
	rv.h[4].value = "SESSIONTOKENEXAMPLf";
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_NEGATIVE);
	/* wrong secret, region, service */
	received(&rv);
	assert_int_equal(sigv4_verify(&rv.r, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEZ", "us-east-1", "kms",
				      NULL, &err), NK_NEGATIVE);
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "eu-west-1", "kms", NULL, &err), NK_NEGATIVE);
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "s3", NULL, &err), NK_NEGATIVE);
	/* a signed header dropped */
	rv.r.nheaders = 6;
	rv.h[4] = rv.h[5];
	rv.r.nheaders = 5;
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "signed header 'x-amz-security-token' is missing");
	/* no Authorization, two of them */
	received(&rv);
	rv.r.nheaders = 5;
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_DATA);
	received(&rv);
	rv.h[6] = rv.h[5];
	assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_DATA);
	/* a flipped signature digit */
	{
		char *bad = strdup(kms_authorization);

		bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
		received(&rv);
		rv.h[5].value = bad;
		assert_int_equal(sigv4_verify(&rv.r, kms_secret, "us-east-1", "kms", NULL, &err), NK_NEGATIVE);
		free(bad);
	}
}

static void test_parse_authorization(void **state)
{
	static const char *bad[] = {
		"",
		"AWS4-HMAC-SHA1 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=akidexample/20150830/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/2015083/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830//kms/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws5_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=x-amz-date;host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=host;host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=host;;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=Host, Signature=0000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=, Signature=0000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=00000000000000000000000000000000000000000000000000000000000000000",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=000000000000000000000000000000000000000000000000000000000000000A",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=host",
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, SignedHeaders=host, Signature=0000000000000000000000000000000000000000000000000000000000000000 ",
	};
	struct sigv4_auth a;
	struct nk_err err;

	(void)state;
	assert_int_equal(sigv4_parse_authorization(
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request,SignedHeaders=host;x-amz-date,Signature=00000000000000000000000000000000000000000000000000000000000000ff",
		&a, &err), NK_OK);
	assert_string_equal(a.date, "20150830");
	assert_string_equal(a.region, "us-east-1");
	assert_string_equal(a.service, "kms");
	assert_string_equal(a.signed_headers, "host;x-amz-date");
	assert_int_equal(a.nsigned, 2);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (sigv4_parse_authorization(bad[i], &a, &err) != NK_DATA)
			fail_msg("accepted: %s", bad[i]);
}

static void test_http_parse(void **state)
{
	static const char ok[] = "POST /a b?x=1 HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  2\r\n\r\nbody";
	static const char *bad[] = { "", "GET\n", "GET / FTP/1\n", "GET / HTTP/1.1\n folded\n",
				     "GET / HTTP/1.1\nNoColon\n", "GET / HTTP/1.1\nBad Name: v\n" };
	struct sigv4_http h;
	struct nk_err err;

	(void)state;
	assert_int_equal(sigv4_http_parse(ok, sizeof ok - 1, &h, &err), NK_OK);
	assert_string_equal(h.req.method, "POST");
	assert_string_equal(h.req.path, "/a b");
	assert_string_equal(h.req.query, "x=1");
	assert_int_equal(h.req.nheaders, 2);
	assert_string_equal(h.req.headers[1].name, "X-A");
	assert_string_equal(h.req.headers[1].value, " 1    2");
	assert_int_equal(h.req.body_len, 4);
	assert_memory_equal(h.req.body, "body", 4);
	sigv4_http_free(&h);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (sigv4_http_parse(bad[i], strlen(bad[i]), &h, &err) != NK_DATA)
			fail_msg("accepted: %s", bad[i]);
	assert_int_equal(sigv4_http_parse("GET / HTTP/1.1\nA:\0b\n", 20, &h, &err), NK_DATA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_parse_authorization),
		cmocka_unit_test(test_http_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
