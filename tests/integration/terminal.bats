#!/usr/bin/env bats
# process.terminal: --console-socket, consoleSize, /dev/console, foreground tty.

load helpers

setup_file() {
	common_setup_file
	# the console-socket receiver, built once per file
	(cd "$REPO_ROOT" && go build -o "$FILE_DIR/recvtty" ./tests/cmd/recvtty)
}

setup() {
	common_setup
	update_config '.process.terminal = true'
	SOCK="$TEST_DIR/tty.sock"
}

# start_recvtty [INPUT]: receiver in the background; its stdout in $TEST_DIR/tty.out.
start_recvtty() {
	if [ $# -gt 0 ]; then
		(printf '%s\n' "$1" | "$FILE_DIR/recvtty" "$SOCK" >"$TEST_DIR/tty.out" 2>"$TEST_DIR/tty.err") 3>&- &
	else
		"$FILE_DIR/recvtty" -no-stdin "$SOCK" </dev/null >"$TEST_DIR/tty.out" 2>"$TEST_DIR/tty.err" 3>&- &
	fi
	RECV_PID=$!
	EXTRA_CLEANUP+=("kill $RECV_PID")
	wait_for_file "$SOCK"
}

# tty_output: what the container wrote on its terminal, without CRs, once the
# receiver has seen the pty hang up.
tty_output() {
	local rc=0
	wait "$RECV_PID" || rc=$?
	[ "$rc" -eq 0 ] || fail "recvtty exited $rc: $(cat "$TEST_DIR/tty.err")"
	tr -d '\r' <"$TEST_DIR/tty.out"
}

@test "terminal through --console-socket: stdio is the pty" {
	set_cmd 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo is-tty; readlink /proc/self/fd/0'
	start_recvtty
	create_ctr "$CID" --console-socket "$SOCK"
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	run tty_output
	assert_output "/dev/pts/0
is-tty
/dev/pts/0"
}

@test "terminal: consoleSize sets the window size" {
	update_config '.process.consoleSize = {"height": 31, "width": 107}'
	set_cmd 'stty size'
	start_recvtty
	create_ctr "$CID" --console-socket "$SOCK"
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	run tty_output
	assert_output "31 107"
}

@test "terminal: input written to the master reaches the process" {
	set_cmd 'read line; echo "got:$line"'
	start_recvtty hello-tty
	create_ctr "$CID" --console-socket "$SOCK"
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	run tty_output
	assert_contains "got:hello-tty"
}

@test "terminal: /dev/console is the container's pty" {
	set_cmd 'stat -c "%F %t" /dev/console; echo to-console > /dev/console'
	start_recvtty
	create_ctr "$CID" --console-socket "$SOCK"
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	run tty_output
	# a pty slave: major 136..143 (0x88..0x8f)
	assert_match '^character special file 8[89a-f]$'
	assert_contains to-console
}

@test "terminal: run -d with --console-socket" {
	set_cmd 'tty; sleep 0.5'
	start_recvtty
	run_detached "$CID" --console-socket "$SOCK"
	assert_success
	wait_for_status "$CID" stopped
	run tty_output
	assert_output /dev/pts/0
}

@test "terminal without --console-socket on create fails and leaves nothing" {
	set_args true
	create_ctr
	assert_failure
	assert_contains "console"
	assert_nothing_left
}

@test "--console-socket without terminal fails" {
	update_config '.process.terminal = false'
	set_args true
	start_recvtty
	create_ctr "$CID" --console-socket "$SOCK"
	assert_failure
	assert_nothing_left
}

@test "foreground run with terminal uses a pty of its own" {
	requires script
	set_cmd 'tty; [ -t 0 ] && echo is-tty; stty size'
	cmd="env $TAG_VAR=$TAG $RUNTIME --root $ROOT run -b $BUNDLE $CID"
	run script -qec "stty rows 21 cols 77; $cmd" /dev/null </dev/null
	assert_success
	output=$(tr -d '\r' <<<"$output")
	assert_contains /dev/pts/
	assert_contains is-tty
	assert_contains "21 77"
}
