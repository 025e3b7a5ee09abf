/* bench/attest-verify-loop: documents verified per second by the library in
 * one process, as a long-lived verifier (kms-sim) does it: every iteration
 * parses the document afresh (CBOR, the five certificates) and verifies it
 * (root pinning, the chain, the COSE signature); the pinned root and its
 * X509_STORE are set up once, as attest-verify does per run.  Repeating one
 * document means its certificates come from the verifier's decode cache after
 * the first round, as for a verifier seeing many documents of one instance;
 * their signatures are checked every time.
 *
 * Usage: attest-verify-loop DOC SECONDS [ROOT.pem]
 * Without ROOT the embedded AWS root is pinned and the document is verified at
 * its own time (a real, expired document); with ROOT at now.  Prints
 * "<documents> <seconds>". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/attest.h"
#include "attest/attest_verify.h"
#include "util/io.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct attest_verifier v;
	struct nk_err err;
	unsigned char *doc = NULL, *pem = NULL;
	size_t doclen, pemlen = 0;
	double start, seconds;
	long n = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: attest-verify-loop DOC SECONDS [ROOT.pem]\n");
		return 2;
	}
	seconds = atof(argv[2]);
	if (attest_read(argv[1], &doc, &doclen, &err) ||
	    (argc > 3 && io_read_all(argv[3], 1 << 16, &pem, &pemlen, &err)) ||
	    attest_verifier_init(&v, (const char *)pem, pemlen, "root", &err)) {
		fprintf(stderr, "attest-verify-loop: %s\n", err.msg);
		return 1;
	}
	start = now();
	do {
		struct attest_parsed p;
		time_t at;

		if (attest_parse(doc, doclen, &p, &err)) {
			fprintf(stderr, "attest-verify-loop: %s\n", err.msg);
			return 1;
		}
		at = argc > 3 ? time(NULL) : (time_t)(p.doc.timestamp / 1000);
		if (attest_verify(&v, &p, at, NULL, &err)) {
			fprintf(stderr, "attest-verify-loop: %s\n", err.msg);
			return 1;
		}
		attest_parsed_free(&p);
		n++;
	} while (now() - start < seconds);
	printf("%ld %.3f\n", n, now() - start);
	attest_verifier_free(&v);
	free(doc);
	free(pem);
	return 0;
}
