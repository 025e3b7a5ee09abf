/* cborx: the libcbor helpers every CBOR reader and writer here goes through.
 * Each exported helper with good input, the wrong type, truncated input and
 * input over its limit.  Every byte string below is written by hand: most are
 * the examples of RFC 8949 Appendix A (with the value they encode beside
 * them), the rest follow §3's head layout (major type in the top 3 bits,
 * argument in the low 5: 24..27 = 1, 2, 4, 8 more bytes, 31 = indefinite). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/cborx.h"

/* Hex to bytes (this file's own, so no library code judges the input). */
static size_t unhex(const char *hex, unsigned char *out, size_t cap)
{
	size_t n = strlen(hex) / 2;

	assert_true(strlen(hex) % 2 == 0 && n <= cap);
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;

		for (int k = 0; k < 2; k++) {
			char c = hex[2 * i + k];

			v = v << 4 | (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
		}
		out[i] = (unsigned char)v;
	}
	return n;
}

/* Decode hex into an item (must succeed); the caller decrefs it. */
static cbor_item_t *item_of(const char *hex)
{
	unsigned char buf[256];
	size_t n = unhex(hex, buf, sizeof buf);
	struct nk_err err = { 0 };
	cbor_item_t *item = NULL;

	if (cborx_load(buf, n, sizeof buf, &item, &err) != NK_OK)
		fail_msg("cborx_load(%s): %s", hex, err.msg);
	return item;
}

/* cborx_check on hex: its return value; *err and *used as it left them. */
static int check_hex(const char *hex, unsigned depth, size_t *used, struct nk_err *err)
{
	unsigned char buf[256];
	size_t n = unhex(hex, buf, sizeof buf);

	*used = 0;
	err_clear(err);
	return cborx_check(buf, n, depth, used, err);
}

static void serializes_to(cbor_item_t *item, const char *hex)
{
	unsigned char want[64], *got = NULL;
	size_t n = unhex(hex, want, sizeof want), len = 0;

	assert_non_null(item);
	assert_int_equal(cborx_serialize(item, &got, &len, NULL), NK_OK);
	if (len != n || memcmp(got, want, n) != 0) {
		char seen[2 * 64 + 1] = "";

		for (size_t i = 0; i < len && i < 64; i++)
			snprintf(seen + 2 * i, 3, "%02x", got[i]);
		fail_msg("serialized %s, expected %s", seen, hex);
	}
	free(got);
}

/* RFC 8949 Appendix A, decodable by libcbor 0.8 (which refuses the one-byte
 * tags 6..20 and most simple values: see the rejection tests). */
static const char *const rfc_examples[] = {
	"00", "01", "0a", "17", "1818", "1819", "1864", "1903e8", "1a000f4240",  /* 0 .. 1000000 */
	"1b000000e8d4a51000", "1bffffffffffffffff",  /* 10^12, 2^64-1 */
	"20", "29", "3863", "3903e7", "3bffffffffffffffff",  /* -1, -10, -100, -1000, -2^64 */
	"f90000", "f93c00", "fa47c35000", "fb3ff199999999999a",  /* 0.0, 1.0, 100000.0, 1.1 */
	"f4", "f5", "f6", "f7",  /* false true null undefined */
	"c074323031332d30332d32315432303a30343a30305a",  /* 0("2013-03-21T20:04:00Z") */
	"c11a514b67b0",  /* 1(1363896240) */
	"d74401020304",  /* 23(h'01020304') */
	"d818456449455446",  /* 24(h'6449455446') */
	"40", "4401020304", "60", "6161", "6449455446", "62225c", "62c3bc",
	"80", "83010203", "8301820203820405",
	"98190102030405060708090a0b0c0d0e0f101112131415161718181819",  /* [1, ..., 25] */
	"a0", "a201020304", "a26161016162820203", "826161a161626163",
	"a56161614161626142616361436164614461656145",
	"5f42010243030405ff", "7f657374726561646d696e67ff",  /* (_ h'0102', h'030405'), (_ "strea", "ming") */
	"9fff", "9f018202039f0405ffff", "9f01820203820405ff", "83018202039f0405ff", "83019f0203ff820405",
	"9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
	"bf61610161629f0203ffff", "826161bf61626163ff", "bf6346756ef563416d7421ff",
};

static void check_accepts_the_rfc_examples(void **state)
{
	struct nk_err err;
	size_t used;

	for (size_t i = 0; i < sizeof rfc_examples / sizeof *rfc_examples; i++) {
		const char *hex = rfc_examples[i];

		if (check_hex(hex, CBORX_MAX_DEPTH, &used, &err) != NK_OK)
			fail_msg("%s: %s", hex, err.msg);
		assert_int_equal(used, strlen(hex) / 2);
	}
}

static void check_reports_the_length_of_the_first_item(void **state)
{
	struct nk_err err;
	size_t used;

	/* what follows the item is the caller's business (cborx_load refuses it) */
	assert_int_equal(check_hex("83010203" "ff00", CBORX_MAX_DEPTH, &used, &err), NK_OK);
	assert_int_equal(used, 4);
	assert_int_equal(check_hex("1903e8" "1903e8", CBORX_MAX_DEPTH, &used, &err), NK_OK);
	assert_int_equal(used, 3);
}

static void check_rejects_every_truncation(void **state)
{
	unsigned char buf[256];
	struct nk_err err;
	size_t used;

	/* a CBOR item is never a prefix of another, so each proper prefix of
	 * an example is incomplete */
	for (size_t i = 0; i < sizeof rfc_examples / sizeof *rfc_examples; i++) {
		size_t n = unhex(rfc_examples[i], buf, sizeof buf);

		for (size_t k = 0; k < n; k++) {
			err_clear(&err);
			if (cborx_check(buf, k, CBORX_MAX_DEPTH, &used, &err) != NK_DATA)
				fail_msg("%s cut to %zu bytes was accepted", rfc_examples[i], k);
			assert_int_equal(err.code, NK_DATA);
		}
	}
	assert_int_equal(check_hex("", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "no CBOR data");
	/* the head's argument is cut: 0x19 needs two more bytes */
	assert_int_equal(check_hex("1903", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "truncated CBOR at byte '0'");
	/* an array of 2 whose first item took the rest: the input ends where
	 * the second should be */
	assert_int_equal(check_hex("821903e8", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "truncated CBOR ('4' bytes)");
	/* an array of 3 with 2 bytes left cannot hold 3 items of a byte or more */
	assert_int_equal(check_hex("830102", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "CBOR array at byte '0' longer than the input");
	/* a string of 4 bytes with 1, starting at byte 1 of the array */
	assert_int_equal(check_hex("814401", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "truncated CBOR string at byte '1'");
}

static void check_rejects_counts_larger_than_the_input(void **state)
{
	struct nk_err err;
	size_t used;

	/* libcbor 0.8 would try to allocate these: refused before it sees them */
	assert_int_equal(check_hex("9b1000000000000000", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "CBOR array at byte '0' longer than the input");
	assert_int_equal(check_hex("9a0000000501", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_int_equal(check_hex("bb0800000000000000", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "CBOR map at byte '0' longer than the input");
	/* a map of 2 pairs needs at least 4 bytes after its head; 3 are there */
	assert_int_equal(check_hex("a2010203", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "CBOR map at byte '0' longer than the input");
	assert_int_equal(check_hex("5b8000000000000000", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "truncated CBOR string at byte '0'");
	assert_int_equal(check_hex("7a7fffffff61", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "truncated CBOR string at byte '0'");
}

static void check_limits_the_nesting(void **state)
{
	char hex[2 * 40 + 3];
	struct nk_err err;
	size_t used;

	/* [[[0]]]: three containers deep */
	assert_int_equal(check_hex("81818100", 3, &used, &err), NK_OK);
	assert_int_equal(check_hex("81818100", 2, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "CBOR nested deeper than 2 levels");
	/* a tag counts as a level: 1(1(0)) */
	assert_int_equal(check_hex("c1c100", 2, &used, &err), NK_OK);
	assert_int_equal(check_hex("c1c100", 1, &used, &err), NK_DATA);
	/* indefinite containers too */
	assert_int_equal(check_hex("9f9fffff", 1, &used, &err), NK_DATA);

	/* CBORX_MAX_DEPTH arrays nest; one more does not, even when asked for */
	for (int depth = CBORX_MAX_DEPTH; depth <= CBORX_MAX_DEPTH + 1; depth++) {
		int k;

		for (k = 0; k < depth; k++)
			memcpy(hex + 2 * k, "81", 2);
		memcpy(hex + 2 * k, "00", 3);
		assert_int_equal(check_hex(hex, CBORX_MAX_DEPTH + 5, &used, &err),
				 depth <= CBORX_MAX_DEPTH ? NK_OK : NK_DATA);
	}
	assert_string_equal(err.msg, "CBOR nested deeper than 16 levels");
}

static void check_rejects_malformed_heads(void **state)
{
	/* reserved argument values 28..30, an indefinite integer or tag, a break
	 * outside an indefinite container */
	static const char *const bad[] = { "1c", "3d", "5e", "9c", "bc", "dc", "fc", "1f", "3f", "df", "ff" };
	struct nk_err err;
	size_t used;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		if (check_hex(bad[i], CBORX_MAX_DEPTH, &used, &err) != NK_DATA)
			fail_msg("%s was accepted", bad[i]);
	}
	assert_int_equal(check_hex("1c", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "malformed CBOR at byte '0'");
	assert_int_equal(check_hex("811f", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "malformed CBOR at byte '1'");
}

static void check_rejects_what_libcbor_cannot_decode(void **state)
{
	struct nk_err err;
	size_t used;

	/* chunks of an indefinite byte string must be definite byte strings */
	assert_int_equal(check_hex("5f6161ff", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "bad chunk in an indefinite CBOR string at byte '1'");
	assert_int_equal(check_hex("5f5f4101ffff", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_int_equal(check_hex("7f01ff", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	/* an indefinite map with a key and no value */
	assert_int_equal(check_hex("bf6161ff", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "CBOR map without a value at byte '3'");
	/* simple(16) and simple(255) (RFC 8949 A), and the one-byte tag 18 */
	assert_int_equal(check_hex("f0", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "unsupported CBOR simple value at byte '0'");
	assert_int_equal(check_hex("f8ff", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_int_equal(check_hex("d24100", CBORX_MAX_DEPTH, &used, &err), NK_DATA);
	assert_string_equal(err.msg, "unsupported CBOR tag '18' at byte '0'");
	/* the same tag in its two-byte form is libcbor's business, and fine */
	assert_int_equal(check_hex("d8124100", CBORX_MAX_DEPTH, &used, &err), NK_OK);
}

static void load_decodes_exactly_one_item(void **state)
{
	unsigned char buf[64];
	size_t n = unhex("a26161016162820203", buf, sizeof buf);  /* {"a": 1, "b": [2, 3]} */
	struct nk_err err;
	cbor_item_t *item = NULL;

	assert_int_equal(cborx_load(buf, n, n, &item, &err), NK_OK);
	assert_true(cbor_isa_map(item));
	assert_int_equal(cbor_map_size(item), 2);
	cbor_decref(&item);
}

static void load_rejects_oversized_trailing_and_truncated(void **state)
{
	unsigned char buf[64];
	size_t n = unhex("4401020304", buf, sizeof buf);
	struct nk_err err;
	cbor_item_t *item = (cbor_item_t *)&err;  /* any non-NULL: must come back NULL */

	assert_int_equal(cborx_load(buf, n, n - 1, &item, &err), NK_DATA);
	assert_null(item);
	assert_string_equal(err.msg, "too large ('5' bytes, at most 4)");

	n = unhex("0000", buf, sizeof buf);
	assert_int_equal(cborx_load(buf, n, sizeof buf, &item, &err), NK_DATA);
	assert_null(item);
	assert_string_equal(err.msg, "'1' trailing bytes after the CBOR item");

	n = unhex("a261610161", buf, sizeof buf);
	assert_int_equal(cborx_load(buf, n, sizeof buf, &item, &err), NK_DATA);
	assert_null(item);

	assert_int_equal(cborx_load(buf, 0, sizeof buf, &item, &err), NK_DATA);
	assert_null(item);
}

static void type_names(void **state)
{
	static const struct { const char *hex, *name; } t[] = {
		{ "00", "unsigned integer" }, { "20", "negative integer" }, { "40", "byte string" },
		{ "60", "text string" }, { "80", "array" }, { "a0", "map" }, { "c11a514b67b0", "tag" },
		{ "f4", "boolean" }, { "f5", "boolean" }, { "f6", "null" }, { "f7", "undefined" },
		{ "f93c00", "float" }, { "fa47c35000", "float" },
	};

	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		cbor_item_t *item = item_of(t[i].hex);

		assert_string_equal(cborx_type_name(item), t[i].name);
		cbor_decref(&item);
	}
	assert_string_equal(cborx_type_name(NULL), "nothing");
}

static void skip_tag_finds_the_head_in_any_width(void **state)
{
	unsigned char buf[16];
	size_t n;

	n = unhex("d28443a10126", buf, sizeof buf);  /* 18([...]) */
	assert_int_equal(cborx_skip_tag(buf, n, 18), 1);
	assert_int_equal(cborx_skip_tag(buf, n, 17), 0);
	n = unhex("d81280", buf, sizeof buf);
	assert_int_equal(cborx_skip_tag(buf, n, 18), 2);
	n = unhex("d9001280", buf, sizeof buf);
	assert_int_equal(cborx_skip_tag(buf, n, 18), 3);
	n = unhex("db000000000000001280", buf, sizeof buf);
	assert_int_equal(cborx_skip_tag(buf, n, 18), 9);
	/* not a tag, a tag head cut short, nothing at all */
	n = unhex("8443a10126", buf, sizeof buf);
	assert_int_equal(cborx_skip_tag(buf, n, 18), 0);
	n = unhex("d900", buf, sizeof buf);
	assert_int_equal(cborx_skip_tag(buf, n, 18), 0);
	assert_int_equal(cborx_skip_tag(buf, 0, 18), 0);
}

static void is_null_only_for_null(void **state)
{
	static const char *const not_null[] = { "f7", "f4", "f5", "00", "40", "80", "f90000", "fb3ff199999999999a" };
	cbor_item_t *item = item_of("f6");

	assert_true(cborx_is_null(item));
	cbor_decref(&item);
	/* floats too, without libcbor's assertion */
	for (size_t i = 0; i < sizeof not_null / sizeof *not_null; i++) {
		item = item_of(not_null[i]);
		assert_false(cborx_is_null(item));
		cbor_decref(&item);
	}
}

static void text_eq_compares_definite_text(void **state)
{
	cbor_item_t *ietf = item_of("6449455446"), *empty = item_of("60"),
		    *bytes = item_of("4449455446"), *chunked = item_of("7f657374726561646d696e67ff");

	assert_true(cborx_text_eq(ietf, "IETF"));
	assert_false(cborx_text_eq(ietf, "IET"));
	assert_false(cborx_text_eq(ietf, "IETFX"));
	assert_false(cborx_text_eq(ietf, "ietf"));
	assert_true(cborx_text_eq(empty, ""));
	assert_false(cborx_text_eq(empty, "a"));
	/* the same bytes as a byte string are not text */
	assert_false(cborx_text_eq(bytes, "IETF"));
	/* an indefinite string is never equal (keys are definite) */
	assert_false(cborx_text_eq(chunked, "streaming"));
	cbor_decref(&ietf);
	cbor_decref(&empty);
	cbor_decref(&bytes);
	cbor_decref(&chunked);
}

static void map_get_and_need(void **state)
{
	cbor_item_t *m = item_of("a26161016162820203");  /* {"a": 1, "b": [2, 3]} */
	cbor_item_t *indef = item_of("bf61610161629f0203ffff");  /* {_ "a": 1, "b": [_ 2, 3]} */
	cbor_item_t *dup = item_of("a2616101616102");  /* {"a": 1, "a": 2} */
	cbor_item_t *intkeys = item_of("a201020304");  /* {1: 2, 3: 4} */
	cbor_item_t *arr = item_of("83010203");
	cbor_item_t *v = NULL;
	struct nk_err err;
	uint64_t u;

	assert_int_equal(cborx_map_get(m, "a", &v), 1);
	assert_int_equal(cborx_get_uint(v, &u, NULL), NK_OK);
	assert_int_equal(u, 1);
	assert_int_equal(cborx_map_get(m, "b", &v), 1);
	assert_true(cbor_isa_array(v));
	assert_int_equal(cborx_map_get(m, "c", &v), 0);
	assert_null(v);
	assert_int_equal(cborx_map_get(indef, "b", &v), 1);
	assert_int_equal(cbor_array_size(v), 2);
	/* a key given twice is neither value */
	assert_int_equal(cborx_map_get(dup, "a", &v), -1);
	assert_null(v);
	/* keys that are not text never match; a non-map has no keys */
	assert_int_equal(cborx_map_get(intkeys, "1", &v), 0);
	assert_int_equal(cborx_map_get(arr, "a", &v), 0);

	assert_int_equal(cborx_map_need(m, "b", &v, &err), NK_OK);
	assert_true(cbor_isa_array(v));
	assert_int_equal(cborx_map_need(m, "nonce", &v, &err), NK_DATA);
	assert_string_equal(err.msg, "no 'nonce'");
	assert_int_equal(cborx_map_need(dup, "a", &v, &err), NK_DATA);
	assert_string_equal(err.msg, "duplicate 'a'");
	assert_int_equal(cborx_map_need(arr, "a", &v, &err), NK_DATA);
	assert_string_equal(err.msg, "expected a map, got array");

	cbor_decref(&m);
	cbor_decref(&indef);
	cbor_decref(&dup);
	cbor_decref(&intkeys);
	cbor_decref(&arr);
}

static void get_uint_over_the_whole_range(void **state)
{
	static const struct { const char *hex; uint64_t v; } t[] = {
		{ "00", 0 }, { "17", 23 }, { "1818", 24 }, { "1903e8", 1000 }, { "1a000f4240", 1000000 },
		{ "1b000000e8d4a51000", 1000000000000ULL }, { "1bffffffffffffffff", UINT64_MAX },
	};
	struct nk_err err;
	cbor_item_t *item;
	uint64_t v;

	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		item = item_of(t[i].hex);
		assert_int_equal(cborx_get_uint(item, &v, &err), NK_OK);
		assert_true(v == t[i].v);
		cbor_decref(&item);
	}
	item = item_of("20");
	assert_int_equal(cborx_get_uint(item, &v, &err), NK_DATA);
	assert_string_equal(err.msg, "expected an unsigned integer, got negative integer");
	cbor_decref(&item);
	item = item_of("6161");
	assert_int_equal(cborx_get_uint(item, &v, &err), NK_DATA);
	assert_string_equal(err.msg, "expected an unsigned integer, got text string");
	cbor_decref(&item);
}

static void get_int_within_int64(void **state)
{
	static const struct { const char *hex; int64_t v; } t[] = {
		{ "00", 0 }, { "0a", 10 }, { "20", -1 }, { "29", -10 }, { "3863", -100 }, { "3903e7", -1000 },
		{ "1b7fffffffffffffff", INT64_MAX }, { "3b7fffffffffffffff", INT64_MIN },
	};
	static const char *const out_of_range[] = {
		"1b8000000000000000",  /* 2^63 */
		"3b8000000000000000",  /* -2^63 - 1 */
		"3bffffffffffffffff",  /* -2^64 */
	};
	struct nk_err err;
	cbor_item_t *item;
	int64_t v;

	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		item = item_of(t[i].hex);
		assert_int_equal(cborx_get_int(item, &v, &err), NK_OK);
		assert_true(v == t[i].v);
		cbor_decref(&item);
	}
	for (size_t i = 0; i < sizeof out_of_range / sizeof *out_of_range; i++) {
		item = item_of(out_of_range[i]);
		assert_int_equal(cborx_get_int(item, &v, &err), NK_DATA);
		assert_string_equal(err.msg, "integer out of range");
		cbor_decref(&item);
	}
	item = item_of("f93c00");
	assert_int_equal(cborx_get_int(item, &v, &err), NK_DATA);
	assert_string_equal(err.msg, "expected an integer, got float");
	cbor_decref(&item);
}

/* get_bytes of hex must give want (hex). */
static void bytes_are(const char *hex, const char *want)
{
	unsigned char w[64], *out = NULL;
	size_t n = unhex(want, w, sizeof w), len = 99;
	cbor_item_t *item = item_of(hex);
	struct nk_err err;

	if (cborx_get_bytes(item, 64, &out, &len, &err) != NK_OK)
		fail_msg("%s: %s", hex, err.msg);
	assert_non_null(out);
	assert_int_equal(len, n);
	assert_memory_equal(out, w, n);
	free(out);
	cbor_decref(&item);
}

static void get_bytes_from_strings_chunks_and_int_arrays(void **state)
{
	bytes_are("4401020304", "01020304");
	bytes_are("5f42010243030405ff", "0102030405");  /* (_ h'0102', h'030405') */
	bytes_are("83010203", "010203");                /* serde_cbor's Vec<u8> */
	bytes_are("820018ff", "00ff");
	bytes_are("40", "");                            /* empty, still a buffer */
	bytes_are("80", "");
}

static void get_bytes_rejects_wrong_types_and_too_many(void **state)
{
	struct nk_err err;
	unsigned char *out = (unsigned char *)&err;
	size_t len = 99;
	cbor_item_t *item;

	item = item_of("6449455446");
	assert_int_equal(cborx_get_bytes(item, 64, &out, &len, &err), NK_DATA);
	assert_string_equal(err.msg, "expected bytes, got text string");
	assert_null(out);
	assert_int_equal(len, 0);
	cbor_decref(&item);

	item = item_of("4401020304");
	assert_int_equal(cborx_get_bytes(item, 3, &out, &len, &err), NK_DATA);
	assert_string_equal(err.msg, "too long ('4' bytes, at most 3)");
	assert_null(out);
	assert_int_equal(cborx_get_bytes(item, 4, &out, &len, &err), NK_OK);
	free(out);
	cbor_decref(&item);

	/* an array item that is not a byte: 256, -1, a string */
	item = item_of("8301190100" "03");
	assert_int_equal(cborx_get_bytes(item, 64, &out, &len, &err), NK_DATA);
	assert_string_equal(err.msg, "byte array item 1 is not an integer 0..255");
	assert_null(out);
	cbor_decref(&item);
	item = item_of("820120");
	assert_int_equal(cborx_get_bytes(item, 64, &out, &len, &err), NK_DATA);
	cbor_decref(&item);
	item = item_of("81416a");
	assert_int_equal(cborx_get_bytes(item, 64, &out, &len, &err), NK_DATA);
	assert_string_equal(err.msg, "byte array item 0 is not an integer 0..255");
	cbor_decref(&item);
}

static void get_bytes_exact_fills_or_fails(void **state)
{
	unsigned char out[4];
	struct nk_err err;
	cbor_item_t *item = item_of("4401020304");

	assert_int_equal(cborx_get_bytes_exact(item, out, 4, &err), NK_OK);
	assert_memory_equal(out, "\x01\x02\x03\x04", 4);
	assert_int_equal(cborx_get_bytes_exact(item, out, 3, &err), NK_DATA);
	assert_string_equal(err.msg, "expected 3 bytes, got '4'");
	cbor_decref(&item);

	item = item_of("83010203");
	assert_int_equal(cborx_get_bytes_exact(item, out, 3, &err), NK_OK);
	assert_memory_equal(out, "\x01\x02\x03", 3);
	cbor_decref(&item);

	item = item_of("a0");
	assert_int_equal(cborx_get_bytes_exact(item, out, 4, &err), NK_DATA);
	assert_string_equal(err.msg, "expected bytes, got map");
	cbor_decref(&item);
}

static void build_and_serialize(cbor_item_t *item, const char *hex)
{
	serializes_to(item, hex);
	cbor_decref(&item);
}

static void builders_write_the_shortest_form(void **state)
{
	/* RFC 8949 §4.2.1: integers in their shortest head */
	build_and_serialize(cborx_uint(0), "00");
	build_and_serialize(cborx_uint(23), "17");
	build_and_serialize(cborx_uint(24), "1818");
	build_and_serialize(cborx_uint(255), "18ff");
	build_and_serialize(cborx_uint(256), "190100");
	build_and_serialize(cborx_uint(65535), "19ffff");
	build_and_serialize(cborx_uint(65536), "1a00010000");
	build_and_serialize(cborx_uint(4294967295U), "1affffffff");
	build_and_serialize(cborx_uint(4294967296ULL), "1b0000000100000000");
	build_and_serialize(cborx_uint(UINT64_MAX), "1bffffffffffffffff");
	build_and_serialize(cborx_int(1000), "1903e8");
	build_and_serialize(cborx_int(-1), "20");
	build_and_serialize(cborx_int(-24), "37");
	build_and_serialize(cborx_int(-25), "3818");
	build_and_serialize(cborx_int(-256), "38ff");
	build_and_serialize(cborx_int(-257), "390100");
	build_and_serialize(cborx_int(-1000), "3903e7");
	build_and_serialize(cborx_int(-65537), "3a00010000");
	build_and_serialize(cborx_int(-4294967297LL), "3b0000000100000000");
	build_and_serialize(cborx_int(INT64_MIN), "3b7fffffffffffffff");

	build_and_serialize(cborx_bstr("", 0), "40");
	build_and_serialize(cborx_bstr("\x01\x02\x03\x04", 4), "4401020304");
	build_and_serialize(cborx_int_array("", 0), "80");
	build_and_serialize(cborx_int_array("\x01\x02\x03", 3), "83010203");
	build_and_serialize(cborx_int_array("\x00\x17\x18\xff", 4), "840017181818ff");
}

static void containers_take_the_reference(void **state)
{
	cbor_item_t *m = cbor_new_definite_map(2), *b = cbor_new_definite_array(2);
	cbor_item_t *a = cbor_new_definite_array(1), *keep;

	/* {"a": 1, "b": [2, 3]} of RFC 8949 A */
	assert_true(cborx_array_put(b, cborx_uint(2)));
	assert_true(cborx_array_put(b, cborx_uint(3)));
	assert_true(cborx_map_put(m, "a", cborx_uint(1)));
	assert_true(cborx_map_put(m, "b", b));
	serializes_to(m, "a26161016162820203");

	/* a definite container that is full refuses, and drops the value */
	keep = cborx_uint(7);
	cbor_incref(keep);
	assert_true(cborx_array_put(a, cborx_uint(1)));
	assert_false(cborx_array_put(a, keep));
	assert_int_equal(cbor_refcount(keep), 1);
	cbor_incref(keep);
	assert_false(cborx_map_put(m, "c", keep));
	assert_int_equal(cbor_refcount(keep), 1);
	cbor_decref(&keep);
	serializes_to(m, "a26161016162820203");

	/* a failed builder (NULL) makes the put fail */
	assert_false(cborx_array_put(a, NULL));
	assert_false(cborx_map_put(m, "d", NULL));
	cbor_decref(&a);
	cbor_decref(&m);
}

static void serialize_of_nothing_fails(void **state)
{
	unsigned char *out = (unsigned char *)"x";
	size_t len = 5;
	struct nk_err err;

	/* what a failed builder passes on */
	assert_int_equal(cborx_serialize(NULL, &out, &len, &err), NK_IO);
	assert_null(out);
	assert_int_equal(len, 0);
}

static void load_then_serialize_round_trips(void **state)
{
	/* definite examples in preferred serialization come back byte for byte */
	static const char *const t[] = {
		"1bffffffffffffffff", "3903e7", "4401020304", "6449455446", "8301820203820405",
		"a26161016162820203", "a56161614161626142616361436164614461656145", "f6", "f5",
	};

	for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
		cbor_item_t *item = item_of(t[i]);

		serializes_to(item, t[i]);
		cbor_decref(&item);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(check_accepts_the_rfc_examples),
		cmocka_unit_test(check_reports_the_length_of_the_first_item),
		cmocka_unit_test(check_rejects_every_truncation),
		cmocka_unit_test(check_rejects_counts_larger_than_the_input),
		cmocka_unit_test(check_limits_the_nesting),
		cmocka_unit_test(check_rejects_malformed_heads),
		cmocka_unit_test(check_rejects_what_libcbor_cannot_decode),
		cmocka_unit_test(load_decodes_exactly_one_item),
		cmocka_unit_test(load_rejects_oversized_trailing_and_truncated),
		cmocka_unit_test(type_names),
		cmocka_unit_test(skip_tag_finds_the_head_in_any_width),
		cmocka_unit_test(is_null_only_for_null),
		cmocka_unit_test(text_eq_compares_definite_text),
		cmocka_unit_test(map_get_and_need),
		cmocka_unit_test(get_uint_over_the_whole_range),
		cmocka_unit_test(get_int_within_int64),
		cmocka_unit_test(get_bytes_from_strings_chunks_and_int_arrays),
		cmocka_unit_test(get_bytes_rejects_wrong_types_and_too_many),
		cmocka_unit_test(get_bytes_exact_fills_or_fails),
		cmocka_unit_test(builders_write_the_shortest_form),
		cmocka_unit_test(containers_take_the_reference),
		cmocka_unit_test(serialize_of_nothing_fails),
		cmocka_unit_test(load_then_serialize_round_trips),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
