/* The exit-code table (err_codes in lib/util/err.c) is the one source of the
 * codes of DESIGN §3; this test holds the two other places that show them to
 * it: man/exit-codes.scd (spliced into every man page) must list exactly its
 * codes and meanings, and every tool's --help must name exactly its codes
 * with their short names.  kmstool_enclave_cli is the exception by design:
 * it keeps AWS's 0/1/255, so neither its page nor its help may claim ours.
 *
 * Files are found from argv[0] (tests/unit/test_exit_codes → ../..), so the
 * test runs from any directory. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <ctype.h>
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/err.h"

/* AWS's drop-in: its own codes (DESIGN §1, §3). */
#define AWS_DROP_IN "kmstool_enclave_cli"

static char root[PATH_MAX];

/* The whole of a file or a command's output, NUL-terminated; NULL when it
 * cannot be opened or run. */
static char *slurp(FILE *f)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap);

	assert_non_null(buf);
	for (;;) {
		size_t got = fread(buf + n, 1, cap - n - 1, f);

		n += got;
		if (got == 0)
			break;
		if (cap - n - 1 == 0) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[n] = '\0';
	return buf;
}

static char *read_file(const char *rel)
{
	char path[PATH_MAX + 64];
	FILE *f;
	char *s;

	snprintf(path, sizeof path, "%s/%s", root, rel);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	s = slurp(f);
	fclose(f);
	return s;
}

/* Collapse every run of white space into one space, in place. */
static void squeeze(char *s)
{
	char *w = s;
	int space = 0;

	for (char *r = s; *r; r++) {
		if (isspace((unsigned char)*r)) {
			space = 1;
			continue;
		}
		if (space && w != s)
			*w++ = ' ';
		space = 0;
		*w++ = *r;
	}
	*w = '\0';
}

/* The tools of cmd/, sorted; returns how many. */
static size_t list_tools(char names[][64], size_t max)
{
	char path[PATH_MAX + 8];
	struct dirent *d;
	size_t n = 0;
	DIR *dir;

	snprintf(path, sizeof path, "%s/cmd", root);
	dir = opendir(path);
	assert_non_null(dir);
	while ((d = readdir(dir)) && n < max) {
		if (d->d_name[0] == '.' || strlen(d->d_name) >= 64)
			continue;
		strcpy(names[n++], d->d_name);
	}
	closedir(dir);
	qsort(names, n, 64, (int (*)(const void *, const void *))strcmp);
	return n;
}

static void table_has_one_row_per_code_in_order(void **state)
{
	assert_int_equal(NK_EXIT_COUNT, NK_TRANSPORT + 1);
	for (int c = 0; c < NK_EXIT_COUNT; c++) {
		const struct err_code *r = &err_codes[c];

		assert_int_equal(r->code, c);
		/* lowercase, one line, no final period (DESIGN §3's style); names
		 * are items of a comma-separated list in --help */
		assert_non_null(r->name);
		assert_non_null(r->meaning);
		assert_true(islower((unsigned char)r->name[0]));
		assert_true(islower((unsigned char)r->meaning[0]));
		assert_null(strpbrk(r->name, ",.\n"));
		assert_null(strchr(r->meaning, '\n'));
		assert_true(r->meaning[strlen(r->meaning) - 1] != '.');
	}
}

/* The rows of the scdoc table of man/exit-codes.scd:
 *   |[ *0*          or   |  *1*
 *   :< meaning           :  meaning
 *      continued...
 * Returns how many, codes[] and meanings[] filled (meanings malloc'd). */
static int man_rows(char *text, int codes[], char *meanings[], int max)
{
	int n = 0;

	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '|') {
			char *star = strchr(line, '*');

			assert_true(n < max);
			assert_non_null(star);
			codes[n] = atoi(star + 1);
			meanings[n] = NULL;
			n++;
		} else if (line[0] == ':' && n > 0 && !meanings[n - 1]) {
			meanings[n - 1] = strdup(line + 2);
			squeeze(meanings[n - 1]);
		} else if (line[0] == ' ' && n > 0 && meanings[n - 1]) {
			size_t a = strlen(meanings[n - 1]);

			meanings[n - 1] = realloc(meanings[n - 1], a + strlen(line) + 2);
			snprintf(meanings[n - 1] + a, strlen(line) + 2, " %s", line);
			squeeze(meanings[n - 1]);
		}
	}
	return n;
}

static void man_fragment_lists_exactly_the_table(void **state)
{
	char *text = read_file("man/exit-codes.scd");
	int codes[32];
	char *meanings[32];
	int n;

	if (!text)
		fail_msg("cannot read %s/man/exit-codes.scd", root);
	assert_non_null(strstr(text, "# EXIT STATUS"));
	n = man_rows(text, codes, meanings, 32);
	if (n != NK_EXIT_COUNT)
		fail_msg("man/exit-codes.scd has %d codes, err_codes %d", n, NK_EXIT_COUNT);
	for (int i = 0; i < n; i++) {
		assert_int_equal(codes[i], err_codes[i].code);
		assert_non_null(meanings[i]);
		if (strcmp(meanings[i], err_codes[i].meaning) != 0)
			fail_msg("code %d: man page says \"%s\", err_codes \"%s\"", codes[i], meanings[i],
				 err_codes[i].meaning);
		free(meanings[i]);
	}
	free(text);
}

static void every_man_page_includes_the_fragment(void **state)
{
	char tools[64][64];
	size_t n = list_tools(tools, 64);

	assert_true(n > 0);
	for (size_t i = 0; i < n; i++) {
		char rel[200];
		char *page;
		int has;

		snprintf(rel, sizeof rel, "cmd/%s/%s.1.scd", tools[i], tools[i]);
		page = read_file(rel);
		if (!page)
			fail_msg("cannot read %s", rel);
		has = strstr(page, "\n%EXIT_CODES%\n") != NULL;
		free(page);
		if (has != (strcmp(tools[i], AWS_DROP_IN) != 0))
			fail_msg("%s: %s %%EXIT_CODES%%", rel, has ? "must not splice" : "does not splice");
	}
}

/* "Exit codes: 0 ok, 1 negative verdict, ..., 6 transport failure": the
 * sentence --help must print (line breaks anywhere), built from the table. */
static void expected_help_sentence(char *buf, size_t cap)
{
	size_t n = (size_t)snprintf(buf, cap, "Exit codes:");

	for (int c = 0; c < NK_EXIT_COUNT && n < cap; c++)
		n += (size_t)snprintf(buf + n, cap - n, "%s %d %s", c ? "," : "", err_codes[c].code,
				      err_codes[c].name);
}

static void every_help_names_the_codes(void **state)
{
	char tools[64][64], want[512];
	size_t n = list_tools(tools, 64);

	expected_help_sentence(want, sizeof want);
	for (size_t i = 0; i < n; i++) {
		char cmd[PATH_MAX + 200], bin[PATH_MAX + 100];
		char *out, *at, *end;
		FILE *p;

		snprintf(bin, sizeof bin, "%s/bin/%s", root, tools[i]);
		if (access(bin, X_OK) != 0) {
			print_message("bin/%s is not built: run make\n", tools[i]);
			skip();
		}
		snprintf(cmd, sizeof cmd, "'%s' --help 2>&1", bin);
		p = popen(cmd, "r");
		assert_non_null(p);
		out = slurp(p);
		assert_int_equal(pclose(p), 0);
		at = strstr(out, "Exit codes");
		if (!at)
			fail_msg("%s --help names no exit codes", tools[i]);
		end = strchr(at, '.');
		if (end)
			*end = '\0';
		squeeze(at);
		if (strcmp(tools[i], AWS_DROP_IN) == 0) {
			if (strcmp(at, want) == 0)
				fail_msg("%s --help claims nitrokit's codes, not AWS's", tools[i]);
		} else if (strcmp(at, want) != 0) {
			fail_msg("%s --help says\n  \"%s\"\nexpected\n  \"%s\"", tools[i], at, want);
		}
		free(out);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(table_has_one_row_per_code_in_order),
		cmocka_unit_test(man_fragment_lists_exactly_the_table),
		cmocka_unit_test(every_man_page_includes_the_fragment),
		cmocka_unit_test(every_help_names_the_codes),
	};
	char self[PATH_MAX];

	snprintf(self, sizeof self, "%s", argc > 0 ? argv[0] : ".");
	snprintf(root, sizeof root, "%s/../..", dirname(self));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
