#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/io.h"
#include "util/proc.h"

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

/* "-" is fd 1 itself: the bytes are in the file before stdio is flushed,
 * and a write error is reported at once. */
static void dash_is_fd_1(void **state)
{
	char p[256], got[16] = "";
	struct nk_err err;
	int fd, saved;

	path(p, "stdout");
	fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	saved = dup(1);
	assert_int_equal(dup2(fd, 1), 1);
	assert_int_equal(io_write_file("-", "PLAINTEXT", 9, 0600, &err), NK_OK);
	assert_int_equal(pread(fd, got, sizeof got - 1, 0), 9);
	assert_string_equal(got, "PLAINTEXT");
	close(fd);
	fd = open("/dev/full", O_WRONLY);
	if (fd >= 0) {
		assert_int_equal(dup2(fd, 1), 1);
		assert_int_equal(io_write_file("-", "x", 1, 0600, &err), NK_IO);
		assert_string_equal(err.msg, "write error on standard output: No space left on device");
		close(fd);
	}
	assert_int_equal(dup2(saved, 1), 1);
	close(saved);
}

static void put(const char *p, const char *text)
{
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The file's first line (up to 63 bytes), "" when it does not exist. */
static const char *content(const char *p)
{
	static char buf[64];
	FILE *f = fopen(p, "r");

	buf[0] = 0;
	if (f) {
		if (!fgets(buf, sizeof buf, f))
			buf[0] = 0;
		fclose(f);
	}
	return buf;
}

static void need_tmpfile(void)
{
	int fd = open(dir, O_TMPFILE | O_RDWR, 0600);

	if (fd < 0)
		skip();
	close(fd);
}

static void unnamed_temporary_until_commit(void **state)
{
	struct io_atomic a;
	struct stat st;
	char p[256];
	struct nk_err err;
	size_t before = entries();

	need_tmpfile();
	path(p, "unnamed");
	assert_int_equal(io_atomic_open(&a, p, 0640, &err), NK_OK);
	assert_int_equal(io_atomic_write(&a, "plaintext", 9, &err), NK_OK);
	/* nothing in the directory that an interrupted run could leave behind */
	assert_int_equal(entries(), before);
	assert_int_equal(io_atomic_commit(&a, &err), NK_OK);
	assert_int_equal(entries(), before + 1);
	assert_string_equal(content(p), "plaintext");
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
}

static void commit_replaces_and_abort_keeps(void **state)
{
	struct io_atomic a;
	char p[256];
	struct nk_err err;
	size_t before;

	path(p, "existing");
	put(p, "OLD");
	before = entries();
	assert_int_equal(io_atomic_open(&a, p, 0600, &err), NK_OK);
	assert_int_equal(io_atomic_write(&a, "NEW", 3, &err), NK_OK);
	assert_string_equal(content(p), "OLD");
	io_atomic_abort(&a);
	io_atomic_abort(&a);  /* idempotent */
	assert_string_equal(content(p), "OLD");
	assert_int_equal(entries(), before);

	assert_int_equal(io_atomic_open(&a, p, 0600, &err), NK_OK);
	assert_int_equal(io_atomic_write(&a, "NEW", 3, &err), NK_OK);
	assert_string_equal(content(p), "OLD");
	assert_int_equal(io_atomic_commit(&a, &err), NK_OK);
	io_atomic_abort(&a);  /* nothing after a commit */
	assert_string_equal(content(p), "NEW");
	assert_int_equal(entries(), before);
}

static void directories_refused_before_writing(void **state)
{
	struct io_atomic a;
	char p[256];
	struct nk_err err;

	path(p, "adir");
	assert_int_equal(mkdir(p, 0700), 0);
	assert_int_equal(io_atomic_open(&a, p, 0600, &err), NK_IO);
	assert_non_null(strstr(err.msg, "cannot write '"));
	assert_non_null(strstr(err.msg, "adir': Is a directory"));
	assert_int_equal(io_atomic_stage(&a, p, 0600, &err), NK_IO);
	assert_non_null(strstr(err.msg, "adir': Is a directory"));
	assert_int_equal(rmdir(p), 0);
}

static void writes_through(void **state)
{
	char p[256];

	path(p, "regular");
	put(p, "x");
	assert_true(io_writes_through("-"));
	assert_true(io_writes_through("/dev/null"));
	assert_false(io_writes_through(p));
	assert_false(io_writes_through(dir));
	path(p, "missing");
	assert_false(io_writes_through(p));
}

/* A writer that takes a path fills the staged file; commit renames it. */
static void staged_for_path_writers(void **state)
{
	struct io_atomic a;
	struct stat st;
	char p[256];
	struct nk_err err;
	size_t before;

	path(p, "staged");
	put(p, "OLD");
	before = entries();
	assert_int_equal(io_atomic_stage(&a, p, 0600, &err), NK_OK);
	assert_int_equal(a.fd, -1);
	assert_non_null(strstr(a.tmp, "/.staged."));
	assert_int_equal(stat(a.tmp, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(io_write_file(a.tmp, "NEW", 3, 0600, &err), NK_OK);
	assert_int_equal(entries(), before + 1);
	assert_string_equal(content(p), "OLD");
	assert_int_equal(io_atomic_commit(&a, &err), NK_OK);
	assert_string_equal(content(p), "NEW");
	assert_int_equal(entries(), before);

	assert_int_equal(io_atomic_stage(&a, p, 0600, &err), NK_OK);
	assert_int_equal(io_write_file(a.tmp, "NEWER", 5, 0600, &err), NK_OK);
	io_atomic_abort(&a);
	assert_string_equal(content(p), "NEW");
	assert_int_equal(entries(), before);

	assert_int_equal(io_atomic_stage(&a, "/dev/null", 0600, &err), NK_IO);
	assert_int_equal(io_atomic_stage(&a, "/nonexistent-dir/x", 0600, &err), NK_IO);
	assert_string_equal(err.msg, "cannot create '/nonexistent-dir/x': No such file or directory");
}

/* The cleanup registry (util/proc) at work: what io and the KMS relay
 * register is gone after a signal.  test_proc.c has the registry's limits. */

/* Run fn in a child that ends by sig; returns its wait status. */
static int in_child(void (*fn)(void))
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		fn();
		_exit(99);  /* the signal did not end the child */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static void child_registers_then_sigterm(void)
{
	char p[256];
	int fd;

	proc_cleanup_install();
	path(p, "reg-file");
	put(p, "secret");
	if (proc_cleanup_add(p) < 0)
		_exit(1);
	/* a directory of ours, as the KMS relay's, with a socket-like file in it */
	path(p, "reg-dir");
	if (mkdir(p, 0700) < 0 || proc_cleanup_add(p) < 0)
		_exit(2);
	path(p, "reg-dir/kms");
	put(p, "s");
	path(p, "reg-kept");
	put(p, "kept");
	if (proc_cleanup_add(p) < 0)
		_exit(3);
	proc_cleanup_remove(p);
	/* an unnamed temporary being written */
	path(p, "reg-out");
	if ((fd = open(p, O_WRONLY | O_CREAT, 0600)) < 0 || close(fd) < 0)
		_exit(4);
	{
		struct io_atomic a;
		struct nk_err err;

		if (io_atomic_open(&a, p, 0600, &err) || io_atomic_write(&a, "plain", 5, &err))
			_exit(5);
		raise(SIGTERM);
	}
}

static void cleanup_registry_on_sigterm(void **state)
{
	char p[256], parents[256];
	int status;

	/* the parent's own entry: a forked child must not remove it */
	path(parents, "parents");
	put(parents, "p");
	assert_int_equal(proc_cleanup_add(parents), 0);
	status = in_child(child_registers_then_sigterm);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	path(p, "reg-file");
	assert_int_equal(access(p, F_OK), -1);
	path(p, "reg-dir");
	assert_int_equal(access(p, F_OK), -1);
	path(p, "reg-kept");
	assert_string_equal(content(p), "kept");
	path(p, "reg-out");
	assert_string_equal(content(p), "");
	assert_int_equal(access(p, F_OK), 0);
	assert_string_equal(content(parents), "p");
	proc_cleanup_remove(parents);
	/* nothing hidden left: no temporary of reg-out */
	{
		DIR *d = opendir(dir);
		struct dirent *e;

		while ((e = readdir(d)))
			if (e->d_name[0] == '.' && strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				fail_msg("left behind: %s", e->d_name);
		closedir(d);
	}
}

static void child_staged_then_sigterm(void)
{
	struct io_atomic a;
	struct nk_err err;
	char p[256];

	proc_cleanup_install();
	path(p, "stage-out");
	if (io_atomic_stage(&a, p, 0600, &err) || io_write_file(a.tmp, "plain", 5, 0600, &err))
		_exit(1);
	kill(getpid(), SIGTERM);
}

static void child_ignored_sigint(void)
{
	signal(SIGINT, SIG_IGN);
	proc_cleanup_install();
	raise(SIGINT);
	_exit(0);
}

static void staged_removed_on_sigterm_and_ignored_stays_ignored(void **state)
{
	size_t before = entries();
	int status = in_child(child_staged_then_sigterm);

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGTERM);
	assert_int_equal(entries(), before);
	/* nohup's ignored signal stays ignored */
	status = in_child(child_ignored_sigint);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
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
		cmocka_unit_test(dash_is_fd_1),
		cmocka_unit_test(unnamed_temporary_until_commit),
		cmocka_unit_test(commit_replaces_and_abort_keeps),
		cmocka_unit_test(directories_refused_before_writing),
		cmocka_unit_test(writes_through),
		cmocka_unit_test(staged_for_path_writers),
		cmocka_unit_test(cleanup_registry_on_sigterm),
		cmocka_unit_test(staged_removed_on_sigterm_and_ignored_stays_ignored),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
