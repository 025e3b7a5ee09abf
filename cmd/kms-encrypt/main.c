/* kms-encrypt: KMS Encrypt, for the parent instance or an admin host.  KMS
 * takes no attestation document for Encrypt, so there is no NSM and no
 * recipient key here: anyone allowed kms:Encrypt can seal for the enclave. */
#include <stdio.h>

#include "tool/cli.h"
#include "kms/kmsclient.h"
#include "tool/kmsgen.h"
#include "tool/kmsopts.h"

#define OPTIONS(X) \
	X(KEY_ID, "key-id", 0, STR("KEY"), "KMS key: key id, key ARN, alias/NAME or alias ARN (required)") \
	X(CONTEXT, "context", 0, LIST("KEY=VALUE"), "encryption context pair (repeatable); Decrypt needs the same") \
	X(GRANT_TOKEN, "grant-token", 0, LIST_MAX("TOKEN", KMSOPTS_GRANT_TOKEN_MAX), "grant token (repeatable, at most 10)") \
	X(PLAINTEXT_FILE, "plaintext-file", 0, FILE("FILE") STDIN, "the plaintext: 1 to 4096 bytes from FILE or - (required)") \
	X(ENCRYPTION_ALGORITHM, "encryption-algorithm", 0, CHOICE("ALG", KMSGEN_ALGORITHMS), "algorithm for asymmetric keys (default: KMS's, SYMMETRIC_DEFAULT)") \
	X(FORMAT, "format", 'f', CHOICE("FMT", KMSGEN_ENCRYPT_FORMATS), "output format: raw (default) or base64") \
	X(OUTPUT, "output", 'o', FILE("FILE"), "write the ciphertext blob to FILE (atomically, mode 0600)") \
	X(FORCE, "force", 0, FLAG, "write raw bytes to a terminal anyway")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };
static const struct cli_opt *const shared[] = { kmsopts_client, NULL };

static const struct cli_tool tool = {
	.name = "kms-encrypt",
	.usage = "--key-id KEY --plaintext-file FILE|- [--context K=V]... [-f raw|base64] [-o FILE]",
	.summary = "Encrypt up to 4096 bytes under a KMS key (KMS Encrypt), on the parent or an\n"
		   "admin host; the enclave opens the blob with kms-decrypt.",
	.operands = NULL,
	.opts = opts,
	.shared = shared,
	.min_args = 0,
	.max_args = 0,
};

static int run(const struct cli *c, struct nk_err *err)
{
	struct kmsclient_opts kms;
	struct kmsgen_encrypt g = {
		.plaintext_file = cli_str(c, OPT_PLAINTEXT_FILE),
		.algorithm = cli_str(c, OPT_ENCRYPTION_ALGORITHM),
		.format = cli_pick(c, OPT_FORMAT, KMSGEN_ENCRYPT_RAW),
		.output = cli_str(c, OPT_OUTPUT),
		.force = cli_given(c, OPT_FORCE),
	};
	struct kmsclient *k = NULL;
	struct kms_req req;
	struct kms_resp resp = { 0 };
	int rc;

	kmsopts_client_opts(c, &kms);
	if ((rc = kmsopts_key(c, OPT_KEY_ID, OPT_CONTEXT, OPT_GRANT_TOKEN, &g.key, err)) ||
	    (rc = kmsgen_encrypt_check(&g, err)) ||
	    (rc = kmsclient_open(&kms, KMSCLIENT_DIRECT, &k, err)) ||
	    (rc = kmsgen_encrypt_read(&g, err)))
		goto out;
	kmsgen_encrypt_req(&g, &req);
	if ((rc = kmsclient_call(k, &req, &resp, err)))
		goto out;
	rc = kmsgen_encrypt_write(&g, &resp, err);
out:
	kms_resp_free(&resp);
	kmsclient_close(k);
	kmsgen_encrypt_free(&g);
	kmsclient_opts_free(&kms);
	return rc;
}

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv, run);
}
