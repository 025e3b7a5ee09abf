#include "io.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

int io_atomic_open(struct io_atomic *a, const char *path, mode_t mode, struct nk_err *err)
{
	struct stat st;
	char *dup = NULL, *dir;
	const char *base;
	size_t n;

	memset(a, 0, sizeof *a);
	a->fd = -1;
	if (is_stdio(path)) {
		a->fd = 1;
		return NK_OK;
	}
	/* A FIFO, /dev/stdout or a device is written through: renaming a file
	 * over it would replace it instead of feeding it. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		a->fd = open(path, O_WRONLY | O_CLOEXEC);
		if (a->fd < 0)
			return err_set(err, NK_IO, "cannot open '%s':", path);
		if (!(a->path = strdup(path))) {
			close(a->fd);
			a->fd = -1;
			return err_set(err, NK_IO, "out of memory");
		}
		return NK_OK;
	}
	dup = strdup(path);
	a->path = strdup(path);
	if (!dup || !a->path)
		goto oom;
	dir = dirname(dup);
	base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	n = strlen(dir) + strlen(base) + 16;
	a->tmp = malloc(n);
	if (!a->tmp)
		goto oom;
	snprintf(a->tmp, n, "%s/.%s.XXXXXX", dir, base);
	free(dup);
	a->fd = mkostemp(a->tmp, O_CLOEXEC);
	if (a->fd < 0) {
		err_set(err, NK_IO, "cannot create '%s':", path);
		free(a->tmp);
		free(a->path);
		a->tmp = a->path = NULL;
		return NK_IO;
	}
	if (fchmod(a->fd, mode) < 0) {
		err_set(err, NK_IO, "cannot set the mode of '%s':", path);
		io_atomic_abort(a);
		return NK_IO;
	}
	return NK_OK;
oom:
	free(dup);
	free(a->path);
	a->path = NULL;
	return err_set(err, NK_IO, "out of memory");
}

int io_atomic_write(struct io_atomic *a, const void *data, size_t len, struct nk_err *err)
{
	if (a->fd == 1) {
		if (len && fwrite(data, 1, len, stdout) != len)
			return err_set(err, NK_IO, "write error on standard output:");
		return NK_OK;
	}
	if (io_write_full(a->fd, data, len) < 0)
		return err_set(err, NK_IO, "cannot write '%s':", a->path);
	return NK_OK;
}

int io_atomic_commit(struct io_atomic *a, struct nk_err *err)
{
	if (a->fd == 1)
		return NK_OK;
	if (!a->tmp) {  /* written through: nothing to rename */
		int rc = close(a->fd) < 0 ? err_set(err, NK_IO, "cannot write '%s':", a->path) : NK_OK;

		a->fd = -1;
		free(a->path);
		a->path = NULL;
		return rc;
	}
	if (fsync(a->fd) < 0 || close(a->fd) < 0) {
		a->fd = -1;
		err_set(err, NK_IO, "cannot write '%s':", a->path);
		io_atomic_abort(a);
		return NK_IO;
	}
	a->fd = -1;
	if (rename(a->tmp, a->path) < 0) {
		err_set(err, NK_IO, "cannot rename into '%s':", a->path);
		io_atomic_abort(a);
		return NK_IO;
	}
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
	return NK_OK;
}

void io_atomic_abort(struct io_atomic *a)
{
	if (!a)
		return;
	if (a->fd > 1)
		close(a->fd);
	a->fd = -1;
	if (a->tmp)
		unlink(a->tmp);
	free(a->tmp);
	free(a->path);
	a->tmp = a->path = NULL;
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
