/* relay: see relay.h. */
#include "kms/relay.h"
#include "util/proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define BUF_SIZE 16384
#define STALL_MS 30000   /* a peer that takes nothing for this long is given up */

struct relay {
	struct sockaddr_storage to;
	socklen_t tolen;
	long connect_ms;
	int lfd;
	int wake[2];           /* written by relay_stop to end poll() in the thread */
	pthread_t th;
	int started;
	char dir[128];
	char path[sizeof ((struct sockaddr_un *)0)->sun_path];
	pthread_mutex_t lock;  /* guards last_error */
	char last_error[128];
};

static void set_error(struct relay *r, int e)
{
	char buf[sizeof r->last_error];
	/* The GNU strerror_r: this thread runs next to others. */
	const char *msg = e ? strerror_r(e, buf, sizeof buf) : "";

	pthread_mutex_lock(&r->lock);
	snprintf(r->last_error, sizeof r->last_error, "%s", msg);
	pthread_mutex_unlock(&r->lock);
}

/* A connection to the upstream address within the time limit, or -1 with
 * the reason recorded. */
static int connect_upstream(struct relay *r)
{
	int fd = socket(r->to.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int e = 0;
	socklen_t el = sizeof e;

	if (fd < 0) {
		set_error(r, errno);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&r->to, r->tolen) != 0) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		if (errno != EINPROGRESS) {
			e = errno;
		} else {
			int n = poll(&p, 1, (int)r->connect_ms);

			if (n == 0)
				e = ETIMEDOUT;
			else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0)
				e = errno;
		}
	}
	if (e) {
		set_error(r, e);
		close(fd);
		return -1;
	}
	set_error(r, 0);
	return fd;
}

/* Move what is readable on from to `to`; 0 at end of stream, on error, when
 * `to` accepts nothing for STALL_MS, or when relay_stop wakes us. */
static int move(struct relay *r, int from, int to)
{
	char buf[BUF_SIZE];
	ssize_t n = read(from, buf, sizeof buf);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 1;
	if (n <= 0)
		return 0;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = send(to, buf + off, (size_t)(n - off), MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p[2] = {
				{ .fd = to, .events = POLLOUT },
				{ .fd = r->wake[0], .events = POLLIN },
			};

			if (poll(p, 2, STALL_MS) <= 0 || p[1].revents)
				return 0;
			continue;
		}
		if (w <= 0)
			return 0;
		off += w;
	}
	return 1;
}

/* Forward both ways until either side closes or relay_stop wakes us.
 * Returns 0 when told to stop. */
static int pump(struct relay *r, int a, int b)
{
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = a, .events = POLLIN },
			{ .fd = b, .events = POLLIN },
			{ .fd = r->wake[0], .events = POLLIN },
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (p[2].revents)
			return 0;
		if (p[0].revents && !move(r, a, b))
			return 1;
		if (p[1].revents && !move(r, b, a))
			return 1;
	}
}

static void *run(void *arg)
{
	struct relay *r = arg;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = r->lfd, .events = POLLIN },
			{ .fd = r->wake[0], .events = POLLIN },
		};
		int c, up, go_on;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents)
			break;
		if ((c = accept4(r->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) < 0) {
			/* Out of descriptors or memory: wait instead of spinning. */
			if (errno != EINTR && errno != ECONNABORTED)
				poll(NULL, 0, 100);
			continue;
		}
		/* A failed upstream connect closes the client's connection at
		 * once: libcurl sees it fail and retries; the reason is kept for
		 * the message. */
		up = connect_upstream(r);
		go_on = up < 0 || pump(r, c, up);
		if (up >= 0)
			close(up);
		close(c);
		if (!go_on)
			break;
	}
	return NULL;
}

int relay_start(const struct sockaddr *to, socklen_t tolen, long connect_timeout_ms, struct relay **out,
		struct nk_err *err)
{
	struct relay *r = calloc(1, sizeof *r);
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	const char *tmp = getenv("TMPDIR");
	int rc;

	*out = NULL;
	if (!r)
		return err_set(err, NK_IO, "out of memory");
	r->lfd = r->wake[0] = r->wake[1] = -1;
	pthread_mutex_init(&r->lock, NULL);
	if (tolen > sizeof r->to) {
		rc = err_set(err, NK_USAGE, "address too long");
		goto fail;
	}
	memcpy(&r->to, to, tolen);
	r->tolen = tolen;
	r->connect_ms = connect_timeout_ms > 0 ? connect_timeout_ms : 5000;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if ((size_t)snprintf(r->dir, sizeof r->dir, "%s/nitrokit-XXXXXX", tmp) >= sizeof r->dir) {
		r->dir[0] = 0;
		rc = err_set(err, NK_IO, "TMPDIR too long for a relay socket");
		goto fail;
	}
	if (!mkdtemp(r->dir)) {
		rc = err_set(err, NK_IO, "cannot create a directory in '%s':", tmp);
		r->dir[0] = 0;
		goto fail;
	}
	/* Removed with its socket if a signal ends the process. */
	proc_cleanup_add(r->dir);
	if ((size_t)snprintf(r->path, sizeof r->path, "%s/kms", r->dir) >= sizeof r->path) {
		rc = err_set(err, NK_IO, "TMPDIR too long for a relay socket");
		goto fail;
	}
	memcpy(a.sun_path, r->path, strlen(r->path) + 1);
	if ((r->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    bind(r->lfd, (struct sockaddr *)&a, sizeof a) != 0 || listen(r->lfd, 4) != 0) {
		rc = err_set(err, NK_IO, "cannot listen on '%s':", r->path);
		goto fail;
	}
	if (pipe2(r->wake, O_CLOEXEC) != 0) {
		rc = err_set(err, NK_IO, "cannot create a pipe:");
		goto fail;
	}
	if ((errno = pthread_create(&r->th, NULL, run, r)) != 0) {
		rc = err_set(err, NK_IO, "cannot start the relay thread:");
		goto fail;
	}
	r->started = 1;
	*out = r;
	return NK_OK;
fail:
	relay_stop(r);
	return rc;
}

const char *relay_path(const struct relay *r)
{
	return r->path;
}

void relay_last_error(struct relay *r, char *buf, size_t size)
{
	pthread_mutex_lock(&r->lock);
	snprintf(buf, size, "%s", r->last_error);
	pthread_mutex_unlock(&r->lock);
}

void relay_stop(struct relay *r)
{
	if (!r)
		return;
	if (r->started) {
		ssize_t w;

		do
			w = write(r->wake[1], "x", 1);
		while (w < 0 && errno == EINTR);
		pthread_join(r->th, NULL);
	}
	if (r->lfd >= 0)
		close(r->lfd);
	if (r->wake[0] >= 0)
		close(r->wake[0]);
	if (r->wake[1] >= 0)
		close(r->wake[1]);
	if (r->path[0])
		unlink(r->path);
	if (r->dir[0]) {
		rmdir(r->dir);
		proc_cleanup_remove(r->dir);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}
