#include "tool/cli.h"
#include "util/secmem.h"
#include "util/io.h"

#include "util/jsonx.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cbor.h>
#include <curl/curl.h>
/* Weak: only the tools that talk to KMS link libcurl (the Makefile links with
 * --as-needed); --version of the others says so instead of loading it. */
#pragma weak curl_version_info
#include <jansson.h>
#include <openssl/crypto.h>
#include <popt.h>

int cli_verbose;
int cli_quiet;
static const char *progname = "nitrokit";

enum { ID_HELP = 10000, ID_VERSION, ID_VERBOSE, ID_QUIET, ID_COMPLETION };

static const struct cli_opt common_opts[] = {
	{ "help", 'h', CLI_FLAG, NULL, NULL, "show this help and exit", ID_HELP },
	{ "version", 'V', CLI_FLAG, NULL, NULL, "show the versions of nitrokit and its libraries", ID_VERSION },
	{ "verbose", 'v', CLI_FLAG, NULL, NULL, "say more on stderr", ID_VERBOSE },
	{ "quiet", 'q', CLI_FLAG, NULL, NULL, "no warnings on stderr", ID_QUIET },
	CLI_END
};

/* Keep fds 0-2 open so a file we open never lands on them (curl's main does the same). */
static void keep_std_fds(void)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) < 0)
				_exit(NK_IO);
}

/* The library's narration and warnings (util/log.h) on stderr.  Installed
 * at start-up and deciding per line: kmstool_enclave_cli sets cli_verbose
 * after its own parser has run. */
static void print_log(void *ctx, enum log_level level, const char *msg)
{
	(void)ctx;
	if (level == LOG_TRACE ? !cli_verbose : cli_quiet)
		return;
	fprintf(stderr, "%s: %s%s\n", progname, level == LOG_WARN ? "warning: " : "", msg);
}

void cli_process_init(const char *name)
{
	struct rlimit no_core = { 0, 0 };

	/* First, before OpenSSL allocates anything. */
	(void)secmem_wipe_library_frees();
	progname = name;
	log_set_sink(print_log, NULL);
	keep_std_fds();
	signal(SIGPIPE, SIG_IGN);
	io_cleanup_install();
	umask(077);
	/* Secrets pass through our memory: no core files, and no ptrace by peers. */
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	jsonx_wipe_on_free();
}

static size_t count_opts(const struct cli_opt *o)
{
	size_t n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

static void print_opt(const struct cli_opt *o)
{
	char left[64];
	int n;

	if (o->short_name)
		n = snprintf(left, sizeof left, "  -%c, --%s", o->short_name, o->name);
	else
		n = snprintf(left, sizeof left, "      --%s", o->name);
	if (o->arg && n > 0 && (size_t)n < sizeof left)
		snprintf(left + n, sizeof left - (size_t)n, " %s", o->arg);
	if (strlen(left) > 27)
		printf("%s\n%-29s%s\n", left, "", o->help);
	else
		printf("%-29s%s\n", left, o->help);
}

static void print_help(const struct cli_tool *t)
{
	printf("Usage: %s %s\n%s\n\nOptions:\n", t->name, t->usage, t->summary);
	for (const struct cli_opt *o = t->opts; o && o->name; o++)
		print_opt(o);
	for (const struct cli_opt *o = common_opts; o->name; o++)
		print_opt(o);
	printf("\nExit codes: 0 ok, 1 negative verdict, 2 usage, 3 bad input data,\n"
	       "4 local I/O error, 5 refused by KMS or NSM, 6 transport failure.\n"
	       "See %s(1).\n", t->name);
}

void cli_print_version(const struct cli_tool *t)
{
	const curl_version_info_data *cv = curl_version_info ? curl_version_info(CURLVERSION_NOW) : NULL;

	printf("%s (nitrokit) %s\n", t->name, NK_VERSION);
	printf("%s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("libcurl %s\n", cv ? cv->version : "not linked (this tool makes no HTTP calls)");
	printf("libcbor %d.%d.%d\n", CBOR_MAJOR_VERSION, CBOR_MINOR_VERSION, CBOR_PATCH_VERSION);
	printf("jansson %s\n", JANSSON_VERSION);
}

/* Machine-readable option table for scripts/gen-completions.sh:
 * "opt<TAB>long<TAB>short<TAB>argname[...]<TAB>completion<TAB>help" and one
 * "operands<TAB>completion" line. */
void cli_print_completion(const struct cli_tool *t)
{
	const struct cli_opt *lists[] = { t->opts, common_opts };

	/* A repeatable option's argument name ends in "...". */
	for (size_t l = 0; l < 2; l++)
		for (const struct cli_opt *o = lists[l]; o && o->name; o++)
			printf("opt\t%s\t%c\t%s%s\t%s\t%s\n", o->name, o->short_name ? o->short_name : '-',
			       o->arg ? o->arg : "-", o->type == CLI_LIST ? "..." : "",
			       o->complete ? o->complete : "-", o->help);
	printf("operands\t%s\n", t->operands ? t->operands : "-");
}

static void fill_popt(struct poptOption *p, const struct cli_opt *o)
{
	memset(p, 0, sizeof *p);
	p->longName = o->name;
	p->shortName = o->short_name;
	p->argInfo = o->type == CLI_FLAG ? POPT_ARG_NONE : POPT_ARG_STRING;
	p->val = o->id;
	p->descrip = o->help;
	p->argDescrip = o->arg;
}

int cli_start(const struct cli_tool *t, int argc, char **argv, cli_opt_fn fn, void *ctx,
	      struct cli_args *args, struct nk_err *err)
{
	size_t n = count_opts(t->opts), k = 0;
	struct poptOption *table = calloc(n + 8, sizeof *table);
	unsigned seen_once[64] = { 0 };
	poptContext con = NULL;
	const char **left;
	int rc = NK_OK, c;

	cli_process_init(t->name);
	memset(args, 0, sizeof *args);
	if (!table)
		return err_set(err, NK_IO, "out of memory");
	for (size_t i = 0; i < n; i++)
		fill_popt(&table[k++], &t->opts[i]);
	for (const struct cli_opt *o = common_opts; o->name; o++)
		fill_popt(&table[k++], o);
	table[k].longName = "completion-helper";
	table[k].argInfo = POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN;
	table[k].val = ID_COMPLETION;

	con = poptGetContext(t->name, argc, (const char **)argv, table, 0);
	while ((c = poptGetNextOpt(con)) > 0) {
		char *arg = poptGetOptArg(con);

		switch (c) {
		case ID_HELP:
			print_help(t);
			rc = CLI_EXIT;
			break;
		case ID_VERSION:
			cli_print_version(t);
			rc = CLI_EXIT;
			break;
		case ID_COMPLETION:
			cli_print_completion(t);
			rc = CLI_EXIT;
			break;
		case ID_VERBOSE:
			cli_verbose = 1;
			break;
		case ID_QUIET:
			cli_quiet = 1;
			break;
		default:
			for (size_t i = 0; i < n; i++) {
				if (t->opts[i].id != c)
					continue;
				if (t->opts[i].type != CLI_LIST && c < 64 * 32 &&
				    (seen_once[c / 32] >> (c % 32) & 1)) {
					rc = err_set(err, NK_USAGE, "option '--%s' given more than once",
						     t->opts[i].name);
					break;
				}
				if (c < 64 * 32)
					seen_once[c / 32] |= 1u << (c % 32);
				rc = fn(ctx, c, arg, err);
			}
		}
		free(arg);
		if (rc)
			goto out;
	}
	if (c < -1) {
		rc = err_set(err, NK_USAGE, "%s '%s' (see '%s --help')", poptStrerror(c),
			     poptBadOption(con, POPT_BADOPTION_NOALIAS), t->name);
		goto out;
	}
	left = poptGetArgs(con);
	while (left && left[args->n])
		args->n++;
	args->v = calloc((size_t)args->n + 1, sizeof *args->v);
	if (!args->v) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	for (int i = 0; i < args->n; i++)
		if (!(args->v[i] = strdup(left[i]))) {
			rc = err_set(err, NK_IO, "out of memory");
			goto out;
		}
	if (args->n < t->min_args)
		rc = err_set(err, NK_USAGE, "missing operand (usage: %s %s)", t->name, t->usage);
	else if (t->max_args >= 0 && args->n > t->max_args)
		rc = err_set(err, NK_USAGE, "unexpected operand '%s' (usage: %s %s)",
			     args->v[t->max_args], t->name, t->usage);
out:
	poptFreeContext(con);
	free(table);
	if (rc && rc != CLI_EXIT)
		cli_args_free(args);
	return rc;
}

void cli_args_free(struct cli_args *args)
{
	for (int i = 0; args->v && i < args->n; i++)
		free(args->v[i]);
	free(args->v);
	args->v = NULL;
	args->n = 0;
}

int cli_finish(int rc, struct nk_err *err)
{
	if (rc == CLI_EXIT)
		rc = NK_OK;
	if (rc != NK_OK)
		cli_print_err(err);
	/* A write error on stdout is an error even after success (sbase's fshut). */
	if (fflush(stdout) == EOF || ferror(stdout) || fclose(stdout) == EOF) {
		if (rc == NK_OK) {
			struct nk_err e;

			err_set(&e, NK_IO, "write error on standard output:");
			cli_print_err(&e);
			rc = NK_IO;
		}
	}
	return rc;
}

int cli_uint(const char *s, unsigned long min, unsigned long max, const char *opt,
	     unsigned long *out, struct nk_err *err)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || s[0] == '-' || v < min || v > max)
		return err_set(err, NK_USAGE, "invalid value '%s' for --%s: expected %lu to %lu",
			       s, opt, min, max);
	*out = v;
	return NK_OK;
}

int cli_choice(const char *s, const char *choices, const char *opt, int *idx, struct nk_err *err)
{
	size_t len = strlen(s);
	const char *p = choices;

	for (int i = 0; *p; i++) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);

		if (n == len && strncmp(p, s, n) == 0) {
			*idx = i;
			return NK_OK;
		}
		if (!bar)
			break;
		p = bar + 1;
	}
	return err_set(err, NK_USAGE, "invalid value '%s' for --%s: expected one of %s", s, opt, choices);
}

void cli_trace(const char *fmt, ...)
{
	va_list ap;

	if (!cli_verbose)
		return;
	va_start(ap, fmt);
	log_vmsg(LOG_TRACE, fmt, ap);
	va_end(ap);
}

void cli_print_err(const struct nk_err *err)
{
	fprintf(stderr, "%s: %s\n", progname, err->msg[0] ? err->msg : "unknown error");
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_WARN, fmt, ap);
	va_end(ap);
}
