/* kmsopts: see kmsopts.h. */
#include "tool/kmsopts.h"

#include <stdlib.h>
#include <string.h>

#define CLIENT_OPTIONS(X) \
	X(REGION, "region", 0, STR("REGION"), "AWS region (default $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1)") \
	X(ENDPOINT, "endpoint", 0, STR("URL") EXCL(1), "KMS endpoint URL over TCP (default $AWS_ENDPOINT_URL_KMS)") \
	X(VSOCK, "vsock", 0, STR("CID:PORT") EXCL(1), "reach KMS through the vsock-proxy at CID:PORT (default 3:8000)") \
	X(FIPS, "fips", 0, FLAG, "use the kms-fips endpoint") \
	X(CA_BUNDLE, "ca-bundle", 0, FILE("FILE"), "CA certificates (PEM) for TLS (default $AWS_CA_BUNDLE, the system's)") \
	X(RETRIES, "retries", 0, UINT("N", 0, KMSOPTS_RETRIES_MAX), "retries of throttled or failed calls (default 3)") \
	X(TIMEOUT, "timeout", 0, UINT("SECONDS", 1, KMSOPTS_TIMEOUT_MAX), "time limit of one attempt (default 30)") \
	X(CREDENTIALS, "credentials", 0, FILE("FILE") STDIN, "AWS credentials as instance-metadata JSON from FILE or - (default: the environment)")

#define RECIPIENT_OPTIONS(X) \
	X(RSA_BITS, "rsa-bits", 0, CHOICE("BITS", "2048|4096"), "size of the ephemeral RSA key (default 2048)") \
	X(NSM, "nsm", 0, STR("SPEC"), "NSM device or unix:PATH (default $NITROKIT_NSM, /dev/nsm)")

enum { OPT_CLIENT_NONE, CLIENT_OPTIONS(CLI_ENUM) };
enum { OPT_RECIPIENT_NONE, RECIPIENT_OPTIONS(CLI_ENUM) };

const struct cli_opt kmsopts_client[] = { CLIENT_OPTIONS(CLI_ENTRY) CLI_END };
const struct cli_opt kmsopts_recipient[] = { RECIPIENT_OPTIONS(CLI_ENTRY) CLI_END };

void kmsopts_client_opts(const struct cli *c, struct kmsclient_opts *o)
{
	const struct cli_opt *t = kmsopts_client, *r = kmsopts_recipient;

	kmsclient_opts_init(o);
	o->region = cli_str_in(c, t, OPT_REGION);
	o->endpoint = cli_str_in(c, t, OPT_ENDPOINT);
	o->vsock = cli_str_in(c, t, OPT_VSOCK);
	o->fips = cli_given_in(c, t, OPT_FIPS) > 0;
	o->ca_bundle = cli_str_in(c, t, OPT_CA_BUNDLE);
	if (cli_given_in(c, t, OPT_RETRIES))
		o->retries = (int)cli_num_in(c, t, OPT_RETRIES, 0);
	o->timeout_ms = (long)cli_num_in(c, t, OPT_TIMEOUT, 0) * 1000;
	o->credentials = cli_str_in(c, t, OPT_CREDENTIALS);
	if (cli_given_in(c, r, OPT_RSA_BITS))
		o->rsa_bits = cli_num_in(c, r, OPT_RSA_BITS, 0) ? 4096 : 2048;
	o->nsm = cli_str_in(c, r, OPT_NSM);
}

/* --- the key a call names ---------------------------------------------------- */

/* "KEY=VALUE" into kv, pointing into s (the '=' becomes a NUL). */
static int parse_context(char *s, struct kms_kv *kv, struct nk_err *err)
{
	char *eq = strchr(s, '=');

	if (!eq || eq == s)
		return err_set(err, NK_USAGE, "invalid value '%s' for --context: expected KEY=VALUE", s);
	*eq = 0;
	kv->key = s;
	kv->value = eq + 1;
	return NK_OK;
}

static int add_context(struct kmsclient_key *k, const char *arg, struct nk_err *err)
{
	struct kms_kv kv, *n;
	char *s = strdup(arg);
	int rc;

	if (!s)
		return err_set(err, NK_IO, "out of memory");
	if ((rc = parse_context(s, &kv, err)))
		goto fail;
	/* A JSON object keeps one value per key: the second would silently win. */
	for (size_t i = 0; i < k->ncontext; i++)
		if (strcmp(k->context[i].key, kv.key) == 0) {
			rc = err_set(err, NK_USAGE, "--context key '%s' given twice", kv.key);
			goto fail;
		}
	if (!(n = realloc(k->context, (k->ncontext + 1) * sizeof *n))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto fail;
	}
	k->context = n;
	k->context[k->ncontext++] = kv;
	return NK_OK;
fail:
	free(s);
	return rc;
}

static int add_grant(struct kmsclient_key *k, const char *arg, struct nk_err *err)
{
	char **n, *s;

	if (!*arg)
		return err_set(err, NK_USAGE, "--grant-token must not be empty");
	if (k->ngrant == KMSCLIENT_GRANTS_MAX)
		return err_set(err, NK_USAGE, "too many --grant-token: KMS takes at most %d", KMSCLIENT_GRANTS_MAX);
	if (!(s = strdup(arg)))
		return err_set(err, NK_IO, "out of memory");
	if (!(n = realloc(k->grants, (k->ngrant + 1) * sizeof *n))) {
		free(s);
		return err_set(err, NK_IO, "out of memory");
	}
	k->grants = n;
	k->grants[k->ngrant++] = s;
	return NK_OK;
}

int kmsopts_key_make(const char *key_id, const char *const *context, size_t ncontext,
		     const char *const *grants, size_t ngrant, struct kmsclient_key *k, struct nk_err *err)
{
	int rc = NK_OK;

	memset(k, 0, sizeof *k);
	if (key_id && !*key_id)
		rc = err_set(err, NK_USAGE, "--key-id must not be empty");
	else if (key_id && !(k->key_id = strdup(key_id)))
		rc = err_set(err, NK_IO, "out of memory");
	for (size_t i = 0; rc == NK_OK && i < ncontext; i++)
		rc = add_context(k, context[i], err);
	for (size_t i = 0; rc == NK_OK && i < ngrant; i++)
		rc = add_grant(k, grants[i], err);
	if (rc)
		kmsclient_key_free(k);
	return rc;
}

int kmsopts_key(const struct cli *c, int key_id, int context, int grant_token, struct kmsclient_key *k,
		struct nk_err *err)
{
	size_t ncontext = 0, ngrant = 0;
	char *const *ctx = context ? cli_list(c, context, &ncontext) : NULL;
	char *const *grants = grant_token ? cli_list(c, grant_token, &ngrant) : NULL;

	return kmsopts_key_make(key_id ? cli_str(c, key_id) : NULL, (const char *const *)ctx, ncontext,
				(const char *const *)grants, ngrant, k, err);
}
