#!/usr/bin/env bats
# The KMS test responder (tests/fixtures/kms_responder.py) against clients
# that are not ours: the AWS CLI v1 and botocore sign and parse, so a request
# the responder accepts is one botocore signed (its SigV4 verifier agrees with
# botocore's signer), and its answers and errors are ones botocore reads as
# KMS's.  Recipient answers are opened with `openssl cms -decrypt` using the
# key whose public half went into an nsm-sim document.
load common

RESP_PY=/usr/bin/python3
AK=AKIDKMSTEST
SK=kmsTestSecret/K7MDENG+bPxRfiCYEXAMPLEKEY
TOK=kmsTestSessionToken

setup_file() {
	export F="$BATS_FILE_TMPDIR"
	command -v openssl >/dev/null || return 0
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$F/rsa.key" 2>/dev/null
	openssl pkey -in "$F/rsa.key" -pubout -out "$F/rsa.pub"
	openssl pkey -in "$F/rsa.key" -pubout -outform DER -out "$F/rsa.pub.der"
}

teardown() {
	if [ -n "${KMS_PID:-}" ]; then
		kill -TERM "$KMS_PID" 2>/dev/null
		wait "$KMS_PID" 2>/dev/null || true
	fi
	if [ -n "${SIM_PID:-}" ]; then
		kill -TERM "$SIM_PID" 2>/dev/null
		wait "$SIM_PID" 2>/dev/null || true
	fi
}

# responder [ARGS]: the responder with the test credentials, its port in
# $KMS_URL once the port file exists (no sleeps needed beyond the poll).
responder() {
	"$RESP_PY" -c 'import cryptography' 2>/dev/null || skip "$RESP_PY lacks cryptography"
	"$RESP_PY" "$FIXTURES/kms_responder.py" --access-key "$AK" --secret-key "$SK" --session-token "$TOK" \
		--log "$T/kms.log" --port-file "$T/kms.port" "$@" >"$T/kms.out" 2>"$T/kms.err" 3>&- &
	KMS_PID=$!
	wait_ready "$KMS_PID" "$T/kms.err" -s "$T/kms.port" || return 1
	KMS_URL="http://127.0.0.1:$(cat "$T/kms.port")"
	[ "$(head -1 "$T/kms.out")" = "PORT $(cat "$T/kms.port")" ] || { echo "first line: $(head -1 "$T/kms.out")"; return 1; }
}

need_aws() {
	command -v aws >/dev/null && aws --version >/dev/null 2>&1 || skip "the AWS CLI is not installed"
	export AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_SESSION_TOKEN=$TOK AWS_DEFAULT_REGION=us-east-1
	export AWS_CONFIG_FILE="$T/no-config" AWS_SHARED_CREDENTIALS_FILE="$T/no-credentials"
	unset AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_KMS AWS_RETRY_MODE AWS_MAX_ATTEMPTS
}

kms() {
	aws --endpoint-url "$KMS_URL" --output json kms "$@"
}

# log_summary: one line per logged request: op status error sigv4 attestation fault
log_summary() {
	"$PYTHON" -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    print(e["op"], e["status"], e["error"], e["sigv4"], e["attestation"], e["fault"])' "$T/kms.log"
}

# recipient OP OUT [DOC]: a Recipient request signed and sent by botocore
# (no retries); CiphertextForRecipient into OUT, the rest of the answer on stdout.
recipient() {
	"$PYTHON" -c 'import botocore' 2>/dev/null || skip "$PYTHON has no botocore"
	AWS_ACCESS_KEY_ID=$AK AWS_SECRET_ACCESS_KEY=$SK AWS_SESSION_TOKEN=$TOK \
	AWS_CONFIG_FILE="$T/no-config" AWS_SHARED_CREDENTIALS_FILE="$T/no-credentials" \
	"$PYTHON" -c '
import base64, json, sys
import botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError
url, op, out, doc = sys.argv[1:5]
c = botocore.session.get_session().create_client(
    "kms", region_name="us-east-1", endpoint_url=url, config=Config(retries={"max_attempts": 1}))
rcp = {"KeyEncryptionAlgorithm": "RSAES_OAEP_SHA_256", "AttestationDocument": open(doc, "rb").read()}
try:
    if op == "decrypt":
        r = c.decrypt(CiphertextBlob=open(sys.argv[5], "rb").read(), Recipient=rcp)
    elif op == "random":
        r = c.generate_random(NumberOfBytes=48, Recipient=rcp)
    elif op == "datakey":
        r = c.generate_data_key(KeyId="alias/test", KeySpec="AES_256", Recipient=rcp)
    elif op == "pair":
        r = c.generate_data_key_pair(KeyId="alias/test", KeyPairSpec="ECC_NIST_P256", Recipient=rcp)
except ClientError as e:
    print(e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"])
    sys.exit(1)
open(out, "wb").write(r.pop("CiphertextForRecipient"))
r.pop("ResponseMetadata")
print(json.dumps({k: (base64.b64encode(v).decode() if isinstance(v, bytes) else v) for k, v in r.items()}, sort_keys=True))
' "$KMS_URL" "$@"
}

# attest [nsm-sim ARGS]: nsm-sim with its own PKI and a document carrying
# $F/rsa.pub in $T/doc.cbor.
attest() {
	[ -x "$NK_ROOT/bin/nsm-sim" ] && [ -x "$NK_ROOT/bin/nsm-attest" ] || skip "bin/nsm-sim or bin/nsm-attest is not built"
	[ -f "$F/rsa.pub" ] || skip "openssl not available"
	"$RESP_PY" -c 'import cbor2' 2>/dev/null || skip "$RESP_PY lacks cbor2 (the responder cannot check documents)"
	nsm-sim --socket "$T/nsm.sock" --pki "$T/pki" --pidfile "$T/nsm.pid" "$@" >"$T/sim.log" 2>&1 3>&- &
	SIM_PID=$!
	wait_ready "$SIM_PID" "$T/sim.log" -s "$T/nsm.pid" -S "$T/nsm.sock" || return 1
	NITROKIT_NSM="unix:$T/nsm.sock" nsm-attest --public-key "$F/rsa.pub" -o "$T/doc.cbor"
}

PCR0_A=$(printf 'a5%.0s' {1..48})
PCR0_B=$(printf '5a%.0s' {1..48})

@test "encrypt then decrypt round trip through the AWS CLI, SigV4 checked" {
	need_aws
	responder
	printf 'attack at dawn\n' >pt
	kms encrypt --key-id alias/test --plaintext fileb://pt --encryption-context app=x >enc.json
	json_get "$(cat enc.json)" CiphertextBlob | base64 -d >ct.bin
	[ "$(json_get "$(cat enc.json)" KeyId)" = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab" ]
	kms decrypt --ciphertext-blob fileb://ct.bin --encryption-context app=x >dec.json
	json_get "$(cat dec.json)" Plaintext | base64 -d >back
	cmp pt back
	run -0 log_summary
	[ "$output" = "Encrypt 200 None ok absent None
Decrypt 200 None ok absent None" ]
	# SIGTERM stops it cleanly
	kill -TERM "$KMS_PID"
	wait "$KMS_PID"
	KMS_PID=
}

@test "the SigV4 verifier accepts the KMS vector of issue 6 and nothing altered" {
	"$RESP_PY" -c 'import cryptography' 2>/dev/null || skip "$RESP_PY lacks cryptography"
	run -0 "$RESP_PY" -c '
import sys, types
sys.path.insert(0, sys.argv[1])
import kms_responder as k
a = types.SimpleNamespace(access_key="AKIDEXAMPLE", secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                          session_token="SESSIONTOKENEXAMPLE", region="us-east-1", max_skew=0)
body = b"{\"CiphertextBlob\": \"AQID\", \"KeyId\": \"alias/test\"}"
h = {"content-type": "application/x-amz-json-1.1", "host": "kms.us-east-1.amazonaws.com",
     "x-amz-date": "20150830T123600Z", "x-amz-security-token": "SESSIONTOKENEXAMPLE",
     "x-amz-target": "TrentService.Decrypt",
     "authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/kms/aws4_request, "
     "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "
     "Signature=394df7a121907e604654eb0f68c01be9256f4aed40ce0c6e90062540374c38c0"}
print(k.check_sigv4(a, h, body))
print(k.check_sigv4(a, h, body + b" "))
print(k.check_sigv4(a, dict(h, **{"x-amz-target": "TrentService.Encrypt"}), body))
a.region = "eu-west-1"
print(k.check_sigv4(a, h, body))' "$FIXTURES"
	[ "$output" = "ok
signature mismatch
signature mismatch
scope names us-east-1/kms, expected eu-west-1/kms" ]
}

@test "decrypt with another encryption context or key is refused as KMS does" {
	need_aws
	responder
	printf 'x' >pt
	kms encrypt --key-id alias/test --plaintext fileb://pt --encryption-context app=x >enc.json
	json_get "$(cat enc.json)" CiphertextBlob | base64 -d >ct.bin
	run ! kms decrypt --ciphertext-blob fileb://ct.bin --encryption-context app=y
	[[ "$output" == *"(InvalidCiphertextException) when calling the Decrypt operation"* ]]
	run ! kms decrypt --ciphertext-blob fileb://ct.bin --encryption-context app=x --key-id alias/other
	[[ "$output" == *"(IncorrectKeyException)"* ]]
	run ! kms encrypt --key-id alias/nope --plaintext fileb://pt
	[[ "$output" == *"(NotFoundException) when calling the Encrypt operation: Key 'alias/nope' does not exist"* ]]
}

@test "AccessDeniedException surfaces with its message, per key and by --deny" {
	need_aws
	responder --deny "no kms:Decrypt for you"
	printf 'x' >pt
	run ! kms encrypt --key-id alias/test --plaintext fileb://pt
	[[ "$output" == *"An error occurred (AccessDeniedException) when calling the Encrypt operation: no kms:Decrypt for you"* ]]
	kill -TERM "$KMS_PID"; wait "$KMS_PID" || true; rm -f "$T/kms.port" "$T/kms.log"
	responder
	run ! kms encrypt --key-id alias/denied --plaintext fileb://pt
	[[ "$output" == *"(AccessDeniedException) when calling the Encrypt operation: User: arn:aws:sts::111122223333:assumed-role/test/enclave is not authorized"* ]]
	# not retried: one request only
	[ "$(wc -l <"$T/kms.log")" -eq 1 ]
}

@test "throttling twice, then the CLI's own retry succeeds" {
	need_aws
	responder --throttle 2
	printf 'x' >pt
	kms encrypt --key-id alias/test --plaintext fileb://pt >enc.json
	[ -n "$(json_get "$(cat enc.json)" CiphertextBlob)" ]
	run -0 log_summary
	[ "$output" = "Encrypt 400 ThrottlingException ok absent throttle
Encrypt 400 ThrottlingException ok absent throttle
Encrypt 200 None ok absent None" ]
	grep -q '"amz-sdk-request": "[^"]*attempt=3;' "$T/kms.log"
}

@test "a dropped connection, then 503, both retried by the CLI to success" {
	need_aws
	responder --status 503:1 --drop 1 --delay 2:1
	printf 'x' >pt
	# the first request is dropped (drop takes precedence), the second gets 503;
	# the first is also delayed 2 s, within the CLI's 60 s read timeout.
	kms encrypt --key-id alias/test --plaintext fileb://pt >enc.json
	[ -n "$(json_get "$(cat enc.json)" CiphertextBlob)" ]
	run -0 log_summary
	[ "$output" = "Encrypt None None ok absent drop
Encrypt 503 ServiceUnavailableException ok absent status_n
Encrypt 200 None ok absent None" ]
}

@test "a slow answer past the client's read timeout is retried" {
	need_aws
	responder --delay 3:1
	printf 'x' >pt
	aws --cli-read-timeout 1 --endpoint-url "$KMS_URL" --output json kms encrypt --key-id alias/test --plaintext fileb://pt >enc.json
	[ -n "$(json_get "$(cat enc.json)" CiphertextBlob)" ]
	[ "$(wc -l <"$T/kms.log")" -eq 2 ]
	grep -q '"delay": 3.0' "$T/kms.log"
}

@test "a wrong secret key or a missing session token fails SigV4" {
	need_aws
	responder
	printf 'x' >pt
	AWS_SECRET_ACCESS_KEY=wrong run ! kms encrypt --key-id alias/test --plaintext fileb://pt
	[[ "$output" == *"(InvalidSignatureException)"*"signature mismatch"* ]]
	AWS_ACCESS_KEY_ID=AKIDOTHER run ! kms encrypt --key-id alias/test --plaintext fileb://pt
	[[ "$output" == *"(UnrecognizedClientException)"* ]]
	env -u AWS_SESSION_TOKEN aws --endpoint-url "$KMS_URL" kms encrypt --key-id alias/test --plaintext fileb://pt >out 2>&1 && false
	grep -q "x-amz-security-token is not signed" out
	run -0 log_summary
	[ "$output" = "Encrypt 400 InvalidSignatureException signature mismatch absent None
Encrypt 400 UnrecognizedClientException unknown access key 'AKIDOTHER' absent None
Encrypt 400 InvalidSignatureException x-amz-security-token is not signed absent None" ]
}

@test "malformed requests: wrong target, content type, path, body" {
	command -v curl >/dev/null || skip "curl is not installed"
	responder
	run -0 curl -s -X POST -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: TrentService.Sign' -d '{}' "$KMS_URL/"
	[ "$(json_get "$output" __type)" = UnknownOperationException ]
	run -0 curl -s -X POST -H 'Content-Type: application/json' -H 'X-Amz-Target: TrentService.Decrypt' -d '{}' "$KMS_URL/"
	[ "$(json_get "$output" __type)" = SerializationException ]
	run -0 curl -s -o /dev/null -w '%{http_code}' "$KMS_URL/x"
	[ "$output" = 404 ]
	# unsigned: the signature is checked before the body is used
	run -0 curl -s -X POST -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: TrentService.Decrypt' -d '{}' "$KMS_URL/"
	[ "$(json_get "$output" __type)" = InvalidSignatureException ]
	grep -q '"sigv4": "no Authorization header"' "$T/kms.log"
}

@test "Recipient Decrypt: CiphertextForRecipient opens with openssl cms and the enclave key" {
	need_aws
	attest --pcr "0=$PCR0_A"
	responder --root "$T/pki/root.pem" --require-pcr0 "$PCR0_A"
	printf 'the enclave secret' >pt
	kms encrypt --key-id alias/test --plaintext fileb://pt >enc.json
	json_get "$(cat enc.json)" CiphertextBlob | base64 -d >ct.bin
	run -0 recipient decrypt cfr.der "$T/doc.cbor" ct.bin
	json_eq "$output" '{"EncryptionAlgorithm": "SYMMETRIC_DEFAULT", "KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}'
	openssl cms -decrypt -inform DER -inkey "$F/rsa.key" -binary -in cfr.der -out back
	cmp pt back
	# the shape KMS uses: EnvelopedData v2, KTRI v2 keyed by SHA-256 of the SPKI, OAEP, AES-256-CBC
	openssl cms -cmsout -print -inform DER -in cfr.der >cms.txt
	grep -q 'contentType: pkcs7-envelopedData' cms.txt
	[ "$(grep -c 'version: 2' cms.txt)" -eq 2 ]
	grep -q 'algorithm: rsaesOaep' cms.txt
	grep -q 'algorithm: aes-256-cbc' cms.txt
	ski=$(sed -n '/d.subjectKeyIdentifier:/,/keyEncryptionAlgorithm/p' cms.txt | grep -E '^ +[0-9a-f]{4} - ' \
		| sed -E 's/^ +[0-9a-f]{4} - //; s/   .*//; s/[- ]//g' | tr -d '\n')
	[ "$ski" = "$(openssl dgst -sha256 -r "$F/rsa.pub.der" | cut -d' ' -f1)" ]
	run -0 log_summary
	[ "${lines[1]}" = "Decrypt 200 None ok ok None" ]
	grep -q "\"pcr0\": \"$PCR0_A\"" "$T/kms.log"
}

@test "Recipient GenerateRandom, GenerateDataKey and GenerateDataKeyPair carry no plaintext" {
	attest --pcr "0=$PCR0_A"
	responder --root "$T/pki/root.pem"
	run -0 recipient random r.der "$T/doc.cbor"
	json_eq "$output" '{}'
	openssl cms -decrypt -inform DER -inkey "$F/rsa.key" -binary -in r.der -out r.bin
	[ "$(wc -c <r.bin)" -eq 48 ]
	run -0 recipient datakey k.der "$T/doc.cbor"
	[[ "$output" != *Plaintext* ]]
	[ -n "$(json_get "$output" CiphertextBlob)" ]
	openssl cms -decrypt -inform DER -inkey "$F/rsa.key" -binary -in k.der -out k.bin
	[ "$(wc -c <k.bin)" -eq 32 ]
	run -0 recipient pair p.der "$T/doc.cbor"
	[[ "$output" != *PrivateKeyPlaintext* ]]
	json_get "$output" PublicKey | base64 -d >pub.der
	openssl cms -decrypt -inform DER -inkey "$F/rsa.key" -binary -in p.der -out priv.der
	# the private key sent to the enclave is the half of the public key returned
	openssl pkey -inform DER -in priv.der -pubout -outform DER -out pub2.der
	cmp pub.der pub2.der
}

@test "Recipient policy and document checks: PCR0 mismatch, foreign root" {
	attest --pcr "0=$PCR0_A"
	responder --root "$T/pki/root.pem" --require-pcr0 "$PCR0_B"
	run -1 recipient random r.der "$T/doc.cbor"
	[ "$output" = "AccessDeniedException: PCR0 of the attestation document does not match the key policy" ]
	[ ! -e r.der ]
	grep -q '"attestation": "ok"' "$T/kms.log"
	# a policy on PCR0 also refuses a Decrypt without Recipient (KMS's condition key is absent then)
	run -1 "$PYTHON" -c '
import sys, botocore.session
from botocore.config import Config
from botocore.exceptions import ClientError
c = botocore.session.get_session().create_client("kms", region_name="us-east-1", endpoint_url=sys.argv[1],
    aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3], aws_session_token=sys.argv[4],
    config=Config(retries={"max_attempts": 1}))
try:
    c.generate_random(NumberOfBytes=8)
except ClientError as e:
    sys.exit(e.response["Error"]["Code"])' "$KMS_URL" "$AK" "$SK" "$TOK"
	[ "$output" = AccessDeniedException ]
	kill -TERM "$KMS_PID"; wait "$KMS_PID" || true; rm -f "$T/kms.port" "$T/kms.log"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -keyout other.key \
		-subj /CN=other -days 1 -out other.pem 2>/dev/null
	responder --root other.pem
	run -1 recipient random r.der "$T/doc.cbor"
	[ "$output" = "ValidationException: invalid attestation document: cabundle[0] is not the root" ]
	grep -q '"attestation": "invalid attestation document: cabundle\[0\] is not the root"' "$T/kms.log"
}

# seal PT OUT: a Decrypt ciphertext blob for alias/test made offline by the
# responder's own sealing code (as tests/cli/kms.bash's kms_seal does).
seal() {
	"$RESP_PY" -c '
import sys, types
sys.path.insert(0, sys.argv[1])
import kms_responder as k
a = types.SimpleNamespace(region="us-east-1", seed="nitrokit-kms-responder")
kid, _ = k.find_key(a, "alias/test")
open(sys.argv[3], "wb").write(k.seal(a, kid, {}, open(sys.argv[2], "rb").read()))' "$FIXTURES" "$@"
}

# recip_cert SKI_HEX OUT: a self-signed certificate for $F/rsa.key whose
# subjectKeyIdentifier is SKI_HEX ("hash": openssl's default, SHA-1), for
# `openssl cms -decrypt -recip`, which picks the RecipientInfo by it.
recip_cert() {
	openssl req -x509 -new -key "$F/rsa.key" -subj /CN=recipient -days 1 \
		-addext "subjectKeyIdentifier=$1" -out "$2" 2>/dev/null
}

# log_fields FIELD...: those fields of every log line, space-separated, one line per request
log_fields() {
	"$PYTHON" -c '
import json, sys
for l in open(sys.argv[1]):
    e = json.loads(l)
    print(" ".join(str(e[f]) for f in sys.argv[2:]))' "$T/kms.log" "$@"
}

@test "--cms python: CiphertextForRecipient made in-process opens with openssl cms -decrypt -recip" {
	attest --pcr "0=$PCR0_A"
	responder --root "$T/pki/root.pem" --cms python
	printf 'the enclave secret, wrapped by python' >pt
	seal pt ct.bin
	run -0 recipient decrypt cfr.der "$T/doc.cbor" ct.bin
	json_eq "$output" '{"EncryptionAlgorithm": "SYMMETRIC_DEFAULT", "KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"}'
	# -recip selects the KeyTransRecipientInfo by the certificate's subjectKeyIdentifier:
	# SHA-256 of the SPKI opens it, openssl's default SHA-1 identifier does not
	ski=$(openssl dgst -sha256 -r "$F/rsa.pub.der" | cut -d' ' -f1)
	recip_cert "$ski" recip.pem
	openssl cms -decrypt -inform DER -inkey "$F/rsa.key" -recip recip.pem -binary -in cfr.der -out back
	cmp pt back
	recip_cert hash sha1.pem
	run ! openssl cms -decrypt -inform DER -inkey "$F/rsa.key" -recip sha1.pem -binary -in cfr.der -out back2
	[[ "$output" == *"Error decrypting CMS"* ]]
	# the shape: EnvelopedData v2, KTRI v2, explicit OAEP SHA-256/MGF1-SHA-256, AES-256-CBC
	# with a 16-byte IV; definite lengths throughout (DER), where openssl writes BER
	openssl cms -cmsout -print -inform DER -in cfr.der >cms.txt
	grep -q 'contentType: pkcs7-envelopedData' cms.txt
	[ "$(grep -c 'version: 2' cms.txt)" -eq 2 ]
	grep -q 'algorithm: rsaesOaep' cms.txt
	# the OAEP parameters: [0] sha256 and [1] mgf1(sha256), not left to the SHA-1 defaults
	[ "$(grep -cE '^ +[0-9]+:d=[0-9] .*(cont \[ [01] \]|:sha256|:mgf1)' cms.txt)" -eq 5 ]
	grep -q 'algorithm: aes-256-cbc' cms.txt
	openssl asn1parse -inform DER -in cfr.der >asn1.txt
	run -1 grep -q 'l=inf' asn1.txt
	[ "$(grep -A1 ':aes-256-cbc' asn1.txt | sed -n 's/.* l= *\([0-9]*\) prim: OCTET STRING.*/\1/p')" = 16 ]
	# AES-CBC with PKCS#7 padding: 36 bytes of plaintext become 48 of ciphertext
	[ "$(tail -1 asn1.txt | sed -n 's/.* l= *\([0-9]*\) prim: cont \[ 0 \].*/\1/p')" = 48 ]
	run -0 log_fields op status attestation doc_cache
	[ "${lines[0]}" = "Decrypt 200 ok miss" ]
}

@test "--cms python: the RecipientInfo's algorithm identifiers are byte for byte a real KMS answer's" {
	need_testdata
	attest
	responder --root "$T/pki/root.pem" --cms python
	run -0 recipient random r.der "$T/doc.cbor"
	openssl cms -decrypt -inform DER -inkey "$F/rsa.key" -binary -in r.der -out r.bin
	[ "$(wc -c <r.bin)" -eq 48 ]
	# In the enclaver vector (a KMS answer), bytes 65-126 are the KTRI's
	# keyEncryptionAlgorithm (rsaesOaep, sha256 with NULL, mgf1 sha256) and 400-414
	# start the content encryption algorithm (aes-256-cbc, a 16-byte IV): see
	# `openssl asn1parse -inform DER -i -in $TESTDATA/cms/enclaver-recipient.der`.
	run -0 "$PYTHON" -c '
import sys
kms, ours = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
kea, cea = kms[65:127], kms[400:415]
assert kea.startswith(bytes.fromhex("303c06092a864886f70d010107")), kea.hex()
print(kea in ours, cea in ours)' "$TESTDATA/cms/enclaver-recipient.der" r.der
	[ "$output" = "True True" ]
}

@test "verified documents are cached by hash; age and PCR policy still checked on each request" {
	attest --pcr "0=$PCR0_A"
	responder --root "$T/pki/root.pem" --require-pcr0 "$PCR0_B" --cms python
	run -1 recipient random r.der "$T/doc.cbor"
	[ "$output" = "AccessDeniedException: PCR0 of the attestation document does not match the key policy" ]
	run -1 recipient random r.der "$T/doc.cbor"
	[ "$output" = "AccessDeniedException: PCR0 of the attestation document does not match the key policy" ]
	run -0 log_fields attestation doc_cache error
	[ "$output" = "ok miss AccessDeniedException
ok hit AccessDeniedException" ]
	# In-process: 1000 checks of one document verify the chain once; a document
	# past --doc-max-age is refused on a cache hit; an altered one misses and fails.
	run -0 "$RESP_PY" -c '
import sys, time, types
sys.path.insert(0, sys.argv[1])
import kms_responder as k
from cryptography import x509
from cryptography.hazmat.primitives import serialization
root = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read()).public_bytes(serialization.Encoding.DER)
raw = open(sys.argv[3], "rb").read()
a = types.SimpleNamespace(root_der=root, doc_max_age=300, doc_cache=k.DocCache())
calls = [0]
real = k.attest_check.check_chain
def counting(*args):
    calls[0] += 1
    return real(*args)
k.attest_check.check_chain = counting
seen = []
for _ in range(1000):
    e = {}
    k.check_document(a, raw, e)
    seen.append(e["doc_cache"])
print(calls[0], seen.count("miss"), seen.count("hit"))
k.time.time = lambda t=time.time(): t + 301
e = {}
try:
    k.check_document(a, raw, e)
except k.KmsError as x:
    print(e["doc_cache"], x.msg)
bad = bytearray(raw); bad[-1] ^= 1
e = {}
try:
    k.check_document(a, bytes(bad), e)
except k.KmsError as x:
    print(e["doc_cache"], x.msg)' "$FIXTURES" "$T/pki/root.pem" "$T/doc.cbor"
	[ "$output" = "1 1 999
hit attestation document is too old
miss invalid attestation document: COSE signature does not verify with the leaf key" ]
}

@test "--tls-cert serves HTTPS and logs the SNI; conn tells connections apart" {
	command -v curl >/dev/null || skip "curl is not installed"
	host=kms.us-east-1.amazonaws.com
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj "/CN=test CA" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr -subj "/CN=$host" 2>/dev/null
	printf 'subjectAltName=DNS:%s,DNS:localhost\n' "$host" >san.ext
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile san.ext -out srv.pem 2>/dev/null
	run ! "$RESP_PY" "$FIXTURES/kms_responder.py" --access-key "$AK" --secret-key "$SK" --tls-cert srv.pem
	[[ "$output" == *"--tls-cert and --tls-key go together"* ]]
	responder --tls-cert srv.pem --tls-key srv.key
	port=$(cat "$T/kms.port")
	# two requests on one connection (curl keeps it alive), then a second connection
	curl -s --cacert ca.pem --resolve "$host:$port:127.0.0.1" -X POST -H 'X-Amz-Target: TrentService.Decrypt' \
		-H 'Content-Type: application/x-amz-json-1.1' -d '{}' "https://$host:$port/" "https://$host:$port/" >c1
	[ "$(grep -c InvalidSignatureException c1)" -eq 1 ]
	# a plain HTTP request fails the handshake: stderr says so, the log has no line for it
	run ! curl -s "http://127.0.0.1:$port/"
	# a client that sends no SNI (an IP address): sni is null
	curl -s --cacert ca.pem -k -X POST -d '{}' "https://127.0.0.1:$port/" >c2
	grep -q UnknownOperationException c2
	run -0 log_fields conn sni error
	[ "$output" = "1 $host InvalidSignatureException
1 $host InvalidSignatureException
3 None UnknownOperationException" ]
	grep -q '^kms_responder: conn 2: TLS handshake failed: ' "$T/kms.err"
	# a signed request over TLS from botocore (AWS CLI) verifies as over HTTP
	need_aws
	aws --endpoint-url "https://localhost:$port" --ca-bundle ca.pem --output json kms generate-random --number-of-bytes 8 >r.json
	[ "$(json_get "$(cat r.json)" Plaintext | base64 -d | wc -c)" -eq 8 ]
	run -0 log_fields op sigv4 sni status
	[ "${lines[3]}" = "GenerateRandom ok localhost 200" ]
}
