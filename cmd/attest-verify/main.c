/* attest-verify: check a Nitro attestation document (DESIGN §4.4) against the
 * pinned root, at a chosen time, and against the caller's expectations; or
 * decide a KMS key policy for it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/attest.h"
#include "tool/cli.h"
#include "util/enc.h"
#include "util/io.h"
#include "util/jsonx.h"
#include "tool/out.h"
#include "policy/policy_eval.h"

#define OPTIONS(X) \
	X(ROOT, "root", 0, STR, "PEM", "file", "pin this root certificate instead of AWS's Nitro root G1") \
	X(AT, "at", 0, STR, "TIME", NULL, "verify at now (default), doc (its timestamp) or an RFC 3339 time") \
	X(MAX_AGE, "max-age", 0, STR, "SECONDS", NULL, "fail when the document is older than this") \
	X(EXPECT_PCR, "expect-pcr", 0, LIST, "N=HEX", NULL, "expect PCR N to hold HEX (repeatable)") \
	X(MEASUREMENTS, "measurements", 0, STR, "FILE", "file", "expect every PCR of pcr-compute's output") \
	X(NONCE_HEX, "nonce-hex", 0, STR, "HEX", NULL, "expect this nonce") \
	X(USER_DATA_HEX, "user-data-hex", 0, STR, "HEX", NULL, "expect this user data") \
	X(PUBLIC_KEY, "public-key", 0, STR, "FILE", "file", "expect this public key (PEM or DER)") \
	X(ALLOW_DEBUG, "allow-debug", 0, FLAG, NULL, NULL, "accept a debug-mode document with PCR expectations") \
	X(NO_VERIFY, "no-verify", 0, FLAG, NULL, NULL, "only decode: check nothing") \
	X(FORMAT, "format", 'f', STR, "FMT", "json|text", "output format: json (default) or text") \
	X(POLICY, "policy", 0, STR, "FILE", "file", "decide this key policy for the document instead") \
	X(ACTION, "action", 0, STR, "ACTION", NULL, "the action --policy decides, e.g. kms:Decrypt") \
	X(PRINCIPAL, "principal", 0, STR, "ARN", NULL, "the caller --policy decides for")

enum { OPT_NONE, OPTIONS(CLI_ENUM) OPT_COUNT };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "attest-verify",
	.usage = "[OPTIONS] FILE|-",
	.summary = "Verify a Nitro Enclaves attestation document: its structure, the AWS root,\n"
		   "the certificate chain, the signature and the PCRs, nonce and keys expected.",
	.operands = "file",
	.opts = opts,
	.min_args = 1,
	.max_args = 1,
};

enum { AT_NOW, AT_DOC, AT_TIME };  /* --at */
struct ctx {
	const char *arg[OPT_COUNT];  /* string options by id */
	int format, no_verify, npcr, at;  /* AT_TIME: the time is in e.at_ms */
	struct attest_expect e;
	unsigned char nonce[ATTEST_FIELD_MAX], user_data[ATTEST_FIELD_MAX], *pubkey;
};

static int hex_opt(const char *arg, int id, unsigned char *buf, struct attest_bytes *b, struct nk_err *err)
{
	size_t n = 0;

	if (enc_unhex(arg, buf, ATTEST_FIELD_MAX, &n, err)) {
		err->code = NK_USAGE;
		return err_prefix(err, "invalid value '%.32s%s' for --%s", arg, strlen(arg) > 32 ? "..." : "",
				  opts[id - 1].name);
	}
	*b = (struct attest_bytes){ buf, n, 1 };
	return NK_OK;
}

static int on_opt(void *p, int id, const char *arg, struct nk_err *err)
{
	struct ctx *c = p;
	unsigned long i;

	switch (id) {
	case OPT_ALLOW_DEBUG: c->e.allow_debug = 1; return NK_OK;
	case OPT_NO_VERIFY: c->no_verify = 1; return NK_OK;
	case OPT_FORMAT: return cli_choice(arg, "json|text", "format", &c->format, err);
	case OPT_NONCE_HEX: return hex_opt(arg, id, c->nonce, &c->e.nonce, err);
	case OPT_USER_DATA_HEX: return hex_opt(arg, id, c->user_data, &c->e.user_data, err);
	case OPT_MAX_AGE:
		return cli_uint(arg, 0, 100UL * 365 * 86400, "max-age", &i, err) ? NK_USAGE
			: (c->e.max_age = (int64_t)i, NK_OK);
	case OPT_AT:
		c->at = strcmp(arg, "now") == 0 ? AT_NOW : strcmp(arg, "doc") == 0 ? AT_DOC : AT_TIME;
		return c->at == AT_TIME ? attest_parse_time(arg, &c->e.at_ms, err) : NK_OK;
	case OPT_EXPECT_PCR: c->npcr++; return attest_expect_pcr_arg(&c->e, arg, err);
	}
	if (*arg == '\0')
		return err_set(err, NK_USAGE, "--%s must not be empty", opts[id - 1].name);
	free((char *)c->arg[id]);
	if (!(c->arg[id] = strdup(arg)))
		return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

/* Everything given besides the document, checked and loaded before it is read. */
static int prepare(struct ctx *c, struct attest_verifier *v, json_t **policy, struct nk_err *err)
{
	const char **a = c->arg;
	unsigned char *pem = NULL;
	char label[128];
	size_t n = 0;
	int rc = NK_OK;

	if (!a[OPT_POLICY] != !a[OPT_ACTION] || (a[OPT_PRINCIPAL] && !a[OPT_POLICY]))
		return err_set(err, NK_USAGE, "--policy needs --action, and --action and --principal need --policy");
	if (c->no_verify && (c->npcr || a[OPT_MEASUREMENTS] || c->e.nonce.present || c->e.user_data.present ||
			     a[OPT_PUBLIC_KEY] || c->e.max_age >= 0 || a[OPT_ROOT]))
		return err_set(err, NK_USAGE, "--no-verify checks nothing: it cannot be used with --root or an expectation");
	if (a[OPT_MEASUREMENTS] && (rc = attest_expect_measurements(&c->e, a[OPT_MEASUREMENTS], err)))
		return rc;
	if (a[OPT_PUBLIC_KEY] && (rc = io_read_all(a[OPT_PUBLIC_KEY], 65536, &c->pubkey, &n, err)))
		return rc;
	c->e.public_key = (struct attest_bytes){ c->pubkey, n, c->pubkey != NULL };
	if (a[OPT_POLICY] && (rc = jsonx_load(a[OPT_POLICY], policy, err)))
		return rc;
	if (c->no_verify || (a[OPT_ROOT] && (rc = io_read_all(a[OPT_ROOT], 65536, &pem, &n, err))))
		return rc;
	snprintf(label, sizeof label, "'%s'", a[OPT_ROOT] ? a[OPT_ROOT] : "");
	rc = attest_verifier_init(v, (const char *)pem, n, label, err);
	free(pem);
	return rc;
}

static int decide(const struct ctx *c, const json_t *policy, const struct attest_parsed *p, int *deny,
		  struct nk_err *err)
{
	struct attest_ctx ac;
	struct policy_ctx_kv kv[ATTEST_CTX_MAX];
	struct policy_request r = { c->arg[OPT_ACTION], c->arg[OPT_PRINCIPAL], kv, attest_context(p, &ac) };
	struct policy_decision d;
	char sid[160] = "";
	int rc;

	for (size_t i = 0; i < r.nctx; i++)
		kv[i] = (struct policy_ctx_kv){ ac.key[i], ac.value[i] };
	if ((rc = policy_eval(policy, &r, &d, err)))
		return err_prefix(err, "'%s'", io_name(c->arg[OPT_POLICY]));
	if (d.effect != POLICY_IMPLICIT_DENY)
		snprintf(sid, sizeof sid, ": statement '%s'", d.sid);
	printf("%s%s%s%s%s\n", policy_effect_name(d.effect), sid, *d.why ? ": " : "", d.why,
	       r.principal ? "" : " (principal not checked)");
	*deny = d.effect != POLICY_ALLOW;
	return NK_OK;
}

static int run(struct ctx *c, const char *path, int *deny, struct nk_err *err)
{
	struct attest_verifier v = { 0 };
	struct attest_parsed p = { 0 };
	struct attest_checks checks = { 0 };
	json_t *policy = NULL, *out = NULL;
	unsigned char *doc = NULL;
	struct timespec now;
	size_t len = 0;
	int rc;

	if ((rc = prepare(c, &v, &policy, err)))
		goto out;
	if ((rc = attest_read(path, &doc, &len, err)) || (rc = attest_parse(doc, len, &p, err))) {
		if (rc == NK_DATA)
			err_prefix(err, "'%s': malformed document", io_name(path));
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (c->at != AT_TIME)
		c->e.at_ms = c->at == AT_DOC ? (int64_t)p.doc.timestamp
			     : (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (c->no_verify)
		cli_trace("not verified: --no-verify only decodes the document");
	else if ((rc = attest_verify(&v, &p, (time_t)(c->e.at_ms / 1000), &checks, err)) ||
		 (rc = attest_check_expectations(&p, &c->e, &checks, err)))
		goto out;
	if (policy)
		rc = decide(c, policy, &p, deny, err);
	else if (!(rc = attest_to_json(&p, !c->no_verify, &checks, &out, err)))
		rc = c->format ? attest_print_text(out, stdout, err) : out_json(out, err);
out:
	json_decref(out);
	json_decref(policy);
	attest_parsed_free(&p);
	attest_verifier_free(&v);
	free(doc);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = { .e.max_age = -1 };
	struct cli_args args;
	struct nk_err err = { 0 };
	int rc, deny = 0;

	rc = cli_start(&tool, argc, argv, on_opt, &c, &args, &err);
	if (rc == NK_OK)
		rc = run(&c, args.v[0], &deny, &err);
	cli_args_free(&args);
	for (size_t i = 0; i < OPT_COUNT; i++)
		free((char *)c.arg[i]);
	free(c.pubkey);
	rc = cli_finish(rc, &err);
	return rc == NK_OK && deny ? NK_NEGATIVE : rc;
}
