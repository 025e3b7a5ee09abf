/* nsm-attest: an attestation document from the NSM, with optional user data,
 * nonce and public key, as CBOR (COSE_Sign1) or base64. */
#include "tool/cli.h"
#include "util/io.h"
#include "tool/nsmtool.h"

#define OPTIONS(X) \
	X(USER_DATA, "user-data", 0, FILE("FILE") STDIN EXCL(1), "user data from FILE or - (at most 1024 bytes)") \
	X(USER_DATA_HEX, "user-data-hex", 0, STR_MAX("HEX", CLI_ARG_MAX) EXCL(1), "user data given as hex") \
	X(NONCE, "nonce", 0, FILE("FILE") STDIN EXCL(2), "nonce from FILE or - (at most 1024 bytes)") \
	X(NONCE_HEX, "nonce-hex", 0, STR_MAX("HEX", CLI_ARG_MAX) EXCL(2), "nonce given as hex") \
	X(PUBLIC_KEY, "public-key", 0, FILE("FILE") STDIN, "public key to include, PEM or DER") \
	X(FORMAT, "format", 'f', CHOICE("FMT", "cbor|base64"), "output format: cbor (default) or base64") \
	X(OUTPUT, "output", 'o', FILE("FILE"), "write to FILE (atomically) instead of stdout") \
	X(FORCE, "force", 0, FLAG, "write CBOR to a terminal anyway") \
	X(NSM, "nsm", 0, STR("SPEC"), "NSM device or unix:PATH (default $NITROKIT_NSM)")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
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

/* A field from FILE or from hex; absent when neither option is given. */
static int read_field(const struct cli *c, int file_id, int hex_id, struct nsmtool_field *f,
		      struct nk_err *err)
{
	if (cli_given(c, file_id))
		return nsmtool_field_file(cli_str(c, file_id), NSM_FIELD_MAX, f, err);
	if (cli_given(c, hex_id))
		return nsmtool_field_hex(cli_str(c, hex_id), cli_name(c, hex_id), NSM_FIELD_MAX, f, err);
	return NK_OK;
}

static int run(const struct cli *c, struct nk_err *err)
{
	struct nsmtool_field user_data = { 0 }, nonce = { 0 }, pubkey = { 0 };
	struct nsm_request req = { .op = NSM_OP_ATTESTATION };
	struct nsm_response resp = { 0 };
	struct nsm_conn *conn = NULL;
	const char *out = cli_given(c, OPT_OUTPUT) ? cli_str(c, OPT_OUTPUT) : "-";
	const char *key = cli_str(c, OPT_PUBLIC_KEY);
	int cbor = cli_pick(c, OPT_FORMAT, FMT_CBOR) == FMT_CBOR, force = cli_given(c, OPT_FORCE);
	int rc;

	/* Refuse the terminal before the NSM signs anything. */
	if (cbor && (rc = io_refuse_tty(out, force, err)))
		return rc;
	/* Every field is read and size-checked before the request is sent. */
	if ((rc = read_field(c, OPT_USER_DATA, OPT_USER_DATA_HEX, &user_data, err)) ||
	    (rc = read_field(c, OPT_NONCE, OPT_NONCE_HEX, &nonce, err)))
		goto out;
	if (key && (rc = nsmtool_spki_from_file(key, &pubkey, err)))
		goto out;
	req.user_data = nsmtool_field_bytes(&user_data);
	req.nonce = nsmtool_field_bytes(&nonce);
	req.public_key = nsmtool_field_bytes(&pubkey);
	if ((rc = nsm_open(cli_str(c, OPT_NSM), &conn, err)) || (rc = nsm_exec(conn, &req, &resp, err)))
		goto out;
	cli_trace("attestation document of %zu bytes", resp.document.len);
	rc = nsmtool_write(out, resp.document.p, resp.document.len, cbor ? NSMTOOL_RAW : NSMTOOL_BASE64,
			   force, 0644, err);
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
	return cli_main(&tool, argc, argv, run);
}
