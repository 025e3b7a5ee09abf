/* log: the library's narration (--verbose) and warnings, through one sink.
 *
 * The library never prints (err.h).  Where a lower layer has something to
 * tell the person watching (where it connects, how long a step took), it
 * calls log_trace or log_warn, and the tool layer decides what becomes of
 * the line: lib/tool/cli.c installs a sink that prints "prog: msg" on stderr
 * with --verbose, "prog: warning: msg" unless --quiet.  A message without a
 * sink, or of a level nobody wants (traces, until --verbose), is not even
 * formatted.  The sink and the levels are set at start-up, before any thread
 * exists. */
#ifndef NK_LOG_H
#define NK_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_TRACE,  /* narration: what --verbose shows */
	LOG_WARN,   /* something the user should know although the run goes on */
};

/* msg is one line without its newline, of a level that is wanted. */
typedef void (*log_sink_fn)(void *ctx, enum log_level level, const char *msg);

/* Install fn (NULL: none) with its context. */
void log_set_sink(log_sink_fn fn, void *ctx);
/* Whether messages of level reach the sink: warnings do, traces do not,
 * until changed. */
void log_want(enum log_level level, int on);

void log_trace(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* For wrappers that take their own arguments (cli_trace). */
void log_vmsg(enum log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#endif
