/* out: see out.h. */
#include "tool/out.h"

#include <stdio.h>
#include <stdlib.h>

#include "util/jsonx.h"

static int put(char *text, struct nk_err *err)
{
	int rc = fputs(text, stdout) == EOF ? err_set(err, NK_IO, "write error:") : NK_OK;

	free(text);
	return rc;
}

int out_json(const json_t *j, struct nk_err *err)
{
	char *text = jsonx_pretty(j);

	return text ? put(text, err) : err_set(err, NK_IO, "out of memory");
}

int out_meas(const struct meas *m, enum meas_format fmt, struct nk_err *err)
{
	char *text;
	int rc = meas_render(m, fmt, &text, err);

	return rc ? rc : put(text, err);
}
