/* out: what the tools print on standard output: JSON documents and
 * measurements.  The layers below build the values (json_t, struct meas)
 * and their text; only the tool layer writes them, through stdio, whose
 * errors cli_finish turns into exit 4. */
#ifndef NK_OUT_H
#define NK_OUT_H

#include <jansson.h>

#include "util/err.h"
#include "eif/meas.h"

/* 2-space pretty JSON in insertion order, and a newline. */
int out_json(const json_t *j, struct nk_err *err);
/* Measurements in one of pcr-compute's formats (meas_render). */
int out_meas(const struct meas *m, enum meas_format fmt, struct nk_err *err);

#endif
