/* Tests of nsmsim (the simulator's core), nsmsim_pki and attest, in process.
 * Known answers come from outside the code under test: the PCRs of
 * the synthetic EIF and of AWS's example role ARN / instance id, extends
 * computed with Python's hashlib, serde encodings written out by hand,
 * libcbor reading the documents back and OpenSSL's own chain verifier. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include <cbor.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "attest/attest.h"
#include "util/cborx.h"
#include "util/cose.h"
#include "util/enc.h"
#include "util/io.h"
#include "nsm/nsm_msg.h"
#include "sim/nsmsim.h"
#include "sim/nsmsim_pki.h"

/* DESIGN §4.2 and the issue: the synthetic EIF, AWS's examples. */
#define SYN_PCR0 "d85ed11aaa1433bf0e2d24c74a2ce354f1807ad618e051c8949a29a984ae512f806c07a8065383e6d42391fbe9798e2d"
#define SYN_PCR1 "21b83ac9fe90acad86ecd150db84c0cdf35f905bd567bda301ede12b02550dfbf6e55390f0ffb684bbffc106b627794d"
#define SYN_PCR2 "206f7853ba2810292cd7f9f234e1fbb421743a02e760d0c55621704f937944356bba7236ab1011c1c8c36fbbde101df7"
#define ARN "arn:aws:iam::123456789012:role/Webserver"
#define ARN_PCR3 "78fce75db17cd4e0a3fb8dad3ad128ca5e77edbb2b2c7f75329dccd99aa5f6ef4fc1f1a452e315b9e98f9e312e6921e6"
#define IID "i-1234567890abcdef0"
#define IID_PCR4 "08f996b5d43e047a9eb51e7f548bfee7e164fd7dc8f65541f2ac09d6545ac812719327281c401a67a10fcba87ae79ce0"
/* hashlib: sha384(48 zeros + b"abc"), then sha384(that + b"def"). */
#define EXT_ABC "b1c16eb7634112b7c9d5ebd27e62a2d4528bbfcfd68b62d3afd9ecf98e0f413a84314acce78317fb69fd895155343e09"
#define EXT_ABC_DEF "ba598f53461d55592887b15124753fb581a0e3b4961eaefea1714a8f289ad5eac2e9193704097bdc71a4dbe8e671a5f5"
/* hashlib: sha384(48 zeros), a zero PCR extended with nothing. */
#define SHA384_ZEROS "8f0d145c0368ad6b70be22e41c400eea91b971d96ba220fec9fae25a58dffdaaf72dbe8f6783d55128c9df4efaf6f8a7"
#define ZERO96 "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
#define HEX_A94 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_A96 "aa" HEX_A94

/* 2023-11-14T22:13:20Z, a fixed clock for the documents. */
#define T0_MS 1700000000000ull

static char dir[] = "/tmp/test_nsmsim.XXXXXX";
static char pki[64], eif_path[64], bad_eif[64];

/* --- fixtures ---------------------------------------------------------------- */

static void be(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/* The synthetic EIF (as tests/unit/test_eif.c writes it), byte by byte. */
static void write_synthetic(const char *path)
{
	static const char cmdline[] = "reboot=k panic=30 pci=off nomodules console=ttyS0 random.trust_cpu=on root=/dev/ram0";
	static const char meta[] = "{\"ImageName\":\"test\",\"ImageVersion\":\"1.0\",\"BuildMetadata\":{\"BuildTime\":"
		"\"2024-01-01T00:00:00+00:00\",\"BuildTool\":\"eif_build\",\"BuildToolVersion\":\"0.3.1\","
		"\"OperatingSystem\":\"OS\",\"KernelVersion\":\"kernel\"},\"DockerInfo\":null,\"CustomMetadata\":null}";
	static unsigned char kernel[256 * 40], rd0[9 * 1000], rd1[9 * 2000];
	const unsigned char *data[5] = { kernel, (const unsigned char *)cmdline, (const unsigned char *)meta, rd0, rd1 };
	size_t size[5] = { sizeof kernel, strlen(cmdline), strlen(meta), sizeof rd0, sizeof rd1 };
	unsigned types[5] = { 1, 2, 5, 3, 3 };
	unsigned char hdr[548] = { 0 }, sh[12], *img, *p;
	size_t total = 548, pos = 548;
	uint32_t crc;

	for (size_t i = 0; i < sizeof kernel; i++)
		kernel[i] = (unsigned char)i;
	for (size_t i = 0; i < 1000; i++)
		memcpy(rd0 + 9 * i, "ramdisk0-", 9);
	for (size_t i = 0; i < 2000; i++)
		memcpy(rd1 + 9 * i, "ramdisk1-", 9);
	for (int i = 0; i < 5; i++)
		total += 12 + size[i];
	memcpy(hdr, ".eif", 4);
	be(hdr + 4, 4, 2);
	be(hdr + 8, 1ull << 30, 8);
	be(hdr + 16, 2, 8);
	be(hdr + 26, 5, 2);
	for (int i = 0; i < 5; i++) {
		be(hdr + 28 + 8 * i, pos, 8);
		be(hdr + 28 + 256 + 8 * i, size[i], 8);
		pos += 12 + size[i];
	}
	p = img = malloc(total);
	assert_non_null(img);
	memcpy(p, hdr, 548);
	p += 548;
	for (int i = 0; i < 5; i++) {
		be(sh, types[i], 2);
		be(sh + 2, 0, 2);
		be(sh + 4, size[i], 8);
		memcpy(p, sh, 12);
		memcpy(p + 12, data[i], size[i]);
		p += 12 + size[i];
	}
	crc = (uint32_t)crc32(0, img, 544);
	crc = (uint32_t)crc32(crc, img + 548, (uInt)(total - 548));
	be(img + 544, crc, 4);
	assert_int_equal(io_write_file(path, img, total, 0644, NULL), NK_OK);
	free(img);
}

static int group_setup(void **state)
{
	if (!mkdtemp(dir))
		return -1;
	snprintf(pki, sizeof pki, "%s/pki", dir);
	snprintf(eif_path, sizeof eif_path, "%s/syn.eif", dir);
	snprintf(bad_eif, sizeof bad_eif, "%s/bad.eif", dir);
	write_synthetic(eif_path);
	return io_write_file(bad_eif, "not an eif at all", 17, 0644, NULL) ? -1 : 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void boot(struct nsmsim *s, struct nsmsim_config *c)
{
	struct nk_err err = { 0 };

	if (!c->pki_dir)
		c->pki_dir = pki;
	memset(s, 0, sizeof *s);
	s->fixed_ms = T0_MS;
	if (nsmsim_init(s, c, &err))
		fail_msg("nsmsim_init: %s", err.msg);
}

static void hex_eq(const unsigned char *v, size_t n, const char *want)
{
	char hex[2 * 1100 + 1];

	assert_true(n <= 1100);
	enc_hex(v, n, hex);
	assert_string_equal(hex, want);
}

/* --- calling the simulator ------------------------------------------------- */

/* Raw bytes in, the raw answer out (malloc'd). */
static unsigned char *raw_call(struct nsmsim *s, const void *req, size_t len, size_t *rlen)
{
	unsigned char *resp = NULL;

	assert_int_equal(nsmsim_handle(s, req, len, &resp, rlen), NK_OK);
	assert_non_null(resp);
	return resp;
}

/* Encode q, answer it, decode: the caller clears *a. */
static void call(struct nsmsim *s, const struct nsm_request *q, struct nsm_response *a)
{
	struct nk_err err = { 0 };
	unsigned char *req = NULL, *resp;
	size_t len = 0, rlen = 0;

	assert_int_equal(nsm_request_encode(q, &req, &len, &err), NK_OK);
	resp = raw_call(s, req, len, &rlen);
	if (nsm_response_decode(resp, rlen, a, &err))
		fail_msg("undecodable answer: %s", err.msg);
	free(req);
	free(resp);
}

/* The error code answered to q (NSM_E_SUCCESS for a regular answer of q's op). */
static enum nsm_error call_err(struct nsmsim *s, const struct nsm_request *q)
{
	struct nsm_response a;
	enum nsm_error e;

	call(s, q, &a);
	e = a.op == NSM_OP_ERROR ? a.error : NSM_E_SUCCESS;
	if (a.op != NSM_OP_ERROR)
		assert_int_equal(a.op, q->op);
	nsm_response_clear(&a);
	return e;
}

static struct nsm_request rq(enum nsm_op op, unsigned index)
{
	return (struct nsm_request){ .op = op, .index = (uint16_t)index, .range = (uint16_t)index };
}

static void pcr_is(struct nsmsim *s, unsigned i, const char *hex, int locked)
{
	struct nsm_request q = rq(NSM_OP_DESCRIBE_PCR, i);
	struct nsm_response a;

	call(s, &q, &a);
	assert_int_equal(a.op, NSM_OP_DESCRIBE_PCR);
	assert_int_equal(a.data.len, PCR_LEN);
	if (hex)
		hex_eq(a.data.p, PCR_LEN, hex);
	assert_int_equal(a.lock, locked);
	nsm_response_clear(&a);
}

/* serde's {"Error": "<name>"}, written out here rather than encoded by nsm. */
static void error_bytes_are(const unsigned char *resp, size_t len, const char *name)
{
	unsigned char want[64] = { 0xa1, 0x65, 'E', 'r', 'r', 'o', 'r' };
	size_t n = strlen(name);

	want[7] = (unsigned char)(0x60 + n);
	memcpy(want + 8, name, n);
	assert_int_equal(len, 8 + n);
	assert_memory_equal(resp, want, len);
}

/* --- configuration ------------------------------------------------------------- */

static void pcr_option(void **state)
{
	struct nsmsim_config c = { 0 };
	struct nk_err err = { 0 };
	static const struct { const char *arg, *msg; } bad[] = {
		{ "3", "expected N=HEX" },
		{ "=" HEX_A96, "expected N=HEX" },
		{ "16=" HEX_A96, "the index must be 0 to 15" },
		{ "x=" HEX_A96, "the index must be 0 to 15" },
		{ "-1=" HEX_A96, "the index must be 0 to 15" },
		{ "100=" HEX_A96, "the index must be 0 to 15" },
		{ "5=abcd", "expected 96 hex digits after '=', got 4" },
		{ "5=" ZERO96 "00", "expected 96 hex digits after '=', got 98" },
		{ "5=zz" HEX_A94, "not a hex digit at position 1" },
	};

	assert_int_equal(nsmsim_config_pcr(&c, "7=" HEX_A96, &err), NK_OK);
	assert_int_equal(nsmsim_config_pcr(&c, "15=" ZERO96, &err), NK_OK);
	assert_int_equal(c.pcr_given, 1u << 7 | 1u << 15);
	hex_eq(c.pcr[7], PCR_LEN, HEX_A96);
	assert_int_equal(nsmsim_config_pcr(&c, "7=" ZERO96, &err), NK_USAGE);
	assert_string_equal(err.msg, "--pcr 7 given more than once");
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(nsmsim_config_pcr(&c, bad[i].arg, &err), NK_USAGE);
		if (!strstr(err.msg, bad[i].msg) || !strstr(err.msg, "for --pcr"))
			fail_msg("'%s': got '%s', want '%s'", bad[i].arg, err.msg, bad[i].msg);
	}
	assert_int_equal(c.pcr_given, 1u << 7 | 1u << 15);
}

static void config_conflicts(void **state)
{
	static const struct { struct nsmsim_config c; int pcr; const char *msg; } bad[] = {
		{ { .eif = "x.eif" }, 1, "--eif and --pcr cannot be used together" },
		{ { .role_arn = ARN }, 3, "--pcr 3 and --role-arn both set PCR3" },
		{ { .instance_id = IID }, 4, "--pcr 4 and --instance-id both set PCR4" },
		{ { .debug = 1 }, 8, "cannot be used with --debug-mode" },
		{ { .role_arn = "" }, -1, "--role-arn must not be empty" },
		{ { .instance_id = "" }, -1, "--instance-id must not be empty" },
		{ { .module_id = "" }, -1, "invalid value '' for --module-id" },
		{ { .module_id = "has space" }, -1, "invalid value 'has space' for --module-id" },
		{ { .module_id = "i-0123456789abcdef0-enc0123456789abcdef0123456789" }, -1, "expected 1 to 48" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct nsmsim_config c = bad[i].c;
		struct nsmsim s;
		struct nk_err err = { 0 };

		c.pki_dir = pki;
		if (bad[i].pcr >= 0) {
			char arg[128];

			snprintf(arg, sizeof arg, "%d=%s", bad[i].pcr, HEX_A96);
			assert_int_equal(nsmsim_config_pcr(&c, arg, &err), NK_OK);
		}
		assert_int_equal(nsmsim_init(&s, &c, &err), NK_USAGE);
		if (!strstr(err.msg, bad[i].msg))
			fail_msg("case %zu: got '%s', want '%s'", i, err.msg, bad[i].msg);
	}
}

static void eif_errors(void **state)
{
	struct nsmsim_config c = { .pki_dir = pki };
	struct nsmsim s;
	struct nk_err err = { 0 };
	char missing[80];

	snprintf(missing, sizeof missing, "%s/none.eif", dir);
	c.eif = missing;
	assert_int_equal(nsmsim_init(&s, &c, &err), NK_IO);
	assert_non_null(strstr(err.msg, "none.eif"));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	c.eif = bad_eif;
	assert_int_equal(nsmsim_init(&s, &c, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "bad.eif"));
}

/* --- boot state ------------------------------------------------------------------ */

static void boot_from_eif(void **state)
{
	struct nsmsim_config c = { .eif = eif_path, .role_arn = ARN, .instance_id = IID };
	struct nsmsim s;

	boot(&s, &c);
	pcr_is(&s, 0, SYN_PCR0, 1);
	pcr_is(&s, 1, SYN_PCR1, 1);
	pcr_is(&s, 2, SYN_PCR2, 1);
	pcr_is(&s, 3, ARN_PCR3, 1);
	pcr_is(&s, 4, IID_PCR4, 1);
	pcr_is(&s, 8, ZERO96, 1);  /* unsigned image */
	for (unsigned i = 5; i < 16; i++)
		if (i != 8)
			pcr_is(&s, i, ZERO96, 1);
	for (unsigned i = 16; i < 32; i++)
		pcr_is(&s, i, ZERO96, 0);
	nsmsim_free(&s);
}

static void boot_from_pcr_options(void **state)
{
	struct nsmsim_config c = { 0 };
	struct nsmsim s;

	assert_int_equal(nsmsim_config_pcr(&c, "0=" HEX_A96, NULL), NK_OK);
	assert_int_equal(nsmsim_config_pcr(&c, "15=" SYN_PCR2, NULL), NK_OK);
	boot(&s, &c);
	pcr_is(&s, 0, HEX_A96, 1);
	pcr_is(&s, 1, ZERO96, 1);
	pcr_is(&s, 15, SYN_PCR2, 1);
	nsmsim_free(&s);
}

static void debug_mode_zeroes_image_pcrs(void **state)
{
	struct nsmsim_config c = { .eif = eif_path, .debug = 1, .role_arn = ARN, .instance_id = IID };
	struct nsmsim s;

	boot(&s, &c);
	for (unsigned i = 0; i < 16; i++)
		pcr_is(&s, i, i == 3 ? ARN_PCR3 : i == 4 ? IID_PCR4 : ZERO96, 1);
	nsmsim_free(&s);
}

/* --- operations -------------------------------------------------------------------- */

static void extend_and_lock(void **state)
{
	struct nsmsim_config c = { 0 };
	struct nsm_request q = rq(NSM_OP_EXTEND_PCR, 16);
	struct nsm_response a;
	struct nsmsim s;

	boot(&s, &c);
	q.data = (struct nsm_bytes){ (const unsigned char *)"abc", 3, 1 };
	call(&s, &q, &a);
	assert_int_equal(a.op, NSM_OP_EXTEND_PCR);
	hex_eq(a.data.p, a.data.len, EXT_ABC);
	nsm_response_clear(&a);
	q.data = (struct nsm_bytes){ (const unsigned char *)"def", 3, 1 };
	call(&s, &q, &a);
	hex_eq(a.data.p, a.data.len, EXT_ABC_DEF);
	nsm_response_clear(&a);
	pcr_is(&s, 16, EXT_ABC_DEF, 0);
	pcr_is(&s, 17, ZERO96, 0);  /* the others are untouched */

	q = rq(NSM_OP_LOCK_PCR, 16);
	assert_int_equal(call_err(&s, &q), NSM_E_SUCCESS);
	pcr_is(&s, 16, EXT_ABC_DEF, 1);
	/* locking again succeeds; extending a locked PCR does not */
	assert_int_equal(call_err(&s, &q), NSM_E_SUCCESS);
	q = rq(NSM_OP_EXTEND_PCR, 16);
	q.data = (struct nsm_bytes){ (const unsigned char *)"x", 1, 1 };
	assert_int_equal(call_err(&s, &q), NSM_E_READONLY_INDEX);
	pcr_is(&s, 16, EXT_ABC_DEF, 1);
	q.index = 3;
	assert_int_equal(call_err(&s, &q), NSM_E_READONLY_INDEX);
	/* an empty extend is still an extend */
	q.index = 31;
	q.data = (struct nsm_bytes){ (const unsigned char *)"", 0, 1 };
	assert_int_equal(call_err(&s, &q), NSM_E_SUCCESS);
	pcr_is(&s, 31, SHA384_ZEROS, 0);
	nsmsim_free(&s);
}

static void lock_range(void **state)
{
	struct nsmsim_config c = { 0 };
	struct nsm_request q = rq(NSM_OP_LOCK_PCRS, 20);
	struct nsm_response a;
	struct nsmsim s;

	boot(&s, &c);
	assert_int_equal(call_err(&s, &q), NSM_E_SUCCESS);
	q = rq(NSM_OP_DESCRIBE_NSM, 0);
	call(&s, &q, &a);
	assert_int_equal(a.nlocked, 20);
	for (unsigned i = 0; i < 20; i++)
		assert_int_equal(a.locked_pcrs[i], i);
	nsm_response_clear(&a);
	pcr_is(&s, 19, ZERO96, 1);
	pcr_is(&s, 20, ZERO96, 0);
	q = rq(NSM_OP_LOCK_PCRS, 33);
	assert_int_equal(call_err(&s, &q), NSM_E_INVALID_INDEX);
	pcr_is(&s, 20, ZERO96, 0);
	q = rq(NSM_OP_LOCK_PCRS, 0);
	assert_int_equal(call_err(&s, &q), NSM_E_SUCCESS);
	q = rq(NSM_OP_LOCK_PCRS, 32);
	assert_int_equal(call_err(&s, &q), NSM_E_SUCCESS);
	pcr_is(&s, 31, ZERO96, 1);
	nsmsim_free(&s);
}

static void invalid_indexes(void **state)
{
	struct nsmsim_config c = { 0 };
	struct nsm_request q;
	struct nsmsim s;
	unsigned idx[] = { 32, 33, 255, 256, 65535 };

	boot(&s, &c);
	for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++) {
		q = rq(NSM_OP_DESCRIBE_PCR, idx[i]);
		assert_int_equal(call_err(&s, &q), NSM_E_INVALID_INDEX);
		q = rq(NSM_OP_LOCK_PCR, idx[i]);
		assert_int_equal(call_err(&s, &q), NSM_E_INVALID_INDEX);
		q = rq(NSM_OP_EXTEND_PCR, idx[i]);
		q.data = (struct nsm_bytes){ (const unsigned char *)"a", 1, 1 };
		assert_int_equal(call_err(&s, &q), NSM_E_INVALID_INDEX);
		assert_int_equal(s.last_op, NSM_OP_EXTEND_PCR);
		assert_int_equal(s.last_error, NSM_E_INVALID_INDEX);
	}
	nsmsim_free(&s);
}

static void error_answers_byte_for_byte(void **state)
{
	/* {"DescribePCR": {"index": 32}} */
	static const unsigned char describe32[] = { 0xa1, 0x6b, 'D', 'e', 's', 'c', 'r', 'i', 'b', 'e', 'P', 'C', 'R',
						    0xa1, 0x65, 'i', 'n', 'd', 'e', 'x', 0x18, 0x20 };
	struct nsmsim_config c = { 0 };
	struct nsmsim s;
	unsigned char *r;
	size_t n;

	boot(&s, &c);
	r = raw_call(&s, describe32, sizeof describe32, &n);
	error_bytes_are(r, n, "InvalidIndex");
	free(r);
	r = raw_call(&s, "\xff", 1, &n);
	error_bytes_are(r, n, "InvalidOperation");
	free(r);
	assert_int_equal(s.last_op, -1);
	assert_int_equal(s.last_len, 1);
	nsmsim_free(&s);
}

static void invalid_operations(void **state)
{
	static const struct { const char *hex; const char *what; } bad[] = {
		{ "", "nothing" },
		{ "ff", "a break byte" },
		{ "00", "an integer" },
		{ "63466f6f", "\"Foo\"" },
		{ "654572726f72", "\"Error\" (a response)" },
		{ "6b4465736372696265504352", "\"DescribePCR\" without fields" },
		{ "a16b4465736372696265504352a163696478", "DescribePCR{idx} truncated" },
		{ "a16b4465736372696265504352a163696478 00", "DescribePCR{idx: 0}" },
		{ "a16b4465736372696265504352a165696e64657820", "DescribePCR{index: -1}" },
		{ "a16b4465736372696265504352a165696e6465781a00010000", "DescribePCR{index: 65536}" },
		{ "a16b4465736372696265504352a165696e6465780000", "a trailing byte" },
		{ "a16b4465736372696265504352a165696e64657800"
		  "a16b4465736372696265504352a165696e64657800", "two requests in one record" },
		{ "a169457874656e64504352a165696e64657810", "ExtendPCR without data" },
		{ "a16947657452616e646f6df6", "GetRandom with fields" },
		{ "a0", "an empty map" },
	};
	struct nsmsim_config c = { 0 };
	struct nsmsim s;

	boot(&s, &c);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		unsigned char buf[128], *r;
		char hex[256];
		size_t n = 0, rn = 0, k = 0;

		for (const char *p = bad[i].hex; *p; p++)
			if (*p != ' ')
				hex[k++] = *p;
		hex[k] = '\0';
		assert_int_equal(enc_unhex(hex, buf, sizeof buf, &n, NULL), NK_OK);
		r = raw_call(&s, buf, n, &rn);
		if (rn < 8 || memcmp(r + 8, "InvalidOperation", 16) != 0)
			fail_msg("%s: not answered InvalidOperation", bad[i].what);
		error_bytes_are(r, rn, "InvalidOperation");
		free(r);
	}
	nsmsim_free(&s);
}

static void input_too_large(void **state)
{
	struct nsmsim_config c = { 0 };
	struct nsmsim s;
	unsigned char *req = calloc(1, NSM_REQUEST_MAX + 1), *r;
	/* {"ExtendPCR": {"index": 16, "data": h'...'}} with a 2-byte length: 27 bytes of framing */
	static const unsigned char head[] = { 0xa1, 0x69, 'E', 'x', 't', 'e', 'n', 'd', 'P', 'C', 'R',
					      0xa2, 0x65, 'i', 'n', 'd', 'e', 'x', 0x10,
					      0x64, 'd', 'a', 't', 'a', 0x59 };
	size_t n;

	assert_non_null(req);
	boot(&s, &c);
	/* a well-formed request of 4096 bytes is served, one of 4097 is not */
	for (size_t total = NSM_REQUEST_MAX; total <= NSM_REQUEST_MAX + 1; total++) {
		size_t data = total - sizeof head - 2;

		memcpy(req, head, sizeof head);
		req[sizeof head] = (unsigned char)(data >> 8);
		req[sizeof head + 1] = (unsigned char)data;
		memset(req + sizeof head + 2, 'z', data);
		r = raw_call(&s, req, total, &n);
		if (total == NSM_REQUEST_MAX)
			assert_int_equal(s.last_error, NSM_E_SUCCESS);
		else
			error_bytes_are(r, n, "InputTooLarge");
		free(r);
	}
	/* past the cap the bytes are not even looked at (ASan would see an overread) */
	r = raw_call(&s, req, 1000000, &n);
	error_bytes_are(r, n, "InputTooLarge");
	assert_int_equal(s.last_len, 1000000);
	free(r);
	free(req);
	nsmsim_free(&s);
}

static void attestation_field_limits(void **state)
{
	static unsigned char big[NSM_FIELD_MAX + 1];
	struct nsmsim_config c = { 0 };
	struct nsmsim s;

	boot(&s, &c);
	for (int f = 0; f < 3; f++) {
		for (size_t len = NSM_FIELD_MAX; len <= NSM_FIELD_MAX + 1; len++) {
			struct nsm_request q = { .op = NSM_OP_ATTESTATION };
			struct nsm_bytes *b = f == 0 ? &q.user_data : f == 1 ? &q.nonce : &q.public_key;

			*b = (struct nsm_bytes){ big, len, 1 };
			assert_int_equal(call_err(&s, &q), len > NSM_FIELD_MAX ? NSM_E_INVALID_ARGUMENT : NSM_E_SUCCESS);
		}
	}
	nsmsim_free(&s);
}

static void describe_nsm(void **state)
{
	struct nsmsim_config c = { 0 };
	struct nsm_request q = { .op = NSM_OP_DESCRIBE_NSM };
	struct nsm_response a;
	struct nsmsim s;

	boot(&s, &c);
	call(&s, &q, &a);
	assert_int_equal(a.op, NSM_OP_DESCRIBE_NSM);
	assert_int_equal(a.version_major, 1);
	assert_int_equal(a.version_minor, 0);
	assert_int_equal(a.version_patch, 0);
	assert_int_equal(a.max_pcrs, 32);
	assert_string_equal(a.digest, "SHA384");
	assert_string_equal(a.module_id, "i-00000000000000000-enc0000000000000000");
	assert_int_equal(a.nlocked, 16);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(a.locked_pcrs[i], i);
	nsm_response_clear(&a);
	nsmsim_free(&s);

	c.module_id = "i-0123456789abcdef0-enc0123456789abcdef";
	boot(&s, &c);
	call(&s, &q, &a);
	assert_string_equal(a.module_id, c.module_id);
	nsm_response_clear(&a);
	nsmsim_free(&s);
}

static void get_random(void **state)
{
	struct nsmsim_config c = { 0 };
	struct nsm_request q = { .op = NSM_OP_GET_RANDOM };
	struct nsm_response a, b;
	struct nsmsim s;

	boot(&s, &c);
	call(&s, &q, &a);
	call(&s, &q, &b);
	assert_int_equal(a.op, NSM_OP_GET_RANDOM);
	assert_int_equal(a.random.len, 256);
	assert_int_equal(b.random.len, 256);
	assert_memory_not_equal(a.random.p, b.random.p, 256);
	nsm_response_clear(&a);
	nsm_response_clear(&b);
	nsmsim_free(&s);
}

/* --- attestation documents ------------------------------------------------------ */

static X509 *der_cert(const unsigned char *p, size_t n)
{
	X509 *x = d2i_X509(NULL, &p, (long)n);

	assert_non_null(x);
	return x;
}

/* OpenSSL's own verifier: leaf -> intermediates -> root at time t. */
static void chain_verifies(const struct nsmsim_pki *p, const unsigned char *leaf, size_t leaf_len, time_t t)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *mid = sk_X509_new_null();
	X509 *l = der_cert(leaf, leaf_len), *root = der_cert(p->ca[0].der, p->ca[0].der_len), *m[3];
	int ok;

	assert_true(st && ctx && mid);
	assert_true(X509_STORE_add_cert(st, root));
	for (int i = 0; i < 3; i++) {
		m[i] = der_cert(p->ca[i + 1].der, p->ca[i + 1].der_len);
		sk_X509_push(mid, m[i]);
	}
	assert_true(X509_STORE_CTX_init(ctx, st, l, mid));
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), t);
	ok = X509_verify_cert(ctx);
	if (ok != 1)
		fail_msg("chain: %s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	sk_X509_pop_free(mid, X509_free);
	X509_free(l);
	X509_free(root);
}

static const cbor_item_t *bstr_is(const cbor_item_t *it, const void *want, size_t n)
{
	assert_true(cbor_isa_bytestring(it) && cbor_bytestring_is_definite(it));
	assert_int_equal(cbor_bytestring_length(it), n);
	if (n)
		assert_memory_equal(cbor_bytestring_handle(it), want, n);
	return it;
}

static void text_is(const cbor_item_t *it, const char *want)
{
	assert_true(cbor_isa_string(it) && cbor_string_is_definite(it));
	assert_int_equal(cbor_string_length(it), strlen(want));
	assert_memory_equal(cbor_string_handle(it), want, strlen(want));
}

/* The root as a verifier reads it: DIR/root.pem. */
static void root_pem_is(const char *pkidir, const unsigned char *der, size_t n)
{
	char path[128];
	unsigned char *d = NULL;
	FILE *f;
	X509 *x;
	int len;

	snprintf(path, sizeof path, "%s/root.pem", pkidir);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(x = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	len = i2d_X509(x, &d);
	assert_int_equal(len, n);
	assert_memory_equal(d, der, n);
	OPENSSL_free(d);
	X509_free(x);
}

static void document_structure(void **state)
{
	static const char *const keys[] = { "module_id", "digest", "timestamp", "pcrs", "certificate",
					    "cabundle", "public_key", "user_data", "nonce" };
	struct nsmsim_config c = { .eif = eif_path, .role_arn = ARN, .instance_id = IID,
				   .module_id = "i-0123456789abcdef0-enc0123456789abcdef" };
	struct nsm_request q = { .op = NSM_OP_ATTESTATION };
	unsigned char nonce[32];
	struct cbor_load_result res;
	cbor_item_t *cose, *pl;
	struct cbor_pair *kv;
	struct nsm_response a;
	struct nsmsim s;
	cbor_item_t **h, **cab;
	EVP_PKEY *leaf_pub;
	X509 *leaf;
	int ok = 0;

	for (int i = 0; i < 32; i++)
		nonce[i] = (unsigned char)i;
	q.user_data = (struct nsm_bytes){ (const unsigned char *)"hello", 5, 1 };
	q.nonce = (struct nsm_bytes){ nonce, sizeof nonce, 1 };
	boot(&s, &c);
	call(&s, &q, &a);
	assert_int_equal(a.op, NSM_OP_ATTESTATION);

	/* COSE_Sign1: untagged [protected, {}, payload, signature(96)] */
	cose = cbor_load(a.document.p, a.document.len, &res);
	assert_non_null(cose);
	assert_int_equal(res.error.code, CBOR_ERR_NONE);
	assert_int_equal(res.read, a.document.len);
	assert_true(cbor_isa_array(cose) && cbor_array_is_definite(cose));
	assert_int_equal(cbor_array_size(cose), 4);
	h = cbor_array_handle(cose);
	bstr_is(h[0], "\xa1\x01\x38\x22", 4);
	assert_true(cbor_isa_map(h[1]) && cbor_map_size(h[1]) == 0);
	assert_true(cbor_isa_bytestring(h[2]));
	assert_true(cbor_isa_bytestring(h[3]) && cbor_bytestring_length(h[3]) == 96);

	/* the payload: a definite map of the nine keys, in order */
	pl = cbor_load(cbor_bytestring_handle(h[2]), cbor_bytestring_length(h[2]), &res);
	assert_non_null(pl);
	assert_int_equal(res.read, cbor_bytestring_length(h[2]));
	assert_true(cbor_isa_map(pl) && cbor_map_is_definite(pl));
	assert_int_equal(cbor_map_size(pl), 9);
	kv = cbor_map_handle(pl);
	for (int i = 0; i < 9; i++)
		text_is(kv[i].key, keys[i]);
	text_is(kv[0].value, c.module_id);
	text_is(kv[1].value, "SHA384");
	assert_true(cbor_isa_uint(kv[2].value));
	assert_int_equal(cbor_get_int(kv[2].value), T0_MS);
	/* pcrs: 0-15, ascending, 48 bytes each, the boot values */
	assert_true(cbor_isa_map(kv[3].value));
	assert_int_equal(cbor_map_size(kv[3].value), 16);
	for (unsigned i = 0; i < 16; i++) {
		struct cbor_pair *p = &cbor_map_handle(kv[3].value)[i];

		assert_true(cbor_isa_uint(p->key));
		assert_int_equal(cbor_get_int(p->key), i);
		bstr_is(p->value, s.pcr[i], PCR_LEN);
	}
	hex_eq(cbor_bytestring_handle(cbor_map_handle(kv[3].value)[0].value), PCR_LEN, SYN_PCR0);
	hex_eq(cbor_bytestring_handle(cbor_map_handle(kv[3].value)[3].value), PCR_LEN, ARN_PCR3);
	hex_eq(cbor_bytestring_handle(cbor_map_handle(kv[3].value)[4].value), PCR_LEN, IID_PCR4);
	/* certificate and cabundle: the leaf, then root, regional, zonal, instance */
	bstr_is(kv[4].value, s.pki.leaf.der, s.pki.leaf.der_len);
	assert_true(cbor_isa_array(kv[5].value));
	assert_int_equal(cbor_array_size(kv[5].value), 4);
	cab = cbor_array_handle(kv[5].value);
	for (int i = 0; i < 4; i++)
		bstr_is(cab[i], s.pki.ca[i].der, s.pki.ca[i].der_len);
	root_pem_is(pki, cbor_bytestring_handle(cab[0]), cbor_bytestring_length(cab[0]));
	assert_true(cborx_is_null(kv[6].value));
	bstr_is(kv[7].value, "hello", 5);
	bstr_is(kv[8].value, nonce, sizeof nonce);

	/* signed by the leaf; the chain holds at the document's time */
	leaf = der_cert(s.pki.leaf.der, s.pki.leaf.der_len);
	leaf_pub = X509_get0_pubkey(leaf);
	assert_int_equal(cose_sign1_verify(a.document.p, a.document.len, leaf_pub, &ok, NULL, NULL, NULL), NK_OK);
	assert_true(ok);
	chain_verifies(&s.pki, s.pki.leaf.der, s.pki.leaf.der_len, (time_t)(T0_MS / 1000));

	X509_free(leaf);
	cbor_decref(&pl);
	cbor_decref(&cose);
	nsm_response_clear(&a);
	nsmsim_free(&s);
}

/* The payload certificate of a document. */
static void doc_cert(const struct nsm_response *a, unsigned char **der, size_t *n)
{
	struct cose_sign1 cs;
	cbor_item_t *pl = NULL, *v = NULL;

	assert_int_equal(cose_sign1_parse(a->document.p, a->document.len, &cs, NULL), NK_OK);
	assert_int_equal(cborx_load(cs.payload, cs.payload_len, COSE_MAX, &pl, NULL), NK_OK);
	assert_int_equal(cborx_map_get(pl, "certificate", &v), 1);
	assert_int_equal(cborx_get_bytes(v, 4096, der, n, NULL), NK_OK);
	cbor_decref(&pl);
	cose_sign1_free(&cs);
}

static void leaf_renewed_before_expiry(void **state)
{
	struct nsmsim_config c = { 0 };
	struct nsm_request q = { .op = NSM_OP_ATTESTATION };
	struct nsm_response a;
	struct nsmsim s;
	unsigned char *first, *d;
	size_t first_len, n;
	X509 *x;

	boot(&s, &c);
	assert_int_equal(s.pki.leaf_not_after, (time_t)(T0_MS / 1000) + 3 * 3600);
	first_len = s.pki.leaf.der_len;
	first = malloc(first_len);
	memcpy(first, s.pki.leaf.der, first_len);
	x = der_cert(first, first_len);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), (time_t)(T0_MS / 1000) - 60), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), (time_t)(T0_MS / 1000) + 10800), 0);
	X509_free(x);

	/* 2 hours on: the same leaf */
	s.fixed_ms = T0_MS + 2 * 3600 * 1000ull;
	call(&s, &q, &a);
	doc_cert(&a, &d, &n);
	assert_int_equal(n, first_len);
	assert_memory_equal(d, first, n);
	free(d);
	nsm_response_clear(&a);

	/* 9 minutes before it expires: a new one, valid 3 hours from now */
	s.fixed_ms = T0_MS + (3 * 3600 - 9 * 60) * 1000ull;
	call(&s, &q, &a);
	doc_cert(&a, &d, &n);
	assert_false(n == first_len && memcmp(d, first, n) == 0);
	assert_int_equal(n, s.pki.leaf.der_len);
	assert_memory_equal(d, s.pki.leaf.der, n);
	x = der_cert(d, n);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), (time_t)(s.fixed_ms / 1000) + 10800), 0);
	X509_free(x);
	chain_verifies(&s.pki, d, n, (time_t)(s.fixed_ms / 1000));
	free(d);
	free(first);
	nsm_response_clear(&a);
	nsmsim_free(&s);
}

static void payload_known_encoding(void **state)
{
	/* cbor2.dumps of the same dict, keys in this order */
	static const char want[] =
		"a9696d6f64756c655f6964616d66646967657374665348413338346974696d657374616d701b0000018bcfe568006470"
		"637273a20058300000000000000000000000000000000000000000000000000000000000000000000000000000000000"
		"000000000000000158300101010101010101010101010101010101010101010101010101010101010101010101010101"
		"010101010101010101016b636572746966696361746542300068636162756e646c65824230014230026a7075626c6963"
		"5f6b6579f669757365725f646174614175656e6f6e636540";
	unsigned char pcrs[2][PCR_LEN];
	struct attest_bytes cab[2] = { { (const unsigned char *)"\x30\x01", 2, 1 },
				       { (const unsigned char *)"\x30\x02", 2, 1 } };
	struct attest_doc d = {
		.module_id = "m", .timestamp = T0_MS, .pcrs = (const unsigned char (*)[PCR_LEN])pcrs, .npcrs = 2,
		.certificate = (const unsigned char *)"\x30\x00", .certificate_len = 2,
		.cabundle = cab, .ncabundle = 2,
		.user_data = { (const unsigned char *)"u", 1, 1 },
		.nonce = { (const unsigned char *)"", 0, 1 },
	};
	unsigned char *out = NULL;
	char *hex;
	size_t len = 0;

	memset(pcrs[0], 0, PCR_LEN);
	memset(pcrs[1], 1, PCR_LEN);
	assert_int_equal(attest_encode_payload(&d, &out, &len, NULL), NK_OK);
	hex = malloc(2 * len + 1);
	enc_hex(out, len, hex);
	assert_string_equal(hex, want);
	free(hex);
	free(out);
}

static void payload_refusals(void **state)
{
	static unsigned char big[ATTEST_FIELD_MAX + 1];
	unsigned char pcrs[1][PCR_LEN] = { { 0 } };
	struct attest_doc d = {
		.module_id = "m", .pcrs = (const unsigned char (*)[PCR_LEN])pcrs, .npcrs = 1,
		.certificate = (const unsigned char *)"\x30\x00", .certificate_len = 2,
	};
	struct nk_err err = { 0 };
	unsigned char *out = NULL;
	size_t len;
	EVP_PKEY *p256 = EVP_EC_gen("P-256");

	d.nonce = (struct attest_bytes){ big, sizeof big, 1 };
	assert_int_equal(attest_encode_payload(&d, &out, &len, &err), NK_USAGE);
	assert_string_equal(err.msg, "nonce of 1025 bytes is over the limit of 1024 bytes");
	assert_null(out);
	d.nonce.present = 0;
	d.module_id = "";
	assert_int_equal(attest_encode_payload(&d, &out, &len, &err), NK_USAGE);
	d.module_id = "m";
	d.certificate_len = 0;
	assert_int_equal(attest_encode_payload(&d, &out, &len, &err), NK_USAGE);
	d.certificate_len = 2;
	/* documents are ES384: a P-256 key is refused rather than producing ES256 */
	assert_non_null(p256);
	assert_int_equal(attest_sign(&d, p256, &out, &len, &err), NK_USAGE);
	assert_non_null(strstr(err.msg, "P-384"));
	EVP_PKEY_free(p256);
}

/* --- the PKI ------------------------------------------------------------------------ */

static void mode_is(const char *pkidir, const char *file, mode_t want)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof path, "%s/%s", pkidir, file);
	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 0777) != want)
		fail_msg("%s: mode %o, want %o", file, st.st_mode & 0777, want);
}

static void pki_created_once(void **state)
{
	static const char *const files[] = { "root", "regional", "zonal", "instance" };
	struct nsmsim_pki p, q;
	char d[80];
	time_t now = time(NULL);

	snprintf(d, sizeof d, "%s/pki-once", dir);
	assert_int_equal(nsmsim_pki_open(&p, d, now, NULL), NK_OK);
	assert_true(p.created);
	mode_is(d, "", 0700);
	for (int i = 0; i < 4; i++) {
		char name[32];

		snprintf(name, sizeof name, "%s.key", files[i]);
		mode_is(d, name, 0600);
		snprintf(name, sizeof name, "%s.pem", files[i]);
		mode_is(d, name, 0644);
	}
	root_pem_is(d, p.ca[0].der, p.ca[0].der_len);
	assert_int_equal(nsmsim_pki_open(&q, d, now + 60, NULL), NK_OK);
	assert_false(q.created);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(q.ca[i].der_len, p.ca[i].der_len);
		assert_memory_equal(q.ca[i].der, p.ca[i].der, p.ca[i].der_len);
	}
	/* no leaf until asked for; then one per process, not stored */
	assert_null(q.leaf_key);
	assert_int_equal(nsmsim_pki_leaf(&q, "m", now, NULL, NULL), NK_OK);
	chain_verifies(&q, q.leaf.der, q.leaf.der_len, now);
	nsmsim_pki_free(&p);
	nsmsim_pki_free(&q);
}

static void ext_critical(X509 *x, int nid, int want)
{
	int i = X509_get_ext_by_NID(x, nid, -1);

	assert_true(i >= 0);
	assert_int_equal(X509_EXTENSION_get_critical(X509_get_ext(x, i)), want);
}

static void subject_has(X509 *x, const char *want)
{
	char buf[256];

	X509_NAME_oneline(X509_get_subject_name(x), buf, sizeof buf);
	if (!strstr(buf, want))
		fail_msg("subject '%s' lacks '%s'", buf, want);
}

static void pki_certificates(void **state)
{
	static const long pathlen[] = { -1, 2, 1, 0 };
	struct nsmsim_pki p;
	char d[80];
	time_t now = time(NULL);
	int issued = 0;

	snprintf(d, sizeof d, "%s/pki-certs", dir);
	assert_int_equal(nsmsim_pki_open(&p, d, now, NULL), NK_OK);
	assert_int_equal(nsmsim_pki_leaf(&p, "i-0-enc0", now, &issued, NULL), NK_OK);
	assert_true(issued);
	assert_int_equal(nsmsim_pki_leaf(&p, "i-0-enc0", now + 60, &issued, NULL), NK_OK);
	assert_false(issued);
	for (int i = 0; i <= 4; i++) {
		X509 *x = i < 4 ? p.ca[i].x509 : p.leaf.x509;
		const ASN1_INTEGER *serial = X509_get0_serialNumber(x);
		BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);

		assert_int_equal(X509_get_version(x), X509_VERSION_3);
		assert_int_equal(X509_get_signature_nid(x), NID_ecdsa_with_SHA384);
		assert_true(bn && !BN_is_zero(bn) && !BN_is_negative(bn) && BN_num_bits(bn) > 64);
		BN_free(bn);
		subject_has(x, "/C=US/O=Amazon/OU=AWS/CN=nitrokit test ");
		ext_critical(x, NID_basic_constraints, 1);
		ext_critical(x, NID_key_usage, 1);
		assert_non_null(X509_get0_subject_key_id(x));
		if (i > 0) {
			X509 *parent = p.ca[i - 1].x509;

			assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(x),
							       X509_get0_subject_key_id(parent)), 0);
			assert_int_equal(X509_verify(x, X509_get0_pubkey(parent)), 1);
		}
		if (i < 4) {
			assert_int_equal(X509_check_ca(x), 1);
			assert_int_equal(X509_get_key_usage(x), KU_KEY_CERT_SIGN | KU_CRL_SIGN);
			assert_int_equal(X509_get_pathlen(x), pathlen[i]);
		} else {
			assert_int_equal(X509_check_ca(x), 0);
			assert_int_equal(X509_get_key_usage(x), KU_DIGITAL_SIGNATURE);
			subject_has(x, "CN=nitrokit test i-0-enc0");
			assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), now - 60), 0);
			assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), now + 3 * 3600), 0);
		}
	}
	/* a name that does not fit a CN is refused, not truncated */
	p.leaf_not_after = 0;
	assert_int_equal(nsmsim_pki_leaf(&p, "0123456789012345678901234567890123456789012345678901", now, NULL, NULL),
			 NK_USAGE);
	nsmsim_pki_free(&p);
}

/* Break a fresh PKI with cmd (run in its directory), expect code and msg. */
static void broken_pki(const char *name, const char *cmd, int code, const char *msg)
{
	struct nsmsim_pki p;
	struct nk_err err = { 0 };
	char d[80], sh[512];

	snprintf(d, sizeof d, "%s/%s", dir, name);
	assert_int_equal(nsmsim_pki_open(&p, d, time(NULL), NULL), NK_OK);
	nsmsim_pki_free(&p);
	snprintf(sh, sizeof sh, "cd '%s' && %s", d, cmd);
	assert_int_equal(system(sh), 0);
	assert_int_equal(nsmsim_pki_open(&p, d, time(NULL), &err), code);
	if (!strstr(err.msg, msg))
		fail_msg("%s: got '%s', want '%s'", name, err.msg, msg);
	assert_null(p.dir);  /* nothing to free after a failure */
}

static void pki_refuses_broken(void **state)
{
	char file[80];

	broken_pki("b1", "cp regional.pem zonal.pem", NK_DATA, "zonal.key' is not the key of 'zonal.pem'");
	broken_pki("b2", "cp regional.pem zonal.pem && cp regional.key zonal.key", NK_DATA,
		   "zonal.pem' is not signed by 'regional.pem'");
	broken_pki("b3", "rm instance.key", NK_IO, "instance.key");
	broken_pki("b4", "echo garbage > regional.pem", NK_DATA, "regional.pem' is not a PEM certificate");
	{
		EVP_PKEY *k = EVP_EC_gen("P-256");
		FILE *f;

		snprintf(file, sizeof file, "%s/p256.key", dir);
		assert_non_null(k);
		assert_non_null(f = fopen(file, "w"));
		assert_true(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
		fclose(f);
		EVP_PKEY_free(k);
	}
	broken_pki("b5", "cp ../p256.key root.key", NK_DATA, "root.key' is not a P-384 key");
	/* a file where the directory should be */
	snprintf(file, sizeof file, "%s/afile", dir);
	assert_int_equal(io_write_file(file, "x", 1, 0644, NULL), NK_OK);
	{
		struct nsmsim_pki p;
		struct nk_err err = { 0 };

		assert_int_equal(nsmsim_pki_open(&p, file, time(NULL), &err), NK_IO);
		assert_non_null(strstr(err.msg, "afile"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pcr_option),
		cmocka_unit_test(config_conflicts),
		cmocka_unit_test(eif_errors),
		cmocka_unit_test(boot_from_eif),
		cmocka_unit_test(boot_from_pcr_options),
		cmocka_unit_test(debug_mode_zeroes_image_pcrs),
		cmocka_unit_test(extend_and_lock),
		cmocka_unit_test(lock_range),
		cmocka_unit_test(invalid_indexes),
		cmocka_unit_test(error_answers_byte_for_byte),
		cmocka_unit_test(invalid_operations),
		cmocka_unit_test(input_too_large),
		cmocka_unit_test(attestation_field_limits),
		cmocka_unit_test(describe_nsm),
		cmocka_unit_test(get_random),
		cmocka_unit_test(document_structure),
		cmocka_unit_test(leaf_renewed_before_expiry),
		cmocka_unit_test(payload_known_encoding),
		cmocka_unit_test(payload_refusals),
		cmocka_unit_test(pki_created_once),
		cmocka_unit_test(pki_certificates),
		cmocka_unit_test(pki_refuses_broken),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
