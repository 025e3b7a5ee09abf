/* kmstool: AWS's kmstool_enclave_cli command line (the syntax of
 * aws-nitro-enclaves-sdk-c bin/kmstool-enclave-cli/main.c: subcommand first,
 * "--name VALUE" or the short letters of "r:x:k:s:t:c:K:p:a:l:h"), the
 * credentials wiped from argv as they are read (also when the command line
 * is bad), AWS's checks and messages, the client options (vsock 3:PORT
 * unless an endpoint is in the environment), the requests and the output
 * lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <jansson.h>

#include "kms/http.h"
#include "tool/kmstool.h"

#include "capture.h"

#define AK "AKIDKMSTEST"
#define SK "kmsTestSecret/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOK "kmsTestSessionToken"

/* A writable argv (parsing overwrites the credentials in place). */
struct av {
	int argc;
	char *argv[32];
};

static void av_make(struct av *v, const char *const *words)
{
	memset(v, 0, sizeof *v);
	v->argv[v->argc++] = strdup("kmstool_enclave_cli");
	while (*words)
		v->argv[v->argc++] = strdup(*words++);
}

static void av_free(struct av *v)
{
	for (int i = 0; i < v->argc; i++)
		free(v->argv[i]);
}

static int all_x(const char *s, size_t n)
{
	if (strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != 'x')
			return 0;
	return 1;
}

static void clear_env(void)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_ENDPOINT_URL_KMS");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_REGION");
	unsetenv("AWS_DEFAULT_REGION");
}

static void test_parse_decrypt(void **state)
{
	/* The README's Python example, in its order. */
	const char *w[] = { "decrypt", "--region", "us-east-1", "--proxy-port", "8000",
			    "--aws-access-key-id", AK, "--aws-secret-access-key", SK,
			    "--aws-session-token", TOK, "--ciphertext", "AQID", NULL };
	struct kmstool_args a;
	struct nk_err err;
	struct av v;

	(void)state;
	av_make(&v, w);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_int_equal(a.cmd, KMSTOOL_DECRYPT);
	assert_string_equal(a.region, "us-east-1");
	assert_int_equal(a.proxy_port, 8000);
	assert_string_equal(a.ciphertext, "AQID");
	assert_null(a.key_id);
	assert_string_equal(a.creds.access_key_id, AK);
	assert_string_equal((char *)a.creds.secret->p, SK);
	assert_int_equal(a.creds.secret->len, strlen(SK));
	assert_string_equal((char *)a.creds.token->p, TOK);
	/* The values are gone from argv, their lengths and the rest are not. */
	assert_true(all_x(v.argv[7], strlen(AK)));
	assert_true(all_x(v.argv[9], strlen(SK)));
	assert_true(all_x(v.argv[11], strlen(TOK)));
	assert_string_equal(v.argv[6], "--aws-access-key-id");
	assert_string_equal(v.argv[8], "--aws-secret-access-key");
	assert_string_equal(v.argv[13], "AQID");
	assert_string_equal(v.argv[1], "decrypt");
	kmstool_args_free(&a);
	assert_null(a.creds.secret);
	av_free(&v);
}

static void test_parse_short_inline_repeat(void **state)
{
	/* AWS's short letters; --name=VALUE; a repeated option: the last wins
	 * (AWS's tool overwrites too) and every occurrence is wiped. */
	const char *w[] = { "genkey", "-r", "eu-west-1", "-k", AK, "-s", "first-secret", "-t", TOK,
			    "-K", "alias/test", "-p", "AES-128", "--aws-secret-access-key=" SK,
			    "--key-spec=AES-256", "-v", NULL };
	struct kmstool_args a;
	struct nk_err err;
	struct av v;

	(void)state;
	av_make(&v, w);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_int_equal(a.cmd, KMSTOOL_GENKEY);
	assert_string_equal(a.region, "eu-west-1");
	assert_string_equal(a.key_id, "alias/test");
	assert_string_equal(a.key_spec, "AES_256");
	assert_string_equal((char *)a.creds.secret->p, SK);
	assert_int_equal(a.verbose, 1);
	assert_true(all_x(v.argv[5], strlen(AK)));
	assert_true(all_x(v.argv[7], strlen("first-secret")));
	assert_true(all_x(v.argv[9], strlen(TOK)));
	assert_memory_equal(v.argv[14], "--aws-secret-access-key=", 24);
	assert_true(all_x(v.argv[14] + 24, strlen(SK)));
	kmstool_args_free(&a);
	av_free(&v);

	const char *r[] = { "genrandom", "-l", "1024", "-x", "5000", NULL };
	av_make(&v, r);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_int_equal(a.cmd, KMSTOOL_GENRANDOM);
	assert_int_equal(a.length, 1024);
	assert_int_equal(a.proxy_port, 5000);
	assert_null(a.creds.access_key_id);
	kmstool_args_free(&a);
	av_free(&v);
}

static void test_parse_token_empty(void **state)
{
	/* AWS's tool signs with an empty token as with none; the last one given
	 * counts, as for every option. */
	const char *w[] = { "genrandom", "--aws-session-token", "", "--length", "1", NULL };
	const char *later[] = { "genrandom", "-t", TOK, "--aws-session-token", "", "--length", "1", NULL };
	const char *again[] = { "genrandom", "-t", "", "--aws-session-token=" TOK, "--length", "1", NULL };
	const char *wrapped[] = { "decrypt", "--ciphertext", "Zm9v\r\nYmFy\n", NULL };
	struct kmstool_args a;
	struct nk_err err;
	struct av v;

	(void)state;
	av_make(&v, w);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_null(a.creds.token);
	kmstool_args_free(&a);
	av_free(&v);
	av_make(&v, later);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_null(a.creds.token);
	assert_true(all_x(v.argv[3], strlen(TOK)));
	kmstool_args_free(&a);
	av_free(&v);
	av_make(&v, again);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_string_equal((char *)a.creds.token->p, TOK);
	kmstool_args_free(&a);
	av_free(&v);
	/* base64 as base64(1) wraps it is a ciphertext (test_request decodes it). */
	av_make(&v, wrapped);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_string_equal(a.ciphertext, "Zm9v\r\nYmFy\n");
	kmstool_args_free(&a);
	av_free(&v);
}

static void test_parse_help_version(void **state)
{
	const struct {
		const char *w[4];
		unsigned cmd;
		int help, version, completion;
	} t[] = {
		{ { "--help" }, 0, 1, 0, 0 },
		{ { "-h" }, 0, 1, 0, 0 },
		{ { "--version" }, 0, 0, 1, 0 },
		{ { "-V" }, 0, 0, 1, 0 },
		{ { "--completion-helper" }, 0, 0, 0, 1 },
		{ { "decrypt", "--help" }, KMSTOOL_DECRYPT, 1, 0, 0 },
		{ { "genrandom", "-h" }, KMSTOOL_GENRANDOM, 1, 0, 0 },
		{ { "genkey", "--version" }, KMSTOOL_GENKEY, 0, 1, 0 },
	};
	struct kmstool_args a;
	struct nk_err err;
	struct av v;

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		av_make(&v, t[i].w);
		assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
		assert_int_equal(a.cmd, t[i].cmd);
		assert_int_equal(a.help, t[i].help);
		assert_int_equal(a.version, t[i].version);
		assert_int_equal(a.completion, t[i].completion);
		kmstool_args_free(&a);
		av_free(&v);
	}
}

static void test_parse_errors(void **state)
{
	const struct {
		const char *w[8];
		const char *msg;
	} t[] = {
		{ { NULL }, "missing command: decrypt, genkey or genrandom (see 'kmstool_enclave_cli --help')" },
		{ { "encrypt", "--key-id", "k" },
		  "unknown command 'encrypt': expected decrypt, genkey or genrandom (see 'kmstool_enclave_cli --help')" },
		{ { "DECRYPT" },
		  "unknown command 'DECRYPT': expected decrypt, genkey or genrandom (see 'kmstool_enclave_cli --help')" },
		{ { "--region", "us-east-1", "decrypt" },
		  "unknown command '--region': expected decrypt, genkey or genrandom (see 'kmstool_enclave_cli --help')" },
		{ { "--help", "--region", "x" }, "missing command: decrypt, genkey or genrandom (see 'kmstool_enclave_cli --help')" },
		{ { "decrypt", "--bogus" }, "unknown option '--bogus' (see 'kmstool_enclave_cli --help')" },
		{ { "decrypt", "-z", "1" }, "unknown option '-z' (see 'kmstool_enclave_cli --help')" },
		/* AWS's parser takes no attached short values either. */
		{ { "decrypt", "-cAQID" }, "option '-c' takes its value as the next argument (see 'kmstool_enclave_cli --help')" },
		{ { "decrypt", "-vq" }, "unknown option '-v...' (see 'kmstool_enclave_cli --help')" },
		{ { "decrypt", "-zfoo" }, "unknown option '-z...' (see 'kmstool_enclave_cli --help')" },
		{ { "decrypt", "--ciphertext", "--key-id", "k" }, "option '--ciphertext' needs a value" },
		{ { "genkey", "--key-id", "-p", "AES-256" }, "option '--key-id' needs a value" },
		{ { "genkey", "--key-id", "--help" }, "option '--key-id' needs a value" },
		{ { "genkey", "--key-id", "--key-spec=AES-256" }, "option '--key-id' needs a value" },
		{ { "decrypt", "--ciphertext", "AQID", "decrypt" },
		  "unexpected operand at position 4 (see 'kmstool_enclave_cli --help')" },
		{ { "decrypt", "-" }, "unexpected operand at position 2 (see 'kmstool_enclave_cli --help')" },
		{ { "decrypt", "--key-idx", "k" }, "unknown option '--key-id...' (see 'kmstool_enclave_cli --help')" },
		{ { "--ciphertext", "AQID", "decrypt" }, "unexpected operand at position 3 (see 'kmstool_enclave_cli --help')" },
		{ { "--region", "x", "--length", "4", "--ciphertext", "AQID" },
		  "option '--length' does not apply to decrypt" },
		{ { "-c" }, "option '--ciphertext' needs a value" },
		{ { "decrypt", "--ciphertext" }, "option '--ciphertext' needs a value" },
		{ { "decrypt", "AQID" }, "unexpected operand at position 2 (see 'kmstool_enclave_cli --help')" },
		{ { "decrypt", "--help=yes" }, "unknown option '--help' (see 'kmstool_enclave_cli --help')" },
		{ { "decrypt", "--aws-secret-acess-key=" SK },
		  "unknown option '--aws-secret-acess-key' (see 'kmstool_enclave_cli --help')" },
		{ { "decrypt", "--length", "32" }, "option '--length' does not apply to decrypt" },
		{ { "decrypt", "--key-spec", "AES-256" }, "option '--key-spec' does not apply to decrypt" },
		{ { "genkey", "--ciphertext", "AQID" }, "option '--ciphertext' does not apply to genkey" },
		{ { "genrandom", "--key-id", "alias/test" }, "option '--key-id' does not apply to genrandom" },
		{ { "genkey", "--key-spec", "AES_256" },
		  "invalid value 'AES_256' for --key-spec: expected one of AES-256|AES-128" },
		{ { "genkey", "--key-spec", "aes-256" },
		  "invalid value 'aes-256' for --key-spec: expected one of AES-256|AES-128" },
		{ { "genrandom", "--length", "0" }, "invalid value '0' for --length: expected 1 to 1024" },
		{ { "genrandom", "--length", "1025" }, "invalid value '1025' for --length: expected 1 to 1024" },
		{ { "genrandom", "--length", "-1" }, "invalid value '-1' for --length: expected 1 to 1024" },
		{ { "genrandom", "--length", "12abc" }, "invalid value '12abc' for --length: expected 1 to 1024" },
		{ { "genrandom", "--proxy-port", "0" }, "invalid value '0' for --proxy-port: expected 1 to 4294967294" },
		{ { "genrandom", "--proxy-port", "4294967295" },
		  "invalid value '4294967295' for --proxy-port: expected 1 to 4294967294" },
		{ { "genrandom", "--region", "" }, "--region must not be empty" },
		{ { "decrypt", "--ciphertext", "" }, "--ciphertext must not be empty" },
		/* The table's types (cli_take): no control characters but a wrapped
		 * ciphertext's line ends; no empty credential but the token. */
		{ { "genrandom", "--region", "us-east-1\n" },
		  "--region must not contain control characters (byte 10 is 0x0a)" },
		{ { "decrypt", "--ciphertext", "AQ\x7f" "D" },
		  "--ciphertext must not contain control characters (byte 3 is 0x7f)" },
		{ { "decrypt", "--key-id", "alias/a\rb" },
		  "--key-id must not contain control characters (byte 8 is 0x0d)" },
		{ { "genrandom", "--aws-access-key-id", "" }, "--aws-access-key-id must not be empty" },
		{ { "genrandom", "--aws-secret-access-key", "" }, "--aws-secret-access-key must not be empty" },
		{ { "genrandom", "-s", "sec\x01" SK }, "--aws-secret-access-key must not contain control characters" },
		{ { "genrandom", "--aws-session-token", "to\nken" }, "--aws-session-token must not contain control characters" },
	};
	struct kmstool_args a;
	struct nk_err err;
	struct av v;

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		av_make(&v, t[i].w);
		assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_USAGE);
		assert_string_equal(err.msg, t[i].msg);
		assert_int_equal(kmstool_exit_code(err.code, a.legacy), 1);
		kmstool_args_free(&a);
		av_free(&v);
	}
}

static int argv_has(const struct av *v, const char *s)
{
	for (int i = 0; i < v->argc; i++)
		if (strstr(v->argv[i], s))
			return 1;
	return 0;
}

static void test_secret_never_shown(void **state)
{
	/* The security review's cases: an option whose value went missing (an
	 * unset variable, unquoted) must not swallow the next option and turn
	 * the secret after it into an operand that the message quotes and argv
	 * keeps.  Whatever the error, no message shows a credential, and every
	 * value written after a credential option's name is wiped.  gone: which
	 * of AK (1), SK (2), TOK (4) must be wiped; an operand or the value of a
	 * misspelled option cannot be known for one, only kept out of the
	 * message. */
	const struct {
		const char *w[10];
		const char *msg;
		unsigned gone;
	} t[] = {
		{ { "decrypt", "--aws-access-key-id", "--aws-secret-access-key", SK, "--aws-session-token", TOK,
		    "--ciphertext", "AQID" }, "option '--aws-access-key-id' needs a value", 6 },
		{ { "decrypt", "--region", "--aws-secret-access-key", SK }, "option '--region' needs a value", 2 },
		{ { "decrypt", "--region", "-s", SK, "-k", AK }, "option '--region' needs a value", 3 },
		{ { "decrypt", "-s" SK, "-k", AK },
		  "option '-s' takes its value as the next argument (see 'kmstool_enclave_cli --help')", 3 },
		{ { "decrypt", "-k", AK, "-t" TOK, "-s", SK },
		  "option '-t' takes its value as the next argument (see 'kmstool_enclave_cli --help')", 7 },
		{ { "decrypt", "-k", "-s", SK }, "option '--aws-access-key-id' needs a value", 2 },
		{ { "decrypt", "-k", "-s", "-t", TOK }, "option '--aws-access-key-id' needs a value", 4 },
		{ { "decrypt", "--aws-session-token", "--aws-secret-access-key=" SK },
		  "option '--aws-session-token' needs a value", 2 },
		{ { "decrypt", "--key-id", "-s", SK }, "option '--key-id' needs a value", 2 },
		{ { "decrypt", "--key-id", "-s" SK }, "option '--key-id' needs a value", 2 },
		{ { "genrandom", "--length", "--aws-secret-access-key", SK }, "option '--length' needs a value", 2 },
		{ { "decrypt", "--aws-secret-access-key" SK },
		  "unknown option '--aws-secret-access-key...' (see 'kmstool_enclave_cli --help')", 2 },
		{ { "decrypt", "--aws-session-token" TOK, "--aws-access-key-id=" AK },
		  "unknown option '--aws-session-token...' (see 'kmstool_enclave_cli --help')", 5 },
		{ { "-s" SK, "decrypt" }, "unknown command '-s...': expected decrypt, genkey or genrandom "
					  "(see 'kmstool_enclave_cli --help')", 2 },
		{ { "--aws-secret-access-key", SK, "-t", TOK, "decrypt" }, "unknown command "
		  "'--aws-secret-access-key': expected decrypt, genkey or genrandom (see 'kmstool_enclave_cli --help')", 6 },
		{ { SK, "decrypt" }, "unknown command: expected decrypt, genkey or genrandom "
				     "(see 'kmstool_enclave_cli --help')", 0 },
		{ { "decrypt", SK }, "unexpected operand at position 2 (see 'kmstool_enclave_cli --help')", 0 },
		{ { "decrypt", "--aws-secret-acess-key", SK, "-t", TOK },
		  "unknown option '--aws-secret-acess-key' (see 'kmstool_enclave_cli --help')", 4 },
		{ { "decrypt", "--aws-secret-acess-key=" SK },
		  "unknown option '--aws-secret-acess-key' (see 'kmstool_enclave_cli --help')", 0 },
		{ { "decrypt", "--bogus", "-s", SK, "-t", TOK, "-k", AK }, "unknown option '--bogus' (see "
		  "'kmstool_enclave_cli --help')", 7 },
		{ { "-k", AK, "-s", SK, "--ciphertext", "AQID", TOK },
		  "unexpected operand at position 7 (see 'kmstool_enclave_cli --help')", 3 },
		{ { "decrypt", "-s", SK, "--ciphertext" }, "option '--ciphertext' needs a value", 2 },
		{ { "decrypt", "-s", SK, "--length", "3" }, "option '--length' does not apply to decrypt", 2 },
		{ { "decrypt", "-s" }, "option '--aws-secret-access-key' needs a value", 0 },
	};
	const char *secrets[] = { AK, SK, TOK, "EXAMPLEKEY", "SessionToken" };
	struct kmstool_args a;
	struct nk_err err;
	struct av v;

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		av_make(&v, t[i].w);
		assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_USAGE);
		assert_string_equal(err.msg, t[i].msg);
		for (size_t k = 0; k < sizeof secrets / sizeof secrets[0]; k++)
			assert_null(strstr(err.msg, secrets[k]));
		if (t[i].gone & 1)
			assert_false(argv_has(&v, AK));
		if (t[i].gone & 2)
			assert_false(argv_has(&v, SK));
		if (t[i].gone & 4)
			assert_false(argv_has(&v, TOK));
		/* Nothing kept from a bad command line. */
		assert_null(a.creds.access_key_id);
		assert_null(a.creds.secret);
		assert_null(a.creds.token);
		kmstool_args_free(&a);
		av_free(&v);
	}
}

static void test_scrub_keeps_names(void **state)
{
	/* The wipe keeps each word's length and the option names before '=' or
	 * the short letter, so /proc/PID/cmdline still reads as a command line. */
	const char *w[] = { "decrypt", "--region", "-s", SK, "-t" TOK, "--aws-access-key-id=" AK,
			    "--aws-session-token" TOK, NULL };
	struct kmstool_args a;
	struct nk_err err;
	struct av v;

	(void)state;
	av_make(&v, w);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_USAGE);
	assert_string_equal(v.argv[2], "--region");
	assert_string_equal(v.argv[3], "-s");
	assert_true(all_x(v.argv[4], strlen(SK)));
	assert_memory_equal(v.argv[5], "-t", 2);
	assert_true(all_x(v.argv[5] + 2, strlen(TOK)));
	assert_memory_equal(v.argv[6], "--aws-access-key-id=", 20);
	assert_true(all_x(v.argv[6] + 20, strlen(AK)));
	assert_memory_equal(v.argv[7], "--aws-session-token", 19);
	assert_true(all_x(v.argv[7] + 19, strlen(TOK)));
	kmstool_args_free(&a);
	av_free(&v);
}

static void test_parse_legacy(void **state)
{
	/* aws-nitro-enclaves-sdk-c's first kmstool_enclave_cli (8c333f4) had no
	 * command: its README's Python example passes these words. */
	const char *readme[] = { "--region", "us-east-1", "--proxy-port", "8000", "--aws-access-key-id", AK,
				 "--aws-secret-access-key", SK, "--aws-session-token", TOK, "--ciphertext", "AQID",
				 NULL };
	const char *shorts[] = { "-c", "AQID", "-k", AK, "-s", SK, "-K", "alias/test", "-a", "SYMMETRIC_DEFAULT",
				 NULL };
	const char *inline_ct[] = { "--ciphertext=AQID", NULL };
	const char *modern[] = { "decrypt", "--ciphertext", "AQID", NULL };
	struct kmstool_args a;
	struct nk_err err;
	struct av v;

	(void)state;
	av_make(&v, readme);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_int_equal(a.cmd, KMSTOOL_DECRYPT);
	assert_int_equal(a.legacy, 1);
	assert_string_equal(a.region, "us-east-1");
	assert_int_equal(a.proxy_port, 8000);
	assert_string_equal(a.ciphertext, "AQID");
	assert_string_equal((char *)a.creds.secret->p, SK);
	assert_true(all_x(v.argv[6], strlen(AK)));
	assert_true(all_x(v.argv[8], strlen(SK)));
	assert_true(all_x(v.argv[10], strlen(TOK)));
	assert_string_equal(v.argv[1], "--region");
	kmstool_args_free(&a);
	av_free(&v);

	av_make(&v, shorts);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_int_equal(a.legacy, 1);
	assert_string_equal(a.key_id, "alias/test");
	assert_string_equal(a.encryption_algorithm, "SYMMETRIC_DEFAULT");
	assert_true(all_x(v.argv[6], strlen(SK)));
	kmstool_args_free(&a);
	av_free(&v);

	av_make(&v, inline_ct);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_int_equal(a.legacy, 1);
	assert_string_equal(a.ciphertext, "AQID");
	kmstool_args_free(&a);
	av_free(&v);

	av_make(&v, modern);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_OK);
	assert_int_equal(a.legacy, 0);
	kmstool_args_free(&a);
	av_free(&v);

	/* That version exited 1 on every failure, the command forms 255. */
	assert_int_equal(kmstool_exit_code(NK_OK, 1), 0);
	assert_int_equal(kmstool_exit_code(CLI_EXIT, 1), 0);
	assert_int_equal(kmstool_exit_code(NK_USAGE, 1), 1);
	assert_int_equal(kmstool_exit_code(NK_DATA, 1), 1);
	assert_int_equal(kmstool_exit_code(NK_REMOTE, 1), 1);
	assert_int_equal(kmstool_exit_code(NK_TRANSPORT, 1), 1);
}

static void test_scrub_on_error(void **state)
{
	/* A bad option before the credentials: parsing stops taking values but
	 * still wipes every credential on the line, in both spellings. */
	const char *w[] = { "decrypt", "--bogus", "--aws-secret-access-key", SK, "--aws-session-token",
			    TOK, "-k", AK, "--aws-session-token=" TOK, "--ciphertext", "AQID", NULL };
	const char *u[] = { "nonsense", "-s", SK, NULL };
	const char *first[] = { "--aws-secret-access-key", SK, "decrypt", NULL };
	const char *first_inline[] = { "--aws-secret-access-key=" SK, "decrypt", NULL };
	struct kmstool_args a;
	struct nk_err err;
	struct av v;

	(void)state;
	av_make(&v, w);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_USAGE);
	assert_string_equal(err.msg, "unknown option '--bogus' (see 'kmstool_enclave_cli --help')");
	assert_true(all_x(v.argv[4], strlen(SK)));
	assert_true(all_x(v.argv[6], strlen(TOK)));
	assert_true(all_x(v.argv[8], strlen(AK)));
	assert_true(all_x(v.argv[9] + strlen("--aws-session-token="), strlen(TOK)));
	assert_string_equal(v.argv[11], "AQID");
	/* Nothing was kept after the error. */
	assert_null(a.creds.secret);
	assert_null(a.creds.token);
	assert_null(a.ciphertext);
	kmstool_args_free(&a);
	av_free(&v);

	av_make(&v, u);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_USAGE);
	assert_true(all_x(v.argv[3], strlen(SK)));
	kmstool_args_free(&a);
	av_free(&v);

	/* A credential where the command should be: wiped, and not quoted. */
	av_make(&v, first);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_USAGE);
	assert_string_equal(err.msg, "unknown command '--aws-secret-access-key': expected decrypt, genkey or "
				     "genrandom (see 'kmstool_enclave_cli --help')");
	assert_true(all_x(v.argv[2], strlen(SK)));
	assert_null(a.creds.secret);
	kmstool_args_free(&a);
	av_free(&v);
	av_make(&v, first_inline);
	assert_int_equal(kmstool_parse(v.argc, v.argv, &a, &err), NK_USAGE);
	assert_string_equal(err.msg, "unknown command '--aws-secret-access-key': expected decrypt, genkey or "
				     "genrandom (see 'kmstool_enclave_cli --help')");
	assert_true(all_x(v.argv[1] + strlen("--aws-secret-access-key="), strlen(SK)));
	kmstool_args_free(&a);
	av_free(&v);
}

/* parse + prepare; returns prepare's code.  a's strings point into argv,
 * which lives until done(). */
static struct av cur;

static int prepare(const char *const *w, struct kmstool_args *a, struct kmsclient_opts *o,
		   struct nk_err *err)
{
	av_make(&cur, w);
	kmsclient_opts_init(o);
	assert_int_equal(kmstool_parse(cur.argc, cur.argv, a, err), NK_OK);
	return kmstool_prepare(a, o, err);
}

static void done(struct kmstool_args *a, struct kmsclient_opts *o)
{
	kmstool_args_free(a);
	kmsclient_opts_free(o);
	av_free(&cur);
}

static void test_prepare_checks(void **state)
{
	/* AWS's order: the credentials, then what the command needs. */
	const struct {
		const char *w[10];
		const char *msg;
	} t[] = {
		{ { "decrypt", "--aws-secret-access-key", SK, "--ciphertext", "AQID" },
		  "--aws-access-key-id must be set" },
		{ { "decrypt", "--aws-session-token", TOK, "--ciphertext", "AQID" },
		  "--aws-access-key-id must be set" },
		{ { "decrypt", "--aws-access-key-id", AK, "--ciphertext", "AQID" },
		  "--aws-secret-access-key must be set" },
		{ { "decrypt", "--ciphertext", "AQID" },
		  "--aws-access-key-id must be set (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment)" },
		{ { "decrypt" }, "--aws-access-key-id must be set (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "
				 "in the environment)" },
		{ { "decrypt", "-k", AK, "-s", SK }, "--ciphertext must be set" },
		{ { "decrypt", "-k", AK, "-s", SK, "--key-id", "alias/test" }, "--ciphertext must be set" },
		{ { "genkey", "-k", AK, "-s", SK, "--key-spec", "AES-256" }, "--key-id must be set" },
		{ { "genkey", "-k", AK, "-s", SK, "--key-id", "alias/test" }, "--key-spec must be set" },
		{ { "genrandom", "-k", AK, "-s", SK }, "--length must be set" },
	};
	struct kmstool_args a;
	struct kmsclient_opts o;
	struct nk_err err;

	(void)state;
	clear_env();
	/* Half on argv is an error even with the rest in the environment. */
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(prepare(t[i].w, &a, &o, &err), NK_USAGE);
		assert_string_equal(err.msg, t[i].msg);
		done(&a, &o);
	}
	clear_env();
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		assert_int_equal(prepare(t[i].w, &a, &o, &err), NK_USAGE);
		assert_string_equal(err.msg, t[i].msg);
		done(&a, &o);
	}
}

static void test_prepare_credentials(void **state)
{
	const char *argv_creds[] = { "genrandom", "--length", "8", "-k", AK, "-s", SK, NULL };
	const char *no_creds[] = { "genrandom", "--length", "8", NULL };
	struct kmstool_args a;
	struct kmsclient_opts o;
	struct nk_err err;

	(void)state;
	clear_env();
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	/* The command line's win, whole: no token from the environment. */
	assert_int_equal(prepare(argv_creds, &a, &o, &err), NK_OK);
	assert_string_equal(o.given.access_key_id, AK);
	assert_string_equal((char *)o.given.secret->p, SK);
	assert_null(o.given.token);
	assert_null(a.creds.access_key_id);  /* moved, not copied */
	assert_null(a.creds.secret);
	done(&a, &o);
	/* None on the command line: the environment's, as every nitrokit tool. */
	assert_int_equal(prepare(no_creds, &a, &o, &err), NK_OK);
	assert_string_equal(o.given.access_key_id, "AKIDENV");
	assert_string_equal((char *)o.given.secret->p, "envsecret");
	assert_string_equal((char *)o.given.token->p, "envtoken");
	done(&a, &o);
	clear_env();
}

static void test_prepare_target(void **state)
{
	const char *plain[] = { "genrandom", "--length", "8", "-k", AK, "-s", SK, NULL };
	const char *port[] = { "genrandom", "--length", "8", "-k", AK, "-s", SK, "--proxy-port", "9000",
			       "--region", "eu-central-1", NULL };
	struct kmstool_args a;
	struct kmsclient_opts o;
	struct kmsclient_target t;
	struct nk_err err;

	(void)state;
	clear_env();
	/* AWS's: vsock CID 3, port 8000 unless --proxy-port, region us-east-1
	 * unless --region; TLS to the region's KMS host. */
	assert_int_equal(prepare(plain, &a, &o, &err), NK_OK);
	assert_int_equal(kmsclient_resolve(&o, KMSCLIENT_VIA_VSOCK, &t, &err), NK_OK);
	assert_int_equal(t.transport, HTTP_VSOCK);
	assert_int_equal(t.cid, 3);
	assert_int_equal(t.port, 8000);
	assert_string_equal(t.region, "us-east-1");
	assert_string_equal(t.url, "https://kms.us-east-1.amazonaws.com/");
	done(&a, &o);
	assert_int_equal(prepare(port, &a, &o, &err), NK_OK);
	assert_int_equal(kmsclient_resolve(&o, KMSCLIENT_VIA_VSOCK, &t, &err), NK_OK);
	assert_int_equal(t.transport, HTTP_VSOCK);
	assert_int_equal(t.cid, 3);
	assert_int_equal(t.port, 9000);
	assert_string_equal(t.region, "eu-central-1");
	assert_string_equal(t.host, "kms.eu-central-1.amazonaws.com");
	done(&a, &o);
	/* An endpoint in the environment wins over the vsock, --proxy-port or not. */
	setenv("AWS_ENDPOINT_URL_KMS", "http://127.0.0.1:4566", 1);
	assert_int_equal(prepare(port, &a, &o, &err), NK_OK);
	assert_int_equal(kmsclient_resolve(&o, KMSCLIENT_VIA_VSOCK, &t, &err), NK_OK);
	assert_int_equal(t.transport, HTTP_TCP);
	assert_string_equal(t.url, "http://127.0.0.1:4566");
	assert_string_equal(t.region, "eu-central-1");
	done(&a, &o);
	unsetenv("AWS_ENDPOINT_URL_KMS");
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4567", 1);
	assert_int_equal(prepare(plain, &a, &o, &err), NK_OK);
	assert_int_equal(kmsclient_resolve(&o, KMSCLIENT_VIA_VSOCK, &t, &err), NK_OK);
	assert_int_equal(t.transport, HTTP_TCP);
	assert_string_equal(t.url, "http://127.0.0.1:4567");
	done(&a, &o);
	clear_env();
}

/* The request body as KMS gets it (the document left out). */
static json_t *body_of(const char *const *w)
{
	struct kmstool_args a;
	struct kmsclient_opts o;
	struct kms_req req;
	struct secbuf *body = NULL;
	unsigned char *blob = NULL;
	struct nk_err err;
	json_t *j;

	assert_int_equal(prepare(w, &a, &o, &err), NK_OK);
	assert_int_equal(kmstool_request(&a, &req, &blob, &err), NK_OK);
	assert_int_equal(kms_request_body(&req, &body, &err), NK_OK);
	j = json_loadb((char *)body->p, body->len, 0, NULL);
	assert_non_null(j);
	secmem_free(body);
	free(blob);
	done(&a, &o);
	return j;
}

static void test_request(void **state)
{
	const char *dec[] = { "decrypt", "-k", AK, "-s", SK, "--ciphertext", "AQID", "--key-id", "alias/test",
			      "--encryption-algorithm", "SYMMETRIC_DEFAULT", NULL };
	const char *dec_plain[] = { "decrypt", "-k", AK, "-s", SK, "--ciphertext", "Zm9v\nYmFy", NULL };
	const char *gk128[] = { "genkey", "-k", AK, "-s", SK, "--key-id", "alias/test", "--key-spec", "AES-128", NULL };
	const char *gr[] = { "genrandom", "-k", AK, "-s", SK, "--length", "37", NULL };
	json_t *j;

	(void)state;
	clear_env();
	/* Bodies written by hand from the KMS API reference. */
	j = body_of(dec);
	assert_string_equal(json_string_value(json_object_get(j, "CiphertextBlob")), "AQID");
	assert_string_equal(json_string_value(json_object_get(j, "KeyId")), "alias/test");
	assert_string_equal(json_string_value(json_object_get(j, "EncryptionAlgorithm")), "SYMMETRIC_DEFAULT");
	assert_int_equal(json_object_size(j), 3);
	json_decref(j);
	/* Without --key-id nothing but the blob, as AWS's tool sends it. */
	j = body_of(dec_plain);
	assert_string_equal(json_string_value(json_object_get(j, "CiphertextBlob")), "Zm9vYmFy");
	assert_int_equal(json_object_size(j), 1);
	json_decref(j);
	j = body_of(gk128);
	assert_string_equal(json_string_value(json_object_get(j, "KeySpec")), "AES_128");
	assert_string_equal(json_string_value(json_object_get(j, "KeyId")), "alias/test");
	assert_int_equal(json_object_size(j), 2);
	json_decref(j);
	j = body_of(gr);
	assert_int_equal(json_integer_value(json_object_get(j, "NumberOfBytes")), 37);
	assert_int_equal(json_object_size(j), 1);
	json_decref(j);
}

static void test_request_bad_ciphertext(void **state)
{
	const char *bad[] = { "decrypt", "-k", AK, "-s", SK, "--ciphertext", "AQ*D", NULL };
	const char *pad[] = { "decrypt", "-k", AK, "-s", SK, "--ciphertext", "====", NULL };
	struct kmstool_args a;
	struct kmsclient_opts o;
	struct kms_req req;
	unsigned char *blob = (unsigned char *)"x";
	struct nk_err err;

	(void)state;
	clear_env();
	/* AWS's tool fails these with "Ciphertext not a base64 string", exit 255. */
	assert_int_equal(prepare(bad, &a, &o, &err), NK_OK);
	assert_int_equal(kmstool_request(&a, &req, &blob, &err), NK_DATA);
	assert_string_equal(err.msg, "--ciphertext is not base64: invalid base64 character at offset 2");
	assert_null(blob);
	assert_int_equal(kmstool_exit_code(err.code, 0), 255);
	done(&a, &o);
	assert_int_equal(prepare(pad, &a, &o, &err), NK_OK);
	assert_int_equal(kmstool_request(&a, &req, &blob, &err), NK_DATA);
	assert_null(blob);
	done(&a, &o);
}

/* What kmsout_lines writes for f. */
static char *lines(const struct kmsout_field *f, size_t n)
{
	char path[] = "/tmp/test_kmstool.XXXXXX";
	static char buf[256];
	struct nk_err err;
	FILE *fp;
	size_t got;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(kmsout_lines(path, f, n, 0600, &err), NK_OK);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	got = fread(buf, 1, sizeof buf - 1, fp);
	buf[got] = 0;
	fclose(fp);
	unlink(path);
	return buf;
}

static void test_fields(void **state)
{
	unsigned char blob[] = "foob";
	struct secbuf *pt = secmem_new(8);
	struct kms_resp r = { 0 };
	struct kmsout_field f[2];

	(void)state;
	memcpy(pt->p, "foobar", 6);
	pt->len = 6;
	r.plaintext = pt;
	r.ciphertext_blob = blob;
	r.ciphertext_blob_len = 4;
	/* AWS's printf("CIPHERTEXT: %s\n") then ("PLAINTEXT: %s\n"); base64 of
	 * RFC 4648's test vectors. */
	assert_int_equal(kmstool_fields(KMSTOOL_GENKEY, &r, f), 2);
	assert_string_equal(lines(f, 2), "CIPHERTEXT: Zm9vYg==\nPLAINTEXT: Zm9vYmFy\n");
	assert_int_equal(kmstool_fields(KMSTOOL_DECRYPT, &r, f), 1);
	assert_string_equal(lines(f, 1), "PLAINTEXT: Zm9vYmFy\n");
	assert_int_equal(kmstool_fields(KMSTOOL_GENRANDOM, &r, f), 1);
	assert_string_equal(lines(f, 1), "PLAINTEXT: Zm9vYmFy\n");
	pt->len = 0;
	assert_int_equal(kmstool_fields(KMSTOOL_DECRYPT, &r, f), 1);
	assert_string_equal(lines(f, 1), "PLAINTEXT: \n");
	secmem_free(pt);
}

/* Standard output, caught while fn runs. */
static struct secbuf *bytes(int c, size_t n)
{
	struct secbuf *b = secmem_new(n + 1);

	assert_non_null(b);
	memset(b->p, c, n);
	b->len = n;
	return b;
}

/* kmstool_write for a response; returns its code, *out what it printed. */
static int write_resp(unsigned cmd, int legacy, const char *key_spec, unsigned long length,
		      const struct kms_resp *r, char **out, struct nk_err *err)
{
	struct kmstool_args a;
	int rc;

	memset(&a, 0, sizeof a);
	a.cmd = cmd;
	a.legacy = legacy;
	a.key_spec = key_spec;
	a.length = length;
	capture(1);
	rc = kmstool_write(&a, r, err);
	*out = captured();
	return rc;
}

static void test_write_checks_lengths(void **state)
{
	/* As kms-genkey and kms-random: an answer of another size than asked
	 * for is a failure (255), and nothing is printed. */
	unsigned char blob[] = "blob";
	struct kms_resp r = { 0 };
	struct nk_err err;
	char *out;

	(void)state;
	r.plaintext = bytes('a', 16);
	assert_int_equal(write_resp(KMSTOOL_GENRANDOM, 0, NULL, 3, &r, &out, &err), NK_DATA);
	assert_string_equal(err.msg, "KMS sent 16 random bytes, 3 were asked for");
	assert_int_equal(kmstool_exit_code(err.code, 0), 255);
	assert_string_equal(out, "");
	assert_int_equal(write_resp(KMSTOOL_GENRANDOM, 0, NULL, 16, &r, &out, &err), NK_OK);
	assert_string_equal(out, "PLAINTEXT: YWFhYWFhYWFhYWFhYWFhYQ==\n");

	/* GenerateDataKey: AES_256 is 32 bytes, AES_128 16; the blob is needed. */
	r.ciphertext_blob = blob;
	r.ciphertext_blob_len = 4;
	assert_int_equal(write_resp(KMSTOOL_GENKEY, 0, "AES_256", 0, &r, &out, &err), NK_DATA);
	assert_string_equal(err.msg, "KMS sent a data key of 16 bytes, 32 were asked for");
	assert_int_equal(kmstool_exit_code(err.code, 0), 255);
	assert_string_equal(out, "");
	assert_int_equal(write_resp(KMSTOOL_GENKEY, 0, "AES_128", 0, &r, &out, &err), NK_OK);
	assert_string_equal(out, "CIPHERTEXT: YmxvYg==\nPLAINTEXT: YWFhYWFhYWFhYWFhYWFhYQ==\n");
	secmem_free(r.plaintext);
	r.plaintext = bytes('b', 32);
	assert_int_equal(write_resp(KMSTOOL_GENKEY, 0, "AES_128", 0, &r, &out, &err), NK_DATA);
	assert_string_equal(err.msg, "KMS sent a data key of 32 bytes, 16 were asked for");
	assert_string_equal(out, "");
	assert_int_equal(write_resp(KMSTOOL_GENKEY, 0, "AES_256", 0, &r, &out, &err), NK_OK);
	assert_string_equal(out, "CIPHERTEXT: YmxvYg==\nPLAINTEXT: YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI=\n");
	r.ciphertext_blob = NULL;
	r.ciphertext_blob_len = 0;
	assert_int_equal(write_resp(KMSTOOL_GENKEY, 0, "AES_256", 0, &r, &out, &err), NK_DATA);
	assert_string_equal(err.msg, "KMS sent no CiphertextBlob");
	assert_string_equal(out, "");
	secmem_free(r.plaintext);
	r.plaintext = NULL;
	assert_int_equal(write_resp(KMSTOOL_GENRANDOM, 0, NULL, 3, &r, &out, &err), NK_DATA);
	assert_string_equal(out, "");
}

static void test_write_decrypt(void **state)
{
	struct kms_resp r = { 0 };
	struct nk_err err;
	char *out;

	(void)state;
	r.plaintext = secmem_new(8);
	memcpy(r.plaintext->p, "foobar", 6);
	r.plaintext->len = 6;
	assert_int_equal(write_resp(KMSTOOL_DECRYPT, 0, NULL, 0, &r, &out, &err), NK_OK);
	assert_string_equal(out, "PLAINTEXT: Zm9vYmFy\n");
	/* The command-less form printed the base64 alone, with no newline:
	 * fprintf(stdout, "%s", b64) in 8c333f4's main(). */
	assert_int_equal(write_resp(KMSTOOL_DECRYPT, 1, NULL, 0, &r, &out, &err), NK_OK);
	assert_string_equal(out, "Zm9vYmFy");
	r.plaintext->len = 0;
	assert_int_equal(write_resp(KMSTOOL_DECRYPT, 1, NULL, 0, &r, &out, &err), NK_OK);
	assert_string_equal(out, "");
	assert_int_equal(write_resp(KMSTOOL_DECRYPT, 0, NULL, 0, &r, &out, &err), NK_OK);
	assert_string_equal(out, "PLAINTEXT: \n");
	secmem_free(r.plaintext);
}

static void test_exit_codes(void **state)
{
	(void)state;
	/* AWS's main returns AWS_OP_ERR (-1) from main on failures: status 255. */
	assert_int_equal(kmstool_exit_code(NK_OK, 0), 0);
	assert_int_equal(kmstool_exit_code(CLI_EXIT, 0), 0);
	assert_int_equal(kmstool_exit_code(NK_USAGE, 0), 1);
	assert_int_equal(kmstool_exit_code(NK_NEGATIVE, 0), 255);
	assert_int_equal(kmstool_exit_code(NK_DATA, 0), 255);
	assert_int_equal(kmstool_exit_code(NK_IO, 0), 255);
	assert_int_equal(kmstool_exit_code(NK_REMOTE, 0), 255);
	assert_int_equal(kmstool_exit_code(NK_TRANSPORT, 0), 255);
	assert_string_equal(kmstool_cmd_name(KMSTOOL_GENRANDOM), "genrandom");
	assert_null(kmstool_cmd_name(0));
}

static void test_table(void **state)
{
	(void)state;
	/* The ids index the table; short letters are AWS's optstring's; CMDS
	 * bits are the commands of kmstool_tool.commands, in enum kmstool_cmd's
	 * order. */
	const char *aws = "r:x:k:s:t:c:K:p:a:l:";
	const unsigned all = KMSTOOL_DECRYPT | KMSTOOL_GENKEY | KMSTOOL_GENRANDOM;
	size_t n = 0;

	for (const struct cli_opt *o = kmstool_opts; o->name; o++, n++) {
		assert_int_equal(o->id, (int)n + 1);
		assert_non_null(strchr(aws, o->short_name));
		assert_int_equal(o->cmds & ~all, 0);
		assert_int_equal(o->type == CLI_SECRET, o->id == KMSTOOL_OPT_SECRET_ACCESS_KEY ||
							 o->id == KMSTOOL_OPT_SESSION_TOKEN);
	}
	assert_int_equal(n, KMSTOOL_NOPTS - 1);
	assert_ptr_equal(kmstool_tool.opts, kmstool_opts);
	assert_string_equal(kmstool_tool.commands, "decrypt|genkey|genrandom");
	assert_string_equal(kmstool_cmd_name(KMSTOOL_DECRYPT), "decrypt");
	assert_string_equal(kmstool_cmd_name(KMSTOOL_GENKEY), "genkey");
	assert_true(kmstool_tool.last_wins);
	assert_int_equal(kmstool_opts[KMSTOOL_OPT_LENGTH - 1].cmds, KMSTOOL_GENRANDOM);
	assert_int_equal(kmstool_opts[KMSTOOL_OPT_KEY_ID - 1].cmds, KMSTOOL_DECRYPT | KMSTOOL_GENKEY);
	assert_int_equal(kmstool_opts[KMSTOOL_OPT_REGION - 1].cmds, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_decrypt),
		cmocka_unit_test(test_parse_short_inline_repeat),
		cmocka_unit_test(test_parse_token_empty),
		cmocka_unit_test(test_parse_help_version),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_scrub_on_error),
		cmocka_unit_test(test_secret_never_shown),
		cmocka_unit_test(test_scrub_keeps_names),
		cmocka_unit_test(test_parse_legacy),
		cmocka_unit_test(test_prepare_checks),
		cmocka_unit_test(test_prepare_credentials),
		cmocka_unit_test(test_prepare_target),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_request_bad_ciphertext),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_write_checks_lengths),
		cmocka_unit_test(test_write_decrypt),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
