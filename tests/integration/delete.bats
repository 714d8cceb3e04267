#!/usr/bin/env bats
# delete: created, stopped, running (-f), missing.

load helpers

@test "delete of a created container removes everything" {
	create_ctr
	assert_success
	pid=$(container_pid "$CID")
	runtime delete "$CID"
	assert_success
	runtime state "$CID"
	assert_failure
	! kill -0 "$pid" 2>/dev/null
	assert_nothing_left
}

@test "delete of a stopped container" {
	set_args true
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	runtime delete "$CID"
	assert_success
	assert_nothing_left
}

@test "delete of a running container without --force fails" {
	set_args sleep 100
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" running
	runtime delete "$CID"
	assert_failure
	[ "$(container_status "$CID")" = running ]
	kill -0 "$(container_pid "$CID")"
}

@test "delete --force of a running container kills it" {
	set_cmd 'sleep 1000 & sleep 1000'
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" running
	runtime delete --force "$CID"
	assert_success
	assert_nothing_left
}

@test "delete -f (short flag) of a created container" {
	create_ctr
	assert_success
	runtime delete -f "$CID"
	assert_success
	assert_nothing_left
}

@test "delete of a container that does not exist fails" {
	mkdir -p "$ROOT"
	runtime delete nosuchcontainer
	assert_failure
	assert_contains "does not exist"
}

@test "delete --force of a container that does not exist succeeds" {
	mkdir -p "$ROOT"
	runtime delete --force nosuchcontainer
	assert_success
}

@test "delete removes the container's cgroups" {
	set_args sleep 100
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	# the init process is in a cgroup of its own
	pid=$(container_pid "$CID")
	grep -q "$CID" "/proc/$pid/cgroup"
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	runtime delete "$CID"
	assert_success
	assert_nothing_left
}
