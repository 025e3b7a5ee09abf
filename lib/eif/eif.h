/* eif: the Enclave Image File format, version 4 (DESIGN §4.1), and its
 * streaming measurement (§4.2).
 *
 * The reader never holds an image in memory: one pass over the file feeds
 * the CRC and two hash threads (PCR0, and PCR2 over the ramdisks after the
 * first); PCR1 is the PCR0 stream's state copied at the end of the first
 * ramdisk, since SHA-384 of a prefix is that stream's state at that point. */
#ifndef NK_EIF_H
#define NK_EIF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"
#include "eif/pcr.h"

#define EIF_MAGIC "\x2e\x65\x69\x66"  /* ".eif" */
#define EIF_VERSION 4
#define EIF_HDR_SIZE 548
#define EIF_CRC_OFFSET 544            /* the CRC covers the header before it */
#define EIF_SECHDR_SIZE 12
#define EIF_MAX_SECTIONS 32
#define EIF_FLAG_AARCH64 1
#define EIF_DEFAULT_MEM (1024ull * 1024 * 1024)
#define EIF_DEFAULT_CPUS 2
/* Caps for the sections we keep in memory (metadata JSON, signature CBOR). */
#define EIF_MAX_METADATA (1u << 20)
#define EIF_MAX_SIGNATURE (1u << 16)

enum eif_section_type {
	EIF_SEC_INVALID = 0,
	EIF_SEC_KERNEL = 1,
	EIF_SEC_CMDLINE = 2,
	EIF_SEC_RAMDISK = 3,
	EIF_SEC_SIGNATURE = 4,
	EIF_SEC_METADATA = 5,
};

struct eif_header {
	uint16_t version;
	uint16_t flags;
	uint64_t default_mem;
	uint64_t default_cpus;
	uint16_t reserved;
	uint16_t num_sections;
	uint64_t section_offsets[EIF_MAX_SECTIONS];
	uint64_t section_sizes[EIF_MAX_SECTIONS];
	uint32_t unused;
	uint32_t crc32;
};

struct eif_section_header {
	uint16_t type;
	uint16_t flags;
	uint64_t size;
};

const char *eif_section_name(unsigned type);

/* Big-endian (de)serialisation.  eif_header_parse checks magic and version. */
int eif_header_parse(const unsigned char b[EIF_HDR_SIZE], struct eif_header *h, struct nk_err *err);
void eif_header_pack(const struct eif_header *h, unsigned char b[EIF_HDR_SIZE]);
void eif_section_header_parse(const unsigned char b[EIF_SECHDR_SIZE], struct eif_section_header *s);
void eif_section_header_pack(const struct eif_section_header *s, unsigned char b[EIF_SECHDR_SIZE]);

enum eif_measure_flags {
	EIF_NO_CRC_CHECK = 1,  /* compute even when the CRC does not match */
	EIF_CRC_SOFT = 2,      /* report a CRC mismatch in crc_ok instead of failing */
};

struct eif_measurement {
	struct eif_header hdr;
	unsigned char pcr0[PCR_LEN], pcr1[PCR_LEN], pcr2[PCR_LEN], pcr8[PCR_LEN];
	int is_signed;           /* a signature section is present (PCR8 is set) */
	int signature_ok;        /* SignatureCheck: valid with the cert key and PCR0 matches */
	int crc_ok;
	uint32_t crc_computed;
	unsigned nsections, nramdisks;
	uint64_t total_size;     /* bytes read */
	unsigned char *metadata; /* the metadata section (malloc'd, NUL-terminated), or NULL */
	size_t metadata_len;
	unsigned char *signature; /* the signature section (malloc'd), or NULL */
	size_t signature_len;
};

/* Measure the EIF on fd (size = file size, or -1 for a stream); name is for
 * messages.  Corrupt input is NK_DATA with the reason. */
int eif_measure(int fd, off_t size, const char *name, unsigned flags,
		struct eif_measurement *m, struct nk_err *err);
void eif_measurement_free(struct eif_measurement *m);

#endif
