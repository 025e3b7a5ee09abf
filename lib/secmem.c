#include "secmem.h"

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
