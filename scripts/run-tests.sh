#!/bin/sh
# Run every test of `make check`: cmocka unit tests, the fuzz corpora replayed,
# and the bats CLI tests under prove.  Ends with their summary lines; exits
# non-zero when anything failed.
set -u
cd "$(dirname "$0")/.."
export LC_ALL=C

fail=0
units=0; ufail=0
for t in tests/unit/test_*; do
	case "$t" in *.c|*.o|*.d) continue ;; esac
	[ -x "$t" ] || continue
	units=$((units + 1))
	if ! "$t" >"$t.log" 2>&1; then
		ufail=$((ufail + 1))
		echo "unit: FAIL $t"; cat "$t.log"
	fi
done
rm -f tests/unit/*.log

replays=0; rfail=0
for r in tests/fuzz/fuzz_*.replay; do
	[ -x "$r" ] || continue
	n=$(basename "$r" .replay)
	replays=$((replays + 1))
	# A target without corpus files would replay nothing: that is a failure
	# too (the replay itself fails on any file it cannot read).
	set -- tests/fuzz/corpus/"$n"/*
	if [ ! -e "$1" ]; then
		rfail=$((rfail + 1))
		echo "fuzz replay: FAIL $n: no files in tests/fuzz/corpus/$n"
		continue
	fi
	if ! "$r" "$@" >/dev/null 2>"$r.log"; then
		rfail=$((rfail + 1))
		echo "fuzz replay: FAIL $n"; cat "$r.log"
	fi
	rm -f "$r.log"
done

prove -j"$(nproc)" --exec 'bats --tap' tests/cli/*.bats
pr=$?

echo "unit tests: $units suites, $ufail failed"
echo "fuzz corpus replays: $replays targets, $rfail failed"
[ $ufail -eq 0 ] && [ $rfail -eq 0 ] && [ $pr -eq 0 ] || fail=1
if [ $fail -eq 0 ]; then echo "make check: PASS"; else echo "make check: FAIL"; fi
exit $fail
