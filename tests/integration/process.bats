#!/usr/bin/env bats
# process: args, env, cwd, user, umask, oomScoreAdj, noNewPrivileges, fds,
# and the errors of a process that cannot be executed.

load helpers

@test "args are passed verbatim" {
	set_args sh -c 'for a in "$@"; do echo "[$a]"; done' zero "a b" '' '$HOME' '*' "line1
line2"
	run_ctr
	assert_success
	assert_output '[a b]
[]
[$HOME]
[*]
[line1
line2]'
}

@test "env is the configured one, nothing from the caller" {
	update_config '.process.env += ["FOO=bar", "SPACED=a b  c", "EMPTY="]'
	set_cmd 'echo "$FOO|$SPACED|${EMPTY-unset}|$PATH"; env | grep -c HB_CALLER_LEAK; true'
	HB_CALLER_LEAK=1 run env "$TAG_VAR=$TAG" HB_CALLER_LEAK=1 "$RUNTIME" --root "$ROOT" run -b "$BUNDLE" "$CID"
	assert_success
	[ "${lines[0]}" = "bar|a b  c||/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" ]
	[ "${lines[1]}" = 0 ]
}

@test "cwd is entered and created if missing" {
	update_config '.process.cwd = "/newdir/sub"'
	set_cmd 'pwd; touch here'
	run_ctr
	assert_success
	assert_output /newdir/sub
	[ -f "$BUNDLE/rootfs/newdir/sub/here" ]
}

@test "cwd that is a file fails" {
	update_config '.process.cwd = "/etc/passwd"'
	set_args true
	run_ctr
	assert_failure
	assert_nothing_left
}

@test "user uid, gid and additionalGids" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [5, 100]}'
	set_cmd 'id; id -u; id -g; grep -E "^(Uid|Gid|Groups)" /proc/self/status'
	run_ctr
	assert_success
	[ "${lines[0]}" = "uid=1000(hako) gid=1000(hako) groups=5(tty),100(users)" ]
	[ "${lines[1]}" = 1000 ]
	[ "${lines[2]}" = 1000 ]
	[[ "${lines[3]}" =~ ^Uid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000 ]]
	[[ "${lines[4]}" =~ ^Gid:[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000[[:space:]]+1000 ]]
	[ "$(echo ${lines[5]})" = "Groups: 5 100" ]
}

@test "additionalGids are set as given: repeated ones and the gid itself stay (runc 1.5.3)" {
	update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [20, 1000, 10, 10]}'
	set_cmd 'grep Groups /proc/self/status'
	run_ctr
	assert_success
	# the kernel keeps the list sorted
	[ "$(echo $output)" = "Groups: 10 10 20 1000" ] || fail "got: $output"
}

@test "user without additionalGids has no supplementary groups" {
	update_config '.process.user = {"uid": 65534, "gid": 65534}'
	set_cmd 'id -u; id -g; grep Groups /proc/self/status'
	run_ctr
	assert_success
	[ "${lines[0]}" = 65534 ]
	[ "${lines[1]}" = 65534 ]
	[ "$(echo ${lines[2]})" = "Groups:" ]
}

@test "umask" {
	update_config '.process.user.umask = 23'
	set_cmd 'umask; touch /tmp/f; mkdir /tmp/d; stat -c %a /tmp/f /tmp/d'
	run_ctr
	assert_success
	assert_output "0027
640
750"
}

@test "default umask is 0022" {
	set_cmd 'umask'
	run_ctr
	assert_success
	assert_output 0022
}

@test "oomScoreAdj" {
	update_config '.process.oomScoreAdj = 123'
	set_cmd 'cat /proc/self/oom_score_adj'
	run_ctr
	assert_success
	assert_output 123
}

@test "noNewPrivileges true and false" {
	update_config '.process.noNewPrivileges = true'
	set_cmd 'grep NoNewPrivs /proc/self/status'
	run_ctr
	assert_success
	[ "$(echo $output)" = "NoNewPrivs: 1" ]

	update_config '.process.noNewPrivileges = false'
	run_ctr
	assert_success
	[ "$(echo $output)" = "NoNewPrivs: 0" ]
}

@test "no fd of the caller leaks into the container (run)" {
	exec 7</etc/hostname 9>"$TEST_DIR/nine"
	set_cmd 'ls /proc/self/fd | sort -n | tr "\n" " "'
	run_ctr
	exec 7<&- 9>&-
	assert_success
	assert_output "0 1 2 3 "
}

@test "no fd of the caller leaks into the container (create + start)" {
	exec 7</etc/hostname
	set_cmd 'ls /proc/self/fd | sort -n | tr "\n" " "'
	create_ctr "$CID"
	exec 7<&-
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	run ctr_output
	assert_output "0 1 2 3 "
}

@test "--preserve-fds 2 passes exactly fds 3 and 4" {
	echo three >"$TEST_DIR/f3"
	echo four >"$TEST_DIR/f4"
	echo five >"$TEST_DIR/f5"
	set_cmd 'ls /proc/self/fd | sort -n | tr "\n" " "; echo; cat <&3; cat <&4'
	runtime run --preserve-fds 2 -b "$BUNDLE" "$CID" 3<"$TEST_DIR/f3" 4<"$TEST_DIR/f4" 5<"$TEST_DIR/f5"
	assert_success
	assert_output "0 1 2 3 4 5 
three
four"
}

@test "executable not found in PATH" {
	set_args no-such-command
	run_ctr
	assert_failure
	assert_contains 'executable file not found in $PATH'
	assert_nothing_left
}

@test "executable path that does not exist" {
	set_args /no/such/binary
	run_ctr
	assert_failure
	assert_contains "no such file or directory"
	assert_nothing_left
}

@test "executable that is not executable" {
	set_args /etc/passwd
	run_ctr
	assert_failure
	assert_contains "permission denied"
	assert_nothing_left
}

@test "a relative executable is looked up in the container's PATH" {
	update_config '.process.env = ["PATH=/opt/hb", "HAKO_BATS_TAG='"$TAG"'"]'
	mkdir -p "$BUNDLE/rootfs/opt/hb"
	printf '#!/bin/sh\necho from-opt "$@"\n' >"$BUNDLE/rootfs/opt/hb/hbcmd"
	chmod 755 "$BUNDLE/rootfs/opt/hb/hbcmd"
	set_args hbcmd arg
	run_ctr
	assert_success
	assert_output "from-opt arg"
}

@test "ioPriority is the process's I/O class and priority" {
	update_config '.process.ioPriority = {class: "IOPRIO_CLASS_BE", priority: 5}'
	set_cmd 'ionice -p $$'
	run_ctr
	assert_success
	assert_contains "best-effort: prio 5"
}

@test "scheduler: SCHED_BATCH with nice, SCHED_FIFO with a priority" {
	update_config '.process.scheduler = {policy: "SCHED_BATCH", nice: 7}'
	# stat fields after "(comm)": 19 nice, 40 rt_priority, 41 policy.
	set_cmd 'cut -d")" -f2 /proc/self/stat | awk "{print \"nice=\" \$17, \"rtprio=\" \$38, \"policy=\" \$39}"'
	run_ctr
	assert_success
	assert_contains "nice=7 rtprio=0 policy=3"
	update_config '.process.scheduler = {policy: "SCHED_FIFO", priority: 10}'
	# With RT group scheduling a cgroup needs realtime runtime of its own.
	if [ -e /sys/fs/cgroup/cpu/cpu.rt_runtime_us ]; then
		update_config '.linux.resources.cpu.realtimeRuntime = 10000 | .linux.resources.cpu.realtimePeriod = 1000000'
	fi
	run_ctr
	assert_success
	assert_contains "rtprio=10 policy=1"
}

@test "scheduler and ioPriority errors name the field, leave nothing" {
	set_args true
	for s in '{policy: "SCHED_ISO"}' '{policy: "SCHED_FIFO"}' '{policy: "SCHED_OTHER", nice: 40}'; do
		update_config ".process.scheduler = $s"
		run_ctr
		assert_failure
		assert_names_field "process.scheduler"
		assert_nothing_left
	done
	update_config 'del(.process.scheduler) | .process.ioPriority = {class: "IOPRIO_CLASS_RT", priority: 9}'
	run_ctr
	assert_failure
	assert_names_field "process.ioPriority.priority"
}

@test "execCPUAffinity: an exec'd process ends on the final cpus" {
	[ "$(nproc)" -ge 2 ] || skip "needs 2 cpus"
	set_args sleep 100
	run_detached
	assert_success
	jq '.process.args = ["sh", "-c", "grep Cpus_allowed_list /proc/self/status"] | .process.execCPUAffinity = {initial: "0", final: "1"}' \
		"$BUNDLE/config.json" | jq .process >"$TEST_DIR/proc.json"
	runtime exec -p "$TEST_DIR/proc.json" "$CID"
	assert_success
	assert_contains "$(printf 'Cpus_allowed_list:\t1')"
	jq '.process.args = ["true"] | .process.execCPUAffinity = {final: "1-x"}' "$BUNDLE/config.json" | jq .process >"$TEST_DIR/bad.json"
	runtime exec -p "$TEST_DIR/bad.json" "$CID"
	assert_failure
	assert_names_field "process.execCPUAffinity.final"
}

@test "linux.personality LINUX32: uname reports a 32-bit machine" {
	[ "$(uname -m)" = x86_64 ] || skip "x86_64 host only"
	update_config '.linux.personality = {domain: "LINUX32"}'
	set_cmd 'uname -m'
	run_ctr
	assert_success
	assert_output i686
	# Flags: the spec defines none; runc 1.5 warns and ignores them.
	update_config '.linux.personality = {domain: "LINUX32", flags: ["X"]}'
	run_ctr
	assert_success
	assert_contains -i "warn"
	assert_contains "ignoring unsupported personality flags"
	assert_contains i686
	update_config '.linux.personality = {domain: "LINUX64"}'
	run_ctr
	assert_failure
	assert_names_field "linux.personality.domain"
}

@test "linux.memoryPolicy: the process's mappings are bound to the node" {
	[ -e /proc/self/numa_maps ] || skip "kernel without NUMA"
	update_config '.linux.memoryPolicy = {mode: "MPOL_BIND", nodes: "0"}'
	set_cmd 'grep -c " bind:0 " /proc/self/numa_maps'
	run_ctr
	assert_success
	[ "$output" -gt 0 ] || fail "no bind:0 mapping: $output"
	update_config '.linux.memoryPolicy = {mode: "MPOL_LOCAL", nodes: "0"}'
	run_ctr
	assert_failure
	assert_names_field "linux.memoryPolicy.nodes"
	assert_nothing_left
}

@test "env: duplicates collapse to the last, an empty or missing HOME comes from passwd" {
	update_config '.process.user = {uid: 1000, gid: 1000} | .process.env = ["PATH=/bin", "A=1", "B=2", "A=3", "HOME=/early", "HOME=", "'"$TAG_VAR=$TAG"'"]'
	set_args env
	run_ctr
	assert_success
	assert_output "PATH=/bin
B=2
A=3
$TAG_VAR=$TAG
HOME=/home/hako"
	# No passwd entry for the uid: "/".
	update_config '.process.user = {uid: 4242, gid: 4242} | .process.env = ["PATH=/bin", "'"$TAG_VAR=$TAG"'"]'
	set_cmd 'echo "$HOME"'
	run_ctr
	assert_success
	assert_output /
	# A non-empty HOME is kept, wherever it is.
	update_config '.process.env = ["HOME=/mine", "PATH=/bin", "'"$TAG_VAR=$TAG"'"]'
	run_ctr
	assert_success
	assert_output /mine
}

@test "env: an entry without '=', with an empty name or a NUL byte fails and leaves nothing" {
	set_args true
	for e in '"NOEQUALS"' '"=value"' '"A=x\u0000y"'; do
		update_config ".process.env = [\"PATH=/bin\", $e]"
		run_ctr
		assert_failure
		assert_contains "invalid environment variable"
		assert_nothing_left
	done
	# A NUL byte in an entry that a later one overrides is never used.
	update_config '.process.env = ["A=x\u0000y", "A=ok", "PATH=/bin", "'"$TAG_VAR=$TAG"'"]'
	set_cmd 'echo "$A"'
	run_ctr
	assert_success
	assert_output ok
}

@test "executable checks and errors as runc words them" {
	set_args /bin
	run_ctr
	assert_failure
	# Both log the error as a quoted logfmt msg.
	assert_contains 'exec: \"/bin\": is a directory'
	set_args /etc/passwd
	run_ctr
	assert_failure
	assert_contains 'exec: \"/etc/passwd\": permission denied'
	# Found in PATH but not executable: "not found", as Go's LookPath says.
	update_config '.process.env = ["PATH=/opt/hb", "'"$TAG_VAR=$TAG"'"]'
	mkdir -p "$BUNDLE/rootfs/opt/hb"
	printf '#!/bin/sh\necho no\n' >"$BUNDLE/rootfs/opt/hb/hbcmd"
	chmod 644 "$BUNDLE/rootfs/opt/hb/hbcmd"
	set_args hbcmd
	run_ctr
	assert_failure
	assert_contains 'exec: \"hbcmd\": executable file not found in $PATH'
	assert_nothing_left
}

@test "the executable check is the kernel's: effective capabilities count" {
	mkdir -p "$BUNDLE/rootfs/opt"
	printf '#!/bin/sh\necho ran "$@"\n' >"$BUNDLE/rootfs/opt/prog"
	chmod 0700 "$BUNDLE/rootfs/opt/prog"
	local dac='["CAP_DAC_OVERRIDE"]'
	update_config ".process.user = {uid: 1000, gid: 1000} | .process.capabilities = {bounding: $dac, effective: $dac, permitted: $dac, inheritable: $dac, ambient: $dac}"
	set_args /opt/prog as-user
	run_ctr
	assert_success
	assert_output "ran as-user"
	# Root with CAP_DAC_OVERRIDE runs a 0700 binary it does not own.
	chown 1000:1000 "$BUNDLE/rootfs/opt/prog"
	update_config ".process.user = {uid: 0, gid: 0} | .process.capabilities = {bounding: $dac, effective: $dac, permitted: $dac}"
	set_args /opt/prog as-root
	run_ctr
	assert_success
	assert_output "ran as-root"
}
