#include "eif/eifhash.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/evp.h>

enum { TO_IMAGE = 1, TO_APP = 2, SNAP_BOOT = 4, END = 8 };

struct slot {
	unsigned char *buf;          /* owned, EIFHASH_CHUNK bytes */
	const unsigned char *data;   /* buf, or the caller's memory */
	size_t len;
	unsigned what;
};

struct worker {
	struct eifhash *h;
	int id;                      /* 0 image, 1 app */
	EVP_MD_CTX *md, *boot;       /* boot: PCR1's stream, copied from md */
	int snapped, failed;
};

struct eifhash {
	struct slot slot[EIFHASH_SLOTS];
	struct slot *claimed;        /* handed out by eifhash_buffer */
	uint64_t produced;           /* slots published */
	uint64_t consumed[2];        /* per worker: slots done */
	pthread_mutex_t mu;
	pthread_cond_t filled, freed;
	struct worker w[2];
	pthread_t th[2];
	int started;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct eifhash *h = w->h;
	unsigned mine = w->id == 0 ? TO_IMAGE : TO_APP;

	for (uint64_t seq = 0;; seq++) {
		struct slot *s;

		pthread_mutex_lock(&h->mu);
		while (h->produced <= seq)
			pthread_cond_wait(&h->filled, &h->mu);
		pthread_mutex_unlock(&h->mu);
		s = &h->slot[seq % EIFHASH_SLOTS];
		if (s->what & END)
			return NULL;
		if ((s->what & mine) && s->len && !EVP_DigestUpdate(w->md, s->data, s->len))
			w->failed = 1;
		if ((s->what & SNAP_BOOT) && w->id == 0 && !w->snapped) {
			if (!EVP_MD_CTX_copy_ex(w->boot, w->md))
				w->failed = 1;
			w->snapped = 1;
		}
		pthread_mutex_lock(&h->mu);
		h->consumed[w->id] = seq + 1;
		pthread_cond_signal(&h->freed);
		pthread_mutex_unlock(&h->mu);
	}
}

/* Wait until both workers are past the next slot. */
static struct slot *claim(struct eifhash *h)
{
	uint64_t done;

	if (h->claimed)
		return h->claimed;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		done = h->consumed[0] < h->consumed[1] ? h->consumed[0] : h->consumed[1];
		if (h->produced - done < EIFHASH_SLOTS)
			break;
		pthread_cond_wait(&h->freed, &h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return h->claimed = &h->slot[h->produced % EIFHASH_SLOTS];
}

static void publish(struct eifhash *h, const void *data, size_t len, unsigned what)
{
	struct slot *s = claim(h);

	s->data = data;
	s->len = len;
	s->what = what;
	h->claimed = NULL;
	pthread_mutex_lock(&h->mu);
	h->produced++;
	pthread_cond_broadcast(&h->filled);
	pthread_mutex_unlock(&h->mu);
}

int eifhash_start(struct eifhash **out, struct nk_err *err)
{
	struct eifhash *h = calloc(1, sizeof *h);

	*out = h;
	if (!h)
		return err_set(err, NK_IO, "out of memory");
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->filled, NULL);
	pthread_cond_init(&h->freed, NULL);
	for (int i = 0; i < EIFHASH_SLOTS; i++)
		if (!(h->slot[i].buf = malloc(EIFHASH_CHUNK)))
			return err_set(err, NK_IO, "out of memory");
	for (int i = 0; i < 2; i++) {
		h->w[i].h = h;
		h->w[i].id = i;
		h->w[i].md = EVP_MD_CTX_new();
		h->w[i].boot = EVP_MD_CTX_new();
		if (!h->w[i].md || !h->w[i].boot || !EVP_DigestInit_ex(h->w[i].md, EVP_sha384(), NULL))
			return err_set(err, NK_IO, "out of memory");
	}
	for (; h->started < 2; h->started++)
		if (pthread_create(&h->th[h->started], NULL, worker_main, &h->w[h->started]) != 0)
			return err_set(err, NK_IO, "cannot start a hashing thread");
	return NK_OK;
}

unsigned char *eifhash_buffer(struct eifhash *h)
{
	return claim(h)->buf;
}

void eifhash_submit(struct eifhash *h, const void *data, size_t len, enum eifhash_part part)
{
	static const unsigned what[] = {
		[EIFHASH_BOOT] = TO_IMAGE, [EIFHASH_RAMDISK0] = TO_IMAGE, [EIFHASH_APP] = TO_IMAGE | TO_APP,
	};

	publish(h, data, len, what[part]);
}

void eifhash_end_boot(struct eifhash *h)
{
	publish(h, NULL, 0, SNAP_BOOT);
}

/* The END slot stops the workers, also on error paths. */
static void stop(struct eifhash *h)
{
	if (!h->started)
		return;
	publish(h, NULL, 0, END);
	for (int i = 0; i < h->started; i++)
		pthread_join(h->th[i], NULL);
	h->started = 0;
}

static int final_pcr(EVP_MD_CTX *c, unsigned char pcr[PCR_LEN])
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len;

	return EVP_DigestFinal_ex(c, d, &len) && len == PCR_LEN && pcr_ext(d, pcr) == NK_OK;
}

int eifhash_finish(struct eifhash *h, unsigned char pcr0[PCR_LEN], unsigned char pcr1[PCR_LEN],
		   unsigned char pcr2[PCR_LEN], struct nk_err *err)
{
	struct worker *img = &h->w[0];

	stop(h);
	if (img->failed || h->w[1].failed ||
	    (!img->snapped && !EVP_MD_CTX_copy_ex(img->boot, img->md)) ||
	    !final_pcr(img->md, pcr0) || !final_pcr(img->boot, pcr1) || !final_pcr(h->w[1].md, pcr2))
		return err_set(err, NK_IO, "SHA-384 failed");
	return NK_OK;
}

void eifhash_free(struct eifhash *h)
{
	if (!h)
		return;
	stop(h);
	for (int i = 0; i < 2; i++) {
		EVP_MD_CTX_free(h->w[i].md);
		EVP_MD_CTX_free(h->w[i].boot);
	}
	for (int i = 0; i < EIFHASH_SLOTS; i++)
		free(h->slot[i].buf);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->filled);
	pthread_cond_destroy(&h->freed);
	free(h);
}
