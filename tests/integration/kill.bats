#!/usr/bin/env bats
# kill: signals by number and name, with or without SIG, default TERM, --all.

load helpers

# A container whose pid 1 reports the signals it gets (pid 1 of a pid
# namespace only gets signals it has a handler for).
trap_container() {
	set_cmd 'for s in TERM USR1 USR2 HUP INT; do trap "echo got $s" $s; done
		echo ready
		while :; do sleep 0.1; done'
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_output_contains "$CID" ready
}

@test "kill without a signal sends TERM" {
	trap_container
	runtime kill "$CID"
	assert_success
	wait_output_contains "$CID" "got TERM"
}

@test "kill with a signal number" {
	trap_container
	runtime kill "$CID" 10
	assert_success
	wait_output_contains "$CID" "got USR1"
	run ctr_output
	assert_not_contains "got TERM"
}

@test "kill with a signal name without SIG" {
	trap_container
	runtime kill "$CID" USR2
	assert_success
	wait_output_contains "$CID" "got USR2"
}

@test "kill with a signal name with SIG" {
	trap_container
	runtime kill "$CID" SIGHUP
	assert_success
	wait_output_contains "$CID" "got HUP"
}

@test "kill KILL stops the container" {
	trap_container
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	runtime kill "$CID" 9
	assert_failure
	assert_contains "not running"
}

@test "kill with an unknown signal fails and the container keeps running" {
	trap_container
	runtime kill "$CID" SIGNOPE
	assert_failure
	runtime kill "$CID" 999
	assert_failure
	[ "$(container_status "$CID")" = running ]
}

@test "kill of a created container stops it" {
	create_ctr
	assert_success
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
}

@test "kill --all reaches every process of the container" {
	set_cmd 'sleep 1000 & sleep 1000 & echo ready; wait'
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_output_contains "$CID" ready
	[ "$(tagged_pids | wc -l)" -ge 3 ]
	runtime kill --all "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	assert_no_tagged
}

@test "kill -a (short flag)" {
	set_cmd 'sleep 1000 & echo ready; wait'
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_output_contains "$CID" ready
	runtime kill -a "$CID" 9
	assert_success
	wait_for_status "$CID" stopped
}

@test "kill of a container that does not exist fails" {
	runtime kill nosuchcontainer KILL
	assert_failure
	assert_contains "does not exist"
}

# The init ignored what hako's caller ignored (an ignored signal stays
# ignored across execve; the Go runtime keeps SIGHUP and SIGINT so): the
# suite run under nohup saw "kill with a signal name with SIG" fail, for
# sh cannot trap a signal ignored at its start. runc's processes start
# with them at their default action.
@test "kill HUP and INT reach the container's traps when hako's caller ignores them" {
	set_cmd 'for s in HUP INT; do trap "echo got $s" $s; done
		echo ready
		while :; do sleep 0.1; done'
	status=0
	ignoring HUP INT QUIT -- env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$CID" \
		</dev/null >"$TEST_DIR/$CID.out" 2>&1 3>&- || status=$?
	assert_success
	ignoring HUP INT QUIT -- env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" start "$CID"
	wait_output_contains "$CID" ready
	runtime kill "$CID" HUP
	assert_success
	wait_output_contains "$CID" "got HUP"
	runtime kill "$CID" INT
	assert_success
	wait_output_contains "$CID" "got INT"
}

# sig_ignored FILE: the SigIgn mask in FILE (a process's status lines).
sig_ignored() { awk '/^SigIgn:/ { print $2 }' "$1"; }

@test "the container's processes start with no signal ignored, whatever hako's caller ignored" {
	local ign="HUP INT QUIT USR1 PIPE CHLD" nums="1 2 3 10 13 17"
	# the C applier, then the Go init (a startContainer hook needs it)
	set_cmd 'grep SigIgn /proc/self/status; sleep 1000'
	for hook in no yes; do
		[ "$hook" = yes ] && update_config '.hooks.startContainer = [{"path": "/bin/true"}]'
		status=0
		ignoring $ign -- env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$CID" \
			</dev/null >"$TEST_DIR/$CID.out" 2>&1 3>&- || status=$?
		assert_success
		runtime start "$CID"
		assert_success
		wait_output_contains "$CID" SigIgn
		[ -z "$(ignored_among "$TEST_DIR/$CID.out" $nums)" ] || fail "init (hook: $hook): $(ctr_output)"
		if [ "$hook" = no ]; then
			ignoring $ign -- env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" exec "$CID" grep SigIgn /proc/self/status >"$TEST_DIR/exec.out" 2>&1
			[ -z "$(ignored_among "$TEST_DIR/exec.out" $nums)" ] || fail "exec: $(cat "$TEST_DIR/exec.out")"
			ignoring $ign -- env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" exec -d "$CID" grep SigIgn /proc/self/status \
				</dev/null >"$TEST_DIR/execd.out" 2>&1
			wait_output_contains execd SigIgn
			[ -z "$(ignored_among "$TEST_DIR/execd.out" $nums)" ] || fail "exec -d: $(cat "$TEST_DIR/execd.out")"
		fi
		runtime delete -f "$CID"
		assert_success
	done
}

# runc's processes keep these: its Go runtime resets only the signals it
# handles, and it leaves SIGTTOU and the real-time 34 alone. hako's start
# with none ignored at all (also 32 and 33, which processes started under
# Debian's GNU make 4.3 have ignored).
@test "SIGTTOU and real-time signals ignored by hako's caller are not ignored in the container" {
	skip_if_runtime runc "keeps SIGTTOU and signal 34 ignored when its caller ignored them"
	set_cmd 'grep SigIgn /proc/self/status; sleep 1000'
	status=0
	ignoring TTOU 34 50 -- env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" run -d --bundle "$BUNDLE" "$CID" \
		</dev/null >"$TEST_DIR/$CID.out" 2>&1 3>&- || status=$?
	assert_success
	wait_output_contains "$CID" SigIgn
	[ "$(sig_ignored "$TEST_DIR/$CID.out")" = 0000000000000000 ] || fail "$(ctr_output)"
}
