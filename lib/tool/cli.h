/* cli: the typed option table every tool declares once (cryptsetup's ARG()
 * table, curl's ARG_CLEAR), and everything that comes from it: popt parsing,
 * the checks of each value by its type, the storage of the values, which
 * options go with which command, --help, and the completion scripts (through
 * the hidden --completion-helper, as git's --git-completion-helper).  The
 * common options --help --version --verbose --quiet are added here once.
 * Also the process start-up and the checked flush of stdout every tool ends
 * with.
 *
 * A tool declares its options once, as an X-macro of
 *   X(ID, "long-name", 'short' or 0, TYPE modifiers..., "help")
 *
 *   #define OPTIONS(X) \
 *     X(FORMAT, "format", 'f', CHOICE("FMT", "json|env|hex"), "output format") \
 *     X(USER_PCR, "user-pcr", 0, UINT("N", 16, 31) NEEDS(EXTEND), "user PCR") \
 *     X(EXTEND, "extend", 0, LIST("HEX"), "data of one extend (repeatable)")
 *   enum { OPT_NONE, OPTIONS(CLI_ENUM) OPT_COUNT };
 *   static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };
 *
 * and reads the values through struct cli after cli_start:
 *   cli_str(&c, OPT_X) (NULL when not given), cli_num(&c, OPT_X, dflt),
 *   cli_pick(&c, OPT_X, dflt), cli_list(&c, OPT_X, &n), cli_given(&c, OPT_X),
 *   and cli_next for the values of several lists in command-line order.
 *
 * Types (the checks made before the tool sees a value):
 *   FLAG                    no value
 *   STR(ARG)                non-empty, no control characters, at most
 *                           CLI_STR_MAX bytes (STR_MAX(ARG, N): N)
 *   SECRET(ARG)             a string copied to secure memory; the argv word is
 *                           wiped and messages never show it (curl's ARG_CLEAR)
 *   UINT(ARG, MIN, MAX)     decimal, MIN to MAX
 *   CHOICE(ARG, "a|b|c")    one of the list; cli_pick gives its index
 *   FILE(ARG)               a path, non-empty; "-" is stdin (or stdout)
 *   LIST(ARG), FILES(ARG)   STR and FILE that may be given more than once
 *                           (LIST_MAX(ARG, N): each at most N bytes)
 * Modifiers, after the type:
 *   CMDS(mask)     the commands (bit i: command i of cli_tool.commands) or
 *                  modes the option goes with; 0 (default): all
 *   MODE(i)        giving this option selects mode i (policy-gen's --merge)
 *   EXCL(g)        options of the same group g (1..) exclude each other
 *   NEEDS(ID)      the option needs option ID of the same table
 *   STDIN          a FILE that reads "-" from standard input: two such options
 *                  both given "-" are refused (also across the shared tables)
 *   WRAPPED        a STR that may hold tabs and line breaks (base64 as
 *                  base64(1) wraps it); other control characters are refused
 *   COMPLETE("h")  completion hint of a STR ("file", "dir", "a|b")
 *   EMPTY_OK       a STR that may be empty (eif-build's --cmdline "")
 * Options given twice are refused unless repeatable (or the tool's last_wins
 * says the last value wins, as getopt does for kmstool_enclave_cli). */
#ifndef NK_CLI_H
#define NK_CLI_H

#include <stddef.h>

#include "util/err.h"

enum cli_type { CLI_FLAG, CLI_STR, CLI_SECRET, CLI_UINT, CLI_CHOICE, CLI_FILE };

#define CLI_STR_MAX 4096
/* The kernel's limit on one argv word (MAX_ARG_STRLEN): the cap of values
 * whose size the tool judges itself, with a better message (a hex field
 * "too long (N bytes, at most M)" is bad data, exit 3, not usage). */
#define CLI_ARG_MAX (128u * 1024)

struct cli_opt {
	int id;
	const char *name;
	char short_name;
	enum cli_type type;
	const char *arg;       /* placeholder in --help, e.g. "FILE" */
	const char *choices;   /* CHOICE: "a|b|c" */
	const char *complete;  /* completion hint (CHOICE and FILE have theirs) */
	unsigned long min, max;  /* UINT: the range; STR: max is the length cap */
	unsigned cmds;         /* commands or modes it goes with; 0: all */
	int mode;              /* MODE(i): i + 1 */
	int excl;              /* EXCL(g) */
	int needs;             /* NEEDS(ID) */
	unsigned char repeat, reads_stdin, wrapped, empty_ok;
	const char *help;
};

#define CLI_ENUM(id, ...) OPT_##id,
#define CLI_ENTRY(id_, name_, short_, spec_, help_) \
	{ .id = OPT_##id_, .name = name_, .short_name = short_, .help = help_, CLI_T_##spec_ },
#define CLI_END { 0 }

#define CLI_T_FLAG .type = CLI_FLAG
#define CLI_T_STR(a) .type = CLI_STR, .arg = a, .max = CLI_STR_MAX
#define CLI_T_STR_MAX(a, n) .type = CLI_STR, .arg = a, .max = (n)
#define CLI_T_SECRET(a) .type = CLI_SECRET, .arg = a, .max = CLI_STR_MAX
#define CLI_T_UINT(a, lo, hi) .type = CLI_UINT, .arg = a, .min = (lo), .max = (hi)
#define CLI_T_CHOICE(a, list) .type = CLI_CHOICE, .arg = a, .choices = list, .complete = list
#define CLI_T_FILE(a) .type = CLI_FILE, .arg = a, .complete = "file"
#define CLI_T_LIST(a) CLI_T_STR(a), .repeat = 1
#define CLI_T_LIST_MAX(a, n) CLI_T_STR_MAX(a, n), .repeat = 1
#define CLI_T_FILES(a) CLI_T_FILE(a), .repeat = 1
#define CMDS(mask) , .cmds = (mask)
#define MODE(i) , .mode = (i) + 1
#define EXCL(g) , .excl = (g)
#define NEEDS(id_) , .needs = OPT_##id_
#define STDIN , .reads_stdin = 1
#define WRAPPED , .wrapped = 1
#define COMPLETE(h) , .complete = h
#define EMPTY_OK , .empty_ok = 1

struct cli_tool {
	const char *name;
	const char *usage;         /* after the name: "[OPTIONS] EIF|-" */
	const char *summary;       /* one line: what the tool does */
	const char *operands;      /* completion hint for operands, or NULL */
	const struct cli_opt *opts;
	/* Shared tables spliced after opts (e.g. the KMS tools' options), NULL-ended;
	 * their ids are their own (read with cli_str_in & co). */
	const struct cli_opt *const *shared;
	int min_args, max_args;    /* operand count; max -1 = unlimited */
	/* "a|b|c": the first operand is one of these commands (nsm-pcr), or,
	 * with modes set, the modes that MODE() options select (the first is the
	 * default: policy-gen's generate|merge|check). */
	const char *commands;
	int modes;
	/* An option given again replaces its value instead of being refused
	 * (getopt's way: kmstool_enclave_cli, whose argv is AWS's). */
	int last_wins;
};

/* One option's values. */
struct cli_val {
	unsigned count;      /* how many times it was given */
	char *s;             /* the value, unless repeatable (a secret: in secure memory) */
	unsigned long num;   /* UINT: the number; CHOICE: the index */
	char **list;         /* repeatable: every value, in order */
	unsigned *at;        /* repeatable: the place of each on the command line */
};

#define CLI_TABLES_MAX 4
struct cli {
	const struct cli_tool *tool;
	const struct cli_opt *table[CLI_TABLES_MAX];  /* opts, then the shared ones */
	struct cli_val *val[CLI_TABLES_MAX];          /* val[t][id - 1] */
	int cmd;            /* the command or mode (index), -1 when none */
	char **argv;        /* operands after the command, NULL-terminated */
	int argc;
	unsigned taken;     /* option values taken so far (cli_val.at) */
};

/* --verbose and --quiet, read-only: set them with cli_set_verbosity, which
 * also tells the log sink which levels to format (cli_start does it). */
extern int cli_verbose;
extern int cli_quiet;
void cli_set_verbosity(int verbose, int quiet);

/* Start-up (fds 0-2 open, SIGPIPE ignored, umask 077, no core dumps), then
 * parsing and every check the table declares.  Returns NK_OK to go on,
 * NK_USAGE (err set) on a bad command line, or CLI_EXIT when --help,
 * --version or --completion-helper has been answered and the tool should
 * exit 0.  cli_free is needed whatever it returns. */
#define CLI_EXIT (-1)
int cli_start(const struct cli_tool *t, int argc, char **argv, struct cli *c, struct nk_err *err);
void cli_free(struct cli *c);

/* The whole main() of a tool: cli_start, run when the command line is good,
 * cli_free, cli_finish; returns the exit code. */
typedef int (*cli_run_fn)(const struct cli *c, struct nk_err *err);
int cli_main(const struct cli_tool *t, int argc, char **argv, cli_run_fn run);

/* The values of the tool's own options (opts). */
int cli_given(const struct cli *c, int id);  /* times given */
const char *cli_str(const struct cli *c, int id);  /* last value or NULL */
unsigned long cli_num(const struct cli *c, int id, unsigned long dflt);
int cli_pick(const struct cli *c, int id, int dflt);  /* CHOICE index */
char *const *cli_list(const struct cli *c, int id, size_t *n);
/* The same for the options of a shared table. */
int cli_given_in(const struct cli *c, const struct cli_opt *table, int id);
const char *cli_str_in(const struct cli *c, const struct cli_opt *table, int id);
unsigned long cli_num_in(const struct cli *c, const struct cli_opt *table, int id, unsigned long dflt);
/* The values of the repeatable options ids (0-terminated) merged in
 * command-line order, where several options fill one list (policy-gen's
 * --pcr, --pcr0, --image-sha384): start with *pos = 0; each call gives the
 * next value and returns its option's id, 0 after the last. */
int cli_next(const struct cli *c, const int *ids, unsigned *pos, const char **value);
/* The option's name, for a tool's own messages. */
const char *cli_name(const struct cli *c, int id);

/* For parsers of their own (kmstool_enclave_cli's argv is AWS's, not popt's):
 * prepare c for t without parsing, take one occurrence of o with its value
 * (checked by type as cli_start does; the argv word of a SECRET is not
 * touched here), and make the checks of the whole command line (commands,
 * modes, exclusions, needs, standard input). */
int cli_init(const struct cli_tool *t, struct cli *c, struct nk_err *err);
int cli_take(struct cli *c, const struct cli_opt *o, const char *arg, struct nk_err *err);
int cli_check(struct cli *c, struct nk_err *err);

/* The pieces of cli_start, for kmstool_enclave_cli: the process start-up
 * alone, and the --help, --version and --completion-helper answers. */
void cli_process_init(const char *name);
void cli_print_help(const struct cli_tool *t);
void cli_print_version(const struct cli_tool *t);
void cli_print_completion(const struct cli_tool *t);

/* End of every tool: print err when rc != 0, flush stdout checking for write
 * errors (a full disk is exit 4, not silent truncation).  Returns the exit code. */
int cli_finish(int rc, struct nk_err *err);

/* Strict unsigned parse for values that are not options (operands):
 * "invalid value 'x' for --name: expected MIN to MAX". */
int cli_uint(const char *s, unsigned long min, unsigned long max, const char *opt,
	     unsigned long *out, struct nk_err *err);
/* Pick one of "a|b|c"; returns its index or NK_USAGE. */
int cli_choice(const char *s, const char *choices, const char *opt, int *idx, struct nk_err *err);

/* Verbose trace on stderr (only with --verbose). */
void cli_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: message" on stderr: the one line of a failed run. */
void cli_print_err(const struct nk_err *err);
/* "prog: warning: message" on stderr, unless --quiet. */
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
