/* kms-random: random bytes from KMS (GenerateRandom), sealed by KMS to this
 * enclave's attested ephemeral key on the way. */
#include <stdio.h>

#include "tool/cli.h"
#include "kms/kmsclient.h"
#include "tool/kmsgen.h"

#define OPTIONS(X) \
	X(BYTES, "bytes", 'n', STR, "N", NULL, "how many bytes: 1 to 1024 (default 32)") \
	X(FORMAT, "format", 'f', STR, "FMT", "raw|hex|base64|kmstool", \
	  "output format: hex (default), base64, raw or kmstool") \
	X(OUTPUT, "output", 'o', STR, "FILE", "file", "write to FILE (atomically, mode 0600)") \
	X(FORCE, "force", 0, FLAG, NULL, NULL, "write raw bytes to a terminal anyway") \
	KMSCLIENT_OPTIONS(X) KMSCLIENT_RECIPIENT_OPTIONS(X)

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "kms-random",
	.usage = "[--bytes N] [-f raw|hex|base64|kmstool] [-o FILE]",
	.summary = "Print random bytes from KMS (GenerateRandom), sealed to this enclave on the way.",
	.operands = NULL,
	.opts = opts,
	.min_args = 0,
	.max_args = 0,
};

struct ctx {
	struct kmsclient_opts kms;
	struct kmsgen_random g;
};

static int on_opt(void *p, int id, const char *arg, struct nk_err *err)
{
	struct ctx *c = p;
	const char *name = opts[id - 1].name;
	int rc = kmsclient_opt(&c->kms, name, arg, err);

	if (rc == KMSCLIENT_NOT_MINE)
		rc = kmsgen_random_opt(&c->g, name, arg, err);
	return rc;
}

static int run(struct ctx *c, struct nk_err *err)
{
	struct kms_req req;
	struct kms_resp resp = { 0 };
	int rc;

	if ((rc = kmsgen_random_check(&c->g, err)))
		return rc;
	kmsgen_random_req(&c->g, &req);
	if (!(rc = kmsclient_call_once(&c->kms, &req, &resp, err)))
		rc = kmsgen_random_write(&c->g, &resp, err);
	kms_resp_free(&resp);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c;
	struct cli_args args;
	struct nk_err err = { 0 };
	int rc;

	kmsclient_opts_init(&c.kms);
	kmsgen_random_init(&c.g);
	/* Unbuffered: the bytes go from secure memory straight to the descriptor. */
	setvbuf(stdout, NULL, _IONBF, 0);
	rc = cli_start(&tool, argc, argv, on_opt, &c, &args, &err);
	if (rc == NK_OK)
		rc = run(&c, &err);
	cli_args_free(&args);
	kmsgen_random_free(&c.g);
	kmsclient_opts_free(&c.kms);
	return cli_finish(rc, &err);
}
