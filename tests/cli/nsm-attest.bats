#!/usr/bin/env bats
# nsm-attest against nsm-sim.  Documents are checked by
# tests/fixtures/attest_check.py (cbor2 + cryptography, not our code): the
# signature, the chain to the simulator's root, the payload, and that the
# user data, nonce and public key given land in it.  Public keys are compared
# with what the openssl CLI makes of them.
load common
load nsm_sim

PYTHON=${PY_REAL:-$PYTHON}
CHECK="$FIXTURES/attest_check.py"
NO_DEVICE="cannot open '/nonexistent/nsm': No such file or directory (not inside a Nitro Enclave? set NITROKIT_NSM=unix:PATH to use nsm-sim)"

setup_file() {
	export F="$BATS_FILE_TMPDIR"
	PY_REAL=$("$PYTHON" -c 'import sys; print(sys.executable)') && export PY_REAL && PYTHON=$PY_REAL
	"$PYTHON" "$FIXTURES/mkeif.py" --synthetic -o "$F/app.eif" --pcrs >"$F/app.pcrs"
	cd "$F" || return 1
	if command -v openssl >/dev/null; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec.key 2>/dev/null
		openssl pkey -in ec.key -pubout -out ec.pub.pem
		openssl pkey -in ec.key -pubout -outform DER -out ec.pub.der
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out rsa.key 2>/dev/null
		openssl rsa -in rsa.key -RSAPublicKey_out -out rsa.pkcs1.pem 2>/dev/null
		openssl rsa -in rsa.key -pubout -outform DER -out rsa.pub.der 2>/dev/null
		openssl req -x509 -key ec.key -subj "/CN=nitrokit test" -days 1 -out ec.crt 2>/dev/null
		openssl x509 -in ec.crt -outform DER -out ec.crt.der
	fi
	# An RSA public key with an 8200-bit modulus: its SPKI is past 1024 bytes
	# (a public key needs no primes, so no slow key generation).
	"$PYTHON" -c '
import secrets, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
n = secrets.randbits(8200) | (1 << 8199) | 1
k = rsa.RSAPublicNumbers(65537, n).public_key()
open(sys.argv[1], "wb").write(k.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
' "$F/big.pub.pem" 2>/dev/null || true
}

teardown() {
	stop_sim
}


need_openssl() {
	[ -f "$F/ec.pub.der" ] || skip "openssl not available"
}

# check DOC [attest_check options]: verify DOC against the simulator's root;
# the checker's JSON summary ends up in $output.  Skips without cbor2.
check() {
	run /usr/bin/python3 "$CHECK" "$1" --root "$F/pki/root.pem" "${@:2}"
	[ "$status" -ne 77 ] || skip "attest_check.py needs /usr/bin/python3 with cbor2: $output"
	[ "$status" -eq 0 ] || { echo "attest_check $*: $output"; return 1; }
}

hex_of() {
	xxd -p "$1" | tr -d '\n'
}

# --- documents --------------------------------------------------------------------

@test "nsm-attest: a document without fields verifies, with the image's PCRs and null fields" {
	sim
	run -0 --separate-stderr nsm-attest -o doc.cbor
	[ -z "$output" ]
	[ -z "$stderr" ]
	check doc.cbor --expect-pcr "0=$(json_get "$(cat "$F/app.pcrs")" PCR0)" \
		--expect-pcr "2=$(json_get "$(cat "$F/app.pcrs")" PCR2)"
	[ "$(json_get "$output" user_data)" = null ]
	[ "$(json_get "$output" nonce)" = null ]
	[ "$(json_get "$output" public_key)" = null ]
}

@test "nsm-attest: --user-data FILE, --nonce-hex and a PEM --public-key land in the document" {
	sim
	need_openssl
	printf 'hello enclave\n' >ud.bin
	run -0 nsm-attest --user-data ud.bin --nonce-hex 00112233AABBccdd --public-key "$F/ec.pub.pem" -o doc.cbor
	check doc.cbor --user-data-hex "$(hex_of ud.bin)" --nonce-hex 00112233aabbccdd \
		--public-key-der-hex "$(hex_of "$F/ec.pub.der")"
}

@test "nsm-attest: --user-data-hex, --nonce FILE and DER or PKCS#1 public keys" {
	sim
	need_openssl
	head -c 32 /dev/urandom >nonce.bin
	run -0 nsm-attest --user-data-hex cafe --nonce nonce.bin --public-key "$F/rsa.pub.der" -o doc.cbor
	check doc.cbor --user-data-hex cafe --nonce-hex "$(hex_of nonce.bin)" \
		--public-key-der-hex "$(hex_of "$F/rsa.pub.der")"
	# An "RSA PUBLIC KEY" (PKCS#1) block goes in as SubjectPublicKeyInfo, as openssl converts it.
	run -0 nsm-attest --public-key "$F/rsa.pkcs1.pem" -o doc2.cbor
	check doc2.cbor --public-key-der-hex "$(hex_of "$F/rsa.pub.der")"
	run -0 nsm-attest --public-key "$F/ec.pub.der" -o doc3.cbor
	check doc3.cbor --public-key-der-hex "$(hex_of "$F/ec.pub.der")"
}

@test "nsm-attest: each field may come from standard input" {
	sim
	need_openssl
	printf 'from a pipe' >ud.bin
	run -0 nsm-attest --user-data - -o doc1.cbor <ud.bin
	check doc1.cbor --user-data-hex "$(hex_of ud.bin)"
	[ "$(json_get "$output" nonce)" = null ]
	run -0 nsm-attest --nonce - -o doc2.cbor <ud.bin
	check doc2.cbor --nonce-hex "$(hex_of ud.bin)"
	[ "$(json_get "$output" user_data)" = null ]
	openssl pkey -in "$F/ec.key" -pubout | nsm-attest --public-key - -o doc3.cbor
	check doc3.cbor --public-key-der-hex "$(hex_of "$F/ec.pub.der")"
}

@test "nsm-attest: fields of exactly 1024 bytes, and an empty field that is not null" {
	sim
	head -c 1024 /dev/urandom >max.bin
	run -0 nsm-attest --user-data max.bin --nonce-hex "$(hex_of max.bin)" -o doc.cbor
	check doc.cbor --user-data-hex "$(hex_of max.bin)" --nonce-hex "$(hex_of max.bin)"
	: >empty
	run -0 nsm-attest --user-data empty -o doc2.cbor
	check doc2.cbor
	[ "$(json_get "$output" user_data)" = "" ]
	[ "$(json_get "$output" nonce)" = null ]
}

@test "nsm-attest --format base64: one line that decodes to a verifying document" {
	sim
	run -0 --separate-stderr nsm-attest --nonce-hex 0102 --format base64
	[ "${#lines[@]}" -eq 1 ]
	[[ $output =~ ^[A-Za-z0-9+/]+=*$ ]]
	printf '%s' "$output" | base64 -d >doc.cbor
	check doc.cbor --nonce-hex 0102
	# -f is short for --format; -o writes the same line to a file.
	run -0 nsm-attest -f base64 --nonce-hex 0102 -o doc.b64
	[ -z "$output" ]
	[ "$(wc -l <doc.b64)" -eq 1 ]
	base64 -d doc.b64 >doc2.cbor
	check doc2.cbor --nonce-hex 0102
}

@test "nsm-attest: CBOR to a pipe, and -o - is standard output" {
	sim
	nsm-attest --user-data-hex 01 >doc.cbor
	check doc.cbor --user-data-hex 01
	nsm-attest --user-data-hex 02 -o - | cat >doc2.cbor
	check doc2.cbor --user-data-hex 02
	nsm-attest --user-data-hex 03 --format cbor -o - >doc3.cbor
	check doc3.cbor --user-data-hex 03
}

@test "nsm-attest -o: replaces the file atomically (mode 0644), and a failure leaves the old one" {
	sim
	echo old >doc.cbor
	chmod 600 doc.cbor
	run -0 nsm-attest --nonce-hex aa -o doc.cbor
	check doc.cbor --nonce-hex aa
	[ "$(stat -c %a doc.cbor)" = 644 ]
	[ "$(ls -A | grep -c '^\.doc\.cbor\.')" -eq 0 ]
	cp doc.cbor before.cbor
	run -4 --separate-stderr nsm-attest --nonce-hex bb -o doc.cbor --nsm "unix:$T/none.sock"
	cmp doc.cbor before.cbor
	run -4 --separate-stderr nsm-attest -o nodir/doc.cbor
	[[ $stderr == "nsm-attest: cannot create 'nodir/doc.cbor': No such file or directory" ]]
	[ "$(ls -A | grep -c '^\.doc')" -eq 0 ]
}

@test "nsm-attest: CBOR is refused on a terminal (before the NSM is asked), base64 is not" {
	command -v script >/dev/null || skip "script(1) is not installed"
	sim
	run -2 script -qec "nsm-attest --nsm /nonexistent/nsm" /dev/null
	[[ $output == *"nsm-attest: refusing to write binary data to a terminal (use -o FILE or --force)"* ]]
	run -0 script -qec "nsm-attest -f base64" /dev/null
	[[ $output =~ ^[A-Za-z0-9+/]+=*$'\r'?$'\n'?$ ]]
	run -0 script -qec "nsm-attest --force" /dev/null
	run -0 script -qec "nsm-attest -o doc.cbor" /dev/null
	check doc.cbor
}

# --- choosing the NSM -------------------------------------------------------------

@test "nsm-attest: --nsm overrides NITROKIT_NSM; a missing device and an unreachable socket are exit 4" {
	sim
	NITROKIT_NSM=/nonexistent/nsm run -0 nsm-attest -o doc.cbor --nsm "unix:$T/nsm.sock"
	check doc.cbor
	NITROKIT_NSM=/nonexistent/nsm run -4 --separate-stderr nsm-attest -f base64
	[ -z "$output" ]
	[ "$stderr" = "nsm-attest: $NO_DEVICE" ]
	run -4 --separate-stderr nsm-attest -f base64 --nsm "unix:$T/none.sock"
	[ -z "$output" ]
	[ "$stderr" = "nsm-attest: cannot connect to nsm-sim at '$T/none.sock': No such file or directory" ]
}

@test "nsm-attest --verbose names the NSM and the document's size" {
	sim
	run -0 --separate-stderr nsm-attest --verbose -o doc.cbor
	[ "${#stderr_lines[@]}" -eq 2 ]
	[ "${stderr_lines[0]}" = "nsm-attest: using the NSM at 'unix:$T/nsm.sock'" ]
	[ "${stderr_lines[1]}" = "nsm-attest: attestation document of $(stat -c %s doc.cbor) bytes" ]
}

# --- the bad-input table ----------------------------------------------------------

# bad EXIT MESSAGE ARGS...: nsm-attest ARGS exits EXIT with exactly
# "nsm-attest: MESSAGE" on stderr and nothing on stdout.  The NSM is
# unreachable, so an exit other than 4 shows the check came first.
bad() {
	local code=$1 msg=$2
	shift 2
	NITROKIT_NSM=/nonexistent/nsm run "-$code" --separate-stderr nsm-attest -f base64 "$@"
	[ -z "$output" ] || { echo "stdout of nsm-attest $*: $output"; return 1; }
	[ "$stderr" = "nsm-attest: $msg" ] || { echo "nsm-attest $*: got '$stderr', expected 'nsm-attest: $msg'"; return 1; }
}

@test "nsm-attest: conflicting and malformed options are exit 2" {
	bad 2 "--user-data and --user-data-hex cannot be used together" --user-data x --user-data-hex 00
	bad 2 "--nonce and --nonce-hex cannot be used together" --nonce-hex 00 --nonce x
	bad 2 "--user-data and --nonce cannot both read standard input" --user-data - --nonce -
	bad 2 "--nonce and --public-key cannot both read standard input" --public-key - --nonce -
	bad 2 "invalid value 'zz' for --user-data-hex: not a hex digit at position 1" --user-data-hex zz
	bad 2 "invalid value 'abc' for --nonce-hex: odd number of hex digits (3)" --nonce-hex abc
	bad 2 "--nonce-hex must not be empty" --nonce-hex ''
	bad 2 "--user-data must not be empty" --user-data ''
	bad 2 "--public-key must not be empty" --public-key ''
	bad 2 "--output must not be empty" -o ''
	bad 2 "--nsm must not be empty" --nsm ''
	bad 2 "--user-data-hex must not contain control characters (byte 3 is 0x0d)" --user-data-hex $'00\r'
	bad 2 "--nsm must not contain control characters (byte 5 is 0x0a)" --nsm $'unix\n:x'
	run -2 --separate-stderr nsm-attest --format json
	[ -z "$output" ]
	[ "$stderr" = "nsm-attest: invalid value 'json' for --format: expected one of cbor|base64" ]
	bad 2 "option '--nonce-hex' given more than once" --nonce-hex 00 --nonce-hex 01
	bad 2 "unexpected operand 'doc.cbor' (usage: nsm-attest [OPTIONS])" doc.cbor
	bad 2 "unknown option '--user' (see 'nsm-attest --help')" --user x
}

@test "nsm-attest: oversized fields are exit 3 before the request is sent" {
	head -c 1025 /dev/zero >big.bin
	bad 3 "'big.bin' is too large (more than 1024 bytes)" --user-data big.bin
	bad 3 "'big.bin' is too large (more than 1024 bytes)" --nonce big.bin
	NITROKIT_NSM=/nonexistent/nsm run -3 --separate-stderr nsm-attest -f base64 --user-data - <big.bin
	[ "$stderr" = "nsm-attest: 'standard input' is too large (more than 1024 bytes)" ]
	bad 3 "invalid value '00000000000000000000000000000000...' for --nonce-hex: too long (1025 bytes, at most 1024)" \
		--nonce-hex "$(hex_of big.bin)"
	bad 3 "invalid value '00000000000000000000000000000000...' for --user-data-hex: too long (1025 bytes, at most 1024)" \
		--user-data-hex "$(hex_of big.bin)"
	# Past cli's usual 4096-byte cap of a string, the size is still the field's to judge.
	head -c 4000 /dev/zero >huge.bin
	bad 3 "invalid value '00000000000000000000000000000000...' for --nonce-hex: too long (4000 bytes, at most 1024)" \
		--nonce-hex "$(hex_of huge.bin)"
}

@test "nsm-attest: missing files are exit 4" {
	bad 4 "cannot open 'nope.bin': No such file or directory" --user-data nope.bin
	bad 4 "cannot open 'nope.bin': No such file or directory" --nonce nope.bin
	bad 4 "cannot open 'nope.pem': No such file or directory" --public-key nope.pem
}

@test "nsm-attest: garbage, certificates, private keys and oversized keys are not public keys (exit 3)" {
	printf 'not a key\n' >garbage
	bad 3 "'garbage' is not a public key (expected PEM or DER SubjectPublicKeyInfo)" --public-key garbage
	: >empty
	bad 3 "'empty' is empty (expected a public key)" --public-key empty
	printf -- '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' >bad.pem
	run -3 --separate-stderr nsm-attest --nsm /nonexistent/nsm --public-key bad.pem
	[[ $stderr == "nsm-attest: 'bad.pem': malformed PUBLIC KEY"* ]]
	need_openssl
	bad 3 "'$F/ec.crt' is a certificate, not a public key (extract it with: openssl x509 -pubkey -noout -in '$F/ec.crt')" \
		--public-key "$F/ec.crt"
	bad 3 "'$F/ec.crt.der' is a certificate, not a public key (extract it with: openssl x509 -pubkey -noout -in '$F/ec.crt.der')" \
		--public-key "$F/ec.crt.der"
	bad 3 "'$F/ec.key' is a private key: give its public key (openssl pkey -pubout -in '$F/ec.key')" \
		--public-key "$F/ec.key"
	head -c 100 "$F/ec.pub.der" >trunc.der
	bad 3 "'trunc.der' is not a public key (expected PEM or DER SubjectPublicKeyInfo)" --public-key trunc.der
	[ -f "$F/big.pub.pem" ] || skip "python cryptography not available for the oversized key"
	run -3 --separate-stderr nsm-attest --nsm /nonexistent/nsm --public-key "$F/big.pub.pem"
	[[ $stderr =~ ^"nsm-attest: the public key in '$F/big.pub.pem' is too large ("[0-9]+" bytes of DER, at most 1024)"$ ]]
}

@test "nsm-attest --help and --version" {
	run -0 nsm-attest --help
	[ "${lines[0]}" = "Usage: nsm-attest [OPTIONS]" ]
	[[ $output == *"--user-data-hex HEX"* && $output == *"--public-key FILE"* && $output == *"--nsm SPEC"* ]]
	run -0 nsm-attest --version
	[[ ${lines[0]} == "nsm-attest (nitrokit) "* ]]
}
