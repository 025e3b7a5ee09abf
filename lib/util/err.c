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
