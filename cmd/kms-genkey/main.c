/* kms-genkey: a data key (GenerateDataKey) or a key pair
 * (GenerateDataKeyPair) from KMS, its plaintext sealed by KMS to this
 * enclave's attested ephemeral key. */
#include <stdio.h>

#include "tool/cli.h"
#include "kms/kmsclient.h"
#include "tool/kmsgen.h"

#define OPTIONS(X) \
	KMSGEN_KEY_OPTIONS(X) \
	X(KEY_SPEC, "key-spec", 0, STR, "SPEC", "AES_256|AES_128", "a data key of this spec") \
	X(BYTES, "bytes", 'n', STR, "N", NULL, "a data key of N bytes: 1 to 1024") \
	X(PAIR, "pair", 0, STR, "SPEC", \
	  "RSA_2048|RSA_3072|RSA_4096|ECC_NIST_P256|ECC_NIST_P384|ECC_NIST_P521|ECC_SECG_P256K1", \
	  "a key pair of this spec instead (GenerateDataKeyPair)") \
	X(FORMAT, "format", 'f', STR, "FMT", "json|kmstool", "output format: json (default) or kmstool") \
	X(OUTPUT, "output", 'o', STR, "FILE", "file", "write the output to FILE (atomically, mode 0600)") \
	X(PLAINTEXT_OUT, "plaintext-out", 0, STR, "FILE", "file", \
	  "the plaintext key (raw; DER for pairs) to FILE, not the output") \
	X(CIPHERTEXT_OUT, "ciphertext-out", 0, STR, "FILE", "file", "write the encrypted key (raw blob) to FILE too") \
	X(FORCE, "force", 0, FLAG, NULL, NULL, "write raw bytes to a terminal anyway") \
	KMSCLIENT_OPTIONS(X) KMSCLIENT_RECIPIENT_OPTIONS(X)

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "kms-genkey",
	.usage = "--key-id KEY (--key-spec SPEC | --bytes N | --pair SPEC) [OPTIONS]",
	.summary = "Ask KMS for a data key or a key pair; the plaintext comes sealed to this enclave\n"
		   "(GenerateDataKey or GenerateDataKeyPair with an attestation document).",
	.operands = NULL,
	.opts = opts,
	.min_args = 0,
	.max_args = 0,
};

struct ctx {
	struct kmsclient_opts kms;
	struct kmsgen_genkey g;
};

static int on_opt(void *p, int id, const char *arg, struct nk_err *err)
{
	struct ctx *c = p;
	const char *name = opts[id - 1].name;
	int rc = kmsclient_opt(&c->kms, name, arg, err);

	if (rc == KMSCLIENT_NOT_MINE)
		rc = kmsgen_genkey_opt(&c->g, name, arg, err);
	return rc;
}

static int run(struct ctx *c, struct nk_err *err)
{
	struct kms_req req;
	struct kms_resp resp = { 0 };
	int rc;

	if ((rc = kmsgen_genkey_check(&c->g, err)))
		return rc;
	kmsgen_genkey_req(&c->g, &req);
	if (!(rc = kmsclient_call_once(&c->kms, &req, &resp, err)))
		rc = kmsgen_genkey_write(&c->g, &resp, err);
	kms_resp_free(&resp);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct cli_args args;
	struct nk_err err = { 0 };
	int rc;

	kmsclient_opts_init(&c.kms);
	/* Unbuffered: keys go from secure memory straight to the descriptor
	 * instead of lingering in stdio's buffer. */
	setvbuf(stdout, NULL, _IONBF, 0);
	rc = cli_start(&tool, argc, argv, on_opt, &c, &args, &err);
	if (rc == NK_OK)
		rc = run(&c, &err);
	cli_args_free(&args);
	kmsgen_genkey_free(&c.g);
	kmsclient_opts_free(&c.kms);
	return cli_finish(rc, &err);
}
