#include "nsm/nsm_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"
#include "util/secmem.h"

#define NSM_TIMEOUT_MS 30000u

struct nsm_conn {
	int fd;
	int sock;           /* unix: nsm-sim, else the ioctl device */
	unsigned timeout_ms;
	char path[];        /* for messages */
};

static int set_rcvtimeo(int fd, unsigned ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

static int open_unix(struct nsm_conn *c, struct nk_err *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = strlen(c->path);

	if (!n || n >= sizeof sa.sun_path) {
		errno = n ? ENAMETOOLONG : ENOENT;
		return err_set(err, NK_IO, "cannot connect to nsm-sim at '%s':", c->path);
	}
	memcpy(sa.sun_path, c->path, n);
	c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return err_set(err, NK_IO, "cannot create a socket:");
	if (set_rcvtimeo(c->fd, c->timeout_ms))
		return err_set(err, NK_IO, "cannot set a socket timeout:");
	while (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (errno != EINTR)
			return err_set(err, NK_IO, "cannot connect to nsm-sim at '%s':", c->path);
	}
	return NK_OK;
}

const char *nsm_spec(const char *spec)
{
	if (!spec || !*spec)
		spec = getenv(NSM_ENV);
	return spec && *spec ? spec : NSM_DEVICE;
}

int nsm_open(const char *spec, struct nsm_conn **cp, struct nk_err *err)
{
	struct nsm_conn *c;
	int sock, rc = NK_OK;

	*cp = NULL;
	spec = nsm_spec(spec);
	log_trace("using the NSM at '%s'", spec);
	sock = strncmp(spec, "unix:", 5) == 0;
	if (sock)
		spec += 5;
	c = malloc(sizeof *c + strlen(spec) + 1);
	if (!c)
		return err_set(err, NK_IO, "out of memory");
	c->fd = -1;
	c->sock = sock;
	c->timeout_ms = NSM_TIMEOUT_MS;
	strcpy(c->path, spec);
	if (sock) {
		rc = open_unix(c, err);
	} else if ((c->fd = open(spec, O_RDWR | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			rc = err_set(err, NK_IO, "cannot open '%s': %s (not inside a Nitro Enclave? set "
				     NSM_ENV "=unix:PATH to use nsm-sim)", spec, strerror(ENOENT));
		else
			rc = err_set(err, NK_IO, "cannot open '%s':", spec);
	}
	if (rc)
		nsm_close(c);
	else
		*cp = c;
	return rc;
}

void nsm_close(struct nsm_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

void nsm_set_timeout(struct nsm_conn *c, unsigned ms)
{
	c->timeout_ms = ms;
	if (c->sock && c->fd >= 0)
		set_rcvtimeo(c->fd, ms);
}

static int call_device(struct nsm_conn *c, const unsigned char *req, size_t req_len,
		       unsigned char *resp, size_t *resp_len, struct nk_err *err)
{
	/* the driver's ABI: a response buffer of NSM_RESPONSE_MAX */
	unsigned char *buf = *resp_len >= NSM_RESPONSE_MAX ? resp : malloc(NSM_RESPONSE_MAX);
	struct nsm_raw raw = {
		.request = { (uint64_t)(uintptr_t)req, req_len },
		.response = { (uint64_t)(uintptr_t)buf, NSM_RESPONSE_MAX },
	};
	int rc = NK_OK;

	if (!buf)
		return err_set(err, NK_IO, "out of memory");
	while (ioctl(c->fd, NSM_IOCTL_RAW, &raw) < 0) {
		if (errno != EINTR) {
			rc = err_set(err, NK_IO, "NSM request on '%s' failed:", c->path);
			goto out;
		}
	}
	if (raw.response.len > *resp_len) {
		rc = err_set(err, NK_DATA, "response too large (%" PRIu64 " bytes, at most %zu)",
			     raw.response.len, *resp_len);
		goto out;
	}
	if (buf != resp && raw.response.len)
		memcpy(resp, buf, raw.response.len);
	*resp_len = raw.response.len;
out:
	if (buf != resp)
		free(buf);
	return rc;
}

static int call_unix(struct nsm_conn *c, const unsigned char *req, size_t req_len,
		     unsigned char *resp, size_t *resp_len, struct nk_err *err)
{
	ssize_t n;

	/* one request, one record; MSG_NOSIGNAL: a dead simulator is an error, not SIGPIPE */
	while ((n = send(c->fd, req, req_len, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return err_set(err, NK_IO, "cannot send to nsm-sim at '%s':", c->path);
	if ((size_t)n != req_len)
		return err_set(err, NK_IO, "short send to nsm-sim at '%s'", c->path);
	/* MSG_TRUNC: the record's real length, so a long one is noticed */
	while ((n = recv(c->fd, resp, *resp_len, MSG_TRUNC)) < 0 && errno == EINTR)
		;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return err_set(err, NK_IO, "no answer from nsm-sim at '%s'", c->path);
	if (n < 0)
		return err_set(err, NK_IO, "cannot receive from nsm-sim at '%s':", c->path);
	if (n == 0)
		return err_set(err, NK_IO, "nsm-sim at '%s' closed the connection", c->path);
	if ((size_t)n > *resp_len)
		return err_set(err, NK_DATA, "response too large (%zd bytes, at most %zu)", n, *resp_len);
	*resp_len = (size_t)n;
	return NK_OK;
}

int nsm_call_raw(struct nsm_conn *c, const unsigned char *req, size_t req_len,
		 unsigned char *resp, size_t *resp_len, struct nk_err *err)
{
	if (req_len > NSM_REQUEST_MAX)
		return err_set(err, NK_DATA, "request too large (%zu bytes, at most %d)", req_len,
			       NSM_REQUEST_MAX);
	return c->sock ? call_unix(c, req, req_len, resp, resp_len, err)
		       : call_device(c, req, req_len, resp, resp_len, err);
}

int nsm_exec(struct nsm_conn *c, const struct nsm_request *req, struct nsm_response *resp,
	     struct nk_err *err)
{
	unsigned char *q = NULL, *a = NULL;
	size_t qlen = 0, alen = NSM_RESPONSE_MAX;
	int rc;

	memset(resp, 0, sizeof *resp);
	rc = nsm_request_encode(req, &q, &qlen, err);
	if (rc)
		goto out;
	if (!(a = malloc(alen))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	rc = nsm_call_raw(c, q, qlen, a, &alen, err);
	if (!rc)
		rc = nsm_response_decode(a, alen, resp, err);
	if (rc)
		goto out;
	if (resp->op == NSM_OP_ERROR)
		rc = err_set(err, NK_REMOTE, "the NSM refused %s: %s (%s)", nsm_op_name(req->op),
			     nsm_error_name(resp->error), nsm_error_text(resp->error));
	else if (resp->op != req->op)
		rc = err_set(err, NK_DATA, "the NSM answered %s to %s", nsm_op_name(resp->op),
			     nsm_op_name(req->op));
	if (rc)
		nsm_response_clear(resp);
out:
	free(q);
	/* The raw answer may hold GetRandom's bytes. */
	if (a)
		secmem_wipe(a, NSM_RESPONSE_MAX);
	free(a);
	return rc;
}
