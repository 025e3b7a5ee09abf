# Shared set-up for the bats files: the built binaries first on PATH, C locale,
# a fresh temporary directory per test, the shared test vectors when present.
bats_require_minimum_version 1.5.0

NK_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
export PATH="$NK_ROOT/bin:$PATH"
export LC_ALL=C
FIXTURES="$NK_ROOT/tests/fixtures"
TESTDATA=${NITROKIT_TESTDATA:-$NK_ROOT/../shared/testdata}
PYTHON=${PYTHON:-python3}

setup() {
	T="$BATS_TEST_TMPDIR"
	cd "$T" || return 1
}

# Skip (with the reason) when the shared test vectors are absent.
need_testdata() {
	[ -d "$TESTDATA" ] || skip "shared test vectors not found at $TESTDATA"
}

# Compare two JSON texts as parsed values (key order and spacing ignored).
json_eq() {
	"$PYTHON" -c 'import json,sys; a=json.loads(sys.argv[1]); b=json.loads(sys.argv[2]); sys.exit(0 if a==b else 1)' "$1" "$2" \
		|| { echo "JSON differs:"; echo "got:      $1"; echo "expected: $2"; return 1; }
}

# Print one field of a JSON document: json_get '{"a":{"b":1}}' a b
json_get() {
	"$PYTHON" -c 'import json,sys
v=json.loads(sys.argv[1])
for k in sys.argv[2:]: v=v[k]
print(json.dumps(v) if not isinstance(v,str) else v)' "$@"
}
