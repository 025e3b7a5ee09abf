#!/usr/bin/env bats
# The shared helpers of common.bash, checked on their own.  The failure
# helpers (fails, fails_prefix, fails_match) carry several hundred assertions
# of the other files, so each must reject every way a failure can be wrong:
# the exit code, anything on stdout, the message, a second line, and what
# FAIL_CHECK looks for.  The tool is a stand-in script whose exit code,
# stdout and stderr each test chooses.
load common

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T" || return 1
	cat >stand-in <<'EOF'
#!/bin/sh
printf '%s' "$STANDIN_OUT"
printf '%s' "$STANDIN_ERR" >&2
exit "$STANDIN_CODE"
EOF
	chmod +x stand-in
	FAIL_TOOL=stand-in
	FAIL_CMD=("$T/stand-in")
}

# behave CODE STDERR [STDOUT]: what the stand-in does when next run.
behave() {
	export STANDIN_CODE=$1 STANDIN_ERR=$2 STANDIN_OUT=${3:-}
}

# rejected WHY HELPER ARGS...: the helper fails, and its explanation says WHY.
rejected() {
	local why=$1
	shift
	run "$@"
	[ "$status" -ne 0 ] || { echo "$* accepted it"; return 1; }
	[[ $output == *"$why"* ]] || { echo "$* said: $output"; return 1; }
}

@test "a failure as the contract wants it passes all three" {
	behave 3 $'stand-in: \'x.bin\': truncated at byte 4\n'
	fails 3 "'x.bin': truncated at byte 4" x.bin
	fails_prefix 3 "'x.bin': truncated" x.bin
	fails_match 3 "^stand-in: 'x\.bin': truncated at byte [0-9]+$" x.bin
	# bats' variables stay set for the caller's own checks
	[ "$status" -eq 3 ] && [ "$stderr" = "stand-in: 'x.bin': truncated at byte 4" ]
}

@test "another exit code is rejected, success too" {
	behave 4 $'stand-in: no such file\n'
	rejected "exit 4, expected 3" fails 3 "no such file"
	rejected "exit 4, expected 3" fails_prefix 3 "no such"
	rejected "exit 4, expected 3" fails_match 3 "no such"
	behave 0 $'stand-in: no such file\n'
	rejected "exit 0, expected 4" fails 4 "no such file"
}

@test "anything on stdout is rejected" {
	behave 2 $'stand-in: bad option\n' "partial output"
	rejected "stdout not empty" fails 2 "bad option"
	rejected "stdout not empty" fails_prefix 2 "bad"
	rejected "stdout not empty" fails_match 2 "bad option"
}

@test "another message is rejected: exact, prefix and regex" {
	behave 2 $'stand-in: bad option\n'
	rejected "expected: stand-in: bad opt" fails 2 "bad opt"
	rejected "expected: stand-in: bad option '-x'" fails 2 "bad option '-x'"
	rejected "expected: stand-in: option..." fails_prefix 2 "option"
	rejected "does not match" fails_match 2 "^stand-in: bad option '-x'$"
	# the message must come after the tool's name
	behave 2 $'other: bad option\n'
	rejected "expected: stand-in: bad option" fails 2 "bad option"
	rejected "expected: stand-in: bad..." fails_prefix 2 "bad"
}

@test "a second line on stderr is rejected" {
	behave 3 $'stand-in: bad data\nstand-in: more\n'
	rejected "expected: stand-in: bad data" fails 3 "bad data"
	rejected "not one line on stderr" fails_prefix 3 "bad data"
	rejected "not one line on stderr" fails_match 3 "bad data"
	behave 3 ''
	rejected "not one line on stderr" fails_prefix 3 ""
}

@test "FAIL_CHECK runs after each, and its failure is theirs" {
	behave 4 $'stand-in: cannot write\n'
	: >left-behind
	no_leftover() { [ ! -e left-behind ] || { echo "left-behind is there"; return 1; }; }
	FAIL_CHECK=no_leftover
	rejected "left-behind is there" fails 4 "cannot write"
	rejected "left-behind is there" fails_prefix 4 "cannot"
	rejected "left-behind is there" fails_match 4 "cannot write"
	rm left-behind
	fails 4 "cannot write"
}

@test "without FAIL_CMD they run FAIL_TOOL; without FAIL_TOOL they refuse" {
	behave 5 $'stand-in: refused\n'
	PATH="$T:$PATH"
	FAIL_CMD=()
	fails 5 "refused"
	FAIL_TOOL=
	rejected "FAIL_TOOL is not set" fails 5 "refused"
}

@test "wait_ready: returns once every file is there; a server that exits first fails it, with its log" {
	(sleep 0.1; echo 1234 >port; sleep 0.2; : >ready; sleep 1) 3>&- &
	wait_ready "$!" /dev/null -s port -e ready
	[ -e ready ] && [ -s port ]
	echo "bind: address in use" >server.log
	sh -c 'exit 3' 3>&- &
	rejected "bind: address in use" wait_ready "$!" server.log -s never
	[[ $output == *"exited before -s never held"* ]]
}

@test "refuses_terminal: exit 2 and the refusal, nothing else passes" {
	command -v script >/dev/null || skip "script(1) is not installed"
	cat >bin-out <<'EOF'
#!/bin/sh
[ -t 1 ] || exit 0
echo "bin-out: refusing to write binary data to a terminal (use -o FILE or --force)" >&2
exit "${1:-2}"
EOF
	chmod +x bin-out
	PATH="$T:$PATH"
	refuses_terminal "bin-out"
	rejected "exit 1, expected 2" refuses_terminal "bin-out 1"
	rejected "exit 0, expected 2" refuses_terminal "true"
}
