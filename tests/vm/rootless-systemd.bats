#!/usr/bin/env bats
# Rootless containers with the systemd cgroup driver: an unprivileged
# user's own systemd instance (user@UID.service, started by logind for a
# lingering user) runs each container in a transient scope below its
# delegated cgroup, reached on the user bus. tests/vm/cgroups-v2.sh runs
# this file in the vm-run --systemd guest (systemd 252 as PID 1); it
# skips elsewhere.

load rootless-helpers

setup_file() {
	rootless_setup_file
	[ -d /run/systemd/system ] && [ -f /sys/fs/cgroup/cgroup.controllers ] || return 0
	make_test_user
	loginctl enable-linger "$RL_USER"
	local uid i
	uid=$(id -u "$RL_USER")
	# The user manager and its bus (slow to come up under emulation).
	for ((i = 0; i < 600; i++)); do
		[ -S "/run/user/$uid/systemd/private" ] && systemctl is-active -q "user@$uid.service" && break
		sleep 0.1
	done
}

teardown_file() {
	if id "$RL_USER" >/dev/null 2>&1; then
		loginctl disable-linger "$RL_USER" 2>/dev/null
		loginctl terminate-user "$RL_USER" 2>/dev/null
		systemctl stop "user@$(id -u "$RL_USER").service" 2>/dev/null
	fi
	remove_test_user
	rm -rf "$FILE_DIR"
}

setup() {
	[ -d /run/systemd/system ] && [ -f /sys/fs/cgroup/cgroup.controllers ] ||
		skip "needs systemd as PID 1 on cgroup v2 (tests/vm/cgroups-v2.sh runs this file in vm-run --systemd)"
	RL_UID=$(id -u "$RL_USER")
	[ -S "/run/user/$RL_UID/systemd/private" ] || fail "the systemd user instance of $RL_USER did not start"
	# The user's own runtime directory, where its systemd instance listens
	# (no dbus-user-session in the guest: its private socket).
	rootless_setup "/run/user/$RL_UID"
}

teardown() {
	rootless_teardown --systemd-cgroup
}

@test "rootless, systemd user instance: a scope of the user's own, with limits, pause, update and delete" {
	update_config '.linux.resources = {pids: {limit: 20}}'
	status=0
	as_user "$FILE_DIR/rt" --systemd-cgroup run -d --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/out" 2>&1 3>&- || status=$?
	[ "$status" = 0 ] || fail "run -d: $(cat "$TEST_DIR/out")"
	local pid cg
	pid=$(as_user "$FILE_DIR/rt" state "$CID" | jq .pid)
	cg=$(cg_of "$pid")
	# runc's default for rootless: user.slice of the user's manager
	[ "$cg" = "/sys/fs/cgroup/user.slice/user-$RL_UID.slice/user@$RL_UID.service/user.slice/hako-$CID.scope" ] ||
		fail "cgroup $cg"
	[ "$(cat "$cg/pids.max")" = 20 ]
	run as_user "$FILE_DIR/rt" pause "$CID"
	assert_success
	grep -qx "frozen 1" "$cg/cgroup.events"
	run as_user "$FILE_DIR/rt" resume "$CID"
	assert_success
	run as_user "$FILE_DIR/rt" update --pids-limit 30 "$CID"
	assert_success
	[ "$(cat "$cg/pids.max")" = 30 ]
	run as_user "$FILE_DIR/rt" delete -f "$CID"
	assert_success
	[ ! -e "$cg" ] || fail "scope cgroup $cg left behind"
	[ ! -e "$ROOT/$CID" ]
}

@test "rootless, systemd driver without a user bus fails clearly and leaves nothing" {
	set_args true
	XDG=$TEST_DIR/nobus
	mkdir -p "$XDG"
	chown "$RL_USER:" "$XDG"
	ROOT="$XDG/$RUNTIME_NAME"
	run as_user "$FILE_DIR/rt" --systemd-cgroup run --bundle "$BUNDLE" "$CID"
	assert_failure
	# runc: its own words about the user bus
	assert_match "systemd user instance|user bus|dbus|DBus"
	[ ! -e "$ROOT/$CID" ]
}
