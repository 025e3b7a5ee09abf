#include "sim/nsmsim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "attest/attest.h"
#include "eif/eif.h"
#include "util/enc.h"
#include "util/io.h"

/* serde's {"Error": "InternalError"}. */
const unsigned char nsmsim_internal_error[] = {
	0xa1, 0x65, 'E', 'r', 'r', 'o', 'r',
	0x6d, 'I', 'n', 't', 'e', 'r', 'n', 'a', 'l', 'E', 'r', 'r', 'o', 'r',
};
const size_t nsmsim_internal_error_len = sizeof nsmsim_internal_error;

/* The PCRs an EIF sets, which debug mode zeroes. */
#define IMAGE_PCRS (1u << 0 | 1u << 1 | 1u << 2 | 1u << 8)

/* --- boot --------------------------------------------------------------------- */

int nsmsim_config_pcr(struct nsmsim_config *c, const char *arg, struct nk_err *err)
{
	const char *eq = strchr(arg, '=');
	struct nk_err e = { 0 };
	unsigned n = 0;
	size_t len = 0;

	if (!eq || eq == arg)
		return err_set(err, NK_USAGE, "invalid value '%s' for --pcr: expected N=HEX", arg);
	for (const char *p = arg; p < eq; p++) {
		if (*p < '0' || *p > '9' || n >= NSMSIM_BOOT_PCRS)
			break;
		n = n * 10 + (unsigned)(*p - '0');
		if (p + 1 == eq && n < NSMSIM_BOOT_PCRS)
			goto index_ok;
	}
	return err_set(err, NK_USAGE, "invalid value '%s' for --pcr: the index must be 0 to %d "
		       "(PCR16-31 start at zero and are extended at run time)", arg, NSMSIM_BOOT_PCRS - 1);
index_ok:
	if (c->pcr_given >> n & 1)
		return err_set(err, NK_USAGE, "--pcr %u given more than once", n);
	if (strlen(eq + 1) != PCR_HEX_LEN)
		return err_set(err, NK_USAGE, "invalid value '%s' for --pcr: expected %d hex digits "
			       "after '=', got %zu", arg, PCR_HEX_LEN, strlen(eq + 1));
	if (enc_unhex(eq + 1, c->pcr[n], PCR_LEN, &len, &e))
		return err_set(err, NK_USAGE, "invalid value '%s' for --pcr: %s", arg, e.msg);
	c->pcr_given |= (uint16_t)(1u << n);
	return NK_OK;
}

static int check_config(const struct nsmsim_config *c, struct nk_err *err)
{
	const char *id = c->module_id;

	if (c->eif && c->pcr_given)
		return err_set(err, NK_USAGE, "--eif and --pcr cannot be used together");
	if (c->role_arn && (c->pcr_given >> 3 & 1))
		return err_set(err, NK_USAGE, "--pcr 3 and --role-arn both set PCR3");
	if (c->instance_id && (c->pcr_given >> 4 & 1))
		return err_set(err, NK_USAGE, "--pcr 4 and --instance-id both set PCR4");
	if (c->debug && (c->pcr_given & IMAGE_PCRS))
		return err_set(err, NK_USAGE, "--pcr 0, 1, 2 or 8 cannot be used with --debug-mode "
			       "(debug mode zeroes them)");
	if (c->role_arn && !*c->role_arn)
		return err_set(err, NK_USAGE, "--role-arn must not be empty");
	if (c->instance_id && !*c->instance_id)
		return err_set(err, NK_USAGE, "--instance-id must not be empty");
	if (id) {
		size_t n = strlen(id);
		int ok = n >= 1 && n <= NSMSIM_MODULE_ID_MAX;

		for (size_t i = 0; ok && i < n; i++)
			ok = id[i] > ' ' && id[i] <= '~';
		if (!ok)
			return err_set(err, NK_USAGE, "invalid value '%s' for --module-id: expected 1 to %d "
				       "printable ASCII characters without spaces", id, NSMSIM_MODULE_ID_MAX);
	}
	return NK_OK;
}

static int boot_eif(struct nsmsim *s, const char *path, struct nk_err *err)
{
	struct eif_measurement m = { 0 };
	off_t size;
	int fd = -1, rc;

	if ((rc = io_open_in(path, &fd, &size, err)))
		return rc;
	rc = eif_measure(fd, size, io_name(path), 0, &m, err);
	if (fd > 0)
		close(fd);
	if (rc)
		return err_prefix(err, "'%s'", io_name(path));
	memcpy(s->pcr[0], m.pcr0, PCR_LEN);
	memcpy(s->pcr[1], m.pcr1, PCR_LEN);
	memcpy(s->pcr[2], m.pcr2, PCR_LEN);
	if (m.is_signed)
		memcpy(s->pcr[8], m.pcr8, PCR_LEN);
	eif_measurement_free(&m);
	return NK_OK;
}

static time_t secs(uint64_t ms)
{
	return (time_t)(ms / 1000);
}

static uint64_t now_ms(const struct nsmsim *s)
{
	struct timespec ts;

	if (s->fixed_ms)
		return s->fixed_ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int nsmsim_init(struct nsmsim *s, const struct nsmsim_config *c, struct nk_err *err)
{
	uint64_t fixed = s->fixed_ms;  /* a test's clock survives the reset */
	int rc;

	memset(s, 0, sizeof *s);
	s->fixed_ms = fixed;
	s->last_op = -1;
	if ((rc = check_config(c, err)))
		return rc;
	snprintf(s->module_id, sizeof s->module_id, "%s", c->module_id ? c->module_id : NSMSIM_DEFAULT_MODULE_ID);
	s->debug = c->debug;
	if (c->eif && (rc = boot_eif(s, c->eif, err)))
		return rc;
	for (unsigned i = 0; i < NSMSIM_BOOT_PCRS; i++)
		if (c->pcr_given >> i & 1)
			memcpy(s->pcr[i], c->pcr[i], PCR_LEN);
	if (c->role_arn && pcr_ext_raw(c->role_arn, strlen(c->role_arn), s->pcr[3]))
		return err_set(err, NK_IO, "SHA-384 failed");
	if (c->instance_id && pcr_ext_raw(c->instance_id, strlen(c->instance_id), s->pcr[4]))
		return err_set(err, NK_IO, "SHA-384 failed");
	/* A debug-mode enclave's image PCRs read as zeros, whatever it booted. */
	if (s->debug)
		for (unsigned i = 0; i < NSMSIM_BOOT_PCRS; i++)
			if (IMAGE_PCRS >> i & 1)
				memset(s->pcr[i], 0, PCR_LEN);
	s->locked = (1u << NSMSIM_BOOT_PCRS) - 1;
	rc = nsmsim_pki_open(&s->pki, c->pki_dir, secs(now_ms(s)), err);
	if (!rc && (rc = nsmsim_pki_leaf(&s->pki, s->module_id, secs(now_ms(s)), NULL, err)))
		nsmsim_pki_free(&s->pki);
	return rc;
}

void nsmsim_free(struct nsmsim *s)
{
	if (!s)
		return;
	nsmsim_pki_free(&s->pki);
	memset(s, 0, sizeof *s);
}

/* --- requests ------------------------------------------------------------------ */

/* Scratch for the answer's byte fields, freed after encoding. */
struct scratch {
	unsigned char random[NSM_RANDOM_LEN];
	unsigned char *doc;
};

static int is_locked(const struct nsmsim *s, unsigned i)
{
	return s->locked >> i & 1;
}

static enum nsm_error describe_pcr(struct nsmsim *s, const struct nsm_request *q, struct nsm_response *a)
{
	if (q->index >= NSM_MAX_PCRS)
		return NSM_E_INVALID_INDEX;
	a->lock = is_locked(s, q->index);
	a->data = (struct nsm_bytes){ s->pcr[q->index], PCR_LEN, 1 };
	return NSM_E_SUCCESS;
}

static enum nsm_error extend_pcr(struct nsmsim *s, const struct nsm_request *q, struct nsm_response *a)
{
	if (q->index >= NSM_MAX_PCRS)
		return NSM_E_INVALID_INDEX;
	if (is_locked(s, q->index))
		return NSM_E_READONLY_INDEX;
	if (pcr_extend(s->pcr[q->index], q->data.p, q->data.len))
		return NSM_E_INTERNAL_ERROR;
	a->data = (struct nsm_bytes){ s->pcr[q->index], PCR_LEN, 1 };
	return NSM_E_SUCCESS;
}

static enum nsm_error lock_pcr(struct nsmsim *s, const struct nsm_request *q)
{
	if (q->index >= NSM_MAX_PCRS)
		return NSM_E_INVALID_INDEX;
	/* locking a locked PCR is fine: the request's goal holds */
	s->locked |= 1u << q->index;
	return NSM_E_SUCCESS;
}

static enum nsm_error lock_pcrs(struct nsmsim *s, const struct nsm_request *q)
{
	if (q->range > NSM_MAX_PCRS)
		return NSM_E_INVALID_INDEX;
	for (unsigned i = 0; i < q->range; i++)
		s->locked |= 1u << i;
	return NSM_E_SUCCESS;
}

static void describe_nsm(const struct nsmsim *s, struct nsm_response *a)
{
	a->version_major = NSMSIM_VERSION_MAJOR;
	a->version_minor = NSMSIM_VERSION_MINOR;
	a->version_patch = NSMSIM_VERSION_PATCH;
	a->module_id = s->module_id;
	a->max_pcrs = NSM_MAX_PCRS;
	for (unsigned i = 0; i < NSM_MAX_PCRS; i++)
		if (is_locked(s, i))
			a->locked_pcrs[a->nlocked++] = (uint16_t)i;
	a->digest = ATTEST_DIGEST;
}

static struct attest_bytes field(const struct nsm_bytes *b)
{
	return (struct attest_bytes){ b->p, b->len, b->present };
}

static enum nsm_error attestation(struct nsmsim *s, const struct nsm_request *q, struct nsm_response *a,
				  struct scratch *t)
{
	struct attest_bytes ca[NSMSIM_PKI_LEVELS];
	struct attest_doc d = { 0 };
	struct nk_err err = { 0 };
	uint64_t now = now_ms(s);
	size_t len = 0;

	if ((q->user_data.present && q->user_data.len > NSM_FIELD_MAX) ||
	    (q->nonce.present && q->nonce.len > NSM_FIELD_MAX) ||
	    (q->public_key.present && q->public_key.len > NSM_FIELD_MAX))
		return NSM_E_INVALID_ARGUMENT;
	/* the leaf lives 3 hours; a long-running simulator renews it */
	if (nsmsim_pki_leaf(&s->pki, s->module_id, secs(now), NULL, &err))
		return NSM_E_INTERNAL_ERROR;
	for (int i = 0; i < NSMSIM_PKI_LEVELS; i++)
		ca[i] = (struct attest_bytes){ s->pki.ca[i].der, s->pki.ca[i].der_len, 1 };
	d.module_id = s->module_id;
	d.timestamp = now;
	d.pcrs = (const unsigned char (*)[PCR_LEN])s->pcr;
	d.npcrs = ATTEST_HW_PCRS;
	d.certificate = s->pki.leaf.der;
	d.certificate_len = s->pki.leaf.der_len;
	d.cabundle = ca;
	d.ncabundle = NSMSIM_PKI_LEVELS;
	d.public_key = field(&q->public_key);
	d.user_data = field(&q->user_data);
	d.nonce = field(&q->nonce);
	if (attest_sign(&d, s->pki.leaf_key, &t->doc, &len, &err))
		return NSM_E_INTERNAL_ERROR;
	a->document = (struct nsm_bytes){ t->doc, len, 1 };
	return NSM_E_SUCCESS;
}

static enum nsm_error serve(struct nsmsim *s, const struct nsm_request *q, struct nsm_response *a,
			    struct scratch *t)
{
	switch (q->op) {
	case NSM_OP_DESCRIBE_PCR:
		return describe_pcr(s, q, a);
	case NSM_OP_EXTEND_PCR:
		return extend_pcr(s, q, a);
	case NSM_OP_LOCK_PCR:
		return lock_pcr(s, q);
	case NSM_OP_LOCK_PCRS:
		return lock_pcrs(s, q);
	case NSM_OP_DESCRIBE_NSM:
		describe_nsm(s, a);
		return NSM_E_SUCCESS;
	case NSM_OP_GET_RANDOM:
		if (RAND_bytes(t->random, sizeof t->random) != 1)
			return NSM_E_INTERNAL_ERROR;
		a->random = (struct nsm_bytes){ t->random, sizeof t->random, 1 };
		return NSM_E_SUCCESS;
	case NSM_OP_ATTESTATION:
		return attestation(s, q, a, t);
	default:
		return NSM_E_INVALID_OPERATION;
	}
}

static int encode_error(enum nsm_error e, unsigned char **resp, size_t *resp_len)
{
	struct nsm_response a = { .op = NSM_OP_ERROR, .error = e };

	return nsm_response_encode(&a, resp, resp_len, NULL);
}

int nsmsim_handle(struct nsmsim *s, const unsigned char *req, size_t len, unsigned char **resp,
		  size_t *resp_len)
{
	struct nsm_request q = { 0 };
	struct nsm_response a = { 0 };
	struct scratch *t = NULL;
	enum nsm_error e;

	*resp = NULL;
	*resp_len = 0;
	s->last_op = -1;
	s->last_len = len;
	/* the driver refuses these before anything is parsed */
	if (len > NSM_REQUEST_MAX)
		e = NSM_E_INPUT_TOO_LARGE;
	else if (nsm_request_decode(req, len, &q, NULL))
		e = NSM_E_INVALID_OPERATION;
	else if (!(t = calloc(1, sizeof *t)))
		e = NSM_E_INTERNAL_ERROR;
	else {
		s->last_op = (int)q.op;
		a.op = q.op;
		e = serve(s, &q, &a, t);
	}
	if (e == NSM_E_SUCCESS && nsm_response_encode(&a, resp, resp_len, NULL))
		e = NSM_E_INTERNAL_ERROR;
	if (t) {
		free(t->doc);
		OPENSSL_cleanse(t->random, sizeof t->random);
		free(t);
	}
	nsm_request_clear(&q);
	s->last_error = e;
	if (e != NSM_E_SUCCESS && encode_error(e, resp, resp_len))
		return NK_IO;
	return NK_OK;
}
