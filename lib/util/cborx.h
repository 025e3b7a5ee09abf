/* cborx: libcbor helpers for untrusted CBOR ("cbor_" is libcbor's namespace,
 * hence the x).  Used by the EIF signature section, COSE, NSM messages and
 * attestation documents.
 *
 * Decoding: Debian's libcbor 0.8 has no allocator caps (a definite array
 * header claiming 2^60 items makes it try to allocate them) and frees nested
 * items recursively, so cborx_load first walks the bytes itself and refuses
 * anything that is not exactly one well-formed item whose counts fit in the
 * input and whose nesting is at most CBORX_MAX_DEPTH; only then does libcbor
 * see the bytes.  Every getter checks the type it is given: a wrong type is
 * NK_DATA with "expected X, got Y", which callers prefix with the field name
 * (err_prefix).  Items passed to getters are borrowed; nothing here takes a
 * reference unless it says so.  Debian's libcbor keeps its assert()s, so a
 * libcbor accessor called on the wrong type aborts: test the type first.
 *
 * Encoding: builders return new items (refcount 1) or NULL when out of memory,
 * integers always in their shortest form (what serde_cbor and the NSM write);
 * the *_put functions take over the caller's reference to the value, also
 * when they fail, so a builder needs one cbor_decref of the root on its
 * cleanup path. */
#ifndef NK_CBORX_H
#define NK_CBORX_H

#include <stddef.h>
#include <stdint.h>
#include <cbor.h>
#include "util/err.h"

/* Deep enough for every format we read (attestation payload: map → pcrs map
 * → bstr is 3), shallow enough that libcbor's recursive free is harmless. */
#define CBORX_MAX_DEPTH 16

/* Check that buf starts with one well-formed CBOR item of the subset libcbor
 * decodes (no reserved or unassigned simple values, no one-byte tags 6..20,
 * indefinite strings made of definite chunks of their own type), with declared counts that fit in
 * the input and nesting at most max_depth.  *used = the item's length. */
int cborx_check(const unsigned char *buf, size_t len, unsigned max_depth, size_t *used,
		struct nk_err *err);

/* Decode exactly one item filling all of buf (len <= max, else NK_DATA "too
 * large"; trailing bytes are NK_DATA).  *item is the caller's to cbor_decref. */
int cborx_load(const unsigned char *buf, size_t len, size_t max, cbor_item_t **item,
	       struct nk_err *err);

/* "unsigned integer", "byte string", "map", ...: for messages. */
const char *cborx_type_name(const cbor_item_t *item);

/* Length of a leading head of tag `tag` (in any width) at the start of buf,
 * 0 when there is none: callers load the item after it.  libcbor 0.8 refuses
 * the one-byte tags 6..20, COSE_Sign1's 18 among them, so cborx_check
 * refuses them too and a tag we expect must be stripped before loading. */
size_t cborx_skip_tag(const unsigned char *buf, size_t len, uint64_t tag);

/* True when item is null.  Use this, not cbor_is_null/cbor_is_bool: Debian
 * builds libcbor with assertions, and those abort on a float. */
int cborx_is_null(const cbor_item_t *item);

/* True when item is a definite text string equal to s. */
int cborx_text_eq(const cbor_item_t *item, const char *s);

/* Look up the text key in a map (definite or indefinite).  Returns 1 and
 * sets *value (borrowed), 0 when absent, -1 when the key occurs twice: serde
 * rejects duplicate fields, and so do we, so that a verifier and a printer
 * can never see different values. */
int cborx_map_get(const cbor_item_t *map, const char *key, cbor_item_t **value);
/* The same for a required key: absent or duplicate is NK_DATA ("no 'key'"). */
int cborx_map_need(const cbor_item_t *map, const char *key, cbor_item_t **value,
		   struct nk_err *err);

/* Integers: NK_DATA unless item is an integer that fits. */
int cborx_get_uint(const cbor_item_t *item, uint64_t *v, struct nk_err *err);
int cborx_get_int(const cbor_item_t *item, int64_t *v, struct nk_err *err);

/* Bytes from a byte string (definite or chunked) or from an array of
 * integers 0..255 (serde_cbor's Vec<u8>).  More than max bytes is NK_DATA.
 * *out is malloc'd (never NULL on success, even for 0 bytes). */
int cborx_get_bytes(const cbor_item_t *item, size_t max, unsigned char **out, size_t *len,
		    struct nk_err *err);
/* The same into a fixed buffer that must be filled exactly (PCR values). */
int cborx_get_bytes_exact(const cbor_item_t *item, unsigned char *out, size_t n,
			  struct nk_err *err);

/* Builders (see the header comment). */
cbor_item_t *cborx_uint(uint64_t v);
cbor_item_t *cborx_int(int64_t v);
cbor_item_t *cborx_bstr(const void *p, size_t n);
/* Bytes as an array of unsigned integers, as serde_cbor writes Vec<u8>. */
cbor_item_t *cborx_int_array(const void *p, size_t n);

/* Append key → value to a map / value to an array.  The reference to value
 * passes to the container (and is dropped on failure; value may be NULL, a
 * failed builder, which makes the call fail).  Return 1 on success, 0 when
 * out of memory or when a definite container is full. */
int cborx_map_put(cbor_item_t *map, const char *key, cbor_item_t *value);
int cborx_array_put(cbor_item_t *array, cbor_item_t *value);

/* Serialize into a malloc'd buffer.  NK_IO when out of memory. */
int cborx_serialize(const cbor_item_t *item, unsigned char **out, size_t *len,
		    struct nk_err *err);

#endif
