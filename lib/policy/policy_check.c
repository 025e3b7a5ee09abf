/* policy_check: the policy-gen --check linter.
 *
 * IAM semantics that drive the checks (DESIGN §4.6): condition keys are
 * case-insensitive; a negated operator (…Not…), an …IfExists operator and
 * ForAllValues: are true when the key is absent, Null tests presence; only five
 * KMS operations carry the enclave's attestation, so a condition on it is absent
 * from every other request, PutKeyPolicy included. */
#include "policy/policy_check.h"
#include "policy/policy.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>

#include "eif/pcr.h"

#define POLICY_BYTES_MAX 32768  /* the largest key policy KMS accepts */
#define SHOW_MAX 100            /* longer input strings are cut in messages */
#define NEAR_MISS 3             /* edit distance that still counts as a typo */

static const char att_namespace[] = "kms:RecipientAttestation";
#define ATT_NS_LEN (sizeof att_namespace - 1)
#define ATT_KEYS (1 + PCR_COUNT)  /* ImageSha384, then PCR0..PCR31 */

/* The operations whose requests carry the attestation document (DESIGN §4.5). */
static const char *const attested_actions[] = {
	"kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair",
	"kms:GenerateRandom", "kms:DeriveSharedSecret",
};

/* Key administration: policy-gen's administrator statement, and PutKeyPolicy
 * spelled out because denying it is the lockout that cannot be undone. */
static const char *const admin_patterns[] = {
	"kms:PutKeyPolicy", "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*",
	"kms:Put*", "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
	"kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
	"kms:CancelKeyDeletion", "kms:RotateKeyOnDemand",
};

/* Concrete administrative actions, to test wildcard Actions against; the
 * first one covered is named in the message, so PutKeyPolicy comes first. */
static const char *const admin_actions[] = {
	"kms:PutKeyPolicy", "kms:GetKeyPolicy", "kms:ScheduleKeyDeletion",
	"kms:CancelKeyDeletion", "kms:DescribeKey", "kms:EnableKey", "kms:DisableKey",
	"kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:GetKeyRotationStatus",
	"kms:ListKeyPolicies", "kms:ListGrants", "kms:ListResourceTags", "kms:CreateGrant",
	"kms:CreateAlias", "kms:UpdateAlias", "kms:UpdateKeyDescription", "kms:RevokeGrant",
	"kms:DeleteAlias", "kms:DeleteImportedKeyMaterial", "kms:TagResource",
	"kms:UntagResource", "kms:RotateKeyOnDemand",
};

/* IAM's condition operators; "ignore_case" is the variant to suggest for
 * attestation values, which are hex of either case. */
struct op_info {
	const char *name;
	const char *ignore_case;
};

static const struct op_info operators[] = {
	{ "StringEquals", "StringEqualsIgnoreCase" },
	{ "StringNotEquals", "StringNotEqualsIgnoreCase" },
	{ "StringEqualsIgnoreCase", NULL }, { "StringNotEqualsIgnoreCase", NULL },
	{ "StringLike", NULL }, { "StringNotLike", NULL },
	{ "NumericEquals", NULL }, { "NumericNotEquals", NULL }, { "NumericLessThan", NULL },
	{ "NumericLessThanEquals", NULL }, { "NumericGreaterThan", NULL },
	{ "NumericGreaterThanEquals", NULL },
	{ "DateEquals", NULL }, { "DateNotEquals", NULL }, { "DateLessThan", NULL },
	{ "DateLessThanEquals", NULL }, { "DateGreaterThan", NULL },
	{ "DateGreaterThanEquals", NULL },
	{ "Bool", NULL }, { "BinaryEquals", NULL }, { "IpAddress", NULL }, { "NotIpAddress", NULL },
	{ "ArnEquals", NULL }, { "ArnLike", NULL }, { "ArnNotEquals", NULL }, { "ArnNotLike", NULL },
	{ "Null", NULL },
};

static const char *const op_qualifiers[] = { "ForAnyValue:", "ForAllValues:" };
static const char if_exists[] = "IfExists";
#define IF_EXISTS_LEN (sizeof if_exists - 1)

/* A condition operator as written, taken apart. */
struct op {
	const char *name;
	const struct op_info *info;  /* NULL: unknown */
	const char *qualifier;       /* op_qualifiers entry or NULL */
	int if_exists;
	int negated;
};

enum effect { EFFECT_NONE, EFFECT_ALLOW, EFFECT_DENY };

struct ctx {
	policy_finding_fn report;
	void *report_ctx;
	int errors;
	int rc;
	struct nk_err *err;
	const char *label;  /* "policy" or "statement SID" */
	json_t *sids;       /* Sid -> 1-based position of its first statement */
};

/* One statement, and what its conditions say about attestation. */
struct stmt {
	const json_t *j;
	size_t pos;            /* 1-based */
	enum effect effect;
	const char *absent_op; /* first operator on an attestation key that holds without attestation */
	int att_required;      /* some attestation key condition fails without attestation */
};

/* --- reporting ------------------------------------------------------------ */

/* Input strings in messages: cut when long (on a UTF-8 boundary). */
struct shown {
	char s[SHOW_MAX + 4];
};

static const char *show(const char *s, struct shown *b)
{
	size_t n = strlen(s);

	if (n <= SHOW_MAX)
		return s;
	n = SHOW_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(b->s, s, n);
	memcpy(b->s + n, "...", 4);
	return b->s;
}

/* One line per finding: input text cannot break the line format. */
static void sanitize(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

static void finding(struct ctx *c, int is_error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void finding(struct ctx *c, int is_error, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	int n;

	if (is_error)
		c->errors++;
	if (c->rc)
		return;
	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		c->rc = err_set(c->err, NK_IO, "out of memory");
		return;
	}
	sanitize(msg);
	c->rc = c->report(c->report_ctx, is_error ? "error" : "warning", c->label, msg, c->err);
	free(msg);
}

#define ERROR(c, ...) finding((c), 1, __VA_ARGS__)
#define WARNING(c, ...) finding((c), 0, __VA_ARGS__)

/* --- string helpers ------------------------------------------------------- */

static int has_wildcard(const char *s)
{
	return strpbrk(s, "*?") != NULL;
}

/* Case-insensitive Levenshtein distance, exact up to NEAR_MISS (larger means "far"). */
static size_t edit_distance(const char *a, size_t na, const char *b, size_t nb)
{
	size_t row[2][64], i, j;

	if (na > nb + NEAR_MISS || nb > na + NEAR_MISS || na >= 64 || nb >= 64)
		return NEAR_MISS + 1;
	for (j = 0; j <= nb; j++)
		row[0][j] = j;
	for (i = 1; i <= na; i++) {
		size_t *prev = row[(i - 1) & 1], *cur = row[i & 1];

		cur[0] = i;
		for (j = 1; j <= nb; j++) {
			size_t sub = prev[j - 1] +
				(tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]));
			size_t del = prev[j] + 1, ins = cur[j - 1] + 1;

			cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
		}
	}
	return row[na & 1][nb];
}

/* Elements that are "a string or an array of strings" (Action, Principal.AWS ...). */
static int is_string_list(const json_t *v)
{
	size_t i;
	json_t *e;

	if (json_is_string(v))
		return 1;
	if (!json_is_array(v) || json_array_size(v) == 0)
		return 0;
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return 0;
	return 1;
}

/* --- condition keys and operators --------------------------------------- */

static void att_key_name(int index, char *buf, size_t n)
{
	if (index == 0)
		snprintf(buf, n, "%s:ImageSha384", att_namespace);
	else
		snprintf(buf, n, "%s:PCR%d", att_namespace, index - 1);
}

/* N of "PCR<N>" (any case, leading zeros allowed; PCR_COUNT or more when too
 * long), or -1 when the suffix is not PCR and digits. */
static long pcr_number(const char *suffix)
{
	long n = 0;

	if (strncasecmp(suffix, "PCR", 3) || !suffix[3])
		return -1;
	for (const char *p = suffix + 3; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		if (n < PCR_COUNT)
			n = n * 10 + (*p - '0');
	}
	return n;
}

/* ImageSha384: 0; PCR<N>: N + 1; else -1.  Key names are compared as
 * strings, so PCR01 is not PCR1. */
static int att_suffix_index(const char *s)
{
	long n;

	if (!strcasecmp(s, "ImageSha384"))
		return 0;
	n = pcr_number(s);
	if (n < 0 || n >= PCR_COUNT || (s[3] == '0' && s[4]))
		return -1;
	return 1 + (int)n;
}

static int att_key_index(const char *key)
{
	if (strncasecmp(key, att_namespace, ATT_NS_LEN) || key[ATT_NS_LEN] != ':')
		return -1;
	return att_suffix_index(key + ATT_NS_LEN + 1);
}

/* The attestation key the string is closest to, when within NEAR_MISS; else -1. */
static int nearest_att_key(const char *key)
{
	char name[64];
	size_t best = NEAR_MISS + 1, d, n = strlen(key);
	int found = -1;

	for (int i = 0; i < ATT_KEYS; i++) {
		att_key_name(i, name, sizeof name);
		d = edit_distance(key, n, name, strlen(name));
		if (d < best) {
			best = d;
			found = i;
		}
	}
	return found;
}

/* The attestation key index of a condition key (any case), or -1 for other
 * keys; reports keys that are in, or a typo of, the attestation namespace. */
static int check_key_name(struct ctx *c, const char *key)
{
	const char *colon = strrchr(key, ':');
	char canon[64];
	struct shown b;
	int index = att_key_index(key), in_ns, near_ns, suggest;
	long pcr;

	if (index >= 0)
		return index;
	in_ns = colon && (size_t)(colon - key) == ATT_NS_LEN && !strncasecmp(key, att_namespace, ATT_NS_LEN);
	near_ns = colon && !in_ns && edit_distance(key, (size_t)(colon - key), att_namespace, ATT_NS_LEN) <= NEAR_MISS;
	pcr = colon ? pcr_number(colon + 1) : -1;
	suggest = near_ns ? att_suffix_index(colon + 1) : -1;
	if (suggest < 0 && in_ns && pcr >= 0 && pcr < PCR_COUNT)
		suggest = 1 + (int)pcr;  /* PCR01: leading zeros */
	if (suggest < 0)
		suggest = nearest_att_key(key);
	if (!in_ns && !near_ns && suggest < 0)
		return -1;
	if (in_ns && pcr >= PCR_COUNT) {
		ERROR(c, "unknown condition key '%s': PCRs are 0-31", show(key, &b));
	} else if (suggest >= 0) {
		att_key_name(suggest, canon, sizeof canon);
		ERROR(c, "unknown condition key '%s' (did you mean '%s'?)", show(key, &b), canon);
	} else {
		ERROR(c, "unknown condition key '%s': %s has only ImageSha384 and PCR0 to PCR31",
		      show(key, &b), att_namespace);
	}
	return -1;
}

/* Take an operator name apart: [ForAnyValue:|ForAllValues:]BASE[IfExists].
 * Pieces in the wrong case make it unknown, with the right spelling in suggest. */
static void parse_op(const char *name, struct op *op, char *suggest, size_t n)
{
	const char *p = name;
	size_t len;
	int exact = 1;

	memset(op, 0, sizeof *op);
	op->name = name;
	suggest[0] = '\0';
	for (size_t i = 0; i < sizeof op_qualifiers / sizeof op_qualifiers[0]; i++) {
		size_t ql = strlen(op_qualifiers[i]);

		if (!strncasecmp(p, op_qualifiers[i], ql)) {
			exact &= !strncmp(p, op_qualifiers[i], ql);
			op->qualifier = op_qualifiers[i];
			p += ql;
			break;
		}
	}
	len = strlen(p);
	if (len > IF_EXISTS_LEN && !strcasecmp(p + len - IF_EXISTS_LEN, if_exists)) {
		exact &= !strcmp(p + len - IF_EXISTS_LEN, if_exists);
		op->if_exists = 1;
		len -= IF_EXISTS_LEN;
	}
	for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++) {
		const struct op_info *o = &operators[i];

		if (strlen(o->name) != len || strncasecmp(p, o->name, len))
			continue;
		if (op->if_exists && !strcmp(o->name, "Null"))
			return;  /* IAM: every operator but Null takes IfExists */
		if (!exact || strncmp(p, o->name, len)) {
			snprintf(suggest, n, "%s%s%s", op->qualifier ? op->qualifier : "", o->name,
				 op->if_exists ? if_exists : "");
			return;
		}
		op->info = o;
		op->negated = strstr(o->name, "Not") != NULL;
		return;
	}
}

static int is_null_op(const struct op *op)
{
	return op->info && !strcmp(op->info->name, "Null");
}

/* Whether the condition is true for a request without the key: what decides
 * its effect on the requests that carry no attestation. */
static int holds_when_absent(const struct op *op, const json_t *values)
{
	if (op->if_exists)
		return 1;
	if (is_null_op(op)) {
		for (size_t i = 0; i < policy_list_size(values); i++)
			if (policy_list_at(values, i) && !strcasecmp(policy_list_at(values, i), "true"))
				return 1;
		return 0;
	}
	if (op->qualifier)
		return op->qualifier == op_qualifiers[1];  /* ForAllValues: is vacuously true */
	return op->negated;
}

/* --- condition checks ----------------------------------------------------- */

static int valid_scalar(const json_t *v)
{
	return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

/* IAM condition values: a string, number or boolean, or a non-empty array of them. */
static int check_value_shape(struct ctx *c, const struct op *op, const char *key, const json_t *values)
{
	struct shown b1, b2;
	size_t i;
	json_t *v;
	int ok = valid_scalar(values);

	if (json_is_array(values)) {
		ok = json_array_size(values) > 0;
		json_array_foreach(values, i, v)
			ok &= valid_scalar(v);
	}
	if (!ok)
		ERROR(c, "'%s' under '%s' needs a string or an array of strings: KMS rejects the policy",
		      show(key, &b1), show(op->name, &b2));
	return ok;
}

static int is_all_zero(const char *s)
{
	return strspn(s, "0") == PCR_HEX_LEN && !s[PCR_HEX_LEN];
}

/* A zero value admits debug enclaves where matching it grants: in an Allow's
 * positive match, or in the exceptions of a Deny's negated match. */
static int zero_admits(const struct stmt *s, const struct op *op)
{
	return s->effect == EFFECT_DENY ? op->negated : !op->negated;
}

static void check_att_values(struct ctx *c, const struct stmt *s, const struct op *op,
			     const char *key, const json_t *values)
{
	struct shown b1, b2;

	for (size_t i = 0; i < policy_list_size(values); i++) {
		const char *v = policy_list_at(values, i);

		if (!v)
			ERROR(c, "'%s' has a value that is not a string: attestation values are %d hex characters",
			      show(key, &b1), PCR_HEX_LEN);
		else if (!policy_is_pcr_hex(v))
			ERROR(c, "'%s' value '%s' is not %d hex characters: it never equals a measurement",
			      show(key, &b1), show(v, &b2), PCR_HEX_LEN);
		else if (is_all_zero(v) && zero_admits(s, op))
			WARNING(c, "'%s' admits debug-mode enclaves: an all-zero value matches any "
				"enclave started with --debug-mode", show(key, &b1));
	}
}

static void check_att_case(struct ctx *c, const struct op *op, const char *key)
{
	char better[64];
	struct shown b;

	if (!op->info->ignore_case)
		return;
	snprintf(better, sizeof better, "%s%s%s", op->qualifier ? op->qualifier : "",
		 op->info->ignore_case, op->if_exists ? if_exists : "");
	WARNING(c, "'%s' under '%s' is compared case-sensitively: hex in the other case never "
		"matches; use '%s'", show(key, &b), op->name, better);
}

static void check_condition_key(struct ctx *c, struct stmt *s, const struct op *op,
				const char *key, const json_t *values)
{
	int index = check_key_name(c, key);

	if (!check_value_shape(c, op, key, values) || index < 0 || !op->info)
		return;
	if (holds_when_absent(op, values)) {
		if (!s->absent_op)
			s->absent_op = op->name;
	} else {
		s->att_required = 1;
	}
	if (is_null_op(op))
		return;
	check_att_values(c, s, op, key, values);
	check_att_case(c, op, key);
}

static void check_condition(struct ctx *c, struct stmt *s)
{
	const json_t *cond = json_object_get(s->j, "Condition");
	const char *name, *key;
	char suggest[64];
	struct shown b;
	struct op op;
	json_t *block, *values;

	if (!cond)
		return;
	if (!json_is_object(cond)) {
		ERROR(c, "Condition is not an object: KMS rejects the policy");
		return;
	}
	json_object_foreach((json_t *)cond, name, block) {
		parse_op(name, &op, suggest, sizeof suggest);
		if (!op.info && suggest[0])
			ERROR(c, "unknown condition operator '%s' (did you mean '%s'?)", show(name, &b), suggest);
		else if (!op.info)
			ERROR(c, "unknown condition operator '%s': KMS rejects the policy", show(name, &b));
		if (!json_is_object(block)) {
			ERROR(c, "condition operator '%s' needs an object of keys and values: KMS rejects the policy",
			      show(name, &b));
			continue;
		}
		json_object_foreach(block, key, values)
			check_condition_key(c, s, &op, key, values);
	}
}

/* --- statement checks ----------------------------------------------------- */

static void check_effect(struct ctx *c, struct stmt *s)
{
	const json_t *e = json_object_get(s->j, "Effect");
	const char *v = json_string_value(e);
	struct shown b;

	if (v && !strcmp(v, "Allow"))
		s->effect = EFFECT_ALLOW;
	else if (v && !strcmp(v, "Deny"))
		s->effect = EFFECT_DENY;
	else if (!e)
		ERROR(c, "no Effect: a statement must say 'Allow' or 'Deny'");
	else if (v)
		ERROR(c, "Effect '%s' is neither 'Allow' nor 'Deny': KMS rejects the policy", show(v, &b));
	else
		ERROR(c, "Effect is not a string: a statement must say 'Allow' or 'Deny'");
}

static void check_principal(struct ctx *c, struct stmt *s)
{
	const char *which = json_object_get(s->j, "Principal") ? "Principal" : "NotPrincipal";
	const json_t *p = json_object_get(s->j, which);
	const char *type;
	json_t *v;
	int ok = 1;

	if (!p) {
		ERROR(c, "no Principal: a key policy statement must name whom it applies to");
		return;
	}
	if (json_is_string(p)) {
		ok = !strcmp(json_string_value(p), "*");
	} else if (json_is_object(p) && json_object_size(p) > 0) {
		json_object_foreach((json_t *)p, type, v)
			ok &= is_string_list(v);
	} else {
		ok = 0;
	}
	if (!ok)
		ERROR(c, "%s is neither '*' nor an object of strings or arrays of strings "
		      "(such as {\"AWS\": ARN}): KMS rejects the policy", which);
}

static void check_list_element(struct ctx *c, struct stmt *s, const char *name, const char *negated,
			       const char *why)
{
	const char *which = json_object_get(s->j, name) ? name : negated;
	const json_t *v = json_object_get(s->j, which);

	if (!v)
		ERROR(c, "no %s: %s", name, why);
	else if (!is_string_list(v))
		ERROR(c, "%s is neither a string nor an array of strings: KMS rejects the policy", which);
}

static void check_action(struct ctx *c, struct stmt *s)
{
	check_list_element(c, s, "Action", "NotAction",
			   "the statement names no operation and KMS rejects it");
}

static void check_resource(struct ctx *c, struct stmt *s)
{
	check_list_element(c, s, "Resource", "NotResource",
			   "KMS rejects a key policy statement without one ('*' means this key)");
}

static void check_sid(struct ctx *c, struct stmt *s)
{
	const json_t *sid = json_object_get(s->j, "Sid");
	const char *v = json_string_value(sid);
	json_t *first;

	if (sid && !v) {
		ERROR(c, "Sid is not a string: KMS rejects the policy");
		return;
	}
	if (!v)
		return;
	first = json_object_get(c->sids, v);
	if (first) {
		ERROR(c, "duplicate Sid (statement #%" JSON_INTEGER_FORMAT " has it too): "
		      "Sids must be unique within a policy", json_integer_value(first));
		return;
	}
	if (json_object_set_new(c->sids, v, json_integer((json_int_t)s->pos)))
		c->rc = err_set(c->err, NK_IO, "out of memory");
}

/* The first administrative action the Action (or NotAction) list denies;
 * *by is the Action entry that covers it (NULL for NotAction). */
static const char *admin_covered(const json_t *action, const json_t *not_action, const char **by)
{
	const size_t nprobe = sizeof admin_actions / sizeof admin_actions[0];
	const size_t npat = sizeof admin_patterns / sizeof admin_patterns[0];

	*by = NULL;
	if (not_action) {
		for (size_t p = 0; p < nprobe; p++) {
			size_t i;

			for (i = 0; i < policy_list_size(not_action); i++)
				if (policy_wildcard(policy_list_at(not_action, i), admin_actions[p], 1))
					break;
			if (i == policy_list_size(not_action))
				return admin_actions[p];
		}
		return NULL;
	}
	for (size_t p = 0; p < nprobe; p++) {
		for (size_t i = 0; i < policy_list_size(action); i++) {
			if (policy_wildcard(policy_list_at(action, i), admin_actions[p], 1)) {
				*by = policy_list_at(action, i);
				return admin_actions[p];
			}
		}
	}
	/* Named actions the administrator statement's wildcards cover (kms:GetPublicKey). */
	for (size_t i = 0; i < policy_list_size(action); i++) {
		for (size_t p = 0; p < npat; p++) {
			if (!has_wildcard(policy_list_at(action, i)) && policy_wildcard(admin_patterns[p], policy_list_at(action, i), 1)) {
				*by = policy_list_at(action, i);
				return *by;
			}
		}
	}
	return NULL;
}

/* DESIGN §4.6's pitfall: a Deny that holds without attestation also hits the
 * administrative requests, which never carry it. */
static void check_lockout(struct ctx *c, struct stmt *s)
{
	const json_t *action = json_object_get(s->j, "Action");
	const json_t *not_action = action ? NULL : json_object_get(s->j, "NotAction");
	const char *admin, *by;
	struct shown b;

	if (s->effect != EFFECT_DENY || !s->absent_op || !is_string_list(action ? action : not_action))
		return;
	admin = admin_covered(action, not_action, &by);
	if (!admin)
		return;
	if (!by)
		ERROR(c, "locks administrators out: Deny with '%s' on every action but its NotAction "
		      "also denies %s, which never carries attestation", s->absent_op, admin);
	else if (has_wildcard(by))
		ERROR(c, "locks administrators out: Deny with '%s' on '%s' also denies %s, "
		      "which never carries attestation", s->absent_op, show(by, &b), admin);
	else
		ERROR(c, "locks administrators out: Deny with '%s' on '%s', which never carries attestation",
		      s->absent_op, show(by, &b));
}

static int is_attested(const char *action)
{
	for (size_t i = 0; i < sizeof attested_actions / sizeof attested_actions[0]; i++)
		if (!strcasecmp(action, attested_actions[i]))
			return 1;
	return 0;
}

static int is_admin(const char *action)
{
	for (size_t i = 0; i < sizeof admin_patterns / sizeof admin_patterns[0]; i++)
		if (policy_wildcard(admin_patterns[i], action, 1))
			return 1;
	return 0;
}

/* Attestation conditions on explicitly named actions whose requests carry none
 * (wildcards are left alone: too noisy).  Administrative ones in a Deny are
 * check_lockout's. */
static void check_unattested_actions(struct ctx *c, struct stmt *s)
{
	const json_t *action = json_object_get(s->j, "Action");
	struct shown b;

	if (!is_string_list(action))
		return;
	for (size_t i = 0; i < policy_list_size(action); i++) {
		const char *a = policy_list_at(action, i);

		if (has_wildcard(a) || is_attested(a))
			continue;
		if (s->effect == EFFECT_DENY && s->absent_op && !is_admin(a))
			ERROR(c, "Deny with '%s' always denies '%s': its requests carry no attestation",
			      s->absent_op, show(a, &b));
		else if (s->effect == EFFECT_ALLOW && s->att_required)
			WARNING(c, "the attestation condition never matches '%s': its requests carry no "
				"attestation, so this statement does not allow it", show(a, &b));
	}
}

/* In this order: check_condition fills what check_lockout and
 * check_unattested_actions read, check_effect what all three read. */
static void (*const statement_checks[])(struct ctx *, struct stmt *) = {
	check_effect, check_principal, check_action, check_resource, check_sid,
	check_condition, check_lockout, check_unattested_actions,
};

static void check_statement(struct ctx *c, const json_t *j, size_t pos)
{
	const char *sid = json_string_value(json_object_get(j, "Sid"));
	struct stmt s = { .j = j, .pos = pos };
	struct shown b;
	char *label = NULL;
	int n;

	if (sid && *sid)
		n = asprintf(&label, "statement %s", show(sid, &b));
	else
		n = asprintf(&label, "statement #%zu", pos);
	if (n < 0) {
		c->rc = err_set(c->err, NK_IO, "out of memory");
		return;
	}
	sanitize(label);
	c->label = label;
	if (!json_is_object(j))
		ERROR(c, "not an object: a statement is a JSON object");
	else
		for (size_t i = 0; i < sizeof statement_checks / sizeof statement_checks[0] && !c->rc; i++)
			statement_checks[i](c, &s);
	c->label = "policy";
	free(label);
}

/* --- document checks ------------------------------------------------------ */

static void check_version(struct ctx *c, const json_t *doc)
{
	const json_t *version = json_object_get(doc, "Version");
	const char *v = json_string_value(version);
	struct shown b;

	if (!version)
		ERROR(c, "no Version: key policies need Version '2012-10-17'");
	else if (!v)
		ERROR(c, "Version is not a string: KMS accepts '2012-10-17'");
	else if (!strcmp(v, "2008-10-17"))
		WARNING(c, "Version '2008-10-17' is outdated: it has no policy variables; use '2012-10-17'");
	else if (strcmp(v, "2012-10-17"))
		ERROR(c, "unknown Version '%s': KMS accepts '2012-10-17' (or the outdated '2008-10-17')",
		      show(v, &b));
}

static void check_statements(struct ctx *c, const json_t *doc)
{
	const json_t *st = json_object_get(doc, "Statement");
	size_t i;
	json_t *s;

	if (!st) {
		ERROR(c, "no Statement: a key policy needs at least one");
	} else if (json_is_object(st)) {
		check_statement(c, st, 1);
	} else if (json_is_array(st)) {
		json_array_foreach(st, i, s) {
			if (c->rc)
				break;
			check_statement(c, s, i + 1);
		}
	} else {
		ERROR(c, "Statement is neither an array nor an object: KMS rejects the policy");
	}
}

static json_t *parse(struct ctx *c, const unsigned char *buf, size_t len)
{
	json_error_t je;
	json_t *doc;

	if (!buf)
		buf = (const unsigned char *)"";
	/* JSON_DECODE_ANY: a scalar is "not an object", not a parse error. */
	doc = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (doc)
		return doc;
	if (json_error_code(&je) == json_error_duplicate_key)
		ERROR(c, "invalid JSON at line %d column %d: %s: parsers disagree on which value counts",
		      je.line, je.column, je.text);
	else if (json_error_code(&je) == json_error_out_of_memory)
		c->rc = err_set(c->err, NK_IO, "out of memory");
	else
		ERROR(c, "invalid JSON at line %d column %d: %s", je.line, je.column, je.text);
	return NULL;
}

int policy_check(const unsigned char *buf, size_t len, policy_finding_fn fn, void *ctx, int *errors,
		 struct nk_err *err)
{
	struct ctx c = { .report = fn, .report_ctx = ctx, .err = err, .label = "policy" };
	json_t *doc = NULL;

	if (len > POLICY_BYTES_MAX)
		ERROR(&c, "policy is %zu bytes, more than the %d KMS accepts", len, POLICY_BYTES_MAX);
	doc = parse(&c, buf, len);
	if (!doc || c.rc)
		goto out;
	if (!json_is_object(doc)) {
		ERROR(&c, "not a JSON object: a key policy is an object with Version and Statement");
		goto out;
	}
	c.sids = json_object();
	if (!c.sids) {
		c.rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	check_version(&c, doc);
	check_statements(&c, doc);
out:
	json_decref(c.sids);
	json_decref(doc);
	*errors = c.errors;
	return c.rc;
}
