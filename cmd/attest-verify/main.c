/* attest-verify: check a Nitro attestation document (DESIGN §4.4) against the
 * pinned root, at a chosen time, and against the caller's expectations; or
 * decide a KMS key policy for it. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/attest.h"
#include "attest/attest_expect.h"
#include "attest/attest_json.h"
#include "attest/attest_time.h"
#include "attest/attest_verify.h"
#include "tool/cli.h"
#include "util/enc.h"
#include "util/io.h"
#include "util/jsonx.h"
#include "tool/out.h"
#include "policy/policy_attest.h"
#include "policy/policy_eval.h"
#include "tool/attest_out.h"

/* Modes: verify (default) and decode (--no-verify), which checks nothing and
 * so takes no root and no expectation. */
#define VERIFY 1u
#define MAX_AGE_MAX (100UL * 365 * 86400)
#define HEX_MAX (2 * ATTEST_FIELD_MAX)

#define OPTIONS(X) \
	X(ROOT, "root", 0, FILE("PEM") CMDS(VERIFY) STDIN, "pin this root certificate instead of AWS's Nitro root G1") \
	X(AT, "at", 0, STR("TIME"), "verify at now (default), doc (its timestamp) or an RFC 3339 time") \
	X(MAX_AGE, "max-age", 0, UINT("SECONDS", 0, MAX_AGE_MAX) CMDS(VERIFY), \
	  "fail when the document is older than this") \
	X(EXPECT_PCR, "expect-pcr", 0, LIST("N=HEX") CMDS(VERIFY), "expect PCR N to hold HEX (repeatable)") \
	X(MEASUREMENTS, "measurements", 0, FILE("FILE") CMDS(VERIFY) STDIN, \
	  "expect every PCR of pcr-compute's output") \
	X(NONCE_HEX, "nonce-hex", 0, STR_MAX("HEX", HEX_MAX) EMPTY_OK CMDS(VERIFY), "expect this nonce") \
	X(USER_DATA_HEX, "user-data-hex", 0, STR_MAX("HEX", HEX_MAX) EMPTY_OK CMDS(VERIFY), "expect this user data") \
	X(PUBLIC_KEY, "public-key", 0, FILE("FILE") CMDS(VERIFY) STDIN, "expect this public key (PEM or DER)") \
	X(ALLOW_DEBUG, "allow-debug", 0, FLAG, "accept a debug-mode document with PCR expectations") \
	X(NO_VERIFY, "no-verify", 0, FLAG MODE(1), "only decode: check nothing") \
	X(FORMAT, "format", 'f', CHOICE("FMT", "json|text"), "output format: json (default) or text") \
	X(POLICY, "policy", 0, FILE("FILE") NEEDS(ACTION) STDIN, "decide this key policy for the document instead") \
	X(ACTION, "action", 0, STR("ACTION") NEEDS(POLICY), "the action --policy decides, e.g. kms:Decrypt") \
	X(PRINCIPAL, "principal", 0, STR("ARN") NEEDS(POLICY), "the caller --policy decides for")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
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
	.commands = "verify|decode",
	.modes = 1,
};

enum { AT_NOW, AT_DOC, AT_TIME };  /* --at */
struct ctx {
	int at;  /* AT_TIME: the time is in e.at_ms */
	struct attest_expect e;
	unsigned char nonce[ATTEST_FIELD_MAX], user_data[ATTEST_FIELD_MAX], *pubkey;
};

static int hex_opt(const struct cli *c, int id, unsigned char *buf, struct attest_bytes *b, struct nk_err *err)
{
	const char *arg = cli_str(c, id);
	size_t n = 0;

	if (!arg)
		return NK_OK;
	if (enc_unhex(arg, buf, ATTEST_FIELD_MAX, &n, err)) {
		err->code = NK_USAGE;
		return err_prefix(err, "invalid value '%.32s%s' for --%s", arg, strlen(arg) > 32 ? "..." : "",
				  cli_name(c, id));
	}
	*b = (struct attest_bytes){ buf, n, 1 };
	return NK_OK;
}

/* The time and the expectations of the command line. */
static int expect(const struct cli *c, struct ctx *x, struct nk_err *err)
{
	const char *at = cli_str(c, OPT_AT);
	size_t npcr;
	char *const *pcr = cli_list(c, OPT_EXPECT_PCR, &npcr);
	int rc;

	x->e.allow_debug = cli_given(c, OPT_ALLOW_DEBUG);
	x->e.max_age = cli_given(c, OPT_MAX_AGE) ? (int64_t)cli_num(c, OPT_MAX_AGE, 0) : -1;
	x->at = !at || strcmp(at, "now") == 0 ? AT_NOW : strcmp(at, "doc") == 0 ? AT_DOC : AT_TIME;
	if (x->at == AT_TIME && (rc = attest_parse_time(at, &x->e.at_ms, err)))
		return rc;
	for (size_t i = 0; i < npcr; i++)
		if ((rc = attest_expect_pcr_arg(&x->e, pcr[i], err)))
			return rc;
	if ((rc = hex_opt(c, OPT_NONCE_HEX, x->nonce, &x->e.nonce, err)))
		return rc;
	return hex_opt(c, OPT_USER_DATA_HEX, x->user_data, &x->e.user_data, err);
}

/* Everything given besides the document, checked and loaded before it is read. */
static int prepare(const struct cli *c, struct ctx *x, struct attest_verifier *v, json_t **policy,
		   struct nk_err *err)
{
	const char *root = cli_str(c, OPT_ROOT), *meas = cli_str(c, OPT_MEASUREMENTS);
	const char *pub = cli_str(c, OPT_PUBLIC_KEY), *pol = cli_str(c, OPT_POLICY);
	unsigned char *pem = NULL;
	char label[128];
	size_t n = 0;
	int rc;

	if ((rc = expect(c, x, err)) || (meas && (rc = attest_expect_measurements(&x->e, meas, err))))
		return rc;
	if (pub && (rc = io_read_all(pub, 65536, &x->pubkey, &n, err)))
		return rc;
	x->e.public_key = (struct attest_bytes){ x->pubkey, n, x->pubkey != NULL };
	if (pol && (rc = jsonx_load(pol, policy, err)))
		return rc;
	if (cli_given(c, OPT_NO_VERIFY) || (root && (rc = io_read_all(root, 65536, &pem, &n, err))))
		return rc;
	snprintf(label, sizeof label, "'%s'", root ? root : "");
	rc = attest_verifier_init(v, (const char *)pem, n, label, err);
	free(pem);
	return rc;
}

static int decide(const struct cli *c, const json_t *policy, const struct attest_parsed *p, int *deny,
		  struct nk_err *err)
{
	struct policy_attest_ctx ac;
	struct policy_ctx_kv kv[POLICY_ATTEST_CTX_MAX];
	struct policy_request r = { cli_str(c, OPT_ACTION), cli_str(c, OPT_PRINCIPAL), kv, policy_attest_context(p, &ac) };
	struct policy_decision d;
	char sid[160] = "";
	int rc;

	for (size_t i = 0; i < r.nctx; i++)
		kv[i] = (struct policy_ctx_kv){ ac.key[i], ac.value[i] };
	if ((rc = policy_eval(policy, &r, &d, err)))
		return err_prefix(err, "'%s'", io_name(cli_str(c, OPT_POLICY)));
	if (d.effect != POLICY_IMPLICIT_DENY)
		snprintf(sid, sizeof sid, ": statement '%s'", d.sid);
	printf("%s%s%s%s%s\n", policy_effect_name(d.effect), sid, *d.why ? ": " : "", d.why,
	       r.principal ? "" : " (principal not checked)");
	*deny = d.effect != POLICY_ALLOW;
	return NK_OK;
}

static int run(const struct cli *c, int *deny, struct nk_err *err)
{
	const char *path = c->argv[0];
	int no_verify = cli_given(c, OPT_NO_VERIFY);
	struct ctx x = { 0 };
	struct attest_verifier v = { 0 };
	struct attest_parsed p = { 0 };
	struct attest_checks checks = { 0 };
	json_t *policy = NULL, *out = NULL;
	unsigned char *doc = NULL;
	struct timespec now;
	size_t len = 0;
	int rc;

	if ((rc = prepare(c, &x, &v, &policy, err)))
		goto out;
	if ((rc = attest_read(path, &doc, &len, err)) || (rc = attest_parse(doc, len, &p, err))) {
		if (rc == NK_DATA)
			err_prefix(err, "'%s': malformed document", io_name(path));
		goto out;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	if (x.at != AT_TIME)
		x.e.at_ms = x.at == AT_DOC ? (int64_t)p.doc.timestamp
			    : (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (no_verify)
		cli_trace("not verified: --no-verify only decodes the document");
	else if ((rc = attest_verify(&v, &p, (time_t)(x.e.at_ms / 1000), &checks, err)) ||
		 (rc = attest_check_expectations(&p, &x.e, &checks, err)))
		goto out;
	if (policy)
		rc = decide(c, policy, &p, deny, err);
	else if (!(rc = attest_to_json(&p, !no_verify, &checks, &out, err)))
		rc = cli_pick(c, OPT_FORMAT, 0) ? attest_out_text(out, stdout, err) : out_json(out, err);
out:
	json_decref(out);
	json_decref(policy);
	attest_parsed_free(&p);
	attest_verifier_free(&v);
	free(x.pubkey);
	free(doc);
	return rc;
}

int main(int argc, char **argv)
{
	struct cli c;
	struct nk_err err = { 0 };
	int deny = 0, rc = cli_start(&tool, argc, argv, &c, &err);

	if (rc == NK_OK)
		rc = run(&c, &deny, &err);
	cli_free(&c);
	rc = cli_finish(rc, &err);
	return rc == NK_OK && deny ? NK_NEGATIVE : rc;
}
