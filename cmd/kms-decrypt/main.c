/* kms-decrypt: KMS Decrypt from inside an enclave, the plaintext sealed to an
 * ephemeral key whose attestation document went with the request; one
 * ciphertext, or --batch: one per line through one key and one connection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool/cli.h"
#include "util/io.h"
#include "kms/kmsclient.h"
#include "tool/kmsdecrypt.h"
#include "tool/kmsopts.h"

#define OPTIONS(X) \
	X(CIPHERTEXT, "ciphertext", 0, STR_MAX("B64", KMSDECRYPT_ARG_MAX) WRAPPED EXCL(1), "the ciphertext blob as base64") \
	X(CIPHERTEXT_FILE, "ciphertext-file", 0, FILE("FILE") STDIN EXCL(1), "read the blob or its base64 from FILE or - (default: standard input)") \
	X(KEY_ID, "key-id", 0, STR("KEY"), "the key that must have encrypted it (id, ARN, alias)") \
	X(ALGORITHM, "encryption-algorithm", 0, CHOICE("ALG", KMSDECRYPT_ALGORITHMS), "the algorithm (default SYMMETRIC_DEFAULT with --key-id)") \
	X(CONTEXT, "context", 0, LIST("KEY=VALUE"), "encryption context pair (repeatable)") \
	X(GRANT_TOKEN, "grant-token", 0, LIST_MAX("TOKEN", KMSOPTS_GRANT_TOKEN_MAX), "grant token (repeatable, at most 10)") \
	X(FORMAT, "format", 'f', CHOICE("FMT", KMSDECRYPT_FORMATS), "output: raw (default), base64 (default with --batch), json or kmstool") \
	X(OUTPUT, "output", 'o', FILE("FILE"), "write to FILE (atomically, mode 0600)") \
	X(FORCE, "force", 0, FLAG, "write raw bytes to a terminal anyway") \
	X(BATCH, "batch", 0, FLAG, "base64 ciphertexts one per line in, plaintexts one per line out") \
	X(KEEP_GOING, "keep-going", 0, FLAG NEEDS(BATCH), "with --batch: report a failed line, print an empty line and go on")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };
static const struct cli_opt *const shared[] = { kmsopts_client, kmsopts_recipient, NULL };

static const struct cli_tool tool = {
	.name = "kms-decrypt",
	.usage = "[--ciphertext B64 | --ciphertext-file FILE|-] [--key-id KEY] [--context K=V]...\n"
		 "       [-f raw|base64|json|kmstool] [-o FILE] [--batch [--keep-going]]",
	.summary = "Decrypt a KMS ciphertext inside a Nitro Enclave: the plaintext comes back\n"
		   "sealed to an ephemeral key named in an attestation document.",
	.operands = NULL,
	.opts = opts,
	.shared = shared,
	.min_args = 0,
	.max_args = 0,
};

struct ctx {
	struct kmsclient_opts kms;
	struct kmsdecrypt_opts d;
	struct kmsclient *k;
	struct kmsclient_recipient *r;
};

static int decrypt(void *p, const unsigned char *blob, size_t n, struct kms_resp *resp, struct nk_err *err)
{
	struct ctx *c = p;
	struct kms_req req;

	kmsdecrypt_request(&c->d, blob, n, &req);
	return kmsclient_call_recipient(c->k, c->r, &req, resp, err);
}

static void report(void *p, const struct nk_err *e)
{
	(void)p;
	cli_print_err(e);
}

static int run(const struct cli *cl, struct nk_err *err)
{
	struct ctx ctx = { 0 }, *c = &ctx;
	const char *in, *out;
	struct kms_resp resp = { 0 };
	unsigned char *blob = NULL;
	size_t n = 0;
	int fd = -1, rc;

	kmsopts_client_opts(cl, &c->kms);
	kmsdecrypt_opts_init(&c->d);
	c->d.ciphertext = cli_str(cl, OPT_CIPHERTEXT);
	c->d.ciphertext_file = cli_str(cl, OPT_CIPHERTEXT_FILE);
	c->d.algorithm = cli_str(cl, OPT_ALGORITHM);
	c->d.output = cli_str(cl, OPT_OUTPUT);
	c->d.format = cli_pick(cl, OPT_FORMAT, -1);
	c->d.force = cli_given(cl, OPT_FORCE);
	c->d.batch = cli_given(cl, OPT_BATCH);
	c->d.keep_going = cli_given(cl, OPT_KEEP_GOING);
	in = kmsdecrypt_input_path(&c->d);
	out = kmsdecrypt_output_path(&c->d);
	if ((rc = kmsopts_key(cl, OPT_KEY_ID, OPT_CONTEXT, OPT_GRANT_TOKEN, &c->d.key, err)) ||
	    (rc = kmsdecrypt_check(&c->d, isatty(0), c->kms.credentials && strcmp(c->kms.credentials, "-") == 0,
				   err)))
		goto out;
	/* The input is opened (or read, for one ciphertext) before the key, the
	 * NSM and KMS: a wrong file costs nothing. */
	if (c->d.batch)
		rc = io_open_in(in, &fd, NULL, err);
	else
		rc = kmsdecrypt_read(&c->d, &blob, &n, err);
	if (rc)
		goto out;
	if ((rc = kmsclient_open(&c->kms, KMSCLIENT_VIA_VSOCK, &c->k, err)) ||
	    (rc = kmsclient_recipient_new(&c->kms, &c->r, err)))
		goto out;
	if (c->d.batch) {
		struct kmsdecrypt_batch b = {
			.in_fd = fd, .in_name = io_name(in), .out_path = out,
			.format = (enum kmsdecrypt_format)c->d.format, .keep_going = c->d.keep_going,
			.decrypt = decrypt, .report = report, .ctx = c,
		};

		rc = kmsdecrypt_batch_run(&b, err);
		cli_trace("%lu line%s, %lu failed", b.lines, b.lines == 1 ? "" : "s", b.failed);
	} else {
		cli_trace("ciphertext of %zu bytes", n);
		if (!(rc = decrypt(c, blob, n, &resp, err)))
			rc = kmsdecrypt_write(out, (enum kmsdecrypt_format)c->d.format, &resp, c->d.force, err);
	}
out:
	kms_resp_free(&resp);
	free(blob);
	if (fd > 0)
		close(fd);
	kmsclient_recipient_free(c->r);
	kmsclient_close(c->k);
	kmsdecrypt_opts_free(&c->d);
	kmsclient_opts_free(&c->kms);
	return rc;
}

int main(int argc, char **argv)
{
	/* Unbuffered: plaintexts go from secure memory straight to the descriptor
	 * instead of lingering in stdio's buffer, and --batch lines leave at once. */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cli_main(&tool, argc, argv, run);
}
