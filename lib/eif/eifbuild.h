/* eifbuild: write an EIF (DESIGN §4.1) as upstream's eif_build does, in one
 * streaming pass, and return its measurements (§4.2).
 *
 * Every input byte is read once: it is copied to the output while it feeds
 * the CRC and the SHA-384 streams, so memory stays at a few chunks whatever
 * the size of the kernel and ramdisks.  Section headers and the EIF header
 * are written in place once the sizes are known; the CRC is put together
 * with zlib's crc32_combine, so nothing is read back. */
#ifndef NK_EIFBUILD_H
#define NK_EIFBUILD_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "eif/eif.h"
#include "util/err.h"
#include "eif/meas.h"

/* eif_build's defaults for the metadata section. */
#define EIFBUILD_TOOL "nitrokit-eif-build"
#define EIFBUILD_IMAGE_VERSION "1.0"
#define EIFBUILD_OS "Generic Linux"
/* Sic: upstream's default has this typo; kept so the bytes match eif_build's. */
#define EIFBUILD_KERNEL_VERSION "Unkown version"

/* The fixed sections: kernel, cmdline, metadata. */
#define EIFBUILD_FIXED_SECTIONS 3
/* "2024-01-01T00:00:00+00:00" and a NUL. */
#define EIFBUILD_TIME_SIZE 26
/* Cap on the PEM files read for signing (a certificate is ~1 KiB; the
 * certificate must fit the 64 KiB signature section twice over, since it is
 * stored as an array of small ints). */
#define EIFBUILD_MAX_PEM (16u * 1024)

/* The metadata section's fields (EifIdentityInfo). */
struct eifbuild_info {
	const char *image_name;
	const char *image_version;
	const char *build_time;
	const char *build_tool;
	const char *build_tool_version;
	const char *os;
	const char *kernel_version;
	const json_t *custom;  /* CustomMetadata, or NULL for null */
};

/* Serialise the metadata section as eif_build does (serde_json compact, the
 * struct's field order, CustomMetadata's object keys sorted).  *out is a
 * malloc'd NUL-terminated string.  A string that is not UTF-8 is NK_USAGE. */
int eifbuild_metadata(const struct eifbuild_info *info, char **out, size_t *len, struct nk_err *err);

/* The BuildTime string: SOURCE_DATE_EPOCH (sde, whole seconds, when not
 * NULL or empty) or now, as RFC 3339 UTC "YYYY-MM-DDTHH:MM:SS+00:00".  A
 * malformed sde is NK_USAGE. */
int eifbuild_time(const char *sde, time_t now, char out[EIFBUILD_TIME_SIZE], struct nk_err *err);

/* The signing certificate (PEM, carried verbatim) and its EC private key. */
struct eifbuild_signer {
	unsigned char *cert_pem;
	size_t cert_len;
	EVP_PKEY *key;
};

/* Read and check the pair: PEM certificate, PEM EC key (P-256/384/521, read
 * through secure memory), and the key must be the certificate's. */
int eifbuild_signer_load(struct eifbuild_signer *s, const char *cert_path, const char *key_path,
			 struct nk_err *err);
void eifbuild_signer_free(struct eifbuild_signer *s);

/* An image to write: inputs already open (fds are read to their end, not
 * closed); names are for messages. */
struct eifbuild_image {
	int kernel_fd;
	const char *kernel_name;
	const char *cmdline;
	const int *ramdisk_fds;
	const char *const *ramdisk_names;
	unsigned nramdisks;            /* 1 .. EIF_MAX_SECTIONS - 3 (- 1 when signed) */
	uint16_t flags;                /* 0 or EIF_FLAG_AARCH64 */
	const char *metadata;          /* the metadata section */
	size_t metadata_len;
	const struct eifbuild_signer *signer;  /* NULL: unsigned */
};

/* Write the EIF to out_fd from offset 0 (seekable; written with pwrite) and
 * fill m with PCR0/1/2 (and PCR8 when signed) and hdr (may be NULL) with the
 * header written. */
int eifbuild_write(const struct eifbuild_image *img, int out_fd, const char *out_name,
		   struct meas *m, struct eif_header *hdr, struct nk_err *err);

/* What the eif-build tool asks for. */
struct eifbuild_opts {
	const char *kernel;
	const char *cmdline;
	char **ramdisks;
	unsigned nramdisks;
	const char *name;              /* NULL: the kernel's file name */
	const char *image_version;     /* NULL: "1.0" */
	int aarch64;
	const char *signing_key, *signing_cert;  /* both or neither */
	const char *metadata;          /* custom metadata JSON file, or NULL */
	const char *output;
	const char *source_date_epoch; /* the environment's value, or NULL */
	time_t now;
};

/* The whole build: check, load, open every input, then write output
 * atomically (0644; nothing is left behind on failure). */
int eifbuild_run(const struct eifbuild_opts *o, struct meas *m, struct eif_header *hdr,
		 struct nk_err *err);

#endif
