#include "eif/eif.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "eif/eifhash.h"
#include "eif/eifsig.h"
#include "util/io.h"

static const char *const section_names[] = {
	"invalid", "kernel", "cmdline", "ramdisk", "signature", "metadata",
};

const char *eif_section_name(unsigned type)
{
	return type < sizeof section_names / sizeof *section_names ? section_names[type] : "unknown";
}

static uint16_t get16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t get64(const unsigned char *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

static void put32(unsigned char *p, uint32_t v)
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static void put64(unsigned char *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/* Field offsets of the 548-byte header (DESIGN §4.1). */
enum {
	H_VERSION = 4, H_FLAGS = 6, H_MEM = 8, H_CPUS = 16, H_RESERVED = 24, H_NSEC = 26,
	H_OFFSETS = 28, H_SIZES = H_OFFSETS + 8 * EIF_MAX_SECTIONS, H_UNUSED = H_SIZES + 8 * EIF_MAX_SECTIONS,
	H_CRC = H_UNUSED + 4,
};
_Static_assert(H_CRC == EIF_CRC_OFFSET && H_CRC + 4 == EIF_HDR_SIZE, "EIF header layout");

int eif_header_parse(const unsigned char b[EIF_HDR_SIZE], struct eif_header *h, struct nk_err *err)
{
	if (memcmp(b, EIF_MAGIC, 4) != 0)
		return err_set(err, NK_DATA, "not an EIF (bad magic)");
	memset(h, 0, sizeof *h);
	h->version = get16(b + H_VERSION);
	h->flags = get16(b + H_FLAGS);
	h->default_mem = get64(b + H_MEM);
	h->default_cpus = get64(b + H_CPUS);
	h->reserved = get16(b + H_RESERVED);
	h->num_sections = get16(b + H_NSEC);
	for (int i = 0; i < EIF_MAX_SECTIONS; i++) {
		h->section_offsets[i] = get64(b + H_OFFSETS + 8 * i);
		h->section_sizes[i] = get64(b + H_SIZES + 8 * i);
	}
	h->unused = get32(b + H_UNUSED);
	h->crc32 = get32(b + H_CRC);
	/* Versions 0-3 share this header layout; anything newer is unknown to us. */
	if (h->version > EIF_VERSION)
		return err_set(err, NK_DATA, "unsupported EIF version %u", h->version);
	if (h->num_sections > EIF_MAX_SECTIONS)
		return err_set(err, NK_DATA, "too many sections (%u, at most %d)", h->num_sections,
			       EIF_MAX_SECTIONS);
	return NK_OK;
}

void eif_header_pack(const struct eif_header *h, unsigned char b[EIF_HDR_SIZE])
{
	memcpy(b, EIF_MAGIC, 4);
	put16(b + H_VERSION, h->version);
	put16(b + H_FLAGS, h->flags);
	put64(b + H_MEM, h->default_mem);
	put64(b + H_CPUS, h->default_cpus);
	put16(b + H_RESERVED, h->reserved);
	put16(b + H_NSEC, h->num_sections);
	for (int i = 0; i < EIF_MAX_SECTIONS; i++) {
		put64(b + H_OFFSETS + 8 * i, h->section_offsets[i]);
		put64(b + H_SIZES + 8 * i, h->section_sizes[i]);
	}
	put32(b + H_UNUSED, h->unused);
	put32(b + H_CRC, h->crc32);
}

void eif_section_header_parse(const unsigned char b[EIF_SECHDR_SIZE], struct eif_section_header *s)
{
	s->type = get16(b);
	s->flags = get16(b + 2);
	s->size = get64(b + 4);
}

void eif_section_header_pack(const struct eif_section_header *s, unsigned char b[EIF_SECHDR_SIZE])
{
	put16(b, s->type);
	put16(b + 2, s->flags);
	put64(b + 4, s->size);
}

/* One pass over the image: the reader runs the CRC (cheap next to SHA-384)
 * and hands the measured sections to the hashing threads of eifhash. */
struct reader {
	int fd;
	off_t size;                 /* -1 for streams */
	const char *name;
	uint64_t pos;
	uLong crc;
	struct eifhash *hash;
	struct nk_err *err;
};

static int read_exact(struct reader *rd, void *buf, size_t n, size_t *got)
{
	if (io_read_full(rd->fd, buf, n, got) < 0)
		return err_set(rd->err, NK_IO, "cannot read '%s':", rd->name);
	rd->crc = crc32(rd->crc, buf, (uInt)*got);
	rd->pos += *got;
	return NK_OK;
}

/* Stream one measured section's data to the hashing threads. */
static int stream_section(struct reader *rd, uint64_t size, enum eifhash_part part, unsigned k, unsigned type)
{
	while (size) {
		unsigned char *buf = eifhash_buffer(rd->hash);
		size_t want = size < EIFHASH_CHUNK ? (size_t)size : EIFHASH_CHUNK, got;
		int rc = read_exact(rd, buf, want, &got);

		if (rc)
			return rc;
		if (got < want)
			return err_set(rd->err, NK_DATA, "truncated section %u (%s)", k, eif_section_name(type));
		eifhash_submit(rd->hash, buf, got, part);
		size -= got;
	}
	return NK_OK;
}

static int keep_section(struct reader *rd, uint64_t size, size_t cap, const char *what,
			unsigned k, unsigned type, unsigned char **out, size_t *outlen)
{
	size_t got;
	int rc;

	if (*out)
		return err_set(rd->err, NK_DATA, "more than one %s section", what);
	if (size > cap)
		return err_set(rd->err, NK_DATA, "%s section too large (%llu bytes, at most %zu)", what,
			       (unsigned long long)size, cap);
	*out = malloc((size_t)size + 1);
	if (!*out)
		return err_set(rd->err, NK_IO, "out of memory");
	rc = read_exact(rd, *out, (size_t)size, &got);
	if (rc)
		return rc;
	if (got < size)
		return err_set(rd->err, NK_DATA, "truncated section %u (%s)", k, eif_section_name(type));
	(*out)[size] = '\0';
	*outlen = (size_t)size;
	return NK_OK;
}

static int scan_sections(struct reader *rd, struct eif_measurement *m, unsigned flags)
{
	unsigned kernels = 0, cmdlines = 0, k;
	int rc;

	for (k = 0;; k++) {
		unsigned char b[EIF_SECHDR_SIZE];
		struct eif_section_header sh;
		uint64_t at = rd->pos;
		size_t got;

		rc = read_exact(rd, b, sizeof b, &got);
		if (rc)
			return rc;
		if (got == 0)
			break;
		if (got < sizeof b)
			return err_set(rd->err, NK_DATA, "truncated section header at offset %llu",
				       (unsigned long long)at);
		if (k >= EIF_MAX_SECTIONS)
			return err_set(rd->err, NK_DATA, "too many sections (%u, at most %d)", k + 1,
				       EIF_MAX_SECTIONS);
		eif_section_header_parse(b, &sh);
		if (sh.type == EIF_SEC_INVALID || sh.type > EIF_SEC_METADATA)
			return err_set(rd->err, NK_DATA, "unknown section type %u (section %u at offset %llu)",
				       sh.type, k, (unsigned long long)at);
		if (rd->size >= 0 && sh.size > (uint64_t)rd->size - rd->pos)
			return err_set(rd->err, NK_DATA, "section %u (%s) runs past the end of the file", k,
				       eif_section_name(sh.type));
		if (k < m->hdr.num_sections && m->hdr.section_offsets[k] != at)
			return err_set(rd->err, NK_DATA,
				       "section %u is at offset %llu in the file but the header says %llu", k,
				       (unsigned long long)at, (unsigned long long)m->hdr.section_offsets[k]);
		if (k < m->hdr.num_sections && m->hdr.section_sizes[k] != sh.size)
			return err_set(rd->err, NK_DATA, "section %u has %llu bytes but the header says %llu", k,
				       (unsigned long long)sh.size, (unsigned long long)m->hdr.section_sizes[k]);

		switch (sh.type) {
		case EIF_SEC_KERNEL:
		case EIF_SEC_CMDLINE:
			if ((sh.type == EIF_SEC_KERNEL ? kernels++ : cmdlines++) > 0)
				return err_set(rd->err, NK_DATA, "more than one %s section",
					       eif_section_name(sh.type));
			rc = stream_section(rd, sh.size, EIFHASH_BOOT, k, sh.type);
			break;
		case EIF_SEC_RAMDISK:
			rc = stream_section(rd, sh.size, m->nramdisks ? EIFHASH_APP : EIFHASH_RAMDISK0, k, sh.type);
			if (!rc && m->nramdisks++ == 0)
				eifhash_end_boot(rd->hash);
			break;
		case EIF_SEC_METADATA:
			rc = keep_section(rd, sh.size, EIF_MAX_METADATA, "metadata", k, sh.type,
					  &m->metadata, &m->metadata_len);
			break;
		case EIF_SEC_SIGNATURE:
			rc = keep_section(rd, sh.size, EIF_MAX_SIGNATURE, "signature", k, sh.type,
					  &m->signature, &m->signature_len);
			break;
		}
		if (rc)
			return rc;
	}
	m->nsections = k;
	if (k != m->hdr.num_sections)
		return err_set(rd->err, NK_DATA, "header lists %u sections, file has %u",
			       m->hdr.num_sections, k);
	if (!kernels)
		return err_set(rd->err, NK_DATA, "no kernel section");
	m->crc_computed = (uint32_t)rd->crc;
	m->crc_ok = m->crc_computed == m->hdr.crc32;
	if (!m->crc_ok && !(flags & (EIF_NO_CRC_CHECK | EIF_CRC_SOFT)))
		return err_set(rd->err, NK_DATA, "CRC mismatch (header 0x%08x, computed 0x%08x)",
			       m->hdr.crc32, m->crc_computed);
	return NK_OK;
}

/* In a regular file, the header's section table must fit before anything is
 * hashed; the type in a message comes from the section header when it is
 * inside the file. */
static int check_table(struct reader *rd, const struct eif_header *h)
{
	uint64_t size = (uint64_t)rd->size;

	for (unsigned k = 0; k < h->num_sections; k++) {
		uint64_t at = h->section_offsets[k];
		unsigned char b[EIF_SECHDR_SIZE];
		struct eif_section_header sh;

		if (size < EIF_SECHDR_SIZE || at > size - EIF_SECHDR_SIZE)
			return err_set(rd->err, NK_DATA, "section %u runs past the end of the file", k);
		if (h->section_sizes[k] <= size - EIF_SECHDR_SIZE - at)
			continue;
		if (pread(rd->fd, b, sizeof b, (off_t)at) != (ssize_t)sizeof b)
			return err_set(rd->err, NK_IO, "cannot read '%s':", rd->name);
		eif_section_header_parse(b, &sh);
		return err_set(rd->err, NK_DATA, "section %u (%s) runs past the end of the file", k,
			       eif_section_name(sh.type));
	}
	return NK_OK;
}

int eif_measure(int fd, off_t size, const char *name, unsigned flags,
		struct eif_measurement *m, struct nk_err *err)
{
	struct reader rd = { .fd = fd, .size = size, .name = name, .err = err };
	unsigned char hb[EIF_HDR_SIZE];
	size_t got;
	int rc;

	memset(m, 0, sizeof *m);
	rd.crc = crc32(0L, Z_NULL, 0);
	rc = read_exact(&rd, hb, sizeof hb, &got);
	if (rc)
		return rc;
	if (got >= 4 && memcmp(hb, EIF_MAGIC, 4) != 0)
		return err_set(err, NK_DATA, "not an EIF (bad magic)");
	if (got < sizeof hb)
		return err_set(err, NK_DATA, "truncated header (%zu of %d bytes)", got, EIF_HDR_SIZE);
	rc = eif_header_parse(hb, &m->hdr, err);
	if (!rc && size >= 0)
		rc = check_table(&rd, &m->hdr);
	if (rc)
		return rc;
	/* The CRC covers the header up to, not including, its own field. */
	rd.crc = crc32(crc32(0L, Z_NULL, 0), hb, EIF_CRC_OFFSET);

	rc = eifhash_start(&rd.hash, err);
	if (!rc)
		rc = scan_sections(&rd, m, flags);
	m->total_size = rd.pos;
	if (!rc)
		rc = eifhash_finish(rd.hash, m->pcr0, m->pcr1, m->pcr2, err);
	eifhash_free(rd.hash);
	if (!rc && m->signature) {
		m->is_signed = 1;
		rc = eifsig_verify(m->signature, m->signature_len, m->pcr0, m->pcr8, &m->signature_ok, err);
	}
	if (rc)
		eif_measurement_free(m);
	return rc;
}

void eif_measurement_free(struct eif_measurement *m)
{
	if (!m)
		return;
	free(m->metadata);
	free(m->signature);
	m->metadata = m->signature = NULL;
	m->metadata_len = m->signature_len = 0;
}
