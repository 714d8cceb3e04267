#!/usr/bin/env bats
# create: the init process is left waiting; nothing runs until start.

load helpers

@test "create leaves the container in created with a live init waiting" {
	set_cmd 'echo started'
	create_ctr
	assert_success
	[ "$(container_status "$CID")" = created ]
	pid=$(container_pid "$CID")
	[ "$pid" -gt 0 ]
	kill -0 "$pid"
	# the user process has not run yet
	sleep 0.3
	run ctr_output
	assert_not_contains started
	[ -d "$ROOT/$CID" ]
}

@test "create --pid-file writes the pid of the init process" {
	create_ctr "$CID" --pid-file "$TEST_DIR/pid"
	assert_success
	[ -s "$TEST_DIR/pid" ]
	[ "$(cat "$TEST_DIR/pid")" = "$(container_pid "$CID")" ]
	# that pid lives in new pid and mount namespaces
	[ "$(readlink /proc/"$(cat "$TEST_DIR/pid")"/ns/pid)" != "$(host_ns pid)" ]
	[ "$(readlink /proc/"$(cat "$TEST_DIR/pid")"/ns/mnt)" != "$(host_ns mnt)" ]
}

@test "create -b (short flag) and relative --pid-file" {
	cd "$TEST_DIR"
	runtime_bg "$TEST_DIR/$CID.out" create -b "$BUNDLE" --pid-file pid "$CID"
	assert_success
	[ "$(cat "$TEST_DIR/pid")" = "$(container_pid "$CID")" ]
}

@test "create without --bundle uses the current directory" {
	cd "$BUNDLE"
	runtime_bg "$TEST_DIR/$CID.out" create "$CID"
	assert_success
	runtime state "$CID"
	assert_success
	[ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
}

@test "create with --no-pivot and --no-new-keyring still runs the container" {
	set_cmd 'cat /proc/self/mountinfo | wc -l; echo ok'
	create_ctr "$CID" --no-pivot
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	run ctr_output
	assert_contains ok
	runtime delete "$CID"
	assert_success

	create_ctr "$CID" --no-new-keyring
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	wait_output_contains "$CID" ok
}

@test "create of an id that already exists fails and keeps the first" {
	create_ctr
	assert_success
	pid=$(container_pid "$CID")
	create_ctr
	assert_failure
	assert_contains "already exists"
	[ "$(container_status "$CID")" = created ]
	[ "$(container_pid "$CID")" = "$pid" ]
}

@test "two containers from one root are independent" {
	create_ctr "$CID"
	assert_success
	EXTRA_IDS+=("${CID}b")
	create_ctr "${CID}b"
	assert_success
	runtime list -q
	assert_success
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "$CID ${CID}b " ]
	runtime delete -f "${CID}b"
	assert_success
	[ "$(container_status "$CID")" = created ]
	assert_nothing_left "${CID}b"
}

@test "hako: create is set up by the C applier and a host thread, without a Go runtime in the container" {
	skip_if_runtime runc "runc's create starts a Go init"
	skip_if_runtime crun "not hako"
	update_config '.hostname = "applied" | .linux.sysctl = {"kernel.domainname": "dom.example"}'
	set_cmd 'echo "$(hostname) $(cat /proc/sys/kernel/domainname) $(cat /proc/1/comm) $(umask)"'
	run env HAKO_TRACE="$TEST_DIR/trace" "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$CID"
	assert_success
	# /proc is the pid namespace's (the applier opened it): pid 1 is sh
	assert_output "applied dom.example sh 0022"
	run cat "$TEST_DIR/trace"
	assert_contains "nsenter: rootfs made by the host"
	[[ "$output" != *"init: go runtime started"* ]] || fail "a Go init ran: $output"
}

@test "hako: a container the host thread cannot set up falls back to the Go init" {
	skip_if_runtime runc "runc always starts a Go init"
	skip_if_runtime crun "not hako"
	# createContainer hooks run inside the container, from the Go init
	update_config '.hooks.createContainer = [{"path": "/bin/true"}]'
	set_cmd 'echo ok'
	run env HAKO_TRACE="$TEST_DIR/trace" "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output "ok"
	run cat "$TEST_DIR/trace"
	assert_contains "init: go runtime started"
}

@test "linux.intelRdt without resctrl is refused naming the field, nothing left (pure planning: tests in libcontainer/intelrdt)" {
	[ -z "$(awk '$9 == "resctrl"' /proc/self/mountinfo)" ] || skip "resctrl is mounted here"
	update_config '.linux.intelRdt = {closID: "hako-bats", l3CacheSchema: "L3:0=f"}'
	create_ctr
	assert_failure
	# runc: "... Intel RDT is not supported or enabled" (its own words)
	assert_match "intelRdt: resctrl is not mounted|Intel RDT is not (supported|enabled)|[Ii]ntel ?RDT"
	assert_nothing_left
	# a bad closID is named before resctrl is even looked for (runc looks
	# for resctrl first)
	update_config '.linux.intelRdt = {closID: "../x"}'
	create_ctr
	assert_failure
	assert_names_field "linux.intelRdt.closID"
	assert_nothing_left
}
