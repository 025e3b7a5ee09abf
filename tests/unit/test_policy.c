/* The policy generator and merger against the policy-gen contract: the
 * expected statements below are written from the contract, not from the
 * code, and compared as compact JSON in key order. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy.h"

#define X12(s) s s s s s s s s s s s s
#define H96(c) X12(c c c c c c c c)
#define A H96("a")
#define B H96("b")
#define C H96("c")
#define D H96("d")
#define Z H96("0")
#define ROLE "arn:aws:iam::111122223333:role/app"
#define ROLE2 "arn:aws:iam::111122223333:role/other"

/* Expected JSON is written with ' for " to stay readable. */
static char *canon(const char *text)
{
	char *s = strdup(text), *out;
	json_error_t je;
	json_t *j;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	j = json_loads(s, 0, &je);
	if (!j)
		fail_msg("bad expected JSON at %d: %s", je.column, je.text);
	out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	free(s);
	return out;
}

static void assert_json(const json_t *got, const char *want)
{
	char *g, *w = canon(want);

	assert_non_null(got);
	g = json_dumps(got, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (strcmp(g, w) != 0)
		fail_msg("JSON differs\n got:  %s\n want: %s", g, w);
	free(g);
	free(w);
}

static void meas_of(struct meas *m, unsigned pcr, int byte)
{
	unsigned char v[PCR_LEN];

	memset(v, byte, sizeof v);
	meas_set(m, pcr, v);
}

static void strs_are(const struct policy_strs *l, size_t n, ...)
{
	va_list ap;

	assert_int_equal(l->n, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(l->v[i], va_arg(ap, const char *));
	va_end(ap);
}

static void values_order_and_duplicates(void **state)
{
	struct policy_values v = { 0 };

	assert_int_equal(policy_values_add(&v, 3, B, NULL), NK_OK);
	assert_int_equal(policy_values_add(&v, 3, H96("A"), NULL), NK_OK);
	assert_int_equal(policy_values_add(&v, 3, H96("B"), NULL), NK_OK);  /* b again, other case */
	assert_int_equal(policy_values_add(&v, 3, A, NULL), NK_OK);
	strs_are(&v.pcr[3], 2, B, A);
	assert_int_equal(policy_values_add(&v, 3, "abc", NULL), NK_DATA);
	assert_int_equal(policy_values_add(&v, 3, A "a", NULL), NK_DATA);
	assert_int_equal(policy_values_add(&v, 3, H96("g"), NULL), NK_DATA);
	assert_int_equal(policy_values_keys(&v), 1);
	policy_values_free(&v);
}

static void build_default_use(void **state)
{
	struct policy_values v = { 0 }, cli = { 0 };
	struct meas m = { 0 };

	meas_of(&m, 0, 0xaa);
	meas_of(&m, 1, 0xbb);
	meas_of(&m, 2, 0xcc);
	meas_of(&m, 3, 0xdd);  /* PCR3 is not in the default */
	assert_int_equal(policy_values_arg(&cli, "pcr", "0=" B, NULL), NK_OK);
	assert_int_equal(policy_values_arg(&cli, "pcr0", H96("A"), NULL), NK_OK);  /* a duplicate of the measurement */
	assert_int_equal(policy_values_build(&v, &m, "m.json", NULL, &cli, NULL), NK_OK);
	strs_are(&v.pcr[0], 2, A, B);
	strs_are(&v.pcr[1], 1, B);
	strs_are(&v.pcr[2], 1, C);
	assert_int_equal(v.pcr[3].n, 0);
	assert_int_equal(v.pcr[8].n, 0);
	assert_false(v.image);
	policy_values_free(&v);

	meas_of(&m, 8, 0x00);  /* PCR8 joins the default when present */
	assert_int_equal(policy_values_build(&v, &m, "m.json", NULL, NULL, NULL), NK_OK);
	strs_are(&v.pcr[8], 1, Z);
	assert_int_equal(policy_values_keys(&v), 4);
	policy_values_free(&v);
	policy_values_free(&cli);
}

static void build_use_and_image(void **state)
{
	struct policy_values v = { 0 }, cli = { 0 };
	struct policy_use use;
	struct meas m = { 0 };
	struct nk_err err;

	meas_of(&m, 0, 0xaa);
	meas_of(&m, 1, 0xbb);
	meas_of(&m, 3, 0xdd);
	/* image-sha384 in --use puts every PCR0 value under ImageSha384, those of the command line too. */
	assert_int_equal(policy_use_parse("3,image-sha384", &use, NULL), NK_OK);
	assert_int_equal(policy_values_arg(&cli, "pcr0", C, NULL), NK_OK);
	assert_int_equal(policy_values_build(&v, &m, "m.json", &use, &cli, NULL), NK_OK);
	assert_true(v.image);
	strs_are(&v.pcr[0], 2, A, C);
	strs_are(&v.pcr[3], 1, D);
	assert_int_equal(v.pcr[1].n, 0);
	policy_values_free(&v);
	policy_values_free(&cli);

	/* --image-sha384 alone does the same; command-line values keep their order. */
	assert_int_equal(policy_values_arg(&cli, "pcr0", C, NULL), NK_OK);
	assert_int_equal(policy_values_arg(&cli, "image-sha384", B, NULL), NK_OK);
	assert_int_equal(policy_values_arg(&cli, "pcr", "0=" D, NULL), NK_OK);
	assert_int_equal(policy_values_build(&v, &m, "m.json", NULL, &cli, &err), NK_DATA);
	assert_string_equal(err.msg, "'m.json': no PCR2 to use");  /* the default wants PCR2 */
	policy_values_free(&v);
	assert_int_equal(policy_values_build(&v, NULL, NULL, NULL, &cli, NULL), NK_OK);
	assert_true(v.image);
	strs_are(&v.pcr[0], 3, C, B, D);
	policy_values_free(&v);
	policy_values_free(&cli);

	assert_int_equal(policy_use_parse("1,8", &use, NULL), NK_OK);
	assert_int_equal(policy_values_build(&v, &m, "m.json", &use, NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "'m.json': no PCR8 to use");
	policy_values_free(&v);
}

static void debug_zeros(void **state)
{
	struct policy_values v = { 0 };

	for (unsigned p = 0; p < PCR_COUNT; p++)
		if (p != 1 && p != 2)
			assert_int_equal(policy_values_add(&v, p, A, NULL), NK_OK);
	assert_int_equal(policy_values_add(&v, 8, Z, NULL), NK_OK);
	assert_int_equal(policy_values_debug(&v, NULL), NK_OK);
	strs_are(&v.pcr[0], 2, A, Z);
	strs_are(&v.pcr[8], 2, A, Z);  /* already there: not twice */
	assert_int_equal(v.pcr[1].n, 0);  /* absent keys stay absent */
	assert_int_equal(v.pcr[2].n, 0);
	for (unsigned p = 3; p < PCR_COUNT; p++)
		if (p != 8)
			strs_are(&v.pcr[p], 1, A);  /* PCR3/4 and user PCRs are not zeroed in debug mode */
	v.image = 1;
	policy_values_free(&v);
	assert_int_equal(policy_values_add(&v, 0, A, NULL), NK_OK);
	v.image = 1;
	assert_int_equal(policy_values_debug(&v, NULL), NK_OK);
	strs_are(&v.pcr[0], 2, A, Z);  /* ImageSha384 is PCR0 */
	policy_values_free(&v);
}

static void option_values(void **state)
{
	struct policy_values v = { 0 };
	struct policy_use use;
	struct nk_err err;
	unsigned ops;
	char acct[13];
	char *prefix = NULL;

	assert_int_equal(policy_values_arg(&v, "pcr", "x", &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value 'x' for --pcr: expected N=HEX with N from 0 to 31");
	assert_int_equal(policy_values_arg(&v, "pcr", "32=" A, &err), NK_USAGE);
	assert_int_equal(policy_values_arg(&v, "pcr", "-1=" A, &err), NK_USAGE);
	assert_int_equal(policy_values_arg(&v, "pcr", "=" A, &err), NK_USAGE);
	assert_int_equal(policy_values_arg(&v, "pcr", "3=abc", &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value '3=abc' for --pcr: expected 96 hex characters");
	assert_int_equal(policy_values_arg(&v, "pcr0", "abc", &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value 'abc' for --pcr0: expected 96 hex characters");
	assert_int_equal(policy_values_arg(&v, "pcr", "31=" A, &err), NK_OK);
	strs_are(&v.pcr[31], 1, A);
	policy_values_free(&v);

	assert_int_equal(policy_ops_parse("decrypt,sign", &ops, &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value 'sign' for --allow: expected decrypt, generate-data-key, "
			    "generate-data-key-pair, generate-random or derive-shared-secret");
	assert_int_equal(policy_ops_parse("decrypt,", &ops, &err), NK_USAGE);
	assert_int_equal(policy_ops_parse("derive-shared-secret,decrypt,generate-data-key-pair", &ops, NULL), NK_OK);
	assert_int_equal(ops, POLICY_DERIVE_SHARED_SECRET | POLICY_DECRYPT | POLICY_GENERATE_DATA_KEY_PAIR);

	assert_int_equal(policy_use_parse("0,1,x", &use, &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value 'x' for --use: expected PCR indices 0 to 31 or image-sha384");
	assert_int_equal(policy_use_parse("32", &use, &err), NK_USAGE);
	assert_int_equal(policy_use_parse("", &use, &err), NK_USAGE);
	assert_int_equal(policy_use_parse("31,0", &use, NULL), NK_OK);
	assert_int_equal(use.pcrs, 0x80000001u);

	assert_int_equal(policy_account_parse("12345678901", acct, &err), NK_USAGE);
	assert_string_equal(err.msg, "invalid value '12345678901' for --account: expected 12 digits");
	assert_int_equal(policy_account_parse("12345678901x", acct, &err), NK_USAGE);
	assert_int_equal(policy_account_parse("123456789012", acct, NULL), NK_OK);
	assert_string_equal(acct, "123456789012");

	assert_int_equal(policy_prefix_parse("My-App", &prefix, &err), NK_USAGE);
	assert_int_equal(policy_prefix_parse("", &prefix, &err), NK_USAGE);
	assert_int_equal(policy_prefix_parse("MyApp2", &prefix, NULL), NK_OK);
	assert_string_equal(prefix, "MyApp2");
	free(prefix);

	assert_int_equal(policy_key_parse("kms:RecipientAttestation:PCR31"), 31);
	assert_int_equal(policy_key_parse("KMS:recipientattestation:pcr7"), 7);
	assert_int_equal(policy_key_parse("kms:RecipientAttestation:ImageSha384"), POLICY_KEY_IMAGE);
	assert_int_equal(policy_key_parse("kms:RecipientAttestation:PCR32"), -1);
	assert_int_equal(policy_key_parse("kms:RecipientAttestation:PCR07"), -1);
	assert_int_equal(policy_key_parse("kms:RecipientAttestation:PCR"), -1);
	assert_int_equal(policy_key_parse("kms:EncryptionContext:PCR0"), -1);
}

/* ROLE; PCR0 {a, b}, PCR8 {c}; decrypt. */
static void spec_basic(struct policy_spec *s)
{
	memset(s, 0, sizeof *s);
	s->style = POLICY_STYLE_UNSET;
	assert_int_equal(policy_principal_add(&s->enclave, "enclave-principal", ROLE, NULL), NK_OK);
	assert_int_equal(policy_values_add(&s->values, 0, A, NULL), NK_OK);
	assert_int_equal(policy_values_add(&s->values, 0, B, NULL), NK_OK);
	assert_int_equal(policy_values_add(&s->values, 8, C, NULL), NK_OK);
}

#define OWNED_ALLOW_STYLE \
	"{'Sid':'NitrokitEnclaveAllow','Effect':'Allow','Principal':{'AWS':'" ROLE "'}," \
	"'Action':'kms:Decrypt','Resource':'*','Condition':{'StringEqualsIgnoreCase':{" \
	"'kms:RecipientAttestation:PCR0':['" A "','" B "'],'kms:RecipientAttestation:PCR8':'" C "'}}}," \
	"{'Sid':'NitrokitEnclaveDenyPCR0','Effect':'Deny','Principal':{'AWS':'" ROLE "'}," \
	"'Action':'kms:Decrypt','Resource':'*','Condition':{'StringNotEqualsIgnoreCase':{" \
	"'kms:RecipientAttestation:PCR0':['" A "','" B "']}}}," \
	"{'Sid':'NitrokitEnclaveDenyPCR8','Effect':'Deny','Principal':{'AWS':'" ROLE "'}," \
	"'Action':'kms:Decrypt','Resource':'*','Condition':{'StringNotEqualsIgnoreCase':{" \
	"'kms:RecipientAttestation:PCR8':'" C "'}}}"

static void generate_allow_style(void **state)
{
	struct policy_spec s;
	json_t *j;

	spec_basic(&s);
	strcpy(s.account, "111122223333");
	assert_int_equal(policy_principal_add(&s.admins, "admin", "arn:aws:iam::111122223333:role/admin", NULL), NK_OK);
	assert_int_equal(policy_principal_add(&s.encrypters, "encrypt-principal", ROLE2, NULL), NK_OK);
	assert_int_equal(policy_principal_add(&s.encrypters, "encrypt-principal", ROLE, NULL), NK_OK);
	j = policy_document(&s);
	assert_json(j, "{'Version':'2012-10-17','Statement':["
		    "{'Sid':'Enable IAM User Permissions','Effect':'Allow',"
		    "'Principal':{'AWS':'arn:aws:iam::111122223333:root'},'Action':'kms:*','Resource':'*'},"
		    "{'Sid':'Allow access for Key Administrators','Effect':'Allow',"
		    "'Principal':{'AWS':'arn:aws:iam::111122223333:role/admin'},'Action':["
		    "'kms:Create*','kms:Describe*','kms:Enable*','kms:List*','kms:Put*','kms:Update*',"
		    "'kms:Revoke*','kms:Disable*','kms:Get*','kms:Delete*','kms:TagResource',"
		    "'kms:UntagResource','kms:ScheduleKeyDeletion','kms:CancelKeyDeletion',"
		    "'kms:RotateKeyOnDemand'],'Resource':'*'},"
		    "{'Sid':'Allow encryption by the data owner','Effect':'Allow',"
		    "'Principal':{'AWS':['" ROLE2 "','" ROLE "']},'Action':'kms:Encrypt','Resource':'*'},"
		    OWNED_ALLOW_STYLE "]}");
	json_decref(j);

	/* --no-root-statement; --statements is the bare array. */
	s.no_root = 1;
	policy_strs_free(&s.admins);
	policy_strs_free(&s.encrypters);
	j = policy_statements(&s);
	assert_json(j, "[" OWNED_ALLOW_STYLE "]");
	json_decref(j);
	policy_spec_free(&s);
}

static void generate_deny_style(void **state)
{
	struct policy_spec s;
	json_t *j;

	memset(&s, 0, sizeof s);
	s.style = POLICY_STYLE_DENY;
	s.debug = 1;
	s.ops = POLICY_DERIVE_SHARED_SECRET | POLICY_DECRYPT | POLICY_GENERATE_DATA_KEY;
	strcpy(s.account, "111122223333");
	assert_int_equal(policy_prefix_parse("Blue", &s.prefix, NULL), NK_OK);
	assert_int_equal(policy_principal_add(&s.enclave, "enclave-principal", "arn:aws-cn:iam::111122223333:role/a", NULL),
			 NK_OK);
	assert_int_equal(policy_principal_add(&s.enclave, "enclave-principal", "arn:aws-cn:iam::111122223333:role/b", NULL),
			 NK_OK);
	assert_int_equal(policy_values_add(&s.values, 16, D, NULL), NK_OK);
	assert_int_equal(policy_values_add(&s.values, 0, A, NULL), NK_OK);
	s.values.image = 1;
	assert_int_equal(policy_values_debug(&s.values, NULL), NK_OK);
	j = policy_statements(&s);
#define ACTS "['kms:Decrypt','kms:GenerateDataKey','kms:DeriveSharedSecret']"
	assert_json(j, "["
		    "{'Sid':'Enable IAM User Permissions','Effect':'Allow',"
		    "'Principal':{'AWS':'arn:aws-cn:iam::111122223333:root'},'Action':'kms:*','Resource':'*'},"
		    "{'Sid':'BlueAllowDebug','Effect':'Allow','Principal':{'AWS':["
		    "'arn:aws-cn:iam::111122223333:role/a','arn:aws-cn:iam::111122223333:role/b']},"
		    "'Action':" ACTS ",'Resource':'*'},"
		    "{'Sid':'BlueDenyImageSha384Debug','Effect':'Deny','Principal':{'AWS':'*'},"
		    "'Action':" ACTS ",'Resource':'*','Condition':{'StringNotEqualsIgnoreCase':{"
		    "'kms:RecipientAttestation:ImageSha384':['" A "','" Z "']}}},"
		    "{'Sid':'BlueDenyPCR16Debug','Effect':'Deny','Principal':{'AWS':'*'},"
		    "'Action':" ACTS ",'Resource':'*','Condition':{'StringNotEqualsIgnoreCase':{"
		    "'kms:RecipientAttestation:PCR16':'" D "'}}}]");
	json_decref(j);
	policy_spec_free(&s);
}

static json_t *load(const char *text, const char *name, int *rc, struct nk_err *err)
{
	char *s = strdup(text);
	json_t *j = NULL;

	for (char *p = s; *p; p++)
		if (*p == '\'')
			*p = '"';
	*rc = policy_load(s, strlen(s), name, &j, err);
	free(s);
	return j;
}

#define FOREIGN1 "{'Sid':'Enable IAM User Permissions','Effect':'Allow','Principal':{'AWS':'arn:aws:iam::111122223333:root'},'Action':'kms:*','Resource':'*'}"
#define FOREIGN2 "{'Effect':'Allow','Resource':'*','Principal':{'AWS':'*'},'Action':'kms:Encrypt','Condition':{'StringEquals':{'kms:RecipientAttestation:PCR0':'" A "'}}}"

static void merge_replaces_in_place(void **state)
{
	struct policy_spec s;
	struct nk_err err;
	json_t *doc;
	int rc;

	/* Old owned statements in the middle, one foreign one between them: the new
	 * ones take the place of the first, the foreign ones do not move. */
	doc = load("{'Id':'key-policy','Statement':[" FOREIGN1 ","
		   "{'Sid':'NitrokitEnclaveAllow','Effect':'Allow','Principal':{'AWS':'" ROLE "'},'Action':'kms:Decrypt',"
		   "'Resource':'*','Condition':{'StringEqualsIgnoreCase':{'kms:RecipientAttestation:PCR1':'" D "'}}},"
		   FOREIGN2 ","
		   "{'Sid':'NitrokitEnclaveDenyPCR1','Effect':'Deny','Principal':{'AWS':'" ROLE "'},'Action':'kms:Decrypt',"
		   "'Resource':'*','Condition':{'StringNotEqualsIgnoreCase':{'kms:RecipientAttestation:PCR1':'" D "'}}}"
		   "],'Version':'2012-10-17'}", "p.json", &rc, NULL);
	assert_int_equal(rc, NK_OK);
	spec_basic(&s);
	assert_int_equal(policy_merge(doc, "p.json", &s, 0, &err), NK_OK);
	assert_json(doc, "{'Id':'key-policy','Statement':[" FOREIGN1 "," OWNED_ALLOW_STYLE "," FOREIGN2
		    "],'Version':'2012-10-17'}");
	json_decref(doc);
	policy_spec_free(&s);

	/* No owned statement: appended; a lone statement object becomes an array. */
	doc = load("{'Version':'2012-10-17','Statement':" FOREIGN1 "}", "p.json", &rc, NULL);
	assert_int_equal(rc, NK_OK);
	spec_basic(&s);
	assert_int_equal(policy_merge(doc, "p.json", &s, 1, NULL), NK_OK);
	assert_json(doc, "{'Version':'2012-10-17','Statement':[" FOREIGN1 "," OWNED_ALLOW_STYLE "]}");
	json_decref(doc);
	policy_spec_free(&s);

	/* ... but then the principal has to be given. */
	doc = load("{'Statement':[" FOREIGN1 "]}", "p.json", &rc, NULL);
	spec_basic(&s);
	policy_strs_free(&s.enclave);
	assert_int_equal(policy_merge(doc, "p.json", &s, 0, &err), NK_USAGE);
	assert_string_equal(err.msg, "--enclave-principal is needed: the policy has no NitrokitEnclave statements");
	json_decref(doc);
	policy_spec_free(&s);
}

static void merge_takes_missing_options(void **state)
{
	struct policy_spec s;
	json_t *doc;
	int rc;

	/* Deny style (an Allow without Condition), two principals, two actions, and
	 * a prefix: the policy's choices survive a merge that names none. */
	doc = load("{'Version':'2012-10-17','Statement':["
		   "{'Sid':'AppAllow','Effect':'Allow','Principal':{'AWS':['" ROLE "','" ROLE2 "']},"
		   "'Action':['kms:GenerateDataKey','kms:decrypt'],'Resource':'*'},"
		   "{'Sid':'AppDenyPCR0','Effect':'Deny','Principal':{'AWS':'*'},'Action':['kms:Decrypt','kms:GenerateDataKey'],"
		   "'Resource':'*','Condition':{'StringNotEqualsIgnoreCase':{'kms:RecipientAttestation:PCR0':'" D "'}}}]}",
		   "p.json", &rc, NULL);
	assert_int_equal(rc, NK_OK);
	memset(&s, 0, sizeof s);
	s.style = POLICY_STYLE_UNSET;
	assert_int_equal(policy_prefix_parse("App", &s.prefix, NULL), NK_OK);
	assert_int_equal(policy_values_add(&s.values, 0, A, NULL), NK_OK);
	assert_int_equal(policy_merge(doc, "p.json", &s, 0, NULL), NK_OK);
	assert_int_equal(s.style, POLICY_STYLE_DENY);
	assert_int_equal(s.ops, POLICY_DECRYPT | POLICY_GENERATE_DATA_KEY);
	assert_json(doc, "{'Version':'2012-10-17','Statement':["
		    "{'Sid':'AppAllow','Effect':'Allow','Principal':{'AWS':['" ROLE "','" ROLE2 "']},"
		    "'Action':['kms:Decrypt','kms:GenerateDataKey'],'Resource':'*'},"
		    "{'Sid':'AppDenyPCR0','Effect':'Deny','Principal':{'AWS':'*'},'Action':['kms:Decrypt','kms:GenerateDataKey'],"
		    "'Resource':'*','Condition':{'StringNotEqualsIgnoreCase':{'kms:RecipientAttestation:PCR0':'" A "'}}}]}");
	json_decref(doc);
	policy_spec_free(&s);
}

static void merge_add_is_a_union_and_idempotent(void **state)
{
	struct policy_spec s;
	struct nk_err err;
	char *first, *second;
	size_t n;
	json_t *doc;
	int rc;

	/* Old: ImageSha384 {d} (so new PCR0 values join it), PCR1 {c, debug zero},
	 * PCR8 {d} under another operator and in another case. */
	doc = load("{'Version':'2012-10-17','Statement':["
		   "{'Sid':'NitrokitEnclaveAllow','Effect':'Allow','Principal':{'AWS':'" ROLE "'},'Action':'kms:Decrypt',"
		   "'Resource':'*','Condition':{'StringEqualsIgnoreCase':{'kms:RecipientAttestation:ImageSha384':'" D "',"
		   "'kms:RecipientAttestation:PCR1':['" C "','" Z "']},"
		   "'ForAnyValue:StringLike':{'kms:recipientattestation:pcr8':'" H96("D") "','aws:SourceIp':'x'}}}]}",
		   "p.json", &rc, NULL);
	assert_int_equal(rc, NK_OK);
	spec_basic(&s);  /* PCR0 {a, b}, PCR8 {c} */
	assert_int_equal(policy_values_add(&s.values, 1, A, NULL), NK_OK);
	assert_int_equal(policy_merge(doc, "p.json", &s, 1, NULL), NK_OK);
	assert_true(s.values.image);
	strs_are(&s.values.pcr[0], 3, D, A, B);
	strs_are(&s.values.pcr[1], 2, C, A);  /* the zero goes without --debug-mode */
	strs_are(&s.values.pcr[8], 2, D, C);
	assert_int_equal(policy_values_keys(&s.values), 3);
	assert_int_equal(policy_render(doc, 1, &first, &n, NULL), NK_OK);
	policy_spec_free(&s);

	spec_basic(&s);
	assert_int_equal(policy_values_add(&s.values, 1, A, NULL), NK_OK);
	assert_int_equal(policy_merge(doc, "p.json", &s, 1, NULL), NK_OK);
	assert_int_equal(policy_render(doc, 1, &second, &n, NULL), NK_OK);
	assert_string_equal(first, second);
	assert_non_null(strstr(first, "\"NitrokitEnclaveDenyImageSha384\""));
	assert_null(strstr(first, "RecipientAttestation:PCR0"));
	free(first);
	free(second);
	policy_spec_free(&s);

	/* Keys are AND'ed: with a key that comes from the image on one side only,
	 * one image could never match, so --add refuses (here the new values
	 * lack PCR1, then PCR2 is new). */
	spec_basic(&s);
	assert_int_equal(policy_merge(doc, "p.json", &s, 1, &err), NK_USAGE);
	assert_string_equal(err.msg, "--add: the old statements name kms:RecipientAttestation:PCR1 and the new "
			    "values do not, so one of the images could never match: give the same PCRs (--use, --pcr) "
			    "or merge without --add");
	assert_int_equal(policy_values_add(&s.values, 1, A, NULL), NK_OK);
	assert_int_equal(policy_values_add(&s.values, 2, A, NULL), NK_OK);
	assert_int_equal(policy_merge(doc, "p.json", &s, 1, &err), NK_USAGE);
	assert_non_null(strstr(err.msg, "the new values name kms:RecipientAttestation:PCR2 and the old statements do not"));
	policy_spec_free(&s);

	/* A key that does not come from the image (PCR3, the role) binds both. */
	spec_basic(&s);
	assert_int_equal(policy_values_add(&s.values, 1, A, NULL), NK_OK);
	assert_int_equal(policy_values_add(&s.values, 3, B, NULL), NK_OK);
	assert_int_equal(policy_merge(doc, "p.json", &s, 1, NULL), NK_OK);
	strs_are(&s.values.pcr[3], 1, B);
	assert_int_equal(policy_values_keys(&s.values), 4);
	policy_spec_free(&s);

	/* --replace drops the old values. */
	spec_basic(&s);
	assert_int_equal(policy_merge(doc, "p.json", &s, 0, NULL), NK_OK);
	assert_false(s.values.image);
	assert_int_equal(policy_values_keys(&s.values), 2);
	policy_spec_free(&s);
	json_decref(doc);
}

static void merge_rejects(void **state)
{
	static const struct { const char *text, *msg; } bad[] = {
		{ "nope", "'p.json': not a key policy: invalid JSON at line 1" },  /* the column is jansson's */
		{ "[]", "'p.json': not a key policy: not a JSON object" },
		{ "{'Version':'2012-10-17'}", "'p.json': not a key policy: no \"Statement\"" },
		{ "{'Statement':'x'}", "'p.json': not a key policy: \"Statement\" is not an array" },
		{ "{'Statement':[1]}", "'p.json': not a key policy: statement #1 is not an object" },
	};
	struct policy_spec s;
	struct nk_err err;
	json_t *doc;
	int rc;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		doc = load(bad[i].text, "p.json", &rc, &err);
		assert_null(doc);
		assert_int_equal(rc, NK_DATA);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0 || (i > 0 && strcmp(err.msg, bad[i].msg)))
			fail_msg("got '%s', want '%s'", err.msg, bad[i].msg);
	}
	/* An owned Allow with actions policy-gen does not write. */
	doc = load("{'Statement':[{'Sid':'NitrokitEnclaveAllow','Effect':'Allow','Principal':{'AWS':'" ROLE "'},"
		   "'Action':'kms:*','Resource':'*'}]}", "p.json", &rc, NULL);
	spec_basic(&s);
	assert_int_equal(policy_merge(doc, "p.json", &s, 0, &err), NK_DATA);
	assert_string_equal(err.msg, "'p.json': statement 'NitrokitEnclaveAllow': action 'kms:*' is not one "
			    "policy-gen writes: give --allow");
	s.ops = POLICY_DECRYPT;  /* given: the policy's actions are not needed */
	assert_int_equal(policy_merge(doc, "p.json", &s, 0, NULL), NK_OK);
	json_decref(doc);
	policy_spec_free(&s);
}

static void size_limit(void **state)
{
	struct policy_spec s;
	struct nk_err err;
	char hex[PCR_HEX_LEN + 1], want[96], *out = NULL;
	size_t n, i;
	json_t *j;

	spec_basic(&s);
	j = policy_document(&s);
	assert_int_equal(policy_render(j, 1, &out, &n, NULL), NK_OK);
	assert_int_equal(strlen(out), n);
	assert_int_equal(out[n - 1], '\n');
	assert_string_equal(strstr(out, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\n"), out);
	json_decref(j);
	free(out);

	/* About 300 values: twice in the policy, over 32 KiB. */
	for (i = 0; i < 300; i++) {
		snprintf(hex, sizeof hex, "%096zx", i);
		assert_int_equal(policy_values_add(&s.values, 4, hex, NULL), NK_OK);
	}
	j = policy_document(&s);
	assert_int_equal(policy_render(j, 0, &out, &n, NULL), NK_OK);
	assert_true(n > POLICY_MAX);
	free(out);
	assert_int_equal(policy_render(j, 1, &out, &i, &err), NK_DATA);
	snprintf(want, sizeof want, "policy is %zu bytes, more than the 32768 KMS accepts", n);
	assert_string_equal(err.msg, want);
	json_decref(j);
	policy_spec_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(values_order_and_duplicates),
		cmocka_unit_test(build_default_use),
		cmocka_unit_test(build_use_and_image),
		cmocka_unit_test(debug_zeros),
		cmocka_unit_test(option_values),
		cmocka_unit_test(generate_allow_style),
		cmocka_unit_test(generate_deny_style),
		cmocka_unit_test(merge_replaces_in_place),
		cmocka_unit_test(merge_takes_missing_options),
		cmocka_unit_test(merge_add_is_a_union_and_idempotent),
		cmocka_unit_test(merge_rejects),
		cmocka_unit_test(size_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
