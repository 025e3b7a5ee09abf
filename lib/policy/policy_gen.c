/* The statements policy-gen writes, with the contract's Sids, shapes and key
 * order (Sid, Effect, Principal, Action, Resource, Condition). */
#include "policy/policy.h"

#include <stdio.h>
#include <string.h>

static const char *const admin_actions[] = {
	"kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
	"kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
	"kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
};

/* One value is a string, several an array: the form AWS's console writes
 * and the one people diff against. */
static json_t *one_or_array(const char *const *v, size_t n)
{
	json_t *a;

	if (n == 1)
		return json_string(v[0]);
	if (!(a = json_array()))
		return NULL;
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(a, json_string(v[i]))) {
			json_decref(a);
			return NULL;
		}
	return a;
}

/* json_object_set_new frees v on failure; a NULL v (out of memory) fails too. */
static int set(json_t *o, const char *key, json_t *v)
{
	return o && v ? json_object_set_new(o, key, v) : (json_decref(v), -1);
}

static json_t *principal(const char *const *arns, size_t n)
{
	json_t *p = json_object();

	if (set(p, "AWS", one_or_array(arns, n))) {
		json_decref(p);
		return NULL;
	}
	return p;
}

/* A statement, taking princ, action and cond (NULL: none). */
static json_t *statement(const char *sid, const char *effect, json_t *princ, json_t *action, json_t *cond)
{
	json_t *s = json_object();
	int bad = 0;

	/* No short cut: set() must take every value, also after a failure. */
	bad |= set(s, "Sid", json_string(sid));
	bad |= set(s, "Effect", json_string(effect));
	bad |= set(s, "Principal", princ);
	bad |= set(s, "Action", action);
	bad |= set(s, "Resource", json_string("*"));
	if (cond)
		bad |= set(s, "Condition", cond);
	if (bad) {
		json_decref(s);
		return NULL;
	}
	return s;
}

static int append(json_t *array, json_t *st)
{
	return st ? json_array_append_new(array, st) : -1;
}

static json_t *actions(unsigned ops)
{
	const char *v[POLICY_OP_COUNT];
	size_t n = 0;

	for (unsigned i = 0; i < POLICY_OP_COUNT; i++)
		if (ops >> i & 1)
			v[n++] = policy_op_actions[i];
	return one_or_array(v, n);
}

/* {OPERATOR: {KEY: VALUES}} for the key of pcr, or for every key when pcr < 0. */
static json_t *condition(const struct policy_values *v, const char *op, int pcr)
{
	json_t *keys = json_object(), *c = json_object();
	char name[64];

	for (unsigned p = 0; p < PCR_COUNT; p++) {
		if (!v->pcr[p].n || (pcr >= 0 && (unsigned)pcr != p))
			continue;
		if (set(keys, policy_key_name(p, v->image, name, sizeof name),
			one_or_array((const char *const *)v->pcr[p].v, v->pcr[p].n)))
			goto fail;
	}
	if (set(c, op, keys)) {
		keys = NULL;
		goto fail;
	}
	return c;
fail:
	json_decref(keys);
	json_decref(c);
	return NULL;
}

static json_t *enclave_principal(const struct policy_spec *s)
{
	return principal((const char *const *)s->enclave.v, s->enclave.n);
}

/* The enclave's statements.  Why Deny statements, and one per key:
 * - The root statement ("Enable IAM User Permissions") delegates to IAM, so
 *   an Allow with attestation conditions alone stops nobody: the parent
 *   instance's role, which typically holds an IAM allow of kms:*, could call
 *   Decrypt from outside the enclave, without attestation.  An explicit Deny
 *   wins over any Allow, in the key policy or in IAM.
 * - Keys inside one negated condition are AND'ed: a single Deny listing
 *   every key would deny only when ALL keys mismatch, and let a request
 *   through as soon as one key (say PCR1 of a shared kernel) matches.  One
 *   Deny per key denies when ANY key mismatches.
 * - The Denies name only the listed crypto actions, never kms:* or
 *   administrative ones: a negated condition is true for requests without
 *   attestation, PutKeyPolicy among them, and would lock the key's
 *   administrators out.
 * Style allow denies the enclave principals only; style deny (the pattern
 * AWS's documentation seeds) denies everybody ("*"), administrators too. */
json_t *policy_owned_statements(const struct policy_spec *s)
{
	const char *prefix = policy_spec_prefix(s), *debug = s->debug ? "Debug" : "";
	int deny_style = s->style == POLICY_STYLE_DENY;
	unsigned ops = policy_spec_ops(s);
	json_t *out = json_array(), *cond = NULL;
	char sid[256], name[64];

	snprintf(sid, sizeof sid, "%sAllow%s", prefix, debug);
	if (!deny_style && !(cond = condition(&s->values, "StringEqualsIgnoreCase", -1)))
		goto fail;
	if (append(out, statement(sid, "Allow", enclave_principal(s), actions(ops), cond)))
		goto fail;
	for (unsigned p = 0; p < PCR_COUNT; p++) {
		const char *any = "*";

		if (!s->values.pcr[p].n)
			continue;
		policy_key_name(p, s->values.image, name, sizeof name);
		snprintf(sid, sizeof sid, "%sDeny%s%s", prefix, name + strlen(POLICY_KEY_PREFIX), debug);
		if (!(cond = condition(&s->values, "StringNotEqualsIgnoreCase", (int)p)))
			goto fail;
		if (append(out, statement(sid, "Deny", deny_style ? principal(&any, 1) : enclave_principal(s),
					  actions(ops), cond)))
			goto fail;
	}
	return out;
fail:
	json_decref(out);
	return NULL;
}

static char *partition(const struct policy_spec *s, char *buf, size_t size)
{
	const char *arn = s->enclave.n ? s->enclave.v[0] : "";
	size_t n;

	snprintf(buf, size, "aws");
	if (strncmp(arn, "arn:", 4) == 0) {
		n = strcspn(arn + 4, ":");
		if (n > 0 && n < size && arn[4 + n] == ':' && strspn(arn + 4, "abcdefghijklmnopqrstuvwxyz-") == n)
			snprintf(buf, size, "%.*s", (int)n, arn + 4);
	}
	return buf;
}

json_t *policy_statements(const struct policy_spec *s)
{
	json_t *out = json_array(), *owned = NULL;
	const char *root = NULL;
	char arn[96], part[32];

	if (!out)
		return NULL;
	if (s->account[0] && !s->no_root) {
		snprintf(arn, sizeof arn, "arn:%s:iam::%s:root", partition(s, part, sizeof part), s->account);
		root = arn;
		if (append(out, statement("Enable IAM User Permissions", "Allow", principal(&root, 1),
					  json_string("kms:*"), NULL)))
			goto fail;
	}
	if (s->admins.n && append(out, statement("Allow access for Key Administrators", "Allow",
						 principal((const char *const *)s->admins.v, s->admins.n),
						 one_or_array(admin_actions, sizeof admin_actions / sizeof *admin_actions),
						 NULL)))
		goto fail;
	if (s->encrypters.n && append(out, statement("Allow encryption by the data owner", "Allow",
						     principal((const char *const *)s->encrypters.v, s->encrypters.n),
						     json_string("kms:Encrypt"), NULL)))
		goto fail;
	if (!(owned = policy_owned_statements(s)) || json_array_extend(out, owned))
		goto fail;
	json_decref(owned);
	return out;
fail:
	json_decref(owned);
	json_decref(out);
	return NULL;
}

json_t *policy_document(const struct policy_spec *s)
{
	json_t *doc = json_object();

	if (set(doc, "Version", json_string(POLICY_VERSION)) || set(doc, "Statement", policy_statements(s))) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
