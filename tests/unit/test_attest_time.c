/* Tests of attest_time: RFC 3339 as attest-verify's --at reads it and its
 * output writes it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "attest/attest_time.h"

static void test_parse_and_format(void **state)
{
	int64_t ms;
	char s[32];

	(void)state;
	assert_int_equal(attest_parse_time("2022-10-12T13:50:06Z", &ms, NULL), NK_OK);
	assert_int_equal(ms, 1665582606000LL);  /* date -u -d 2022-10-12T13:50:06Z +%s */
	assert_int_equal(attest_parse_time("2022-10-12T13:50:06.081Z", &ms, NULL), NK_OK);
	assert_int_equal(ms, 1665582606081LL);
	assert_int_equal(attest_parse_time("2022-10-12T13:50:06.5Z", &ms, NULL), NK_OK);
	assert_int_equal(ms, 1665582606500LL);
	assert_int_equal(attest_parse_time("2022-10-12T15:50:06+02:00", &ms, NULL), NK_OK);
	assert_int_equal(ms, 1665582606000LL);
	assert_int_equal(attest_parse_time("2022-10-12 13:50:06Z", &ms, NULL), NK_USAGE);
	assert_int_equal(attest_parse_time("2022-10-12T13:50:06", &ms, NULL), NK_USAGE);
	assert_int_equal(attest_parse_time("2022-04-31T13:50:06Z", &ms, NULL), NK_USAGE);
	assert_int_equal(attest_parse_time("2022-10-12T13:50:06.Z", &ms, NULL), NK_USAGE);
	assert_int_equal(attest_parse_time("yesterday", &ms, NULL), NK_USAGE);
	attest_format_time(1665582606081LL, s);
	assert_string_equal(s, "2022-10-12T13:50:06.081Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
