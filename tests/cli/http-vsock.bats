#!/usr/bin/env bats
# TLS end to end through a foreign socket family (DESIGN §4.5): the http
# module's vsock code path with an abstract AF_UNIX name standing in for
# AF_VSOCK, forwarded by socat to a TLS server on 127.0.0.1 whose certificate
# (from a test CA made here) names kms.us-east-1.amazonaws.com.  The server
# reports the SNI and Host it saw.  The client is tests/unit/test_http in its
# --post driver mode.  A real AF_VSOCK run needs vsock_loopback (CID 1).

load common

DRIVER="$NK_ROOT/tests/unit/test_http"
KMS_HOST=kms.us-east-1.amazonaws.com
PIDS=()

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T" || return 1
	[ -x "$DRIVER" ] || skip "tests/unit/test_http not built"
	command -v openssl >/dev/null || skip "openssl not found"
	make_ca
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
}

make_ca() {
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 \
		-subj "/CN=nitrokit test CA" 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
		-subj "/CN=$KMS_HOST" 2>/dev/null
	printf 'subjectAltName=DNS:%s\n' "$KMS_HOST" >san.ext
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile san.ext -out srv.pem 2>/dev/null
}

# A TLS HTTP/1.1 server on 127.0.0.1; its port goes to ./port.
start_tls_server() {
	cat >srv.py <<'EOF'
import http.server, json, ssl, sys
seen = {}
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain("srv.pem", "srv.key")
def sni(sock, name, c):
    seen["sni"] = name
ctx.sni_callback = sni
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        out = json.dumps({"sni": seen.get("sni"), "host": self.headers.get("Host"),
                          "target": self.headers.get("X-Amz-Target"),
                          "body": body.decode()}).encode()
        self.send_response(200)
        self.send_header("x-amzn-RequestId", "tls-ok")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    def log_message(self, *a):
        pass
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
open("port.tmp", "w").write(str(srv.server_address[1]))
import os; os.rename("port.tmp", "port")
srv.serve_forever()
EOF
	"$PYTHON" srv.py 3>&- &
	PIDS+=($!)
	wait_ready "$!" /dev/null -s port || { echo "TLS server did not start"; return 1; }
}

# socat from an abstract AF_UNIX name to the TLS server; the name goes to $NAME.
start_forwarder() {
	command -v socat >/dev/null || skip "socat not found"
	NAME="nkb$$.${BATS_TEST_NUMBER}"
	NAME=${NAME:0:13}
	socat "ABSTRACT-LISTEN:$NAME,fork" "TCP:127.0.0.1:$(cat port)" 3>&- &
	PIDS+=($!)
	local i
	for i in $(seq 50); do
		grep -q "@$NAME" /proc/net/unix 2>/dev/null && return 0
		sleep 0.1
	done
	echo "socat did not start"; return 1
}

@test "TLS through an abstract AF_UNIX stand-in: certificate, SNI and Host name the KMS host" {
	start_tls_server
	start_forwarder
	run -0 "$DRIVER" --post "https://$KMS_HOST/" --abstract "$NAME" --ca ca.pem
	[ "${lines[0]}" = 200 ]
	[ "${lines[1]}" = tls-ok ]
	json_eq "${lines[2]}" '{"sni":"'"$KMS_HOST"'","host":"'"$KMS_HOST"'","target":"TrentService.Decrypt","body":"{\"CiphertextBlob\":\"AQID\"}"}'
}

@test "TLS through the stand-in with the system CAs refuses the test certificate" {
	start_tls_server
	start_forwarder
	run -6 "$DRIVER" --post "https://$KMS_HOST/" --abstract "$NAME" --ca /etc/ssl/certs/ca-certificates.crt
	[[ "$output" == "test_http: cannot reach KMS at 'https://$KMS_HOST/' through '@$NAME': "* ]]
	[[ "$output" == *"certificate"*"(after 1 attempt)" ]]
}

@test "TLS over TCP (--endpoint) checks the certificate against the URL host" {
	start_tls_server
	# The certificate names the KMS host, not 127.0.0.1: a mismatch is refused.
	run -6 "$DRIVER" --post "https://127.0.0.1:$(cat port)/" --ca ca.pem
	[ "$output" = "test_http: cannot reach KMS at 'https://127.0.0.1:$(cat port)/': SSL: no alternative certificate subject name matches target host name '127.0.0.1' (after 1 attempt)" ]
}

@test "nothing listening on the abstract name: transport failure, exit 6" {
	run -6 "$DRIVER" --post "https://$KMS_HOST/" --abstract "nkbn$$"
	[[ "$output" == "test_http: cannot reach KMS at 'https://$KMS_HOST/' through '@nkbn$$': "*"(after 1 attempt)" ]]
}

@test "real AF_VSOCK to CID 1 with TLS (needs vsock_loopback)" {
	command -v socat >/dev/null || skip "socat not found"
	local vport=$((20000 + $$ % 10000))
	"$PYTHON" -c 'import socket,sys
s=socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
s.bind((1, int(sys.argv[1])))' "$vport" 2>/dev/null || skip "no vsock_loopback: CID 1 does not accept"
	start_tls_server
	socat "VSOCK-LISTEN:$vport,fork" "TCP:127.0.0.1:$(cat port)" 3>&- &
	PIDS+=($!)
	sleep 0.5
	run -0 "$DRIVER" --post "https://$KMS_HOST/" --vsock "1:$vport" --ca ca.pem
	[ "${lines[0]}" = 200 ]
	[ "$(json_get "${lines[2]}" sni)" = "$KMS_HOST" ]
	[ "$(json_get "${lines[2]}" host)" = "$KMS_HOST" ]
}
