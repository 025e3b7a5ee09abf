/* nsm-random: random bytes from the NSM's hardware generator, printed or fed
 * to the kernel's entropy pool. */
#include <stdio.h>

#include "tool/cli.h"
#include "util/io.h"
#include "tool/nsmtool.h"

/* The order of "raw|hex|base64" is enum nsmtool_format's. */
#define OPTIONS(X) \
	X(BYTES, "bytes", 'n', UINT("N", 1, NSMTOOL_RANDOM_MAX), "how many bytes: 1 to 65536 (default 32)") \
	X(FORMAT, "format", 'f', CHOICE("FMT", "raw|hex|base64"), "output format: hex (default), base64 or raw") \
	X(SEED_KERNEL, "seed-kernel", 0, FLAG, "feed the kernel's entropy pool, print nothing") \
	X(OUTPUT, "output", 'o', FILE("FILE"), "write to FILE (atomically, mode 0600)") \
	X(FORCE, "force", 0, FLAG, "write raw bytes to a terminal anyway") \
	X(NSM, "nsm", 0, STR("SPEC"), "NSM device or unix:PATH (default $NITROKIT_NSM)")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "nsm-random",
	.usage = "[--bytes N] [-f raw|hex|base64] [-o FILE] [--seed-kernel]",
	.summary = "Print random bytes from the Nitro Secure Module, or add them to the kernel's\n"
		   "entropy pool.",
	.operands = NULL,
	.opts = opts,
	.min_args = 0,
	.max_args = 0,
};

static int run(const struct cli *c, struct nk_err *err)
{
	static const int output_opts[] = { OPT_FORMAT, OPT_OUTPUT, OPT_FORCE };
	const char *out = cli_given(c, OPT_OUTPUT) ? cli_str(c, OPT_OUTPUT) : "-";
	int format = cli_pick(c, OPT_FORMAT, NSMTOOL_HEX), force = cli_given(c, OPT_FORCE);
	int seed = cli_given(c, OPT_SEED_KERNEL);
	struct nsm_conn *conn = NULL;
	struct secbuf *rnd = NULL;
	int rc;

	/* Bytes the kernel credits as entropy must not also be known to a reader
	 * of our output, so --seed-kernel prints nothing. */
	for (size_t i = 0; seed && i < sizeof output_opts / sizeof *output_opts; i++)
		if (cli_given(c, output_opts[i]))
			return err_set(err, NK_USAGE, "--seed-kernel prints nothing: drop --%s",
				       cli_name(c, output_opts[i]));
	if (!seed && format == NSMTOOL_RAW && (rc = io_refuse_tty(out, force, err)))
		return rc;
	if ((rc = nsm_open(cli_str(c, OPT_NSM), &conn, err)) ||
	    (rc = nsmtool_random(conn, cli_num(c, OPT_BYTES, 32), &rnd, err)))
		goto out;
	cli_trace("%zu random bytes from the NSM", rnd->len);
	if (seed)
		rc = nsmtool_seed_kernel("/dev/random", rnd->p, rnd->len, err);
	else
		rc = nsmtool_write(out, rnd->p, rnd->len, (enum nsmtool_format)format, force, 0600, err);
out:
	secmem_free(rnd);
	if (conn)
		nsm_close(conn);
	return rc;
}

int main(int argc, char **argv)
{
	/* Unbuffered: the bytes go from secure memory straight to the descriptor
	 * instead of lingering in stdio's buffer. */
	setvbuf(stdout, NULL, _IONBF, 0);
	return cli_main(&tool, argc, argv, run);
}
