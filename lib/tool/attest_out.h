/* attest_out: attest-verify's --format text, the output object of
 * attest_to_json as "key: value" lines. */
#ifndef NK_ATTEST_OUT_H
#define NK_ATTEST_OUT_H

#include <stdio.h>
#include <jansson.h>

#include "util/err.h"

/* One line per scalar ("module_id: ..."), per member of an object
 * ("certificate.subject: ...", "PCR3: ..." for pcrs.3) and per element of
 * an array ("cabundle[0]: ..."); "checks" on one line, comma-separated.  A
 * write error on f is NK_IO. */
int attest_out_text(const json_t *j, FILE *f, struct nk_err *err);

#endif
