#!/usr/bin/env bats
# Exit statuses and error texts that engines and scripts match on, as runc
# 1.5 gives them: exec's own failures are 255 (the program's status stays
# its own), kill 0 is a liveness check, and the words "does not exist",
# "container not running", "paused" ... are runc's.

load helpers

@test "exec exits 255 when exec itself fails, and with the program's status otherwise" {
	start_sleeper
	runtime exec "$CID" sh -c 'exit 1'
	assert_status 1
	runtime exec "$CID" sh -c 'exit 3'
	assert_status 3
	runtime exec "$CID" nosuchcommand
	assert_status 255
	assert_contains "exec failed: "
	assert_contains "executable file not found in \$PATH"
	runtime exec -d "$CID" nosuchcommand
	assert_status 255
	assert_contains "executable file not found in \$PATH"
	runtime exec nosuch-ctr true
	assert_status 255
	assert_contains "exec failed: "
	assert_contains "container does not exist"
	runtime pause "$CID"
	assert_success
	runtime exec "$CID" true
	assert_status 255
	assert_contains "cannot exec in a paused container"
	runtime resume "$CID"
	assert_success
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	runtime exec "$CID" true
	assert_status 255
	assert_contains "cannot exec in a stopped container"
}

@test "exec failure with --log-format json: the last line is an error with runc's words" {
	start_sleeper
	runtime --log-format json exec "$CID" nosuchcommand
	assert_status 255
	local last
	last=$(tail -n1 <<<"$output")
	jq -e '.level == "error" and (.msg | startswith("exec failed: ")) and (.msg | contains("executable file not found"))' <<<"$last" >/dev/null ||
		fail "last line: $last"
}

@test "kill ID 0 checks that the container is alive" {
	set_args sleep 600
	create_ctr
	assert_success
	runtime kill "$CID" 0
	assert_success
	runtime start "$CID"
	assert_success
	runtime kill "$CID" 0
	assert_success
	runtime pause "$CID"
	assert_success
	runtime kill "$CID" 0
	assert_success
	runtime resume "$CID"
	assert_success
	[ "$(container_status "$CID")" = running ]
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	runtime kill "$CID" 0
	assert_failure
	assert_contains "container not running"
	runtime kill nosuch-ctr 0
	assert_failure
	assert_contains "container does not exist"
}

@test "pause of a created container freezes it; start then says it is paused" {
	set_args sleep 600
	create_ctr
	assert_success
	runtime pause "$CID"
	assert_success
	[ "$(container_status "$CID")" = paused ]
	runtime start "$CID"
	assert_failure
	assert_contains "cannot start a container in the paused state"
	runtime resume "$CID"
	assert_success
	[ "$(container_status "$CID")" = created ]
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" running
}

@test "pause and resume in the wrong state use runc's words" {
	start_sleeper
	runtime resume "$CID"
	assert_failure
	assert_contains "container not paused"
	runtime pause "$CID"
	assert_success
	runtime pause "$CID"
	assert_failure
	assert_contains "container not running"
	runtime resume "$CID"
	assert_success
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	runtime pause "$CID"
	assert_failure
	assert_contains "container not running"
	runtime resume "$CID"
	assert_failure
	assert_contains "container not paused"
	runtime start "$CID"
	assert_failure
	assert_contains "cannot start a container that has stopped"
}

@test "ps of a stopped container prints no process" {
	set_args true
	run_detached
	assert_success
	wait_for_status "$CID" stopped
	runtime ps "$CID"
	assert_success
	assert_match '^UID +PID'
	[ "$(wc -l <<<"$output")" -eq 1 ] || fail "processes listed: $output"
	runtime ps --format json "$CID"
	assert_success
	# runc prints null; an empty array is as good for a JSON reader
	[ "$(jq length <<<"$output")" -eq 0 ]
}

@test "events of a stopped container fails naming it; a zero interval is refused" {
	set_args true
	run_detached
	assert_success
	wait_for_status "$CID" stopped
	runtime events --stats "$CID"
	assert_failure
	assert_contains "container with id $CID is not running"
	runtime events "$CID"
	assert_failure
	assert_contains "container with id $CID is not running"
	runtime events --interval 0s "$CID"
	assert_failure
	assert_contains "duration interval must be greater than 0"
}

@test "list and state with a --root that does not exist" {
	local missing="$TEST_DIR/no-such-root"
	run env "$RUNTIME" --root "$missing" list
	assert_failure
	assert_contains "$missing: no such file or directory"
	run env "$RUNTIME" --root "$missing" list -q
	assert_failure
	run env "$RUNTIME" --root "$missing" list --format json
	assert_failure
	run env "$RUNTIME" --root "$missing" state "$CID"
	assert_failure
	assert_contains "container does not exist"
	[ ! -e "$missing" ] || fail "$missing was created"
}

@test "verbs on a missing container say it does not exist" {
	local v
	for v in state start pause resume delete ps "events --stats" "update --pids-limit 10"; do
		# shellcheck disable=SC2086
		runtime $v nosuch-ctr
		assert_failure
		assert_contains "container does not exist"
	done
	runtime kill nosuch-ctr KILL
	assert_failure
	assert_contains "container does not exist"
	runtime delete -f nosuch-ctr
	assert_success
}
