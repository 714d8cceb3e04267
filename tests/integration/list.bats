#!/usr/bin/env bats
# list: -q, --format table|json.

load helpers

@test "list of an empty root prints only the table header" {
	mkdir -p "$ROOT"
	runtime list
	assert_success
	assert_match '^ID +PID +STATUS +BUNDLE +CREATED +OWNER'
	[ "$(wc -l <<<"$output")" -eq 1 ]
	runtime list -q
	assert_success
	assert_output ""
	runtime list --format json
	assert_success
	# runc prints null, an empty array is as good
	[ "$(jq 'length' <<<"$output")" -eq 0 ]
}

@test "list shows containers in the table, -q and json forms" {
	set_args sleep 100
	create_ctr "$CID"
	assert_success
	EXTRA_IDS+=("${CID}r")
	create_ctr "${CID}r"
	assert_success
	runtime start "${CID}r"
	assert_success
	wait_for_status "${CID}r" running

	runtime list
	assert_success
	assert_match '^ID +PID +STATUS +BUNDLE +CREATED +OWNER'
	assert_match "^$CID +[0-9]+ +created +$BUNDLE +[0-9T:.-]+Z? +root"
	assert_match "^${CID}r +[0-9]+ +running +$BUNDLE "

	runtime list -q
	assert_success
	[ "$(sort <<<"$output" | tr '\n' ' ')" = "$CID ${CID}r " ]

	runtime list --format json
	assert_success
	[ "$(jq length <<<"$output")" -eq 2 ]
	[ "$(jq -r ".[] | select(.id == \"$CID\") | .status" <<<"$output")" = created ]
	[ "$(jq -r ".[] | select(.id == \"${CID}r\") | .status" <<<"$output")" = running ]
	[ "$(jq -r ".[] | select(.id == \"$CID\") | .bundle" <<<"$output")" = "$BUNDLE" ]
	[ "$(jq -r ".[] | select(.id == \"$CID\") | .rootfs" <<<"$output")" = "$BUNDLE/rootfs" ]
	[ "$(jq -r ".[] | select(.id == \"$CID\") | .pid" <<<"$output")" = "$(container_pid "$CID")" ]
	for f in ociVersion id pid status bundle rootfs created owner; do
		jq -e ".[0] | has(\"$f\")" <<<"$output" >/dev/null || fail "list json has no $f"
	done
	[ "$(jq -r ".[] | select(.id == \"$CID\") | .owner" <<<"$output")" = root ]

	runtime list --format table
	assert_success
	assert_match '^ID +PID +STATUS'
}

@test "list reports a stopped container as stopped with pid 0" {
	set_args true
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	runtime list --format json
	assert_success
	[ "$(jq -r '.[0].status' <<<"$output")" = stopped ]
	[ "$(jq -r '.[0].pid' <<<"$output")" = 0 ]
}

@test "list with an unknown format fails" {
	mkdir -p "$ROOT"
	runtime list --format yaml
	assert_failure
}
