#!/usr/bin/env bats
# state: the OCI state document, derived from facts.

load helpers

@test "state prints the OCI state with runc's extra fields" {
	update_config '.annotations = {"org.example.key": "value"}'
	create_ctr
	assert_success
	runtime state "$CID"
	assert_success
	local s=$output
	jq -e . <<<"$s" >/dev/null
	for f in ociVersion id pid status bundle rootfs created owner; do
		jq -e "has(\"$f\")" <<<"$s" >/dev/null || fail "state has no $f: $s"
	done
	[ "$(jq -r .id <<<"$s")" = "$CID" ]
	[ "$(jq -r .status <<<"$s")" = created ]
	[ "$(jq -r .bundle <<<"$s")" = "$BUNDLE" ]
	[ "$(jq -r .rootfs <<<"$s")" = "$BUNDLE/rootfs" ]
	[[ "$(jq -r .ociVersion <<<"$s")" == 1.* ]]
	[ "$(jq -r '.annotations["org.example.key"]' <<<"$s")" = value ]
	# As runc: state leaves owner empty, list fills it in.
	[ "$(jq -r .owner <<<"$s")" = "" ] || fail "owner in state: $s"
	runtime list -f json
	[ "$(jq -r --arg id "$CID" '.[] | select(.id == $id) | .owner' <<<"$output")" = root ] || fail "owner in list: $output"
	# created is RFC 3339 and recent
	created=$(jq -r .created <<<"$s")
	[[ "$created" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2} ]]
	now=$(date +%s)
	then=$(date -d "$created" +%s)
	[ $((now - then)) -lt 60 ]
	pid=$(jq -r .pid <<<"$s")
	[ "$pid" -gt 0 ]
	kill -0 "$pid"
}

@test "status goes created -> running -> stopped" {
	set_args sleep 1000
	create_ctr
	assert_success
	[ "$(container_status "$CID")" = created ]
	runtime start "$CID"
	assert_success
	[ "$(container_status "$CID")" = running ]
	runtime state "$CID"
	pid=$(jq -r .pid <<<"$output")
	kill -9 "$pid"
	wait_for_status "$CID" stopped
	runtime state "$CID"
	assert_success
	[ "$(jq -r .status <<<"$output")" = stopped ]
	[ "$(jq -r .pid <<<"$output")" = 0 ]
}

@test "state follows the facts when the init process dies before start" {
	create_ctr
	assert_success
	pid=$(container_pid "$CID")
	kill -9 "$pid"
	wait_for_status "$CID" stopped
}

@test "state of a container that does not exist fails" {
	runtime state nosuchcontainer
	assert_failure
	assert_contains "does not exist"
}

@test "state of a deleted container fails" {
	set_args true
	create_ctr
	assert_success
	runtime delete "$CID"
	assert_success
	runtime state "$CID"
	assert_failure
	assert_contains "does not exist"
}

@test "concurrent commands on one container do not corrupt its state" {
	set_args sleep 100
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	local i pids=()
	for i in $(seq 8); do
		"$RUNTIME" --root "$ROOT" state "$CID" >"$TEST_DIR/s$i" 2>&1 3>&- &
		pids+=($!)
		"$RUNTIME" --root "$ROOT" kill "$CID" USR2 >/dev/null 2>&1 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || true; done
	for i in $(seq 8); do
		jq -e ".id == \"$CID\" and .status == \"running\"" "$TEST_DIR/s$i" >/dev/null ||
			fail "state $i: $(cat "$TEST_DIR/s$i")"
	done
	[ "$(container_status "$CID")" = running ]
	# concurrent forced deletes: the container ends deleted, no one corrupts it
	pids=()
	for i in $(seq 4); do
		"$RUNTIME" --root "$ROOT" delete -f "$CID" >/dev/null 2>&1 3>&- &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" || true; done
	runtime state "$CID"
	assert_failure
	assert_nothing_left
}
