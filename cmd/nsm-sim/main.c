/* nsm-sim: a software Nitro Secure Module on a unix socket, booted "from" an
 * EIF (its PCRs), signing attestation documents with a local test PKI. */
#include <stdlib.h>
#include <string.h>

#include "tool/cli.h"
#include "sim/nsmsim.h"
#include "sim/nsmsim_server.h"

#define OPTIONS(X) \
	X(SOCKET, "socket", 0, STR, "PATH", "file", "serve on this unix socket (required)") \
	X(EIF, "eif", 0, STR, "FILE", "file", "boot from this enclave image: PCR0/1/2 (and 8 when signed)") \
	X(PCR, "pcr", 0, LIST, "N=HEX", NULL, "set PCR N (0-15) instead of an EIF (repeatable)") \
	X(DEBUG_MODE, "debug-mode", 0, FLAG, NULL, NULL, "run as a debug-mode enclave: PCR0/1/2/8 are zero") \
	X(ROLE_ARN, "role-arn", 0, STR, "ARN", NULL, "PCR3 from the parent instance's IAM role ARN") \
	X(INSTANCE_ID, "instance-id", 0, STR, "ID", NULL, "PCR4 from the parent instance id") \
	X(PKI, "pki", 0, STR, "DIR", "dir", "test PKI directory (default ./" NSMSIM_PKI_DEFAULT_DIR ")") \
	X(MODULE_ID, "module-id", 0, STR, "ID", NULL, "module id in DescribeNSM and documents") \
	X(PIDFILE, "pidfile", 0, STR, "FILE", "file", "write the process id here once serving")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "nsm-sim",
	.usage = "--socket PATH [--eif FILE | --pcr N=HEX...] [OPTIONS]",
	.summary = "Serve a software Nitro Secure Module on a unix socket: PCRs of an enclave\n"
		   "image, attestation documents signed by a local test PKI.",
	.operands = NULL,
	.opts = opts,
	.min_args = 0,
	.max_args = 0,
};

struct ctx {
	struct nsmsim_config cfg;
	char *socket, *pidfile, *str[5];  /* str: the cfg strings, owned */
};

static int keep(char **dst, const char *arg, const char *name, struct nk_err *err)
{
	if (*arg == '\0')
		return err_set(err, NK_USAGE, "--%s must not be empty", name);
	if (!(*dst = strdup(arg)))
		return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

static int on_opt(void *p, int id, const char *arg, struct nk_err *err)
{
	struct ctx *c = p;
	int rc;

	switch (id) {
	case OPT_SOCKET: return keep(&c->socket, arg, "socket", err);
	case OPT_PIDFILE: return keep(&c->pidfile, arg, "pidfile", err);
	case OPT_PCR: return nsmsim_config_pcr(&c->cfg, arg, err);
	case OPT_DEBUG_MODE: c->cfg.debug = 1; return NK_OK;
	case OPT_EIF:
		if (!(rc = keep(&c->str[0], arg, "eif", err)))
			c->cfg.eif = c->str[0];
		return rc;
	case OPT_ROLE_ARN:
		if (!(rc = keep(&c->str[1], arg, "role-arn", err)))
			c->cfg.role_arn = c->str[1];
		return rc;
	case OPT_INSTANCE_ID:
		if (!(rc = keep(&c->str[2], arg, "instance-id", err)))
			c->cfg.instance_id = c->str[2];
		return rc;
	case OPT_PKI:
		if (!(rc = keep(&c->str[3], arg, "pki", err)))
			c->cfg.pki_dir = c->str[3];
		return rc;
	case OPT_MODULE_ID:
		if (!(rc = keep(&c->str[4], arg, "module-id", err)))
			c->cfg.module_id = c->str[4];
		return rc;
	}
	return NK_OK;
}

static int run(struct ctx *c, struct nk_err *err)
{
	struct nsmsim s = { 0 };
	struct nsmsim_server_opts o = {
		.socket_path = c->socket,
		.pidfile = c->pidfile,
		.log = cli_verbose ? cli_trace : NULL,
	};
	int rc;

	if (!c->socket)
		return err_set(err, NK_USAGE, "--socket PATH is required (see 'nsm-sim --help')");
	if ((rc = nsmsim_init(&s, &c->cfg, err)))
		return rc;
	if (s.pki.created)
		cli_trace("created a test PKI in '%s' (verifiers pin '%s/root.pem')", s.pki.dir, s.pki.dir);
	rc = nsmsim_serve(&s, &o, err);
	nsmsim_free(&s);
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
	free(c.socket);
	free(c.pidfile);
	for (size_t i = 0; i < sizeof c.str / sizeof c.str[0]; i++)
		free(c.str[i]);
	return cli_finish(rc, &err);
}
