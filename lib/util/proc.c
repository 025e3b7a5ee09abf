/* Process-wide start-up of every tool, and the registry of paths removed
 * when a signal ends the process.  Both are about the process rather than
 * any file or format, and both must run before a tool does anything. */
#include "util/proc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/jsonx.h"
#include "util/secmem.h"

/* --- start-up ---------------------------------------------------------------- */

/* Keep fds 0-2 open so a file we open never lands on them (curl's main does
 * the same).  Each closed one is reopened on /dev/null: open() takes the
 * lowest free number, which is fd since the ones below it are open. */
static int keep_std_fds(struct nk_err *err)
{
	for (int fd = 0; fd < 3; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF)
			if (open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY) < 0)
				return err_set(err, NK_IO, "cannot reopen fd %d on /dev/null:", fd);
	return NK_OK;
}

int proc_start(struct nk_err *err)
{
	struct rlimit no_core = { 0, 0 };
	int rc;

	/* First, before OpenSSL allocates anything. */
	(void)secmem_wipe_library_frees();
	if ((rc = keep_std_fds(err)))
		return rc;
	signal(SIGPIPE, SIG_IGN);
	proc_cleanup_install();
	umask(077);
	/* Secrets pass through our memory: no core files, and no ptrace by peers. */
	setrlimit(RLIMIT_CORE, &no_core);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	jsonx_wipe_on_free();
	return NK_OK;
}

/* --- cleanup registry -------------------------------------------------------- */

#define CLEANUP_SLOTS 16
enum { SLOT_FREE, SLOT_BUSY, SLOT_SET };

/* Read by a signal handler: a slot is SET only once its path is complete. */
static struct {
	atomic_int state;
	int dir;
	pid_t pid;
	char path[PATH_MAX];
} cleanup[CLEANUP_SLOTS];

int proc_cleanup_add(const char *path)
{
	size_t n = strlen(path);
	struct stat st;

	if (n >= PATH_MAX)
		return -1;
	for (size_t i = 0; i < CLEANUP_SLOTS; i++) {
		int expect = SLOT_FREE;

		if (!atomic_compare_exchange_strong(&cleanup[i].state, &expect, SLOT_BUSY))
			continue;
		memcpy(cleanup[i].path, path, n + 1);
		cleanup[i].dir = lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
		cleanup[i].pid = getpid();
		atomic_store(&cleanup[i].state, SLOT_SET);
		return 0;
	}
	return -1;
}

void proc_cleanup_remove(const char *path)
{
	pid_t self = getpid();

	for (size_t i = 0; i < CLEANUP_SLOTS; i++) {
		if (atomic_load(&cleanup[i].state) == SLOT_SET && cleanup[i].pid == self &&
		    strcmp(cleanup[i].path, path) == 0) {
			atomic_store(&cleanup[i].state, SLOT_FREE);
			return;
		}
	}
}

/* Async-signal-safe: getdents64 and unlinkat, no opendir (it allocates). */
static void empty_dir(const char *path)
{
	_Alignas(struct dirent64) char buf[2048];
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = getdents64(fd, buf, sizeof buf)) > 0) {
		for (ssize_t off = 0; off < n;) {
			struct dirent64 *e = (struct dirent64 *)(buf + off);

			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
				unlinkat(fd, e->d_name, 0);
			off += e->d_reclen;
		}
	}
	close(fd);
}

static void on_signal(int sig)
{
	pid_t self = getpid();

	/* Files first: a registered directory may hold some of them. */
	for (int dirs = 0; dirs < 2; dirs++) {
		for (size_t i = 0; i < CLEANUP_SLOTS; i++) {
			if (atomic_load(&cleanup[i].state) != SLOT_SET || cleanup[i].pid != self ||
			    cleanup[i].dir != dirs)
				continue;
			if (dirs) {
				empty_dir(cleanup[i].path);
				rmdir(cleanup[i].path);
			} else {
				unlink(cleanup[i].path);
			}
		}
	}
	/* SA_RESETHAND restored the default action: the signal, blocked while we
	 * run, ends the process as soon as we return, with the status a parent
	 * expects. */
	raise(sig);
}

static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP };

void proc_cleanup_install(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++)
		sigaddset(&sa.sa_mask, cleanup_signals[i]);
	for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++) {
		if (sigaction(cleanup_signals[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
			continue;
		sigaction(cleanup_signals[i], &sa, NULL);
	}
}

void proc_cleanup_hold(sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof cleanup_signals / sizeof *cleanup_signals; i++)
		sigaddset(&set, cleanup_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void proc_cleanup_release(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}
