#!/usr/bin/env bats
# Rootless containers: an unprivileged user (made for this file and removed
# after it, with a subordinate id range) runs the runtime itself, and so
# does root in that user's own user namespace (`unshare -r`, what rootless
# podman does). On this host nothing delegates a cgroup to the user, so
# containers run in the user's cgroup; delegated cgroup v2 is tested in the
# vm-run guest (tests/vm/cli-v2.bats).

load helpers

setup_file() {
	common_setup_file
	make_test_user
}

teardown_file() {
	remove_test_user
	common_teardown_file
}

setup() {
	common_setup
	RL_UID=$(id -u "$RL_USER")
	RL_GID=$(id -g "$RL_USER")
	XDG="$TEST_DIR/xdg"
	mkdir -p "$XDG"
	chmod 0700 "$XDG"
	# The default root of an unprivileged user, where teardown looks too.
	ROOT="$XDG/$RUNTIME_NAME"
	# The user's own config: its ids mapped, from the runtime's own spec.
	rm -f "$BUNDLE/config.json"
	chown -R "$RL_USER:" "$TEST_DIR"
	(cd "$BUNDLE" && as_user "$FILE_DIR/rt" spec --rootless) || fail "spec --rootless as $RL_USER failed"
	update_config '.process.terminal = false | .root.readonly = false
		| .process.env += ["'"$TAG_VAR=$TAG"'"]'
}

# line_matches N REGEX: line N of the output matches the extended regex.
line_matches() {
	[[ ${lines[$1]} =~ $2 ]] || {
		printf 'line %d: %q does not match /%s/\n' "$1" "${lines[$1]}" "$2" >&2
		return 1
	}
}

# rl ARGS...: bats `run` of the runtime as the test user (no --root: the
# default one under XDG_RUNTIME_DIR is part of what is tested).
rl() {
	run as_user "$FILE_DIR/rt" "$@"
}

# rl_bg OUT ARGS...: the runtime as the user with stdio to OUT, for run -d
# and create (whose container keeps the stdio open).
rl_bg() {
	local out=$1
	shift
	status=0
	as_user "$FILE_DIR/rt" "$@" </dev/null >"$out" 2>&1 3>&- || status=$?
	output=$(cat "$out")
}

@test "an unprivileged user runs a container from spec --rootless, its state under XDG_RUNTIME_DIR" {
	update_config '.process.args = ["sh", "-c", "id -u; cat /proc/self/uid_map /proc/self/gid_map; cat /proc/self/setgroups; echo hi > /tmp/f && cat /tmp/f"]'
	rl run --bundle "$BUNDLE" "$CID"
	assert_success
	[ "${lines[0]}" = 0 ]
	line_matches 1 "^ +0 +$RL_UID +1$"
	line_matches 2 "^ +0 +$RL_GID +1$"
	# Mapping its own gid unprivileged needs setgroups denied.
	[ "${lines[3]}" = deny ]
	[ "${lines[4]}" = hi ]
	# The root is the user's, sticky (XDG Base Directory: kept while in use),
	# and the container left nothing in it.
	[ "$(stat -c '%U %a' "$ROOT")" = "$RL_USER 1700" ]
	assert_nothing_left
}

@test "create, start, exec, ps, list, state, kill and delete as an unprivileged user" {
	set_args sleep 1000
	rl_bg "$TEST_DIR/out" create --bundle "$BUNDLE" "$CID"
	assert_success
	rl state "$CID"
	assert_success
	[ "$(jq -r .status <<<"$output")" = created ]
	rl start "$CID"
	assert_success
	rl list -q
	assert_success
	[ "$output" = "$CID" ]
	rl exec "$CID" sh -c 'id -u; cat /proc/1/cmdline | tr "\0" " "'
	assert_success
	[ "${lines[0]}" = 0 ]
	[ "${lines[1]}" = "sleep 1000 " ]
	# The init ignores SIGTERM (pid 1 without a handler): KILL.
	rl kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	rl delete "$CID"
	assert_success
	assert_nothing_left
}

@test "rootless: checkpoint and restore say they need root, before anything is dumped or made" {
	skip_if_runtime runc "warns, then lets CRIU fail"
	requires criu
	set_args sleep 1000
	rl_bg "$TEST_DIR/out" run -d --bundle "$BUNDLE" "$CID"
	assert_success
	rl checkpoint --image-path "$TEST_DIR/img" "$CID"
	assert_failure
	assert_contains "need root in the initial user namespace"
	[ ! -e "$TEST_DIR/img" ] || fail "an image directory was made"
	rl state "$CID"
	assert_success
	[ "$(jq -r .status <<<"$output")" = running ]
	mkdir "$TEST_DIR/img2"
	echo x >"$TEST_DIR/img2/inventory.img"
	echo '["/dev/null","/dev/null","/dev/null"]' >"$TEST_DIR/img2/descriptors.json"
	chown -R "$RL_USER:" "$TEST_DIR/img2"
	rl restore -d --image-path "$TEST_DIR/img2" --bundle "$BUNDLE" other
	assert_failure
	assert_contains "need root in the initial user namespace"
	rl delete -f "$CID"
	assert_success
	assert_nothing_left
	assert_nothing_left other
}

@test "ps lists a rootless container's processes without a cgroup of its own" {
	skip_if_runtime runc "its ps needs the container's cgroup (unable to get all container pids)"
	set_args sleep 1000
	rl_bg "$TEST_DIR/out" run -d --bundle "$BUNDLE" "$CID"
	assert_success
	rl_bg "$TEST_DIR/out2" exec -d "$CID" sleep 999
	assert_success
	rl ps "$CID" -o pid,args
	assert_success
	assert_contains "sleep 1000"
	assert_contains "sleep 999"
	rl ps -f json "$CID"
	assert_success
	[ "$(jq length <<<"$output")" = 2 ]
	jq -e --argjson p "$(as_user "$FILE_DIR/rt" state "$CID" | jq .pid)" 'index($p) != null' <<<"$output"
	rl delete -f "$CID"
	assert_success
	assert_nothing_left
}

@test "a rootless container without a delegated cgroup: pause and update say why they cannot" {
	set_args sleep 1000
	rl_bg "$TEST_DIR/out" run -d --bundle "$BUNDLE" "$CID"
	assert_success
	rl pause "$CID"
	assert_failure
	# runc: "cgroups not configured for container"
	assert_match "no cgroup of its own|cgroups not configured"
	rl update --memory 100M "$CID"
	assert_failure
	assert_match "no cgroup of its own|could not join or create cgroup"
	rl state "$CID"
	[ "$(jq -r .status <<<"$output")" = running ]
	rl delete -f "$CID"
	assert_success
	assert_nothing_left
}

@test "rootless limits without a delegated cgroup fail clearly and leave nothing" {
	set_args true
	update_config '.linux.resources = {pids: {limit: 10}}'
	rl run --bundle "$BUNDLE" "$CID"
	assert_failure
	# runc: "cannot set pids limit: container could not join or create cgroup"
	assert_match "could not (create or join its|join or create) cgroup"
	assert_nothing_left
}

@test "a rootless explicit cgroupsPath the user may not create fails, even with --rootless true" {
	set_args true
	update_config '.linux.cgroupsPath = "/'"$CID"'"'
	rl --rootless true run --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_contains "permission denied"
	assert_nothing_left
}

@test "--rootless false makes an unprivileged user's cgroup errors fatal" {
	set_args true
	rl --rootless false run --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_contains "permission denied"
	assert_nothing_left
	rl --rootless bogus run --bundle "$BUNDLE" "$CID"
	assert_failure
	# runc: 'strconv.ParseBool: parsing "bogus": invalid syntax'
	assert_contains "bogus"
	assert_nothing_left
}

@test "rootless: ids from /etc/subuid and /etc/subgid are mapped through newuidmap and newgidmap" {
	requires newuidmap newgidmap
	update_config '.linux.uidMappings += [{containerID: 1, hostID: '"$RL_SUBID"', size: 65536}]
		| .linux.gidMappings += [{containerID: 1, hostID: '"$RL_SUBID"', size: 65536}]
		| .process.capabilities.bounding += ["CAP_CHOWN"] | .process.capabilities.effective += ["CAP_CHOWN"]
		| .process.capabilities.permitted += ["CAP_CHOWN"]
		| .process.args = ["sh", "-c", "cat /proc/self/uid_map; cat /proc/self/setgroups; mkdir /tmp/d && chown 1000:1000 /tmp/d && echo chowned"]'
	rl run --bundle "$BUNDLE" "$CID"
	assert_success
	line_matches 0 "^ +0 +$RL_UID +1$"
	line_matches 1 "^ +1 +$RL_SUBID +65536$"
	# The helpers map several ranges: setgroups stays allowed.
	[ "${lines[2]}" = allow ]
	[ "${lines[3]}" = chowned ]
	# 1000 in the container is RL_SUBID + 999 on the host.
	[ "$(stat -c '%u:%g' "$BUNDLE/rootfs/tmp/d")" = "$((RL_SUBID + 999)):$((RL_SUBID + 999))" ]
	assert_nothing_left
}

@test "rootless: ids the user was not granted cannot be mapped, and nothing is left" {
	requires newuidmap newgidmap
	set_args true
	# A range beyond the user's subordinate ids.
	update_config '.linux.uidMappings += [{containerID: 1, hostID: '"$((RL_SUBID + 65536))"', size: 10}]'
	rl_bg "$TEST_DIR/out" run -d --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_contains "not allowed"
	assert_nothing_left
	# The host's root, asked for directly.
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 0, size: 1}]'
	rl_bg "$TEST_DIR/out" run -d --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_nothing_left
	[ -z "$(ls -A "$ROOT" 2>/dev/null | grep -v '^\.')" ]
}

@test "rootless: a host directory the user cannot read cannot be bind-mounted" {
	mkdir -p "$TEST_DIR/secret"
	echo s3cret >"$TEST_DIR/secret/f"
	chown -R root:root "$TEST_DIR/secret"
	chmod 0700 "$TEST_DIR/secret"
	update_config '.mounts += [{destination: "/mnt", type: "bind", source: "'"$TEST_DIR/secret"'", options: ["bind"]}]
		| .process.args = ["cat", "/mnt/f"]'
	rl run --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_not_contains "s3cret"
	assert_nothing_left
	# A file the user cannot read, bound where it can: still unreadable.
	chmod 0755 "$TEST_DIR/secret"
	chmod 0600 "$TEST_DIR/secret/f"
	rl run --bundle "$BUNDLE" "$CID"
	assert_failure
	assert_not_contains "s3cret"
	assert_nothing_left
}

@test "rootless: new network, ipc, uts, pid and mount namespaces, /sys bound, /dev nodes usable" {
	cat >"$BUNDLE/rootfs/t.sh" <<-'EOF'
		grep -c : /proc/net/dev
		ip -o link show lo | grep -c LOOPBACK,UP
		hostname
		echo $$
		echo x >/dev/null && echo devnull
		head -c 4 /dev/zero | wc -c
		awk '$5 == "/sys" { split($6, o, ","); print o[1] }' /proc/self/mountinfo
	EOF
	update_config '.linux.namespaces += [{type: "network"}] | .process.args = ["sh", "/t.sh"]'
	rl run --bundle "$BUNDLE" "$CID"
	assert_success
	# Its own network namespace: loopback only (/sys is the host's).
	[ "${lines[0]}" = 1 ]
	# its loopback up, as runc's
	[ "${lines[1]}" = 1 ]
	[ "${lines[2]}" = "$RUNTIME_NAME" ]
	[ "${lines[3]}" = 1 ]
	[ "${lines[4]}" = devnull ]
	[ "${lines[5]}" = 4 ]
	# /sys is the host's, bound read-only (the config's rbind: no sysfs
	# can be mounted without owning the network namespace's user namespace).
	[ "${lines[6]}" = ro ]
	assert_nothing_left
}

@test "root in the user's own user namespace (as rootless podman calls it) runs, execs into and deletes containers" {
	# A process holds the user's namespace, as podman's pause process does;
	# every call joins it (the user's own ids are 0 there).
	as_user unshare -r sh -c "echo \$\$ >'$TEST_DIR/holder'; exec sleep 1000" </dev/null >/dev/null 2>&1 3>&- &
	wait_for_file "$TEST_DIR/holder"
	local h
	h=$(cat "$TEST_DIR/holder")
	EXTRA_CLEANUP+=("kill -9 $h")
	in_ns() { run as_user nsenter -U -t "$h" --preserve-credentials "$@"; }
	# Inside, the user's id is 0: the config maps that 0.
	rm -f "$BUNDLE/config.json"
	(cd "$BUNDLE" && as_user nsenter -U -t "$h" --preserve-credentials "$FILE_DIR/rt" spec --rootless)
	update_config '.process.terminal = false | .root.readonly = false | .process.env += ["'"$TAG_VAR=$TAG"'"]
		| .process.args = ["sleep", "1000"]'
	chown -R "$RL_USER:" "$BUNDLE"
	run as_user nsenter -U -t "$h" --preserve-credentials sh -c "'$FILE_DIR/rt' run -d --bundle '$BUNDLE' '$CID' </dev/null >'$TEST_DIR/out' 2>&1; echo \$?"
	[ "$output" = 0 ] || fail "run -d in the user's namespace: $output $(cat "$TEST_DIR/out")"
	in_ns "$FILE_DIR/rt" exec "$CID" cat /proc/self/uid_map
	assert_success
	# 0 of the container is 0 of the user's namespace, which is the user.
	line_matches 0 "^ +0 +0 +1$"
	in_ns "$FILE_DIR/rt" list -q
	[ "$output" = "$CID" ]
	if [ "$RUNTIME_NAME" != runc ]; then # its ps needs a cgroup (above)
		in_ns "$FILE_DIR/rt" ps "$CID"
		assert_success
		assert_contains "sleep 1000"
	fi
	in_ns "$FILE_DIR/rt" kill "$CID" KILL
	assert_success
	in_ns "$FILE_DIR/rt" delete -f "$CID"
	assert_success
	# Only the container's processes went: the namespace holder is alive.
	kill -0 "$h" || fail "the user namespace holder $h was killed"
	kill -9 "$h"
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$h" 2>/dev/null || break
		sleep 0.05
	done
	assert_nothing_left
}

@test "root of the user's own namespace runs a config without a user namespace (rootless podman's configs)" {
	# The runtime itself is in a user namespace: no device nodes can be
	# made (they are bound from the host) and the host's network namespace,
	# which the container shares, cannot be joined again.
	update_config '.linux.namespaces -= [{type: "user"}] | del(.linux.uidMappings, .linux.gidMappings)
		| .process.args = ["sh", "-c", "cat /proc/self/uid_map; echo x >/dev/null && head -c 3 /dev/zero | wc -c; ls -l /dev/null"]'
	run as_user unshare -r "$FILE_DIR/rt" run --bundle "$BUNDLE" "$CID"
	assert_success
	line_matches 0 "^ +0 +$RL_UID +1$"
	[ "${lines[1]}" = 3 ]
	# bound from the host: the host's /dev/null, whose owner (root) is
	# unmapped here
	line_matches 2 "^crw-rw-rw- +1 nobody +(nobody|nogroup) +1, +3 "
	assert_nothing_left
}

@test "rootless: a config without a user namespace is refused clearly; no pid namespace and no cgroup warns" {
	update_config '.linux.namespaces -= [{type: "user"}] | del(.linux.uidMappings, .linux.gidMappings)'
	set_args true
	rl run --bundle "$BUNDLE" "$CID"
	assert_failure
	# runc: "rootless container requires user namespaces"
	assert_match "rootless container (needs a|requires) user namespace"
	assert_nothing_left
	rm -f "$BUNDLE/config.json"
	(cd "$BUNDLE" && as_user "$FILE_DIR/rt" spec --rootless)
	# no pid namespace: no new procfs either, the host's is bound
	update_config '.process.terminal = false | .linux.namespaces -= [{type: "pid"}] | .process.args = ["true"]
		| .process.env += ["'"$TAG_VAR=$TAG"'"]
		| .mounts |= map(if .destination == "/proc" then {destination: "/proc", type: "none", source: "/proc", options: ["rbind", "nosuid", "noexec", "nodev"]} else . end)'
	rl run --bundle "$BUNDLE" "$CID"
	assert_success
	# runc: "Creating a rootless container with no cgroup and no private pid namespace..."
	assert_match "level=warning.*(no cgroup of its own and no pid namespace|no cgroup and no private pid namespace)"
	assert_nothing_left
}
