#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/jsonx.h"
#include "eif/meas.h"

static char *print(const struct meas *m, enum meas_format f, int *rc)
{
	char *text = NULL;

	*rc = meas_render(m, f, &text, NULL);
	return text;
}

static struct meas two(void)
{
	struct meas m = { 0 };
	unsigned char a[PCR_LEN], b[PCR_LEN];

	memset(a, 0xab, sizeof a);
	memset(b, 0x01, sizeof b);
	meas_set(&m, 16, b);
	meas_set(&m, 3, a);
	return m;
}

static void json_layout_and_order(void **state)
{
	struct meas m = two();
	int rc;
	char *out = print(&m, MEAS_JSON, &rc);
	const char *want =
		"{\n  \"Measurements\": {\n    \"HashAlgorithm\": \"Sha384 { ... }\",\n"
		"    \"PCR3\": \"abababababababababababababababababababababababababababababababababababababababababababababababab\",\n"
		"    \"PCR16\": \"010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101010101\"\n"
		"  }\n}\n";

	assert_int_equal(rc, NK_OK);
	assert_string_equal(out, want);
	free(out);
}

static void env_and_hex(void **state)
{
	struct meas m = two();
	int rc;
	char *out = print(&m, MEAS_ENV, &rc);

	assert_int_equal(rc, NK_OK);
	assert_non_null(strstr(out, "PCR3=abab"));
	assert_true(strstr(out, "PCR3=") < strstr(out, "PCR16="));
	free(out);
	out = print(&m, MEAS_HEX, &rc);
	assert_int_equal(rc, NK_USAGE);
	free(out);
	m.have[16] = 0;
	out = print(&m, MEAS_HEX, &rc);
	assert_int_equal(rc, NK_OK);
	assert_int_equal(strlen(out), PCR_HEX_LEN + 1);
	free(out);
}

static void describe_flattens_custom_metadata(void **state)
{
	static const char md[] = "{\"ImageName\":\"app\",\"ImageVersion\":\"2\",\"BuildMetadata\":"
		"{\"BuildTime\":\"t\",\"BuildTool\":\"b\",\"BuildToolVersion\":\"v\",\"OperatingSystem\":\"o\","
		"\"KernelVersion\":\"k\"},\"DockerInfo\":null,\"CustomMetadata\":{\"team\":\"x\",\"n\":1}}";
	struct eif_measurement e = { 0 };
	struct meas m = { 0 };
	json_t *d, *meta;

	e.hdr.version = 4;
	e.crc_ok = 1;
	e.metadata = (unsigned char *)md;
	e.metadata_len = strlen(md);
	assert_int_equal(meas_describe(&m, &e, &d, NULL), NK_OK);
	assert_string_equal(json_string_value(json_object_get(d, "ImageName")), "app");
	assert_true(json_is_true(json_object_get(d, "CheckCRC")));
	assert_null(json_object_get(d, "SignatureCheck"));
	meta = json_object_get(d, "Metadata");
	assert_string_equal(json_string_value(json_object_get(meta, "team")), "x");
	assert_string_equal(json_string_value(json_object_get(meta, "KernelVersion")), "k");
	assert_true(json_is_null(json_object_get(meta, "DockerInfo")));
	json_decref(d);
}

static void describe_rejects_bad_metadata(void **state)
{
	struct eif_measurement e = { 0 };
	struct meas m = { 0 };
	struct nk_err err;
	json_t *d;

	e.metadata = (unsigned char *)"{not json";
	e.metadata_len = 9;
	assert_int_equal(meas_describe(&m, &e, &d, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "metadata is not valid JSON"));
}

#define H96(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

static int parse(const char *text, struct meas *m, struct nk_err *err)
{
	json_t *j = json_loads(text, 0, NULL);
	int rc;

	assert_non_null(j);
	rc = meas_parse(j, "m.json", m, err);
	json_decref(j);
	return rc;
}

static void parse_three_forms(void **state)
{
	static const char *const forms[] = {
		"{\"Measurements\": {\"HashAlgorithm\": \"Sha384 { ... }\", \"PCR0\": \"" H96("a") "\", \"PCR8\": \"" H96("B") "\"}}",
		"{\"EifVersion\": 4, \"Measurements\": {\"PCR0\": \"" H96("a") "\", \"PCR8\": \"" H96("b") "\"}, \"IsSigned\": true}",
		"{\"HashAlgorithm\": \"Sha384 { ... }\", \"PCR0\": \"" H96("a") "\", \"PCR8\": \"" H96("b") "\"}",
	};
	unsigned char a[PCR_LEN], b[PCR_LEN];

	memset(a, 0xaa, sizeof a);
	memset(b, 0xbb, sizeof b);
	for (size_t i = 0; i < 3; i++) {
		struct meas m;

		assert_int_equal(parse(forms[i], &m, NULL), NK_OK);
		assert_int_equal(meas_count(&m), 2);
		assert_true(m.have[0] && m.have[8]);
		assert_memory_equal(m.pcr[0], a, PCR_LEN);
		assert_memory_equal(m.pcr[8], b, PCR_LEN);
	}
}

static void parse_rejects(void **state)
{
	struct nk_err err;
	struct meas m;

	assert_int_equal(parse("{\"PCR1\": \"abc\"}", &m, &err), NK_DATA);
	assert_string_equal(err.msg, "'m.json': PCR1 is not 96 hex characters");
	assert_int_equal(parse("{\"PCR32\": \"" H96("0") "\"}", &m, &err), NK_DATA);
	assert_string_equal(err.msg, "'m.json': PCR32: no such PCR (0-31)");
	assert_int_equal(parse("{\"HashAlgorithm\": \"Sha256\", \"PCR0\": \"" H96("0") "\"}", &m, &err), NK_DATA);
	assert_string_equal(err.msg, "'m.json': HashAlgorithm is not SHA-384");
	assert_int_equal(parse("{\"Measurements\": {}}", &m, &err), NK_DATA);
	assert_string_equal(err.msg, "'m.json': no PCR values");
	assert_int_equal(parse("[]", &m, &err), NK_DATA);
	assert_int_equal(parse("{\"Measurements\": []}", &m, &err), NK_DATA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_layout_and_order),
		cmocka_unit_test(env_and_hex),
		cmocka_unit_test(describe_flattens_custom_metadata),
		cmocka_unit_test(describe_rejects_bad_metadata),
		cmocka_unit_test(parse_three_forms),
		cmocka_unit_test(parse_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
