/* kmstool_enclave_cli: a drop-in for AWS's tool of that name (decrypt,
 * genkey, genrandom; "PLAINTEXT: <base64>" lines; exit 0, 1 or 255) on the
 * attested Recipient flow the other KMS tools use.  The command line is AWS's,
 * parsed by lib/tool/kmstool.c over the same kind of typed table (kmstool.h)
 * the other tools hand to popt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/cli.h"
#include "kms/kmsclient.h"
#include "tool/kmstool.h"

static const struct cli_tool *const tool = &kmstool_tool;

static const struct {
	unsigned cmd;
	const char *usage;
} usages[] = {
	{ KMSTOOL_DECRYPT, "decrypt --ciphertext B64 [--key-id KEY [--encryption-algorithm ALG]]" },
	{ KMSTOOL_GENKEY, "genkey --key-id KEY --key-spec AES-256|AES-128" },
	{ KMSTOOL_GENRANDOM, "genrandom --length N" },
};

static void print_opt(char sh, const char *name, const char *arg, const char *help)
{
	char left[64];

	snprintf(left, sizeof left, "  -%c, --%s%s%s", sh, name, arg ? " " : "", arg ? arg : "");
	if (strlen(left) > 27)
		printf("%s\n%-29s%s\n", left, "", help);
	else
		printf("%-29s%s\n", left, help);
}

/* cmd 0: every command. */
static void print_help(unsigned cmd)
{
	const char *lead = "Usage:";

	for (size_t i = 0; i < sizeof usages / sizeof usages[0]; i++) {
		if (cmd && cmd != usages[i].cmd)
			continue;
		printf("%-6s %s %s [OPTIONS]\n", lead, tool->name, usages[i].usage);
		lead = "";
	}
	printf("%s\n\nOptions:\n", tool->summary);
	for (const struct cli_opt *o = kmstool_opts; o->name; o++)
		if (!cmd || !o->cmds || (o->cmds & cmd))
			print_opt(o->short_name, o->name, o->arg, o->help);
	print_opt('h', "help", NULL, "show this help and exit");
	print_opt('V', "version", NULL, "show the versions of nitrokit and its libraries");
	print_opt('v', "verbose", NULL, "say more on stderr");
	print_opt('q', "quiet", NULL, "no warnings on stderr");
	printf("\nWithout credentials on the command line, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY\n"
	       "and AWS_SESSION_TOKEN are used.  AWS_ENDPOINT_URL_KMS sends the requests over TCP\n"
	       "instead of through the vsock-proxy.  NITROKIT_NSM selects the NSM.\n"
	       "Exit codes, as AWS's tool: 0 ok, 1 usage, 255 any failure.\n");
	if (!cmd)
		printf("Without a command, options and --ciphertext decrypt as AWS's first version did:\n"
		       "the bare base64 plaintext, no newline; exit 1 on any failure.\n");
	printf("See %s(1).\n", tool->name);
}

static int run(struct kmstool_args *a, struct nk_err *err)
{
	struct kmsclient_opts o;
	struct kms_req req;
	struct kms_resp resp = { 0 };
	unsigned char *blob = NULL;
	int rc;

	/* Every usage and input check before the key generation, the NSM and
	 * the network. */
	kmsclient_opts_init(&o);
	if ((rc = kmstool_prepare(a, &o, err)) || (rc = kmstool_request(a, &req, &blob, err)) ||
	    (rc = kmsclient_call_once(&o, &req, &resp, err)))
		goto out;
	rc = kmstool_write(a, &resp, err);
out:
	kms_resp_free(&resp);
	kmsclient_opts_free(&o);
	free(blob);
	return rc;
}

int main(int argc, char **argv)
{
	struct kmstool_args a;
	struct nk_err err = { 0 };
	int rc, legacy;

	/* Unbuffered: the lines go from secure memory straight to the descriptor. */
	setvbuf(stdout, NULL, _IONBF, 0);
	cli_process_init(tool->name);
	rc = kmstool_parse(argc, argv, &a, &err);
	cli_set_verbosity(a.verbose, a.quiet);
	if (rc == NK_OK && (a.version || a.completion)) {
		if (a.version)
			cli_print_version(tool);
		else
			cli_print_completion(tool);
		rc = CLI_EXIT;
	} else if (rc == NK_OK && a.help) {
		print_help(a.cmd);
		rc = CLI_EXIT;
	} else if (rc == NK_OK) {
		rc = run(&a, &err);
	}
	legacy = a.legacy;
	kmstool_args_free(&a);
	return kmstool_exit_code(cli_finish(rc, &err), legacy);
}
