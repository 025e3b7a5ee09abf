#include "tool/cli.h"
#include "util/secmem.h"
#include "util/proc.h"

#include "util/log.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	{ .id = ID_HELP, .name = "help", .short_name = 'h', .help = "show this help and exit" },
	{ .id = ID_VERSION, .name = "version", .short_name = 'V',
	  .help = "show the versions of nitrokit and its libraries" },
	{ .id = ID_VERBOSE, .name = "verbose", .short_name = 'v', .help = "say more on stderr" },
	{ .id = ID_QUIET, .name = "quiet", .short_name = 'q', .help = "no warnings on stderr" },
	CLI_END
};

/* The library's narration and warnings (util/log.h) on stderr; which of
 * them come here is cli_set_verbosity's choice. */
static void print_log(void *ctx, enum log_level level, const char *msg)
{
	(void)ctx;
	fprintf(stderr, "%s: %s%s\n", progname, level == LOG_WARN ? "warning: " : "", msg);
}

void cli_set_verbosity(int verbose, int quiet)
{
	cli_verbose = verbose;
	cli_quiet = quiet;
	log_want(LOG_TRACE, verbose);
	log_want(LOG_WARN, !quiet);
}

void cli_process_init(const char *name)
{
	progname = name;
	log_set_sink(print_log, NULL);
	/* It fails only when fds 0-2 cannot be reopened: there is no stderr to say so. */
	if (proc_start(NULL))
		_exit(NK_IO);
}

/* --- the table --------------------------------------------------------- */

static size_t count_opts(const struct cli_opt *o)
{
	size_t n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

/* The tables of t in order: its own, then the shared ones. */
static size_t tables_of(const struct cli_tool *t, const struct cli_opt **out)
{
	size_t n = 0;

	out[n++] = t->opts;
	for (size_t i = 0; t->shared && t->shared[i] && n < CLI_TABLES_MAX; i++)
		out[n++] = t->shared[i];
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

void cli_print_help(const struct cli_tool *t)
{
	const struct cli_opt *tables[CLI_TABLES_MAX];
	size_t nt = tables_of(t, tables);

	printf("Usage: %s %s\n%s\n\nOptions:\n", t->name, t->usage, t->summary);
	for (size_t i = 0; i < nt; i++)
		for (const struct cli_opt *o = tables[i]; o && o->name; o++)
			print_opt(o);
	for (const struct cli_opt *o = common_opts; o->name; o++)
		print_opt(o);
	/* From err_codes, as man/exit-codes.scd (tests/unit/test_exit_codes.c). */
	printf("\nExit codes:");
	for (int c = 0; c < NK_EXIT_COUNT; c++)
		printf("%s%s%d %s", c ? "," : "", c == 4 ? "\n" : " ", err_codes[c].code, err_codes[c].name);
	printf(".\nSee %s(1).\n", t->name);
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
 * "operands<TAB>completion" line.  A repeatable option's argument name ends
 * in "...". */
void cli_print_completion(const struct cli_tool *t)
{
	const struct cli_opt *tables[CLI_TABLES_MAX + 1];
	size_t nt = tables_of(t, tables);

	tables[nt++] = common_opts;
	for (size_t i = 0; i < nt; i++)
		for (const struct cli_opt *o = tables[i]; o && o->name; o++)
			printf("opt\t%s\t%c\t%s%s\t%s\t%s\n", o->name, o->short_name ? o->short_name : '-',
			       o->arg ? o->arg : "-", o->repeat ? "..." : "",
			       o->complete ? o->complete : "-", o->help);
	printf("operands\t%s\n", t->operands ? t->operands : "-");
}

/* --- values ------------------------------------------------------------ */

static int table_index(const struct cli *c, const struct cli_opt *table)
{
	for (int i = 0; i < CLI_TABLES_MAX; i++)
		if (c->table[i] && c->table[i] == table)
			return i;
	return -1;
}

static struct cli_val *val_of(const struct cli *c, const struct cli_opt *o)
{
	for (int i = 0; i < CLI_TABLES_MAX && c->table[i]; i++) {
		size_t n = count_opts(c->table[i]);

		if (o >= c->table[i] && o < c->table[i] + n)
			return &c->val[i][o - c->table[i]];
	}
	return NULL;
}

static const struct cli_val *val_in(const struct cli *c, const struct cli_opt *table, int id)
{
	int t = table_index(c, table);

	if (t < 0 || id < 1 || (size_t)id > count_opts(table) || !c->val[t])
		return NULL;
	return &c->val[t][id - 1];
}

int cli_given_in(const struct cli *c, const struct cli_opt *table, int id)
{
	const struct cli_val *v = val_in(c, table, id);

	return v ? (int)v->count : 0;
}

const char *cli_str_in(const struct cli *c, const struct cli_opt *table, int id)
{
	const struct cli_val *v = val_in(c, table, id);

	if (!v || !v->count)
		return NULL;
	return v->list ? v->list[v->count - 1] : v->s;
}

unsigned long cli_num_in(const struct cli *c, const struct cli_opt *table, int id, unsigned long dflt)
{
	const struct cli_val *v = val_in(c, table, id);

	return v && v->count ? v->num : dflt;
}

int cli_given(const struct cli *c, int id)
{
	return cli_given_in(c, c->table[0], id);
}

const char *cli_str(const struct cli *c, int id)
{
	return cli_str_in(c, c->table[0], id);
}

unsigned long cli_num(const struct cli *c, int id, unsigned long dflt)
{
	return cli_num_in(c, c->table[0], id, dflt);
}

int cli_pick(const struct cli *c, int id, int dflt)
{
	return (int)cli_num_in(c, c->table[0], id, (unsigned long)dflt);
}

char *const *cli_list(const struct cli *c, int id, size_t *n)
{
	const struct cli_val *v = val_in(c, c->table[0], id);

	*n = v && v->list ? v->count : 0;
	return *n ? v->list : NULL;
}

int cli_next(const struct cli *c, const int *ids, unsigned *pos, const char **value)
{
	const struct cli_val *best = NULL;
	unsigned at = 0;
	size_t k = 0;
	int id = 0;

	for (; *ids; ids++) {
		const struct cli_val *v = val_in(c, c->table[0], *ids);

		for (size_t i = 0; v && v->at && i < v->count; i++)
			if (v->at[i] >= *pos && (!best || v->at[i] < at)) {
				best = v;
				at = v->at[i];
				k = i;
				id = *ids;
			}
	}
	if (!best)
		return 0;
	*pos = at + 1;
	*value = best->list[k];
	return id;
}

const char *cli_name(const struct cli *c, int id)
{
	return id >= 1 && (size_t)id <= count_opts(c->table[0]) ? c->table[0][id - 1].name : "?";
}

int cli_init(const struct cli_tool *t, struct cli *c, struct nk_err *err)
{
	const struct cli_opt *tables[CLI_TABLES_MAX];
	size_t nt = tables_of(t, tables);

	memset(c, 0, sizeof *c);
	c->tool = t;
	c->cmd = t->modes ? 0 : -1;
	for (size_t i = 0; i < nt; i++) {
		size_t n = count_opts(tables[i]);

		c->table[i] = tables[i];
		if (!(c->val[i] = calloc(n + 1, sizeof *c->val[i])))
			return err_set(err, NK_IO, "out of memory");
	}
	return NK_OK;
}

static void val_free(const struct cli_opt *o, struct cli_val *v)
{
	if (o->type == CLI_SECRET && v->s)
		secmem_release(v->s, strlen(v->s) + 1);
	else
		free(v->s);
	for (unsigned i = 0; v->list && i < v->count; i++)
		free(v->list[i]);
	free(v->list);
	free(v->at);
	memset(v, 0, sizeof *v);
}

void cli_free(struct cli *c)
{
	for (int i = 0; i < CLI_TABLES_MAX && c->table[i]; i++) {
		for (size_t j = 0; c->val[i] && c->table[i][j].name; j++)
			val_free(&c->table[i][j], &c->val[i][j]);
		free(c->val[i]);
	}
	for (int i = 0; c->argv && i < c->argc; i++)
		free(c->argv[i]);
	free(c->argv);
	memset(c, 0, sizeof *c);
	c->cmd = -1;
}

/* A string value's checks: not empty, no control characters (they would
 * reach messages and headers raw), not longer than the cap. */
static int check_str(const struct cli_opt *o, const char *arg, struct nk_err *err)
{
	size_t len = strlen(arg);

	if (len == 0 && !o->empty_ok)
		return err_set(err, NK_USAGE, "--%s must not be empty", o->name);
	if (o->type == CLI_FILE)
		return len < PATH_MAX ? NK_OK
			: err_set(err, NK_USAGE, "--%s is longer than %d bytes", o->name, PATH_MAX - 1);
	if (len > o->max)
		return err_set(err, NK_USAGE, "--%s is longer than %lu bytes", o->name, o->max);
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)arg[i] < 0x20 || arg[i] == 0x7f) &&
		    !(o->wrapped && (arg[i] == '\t' || arg[i] == '\n' || arg[i] == '\r'))) {
			/* Of a secret not even where, nor which byte. */
			if (o->type == CLI_SECRET)
				return err_set(err, NK_USAGE, "--%s must not contain control characters", o->name);
			return err_set(err, NK_USAGE, "--%s must not contain control characters "
				       "(byte %zu is 0x%02x)", o->name, i + 1, (unsigned char)arg[i]);
		}
	return NK_OK;
}

static char *dup_value(const struct cli_opt *o, const char *arg)
{
	size_t n = strlen(arg) + 1;
	char *s = o->type == CLI_SECRET ? secmem_alloc(n) : malloc(n);

	if (s)
		memcpy(s, arg, n);
	return s;
}

/* A repeatable option's value appended to its list, with its place on the
 * command line (cli_next); the last one is its cli_str. */
static int add_to_list(struct cli *c, struct cli_val *v, const char *arg, struct nk_err *err)
{
	char **l = realloc(v->list, (v->count + 2) * sizeof *l);
	unsigned *at = l ? realloc(v->at, (v->count + 1) * sizeof *at) : NULL;
	char *copy = strdup(arg);

	if (l)
		v->list = l;
	if (at)
		v->at = at;
	if (!l || !at || !copy) {
		free(copy);
		return err_set(err, NK_IO, "out of memory");
	}
	l[v->count] = copy;
	l[v->count + 1] = NULL;
	at[v->count++] = c->taken++;
	return NK_OK;
}

int cli_take(struct cli *c, const struct cli_opt *o, const char *arg, struct nk_err *err)
{
	struct cli_val *v = val_of(c, o);
	unsigned long num = 0;
	int idx, rc;
	char *s;

	if (!v)
		return err_set(err, NK_USAGE, "unknown option '--%s'", o->name);
	if (v->count && !o->repeat && !c->tool->last_wins)
		return err_set(err, NK_USAGE, "option '--%s' given more than once", o->name);
	if (o->type == CLI_FLAG) {
		v->count++;
		return NK_OK;
	}
	if (!arg)
		return err_set(err, NK_USAGE, "option '--%s' needs a value", o->name);
	switch (o->type) {
	case CLI_UINT:
		if ((rc = cli_uint(arg, o->min, o->max, o->name, &num, err)))
			return rc;
		break;
	case CLI_CHOICE:
		if ((rc = cli_choice(arg, o->choices, o->name, &idx, err)))
			return rc;
		num = (unsigned long)idx;
		break;
	default:
		if ((rc = check_str(o, arg, err)))
			return rc;
	}
	if (o->repeat)
		return add_to_list(c, v, arg, err);
	if (!(s = dup_value(o, arg)))
		return err_set(err, NK_IO, "out of memory");
	val_free(o, &(struct cli_val){ .s = v->s });
	v->s = s;
	v->num = num;
	v->count++;
	return NK_OK;
}

/* --- the command line as a whole ----------------------------------------- */

/* Word i of "a|b|c" into out. */
static const char *word(const char *list, int i, char *out, size_t size)
{
	const char *p = list;

	for (; i > 0 && p; i--)
		if ((p = strchr(p, '|')))
			p++;
	if (!p)
		return "?";
	snprintf(out, size, "%.*s", (int)(strchr(p, '|') ? (size_t)(strchr(p, '|') - p) : strlen(p)), p);
	return out;
}

static int count_words(const char *list)
{
	int n = 1;

	for (const char *p = list; *p; p++)
		n += *p == '|';
	return n;
}

/* "a, b or c" from the words of list whose bit is set in mask (all: ~0u). */
static void join_words(const char *list, unsigned mask, const char *last, char *out, size_t size)
{
	int n = count_words(list), total = 0, k = 0;
	char w[64];
	size_t used = 0;

	for (int i = 0; i < n; i++)
		total += (int)(mask >> i & 1);
	out[0] = 0;
	for (int i = 0; i < n && used < size; i++) {
		if (!(mask >> i & 1))
			continue;
		used += (size_t)snprintf(out + used, size - used, "%s%s", k == 0 ? "" : k == total - 1 ? last : ", ",
					 word(list, i, w, sizeof w));
		k++;
	}
}

/* The first operand as the command (nsm-pcr, kmstool_enclave_cli). */
static int take_command(struct cli *c, struct nk_err *err)
{
	const struct cli_tool *t = c->tool;
	char expected[256];

	join_words(t->commands, ~0u, " or ", expected, sizeof expected);
	if (c->argc == 0)
		return err_set(err, NK_USAGE, "missing command (expected %s)", expected);
	if (cli_choice(c->argv[0], t->commands, "", &c->cmd, NULL))
		return err_set(err, NK_USAGE, "unknown command '%s' (expected %s)", c->argv[0], expected);
	free(c->argv[0]);
	memmove(c->argv, c->argv + 1, (size_t)c->argc * sizeof *c->argv);
	c->argc--;
	return NK_OK;
}

/* The option of table 0 that selects mode m, or NULL. */
static const struct cli_opt *mode_opt(const struct cli *c, int m)
{
	for (const struct cli_opt *o = c->table[0]; o->name; o++)
		if (o->mode == m + 1)
			return o;
	return NULL;
}

static int take_mode(struct cli *c, struct nk_err *err)
{
	const struct cli_opt *first = NULL;

	for (const struct cli_opt *o = c->table[0]; o->name; o++) {
		if (!o->mode || !val_of(c, o)->count)
			continue;
		if (first)
			return err_set(err, NK_USAGE, "--%s does not go with --%s", first->name, o->name);
		first = o;
		c->cmd = o->mode - 1;
	}
	return NK_OK;
}

/* An option given outside the commands or modes it goes with. */
static int check_cmds(const struct cli *c, const struct cli_opt *o, struct nk_err *err)
{
	const struct cli_opt *sel;
	char allowed[256];

	if (!o->cmds || c->cmd < 0 || (o->cmds >> c->cmd & 1))
		return NK_OK;
	if (!c->tool->modes) {
		join_words(c->tool->commands, o->cmds, " and ", allowed, sizeof allowed);
		return err_set(err, NK_USAGE, "--%s is for %s only", o->name, allowed);
	}
	if ((sel = mode_opt(c, c->cmd)))
		return err_set(err, NK_USAGE, "--%s does not go with --%s", o->name, sel->name);
	/* The default mode: name an option that selects one the option goes with. */
	for (int m = 0; m < 32; m++)
		if (o->cmds >> m & 1 && (sel = mode_opt(c, m)))
			return err_set(err, NK_USAGE, "--%s needs --%s", o->name, sel->name);
	return err_set(err, NK_USAGE, "--%s cannot be used here", o->name);
}

/* in: the option that reads standard input so far, across the tables. */
static int check_pairs(const struct cli *c, const struct cli_opt *table, const struct cli_opt **in,
		       struct nk_err *err)
{
	for (const struct cli_opt *o = table; o->name; o++) {
		const struct cli_val *v = val_of(c, o);

		if (!v->count)
			continue;
		if (o->needs && !val_of(c, &table[o->needs - 1])->count)
			return err_set(err, NK_USAGE, "--%s needs --%s", o->name, table[o->needs - 1].name);
		for (const struct cli_opt *p = table; o->excl && p < o; p++)
			if (p->excl == o->excl && val_of(c, p)->count)
				return err_set(err, NK_USAGE, "--%s and --%s cannot be used together",
					       p->name, o->name);
		if (o->reads_stdin && v->s && strcmp(v->s, "-") == 0) {
			if (*in)
				return err_set(err, NK_USAGE, "--%s and --%s cannot both read standard input",
					       (*in)->name, o->name);
			*in = o;
		}
	}
	return NK_OK;
}

int cli_check(struct cli *c, struct nk_err *err)
{
	const struct cli_tool *t = c->tool;
	const struct cli_opt *in = NULL;
	int rc;

	if (t->commands && !t->modes && (rc = take_command(c, err)))
		return rc;
	if (t->modes && (rc = take_mode(c, err)))
		return rc;
	for (int i = 0; i < CLI_TABLES_MAX && c->table[i]; i++)
		for (const struct cli_opt *o = c->table[i]; o->name; o++)
			if (val_of(c, o)->count && (rc = check_cmds(c, o, err)))
				return rc;
	for (int i = 0; i < CLI_TABLES_MAX && c->table[i]; i++)
		if ((rc = check_pairs(c, c->table[i], &in, err)))
			return rc;
	if (c->argc < t->min_args)
		return err_set(err, NK_USAGE, "missing operand (usage: %s %s)", t->name, t->usage);
	if (t->max_args >= 0 && c->argc > t->max_args)
		return err_set(err, NK_USAGE, "unexpected operand '%s' (usage: %s %s)",
			       c->argv[t->max_args], t->name, t->usage);
	return NK_OK;
}

/* --- popt ---------------------------------------------------------------- */

/* popt's val for option id of table t (common options have theirs). */
#define POPT_VAL(t, id) ((t) * 1000 + (id))

static void fill_popt(struct poptOption *p, const struct cli_opt *o, int val)
{
	memset(p, 0, sizeof *p);
	p->longName = o->name;
	p->shortName = o->short_name;
	p->argInfo = o->type == CLI_FLAG ? POPT_ARG_NONE : POPT_ARG_STRING;
	p->val = val;
	p->descrip = o->help;
	p->argDescrip = o->arg;
}

static int copy_operands(struct cli *c, poptContext con, struct nk_err *err)
{
	const char **left = poptGetArgs(con);

	while (left && left[c->argc])
		c->argc++;
	if (!(c->argv = calloc((size_t)c->argc + 1, sizeof *c->argv)))
		return err_set(err, NK_IO, "out of memory");
	for (int i = 0; i < c->argc; i++)
		if (!(c->argv[i] = strdup(left[i])))
			return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

int cli_start(const struct cli_tool *t, int argc, char **argv, struct cli *c, struct nk_err *err)
{
	struct poptOption *table = NULL;
	poptContext con = NULL;
	size_t n = 0, k = 0;
	int rc, opt;

	cli_process_init(t->name);
	if ((rc = cli_init(t, c, err)))
		return rc;
	for (int i = 0; i < CLI_TABLES_MAX && c->table[i]; i++)
		n += count_opts(c->table[i]);
	if (!(table = calloc(n + 8, sizeof *table)))
		return err_set(err, NK_IO, "out of memory");
	for (int i = 0; i < CLI_TABLES_MAX && c->table[i]; i++)
		for (const struct cli_opt *o = c->table[i]; o->name; o++)
			fill_popt(&table[k++], o, POPT_VAL(i, o->id));
	for (const struct cli_opt *o = common_opts; o->name; o++)
		fill_popt(&table[k++], o, o->id);
	table[k].longName = "completion-helper";
	table[k].argInfo = POPT_ARG_NONE | POPT_ARGFLAG_DOC_HIDDEN;
	table[k].val = ID_COMPLETION;

	con = poptGetContext(t->name, argc, (const char **)argv, table, 0);
	while (rc == NK_OK && (opt = poptGetNextOpt(con)) > 0) {
		char *arg = poptGetOptArg(con);

		switch (opt) {
		case ID_HELP:
			cli_print_help(t);
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
			cli_set_verbosity(1, cli_quiet);
			break;
		case ID_QUIET:
			cli_set_verbosity(cli_verbose, 1);
			break;
		default:
			rc = cli_take(c, &c->table[opt / 1000][opt % 1000 - 1], arg, err);
		}
		if (arg)
			secmem_wipe(arg, strlen(arg));
		free(arg);
	}
	if (rc == NK_OK && opt < -1)
		rc = err_set(err, NK_USAGE, "%s '%s' (see '%s --help')", poptStrerror(opt),
			     poptBadOption(con, POPT_BADOPTION_NOALIAS), t->name);
	if (rc == NK_OK)
		rc = copy_operands(c, con, err);
	if (rc == NK_OK)
		rc = cli_check(c, err);
	poptFreeContext(con);
	free(table);
	return rc;
}

int cli_main(const struct cli_tool *t, int argc, char **argv, cli_run_fn run)
{
	struct cli c;
	struct nk_err err = { 0 };
	int rc = cli_start(t, argc, argv, &c, &err);

	if (rc == NK_OK)
		rc = run(&c, &err);
	cli_free(&c);
	return cli_finish(rc, &err);
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
