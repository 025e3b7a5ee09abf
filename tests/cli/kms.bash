# Shared by the KMS tools' bats files: an nsm-sim and the KMS test responder
# (tests/fixtures/kms_responder.py, not our code) for each test, and the
# environment the tools read.  Load after common and nsm_sim; call
# kms_setup_file from setup_file and kms_teardown from teardown.
#
#   kms_up [RESPONDER ARGS]   nsm-sim + responder (documents checked against
#                             the sim's root) + kms_env; skips where the
#                             responder's Python lacks cryptography or cbor2
#   responder [ARGS]          the responder alone: $KMS_URL, $KMS_PID
#   kms_env                   only the test credentials, region and endpoint
#   kms_seal PT_FILE OUT [KEY] [CONTEXT_JSON]
#                             a ciphertext blob made offline by the
#                             responder's own sealing code (for Decrypt)
#   kms_open BLOB [CONTEXT_JSON]
#                             the plaintext of a ciphertext blob file, on
#                             stdout, opened offline by the responder's own
#                             code (for Encrypt and GenerateDataKey[Pair])
#   kms_log_field N FIELD     FIELD of the responder's Nth log line (1-based):
#                             seq, op, key_id, sigv4, attestation, pcr0,
#                             recipient, status, error, fault, headers, body,
#                             conn (connection number), sni, doc_cache, ms

RESP_PY=/usr/bin/python3
KMS_AK=AKIDKMSTEST
KMS_SK=kmsTestSecret/K7MDENG+bPxRfiCYEXAMPLEKEY
KMS_TOK=kmsTestSessionToken

kms_setup_file() {
	export F="$BATS_FILE_TMPDIR"
	"$PYTHON" "$FIXTURES/mkeif.py" --synthetic -o "$F/app.eif" --pcrs >"$F/app.pcrs"
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
	local i
	for ((i = 0; i < 400; i++)); do
		if [ -s "$T/kms.port" ]; then
			KMS_URL="http://127.0.0.1:$(cat "$T/kms.port")"
			return 0
		fi
		kill -0 "$KMS_PID" 2>/dev/null || { cat "$T/kms.err"; echo "responder exited"; return 1; }
		sleep 0.025
	done
	echo "responder did not start"
	return 1
}

kms_up() {
	kms_need_py
	sim || return 1
	responder --root "$F/pki/root.pem" "$@" || return 1
	kms_env
}

kms_teardown() {
	if [ -n "${KMS_PID:-}" ]; then
		kill -TERM "$KMS_PID" 2>/dev/null
		wait "$KMS_PID" 2>/dev/null || true
		KMS_PID=
	fi
	stop_sim
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
