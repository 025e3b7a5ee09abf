#!/usr/bin/env bats
# attest-verify against its contract (/work/notes/attest-verify-contract.md, DESIGN §4.4, §4.6).
# Known answers come from outside the tool: the published facts of the shared real
# documents (../shared/testdata/README.md, hard-coded below), an independent decode with
# cbor2 + cryptography (/usr/bin/python3), the openssl CLI's view of the certificates,
# documents made by nsm-sim, PCRs from tests/fixtures/mkeif.py (hashlib), policies from
# policy-gen and decisions from tests/fixtures/iam_eval.py.  Nothing expected is taken
# from attest-verify's own output.
load common

SYSPY=${NK_SYSPY:-/usr/bin/python3}   # Debian's, with cbor2
MKEIF="$FIXTURES/mkeif.py"
IAM_EVAL="$FIXTURES/iam_eval.py"
# pyenv's python3 is a shell shim that costs ~0.25 s a call: use the interpreter behind it.
PYTHON=${PY_REAL:-$PYTHON}

ACCT=111122223333
ROLE=arn:aws:iam::111122223333:role/enclave
OTHER=arn:aws:iam::111122223333:role/app-server
SESSION=arn:aws:sts::111122223333:assumed-role/enclave/i-0123456789abcdef0
ADMIN=arn:aws:iam::111122223333:role/key-admin
Z=000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
X1=111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111
# Published PCRs of the synthetic EIF (mkeif.py --synthetic; pcr-compute's contract).
A0=d85ed11aaa1433bf0e2d24c74a2ce354f1807ad618e051c8949a29a984ae512f806c07a8065383e6d42391fbe9798e2d
A1=21b83ac9fe90acad86ecd150db84c0cdf35f905bd567bda301ede12b02550dfbf6e55390f0ffb684bbffc106b627794d
A2=206f7853ba2810292cd7f9f234e1fbb421743a02e760d0c55621704f937944356bba7236ab1011c1c8c36fbbde101df7
NONCE=00112233445566778899aabbccddeeff
UD=68656c6c6f20656e636c617665   # "hello enclave"
# The failure helpers of common.bash run attest-verify (its regexes name it).
FAIL_TOOL=attest-verify

# The shared real documents and what ../shared/testdata/README.md publishes about them.
DOCS=(evervault-2022-10-12-debug.cose evervault-2022-10-13-prod.cose evervault-2023-09-18-debug.cose qos-2022-07-06-prod.cose)
EV_PROD_PCR0=f4d48b81a460c9916d1e685119074bf24660afd3e34fae9fca0a0d28d9d5599936332687e6f66fc890ac8cf150142d8b
EV_PROD_PCR8=8790eb3cce6c83d07e84b126dc61ca923333d6f66615c4a79157de48c5ab2418bdc60746ea7b7afbff03a1c6210201cb
QOS_PCR0=f8bb0133c427bc49aa39f6811a01077ce9ab7e635fa1f5439c9c8bf99754f8230e41b09426b0e595eebdc4d6ed4bc3b6
HELLO_HEX=68656c6c6f2c20776f726c6421                   # "hello, world!"
SECRET_HEX=$(printf 'my super secret key' | od -An -v -tx1 | tr -d ' \n')   # "my super secret key"

# readme_fact DOC FIELD: the README's value (time in RFC 3339 with ms, ms, pcr0, debug).
readme_fact() {
	case "$1:$2" in
	evervault-2022-10-12-debug.cose:time) echo 2022-10-12T13:50:06.081Z ;;
	evervault-2022-10-13-prod.cose:time) echo 2022-10-13T08:58:02.136Z ;;
	evervault-2023-09-18-debug.cose:time) echo 2023-09-18T15:03:30.860Z ;;
	qos-2022-07-06-prod.cose:time) echo 2022-07-06T14:18:22.484Z ;;
	evervault-2022-10-13-prod.cose:pcr0) echo "$EV_PROD_PCR0" ;;
	qos-2022-07-06-prod.cose:pcr0) echo "$QOS_PCR0" ;;
	*debug.cose:pcr0) echo "$Z" ;;
	*debug.cose:debug) echo true ;;
	*prod.cose:debug) echo false ;;
	*:ms) date -u -d "$(readme_fact "$1" time)" +%s%3N ;;
	*) return 1 ;;
	esac
}

# The independent decoder/mutator (cbor2 + cryptography), written once per file.
write_helper() {
	cat >"$1" <<'PY'
import datetime, io, json, sys
import cbor2
from cryptography import x509

def raw(path):
    return open(path, "rb").read()

def parts(b):
    """Offsets of the COSE_Sign1 byte strings, found by decoding element by element."""
    off = 1 if b[0] == 0xD2 else 0
    assert b[off] == 0x84, "not an array of 4"
    fp = io.BytesIO(b)
    fp.seek(off + 1)
    dec = cbor2.CBORDecoder(fp)
    out = {}
    for name in ("protected", "unprotected", "payload", "signature"):
        v = dec.decode()
        end = fp.tell()
        if isinstance(v, bytes):
            assert b[end - len(v):end] == v
            out[name] = (end - len(v), len(v), v)
    assert out["signature"][0] + 96 == len(b)
    return out

def payload(b):
    return cbor2.loads(parts(b)["payload"][2])

def hx(v):
    return None if v is None else v.hex()

def rfc3339_ms(ms):
    t = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)

def cmd_decode(path):
    p = payload(raw(path))
    print(json.dumps({"module_id": p["module_id"], "digest": p["digest"], "timestamp": p["timestamp"],
                      "time": rfc3339_ms(p["timestamp"]),
                      "pcrs": {str(k): v.hex() for k, v in p["pcrs"].items()},
                      "public_key": hx(p["public_key"]), "user_data": hx(p["user_data"]),
                      "nonce": hx(p["nonce"])}))

def cmd_cert(path, which, out):
    p = payload(raw(path))
    der = p["certificate"] if which == "leaf" else p["cabundle"][int(which)]
    open(out, "wb").write(der)

def cmd_ncab(path):
    print(len(payload(raw(path))["cabundle"]))

def cmd_leafdates(path):
    c = x509.load_der_x509_certificate(payload(raw(path))["certificate"])
    f = "%Y-%m-%dT%H:%M:%SZ"
    print(c.not_valid_before.strftime(f), c.not_valid_after.strftime(f))

def cmd_time(path, plus_s):
    print(rfc3339_ms(payload(raw(path))["timestamp"] + int(plus_s) * 1000))

def cmd_mutants(path, outdir):
    """One file per single-byte change (xor 0x01), named EXPECT-REGION-OFFSET:
    sig = the structure stays valid, only the signature can catch it (exit 1);
    any = may break the structure instead (exit 1 or 3)."""
    b = raw(path)
    pr = parts(b)
    p = cbor2.loads(pr["payload"][2])
    ps = pr["payload"][0]
    pl = pr["payload"][2]
    muts = []
    s = pr["protected"][0]
    muts += [("any", "protected", s + i) for i in range(4)]
    muts.append(("any", "protected", s - 1))                 # its bstr head
    n = pr["payload"][1]
    muts += [("any", "payload", ps + i) for i in (0, 1, n // 3, n // 2, n - 1)]
    # Positions inside values: the document stays well formed.
    i = pl.index(b"\x69module_id") + 10
    muts.append(("sig", "payload", ps + i + 1 + 2))           # a character of module_id
    ts = b"\x69timestamp\x1b" + p["timestamp"].to_bytes(8, "big")
    muts.append(("sig", "payload", ps + pl.index(ts) + len(ts) - 1))
    for k in (0, 5, 15):
        v = b"\x58\x30" + p["pcrs"][k]
        j = pl.index(bytes([k]) + v) + 3 if k < 24 else None
        muts.append(("sig", "payload", ps + j + 20))
    for f in ("user_data", "nonce"):
        if p[f]:
            key = cbor2.dumps(f)
            j = pl.index(key) + len(key)
            muts.append(("sig", "payload", ps + j + (len(cbor2.dumps(p[f])) - len(p[f])) + len(p[f]) // 2))
    s = pr["signature"][0]
    muts += [("sig", "signature", s + i) for i in (0, 1, 30, 47, 48, 77, 95)]
    for kind, region, off in muts:
        m = bytearray(b)
        m[off] ^= 0x01
        open("%s/%s-%s-%d" % (outdir, kind, region, off), "wb").write(m)
    print(len(muts))

def cmd_tag(path, out):
    open(out, "wb").write(b"\xd2" + raw(path))

def cmd_json_check(avjson, path):
    """attest-verify's JSON against the independent decode: prints what differs."""
    a = json.load(open(avjson))
    p = payload(raw(path))
    bad = []
    want = {"module_id": p["module_id"], "digest": p["digest"], "timestamp": p["timestamp"],
            "time": rfc3339_ms(p["timestamp"]), "public_key": hx(p["public_key"]),
            "user_data": hx(p["user_data"]), "nonce": hx(p["nonce"]),
            "pcrs": {str(k): v.hex() for k, v in p["pcrs"].items()},
            "debug": all(p["pcrs"][k] == bytes(48) for k in (0,))}
    for k, v in want.items():
        if a.get(k) != v:
            bad.append("%s: got %r, expected %r" % (k, a.get(k), v))
    leaf = x509.load_der_x509_certificate(p["certificate"])
    c = a.get("certificate") or {}
    def parse(t):
        return datetime.datetime.fromisoformat(t.replace("Z", "+00:00")).replace(tzinfo=None)
    for k, v in (("not_before", leaf.not_valid_before), ("not_after", leaf.not_valid_after)):
        try:
            ok = parse(c[k]) == v and c[k].endswith("Z")
        except Exception:
            ok = False
        if not ok:
            bad.append("certificate.%s: got %r, expected %s" % (k, c.get(k), v.isoformat() + "Z"))
    for k in ("verified", "module_id", "timestamp", "time", "digest", "pcrs", "debug", "public_key",
              "user_data", "nonce", "certificate", "cabundle", "checks"):
        if k not in a:
            bad.append("missing key %s" % k)
    print("\n".join(bad))
    sys.exit(1 if bad else 0)

globals()["cmd_" + sys.argv[1].replace("-", "_")](*sys.argv[2:])
PY
}

setup_file() {
	export F="$BATS_FILE_TMPDIR"
	PY_REAL=$("$PYTHON" -c 'import sys; print(sys.executable)') && export PY_REAL && PYTHON=$PY_REAL
	export AVPY="$F/av.py"
	write_helper "$AVPY"
	if "$SYSPY" -c 'import cbor2, cryptography' 2>/dev/null; then export HAVE_CBOR2=1; fi
	"$PYTHON" "$MKEIF" --synthetic -o "$F/app.eif"
	"$PYTHON" "$MKEIF" --kernel-bytes rand:4096:7 --cmdline 'console=ttyS0' \
		--ramdisk-bytes rep:300:blue- --ramdisk-bytes rep:50:green- -o "$F/b.eif"
	cd "$F" || return 1
	if [ -x "$NK_ROOT/bin/pcr-compute" ]; then
		pcr-compute app.eif >app.json
		pcr-compute b.eif >b.json
	fi
	if command -v openssl >/dev/null; then
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec.key 2>/dev/null
		openssl pkey -in ec.key -pubout -out ec.pub.pem
		openssl pkey -in ec.key -pubout -outform DER -out ec.pub.der
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out ec2.key 2>/dev/null
		openssl pkey -in ec2.key -pubout -out ec2.pub.pem
	fi
	# Documents from nsm-sim: the synthetic image (plain and with every field), the same
	# in debug mode, another image, and one signed by another PKI.
	if [ -x "$NK_ROOT/bin/nsm-sim" ] && [ -x "$NK_ROOT/bin/nsm-attest" ] && [ -f ec.pub.der ]; then
		file_sim --pki pki --eif app.eif
		nsm-attest --nsm "unix:$F/nsm.sock" -o plain.cbor
		nsm-attest --nsm "unix:$F/nsm.sock" -o full.cbor --nonce-hex "$NONCE" --user-data-hex "$UD" --public-key ec.pub.der
		file_stop_sim
		file_sim --pki pki --eif app.eif --debug-mode
		nsm-attest --nsm "unix:$F/nsm.sock" -o debug.cbor
		file_stop_sim
		file_sim --pki pki --eif b.eif
		nsm-attest --nsm "unix:$F/nsm.sock" -o other.cbor
		file_stop_sim
		file_sim --pki pki2 --eif app.eif
		nsm-attest --nsm "unix:$F/nsm.sock" -o foreign.cbor
		file_stop_sim
	fi
}

# file_sim ARGS: an nsm-sim for setup_file, ready once its pidfile exists.
file_sim() {
	rm -f "$F/nsm.pid" "$F/nsm.sock"
	nsm-sim --socket "$F/nsm.sock" --pidfile "$F/nsm.pid" "$@" >"$F/sim.log" 2>&1 3>&- &
	FILE_SIM_PID=$!
	wait_ready "$FILE_SIM_PID" "$F/sim.log" -s "$F/nsm.pid" -S "$F/nsm.sock"
}

file_stop_sim() {
	kill -TERM "$FILE_SIM_PID" 2>/dev/null
	wait "$FILE_SIM_PID" 2>/dev/null || true
}

need_cbor2() {
	[ -n "${HAVE_CBOR2:-}" ] || skip "$SYSPY lacks cbor2/cryptography"
}

need_sim_docs() {
	[ -f "$F/plain.cbor" ] && [ -f "$F/foreign.cbor" ] || skip "nsm-sim documents not made (nsm-sim, nsm-attest or openssl missing)"
}

need_measurements() {
	[ -f "$F/app.json" ] || skip "bin/pcr-compute is not built"
}

doc() {
	echo "$TESTDATA/attestation/$1"
}

# jget JSON KEY...: as json_get, with numeric keys indexing lists too.
jget() {
	"$PYTHON" -c 'import json,sys
v=json.loads(sys.argv[1])
for k in sys.argv[2:]: v=v[int(k)] if isinstance(v,list) else v[k]
print(json.dumps(v) if not isinstance(v,str) else v)' "$@"
}

# =====================================================================================
# The real documents

@test "real documents: each verifies at its own time with the embedded AWS root, with the README's facts" {
	need_testdata
	local d
	for d in "${DOCS[@]}"; do
		run -0 --separate-stderr attest-verify --at doc "$(doc "$d")"
		[ -z "$stderr" ] || { echo "$d: stderr '$stderr'"; return 1; }
		[ "$(json_get "$output" verified)" = true ] || { echo "$d: not verified: $output"; return 1; }
		[ "$(json_get "$output" pcrs 0)" = "$(readme_fact "$d" pcr0)" ] || { echo "$d: PCR0 $(json_get "$output" pcrs 0)"; return 1; }
		[ "$(json_get "$output" time)" = "$(readme_fact "$d" time)" ] || { echo "$d: time $(json_get "$output" time)"; return 1; }
		[ "$(json_get "$output" timestamp)" = "$(readme_fact "$d" ms)" ] || { echo "$d: timestamp $(json_get "$output" timestamp)"; return 1; }
		[ "$(json_get "$output" debug)" = "$(readme_fact "$d" debug)" ] || { echo "$d: debug $(json_get "$output" debug)"; return 1; }
		[ "$(json_get "$output" digest)" = SHA384 ]
		# 16 PCRs on real hardware
		[ "$("$PYTHON" -c 'import json,sys; print(sorted(map(int, json.loads(sys.argv[1])["pcrs"])) == list(range(16)))' "$output")" = True ]
		# verified against the pinned root, through the chain, by signature, in that order
		[ "$("$PYTHON" -c 'import json,sys; print(json.loads(sys.argv[1])["checks"][:4])' "$output")" = "['structure', 'root', 'chain', 'signature']" ]
	done
}

@test "real documents: the README's fields (user data, public key, nonce, PCR8, module id)" {
	need_testdata
	run -0 attest-verify --at doc "$(doc evervault-2022-10-12-debug.cose)"
	[ "$(json_get "$output" user_data)" = "$HELLO_HEX" ]
	[ "$(json_get "$output" public_key)" = "$SECRET_HEX" ]
	[[ $(json_get "$output" module_id) == i-*-enc* ]]
	run -0 attest-verify --at doc "$(doc evervault-2022-10-13-prod.cose)"
	[ "$(json_get "$output" pcrs 8)" = "$EV_PROD_PCR8" ]
	[ "$(json_get "$output" nonce | tr -d '\n' | wc -c)" -eq 512 ]
	[ "$(json_get "$output" user_data)" = null ]
	run -0 attest-verify --at doc "$(doc evervault-2023-09-18-debug.cose)"
	[ "$(json_get "$output" user_data | tr -d '\n' | wc -c)" -eq 182 ]
	[ "$(json_get "$output" nonce | tr -d '\n' | wc -c)" -eq 512 ]
	run -0 attest-verify --at doc "$(doc qos-2022-07-06-prod.cose)"
	[ "$(json_get "$output" public_key | tr -d '\n' | wc -c)" -eq 1600 ]
	# an 800-byte PEM: the hex starts with "-----BEGIN PUBLIC KEY-----"
	[[ $(json_get "$output" public_key) == "$(printf -- '-----BEGIN PUBLIC KEY-----' | od -An -v -tx1 | tr -d ' \n')"* ]]
	[ "$(json_get "$output" user_data | tr -d '\n' | wc -c)" -eq 64 ]
	[ "$(json_get "$output" nonce)" = null ]
}

@test "real documents: --public-key against qos's PEM public key, as PEM and as DER" {
	need_testdata
	need_cbor2
	local d="$(doc qos-2022-07-06-prod.cose)"
	"$SYSPY" -c 'import cbor2, sys
a = cbor2.loads(open(sys.argv[1], "rb").read())
open(sys.argv[2], "wb").write(cbor2.loads(a[2])["public_key"])' "$d" qos.pub.pem
	openssl pkey -pubin -in qos.pub.pem -outform DER -out qos.pub.der
	run -0 attest-verify --at doc --public-key qos.pub.pem "$d"
	run -0 attest-verify --at doc --public-key qos.pub.der "$d"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 2>/dev/null | openssl pkey -pubout -out rsa.pub.pem
	fails_match 1 '^attest-verify: public[ _]key failed: ' --at doc --public-key rsa.pub.pem "$d"
}

@test "real documents: the JSON output equals an independent cbor2 decode, the certificate openssl's view" {
	need_testdata
	need_cbor2
	local d i n
	for d in "${DOCS[@]}"; do
		attest-verify --at doc "$(doc "$d")" >av.json
		run "$SYSPY" "$AVPY" json-check av.json "$(doc "$d")"
		[ "$status" -eq 0 ] || { echo "$d: $output"; return 1; }
		# 2-space pretty JSON
		[ "$(sed -n 2p av.json | cut -c1-3)" = '  "' ]
		"$SYSPY" "$AVPY" cert "$(doc "$d")" leaf leaf.der
		[ "$(json_get "$(cat av.json)" certificate subject)" = \
			"$(openssl x509 -inform DER -in leaf.der -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" ]
		local want got
		want=$(openssl x509 -inform DER -in leaf.der -noout -serial | sed 's/^serial=//' | tr A-F a-f | sed 's/^0*//')
		got=$(json_get "$(cat av.json)" certificate serial | tr A-F a-f | sed 's/^0*//')
		[ "$got" = "$want" ] || { echo "$d: serial $got, openssl $want"; return 1; }
		n=$("$SYSPY" "$AVPY" ncab "$(doc "$d")")
		[ "$(json_get "$(cat av.json)" cabundle | "$PYTHON" -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq "$n" ]
		for ((i = 0; i < n; i++)); do
			"$SYSPY" "$AVPY" cert "$(doc "$d")" "$i" c.der
			[ "$(jget "$(cat av.json)" cabundle "$i")" = \
				"$(openssl x509 -inform DER -in c.der -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" ] ||
				{ echo "$d: cabundle[$i] $(jget "$(cat av.json)" cabundle "$i")"; return 1; }
		done
	done
	# cabundle[0] is the AWS root
	[ "$(jget "$(cat av.json)" cabundle 0)" = \
		"$(openssl x509 -in "$TESTDATA/attestation/aws-nitro-root-g1.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" ]
}

@test "real documents: at 'now' (the default) the expired leaf fails the chain (exit 1)" {
	need_testdata
	local d
	for d in "${DOCS[@]}"; do
		fails_match 1 '^attest-verify: certificate chain failed: certificate has expired \(at [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\)$' --at now "$(doc "$d")"
		fails_match 1 '^attest-verify: certificate chain failed: .*expired' "$(doc "$d")"
	done
}

@test "real documents: --at RFC 3339 inside the leaf's validity passes, before or after it fails" {
	need_testdata
	local d="$(doc evervault-2022-10-12-debug.cose)"
	# README: signed 2022-10-12T13:50:06.081Z; the leaf lives ~3 hours from just before.
	run -0 attest-verify --at 2022-10-12T14:50:06Z "$d"
	[ "$(json_get "$output" verified)" = true ]
	run -0 attest-verify --at 2022-10-12T15:30:00.5Z "$d"
	fails_match 1 '^attest-verify: certificate chain failed: .*expired' --at 2022-10-12T17:30:00Z "$d"
	fails_match 1 '^attest-verify: certificate chain failed: .*not yet valid' --at 2022-10-12T13:00:00Z "$d"
	fails_match 1 '^attest-verify: certificate chain failed: ' --at 2030-01-01T00:00:00Z "$(doc qos-2022-07-06-prod.cose)"
	run -0 attest-verify --at 2022-07-06T15:00:00Z "$(doc qos-2022-07-06-prod.cose)"
}

@test "real documents: --max-age against the chosen time" {
	need_testdata
	local d="$(doc evervault-2022-10-12-debug.cose)"
	run -0 attest-verify --at doc --max-age 0 "$d"
	run -0 attest-verify --at 2022-10-12T13:50:36.081Z --max-age 60 "$d"
	fails_match 1 '^attest-verify: max-age failed: the document is 30 s old, more than 10$' \
		--at 2022-10-12T13:50:36.081Z --max-age 10 "$d"
}

@test "real documents: PCR expectations (production), and debug documents need --allow-debug" {
	need_testdata
	local p="$(doc evervault-2022-10-13-prod.cose)"
	run -0 attest-verify --at doc --expect-pcr "0=$EV_PROD_PCR0" --expect-pcr "8=$EV_PROD_PCR8" "$p"
	[[ $(json_get "$output" checks) == *'"PCR0"'* ]]
	[[ $(json_get "$output" checks) == *'"PCR8"'* ]]
	fails_match 1 "^attest-verify: PCR0 failed: " --at doc --expect-pcr "0=$QOS_PCR0" "$p"
	fails_match 1 "^attest-verify: PCR8 failed: " --at doc --expect-pcr "0=$EV_PROD_PCR0" --expect-pcr "8=$X1" "$p"
	# Debug mode: all-zero PCR0.  Expecting the zeros is exactly what must not pass silently.
	local d="$(doc evervault-2022-10-12-debug.cose)"
	fails_match 1 '^attest-verify: debug failed: debug-mode document' --at doc --expect-pcr "0=$Z" "$d"
	run -0 attest-verify --at doc --expect-pcr "0=$Z" --allow-debug "$d"
	# no PCR expectation: a debug document verifies (and says debug)
	run -0 attest-verify --at doc "$d"
	[ "$(json_get "$output" debug)" = true ]
	# user data and public key of the README
	run -0 attest-verify --at doc --user-data-hex "$HELLO_HEX" "$d"
	fails_match 1 '^attest-verify: user[ _]data failed: ' --at doc --user-data-hex 00 "$d"
	fails_match 1 '^attest-verify: nonce failed: ' --at doc --nonce-hex 00 "$d"
}

@test "real documents: any single-byte change in protected header, payload or signature fails" {
	need_testdata
	need_cbor2
	local d m base kind total=0
	for d in "${DOCS[@]}"; do
		mkdir -p "mut-$d"
		"$SYSPY" "$AVPY" mutants "$(doc "$d")" "mut-$d" >/dev/null
		for m in "mut-$d"/*; do
			base=${m##*/}
			kind=${base%%-*}
			run --separate-stderr attest-verify --at doc "$m"
			total=$((total + 1))
			if [ "$kind" = sig ]; then
				[ "$status" -eq 1 ] && [ "$stderr" = "attest-verify: signature failed: the COSE signature does not verify with the leaf key" ] ||
					{ echo "$d $base: exit $status, stderr '$stderr' (expected exit 1, signature failed)"; return 1; }
			else
				case $status in
				1) [[ $stderr =~ ^attest-verify:\ [^:]+\ failed:\ . ]] ;;
				3) [[ $stderr == "attest-verify: '$m': malformed document: "* ]] ;;
				*) false ;;
				esac || { echo "$d $base: exit $status, stderr '$stderr' (expected exit 1 or 3 with a message)"; return 1; }
			fi
			[ "${#stderr_lines[@]}" -eq 1 ] || { echo "$d $base: stderr '$stderr'"; return 1; }
		done
	done
	[ "$total" -ge 60 ]
}

@test "real documents: tag 18 is accepted; trailing and missing bytes are malformed (exit 3)" {
	need_testdata
	need_cbor2
	local d="$(doc evervault-2022-10-13-prod.cose)"
	"$SYSPY" "$AVPY" tag "$d" tagged.cose
	run -0 attest-verify --at doc tagged.cose
	[ "$(json_get "$output" pcrs 0)" = "$EV_PROD_PCR0" ]
	{ cat "$d"; printf '\0'; } >trailing.cose
	fails_match 3 "^attest-verify: 'trailing.cose': malformed document: " --at doc trailing.cose
	head -c -1 "$d" >truncated.cose
	fails_match 3 "^attest-verify: 'truncated.cose': malformed document: " --at doc truncated.cose
	head -c 100 "$d" >short.cose
	fails_match 3 "^attest-verify: 'short.cose': malformed document: " --at doc short.cose
}

@test "real documents: base64 input is detected, '-' reads standard input" {
	need_testdata
	local d="$(doc qos-2022-07-06-prod.cose)"
	attest-verify --at doc "$d" >raw.json
	base64 -w0 "$d" >one.b64
	echo >>one.b64
	base64 "$d" >wrapped.b64
	run -0 attest-verify --at doc one.b64
	[ "$output" = "$(cat raw.json)" ]
	run -0 attest-verify --at doc wrapped.b64
	[ "$output" = "$(cat raw.json)" ]
	run -0 attest-verify --at doc - <"$d"
	[ "$output" = "$(cat raw.json)" ]
	run -0 attest-verify --at doc - <one.b64
	[ "$output" = "$(cat raw.json)" ]
	# a changed base64 character still fails
	sed 's/^\(.\{200\}\)A/\1B/;t;s/^\(.\{200\}\)./\1A/' one.b64 >changed.b64
	cmp -s one.b64 changed.b64 && return 1
	run attest-verify --at doc changed.b64
	[ "$status" -eq 1 ] || [ "$status" -eq 3 ]
}

@test "real documents: the AWS root is embedded; another --root fails the root check" {
	need_testdata
	need_sim_docs
	local d="$(doc evervault-2022-10-13-prod.cose)"
	run -0 attest-verify --at doc --root "$TESTDATA/attestation/aws-nitro-root-g1.pem" "$d"
	fails_match 1 '^attest-verify: root failed: cabundle\[0\] is not the pinned root' --at doc --root "$F/pki/root.pem" "$d"
}

# =====================================================================================
# Bad input (exit 3): nothing on stdout, "malformed document"

@test "bad input: garbage, empty, truncated, oversized, PEM and JSON files are exit 3" {
	printf 'this is not an attestation document\n' >garbage.txt
	fails_match 3 "^attest-verify: 'garbage.txt': malformed document: " garbage.txt
	head -c 3000 /dev/urandom >random.bin
	printf '\x84' | dd of=random.bin conv=notrunc 2>/dev/null
	fails_match 3 "^attest-verify: 'random.bin': malformed document: " random.bin
	: >empty.cose
	fails_match 3 "^attest-verify: 'empty.cose': malformed document: " empty.cose
	fails_match 3 "^attest-verify: 'standard input': malformed document: " - </dev/null
	head -c 16385 /dev/zero >big.cose
	fails_match 3 "^attest-verify: 'big.cose'(: malformed document: | is too large)" big.cose
	printf '{"module_id": "x", "pcrs": {}}\n' >doc.json
	fails_match 3 "^attest-verify: 'doc.json': malformed document: " doc.json
	printf -- '-----BEGIN CERTIFICATE-----\nMIIBszCCATqgAwIBAgIRAPl2\n-----END CERTIFICATE-----\n' >doc.pem
	fails_match 3 "^attest-verify: 'doc.pem': malformed document: " doc.pem
	printf '\x84\x44\xa1\x01\x38\x22\xa0\x40\x40' >empty-parts.cose
	fails_match 3 "^attest-verify: 'empty-parts.cose': malformed document: " empty-parts.cose
	# The same with --no-verify: decoding alone rejects them.
	fails_match 3 "^attest-verify: 'garbage.txt': malformed document: " --no-verify garbage.txt
	if [ -d "$TESTDATA" ]; then
		fails_match 3 "^attest-verify: '.*aws-nitro-root-g1.pem': malformed document: " "$TESTDATA/attestation/aws-nitro-root-g1.pem"
		head -c 16385 /dev/zero | cat "$(doc qos-2022-07-06-prod.cose)" - >big2.cose
		fails_match 3 "^attest-verify: 'big2.cose'(: malformed document: | is too large)" --at doc big2.cose
		head -c 2000 "$(doc qos-2022-07-06-prod.cose)" | base64 -w0 >trunc.b64
		fails_match 3 "^attest-verify: 'trunc.b64': malformed document: " --at doc trunc.b64
	fi
}

# =====================================================================================
# Documents from nsm-sim

@test "nsm-sim documents: verify with --root set to its root, fail against the AWS root" {
	need_sim_docs
	run -0 --separate-stderr attest-verify --root "$F/pki/root.pem" "$F/plain.cbor"
	[ -z "$stderr" ]
	[ "$(json_get "$output" verified)" = true ]
	[ "$(json_get "$output" pcrs 0)" = "$A0" ]
	[ "$(json_get "$output" pcrs 1)" = "$A1" ]
	[ "$(json_get "$output" pcrs 2)" = "$A2" ]
	[ "$(json_get "$output" debug)" = false ]
	[ "$(json_get "$output" nonce)" = null ]
	[ "$(json_get "$output" user_data)" = null ]
	[ "$(json_get "$output" public_key)" = null ]
	fails_match 1 '^attest-verify: root failed: cabundle\[0\] is not the pinned root \(AWS Nitro Enclaves root G1\)$' "$F/plain.cbor"
	# another PKI's document against this root
	fails_match 1 '^attest-verify: root failed: ' --root "$F/pki/root.pem" "$F/foreign.cbor"
	run -0 attest-verify --root "$F/pki2/root.pem" "$F/foreign.cbor"
}

@test "nsm-sim documents: the JSON output equals an independent decode" {
	need_sim_docs
	need_cbor2
	attest-verify --root "$F/pki/root.pem" "$F/full.cbor" >av.json
	run "$SYSPY" "$AVPY" json-check av.json "$F/full.cbor"
	[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	[ "$(json_get "$(cat av.json)" nonce)" = "$NONCE" ]
	[ "$(json_get "$(cat av.json)" user_data)" = "$UD" ]
	[ "$(json_get "$(cat av.json)" public_key)" = "$(od -An -v -tx1 "$F/ec.pub.der" | tr -d ' \n')" ]
	"$SYSPY" "$AVPY" cert "$F/full.cbor" leaf leaf.der
	[ "$(json_get "$(cat av.json)" certificate subject)" = \
		"$(openssl x509 -inform DER -in leaf.der -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" ]
	[ "$(jget "$(cat av.json)" cabundle 0)" = \
		"$(openssl x509 -in "$F/pki/root.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')" ]
}

@test "nsm-sim documents: --expect-pcr and --measurements" {
	need_sim_docs
	local r=(--root "$F/pki/root.pem")
	run -0 attest-verify "${r[@]}" --expect-pcr "0=$A0" --expect-pcr "2=$A2" "$F/plain.cbor"
	[[ $(json_get "$output" checks) == *'"PCR0"'*'"PCR2"'* ]]
	fails_match 1 "^attest-verify: PCR0 failed: expected ${X1:0:4}.*, document has ${A0:0:4}" "${r[@]}" --expect-pcr "0=$X1" "$F/plain.cbor"
	fails_match 1 '^attest-verify: PCR2 failed: ' "${r[@]}" --expect-pcr "0=$A0" --expect-pcr "2=$A1" "$F/plain.cbor"
	# a PCR the image leaves at zero
	run -0 attest-verify "${r[@]}" --expect-pcr "3=$Z" "$F/plain.cbor"
	need_measurements
	run -0 attest-verify "${r[@]}" --measurements "$F/app.json" "$F/plain.cbor"
	[[ $(json_get "$output" checks) == *'"PCR0"'*'"PCR1"'*'"PCR2"'* ]]
	fails_match 1 '^attest-verify: PCR[012] failed: ' "${r[@]}" --measurements "$F/b.json" "$F/plain.cbor"
	run -0 attest-verify "${r[@]}" --measurements "$F/b.json" "$F/other.cbor"
	fails_match 1 '^attest-verify: PCR[012] failed: ' "${r[@]}" --measurements "$F/app.json" "$F/other.cbor"
}

@test "nsm-sim documents: nonce, user data and public key (PEM and DER), right and wrong" {
	need_sim_docs
	local r=(--root "$F/pki/root.pem")
	run -0 attest-verify "${r[@]}" --nonce-hex "$NONCE" --user-data-hex "$UD" --public-key "$F/ec.pub.pem" "$F/full.cbor"
	run -0 attest-verify "${r[@]}" --public-key "$F/ec.pub.der" "$F/full.cbor"
	run -0 attest-verify "${r[@]}" --nonce-hex "$(echo "$NONCE" | tr a-f A-F)" "$F/full.cbor"
	fails_match 1 '^attest-verify: nonce failed: ' "${r[@]}" --nonce-hex "${NONCE}00" "$F/full.cbor"
	fails_match 1 '^attest-verify: nonce failed: ' "${r[@]}" --nonce-hex "$NONCE" "$F/plain.cbor"
	# An empty value expects an empty field: a document that has none fails, as before the table.
	fails_match 1 '^attest-verify: nonce failed: expected  \(0 bytes\), document has none$' "${r[@]}" \
		--nonce-hex '' "$F/plain.cbor"
	fails_match 1 '^attest-verify: user_data failed: expected  \(0 bytes\), document has none$' "${r[@]}" \
		--user-data-hex '' "$F/plain.cbor"
	fails_match 1 '^attest-verify: user[ _]data failed: ' "${r[@]}" --user-data-hex 00 "$F/full.cbor"
	fails_match 1 '^attest-verify: user[ _]data failed: ' "${r[@]}" --user-data-hex "$UD" "$F/plain.cbor"
	fails_match 1 '^attest-verify: public[ _]key failed: ' "${r[@]}" --public-key "$F/ec2.pub.pem" "$F/full.cbor"
	fails_match 1 '^attest-verify: public[ _]key failed: ' "${r[@]}" --public-key "$F/ec.pub.pem" "$F/plain.cbor"
}

@test "nsm-sim documents: --max-age, now and two hours after the document" {
	need_sim_docs
	need_cbor2
	local r=(--root "$F/pki/root.pem") later
	run -0 attest-verify "${r[@]}" --max-age 3600 "$F/plain.cbor"
	later=$("$SYSPY" "$AVPY" time "$F/plain.cbor" 7200)
	# the leaf lives 3 hours: the chain holds, the age does not
	run -0 attest-verify "${r[@]}" --at "$later" "$F/plain.cbor"
	fails_match 1 '^attest-verify: max-age failed: the document is 7200 s old, more than 3600$' \
		"${r[@]}" --at "$later" --max-age 3600 "$F/plain.cbor"
}

@test "nsm-sim documents: debug mode fails PCR expectations unless --allow-debug" {
	need_sim_docs
	local r=(--root "$F/pki/root.pem")
	run -0 attest-verify "${r[@]}" "$F/debug.cbor"
	[ "$(json_get "$output" debug)" = true ]
	[ "$(json_get "$output" pcrs 0)" = "$Z" ]
	fails_match 1 '^attest-verify: debug failed: debug-mode document \(all-zero PCR0\) and PCR expectations given \(use --allow-debug\)$' \
		"${r[@]}" --expect-pcr "0=$A0" "$F/debug.cbor"
	fails_match 1 '^attest-verify: debug failed: ' "${r[@]}" --expect-pcr "0=$Z" "$F/debug.cbor"
	fails_match 1 '^attest-verify: debug failed: ' "${r[@]}" --expect-pcr "3=$Z" "$F/debug.cbor"
	run -0 attest-verify "${r[@]}" --expect-pcr "0=$Z" --allow-debug "$F/debug.cbor"
	fails_match 1 '^attest-verify: PCR0 failed: ' "${r[@]}" --expect-pcr "0=$A0" --allow-debug "$F/debug.cbor"
	if [ -f "$F/app.json" ]; then
		fails_match 1 '^attest-verify: debug failed: ' "${r[@]}" --measurements "$F/app.json" "$F/debug.cbor"
	fi
}

@test "nsm-sim documents: --no-verify decodes a document of an unknown root and says verified false" {
	need_sim_docs
	run -0 --separate-stderr attest-verify --no-verify "$F/foreign.cbor"
	[ -z "$stderr" ]
	# the note that nothing was verified goes to stderr with --verbose only
	run -0 --separate-stderr attest-verify --verbose --no-verify "$F/foreign.cbor"
	[ -n "$stderr" ]
	run -0 --separate-stderr attest-verify --no-verify "$F/foreign.cbor"
	[ "$(json_get "$output" verified)" = false ]
	[ "$(json_get "$output" checks)" = "[]" ]
	[ "$(json_get "$output" pcrs 0)" = "$A0" ]
	if [ -n "${HAVE_CBOR2:-}" ]; then
		printf '%s\n' "$output" >av.json
		run "$SYSPY" "$AVPY" json-check av.json "$F/foreign.cbor"
		[ "$status" -eq 0 ] || { echo "$output"; return 1; }
	fi
}

@test "nsm-sim documents: --format text gives key: value lines" {
	need_sim_docs
	local id
	id=$(json_get "$(attest-verify --root "$F/pki/root.pem" "$F/plain.cbor")" module_id)
	run -0 --separate-stderr attest-verify --root "$F/pki/root.pem" --format text "$F/plain.cbor"
	[ -z "$stderr" ]
	[[ ${lines[0]} != '{'* ]]
	printf '%s\n' "${lines[@]}" | grep -qx "module_id: $id"
	printf '%s\n' "${lines[@]}" | grep -qx 'verified: true'
	printf '%s\n' "${lines[@]}" | grep -qx 'debug: false'
	printf '%s\n' "${lines[@]}" | grep -q "$A0"
	# every line is key: value (or an indented continuation)
	if printf '%s\n' "${lines[@]}" | grep -v -E '^([][A-Za-z0-9_./-]+:( .*)?|[[:space:]]+.*)$'; then
		echo "lines above are not key: value"
		return 1
	fi
}

# =====================================================================================
# --policy

# decision POLICY DOC WANT_EXIT WANT_PREFIX [ARGS]: attest-verify --policy's one stdout line.
decision() {
	local p=$1 d=$2 code=$3 want=$4
	shift 4
	run "-$code" --separate-stderr attest-verify --root "$F/pki/root.pem" --policy "$p" --action kms:Decrypt "$@" "$d"
	[ "${#lines[@]}" -eq 1 ] || { echo "policy $p, $d: stdout '$output'"; return 1; }
	[[ $output == "$want"* ]] || { echo "policy $p, $d: '$output', expected '$want...'"; return 1; }
}

# iam_says POLICY DOC PRINCIPAL: tests/fixtures/iam_eval.py's decision for the document's
# PCRs (decoded with cbor2), as attest-verify words it.
iam_says() {
	local pcrs=() k v
	while read -r k v; do pcrs+=(--pcr "$k=$v"); done < <("$SYSPY" "$AVPY" decode "$2" |
		"$PYTHON" -c 'import json,sys; [print(k, v) for k, v in json.load(sys.stdin)["pcrs"].items()]')
	local out
	out=$("$PYTHON" "$IAM_EVAL" "$1" -v --action kms:Decrypt --principal "$3" "${pcrs[@]}")
	case $out in
	Allow:\ *) echo "Allow: statement '${out#Allow: }'" ;;
	ExplicitDeny:\ *) echo "explicit Deny: statement '${out#ExplicitDeny: }'" ;;
	*) echo "implicit deny" ;;
	esac
}

# The enclave's statements only (no --account): with a root statement, "account root = any
# principal of the account" (the contract does not model IAM delegation) would also allow.
@test "--policy: policy-gen's policies (both styles) allow the image, deny another image and debug mode" {
	need_sim_docs
	need_measurements
	local style d
	for style in allow deny; do
		policy-gen -q -m "$F/app.json" --enclave-principal "$ROLE" --admin "$ADMIN" --style "$style" >p.json
		decision p.json "$F/plain.cbor" 0 "Allow: statement 'NitrokitEnclaveAllow'" --principal "$ROLE"
		[ "$output" = "Allow: statement 'NitrokitEnclaveAllow'" ]
		decision p.json "$F/plain.cbor" 0 "Allow: statement 'NitrokitEnclaveAllow'" --principal "$SESSION"
		decision p.json "$F/other.cbor" 1 "explicit Deny: statement 'NitrokitEnclaveDenyPCR" --principal "$ROLE"
		[[ $output =~ ^explicit\ Deny:\ statement\ \'NitrokitEnclaveDenyPCR[012]\':\ .*kms:RecipientAttestation:PCR[012] ]]
		decision p.json "$F/debug.cbor" 1 "explicit Deny: statement 'NitrokitEnclaveDenyPCR" --principal "$ROLE"
		# The decisions agree with the independent evaluator.
		if [ -n "${HAVE_CBOR2:-}" ]; then
			for d in plain other debug; do
				decision p.json "$F/$d.cbor" "$([ $d = plain ] && echo 0 || echo 1)" "$(iam_says p.json "$F/$d.cbor" "$ROLE")" --principal "$ROLE"
			done
		fi
		# without --principal: principals are not considered, and it says so
		decision p.json "$F/plain.cbor" 0 "Allow: statement 'NitrokitEnclaveAllow'"
		[[ $output == *"(principal not checked)"* ]]
		# another role: not the enclave's principal
		if [ "$style" = allow ]; then
			decision p.json "$F/plain.cbor" 1 "implicit deny: " --principal "$OTHER"
		else
			decision p.json "$F/other.cbor" 1 "explicit Deny: statement 'NitrokitEnclaveDenyPCR" --principal "$OTHER"
		fi
	done
	# With the account's root statement the good document is still allowed, the others denied.
	policy-gen -q -m "$F/app.json" --enclave-principal "$ROLE" --account "$ACCT" >a.json
	decision a.json "$F/plain.cbor" 0 "Allow: statement '" --principal "$ROLE"
	decision a.json "$F/other.cbor" 1 "explicit Deny: statement 'NitrokitEnclaveDenyPCR" --principal "$ROLE"
	# --debug-mode policies admit the debug document
	policy-gen -q -m "$F/app.json" --enclave-principal "$ROLE" --admin "$ADMIN" --debug-mode >dbg.json 2>/dev/null
	decision dbg.json "$F/debug.cbor" 0 "Allow: statement 'NitrokitEnclaveAllowDebug'" --principal "$ROLE"
}

@test "--policy: a verification failure comes first; --no-verify evaluates a decoded document" {
	need_sim_docs
	need_measurements
	policy-gen -q -m "$F/app.json" --enclave-principal "$ROLE" --admin "$ADMIN" >p.json
	run -1 --separate-stderr attest-verify --policy p.json --action kms:Decrypt --principal "$ROLE" "$F/plain.cbor"
	[[ $stderr == "attest-verify: root failed: "* ]]
	[[ $output != Allow* ]]
	run -0 --separate-stderr attest-verify --no-verify --policy p.json --action kms:Decrypt --principal "$ROLE" "$F/foreign.cbor"
	[ "$output" = "Allow: statement 'NitrokitEnclaveAllow'" ]
}

@test "--policy: real documents against a policy pinning the README's PCR0" {
	need_testdata
	policy-gen -q --pcr0 "$EV_PROD_PCR0" --enclave-principal "$ROLE" --admin "$ADMIN" >p.json
	run -0 attest-verify --at doc --policy p.json --action kms:Decrypt --principal "$ROLE" "$(doc evervault-2022-10-13-prod.cose)"
	[ "$output" = "Allow: statement 'NitrokitEnclaveAllow'" ]
	run -1 attest-verify --at doc --policy p.json --action kms:Decrypt --principal "$ROLE" "$(doc qos-2022-07-06-prod.cose)"
	[[ $output == "explicit Deny: statement 'NitrokitEnclaveDenyPCR0': "* ]]
	run -1 attest-verify --at doc --policy p.json --action kms:Decrypt --principal "$ROLE" "$(doc evervault-2022-10-12-debug.cose)"
	[[ $output == "explicit Deny: statement 'NitrokitEnclaveDenyPCR0': "* ]]
	# only decrypt was granted: GenerateDataKey is implicitly denied
	run -1 attest-verify --at doc --policy p.json --action kms:GenerateDataKey --principal "$ROLE" "$(doc evervault-2022-10-13-prod.cose)"
	[[ $output == "implicit deny: "* ]]
}

@test "--policy: a policy that is not JSON is exit 3, a missing one exit 4, no --action exit 2" {
	need_sim_docs
	printf 'Version: 2012-10-17\n' >p.yaml
	fails_match 3 "^attest-verify: 'p.yaml'" --root "$F/pki/root.pem" --policy p.yaml --action kms:Decrypt "$F/plain.cbor"
	printf '{"Version": "2012-10-17", "Statement": [' >p.json
	fails_match 3 "^attest-verify: 'p.json'" --root "$F/pki/root.pem" --policy p.json --action kms:Decrypt "$F/plain.cbor"
	fails_match 4 "^attest-verify: cannot open 'nope.json': No such file or directory$" --root "$F/pki/root.pem" --policy nope.json --action kms:Decrypt "$F/plain.cbor"
	printf '{"Version":"2012-10-17","Statement":[]}' >e.json
	fails_match 2 '^attest-verify: .*--action' --root "$F/pki/root.pem" --policy e.json "$F/plain.cbor"
}

# =====================================================================================
# Command line

@test "usage errors are exit 2 with a message and nothing on stdout" {
	printf 'x' >f.cose
	fails_match 2 '^attest-verify: ' # no FILE
	fails_match 2 '^attest-verify: ' f.cose f.cose
	fails_match 2 "^attest-verify: unknown option '--bogus' \(see 'attest-verify --help'\)$" --bogus f.cose
	fails_match 2 "^attest-verify: invalid value 'xml' for --format" --format xml f.cose
	fails_match 2 "^attest-verify: .*'yesterday'" --at yesterday f.cose
	fails_match 2 "^attest-verify: .*'2022-13-01T00:00:00Z'" --at 2022-13-01T00:00:00Z f.cose
	fails_match 2 "^attest-verify: .*'2022-10-12 13:50:06'" --at '2022-10-12 13:50:06' f.cose
	fails_match 2 '^attest-verify: ' --max-age -5 f.cose
	fails_match 2 "^attest-verify: invalid value .* for --max-age" --max-age 1h f.cose
	fails_match 2 "^attest-verify: invalid value .* for --expect-pcr" --expect-pcr "0=zz" f.cose
	fails_match 2 "^attest-verify: invalid value .* for --expect-pcr" --expect-pcr "$A0" f.cose
	fails_match 2 "^attest-verify: invalid value .* for --expect-pcr" --expect-pcr "32=$A0" f.cose
	fails_match 2 "^attest-verify: invalid value .* for --expect-pcr" --expect-pcr "0=abcd" f.cose
	fails_match 2 "^attest-verify: invalid value 'zz' for --nonce-hex" --nonce-hex zz f.cose
	fails_match 2 "^attest-verify: invalid value 'abc' for --user-data-hex" --user-data-hex abc f.cose
	fails_match 2 '^attest-verify: .*--policy' --action kms:Decrypt f.cose
}

@test "the option table's checks: empty and control characters, --no-verify, --policy's pairs, standard input" {
	printf 'x' >f.cose
	local o
	for o in --root --measurements --public-key --policy; do
		fails_match 2 "^attest-verify: $o must not be empty\$" "$o" '' f.cose
	done
	fails_match 2 '^attest-verify: --at must not be empty$' --at '' f.cose
	fails_match 2 '^attest-verify: --expect-pcr must not be empty$' --expect-pcr '' f.cose
	fails_match 2 '^attest-verify: --action must not contain control characters \(byte 5 is 0x1b\)$' \
		--policy p.json --action "$(printf 'kms:\033[2J')" f.cose
	fails_match 2 '^attest-verify: --principal must not contain control characters \(byte 4 is 0x0a\)$' \
		--policy p.json --action kms:Decrypt --principal "$(printf 'arn\nx')" f.cose
	fails_match 2 '^attest-verify: --at must not contain control characters \(byte 11 is 0x09\)$' --at "$(printf '2022-10-12\t13:50:06Z')" f.cose
	fails_match 2 '^attest-verify: --nonce-hex is longer than 2048 bytes$' --nonce-hex "$(printf '%02050d' 0)" f.cose
	# --no-verify checks nothing: no root, no expectation
	fails_match 2 '^attest-verify: --root does not go with --no-verify$' --no-verify --root r.pem f.cose
	fails_match 2 '^attest-verify: --max-age does not go with --no-verify$' --no-verify --max-age 5 f.cose
	fails_match 2 '^attest-verify: --expect-pcr does not go with --no-verify$' --no-verify --expect-pcr "0=$A0" f.cose
	fails_match 2 '^attest-verify: --measurements does not go with --no-verify$' --no-verify --measurements m.json f.cose
	fails_match 2 '^attest-verify: --nonce-hex does not go with --no-verify$' --no-verify --nonce-hex 00 f.cose
	fails_match 2 '^attest-verify: --user-data-hex does not go with --no-verify$' --no-verify --user-data-hex 00 f.cose
	fails_match 2 '^attest-verify: --public-key does not go with --no-verify$' --no-verify --public-key k.pem f.cose
	# --policy and --action go together, --principal needs them
	fails_match 2 '^attest-verify: --policy needs --action$' --policy p.json f.cose
	fails_match 2 '^attest-verify: --action needs --policy$' --action kms:Decrypt f.cose
	fails_match 2 '^attest-verify: --principal needs --policy$' --principal "$ROLE" f.cose
	# two files cannot both be standard input
	fails_match 2 '^attest-verify: --root and --policy cannot both read standard input$' --root - --policy - --action kms:Decrypt f.cose
	fails_match 2 '^attest-verify: --measurements and --public-key cannot both read standard input$' --measurements - --public-key - f.cose
}

@test "missing files are exit 4" {
	fails_match 4 "^attest-verify: cannot open 'nope.cose': No such file or directory$" nope.cose
	fails_match 4 "^attest-verify: cannot open 'nope.cose': No such file or directory$" --no-verify nope.cose
	need_sim_docs
	# a good document, so the missing file is the only fault
	local d="$F/plain.cbor"
	fails_match 4 "^attest-verify: cannot open 'nope.pem': No such file or directory$" --root nope.pem "$d"
	fails_match 4 "^attest-verify: cannot open 'nope.json': No such file or directory$" --root "$F/pki/root.pem" --measurements nope.json "$d"
	fails_match 4 "^attest-verify: cannot open 'nope.der': No such file or directory$" --root "$F/pki/root.pem" --public-key nope.der "$d"
	fails_match 4 "^attest-verify: cannot open 'nope.json': No such file or directory$" --root "$F/pki/root.pem" --policy nope.json --action kms:Decrypt "$d"
	fails_match 4 "^attest-verify: cannot open '$T/nodir/x': No such file or directory$" "$T/nodir/x"
}

@test "bad --root and --measurements files are exit 3" {
	need_sim_docs
	printf 'not a certificate\n' >root.pem
	fails_match 3 "^attest-verify: 'root.pem'" --root root.pem "$F/plain.cbor"
	printf '{"Measurements": {"PCR0": "zz"}}\n' >m.json
	fails_match 3 "^attest-verify: 'm.json'" --root "$F/pki/root.pem" --measurements m.json "$F/plain.cbor"
}

@test "--help lists the options" {
	run -0 --separate-stderr attest-verify --help
	[ -z "$stderr" ]
	[[ ${lines[0]} == "Usage: attest-verify "* ]]
	local o
	for o in --root --at --max-age --expect-pcr --measurements --nonce-hex --user-data-hex --public-key \
		--allow-debug --no-verify --format --policy --action --principal --help --version; do
		[[ $output == *"$o"* ]] || { echo "--help does not mention $o"; return 1; }
	done
	[[ $output == *"Exit codes:"* ]]
}
