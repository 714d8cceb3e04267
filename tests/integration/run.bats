#!/usr/bin/env bats
# run: create + start + wait, in the foreground or detached.

load helpers

# start_run_bg: a foreground `run` in the background of the test; its pid in
# RUN_PID, its stdio in $TEST_DIR/run.out.
start_run_bg() {
	env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$@" "$CID" \
		</dev/null >"$TEST_DIR/run.out" 2>&1 3>&- &
	RUN_PID=$!
}

@test "run passes the exit code of the container process through" {
	set_cmd 'echo hi; exit 42'
	run_ctr
	assert_status 42
	assert_contains hi
	assert_nothing_left
}

@test "run exits 0 when the process does" {
	set_args true
	run_ctr
	assert_success
	assert_nothing_left
}

@test "run exits 128+N when the process is killed by signal N" {
	set_cmd 'echo ready; sleep 1000'
	start_run_bg
	wait_for_status "$CID" running
	"$RUNTIME" --root "$ROOT" kill "$CID" KILL
	rc=0
	wait "$RUN_PID" || rc=$?
	[ "$rc" -eq 137 ] || fail "run exited $rc, want 137"
	assert_nothing_left
}

@test "run exits 128+N when the process kills itself (no pid namespace)" {
	update_config '.linux.namespaces |= map(select(.type != "pid"))'
	set_cmd 'kill -SEGV $$'
	run_ctr
	assert_status $((128 + 11))
}

@test "run forwards signals to the container process" {
	set_cmd 'trap "echo got TERM; exit 7" TERM; echo ready; while :; do sleep 0.1; done'
	start_run_bg
	wait_for_status "$CID" running
	wait_output_contains run ready
	kill -TERM "$RUN_PID"
	rc=0
	wait "$RUN_PID" || rc=$?
	[ "$rc" -eq 7 ] || fail "run exited $rc, want 7: $(cat "$TEST_DIR/run.out")"
	grep -q "got TERM" "$TEST_DIR/run.out"
}

@test "run passes stdin through" {
	set_cmd 'read line; echo "got:$line"'
	run bash -c 'echo hello-stdin | env "$1=$2" "$3" --root "$4" run --bundle "$5" "$6"' \
		_ "$TAG_VAR" "$TAG" "$RUNTIME" "$ROOT" "$BUNDLE" "$CID"
	assert_success
	assert_output "got:hello-stdin"
}

@test "run keeps stdout and stderr apart" {
	set_cmd 'echo to-out; echo to-err >&2'
	out=$(env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$CID" 2>"$TEST_DIR/err")
	[ "$out" = to-out ]
	grep -qx to-err "$TEST_DIR/err"
}

@test "run -d detaches and leaves the container running" {
	set_cmd 'echo started; sleep 1000'
	SECONDS=0
	run_detached "$CID" --pid-file "$TEST_DIR/pid"
	assert_success
	[ "$SECONDS" -lt 5 ]
	[ "$(container_status "$CID")" = running ]
	[ "$(cat "$TEST_DIR/pid")" = "$(container_pid "$CID")" ]
	wait_output_contains "$CID" started
}

@test "run --detach (long flag)" {
	set_args sleep 1000
	run_detached "$CID"
	assert_success
	runtime_bg "$TEST_DIR/x.out" run --detach --bundle "$BUNDLE" "${CID}x"
	EXTRA_IDS+=("${CID}x")
	assert_success
	[ "$(container_status "${CID}x")" = running ]
}

@test "run removes the container after it exits" {
	set_args true
	run_ctr
	assert_success
	runtime state "$CID"
	assert_failure
	assert_nothing_left
}

@test "run --keep keeps the stopped container" {
	set_cmd 'exit 3'
	run_ctr --keep
	assert_status 3
	runtime state "$CID"
	assert_success
	[ "$(jq -r .status <<<"$output")" = stopped ]
	runtime delete "$CID"
	assert_success
	assert_nothing_left
}

@test "run --no-subreaper still returns the exit code" {
	set_cmd 'exit 5'
	run_ctr --no-subreaper
	assert_status 5
}

@test "run of an id that already exists fails" {
	set_args sleep 100
	create_ctr
	assert_success
	set_args true
	run_ctr
	assert_failure
	assert_contains "already exists"
	[ "$(container_status "$CID")" = created ]
}
