#!/usr/bin/env bats
# User namespaces joined by path and idmapped mounts, as containerd >= 2
# sends them for Kubernetes pods with hostUsers: false: the engine makes the
# user namespace, the spec joins it by path and repeats its mappings, and
# volumes carry uidMappings/gidMappings without an idmap option.

load helpers

# userns_holder: start a process in a new user namespace mapped
# 0 -> 100000 (65536 ids) for uids and gids, as an engine keeps one; its pid
# is $HOLDER. Killed by the teardown.
userns_holder() {
	requires unshare
	unshare -U sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	HOLDER=$!
	EXTRA_CLEANUP+=("kill -9 $HOLDER")
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(readlink /proc/$HOLDER/ns/user)" != "$(host_ns user)" ] && break
		sleep 0.01
	done
	echo "0 100000 65536" >/proc/$HOLDER/uid_map
	echo "0 100000 65536" >/proc/$HOLDER/gid_map
}

# join_holder_userns: the spec joins $HOLDER's user namespace by path and
# repeats its mappings (what containerd and CRI-O write).
join_holder_userns() {
	update_config '.linux.namespaces += [{type: "user", path: "/proc/'"$HOLDER"'/ns/user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
}

# drop_warnings: runc warns about the repeated mappings ("you may only
# provide one"); keep the container's own output in $output and $lines.
drop_warnings() {
	output=$(grep -v 'level=warning' <<<"$output")
	mapfile -t lines <<<"$output"
}

@test "uidMappings on a bind mount without idmap option: an idmapped bind of the top mount only" {
	# A source with a submount: runc's implied idmap is not recursive.
	mkdir -p "$TEST_DIR/vol" "$BUNDLE/rootfs/vol"
	echo data >"$TEST_DIR/vol/f"
	mkdir "$TEST_DIR/vol/sub"
	mount -t tmpfs tmpfs "$TEST_DIR/vol/sub"
	echo sub >"$TEST_DIR/vol/sub/g"
	update_config '.mounts += [{destination: "/vol", type: "bind", source: "'"$TEST_DIR/vol"'", options: ["rbind"],
		uidMappings: [{containerID: 0, hostID: 1234, size: 1}], gidMappings: [{containerID: 0, hostID: 4321, size: 1}]}]'
	set_cmd 'stat -c "%u:%g" /vol/f /vol/sub/g'
	run_ctr
	assert_success
	[ "${lines[0]}" = "1234:4321" ] || fail "top of the mount not idmapped: $output"
	[ "${lines[1]}" = "0:0" ] || fail "submount idmapped too: $output"
	# "ridmap" maps the whole tree.
	update_config '.mounts[-1].options = ["rbind", "ridmap"]'
	run_ctr
	assert_success
	[ "${lines[1]}" = "1234:4321" ] || fail "ridmap: submount not idmapped: $output"
	assert_nothing_left
}

@test "joined user namespace with its mappings repeated (containerd 2.x hostUsers: false)" {
	userns_holder
	join_holder_userns
	# The sandbox's /dev/shm sits under the engine's 0700 state directory:
	# only the host root may traverse it, not the container's mapped root.
	mkdir -p "$TEST_DIR/state700/sandbox/shm"
	chmod 0700 "$TEST_DIR/state700"
	echo from-the-sandbox >"$TEST_DIR/state700/sandbox/shm/f"
	update_config '.mounts |= map(select(.destination != "/dev/shm"))
		| .mounts += [{destination: "/dev/shm", type: "bind", source: "'"$TEST_DIR/state700/sandbox/shm"'", options: ["rbind", "ro", "nosuid", "nodev", "noexec"]}]'
	set_cmd 'cat /dev/shm/f; readlink /proc/self/ns/user; cat /proc/self/uid_map; echo x >/dev/null && echo null-ok; stat -c %t:%T /dev/null'
	run_ctr
	assert_success
	drop_warnings
	[ "${lines[0]}" = from-the-sandbox ]
	[ "${lines[1]}" = "$(readlink /proc/$HOLDER/ns/user)" ]
	[ "$(echo ${lines[2]})" = "0 100000 65536" ]
	[ "${lines[3]}" = null-ok ]
	[ "${lines[4]}" = "1:3" ]
	assert_nothing_left
}

@test "joined user namespace: linux.devices are bind-mounted from the host, not made with mknod" {
	userns_holder
	join_holder_userns
	# The host's node of the same path is what gets bound.
	[ -c /dev/kmsg ] || skip "no /dev/kmsg on the host"
	update_config '.linux.devices = [{path: "/dev/kmsg", type: "c", major: 1, minor: 11, fileMode: 420, uid: 0, gid: 0}]'
	set_cmd 'stat -c %t:%T /dev/kmsg; grep -c " /dev/kmsg " /proc/self/mountinfo'
	run_ctr
	assert_success
	drop_warnings
	[ "${lines[0]}" = "1:b" ]
	[ "${lines[1]}" = 1 ] || fail "device not a bind mount: $output"
	assert_nothing_left
}

@test "joined user namespace: mappings that differ from the namespace's are refused" {
	userns_holder
	join_holder_userns
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 300000, size: 65536}]'
	set_args true
	run_ctr
	assert_failure
	assert_contains "mapping"
	assert_nothing_left
}

@test "joined user namespace: idmap without mappings maps through the joined namespace" {
	userns_holder
	join_holder_userns
	mkdir -p "$TEST_DIR/vol" "$BUNDLE/rootfs/vol"
	echo data >"$TEST_DIR/vol/f"
	update_config '.mounts += [{destination: "/vol", type: "bind", source: "'"$TEST_DIR/vol"'", options: ["bind", "idmap"]}]'
	set_cmd 'stat -c "%u:%g" /vol/f; touch /vol/new && echo wrote'
	run_ctr
	assert_success
	drop_warnings
	[ "${lines[0]}" = "0:0" ] || fail "owner inside: ${lines[0]}"
	assert_contains wrote
	[ "$(stat -c %u:%g "$TEST_DIR/vol/new")" = "0:0" ]
	assert_nothing_left
}
