#include "util/jsonx.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include "util/enc.h"
#include "util/io.h"

int jsonx_parse(const void *buf, size_t len, const char *name, json_t **out, struct nk_err *err)
{
	json_error_t je;
	json_t *j;

	if (len > JSONX_MAX)
		return err_set(err, NK_DATA, "'%s' is too large for JSON (more than %u bytes)", name, JSONX_MAX);
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!j)
		return err_set(err, NK_DATA, "'%s': invalid JSON at line %d column %d: %s",
			       name, je.line, je.column, je.text);
	*out = j;
	return NK_OK;
}

int jsonx_load(const char *path, json_t **out, struct nk_err *err)
{
	unsigned char *buf = NULL;
	size_t len;
	int rc;

	rc = io_read_all(path, JSONX_MAX, &buf, &len, err);
	if (!rc)
		rc = jsonx_parse(buf, len, io_name(path), out, err);
	free(buf);
	return rc;
}

char *jsonx_pretty(const json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER), *grown;
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	if (!(grown = realloc(s, n + 2))) {
		free(s);
		return NULL;
	}
	grown[n] = '\n';
	grown[n + 1] = 0;
	return grown;
}

char *jsonx_compact(const json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
}

int jsonx_get_str(const json_t *obj, const char *key, const char **out, const char *where, struct nk_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (!v)
		return NK_OK;
	if (!json_is_string(v))
		return err_set(err, NK_DATA, "%s: \"%s\" must be a string", where, key);
	*out = json_string_value(v);
	return NK_OK;
}

/* jansson does not pass sizes to free: the allocator knows the block's. */
static void wiping_free(void *p)
{
	if (p) {
		OPENSSL_cleanse(p, malloc_usable_size(p));
		free(p);
	}
}

void jsonx_wipe_on_free(void)
{
	json_set_alloc_funcs(malloc, wiping_free);
}

json_t *jsonx_hex(const unsigned char *p, size_t n)
{
	char *hex = malloc(2 * n + 1);
	json_t *j;

	if (!hex)
		return NULL;
	enc_hex(p, n, hex);
	j = json_string(hex);
	free(hex);
	return j;
}
