/* creds: the environment, the instance-metadata JSON shape, and the failures
 * (missing → usage, malformed → data, expired → data). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "kms/creds.h"

#define NOW ((time_t)1440938160)  /* 2015-08-30T12:36:00Z (date -u -d ... +%s) */

static void test_env(void **state)
{
	struct creds c;
	struct sigv4_creds v;
	struct nk_err err;

	(void)state;
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	assert_int_equal(creds_load(NULL, NOW, &c, &err), NK_USAGE);
	assert_string_equal(err.msg, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
				     "or give --credentials FILE");
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	assert_int_equal(creds_from_env(&c, &err), NK_USAGE);
	setenv("AWS_SECRET_ACCESS_KEY", "", 1);
	assert_int_equal(creds_from_env(&c, &err), NK_USAGE);
	setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
	assert_int_equal(creds_load(NULL, NOW, &c, &err), NK_OK);
	assert_string_equal(c.access_key_id, "AKIDEXAMPLE");
	assert_string_equal((char *)c.secret->p, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	assert_null(c.token);
	creds_free(&c);
	setenv("AWS_SESSION_TOKEN", "SESSIONTOKENEXAMPLE", 1);
	assert_int_equal(creds_from_env(&c, &err), NK_OK);
	v = creds_sigv4(&c);
	assert_string_equal(v.session_token, "SESSIONTOKENEXAMPLE");
	assert_string_equal(v.secret_access_key, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	creds_free(&c);
	creds_free(NULL);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
}

/* The shape IMDS returns for /latest/meta-data/iam/security-credentials/ROLE. */
static const char imds[] =
	"{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"2015-08-30T12:00:00Z\",\n"
	"  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"ASIAEXAMPLE\",\n"
	"  \"SecretAccessKey\" : \"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\",\n"
	"  \"Token\" : \"SESSIONTOKENEXAMPLE\",\n  \"Expiration\" : \"2015-08-30T18:00:00Z\"\n}\n";

static void test_json(void **state)
{
	struct creds c;
	struct nk_err err;

	(void)state;
	assert_int_equal(creds_from_json(imds, sizeof imds - 1, "f", NOW, &c, &err), NK_OK);
	assert_string_equal(c.access_key_id, "ASIAEXAMPLE");
	assert_string_equal((char *)c.secret->p, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	assert_string_equal((char *)c.token->p, "SESSIONTOKENEXAMPLE");
	assert_int_equal(c.expiration, 1440957600);  /* date -u -d 2015-08-30T18:00:00Z +%s */
	creds_free(&c);

	/* expired: one second past Expiration */
	assert_int_equal(creds_from_json(imds, sizeof imds - 1, "f", 1440957601, &c, &err), NK_DATA);
	assert_string_equal(err.msg, "credentials expired at 2015-08-30T18:00:00Z");
	assert_null(c.access_key_id);

	/* without Token and Expiration; fractional seconds */
	{
		static const char j[] = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\"}";
		static const char f[] = "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"2015-08-30T18:00:00.5Z\"}";

		assert_int_equal(creds_from_json(j, sizeof j - 1, "f", NOW, &c, &err), NK_OK);
		assert_null(c.token);
		assert_int_equal(c.expiration, 0);
		creds_free(&c);
		assert_int_equal(creds_from_json(f, sizeof f - 1, "f", NOW, &c, &err), NK_OK);
		assert_int_equal(c.expiration, 1440957600);
		creds_free(&c);
	}
}

static void test_json_bad(void **state)
{
	static const struct { const char *json, *msg; } bad[] = {
		{ "", "'f': invalid JSON at line 1 column 0" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"wJalr", "'f': invalid JSON at line 1 column 43" },
		{ "[]", "'f': credentials must be a JSON object" },
		{ "{\"SecretAccessKey\":\"S\"}", "'f': no \"AccessKeyId\"" },
		{ "{\"AccessKeyId\":\"A\"}", "'f': no \"SecretAccessKey\"" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":7}", "'f': \"SecretAccessKey\" must be a non-empty string" },
		{ "{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"S\"}", "'f': \"AccessKeyId\" must be a non-empty string" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\\u0000x\"}", NULL },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Token\":[]}", "'f': \"Token\" must be a non-empty string" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"tomorrow\"}", "'f': bad Expiration 'tomorrow'" },
		{ "{\"AccessKeyId\":\"A\",\"SecretAccessKey\":\"S\",\"Expiration\":\"2030-01-01T00:00:00+02:00\"}", "'f': bad Expiration '2030-01-01T00:00:00+02:00'" },
		{ "{\"AccessKeyId\":\"A\",\"AccessKeyId\":\"B\",\"SecretAccessKey\":\"S\"}", NULL },
	};
	struct creds c;
	struct nk_err err;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (creds_from_json(bad[i].json, strlen(bad[i].json), "f", NOW, &c, &err) != NK_DATA)
			fail_msg("accepted: %s", bad[i].json);
		if (bad[i].msg)
			assert_string_equal(err.msg, bad[i].msg);
		/* a secret never leaks into the message */
		assert_null(strstr(err.msg, "wJalr"));
		assert_null(c.access_key_id);
	}
}

static void test_file(void **state)
{
	char path[] = "/tmp/test_creds.XXXXXX";
	struct creds c;
	struct nk_err err;
	char *big;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, imds, sizeof imds - 1), (ssize_t)(sizeof imds - 1));
	close(fd);
	assert_int_equal(creds_load(path, NOW, &c, &err), NK_OK);
	assert_string_equal((char *)c.token->p, "SESSIONTOKENEXAMPLE");
	creds_free(&c);

	/* over the 64 KiB cap */
	big = malloc(CREDS_MAX + 2);
	assert_non_null(big);
	memset(big, ' ', CREDS_MAX + 1);
	big[CREDS_MAX + 1] = '\0';
	assert_true((fd = open(path, O_WRONLY | O_TRUNC)) >= 0);
	assert_int_equal(write(fd, big, CREDS_MAX + 1), (ssize_t)CREDS_MAX + 1);
	close(fd);
	free(big);
	assert_int_equal(creds_load(path, NOW, &c, &err), NK_DATA);
	unlink(path);
	assert_int_equal(creds_load(path, NOW, &c, &err), NK_IO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_json_bad),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
