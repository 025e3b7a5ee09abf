/* nsm-attest: an attestation document from the NSM, with optional user data,
 * nonce and public key, as CBOR (COSE_Sign1) or base64. */
#include <stdlib.h>
#include <string.h>

#include "tool/cli.h"
#include "util/io.h"
#include "tool/nsmtool.h"

#define OPTIONS(X) \
	X(USER_DATA, "user-data", 0, STR, "FILE", "file", "user data from FILE or - (at most 1024 bytes)") \
	X(USER_DATA_HEX, "user-data-hex", 0, STR, "HEX", NULL, "user data given as hex") \
	X(NONCE, "nonce", 0, STR, "FILE", "file", "nonce from FILE or - (at most 1024 bytes)") \
	X(NONCE_HEX, "nonce-hex", 0, STR, "HEX", NULL, "nonce given as hex") \
	X(PUBLIC_KEY, "public-key", 0, STR, "FILE", "file", "public key to include, PEM or DER") \
	X(FORMAT, "format", 'f', STR, "FMT", "cbor|base64", "output format: cbor (default) or base64") \
	X(OUTPUT, "output", 'o', STR, "FILE", "file", "write to FILE (atomically) instead of stdout") \
	X(FORCE, "force", 0, FLAG, NULL, NULL, "write CBOR to a terminal anyway") \
	X(NSM, "nsm", 0, STR, "SPEC", NULL, "NSM device or unix:PATH (default $NITROKIT_NSM)")

/* opts[id - 1] is option id's entry: the table and the enum come from one list. */
enum { OPT_NONE, OPTIONS(CLI_ENUM) OPT_COUNT };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "nsm-attest",
	.usage = "[OPTIONS]",
	.summary = "Ask the Nitro Secure Module for an attestation document that carries the\n"
		   "given user data, nonce and public key.",
	.operands = NULL,
	.opts = opts,
	.min_args = 0,
	.max_args = 0,
};

enum { FMT_CBOR, FMT_BASE64 };

struct ctx {
	const char *arg[OPT_COUNT];  /* string options by id */
	int format, force;
};

static int on_opt(void *p, int id, const char *arg, struct nk_err *err)
{
	struct ctx *c = p;

	if (id == OPT_FORCE) {
		c->force = 1;
		return NK_OK;
	}
	if (id == OPT_FORMAT)
		return cli_choice(arg, "cbor|base64", "format", &c->format, err);
	if (*arg == '\0')
		return err_set(err, NK_USAGE, "--%s must not be empty", opts[id - 1].name);
	if (!(c->arg[id] = strdup(arg)))
		return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

static int check_usage(const struct ctx *c, struct nk_err *err)
{
	static const int file_opts[] = { OPT_USER_DATA, OPT_NONCE, OPT_PUBLIC_KEY };
	const char *stdin_user = NULL;

	if (c->arg[OPT_USER_DATA] && c->arg[OPT_USER_DATA_HEX])
		return err_set(err, NK_USAGE, "--user-data and --user-data-hex cannot be used together");
	if (c->arg[OPT_NONCE] && c->arg[OPT_NONCE_HEX])
		return err_set(err, NK_USAGE, "--nonce and --nonce-hex cannot be used together");
	for (size_t i = 0; i < sizeof file_opts / sizeof *file_opts; i++) {
		const char *a = c->arg[file_opts[i]];

		if (!a || strcmp(a, "-") != 0)
			continue;
		if (stdin_user)
			return err_set(err, NK_USAGE, "--%s and --%s cannot both read standard input",
				       stdin_user, opts[file_opts[i] - 1].name);
		stdin_user = opts[file_opts[i] - 1].name;
	}
	return NK_OK;
}

/* A field from FILE or from hex; absent when neither option is given. */
static int read_field(const struct ctx *c, int file_id, int hex_id, struct nsmtool_field *f,
		      struct nk_err *err)
{
	if (c->arg[file_id])
		return nsmtool_field_file(c->arg[file_id], NSM_FIELD_MAX, f, err);
	if (c->arg[hex_id])
		return nsmtool_field_hex(c->arg[hex_id], opts[hex_id - 1].name, NSM_FIELD_MAX, f, err);
	return NK_OK;
}

static int run(struct ctx *c, struct nk_err *err)
{
	struct nsmtool_field user_data = { 0 }, nonce = { 0 }, pubkey = { 0 };
	struct nsm_request req = { .op = NSM_OP_ATTESTATION };
	struct nsm_response resp = { 0 };
	struct nsm_conn *conn = NULL;
	const char *out = c->arg[OPT_OUTPUT] ? c->arg[OPT_OUTPUT] : "-";
	int rc;

	if ((rc = check_usage(c, err)))
		return rc;
	/* Refuse the terminal before the NSM signs anything. */
	if (c->format == FMT_CBOR && (rc = io_refuse_tty(out, c->force, err)))
		return rc;
	/* Every field is read and size-checked before the request is sent. */
	if ((rc = read_field(c, OPT_USER_DATA, OPT_USER_DATA_HEX, &user_data, err)) ||
	    (rc = read_field(c, OPT_NONCE, OPT_NONCE_HEX, &nonce, err)))
		goto out;
	if (c->arg[OPT_PUBLIC_KEY] && (rc = nsmtool_spki_from_file(c->arg[OPT_PUBLIC_KEY], &pubkey, err)))
		goto out;
	req.user_data = nsmtool_field_bytes(&user_data);
	req.nonce = nsmtool_field_bytes(&nonce);
	req.public_key = nsmtool_field_bytes(&pubkey);
	if ((rc = nsmtool_open(c->arg[OPT_NSM], &conn, err)) || (rc = nsm_exec(conn, &req, &resp, err)))
		goto out;
	cli_trace("attestation document of %zu bytes", resp.document.len);
	rc = nsmtool_write(out, resp.document.p, resp.document.len,
			   c->format == FMT_CBOR ? NSMTOOL_RAW : NSMTOOL_BASE64, c->force, 0644, err);
out:
	nsm_response_clear(&resp);
	if (conn)
		nsm_close(conn);
	nsmtool_field_free(&user_data);
	nsmtool_field_free(&nonce);
	nsmtool_field_free(&pubkey);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct cli_args args;
	struct nk_err err = { 0 };
	int rc;

	rc = cli_start(&tool, argc, argv, on_opt, &c, &args, &err);
	if (rc == NK_OK)
		rc = run(&c, &err);
	cli_args_free(&args);
	for (size_t i = 0; i < OPT_COUNT; i++)
		free((char *)c.arg[i]);
	return cli_finish(rc, &err);
}
