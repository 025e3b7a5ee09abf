#!/usr/bin/env bats
# The KMS tools on the wire, held to code that is not ours:
#  - the SigV4 Authorization of a request a tool really sent (captured raw by a
#    small server here) equals the one botocore's SigV4Auth computes for the same
#    method, URL, headers and body at the same X-Amz-Date;
#  - TLS end to end through the vsock stand-in (an abstract AF_UNIX name,
#    forwarded by socat to the responder serving HTTPS with a certificate from a
#    test CA made here): certificate, SNI and Host name kms.REGION.amazonaws.com;
#  - --batch keeps one connection for all its calls (the responder's "conn").
load common
load nsm_sim
load kms

KMS_HOST=kms.us-east-1.amazonaws.com
PIDS=()

teardown() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	kms_teardown
}

need_openssl() {
	command -v openssl >/dev/null || skip "openssl not found"
}

# make_ca NAME...: ca.pem (a test CA) and srv.pem/srv.key, a server certificate
# it signed for the DNS names given; other.pem is a CA that signed nothing.
make_ca() {
	need_openssl
	local san="" n
	for n in "$@"; do san="${san:+$san,}DNS:$n"; done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
		-days 2 -subj "/CN=nitrokit kms-wire test CA" 2>/dev/null
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key -out srv.csr \
		-subj "/CN=$1" 2>/dev/null
	printf 'subjectAltName=%s\n' "$san" >san.ext
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile san.ext -out srv.pem 2>/dev/null
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
		-out other.pem -days 2 -subj "/CN=nitrokit kms-wire other CA" 2>/dev/null
}

# forward PORT: socat from an abstract AF_UNIX name (in $NAME, "@$NAME" for
# --vsock) to 127.0.0.1:PORT, one TCP connection per accepted one.
forward() {
	command -v socat >/dev/null || skip "socat not found"
	NAME="nkw$$.$BATS_TEST_NUMBER"
	NAME=${NAME:0:13}
	socat "ABSTRACT-LISTEN:$NAME,fork" "TCP:127.0.0.1:$1" 3>&- &
	PIDS+=($!)
	kms_wait_for grep -q "@$NAME\$" /proc/net/unix || { echo "socat did not start"; return 1; }
}

# capture [CERT KEY]: a server on 127.0.0.1 ($CAP_PORT; HTTPS with CERT) that
# appends each request (method, path, headers in order, exact body) to
# $T/captured and answers 400 ValidationException, which no tool retries.
capture() {
	cat >"$T/capture.py" <<'PY'
import base64, http.server, json, os, ssl, sys
port_file, out = sys.argv[1], sys.argv[2]

class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        rec = {"method": self.command, "path": self.path, "headers": list(self.headers.items()),
               "body": base64.b64encode(body).decode()}
        with open(out, "a") as f:
            f.write(json.dumps(rec) + "\n")
        data = json.dumps({"__type": "ValidationException", "message": "captured"}).encode()
        self.send_response(400)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", "capture")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass

srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
if len(sys.argv) > 4:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[3], sys.argv[4])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.replace(port_file + ".tmp", port_file)
srv.serve_forever()
PY
	"$PYTHON" "$T/capture.py" "$T/cap.port" "$T/captured" "$@" 3>&- &
	PIDS+=($!)
	kms_wait_for test -s "$T/cap.port" || { echo "capture server did not start"; return 1; }
	CAP_PORT=$(cat "$T/cap.port")
}

# botocore_vs_captured SCHEME REGION: botocore's Authorization for the captured
# request (the headers the tool sent, less those the HTTP layer adds, which
# botocore does not sign either: it adds Host from the URL, X-Amz-Date from the
# pinned clock, X-Amz-Security-Token from the credentials) on the first line;
# the tool's on the second; then "token: <what the tool sent or None>".
botocore_vs_captured() {
	PYTHONPATH="$FIXTURES" "$PYTHON" - "$T/captured" "$@" <<'PY'
import base64, json, os, sys
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore_sign import authorization

lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, f"{len(lines)} requests captured, expected 1"
rec = json.loads(lines[0])
scheme, region = sys.argv[2:4]
hdrs = rec["headers"]

def one(name):
    v = [val for k, val in hdrs if k.lower() == name]
    assert len(v) <= 1, f"header {name} sent {len(v)} times"
    return v[0] if v else None

body = base64.b64decode(rec["body"])
assert one("content-length") == str(len(body)), "no Content-Length matching the body"
NOT_SIGNED = {"host", "content-length", "accept", "accept-encoding", "connection", "expect",
              "transfer-encoding", "user-agent", "authorization", "x-amz-date", "x-amz-security-token"}
req = AWSRequest(method=rec["method"], url=f"{scheme}://{one('host')}{rec['path']}", data=body,
                 headers={k: v for k, v in hdrs if k.lower() not in NOT_SIGNED})
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                    os.environ.get("AWS_SESSION_TOKEN"))
print(authorization(req, creds, region, one("x-amz-date")))
print(one("authorization"))
print("token:", one("x-amz-security-token"))
print("host:", one("host"))
PY
}

# tls_standin [RESPONDER ARGS]: the responder serving HTTPS with srv.pem
# (make_ca first) behind the vsock stand-in "@$NAME", no endpoint in the
# environment.
tls_standin() {
	kms_up --tls-cert srv.pem --tls-key srv.key --cms python "$@" || return 1
	unset AWS_ENDPOINT_URL_KMS
	forward "$(cat "$T/kms.port")"
}

# plain_prepare: PLAIN=(one KMS call): kms-encrypt when built (no NSM needed),
# else kms-decrypt with an nsm-sim; the test adds where KMS is.
plain_prepare() {
	printf 'wire test' >pt
	if [ -x "$NK_ROOT/bin/kms-encrypt" ]; then
		PLAIN=(kms-encrypt --key-id alias/test --plaintext-file pt --retries 0)
	else
		need_tool kms-decrypt
		kms_need_py
		sim
		kms_seal pt ct.bin
		PLAIN=(kms-decrypt --ciphertext-file ct.bin --retries 0)
	fi
}

@test "SigV4 of a captured request equals botocore's: session token, Host with a port" {
	need_botocore
	kms_env
	capture
	plain_prepare
	run -5 "${PLAIN[@]}" --endpoint "http://127.0.0.1:$CAP_PORT"
	[[ "$output" == *"ValidationException: captured"* ]]
	run -0 botocore_vs_captured http us-east-1
	[ "${lines[0]}" = "${lines[1]}" ] || { printf 'botocore: %s\nours:     %s\n' "${lines[0]}" "${lines[1]}"; false; }
	[[ "${lines[0]}" == "AWS4-HMAC-SHA256 Credential=$KMS_AK/"*"/us-east-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature="* ]]
	[ "${lines[2]}" = "token: $KMS_TOK" ]
	[ "${lines[3]}" = "host: 127.0.0.1:$CAP_PORT" ]
}

@test "SigV4 of a captured request equals botocore's: no session token, another region" {
	need_botocore
	kms_env
	unset AWS_SESSION_TOKEN
	export AWS_ACCESS_KEY_ID=ASIAQEXAMPLE2 AWS_SECRET_ACCESS_KEY='9drTJvcXLB89EXAMPLELB8923FB892xMFI+/ab'
	capture
	plain_prepare
	run -5 "${PLAIN[@]}" --endpoint "http://127.0.0.1:$CAP_PORT/" --region ap-south-2
	run -0 botocore_vs_captured http ap-south-2
	[ "${lines[0]}" = "${lines[1]}" ] || { printf 'botocore: %s\nours:     %s\n' "${lines[0]}" "${lines[1]}"; false; }
	[[ "${lines[0]}" == *"/ap-south-2/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature="* ]]
	[ "${lines[2]}" = "token: None" ]
}

@test "SigV4 of a captured request equals botocore's: through the vsock stand-in, Host without a port" {
	need_botocore
	make_ca "$KMS_HOST"
	kms_env
	capture srv.pem srv.key
	forward "$CAP_PORT"
	unset AWS_ENDPOINT_URL_KMS
	plain_prepare
	run -5 "${PLAIN[@]}" --vsock "@$NAME" --ca-bundle ca.pem
	run -0 botocore_vs_captured https us-east-1
	[ "${lines[0]}" = "${lines[1]}" ] || { printf 'botocore: %s\nours:     %s\n' "${lines[0]}" "${lines[1]}"; false; }
	[ "${lines[3]}" = "host: $KMS_HOST" ]
}

@test "SigV4 of kms-decrypt's Recipient request (document in the body) equals botocore's" {
	need_botocore
	need_tool kms-decrypt
	kms_need_py
	sim
	kms_env
	capture
	printf 'x' >pt
	kms_seal pt ct.bin
	run -5 kms-decrypt --endpoint "http://127.0.0.1:$CAP_PORT" --ciphertext-file ct.bin --retries 0
	run -0 botocore_vs_captured http us-east-1
	[ "${lines[0]}" = "${lines[1]}" ] || { printf 'botocore: %s\nours:     %s\n' "${lines[0]}" "${lines[1]}"; false; }
	# the body carried a Recipient with an attestation document
	"$PYTHON" -c 'import base64, json, sys
b = json.loads(base64.b64decode(json.loads(open(sys.argv[1]).readline())["body"]))
assert b["Recipient"]["KeyEncryptionAlgorithm"] == "RSAES_OAEP_SHA_256"
assert len(base64.b64decode(b["Recipient"]["AttestationDocument"])) > 1000' "$T/captured"
}

@test "TLS through the vsock stand-in: kms-decrypt reaches the responder, SNI and Host name the KMS host" {
	need_tool kms-decrypt
	make_ca "$KMS_HOST"
	tls_standin
	printf 'secret over TLS through the stand-in' >pt
	kms_seal pt ct.bin
	run -0 kms-decrypt --vsock "@$NAME" --ca-bundle ca.pem --ciphertext-file ct.bin -o back
	cmp pt back
	[ "$(kms_log_field 1 sni)" = "$KMS_HOST" ]
	[ "$(kms_log_field 1 headers host)" = "$KMS_HOST" ]
	kms_logged Decrypt 1 "{\"CiphertextBlob\": \"$(base64 -w0 ct.bin)\"}"
	[ "$(kms_log_field 1 status)" = 200 ]
}

@test "the stand-in without the relay (no usable TMPDIR): an http(s)_proxy in the environment is not used" {
	need_tool kms-decrypt
	make_ca "$KMS_HOST"
	tls_standin
	printf 'no proxy between the enclave and its vsock-proxy' >pt
	kms_seal pt ct.bin
	# Port 1 on loopback: a proxy that would refuse every connection.
	TMPDIR=/nonexistent/tmp https_proxy=http://127.0.0.1:1 HTTPS_PROXY=http://127.0.0.1:1 \
		ALL_PROXY=http://127.0.0.1:1 run -0 kms-decrypt --vsock "@$NAME" --ca-bundle ca.pem \
		--ciphertext-file ct.bin -o back --retries 0
	cmp pt back
	[ "$(kms_log_field 1 sni)" = "$KMS_HOST" ]
}

@test "a CA bundle that cannot be read is a local error (exit 4) found before any request" {
	need_tool kms-decrypt
	kms_up
	printf 'x' >pt
	kms_seal pt ct.bin
	run -4 kms-decrypt --ca-bundle "$T/missing.pem" --ciphertext-file ct.bin -o back
	[ "$output" = "kms-decrypt: cannot read CA bundle '$T/missing.pem': No such file or directory" ]
	AWS_CA_BUNDLE="$T/missing.pem" run -4 kms-decrypt --ciphertext-file ct.bin -o back
	[ ! -e back ]
	[ "$(kms_requests)" -eq 0 ]
}

@test "an endpoint with a path, query or credentials is refused before anything is sent" {
	need_tool kms-decrypt
	kms_up
	printf 'x' >pt
	kms_seal pt ct.bin
	run -2 kms-decrypt --endpoint "$KMS_URL/other" --ciphertext-file ct.bin -o back
	[ "$output" = "kms-decrypt: invalid endpoint '$KMS_URL/other': only a scheme, host and port (KMS is at the path /)" ]
	AWS_ENDPOINT_URL_KMS="$KMS_URL/?x=1" run -2 kms-decrypt --ciphertext-file ct.bin -o back
	[ ! -e back ]
	[ "$(kms_requests)" -eq 0 ]
}

@test "TLS through the stand-in with a CA that did not sign the certificate: exit 6, nothing sent" {
	need_tool kms-decrypt
	make_ca "$KMS_HOST"
	tls_standin
	printf 'x' >pt
	kms_seal pt ct.bin
	run -6 kms-decrypt --vsock "@$NAME" --ca-bundle other.pem --ciphertext-file ct.bin -o back --retries 0
	[[ "$output" == "kms-decrypt: cannot reach KMS at 'https://$KMS_HOST/' through '@$NAME': "* ]]
	[[ "$output" == *"SSL certificate problem"*"(after 1 attempt)" ]]
	[ ! -e back ]
	[ "$(kms_requests)" -eq 0 ]
	grep -q 'TLS handshake failed' "$T/kms.err"
}

@test "--region eu-west-1 through the stand-in: SNI, Host and scope follow the region" {
	need_tool kms-decrypt
	make_ca "$KMS_HOST" kms.eu-west-1.amazonaws.com
	tls_standin --region eu-west-1
	printf 'european secret' >pt
	kms_seal pt ct.bin
	run -0 kms-decrypt --vsock "@$NAME" --ca-bundle ca.pem --region eu-west-1 --ciphertext-file ct.bin -o back
	cmp pt back
	[ "$(kms_log_field 1 sni)" = kms.eu-west-1.amazonaws.com ]
	[ "$(kms_log_field 1 headers host)" = kms.eu-west-1.amazonaws.com ]
	[ "$(kms_log_field 1 sigv4)" = ok ]
}

@test "--region eu-west-1 with a certificate for us-east-1 only: exit 6 naming the host" {
	need_tool kms-decrypt
	make_ca "$KMS_HOST"
	tls_standin --region eu-west-1
	printf 'x' >pt
	kms_seal pt ct.bin
	run -6 kms-decrypt --vsock "@$NAME" --ca-bundle ca.pem --region eu-west-1 --ciphertext-file ct.bin -o back --retries 0
	[[ "$output" == "kms-decrypt: cannot reach KMS at 'https://kms.eu-west-1.amazonaws.com/' through '@$NAME': "* ]]
	[[ "$output" == *"no alternative certificate subject name matches target host name 'kms.eu-west-1.amazonaws.com'"* ]]
	[ ! -e back ]
	[ "$(kms_requests)" -eq 0 ]
}

# conn_summary: "<Decrypts with status 200> <distinct conn values>" of the log
conn_summary() {
	"$PYTHON" -c '
import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
print(sum(x["op"] == "Decrypt" and x["status"] == 200 for x in e), len(e), len({x["conn"] for x in e}))' "$T/kms.log"
}

@test "--batch over TCP: N Decrypts on exactly one connection" {
	need_tool kms-decrypt
	kms_up --cms python
	kms_seal_lines 25
	run -0 kms-decrypt --batch <lines.txt
	[ "$output" = "$(cat want.txt)" ]
	run -0 conn_summary
	[ "$output" = "25 25 1" ]
	# and each single run is a connection of its own
	kms-decrypt --ciphertext-file ct1 >/dev/null
	kms-decrypt --ciphertext-file ct1 >/dev/null
	run -0 conn_summary
	[ "$output" = "27 27 3" ]
}

@test "--batch through the TLS stand-in: one connection, one handshake" {
	need_tool kms-decrypt
	make_ca "$KMS_HOST"
	tls_standin
	kms_seal_lines 10
	run -0 kms-decrypt --vsock "@$NAME" --ca-bundle ca.pem --batch <lines.txt
	[ "$output" = "$(cat want.txt)" ]
	run -0 conn_summary
	[ "$output" = "10 10 1" ]
	[ "$(kms_log_field 10 sni)" = "$KMS_HOST" ]
}
