#!/usr/bin/env bats
# The corpus replays of `make check` (tests/fuzz/replay_main.c, linked into
# every tests/fuzz/fuzz_*.replay): a corpus file that cannot be read is
# reported with its name and the reason, and fails the replay, instead of
# being skipped.  The tests run as root, for whom no file is unreadable, so
# "unreadable" is a missing file and a directory.
load common

REPLAY="$NK_ROOT/tests/fuzz/fuzz_eif.replay"
FAIL_TOOL=fuzz_eif.replay
FAIL_CMD=("$REPLAY")

setup_file() {
	[ -x "$REPLAY" ] || skip "tests/fuzz/fuzz_eif.replay is not built (make check-build)"
}

@test "replay: readable corpus files, empty ones too, replay with exit 0 and say nothing" {
	printf 'not an EIF' >garbage.bin
	: >empty.bin
	run -0 --separate-stderr "$REPLAY" garbage.bin empty.bin "$NK_ROOT"/tests/fuzz/corpus/fuzz_eif/*
	[ -z "$stderr" ]
}

@test "replay: a missing corpus file is reported with its reason, exit 1" {
	fails 1 "cannot open 'missing.bin': No such file or directory" missing.bin
}

@test "replay: a directory is reported, exit 1" {
	mkdir adir
	fails 1 "cannot read 'adir': Is a directory" adir
}

@test "replay: every bad file is named, not only the first" {
	printf 'not an EIF' >good.bin
	mkdir adir
	run -1 --separate-stderr "$REPLAY" good.bin missing.bin adir good.bin
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${stderr_lines[0]}" = "fuzz_eif.replay: cannot open 'missing.bin': No such file or directory" ]
	[ "${stderr_lines[1]}" = "fuzz_eif.replay: cannot read 'adir': Is a directory" ]
}

@test "replay: no corpus file at all is a usage error, not a pass" {
	run -2 --separate-stderr "$REPLAY"
	[ "$stderr" = "usage: fuzz_eif.replay CORPUS_FILE..." ]
}
