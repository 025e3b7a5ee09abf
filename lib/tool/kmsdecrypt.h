/* kmsdecrypt: kms-decrypt's logic apart from the network, so it is testable
 * without one: the options' checks, the ciphertext input (a raw blob or its
 * base64, told apart here), the Decrypt request, the output of a plaintext,
 * and the --batch loop, which reads base64 lines, hands each blob to a
 * callback that does the decrypt, and writes one output line per input line. */
#ifndef NK_KMSDECRYPT_H
#define NK_KMSDECRYPT_H

#include <stddef.h>

#include "util/err.h"
#include "kms/kms.h"
#include "kms/kmsclient.h"
#include "util/secmem.h"

/* KMS's CiphertextBlob is 1 to 6144 bytes. */
#define KMSDECRYPT_BLOB_MAX 6144u
/* A ciphertext file holds the blob or its base64, wrapped at any width with
 * LF or CRLF: 8192 characters and their line ends fit twice over. */
#define KMSDECRYPT_FILE_MAX 16384u
/* --ciphertext's length cap in the option table: Linux's longest argv word
 * (MAX_ARG_STRLEN), so the limit met is kmsdecrypt_read's (NK_DATA). */
#define KMSDECRYPT_ARG_MAX 131072u
/* A --batch line: the base64 of the largest blob (trailing white space and a
 * CR are not counted). */
#define KMSDECRYPT_LINE_MAX 8192u

/* The order of KMSDECRYPT_FORMATS is this enum's. */
enum kmsdecrypt_format { KMSDECRYPT_RAW, KMSDECRYPT_BASE64, KMSDECRYPT_JSON, KMSDECRYPT_KMSTOOL };
#define KMSDECRYPT_FORMATS "raw|base64|json|kmstool"
#define KMSDECRYPT_ALGORITHMS "SYMMETRIC_DEFAULT|RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256|SM2PKE"

/* What the command line said, apart from the shared KMS options (kmsopts):
 * plain values, checked by type already (cli); the strings are borrowed. */
struct kmsdecrypt_opts {
	const char *ciphertext;        /* --ciphertext B64 */
	const char *ciphertext_file;   /* --ciphertext-file FILE|- */
	struct kmsclient_key key;      /* --key-id, --context, --grant-token (owned) */
	const char *algorithm;         /* --encryption-algorithm */
	const char *output;            /* -o FILE; NULL: standard output */
	int format;                    /* enum kmsdecrypt_format, -1 until given */
	int force, batch, keep_going;
};

void kmsdecrypt_opts_init(struct kmsdecrypt_opts *o);
void kmsdecrypt_opts_free(struct kmsdecrypt_opts *o);  /* frees key */

/* The checks of the command line as a whole that kms-decrypt's option table
 * does not declare (it has --ciphertext and --ciphertext-file exclude each
 * other, --keep-going need --batch), made before any key, NSM or network
 * work, and the defaults they imply (the format: raw, or base64 with
 * --batch).  stdin_tty: standard input is a terminal (a single ciphertext is
 * then not read from it unless --ciphertext-file - says so); creds_stdin:
 * --credentials - also wants standard input. */
int kmsdecrypt_check(struct kmsdecrypt_opts *o, int stdin_tty, int creds_stdin, struct nk_err *err);

/* Where the input comes from: the file, or "-" when none was named. */
const char *kmsdecrypt_input_path(const struct kmsdecrypt_opts *o);
/* Where the output goes: -o FILE or "-". */
const char *kmsdecrypt_output_path(const struct kmsdecrypt_opts *o);

/* One ciphertext as strict base64: white space anywhere is ignored (base64(1)
 * wraps lines), padding is required so a cut-off text is caught here rather
 * than sent, and the blob must be 1 to KMSDECRYPT_BLOB_MAX bytes.  *blob is
 * malloc'd.  NK_DATA with the bare reason ("invalid base64 character at
 * offset 3"), which callers prefix with where the text came from. */
int kmsdecrypt_unb64(const char *s, size_t len, unsigned char **blob, size_t *n, struct nk_err *err);

/* The content of a ciphertext file: text that is all base64 (and white space)
 * is decoded as above; other printable text is refused as broken base64 (a
 * real blob is binary: KMS's start with a version byte of 1); anything else
 * is the raw blob, 1 to KMSDECRYPT_BLOB_MAX bytes.  name is for messages. */
int kmsdecrypt_detect(const unsigned char *in, size_t len, const char *name, unsigned char **blob,
		      size_t *n, struct nk_err *err);

/* The single ciphertext of o: --ciphertext (base64 only; malformed is
 * NK_USAGE as other options' values, too large NK_DATA), else the file or
 * standard input, capped at KMSDECRYPT_FILE_MAX before it is read. */
int kmsdecrypt_read(const struct kmsdecrypt_opts *o, unsigned char **blob, size_t *n, struct nk_err *err);

/* The Decrypt request for one blob (pointing into o and blob).  A key id
 * without an algorithm asks for SYMMETRIC_DEFAULT. */
void kmsdecrypt_request(const struct kmsdecrypt_opts *o, const unsigned char *blob, size_t n,
			struct kms_req *req);

/* A single plaintext written to path ("-": stdout) in format f: raw bytes
 * (refused on a terminal unless force), one base64 line, the AWS CLI's JSON
 * {"KeyId", "Plaintext", "EncryptionAlgorithm"}, or kmstool_enclave_cli's
 * "PLAINTEXT: <base64>" line.  Files: atomically, mode 0600. */
int kmsdecrypt_write(const char *path, enum kmsdecrypt_format f, const struct kms_resp *r, int force,
		     struct nk_err *err);

/* One --batch output line, newline included, built in secure memory: base64,
 * compact JSON or the kmstool line (raw has no lines: NK_USAGE). */
int kmsdecrypt_line(enum kmsdecrypt_format f, const struct kms_resp *r, struct secbuf **out,
		    struct nk_err *err);

/* Lines of a descriptor, each at most KMSDECRYPT_LINE_MAX characters after
 * its trailing white space (and CR) is dropped; read as they arrive, so a
 * pipeline streams. */
struct kmsdecrypt_reader {
	int fd;
	const char *name;
	unsigned long lineno;    /* of the line last returned */
	size_t start, end;
	int eof, skipping;
	char buf[KMSDECRYPT_FILE_MAX];
};
void kmsdecrypt_reader_init(struct kmsdecrypt_reader *r, int fd, const char *name);
/* The next line in *line and *len (not NUL-terminated, valid until the next
 * call), or *line = NULL at the end.  A line that is too long is NK_DATA for
 * that line (its rest is skipped on the next call); a read error is NK_IO. */
int kmsdecrypt_next_line(struct kmsdecrypt_reader *r, const char **line, size_t *len,
			 struct nk_err *err);

/* The decrypt of one blob; fills resp (freed by the loop with kms_resp_free). */
typedef int (*kmsdecrypt_fn)(void *ctx, const unsigned char *blob, size_t n, struct kms_resp *resp,
			     struct nk_err *err);
/* Told of each failed line ("line N: why") when the batch goes on. */
typedef void (*kmsdecrypt_report_fn)(void *ctx, const struct nk_err *err);

struct kmsdecrypt_batch {
	int in_fd;
	const char *in_name;       /* for messages */
	const char *out_path;      /* "-": stdout, each line flushed as it is made */
	enum kmsdecrypt_format format;
	int keep_going;
	kmsdecrypt_fn decrypt;
	kmsdecrypt_report_fn report;
	void *ctx;
	unsigned long lines, failed;   /* set by the run */
};

/* Every line through decrypt, output in input order.  An empty line is a bad
 * line.  A failed line stops the batch with its code and "line N: why", and
 * an output file is removed; with keep_going it is reported, its output is an
 * empty line (so output line N still answers input line N), and the end
 * returns the first failure's code with "F of M lines failed" (the output
 * file is kept).  Reading or writing errors always stop (NK_IO). */
int kmsdecrypt_batch_run(struct kmsdecrypt_batch *b, struct nk_err *err);

#endif
