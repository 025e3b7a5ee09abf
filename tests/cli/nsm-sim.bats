#!/usr/bin/env bats
# nsm-sim against its CLI contract, driven by a small Python client (stdlib
# socket + cbor2) that sends raw requests.  Known answers come from outside
# nitrokit's NSM code: the issue's published PCRs, pcr-compute, hashlib, and
# tests/fixtures/attest_check.py (cbor2 + cryptography) for the documents.
load common

SYSPY=/usr/bin/python3
CHECK="$FIXTURES/attest_check.py"
MKEIF="$FIXTURES/mkeif.py"
ARN=arn:aws:iam::123456789012:role/Webserver
IID=i-1234567890abcdef0
# Published known answers (the issue / DESIGN §4.2).
PCR3_ARN=78fce75db17cd4e0a3fb8dad3ad128ca5e77edbb2b2c7f75329dccd99aa5f6ef4fc1f1a452e315b9e98f9e312e6921e6
PCR4_IID=08f996b5d43e047a9eb51e7f548bfee7e164fd7dc8f65541f2ac09d6545ac812719327281c401a67a10fcba87ae79ce0
SYN_PCR0=d85ed11aaa1433bf0e2d24c74a2ce354f1807ad618e051c8949a29a984ae512f806c07a8065383e6d42391fbe9798e2d
ZERO=000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
DEFAULT_MODULE=i-00000000000000000-enc0000000000000000

setup_file() {
	export F="$BATS_FILE_TMPDIR"
	export HAVE_PY=0 HAVE_OPENSSL=0
	if "$SYSPY" -c 'import cbor2, cryptography' 2>/dev/null; then
		HAVE_PY=1
	fi
	command -v openssl >/dev/null && HAVE_OPENSSL=1
	"$PYTHON" "$MKEIF" --synthetic -o "$F/syn.eif"
	# An image built by eif-build, signed when openssl can make a certificate.
	head -c 70000 /dev/urandom >"$F/kernel"
	head -c 30000 /dev/urandom >"$F/rd1"
	head -c 20000 /dev/urandom >"$F/rd2"
	eif-build --kernel "$F/kernel" --cmdline "console=ttyS0" --ramdisk "$F/rd1" --ramdisk "$F/rd2" \
		-o "$F/app.eif" >/dev/null
	if [ "$HAVE_OPENSSL" = 1 ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -subj "/CN=nitrokit test signer" \
			-days 30 -keyout "$F/sign.key" -out "$F/sign.pem" 2>/dev/null
		eif-build --kernel "$F/kernel" --cmdline "console=ttyS0" --ramdisk "$F/rd1" --ramdisk "$F/rd2" \
			--signing-cert "$F/sign.pem" --signing-key "$F/sign.key" -o "$F/signed.eif" >/dev/null
	fi
	export NSMC="$F/nsmc.py"
	cat >"$NSMC" <<'EOF'
"""nsmc.py SOCK [--doc FILE] [--hex] REQ...: send each REQ (a Python expression: bytes
are sent as they are, anything else as cbor2.dumps) as one record on one connection and
print each answer as one JSON line, byte strings as hex (--hex: the raw answer as hex).
An Attestation document is written to FILE (--doc) and shown as its length.
nsmc.py SOCK --concurrent N: N clients connected at once, each asking in turn."""
import json, socket, sys, threading, cbor2

def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.settimeout(20)
    s.connect(path)
    return s

def ask(s, req):
    s.send(req if isinstance(req, bytes) else cbor2.dumps(req))
    return s.recv(65536)

def plain(v):
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v

def concurrent(path, n):
    socks = [connect(path) for _ in range(n)]   # all connected before anyone asks
    errors = []
    def client(i, s):
        try:
            for round in range(5):
                nonce = bytes([i, round]) * 8
                a = cbor2.loads(ask(s, {"Attestation": {"user_data": None, "nonce": nonce, "public_key": None}}))
                doc = cbor2.loads(a["Attestation"]["document"])
                assert cbor2.loads(doc[2])["nonce"] == nonce, "a document for another client"
                r = cbor2.loads(ask(s, "GetRandom"))
                assert len(r["GetRandom"]["random"]) == 256
                d = cbor2.loads(ask(s, {"DescribePCR": {"index": 16 + i % 16}}))
                assert len(d["DescribePCR"]["data"]) == 48
        except Exception as e:
            errors.append(f"client {i}: {e!r}")
    ts = [threading.Thread(target=client, args=(i, s)) for i, s in enumerate(socks)]
    for t in ts: t.start()
    for t in ts: t.join()
    for s in socks: s.close()
    if errors:
        print("\n".join(errors)); sys.exit(1)
    print(f"ok {n}")

def main():
    a = sys.argv[1:]
    path = a.pop(0)
    if a[0] == "--concurrent":
        return concurrent(path, int(a[1]))
    doc = raw = None
    if a[0] == "--doc":
        doc = a[1]; a = a[2:]
    if a[0] == "--hex":
        raw = True; a = a[1:]
    s = connect(path)
    for expr in a:
        r = ask(s, eval(expr))
        if raw:
            print(r.hex()); continue
        v = cbor2.loads(r)
        if isinstance(v, dict) and "Attestation" in v and doc:
            open(doc, "wb").write(v["Attestation"]["document"])
            v["Attestation"]["document"] = len(v["Attestation"]["document"])
        print(json.dumps(plain(v)))
    s.close()

main()
EOF
}

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T" || return 1
	SIM_PID=
}

need_py() {
	[ "$HAVE_PY" = 1 ] || skip "$SYSPY lacks cbor2 or cryptography"
}

need_openssl() {
	[ "$HAVE_OPENSSL" = 1 ] || skip "openssl is not installed"
}

# start_sim ARGS: nsm-sim on $T/nsm.sock with its PKI in $T/pki, in the
# background; returns once the pidfile exists (it is written after the socket
# accepts), or fails with stderr when nsm-sim exits first.
start_sim() {
	nsm-sim --socket "$T/nsm.sock" --pidfile "$T/nsm.pid" --pki "$T/pki" "$@" 2>"$T/sim.err" 3>&- &
	SIM_PID=$!
	local i
	for ((i = 0; i < 1000; i++)); do
		[ -s "$T/nsm.pid" ] && return 0
		if ! kill -0 "$SIM_PID" 2>/dev/null; then
			echo "nsm-sim exited early:"; cat "$T/sim.err"; SIM_PID=; return 1
		fi
		sleep 0.01
	done
	echo "nsm-sim did not get ready in 10 s"; return 1
}

# stop_sim [SIG]: signal the pid of the pidfile; nsm-sim must exit 0 and remove
# the socket and the pidfile.
stop_sim() {
	local sig=${1:-TERM} pid rc=0
	[ -n "$SIM_PID" ] || return 0
	pid=$(cat "$T/nsm.pid")
	[ "$pid" = "$SIM_PID" ] || { echo "pidfile holds '$pid', started $SIM_PID"; return 1; }
	kill "-$sig" "$pid"
	wait "$SIM_PID" || rc=$?
	SIM_PID=
	[ "$rc" -eq 0 ] || { echo "nsm-sim exited $rc on SIG$sig:"; cat "$T/sim.err"; return 1; }
	[ ! -e "$T/nsm.sock" ] || { echo "SIG$sig left the socket behind"; return 1; }
	[ ! -e "$T/nsm.pid" ] || { echo "SIG$sig left the pidfile behind"; return 1; }
}

teardown() {
	stop_sim
}

nsmc() {
	"$SYSPY" "$NSMC" "$T/nsm.sock" "$@"
}

# ask REQ: one request, the answer as JSON in $output.
ask() {
	run nsmc "$@"
	[ "$status" -eq 0 ] || { echo "client failed: $output"; return 1; }
}

# pcr_of N: PCR N's value as DescribePCR reports it.
pcr_of() {
	nsmc "{'DescribePCR': {'index': $1}}" | "$SYSPY" -c 'import json,sys; print(json.load(sys.stdin)["DescribePCR"]["data"])'
}

# attest FILE [NONCE_EXPR]: an attestation document into FILE.
attest() {
	nsmc --doc "$1" "{'Attestation': {'user_data': None, 'nonce': ${2:-None}, 'public_key': None}}" >/dev/null
}

check_doc() {
	"$SYSPY" "$CHECK" "$1" --root "$T/pki/root.pem" "${@:2}"
}

# sha384_ext HEX...: a user PCR after NSM extends with each value, by hashlib.
sha384_ext() {
	"$SYSPY" -c '
import hashlib, sys
pcr = b"\0" * 48
for a in sys.argv[1:]:
    pcr = hashlib.sha384(pcr + bytes.fromhex(a)).digest()
print(pcr.hex())' "$@"
}

measurement() {
	json_get "$1" Measurements "$2"
}

# --- documents ----------------------------------------------------------------

@test "nsm-sim: documents verify with an independent verifier against DIR/root.pem" {
	need_py
	start_sim --eif "$F/syn.eif" --role-arn "$ARN" --instance-id "$IID"
	run nsmc --doc doc.cose "{'Attestation': {'user_data': b'hello', 'nonce': bytes(range(32)), 'public_key': b'0' * 1024}}"
	[ "$status" -eq 0 ]
	run check_doc doc.cose --user-data-hex 68656c6c6f --nonce-hex "$("$SYSPY" -c 'print(bytes(range(32)).hex())')" \
		--public-key-der-hex "$("$SYSPY" -c 'print((b"0" * 1024).hex())')" \
		--expect-pcr "0=$SYN_PCR0" --expect-pcr "3=$PCR3_ARN" --expect-pcr "4=$PCR4_IID"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(json_get "$output" module_id)" = "$DEFAULT_MODULE" ]
	[ "$(json_get "$output" cabundle)" = 4 ]
	# PCR0-15 exactly, as real hardware
	[ "$("$SYSPY" -c 'import json,sys; print(" ".join(json.loads(sys.argv[1])["pcrs"]))' "$output")" = \
	  "0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15" ]
	# all-null fields are null, and the payload map has a definite length (a9)
	attest doc2.cose
	run check_doc doc2.cose
	[ "$status" -eq 0 ]
	[ "$(json_get "$output" nonce)" = null ]
	[ "$(json_get "$output" user_data)" = null ]
	"$SYSPY" -c 'import cbor2,sys; assert cbor2.loads(open(sys.argv[1],"rb").read())[2][0] == 0xa9' doc2.cose
}

@test "nsm-sim: the verifier is not vacuous: another root, a flipped bit, a late clock fail" {
	need_py
	start_sim
	attest doc.cose
	run check_doc doc.cose
	[ "$status" -eq 0 ]
	# another root
	mkdir other
	"$SYSPY" -c '
import datetime
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
k = ec.generate_private_key(ec.SECP384R1())
n = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other root")])
now = datetime.datetime.utcnow()
c = (x509.CertificateBuilder().subject_name(n).issuer_name(n).public_key(k.public_key())
     .serial_number(1).not_valid_before(now - datetime.timedelta(days=1))
     .not_valid_after(now + datetime.timedelta(days=1)).sign(k, hashes.SHA384()))
open("other/root.pem", "wb").write(c.public_bytes(serialization.Encoding.PEM))'
	run "$SYSPY" "$CHECK" doc.cose --root other/root.pem
	[ "$status" -eq 1 ]
	[[ $output == *"cabundle[0] is not the root"* ]]
	# the last byte of the signature
	"$SYSPY" -c 'import sys; b=bytearray(open("doc.cose","rb").read()); b[-1]^=1; open("bad.cose","wb").write(b)'
	run check_doc bad.cose
	[ "$status" -eq 1 ]
	[[ $output == *"COSE signature does not verify"* ]]
	# 4 hours later the leaf has expired
	ts=$(check_doc doc.cose | "$SYSPY" -c 'import json,sys; print(json.load(sys.stdin)["timestamp"])')
	run check_doc doc.cose --at-ms $((ts + 4 * 3600 * 1000))
	[ "$status" -eq 1 ]
	[[ $output == *"leaf: not valid at"* ]]
}

@test "nsm-sim: the leaf certificate is valid 3 hours (from a minute before it was issued)" {
	need_py
	start_sim
	attest doc.cose
	run check_doc doc.cose
	[ "$status" -eq 0 ]
	local nb na ts
	nb=$(json_get "$output" leaf_not_before)
	na=$(json_get "$output" leaf_not_after)
	ts=$(json_get "$output" timestamp)
	[ $((na - nb)) -eq $((3 * 3600 + 60)) ]
	# issued at start, a moment before the document
	[ $((na - ts / 1000)) -le $((3 * 3600)) ]
	[ $((na - ts / 1000)) -ge $((3 * 3600 - 30)) ]
	# the timestamp is now, in ms
	now=$(date +%s)
	[ $((ts / 1000)) -le "$now" ]
	[ $((ts / 1000)) -ge $((now - 30)) ]
}

# --- PCRs -------------------------------------------------------------------------

@test "nsm-sim: PCR0/1/2 from --eif equal pcr-compute's, in DescribePCR and in documents" {
	need_py
	local m
	m=$(pcr-compute "$F/app.eif")
	start_sim --eif "$F/app.eif"
	for i in 0 1 2; do
		[ "$(pcr_of $i)" = "$(measurement "$m" PCR$i)" ] || { echo "PCR$i differs"; return 1; }
	done
	[ "$(pcr_of 8)" = "$ZERO" ]
	attest doc.cose
	run check_doc doc.cose --expect-pcr "0=$(measurement "$m" PCR0)" --expect-pcr "1=$(measurement "$m" PCR1)" \
		--expect-pcr "2=$(measurement "$m" PCR2)" --expect-pcr "8=$ZERO"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "nsm-sim: a signed EIF sets PCR8 as pcr-compute does" {
	need_py
	need_openssl
	local m
	m=$(pcr-compute "$F/signed.eif")
	start_sim --eif "$F/signed.eif"
	for i in 0 1 2 8; do
		[ "$(pcr_of $i)" = "$(measurement "$m" PCR$i)" ] || { echo "PCR$i differs"; return 1; }
	done
	[ "$(pcr_of 8)" != "$ZERO" ]
}

@test "nsm-sim: --debug-mode gives zero PCR0/1/2/8 and keeps PCR3/4" {
	need_py
	local img=$F/app.eif
	[ "$HAVE_OPENSSL" = 1 ] && img=$F/signed.eif
	start_sim --eif "$img" --debug-mode --role-arn "$ARN" --instance-id "$IID"
	attest doc.cose
	run check_doc doc.cose --expect-pcr "0=$ZERO" --expect-pcr "1=$ZERO" --expect-pcr "2=$ZERO" \
		--expect-pcr "8=$ZERO" --expect-pcr "3=$PCR3_ARN" --expect-pcr "4=$PCR4_IID"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
}

@test "nsm-sim: PCR3/4 equal pcr-compute --role-arn/--instance-id" {
	need_py
	local m
	m=$(pcr-compute --role-arn "$ARN" --instance-id "$IID")
	[ "$(measurement "$m" PCR3)" = "$PCR3_ARN" ]
	start_sim --role-arn "$ARN" --instance-id "$IID"
	[ "$(pcr_of 3)" = "$(measurement "$m" PCR3)" ]
	[ "$(pcr_of 4)" = "$(measurement "$m" PCR4)" ]
	[ "$(pcr_of 0)" = "$ZERO" ]  # no image: zeros
}

@test "nsm-sim: --pcr sets PCR0-15 instead of an image" {
	need_py
	local a=$("$SYSPY" -c 'print("ab" * 48)') b=$("$SYSPY" -c 'print("CD" * 48)')
	start_sim --pcr "0=$a" --pcr "15=$b"
	[ "$(pcr_of 0)" = "$a" ]
	[ "$(pcr_of 15)" = "$(tr A-Z a-z <<<"$b")" ]
	ask "{'DescribePCR': {'index': 15}}"
	[ "$(json_get "$output" DescribePCR lock)" = true ]
}

@test "nsm-sim: extend is SHA384(old || data) and lock semantics are the hardware's" {
	need_py
	start_sim
	ask "{'ExtendPCR': {'index': 16, 'data': b'abc'}}"
	[ "$(json_get "$output" ExtendPCR data)" = "$(sha384_ext 616263)" ]
	ask "{'ExtendPCR': {'index': 16, 'data': bytes.fromhex('00ff')}}"
	[ "$(json_get "$output" ExtendPCR data)" = "$(sha384_ext 616263 00ff)" ]
	ask "{'DescribePCR': {'index': 16}}"
	json_eq "$output" "{\"DescribePCR\": {\"lock\": false, \"data\": \"$(sha384_ext 616263 00ff)\"}}"
	# lock: the value stays, extends are refused, locking again is fine
	ask "{'LockPCR': {'index': 16}}"
	[ "$output" = '"LockPCR"' ]
	ask "{'ExtendPCR': {'index': 16, 'data': b'x'}}"
	json_eq "$output" '{"Error": "ReadOnlyIndex"}'
	ask "{'LockPCR': {'index': 16}}"
	[ "$output" = '"LockPCR"' ]
	ask "{'DescribePCR': {'index': 16}}"
	json_eq "$output" "{\"DescribePCR\": {\"lock\": true, \"data\": \"$(sha384_ext 616263 00ff)\"}}"
	# LockPCRs{range} locks 0..range-1
	ask "{'LockPCRs': {'range': 20}}"
	[ "$output" = '"LockPCRs"' ]
	ask "'DescribeNSM'"
	[ "$(json_get "$output" DescribeNSM locked_pcrs)" = "$("$SYSPY" -c 'import json; print(json.dumps(list(range(20))))')" ]
	ask "{'ExtendPCR': {'index': 19, 'data': b'x'}}"
	json_eq "$output" '{"Error": "ReadOnlyIndex"}'
	ask "{'ExtendPCR': {'index': 20, 'data': b'x'}}"
	[ "$(json_get "$output" ExtendPCR data)" = "$(sha384_ext 78)" ]
}

@test "nsm-sim: DescribeNSM and GetRandom answer as the hardware" {
	need_py
	start_sim --module-id i-0123456789abcdef0-enc0123456789abcdef
	ask "'DescribeNSM'"
	json_eq "$output" '{"DescribeNSM": {"version_major": 1, "version_minor": 0, "version_patch": 0,
		"module_id": "i-0123456789abcdef0-enc0123456789abcdef", "max_pcrs": 32,
		"locked_pcrs": [0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15], "digest": "SHA384"}}'
	ask "'GetRandom'" "'GetRandom'"
	local r1 r2
	r1=$(sed -n 1p <<<"$output" | "$SYSPY" -c 'import json,sys; print(json.load(sys.stdin)["GetRandom"]["random"])')
	r2=$(sed -n 2p <<<"$output" | "$SYSPY" -c 'import json,sys; print(json.load(sys.stdin)["GetRandom"]["random"])')
	[ ${#r1} -eq 512 ]
	[ ${#r2} -eq 512 ]
	[ "$r1" != "$r2" ]
}

# --- errors --------------------------------------------------------------------

@test "nsm-sim: every error code it produces, byte for byte as serde writes them" {
	need_py
	start_sim
	local -A want=(
		["{'DescribePCR': {'index': 32}}"]=InvalidIndex
		["{'ExtendPCR': {'index': 32, 'data': b'x'}}"]=InvalidIndex
		["{'LockPCR': {'index': 40}}"]=InvalidIndex
		["{'LockPCRs': {'range': 33}}"]=InvalidIndex
		["{'ExtendPCR': {'index': 0, 'data': b'x'}}"]=ReadOnlyIndex
		["b'\\0' * 4097"]=InputTooLarge
		["{'Attestation': {'user_data': b'u' * 1025, 'nonce': None, 'public_key': None}}"]=InvalidArgument
		["{'Attestation': {'user_data': None, 'nonce': b'n' * 1025, 'public_key': None}}"]=InvalidArgument
		["{'Attestation': {'user_data': None, 'nonce': None, 'public_key': b'k' * 1025}}"]=InvalidArgument
		["b'\\xff\\x00garbage'"]=InvalidOperation
		["b''"]=InvalidOperation
		["'Foo'"]=InvalidOperation
		["{'Error': 'InvalidIndex'}"]=InvalidOperation
		["{'DescribePCR': {'idx': 1}}"]=InvalidOperation
		["{'DescribePCR': {'index': -1}}"]=InvalidOperation
		["'DescribePCR'"]=InvalidOperation
	)
	local req hex
	for req in "${!want[@]}"; do
		hex=$("$SYSPY" -c 'import cbor2,sys; print(cbor2.dumps({"Error": sys.argv[1]}).hex())' "${want[$req]}")
		run nsmc --hex "$req"
		[ "$status" -eq 0 ] && [ "$output" = "$hex" ] || { echo "$req: got $output, want ${want[$req]} ($hex)"; return 1; }
	done
	# the limits themselves are fine
	ask "{'Attestation': {'user_data': b'u' * 1024, 'nonce': b'n' * 1024, 'public_key': b'k' * 1024}}"
	[[ $output == '{"Attestation": {"document": "'* ]]
}

@test "nsm-sim: an oversize record is InputTooLarge and the connection goes on" {
	need_py
	start_sim
	ask "b'\\0' * 5000" "'DescribeNSM'" "b'x' * 100000" "{'DescribePCR': {'index': 1}}"
	[ "$(sed -n 1p <<<"$output")" = '{"Error": "InputTooLarge"}' ]
	[[ $(sed -n 2p <<<"$output") == '{"DescribeNSM": '* ]]
	[ "$(sed -n 3p <<<"$output")" = '{"Error": "InputTooLarge"}' ]
	[[ $(sed -n 4p <<<"$output") == '{"DescribePCR": '* ]]
}

@test "nsm-sim: survives garbage, empty maps and clients that hang up mid-request" {
	need_py
	start_sim
	ask "bytes(range(256))" "b'\\xa1'" "b'\\x9f' * 20" "b'\\xbf\\x61a' * 1000" "'DescribeNSM'"
	[ "$(sed -n 1p <<<"$output")" = '{"Error": "InvalidOperation"}' ]
	[ "$(sed -n 4p <<<"$output")" = '{"Error": "InvalidOperation"}' ]
	[[ $(sed -n 5p <<<"$output") == '{"DescribeNSM": '* ]]
	# send a request and hang up before the answer; connect and leave at once
	"$SYSPY" -c '
import socket, sys
for req in (b"\xa1\x6bAttestation\xa0", b""):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    if req: s.send(req)
    s.close()' "$T/nsm.sock"
	ask "'DescribeNSM'"
	[[ $output == '{"DescribeNSM": '* ]]
	kill -0 "$SIM_PID"
}

@test "nsm-sim: serves 20 clients at once" {
	need_py
	start_sim
	run nsmc --concurrent 20
	[ "$status" -eq 0 ] && [ "$output" = "ok 20" ] || { echo "$output"; return 1; }
}

# --- the PKI, readiness and stopping ----------------------------------------------

@test "nsm-sim: the PKI is created once (keys 0600) and reused on restart" {
	need_py
	start_sim
	local f
	for f in root regional zonal instance; do
		[ "$(stat -c %a "pki/$f.key")" = 600 ] || { echo "$f.key: mode $(stat -c %a "pki/$f.key")"; return 1; }
		[ -s "pki/$f.pem" ]
	done
	[ "$(stat -c %a pki)" = 700 ]
	cp pki/root.pem root.before
	cp pki/instance.key instance.before
	attest doc1.cose
	stop_sim
	start_sim
	cmp pki/root.pem root.before
	cmp pki/instance.key instance.before
	attest doc2.cose
	run check_doc doc1.cose
	[ "$status" -eq 0 ]
	run check_doc doc2.cose
	[ "$status" -eq 0 ]
	# the root is the one openssl reads, and it is nobody's but ours
	if [ "$HAVE_OPENSSL" = 1 ]; then
		run openssl x509 -in pki/root.pem -noout -subject
		[[ $output == *"CN = nitrokit test"* ]]
		[[ $output == *"O = Amazon"* ]]
		run openssl verify -CAfile pki/root.pem -untrusted <(cat pki/regional.pem pki/zonal.pem) pki/instance.pem
		[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	fi
}

@test "nsm-sim: the pidfile holds the pid and appears only once the socket accepts" {
	need_py
	start_sim
	[ "$(cat nsm.pid)" = "$SIM_PID" ]
	[ -S nsm.sock ]
	# nothing but the socket is bound: no temporary name is left next to it
	[ "$(ls -A "$T" | grep -c '^nsm\.sock')" -eq 1 ]
	ask "'DescribeNSM'"
	[[ $output == '{"DescribeNSM": '* ]]
}

@test "nsm-sim: --pidfile - prints the pid on stdout once ready" {
	need_py
	nsm-sim --socket "$T/nsm.sock" --pki "$T/pki" --pidfile - >out.txt 2>sim.err 3>&- &
	local pid=$! i rc=0
	for ((i = 0; i < 1000; i++)); do
		[ -s out.txt ] && break
		sleep 0.01
	done
	[ "$(cat out.txt)" = "$pid" ]
	[ -S nsm.sock ]
	ask "'DescribeNSM'"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ]
	[ ! -e nsm.sock ]
	[ ! -e ./- ]
}

@test "nsm-sim: SIGINT stops it as SIGTERM does, also with a client connected" {
	need_py
	start_sim
	exec 5< <("$SYSPY" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect(sys.argv[1]); print("connected", flush=True)
s.recv(10)  # until the simulator goes away
print("closed", flush=True)' "$T/nsm.sock" 3>&-)
	read -r -u 5 line
	[ "$line" = connected ]
	stop_sim INT
	read -r -u 5 line
	[ "$line" = closed ]
	exec 5<&-
}

@test "nsm-sim: a stale socket is replaced, a live one is not" {
	need_py
	"$SYSPY" -c 'import socket,sys; s=socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET); s.bind(sys.argv[1])' "$T/nsm.sock"
	[ -S nsm.sock ]
	start_sim
	ask "'DescribeNSM'"
	[[ $output == '{"DescribeNSM": '* ]]
	run -4 nsm-sim --socket "$T/nsm.sock" --pki "$T/pki" --pidfile other.pid
	[ "$output" = "nsm-sim: another server is listening on '$T/nsm.sock'" ]
	[ ! -e other.pid ]
	ask "'DescribeNSM'"
	[[ $output == '{"DescribeNSM": '* ]]
}

@test "nsm-sim: --verbose logs one line per request; quiet otherwise" {
	need_py
	start_sim -v
	ask "'DescribeNSM'" "{'DescribePCR': {'index': 99}}" "b'abc'"
	stop_sim
	grep -qx "nsm-sim: client 1: DescribeNSM -> ok" sim.err
	grep -qx "nsm-sim: client 1: DescribePCR -> InvalidIndex" sim.err
	grep -qx "nsm-sim: client 1: request of 3 bytes -> InvalidOperation" sim.err
	[ "$(grep -c 'client 1:' sim.err)" -eq 3 ]
	start_sim
	ask "'DescribeNSM'"
	stop_sim
	[ ! -s sim.err ] || { echo "stderr without --verbose:"; cat sim.err; return 1; }
}

# --- bad command lines ----------------------------------------------------------------

# fails CODE MESSAGE ARGS: nsm-sim ARGS exits CODE with exactly "nsm-sim: MESSAGE"
# on stderr and leaves neither a socket nor a pidfile.
fails() {
	local code=$1 msg=$2
	shift 2
	run --separate-stderr nsm-sim --pidfile "$T/bad.pid" --pki "$T/pki" "$@"
	[ "$status" -eq "$code" ] || { echo "exit $status, expected $code; stderr: $stderr"; return 1; }
	[ "$stderr" = "nsm-sim: $msg" ] || { printf 'stderr:   %s\nexpected: nsm-sim: %s\n' "$stderr" "$msg"; return 1; }
	[ ! -e "$T/bad.pid" ] && [ ! -e "$T/s.sock" ]
}

@test "nsm-sim: bad command lines exit 2, missing files 4, corrupt images 3" {
	local a96=$("$SYSPY" -c 'print("ab" * 48)' 2>/dev/null || printf 'ab%.0s' {1..48})
	printf 'not an eif' >bad.eif
	fails 2 "--socket PATH is required (see 'nsm-sim --help')"
	fails 2 "--eif and --pcr cannot be used together" --socket s.sock --eif "$F/syn.eif" --pcr "0=$a96"
	fails 2 "invalid value '0=zz' for --pcr: expected 96 hex digits after '=', got 2" --socket s.sock --pcr 0=zz
	fails 2 "invalid value '1=zz${a96:2}' for --pcr: not a hex digit at position 1" --socket s.sock --pcr "1=zz${a96:2}"
	fails 2 "invalid value '16=$a96' for --pcr: the index must be 0 to 15 (PCR16-31 start at zero and are extended at run time)" \
		--socket s.sock --pcr "16=$a96"
	fails 2 "invalid value '$a96' for --pcr: expected N=HEX" --socket s.sock --pcr "$a96"
	fails 2 "--pcr 3 given more than once" --socket s.sock --pcr "3=$a96" --pcr "3=$a96"
	fails 2 "--pcr 3 and --role-arn both set PCR3" --socket s.sock --pcr "3=$a96" --role-arn "$ARN"
	fails 2 "--pcr 0, 1, 2 or 8 cannot be used with --debug-mode (debug mode zeroes them)" \
		--socket s.sock --pcr "8=$a96" --debug-mode
	fails 2 "invalid value 'has space' for --module-id: expected 1 to 48 printable ASCII characters without spaces" \
		--socket s.sock --module-id 'has space'
	fails 2 "--socket must not be empty" --socket ''
	fails 2 "--eif must not be empty" --socket s.sock --eif ''
	fails 2 "--role-arn must not be empty" --socket s.sock --role-arn ''
	fails 2 "--instance-id must not be empty" --socket s.sock --instance-id=
	fails 2 "--module-id must not contain control characters (byte 3 is 0x0a)" --socket s.sock --module-id $'i-\n'
	fails 2 "--role-arn must not contain control characters (byte 4 is 0x7f)" --socket s.sock --role-arn $'arn\x7f'
	fails 2 "unexpected operand 'extra' (usage: nsm-sim --socket PATH [--eif FILE | --pcr N=HEX...] [OPTIONS])" \
		--socket s.sock extra
	fails 2 "option '--socket' given more than once" --socket s.sock --socket t.sock
	run --separate-stderr nsm-sim --socket "$T/$(printf 'x%.0s' {1..120})" --pki "$T/pki"
	[ "$status" -eq 2 ]
	[[ $stderr == "nsm-sim: socket path '"*"' is too long (at most "*" bytes)" ]]
	fails 4 "cannot open '$T/missing.eif': No such file or directory" --socket s.sock --eif "$T/missing.eif"
	run --separate-stderr nsm-sim --socket s.sock --pki "$T/pki" --eif bad.eif
	[ "$status" -eq 3 ] && [[ $stderr == "nsm-sim: 'bad.eif': "* ]] || { echo "$status $stderr"; return 1; }
	run --separate-stderr nsm-sim --socket "$T/no/such/dir/s.sock" --pki "$T/pki"
	[ "$status" -eq 4 ] && [[ $stderr == "nsm-sim: cannot bind '$T/no/such/dir/s.sock."*".tmp': No such file or directory" ]] \
		|| { echo "$status $stderr"; return 1; }
	: >afile
	run --separate-stderr nsm-sim --socket s.sock --pki afile
	[ "$status" -eq 4 ] && [[ $stderr == "nsm-sim: cannot open 'afile/.lock': Not a directory" ]] \
		|| { echo "$status $stderr"; return 1; }
	[ ! -e s.sock ]
}
