/* secmem: buffers for secrets (plaintexts, data keys, private keys, AWS
 * secrets).  Kept out of swap when the system allows it and always cleansed
 * on free, on error paths too: secmem_free is NULL-safe so one `goto out`
 * releases everything. */
#ifndef NK_SECMEM_H
#define NK_SECMEM_H

#include <stddef.h>

struct secbuf {
	unsigned char *p;
	size_t len;  /* bytes in use */
	size_t cap;  /* bytes allocated */
};

/* Allocate cap zeroed bytes; NULL on failure. */
struct secbuf *secmem_new(size_t cap);
/* Grow to at least cap bytes, keeping the content; the old block is cleansed. */
int secmem_reserve(struct secbuf *b, size_t cap);
/* Cleanse and release (NULL-safe). */
void secmem_free(struct secbuf *b);

/* Raw allocations for code that needs plain pointers (e.g. OpenSSL outputs). */
void *secmem_alloc(size_t n);
void secmem_release(void *p, size_t n);

/* Wipe memory in a way the compiler cannot drop. */
void secmem_wipe(void *p, size_t n);

#endif
