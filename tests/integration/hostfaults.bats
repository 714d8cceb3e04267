#!/usr/bin/env bats
# Host faults: the world changes under a container (its bundle removed, its
# state root full, its init's pid reused, its cgroup removed, its init
# OOM-killed or SIGKILLed from outside, a hook that never returns). After
# each, `state` and `list` tell the truth, `delete --force` removes
# everything and no command hangs: every runtime call runs under
# `timeout`, and a timeout is a failure.

load helpers

# assert_no_hang NAME STATUS
assert_no_hang() {
	case $2 in
	124 | 137) fail "$1 hung (status $2)" ;;
	esac
}

# bounded ARGS...: the runtime with this test's root under the hang bound
# (status 124 or 137: it hung).
bounded() {
	timeout -k 5 30 env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" "$@" 3>&-
}

# rt ARGS...: bats `run` of the runtime with this test's root, bounded.
rt() {
	run timeout -k 5 30 env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" "$@" 3>&-
	assert_no_hang "$1" "$status"
}

# rt_bg OUT ARGS...: as rt, for the verbs whose container keeps stdio open
# (create, run -d): output to OUT, stdin from /dev/null.
rt_bg() {
	local out=$1
	shift
	status=0
	timeout -k 5 30 env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" "$@" </dev/null >"$out" 2>&1 3>&- || status=$?
	output=$(cat "$out")
	assert_no_hang "$1" "$status"
}

# assert_state ID STATUS: `state` succeeds and says STATUS; pid 0 once
# stopped; `list` agrees.
assert_state() {
	rt state "$1"
	assert_success
	local s
	s=$(jq -r .status <<<"$output")
	[ "$s" = "$2" ] || fail "state of $1: $s, want $2: $output"
	if [ "$2" = stopped ]; then
		[ "$(jq -r .pid <<<"$output")" = 0 ] || fail "a stopped container with a pid: $output"
	fi
	rt list -f json
	assert_success
	s=$(jq -r --arg id "$1" '.[] | select(.id == $id) | .status' <<<"$output")
	[ "$s" = "$2" ] || fail "list says $1 is '$s', want $2: $output"
}

# force_delete [ID]: delete --force succeeds, says nothing, leaves nothing.
force_delete() {
	local id=${1:-$CID}
	rt delete --force "$id"
	assert_success
	[ -z "$output" ] || fail "delete --force said: $output"
	assert_nothing_left "$id"
	rt state "$id"
	assert_failure
	assert_contains "does not exist"
}

# gone PID: within 5 s, PID is no process (or a zombie: its parent
# reaps it).
gone() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "/proc/$1" ] || return 0
		[ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = Z ] && return 0
		sleep 0.05
	done
	return 1
}

# ---------------------------------------------------------------------------
# the bundle removed

@test "the bundle removed while the container runs: state, exec, kill and delete work" {
	start_sleeper
	rm -rf "$BUNDLE"
	assert_state "$CID" running
	# The rootfs's files went with it (the container sees the same
	# inodes): exec fails, but clearly, or works; it never hangs.
	rt exec "$CID" /bin/true
	if [ "$status" -ne 0 ]; then
		assert_contains "exec"
	fi
	assert_state "$CID" running
	rt kill "$CID" KILL
	assert_success
	local i
	for ((i = 0; i < 100; i++)); do
		[ "$(container_status "$CID")" = stopped ] && break
		sleep 0.05
	done
	assert_state "$CID" stopped
	rt delete "$CID"
	assert_success
	assert_nothing_left
}

@test "the bundle removed while the container runs: delete --force works" {
	start_sleeper
	rm -rf "$BUNDLE"
	force_delete
}

@test "the bundle removed after create: start fails or runs, delete --force works" {
	set_args sleep 600
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	assert_success
	rm -rf "$BUNDLE"
	assert_state "$CID" created
	# The init already holds its rootfs: what it execs is gone.
	rt start "$CID"
	local s
	s=$(container_status "$CID")
	[ "$s" = stopped ] || [ "$s" = running ] || fail "after start: $s"
	force_delete
}

# ---------------------------------------------------------------------------
# a full state root

# full_root: $ROOT is a small tmpfs filled to the last block.
full_root() {
	root_tmpfs
	fill_root
}

fill_root() {
	dd if=/dev/zero of="$ROOT/.fill" bs=4k 2>/dev/null || true
	# and whatever block is left by a smaller write
	dd if=/dev/zero of="$ROOT/.fill2" bs=1 2>/dev/null || true
	if echo x >"$ROOT/.probe" 2>/dev/null && [ -s "$ROOT/.probe" ]; then
		fail "the state root is not full"
	fi
	rm -f "$ROOT/.probe"
}

free_root() { rm -f "$ROOT/.fill" "$ROOT/.fill2"; }

# state_files ID: the state directory's entries (debris shows up here).
state_files() { ls -A "$ROOT/$1" | sort | tr '\n' ' '; }

# no_debris ID FILES: the state directory holds nothing that was not in
# FILES (a temporary file left by a failed write is debris).
no_debris() {
	local f
	for f in $(state_files "$1"); do
		[[ " $2 " == *" $f "* ]] || fail "debris in the state dir: $f (was: $2)"
	done
}

@test "create on a full state root fails naming ENOSPC and leaves nothing" {
	full_root
	set_args sleep 600
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_contains "no space left on device"
	[ "$(wc -l <<<"$output")" -le 2 ] || fail "more than a clear error: $output"
	assert_nothing_left
	rt list -q
	assert_success
	assert_output ""
	free_root
	# and the id is free again
	rt_bg "$TEST_DIR/create2.out" create --bundle "$BUNDLE" "$CID"
	assert_success
	force_delete
}

@test "run -d on a full state root fails naming ENOSPC and leaves nothing" {
	full_root
	set_args sleep 600
	rt_bg "$TEST_DIR/run.out" run -d --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_contains "no space left on device"
	assert_nothing_left
}

# state_ok ID STATUS: state.json is still valid JSON and `state` reads it.
state_ok() {
	jq -e . "$ROOT/$1/state.json" >/dev/null || fail "state.json is not valid JSON: $(head -c 300 "$ROOT/$1/state.json")"
	assert_state "$1" "$2"
}

# root_tmpfs: $ROOT is a small tmpfs (not full yet).
root_tmpfs() {
	mkdir -p "$ROOT"
	mount -t tmpfs -o size=2m,mode=0700 hostfaults "$ROOT"
}

@test "a full state root: start, pause and resume fail clearly or work, and the state stays valid" {
	root_tmpfs
	set_args sleep 600
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	assert_success
	local files
	files=$(state_files "$CID")
	fill_root

	rt start "$CID"
	if [ "$status" -ne 0 ]; then
		assert_contains "no space left on device"
		state_ok "$CID" created
		free_root
		rt start "$CID"
		assert_success
		fill_root
	fi
	state_ok "$CID" running
	no_debris "$CID" "$files"

	rt pause "$CID"
	if [ "$status" -ne 0 ]; then
		assert_contains "no space left on device"
		state_ok "$CID" running
	else
		state_ok "$CID" paused
		rt resume "$CID"
		if [ "$status" -ne 0 ]; then
			assert_contains "no space left on device"
		fi
		state_ok "$CID" running
	fi
	no_debris "$CID" "$files"
	# delete --force needs no space
	force_delete
}

@test "a full state root: update fails clearly and leaves the cgroup as the state says" {
	root_tmpfs
	start_sleeper
	local files pids_dir before
	files=$(state_files "$CID")
	pids_dir=$(cgroup_dirs "$CID" | grep '/pids/' | head -1)
	before=$(cat "$pids_dir/pids.max")
	fill_root
	rt update --pids-limit 123 "$CID"
	assert_failure
	assert_contains "no space left on device"
	state_ok "$CID" running
	no_debris "$CID" "$files"
	skip_if_runtime runc "its update sets the limit, then fails to save it: state and cgroup disagree"
	[ "$(cat "$pids_dir/pids.max")" = "$before" ] || fail "a failed update changed pids.max from $before to $(cat "$pids_dir/pids.max")"
	free_root
	rt update --pids-limit 123 "$CID"
	assert_success
	[ "$(cat "$pids_dir/pids.max")" = 123 ]
	force_delete
}

# ---------------------------------------------------------------------------
# pid reuse

# take_pid PID: start `sleep 600` (not tagged: it is no container's) as
# PID, via ns_last_pid; sets $sp. Fails when other forks keep winning.
take_pid() {
	local want=$1 try
	for ((try = 0; try < 200; try++)); do
		echo $((want - 1)) >/proc/sys/kernel/ns_last_pid
		env -u "$TAG_VAR" sleep 600 </dev/null >/dev/null 2>&1 &
		sp=$!
		if [ "$sp" = "$want" ]; then
			EXTRA_CLEANUP+=("kill -9 $sp")
			return 0
		fi
		kill -9 "$sp"
		wait "$sp" 2>/dev/null || true
	done
	skip "could not get pid $want back (the machine forks too much)"
}

# stale_state: a running container whose init is SIGKILLed from outside;
# its pid then belongs to an unrelated `sleep` ($sp).
stale_state() {
	start_sleeper
	local pid
	pid=$(container_pid "$CID")
	kill -9 "$pid"
	gone "$pid" || fail "init $pid did not die"
	# its parent (pid 1 here) may need a moment to reap it
	local i
	for ((i = 0; i < 100; i++)); do
		[ -e "/proc/$pid" ] || break
		sleep 0.05
	done
	[ ! -e "/proc/$pid" ] || skip "init $pid not reaped by its parent"
	take_pid "$pid"
}

@test "pid reuse: a stale state's pid, now another process's, is never signalled" {
	stale_state
	assert_state "$CID" stopped
	rt kill "$CID" TERM
	assert_failure
	assert_contains "not running"
	rt kill "$CID" KILL
	assert_failure
	kill -0 "$sp" || fail "kill signalled the process that reused the init's pid"
	rt kill --all "$CID" KILL
	kill -0 "$sp" || fail "kill --all signalled the process that reused the init's pid"
	rt ps "$CID"
	assert_not_contains "$sp"
	rt pause "$CID"
	assert_failure
	rt exec "$CID" true
	assert_failure
	assert_state "$CID" stopped
	rt delete "$CID"
	assert_success
	kill -0 "$sp" || fail "delete signalled the process that reused the init's pid"
	assert_nothing_left
	grep -q '^State:.*[SR]' "/proc/$sp/status" || fail "the unrelated process is stopped: $(grep State "/proc/$sp/status")"
}

@test "pid reuse: delete --force of a stale state does not signal the pid's new owner" {
	stale_state
	force_delete
	sleep 0.2
	kill -0 "$sp" || fail "delete --force signalled the process that reused the init's pid"
}

# ---------------------------------------------------------------------------
# the cgroup removed underneath

@test "a stopped container's cgroup removed by someone else: state and delete work quietly" {
	start_sleeper
	local pid d
	pid=$(container_pid "$CID")
	kill -9 "$pid"
	gone "$pid"
	wait_for_status "$CID" stopped
	for d in $(cgroup_dirs "$CID" | sort -r); do
		rmdir "$d" || fail "rmdir $d"
	done
	[ -z "$(cgroup_dirs "$CID")" ]
	assert_state "$CID" stopped
	rt ps "$CID"
	rt delete "$CID"
	assert_success
	[ -z "$output" ] || fail "delete said: $output"
	assert_nothing_left
}

@test "a running container's cgroups removed (processes moved to the parent): state, kill, delete --force work" {
	start_sleeper
	local pid d p
	pid=$(container_pid "$CID")
	for d in $(cgroup_dirs "$CID" | sort -r); do
		for p in $(cat "$d/cgroup.procs"); do
			echo "$p" >"$(dirname "$d")/cgroup.procs"
		done
		rmdir "$d" || fail "rmdir $d"
	done
	[ -z "$(cgroup_dirs "$CID")" ]
	assert_state "$CID" running
	rt ps "$CID"
	rt events --stats "$CID"
	rt pause "$CID"
	if [ "$status" -eq 0 ]; then
		rt resume "$CID"
	fi
	rt update --pids-limit 100 "$CID"
	assert_state "$CID" running
	rt kill "$CID" KILL
	assert_success
	gone "$pid" || fail "kill did not kill the init"
	wait_for_status "$CID" stopped
	force_delete
}

@test "a running container's cgroups removed: delete --force kills it and leaves nothing" {
	start_sleeper
	local pid d p
	pid=$(container_pid "$CID")
	for d in $(cgroup_dirs "$CID" | sort -r); do
		for p in $(cat "$d/cgroup.procs"); do
			echo "$p" >"$(dirname "$d")/cgroup.procs"
		done
		rmdir "$d" || fail "rmdir $d"
	done
	force_delete
	gone "$pid" || fail "delete --force left the init"
}

# ---------------------------------------------------------------------------
# OOM

# init_hook NAME BODY: a createRuntime hook script $TEST_DIR/NAME that
# has the init's pid (from the state on stdin) in $pid and runs BODY.
init_hook() {
	cat >"$TEST_DIR/$1" <<-EOF
		#!/bin/sh
		pid=\$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
		$2
	EOF
	chmod +x "$TEST_DIR/$1"
	update_config ".hooks.createRuntime = [{\"path\": \"$TEST_DIR/$1\"}]"
}

@test "the init OOM-killed during create: create fails naming it, nothing left" {
	[ -d /sys/fs/cgroup/memory ] || skip "needs the v1 memory controller"
	# The init's memory is tiny: a hook makes it the OOM killer's first
	# choice, joins the container's memory cgroup and allocates past the
	# limit (the hook's own tail dies next; the hook itself exits 0).
	init_hook oom.sh "echo 1000 >/proc/\$pid/oom_score_adj
echo \$\$ >/sys/fs/cgroup/memory/$CID/cgroup.procs
echo -500 >/proc/\$\$/oom_score_adj
head -c 200m /dev/zero | tail
exit 0"
	update_config ".linux.cgroupsPath = \"/$CID\" | .linux.resources.memory = {\"limit\": 16777216, \"swap\": 16777216}"
	set_args sleep 600
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	if [ "$status" -eq 0 ]; then
		# The OOM killer chose the hook's tail after all (hako's waiting
		# init on this kernel): the container is there, and alive.
		assert_state "$CID" created
		force_delete
		return
	fi
	assert_status 1
	assert_contains "container init was OOM-killed"
	assert_nothing_left
}

@test "the init SIGKILLed from outside during create: create fails naming it, nothing left" {
	init_hook kill.sh 'kill -9 $pid'
	set_args sleep 600
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	assert_status 1
	assert_nothing_left
	skip_if_runtime runc "says only 'reading from parent failed: ... connection reset by peer'"
	assert_contains "container init was killed by signal SIGKILL"
}

@test "the process OOM-killed right after start: the container is stopped; delete --force leaves nothing" {
	update_config '.linux.resources.memory = {"limit": 16777216, "swap": 16777216}'
	set_cmd 'head -c 200m /dev/zero | tail'
	run_detached
	assert_success
	wait_for_status "$CID" stopped 20
	assert_state "$CID" stopped
	force_delete
}

@test "a createRuntime hook in an OOMing cgroup: create fails clearly, nothing left" {
	# The hook joins the container's cgroup and allocates past the limit.
	local hook="echo \$\$ >/sys/fs/cgroup/memory/$CID/cgroup.procs 2>/dev/null || echo \$\$ >/sys/fs/cgroup/unified/$CID/cgroup.procs; head -c 200m /dev/zero | tail"
	update_config ".linux.cgroupsPath = \"/$CID\" | .linux.resources.memory = {\"limit\": 16777216, \"swap\": 16777216} | .hooks.createRuntime = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", $(jq -n --arg q "$hook" '$q')]}]"
	set_args sleep 600
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	# 1, as for any failed create: not the hook's 137 (which reads as
	# the runtime itself SIGKILLed)
	assert_status 1
	# the hook killed, or (runc) the init chosen by the OOM killer
	assert_match "createRuntime|OOM"
	assert_nothing_left
}

# ---------------------------------------------------------------------------
# a hook that never returns

# sleeping_hook KIND [PATH-ARGS-JSON]: a KIND hook `sleep 1000` with a
# timeout of 2 s.
sleeping_hook() {
	local args=${2:-'["sleep", "1000"]'}
	local path=/bin/sleep
	[ "$1" = createContainer ] || [ "$1" = startContainer ] && path=/bin/busybox
	update_config ".hooks.$1 = [{\"path\": \"$path\", \"args\": $args, \"timeout\": 2}]"
}

# no_sleeping_hook: no `sleep 1000` of this test is left.
no_sleeping_hook() {
	local p i
	for ((i = 0; i < 100; i++)); do
		local left=""
		for p in $(tagged_pids); do
			grep -qa 'sleep.1000' "/proc/$p/cmdline" 2>/dev/null && left="$left $p"
		done
		[ -z "$left" ] && return 0
		sleep 0.05
	done
	fail "the hook's process is left:$left"
}

# create_with_hung_hook KIND: create fails within the bound, naming the
# hook and its timeout; meanwhile state and delete --force of the id
# answer at once.
create_with_hung_hook() {
	sleeping_hook "$1"
	set_args sleep 600
	local t0=$SECONDS
	bounded create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/create.out" 2>&1 &
	local cpid=$!
	sleep 0.7
	local s=0
	timeout 5 env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" state "$CID" >"$TEST_DIR/state.out" 2>&1 || s=$?
	[ "$s" -ne 124 ] || fail "state blocked behind the hook"
	s=0
	timeout 5 env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" list >"$TEST_DIR/list.out" 2>&1 || s=$?
	[ "$s" -ne 124 ] || fail "list blocked behind the hook"
	s=0
	wait "$cpid" || s=$?
	output=$(cat "$TEST_DIR/create.out")
	assert_no_hang create "$s"
	[ "$s" -ne 0 ] || fail "create succeeded: $output"
	[ $((SECONDS - t0)) -lt 20 ] || fail "create took $((SECONDS - t0))s"
	assert_contains "$1"
	assert_contains "timeout"
	no_sleeping_hook
	assert_nothing_left
}

@test "a prestart hook that never returns is killed after its timeout" {
	create_with_hung_hook prestart
}

@test "a createRuntime hook that never returns is killed after its timeout" {
	create_with_hung_hook createRuntime
}

@test "a createContainer hook that never returns is killed after its timeout" {
	create_with_hung_hook createContainer
}

@test "a createRuntime hook whose child never returns: the child is not left behind" {
	skip_if_runtime runc "kills only the hook at its timeout, then waits for the output its child holds open: create hangs (runc bug)"
	sleeping_hook createRuntime '["sh", "-c", "sleep 1000; true"]'
	update_config '.hooks.createRuntime[0].path = "/bin/sh"'
	set_args sleep 600
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_contains "createRuntime"
	assert_contains "timeout"
	no_sleeping_hook
	assert_nothing_left
}

@test "a poststart hook that never returns: start fails naming it and its timeout, the container is killed" {
	skip_if_runtime runc "runs poststart hooks in create (docs/status.md: runc bug)"
	sleeping_hook poststart
	set_args sleep 600
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	assert_success
	local t0=$SECONDS
	bounded start "$CID" </dev/null >"$TEST_DIR/start.out" 2>&1 &
	local spid=$!
	sleep 0.7
	# the hook runs without the container's lock: state answers meanwhile
	local s=0
	timeout 5 env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" state "$CID" >"$TEST_DIR/state.out" 2>&1 || s=$?
	[ "$s" -ne 124 ] || fail "state blocked behind the hook"
	s=0
	wait "$spid" || s=$?
	output=$(cat "$TEST_DIR/start.out")
	[ "$s" -ne 0 ] || fail "start succeeded: $output"
	assert_no_hang start "$s"
	[ $((SECONDS - t0)) -lt 20 ] || fail "start took $((SECONDS - t0))s"
	assert_contains "poststart"
	assert_contains "timeout"
	no_sleeping_hook
	wait_for_status "$CID" stopped
	force_delete
}

@test "a startContainer hook that never returns: start fails or the container stops; nothing left" {
	sleeping_hook startContainer
	set_args sleep 600
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	assert_success
	rt start "$CID"
	echo "start: $status: $output"
	wait_for_status "$CID" stopped 20
	no_sleeping_hook
	force_delete
}

@test "a poststop hook that never returns: delete fails naming it, but the container is gone" {
	sleeping_hook poststop
	set_args true
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	assert_success
	rt start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	rt delete "$CID"
	assert_contains "poststop"
	assert_contains "timeout"
	no_sleeping_hook
	assert_nothing_left
}

@test "a poststop hook that never returns: run warns and ends, nothing left" {
	sleeping_hook poststop
	set_args true
	rt run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_contains "poststop"
	no_sleeping_hook
	assert_nothing_left
}

# ---------------------------------------------------------------------------
# the init SIGKILLed from outside

@test "the init SIGKILLed while created: state says stopped, delete works" {
	set_args sleep 600
	rt_bg "$TEST_DIR/create.out" create --bundle "$BUNDLE" "$CID"
	assert_success
	local pid
	pid=$(container_pid "$CID")
	kill -9 "$pid"
	gone "$pid" || fail "init $pid did not die"
	wait_for_status "$CID" stopped
	assert_state "$CID" stopped
	rt start "$CID"
	assert_failure
	rt delete "$CID"
	assert_success
	assert_nothing_left
}

@test "the init SIGKILLed while running: state says stopped, delete works" {
	start_sleeper
	local pid
	pid=$(container_pid "$CID")
	kill -9 "$pid"
	gone "$pid" || fail "init $pid did not die"
	wait_for_status "$CID" stopped
	assert_state "$CID" stopped
	rt delete "$CID"
	assert_success
	assert_nothing_left
}

@test "the init SIGKILLed while paused: state tells the truth, delete --force works" {
	start_sleeper
	rt pause "$CID"
	assert_success
	local pid
	pid=$(container_pid "$CID")
	kill -9 "$pid"
	sleep 0.3
	# A frozen task (cgroup v1 freezer) dies only once thawed: paused
	# until then, or stopped where the kernel lets it die.
	local s
	s=$(container_status "$CID")
	[ "$s" = paused ] || [ "$s" = stopped ] || fail "status $s"
	assert_state "$CID" "$s"
	force_delete
	gone "$pid" || fail "the init is left"
}

@test "the init SIGKILLed while paused, then resumed: state says stopped, delete works" {
	start_sleeper
	rt pause "$CID"
	assert_success
	local pid
	pid=$(container_pid "$CID")
	kill -9 "$pid"
	rt resume "$CID"
	gone "$pid" || fail "init $pid did not die"
	wait_for_status "$CID" stopped
	assert_state "$CID" stopped
	rt delete "$CID"
	assert_success
	assert_nothing_left
}

@test "the init SIGKILLed during exec: exec ends, state says stopped, delete works" {
	start_sleeper
	local pid
	pid=$(container_pid "$CID")
	bounded exec "$CID" sleep 600 </dev/null >"$TEST_DIR/exec.out" 2>&1 &
	local epid=$!
	sleep 0.5
	kill -9 "$pid"
	local s=0 t0=$SECONDS
	wait "$epid" || s=$?
	# 137 is also the status of a process SIGKILLed with its container:
	# the time says whether exec hung
	[ $((SECONDS - t0)) -lt 20 ] || fail "exec hung (status $s)"
	[ "$s" -ne 0 ] || fail "exec succeeded: $(cat "$TEST_DIR/exec.out")"
	wait_for_status "$CID" stopped
	assert_state "$CID" stopped
	rt delete "$CID"
	assert_success
	assert_nothing_left
}
