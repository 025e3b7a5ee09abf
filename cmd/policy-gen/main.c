/* policy-gen: KMS key policies that admit only an attested Nitro enclave;
 * updates an existing policy in place, and lints policies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/cli.h"
#include "util/io.h"
#include "util/jsonx.h"
#include "policy/policy.h"
#include "policy/policy_check.h"

/* Modes: generate (default), merge (--merge), check (--check). */
#define GEN 1u
#define MERGE 2u
#define OPS "decrypt|generate-data-key|generate-data-key-pair|generate-random|derive-shared-secret"

#define OPTIONS(X) \
	X(MEASUREMENTS, "measurements", 'm', FILE("FILE") CMDS(GEN | MERGE) STDIN, \
	  "pcr-compute's or eif_build's measurements (JSON)") \
	X(PCR, "pcr", 0, LIST("N=HEX") CMDS(GEN | MERGE), "a value of PCR N (0-31); several for one N are OR'ed") \
	X(PCR0, "pcr0", 0, LIST("HEX") CMDS(GEN | MERGE), "a value of PCR0, as --pcr 0=HEX") \
	X(IMAGE_SHA384, "image-sha384", 0, LIST("HEX") CMDS(GEN | MERGE), "a PCR0 value, written under ImageSha384") \
	X(USE, "use", 0, STR("LIST") CMDS(GEN | MERGE) NEEDS(MEASUREMENTS), \
	  "PCRs of --measurements to use: indices, image-sha384") \
	X(ENCLAVE, "enclave-principal", 0, LIST("ARN") CMDS(GEN | MERGE), "a role whose calls must carry attestation") \
	X(ADMIN, "admin", 0, LIST("ARN") CMDS(GEN), "a key administrator") \
	X(ENCRYPT, "encrypt-principal", 0, LIST("ARN") CMDS(GEN), "a data owner, allowed kms:Encrypt") \
	X(ACCOUNT, "account", 0, STR("ID") CMDS(GEN), "add the account's root statement (12 digits)") \
	X(NO_ROOT, "no-root-statement", 0, FLAG CMDS(GEN), "no root statement, even with --account") \
	X(ALLOW, "allow", 0, STR("LIST") COMPLETE(OPS) CMDS(GEN | MERGE), \
	  "operations the enclave may call (default decrypt)") \
	X(STYLE, "style", 0, CHOICE("STYLE", POLICY_STYLES) CMDS(GEN | MERGE), \
	  "deny only the enclave roles (allow) or everybody (deny)") \
	X(DEBUG, "debug-mode", 0, FLAG CMDS(GEN | MERGE), "also admit debug-mode enclaves (all-zero PCRs)") \
	X(SID_PREFIX, "sid-prefix", 0, STR("PREFIX") CMDS(GEN | MERGE), "Sid prefix of the enclave's statements") \
	X(STATEMENTS, "statements", 0, FLAG CMDS(GEN), "print only the statements, as a JSON array") \
	X(MERGE, "merge", 0, FILE("FILE") MODE(1) STDIN, "update this key policy") \
	X(ADD, "add", 0, FLAG CMDS(MERGE) EXCL(1), "with --merge: keep the old values next to the new") \
	X(REPLACE, "replace", 0, FLAG CMDS(MERGE) EXCL(1), "with --merge: replace the old values (default)") \
	X(CHECK, "check", 0, FILE("FILE") MODE(2), "lint a key policy") \
	X(OUTPUT, "output", 'o', FILE("FILE"), "write to FILE (atomically) instead of stdout")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "policy-gen",
	.usage = "[OPTIONS] [--statements | --merge FILE | --check FILE] [-o FILE]",
	.summary = "Write, update or lint KMS key policies that admit only an attested enclave.",
	.opts = opts,  /* no operands */
	.commands = "generate|merge|check",
	.modes = 1,
};

struct ctx {
	const struct cli *cli;
	struct policy_spec s;
	struct policy_values values;  /* --pcr, --pcr0, --image-sha384, in command-line order */
	struct policy_use use;
	const char *out;              /* --output or "-" */
	int lint_errors;
};

static int principals(const struct cli *c, int id, struct policy_strs *l, struct nk_err *err)
{
	size_t n;
	char *const *v = cli_list(c, id, &n);
	int rc;

	for (size_t i = 0; i < n; i++)
		if ((rc = policy_principal_add(l, cli_name(c, id), v[i], err)))
			return rc;
	return NK_OK;
}

/* The values of the options into the spec, then what the table cannot say. */
static int take_values(struct ctx *x, struct nk_err *err)
{
	static const int value_ids[] = { OPT_PCR, OPT_PCR0, OPT_IMAGE_SHA384, 0 };
	const struct cli *c = x->cli;
	const char *use = cli_str(c, OPT_USE), *ops = cli_str(c, OPT_ALLOW);
	const char *account = cli_str(c, OPT_ACCOUNT), *prefix = cli_str(c, OPT_SID_PREFIX), *v;
	unsigned pos = 0;
	int id, rc;

	while ((id = cli_next(c, value_ids, &pos, &v)))
		if ((rc = policy_values_arg(&x->values, cli_name(c, id), v, err)))
			return rc;
	if ((use && (rc = policy_use_parse(use, &x->use, err))) ||
	    (rc = principals(c, OPT_ENCLAVE, &x->s.enclave, err)) ||
	    (rc = principals(c, OPT_ADMIN, &x->s.admins, err)) ||
	    (rc = principals(c, OPT_ENCRYPT, &x->s.encrypters, err)) ||
	    (account && (rc = policy_account_parse(account, x->s.account, err))) ||
	    (ops && (rc = policy_ops_parse(ops, &x->s.ops, err))) ||
	    (prefix && (rc = policy_prefix_parse(prefix, &x->s.prefix, err))))
		return rc;
	x->s.style = cli_pick(c, OPT_STYLE, POLICY_STYLE_UNSET);
	x->s.no_root = cli_given(c, OPT_NO_ROOT);
	x->s.debug = cli_given(c, OPT_DEBUG);
	if (!cli_given(c, OPT_MEASUREMENTS) && !policy_values_keys(&x->values))
		return err_set(err, NK_USAGE, "no attestation values: give --measurements, --pcr, --pcr0 or --image-sha384");
	if (!cli_given(c, OPT_MERGE) && !x->s.enclave.n)
		return err_set(err, NK_USAGE, "--enclave-principal is needed");
	return NK_OK;
}

/* One line of --check's output per finding. */
static int print_finding(void *f, const char *level, const char *where, const char *msg,
			 struct nk_err *err)
{
	if (fprintf(f, "%s: %s: %s\n", level, where, msg) < 0)
		return err_set(err, NK_IO, "write error:");
	return NK_OK;
}

/* --check: the findings go to stdout (or -o); error-level ones make exit 1. */
static int check(struct ctx *x, struct nk_err *err)
{
	unsigned char *in = NULL;
	char *text = NULL;
	size_t len, tlen = 0;
	int rc = io_read_all(cli_str(x->cli, OPT_CHECK), JSONX_MAX, &in, &len, err);
	FILE *f = rc ? NULL : open_memstream(&text, &tlen);

	if (!rc && !f)
		rc = err_set(err, NK_IO, "out of memory");
	if (f) {
		rc = policy_check(in, len, print_finding, f, &x->lint_errors, err);
		if (fclose(f) == EOF && !rc)
			rc = err_set(err, NK_IO, "out of memory");
	}
	if (!rc)
		rc = io_write_file(x->out, text ? text : "", tlen, 0644, err);
	free(in);
	free(text);
	return rc;
}

static void warn(const struct ctx *x)
{
	if (policy_spec_ops(&x->s) & POLICY_GENERATE_RANDOM)
		cli_warn("kms:GenerateRandom has no key: a key policy cannot grant it; put the same condition in an IAM policy");
	if (x->s.debug)
		cli_warn("--debug-mode admits any debug-mode enclave (all-zero PCRs): never use this policy in production");
	if (!cli_given(x->cli, OPT_MERGE) && !cli_given(x->cli, OPT_STATEMENTS) && !x->s.admins.n &&
	    (!x->s.account[0] || x->s.no_root))
		cli_warn("no %s or --admin: nobody can change this key policy afterwards",
			 x->s.account[0] ? "root statement" : "--account");
}

static int run(struct ctx *x, struct nk_err *err)
{
	const struct cli *c = x->cli;
	const char *merge = cli_str(c, OPT_MERGE);
	int statements = cli_given(c, OPT_STATEMENTS);
	char *text = NULL;
	json_t *doc = NULL;
	size_t len;
	int rc;

	x->out = cli_given(c, OPT_OUTPUT) ? cli_str(c, OPT_OUTPUT) : "-";
	if (cli_given(c, OPT_CHECK))
		return check(x, err);
	if ((rc = take_values(x, err)) ||
	    (rc = policy_values_load(&x->s.values, cli_str(c, OPT_MEASUREMENTS), &x->use, &x->values, err)) ||
	    (x->s.debug && (rc = policy_values_debug(&x->s.values, err))))
		return rc;
	if (merge) {
		if (!(rc = policy_load_file(merge, &doc, err)))
			rc = policy_merge(doc, io_name(merge), &x->s, cli_given(c, OPT_ADD), err);
	} else if (!(doc = statements ? policy_statements(&x->s) : policy_document(&x->s)))
		rc = err_set(err, NK_IO, "out of memory");
	if (!rc) {
		warn(x);
		if (!(rc = policy_render(doc, !statements, &text, &len, err)))
			rc = io_write_file(x->out, text, len, 0644, err);
	}
	json_decref(doc);
	free(text);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c;
	struct ctx x = { .cli = &c };
	struct nk_err err = { 0 };
	int rc = cli_start(&tool, argc, argv, &c, &err);

	if (rc == NK_OK)
		rc = run(&x, &err);
	policy_spec_free(&x.s);
	policy_values_free(&x.values);
	cli_free(&c);
	/* A failed lint is a verdict, already explained on stdout: no error line. */
	rc = cli_finish(rc, &err);
	return rc ? rc : x.lint_errors > 0 ? NK_NEGATIVE : NK_OK;
}
