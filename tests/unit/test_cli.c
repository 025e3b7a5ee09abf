#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "tool/cli.h"
#include "util/secmem.h"

static void uint_parse(void **state)
{
	unsigned long v;
	struct nk_err err;

	assert_int_equal(cli_uint("16", 16, 31, "user-pcr", &v, &err), NK_OK);
	assert_int_equal(v, 16);
	assert_int_equal(cli_uint("32", 16, 31, "user-pcr", &v, &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value '32' for --user-pcr: expected 16 to 31");
	assert_int_equal(cli_uint("-1", 0, 31, "n", &v, &err), NK_USAGE);
	assert_int_equal(cli_uint("1x", 0, 31, "n", &v, &err), NK_USAGE);
	assert_int_equal(cli_uint("", 0, 31, "n", &v, &err), NK_USAGE);
}

static void choice(void **state)
{
	struct nk_err err;
	int i = -1;

	assert_int_equal(cli_choice("env", "json|env|hex", "format", &i, &err), NK_OK);
	assert_int_equal(i, 1);
	assert_int_equal(cli_choice("js", "json|env|hex", "format", &i, &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value 'js' for --format: expected one of json|env|hex");
}

static void err_appends_strerror(void **state)
{
	struct nk_err err;

	errno = ENOENT;
	assert_int_equal(err_set(&err, NK_IO, "cannot open '%s':", "x"), NK_IO);
	assert_string_equal(err.msg, "cannot open 'x': No such file or directory");
	err_prefix(&err, "'%s'", "f");
	assert_string_equal(err.msg, "'f': cannot open 'x': No such file or directory");
	assert_int_equal(err.code, NK_IO);
}

static void secbuf_grows_and_keeps(void **state)
{
	struct secbuf *b = secmem_new(4);

	memcpy(b->p, "abcd", 4);
	b->len = 4;
	assert_int_equal(secmem_reserve(b, 4096), 0);
	assert_true(b->cap >= 4096);
	assert_memory_equal(b->p, "abcd", 4);
	secmem_free(b);
	secmem_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uint_parse),
		cmocka_unit_test(choice),
		cmocka_unit_test(err_appends_strerror),
		cmocka_unit_test(secbuf_grows_and_keeps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
