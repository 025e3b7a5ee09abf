/* The EIF reader against an image written here byte by byte (not with our
 * builder), with the known answers of the issue, and each corruption. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "eif/eif.h"
#include "util/enc.h"
#include "util/io.h"

struct img {
	unsigned char *b;
	size_t n;
};

static void be(unsigned char *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static void append(struct img *m, const void *d, size_t n)
{
	m->b = realloc(m->b, m->n + n);
	memcpy(m->b + m->n, d, n);
	m->n += n;
}

static void repeat(unsigned char **out, size_t *len, const char *unit, size_t times)
{
	size_t u = strlen(unit);

	*len = u * times;
	*out = malloc(*len);
	for (size_t i = 0; i < times; i++)
		memcpy(*out + i * u, unit, u);
}

/* The synthetic image of the issue; nramdisks 1 or 2. */
static struct img synthetic(int nramdisks)
{
	static const char cmdline[] = "reboot=k panic=30 pci=off nomodules console=ttyS0 random.trust_cpu=on root=/dev/ram0";
	static const char meta[] = "{\"ImageName\":\"test\",\"ImageVersion\":\"1.0\",\"BuildMetadata\":{\"BuildTime\":"
		"\"2024-01-01T00:00:00+00:00\",\"BuildTool\":\"eif_build\",\"BuildToolVersion\":\"0.3.1\","
		"\"OperatingSystem\":\"OS\",\"KernelVersion\":\"kernel\"},\"DockerInfo\":null,\"CustomMetadata\":null}";
	unsigned char kernel[256 * 40], *rd[2], hdr[548] = { 0 }, sh[12];
	const unsigned char *data[5];
	size_t size[5], rdlen[2], pos = 548;
	unsigned types[5] = { 1, 2, 5, 3, 3 }, nsec = 3 + (unsigned)nramdisks;
	struct img m = { 0 };
	uint32_t crc;

	for (size_t i = 0; i < sizeof kernel; i++)
		kernel[i] = (unsigned char)i;
	repeat(&rd[0], &rdlen[0], "ramdisk0-", 1000);
	repeat(&rd[1], &rdlen[1], "ramdisk1-", 2000);
	data[0] = kernel, size[0] = sizeof kernel;
	data[1] = (const unsigned char *)cmdline, size[1] = strlen(cmdline);
	data[2] = (const unsigned char *)meta, size[2] = strlen(meta);
	data[3] = rd[0], size[3] = rdlen[0];
	data[4] = rd[1], size[4] = rdlen[1];

	memcpy(hdr, ".eif", 4);
	be(hdr + 4, 4, 2);
	be(hdr + 8, 1ull << 30, 8);
	be(hdr + 16, 2, 8);
	be(hdr + 26, nsec, 2);
	for (unsigned i = 0; i < nsec; i++) {
		be(hdr + 28 + 8 * i, pos, 8);
		be(hdr + 28 + 256 + 8 * i, size[i], 8);
		pos += 12 + size[i];
	}
	append(&m, hdr, sizeof hdr);
	for (unsigned i = 0; i < nsec; i++) {
		be(sh, types[i], 2);
		be(sh + 2, 0, 2);
		be(sh + 4, size[i], 8);
		append(&m, sh, sizeof sh);
		append(&m, data[i], size[i]);
	}
	crc = (uint32_t)crc32(0, m.b, 544);
	crc = (uint32_t)crc32(crc, m.b + 548, (uInt)(m.n - 548));
	be(m.b + 544, crc, 4);
	free(rd[0]);
	free(rd[1]);
	return m;
}

static void fix_crc(struct img *m)
{
	uint32_t crc = (uint32_t)crc32(0, m->b, 544);

	crc = (uint32_t)crc32(crc, m->b + 548, (uInt)(m->n - 548));
	be(m->b + 544, crc, 4);
}

/* Measure from a memfd, as a file (size known) or as a stream (-1). */
static int measure(const struct img *m, int stream, unsigned flags, struct eif_measurement *out, struct nk_err *err)
{
	int fd = memfd_create("eif", 0), rc;

	assert_true(fd >= 0);
	assert_int_equal(io_write_full(fd, m->b, m->n), 0);
	lseek(fd, 0, SEEK_SET);
	rc = eif_measure(fd, stream ? -1 : (off_t)m->n, "t.eif", flags, out, err);
	close(fd);
	return rc;
}

static void hex_eq(const unsigned char v[PCR_LEN], const char *want)
{
	char hex[PCR_HEX_LEN + 1];

	enc_hex(v, PCR_LEN, hex);
	assert_string_equal(hex, want);
}

static void synthetic_known_answers(void **state)
{
	struct img m = synthetic(2);
	struct eif_measurement e;

	assert_int_equal(m.n, 38170);
	for (int stream = 0; stream < 2; stream++) {
		assert_int_equal(measure(&m, stream, 0, &e, NULL), NK_OK);
		assert_int_equal(e.hdr.crc32, 0xb8c0aa25);
		assert_true(e.crc_ok);
		hex_eq(e.pcr0, "d85ed11aaa1433bf0e2d24c74a2ce354f1807ad618e051c8949a29a984ae512f806c07a8065383e6d42391fbe9798e2d");
		hex_eq(e.pcr1, "21b83ac9fe90acad86ecd150db84c0cdf35f905bd567bda301ede12b02550dfbf6e55390f0ffb684bbffc106b627794d");
		hex_eq(e.pcr2, "206f7853ba2810292cd7f9f234e1fbb421743a02e760d0c55621704f937944356bba7236ab1011c1c8c36fbbde101df7");
		assert_int_equal(e.nramdisks, 2);
		assert_int_equal(e.nsections, 5);
		assert_false(e.is_signed);
		assert_non_null(strstr((char *)e.metadata, "\"ImageName\":\"test\""));
		eif_measurement_free(&e);
	}
	free(m.b);
}

static void one_ramdisk_pcr2(void **state)
{
	struct img m = synthetic(1);
	struct eif_measurement e;

	assert_int_equal(measure(&m, 0, 0, &e, NULL), NK_OK);
	hex_eq(e.pcr2, "21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10edb30948c90ba67310f7b964fc500a");
	/* with one ramdisk the boot stream is the whole image */
	assert_memory_equal(e.pcr0, e.pcr1, PCR_LEN);
	eif_measurement_free(&e);
	free(m.b);
}

static void header_round_trip(void **state)
{
	struct img m = synthetic(2);
	struct eif_header h;
	unsigned char b[EIF_HDR_SIZE];

	assert_int_equal(eif_header_parse(m.b, &h, NULL), NK_OK);
	assert_int_equal(h.version, 4);
	assert_int_equal(h.default_mem, 1ull << 30);
	assert_int_equal(h.default_cpus, 2);
	assert_int_equal(h.num_sections, 5);
	assert_int_equal(h.section_offsets[1], 548 + 12 + 10240);
	eif_header_pack(&h, b);
	assert_memory_equal(b, m.b, EIF_HDR_SIZE);
	free(m.b);
}

/* Each corruption: the mutation, whether to refresh the CRC, the expected message. */
static void expect_data_error(struct img *m, int stream, const char *want)
{
	struct eif_measurement e;
	struct nk_err err = { 0 };

	assert_int_equal(measure(m, stream, 0, &e, &err), NK_DATA);
	if (!strstr(err.msg, want))
		fail_msg("got '%s', want '%s'", err.msg, want);
}

static void corruptions(void **state)
{
	struct img m;

	m = synthetic(2); m.b[0] = 'x';
	expect_data_error(&m, 0, "not an EIF (bad magic)"); free(m.b);

	m = synthetic(2); m.n = 100;
	expect_data_error(&m, 0, "truncated header (100 of 548 bytes)"); free(m.b);

	m = synthetic(2); be(m.b + 4, 5, 2); fix_crc(&m);
	expect_data_error(&m, 0, "unsupported EIF version 5"); free(m.b);

	m = synthetic(2); be(m.b + 26, 33, 2);
	expect_data_error(&m, 0, "too many sections (33, at most 32)"); free(m.b);

	/* In a file the header's table is checked first; a stream finds the cut. */
	m = synthetic(2); m.n = 548 + 5;
	expect_data_error(&m, 0, "section 0 runs past the end of the file");
	expect_data_error(&m, 1, "truncated section header at offset 548"); free(m.b);

	m = synthetic(2); be(m.b + 28 + 256 + 8 * 4, 1000000, 8); fix_crc(&m);
	expect_data_error(&m, 0, "section 4 (ramdisk) runs past the end of the file");
	expect_data_error(&m, 1, "section 4 has 18000 bytes but the header says 1000000"); free(m.b);

	m = synthetic(2); m.n -= 10;
	expect_data_error(&m, 0, "section 4 (ramdisk) runs past the end of the file");
	expect_data_error(&m, 1, "truncated section 4 (ramdisk)"); free(m.b);

	m = synthetic(2); be(m.b + 548, 9, 2); fix_crc(&m);
	expect_data_error(&m, 0, "unknown section type 9 (section 0 at offset 548)"); free(m.b);

	m = synthetic(2); be(m.b + 548, 3, 2); fix_crc(&m);   /* kernel → ramdisk */
	expect_data_error(&m, 0, "no kernel section"); free(m.b);

	m = synthetic(2); be(m.b + 548 + 12 + 10240, 1, 2); fix_crc(&m);  /* cmdline → kernel */
	expect_data_error(&m, 0, "more than one kernel section"); free(m.b);

	m = synthetic(2); be(m.b + 26, 4, 2); fix_crc(&m);
	expect_data_error(&m, 0, "header lists 4 sections, file has 5"); free(m.b);

	m = synthetic(2); be(m.b + 28 + 8, 549, 8); fix_crc(&m);
	expect_data_error(&m, 0, "section 1 is at offset 10800 in the file but the header says 549"); free(m.b);

	m = synthetic(2); m.b[2000] ^= 1;
	expect_data_error(&m, 0, "CRC mismatch (header 0xb8c0aa25, computed 0x"); free(m.b);
}

static void crc_mismatch_soft(void **state)
{
	struct img m = synthetic(2);
	struct eif_measurement e;

	be(m.b + 544, 0x12345678, 4);
	assert_int_equal(measure(&m, 0, EIF_NO_CRC_CHECK, &e, NULL), NK_OK);
	assert_false(e.crc_ok);
	assert_int_equal(e.crc_computed, 0xb8c0aa25);
	hex_eq(e.pcr0, "d85ed11aaa1433bf0e2d24c74a2ce354f1807ad618e051c8949a29a984ae512f806c07a8065383e6d42391fbe9798e2d");
	eif_measurement_free(&e);
	free(m.b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(synthetic_known_answers),
		cmocka_unit_test(one_ramdisk_pcr2),
		cmocka_unit_test(header_round_trip),
		cmocka_unit_test(corruptions),
		cmocka_unit_test(crc_mismatch_soft),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
