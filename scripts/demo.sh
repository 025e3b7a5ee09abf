#!/bin/sh
# `make demo`: the nitrokit flow end to end on what exists so far, narrating each
# step and the command it runs.  Today: build an enclave image with eif-build,
# measure it with pcr-compute, write, evaluate, update and lint its key policy
# with policy-gen, sign the image, catch a tampered one, and boot simulated
# enclaves (nsm-sim) that attest, measure their configuration and get judged
# by the key policy, then KMS with attestation against the tests' KMS
# responder: seal on the parent, open in the enclave, and the denials.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
PATH="$root/bin:$PATH"
work=${DEMO_DIR:-$root/demo-out}
rm -rf "$work"
mkdir -p "$work"
cd "$work"

step() { printf '\n==> %s\n' "$*"; }
# Print the command as it could be pasted into a shell, then run it.
run() {
	printf '$'
	for a in "$@"; do
		case $a in
		*[!A-Za-z0-9_./=:@%+,-]*|'') printf " '%s'" "$a" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
	printf '\n'
	"$@"
}

step "1. Inputs: a kernel, a command line and two ramdisks (stand-ins: the demo has no real kernel)"
# Deterministic bytes so the demo's PCRs are the same on every machine.
run sh -c 'printf "nitrokit demo kernel\n%.0s" $(seq 4096) > vmlinuz'
run sh -c 'printf "init ramdisk\n%.0s" $(seq 2048) | gzip -n > init.cpio.gz'
run sh -c 'printf "the application\n%.0s" $(seq 8192) | gzip -n > app.cpio.gz'

step "2. Build the enclave image, reproducibly (SOURCE_DATE_EPOCH fixes the build time)"
export SOURCE_DATE_EPOCH=1700000000
run eif-build --kernel vmlinuz --cmdline "console=ttyS0 reboot=k panic=30" \
	--ramdisk init.cpio.gz --ramdisk app.cpio.gz --name demo --image-version 1.0 -o demo.eif

step "3. Measure it as nitro-cli would: PCR0 identifies the image, PCR1 the boot part, PCR2 the app"
run pcr-compute demo.eif

step "4. The same build again is byte-identical"
run eif-build --kernel vmlinuz --cmdline "console=ttyS0 reboot=k panic=30" \
	--ramdisk init.cpio.gz --ramdisk app.cpio.gz --name demo --image-version 1.0 -o demo2.eif >/dev/null
run cmp demo.eif demo2.eif && echo "identical"

step "5. Add what the parent instance contributes: PCR3 (IAM role) and PCR4 (instance id)"
run pcr-compute demo.eif --role-arn arn:aws:iam::123456789012:role/Webserver \
	--instance-id i-1234567890abcdef0 --format env

step "6. A key policy that admits only this image (and not its parent instance without attestation)"
ROLE=arn:aws:iam::123456789012:role/demo-enclave
run sh -c "pcr-compute demo.eif | policy-gen --measurements - --enclave-principal $ROLE \\
	--account 123456789012 --admin arn:aws:iam::123456789012:role/key-admin > policy.json"
run policy-gen --check policy.json && echo "policy-gen --check: no findings"
eval "$(pcr-compute --format env demo.eif)"
decide() {  # the tests' reference evaluator of IAM semantics (tests/fixtures/iam_eval.py)
	printf '%-62s ' "$1"; shift
	python3 "$root/tests/fixtures/iam_eval.py" policy.json -v "$@" || true
}
decide "the enclave, attested with this image's PCRs:" --action kms:Decrypt --principal "$ROLE" \
	--pcr "0=$PCR0" --pcr "1=$PCR1" --pcr "2=$PCR2"
decide "the same role from the parent, no attestation, IAM kms:*:" --action kms:Decrypt \
	--principal "$ROLE" --account-iam-allows 'kms:*'
decide "an enclave running a modified image (other PCR0):" --action kms:Decrypt --principal "$ROLE" \
	--pcr "0=$(printf '%096d' 1)" --pcr "1=$PCR1" --pcr "2=$PCR2"
ZERO=$(printf '%096d' 0)
decide "a debug-mode enclave (all-zero PCRs):" --action kms:Decrypt --principal "$ROLE" \
	--pcr "0=$ZERO" --pcr "1=$ZERO" --pcr "2=$ZERO"
decide "the key administrator changing the policy:" --action kms:PutKeyPolicy \
	--principal arn:aws:iam::123456789012:role/key-admin

step "7. Blue/green: admit a new build next to the old one, in place"
run sh -c 'printf "the application v2\n%.0s" $(seq 8192) | gzip -n > app2.cpio.gz'
run sh -c 'eif-build --kernel vmlinuz --cmdline "console=ttyS0 reboot=k panic=30" --ramdisk init.cpio.gz \
	--ramdisk app2.cpio.gz --name demo --image-version 2.0 -o demo-v2.eif > v2.json'
run policy-gen --merge policy.json --measurements v2.json --add -o policy.json
run sh -c 'grep -A3 "kms:RecipientAttestation:PCR0" policy.json | head -4'

step "8. The linter catches the classic mistake: a Deny on kms:* that locks administrators out"
cat > lockout.json <<JSON
{"Version": "2012-10-17", "Statement": [{"Sid": "DenyWithoutAttestation", "Effect": "Deny",
 "Principal": "*", "Action": "kms:*", "Resource": "*",
 "Condition": {"StringNotEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "$PCR0"}}}]}
JSON
run cat lockout.json
printf '$ policy-gen --check lockout.json\n'
rc=0; policy-gen --check lockout.json || rc=$?
[ "$rc" -eq 1 ] || { echo "demo: the lint did not fail (exit $rc)" >&2; exit 1; }

step "9. Sign the image: PCR8 pins the signing certificate"
run openssl ecparam -name secp384r1 -genkey -noout -out signing-key.pem
run openssl req -x509 -new -key signing-key.pem -subj /CN=demo-signer -days 30 -out signing-cert.pem
run eif-build --kernel vmlinuz --cmdline "console=ttyS0 reboot=k panic=30" \
	--ramdisk init.cpio.gz --ramdisk app.cpio.gz --name demo \
	--signing-key signing-key.pem --signing-cert signing-cert.pem -o signed.eif
run pcr-compute --signing-cert signing-cert.pem --format hex

step "10. describe-eif's view of the signed image: the signature checks out"
run pcr-compute --describe signed.eif

step "11. A tampered image is caught: one byte of the kernel changed"
cp signed.eif tampered.eif
printf 'X' | dd of=tampered.eif bs=1 seek=1000 conv=notrunc 2>/dev/null
printf '$ pcr-compute tampered.eif\n'
rc=0; pcr-compute tampered.eif || rc=$?
[ "$rc" -eq 3 ] || { echo "demo: tampering was not detected (exit $rc)" >&2; exit 1; }
echo "(exit status $rc, bad input data: the CRC no longer matches)"
echo "Even with the CRC ignored, PCR0 moves and the signature no longer covers it:"
run sh -c 'pcr-compute --describe tampered.eif | grep -E "\"PCR0\"|CheckCRC|SignatureCheck"'
pcr-compute --describe tampered.eif | grep -q '"SignatureCheck": false' ||
	{ echo "demo: the signature check did not fail" >&2; exit 1; }

step "12. A simulated enclave booted from the image: nsm-sim plays the Nitro Secure Module"
run nsm-sim --socket "$work/nsm.sock" --eif demo.eif --role-arn "$ROLE" --pki "$work/pki" \
	--pidfile "$work/nsm.pid" &
trap 'for p in "$work"/*.pid; do [ -f "$p" ] && kill -TERM "$(cat "$p")" 2>/dev/null; done' EXIT
while [ ! -s "$work/nsm.pid" ]; do sleep 0.05; done   # the pidfile appears once it accepts
export NITROKIT_NSM="unix:$work/nsm.sock"
run nsm-pcr describe 0
echo "(= PCR0 of step 3: the enclave reports the image it was booted from)"

step "13. The enclave's attestation document: a nonce from the verifier, an RSA key for KMS"
run openssl genpkey -quiet -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out enclave-key.pem
run sh -c 'openssl pkey -in enclave-key.pem -pubout | nsm-attest --public-key - \
	--nonce-hex 00112233445566778899aabbccddeeff -o attestation.cbor'
pcr-compute demo.eif > measurements.json
run sh -c "attest-verify --root '$work/pki/root.pem' --nonce-hex 00112233445566778899aabbccddeeff \
	--measurements measurements.json --format text attestation.cbor | grep -E '^(verified|PCR[0-3]:|nonce|checks)'"
echo "Would KMS decrypt for this enclave? The key policy of step 7, evaluated for this document:"
run attest-verify --root "$work/pki/root.pem" --policy policy.json --action kms:Decrypt \
	--principal "$ROLE" attestation.cbor
echo "(no Deny fired: the attested PCRs are the image's; the first Allow that matches decides)"
echo "The same document checked against the real AWS root is refused: it comes from a simulator."
printf '$ attest-verify attestation.cbor\n'
rc=0; attest-verify attestation.cbor >/dev/null || rc=$?
[ "$rc" -eq 1 ] || { echo "demo: a simulator document passed for AWS's (exit $rc)" >&2; exit 1; }

step "14. Measure the configuration into PCR16 inside the enclave, predicted on the build host"
run sh -c 'printf "{\"mode\": \"production\"}" > config.json'
run nsm-pcr extend 16 --data-file config.json
run pcr-compute --extend @config.json --format hex
run nsm-pcr lock 16
printf '$ nsm-pcr extend 16 --data-hex 00\n'
rc=0; nsm-pcr extend 16 --data-hex 00 || rc=$?
[ "$rc" -eq 5 ] || { echo "demo: a locked PCR was extended (exit $rc)" >&2; exit 1; }
echo "(exit status $rc: the NSM refuses to change a locked PCR)"

step "15. A debug-mode enclave reports all-zero PCRs, and the key policy turns it away"
run nsm-sim --socket "$work/debug.sock" --eif demo.eif --debug-mode --pki "$work/pki" \
	--pidfile "$work/debug.pid" &
while [ ! -s "$work/debug.pid" ]; do sleep 0.05; done
run nsm-pcr --nsm "unix:$work/debug.sock" describe 0
run nsm-attest --nsm "unix:$work/debug.sock" -o debug.cbor
printf '$ attest-verify --root %s --policy policy.json --action kms:Decrypt --principal %s debug.cbor\n' \
	"$work/pki/root.pem" "$ROLE"
rc=0; attest-verify --root "$work/pki/root.pem" --policy policy.json --action kms:Decrypt \
	--principal "$ROLE" debug.cbor || rc=$?
[ "$rc" -eq 1 ] || { echo "demo: the debug-mode enclave was allowed (exit $rc)" >&2; exit 1; }

step "16. KMS with attestation. A KMS stand-in on 127.0.0.1: the tests' KMS responder, which checks
    SigV4 and each attestation document against nsm-sim's root, and admits only this image's PCR0"
export AWS_ACCESS_KEY_ID=AKIDDEMO AWS_SECRET_ACCESS_KEY=demo-secret-key AWS_REGION=us-east-1
unset AWS_SESSION_TOKEN AWS_ENDPOINT_URL
run sh -c "/usr/bin/python3 '$root/tests/fixtures/kms_responder.py' --access-key AKIDDEMO \
	--secret-key demo-secret-key --root '$work/pki/root.pem' --require-pcr0 $PCR0 \
	--port-file '$work/kms.port' >/dev/null 2>'$work/kms.err' & echo \$! > '$work/kms.pid'"
while [ ! -s "$work/kms.port" ]; do sleep 0.05; done
export AWS_ENDPOINT_URL_KMS="http://127.0.0.1:$(cat "$work/kms.port")"
echo "AWS_ENDPOINT_URL_KMS=$AWS_ENDPOINT_URL_KMS (in an enclave: the vsock-proxy at 3:8000, TLS to KMS)"

step "17. The parent seals a secret (Encrypt takes no attestation); only the enclave opens it"
run sh -c 'printf "db-password-s3cr3t" | kms-encrypt --key-id alias/test --context app=demo \
	--plaintext-file - -o secret.enc'
run sh -c 'kms-decrypt --key-id alias/test --context app=demo --ciphertext-file secret.enc --verbose \
	-f base64 | base64 -d; echo'
echo "The drop-in that existing enclave applications call (AWS's tool takes no encryption context):"
run sh -c 'printf "api-token-42" | kms-encrypt --key-id alias/test --plaintext-file - -o token.enc'
run sh -c 'kmstool_enclave_cli decrypt --ciphertext "$(base64 -w0 token.enc)"'
echo "A data key for envelope encryption, the plaintext key only in a 0600 file:"
run kms-genkey --key-id alias/test --key-spec AES_256 --plaintext-out data.key --ciphertext-out data.key.enc \
	-o /dev/null
run ls -l data.key data.key.enc

step "18. The denials that protect the data"
echo "A debug-mode enclave (all-zero PCRs), same request:"
printf '$ NITROKIT_NSM=unix:%s/debug.sock kms-decrypt --key-id alias/test --context app=demo --ciphertext-file secret.enc\n' "$work"
rc=0; NITROKIT_NSM="unix:$work/debug.sock" kms-decrypt --key-id alias/test --context app=demo \
	--ciphertext-file secret.enc -f base64 || rc=$?
[ "$rc" -eq 5 ] || { echo "demo: the debug-mode enclave got the secret (exit $rc)" >&2; exit 1; }
echo "A modified image (the v2 build of step 7, not admitted by this stand-in):"
run nsm-sim --socket "$work/v2.sock" --eif demo-v2.eif --pki "$work/pki" --pidfile "$work/v2.pid" &
while [ ! -s "$work/v2.pid" ]; do sleep 0.05; done
printf '$ NITROKIT_NSM=unix:%s/v2.sock kms-decrypt ... secret.enc\n' "$work"
rc=0; NITROKIT_NSM="unix:$work/v2.sock" kms-decrypt --key-id alias/test --context app=demo \
	--ciphertext-file secret.enc -f base64 || rc=$?
[ "$rc" -eq 5 ] || { echo "demo: the modified image got the secret (exit $rc)" >&2; exit 1; }
if command -v aws >/dev/null 2>&1 && aws --version >/dev/null 2>&1; then
	echo "The parent itself, with the same credentials but no attestation document (AWS CLI):"
	printf '$ aws kms decrypt --endpoint-url %s --ciphertext-blob fileb://secret.enc ...\n' "$AWS_ENDPOINT_URL_KMS"
	rc=0; AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_DEFAULT_REGION=us-east-1 aws kms decrypt \
		--endpoint-url "$AWS_ENDPOINT_URL_KMS" --ciphertext-blob fileb://secret.enc \
		--encryption-context app=demo >/dev/null || rc=$?
	[ "$rc" -ne 0 ] || { echo "demo: the parent decrypted without attestation" >&2; exit 1; }
else
	echo "(the AWS CLI is not installed: the parent-without-attestation denial is shown in the tests)"
fi

step "Done. The files are in $work"
