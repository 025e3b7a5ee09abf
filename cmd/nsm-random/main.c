/* nsm-random: random bytes from the NSM's hardware generator, printed or fed
 * to the kernel's entropy pool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool/cli.h"
#include "util/io.h"
#include "tool/nsmtool.h"

#define OPTIONS(X) \
	X(BYTES, "bytes", 'n', STR, "N", NULL, "how many bytes: 1 to 65536 (default 32)") \
	X(FORMAT, "format", 'f', STR, "FMT", "raw|hex|base64", "output format: hex (default), base64 or raw") \
	X(SEED_KERNEL, "seed-kernel", 0, FLAG, NULL, NULL, "feed the kernel's entropy pool, print nothing") \
	X(OUTPUT, "output", 'o', STR, "FILE", "file", "write to FILE (atomically, mode 0600)") \
	X(FORCE, "force", 0, FLAG, NULL, NULL, "write raw bytes to a terminal anyway") \
	X(NSM, "nsm", 0, STR, "SPEC", NULL, "NSM device or unix:PATH (default $NITROKIT_NSM)")

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

/* The order of "raw|hex|base64" is enum nsmtool_format's. */
struct ctx {
	unsigned long bytes;
	int format, seed, force, have_format;
	const char *output, *nsm;
};

static int set_str(const char **dst, const char *arg, const char *name, struct nk_err *err)
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

	switch (id) {
	case OPT_BYTES: return cli_uint(arg, 1, NSMTOOL_RANDOM_MAX, "bytes", &c->bytes, err);
	case OPT_FORMAT:
		c->have_format = 1;
		return cli_choice(arg, "raw|hex|base64", "format", &c->format, err);
	case OPT_SEED_KERNEL: c->seed = 1; return NK_OK;
	case OPT_FORCE: c->force = 1; return NK_OK;
	case OPT_OUTPUT: return set_str(&c->output, arg, "output", err);
	case OPT_NSM: return set_str(&c->nsm, arg, "nsm", err);
	}
	return NK_OK;
}

static int run(struct ctx *c, struct nk_err *err)
{
	const char *out = c->output ? c->output : "-";
	struct nsm_conn *conn = NULL;
	struct secbuf *rnd = NULL;
	int rc;

	/* Bytes the kernel credits as entropy must not also be known to a reader
	 * of our output, so --seed-kernel prints nothing. */
	if (c->seed && (c->have_format || c->output || c->force))
		return err_set(err, NK_USAGE, "--seed-kernel prints nothing: drop --%s",
			       c->have_format ? "format" : c->output ? "output" : "force");
	if (!c->seed && c->format == NSMTOOL_RAW && (rc = io_refuse_tty(out, c->force, err)))
		return rc;
	if ((rc = nsmtool_open(c->nsm, &conn, err)) || (rc = nsmtool_random(conn, c->bytes, &rnd, err)))
		goto out;
	cli_trace("%zu random bytes from the NSM", rnd->len);
	if (c->seed)
		rc = nsmtool_seed_kernel("/dev/random", rnd->p, rnd->len, err);
	else
		rc = nsmtool_write(out, rnd->p, rnd->len, (enum nsmtool_format)c->format, c->force, 0600, err);
out:
	secmem_free(rnd);
	if (conn)
		nsm_close(conn);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = { .bytes = 32, .format = NSMTOOL_HEX };
	struct cli_args args;
	struct nk_err err = { 0 };
	int rc;

	/* Unbuffered: the bytes go from secure memory straight to the descriptor
	 * instead of lingering in stdio's buffer. */
	setvbuf(stdout, NULL, _IONBF, 0);
	rc = cli_start(&tool, argc, argv, on_opt, &c, &args, &err);
	if (rc == NK_OK)
		rc = run(&c, &err);
	cli_args_free(&args);
	free((char *)c.output);
	free((char *)c.nsm);
	return cli_finish(rc, &err);
}
