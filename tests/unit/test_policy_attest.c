/* Tests of policy_attest: the kms:RecipientAttestation:* context keys of a
 * parsed attestation document (only the PCR fields matter, so the document
 * is made by hand). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "policy/policy_attest.h"

static void test_image_and_pcrs(void **state)
{
	struct attest_parsed p = { 0 };
	struct policy_attest_ctx c;
	const char *a0 = "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0"
			 "a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0";

	(void)state;
	memset(p.pcr[0], 0xa0, PCR_LEN);
	memset(p.pcr[3], 0x03, PCR_LEN);
	memset(p.pcr[31], 0xff, PCR_LEN);
	p.pcr_mask = 1u | 1u << 3 | 1u << 31;
	assert_int_equal(policy_attest_context(&p, &c), 4);
	/* PCR0 twice: KMS names the image measurement on its own */
	assert_string_equal(c.key[0], "kms:RecipientAttestation:ImageSha384");
	assert_string_equal(c.value[0], a0);
	assert_string_equal(c.key[1], "kms:RecipientAttestation:PCR0");
	assert_string_equal(c.value[1], a0);
	assert_string_equal(c.key[2], "kms:RecipientAttestation:PCR3");
	assert_string_equal(c.value[2], "030303030303030303030303030303030303030303030303"
					"030303030303030303030303030303030303030303030303");
	assert_string_equal(c.key[3], "kms:RecipientAttestation:PCR31");
	assert_string_equal(c.value[3], "ffffffffffffffffffffffffffffffffffffffffffffffff"
					"ffffffffffffffffffffffffffffffffffffffffffffffff");
}

static void test_without_pcr0(void **state)
{
	struct attest_parsed p = { 0 };
	struct policy_attest_ctx c;

	(void)state;
	assert_int_equal(policy_attest_context(&p, &c), 0);
	p.pcr_mask = 1u << 16;
	assert_int_equal(policy_attest_context(&p, &c), 1);
	assert_string_equal(c.key[0], "kms:RecipientAttestation:PCR16");
}

static void test_every_pcr_fits(void **state)
{
	struct attest_parsed p = { 0 };
	struct policy_attest_ctx c;

	(void)state;
	p.pcr_mask = UINT32_MAX;
	assert_int_equal(policy_attest_context(&p, &c), POLICY_ATTEST_CTX_MAX);
	assert_string_equal(c.key[POLICY_ATTEST_CTX_MAX - 1], "kms:RecipientAttestation:PCR31");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_and_pcrs),
		cmocka_unit_test(test_without_pcr0),
		cmocka_unit_test(test_every_pcr_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
