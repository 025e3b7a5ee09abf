#include "nsm/nsm_msg.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/cborx.h"
#include "util/secmem.h"

/* Indexed by enum nsm_op: the serde variant names. */
static const char *const op_names[] = {
	"DescribePCR", "ExtendPCR", "LockPCR", "LockPCRs", "DescribeNSM", "Attestation",
	"GetRandom", "Error",
};
#define NOPS (sizeof op_names / sizeof op_names[0])

/* Indexed by enum nsm_error. */
static const struct {
	const char *name, *text;
} errors[] = {
	{ "Success", "no error" },
	{ "InvalidArgument", "an argument is invalid" },
	{ "InvalidIndex", "no such PCR" },
	{ "InvalidResponse", "the response does not match the request" },
	{ "ReadOnlyIndex", "the PCR is locked" },
	{ "InvalidOperation", "the operation is not supported" },
	{ "BufferTooSmall", "the response buffer is too small" },
	{ "InputTooLarge", "the request is too large" },
	{ "InternalError", "internal error in the NSM" },
};
#define NERRORS (sizeof errors / sizeof errors[0])

/* serde's Digest variants; decoded digests point at these. */
static const char *const digests[] = { "SHA256", "SHA384", "SHA512" };

const char *nsm_error_name(enum nsm_error e)
{
	return (unsigned)e < NERRORS ? errors[e].name : NULL;
}

const char *nsm_error_text(enum nsm_error e)
{
	return (unsigned)e < NERRORS ? errors[e].text : NULL;
}

const char *nsm_op_name(enum nsm_op op)
{
	return (unsigned)op < NOPS ? op_names[op] : NULL;
}

/* --- Encoding -------------------------------------------------------------- */

static cbor_item_t *bytes_item(const struct nsm_bytes *b)
{
	if (!b->p && b->len)
		return NULL;
	return cborx_bstr(b->p, b->len);
}

/* Option<ByteBuf>: null when absent. */
static cbor_item_t *opt_bytes_item(const struct nsm_bytes *b)
{
	return b->present ? bytes_item(b) : cbor_new_null();
}

/* An externally tagged variant: a bare name for a unit variant (fields NULL),
 * else {"Name": fields}.  Takes over the reference to fields. */
static cbor_item_t *variant_item(const char *name, cbor_item_t *fields, int unit)
{
	cbor_item_t *m;

	if (unit)
		return cbor_build_string(name);
	m = fields ? cbor_new_definite_map(1) : NULL;
	if (!m) {
		if (fields)
			cbor_decref(&fields);
		return NULL;
	}
	if (!cborx_map_put(m, name, fields))
		cbor_decref(&m);
	return m;
}

/* Serialize root (consumed) and check the size cap. */
static int finish(cbor_item_t *root, int built, size_t max, const char *what,
		  unsigned char **out, size_t *len, struct nk_err *err)
{
	int rc;

	if (!built || !root)
		rc = err_set(err, NK_IO, "out of memory");
	else
		rc = cborx_serialize(root, out, len, err);
	if (root)
		cbor_decref(&root);
	if (!rc && *len > max) {
		rc = err_set(err, NK_DATA, "%s too large (%zu bytes, at most %zu)", what, *len, max);
		free(*out);
		*out = NULL;
		*len = 0;
	}
	return rc;
}

int nsm_request_encode(const struct nsm_request *r, unsigned char **out, size_t *len,
		       struct nk_err *err)
{
	cbor_item_t *f = NULL;
	int built = 1, unit = 0;

	*out = NULL;
	*len = 0;
	switch (r->op) {
	case NSM_OP_DESCRIBE_PCR:
	case NSM_OP_LOCK_PCR:
		built = (f = cbor_new_definite_map(1)) && cborx_map_put(f, "index", cborx_uint(r->index));
		break;
	case NSM_OP_EXTEND_PCR:
		if (r->data.len && !r->data.p)
			return err_set(err, NK_DATA, "ExtendPCR without data");
		built = (f = cbor_new_definite_map(2)) && cborx_map_put(f, "index", cborx_uint(r->index)) &&
			cborx_map_put(f, "data", bytes_item(&r->data));
		break;
	case NSM_OP_LOCK_PCRS:
		built = (f = cbor_new_definite_map(1)) && cborx_map_put(f, "range", cborx_uint(r->range));
		break;
	case NSM_OP_ATTESTATION:
		/* serde writes the fields in declaration order */
		built = (f = cbor_new_definite_map(3)) &&
			cborx_map_put(f, "user_data", opt_bytes_item(&r->user_data)) &&
			cborx_map_put(f, "nonce", opt_bytes_item(&r->nonce)) &&
			cborx_map_put(f, "public_key", opt_bytes_item(&r->public_key));
		break;
	case NSM_OP_DESCRIBE_NSM:
	case NSM_OP_GET_RANDOM:
		unit = 1;
		break;
	default:
		return err_set(err, NK_DATA, "no such NSM request ('%d')", (int)r->op);
	}
	if (!built) {
		if (f)
			cbor_decref(&f);
		return err_set(err, NK_IO, "out of memory");
	}
	return finish(variant_item(op_names[r->op], f, unit), 1, NSM_REQUEST_MAX, "request",
		      out, len, err);
}

static int cmp_u16(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x > y) - (x < y);
}

/* locked_pcrs is a BTreeSet<u16>: ascending, no duplicates. */
static cbor_item_t *locked_item(const uint16_t *v, size_t n)
{
	uint16_t s[NSM_MAX_PCRS];
	size_t k = 0;
	cbor_item_t *a;

	memcpy(s, v, n * sizeof *s);
	qsort(s, n, sizeof *s, cmp_u16);
	for (size_t i = 0; i < n; i++)
		if (!k || s[k - 1] != s[i])
			s[k++] = s[i];
	if (!(a = cbor_new_definite_array(k)))
		return NULL;
	for (size_t i = 0; i < k; i++) {
		if (!cborx_array_put(a, cborx_uint(s[i]))) {
			cbor_decref(&a);
			return NULL;
		}
	}
	return a;
}

int nsm_response_encode(const struct nsm_response *r, unsigned char **out, size_t *len,
			struct nk_err *err)
{
	cbor_item_t *f = NULL, *root;
	int built = 1, unit = 0;

	*out = NULL;
	*len = 0;
	switch (r->op) {
	case NSM_OP_DESCRIBE_PCR:
	case NSM_OP_EXTEND_PCR:
		/* what the decoder insists on */
		if (r->data.len != PCR_LEN || !r->data.p)
			return err_set(err, NK_DATA, "%s: PCR value of '%zu' bytes (expected %d)",
				       op_names[r->op], r->data.len, PCR_LEN);
		if (r->op == NSM_OP_DESCRIBE_PCR)
			built = (f = cbor_new_definite_map(2)) &&
				cborx_map_put(f, "lock", cbor_build_bool(r->lock != 0)) &&
				cborx_map_put(f, "data", bytes_item(&r->data));
		else
			built = (f = cbor_new_definite_map(1)) && cborx_map_put(f, "data", bytes_item(&r->data));
		break;
	case NSM_OP_LOCK_PCR:
	case NSM_OP_LOCK_PCRS:
		unit = 1;
		break;
	case NSM_OP_DESCRIBE_NSM:
		if (r->nlocked > NSM_MAX_PCRS)
			return err_set(err, NK_DATA, "DescribeNSM: '%zu' locked PCRs (at most %d)",
				       r->nlocked, NSM_MAX_PCRS);
		built = (f = cbor_new_definite_map(7)) &&
			cborx_map_put(f, "version_major", cborx_uint(r->version_major)) &&
			cborx_map_put(f, "version_minor", cborx_uint(r->version_minor)) &&
			cborx_map_put(f, "version_patch", cborx_uint(r->version_patch)) &&
			cborx_map_put(f, "module_id", cbor_build_string(r->module_id ? r->module_id : "")) &&
			cborx_map_put(f, "max_pcrs", cborx_uint(r->max_pcrs)) &&
			cborx_map_put(f, "locked_pcrs", locked_item(r->locked_pcrs, r->nlocked)) &&
			cborx_map_put(f, "digest", cbor_build_string(r->digest ? r->digest : "SHA384"));
		break;
	case NSM_OP_ATTESTATION:
		built = (f = cbor_new_definite_map(1)) && cborx_map_put(f, "document", bytes_item(&r->document));
		break;
	case NSM_OP_GET_RANDOM:
		built = (f = cbor_new_definite_map(1)) && cborx_map_put(f, "random", bytes_item(&r->random));
		break;
	case NSM_OP_ERROR:
		if (!nsm_error_name(r->error))
			return err_set(err, NK_DATA, "no such NSM error code ('%d')", (int)r->error);
		f = cbor_build_string(nsm_error_name(r->error));
		built = f != NULL;
		break;
	default:
		return err_set(err, NK_DATA, "no such NSM response ('%d')", (int)r->op);
	}
	if (!built) {
		if (f)
			cbor_decref(&f);
		return err_set(err, NK_IO, "out of memory");
	}
	root = variant_item(op_names[r->op], f, unit);
	return finish(root, 1, NSM_RESPONSE_MAX, "response", out, len, err);
}

/* --- Decoding -------------------------------------------------------------- */

/* Length of a text string, definite or chunked; -1 when item is no text. */
static int text_len(const cbor_item_t *item, size_t *n)
{
	if (!cbor_isa_string(item))
		return -1;
	if (cbor_string_is_definite(item)) {
		*n = cbor_string_length(item);
	} else {
		cbor_item_t **c = cbor_string_chunks_handle(item);
		size_t k = cbor_string_chunk_count(item);

		/* cborx_check made every chunk a definite text string */
		*n = 0;
		for (size_t i = 0; i < k; i++)
			*n += cbor_string_length(c[i]);
	}
	return 0;
}

static void text_copy(const cbor_item_t *item, char *out)
{
	size_t off = 0;

	if (cbor_string_is_definite(item)) {
		off = cbor_string_length(item);
		if (off)
			memcpy(out, cbor_string_handle(item), off);
	} else {
		cbor_item_t **c = cbor_string_chunks_handle(item);
		size_t k = cbor_string_chunk_count(item);

		for (size_t i = 0; i < k; i++) {
			size_t m = cbor_string_length(c[i]);

			if (m)
				memcpy(out + off, cbor_string_handle(c[i]), m);
			off += m;
		}
	}
	out[off] = '\0';
}

#define NAME_MAX_LEN 32  /* longer than every name we know */

/* A short text item into buf; 0 = ok, -1 = not text, -2 = too long for a name. */
static int text_name(const cbor_item_t *item, char buf[NAME_MAX_LEN + 1])
{
	size_t n;

	if (text_len(item, &n))
		return -1;
	if (n > NAME_MAX_LEN)
		return -2;
	text_copy(item, buf);
	/* an embedded NUL must not make "DescribePCR\0x" a known name */
	return strlen(buf) == n ? 0 : -2;
}

/* For messages: the name quoted, when it is printable. */
static const char *shown(const char *name)
{
	for (const char *p = name; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return "(unprintable)";
	return name;
}

/* RFC 3629 UTF-8, as Rust's String requires. */
static int utf8_ok(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i], need, min;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3, cp = c & 0x07, min = 0x10000;
		} else {
			return 0;
		}
		if (n - i <= need)
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

struct field {
	const char *name;
	cbor_item_t *value;  /* borrowed; NULL when absent */
};

/* Find the fields of a struct variant in a map (definite or not).  Unknown
 * keys are ignored and a known one twice is an error, as serde does. */
static int get_fields(const cbor_item_t *map, struct field *f, size_t nf, struct nk_err *err)
{
	struct cbor_pair *p;
	size_t n;

	if (!cbor_isa_map(map))
		return err_set(err, NK_DATA, "expected a map of fields, got %s", cborx_type_name(map));
	p = cbor_map_handle(map);
	n = cbor_map_size(map);
	for (size_t i = 0; i < n; i++) {
		char key[NAME_MAX_LEN + 1];
		int k;

		if (!p[i].key || !p[i].value)
			return err_set(err, NK_DATA, "incomplete map");
		k = text_name(p[i].key, key);
		if (k == -1)
			return err_set(err, NK_DATA, "expected text keys, got %s",
				       cborx_type_name(p[i].key));
		if (k)
			continue;
		for (size_t j = 0; j < nf; j++) {
			if (strcmp(key, f[j].name))
				continue;
			if (f[j].value)
				return err_set(err, NK_DATA, "duplicate '%s'", key);
			f[j].value = p[i].value;
		}
	}
	return NK_OK;
}

static int need(const struct field *f, struct nk_err *err)
{
	return f->value ? NK_OK : err_set(err, NK_DATA, "no '%s'", f->name);
}

static int get_u16(const struct field *f, uint16_t *v, struct nk_err *err)
{
	uint64_t u = 0;
	int rc = need(f, err);

	if (rc)
		return rc;
	rc = cborx_get_uint(f->value, &u, err);
	if (!rc && u > UINT16_MAX)
		rc = err_set(err, NK_DATA, "'%" PRIu64 "' out of range (at most %u)", u, UINT16_MAX);
	if (rc) {
		/* not err_prefix's value: it is NK_OK when err is NULL */
		err_prefix(err, "%s", f->name);
		return rc;
	}
	*v = (uint16_t)u;
	return NK_OK;
}

static int get_bool(const struct field *f, int *v, struct nk_err *err)
{
	const cbor_item_t *b = f->value;
	int rc = need(f, err);

	if (rc)
		return rc;
	/* test before asking: libcbor asserts on floats */
	if (!cbor_isa_float_ctrl(b) || !cbor_float_ctrl_is_ctrl(b) ||
	    (cbor_ctrl_value(b) != CBOR_CTRL_TRUE && cbor_ctrl_value(b) != CBOR_CTRL_FALSE))
		return err_set(err, NK_DATA, "%s: expected a boolean, got %s", f->name,
			       cborx_type_name(b));
	*v = cbor_ctrl_value(b) == CBOR_CTRL_TRUE;
	return NK_OK;
}

/* Decoded byte fields share one buffer the size of the input: each byte of
 * a field took at least one byte of input, and fields do not overlap. */
struct slab {
	unsigned char *p;
	size_t used, cap;
};

static int get_bytes(const struct field *f, struct slab *s, struct nsm_bytes *out, int optional,
		     struct nk_err *err)
{
	unsigned char *tmp = NULL;
	size_t n = 0;
	int rc;

	if (!f->value || (optional && cborx_is_null(f->value))) {
		/* serde reads a missing Option field as None */
		if (optional)
			return NK_OK;
		return need(f, err);
	}
	rc = cborx_get_bytes(f->value, s->cap - s->used, &tmp, &n, err);
	if (rc) {
		err_prefix(err, "%s", f->name);
		return rc;
	}
	if (n)
		memcpy(s->p + s->used, tmp, n);
	secmem_wipe(tmp, n);
	free(tmp);
	out->p = s->p + s->used;
	out->len = n;
	out->present = 1;
	s->used += n;
	return NK_OK;
}

static int slab_init(struct slab *s, size_t len, struct nk_err *err)
{
	s->used = 0;
	s->cap = len;
	s->p = malloc(len ? len : 1);
	return s->p ? NK_OK : err_set(err, NK_IO, "out of memory");
}

/* Split an externally tagged enum: a bare name (unit variant, *value NULL)
 * or a one-entry map {"Name": value}; *op = the variant, of the ops in
 * [0, nops). */
static int get_variant(const cbor_item_t *root, size_t nops, enum nsm_op *op,
		       cbor_item_t **value, struct nk_err *err)
{
	const cbor_item_t *key = root;
	char name[NAME_MAX_LEN + 1];
	int k;

	*value = NULL;
	if (cbor_isa_map(root)) {
		struct cbor_pair *p = cbor_map_handle(root);

		if (cbor_map_size(root) != 1 || !p[0].key || !p[0].value)
			return err_set(err, NK_DATA, "expected a map of one entry, got '%zu' entries",
				       cbor_map_size(root));
		key = p[0].key;
		*value = p[0].value;
	}
	k = text_name(key, name);
	if (k == -1)
		return err_set(err, NK_DATA, "expected a text or a map, got %s", cborx_type_name(key));
	for (size_t i = 0; k == 0 && i < nops; i++) {
		if (!strcmp(name, op_names[i])) {
			*op = (enum nsm_op)i;
			return NK_OK;
		}
	}
	return err_set(err, NK_DATA, "unknown variant '%s'", k ? "(too long)" : shown(name));
}

static int is_unit_request(enum nsm_op op)
{
	return op == NSM_OP_DESCRIBE_NSM || op == NSM_OP_GET_RANDOM;
}

static int is_unit_response(enum nsm_op op)
{
	return op == NSM_OP_LOCK_PCR || op == NSM_OP_LOCK_PCRS;
}

/* The unit/non-unit shape must match the variant. */
static int check_shape(enum nsm_op op, int unit, const cbor_item_t *value, struct nk_err *err)
{
	if (unit && value)
		return err_set(err, NK_DATA, "%s takes no fields", op_names[op]);
	if (!unit && !value)
		return err_set(err, NK_DATA, "%s needs fields", op_names[op]);
	return NK_OK;
}

static int decode_request(const cbor_item_t *root, size_t len, struct nsm_request *r,
			  struct nk_err *err)
{
	struct field f[3] = { { 0 } };
	cbor_item_t *v;
	struct slab s = { 0 };
	int rc;

	/* "Error" is a response only */
	rc = get_variant(root, NSM_OP_ERROR, &r->op, &v, err);
	if (!rc)
		rc = check_shape(r->op, is_unit_request(r->op), v, err);
	if (rc || !v)
		return rc;
	switch (r->op) {
	case NSM_OP_DESCRIBE_PCR:
	case NSM_OP_LOCK_PCR:
		f[0].name = "index";
		if (!(rc = get_fields(v, f, 1, err)))
			rc = get_u16(&f[0], &r->index, err);
		break;
	case NSM_OP_LOCK_PCRS:
		f[0].name = "range";
		if (!(rc = get_fields(v, f, 1, err)))
			rc = get_u16(&f[0], &r->range, err);
		break;
	case NSM_OP_EXTEND_PCR:
		f[0].name = "index";
		f[1].name = "data";
		if (!(rc = get_fields(v, f, 2, err)) && !(rc = get_u16(&f[0], &r->index, err)) &&
		    !(rc = slab_init(&s, len, err)))
			rc = get_bytes(&f[1], &s, &r->data, 0, err);
		break;
	case NSM_OP_ATTESTATION:
		f[0].name = "user_data";
		f[1].name = "nonce";
		f[2].name = "public_key";
		if (!(rc = get_fields(v, f, 3, err)) && !(rc = slab_init(&s, len, err)) &&
		    !(rc = get_bytes(&f[0], &s, &r->user_data, 1, err)) &&
		    !(rc = get_bytes(&f[1], &s, &r->nonce, 1, err)))
			rc = get_bytes(&f[2], &s, &r->public_key, 1, err);
		break;
	default:
		break;
	}
	r->owned = s.p;
	r->owned_len = s.cap;
	if (rc)
		err_prefix(err, "%s", op_names[r->op]);
	return rc;
}

int nsm_request_decode(const unsigned char *buf, size_t len, struct nsm_request *r,
		       struct nk_err *err)
{
	cbor_item_t *root = NULL;
	int rc;

	memset(r, 0, sizeof *r);
	rc = cborx_load(buf, len, NSM_REQUEST_MAX, &root, err);
	if (!rc)
		rc = decode_request(root, len, r, err);
	if (root)
		cbor_decref(&root);
	if (rc) {
		nsm_request_clear(r);
		err_prefix(err, "bad NSM request");
	}
	return rc;
}

void nsm_request_clear(struct nsm_request *r)
{
	if (!r)
		return;
	secmem_wipe(r->owned, r->owned_len);
	free(r->owned);
	memset(r, 0, sizeof *r);
}

static int get_locked(const struct field *f, struct nsm_response *r, struct nk_err *err)
{
	cbor_item_t **a;
	size_t n;
	int rc = need(f, err);

	if (rc)
		return rc;
	if (!cbor_isa_array(f->value))
		return err_set(err, NK_DATA, "%s: expected an array, got %s", f->name,
			       cborx_type_name(f->value));
	a = cbor_array_handle(f->value);
	n = cbor_array_size(f->value);
	r->nlocked = 0;
	for (size_t i = 0; i < n; i++) {
		struct field e = { f->name, a[i] };
		uint16_t v;
		size_t at = 0;

		if ((rc = get_u16(&e, &v, err)))
			return rc;
		/* a BTreeSet<u16>: serde sorts and drops duplicates */
		while (at < r->nlocked && r->locked_pcrs[at] < v)
			at++;
		if (at < r->nlocked && r->locked_pcrs[at] == v)
			continue;
		if (r->nlocked == NSM_MAX_PCRS)
			return err_set(err, NK_DATA, "%s: more than %d PCRs", f->name, NSM_MAX_PCRS);
		memmove(r->locked_pcrs + at + 1, r->locked_pcrs + at,
			(r->nlocked - at) * sizeof r->locked_pcrs[0]);
		r->locked_pcrs[at] = v;
		r->nlocked++;
	}
	return NK_OK;
}

static int get_module_id(const struct field *f, struct nsm_response *r, struct nk_err *err)
{
	size_t n;
	int rc = need(f, err);

	if (rc)
		return rc;
	if (text_len(f->value, &n))
		return err_set(err, NK_DATA, "%s: expected a text string, got %s", f->name,
			       cborx_type_name(f->value));
	if (!(r->owned_str[0] = malloc(n + 1)))
		return err_set(err, NK_IO, "out of memory");
	text_copy(f->value, r->owned_str[0]);
	/* a NUL would cut the C string short, and JSON output needs UTF-8 */
	if (strlen(r->owned_str[0]) != n || !utf8_ok((unsigned char *)r->owned_str[0], n))
		return err_set(err, NK_DATA, "%s: not a UTF-8 text without NUL", f->name);
	r->module_id = r->owned_str[0];
	return NK_OK;
}

static int get_digest(const struct field *f, struct nsm_response *r, struct nk_err *err)
{
	char name[NAME_MAX_LEN + 1];
	int rc = need(f, err), k;

	if (rc)
		return rc;
	k = text_name(f->value, name);
	if (k == -1)
		return err_set(err, NK_DATA, "%s: expected a text string, got %s", f->name,
			       cborx_type_name(f->value));
	for (size_t i = 0; k == 0 && i < sizeof digests / sizeof digests[0]; i++) {
		if (!strcmp(name, digests[i])) {
			r->digest = digests[i];
			return NK_OK;
		}
	}
	return err_set(err, NK_DATA, "%s: unknown digest '%s'", f->name,
		       k ? "(too long)" : shown(name));
}

static int get_pcr_value(const struct field *f, struct slab *s, struct nsm_bytes *out,
			 struct nk_err *err)
{
	int rc = get_bytes(f, s, out, 0, err);

	if (!rc && out->len != PCR_LEN)
		rc = err_set(err, NK_DATA, "%s: expected %d bytes, got '%zu'", f->name, PCR_LEN,
			     out->len);
	return rc;
}

static int decode_response(const cbor_item_t *root, size_t len, struct nsm_response *r,
			   struct nk_err *err)
{
	struct field f[7] = { { 0 } };
	cbor_item_t *v;
	struct slab s = { 0 };
	char code[NAME_MAX_LEN + 1];
	int rc, k;

	rc = get_variant(root, NOPS, &r->op, &v, err);
	if (!rc)
		rc = check_shape(r->op, is_unit_response(r->op), v, err);
	if (rc || !v)
		return rc;
	switch (r->op) {
	case NSM_OP_DESCRIBE_PCR:
		f[0].name = "lock";
		f[1].name = "data";
		if (!(rc = get_fields(v, f, 2, err)) && !(rc = get_bool(&f[0], &r->lock, err)) &&
		    !(rc = slab_init(&s, len, err)))
			rc = get_pcr_value(&f[1], &s, &r->data, err);
		break;
	case NSM_OP_EXTEND_PCR:
		f[0].name = "data";
		if (!(rc = get_fields(v, f, 1, err)) && !(rc = slab_init(&s, len, err)))
			rc = get_pcr_value(&f[0], &s, &r->data, err);
		break;
	case NSM_OP_DESCRIBE_NSM:
		f[0].name = "version_major";
		f[1].name = "version_minor";
		f[2].name = "version_patch";
		f[3].name = "module_id";
		f[4].name = "max_pcrs";
		f[5].name = "locked_pcrs";
		f[6].name = "digest";
		if (!(rc = get_fields(v, f, 7, err)) && !(rc = get_u16(&f[0], &r->version_major, err)) &&
		    !(rc = get_u16(&f[1], &r->version_minor, err)) &&
		    !(rc = get_u16(&f[2], &r->version_patch, err)) &&
		    !(rc = get_module_id(&f[3], r, err)) && !(rc = get_u16(&f[4], &r->max_pcrs, err)) &&
		    !(rc = get_locked(&f[5], r, err)))
			rc = get_digest(&f[6], r, err);
		break;
	case NSM_OP_ATTESTATION:
		f[0].name = "document";
		if (!(rc = get_fields(v, f, 1, err)) && !(rc = slab_init(&s, len, err)))
			rc = get_bytes(&f[0], &s, &r->document, 0, err);
		break;
	case NSM_OP_GET_RANDOM:
		f[0].name = "random";
		if (!(rc = get_fields(v, f, 1, err)) && !(rc = slab_init(&s, len, err)))
			rc = get_bytes(&f[0], &s, &r->random, 0, err);
		break;
	case NSM_OP_ERROR:
		k = text_name(v, code);
		if (k == -1) {
			rc = err_set(err, NK_DATA, "expected an error code, got %s", cborx_type_name(v));
			break;
		}
		rc = err_set(err, NK_DATA, "unknown error code '%s'", k ? "(too long)" : shown(code));
		for (size_t i = 0; k == 0 && i < NERRORS; i++) {
			if (!strcmp(code, errors[i].name)) {
				r->error = (enum nsm_error)i;
				err_clear(err);
				rc = NK_OK;
				break;
			}
		}
		break;
	default:
		break;
	}
	r->owned = s.p;
	r->owned_len = s.cap;
	if (rc)
		err_prefix(err, "%s", op_names[r->op]);
	return rc;
}

int nsm_response_decode(const unsigned char *buf, size_t len, struct nsm_response *r,
			struct nk_err *err)
{
	cbor_item_t *root = NULL;
	int rc;

	memset(r, 0, sizeof *r);
	rc = cborx_load(buf, len, NSM_RESPONSE_MAX, &root, err);
	if (!rc)
		rc = decode_response(root, len, r, err);
	if (root)
		cbor_decref(&root);
	if (rc) {
		nsm_response_clear(r);
		err_prefix(err, "bad NSM response");
	}
	return rc;
}

void nsm_response_clear(struct nsm_response *r)
{
	if (!r)
		return;
	secmem_wipe(r->owned, r->owned_len);
	free(r->owned);
	free(r->owned_str[0]);
	free(r->owned_str[1]);
	memset(r, 0, sizeof *r);
}

static int bytes_eq(const struct nsm_bytes *a, const struct nsm_bytes *b)
{
	if (a->present != b->present || a->len != b->len)
		return 0;
	return !a->len || memcmp(a->p, b->p, a->len) == 0;
}

static int str_eq(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

int nsm_request_equal(const struct nsm_request *a, const struct nsm_request *b)
{
	if (a->op != b->op)
		return 0;
	switch (a->op) {
	case NSM_OP_DESCRIBE_PCR:
	case NSM_OP_LOCK_PCR:
		return a->index == b->index;
	case NSM_OP_EXTEND_PCR:
		return a->index == b->index && a->data.len == b->data.len &&
		       (!a->data.len || memcmp(a->data.p, b->data.p, a->data.len) == 0);
	case NSM_OP_LOCK_PCRS:
		return a->range == b->range;
	case NSM_OP_ATTESTATION:
		return bytes_eq(&a->user_data, &b->user_data) && bytes_eq(&a->nonce, &b->nonce) &&
		       bytes_eq(&a->public_key, &b->public_key);
	default:
		return 1;
	}
}

int nsm_response_equal(const struct nsm_response *a, const struct nsm_response *b)
{
	if (a->op != b->op)
		return 0;
	switch (a->op) {
	case NSM_OP_DESCRIBE_PCR:
		if (!a->lock != !b->lock)
			return 0;
		/* fall through */
	case NSM_OP_EXTEND_PCR:
		return a->data.len == b->data.len &&
		       (!a->data.len || memcmp(a->data.p, b->data.p, a->data.len) == 0);
	case NSM_OP_DESCRIBE_NSM:
		return a->version_major == b->version_major && a->version_minor == b->version_minor &&
		       a->version_patch == b->version_patch && a->max_pcrs == b->max_pcrs &&
		       str_eq(a->module_id, b->module_id) &&
		       str_eq(a->digest ? a->digest : "SHA384", b->digest ? b->digest : "SHA384") &&
		       a->nlocked == b->nlocked &&
		       (!a->nlocked || memcmp(a->locked_pcrs, b->locked_pcrs,
					      a->nlocked * sizeof a->locked_pcrs[0]) == 0);
	case NSM_OP_ATTESTATION:
		return a->document.len == b->document.len &&
		       (!a->document.len || memcmp(a->document.p, b->document.p, a->document.len) == 0);
	case NSM_OP_GET_RANDOM:
		return a->random.len == b->random.len &&
		       (!a->random.len || memcmp(a->random.p, b->random.p, a->random.len) == 0);
	case NSM_OP_ERROR:
		return a->error == b->error;
	default:
		return 1;
	}
}
