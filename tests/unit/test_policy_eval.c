/* The key policy evaluator against DESIGN §4.6 and the rules, table
 * by table; the expected decisions are IAM's documented behaviour (the same
 * tables as tests/fixtures/iam_eval.py's self-test, which is independent of
 * this code), not outputs of the code.
 *
 * With an argument, the binary is the differential driver of
 * tests/cli/policy-eval-differential.bats instead: the file is a JSON array
 * of cases {"policy", "action", "principal", "context": {k: v}, "verdict":
 * "Allow"|"ExplicitDeny"|"ImplicitDeny", "label": Sid|"#N"|null} decided by
 * iam_eval.py; every disagreement is printed and makes the exit status 1. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"
#include "policy/policy_eval.h"

#define X12(s) s s s s s s s s s s s s
#define H96(c) X12(c c c c c c c c)
#define A H96("a")
#define AU H96("A")
#define B H96("b")
#define C H96("c")
#define D H96("d")
#define Z H96("0")
#define ACCT "111122223333"
#define ROLE "arn:aws:iam::" ACCT ":role/enclave"
#define SESSION "arn:aws:sts::" ACCT ":assumed-role/enclave/i-0123456789abcdef0"
#define OTHER "arn:aws:iam::" ACCT ":role/other"
#define ADMIN "arn:aws:iam::" ACCT ":role/admin"
#define FOREIGN "arn:aws:iam::444455556666:role/enclave"
#define K0 "kms:RecipientAttestation:PCR0"
#define K1 "kms:RecipientAttestation:PCR1"
#define IMG "kms:RecipientAttestation:ImageSha384"

/* --- helpers -------------------------------------------------------------- */

/* Policies are written with ' for " to stay readable. */
static json_t *parse(const char *text)
{
	char *s = strdup(text);
	json_error_t je;
	json_t *j;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, 0, &je);
	if (!j)
		fail_msg("bad policy JSON at %d: %s\n%s", je.column, je.text, s);
	free(s);
	return j;
}

#define CTX_MAX 40
struct ctx {
	struct policy_ctx_kv kv[CTX_MAX];
	size_t n;
	char buf[4096];
};

/* "k=v|k=v" (NULL or "": no keys). */
static void ctx_parse(struct ctx *c, const char *spec)
{
	char *save = NULL, *tok;

	c->n = 0;
	if (!spec || !*spec)
		return;
	snprintf(c->buf, sizeof c->buf, "%s", spec);
	for (tok = strtok_r(c->buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		char *eq = strchr(tok, '=');

		assert_non_null(eq);
		assert_true(c->n < CTX_MAX);
		*eq = '\0';
		c->kv[c->n].key = tok;
		c->kv[c->n++].value = eq + 1;
	}
}

static int eval(const char *policy, const char *action, const char *principal, const char *ctx,
		struct policy_decision *d, struct nk_err *err)
{
	struct ctx c;
	json_t *j = parse(policy);
	struct policy_request r = {.action = action, .principal = principal};
	int rc;

	ctx_parse(&c, ctx);
	r.ctx = c.kv;
	r.nctx = c.n;
	rc = policy_eval(j, &r, d, err);
	json_decref(j);
	return rc;
}

static enum policy_effect decide(const char *policy, const char *action, const char *principal, const char *ctx)
{
	struct policy_decision d;
	struct nk_err err = {0};

	if (eval(policy, action, principal, ctx, &d, &err) != NK_OK)
		fail_msg("policy_eval failed: %s\n%s", err.msg, policy);
	return d.effect;
}

/* --- conditions: every operator, with and without IfExists ---------------- */

static const struct {
	const char *op, *values, *got;  /* values: JSON; got: NULL = key absent */
	int held;
} cond_cases[] = {
	{"StringEquals", "'abc'", "abc", 1},
	{"StringEquals", "'abc'", "ABC", 0},
	{"StringEquals", "['x','abc']", "abc", 1},
	{"StringEquals", "['x','y']", "abc", 0},
	{"StringEquals", "'abc'", NULL, 0},
	{"StringEquals", "12", "12", 1},
	{"StringEquals", "true", "true", 1},
	{"StringEquals", "[]", "abc", 0},
	{"StringNotEquals", "'abc'", "abc", 0},
	{"StringNotEquals", "'abc'", "ABC", 1},
	{"StringNotEquals", "['x','abc']", "abc", 0},
	{"StringNotEquals", "['x','y']", "abc", 1},
	{"StringNotEquals", "'abc'", NULL, 1},
	{"StringEqualsIgnoreCase", "'" A "'", AU, 1},
	{"StringEqualsIgnoreCase", "['" B "','" A "']", A, 1},
	{"StringEqualsIgnoreCase", "'" A "'", B, 0},
	{"StringEqualsIgnoreCase", "'" A "'", NULL, 0},
	{"StringNotEqualsIgnoreCase", "'" A "'", AU, 0},
	{"StringNotEqualsIgnoreCase", "['" B "','" A "']", A, 0},
	{"StringNotEqualsIgnoreCase", "['" B "','" Z "']", A, 1},
	{"StringNotEqualsIgnoreCase", "'" A "'", NULL, 1},
	{"StringLike", "'ab*'", "abc", 1},
	{"StringLike", "'a?c'", "abc", 1},
	{"StringLike", "'a?c'", "abbc", 0},
	{"StringLike", "'a*c*'", "abxcx", 1},
	{"StringLike", "'AB*'", "abc", 0},
	{"StringLike", "'a.c'", "abc", 0},
	{"StringLike", "['x*','*c']", "abc", 1},
	{"StringLike", "'*'", "", 1},
	{"StringLike", "'ab*'", NULL, 0},
	{"StringNotLike", "'ab*'", "abc", 0},
	{"StringNotLike", "['x*','y*']", "abc", 1},
	{"StringNotLike", "'ab*'", NULL, 1},
	{"Bool", "'true'", "true", 1},
	{"Bool", "true", "true", 1},
	{"Bool", "false", "false", 1},
	{"Bool", "'true'", "false", 0},
	{"Bool", "'true'", NULL, 0},
	{"Null", "'true'", NULL, 1},
	{"Null", "'true'", "x", 0},
	{"Null", "'false'", NULL, 0},
	{"Null", "'false'", "x", 1},
	{"Null", "true", NULL, 1},
	{"Null", "['false','true']", "x", 1},
	{"StringEqualsIfExists", "'abc'", NULL, 1},
	{"StringEqualsIfExists", "'abc'", "abc", 1},
	{"StringEqualsIfExists", "'abc'", "x", 0},
	{"StringNotEqualsIfExists", "'abc'", NULL, 1},
	{"StringNotEqualsIfExists", "'abc'", "abc", 0},
	{"StringNotEqualsIfExists", "'abc'", "x", 1},
	{"StringEqualsIgnoreCaseIfExists", "'" A "'", NULL, 1},
	{"StringEqualsIgnoreCaseIfExists", "'" A "'", AU, 1},
	{"StringEqualsIgnoreCaseIfExists", "'" A "'", B, 0},
	{"StringNotEqualsIgnoreCaseIfExists", "'" A "'", NULL, 1},
	{"StringNotEqualsIgnoreCaseIfExists", "'" A "'", AU, 0},
	{"StringNotEqualsIgnoreCaseIfExists", "'" A "'", B, 1},
	{"StringLikeIfExists", "'a*'", NULL, 1},
	{"StringLikeIfExists", "'a*'", "abc", 1},
	{"StringLikeIfExists", "'a*'", "xbc", 0},
	{"StringNotLikeIfExists", "'a*'", NULL, 1},
	{"StringNotLikeIfExists", "'a*'", "abc", 0},
	{"StringNotLikeIfExists", "'a*'", "xbc", 1},
	{"BoolIfExists", "'true'", NULL, 1},
	{"BoolIfExists", "'true'", "true", 1},
	{"BoolIfExists", "'true'", "false", 0},
};

/* Each case as an Allow's condition (Allow iff it holds) and as a Deny's
 * next to an unconditional Allow (explicit Deny iff it holds).  The policy
 * spells the key in upper case, the request in lower case. */
static void condition_operators(void **state)
{
	for (size_t i = 0; i < sizeof cond_cases / sizeof cond_cases[0]; i++) {
		char policy[2048], ctx[256];
		const char *got = cond_cases[i].got;

		snprintf(ctx, sizeof ctx, got ? "k:x=%s" : "", got ? got : "");
		snprintf(policy, sizeof policy,
			 "{'Statement':{'Effect':'Allow','Principal':'*','Action':'kms:Decrypt','Resource':'*',"
			 "'Condition':{'%s':{'K:X':%s}}}}", cond_cases[i].op, cond_cases[i].values);
		if (decide(policy, "kms:Decrypt", ROLE, ctx) != (cond_cases[i].held ? POLICY_ALLOW : POLICY_IMPLICIT_DENY))
			fail_msg("case %zu: %s %s on %s should %s", i, cond_cases[i].op, cond_cases[i].values,
				 got ? got : "(absent)", cond_cases[i].held ? "hold" : "fail");
		snprintf(policy, sizeof policy,
			 "{'Statement':[{'Effect':'Allow','Principal':'*','Action':'kms:*','Resource':'*'},"
			 "{'Effect':'Deny','Principal':'*','Action':'kms:Decrypt','Resource':'*',"
			 "'Condition':{'%s':{'K:X':%s}}}]}", cond_cases[i].op, cond_cases[i].values);
		if (decide(policy, "kms:Decrypt", ROLE, ctx) != (cond_cases[i].held ? POLICY_EXPLICIT_DENY : POLICY_ALLOW))
			fail_msg("case %zu (Deny): %s %s on %s should %s", i, cond_cases[i].op, cond_cases[i].values,
				 got ? got : "(absent)", cond_cases[i].held ? "hold" : "fail");
	}
}

/* --- principals ----------------------------------------------------------- */

static const struct {
	const char *principal;  /* the Principal element, JSON */
	const char *caller;
	int match;
} principal_cases[] = {
	{"'*'", ROLE, 1},
	{"{'AWS':'*'}", "anonymous", 1},
	{"{'AWS':'" ROLE "'}", ROLE, 1},
	{"{'AWS':'" ROLE "'}", SESSION, 1},
	{"{'AWS':'" ROLE "'}", "arn:aws:sts::" ACCT ":assumed-role/other/s", 0},
	{"{'AWS':'" ROLE "'}", "arn:aws:sts::444455556666:assumed-role/enclave/s", 0},
	{"{'AWS':'" ROLE "'}", "arn:aws-cn:sts::" ACCT ":assumed-role/enclave/s", 0},
	{"{'AWS':'" ROLE "'}", "arn:aws:sts::" ACCT ":assumed-role/enclave", 0},
	{"{'AWS':'arn:aws:iam::" ACCT ":role/path/enclave'}", "arn:aws:sts::" ACCT ":assumed-role/enclave/s", 1},
	{"{'AWS':'" ROLE "'}", OTHER, 0},
	{"{'AWS':'" ROLE "'}", FOREIGN, 0},
	{"{'AWS':'" OTHER "'}", ROLE, 0},
	{"{'AWS':'" SESSION "'}", SESSION, 1},
	{"{'AWS':'" SESSION "'}", ROLE, 0},
	{"{'AWS':'arn:aws:iam::" ACCT ":root'}", ROLE, 1},
	{"{'AWS':'arn:aws:iam::" ACCT ":root'}", SESSION, 1},
	{"{'AWS':'arn:aws:iam::" ACCT ":root'}", "arn:aws:iam::" ACCT ":user/alice", 1},
	{"{'AWS':'arn:aws:iam::" ACCT ":root'}", FOREIGN, 0},
	{"{'AWS':'arn:aws-cn:iam::" ACCT ":root'}", ROLE, 0},
	{"{'AWS':'arn:aws:iam::" ACCT ":root'}", "anonymous", 0},
	{"{'AWS':'" ACCT "'}", OTHER, 1},
	{"{'AWS':'" ACCT "'}", SESSION, 1},
	{"{'AWS':'444455556666'}", ROLE, 0},
	{"{'AWS':'arn:aws:iam::" ACCT ":user/alice'}", "arn:aws:iam::" ACCT ":user/alice", 1},
	{"{'AWS':'arn:aws:iam::" ACCT ":user/alice'}", "arn:aws:iam::" ACCT ":user/bob", 0},
	{"{'AWS':['" OTHER "','" ROLE "']}", SESSION, 1},
	{"{'AWS':[]}", ROLE, 0},
	{"{'Service':'ec2.amazonaws.com'}", ROLE, 0},
	{"{'Service':'ec2.amazonaws.com','AWS':'" ROLE "'}", ROLE, 1},
};

static void principals(void **state)
{
	for (size_t i = 0; i < sizeof principal_cases / sizeof principal_cases[0]; i++) {
		char policy[1024];

		snprintf(policy, sizeof policy,
			 "{'Statement':[{'Effect':'Allow','Principal':%s,'Action':'kms:Decrypt','Resource':'*'}]}",
			 principal_cases[i].principal);
		if (decide(policy, "kms:Decrypt", principal_cases[i].caller, NULL) !=
		    (principal_cases[i].match ? POLICY_ALLOW : POLICY_IMPLICIT_DENY))
			fail_msg("case %zu: %s should %smatch %s", i, principal_cases[i].principal,
				 principal_cases[i].match ? "" : "not ", principal_cases[i].caller);
		/* NotPrincipal: a Deny for everyone it does not name */
		snprintf(policy, sizeof policy,
			 "{'Statement':[{'Effect':'Allow','Principal':'*','Action':'kms:*','Resource':'*'},"
			 "{'Effect':'Deny','NotPrincipal':%s,'Action':'kms:Decrypt','Resource':'*'}]}",
			 principal_cases[i].principal);
		if (decide(policy, "kms:Decrypt", principal_cases[i].caller, NULL) !=
		    (principal_cases[i].match ? POLICY_ALLOW : POLICY_EXPLICIT_DENY))
			fail_msg("case %zu (NotPrincipal): %s should %smatch %s", i, principal_cases[i].principal,
				 principal_cases[i].match ? "" : "not ", principal_cases[i].caller);
		/* no principal: not checked, every Principal (and NotPrincipal) matches */
		snprintf(policy, sizeof policy,
			 "{'Statement':[{'Effect':'Allow','Principal':%s,'Action':'kms:Decrypt','Resource':'*'}]}",
			 principal_cases[i].principal);
		assert_int_equal(decide(policy, "kms:Decrypt", NULL, NULL), POLICY_ALLOW);
	}
}

/* --- actions -------------------------------------------------------------- */

static const struct {
	const char *patterns, *action;
	int match;
} action_cases[] = {
	{"'kms:*'", "kms:Decrypt", 1},
	{"'*'", "kms:Decrypt", 1},
	{"'kms:decrypt'", "kms:Decrypt", 1},
	{"'KMS:DECRYPT'", "kms:Decrypt", 1},
	{"'kms:Put*'", "kms:PutKeyPolicy", 1},
	{"'kms:Put*'", "kms:Decrypt", 0},
	{"'kms:GenerateDataKey'", "kms:GenerateDataKeyPair", 0},
	{"'kms:GenerateDataKey*'", "kms:GenerateDataKeyPair", 1},
	{"'kms:*Key*'", "kms:GenerateDataKeyPair", 1},
	{"'kms:Decryp?'", "kms:Decrypt", 1},
	{"'kms:Decryp?'", "kms:Decrypts", 0},
	{"'kms:Decrypt?'", "kms:Decrypt", 0},
	{"['kms:Encrypt','kms:Decrypt']", "kms:Decrypt", 1},
	{"['kms:Encrypt','kms:Sign']", "kms:Decrypt", 0},
	{"[]", "kms:Decrypt", 0},
	{"'s3:*'", "kms:Decrypt", 0},
	{"'kms'", "kms:Decrypt", 0},
};

static void actions(void **state)
{
	for (size_t i = 0; i < sizeof action_cases / sizeof action_cases[0]; i++) {
		char policy[1024];

		snprintf(policy, sizeof policy,
			 "{'Statement':[{'Effect':'Allow','Principal':'*','Action':%s,'Resource':'*'}]}",
			 action_cases[i].patterns);
		if (decide(policy, action_cases[i].action, ROLE, NULL) !=
		    (action_cases[i].match ? POLICY_ALLOW : POLICY_IMPLICIT_DENY))
			fail_msg("case %zu: %s should %smatch %s", i, action_cases[i].patterns,
				 action_cases[i].match ? "" : "not ", action_cases[i].action);
		snprintf(policy, sizeof policy,
			 "{'Statement':[{'Effect':'Allow','Principal':'*','NotAction':%s,'Resource':'*'}]}",
			 action_cases[i].patterns);
		if (decide(policy, action_cases[i].action, ROLE, NULL) !=
		    (action_cases[i].match ? POLICY_IMPLICIT_DENY : POLICY_ALLOW))
			fail_msg("case %zu (NotAction): %s should %smatch %s", i, action_cases[i].patterns,
				 action_cases[i].match ? "not " : "", action_cases[i].action);
	}
}

/* --- whole decisions: effect, Sid and why --------------------------------- */

#define ST(sid, effect, princ, action, cond)                                                        \
	"{'Sid':'" sid "','Effect':'" effect "','Principal':" princ ",'Action':" action ",'Resource':'*'" \
	cond "}"
#define COND(c) ",'Condition':" c
#define NOCOND ""
#define ROOT_ST ST("Root", "Allow", "{'AWS':'arn:aws:iam::" ACCT ":root'}", "'kms:*'", NOCOND)
#define POL(x) "{'Version':'2012-10-17','Statement':[" x "]}"
#define GOOD K0 "=" A "|" K1 "=" B

static const struct {
	const char *name, *policy, *action, *principal, *ctx;
	enum policy_effect effect;
	const char *sid, *why;  /* why NULL: not compared */
} decision_cases[] = {
	{"empty policy", POL(""), "kms:Decrypt", ROLE, "", POLICY_IMPLICIT_DENY, "",
	 "no statement allows 'kms:Decrypt' for '" ROLE "'"},
	{"empty policy, principal not checked", POL(""), "kms:Decrypt", NULL, "", POLICY_IMPLICIT_DENY, "",
	 "no statement allows 'kms:Decrypt' for any principal"},
	{"root: any principal of the account (no IAM delegation)", POL(ROOT_ST), "kms:Decrypt", SESSION, "",
	 POLICY_ALLOW, "Root", ""},
	{"root of another account", POL(ROOT_ST), "kms:Decrypt", FOREIGN, "", POLICY_IMPLICIT_DENY, "", NULL},
	{"the first matching Allow decides", POL(ROOT_ST "," ST("E", "Allow", "{'AWS':'" ROLE "'}", "'kms:Decrypt'", NOCOND)),
	 "kms:Decrypt", ROLE, "", POLICY_ALLOW, "Root", ""},
	{"no Sid: #N", POL(ST("", "Deny", "'*'", "'kms:Encrypt'", NOCOND) ","
			   "{'Effect':'Allow','Principal':'*','Action':'kms:Decrypt','Resource':'*'}"),
	 "kms:Decrypt", ROLE, "", POLICY_ALLOW, "#2", ""},
	{"Statement as one object", "{'Statement':{'Sid':'S','Effect':'Allow','Principal':{'AWS':'*'},"
				    "'Action':'kms:Decrypt','Resource':['*']}}",
	 "kms:Decrypt", ROLE, "", POLICY_ALLOW, "S", ""},
	{"allow with every key right", POL(ST("E", "Allow", "{'AWS':'" ROLE "'}", "'kms:Decrypt'",
					      COND("{'StringEqualsIgnoreCase':{'" K0 "':'" A "','" K1 "':'" B "'}}"))),
	 "kms:Decrypt", SESSION, GOOD, POLICY_ALLOW, "E", ""},
	{"keys are AND'ed", POL(ST("E", "Allow", "{'AWS':'" ROLE "'}", "'kms:Decrypt'",
				   COND("{'StringEqualsIgnoreCase':{'" K0 "':'" A "','" K1 "':'" B "'}}"))),
	 "kms:Decrypt", ROLE, K0 "=" A "|" K1 "=" A, POLICY_IMPLICIT_DENY, "",
	 "no statement allows 'kms:Decrypt' for '" ROLE "' (closest: statement 'E': condition "
	 "StringEqualsIgnoreCase on '" K1 "' failed)"},
	{"values are OR'ed", POL(ST("E", "Allow", "'*'", "'kms:Decrypt'",
				    COND("{'StringEqualsIgnoreCase':{'" K0 "':['" B "','" A "']}}"))),
	 "kms:Decrypt", ROLE, GOOD, POLICY_ALLOW, "E", ""},
	{"operators are AND'ed", POL(ST("E", "Allow", "'*'", "'kms:Decrypt'",
					COND("{'StringEqualsIgnoreCase':{'" K0 "':'" A "'},'StringEquals':{'" K1 "':'" B
					     "'},'Null':{'" IMG "':'false'}}"))),
	 "kms:Decrypt", ROLE, GOOD, POLICY_IMPLICIT_DENY, "",
	 "no statement allows 'kms:Decrypt' for '" ROLE "' (closest: statement 'E': condition "
	 "Null on '" IMG "' failed)"},
	{"operators are AND'ed, all hold", POL(ST("E", "Allow", "'*'", "'kms:Decrypt'",
						  COND("{'StringEqualsIgnoreCase':{'" K0 "':'" A
						       "'},'StringEquals':{'" K1 "':'" B "'},'Null':{'" IMG "':'true'}}"))),
	 "kms:Decrypt", ROLE, GOOD, POLICY_ALLOW, "E", ""},
	{"condition key names are case-insensitive",
	 POL(ST("E", "Allow", "'*'", "'kms:Decrypt'", COND("{'StringEqualsIgnoreCase':{'KMS:RECIPIENTATTESTATION:PCR0':'" A "'}}"))),
	 "kms:Decrypt", ROLE, "kms:recipientattestation:pcr0=" A, POLICY_ALLOW, "E", ""},
	{"deny beats allow", POL(ROOT_ST "," ST("E", "Allow", "{'AWS':'" ROLE "'}", "'kms:Decrypt'", NOCOND) ","
				 ST("D", "Deny", "'*'", "'kms:Decrypt'", COND("{'StringNotEqualsIgnoreCase':{'" K0 "':'" B "'}}"))),
	 "kms:Decrypt", ROLE, GOOD, POLICY_EXPLICIT_DENY, "D",
	 "condition StringNotEqualsIgnoreCase on '" K0 "' matched (the document's value is not one of the policy's)"},
	{"deny on an absent key", POL(ROOT_ST "," ST("D", "Deny", "{'AWS':'" ROLE "'}", "'kms:Decrypt'",
						  COND("{'StringNotEqualsIgnoreCase':{'" K0 "':'" A "'}}"))),
	 "kms:Decrypt", ROLE, "", POLICY_EXPLICIT_DENY, "D",
	 "condition StringNotEqualsIgnoreCase on '" K0 "' matched (the key is absent from the request)"},
	{"deny without condition", POL(ROOT_ST "," ST("D", "Deny", "'*'", "'kms:Decrypt'", NOCOND)),
	 "kms:Decrypt", ROLE, "", POLICY_EXPLICIT_DENY, "D", "no condition"},
	{"the first matching Deny decides", POL(ST("D1", "Deny", "'*'", "'kms:Encrypt'", NOCOND) ","
						ST("D2", "Deny", "'*'", "'kms:*'", COND("{'Null':{'" K0 "':'true'}}")) ","
						ST("D3", "Deny", "'*'", "'kms:*'", NOCOND)),
	 "kms:Decrypt", ROLE, "", POLICY_EXPLICIT_DENY, "D2",
	 "condition Null on '" K0 "' matched (the key is absent)"},
	{"deny with StringLike on another key", POL(ROOT_ST "," ST("D", "Deny", "'*'", "'kms:*'",
								COND("{'StringLike':{'aws:PrincipalTag/team':'op*'}}"))),
	 "kms:Decrypt", ROLE, "aws:principaltag/team=operators", POLICY_EXPLICIT_DENY, "D",
	 "condition StringLike on 'aws:PrincipalTag/team' matched (the request's value matches one of the policy's patterns)"},
	{"deny not matching: the root allows", POL(ROOT_ST "," ST("D", "Deny", "{'AWS':'" ROLE "'}", "'kms:Decrypt'",
							       COND("{'StringNotEqualsIgnoreCase':{'" K0 "':'" A "'}}"))),
	 "kms:Decrypt", ROLE, GOOD, POLICY_ALLOW, "Root", ""},
	{"deny for another principal", POL(ROOT_ST "," ST("D", "Deny", "{'AWS':'" ROLE "'}", "'kms:Decrypt'",
						       COND("{'StringNotEqualsIgnoreCase':{'" K0 "':'" A "'}}"))),
	 "kms:Decrypt", OTHER, "", POLICY_ALLOW, "Root", ""},
	{"deny of another action", POL(ROOT_ST "," ST("D", "Deny", "'*'", "'kms:Decrypt'",
						   COND("{'StringNotEqualsIgnoreCase':{'" K0 "':'" A "'}}"))),
	 "kms:PutKeyPolicy", OTHER, "", POLICY_ALLOW, "Root", ""},
	{"one Deny with two keys passes when one key is right",
	 POL(ST("E", "Allow", "{'AWS':'" ROLE "'}", "'kms:Decrypt'", NOCOND) ","
	     ST("D", "Deny", "'*'", "'kms:Decrypt'", COND("{'StringNotEqualsIgnoreCase':{'" K0 "':'" A "','" K1 "':'" B "'}}"))),
	 "kms:Decrypt", ROLE, K0 "=" A "|" K1 "=" A, POLICY_ALLOW, "E", ""},
#define NOT_DECRYPT "{'Sid':'N','Effect':'Deny','Principal':'*','NotAction':'kms:Decrypt','Resource':'*'}"
	{"NotAction: a Deny of everything else", POL(NOT_DECRYPT "," ROOT_ST), "kms:Encrypt", ROLE, "",
	 POLICY_EXPLICIT_DENY, "N", "no condition"},
	{"NotAction: not of the action named", POL(NOT_DECRYPT "," ROOT_ST), "kms:Decrypt", ROLE, "", POLICY_ALLOW, "Root", ""},
	{"closest: the first Allow that failed a condition",
	 POL(ST("X", "Allow", "{'AWS':'" OTHER "'}", "'kms:Decrypt'", COND("{'Bool':{'aws:SecureTransport':'true'}}")) ","
	     ST("E1", "Allow", "{'AWS':'" ROLE "'}", "'kms:Encrypt'", COND("{'Bool':{'aws:SecureTransport':'true'}}")) ","
	     ST("E2", "Allow", "{'AWS':'" ROLE "'}", "'kms:Decrypt'",
		COND("{'StringEqualsIgnoreCase':{'" K0 "':'" A "'},'Bool':{'aws:SecureTransport':'true'}}")) ","
	     ST("E3", "Allow", "{'AWS':'" ROLE "'}", "'kms:Decrypt'", COND("{'Null':{'" K1 "':'true'}}"))),
	 "kms:Decrypt", ROLE, GOOD "|aws:SecureTransport=false", POLICY_IMPLICIT_DENY, "",
	 "no statement allows 'kms:Decrypt' for '" ROLE "' (closest: statement 'E2': condition Bool on "
	 "'aws:SecureTransport' failed)"},
	{"control characters are not echoed", POL(ST("a\\u0007b", "Deny", "'*'", "'*'", NOCOND)),
	 "kms:Decrypt", ROLE, "", POLICY_EXPLICIT_DENY, "a?b", "no condition"},
};

static void decisions(void **state)
{
	for (size_t i = 0; i < sizeof decision_cases / sizeof decision_cases[0]; i++) {
		struct policy_decision d;
		struct nk_err err = {0};
		const char *sid = decision_cases[i].sid;

		if (eval(decision_cases[i].policy, decision_cases[i].action, decision_cases[i].principal,
			 decision_cases[i].ctx, &d, &err) != NK_OK)
			fail_msg("%s: %s", decision_cases[i].name, err.msg);
		if (d.effect != decision_cases[i].effect || strcmp(d.sid, sid) ||
		    (decision_cases[i].why && strcmp(d.why, decision_cases[i].why)))
			fail_msg("%s:\n got:  %s '%s' %s\n want: %s '%s' %s", decision_cases[i].name,
				 policy_effect_name(d.effect), d.sid, d.why, policy_effect_name(decision_cases[i].effect),
				 sid, decision_cases[i].why ? decision_cases[i].why : "(any)");
	}
}

/* AWS's warning (DESIGN §4.6): a Deny with StringNotEqualsIgnoreCase on
 * kms:* is true for every request without attestation, PutKeyPolicy among
 * them, so it locks the key's administrators out.  Naming only the crypto
 * actions does not. */
static void lockout(void **state)
{
	const char *locked = POL(ROOT_ST "," ST("Admins", "Allow", "{'AWS':'" ADMIN "'}", "'kms:*'", NOCOND) ","
				 ST("DenyPCR0", "Deny", "'*'", "'kms:*'",
				    COND("{'StringNotEqualsIgnoreCase':{'" K0 "':'" A "'}}")));
	const char *safe = POL(ROOT_ST "," ST("Admins", "Allow", "{'AWS':'" ADMIN "'}", "'kms:*'", NOCOND) ","
			       ST("DenyPCR0", "Deny", "'*'", "['kms:Decrypt','kms:GenerateDataKey']",
				  COND("{'StringNotEqualsIgnoreCase':{'" K0 "':'" A "'}}")));
	struct policy_decision d;

	assert_int_equal(eval(locked, "kms:PutKeyPolicy", ADMIN, "", &d, NULL), NK_OK);
	assert_int_equal(d.effect, POLICY_EXPLICIT_DENY);
	assert_string_equal(d.sid, "DenyPCR0");
	assert_string_equal(d.why, "condition StringNotEqualsIgnoreCase on '" K0 "' matched (the key is absent from the request)");
	assert_int_equal(decide(locked, "kms:ScheduleKeyDeletion", ADMIN, ""), POLICY_EXPLICIT_DENY);
	assert_int_equal(decide(locked, "kms:Decrypt", ADMIN, K0 "=" A), POLICY_ALLOW);

	assert_int_equal(eval(safe, "kms:PutKeyPolicy", ADMIN, "", &d, NULL), NK_OK);
	assert_int_equal(d.effect, POLICY_ALLOW);
	assert_string_equal(d.sid, "Root");
	assert_int_equal(decide(safe, "kms:Decrypt", ADMIN, ""), POLICY_EXPLICIT_DENY);
}

/* --- policies it cannot evaluate ------------------------------------------ */

static const struct {
	const char *policy, *msg;
} error_cases[] = {
	{"[]", "not a key policy: not a JSON object"},
	{"{'Version':'2012-10-17'}", "not a key policy: no Statement"},
	{"{'Statement':'x'}", "not a key policy: Statement is neither an array nor an object"},
	{POL("1"), "statement '#1': not an object"},
	{POL(ST("S", "Permit", "'*'", "'*'", NOCOND)), "statement 'S': Effect is neither \"Allow\" nor \"Deny\": 'Permit'"},
	{POL("{'Effect':'Allow','Principal':'*','Action':'*','Resource':'*','Sid':3}"), "statement '#1': Sid is not a string"},
	{POL("{'Effect':'Allow','Action':'*','Resource':'*'}"), "statement '#1': neither Principal nor NotPrincipal"},
	{POL("{'Effect':'Allow','Principal':'*','NotPrincipal':'*','Action':'*','Resource':'*'}"),
	 "statement '#1': both Principal and NotPrincipal"},
	{POL(ST("S", "Allow", "'" ROLE "'", "'*'", NOCOND)),
	 "statement 'S': Principal is neither \"*\" nor an object: '" ROLE "'"},
	{POL(ST("S", "Allow", "{'AWS':[1]}", "'*'", NOCOND)),
	 "statement 'S': the AWS principal is neither a string nor an array of strings"},
	{POL("{'Effect':'Allow','Principal':'*','Resource':'*'}"), "statement '#1': neither Action nor NotAction"},
	{POL(ST("S", "Allow", "'*'", "{'kms':'*'}", NOCOND)), "statement 'S': Action is neither a string nor an array of strings"},
	{POL("{'Effect':'Allow','Principal':'*','Action':'*'}"), "statement '#1': no Resource"},
	{POL("{'Effect':'Allow','Principal':'*','Action':'*','Resource':'arn:aws:kms:us-east-1:" ACCT ":key/k'}"),
	 "statement '#1': Resource is not \"*\" (key policies name their key as \"*\"): 'arn:aws:kms:us-east-1:" ACCT ":key/k'"},
	{POL("{'Effect':'Allow','Principal':'*','Action':'*','NotResource':'*','Resource':'*'}"),
	 "statement '#1': NotResource is not supported in a key policy"},
	{POL(ST("S", "Allow", "'*'", "'*'", COND("{'NumericLessThan':{'k':'1'}}"))),
	 "statement 'S': unsupported condition operator 'NumericLessThan'"},
	{POL(ST("S", "Allow", "'*'", "'*'", COND("{'NullIfExists':{'k':'true'}}"))),
	 "statement 'S': unsupported condition operator 'NullIfExists'"},
	{POL(ST("S", "Allow", "'*'", "'*'", COND("{'stringequals':{'k':'x'}}"))),
	 "statement 'S': unsupported condition operator 'stringequals'"},
	{POL(ST("S", "Allow", "'*'", "'*'", COND("{'ForAnyValue:StringEquals':{'k':'x'}}"))),
	 "statement 'S': unsupported condition operator 'ForAnyValue:StringEquals'"},
	{POL(ST("S", "Allow", "'*'", "'*'", COND("{'IfExists':{'k':'x'}}"))),
	 "statement 'S': unsupported condition operator 'IfExists'"},
	{POL(ST("S", "Allow", "'*'", "'*'", COND("['x']"))), "statement 'S': Condition is not an object"},
	{POL(ST("S", "Allow", "'*'", "'*'", COND("{'Bool':'true'}"))), "statement 'S': condition block is not an object: 'Bool'"},
	{POL(ST("S", "Allow", "'*'", "'*'", COND("{'Bool':{'k':null}}"))),
	 "statement 'S': condition Bool on 'k': a value is neither a string, a number nor a boolean"},
	{POL(ST("S", "Allow", "'*'", "'*'", COND("{'StringEquals':{'k':['x',{}]}}"))),
	 "statement 'S': condition StringEquals on 'k': a value is neither a string, a number nor a boolean"},
	/* a bad statement after the deciding one is still an error: never a guess */
	{POL(ST("D", "Deny", "'*'", "'*'", NOCOND) "," ST("S", "Allow", "'*'", "'*'", COND("{'DateLessThan':{'k':'x'}}"))),
	 "statement 'S': unsupported condition operator 'DateLessThan'"},
};

static void errors(void **state)
{
	for (size_t i = 0; i < sizeof error_cases / sizeof error_cases[0]; i++) {
		struct policy_decision d;
		struct nk_err err = {0};

		if (eval(error_cases[i].policy, "kms:Decrypt", ROLE, "", &d, &err) != NK_DATA)
			fail_msg("case %zu: not NK_DATA: %s", i, error_cases[i].policy);
		if (strcmp(err.msg, error_cases[i].msg))
			fail_msg("case %zu:\n got:  %s\n want: %s", i, err.msg, error_cases[i].msg);
	}
	/* and an unchecked principal does not skip the checks */
	{
		struct policy_decision d;
		struct nk_err err = {0};
		struct policy_request r = {.action = NULL};

		assert_int_equal(eval(POL(ST("S", "Allow", "'x'", "'*'", NOCOND)), "kms:Decrypt", NULL, "", &d, &err), NK_DATA);
		assert_int_equal(policy_eval(NULL, &(struct policy_request){.action = "kms:Decrypt"}, &d, &err), NK_DATA);
		assert_int_equal(policy_eval(NULL, &r, &d, &err), NK_USAGE);
	}
}

/* Long and odd values are cut, never overflow the decision. */
static void long_values(void **state)
{
	char big[3000], policy[8000];
	struct policy_decision d;

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	snprintf(policy, sizeof policy, POL(ST("%s", "Deny", "'*'", "'*'", COND("{'StringNotEquals':{'%s':'v'}}"))),
		 big, big);
	assert_int_equal(eval(policy, big, big, "", &d, NULL), NK_OK);
	assert_int_equal(d.effect, POLICY_EXPLICIT_DENY);
	assert_int_equal(strlen(d.sid), sizeof d.sid - 1);
	assert_string_equal(d.sid + sizeof d.sid - 4, "...");
	assert_true(strlen(d.why) < sizeof d.why);
	snprintf(policy, sizeof policy, POL(ST("S", "Allow", "'*'", "'*'", COND("{'StringEquals':{'%s':'v'}}"))), big);
	assert_int_equal(eval(policy, big, big, "", &d, NULL), NK_OK);
	assert_int_equal(d.effect, POLICY_IMPLICIT_DENY);
	assert_non_null(strstr(d.why, "...' (closest: statement 'S': condition StringEquals on 'xxx"));
	assert_int_equal(decide(POL(ST("S", "Allow", "'*'", "'*'", COND("{'StringEquals':{'k':1.5}}"))), "a", "b",
				"k=1.5"), POLICY_ALLOW);
}

/* --- the policies policy-gen writes --------------------------------------- */

/* A document's request context: PCR0-15 and ImageSha384 = PCR0, the byte
 * of PCR0/1/2/8 given as a hex digit (the others are zeros, as in real
 * documents). */
struct doc {
	char hex[PCR_COUNT][97];
	struct policy_ctx_kv kv[PCR_COUNT + 1];
	char keys[PCR_COUNT][48];
	size_t n;
};

static void doc_ctx(struct doc *d, char p0, char p1, char p2, char p8)
{
	d->n = 0;
	for (unsigned i = 0; i < 16; i++) {
		char c = i == 0 ? p0 : i == 1 ? p1 : i == 2 ? p2 : i == 8 ? p8 : '0';

		memset(d->hex[i], c, 96);
		d->hex[i][96] = '\0';
		snprintf(d->keys[i], sizeof d->keys[i], "kms:RecipientAttestation:PCR%u", i);
		d->kv[d->n++] = (struct policy_ctx_kv){d->keys[i], d->hex[i]};
	}
	d->kv[d->n++] = (struct policy_ctx_kv){IMG, d->hex[0]};
}

static enum policy_effect decide_doc(const json_t *policy, unsigned op, const char *principal, const struct doc *doc,
				     struct policy_decision *d)
{
	struct policy_request r = {.action = policy_op_actions[op], .principal = principal,
				   .ctx = doc ? doc->kv : NULL, .nctx = doc ? doc->n : 0};
	struct nk_err err = {0};

	if (policy_eval(policy, &r, d, &err) != NK_OK)
		fail_msg("policy_eval: %s", err.msg);
	return d->effect;
}

static void generated_policies(void **state)
{
	static const char *const account[] = {"", ACCT};
	static const unsigned ops[] = {POLICY_DECRYPT, POLICY_DECRYPT | POLICY_GENERATE_DATA_KEY | POLICY_DERIVE_SHARED_SECRET};
	const char *callers[] = {ROLE, SESSION, NULL};
	struct doc good, changed0, debug, changed1;

	/* the policy names PCR0 {a, b}, PCR1 {c}, PCR2 {d}, PCR8 {a} */
	doc_ctx(&good, 'b', 'c', 'd', 'a');
	doc_ctx(&changed0, 'e', 'c', 'd', 'a');
	doc_ctx(&changed1, 'a', 'e', 'd', 'a');
	doc_ctx(&debug, '0', '0', '0', '0');

	for (int style = POLICY_STYLE_ALLOW; style <= POLICY_STYLE_DENY; style++)
	for (int image = 0; image <= 1; image++)
	for (size_t a = 0; a < 2; a++)
	for (size_t o = 0; o < 2; o++)
	for (int dbg = 0; dbg <= 1; dbg++) {
		struct policy_spec s;
		struct policy_decision d;
		char deny0[64], why[256];
		json_t *j;

		memset(&s, 0, sizeof s);
		s.style = style;
		s.ops = ops[o];
		s.debug = dbg;
		strcpy(s.account, account[a]);
		assert_int_equal(policy_principal_add(&s.enclave, "enclave-principal", ROLE, NULL), NK_OK);
		assert_int_equal(policy_values_add(&s.values, 0, A, NULL), NK_OK);
		assert_int_equal(policy_values_add(&s.values, 0, B, NULL), NK_OK);
		assert_int_equal(policy_values_add(&s.values, 1, C, NULL), NK_OK);
		assert_int_equal(policy_values_add(&s.values, 2, D, NULL), NK_OK);
		assert_int_equal(policy_values_add(&s.values, 8, A, NULL), NK_OK);
		s.values.image = image;
		if (dbg)
			assert_int_equal(policy_values_debug(&s.values, NULL), NK_OK);
		assert_non_null(j = policy_document(&s));
		snprintf(deny0, sizeof deny0, "NitrokitEnclaveDeny%s%s", image ? "ImageSha384" : "PCR0", dbg ? "Debug" : "");
		snprintf(why, sizeof why, "condition StringNotEqualsIgnoreCase on '%s' matched (%s)",
			 image ? IMG : K0, "the document's value is not one of the policy's");

		for (size_t c = 0; c < 3; c++)
		for (unsigned op = 0; op < POLICY_OP_COUNT; op++) {
			const char *who = callers[c];
			int granted = ops[o] >> op & 1;

			if (!granted && !account[a][0]) {
				/* not an operation of the policy and no root statement */
				assert_int_equal(decide_doc(j, op, who, &good, &d), POLICY_IMPLICIT_DENY);
				continue;
			}
			if (!granted)
				continue;  /* the root statement allows it: not the enclave's business */
			assert_int_equal(decide_doc(j, op, who, &good, &d), POLICY_ALLOW);
			if (!account[a][0])
				assert_string_equal(d.sid, dbg ? "NitrokitEnclaveAllowDebug" : "NitrokitEnclaveAllow");

			assert_int_equal(decide_doc(j, op, who, &changed0, &d), POLICY_EXPLICIT_DENY);
			assert_string_equal(d.sid, deny0);
			assert_string_equal(d.why, why);

			assert_int_equal(decide_doc(j, op, who, &changed1, &d), POLICY_EXPLICIT_DENY);
			assert_string_equal(d.sid, dbg ? "NitrokitEnclaveDenyPCR1Debug" : "NitrokitEnclaveDenyPCR1");

			/* a debug-mode document: allowed only by a --debug policy */
			assert_int_equal(decide_doc(j, op, who, &debug, &d), dbg ? POLICY_ALLOW : POLICY_EXPLICIT_DENY);
			if (!dbg)
				assert_string_equal(d.sid, deny0);

			/* the parent calling KMS with its own credentials: no attestation keys */
			assert_int_equal(decide_doc(j, op, who, NULL, &d), POLICY_EXPLICIT_DENY);
			assert_string_equal(d.sid, deny0);
			assert_non_null(strstr(d.why, "(the key is absent from the request)"));
		}
		/* style deny denies everybody without attestation; style allow
		 * only the enclave, others go by the root statement */
		if (account[a][0]) {
			assert_int_equal(decide_doc(j, 0, OTHER, NULL, &d),
					 style == POLICY_STYLE_DENY ? POLICY_EXPLICIT_DENY : POLICY_ALLOW);
		} else {
			assert_int_equal(decide_doc(j, 0, OTHER, &good, &d), POLICY_IMPLICIT_DENY);
			assert_string_equal(d.why, "no statement allows 'kms:Decrypt' for '" OTHER "'");
		}
		json_decref(j);
		policy_spec_free(&s);
	}
}

/* --- the differential driver ---------------------------------------------- */

static int differential(const char *path)
{
	static const char *const verdicts[] = {"Allow", "ExplicitDeny", "ImplicitDeny"};
	json_error_t je;
	json_t *cases = json_load_file(path, 0, &je), *c;
	size_t i, bad = 0;

	if (!json_is_array(cases)) {
		fprintf(stderr, "%s: not a JSON array of cases (%s)\n", path, je.text);
		json_decref(cases);
		return 2;
	}
	json_array_foreach(cases, i, c) {
		json_t *ctxj = json_object_get(c, "context"), *v;
		struct policy_ctx_kv kv[64];
		struct policy_request r = {.action = json_string_value(json_object_get(c, "action")),
					   .principal = json_string_value(json_object_get(c, "principal")), .ctx = kv};
		const char *want = json_string_value(json_object_get(c, "verdict"));
		const char *label = json_string_value(json_object_get(c, "label")), *key;
		struct policy_decision d;
		struct nk_err err = {0};
		char *text;

		json_object_foreach(ctxj, key, v)
			if (r.nctx < 64)
				kv[r.nctx++] = (struct policy_ctx_kv){key, json_string_value(v)};
		if (policy_eval(json_object_get(c, "policy"), &r, &d, &err) != NK_OK) {
			snprintf(d.sid, sizeof d.sid, "error: %s", err.msg);
			d.effect = POLICY_IMPLICIT_DENY;
		} else if (!want || (!strcmp(verdicts[d.effect], want) && !strcmp(d.sid, label ? label : ""))) {
			continue;
		}
		bad++;
		text = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("case %zu: got %s '%s', iam_eval.py says %s '%s'\n  %s\n", i, verdicts[d.effect], d.sid,
		       want ? want : "?", label ? label : "", text ? text : "");
		free(text);
	}
	printf("%zu of %zu cases agree with iam_eval.py\n", json_array_size(cases) - bad, json_array_size(cases));
	json_decref(cases);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(condition_operators),
		cmocka_unit_test(principals),
		cmocka_unit_test(actions),
		cmocka_unit_test(decisions),
		cmocka_unit_test(lockout),
		cmocka_unit_test(errors),
		cmocka_unit_test(long_values),
		cmocka_unit_test(generated_policies),
	};

	if (argc > 1)
		return differential(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
