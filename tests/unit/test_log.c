/* log: the sink gets each line once with its level, nothing goes anywhere
 * without a sink, and a line longer than the stack buffer arrives whole. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "util/log.h"

struct seen {
	int calls;
	enum log_level level;
	char *msg;
};

static void keep(void *ctx, enum log_level level, const char *msg)
{
	struct seen *s = ctx;

	s->calls++;
	s->level = level;
	free(s->msg);
	s->msg = strdup(msg);
}

static int reset(void **state)
{
	log_set_sink(NULL, NULL);
	log_want(LOG_TRACE, 0);
	log_want(LOG_WARN, 1);
	return 0;
}

static void trace_and_warn_reach_the_sink(void **state)
{
	struct seen s = { 0 };

	log_set_sink(keep, &s);
	log_trace("not wanted until asked for: %s", "dropped");
	assert_int_equal(s.calls, 0);
	log_want(LOG_TRACE, 1);
	log_trace("KMS at '%s', region %s", "http://127.0.0.1:1/", "us-east-1");
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.level, LOG_TRACE);
	assert_string_equal(s.msg, "KMS at 'http://127.0.0.1:1/', region us-east-1");
	log_warn("%d policies", 2);
	assert_int_equal(s.calls, 2);
	assert_int_equal(s.level, LOG_WARN);
	assert_string_equal(s.msg, "2 policies");
	log_want(LOG_WARN, 0);
	log_want(LOG_TRACE, 0);
	log_warn("quiet");
	log_trace("not verbose");
	assert_int_equal(s.calls, 2);
	log_want(LOG_WARN, 1);
	free(s.msg);
}

static void no_sink_no_call(void **state)
{
	struct seen s = { 0 };

	log_set_sink(keep, &s);
	log_set_sink(NULL, NULL);
	log_trace("dropped");
	log_warn("dropped");
	assert_int_equal(s.calls, 0);
}

static void long_lines_arrive_whole(void **state)
{
	struct seen s = { 0 };
	char *path = malloc(5001);

	memset(path, 'p', 5000);
	path[5000] = 0;
	log_set_sink(keep, &s);
	log_want(LOG_TRACE, 1);
	log_trace("using the NSM at '%s'", path);
	assert_int_equal(s.calls, 1);
	assert_int_equal(strlen(s.msg), strlen("using the NSM at ''") + 5000);
	assert_memory_equal(s.msg + 18, path, 5000);
	free(path);
	free(s.msg);
}

static void wrapper(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_WARN, fmt, ap);
	va_end(ap);
}

static void vmsg_for_wrappers(void **state)
{
	struct seen s = { 0 };

	log_set_sink(keep, &s);
	wrapper("%s=%d", "n", 3);
	assert_int_equal(s.level, LOG_WARN);
	assert_string_equal(s.msg, "n=3");
	free(s.msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(trace_and_warn_reach_the_sink, reset),
		cmocka_unit_test_teardown(no_sink_no_call, reset),
		cmocka_unit_test_teardown(long_lines_arrive_whole, reset),
		cmocka_unit_test_teardown(vmsg_for_wrappers, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
