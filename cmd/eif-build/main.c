/* eif-build: kernel + cmdline + ramdisks (+ metadata, + signing) -> EIF, as
 * upstream's eif_build, and its measurements as JSON on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tool/cli.h"
#include "eif/eifbuild.h"
#include "tool/out.h"
#include "eif/meas.h"

#define OPTIONS(X) \
	X(KERNEL, "kernel", 0, STR, "FILE", "file", "the kernel image (bzImage or Image); required") \
	X(CMDLINE, "cmdline", 0, STR, "STR", NULL, "the kernel command line; required") \
	X(RAMDISK, "ramdisk", 0, LIST, "FILE", "file", "a ramdisk, repeated in boot order; at least one") \
	X(OUTPUT, "output", 'o', STR, "FILE", "file", "write the EIF to FILE; required") \
	X(NAME, "name", 0, STR, "NAME", NULL, "ImageName in the metadata (default: the kernel's file name)") \
	X(IMAGE_VERSION, "image-version", 0, STR, "VER", NULL, "ImageVersion in the metadata (default 1.0)") \
	X(ARCH, "arch", 0, STR, "ARCH", "x86_64|aarch64", "x86_64 (default) or aarch64") \
	X(METADATA, "metadata", 0, STR, "FILE", "file", "custom metadata: a JSON object file") \
	X(SIGNING_CERT, "signing-cert", 0, STR, "PEM", "file", "sign with this X.509 certificate (PEM)") \
	X(SIGNING_KEY, "signing-key", 0, STR, "PEM", "file", "and its EC private key (PEM: P-256/384/521)")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "eif-build",
	.usage = "--kernel FILE --cmdline STR --ramdisk FILE... -o FILE [OPTIONS]",
	.summary = "Build an enclave image file (EIF) and print its measurements (PCRs).",
	.operands = NULL,
	.opts = opts,
	.min_args = 0,
	.max_args = 0,
};

struct ctx {
	struct eifbuild_opts o;
	char *strs[OPT_SIGNING_KEY + 1];  /* the string options, owned */
};

static int on_opt(void *p, int id, const char *arg, struct nk_err *err)
{
	struct ctx *c = p;
	char *dup = strdup(arg);
	char **grown;
	int arch;

	if (!dup)
		return err_set(err, NK_IO, "out of memory");
	switch (id) {
	case OPT_RAMDISK:
		grown = realloc(c->o.ramdisks, (c->o.nramdisks + 1) * sizeof *grown);
		if (!grown) {
			free(dup);
			return err_set(err, NK_IO, "out of memory");
		}
		c->o.ramdisks = grown;
		c->o.ramdisks[c->o.nramdisks++] = dup;
		return NK_OK;
	case OPT_ARCH:
		free(dup);
		if (cli_choice(arg, "x86_64|aarch64", "arch", &arch, err))
			return NK_USAGE;
		c->o.aarch64 = arch == 1;
		return NK_OK;
	}
	c->strs[id] = dup;
	return NK_OK;
}

static int required(const struct ctx *c, struct nk_err *err)
{
	static const int ids[] = { OPT_KERNEL, OPT_CMDLINE, OPT_RAMDISK, OPT_OUTPUT };

	for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
		if (ids[i] == OPT_RAMDISK ? !c->o.nramdisks : !c->strs[ids[i]])
			return err_set(err, NK_USAGE, "missing required option '--%s' (see 'eif-build --help')",
				       opts[ids[i] - 1].name);
	return NK_OK;
}

static void trace_sections(const struct eif_header *h)
{
	cli_trace("EIF version %u, flags %u, %u sections, CRC 0x%08x", h->version, h->flags,
		  h->num_sections, h->crc32);
	for (unsigned i = 0; i < h->num_sections; i++)
		cli_trace("section %u at offset %llu: %llu bytes", i,
			  (unsigned long long)h->section_offsets[i], (unsigned long long)h->section_sizes[i]);
}

static int run(struct ctx *c, struct nk_err *err)
{
	struct eif_header hdr;
	struct meas m;
	json_t *j;
	int rc;

	c->o.kernel = c->strs[OPT_KERNEL];
	c->o.cmdline = c->strs[OPT_CMDLINE];
	c->o.output = c->strs[OPT_OUTPUT];
	c->o.name = c->strs[OPT_NAME];
	c->o.image_version = c->strs[OPT_IMAGE_VERSION];
	c->o.metadata = c->strs[OPT_METADATA];
	c->o.signing_cert = c->strs[OPT_SIGNING_CERT];
	c->o.signing_key = c->strs[OPT_SIGNING_KEY];
	c->o.source_date_epoch = getenv("SOURCE_DATE_EPOCH");
	c->o.now = time(NULL);
	rc = eifbuild_run(&c->o, &m, &hdr, err);
	if (rc)
		return rc;
	/* eif_build prints this line on stdout; ours stays pure JSON for jq. */
	if (cli_verbose)
		fprintf(stderr, "Output file: %s\n", c->o.output);
	trace_sections(&hdr);
	j = meas_map(&m);
	if (!j)
		return err_set(err, NK_IO, "out of memory");
	rc = out_json(j, err);
	json_decref(j);
	return rc;
}

int main(int argc, char **argv)
{
	struct ctx c = { 0 };
	struct nk_err err = { 0 };
	struct cli_args args;
	int rc;

	rc = cli_start(&tool, argc, argv, on_opt, &c, &args, &err);
	if (rc == NK_OK)
		rc = required(&c, &err);
	if (rc == NK_OK)
		rc = run(&c, &err);
	cli_args_free(&args);
	for (unsigned i = 0; i < c.o.nramdisks; i++)
		free(c.o.ramdisks[i]);
	free(c.o.ramdisks);
	for (size_t i = 0; i < sizeof c.strs / sizeof *c.strs; i++)
		free(c.strs[i]);
	return cli_finish(rc, &err);
}
