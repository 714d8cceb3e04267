#!/usr/bin/env bats
# start: releases the waiting init.

load helpers

@test "start runs the process of a created container" {
	set_cmd 'echo hello from $(hostname); sleep 100'
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" running
	wait_output_contains "$CID" "hello from"
}

@test "start twice fails" {
	set_args sleep 100
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" running
	runtime start "$CID"
	assert_failure
	[ "$(container_status "$CID")" = running ]
}

@test "start of a stopped container fails" {
	set_args true
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	runtime start "$CID"
	assert_failure
	assert_contains stopped
}

@test "start of a container that does not exist fails" {
	runtime start nosuchcontainer
	assert_failure
	assert_contains "does not exist"
}

@test "start returns before the container process exits" {
	set_args sleep 100
	create_ctr
	assert_success
	SECONDS=0
	runtime start "$CID"
	assert_success
	[ "$SECONDS" -lt 5 ]
	[ "$(container_status "$CID")" = running ]
}
