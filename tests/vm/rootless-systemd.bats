#!/usr/bin/env bats
# Rootless containers with the systemd cgroup driver: an unprivileged
# user's own systemd instance (user@UID.service, started by logind for a
# lingering user) runs each container in a transient scope below its
# delegated cgroup, reached on the user bus. tests/vm/cgroups-v2.sh runs
# this file in the vm-run --systemd guest (systemd 252 as PID 1); it
# skips elsewhere.

load ../integration/helpers

setup_file() {
	FILE_DIR=$(mktemp -d /tmp/hako-bats.XXXXXX)
	chmod 0755 "$FILE_DIR"
	export FILE_DIR
	if [ -n "${VM_IMAGE:-}" ]; then
		cp -a "$VM_IMAGE" "$FILE_DIR/image"
	else
		"$INTEGRATION_DIR/mkbundle.sh" "$FILE_DIR/image" >/dev/null
	fi
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
	TEST_DIR="$FILE_DIR/t$BATS_TEST_NUMBER"
	BUNDLE="$TEST_DIR/bundle"
	CID="hb${BATS_TEST_NUMBER}-${FILE_DIR##*.}"
	TAG="$CID"
	# The user's own runtime directory, where its systemd instance listens
	# (no dbus-user-session in the guest: its private socket).
	XDG="/run/user/$RL_UID"
	ROOT="$XDG/$RUNTIME_NAME"
	rm -rf "$TEST_DIR"
	mkdir -p "$BUNDLE"
	cp -a "$FILE_DIR/image/rootfs" "$BUNDLE/rootfs"
	chown -R "$RL_USER:" "$TEST_DIR"
	chmod 0755 "$TEST_DIR"
	(cd "$BUNDLE" && as_user "$FILE_DIR/rt" spec --rootless) || fail "spec --rootless failed"
	update_config '.process.terminal = false | .root.readonly = false | .process.env += ["'"$TAG_VAR=$TAG"'"]
		| .process.args = ["sleep", "1000"]'
	EXTRA_IDS=()
	EXTRA_CLEANUP=()
}

teardown() {
	[ -n "${TEST_DIR:-}" ] || return 0
	local d
	for d in "$ROOT"/*/; do
		[ -d "$d" ] && sd_user "$FILE_DIR/rt" --systemd-cgroup delete --force "$(basename "$d")" >/dev/null 2>&1
	done
	kill_tagged
	rm -rf "$TEST_DIR"
}

# sd_user CMD...: CMD as the test user, in its runtime directory.
sd_user() {
	as_user "$@"
}

cg_of() { # PID: the v2 cgroup directory of PID
	local h c p
	while IFS=: read -r h c p; do
		[ "$h" = 0 ] && echo "/sys/fs/cgroup${p%/}"
	done <"/proc/$1/cgroup"
}

@test "rootless, systemd user instance: a scope of the user's own, with limits, pause, update and delete" {
	update_config '.linux.resources = {pids: {limit: 20}}'
	status=0
	sd_user "$FILE_DIR/rt" --systemd-cgroup run -d --bundle "$BUNDLE" "$CID" </dev/null >"$TEST_DIR/out" 2>&1 3>&- || status=$?
	[ "$status" = 0 ] || fail "run -d: $(cat "$TEST_DIR/out")"
	local pid cg
	pid=$(sd_user "$FILE_DIR/rt" state "$CID" | jq .pid)
	cg=$(cg_of "$pid")
	# runc's default for rootless: user.slice of the user's manager
	[ "$cg" = "/sys/fs/cgroup/user.slice/user-$RL_UID.slice/user@$RL_UID.service/user.slice/hako-$CID.scope" ] ||
		fail "cgroup $cg"
	[ "$(cat "$cg/pids.max")" = 20 ]
	run sd_user "$FILE_DIR/rt" pause "$CID"
	assert_success
	grep -qx "frozen 1" "$cg/cgroup.events"
	run sd_user "$FILE_DIR/rt" resume "$CID"
	assert_success
	run sd_user "$FILE_DIR/rt" update --pids-limit 30 "$CID"
	assert_success
	[ "$(cat "$cg/pids.max")" = 30 ]
	run sd_user "$FILE_DIR/rt" delete -f "$CID"
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
