#!/usr/bin/env bats
# scripts/check-layers.sh, which make check runs first: the repository passes,
# and it must be able to fail.  Each test writes a small
# lib/ tree with one deliberate mistake and checks the exit status and the
# exact "file:line: why" line; a clean tree with the traps the scanner must
# not fall into (comments, strings, snprintf, atexit) passes.
load common

CHECK="$NK_ROOT/scripts/check-layers.sh"
ORDER='(layers: util < eif < attest < policy < nsm < kms < sim < tool)'
WHY=': only lib/tool and cmd/ print or exit (report through err values and util/log.h)'

# put PATH LINE...: a file of the tree under $T/tree, one argument a line.
put() {
	mkdir -p "$T/tree/${1%/*}"
	printf '%s\n' "${@:2}" >"$T/tree/$1"
}

# A tree that follows the rule, traps included.
clean_tree() {
	put lib/util/log.h '#include <stdarg.h>' 'void log_trace(const char *fmt, ...);'
	put lib/util/log.c '#include "util/log.h"' '#include <stdio.h>' \
		'/* never printf(...) to stdout here:' ' * exit(1) is the tool'"'"'s job */' \
		'static char b[64]; // fprintf(stderr, ...) is for tool/' \
		'void log_trace(const char *fmt, ...) { snprintf(b, sizeof b, "printf(\"%s\") stderr", fmt); }' \
		'int log_quote(void) { return '"'\"'"' + '"'\\\\'"'; }' \
		'void log_atexit(void) { atexit(0); pthread_exit(0); }'
	put lib/kms/kms.c '#include "util/log.h"' '#include "kms/kms.h"' 'int kms_x(void) { return 0; }'
	put lib/kms/kms.h '#include "util/log.h"'
	put lib/tool/cli.c '#include "kms/kms.h"' '#include "util/log.h"' \
		'void cli_warn(void) { fprintf(stderr, "x\n"); exit(2); }'
}

@test "this repository's lib/ follows the rule" {
	run --separate-stderr "$CHECK"
	[ "$status" -eq 0 ] && [[ "$output" == "check-layers: "*" files, no violation $ORDER" ]] ||
		{ echo "$output"; echo "$stderr"; return 1; }
}

@test "a tree that follows the rule passes: comments, strings, snprintf and atexit are not calls" {
	clean_tree
	run -0 --separate-stderr "$CHECK" "$T/tree"
	[ "$output" = "check-layers: 5 files, no violation $ORDER" ]
	[ -z "$stderr" ]
}

@test "an include of a later layer fails, naming the file and the line" {
	clean_tree
	put lib/util/err.c '#include <stdio.h>' '#include "kms/kms.h"' 'int err_x;'
	run -1 --separate-stderr "$CHECK" "$T/tree"
	[ "$output" = "lib/util/err.c:2: lib/util includes \"kms/kms.h\" $ORDER" ]
	[ "$stderr" = "check-layers: 1 violation in 6 files $ORDER" ]
}

@test "an include of a layer just after fails too; of an earlier one passes" {
	clean_tree
	put lib/nsm/nsm.c '#include "policy/policy.h"' '#include "attest/attest.h"' '#include "kms/kms.h"'
	run -1 --separate-stderr "$CHECK" "$T/tree"
	[ "$output" = "lib/nsm/nsm.c:3: lib/nsm includes \"kms/kms.h\" $ORDER" ]
}

@test "printf in lib/kms fails" {
	clean_tree
	put lib/kms/kmsclient.c '#include "kms/kms.h"' '' 'void f(int n)' '{' '	printf("%d\n", n);' '}'
	run -1 --separate-stderr "$CHECK" "$T/tree"
	[ "$output" = "lib/kms/kmsclient.c:5: lib/kms calls printf()$WHY" ]
}

@test "exit( in lib/util fails, and so does every other printing call and stdout" {
	clean_tree
	put lib/util/io.c '#include "util/log.h"' 'void die(void) {' '	if (1) exit (4);' '}' \
		'void w(void) { fputs("x", stdout); }' 'void v(FILE *f) { vfprintf(f, "%s", 0); }' \
		'void p(void) { perror("x"); _exit(1); }' 'FILE *e(void) { return stderr; }'
	run -1 --separate-stderr "$CHECK" "$T/tree"
	[ "${lines[0]}" = "lib/util/io.c:3: lib/util calls exit()$WHY" ]
	[ "${lines[1]}" = "lib/util/io.c:5: lib/util calls fputs()$WHY" ]
	[ "${lines[2]}" = "lib/util/io.c:6: lib/util calls vfprintf()$WHY" ]
	[ "${lines[3]}" = "lib/util/io.c:7: lib/util calls perror()$WHY" ]
	[ "${lines[4]}" = "lib/util/io.c:8: lib/util uses stderr$WHY" ]
	[ "${#lines[@]}" -eq 5 ]
	[ "$stderr" = "check-layers: 5 violations in 6 files $ORDER" ]
}

@test "a bare include, an unknown folder and a folder that is no layer fail" {
	clean_tree
	put lib/eif/eif.h '#include "err.h"' '#include "crypto/sha.h"'
	put lib/misc/x.c 'int x;'
	run -1 --separate-stderr "$CHECK" "$T/tree"
	[ "${lines[0]}" = "lib/eif/eif.h:1: lib/eif includes \"err.h\" without its folder $ORDER" ]
	[ "${lines[1]}" = "lib/eif/eif.h:2: lib/eif includes \"crypto/sha.h\": no layer \"crypto\" $ORDER" ]
	[ "${lines[2]}" = "lib/misc/x.c:1: lib/misc is not a layer $ORDER" ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "cmd/ may include any layer and print, but always names the folder" {
	clean_tree
	put cmd/t/main.c '#include "tool/cli.h"' '#include "sim/nsmsim.h"' \
		'int main(void) { printf("x"); fprintf(stderr, "y"); exit(0); }'
	run -0 "$CHECK" "$T/tree"
	put cmd/t/main.c '#include "tool/cli.h"' '#include "cli.h"' '#include "app/x.h"'
	run -1 --separate-stderr "$CHECK" "$T/tree"
	[ "${lines[0]}" = "cmd/t/main.c:2: cmd/t includes \"cli.h\" without its folder $ORDER" ]
	[ "${lines[1]}" = "cmd/t/main.c:3: cmd/t includes \"app/x.h\": no layer \"app\" $ORDER" ]
	[ "${#lines[@]}" -eq 2 ]
}

@test "an include inside a block comment is no include" {
	clean_tree
	put lib/util/x.c '/*' '#include "tool/cli.h"' ' */' '#include "util/log.h"'
	run -0 "$CHECK" "$T/tree"
}

@test "a root without lib/*/*.[ch] is exit 2" {
	run -2 --separate-stderr "$CHECK" "$T"
	[ "$stderr" = "check-layers: no lib/*/*.c or lib/*/*.h under '$T'" ]
	run -2 --separate-stderr "$CHECK" "$T/none"
	[ "$stderr" = "check-layers: cannot enter '$T/none'" ]
}
