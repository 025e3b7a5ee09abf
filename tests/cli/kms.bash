# Shared by the KMS tools' bats files: an nsm-sim and the KMS test responder
# (tests/fixtures/kms_responder.py, not our code) for each test, and the
# environment the tools read.  Load after common and nsm_sim.  Loading sets
# setup_file to kms_setup_file and teardown to kms_teardown; a file that needs
# more defines its own after the load and calls them.  (Loop counters are not
# called i in these files: bats 1.8's run changes a global i.)
#
#   kms_up [RESPONDER ARGS]   nsm-sim + responder (documents checked against
#                             the sim's root) + kms_env; skips where the
#                             responder's Python lacks cryptography or cbor2
#   kms_up_debug [RESPONDER ARGS]
#                             as kms_up with a debug-mode nsm-sim (PCR0/1/2/8
#                             all zero)
#   kms_restart [RESPONDER ARGS]
#                             a fresh responder (and log) with these arguments
#                             + kms_env, the nsm-sim kept
#   kms_sim_restart [SIM ARGS]
#                             a fresh nsm-sim with these arguments, the
#                             responder kept
#   responder [ARGS]          the responder alone: $KMS_URL, $KMS_PID
#   kms_env                   only the test credentials, region and endpoint
#   kms_seal PT_FILE OUT [KEY] [CONTEXT_JSON]
#                             a ciphertext blob made offline by the
#                             responder's own sealing code (for Decrypt)
#   kms_seal_lines N          N plaintexts ptN ("plaintext N\0\n") sealed
#                             likewise into ctN, in one Python run; lines.txt
#                             holds the blobs' base64 one a line (--batch
#                             input), want.txt the plaintexts' base64
#   kms_open BLOB [CONTEXT_JSON]
#                             the plaintext of a ciphertext blob file, on
#                             stdout, opened offline by the responder's own
#                             code (for Encrypt and GenerateDataKey[Pair])
#   kms_logged OP N|all BODY_JSON
#                             the responder's Nth request (1-based), or every
#                             one, was OP, signed right (sigv4 ok), carried a
#                             Recipient (RSAES_OAEP_SHA_256) whose attestation
#                             document verified, and the rest of its body is
#                             BODY_JSON (compared as parsed JSON); fails
#                             when fewer requests were logged
#   kms_logged_plain OP N|all BODY_JSON
#                             as kms_logged for a request without a Recipient
#                             or document (Encrypt): the whole body is
#                             BODY_JSON
#   kms_requests              how many requests reached the responder
#   kms_wait_for CMD...       retry CMD until it succeeds, 10 s at most
#   kms_wait_logged           kms_wait_for the responder's first log line:
#                             the tool is in its KMS call
#   kms_log_field N FIELD     FIELD of the responder's Nth log line (1-based):
#                             seq, op, key_id, sigv4, attestation, pcr0,
#                             recipient, status, error, fault, headers, body,
#                             conn (connection number), sni, doc_cache, ms
#
# The responder's own key and refusal, as its fixture defines them:
#   $KMS_ARN                  the ARN of alias/test (KeyId of its answers)
#   $KMS_DENIED               its AccessDeniedException for alias/denied

RESP_PY=/usr/bin/python3
KMS_AK=AKIDKMSTEST
KMS_SK=kmsTestSecret/K7MDENG+bPxRfiCYEXAMPLEKEY
KMS_TOK=kmsTestSessionToken
KMS_ARN=arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab
KMS_DENIED="AccessDeniedException: User: arn:aws:sts::111122223333:assumed-role/test/enclave is not authorized to perform this operation on arn:aws:kms:us-east-1:111122223333:key/11111111-2222-3333-4444-555555555555 because no resource-based policy allows it"

kms_setup_file() {
	export F="$BATS_FILE_TMPDIR"
	"$PYTHON" "$FIXTURES/mkeif.py" --synthetic -o "$F/app.eif" --pcrs >"$F/app.pcrs"
}

setup_file() {
	kms_setup_file
}

teardown() {
	kms_teardown
}

kms_need_py() {
	"$RESP_PY" -c 'import cryptography, cbor2' 2>/dev/null ||
		skip "$RESP_PY lacks cryptography or cbor2 (apt-get install python3-cryptography python3-cbor2)"
}

kms_env() {
	local v
	for v in $(env | sed -n 's/^\(AWS_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
	export AWS_ACCESS_KEY_ID=$KMS_AK AWS_SECRET_ACCESS_KEY=$KMS_SK AWS_SESSION_TOKEN=$KMS_TOK
	export AWS_REGION=us-east-1
	[ -z "${KMS_URL:-}" ] || export AWS_ENDPOINT_URL_KMS=$KMS_URL
	# Short retry backoff so the retry tests run in milliseconds.
	export NITROKIT_BACKOFF_MS=5
}

responder() {
	kms_need_py
	"$RESP_PY" "$FIXTURES/kms_responder.py" --access-key "$KMS_AK" --secret-key "$KMS_SK" \
		--session-token "$KMS_TOK" --log "$T/kms.log" --port-file "$T/kms.port" "$@" \
		>"$T/kms.out" 2>"$T/kms.err" 3>&- &
	KMS_PID=$!
	wait_ready "$KMS_PID" "$T/kms.err" -s "$T/kms.port" || return 1
	KMS_URL="http://127.0.0.1:$(cat "$T/kms.port")"
}

kms_up() {
	kms_need_py
	sim || return 1
	kms_restart "$@"
}

kms_up_debug() {
	kms_need_py
	sim --debug-mode || return 1
	kms_restart "$@"
}

kms_restart() {
	kms_stop_responder
	rm -f "$T/kms.log" "$T/kms.port"
	responder --root "$F/pki/root.pem" "$@" || return 1
	kms_env
}

kms_sim_restart() {
	stop_sim
	rm -f "$T/nsm.pid" "$T/nsm.sock"
	sim "$@"
}

kms_teardown() {
	kms_stop_responder
	stop_sim
}

kms_stop_responder() {
	[ -n "${KMS_PID:-}" ] || return 0
	kill -TERM "$KMS_PID" 2>/dev/null
	wait "$KMS_PID" 2>/dev/null || true
	KMS_PID=
}

kms_seal() {
	"$RESP_PY" - "$FIXTURES" "$@" <<'PY'
import json, sys, types
sys.path.insert(0, sys.argv[1])
import kms_responder as k
pt_file, out = sys.argv[2], sys.argv[3]
key = sys.argv[4] if len(sys.argv) > 4 else "alias/test"
ctx = json.loads(sys.argv[5]) if len(sys.argv) > 5 else {}
a = types.SimpleNamespace(region="us-east-1", seed="nitrokit-kms-responder")
kid, _ = k.find_key(a, key)
body = {"EncryptionContext": ctx} if ctx else {}
open(out, "wb").write(k.seal(a, kid, body, open(pt_file, "rb").read()))
PY
}

kms_seal_lines() {
	"$RESP_PY" - "$FIXTURES" "$1" <<'PY'
import base64, sys, types
sys.path.insert(0, sys.argv[1])
import kms_responder as k
a = types.SimpleNamespace(region="us-east-1", seed="nitrokit-kms-responder")
kid, _ = k.find_key(a, "alias/test")
with open("lines.txt", "w") as lines, open("want.txt", "w") as want:
    for n in range(1, int(sys.argv[2]) + 1):
        pt = b"plaintext %d\0\n" % n
        ct = k.seal(a, kid, {}, pt)
        open(f"pt{n}", "wb").write(pt)
        open(f"ct{n}", "wb").write(ct)
        lines.write(base64.b64encode(ct).decode() + "\n")
        want.write(base64.b64encode(pt).decode() + "\n")
PY
}

# The responder's layout: NKT1 || key uuid (36) || nonce (12) || AES-256-GCM,
# the key from aes_key and the AAD from context_aad.
kms_open() {
	"$RESP_PY" - "$FIXTURES" "$@" <<'PY'
import json, sys, types
sys.path.insert(0, sys.argv[1])
import kms_responder as k
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
blob = open(sys.argv[2], "rb").read()
ctx = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
a = types.SimpleNamespace(region="us-east-1", seed="nitrokit-kms-responder")
assert blob[:4] == k.MAGIC, "not a responder blob"
kid = blob[4:40].decode()
aad = k.context_aad({"EncryptionContext": ctx} if ctx else {})
sys.stdout.buffer.write(AESGCM(k.aes_key(a, kid)).decrypt(blob[40:52], blob[52:], aad))
PY
}

kms_log_field() {
	"$RESP_PY" -c 'import json,sys
e=json.loads(open(sys.argv[1]).read().splitlines()[int(sys.argv[2])-1])
for k in sys.argv[3:]: e=e[k]
print(json.dumps(e) if not isinstance(e,str) else e)' "$T/kms.log" "$@"
}

kms_logged() {
	kms_check_log recipient "$@"
}

kms_logged_plain() {
	kms_check_log plain "$@"
}

# One Python run checks every line asked for; what is wrong is said per line.
kms_check_log() {
	"$RESP_PY" - "$T/kms.log" "$@" <<'PY'
import json, os, sys
log, mode, op, n, body = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
lines = open(log).read().splitlines() if os.path.exists(log) else []
if not lines or (n != "all" and len(lines) < int(n)):
    sys.exit(f"only {len(lines)} requests logged")
bad = []
for seq, l in (enumerate(lines, 1) if n == "all" else [(int(n), lines[int(n) - 1])]):
    e = json.loads(l)
    b = dict(e["body"])
    if e["op"] != op: bad.append(f"{seq}: op {e['op']}")
    if e["sigv4"] != "ok": bad.append(f"{seq}: sigv4 {e['sigv4']}")
    if mode == "plain":
        if e["recipient"] or e["attestation"] != "absent": bad.append(f"{seq}: attestation {e['attestation']}")
    else:
        r = b.pop("Recipient", None)
        if not e["recipient"] or e["attestation"] != "ok": bad.append(f"{seq}: attestation {e['attestation']}")
        if not r or r.get("KeyEncryptionAlgorithm") != "RSAES_OAEP_SHA_256": bad.append(f"{seq}: Recipient {r}")
    if b != body: bad.append(f"{seq}: body {json.dumps(b)}")
sys.exit("; ".join(bad) if bad else 0)
PY
}

kms_requests() {
	if [ -f "$T/kms.log" ]; then wc -l <"$T/kms.log"; else echo 0; fi
}

kms_wait_for() {
	local n
	for ((n = 0; n < 400; n++)); do
		"$@" && return 0
		sleep 0.025
	done
	echo "timed out: $*"
	return 1
}

kms_wait_logged() {
	kms_wait_for test -s "$T/kms.log"
}
