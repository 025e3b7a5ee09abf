/* libFuzzer target: the EIF signature section parser and verifier (an EIF's
 * bytes are untrusted).  The seeds are sections signed for the PCR0 below. */
#include <stddef.h>
#include <stdint.h>

#include "eif/eifsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char pcr0[PCR_LEN], pcr8[PCR_LEN];
	struct nk_err err;
	int ok;

	/* 00 01 .. 2f, upstream's test value (src/utils/cbor.rs) */
	for (int i = 0; i < PCR_LEN; i++)
		pcr0[i] = (unsigned char)i;
	eifsig_verify(data, size, pcr0, pcr8, &ok, &err);
	return 0;
}
