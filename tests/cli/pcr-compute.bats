#!/usr/bin/env bats
# pcr-compute against its CLI contract.  Expected values come from the issue's
# published known answers, from tests/fixtures/mkeif.py (an independent EIF
# writer that predicts PCRs with hashlib) and from openssl/hashlib directly.
load common

MKEIF="$FIXTURES/mkeif.py"
# pyenv's python3 is a shell shim that costs ~0.25 s a call: use the interpreter behind it.
PYTHON=${PY_REAL:-$PYTHON}
ARN=arn:aws:iam::123456789012:role/Webserver
IID=i-1234567890abcdef0
HASHALG='Sha384 { ... }'
# Published known answers (the issue / DESIGN §4.2), not our code's output.
PCR3_ARN=78fce75db17cd4e0a3fb8dad3ad128ca5e77edbb2b2c7f75329dccd99aa5f6ef4fc1f1a452e315b9e98f9e312e6921e6
PCR4_IID=08f996b5d43e047a9eb51e7f548bfee7e164fd7dc8f65541f2ac09d6545ac812719327281c401a67a10fcba87ae79ce0
SYN_PCR0=d85ed11aaa1433bf0e2d24c74a2ce354f1807ad618e051c8949a29a984ae512f806c07a8065383e6d42391fbe9798e2d
SYN_PCR1=21b83ac9fe90acad86ecd150db84c0cdf35f905bd567bda301ede12b02550dfbf6e55390f0ffb684bbffc106b627794d
SYN_PCR2=206f7853ba2810292cd7f9f234e1fbb421743a02e760d0c55621704f937944356bba7236ab1011c1c8c36fbbde101df7
ONE_PCR2=21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10edb30948c90ba67310f7b964fc500a
SYN_SIZE=38170
SYN_CRC=0xb8c0aa25
# Section header offsets of the synthetic EIF: kernel, cmdline, metadata, ramdisk0, ramdisk1.
SYN_OFFSETS=(548 10800 10896 11146 20158)
NOTHING='nothing to compute: give an EIF or --role-arn, --instance-id, --signing-cert, --input or --extend'

setup_file() {
	export F="$BATS_FILE_TMPDIR"
	PY_REAL=$("$PYTHON" -c 'import sys; print(sys.executable)') && export PY_REAL && PYTHON=$PY_REAL
	"$PYTHON" "$MKEIF" --synthetic -o "$F/syn.eif"
	"$PYTHON" "$MKEIF" --synthetic-one-ramdisk -o "$F/syn1.eif"
	if command -v openssl >/dev/null; then
		local c
		for c in 384 256; do
			openssl req -x509 -newkey ec -pkeyopt "ec_paramgen_curve:P-$c" -nodes -subj "/CN=nitrokit test $c" \
				-days 30 -keyout "$F/k$c.pem" -out "$F/c$c.pem" 2>/dev/null
		done
		"$PYTHON" "$MKEIF" --synthetic --sign-key "$F/k384.pem" --sign-cert "$F/c384.pem" -o "$F/signed.eif"
	fi
}

# pc ARGS: pcr-compute with stdout in out.bin and stderr in err.txt (for byte-exact checks).
pc() {
	pcr-compute "$@" >out.bin 2>err.txt
}

need_openssl() {
	[ -f "$F/signed.eif" ] || skip "openssl not available"
}

# ext(sha384(stdin)) and the raw form sha384(zeros || stdin), by hashlib.
ext_of_stdin() {
	"$PYTHON" -c 'import hashlib,sys; print(hashlib.sha384(b"\0"*48+hashlib.sha384(sys.stdin.buffer.read()).digest()).hexdigest())'
}

pcr8_of_pem() {
	openssl x509 -in "$1" -outform DER | ext_of_stdin
}

# The value of a user PCR after NSM extends with each argument (hex, or @FILE), from zero.
fold_extends() {
	"$PYTHON" -c '
import hashlib, sys
pcr = b"\0" * 48
for a in sys.argv[1:]:
    data = open(a[1:], "rb").read() if a.startswith("@") else bytes.fromhex(a)
    pcr = hashlib.sha384(pcr + data).digest()
print(pcr.hex())' "$@"
}

# meas K V [K V...]: the compact JSON {"Measurements":{"HashAlgorithm":...,K:V...}}.
meas() {
	local s="{\"Measurements\":{\"HashAlgorithm\":\"$HASHALG\""
	while [ $# -gt 0 ]; do
		s+=",\"$1\":\"$2\""
		shift 2
	done
	printf '%s}}' "$s"
}

# expect_json FILE JSON: FILE holds exactly Python's json.dumps(JSON, indent=2) and a
# newline: 2-space indent, "key": value, the key order of JSON, nothing else.
expect_json() {
	"$PYTHON" - "$1" "$2" <<'EOF'
import json, sys
from collections import OrderedDict
got = open(sys.argv[1], "rb").read().decode()
want = json.dumps(json.loads(sys.argv[2], object_pairs_hook=OrderedDict), indent=2,
                  ensure_ascii=False) + "\n"
if got != want:
    print("got:\n%s\nexpected:\n%s" % (got, want))
    sys.exit(1)
EOF
}

# expect_pcrs FILE EXP: FILE is the default JSON output for the PCRs mkeif.py --pcrs
# predicted in EXP (PCR0, PCR1, PCR2 and PCR8 when signed), byte for byte.
expect_pcrs() {
	local want
	want=$("$PYTHON" -c '
import json, sys
e = json.load(open(sys.argv[1]))
m = {"HashAlgorithm": sys.argv[2]}
m.update((k, e[k]) for k in ("PCR0", "PCR1", "PCR2", "PCR8") if k in e)
print(json.dumps({"Measurements": m}))' "$2" "$HASHALG")
	expect_json "$1" "$want"
}

# fails CODE MESSAGE ARGS: pcr-compute ARGS exits CODE, prints exactly
# "pcr-compute: MESSAGE" on stderr and nothing on stdout.
fails() {
	local code=$1 msg=$2
	shift 2
	run --separate-stderr pcr-compute "$@"
	[ "$status" -eq "$code" ] || { echo "exit $status, expected $code; stderr: $stderr"; return 1; }
	[ -z "$output" ] || { echo "stdout not empty: $output"; return 1; }
	[ "$stderr" = "pcr-compute: $msg" ] || { printf 'stderr:   %s\nexpected: pcr-compute: %s\n' "$stderr" "$msg"; return 1; }
}

# fails_prefix CODE PREFIX ARGS: as fails, for messages whose tail is not fixed.
fails_prefix() {
	local code=$1 msg=$2
	shift 2
	run --separate-stderr pcr-compute "$@"
	[ "$status" -eq "$code" ] || { echo "exit $status, expected $code; stderr: $stderr"; return 1; }
	[ -z "$output" ] || { echo "stdout not empty: $output"; return 1; }
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "more than one line on stderr: $stderr"; return 1; }
	case "$stderr" in
	"pcr-compute: $msg"*) ;;
	*) printf 'stderr:   %s\nexpected: pcr-compute: %s...\n' "$stderr" "$msg"; return 1 ;;
	esac
}

mk() {
	"$PYTHON" "$MKEIF" "$@"
}

# --- the fixture writer itself, checked against the published values ---

@test "mkeif.py: the synthetic EIF is 38170 bytes with CRC 0xb8c0aa25 (zlib over the file)" {
	[ "$(wc -c <"$F/syn.eif")" -eq "$SYN_SIZE" ]
	run -0 "$PYTHON" -c '
import struct, sys, zlib
d = open(sys.argv[1], "rb").read()
assert d[:4] == b".eif"
print("0x%08x 0x%08x" % (zlib.crc32(d[548:], zlib.crc32(d[:544])), struct.unpack(">I", d[544:548])[0]))' "$F/syn.eif"
	[ "$output" = "$SYN_CRC $SYN_CRC" ]
	local debian_py=/usr/bin/python3
	[ -x "$debian_py" ] || debian_py=$PYTHON
	run -0 "$debian_py" "$MKEIF" --synthetic --pcrs
	json_eq "$output" "{\"PCR0\":\"$SYN_PCR0\",\"PCR1\":\"$SYN_PCR1\",\"PCR2\":\"$SYN_PCR2\",\"CRC\":\"$SYN_CRC\",\"HeaderCRC\":\"$SYN_CRC\",\"Size\":$SYN_SIZE}"
	run -0 mk --synthetic-one-ramdisk --pcrs
	[ "$(json_get "$output" PCR2)" = "$ONE_PCR2" ]
}

# --- known answers ---

@test "synthetic EIF: the published PCR0/1/2, byte-exact pretty JSON" {
	run -0 pc "$F/syn.eif"
	[ ! -s err.txt ]
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2")"
}

@test "synthetic EIF with one ramdisk: PCR2 is ext(SHA384(''))" {
	run -0 pc "$F/syn1.eif"
	[ "$(json_get "$(cat out.bin)" Measurements PCR2)" = "$ONE_PCR2" ]
	[ "$(json_get "$(cat out.bin)" Measurements PCR0)" = "$SYN_PCR1" ]
	[ "$(json_get "$(cat out.bin)" Measurements PCR1)" = "$SYN_PCR1" ]
}

@test "--role-arn and --instance-id: the published PCR3 and PCR4" {
	run -0 pc --role-arn "$ARN"
	expect_json out.bin "$(meas PCR3 "$PCR3_ARN")"
	run -0 pc --instance-id "$IID"
	expect_json out.bin "$(meas PCR4 "$PCR4_IID")"
	run -0 pc --instance-id "$IID" --role-arn "$ARN"
	expect_json out.bin "$(meas PCR3 "$PCR3_ARN" PCR4 "$PCR4_IID")"
}

# --- other EIFs against mkeif.py's predictions ---

@test "EIFs of random parts (1..5 ramdisks, empty cmdline, 0-byte ramdisks, no metadata) match mkeif.py" {
	local n=0 args
	while IFS= read -r args; do
		n=$((n + 1))
		eval "mk -o e$n.eif --pcrs $args" >exp$n.json
		run -0 pc "e$n.eif"
		expect_pcrs out.bin exp$n.json || { echo "EIF $n: $args"; return 1; }
		run -0 pc - <"e$n.eif"
		expect_pcrs out.bin exp$n.json || { echo "EIF $n on stdin: $args"; return 1; }
	done <<'EOF'
--kernel-bytes rand:5000:a --cmdline console=ttyS0 --ramdisk-bytes rand:777:b
--kernel-bytes rand:65536:c --cmdline 'x y z' --metadata '{}' --ramdisk-bytes rand:65537:d --ramdisk-bytes rand:1:e
--kernel-bytes rand:4097:f --cmdline '' --ramdisk-bytes rand:10:g --ramdisk-bytes rand:20:h --ramdisk-bytes rand:30:i
--kernel-bytes rand:100:j --cmdline c --ramdisk-bytes zero:0 --ramdisk-bytes rand:131071:k --ramdisk-bytes zero:0 --ramdisk-bytes rand:3:l
--kernel-bytes rand:1:m --cmdline 'a b' --metadata '{"ImageName":"n"}' --ramdisk-bytes rand:9:n --ramdisk-bytes rand:8:o --ramdisk-bytes rand:7:p --ramdisk-bytes rand:6:q --ramdisk-bytes rand:5:r
--kernel-bytes rand:2000:s --cmdline quiet --ramdisk-bytes rand:300:t --flags 1 --mem 536870912 --cpus 4
--kernel-bytes rand:3000:u --cmdline quiet --ramdisk-bytes zero:0 --ramdisk-bytes zero:0
EOF
}

@test "an EIF of a few MiB matches mkeif.py, from a file and through a pipe" {
	head -c 3145728 /dev/urandom >kernel
	head -c 1048575 /dev/urandom >rd0
	head -c 2097153 /dev/urandom >rd1
	mk -o big.eif --pcrs --kernel kernel --cmdline 'console=ttyS0' --metadata '{}' --ramdisk rd0 --ramdisk rd1 >exp.json
	run -0 pc big.eif
	expect_pcrs out.bin exp.json
	run -0 bash -c 'cat big.eif | pcr-compute - >out.bin'
	expect_pcrs out.bin exp.json
}

@test "an EIF with no ramdisk: PCR1 = PCR0 over kernel and cmdline, PCR2 = ext(SHA384(''))" {
	mk -o e.eif --pcrs --kernel-bytes rand:999 --cmdline x >exp.json
	run -0 pc e.eif
	expect_pcrs out.bin exp.json
	[ "$(json_get "$(cat out.bin)" Measurements PCR2)" = "$ONE_PCR2" ]
}

@test "32 sections is the maximum and still works" {
	mk -o e.eif --pcrs --synthetic --extra-sections 27 >exp.json
	run -0 pc e.eif
	expect_pcrs out.bin exp.json
}

@test "a signed EIF: PCR8 = ext(SHA384(DER of its certificate)), computed with openssl and hashlib" {
	need_openssl
	run -0 pc "$F/signed.eif"
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2" PCR8 "$(pcr8_of_pem "$F/c384.pem")")"
}

@test "a signed EIF with a matching --signing-cert prints PCR8 once; another cert is exit 1" {
	need_openssl
	run -0 pc "$F/signed.eif" --signing-cert "$F/c384.pem"
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2" PCR8 "$(pcr8_of_pem "$F/c384.pem")")"
	cp "$F/c256.pem" cert.pem
	run -1 --separate-stderr pcr-compute "$F/signed.eif" --signing-cert cert.pem
	[ "$stderr" = "pcr-compute: PCR8 of 'cert.pem' does not match the EIF's signing certificate" ]
}

# --- options ---

@test "--describe: every field, in describe-eif's order" {
	run -0 pc --describe "$F/syn.eif"
	[ ! -s err.txt ]
	expect_json out.bin "{\"EifVersion\":4,\"Measurements\":{\"HashAlgorithm\":\"$HASHALG\",\"PCR0\":\"$SYN_PCR0\",\"PCR1\":\"$SYN_PCR1\",\"PCR2\":\"$SYN_PCR2\"},\"IsSigned\":false,\"CheckCRC\":true,\"ImageName\":\"test\",\"ImageVersion\":\"1.0\",\"Metadata\":{\"BuildTime\":\"2024-01-01T00:00:00+00:00\",\"BuildTool\":\"eif_build\",\"BuildToolVersion\":\"0.3.1\",\"OperatingSystem\":\"OS\",\"KernelVersion\":\"kernel\",\"DockerInfo\":null}}"
	run -0 pcr-compute -d "$F/syn.eif"
	[ "$output" = "$(cat out.bin)" ]
}

@test "--describe: CustomMetadata keys are flattened into Metadata, DockerInfo kept" {
	local md='{"ImageName":"app","ImageVersion":"2.5","BuildMetadata":{"BuildTime":"2025-06-01T12:00:00+00:00","BuildTool":"nitro-cli","BuildToolVersion":"1.4.0","OperatingSystem":"Linux","KernelVersion":"6.1"},"DockerInfo":{"Id":"sha256:abc","RepoTags":["app:latest"]},"CustomMetadata":{"team":"payments","build":{"n":42,"ok":true}}}'
	mk -o e.eif --pcrs --kernel-bytes rand:1000 --cmdline c --metadata "$md" --ramdisk-bytes rand:50 >exp.json
	run -0 pc --describe e.eif
	local p0 p1 p2
	p0=$(json_get "$(cat exp.json)" PCR0) p1=$(json_get "$(cat exp.json)" PCR1) p2=$(json_get "$(cat exp.json)" PCR2)
	expect_json out.bin "{\"EifVersion\":4,\"Measurements\":{\"HashAlgorithm\":\"$HASHALG\",\"PCR0\":\"$p0\",\"PCR1\":\"$p1\",\"PCR2\":\"$p2\"},\"IsSigned\":false,\"CheckCRC\":true,\"ImageName\":\"app\",\"ImageVersion\":\"2.5\",\"Metadata\":{\"BuildTime\":\"2025-06-01T12:00:00+00:00\",\"BuildTool\":\"nitro-cli\",\"BuildToolVersion\":\"1.4.0\",\"OperatingSystem\":\"Linux\",\"KernelVersion\":\"6.1\",\"DockerInfo\":{\"Id\":\"sha256:abc\",\"RepoTags\":[\"app:latest\"]},\"team\":\"payments\",\"build\":{\"n\":42,\"ok\":true}}}"
}

@test "--describe: EifVersion is the header's version" {
	mk -o e.eif --synthetic --version 3
	run -0 pc --describe e.eif
	[ "$(json_get "$(cat out.bin)" EifVersion)" = 3 ]
}

@test "--describe without a metadata section has no ImageName, ImageVersion or Metadata" {
	mk -o e.eif --pcrs --kernel-bytes rand:100 --cmdline c --ramdisk-bytes rand:10 >exp.json
	run -0 pc --describe e.eif
	run -0 "$PYTHON" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))))' out.bin
	[ "$output" = "EifVersion Measurements IsSigned CheckCRC" ]
}

@test "--describe with a wrong CRC: CheckCRC false, exit 0, PCRs still right" {
	mk -o e.eif --synthetic --crc 0x12345678
	run -0 pc --describe e.eif
	[ "$(json_get "$(cat out.bin)" CheckCRC)" = false ]
	[ "$(json_get "$(cat out.bin)" IsSigned)" = false ]
	[ "$(json_get "$(cat out.bin)" Measurements PCR0)" = "$SYN_PCR0" ]
	[ "$(json_get "$(cat out.bin)" Measurements PCR2)" = "$SYN_PCR2" ]
}

@test "--describe of a signed EIF: IsSigned, SignatureCheck true, PCR8" {
	need_openssl
	run -0 pc --describe "$F/signed.eif"
	expect_json out.bin "{\"EifVersion\":4,\"Measurements\":{\"HashAlgorithm\":\"$HASHALG\",\"PCR0\":\"$SYN_PCR0\",\"PCR1\":\"$SYN_PCR1\",\"PCR2\":\"$SYN_PCR2\",\"PCR8\":\"$(pcr8_of_pem "$F/c384.pem")\"},\"IsSigned\":true,\"CheckCRC\":true,\"SignatureCheck\":true,\"ImageName\":\"test\",\"ImageVersion\":\"1.0\",\"Metadata\":{\"BuildTime\":\"2024-01-01T00:00:00+00:00\",\"BuildTool\":\"eif_build\",\"BuildToolVersion\":\"0.3.1\",\"OperatingSystem\":\"OS\",\"KernelVersion\":\"kernel\",\"DockerInfo\":null}}"
}

@test "--describe of a signed EIF: ES256 verifies; a signature over another PCR0 does not" {
	need_openssl
	mk -o es256.eif --synthetic --sign-key "$F/k256.pem" --sign-cert "$F/c256.pem" --sign-alg ES256
	run -0 pc --describe es256.eif
	[ "$(json_get "$(cat out.bin)" SignatureCheck)" = true ]
	[ "$(json_get "$(cat out.bin)" Measurements PCR8)" = "$(pcr8_of_pem "$F/c256.pem")" ]
	mk -o bad.eif --synthetic --sign-key "$F/k384.pem" --sign-cert "$F/c384.pem" --sign-bad-pcr0
	run -0 pc --describe bad.eif
	[ "$(json_get "$(cat out.bin)" IsSigned)" = true ]
	[ "$(json_get "$(cat out.bin)" SignatureCheck)" = false ]
	[ "$(json_get "$(cat out.bin)" Measurements PCR0)" = "$SYN_PCR0" ]
}

@test "--signing-cert: PCR8 = ext(SHA384(DER)) by openssl x509 and hashlib" {
	need_openssl
	run -0 pc --signing-cert "$F/c384.pem"
	expect_json out.bin "$(meas PCR8 "$(pcr8_of_pem "$F/c384.pem")")"
	run -0 pc --signing-cert "$F/c256.pem" "$F/syn.eif"
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2" PCR8 "$(pcr8_of_pem "$F/c256.pem")")"
}

@test "--input: \"PCR\" = ext(SHA384(file)), as nitro-cli pcr --input; also an empty file and stdin" {
	head -c 300000 /dev/urandom >data
	run -0 pc --input data
	expect_json out.bin "$(meas PCR "$(ext_of_stdin <data)")"
	: >empty
	run -0 pc --input empty
	expect_json out.bin "$(meas PCR "$(ext_of_stdin </dev/null)")"
	run -0 bash -c 'cat data | pcr-compute --input - >out.bin'
	expect_json out.bin "$(meas PCR "$(ext_of_stdin <data)")"
}

@test "--extend HEX and @FILE, repeated: PCR16 folds SHA384(old || data) from zero" {
	printf 'hello enclave' >d1
	head -c 4064 /dev/urandom >d4064
	run -0 pc --extend 00ff --extend @d1 --extend deadbeef --extend @d4064
	expect_json out.bin "$(meas PCR16 "$(fold_extends 00ff @d1 deadbeef @d4064)")"
	run -0 pc --extend @d1
	expect_json out.bin "$(meas PCR16 "$(fold_extends @d1)")"
}

@test "--extend HEX is not capped below the NSM's 4064 bytes (8128 hex digits)" {
	local big
	big=$(head -c 4064 /dev/urandom | od -An -v -tx1 | tr -d ' \n')
	run -0 pc --extend "$big"
	expect_json out.bin "$(meas PCR16 "$(fold_extends "$big")")"
}

@test "--user-pcr N names the extended register (16 and 31 accepted)" {
	run -0 pc --extend 0102 --user-pcr 31
	expect_json out.bin "$(meas PCR31 "$(fold_extends 0102)")"
	run -0 pc --user-pcr 16 --extend 0102
	expect_json out.bin "$(meas PCR16 "$(fold_extends 0102)")"
	run -0 pc --user-pcr 23 --extend 0102 --extend 03
	expect_json out.bin "$(meas PCR23 "$(fold_extends 0102 03)")"
}

@test "everything at once: one Measurements object, keys in numeric order, PCR last" {
	need_openssl
	printf 'input file' >in
	run -0 pc --input in --extend 99 --user-pcr 20 --signing-cert "$F/c384.pem" --instance-id "$IID" --role-arn "$ARN" "$F/syn.eif"
	[ ! -s err.txt ]
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2" PCR3 "$PCR3_ARN" PCR4 "$PCR4_IID" \
		PCR8 "$(pcr8_of_pem "$F/c384.pem")" PCR20 "$(fold_extends 99)" PCR "$(ext_of_stdin <in)")"
	run -0 "$PYTHON" -c 'import json,sys; print(" ".join(k for k, _ in json.load(open(sys.argv[1]), object_pairs_hook=lambda p: p)[0][1]))' out.bin
	[ "$output" = "HashAlgorithm PCR0 PCR1 PCR2 PCR3 PCR4 PCR8 PCR20 PCR" ]
}

@test "EIF with --role-arn and --instance-id in one object" {
	run -0 pc "$F/syn.eif" --role-arn "$ARN" --instance-id "$IID"
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2" PCR3 "$PCR3_ARN" PCR4 "$PCR4_IID")"
}

@test "--no-crc-check: a CRC mismatch is ignored and the PCRs are right" {
	mk -o e.eif --synthetic --crc 0xdeadbeef
	run -0 pc --no-crc-check e.eif
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2")"
	run -0 pc --no-crc-check "$F/syn.eif"
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2")"
}

@test "--quiet changes nothing on success; --verbose keeps stdout the same" {
	run -0 pc -q "$F/syn.eif"
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2")"
	[ ! -s err.txt ]
	run -0 pc -v "$F/syn.eif"
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2")"
}

# --- formats ---

@test "--format json is the default" {
	run -0 pc -f json --role-arn "$ARN"
	expect_json out.bin "$(meas PCR3 "$PCR3_ARN")"
	run -0 pc --format=json "$F/syn.eif"
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2")"
}

@test "--format env: one NAME=hex line per value, in JSON order, and eval-able" {
	printf 'x' >in
	run -0 pc -f env "$F/syn.eif" --input in --role-arn "$ARN"
	local pin
	pin=$(ext_of_stdin <in)
	printf 'PCR0=%s\nPCR1=%s\nPCR2=%s\nPCR3=%s\nPCR=%s\n' "$SYN_PCR0" "$SYN_PCR1" "$SYN_PCR2" "$PCR3_ARN" "$pin" >want
	cmp out.bin want
	local PCR0= PCR1= PCR2= PCR3= PCR=
	eval "$(cat out.bin)"
	[ "$PCR0" = "$SYN_PCR0" ] && [ "$PCR1" = "$SYN_PCR1" ] && [ "$PCR2" = "$SYN_PCR2" ]
	[ "$PCR3" = "$PCR3_ARN" ] && [ "$PCR" = "$pin" ]
	run -0 pc --format env --extend 00 --user-pcr 17
	printf 'PCR17=%s\n' "$(fold_extends 00)" >want
	cmp out.bin want
}

@test "--format hex: the one value and a newline" {
	run -0 pc -f hex --role-arn "$ARN"
	printf '%s\n' "$PCR3_ARN" >want
	cmp out.bin want
	run -0 pc --format hex --instance-id "$IID"
	printf '%s\n' "$PCR4_IID" >want
	cmp out.bin want
}

@test "--format hex with several values is a usage error" {
	fails 2 "--format hex prints one value, but 3 were computed" -f hex "$F/syn.eif"
	fails 2 "--format hex prints one value, but 2 were computed" -f hex --role-arn "$ARN" --instance-id "$IID"
}

# --- standard input ---

@test "the EIF from standard input: '-' with a redirect and with a pipe" {
	run -0 pc - <"$F/syn.eif"
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2")"
	run -0 bash -c 'cat "$1" | pcr-compute - >out.bin' _ "$F/syn.eif"
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2")"
	run -0 bash -c 'cat "$1" | pcr-compute --describe - >out.bin' _ "$F/syn.eif"
	[ "$(json_get "$(cat out.bin)" CheckCRC)" = true ]
	[ "$(json_get "$(cat out.bin)" ImageName)" = test ]
}

@test "a truncated EIF through a pipe: 'standard input': truncated section / header" {
	run -3 --separate-stderr bash -c 'head -c 38000 "$1" | pcr-compute -' _ "$F/syn.eif"
	[ -z "$output" ]
	[ "$stderr" = "pcr-compute: 'standard input': truncated section 4 (ramdisk)" ]
	run -3 --separate-stderr bash -c 'head -c 5000 "$1" | pcr-compute -' _ "$F/syn.eif"
	[ "$stderr" = "pcr-compute: 'standard input': truncated section 0 (kernel)" ]
	run -3 --separate-stderr bash -c 'head -c 10806 "$1" | pcr-compute -' _ "$F/syn.eif"
	[ "$stderr" = "pcr-compute: 'standard input': truncated section header at offset 10800" ]
	run -3 --separate-stderr bash -c 'head -c 100 "$1" | pcr-compute -' _ "$F/syn.eif"
	[ "$stderr" = "pcr-compute: 'standard input': truncated header (100 of 548 bytes)" ]
	[ -z "$output" ]
}

@test "bad data on standard input is named 'standard input'" {
	mk -o m.eif --synthetic --bad-magic
	run -3 --separate-stderr bash -c 'cat m.eif | pcr-compute -'
	[ -z "$output" ]
	[ "$stderr" = "pcr-compute: 'standard input': not an EIF (bad magic)" ]
	mk -o c.eif --synthetic --crc 0x00000001
	run -3 --separate-stderr bash -c 'cat c.eif | pcr-compute -'
	[ "$stderr" = "pcr-compute: 'standard input': CRC mismatch (header 0x00000001, computed $SYN_CRC)" ]
	run -3 --separate-stderr pcr-compute - </dev/null
	[ "$stderr" = "pcr-compute: 'standard input': truncated header (0 of 548 bytes)" ]
}

@test "without an operand, standard input is not read" {
	fails 2 "$NOTHING" <"$F/syn.eif"
}

# --- bad input table ---

@test "bad input: a missing file and a directory (exit 4)" {
	fails 4 "cannot open 'nope.eif': No such file or directory" nope.eif
	mkdir dir
	fails 4 "cannot read 'dir': Is a directory" dir
	fails 4 "cannot open 'nope': No such file or directory" --input nope
	fails 4 "cannot open 'nope.pem': No such file or directory" --signing-cert nope.pem
	fails 4 "cannot open 'nope.bin': No such file or directory" --extend @nope.bin
	fails 4 "cannot open 'nope.eif': No such file or directory" --role-arn "$ARN" nope.eif
	fails 4 "cannot read 'dir': Is a directory" --input dir
	fails 4 "cannot read 'dir': Is a directory" --signing-cert dir
	fails 4 "cannot read 'dir': Is a directory" --extend @dir
}

@test "bad input: empty file and truncated header" {
	: >empty.eif
	fails 3 "'empty.eif': truncated header (0 of 548 bytes)" empty.eif
	mk -o t.eif --synthetic --truncate 300
	fails 3 "'t.eif': truncated header (300 of 548 bytes)" t.eif
	mk -o t.eif --synthetic --truncate 547
	fails 3 "'t.eif': truncated header (547 of 548 bytes)" t.eif
}

@test "bad input: bad magic, garbage, and files of the wrong type" {
	mk -o m.eif --synthetic --bad-magic
	fails 3 "'m.eif': not an EIF (bad magic)" m.eif
	"$PYTHON" -c 'import random,sys; sys.stdout.buffer.write(b"GARB" + random.Random(7).randbytes(5000))' >garbage.bin
	fails 3 "'garbage.bin': not an EIF (bad magic)" garbage.bin
	"$PYTHON" -c 'import json; print(json.dumps({"Measurements": {"PCR0": "00" * 48}, "pad": "x" * 600}, indent=2))' >pcrs.json
	fails 3 "'pcrs.json': not an EIF (bad magic)" pcrs.json
	if [ -f "$F/c384.pem" ]; then
		cp "$F/c384.pem" cert.pem
		[ "$(wc -c <cert.pem)" -ge 548 ]
		fails 3 "'cert.pem': not an EIF (bad magic)" cert.pem
	fi
}

@test "bad input: unsupported version 5" {
	mk -o v.eif --synthetic --version 5
	fails 3 "'v.eif': unsupported EIF version 5" v.eif
	mk -o v.eif --synthetic --version 65535
	fails 3 "'v.eif': unsupported EIF version 65535" v.eif
}

@test "bad input: too many sections (header says 33; file has 33)" {
	mk -o n.eif --synthetic --num-sections 33
	fails 3 "'n.eif': too many sections (33, at most 32)" n.eif
	mk -o n.eif --synthetic --num-sections 65535
	fails 3 "'n.eif': too many sections (65535, at most 32)" n.eif
	mk -o x.eif --synthetic --extra-sections 28
	fails 3 "'x.eif': too many sections (33, at most 32)" x.eif
}

@test "bad input: a truncated section header" {
	mk -o s.eif --synthetic --append text:abcde
	fails 3 "'s.eif': truncated section header at offset $SYN_SIZE" s.eif
}

@test "bad input: a section past the end of the file" {
	mk -o p.eif --synthetic --truncate 38160
	fails 3 "'p.eif': section 4 (ramdisk) runs past the end of the file" p.eif
	mk -o p.eif --synthetic --truncate 1000
	fails 3 "'p.eif': section 0 (kernel) runs past the end of the file" p.eif
	mk -o p.eif --synthetic --truncate 11000
	fails 3 "'p.eif': section 2 (metadata) runs past the end of the file" p.eif
	# An entry of the header's table past the end of the file.
	mk -o p.eif --synthetic --table-size 4=1000000
	fails 3 "'p.eif': section 4 (ramdisk) runs past the end of the file" p.eif
}

@test "bad input: a regular file that ends after the header (the header's table runs past it)" {
	mk -o p.eif --synthetic --truncate 548
	fails 3 "'p.eif': section 0 runs past the end of the file" p.eif
}

@test "bad input: unknown section types 0 and 6" {
	mk -o u.eif --synthetic --section-type 1=6
	fails 3 "'u.eif': unknown section type 6 (section 1 at offset ${SYN_OFFSETS[1]})" u.eif
	mk -o u.eif --synthetic --section-type 3=0
	fails 3 "'u.eif': unknown section type 0 (section 3 at offset ${SYN_OFFSETS[3]})" u.eif
}

@test "bad input: no kernel, two kernels, two cmdlines" {
	mk -o k.eif --synthetic --no-kernel
	fails 3 "'k.eif': no kernel section" k.eif
	mk -o k.eif --synthetic --duplicate-kernel
	fails 3 "'k.eif': more than one kernel section" k.eif
	mk -o k.eif --synthetic --duplicate-cmdline
	fails 3 "'k.eif': more than one cmdline section" k.eif
}

@test "bad input: the header's section table disagrees with the file" {
	mk -o h.eif --synthetic --num-sections 4
	fails 3 "'h.eif': header lists 4 sections, file has 5" h.eif
	mk -o h.eif --synthetic --num-sections 6
	fails 3 "'h.eif': header lists 6 sections, file has 5" h.eif
	mk -o h.eif --synthetic --offset-table-wrong
	fails 3 "'h.eif': section 1 is at offset ${SYN_OFFSETS[1]} in the file but the header says $((SYN_OFFSETS[1] + 1))" h.eif
}

@test "bad input: CRC mismatch (exit 3); with --no-crc-check exit 0" {
	mk -o c.eif --synthetic --crc 0xdeadbeef
	fails 3 "'c.eif': CRC mismatch (header 0xdeadbeef, computed $SYN_CRC)" c.eif
	fails 3 "'c.eif': CRC mismatch (header 0xdeadbeef, computed $SYN_CRC)" c.eif --role-arn "$ARN"
	run -0 pcr-compute --no-crc-check c.eif
	[ "$(json_get "$output" Measurements PCR1)" = "$SYN_PCR1" ]
}

@test "bad input: metadata over 1 MiB and signature over 64 KiB; exactly 1 MiB of metadata is fine" {
	mk -o md.eif --synthetic --metadata-bytes rep:1048577:x
	fails 3 "'md.eif': metadata section too large (1048577 bytes, at most 1048576)" md.eif
	fails 3 "'md.eif': metadata section too large (1048577 bytes, at most 1048576)" --describe md.eif
	mk -o sg.eif --synthetic --signature-bytes zero:65537
	fails 3 "'sg.eif': signature section too large (65537 bytes, at most 65536)" sg.eif
	mk -o ok.eif --pcrs --synthetic --metadata-bytes rep:1048576:x >exp.json
	run -0 pc ok.eif
	expect_pcrs out.bin exp.json
}

@test "bad input: a malformed signature section" {
	mk -o s.eif --synthetic --signature-bytes text:not-cbor-at-all
	fails_prefix 3 "'s.eif': bad signature section: " s.eif
	mk -o s.eif --synthetic --signature-bytes hex:80
	fails_prefix 3 "'s.eif': bad signature section: " s.eif
}

@test "bad input: --describe with metadata that is not JSON (plain PCRs do not read it)" {
	mk -o j.eif --synthetic --metadata 'this is not {json'
	fails_prefix 3 "'j.eif': metadata is not valid JSON: " --describe j.eif
	run -0 pc j.eif
	expect_json out.bin "$(meas PCR0 "$SYN_PCR0" PCR1 "$SYN_PCR1" PCR2 "$SYN_PCR2")"
}

@test "bad input: --signing-cert that is not a PEM certificate" {
	printf 'hello\n' >cert
	fails_prefix 3 "'cert': not a PEM certificate" --signing-cert cert
	cp "$F/syn.eif" cert.eif
	fails_prefix 3 "'cert.eif': not a PEM certificate" --signing-cert cert.eif "$F/syn.eif"
}

@test "bad input: --extend @FILE is at most 4064 bytes (what fits in one NSM request)" {
	head -c 4065 /dev/zero >big.bin
	fails 3 "'big.bin' is too large (more than 4064 bytes)" --extend @big.bin
	head -c 4064 /dev/zero >ok.bin
	run -0 pc --extend @ok.bin
	expect_json out.bin "$(meas PCR16 "$(fold_extends @ok.bin)")"
}

# --- usage ---

@test "usage: nothing to compute, --describe misuse" {
	fails 2 "$NOTHING"
	fails 2 "$NOTHING" -f env
	fails 2 "--describe needs an EIF" --describe
	fails 2 "--describe needs an EIF" --describe --role-arn "$ARN"
	fails 2 "--describe prints JSON only" --describe -f env "$F/syn.eif"
	fails 2 "--describe prints JSON only" --describe --format hex "$F/syn.eif"
}

@test "usage: bad option values" {
	fails 2 "invalid value 'xml' for --format: expected one of json|env|hex" -f xml --role-arn "$ARN"
	fails 2 "invalid value '5' for --user-pcr: expected 16 to 31" --user-pcr 5 --extend 00
	fails 2 "invalid value '32' for --user-pcr: expected 16 to 31" --extend 00 --user-pcr 32
	fails 2 "invalid value 'x' for --user-pcr: expected 16 to 31" --extend 00 --user-pcr x
	fails 2 "--user-pcr needs --extend" --user-pcr 17 "$F/syn.eif"
	fails_prefix 2 "invalid value 'zz' for --extend: " --extend zz
	fails_prefix 2 "invalid value 'abc' for --extend: " --extend abc
	fails 2 "--role-arn must not be empty" --role-arn ''
	fails 2 "--instance-id must not be empty" --instance-id '' "$F/syn.eif"
}

@test "usage: unknown option, two operands, an option given twice" {
	fails 2 "unknown option '--bogus' (see 'pcr-compute --help')" --bogus "$F/syn.eif"
	cp "$F/syn.eif" a.eif
	cp "$F/syn.eif" b.eif
	fails_prefix 2 "unexpected operand 'b.eif' (usage: " a.eif b.eif
	fails 2 "option '--format' given more than once" -f json --format env a.eif
	fails 2 "option '--role-arn' given more than once" --role-arn "$ARN" --role-arn x
}

@test "--help lists every option and exits 0" {
	run -0 --separate-stderr pcr-compute --help
	local o
	for o in --describe --role-arn --instance-id --signing-cert --input --extend --user-pcr --format \
		--no-crc-check --help --version --verbose --quiet; do
		[[ "$output" == *"$o"* ]] || { echo "--help lacks $o"; return 1; }
	done
	[[ "$output" == *"-d, --describe"* && "$output" == *"-f, --format"* ]]
	run -0 pcr-compute -h
	[[ "$output" == *"--signing-cert"* ]]
}

@test "--version names the tool and the OpenSSL library" {
	run -0 --separate-stderr pcr-compute --version
	[[ "${lines[0]}" == "pcr-compute (nitrokit) "* ]]
	local lib
	lib=$(openssl version | sed -n 's/.*(Library: \(.*\))$/\1/p')
	[ -n "$lib" ] || lib=$(openssl version)
	printf '%s\n' "${lines[@]}" | grep -Fxq "$lib" || { echo "no line '$lib' in: $output"; return 1; }
	run -0 pcr-compute -V
	[[ "${lines[0]}" == "pcr-compute (nitrokit) "* ]]
}

@test "a write error on standard output is exit 4" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -4 --separate-stderr bash -c 'pcr-compute "$1" >/dev/full' _ "$F/syn.eif"
	[ "$stderr" = "pcr-compute: write error on standard output: No space left on device" ]
	run -4 --separate-stderr bash -c 'pcr-compute --describe "$1" >/dev/full' _ "$F/syn.eif"
	[ "$stderr" = "pcr-compute: write error on standard output: No space left on device" ]
}
