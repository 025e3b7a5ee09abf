/* eifhash: the three SHA-384 streams of an EIF's PCRs, on two threads.
 *
 * Used by the reader (eif_measure) and the builder (eifbuild_write), which
 * both see the image once, in file order, in chunks.  The "image" thread
 * hashes every measured byte (PCR0); PCR1 is that stream's state copied at
 * the end of the first ramdisk, since SHA-384 of a prefix is the stream's
 * state there.  The "app" thread hashes the ramdisks after the first (PCR2).
 * The application ramdisk is in both streams, so on two cores it is hashed
 * twice in parallel rather than twice in a row.  Memory is EIFHASH_SLOTS
 * chunks whatever the image size. */
#ifndef NK_EIFHASH_H
#define NK_EIFHASH_H

#include <stddef.h>
#include "util/err.h"
#include "eif/pcr.h"

#define EIFHASH_CHUNK (1u << 20)
#define EIFHASH_SLOTS 8

enum eifhash_part {
	EIFHASH_BOOT,     /* kernel, cmdline: PCR0 and PCR1 */
	EIFHASH_RAMDISK0, /* the first ramdisk: PCR0 and PCR1 */
	EIFHASH_APP,      /* the ramdisks after the first: PCR0 and PCR2 */
};

struct eifhash;

int eifhash_start(struct eifhash **h, struct nk_err *err);

/* A buffer of EIFHASH_CHUNK bytes for the caller to fill; waits until both
 * threads are done with it.  The next eifhash_submit hands it over. */
unsigned char *eifhash_buffer(struct eifhash *h);

/* Hand over len bytes (at most EIFHASH_CHUNK): the buffer of eifhash_buffer,
 * or the caller's memory, which must then stay valid until eifhash_finish. */
void eifhash_submit(struct eifhash *h, const void *data, size_t len, enum eifhash_part part);

/* The first ramdisk has ended: PCR1 is the image stream's state now. */
void eifhash_end_boot(struct eifhash *h);

/* Stop the threads and compute the PCRs (PCR1 = PCR0 when no ramdisk ended
 * the boot part). */
int eifhash_finish(struct eifhash *h, unsigned char pcr0[PCR_LEN], unsigned char pcr1[PCR_LEN],
		   unsigned char pcr2[PCR_LEN], struct nk_err *err);

/* Stop the threads if running and release everything (NULL-safe). */
void eifhash_free(struct eifhash *h);

#endif
