#!/usr/bin/env bats
# --log and --log-format json: engines parse these lines.

load helpers

# assert_json_log FILE: every line one object with lower-case level, msg, time.
assert_json_log() {
	[ -s "$1" ] || fail "log $1 is empty"
	local n=0 line
	while IFS= read -r line; do
		n=$((n + 1))
		jq -e 'type == "object" and (.level | type == "string") and (.msg | type == "string") and (.time | type == "string")' <<<"$line" >/dev/null ||
			fail "log line $n is not {level,msg,time}: $line"
		jq -e '.level | IN("debug", "info", "warning", "error", "fatal", "panic", "trace")' <<<"$line" >/dev/null ||
			fail "log line $n: bad level: $line"
		date -d "$(jq -r .time <<<"$line")" +%s >/dev/null || fail "log line $n: bad time: $line"
	done <"$1"
}

@test "json log: a missing container ends with an error line" {
	mkdir -p "$ROOT"
	runtime --log "$TEST_DIR/log" --log-format json state nosuchcontainer
	assert_failure
	assert_json_log "$TEST_DIR/log"
	tail -n1 "$TEST_DIR/log" | jq -e '.level == "error" and (.msg | test("does not exist"))'
}

@test "text log: the error reaches the log file" {
	mkdir -p "$ROOT"
	runtime --log "$TEST_DIR/log" --log-format text delete nosuchcontainer
	assert_failure
	grep -q "does not exist" "$TEST_DIR/log"
}

@test "json log: a failure inside container setup reaches the last line with its cause" {
	update_config '.mounts += [{"destination": "/mnt-bogus", "type": "tmpfs", "source": "tmpfs", "options": ["bogusopt=1"]}]'
	runtime_bg "$TEST_DIR/out" --log "$TEST_DIR/log" --log-format json create --bundle "$BUNDLE" "$CID"
	assert_failure
	# stderr: the last line names the mount target
	tail -n1 "$TEST_DIR/out" | grep -q "mnt-bogus" || fail "last stderr line: $(tail -n1 "$TEST_DIR/out")"
	assert_json_log "$TEST_DIR/log"
	tail -n1 "$TEST_DIR/log" | jq -e '.level == "error" and (.msg | test("mnt-bogus")) and (.msg | test("invalid argument"; "i"))' ||
		fail "last log line: $(tail -n1 "$TEST_DIR/log")"
	assert_nothing_left
}

@test "json log: an unexecutable process reaches the last line" {
	set_args /nonexistent-binary
	runtime --log "$TEST_DIR/log" --log-format json run --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_json_log "$TEST_DIR/log"
	tail -n1 "$TEST_DIR/log" | jq -e '.level == "error" and (.msg | test("no such file or directory"))'
	assert_nothing_left
}

@test "json log with --debug: still only well-formed lines, some at debug level" {
	set_args true
	runtime --debug --log "$TEST_DIR/log" --log-format json run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_json_log "$TEST_DIR/log"
	grep -q '"level":"debug"' "$TEST_DIR/log"
}

@test "json log: a successful run logs no error" {
	set_args true
	runtime --log "$TEST_DIR/log" --log-format json run --bundle "$BUNDLE" "$CID"
	assert_success
	if [ -s "$TEST_DIR/log" ]; then
		assert_json_log "$TEST_DIR/log"
		! grep -q '"level":"error"' "$TEST_DIR/log"
	fi
}
