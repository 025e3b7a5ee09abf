/* attest-verify's text output: its JSON object (attest/attest_json.h) as
 * "key: value" lines. */
#include "tool/attest_out.h"

#include <string.h>

static void text_value(const json_t *v, FILE *f)
{
	if (json_is_string(v))
		fputs(json_string_value(v), f);
	else if (json_is_integer(v))
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		fputs(json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null", f);
}

int attest_out_text(const json_t *j, FILE *f, struct nk_err *err)
{
	const char *k, *k2;
	json_t *v, *v2;
	size_t i;

	json_object_foreach((json_t *)j, k, v) {
		if (json_is_object(v)) {
			json_object_foreach(v, k2, v2) {
				/* pcrs.3 reads better as PCR3 */
				if (strcmp(k, "pcrs") == 0)
					fprintf(f, "PCR%s: ", k2);
				else
					fprintf(f, "%s.%s: ", k, k2);
				text_value(v2, f);
				fputc('\n', f);
			}
		} else if (json_is_array(v) && !strcmp(k, "checks")) {
			fprintf(f, "checks:");
			json_array_foreach(v, i, v2)
				fprintf(f, "%s%s", i ? ", " : " ", json_string_value(v2));
			fputs(json_array_size(v) ? "\n" : " none\n", f);
		} else if (json_is_array(v)) {
			json_array_foreach(v, i, v2) {
				fprintf(f, "%s[%zu]: ", k, i);
				text_value(v2, f);
				fputc('\n', f);
			}
		} else {
			fprintf(f, "%s: ", k);
			text_value(v, f);
			fputc('\n', f);
		}
	}
	if (ferror(f))
		return err_set(err, NK_IO, "write error on standard output:");
	return NK_OK;
}
