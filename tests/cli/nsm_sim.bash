# Shared by the bats files of the NSM tools: an nsm-sim for each test.
# Needs $T (common.bash) and $F/app.eif, $F/pki (the file's setup_file).
# sim [ARGS]: nsm-sim on $T/nsm.sock with the synthetic image, selected
# through NITROKIT_NSM; ready once the pidfile exists.  Skips without nsm-sim.
sim() {
	[ -x "$NK_ROOT/bin/nsm-sim" ] || skip "bin/nsm-sim is not built"
	export NITROKIT_NSM="unix:$T/nsm.sock"
	nsm-sim --socket "$T/nsm.sock" --pki "$F/pki" --eif "$F/app.eif" --pidfile "$T/nsm.pid" "$@" \
		>"$T/sim.log" 2>&1 3>&- &
	SIM_PID=$!
	wait_ready "$SIM_PID" "$T/sim.log" -s "$T/nsm.pid" -S "$T/nsm.sock"
}

stop_sim() {
	[ -n "${SIM_PID:-}" ] || return 0
	kill -TERM "$(cat "$T/nsm.pid" 2>/dev/null || echo "$SIM_PID")" 2>/dev/null
	wait "$SIM_PID" 2>/dev/null || true
	SIM_PID=
}
