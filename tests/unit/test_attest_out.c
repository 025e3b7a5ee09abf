/* Tests of attest_out: attest-verify's text output, byte for byte, from a
 * hand-made object of the shape attest_to_json returns. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "tool/attest_out.h"

/* What attest_out_text writes for j. */
static char *text_of(const json_t *j)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(attest_out_text(j, f, NULL), NK_OK);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_shapes(void **state)
{
	json_t *j = json_pack("{s:b, s:s, s:I, s:{s:s, s:s}, s:b, s:n, s:{s:s, s:s}, s:[s, s], s:[s, s]}",
			      "verified", 1, "module_id", "i-0-enc0", "timestamp", (json_int_t)1665582606081,
			      "pcrs", "0", "aa", "3", "bb", "debug", 0, "nonce",
			      "certificate", "subject", "CN=leaf", "serial", "0a",
			      "cabundle", "CN=root", "CN=int", "checks", "structure", "root");
	char *s;

	(void)state;
	assert_non_null(j);
	s = text_of(j);
	assert_string_equal(s, "verified: true\n"
			       "module_id: i-0-enc0\n"
			       "timestamp: 1665582606081\n"
			       "PCR0: aa\n"
			       "PCR3: bb\n"
			       "debug: false\n"
			       "nonce: null\n"
			       "certificate.subject: CN=leaf\n"
			       "certificate.serial: 0a\n"
			       "cabundle[0]: CN=root\n"
			       "cabundle[1]: CN=int\n"
			       "checks: structure, root\n");
	free(s);
	json_decref(j);
}

static void test_no_checks(void **state)
{
	json_t *j = json_pack("{s:[]}", "checks");
	char *s;

	(void)state;
	s = text_of(j);
	assert_string_equal(s, "checks: none\n");
	free(s);
	json_decref(j);
}

static void test_write_error(void **state)
{
	json_t *j = json_pack("{s:s}", "module_id", "x");
	FILE *f = fopen("/dev/null", "r");  /* every write fails */
	struct nk_err err = { 0 };

	(void)state;
	assert_non_null(f);
	assert_int_equal(attest_out_text(j, f, &err), NK_IO);
	assert_memory_equal(err.msg, "write error on standard output:", 31);
	fclose(f);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shapes),
		cmocka_unit_test(test_no_checks),
		cmocka_unit_test(test_write_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
