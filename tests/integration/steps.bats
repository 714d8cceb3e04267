#!/usr/bin/env bats
# The runtime's own steps run with the runtime's privileges, the workload's
# limits come last: cwd entered before the capabilities are dropped, cgroup
# limits applied once the init's threads exist, affinity and rlimits set on
# the process and not inherited from (or imposed on) the runtime, nothing of
# the caller's kept open in the waiting init.

load helpers

# only_kill_caps: every capability set is just CAP_KILL (no CAP_DAC_OVERRIDE,
# no CAP_DAC_READ_SEARCH).
only_kill_caps() {
	update_config '.process.capabilities = {bounding: ["CAP_KILL"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}'
}

# private_dir PATH: a 0700 directory in the rootfs owned by uid 1000.
private_dir() {
	mkdir -p "$BUNDLE/rootfs$1"
	chown 1000:1000 "$BUNDLE/rootfs$1"
	chmod 0700 "$BUNDLE/rootfs$1"
}

@test "cwd: a 0700 directory of another user is entered before the capabilities go" {
	private_dir /data
	only_kill_caps
	update_config '.process.cwd = "/data"'
	set_cmd 'pwd; ls . >/dev/null 2>&1 && echo readable || echo unreadable'
	run_ctr
	assert_success
	# The process itself, without CAP_DAC_OVERRIDE, cannot read it.
	assert_output "/data
unreadable"
}

@test "cwd: exec -u 0:0 --cwd into a 0700 directory of another user" {
	private_dir /data
	only_kill_caps
	set_args sleep 600
	run_detached
	assert_success
	runtime exec -u 0:0 --cwd /data "$CID" pwd
	assert_success
	assert_output /data
}

@test "cwd: a missing cwd is made before a read-only root, exec does not make one" {
	update_config '.root.readonly = true | .process.cwd = "/made/here"'
	set_args sleep 600
	run_detached
	assert_success
	[ -d "$BUNDLE/rootfs/made/here" ] || fail "cwd not created"
	runtime exec --cwd /not/there "$CID" pwd
	assert_failure
	assert_contains -i "no such file or directory"
	[ ! -e "$BUNDLE/rootfs/not" ] || fail "exec created its cwd"
}

# init_cgroup CONTROLLER: the container init's v1 cgroup directory.
init_cgroup() {
	local p
	p=$(awk -F: -v c="$1" '$2 == c {print $3}' "/proc/$(container_pid "$CID")/cgroup")
	echo "/sys/fs/cgroup/$1$p"
}

@test "pids.limit 0 (as CRI-O writes it) is a limit of 1, applied after the init's own forks" {
	[ -d /sys/fs/cgroup/pids ] || skip "needs the v1 pids controller"
	update_config '.linux.resources.pids = {limit: 0}'
	set_args sleep 600
	run_detached
	assert_success
	[ "$(cat "$(init_cgroup pids)/pids.max")" = 1 ]
	runtime kill "$CID" KILL
	wait_for_status "$CID" stopped
	runtime delete "$CID"
	update_config '.linux.resources.pids = {limit: 1}'
	set_args echo one-task
	run_ctr
	assert_success
	assert_output one-task
}

@test "cpu affinity: neither the init nor an exec inherits the caller's" {
	[ "$(nproc --all)" -ge 2 ] || skip "needs 2 cpus"
	requires taskset
	local all
	all=$(printf 'Cpus_allowed_list:\t%s' "$(cat /sys/devices/system/cpu/online)")
	set_cmd 'grep Cpus_allowed_list /proc/self/status'
	run taskset -c 0 env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" run -b "$BUNDLE" "$CID"
	assert_success
	assert_output "$all"
	set_args sleep 600
	run_detached
	assert_success
	run taskset -c 0 env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" exec "$CID" grep Cpus_allowed_list /proc/self/status
	assert_success
	assert_output "$all"
	# execCPUAffinity.initial alone is where the exec'd process stays.
	jq '.process.args = ["grep", "Cpus_allowed_list", "/proc/self/status"] | .process.execCPUAffinity = {initial: "1"}' \
		"$BUNDLE/config.json" | jq .process >"$TEST_DIR/proc.json"
	runtime exec -p "$TEST_DIR/proc.json" "$CID"
	assert_success
	assert_output "$(printf 'Cpus_allowed_list:\t1')"
}

@test "no fd of the caller is open in the waiting init between create and start" {
	echo secret >"$TEST_DIR/callers-file"
	set_args true
	exec 7<"$TEST_DIR/callers-file"
	create_ctr
	exec 7<&-
	assert_success
	local pid links
	pid=$(container_pid "$CID")
	links=$(ls -l "/proc/$pid/fd/")
	! grep -q callers-file <<<"$links" || fail "caller's fd open in the init: $links"
	runtime start "$CID"
	assert_success
}

@test "rlimits: RLIMIT_NOFILE is the process's, and does not limit the runtime's own steps" {
	skip_if_runtime runc "runc 1.5.3 bug: its init sets RLIMIT_NOFILE first thing (maybeClearRlimitNofileCache), so below ~20 its own mounts fail with EMFILE"
	# HOME comes from the rootfs's passwd, which the runtime reads itself.
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 5, hard: 6}] | .process.user = {uid: 1000, gid: 1000}'
	set_cmd 'echo "$HOME"; ulimit -n; ulimit -Hn'
	run_ctr
	assert_success
	assert_output "/home/hako
5
6"
}

@test "rlimits apply to an exec'd process too, its own or the container's" {
	update_config '.process.rlimits = [{type: "RLIMIT_NOFILE", soft: 300, hard: 400}]'
	set_args sleep 600
	run_detached
	assert_success
	runtime exec "$CID" sh -c 'ulimit -n; ulimit -Hn'
	assert_success
	assert_output "300
400"
	jq '.process.args = ["sh", "-c", "ulimit -n"] | .process.rlimits = [{type: "RLIMIT_NOFILE", soft: 200, hard: 400}]' \
		"$BUNDLE/config.json" | jq .process >"$TEST_DIR/proc.json"
	runtime exec -p "$TEST_DIR/proc.json" "$CID"
	assert_success
	assert_output 200
}
