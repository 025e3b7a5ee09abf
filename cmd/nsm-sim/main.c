/* nsm-sim: a software Nitro Secure Module on a unix socket, booted "from" an
 * EIF (its PCRs), signing attestation documents with a local test PKI. */
#include "tool/cli.h"
#include "sim/nsmsim.h"
#include "sim/nsmsim_server.h"

#define OPTIONS(X) \
	X(SOCKET, "socket", 0, FILE("PATH"), "serve on this unix socket (required)") \
	X(EIF, "eif", 0, FILE("FILE") EXCL(1), "boot from this enclave image: PCR0/1/2 (and 8 when signed)") \
	X(PCR, "pcr", 0, LIST("N=HEX") EXCL(1), "set PCR N (0-15) instead of an EIF (repeatable)") \
	X(DEBUG_MODE, "debug-mode", 0, FLAG, "run as a debug-mode enclave: PCR0/1/2/8 are zero") \
	X(ROLE_ARN, "role-arn", 0, STR("ARN"), "PCR3 from the parent instance's IAM role ARN") \
	X(INSTANCE_ID, "instance-id", 0, STR("ID"), "PCR4 from the parent instance id") \
	X(PKI, "pki", 0, STR("DIR") COMPLETE("dir"), "test PKI directory (default ./" NSMSIM_PKI_DEFAULT_DIR ")") \
	X(MODULE_ID, "module-id", 0, STR("ID"), "module id in DescribeNSM and documents") \
	X(PIDFILE, "pidfile", 0, FILE("FILE"), "write the process id here once serving")

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

static int run(const struct cli *c, struct nk_err *err)
{
	struct nsmsim_config cfg = {
		.eif = cli_str(c, OPT_EIF),
		.debug = cli_given(c, OPT_DEBUG_MODE),
		.role_arn = cli_str(c, OPT_ROLE_ARN),
		.instance_id = cli_str(c, OPT_INSTANCE_ID),
		.pki_dir = cli_str(c, OPT_PKI),
		.module_id = cli_str(c, OPT_MODULE_ID),
	};
	struct nsmsim_server_opts o = {
		.socket_path = cli_str(c, OPT_SOCKET),
		.pidfile = cli_str(c, OPT_PIDFILE),
		.log = cli_verbose ? cli_trace : NULL,
	};
	struct nsmsim s = { 0 };
	size_t npcr;
	char *const *pcr = cli_list(c, OPT_PCR, &npcr);
	int rc;

	for (size_t i = 0; i < npcr; i++)
		if ((rc = nsmsim_config_pcr(&cfg, pcr[i], err)))
			return rc;
	if (!o.socket_path)
		return err_set(err, NK_USAGE, "--socket PATH is required (see 'nsm-sim --help')");
	if ((rc = nsmsim_init(&s, &cfg, err)))
		return rc;
	if (s.pki.created)
		cli_trace("created a test PKI in '%s' (verifiers pin '%s/root.pem')", s.pki.dir, s.pki.dir);
	rc = nsmsim_serve(&s, &o, err);
	nsmsim_free(&s);
	return rc;
}

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv, run);
}
