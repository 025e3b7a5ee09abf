/* kmsout: the kmstool lines and JSON objects, read back from a file.  The
 * base64 known answers are RFC 4648's test vectors (§10). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include <cmocka.h>

#include "util/io.h"
#include "tool/kmsout.h"

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	strcpy(path, "/tmp/nk-kmsout-XXXXXX");
	fd = mkstemp(path);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static char *slurp(void)
{
	unsigned char *buf;
	size_t len;
	struct nk_err e = { 0 };

	assert_int_equal(io_read_all(path, 1 << 20, &buf, &len, &e), NK_OK);
	buf = realloc(buf, len + 1);
	buf[len] = 0;
	return (char *)buf;
}

static void test_lines(void **state)
{
	const struct kmsout_field f[] = {
		{ "CIPHERTEXT", (const unsigned char *)"foobar", 6, NULL },
		{ "SKIPPED", NULL, 0, NULL },
		{ "PLAINTEXT", (const unsigned char *)"fo", 2, NULL },
		{ "KEYID", NULL, 0, "alias/x" },
	};
	struct nk_err e = { 0 };
	struct stat st;
	char *s;

	(void)state;
	assert_int_equal(kmsout_lines(path, f, 4, 0600, &e), NK_OK);
	s = slurp();
	assert_string_equal(s, "CIPHERTEXT: Zm9vYmFy\nPLAINTEXT: Zm8=\nKEYID: alias/x\n");
	free(s);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* An empty value is an empty line's worth, not a missing field. */
	assert_int_equal(kmsout_lines(path, (const struct kmsout_field[]){ { "PLAINTEXT", (const unsigned char *)"", 0, NULL } },
				      1, 0600, &e), NK_OK);
	s = slurp();
	assert_string_equal(s, "PLAINTEXT: \n");
	free(s);
}

static void test_json(void **state)
{
	const struct kmsout_field f[] = {
		{ "KeyId", NULL, 0, "arn:aws:kms:us-east-1:111122223333:key/k" },
		{ "CiphertextBlob", (const unsigned char *)"fooba", 5, NULL },
		{ "Absent", NULL, 0, NULL },
		{ "Plaintext", (const unsigned char *)"f", 1, NULL },
	};
	struct nk_err e = { 0 };
	json_t *j;
	const char *k;
	json_t *v;
	int i = 0;
	static const char *const order[] = { "KeyId", "CiphertextBlob", "Plaintext" };
	char *s;

	(void)state;
	assert_int_equal(kmsout_json(path, f, 4, 0600, &e), NK_OK);
	s = slurp();
	assert_int_equal(s[strlen(s) - 1], '\n');
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_object_size(j), 3);
	assert_string_equal(json_string_value(json_object_get(j, "KeyId")), "arn:aws:kms:us-east-1:111122223333:key/k");
	assert_string_equal(json_string_value(json_object_get(j, "CiphertextBlob")), "Zm9vYmE=");
	assert_string_equal(json_string_value(json_object_get(j, "Plaintext")), "Zg==");
	/* Fields in the order given. */
	json_object_foreach(j, k, v) {
		(void)v;
		assert_string_equal(k, order[i++]);
	}
	json_decref(j);
	free(s);
}

static void test_unwritable(void **state)
{
	const struct kmsout_field f[] = { { "PLAINTEXT", (const unsigned char *)"x", 1, NULL } };
	struct nk_err e = { 0 };

	(void)state;
	assert_int_equal(kmsout_lines("/nonexistent/dir/out", f, 1, 0600, &e), NK_IO);
	assert_int_equal(kmsout_json("/nonexistent/dir/out", f, 1, 0600, &e), NK_IO);
	assert_non_null(strstr(e.msg, "/nonexistent/dir/out"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json, setup, teardown),
		cmocka_unit_test(test_unwritable),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
