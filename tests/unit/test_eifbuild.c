/* The EIF builder: metadata bytes, BuildTime, the signer checks, and images
 * written to temporary files and read back with the EIF reader.  Known
 * answers are the synthetic EIF (size, CRC, offsets, PCRs). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "eif/eif.h"
#include "eif/eifbuild.h"
#include "util/enc.h"
#include "util/io.h"
#include "eif/pcr.h"

#define SYN_CMDLINE "reboot=k panic=30 pci=off nomodules console=ttyS0 random.trust_cpu=on root=/dev/ram0"
#define SYN_META "{\"ImageName\":\"test\",\"ImageVersion\":\"1.0\",\"BuildMetadata\":{\"BuildTime\":" \
	"\"2024-01-01T00:00:00+00:00\",\"BuildTool\":\"eif_build\",\"BuildToolVersion\":\"0.3.1\"," \
	"\"OperatingSystem\":\"OS\",\"KernelVersion\":\"kernel\"},\"DockerInfo\":null,\"CustomMetadata\":null}"
#define SYN_PCR0 "d85ed11aaa1433bf0e2d24c74a2ce354f1807ad618e051c8949a29a984ae512f806c07a8065383e6d42391fbe9798e2d"
#define SYN_PCR1 "21b83ac9fe90acad86ecd150db84c0cdf35f905bd567bda301ede12b02550dfbf6e55390f0ffb684bbffc106b627794d"
#define SYN_PCR2 "206f7853ba2810292cd7f9f234e1fbb421743a02e760d0c55621704f937944356bba7236ab1011c1c8c36fbbde101df7"
#define ONE_PCR2 "21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10edb30948c90ba67310f7b964fc500a"

static char tmpdir[] = "/tmp/test_eifbuild.XXXXXX";

static int setup_dir(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
	char cmd[64];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static const char *path_of(const char *name)
{
	static char buf[4][256];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
	return buf[i];
}

static void write_file(const char *name, const void *data, size_t n)
{
	FILE *f = fopen(path_of(name), "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static void write_repeat(const char *name, const char *unit, size_t times)
{
	FILE *f = fopen(path_of(name), "wb");

	assert_non_null(f);
	for (size_t i = 0; i < times; i++)
		fputs(unit, f);
	assert_int_equal(fclose(f), 0);
}

static void make_inputs(void)
{
	unsigned char k[256 * 40];

	for (size_t i = 0; i < sizeof k; i++)
		k[i] = (unsigned char)i;
	write_file("kernel", k, sizeof k);
	write_repeat("rd0", "ramdisk0-", 1000);
	write_repeat("rd1", "ramdisk1-", 2000);
}

static void assert_pcr(const struct meas *m, unsigned i, const char *hex)
{
	char got[PCR_HEX_LEN + 1];

	assert_true(m->have[i]);
	enc_hex(m->pcr[i], PCR_LEN, got);
	assert_string_equal(got, hex);
}

static int open_in(const char *name)
{
	int fd;

	assert_int_equal(io_open_in(path_of(name), &fd, NULL, NULL), NK_OK);
	return fd;
}

/* Build kernel + cmdline + rd0 [+ rd1] with the given metadata into name. */
static int build(const char *name, unsigned nramdisks, uint16_t flags, const char *meta,
		 const struct eifbuild_signer *signer, struct meas *m, struct eif_header *h, struct nk_err *err)
{
	int fds[2] = { open_in("rd0"), open_in("rd1") };
	const char *names[2] = { "rd0", "rd1" };
	struct eifbuild_image img = {
		.kernel_fd = open_in("kernel"), .kernel_name = "kernel", .cmdline = SYN_CMDLINE,
		.ramdisk_fds = fds, .ramdisk_names = names, .nramdisks = nramdisks, .flags = flags,
		.metadata = meta, .metadata_len = strlen(meta), .signer = signer,
	};
	int out = open(path_of(name), O_RDWR | O_CREAT | O_TRUNC, 0644), rc;

	assert_true(out >= 0);
	rc = eifbuild_write(&img, out, name, m, h, err);
	close(out);
	close(fds[0]);
	close(fds[1]);
	close(img.kernel_fd);
	return rc;
}

/* Read an image back with the reader (CRC checked). */
static void measure(const char *name, struct eif_measurement *e)
{
	struct nk_err err = { 0 };
	off_t size;
	int fd, rc;

	assert_int_equal(io_open_in(path_of(name), &fd, &size, &err), NK_OK);
	rc = eif_measure(fd, size, name, 0, e, &err);
	if (rc)
		fail_msg("%s", err.msg);
	close(fd);
}

static void metadata_synthetic_bytes(void **state)
{
	struct eifbuild_info i = { "test", "1.0", "2024-01-01T00:00:00+00:00", "eif_build", "0.3.1", "OS", "kernel", NULL };
	struct nk_err err = { 0 };
	size_t len = 0;
	char *s = NULL;

	assert_int_equal(eifbuild_metadata(&i, &s, &len, &err), NK_OK);
	assert_string_equal(s, SYN_META);
	assert_int_equal(len, strlen(SYN_META));
	/* Compact: no space after ':' or ','. */
	assert_null(strstr(s, ": "));
	assert_null(strstr(s, ", "));
	free(s);
}

/* serde_json: CustomMetadata's keys sorted at every depth, \u escapes in lowercase. */
static void metadata_custom_sorted(void **state)
{
	static const char custom[] = "{\"b\":1,\"a\":{\"d\":[{\"z\":true,\"y\":null}],\"c\":\"x\\u001fy\\n\"},\"ab\":\"\",\"B\":-2}";
	static const char want[] = "{\"ImageName\":\"app\",\"ImageVersion\":\"2\",\"BuildMetadata\":{\"BuildTime\":\"T\","
		"\"BuildTool\":\"nitrokit-eif-build\",\"BuildToolVersion\":\"" NK_VERSION "\",\"OperatingSystem\":"
		"\"Generic Linux\",\"KernelVersion\":\"Unkown version\"},\"DockerInfo\":null,\"CustomMetadata\":"
		"{\"B\":-2,\"a\":{\"c\":\"x\\u001fy\\n\",\"d\":[{\"y\":null,\"z\":true}]},\"ab\":\"\",\"b\":1}}";
	json_t *j = json_loads(custom, 0, NULL);
	struct eifbuild_info i = { "app", "2", "T", EIFBUILD_TOOL, NK_VERSION, EIFBUILD_OS,
				   EIFBUILD_KERNEL_VERSION, j };
	struct nk_err err = { 0 };
	size_t len;
	char *s = NULL;

	assert_non_null(j);
	assert_int_equal(eifbuild_metadata(&i, &s, &len, &err), NK_OK);
	assert_string_equal(s, want);
	free(s);
	json_decref(j);
}

static void metadata_not_utf8(void **state)
{
	struct eifbuild_info i = { "bad\xff", "1.0", "T", "t", "v", "o", "k", NULL };
	struct nk_err err = { 0 };
	size_t len;
	char *s = NULL;

	assert_int_equal(eifbuild_metadata(&i, &s, &len, &err), NK_USAGE);
	assert_string_equal(err.msg, "ImageName 'bad\xff' is not valid UTF-8");
	assert_null(s);
}

static void build_time(void **state)
{
	static const char *const bad[] = { "abc", "-1", "1.5", " 1", "1 ", "+1", "0x10", "253402300800",
					   "99999999999999999999" };
	char t[EIFBUILD_TIME_SIZE];
	struct nk_err err = { 0 };

	assert_int_equal(eifbuild_time("1704067200", 5, t, &err), NK_OK);
	assert_string_equal(t, "2024-01-01T00:00:00+00:00");
	assert_int_equal(eifbuild_time(NULL, 0, t, &err), NK_OK);
	assert_string_equal(t, "1970-01-01T00:00:00+00:00");
	assert_int_equal(eifbuild_time("", 86399, t, &err), NK_OK);
	assert_string_equal(t, "1970-01-01T23:59:59+00:00");
	assert_int_equal(eifbuild_time("253402300799", 0, t, &err), NK_OK);
	assert_string_equal(t, "9999-12-31T23:59:59+00:00");
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char want[256];

		assert_int_equal(eifbuild_time(bad[i], 0, t, &err), NK_USAGE);
		snprintf(want, sizeof want,
			 "invalid SOURCE_DATE_EPOCH '%s': expected whole seconds since 1970 (0 to 253402300799)", bad[i]);
		assert_string_equal(err.msg, want);
	}
}

/* The synthetic EIF, byte for byte: size, CRC, header, PCRs. */
static void synthetic_image(void **state)
{
	static const uint64_t offsets[] = { 548, 10800, 10896, 11146, 20158 };
	static const uint64_t sizes[] = { 10240, 84, sizeof SYN_META - 1, 9000, 18000 };
	struct eif_measurement e;
	struct eif_header h;
	struct nk_err err = { 0 };
	struct meas m;
	struct stat st;

	make_inputs();
	assert_int_equal(build("syn.eif", 2, 0, SYN_META, NULL, &m, &h, &err), NK_OK);
	assert_pcr(&m, 0, SYN_PCR0);
	assert_pcr(&m, 1, SYN_PCR1);
	assert_pcr(&m, 2, SYN_PCR2);
	assert_false(m.have[8]);
	assert_int_equal(stat(path_of("syn.eif"), &st), 0);
	assert_int_equal(st.st_size, 38170);
	assert_int_equal(h.crc32, 0xb8c0aa25);

	measure("syn.eif", &e);
	assert_int_equal(e.hdr.version, 4);
	assert_int_equal(e.hdr.flags, 0);
	assert_int_equal(e.hdr.default_mem, 1073741824ull);
	assert_int_equal(e.hdr.default_cpus, 2);
	assert_int_equal(e.hdr.reserved, 0);
	assert_int_equal(e.hdr.unused, 0);
	assert_int_equal(e.hdr.num_sections, 5);
	assert_int_equal(e.hdr.crc32, 0xb8c0aa25);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(e.hdr.section_offsets[i], offsets[i]);
		assert_int_equal(e.hdr.section_sizes[i], sizes[i]);
	}
	for (int i = 5; i < EIF_MAX_SECTIONS; i++)
		assert_int_equal(e.hdr.section_offsets[i] | e.hdr.section_sizes[i], 0);
	assert_true(e.crc_ok);
	assert_false(e.is_signed);
	assert_memory_equal(e.pcr0, m.pcr[0], PCR_LEN);
	assert_memory_equal(e.pcr1, m.pcr[1], PCR_LEN);
	assert_memory_equal(e.pcr2, m.pcr[2], PCR_LEN);
	assert_string_equal((char *)e.metadata, SYN_META);
	eif_measurement_free(&e);
}

static void one_ramdisk_aarch64(void **state)
{
	struct eif_measurement e;
	struct eif_header h;
	struct nk_err err = { 0 };
	struct meas m;

	make_inputs();
	assert_int_equal(build("one.eif", 1, EIF_FLAG_AARCH64, SYN_META, NULL, &m, &h, &err), NK_OK);
	assert_pcr(&m, 2, ONE_PCR2);
	measure("one.eif", &e);
	assert_int_equal(e.hdr.flags, 1);
	assert_int_equal(e.hdr.num_sections, 4);
	assert_int_equal(e.nramdisks, 1);
	assert_memory_equal(e.pcr0, m.pcr[0], PCR_LEN);
	assert_memory_equal(e.pcr1, m.pcr[1], PCR_LEN);
	eif_measurement_free(&e);
}

/* A pipe has no size: the section size is what was read. */
static void kernel_from_pipe(void **state)
{
	unsigned char k[256 * 40];
	int p[2], fds[2], out;
	const char *names[2] = { "rd0", "rd1" };
	struct nk_err err = { 0 };
	struct eif_measurement e;
	struct meas m;

	make_inputs();
	for (size_t i = 0; i < sizeof k; i++)
		k[i] = (unsigned char)i;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], k, sizeof k), sizeof k);  /* fits the pipe buffer */
	close(p[1]);
	fds[0] = open_in("rd0");
	fds[1] = open_in("rd1");
	out = open(path_of("pipe.eif"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	{
		struct eifbuild_image img = { .kernel_fd = p[0], .kernel_name = "standard input",
					      .cmdline = SYN_CMDLINE, .ramdisk_fds = fds, .ramdisk_names = names,
					      .nramdisks = 2, .metadata = SYN_META,
					      .metadata_len = strlen(SYN_META) };

		assert_int_equal(eifbuild_write(&img, out, "pipe.eif", &m, NULL, &err), NK_OK);
	}
	close(out);
	close(p[0]);
	close(fds[0]);
	close(fds[1]);
	assert_pcr(&m, 0, SYN_PCR0);
	measure("pipe.eif", &e);
	assert_int_equal(e.hdr.crc32, 0xb8c0aa25);
	eif_measurement_free(&e);
}

static void bad_images(void **state)
{
	struct nk_err err = { 0 };
	struct meas m;

	make_inputs();
	assert_int_equal(build("x.eif", 0, 0, SYN_META, NULL, &m, NULL, &err), NK_USAGE);
	assert_string_equal(err.msg, "an EIF takes 1 to 29 ramdisks, not 0");
	write_file("kernel", "", 0);
	assert_int_equal(build("x.eif", 1, 0, SYN_META, NULL, &m, NULL, &err), NK_DATA);
	assert_string_equal(err.msg, "'kernel': the kernel is empty");
}

/* A P-384 key and a self-signed certificate for it, as PEM files. */
static void make_pair(const char *key_name, const char *cert_name, const char *curve)
{
	EVP_PKEY *k = EVP_EC_gen(curve);
	X509 *x = X509_new();
	X509_NAME *n;
	FILE *f;

	assert_non_null(k);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)"test", -1, -1, 0);
	X509_set_issuer_name(x, n);
	assert_true(X509_sign(x, k, EVP_sha384()) > 0);
	assert_non_null(f = fopen(path_of(cert_name), "w"));
	assert_true(PEM_write_X509(f, x));
	fclose(f);
	assert_non_null(f = fopen(path_of(key_name), "w"));
	assert_true(PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL));
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void signer_checks(void **state)
{
	struct eifbuild_signer s;
	struct nk_err err = { 0 };
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	FILE *f;

	make_pair("k384", "c384", "P-384");
	make_pair("k256", "c256", "P-256");
	assert_int_equal(eifbuild_signer_load(&s, path_of("c384"), path_of("k384"), &err), NK_OK);
	assert_non_null(s.key);
	assert_true(s.cert_len > 0);
	eifbuild_signer_free(&s);
	eifbuild_signer_free(&s);  /* idempotent */

	assert_int_equal(eifbuild_signer_load(&s, path_of("c384"), path_of("k256"), &err), NK_DATA);
	assert_string_equal(err.msg, "signing key does not match the certificate");
	assert_null(s.key);

	write_file("garbage", "not a pem\n", 10);
	assert_int_equal(eifbuild_signer_load(&s, path_of("garbage"), path_of("k384"), &err), NK_DATA);
	assert_non_null(strstr(err.msg, "garbage': not a PEM certificate"));
	assert_int_equal(eifbuild_signer_load(&s, path_of("c384"), path_of("garbage"), &err), NK_DATA);
	assert_non_null(strstr(err.msg, "garbage': not a PEM private key"));
	assert_int_equal(eifbuild_signer_load(&s, path_of("c384"), path_of("nope"), &err), NK_IO);

	assert_non_null(rsa);
	assert_non_null(f = fopen(path_of("rsa"), "w"));
	assert_true(PEM_write_PrivateKey(f, rsa, NULL, NULL, 0, NULL, NULL));
	fclose(f);
	EVP_PKEY_free(rsa);
	assert_int_equal(eifbuild_signer_load(&s, path_of("c384"), path_of("rsa"), &err), NK_DATA);
	assert_non_null(strstr(err.msg, "rsa': not an EC key (expected P-256, P-384 or P-521)"));
}

static void signed_image(void **state)
{
	struct eifbuild_signer s;
	struct eif_measurement e;
	struct eif_header h;
	struct nk_err err = { 0 };
	unsigned char pcr8[PCR_LEN];
	struct meas m;

	make_inputs();
	make_pair("k521", "c521", "P-521");
	assert_int_equal(eifbuild_signer_load(&s, path_of("c521"), path_of("k521"), &err), NK_OK);
	assert_int_equal(build("signed.eif", 2, 0, SYN_META, &s, &m, &h, &err), NK_OK);
	/* Signing changes no measured byte. */
	assert_pcr(&m, 0, SYN_PCR0);
	assert_pcr(&m, 2, SYN_PCR2);
	assert_int_equal(pcr_of_cert_pem(s.cert_pem, s.cert_len, pcr8, &err), NK_OK);
	assert_true(m.have[8]);
	assert_memory_equal(m.pcr[8], pcr8, PCR_LEN);
	assert_int_equal(h.num_sections, 6);
	assert_int_equal(h.section_offsets[5], 38170);  /* after the unsigned image's last byte */

	measure("signed.eif", &e);
	assert_true(e.is_signed);
	assert_true(e.signature_ok);
	assert_memory_equal(e.pcr8, pcr8, PCR_LEN);
	eif_measurement_free(&e);
	eifbuild_signer_free(&s);
}

static void assert_no_output(const char *name)
{
	char pattern[300];
	struct stat st;
	glob_t g;

	assert_int_equal(stat(path_of(name), &st), -1);
	snprintf(pattern, sizeof pattern, "%s/.%s*", tmpdir, name);
	assert_int_equal(glob(pattern, 0, NULL, &g), GLOB_NOMATCH);
	globfree(&g);
}

/* The tool's whole build: nothing is left behind on failure. */
static void run_atomic(void **state)
{
	char kernel[256], empty[256], rd0[256], out[256], nodir[256], json[256], key[256];
	char *rds[] = { rd0 };
	struct eifbuild_opts o = { .kernel = kernel, .cmdline = "c", .ramdisks = rds, .nramdisks = 1,
				   .output = out, .source_date_epoch = "0" };
	struct eif_measurement e;
	struct nk_err err = { 0 };
	struct meas m;
	struct stat st;

	/* path_of's buffers rotate: keep our own copies. */
	snprintf(kernel, sizeof kernel, "%s", path_of("kernel"));
	snprintf(empty, sizeof empty, "%s", path_of("empty"));
	snprintf(rd0, sizeof rd0, "%s", path_of("rd0"));
	snprintf(out, sizeof out, "%s", path_of("run.eif"));
	snprintf(nodir, sizeof nodir, "%s", path_of("nodir/run.eif"));
	snprintf(json, sizeof json, "%s", path_of("array.json"));
	snprintf(key, sizeof key, "%s", path_of("k384"));
	make_inputs();
	write_file("array.json", "[1]", 3);
	o.metadata = json;
	assert_int_equal(eifbuild_run(&o, &m, NULL, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "array.json': the metadata must be a JSON object"));
	assert_no_output("run.eif");
	o.metadata = NULL;

	/* Fails after the output is created: the temporary file goes too. */
	write_file("empty", "", 0);
	o.kernel = empty;
	assert_int_equal(eifbuild_run(&o, &m, NULL, &err), NK_DATA);
	assert_no_output("run.eif");
	o.kernel = kernel;

	o.output = nodir;
	assert_int_equal(eifbuild_run(&o, &m, NULL, &err), NK_IO);
	assert_non_null(strstr(err.msg, "nodir/run.eif': No such file or directory"));
	o.output = out;

	o.signing_key = key;
	assert_int_equal(eifbuild_run(&o, &m, NULL, &err), NK_USAGE);
	assert_string_equal(err.msg, "--signing-key needs --signing-cert");
	o.signing_key = NULL;

	assert_int_equal(eifbuild_run(&o, &m, NULL, &err), NK_OK);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
	measure("run.eif", &e);
	assert_non_null(strstr((char *)e.metadata, "\"ImageName\":\"kernel\",\"ImageVersion\":\"1.0\","
					       "\"BuildMetadata\":{\"BuildTime\":\"1970-01-01T00:00:00+00:00\""));
	eif_measurement_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metadata_synthetic_bytes),
		cmocka_unit_test(metadata_custom_sorted),
		cmocka_unit_test(metadata_not_utf8),
		cmocka_unit_test(build_time),
		cmocka_unit_test(synthetic_image),
		cmocka_unit_test(one_ramdisk_aarch64),
		cmocka_unit_test(kernel_from_pipe),
		cmocka_unit_test(bad_images),
		cmocka_unit_test(signer_checks),
		cmocka_unit_test(signed_image),
		cmocka_unit_test(run_atomic),
	};

	return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
