/* relay: a private unix socket whose connections a thread forwards, byte for
 * byte, to an AF_VSOCK address (or an abstract AF_UNIX name standing in for
 * one), so that libcurl reaches the vsock-proxy through its own
 * CURLOPT_UNIX_SOCKET_PATH.
 *
 * Why not only the opensocket/sockopt callbacks: libcurl keeps a connection
 * for reuse only when it can print the peer's address (url.c refuses a
 * connection whose primary_ip is empty "still name resolving", taken from
 * getpeername()), and it can print neither an AF_VSOCK address nor an
 * abstract name: every call would open a new connection and a new TLS
 * session.  A unix socket with a path prints as its path, so through the
 * relay a process keeps one connection for all its calls.  TLS still runs
 * end to end between libcurl and KMS; the relay only moves ciphertext. */
#ifndef NK_RELAY_H
#define NK_RELAY_H

#include <stddef.h>
#include <sys/socket.h>

#include "util/err.h"

struct relay;

/* Listen on a socket in a fresh mode-0700 directory under $TMPDIR (or
 * /tmp) and start the forwarding thread.  Each accepted connection is
 * matched by a new connection to `to` (connect_timeout_ms bounds it).
 * NK_IO when the directory, socket or thread cannot be made. */
int relay_start(const struct sockaddr *to, socklen_t tolen, long connect_timeout_ms, struct relay **out,
		struct nk_err *err);
/* The path to give CURLOPT_UNIX_SOCKET_PATH. */
const char *relay_path(const struct relay *r);
/* Why the last connection to `to` failed ("" when it did not), e.g.
 * "Connection refused", for the caller's error message. */
void relay_last_error(struct relay *r, char *buf, size_t size);
/* Stop the thread, close everything, remove the socket and its directory. */
void relay_stop(struct relay *r);

#endif
