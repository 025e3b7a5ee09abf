/* meas: a set of measurements (PCR values) and nitro-cli's ways of showing
 * them: the {"Measurements": {...}} JSON of build-enclave/describe-eif, env
 * lines for `eval`, one bare hex value.  Shared by pcr-compute and
 * eif-build, and read back by policy-gen. */
#ifndef NK_MEAS_H
#define NK_MEAS_H

#include <jansson.h>

#include "eif/eif.h"
#include "util/err.h"
#include "eif/pcr.h"

/* nitro-cli prints Rust's Debug form of its hasher. */
#define MEAS_HASH_ALGORITHM "Sha384 { ... }"

struct meas {
	unsigned char pcr[PCR_COUNT][PCR_LEN];
	unsigned char have[PCR_COUNT];
	unsigned char input[PCR_LEN];  /* `nitro-cli pcr --input`'s "PCR" */
	int have_input;
};

enum meas_format { MEAS_JSON, MEAS_ENV, MEAS_HEX };
#define MEAS_FORMATS "json|env|hex"

void meas_set(struct meas *m, unsigned index, const unsigned char v[PCR_LEN]);
/* Add PCR0/1/2 (and PCR8 when signed) of a measured EIF. */
void meas_add_eif(struct meas *m, const struct eif_measurement *e);
/* How many values are set. */
unsigned meas_count(const struct meas *m);

/* The bare map {"HashAlgorithm", "PCR0", ..., "PCR"} in numeric order. */
json_t *meas_map(const struct meas *m);

/* The text of one of the formats, newline-terminated, malloc'd into *text
 * (lib/tool/out.c prints it); hex needs exactly one value (NK_USAGE otherwise). */
int meas_render(const struct meas *m, enum meas_format fmt, char **text, struct nk_err *err);

/* Read measurements back: pcr-compute's {"Measurements": {...}} (its
 * --describe form too) or eif_build's bare map.  "PCR<N>" (0-31) must be 96
 * hex characters; "HashAlgorithm", when present, must be SHA-384; "PCR"
 * (nitro-cli pcr --input) is kept in input.  name is for messages; errors are
 * NK_DATA. */
int meas_parse(const json_t *j, const char *name, struct meas *m, struct nk_err *err);
/* The same from a file or "-". */
int meas_load(const char *path, struct meas *m, struct nk_err *err);

/* describe-eif's object: EifVersion, Measurements, IsSigned, CheckCRC,
 * SignatureCheck (signed only), ImageName, ImageVersion, Metadata.  Bad
 * metadata JSON is NK_DATA. */
int meas_describe(const struct meas *m, const struct eif_measurement *e, json_t **out, struct nk_err *err);

#endif
