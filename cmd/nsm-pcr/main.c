/* nsm-pcr: describe, extend and lock the NSM's PCRs, and describe the NSM. */
#include <stdio.h>
#include <string.h>

#include "tool/cli.h"
#include "tool/out.h"
#include "tool/nsmtool.h"

#define COMMANDS "describe|extend|lock|info"
enum { CMD_DESCRIBE, CMD_EXTEND, CMD_LOCK, CMD_INFO };
#define FOR(cmd) (1u << (cmd))

/* --range stays a string: any u16 goes to the NSM, whose InvalidIndex is the answer. */
#define OPTIONS(X) \
	X(DATA_HEX, "data-hex", 0, STR_MAX("HEX", CLI_ARG_MAX) CMDS(FOR(CMD_EXTEND)), "extend: the data, as hex") \
	X(DATA_FILE, "data-file", 0, FILE("FILE") STDIN CMDS(FOR(CMD_EXTEND)), "extend: the data, from FILE or -") \
	X(RANGE, "range", 0, STR("N") CMDS(FOR(CMD_LOCK)), "lock: lock PCRs 0 to N-1 in one call") \
	X(NSM, "nsm", 0, STR("SPEC"), "NSM device or unix:PATH (default $NITROKIT_NSM)")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "nsm-pcr",
	.usage = "describe [N...] | extend N --data-hex HEX|--data-file FILE|- | lock N | lock --range N | info",
	.summary = "Describe, extend and lock the Platform Configuration Registers of the Nitro\n"
		   "Secure Module, or describe the NSM itself.",
	.operands = COMMANDS,
	.opts = opts,
	.min_args = 0,
	.max_args = -1,
	.commands = COMMANDS,
};

/* What the command works on, all checked before the NSM is opened. */
struct work {
	uint16_t index[NSM_MAX_PCRS];
	size_t nindex;
	struct nsmtool_field data;
};

/* extend N (--data-hex HEX | --data-file FILE | -): the index and the data. */
static int parse_extend(const struct cli *c, struct work *w, struct nk_err *err)
{
	const char *hex = cli_str(c, OPT_DATA_HEX), *file = cli_str(c, OPT_DATA_FILE);
	int rc, stdin_data = c->argc == 2;

	if (c->argc < 1)
		return err_set(err, NK_USAGE, "extend needs a PCR index (usage: nsm-pcr extend N "
			       "--data-hex HEX|--data-file FILE|-)");
	if (c->argc > 2 || (c->argc == 2 && strcmp(c->argv[1], "-") != 0))
		return err_set(err, NK_USAGE, "unexpected operand '%s' for extend", c->argv[c->argc == 2 ? 1 : 2]);
	if (stdin_data + !!hex + !!file == 0)
		return err_set(err, NK_USAGE, "extend needs data: --data-hex HEX, --data-file FILE or - "
			       "for standard input");
	if (stdin_data + !!hex + !!file > 1)
		return err_set(err, NK_USAGE, "extend takes its data from one of --data-hex, --data-file and -");
	w->nindex = 1;
	if ((rc = nsmtool_pcr_index(c->argv[0], &w->index[0], err)))
		return rc;
	if (hex)
		return nsmtool_field_hex(hex, cli_name(c, OPT_DATA_HEX), NSMTOOL_EXTEND_MAX, &w->data, err);
	return nsmtool_field_file(stdin_data ? "-" : file, NSMTOOL_EXTEND_MAX, &w->data, err);
}

/* The operands of the command (and extend's data). */
static int parse(const struct cli *c, struct work *w, struct nk_err *err)
{
	const char *range = cli_str(c, OPT_RANGE);
	int rc;

	switch (c->cmd) {
	case CMD_DESCRIBE:
		if (c->argc > NSM_MAX_PCRS)
			return err_set(err, NK_USAGE, "describe takes at most %d indices", NSM_MAX_PCRS);
		for (int i = 0; i < c->argc; i++)
			if ((rc = nsmtool_pcr_index(c->argv[i], &w->index[w->nindex++], err)))
				return rc;
		return NK_OK;
	case CMD_INFO:
		if (c->argc > 0)
			return err_set(err, NK_USAGE, "unexpected operand '%s': info takes none", c->argv[0]);
		return NK_OK;
	case CMD_LOCK:
		if (range) {
			if (c->argc > 0)
				return err_set(err, NK_USAGE, "lock takes N or --range N, not both");
			return nsmtool_pcr_range(range, &w->index[0], err);
		}
		if (c->argc != 1)
			return err_set(err, NK_USAGE, c->argc < 1 ? "lock needs a PCR index (usage: nsm-pcr lock N)"
				       : "lock takes one PCR index (or --range N)");
		w->nindex = 1;
		return nsmtool_pcr_index(c->argv[0], &w->index[0], err);
	}
	return parse_extend(c, w, err);
}

static int run(const struct cli *c, struct nk_err *err)
{
	struct nsm_request req = { .op = NSM_OP_LOCK_PCR };
	struct nsm_response resp = { 0 };
	struct nsm_conn *conn = NULL;
	struct work w = { 0 };
	char value[2 * PCR_LEN + 1];
	json_t *j = NULL;
	int rc;

	if ((rc = parse(c, &w, err)) || (rc = nsm_open(cli_str(c, OPT_NSM), &conn, err)))
		goto out;
	switch (c->cmd) {
	case CMD_DESCRIBE:
		if (!(rc = nsmtool_describe_pcrs(conn, w.index, w.nindex, &j, err)))
			rc = out_json(j, err);
		break;
	case CMD_INFO:
		if (!(rc = nsmtool_describe_nsm(conn, &j, err)))
			rc = out_json(j, err);
		break;
	case CMD_EXTEND:
		if (!(rc = nsmtool_extend(conn, w.index[0], w.data.p, w.data.len, value, err)))
			printf("%s\n", value);
		break;
	case CMD_LOCK:
		if (cli_given(c, OPT_RANGE)) {
			req.op = NSM_OP_LOCK_PCRS;
			req.range = w.index[0];
		} else {
			req.index = w.index[0];
		}
		rc = nsm_exec(conn, &req, &resp, err);
		break;
	}
out:
	json_decref(j);
	nsm_response_clear(&resp);
	if (conn)
		nsm_close(conn);
	nsmtool_field_free(&w.data);
	return rc;
}

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv, run);
}
