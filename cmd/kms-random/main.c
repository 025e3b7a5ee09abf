/* kms-random: random bytes from KMS (GenerateRandom), sealed by KMS to this
 * enclave's attested ephemeral key on the way. */
#include <stdio.h>

#include "tool/cli.h"
#include "kms/kmsclient.h"
#include "tool/kmsgen.h"
#include "tool/kmsopts.h"

#define OPTIONS(X) \
	X(BYTES, "bytes", 'n', UINT("N", 1, KMSGEN_BYTES_MAX), "how many bytes: 1 to 1024 (default 32)") \
	X(FORMAT, "format", 'f', CHOICE("FMT", KMSGEN_RANDOM_FORMATS), "output format: hex (default), base64, raw or kmstool") \
	X(OUTPUT, "output", 'o', FILE("FILE"), "write to FILE (atomically, mode 0600)") \
	X(FORCE, "force", 0, FLAG, "write raw bytes to a terminal anyway")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };
static const struct cli_opt *const shared[] = { kmsopts_client, kmsopts_recipient, NULL };

static const struct cli_tool tool = {
	.name = "kms-random",
	.usage = "[--bytes N] [-f raw|hex|base64|kmstool] [-o FILE]",
	.summary = "Print random bytes from KMS (GenerateRandom), sealed to this enclave on the way.",
	.operands = NULL,
	.opts = opts,
	.shared = shared,
	.min_args = 0,
	.max_args = 0,
};

static int run(const struct cli *c, struct nk_err *err)
{
	struct kmsclient_opts kms;
	struct kmsgen_random g;
	struct kms_req req;
	struct kms_resp resp = { 0 };
	int rc;

	kmsopts_client_opts(c, &kms);
	kmsgen_random_init(&g);
	g.nbytes = cli_num(c, OPT_BYTES, g.nbytes);
	g.format = cli_pick(c, OPT_FORMAT, g.format);
	g.output = cli_str(c, OPT_OUTPUT);
	g.force = cli_given(c, OPT_FORCE);
	if ((rc = kmsgen_random_check(&g, err)))
		goto out;
	kmsgen_random_req(&g, &req);
	if (!(rc = kmsclient_call_once(&kms, &req, &resp, err)))
		rc = kmsgen_random_write(&g, &resp, err);
out:
	kms_resp_free(&resp);
	kmsclient_opts_free(&kms);
	return rc;
}

int main(int argc, char **argv)
{
	/* Unbuffered: the bytes go from secure memory straight to the descriptor. */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cli_main(&tool, argc, argv, run);
}
