/* Updating an existing key policy: the statements policy-gen owns (their Sid
 * starts with the prefix) are regenerated in place; everything else, other
 * statements and top-level keys alike, stays as it was. */
#include "policy/policy.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/io.h"
#include "util/jsonx.h"

static const char *sid_of(const json_t *st)
{
	return json_string_value(json_object_get(st, "Sid"));
}

static int is_owned(const json_t *st, const char *prefix)
{
	const char *sid = sid_of(st);

	return sid && strncmp(sid, prefix, strlen(prefix)) == 0;
}

int policy_load(const void *buf, size_t len, const char *name, json_t **out, struct nk_err *err)
{
	size_t head = strlen(name) + 4;  /* jsonx_parse's "'name': " */
	json_t *j = NULL, *st, *one;
	struct nk_err e = { 0 };
	size_t i;

	if (jsonx_parse(buf, len, name, &j, &e))
		return err_set(err, NK_DATA, "'%s': not a key policy: %s", name,
			       strlen(e.msg) > head ? e.msg + head : e.msg);
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(err, NK_DATA, "'%s': not a key policy: not a JSON object", name);
	}
	st = json_object_get(j, "Statement");
	if (json_is_object(st)) {
		one = json_array();
		if (!one || json_array_append(one, st) || json_object_set_new(j, "Statement", one)) {
			json_decref(j);
			return err_set(err, NK_IO, "out of memory");
		}
		st = one;
	}
	if (!st || !json_is_array(st)) {
		json_decref(j);
		return err_set(err, NK_DATA, "'%s': not a key policy: %s", name,
			       st ? "\"Statement\" is not an array" : "no \"Statement\"");
	}
	json_array_foreach(st, i, one)
		if (!json_is_object(one)) {
			json_decref(j);
			return err_set(err, NK_DATA, "'%s': not a key policy: statement #%zu is not an object", name,
				       i + 1);
		}
	*out = j;
	return NK_OK;
}

int policy_load_file(const char *path, json_t **out, struct nk_err *err)
{
	unsigned char *buf = NULL;
	size_t len;
	int rc;

	if (!(rc = io_read_all(path, POLICY_MAX, &buf, &len, err)))
		rc = policy_load(buf, len, io_name(path), out, err);
	free(buf);
	return rc;
}

/* The strings of a string-or-array field; NULL when it is neither or has a
 * non-string element. */
static const char *next_str(const json_t *v, size_t i)
{
	if (json_is_string(v))
		return i == 0 ? json_string_value(v) : NULL;
	return json_string_value(json_array_get(v, i));
}

static size_t str_count(const json_t *v)
{
	size_t n;

	if (json_is_string(v))
		return 1;
	if (!json_is_array(v))
		return 0;
	for (n = 0; n < json_array_size(v); n++)
		if (!json_is_string(json_array_get(v, n)))
			return 0;
	return n;
}

static int take_principals(struct policy_spec *s, const json_t *allow, struct nk_err *err)
{
	const json_t *p = json_object_get(allow, "Principal");
	const json_t *aws = json_is_string(p) ? p : json_object_get(p, "AWS");
	size_t n = str_count(aws);
	int rc;

	if (!n)
		return err_set(err, NK_USAGE, "--enclave-principal is needed: statement '%s' has no Principal.AWS",
			       sid_of(allow));
	for (size_t i = 0; i < n; i++)
		if ((rc = policy_strs_add(&s->enclave, next_str(aws, i), 0, err)))
			return rc;
	return NK_OK;
}

static int take_ops(struct policy_spec *s, const json_t *allow, const char *name, struct nk_err *err)
{
	const json_t *a = json_object_get(allow, "Action");
	size_t n = str_count(a);
	unsigned ops = 0, i;

	for (size_t k = 0; k < n; k++) {
		const char *act = next_str(a, k);

		for (i = 0; i < POLICY_OP_COUNT && strcasecmp(act, policy_op_actions[i]) != 0; i++)
			;
		if (i == POLICY_OP_COUNT)
			return err_set(err, NK_DATA, "'%s': statement '%s': action '%s' is not one policy-gen writes: "
				       "give --allow", name, sid_of(allow), act);
		ops |= 1u << i;
	}
	if (!ops)
		return err_set(err, NK_DATA, "'%s': statement '%s' has no Action: give --allow", name, sid_of(allow));
	s->ops = ops;
	return NK_OK;
}

static int is_debug_zero(int key, const char *v)
{
	return (key == POLICY_KEY_IMAGE || key == 0 || key == 1 || key == 2 || key == 8) &&
	       strspn(v, "0") == PCR_HEX_LEN && v[PCR_HEX_LEN] == '\0';
}

/* Every attestation value in the conditions of one owned statement, under
 * any operator.  The all-zero values of debug mode are left out: whether
 * they are admitted is --debug-mode's decision, made anew by each merge. */
static int take_values(struct policy_values *old, uint32_t *keys_seen, const json_t *st, const char *name,
		       struct nk_err *err)
{
	const json_t *cond = json_object_get(st, "Condition"), *keys, *v;
	const char *op, *key;
	int pcr;

	json_object_foreach((json_t *)cond, op, keys) {
		json_object_foreach((json_t *)keys, key, v) {
			size_t n = str_count(v);

			if ((pcr = policy_key_parse(key)) < 0)
				continue;
			if (!n)
				return err_set(err, NK_DATA, "'%s': statement '%s': %s must be a string or an array of strings",
					       name, sid_of(st), key);
			for (size_t i = 0; i < n; i++) {
				const char *hex = next_str(v, i);

				if (is_debug_zero(pcr, hex))
					continue;
				if (policy_values_add(old, pcr == POLICY_KEY_IMAGE ? 0 : (unsigned)pcr, hex, NULL))
					return err_set(err, NK_DATA, "'%s': statement '%s': %s: '%s' is not %d hex characters",
						       name, sid_of(st), key, hex, PCR_HEX_LEN);
			}
			old->image |= pcr == POLICY_KEY_IMAGE;
			*keys_seen |= (uint32_t)1 << (pcr == POLICY_KEY_IMAGE ? 0 : pcr);
		}
	}
	return NK_OK;
}

/* --add keeps both images admitted only when both have values for the keys
 * that come from the image (PCR0 or ImageSha384, PCR1, PCR2, PCR8): keys are
 * AND'ed, so such a key on one side only (PCR8 of a signed image, say) would
 * shut the other image out, and dropping it would weaken the old image's
 * policy.  Refuse rather than guess.  Other keys (PCR3's role, PCR4's
 * instance, user PCRs) do not depend on the image: on one side only, their
 * values bind both images, as someone adding --pcr 3=... means. */
static int same_image_keys(const struct policy_spec *s, uint32_t old_keys, struct nk_err *err)
{
	static const unsigned image_pcrs[] = { 0, 1, 2, 8 };
	char name[64];

	if (!old_keys)
		return NK_OK;
	for (size_t i = 0; i < sizeof image_pcrs / sizeof *image_pcrs; i++) {
		unsigned p = image_pcrs[i];
		int in_old = old_keys >> p & 1, in_new = s->values.pcr[p].n > 0;

		if (in_old != in_new)
			return err_set(err, NK_USAGE, "--add: the %s name %s and the %s do not, so one of the images "
				       "could never match: give the same PCRs (--use, --pcr) or merge without --add",
				       in_old ? "old statements" : "new values",
				       policy_key_name(p, p == 0 && s->values.image, name, sizeof name),
				       in_old ? "new values" : "old statements");
	}
	return NK_OK;
}

/* Options the command line left out come from the owned Allow statement. */
static int resolve(struct policy_spec *s, const json_t *allow, int any_owned, const char *name,
		   struct nk_err *err)
{
	const char *prefix = policy_spec_prefix(s);
	int rc;

	if (!s->enclave.n && !allow)
		return err_set(err, NK_USAGE, "--enclave-principal is needed: the policy has no %s%s statements",
			       prefix, any_owned ? "Allow" : "");
	if (!allow)
		return NK_OK;
	if (!s->enclave.n && (rc = take_principals(s, allow, err)))
		return rc;
	if (!s->ops && (rc = take_ops(s, allow, name, err)))
		return rc;
	if (s->style == POLICY_STYLE_UNSET)
		s->style = json_object_get(allow, "Condition") ? POLICY_STYLE_ALLOW : POLICY_STYLE_DENY;
	return NK_OK;
}

int policy_merge(json_t *doc, const char *name, struct policy_spec *s, int add, struct nk_err *err)
{
	const char *prefix = policy_spec_prefix(s), *effect;
	json_t *old = json_object_get(doc, "Statement"), *st, *allow = NULL, *gen = NULL, *out = NULL;
	struct policy_values vals = { 0 };
	size_t i, first = (size_t)-1;
	uint32_t old_keys = 0;
	int rc;

	json_array_foreach(old, i, st) {
		if (!is_owned(st, prefix))
			continue;
		if (first == (size_t)-1)
			first = i;
		effect = json_string_value(json_object_get(st, "Effect"));
		if (!allow && effect && strcmp(effect, "Allow") == 0)
			allow = st;
		if (add && (rc = take_values(&vals, &old_keys, st, name, err)))
			goto out;
	}
	if ((rc = resolve(s, allow, first != (size_t)-1, name, err)) || (rc = same_image_keys(s, old_keys, err)))
		goto out;
	if ((rc = policy_values_append(&vals, &s->values, err)))
		goto out;
	policy_values_free(&s->values);
	s->values = vals;
	memset(&vals, 0, sizeof vals);

	if (!(gen = policy_owned_statements(s)) || !(out = json_array()))
		goto oom;
	json_array_foreach(old, i, st) {
		if (i == first && json_array_extend(out, gen))
			goto oom;
		if (!is_owned(st, prefix) && json_array_append(out, st))
			goto oom;
	}
	if (first == (size_t)-1 && json_array_extend(out, gen))
		goto oom;
	if (json_object_set(doc, "Statement", out))
		goto oom;
	goto out;
oom:
	rc = err_set(err, NK_IO, "out of memory");
out:
	policy_values_free(&vals);
	json_decref(gen);
	json_decref(out);
	return rc;
}
