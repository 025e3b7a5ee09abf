/* Unit-test helper: what the code under test writes on a standard descriptor
 * (1 or 2), captured into a temporary file and read back as a string.
 *
 *   capture(2); cli_trace("x"); assert_string_equal(captured(), "prog: x\n");
 *
 * Include after <cmocka.h>. */
#ifndef NK_TEST_CAPTURE_H
#define NK_TEST_CAPTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char capture_path[] = "/tmp/nk_capture.XXXXXX";
static int capture_fd = -1, capture_saved = -1;

static void capture(int fd)
{
	int tmp = mkstemp(capture_path);

	assert_true(tmp >= 0);
	fflush(fd == 1 ? stdout : stderr);
	capture_fd = fd;
	capture_saved = dup(fd);
	assert_int_equal(dup2(tmp, fd), fd);
	close(tmp);
}

/* The bytes written since capture() (up to 8 KiB); the descriptor is back. */
static char *captured(void)
{
	static char buf[8192];
	FILE *f;
	size_t n;

	fflush(capture_fd == 1 ? stdout : stderr);
	assert_int_equal(dup2(capture_saved, capture_fd), capture_fd);
	close(capture_saved);
	f = fopen(capture_path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = 0;
	fclose(f);
	unlink(capture_path);
	memcpy(capture_path + strlen(capture_path) - 6, "XXXXXX", 6);
	return buf;
}

#endif
