/* nsm-sim-preload: an LD_PRELOAD shim that gives any /dev/nsm client (C,
 * Rust, Python ...) nsm-sim instead of the Nitro Secure Module, so code
 * written for the device runs unchanged outside an enclave:
 *
 *   NITROKIT_NSM_SIM=unix:/tmp/nsm.sock LD_PRELOAD=libnsm-sim-preload.so app
 *
 * open("/dev/nsm") returns a SOCK_SEQPACKET socket connected to nsm-sim (the
 * "unix:" prefix is optional) and ioctl(fd, NSM_IOCTL_RAW, &raw) carries the
 * request as one record and reads the answer as one record, with the
 * semantics of the Linux driver (drivers/misc/nsm.c, nsm_dev_ioctl):
 *   - any other ioctl number on the fd is EINVAL (checked first);
 *   - a request over NSM_REQUEST_MAX bytes is EMSGSIZE, nothing is sent;
 *   - the answer is truncated to the caller's response.len (and to the
 *     device's NSM_RESPONSE_MAX buffer) and response.len is written back as
 *     the number of bytes copied: min(caller's len, answer's len);
 *   - bad buffer addresses in the struct are EFAULT, as the kernel's
 *     copy_from_user/copy_to_user make them: the socket calls read and
 *     write the caller's buffers directly instead of copying them here (a
 *     NULL struct pointer is EFAULT too; any other bad one crashes);
 *   - the driver gives up after two minutes with ETIMEDOUT.
 * Without NITROKIT_NSM_SIM the real /dev/nsm is opened (and the ioctls go to
 * the kernel), so a shim left in the environment of a real enclave does no
 * harm.  When nsm-sim does not answer the connect, open fails with ENOENT,
 * as on a machine without the device.  Nothing is printed (the program owns
 * stderr) unless NITROKIT_NSM_SIM_DEBUG=1.
 *
 * Intercepted: open open64 openat openat64 __open_2 __open64_2 __openat_2
 * __openat64_2 (the fortified variants), ioctl, close, dup dup2 dup3.
 * Not handled: clients that make raw syscalls (Go, static binaries); fopen
 * and other libc-internal opens (they do not go through the PLT); a
 * relative path or a symlink to /dev/nsm (only that exact string matches);
 * copies made with fcntl(F_DUPFD) or inherited across exec (an ioctl on
 * them reaches the kernel, which answers ENOTTY for a socket); a socket
 * shared by two processes after fork (their answers could cross); more than
 * NSM_FD_MAX open descriptors (open fails with EMFILE); an empty request
 * (EIO: a zero-length record reads as end-of-file to nsm-sim).  An fd closed
 * behind our back (close_range, fclose of an fdopen'd stream) is noticed
 * at its next ioctl, by its socket identity. */

/* Fortified headers define open() as an inline wrapper and a 64-bit
 * off_t renames it to open64: either would clash with the definitions
 * below, which must have exactly libc's names. */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "nsm/nsm_dev.h"

#define SIM_ENV "NITROKIT_NSM_SIM"
#define DEBUG_ENV "NITROKIT_NSM_SIM_DEBUG"
#define NSM_FD_MAX 1024
#define NSM_TIMEOUT_MS 120000   /* the driver's NSM_DEFAULT_TIMEOUT_MSECS */
#define NLOCKS 64

/* Declared only by the fortified headers. */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

static struct {
	int (*open)(const char *, int, ...);
	int (*open64)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*openat64)(int, const char *, int, ...);
	int (*open_2)(const char *, int);
	int (*open64_2)(const char *, int);
	int (*openat_2)(int, const char *, int);
	int (*openat64_2)(int, const char *, int);
	int (*ioctl)(int, unsigned long, ...);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
} real;

/* Which fds are our sockets, and which socket each one was: the identity
 * lets an ioctl notice that the fd was closed without us and reused. */
struct nsm_fd {
	atomic_int on;
	dev_t dev;
	ino_t ino;
};
static struct nsm_fd fds[NSM_FD_MAX];

/* One exchange at a time per socket, as the driver holds its mutex around
 * each one: two threads sharing a socket would otherwise read each other's
 * answers.  Keyed by the socket's inode, so dup'd fds share the lock; an
 * unrelated socket hashing to the same lock only waits its turn. */
static pthread_mutex_t locks[NLOCKS];

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void resolve(void)
{
#define REAL(field, name) real.field = (__typeof__(real.field))dlsym(RTLD_NEXT, name)
	REAL(open, "open");
	REAL(open64, "open64");
	REAL(openat, "openat");
	REAL(openat64, "openat64");
	REAL(open_2, "__open_2");
	REAL(open64_2, "__open64_2");
	REAL(openat_2, "__openat_2");
	REAL(openat64_2, "__openat64_2");
	REAL(ioctl, "ioctl");
	REAL(close, "close");
	REAL(dup, "dup");
	REAL(dup2, "dup2");
	REAL(dup3, "dup3");
#undef REAL
	for (int i = 0; i < NLOCKS; i++)
		pthread_mutex_init(&locks[i], NULL);
}

static void init(void)
{
	pthread_once(&once, resolve);
}

__attribute__((format(printf, 1, 2)))
static void dbg(const char *fmt, ...)
{
	const char *d = getenv(DEBUG_ENV);
	if (!d || strcmp(d, "1") != 0)
		return;
	int saved = errno;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	dprintf(STDERR_FILENO, "nsm-sim-preload: %s\n", msg);
	errno = saved;
}

static int fail(int e)
{
	errno = e;
	return -1;
}

/* --- The fd table ---------------------------------------------------------- */

static void forget(int fd)
{
	if (fd >= 0 && fd < NSM_FD_MAX)
		atomic_store_explicit(&fds[fd].on, 0, memory_order_release);
}

static void remember(int fd, const struct stat *st)
{
	fds[fd].dev = st->st_dev;
	fds[fd].ino = st->st_ino;
	atomic_store_explicit(&fds[fd].on, 1, memory_order_release);
}

/* Is fd (still) one of our sockets?  *st receives its identity. */
static int is_nsm_fd(int fd, struct stat *st)
{
	if (fd < 0 || fd >= NSM_FD_MAX || !atomic_load_explicit(&fds[fd].on, memory_order_acquire))
		return 0;
	int saved = errno;
	if (fstat(fd, st) != 0 || st->st_dev != fds[fd].dev || st->st_ino != fds[fd].ino) {
		dbg("fd %d was closed behind our back: no longer /dev/nsm", fd);
		forget(fd);
		errno = saved;
		return 0;
	}
	return 1;
}

/* After dup*(from) gave `to`: `to` is what `from` is. */
static void copy_mark(int from, int to)
{
	struct stat st;
	if (to < 0)
		return;
	if (is_nsm_fd(from, &st) && to < NSM_FD_MAX)
		remember(to, &st);
	else
		forget(to);
}

/* --- open ------------------------------------------------------------------ */

/* Only with NITROKIT_NSM_SIM set: a shim left in the environment of a real
 * enclave then stays out of the way of the real device. */
static int is_nsm_path(const char *path)
{
	const char *spec = getenv(SIM_ENV);

	return path && strcmp(path, NSM_DEVICE) == 0 && spec && *spec;
}

static mode_t mode_arg(int flags, va_list ap)
{
	/* As glibc's own open: the mode is only there with these flags. */
	if ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE)
		return va_arg(ap, mode_t);
	return 0;
}

static int sim_open(int flags)
{
	const char *spec = getenv(SIM_ENV);
	if (strncmp(spec, "unix:", 5) == 0)
		spec += 5;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(spec) >= sizeof sa.sun_path) {
		dbg("socket path '%s' is too long", spec);
		return fail(ENOENT);
	}
	memcpy(sa.sun_path, spec, strlen(spec) + 1);

	/* Always blocking: O_NONBLOCK has no meaning for the device's ioctl. */
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | ((flags & O_CLOEXEC) ? SOCK_CLOEXEC : 0), 0);
	if (fd < 0) {
		dbg("socket: %m");
		return -1;
	}
	/* A unix-socket connect that a signal interrupts has not happened yet. */
	int r;
	do
		r = connect(fd, (const struct sockaddr *)&sa, sizeof sa);
	while (r != 0 && errno == EINTR);
	if (r != 0 && errno != EISCONN) {
		dbg("cannot connect to nsm-sim at '%s': %m", spec);
		real.close(fd);
		return fail(ENOENT);
	}
	struct stat st;
	if (fd >= NSM_FD_MAX || fstat(fd, &st) != 0) {
		dbg("fd %d is beyond the shim's table of %d", fd, NSM_FD_MAX);
		real.close(fd);
		return fail(EMFILE);
	}
	remember(fd, &st);
	dbg("%s is fd %d, connected to '%s'", NSM_DEVICE, fd, spec);
	return fd;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	init();
	if (is_nsm_path(path))
		return sim_open(flags);
	return real.open ? real.open(path, flags, mode) : fail(ENOSYS);
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	init();
	if (is_nsm_path(path))
		return sim_open(flags);
	return real.open64 ? real.open64(path, flags, mode) : fail(ENOSYS);
}

/* An absolute path ignores dirfd, so only "/dev/nsm" itself needs a look. */
int openat(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	init();
	if (is_nsm_path(path))
		return sim_open(flags);
	return real.openat ? real.openat(dirfd, path, flags, mode) : fail(ENOSYS);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	mode_t mode = mode_arg(flags, ap);
	va_end(ap);
	init();
	if (is_nsm_path(path))
		return sim_open(flags);
	return real.openat64 ? real.openat64(dirfd, path, flags, mode) : fail(ENOSYS);
}

/* _FORTIFY_SOURCE builds call these when the flags are not a constant. */
int __open_2(const char *path, int flags)
{
	init();
	if (is_nsm_path(path))
		return sim_open(flags);
	return real.open_2 ? real.open_2(path, flags) : fail(ENOSYS);
}

int __open64_2(const char *path, int flags)
{
	init();
	if (is_nsm_path(path))
		return sim_open(flags);
	return real.open64_2 ? real.open64_2(path, flags) : fail(ENOSYS);
}

int __openat_2(int dirfd, const char *path, int flags)
{
	init();
	if (is_nsm_path(path))
		return sim_open(flags);
	return real.openat_2 ? real.openat_2(dirfd, path, flags) : fail(ENOSYS);
}

int __openat64_2(int dirfd, const char *path, int flags)
{
	init();
	if (is_nsm_path(path))
		return sim_open(flags);
	return real.openat64_2 ? real.openat64_2(dirfd, path, flags) : fail(ENOSYS);
}

/* --- close and dup ------------------------------------------------------- */

int close(int fd)
{
	init();
	/* Before the real close: afterwards another thread may already own a
	 * new fd with this number. */
	forget(fd);
	return real.close ? real.close(fd) : fail(ENOSYS);
}

int dup(int fd)
{
	init();
	if (!real.dup)
		return fail(ENOSYS);
	int r = real.dup(fd);
	copy_mark(fd, r);
	return r;
}

int dup2(int fd, int to)
{
	init();
	if (!real.dup2)
		return fail(ENOSYS);
	int r = real.dup2(fd, to);
	if (r >= 0 && fd != to)
		copy_mark(fd, r);
	return r;
}

int dup3(int fd, int to, int flags)
{
	init();
	if (!real.dup3)
		return fail(ENOSYS);
	int r = real.dup3(fd, to, flags);
	copy_mark(fd, r);
	return r;
}

/* --- ioctl ----------------------------------------------------------------- */

/* Milliseconds left until the deadline, or 0 when it has passed. */
static int ms_left(const struct timespec *deadline)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/* Wait for the socket; EINTR just waits again, as the driver's wait is not
 * interruptible. */
static int wait_for(int fd, short events, const struct timespec *deadline)
{
	for (;;) {
		int left = ms_left(deadline);
		if (left == 0)
			return fail(ETIMEDOUT);
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* One record out, one record in.  The calls do not block (MSG_DONTWAIT), so
 * O_NONBLOCK set later with fcntl changes nothing and the deadline holds.
 * Returns the answer's full length (MSG_TRUNC), of which at most cap bytes
 * were stored. */
static ssize_t exchange(int fd, const void *req, size_t req_len, void *resp, size_t cap)
{
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += NSM_TIMEOUT_MS / 1000;

	ssize_t n;
	/* MSG_NOSIGNAL: a dead nsm-sim is an EIO, not a SIGPIPE that kills the
	 * program. */
	while ((n = send(fd, req, req_len, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0) {
		if (errno == EINTR)
			continue;
		if ((errno != EAGAIN && errno != EWOULDBLOCK) || wait_for(fd, POLLOUT, &deadline) != 0)
			return -1;
	}
	if ((size_t)n != req_len)
		return fail(EIO);
	while ((n = recv(fd, resp, cap, MSG_TRUNC | MSG_DONTWAIT)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (wait_for(fd, POLLIN, &deadline) != 0) {
			/* The late answer would be read as the reply to the next
			 * request: this connection is done for. */
			int e = errno;
			shutdown(fd, SHUT_RDWR);
			return fail(e);
		}
	}
	if (n == 0) {
		dbg("nsm-sim closed the connection");
		return fail(EIO);
	}
	return n;
}

static int nsm_ioctl(int fd, const struct stat *st, unsigned long request, void *arg)
{
	/* The kernel's ioctl number is 32 bits: compare as the driver sees it. */
	if ((unsigned int)request != NSM_IOCTL_RAW)
		return fail(EINVAL);
	if (!arg)
		return fail(EFAULT);
	struct nsm_raw raw;
	memcpy(&raw, arg, sizeof raw);
	if (raw.request.len > NSM_REQUEST_MAX)
		return fail(EMSGSIZE);
	if (raw.request.len == 0) {
		dbg("empty request: a zero-length record cannot be sent");
		return fail(EIO);
	}
	/* The device fills at most its own buffer. */
	size_t cap = raw.response.len < NSM_RESPONSE_MAX ? (size_t)raw.response.len : NSM_RESPONSE_MAX;

	pthread_mutex_t *lock = &locks[st->st_ino % NLOCKS];
	pthread_mutex_lock(lock);
	ssize_t n = exchange(fd, (const void *)(uintptr_t)raw.request.addr, (size_t)raw.request.len,
			     (void *)(uintptr_t)raw.response.addr, cap);
	int e = errno;
	pthread_mutex_unlock(lock);
	if (n < 0) {
		dbg("exchange on fd %d failed: %s", fd, strerror(e));
		if (e == EPIPE || e == ECONNRESET || e == ENOTCONN)
			e = EIO;
		return fail(e);
	}
	uint64_t copied = (size_t)n < cap ? (uint64_t)n : (uint64_t)cap;
	memcpy((char *)arg + offsetof(struct nsm_raw, response.len), &copied, sizeof copied);
	return 0;
}

int ioctl(int fd, unsigned long request, ...)
{
	/* Every ioctl takes at most one argument, passed as a pointer-sized
	 * value; reading it when none was given is harmless on the ABIs Linux
	 * runs on, and glibc's own wrapper does the same. */
	va_list ap;
	va_start(ap, request);
	void *arg = va_arg(ap, void *);
	va_end(ap);
	init();
	struct stat st;
	if (is_nsm_fd(fd, &st))
		return nsm_ioctl(fd, &st, request, arg);
	return real.ioctl ? real.ioctl(fd, request, arg) : fail(ENOSYS);
}
