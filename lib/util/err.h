/* err: the frozen exit codes of DESIGN §3 and a one-line error value.
 *
 * Library functions never print or exit: they fill a struct nk_err and return
 * its code; the tool prints it once as "tool: message" (cli_finish in
 * lib/tool/cli.c).  Narration and warnings go through util/log.h. */
#ifndef NK_ERR_H
#define NK_ERR_H

#include <stdarg.h>

/* Frozen: documented in every man page (man/exit-codes.scd). */
enum nk_exit {
	NK_OK = 0,        /* success */
	NK_NEGATIVE = 1,  /* negative verdict: verification failed, mismatch, denied */
	NK_USAGE = 2,     /* bad command line */
	NK_DATA = 3,      /* bad input data: malformed, truncated, oversized */
	NK_IO = 4,        /* local I/O or system error */
	NK_REMOTE = 5,    /* the KMS or the NSM answered with an error */
	NK_TRANSPORT = 6, /* transport failure after retries */
};

struct nk_err {
	int code;       /* an enum nk_exit value; NK_OK when nothing failed */
	char msg[512];  /* lowercase, no final period */
};

/* Set err (when not NULL) and return code.  A format ending in ':' gets
 * ": strerror(errno)" appended, as sbase's eprintf does. */
int err_set(struct nk_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int err_vset(struct nk_err *err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* Like err_set, then appends ": " and the first OpenSSL error (and clears the queue). */
int err_set_ssl(struct nk_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix an existing message: "what: old message".  Returns err->code. */
int err_prefix(struct nk_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void err_clear(struct nk_err *err);

/* The exit-code table of DESIGN §3, the one source for the help text and the
 * man page: one row per enum nk_exit value, in order (err_codes[c].code == c).
 * man/exit-codes.scd lists exactly these codes and meanings, and every tool's
 * --help names them (tests/unit/test_exit_codes.c checks both). */
#define NK_EXIT_COUNT 7

struct err_code {
	int code;             /* an enum nk_exit value */
	const char *name;     /* a few words, for --help: "bad input data" */
	const char *meaning;  /* one line, for the man page */
};

extern const struct err_code err_codes[NK_EXIT_COUNT];

#endif
