/* kmsout: the KMS tools' outputs, built in secure memory because they carry
 * plaintexts and data keys: kmstool_enclave_cli's "LABEL: <base64>" lines
 * and JSON objects whose byte fields are base64 (the AWS CLI's shape).  Raw,
 * hex and single-line base64 output is nsmtool_write's. */
#ifndef NK_KMSOUT_H
#define NK_KMSOUT_H

#include <stddef.h>
#include <sys/types.h>

#include "util/err.h"

/* One output field: bytes shown as base64, or (text != NULL) a string shown
 * as it is (KeyId, KeyPairSpec).  Fields whose p and text are both NULL are
 * left out. */
struct kmsout_field {
	const char *name;
	const unsigned char *p;
	size_t len;
	const char *text;
};

/* "NAME: <base64 or text>\n" for each field, in order. */
int kmsout_lines(const char *path, const struct kmsout_field *f, size_t n, mode_t mode,
		 struct nk_err *err);

/* {"Name": "<base64 or text>", ...} (two-space indent, fields in order) and a
 * newline. */
int kmsout_json(const char *path, const struct kmsout_field *f, size_t n, mode_t mode,
		struct nk_err *err);

#endif
