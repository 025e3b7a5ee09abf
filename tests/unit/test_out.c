/* out: the tool layer's printers write exactly the text the lower layers
 * render (jsonx_pretty, meas_render) on standard output, and nothing when
 * rendering fails. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tool/out.h"

#include "capture.h"

static void json_is_pretty_in_order(void **state)
{
	json_t *j = json_pack("{s:s, s:[i, b], s:{}}", "z", "first", "a", 1, 1, "m");
	struct nk_err err;

	capture(1);
	assert_int_equal(out_json(j, &err), NK_OK);
	assert_string_equal(captured(), "{\n  \"z\": \"first\",\n  \"a\": [\n    1,\n    true\n  ],\n  \"m\": {}\n}\n");
	json_decref(j);
}

static void measurements_in_each_format(void **state)
{
	struct meas m = { 0 };
	unsigned char v[PCR_LEN];
	struct nk_err err;
	char want[256];

	memset(v, 0xab, sizeof v);
	meas_set(&m, 4, v);
	capture(1);
	assert_int_equal(out_meas(&m, MEAS_HEX, &err), NK_OK);
	assert_int_equal(out_meas(&m, MEAS_ENV, &err), NK_OK);
	snprintf(want, sizeof want, "%.96s\nPCR4=%.96s\n",
		 "abababababababababababababababababababababababababababababababababababababababababababababababab",
		 "abababababababababababababababababababababababababababababababababababababababababababababababab");
	assert_string_equal(captured(), want);
	m.have_input = 1;
	capture(1);
	assert_int_equal(out_meas(&m, MEAS_HEX, &err), NK_USAGE);
	assert_string_equal(captured(), "");
	assert_string_equal(err.msg, "--format hex prints one value, but 2 were computed");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_is_pretty_in_order),
		cmocka_unit_test(measurements_in_each_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
