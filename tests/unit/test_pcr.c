#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/enc.h"
#include "eif/pcr.h"

static void hex_eq(const unsigned char v[PCR_LEN], const char *want)
{
	char hex[PCR_HEX_LEN + 1];

	enc_hex(v, PCR_LEN, hex);
	assert_string_equal(hex, want);
}

/* AWS's published examples (Nitro Enclaves user guide, "Where to get an enclave's measurements"). */
static void pcr3_pcr4_known_answers(void **state)
{
	const char *arn = "arn:aws:iam::123456789012:role/Webserver", *id = "i-1234567890abcdef0";
	unsigned char v[PCR_LEN];

	assert_int_equal(pcr_ext_raw(arn, strlen(arn), v), NK_OK);
	hex_eq(v, "78fce75db17cd4e0a3fb8dad3ad128ca5e77edbb2b2c7f75329dccd99aa5f6ef"
		  "4fc1f1a452e315b9e98f9e312e6921e6");
	assert_int_equal(pcr_ext_raw(id, strlen(id), v), NK_OK);
	hex_eq(v, "08f996b5d43e047a9eb51e7f548bfee7e164fd7dc8f65541f2ac09d6545ac812"
		  "719327281c401a67a10fcba87ae79ce0");
}

/* ext(SHA384("")) is PCR2 of a one-ramdisk image (DESIGN §4.2). */
static void ext_of_empty_digest(void **state)
{
	unsigned char d[PCR_LEN], v[PCR_LEN];
	size_t n;

	/* SHA-384 of the empty string, FIPS 180-2 example. */
	assert_int_equal(enc_unhex("38b060a751ac96384cd9327eb1b1e36a21fdb71114be0743"
				   "4c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b", d, sizeof d, &n, NULL), NK_OK);
	assert_int_equal(pcr_ext(d, v), NK_OK);
	hex_eq(v, "21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c"
		  "10edb30948c90ba67310f7b964fc500a");
}

static void extend_chains(void **state)
{
	unsigned char a[PCR_LEN] = { 0 }, b[PCR_LEN];

	assert_true(pcr_is_zero(a));
	assert_int_equal(pcr_extend(a, "x", 1), NK_OK);
	assert_false(pcr_is_zero(a));
	/* one extend from zero is ext_raw */
	assert_int_equal(pcr_ext_raw("x", 1, b), NK_OK);
	assert_memory_equal(a, b, PCR_LEN);
	/* order matters */
	assert_int_equal(pcr_extend(a, "y", 1), NK_OK);
	memset(b, 0, PCR_LEN);
	assert_int_equal(pcr_extend(b, "y", 1), NK_OK);
	assert_int_equal(pcr_extend(b, "x", 1), NK_OK);
	assert_memory_not_equal(a, b, PCR_LEN);
}

/* Expected value from Python: fold sha384(old + data) from 48 zero bytes. */
static void fold_extends_hex_and_file(void **state)
{
	char path[] = "/tmp/nk-test-pcr-XXXXXX", at[40];
	const char *vals[2] = { "00FF", at };
	unsigned char v[PCR_LEN];
	struct nk_err err;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	snprintf(at, sizeof at, "@%s", path);
	assert_int_equal(pcr_fold_extends(vals, 2, v, &err), NK_OK);
	hex_eq(v, "223440092dc43a4cc8e28f564e485962be4d0954dc92975fc8bf22e14b39f4d0"
		  "185e9d2ba2281197c018319f93f9d68f");
	vals[0] = "zz";
	assert_int_equal(pcr_fold_extends(vals, 1, v, &err), NK_USAGE);
	assert_non_null(strstr(err.msg, "invalid value 'zz' for --extend: "));
	unlink(path);
}

static void cert_pem_rejects_garbage(void **state)
{
	unsigned char v[PCR_LEN];
	struct nk_err err;

	assert_int_equal(pcr_of_cert_pem("hello", 5, v, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "not a PEM certificate"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pcr3_pcr4_known_answers),
		cmocka_unit_test(ext_of_empty_digest),
		cmocka_unit_test(extend_chains),
		cmocka_unit_test(fold_extends_hex_and_file),
		cmocka_unit_test(cert_pem_rejects_garbage),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
