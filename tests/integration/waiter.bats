#!/usr/bin/env bats
# The container's first process between create and start: it holds the
# process's final credentials and nothing of the runtime's that the
# container could use (non-dumpable, the sealed binary, no extra fds), it
# stops on the signals `kill` sends, and `start` runs the process exactly as
# configured. In hako it is the C stage of the sealed binary, not a Go
# runtime (issue 11), except where the Go init still has work after the
# wait (startContainer hooks, an LSM exec label) or for `run`.

load helpers

# user_ctr: a created container whose process runs as 1000:1000 with only
# CAP_KILL and no_new_privs, and reports what it got.
user_ctr() {
	update_config '.process.user = {uid: 1000, gid: 1000, additionalGids: [1001]}
		| .process.noNewPrivileges = true | del(.process.rlimits)
		| .process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"], ambient: ["CAP_KILL"], inheritable: ["CAP_KILL"]}'
	set_args sh -c 'echo "args=$0|$1"; id; ulimit -n; grep -E "^(CapEff|CapAmb|NoNewPrivs)" /proc/self/status; echo "env=$HAKO_T"' zero "x y"
	update_config '.process.env += ["HAKO_T=v a l"]'
	# a soft open-files limit below the hard one, which a Go runtime raises
	ulimit -Sn 512
	create_ctr
	assert_success
}

@test "the waiting init has the process's credentials, is non-dumpable and runs from the sealed binary" {
	user_ctr
	local pid self
	pid=$(container_pid "$CID")
	run grep -E '^(Uid|Gid|Groups|NoNewPrivs|CapEff):' "/proc/$pid/status"
	assert_contains "Uid:	1000	1000	1000	1000"
	assert_contains "Gid:	1000	1000	1000	1000"
	assert_contains "NoNewPrivs:	1"
	# non-dumpable: its /proc/<pid> entries belong to root, not to uid 1000
	[ "$(stat -c %u "/proc/$pid/fd")" = 0 ] || fail "the waiting init is dumpable: /proc/$pid/fd belongs to $(stat -c %u "/proc/$pid/fd")"
	# never the host's file (CVE-2019-5736)
	self=$(readlink -f "$RUNTIME")
	[ "$(readlink "/proc/$pid/exe")" != "$self" ] || fail "the waiting init runs from $self"
	# hako: stdio and the exec fifo, nothing else (runc's Go init also
	# holds its runtime's own epoll fd and pipes)
	if [ "$RUNTIME_NAME" != runc ]; then
		run ls -l "/proc/$pid/fd/"
		[ "$(grep -c -- ' -> ' <<<"$output")" = 4 ] || fail "fds of the waiting init: $output"
		assert_contains "exec.fifo"
	fi
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	run ctr_output
	assert_contains "args=zero|x y"
	# additionalGids only, as runc sets them
	assert_match 'uid=1000(\(hako\))? gid=1000(\(hako\))? groups=1001$' 
	assert_contains "CapEff:	0000000000000020"
	assert_contains "CapAmb:	0000000000000020"
	assert_contains "NoNewPrivs:	1"
	assert_contains "env=v a l"
	# without process.rlimits, the caller's open-files limit (user_ctr), not
	# the one a Go runtime raises
	assert_match '^512$' 
}

@test "hako: the waiting init runs no Go runtime (one thread)" {
	skip_if_runtime runc "runc's init waits in Go"
	skip_if_runtime crun "not hako"
	[ -z "$(readelf -l "$RUNTIME" 2>/dev/null | grep INTERP)" ] || skip "a dynamically linked hako waits in Go (make build links it statically)"
	set_args true
	create_ctr
	assert_success
	local pid
	pid=$(container_pid "$CID")
	run grep -E '^(Name|Threads):' "/proc/$pid/status"
	assert_contains "Threads:	1"
	assert_contains "Name:	hako:init"
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
}

@test "hako: with startContainer hooks the init waits in Go, and they run after start" {
	skip_if_runtime runc "runc's init always waits in Go"
	skip_if_runtime crun "not hako"
	update_config '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "echo hooked > /hooked"]}]'
	set_cmd 'cat /hooked'
	create_ctr
	assert_success
	local pid threads
	pid=$(container_pid "$CID")
	threads=$(awk '/^Threads:/ {print $2}' "/proc/$pid/status")
	[ "$threads" -gt 1 ] || fail "a Go init has more than one thread: $threads"
	[ ! -e "$BUNDLE/rootfs/hooked" ] || fail "the hook ran before start"
	runtime start "$CID"
	assert_success
	wait_output_contains "$CID" hooked
}

# term_stops_created: kill TERM stops a created container of $BUNDLE.
term_stops_created() {
	set_args true
	create_ctr
	assert_success
	runtime kill "$CID" TERM
	assert_success
	wait_for_status "$CID" stopped
	runtime delete "$CID"
	assert_success
}

@test "kill TERM of a created container in its own pid namespace stops it" {
	term_stops_created
}

@test "kill TERM of a created container without a pid namespace stops it" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	term_stops_created
}

@test "start of a process that cannot be exec'd fails at create, not in the waiting init" {
	set_args /no/such/binary
	create_ctr
	assert_failure
	assert_contains "no such file or directory"
	[ "$(container_status "$CID")" = none ]
}
