/* sigv4: every header-signing case of the AWS SigV4 test suite (aws-c-auth's
 * copy in ../shared/testdata/sigv4, $NITROKIT_TESTDATA overrides; skipped when
 * absent; each case is also verified by sigv4_verify), the KMS request of
 * issue 6, and the pieces shared with the verifier.  The verifier's own cases
 * are in test_sigv4_verify.c.
 *
 * With arguments it is the driver of tests/cli/sigv4-botocore.bats:
 *   test_sigv4 --authorization REGION AMZDATE TARGET BODY
 * prints our Authorization header for a KMS request signed with the
 * credentials of the environment. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "kms/creds.h"
#include "kms/sigv4.h"
#include "kms/sigv4_verify.h"

static const char *testdata(void)
{
	const char *t = getenv("NITROKIT_TESTDATA");

	return t && *t ? t : "../shared/testdata";
}

static char *slurp(const char *dir, const char *file, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	if (!(f = fopen(path, "rb")))
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

/* "2015-08-30T12:36:00Z" -> "20150830T123600Z" */
static void amz_date(const char *iso, char out[SIGV4_DATE_LEN + 1])
{
	size_t k = 0;

	for (; *iso && k < SIGV4_DATE_LEN; iso++)
		if (*iso != '-' && *iso != ':')
			out[k++] = *iso;
	out[k] = '\0';
}

/* Run one suite case; returns 1 when it has header-signing files. */
static int run_case(const char *dir, const char *name)
{
	char cdir[1024], date[SIGV4_DATE_LEN + 1], *ctx, *reqtxt, *creq, *sts, *sig, *signed_req;
	struct sigv4_signed out;
	struct sigv4_http http;
	struct sigv4_params p = { 0 };
	struct sigv4_creds c = { 0 };
	struct nk_err err = { 0 };
	json_t *j, *cr;
	size_t reqlen;
	int normalize, omit;

	snprintf(cdir, sizeof cdir, "%s/%s", dir, name);
	if (!(creq = slurp(cdir, "header-canonical-request.txt", NULL)))
		return 0;
	assert_non_null(sts = slurp(cdir, "header-string-to-sign.txt", NULL));
	assert_non_null(sig = slurp(cdir, "header-signature.txt", NULL));
	assert_non_null(signed_req = slurp(cdir, "header-signed-request.txt", NULL));
	assert_non_null(ctx = slurp(cdir, "context.json", NULL));
	assert_non_null(reqtxt = slurp(cdir, "request.txt", &reqlen));
	sig[strcspn(sig, "\r\n")] = '\0';

	assert_non_null(j = json_loads(ctx, 0, NULL));
	cr = json_object_get(j, "credentials");
	c.access_key_id = json_string_value(json_object_get(cr, "access_key_id"));
	c.secret_access_key = json_string_value(json_object_get(cr, "secret_access_key"));
	omit = json_is_true(json_object_get(j, "omit_session_token"));
	/* omit_session_token: the token is added after signing, so it is not signed */
	c.session_token = omit ? NULL : json_string_value(json_object_get(cr, "token"));
	normalize = json_is_true(json_object_get(j, "normalize"));
	amz_date(json_string_value(json_object_get(j, "timestamp")), date);
	p.region = json_string_value(json_object_get(j, "region"));
	p.service = json_string_value(json_object_get(j, "service"));
	p.amz_date = date;
	p.normalize = normalize;
	p.sign_body = json_is_true(json_object_get(j, "sign_body"));

	if (sigv4_http_parse(reqtxt, reqlen, &http, &err))
		fail_msg("%s: %s", name, err.msg);
	if (sigv4_sign(&http.req, &c, &p, &out, &err))
		fail_msg("%s: %s", name, err.msg);
	if (strcmp(out.canonical_request, creq) != 0)
		fail_msg("%s: canonical request\n--- got\n%s\n--- expected\n%s", name, out.canonical_request, creq);
	if (strcmp(out.string_to_sign, sts) != 0)
		fail_msg("%s: string to sign\n--- got\n%s\n--- expected\n%s", name, out.string_to_sign, sts);
	if (strcmp(out.signature, sig) != 0)
		fail_msg("%s: signature %s, expected %s", name, out.signature, sig);
	{
		char line[2048];

		snprintf(line, sizeof line, "Authorization:%s\n", out.authorization);
		if (!strstr(signed_req, line))
			fail_msg("%s: '%s' not in header-signed-request.txt", name, line);
	}

	/* our own verifier accepts what we signed (it always normalises, as for KMS) */
	if (normalize) {
		struct sigv4_header h[SIGV4_MAX_HEADERS + 4];
		struct sigv4_request r = http.req;
		size_t n = http.req.nheaders;

		memcpy(h, http.req.headers, n * sizeof *h);
		h[n++] = (struct sigv4_header){ "X-Amz-Date", date };
		if (c.session_token)
			h[n++] = (struct sigv4_header){ "X-Amz-Security-Token", c.session_token };
		if (p.sign_body)
			h[n++] = (struct sigv4_header){ "X-Amz-Content-Sha256", out.payload_hash };
		h[n++] = (struct sigv4_header){ "Authorization", out.authorization };
		r.headers = h;
		r.nheaders = n;
		if (sigv4_verify(&r, c.secret_access_key, p.region, p.service, NULL, &err))
			fail_msg("%s: verify: %s", name, err.msg);
	}

	sigv4_signed_free(&out);
	sigv4_http_free(&http);
	json_decref(j);
	free(creq);
	free(sts);
	free(sig);
	free(signed_req);
	free(ctx);
	free(reqtxt);
	return 1;
}

static void test_suite(void **state)
{
	char dir[1024];
	struct dirent *d;
	DIR *dp;
	int total = 0, cases = 0;

	(void)state;
	snprintf(dir, sizeof dir, "%s/sigv4", testdata());
	if (!(dp = opendir(dir))) {
		print_message("skipped: SigV4 test suite not found at %s\n", dir);
		skip();
	}
	while ((d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		total++;
		cases += run_case(dir, d->d_name);
	}
	closedir(dp);
	print_message("SigV4 suite: %d of %d cases checked (header signing)\n", cases, total);
	assert_true(cases > 0);
	assert_int_equal(cases, total);
}

static const char kms_body[] = "{\"CiphertextBlob\": \"AQID\", \"KeyId\": \"alias/test\"}";
static const char kms_secret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
static const struct sigv4_header kms_headers[] = {
	{ "Content-Type", "application/x-amz-json-1.1" },
	{ "Host", "kms.us-east-1.amazonaws.com" },
	{ "X-Amz-Target", "TrentService.Decrypt" },
};

static struct sigv4_request kms_request(void)
{
	struct sigv4_request r = {
		.method = "POST", .path = "/", .query = "",
		.headers = kms_headers, .nheaders = 3,
		.body = (const unsigned char *)kms_body, .body_len = sizeof kms_body - 1,
	};

	return r;
}

static void sign_kms(struct sigv4_signed *out)
{
	struct sigv4_request r = kms_request();
	struct sigv4_creds c = { "AKIDEXAMPLE", kms_secret, "SESSIONTOKENEXAMPLE" };
	struct sigv4_params p = { "us-east-1", "kms", "20150830T123600Z", 1, 0 };
	struct nk_err err;

	assert_int_equal(sigv4_sign(&r, &c, &p, out, &err), NK_OK);
}

/* The value of issue 6 (computed with botocore's SigV4Auth). */
static void test_kms(void **state)
{
	struct sigv4_signed out;

	(void)state;
	sign_kms(&out);
	assert_string_equal(out.signature, "394df7a121907e604654eb0f68c01be9256f4aed40ce0c6e90062540374c38c0");
	assert_string_equal(out.signed_headers, "content-type;host;x-amz-date;x-amz-security-token;x-amz-target");
	assert_string_equal(out.authorization,
			    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, "
			    "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
			    "Signature=394df7a121907e604654eb0f68c01be9256f4aed40ce0c6e90062540374c38c0");
	sigv4_signed_free(&out);
}

/* The pieces the verifier builds on: header lookup as a server sees headers
 * (any case, blanks after the colon skipped, repeats counted), the date
 * check, and sigv4_compute signing exactly the headers it is given. */
static void test_shared_pieces(void **state)
{
	static const struct sigv4_header h[] = {
		{ "Host", " \tkms.example" }, { "x-amz-date", "20150830T123600Z" },
		{ "HOST", "second" }, { NULL, "skipped" },
	};
	struct sigv4_header all[5];
	struct sigv4_request r = kms_request();
	struct sigv4_signed direct = { 0 }, via_sign;
	size_t n;

	(void)state;
	assert_string_equal(sigv4_find_header(h, 4, "host", &n), "kms.example");
	assert_int_equal(n, 2);
	assert_null(sigv4_find_header(h, 4, "authorization", &n));
	assert_int_equal(n, 0);

	assert_true(sigv4_valid_date("20150830T123600Z"));
	assert_false(sigv4_valid_date("2015-08-30T12:36:00Z"));
	assert_false(sigv4_valid_date("20150830T123600"));
	assert_false(sigv4_valid_date(NULL));

	/* sigv4_sign is its own headers added, then sigv4_compute */
	sign_kms(&via_sign);
	memcpy(all, kms_headers, sizeof kms_headers);
	all[3] = (struct sigv4_header){ "x-amz-date", "20150830T123600Z" };
	all[4] = (struct sigv4_header){ "x-amz-security-token", "SESSIONTOKENEXAMPLE" };
	r.headers = all;
	r.nheaders = 5;
	assert_int_equal(sigv4_compute(&r, kms_secret, "20150830T123600Z", "us-east-1", "kms", 1, &direct,
				       NULL), NK_OK);
	assert_string_equal(direct.canonical_request, via_sign.canonical_request);
	assert_string_equal(direct.signature, via_sign.signature);
	assert_null(direct.authorization);
	sigv4_signed_free(&direct);
	sigv4_signed_free(&via_sign);
}

static void test_bad_inputs(void **state)
{
	struct sigv4_request r = kms_request();
	struct sigv4_creds c = { "AKIDEXAMPLE", kms_secret, NULL };
	struct sigv4_params p = { "us-east-1", "kms", "2015-08-30T12:36:00Z", 1, 0 };
	struct sigv4_signed out;
	struct nk_err err;

	(void)state;
	assert_int_equal(sigv4_sign(&r, &c, &p, &out, &err), NK_USAGE);
	p.amz_date = "20150830T123600Z";
	c.secret_access_key = "";
	assert_int_equal(sigv4_sign(&r, &c, &p, &out, &err), NK_USAGE);
}

static int print_authorization(int argc, char **argv)
{
	struct sigv4_header h[3] = {
		{ "Content-Type", "application/x-amz-json-1.1" }, { "Host", NULL }, { "X-Amz-Target", NULL },
	};
	struct sigv4_request r = { "POST", "/", "", h, 3, NULL, 0 };
	struct sigv4_params p = { 0 };
	struct sigv4_signed out;
	struct sigv4_creds sc;
	struct creds c;
	struct nk_err err;
	char host[256];

	if (argc != 6) {
		fprintf(stderr, "usage: test_sigv4 --authorization REGION AMZDATE TARGET BODY\n");
		return 2;
	}
	snprintf(host, sizeof host, "kms.%s.amazonaws.com", argv[2]);
	h[1].value = host;
	h[2].value = argv[4];
	r.body = (const unsigned char *)argv[5];
	r.body_len = strlen(argv[5]);
	p.region = argv[2];
	p.service = "kms";
	p.amz_date = argv[3];
	p.normalize = 1;
	if (creds_from_env(&c, &err)) {
		fprintf(stderr, "test_sigv4: %s\n", err.msg);
		return err.code;
	}
	sc = creds_sigv4(&c);
	if (sigv4_sign(&r, &sc, &p, &out, &err)) {
		fprintf(stderr, "test_sigv4: %s\n", err.msg);
		creds_free(&c);
		return err.code;
	}
	printf("%s\n", out.authorization);
	sigv4_signed_free(&out);
	creds_free(&c);
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_suite),
		cmocka_unit_test(test_kms),
		cmocka_unit_test(test_shared_pieces),
		cmocka_unit_test(test_bad_inputs),
	};

	if (argc > 1 && strcmp(argv[1], "--authorization") == 0)
		return print_authorization(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
