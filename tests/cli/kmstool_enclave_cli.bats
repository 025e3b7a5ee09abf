#!/usr/bin/env bats
# kmstool_enclave_cli against nsm-sim and the KMS test responder
# (tests/fixtures/kms_responder.py), with the credentials on the command line
# as AWS's tool takes them (the environment's are unset after kms_env).
#
# What AWS's tool does was read in aws/aws-nitro-enclaves-sdk-c,
# bin/kmstool-enclave-cli/main.c (the decrypt/genkey/genrandom version):
# the command is argv[1] and options follow as "--name VALUE" or the short
# letters of "r:x:k:s:t:c:K:p:a:l:h" (s_parse_options, aws_cli_optind = 2);
# success prints "PLAINTEXT: %s\n", for genkey after "CIPHERTEXT: %s\n", and
# returns 0; a usage problem exits 1 ("--ciphertext must be set",
# "Unknown key spec", "--length must be greater than 0", print_commands(1));
# a failed call returns AWS_OP_ERR (-1) from main: status 255; a ciphertext
# that is not base64 fails in decrypt(), i.e. 255.  Its README
# (bin/kmstool-enclave-cli/README.md) documents the same parameters and shows
# callers that parse the output with result.split(":")[1].strip() and, for
# genkey, split("\n")[0] / [1]: readme_parse below does exactly that.
load common
load nsm_sim
load kms

# Debian's python starts in a sixth of the time of a pyenv shim, and this file
# calls python some hundred times (kms_log_field, json_eq).
[ -x "$RESP_PY" ] && PYTHON=$RESP_PY

TOOL=kmstool_enclave_cli
CREDS=(--aws-access-key-id "$KMS_AK" --aws-secret-access-key "$KMS_SK" --aws-session-token "$KMS_TOK")

# nsm-sim and the responder; the credentials only on the command line.
up() {
	kms_up "$@" || return 1
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
}

# The plaintext (hex) of a ciphertext blob given in base64, opened by
# kms.bash's kms_open (the responder's own key derivation and AES-GCM): a
# known answer from outside.
kms_open_b64() {
	printf '%s' "$1" | base64 -d >"$T/open.blob" && kms_open "$T/open.blob" | od -An -v -tx1 | tr -d ' \n'
}

# readme_parse LINE_INDEX|all FILE: what the README's Python callers extract.
readme_parse() {
	"$PYTHON" -c 'import sys
result = open(sys.argv[2]).read()
if sys.argv[1] == "all":
    print(result.split(":")[1].strip())
else:
    print(result.split("\n")[int(sys.argv[1])].split(":")[1].strip())' "$1" "$2"
}

b64hex() {
	"$PYTHON" -c 'import base64,sys; print(base64.b64decode(sys.argv[1], validate=True).hex())' "$1"
}

# --- decrypt -----------------------------------------------------------------

@test "decrypt: AWS's argv in the README's order prints PLAINTEXT: and the sealed bytes, byte for byte" {
	up
	head -c 256 /dev/urandom >pt
	kms_seal pt blob
	# --proxy-port is AWS's and ignored here: AWS_ENDPOINT_URL_KMS names the responder.
	$TOOL decrypt --region us-east-1 --proxy-port 8000 "${CREDS[@]}" \
		--ciphertext "$(base64 -w0 blob)" >out 2>err
	printf 'PLAINTEXT: %s\n' "$(base64 -w0 pt)" >want
	cmp out want
	[ ! -s err ]
	[ "$(readme_parse all out)" = "$(base64 -w0 pt)" ]
	# Nothing but the blob and the Recipient, as AWS's tool sends without --key-id.
	kms_logged Decrypt 1 "{\"CiphertextBlob\": \"$(base64 -w0 blob)\"}"
}

@test "decrypt: --key-id and --encryption-algorithm go into the request" {
	up
	printf 'with a key id' >pt
	kms_seal pt blob alias/test
	run -0 --separate-stderr $TOOL decrypt "${CREDS[@]}" --ciphertext "$(base64 -w0 blob)" \
		--key-id alias/test --encryption-algorithm SYMMETRIC_DEFAULT
	[ "$output" = "PLAINTEXT: $(base64 -w0 pt)" ]
	kms_logged Decrypt 1 "{\"CiphertextBlob\": \"$(base64 -w0 blob)\", \"KeyId\": \"alias/test\",
		\"EncryptionAlgorithm\": \"SYMMETRIC_DEFAULT\"}"
	# Another key than the blob's: KMS's IncorrectKeyException, exit 255.
	run -255 --separate-stderr $TOOL decrypt "${CREDS[@]}" --ciphertext "$(base64 -w0 blob)" --key-id alias/other
	[ "$output" = "" ]
	[ "$stderr" = "$TOOL: IncorrectKeyException: The key ID in the request does not identify a CMK that can perform this operation." ]
}

@test "decrypt: AWS's short letters -r -k -s -t -c, and --name=VALUE" {
	up
	printf 'short options' >pt
	kms_seal pt blob
	run -0 --separate-stderr $TOOL decrypt -r us-east-1 -x 8000 -k "$KMS_AK" -s "$KMS_SK" -t "$KMS_TOK" \
		-c "$(base64 -w0 blob)"
	[ "$output" = "PLAINTEXT: $(base64 -w0 pt)" ]
	run -0 --separate-stderr $TOOL decrypt --aws-access-key-id="$KMS_AK" --aws-secret-access-key="$KMS_SK" \
		--aws-session-token="$KMS_TOK" --ciphertext="$(base64 -w0 blob)"
	[ "$output" = "PLAINTEXT: $(base64 -w0 pt)" ]
	[ "$(kms_log_field 2 sigv4)" = ok ]
}

@test "decrypt: a ciphertext that is not base64 fails with 255 before any request, as AWS's" {
	up
	run -255 --separate-stderr $TOOL decrypt "${CREDS[@]}" --ciphertext 'AQ*D'
	[ "$output" = "" ]
	[ "$stderr" = "$TOOL: --ciphertext is not base64: invalid base64 character at offset 2" ]
	[ "$(kms_requests)" -eq 0 ]
}

@test "decrypt: base64 wrapped by base64(1), CRLF too, is the same ciphertext; a repeated option's last value wins" {
	up
	head -c 300 /dev/urandom >pt
	kms_seal pt blob
	base64 blob >wrapped
	[ "$(wc -l <wrapped)" -gt 1 ]
	run -0 --separate-stderr $TOOL decrypt "${CREDS[@]}" --ciphertext "$(cat wrapped)"
	[ "$output" = "PLAINTEXT: $(base64 -w0 pt)" ]
	run -0 --separate-stderr $TOOL decrypt "${CREDS[@]}" --ciphertext "$(sed 's/$/\r/' wrapped)"
	[ "$output" = "PLAINTEXT: $(base64 -w0 pt)" ]
	# As getopt in AWS's tool: the later value replaces the earlier one.
	run -0 --separate-stderr $TOOL decrypt "${CREDS[@]}" --region eu-west-1 --ciphertext AQID \
		--ciphertext "$(base64 -w0 blob)" -r us-east-1
	[ "$output" = "PLAINTEXT: $(base64 -w0 pt)" ]
	kms_logged Decrypt all "{\"CiphertextBlob\": \"$(base64 -w0 blob)\"}"
}

@test "decrypt: KMS's InvalidCiphertextException is exit 255 with its name, not retried" {
	up
	run -255 --separate-stderr $TOOL decrypt "${CREDS[@]}" --ciphertext "$(head -c 96 /dev/zero | base64 -w0)"
	[ "$output" = "" ]
	[ "$stderr" = "$TOOL: InvalidCiphertextException" ]
	[ "$(kms_requests)" -eq 1 ]
}

@test "decrypt: an empty plaintext is an empty PLAINTEXT: line" {
	up
	: >pt
	kms_seal pt blob
	$TOOL decrypt "${CREDS[@]}" --ciphertext "$(base64 -w0 blob)" >out
	printf 'PLAINTEXT: \n' | cmp - out
}

# --- genkey ------------------------------------------------------------------

@test "genkey AES-256: CIPHERTEXT line then PLAINTEXT line, the blob opening to the key" {
	up
	$TOOL genkey "${CREDS[@]}" --key-id alias/test --key-spec AES-256 >out 2>err
	[ ! -s err ]
	[ "$(wc -l <out)" -eq 2 ]
	ct=$(sed -n '1s/^CIPHERTEXT: //p' out)
	key=$(sed -n '2s/^PLAINTEXT: //p' out)
	printf 'CIPHERTEXT: %s\nPLAINTEXT: %s\n' "$ct" "$key" | cmp - out
	[ "$(b64hex "$key" | wc -c)" -eq 65 ]  # 32 bytes as hex, newline
	[ "$(kms_open_b64 "$ct")" = "$(b64hex "$key")" ]
	[ "$(readme_parse 0 out)" = "$ct" ]
	[ "$(readme_parse 1 out)" = "$key" ]
	kms_logged GenerateDataKey 1 '{"KeyId": "alias/test", "KeySpec": "AES_256"}'
	# The blob is what a later decrypt takes.
	run -0 --separate-stderr $TOOL decrypt "${CREDS[@]}" --ciphertext "$ct"
	[ "$output" = "PLAINTEXT: $key" ]
}

@test "genkey AES-128: a 16-byte key, KeySpec AES_128" {
	up
	run -0 --separate-stderr $TOOL genkey "${CREDS[@]}" --key-id alias/other --key-spec AES-128
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} == "CIPHERTEXT: "* ]]
	[[ ${lines[1]} == "PLAINTEXT: "* ]]
	key=${lines[1]#PLAINTEXT: }
	[ "$(b64hex "$key" | wc -c)" -eq 33 ]
	[ "$(kms_open_b64 "${lines[0]#CIPHERTEXT: }")" = "$(b64hex "$key")" ]
	kms_logged GenerateDataKey 1 '{"KeyId": "alias/other", "KeySpec": "AES_128"}'
}

@test "genkey: KMS refusals are exit 255 with KMS's error text and nothing on stdout" {
	up
	run -255 --separate-stderr $TOOL genkey "${CREDS[@]}" --key-id alias/denied --key-spec AES-256
	[ "$output" = "" ]
	[ "$stderr" = "$TOOL: $KMS_DENIED" ]
	run -255 --separate-stderr $TOOL genkey "${CREDS[@]}" --key-id alias/nope --key-spec AES-256
	[ "$output" = "" ]
	[ "$stderr" = "$TOOL: NotFoundException: Key 'alias/nope' does not exist" ]
	run -255 --separate-stderr $TOOL genkey "${CREDS[@]}" --key-id alias/disabled --key-spec AES-128
	[ "$stderr" = "$TOOL: DisabledException: arn:aws:kms:us-east-1:111122223333:key/66666666-7777-8888-9999-000000000000 is disabled." ]
	# Refusals are not retried: one request each.
	[ "$(kms_requests)" -eq 3 ]
}

@test "genkey: a key policy that wants another PCR0 refuses the enclave's document" {
	up --require-pcr0 "$(printf '%096d' 0 | tr 0 a)"
	run -255 --separate-stderr $TOOL genkey "${CREDS[@]}" --key-id alias/test --key-spec AES-256
	[ "$output" = "" ]
	[ "$stderr" = "$TOOL: AccessDeniedException: PCR0 of the attestation document does not match the key policy" ]
	[ "$(kms_log_field 1 attestation)" = ok ]
}

# --- genrandom ---------------------------------------------------------------

@test "genrandom: --length 1, 37 and 1024 give that many bytes after PLAINTEXT:" {
	up
	local n seq=0
	for n in 1 37 1024; do
		seq=$((seq + 1))
		$TOOL genrandom "${CREDS[@]}" --length "$n" >out
		[ "$(wc -l <out)" -eq 1 ]
		b64=$(sed -n 's/^PLAINTEXT: //p' out)
		printf 'PLAINTEXT: %s\n' "$b64" | cmp - out
		[ "$(b64hex "$b64" | tr -d '\n' | wc -c)" -eq $((2 * n)) ]
		[ "$(readme_parse all out)" = "$b64" ]
		kms_logged GenerateRandom $seq "{\"NumberOfBytes\": $n}"
	done
}

@test "genrandom: throttling is retried" {
	up --throttle 2
	run -0 --separate-stderr $TOOL genrandom "${CREDS[@]}" --length 8
	[[ $output == "PLAINTEXT: "* ]]
	[ "$(kms_requests)" -eq 3 ]
}

@test "genrandom: a 5xx that persists is exit 255 after the retries" {
	up --status 503
	run -255 --separate-stderr $TOOL genrandom "${CREDS[@]}" --length 8
	[ "$output" = "" ]
	[ "$stderr" = "$TOOL: KMS still failing after 4 attempts: ServiceUnavailableException: injected by kms-responder" ]
}

@test "genrandom: an endpoint that does not answer is exit 255" {
	up
	export AWS_ENDPOINT_URL_KMS=http://127.0.0.1:9
	run -255 --separate-stderr $TOOL genrandom "${CREDS[@]}" --length 8
	[ "$output" = "" ]
	[[ $stderr == "$TOOL: cannot reach KMS at 'http://127.0.0.1:9': "*"(after 4 attempts)" ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

# --- credentials ---------------------------------------------------------------

@test "credentials: the argv ones sign (SigV4 checked by the responder), over the environment's" {
	up
	export AWS_ACCESS_KEY_ID=AKIDWRONG AWS_SECRET_ACCESS_KEY=wrong AWS_SESSION_TOKEN=wrong
	run -0 --separate-stderr $TOOL genrandom "${CREDS[@]}" --length 4
	[ "$(kms_log_field 1 sigv4)" = ok ]
	[[ $(kms_log_field 1 headers authorization) == "AWS4-HMAC-SHA256 Credential=$KMS_AK/"*"/us-east-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, "* ]]
	[ "$(kms_log_field 1 headers x-amz-security-token)" = "$KMS_TOK" ]
}

@test "credentials: without any on the command line, the environment's (nitrokit's fallback)" {
	up
	export AWS_ACCESS_KEY_ID=$KMS_AK AWS_SECRET_ACCESS_KEY=$KMS_SK AWS_SESSION_TOKEN=$KMS_TOK
	run -0 --separate-stderr $TOOL genrandom --length 4
	[[ $output == "PLAINTEXT: "* ]]
	[ "$(kms_log_field 1 sigv4)" = ok ]
}

@test "credentials: the session token is optional; none (or '') sends no X-Amz-Security-Token" {
	up --session-token ""
	run -0 --separate-stderr $TOOL genrandom --aws-access-key-id "$KMS_AK" --aws-secret-access-key "$KMS_SK" --length 4
	[[ $output == "PLAINTEXT: "* ]]
	run -0 --separate-stderr $TOOL genrandom --aws-access-key-id "$KMS_AK" --aws-secret-access-key "$KMS_SK" \
		--aws-session-token "" --length 4
	local seq
	for seq in 1 2; do
		[ "$(kms_log_field $seq sigv4)" = ok ]
		run kms_log_field $seq headers
		[[ $output != *x-amz-security-token* ]]
		[[ $(kms_log_field $seq headers authorization) == *"SignedHeaders=content-type;host;x-amz-date;x-amz-target,"* ]]
	done
}

@test "credentials: --region names the signing scope, over AWS_REGION" {
	up --region eu-west-1
	[ "$AWS_REGION" = us-east-1 ]
	run -0 --separate-stderr $TOOL genrandom "${CREDS[@]}" --region eu-west-1 --length 4
	[ "$(kms_log_field 1 sigv4)" = ok ]
	[[ $(kms_log_field 1 headers authorization) == *"/eu-west-1/kms/aws4_request"* ]]
}

# argv_while_calling ARGS...: after `up --delay 1`, run $TOOL ARGS in the
# background and keep its /proc/PID/cmdline (one argument a line) in
# ./cmdline and its ps(1) line in ./ps.txt, both taken while it waits for
# KMS; it must then exit 0 (stdout in ./out), and neither file may show the
# access key id, the secret or the session token.
argv_while_calling() {
	local pid rc=0
	$TOOL "$@" >out 2>err 3>&- &
	pid=$!
	# The request is logged before the responder's 1 s delay: by then argv
	# has been parsed, and the process is still waiting for the answer.
	kms_wait_logged
	tr '\0' '\n' <"/proc/$pid/cmdline" >cmdline
	ps -o args= -p "$pid" >ps.txt
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || { echo "exit $rc: $(cat err)"; return 1; }
	cat cmdline
	local s
	for s in "$KMS_SK" "$KMS_TOK" "$KMS_AK"; do
		! grep -qF -- "$s" cmdline || { echo "cmdline shows $s"; return 1; }
		! grep -qF -- "$s" ps.txt || { echo "ps shows $s"; return 1; }
	done
}

@test "credentials: the secret and the token are gone from /proc/PID/cmdline while the call runs" {
	up --delay 1
	printf 'cmdline check' >pt
	kms_seal pt blob
	local b64
	b64=$(base64 -w0 blob)
	argv_while_calling decrypt --region us-east-1 "${CREDS[@]}" --ciphertext "$b64"
	[ "$(cat out)" = "PLAINTEXT: $(base64 -w0 pt)" ]
	# The rest is untouched, and the wiped values keep their place and length.
	[ "$(sed -n 1p cmdline)" = "$TOOL" ]
	[ "$(sed -n 2p cmdline)" = decrypt ]
	grep -qxF -- us-east-1 cmdline
	grep -qxF -- --aws-secret-access-key cmdline
	grep -qxF -- "$b64" cmdline
	[ "$(grep -cxE 'x+' cmdline)" -eq 3 ]
	grep -qxF -- "$(printf "%${#KMS_SK}s" '' | tr ' ' x)" cmdline
	[ "$(wc -l <cmdline)" -eq 12 ]
}

# --- usage: exit 1, before the NSM or KMS is asked anything -------------------

# Usage errors are AWS's exit 1: "fails 1 MESSAGE ARGS" (common.bash) checks
# that nothing is on stdout and stderr is exactly "kmstool_enclave_cli: MESSAGE".
FAIL_TOOL=$TOOL

@test "usage: every bad command line is exit 1 with its reason (AWS's wording where it has one)" {
	# No NSM and no KMS: a usage check that came after either would fail 255.
	export NITROKIT_NSM="unix:$T/no-nsm.sock" AWS_ENDPOINT_URL_KMS=http://127.0.0.1:9
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
	local h="(see '$TOOL --help')"
	fails 1 "missing command: decrypt, genkey or genrandom $h"
	fails 1 "unknown command 'encrypt': expected decrypt, genkey or genrandom $h" encrypt "${CREDS[@]}"
	fails 1 "unknown command 'Decrypt': expected decrypt, genkey or genrandom $h" Decrypt
	fails 1 "unknown command '--region': expected decrypt, genkey or genrandom $h" --region us-east-1 decrypt
	fails 1 "--ciphertext must be set" decrypt "${CREDS[@]}"
	fails 1 "--ciphertext must not be empty" decrypt "${CREDS[@]}" --ciphertext ""
	fails 1 "option '--ciphertext' needs a value" decrypt "${CREDS[@]}" --ciphertext
	fails 1 "unknown option '--plaintext' $h" decrypt "${CREDS[@]}" --plaintext AQID
	fails 1 "unknown option '-C' $h" decrypt "${CREDS[@]}" -C AQID
	fails 1 "unexpected operand at position 8 $h" decrypt "${CREDS[@]}" AQID
	fails 1 "option '-c' takes its value as the next argument $h" decrypt "${CREDS[@]}" -cAQID
	fails 1 "option '--key-id' needs a value" genkey "${CREDS[@]}" --key-id --key-spec AES-256
	fails 1 "option '--length' does not apply to decrypt" decrypt "${CREDS[@]}" --ciphertext AQID --length 4
	fails 1 "option '--ciphertext' does not apply to genkey" genkey "${CREDS[@]}" --ciphertext AQID
	fails 1 "option '--key-id' does not apply to genrandom" genrandom "${CREDS[@]}" --key-id alias/test
	fails 1 "--key-id must be set" genkey "${CREDS[@]}" --key-spec AES-256
	fails 1 "--key-spec must be set" genkey "${CREDS[@]}" --key-id alias/test
	fails 1 "invalid value 'AES_256' for --key-spec: expected one of AES-256|AES-128" genkey "${CREDS[@]}" --key-id alias/test --key-spec AES_256
	fails 1 "invalid value 'AES-512' for --key-spec: expected one of AES-256|AES-128" genkey "${CREDS[@]}" --key-id alias/test --key-spec AES-512
	fails 1 "--length must be set" genrandom "${CREDS[@]}"
	fails 1 "invalid value '0' for --length: expected 1 to 1024" genrandom "${CREDS[@]}" --length 0
	fails 1 "invalid value '1025' for --length: expected 1 to 1024" genrandom "${CREDS[@]}" --length 1025
	fails 1 "invalid value '12abc' for --length: expected 1 to 1024" genrandom "${CREDS[@]}" --length 12abc
	fails 1 "invalid value 'vsock' for --proxy-port: expected 1 to 4294967294" genrandom "${CREDS[@]}" --length 4 --proxy-port vsock
	fails 1 "--region must not be empty" genrandom "${CREDS[@]}" --length 4 --region ""
	# The table's types (cli): no control characters, no empty credential but the token.
	fails 1 "--region must not contain control characters (byte 10 is 0x0a)" genrandom "${CREDS[@]}" --length 4 \
		--region $'us-east-1\nX-Injected: 1'
	fails 1 "--key-id must not contain control characters (byte 11 is 0x1b)" genkey "${CREDS[@]}" \
		--key-id $'alias/test\e[2J' --key-spec AES-256
	fails 1 "--ciphertext must not contain control characters (byte 5 is 0x01)" decrypt "${CREDS[@]}" \
		--ciphertext $'AQID\001'
	fails 1 "--aws-access-key-id must not be empty" genrandom --aws-access-key-id "" --aws-secret-access-key "$KMS_SK" --length 4
	fails 1 "--aws-secret-access-key must not be empty" genrandom --aws-access-key-id "$KMS_AK" --aws-secret-access-key "" --length 4
	fails 1 "--aws-access-key-id must be set" genrandom --aws-secret-access-key "$KMS_SK" --length 4
	fails 1 "--aws-secret-access-key must be set" genrandom --aws-access-key-id "$KMS_AK" --aws-session-token "$KMS_TOK" --length 4
	fails 1 "--aws-access-key-id must be set (or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment)" genrandom --length 4
	# Half on the command line is not completed from the environment.
	export AWS_ACCESS_KEY_ID=$KMS_AK
	fails 1 "--aws-secret-access-key must be set" genrandom --aws-access-key-id "$KMS_AK" --length 4
}

@test "usage: an error message never shows a credential" {
	export NITROKIT_NSM="unix:$T/no-nsm.sock" AWS_ENDPOINT_URL_KMS=http://127.0.0.1:9
	run -1 --separate-stderr $TOOL genkey --key-spec AES-999 "${CREDS[@]}"
	[[ $stderr != *"$KMS_SK"* && $stderr != *"$KMS_TOK"* ]]
	fails 1 "option '--aws-secret-access-key' needs a value" genkey --aws-secret-access-key
	# A mistyped option name with its value attached.
	fails 1 "unknown option '--aws-secret-acess-key' (see '$TOOL --help')" genkey --aws-secret-acess-key="$KMS_SK"
}

# leak_check MESSAGE ARGS...: as fails 1, and no credential, nor a piece of one,
# on stdout or stderr.
leak_check() {
	fails 1 "$@" || return 1
	local s
	for s in "$KMS_SK" "$KMS_TOK" "$KMS_AK" EXAMPLEKEY SessionToken; do
		[[ $stderr != *"$s"* && $output != *"$s"* ]] || { echo "args: ${*:2}"; echo "shows $s: $stderr"; return 1; }
	done
}

@test "usage: an option whose value went missing does not swallow the next option, and no credential is printed" {
	# The security review's reproduction: $AK unset and unquoted, so the
	# word is gone and --aws-secret-access-key stood where the id should be;
	# the secret after it used to be an "unexpected operand", quoted in full.
	export NITROKIT_NSM="unix:$T/no-nsm.sock" AWS_ENDPOINT_URL_KMS=http://127.0.0.1:9
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
	local h="(see '$TOOL --help')" AK='' REGION=''
	# shellcheck disable=SC2086
	leak_check "option '--aws-access-key-id' needs a value" decrypt --region us-east-1 --proxy-port 8000 \
		--aws-access-key-id $AK --aws-secret-access-key "$KMS_SK" --aws-session-token "$KMS_TOK" --ciphertext AQID
	# shellcheck disable=SC2086
	leak_check "option '--region' needs a value" decrypt --region $REGION --aws-secret-access-key "$KMS_SK" \
		--aws-access-key-id "$KMS_AK" --ciphertext AQID
	leak_check "option '--aws-access-key-id' needs a value" decrypt -k -s "$KMS_SK" -c AQID
	leak_check "option '--aws-session-token' needs a value" genrandom --aws-session-token \
		--aws-secret-access-key="$KMS_SK" --length 4
	leak_check "option '--length' needs a value" genrandom --length --aws-secret-access-key "$KMS_SK"
	leak_check "option '--key-id' needs a value" genkey --key-id "-s$KMS_SK" --key-spec AES-256
	# Attached values: AWS's parser has none; named without the value.
	leak_check "option '-s' takes its value as the next argument $h" decrypt "-s$KMS_SK" -c AQID
	leak_check "option '-t' takes its value as the next argument $h" decrypt -k "$KMS_AK" "-t$KMS_TOK"
	leak_check "unknown option '--aws-secret-access-key...' $h" decrypt "--aws-secret-access-key$KMS_SK"
	leak_check "unknown command '-s...': expected decrypt, genkey or genrandom $h" "-s$KMS_SK" decrypt
	# Words that are not options are counted, not quoted.
	leak_check "unexpected operand at position 2 $h" decrypt "$KMS_SK"
	leak_check "unexpected operand at position 4 $h" genrandom --length 4 "$KMS_TOK"
	leak_check "unknown command: expected decrypt, genkey or genrandom $h" "$KMS_SK" decrypt
	leak_check "unknown option '--aws-secret-acess-key' $h" decrypt --aws-secret-acess-key "$KMS_SK"
	leak_check "unknown option '--bogus' $h" decrypt --bogus -s "$KMS_SK" -t "$KMS_TOK" -k "$KMS_AK"
	# A credential with a control character is refused by its position, not shown.
	leak_check "--aws-secret-access-key must not contain control characters" genrandom \
		-k "$KMS_AK" -s "$KMS_SK"$'\n' --length 4
	leak_check "--aws-session-token must not contain control characters" genrandom \
		-k "$KMS_AK" -s "$KMS_SK" -t $'\r'"$KMS_TOK" --length 4
}

# --- the command-less form of AWS's first version ----------------------------
#
# aws-nitro-enclaves-sdk-c's first kmstool_enclave_cli (bin/kmstool-enclave-cli/
# main.c at 8c333f4) had no commands: it parsed options from argv[1] with
# "r:x:k:s:t:c:K:a:h", decrypted --ciphertext, printed the base64 plaintext
# with fprintf(stdout, "%s", ...) -- no label, no newline -- and exited 1 on
# any failure ("Could not decrypt").  Its README's caller takes
# proc.communicate()[0].decode() as the plaintext.

@test "command-less: AWS's first version's argv decrypts and prints the bare base64, no newline" {
	up
	head -c 200 /dev/urandom >pt
	kms_seal pt blob
	$TOOL --region us-east-1 --proxy-port 8000 "${CREDS[@]}" --ciphertext "$(base64 -w0 blob)" >out 2>err
	printf '%s' "$(base64 -w0 pt)" | cmp - out
	[ ! -s err ]
	[ "$("$PYTHON" -c 'import sys; print(open(sys.argv[1]).read())' out)" = "$(base64 -w0 pt)" ]
	kms_logged Decrypt 1 "{\"CiphertextBlob\": \"$(base64 -w0 blob)\"}"
	# Its short letters, and --key-id with --encryption-algorithm.
	$TOOL -r us-east-1 -x 8000 -k "$KMS_AK" -s "$KMS_SK" -t "$KMS_TOK" -c "$(base64 -w0 blob)" \
		-K alias/test -a SYMMETRIC_DEFAULT >out
	printf '%s' "$(base64 -w0 pt)" | cmp - out
	kms_logged Decrypt 2 "{\"CiphertextBlob\": \"$(base64 -w0 blob)\", \"KeyId\": \"alias/test\",
		\"EncryptionAlgorithm\": \"SYMMETRIC_DEFAULT\"}"
	# An empty plaintext is no output at all.
	: >pt0
	kms_seal pt0 blob0
	$TOOL "${CREDS[@]}" --ciphertext "$(base64 -w0 blob0)" >out
	[ ! -s out ]
}

@test "command-less: every failure is exit 1, as that version's, with nothing on stdout" {
	up
	run -1 --separate-stderr $TOOL "${CREDS[@]}" --ciphertext "$(head -c 96 /dev/zero | base64 -w0)"
	[ "$output" = "" ]
	[ "$stderr" = "$TOOL: InvalidCiphertextException" ]
	run -1 --separate-stderr $TOOL "${CREDS[@]}" --ciphertext 'AQ*D'
	[ "$output" = "" ]
	[ "$stderr" = "$TOOL: --ciphertext is not base64: invalid base64 character at offset 2" ]
	run -1 --separate-stderr $TOOL --region us-east-1 "${CREDS[@]}" --ciphertext AQID --length 4
	[ "$stderr" = "$TOOL: option '--length' does not apply to decrypt" ]
	run -1 --separate-stderr $TOOL --ciphertext AQID "${CREDS[@]}" decrypt
	[ "$stderr" = "$TOOL: unexpected operand at position 9 (see '$TOOL --help')" ]
	# Only these went to KMS.
	[ "$(kms_requests)" -eq 1 ]
	# Without --ciphertext it is no command at all.
	run -1 --separate-stderr $TOOL --region us-east-1 "${CREDS[@]}"
	[ "$stderr" = "$TOOL: unknown command '--region': expected decrypt, genkey or genrandom (see '$TOOL --help')" ]
}

@test "command-less: the credentials are gone from /proc/PID/cmdline while the call runs" {
	up --delay 1
	printf 'cmdline check' >pt
	kms_seal pt blob
	local b64
	b64=$(base64 -w0 blob)
	argv_while_calling -k "$KMS_AK" --aws-secret-access-key="$KMS_SK" -t "$KMS_TOK" --ciphertext "$b64"
	[ "$(cat out)" = "$(base64 -w0 pt)" ]
	printf '%s\n' "$TOOL" -k "${KMS_AK//?/x}" "--aws-secret-access-key=${KMS_SK//?/x}" -t "${KMS_TOK//?/x}" \
		--ciphertext "$b64" | cmp - cmdline
}

# --- help, version, verbose ----------------------------------------------------------

@test "--help: usage of every command on stdout, exit 0; after a command, that command's" {
	run -0 --separate-stderr $TOOL --help
	[ "$stderr" = "" ]
	[[ $output == "Usage: $TOOL decrypt --ciphertext B64"* ]]
	local o
	for o in region proxy-port aws-access-key-id aws-secret-access-key aws-session-token ciphertext \
		key-id encryption-algorithm key-spec length help version; do
		[[ $output == *"--$o"* ]] || { echo "no --$o"; return 1; }
	done
	[[ $output == *"Exit codes, as AWS's tool: 0 ok, 1 usage, 255 any failure."* ]]
	[[ $output == *"Without a command"*"--ciphertext"*"bare base64"* ]]
	run -0 $TOOL genkey --help
	[[ ${lines[0]} == "Usage: $TOOL genkey --key-id KEY --key-spec AES-256|AES-128 [OPTIONS]" ]]
	[[ $output == *"--key-spec"* && $output != *"--ciphertext"* && $output != *"--length"* ]]
	run -0 $TOOL genrandom -h
	[[ ${lines[0]} == "Usage: $TOOL genrandom --length N [OPTIONS]" ]]
}

@test "--version names the suite and its libraries; --verbose tells the steps on stderr only" {
	run -0 $TOOL --version
	[[ ${lines[0]} == "$TOOL (nitrokit) "* ]]
	[[ $output == *OpenSSL* && $output == *libcurl* ]]
	up
	run -0 --separate-stderr $TOOL genrandom "${CREDS[@]}" --length 16 --verbose
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == "PLAINTEXT: "* ]]
	[[ $stderr == *"$TOOL: RSA-2048 key generated in "* ]]
	[[ $stderr == *"$TOOL: attestation document of "* ]]
	[[ $stderr == *"$TOOL: GenerateRandom: HTTP 200 in "* ]]
	[[ $stderr != *"$KMS_SK"* ]]
}
