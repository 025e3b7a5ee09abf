/* secmem: secret buffers are zeroed when made, keep their content when they
 * grow, and are cleansed before their memory goes back to the allocator.
 *
 * "Cleansed on free" cannot be seen after the fact (reading freed memory is
 * undefined, and ASan rightly stops it), so this binary is linked with
 * -Wl,--wrap=free (Makefile, UNIT_LDFLAGS_secmem): every free() of this file
 * and of lib/util/secmem.c goes through watched_free below, which looks at a
 * watched block at the moment it is handed back. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <malloc.h>
#include <cmocka.h>

#include <openssl/crypto.h>

#include "util/secmem.h"

void __real_free(void *p);
void __wrap_free(void *p);

/* The block being watched, and what free saw of it. */
static struct {
	const void *p;
	size_t len;
	int freed;      /* free was called on it */
	int was_clean;  /* all len bytes were zero at that moment */
} watch;

static void watch_block(const void *p, size_t len)
{
	watch.p = p;
	watch.len = len;
	watch.freed = 0;
	watch.was_clean = 0;
}

void __wrap_free(void *p)
{
	if (p && p == watch.p) {
		const unsigned char *b = p;
		size_t i = 0;

		while (i < watch.len && b[i] == 0)
			i++;
		watch.freed = 1;
		watch.was_clean = i == watch.len;
		watch.p = NULL;  /* the address may be handed out again */
	}
	__real_free(p);
}

/* The watched block went to free, and was all zero then.  A macro, so that
 * cmocka reports the caller's line. */
#define assert_freed_clean() \
	do { \
		assert_true(watch.freed); \
		assert_true(watch.was_clean); \
	} while (0)

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Set by main before anything else touches OpenSSL. */
static int ossl_frees_wiped;

static void new_is_zeroed_and_empty(void **state)
{
	struct secbuf *b = secmem_new(64);

	assert_non_null(b);
	assert_non_null(b->p);
	assert_int_equal(b->len, 0);
	assert_true(b->cap >= 64);
	assert_true(all_zero(b->p, 64));
	secmem_free(b);
}

static void new_of_zero_bytes_is_usable(void **state)
{
	struct secbuf *b = secmem_new(0);

	/* never a NULL p: callers memcpy(b->p, src, 0) and pass b->p on */
	assert_non_null(b);
	assert_non_null(b->p);
	assert_int_equal(b->len, 0);
	assert_int_equal(secmem_reserve(b, 10), 0);
	assert_true(b->cap >= 10);
	secmem_free(b);
}

static void reserve_grows_and_keeps_the_content(void **state)
{
	struct secbuf *b = secmem_new(4);

	memcpy(b->p, "key!", 4);
	b->len = 4;
	assert_int_equal(secmem_reserve(b, 4096), 0);
	assert_true(b->cap >= 4096);
	assert_int_equal(b->len, 4);
	assert_memory_equal(b->p, "key!", 4);
	/* the whole new capacity is writable */
	memset(b->p + 4, 0xee, b->cap - 4);
	secmem_free(b);
}

static void reserve_within_the_capacity_changes_nothing(void **state)
{
	struct secbuf *b = secmem_new(32);
	unsigned char *p = b->p;

	memcpy(b->p, "abc", 3);
	b->len = 3;
	assert_int_equal(secmem_reserve(b, 32), 0);
	assert_int_equal(secmem_reserve(b, 1), 0);
	assert_ptr_equal(b->p, p);
	assert_int_equal(b->cap, 32);
	assert_memory_equal(b->p, "abc", 3);
	secmem_free(b);
}

static void reserve_cleanses_the_old_block(void **state)
{
	struct secbuf *b = secmem_new(16);

	memset(b->p, 0xa5, 16);
	b->len = 16;
	watch_block(b->p, 16);
	assert_int_equal(secmem_reserve(b, 1024), 0);
	assert_freed_clean();
	/* the copy is intact */
	for (size_t i = 0; i < 16; i++)
		assert_int_equal(b->p[i], 0xa5);
	secmem_free(b);
}

static void free_cleanses_the_whole_capacity(void **state)
{
	struct secbuf *b = secmem_new(100);

	/* bytes past len are secret too (a shrunk plaintext, a partial read) */
	memset(b->p, 0x5c, 100);
	b->len = 10;
	watch_block(b->p, 100);
	secmem_free(b);
	assert_freed_clean();
}

static void free_and_release_accept_null(void **state)
{
	secmem_free(NULL);
	secmem_release(NULL, 0);
	secmem_release(NULL, 32);
}

static void alloc_and_release(void **state)
{
	unsigned char *p = secmem_alloc(48);

	assert_non_null(p);
	memset(p, 0x77, 48);
	watch_block(p, 48);
	secmem_release(p, 48);
	assert_freed_clean();

	/* zero bytes: still a pointer that release takes back */
	p = secmem_alloc(0);
	assert_non_null(p);
	secmem_release(p, 0);
}

static void wipe_clears_exactly_the_range(void **state)
{
	unsigned char buf[32];

	memset(buf, 0xff, sizeof buf);
	secmem_wipe(buf + 8, 16);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], i >= 8 && i < 24 ? 0 : 0xff);
	/* nothing to do, nothing touched */
	secmem_wipe(buf, 0);
	assert_int_equal(buf[0], 0xff);
	secmem_wipe(NULL, 16);
}

static void lib_free_cleanses_the_usable_size(void **state)
{
	unsigned char *p = secmem_lib_malloc(40);
	size_t usable;

	assert_non_null(p);
	usable = malloc_usable_size(p);
	memset(p, 0x3c, usable);
	watch_block(p, usable);
	secmem_lib_free(p);
	assert_freed_clean();
	secmem_lib_free(NULL);
}

static void lib_realloc_moves_and_cleanses(void **state)
{
	unsigned char *p = secmem_lib_malloc(32), *q;
	size_t usable;

	assert_non_null(p);
	usable = malloc_usable_size(p);
	memset(p, 0x42, usable);
	watch_block(p, usable);
	q = secmem_lib_realloc(p, 4096);
	assert_non_null(q);
	/* never in place: the old block is copied, then wiped and freed */
	assert_freed_clean();
	for (size_t i = 0; i < 32; i++)
		assert_int_equal(q[i], 0x42);

	/* shrinking copies only what fits */
	p = secmem_lib_realloc(q, 8);
	assert_non_null(p);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(p[i], 0x42);

	/* realloc(p, 0) frees, wiped; realloc(NULL, n) allocates */
	usable = malloc_usable_size(p);
	watch_block(p, usable);
	assert_null(secmem_lib_realloc(p, 0));
	assert_freed_clean();
	p = secmem_lib_realloc(NULL, 16);
	assert_non_null(p);
	secmem_lib_free(p);
}

static void lib_strdup_and_calloc(void **state)
{
	char *s = secmem_lib_strdup("session-token");
	unsigned char *z = secmem_lib_calloc(4, 8);

	assert_string_equal(s, "session-token");
	assert_non_null(z);
	assert_true(all_zero(z, 32));
	secmem_lib_free(s);
	secmem_lib_free(z);
}

static void openssl_frees_are_cleansed(void **state)
{
	unsigned char *p;
	size_t usable;

	if (!ossl_frees_wiped)
		skip();  /* OpenSSL had allocated before main: cannot be switched */
	p = OPENSSL_malloc(64);
	assert_non_null(p);
	usable = malloc_usable_size(p);
	memset(p, 0x99, usable);
	watch_block(p, usable);
	OPENSSL_free(p);
	assert_freed_clean();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_is_zeroed_and_empty),
		cmocka_unit_test(new_of_zero_bytes_is_usable),
		cmocka_unit_test(reserve_grows_and_keeps_the_content),
		cmocka_unit_test(reserve_within_the_capacity_changes_nothing),
		cmocka_unit_test(reserve_cleanses_the_old_block),
		cmocka_unit_test(free_cleanses_the_whole_capacity),
		cmocka_unit_test(free_and_release_accept_null),
		cmocka_unit_test(alloc_and_release),
		cmocka_unit_test(wipe_clears_exactly_the_range),
		cmocka_unit_test(lib_free_cleanses_the_usable_size),
		cmocka_unit_test(lib_realloc_moves_and_cleanses),
		cmocka_unit_test(lib_strdup_and_calloc),
		cmocka_unit_test(openssl_frees_are_cleansed),
	};

	/* as a tool does at start, before OpenSSL's first allocation */
	ossl_frees_wiped = secmem_wipe_library_frees();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
