#include "util/io.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/proc.h"

static int is_stdio(const char *path)
{
	return strcmp(path, "-") == 0;
}

const char *io_name(const char *path)
{
	return is_stdio(path) ? "standard input" : path;
}

int io_open_in(const char *path, int *fd, off_t *size, struct nk_err *err)
{
	struct stat st;

	*fd = is_stdio(path) ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	if (*fd < 0)
		return err_set(err, NK_IO, "cannot open '%s':", path);
	if (fstat(*fd, &st) < 0) {
		if (*fd > 0)
			close(*fd);
		return err_set(err, NK_IO, "cannot stat '%s':", io_name(path));
	}
	if (S_ISDIR(st.st_mode)) {
		if (*fd > 0)
			close(*fd);
		errno = EISDIR;
		return err_set(err, NK_IO, "cannot read '%s':", path);
	}
	if (size)
		*size = S_ISREG(st.st_mode) ? st.st_size : -1;
	return NK_OK;
}

int io_read_full(int fd, void *buf, size_t n, size_t *got)
{
	size_t off = 0;

	while (off < n) {
		ssize_t r = read(fd, (char *)buf + off, n - off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			*got = off;
			return -1;
		}
		if (r == 0)
			break;
		off += (size_t)r;
	}
	*got = off;
	return 0;
}

int io_write_full(int fd, const void *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = write(fd, (const char *)buf + off, n - off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* Reads grow the buffer geometrically up to max+1 bytes: one byte past the
 * cap tells "too large" from "exactly max". */
static int read_grow(int fd, const char *name, size_t max, int secret,
		     unsigned char **pbuf, size_t *pcap, size_t *len, struct nk_err *err)
{
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0;

	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			unsigned char *nb;

			if (ncap > max + 2)
				ncap = max + 2;
			if (ncap <= cap)
				ncap = cap + 1;
			nb = secret ? secmem_alloc(ncap) : malloc(ncap);
			if (!nb) {
				secret ? secmem_release(buf, cap) : free(buf);
				return err_set(err, NK_IO, "out of memory reading '%s'", name);
			}
			if (buf)
				memcpy(nb, buf, n);
			secret ? secmem_release(buf, cap) : free(buf);
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err_set(err, NK_IO, "cannot read '%s':", name);
			secret ? secmem_release(buf, cap) : free(buf);
			return NK_IO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			secret ? secmem_release(buf, cap) : free(buf);
			return err_set(err, NK_DATA, "'%s' is too large (more than %zu bytes)", name, max);
		}
	}
	buf[n] = '\0';
	*pbuf = buf;
	*pcap = cap;
	*len = n;
	return NK_OK;
}

int io_read_fd(int fd, const char *name, size_t max, unsigned char **buf, size_t *len, struct nk_err *err)
{
	size_t cap;

	return read_grow(fd, name, max, 0, buf, &cap, len, err);
}

int io_read_all(const char *path, size_t max, unsigned char **buf, size_t *len, struct nk_err *err)
{
	int fd, rc;
	size_t cap;

	rc = io_open_in(path, &fd, NULL, err);
	if (rc)
		return rc;
	rc = read_grow(fd, io_name(path), max, 0, buf, &cap, len, err);
	if (fd > 0)
		close(fd);
	return rc;
}

int io_read_secret(const char *path, size_t max, struct secbuf **out, struct nk_err *err)
{
	struct secbuf *b;
	int fd, rc;

	rc = io_open_in(path, &fd, NULL, err);
	if (rc)
		return rc;
	b = calloc(1, sizeof *b);
	if (!b)
		rc = err_set(err, NK_IO, "out of memory");
	else
		rc = read_grow(fd, io_name(path), max, 1, &b->p, &b->cap, &b->len, err);
	if (fd > 0)
		close(fd);
	if (rc) {
		free(b);
		return rc;
	}
	*out = b;
	return NK_OK;
}

/* --- atomic writes ---------------------------------------------------------- */

int io_writes_through(const char *path)
{
	struct stat st;

	return is_stdio(path) || (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode));
}

/* path's directory, and "<dir>/.<base>.XXXXXX" for a temporary next to it. */
static int temp_names(const char *path, char **dir, char **tmpl)
{
	char *dup = strdup(path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n;

	*dir = *tmpl = NULL;
	if (!dup)
		return -1;
	*dir = strdup(dirname(dup));
	free(dup);
	if (!*dir)
		return -1;
	n = strlen(*dir) + strlen(base) + 16;
	if (!(*tmpl = malloc(n))) {
		free(*dir);
		*dir = NULL;
		return -1;
	}
	snprintf(*tmpl, n, "%s/.%s.XXXXXX", *dir, base);
	return 0;
}

/* The common start: a->path set; directories refused now rather than at
 * the rename, after the work. */
static int atomic_start(struct io_atomic *a, const char *path, struct nk_err *err)
{
	struct stat st;

	memset(a, 0, sizeof *a);
	a->fd = -1;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return err_set(err, NK_IO, "cannot write '%s':", path);
	}
	if (!(a->path = strdup(path)))
		return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

static void atomic_free(struct io_atomic *a)
{
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
	a->unnamed = 0;
}

/* An O_TMPFILE in dir, when the filesystem and /proc allow it (commit links
 * it in through /proc/self/fd: AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH). */
static int open_unnamed(struct io_atomic *a, const char *dir, mode_t mode)
{
#ifdef O_TMPFILE
	char proc[32];

	a->fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
	if (a->fd < 0)
		return -1;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", a->fd);
	if (access(proc, F_OK) == 0) {
		a->unnamed = 1;
		return 0;
	}
	close(a->fd);
	a->fd = -1;
#else
	(void)a, (void)dir, (void)mode;
#endif
	return -1;
}

static int open_named(struct io_atomic *a, char *tmpl, struct nk_err *err)
{
	sigset_t old;

	proc_cleanup_hold(&old);
	a->fd = mkostemp(tmpl, O_CLOEXEC);
	if (a->fd >= 0) {
		a->tmp = tmpl;
		proc_cleanup_add(tmpl);
	}
	proc_cleanup_release(&old);
	if (a->fd < 0) {
		err_set(err, NK_IO, "cannot create '%s':", a->path);
		free(tmpl);
		return NK_IO;
	}
	return NK_OK;
}

int io_atomic_open(struct io_atomic *a, const char *path, mode_t mode, struct nk_err *err)
{
	char *dir, *tmpl;
	int rc;

	if (is_stdio(path)) {
		memset(a, 0, sizeof *a);
		a->fd = 1;
		return NK_OK;
	}
	if ((rc = atomic_start(a, path, err)))
		return rc;
	/* A FIFO, /dev/stdout or a device is written through: renaming a file
	 * over it would replace it instead of feeding it. */
	if (io_writes_through(path)) {
		if ((a->fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
			err_set(err, NK_IO, "cannot open '%s':", path);
			atomic_free(a);
			return NK_IO;
		}
		return NK_OK;
	}
	if (temp_names(path, &dir, &tmpl) < 0) {
		atomic_free(a);
		return err_set(err, NK_IO, "out of memory");
	}
	if (open_unnamed(a, dir, mode) == 0)
		free(tmpl);
	else if ((rc = open_named(a, tmpl, err)))
		atomic_free(a);
	free(dir);
	if (rc)
		return rc;
	if (fchmod(a->fd, mode) < 0) {
		err_set(err, NK_IO, "cannot set the mode of '%s':", path);
		io_atomic_abort(a);
		return NK_IO;
	}
	return NK_OK;
}

int io_atomic_stage(struct io_atomic *a, const char *path, mode_t mode, struct nk_err *err)
{
	char *dir, *tmpl;
	int rc;

	if (io_writes_through(path)) {
		memset(a, 0, sizeof *a);
		a->fd = -1;
		errno = EINVAL;
		return err_set(err, NK_IO, "cannot stage '%s':", path);
	}
	if ((rc = atomic_start(a, path, err)))
		return rc;
	if (temp_names(path, &dir, &tmpl) < 0) {
		atomic_free(a);
		return err_set(err, NK_IO, "out of memory");
	}
	free(dir);
	if ((rc = open_named(a, tmpl, err))) {
		atomic_free(a);
		return rc;
	}
	if (fchmod(a->fd, mode) < 0) {
		err_set(err, NK_IO, "cannot set the mode of '%s':", path);
		io_atomic_abort(a);
		return NK_IO;
	}
	close(a->fd);
	a->fd = -1;
	return NK_OK;
}

int io_atomic_write(struct io_atomic *a, const void *data, size_t len, struct nk_err *err)
{
	/* Standard output straight to the descriptor, not through stdio: no
	 * copy of a secret stays in stdio's buffer. */
	if (a->fd == 1) {
		if (io_write_full(1, data, len) < 0)
			return err_set(err, NK_IO, "write error on standard output:");
		return NK_OK;
	}
	if (io_write_full(a->fd, data, len) < 0)
		return err_set(err, NK_IO, "cannot write '%s':", a->path);
	return NK_OK;
}

static void fill_random(char *tmpl)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	static unsigned long count;
	unsigned char r[6];
	char *x = tmpl + strlen(tmpl) - 6;

	if (getentropy(r, sizeof r) < 0) {
		/* Only uniqueness matters (linkat() refuses a name that exists). */
		unsigned long v = (unsigned long)getpid() * 1000003UL + count++;

		for (size_t i = 0; i < sizeof r; i++)
			r[i] = (unsigned char)(v >> (8 * i));
	}
	for (size_t i = 0; i < sizeof r; i++)
		x[i] = chars[r[i] % (sizeof chars - 1)];
}

/* linkat() cannot replace a file: link the O_TMPFILE under a fresh hidden
 * name and rename that over the target at once. */
static int link_unnamed(struct io_atomic *a, struct nk_err *err)
{
	char proc[32], *dir, *name;
	sigset_t old;
	int rc = NK_OK, linked = 0, e = 0;

	if (temp_names(a->path, &dir, &name) < 0)
		return err_set(err, NK_IO, "out of memory");
	free(dir);
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", a->fd);
	for (int tries = 0; !linked && tries < 100; tries++) {
		fill_random(name);
		proc_cleanup_hold(&old);
		linked = linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0;
		e = errno;
		if (linked)
			proc_cleanup_add(name);
		proc_cleanup_release(&old);
		if (!linked && e != EEXIST)
			break;
	}
	errno = e;
	if (!linked) {
		rc = err_set(err, NK_IO, "cannot create '%s':", a->path);
	} else if (rename(name, a->path) < 0) {
		rc = err_set(err, NK_IO, "cannot rename into '%s':", a->path);
		unlink(name);
	}
	if (linked)
		proc_cleanup_remove(name);
	free(name);
	return rc;
}

int io_atomic_commit(struct io_atomic *a, struct nk_err *err)
{
	int rc = NK_OK;

	if (a->fd == 1)
		return NK_OK;
	if (!a->tmp && !a->unnamed) {  /* written through: nothing to rename */
		rc = close(a->fd) < 0 ? err_set(err, NK_IO, "cannot write '%s':", a->path) : NK_OK;
		a->fd = -1;
		atomic_free(a);
		return rc;
	}
	if (a->fd >= 0 && fsync(a->fd) < 0)
		rc = err_set(err, NK_IO, "cannot write '%s':", a->path);
	else if (a->unnamed)
		rc = link_unnamed(a, err);
	if (a->fd >= 0) {
		if (close(a->fd) < 0 && !rc)
			rc = err_set(err, NK_IO, "cannot write '%s':", a->path);
		a->fd = -1;
	}
	if (!rc && a->tmp && rename(a->tmp, a->path) < 0)
		rc = err_set(err, NK_IO, "cannot rename into '%s':", a->path);
	if (rc) {
		io_atomic_abort(a);
		return rc;
	}
	if (a->tmp)
		proc_cleanup_remove(a->tmp);
	atomic_free(a);
	return NK_OK;
}

void io_atomic_abort(struct io_atomic *a)
{
	if (!a)
		return;
	if (a->fd > 1)
		close(a->fd);
	a->fd = -1;
	if (a->tmp) {
		unlink(a->tmp);
		proc_cleanup_remove(a->tmp);
	}
	atomic_free(a);
}

int io_write_file(const char *path, const void *data, size_t len, mode_t mode, struct nk_err *err)
{
	struct io_atomic a;
	int rc;

	rc = io_atomic_open(&a, path, mode, err);
	if (rc)
		return rc;
	rc = io_atomic_write(&a, data, len, err);
	if (!rc)
		rc = io_atomic_commit(&a, err);
	if (rc)
		io_atomic_abort(&a);
	return rc;
}

int io_refuse_tty(const char *path, int force, struct nk_err *err)
{
	if (!force && is_stdio(path) && isatty(1))
		return err_set(err, NK_USAGE, "refusing to write binary data to a terminal (use -o FILE or --force)");
	return NK_OK;
}
