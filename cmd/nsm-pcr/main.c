/* nsm-pcr: describe, extend and lock the NSM's PCRs, and describe the NSM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/cli.h"
#include "tool/out.h"
#include "tool/nsmtool.h"

#define OPTIONS(X) \
	X(DATA_HEX, "data-hex", 0, STR, "HEX", NULL, "extend: the data, as hex") \
	X(DATA_FILE, "data-file", 0, STR, "FILE", "file", "extend: the data, from FILE or -") \
	X(RANGE, "range", 0, STR, "N", NULL, "lock: lock PCRs 0 to N-1 in one call") \
	X(NSM, "nsm", 0, STR, "SPEC", NULL, "NSM device or unix:PATH (default $NITROKIT_NSM)")

/* opts[id - 1] is option id's entry: the table and the enum come from one list. */
enum { OPT_NONE, OPTIONS(CLI_ENUM) OPT_COUNT };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

#define COMMANDS "describe|extend|lock|info"
#define EXPECTED "expected describe, extend, lock or info"

static const struct cli_tool tool = {
	.name = "nsm-pcr",
	.usage = "describe [N...] | extend N --data-hex HEX|--data-file FILE|- | lock N | lock --range N | info",
	.summary = "Describe, extend and lock the Platform Configuration Registers of the Nitro\n"
		   "Secure Module, or describe the NSM itself.",
	.operands = COMMANDS,
	.opts = opts,
	.min_args = 0,
	.max_args = -1,
};

enum { CMD_DESCRIBE, CMD_EXTEND, CMD_LOCK, CMD_INFO };

struct ctx {
	const char *arg[OPT_COUNT];  /* string options by id */
	int cmd;
	uint16_t index[NSM_MAX_PCRS];
	size_t nindex;
	struct nsmtool_field data;
};

static int on_opt(void *p, int id, const char *arg, struct nk_err *err)
{
	struct ctx *c = p;

	if (*arg == '\0')
		return err_set(err, NK_USAGE, "--%s must not be empty", opts[id - 1].name);
	if (!(c->arg[id] = strdup(arg)))
		return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

static int only_for(const struct ctx *c, int id, int cmd, const char *name, struct nk_err *err)
{
	if (c->arg[id] && c->cmd != cmd)
		return err_set(err, NK_USAGE, "--%s is for %s only", opts[id - 1].name, name);
	return NK_OK;
}

/* extend N (--data-hex HEX | --data-file FILE | -): the index and the data. */
static int parse_extend(struct ctx *c, struct cli_args *a, struct nk_err *err)
{
	int rc, stdin_data, nsrc;

	if (a->n < 2)
		return err_set(err, NK_USAGE, "extend needs a PCR index (usage: nsm-pcr extend N "
			       "--data-hex HEX|--data-file FILE|-)");
	if (a->n > 3 || (a->n == 3 && strcmp(a->v[2], "-") != 0))
		return err_set(err, NK_USAGE, "unexpected operand '%s' for extend", a->v[a->n == 3 ? 2 : 3]);
	stdin_data = a->n == 3;
	nsrc = stdin_data + !!c->arg[OPT_DATA_HEX] + !!c->arg[OPT_DATA_FILE];
	if (nsrc == 0)
		return err_set(err, NK_USAGE, "extend needs data: --data-hex HEX, --data-file FILE or - "
			       "for standard input");
	if (nsrc > 1)
		return err_set(err, NK_USAGE, "extend takes its data from one of --data-hex, --data-file and -");
	c->nindex = 1;
	if ((rc = nsmtool_pcr_index(a->v[1], &c->index[0], err)))
		return rc;
	if (c->arg[OPT_DATA_HEX])
		return nsmtool_field_hex(c->arg[OPT_DATA_HEX], "data-hex", NSMTOOL_EXTEND_MAX, &c->data, err);
	return nsmtool_field_file(stdin_data ? "-" : c->arg[OPT_DATA_FILE], NSMTOOL_EXTEND_MAX, &c->data, err);
}

/* The command and its operands (and extend's data), all checked before the
 * NSM is opened. */
static int parse(struct ctx *c, struct cli_args *a, struct nk_err *err)
{
	int rc;

	if (a->n == 0)
		return err_set(err, NK_USAGE, "missing command (" EXPECTED ")");
	if (cli_choice(a->v[0], COMMANDS, "", &c->cmd, NULL))
		return err_set(err, NK_USAGE, "unknown command '%s' (" EXPECTED ")", a->v[0]);
	if ((rc = only_for(c, OPT_DATA_HEX, CMD_EXTEND, "extend", err)) ||
	    (rc = only_for(c, OPT_DATA_FILE, CMD_EXTEND, "extend", err)) ||
	    (rc = only_for(c, OPT_RANGE, CMD_LOCK, "lock", err)))
		return rc;
	switch (c->cmd) {
	case CMD_DESCRIBE:
		if (a->n - 1 > NSM_MAX_PCRS)
			return err_set(err, NK_USAGE, "describe takes at most %d indices", NSM_MAX_PCRS);
		for (int i = 1; i < a->n; i++)
			if ((rc = nsmtool_pcr_index(a->v[i], &c->index[c->nindex++], err)))
				return rc;
		return NK_OK;
	case CMD_INFO:
		if (a->n > 1)
			return err_set(err, NK_USAGE, "unexpected operand '%s': info takes none", a->v[1]);
		return NK_OK;
	case CMD_LOCK:
		if (c->arg[OPT_RANGE]) {
			if (a->n > 1)
				return err_set(err, NK_USAGE, "lock takes N or --range N, not both");
			return nsmtool_pcr_range(c->arg[OPT_RANGE], &c->index[0], err);
		}
		if (a->n != 2)
			return err_set(err, NK_USAGE, a->n < 2 ? "lock needs a PCR index (usage: nsm-pcr lock N)"
				       : "lock takes one PCR index (or --range N)");
		c->nindex = 1;
		return nsmtool_pcr_index(a->v[1], &c->index[0], err);
	}
	return parse_extend(c, a, err);
}

static int run(struct ctx *c, struct cli_args *a, struct nk_err *err)
{
	struct nsm_request req = { .op = NSM_OP_LOCK_PCR };
	struct nsm_response resp = { 0 };
	struct nsm_conn *conn = NULL;
	char value[2 * PCR_LEN + 1];
	json_t *j = NULL;
	int rc;

	if ((rc = parse(c, a, err)) || (rc = nsmtool_open(c->arg[OPT_NSM], &conn, err)))
		goto out;
	switch (c->cmd) {
	case CMD_DESCRIBE:
		if (!(rc = nsmtool_describe_pcrs(conn, c->index, c->nindex, &j, err)))
			rc = out_json(j, err);
		break;
	case CMD_INFO:
		if (!(rc = nsmtool_describe_nsm(conn, &j, err)))
			rc = out_json(j, err);
		break;
	case CMD_EXTEND:
		if (!(rc = nsmtool_extend(conn, c->index[0], c->data.p, c->data.len, value, err)))
			printf("%s\n", value);
		break;
	case CMD_LOCK:
		if (c->arg[OPT_RANGE]) {
			req.op = NSM_OP_LOCK_PCRS;
			req.range = c->index[0];
		} else {
			req.index = c->index[0];
		}
		rc = nsm_exec(conn, &req, &resp, err);
		break;
	}
out:
	json_decref(j);
	nsm_response_clear(&resp);
	if (conn)
		nsm_close(conn);
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
		rc = run(&c, &args, &err);
	cli_args_free(&args);
	nsmtool_field_free(&c.data);
	for (size_t i = 0; i < OPT_COUNT; i++)
		free((char *)c.arg[i]);
	return cli_finish(rc, &err);
}
