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
