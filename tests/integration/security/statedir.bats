#!/usr/bin/env bats
# The state directory: --root is made 0700, each container's directory
# 0711 and its state.json 0600 (libcontainer/container.go, create.go), so
# an unprivileged user can neither read nor change a container's state.

load ../helpers

@test "state root 0700, state.json 0600, unreadable and unwritable for other users" {
	requires setpriv
	set_args sleep 600
	create_ctr
	assert_success
	[ "$(stat -c %a "$ROOT")" = 700 ] || fail "--root is $(stat -c %a "$ROOT")"
	local st="$ROOT/$CID/state.json"
	[ -f "$st" ] || fail "no $st"
	[ "$(stat -c %a "$st")" = 600 ] || fail "state.json is $(stat -c %a "$st")"
	# Even with the root opened up, the file itself keeps others out.
	chmod 0755 "$ROOT"
	run setpriv --reuid 65534 --regid 65534 --clear-groups cat "$st"
	assert_failure
	assert_contains "Permission denied"
	run setpriv --reuid 65534 --regid 65534 --clear-groups sh -c "echo '{}' > '$st'"
	assert_failure
	run setpriv --reuid 65534 --regid 65534 --clear-groups ls "$ROOT/$CID"
	assert_failure
	chmod 0700 "$ROOT"
	[ "$(container_status "$CID")" = created ]
}
