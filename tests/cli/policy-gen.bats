#!/usr/bin/env bats
# policy-gen against its contract (/work/notes/policy-gen-contract.md, DESIGN §4.6).
# Expected policies are written here from the contract; PCR values come from the
# published known answers and from tests/fixtures/mkeif.py (hashlib); whether a
# policy keeps its promise is decided by tests/fixtures/iam_eval.py, an IAM
# evaluator independent of lib/policy*.c.  Nothing expected is taken from
# policy-gen's own output.
load common

MKEIF="$FIXTURES/mkeif.py"
IAM_EVAL="$FIXTURES/iam_eval.py"
# pyenv's python3 is a shell shim that costs ~0.25 s a call: use the interpreter behind it.
PYTHON=${PY_REAL:-$PYTHON}

ACCT=111122223333
ROLE=arn:aws:iam::111122223333:role/enclave
ROLE2=arn:aws:iam::111122223333:role/enclave-green
SESSION=arn:aws:sts::111122223333:assumed-role/enclave/i-0123456789abcdef0
ADMIN=arn:aws:iam::111122223333:role/key-admin
ADMIN2=arn:aws:iam::111122223333:user/alice
OWNER=arn:aws:iam::111122223333:role/data-owner
OTHER=arn:aws:iam::111122223333:role/app-server
ROOT=arn:aws:iam::111122223333:root
HASHALG='Sha384 { ... }'
# Published known answers (pcr-compute's contract / DESIGN §4.2).
A0=d85ed11aaa1433bf0e2d24c74a2ce354f1807ad618e051c8949a29a984ae512f806c07a8065383e6d42391fbe9798e2d
A1=21b83ac9fe90acad86ecd150db84c0cdf35f905bd567bda301ede12b02550dfbf6e55390f0ffb684bbffc106b627794d
A2=206f7853ba2810292cd7f9f234e1fbb421743a02e760d0c55621704f937944356bba7236ab1011c1c8c36fbbde101df7
P3=78fce75db17cd4e0a3fb8dad3ad128ca5e77edbb2b2c7f75329dccd99aa5f6ef4fc1f1a452e315b9e98f9e312e6921e6
P4=08f996b5d43e047a9eb51e7f548bfee7e164fd7dc8f65541f2ac09d6545ac812719327281c401a67a10fcba87ae79ce0
P3_ARN=arn:aws:iam::123456789012:role/Webserver
Z=000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000
# Arbitrary well-formed values for the command line.
X1=111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111
X2=2222222222222222222222222222222222222222222222222222222222222222222222222222222222222222abcdef00
X3=33333333333333333333333333333333333333333333333333333333333333333333333333333333333333333333cafe
ADMIN_ACTIONS='["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:TagResource","kms:UntagResource","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion","kms:RotateKeyOnDemand"]'
NO_ADMIN_WARNING='no --account or --admin: nobody can change this key policy afterwards'
DEBUG_WARNING='--debug-mode admits any debug-mode enclave (all-zero PCRs): never use this policy in production'
RANDOM_WARNING='kms:GenerateRandom has no key: a key policy cannot grant it; put the same condition in an IAM policy'
ALLOW_MSG="expected decrypt, generate-data-key, generate-data-key-pair, generate-random or derive-shared-secret"

setup_file() {
	export F="$BATS_FILE_TMPDIR"
	PY_REAL=$("$PYTHON" -c 'import sys; print(sys.executable)') && export PY_REAL && PYTHON=$PY_REAL
	# Image "A" is the published synthetic EIF; image "B" another one (blue/green).
	"$PYTHON" "$MKEIF" --synthetic -o "$F/a.eif"
	"$PYTHON" "$MKEIF" --kernel-bytes rand:4096:7 --cmdline 'console=ttyS0' \
		--ramdisk-bytes rep:300:blue- --ramdisk-bytes rep:50:green- -o "$F/b.eif" --pcrs >"$F/b.pcrs"
	# Real measurement files, as users feed them: pcr-compute's default and --describe forms.
	if [ -x "$NK_ROOT/bin/pcr-compute" ]; then
		pcr-compute "$F/a.eif" >"$F/a.json"
		pcr-compute --describe "$F/a.eif" >"$F/a-describe.json"
		pcr-compute "$F/b.eif" >"$F/b.json"
		pcr-compute --role-arn "$P3_ARN" "$F/a.eif" >"$F/a-pcr3.json"
	fi
	if command -v openssl >/dev/null; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes -subj "/CN=nitrokit policy test" \
			-days 30 -keyout "$F/k.pem" -out "$F/c.pem" 2>/dev/null
		"$PYTHON" "$MKEIF" --synthetic --sign-key "$F/k.pem" --sign-cert "$F/c.pem" -o "$F/signed.eif" --pcrs >"$F/signed.pcrs"
		[ -x "$NK_ROOT/bin/pcr-compute" ] && pcr-compute "$F/signed.eif" >"$F/signed.json"
	fi
	true
}

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T" || return 1
	[ -x "$NK_ROOT/bin/policy-gen" ] || [[ "$BATS_TEST_DESCRIPTION" == iam_eval.py:* ]] || skip "bin/policy-gen is not built"
	B0=$(pcrs_of "$F/b.pcrs" PCR0)
	B1=$(pcrs_of "$F/b.pcrs" PCR1)
	B2=$(pcrs_of "$F/b.pcrs" PCR2)
	cp "$F/a.json" "$F/b.json" .
}

# pcrs_of FILE KEY: one value of mkeif.py --pcrs's JSON (hashlib, not our code).
pcrs_of() {
	sed -n "s/.*\"$2\": \"\\([0-9a-f]*\\)\".*/\\1/p" "$1"
}

need_signed() {
	[ -f "$F/signed.json" ] || skip "openssl not available"
}

up() {
	printf '%s' "$1" | tr a-f A-F
}

# --- expected policies, built from the contract's text ---

# js V...: one value as a JSON string, several as an array (values, Principal.AWS, Action).
js() {
	if [ $# -eq 1 ]; then
		printf '"%s"' "$1"
		return
	fi
	local out='[' sep='' v
	for v; do
		out+="$sep\"$v\""
		sep=,
	done
	printf '%s]' "$out"
}

# enclave STYLE PRINCIPALS_JSON ACTIONS_JSON KEYNAME=VALUES_JSON...: the owned statements
# (step 4) with $PFX (default NitrokitEnclave) and $DBG ("" or "Debug").
enclave() {
	local style=$1 pr=$2 ac=$3 kv all='' sep='' out dp
	shift 3
	local pfx=${PFX:-NitrokitEnclave}
	for kv; do
		all+="$sep\"kms:RecipientAttestation:${kv%%=*}\":${kv#*=}"
		sep=,
	done
	if [ "$style" = allow ]; then
		out="{\"Sid\":\"${pfx}Allow$DBG\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":$pr},\"Action\":$ac,\"Resource\":\"*\",\"Condition\":{\"StringEqualsIgnoreCase\":{$all}}}"
		dp=$pr
	else
		out="{\"Sid\":\"${pfx}Allow$DBG\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":$pr},\"Action\":$ac,\"Resource\":\"*\"}"
		dp='"*"'
	fi
	for kv; do
		out+=",{\"Sid\":\"${pfx}Deny${kv%%=*}$DBG\",\"Effect\":\"Deny\",\"Principal\":{\"AWS\":$dp},\"Action\":$ac,\"Resource\":\"*\",\"Condition\":{\"StringNotEqualsIgnoreCase\":{\"kms:RecipientAttestation:${kv%%=*}\":${kv#*=}}}}"
	done
	printf '%s' "$out"
}

root_st() {
	printf '{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:%s:iam::%s:root"},"Action":"kms:*","Resource":"*"}' "${2:-aws}" "$1"
}

admin_st() {
	printf '{"Sid":"Allow access for Key Administrators","Effect":"Allow","Principal":{"AWS":%s},"Action":%s,"Resource":"*"}' "$(js "$@")" "$ADMIN_ACTIONS"
}

owner_st() {
	printf '{"Sid":"Allow encryption by the data owner","Effect":"Allow","Principal":{"AWS":%s},"Action":"kms:Encrypt","Resource":"*"}' "$(js "$@")"
}

# policy STATEMENT...: the full document.
policy() {
	local IFS=,
	printf '{"Version":"2012-10-17","Statement":[%s]}' "$*"
}

# The statements for image A, the default --use (PCR0, PCR1, PCR2), role $ROLE, decrypt.
a_keys() {
	printf '%s\n' "PCR0=\"$A0\"" "PCR1=\"$A1\"" "PCR2=\"$A2\""
}
enclave_a() {
	local style=${1:-allow}
	mapfile -t k < <(a_keys)
	enclave "$style" "\"$ROLE\"" '"kms:Decrypt"' "${k[@]}"
}

# jeq ACTUAL EXPECTED: the same JSON value AND the same key order in every object
# (the contract fixes the order of statements' keys, condition keys, top-level keys).
jeq() {
	"$PYTHON" - "$1" "$2" <<'EOF' || { echo "got:      $1"; echo "expected: $2"; return 1; }
import json, sys
def load(s, ordered):
    return json.loads(s, object_pairs_hook=list if ordered else dict)
try:
    got = load(sys.argv[1], True)
except ValueError as e:
    print("not JSON: %s" % e); sys.exit(1)
want = load(sys.argv[2], True)
if got != want:
    same = load(sys.argv[1], False) == load(sys.argv[2], False)
    print("key order differs" if same else "JSON differs")
    sys.exit(1)
EOF
}

# expect_pretty FILE JSON: FILE holds exactly json.dumps(JSON, indent=2) and a newline.
expect_pretty() {
	"$PYTHON" - "$1" "$2" <<'EOF'
import json, sys
got = open(sys.argv[1], "rb").read().decode()
want = json.dumps(json.loads(sys.argv[2]), indent=2, ensure_ascii=False) + "\n"
if got != want:
    print("got:\n%s\nexpected:\n%s" % (got, want))
    sys.exit(1)
EOF
}

# gen ARGS: policy-gen, exit 0, stdout in $output (and out.json), stderr in $stderr.
gen() {
	run --separate-stderr policy-gen "$@"
	[ "$status" -eq 0 ] || { echo "policy-gen $*: exit $status, stderr: $stderr"; return 1; }
	printf '%s\n' "$output" >out.json
}

# gen_quiet ARGS: as gen, and nothing on stderr.
gen_quiet() {
	gen "$@" || return 1
	[ -z "$stderr" ] || { echo "unexpected stderr: $stderr"; return 1; }
}

# fails CODE MESSAGE ARGS: exit CODE, exactly "policy-gen: MESSAGE" on stderr, nothing on stdout.
fails() {
	local code=$1 msg=$2
	shift 2
	run --separate-stderr policy-gen "$@"
	[ "$status" -eq "$code" ] || { echo "policy-gen $*: exit $status, expected $code; stderr: $stderr"; return 1; }
	[ -z "$output" ] || { echo "stdout not empty: $output"; return 1; }
	[ "$stderr" = "policy-gen: $msg" ] || { printf 'stderr:   %s\nexpected: policy-gen: %s\n' "$stderr" "$msg"; return 1; }
}

# fails_prefix CODE PREFIX ARGS: as fails, for messages whose tail the contract leaves open.
fails_prefix() {
	local code=$1 msg=$2
	shift 2
	run --separate-stderr policy-gen "$@"
	[ "$status" -eq "$code" ] || { echo "policy-gen $*: exit $status, expected $code; stderr: $stderr"; return 1; }
	[ -z "$output" ] || { echo "stdout not empty: $output"; return 1; }
	[ "${#stderr_lines[@]}" -eq 1 ] || { echo "not one line on stderr: $stderr"; return 1; }
	case "$stderr" in
	"policy-gen: $msg"*) ;;
	*) printf 'stderr:   %s\nexpected: policy-gen: %s...\n' "$stderr" "$msg"; return 1 ;;
	esac
}

# decide POLICY WANT ACTION PRINCIPAL [iam_eval options]: iam_eval.py -v says WANT
# ("Allow: Sid", "ExplicitDeny: Sid", "ImplicitDeny"), exit 0 for Allow, 1 otherwise.
decide() {
	local f=$1 want=$2 action=$3 who=$4
	shift 4
	run "$PYTHON" "$IAM_EVAL" "$f" -v --action "$action" --principal "$who" "$@"
	[ "$output" = "$want" ] || { echo "$action by $who $*: '$output', expected '$want'"; return 1; }
	case "$want" in
	Allow*) [ "$status" -eq 0 ] ;;
	*) [ "$status" -eq 1 ] ;;
	esac || { echo "iam_eval exit $status for $want"; return 1; }
}

# Attestation contexts: what KMS sees from the enclaves (PCR3/PCR4 present as on hardware).
ctx_a() { printf '%s\n' --pcr "0=$A0" --pcr "1=$A1" --pcr "2=$A2" --pcr "3=$P3" --pcr "4=$P4"; }
ctx_b() { printf '%s\n' --pcr "0=$B0" --pcr "1=$B1" --pcr "2=$B2" --pcr "3=$P3" --pcr "4=$P4"; }
ctx_debug() { printf '%s\n' --pcr "0=$Z" --pcr "1=$Z" --pcr "2=$Z" --pcr "8=$Z" --pcr "3=$P3" --pcr "4=$P4"; }

# ====================================================================================
# The evaluator itself

@test "iam_eval.py: its self-test table passes (every operator, absent keys, principals, delegation)" {
	run -0 "$PYTHON" "$IAM_EVAL" --self-test
	[[ "${lines[-1]}" =~ ^([0-9]+)\ of\ ([0-9]+)\ self-test\ cases\ passed$ ]]
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] && [ "${BASH_REMATCH[1]}" -ge 90 ]
	if [ -x /usr/bin/python3 ]; then
		run -0 /usr/bin/python3 "$IAM_EVAL" --self-test
		[[ "${lines[-1]}" == *" self-test cases passed" ]]
	fi
}

@test "iam_eval.py: CLI verdicts, -v Sids and exit codes" {
	cat >p.json <<EOF
{"Statement": [
 {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": "$ROOT"}, "Action": "kms:*", "Resource": "*"},
 {"Sid": "E", "Effect": "Allow", "Principal": {"AWS": "$ROLE"}, "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:ImageSha384": "$A0"}}},
 {"Effect": "Deny", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"StringNotEqualsIgnoreCase": {"kms:RecipientAttestation:PCR1": "$A1"}}}]}
EOF
	run -0 "$PYTHON" "$IAM_EVAL" p.json --action kms:Decrypt --principal "$ROLE" --pcr "0=$A0" --pcr "1=$A1"
	[ "$output" = Allow ]
	decide p.json "Allow: E" kms:Decrypt "$ROLE" --context "kms:RecipientAttestation:PCR0=$A0" --context "KMS:RecipientAttestation:pcr1=$A1"
	decide p.json "ExplicitDeny: #3" kms:Decrypt "$ROLE" --pcr "0=$A0" --pcr "1=$A0"
	decide p.json "ExplicitDeny: #3" kms:Decrypt "$ROLE" --account-iam-allows 'kms:*'
	decide p.json "ImplicitDeny" kms:Encrypt "$ROLE"
	decide p.json "Allow: Root" kms:Encrypt "$ROLE" --account-iam-allows 'kms:En*'
	run -2 "$PYTHON" "$IAM_EVAL" p.json --action kms:Decrypt
	run -2 "$PYTHON" "$IAM_EVAL" p.json --bogus
	echo '{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"x"}}}]}' >d.json
	run -3 "$PYTHON" "$IAM_EVAL" d.json --action kms:Decrypt --principal "$ROLE"
}

# ====================================================================================
# Known cases

@test "default: a full allow-style policy for decrypt with PCR0, PCR1, PCR2 of pcr-compute's output" {
	gen -m a.json --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave_a)")"
	[ "$stderr" = "policy-gen: warning: $NO_ADMIN_WARNING" ] || { echo "stderr: $stderr"; return 1; }
	# 2-space pretty JSON with a final newline, keys in the contract's order.
	policy-gen -q -m a.json --enclave-principal "$ROLE" >raw.json
	expect_pretty raw.json "$(policy "$(enclave_a)")"
}

@test "--measurements: pcr-compute --describe, eif_build's bare map, stdin and --measurements all agree" {
	local want
	want=$(policy "$(enclave_a)")
	gen -q -m "$F/a-describe.json" --enclave-principal "$ROLE"
	jeq "$output" "$want"
	printf '{"HashAlgorithm": "Sha384", "PCR0": "%s", "PCR1": "%s", "PCR2": "%s"}\n' "$A0" "$A1" "$A2" >bare.json
	gen -q -m bare.json --enclave-principal "$ROLE"
	jeq "$output" "$want"
	# Without HashAlgorithm, in upper case, with pcr-compute --input's "PCR" key (ignored).
	printf '{"PCR2": "%s", "PCR0": "%s", "PCR1": "%s", "PCR": "%s"}\n' "$(up "$A2")" "$(up "$A0")" "$A1" "$X1" >mixed.json
	gen -q -m mixed.json --enclave-principal "$ROLE"
	jeq "$output" "$want"
	run --separate-stderr bash -c 'policy-gen -q --measurements - --enclave-principal "$1" <"$2"' _ "$ROLE" a.json
	[ "$status" -eq 0 ]
	jeq "$output" "$want"
}

@test "--measurements: a signed EIF's PCR8 is used by default; PCR3 is not" {
	need_signed
	local p8
	p8=$(pcrs_of "$F/signed.pcrs" PCR8)
	[ ${#p8} -eq 96 ]
	gen -q -m "$F/signed.json" --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$A0\"" "PCR1=\"$A1\"" "PCR2=\"$A2\"" "PCR8=\"$p8\"")")"
	# --role-arn's PCR3 is in the file but not in the default --use.
	gen -q -m "$F/a-pcr3.json" --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave_a)")"
}

@test "--use picks PCRs of --measurements; image-sha384 writes PCR0 as ImageSha384" {
	gen -q -m "$F/a-pcr3.json" --use 0,3 --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$A0\"" "PCR3=\"$P3\"")")"
	gen -q -m a.json --use 2,1 --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR1=\"$A1\"" "PCR2=\"$A2\"")")"
	gen -q -m a.json --use image-sha384,1,2 --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "ImageSha384=\"$A0\"" "PCR1=\"$A1\"" "PCR2=\"$A2\"")")"
	gen -q -m a.json --use image-sha384 --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "ImageSha384=\"$A0\"")")"
	# Values given on the command line are always used, whatever --use says.
	gen -q -m a.json --use 0 --pcr "4=$P4" --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$A0\"" "PCR4=\"$P4\"")")"
}

@test "--image-sha384: every PCR0 value goes under ImageSha384, there is no PCR0 key" {
	gen -q -m a.json --image-sha384 "$X1" --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "ImageSha384=$(js "$A0" "$X1")" "PCR1=\"$A1\"" "PCR2=\"$A2\"")")"
	gen -q --pcr0 "$X2" --image-sha384 "$X1" --pcr "0=$X3" --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "ImageSha384=$(js "$X2" "$X1" "$X3")")")"
	gen -q --image-sha384 "$X1" --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "ImageSha384=\"$X1\"")")"
}

@test "--pcr N=HEX and --pcr0: several values OR'ed in first-seen order, duplicates dropped, lower case" {
	gen -q -m a.json --pcr "1=$X1" --pcr "1=$(up "$A1")" --pcr "1=$(up "$X2")" --pcr "1=$X2" --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$A0\"" "PCR1=$(js "$A1" "$X1" "$X2")" "PCR2=\"$A2\"")")"
	gen -q -m a.json --pcr0 "$X1" --pcr "0=$X2" --pcr0 "$(up "$X1")" --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=$(js "$A0" "$X1" "$X2")" "PCR1=\"$A1\"" "PCR2=\"$A2\"")")"
	# --pcr0 HEX is --pcr 0=HEX.
	gen -q --pcr0 "$X3" --enclave-principal "$ROLE"
	local a=$output
	gen -q --pcr "0=$X3" --enclave-principal "$ROLE"
	jeq "$output" "$a"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$X3\"")")"
}

@test "keys are ordered ImageSha384, PCR0 ... PCR31 numerically, whatever the command-line order" {
	gen -q --pcr "31=$X1" --pcr "16=$X2" --pcr "2=$X3" --pcr "10=$X1" --image-sha384 "$X2" --pcr "3=$P3" --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "ImageSha384=\"$X2\"" "PCR2=\"$X3\"" \
		"PCR3=\"$P3\"" "PCR10=\"$X1\"" "PCR16=\"$X2\"" "PCR31=\"$X1\"")")"
}

@test "--enclave-principal several times: Principal.AWS becomes an array, in the order given" {
	gen -q -m a.json --enclave-principal "$ROLE" --enclave-principal "$ROLE2"
	mapfile -t k < <(a_keys)
	jeq "$output" "$(policy "$(enclave allow "$(js "$ROLE" "$ROLE2")" '"kms:Decrypt"' "${k[@]}")")"
	gen -q -m a.json --enclave-principal "$ROLE" --enclave-principal "$ROLE2" --style deny
	jeq "$output" "$(policy "$(enclave deny "$(js "$ROLE" "$ROLE2")" '"kms:Decrypt"' "${k[@]}")")"
}

@test "--account, --admin, --encrypt-principal: root, administrators, data owner, then the enclave" {
	gen_quiet -m a.json --enclave-principal "$ROLE" --account "$ACCT" --admin "$ADMIN" --encrypt-principal "$OWNER"
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(admin_st "$ADMIN")" "$(owner_st "$OWNER")" "$(enclave_a)")"
	gen_quiet --encrypt-principal "$OWNER" --admin "$ADMIN" --admin "$ADMIN2" -m a.json --enclave-principal "$ROLE" \
		--encrypt-principal "$OTHER"
	jeq "$output" "$(policy "$(admin_st "$ADMIN" "$ADMIN2")" "$(owner_st "$OWNER" "$OTHER")" "$(enclave_a)")"
	gen_quiet -m a.json --enclave-principal "$ROLE" --account "$ACCT"
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave_a)")"
	gen -m a.json --enclave-principal "$ROLE" --encrypt-principal "$OWNER"
	[[ "$stderr" == *"$NO_ADMIN_WARNING"* ]]
	jeq "$output" "$(policy "$(owner_st "$OWNER")" "$(enclave_a)")"
}

@test "--account: the root ARN takes the partition of the first enclave principal" {
	local cn=arn:aws-cn:iam::111122223333:role/enclave gov=arn:aws-us-gov:iam::111122223333:role/enclave
	mapfile -t k < <(a_keys)
	gen_quiet -m a.json --enclave-principal "$cn" --account "$ACCT"
	jeq "$output" "$(policy "$(root_st "$ACCT" aws-cn)" "$(enclave allow "\"$cn\"" '"kms:Decrypt"' "${k[@]}")")"
	gen_quiet -m a.json --enclave-principal "$gov" --enclave-principal "$ROLE" --account 444455556666
	jeq "$output" "$(policy "$(root_st 444455556666 aws-us-gov)" "$(enclave allow "$(js "$gov" "$ROLE")" '"kms:Decrypt"' "${k[@]}")")"
}

@test "--no-root-statement leaves the root statement out even with --account" {
	gen -m a.json --enclave-principal "$ROLE" --account "$ACCT" --no-root-statement
	jeq "$output" "$(policy "$(enclave_a)")"
	gen_quiet -m a.json --enclave-principal "$ROLE" --account "$ACCT" --no-root-statement --admin "$ADMIN"
	jeq "$output" "$(policy "$(admin_st "$ADMIN")" "$(enclave_a)")"
}

@test "--allow: all five operations in the fixed order; generate-random warns" {
	mapfile -t k < <(a_keys)
	local all='["kms:Decrypt","kms:GenerateDataKey","kms:GenerateDataKeyPair","kms:GenerateRandom","kms:DeriveSharedSecret"]'
	gen -m a.json --account "$ACCT" --enclave-principal "$ROLE" \
		--allow derive-shared-secret,generate-random,generate-data-key-pair,generate-data-key,decrypt
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave allow "\"$ROLE\"" "$all" "${k[@]}")")"
	[ "$stderr" = "policy-gen: warning: $RANDOM_WARNING" ] || { echo "stderr: $stderr"; return 1; }
	gen_quiet -m a.json --account "$ACCT" --enclave-principal "$ROLE" --allow generate-data-key
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave allow "\"$ROLE\"" '"kms:GenerateDataKey"' "${k[@]}")")"
	gen_quiet -m a.json --account "$ACCT" --enclave-principal "$ROLE" --allow generate-data-key-pair,decrypt --style deny
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave deny "\"$ROLE\"" '["kms:Decrypt","kms:GenerateDataKeyPair"]' "${k[@]}")")"
	gen_quiet -m a.json --account "$ACCT" --enclave-principal "$ROLE" --allow derive-shared-secret
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave allow "\"$ROLE\"" '"kms:DeriveSharedSecret"' "${k[@]}")")"
}

@test "--style deny: an unconditional Allow, and Denies for everyone (Principal *)" {
	gen_quiet -m a.json --enclave-principal "$ROLE" --account "$ACCT" --admin "$ADMIN" --style deny
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(admin_st "$ADMIN")" "$(enclave_a deny)")"
	gen_quiet -m a.json --enclave-principal "$ROLE" --account "$ACCT" --style allow
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave_a allow)")"
}

@test "--debug-mode: zeros appended to ImageSha384/PCR0/1/2/8 only, Debug in the Sids, a warning" {
	local DBG=Debug
	gen -m a.json --pcr "3=$P3" --pcr "16=$X1" --enclave-principal "$ROLE" --account "$ACCT" --debug-mode
	[ "$stderr" = "policy-gen: warning: $DEBUG_WARNING" ] || { echo "stderr: $stderr"; return 1; }
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=$(js "$A0" "$Z")" \
		"PCR1=$(js "$A1" "$Z")" "PCR2=$(js "$A2" "$Z")" "PCR3=\"$P3\"" "PCR16=\"$X1\"")")"
	gen -q -m a.json --use image-sha384,1 --pcr "8=$X2" --pcr "4=$P4" --enclave-principal "$ROLE" --account "$ACCT" --debug-mode --style deny
	[ -z "$stderr" ]
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave deny "\"$ROLE\"" '"kms:Decrypt"' "ImageSha384=$(js "$A0" "$Z")" \
		"PCR1=$(js "$A1" "$Z")" "PCR4=\"$P4\"" "PCR8=$(js "$X2" "$Z")")")"
	# A user PCR alone gets no zero value.
	gen -q --pcr "16=$X1" --enclave-principal "$ROLE" --account "$ACCT" --debug-mode
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR16=\"$X1\"")")"
}

@test "--sid-prefix names the owned statements" {
	local PFX=BlueApp1
	mapfile -t k < <(a_keys)
	gen_quiet -m a.json --enclave-principal "$ROLE" --account "$ACCT" --sid-prefix BlueApp1
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "${k[@]}")")"
	local DBG=Debug
	gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --sid-prefix BlueApp1 --debug-mode --style deny
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave deny "\"$ROLE\"" '"kms:Decrypt"' "PCR0=$(js "$A0" "$Z")" \
		"PCR1=$(js "$A1" "$Z")" "PCR2=$(js "$A2" "$Z")")")"
}

@test "--statements: only the statements, as a JSON array, without the no-administrator warning" {
	gen_quiet -m a.json --enclave-principal "$ROLE" --statements
	jeq "$output" "[$(enclave_a)]"
	gen_quiet -m a.json --enclave-principal "$ROLE" --statements --account "$ACCT" --encrypt-principal "$OWNER" --style deny
	jeq "$output" "[$(root_st "$ACCT"),$(owner_st "$OWNER"),$(enclave_a deny)]"
	policy-gen -m a.json --enclave-principal "$ROLE" --statements >raw.json
	expect_pretty raw.json "[$(enclave_a)]"
}

@test "-o FILE: the same bytes in the file, nothing on stdout" {
	policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" >want.json
	run -0 --separate-stderr policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" -o p.json
	[ -z "$output" ]
	cmp p.json want.json
	jeq "$(cat p.json)" "$(policy "$(root_st "$ACCT")" "$(enclave_a)")"
	# --output overwrites an existing file.
	echo stale >q.json
	run -0 policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --output q.json
	cmp q.json want.json
	run -0 policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --statements -o s.json
	jeq "$(cat s.json)" "[$(root_st "$ACCT"),$(enclave_a)]"
}

@test "--quiet suppresses every warning, and the policy is unchanged" {
	local DBG=Debug
	run -0 --separate-stderr policy-gen -q -m a.json --enclave-principal "$ROLE" --debug-mode --allow generate-random
	[ -z "$stderr" ]
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:GenerateRandom"' "PCR0=$(js "$A0" "$Z")" \
		"PCR1=$(js "$A1" "$Z")" "PCR2=$(js "$A2" "$Z")")")"
	run -0 --separate-stderr policy-gen --quiet -m a.json --enclave-principal "$ROLE"
	[ -z "$stderr" ]
	# Without -q the three warnings are there.
	run -0 --separate-stderr policy-gen -m a.json --enclave-principal "$ROLE" --debug-mode --allow generate-random
	[[ "$stderr" == *"$DEBUG_WARNING"* && "$stderr" == *"$RANDOM_WARNING"* && "$stderr" == *"$NO_ADMIN_WARNING"* ]]
}

@test "a policy over 32768 bytes is exit 3 and nothing is written" {
	local args=() i
	for i in $(seq 1 160); do args+=(--pcr "3=$(printf '%096x' "$i")"); done
	run --separate-stderr policy-gen -q -m a.json --enclave-principal "$ROLE" "${args[@]}" -o big.json
	[ "$status" -eq 3 ] || { echo "exit $status: $stderr"; return 1; }
	[[ "$stderr" =~ ^policy-gen:\ policy\ is\ ([0-9]+)\ bytes,\ more\ than\ the\ 32768\ KMS\ accepts$ ]] ||
		{ echo "stderr: $stderr"; return 1; }
	[ "${BASH_REMATCH[1]}" -gt 32768 ]
	[ ! -e big.json ]
	# The count is that of the printed policy (with or without the final newline).
	local vals=() want n
	for i in $(seq 1 160); do vals+=("$(printf '%096x' "$i")"); done
	want=$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$A0\"" "PCR1=\"$A1\"" "PCR2=\"$A2\"" "PCR3=$(js "${vals[@]}")")")
	n=$("$PYTHON" -c 'import json,sys; print(len(json.dumps(json.loads(sys.argv[1]), indent=2)))' "$want")
	[ "${BASH_REMATCH[1]}" -eq "$n" ] || [ "${BASH_REMATCH[1]}" -eq $((n + 1)) ] ||
		{ echo "reported ${BASH_REMATCH[1]}, printed size $n (+1)"; return 1; }
	# To stdout: nothing printed either.
	run -3 --separate-stderr policy-gen -q -m a.json --enclave-principal "$ROLE" "${args[@]}"
	[ -z "$output" ]
}

# ====================================================================================
# Semantics: the policies keep their promise (iam_eval.py)

@test "semantics, allow style: only the attested enclave decrypts, IAM kms:* notwithstanding" {
	policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --admin "$ADMIN" >p.json
	mapfile -t good < <(ctx_a)
	decide p.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${good[@]}"
	decide p.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$SESSION" "${good[@]}"
	# Case does not matter in the attestation values.
	decide p.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" --pcr "0=$(up "$A0")" --pcr "1=$(up "$A1")" --pcr "2=$A2"
	# Another image, one changed PCR, a debug enclave: denied, also with IAM kms:*.
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" --pcr "0=$X1" --pcr "1=$A1" --pcr "2=$A2" --account-iam-allows 'kms:*'
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR1" kms:Decrypt "$SESSION" --pcr "0=$A0" --pcr "1=$X1" --pcr "2=$A2" --account-iam-allows 'kms:*'
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR2" kms:Decrypt "$ROLE" --pcr "0=$A0" --pcr "1=$A1" --pcr "2=$X1" --account-iam-allows 'kms:*'
	mapfile -t dbg < <(ctx_debug)
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" "${dbg[@]}" --account-iam-allows 'kms:*'
	# The central scenario: the parent (same role, IAM kms:*, root statement) calls KMS
	# with its own credentials and no attestation.
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" --account-iam-allows 'kms:*'
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$SESSION" --account-iam-allows 'kms:*'
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE"
	# Only decrypt was granted.
	decide p.json "ImplicitDeny" kms:GenerateDataKey "$ROLE" "${good[@]}"
	# The administrators keep the key.
	decide p.json "Allow: Allow access for Key Administrators" kms:PutKeyPolicy "$ADMIN"
	decide p.json "Allow: Allow access for Key Administrators" kms:ScheduleKeyDeletion "$ADMIN"
	decide p.json "Allow: Enable IAM User Permissions" kms:PutKeyPolicy "$OTHER" --account-iam-allows 'kms:*'
	decide p.json "ImplicitDeny" kms:PutKeyPolicy "$OTHER"
}

@test "semantics, deny style: nobody gets the listed operations without the attestation" {
	policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --admin "$ADMIN" --encrypt-principal "$OWNER" \
		--allow decrypt,generate-data-key --style deny >p.json
	mapfile -t good < <(ctx_a)
	decide p.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${good[@]}"
	decide p.json "Allow: NitrokitEnclaveAllow" kms:GenerateDataKey "$SESSION" "${good[@]}"
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" --pcr "0=$X1" --pcr "1=$A1" --pcr "2=$A2"
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR2" kms:GenerateDataKey "$ROLE" --pcr "0=$A0" --pcr "1=$A1" --pcr "2=$X1"
	mapfile -t dbg < <(ctx_debug)
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" "${dbg[@]}"
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" --account-iam-allows 'kms:*'
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$SESSION" --account-iam-allows 'kms:*'
	# Any other principal of the account, even with IAM kms:*, and the administrators.
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$OTHER" --account-iam-allows 'kms:*'
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:GenerateDataKey "$OTHER" --account-iam-allows '*'
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ADMIN" --account-iam-allows 'kms:*'
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROOT" --account-iam-allows 'kms:*'
	# ... but administration and Encrypt are untouched.
	decide p.json "Allow: Allow access for Key Administrators" kms:PutKeyPolicy "$ADMIN"
	decide p.json "Allow: Enable IAM User Permissions" kms:PutKeyPolicy "$OTHER" --account-iam-allows 'kms:Put*'
	decide p.json "Allow: Allow encryption by the data owner" kms:Encrypt "$OWNER"
	decide p.json "ImplicitDeny" kms:Encrypt "$OTHER"
}

@test "semantics, allow style binds only the enclave principals (what deny style adds)" {
	policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" >p.json
	# Another role with IAM kms:* decrypts without attestation through the root statement:
	# the allow style promises nothing about other principals (use --style deny for that).
	decide p.json "Allow: Enable IAM User Permissions" kms:Decrypt "$OTHER" --account-iam-allows 'kms:*'
	policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --style deny >d.json
	decide d.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$OTHER" --account-iam-allows 'kms:*'
}

@test "semantics: --debug-mode admits the debug enclave, and the real one" {
	mapfile -t good < <(ctx_a)
	mapfile -t dbg < <(ctx_debug)
	local style
	for style in allow deny; do
		policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --style "$style" >p.json
		decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" "${dbg[@]}"
		policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --style "$style" --debug-mode >d.json
		decide d.json "Allow: NitrokitEnclaveAllowDebug" kms:Decrypt "$ROLE" "${dbg[@]}"
		decide d.json "Allow: NitrokitEnclaveAllowDebug" kms:Decrypt "$ROLE" "${good[@]}"
		decide d.json "ExplicitDeny: NitrokitEnclaveDenyPCR0Debug" kms:Decrypt "$ROLE" --account-iam-allows 'kms:*'
		decide d.json "ExplicitDeny: NitrokitEnclaveDenyPCR1Debug" kms:Decrypt "$ROLE" --pcr "0=$Z" --pcr "1=$X1" --pcr "2=$Z"
	done
}

@test "semantics: signed image (PCR8) and ImageSha384 policies" {
	need_signed
	local p8
	p8=$(pcrs_of "$F/signed.pcrs" PCR8)
	mapfile -t good < <(ctx_a)
	policy-gen -q -m "$F/signed.json" --enclave-principal "$ROLE" --account "$ACCT" >p.json
	decide p.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${good[@]}" --pcr "8=$p8"
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR8" kms:Decrypt "$ROLE" "${good[@]}" --account-iam-allows 'kms:*'
	decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR8" kms:Decrypt "$ROLE" "${good[@]}" --pcr "8=$X1"
	for style in allow deny; do
		policy-gen -q -m a.json --use image-sha384,1,2 --enclave-principal "$ROLE" --account "$ACCT" --style "$style" >i.json
		decide i.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${good[@]}"
		decide i.json "ExplicitDeny: NitrokitEnclaveDenyImageSha384" kms:Decrypt "$ROLE" --pcr "0=$X1" --pcr "1=$A1" --pcr "2=$A2"
		decide i.json "ExplicitDeny: NitrokitEnclaveDenyImageSha384" kms:Decrypt "$ROLE" --account-iam-allows 'kms:*'
	done
}

@test "semantics: every --allow operation is bound to the attestation" {
	mapfile -t good < <(ctx_a)
	local op style
	for style in allow deny; do
		policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --style "$style" \
			--allow decrypt,generate-data-key,generate-data-key-pair,generate-random,derive-shared-secret >p.json
		for op in kms:Decrypt kms:GenerateDataKey kms:GenerateDataKeyPair kms:GenerateRandom kms:DeriveSharedSecret; do
			decide p.json "Allow: NitrokitEnclaveAllow" "$op" "$ROLE" "${good[@]}"
			decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" "$op" "$ROLE" --account-iam-allows 'kms:*'
		done
		decide p.json "ImplicitDeny" kms:Encrypt "$ROLE" "${good[@]}"
		decide p.json "ImplicitDeny" kms:GenerateMac "$ROLE" "${good[@]}"
	done
}

@test "regression guard: why one Deny per key, and why Deny at all" {
	# Hand-written: ONE Deny listing all keys.  Keys of one condition are AND'ed, so the
	# Deny applies only when EVERY key is wrong: PCR0 right and PCR1 wrong gets through.
	cat >one-deny.json <<EOF
{"Version": "2012-10-17", "Statement": [
 $(root_st "$ACCT"),
 {"Sid": "Allow", "Effect": "Allow", "Principal": {"AWS": "$ROLE"}, "Action": "kms:Decrypt", "Resource": "*"},
 {"Sid": "DenyAll", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"StringNotEqualsIgnoreCase": {"kms:RecipientAttestation:PCR0": "$A0",
   "kms:RecipientAttestation:PCR1": "$A1", "kms:RecipientAttestation:PCR2": "$A2"}}}]}
EOF
	decide one-deny.json "Allow: Allow" kms:Decrypt "$ROLE" --pcr "0=$A0" --pcr "1=$X1" --pcr "2=$X2"
	# The same in the allow style: the conditional Allow fails, but the root statement
	# lets an IAM kms:* through.
	cat >one-deny-allow.json <<EOF
{"Version": "2012-10-17", "Statement": [
 $(root_st "$ACCT"),
 {"Sid": "Allow", "Effect": "Allow", "Principal": {"AWS": "$ROLE"}, "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:PCR0": "$A0",
   "kms:RecipientAttestation:PCR1": "$A1", "kms:RecipientAttestation:PCR2": "$A2"}}},
 {"Sid": "DenyAll", "Effect": "Deny", "Principal": {"AWS": "$ROLE"}, "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"StringNotEqualsIgnoreCase": {"kms:RecipientAttestation:PCR0": "$A0",
   "kms:RecipientAttestation:PCR1": "$A1", "kms:RecipientAttestation:PCR2": "$A2"}}}]}
EOF
	decide one-deny-allow.json "Allow: Enable IAM User Permissions" kms:Decrypt "$ROLE" --pcr "0=$A0" --pcr "1=$X1" --account-iam-allows 'kms:*'
	# And without any Deny, the parent with IAM kms:* needs no attestation at all.
	cat >no-deny.json <<EOF
{"Version": "2012-10-17", "Statement": [
 $(root_st "$ACCT"),
 {"Sid": "Allow", "Effect": "Allow", "Principal": {"AWS": "$ROLE"}, "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"StringEqualsIgnoreCase": {"kms:RecipientAttestation:PCR0": "$A0"}}}]}
EOF
	decide no-deny.json "Allow: Enable IAM User Permissions" kms:Decrypt "$ROLE" --account-iam-allows 'kms:*'
	# policy-gen's policies refuse all three requests.
	local style
	for style in allow deny; do
		policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --style "$style" >p.json
		decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR1" kms:Decrypt "$ROLE" --pcr "0=$A0" --pcr "1=$X1" --pcr "2=$X2"
		decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR1" kms:Decrypt "$ROLE" --pcr "0=$A0" --pcr "1=$X1" --account-iam-allows 'kms:*'
		decide p.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" --account-iam-allows 'kms:*'
	done
}

# ====================================================================================
# cfn-lint accepts the generated policies as an AWS::KMS::Key's KeyPolicy

@test "cfn-lint: generated policies are valid KeyPolicy documents" {
	local lint
	lint=$(dirname "$PYTHON")/cfn-lint
	[ -x "$lint" ] || lint=$(command -v cfn-lint) || skip "cfn-lint not installed"
	local i=0 args style
	for style in allow deny; do
		for args in "--account $ACCT --admin $ADMIN --encrypt-principal $OWNER" \
			"--account $ACCT --allow decrypt,generate-data-key,generate-data-key-pair,derive-shared-secret --use image-sha384,1,2" \
			"--admin $ADMIN --admin $ADMIN2 --enclave-principal $ROLE2 --debug-mode"; do
			i=$((i + 1))
			# shellcheck disable=SC2086
			policy-gen -q -m a.json --enclave-principal "$ROLE" --style "$style" $args >"p$i.json"
			printf '{"Resources": {"Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": %s}}}}\n' \
				"$(cat "p$i.json")" >"t$i.json"
		done
	done
	# One run (cfn-lint is slow to start); a broken copy shows that the lint looks at the policy.
	sed 's/"StringEqualsIgnoreCase"/"StringEqualsIgnoreCas"/' t1.json >broken.json
	run "$lint" t*.json broken.json
	[ "$status" -ne 0 ] || { echo "cfn-lint accepts broken.json"; return 1; }
	local l
	for l in "${lines[@]}"; do
		[[ "$l" != t*.json:* ]] || { echo "cfn-lint: $output"; return 1; }
	done
	[[ "$output" == *StringEqualsIgnoreCas* && "$output" == *broken.json:* ]]
}

# ====================================================================================
# --merge

# The policy an administrator already has: foreign statements around image A's owned ones.
existing_policy() {
	cat <<EOF
{
  "Id": "key-policy-nitro",
  "Version": "2012-10-17",
  "Statement": [
    $(root_st "$ACCT"),
    $(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$A0\"" "PCR1=\"$A1\""),
    $(admin_st "$ADMIN"),
    {"Resource": "*", "Sid": "CustomAuditRead", "Effect": "Allow",
     "Principal": {"AWS": "arn:aws:iam::111122223333:role/audit"}, "Action": ["kms:DescribeKey", "kms:GetKeyPolicy"]},
    {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:role/backup"}, "Action": "kms:ListAliases", "Resource": "*"},
    {"Sid": "NitrokitEnclaveDenyPCR2", "Effect": "Deny", "Principal": {"AWS": "$ROLE"}, "Action": "kms:Decrypt",
     "Resource": "*", "Condition": {"StringNotEqualsIgnoreCase": {"kms:RecipientAttestation:PCR2": "$A2"}}}
  ],
  "Comment": ["kept", {"as": "is"}]
}
EOF
}

# merged_policy OWNED...: existing_policy with the owned statements replaced.
merged_policy() {
	local IFS=,
	printf '{"Id":"key-policy-nitro","Version":"2012-10-17","Statement":[%s,%s,%s,%s,%s],"Comment":["kept",{"as":"is"}]}' \
		"$(root_st "$ACCT")" "$*" "$(admin_st "$ADMIN")" \
		'{"Resource":"*","Sid":"CustomAuditRead","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/audit"},"Action":["kms:DescribeKey","kms:GetKeyPolicy"]}' \
		'{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/backup"},"Action":"kms:ListAliases","Resource":"*"}'
}

@test "--merge: only the owned statements change, at the first one's place; the rest is kept in order" {
	existing_policy >p.json
	gen_quiet --merge p.json -m b.json
	jeq "$output" "$(merged_policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$B0\"" "PCR1=\"$B1\"" "PCR2=\"$B2\"")")"
	# --replace is the default.
	run -0 policy-gen --merge p.json -m b.json --replace
	cmp <(printf '%s\n' "$output") out.json
	# Semantics: image B in, image A out.
	mapfile -t a < <(ctx_a)
	mapfile -t b < <(ctx_b)
	decide out.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${b[@]}"
	decide out.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" "${a[@]}" --account-iam-allows 'kms:*'
}

@test "--merge twice is idempotent (byte-identical), also with --add" {
	existing_policy >p.json
	policy-gen --merge p.json -m b.json >m1.json
	policy-gen --merge m1.json -m b.json >m2.json
	cmp m1.json m2.json
	policy-gen --merge p.json -m b.json --add >a1.json
	policy-gen --merge a1.json -m b.json --add >a2.json
	cmp a1.json a2.json
	policy-gen --merge a2.json -m b.json --add --pcr "3=$P3" >a3.json
	policy-gen --merge a3.json -m b.json --add --pcr "3=$P3" >a4.json
	cmp a3.json a4.json
}

@test "--merge --add: old values next to the new ones (blue/green); both images are admitted" {
	existing_policy >p.json
	gen_quiet --merge p.json -m b.json --add
	jeq "$output" "$(merged_policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=$(js "$A0" "$B0")" \
		"PCR1=$(js "$A1" "$B1")" "PCR2=$(js "$A2" "$B2")")")"
	mapfile -t a < <(ctx_a)
	mapfile -t b < <(ctx_b)
	decide out.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${a[@]}"
	decide out.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$SESSION" "${b[@]}"
	decide out.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" --pcr "0=$X1" --pcr "1=$A1" --pcr "2=$A2"
	decide out.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" --account-iam-allows 'kms:*'
	# Then the old image is retired: --replace keeps only image B.
	policy-gen --merge out.json -m b.json --replace >r.json
	jeq "$(cat r.json)" "$(merged_policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$B0\"" "PCR1=\"$B1\"" "PCR2=\"$B2\"")")"
	decide r.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" "${a[@]}"
	decide r.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${b[@]}"
}

@test "--merge --add: old values in upper case or under other operators count once, printed lower case" {
	cat >p.json <<EOF
{"Version": "2012-10-17", "Statement": [
 {"Sid": "NitrokitEnclaveAllow", "Effect": "Allow", "Principal": {"AWS": "$ROLE"}, "Action": "kms:Decrypt", "Resource": "*",
  "Condition": {"StringEquals": {"kms:RecipientAttestation:PCR0": "$(up "$A0")"},
                "StringEqualsIgnoreCase": {"kms:RecipientAttestation:PCR1": ["$A1", "$(up "$X1")"]}}}]}
EOF
	gen_quiet --merge p.json --pcr0 "$A0" --pcr "1=$X1" --pcr "1=$X2" --add
	jeq "$output" "$(policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$A0\"" "PCR1=$(js "$A1" "$X1" "$X2")")")"
}

@test "--merge takes principal, actions and style from the existing owned statements" {
	cat >p.json <<EOF
{"Version": "2012-10-17", "Statement": [
 $(root_st "$ACCT"),
 $(enclave deny "$(js "$ROLE2" "$ROLE")" '["kms:Decrypt","kms:GenerateDataKey"]' "PCR0=\"$A0\"" "PCR1=\"$A1\"")
]}
EOF
	gen_quiet --merge p.json -m b.json
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave deny "$(js "$ROLE2" "$ROLE")" '["kms:Decrypt","kms:GenerateDataKey"]' \
		"PCR0=\"$B0\"" "PCR1=\"$B1\"" "PCR2=\"$B2\"")")"
	# Options given win over the existing statements.
	gen_quiet --merge p.json -m b.json --style allow --enclave-principal "$OTHER" --allow generate-data-key
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave allow "\"$OTHER\"" '"kms:GenerateDataKey"' \
		"PCR0=\"$B0\"" "PCR1=\"$B1\"" "PCR2=\"$B2\"")")"
	# An owned Allow with a Condition means the allow style.
	existing_policy >q.json
	gen_quiet --merge q.json --use 0 -m b.json --allow decrypt
	jeq "$output" "$(merged_policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$B0\"")")"
}

@test "--merge from standard input and in place (-o the same file)" {
	existing_policy >p.json
	policy-gen --merge p.json -m b.json >want.json
	run -0 --separate-stderr bash -c 'policy-gen --merge - -m "$1" <"$2"' _ b.json p.json
	cmp <(printf '%s\n' "$output") want.json
	cp p.json inplace.json
	run -0 --separate-stderr policy-gen --merge inplace.json -m b.json -o inplace.json
	[ -z "$output" ]
	cmp inplace.json want.json
	# A failing merge leaves the file as it was.
	cp p.json keep.json
	run -2 --separate-stderr policy-gen --merge keep.json --pcr0 abc -o keep.json
	cmp keep.json p.json
}

@test "--merge: nothing owned → the new statements are appended; a lone Statement object is accepted" {
	cat >p.json <<EOF
{"Version": "2012-10-17", "Statement": [$(root_st "$ACCT"), $(admin_st "$ADMIN")]}
EOF
	gen_quiet --merge p.json -m a.json --enclave-principal "$ROLE"
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(admin_st "$ADMIN")" "$(enclave_a)")"
	printf '{"Version": "2012-10-17", "Statement": %s}\n' "$(root_st "$ACCT")" >one.json
	gen_quiet --merge one.json -m a.json --enclave-principal "$ROLE" --style deny
	jeq "$output" "$(policy "$(root_st "$ACCT")" "$(enclave_a deny)")"
	# Statements of another prefix are foreign: a second enclave next to the first.
	existing_policy >q.json
	gen_quiet --merge q.json -m b.json --enclave-principal "$ROLE2" --sid-prefix Green
	local PFX=Green
	local green
	green=$(enclave allow "\"$ROLE2\"" '"kms:Decrypt"' "PCR0=\"$B0\"" "PCR1=\"$B1\"" "PCR2=\"$B2\"")
	jeq "$(json_get "$output" Statement)" "$(json_get "$(cat q.json)" Statement | sed 's/]$//'),$green]"
}

@test "--merge --add between images with different keys (signed ↔ unsigned): both admitted, or a refusal" {
	need_signed
	local p8
	p8=$(pcrs_of "$F/signed.pcrs" PCR8)
	mapfile -t a < <(ctx_a)
	mapfile -t b < <(ctx_b)
	# On hardware an unsigned enclave's PCR8 is all zeros.
	# Old: the signed image A (PCR0/1/2/8); new: the unsigned image B (PCR0/1/2).
	policy-gen -q -m "$F/signed.json" --enclave-principal "$ROLE" --account "$ACCT" >old.json
	run --separate-stderr policy-gen --merge old.json -m b.json --add
	if [ "$status" -eq 0 ]; then
		printf '%s\n' "$output" >new.json
		decide new.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${a[@]}" --pcr "8=$p8"
		decide new.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${b[@]}" --pcr "8=$Z"
	else
		[ -z "$output" ] && [[ "$stderr" == "policy-gen: "*PCR8* ]]
	fi
	# Old: unsigned A; new: signed.
	policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" >old2.json
	run --separate-stderr policy-gen --merge old2.json -m "$F/signed.json" --add
	if [ "$status" -eq 0 ]; then
		printf '%s\n' "$output" >new2.json
		decide new2.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${a[@]}" --pcr "8=$Z"
		decide new2.json "Allow: NitrokitEnclaveAllow" kms:Decrypt "$ROLE" "${a[@]}" --pcr "8=$p8"
	else
		[ -z "$output" ] && [[ "$stderr" == "policy-gen: "*PCR8* ]]
	fi
}

@test "--merge --debug-mode and back: the Debug statements are owned too" {
	existing_policy >p.json
	local DBG=Debug
	gen --merge p.json -m b.json --debug-mode
	[ "$stderr" = "policy-gen: warning: $DEBUG_WARNING" ]
	jeq "$output" "$(merged_policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=$(js "$B0" "$Z")" \
		"PCR1=$(js "$B1" "$Z")" "PCR2=$(js "$B2" "$Z")")")"
	DBG=
	gen_quiet --merge out.json -m b.json
	jeq "$output" "$(merged_policy "$(enclave allow "\"$ROLE\"" '"kms:Decrypt"' "PCR0=\"$B0\"" "PCR1=\"$B1\"" "PCR2=\"$B2\"")")"
	mapfile -t dbg < <(ctx_debug)
	decide out.json "ExplicitDeny: NitrokitEnclaveDenyPCR0" kms:Decrypt "$ROLE" "${dbg[@]}"
}

@test "--merge: no owned statements and no --enclave-principal, fixed statements → exit 2" {
	printf '{"Version": "2012-10-17", "Statement": [%s]}\n' "$(root_st "$ACCT")" >p.json
	fails 2 "--enclave-principal is needed: the policy has no NitrokitEnclave statements" --merge p.json -m a.json
	fails 2 "--enclave-principal is needed: the policy has no Blue statements" --merge p.json -m a.json --sid-prefix Blue
	existing_policy >q.json
	fails 2 "--admin does not go with --merge" --merge q.json -m a.json --admin "$ADMIN"
	# The contract names --admin; the same wording is expected for the other two.
	fails 2 "--account does not go with --merge" --merge q.json -m a.json --account "$ACCT"
	fails 2 "--encrypt-principal does not go with --merge" --merge q.json -m a.json --encrypt-principal "$OWNER"
}

# ====================================================================================
# --check (exact lines: /work/notes/policy-check-messages.md, the linter author's list,
# which refines the contract's wording)

# check_is FILE CODE [LINE...]: policy-gen --check FILE exits CODE, prints exactly those
# lines on stdout (in order) and nothing on stderr.
check_is() {
	local f=$1 code=$2
	shift 2
	run --separate-stderr policy-gen --check "$f"
	[ "$status" -eq "$code" ] || { echo "--check $f: exit $status, expected $code; stdout: $output; stderr: $stderr"; return 1; }
	[ -z "$stderr" ] || { echo "stderr: $stderr"; return 1; }
	local want=''
	[ $# -eq 0 ] || want=$(printf '%s\n' "$@")
	[ "$output" = "$want" ] || { printf 'got:\n%s\nexpected:\n%s\n' "$output" "$want"; return 1; }
}

# check_like FILE CODE GLOB: one line matching GLOB (for the JSON parser's own words).
check_like() {
	run --separate-stderr policy-gen --check "$1"
	[ "$status" -eq "$2" ] || { echo "--check $1: exit $status, expected $2; stderr: $stderr"; return 1; }
	[ "${#lines[@]}" -eq 1 ] || { echo "lines: $output"; return 1; }
	# shellcheck disable=SC2053
	[[ "$output" == $3 ]] || { printf 'got:      %s\nexpected: %s\n' "$output" "$3"; return 1; }
}

# cpol STATEMENT...: a policy of those statements, written to c.json.
cpol() {
	local IFS=,
	printf '{"Version": "2012-10-17", "Statement": [%s]}\n' "$*" >c.json
}

DEBUG_FINDING="admits debug-mode enclaves: an all-zero value matches any enclave started with --debug-mode"

@test "--check: every policy policy-gen generates (without --debug-mode) is clean" {
	local style args i=0
	for style in allow deny; do
		for args in "" "--account $ACCT" "--account $ACCT --admin $ADMIN --encrypt-principal $OWNER --enclave-principal $ROLE2" \
			"--use image-sha384,1,2 --pcr 3=$P3 --pcr 16=$X1 --allow decrypt,generate-data-key,generate-data-key-pair,generate-random,derive-shared-secret" \
			"--sid-prefix Blue --admin $ADMIN"; do
			i=$((i + 1))
			# shellcheck disable=SC2086
			policy-gen -q -m a.json --enclave-principal "$ROLE" --style "$style" $args >"g$i.json"
			check_is "g$i.json" 0
		done
	done
	existing_policy >p.json
	policy-gen --merge p.json -m b.json --add >m.json
	check_is m.json 0
	run -0 --separate-stderr bash -c 'policy-gen -q -m "$1" --enclave-principal "$2" | policy-gen --check -' _ a.json "$ROLE"
	[ -z "$output" ]
}

@test "--check: a debug-mode policy is only warned about (exit 0), once per zero value that grants" {
	policy-gen -q -m a.json --enclave-principal "$ROLE" --account "$ACCT" --debug-mode >d.json
	local k="'kms:RecipientAttestation"
	check_is d.json 0 \
		"warning: statement NitrokitEnclaveAllowDebug: $k:PCR0' $DEBUG_FINDING" \
		"warning: statement NitrokitEnclaveAllowDebug: $k:PCR1' $DEBUG_FINDING" \
		"warning: statement NitrokitEnclaveAllowDebug: $k:PCR2' $DEBUG_FINDING" \
		"warning: statement NitrokitEnclaveDenyPCR0Debug: $k:PCR0' $DEBUG_FINDING" \
		"warning: statement NitrokitEnclaveDenyPCR1Debug: $k:PCR1' $DEBUG_FINDING" \
		"warning: statement NitrokitEnclaveDenyPCR2Debug: $k:PCR2' $DEBUG_FINDING"
}

@test "--check: document-level findings" {
	printf '{"Version": "2012-10-17", "Statement": [' >c.json
	check_like c.json 1 "error: policy: invalid JSON at line 1 column [0-9]*: ?*"
	printf '' >c.json
	check_like c.json 1 "error: policy: invalid JSON at line 1 column 0: ?*"
	local ok
	ok=$(root_st "$ACCT")
	printf '{"Version": "2012-10-17", "Version": "2012-10-17", "Statement": [%s]}\n' "$ok" >c.json
	check_like c.json 1 "error: policy: invalid JSON at line 1 column [0-9]*: duplicate object key near '\"Version\"': parsers disagree on which value counts"
	echo '[{"Effect": "Allow"}]' >c.json
	check_is c.json 1 "error: policy: not a JSON object: a key policy is an object with Version and Statement"
	echo '42' >c.json
	check_is c.json 1 "error: policy: not a JSON object: a key policy is an object with Version and Statement"
	echo '{"Version": "2012-10-17"}' >c.json
	check_is c.json 1 "error: policy: no Statement: a key policy needs at least one"
	echo '{"Version": "2012-10-17", "Statement": 5}' >c.json
	check_is c.json 1 "error: policy: Statement is neither an array nor an object: KMS rejects the policy"
	printf '{"Version": "2012-10-17", "Statement": %s}\n' "$ok" >c.json
	check_is c.json 0
	printf '{"Statement": [%s]}\n' "$ok" >c.json
	check_is c.json 1 "error: policy: no Version: key policies need Version '2012-10-17'"
	printf '{"Version": "2008-10-17", "Statement": [%s]}\n' "$ok" >c.json
	check_is c.json 0 "warning: policy: Version '2008-10-17' is outdated: it has no policy variables; use '2012-10-17'"
	printf '{"Version": "2012-10-18", "Statement": [%s]}\n' "$ok" >c.json
	check_is c.json 1 "error: policy: unknown Version '2012-10-18': KMS accepts '2012-10-17' (or the outdated '2008-10-17')"
	# Over 32768 bytes (N = the input's size).
	"$PYTHON" -c '
import json, sys
st = [{"Sid": "S%d" % i, "Effect": "Allow", "Principal": {"AWS": sys.argv[1]}, "Action": "kms:DescribeKey", "Resource": "*"}
      for i in range(400)]
print(json.dumps({"Version": "2012-10-17", "Statement": st}, indent=2))' "$ROLE" >big.json
	local n
	n=$(wc -c <big.json)
	[ "$n" -gt 32768 ]
	check_is big.json 1 "error: policy: policy is $n bytes, more than the 32768 KMS accepts"
}

@test "--check: statements without Effect, Principal, Action, Resource; duplicate Sid" {
	cpol '{"Sid": "NoEffect", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}'
	check_is c.json 1 "error: statement NoEffect: no Effect: a statement must say 'Allow' or 'Deny'"
	cpol '{"Sid": "BadEffect", "Effect": "Permit", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}'
	check_is c.json 1 "error: statement BadEffect: Effect 'Permit' is neither 'Allow' nor 'Deny': KMS rejects the policy"
	cpol '{"Sid": "LowEffect", "Effect": "allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}'
	check_is c.json 1 "error: statement LowEffect: Effect 'allow' is neither 'Allow' nor 'Deny': KMS rejects the policy"
	cpol "$(root_st "$ACCT")" '{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}'
	check_is c.json 1 "error: statement #2: no Principal: a key policy statement must name whom it applies to"
	cpol '{"Sid": "NotPrincipalOk", "Effect": "Deny", "NotPrincipal": {"AWS": "'"$ROLE"'"}, "Action": "kms:Decrypt", "Resource": "*"}'
	check_is c.json 0
	cpol '{"Sid": "NoAction", "Effect": "Allow", "Principal": "*", "Resource": "*"}'
	check_is c.json 1 "error: statement NoAction: no Action: the statement names no operation and KMS rejects it"
	cpol '{"Sid": "NotActionOk", "Effect": "Allow", "Principal": {"AWS": "'"$ROLE"'"}, "NotAction": "kms:Decrypt", "Resource": "*"}'
	check_is c.json 0
	cpol '{"Sid": "NoResource", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt"}'
	check_is c.json 1 "error: statement NoResource: no Resource: KMS rejects a key policy statement without one ('*' means this key)"
	cpol "$(root_st "$ACCT")" "$(admin_st "$ADMIN")" "$(root_st "$ACCT")"
	check_is c.json 1 "error: statement Enable IAM User Permissions: duplicate Sid (statement #1 has it too): Sids must be unique within a policy"
}

@test "--check: condition operators and keys" {
	local c="\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"$ROLE\"}, \"Action\": \"kms:Decrypt\", \"Resource\": \"*\""
	cpol "{\"Sid\": \"Op\", $c, \"Condition\": {\"StringMatches\": {\"kms:RecipientAttestation:PCR0\": \"$A0\"}}}"
	check_is c.json 1 "error: statement Op: unknown condition operator 'StringMatches': KMS rejects the policy"
	cpol "{\"Sid\": \"Op2\", $c, \"Condition\": {\"stringequalsignorecase\": {\"kms:RecipientAttestation:PCR0\": \"$A0\"}}}"
	check_is c.json 1 "error: statement Op2: unknown condition operator 'stringequalsignorecase' (did you mean 'StringEqualsIgnoreCase'?)"
	# Known operators, with the prefixes and IfExists.
	cpol "{\"Sid\": \"Ops\", $c, \"Condition\": {\"StringEqualsIgnoreCaseIfExists\": {\"kms:RecipientAttestation:PCR0\": \"$A0\"},
		\"ForAnyValue:StringLike\": {\"kms:EncryptionContextKeys\": \"app*\"}, \"Bool\": {\"aws:SecureTransport\": \"true\"},
		\"NumericLessThan\": {\"aws:MultiFactorAuthAge\": \"3600\"}, \"DateGreaterThan\": {\"aws:CurrentTime\": \"2020-01-01T00:00:00Z\"},
		\"IpAddress\": {\"aws:SourceIp\": \"10.0.0.0/8\"}, \"ArnLike\": {\"aws:PrincipalArn\": \"arn:aws:iam::*:role/x\"},
		\"Null\": {\"kms:RecipientAttestation:PCR1\": \"false\"}, \"ForAllValues:StringEquals\": {\"kms:GrantOperations\": \"Decrypt\"}}}"
	check_is c.json 0
	local k
	cpol "{\"Sid\": \"K32\", $c, \"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR32\": \"$A0\"}}}"
	check_is c.json 1 "error: statement K32: unknown condition key 'kms:RecipientAttestation:PCR32': PCRs are 0-31"
	cpol "{\"Sid\": \"Kx\", $c, \"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:ModuleId\": \"$A0\"}}}"
	check_is c.json 1 "error: statement Kx: unknown condition key 'kms:RecipientAttestation:ModuleId': kms:RecipientAttestation has only ImageSha384 and PCR0 to PCR31"
	for k in kms:RecipientAttestion:PCR0=PCR0 KMS:recipientattestaton:ImageSha384=ImageSha384 \
		kms:RecipientAttestation:ImageSha256=ImageSha384 kms:RecipientAttestationPCR1=PCR1 kms:RecipientAttestation:PCR01=PCR1; do
		cpol "{\"Sid\": \"Typo\", $c, \"Condition\": {\"StringEqualsIgnoreCase\": {\"${k%%=*}\": \"$A0\"}}}"
		check_is c.json 1 "error: statement Typo: unknown condition key '${k%%=*}' (did you mean 'kms:RecipientAttestation:${k#*=}'?)"
	done
	# Key names are case-insensitive: this one is right.
	cpol "{\"Sid\": \"Case\", $c, \"Condition\": {\"StringEqualsIgnoreCase\": {\"KMS:RECIPIENTATTESTATION:PCR0\": \"$A0\"}}}"
	check_is c.json 0
	cpol "{\"Sid\": \"Case2\", $c, \"Condition\": {\"StringEquals\": {\"kms:RecipientAttestation:PCR0\": \"$A0\"}}}"
	check_is c.json 0 "warning: statement Case2: 'kms:RecipientAttestation:PCR0' under 'StringEquals' is compared case-sensitively: hex in the other case never matches; use 'StringEqualsIgnoreCase'"
	cpol "{\"Sid\": \"Case3\", \"Effect\": \"Deny\", \"Principal\": {\"AWS\": \"$ROLE\"}, \"Action\": \"kms:Decrypt\", \"Resource\": \"*\",
		\"Condition\": {\"StringNotEquals\": {\"kms:RecipientAttestation:PCR1\": \"$A1\"}}}"
	check_is c.json 0 "warning: statement Case3: 'kms:RecipientAttestation:PCR1' under 'StringNotEquals' is compared case-sensitively: hex in the other case never matches; use 'StringNotEqualsIgnoreCase'"
}

@test "--check: attestation values" {
	local c="\"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"$ROLE\"}, \"Action\": \"kms:Decrypt\", \"Resource\": \"*\""
	local k="'kms:RecipientAttestation:PCR0'"
	cpol "{\"Sid\": \"Short\", $c, \"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": \"${A0:1}\"}}}"
	check_is c.json 1 "error: statement Short: $k value '${A0:1}' is not 96 hex characters: it never equals a measurement"
	cpol "{\"Sid\": \"NotHex\", $c, \"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": [\"$A0\", \"${A0:1}g\", \"abc\"]}}}"
	check_is c.json 1 "error: statement NotHex: $k value '${A0:1}g' is not 96 hex characters: it never equals a measurement" \
		"error: statement NotHex: $k value 'abc' is not 96 hex characters: it never equals a measurement"
	cpol "{\"Sid\": \"Upper\", $c, \"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": \"$(up "$A0")\"}}}"
	check_is c.json 0
	cpol "{\"Sid\": \"Zero\", $c, \"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": [\"$A0\", \"$Z\"]}}}"
	check_is c.json 0 "warning: statement Zero: $k $DEBUG_FINDING"
	cpol "{$c, \"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:ImageSha384\": \"$Z\"}}}"
	check_is c.json 0 "warning: statement #1: 'kms:RecipientAttestation:ImageSha384' $DEBUG_FINDING"
	# A Deny of the zero value blocks debug enclaves: nothing to warn about.
	cpol "{\"Sid\": \"NoDebug\", \"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"kms:Decrypt\", \"Resource\": \"*\",
		\"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": \"$Z\"}}}"
	check_is c.json 0
}

@test "--check: a Deny with a negated operator on kms:* or administrative actions locks administrators out" {
	local d="\"Effect\": \"Deny\", \"Principal\": \"*\", \"Resource\": \"*\", \"Condition\": {\"StringNotEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": \"$A0\"}}"
	local lock="error: statement Lock: locks administrators out: Deny with 'StringNotEqualsIgnoreCase' on"
	local a
	for a in 'kms:*' '*' 'kms:Put*' 'kms:*Key*'; do
		cpol "$(root_st "$ACCT")" "{\"Sid\": \"Lock\", $d, \"Action\": \"$a\"}"
		check_is c.json 1 "$lock '$a' also denies kms:PutKeyPolicy, which never carries attestation"
	done
	cpol "$(root_st "$ACCT")" "{\"Sid\": \"Lock\", $d, \"Action\": \"kms:Schedule*\"}"
	check_is c.json 1 "$lock 'kms:Schedule*' also denies kms:ScheduleKeyDeletion, which never carries attestation"
	cpol "$(root_st "$ACCT")" "{\"Sid\": \"Lock\", $d, \"Action\": \"kms:PutKeyPolicy\"}"
	check_is c.json 1 "$lock 'kms:PutKeyPolicy', which never carries attestation"
	cpol "$(root_st "$ACCT")" "{\"Sid\": \"Lock\", $d, \"Action\": [\"kms:Decrypt\", \"kms:ScheduleKeyDeletion\"]}"
	check_is c.json 1 "$lock 'kms:ScheduleKeyDeletion', which never carries attestation"
	cpol "$(root_st "$ACCT")" "{\"Sid\": \"Lock\", $d, \"NotAction\": \"kms:Encrypt\"}"
	check_is c.json 1 "$lock every action but its NotAction also denies kms:PutKeyPolicy, which never carries attestation"
	# Only the crypto operations: fine (the deny style).
	cpol "$(root_st "$ACCT")" "{\"Sid\": \"Fine\", $d, \"Action\": [\"kms:Decrypt\", \"kms:GenerateDataKey*\"]}"
	check_is c.json 0
	# Not negated: no lockout, and a Deny of zeros is no debug finding either.
	cpol "$(root_st "$ACCT")" "{\"Sid\": \"Pos\", \"Effect\": \"Deny\", \"Principal\": \"*\", \"Resource\": \"*\", \"Action\": \"kms:*\",
		\"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": \"$Z\"}}}"
	check_is c.json 0
}

@test "--check: an attestation condition on an action without attestation" {
	cpol "{\"Sid\": \"Enc\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"$ROLE\"}, \"Action\": [\"kms:Decrypt\", \"kms:Encrypt\"], \"Resource\": \"*\",
		\"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": \"$A0\"}}}"
	check_is c.json 0 "warning: statement Enc: the attestation condition never matches 'kms:Encrypt': its requests carry no attestation, so this statement does not allow it"
	cpol "{\"Sid\": \"EncDeny\", \"Effect\": \"Deny\", \"Principal\": \"*\", \"Action\": \"kms:Encrypt\", \"Resource\": \"*\",
		\"Condition\": {\"StringNotEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": \"$A0\"}}}"
	check_is c.json 1 "error: statement EncDeny: Deny with 'StringNotEqualsIgnoreCase' always denies 'kms:Encrypt': its requests carry no attestation"
}

@test "--check: several findings, one line each in document order, exit 1 when one is an error" {
	cpol "{\"Sid\": \"A\", \"Effect\": \"Allow\", \"Principal\": {\"AWS\": \"$ROLE\"}, \"Action\": \"kms:Decrypt\", \"Resource\": \"*\",
		\"Condition\": {\"StringEqualsIgnoreCase\": {\"kms:RecipientAttestation:PCR0\": \"$Z\"}}}" \
		'{"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt"}'
	local want=("warning: statement A: 'kms:RecipientAttestation:PCR0' $DEBUG_FINDING"
		"error: statement #2: no Resource: KMS rejects a key policy statement without one ('*' means this key)")
	check_is c.json 1 "${want[@]}"
	# From standard input, and -o FILE.
	run -1 --separate-stderr bash -c 'policy-gen --check - <c.json'
	[ "$output" = "$(printf '%s\n' "${want[@]}")" ]
	run -1 --separate-stderr policy-gen --check c.json -o findings.txt
	[ -z "$output" ]
	[ "$(cat findings.txt)" = "$(printf '%s\n' "${want[@]}")" ]
}

# ====================================================================================
# Bad input

@test "bad measurements: exit 3 with the file's name, nothing on stdout" {
	printf 'not json' >garbage.json
	fails_prefix 3 "'garbage.json': " -m garbage.json --enclave-principal "$ROLE"
	: >empty.json
	fails_prefix 3 "'empty.json': " -m empty.json --enclave-principal "$ROLE"
	echo '["PCR0"]' >array.json
	fails_prefix 3 "'array.json': " -m array.json --enclave-principal "$ROLE"
	printf '{"Measurements": {"HashAlgorithm": "%s"}}\n' "$HASHALG" >none.json
	fails 3 "'none.json': no PCR values" -m none.json --enclave-principal "$ROLE"
	printf '{"Measurements": {"HashAlgorithm": "%s", "PCR": "%s"}}\n' "$HASHALG" "$A0" >input.json
	fails 3 "'input.json': no PCR values" -m input.json --enclave-principal "$ROLE"
	echo '{}' >obj.json
	fails 3 "'obj.json': no PCR values" -m obj.json --enclave-principal "$ROLE"
	printf '{"Measurements": {"PCR0": "%s", "PCR1": "%s"}}\n' "$A0" "${A1:1}" >short.json
	fails 3 "'short.json': PCR1 is not 96 hex characters" -m short.json --enclave-principal "$ROLE"
	printf '{"PCR0": "%s", "PCR2": "%s"}\n' "$A0" "${A2:1}x" >nothex.json
	fails 3 "'nothex.json': PCR2 is not 96 hex characters" -m nothex.json --enclave-principal "$ROLE"
	printf '{"PCR0": "%s0"}\n' "$A0" >long.json
	fails 3 "'long.json': PCR0 is not 96 hex characters" -m long.json --enclave-principal "$ROLE"
	printf '{"Measurements": {"HashAlgorithm": "Sha256 { ... }", "PCR0": "%s"}}\n' "$A0" >sha256.json
	fails_prefix 3 "'sha256.json': " -m sha256.json --enclave-principal "$ROLE"
	fails 3 "'a.json': no PCR8 to use" -m a.json --use 0,8 --enclave-principal "$ROLE"
	fails 3 "'a.json': no PCR3 to use" -m a.json --use 3 --enclave-principal "$ROLE"
	run --separate-stderr bash -c 'printf "{}" | policy-gen -m - --enclave-principal "$1"' _ "$ROLE"
	[ "$status" -eq 3 ] && [ -z "$output" ] && [[ "$stderr" == "policy-gen: "*"no PCR values" ]]
}

@test "bad values on the command line: exit 2 with the contract's message" {
	fails 2 "invalid value 'abc' for --pcr0: expected 96 hex characters" --pcr0 abc --enclave-principal "$ROLE"
	fails 2 "invalid value '${A0}0' for --pcr0: expected 96 hex characters" --pcr0 "${A0}0" --enclave-principal "$ROLE"
	fails 2 "invalid value '${A0:1}g' for --pcr0: expected 96 hex characters" --pcr0 "${A0:1}g" --enclave-principal "$ROLE"
	fails 2 "invalid value 'zz' for --image-sha384: expected 96 hex characters" --image-sha384 zz --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value 'x' for --pcr: " --pcr x --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value '32=$A0' for --pcr: " --pcr "32=$A0" --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value '-1=$A0' for --pcr: " --pcr "-1=$A0" --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value '=$A0' for --pcr: " --pcr "=$A0" --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value '1=abc' for --pcr: " --pcr 1=abc --enclave-principal "$ROLE"
	fails 2 "invalid value 'sign' for --allow: $ALLOW_MSG" -m a.json --allow sign --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value 'both' for --style: " -m a.json --style both --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value 'foo' for --use: " -m a.json --use foo --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value '32' for --use: " -m a.json --use 32 --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value '12345' for --account: " -m a.json --account 12345 --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value '11112222333a' for --account: " -m a.json --account 11112222333a --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value 'a-b' for --sid-prefix: " -m a.json --sid-prefix a-b --enclave-principal "$ROLE"
	fails_prefix 2 "invalid value 'a b' for --sid-prefix: " -m a.json --sid-prefix 'a b' --enclave-principal "$ROLE"
	# Both inputs cannot come from standard input.
	run --separate-stderr bash -c 'policy-gen -m - --merge - <a.json'
	[ "$status" -eq 2 ] && [ -z "$output" ] && [[ "$stderr" == "policy-gen: "* ]]
}

@test "principals KMS would reject are refused (the contract is silent: what a user expects)" {
	# KMS takes ARNs and 12-digit account ids as principals.
	fails 2 "--enclave-principal must not be empty" -m a.json --enclave-principal ''
	fails 2 "--admin must not be empty" -m a.json --enclave-principal "$ROLE" --admin ''
	fails 2 "--encrypt-principal must not be empty" -m a.json --enclave-principal "$ROLE" --encrypt-principal ''
	gen_quiet -m a.json --enclave-principal "$ROLE" --admin "$ACCT" --statements
	fails_prefix 2 "invalid value 'enclave' for --enclave-principal: " -m a.json --enclave-principal enclave
	fails_prefix 2 "invalid value 'alice' for --admin: " -m a.json --enclave-principal "$ROLE" --admin alice
}

@test "usage: no values, no principal, output modes, --add without --merge, --check with options" {
	fails 2 "no attestation values: give --measurements, --pcr, --pcr0 or --image-sha384" --enclave-principal "$ROLE"
	fails 2 "--enclave-principal is needed" -m a.json
	fails 2 "--enclave-principal is needed" -m a.json --statements --account "$ACCT"
	existing_policy >p.json
	# The contract gives no wording for these: the suite's patterns ("X does not go with Y",
	# "X needs Y", as pcr-compute's "--user-pcr needs --extend").
	fails 2 "--statements does not go with --merge" -m a.json --enclave-principal "$ROLE" --statements --merge p.json
	fails 2 "--statements does not go with --check" --statements --check p.json
	fails 2 "--merge does not go with --check" --merge p.json --check p.json
	fails 2 "--add needs --merge" -m a.json --enclave-principal "$ROLE" --add
	fails 2 "--replace needs --merge" -m a.json --enclave-principal "$ROLE" --replace
	fails 2 "--measurements does not go with --check" --check p.json -m a.json
	fails 2 "--style does not go with --check" --check p.json --style deny
	fails 2 "--enclave-principal does not go with --check" --check p.json --enclave-principal "$ROLE"
	fails 2 "unknown option '--bogus' (see 'policy-gen --help')" --bogus
}

@test "the option table's checks: empty files, control characters, --add with --replace, --use, standard input" {
	existing_policy >p.json
	fails 2 "--measurements must not be empty" -m '' --enclave-principal "$ROLE"
	fails 2 "--merge must not be empty" --merge '' -m a.json
	fails 2 "--check must not be empty" --check ''
	fails 2 "--output must not be empty" -m a.json --enclave-principal "$ROLE" -o ''
	fails 2 "--pcr must not be empty" --pcr '' --enclave-principal "$ROLE"
	fails 2 "--sid-prefix must not contain control characters (byte 2 is 0x09)" -m a.json --enclave-principal "$ROLE" \
		--sid-prefix "$(printf 'a\tb')"
	fails 2 "--enclave-principal must not contain control characters (byte 22 is 0x0a)" -m a.json \
		--enclave-principal "$(printf 'arn:aws:iam::1:role/a\nb')"
	fails 2 "--add and --replace cannot be used together" --merge p.json -m a.json --add --replace
	fails 2 "--use needs --measurements" --pcr0 "$A0" --use 0 --enclave-principal "$ROLE"
	fails 2 "--no-root-statement does not go with --merge" --merge p.json -m a.json --no-root-statement
	fails 2 "--add does not go with --check" --check p.json --add
	run --separate-stderr bash -c 'policy-gen -m - --merge - <a.json'
	[ "$status" -eq 2 ] && [ -z "$output" ]
	[ "$stderr" = "policy-gen: --measurements and --merge cannot both read standard input" ]
}

@test "--merge of something that is not a key policy: exit 3" {
	local f
	printf 'nope' >m1.json
	echo '[]' >m2.json
	echo '{"Version": "2012-10-17"}' >m3.json
	echo '{"Version": "2012-10-17", "Statement": "x"}' >m4.json
	echo '{"Version": "2012-10-17", "Statement": 5}' >m5.json
	for f in m1.json m2.json m3.json m4.json m5.json; do
		fails_prefix 3 "'$f': not a key policy: " --merge "$f" -m a.json --enclave-principal "$ROLE"
	done
	# Larger than any key policy KMS accepts (DESIGN §3: policy inputs are capped at 32 KiB).
	"$PYTHON" -c '
import json, sys
st = [{"Sid": "S%d" % i, "Effect": "Allow", "Principal": {"AWS": sys.argv[1]}, "Action": "kms:DescribeKey", "Resource": "*"}
      for i in range(400)]
print(json.dumps({"Version": "2012-10-17", "Statement": st}, indent=2))' "$OTHER" >big.json
	fails_prefix 3 "'big.json' is too large" --merge big.json -m a.json --enclave-principal "$ROLE"
}

@test "missing files: exit 4, and no -o file left behind on any error" {
	fails 4 "cannot open 'nope.json': No such file or directory" -m nope.json --enclave-principal "$ROLE"
	fails 4 "cannot open 'nope.json': No such file or directory" --merge nope.json -m a.json
	fails 4 "cannot open 'nope.json': No such file or directory" --check nope.json
	mkdir o
	fails 4 "cannot open 'nope.json': No such file or directory" -m nope.json --enclave-principal "$ROLE" -o o/out.json
	printf '{"PCR0": "abc"}\n' >bad.json
	run -3 policy-gen -m bad.json --enclave-principal "$ROLE" -o o/out.json
	run -2 policy-gen -m a.json --allow sign --enclave-principal "$ROLE" -o o/out.json
	local args=() i
	for i in $(seq 1 160); do args+=(--pcr "16=$(printf '%096x' "$i")"); done
	run -3 policy-gen -q -m a.json --enclave-principal "$ROLE" "${args[@]}" -o o/out.json
	existing_policy >p.json
	run -3 policy-gen --merge p.json -m a.json "${args[@]}" -o o/out.json
	# Nothing there: no output file, no temporary file of the atomic write.
	[ -z "$(ls -A o)" ] || { ls -A o; return 1; }
	echo precious >o/keep.json
	run -3 policy-gen -m bad.json --enclave-principal "$ROLE" -o o/keep.json
	[ "$(cat o/keep.json)" = precious ]
	[ "$(ls -A o)" = keep.json ]
}

@test "-o into a FIFO writes through it (no rename over a non-regular file)" {
	mkfifo f.fifo
	timeout 10 cat f.fifo >got.json 3>&- &
	local pid=$!
	run timeout 10 policy-gen -q -m a.json --enclave-principal "$ROLE" -o f.fifo
	if [ ! -p f.fifo ]; then
		kill "$pid" 2>/dev/null
		echo "f.fifo was replaced by a regular file (exit $status)"
		return 1
	fi
	wait "$pid"
	jeq "$(cat got.json)" "$(policy "$(enclave_a)")"
}

@test "a write error on standard output is exit 4" {
	[ -c /dev/full ] || skip "no /dev/full"
	run -4 --separate-stderr bash -c 'policy-gen -q -m a.json --enclave-principal "$1" >/dev/full' _ "$ROLE"
	[ "$stderr" = "policy-gen: write error on standard output: No space left on device" ]
	echo '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow"}]}' >c.json
	run -4 --separate-stderr bash -c 'policy-gen --check c.json >/dev/full'
	[ "$stderr" = "policy-gen: write error on standard output: No space left on device" ]
}

# ====================================================================================
# --help, --version

@test "--help lists every option and exits 0" {
	run -0 --separate-stderr policy-gen --help
	local o
	for o in --measurements --pcr --pcr0 --image-sha384 --use --enclave-principal --admin --encrypt-principal \
		--account --no-root-statement --allow --style --debug-mode --sid-prefix --statements --merge --add \
		--replace --check --output --help --version --verbose --quiet; do
		[[ "$output" == *"$o"* ]] || { echo "--help lacks $o"; return 1; }
	done
	[[ "$output" == *"-m, --measurements"* && "$output" == *"-o, --output"* ]]
	[ -z "$stderr" ]
	run -0 policy-gen -h
	[[ "$output" == *"--enclave-principal"* ]]
}

@test "--version names the tool" {
	run -0 --separate-stderr policy-gen --version
	[[ "${lines[0]}" == "policy-gen (nitrokit) "* ]]
	run -0 policy-gen -V
	[[ "${lines[0]}" == "policy-gen (nitrokit) "* ]]
}
