#!/usr/bin/env bats
# No command may hang on another: a runtime holds no container lock while it
# waits for the container, another command, a hook or an engine. Every
# runtime call here runs under `timeout`; a timeout is a hang, so a failure.

load helpers

# bounded ARGS...: the runtime with this test's root under a hang bound;
# status 124 or 137 means it hung.
bounded() {
	timeout -k 5 30 env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" "$@" 3>&-
}

# assert_no_hang NAME STATUS
assert_no_hang() {
	case $2 in
	124 | 137) fail "$1 hung (status $2)" ;;
	esac
}

@test "exec --ignore-paused into a paused container does not block resume" {
	start_sleeper
	runtime pause "$CID"
	assert_success
	# The exec'd process sits frozen until the resume; the resume must
	# not wait for the exec.
	bounded exec --ignore-paused "$CID" echo ok >"$TEST_DIR/exec.out" 2>&1 &
	local epid=$!
	sleep 2
	local rs=0
	bounded resume "$CID" >"$TEST_DIR/resume.out" 2>&1 || rs=$?
	local es=0
	wait "$epid" || es=$?
	assert_no_hang resume "$rs"
	assert_no_hang exec "$es"
	[ "$rs" -eq 0 ] || fail "resume failed ($rs): $(cat "$TEST_DIR/resume.out")"
	[ "$es" -eq 0 ] || fail "exec failed ($es): $(cat "$TEST_DIR/exec.out")"
	[ "$(cat "$TEST_DIR/exec.out")" = ok ] || fail "exec output: $(cat "$TEST_DIR/exec.out")"
	[ "$(container_status "$CID")" = running ]
}

@test "pause, exec, resume, state, events and delete run concurrently on one container and all return" {
	start_sleeper
	local pids=() names=() i
	bounded events --interval 1s "$CID" >"$TEST_DIR/events.out" 2>&1 &
	local events_pid=$!
	for i in 1 2 3; do
		bounded pause "$CID" >/dev/null 2>&1 &
		pids+=($!) names+=("pause $i")
		bounded exec --ignore-paused "$CID" echo ok >"$TEST_DIR/exec$i.out" 2>&1 &
		pids+=($!) names+=("exec $i")
		bounded state "$CID" >/dev/null 2>&1 &
		pids+=($!) names+=("state $i")
		bounded events --stats "$CID" >/dev/null 2>&1 &
		pids+=($!) names+=("events --stats $i")
		bounded kill "$CID" 0 >/dev/null 2>&1 &
		pids+=($!) names+=("kill 0 $i")
		bounded resume "$CID" >/dev/null 2>&1 &
		pids+=($!) names+=("resume $i")
	done
	# Whatever the interleaving, a final resume lets every exec finish.
	sleep 1
	bounded resume "$CID" >/dev/null 2>&1 &
	pids+=($!) names+=("final resume")
	local s
	for i in "${!pids[@]}"; do
		s=0
		wait "${pids[$i]}" || s=$?
		assert_no_hang "${names[$i]}" "$s"
	done
	s=0
	bounded delete -f "$CID" >"$TEST_DIR/delete.out" 2>&1 || s=$?
	assert_no_hang delete "$s"
	[ "$s" -eq 0 ] || fail "delete -f failed: $(cat "$TEST_DIR/delete.out")"
	# events ends by itself once the container is gone.
	s=0
	wait "$events_pid" || s=$?
	assert_no_hang "events" "$s"
	assert_nothing_left
}

@test "events ends once its container is deleted" {
	start_sleeper
	bounded events --interval 1s "$CID" >"$TEST_DIR/events.out" 2>&1 &
	local epid=$!
	wait_output_contains events '"type":"stats"' 10
	runtime delete -f "$CID"
	assert_success
	local s=0
	wait "$epid" || s=$?
	assert_no_hang events "$s"
	runtime events --stats "$CID"
	assert_failure
	assert_contains "does not exist"
}

@test "hooks that query the container's state do not hang the runtime" {
	local k all="" q
	for k in createRuntime poststart poststop; do
		# Each hook records the status of its own `state` call.
		q="timeout -k 5 20 $RUNTIME --root $ROOT state $CID >$TEST_DIR/$k.state 2>&1; echo \$? >$TEST_DIR/$k.rc"
		all="$all | .hooks.$k = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", $(jq -n --arg q "$q" '$q')]}]"
	done
	update_config ". $all"
	set_args true
	local s=0
	bounded run --bundle "$BUNDLE" "$CID" >"$TEST_DIR/run.out" 2>&1 || s=$?
	assert_no_hang run "$s"
	[ "$s" -eq 0 ] || fail "run failed ($s): $(cat "$TEST_DIR/run.out")"
	for k in createRuntime poststart poststop; do
		[ -f "$TEST_DIR/$k.rc" ] || fail "$k hook did not run"
		assert_no_hang "state in the $k hook" "$(cat "$TEST_DIR/$k.rc")"
	done
	# After start the container exists: its state is there to read.
	[ "$(cat "$TEST_DIR/poststart.rc")" = 0 ] || fail "state in poststart: $(cat "$TEST_DIR/poststart.state")"
	jq -e ".id == \"$CID\"" "$TEST_DIR/poststart.state" >/dev/null
	assert_nothing_left
}

# cgroup_mounts: the mount points of every cgroup hierarchy (v1 and v2).
cgroup_mounts() {
	awk '($9 == "cgroup" || $9 == "cgroup2") && index($5, "/sys/fs/cgroup") == 1 { print $5 }' /proc/self/mountinfo
}

# create_refused TEXT: a bounded create fails, saying TEXT and naming
# linux.cgroupsPath, and leaves no state directory.
create_refused() {
	local s=0
	bounded create --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/create.out" 2>&1 || s=$?
	output=$(cat "$TEST_DIR/create.out")
	assert_no_hang create "$s"
	[ "$s" -ne 0 ] || fail "create succeeded"
	assert_contains "$1"
	assert_names_field linux.cgroupsPath
	[ ! -e "$ROOT/$CID" ] || fail "state dir left behind"
}

@test "create into a cgroup that already holds processes fails and leaves it alone" {
	update_config ".linux.cgroupsPath = \"/$CID\""
	local d
	sleep 600 &
	local sp=$!
	EXTRA_CLEANUP+=("kill -9 $sp")
	for d in $(cgroup_mounts); do
		mkdir -p "$d/$CID"
		if [ -f "$d/$CID/cpuset.cpus" ]; then # a v1 cpuset starts empty
			cat "$d/cpuset.cpus" >"$d/$CID/cpuset.cpus"
			cat "$d/cpuset.mems" >"$d/$CID/cpuset.mems"
		fi
		echo "$sp" >"$d/$CID/cgroup.procs"
	done
	create_refused "container's cgroup is not empty: 1 process(es) found"
	kill -0 "$sp" || fail "the cgroup's process was killed"
	kill -9 "$sp"
	wait "$sp" || true
}

@test "create into a frozen cgroup fails instead of waiting" {
	update_config ".linux.cgroupsPath = \"/$CID\""
	local f
	if [ -d /sys/fs/cgroup/freezer ]; then
		mkdir -p "/sys/fs/cgroup/freezer/$CID"
		echo FROZEN >"/sys/fs/cgroup/freezer/$CID/freezer.state"
		f="/sys/fs/cgroup/freezer/$CID/freezer.state"
		EXTRA_CLEANUP+=("echo THAWED >$f")
	else
		mkdir -p "/sys/fs/cgroup/$CID"
		echo 1 >"/sys/fs/cgroup/$CID/cgroup.freeze"
		f="/sys/fs/cgroup/$CID/cgroup.freeze"
		EXTRA_CLEANUP+=("echo 0 >$f")
	fi
	create_refused "container's cgroup unexpectedly frozen"
}
