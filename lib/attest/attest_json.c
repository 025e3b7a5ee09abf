/* attest-verify's output object (see its man page): the parsed document,
 * its certificate's subject, serial and validity, and the checks passed. */
#include "attest/attest_json.h"

#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "util/enc.h"
#include "util/jsonx.h"
#include "attest/attest_time.h"

static json_t *hex_or_null(const struct attest_bytes *b)
{
	return b->present ? jsonx_hex(b->p, b->len) : json_null();
}

/* RFC 2253 text of a name; NULL when out of memory. */
static json_t *name_json(const X509_NAME *n)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p = NULL;
	long len;
	json_t *j = NULL;

	if (b && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (len = BIO_get_mem_data(b, &p)) >= 0)
		j = json_stringn(p, (size_t)len);
	if (!j)  /* not UTF-8 after all: show it escaped */
		j = (BIO_reset(b) == 1 && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0 &&
		     (len = BIO_get_mem_data(b, &p)) >= 0) ? json_stringn(p, (size_t)len) : NULL;
	BIO_free(b);
	ERR_clear_error();
	return j;
}

static json_t *asn1_time_json(const ASN1_TIME *t)
{
	struct tm tm;
	char s[32];

	if (!t || !ASN1_TIME_to_tm(t, &tm))
		return json_null();
	snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return json_string(s);
}

static json_t *serial_json(const ASN1_INTEGER *a)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(a, NULL);
	unsigned char buf[64];
	char hex[2 * sizeof buf + 2];
	int n = bn ? BN_num_bytes(bn) : -1;
	json_t *j = NULL;

	if (n >= 0 && n <= (int)sizeof buf) {
		BN_bn2bin(bn, buf);
		hex[0] = '-';
		enc_hex(buf, (size_t)n, hex + 1);
		j = json_string(n ? hex + !BN_is_negative(bn) : "00");
	}
	BN_free(bn);
	ERR_clear_error();
	return j ? j : json_null();
}

static int put(json_t *o, const char *k, json_t *v)
{
	return v && json_object_set_new(o, k, v) == 0;
}

int attest_to_json(const struct attest_parsed *p, int verified, const struct attest_checks *checks,
		   json_t **out, struct nk_err *err)
{
	json_t *o = json_object(), *pcrs = json_object(), *cert = json_object(),
	       *bundle = json_array(), *ch = json_array();
	char t[32], hex[PCR_HEX_LEN + 1], idx[8];
	int ok = o && pcrs && cert && bundle && ch;

	attest_format_time((int64_t)p->doc.timestamp, t);
	for (unsigned i = 0; ok && i < PCR_COUNT; i++) {
		if (!(p->pcr_mask & (1u << i)))
			continue;
		snprintf(idx, sizeof idx, "%u", i);
		enc_hex(p->pcr[i], PCR_LEN, hex);
		ok = put(pcrs, idx, json_string(hex));
	}
	for (size_t i = 0; ok && i < p->doc.ncabundle; i++)
		ok = json_array_append_new(bundle, name_json(X509_get_subject_name(p->chain[i]))) == 0;
	for (unsigned i = 0; ok && checks && i < checks->n; i++)
		ok = json_array_append_new(ch, json_string(checks->name[i])) == 0;
	ok = ok && put(cert, "subject", name_json(X509_get_subject_name(p->leaf))) &&
	     put(cert, "serial", serial_json(X509_get0_serialNumber(p->leaf))) &&
	     put(cert, "not_before", asn1_time_json(X509_get0_notBefore(p->leaf))) &&
	     put(cert, "not_after", asn1_time_json(X509_get0_notAfter(p->leaf)));
	ok = ok && put(o, "verified", json_boolean(verified)) &&
	     put(o, "module_id", json_string(p->module_id)) &&
	     put(o, "timestamp", json_integer((json_int_t)p->doc.timestamp)) &&
	     put(o, "time", json_string(t)) && put(o, "digest", json_string(ATTEST_DIGEST)) &&
	     put(o, "pcrs", json_incref(pcrs)) && put(o, "debug", json_boolean(attest_is_debug(p))) &&
	     put(o, "public_key", hex_or_null(&p->doc.public_key)) &&
	     put(o, "user_data", hex_or_null(&p->doc.user_data)) &&
	     put(o, "nonce", hex_or_null(&p->doc.nonce)) && put(o, "certificate", json_incref(cert)) &&
	     put(o, "cabundle", json_incref(bundle)) && put(o, "checks", json_incref(ch));
	json_decref(pcrs);
	json_decref(cert);
	json_decref(bundle);
	json_decref(ch);
	if (!ok) {
		json_decref(o);
		*out = NULL;
		return err_set(err, NK_IO, "out of memory");
	}
	*out = o;
	return NK_OK;
}
