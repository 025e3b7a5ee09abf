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

/* Make the libraries that carry our secrets without secmem wipe what they
 * free: OpenSSL (TLS records, CMS and RSA internals; must run before its
 * first allocation, so at process start) and libcurl (header lists, send
 * buffers: the session token, Encrypt's plaintext).  jansson's is
 * jsonx_wipe_on_free.  Returns 0 when OpenSSL had already allocated. */
int secmem_wipe_library_frees(void);
/* The allocator functions behind it, for curl_global_init_mem. */
void *secmem_lib_malloc(size_t n);
void secmem_lib_free(void *p);
void *secmem_lib_realloc(void *p, size_t n);
char *secmem_lib_strdup(const char *s);
void *secmem_lib_calloc(size_t n, size_t size);

/* Clear a stretch of the stack below the caller, where a library may have
 * left copies of a secret in its locals (OpenSSL's CMS decryption). */
void secmem_scrub_stack(void);

#endif
