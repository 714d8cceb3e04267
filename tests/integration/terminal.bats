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
# receiver has seen the pty hang up. It runs under bats' `run`, a subshell
# that cannot `wait` for the receiver: it watches /proc instead (a zombie
# is gone too), bounded to catch a hang.
tty_output() {
	local i st
	for i in $(seq 200); do
		st=$(awk '{ print $3 }' "/proc/$RECV_PID/stat" 2>/dev/null)
		[ -z "$st" ] || [ "$st" = Z ] && break
		sleep 0.05
	done
	[ -z "$st" ] || [ "$st" = Z ] || fail "recvtty still running"
	[ ! -s "$TEST_DIR/tty.err" ] || fail "recvtty: $(cat "$TEST_DIR/tty.err")"
	tr -d '\r' <"$TEST_DIR/tty.out"
}

# run_on_recvtty: create with the console socket of a recvtty, start, and
# wait for the process to end (its output: tty_output).
run_on_recvtty() {
	start_recvtty
	create_ctr "$CID" --console-socket "$SOCK"
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
}

@test "terminal through --console-socket: stdio is the pty" {
	set_cmd 'tty; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo is-tty; readlink /proc/self/fd/0'
	run_on_recvtty
	run tty_output
	assert_output "/dev/pts/0
is-tty
/dev/pts/0"
}

@test "terminal: consoleSize sets the window size" {
	update_config '.process.consoleSize = {"height": 31, "width": 107}'
	set_cmd 'stty size'
	run_on_recvtty
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
	run_on_recvtty
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


# in_script CMD: CMD on a fresh pty (21x77) that is its controlling terminal,
# with script's own stdin /dev/null; CMD redirects what it wants.
in_script() {
	script -qec "stty rows 21 cols 77; env $TAG_VAR=$TAG $1" /dev/null </dev/null
}

# bytes FILE: FILE as od characters on one line, without the NUL that
# script may inject of its own.
bytes() {
	sed 's/\^@//g' "$1" | od -An -c | tr -s ' \n' ' '
}

@test "foreground run -t: stdout carries the program's bytes, no CR added" {
	requires script od
	set_cmd 'printf "one\ntwo\n"'
	run in_script "$RUNTIME --root $ROOT run -b $BUNDLE $CID >$TEST_DIR/out"
	assert_success
	run bytes "$TEST_DIR/out"
	assert_output ' o n e \n t w o \n '
}

@test "foreground exec -t: stdout carries the program's bytes, no CR added" {
	requires script od
	update_config '.process.terminal = false'
	set_args sleep 100
	run_detached
	assert_success
	run in_script "$RUNTIME --root $ROOT exec -t $CID printf 'x\ny\n' >$TEST_DIR/out"
	assert_success
	run bytes "$TEST_DIR/out"
	assert_output ' x \n y \n '
}

@test "foreground run -t: window size from the caller's terminal when stdin is not one" {
	requires script
	set_cmd 'stty size; [ -t 0 ] && echo stdin-is-tty'
	run in_script "$RUNTIME --root $ROOT run -b $BUNDLE $CID </dev/null"
	assert_success
	output=$(tr -d '\r\0' <<<"$output")
	assert_contains "21 77"
	assert_contains stdin-is-tty
}

@test "foreground run -t without any terminal fails and leaves nothing" {
	set_args true
	run setsid env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" run -b "$BUNDLE" "$CID" </dev/null
	assert_failure
	assert_contains "/dev/tty"
	assert_nothing_left
}

@test "terminal: the pty of a non-root process is owned by its uid" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'stat -c "%u %g %a" $(tty)'
	run_on_recvtty
	# the group and mode are devpts' gid=5,mode=620 of the default spec
	run tty_output
	assert_output "1000 5 620"
}

@test "terminal: exec -t gives a non-root process a pty it owns" {
	update_config '.process.terminal = false'
	set_args sleep 100
	run_detached
	assert_success
	start_recvtty
	runtime exec -d -t --console-socket "$SOCK" -u 1000:1000 "$CID" sh -c 'stat -c "%u %g" $(tty)'
	assert_success
	run tty_output
	assert_output "1000 5"
}

@test "foreground run: a non-root process gets pipes it owns, not the caller's stdio" {
	update_config '.process.terminal = false | .process.user = {"uid": 1000, "gid": 1000}'
	set_cmd 'stat -L -c "%F %u" /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; echo reopened >/dev/stdout'
	: >"$TEST_DIR/out"
	runtime run -b "$BUNDLE" "$CID"
	assert_success
	assert_output "fifo 1000
fifo 1000
fifo 1000
reopened"
}

@test "detached run: the process's stdio is chowned to its user" {
	update_config '.process.terminal = false | .process.user = {"uid": 1000, "gid": 1000}'
	set_args true
	run_detached
	assert_success
	wait_for_status "$CID" stopped
	run stat -c %u "$TEST_DIR/$CID.out"
	assert_output 1000
}

@test "foreground run or exec with --console-socket fails" {
	start_recvtty
	set_args true
	runtime run --console-socket "$SOCK" -b "$BUNDLE" "$CID"
	assert_failure
	assert_contains "cannot use console socket"
	assert_nothing_left
	update_config '.process.terminal = false'
	set_args sleep 100
	run_detached
	assert_success
	runtime exec -t --console-socket "$SOCK" "$CID" true
	assert_failure
	assert_contains "cannot use console socket"
	runtime exec -d --console-socket "$SOCK" "$CID" true
	assert_failure
	assert_contains "cannot use console socket"
}
