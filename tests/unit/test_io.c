#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "io.h"

static char dir[] = "/tmp/nk-test-io-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[64];

	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static void path(char *buf, const char *name)
{
	snprintf(buf, 256, "%s/%s", dir, name);
}

static size_t entries(void)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *e;

	while ((e = readdir(d)))
		n += e->d_name[0] != '.' || (e->d_name[1] && e->d_name[1] != '.');
	closedir(d);
	return n;
}

static void read_is_bounded(void **state)
{
	char p[256];
	unsigned char *buf;
	struct nk_err err;
	size_t len;

	path(p, "ten");
	assert_int_equal(io_write_file(p, "0123456789", 10, 0600, &err), NK_OK);
	assert_int_equal(io_read_all(p, 10, &buf, &len, &err), NK_OK);
	assert_int_equal(len, 10);
	assert_memory_equal(buf, "0123456789", 10);
	assert_int_equal(buf[10], 0);
	free(buf);
	assert_int_equal(io_read_all(p, 9, &buf, &len, &err), NK_DATA);
	assert_non_null(strstr(err.msg, "is too large (more than 9 bytes)"));
}

static void read_errors(void **state)
{
	char p[256];
	unsigned char *buf;
	struct nk_err err;
	size_t len;

	path(p, "missing");
	assert_int_equal(io_read_all(p, 10, &buf, &len, &err), NK_IO);
	assert_non_null(strstr(err.msg, "cannot open '"));
	assert_non_null(strstr(err.msg, "No such file or directory"));
	assert_int_equal(io_read_all(dir, 10, &buf, &len, &err), NK_IO);
	assert_non_null(strstr(err.msg, "Is a directory"));
}

static void atomic_write_mode_and_no_leftovers(void **state)
{
	char p[256];
	struct stat st;
	struct secbuf *s;
	struct nk_err err;
	size_t before = entries();

	path(p, "secret");
	assert_int_equal(io_write_file(p, "key", 3, 0600, &err), NK_OK);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(entries(), before + 1);  /* no temporary file left */
	assert_int_equal(io_read_secret(p, 16, &s, &err), NK_OK);
	assert_int_equal(s->len, 3);
	assert_memory_equal(s->p, "key", 3);
	secmem_free(s);
}

static void atomic_abort_leaves_nothing(void **state)
{
	struct io_atomic a;
	char p[256];
	struct nk_err err;
	size_t before = entries();

	path(p, "aborted");
	assert_int_equal(io_atomic_open(&a, p, 0644, &err), NK_OK);
	assert_int_equal(io_atomic_write(&a, "partial", 7, &err), NK_OK);
	io_atomic_abort(&a);
	assert_int_equal(entries(), before);
	assert_int_equal(access(p, F_OK), -1);
}

static void atomic_open_fails_cleanly(void **state)
{
	struct io_atomic a;
	struct nk_err err;

	assert_int_equal(io_atomic_open(&a, "/nonexistent-dir/x", 0600, &err), NK_IO);
	assert_non_null(strstr(err.msg, "cannot create '/nonexistent-dir/x'"));
}

static void devices_are_written_through(void **state)
{
	struct stat st;
	struct nk_err err;

	assert_int_equal(io_write_file("/dev/null", "x", 1, 0600, &err), NK_OK);
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(read_is_bounded),
		cmocka_unit_test(read_errors),
		cmocka_unit_test(atomic_write_mode_and_no_leftovers),
		cmocka_unit_test(atomic_abort_leaves_nothing),
		cmocka_unit_test(atomic_open_fails_cleanly),
		cmocka_unit_test(devices_are_written_through),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
