#!/usr/bin/env bats
# libnsm-sim-preload.so: /dev/nsm clients that are not ours (a Python client
# speaking the kernel's ioctl ABI with the standard library) and the tools'
# own /dev/nsm transport, redirected to a SOCK_SEQPACKET server by LD_PRELOAD.
#
# Two servers: a recording stand-in written here (it answers each record with
# 0xa1 followed by the request, shaped like an NSM answer naming its
# operation, and logs every record it receives), for what the shim must do
# to the bytes whatever the NSM says; and nsm-sim, for real answers.

load common

SHIM="$NK_ROOT/lib/libnsm-sim-preload.so"
CLIENT="$FIXTURES/nsm_ioctl_client.py"
PCR0=$(printf '5a%.0s' {1..48})   # the PCR0 nsm-sim is started with
DESCRIBE_PCR0=a16b4465736372696265504352a165696e64657800

# The client needs only the standard library; Debian's python is a plain ELF
# (the pyenv one is a shell shim, which LD_PRELOAD would load into too).
CLIENT_PY=/usr/bin/python3
[ -x "$CLIENT_PY" ] || CLIENT_PY=$PYTHON

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T" || return 1
	[ -f "$SHIM" ] || skip "lib/libnsm-sim-preload.so is not built (make lib/libnsm-sim-preload.so)"
	SERVER_PID=
}

teardown() {
	if [ -n "$SERVER_PID" ]; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
}

start_fake() {
	cat >"$T/fake_nsm.py" <<'EOF'
import os, socket, sys, threading, time
path, log = sys.argv[1], sys.argv[2]
lock = threading.Lock()
def serve(c):
    while True:
        m = c.recv(65536)
        if not m:
            break
        with lock, open(log, "a") as f:
            f.write(m.hex() + "\n")
        if m == b"BYE":
            break
        if m == b"SLOW":
            time.sleep(0.5)
        if m == b"BIG":                  # more than the device's 12288 bytes
            c.send(bytes(range(256)) * 50)
        else:
            c.send(b"\xa1" + m)
    c.close()
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.bind(path + ".tmp")
s.listen(16)
os.rename(path + ".tmp", path)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
	: >"$T/fake.log"
	"$CLIENT_PY" "$T/fake_nsm.py" "$T/fake.sock" "$T/fake.log" 3>&- &
	SERVER_PID=$!
	wait_ready "$SERVER_PID" /dev/null -S "$T/fake.sock"  # it binds only once it accepts
	SOCK="$T/fake.sock"
}

need_sim() {
	[ -x "$NK_ROOT/bin/nsm-sim" ] || skip "bin/nsm-sim is not built yet"
}

# nsm-sim with PCR0 = $PCR0.
start_sim() {
	need_sim
	local pki="$BATS_FILE_TMPDIR/pki"   # created once, reused: saves key generation
	nsm-sim --socket "$T/nsm.sock" --pki "$pki" --pcr "0=$PCR0" --pidfile "$T/nsm.pid" 3>&- &
	SERVER_PID=$!
	wait_ready "$SERVER_PID" /dev/null -S "$T/nsm.sock"
	SOCK="$T/nsm.sock"
}

# The Python client with the shim, pointed at $SOCK.
client() {
	LD_PRELOAD="$SHIM" NITROKIT_NSM_SIM="unix:$SOCK" "$CLIENT_PY" "$CLIENT" "$@"
}

# --- The kernel ABI, whatever the answer says (the recording server) --------

@test "third-party client (Python ioctl): the request is one record, byte for byte; the answer and its length come back" {
	start_fake
	run -0 client call --request-hex 00112233445566778899
	json_eq "$output" '{"len": 11, "response": "a100112233445566778899", "tail_intact": true}'
	[ "$(cat "$T/fake.log")" = 00112233445566778899 ]
}

@test "third-party client (Python ioctl): the unix: prefix of NITROKIT_NSM_SIM is optional" {
	start_fake
	run -0 env LD_PRELOAD="$SHIM" NITROKIT_NSM_SIM="$SOCK" "$CLIENT_PY" "$CLIENT" call --request-hex 01
	json_eq "$output" '{"len": 2, "response": "a101", "tail_intact": true}'
}

@test "third-party client (Python ioctl): an answer longer than the buffer is cut to it and len is written back as 10" {
	start_fake
	run -0 client call --request-hex 000102030405060708090a0b0c0d0e0f --response-len 10
	json_eq "$output" '{"len": 10, "response": "a1000102030405060708", "tail_intact": true}'
	# A zero-length buffer: nothing copied, 0 written back, the exchange still happens.
	run -0 client call --request-hex 01 --response-len 0
	json_eq "$output" '{"len": 0, "response": "", "tail_intact": true}'
	[ "$(wc -l <"$T/fake.log")" -eq 2 ]
}

@test "third-party client (Python ioctl): an answer over the device's 12288-byte buffer is cut to 12288" {
	start_fake
	run -0 client call --request-hex "$(printf BIG | od -An -tx1 | tr -d ' \n')" --response-len 16384
	[ "$(json_get "$output" len)" -eq 12288 ]
	expected=$("$CLIENT_PY" -c 'print((bytes(range(256)) * 48).hex())')
	[ "$(json_get "$output" response)" = "$expected" ]
}

@test "third-party client (Python ioctl): 4096 bytes are sent; 4097 and 5000 are EMSGSIZE and nothing is sent" {
	start_fake
	run -0 client call --request-size 4096 --response-len 12288
	[ "$(json_get "$output" len)" -eq 4097 ]
	run -1 client call --request-size 4097
	json_eq "$output" '{"errno": "EMSGSIZE"}'
	run -1 client call --request-size 5000
	json_eq "$output" '{"errno": "EMSGSIZE"}'
	[ "$(wc -l <"$T/fake.log")" -eq 1 ]
}

@test "third-party client (Python ioctl): ioctl numbers other than 0xC0200A00 on /dev/nsm are EINVAL and nothing is sent" {
	start_fake
	run -1 client call --request-hex 01 --ioctl 0x1234
	json_eq "$output" '{"errno": "EINVAL"}'
	run -1 client call --request-hex 01 --ioctl 0xC0200A01
	json_eq "$output" '{"errno": "EINVAL"}'
	[ ! -s "$T/fake.log" ]
}

@test "third-party client (Python ioctl): unmapped buffer addresses are EFAULT, as the kernel's copies make them, and the fd stays in step" {
	start_fake
	# A bad request buffer: nothing can be sent.
	run -1 client call --request-hex 01 --bad request --then-hex 02
	json_eq "$output" '{"errno": "EFAULT", "then": {"len": 2, "response": "a102", "tail_intact": true}}'
	[ "$(cat "$T/fake.log")" = 02 ]
	# A bad response buffer: the request was answered (as the device would
	# have acted on it), the answer is dropped, the next call gets its own.
	: >"$T/fake.log"
	run -1 client call --request-hex 03 --bad response --then-hex 04
	json_eq "$output" '{"errno": "EFAULT", "then": {"len": 2, "response": "a104", "tail_intact": true}}'
	[ "$(cat "$T/fake.log")" = "$(printf '03\n04')" ]
}

@test "third-party client (Python ioctl): an empty request is EIO without sending (a zero-length record would read as end-of-file)" {
	start_fake
	run -1 client call --request-hex ''
	json_eq "$output" '{"errno": "EIO"}'
	[ ! -s "$T/fake.log" ]
}

@test "third-party client (Python ioctl): a server that hangs up instead of answering is EIO, not SIGPIPE" {
	start_fake
	run -1 client call --request-hex "$(printf BYE | od -An -tx1 | tr -d ' \n')"
	json_eq "$output" '{"errno": "EIO"}'
}

@test "third-party client (Python ioctl): signals during a slow answer (EINTR) neither fail the call nor leave the answer for the next one" {
	start_fake
	run -0 client call --request-hex "$(printf SLOW | od -An -tx1 | tr -d ' \n')" --alarm-ms 20 --then-hex 02
	json_eq "$output" '{"len": 5, "response": "a1534c4f57", "tail_intact": true,
		"then": {"len": 2, "response": "a102", "tail_intact": true}}'
}

@test "a C client reaches the shim through open, openat, open64, openat64 and the fortified __open_2, __openat_2, __open64_2, __openat64_2" {
	command -v cc >/dev/null || skip "no C compiler"
	command -v nm >/dev/null || skip "no nm"
	start_fake
	cat >"$T/client.c" <<'EOF'
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
struct iov { uint64_t addr, len; };
struct raw { struct iov req, resp; };
int main(int argc, char **argv)
{
	int flags = atoi(argv[1]);   /* not a constant: fortified builds call __open_2 ... */
	int fd[2] = { open("/dev/nsm", flags), openat(AT_FDCWD, "/dev/nsm", flags) };
	for (int i = 0; i < 2; i++) {
		unsigned char req[] = { 0x01, (unsigned char)i }, resp[16];
		struct raw r = { { (uintptr_t)req, sizeof req }, { (uintptr_t)resp, sizeof resp } };
		if (fd[i] < 0 || ioctl(fd[i], 0xC0200A00, &r) != 0) {
			printf(" %s", strerror(errno));
			continue;
		}
		for (uint64_t j = 0; j < r.resp.len; j++)
			printf("%s%02x", j ? "" : " ", resp[j]);
		close(fd[i]);
	}
	printf("\n");
	return 0;
}
EOF
	# Which libc symbol each build calls: checked, so every entry point is covered.
	cc -O0 -o "$T/plain" "$T/client.c"
	cc -O0 -D_FILE_OFFSET_BITS=64 -o "$T/lfs" "$T/client.c"
	cc -O2 -D_FORTIFY_SOURCE=2 -o "$T/fort" "$T/client.c"
	cc -O2 -D_FORTIFY_SOURCE=2 -D_FILE_OFFSET_BITS=64 -o "$T/fortlfs" "$T/client.c"
	syms() { nm -D "$1" | awk '$1 == "U" { sub(/@.*/, "", $2); print $2 }' | grep -E '^(__)?open' | sort | tr '\n' ' '; }
	[ "$(syms "$T/plain")" = "open openat " ]
	[ "$(syms "$T/lfs")" = "open64 openat64 " ]
	[ "$(syms "$T/fort")" = "__open_2 __openat_2 " ]
	[ "$(syms "$T/fortlfs")" = "__open64_2 __openat64_2 " ]
	for b in plain lfs fort fortlfs; do
		run -0 env LD_PRELOAD="$SHIM" NITROKIT_NSM_SIM="unix:$SOCK" "$T/$b" 2
		[ "$output" = " a10100 a10101" ]
	done
	[ "$(wc -l <"$T/fake.log")" -eq 8 ]
}

@test "open of /dev/nsm without NITROKIT_NSM_SIM is ENOENT and prints nothing" {
	run -2 --separate-stderr env -u NITROKIT_NSM_SIM LD_PRELOAD="$SHIM" "$CLIENT_PY" "$CLIENT" call --request-hex 01
	json_eq "$output" '{"open_errno": "ENOENT"}'
	[ -z "$stderr" ]
}

@test "open of /dev/nsm when nothing listens at NITROKIT_NSM_SIM is ENOENT; NITROKIT_NSM_SIM_DEBUG=1 says why" {
	run -2 --separate-stderr env LD_PRELOAD="$SHIM" NITROKIT_NSM_SIM="unix:$T/nothing.sock" \
		"$CLIENT_PY" "$CLIENT" call --request-hex 01
	json_eq "$output" '{"open_errno": "ENOENT"}'
	[ -z "$stderr" ]
	run -2 --separate-stderr env LD_PRELOAD="$SHIM" NITROKIT_NSM_SIM="unix:$T/nothing.sock" NITROKIT_NSM_SIM_DEBUG=1 \
		"$CLIENT_PY" "$CLIENT" call --request-hex 01
	[[ "$stderr" == *"nsm-sim-preload: cannot connect to nsm-sim at '$T/nothing.sock': No such file or directory"* ]]
}

@test "with the shim loaded other files open normally (O_CREAT mode, openat, plain reads)" {
	start_fake
	umask 022
	run -0 client open "$T/new" --create 0640
	[ "$(json_get "$output" mode)" = 0640 ]
	[ "$(stat -c %a "$T/new")" = 640 ]
	run -1 client open "$T/absent"
	json_eq "$output" '{"errno": "ENOENT"}'
	echo hello >"$T/plain"
	# cat and sed under the shim: their opens and ioctls pass through.
	run -0 env LD_PRELOAD="$SHIM" NITROKIT_NSM_SIM="unix:$SOCK" cat "$T/plain"
	[ "$output" = hello ]
	run -0 env LD_PRELOAD="$SHIM" NITROKIT_NSM_SIM="unix:$SOCK" sed -n p "$T/plain"
	[ "$output" = hello ]
	[ ! -s "$T/fake.log" ]
}

@test "fd bookkeeping: closed and reused, dup2/dup3 copies, dup2 over it, closed behind the shim's back, other ioctls EINVAL" {
	start_fake
	run -0 client fdtable
	json_eq "$output" '{
		"nsm_works": true,
		"reused_same_number": true, "reused_fionread": 5,
		"dup2_works": true, "dup3_works": true,
		"dup2_over_fionread": 5, "original_still_works": true,
		"closerange_reused_same_number": true, "closerange_fionread": 5,
		"fionread_on_nsm": "EINVAL"}'
}

@test "third-party client (Python ioctl): two threads sharing one fd never get each other's answers" {
	start_fake
	run -0 client threads 300
	json_eq "$output" '{"crossed": 0, "errors": [], "calls": 600}'
}

# --- Against nsm-sim ----------------------------------------------------------

# Decode a hex CBOR answer with cbor2; prints JSON (bytes as hex) and checks
# that the answer is exactly one CBOR item.
cbor_json() {
	/usr/bin/python3 -c 'import cbor2, io, json, sys
b = bytes.fromhex(sys.argv[1]); f = io.BytesIO(b)
v = cbor2.CBORDecoder(f).decode()
assert f.tell() == len(b), "trailing bytes"
conv = lambda x: x.hex() if isinstance(x, bytes) else {k: conv(w) for k, w in x.items()} if isinstance(x, dict) else x
print(json.dumps(conv(v)))' "$1"
}

need_cbor2() {
	/usr/bin/python3 -c 'import cbor2' 2>/dev/null || skip "cbor2 is not installed for /usr/bin/python3"
}

@test "third-party client (Python ioctl) + nsm-sim: DescribePCR 0 decodes to {DescribePCR: {lock: true, data: PCR0}}, its length written back" {
	need_cbor2
	start_sim
	run -0 client call --request-hex "$DESCRIBE_PCR0"
	resp=$(json_get "$output" response)
	[ "$(json_get "$output" len)" -eq $((${#resp} / 2)) ]
	[ "$(json_get "$output" tail_intact)" = true ]
	run -0 cbor_json "$resp"
	json_eq "$output" "{\"DescribePCR\": {\"lock\": true, \"data\": \"$PCR0\"}}"
}

@test "third-party client (Python ioctl) + nsm-sim: a 10-byte buffer gets the first 10 bytes and len 10" {
	start_sim
	run -0 client call --request-hex "$DESCRIBE_PCR0"
	full=$(json_get "$output" response)
	run -0 client call --request-hex "$DESCRIBE_PCR0" --response-len 10
	json_eq "$output" "{\"len\": 10, \"response\": \"${full:0:20}\", \"tail_intact\": true}"
}

@test "third-party client (Python ioctl) + nsm-sim: 5000 bytes are EMSGSIZE, 0x1234 is EINVAL, and the connection still works" {
	start_sim
	run -1 client call --request-size 5000
	json_eq "$output" '{"errno": "EMSGSIZE"}'
	run -1 client call --request-hex "$DESCRIBE_PCR0" --ioctl 0x1234
	json_eq "$output" '{"errno": "EINVAL"}'
	run -0 client call --request-hex "$DESCRIBE_PCR0"
	[ "$(json_get "$output" len)" -gt 48 ]
}

@test "third-party client (Python ioctl) + nsm-sim: two threads on one fd, DescribeNSM and GetRandom, never crossed" {
	start_sim
	run -0 client threads 100
	json_eq "$output" '{"crossed": 0, "errors": [], "calls": 200}'
}

# --- The tools' own /dev/nsm transport, redirected --------------------------

# A tool through /dev/nsm (the default device) and the shim.  A tool built
# with SANITIZE=address would refuse a preloaded library ahead of the ASan
# runtime; the option is ignored otherwise.
via_dev() {
	env -u NITROKIT_NSM LD_PRELOAD="$SHIM" NITROKIT_NSM_SIM="unix:$SOCK" \
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
}

via_unix() {
	env NITROKIT_NSM="unix:$SOCK" "$@"
}

@test "nsm-pcr describe 0 through /dev/nsm and the shim equals the same over unix:" {
	need_tool nsm-pcr
	start_sim
	run -0 via_dev nsm-pcr describe 0
	dev=$output
	run -0 via_unix nsm-pcr describe 0
	json_eq "$dev" "$output"
	json_eq "$dev" "[{\"index\": 0, \"locked\": true, \"value\": \"$PCR0\"}]"
}

@test "nsm-pcr extend 16 through /dev/nsm and over unix: both follow SHA384(old || data)" {
	need_tool nsm-pcr
	start_sim
	one=$("$PYTHON" -c 'import hashlib,sys; print(hashlib.sha384(bytes(48) + b"\0").hexdigest())')
	two=$("$PYTHON" -c 'import hashlib,sys; print(hashlib.sha384(bytes.fromhex(sys.argv[1]) + b"\0").hexdigest())' "$one")
	run -0 via_dev nsm-pcr extend 16 --data-hex 00
	[ "$output" = "$one" ]
	run -0 via_unix nsm-pcr extend 16 --data-hex 00
	[ "$output" = "$two" ]
	run -0 via_dev nsm-pcr describe 16
	json_eq "$output" "[{\"index\": 16, \"locked\": false, \"value\": \"$two\"}]"
}

@test "nsm-random --bytes 16 through /dev/nsm and over unix: 16 bytes each, different" {
	need_tool nsm-random
	start_sim
	run -0 via_dev nsm-random --bytes 16
	[[ "$output" =~ ^[0-9a-f]{32}$ ]]
	dev=$output
	run -0 via_unix nsm-random --bytes 16
	[[ "$output" =~ ^[0-9a-f]{32}$ ]]
	[ "$output" != "$dev" ]
}

@test "nsm-attest through /dev/nsm and over unix: documents from the same module with the same PCRs" {
	need_tool nsm-attest
	need_cbor2
	start_sim
	run -0 via_dev nsm-attest --nonce-hex 0102 -o "$T/dev.cbor"
	run -0 via_unix nsm-attest --nonce-hex 0102 -o "$T/unix.cbor"
	run -0 /usr/bin/python3 -c 'import cbor2, sys
def payload(f):
    doc = cbor2.loads(open(f, "rb").read())
    doc = doc.value if isinstance(doc, cbor2.CBORTag) else doc
    return cbor2.loads(doc[2])
a, b = payload(sys.argv[1]), payload(sys.argv[2])
assert list(a) == list(b), (list(a), list(b))
for k in ("module_id", "digest", "pcrs", "nonce", "user_data", "public_key"):
    assert a[k] == b[k], k
assert a["nonce"] == bytes([1, 2]), a["nonce"]
assert a["pcrs"][0].hex() == sys.argv[3], a["pcrs"][0].hex()
print("ok")' "$T/dev.cbor" "$T/unix.cbor" "$PCR0"
	[ "$output" = ok ]
}

@test "a tool through /dev/nsm without NITROKIT_NSM_SIM says the device is missing (exit 4)" {
	need_tool nsm-pcr
	run -4 env -u NITROKIT_NSM -u NITROKIT_NSM_SIM LD_PRELOAD="$SHIM" \
		ASAN_OPTIONS=verify_asan_link_order=0 nsm-pcr describe 0
	[[ "$output" == *"cannot open '/dev/nsm': No such file or directory (not inside a Nitro Enclave?"* ]]
}
