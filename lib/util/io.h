/* io: bounded reads of files or "-" (stdin) and atomic writes.
 *
 * Every read is capped before anything is parsed (DESIGN §3), and every file
 * we create is written to a temporary name, flushed and renamed, so a failure
 * never leaves a half-written output behind. */
#ifndef NK_IO_H
#define NK_IO_H

#include <stddef.h>
#include <sys/types.h>
#include "util/err.h"
#include "util/secmem.h"

/* "standard input" for "-", else the path: for messages. */
const char *io_name(const char *path);

/* Open path for reading ("-" = fd 0).  *size is the file size for regular
 * files and -1 for pipes and other streams. */
int io_open_in(const char *path, int *fd, off_t *size, struct nk_err *err);

/* Read all of path ("-" = stdin) into a malloc'd buffer (NUL-terminated, the
 * NUL not counted).  More than max bytes is an error (NK_DATA). */
int io_read_all(const char *path, size_t max, unsigned char **buf, size_t *len, struct nk_err *err);
/* The same into secure memory, for secrets. */
int io_read_secret(const char *path, size_t max, struct secbuf **out, struct nk_err *err);
/* Read from an open fd (not closed). */
int io_read_fd(int fd, const char *name, size_t max, unsigned char **buf, size_t *len, struct nk_err *err);

/* Read up to n bytes, retrying short reads; *got < n only at end of file. */
int io_read_full(int fd, void *buf, size_t n, size_t *got);
/* Write all n bytes, retrying short writes and EINTR; -1 with errno set. */
int io_write_full(int fd, const void *buf, size_t n);

/* Write data to path atomically with the given mode (0600 for secrets);
 * "-" writes to standard output: to fd 1 itself, not through stdio, so a
 * tool that has printed with stdio before flushes it first. */
int io_write_file(const char *path, const void *data, size_t len, mode_t mode, struct nk_err *err);

/* Atomic file writer for output produced in pieces.  The temporary is an
 * unnamed O_TMPFILE where the filesystem has them (linked in only by commit,
 * so an interrupted run leaves no file at all), else a hidden ".NAME.XXXXXX"
 * next to the target that the cleanup registry (util/proc.h) removes on
 * SIGINT, SIGTERM and SIGHUP. */
struct io_atomic {
	int fd;
	char *tmp;     /* the named temporary; NULL for O_TMPFILE, stdout, FIFOs and devices */
	char *path;
	int unnamed;   /* fd is an O_TMPFILE */
};
/* A FIFO, a device or "-" is written through (and cannot be taken back);
 * anything else but a directory becomes a file renamed into place. */
int io_writes_through(const char *path);
int io_atomic_open(struct io_atomic *a, const char *path, mode_t mode, struct nk_err *err);
int io_atomic_write(struct io_atomic *a, const void *data, size_t len, struct nk_err *err);
/* Flush, fsync and rename (or link) into place. */
int io_atomic_commit(struct io_atomic *a, struct nk_err *err);
/* Remove the temporary file (NULL-safe, idempotent; nothing after a commit). */
void io_atomic_abort(struct io_atomic *a);
/* For writers that take only a path (kmsout): an empty hidden file a->tmp
 * next to path (which must not be written through), registered for cleanup,
 * for the writer to replace; a->fd is -1.  io_atomic_commit renames a->tmp
 * over path and io_atomic_abort removes it. */
int io_atomic_stage(struct io_atomic *a, const char *path, mode_t mode, struct nk_err *err);

/* Binary output is refused on a terminal unless forced (DESIGN §3). */
int io_refuse_tty(const char *path, int force, struct nk_err *err);

#endif
