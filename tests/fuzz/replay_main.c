/* A plain main for the libFuzzer targets: `make check` replays each target's
 * corpus (files named on the command line) without needing clang.
 *
 * A file that cannot be read is reported ("prog: cannot open 'f': reason")
 * and makes the exit status 1, after the other files have been replayed: a
 * corpus that silently lost files would pass while testing less. */
#include <errno.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *prog = "replay";

static int cannot(const char *what, const char *path, int e)
{
	fprintf(stderr, "%s: cannot %s '%s': %s\n", prog, what, path, strerror(e));
	return -1;
}

/* Read all of f into a buffer of exactly its size, so that ASan sees a
 * target read past the input.  *out is malloc'd (1 byte for an empty file). */
static int read_all(FILE *f, unsigned char **out, size_t *len)
{
	unsigned char *buf = NULL, *exact;
	size_t n = 0, cap = 0;

	for (;;) {
		size_t got;

		if (n == cap) {
			unsigned char *p = realloc(buf, cap = cap ? 2 * cap : 65536);

			if (!p) {
				free(buf);
				return ENOMEM;
			}
			buf = p;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		int e = errno;  /* set by the failed read (EISDIR for a directory) */

		free(buf);
		return e ? e : EIO;
	}
	exact = malloc(n ? n : 1);
	if (!exact) {
		free(buf);
		return ENOMEM;
	}
	memcpy(exact, buf, n);
	free(buf);
	*out = exact;
	*len = n;
	return 0;
}

static int replay(const char *path)
{
	unsigned char *data;
	size_t len;
	FILE *f;
	int e;

	errno = 0;
	f = fopen(path, "rb");
	if (!f)
		return cannot("open", path, errno);
	e = read_all(f, &data, &len);
	fclose(f);
	if (e)
		return cannot("read", path, e);
	LLVMFuzzerTestOneInput(data, len);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	const char *slash = argc > 0 ? strrchr(argv[0], '/') : NULL;
	int rc = 0;

	if (argc > 0)
		prog = slash ? slash + 1 : argv[0];
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_FILE...\n", prog);
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (replay(argv[i]) != 0)
			rc = 1;
	return rc;
}
