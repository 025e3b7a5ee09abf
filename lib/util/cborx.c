#include "util/cborx.h"

#include <stdlib.h>
#include <string.h>

/* One open container while walking the bytes. */
struct frame {
	uint64_t left;  /* items still expected (definite), items seen (indefinite) */
	int indef;      /* ends with a 0xff break */
	int chunks;     /* -1, or the major type every chunk of an indefinite string must have */
	int map;        /* an indefinite map needs an even number of items */
};

/* Read the argument of the head at buf[*pos]; ai is the additional info. */
static int head_arg(const unsigned char *buf, size_t len, size_t *pos, unsigned ai, uint64_t *v)
{
	size_t n;

	if (ai < 24) {
		*v = ai;
		return 1;
	}
	if (ai > 27)
		return 0;
	n = (size_t)1 << (ai - 24);
	if (len - *pos < n)
		return 0;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v = *v << 8 | buf[(*pos)++];
	return 1;
}

int cborx_check(const unsigned char *buf, size_t len, unsigned max_depth, size_t *used,
		struct nk_err *err)
{
	struct frame st[CBORX_MAX_DEPTH + 1];
	unsigned depth = 0;
	size_t pos = 0;

	if (max_depth > CBORX_MAX_DEPTH)
		max_depth = CBORX_MAX_DEPTH;
	if (!len)
		return err_set(err, NK_DATA, "no CBOR data");
	st[0] = (struct frame){ .left = 1, .chunks = -1 };
	for (;;) {
		struct frame *f;
		size_t at;
		unsigned major, ai;
		uint64_t v = 0;

		while (!st[depth].indef && st[depth].left == 0) {
			if (depth == 0) {
				if (used)
					*used = pos;
				return NK_OK;
			}
			depth--;
		}
		f = &st[depth];
		at = pos;
		if (pos >= len)
			return err_set(err, NK_DATA, "truncated CBOR ('%zu' bytes)", len);
		if (buf[pos] == 0xff && f->indef) {
			if (f->map && f->left % 2)
				return err_set(err, NK_DATA, "CBOR map without a value at byte '%zu'", at);
			pos++;
			depth--;
			continue;
		}
		major = buf[pos] >> 5;
		ai = buf[pos] & 31;
		pos++;
		if (ai != 31 && !head_arg(buf, len, &pos, ai, &v))
			return err_set(err, NK_DATA, ai > 27 ? "malformed CBOR at byte '%zu'"
						      : "truncated CBOR at byte '%zu'", at);
		if (f->indef)
			f->left++;
		else
			f->left--;
		if (f->chunks >= 0 && ((int)major != f->chunks || ai == 31))
			return err_set(err, NK_DATA, "bad chunk in an indefinite CBOR string at byte '%zu'", at);
		switch (major) {
		case 0: case 1:
			if (ai == 31)
				return err_set(err, NK_DATA, "malformed CBOR at byte '%zu'", at);
			continue;
		case 2: case 3:
			if (ai != 31) {
				if (v > len - pos)
					return err_set(err, NK_DATA, "truncated CBOR string at byte '%zu'", at);
				pos += (size_t)v;
				continue;
			}
			break;
		case 4:
			if (ai != 31 && v > len - pos)
				return err_set(err, NK_DATA, "CBOR array at byte '%zu' longer than the input", at);
			break;
		case 5:
			if (ai != 31 && v > (len - pos) / 2)
				return err_set(err, NK_DATA, "CBOR map at byte '%zu' longer than the input", at);
			break;
		case 6:
			if (ai == 31)
				return err_set(err, NK_DATA, "malformed CBOR at byte '%zu'", at);
			if (ai >= 6 && ai <= 20)  /* libcbor 0.8 treats them as errors */
				return err_set(err, NK_DATA, "unsupported CBOR tag '%u' at byte '%zu'", ai, at);
			break;
		default:
			/* false, true, null, undefined and floats; libcbor 0.8 rejects the rest */
			if ((ai >= 20 && ai <= 23) || (ai >= 25 && ai <= 27))
				continue;
			return err_set(err, NK_DATA, "unsupported CBOR simple value at byte '%zu'", at);
		}
		if (depth + 1 > max_depth)
			return err_set(err, NK_DATA, "CBOR nested deeper than %u levels", max_depth);
		st[++depth] = (struct frame){
			.indef = ai == 31,
			.left = ai == 31 ? 0 : major == 5 ? 2 * v : major == 6 ? 1 : v,
			.chunks = (major == 2 || major == 3) ? (int)major : -1,
			.map = major == 5,
		};
	}
}

int cborx_load(const unsigned char *buf, size_t len, size_t max, cbor_item_t **item,
	       struct nk_err *err)
{
	struct cbor_load_result r;
	size_t used;
	int rc;

	*item = NULL;
	if (len > max)
		return err_set(err, NK_DATA, "too large ('%zu' bytes, at most %zu)", len, max);
	rc = cborx_check(buf, len, CBORX_MAX_DEPTH, &used, err);
	if (rc)
		return rc;
	if (used != len)
		return err_set(err, NK_DATA, "'%zu' trailing bytes after the CBOR item", len - used);
	*item = cbor_load(buf, len, &r);
	if (r.error.code == CBOR_ERR_MEMERROR) {
		rc = err_set(err, NK_IO, "out of memory decoding CBOR");
	} else if (!*item || r.error.code != CBOR_ERR_NONE || r.read != len) {
		rc = err_set(err, NK_DATA, "malformed CBOR at byte '%zu'", r.error.position);
	}
	if (rc && *item)
		cbor_decref(item);
	return rc;
}

const char *cborx_type_name(const cbor_item_t *item)
{
	if (!item)
		return "nothing";
	switch (cbor_typeof(item)) {
	case CBOR_TYPE_UINT: return "unsigned integer";
	case CBOR_TYPE_NEGINT: return "negative integer";
	case CBOR_TYPE_BYTESTRING: return "byte string";
	case CBOR_TYPE_STRING: return "text string";
	case CBOR_TYPE_ARRAY: return "array";
	case CBOR_TYPE_MAP: return "map";
	case CBOR_TYPE_TAG: return "tag";
	case CBOR_TYPE_FLOAT_CTRL:
		if (!cbor_float_ctrl_is_ctrl(item))
			return "float";
		switch (cbor_ctrl_value(item)) {
		case CBOR_CTRL_FALSE: case CBOR_CTRL_TRUE: return "boolean";
		case CBOR_CTRL_NULL: return "null";
		case CBOR_CTRL_UNDEF: return "undefined";
		}
		return "simple value";
	}
	return "unknown item";
}

size_t cborx_skip_tag(const unsigned char *buf, size_t len, uint64_t tag)
{
	size_t pos = 1;
	uint64_t v;

	if (!len || buf[0] >> 5 != 6 || !head_arg(buf, len, &pos, buf[0] & 31, &v) || v != tag)
		return 0;
	return pos;
}

int cborx_is_null(const cbor_item_t *item)
{
	/* cbor_is_null asserts on floats in libcbor 0.8 */
	return cbor_isa_float_ctrl(item) && cbor_float_ctrl_is_ctrl(item) &&
	       cbor_ctrl_value(item) == CBOR_CTRL_NULL;
}

int cborx_text_eq(const cbor_item_t *item, const char *s)
{
	size_t n = strlen(s);

	return cbor_isa_string(item) && cbor_string_is_definite(item) &&
	       cbor_string_length(item) == n && (n == 0 || memcmp(cbor_string_handle(item), s, n) == 0);
}

int cborx_map_get(const cbor_item_t *map, const char *key, cbor_item_t **value)
{
	struct cbor_pair *p;
	size_t n;
	int found = 0;

	*value = NULL;
	if (!cbor_isa_map(map))
		return 0;
	p = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (size_t i = 0; i < n; i++) {
		if (!p[i].key || !p[i].value || !cborx_text_eq(p[i].key, key))
			continue;
		if (found) {
			*value = NULL;
			return -1;
		}
		found = 1;
		*value = p[i].value;
	}
	return found;
}

int cborx_map_need(const cbor_item_t *map, const char *key, cbor_item_t **value,
		   struct nk_err *err)
{
	if (!cbor_isa_map(map))
		return err_set(err, NK_DATA, "expected a map, got %s", cborx_type_name(map));
	switch (cborx_map_get(map, key, value)) {
	case 1:
		return NK_OK;
	case 0:
		return err_set(err, NK_DATA, "no '%s'", key);
	default:
		return err_set(err, NK_DATA, "duplicate '%s'", key);
	}
}

int cborx_get_uint(const cbor_item_t *item, uint64_t *v, struct nk_err *err)
{
	if (!cbor_isa_uint(item))
		return err_set(err, NK_DATA, "expected an unsigned integer, got %s",
			       cborx_type_name(item));
	*v = cbor_get_int(item);
	return NK_OK;
}

int cborx_get_int(const cbor_item_t *item, int64_t *v, struct nk_err *err)
{
	uint64_t u;

	if (!cbor_isa_uint(item) && !cbor_isa_negint(item))
		return err_set(err, NK_DATA, "expected an integer, got %s", cborx_type_name(item));
	u = cbor_get_int(item);
	if (u > INT64_MAX)
		return err_set(err, NK_DATA, "integer out of range");
	/* a negative integer n is stored as -1 - n */
	*v = cbor_isa_uint(item) ? (int64_t)u : -1 - (int64_t)u;
	return NK_OK;
}

/* Length of a byte string or int array, or NK_DATA for other types. */
static int bytes_len(const cbor_item_t *item, size_t *n, struct nk_err *err)
{
	if (cbor_isa_array(item)) {
		*n = cbor_array_size(item);
	} else if (cbor_isa_bytestring(item) && cbor_bytestring_is_definite(item)) {
		*n = cbor_bytestring_length(item);
	} else if (cbor_isa_bytestring(item)) {
		cbor_item_t **c = cbor_bytestring_chunks_handle(item);
		size_t k = cbor_bytestring_chunk_count(item);

		*n = 0;
		for (size_t i = 0; i < k; i++)
			*n += cbor_bytestring_length(c[i]);  /* bounded by the input size */
	} else {
		return err_set(err, NK_DATA, "expected bytes, got %s", cborx_type_name(item));
	}
	return NK_OK;
}

/* Copy the bytes of item (already sized by bytes_len) into out. */
static int bytes_copy(const cbor_item_t *item, unsigned char *out, struct nk_err *err)
{
	if (cbor_isa_array(item)) {
		cbor_item_t **a = cbor_array_handle(item);
		size_t n = cbor_array_size(item);

		for (size_t i = 0; i < n; i++) {
			if (!cbor_isa_uint(a[i]) || cbor_get_int(a[i]) > 255)
				return err_set(err, NK_DATA, "byte array item %zu is not an integer 0..255", i);
			out[i] = (unsigned char)cbor_get_int(a[i]);
		}
	} else if (cbor_bytestring_is_definite(item)) {
		if (cbor_bytestring_length(item))
			memcpy(out, cbor_bytestring_handle(item), cbor_bytestring_length(item));
	} else {
		cbor_item_t **c = cbor_bytestring_chunks_handle(item);
		size_t k = cbor_bytestring_chunk_count(item), off = 0;

		for (size_t i = 0; i < k; i++) {
			size_t m = cbor_bytestring_length(c[i]);

			if (m)
				memcpy(out + off, cbor_bytestring_handle(c[i]), m);
			off += m;
		}
	}
	return NK_OK;
}

int cborx_get_bytes(const cbor_item_t *item, size_t max, unsigned char **out, size_t *len,
		    struct nk_err *err)
{
	size_t n;
	int rc;

	*out = NULL;
	*len = 0;
	rc = bytes_len(item, &n, err);
	if (rc)
		return rc;
	if (n > max)
		return err_set(err, NK_DATA, "too long ('%zu' bytes, at most %zu)", n, max);
	*out = malloc(n ? n : 1);
	if (!*out)
		return err_set(err, NK_IO, "out of memory");
	rc = bytes_copy(item, *out, err);
	if (rc) {
		free(*out);
		*out = NULL;
		return rc;
	}
	*len = n;
	return NK_OK;
}

int cborx_get_bytes_exact(const cbor_item_t *item, unsigned char *out, size_t n,
			  struct nk_err *err)
{
	size_t have;
	int rc = bytes_len(item, &have, err);

	if (rc)
		return rc;
	if (have != n)
		return err_set(err, NK_DATA, "expected %zu bytes, got '%zu'", n, have);
	return bytes_copy(item, out, err);
}

cbor_item_t *cborx_uint(uint64_t v)
{
	/* libcbor writes the item's width, not the shortest form, so pick it */
	if (v <= UINT8_MAX)
		return cbor_build_uint8((uint8_t)v);
	if (v <= UINT16_MAX)
		return cbor_build_uint16((uint16_t)v);
	if (v <= UINT32_MAX)
		return cbor_build_uint32((uint32_t)v);
	return cbor_build_uint64(v);
}

cbor_item_t *cborx_int(int64_t v)
{
	uint64_t n;

	if (v >= 0)
		return cborx_uint((uint64_t)v);
	n = (uint64_t)(-(v + 1));
	if (n <= UINT8_MAX)
		return cbor_build_negint8((uint8_t)n);
	if (n <= UINT16_MAX)
		return cbor_build_negint16((uint16_t)n);
	if (n <= UINT32_MAX)
		return cbor_build_negint32((uint32_t)n);
	return cbor_build_negint64(n);
}

cbor_item_t *cborx_bstr(const void *p, size_t n)
{
	/* an empty definite byte string needs no buffer (and malloc(0) may be NULL) */
	return n ? cbor_build_bytestring(p, n) : cbor_new_definite_bytestring();
}

cbor_item_t *cborx_int_array(const void *p, size_t n)
{
	const unsigned char *b = p;
	cbor_item_t *a = cbor_new_definite_array(n);

	if (!a)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (!cborx_array_put(a, cbor_build_uint8(b[i]))) {
			cbor_decref(&a);
			return NULL;
		}
	}
	return a;
}

int cborx_map_put(cbor_item_t *map, const char *key, cbor_item_t *value)
{
	cbor_item_t *k = value ? cbor_build_string(key) : NULL;
	int ok = k && cbor_map_add(map, (struct cbor_pair){ .key = k, .value = value });

	/* cbor_map_add took its own references */
	if (k)
		cbor_decref(&k);
	if (value)
		cbor_decref(&value);
	return ok;
}

int cborx_array_put(cbor_item_t *array, cbor_item_t *value)
{
	int ok = value && cbor_array_push(array, value);

	if (value)
		cbor_decref(&value);
	return ok;
}

int cborx_serialize(const cbor_item_t *item, unsigned char **out, size_t *len,
		    struct nk_err *err)
{
	size_t cap = 0;

	*out = NULL;
	*len = item ? cbor_serialize_alloc(item, out, &cap) : 0;
	if (!*len) {
		free(*out);
		*out = NULL;
		return err_set(err, NK_IO, "out of memory encoding CBOR");
	}
	return NK_OK;
}
