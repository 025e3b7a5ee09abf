# Shared set-up for the bats files: the built binaries first on PATH, C locale,
# a fresh temporary directory per test, the shared test vectors when present.
bats_require_minimum_version 1.5.0

NK_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export PATH="$NK_ROOT/bin:$PATH"
export LC_ALL=C
FIXTURES="$NK_ROOT/tests/fixtures"
TESTDATA=${NITROKIT_TESTDATA:-$NK_ROOT/../shared/testdata}
PYTHON=${PYTHON:-python3}

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T" || return 1
}

# Skip (with the reason) when the shared test vectors are absent.
need_testdata() {
	[ -d "$TESTDATA" ] || skip "shared test vectors not found at $TESTDATA"
}

# Skip when bin/TOOL is not built.
need_tool() {
	[ -x "$NK_ROOT/bin/$1" ] || skip "bin/$1 is not built"
}

# Skip when $PYTHON has no botocore (the independent SigV4 signer).
need_botocore() {
	"$PYTHON" -c 'import botocore' 2>/dev/null || skip "botocore not installed for $PYTHON"
}

# Compare two JSON texts as parsed values (key order and spacing ignored).
json_eq() {
	"$PYTHON" -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); sys.exit(0 if a==b else 1)' "$1" "$2" \
		|| { echo "JSON differs:"; echo "got:      $1"; echo "expected: $2"; return 1; }
}

# Print one field of a JSON document: json_get '{"a":{"b":1}}' a b
json_get() {
	"$PYTHON" -c 'import json,sys
v=json.loads(sys.argv[1])
for k in sys.argv[2:]: v=v[k]
print(json.dumps(v) if not isinstance(v,str) else v)' "$@"
}

# wait_ready PID LOG TEST PATH [TEST PATH]...: wait until every `test TEST PATH`
# holds (e.g. -s "$T/nsm.pid" -S "$T/nsm.sock"), for a server started in the
# background as PID that creates them once it accepts.  Polls every 25 ms for
# 10 s at most; fails, showing LOG (a file, or /dev/null), when PID exits
# first or time runs out.  (The loop counter is local: bats 1.8's run changes
# a global i.)
wait_ready() {
	local pid=$1 log=$2 n k ok
	shift 2
	for ((n = 0; n < 400; n++)); do
		ok=1
		for ((k = 1; k < $#; k += 2)); do
			test "${@:k:1}" "${@:k+1:1}" || { ok=0; break; }
		done
		[ "$ok" = 0 ] || return 0
		kill -0 "$pid" 2>/dev/null || { cat "$log"; echo "process $pid exited before $* held"; return 1; }
		sleep 0.025
	done
	cat "$log"
	echo "$* did not hold after 10 s"
	return 1
}

# refuses_terminal "TOOL ARGS": the command line (one shell string), run with
# its stdout on a terminal (script(1)), exits 2 with DESIGN §3's refusal to
# write binary data there.
refuses_terminal() {
	local tool=${1%% *}
	run script -qec "$1" /dev/null
	[ "$status" -eq 2 ] || { echo "$1 on a terminal: exit $status, expected 2: $output"; return 1; }
	[[ $output == *"$tool: refusing to write binary data to a terminal (use -o FILE or --force)"* ]] ||
		{ echo "$1 on a terminal: $output"; return 1; }
}

# --- failure assertions ------------------------------------------------------------
# Every tool fails the same way (DESIGN §3): an exit code, one line on stderr
# that starts with "tool: ", nothing on stdout.  The three helpers below check
# exactly that, each with its own way of matching the message:
#
#   fails CODE MESSAGE ARGS...        stderr is exactly "TOOL: MESSAGE"
#   fails_prefix CODE PREFIX ARGS...  stderr is one line starting "TOOL: PREFIX"
#                                     (for messages that end in OpenSSL's or
#                                     jansson's words)
#   fails_match CODE REGEX ARGS...    stderr is one line matching the bash
#                                     regex REGEX (which names the tool itself)
#
# A file says which tool they run by setting, at its top or in a test:
#   FAIL_TOOL=name      the tool, and the "name: " its messages start with
#   FAIL_CMD=(...)      optional: the command to run instead of FAIL_TOOL, for
#                       fixed arguments or environment, e.g.
#                       (env NITROKIT_NSM=/nonexistent/nsm nsm-random)
#   FAIL_CHECK=func     optional: a function run after each of them, for what
#                       a failure must not leave behind (a half-written file)
# They leave bats' $status, $output and $stderr set, for further checks.

# fail_run ARGS...: run the failing command with ARGS and check the parts the
# three helpers share: the exit code and an empty stdout.
fail_run() {
	local code=$1
	shift
	[ -n "${FAIL_TOOL:-}" ] || { echo "FAIL_TOOL is not set"; return 1; }
	local cmd=("$FAIL_TOOL")
	[ "${#FAIL_CMD[@]}" -eq 0 ] || cmd=("${FAIL_CMD[@]}")
	run --separate-stderr "${cmd[@]}" "$@"
	[ "$status" -eq "$code" ] || { echo "$FAIL_TOOL $*: exit $status, expected $code; stderr: $stderr"; return 1; }
	[ -z "$output" ] || { echo "$FAIL_TOOL $*: stdout not empty: $output"; return 1; }
}

# fail_after: the file's FAIL_CHECK, when it set one.
fail_after() {
	[ -z "${FAIL_CHECK:-}" ] || "$FAIL_CHECK"
}

fails() {
	local code=$1 msg=$2
	shift 2
	fail_run "$code" "$@" || return 1
	[ "$stderr" = "$FAIL_TOOL: $msg" ] ||
		{ printf '%s %s:\nstderr:   %s\nexpected: %s: %s\n' "$FAIL_TOOL" "$*" "$stderr" "$FAIL_TOOL" "$msg"; return 1; }
	fail_after
}

fails_prefix() {
	local code=$1 msg=$2
	shift 2
	fail_run "$code" "$@" || return 1
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "$FAIL_TOOL $*: not one line on stderr: $stderr"; return 1; }
	case "$stderr" in
	"$FAIL_TOOL: $msg"*) ;;
	*) printf '%s %s:\nstderr:   %s\nexpected: %s: %s...\n' "$FAIL_TOOL" "$*" "$stderr" "$FAIL_TOOL" "$msg"; return 1 ;;
	esac
	fail_after
}

fails_match() {
	local code=$1 re=$2
	shift 2
	fail_run "$code" "$@" || return 1
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "$FAIL_TOOL $*: not one line on stderr: $stderr"; return 1; }
	[[ $stderr =~ $re ]] || { echo "$FAIL_TOOL $*: stderr '$stderr' does not match '$re'"; return 1; }
	fail_after
}
