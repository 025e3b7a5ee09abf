/* The key policy evaluator of policy_eval.h.  Its own operator table: the
 * linter's (policy_check.c) also knows operators this evaluator refuses to
 * guess at. */
#include "policy/policy_eval.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy/policy.h"

/* --- shown text ----------------------------------------------------------- */

/* s as it may appear in one line of output: control characters as '?', at
 * most size - 1 bytes, "..." when cut. */
static const char *show(const char *s, char *buf, size_t size)
{
	size_t i, n = strlen(s);

	for (i = 0; i < n && i + 1 < size; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	if (i < n && size > 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

#define SHOW_MAX 160
struct shown {
	char b[SHOW_MAX];
};
#define SHOW(s, sh) show((s), (sh).b, sizeof (sh).b)

/* --- matching ------------------------------------------------------------- */

/* An element that is one value or an array of them (validated before). */
static size_t elems(const json_t *v)
{
	return json_is_array(v) ? json_array_size(v) : 1;
}

/* arn:PART:(iam|sts)::ACCT(12 digits):RESOURCE, the only ARNs that name
 * IAM callers. */
struct arn {
	const char *part, *svc, *acct, *res;
	size_t part_len;
};

static int all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

static int arn_parse(const char *s, struct arn *a)
{
	if (strncmp(s, "arn:", 4))
		return 0;
	a->part = s + 4;
	a->part_len = strcspn(a->part, ":");
	if (!a->part_len || a->part[a->part_len] != ':')
		return 0;
	a->svc = a->part + a->part_len + 1;
	if (strncmp(a->svc, "iam::", 5) && strncmp(a->svc, "sts::", 5))
		return 0;
	a->acct = a->svc + 5;
	if (strlen(a->acct) < 13 || !all_digits(a->acct, 12) || a->acct[12] != ':')
		return 0;
	a->res = a->acct + 13;
	return *a->res != '\0';
}

static int same_account(const struct arn *a, const struct arn *b)
{
	return a->part_len == b->part_len && !strncmp(a->part, b->part, a->part_len) &&
	       !strncmp(a->acct, b->acct, 12);
}

/* A role ARN names its sessions: arn:PART:sts::ACCT:assumed-role/NAME/SESSION,
 * where NAME is the role's name without its path. */
static int is_session_of(const struct arn *role, const struct arn *c)
{
	const char *name = strrchr(role->res, '/') + 1, *r = c->res;
	size_t n;

	if (strncmp(c->svc, "sts", 3) || !same_account(role, c) || strncmp(r, "assumed-role/", 13))
		return 0;
	r += 13;
	n = strcspn(r, "/");
	return r[n] == '/' && n == strlen(name) && !strncmp(r, name, n);
}

/* Whether one Principal entry names the caller. */
static int principal_entry_match(const char *entry, const char *caller)
{
	struct arn e, c;
	int caller_ok = arn_parse(caller, &c);

	if (!strcmp(entry, "*"))
		return 1;
	if (strlen(entry) == 12 && all_digits(entry, 12))
		return caller_ok && !strncmp(c.acct, entry, 12);
	if (!arn_parse(entry, &e))
		return !strcmp(entry, caller);
	if (!strncmp(e.svc, "iam", 3) && !strcmp(e.res, "root"))
		return caller_ok && same_account(&e, &c);
	if (!strcmp(entry, caller))
		return 1;
	return !strncmp(e.svc, "iam", 3) && !strncmp(e.res, "role/", 5) && caller_ok && is_session_of(&e, &c);
}

/* --- statements ----------------------------------------------------------- */

struct stmt {
	size_t pos;             /* 1-based */
	char label[128];        /* Sid or #N, shown */
	const json_t *j;
	struct nk_err *err;
};

static int bad(const struct stmt *s, const char *what, const char *value)
{
	struct shown v;

	if (value)
		return err_set(s->err, NK_DATA, "statement '%s': %s '%s'", s->label, what, SHOW(value, v));
	return err_set(s->err, NK_DATA, "statement '%s': %s", s->label, what);
}

/* A string or an array of strings, as Action, Resource and AWS principals are. */
static int string_list(const struct stmt *s, const char *name, const json_t *v)
{
	char what[64];
	size_t i;
	json_t *e;

	if (json_is_string(v))
		return NK_OK;
	snprintf(what, sizeof what, "%s is neither a string nor an array of strings", name);
	if (!json_is_array(v))
		return bad(s, what, NULL);
	json_array_foreach(v, i, e)
		if (!json_is_string(e))
			return bad(s, what, NULL);
	return NK_OK;
}

/* The element and whether it is the negated form; NK_DATA when the
 * statement has neither or both. */
static int pick(const struct stmt *s, const char *name, const char *not_name, const json_t **v, int *negated)
{
	const json_t *a = json_object_get(s->j, name), *b = json_object_get(s->j, not_name);
	char what[64];

	if (!a == !b) {
		snprintf(what, sizeof what, a ? "both %s and %s" : "neither %s nor %s", name, not_name);
		return bad(s, what, NULL);
	}
	*v = a ? a : b;
	*negated = !a;
	return NK_OK;
}

static int principal_match(const struct stmt *s, const char *caller, int *match)
{
	const json_t *p, *v;
	const char *kind;
	int negated, rc, hit = 0;

	if ((rc = pick(s, "Principal", "NotPrincipal", &p, &negated)))
		return rc;
	if (json_is_string(p)) {
		if (strcmp(json_string_value(p), "*"))
			return bad(s, "Principal is neither \"*\" nor an object:", json_string_value(p));
		hit = 1;
	} else if (json_is_object(p)) {
		json_object_foreach((json_t *)p, kind, v) {
			if (strcmp(kind, "AWS"))
				continue;  /* Service, Federated, ...: never an IAM caller */
			if ((rc = string_list(s, "the AWS principal", v)))
				return rc;
			for (size_t i = 0; caller && i < elems(v); i++)
				hit |= principal_entry_match(policy_list_at(v, i), caller);
		}
	} else {
		return bad(s, "Principal is neither \"*\" nor an object", NULL);
	}
	*match = !caller || (negated ? !hit : hit);
	return NK_OK;
}

static int action_match(const struct stmt *s, const char *action, int *match)
{
	const json_t *a;
	int negated, rc, hit = 0;

	if ((rc = pick(s, "Action", "NotAction", &a, &negated)) || (rc = string_list(s, "Action", a)))
		return rc;
	for (size_t i = 0; i < elems(a); i++)
		hit |= policy_wildcard(policy_list_at(a, i), action, 1);
	*match = negated ? !hit : hit;
	return NK_OK;
}

/* Key policies name their own key as "*"; anything else cannot be matched
 * without the key's ARN, and guessing either way could turn a Deny off. */
static int resource_check(const struct stmt *s)
{
	const json_t *r = json_object_get(s->j, "Resource");
	int rc;

	if (json_object_get(s->j, "NotResource"))
		return bad(s, "NotResource is not supported in a key policy", NULL);
	if (!r)
		return bad(s, "no Resource", NULL);
	if ((rc = string_list(s, "Resource", r)))
		return rc;
	if (!elems(r))
		return bad(s, "Resource is an empty array", NULL);
	for (size_t i = 0; i < elems(r); i++) {
		const char *e = policy_list_at(r, i);

		if (*e && strspn(e, "*") == strlen(e))
			return NK_OK;
	}
	return bad(s, "Resource is not \"*\" (key policies name their key as \"*\"):", policy_list_at(r, 0));
}

/* --- conditions ----------------------------------------------------------- */

enum cmp { CMP_EQ, CMP_EQ_CI, CMP_LIKE, CMP_BOOL, CMP_NULL };

static const struct op_info {
	const char *name;
	enum cmp cmp;
	int negated;
} operators[] = {
	{"StringEquals", CMP_EQ, 0},
	{"StringNotEquals", CMP_EQ, 1},
	{"StringEqualsIgnoreCase", CMP_EQ_CI, 0},
	{"StringNotEqualsIgnoreCase", CMP_EQ_CI, 1},
	{"StringLike", CMP_LIKE, 0},
	{"StringNotLike", CMP_LIKE, 1},
	{"Bool", CMP_BOOL, 0},
	{"Null", CMP_NULL, 0},
};

#define IF_EXISTS "IfExists"

/* The operator of a name, exactly spelt: IAM's are case-sensitive. */
static const struct op_info *op_parse(const char *name, int *if_exists)
{
	size_t len = strlen(name), xl = strlen(IF_EXISTS);

	*if_exists = len > xl && !strcmp(name + len - xl, IF_EXISTS);
	if (*if_exists)
		len -= xl;
	for (size_t i = 0; i < sizeof operators / sizeof operators[0]; i++)
		if (strlen(operators[i].name) == len && !strncmp(name, operators[i].name, len))
			return *if_exists && operators[i].cmp == CMP_NULL ? NULL : &operators[i];
	return NULL;
}

/* A condition value as text, as IAM compares it. */
static int value_text(const json_t *v, char *buf, size_t size, const char **out)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		*out = json_string_value(v);
		return 0;
	case JSON_TRUE:
	case JSON_FALSE:
		*out = json_is_true(v) ? "true" : "false";
		return 0;
	case JSON_INTEGER:
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		*out = buf;
		return 0;
	case JSON_REAL:
		/* the shortest text that reads back as the same number */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, size, "%.*g", prec, json_real_value(v));
			if (strtod(buf, NULL) == json_real_value(v))
				break;
		}
		*out = buf;
		return 0;
	default:
		return -1;
	}
}

static const char *ctx_get(const struct policy_request *r, const char *key)
{
	for (size_t i = 0; i < r->nctx; i++)
		if (r->ctx[i].key && r->ctx[i].value && !strcasecmp(r->ctx[i].key, key))
			return r->ctx[i].value;
	return NULL;
}

static int compare(enum cmp cmp, const char *policy, const char *request)
{
	switch (cmp) {
	case CMP_EQ:
		return !strcmp(policy, request);
	case CMP_LIKE:
		return policy_wildcard(policy, request, 0);
	default:
		return !strcasecmp(policy, request);
	}
}

/* Why a condition held or failed, for the decision's text. */
static void explain(const struct op_info *op, const char *key, const char *got, int held, char *buf, size_t size)
{
	const char *subj = strncasecmp(key, POLICY_KEY_PREFIX, strlen(POLICY_KEY_PREFIX)) ? "the request's value"
											   : "the document's value";
	int like = op->cmp == CMP_LIKE, one = op->negated ? !held : held;

	if (op->cmp == CMP_NULL)
		snprintf(buf, size, got ? "the key is present" : "the key is absent");
	else if (!got)
		snprintf(buf, size, "the key is absent from the request");
	else if (like)
		snprintf(buf, size, "%s matches %s of the policy's patterns", subj, one ? "one" : "none");
	else
		snprintf(buf, size, "%s is %s of the policy's", subj, one ? "one" : "not one");
}

struct cond_state {
	int held;                /* every condition so far */
	int any;                 /* the statement has at least one */
	char first[256];         /* "OP on 'KEY'" of the first condition */
	char first_why[128];     /* and why it held or failed */
	char failed[256];        /* "OP on 'KEY'" of the first failing one */
};

static int condition_key(const struct stmt *s, const char *opname, const struct op_info *op, int if_exists,
			 const char *key, const json_t *values, const struct policy_request *r, struct cond_state *cs)
{
	const char *got = ctx_get(r, key), *text;
	char num[64], what[96];
	int hit = 0, held;
	struct shown o, k;
	size_t i;
	json_t *e;

	if (json_is_array(values)) {
		json_array_foreach(values, i, e)
			if (value_text(e, num, sizeof num, &text))
				goto bad_value;
			else if (op->cmp == CMP_NULL)
				hit |= !strcasecmp(text, "true") != (got != NULL);
			else if (got)
				hit |= compare(op->cmp, text, got);
	} else if (value_text(values, num, sizeof num, &text)) {
		goto bad_value;
	} else if (op->cmp == CMP_NULL) {
		hit = !strcasecmp(text, "true") != (got != NULL);
	} else if (got) {
		hit = compare(op->cmp, text, got);
	}
	if (op->cmp == CMP_NULL)
		held = hit;
	else if (!got)
		held = op->negated || if_exists;
	else
		held = op->negated ? !hit : hit;

	SHOW(opname, o);
	SHOW(key, k);
	if (!cs->any) {
		snprintf(cs->first, sizeof cs->first, "%s on '%s'", o.b, k.b);
		explain(op, key, got, held, cs->first_why, sizeof cs->first_why);
	}
	if (!held && cs->held)
		snprintf(cs->failed, sizeof cs->failed, "%s on '%s'", o.b, k.b);
	cs->any = 1;
	cs->held &= held;
	return NK_OK;
bad_value:
	snprintf(what, sizeof what, "condition %s on '%s': a value is neither a string, a number nor a boolean",
		 SHOW(opname, o), SHOW(key, k));
	return bad(s, what, NULL);
}

/* Every condition, none skipped: an unknown operator is an error wherever it is. */
static int conditions(const struct stmt *s, const struct policy_request *r, struct cond_state *cs)
{
	json_t *c = json_object_get(s->j, "Condition"), *block, *values;
	const char *opname, *key;
	const struct op_info *op;
	int if_exists, rc;

	memset(cs, 0, sizeof *cs);
	cs->held = 1;
	if (!c)
		return NK_OK;
	if (!json_is_object(c))
		return bad(s, "Condition is not an object", NULL);
	json_object_foreach(c, opname, block) {
		if (!(op = op_parse(opname, &if_exists)))
			return bad(s, "unsupported condition operator", opname);
		if (!json_is_object(block))
			return bad(s, "condition block is not an object:", opname);
		json_object_foreach(block, key, values)
			if ((rc = condition_key(s, opname, op, if_exists, key, values, r, cs)))
				return rc;
	}
	return NK_OK;
}

/* --- the decision --------------------------------------------------------- */

const char *policy_effect_name(enum policy_effect e)
{
	switch (e) {
	case POLICY_ALLOW:
		return "Allow";
	case POLICY_EXPLICIT_DENY:
		return "explicit Deny";
	default:
		return "implicit deny";
	}
}

/* The statement's label and effect (1 Allow, 0 Deny). */
static int statement_head(struct stmt *s, int *allow)
{
	const json_t *sid, *effect;
	struct shown v;

	snprintf(s->label, sizeof s->label, "#%zu", s->pos);
	if (!json_is_object(s->j))
		return bad(s, "not an object", NULL);
	sid = json_object_get(s->j, "Sid");
	if (sid && !json_is_string(sid))
		return bad(s, "Sid is not a string", NULL);
	if (sid && *json_string_value(sid))
		show(json_string_value(sid), s->label, sizeof s->label);
	effect = json_object_get(s->j, "Effect");
	if (!json_is_string(effect) || (strcmp(json_string_value(effect), "Allow") &&
					strcmp(json_string_value(effect), "Deny")))
		return err_set(s->err, NK_DATA, "statement '%s': Effect is neither \"Allow\" nor \"Deny\"%s%s%s",
			       s->label, json_is_string(effect) ? ": '" : "",
			       json_is_string(effect) ? SHOW(json_string_value(effect), v) : "",
			       json_is_string(effect) ? "'" : "");
	*allow = !strcmp(json_string_value(effect), "Allow");
	return NK_OK;
}

int policy_eval(const json_t *policy, const struct policy_request *r, struct policy_decision *d,
		struct nk_err *err)
{
	const json_t *list;
	struct stmt s = {.err = err};
	struct cond_state cs;
	int deny = 0, allow = 0, closest = 0, rc;
	char closest_label[128] = "", closest_cond[256] = "";
	struct shown a, p;

	memset(d, 0, sizeof *d);
	d->effect = POLICY_IMPLICIT_DENY;
	if (!r || !r->action)
		return err_set(err, NK_USAGE, "no action to evaluate");
	if (!json_is_object(policy))
		return err_set(err, NK_DATA, "not a key policy: not a JSON object");
	if (!(list = json_object_get(policy, "Statement")))
		return err_set(err, NK_DATA, "not a key policy: no Statement");
	if (!json_is_array(list) && !json_is_object(list))
		return err_set(err, NK_DATA, "not a key policy: Statement is neither an array nor an object");

	for (size_t i = 0; i < elems(list); i++) {
		int is_allow = 0, pmatch = 0, amatch = 0;

		s.pos = i + 1;
		s.j = json_is_array(list) ? json_array_get(list, i) : list;
		if ((rc = statement_head(&s, &is_allow)) || (rc = principal_match(&s, r->principal, &pmatch)) ||
		    (rc = action_match(&s, r->action, &amatch)) || (rc = resource_check(&s)) ||
		    (rc = conditions(&s, r, &cs)))
			return rc;
		if (!pmatch || !amatch)
			continue;
		if (!cs.held) {
			if (is_allow && !closest) {
				closest = 1;
				memcpy(closest_label, s.label, sizeof closest_label);
				memcpy(closest_cond, cs.failed, sizeof closest_cond);
			}
			continue;
		}
		if (!is_allow && !deny) {
			deny = 1;
			d->effect = POLICY_EXPLICIT_DENY;
			memcpy(d->sid, s.label, sizeof d->sid);
			if (cs.any)
				snprintf(d->why, sizeof d->why, "condition %s matched (%s)", cs.first, cs.first_why);
			else
				snprintf(d->why, sizeof d->why, "no condition");
		} else if (is_allow && !allow) {
			allow = 1;
			if (!deny)
				memcpy(d->sid, s.label, sizeof d->sid);
		}
	}
	if (deny)
		return NK_OK;
	if (allow) {
		d->effect = POLICY_ALLOW;
		return NK_OK;
	}
	d->sid[0] = '\0';
	if (r->principal)
		snprintf(d->why, sizeof d->why, "no statement allows '%s' for '%s'", SHOW(r->action, a),
			 SHOW(r->principal, p));
	else
		snprintf(d->why, sizeof d->why, "no statement allows '%s' for any principal", SHOW(r->action, a));
	if (closest) {
		size_t n = strlen(d->why);

		snprintf(d->why + n, sizeof d->why - n, " (closest: statement '%s': condition %s failed)",
			 closest_label, closest_cond);
	}
	return NK_OK;
}
