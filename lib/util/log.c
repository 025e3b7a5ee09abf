/* log: see log.h. */
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>

static log_sink_fn sink;
static void *sink_ctx;
static unsigned wanted = 1u << LOG_WARN;

void log_set_sink(log_sink_fn fn, void *ctx)
{
	sink = fn;
	sink_ctx = ctx;
}

void log_want(enum log_level level, int on)
{
	if (on)
		wanted |= 1u << level;
	else
		wanted &= ~(1u << level);
}

void log_vmsg(enum log_level level, const char *fmt, va_list ap)
{
	char buf[1024], *big = NULL;
	va_list again;
	int n;

	if (!sink || !(wanted >> level & 1))
		return;
	/* Most lines fit the stack; a long path or URL gets the heap rather
	 * than being cut. */
	va_copy(again, ap);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	if (n >= (int)sizeof buf && vasprintf(&big, fmt, again) < 0)
		big = NULL;
	va_end(again);
	if (n < 0)
		return;
	sink(sink_ctx, level, big ? big : buf);
	free(big);
}

void log_trace(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_TRACE, fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_WARN, fmt, ap);
	va_end(ap);
}
