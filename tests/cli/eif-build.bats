#!/usr/bin/env bats
# eif-build against DESIGN §4.1/§4.2 and eif_build's behaviour.  Expected
# values come from outside our code: the issue's published known answers,
# Python's hashlib/zlib/json over the input files, the openssl CLI,
# tests/fixtures/mkeif.py (an independent EIF writer) and
# tests/fixtures/eifsig_check.py (an independent signature checker).
load common

MKEIF="$FIXTURES/mkeif.py"
SIGCHECK="$FIXTURES/eifsig_check.py"
# pyenv's python3 is a shell shim that costs ~0.25 s a call: use the interpreter behind it.
PYTHON=${PY_REAL:-$PYTHON}
HASHALG='Sha384 { ... }'
SYN_CMDLINE='reboot=k panic=30 pci=off nomodules console=ttyS0 random.trust_cpu=on root=/dev/ram0'
# Published known answers (the issue / DESIGN §4.2), not our code's output.
SYN_PCR0=d85ed11aaa1433bf0e2d24c74a2ce354f1807ad618e051c8949a29a984ae512f806c07a8065383e6d42391fbe9798e2d
SYN_PCR1=21b83ac9fe90acad86ecd150db84c0cdf35f905bd567bda301ede12b02550dfbf6e55390f0ffb684bbffc106b627794d
SYN_PCR2=206f7853ba2810292cd7f9f234e1fbb421743a02e760d0c55621704f937944356bba7236ab1011c1c8c36fbbde101df7
ONE_PCR2=21b9efbc184807662e966d34f390821309eeac6802309798826296bf3e8bec7c10edb30948c90ba67310f7b964fc500a
SDE=1704067200
SDE_TIME=2024-01-01T00:00:00+00:00

setup_file() {
	export F="$BATS_FILE_TMPDIR"
	PY_REAL=$("$PYTHON" -c 'import sys; print(sys.executable)') && export PY_REAL && PYTHON=$PY_REAL
	# The issue's synthetic inputs, and random ones.
	"$PYTHON" - "$F" <<'EOF'
import os, random, sys
d = sys.argv[1]
open(d + "/syn-kernel", "wb").write(bytes(range(256)) * 40)
open(d + "/syn-rd0", "wb").write(b"ramdisk0-" * 1000)
open(d + "/syn-rd1", "wb").write(b"ramdisk1-" * 2000)
r = random.Random(7)
for name, n in (("kernel", 70000), ("rd0", 30000), ("rd1", 2500000), ("rd2", 12345)):
    open(d + "/" + name, "wb").write(r.randbytes(n))
EOF
	if command -v openssl >/dev/null; then
		local c
		for c in 384 256 521; do
			openssl ecparam -name "$([ $c = 256 ] && echo prime256v1 || echo secp${c}r1)" -genkey -noout \
				-out "$F/k$c.pem" 2>/dev/null
			openssl req -x509 -new -key "$F/k$c.pem" -subj /CN=test -days 1 -out "$F/c$c.pem" 2>/dev/null
		done
		openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$F/rsa.pem" 2>/dev/null
		openssl pkey -in "$F/k384.pem" -aes256 -passout pass:secret -out "$F/k384-enc.pem" 2>/dev/null
	fi
}

need_openssl() {
	[ -f "$F/k384.pem" ] && [ -f "$F/c384.pem" ] || skip "openssl not available"
}

# eb ARGS: eif-build with stdout in out.json and stderr in err.txt.
eb() {
	eif-build "$@" >out.json 2>err.txt
}

# The usual build of the random inputs into OUT (default app.eif).
build() {
	local out=${OUT:-app.eif}
	eb --kernel "$F/kernel" --cmdline "console=ttyS0" --ramdisk "$F/rd0" --ramdisk "$F/rd1" -o "$out" "$@"
}

# fails CODE MESSAGE ARGS: eif-build ARGS exits CODE, prints exactly
# "eif-build: MESSAGE" on stderr, nothing on stdout, and leaves no out.eif
# (nor its temporary file) behind.
fails() {
	local code=$1 msg=$2
	shift 2
	run --separate-stderr eif-build "$@"
	[ "$status" -eq "$code" ] || { echo "exit $status, expected $code; stderr: $stderr"; return 1; }
	[ -z "$output" ] || { echo "stdout not empty: $output"; return 1; }
	[ "$stderr" = "eif-build: $msg" ] || { printf 'stderr:   %s\nexpected: eif-build: %s\n' "$stderr" "$msg"; return 1; }
	no_output
}

# fails_prefix CODE PREFIX ARGS: as fails, for messages whose tail is OpenSSL's or jansson's.
fails_prefix() {
	local code=$1 msg=$2
	shift 2
	run --separate-stderr eif-build "$@"
	[ "$status" -eq "$code" ] || { echo "exit $status, expected $code; stderr: $stderr"; return 1; }
	[ -z "$output" ] || { echo "stdout not empty: $output"; return 1; }
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "more than one line on stderr: $stderr"; return 1; }
	case "$stderr" in
	"eif-build: $msg"*) ;;
	*) printf 'stderr:   %s\nexpected: eif-build: %s...\n' "$stderr" "$msg"; return 1 ;;
	esac
	no_output
}

# No out.eif and no temporary .out.eif.XXXXXX left in the current directory.
no_output() {
	local left
	left=$(ls -A | grep -E '^\.?out\.eif' || true)
	[ -z "$left" ] || { echo "left behind: $left"; return 1; }
}

# The usual good arguments, writing out.eif.
ARGS=()
good_args() {
	ARGS=(--kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0" -o out.eif)
}

# expected_pcrs CMDLINE KERNEL RAMDISK...: the pretty JSON map eif_build prints,
# computed with hashlib from the input files (PCR8 of $CERT when set).
expected_pcrs() {
	"$PYTHON" - "$@" <<'EOF'
import hashlib, json, os, subprocess, sys
ext = lambda d: hashlib.sha384(b"\0" * 48 + d).hexdigest()
cmdline, kernel, rds = sys.argv[1].encode(), sys.argv[2], sys.argv[3:]
read = lambda p: open(p, "rb").read()
boot = read(kernel) + cmdline + read(rds[0])
app = b"".join(read(r) for r in rds[1:])
m = {"HashAlgorithm": "Sha384 { ... }",
     "PCR0": ext(hashlib.sha384(boot + app).digest()),
     "PCR1": ext(hashlib.sha384(boot).digest()),
     "PCR2": ext(hashlib.sha384(app).digest())}
if os.environ.get("CERT"):
    der = subprocess.run(["openssl", "x509", "-in", os.environ["CERT"], "-outform", "DER"],
                         check=True, capture_output=True).stdout
    m["PCR8"] = ext(hashlib.sha384(der).digest())
print(json.dumps(m, indent=2))
EOF
}

# expected_metadata NAME VERSION TIME [CUSTOM_JSON_FILE]: eif_build's metadata
# bytes by Python's json (serde_json's compact form; CustomMetadata's keys sorted,
# as serde_json's BTreeMap-backed Value writes them), with our tool's name and version.
expected_metadata() {
	"$PYTHON" - "$(eif-build --version | sed -n '1s/.* //p')" "$@" <<'EOF'
import json, sys
from collections import OrderedDict as O
tv, name, version, time = sys.argv[1:5]
compact = lambda v, **kw: json.dumps(v, separators=(",", ":"), ensure_ascii=False, **kw)
head = compact(O([("ImageName", name), ("ImageVersion", version),
    ("BuildMetadata", O([("BuildTime", time), ("BuildTool", "nitrokit-eif-build"),
        ("BuildToolVersion", tv), ("OperatingSystem", "Generic Linux"),
        ("KernelVersion", "Unkown version")])), ("DockerInfo", None)]))
custom = compact(json.load(open(sys.argv[5])), sort_keys=True) if len(sys.argv) > 5 else "null"
sys.stdout.write(head[:-1] + ',"CustomMetadata":' + custom + "}")
EOF
}

# section FILE K: the data of section K (0-based) of an EIF, on stdout.
section() {
	"$PYTHON" - "$1" "$2" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
k = int(sys.argv[2])
off = struct.unpack(">32Q", b[28:284])[k]
typ, flags, size = struct.unpack(">HHQ", b[off:off + 12])
sys.stdout.buffer.write(b[off + 12:off + 12 + size])
EOF
}

# header FILE: "version flags mem cpus reserved nsections unused crc" and the
# section types in file order, from the bytes.
header() {
	"$PYTHON" - "$1" <<'EOF'
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:4] == b".eif", b[:4]
v, fl, mem, cpus, res, n = struct.unpack(">HHQQHH", b[4:28])
unused, crc = struct.unpack(">II", b[540:548])
types, pos = [], 548
while pos < len(b):
    t, f, size = struct.unpack(">HHQ", b[pos:pos + 12])
    types.append(str(t))
    pos += 12 + size
print(v, fl, mem, cpus, res, n, unused, "0x%08x" % crc, ",".join(types))
EOF
}

# crc_ok FILE: zlib's CRC-32 of header[0..544) and everything after the header
# equals the stored one.
crc_ok() {
	"$PYTHON" -c '
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
c = zlib.crc32(b[548:], zlib.crc32(b[:544]))
s = struct.unpack(">I", b[544:548])[0]
print("computed 0x%08x stored 0x%08x" % (c, s))
sys.exit(0 if c == s else 1)' "$1"
}

need_pcr_compute() {
	command -v pcr-compute >/dev/null || skip "bin/pcr-compute not built"
}

# --- known answers and independent computations --------------------------

@test "the issue's synthetic inputs give its published PCR0, PCR1 and PCR2" {
	run -0 eb --kernel "$F/syn-kernel" --cmdline "$SYN_CMDLINE" --ramdisk "$F/syn-rd0" --ramdisk "$F/syn-rd1" -o syn.eif
	[ "$(json_get "$(cat out.json)" PCR0)" = "$SYN_PCR0" ]
	[ "$(json_get "$(cat out.json)" PCR1)" = "$SYN_PCR1" ]
	[ "$(json_get "$(cat out.json)" PCR2)" = "$SYN_PCR2" ]
	run -0 eb --kernel "$F/syn-kernel" --cmdline "$SYN_CMDLINE" --ramdisk "$F/syn-rd0" -o syn1.eif
	[ "$(json_get "$(cat out.json)" PCR2)" = "$ONE_PCR2" ]
}

@test "stdout is exactly eif_build's pretty JSON map, the PCRs computed by hashlib" {
	run -0 eb --kernel "$F/kernel" --cmdline "console=ttyS0 quiet" --ramdisk "$F/rd0" --ramdisk "$F/rd1" \
		--ramdisk "$F/rd2" -o app.eif
	expected_pcrs "console=ttyS0 quiet" "$F/kernel" "$F/rd0" "$F/rd1" "$F/rd2" >want.json
	diff out.json want.json
	[ ! -s err.txt ]
}

@test "pcr-compute reads the same PCRs from the file eif-build wrote" {
	need_pcr_compute
	run -0 build --ramdisk "$F/rd2"
	run -0 pcr-compute app.eif
	json_eq "$output" "{\"Measurements\": $(cat out.json)}"
}

@test "the file is byte for byte what the independent writer mkeif.py makes of the same parts" {
	SOURCE_DATE_EPOCH=$SDE run -0 build --ramdisk "$F/rd2" --name app --image-version 3.1
	expected_metadata app 3.1 "$SDE_TIME" >meta.json
	"$PYTHON" "$MKEIF" --kernel "$F/kernel" --cmdline "console=ttyS0" --metadata "$(cat meta.json)" \
		--ramdisk "$F/rd0" --ramdisk "$F/rd1" --ramdisk "$F/rd2" -o ref.eif
	cmp app.eif ref.eif
}

@test "header: version 4, x86_64, 1 GiB, 2 CPUs, sections kernel cmdline metadata ramdisks; zlib CRC matches" {
	run -0 build --ramdisk "$F/rd2"
	run -0 header app.eif
	local crc
	crc=$(crc_ok app.eif | sed 's/.* stored //')
	[ "$output" = "4 0 1073741824 2 0 6 0 $crc 1,2,5,3,3,3" ]
	run -0 crc_ok app.eif
	# The cmdline section is the string's bytes, with no NUL.
	[ "$(section app.eif 1)" = "console=ttyS0" ]
	[ "$(section app.eif 1 | wc -c)" -eq 13 ]
	# The kernel and ramdisk sections are the files.
	section app.eif 0 | cmp - "$F/kernel"
	section app.eif 5 | cmp - "$F/rd2"
}

@test "--arch aarch64 sets header flag 1; --arch x86_64 is 0" {
	run -0 build --arch aarch64
	run -0 header app.eif
	[ "$(echo "$output" | cut -d' ' -f2)" = 1 ]
	run -0 crc_ok app.eif
	run -0 build --arch x86_64
	run -0 header app.eif
	[ "$(echo "$output" | cut -d' ' -f2)" = 0 ]
}

@test "the output file is mode 0644 whatever the umask" {
	umask 077
	run -0 build
	[ "$(stat -c %a app.eif)" = 644 ]
}

@test "an empty second ramdisk measures PCR2 as ext(SHA384(\"\")), the published value" {
	: >empty
	run -0 eb --kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0" --ramdisk empty -o app.eif
	[ "$(json_get "$(cat out.json)" PCR2)" = "$ONE_PCR2" ]
	run -0 crc_ok app.eif
}

@test "an empty --cmdline is an empty cmdline section" {
	run -0 eb --kernel "$F/kernel" --cmdline "" --ramdisk "$F/rd0" -o app.eif
	expected_pcrs "" "$F/kernel" "$F/rd0" >want.json
	diff out.json want.json
	[ "$(section app.eif 1 | wc -c)" -eq 0 ]
}

# --- metadata -----------------------------------------------------------

@test "metadata: eif_build's defaults (ImageName = the kernel's file name, 1.0) and our tool name" {
	mkdir -p boot && cp "$F/kernel" boot/bzImage
	SOURCE_DATE_EPOCH=$SDE run -0 eb --kernel boot/bzImage --cmdline x --ramdisk "$F/rd0" -o app.eif
	expected_metadata bzImage 1.0 "$SDE_TIME" >want
	section app.eif 2 >got
	cmp got want
}

@test "--name and --image-version set ImageName and ImageVersion" {
	run -0 build --name "my app" --image-version 2.0.1-rc1
	run -0 section app.eif 2
	[ "$(json_get "$output" ImageName)" = "my app" ]
	[ "$(json_get "$output" ImageVersion)" = 2.0.1-rc1 ]
}

@test "--metadata: the object is CustomMetadata, keys sorted at every depth as serde_json writes them" {
	printf '{"zeta": {"b": [3, {"y": 1, "x": null}], "a": "\\u00e9\\u0001/"}, "Alpha": true, "beta": ""}' >custom.json
	SOURCE_DATE_EPOCH=$SDE run -0 build --name app --metadata custom.json
	section app.eif 2 >got
	expected_metadata app 1.0 "$SDE_TIME" custom.json >want
	cmp got want
}

@test "--metadata shows under describe's Metadata; --metadata - reads standard input" {
	need_pcr_compute
	echo '{"GitCommit": "abc123", "Builder": "ci"}' | build --metadata -
	run -0 pcr-compute --describe app.eif
	[ "$(json_get "$output" Metadata GitCommit)" = abc123 ]
	[ "$(json_get "$output" Metadata Builder)" = ci ]
	[ "$(json_get "$output" Metadata BuildTool)" = nitrokit-eif-build ]
	[ "$(json_get "$output" Metadata KernelVersion)" = "Unkown version" ]
}

@test "SOURCE_DATE_EPOCH: BuildTime in RFC 3339 UTC, and two builds are byte-identical" {
	SOURCE_DATE_EPOCH=$SDE run -0 build
	mv app.eif one.eif
	cp out.json one.json
	sleep 1
	SOURCE_DATE_EPOCH=$SDE run -0 build
	cmp one.eif app.eif
	cmp one.json out.json
	[ "$(json_get "$(section app.eif 2)" BuildMetadata BuildTime)" = "$SDE_TIME" ]
	SOURCE_DATE_EPOCH=0 run -0 build
	[ "$(json_get "$(section app.eif 2)" BuildMetadata BuildTime)" = 1970-01-01T00:00:00+00:00 ]
}

@test "without SOURCE_DATE_EPOCH (or with it empty) BuildTime is now, in UTC" {
	local before after t
	unset SOURCE_DATE_EPOCH
	before=$(date -u +%s)
	run -0 build
	after=$(date -u +%s)
	t=$(json_get "$(section app.eif 2)" BuildMetadata BuildTime)
	[[ "$t" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00$ ]]
	t=$(date -u -d "${t%+00:00}Z" +%s)
	[ "$t" -ge "$before" ] && [ "$t" -le "$after" ]
	SOURCE_DATE_EPOCH= run -0 build
	t=$(json_get "$(section app.eif 2)" BuildMetadata BuildTime)
	[[ "$t" =~ \+00:00$ ]] && [ "$t" != 1970-01-01T00:00:00+00:00 ]
}

@test "a malformed SOURCE_DATE_EPOCH is a usage error" {
	good_args
	local v
	for v in abc -1 1.5 " 1" 1e9 0x10 253402300800 99999999999999999999; do
		SOURCE_DATE_EPOCH=$v fails 2 "invalid SOURCE_DATE_EPOCH '$v': expected whole seconds since 1970 (0 to 253402300799)" "${ARGS[@]}"
	done
}

# --- signing ------------------------------------------------------------

@test "signed: PCR8 = ext(SHA384(cert DER)) by openssl and hashlib; pcr-compute agrees" {
	need_openssl
	run -0 build --signing-cert "$F/c384.pem" --signing-key "$F/k384.pem"
	CERT="$F/c384.pem" expected_pcrs "console=ttyS0" "$F/kernel" "$F/rd0" "$F/rd1" >want.json
	diff out.json want.json
	run -0 header app.eif
	[ "${output##* }" = 1,2,5,3,3,4 ]
	[ "$(echo "$output" | cut -d' ' -f6)" = 6 ]
	run -0 crc_ok app.eif
	# The certificate's PEM file is carried verbatim, as serde_cbor's array of
	# small ints (a byte >= 24 is 0x18 and the byte).
	section app.eif 5 >sig
	"$PYTHON" -c '
import sys
pem, sec = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
ints = b"".join(bytes([0x18, c]) if c >= 24 else bytes([c]) for c in pem)
sys.exit(0 if ints in sec else 1)' "$F/c384.pem" sig
	if command -v pcr-compute >/dev/null; then
		run -0 pcr-compute app.eif
		json_eq "$output" "{\"Measurements\": $(cat out.json)}"
	fi
}

@test "signed: pcr-compute --describe says IsSigned and SignatureCheck true (P-256, P-384, P-521)" {
	need_openssl
	need_pcr_compute
	local c
	for c in 256 384 521; do
		run -0 build --signing-cert "$F/c$c.pem" --signing-key "$F/k$c.pem"
		run -0 pcr-compute --describe app.eif
		[ "$(json_get "$output" IsSigned)" = true ]
		[ "$(json_get "$output" SignatureCheck)" = true ]
		[ "$(json_get "$output" CheckCRC)" = true ]
	done
}

@test "signed: one altered kernel byte (CRC fixed up) fails the signature check" {
	need_openssl
	need_pcr_compute
	run -0 build --signing-cert "$F/c384.pem" --signing-key "$F/k384.pem"
	"$PYTHON" - app.eif <<'EOF'
import struct, sys, zlib
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[548 + 12 + 100] ^= 0x01                      # a byte of the kernel's data
b[544:548] = struct.pack(">I", zlib.crc32(bytes(b[548:]), zlib.crc32(bytes(b[:544]))))
open(p, "wb").write(b)
EOF
	run -0 crc_ok app.eif
	run -0 pcr-compute --describe app.eif
	[ "$(json_get "$output" CheckCRC)" = true ]
	[ "$(json_get "$output" IsSigned)" = true ]
	[ "$(json_get "$output" SignatureCheck)" = false ]
	[ "$(json_get "$output" Measurements PCR0)" != "$(json_get "$(cat out.json)" PCR0)" ]
}

@test "signed: the independent checker eifsig_check.py accepts the signature section" {
	need_openssl
	[ -f "$SIGCHECK" ] || skip "tests/fixtures/eifsig_check.py not present"
	local c
	for c in 384 256; do
		run -0 build --signing-cert "$F/c$c.pem" --signing-key "$F/k$c.pem"
		run /usr/bin/python3 "$SIGCHECK" --eif app.eif "$(json_get "$(cat out.json)" PCR0)"
		[ "$status" -ne 77 ] || skip "cbor2/cryptography missing for /usr/bin/python3"
		[ "$status" -eq 0 ] || { echo "$output"; return 1; }
		[ "$output" = "$(json_get "$(cat out.json)" PCR8)" ]
	done
	# and rejects it for another PCR0
	run -1 /usr/bin/python3 "$SIGCHECK" --eif app.eif "$SYN_PCR0"
}

@test "signed builds are the unsigned image plus a signature section; measurements do not change" {
	need_openssl
	SOURCE_DATE_EPOCH=$SDE run -0 build
	cp app.eif plain.eif
	cp out.json plain.json
	SOURCE_DATE_EPOCH=$SDE run -0 build --signing-cert "$F/c384.pem" --signing-key "$F/k384.pem"
	for k in PCR0 PCR1 PCR2; do
		[ "$(json_get "$(cat out.json)" $k)" = "$(json_get "$(cat plain.json)" $k)" ]
	done
	# Same sections up to the signature (the header differs: count, table, CRC).
	local n
	n=$(stat -c %s plain.eif)
	cmp <(tail -c +549 plain.eif) <(head -c "$n" app.eif | tail -c +549)
}

@test "signing errors: a lone key or cert, non-PEM, not EC, encrypted, or not the cert's key" {
	need_openssl
	good_args
	fails 2 "--signing-key needs --signing-cert" "${ARGS[@]}" --signing-key "$F/k384.pem"
	fails 2 "--signing-cert needs --signing-key" "${ARGS[@]}" --signing-cert "$F/c384.pem"
	echo garbage >garbage.pem
	fails_prefix 3 "'garbage.pem': not a PEM certificate" "${ARGS[@]}" --signing-cert garbage.pem --signing-key "$F/k384.pem"
	fails_prefix 3 "'garbage.pem': not a PEM private key" "${ARGS[@]}" --signing-cert "$F/c384.pem" --signing-key garbage.pem
	# A key where the certificate goes, and the other way round.
	fails_prefix 3 "'$F/k384.pem': not a PEM certificate" "${ARGS[@]}" --signing-cert "$F/k384.pem" --signing-key "$F/k384.pem"
	fails_prefix 3 "'$F/c384.pem': not a PEM private key" "${ARGS[@]}" --signing-cert "$F/c384.pem" --signing-key "$F/c384.pem"
	fails 3 "'$F/rsa.pem': not an EC key (expected P-256, P-384 or P-521)" "${ARGS[@]}" --signing-cert "$F/c384.pem" --signing-key "$F/rsa.pem"
	fails 3 "signing key does not match the certificate" "${ARGS[@]}" --signing-cert "$F/c384.pem" --signing-key "$F/k256.pem"
	# An encrypted key is refused, never prompted for.
	fails_prefix 3 "'$F/k384-enc.pem': not a PEM private key" "${ARGS[@]}" --signing-cert "$F/c384.pem" --signing-key "$F/k384-enc.pem" </dev/null
	fails 4 "cannot open 'nope.pem': No such file or directory" "${ARGS[@]}" --signing-cert nope.pem --signing-key "$F/k384.pem"
	fails 4 "cannot open 'nope.pem': No such file or directory" "${ARGS[@]}" --signing-cert "$F/c384.pem" --signing-key nope.pem
	mkdir dir
	fails 4 "cannot read 'dir': Is a directory" "${ARGS[@]}" --signing-cert dir --signing-key "$F/k384.pem"
	head -c 20000 /dev/zero >big.pem
	fails 3 "'big.pem' is too large (more than 16384 bytes)" "${ARGS[@]}" --signing-cert big.pem --signing-key "$F/k384.pem"
	fails 3 "'big.pem' is too large (more than 16384 bytes)" "${ARGS[@]}" --signing-cert "$F/c384.pem" --signing-key big.pem
}

@test "the private key never reaches stdout or stderr" {
	need_openssl
	run -0 build --signing-cert "$F/c384.pem" --signing-key "$F/k384.pem" -v
	local line
	line=$(sed -n 2p "$F/k384.pem")
	run -1 grep -qF "$line" out.json err.txt
	run -3 eif-build --kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0" -o out.eif \
		--signing-cert "$F/c256.pem" --signing-key "$F/k384.pem"
	[[ "$output" != *"$line"* ]]
}

# --- input and usage errors -----------------------------------------------

@test "missing required options are named" {
	fails 2 "missing required option '--kernel' (see 'eif-build --help')" --cmdline x --ramdisk "$F/rd0" -o out.eif
	fails 2 "missing required option '--cmdline' (see 'eif-build --help')" --kernel "$F/kernel" --ramdisk "$F/rd0" -o out.eif
	fails 2 "missing required option '--ramdisk' (see 'eif-build --help')" --kernel "$F/kernel" --cmdline x -o out.eif
	fails 2 "missing required option '--output' (see 'eif-build --help')" --kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0"
}

@test "bad options: --arch, unknown option, operand, repeated option, -o -, two stdins" {
	good_args
	fails 2 "invalid value 'arm64' for --arch: expected one of x86_64|aarch64" "${ARGS[@]}" --arch arm64
	fails 2 "unknown option '--bogus' (see 'eif-build --help')" "${ARGS[@]}" --bogus
	fails 2 "unknown option '--image_version' (see 'eif-build --help')" "${ARGS[@]}" --image_version 1
	fails 2 "unexpected operand 'extra' (usage: eif-build --kernel FILE --cmdline STR --ramdisk FILE... -o FILE [OPTIONS])" "${ARGS[@]}" extra
	fails 2 "option '--kernel' given more than once" "${ARGS[@]}" --kernel "$F/kernel"
	fails 2 "option '--name' given more than once" "${ARGS[@]}" --name a --name b
	fails 2 "--output must be a file: the EIF's header is written last, and the measurements go to standard output" \
		--kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0" -o -
	fails 2 "standard input ('-') can be given for one input only" --kernel - --cmdline x --ramdisk - -o out.eif
	fails 2 "standard input ('-') can be given for one input only" "${ARGS[@]}" --metadata - --ramdisk -
}

@test "empty values and control characters are refused before any input is read (exit 2)" {
	good_args
	fails 2 "--kernel must not be empty" --kernel '' --cmdline x --ramdisk "$F/rd0" -o out.eif
	fails 2 "--ramdisk must not be empty" --kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0" --ramdisk '' -o out.eif
	fails 2 "--output must not be empty" --kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0" -o ''
	local o
	for o in name image-version metadata signing-cert signing-key; do
		fails 2 "--$o must not be empty" "${ARGS[@]}" "--$o" ''
	done
	fails 2 "--name must not be empty" "${ARGS[@]}" --name=
	fails 2 "invalid value '' for --arch: expected one of x86_64|aarch64" "${ARGS[@]}" --arch ''
	# The command line may be empty (see above), but not hold a control character.
	fails 2 "--cmdline must not contain control characters (byte 14 is 0x0a)" \
		--kernel "$F/kernel" --cmdline $'console=ttyS0\nquiet' --ramdisk "$F/rd0" -o out.eif
	fails 2 "--name must not contain control characters (byte 3 is 0x09)" "${ARGS[@]}" --name $'my\tapp'
	fails 2 "--image-version must not contain control characters (byte 4 is 0x1b)" "${ARGS[@]}" --image-version $'1.0\e[31m'
}

@test "missing and directory inputs, missing output directory" {
	good_args
	fails 4 "cannot open 'nope': No such file or directory" --kernel nope --cmdline x --ramdisk "$F/rd0" -o out.eif
	fails 4 "cannot open 'nope': No such file or directory" --kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0" --ramdisk nope -o out.eif
	fails 4 "cannot open 'nope.json': No such file or directory" "${ARGS[@]}" --metadata nope.json
	mkdir dir
	fails 4 "cannot read 'dir': Is a directory" --kernel dir --cmdline x --ramdisk "$F/rd0" -o out.eif
	fails 4 "cannot read 'dir': Is a directory" --kernel "$F/kernel" --cmdline x --ramdisk dir -o out.eif
	fails 4 "cannot read 'dir': Is a directory" "${ARGS[@]}" --metadata dir
	fails 4 "cannot create 'nodir/out.eif': No such file or directory" --kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0" -o nodir/out.eif
	[ ! -e nodir ]
}

@test "bad input data: empty kernel, --metadata garbage, wrong type, oversized" {
	good_args
	: >empty
	fails 3 "'empty': the kernel is empty" --kernel empty --cmdline x --ramdisk "$F/rd0" -o out.eif
	echo 'not json' >garbage.json
	fails_prefix 3 "'garbage.json': invalid JSON at line 1" "${ARGS[@]}" --metadata garbage.json
	: >empty.json
	fails_prefix 3 "'empty.json': invalid JSON" "${ARGS[@]}" --metadata empty.json
	echo '{"a": 1' >cut.json
	fails_prefix 3 "'cut.json': invalid JSON" "${ARGS[@]}" --metadata cut.json
	echo '{"a": 1, "a": 2}' >dup.json
	fails_prefix 3 "'dup.json': invalid JSON" "${ARGS[@]}" --metadata dup.json
	echo '[1, 2]' >array.json
	fails 3 "'array.json': the metadata must be a JSON object" "${ARGS[@]}" --metadata array.json
	# 1 MiB + 1 byte of valid JSON
	"$PYTHON" -c 'import sys; s = "{\"a\":\"" + "x" * (1048577 - 8) + "\"}"; assert len(s) == 1048577; sys.stdout.write(s)' >big.json
	fails 3 "'big.json' is too large (more than 1048576 bytes)" "${ARGS[@]}" --metadata big.json
	# the kernel binary as metadata: garbage with NULs
	fails_prefix 3 "'$F/kernel': invalid JSON" "${ARGS[@]}" --metadata "$F/kernel"
}

@test "metadata that fills the 1 MiB metadata section is refused, just below is built" {
	# A file under the 1 MiB cap whose section (with the fixed fields) would exceed it.
	"$PYTHON" -c 'import sys; sys.stdout.write("{\"a\":\"" + "x" * (1048576 - 8) + "\"}")' >full.json
	good_args
	fails_prefix 3 "metadata section too large (" "${ARGS[@]}" --metadata full.json
	"$PYTHON" -c 'import sys; sys.stdout.write("{\"a\":\"" + "x" * (1048576 - 400) + "\"}")' >ok.json
	run -0 eb "${ARGS[@]}" --metadata ok.json
	[ "$(section out.eif 2 | wc -c)" -le 1048576 ]
}

@test "ramdisks: 29 fill the 32 sections (28 when signing); one more is a usage error" {
	local rds=() i
	for i in $(seq 29); do rds+=(--ramdisk "$F/rd2"); done
	run -0 eb --kernel "$F/kernel" --cmdline x "${rds[@]}" -o app.eif
	run -0 header app.eif
	[ "$(echo "$output" | cut -d' ' -f6)" = 32 ]
	run -0 crc_ok app.eif
	if command -v pcr-compute >/dev/null; then
		run -0 pcr-compute app.eif
	fi
	fails 2 "too many ramdisks (30, at most 29: an EIF has at most 32 sections)" \
		--kernel "$F/kernel" --cmdline x "${rds[@]}" --ramdisk "$F/rd2" -o out.eif
	need_openssl
	fails 2 "too many ramdisks (29, at most 28 when signing: an EIF has at most 32 sections)" \
		--kernel "$F/kernel" --cmdline x "${rds[@]}" -o out.eif --signing-cert "$F/c384.pem" --signing-key "$F/k384.pem"
}

@test "a failed build leaves an existing output untouched and no temporary file" {
	echo previous >out.eif
	run -4 eif-build --kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0" --ramdisk nope -o out.eif
	[ "$(cat out.eif)" = previous ]
	# A failure after the output was created: the empty kernel is found while writing.
	: >empty
	run -3 eif-build --kernel empty --cmdline x --ramdisk "$F/rd0" -o out.eif
	[ "$(cat out.eif)" = previous ]
	rm out.eif
	no_output
}

@test "standard input: '-' as kernel or ramdisk gives the same image as the file" {
	SOURCE_DATE_EPOCH=$SDE run -0 build --name kernel
	mv app.eif file.eif
	cp out.json file.json
	SOURCE_DATE_EPOCH=$SDE eb --kernel - --cmdline "console=ttyS0" --ramdisk "$F/rd0" --ramdisk "$F/rd1" \
		-o app.eif --name kernel <"$F/kernel"
	cmp file.eif app.eif
	cmp file.json out.json
	cat "$F/rd1" | SOURCE_DATE_EPOCH=$SDE eb --kernel "$F/kernel" --cmdline "console=ttyS0" --ramdisk "$F/rd0" \
		--ramdisk - -o app.eif --name kernel
	cmp file.eif app.eif
}

@test "standard input: the signing key can come from '-'" {
	need_openssl
	need_pcr_compute
	run -0 build --signing-cert "$F/c384.pem" --signing-key - <"$F/k384.pem"
	CERT="$F/c384.pem" expected_pcrs "console=ttyS0" "$F/kernel" "$F/rd0" "$F/rd1" >want.json
	diff out.json want.json
	run -0 pcr-compute --describe app.eif
	[ "$(json_get "$output" SignatureCheck)" = true ]
}

@test "--verbose: 'Output file: OUT' on stderr only; stdout stays pure JSON" {
	run -0 build -v
	grep -qx "Output file: app.eif" err.txt
	run -1 grep -q "Output file" out.json
	jq -e .PCR0 out.json >/dev/null
	run -0 build
	[ ! -s err.txt ]
	run -0 build -q
	[ ! -s err.txt ]
}

@test "pipelines: jq takes PCR0; pcr-compute follows a quiet build" {
	need_pcr_compute
	run -0 bash -c "eif-build --kernel '$F/kernel' --cmdline x --ramdisk '$F/rd0' -o app.eif | jq -r .PCR0"
	[[ "$output" =~ ^[0-9a-f]{96}$ ]]
	run -0 bash -c "eif-build --kernel '$F/kernel' --cmdline x --ramdisk '$F/rd0' -o app.eif >/dev/null && pcr-compute app.eif | jq -r .Measurements.PCR0"
	[ "${lines[0]}" = "$(expected_pcrs x "$F/kernel" "$F/rd0" | jq -r .PCR0)" ]
}

@test "a write error on standard output is exit 4" {
	[ -w /dev/full ] || skip "no /dev/full"
	run -4 bash -c 'eif-build --kernel "$1" --cmdline x --ramdisk "$2" -o app.eif >/dev/full' _ "$F/kernel" "$F/rd0"
	[ "$output" = "eif-build: write error on standard output: No space left on device" ]
}

@test "--help names every option; --version prints the suite version" {
	run -0 eif-build --help
	local o
	for o in --kernel --cmdline --ramdisk --output --name --image-version --arch --metadata \
		--signing-cert --signing-key --help --version --verbose --quiet; do
		[[ "$output" == *"$o"* ]] || { echo "--help lacks $o"; return 1; }
	done
	run -0 eif-build --version
	[[ "${lines[0]}" =~ ^eif-build\ \(nitrokit\)\ [0-9] ]]
}

@test "large inputs stream: 256 MiB ramdisk, memory stays small, PCRs match hashlib" {
	[ -x /usr/bin/time ] || skip "no /usr/bin/time"
	truncate -s 256M big
	/usr/bin/time -f %M -o rss eif-build --kernel "$F/kernel" --cmdline x --ramdisk "$F/rd0" --ramdisk big \
		-o app.eif >out.json
	[ "$(tail -1 rss)" -lt 65536 ] || { echo "max RSS $(tail -1 rss) KiB"; return 1; }
	expected_pcrs x "$F/kernel" "$F/rd0" big >want.json
	diff out.json want.json
	[ "$(stat -c %s app.eif)" -eq $((548 + 12 * 5 + 70000 + 1 + $(section app.eif 2 | wc -c) + 30000 + 268435456)) ]
	run -0 crc_ok app.eif
}
