/* Tests of nsm_dev, the NSM transports: nsm_open's device and unix: specs,
 * the socket exchange against a canned in-process server, and the error
 * messages of each failure (DESIGN §4.3). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/enc.h"
#include "nsm/nsm_dev.h"

static char *tohex(const unsigned char *p, size_t n)
{
	char *s = malloc(2 * n + 1);

	assert_non_null(s);
	enc_hex(p, n, s);
	return s;
}

#define B(p, n) ((struct nsm_bytes){ (const unsigned char *)(p), (n), 1 })

#define HANG ((size_t)-1)   /* answer nothing, wait for the client to go */
#define HANGUP ((size_t)-2) /* close the connection instead of answering */

/* A one-connection SEQPACKET server answering canned records in turn. */
struct server {
	char dir[64], path[128];
	int lfd;
	pthread_t thread;
	const unsigned char *answer[4];
	size_t answer_len[4];
	size_t nanswers;
	unsigned char last[NSM_REQUEST_MAX + 64];
	size_t last_len;
};

static void *serve(void *arg)
{
	struct server *s = arg;
	int fd = accept(s->lfd, NULL, NULL);

	if (fd < 0)
		return NULL;
	for (size_t i = 0; i < s->nanswers; i++) {
		ssize_t n = recv(fd, s->last, sizeof s->last, 0);

		if (n <= 0)
			break;
		s->last_len = (size_t)n;
		if (s->answer_len[i] == HANGUP)
			break;
		if (s->answer_len[i] == HANG) {
			char c;

			while (recv(fd, &c, 1, 0) > 0)
				;
			break;
		}
		if (send(fd, s->answer[i], s->answer_len[i], MSG_NOSIGNAL) < 0)
			break;
	}
	close(fd);
	return NULL;
}

static void server_start(struct server *s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	strcpy(s->dir, "/tmp/test_nsm_dev.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->path, sizeof s->path, "%s/sim.sock", s->dir);
	strcpy(sa.sun_path, s->path);
	s->lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_true(s->lfd >= 0);
	assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(s->lfd, 1), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s)
{
	/* wakes an accept() that never got a client */
	shutdown(s->lfd, SHUT_RDWR);
	pthread_join(s->thread, NULL);
	close(s->lfd);
	unlink(s->path);
	rmdir(s->dir);
}

static void conn_open(struct server *s, struct nsm_conn **c)
{
	char spec[160];
	struct nk_err err = { 0 };

	snprintf(spec, sizeof spec, "unix:%s", s->path);
	if (nsm_open(spec, c, &err))
		fail_msg("%s", err.msg);
}

static void unix_exec(void **state)
{
	static const unsigned char pcr[48] = { 1, 2, 3 };
	unsigned char *ok = NULL, *refused = NULL, *other = NULL;
	size_t ok_len = 0, refused_len = 0, other_len = 0;
	struct nsm_response a = { .op = NSM_OP_DESCRIBE_PCR, .lock = 1, .data = B(pcr, 48) }, got;
	struct nsm_request q = { .op = NSM_OP_DESCRIBE_PCR, .index = 3 };
	struct server s = { 0 };
	struct nsm_conn *c = NULL;
	struct nk_err err = { 0 };
	char *h;

	assert_int_equal(nsm_response_encode(&a, &ok, &ok_len, &err), NK_OK);
	a = (struct nsm_response){ .op = NSM_OP_ERROR, .error = NSM_E_READONLY_INDEX };
	assert_int_equal(nsm_response_encode(&a, &refused, &refused_len, &err), NK_OK);
	a = (struct nsm_response){ .op = NSM_OP_LOCK_PCR };
	assert_int_equal(nsm_response_encode(&a, &other, &other_len, &err), NK_OK);
	s.answer[0] = ok;
	s.answer_len[0] = ok_len;
	s.answer[1] = refused;
	s.answer_len[1] = refused_len;
	s.answer[2] = other;
	s.answer_len[2] = other_len;
	s.nanswers = 3;
	server_start(&s);
	conn_open(&s, &c);

	assert_int_equal(nsm_exec(c, &q, &got, &err), NK_OK);
	/* the server saw exactly the DESIGN §4.3 bytes for DescribePCR{3} */
	h = tohex(s.last, s.last_len);
	assert_string_equal(h, "a16b4465736372696265504352a165696e64657803");
	free(h);
	assert_int_equal(got.op, NSM_OP_DESCRIBE_PCR);
	assert_true(got.lock);
	assert_memory_equal(got.data.p, pcr, 48);
	nsm_response_clear(&got);

	q = (struct nsm_request){ .op = NSM_OP_EXTEND_PCR, .index = 3, .data = B("x", 1) };
	assert_int_equal(nsm_exec(c, &q, &got, &err), NK_REMOTE);
	assert_string_equal(err.msg, "the NSM refused ExtendPCR: ReadOnlyIndex (the PCR is locked)");
	assert_null(got.owned);

	assert_int_equal(nsm_exec(c, &q, &got, &err), NK_DATA);
	assert_string_equal(err.msg, "the NSM answered LockPCR to ExtendPCR");

	nsm_close(c);
	server_stop(&s);
	free(ok);
	free(refused);
	free(other);
}

static void unix_failures(void **state)
{
	static unsigned char big[NSM_RESPONSE_MAX + 1];
	unsigned char resp[NSM_RESPONSE_MAX];
	size_t len;
	struct server s = { 0 };
	struct nsm_conn *c = NULL;
	struct nk_err err = { 0 };
	struct nsm_request q = { .op = NSM_OP_GET_RANDOM };
	struct nsm_response got;
	char want[256];

	/* a record longer than the buffer, then silence, then a hang-up */
	s.answer[0] = big;
	s.answer_len[0] = sizeof big;
	s.answer[1] = (const unsigned char *)"\x80";
	s.answer_len[1] = 1;
	s.answer_len[2] = HANG;
	s.nanswers = 3;
	server_start(&s);
	conn_open(&s, &c);

	len = sizeof resp;
	assert_int_equal(nsm_call_raw(c, (const unsigned char *)"x", 1, resp, &len, &err), NK_DATA);
	assert_string_equal(err.msg, "response too large (12289 bytes, at most 12288)");

	/* garbage from the simulator */
	assert_int_equal(nsm_exec(c, &q, &got, &err), NK_DATA);
	assert_string_equal(err.msg, "bad NSM response: expected a text or a map, got array");

	nsm_set_timeout(c, 200);
	assert_int_equal(nsm_exec(c, &q, &got, &err), NK_IO);
	snprintf(want, sizeof want, "no answer from nsm-sim at '%s'", s.path);
	assert_string_equal(err.msg, want);
	nsm_close(c);
	server_stop(&s);

	memset(&s, 0, sizeof s);
	s.answer_len[0] = HANGUP;
	s.nanswers = 1;
	server_start(&s);
	conn_open(&s, &c);
	assert_int_equal(nsm_exec(c, &q, &got, &err), NK_IO);
	snprintf(want, sizeof want, "nsm-sim at '%s' closed the connection", s.path);
	assert_string_equal(err.msg, want);
	nsm_close(c);
	server_stop(&s);
}

static void request_too_large(void **state)
{
	static unsigned char big[NSM_REQUEST_MAX + 1];
	unsigned char resp[16];
	size_t len = sizeof resp;
	struct server s = { 0 };
	struct nsm_conn *c = NULL;
	struct nk_err err = { 0 };
	struct nsm_request q = { .op = NSM_OP_EXTEND_PCR, .index = 16, .data = B(big, 4090) };
	struct nsm_response got;

	s.nanswers = 0;
	server_start(&s);
	conn_open(&s, &c);
	assert_int_equal(nsm_exec(c, &q, &got, &err), NK_DATA);
	assert_string_equal(err.msg, "request too large (4117 bytes, at most 4096)");
	assert_int_equal(nsm_call_raw(c, big, sizeof big, resp, &len, &err), NK_DATA);
	assert_string_equal(err.msg, "request too large (4097 bytes, at most 4096)");
	nsm_close(c);
	server_stop(&s);
}

static void open_failures(void **state)
{
	struct nsm_conn *c = NULL;
	struct nk_err err = { 0 };
	unsigned char resp[NSM_RESPONSE_MAX];
	size_t len = sizeof resp;
	char dir[] = "/tmp/test_nsm_dev.XXXXXX", spec[128], want[256];

	assert_int_equal(nsm_open("/nonexistent/nsm", &c, &err), NK_IO);
	assert_null(c);
	assert_string_equal(err.msg, "cannot open '/nonexistent/nsm': No such file or directory "
				     "(not inside a Nitro Enclave? set NITROKIT_NSM=unix:PATH to use "
				     "nsm-sim)");

	/* NULL: the environment decides */
	setenv("NITROKIT_NSM", "/nonexistent/dev-nsm", 1);
	assert_int_equal(nsm_open(NULL, &c, &err), NK_IO);
	assert_string_equal(err.msg, "cannot open '/nonexistent/dev-nsm': No such file or "
				     "directory (not inside a Nitro Enclave? set NITROKIT_NSM=unix:"
				     "PATH to use nsm-sim)");
	unsetenv("NITROKIT_NSM");

	/* no hint when the device exists but cannot be opened */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(nsm_open(dir, &c, &err), NK_IO);
	snprintf(want, sizeof want, "cannot open '%s': Is a directory", dir);
	assert_string_equal(err.msg, want);

	snprintf(spec, sizeof spec, "unix:%s/missing.sock", dir);
	assert_int_equal(nsm_open(spec, &c, &err), NK_IO);
	snprintf(want, sizeof want, "cannot connect to nsm-sim at '%s/missing.sock': No such file "
				    "or directory", dir);
	assert_string_equal(err.msg, want);
	assert_int_equal(rmdir(dir), 0);

	/* a character device that is not the NSM: the ioctl fails */
	assert_int_equal(nsm_open("/dev/null", &c, &err), NK_OK);
	assert_int_equal(nsm_call_raw(c, (const unsigned char *)"\xf6", 1, resp, &len, &err), NK_IO);
	assert_string_equal(err.msg, "NSM request on '/dev/null' failed: Inappropriate ioctl for "
				     "device");
	nsm_close(c);
	nsm_close(NULL);
}

/* The NSM nsm_open uses when none is named. */
static void test_spec(void **state)
{
	unsetenv(NSM_ENV);
	assert_string_equal(nsm_spec(NULL), "/dev/nsm");
	setenv(NSM_ENV, "", 1);
	assert_string_equal(nsm_spec(NULL), "/dev/nsm");
	assert_string_equal(nsm_spec(""), "/dev/nsm");
	setenv(NSM_ENV, "unix:/run/nsm.sock", 1);
	assert_string_equal(nsm_spec(NULL), "unix:/run/nsm.sock");
	/* --nsm wins over the environment. */
	assert_string_equal(nsm_spec("/dev/other"), "/dev/other");
	unsetenv(NSM_ENV);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec),
		cmocka_unit_test(unix_exec),
		cmocka_unit_test(unix_failures),
		cmocka_unit_test(request_too_large),
		cmocka_unit_test(open_failures),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
