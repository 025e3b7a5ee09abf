/* kmstool: the command line of kmstool_enclave_cli, the drop-in for AWS's
 * tool (aws/aws-nitro-enclaves-sdk-c, bin/kmstool-enclave-cli/main.c):
 *
 *   kmstool_enclave_cli decrypt   --ciphertext B64 [--key-id K] [--encryption-algorithm A]
 *   kmstool_enclave_cli genkey    --key-id K --key-spec AES-256|AES-128
 *   kmstool_enclave_cli genrandom --length N
 *
 * each with [--region R] [--proxy-port P] [--aws-access-key-id ID
 * --aws-secret-access-key KEY [--aws-session-token TOKEN]].  AWS's parser
 * (aws-c-common's aws_cli_getopt_long) takes "--name VALUE" and the short
 * letters of its optstring "r:x:k:s:t:c:K:p:a:l:h"; so does this one, and
 * "--name=VALUE" as well.
 *
 * AWS's first version (8c333f4) had no commands: "kmstool_enclave_cli
 * --region R ... --ciphertext B64" decrypted and printed the bare base64
 * plaintext.  That form is taken too: argv[1] an option and --ciphertext
 * given.
 *
 * Unlike AWS's tool: the credential values are copied to secure memory and
 * overwritten in argv, so /proc/PID/cmdline stops showing them; an option
 * never takes another option as its value (a value that went missing is a
 * usage error, not a shift that leaves a secret as an operand); messages
 * quote option names, never values or operands; the session token is
 * optional; without credentials on the command line the environment's are
 * used, as by every nitrokit tool; each value is checked by its type in the
 * table below, as every nitrokit tool's are (not empty, no control
 * characters, numbers and choices in range). */
#ifndef NK_KMSTOOL_H
#define NK_KMSTOOL_H

#include <stddef.h>

#include "tool/cli.h"
#include "kms/creds.h"
#include "util/err.h"
#include "kms/kms.h"
#include "kms/kmsclient.h"
#include "tool/kmsout.h"

/* The commands, as bits so an option can name the ones it belongs to: bit i
 * is command i of kmstool_tool.commands (CMDS() in cli.h). */
enum kmstool_cmd {
	KMSTOOL_DECRYPT = 1,
	KMSTOOL_GENKEY = 2,
	KMSTOOL_GENRANDOM = 4,
};
#define KMSTOOL_COMMANDS "decrypt|genkey|genrandom"

#define KMSTOOL_DEFAULT_PORT 8000
#define KMSTOOL_PARENT_CID 3
#define KMSTOOL_LENGTH_MAX 1024  /* GenerateRandom's NumberOfBytes limit */
#define KMSTOOL_PORT_MAX 4294967294UL  /* VMADDR_PORT_ANY (2^32 - 1) is no port to connect to */
/* --ciphertext's length cap: Linux's longest argv word (AWS's tool has none). */
#define KMSTOOL_CIPHERTEXT_MAX 131072

/* AWS's options and short letters, in the typed table shape of cli.h; CMDS
 * names the commands that take an option (none: all of them).  Help texts
 * are nitrokit's.  The algorithm is no CHOICE: AWS's tool hands any name to
 * KMS, whose refusal is a failure (255), not a usage error (1). */
#define KMSTOOL_OPTIONS(X) \
	X(REGION, "region", 'r', STR("REGION"), \
	  "AWS region (default $AWS_REGION, $AWS_DEFAULT_REGION, us-east-1)") \
	X(PROXY_PORT, "proxy-port", 'x', UINT("PORT", 1, KMSTOOL_PORT_MAX), \
	  "vsock port of the parent's vsock-proxy, CID 3 (default 8000)") \
	X(ACCESS_KEY_ID, "aws-access-key-id", 'k', STR("ID"), \
	  "AWS access key id (default $AWS_ACCESS_KEY_ID)") \
	X(SECRET_ACCESS_KEY, "aws-secret-access-key", 's', SECRET("KEY"), \
	  "AWS secret access key, wiped from the command line at once") \
	X(SESSION_TOKEN, "aws-session-token", 't', SECRET("TOKEN"), \
	  "session token of the access key (optional), wiped likewise") \
	X(CIPHERTEXT, "ciphertext", 'c', STR_MAX("B64", KMSTOOL_CIPHERTEXT_MAX) WRAPPED CMDS(KMSTOOL_DECRYPT), \
	  "decrypt: the ciphertext blob in base64") \
	X(KEY_ID, "key-id", 'K', STR("KEY") CMDS(KMSTOOL_DECRYPT | KMSTOOL_GENKEY), \
	  "the KMS key (genkey: required; decrypt: optional)") \
	X(ENCRYPTION_ALGORITHM, "encryption-algorithm", 'a', STR("ALG") CMDS(KMSTOOL_DECRYPT) \
	  COMPLETE("SYMMETRIC_DEFAULT|RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256|SM2PKE"), \
	  "decrypt: the algorithm the ciphertext was made with") \
	X(KEY_SPEC, "key-spec", 'p', CHOICE("SPEC", "AES-256|AES-128") CMDS(KMSTOOL_GENKEY), \
	  "genkey: AES-256 or AES-128") \
	X(LENGTH, "length", 'l', UINT("N", 1, KMSTOOL_LENGTH_MAX) CMDS(KMSTOOL_GENRANDOM), \
	  "genrandom: how many bytes, 1 to 1024")

#define KMSTOOL_ENUM(id, ...) KMSTOOL_OPT_##id,
enum { KMSTOOL_OPT_NONE, KMSTOOL_OPTIONS(KMSTOOL_ENUM) KMSTOOL_NOPTS };

/* The table (in KMSTOOL_OPTIONS order, ending in CLI_END) and the tool:
 * commands KMSTOOL_COMMANDS, an option given again replaces its value (AWS's
 * getopt).  The parser below stores the values through cli_take, which checks
 * them by type, and ends with cli_check. */
extern const struct cli_opt kmstool_opts[];
extern const struct cli_tool kmstool_tool;

/* A parsed command line: the values live in cli (the secret and the token in
 * secure memory); the fields below are views of them for the checks, the
 * request and the output, which take plain values. */
struct kmstool_args {
	struct cli cli;
	unsigned cmd;                 /* an enum kmstool_cmd; 0 when only --help/--version */
	int help, version, completion, verbose, quiet;
	int legacy;                   /* the command-less form: decrypt, bare output */
	int no_token;                 /* the last --aws-session-token was "": none */
	const char *region, *ciphertext, *key_id, *encryption_algorithm;
	const char *key_spec;         /* KMS's spelling: AES_256 or AES_128 */
	unsigned long proxy_port;     /* 0: not given */
	unsigned long length;         /* 0: not given */
	struct creds creds;           /* what argv gave, possibly partial (copies) */
	char vsock[32];               /* the kmsclient_opts' vsock after kmstool_prepare */
};

/* "decrypt", "genkey", "genrandom"; NULL for anything else. */
const char *kmstool_cmd_name(unsigned cmd);

/* Parse argv (argv[1] is the command, or --help, -h, --version, -V,
 * --completion-helper, or an option of the command-less form).  An option's
 * value is the next word unless that word is itself an option (then
 * "option '--X' needs a value").  The values of --aws-access-key-id,
 * --aws-secret-access-key and --aws-session-token are copied and then
 * overwritten in place, on error paths too: after parsing, whatever its
 * outcome, every word that follows a credential option's name and the value
 * in "-sVALUE" / "--name=VALUE" is wiped.  NK_USAGE on a bad command line
 * (no credentials kept then); a free with kmstool_args_free is needed
 * either way.  Each value is checked by its type as it is taken (cli_take:
 * "--region must not be empty", "invalid value '0' for --length: expected 1
 * to 1024"); an option given again replaces the earlier value, as in AWS's
 * tool; an empty --aws-session-token means none. */
int kmstool_parse(int argc, char **argv, struct kmstool_args *a, struct nk_err *err);
void kmstool_args_free(struct kmstool_args *a);

/* The checks AWS's tool makes after parsing, in its order (credentials, then
 * what the command needs), and the client options: the credentials move
 * from a (or, when argv named none, come from the environment) into
 * o->given; the region; the vsock-proxy at 3:--proxy-port unless
 * AWS_ENDPOINT_URL_KMS or AWS_ENDPOINT_URL names an endpoint.  NK_USAGE
 * with AWS's wording ("--ciphertext must be set").  o's strings point into
 * a, which must outlive o. */
int kmstool_prepare(struct kmstool_args *a, struct kmsclient_opts *o, struct nk_err *err);

/* The KMS request of a's command.  Decrypt's ciphertext is decoded into
 * *blob (malloc'd, freed by the caller; NULL for the other commands):
 * text that is not base64 is NK_DATA, a failure (255) as in AWS's tool. */
int kmstool_request(const struct kmstool_args *a, struct kms_req *req, unsigned char **blob,
		    struct nk_err *err);

/* The output lines of AWS's tool for cmd: "PLAINTEXT: <b64>", after
 * "CIPHERTEXT: <b64>" for genkey.  Returns how many of f[2] are used. */
size_t kmstool_fields(unsigned cmd, const struct kms_resp *r, struct kmsout_field f[2]);

/* Check the answer and print it on standard output, from secure memory:
 * kmstool_fields' lines for decrypt; genkey and genrandom through
 * kmsgen_genkey_write and kmsgen_random_write, so that a data key or random
 * bytes of another length than asked for are NK_DATA with nothing printed,
 * as in kms-genkey and kms-random; the command-less form's bare base64. */
int kmstool_write(const struct kmstool_args *a, const struct kms_resp *r, struct nk_err *err);

/* AWS's exit codes from a nitrokit code: 0 ok, 1 usage, 255 any failure;
 * for the command-less form (legacy) 1 for any failure, as that version. */
int kmstool_exit_code(int rc, int legacy);

#endif
