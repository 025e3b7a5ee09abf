#include "eif/eifbuild.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <zlib.h>

#include "eif/eifhash.h"
#include "eif/eifsig.h"
#include "util/io.h"
#include "util/jsonx.h"
#include "util/secmem.h"

/* --- Metadata ----------------------------------------------------------- */

/* serde_json orders keys by their bytes (shorter first on a common prefix). */
static int key_cmp(const void *a, const void *b)
{
	const char *const *x = a, *const *y = b;
	size_t lx = strlen(*x), ly = strlen(*y);
	int c = memcmp(*x, *y, lx < ly ? lx : ly);

	return c ? c : (lx > ly) - (lx < ly);
}

/* eif_build keeps CustomMetadata as a serde_json::Value, whose objects are
 * BTreeMaps: their keys come out sorted, at every depth. */
static json_t *sorted_copy(const json_t *v)
{
	json_t *out, *item;
	const char **keys;
	const char *key;
	size_t n = 0, i;

	if (json_is_array(v)) {
		out = json_array();
		for (i = 0; out && i < json_array_size(v); i++)
			if (json_array_append_new(out, sorted_copy(json_array_get(v, i))) < 0) {
				json_decref(out);
				return NULL;
			}
		return out;
	}
	if (!json_is_object(v))
		return json_deep_copy(v);
	keys = malloc((json_object_size(v) + 1) * sizeof *keys);
	out = json_object();
	if (!keys || !out)
		goto fail;
	json_object_foreach((json_t *)v, key, item)
		keys[n++] = key;
	qsort(keys, n, sizeof *keys, key_cmp);
	for (i = 0; i < n; i++)
		if (json_object_set_new(out, keys[i], sorted_copy(json_object_get(v, keys[i]))) < 0)
			goto fail;
	free(keys);
	return out;
fail:
	free(keys);
	json_decref(out);
	return NULL;
}

/* jansson writes \u001F, serde_json \u001f: lowercase the hex of every \u
 * escape (jansson only emits them for control characters). */
static void lowercase_escapes(char *s)
{
	for (; *s; s++) {
		if (*s != '\\')
			continue;
		s++;
		if (*s == 'u')
			for (int i = 1; i <= 4 && s[i]; i++)
				if (s[i] >= 'A' && s[i] <= 'F')
					s[i] = (char)(s[i] - 'A' + 'a');
		if (!*s)
			break;
	}
}

static int set_str(json_t *o, const char *key, const char *val, struct nk_err *err)
{
	json_t *s = json_string(val);

	/* json_string refuses bytes that are not UTF-8; so does eif_build's String. */
	if (!s)
		return err_set(err, NK_USAGE, "%s '%s' is not valid UTF-8", key, val);
	if (json_object_set_new(o, key, s) < 0)
		return err_set(err, NK_IO, "out of memory");
	return NK_OK;
}

int eifbuild_metadata(const struct eifbuild_info *info, char **out, size_t *len, struct nk_err *err)
{
	json_t *top = json_object(), *bm = json_object(), *custom = NULL;
	char *s = NULL;
	int rc = NK_OK;

	if (!top || !bm) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	/* EifIdentityInfo and EifBuildInfo, in their field order. */
	if ((rc = set_str(top, "ImageName", info->image_name, err)) ||
	    (rc = set_str(top, "ImageVersion", info->image_version, err)) ||
	    (rc = set_str(bm, "BuildTime", info->build_time, err)) ||
	    (rc = set_str(bm, "BuildTool", info->build_tool, err)) ||
	    (rc = set_str(bm, "BuildToolVersion", info->build_tool_version, err)) ||
	    (rc = set_str(bm, "OperatingSystem", info->os, err)) ||
	    (rc = set_str(bm, "KernelVersion", info->kernel_version, err)))
		goto out;
	custom = info->custom ? sorted_copy(info->custom) : json_null();
	if (!custom || json_object_set(top, "BuildMetadata", bm) < 0 ||
	    json_object_set(top, "DockerInfo", json_null()) < 0 ||
	    json_object_set(top, "CustomMetadata", custom) < 0 || !(s = jsonx_compact(top))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	lowercase_escapes(s);
	*len = strlen(s);
	if (*len > EIF_MAX_METADATA) {
		rc = err_set(err, NK_DATA, "metadata section too large (%zu bytes, at most %u)", *len,
			     EIF_MAX_METADATA);
		goto out;
	}
	*out = s;
	s = NULL;
out:
	free(s);
	json_decref(custom);
	json_decref(bm);
	json_decref(top);
	return rc;
}

/* --- BuildTime ---------------------------------------------------------- */

/* 9999-12-31T23:59:59Z: RFC 3339 has four-digit years. */
#define MAX_EPOCH 253402300799LL

int eifbuild_time(const char *sde, time_t now, char out[EIFBUILD_TIME_SIZE], struct nk_err *err)
{
	long long v = now;
	struct tm tm;

	/* Empty is unset, as most tools of the reproducible-builds spec treat it. */
	if (sde && *sde) {
		char *end;

		errno = 0;
		v = strtoll(sde, &end, 10);
		if (*sde < '0' || *sde > '9' || *end || errno || v > MAX_EPOCH)
			return err_set(err, NK_USAGE,
				       "invalid SOURCE_DATE_EPOCH '%s': expected whole seconds since 1970 (0 to %lld)",
				       sde, MAX_EPOCH);
	}
	if (v < 0 || v > MAX_EPOCH)
		return err_set(err, NK_USAGE, "the clock is out of range (%lld); set SOURCE_DATE_EPOCH", v);
	if (!gmtime_r(&(time_t){ (time_t)v }, &tm) ||
	    strftime(out, EIFBUILD_TIME_SIZE, "%Y-%m-%dT%H:%M:%S+00:00", &tm) != EIFBUILD_TIME_SIZE - 1)
		return err_set(err, NK_USAGE, "cannot format the time %lld", v);
	return NK_OK;
}

/* --- Signer ------------------------------------------------------------- */

/* Never prompt for a pass phrase on the terminal: an encrypted key fails. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	return 0;
}

static int check_curve(EVP_PKEY *key, const char *name, struct nk_err *err)
{
	static const char *const curves[] = { "prime256v1", "secp384r1", "secp521r1" };
	char group[64] = "";
	size_t glen;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		return err_set(err, NK_DATA, "'%s': not an EC key (expected P-256, P-384 or P-521)", name);
	if (!EVP_PKEY_get_group_name(key, group, sizeof group, &glen))
		return err_set_ssl(err, NK_DATA, "'%s': cannot read the key's curve", name);
	for (size_t i = 0; i < sizeof curves / sizeof *curves; i++)
		if (strcmp(group, curves[i]) == 0)
			return NK_OK;
	return err_set(err, NK_DATA, "'%s': unsupported curve '%s' (expected P-256, P-384 or P-521)", name, group);
}

int eifbuild_signer_load(struct eifbuild_signer *s, const char *cert_path, const char *key_path,
			 struct nk_err *err)
{
	struct secbuf *kb = NULL;
	X509 *x = NULL;
	BIO *bio;
	int rc;

	memset(s, 0, sizeof *s);
	rc = io_read_all(cert_path, EIFBUILD_MAX_PEM, &s->cert_pem, &s->cert_len, err);
	if (rc)
		goto out;
	if (!(bio = BIO_new_mem_buf(s->cert_pem, (int)s->cert_len))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	x = PEM_read_bio_X509(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!x) {
		rc = err_set_ssl(err, NK_DATA, "'%s': not a PEM certificate", io_name(cert_path));
		goto out;
	}
	rc = io_read_secret(key_path, EIFBUILD_MAX_PEM, &kb, err);
	if (rc)
		goto out;
	if (!(bio = BIO_new_mem_buf(kb->p, (int)kb->len))) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	s->key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	BIO_free(bio);
	if (!s->key) {
		rc = err_set_ssl(err, NK_DATA, "'%s': not a PEM private key (or one with a pass phrase)",
				 io_name(key_path));
		goto out;
	}
	rc = check_curve(s->key, io_name(key_path), err);
	if (rc)
		goto out;
	if (X509_check_private_key(x, s->key) != 1)
		rc = err_set(err, NK_DATA, "signing key does not match the certificate");
	ERR_clear_error();
out:
	secmem_free(kb);
	X509_free(x);
	if (rc)
		eifbuild_signer_free(s);
	return rc;
}

void eifbuild_signer_free(struct eifbuild_signer *s)
{
	if (!s)
		return;
	free(s->cert_pem);
	EVP_PKEY_free(s->key);
	s->cert_pem = NULL;
	s->cert_len = 0;
	s->key = NULL;
}

/* --- Writer -------------------------------------------------------------
 * The main thread reads each input chunk, writes it and runs the CRC; the
 * hashing threads of eifhash take the chunks.  Section headers go in last
 * (their sizes are what was read), so a pipe works as an input. */
struct writer {
	int fd;
	const char *name;
	uint64_t pos;                /* next byte to write */
	uLong crc;                   /* CRC-32 of the bytes after the header, up to pos */
	struct eif_header *hdr;
	struct eifhash *hash;
	struct nk_err *err;
};

static int put_at(struct writer *w, const void *p, size_t n, uint64_t at)
{
	const unsigned char *b = p;

	while (n) {
		ssize_t r = pwrite(w->fd, b, n, (off_t)at);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return err_set(w->err, NK_IO, "cannot write '%s':", w->name);
		}
		b += r;
		n -= (size_t)r;
		at += (uint64_t)r;
	}
	return NK_OK;
}

/* The section header goes in front of data already written at at+12; the
 * CRC runs in file order, so the header's CRC is combined in before the data's. */
static int close_section(struct writer *w, unsigned type, uint64_t at, uint64_t size, uLong data_crc)
{
	struct eif_section_header sh = { .type = (uint16_t)type, .flags = 0, .size = size };
	unsigned char b[EIF_SECHDR_SIZE];
	unsigned k = w->hdr->num_sections;
	int rc;

	if (k >= EIF_MAX_SECTIONS)
		return err_set(w->err, NK_USAGE, "too many sections (at most %d)", EIF_MAX_SECTIONS);
	eif_section_header_pack(&sh, b);
	rc = put_at(w, b, sizeof b, at);
	if (rc)
		return rc;
	w->crc = crc32_combine64(w->crc, crc32(crc32(0L, Z_NULL, 0), b, sizeof b), EIF_SECHDR_SIZE);
	w->crc = crc32_combine64(w->crc, data_crc, (z_off64_t)size);
	w->hdr->section_offsets[k] = at;
	w->hdr->section_sizes[k] = size;
	w->hdr->num_sections = (uint16_t)(k + 1);
	w->pos = at + EIF_SECHDR_SIZE + size;
	return NK_OK;
}

/* Not hashed: metadata and the signature are outside the PCRs. */
#define UNMEASURED (-1)

/* A section held in memory (cmdline, metadata, signature); p must live
 * until eifhash_finish. */
static int section_mem(struct writer *w, unsigned type, int part, const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t at = w->pos;
	int rc;

	rc = put_at(w, p, n, at + EIF_SECHDR_SIZE);
	for (size_t off = 0; !rc && part != UNMEASURED && off < n; off += EIFHASH_CHUNK)
		eifhash_submit(w->hash, b + off, n - off < EIFHASH_CHUNK ? n - off : EIFHASH_CHUNK,
			       (enum eifhash_part)part);
	if (!rc)
		rc = close_section(w, type, at, n, crc32(crc32(0L, Z_NULL, 0), p, (uInt)n));
	return rc;
}

/* Copy an input to its end: its size is what was read, so a pipe works as
 * well as a file. */
static int section_fd(struct writer *w, unsigned type, enum eifhash_part part, int fd, const char *name,
		      uint64_t *psize)
{
	uint64_t at = w->pos, size = 0;
	uLong crc = crc32(0L, Z_NULL, 0);
	size_t got;
	int rc;

	for (;;) {
		unsigned char *buf = eifhash_buffer(w->hash);

		if (io_read_full(fd, buf, EIFHASH_CHUNK, &got) < 0)
			return err_set(w->err, NK_IO, "cannot read '%s':", name);
		if (!got)
			break;
		rc = put_at(w, buf, got, at + EIF_SECHDR_SIZE + size);
		if (rc)
			return rc;
		crc = crc32(crc, buf, (uInt)got);
		size += got;
		eifhash_submit(w->hash, buf, got, part);
		if (got < EIFHASH_CHUNK)
			break;
	}
	if (part == EIFHASH_RAMDISK0)
		eifhash_end_boot(w->hash);
	*psize = size;
	return close_section(w, type, at, size, crc);
}

static int finish_pcrs(struct writer *w, struct meas *m)
{
	unsigned char pcr[3][PCR_LEN];
	int rc = eifhash_finish(w->hash, pcr[0], pcr[1], pcr[2], w->err);

	for (unsigned i = 0; !rc && i < 3; i++)
		meas_set(m, i, pcr[i]);
	return rc;
}

static int sign(struct writer *w, const struct eifbuild_signer *s, const unsigned char pcr0[PCR_LEN],
		unsigned char pcr8[PCR_LEN])
{
	unsigned char *sec = NULL;
	size_t len = 0;
	int rc;

	rc = eifsig_build(s->cert_pem, s->cert_len, s->key, pcr0, &sec, &len, w->err);
	if (!rc && len > EIF_MAX_SIGNATURE)
		rc = err_set(w->err, NK_DATA, "signature section too large (%zu bytes, at most %u)", len,
			     EIF_MAX_SIGNATURE);
	if (!rc)
		rc = section_mem(w, EIF_SEC_SIGNATURE, UNMEASURED, sec, len);
	if (!rc)
		rc = pcr_of_cert_pem(s->cert_pem, s->cert_len, pcr8, w->err);
	free(sec);
	return rc;
}

int eifbuild_write(const struct eifbuild_image *img, int out_fd, const char *out_name,
		   struct meas *m, struct eif_header *hdr, struct nk_err *err)
{
	struct eif_header h = { .version = EIF_VERSION, .flags = img->flags,
				.default_mem = EIF_DEFAULT_MEM, .default_cpus = EIF_DEFAULT_CPUS };
	struct writer w = { .fd = out_fd, .name = out_name, .pos = EIF_HDR_SIZE, .hdr = &h, .err = err };
	unsigned char hb[EIF_HDR_SIZE], pcr8[PCR_LEN];
	unsigned max = EIF_MAX_SECTIONS - EIFBUILD_FIXED_SECTIONS - (img->signer ? 1 : 0);
	uint64_t size;
	uLong crc;
	int rc;

	memset(m, 0, sizeof *m);
	if (img->nramdisks < 1 || img->nramdisks > max)
		return err_set(err, NK_USAGE, "an EIF takes 1 to %u ramdisks, not %u", max, img->nramdisks);
	w.crc = crc32(0L, Z_NULL, 0);
	rc = eifhash_start(&w.hash, err);
	if (rc)
		goto out;

	/* eif_build's order: kernel, cmdline, metadata, ramdisks, signature. */
	rc = section_fd(&w, EIF_SEC_KERNEL, EIFHASH_BOOT, img->kernel_fd, img->kernel_name, &size);
	if (!rc && size == 0)
		rc = err_set(err, NK_DATA, "'%s': the kernel is empty", img->kernel_name);
	if (!rc)
		rc = section_mem(&w, EIF_SEC_CMDLINE, EIFHASH_BOOT, img->cmdline, strlen(img->cmdline));
	if (!rc)
		rc = section_mem(&w, EIF_SEC_METADATA, UNMEASURED, img->metadata, img->metadata_len);
	for (unsigned i = 0; !rc && i < img->nramdisks; i++)
		rc = section_fd(&w, EIF_SEC_RAMDISK, i == 0 ? EIFHASH_RAMDISK0 : EIFHASH_APP,
				img->ramdisk_fds[i], img->ramdisk_names[i], &size);
	if (!rc)
		rc = finish_pcrs(&w, m);
	if (!rc && img->signer) {
		rc = sign(&w, img->signer, m->pcr[0], pcr8);
		if (!rc)
			meas_set(m, 8, pcr8);
	}
	if (rc)
		goto out;

	/* The CRC covers the header before its own field, then every section. */
	eif_header_pack(&h, hb);
	crc = crc32(crc32(0L, Z_NULL, 0), hb, EIF_CRC_OFFSET);
	h.crc32 = (uint32_t)crc32_combine64(crc, w.crc, (z_off64_t)(w.pos - EIF_HDR_SIZE));
	eif_header_pack(&h, hb);
	rc = put_at(&w, hb, sizeof hb, 0);
	if (!rc && hdr)
		*hdr = h;
out:
	eifhash_free(w.hash);
	if (rc)
		memset(m, 0, sizeof *m);
	return rc;
}

/* --- The tool's build --------------------------------------------------- */

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static int check_opts(const struct eifbuild_opts *o, struct nk_err *err)
{
	int signing = o->signing_key || o->signing_cert;
	unsigned max = EIF_MAX_SECTIONS - EIFBUILD_FIXED_SECTIONS - (signing ? 1 : 0);
	const char *ins[] = { o->kernel, o->metadata, o->signing_key, o->signing_cert };
	unsigned stdin_uses = 0;

	if (o->signing_key && !o->signing_cert)
		return err_set(err, NK_USAGE, "--signing-key needs --signing-cert");
	if (o->signing_cert && !o->signing_key)
		return err_set(err, NK_USAGE, "--signing-cert needs --signing-key");
	if (o->nramdisks > max)
		return err_set(err, NK_USAGE, "too many ramdisks (%u, at most %u%s: an EIF has at most %d sections)",
			       o->nramdisks, max, signing ? " when signing" : "", EIF_MAX_SECTIONS);
	if (strcmp(o->output, "-") == 0)
		return err_set(err, NK_USAGE,
			       "--output must be a file: the EIF's header is written last, and the measurements go to standard output");
	for (size_t i = 0; i < sizeof ins / sizeof *ins; i++)
		stdin_uses += ins[i] && strcmp(ins[i], "-") == 0;
	for (unsigned i = 0; i < o->nramdisks; i++)
		stdin_uses += strcmp(o->ramdisks[i], "-") == 0;
	if (stdin_uses > 1)
		return err_set(err, NK_USAGE, "standard input ('-') can be given for one input only");
	return NK_OK;
}

static int load_custom(const char *path, json_t **out, struct nk_err *err)
{
	int rc = jsonx_load(path, out, err);

	if (rc)
		return rc;
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return err_set(err, NK_DATA, "'%s': the metadata must be a JSON object", io_name(path));
	}
	return NK_OK;
}

int eifbuild_run(const struct eifbuild_opts *o, struct meas *m, struct eif_header *hdr,
		 struct nk_err *err)
{
	struct eifbuild_signer signer = { 0 };
	struct io_atomic a = { .fd = -1 };
	char when[EIFBUILD_TIME_SIZE], *md = NULL;
	int *fds = NULL, kfd = -1, rc;
	const char **names = NULL;
	json_t *custom = NULL;
	size_t mdlen = 0;
	unsigned nopen = 0;

	rc = check_opts(o, err);
	if (!rc)
		rc = eifbuild_time(o->source_date_epoch, o->now, when, err);
	if (!rc && o->metadata)
		rc = load_custom(o->metadata, &custom, err);
	if (!rc && o->signing_key)
		rc = eifbuild_signer_load(&signer, o->signing_cert, o->signing_key, err);
	if (!rc) {
		struct eifbuild_info info = {
			.image_name = o->name ? o->name : base_name(o->kernel),
			.image_version = o->image_version ? o->image_version : EIFBUILD_IMAGE_VERSION,
			.build_time = when,
			.build_tool = EIFBUILD_TOOL,
			.build_tool_version = NK_VERSION,
			.os = EIFBUILD_OS,
			.kernel_version = EIFBUILD_KERNEL_VERSION,
			.custom = custom,
		};

		rc = eifbuild_metadata(&info, &md, &mdlen, err);
	}
	if (rc)
		goto out;

	/* Every input is opened before the output is created. */
	fds = calloc(o->nramdisks + 1, sizeof *fds);
	names = calloc(o->nramdisks + 1, sizeof *names);
	if (!fds || !names) {
		rc = err_set(err, NK_IO, "out of memory");
		goto out;
	}
	if ((rc = io_open_in(o->kernel, &kfd, NULL, err)))
		kfd = -1;  /* io_open_in may leave a closed fd number behind */
	for (; !rc && nopen < o->nramdisks; nopen++) {
		names[nopen] = io_name(o->ramdisks[nopen]);
		rc = io_open_in(o->ramdisks[nopen], &fds[nopen], NULL, err);
		if (rc)
			break;
	}
	if (!rc)
		rc = io_atomic_open(&a, o->output, 0644, err);
	if (!rc) {
		struct eifbuild_image img = {
			.kernel_fd = kfd, .kernel_name = io_name(o->kernel), .cmdline = o->cmdline,
			.ramdisk_fds = fds, .ramdisk_names = names, .nramdisks = o->nramdisks,
			.flags = o->aarch64 ? EIF_FLAG_AARCH64 : 0, .metadata = md, .metadata_len = mdlen,
			.signer = o->signing_key ? &signer : NULL,
		};

		rc = eifbuild_write(&img, a.fd, o->output, m, hdr, err);
	}
	if (!rc)
		rc = io_atomic_commit(&a, err);
out:
	if (rc)
		io_atomic_abort(&a);
	if (kfd > 0)
		close(kfd);
	for (unsigned i = 0; i < nopen; i++)
		if (fds[i] > 0)
			close(fds[i]);
	free(fds);
	free(names);
	free(md);
	json_decref(custom);
	eifbuild_signer_free(&signer);
	return rc;
}
