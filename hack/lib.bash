# Shell helpers shared by hack/test-engines.sh and hack/test-cri.sh
# (sourced after they cd to the repository's root).

# stop_pid PID: TERM, then KILL after 15 s, then reap it if it is our
# child. Only for a process the caller started itself.
stop_pid() {
	local pid=$1 i
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 150); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null && sleep 0.2
	wait "$pid" 2>/dev/null
	return 0
}
