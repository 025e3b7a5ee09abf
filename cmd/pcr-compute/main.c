/* pcr-compute: an EIF's PCRs as nitro-cli prints them, plus PCR3/4/8, a file's
 * PCR and the value of a user PCR after extends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tool/cli.h"
#include "eif/eif.h"
#include "util/io.h"
#include "tool/out.h"
#include "eif/meas.h"
#include "eif/pcr.h"

#define OPTIONS(X) \
	X(DESCRIBE, "describe", 'd', FLAG, NULL, NULL, "print describe-eif's fields (JSON)") \
	X(ROLE_ARN, "role-arn", 0, STR, "ARN", NULL, "add PCR3 of the parent instance's IAM role") \
	X(INSTANCE_ID, "instance-id", 0, STR, "ID", NULL, "add PCR4 of the parent instance id") \
	X(SIGNING_CERT, "signing-cert", 0, STR, "PEM", "file", "add PCR8 of a signing certificate") \
	X(INPUT, "input", 0, STR, "FILE", "file", "add \"PCR\" of a file, as nitro-cli pcr --input") \
	X(EXTEND, "extend", 0, LIST, "HEX|@FILE", NULL, "data of one NSM extend of a user PCR (repeatable)") \
	X(USER_PCR, "user-pcr", 0, STR, "N", NULL, "index 16-31 that --extend reports (default 16)") \
	X(FORMAT, "format", 'f', STR, "FMT", MEAS_FORMATS, "output format: json (default), env or hex") \
	X(NO_CRC, "no-crc-check", 0, FLAG, NULL, NULL, "compute even when the EIF's CRC does not match")

enum { OPT_NONE, OPTIONS(CLI_ENUM) };
static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };

static const struct cli_tool tool = {
	.name = "pcr-compute",
	.usage = "[OPTIONS] [EIF|-]",
	.summary = "Print the PCRs of an enclave image (EIF) and of role ARNs, instance ids,\n"
		   "certificates, files and user-PCR extends, as nitro-cli does.",
	.operands = "file",
	.opts = opts,
	.min_args = 0,
	.max_args = 1,
};

struct ctx {
	int describe, no_crc, format;
	const char *role_arn, *instance_id, *cert, *input;
	char **extend;
	size_t nextend;
	unsigned long user_pcr;
	int have_user_pcr;
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
	char **v;

	switch (id) {
	case OPT_DESCRIBE: c->describe = 1; return NK_OK;
	case OPT_NO_CRC: c->no_crc = 1; return NK_OK;
	case OPT_ROLE_ARN: return set_str(&c->role_arn, arg, "role-arn", err);
	case OPT_INSTANCE_ID: return set_str(&c->instance_id, arg, "instance-id", err);
	case OPT_SIGNING_CERT: return set_str(&c->cert, arg, "signing-cert", err);
	case OPT_INPUT: return set_str(&c->input, arg, "input", err);
	case OPT_FORMAT: return cli_choice(arg, MEAS_FORMATS, "format", &c->format, err);
	case OPT_USER_PCR:
		c->have_user_pcr = 1;
		return cli_uint(arg, 16, 31, "user-pcr", &c->user_pcr, err);
	case OPT_EXTEND:
		v = realloc(c->extend, (c->nextend + 1) * sizeof *v);
		if (!v || !(v[c->nextend] = strdup(arg)))
			return err_set(err, NK_IO, "out of memory");
		c->extend = v;
		c->nextend++;
		return NK_OK;
	}
	return NK_OK;
}

static int add_options(const struct ctx *c, struct meas *m, const struct eif_measurement *e, struct nk_err *err)
{
	unsigned char v[PCR_LEN];
	int rc;

	if (c->role_arn) {
		if (pcr_ext_raw(c->role_arn, strlen(c->role_arn), v))
			return err_set(err, NK_IO, "SHA-384 failed");
		meas_set(m, 3, v);
	}
	if (c->instance_id) {
		if (pcr_ext_raw(c->instance_id, strlen(c->instance_id), v))
			return err_set(err, NK_IO, "SHA-384 failed");
		meas_set(m, 4, v);
	}
	if (c->input) {
		if ((rc = pcr_of_file(c->input, m->input, err)))
			return rc;
		m->have_input = 1;
	}
	if (c->nextend) {
		if ((rc = pcr_fold_extends((const char *const *)c->extend, c->nextend, v, err)))
			return rc;
		meas_set(m, (unsigned)c->user_pcr, v);
	}
	if (c->cert) {
		if ((rc = pcr_of_cert_file(c->cert, v, err)))
			return rc;
		if (e && e->is_signed && memcmp(v, e->pcr8, PCR_LEN) != 0)
			return err_set(err, NK_NEGATIVE, "PCR8 of '%s' does not match the EIF's signing certificate",
				       c->cert);
		meas_set(m, 8, v);
	}
	return NK_OK;
}

static int run(struct ctx *c, const char *eif, struct nk_err *err)
{
	struct eif_measurement e = { 0 };
	struct meas m = { 0 };
	json_t *desc = NULL;
	off_t size;
	int rc, fd = -1;

	if (c->describe && !eif)
		return err_set(err, NK_USAGE, "--describe needs an EIF");
	if (!eif && !c->role_arn && !c->instance_id && !c->cert && !c->input && !c->nextend)
		return err_set(err, NK_USAGE, "nothing to compute: give an EIF or --role-arn, --instance-id, "
			       "--signing-cert, --input or --extend");
	if (c->describe && c->format != MEAS_JSON)
		return err_set(err, NK_USAGE, "--describe prints JSON only");
	if (c->have_user_pcr && !c->nextend)
		return err_set(err, NK_USAGE, "--user-pcr needs --extend");
	if (!c->have_user_pcr)
		c->user_pcr = 16;

	if (eif) {
		if ((rc = io_open_in(eif, &fd, &size, err)))
			return rc;
		rc = eif_measure(fd, size, io_name(eif), (c->no_crc ? EIF_NO_CRC_CHECK : 0) |
				 (c->describe ? EIF_CRC_SOFT : 0), &e, err);
		if (fd > 0)
			close(fd);
		if (rc)
			return err_prefix(err, "'%s'", io_name(eif));
		meas_add_eif(&m, &e);
	}
	if ((rc = add_options(c, &m, eif ? &e : NULL, err)))
		goto out;
	if (c->describe) {
		if ((rc = meas_describe(&m, &e, &desc, err)))
			err_prefix(err, "'%s'", io_name(eif));
		else
			rc = out_json(desc, err);
	} else {
		rc = out_meas(&m, (enum meas_format)c->format, err);
	}
out:
	json_decref(desc);
	eif_measurement_free(&e);
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
		rc = run(&c, args.n ? args.v[0] : NULL, &err);
	cli_args_free(&args);
	for (size_t i = 0; i < c.nextend; i++)
		free(c.extend[i]);
	free(c.extend);
	free((char *)c.role_arn);
	free((char *)c.instance_id);
	free((char *)c.cert);
	free((char *)c.input);
	return cli_finish(rc, &err);
}
