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
	X(DESCRIBE, "describe", 'd', FLAG, "print describe-eif's fields (JSON)") \
	X(ROLE_ARN, "role-arn", 0, STR("ARN"), "add PCR3 of the parent instance's IAM role") \
	X(INSTANCE_ID, "instance-id", 0, STR("ID"), "add PCR4 of the parent instance id") \
	X(SIGNING_CERT, "signing-cert", 0, FILE("PEM"), "add PCR8 of a signing certificate") \
	X(INPUT, "input", 0, FILE("FILE"), "add \"PCR\" of a file, as nitro-cli pcr --input") \
	X(EXTEND, "extend", 0, LIST_MAX("HEX|@FILE", CLI_ARG_MAX), "data of one NSM extend of a user PCR (repeatable)") \
	X(USER_PCR, "user-pcr", 0, UINT("N", 16, 31) NEEDS(EXTEND), "index 16-31 that --extend reports (default 16)") \
	X(FORMAT, "format", 'f', CHOICE("FMT", MEAS_FORMATS), "output format: json (default), env or hex") \
	X(NO_CRC, "no-crc-check", 0, FLAG, "compute even when the EIF's CRC does not match")

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

static int add_options(const struct cli *c, struct meas *m, const struct eif_measurement *e, struct nk_err *err)
{
	const char *role = cli_str(c, OPT_ROLE_ARN), *instance = cli_str(c, OPT_INSTANCE_ID);
	const char *cert = cli_str(c, OPT_SIGNING_CERT), *input = cli_str(c, OPT_INPUT);
	size_t nextend;
	char *const *extend = cli_list(c, OPT_EXTEND, &nextend);
	unsigned char v[PCR_LEN];
	int rc;

	if (role) {
		if (pcr_ext_raw(role, strlen(role), v))
			return err_set(err, NK_IO, "SHA-384 failed");
		meas_set(m, 3, v);
	}
	if (instance) {
		if (pcr_ext_raw(instance, strlen(instance), v))
			return err_set(err, NK_IO, "SHA-384 failed");
		meas_set(m, 4, v);
	}
	if (input) {
		if ((rc = pcr_of_file(input, m->input, err)))
			return rc;
		m->have_input = 1;
	}
	if (nextend) {
		if ((rc = pcr_fold_extends((const char *const *)extend, nextend, v, err)))
			return rc;
		meas_set(m, (unsigned)cli_num(c, OPT_USER_PCR, 16), v);
	}
	if (cert) {
		if ((rc = pcr_of_cert_file(cert, v, err)))
			return rc;
		if (e && e->is_signed && memcmp(v, e->pcr8, PCR_LEN) != 0)
			return err_set(err, NK_NEGATIVE, "PCR8 of '%s' does not match the EIF's signing certificate",
				       cert);
		meas_set(m, 8, v);
	}
	return NK_OK;
}

static int run(const struct cli *c, struct nk_err *err)
{
	const char *eif = c->argc ? c->argv[0] : NULL;
	int describe = cli_given(c, OPT_DESCRIBE), format = cli_pick(c, OPT_FORMAT, MEAS_JSON);
	struct eif_measurement e = { 0 };
	struct meas m = { 0 };
	json_t *desc = NULL;
	off_t size;
	int rc, fd = -1;

	if (describe && !eif)
		return err_set(err, NK_USAGE, "--describe needs an EIF");
	if (!eif && !cli_given(c, OPT_ROLE_ARN) && !cli_given(c, OPT_INSTANCE_ID) &&
	    !cli_given(c, OPT_SIGNING_CERT) && !cli_given(c, OPT_INPUT) && !cli_given(c, OPT_EXTEND))
		return err_set(err, NK_USAGE, "nothing to compute: give an EIF or --role-arn, --instance-id, "
			       "--signing-cert, --input or --extend");
	if (describe && format != MEAS_JSON)
		return err_set(err, NK_USAGE, "--describe prints JSON only");

	if (eif) {
		if ((rc = io_open_in(eif, &fd, &size, err)))
			return rc;
		rc = eif_measure(fd, size, io_name(eif), (cli_given(c, OPT_NO_CRC) ? EIF_NO_CRC_CHECK : 0) |
				 (describe ? EIF_CRC_SOFT : 0), &e, err);
		if (fd > 0)
			close(fd);
		if (rc)
			return err_prefix(err, "'%s'", io_name(eif));
		meas_add_eif(&m, &e);
	}
	if ((rc = add_options(c, &m, eif ? &e : NULL, err)))
		goto out;
	if (describe) {
		if ((rc = meas_describe(&m, &e, &desc, err)))
			err_prefix(err, "'%s'", io_name(eif));
		else
			rc = out_json(desc, err);
	} else {
		rc = out_meas(&m, (enum meas_format)format, err);
	}
out:
	json_decref(desc);
	eif_measurement_free(&e);
	return rc;
}

int main(int argc, char **argv)
{
	return cli_main(&tool, argc, argv, run);
}
