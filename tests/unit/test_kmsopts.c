/* kmsopts: the KMS tools' shared option tables as a tool splices them in
 * (parsed through cli_init, cli_take and cli_check, as cli_start does after
 * popt), what kmsopts_client_opts makes of them for lib/kms, and the key a
 * call names (--key-id, --context KEY=VALUE, --grant-token) built from plain
 * values and from a tool's own rows.  Also the pieces of cli these tables
 * rely on: STDIN across tables, WRAPPED values, LIST_MAX and last_wins. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tool/kmsopts.h"

/* A tool of the shape of kms-encrypt and kms-decrypt: its own key rows and a
 * file that reads standard input, then the shared tables. */
#define OPTIONS(X) \
	X(KEY_ID, "key-id", 0, STR("KEY"), "the key") \
	X(CONTEXT, "context", 0, LIST("KEY=VALUE"), "encryption context pair") \
	X(GRANT_TOKEN, "grant-token", 0, LIST_MAX("TOKEN", KMSOPTS_GRANT_TOKEN_MAX), "grant token") \
	X(PLAINTEXT_FILE, "plaintext-file", 0, FILE("FILE") STDIN, "the plaintext") \
	X(CIPHERTEXT, "ciphertext", 0, STR_MAX("B64", 64) WRAPPED, "base64")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };
static const struct cli_opt *const both[] = { kmsopts_client, kmsopts_recipient, NULL };
static const struct cli_opt *const client_only[] = { kmsopts_client, NULL };

static const struct cli_tool attested = {
	.name = "test", .usage = "", .summary = "", .opts = opts, .shared = both, .max_args = 0,
};
static const struct cli_tool plain = {
	.name = "test", .usage = "", .summary = "", .opts = opts, .shared = client_only, .max_args = 0,
};

/* The option named name in t's tables. */
static const struct cli_opt *opt(const struct cli *c, const char *name)
{
	for (int t = 0; t < CLI_TABLES_MAX && c->table[t]; t++)
		for (const struct cli_opt *o = c->table[t]; o->name; o++)
			if (strcmp(o->name, name) == 0)
				return o;
	fail_msg("no option --%s", name);
	return NULL;
}

/* Parse (name, value) pairs, NULL-ended, for t: the first failure's code
 * (its message in err), else cli_check's. */
static int parse(const struct cli_tool *t, struct cli *c, struct nk_err *err, ...)
{
	va_list ap;
	const char *name;
	int rc;

	assert_int_equal(cli_init(t, c, err), NK_OK);
	va_start(ap, err);
	for (rc = NK_OK; rc == NK_OK && (name = va_arg(ap, const char *));)
		rc = cli_take(c, opt(c, name), va_arg(ap, const char *), err);
	va_end(ap);
	return rc ? rc : cli_check(c, err);
}

static void usage_is(int rc, const struct nk_err *err, const char *msg)
{
	assert_int_equal(rc, NK_USAGE);
	assert_string_equal(err->msg, msg);
}

/* --- the shared tables --------------------------------------------------------- */

static void test_tables(void **state)
{
	static const char *const client_names[] = { "region", "endpoint", "vsock", "fips", "ca-bundle",
						    "retries", "timeout", "credentials" };
	static const char *const recipient_names[] = { "rsa-bits", "nsm" };
	size_t n = 0;

	(void)state;
	/* The ids index the tables (cli's val_in). */
	for (const struct cli_opt *o = kmsopts_client; o->name; o++, n++) {
		assert_int_equal(o->id, (int)n + 1);
		assert_string_equal(o->name, client_names[n]);
		assert_non_null(o->help);
	}
	assert_int_equal(n, 8);
	for (n = 0; kmsopts_recipient[n].name; n++) {
		assert_int_equal(kmsopts_recipient[n].id, (int)n + 1);
		assert_string_equal(kmsopts_recipient[n].name, recipient_names[n]);
	}
	assert_int_equal(n, 2);
	assert_int_equal(kmsopts_client[5].type, CLI_UINT);
	assert_int_equal(kmsopts_client[7].type, CLI_FILE);
	assert_true(kmsopts_client[7].reads_stdin);
	assert_int_equal(kmsopts_recipient[0].type, CLI_CHOICE);
}

static void test_client_opts(void **state)
{
	struct kmsclient_opts o;
	struct nk_err e = { 0 };
	struct cli c;

	(void)state;
	/* Nothing given: kmsclient's defaults. */
	assert_int_equal(parse(&attested, &c, &e, NULL), NK_OK);
	kmsopts_client_opts(&c, &o);
	assert_int_equal(o.retries, -1);
	assert_int_equal(o.timeout_ms, 0);
	assert_int_equal(o.rsa_bits, 0);
	assert_int_equal(o.fips, 0);
	assert_null(o.region);
	assert_null(o.endpoint);
	assert_null(o.vsock);
	assert_null(o.ca_bundle);
	assert_null(o.credentials);
	assert_null(o.nsm);
	kmsclient_opts_free(&o);
	cli_free(&c);

	assert_int_equal(parse(&attested, &c, &e, "region", "eu-west-2", "vsock", "16:9000", "fips", NULL,
			       "ca-bundle", "ca.pem", "retries", "0", "timeout", "7", "credentials", "-",
			       "rsa-bits", "4096", "nsm", "unix:/x.sock", NULL), NK_OK);
	kmsopts_client_opts(&c, &o);
	assert_string_equal(o.region, "eu-west-2");
	assert_string_equal(o.vsock, "16:9000");
	assert_int_equal(o.fips, 1);
	assert_string_equal(o.ca_bundle, "ca.pem");
	assert_int_equal(o.retries, 0);
	assert_int_equal(o.timeout_ms, 7000);
	assert_string_equal(o.credentials, "-");
	assert_int_equal(o.rsa_bits, 4096);
	assert_string_equal(o.nsm, "unix:/x.sock");
	kmsclient_opts_free(&o);
	cli_free(&c);
	/* The strings are borrowed from c. */
	assert_int_equal(parse(&attested, &c, &e, "retries", "10", "rsa-bits", "2048", "endpoint", "http://a/",
			       NULL), NK_OK);
	kmsopts_client_opts(&c, &o);
	assert_int_equal(o.retries, 10);
	assert_int_equal(o.rsa_bits, 2048);
	assert_ptr_equal(o.endpoint, cli_str_in(&c, kmsopts_client, 2));
	kmsclient_opts_free(&o);
	cli_free(&c);

	/* A tool without the recipient's table (kms-encrypt). */
	assert_int_equal(parse(&plain, &c, &e, "timeout", "3600", NULL), NK_OK);
	kmsopts_client_opts(&c, &o);
	assert_int_equal(o.timeout_ms, 3600000);
	assert_int_equal(o.rsa_bits, 0);
	assert_null(o.nsm);
	kmsclient_opts_free(&o);
	cli_free(&c);
}

static void test_client_opts_refused(void **state)
{
	static const struct {
		const char *a[6];
		const char *msg;
	} bad[] = {
		{ { "retries", "11" }, "invalid value '11' for --retries: expected 0 to 10" },
		{ { "retries", "x" }, "invalid value 'x' for --retries: expected 0 to 10" },
		{ { "retries", "-1" }, "invalid value '-1' for --retries: expected 0 to 10" },
		{ { "timeout", "0" }, "invalid value '0' for --timeout: expected 1 to 3600" },
		{ { "timeout", "3601" }, "invalid value '3601' for --timeout: expected 1 to 3600" },
		{ { "rsa-bits", "1024" }, "invalid value '1024' for --rsa-bits: expected one of 2048|4096" },
		{ { "region", "" }, "--region must not be empty" },
		{ { "region", "eu-west-1", "region", "eu-west-2" }, "option '--region' given more than once" },
		{ { "nsm", "" }, "--nsm must not be empty" },
		{ { "credentials", "" }, "--credentials must not be empty" },
		{ { "region", "us-east-1\r\nX-Injected: 1" },
		  "--region must not contain control characters (byte 10 is 0x0d)" },
		{ { "endpoint", "http://a/", "vsock", "3:8000" }, "--endpoint and --vsock cannot be used together" },
		{ { "vsock", "3:8000", "endpoint", "http://a/" }, "--endpoint and --vsock cannot be used together" },
		/* Standard input, once, across the tool's table and the shared one. */
		{ { "plaintext-file", "-", "credentials", "-" },
		  "--plaintext-file and --credentials cannot both read standard input" },
		{ { "credentials", "-", "plaintext-file", "-" },
		  "--plaintext-file and --credentials cannot both read standard input" },
	};
	struct nk_err e = { 0 };
	struct cli c;

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *const *a = bad[i].a;

		usage_is(parse(&attested, &c, &e, a[0], a[1], a[2], a[3], NULL), &e, bad[i].msg);
		cli_free(&c);
	}
	/* One of them on standard input is fine. */
	assert_int_equal(parse(&attested, &c, &e, "plaintext-file", "-", "credentials", "creds.json", NULL), NK_OK);
	cli_free(&c);
	assert_int_equal(parse(&attested, &c, &e, "plaintext-file", "pt", "credentials", "-", NULL), NK_OK);
	cli_free(&c);
	/* The recipient's options are not kms-encrypt's. */
	assert_int_equal(cli_init(&plain, &c, &e), NK_OK);
	for (int t = 0; t < CLI_TABLES_MAX && c.table[t]; t++)
		for (const struct cli_opt *o = c.table[t]; o->name; o++)
			assert_true(strcmp(o->name, "rsa-bits") != 0 && strcmp(o->name, "nsm") != 0);
	cli_free(&c);
}

/* --- the cli pieces the KMS tables use ------------------------------------------- */

static void test_wrapped_and_caps(void **state)
{
	char token[KMSOPTS_GRANT_TOKEN_MAX + 2];
	struct nk_err e = { 0 };
	struct cli c;

	(void)state;
	/* base64 as base64(1) wraps it, with CRLF too; no other control character. */
	assert_int_equal(parse(&attested, &c, &e, "ciphertext", "Zm9v\nYmFy\r\n\tAA==", NULL), NK_OK);
	assert_string_equal(cli_str(&c, OPT_CIPHERTEXT), "Zm9v\nYmFy\r\n\tAA==");
	cli_free(&c);
	usage_is(parse(&attested, &c, &e, "ciphertext", "Zm9v\x1b[2J", NULL), &e,
		 "--ciphertext must not contain control characters (byte 5 is 0x1b)");
	cli_free(&c);
	/* ...and a STR without WRAPPED takes no line break. */
	usage_is(parse(&attested, &c, &e, "key-id", "alias/a\nb", NULL), &e,
		 "--key-id must not contain control characters (byte 8 is 0x0a)");
	cli_free(&c);
	/* A grant token may have KMS's 8192 characters, one more is refused. */
	memset(token, 'g', sizeof token - 2);
	token[sizeof token - 2] = 0;
	assert_int_equal(parse(&attested, &c, &e, "grant-token", token, NULL), NK_OK);
	cli_free(&c);
	token[sizeof token - 2] = 'g';
	token[sizeof token - 1] = 0;
	usage_is(parse(&attested, &c, &e, "grant-token", token, NULL), &e, "--grant-token is longer than 8192 bytes");
	cli_free(&c);
}

static void test_last_wins(void **state)
{
	static const struct cli_tool getopt_like = {
		.name = "test", .usage = "", .summary = "", .opts = opts, .shared = both, .last_wins = 1,
	};
	struct nk_err e = { 0 };
	struct cli c;

	(void)state;
	assert_int_equal(parse(&getopt_like, &c, &e, "key-id", "a", "key-id", "b", "retries", "1", "retries", "2",
			       NULL), NK_OK);
	assert_string_equal(cli_str(&c, OPT_KEY_ID), "b");
	assert_int_equal(cli_num_in(&c, kmsopts_client, 6, 0), 2);
	assert_int_equal(cli_given(&c, OPT_KEY_ID), 2);
	cli_free(&c);
	/* Every value is still checked. */
	usage_is(parse(&getopt_like, &c, &e, "retries", "11", "retries", "2", NULL), &e,
		 "invalid value '11' for --retries: expected 0 to 10");
	cli_free(&c);
}

/* --- the key a call names ----------------------------------------------------- */

/* What kmsclient_key_req puts in a request, as "KEY|k=v,...|token,...". */
static void key_req_text(const struct kms_req *r, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "%s|", r->key_id ? r->key_id : "");

	for (size_t i = 0; i < r->ncontext && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s=%s", i ? "," : "", r->context[i].key,
				      r->context[i].value);
	if (n < size)
		n += (size_t)snprintf(out + n, size - n, "|");
	for (size_t i = 0; i < r->ngrant && n < size; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "", r->grant_tokens[i]);
	assert_true(n < size);
}

#define GRANTS_10 "g0", "g1", "g2", "g3", "g4", "g5", "g6", "g7", "g8", "g9"

struct key_case {
	const char *key_id;
	const char *context[4];
	const char *grants[12];
	int rc;
	const char *msg;
	const char *req;   /* on success */
};

static void test_key_make_table(void **state)
{
	static const struct key_case cases[] = {
		{ "alias/test", { NULL }, { NULL }, NK_OK, NULL, "alias/test||" },
		{ NULL, { NULL }, { NULL }, NK_OK, NULL, "||" },
		{ "", { NULL }, { NULL }, NK_USAGE, "--key-id must not be empty", NULL },
		/* the first '=' splits; a value may be empty or hold '=' */
		{ NULL, { "app=x", "empty=", "eq=a=b" }, { NULL }, NK_OK, NULL, "|app=x,empty=,eq=a=b|" },
		{ NULL, { "a=1", "A=2" }, { NULL }, NK_OK, NULL, "|a=1,A=2|" },
		{ NULL, { "app=x", "app=y" }, { NULL }, NK_USAGE, "--context key 'app' given twice", NULL },
		{ NULL, { "app=x", "app=x" }, { NULL }, NK_USAGE, "--context key 'app' given twice", NULL },
		{ NULL, { "novalue" }, { NULL }, NK_USAGE, "invalid value 'novalue' for --context: expected KEY=VALUE",
		  NULL },
		{ NULL, { "=x" }, { NULL }, NK_USAGE, "invalid value '=x' for --context: expected KEY=VALUE", NULL },
		{ NULL, { "" }, { NULL }, NK_USAGE, "invalid value '' for --context: expected KEY=VALUE", NULL },
		{ NULL, { NULL }, { "" }, NK_USAGE, "--grant-token must not be empty", NULL },
		{ NULL, { NULL }, { GRANTS_10 }, NK_OK, NULL, "||g0,g1,g2,g3,g4,g5,g6,g7,g8,g9" },
		{ NULL, { NULL }, { GRANTS_10, "g10" }, NK_USAGE, "too many --grant-token: KMS takes at most 10", NULL },
		{ NULL, { NULL }, { GRANTS_10, "" }, NK_USAGE, "--grant-token must not be empty", NULL },
		{ NULL, { NULL }, { "G", "G" }, NK_OK, NULL, "||G,G" },  /* KMS's to judge */
		{ "k", { "a=b", "c=d" }, { "T" }, NK_OK, NULL, "k|a=b,c=d|T" },
		/* a bad pair after good ones leaves nothing behind */
		{ "k", { "a=b", "bad" }, { "T" }, NK_USAGE, "invalid value 'bad' for --context: expected KEY=VALUE",
		  NULL },
	};
	char text[256];

	(void)state;
	assert_int_equal(KMSCLIENT_GRANTS_MAX, 10);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct key_case *kc = &cases[i];
		struct kmsclient_key k;
		struct nk_err e = { 0 };
		struct kms_req r = { .op = KMS_DECRYPT, .encryption_algorithm = "SM2PKE" };
		size_t nc = 0, ng = 0;
		int rc;

		while (kc->context[nc])
			nc++;
		while (kc->grants[ng])
			ng++;
		rc = kmsopts_key_make(kc->key_id, kc->context, nc, kc->grants, ng, &k, &e);
		if (rc != kc->rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc, kc->rc, e.msg);
		if (rc) {
			assert_string_equal(e.msg, kc->msg);
			/* nothing kept */
			assert_null(k.key_id);
			assert_null(k.context);
			assert_null(k.grants);
			assert_int_equal(k.ncontext + k.ngrant, 0);
			continue;
		}
		kmsclient_key_req(&k, &r);
		key_req_text(&r, text, sizeof text);
		if (strcmp(text, kc->req) != 0)
			fail_msg("case %zu: request %s, want %s", i, text, kc->req);
		/* the rest of the request is the caller's */
		assert_int_equal(r.op, KMS_DECRYPT);
		assert_string_equal(r.encryption_algorithm, "SM2PKE");
		kmsclient_key_free(&k);
		assert_null(k.key_id);
		assert_null(k.context);
		assert_null(k.grants);
		assert_int_equal(k.ncontext + k.ngrant, 0);
	}
}

static void test_key_from_options(void **state)
{
	struct kmsclient_key k;
	struct kms_req r = { 0 };
	struct nk_err e = { 0 };
	struct cli c;
	char text[256];

	(void)state;
	assert_int_equal(parse(&attested, &c, &e, "context", "app=web", "key-id", "alias/test", "grant-token", "T1",
			       "context", "env=prod", "grant-token", "T2", NULL), NK_OK);
	assert_int_equal(kmsopts_key(&c, OPT_KEY_ID, OPT_CONTEXT, OPT_GRANT_TOKEN, &k, &e), NK_OK);
	kmsclient_key_req(&k, &r);
	key_req_text(&r, text, sizeof text);
	assert_string_equal(text, "alias/test|app=web,env=prod|T1,T2");
	/* k owns copies: c may go first. */
	cli_free(&c);
	key_req_text(&r, text, sizeof text);
	assert_string_equal(text, "alias/test|app=web,env=prod|T1,T2");
	kmsclient_key_free(&k);
	/* A tool without some of the rows (0) or none given. */
	assert_int_equal(parse(&attested, &c, &e, "key-id", "k", "context", "a=b", NULL), NK_OK);
	assert_int_equal(kmsopts_key(&c, OPT_KEY_ID, 0, 0, &k, &e), NK_OK);
	assert_string_equal(k.key_id, "k");
	assert_int_equal(k.ncontext, 0);
	kmsclient_key_free(&k);
	assert_int_equal(kmsopts_key(&c, 0, OPT_CONTEXT, OPT_GRANT_TOKEN, &k, &e), NK_OK);
	assert_null(k.key_id);
	assert_int_equal(k.ncontext, 1);
	kmsclient_key_free(&k);
	cli_free(&c);
	/* The checks that need the whole list are kmsopts'; the empty value is cli's. */
	assert_int_equal(parse(&attested, &c, &e, "context", "a=1", "context", "a=2", NULL), NK_OK);
	usage_is(kmsopts_key(&c, OPT_KEY_ID, OPT_CONTEXT, OPT_GRANT_TOKEN, &k, &e), &e,
		 "--context key 'a' given twice");
	cli_free(&c);
	assert_int_equal(parse(&attested, &c, &e, "grant-token", "1", "grant-token", "2", "grant-token", "3",
			       "grant-token", "4", "grant-token", "5", "grant-token", "6", "grant-token", "7",
			       "grant-token", "8", "grant-token", "9", "grant-token", "10", "grant-token", "11",
			       NULL), NK_OK);
	usage_is(kmsopts_key(&c, OPT_KEY_ID, OPT_CONTEXT, OPT_GRANT_TOKEN, &k, &e), &e,
		 "too many --grant-token: KMS takes at most 10");
	cli_free(&c);
	usage_is(parse(&attested, &c, &e, "grant-token", "", NULL), &e, "--grant-token must not be empty");
	cli_free(&c);
	usage_is(parse(&attested, &c, &e, "key-id", "a", "key-id", "b", NULL), &e,
		 "option '--key-id' given more than once");
	cli_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_client_opts),
		cmocka_unit_test(test_client_opts_refused),
		cmocka_unit_test(test_wrapped_and_caps),
		cmocka_unit_test(test_last_wins),
		cmocka_unit_test(test_key_make_table),
		cmocka_unit_test(test_key_from_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
