#!/usr/bin/env bats
# Namespaces: new ones of every type, and joining existing ones by path.

load helpers

# ns_inside TYPE...: the namespace links as the container sees them.
ns_cmd() {
	local c="" t
	for t in "$@"; do c="$c readlink /proc/self/ns/$t;"; done
	set_cmd "$c"
}

add_ns() { update_config ".linux.namespaces += [{\"type\": \"$1\"}]"; }
del_ns() { update_config ".linux.namespaces |= map(select(.type != \"$1\"))"; }

@test "pid namespace: the process is pid 1 and sees only its own processes" {
	set_cmd 'echo "pid=$$"; ls -d /proc/[0-9]* | wc -l; ps -o pid,comm'
	run_ctr
	assert_success
	[ "${lines[0]}" = "pid=1" ]
	# sh, ls and wc of the pipeline
	[ "${lines[1]}" -le 3 ]
	assert_not_contains bats
}

@test "without a pid namespace the process sees the host's processes" {
	del_ns pid
	set_cmd 'echo "pid=$$"; readlink /proc/self/ns/pid'
	run_ctr
	assert_success
	[ "${lines[0]}" != "pid=1" ]
	[ "${lines[1]}" = "$(host_ns pid)" ]
}

@test "uts namespace: hostname" {
	update_config '.hostname = "hb-host"'
	set_cmd 'hostname; readlink /proc/self/ns/uts'
	run_ctr
	assert_success
	[ "${lines[0]}" = hb-host ]
	[ "${lines[1]}" != "$(host_ns uts)" ]
	[ "$(hostname)" != hb-host ]
}

@test "uts namespace: a kernel.domainname sysctl wins over .domainname, kernel.hostname is refused (runc 1.5.3)" {
	update_config '.domainname = "field.example" | .linux.sysctl = {"kernel.domainname": "sysctl.example"}'
	set_cmd 'cat /proc/sys/kernel/domainname'
	run_ctr
	assert_success
	assert_output "sysctl.example"
	update_config '.hostname = "hb-host" | .linux.sysctl = {"kernel.hostname": "other"}'
	run_ctr
	assert_failure
	assert_contains "kernel.hostname"
	[ ! -e "$ROOT/$CID" ]
}

@test "uts namespace: domainname" {
	skip_if_runtime runc "runc 1.1 ignores .domainname (supported from runc 1.2)"
	update_config '.hostname = "hb-host" | .domainname = "hb.example"'
	set_cmd 'cat /proc/sys/kernel/domainname'
	run_ctr
	assert_success
	assert_output hb.example
	[ "$(cat /proc/sys/kernel/domainname)" != hb.example ]
}

@test "ipc, mount, net, uts and pid namespaces are new" {
	ns_cmd ipc mnt net uts pid
	run_ctr
	assert_success
	local i=0 t
	for t in ipc mnt net uts pid; do
		[[ "${lines[$i]}" == "$t:["* ]] || fail "no $t ns link: ${lines[$i]}"
		[ "${lines[$i]}" != "$(host_ns $t)" ] || fail "$t namespace is the host's"
		i=$((i + 1))
	done
}

@test "no ipc namespace entry: the host's ipc namespace is shared" {
	del_ns ipc
	update_config '.mounts |= map(select(.destination != "/dev/mqueue"))'
	ns_cmd ipc
	run_ctr
	assert_success
	assert_output "$(host_ns ipc)"
}

@test "net namespace: only lo" {
	set_cmd 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "'
	run_ctr
	assert_success
	assert_output lo
}

@test "no net namespace entry: the host's interfaces are visible" {
	del_ns network
	set_cmd 'readlink /proc/self/ns/net; tail -n +3 /proc/net/dev | wc -l'
	run_ctr
	assert_success
	[ "${lines[0]}" = "$(host_ns net)" ]
	[ "${lines[1]}" -eq "$(tail -n +3 /proc/net/dev | wc -l)" ]
}

@test "mount namespace: container mounts do not reach the host" {
	set_cmd 'grep -c . /proc/self/mountinfo; grep " /dev " /proc/self/mountinfo'
	run_ctr
	assert_success
	[ "${lines[0]}" -gt 3 ]
	! grep -q "$BUNDLE/rootfs" /proc/self/mountinfo
}

@test "cgroup namespace: the container's cgroups are its root" {
	add_ns cgroup
	set_cmd 'cat /proc/self/cgroup; readlink /proc/self/ns/cgroup'
	run_ctr
	assert_success
	[ "${lines[-1]}" != "$(host_ns cgroup)" ]
	# every hierarchy path is "/"
	! grep -v ':/$' <<<"$(sed '$d' <<<"$output")" || fail "not all paths are /: $output"
}

@test "without a cgroup namespace the container sees its host cgroup path" {
	del_ns cgroup
	set_cmd 'readlink /proc/self/ns/cgroup; cat /proc/self/cgroup'
	run_ctr
	assert_success
	[ "${lines[0]}" = "$(host_ns cgroup)" ]
	grep -v ':/$' <<<"$output" | grep -q .
}

@test "user namespace with uid and gid mappings" {
	add_ns user
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
	set_cmd 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; readlink /proc/self/ns/user; echo ready; sleep 100'
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_output_contains "$CID" ready
	run ctr_output
	[ "$(echo ${lines[0]})" = "0 100000 65536" ]
	[ "$(echo ${lines[1]})" = "0 200000 65536" ]
	[ "${lines[2]}" = 0 ]
	[ "${lines[3]}" = 0 ]
	[ "${lines[4]}" != "$(host_ns user)" ]
	# seen from the host, the process runs as the mapped ids
	pid=$(container_pid "$CID")
	[ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = 100000 ]
	[ "$(awk '/^Gid:/ {print $2}' /proc/$pid/status)" = 200000 ]
}

@test "user namespace: files of unmapped host ids show as the overflow id" {
	add_ns user
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	set_cmd 'stat -c "%u:%g" /bin/busybox; touch /bin/x 2>&1 || echo denied'
	run_ctr
	assert_success
	[ "${lines[0]}" = "65534:65534" ]
	assert_contains denied
}

@test "time namespace with timeOffsets shifts the boot and monotonic clocks" {
	skip_if_runtime runc "runc 1.1 has no time namespace support (added in runc 1.2)"
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	add_ns time
	update_config '.linux.timeOffsets = {"boottime": {"secs": 8640000, "nanosecs": 0}, "monotonic": {"secs": 864000, "nanosecs": 0}}'
	set_cmd 'cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time'
	host_up=$(cut -d. -f1 /proc/uptime)
	run_ctr
	assert_success
	local inside=${lines[0]}
	[ "$inside" -ge $((host_up + 8640000 - 5)) ] && [ "$inside" -le $((host_up + 8640000 + 60)) ] ||
		fail "uptime inside $inside, host $host_up"
	[ "${lines[1]}" != "$(host_ns time)" ]
}

@test "joining an existing network namespace by path" {
	requires unshare nsenter
	# a network namespace kept alive by a bind mount on a file of this test
	local nsfile="$TEST_DIR/netns"
	touch "$nsfile"
	unshare --net="$nsfile" true
	want=$(nsenter --net="$nsfile" readlink /proc/self/ns/net)
	update_config ".linux.namespaces |= map(if .type == \"network\" then .path = \"$nsfile\" else . end)"
	ns_cmd net
	run_ctr
	assert_success
	assert_output "$want"
	[ "$want" != "$(host_ns net)" ]
}

@test "joining the uts namespace of another container by path" {
	update_config '.hostname = "hb-first"'
	set_args sleep 100
	create_ctr
	assert_success
	pid=$(container_pid "$CID")

	local second="${CID}j"
	EXTRA_IDS+=("$second")
	update_config "del(.hostname) | .linux.namespaces |= map(if .type == \"uts\" then .path = \"/proc/$pid/ns/uts\" else . end)"
	set_cmd 'hostname; readlink /proc/self/ns/uts'
	runtime run --bundle "$BUNDLE" "$second"
	assert_success
	[ "${lines[0]}" = hb-first ]
	[ "${lines[1]}" = "$(readlink /proc/$pid/ns/uts)" ]
}

@test "joining a namespace path that does not exist fails" {
	update_config '.linux.namespaces |= map(if .type == "network" then .path = "/run/netns/hb-does-not-exist" else . end)'
	set_args true
	run_ctr
	assert_failure
	assert_nothing_left
}

@test "user namespace: bind sources under a 0700 host directory are mounted (opened by the host)" {
	skip_if_runtime runc "runc 1.1 opens bind sources as the container's root"
	add_ns user
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	# A volume store as engines keep one: only the host root may traverse it.
	mkdir -p "$TEST_DIR/store/vol"
	echo from-the-volume >"$TEST_DIR/store/vol/f"
	chmod 0700 "$TEST_DIR/store"
	chmod 0755 "$TEST_DIR/store/vol"
	# A relative source is relative to the bundle.
	mkdir -p "$BUNDLE/rel"
	echo from-the-bundle >"$BUNDLE/rel/g"
	# The rootfs belongs to the host root: the mapped root cannot create
	# mount points in it.
	mkdir "$BUNDLE/rootfs/vol" "$BUNDLE/rootfs/rel"
	update_config '.mounts += [{destination: "/vol", type: "bind", source: "'"$TEST_DIR/store/vol"'", options: ["rbind", "ro"]},
		{destination: "/rel", type: "bind", source: "rel", options: ["bind"]}]'
	set_cmd 'cat /vol/f /rel/g; touch /vol/x 2>&1 || echo read-only'
	run_ctr
	assert_success
	assert_contains from-the-volume
	assert_contains from-the-bundle
	assert_contains read-only
	assert_nothing_left
}

@test "idmap mount with the container's user namespace: host root's files are the container root's" {
	skip_if_runtime runc "runc 1.1 has no idmapped mounts"
	add_ns user
	update_config '.linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	mkdir -p "$TEST_DIR/vol" "$BUNDLE/rootfs/vol"
	echo data >"$TEST_DIR/vol/f"
	update_config '.mounts += [{destination: "/vol", type: "bind", source: "'"$TEST_DIR/vol"'", options: ["bind", "idmap"]}]'
	set_cmd 'stat -c "%u:%g" /vol/f; touch /vol/new && echo wrote'
	run_ctr
	assert_success
	[ "${lines[0]}" = "0:0" ] || fail "owner inside: ${lines[0]} (want 0:0 through the idmap, 65534 without)"
	assert_contains wrote
	# Written by the container's root through the idmap: host root on disk.
	[ "$(stat -c %u:%g "$TEST_DIR/vol/new")" = "0:0" ] || fail "on disk: $(stat -c %u:%g "$TEST_DIR/vol/new")"
	assert_nothing_left
}

@test "idmap mount with its own mappings, in a container without a user namespace" {
	skip_if_runtime runc "runc 1.1 has no idmapped mounts"
	mkdir -p "$TEST_DIR/vol"
	echo data >"$TEST_DIR/vol/f"
	update_config '.mounts += [{destination: "/vol", type: "bind", source: "'"$TEST_DIR/vol"'", options: ["rbind", "ridmap"],
		uidMappings: [{containerID: 0, hostID: 1234, size: 1}], gidMappings: [{containerID: 0, hostID: 4321, size: 1}]}]'
	set_cmd 'stat -c "%u:%g" /vol/f'
	run_ctr
	assert_success
	assert_output "1234:4321"
	assert_nothing_left
	# idmap with no mappings and no user namespace is refused before
	# anything runs (mappings without the option: see userns.bats).
	update_config '.mounts[-1].options = ["bind", "idmap"] | del(.mounts[-1].uidMappings) | del(.mounts[-1].gidMappings)'
	run_ctr
	assert_failure
	assert_contains "user namespace"
	assert_nothing_left
}

@test "netDevices: a host device is moved in, renamed, keeps its permanent global address, is up" {
	skip_if_runtime runc "runc 1.1 has no netDevices"
	local dev="hk${BATS_TEST_NUMBER}${FILE_DIR: -3}"
	dev=${dev:0:12}
	ip link add "${dev}a" type veth peer name "${dev}b" 2>/dev/null || skip "cannot create a veth pair"
	EXTRA_CLEANUP+=("ip link del ${dev}a")
	ip addr add 198.51.100.7/24 dev "${dev}a"
	update_config '.linux.netDevices = {"'"${dev}a"'": {name: "ctr0"}}'
	set_cmd 'ip -o addr show dev ctr0; cat /sys/class/net/ctr0/operstate /sys/class/net/ctr0/flags'
	run_ctr
	assert_success
	assert_contains "198.51.100.7/24"
	# IFF_UP is bit 0 of flags (a veth whose peer is down is not "up" in operstate).
	local flags
	flags=$(echo "$output" | tail -1)
	(( flags & 1 )) || fail "device not up: $output"
	# The pair went away with the container's network namespace (the
	# kernel tears it down asynchronously): its host end goes too.
	local i
	for ((i = 0; i < 100; i++)); do
		ip link show "${dev}b" >/dev/null 2>&1 || break
		sleep 0.05
	done
	! ip link show "${dev}b" >/dev/null 2>&1 || fail "the veth's host end is still there"
	# A name that already exists inside is an error; a device that does not exist too.
	ip link add "${dev}c" type veth peer name "${dev}d"
	EXTRA_CLEANUP+=("ip link del ${dev}c")
	update_config '.linux.netDevices = {"'"${dev}c"'": {name: "lo"}}'
	run_ctr
	assert_failure
	assert_contains "already exists in the container"
	update_config '.linux.netDevices = {"nosuchdev0": {}}'
	run_ctr
	assert_failure
	assert_contains "linux.netDevices[nosuchdev0]"
	assert_nothing_left
}

@test "a new network namespace has its loopback up, as runc's" {
	set_cmd 'ip -o link show lo; ip -o addr show lo'
	run_ctr
	assert_success
	assert_match "^1: lo: <LOOPBACK,UP,LOWER_UP>"
	assert_match "inet 127.0.0.1/8"
}
