#!/usr/bin/env bats
# kms-encrypt against the KMS test responder: the blob we write is opened with
# the responder's own key derivation and blob layout and must give back the
# input; the responder's log shows the request carried the key id, context
# and grant tokens and no Recipient (Encrypt takes no attestation).
load common
load nsm_sim
load kms

@test "a file to a raw blob that opens to it; no Recipient, no NSM needed" {
	kms_up
	export NITROKIT_NSM=unix:$T/no-such.sock
	printf 'attack at dawn\n' >pt
	run --separate-stderr -0 kms-encrypt --key-id alias/test --plaintext-file pt -o ct.bin
	[ -z "$output" ] && [ -z "$stderr" ]
	[ "$(stat -c %a ct.bin)" = 600 ]
	kms_open ct.bin | cmp pt -
	kms_logged_plain Encrypt 1 '{"KeyId": "alias/test", "Plaintext": "YXR0YWNrIGF0IGRhd24K"}'
	# raw to a pipe needs no --force
	kms-encrypt --key-id alias/test --plaintext-file pt >ct2.bin
	kms_open ct2.bin | cmp pt -
}

@test "standard input, base64, --context and --grant-token" {
	kms_up
	head -c 4096 /dev/urandom >pt
	run --separate-stderr -0 kms-encrypt --key-id alias/other --plaintext-file - --format base64 \
		--context app=vault --context "who=the enclave" --grant-token G1 --grant-token G2 <pt
	[ "${#lines[@]}" -eq 1 ]
	printf '%s' "$output" | base64 -d >ct.bin
	kms_open ct.bin '{"app": "vault", "who": "the enclave"}' | cmp pt -
	run ! kms_open ct.bin '{"app": "vault"}'
	kms_logged_plain Encrypt 1 "{\"KeyId\": \"alias/other\", \"Plaintext\": \"$(base64 -w0 pt)\",
		\"EncryptionContext\": {\"app\": \"vault\", \"who\": \"the enclave\"}, \"GrantTokens\": [\"G1\", \"G2\"]}"
}

@test "--encryption-algorithm goes into the request; KMS's refusal is shown verbatim" {
	kms_up
	printf x >pt
	run --separate-stderr -0 kms-encrypt --key-id alias/test --plaintext-file pt -f base64 \
		--encryption-algorithm SYMMETRIC_DEFAULT
	kms_logged_plain Encrypt 1 '{"KeyId": "alias/test", "Plaintext": "eA==", "EncryptionAlgorithm": "SYMMETRIC_DEFAULT"}'
	run --separate-stderr -5 kms-encrypt --key-id alias/test --plaintext-file pt -f base64 \
		--encryption-algorithm RSAES_OAEP_SHA_256
	[ "$stderr" = "kms-encrypt: InvalidKeyUsageException: RSAES_OAEP_SHA_256 is not supported by this symmetric key" ]
	[ -z "$output" ]
}

@test "bad input: missing, directory, empty, oversized (file and stdin): exit and message, no call" {
	kms_up
	: >empty
	head -c 4097 /dev/zero >big
	mkdir adir
	run --separate-stderr -4 kms-encrypt --key-id alias/test --plaintext-file missing
	[ "$stderr" = "kms-encrypt: cannot open 'missing': No such file or directory" ]
	run --separate-stderr -4 kms-encrypt --key-id alias/test --plaintext-file adir
	[ "$stderr" = "kms-encrypt: cannot read 'adir': Is a directory" ]
	run --separate-stderr -3 kms-encrypt --key-id alias/test --plaintext-file empty
	[ "$stderr" = "kms-encrypt: 'empty' is empty: Encrypt takes 1 to 4096 bytes" ]
	run --separate-stderr -3 kms-encrypt --key-id alias/test --plaintext-file - </dev/null
	[ "$stderr" = "kms-encrypt: 'standard input' is empty: Encrypt takes 1 to 4096 bytes" ]
	run --separate-stderr -3 kms-encrypt --key-id alias/test --plaintext-file big -o ct.bin
	[ "$stderr" = "kms-encrypt: 'big' is too large for Encrypt (more than 4096 bytes): encrypt a data key from kms-genkey instead" ]
	[ ! -e ct.bin ]
	run --separate-stderr -3 kms-encrypt --key-id alias/test --plaintext-file - <big
	[ "$stderr" = "kms-encrypt: 'standard input' is too large for Encrypt (more than 4096 bytes): encrypt a data key from kms-genkey instead" ]
	[ -z "$output" ]
	[ "$(kms_requests)" -eq 0 ]
	# exactly 4096 bytes is fine
	head -c 4096 big >max
	kms-encrypt --key-id alias/test --plaintext-file max -o ct.bin
	kms_open ct.bin | cmp max -
}

@test "bad command lines: exit 2 with the reason, before any call" {
	kms_up
	printf x >pt
	local -a cases=(
		"--key-id is required|--plaintext-file pt"
		"--plaintext-file is required (FILE, or - for standard input)|--key-id alias/test"
		"invalid value 'hex' for --format: expected one of raw|base64|--key-id k --plaintext-file pt -f hex"
		"invalid value 'AES' for --encryption-algorithm: expected one of SYMMETRIC_DEFAULT|RSAES_OAEP_SHA_1|RSAES_OAEP_SHA_256|SM2PKE|--key-id k --plaintext-file pt --encryption-algorithm AES"
		"invalid value 'app' for --context: expected KEY=VALUE|--key-id k --plaintext-file pt --context app"
		"--context key 'a' given twice|--key-id k --plaintext-file pt --context a=1 --context a=2"
		"--grant-token must not be empty|--key-id k --plaintext-file pt --grant-token="
		"--plaintext-file must not be empty|--key-id k --plaintext-file="
		"--plaintext-file and --credentials cannot both read standard input|--key-id k --plaintext-file - --credentials -"
		"--plaintext-file and --credentials cannot both read standard input|--key-id k --credentials - --plaintext-file -"
		"option '--plaintext-file' given more than once|--key-id k --plaintext-file pt --plaintext-file pt"
		"unknown option '--rsa-bits' (see 'kms-encrypt --help')|--key-id k --plaintext-file pt --rsa-bits 2048"
		"unexpected operand 'pt' (usage: kms-encrypt --key-id KEY --plaintext-file FILE|- [--context K=V]... [-f raw|base64] [-o FILE])|--key-id k pt"
		"unknown option '--nsm' (see 'kms-encrypt --help')|--key-id k --plaintext-file pt --nsm unix:x"
		"invalid value '99' for --retries: expected 0 to 10|--key-id k --plaintext-file pt --retries 99"
		"invalid value '0' for --timeout: expected 1 to 3600|--key-id k --plaintext-file pt --timeout 0"
		"--endpoint and --vsock cannot be used together|--key-id k --plaintext-file pt --endpoint http://127.0.0.1:1 --vsock 3:8000"
	)
	local c msg
	for c in "${cases[@]}"; do
		msg=${c%|--key-id*}
		msg=${msg%|--plaintext-file pt}
		# shellcheck disable=SC2086
		run --separate-stderr -2 kms-encrypt ${c#"$msg|"}
		[ -z "$output" ] || { echo "stdout for: $c"; return 1; }
		[ "$stderr" = "kms-encrypt: $msg" ] || { echo "for: $c"; echo "got: $stderr"; return 1; }
	done
	run -2 script -qec "kms-encrypt --key-id alias/test --plaintext-file pt" /dev/null
	[[ "$output" == *"kms-encrypt: refusing to write binary data to a terminal (use -o FILE or --force)"* ]]
	[ "$(kms_requests)" -eq 0 ]
	run -0 script -qec "kms-encrypt --key-id alias/test --plaintext-file pt --force >/dev/null" /dev/null
	[ "$(kms_requests)" -eq 1 ]
}

@test "typed option values (cli): control characters and oversized values, exit 2 before any call" {
	kms_up
	printf x >pt
	run --separate-stderr -2 kms-encrypt --key-id $'alias/test\x01' --plaintext-file pt
	[ "$stderr" = "kms-encrypt: --key-id must not contain control characters (byte 11 is 0x01)" ]
	run --separate-stderr -2 kms-encrypt --key-id alias/test --plaintext-file pt --grant-token $'g\n'
	[ "$stderr" = "kms-encrypt: --grant-token must not contain control characters (byte 2 is 0x0a)" ]
	run --separate-stderr -2 kms-encrypt --key-id alias/test --plaintext-file pt \
		--grant-token "$(head -c 8193 /dev/zero | tr '\0' g)"
	[ "$stderr" = "kms-encrypt: --grant-token is longer than 8192 bytes" ]
	run --separate-stderr -2 kms-encrypt --key-id alias/test --plaintext-file pt --ca-bundle=
	[ "$stderr" = "kms-encrypt: --ca-bundle must not be empty" ]
	[ -z "$output" ]
	[ "$(kms_requests)" -eq 0 ]
	# KMS's longest grant token is taken (and refused by KMS, not here).
	run --separate-stderr kms-encrypt --key-id alias/test --plaintext-file pt -f base64 \
		--grant-token "$(head -c 8192 /dev/zero | tr '\0' g)"
	[ "$(kms_requests)" -eq 1 ]
}

@test "KMS refusals verbatim, exit 5, not retried, nothing written" {
	kms_up
	printf x >pt
	run --separate-stderr -5 kms-encrypt --key-id alias/denied --plaintext-file pt -o ct.bin
	[ "$stderr" = "kms-encrypt: $KMS_DENIED" ]
	[ ! -e ct.bin ]
	[ "$(kms_requests)" -eq 1 ]
	run --separate-stderr -5 kms-encrypt --key-id alias/nope --plaintext-file pt -f base64
	[ "$stderr" = "kms-encrypt: NotFoundException: Key 'alias/nope' does not exist" ]
	[ -z "$output" ]
	run --separate-stderr -5 kms-encrypt --key-id alias/disabled --plaintext-file pt -f base64
	[ "$stderr" = "kms-encrypt: DisabledException: arn:aws:kms:us-east-1:111122223333:key/66666666-7777-8888-9999-000000000000 is disabled." ]
	[ "$(kms_requests)" -eq 3 ]
}

@test "throttling and dropped connections are retried; 5xx past --retries is exit 6" {
	kms_up --throttle 2
	printf x >pt
	run --separate-stderr -0 kms-encrypt --key-id alias/test --plaintext-file pt -o ct.bin
	[ "$(kms_requests)" -eq 3 ]
	[ "$(kms_log_field 2 error)" = ThrottlingException ]
	kms_open ct.bin | cmp pt -
	kms_restart --drop 1
	run --separate-stderr -0 kms-encrypt --key-id alias/test --plaintext-file pt -f base64
	[ "$(kms_requests)" -eq 2 ]
	kms_restart --status 503
	run --separate-stderr -6 kms-encrypt --key-id alias/test --plaintext-file pt --retries 0 -o ct2.bin
	[ "$stderr" = "kms-encrypt: KMS still failing after 1 attempt: ServiceUnavailableException: injected by kms-responder" ]
	[ "$(kms_requests)" -eq 1 ]
	run --separate-stderr -6 kms-encrypt --key-id alias/test --plaintext-file pt --retries 1 -o ct2.bin
	[ "$stderr" = "kms-encrypt: KMS still failing after 2 attempts: ServiceUnavailableException: injected by kms-responder" ]
	[ "$(kms_requests)" -eq 3 ]
	[ ! -e ct2.bin ]
}

@test "missing credentials: exit 2 with what to set; --credentials FILE and -" {
	kms_up
	printf x >pt
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
	run --separate-stderr -2 kms-encrypt --key-id alias/test --plaintext-file pt -f base64
	[ "$stderr" = "kms-encrypt: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give --credentials FILE" ]
	[ "$(kms_requests)" -eq 0 ]
	printf '{"AccessKeyId": "%s", "SecretAccessKey": "%s", "Token": "%s", "Expiration": "2099-01-01T00:00:00Z"}\n' \
		"$KMS_AK" "$KMS_SK" "$KMS_TOK" >creds.json
	run --separate-stderr -0 kms-encrypt --key-id alias/test --plaintext-file pt -f base64 --credentials creds.json
	kms_logged_plain Encrypt 1 '{"KeyId": "alias/test", "Plaintext": "eA=="}'
	run --separate-stderr -0 kms-encrypt --key-id alias/test --plaintext-file pt -f base64 --credentials - <creds.json
	kms_logged_plain Encrypt 2 '{"KeyId": "alias/test", "Plaintext": "eA=="}'
}

@test "a key policy on PCR0 does not stop Encrypt: the parent seals for the enclave" {
	local pcr0
	pcr0=$(json_get "$(cat "$F/app.pcrs")" PCR0)
	kms_up_debug --require-pcr0 "$pcr0"
	printf 'for the enclave only' >pt
	run --separate-stderr -0 kms-encrypt --key-id alias/test --plaintext-file pt -o ct.bin
	kms_open ct.bin | cmp pt -
	kms_logged_plain Encrypt 1 '{"KeyId": "alias/test", "Plaintext": "Zm9yIHRoZSBlbmNsYXZlIG9ubHk="}'
}

@test "--endpoint, --region and --verbose; the default target is https://kms.REGION.amazonaws.com/" {
	kms_up
	printf x >pt
	local url=$AWS_ENDPOINT_URL_KMS
	unset AWS_ENDPOINT_URL_KMS AWS_REGION
	run --separate-stderr -0 kms-encrypt --key-id alias/test --plaintext-file pt -f base64 \
		--endpoint "$url" --region us-east-1 --timeout 20 -v
	[[ "$stderr" == *"kms-encrypt: KMS at '$url', region us-east-1"* ]]
	[[ "$stderr" =~ kms-encrypt:\ Encrypt:\ HTTP\ 200\ in\ [0-9.]+\ ms\ \(1\ attempt ]]
	[[ "$stderr" != *"RSA"* && "$stderr" != *"attestation"* ]]
	kms_logged_plain Encrypt 1 '{"KeyId": "alias/test", "Plaintext": "eA=="}'
	# no endpoint: KMS itself, straight over TCP (not vsock); the empty
	# plaintext stops the run before any connection
	: >empty
	run --separate-stderr -3 kms-encrypt --key-id alias/test --plaintext-file empty --region eu-west-1 -v
	[[ "$stderr" == *"kms-encrypt: KMS at 'https://kms.eu-west-1.amazonaws.com/', region eu-west-1"$'\n'* ]]
	run --separate-stderr -3 kms-encrypt --key-id alias/test --plaintext-file empty --fips -v
	[[ "$stderr" == *"kms-encrypt: KMS at 'https://kms-fips.us-east-1.amazonaws.com/', region us-east-1"$'\n'* ]]
}
