#!/usr/bin/env bats
# Namespaces joined by path, shared, or absent, as runc handles them: the
# rootfs work in a joined mount namespace, the order of the joins, time
# namespace offsets, signals with a shared pid namespace, no mount
# namespace at all.

load helpers

add_ns() { update_config ".linux.namespaces += [{\"type\": \"$1\"}]"; }
del_ns() { update_config ".linux.namespaces |= map(select(.type != \"$1\"))"; }
# set_ns_path TYPE PATH: join namespace TYPE at PATH (added when missing).
set_ns_path() {
	update_config ".linux.namespaces |= (map(select(.type != \"$1\")) + [{type: \"$1\", path: \"$2\"}])"
}

# holder ARGS...: start `unshare ARGS... sleep 1000` as a namespace holder,
# pid in $HOLDER once its namespaces exist; killed by the teardown. With -U
# its user namespace is mapped 0 -> 100000 (65536 ids).
holder() {
	requires unshare
	unshare "$@" sleep 1000 </dev/null >/dev/null 2>&1 3>&- &
	HOLDER=$!
	EXTRA_CLEANUP+=("kill -9 $HOLDER")
	local i
	for ((i = 0; i < 200; i++)); do
		[ "$(readlink /proc/$HOLDER/exe)" = "$(readlink -f "$(command -v sleep)")" ] && break
		sleep 0.01
	done
	if [[ " $* " == *" -U "* ]]; then
		echo "0 100000 65536" >/proc/$HOLDER/uid_map
		echo "0 100000 65536" >/proc/$HOLDER/gid_map
	fi
}

drop_warnings() {
	output=$(grep -v 'level=warning' <<<"$output")
	mapfile -t lines <<<"$output"
}

@test "joining an existing mount namespace: the rootfs is still prepared and pivoted into" {
	holder -m
	set_ns_path mount "/proc/$HOLDER/ns/mnt"
	echo in-the-rootfs >"$BUNDLE/rootfs/etc/hbmark"
	set_cmd 'cat /etc/hbmark; readlink /proc/self/ns/mnt; test -c /dev/null && echo dev-ok; ls /proc/self/fd >/dev/null && echo proc-ok'
	run_ctr
	assert_success
	[ "${lines[0]}" = in-the-rootfs ]
	[ "${lines[1]}" = "$(readlink /proc/$HOLDER/ns/mnt)" ]
	[ "${lines[2]}" = dev-ok ]
	[ "${lines[3]}" = proc-ok ]
	assert_nothing_left
}

@test "joining a user namespace and a network namespace owned by the host's user namespace (runc's join order)" {
	holder -U
	local nsfile="$TEST_DIR/netns"
	touch "$nsfile"
	unshare --net="$nsfile" true
	EXTRA_CLEANUP+=("umount $nsfile")
	update_config '.linux.namespaces += [{type: "user", path: "/proc/'"$HOLDER"'/ns/user"}]
		| .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]'
	set_ns_path network "$nsfile"
	# sysfs of a network namespace the container's user namespace does not
	# own cannot be mounted (runc fails too).
	update_config '.mounts |= map(select(.destination | startswith("/sys") | not))'
	set_cmd 'readlink /proc/self/ns/net; readlink /proc/self/ns/user'
	run_ctr
	assert_success
	drop_warnings
	[ "${lines[0]}" = "$(nsenter --net="$nsfile" readlink /proc/self/ns/net)" ]
	[ "${lines[1]}" = "$(readlink /proc/$HOLDER/ns/user)" ]
	assert_nothing_left
}

@test "joining user, uts, ipc and net namespaces of another user namespace, hostname set" {
	holder -U -u -i -n
	local t
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .hostname = "hb-joined"'
	for t in user:user uts:uts ipc:ipc network:net; do
		set_ns_path "${t%%:*}" "/proc/$HOLDER/ns/${t#*:}"
	done
	set_cmd 'hostname; for n in user uts ipc net; do readlink /proc/self/ns/$n; done'
	run_ctr
	assert_success
	drop_warnings
	[ "${lines[0]}" = hb-joined ]
	local i=1 n
	for n in user uts ipc net; do
		[ "${lines[$i]}" = "$(readlink /proc/$HOLDER/ns/$n)" ] || fail "$n: ${lines[$i]}"
		i=$((i + 1))
	done
	# The hostname went into the joined namespace.
	[ "$(nsenter -t "$HOLDER" -u hostname)" = hb-joined ]
	[ "$(hostname)" != hb-joined ]
}

@test "new user and time namespaces: offsets written from the host, kept on exec" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	add_ns user
	add_ns time
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
		| .linux.timeOffsets = {"boottime": {"secs": 8640000, "nanosecs": 0}}'
	set_cmd 'cut -d. -f1 /proc/uptime; echo uptime-read; sleep 1000'
	run_detached
	assert_success
	# (It waited for the host's uptime/1000 as a substring of the shifted
	# uptime, which fails for most host uptimes.)
	wait_output_contains "$CID" uptime-read
	local host_up inside
	host_up=$(cut -d. -f1 /proc/uptime)
	inside=$(head -1 "$TEST_DIR/$CID.out")
	[ "$inside" -ge $((host_up + 8640000 - 60)) ] && [ "$inside" -le $((host_up + 8640000 + 60)) ] ||
		fail "uptime inside $inside, host $host_up"
	# exec joins the time namespace; its offsets are not written again.
	runtime exec "$CID" sh -c 'cut -d. -f1 /proc/uptime; readlink /proc/self/ns/time'
	assert_success
	[ "${lines[0]}" -ge $((host_up + 8640000 - 60)) ] || fail "exec uptime ${lines[0]}"
	[ "${lines[1]}" = "$(readlink /proc/$(container_pid "$CID")/ns/time)" ]
}

@test "time namespace offsets without a user namespace, and exec into it" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	add_ns time
	update_config '.linux.timeOffsets = {"monotonic": {"secs": 864000, "nanosecs": 0}}'
	set_args sleep 1000
	run_detached
	assert_success
	runtime exec "$CID" sh -c 'cat /proc/self/timens_offsets'
	assert_success
	assert_match "monotonic +864000 +0"
}

@test "kill KILL without a pid namespace reaches every process of the container" {
	del_ns pid
	set_cmd 'sleep 1000 & echo started; exec sleep 1001'
	run_detached
	assert_success
	wait_output_contains "$CID" started
	[ "$(tagged_pids | wc -l)" -ge 2 ]
	runtime kill "$CID" KILL
	assert_success
	assert_no_tagged
	runtime delete "$CID"
	assert_success
	assert_nothing_left
}

@test "kill KILL without a pid namespace, after the init is gone, reaches the processes left" {
	del_ns pid
	set_cmd 'sleep 1000 & echo started'
	run_detached
	assert_success
	wait_for_status "$CID" stopped
	[ -n "$(tagged_pids)" ] || fail "no process left to kill"
	runtime kill "$CID" KILL
	assert_success
	assert_no_tagged
	runtime delete "$CID"
	assert_success
	assert_nothing_left
}

@test "joining the pid namespace of another container; kill KILL and exec" {
	set_args sleep 1000
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	local first=$CID pid
	pid=$(container_pid "$first")
	CID="${first}j"
	EXTRA_IDS+=("$CID")
	set_ns_path pid "/proc/$pid/ns/pid"
	set_cmd 'sleep 1002 & echo "pid=$$"; exec sleep 1001'
	run_detached
	assert_success
	wait_output_contains "$CID" "pid="
	! grep -qx "pid=1" "$TEST_DIR/$CID.out"
	runtime exec "$CID" sh -c 'readlink /proc/self/ns/pid; ps -o comm | grep -c sleep'
	assert_success
	[ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
	[ "${lines[1]}" -ge 3 ] || fail "the first container's process is not visible: $output"
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	# Both of its processes are gone; the first container runs on.
	local i
	for ((i = 0; i < 100; i++)); do
		pgrep -x -f "sleep 1002" >/dev/null || break
		sleep 0.05
	done
	! pgrep -x -f "sleep 1002" >/dev/null || fail "sleep 1002 left"
	[ "$(container_status "$first")" = running ]
}

@test "no mount namespace: the process runs chrooted in the rootfs with its mounts" {
	del_ns mount
	# runc refuses masked and read-only paths without a mount namespace.
	update_config '.linux.maskedPaths = [] | .linux.readonlyPaths = []'
	echo in-the-rootfs >"$BUNDLE/rootfs/etc/hbmark"
	set_cmd 'cat /etc/hbmark; readlink /proc/self/ns/mnt; test -c /dev/null && echo dev-ok; grep -c " / " /proc/self/mountinfo >/dev/null && echo proc-ok'
	run_ctr
	assert_success
	[ "${lines[0]}" = in-the-rootfs ]
	[ "${lines[1]}" = "$(host_ns mnt)" ]
	[ "${lines[2]}" = dev-ok ]
	[ "${lines[3]}" = proc-ok ]
	if [ "$RUNTIME_NAME" != runc ]; then
		# runc 1.5.3 leaves the rootfs bind and every container mount in
		# the host's mount namespace (a runc bug); hako removes them.
		assert_nothing_left
	fi
	update_config '.linux.maskedPaths = ["/proc/kcore"]'
	run_ctr
	assert_failure
}

@test "namespace path that is not a namespace, or of the wrong type, is refused naming the field" {
	touch "$TEST_DIR/plain"
	set_ns_path network "$TEST_DIR/plain"
	set_args true
	run_ctr
	assert_failure
	assert_names_field "linux.namespaces["
	assert_nothing_left
	set_ns_path network /proc/self/ns/uts
	run_ctr
	assert_failure
	assert_names_field "linux.namespaces["
	assert_nothing_left
}

@test "a namespace type given twice is refused" {
	add_ns uts
	set_args true
	run_ctr
	assert_failure
	assert_contains uts
	assert_nothing_left
}

@test "a time namespace joined by path with timeOffsets is refused" {
	[ -e /proc/self/ns/time ] || skip "kernel without time namespaces"
	set_ns_path time /proc/self/ns/time
	update_config '.linux.timeOffsets = {"monotonic": {"secs": 864000, "nanosecs": 0}}'
	set_args true
	run_ctr
	assert_failure
	assert_contains "offsets"
	assert_nothing_left
}
