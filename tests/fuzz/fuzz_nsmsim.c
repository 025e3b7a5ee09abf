/* libFuzzer target: the simulator's request path (decode, judge, answer) on
 * arbitrary records.  One simulator is booted once, with a test PKI in a
 * temporary directory, and keeps its state across inputs as nsm-sim does
 * across requests; every answer must decode as a response. */
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <unistd.h>

#include "nsm/nsm_msg.h"
#include "sim/nsmsim.h"

static struct nsmsim sim;
static int booted;
static char dir[] = "/tmp/nk-fuzz-nsmsim-XXXXXX";

/* The PKI is only for this run: remove it (flat directory) at exit. */
static void cleanup(void)
{
	char path[sizeof dir + 256];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
	nsmsim_free(&sim);
}

static void boot(void)
{
	struct nsmsim_config c;
	struct nk_err err;

	memset(&c, 0, sizeof c);
	if (!mkdtemp(dir))
		abort();
	c.pki_dir = dir;
	c.role_arn = "arn:aws:iam::123456789012:role/fuzz";
	if (nsmsim_init(&sim, &c, &err) != NK_OK) {
		fprintf(stderr, "fuzz_nsmsim: %s\n", err.msg);
		abort();
	}
	sim.fixed_ms = 1700000000000ull;  /* no leaf renewal in the middle of a run */
	booted = 1;
	atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *resp = NULL;
	struct nsm_response r;
	size_t len = 0;

	if (!booted)
		boot();
	if (nsmsim_handle(&sim, data, size, &resp, &len) == NK_OK) {
		if (nsm_response_decode(resp, len, &r, NULL) != NK_OK)
			abort();  /* the simulator answered something a client cannot read */
		nsm_response_clear(&r);
	}
	free(resp);
	return 0;
}
