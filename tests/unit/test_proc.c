/* Tests of proc: the start-up hardening, seen from a child that starts with
 * fds 0-2 closed; the cleanup registry's limits; holding the cleanup
 * signals.  The registry removing paths on a signal is tested where paths
 * get registered, in test_io.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/proc.h"

/* In the child: which check failed, as the exit status (0: none). */
static int started_child(void)
{
	struct rlimit core;
	struct sigaction sa;
	mode_t old;
	int fd;

	close(0);
	close(1);
	close(2);
	if (proc_start(NULL) != NK_OK)
		return 1;
	for (fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0)
			return 2;
	/* a file opened now cannot land on stdin, stdout or stderr */
	if ((fd = open("/dev/null", O_RDONLY)) < 3)
		return 3;
	close(fd);
	old = umask(0);
	if (old != 077)
		return 4;
	if (sigaction(SIGPIPE, NULL, &sa) || sa.sa_handler != SIG_IGN)
		return 5;
	if (sigaction(SIGTERM, NULL, &sa) || sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN)
		return 6;
	if (getrlimit(RLIMIT_CORE, &core) || core.rlim_cur != 0 || core.rlim_max != 0)
		return 7;
	if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
		return 8;
	return 0;
}

static void start_hardens_the_process(void **state)
{
	int status;
	pid_t pid = fork();

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(started_child());
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void registry_limits(void **state)
{
	char p[32], longest[PATH_MAX + 1];
	int n = 0;

	(void)state;
	memset(longest, 'a', PATH_MAX);
	longest[PATH_MAX] = '\0';
	assert_int_equal(proc_cleanup_add(longest), -1);
	/* paths that do not exist: nothing is removed here, only registered */
	for (;; n++) {
		snprintf(p, sizeof p, "/nonexistent/proc-%d", n);
		if (proc_cleanup_add(p) < 0)
			break;
		assert_true(n < 1000);
	}
	assert_true(n > 0);
	/* a removed entry frees its slot */
	proc_cleanup_remove("/nonexistent/proc-0");
	assert_int_equal(proc_cleanup_add("/nonexistent/again"), 0);
	assert_int_equal(proc_cleanup_add("/nonexistent/full"), -1);
	proc_cleanup_remove("/nonexistent/again");
	for (int i = 1; i < n; i++) {
		snprintf(p, sizeof p, "/nonexistent/proc-%d", i);
		proc_cleanup_remove(p);
	}
	proc_cleanup_remove("/nonexistent/never-added");  /* no-op */
	assert_int_equal(proc_cleanup_add("/nonexistent/after"), 0);
	proc_cleanup_remove("/nonexistent/after");
}

static void hold_blocks_the_cleanup_signals(void **state)
{
	sigset_t old, now;

	(void)state;
	proc_cleanup_hold(&old);
	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &now), 0);
	assert_true(sigismember(&now, SIGINT));
	assert_true(sigismember(&now, SIGTERM));
	assert_true(sigismember(&now, SIGHUP));
	assert_false(sigismember(&now, SIGPIPE));
	proc_cleanup_release(&old);
	assert_int_equal(sigprocmask(SIG_BLOCK, NULL, &now), 0);
	assert_false(sigismember(&now, SIGTERM));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(start_hardens_the_process),
		cmocka_unit_test(registry_limits),
		cmocka_unit_test(hold_blocks_the_cleanup_signals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
