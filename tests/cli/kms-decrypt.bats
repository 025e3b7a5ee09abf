#!/usr/bin/env bats
# kms-decrypt against nsm-sim and the KMS test responder.  Known answers come
# from the responder's side: ciphertexts are sealed offline by the
# responder's own code (kms_seal) and what we print must be the plaintext
# that went in, compared as bytes or through base64(1); the responder's log
# shows what each request carried and that its attestation document verified.
load common
load nsm_sim
load kms

NO_DEVICE="cannot open '/nonexistent/nsm': No such file or directory (not inside a Nitro Enclave? set NITROKIT_NSM=unix:PATH to use nsm-sim)"

# A binary plaintext (NUL, newline, high bytes) and its ciphertext as a raw
# blob (ct.bin), one base64 line (ct.b64) and base64(1)'s wrapped form.
sealed() {
	printf 'top\0secret\nvalue\377' >pt.bin
	kms_seal pt.bin ct.bin "$@"
	base64 -w0 ct.bin >ct.b64
	base64 ct.bin >ct.wrapped
}

# --- round trips ------------------------------------------------------------------

@test "kms-decrypt: every input form gives back the sealed bytes" {
	kms_up
	sealed
	kms-decrypt --ciphertext "$(cat ct.b64)" -o 1.out
	kms-decrypt --ciphertext "$(cat ct.wrapped)" -o 2.out
	kms-decrypt --ciphertext-file ct.bin -o 3.out
	kms-decrypt --ciphertext-file ct.b64 -o 4.out
	kms-decrypt --ciphertext-file ct.wrapped -o 5.out
	sed 's/$/\r/' ct.wrapped >ct.crlf
	kms-decrypt --ciphertext-file ct.crlf -o 6.out
	kms-decrypt --ciphertext-file - -o 7.out <ct.bin
	kms-decrypt -o 8.out <ct.b64
	kms-decrypt --ciphertext-file ct.bin >9.out
	local n
	for n in 1 2 3 4 5 6 7 8 9; do
		cmp pt.bin "$n.out" || { echo "form $n"; return 1; }
	done
	# The blob went to KMS as it was sealed, with a verified document and
	# nothing else in the body.
	[ "$(kms_requests)" -eq 9 ]
	kms_logged Decrypt all "{\"CiphertextBlob\": \"$(cat ct.b64)\"}"
}

@test "kms-decrypt --format: raw, base64, json (the AWS CLI's) and kmstool lines" {
	kms_up
	sealed
	run -0 --separate-stderr kms-decrypt --ciphertext-file ct.bin -f base64
	[ "$output" = "$(base64 -w0 pt.bin)" ]
	[ -z "$stderr" ]
	[ "$(kms-decrypt --ciphertext-file ct.bin -f base64 | wc -l)" -eq 1 ]
	run -0 kms-decrypt --ciphertext-file ct.bin -f kmstool
	[ "$output" = "PLAINTEXT: $(base64 -w0 pt.bin)" ]
	run -0 kms-decrypt --ciphertext-file ct.bin --format json
	json_eq "$output" "{\"KeyId\": \"$KMS_ARN\", \"Plaintext\": \"$(base64 -w0 pt.bin)\", \"EncryptionAlgorithm\": \"SYMMETRIC_DEFAULT\"}"
	# Two-space indentation, AWS's key order.
	[ "${lines[1]}" = "  \"KeyId\": \"$KMS_ARN\"," ]
	[ "${lines[2]:0:15}" = '  "Plaintext": ' ]
	[ "${#lines[@]}" -eq 5 ]
	kms-decrypt --ciphertext-file ct.bin -f raw | cmp - pt.bin
}

@test "kms-decrypt -o FILE: mode 0600, replaced atomically, nothing on stdout" {
	kms_up
	sealed
	echo old >out
	chmod 644 out
	run -0 kms-decrypt --ciphertext-file ct.b64 -o out
	[ -z "$output" ]
	cmp out pt.bin
	[ "$(stat -c %a out)" = 600 ]
	run -0 kms-decrypt --ciphertext-file ct.b64 -f json --output out.json
	[ "$(stat -c %a out.json)" = 600 ]
	[ "$(json_get "$(cat out.json)" Plaintext)" = "$(base64 -w0 pt.bin)" ]
	[ "$(ls -A | grep -c '^\.out')" -eq 0 ]
}

@test "kms-decrypt: --key-id, --encryption-algorithm, --context and --grant-token are what KMS receives" {
	kms_up
	sealed alias/test '{"app": "web", "tier": "a=b"}'
	local b64
	b64=$(cat ct.b64)
	run -0 kms-decrypt --ciphertext-file ct.bin --key-id alias/test --context app=web --context tier=a=b \
		--grant-token gt1 --grant-token gt2 -f base64
	[ "$output" = "$(base64 -w0 pt.bin)" ]
	kms_logged Decrypt 1 "{\"CiphertextBlob\": \"$b64\", \"KeyId\": \"alias/test\", \"EncryptionAlgorithm\": \"SYMMETRIC_DEFAULT\",
		\"EncryptionContext\": {\"app\": \"web\", \"tier\": \"a=b\"}, \"GrantTokens\": [\"gt1\", \"gt2\"]}"
	# The key by ARN, the algorithm named without a key.
	run -0 kms-decrypt --ciphertext-file ct.bin --key-id "$KMS_ARN" --context tier=a=b --context app=web -f base64
	kms_logged Decrypt 2 "{\"CiphertextBlob\": \"$b64\", \"KeyId\": \"$KMS_ARN\", \"EncryptionAlgorithm\": \"SYMMETRIC_DEFAULT\",
		\"EncryptionContext\": {\"app\": \"web\", \"tier\": \"a=b\"}}"
	run -0 kms-decrypt --ciphertext-file ct.bin --encryption-algorithm SYMMETRIC_DEFAULT --context app=web \
		--context tier=a=b -f base64
	kms_logged Decrypt 3 "{\"CiphertextBlob\": \"$b64\", \"EncryptionAlgorithm\": \"SYMMETRIC_DEFAULT\",
		\"EncryptionContext\": {\"app\": \"web\", \"tier\": \"a=b\"}}"
}

@test "kms-decrypt --encryption-algorithm: KMS judges the valid names, others are refused here" {
	kms_up
	sealed
	run -5 kms-decrypt --ciphertext-file ct.bin --key-id alias/test --encryption-algorithm RSAES_OAEP_SHA_256 -f base64
	[ "$output" = "kms-decrypt: InvalidKeyUsageException: RSAES_OAEP_SHA_256 is not supported by this symmetric key" ]
	kms_logged Decrypt 1 "{\"CiphertextBlob\": \"$(cat ct.b64)\", \"KeyId\": \"alias/test\", \"EncryptionAlgorithm\": \"RSAES_OAEP_SHA_256\"}"
	run -2 kms-decrypt --ciphertext-file ct.bin --encryption-algorithm RSA_OAEP -f base64
	[ "$output" = "kms-decrypt: invalid value 'RSA_OAEP' for --encryption-algorithm: expected one of SYMMETRIC_DEFAULT|RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256|SM2PKE" ]
	[ "$(kms_requests)" -eq 1 ]
}

# --- KMS's refusals -----------------------------------------------------------------

@test "kms-decrypt: a wrong or missing encryption context is KMS's InvalidCiphertextException, exit 5" {
	kms_up
	sealed alias/test '{"app": "web"}'
	run -5 --separate-stderr kms-decrypt --ciphertext-file ct.bin --context app=db -o out
	[ "$stderr" = "kms-decrypt: InvalidCiphertextException" ]
	[ -z "$output" ]
	run -5 --separate-stderr kms-decrypt --ciphertext-file ct.bin -f base64
	[ "$stderr" = "kms-decrypt: InvalidCiphertextException" ]
	[ -z "$output" ]
	[ ! -e out ]
	[ "$(ls -A | grep -c '^\.')" -eq 0 ]
}

@test "kms-decrypt: KMS refusals are shown verbatim and exit 5" {
	kms_up
	sealed
	run -5 kms-decrypt --ciphertext-file ct.bin --key-id alias/denied -o out
	[ "$output" = "kms-decrypt: $KMS_DENIED" ]
	run -5 kms-decrypt --ciphertext-file ct.bin --key-id alias/nope -o out
	[ "$output" = "kms-decrypt: NotFoundException: Key 'alias/nope' does not exist" ]
	run -5 kms-decrypt --ciphertext-file ct.bin --key-id alias/other -o out
	[ "$output" = "kms-decrypt: IncorrectKeyException: The key ID in the request does not identify a CMK that can perform this operation." ]
	run -5 kms-decrypt --ciphertext-file ct.bin --key-id alias/disabled -o out
	[ "$output" = "kms-decrypt: DisabledException: arn:aws:kms:us-east-1:111122223333:key/66666666-7777-8888-9999-000000000000 is disabled." ]
	[ ! -e out ]
	# Refusals are not retried.
	[ "$(kms_requests)" -eq 4 ]
}

@test "kms-decrypt: a policy on the image's PCR0 lets the enclave in and keeps a debug-mode enclave out" {
	local pcr0
	pcr0=$(json_get "$(cat "$F/app.pcrs")" PCR0)
	kms_up --require-pcr0 "$pcr0"
	sealed
	run -0 kms-decrypt --ciphertext-file ct.bin -f base64
	[ "$output" = "$(base64 -w0 pt.bin)" ]
	[ "$(kms_log_field 1 pcr0)" = "$pcr0" ]

	# The same key policy against a debug-mode enclave of the same image: its
	# PCRs are zero, and the denial is what protects the data.
	kms_sim_restart --debug-mode
	kms_restart --require-pcr0 "$pcr0"
	run -5 --separate-stderr kms-decrypt --ciphertext-file ct.bin -o out
	[ "$stderr" = "kms-decrypt: AccessDeniedException: PCR0 of the attestation document does not match the key policy" ]
	[ -z "$output" ]
	[ ! -e out ]
	[ "$(kms_log_field 1 attestation)" = ok ]
	[ "$(kms_log_field 1 pcr0)" = "$(printf '0%.0s' {1..96})" ]
}

# --- the ephemeral key and the NSM ------------------------------------------------------

@test "kms-decrypt --rsa-bits 4096: a 4096-bit key opens the answer; other sizes are refused" {
	kms_up
	sealed
	run -0 --separate-stderr kms-decrypt --ciphertext-file ct.b64 --rsa-bits 4096 -f base64 -v
	[ "$output" = "$(base64 -w0 pt.bin)" ]
	[[ $stderr == *"RSA-4096 key generated in "* ]]
	kms_logged Decrypt 1 "{\"CiphertextBlob\": \"$(cat ct.b64)\"}"
	run -2 kms-decrypt --ciphertext-file ct.b64 --rsa-bits 1024
	[ "$output" = "kms-decrypt: invalid value '1024' for --rsa-bits: expected one of 2048|4096" ]
}

@test "kms-decrypt --nsm: no NSM there is exit 4 with the hint, and KMS is never asked" {
	kms_up
	sealed
	run -4 --separate-stderr kms-decrypt --ciphertext-file ct.bin --nsm /nonexistent/nsm -o out
	[ "$stderr" = "kms-decrypt: $NO_DEVICE" ]
	[ ! -e out ]
	NITROKIT_NSM=/nonexistent/nsm run -4 kms-decrypt --ciphertext-file ct.bin -f base64
	[ "$output" = "kms-decrypt: $NO_DEVICE" ]
	[ "$(kms_requests)" -eq 0 ]
}

# --- transport and credentials ---------------------------------------------------------

@test "kms-decrypt: throttling and dropped connections are retried, exhausted retries exit 6" {
	kms_up --throttle 2
	sealed
	run -0 kms-decrypt --ciphertext-file ct.bin -f base64
	[ "$output" = "$(base64 -w0 pt.bin)" ]
	[ "$(kms_requests)" -eq 3 ]
	[ "$(kms_log_field 1 error)" = ThrottlingException ]

	kms_restart --drop 1
	run -0 kms-decrypt --ciphertext-file ct.bin -f base64
	[ "$output" = "$(base64 -w0 pt.bin)" ]
	[ "$(kms_requests)" -eq 2 ]
	[ "$(kms_log_field 1 fault)" = drop ]

	kms_restart --status 503
	run -6 --separate-stderr kms-decrypt --ciphertext-file ct.bin --retries 1 -o out
	[ "$stderr" = "kms-decrypt: KMS still failing after 2 attempts: ServiceUnavailableException: injected by kms-responder" ]
	[ -z "$output" ]
	[ ! -e out ]
	[ "$(kms_requests)" -eq 2 ]
	run -6 kms-decrypt --ciphertext-file ct.bin --retries 0 -o out
	[ "$(kms_requests)" -eq 3 ]
}

@test "kms-decrypt: an endpoint that does not answer is exit 6 after the retries" {
	kms_up
	sealed
	local port
	port=$("$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	run -6 --separate-stderr kms-decrypt --ciphertext-file ct.bin --endpoint "http://127.0.0.1:$port" --retries 1 -o out
	[[ $stderr == "kms-decrypt: cannot reach KMS at 'http://127.0.0.1:$port': "*"(after 2 attempts)" ]]
	[ ! -e out ]
}

@test "kms-decrypt: missing credentials exit 2 with what to set; --credentials reads the IMDS shape" {
	kms_up
	sealed
	run -2 env -u AWS_ACCESS_KEY_ID kms-decrypt --ciphertext-file ct.bin -o out
	[ "$output" = "kms-decrypt: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give --credentials FILE" ]
	[ ! -e out ]
	[ "$(kms_requests)" -eq 0 ]
	printf '{"AccessKeyId": "%s", "SecretAccessKey": "%s", "Token": "%s"}' "$KMS_AK" "$KMS_SK" "$KMS_TOK" >creds.json
	run -0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
		kms-decrypt --credentials creds.json --ciphertext-file ct.bin -f base64
	[ "$output" = "$(base64 -w0 pt.bin)" ]
	run -0 kms-decrypt --credentials - --ciphertext "$(cat ct.b64)" -f base64 <creds.json
	[ "$output" = "$(base64 -w0 pt.bin)" ]
	run -2 kms-decrypt --credentials - -f base64 <creds.json
	[ "$output" = "kms-decrypt: --credentials - and the ciphertext cannot both come from standard input" ]
}

# --- terminals --------------------------------------------------------------------

@test "kms-decrypt: raw bytes are not written to a terminal, checked before the NSM and KMS" {
	command -v script >/dev/null || skip "script(1) is not installed"
	kms_up
	sealed
	run -2 script -qec "kms-decrypt --ciphertext-file ct.bin" /dev/null
	[[ $output == *"kms-decrypt: refusing to write binary data to a terminal (use -o FILE or --force)"* ]]
	[ "$(kms_requests)" -eq 0 ]
	run -0 script -qec "kms-decrypt --ciphertext-file ct.bin -f base64" /dev/null
	[[ $output == *"$(base64 -w0 pt.bin)"* ]]
	run -0 script -qec "kms-decrypt --ciphertext-file ct.bin -o out" /dev/null
	cmp out pt.bin
	run -0 script -qec "kms-decrypt --ciphertext-file ct.b64 --force" /dev/null
	[[ $output == *"top"* ]]
	# A terminal on stdin and no ciphertext named: refused rather than waited on.
	run -2 script -qec "kms-decrypt -f base64" /dev/null
	[[ $output == *"kms-decrypt: no ciphertext: give --ciphertext, --ciphertext-file or pipe it to standard input"* ]]
	[ "$(kms_requests)" -eq 3 ]
}

# --- bad input ----------------------------------------------------------------------

@test "kms-decrypt: bad input table (exit code and message; nothing written, KMS asked only when it must judge)" {
	kms_up
	sealed
	mkdir adir
	: >empty.bin
	printf '\n \r\n' >blank.txt
	head -c 50 ct.b64 >trunc.b64
	head -c 48 ct.b64 >trunc4.b64
	head -c 60 ct.bin >trunc.bin
	printf 'hello world!\n' >garbage.txt
	{ printf '\001'; head -c 99 /dev/urandom; } >garbage.bin
	{ printf '\001'; head -c 6143 /dev/zero; } >max.bin
	{ printf '\001'; head -c 6144 /dev/zero; } >big.bin
	base64 big.bin >big.b64
	head -c 16385 /dev/zero >huge.bin
	local ok
	ok=$(cat ct.b64)
	# code; requests that reached KMS so far; message; arguments
	local table=(
		"4;0;cannot open 'nope.bin': No such file or directory;--ciphertext-file nope.bin"
		"4;0;cannot read 'adir': Is a directory;--ciphertext-file adir"
		"3;0;'empty.bin' is empty;--ciphertext-file empty.bin"
		"3;0;'blank.txt' is empty;--ciphertext-file blank.txt"
		"3;0;'trunc.b64': invalid base64: 50 characters, not a multiple of 4 (truncated?);--ciphertext-file trunc.b64"
		"3;0;'garbage.txt' is neither a ciphertext blob nor base64 (invalid character '!' at offset 11);--ciphertext-file garbage.txt"
		"3;0;'big.bin': ciphertext of 6145 bytes is too large (KMS takes at most 6144);--ciphertext-file big.bin"
		"3;0;'big.b64': ciphertext of 6145 bytes is too large (KMS takes at most 6144);--ciphertext-file big.b64"
		"3;0;'huge.bin' is too large (more than 16384 bytes);--ciphertext-file huge.bin"
		"2;0;invalid value 'not-base64' for --ciphertext: invalid base64 character at offset 3;--ciphertext not-base64"
		"2;0;--ciphertext must not be empty;--ciphertext="
		"2;0;--ciphertext and --ciphertext-file cannot be used together;--ciphertext $ok --ciphertext-file ct.bin"
		"2;0;invalid value 'app' for --context: expected KEY=VALUE;--ciphertext-file ct.bin --context app"
		"2;0;--context key 'app' given twice;--ciphertext-file ct.bin --context app=a --context app=b"
		"2;0;invalid value 'yaml' for --format: expected one of raw|base64|json|kmstool;--ciphertext-file ct.bin -f yaml"
		"2;0;--keep-going needs --batch;--ciphertext-file ct.bin --keep-going"
		"2;0;option '--key-id' given more than once;--ciphertext-file ct.bin --key-id a --key-id b"
		# What only KMS can judge goes to KMS: a cut on a 4-character
		# boundary, a cut raw blob, binary garbage, a blob of exactly 6144.
		"5;1;InvalidCiphertextException;--ciphertext-file trunc4.b64"
		"5;2;InvalidCiphertextException;--ciphertext-file trunc.bin"
		"5;3;InvalidCiphertextException;--ciphertext-file garbage.bin"
		"5;4;InvalidCiphertextException;--ciphertext-file max.bin"
	)
	local row code nreq msg args
	for row in "${table[@]}"; do
		IFS=';' read -r code nreq msg args <<<"$row"
		set -- $args
		run --separate-stderr kms-decrypt "$@" -f base64 -o out
		[ "$status" -eq "$code" ] || { echo "$row: exit $status: $stderr"; return 1; }
		[ "$stderr" = "kms-decrypt: $msg" ] || { echo "$row: $stderr"; return 1; }
		[ -z "$output" ] && [ ! -e out ] || { echo "$row: left output"; return 1; }
		[ "$(kms_requests)" -eq "$nreq" ] || { echo "$row: $(kms_requests) requests"; return 1; }
	done
	# Standard input: empty, and 11 grant tokens.
	run -3 kms-decrypt -f base64 </dev/null
	[ "$output" = "kms-decrypt: 'standard input' is empty" ]
	run -2 kms-decrypt --ciphertext-file ct.bin $(printf -- '--grant-token g%s ' {0..10})
	[ "$output" = "kms-decrypt: too many --grant-token: KMS takes at most 10" ]
	[ "$(ls -A | grep -c '^\.')" -eq 0 ]
}

@test "kms-decrypt: typed option values (cli), exit 2 before any NSM or KMS call" {
	export NITROKIT_NSM="unix:$T/no-nsm.sock" AWS_ENDPOINT_URL_KMS=http://127.0.0.1:9
	printf '\001\002' >ct.bin
	run --separate-stderr -2 kms-decrypt --ciphertext-file ct.bin --key-id $'alias/a\rb'
	[ "$stderr" = "kms-decrypt: --key-id must not contain control characters (byte 8 is 0x0d)" ]
	run --separate-stderr -2 kms-decrypt --ciphertext-file ct.bin --region $'us-east-1\nX-Injected: 1'
	[ "$stderr" = "kms-decrypt: --region must not contain control characters (byte 10 is 0x0a)" ]
	# base64(1)'s line ends are part of a ciphertext, other control characters are not.
	run --separate-stderr -2 kms-decrypt --ciphertext $'AQID\e[2J'
	[ "$stderr" = "kms-decrypt: --ciphertext must not contain control characters (byte 5 is 0x1b)" ]
	AWS_ACCESS_KEY_ID=AKIDTEST AWS_SECRET_ACCESS_KEY=test run --separate-stderr -4 kms-decrypt --ciphertext $'AQID\r\nAQ\t=='
	[ "$stderr" = "kms-decrypt: cannot connect to nsm-sim at '$T/no-nsm.sock': No such file or directory" ]
	run --separate-stderr -2 kms-decrypt --ciphertext-file ct.bin -o ''
	[ "$stderr" = "kms-decrypt: --output must not be empty" ]
	# Standard input once, whichever option names it.
	run --separate-stderr -2 kms-decrypt --ciphertext-file - --credentials - </dev/null
	[ "$stderr" = "kms-decrypt: --ciphertext-file and --credentials cannot both read standard input" ]
	run --separate-stderr -2 kms-decrypt --batch --credentials - </dev/null
	[ "$stderr" = "kms-decrypt: --credentials - and the ciphertext cannot both come from standard input" ]
	run --separate-stderr -2 kms-decrypt --ciphertext AQID --ciphertext-file -
	[ "$stderr" = "kms-decrypt: --ciphertext and --ciphertext-file cannot be used together" ]
	run --separate-stderr -2 kms-decrypt --keep-going --ciphertext AQID
	[ "$stderr" = "kms-decrypt: --keep-going needs --batch" ]
	[ -z "$output" ]
}

# --- --batch ----------------------------------------------------------------------

@test "kms-decrypt --batch: plaintexts in input order through one key, one document and one connection" {
	kms_up
	kms_seal_lines 5
	run -0 --separate-stderr kms-decrypt --batch -v <lines.txt
	[ "$output" = "$(cat want.txt)" ]
	[ "$(grep -c 'key generated in' <<<"$stderr")" -eq 1 ]
	[ "$(grep -c 'attestation document of' <<<"$stderr")" -eq 1 ]
	[ "$(grep -c '^kms-decrypt: Decrypt: HTTP 200' <<<"$stderr")" -eq 5 ]
	# The first call connects, the four after it reuse the connection.
	grep '^kms-decrypt: Decrypt: HTTP 200' <<<"$stderr" | head -1 | grep -vq 'connection reused'
	[ "$(grep -c 'connection reused' <<<"$stderr")" -eq 4 ]
	[[ $stderr == *"kms-decrypt: 5 lines, 0 failed"* ]]
	# Each line's blob, in order, all with one document (and over one TCP
	# connection where the responder logs it).
	"$PYTHON" - "$T/kms.log" <<'PY'
import json, sys
es = [json.loads(l) for l in open(sys.argv[1])]
blobs = [l.strip() for l in open("lines.txt")]
assert [e["body"]["CiphertextBlob"] for e in es] == blobs, "blobs"
assert all(e["attestation"] == "ok" and e["sigv4"] == "ok" for e in es), "verified"
docs = {e["body"]["Recipient"]["AttestationDocument"]["sha256"] for e in es}
assert len(docs) == 1, docs
if all("conn" in e for e in es):
    assert len({e["conn"] for e in es}) == 1, [e["conn"] for e in es]
PY
}

@test "kms-decrypt --batch: json and kmstool lines, --ciphertext-file, -o FILE, CRLF input" {
	kms_up
	kms_seal_lines 3
	run -0 kms-decrypt --batch -f json --ciphertext-file lines.txt
	[ "${#lines[@]}" -eq 3 ]
	local n
	for n in 1 2 3; do
		json_eq "${lines[n - 1]}" "{\"KeyId\": \"$KMS_ARN\", \"Plaintext\": \"$(base64 -w0 "pt$n")\", \"EncryptionAlgorithm\": \"SYMMETRIC_DEFAULT\"}"
	done
	[[ ${lines[0]} != *" "* ]]   # compact: one object per line
	sed 's/$/\r/' lines.txt >crlf.txt
	run -0 kms-decrypt --batch -f kmstool -o out.txt <crlf.txt
	[ -z "$output" ]
	[ "$(stat -c %a out.txt)" = 600 ]
	[ "$(cat out.txt)" = "$(sed 's/^/PLAINTEXT: /' want.txt)" ]
	run -2 kms-decrypt --batch -f raw <lines.txt
	[ "$output" = "kms-decrypt: --format raw cannot be used with --batch: plaintexts are written one per line (use base64, json or kmstool)" ]
	run -2 kms-decrypt --batch --ciphertext "$(base64 -w0 ct1)"
	[ "$output" = "kms-decrypt: --batch reads base64 lines from --ciphertext-file or standard input, not --ciphertext" ]
	run -4 kms-decrypt --batch --ciphertext-file nope.txt
	[ "$output" = "kms-decrypt: cannot open 'nope.txt': No such file or directory" ]
	[ "$(kms_requests)" -eq 6 ]
	# No lines, nothing to do.
	run -0 --separate-stderr kms-decrypt --batch </dev/null
	[ -z "$output" ]
}

@test "kms-decrypt --batch: a bad line stops the batch with its number and exit code" {
	kms_up
	kms_seal_lines 3
	{ sed -n 1p lines.txt; echo 'abc!'; sed -n 3p lines.txt; } >bad.txt
	run -3 --separate-stderr kms-decrypt --batch <bad.txt
	[ "$output" = "$(sed -n 1p want.txt)" ]
	[ "$stderr" = "kms-decrypt: line 2: invalid base64 character at offset 3" ]
	[ "$(kms_requests)" -eq 1 ]
	# With -o, a stopped batch leaves no file.
	run -3 kms-decrypt --batch -o out.txt <bad.txt
	[ ! -e out.txt ]
	[ "$(ls -A | grep -c '^\.')" -eq 0 ]
	# KMS's refusal of line 2 (wrong context): exit 5.
	kms_seal pt2 ctx2 alias/test '{"app": "web"}'
	{ sed -n 1p lines.txt; base64 -w0 ctx2; echo; sed -n 3p lines.txt; } >ctx.txt
	run -5 --separate-stderr kms-decrypt --batch <ctx.txt
	[ "$stderr" = "kms-decrypt: line 2: InvalidCiphertextException" ]
	[ "${#lines[@]}" -eq 1 ]
	# An empty line and a line past 8192 characters are bad lines too.
	{ sed -n 1p lines.txt; echo; } >empty.txt
	run -3 --separate-stderr kms-decrypt --batch <empty.txt
	[ "$stderr" = "kms-decrypt: line 2: empty line" ]
	{ printf 'A%.0s' {1..8193}; echo; } >long.txt
	run -3 --separate-stderr kms-decrypt --batch <long.txt
	[ "$stderr" = "kms-decrypt: line 1: line too long (more than 8192 characters)" ]
	{ printf 'AAAA%.0s' {1..2049}; echo; } >big.txt
	run -3 --separate-stderr kms-decrypt --batch <big.txt
	[ "$stderr" = "kms-decrypt: line 1: line too long (more than 8192 characters)" ]
	# 8192 characters are 6144 bytes, the most KMS takes: KMS judges them.
	{ printf 'AAAA%.0s' {1..2048}; echo; } >max.txt
	run -5 --separate-stderr kms-decrypt --batch <max.txt
	[ "$stderr" = "kms-decrypt: line 1: InvalidCiphertextException" ]
}

@test "kms-decrypt --batch --keep-going: failed lines answered by empty lines, a summary and the first failure's code" {
	kms_up
	kms_seal_lines 3
	kms_seal pt2 ctx2 alias/test '{"app": "web"}'
	{ sed -n 1p lines.txt; echo 'abc!'; echo; base64 -w0 ctx2; echo; sed -n 3p lines.txt; } >mixed.txt
	run -3 --separate-stderr kms-decrypt --batch --keep-going <mixed.txt
	[ "$output" = "$(printf '%s\n\n\n\n%s' "$(sed -n 1p want.txt)" "$(sed -n 3p want.txt)")" ]
	[ "$stderr" = "$(printf '%s\n' "kms-decrypt: line 2: invalid base64 character at offset 3" \
		"kms-decrypt: line 3: empty line" "kms-decrypt: line 4: InvalidCiphertextException" \
		"kms-decrypt: 3 of 5 lines failed")" ]
	# Output line N answers input line N.
	[ "$(kms-decrypt --batch --keep-going <mixed.txt 2>/dev/null | wc -l)" -eq 5 ]
	# The file is kept: it is the aligned answer.
	run -3 kms-decrypt --batch --keep-going -f kmstool -o out.txt <mixed.txt
	[ "$(cat out.txt)" = "$(printf 'PLAINTEXT: %s\n\n\n\nPLAINTEXT: %s' "$(sed -n 1p want.txt)" "$(sed -n 3p want.txt)")" ]
	# The first failure decides the code: KMS's refusal first is 5.
	{ base64 -w0 ctx2; echo; echo 'abc!'; sed -n 1p lines.txt; } >kmsfirst.txt
	run -5 --separate-stderr kms-decrypt --batch --keep-going <kmsfirst.txt
	[ "$output" = "$(printf '\n\n%s' "$(sed -n 1p want.txt)")" ]
	[[ $stderr == *"kms-decrypt: 2 of 3 lines failed" ]]
}

@test "kms-decrypt --batch: streams, each line is out before the next one is read" {
	kms_up
	kms_seal_lines 2
	# The second ciphertext is only sent once the first plaintext came out.
	mkfifo in out
	timeout 30 kms-decrypt --batch <in >out 3>&- &
	local pid=$! line
	exec 7>in 8<out
	sed -n 1p lines.txt >&7
	read -r -t 20 line <&8
	[ "$line" = "$(sed -n 1p want.txt)" ]
	sed -n 2p lines.txt >&7
	exec 7>&-
	read -r -t 20 line <&8
	[ "$line" = "$(sed -n 2p want.txt)" ]
	exec 8<&-
	wait "$pid"
}
