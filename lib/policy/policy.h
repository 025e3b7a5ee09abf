/* policy: KMS key policies that admit only an attested Nitro enclave
 * (DESIGN §4.6): the attestation values a policy names, the statements
 * policy-gen writes, and the merge of those statements into an existing
 * policy.  The linter is policy_check.h, the evaluator policy_eval.h. */
#ifndef NK_POLICY_H
#define NK_POLICY_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "util/err.h"
#include "eif/meas.h"
#include "eif/pcr.h"

#define POLICY_MAX 32768              /* KMS refuses larger key policies */
#define POLICY_VERSION "2012-10-17"
#define POLICY_KEY_PREFIX "kms:RecipientAttestation:"
#define POLICY_IMAGE_KEY POLICY_KEY_PREFIX "ImageSha384"
#define POLICY_SID_PREFIX "NitrokitEnclave"
#define POLICY_STYLES "allow|deny"

/* A list of distinct strings in first-seen order. */
struct policy_strs {
	char **v;
	size_t n;
};

/* Append s unless it is there already (ci: compared case-insensitively).
 * NK_IO only when out of memory. */
int policy_strs_add(struct policy_strs *l, const char *s, int ci, struct nk_err *err);
int policy_strs_has(const struct policy_strs *l, const char *s, int ci);
void policy_strs_free(struct policy_strs *l);

/* The attestation values of a policy: per PCR, lowercase 96-hex strings in
 * first-seen order.  With image set, PCR0's values are written under
 * kms:RecipientAttestation:ImageSha384 (which is PCR0) and there is no PCR0
 * key: one key, because two keys would be AND'ed and could never both be
 * kept up to date in a blue/green rollout. */
struct policy_values {
	struct policy_strs pcr[PCR_COUNT];
	int image;
};

/* Add one value (96 hex characters, any case); NK_DATA when it is not. */
int policy_values_add(struct policy_values *v, unsigned pcr, const char *hex, struct nk_err *err);
/* Append every value of src after those of dst (duplicates dropped); dst
 * takes the ImageSha384 form when src has it. */
int policy_values_append(struct policy_values *dst, const struct policy_values *src, struct nk_err *err);
/* Debug-mode enclaves have all-zero PCR0/1/2/8: append 96 zeros to those of
 * PCR0 (or ImageSha384), PCR1, PCR2 and PCR8 that have values. */
int policy_values_debug(struct policy_values *v, struct nk_err *err);
/* Number of keys (ImageSha384 or PCR<N>) with at least one value. */
unsigned policy_values_keys(const struct policy_values *v);
void policy_values_free(struct policy_values *v);

/* The condition key of a PCR ("kms:RecipientAttestation:PCR3" or, for PCR0
 * with image, "...:ImageSha384") into buf (at least 48 bytes). */
const char *policy_key_name(unsigned pcr, int image, char *buf, size_t size);
/* The PCR of a condition key, compared case-insensitively as IAM does:
 * 0-31, POLICY_KEY_IMAGE for ImageSha384, -1 for any other key. */
#define POLICY_KEY_IMAGE 100
int policy_key_parse(const char *key);

/* Which PCRs of a measurements file become conditions (--use). */
struct policy_use {
	uint32_t pcrs;  /* bit N: PCR N */
	int image;      /* "image-sha384": PCR0, written as ImageSha384 */
	int given;      /* 0: the default, 0,1,2 and 8 when present */
};

/* Command-line parsers; bad values are NK_USAGE with "invalid value 'x'
 * for --opt: ...".
 *   policy_values_arg: opt is "pcr" (N=HEX), "pcr0" or "image-sha384". */
int policy_values_arg(struct policy_values *v, const char *opt, const char *arg, struct nk_err *err);
int policy_use_parse(const char *list, struct policy_use *u, struct nk_err *err);
int policy_ops_parse(const char *list, unsigned *ops, struct nk_err *err);
int policy_account_parse(const char *s, char out[13], struct nk_err *err);
int policy_prefix_parse(const char *s, char **out, struct nk_err *err);
int policy_principal_add(struct policy_strs *l, const char *opt, const char *arn, struct nk_err *err);

/* The values of measurements (those --use selects) followed by cli's.  A
 * selected PCR the measurements lack is NK_DATA "'name': no PCR8 to use". */
int policy_values_build(struct policy_values *out, const struct meas *m, const char *name,
			const struct policy_use *use, const struct policy_values *cli, struct nk_err *err);

/* The same with the measurements of a file or "-" (none when path is NULL). */
int policy_values_load(struct policy_values *out, const char *path, const struct policy_use *use,
		       const struct policy_values *cli, struct nk_err *err);

/* The operations of --allow, in the fixed order of their actions. */
enum policy_op {
	POLICY_DECRYPT = 1 << 0,
	POLICY_GENERATE_DATA_KEY = 1 << 1,
	POLICY_GENERATE_DATA_KEY_PAIR = 1 << 2,
	POLICY_GENERATE_RANDOM = 1 << 3,
	POLICY_DERIVE_SHARED_SECRET = 1 << 4,
};
#define POLICY_OP_COUNT 5
/* "kms:Decrypt" for POLICY_DECRYPT etc.; index i is bit 1 << i. */
extern const char *const policy_op_actions[POLICY_OP_COUNT];

enum policy_style { POLICY_STYLE_UNSET = -1, POLICY_STYLE_ALLOW = 0, POLICY_STYLE_DENY = 1 };

/* What to generate.  ops 0 and style POLICY_STYLE_UNSET mean "not given":
 * policy_merge takes them from the policy, the generators use decrypt and
 * allow. */
struct policy_spec {
	struct policy_strs enclave, admins, encrypters;
	char account[13];    /* "" without --account */
	int no_root;
	unsigned ops;        /* enum policy_op bits */
	int style;           /* enum policy_style */
	int debug;           /* Sids end in "Debug"; the zeros are in values already */
	char *prefix;        /* NULL: POLICY_SID_PREFIX */
	struct policy_values values;
};

void policy_spec_free(struct policy_spec *s);
const char *policy_spec_prefix(const struct policy_spec *s);
unsigned policy_spec_ops(const struct policy_spec *s);

/* The statements, in the contract's order: root (with an account), key
 * administrators, data owners, then the enclave's own ("owned") ones.
 * NULL when out of memory. */
json_t *policy_statements(const struct policy_spec *s);
/* Only the enclave's statements. */
json_t *policy_owned_statements(const struct policy_spec *s);
/* {"Version": "2012-10-17", "Statement": [...]}. */
json_t *policy_document(const struct policy_spec *s);

/* Print j as the tools do (2-space pretty, final newline) into a malloc'd
 * buffer.  With limit, more than POLICY_MAX bytes is NK_DATA. */
int policy_render(const json_t *j, int limit, char **out, size_t *len, struct nk_err *err);

/* Parse an existing key policy: a JSON object whose "Statement" is an array
 * of objects or one object (made an array of one).  NK_DATA
 * "'name': not a key policy: ..." otherwise. */
int policy_load(const void *buf, size_t len, const char *name, json_t **out, struct nk_err *err);
/* The same from a file or "-", capped at POLICY_MAX bytes as KMS caps it. */
int policy_load_file(const char *path, json_t **out, struct nk_err *err);

/* Replace the owned statements of doc (Sid starting with the prefix) by
 * newly generated ones, at the position of the first (appended when there
 * is none); everything else stays as it was.  Options missing from s (the
 * enclave principals, ops, style) are taken from the owned Allow statement
 * and written back into s.  With add, the values already in the owned
 * statements' conditions come first (all-zero debug values only with
 * s->debug, which adds them anew), and both sides must name the same keys
 * of those that come from the image (PCR0/ImageSha384, 1, 2, 8; NK_USAGE
 * otherwise).  s->values must not be empty. */
int policy_merge(json_t *doc, const char *name, struct policy_spec *s, int add, struct nk_err *err);

/* --- Shared by the linter and the evaluator ---------------------------- */

/* True when s is exactly 96 hex digits (a PCR value), either case. */
int policy_is_pcr_hex(const char *s);

/* IAM's wildcards: '*' any run (also empty), '?' one character; ci: ignore
 * case (action names), else exact (condition values of StringLike). */
int policy_wildcard(const char *pat, const char *s, int ci);

/* A policy element that is a string or an array of strings: its length
 * (0 for anything else) and its i-th string (NULL for a non-string). */
size_t policy_list_size(const json_t *v);
const char *policy_list_at(const json_t *v, size_t i);

#endif
