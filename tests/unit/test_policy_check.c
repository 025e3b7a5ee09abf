/* policy_check: one small policy per finding and the exact lines it prints.
 * Policies are written with ' for " (swapped before the call) to stay readable. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy_check.h"

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789ABCDEF"
#define ZERO "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"

#define ROLE "'arn:aws:iam::111122223333:role/Enclave'"
#define DOC(statements) "{'Version': '2012-10-17', 'Statement': [" statements "]}"
/* A statement with every required element; C is its Condition (or nothing). */
#define STMT(sid, effect, action, cond) \
	"{'Sid': '" sid "', 'Effect': '" effect "', 'Principal': {'AWS': " ROLE "}, " \
	"'Action': " action ", 'Resource': '*'" cond "}"
#define COND(op, key, values) ", 'Condition': {'" op "': {'" key "': " values "}}"
#define PCR0 "kms:RecipientAttestation:PCR0"

/* policy-gen's default output with --account, --admin, --encrypt-principal, two
 * PCR0 values and a PCR8 (allow style), and the deny style's statements. */
#define CLEAN_ALLOW DOC( \
	"{'Sid': 'Enable IAM User Permissions', 'Effect': 'Allow', " \
	" 'Principal': {'AWS': 'arn:aws:iam::111122223333:root'}, 'Action': 'kms:*', 'Resource': '*'}," \
	"{'Sid': 'Allow access for Key Administrators', 'Effect': 'Allow', " \
	" 'Principal': {'AWS': ['arn:aws:iam::111122223333:role/Admin', 'arn:aws:iam::111122223333:user/ops']}, " \
	" 'Action': ['kms:Create*', 'kms:Describe*', 'kms:Enable*', 'kms:List*', 'kms:Put*', 'kms:Update*', " \
	"  'kms:Revoke*', 'kms:Disable*', 'kms:Get*', 'kms:Delete*', 'kms:TagResource', 'kms:UntagResource', " \
	"  'kms:ScheduleKeyDeletion', 'kms:CancelKeyDeletion', 'kms:RotateKeyOnDemand'], 'Resource': '*'}," \
	"{'Sid': 'Allow encryption by the data owner', 'Effect': 'Allow', " \
	" 'Principal': {'AWS': 'arn:aws:iam::111122223333:role/Owner'}, 'Action': 'kms:Encrypt', 'Resource': '*'}," \
	"{'Sid': 'NitrokitEnclaveAllow', 'Effect': 'Allow', 'Principal': {'AWS': " ROLE "}, " \
	" 'Action': ['kms:Decrypt', 'kms:GenerateDataKey'], 'Resource': '*', " \
	" 'Condition': {'StringEqualsIgnoreCase': {'" PCR0 "': ['" HEX_A "', '" HEX_B "'], " \
	"  'kms:RecipientAttestation:PCR8': '" HEX_A "'}}}," \
	"{'Sid': 'NitrokitEnclaveDenyPCR0', 'Effect': 'Deny', 'Principal': {'AWS': " ROLE "}, " \
	" 'Action': ['kms:Decrypt', 'kms:GenerateDataKey'], 'Resource': '*', " \
	" 'Condition': {'StringNotEqualsIgnoreCase': {'" PCR0 "': ['" HEX_A "', '" HEX_B "']}}}," \
	"{'Sid': 'NitrokitEnclaveDenyPCR8', 'Effect': 'Deny', 'Principal': {'AWS': " ROLE "}, " \
	" 'Action': ['kms:Decrypt', 'kms:GenerateDataKey'], 'Resource': '*', " \
	" 'Condition': {'StringNotEqualsIgnoreCase': {'kms:RecipientAttestation:PCR8': '" HEX_A "'}}}")

#define CLEAN_DENY DOC( \
	"{'Sid': 'Enable IAM User Permissions', 'Effect': 'Allow', " \
	" 'Principal': {'AWS': 'arn:aws-cn:iam::111122223333:root'}, 'Action': 'kms:*', 'Resource': '*'}," \
	"{'Sid': 'NitrokitEnclaveAllow', 'Effect': 'Allow', 'Principal': {'AWS': [" ROLE ", " ROLE "]}, " \
	" 'Action': ['kms:Decrypt', 'kms:GenerateDataKeyPair', 'kms:GenerateRandom', 'kms:DeriveSharedSecret'], " \
	" 'Resource': '*'}," \
	"{'Sid': 'NitrokitEnclaveDenyImageSha384', 'Effect': 'Deny', 'Principal': {'AWS': '*'}, " \
	" 'Action': ['kms:Decrypt', 'kms:GenerateDataKeyPair', 'kms:GenerateRandom', 'kms:DeriveSharedSecret'], " \
	" 'Resource': '*', " \
	" 'Condition': {'StringNotEqualsIgnoreCase': {'kms:RecipientAttestation:ImageSha384': '" HEX_B "'}}}")

struct lint_case {
	const char *name;
	const char *policy;
	const char *want;  /* the exact output */
	int errors;
};

static const struct lint_case cases[] = {
	/* clean policies print nothing */
	{ "clean allow style", CLEAN_ALLOW, "", 0 },
	{ "clean deny style", CLEAN_DENY, "", 0 },
	{ "a single statement object", "{'Version': '2012-10-17', 'Statement': "
	  STMT("A", "Allow", "'kms:*'", "") "}", "", 0 },
	{ "condition keys are case-insensitive",
	  DOC(STMT("A", "Allow", "'kms:Decrypt'", COND("StringEqualsIgnoreCase", "KMS:recipientattestation:pcr0", "'" HEX_A "'"))),
	  "", 0 },
	{ "PCR10, PCR31 and imagesha384 are keys",
	  DOC(STMT("A", "Allow", "'kms:Decrypt'", ", 'Condition': {'StringEqualsIgnoreCase': {"
		   "'kms:RecipientAttestation:PCR10': '" HEX_A "', 'kms:RecipientAttestation:PCR31': '" HEX_A "', "
		   "'kms:RecipientAttestation:imagesha384': '" HEX_A "'}}")), "", 0 },
	{ "Null false requires attestation and takes no hex",
	  DOC(STMT("A", "Allow", "'kms:Decrypt'", COND("Null", PCR0, "'false'"))), "", 0 },
	{ "a Deny of zero values blocks debug enclaves",
	  DOC(STMT("A", "Deny", "'kms:Decrypt'", COND("StringEqualsIgnoreCase", PCR0, "'" ZERO "'"))), "", 0 },
	{ "a negated Deny on crypto actions only",
	  DOC(STMT("A", "Deny", "['kms:Decrypt', 'kms:GenerateDataKey*']", COND("StringNotEqualsIgnoreCase", PCR0, "'" HEX_A "'"))),
	  "", 0 },
	{ "wildcards are not flagged as unattested",
	  DOC(STMT("A", "Allow", "'kms:*'", COND("StringEqualsIgnoreCase", PCR0, "'" HEX_A "'"))), "", 0 },
	{ "numbers and booleans are condition values",
	  DOC(STMT("A", "Allow", "'kms:*'", ", 'Condition': {'Bool': {'aws:SecureTransport': true}, "
		   "'NumericLessThan': {'kms:ScheduleKeyDeletionPendingWindowInDays': [7, 30]}}")), "", 0 },

	/* the document */
	{ "not JSON", "{'Version'", "error: policy: invalid JSON at line 1 column 10: ':' expected near end of file\n", 1 },
	{ "duplicate key", "{'Version': '2012-10-17', 'Version': '2012-10-17'}",
	  "error: policy: invalid JSON at line 1 column 35: duplicate object key near '\"Version\"': "
	  "parsers disagree on which value counts\n", 1 },
	{ "not an object", "['Version']",
	  "error: policy: not a JSON object: a key policy is an object with Version and Statement\n", 1 },
	{ "a scalar", "42",
	  "error: policy: not a JSON object: a key policy is an object with Version and Statement\n", 1 },
	{ "no Statement", "{'Version': '2012-10-17'}",
	  "error: policy: no Statement: a key policy needs at least one\n", 1 },
	{ "Statement of the wrong type", "{'Version': '2012-10-17', 'Statement': 'x'}",
	  "error: policy: Statement is neither an array nor an object: KMS rejects the policy\n", 1 },
	{ "no Version", "{'Statement': []}",
	  "error: policy: no Version: key policies need Version '2012-10-17'\n", 1 },
	{ "old Version", "{'Version': '2008-10-17', 'Statement': []}",
	  "warning: policy: Version '2008-10-17' is outdated: it has no policy variables; use '2012-10-17'\n", 0 },
	{ "unknown Version", "{'Version': '2012-10-18', 'Statement': []}",
	  "error: policy: unknown Version '2012-10-18': KMS accepts '2012-10-17' (or the outdated '2008-10-17')\n", 1 },
	{ "Version not a string", "{'Version': 2012, 'Statement': []}",
	  "error: policy: Version is not a string: KMS accepts '2012-10-17'\n", 1 },

	/* statement elements */
	{ "statement not an object", DOC("[]"),
	  "error: statement #1: not an object: a statement is a JSON object\n", 1 },
	{ "no Effect", DOC("{'Principal': '*', 'Action': 'kms:*', 'Resource': '*'}"),
	  "error: statement #1: no Effect: a statement must say 'Allow' or 'Deny'\n", 1 },
	{ "bad Effect", DOC(STMT("A", "allow", "'kms:*'", "")),
	  "error: statement A: Effect 'allow' is neither 'Allow' nor 'Deny': KMS rejects the policy\n", 1 },
	{ "Effect not a string", DOC("{'Effect': true, 'Principal': '*', 'Action': 'kms:*', 'Resource': '*'}"),
	  "error: statement #1: Effect is not a string: a statement must say 'Allow' or 'Deny'\n", 1 },
	{ "no Principal", DOC("{'Sid': '', 'Effect': 'Allow', 'Action': 'kms:*', 'Resource': '*'}"),
	  "error: statement #1: no Principal: a key policy statement must name whom it applies to\n", 1 },
	{ "Principal a string but not *", DOC("{'Effect': 'Allow', 'Principal': 'arn', 'Action': 'kms:*', 'Resource': '*'}"),
	  "error: statement #1: Principal is neither '*' nor an object of strings or arrays of strings "
	  "(such as {\"AWS\": ARN}): KMS rejects the policy\n", 1 },
	{ "NotPrincipal with a number", DOC("{'Effect': 'Deny', 'NotPrincipal': {'AWS': ['a', 1]}, 'Action': 'kms:*', 'Resource': '*'}"),
	  "error: statement #1: NotPrincipal is neither '*' nor an object of strings or arrays of strings "
	  "(such as {\"AWS\": ARN}): KMS rejects the policy\n", 1 },
	{ "no Action", DOC("{'Effect': 'Allow', 'Principal': {'Service': 'x'}, 'Resource': '*'}"),
	  "error: statement #1: no Action: the statement names no operation and KMS rejects it\n", 1 },
	{ "Action an empty array", DOC(STMT("A", "Allow", "[]", "")),
	  "error: statement A: Action is neither a string nor an array of strings: KMS rejects the policy\n", 1 },
	{ "NotAction with a number", DOC("{'Effect': 'Allow', 'Principal': '*', 'NotAction': [1], 'Resource': '*'}"),
	  "error: statement #1: NotAction is neither a string nor an array of strings: KMS rejects the policy\n", 1 },
	{ "no Resource", DOC("{'Effect': 'Allow', 'Principal': '*', 'Action': 'kms:*'}"),
	  "error: statement #1: no Resource: KMS rejects a key policy statement without one ('*' means this key)\n", 1 },
	{ "duplicate Sid", DOC(STMT("A", "Allow", "'kms:*'", "") "," STMT("B", "Allow", "'kms:*'", "") ","
			       STMT("A", "Allow", "'kms:*'", "")),
	  "error: statement A: duplicate Sid (statement #1 has it too): Sids must be unique within a policy\n", 1 },
	{ "Sid not a string", DOC("{'Sid': 1, 'Effect': 'Allow', 'Principal': '*', 'Action': 'kms:*', 'Resource': '*'}"),
	  "error: statement #1: Sid is not a string: KMS rejects the policy\n", 1 },
	{ "control characters are replaced", DOC(STMT("a\\u0007\\nb", "allow", "'kms:*'", "")),
	  "error: statement a??b: Effect 'allow' is neither 'Allow' nor 'Deny': KMS rejects the policy\n", 1 },

	/* conditions */
	{ "Condition not an object", DOC(STMT("A", "Allow", "'kms:*'", ", 'Condition': []")),
	  "error: statement A: Condition is not an object: KMS rejects the policy\n", 1 },
	{ "operator without an object", DOC(STMT("A", "Allow", "'kms:*'", ", 'Condition': {'StringEquals': 'x'}")),
	  "error: statement A: condition operator 'StringEquals' needs an object of keys and values: "
	  "KMS rejects the policy\n", 1 },
	{ "unknown operator", DOC(STMT("A", "Allow", "'kms:*'", COND("StringMatches", "aws:x", "'y'"))),
	  "error: statement A: unknown condition operator 'StringMatches': KMS rejects the policy\n", 1 },
	{ "operator in the wrong case", DOC(STMT("A", "Allow", "'kms:*'", COND("forallvalues:stringequalsifexists", "aws:x", "'y'"))),
	  "error: statement A: unknown condition operator 'forallvalues:stringequalsifexists' "
	  "(did you mean 'ForAllValues:StringEqualsIfExists'?)\n", 1 },
	{ "Null takes no IfExists", DOC(STMT("A", "Allow", "'kms:*'", COND("NullIfExists", "aws:x", "'true'"))),
	  "error: statement A: unknown condition operator 'NullIfExists': KMS rejects the policy\n", 1 },
	{ "a value that is an object", DOC(STMT("A", "Allow", "'kms:*'", COND("StringLike", "aws:x", "{}"))),
	  "error: statement A: 'aws:x' under 'StringLike' needs a string or an array of strings: KMS rejects the policy\n", 1 },
	{ "an empty array of values", DOC(STMT("A", "Allow", "'kms:*'", COND("StringLike", "aws:x", "[]"))),
	  "error: statement A: 'aws:x' under 'StringLike' needs a string or an array of strings: KMS rejects the policy\n", 1 },
	{ "PCR32", DOC(STMT("NitrokitEnclaveDeny", "Allow", "'kms:Decrypt'",
			    COND("StringEqualsIgnoreCase", "kms:RecipientAttestation:PCR32", "'" HEX_A "'"))),
	  "error: statement NitrokitEnclaveDeny: unknown condition key 'kms:RecipientAttestation:PCR32': PCRs are 0-31\n", 1 },
	{ "near-miss namespace", "{'Version': '2012-10-17', 'Statement': [{}, "
	  "{'Effect': 'Allow', 'Principal': '*', 'Action': 'kms:Decrypt', 'Resource': '*', "
	  "'Condition': {'StringEqualsIgnoreCase': {'kms:RecipientAttestion:PCR0': '" HEX_A "'}}}]}",
	  "error: statement #1: no Effect: a statement must say 'Allow' or 'Deny'\n"
	  "error: statement #1: no Principal: a key policy statement must name whom it applies to\n"
	  "error: statement #1: no Action: the statement names no operation and KMS rejects it\n"
	  "error: statement #1: no Resource: KMS rejects a key policy statement without one ('*' means this key)\n"
	  "error: statement #2: unknown condition key 'kms:RecipientAttestion:PCR0' "
	  "(did you mean 'kms:RecipientAttestation:PCR0'?)\n", 5 },
	{ "near-miss key", DOC(STMT("A", "Allow", "'kms:Decrypt'",
			    COND("StringEqualsIgnoreCase", "kms:RecipientAtestation:ImageSha348", "'" HEX_A "'"))),
	  "error: statement A: unknown condition key 'kms:RecipientAtestation:ImageSha348' "
	  "(did you mean 'kms:RecipientAttestation:ImageSha384'?)\n", 1 },
	{ "missing colon", DOC(STMT("A", "Allow", "'kms:Decrypt'",
			    COND("StringEqualsIgnoreCase", "kms:RecipientAttestationPCR1", "'" HEX_A "'"))),
	  "error: statement A: unknown condition key 'kms:RecipientAttestationPCR1' "
	  "(did you mean 'kms:RecipientAttestation:PCR1'?)\n", 1 },
	{ "PCR00", DOC(STMT("A", "Allow", "'kms:Decrypt'",
			    COND("StringEqualsIgnoreCase", "kms:RecipientAttestation:PCR00", "'" HEX_A "'"))),
	  "error: statement A: unknown condition key 'kms:RecipientAttestation:PCR00' "
	  "(did you mean 'kms:RecipientAttestation:PCR0'?)\n", 1 },
	{ "leading zero", DOC(STMT("A", "Allow", "'kms:Decrypt'",
			    COND("StringEqualsIgnoreCase", "kms:RecipientAttestation:PCR01", "'" HEX_A "'"))),
	  "error: statement A: unknown condition key 'kms:RecipientAttestation:PCR01' "
	  "(did you mean 'kms:RecipientAttestation:PCR1'?)\n", 1 },
	{ "unknown attestation key", DOC(STMT("A", "Allow", "'kms:Decrypt'",
			    COND("StringEqualsIgnoreCase", "kms:RecipientAttestation:ModuleId", "'x'"))),
	  "error: statement A: unknown condition key 'kms:RecipientAttestation:ModuleId': "
	  "kms:RecipientAttestation has only ImageSha384 and PCR0 to PCR31\n", 1 },
	{ "value not 96 hex", DOC(STMT("A", "Allow", "'kms:Decrypt'",
			    COND("StringEqualsIgnoreCase", PCR0, "['" HEX_A "', '" HEX_A "0', 'xyz']"))),
	  "error: statement A: 'kms:RecipientAttestation:PCR0' value '" HEX_A "0' is not 96 hex characters: "
	  "it never equals a measurement\n"
	  "error: statement A: 'kms:RecipientAttestation:PCR0' value 'xyz' is not 96 hex characters: "
	  "it never equals a measurement\n", 2 },
	{ "long values are cut", DOC(STMT("A", "Allow", "'kms:Decrypt'",
			    COND("StringEqualsIgnoreCase", PCR0, "'" HEX_A HEX_A "'"))),
	  "error: statement A: 'kms:RecipientAttestation:PCR0' value '" HEX_A "aaaa...' is not 96 hex characters: "
	  "it never equals a measurement\n", 1 },
	{ "value not a string", DOC(STMT("A", "Allow", "'kms:Decrypt'", COND("StringEqualsIgnoreCase", PCR0, "[1]"))),
	  "error: statement A: 'kms:RecipientAttestation:PCR0' has a value that is not a string: "
	  "attestation values are 96 hex characters\n", 1 },
	{ "all-zero value", DOC(STMT("Allow", "Allow", "'kms:Decrypt'",
			    COND("StringEqualsIgnoreCase", PCR0, "['" HEX_A "', '" ZERO "']"))),
	  "warning: statement Allow: 'kms:RecipientAttestation:PCR0' admits debug-mode enclaves: "
	  "an all-zero value matches any enclave started with --debug-mode\n", 0 },
	{ "all-zero value excepted from a Deny", DOC(STMT("D", "Deny", "'kms:Decrypt'",
			    COND("StringNotEqualsIgnoreCase", "kms:RecipientAttestation:ImageSha384", "'" ZERO "'"))),
	  "warning: statement D: 'kms:RecipientAttestation:ImageSha384' admits debug-mode enclaves: "
	  "an all-zero value matches any enclave started with --debug-mode\n", 0 },
	{ "case-sensitive operator", DOC(STMT("A", "Allow", "'kms:Decrypt'", COND("StringEquals", PCR0, "'" HEX_A "'"))),
	  "warning: statement A: 'kms:RecipientAttestation:PCR0' under 'StringEquals' is compared case-sensitively: "
	  "hex in the other case never matches; use 'StringEqualsIgnoreCase'\n", 0 },
	{ "case-sensitive negated operator keeps its qualifiers",
	  DOC(STMT("D", "Deny", "'kms:Decrypt'", COND("ForAnyValue:StringNotEqualsIfExists", PCR0, "'" HEX_A "'"))),
	  "warning: statement D: 'kms:RecipientAttestation:PCR0' under 'ForAnyValue:StringNotEqualsIfExists' is "
	  "compared case-sensitively: hex in the other case never matches; "
	  "use 'ForAnyValue:StringNotEqualsIgnoreCaseIfExists'\n", 0 },

	/* administrators locked out */
	{ "lockout on kms:*", DOC(STMT("DenyAll", "Deny", "'kms:*'", COND("StringNotEqualsIgnoreCase", PCR0, "'" HEX_A "'"))),
	  "error: statement DenyAll: locks administrators out: Deny with 'StringNotEqualsIgnoreCase' on 'kms:*' "
	  "also denies kms:PutKeyPolicy, which never carries attestation\n", 1 },
	{ "lockout on *", DOC(STMT("D", "Deny", "['kms:Decrypt', '*']", COND("StringNotLike", PCR0, "'" HEX_A "'"))),
	  "error: statement D: locks administrators out: Deny with 'StringNotLike' on '*' "
	  "also denies kms:PutKeyPolicy, which never carries attestation\n", 1 },
	{ "lockout by a positive IfExists", DOC(STMT("D", "Deny", "'kms:Schedule*'",
			    COND("StringEqualsIgnoreCaseIfExists", PCR0, "'" HEX_A "'"))),
	  "error: statement D: locks administrators out: Deny with 'StringEqualsIgnoreCaseIfExists' on 'kms:Schedule*' "
	  "also denies kms:ScheduleKeyDeletion, which never carries attestation\n", 1 },
	{ "lockout by Null true on a named admin action", DOC(STMT("D", "Deny", "['kms:Decrypt', 'kms:GetPublicKey']",
			    COND("Null", PCR0, "'true'"))),
	  "error: statement D: locks administrators out: Deny with 'Null' on 'kms:GetPublicKey', "
	  "which never carries attestation\n", 1 },
	{ "lockout by NotAction", DOC("{'Sid': 'D', 'Effect': 'Deny', 'Principal': '*', 'NotAction': 'kms:Decrypt', "
				      "'Resource': '*'" COND("ForAllValues:StringNotEqualsIgnoreCase", PCR0, "'" HEX_A "'") "}"),
	  "error: statement D: locks administrators out: Deny with 'ForAllValues:StringNotEqualsIgnoreCase' on every "
	  "action but its NotAction also denies kms:PutKeyPolicy, which never carries attestation\n", 1 },
	{ "ForAnyValue is false without attestation", DOC(STMT("D", "Deny", "'kms:*'",
			    COND("ForAnyValue:StringNotEqualsIgnoreCase", PCR0, "'" HEX_A "'"))), "", 0 },

	/* attestation on actions that carry none */
	{ "Allow of kms:Encrypt", DOC(STMT("A", "Allow", "['kms:Decrypt', 'kms:Encrypt']",
			    COND("StringEqualsIgnoreCase", PCR0, "'" HEX_A "'"))),
	  "warning: statement A: the attestation condition never matches 'kms:Encrypt': its requests carry no "
	  "attestation, so this statement does not allow it\n", 0 },
	{ "Deny of kms:Encrypt", DOC(STMT("D", "Deny", "['kms:Decrypt', 'kms:Encrypt', 'kms:ReEncrypt*']",
			    COND("StringNotEqualsIgnoreCase", PCR0, "'" HEX_A "'"))),
	  "error: statement D: Deny with 'StringNotEqualsIgnoreCase' always denies 'kms:Encrypt': "
	  "its requests carry no attestation\n", 1 },
	{ "positive Deny of kms:Encrypt never applies", DOC(STMT("D", "Deny", "'kms:Encrypt'",
			    COND("StringEqualsIgnoreCase", PCR0, "'" HEX_A "'"))), "", 0 },
	{ "lockout and kms:Encrypt together", DOC(STMT("D", "Deny", "['kms:Encrypt', 'kms:PutKeyPolicy']",
			    COND("StringNotEqualsIgnoreCase", PCR0, "'" HEX_A "'"))),
	  "error: statement D: locks administrators out: Deny with 'StringNotEqualsIgnoreCase' on 'kms:PutKeyPolicy', "
	  "which never carries attestation\n"
	  "error: statement D: Deny with 'StringNotEqualsIgnoreCase' always denies 'kms:Encrypt': "
	  "its requests carry no attestation\n", 2 },
};

/* ' -> " */
static char *unquote(const char *s)
{
	char *j = strdup(s);

	assert_non_null(j);
	for (char *p = j; *p; p++)
		if (*p == '\'')
			*p = '"';
	return j;
}

/* policy-gen's line for a finding. */
static int print_finding(void *f, const char *level, const char *where, const char *msg,
			 struct nk_err *err)
{
	if (fprintf(f, "%s: %s: %s\n", level, where, msg) < 0)
		return err_set(err, NK_IO, "write error:");
	return NK_OK;
}

static char *lint(const char *json, size_t len, int *errors, int *rc)
{
	struct nk_err err;
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);

	assert_non_null(f);
	*errors = -1;
	*rc = policy_check((const unsigned char *)json, len, print_finding, f, errors, &err);
	assert_int_equal(fclose(f), 0);
	return out;
}

static void table(void **state)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct lint_case *t = &cases[i];
		char *json = unquote(t->policy), *out;
		int errors, rc;

		print_message("case: %s\n", t->name);
		out = lint(json, strlen(json), &errors, &rc);
		assert_int_equal(rc, NK_OK);
		assert_string_equal(out, t->want);
		assert_int_equal(errors, t->errors);
		free(out);
		free(json);
	}
}

/* The limit is on the bytes as given, white space included. */
static void size_limit(void **state)
{
	char *clean = unquote(CLEAN_ALLOW), *json, *out;
	size_t n = strlen(clean);
	int errors, rc;

	json = malloc(32769);
	assert_non_null(json);
	memcpy(json, clean, n);
	memset(json + n, ' ', 32768 - n);
	out = lint(json, 32768, &errors, &rc);
	assert_string_equal(out, "");
	assert_int_equal(errors, 0);
	free(out);

	json[32768] = '\n';
	out = lint(json, 32769, &errors, &rc);
	assert_int_equal(rc, NK_OK);
	assert_string_equal(out, "error: policy: policy is 32769 bytes, more than the 32768 KMS accepts\n");
	assert_int_equal(errors, 1);
	free(out);
	free(json);
	free(clean);
}

static void no_input(void **state)
{
	int errors, rc;
	char *out = lint(NULL, 0, &errors, &rc);

	assert_int_equal(rc, NK_OK);
	assert_string_equal(out, "error: policy: invalid JSON at line 1 column 0: unexpected token near end of file\n");
	assert_int_equal(errors, 1);
	free(out);
}

/* A stream opened for reading fails every write, whatever the device: the
 * first failed report stops the reporting, and its error is returned once
 * every finding is counted. */
static int count_then_fail(void *f, const char *level, const char *where, const char *msg,
			   struct nk_err *err)
{
	(*(int *)f)++;
	return err_set(err, NK_IO, "stopped");
}

static void write_error(void **state)
{
	char *json = unquote(DOC("{}"));
	FILE *f = fopen("/dev/null", "r");
	struct nk_err err;
	int errors, calls = 0;

	assert_non_null(f);
	assert_int_equal(policy_check((const unsigned char *)json, strlen(json), print_finding, f, &errors,
				      &err), NK_IO);
	assert_string_equal(err.msg, "write error: Bad file descriptor");
	fclose(f);
	assert_int_equal(policy_check((const unsigned char *)"[1, 2]", 6, count_then_fail, &calls, &errors,
				      &err), NK_IO);
	assert_string_equal(err.msg, "stopped");
	assert_int_equal(calls, 1);
	assert_int_equal(errors, 1);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table),
		cmocka_unit_test(size_limit),
		cmocka_unit_test(no_input),
		cmocka_unit_test(write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
