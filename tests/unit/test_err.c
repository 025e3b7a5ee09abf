/* err: the error value every library call fills (err_set, err_prefix,
 * err_set_ssl, err_clear) and the frozen exit codes.  Printing (cli_print_err,
 * cli_warn) belongs to the tool layer and is not tested here.  Expected
 * strings are written out by hand; strerror texts are glibc's (C locale). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include <openssl/err.h>

#include "util/err.h"

/* An error value with guard bytes behind it: a message cut to fit must not
 * write past msg[]. */
struct guarded {
	struct nk_err e;
	unsigned char guard[64];
};

static void guard_init(struct guarded *g)
{
	memset(g, 0x5a, sizeof *g);
}

static void guard_intact(const struct guarded *g)
{
	for (size_t i = 0; i < sizeof g->guard; i++)
		assert_int_equal(g->guard[i], 0x5a);
}

static void exit_codes_are_frozen(void **state)
{
	/* DESIGN §3: these numbers are documented in every man page */
	assert_int_equal(NK_OK, 0);
	assert_int_equal(NK_NEGATIVE, 1);
	assert_int_equal(NK_USAGE, 2);
	assert_int_equal(NK_DATA, 3);
	assert_int_equal(NK_IO, 4);
	assert_int_equal(NK_REMOTE, 5);
	assert_int_equal(NK_TRANSPORT, 6);
}

static void set_formats_and_returns_the_code(void **state)
{
	struct nk_err e;

	assert_int_equal(err_set(&e, NK_DATA, "bad '%s' at byte %d", "x.bin", 12), NK_DATA);
	assert_int_equal(e.code, NK_DATA);
	assert_string_equal(e.msg, "bad 'x.bin' at byte 12");
	/* a later error replaces the earlier one entirely */
	assert_int_equal(err_set(&e, NK_USAGE, "no"), NK_USAGE);
	assert_int_equal(e.code, NK_USAGE);
	assert_string_equal(e.msg, "no");
}

static void set_without_a_value_still_returns_the_code(void **state)
{
	/* callers that do not want the message pass NULL */
	assert_int_equal(err_set(NULL, NK_IO, "cannot open '%s':", "f"), NK_IO);
	assert_int_equal(err_set(NULL, NK_OK, "fine"), NK_OK);
}

static void trailing_colon_appends_strerror(void **state)
{
	struct nk_err e;

	errno = ENOENT;
	err_set(&e, NK_IO, "cannot open '%s':", "missing.json");
	assert_string_equal(e.msg, "cannot open 'missing.json': No such file or directory");
	/* errno survives the call: the caller may still look at it */
	assert_int_equal(errno, ENOENT);

	errno = EISDIR;
	err_set(&e, NK_IO, "cannot read '%s':", "adir");
	assert_string_equal(e.msg, "cannot read 'adir': Is a directory");

	/* a colon anywhere else is text */
	errno = ENOENT;
	err_set(&e, NK_DATA, "line %d: empty line", 2);
	assert_string_equal(e.msg, "line 2: empty line");
}

/* err_vset is what wrappers with their own "..." call. */
static int via_vset(struct nk_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = err_vset(e, code, fmt, ap);
	va_end(ap);
	return rc;
}

static void vset_direct(void **state)
{
	struct nk_err e;

	assert_int_equal(via_vset(&e, NK_TRANSPORT, "after %d attempts", 3), NK_TRANSPORT);
	assert_int_equal(e.code, NK_TRANSPORT);
	assert_string_equal(e.msg, "after 3 attempts");
	assert_int_equal(via_vset(NULL, NK_DATA, "x"), NK_DATA);
}

static void long_messages_are_cut_to_fit(void **state)
{
	struct guarded g;
	char big[1000];

	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	guard_init(&g);
	err_set(&g.e, NK_DATA, "%s", big);
	assert_int_equal(strlen(g.e.msg), sizeof g.e.msg - 1);
	assert_int_equal(g.e.msg[0], 'a');
	assert_int_equal(g.e.msg[sizeof g.e.msg - 2], 'a');
	guard_intact(&g);

	/* a colon in the last byte that fits: strerror has no room, and must
	 * not overflow either */
	memset(big, 'b', sizeof g.e.msg - 2);
	big[sizeof g.e.msg - 2] = ':';
	big[sizeof g.e.msg - 1] = '\0';
	guard_init(&g);
	errno = ENOENT;
	err_set(&g.e, NK_IO, "%s", big);
	assert_int_equal(strlen(g.e.msg), sizeof g.e.msg - 1);
	assert_memory_equal(g.e.msg, big, sizeof g.e.msg - 1);
	guard_intact(&g);

	/* strerror after a long message: cut at the end like the rest */
	memset(big, 'c', 505);
	big[505] = '\0';
	guard_init(&g);
	errno = ENOENT;
	err_set(&g.e, NK_IO, "%s:", big);
	assert_int_equal(strlen(g.e.msg), sizeof g.e.msg - 1);
	assert_memory_equal(g.e.msg, big, 505);
	assert_string_equal(g.e.msg + 505, ": No s");
	guard_intact(&g);
}

static void prefix_names_the_context(void **state)
{
	struct nk_err e;

	err_set(&e, NK_DATA, "expected bytes, got map");
	assert_int_equal(err_prefix(&e, "'%s'", "doc.cbor"), NK_DATA);
	assert_string_equal(e.msg, "'doc.cbor': expected bytes, got map");
	assert_int_equal(e.code, NK_DATA);
	/* prefixes stack outward, as the call chain unwinds */
	assert_int_equal(err_prefix(&e, "pcrs[%d]", 3), NK_DATA);
	assert_string_equal(e.msg, "pcrs[3]: 'doc.cbor': expected bytes, got map");
	/* the code is the value's, whatever it is */
	err_set(&e, NK_REMOTE, "InvalidIndex");
	assert_int_equal(err_prefix(&e, "extend"), NK_REMOTE);
	assert_string_equal(e.msg, "extend: InvalidIndex");
}

static void prefix_without_a_value(void **state)
{
	/* nothing to prefix, nothing failed as far as the caller can tell */
	assert_int_equal(err_prefix(NULL, "x"), NK_OK);
}

static void prefix_of_a_long_message_is_cut_to_fit(void **state)
{
	struct guarded g;
	char big[600], head[400];

	memset(big, 'm', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	guard_init(&g);
	err_set(&g.e, NK_DATA, "%s", big);
	err_prefix(&g.e, "p");
	assert_int_equal(strlen(g.e.msg), sizeof g.e.msg - 1);
	assert_memory_equal(g.e.msg, "p: mmm", 6);
	guard_intact(&g);

	/* a long prefix is cut too, and the result stays one bounded string */
	memset(head, 'h', sizeof head - 1);
	head[sizeof head - 1] = '\0';
	guard_init(&g);
	err_set(&g.e, NK_DATA, "tail");
	err_prefix(&g.e, "%s", head);
	assert_true(strlen(g.e.msg) < sizeof g.e.msg);
	assert_memory_equal(g.e.msg, head, 200);
	guard_intact(&g);
}

static void clear_resets(void **state)
{
	struct nk_err e;

	err_set(&e, NK_IO, "something");
	err_clear(&e);
	assert_int_equal(e.code, NK_OK);
	assert_string_equal(e.msg, "");
	err_clear(NULL);
}

static void set_ssl_appends_the_first_openssl_error(void **state)
{
	struct nk_err e;
	char first[256];

	ERR_clear_error();
	ERR_raise(ERR_LIB_USER, 101);
	ERR_raise(ERR_LIB_USER, 102);
	/* OpenSSL's own rendering of the first error on the queue */
	ERR_error_string_n(ERR_PACK(ERR_LIB_USER, 0, 101), first, sizeof first);
	assert_int_equal(err_set_ssl(&e, NK_DATA, "bad key '%s'", "k.pem"), NK_DATA);
	assert_int_equal(e.code, NK_DATA);
	assert_memory_equal(e.msg, "bad key 'k.pem': ", 17);
	assert_string_equal(e.msg + 17, first);
	/* the queue is left empty for the next caller */
	assert_int_equal(ERR_peek_error(), 0);
}

static void set_ssl_without_an_openssl_error(void **state)
{
	struct nk_err e;

	ERR_clear_error();
	assert_int_equal(err_set_ssl(&e, NK_IO, "signing failed"), NK_IO);
	assert_string_equal(e.msg, "signing failed");
	/* with no value to fill the queue is still emptied */
	ERR_raise(ERR_LIB_USER, 7);
	assert_int_equal(err_set_ssl(NULL, NK_IO, "x"), NK_IO);
	assert_int_equal(ERR_peek_error(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_codes_are_frozen),
		cmocka_unit_test(set_formats_and_returns_the_code),
		cmocka_unit_test(set_without_a_value_still_returns_the_code),
		cmocka_unit_test(trailing_colon_appends_strerror),
		cmocka_unit_test(vset_direct),
		cmocka_unit_test(long_messages_are_cut_to_fit),
		cmocka_unit_test(prefix_names_the_context),
		cmocka_unit_test(prefix_without_a_value),
		cmocka_unit_test(prefix_of_a_long_message_is_cut_to_fit),
		cmocka_unit_test(clear_resets),
		cmocka_unit_test(set_ssl_appends_the_first_openssl_error),
		cmocka_unit_test(set_ssl_without_an_openssl_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
