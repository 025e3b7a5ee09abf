#!/usr/bin/env bats
# kms-random against nsm-sim and the KMS test responder: the length of what
# we print, that two runs differ, and what the responder logged (GenerateRandom
# with NumberOfBytes and a Recipient whose document verified).
load common
load nsm_sim
load kms

@test "default: 32 bytes as one line of hex, like nsm-random; two runs differ" {
	kms_up
	run --separate-stderr -0 kms-random
	[ -z "$stderr" ]
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	local first=$output
	run --separate-stderr -0 kms-random
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	[ "$output" != "$first" ]
	kms_logged GenerateRandom 1 '{"NumberOfBytes": 32}'
	kms_logged GenerateRandom 2 '{"NumberOfBytes": 32}'
}

@test "--bytes 1 and 1024 with base64, hex and raw" {
	kms_up
	run --separate-stderr -0 kms-random --bytes 1 --format base64
	[ "$(printf '%s' "$output" | base64 -d | wc -c)" -eq 1 ]
	kms_logged GenerateRandom 1 '{"NumberOfBytes": 1}'
	run --separate-stderr -0 kms-random -n 1024 -f hex
	[[ "$output" =~ ^[0-9a-f]{2048}$ ]]
	kms_logged GenerateRandom 2 '{"NumberOfBytes": 1024}'
	kms-random --bytes 48 --format raw >r.bin
	[ "$(stat -c %s r.bin)" -eq 48 ]
	kms_logged GenerateRandom 3 '{"NumberOfBytes": 48}'
}

@test "--format kmstool prints one PLAINTEXT line, as kmstool_enclave_cli genrandom" {
	kms_up
	run --separate-stderr -0 kms-random --bytes 24 --format kmstool
	[ "${#lines[@]}" -eq 1 ]
	[[ "$output" =~ ^PLAINTEXT:\ [A-Za-z0-9+/]+=*$ ]]
	[ "$(printf '%s' "${output#PLAINTEXT: }" | base64 -d | wc -c)" -eq 24 ]
}

@test "-o FILE: mode 0600, nothing on stdout; raw refused on a terminal unless --force" {
	kms_up
	run --separate-stderr -0 kms-random -n 16 -f raw -o key.bin
	[ -z "$output" ]
	[ "$(stat -c %a key.bin)" = 600 ]
	[ "$(stat -c %s key.bin)" -eq 16 ]
	run --separate-stderr -0 kms-random --output key.hex
	[ -z "$output" ]
	[[ "$(cat key.hex)" =~ ^[0-9a-f]{64}$ ]]
	[ "$(kms_requests)" -eq 2 ]
	run -2 script -qec "kms-random -f raw" /dev/null
	[[ "$output" == *"kms-random: refusing to write binary data to a terminal (use -o FILE or --force)"* ]]
	[ "$(kms_requests)" -eq 2 ]
	run -0 script -qec "kms-random -n 4 -f raw --force >/dev/null" /dev/null
	[ "$(kms_requests)" -eq 3 ]
}

@test "bad command lines: exit 2 with the reason, before any NSM or KMS call" {
	kms_up
	local -a cases=(
		"invalid value '0' for --bytes: expected 1 to 1024|--bytes 0"
		"invalid value '1025' for --bytes: expected 1 to 1024|--bytes 1025"
		"invalid value 'abc' for --bytes: expected 1 to 1024|--bytes abc"
		"invalid value '-1' for --bytes: expected 1 to 1024|--bytes -1"
		"invalid value 'json' for --format: expected one of raw|hex|base64|kmstool|--format json"
		"--output must not be empty|--output="
		"unexpected operand '32' (usage: kms-random [--bytes N] [-f raw|hex|base64|kmstool] [-o FILE])|32"
		"option '--bytes' given more than once|--bytes 1 --bytes 2"
		"invalid value '3' for --rsa-bits: expected one of 2048|4096|--rsa-bits 3"
		"--nsm must not be empty|--nsm="
		"invalid value 'x' for --retries: expected 0 to 10|--retries x"
		"--credentials must not be empty|--credentials="
		"--ca-bundle must not be empty|--ca-bundle="
		"--vsock must not be empty|--vsock="
		"option '--region' given more than once|--region us-east-1 --region us-east-2"
	)
	local c msg
	for c in "${cases[@]}"; do
		msg=${c%|*}
		# shellcheck disable=SC2086
		run --separate-stderr -2 kms-random ${c##*|}
		[ -z "$output" ] || { echo "stdout for: $c"; return 1; }
		[ "$stderr" = "kms-random: $msg" ] || { echo "for: $c"; echo "got: $stderr"; return 1; }
	done
	[ "$(kms_requests)" -eq 0 ]
}

@test "typed option values (cli): control characters and oversized values, exit 2 before any call" {
	export NITROKIT_NSM="unix:$T/no-nsm.sock" AWS_ENDPOINT_URL_KMS=http://127.0.0.1:9
	run --separate-stderr -2 kms-random --endpoint $'http://127.0.0.1:9/\r\nX: 1'
	[ "$stderr" = "kms-random: --endpoint must not contain control characters (byte 20 is 0x0d)" ]
	run --separate-stderr -2 kms-random --vsock $'3:8000\x7f'
	[ "$stderr" = "kms-random: --vsock must not contain control characters (byte 7 is 0x7f)" ]
	run --separate-stderr -2 kms-random --region "$(head -c 4097 /dev/zero | tr '\0' r)"
	[ "$stderr" = "kms-random: --region is longer than 4096 bytes" ]
	run --separate-stderr -2 kms-random -o "$(head -c 4096 /dev/zero | tr '\0' o)"
	[ "$stderr" = "kms-random: --output is longer than 4095 bytes" ]
	run --separate-stderr -2 kms-random --credentials - --endpoint http://127.0.0.1:9 --vsock 3:8000
	[ "$stderr" = "kms-random: --endpoint and --vsock cannot be used together" ]
	[ -z "$output" ]
}

@test "KMS refusals verbatim, exit 5, nothing written" {
	kms_up --deny "no kms:GenerateRandom for this role"
	run --separate-stderr -5 kms-random -o r.hex
	[ "$stderr" = "kms-random: AccessDeniedException: no kms:GenerateRandom for this role" ]
	[ -z "$output" ]
	[ ! -e r.hex ]
	[ "$(kms_requests)" -eq 1 ]
}

@test "throttling and dropped connections are retried; 5xx past --retries is exit 6" {
	kms_up --throttle 1
	run --separate-stderr -0 kms-random -n 8
	[ "$(kms_requests)" -eq 2 ]
	[ "$(kms_log_field 1 error)" = ThrottlingException ]
	kms_logged GenerateRandom 2 '{"NumberOfBytes": 8}'
	kms_restart --drop 2
	run --separate-stderr -0 kms-random -n 8
	[ "$(kms_requests)" -eq 3 ]
	kms_restart --status 503
	run --separate-stderr -6 kms-random --retries 0
	[ "$stderr" = "kms-random: KMS still failing after 1 attempt: ServiceUnavailableException: injected by kms-responder" ]
	[ -z "$output" ]
	[ "$(kms_requests)" -eq 1 ]
	run --separate-stderr -6 kms-random --retries 1 -o r.hex
	[ "$stderr" = "kms-random: KMS still failing after 2 attempts: ServiceUnavailableException: injected by kms-responder" ]
	[ "$(kms_requests)" -eq 3 ]
	[ ! -e r.hex ]
	kms_restart --status 500:1
	run --separate-stderr -0 kms-random --retries 1
	[ "$(kms_log_field 1 error)" = KMSInternalException ]
	[ "$(kms_requests)" -eq 2 ]
}

@test "missing credentials: exit 2 with what to set; --credentials FILE and -" {
	kms_up
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
	run --separate-stderr -2 kms-random
	[ "$stderr" = "kms-random: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give --credentials FILE" ]
	[ "$(kms_requests)" -eq 0 ]
	printf '{"AccessKeyId": "%s", "SecretAccessKey": "%s", "Token": "%s", "Expiration": "2099-01-01T00:00:00Z"}\n' \
		"$KMS_AK" "$KMS_SK" "$KMS_TOK" >creds.json
	run --separate-stderr -0 kms-random --credentials creds.json
	kms_logged GenerateRandom 1 '{"NumberOfBytes": 32}'
	run --separate-stderr -0 kms-random --credentials - <creds.json
	kms_logged GenerateRandom 2 '{"NumberOfBytes": 32}'
	printf '{"AccessKeyId": "%s", "SecretAccessKey": "%s", "Expiration": "2001-01-01T00:00:00Z"}\n' \
		"$KMS_AK" "$KMS_SK" >old.json
	run --separate-stderr -3 kms-random --credentials old.json
	[ "$stderr" = "kms-random: credentials expired at 2001-01-01T00:00:00Z" ]
	[ "$(kms_requests)" -eq 2 ]
}

@test "debug-mode enclave and a key policy on PCR0: AccessDenied, exit 5" {
	local pcr0
	pcr0=$(json_get "$(cat "$F/app.pcrs")" PCR0)
	kms_up_debug --require-pcr0 "$pcr0"
	run --separate-stderr -5 kms-random
	[ "$stderr" = "kms-random: AccessDeniedException: PCR0 of the attestation document does not match the key policy" ]
	[ -z "$output" ]
	[ "$(kms_log_field 1 attestation)" = ok ]
	[ "$(kms_log_field 1 pcr0)" = "$(printf '0%.0s' {1..96})" ]
}

@test "--nsm, --endpoint, --region, --rsa-bits 4096, --timeout and --verbose" {
	kms_up
	local nsm=$NITROKIT_NSM url=$AWS_ENDPOINT_URL_KMS
	unset NITROKIT_NSM AWS_ENDPOINT_URL_KMS AWS_REGION
	run --separate-stderr -0 kms-random --nsm "$nsm" --endpoint "$url" --region us-east-1 \
		--rsa-bits 4096 --timeout 20 --verbose
	[[ "$output" =~ ^[0-9a-f]{64}$ ]]
	kms_logged GenerateRandom 1 '{"NumberOfBytes": 32}'
	[[ "$stderr" == *"kms-random: KMS at '$url', region us-east-1"* ]]
	[[ "$stderr" == *"kms-random: RSA-4096 key generated in "*" ms"* ]]
	[[ "$stderr" == *"kms-random: attestation document of "*" bytes in "*" ms"* ]]
	[[ "$stderr" =~ kms-random:\ GenerateRandom:\ HTTP\ 200\ in\ [0-9.]+\ ms\ \(1\ attempt ]]
}

@test "default target is the vsock-proxy; a missing NSM is exit 4 before any call" {
	kms_env
	unset AWS_ENDPOINT_URL_KMS
	run --separate-stderr -4 kms-random -v --nsm "unix:$T/no-such.sock" --vsock 3:8000
	[[ "$stderr" == *"kms-random: KMS at 'https://kms.us-east-1.amazonaws.com/' through vsock, region us-east-1"* ]]
	[[ "$stderr" == *"kms-random: cannot connect to nsm-sim at '$T/no-such.sock': No such file or directory" ]]
	[ -z "$output" ]
}
