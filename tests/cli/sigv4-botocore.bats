#!/usr/bin/env bats
# Our SigV4 against botocore's SigV4Auth for the same KMS request (an
# independent implementation; skipped where botocore is absent).  The C side
# is tests/unit/test_sigv4 in its --authorization driver mode.
load common

DRIVER="$NK_ROOT/tests/unit/test_sigv4"

# botocore_auth REGION AMZDATE TARGET BODY: botocore's Authorization header,
# signed with the credentials of the environment at the fixed time.
botocore_auth() {
	PYTHONPATH="$FIXTURES" "$PYTHON" - "$@" <<'PY'
import os, sys
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore_sign import authorization

region, amzdate, target, body = sys.argv[1:5]
creds = Credentials(os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"],
                    os.environ.get("AWS_SESSION_TOKEN"))
req = AWSRequest(method="POST", url="https://kms.%s.amazonaws.com/" % region, data=body.encode(),
                 headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})
print(authorization(req, creds, region, amzdate))
PY
}

setup_file() {
	[ -x "$NK_ROOT/tests/unit/test_sigv4" ] || skip "tests/unit/test_sigv4 not built"
}

@test "issue 6's KMS Decrypt request: same Authorization as botocore, and the known signature" {
	need_botocore
	export AWS_ACCESS_KEY_ID=AKIDEXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
	export AWS_SESSION_TOKEN=SESSIONTOKENEXAMPLE
	body='{"CiphertextBlob": "AQID", "KeyId": "alias/test"}'
	run -0 botocore_auth us-east-1 20150830T123600Z TrentService.Decrypt "$body"
	expected=$output
	[[ $expected == *Signature=394df7a121907e604654eb0f68c01be9256f4aed40ce0c6e90062540374c38c0 ]]
	run -0 "$DRIVER" --authorization us-east-1 20150830T123600Z TrentService.Decrypt "$body"
	[ "$output" = "$expected" ]
}

@test "other regions, operations, bodies and no session token: same as botocore" {
	need_botocore
	export AWS_ACCESS_KEY_ID=ASIAQEXAMPLE2 AWS_SECRET_ACCESS_KEY='9drTJvcXLB89EXAMPLELB8923FB892xMFI+/ab'
	unset AWS_SESSION_TOKEN
	for args in "eu-west-1 20260101T000000Z TrentService.GenerateRandom {\"NumberOfBytes\":32}" \
		    "ap-south-2 20241231T235959Z TrentService.Encrypt {\"KeyId\":\"k\",\"Plaintext\":\"aGk=\"}" \
		    "us-west-2 20200229T120000Z TrentService.Decrypt {}"; do
		set -- $args
		run -0 botocore_auth "$@"
		expected=$output
		run -0 "$DRIVER" --authorization "$@"
		[ "$output" = "$expected" ] || { echo "args: $args"; echo "ours: $output"; echo "botocore: $expected"; false; }
	done
	export AWS_SESSION_TOKEN='FwoGZXIvYXdzEBYaDH+/=='
	run -0 botocore_auth us-east-1 20150830T123600Z TrentService.Decrypt '{"a": 1}'
	expected=$output
	run -0 "$DRIVER" --authorization us-east-1 20150830T123600Z TrentService.Decrypt '{"a": 1}'
	[ "$output" = "$expected" ]
}

@test "the driver says what to set when there are no credentials" {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
	run -2 "$DRIVER" --authorization us-east-1 20150830T123600Z TrentService.Decrypt '{}'
	[ "$output" = "test_sigv4: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give --credentials FILE" ]
}
