/* jsonx: jansson helpers ("json_" is jansson's namespace, hence the x). */
#ifndef NK_JSONX_H
#define NK_JSONX_H

#include <stddef.h>
#include <jansson.h>
#include "util/err.h"

#define JSONX_MAX (1u << 20)  /* DESIGN §3: JSON inputs are capped at 1 MiB */

/* Parse len bytes of JSON (duplicate keys rejected); name is used in messages. */
int jsonx_parse(const void *buf, size_t len, const char *name, json_t **out, struct nk_err *err);
/* Read and parse a file or "-" (capped at JSONX_MAX). */
int jsonx_load(const char *path, json_t **out, struct nk_err *err);

/* 2-space pretty JSON (insertion order) and a newline, as a malloc'd string
 * (lib/tool/out.c prints it); NULL when out of memory. */
char *jsonx_pretty(const json_t *j);
/* Compact form (",", ":" separators) as a malloc'd string. */
char *jsonx_compact(const json_t *j);

/* Make jansson wipe every block it frees: JSON bodies carry secrets (KMS
 * plaintexts, credentials) and jansson copies strings.  Called at start-up
 * (cli_start), before any JSON value exists. */
void jsonx_wipe_on_free(void);

/* Bytes as a JSON string of lowercase hex; NULL when out of memory. */
json_t *jsonx_hex(const unsigned char *p, size_t n);

/* Getters that leave *out alone when the key is absent and fail on the wrong type. */
int jsonx_get_str(const json_t *obj, const char *key, const char **out, const char *where, struct nk_err *err);

#endif
