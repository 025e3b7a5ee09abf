/* kms-encrypt: KMS Encrypt, for the parent instance or an admin host.  KMS
 * takes no attestation document for Encrypt, so there is no NSM and no
 * recipient key here: anyone allowed kms:Encrypt can seal for the enclave. */
#include <stdio.h>

#include "tool/cli.h"
#include "kms/kmsclient.h"
#include "tool/kmsgen.h"

#define OPTIONS(X) \
	KMSGEN_KEY_OPTIONS(X) \
	X(PLAINTEXT_FILE, "plaintext-file", 0, STR, "FILE", "file", \
	  "the plaintext: 1 to 4096 bytes from FILE or - (required)") \
	X(ENCRYPTION_ALGORITHM, "encryption-algorithm", 0, STR, "ALG", \
	  "SYMMETRIC_DEFAULT|RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256|SM2PKE", \
	  "algorithm for asymmetric keys (default: KMS's, SYMMETRIC_DEFAULT)") \
	X(FORMAT, "format", 'f', STR, "FMT", "raw|base64", "output format: raw (default) or base64") \
	X(OUTPUT, "output", 'o', STR, "FILE", "file", "write the ciphertext blob to FILE (atomically, mode 0600)") \
	X(FORCE, "force", 0, FLAG, NULL, NULL, "write raw bytes to a terminal anyway") \
	KMSCLIENT_OPTIONS(X)

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "kms-encrypt",
	.usage = "--key-id KEY --plaintext-file FILE|- [--context K=V]... [-f raw|base64] [-o FILE]",
	.summary = "Encrypt up to 4096 bytes under a KMS key (KMS Encrypt), on the parent or an\n"
		   "admin host; the enclave opens the blob with kms-decrypt.",
	.operands = NULL,
	.opts = opts,
	.min_args = 0,
	.max_args = 0,
};

struct ctx {
	struct kmsclient_opts kms;
	struct kmsgen_encrypt g;
};

static int on_opt(void *p, int id, const char *arg, struct nk_err *err)
{
	struct ctx *c = p;
	const char *name = opts[id - 1].name;
	int rc = kmsclient_opt(&c->kms, name, arg, err);

	if (rc == KMSCLIENT_NOT_MINE)
		rc = kmsgen_encrypt_opt(&c->g, name, arg, err);
	return rc;
}

static int run(struct ctx *c, struct nk_err *err)
{
	struct kmsclient *k = NULL;
	struct kms_req req;
	struct kms_resp resp = { 0 };
	int rc;

	if ((rc = kmsgen_encrypt_check(&c->g, c->kms.credentials, err)) ||
	    (rc = kmsclient_open(&c->kms, KMSCLIENT_DIRECT, &k, err)) ||
	    (rc = kmsgen_encrypt_read(&c->g, err)))
		goto out;
	kmsgen_encrypt_req(&c->g, &req);
	if ((rc = kmsclient_call(k, &req, &resp, err)))
		goto out;
	rc = kmsgen_encrypt_write(&c->g, &resp, err);
out:
	kms_resp_free(&resp);
	kmsclient_close(k);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct cli_args args;
	struct nk_err err = { 0 };
	int rc;

	kmsclient_opts_init(&c.kms);
	rc = cli_start(&tool, argc, argv, on_opt, &c, &args, &err);
	if (rc == NK_OK)
		rc = run(&c, &err);
	cli_args_free(&args);
	kmsgen_encrypt_free(&c.g);
	kmsclient_opts_free(&c.kms);
	return cli_finish(rc, &err);
}
