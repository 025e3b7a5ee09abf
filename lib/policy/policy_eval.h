/* policy_eval: decide one KMS request against a key policy as IAM does
 * (DESIGN §4.6): an explicit Deny that matches wins, else a matching Allow is
 * needed, else the request is implicitly denied.  Shared by attest-verify
 * --policy and kms-sim.
 *
 * What is modelled (tests/fixtures/iam_eval.py, an independent evaluator the
 * tests compare against, models the same and the root delegation too):
 * - Principal "*", {"AWS": "*"}, {"AWS": ARN | [ARN, ...]}; other kinds
 *   (Service, Federated, ...) never name an IAM caller.  An account root
 *   (arn:PART:iam::ACCT:root) or a bare 12-digit account id is any principal
 *   of that account: the IAM delegation of the root statement is NOT
 *   modelled.  A role ARN is itself and its sessions
 *   (arn:PART:sts::ACCT:assumed-role/NAME/SESSION); other ARNs only
 *   themselves.  NotPrincipal matches whoever none of its entries names.
 * - Action/NotAction with '*' and '?' wildcards, any case.
 * - Resource: key policies name their key as "*"; a statement whose
 *   Resource lists no "*" is NK_DATA (there is no key ARN to match it to).
 * - Condition operators String(Not)Equals, String(Not)EqualsIgnoreCase,
 *   String(Not)Like, Bool, each also ...IfExists, and Null.  Values of one
 *   key are OR'ed (a negated operator holds when the request's value matches
 *   none), keys and operators AND'ed.  A key the request lacks: negated and
 *   ...IfExists operators hold, Null:"true" holds, the others do not.  Key
 *   names are case-insensitive, operator names are not.  Any other operator
 *   (ForAnyValue:, Numeric..., NullIfExists) is NK_DATA: never a guess.
 * The whole policy is checked, so a bad statement is NK_DATA even when an
 * earlier one decides. */
#ifndef NK_POLICY_EVAL_H
#define NK_POLICY_EVAL_H

#include <stddef.h>
#include <jansson.h>

#include "util/err.h"

enum policy_effect { POLICY_ALLOW, POLICY_EXPLICIT_DENY, POLICY_IMPLICIT_DENY };

/* One request context value; keys are looked up case-insensitively, the
 * first of equal keys counts. */
struct policy_ctx_kv {
	const char *key;
	const char *value;
};

struct policy_request {
	const char *action;     /* "kms:Decrypt" */
	const char *principal;  /* the caller's ARN; NULL: Principal/NotPrincipal not checked */
	const struct policy_ctx_kv *ctx;
	size_t nctx;
};

/* sid: the deciding statement's Sid, or "#N" (1-based) without one; "" for
 * an implicit deny.  why ("" for Allow), one line, control characters
 * shown as '?':
 *   explicit Deny: "condition OP on 'KEY' matched (EXPLANATION)" for the
 *     statement's first condition, or "no condition";
 *   implicit deny: "no statement allows 'ACTION' for 'PRINCIPAL'" (or "for
 *     any principal"), plus " (closest: statement 'SID': condition OP on
 *     'KEY' failed)" when an Allow matched principal and action but not its
 *     conditions (the first such Allow and its first failing condition). */
struct policy_decision {
	enum policy_effect effect;
	char sid[128];
	char why[512];
};

/* Evaluate policy (a parsed key policy: an object whose "Statement" is an
 * array of statements or one statement) for r.  NK_OK with *d filled, or
 * NK_DATA "not a key policy: ..." / "statement SID: ..." for a policy it
 * cannot evaluate (bad shape, unknown operator). */
int policy_eval(const json_t *policy, const struct policy_request *r, struct policy_decision *d,
		struct nk_err *err);

/* "Allow", "explicit Deny", "implicit deny". */
const char *policy_effect_name(enum policy_effect e);

#endif
