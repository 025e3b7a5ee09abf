/* nsmsim_server: nsm-sim's socket side.  One SOCK_SEQPACKET unix socket, one
 * poll() loop (no threads) serving any number of clients; each record is one
 * request and gets one record back, whatever it holds.
 *
 * Readiness without sleeps: the socket is bound under a temporary name in the
 * same directory, listened on, then renamed to its path, so the path exists
 * only once connections are accepted; the pidfile is written after that.
 * SIGTERM and SIGINT (through a signalfd) stop the loop: clients are closed
 * and the socket and the pidfile removed. */
#ifndef NK_NSMSIM_SERVER_H
#define NK_NSMSIM_SERVER_H

#include "util/err.h"
#include "sim/nsmsim.h"

#define NSMSIM_SERVER_MAX_CLIENTS 512  /* more wait in the listen backlog */

struct nsmsim_server_opts {
	const char *socket_path;
	const char *pidfile;       /* NULL: none */
	/* One line per request (and at start and stop), or NULL. */
	void (*log)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
};

/* Serve s until SIGTERM or SIGINT: NK_OK then.  A socket that cannot be set
 * up (path too long, in use by a live server, not a socket) or a pidfile
 * that cannot be written is NK_IO, and nothing is left behind. */
int nsmsim_serve(struct nsmsim *s, const struct nsmsim_server_opts *o, struct nk_err *err);

#endif
