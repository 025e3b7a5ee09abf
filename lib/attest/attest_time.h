/* attest_time: the RFC 3339 times of attest-verify, in milliseconds since
 * the epoch (UTC), the unit of a document's timestamp. */
#ifndef NK_ATTEST_TIME_H
#define NK_ATTEST_TIME_H

#include <stdint.h>

#include "util/err.h"

/* 9999-12-31T23:59:59.999Z: RFC 3339 has four-digit years, so a document
 * dated later cannot be shown and is refused. */
#define ATTEST_TIME_MAX_MS 253402300799999LL

/* "now" is not parsed here; "2022-10-12T13:50:06Z", fractional seconds and
 * +HH:MM offsets allowed.  NK_USAGE otherwise. */
int attest_parse_time(const char *s, int64_t *ms, struct nk_err *err);
/* RFC 3339 UTC with milliseconds: out must hold 32 bytes. */
void attest_format_time(int64_t ms, char *out);

#endif
