/* kmstool: see kmstool.h. */
#include "kmstool.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "secmem.h"

#define KMSTOOL_ENTRY(id, name, sh, type, arg, complete, help, cmds) \
	{ name, sh, CLI_##type, arg, complete, help, KMSTOOL_OPT_##id },
#define KMSTOOL_CMDS(id, name, sh, type, arg, complete, help, cmds) cmds,

const struct cli_opt kmstool_opts[] = { KMSTOOL_OPTIONS(KMSTOOL_ENTRY) CLI_END };
/* Indexed by option id (the table's index + 1). */
const unsigned kmstool_opt_cmds[] = { 0, KMSTOOL_OPTIONS(KMSTOOL_CMDS) };

static const char *const cmd_names[] = { "decrypt", "genkey", "genrandom" };

const char *kmstool_cmd_name(unsigned cmd)
{
	for (unsigned i = 0; i < 3; i++)
		if (cmd == 1u << i)
			return cmd_names[i];
	return NULL;
}

static unsigned cmd_of(const char *s)
{
	for (unsigned i = 0; i < 3; i++)
		if (strcmp(s, cmd_names[i]) == 0)
			return 1u << i;
	return 0;
}

/* --- parsing ------------------------------------------------------------------ */

/* Options of every nitrokit tool; AWS's tool knows only --help/-h. */
enum { ID_HELP = 100, ID_VERSION, ID_VERBOSE, ID_QUIET, ID_COMPLETION };

static const struct cli_opt own_opts[] = {
	{ "help", 'h', CLI_FLAG, NULL, NULL, NULL, ID_HELP },
	{ "version", 'V', CLI_FLAG, NULL, NULL, NULL, ID_VERSION },
	{ "verbose", 'v', CLI_FLAG, NULL, NULL, NULL, ID_VERBOSE },
	{ "quiet", 'q', CLI_FLAG, NULL, NULL, NULL, ID_QUIET },
	{ "completion-helper", 0, CLI_FLAG, NULL, NULL, NULL, ID_COMPLETION },
	CLI_END
};

static int is_credential(int id)
{
	return id == KMSTOOL_OPT_ACCESS_KEY_ID || id == KMSTOOL_OPT_SECRET_ACCESS_KEY ||
	       id == KMSTOOL_OPT_SESSION_TOKEN;
}

/* The option argv[i] names ("--name", "--name=value" or "-c"), or NULL;
 * *inline_value points after the '=' when there is one. */
static const struct cli_opt *lookup(const char *s, char **inline_value)
{
	const struct cli_opt *lists[] = { kmstool_opts, own_opts };

	*inline_value = NULL;
	if (s[0] != '-' || s[1] == '\0')
		return NULL;
	for (size_t l = 0; l < 2; l++)
		for (const struct cli_opt *o = lists[l]; o->name; o++) {
			if (s[1] != '-') {
				if (o->short_name && s[1] == o->short_name && s[2] == '\0')
					return o;
				continue;
			}
			size_t n = strlen(o->name);

			if (strncmp(s + 2, o->name, n) != 0)
				continue;
			if (s[2 + n] == '\0')
				return o;
			if (s[2 + n] == '=' && o->type != CLI_FLAG) {
				*inline_value = (char *)s + 2 + n + 1;
				return o;
			}
		}
	return NULL;
}

/* Overwrite a credential in argv: /proc/PID/cmdline reads this memory.  The
 * NUL stays, so the argument count and the other arguments are unchanged. */
static void scrub(char *s)
{
	size_t n = strlen(s);

	secmem_wipe(s, n);
	memset(s, 'x', n);
}

static struct secbuf *secdup(const char *s)
{
	size_t n = strlen(s);
	struct secbuf *b = secmem_new(n + 1);

	if (b) {
		memcpy(b->p, s, n + 1);
		b->len = n;
	}
	return b;
}

static int take_credential(struct kmstool_args *a, int id, const char *v, struct nk_err *err)
{
	if (id == KMSTOOL_OPT_ACCESS_KEY_ID) {
		char *s = strdup(v);

		if (!s)
			return err_set(err, NK_IO, "out of memory");
		free(a->creds.access_key_id);
		a->creds.access_key_id = s;
		return NK_OK;
	}
	struct secbuf **slot = id == KMSTOOL_OPT_SECRET_ACCESS_KEY ? &a->creds.secret : &a->creds.token;
	struct secbuf *b = NULL;

	/* AWS's tool signs with an empty token as with none; scripts with
	 * long-term keys pass "". */
	if (*v && !(b = secdup(v)))
		return err_set(err, NK_IO, "out of memory");
	secmem_free(*slot);
	*slot = b;
	return NK_OK;
}

static int nonempty(const char **slot, const char *name, const char *v, struct nk_err *err)
{
	if (!*v)
		return err_set(err, NK_USAGE, "--%s must not be empty", name);
	*slot = v;
	return NK_OK;
}

/* One option of the command.  A repeated option replaces the earlier value,
 * as in AWS's tool. */
static int apply(struct kmstool_args *a, const struct cli_opt *o, const char *v, struct nk_err *err)
{
	int rc;

	switch (o->id) {
	case ID_HELP: a->help = 1; return NK_OK;
	case ID_VERSION: a->version = 1; return NK_OK;
	case ID_VERBOSE: a->verbose = 1; return NK_OK;
	case ID_QUIET: a->quiet = 1; return NK_OK;
	case ID_COMPLETION: a->completion = 1; return NK_OK;
	case KMSTOOL_OPT_REGION: return nonempty(&a->region, o->name, v, err);
	case KMSTOOL_OPT_CIPHERTEXT: return nonempty(&a->ciphertext, o->name, v, err);
	case KMSTOOL_OPT_KEY_ID: return nonempty(&a->key_id, o->name, v, err);
	case KMSTOOL_OPT_ENCRYPTION_ALGORITHM: return nonempty(&a->encryption_algorithm, o->name, v, err);
	case KMSTOOL_OPT_PROXY_PORT:
		/* VMADDR_PORT_ANY (2^32 - 1) is no port to connect to. */
		return cli_uint(v, 1, UINT32_MAX - 1, o->name, &a->proxy_port, err);
	case KMSTOOL_OPT_LENGTH:
		return cli_uint(v, 1, KMSTOOL_LENGTH_MAX, o->name, &a->length, err);
	case KMSTOOL_OPT_KEY_SPEC: {
		int idx;

		/* AWS's spelling on the command line, KMS's in the request. */
		if ((rc = cli_choice(v, "AES-256|AES-128", o->name, &idx, err)))
			return rc;
		a->key_spec = idx == 0 ? "AES_256" : "AES_128";
		return NK_OK;
	}
	}
	return err_set(err, NK_USAGE, "option '--%s' is not handled", o->name);
}

int kmstool_parse(int argc, char **argv, struct kmstool_args *a, struct nk_err *err)
{
	const char *me = "kmstool_enclave_cli";
	int rc = NK_OK, first = 2;

	memset(a, 0, sizeof *a);
	if (argc < 2)
		return err_set(err, NK_USAGE, "missing command: decrypt, genkey or genrandom (see '%s --help')", me);
	a->cmd = cmd_of(argv[1]);
	if (!a->cmd) {
		char *iv;
		const struct cli_opt *o = lookup(argv[1], &iv);

		/* Before a command only what needs none: --help, --version.  Else
		 * argv[1] is scanned with the rest, for credentials to wipe. */
		first = 1;
		if (!o || iv || (o->id != ID_HELP && o->id != ID_VERSION && o->id != ID_COMPLETION))
			rc = err_set(err, NK_USAGE, "unknown command '%.*s': expected decrypt, genkey or genrandom "
				     "(see '%s --help')", (int)strcspn(argv[1], "="), argv[1], me);
	}
	/* After an error the scan goes on, only to wipe the credentials. */
	for (int i = first; i < argc; i++) {
		char *iv, *v = NULL;
		const struct cli_opt *o = lookup(argv[i], &iv);

		if (!o) {
			/* Up to an '=': a mistyped --aws-secret-access-key=... must
			 * not print the secret. */
			int n = (int)strcspn(argv[i], argv[i][0] == '-' ? "=" : "");

			if (rc == NK_OK)
				rc = err_set(err, NK_USAGE, argv[i][0] == '-' ?
					     "unknown option '%.*s' (see '%s --help')" :
					     "unexpected operand '%.*s' (see '%s --help')", n, argv[i], me);
			continue;
		}
		if (o->type != CLI_FLAG) {
			if (iv)
				v = iv;
			else if (i + 1 < argc)
				v = argv[++i];
			else if (rc == NK_OK)
				rc = err_set(err, NK_USAGE, "option '--%s' needs a value", o->name);
		}
		if (is_credential(o->id) && v) {
			if (rc == NK_OK)
				rc = take_credential(a, o->id, v, err);
			scrub(v);
			continue;
		}
		if (rc != NK_OK)
			continue;
		if (o->id < KMSTOOL_NOPTS && a->cmd && !(kmstool_opt_cmds[o->id] & a->cmd))
			rc = err_set(err, NK_USAGE, "option '--%s' does not apply to %s", o->name,
				     kmstool_cmd_name(a->cmd));
		else if (o->id < KMSTOOL_NOPTS && !a->cmd)
			rc = err_set(err, NK_USAGE, "missing command: decrypt, genkey or genrandom "
				     "(see '%s --help')", me);
		else
			rc = apply(a, o, v, err);
	}
	return rc;
}

void kmstool_args_free(struct kmstool_args *a)
{
	creds_free(&a->creds);
	memset(a, 0, sizeof *a);
}

/* --- after parsing -------------------------------------------------------------- */

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int credentials(struct kmstool_args *a, struct kmsclient_opts *o, struct nk_err *err)
{
	struct creds *c = &a->creds;
	int rc;

	if (c->access_key_id || c->secret || c->token) {
		/* Never half from argv and half from the environment. */
		if (!c->access_key_id)
			return err_set(err, NK_USAGE, "--aws-access-key-id must be set");
		if (!c->secret)
			return err_set(err, NK_USAGE, "--aws-secret-access-key must be set");
		creds_free(&o->given);
		o->given = *c;
		memset(c, 0, sizeof *c);
		return NK_OK;
	}
	if ((rc = creds_from_env(&o->given, err)) == NK_USAGE)
		return err_set(err, NK_USAGE, "--aws-access-key-id must be set (or AWS_ACCESS_KEY_ID and "
			       "AWS_SECRET_ACCESS_KEY in the environment)");
	return rc;
}

int kmstool_prepare(struct kmstool_args *a, struct kmsclient_opts *o, struct nk_err *err)
{
	char vsock[32];
	int rc;

	if ((rc = credentials(a, o, err)))
		return rc;
	switch (a->cmd) {
	case KMSTOOL_DECRYPT:
		if (!a->ciphertext)
			return err_set(err, NK_USAGE, "--ciphertext must be set");
		break;
	case KMSTOOL_GENKEY:
		if (!a->key_id)
			return err_set(err, NK_USAGE, "--key-id must be set");
		if (!a->key_spec)
			return err_set(err, NK_USAGE, "--key-spec must be set");
		break;
	case KMSTOOL_GENRANDOM:
		if (!a->length)
			return err_set(err, NK_USAGE, "--length must be set");
		break;
	default:
		return err_set(err, NK_USAGE, "missing command: decrypt, genkey or genrandom");
	}
	if (a->region && (rc = kmsclient_opt(o, "region", a->region, err)))
		return rc;
	/* DESIGN §1: existing scripts run unchanged against a KMS simulator when
	 * the environment names an endpoint; kmsclient then ignores the vsock. */
	if (env("AWS_ENDPOINT_URL_KMS") || env("AWS_ENDPOINT_URL"))
		return NK_OK;
	snprintf(vsock, sizeof vsock, "%u:%lu", KMSTOOL_PARENT_CID,
		 a->proxy_port ? a->proxy_port : (unsigned long)KMSTOOL_DEFAULT_PORT);
	return kmsclient_opt(o, "vsock", vsock, err);
}

int kmstool_request(const struct kmstool_args *a, struct kms_req *req, unsigned char **blob,
		    struct nk_err *err)
{
	size_t len = 0, n;
	int rc;

	memset(req, 0, sizeof *req);
	*blob = NULL;
	switch (a->cmd) {
	case KMSTOOL_DECRYPT:
		n = strlen(a->ciphertext);
		if (!(*blob = malloc(enc_unb64_max(n) + 1)))
			return err_set(err, NK_IO, "out of memory");
		if ((rc = enc_unb64(a->ciphertext, n, *blob, &len, err)) || len == 0) {
			free(*blob);
			*blob = NULL;
			if (!rc)
				return err_set(err, NK_DATA, "--ciphertext holds no bytes");
			return err_prefix(err, "--ciphertext is not base64");
		}
		req->op = KMS_DECRYPT;
		req->data = *blob;
		req->data_len = len;
		req->key_id = a->key_id;
		req->encryption_algorithm = a->encryption_algorithm;
		return NK_OK;
	case KMSTOOL_GENKEY:
		req->op = KMS_GENERATE_DATA_KEY;
		req->key_id = a->key_id;
		req->key_spec = a->key_spec;
		return NK_OK;
	case KMSTOOL_GENRANDOM:
		req->op = KMS_GENERATE_RANDOM;
		req->nbytes = a->length;
		return NK_OK;
	}
	return err_set(err, NK_USAGE, "missing command: decrypt, genkey or genrandom");
}

size_t kmstool_fields(unsigned cmd, const struct kms_resp *r, struct kmsout_field f[2])
{
	size_t n = 0;
	static const unsigned char none[1];

	memset(f, 0, 2 * sizeof *f);
	if (cmd == KMSTOOL_GENKEY)
		f[n++] = (struct kmsout_field){ .name = "CIPHERTEXT", .p = r->ciphertext_blob,
						.len = r->ciphertext_blob_len };
	/* An empty plaintext is still a line, as AWS's tool prints it. */
	f[n++] = (struct kmsout_field){ .name = "PLAINTEXT",
					.p = r->plaintext && r->plaintext->p ? r->plaintext->p : none,
					.len = r->plaintext ? r->plaintext->len : 0 };
	return n;
}

int kmstool_exit_code(int rc)
{
	if (rc == NK_OK || rc == CLI_EXIT)
		return 0;
	return rc == NK_USAGE ? 1 : 255;
}
