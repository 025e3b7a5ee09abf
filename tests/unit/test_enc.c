#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/enc.h"

static void hex_round_trip(void **state)
{
	const unsigned char in[] = { 0x00, 0x01, 0xab, 0xff };
	unsigned char out[8];
	char hex[9];
	size_t n;

	enc_hex(in, sizeof in, hex);
	assert_string_equal(hex, "0001abff");
	assert_int_equal(enc_unhex("0001ABff", out, sizeof out, &n, NULL), NK_OK);
	assert_int_equal(n, 4);
	assert_memory_equal(out, in, 4);
}

static void hex_rejects(void **state)
{
	unsigned char out[2];
	struct nk_err err;
	size_t n;

	assert_int_equal(enc_unhex("abc", out, sizeof out, &n, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "odd number"));
	assert_int_equal(enc_unhex("zz", out, sizeof out, &n, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "not a hex digit at position 1"));
	assert_int_equal(enc_unhex("001122", out, sizeof out, &n, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "too long"));
	assert_int_equal(enc_unhex("", out, sizeof out, &n, &err), NK_OK);
	assert_int_equal(n, 0);
}

/* RFC 4648 §10 test vectors. */
static void b64_vectors(void **state)
{
	static const char *const plain[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	static const char *const coded[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };

	for (size_t i = 0; i < 7; i++) {
		unsigned char out[16];
		char *e = enc_b64((const unsigned char *)plain[i], strlen(plain[i]));
		size_t n;

		assert_string_equal(e, coded[i]);
		free(e);
		assert_int_equal(enc_unb64(coded[i], strlen(coded[i]), out, &n, NULL), NK_OK);
		assert_int_equal(n, strlen(plain[i]));
		assert_memory_equal(out, plain[i], n);
	}
}

static void b64_rejects(void **state)
{
	unsigned char out[32];
	struct nk_err err;
	size_t n;

	assert_int_equal(enc_unb64("Zm9v!", 5, out, &n, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "invalid base64 character at offset 4"));
	assert_int_equal(enc_unb64("Zg==Zg==", 8, out, &n, &err), NK_DATA);
	assert_int_equal(enc_unb64("Zg=", 3, out, &n, &err), NK_DATA);
	assert_int_equal(enc_unb64("Z", 1, out, &n, &err), NK_DATA);
	assert_int_equal(enc_unb64("Zh==", 4, out, &n, &err), NK_DATA); /* non-zero trailing bits */
	/* white space is skipped (wrapped base64 from other tools) */
	assert_int_equal(enc_unb64("Zm9v\nYmFy\n", 10, out, &n, &err), NK_OK);
	assert_int_equal(n, 6);
	assert_true(enc_is_b64_text((const unsigned char *)"Zm9v\n", 5));
	assert_false(enc_is_b64_text((const unsigned char *)"\x00\x01", 2));
	assert_false(enc_is_b64_text((const unsigned char *)"  \n", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hex_round_trip),
		cmocka_unit_test(hex_rejects),
		cmocka_unit_test(b64_vectors),
		cmocka_unit_test(b64_rejects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
