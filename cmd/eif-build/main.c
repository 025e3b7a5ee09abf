/* eif-build: kernel + cmdline + ramdisks (+ metadata, + signing) -> EIF, as
 * upstream's eif_build, and its measurements as JSON on stdout. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "tool/cli.h"
#include "eif/eifbuild.h"
#include "tool/out.h"
#include "eif/meas.h"

/* Standard input ('-') for two inputs, and -o -, are refused by eifbuild_run
 * in one message that also covers --ramdisk - given twice. */
#define OPTIONS(X) \
	X(KERNEL, "kernel", 0, FILE("FILE"), "the kernel image (bzImage or Image); required") \
	X(CMDLINE, "cmdline", 0, STR("STR") EMPTY_OK, "the kernel command line; required") \
	X(RAMDISK, "ramdisk", 0, FILES("FILE"), "a ramdisk, repeated in boot order; at least one") \
	X(OUTPUT, "output", 'o', FILE("FILE"), "write the EIF to FILE; required") \
	X(NAME, "name", 0, STR("NAME"), "ImageName in the metadata (default: the kernel's file name)") \
	X(IMAGE_VERSION, "image-version", 0, STR("VER"), "ImageVersion in the metadata (default 1.0)") \
	X(ARCH, "arch", 0, CHOICE("ARCH", "x86_64|aarch64"), "x86_64 (default) or aarch64") \
	X(METADATA, "metadata", 0, FILE("FILE"), "custom metadata: a JSON object file") \
	X(SIGNING_CERT, "signing-cert", 0, FILE("PEM") NEEDS(SIGNING_KEY), "sign with this X.509 certificate (PEM)") \
	X(SIGNING_KEY, "signing-key", 0, FILE("PEM") NEEDS(SIGNING_CERT), "and its EC private key (PEM: P-256/384/521)")

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

static void trace_sections(const struct eif_header *h)
{
	cli_trace("EIF version %u, flags %u, %u sections, CRC 0x%08x", h->version, h->flags,
		  h->num_sections, h->crc32);
	for (unsigned i = 0; i < h->num_sections; i++)
		cli_trace("section %u at offset %llu: %llu bytes", i,
			  (unsigned long long)h->section_offsets[i], (unsigned long long)h->section_sizes[i]);
}

static int run(const struct cli *c, struct nk_err *err)
{
	static const int required[] = { OPT_KERNEL, OPT_CMDLINE, OPT_RAMDISK, OPT_OUTPUT };
	size_t nramdisks;
	char *const *ramdisks = cli_list(c, OPT_RAMDISK, &nramdisks);
	struct eifbuild_opts o = {
		.kernel = cli_str(c, OPT_KERNEL),
		.cmdline = cli_str(c, OPT_CMDLINE),
		.ramdisks = (char **)ramdisks,
		.nramdisks = (unsigned)nramdisks,
		.output = cli_str(c, OPT_OUTPUT),
		.name = cli_str(c, OPT_NAME),
		.image_version = cli_str(c, OPT_IMAGE_VERSION),
		.aarch64 = cli_pick(c, OPT_ARCH, 0) == 1,
		.metadata = cli_str(c, OPT_METADATA),
		.signing_cert = cli_str(c, OPT_SIGNING_CERT),
		.signing_key = cli_str(c, OPT_SIGNING_KEY),
		.source_date_epoch = getenv("SOURCE_DATE_EPOCH"),
		.now = time(NULL),
	};
	struct eif_header hdr;
	struct meas m;
	json_t *j;
	int rc;

	for (size_t i = 0; i < sizeof required / sizeof *required; i++)
		if (!cli_given(c, required[i]))
			return err_set(err, NK_USAGE, "missing required option '--%s' (see 'eif-build --help')",
				       cli_name(c, required[i]));
	if ((rc = eifbuild_run(&o, &m, &hdr, err)))
		return rc;
	/* eif_build prints this line on stdout; ours stays pure JSON for jq. */
	if (cli_verbose)
		fprintf(stderr, "Output file: %s\n", o.output);
	trace_sections(&hdr);
	if (!(j = meas_map(&m)))
		return err_set(err, NK_IO, "out of memory");
	rc = out_json(j, err);
	json_decref(j);
	return rc;
}

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv, run);
}
