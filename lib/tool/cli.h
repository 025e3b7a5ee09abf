/* cli: one option table per tool feeds popt, --help and the completion
 * scripts (through the hidden --completion-helper, as git's
 * --git-completion-helper); the common options --help --version --verbose
 * --quiet are added here once.  Also the process start-up and the checked
 * flush of stdout every tool ends with.
 *
 * A tool declares its options once, as an X-macro:
 *
 *   #define OPTIONS(X) \
 *     X(FORMAT, "format", 'f', STR, "FMT", "json|env|hex", "output format") \
 *     X(DESCRIBE, "describe", 0, FLAG, NULL, NULL, "print describe-eif's fields")
 *   enum { OPT_NONE, OPTIONS(CLI_ENUM) };
 *   static const struct cli_opt opts[] = { OPTIONS(CLI_ENTRY) CLI_END };
 *
 * The completion hint is NULL, "file", "dir", or choices "a|b|c".
 * REPEATABLE options (types LIST) may be given more than once. */
#ifndef NK_CLI_H
#define NK_CLI_H

#include "util/err.h"

enum cli_type { CLI_FLAG, CLI_STR, CLI_LIST };

struct cli_opt {
	const char *name;
	char short_name;
	enum cli_type type;
	const char *arg;       /* placeholder in --help, e.g. "FILE" */
	const char *complete;  /* completion hint, see above */
	const char *help;
	int id;
};

#define CLI_ENUM(id, ...) OPT_##id,
#define CLI_ENTRY(id, name, sh, type, arg, complete, help) \
	{ name, sh, CLI_##type, arg, complete, help, OPT_##id },
#define CLI_END { 0, 0, 0, 0, 0, 0, 0 }

struct cli_tool {
	const char *name;
	const char *usage;         /* after the name: "[OPTIONS] EIF|-" */
	const char *summary;       /* one line: what the tool does */
	const char *operands;      /* completion hint for operands, or NULL */
	const struct cli_opt *opts;
	int min_args, max_args;    /* operand count; max -1 = unlimited */
};

/* Called once per option occurrence, in command-line order. */
typedef int (*cli_opt_fn)(void *ctx, int id, const char *arg, struct nk_err *err);

struct cli_args {
	char **v;   /* operands, NULL-terminated */
	int n;
};

extern int cli_verbose;
extern int cli_quiet;    /* --quiet: no warnings */

/* Start-up (fds 0-2 open, SIGPIPE ignored, umask 077, no core dumps), then
 * option parsing.  Returns NK_OK to go on, NK_USAGE (err set) on a bad
 * command line, or CLI_EXIT when --help, --version or --completion-helper
 * has been answered and the tool should exit 0. */
#define CLI_EXIT (-1)
int cli_start(const struct cli_tool *t, int argc, char **argv, cli_opt_fn fn, void *ctx,
	      struct cli_args *args, struct nk_err *err);
void cli_args_free(struct cli_args *args);

/* The pieces of cli_start, for kmstool_enclave_cli, whose command line is
 * AWS's and not popt's: the process start-up alone, and the --version and
 * --completion-helper answers. */
void cli_process_init(const char *name);
void cli_print_version(const struct cli_tool *t);
void cli_print_completion(const struct cli_tool *t);

/* End of every tool: print err when rc != 0, flush stdout checking for write
 * errors (a full disk is exit 4, not silent truncation).  Returns the exit code. */
int cli_finish(int rc, struct nk_err *err);

/* Strict unsigned parse for option values: "invalid value 'x' for --name: ..." */
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
