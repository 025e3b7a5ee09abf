#include "policy/policy.h"

#include <ctype.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/enc.h"
#include "util/io.h"
#include "util/jsonx.h"

static const char zeros[PCR_HEX_LEN + 1] =
	"000000000000000000000000000000000000000000000000"
	"000000000000000000000000000000000000000000000000";

const char *const policy_op_actions[POLICY_OP_COUNT] = {
	"kms:Decrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:GenerateRandom",
	"kms:DeriveSharedSecret",
};

static const char *const op_names[POLICY_OP_COUNT] = {
	"decrypt", "generate-data-key", "generate-data-key-pair", "generate-random", "derive-shared-secret",
};

int policy_strs_has(const struct policy_strs *l, const char *s, int ci)
{
	for (size_t i = 0; i < l->n; i++)
		if ((ci ? strcasecmp : strcmp)(l->v[i], s) == 0)
			return 1;
	return 0;
}

int policy_strs_add(struct policy_strs *l, const char *s, int ci, struct nk_err *err)
{
	char **grown, *dup;

	if (policy_strs_has(l, s, ci))
		return NK_OK;
	grown = realloc(l->v, (l->n + 1) * sizeof *grown);
	if (!grown)
		return err_set(err, NK_IO, "out of memory");
	l->v = grown;
	if (!(dup = strdup(s)))
		return err_set(err, NK_IO, "out of memory");
	l->v[l->n++] = dup;
	return NK_OK;
}

void policy_strs_free(struct policy_strs *l)
{
	for (size_t i = 0; l->v && i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int policy_is_pcr_hex(const char *s)
{
	size_t n = strspn(s, "0123456789abcdefABCDEF");

	return n == PCR_HEX_LEN && s[n] == '\0';
}

int policy_values_add(struct policy_values *v, unsigned pcr, const char *hex, struct nk_err *err)
{
	char low[PCR_HEX_LEN + 1];

	if (pcr >= PCR_COUNT || !policy_is_pcr_hex(hex))
		return err_set(err, NK_DATA, "'%s' is not %d hex characters", hex, PCR_HEX_LEN);
	for (size_t i = 0; i <= PCR_HEX_LEN; i++)
		low[i] = hex[i] >= 'A' && hex[i] <= 'F' ? (char)(hex[i] - 'A' + 'a') : hex[i];
	return policy_strs_add(&v->pcr[pcr], low, 1, err);
}

int policy_values_append(struct policy_values *dst, const struct policy_values *src, struct nk_err *err)
{
	int rc;

	for (unsigned p = 0; p < PCR_COUNT; p++)
		for (size_t i = 0; i < src->pcr[p].n; i++)
			if ((rc = policy_strs_add(&dst->pcr[p], src->pcr[p].v[i], 1, err)))
				return rc;
	dst->image |= src->image;
	return NK_OK;
}

int policy_values_debug(struct policy_values *v, struct nk_err *err)
{
	static const unsigned debug_pcrs[] = { 0, 1, 2, 8 };
	int rc;

	for (size_t i = 0; i < sizeof debug_pcrs / sizeof *debug_pcrs; i++)
		if (v->pcr[debug_pcrs[i]].n && (rc = policy_strs_add(&v->pcr[debug_pcrs[i]], zeros, 1, err)))
			return rc;
	return NK_OK;
}

unsigned policy_values_keys(const struct policy_values *v)
{
	unsigned n = 0;

	for (unsigned p = 0; p < PCR_COUNT; p++)
		n += v->pcr[p].n > 0;
	return n;
}

void policy_values_free(struct policy_values *v)
{
	for (unsigned p = 0; p < PCR_COUNT; p++)
		policy_strs_free(&v->pcr[p]);
	v->image = 0;
}

const char *policy_key_name(unsigned pcr, int image, char *buf, size_t size)
{
	if (pcr == 0 && image)
		snprintf(buf, size, "%s", POLICY_IMAGE_KEY);
	else
		snprintf(buf, size, "%sPCR%u", POLICY_KEY_PREFIX, pcr);
	return buf;
}

int policy_key_parse(const char *key)
{
	size_t n = strlen(POLICY_KEY_PREFIX);
	const char *p = key + n;
	unsigned v = 0;

	if (strncasecmp(key, POLICY_KEY_PREFIX, n) != 0)
		return -1;
	if (strcasecmp(p, "ImageSha384") == 0)
		return POLICY_KEY_IMAGE;
	if (strncasecmp(p, "PCR", 3) != 0 || !p[3] || (p[3] == '0' && p[4]) || strlen(p + 3) > 2)
		return -1;
	for (p += 3; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	return v < PCR_COUNT ? (int)v : -1;
}

/* A PCR index 0-31 in decimal, no sign, no leading zero. */
static int parse_index(const char *s, size_t len, unsigned *out)
{
	unsigned v = 0;

	if (len == 0 || len > 2 || (len == 2 && s[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v >= PCR_COUNT)
		return -1;
	*out = v;
	return 0;
}

int policy_values_arg(struct policy_values *v, const char *opt, const char *arg, struct nk_err *err)
{
	const char *hex = arg, *eq;
	unsigned pcr = 0;

	if (strcmp(opt, "pcr") == 0) {
		eq = strchr(arg, '=');
		if (!eq || parse_index(arg, (size_t)(eq - arg), &pcr))
			return err_set(err, NK_USAGE, "invalid value '%s' for --pcr: expected N=HEX with N from 0 to 31",
				       arg);
		hex = eq + 1;
	}
	if (!policy_is_pcr_hex(hex))
		return err_set(err, NK_USAGE, "invalid value '%s' for --%s: expected %d hex characters", arg, opt,
			       PCR_HEX_LEN);
	if (strcmp(opt, "image-sha384") == 0)
		v->image = 1;
	return policy_values_add(v, pcr, hex, err);
}

/* Calls fn on each item of a comma-separated list; an empty item is passed
 * as "" so that the caller names it in its message. */
static int each_item(const char *list, int (*fn)(const char *item, void *ctx, struct nk_err *err), void *ctx,
		     struct nk_err *err)
{
	char item[64];
	int rc;

	for (const char *p = list;; p++) {
		size_t n = strcspn(p, ",");

		snprintf(item, sizeof item, "%.*s", (int)(n < sizeof item ? n : sizeof item - 1), p);
		if (n >= sizeof item)
			item[sizeof item - 2] = '.';  /* never a valid item: the message shows it cut */
		if ((rc = fn(item, ctx, err)))
			return rc;
		p += n;
		if (!*p)
			return NK_OK;
	}
}

static int use_item(const char *item, void *ctx, struct nk_err *err)
{
	struct policy_use *u = ctx;
	unsigned pcr;

	if (strcmp(item, "image-sha384") == 0) {
		u->image = 1;
		return NK_OK;
	}
	if (parse_index(item, strlen(item), &pcr))
		return err_set(err, NK_USAGE,
			       "invalid value '%s' for --use: expected PCR indices 0 to 31 or image-sha384", item);
	u->pcrs |= (uint32_t)1 << pcr;
	return NK_OK;
}

int policy_use_parse(const char *list, struct policy_use *u, struct nk_err *err)
{
	memset(u, 0, sizeof *u);
	u->given = 1;
	return each_item(list, use_item, u, err);
}

static int op_item(const char *item, void *ctx, struct nk_err *err)
{
	unsigned *ops = ctx;

	for (unsigned i = 0; i < POLICY_OP_COUNT; i++)
		if (strcmp(item, op_names[i]) == 0) {
			*ops |= 1u << i;
			return NK_OK;
		}
	return err_set(err, NK_USAGE, "invalid value '%s' for --allow: expected decrypt, generate-data-key, "
		       "generate-data-key-pair, generate-random or derive-shared-secret", item);
}

int policy_ops_parse(const char *list, unsigned *ops, struct nk_err *err)
{
	*ops = 0;
	return each_item(list, op_item, ops, err);
}

int policy_account_parse(const char *s, char out[13], struct nk_err *err)
{
	if (strlen(s) != 12 || strspn(s, "0123456789") != 12)
		return err_set(err, NK_USAGE, "invalid value '%s' for --account: expected 12 digits", s);
	memcpy(out, s, 13);
	return NK_OK;
}

int policy_prefix_parse(const char *s, char **out, struct nk_err *err)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

	if (!*s || s[strspn(s, alnum)])
		return err_set(err, NK_USAGE, "invalid value '%s' for --sid-prefix: expected letters and digits", s);
	free(*out);
	if (!(*out = strdup(s)))
		return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

/* An IAM ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, six fields) or
 * a 12-digit account id: what KMS accepts in Principal.AWS. */
static int is_principal(const char *s)
{
	const char *p = s;
	int colons = 0;

	if (strlen(s) == 12 && strspn(s, "0123456789") == 12)
		return 1;
	if (strncmp(s, "arn:", 4) != 0 || strpbrk(s, " \t\n\r"))
		return 0;
	for (; *p; p++)
		colons += *p == ':';
	return colons >= 5 && s[strlen(s) - 1] != ':';
}

int policy_principal_add(struct policy_strs *l, const char *opt, const char *arn, struct nk_err *err)
{
	if (!is_principal(arn))
		return err_set(err, NK_USAGE, "invalid value '%s' for --%s: expected an ARN", arn, opt);
	return policy_strs_add(l, arn, 0, err);
}

static int add_meas(struct policy_values *out, const struct meas *m, unsigned pcr, const char *name,
		    struct nk_err *err)
{
	char hex[PCR_HEX_LEN + 1];

	if (!m->have[pcr])
		return err_set(err, NK_DATA, "'%s': no PCR%u to use", name, pcr);
	enc_hex(m->pcr[pcr], PCR_LEN, hex);
	return policy_values_add(out, pcr, hex, err);
}

int policy_values_build(struct policy_values *out, const struct meas *m, const char *name,
			const struct policy_use *use, const struct policy_values *cli, struct nk_err *err)
{
	uint32_t pcrs = use && use->given ? use->pcrs : 0x7;
	int rc;

	if (m) {
		if (use && use->image)
			pcrs |= 1;
		if ((!use || !use->given) && m->have[8])
			pcrs |= 1u << 8;
		for (unsigned p = 0; p < PCR_COUNT; p++)
			if ((pcrs >> p & 1) && (rc = add_meas(out, m, p, name, err)))
				return rc;
	}
	out->image |= use && use->image;
	return cli ? policy_values_append(out, cli, err) : NK_OK;
}

int policy_values_load(struct policy_values *out, const char *path, const struct policy_use *use,
		       const struct policy_values *cli, struct nk_err *err)
{
	struct meas m;
	int rc;

	if (path && (rc = meas_load(path, &m, err)))
		return rc;
	return policy_values_build(out, path ? &m : NULL, path ? io_name(path) : NULL, use, cli, err);
}

void policy_spec_free(struct policy_spec *s)
{
	policy_strs_free(&s->enclave);
	policy_strs_free(&s->admins);
	policy_strs_free(&s->encrypters);
	policy_values_free(&s->values);
	free(s->prefix);
	s->prefix = NULL;
}

const char *policy_spec_prefix(const struct policy_spec *s)
{
	return s->prefix ? s->prefix : POLICY_SID_PREFIX;
}

unsigned policy_spec_ops(const struct policy_spec *s)
{
	return s->ops ? s->ops : POLICY_DECRYPT;
}

int policy_render(const json_t *j, int limit, char **out, size_t *len, struct nk_err *err)
{
	char *grown = jsonx_pretty(j);
	size_t n;

	if (!grown)
		return err_set(err, NK_IO, "out of memory");
	n = strlen(grown);
	if (limit && n > POLICY_MAX) {
		free(grown);
		return err_set(err, NK_DATA, "policy is %zu bytes, more than the %d KMS accepts", n, POLICY_MAX);
	}
	*out = grown;
	*len = n;
	return NK_OK;
}

int policy_wildcard(const char *pat, const char *s, int ci)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		unsigned char a = (unsigned char)*pat, b = (unsigned char)*s;

		if (a == '*') {
			star = pat++;
			resume = s;
		} else if (a && (a == '?' || (ci ? tolower(a) == tolower(b) : a == b))) {
			pat++;
			s++;
		} else if (star) {
			/* backtrack: let the last '*' take one more character */
			pat = star + 1;
			s = ++resume;
		} else {
			return 0;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

size_t policy_list_size(const json_t *v)
{
	return json_is_array(v) ? json_array_size(v) : json_is_string(v) ? 1 : 0;
}

const char *policy_list_at(const json_t *v, size_t i)
{
	return json_string_value(json_is_array(v) ? json_array_get(v, i) : v);
}
