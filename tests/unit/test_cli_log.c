/* cli's stderr: the log sink it installs at start-up prints the library's
 * narration as "prog: msg" with --verbose only and its warnings as
 * "prog: warning: msg" unless --quiet; cli_trace and cli_warn go the same
 * way, and cli_print_err prints an error value as the run's one line. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tool/cli.h"
#include "util/log.h"

#include "capture.h"

static void trace_needs_verbose(void **state)
{
	cli_set_verbosity(0, 0);
	capture(2);
	log_trace("KMS at '%s'", "u");
	cli_trace("%d bytes", 4);
	assert_string_equal(captured(), "");
	cli_set_verbosity(1, 0);
	capture(2);
	log_trace("KMS at '%s'", "u");
	cli_trace("%d bytes", 4);
	assert_string_equal(captured(), "t: KMS at 'u'\nt: 4 bytes\n");
	cli_set_verbosity(0, 0);
}

static void warnings_unless_quiet(void **state)
{
	capture(2);
	log_warn("%s", "no admin");
	assert_string_equal(captured(), "t: warning: no admin\n");
	cli_set_verbosity(0, 1);
	capture(2);
	log_warn("%s", "no admin");
	assert_string_equal(captured(), "");
	cli_set_verbosity(0, 0);
}

static void tool_warnings_and_errors(void **state)
{
	struct nk_err e = { 0 };

	capture(2);
	cli_warn("no %s or --admin", "--account");
	err_set(&e, NK_USAGE, "--bytes must not be empty");
	cli_print_err(&e);
	err_clear(&e);
	cli_print_err(&e);
	assert_string_equal(captured(), "t: warning: no --account or --admin\n"
			    "t: --bytes must not be empty\nt: unknown error\n");
	cli_set_verbosity(0, 1);
	capture(2);
	cli_warn("dropped");
	cli_print_err(&(struct nk_err){ NK_IO, "errors are never quiet" });
	assert_string_equal(captured(), "t: errors are never quiet\n");
	cli_set_verbosity(0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trace_needs_verbose),
		cmocka_unit_test(warnings_unless_quiet),
		cmocka_unit_test(tool_warnings_and_errors),
	};

	cli_process_init("t");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
