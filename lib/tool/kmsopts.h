/* kmsopts: the options every KMS tool shares, as two typed tables (see cli.h)
 * that the tools splice in through cli_tool.shared, and what the tools make of
 * them for lib/kms, which knows no options: struct kmsclient_opts (where KMS
 * is, the credentials, the recipient's key and NSM) and struct kmsclient_key
 * (--key-id, --context KEY=VALUE, --grant-token).
 *
 *   static const struct cli_opt *const shared[] = { kmsopts_client, kmsopts_recipient, NULL };
 *   static const struct cli_tool tool = { ..., .opts = opts, .shared = shared };
 *   ...
 *   kmsopts_client_opts(&c, &o);
 *   rc = kmsopts_key(&c, OPT_KEY_ID, OPT_CONTEXT, OPT_GRANT_TOKEN, &k, err);
 *
 * Each tool declares --key-id, --context and --grant-token in its own table,
 * with its own help text (the key means something else to each). */
#ifndef NK_KMSOPTS_H
#define NK_KMSOPTS_H

#include <stddef.h>

#include "tool/cli.h"
#include "kms/kmsclient.h"
#include "util/err.h"

/* --region --endpoint --vsock --fips --ca-bundle --retries --timeout
 * --credentials: every KMS tool. */
extern const struct cli_opt kmsopts_client[];
/* --rsa-bits --nsm: the tools that attest (kms-decrypt, kms-genkey, kms-random). */
extern const struct cli_opt kmsopts_recipient[];

#define KMSOPTS_RETRIES_MAX 10
#define KMSOPTS_TIMEOUT_MAX 3600   /* seconds */
#define KMSOPTS_GRANT_TOKEN_MAX 8192  /* GrantTokenType's length in KMS's API */

/* o from the values of the shared tables c was parsed with (a table the tool
 * does not splice in leaves its fields at their defaults).  The strings point
 * into c: o is valid while c is. */
void kmsopts_client_opts(const struct cli *c, struct kmsclient_opts *o);

/* The key a call names, from plain values (k starts zeroed; it owns copies):
 * the key id (NULL: none), "KEY=VALUE" context pairs split at the first '='
 * (the value may be empty or hold '='), grant tokens.  NK_USAGE for an empty
 * key id or grant token, a pair without '=' or with an empty key, a context
 * key given twice, more than KMSCLIENT_GRANTS_MAX grant tokens; k is then
 * freed. */
int kmsopts_key_make(const char *key_id, const char *const *context, size_t ncontext,
		     const char *const *grants, size_t ngrant, struct kmsclient_key *k, struct nk_err *err);
/* The same from the tool's own options key_id, context and grant_token (ids
 * of its table; 0 for one it does not have). */
int kmsopts_key(const struct cli *c, int key_id, int context, int grant_token, struct kmsclient_key *k,
		struct nk_err *err);

#endif
