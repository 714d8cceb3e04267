#!/usr/bin/env bats
# Rootless containers on a pure cgroup v2 host (tests/vm/cgroups-v2.sh runs
# this file in the default vm-run guest, whose /etc writes are thrown away):
# an unprivileged user delegated a cgroup subtree, as systemd's Delegate=yes
# does (the directory and its cgroup.procs, cgroup.subtree_control and
# cgroup.threads chowned to the user), gets a cgroup of its own for each
# container, with limits, pause, update and stats; a cgroup it was not
# delegated stays out of its reach.

load rootless-helpers

setup_file() {
	rootless_setup_file
	[ -f /sys/fs/cgroup/cgroup.controllers ] || return 0
	make_test_user
	# The delegated subtree: the user's shell goes to its "start" leaf (no
	# process may sit in a cgroup that has children with controllers).
	DELEG=/sys/fs/cgroup/hako-deleg-${FILE_DIR##*.}
	mkdir -p "$DELEG/start"
	echo "+pids +memory" >"$DELEG/cgroup.subtree_control"
	local d f
	for d in "$DELEG" "$DELEG/start"; do
		for f in "" cgroup.procs cgroup.subtree_control cgroup.threads; do
			chown "$RL_USER:" "$d/$f"
		done
	done
	echo "$DELEG" >"$FILE_DIR/deleg"
}

teardown_file() {
	remove_test_user
	local d
	d=$(cat "$FILE_DIR/deleg" 2>/dev/null)
	[ -n "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	rm -rf "$FILE_DIR"
}

setup() {
	[ -f /sys/fs/cgroup/cgroup.controllers ] ||
		skip "needs a pure cgroup v2 host (tests/vm/cgroups-v2.sh runs this file in a vm-run guest)"
	DELEG=$(cat "$FILE_DIR/deleg")
	rootless_setup "$FILE_DIR/t$BATS_TEST_NUMBER/xdg"
}

teardown() {
	rootless_teardown
}

# in_cgroup CGROUP CMD...: CMD as the test user, started in CGROUP (a
# directory under /sys/fs/cgroup) as systemd places a user's session;
# stdio to a file (a detached container keeps it open), then $status and
# $output as bats' run gives them.
in_cgroup() {
	local cg=$1
	shift
	status=0
	(echo "$BASHPID" >"$cg/cgroup.procs" && as_user "$@") </dev/null >"$TEST_DIR/out" 2>&1 3>&- || status=$?
	output=$(cat "$TEST_DIR/out")
}

@test "rootless, delegated cgroup v2: the container's own cgroup with limits, pause, update, stats and delete" {
	update_config '.linux.resources = {pids: {limit: 20}, memory: {limit: 67108864}}'
	in_cgroup "$DELEG/start" "$FILE_DIR/rt" run -d --bundle "$BUNDLE" "$CID"
	assert_success
	local pid cg
	pid=$(as_user "$FILE_DIR/rt" state "$CID" | jq .pid)
	cg=$(cg_of "$pid")
	# runc's default: the container id beside the caller's cgroup
	[ "$cg" = "$DELEG/$CID" ] || fail "cgroup $cg, want $DELEG/$CID"
	[ "$(cat "$cg/pids.max")" = 20 ]
	[ "$(cat "$cg/memory.max")" = 67108864 ]
	run as_user "$FILE_DIR/rt" pause "$CID"
	assert_success
	[ "$(as_user "$FILE_DIR/rt" state "$CID" | jq -r .status)" = paused ]
	grep -qx "frozen 1" "$cg/cgroup.events"
	run as_user "$FILE_DIR/rt" resume "$CID"
	assert_success
	run as_user "$FILE_DIR/rt" update --pids-limit 30 "$CID"
	assert_success
	[ "$(cat "$cg/pids.max")" = 30 ]
	run as_user "$FILE_DIR/rt" events --stats "$CID"
	assert_success
	[ "$(jq .data.pids.current <<<"$output")" -ge 1 ]
	run as_user "$FILE_DIR/rt" delete -f "$CID"
	assert_success
	[ ! -e "$cg" ] || fail "cgroup $cg left behind"
	[ ! -e "$ROOT/$CID" ]
}

@test "rootless, delegated cgroup v2: a cgroupsPath outside the delegated subtree is refused, nothing left" {
	update_config '.linux.cgroupsPath = "/hako-not-yours-'"$CID"'"'
	in_cgroup "$DELEG/start" "$FILE_DIR/rt" run -d --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_contains "permission denied"
	[ ! -e "/sys/fs/cgroup/hako-not-yours-$CID" ]
	[ ! -e "$ROOT/$CID" ]
}

@test "rootless, no delegation on cgroup v2: no limits runs in the caller's cgroup, limits are refused" {
	local cg=/sys/fs/cgroup/hako-nodeleg-$CID
	mkdir -p "$cg"
	EXTRA_CLEANUP+=("for i in 1 2 3 4 5 6 7 8 9 10; do rmdir $cg && break; sleep 0.2; done")
	in_cgroup "$cg" "$FILE_DIR/rt" run -d --bundle "$BUNDLE" "$CID"
	assert_success
	local pid
	pid=$(as_user "$FILE_DIR/rt" state "$CID" | jq .pid)
	[ "$(cg_of "$pid")" = "$cg" ]
	run as_user "$FILE_DIR/rt" pause "$CID"
	assert_failure
	# runc: "freezer not supported: openat2 .../cgroup.freeze: no such file"
	assert_match "no cgroup of its own|freezer not supported"
	run as_user "$FILE_DIR/rt" delete -f "$CID"
	assert_success
	update_config '.linux.resources = {pids: {limit: 20}}'
	in_cgroup "$cg" "$FILE_DIR/rt" run -d --bundle "$BUNDLE" "$CID"
	assert_failure
	# runc: "rootless needs no limits + no cgrouppath when no permission is
	# granted for cgroups: mkdir ...: permission denied"
	assert_match "could not create or join its cgroup|rootless needs no limits"
	[ ! -e "$ROOT/$CID" ]
	[ -z "$(ls -d "$cg"/*/ 2>/dev/null)" ]
}
