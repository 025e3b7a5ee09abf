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


/* --- the typed table ----------------------------------------------------- */

#define OPTIONS(X) \
	X(NAME, "name", 'n', STR("NAME"), "a string") \
	X(SHORTCAP, "short", 0, STR_MAX("S", 4), "a string of at most 4 bytes") \
	X(KEY, "key", 0, SECRET("KEY"), "a secret") \
	X(NUM, "count", 'c', UINT("N", 1, 10), "a number") \
	X(FORMAT, "format", 'f', CHOICE("FMT", "json|text|hex"), "a choice") \
	X(IN, "in", 0, FILE("FILE") STDIN, "an input") \
	X(OTHER_IN, "other-in", 0, FILE("FILE") STDIN, "another input") \
	X(ITEM, "item", 0, LIST("X"), "repeatable") \
	X(HEX, "hex", 0, STR("HEX") EXCL(1), "data as hex") \
	X(DATA, "data", 0, FILE("FILE") EXCL(1), "data from a file") \
	X(DEEP, "deep", 0, FLAG NEEDS(NUM), "needs --count") \
	X(RANGE, "range", 0, UINT("N", 1, 32) CMDS(1u << 2), "lock only") \
	X(BOTH, "both", 0, FLAG CMDS(1u << 0 | 1u << 1), "describe and extend")

enum { PLAIN_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };
#undef OPTIONS

#define SHARED(X) X(REGION, "region", 0, STR("R"), "shared string")
enum { SH_NONE, SHARED(CLI_ENUM) };
static const struct cli_opt shared[] = { SHARED(CLI_ENTRY) CLI_END };
static const struct cli_opt *const shared_tables[] = { shared, NULL };

static const struct cli_tool plain = {
	.name = "t", .usage = "[OPTIONS] [X]", .summary = "test", .opts = opts,
	.shared = shared_tables, .min_args = 0, .max_args = 1,
};
static const struct cli_tool with_cmds = {
	.name = "t", .usage = "CMD", .summary = "test", .opts = opts, .max_args = -1,
	.commands = "describe|extend|lock",
};

/* cli_start on a NULL-terminated word list; the message in err. */
static int parse(const struct cli_tool *t, struct cli *c, struct nk_err *err, ...)
{
	char *argv[32] = { "t" };
	int argc = 1;
	va_list ap;

	va_start(ap, err);
	for (char *w; (w = va_arg(ap, char *)) && argc < 31;)
		argv[argc++] = w;
	va_end(ap);
	memset(err, 0, sizeof *err);
	return cli_start(t, argc, argv, c, err);
}

static void typed_values(void **state)
{
	struct cli c;
	struct nk_err err;
	size_t n;
	char *const *items;

	assert_int_equal(parse(&plain, &c, &err, "-n", "x", "--count=7", "-f", "hex", "--item", "a",
			       "--item", "b", "--region", "eu-west-1", "--key", "s3cret", "op", NULL), NK_OK);
	assert_string_equal(cli_str(&c, OPT_NAME), "x");
	assert_int_equal(cli_num(&c, OPT_NUM, 99), 7);
	assert_int_equal(cli_pick(&c, OPT_FORMAT, 0), 2);
	assert_int_equal(cli_given(&c, OPT_ITEM), 2);
	items = cli_list(&c, OPT_ITEM, &n);
	assert_int_equal(n, 2);
	assert_string_equal(items[0], "a");
	assert_string_equal(items[1], "b");
	assert_null(items[2]);
	assert_string_equal(cli_str(&c, OPT_ITEM), "b");  /* a list's last value */
	assert_string_equal(cli_str(&c, OPT_KEY), "s3cret");
	assert_string_equal(cli_str_in(&c, shared, OPT_REGION), "eu-west-1");
	assert_null(cli_str(&c, OPT_IN));
	assert_int_equal(cli_num(&c, OPT_RANGE, 5), 5);
	assert_int_equal(c.argc, 1);
	assert_string_equal(c.argv[0], "op");
	assert_string_equal(cli_name(&c, OPT_DEEP), "deep");
	cli_free(&c);
}

/* Each bad value: the exit code and the whole message. */
static void bad_values(void **state)
{
	static const struct {
		const char *opt, *val, *msg;
	} cases[] = {
		{ "--name", "", "--name must not be empty" },
		{ "--in", "", "--in must not be empty" },
		{ "--name", "a\nb", "--name must not contain control characters (byte 2 is 0x0a)" },
		{ "--name", "\x1b[2J", "--name must not contain control characters (byte 1 is 0x1b)" },
		{ "--short", "abcde", "--short is longer than 4 bytes" },
		{ "--key", "s3\ncret", "--key must not contain control characters" },  /* no byte of a secret */
		{ "--count", "0", "invalid value '0' for --count: expected 1 to 10" },
		{ "--count", "11", "invalid value '11' for --count: expected 1 to 10" },
		{ "--count", "-1", "invalid value '-1' for --count: expected 1 to 10" },
		{ "--count", "3x", "invalid value '3x' for --count: expected 1 to 10" },
		{ "--format", "JSON", "invalid value 'JSON' for --format: expected one of json|text|hex" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct cli c;
		struct nk_err err;

		assert_int_equal(parse(&plain, &c, &err, cases[i].opt, cases[i].val, NULL), NK_USAGE);
		assert_string_equal(err.msg, cases[i].msg);
		cli_free(&c);
	}
}

static void whole_line_checks(void **state)
{
	static const struct {
		const char *w[5], *msg;
	} cases[] = {
		{ { "--name", "a", "--name", "b" }, "option '--name' given more than once" },
		{ { "--hex", "00", "--data", "f" }, "--hex and --data cannot be used together" },
		{ { "--deep" }, "--deep needs --count" },
		{ { "--in", "-", "--other-in", "-" }, "--in and --other-in cannot both read standard input" },
		{ { "a", "b" }, "unexpected operand 'b' (usage: t [OPTIONS] [X])" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct cli c;
		struct nk_err err;
		const char *const *w = cases[i].w;

		assert_int_equal(parse(&plain, &c, &err, w[0], w[1], w[2], w[3], w[4]), NK_USAGE);
		assert_string_equal(err.msg, cases[i].msg);
		cli_free(&c);
	}
}

static void one_stdin_is_fine(void **state)
{
	struct cli c;
	struct nk_err err;

	assert_int_equal(parse(&plain, &c, &err, "--in", "-", "--other-in", "f", "--deep", "-c", "1", NULL), NK_OK);
	assert_string_equal(cli_str(&c, OPT_IN), "-");
	cli_free(&c);
}

static void commands(void **state)
{
	static const struct {
		const char *w[4], *msg;
	} cases[] = {
		{ { NULL }, "missing command (expected describe, extend or lock)" },
		{ { "frob" }, "unknown command 'frob' (expected describe, extend or lock)" },
		{ { "extend", "--range", "3" }, "--range is for lock only" },
		{ { "lock", "--both" }, "--both is for describe and extend only" },
	};
	struct cli c;
	struct nk_err err;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *const *w = cases[i].w;

		assert_int_equal(parse(&with_cmds, &c, &err, w[0], w[1], w[2], w[3], NULL), NK_USAGE);
		assert_string_equal(err.msg, cases[i].msg);
		cli_free(&c);
	}
	assert_int_equal(parse(&with_cmds, &c, &err, "lock", "--range", "4", "x", NULL), NK_OK);
	assert_int_equal(c.cmd, 2);
	assert_int_equal(c.argc, 1);
	assert_string_equal(c.argv[0], "x");
	cli_free(&c);
}

/* Modes picked by options, as policy-gen's generate (default), merge, check. */
#define MODE_OPTIONS(X) \
	X(MERGE, "merge", 0, FILE("FILE") MODE(1), "merge mode") \
	X(CHECK, "check", 0, FILE("FILE") MODE(2), "check mode") \
	X(STATEMENTS, "statements", 0, FLAG CMDS(1u << 0), "generate only") \
	X(ADD, "add", 0, FLAG CMDS(1u << 1), "merge only") \
	X(OUTPUT, "output", 'o', FILE("FILE"), "any mode")
enum { MODE_NONE, MODE_OPTIONS(CLI_ENUM) };
static const struct cli_opt mode_opts[] = { MODE_OPTIONS(CLI_ENTRY) CLI_END };
static const struct cli_tool with_modes = {
	.name = "t", .usage = "", .summary = "test", .opts = mode_opts, .max_args = 0,
	.commands = "generate|merge|check", .modes = 1,
};

static void modes(void **state)
{
	static const struct {
		const char *w[4], *msg;
	} cases[] = {
		{ { "--merge", "a", "--check", "b" }, "--merge does not go with --check" },
		{ { "--check", "b", "--statements" }, "--statements does not go with --check" },
		{ { "--merge", "b", "--statements" }, "--statements does not go with --merge" },
		{ { "--add" }, "--add needs --merge" },
	};
	struct cli c;
	struct nk_err err;

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const char *const *w = cases[i].w;

		assert_int_equal(parse(&with_modes, &c, &err, w[0], w[1], w[2], w[3], NULL), NK_USAGE);
		assert_string_equal(err.msg, cases[i].msg);
		cli_free(&c);
	}
	assert_int_equal(parse(&with_modes, &c, &err, "-o", "x", NULL), NK_OK);
	assert_int_equal(c.cmd, 0);
	cli_free(&c);
	assert_int_equal(parse(&with_modes, &c, &err, "--merge", "p", "--add", "-o", "x", NULL), NK_OK);
	assert_int_equal(c.cmd, 1);
	cli_free(&c);
}

/* A parser of its own (kmstool_enclave_cli) gets the same typed checks. */
static void own_parser(void **state)
{
	struct cli c;
	struct nk_err err = { 0 };

	assert_int_equal(cli_init(&with_cmds, &c, &err), NK_OK);
	assert_int_equal(cli_take(&c, &opts[OPT_NUM - 1], "4", &err), NK_OK);
	assert_int_equal(cli_num(&c, OPT_NUM, 0), 4);
	assert_int_equal(cli_take(&c, &opts[OPT_NAME - 1], "", &err), NK_USAGE);
	assert_string_equal(err.msg, "--name must not be empty");
	cli_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(uint_parse),
		cmocka_unit_test(choice),
		cmocka_unit_test(next_in_command_line_order),
		cmocka_unit_test(err_appends_strerror),
		cmocka_unit_test(secbuf_grows_and_keeps),
		cmocka_unit_test(typed_values),
		cmocka_unit_test(bad_values),
		cmocka_unit_test(whole_line_checks),
		cmocka_unit_test(one_stdin_is_fine),
		cmocka_unit_test(commands),
		cmocka_unit_test(modes),
		cmocka_unit_test(own_parser),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
