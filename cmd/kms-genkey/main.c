/* kms-genkey: a data key (GenerateDataKey) or a key pair
 * (GenerateDataKeyPair) from KMS, its plaintext sealed by KMS to this
 * enclave's attested ephemeral key. */
#include <stdio.h>

#include "tool/cli.h"
#include "kms/kmsclient.h"
#include "tool/kmsgen.h"
#include "tool/kmsopts.h"

#define OPTIONS(X) \
	X(KEY_ID, "key-id", 0, STR("KEY"), "KMS key: key id, key ARN, alias/NAME or alias ARN (required)") \
	X(CONTEXT, "context", 0, LIST("KEY=VALUE"), "encryption context pair (repeatable); Decrypt needs the same") \
	X(GRANT_TOKEN, "grant-token", 0, LIST_MAX("TOKEN", KMSOPTS_GRANT_TOKEN_MAX), "grant token (repeatable, at most 10)") \
	X(KEY_SPEC, "key-spec", 0, CHOICE("SPEC", KMSGEN_KEY_SPECS) EXCL(1), "a data key of this spec") \
	X(BYTES, "bytes", 'n', UINT("N", 1, KMSGEN_BYTES_MAX) EXCL(1), "a data key of N bytes: 1 to 1024") \
	X(PAIR, "pair", 0, CHOICE("SPEC", KMSGEN_PAIR_SPECS) EXCL(1), "a key pair of this spec instead (GenerateDataKeyPair)") \
	X(FORMAT, "format", 'f', CHOICE("FMT", KMSGEN_GENKEY_FORMATS), "output format: json (default) or kmstool") \
	X(OUTPUT, "output", 'o', FILE("FILE"), "write the output to FILE (atomically, mode 0600)") \
	X(PLAINTEXT_OUT, "plaintext-out", 0, FILE("FILE"), "the plaintext key (raw; DER for pairs) to FILE, not the output") \
	X(CIPHERTEXT_OUT, "ciphertext-out", 0, FILE("FILE"), "write the encrypted key (raw blob) to FILE too") \
	X(FORCE, "force", 0, FLAG, "write raw bytes to a terminal anyway")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };
static const struct cli_opt *const shared[] = { kmsopts_client, kmsopts_recipient, NULL };

static const struct cli_tool tool = {
	.name = "kms-genkey",
	.usage = "--key-id KEY (--key-spec SPEC | --bytes N | --pair SPEC) [OPTIONS]",
	.summary = "Ask KMS for a data key or a key pair; the plaintext comes sealed to this enclave\n"
		   "(GenerateDataKey or GenerateDataKeyPair with an attestation document).",
	.operands = NULL,
	.opts = opts,
	.shared = shared,
	.min_args = 0,
	.max_args = 0,
};

static int run(const struct cli *c, struct nk_err *err)
{
	struct kmsclient_opts kms;
	struct kmsgen_genkey g = {
		.key_spec = cli_str(c, OPT_KEY_SPEC),
		.nbytes = cli_num(c, OPT_BYTES, 0),
		.pair = cli_str(c, OPT_PAIR),
		.format = cli_pick(c, OPT_FORMAT, KMSGEN_GENKEY_JSON),
		.output = cli_str(c, OPT_OUTPUT),
		.plaintext_out = cli_str(c, OPT_PLAINTEXT_OUT),
		.ciphertext_out = cli_str(c, OPT_CIPHERTEXT_OUT),
		.force = cli_given(c, OPT_FORCE),
	};
	struct kms_req req;
	struct kms_resp resp = { 0 };
	int rc;

	kmsopts_client_opts(c, &kms);
	if ((rc = kmsopts_key(c, OPT_KEY_ID, OPT_CONTEXT, OPT_GRANT_TOKEN, &g.key, err)) ||
	    (rc = kmsgen_genkey_check(&g, err)))
		goto out;
	kmsgen_genkey_req(&g, &req);
	if (!(rc = kmsclient_call_once(&kms, &req, &resp, err)))
		rc = kmsgen_genkey_write(&g, &resp, err);
out:
	kms_resp_free(&resp);
	kmsgen_genkey_free(&g);
	kmsclient_opts_free(&kms);
	return rc;
}

int main(int argc, char **argv)
{
	/* Unbuffered: keys go from secure memory straight to the descriptor
	 * instead of lingering in stdio's buffer. */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cli_main(&tool, argc, argv, run);
}
