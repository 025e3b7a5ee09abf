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

#define OPTIONS(X) \
	X(MEASUREMENTS, "measurements", 'm', STR, "FILE", "file", "pcr-compute's or eif_build's measurements (JSON)") \
	X(PCR, "pcr", 0, LIST, "N=HEX", NULL, "a value of PCR N (0-31); several for one N are OR'ed") \
	X(PCR0, "pcr0", 0, LIST, "HEX", NULL, "a value of PCR0, as --pcr 0=HEX") \
	X(IMAGE_SHA384, "image-sha384", 0, LIST, "HEX", NULL, "a PCR0 value, written under ImageSha384") \
	X(USE, "use", 0, STR, "LIST", NULL, "PCRs of --measurements to use: indices, image-sha384") \
	X(ENCLAVE, "enclave-principal", 0, LIST, "ARN", NULL, "a role whose calls must carry attestation") \
	X(ADMIN, "admin", 0, LIST, "ARN", NULL, "a key administrator") \
	X(ENCRYPT, "encrypt-principal", 0, LIST, "ARN", NULL, "a data owner, allowed kms:Encrypt") \
	X(ACCOUNT, "account", 0, STR, "ID", NULL, "add the account's root statement (12 digits)") \
	X(NO_ROOT, "no-root-statement", 0, FLAG, NULL, NULL, "no root statement, even with --account") \
	X(ALLOW, "allow", 0, STR, "LIST", "decrypt|generate-data-key|generate-data-key-pair|generate-random|" \
	  "derive-shared-secret", "operations the enclave may call (default decrypt)") \
	X(STYLE, "style", 0, STR, "STYLE", POLICY_STYLES, "deny only the enclave roles (allow) or everybody (deny)") \
	X(DEBUG, "debug-mode", 0, FLAG, NULL, NULL, "also admit debug-mode enclaves (all-zero PCRs)") \
	X(SID_PREFIX, "sid-prefix", 0, STR, "PREFIX", NULL, "Sid prefix of the enclave's statements") \
	X(STATEMENTS, "statements", 0, FLAG, NULL, NULL, "print only the statements, as a JSON array") \
	X(MERGE, "merge", 0, STR, "FILE", "file", "update this key policy") \
	X(ADD, "add", 0, FLAG, NULL, NULL, "with --merge: keep the old values next to the new") \
	X(REPLACE, "replace", 0, FLAG, NULL, NULL, "with --merge: replace the old values (default)") \
	X(CHECK, "check", 0, STR, "FILE", "file", "lint a key policy") \
	X(OUTPUT, "output", 'o', STR, "FILE", "file", "write to FILE (atomically) instead of stdout")

enum { OPT_NONE, OPTIONS(CLI_ENUM) OPT_COUNT };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "policy-gen",
	.usage = "[OPTIONS] [--statements | --merge FILE | --check FILE] [-o FILE]",
	.summary = "Write, update or lint KMS key policies that admit only an attested enclave.",
	.opts = opts,  /* no operands */
};

struct ctx {
	struct policy_spec s;
	struct policy_values cli;  /* --pcr, --pcr0, --image-sha384, in command-line order */
	struct policy_use use;
	char *path[OPT_COUNT];     /* --measurements, --merge, --check, --output */
	uint64_t seen;
	const char *out;           /* --output or "-" */
	int lint_errors;
};

#define given(c, id) ((int)((c)->seen >> (id) & 1))

static int on_opt(void *p, int id, const char *arg, struct nk_err *err)
{
	struct ctx *c = p;

	c->seen |= (uint64_t)1 << id;
	switch (id) {
	case OPT_PCR: return policy_values_arg(&c->cli, "pcr", arg, err);
	case OPT_PCR0: return policy_values_arg(&c->cli, "pcr0", arg, err);
	case OPT_IMAGE_SHA384: return policy_values_arg(&c->cli, "image-sha384", arg, err);
	case OPT_USE: return policy_use_parse(arg, &c->use, err);
	case OPT_ENCLAVE: return policy_principal_add(&c->s.enclave, "enclave-principal", arg, err);
	case OPT_ADMIN: return policy_principal_add(&c->s.admins, "admin", arg, err);
	case OPT_ENCRYPT: return policy_principal_add(&c->s.encrypters, "encrypt-principal", arg, err);
	case OPT_ACCOUNT: return policy_account_parse(arg, c->s.account, err);
	case OPT_NO_ROOT: c->s.no_root = 1; return NK_OK;
	case OPT_ALLOW: return policy_ops_parse(arg, &c->s.ops, err);
	case OPT_STYLE: return cli_choice(arg, POLICY_STYLES, "style", &c->s.style, err);
	case OPT_DEBUG: c->s.debug = 1; return NK_OK;
	case OPT_SID_PREFIX: return policy_prefix_parse(arg, &c->s.prefix, err);
	case OPT_MEASUREMENTS: case OPT_MERGE: case OPT_CHECK: case OPT_OUTPUT:
		if (!*arg)
			return err_set(err, NK_USAGE, "invalid value '' for --%s: expected a file name or -", opts[id - 1].name);
		return (c->path[id] = strdup(arg)) ? NK_OK : err_set(err, NK_IO, "out of memory");
	}
	return NK_OK;
}

static int excl(const struct ctx *c, int a, int b, struct nk_err *err)
{
	if (given(c, a) && given(c, b))
		return err_set(err, NK_USAGE, "--%s does not go with --%s", opts[a - 1].name, opts[b - 1].name);
	return NK_OK;
}

static int validate(const struct ctx *c, struct nk_err *err)
{
	int rc = NK_OK;

	for (int id = 1; id < OPT_COUNT && !rc; id++) {
		if (id != OPT_CHECK && id != OPT_OUTPUT)
			rc = excl(c, id, OPT_CHECK, err);
		if (!rc && (id == OPT_STATEMENTS || id == OPT_ACCOUNT || id == OPT_NO_ROOT || id == OPT_ADMIN ||
			    id == OPT_ENCRYPT))
			rc = excl(c, id, OPT_MERGE, err);
	}
	if (rc || given(c, OPT_CHECK) || (rc = excl(c, OPT_ADD, OPT_REPLACE, err)))
		return rc;
	if ((given(c, OPT_ADD) || given(c, OPT_REPLACE)) && !given(c, OPT_MERGE))
		return err_set(err, NK_USAGE, "--%s needs --merge", given(c, OPT_ADD) ? "add" : "replace");
	if (given(c, OPT_MERGE) && given(c, OPT_MEASUREMENTS) && !strcmp(c->path[OPT_MERGE], "-") &&
	    !strcmp(c->path[OPT_MEASUREMENTS], "-"))
		return err_set(err, NK_USAGE, "--measurements and --merge cannot both read standard input");
	if (given(c, OPT_USE) && !given(c, OPT_MEASUREMENTS))
		return err_set(err, NK_USAGE, "--use needs --measurements");
	if (!given(c, OPT_MEASUREMENTS) && !policy_values_keys(&c->cli))
		return err_set(err, NK_USAGE, "no attestation values: give --measurements, --pcr, --pcr0 or --image-sha384");
	if (!given(c, OPT_MERGE) && !c->s.enclave.n)
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
static int check(struct ctx *c, struct nk_err *err)
{
	unsigned char *in = NULL;
	char *text = NULL;
	size_t len, tlen = 0;
	int rc = io_read_all(c->path[OPT_CHECK], JSONX_MAX, &in, &len, err);
	FILE *f = rc ? NULL : open_memstream(&text, &tlen);

	if (!rc && !f)
		rc = err_set(err, NK_IO, "out of memory");
	if (f) {
		rc = policy_check(in, len, print_finding, f, &c->lint_errors, err);
		if (fclose(f) == EOF && !rc)
			rc = err_set(err, NK_IO, "out of memory");
	}
	if (!rc)
		rc = io_write_file(c->out, text ? text : "", tlen, 0644, err);
	free(in);
	free(text);
	return rc;
}

static void warn(const struct ctx *c)
{
	if (policy_spec_ops(&c->s) & POLICY_GENERATE_RANDOM)
		cli_warn("kms:GenerateRandom has no key: a key policy cannot grant it; put the same condition in an IAM policy");
	if (c->s.debug)
		cli_warn("--debug-mode admits any debug-mode enclave (all-zero PCRs): never use this policy in production");
	if (!given(c, OPT_MERGE) && !given(c, OPT_STATEMENTS) && !c->s.admins.n && (!c->s.account[0] || c->s.no_root))
		cli_warn("no %s or --admin: nobody can change this key policy afterwards",
			 c->s.account[0] ? "root statement" : "--account");
}

static int run(struct ctx *c, struct nk_err *err)
{
	const char *merge = c->path[OPT_MERGE];
	char *text = NULL;
	json_t *doc = NULL;
	size_t len;
	int rc;

	c->out = c->path[OPT_OUTPUT] ? c->path[OPT_OUTPUT] : "-";
	if (c->path[OPT_CHECK])
		return check(c, err);
	if ((rc = policy_values_load(&c->s.values, c->path[OPT_MEASUREMENTS], &c->use, &c->cli, err)) ||
	    (c->s.debug && (rc = policy_values_debug(&c->s.values, err))))
		return rc;
	if (merge) {
		if (!(rc = policy_load_file(merge, &doc, err)))
			rc = policy_merge(doc, io_name(merge), &c->s, given(c, OPT_ADD), err);
	} else if (!(doc = given(c, OPT_STATEMENTS) ? policy_statements(&c->s) : policy_document(&c->s)))
		rc = err_set(err, NK_IO, "out of memory");
	if (!rc) {
		warn(c);
		if (!(rc = policy_render(doc, !given(c, OPT_STATEMENTS), &text, &len, err)))
			rc = io_write_file(c->out, text, len, 0644, err);
	}
	json_decref(doc);
	free(text);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = { .s.style = POLICY_STYLE_UNSET };
	struct nk_err err = { 0 };
	struct cli_args args;
	int rc = cli_start(&tool, argc, argv, on_opt, &c, &args, &err);

	if (rc == NK_OK && (rc = validate(&c, &err)) == NK_OK)
		rc = run(&c, &err);
	cli_args_free(&args);
	policy_spec_free(&c.s);
	policy_values_free(&c.cli);
	for (int i = 0; i < OPT_COUNT; i++)
		free(c.path[i]);
	/* A failed lint is a verdict, already explained on stdout: no error line. */
	rc = cli_finish(rc, &err);
	return rc ? rc : c.lint_errors > 0 ? NK_NEGATIVE : NK_OK;
}
