#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>

int err_vset(struct nk_err *err, int code, const char *fmt, va_list ap)
{
	int saved = errno;
	size_t n;

	if (!err)
		return code;
	err->code = code;
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	n = strlen(err->msg);
	if (n && err->msg[n - 1] == ':')
		snprintf(err->msg + n, sizeof err->msg - n, " %s", strerror(saved));
	errno = saved;
	return code;
}

int err_set(struct nk_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int err_set_ssl(struct nk_err *err, int code, const char *fmt, ...)
{
	unsigned long e = ERR_get_error();
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	err_vset(err, code, fmt, ap);
	va_end(ap);
	if (err && e) {
		ERR_error_string_n(e, buf, sizeof buf);
		n = strlen(err->msg);
		snprintf(err->msg + n, sizeof err->msg - n, ": %s", buf);
	}
	ERR_clear_error();
	return code;
}

int err_prefix(struct nk_err *err, const char *fmt, ...)
{
	char head[256], old[sizeof err->msg];
	va_list ap;

	if (!err)
		return NK_OK;
	va_start(ap, fmt);
	vsnprintf(head, sizeof head, fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof old);
	snprintf(err->msg, sizeof err->msg, "%s: %s", head, old);
	return err->code;
}

void err_clear(struct nk_err *err)
{
	if (err) {
		err->code = NK_OK;
		err->msg[0] = '\0';
	}
}

/* Worded for readers of --help (name) and of the man page (meaning); the
 * numbers are frozen. */
const struct err_code err_codes[NK_EXIT_COUNT] = {
	{ NK_OK, "ok", "success" },
	{ NK_NEGATIVE, "negative verdict",
	  "negative verdict: a verification failed, values do not match, a policy denies" },
	{ NK_USAGE, "usage", "usage: a bad or missing option or operand" },
	{ NK_DATA, "bad input data", "bad input data: malformed, truncated or oversized input" },
	{ NK_IO, "local I/O error", "local I/O or system error (a missing file, a full disk)" },
	{ NK_REMOTE, "refused by KMS or NSM", "the remote end refused: KMS or the NSM returned an error" },
	{ NK_TRANSPORT, "transport failure",
	  "transport failure after retries: connect, TLS, timeout, throttling" },
};
