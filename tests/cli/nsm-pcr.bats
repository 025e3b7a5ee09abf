#!/usr/bin/env bats
# nsm-pcr against nsm-sim.  Expected PCR values come from Python's hashlib
# (new = SHA384(old || data)) and from tests/fixtures/mkeif.py's independent
# prediction of the image's PCRs; NSM error answers must reach the user as
# exit 5 with the contract's message.
load common
load nsm_sim

# pyenv's python3 is a shell shim that costs ~0.25 s a call: use the interpreter behind it.
PYTHON=${PY_REAL:-$PYTHON}
USAGE_CMDS='expected describe, extend, lock or info'
NO_DEVICE="cannot open '/nonexistent/nsm': No such file or directory (not inside a Nitro Enclave? set NITROKIT_NSM=unix:PATH to use nsm-sim)"
ZERO=$(printf '0%.0s' {1..96})

setup_file() {
	export F="$BATS_FILE_TMPDIR"
	PY_REAL=$("$PYTHON" -c 'import sys; print(sys.executable)') && export PY_REAL && PYTHON=$PY_REAL
	"$PYTHON" "$FIXTURES/mkeif.py" --synthetic -o "$F/app.eif" --pcrs >"$F/app.pcrs"
}

teardown() {
	stop_sim
}


# The PCR after extends from a start value: fold START HEX...
fold() {
	"$PYTHON" -c '
import hashlib, sys
v = bytes.fromhex(sys.argv[1])
for d in sys.argv[2:]:
    v = hashlib.sha384(v + bytes.fromhex(d)).digest()
print(v.hex())' "$@"
}

# The "value" of index N in a describe array.
value_of() {
	"$PYTHON" -c 'import json,sys; print([e["value"] for e in json.loads(sys.argv[1]) if e["index"] == int(sys.argv[2])][0])' "$1" "$2"
}

# --- describe --------------------------------------------------------------------

@test "nsm-pcr describe: all 32 PCRs, 0-15 locked, the image's PCR0/1/2 as mkeif.py predicts" {
	sim
	run -0 --separate-stderr nsm-pcr describe
	[ -z "$stderr" ]
	"$PYTHON" - "$output" "$F/app.pcrs" <<'EOF'
import json, sys
got = json.loads(sys.argv[1])
want = json.load(open(sys.argv[2]))
assert [e["index"] for e in got] == list(range(32)), got
assert all(sorted(e) == ["index", "locked", "value"] for e in got)
assert all(e["locked"] is (e["index"] < 16) for e in got), got
assert got[0]["value"] == want["PCR0"] and got[1]["value"] == want["PCR1"] and got[2]["value"] == want["PCR2"]
assert all(e["value"] == "00" * 48 for e in got[16:]), got
EOF
	# 2-space pretty JSON, as every nitrokit tool prints it.
	[ "${lines[0]}" = "[" ]
	[ "${lines[1]}" = "  {" ]
	[ "${lines[2]}" = '    "index": 0,' ]
}

@test "nsm-pcr describe N...: the asked PCRs in the asked order" {
	sim
	run -0 nsm-pcr describe 16 2
	json_eq "$output" "[{\"index\":16,\"locked\":false,\"value\":\"$ZERO\"},
		{\"index\":2,\"locked\":true,\"value\":\"$(json_get "$(cat "$F/app.pcrs")" PCR2)\"}]"
}

@test "nsm-pcr describe 40: the NSM's InvalidIndex is exit 5 with its meaning" {
	sim
	run -5 --separate-stderr nsm-pcr describe 40
	[ -z "$output" ]
	[ "$stderr" = "nsm-pcr: the NSM refused DescribePCR: InvalidIndex (no such PCR)" ]
	run -5 --separate-stderr nsm-pcr describe 65535
	[ "$stderr" = "nsm-pcr: the NSM refused DescribePCR: InvalidIndex (no such PCR)" ]
	# Nothing is printed when a later index fails: the output is all or nothing.
	run -5 --separate-stderr nsm-pcr describe 1 32
	[ -z "$output" ]
}

# --- extend ---------------------------------------------------------------------

@test "nsm-pcr extend: --data-hex, --data-file and stdin give SHA384(old || data), as hashlib" {
	sim
	local v1 v2 v3
	v1=$(fold "$ZERO" 68656c6c6f)
	run -0 --separate-stderr nsm-pcr extend 16 --data-hex 68656C6C6F
	[ "$output" = "$v1" ]
	[ -z "$stderr" ]
	printf 'config\n' >config.txt
	v2=$(fold "$v1" "$(xxd -p config.txt)")
	run -0 nsm-pcr extend 16 --data-file config.txt
	[ "$output" = "$v2" ]
	v3=$(fold "$v2" 00ff)
	run -0 nsm-pcr extend 16 - < <(printf '\000\377')
	[ "$output" = "$v3" ]
	run -0 nsm-pcr describe 16
	json_eq "$output" "[{\"index\":16,\"locked\":false,\"value\":\"$v3\"}]"
	# --data-file - reads stdin too; an empty file extends with no data.
	run -0 nsm-pcr extend 17 --data-file - <config.txt
	[ "$output" = "$(fold "$ZERO" "$(xxd -p config.txt)")" ]
	: >empty
	run -0 nsm-pcr extend 18 --data-file empty
	[ "$output" = "$(fold "$ZERO" '')" ]
	# Options may come before the command, as popt allows.
	run -0 nsm-pcr --data-hex 01 extend 31
	[ "$output" = "$(fold "$ZERO" 01)" ]
}

@test "nsm-pcr extend: the largest data that fits a request, and one byte more" {
	sim
	head -c 4064 /dev/zero | tr '\0' 'x' >max.bin
	run -0 nsm-pcr extend 20 --data-file max.bin
	[ "$output" = "$(fold "$ZERO" "$(xxd -p max.bin | tr -d '\n')")" ]
	printf 'y' >>max.bin
	run -3 --separate-stderr nsm-pcr extend 20 --data-file max.bin
	[ -z "$output" ]
	[ "$stderr" = "nsm-pcr: 'max.bin' is too large (more than 4064 bytes)" ]
	run -3 --separate-stderr nsm-pcr extend 20 --data-hex "$(xxd -p max.bin | tr -d '\n')"
	[ "$stderr" = "nsm-pcr: invalid value '78787878787878787878787878787878...' for --data-hex: too long (4065 bytes, at most 4064)" ]
}

@test "nsm-pcr extend of a locked PCR is ReadOnlyIndex, of PCR 40 InvalidIndex (exit 5)" {
	sim
	run -5 --separate-stderr nsm-pcr extend 0 --data-hex 00
	[ -z "$output" ]
	[ "$stderr" = "nsm-pcr: the NSM refused ExtendPCR: ReadOnlyIndex (the PCR is locked)" ]
	run -5 --separate-stderr nsm-pcr extend 40 --data-hex 00
	[ "$stderr" = "nsm-pcr: the NSM refused ExtendPCR: InvalidIndex (no such PCR)" ]
	# PCR0 is unchanged.
	run -0 nsm-pcr describe 0
	[ "$(value_of "$output" 0)" = "$(json_get "$(cat "$F/app.pcrs")" PCR0)" ]
}

# --- lock -----------------------------------------------------------------------

@test "nsm-pcr lock N: prints nothing, then extends are refused, and locking again succeeds" {
	sim
	local v
	v=$(nsm-pcr extend 16 --data-hex abcd)
	run -0 --separate-stderr nsm-pcr lock 16
	[ -z "$output" ]
	[ -z "$stderr" ]
	run -0 nsm-pcr describe 16
	json_eq "$output" "[{\"index\":16,\"locked\":true,\"value\":\"$v\"}]"
	run -5 --separate-stderr nsm-pcr extend 16 --data-hex 00
	[ "$stderr" = "nsm-pcr: the NSM refused ExtendPCR: ReadOnlyIndex (the PCR is locked)" ]
	run -0 nsm-pcr lock 16
	[ -z "$output" ]
	run -0 nsm-pcr info
	[ "$(json_get "$output" locked_pcrs)" = "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]" ]
	run -5 --separate-stderr nsm-pcr lock 40
	[ "$stderr" = "nsm-pcr: the NSM refused LockPCR: InvalidIndex (no such PCR)" ]
}

@test "nsm-pcr lock --range N locks PCRs 0 to N-1; a range past 32 is InvalidIndex" {
	sim
	run -0 --separate-stderr nsm-pcr lock --range 20
	[ -z "$output" ]
	run -0 nsm-pcr describe 19 20
	[ "$("$PYTHON" -c 'import json,sys; print([e["locked"] for e in json.loads(sys.argv[1])])' "$output")" = "[True, False]" ]
	run -0 nsm-pcr lock --range=32
	run -0 nsm-pcr info
	[ "$(json_get "$output" locked_pcrs)" = "$("$PYTHON" -c 'print(list(range(32)))')" ]
	run -5 --separate-stderr nsm-pcr lock --range 33
	[ "$stderr" = "nsm-pcr: the NSM refused LockPCRs: InvalidIndex (no such PCR)" ]
}

# --- info -----------------------------------------------------------------------

@test "nsm-pcr info: DescribeNSM as JSON" {
	sim
	run -0 --separate-stderr nsm-pcr info
	[ -z "$stderr" ]
	"$PYTHON" - "$output" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
assert list(d) == ["version", "module_id", "max_pcrs", "locked_pcrs", "digest"], d
assert d["version"] == "1.0.0" and d["max_pcrs"] == 32 and d["digest"] == "SHA384", d
assert d["locked_pcrs"] == list(range(16)), d
assert isinstance(d["module_id"], str) and d["module_id"].startswith("i-"), d
EOF
	[ "${lines[1]}" = '  "version": "1.0.0",' ]
}

# --- choosing the NSM -------------------------------------------------------------

@test "nsm-pcr: --nsm overrides NITROKIT_NSM; a missing device and an unreachable socket are exit 4" {
	sim
	NITROKIT_NSM=/nonexistent/nsm run -0 nsm-pcr describe 16 --nsm "unix:$T/nsm.sock"
	json_eq "$output" "[{\"index\":16,\"locked\":false,\"value\":\"$ZERO\"}]"
	NITROKIT_NSM=/nonexistent/nsm run -4 --separate-stderr nsm-pcr describe
	[ -z "$output" ]
	[ "$stderr" = "nsm-pcr: $NO_DEVICE" ]
	run -4 --separate-stderr nsm-pcr info --nsm /nonexistent/nsm
	[ "$stderr" = "nsm-pcr: $NO_DEVICE" ]
	run -4 --separate-stderr nsm-pcr info --nsm "unix:$T/none.sock"
	[ "$stderr" = "nsm-pcr: cannot connect to nsm-sim at '$T/none.sock': No such file or directory" ]
	# A file where the socket should be: nobody listens.
	: >"$T/plain"
	run -4 --separate-stderr nsm-pcr info --nsm "unix:$T/plain"
	[ "$stderr" = "nsm-pcr: cannot connect to nsm-sim at '$T/plain': Connection refused" ]
	# An empty NITROKIT_NSM means the default device.
	NITROKIT_NSM= run -4 --separate-stderr nsm-pcr info
	[[ $stderr == "nsm-pcr: cannot open '/dev/nsm': "* ]]
	run -2 --separate-stderr nsm-pcr info --nsm ''
	[ "$stderr" = "nsm-pcr: --nsm must not be empty" ]
}

@test "nsm-pcr --verbose names the NSM it uses" {
	sim
	run -0 --separate-stderr nsm-pcr --verbose describe 16
	[ "$stderr" = "nsm-pcr: using the NSM at 'unix:$T/nsm.sock'" ]
}

# --- the bad-input table ----------------------------------------------------------

# bad EXIT MESSAGE ARGS...: nsm-pcr ARGS exits EXIT with exactly "nsm-pcr: MESSAGE"
# on stderr and nothing on stdout.
bad() {
	local code=$1 msg=$2
	shift 2
	run "-$code" --separate-stderr nsm-pcr "$@"
	[ -z "$output" ] || { echo "stdout of nsm-pcr $*: $output"; return 1; }
	[ "$stderr" = "nsm-pcr: $msg" ] || { echo "nsm-pcr $*: got '$stderr', expected 'nsm-pcr: $msg'"; return 1; }
}

@test "nsm-pcr: commands and operands are checked before the NSM is asked (exit 2)" {
	# An unreachable NSM shows the checks come first: these are not exit 4.
	export NITROKIT_NSM=/nonexistent/nsm
	bad 2 "missing command ($USAGE_CMDS)"
	bad 2 "unknown command 'foo' ($USAGE_CMDS)" foo
	bad 2 "unknown command 'DESCRIBE' ($USAGE_CMDS)" DESCRIBE
	bad 2 "invalid PCR index 'x': expected a number from 0 to 31" describe x
	bad 2 "invalid PCR index '65536': expected a number from 0 to 31" describe 65536
	bad 2 "invalid PCR index '1.5': expected a number from 0 to 31" extend 1.5 --data-hex 00
	bad 2 "unknown option '-1' (see 'nsm-pcr --help')" describe -1
	bad 2 "extend needs a PCR index (usage: nsm-pcr extend N --data-hex HEX|--data-file FILE|-)" extend
	bad 2 "extend needs data: --data-hex HEX, --data-file FILE or - for standard input" extend 16
	bad 2 "extend takes its data from one of --data-hex, --data-file and -" extend 16 --data-hex 00 --data-file x
	bad 2 "extend takes its data from one of --data-hex, --data-file and -" extend 16 - --data-hex 00
	bad 2 "unexpected operand 'x' for extend" extend 16 x
	bad 2 "unexpected operand '-' for extend" extend 16 - -
	bad 2 "invalid value 'zz' for --data-hex: not a hex digit at position 1" extend 16 --data-hex zz
	bad 2 "invalid value 'abc' for --data-hex: odd number of hex digits (3)" extend 16 --data-hex abc
	bad 2 "--data-hex must not be empty" extend 16 --data-hex ''
	bad 2 "--data-file must not be empty" extend 16 --data-file ''
	bad 2 "--range must not be empty" lock --range ''
	bad 2 "--data-hex must not contain control characters (byte 3 is 0x0a)" extend 16 --data-hex $'00\n'
	bad 2 "--range must not contain control characters (byte 2 is 0x09)" lock --range $'4\t'
	bad 2 "--nsm must not contain control characters (byte 1 is 0x1b)" info --nsm $'\e'
	bad 2 "lock needs a PCR index (usage: nsm-pcr lock N)" lock
	bad 2 "lock takes one PCR index (or --range N)" lock 16 17
	bad 2 "lock takes N or --range N, not both" lock 16 --range 4
	bad 2 "invalid value 'all' for --range: expected a number from 0 to 32" lock --range all
	bad 2 "unexpected operand 'x': info takes none" info x
	bad 2 "describe takes at most 32 indices" describe $(seq 0 32)
	bad 2 "--data-hex is for extend only" describe --data-hex 00
	bad 2 "--data-file is for extend only" lock 16 --data-file x
	bad 2 "--range is for lock only" extend 16 --range 3 --data-hex 00
	bad 2 "option '--data-hex' given more than once" extend 16 --data-hex 00 --data-hex 01
	bad 2 "unknown option '--bogus' (see 'nsm-pcr --help')" info --bogus
}

@test "nsm-pcr extend: a missing data file is exit 4, all before the NSM is asked" {
	export NITROKIT_NSM=/nonexistent/nsm
	bad 4 "cannot open 'nope.bin': No such file or directory" extend 16 --data-file nope.bin
	mkdir adir
	bad 4 "cannot read 'adir': Is a directory" extend 16 --data-file adir
}

@test "nsm-pcr --help and --version" {
	run -0 nsm-pcr --help
	[[ ${lines[0]} == "Usage: nsm-pcr describe [N...] | extend N"* ]]
	[[ $output == *"--data-hex HEX"* && $output == *"--range N"* && $output == *"--nsm SPEC"* ]]
	run -0 nsm-pcr --version
	[[ ${lines[0]} == "nsm-pcr (nitrokit) "* ]]
}
