/* kmsout: see kmsout.h. */
#include "tool/kmsout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "util/io.h"
#include "util/secmem.h"

static size_t b64_len(size_t n)
{
	return 4 * ((n + 2) / 3);
}

static int present(const struct kmsout_field *f)
{
	return f->p || f->text;
}

/* The field's value as text: its text, or base64 written at out. */
static size_t value(const struct kmsout_field *f, char *out)
{
	size_t n;

	if (f->text) {
		n = strlen(f->text);
		memcpy(out, f->text, n);
		return n;
	}
	/* EVP_EncodeBlock takes an int: KMS values are a few KiB at most. */
	return (size_t)EVP_EncodeBlock((unsigned char *)out, f->p, (int)f->len);
}

static size_t value_max(const struct kmsout_field *f)
{
	return f->text ? strlen(f->text) : b64_len(f->len);
}

int kmsout_lines(const char *path, const struct kmsout_field *f, size_t n, mode_t mode,
		 struct nk_err *err)
{
	size_t cap = 1, len = 0;
	char *text;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (present(&f[i]))
			cap += strlen(f[i].name) + 2 + value_max(&f[i]) + 1;
	if (!(text = secmem_alloc(cap)))
		return err_set(err, NK_IO, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!present(&f[i]))
			continue;
		len += (size_t)sprintf(text + len, "%s: ", f[i].name);
		len += value(&f[i], text + len);
		text[len++] = '\n';
	}
	rc = io_write_file(path, text, len, mode, err);
	secmem_release(text, cap);
	return rc;
}

int kmsout_json(const char *path, const struct kmsout_field *f, size_t n, mode_t mode,
		struct nk_err *err)
{
	json_t *o = json_object();
	char *tmp = NULL, *dump = NULL;
	size_t tmpcap = 0;
	int rc = NK_OK;

	if (!o)
		return err_set(err, NK_IO, "out of memory");
	for (size_t i = 0; i < n && rc == NK_OK; i++) {
		size_t need, len;

		if (!present(&f[i]))
			continue;
		need = value_max(&f[i]) + 1;
		if (need > tmpcap) {
			secmem_release(tmp, tmpcap);
			tmpcap = need;
			if (!(tmp = secmem_alloc(tmpcap))) {
				tmpcap = 0;
				rc = err_set(err, NK_IO, "out of memory");
				break;
			}
		}
		len = value(&f[i], tmp);
		/* jansson copies the string; its frees are wiped (jsonx_wipe_on_free). */
		if (json_object_set_new(o, f[i].name, json_stringn(tmp, len)) != 0)
			rc = err_set(err, NK_IO, "out of memory");
	}
	secmem_release(tmp, tmpcap);
	if (rc == NK_OK && !(dump = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER)))
		rc = err_set(err, NK_IO, "out of memory");
	if (rc == NK_OK) {
		size_t len = strlen(dump);
		char *text = secmem_alloc(len + 2);

		if (!text) {
			rc = err_set(err, NK_IO, "out of memory");
		} else {
			memcpy(text, dump, len);
			text[len] = '\n';
			rc = io_write_file(path, text, len + 1, mode, err);
			secmem_release(text, len + 2);
		}
		secmem_wipe(dump, len);
	}
	free(dump);
	json_decref(o);
	return rc;
}
