/* nsmsim_pki: nsm-sim's test PKI, shaped like AWS's Nitro PKI: a P-384 root,
 * a regional, a zonal and an instance CA, and a short-lived leaf that signs
 * attestation documents.
 *
 * The four CAs live in a directory (DIR/root.pem, root.key, regional.pem,
 * regional.key, zonal.*, instance.*; keys 0600, every file written
 * atomically): created on first start, loaded after, so DIR/root.pem can be
 * pinned by verifiers across restarts.  root.pem is written last, so its
 * presence means the PKI is complete.  The leaf is never stored: a fresh key
 * and certificate per process, valid 3 hours, renewed when less than 10
 * minutes remain.  Every subject says "nitrokit test" so nobody takes these
 * certificates for AWS's. */
#ifndef NK_NSMSIM_PKI_H
#define NK_NSMSIM_PKI_H

#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "util/err.h"

#define NSMSIM_PKI_DEFAULT_DIR "nsm-sim-pki"
#define NSMSIM_PKI_LEAF_LIFETIME (3 * 3600)  /* seconds, as AWS's leaves */
#define NSMSIM_PKI_LEAF_MARGIN (10 * 60)     /* renew when less than this remains */
#define NSMSIM_PKI_BACKDATE 60               /* notBefore = issue time - 1 minute */
#define NSMSIM_PKI_CA_DAYS (30 * 365)        /* as AWS's root; CAs are never renewed */

enum nsmsim_pki_level {
	NSMSIM_PKI_ROOT,
	NSMSIM_PKI_REGIONAL,
	NSMSIM_PKI_ZONAL,
	NSMSIM_PKI_INSTANCE,
	NSMSIM_PKI_LEVELS
};

struct nsmsim_pki_cert {
	X509 *x509;
	unsigned char *der;
	size_t der_len;
};

struct nsmsim_pki {
	char *dir;
	EVP_PKEY *ca_key[NSMSIM_PKI_LEVELS];
	struct nsmsim_pki_cert ca[NSMSIM_PKI_LEVELS];  /* root first: the cabundle's order */
	EVP_PKEY *leaf_key;                            /* NULL until the first leaf */
	struct nsmsim_pki_cert leaf;
	time_t leaf_not_after;
	int created;                                   /* nsmsim_pki_open made the CAs */
};

/* "root", "regional", "zonal", "instance". */
const char *nsmsim_pki_level_name(enum nsmsim_pki_level l);

/* Load the CAs from dir, or create them (and dir, 0700) when dir/root.pem
 * does not exist.  A PKI that does not load or does not chain (a key that is
 * not its certificate's, a certificate its parent did not sign, one expired
 * at now) is NK_DATA, naming the file; I/O failures are NK_IO. */
int nsmsim_pki_open(struct nsmsim_pki *p, const char *dir, time_t now, struct nk_err *err);

/* Make sure a leaf valid for at least NSMSIM_PKI_LEAF_MARGIN seconds after now
 * exists, issuing a new key and certificate (CN "nitrokit test <name>")
 * otherwise.  *issued (may be NULL) tells whether it did. */
int nsmsim_pki_leaf(struct nsmsim_pki *p, const char *name, time_t now, int *issued,
		    struct nk_err *err);

void nsmsim_pki_free(struct nsmsim_pki *p);

#endif
