#include "sim/nsmsim_server.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/io.h"
#include "nsm/nsm_msg.h"

/* Larger than any valid request, so MSG_TRUNC tells an oversized record
 * (answered InputTooLarge) from one that merely fills the buffer. */
#define RECV_BUF (2 * NSM_REQUEST_MAX)

struct client {
	int fd;
	unsigned id;
	unsigned char *out;  /* an answer the socket could not take yet */
	size_t out_len;
};

struct server {
	struct nsmsim *sim;
	const struct nsmsim_server_opts *o;
	int sig, lfd;
	dev_t dev;
	ino_t ino;
	struct client *c;
	size_t n;
	unsigned next_id;
	unsigned char buf[RECV_BUF];
};

#define LOG(sv, ...) do { if ((sv)->o->log) (sv)->o->log(__VA_ARGS__); } while (0)

static int set_addr(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (!n || n >= sizeof sa->sun_path)
		return -1;
	memcpy(sa->sun_path, path, n);
	return 0;
}

/* rename() would silently take the path from a server that still runs. */
static int check_free(const char *path, struct nk_err *err)
{
	struct sockaddr_un sa;
	struct stat st;
	int fd, live;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? NK_OK : err_set(err, NK_IO, "cannot stat '%s':", path);
	if (!S_ISSOCK(st.st_mode))
		return err_set(err, NK_IO, "'%s' exists and is not a socket", path);
	set_addr(&sa, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(err, NK_IO, "cannot create a socket:");
	live = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0 || errno == EAGAIN;
	close(fd);
	if (live)
		return err_set(err, NK_IO, "another server is listening on '%s'", path);
	return NK_OK;  /* a stale socket: the rename replaces it */
}

static int listen_at(struct server *sv, const char *path, struct nk_err *err)
{
	struct sockaddr_un sa;
	char tmp[sizeof sa.sun_path + 32];
	struct stat st;
	int rc;

	snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid());
	if (set_addr(&sa, tmp) < 0)
		return err_set(err, NK_USAGE, "socket path '%s' is too long (at most %zu bytes)", path,
			       sizeof sa.sun_path - 1 - (strlen(tmp) - strlen(path)));
	if ((rc = check_free(path, err)))
		return rc;
	sv->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (sv->lfd < 0)
		return err_set(err, NK_IO, "cannot create a socket:");
	unlink(tmp);
	if (bind(sv->lfd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return err_set(err, NK_IO, "cannot bind '%s':", tmp);
	if (listen(sv->lfd, SOMAXCONN) < 0 || stat(tmp, &st) < 0 || rename(tmp, path) < 0) {
		rc = err_set(err, NK_IO, "cannot listen on '%s':", path);
		unlink(tmp);
		return rc;
	}
	sv->dev = st.st_dev;
	sv->ino = st.st_ino;
	return NK_OK;
}

/* Remove the socket unless someone has put another file at the path since. */
static void unlink_ours(const struct server *sv)
{
	struct stat st;

	if (lstat(sv->o->socket_path, &st) == 0 && st.st_dev == sv->dev && st.st_ino == sv->ino)
		unlink(sv->o->socket_path);
}

static void drop(struct server *sv, size_t i)
{
	close(sv->c[i].fd);
	free(sv->c[i].out);
	sv->c[i] = sv->c[--sv->n];
}

static void accept_clients(struct server *sv)
{
	while (sv->n < NSMSIM_SERVER_MAX_CLIENTS) {
		int fd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ECONNABORTED)
				LOG(sv, "cannot accept a client: %s", strerror(errno));
			return;
		}
		sv->c[sv->n++] = (struct client){ .fd = fd, .id = ++sv->next_id };
	}
}

/* Send c's pending answer: 1 sent, 0 not yet (the socket is full), -1 gone. */
static int flush_out(struct client *c)
{
	ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	free(c->out);
	c->out = NULL;
	c->out_len = 0;
	return 1;
}

static void log_request(const struct server *sv, const struct client *c)
{
	const struct nsmsim *s = sv->sim;
	const char *res = s->last_error == NSM_E_SUCCESS ? "ok" : nsm_error_name(s->last_error);

	if (s->last_op >= 0)
		LOG(sv, "client %u: %s -> %s", c->id, nsm_op_name((enum nsm_op)s->last_op), res);
	else
		LOG(sv, "client %u: request of %zu bytes -> %s", c->id, s->last_len, res);
}

/* One record in, one record out: 0 to keep the client, -1 to drop it.
 * hup: the peer has hung up (recv's 0 is then its end, not an empty record). */
static int serve_one(struct server *sv, struct client *c, int hup)
{
	unsigned char *resp = NULL;
	size_t len = 0;
	ssize_t n;
	int sent;

	n = recv(c->fd, sv->buf, sizeof sv->buf, MSG_TRUNC | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
	if (n == 0 && hup)
		return -1;
	/* n may exceed the buffer (MSG_TRUNC): nsmsim_handle then only looks at n */
	if (nsmsim_handle(sv->sim, sv->buf, (size_t)n, &resp, &len)) {
		resp = malloc(nsmsim_internal_error_len);
		if (!resp)
			return -1;
		memcpy(resp, nsmsim_internal_error, nsmsim_internal_error_len);
		len = nsmsim_internal_error_len;
	}
	log_request(sv, c);
	c->out = resp;
	c->out_len = len;
	sent = flush_out(c);
	return sent < 0 ? -1 : 0;
}

static void serve_clients(struct server *sv, const struct pollfd *p, size_t np)
{
	/* back to front: drop() moves the last client into the hole */
	for (size_t k = np; k-- > 0;) {
		struct client *c = &sv->c[k];
		int gone = 0;

		if (!p[k].revents)
			continue;
		if (c->out && (p[k].revents & (POLLOUT | POLLERR | POLLHUP)))
			gone = flush_out(c) < 0;
		else if (!c->out && (p[k].revents & POLLIN))
			gone = serve_one(sv, c, (p[k].revents & (POLLHUP | POLLRDHUP)) != 0) < 0;
		else if (p[k].revents & (POLLERR | POLLHUP | POLLRDHUP | POLLNVAL))
			gone = 1;
		if (gone)
			drop(sv, k);
	}
}

static int loop(struct server *sv, struct nk_err *err)
{
	struct pollfd *p = calloc(NSMSIM_SERVER_MAX_CLIENTS + 2, sizeof *p);
	int rc = NK_OK;

	if (!p)
		return err_set(err, NK_IO, "out of memory");
	for (;;) {
		size_t np = sv->n;

		p[0] = (struct pollfd){ .fd = sv->sig, .events = POLLIN };
		/* a full house leaves new clients in the backlog */
		p[1] = (struct pollfd){ .fd = sv->n < NSMSIM_SERVER_MAX_CLIENTS ? sv->lfd : -1, .events = POLLIN };
		for (size_t i = 0; i < np; i++)
			p[i + 2] = (struct pollfd){ .fd = sv->c[i].fd, .events = sv->c[i].out ? POLLOUT : POLLIN | POLLRDHUP };
		if (poll(p, np + 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			rc = err_set(err, NK_IO, "poll failed:");
			break;
		}
		if (p[0].revents) {
			struct signalfd_siginfo si;

			if (read(sv->sig, &si, sizeof si) == (ssize_t)sizeof si)
				LOG(sv, "stopping on %s", strsignal((int)si.ssi_signo));
			break;
		}
		serve_clients(sv, p + 2, np);
		if (p[1].revents & POLLIN)
			accept_clients(sv);
	}
	free(p);
	return rc;
}

int nsmsim_serve(struct nsmsim *s, const struct nsmsim_server_opts *o, struct nk_err *err)
{
	struct server *sv = calloc(1, sizeof *sv);
	sigset_t stop;
	char pid[32];
	int rc, listening = 0, pid_written = 0;

	if (!sv)
		return err_set(err, NK_IO, "out of memory");
	sv->sim = s;
	sv->o = o;
	sv->sig = sv->lfd = -1;
	sv->c = calloc(NSMSIM_SERVER_MAX_CLIENTS, sizeof *sv->c);
	if (!sv->c) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	/* Blocked before the socket exists, so a stop signal always finds the
	 * loop and the cleanup, never the default action; left blocked, as the
	 * process ends after this. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	if (sigprocmask(SIG_BLOCK, &stop, NULL) < 0 ||
	    (sv->sig = signalfd(-1, &stop, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		rc = err_set(err, NK_IO, "cannot set up the signal handling:");
		goto out;
	}
	if ((rc = listen_at(sv, o->socket_path, err)))
		goto out;
	listening = 1;
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (o->pidfile && (rc = io_write_file(o->pidfile, pid, strlen(pid), 0644, err)))
		goto out;
	/* "-" went to fd 1 at once (io.h): a script waiting for the line has it */
	/* "-" printed the pid on stdout: nothing to remove later */
	pid_written = o->pidfile && strcmp(o->pidfile, "-") != 0;
	LOG(sv, "listening on '%s' (module %s)", o->socket_path, s->module_id);
	rc = loop(sv, err);
out:
	while (sv->c && sv->n)
		drop(sv, sv->n - 1);
	if (sv->lfd >= 0)
		close(sv->lfd);
	if (listening)
		unlink_ours(sv);
	if (pid_written)
		unlink(o->pidfile);
	if (sv->sig >= 0)
		close(sv->sig);
	free(sv->c);
	free(sv);
	return rc;
}
