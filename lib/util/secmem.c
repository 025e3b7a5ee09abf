#include "util/secmem.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <openssl/crypto.h>

void secmem_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}

/* mlock keeps the pages out of swap; it may fail under RLIMIT_MEMLOCK, which
 * costs that protection but not correctness, so the failure is ignored. */
void *secmem_alloc(size_t n)
{
	void *p;

	if (n == 0)
		n = 1;
	p = calloc(1, n);
	if (p)
		(void)mlock(p, n);
	return p;
}

void secmem_release(void *p, size_t n)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, n ? n : 1);
	(void)munlock(p, n ? n : 1);
	free(p);
}

struct secbuf *secmem_new(size_t cap)
{
	struct secbuf *b = calloc(1, sizeof *b);

	if (!b)
		return NULL;
	b->p = secmem_alloc(cap);
	if (!b->p) {
		free(b);
		return NULL;
	}
	b->cap = cap ? cap : 1;
	return b;
}

int secmem_reserve(struct secbuf *b, size_t cap)
{
	unsigned char *p;

	if (cap <= b->cap)
		return 0;
	p = secmem_alloc(cap);
	if (!p)
		return -1;
	memcpy(p, b->p, b->len);
	secmem_release(b->p, b->cap);
	b->p = p;
	b->cap = cap;
	return 0;
}

void secmem_free(struct secbuf *b)
{
	if (!b)
		return;
	secmem_release(b->p, b->cap);
	free(b);
}

void *secmem_lib_malloc(size_t n)
{
	return malloc(n);
}

void secmem_lib_free(void *p)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

/* Never realloc in place: the old block is copied and wiped, so growing a
 * buffer leaves no stale copy behind. */
void *secmem_lib_realloc(void *p, size_t n)
{
	size_t old;
	void *q;

	if (!p)
		return malloc(n);
	if (n == 0) {
		secmem_lib_free(p);
		return NULL;
	}
	if (!(q = malloc(n)))
		return NULL;
	old = malloc_usable_size(p);
	memcpy(q, p, old < n ? old : n);
	secmem_lib_free(p);
	return q;
}

char *secmem_lib_strdup(const char *s)
{
	return strdup(s);
}

void *secmem_lib_calloc(size_t n, size_t size)
{
	return calloc(n, size);
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
	(void)file;
	(void)line;
	return secmem_lib_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	secmem_lib_free(p);
}

int secmem_wipe_library_frees(void)
{
	return CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);
}

#define SCRUB_STACK 16384

void __attribute__((noinline)) secmem_scrub_stack(void)
{
	volatile unsigned char buf[SCRUB_STACK];

	OPENSSL_cleanse((void *)buf, sizeof buf);
}
