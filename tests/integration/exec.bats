#!/usr/bin/env bats
# exec: a new process joins a running container.

load helpers

@test "exec joins every namespace of the container and its cgroup" {
	update_config '.linux.namespaces += [{"type": "cgroup"}] | .hostname = "exec-host"'
	start_sleeper
	local init
	init=$(container_pid "$CID")
	runtime exec "$CID" sh -c 'hostname; echo pid=$$; for n in net mnt ipc uts pid cgroup; do readlink /proc/self/ns/$n; done'
	assert_success
	assert_contains "exec-host"
	# pid 1 is the init, so the exec'd process has another pid in the namespace.
	[[ "$output" != *"pid=1"* ]] || fail "exec'd process is pid 1: $output"
	for ns in net mnt ipc uts pid cgroup; do
		assert_contains "$(readlink /proc/$init/ns/$ns)"
	done
	# Same cgroups as the init, seen from the host (inside, the cgroup
	# namespace shows "/" for both).
	# Detached: its stdio stays open, so not through bats' run.
	runtime_bg "$TEST_DIR/exec.out" exec -d --pid-file "$TEST_DIR/exec.pid" "$CID" sleep 300
	assert_success
	[ "$(cat /proc/$(cat "$TEST_DIR/exec.pid")/cgroup)" = "$(cat /proc/$init/cgroup)" ] ||
		fail "exec'd process is in other cgroups: $(cat /proc/$(cat "$TEST_DIR/exec.pid")/cgroup)"
}

@test "exec passes the exit status and stdin through" {
	start_sleeper
	runtime exec "$CID" sh -c 'exit 7'
	assert_status 7
	run bash -c "echo piped | env $TAG_VAR=$TAG $RUNTIME --root $ROOT exec $CID cat"
	assert_success
	assert_output "piped"
}

@test "exec with --user, --cwd, --env and --additional-gids" {
	start_sleeper
	# Groups de-duplicated: runc 1.5.3 lists a single -g gid twice in the
	# supplementary groups (a runc bug, harmless to the process).
	runtime exec -u 1000:1000 -g 100 --cwd /tmp -e FOO=bar "$CID" sh -c 'id -u; id -g; id -G | tr " " "\n" | sort -un | xargs; pwd; echo $FOO'
	assert_success
	assert_output "$(printf '1000\n1000\n100 1000\n/tmp\nbar')"
}

@test "exec --process takes a full OCI process JSON" {
	start_sleeper
	cat >"$TEST_DIR/process.json" <<-'JSON'
	{"args": ["sh", "-c", "echo $X; pwd; id -u"], "cwd": "/etc", "env": ["X=from-json", "PATH=/bin"], "user": {"uid": 65534, "gid": 65534}}
	JSON
	runtime exec --process "$TEST_DIR/process.json" "$CID"
	assert_success
	assert_output "$(printf 'from-json\n/etc\n65534')"
}

@test "exec --detach --pid-file leaves the process running in the container" {
	start_sleeper
	# Detached: its stdio stays open, so not through bats' run.
	runtime_bg "$TEST_DIR/exec.out" exec -d --pid-file "$TEST_DIR/exec.pid" "$CID" sleep 300
	assert_success
	local pid
	pid=$(cat "$TEST_DIR/exec.pid")
	[ -d "/proc/$pid" ] || fail "exec'd process $pid is not running"
	[ "$(readlink /proc/$pid/ns/pid)" = "$(readlink /proc/$(container_pid "$CID")/ns/pid)" ] || fail "not in the container's pid namespace"
}

@test "exec gets the container's capabilities and no_new_privs by default, --cap adds" {
	start_sleeper
	runtime exec "$CID" grep -E '^(CapEff|NoNewPrivs)' /proc/self/status
	assert_success
	assert_contains "CapEff:	0000000020000420"
	runtime exec --cap CAP_SYS_ADMIN "$CID" grep CapEff /proc/self/status
	assert_success
	assert_contains "CapEff:	0000000020200420"
}

@test "exec of a missing executable fails with runc's text" {
	start_sleeper
	runtime exec "$CID" nosuchcommand
	assert_failure
	assert_contains "executable file not found in \$PATH"
}

@test "exec into a stopped or missing container fails" {
	set_args true
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	runtime exec "$CID" true
	assert_failure
	assert_contains "stopped"
	runtime exec nosuch-ctr true
	assert_failure
	assert_contains "does not exist"
}

@test "exec into a paused container needs --ignore-paused" {
	[ "$RUNTIME_NAME" = hako ] || skip "error text differs between runtimes"
	start_sleeper
	runtime pause "$CID"
	assert_success
	runtime exec "$CID" true
	assert_failure
	assert_contains "paused"
	runtime resume "$CID"
	assert_success
	runtime exec "$CID" true
	assert_success
}

# ctr_cgroup CONTROLLER: the container init's cgroup directory of a v1
# controller, from its /proc/PID/cgroup.
ctr_cgroup() {
	local p
	p=$(awk -F: -v c="$1" '$2 == c {print $3}' "/proc/$(container_pid "$CID")/cgroup")
	echo "/sys/fs/cgroup/$1$p"
}

@test "exec --cgroup CTRL:PATH runs in an existing sub-cgroup of that controller only" {
	[ -d /sys/fs/cgroup/pids ] && [ -d /sys/fs/cgroup/memory ] || skip "needs v1 pids and memory (the host's hybrid layout)"
	set_args sleep 100
	run_detached
	assert_success
	local pids mem
	pids=$(ctr_cgroup pids)
	mem=$(ctr_cgroup memory)
	mkdir "$pids/sub"
	EXTRA_CLEANUP+=("rmdir $pids/sub")
	runtime exec --cgroup pids:sub "$CID" cat /proc/self/cgroup
	assert_success
	echo "$output" | grep -q ":pids:.*/sub$" || fail "not in pids sub-cgroup: $output"
	echo "$output" | grep -q ":memory:.*/sub$" && fail "memory moved too: $output"
	# The sub-cgroup really holds it: a long-running exec is listed there.
	runtime_bg "$TEST_DIR/exec.out" exec -d --cgroup pids:sub "$CID" sleep 100
	assert_success
	local p
	p=$(cat "$pids/sub/cgroup.procs")
	[ -n "$p" ] || fail "pids sub-cgroup is empty"
	grep -qx "$p" "$mem/cgroup.procs" || fail "exec'd $p is not in the container's memory cgroup $mem"
}

@test "exec --cgroup refuses a missing sub-cgroup and one outside the container" {
	set_args sleep 100
	run_detached
	assert_success
	runtime exec --cgroup nosuch "$CID" true
	assert_failure
	assert_contains "nosuch"
	# runc 1.5.3 passes on openat2's ENOENT text.
	[[ "$output" == *"does not exist"* || "$output" == *"no such file or directory"* ]] || fail "$output"
	runtime exec --cgroup ../.. "$CID" true
	assert_failure
	# runc 1.5.3: "bad sub cgroup path: ../..".
	[[ "$output" == *"outside the container's cgroup"* || "$output" == *"bad sub cgroup path"* ]] || fail "$output"
	runtime exec --cgroup nosuchctl:x "$CID" true
	assert_failure
	assert_contains "nosuchctl"
}

@test "exec -e: later values win, HOME= takes the user's, a bad entry fails" {
	update_config '.process.env += ["FOO=spec"]'
	start_sleeper
	runtime exec -e FOO=cli -e BAR=1 -e HOME= -u 1000 "$CID" sh -c 'echo "$FOO $BAR $HOME"; env | grep -c ^FOO='
	assert_success
	assert_output "cli 1 /home/hako
1"
	runtime exec -e NOEQUALS "$CID" true
	assert_failure
	assert_contains "invalid environment variable"
}

@test "exec --no-new-privs=false clears the container's no_new_privs" {
	update_config '.process.noNewPrivileges = true'
	start_sleeper
	runtime exec "$CID" grep NoNewPrivs /proc/self/status
	assert_success
	[ "$(echo $output)" = "NoNewPrivs: 1" ]
	runtime exec --no-new-privs=false "$CID" grep NoNewPrivs /proc/self/status
	assert_success
	[ "$(echo $output)" = "NoNewPrivs: 0" ]
}

@test "exec: oom_score_adj is the container's, not the process JSON's" {
	update_config '.process.oomScoreAdj = 123'
	start_sleeper
	runtime exec "$CID" cat /proc/self/oom_score_adj
	assert_success
	assert_output 123
	jq '.process.args = ["cat", "/proc/self/oom_score_adj"] | .process.oomScoreAdj = 500' \
		"$BUNDLE/config.json" | jq .process >"$TEST_DIR/proc.json"
	runtime exec -p "$TEST_DIR/proc.json" "$CID"
	assert_success
	assert_output 123
}

@test "exec: the umask is the container's, else the caller's" {
	start_sleeper
	run bash -c "umask 0077; exec env $TAG_VAR=$TAG $RUNTIME --root $ROOT exec $CID sh -c umask"
	assert_success
	assert_output 0077
	runtime kill "$CID" KILL
	wait_for_status "$CID" stopped
	runtime delete "$CID"
	update_config '.process.user.umask = 23'
	start_sleeper
	jq '.process.args = ["sh", "-c", "umask"] | .process.user.umask = 2' "$BUNDLE/config.json" | jq .process >"$TEST_DIR/proc.json"
	run bash -c "umask 0077; exec env $TAG_VAR=$TAG $RUNTIME --root $ROOT exec -p $TEST_DIR/proc.json $CID"
	assert_success
	assert_output 0027
}

@test "hako: exec is set up by the C applier, without a Go runtime in the container" {
	skip_if_runtime runc "runc's exec starts a Go init"
	skip_if_runtime crun "not hako"
	start_sleeper
	run env HAKO_TRACE="$TEST_DIR/trace" "$RUNTIME" --root "$ROOT" exec "$CID" true
	assert_success
	run cat "$TEST_DIR/trace"
	assert_contains "nsenter: exec plan applied"
	[[ "$output" != *"init: go runtime started"* ]] || fail "a Go init ran: $output"
}

@test "exec -u of a user without HOME does not hang on a fifo at /etc/passwd" {
	# runc 1.5.3 opens /etc/passwd for HOME and blocks on a fifo there for
	# good (a runc bug: a container command that hangs).
	skip_if_runtime runc "hangs on a fifo at /etc/passwd"
	rm -f "$BUNDLE/rootfs/etc/passwd"
	mkfifo "$BUNDLE/rootfs/etc/passwd"
	start_sleeper
	run timeout 20 "$RUNTIME" --root "$ROOT" exec -u 1000:1000 "$CID" sh -c 'echo "home=$HOME"'
	assert_success
	assert_output "home=/"
}

@test "exec in the foreground forwards signals to its process" {
	start_sleeper
	env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" exec "$CID" sh -c 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done' \
		</dev/null >"$TEST_DIR/exec.out" 2>&1 3>&- &
	local pid=$!
	wait_output_contains exec ready
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 7 ] || fail "exec exited $rc, want 7: $(cat "$TEST_DIR/exec.out")"
	grep -q "got TERM" "$TEST_DIR/exec.out"
}
