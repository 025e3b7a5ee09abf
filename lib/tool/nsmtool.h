/* nsmtool: what the enclave-side NSM tools (nsm-attest, nsm-pcr, nsm-random)
 * share on top of lib/nsm: choosing the NSM (--nsm, $NITROKIT_NSM), reading
 * the capped Attestation fields, turning a PEM or DER public key into the DER
 * SubjectPublicKeyInfo the NSM expects, PCR and DescribeNSM answers as JSON,
 * GetRandom until N bytes, seeding the kernel pool, and writing output as
 * raw bytes, hex or base64. */
#ifndef NK_NSMTOOL_H
#define NK_NSMTOOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "util/err.h"
#include "nsm/nsm_dev.h"
#include "eif/pcr.h"
#include "util/secmem.h"

/* A key file is capped before parsing; its DER SPKI must still fit in
 * NSM_FIELD_MAX (an RSA-8192 key does not). */
#define NSMTOOL_KEYFILE_MAX (64u * 1024)
/* ExtendPCR data: the whole request {"ExtendPCR":{"index":N,"data":h'..'}}
 * must fit in NSM_REQUEST_MAX; its CBOR framing takes at most 29 bytes. */
#define NSMTOOL_EXTEND_MAX PCR_EXTEND_MAX
#define NSMTOOL_RANDOM_MAX 65536u

/* A byte field read from the command line or a file (malloc'd, may be
 * empty; present = 0 for "not given"). */
struct nsmtool_field {
	unsigned char *p;
	size_t len;
	int present;
};
/* FILE or "-", at most max bytes: "'FILE' is too large (more than N bytes)"
 * (NK_DATA). */
int nsmtool_field_file(const char *path, size_t max, struct nsmtool_field *f, struct nk_err *err);
/* Hex text from option --opt, at most max bytes ("" is no bytes: cli's STR
 * type has refused an empty value already).  Malformed hex is a bad command
 * line (NK_USAGE, as pcr-compute's --extend); too long a value is oversized
 * input (NK_DATA).  Both say "invalid value '...' for --opt: why". */
int nsmtool_field_hex(const char *hex, const char *opt, size_t max, struct nsmtool_field *f,
		      struct nk_err *err);
void nsmtool_field_free(struct nsmtool_field *f);
/* As nsm_msg.h's optional byte field (pointing into f). */
struct nsm_bytes nsmtool_field_bytes(const struct nsmtool_field *f);

/* A public key, PEM ("PUBLIC KEY", or PKCS#1 "RSA PUBLIC KEY") or DER
 * (SubjectPublicKeyInfo), as DER SPKI of at most NSM_FIELD_MAX bytes.  A
 * certificate or a private key is refused (NK_DATA) with a hint; name is
 * used in messages. */
int nsmtool_spki_from_buf(const unsigned char *buf, size_t len, const char *name,
			  struct nsmtool_field *f, struct nk_err *err);
int nsmtool_spki_from_file(const char *path, struct nsmtool_field *f, struct nk_err *err);

/* A PCR index operand.  Anything the protocol can carry (a u16) is let
 * through: the NSM itself answers InvalidIndex from 32 on, and that answer is
 * what the user sees.  Only text that is no number (or past 65535) is
 * refused here, with "expected a number from 0 to 31" (NK_USAGE). */
int nsmtool_pcr_index(const char *s, uint16_t *out, struct nk_err *err);
/* LockPCRs' range (lock PCRs 0 to N-1), let through the same way. */
int nsmtool_pcr_range(const char *s, uint16_t *out, struct nk_err *err);

/* {"index": N, "locked": bool, "value": "hex"} of a DescribePCR answer. */
json_t *nsmtool_pcr_json(uint16_t index, const struct nsm_response *r);
/* {"version": "1.0.0", "module_id", "max_pcrs", "locked_pcrs": [...], "digest"}. */
json_t *nsmtool_nsm_json(const struct nsm_response *r);

/* DescribePCR of each index (all NSM_MAX_PCRS when n == 0) as a JSON array. */
int nsmtool_describe_pcrs(struct nsm_conn *c, const uint16_t *idx, size_t n, json_t **out,
			  struct nk_err *err);
/* DescribeNSM as JSON. */
int nsmtool_describe_nsm(struct nsm_conn *c, json_t **out, struct nk_err *err);
/* ExtendPCR; new_value receives the PCR after the extend (hex, NUL-terminated). */
int nsmtool_extend(struct nsm_conn *c, uint16_t index, const unsigned char *data, size_t len,
		   char new_value[2 * PCR_LEN + 1], struct nk_err *err);

/* GetRandom until n bytes (1 to NSMTOOL_RANDOM_MAX) are collected in a secure
 * buffer; an answer with no bytes is NK_DATA rather than a loop forever. */
int nsmtool_random(struct nsm_conn *c, size_t n, struct secbuf **out, struct nk_err *err);

/* Credit n bytes (8n bits) to the kernel's pool through RNDADDENTROPY on dev
 * (normally "/dev/random").  EPERM is "--seed-kernel needs root: ..." (NK_IO). */
int nsmtool_seed_kernel(const char *dev, const unsigned char *p, size_t n, struct nk_err *err);

/* Output: raw bytes, or one line of hex or base64.  Text is built in secure
 * memory because the bytes may be secrets (nsm-random).  path "-" is stdout;
 * files are written atomically with mode.  Raw bytes are refused on a
 * terminal unless force. */
enum nsmtool_format { NSMTOOL_RAW, NSMTOOL_HEX, NSMTOOL_BASE64 };
int nsmtool_write(const char *path, const unsigned char *p, size_t n, enum nsmtool_format f,
		  int force, mode_t mode, struct nk_err *err);

#endif
