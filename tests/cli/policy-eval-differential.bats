#!/usr/bin/env bats
# Differential test of lib/policy/policy_eval.c against tests/fixtures/iam_eval.py,
# an independent evaluator: random policies and requests within the shared
# semantics, decided by both.  The C side is the unit test binary in driver
# mode (tests/unit/test_policy_eval CASES.json).  iam_eval.py models the IAM
# delegation of the root statement and ours does not (account root = any
# principal of the account), so it is called with an IAM policy allowing
# everything ("*"), under which the two models coincide.
load common

DRIVER="$NK_ROOT/tests/unit/test_policy_eval"

# gen SEED COUNT > cases.json
gen() {
	"$PYTHON" - "$FIXTURES" "$1" "$2" <<'PY'
import json, random, sys
sys.path.insert(0, sys.argv[1])
import iam_eval

rng = random.Random(int(sys.argv[2]))
A, B, Z = "a" * 96, "b" * 96, "0" * 96
ACCT, FOREIGN = "111122223333", "444455556666"
ROLE = "arn:aws:iam::%s:role/enclave" % ACCT
PRINCIPAL_ENTRIES = [
    "*", ROLE, "arn:aws:iam::%s:role/other" % ACCT, "arn:aws:iam::%s:role/path/enclave" % ACCT,
    "arn:aws:iam::%s:root" % ACCT, "arn:aws:iam::%s:root" % FOREIGN, "arn:aws-cn:iam::%s:root" % ACCT,
    ACCT, FOREIGN, "arn:aws:iam::%s:user/alice" % ACCT, "arn:aws:iam::%s:role/enclave" % FOREIGN,
    "arn:aws:sts::%s:assumed-role/enclave/s1" % ACCT, "anonymous",
]
CALLERS = [
    ROLE, "arn:aws:sts::%s:assumed-role/enclave/s1" % ACCT, "arn:aws:sts::%s:assumed-role/enclave/s2" % ACCT,
    "arn:aws:sts::%s:assumed-role/other/s1" % ACCT, "arn:aws:iam::%s:role/other" % ACCT,
    "arn:aws:iam::%s:user/alice" % ACCT, "arn:aws:iam::%s:role/enclave" % FOREIGN,
    "arn:aws-cn:iam::%s:role/enclave" % ACCT, "arn:aws:sts::%s:assumed-role/enclave" % ACCT, "anonymous",
]
ACTION_PATTERNS = ["kms:*", "*", "kms:Decrypt", "kms:decrypt", "KMS:ENCRYPT", "kms:Gen*", "kms:GenerateDataKey",
                   "kms:GenerateDataKey*", "kms:Decryp?", "kms:Put*", "s3:*", "kms:*Key*", "kms:?"]
ACTIONS = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyPair", "kms:PutKeyPolicy",
           "kms:GenerateRandom", "s3:GetObject"]
KEYS = ["kms:RecipientAttestation:PCR0", "kms:recipientattestation:pcr0", "kms:RecipientAttestation:PCR1",
        "kms:RecipientAttestation:ImageSha384", "aws:SecureTransport", "k:x", "K:Y"]
VALUES = ["abc", "ABC", "ab*", "a?c", "*", "", A, A.upper(), B, Z, "a*", "true", "false", "True", True, False, 1, 0, "1"]
CTX_VALUES = ["abc", "ABC", "abbc", "a", "", A, A.upper(), B, Z, "true", "false", "TRUE", "1", "0"]
OPS = ["StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
       "StringLike", "StringNotLike", "Bool"]


def one_or_list(pool, k=3):
    v = rng.sample(pool, rng.randint(0, k) if rng.random() < 0.1 else rng.randint(1, k))
    return v[0] if len(v) == 1 and rng.random() < 0.6 else v


def principal():
    r = rng.random()
    if r < 0.1:
        return "*"
    p = {"AWS": one_or_list(PRINCIPAL_ENTRIES)}
    if r > 0.9:
        p["Service"] = "ec2.amazonaws.com"
    return p


def condition():
    c = {}
    for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
        if rng.random() < 0.15:
            op = "Null"
            vals = one_or_list(["true", "false", True, False], 2)
        else:
            op = rng.choice(OPS) + ("IfExists" if rng.random() < 0.3 else "")
            vals = one_or_list(VALUES)
        block = c.setdefault(op, {})
        for key in rng.sample(KEYS, rng.choice([1, 1, 2])):
            block[key] = vals if rng.random() < 0.5 else one_or_list(VALUES)
    return c


def statement(i):
    s = {}
    if rng.random() < 0.7:
        s["Sid"] = rng.choice(["S%d" % i, "", "Stmt %d" % i])
    s["Effect"] = rng.choice(["Allow", "Allow", "Deny"])
    s["NotPrincipal" if rng.random() < 0.1 else "Principal"] = principal()
    s["NotAction" if rng.random() < 0.15 else "Action"] = one_or_list(ACTION_PATTERNS)
    s["Resource"] = rng.choice(["*", ["*"]])
    c = condition()
    if c or rng.random() < 0.05:
        s["Condition"] = c
    return s


def context():
    ctx = {}
    for key in rng.sample(KEYS, rng.randint(0, 4)):
        if key.lower() not in (k.lower() for k in ctx):  # one value per key, whatever the case
            ctx[key] = rng.choice(CTX_VALUES)
    return ctx


cases = []
for n in range(int(sys.argv[3])):
    stmts = [statement(i) for i in range(rng.randint(0, 4))]
    policy = {"Version": "2012-10-17", "Statement": stmts[0] if len(stmts) == 1 and rng.random() < 0.2 else stmts}
    case = {"policy": policy, "action": rng.choice(ACTIONS), "principal": rng.choice(CALLERS), "context": context()}
    verdict, label = iam_eval.evaluate(policy, case["action"], case["principal"], ["*"], case["context"])
    case.update(verdict=verdict, label=label)
    cases.append(case)
json.dump(cases, sys.stdout)
PY
}


need_driver() {
	[ -x "$DRIVER" ] || skip "tests/unit/test_policy_eval not built (make check-build)"
}

@test "policy_eval agrees with iam_eval.py on 3000 random policies and requests" {
	need_driver
	gen 20261123 3000 > cases.json
	# the generator covers every verdict, else the comparison proves little
	for v in Allow ExplicitDeny ImplicitDeny; do
		grep -q "\"verdict\": \"$v\"" cases.json
	done
	run -0 "$DRIVER" cases.json
	[ "${lines[-1]}" = "3000 of 3000 cases agree with iam_eval.py" ]
}

@test "policy_eval agrees with iam_eval.py on another seed, many statements" {
	need_driver
	gen 7 2000 > cases.json
	run -0 "$DRIVER" cases.json
	[ "${lines[-1]}" = "2000 of 2000 cases agree with iam_eval.py" ]
}

@test "the driver reports a disagreement (the comparison can fail)" {
	need_driver
	cat > cases.json <<'JSON'
[{"policy": {"Statement": [{"Sid": "S", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}]},
  "action": "kms:Decrypt", "principal": "x", "context": {}, "verdict": "ImplicitDeny", "label": null}]
JSON
	run -1 "$DRIVER" cases.json
	[[ "${lines[0]}" == "case 0: got Allow 'S', iam_eval.py says ImplicitDeny ''" ]]
	[ "${lines[-1]}" = "0 of 1 cases agree with iam_eval.py" ]
}

@test "iam_eval.py's own self-test passes (the reference is sound)" {
	run -0 "$PYTHON" "$FIXTURES/iam_eval.py" --self-test
	[[ "$output" == *"self-test cases passed"* ]]
	[[ "$output" != *FAIL* ]]
}
