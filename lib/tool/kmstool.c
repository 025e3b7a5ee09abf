/* kmstool: see kmstool.h. */
#include "tool/kmstool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/enc.h"
#include "util/io.h"
#include "tool/kmsgen.h"
#include "util/secmem.h"

#define KMSTOOL_ENTRY(id_, name_, short_, spec_, help_) \
	{ .id = KMSTOOL_OPT_##id_, .name = name_, .short_name = short_, .help = help_, CLI_T_##spec_ },

const struct cli_opt kmstool_opts[] = { KMSTOOL_OPTIONS(KMSTOOL_ENTRY) CLI_END };

const struct cli_tool kmstool_tool = {
	.name = "kmstool_enclave_cli",
	.usage = "decrypt|genkey|genrandom [OPTIONS]",
	.summary = "KMS Decrypt, GenerateDataKey and GenerateRandom from inside a Nitro Enclave,\n"
		   "with its attestation document: a drop-in for AWS's kmstool_enclave_cli.",
	.operands = KMSTOOL_COMMANDS,
	.opts = kmstool_opts,
	.min_args = 0,
	.max_args = 0,
	.commands = KMSTOOL_COMMANDS,
	.last_wins = 1,
};

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
	{ .id = ID_HELP, .name = "help", .short_name = 'h' },
	{ .id = ID_VERSION, .name = "version", .short_name = 'V' },
	{ .id = ID_VERBOSE, .name = "verbose", .short_name = 'v' },
	{ .id = ID_QUIET, .name = "quiet", .short_name = 'q' },
	{ .id = ID_COMPLETION, .name = "completion-helper", .short_name = 0 },
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

static int is_option(const char *s)
{
	char *iv;

	return lookup(s, &iv) != NULL;
}

/* Where the value starts in a word that is a credential option with its
 * value written into it: "-sVALUE", "--aws-secret-access-key=VALUE" and,
 * the space forgotten, "--aws-secret-access-keyVALUE"; 0 for any other
 * word.  Such words are never taken as another option's value either. */
static size_t attached_credential(const char *s)
{
	if (s[0] != '-')
		return 0;
	for (const struct cli_opt *o = kmstool_opts; o->name; o++) {
		size_t n = strlen(o->name);

		if (!is_credential(o->id))
			continue;
		if (s[1] == o->short_name && s[2])
			return 2;
		if (s[1] == '-' && strncmp(s + 2, o->name, n) == 0 && s[2 + n])
			return 2 + n + (s[2 + n] == '=');
	}
	return 0;
}

/* A credential option's name alone: the next word is its value. */
static int credential_name(const char *s)
{
	char *iv;
	const struct cli_opt *o = lookup(s, &iv);

	return o && !iv && is_credential(o->id);
}

/* Overwrite a credential in argv: /proc/PID/cmdline reads this memory.  The
 * NUL stays, so the argument count and the other arguments are unchanged. */
static void scrub(char *s)
{
	size_t n = strlen(s);

	secmem_wipe(s, n);
	memset(s, 'x', n);
}

/* Whatever the parse made of the command line: wipe the word after each
 * credential option name and the value written into a credential option's
 * word.  From the end, so that each word is judged by its left neighbour
 * before that neighbour is wiped in turn ("-k -s SECRET" loses "-s" and
 * SECRET). */
static void scrub_credentials(int argc, char **argv)
{
	for (int i = argc - 1; i >= 1; i--) {
		size_t at = attached_credential(argv[i]);

		if (i >= 2 && credential_name(argv[i - 1]))
			scrub(argv[i]);
		else if (at)
			scrub(argv[i] + at);
	}
}

/* How much of an option-like word (s[0] == '-') a message may show: its
 * option name, up to an '=', "-s" of "-sVALUE", "--key-id" of
 * "--key-idVALUE", at most 40 characters; *more when the word goes on. */
static int shown(const char *s, int *more)
{
	const struct cli_opt *lists[] = { kmstool_opts, own_opts };
	size_t n;

	*more = 0;
	if (s[1] != '-') {
		*more = s[1] && s[2];
		return 2;
	}
	n = strcspn(s, "=");
	for (size_t l = 0; l < 2; l++)
		for (const struct cli_opt *o = lists[l]; o->name; o++) {
			size_t m = strlen(o->name);

			if (2 + m < n && strncmp(s + 2, o->name, m) == 0) {
				n = 2 + m;
				*more = 1;
			}
		}
	if (n > 40) {
		n = 40;
		*more = 1;
	}
	return (int)n;
}

static const char me[] = "kmstool_enclave_cli";

/* argv[pos], which is no option of the tool.  Only an option's name is ever
 * quoted: a word out of place is often the value of an option that went
 * missing, and that value may be a secret. */
static int unknown(const char *s, int pos, struct nk_err *err)
{
	int more, n;

	if (s[0] != '-' || s[1] == '\0')
		return err_set(err, NK_USAGE, "unexpected operand at position %d (see '%s --help')", pos, me);
	n = shown(s, &more);
	if (s[1] != '-' && s[2]) {
		const char letter[3] = { '-', s[1], 0 };
		char *iv;
		const struct cli_opt *o = lookup(letter, &iv);

		/* AWS's parser has no "-cVALUE" either. */
		if (o && o->type != CLI_FLAG)
			return err_set(err, NK_USAGE, "option '-%c' takes its value as the next argument "
				       "(see '%s --help')", s[1], me);
	}
	return err_set(err, NK_USAGE, "unknown option '%.*s%s' (see '%s --help')", n, s, more ? "..." : "", me);
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

/* A credential option's value into a->cli (typed: not empty, no control
 * characters; the secret and the token in secure memory).  AWS's tool signs
 * with an empty token as with none; scripts with long-term keys pass "". */
static int take_credential(struct kmstool_args *a, const struct cli_opt *o, const char *v, struct nk_err *err)
{
	if (o->id == KMSTOOL_OPT_SESSION_TOKEN && (a->no_token = !*v))
		return NK_OK;
	return cli_take(&a->cli, o, v, err);
}

/* One option of the command.  A repeated option replaces the earlier value,
 * as in AWS's tool (kmstool_tool.last_wins). */
static int apply(struct kmstool_args *a, const struct cli_opt *o, const char *v, struct nk_err *err)
{
	switch (o->id) {
	case ID_HELP: a->help = 1; return NK_OK;
	case ID_VERSION: a->version = 1; return NK_OK;
	case ID_VERBOSE: a->verbose = 1; return NK_OK;
	case ID_QUIET: a->quiet = 1; return NK_OK;
	case ID_COMPLETION: a->completion = 1; return NK_OK;
	}
	return cli_take(&a->cli, o, v, err);
}

/* The command of argv[1].  Else, as AWS's first versions, which had no
 * commands: decrypt, when argv[1] is an option and --ciphertext is given.
 * Read in aws-nitro-enclaves-sdk-c, bin/kmstool-enclave-cli/main.c at
 * 8c333f4: aws_cli_getopt_long from argv[1] with "r:x:k:s:t:c:K:a:h" (the
 * decrypt options here), "Could not decrypt" and exit(1) on any failure,
 * fprintf(stdout, "%s", b64) on success; its README's caller takes
 * proc.communicate()[0].decode() as the plaintext.  (13a7ca5, before it,
 * printed alike but exited 0 after a failure; not emulated.) */
static int command(int argc, char **argv, struct kmstool_args *a, struct nk_err *err)
{
	char *iv;
	const struct cli_opt *o;
	int more, n;

	if ((a->cmd = cmd_of(argv[1])))
		return NK_OK;
	o = lookup(argv[1], &iv);
	/* Before a command only what needs none: --help, --version. */
	if (o && (o->id == ID_HELP || o->id == ID_VERSION || o->id == ID_COMPLETION))
		return NK_OK;
	for (int i = 1; o && i < argc; i++) {
		const struct cli_opt *c = lookup(argv[i], &iv);

		if (c && c->id == KMSTOOL_OPT_CIPHERTEXT) {
			a->cmd = KMSTOOL_DECRYPT;
			a->legacy = 1;
			return NK_OK;
		}
	}
	if (argv[1][0] == '-' && argv[1][1]) {
		n = shown(argv[1], &more);
		return err_set(err, NK_USAGE, "unknown command '%.*s%s': expected decrypt, genkey or genrandom "
			       "(see '%s --help')", n, argv[1], more ? "..." : "", me);
	}
	/* A mistyped command is worth showing; a word that cannot be one may
	 * be a secret. */
	n = (int)strlen(argv[1]);
	if (n > 0 && n <= 16 && strspn(argv[1], "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") == (size_t)n)
		return err_set(err, NK_USAGE, "unknown command '%s': expected decrypt, genkey or genrandom "
			       "(see '%s --help')", argv[1], me);
	return err_set(err, NK_USAGE, "unknown command: expected decrypt, genkey or genrandom (see '%s --help')", me);
}

static int parse(int argc, char **argv, struct kmstool_args *a, struct nk_err *err)
{
	int rc;

	if ((rc = command(argc, argv, a, err)))
		return rc;
	for (int i = a->cmd && !a->legacy ? 2 : 1; i < argc; i++) {
		char *iv, *v = NULL;
		const struct cli_opt *o = lookup(argv[i], &iv);

		if (!o)
			return unknown(argv[i], i, err);
		if (o->type != CLI_FLAG) {
			/* A value that went missing (an unset variable, unquoted)
			 * must not take the next option, least of all a credential
			 * option, whose value would be left an operand. */
			if (iv)
				v = iv;
			else if (i + 1 < argc && !is_option(argv[i + 1]) && !attached_credential(argv[i + 1]))
				v = argv[++i];
			else
				return err_set(err, NK_USAGE, "option '--%s' needs a value", o->name);
		}
		if (is_credential(o->id)) {
			if ((rc = take_credential(a, o, v, err)))
				return rc;
			continue;
		}
		/* The table's CMDS, said as this tool always has (cli_check's own
		 * wording would be "--length is for genrandom only"). */
		if (o->id < KMSTOOL_NOPTS && a->cmd && o->cmds && !(o->cmds & a->cmd))
			return err_set(err, NK_USAGE, "option '--%s' does not apply to %s", o->name,
				       kmstool_cmd_name(a->cmd));
		if (o->id < KMSTOOL_NOPTS && !a->cmd)
			return err_set(err, NK_USAGE, "missing command: decrypt, genkey or genrandom "
				       "(see '%s --help')", me);
		if ((rc = apply(a, o, v, err)))
			return rc;
	}
	return NK_OK;
}

/* The table's checks of the line as a whole (cli_check), the command word
 * its operand: after the parser's own, which say what AWS's tool says, there
 * is nothing left for them to refuse unless the table declares more. */
static int check(struct kmstool_args *a, struct nk_err *err)
{
	const char *name = kmstool_cmd_name(a->cmd);

	if (!name)
		return NK_OK;  /* --help, --version or --completion-helper alone */
	if (!(a->cli.argv = calloc(2, sizeof *a->cli.argv)) || !(a->cli.argv[0] = strdup(name)))
		return err_set(err, NK_IO, "out of memory");
	a->cli.argc = 1;
	return cli_check(&a->cli, err);
}

/* a's views of the values, and a copy of the credentials for kmsclient. */
static int views(struct kmstool_args *a, struct nk_err *err)
{
	const struct cli *c = &a->cli;
	const char *ak = cli_str(c, KMSTOOL_OPT_ACCESS_KEY_ID), *sk = cli_str(c, KMSTOOL_OPT_SECRET_ACCESS_KEY);
	const char *token = a->no_token ? NULL : cli_str(c, KMSTOOL_OPT_SESSION_TOKEN);
	int spec = cli_pick(c, KMSTOOL_OPT_KEY_SPEC, -1);

	a->region = cli_str(c, KMSTOOL_OPT_REGION);
	a->ciphertext = cli_str(c, KMSTOOL_OPT_CIPHERTEXT);
	a->key_id = cli_str(c, KMSTOOL_OPT_KEY_ID);
	a->encryption_algorithm = cli_str(c, KMSTOOL_OPT_ENCRYPTION_ALGORITHM);
	/* AWS's spelling on the command line, KMS's in the request. */
	a->key_spec = spec < 0 ? NULL : spec == 0 ? "AES_256" : "AES_128";
	a->proxy_port = cli_num(c, KMSTOOL_OPT_PROXY_PORT, 0);
	a->length = cli_num(c, KMSTOOL_OPT_LENGTH, 0);
	if ((ak && !(a->creds.access_key_id = strdup(ak))) || (sk && !(a->creds.secret = secdup(sk))) ||
	    (token && !(a->creds.token = secdup(token))))
		return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

int kmstool_parse(int argc, char **argv, struct kmstool_args *a, struct nk_err *err)
{
	int rc;

	memset(a, 0, sizeof *a);
	rc = cli_init(&kmstool_tool, &a->cli, err);
	if (rc == NK_OK && argc < 2)
		rc = err_set(err, NK_USAGE, "missing command: decrypt, genkey or genrandom (see '%s --help')", me);
	if (rc == NK_OK)
		rc = parse(argc, argv, a, err);
	if (rc == NK_OK)
		rc = check(a, err);
	if (rc == NK_OK)
		rc = views(a, err);
	/* After parse copied the values, and on every path. */
	scrub_credentials(argc, argv);
	if (rc) {
		creds_free(&a->creds);
		cli_free(&a->cli);
	}
	return rc;
}

void kmstool_args_free(struct kmstool_args *a)
{
	creds_free(&a->creds);
	cli_free(&a->cli);
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
	o->region = a->region;
	/* DESIGN §1: existing scripts run unchanged against a KMS simulator when
	 * the environment names an endpoint; kmsclient then ignores the vsock. */
	if (env("AWS_ENDPOINT_URL_KMS") || env("AWS_ENDPOINT_URL"))
		return NK_OK;
	snprintf(a->vsock, sizeof a->vsock, "%u:%lu", KMSTOOL_PARENT_CID,
		 a->proxy_port ? a->proxy_port : (unsigned long)KMSTOOL_DEFAULT_PORT);
	o->vsock = a->vsock;
	return NK_OK;
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

/* The command-less form's output: the base64 alone, no newline (8c333f4's
 * main(): fprintf(stdout, "%s", ciphertext_decrypted_b64.buffer)). */
static int write_bare(const struct kms_resp *r, struct nk_err *err)
{
	size_t n = r->plaintext ? r->plaintext->len : 0, cap = 4 * ((n + 2) / 3) + 1, len = 0;
	char *text;
	int rc;

	if (!(text = secmem_alloc(cap)))
		return err_set(err, NK_IO, "out of memory");
	/* EVP_EncodeBlock takes an int: KMS plaintexts are 4 KiB at most. */
	if (n)
		len = (size_t)EVP_EncodeBlock((unsigned char *)text, r->plaintext->p, (int)n);
	rc = io_write_file("-", text, len, 0600, err);
	secmem_release(text, cap);
	return rc;
}

int kmstool_write(const struct kmstool_args *a, const struct kms_resp *r, struct nk_err *err)
{
	struct kmsout_field f[2];

	switch (a->cmd) {
	case KMSTOOL_DECRYPT:
		if (a->legacy)
			return write_bare(r, err);
		return kmsout_lines("-", f, kmstool_fields(a->cmd, r, f), 0600, err);
	case KMSTOOL_GENKEY: {
		/* kms-genkey's checks and its kmstool lines: a data key of the
		 * KeySpec's size and a blob, or nothing printed. */
		struct kmsgen_genkey g = { .key_spec = a->key_spec, .format = KMSGEN_GENKEY_KMSTOOL };

		return kmsgen_genkey_write(&g, r, err);
	}
	case KMSTOOL_GENRANDOM: {
		struct kmsgen_random g = { .nbytes = a->length, .format = KMSGEN_RANDOM_KMSTOOL };

		return kmsgen_random_write(&g, r, err);
	}
	}
	return err_set(err, NK_USAGE, "missing command: decrypt, genkey or genrandom");
}

int kmstool_exit_code(int rc, int legacy)
{
	if (rc == NK_OK || rc == CLI_EXIT)
		return 0;
	/* AWS's first version exit(1)s on every failure; the later one returns
	 * AWS_OP_ERR (-1) from main after a failed call: 255. */
	return rc == NK_USAGE || legacy ? 1 : 255;
}
