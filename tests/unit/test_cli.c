#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
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

#define NEXT_OPTS(X) \
	X(A, "a", 0, LIST("X"), "a list") \
	X(B, "b", 0, LIST("X"), "another list") \
	X(C, "c", 0, STR("X"), "a string")
enum { OPT_NONE, NEXT_OPTS(CLI_ENUM) };
static const struct cli_opt next_opts[] = { NEXT_OPTS(CLI_ENTRY) CLI_END };

/* cli_next merges lists in command-line order (policy-gen's --pcr, --pcr0). */
static void next_in_command_line_order(void **state)
{
	static const struct cli_tool t = { .name = "t", .opts = next_opts, .max_args = -1 };
	static const int ids[] = { OPT_A, OPT_B, 0 }, only_b[] = { OPT_B, 0 };
	const char *given[][2] = { { "b", "1" }, { "c", "x" }, { "a", "2" }, { "b", "3" }, { "a", "4" } };
	struct nk_err err;
	struct cli c;
	const char *v = NULL;
	unsigned pos = 0;
	char got[32] = "";

	assert_int_equal(cli_init(&t, &c, &err), NK_OK);
	for (size_t i = 0; i < sizeof given / sizeof *given; i++)
		assert_int_equal(cli_take(&c, &next_opts[given[i][0][0] - 'a'], given[i][1], &err), NK_OK);
	for (int id; (id = cli_next(&c, ids, &pos, &v));)
		snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s ", cli_name(&c, id), v);
	assert_string_equal(got, "b1 a2 b3 a4 ");
	pos = 0;
	assert_int_equal(cli_next(&c, only_b, &pos, &v), OPT_B);
	assert_string_equal(v, "1");
	assert_int_equal(cli_next(&c, only_b, &pos, &v), OPT_B);
	assert_string_equal(v, "3");
	assert_int_equal(cli_next(&c, only_b, &pos, &v), 0);
	cli_free(&c);
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
		cmocka_unit_test(next_in_command_line_order),
		cmocka_unit_test(err_appends_strerror),
		cmocka_unit_test(secbuf_grows_and_keeps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
