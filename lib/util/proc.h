/* proc: what every tool does to its process before anything else, and the
 * registry of paths to remove when a signal ends it.
 *
 * Nothing here prints or exits: proc_start reports its one failure and the
 * caller (cli) decides what to do with a process that has no stderr. */
#ifndef NK_PROC_H
#define NK_PROC_H

#include <signal.h>

#include "util/err.h"

/* The start-up hardening of every tool, in this order: library frees wiped
 * (secmem_wipe_library_frees, before OpenSSL allocates), fds 0-2 kept open
 * (a closed one is reopened on /dev/null), SIGPIPE ignored (a closed pipe is
 * a write error, not death), the cleanup handlers installed, umask 077, no
 * core dumps, not dumpable (no ptrace by peers), jansson's frees wiped.
 * NK_IO when a closed fd 0-2 cannot be reopened; the rest cannot fail. */
int proc_start(struct nk_err *err);

/* Paths removed when SIGINT, SIGTERM or SIGHUP ends the process (the
 * handlers of proc_cleanup_install), so an interrupted run leaves no
 * temporary behind.  A fixed table of copies; only the registering process
 * removes them (not a forked child).  A path that is a directory when added
 * (only ever a mkdtemp of ours) is emptied, not recursively, and removed.
 * add returns -1 when the table is full or the path too long. */
int proc_cleanup_add(const char *path);
void proc_cleanup_remove(const char *path);
/* Handlers that remove every registered path, then end the process by the
 * same signal with its default action.  A signal ignored at start-up (nohup)
 * stays ignored. */
void proc_cleanup_install(void);

/* Block the cleanup signals (the old mask into *old) and restore them:
 * around creating a named temporary and registering it, where a signal
 * would leave the file behind. */
void proc_cleanup_hold(sigset_t *old);
void proc_cleanup_release(const sigset_t *old);

#endif
