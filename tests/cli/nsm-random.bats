#!/usr/bin/env bats
# nsm-random against nsm-sim: sizes across GetRandom's 256-byte answers, the
# three formats (decoded by base64(1)/xxd, not by our code), a sanity check
# that the bytes look random, the terminal rule, files and --seed-kernel.
load common
load nsm_sim

PYTHON=${PY_REAL:-$PYTHON}
NO_DEVICE="cannot open '/nonexistent/nsm': No such file or directory (not inside a Nitro Enclave? set NITROKIT_NSM=unix:PATH to use nsm-sim)"

setup_file() {
	export F="$BATS_FILE_TMPDIR"
	PY_REAL=$("$PYTHON" -c 'import sys; print(sys.executable)') && export PY_REAL && PYTHON=$PY_REAL
	"$PYTHON" "$FIXTURES/mkeif.py" --synthetic -o "$F/app.eif"
}

teardown() {
	stop_sim
}


# --- sizes and formats ------------------------------------------------------------

@test "nsm-random: 32 bytes as one line of lowercase hex by default" {
	sim
	run -0 --separate-stderr nsm-random
	[ -z "$stderr" ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output =~ ^[0-9a-f]{64}$ ]]
	# Exactly one newline at the end.
	[ "$(nsm-random | wc -c)" -eq 65 ]
}

@test "nsm-random --bytes N: exact sizes around GetRandom's 256-byte answers, in every format" {
	sim
	local n
	for n in 1 255 256 257 512 1000 65536; do
		[ "$(nsm-random --bytes "$n" --format raw | wc -c)" -eq "$n" ] || { echo "raw $n"; return 1; }
		[ "$(nsm-random --bytes "$n" -f hex | tr -d '\n' | xxd -r -p | wc -c)" -eq "$n" ] || { echo "hex $n"; return 1; }
		[ "$(nsm-random -n "$n" -f base64 | base64 -d | wc -c)" -eq "$n" ] || { echo "base64 $n"; return 1; }
	done
	run -0 nsm-random --bytes 3 --format base64
	[[ $output =~ ^[A-Za-z0-9+/]{4}$ ]]
	run -0 nsm-random --bytes 1 --format base64
	[[ $output =~ ^[A-Za-z0-9+/]{2}==$ ]]
}

@test "nsm-random: 64 KiB look random: they do not compress and two draws differ" {
	sim
	nsm-random --bytes 65536 -f raw >a.bin
	nsm-random --bytes 65536 -f raw >b.bin
	! cmp -s a.bin b.bin
	"$PYTHON" - a.bin <<'EOF'
import sys, zlib
d = open(sys.argv[1], "rb").read()
assert len(d) == 65536
# Random data does not compress; any structure (repeats, a counter, zeros) would.
assert len(zlib.compress(d, 9)) > 65536, len(zlib.compress(d, 9))
counts = [d.count(bytes([b])) for b in range(256)]
# 256 bytes a call must not repeat across calls.
chunks = {d[i:i + 256] for i in range(0, len(d), 256)}
assert len(chunks) == 256, len(chunks)
# Every byte value occurs about 256 times (a loose bound: 6 sigma is ~96).
assert min(counts) > 150 and max(counts) < 370, (min(counts), max(counts))
EOF
}

@test "nsm-random -o: the file is written atomically with mode 0600" {
	sim
	echo old >key.bin
	chmod 644 key.bin
	run -0 --separate-stderr nsm-random --bytes 48 -f raw -o key.bin
	[ -z "$output" ]
	[ "$(stat -c %s key.bin)" -eq 48 ]
	[ "$(stat -c %a key.bin)" = 600 ]
	[ "$(ls -A | grep -c '^\.key\.bin\.')" -eq 0 ]
	run -0 nsm-random --bytes 16 -o key.hex
	[[ $(cat key.hex) =~ ^[0-9a-f]{32}$ ]]
	[ "$(stat -c %a key.hex)" = 600 ]
	cp key.hex before
	run -4 nsm-random -o key.hex --nsm "unix:$T/none.sock"
	cmp key.hex before
	run -4 --separate-stderr nsm-random -o nodir/x
	[ "$stderr" = "nsm-random: cannot create 'nodir/x': No such file or directory" ]
}

@test "nsm-random: raw bytes are refused on a terminal unless --force or -o; hex is fine" {
	command -v script >/dev/null || skip "script(1) is not installed"
	sim
	run -2 script -qec "nsm-random -f raw --nsm /nonexistent/nsm" /dev/null
	[[ $output == *"nsm-random: refusing to write binary data to a terminal (use -o FILE or --force)"* ]]
	run -0 script -qec "nsm-random" /dev/null
	[[ $output =~ ^[0-9a-f]{64}$'\r'?$'\n'?$ ]]
	run -0 script -qec "nsm-random -f raw --force --bytes 4" /dev/null
	run -0 script -qec "nsm-random -f raw -o out.bin" /dev/null
	[ "$(stat -c %s out.bin)" -eq 32 ]
}

# --- the kernel pool ------------------------------------------------------------------

@test "nsm-random --seed-kernel: credits the bytes to the kernel as root and prints nothing" {
	sim
	[ "$(id -u)" -eq 0 ] || skip "not root"
	run --separate-stderr nsm-random --seed-kernel --bytes 64 --verbose
	if [ "$status" -eq 4 ] && [[ $stderr == *"--seed-kernel needs root: Operation not permitted"* ]]; then
		skip "root here lacks CAP_SYS_ADMIN"
	fi
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[[ $stderr == *"nsm-random: credited 64 bytes (512 bits) to the kernel's entropy pool"* ]]
}

@test "nsm-random --seed-kernel without CAP_SYS_ADMIN: exit 4 with the hint" {
	sim
	local drop
	if [ "$(id -u)" -ne 0 ]; then
		drop=()
	elif command -v setpriv >/dev/null && setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin true 2>/dev/null; then
		drop=(setpriv --bounding-set=-sys_admin --inh-caps=-sys_admin)
	else
		skip "cannot drop CAP_SYS_ADMIN here (no setpriv)"
	fi
	run -4 --separate-stderr "${drop[@]}" nsm-random --seed-kernel
	[ -z "$output" ]
	[ "$stderr" = "nsm-random: --seed-kernel needs root: Operation not permitted" ]
}

# --- choosing the NSM -------------------------------------------------------------

@test "nsm-random: --nsm overrides NITROKIT_NSM; a missing device and an unreachable socket are exit 4" {
	sim
	NITROKIT_NSM=/nonexistent/nsm run -0 nsm-random --nsm "unix:$T/nsm.sock"
	[[ $output =~ ^[0-9a-f]{64}$ ]]
	NITROKIT_NSM=/nonexistent/nsm run -4 --separate-stderr nsm-random
	[ -z "$output" ]
	[ "$stderr" = "nsm-random: $NO_DEVICE" ]
	run -4 --separate-stderr nsm-random --nsm "unix:$T/none.sock"
	[ "$stderr" = "nsm-random: cannot connect to nsm-sim at '$T/none.sock': No such file or directory" ]
	NITROKIT_NSM=/nonexistent/nsm run -4 --separate-stderr nsm-random --seed-kernel
	[ "$stderr" = "nsm-random: $NO_DEVICE" ]
}

@test "nsm-random --verbose says how many bytes came from which NSM" {
	sim
	run -0 --separate-stderr nsm-random --verbose --bytes 300
	[ "${stderr_lines[0]}" = "nsm-random: using the NSM at 'unix:$T/nsm.sock'" ]
	[ "${stderr_lines[1]}" = "nsm-random: 300 random bytes from the NSM" ]
}

# --- the bad-input table ----------------------------------------------------------

# bad EXIT MESSAGE ARGS...: exactly "nsm-random: MESSAGE" on stderr, nothing on
# stdout; the NSM is unreachable, so a code other than 4 shows the check came first.
bad() {
	local code=$1 msg=$2
	shift 2
	NITROKIT_NSM=/nonexistent/nsm run "-$code" --separate-stderr nsm-random "$@"
	[ -z "$output" ] || { echo "stdout of nsm-random $*: $output"; return 1; }
	[ "$stderr" = "nsm-random: $msg" ] || { echo "nsm-random $*: got '$stderr', expected 'nsm-random: $msg'"; return 1; }
}

@test "nsm-random: bad sizes, formats and combinations are exit 2" {
	bad 2 "invalid value '0' for --bytes: expected 1 to 65536" --bytes 0
	bad 2 "invalid value '65537' for --bytes: expected 1 to 65536" --bytes 65537
	bad 2 "invalid value 'x' for --bytes: expected 1 to 65536" --bytes x
	bad 2 "invalid value '-5' for --bytes: expected 1 to 65536" --bytes=-5
	bad 2 "invalid value 'bin' for --format: expected one of raw|hex|base64" --format bin
	bad 2 "--seed-kernel prints nothing: drop --format" --seed-kernel -f hex
	bad 2 "--seed-kernel prints nothing: drop --output" --seed-kernel -o out
	bad 2 "--seed-kernel prints nothing: drop --force" --seed-kernel --force
	bad 2 "--output must not be empty" -o ''
	bad 2 "--nsm must not be empty" --nsm ''
	bad 2 "--nsm must not contain control characters (byte 6 is 0x0a)" --nsm $'/dev/\nsm'
	bad 2 "unexpected operand '32' (usage: nsm-random [--bytes N] [-f raw|hex|base64] [-o FILE] [--seed-kernel])" 32
}

@test "nsm-random --help and --version" {
	run -0 nsm-random --help
	[[ ${lines[0]} == "Usage: nsm-random "* ]]
	[[ $output == *"--seed-kernel"* && $output == *"--bytes N"* ]]
	run -0 nsm-random --version
	[[ ${lines[0]} == "nsm-random (nitrokit) "* ]]
}
