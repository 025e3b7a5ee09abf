#!/usr/bin/env bats
# A KMS tool ended by SIGTERM or SIGHUP while it writes -o leaves no file:
# not the temporary holding the plaintexts so far, and not a half output;
# a file that was there stays as it was.  kms-decrypt --batch is the tool
# that holds its output open across KMS calls.
load common
load nsm_sim
load kms

# Has process $1 an open file under directory $2 with something in it?  The
# temporary is found whether it has a name or not (O_TMPFILE).
holds_data_in() {
	local f
	for f in /proc/"$1"/fd/*; do
		[[ "$(readlink "$f")" == "$2"/* ]] && [ "$(stat -L -c %s "$f" 2>/dev/null)" -gt 0 ] && return 0
	done
	return 1
}

# killed SIG PID: PID ended by SIG.
killed() {
	local status=0
	kill -"$1" "$2"
	wait "$2" || status=$?
	[ "$status" -eq $((128 + $(kill -l "$1"))) ] || { echo "exit status $status"; return 1; }
}

@test "--batch -o: SIGTERM or SIGHUP after a plaintext was written leaves no file" {
	kms_up
	kms_seal_lines 2
	local sig pid w
	for sig in TERM HUP; do
		rm -rf out in.fifo
		mkdir out
		mkfifo in.fifo
		# The first line is decrypted and written; the tool then waits for
		# the second on its input.
		kms-decrypt --batch -o "$T/out/plain.txt" <in.fifo 3>&- &
		pid=$!
		exec {w}>in.fifo
		head -1 lines.txt >&"$w"
		kms_wait_for holds_data_in "$pid" "$T/out"
		killed "$sig" "$pid"
		exec {w}>&-
		ls -A out >left
		[ ! -s left ] || { echo "left in out/: $(cat left)"; false; }
	done
}

@test "--batch -o: SIGTERM during a slow KMS call leaves no temporary, and the old file" {
	kms_up --delay 30
	kms_seal_lines 2
	local pid
	mkdir out
	echo OLD >out/plain.txt
	kms-decrypt --batch -o "$T/out/plain.txt" <lines.txt 3>&- &
	pid=$!
	# the request is logged before the responder's delay: the tool is mid-call
	kms_wait_logged
	killed TERM "$pid"
	ls -A out >left
	[ "$(cat left)" = plain.txt ] || { echo "left in out/: $(cat left)"; false; }
	[ "$(cat out/plain.txt)" = OLD ]
}

@test "SIGTERM while waiting to retry the vsock-proxy: the relay's socket directory is removed" {
	kms_env
	mkdir tmp
	printf 'x' >pt
	# Nothing listens on the abstract name: each attempt fails at once and
	# the tool sleeps in its backoff, with the relay's directory in ./tmp.
	TMPDIR="$T/tmp" NITROKIT_BACKOFF_MS=2000 kms-encrypt --vsock "@nk-none-$$" --key-id alias/test \
		--plaintext-file pt --retries 10 -o out 3>&- &
	local pid=$!
	kms_wait_for compgen -G 'tmp/nitrokit-*/kms'
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	[ -z "$(ls -A tmp)" ]
	[ ! -e out ]
}
