#!/bin/sh
# `make demo`: the nitrokit flow end to end on what exists so far, narrating each
# step and the command it runs.  Today: build an enclave image with eif-build,
# measure it with pcr-compute, write, evaluate, update and lint its key policy
# with policy-gen, sign the image, and catch a tampered one.
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

step "Done. The files are in $work"
