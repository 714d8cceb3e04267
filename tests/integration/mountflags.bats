#!/usr/bin/env bats
# Bind mount flags, as runc sets them: a bind that names none of the
# per-mount flags keeps the source's; once it names any (ro, nosuid, nodev,
# noexec, an atime option, their negations, ...), the mount gets exactly the
# named ones, and the source's atime unless an atime option is named. In a
# user namespace the flags the kernel locked (MNT_LOCK_*) are kept; asking
# to clear one of them is an error.

load helpers

setup() {
	common_setup
	SRC="$TEST_DIR/src"
	mkdir -p "$SRC"
	mount -t tmpfs -o nosuid,nodev,noexec,noatime hbflags "$SRC"
	echo host-data >"$SRC/file"
}

# bind_at DEST OPTION...: a bind of $SRC at DEST with "bind" and the options.
bind_at() {
	local d=$1 o='"bind"' x
	shift
	for x in "$@"; do o+=", \"$x\""; done
	update_config ".mounts += [{\"destination\": \"$d\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [$o]}]"
}

# Per-mount options of each of /a..., as "dest opts".
SHOW='awk '"'"'$5 ~ /^\/[a-z]$/ { print $5, $6 }'"'"' /proc/self/mountinfo'

add_userns() {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = .linux.uidMappings
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))'
}

@test "bind flags: none named keeps the source's; any named gives exactly those" {
	bind_at /a
	bind_at /b ro
	bind_at /c rw
	bind_at /d nodiratime
	bind_at /e strictatime nosuid
	bind_at /f atime
	bind_at /g sync
	bind_at /h rro
	bind_at /i private
	bind_at /j noexec nosymfollow
	set_cmd "$SHOW"
	run_ctr
	assert_success
	assert_output "/a rw,nosuid,nodev,noexec,noatime
/b ro,noatime
/c rw,noatime
/d rw,nodiratime,relatime
/e rw,nosuid
/f rw,noatime
/g rw,noatime
/h ro,nosuid,nodev,noexec,noatime
/i rw,nosuid,nodev,noexec,noatime
/j rw,noexec,noatime,nosymfollow"
}

@test "bind flags in a user namespace: locked flags are kept, not an error" {
	add_userns
	mkdir -p "$BUNDLE/rootfs/a" "$BUNDLE/rootfs/b" "$BUNDLE/rootfs/c" "$BUNDLE/rootfs/d"
	bind_at /a
	bind_at /b ro
	bind_at /c noatime nosuid
	bind_at /d rw sync
	set_cmd "$SHOW"
	run_ctr
	assert_success
	assert_output "/a rw,nosuid,nodev,noexec,noatime
/b ro,nosuid,nodev,noexec,noatime
/c rw,nosuid,nodev,noexec,noatime
/d rw,nosuid,nodev,noexec,noatime"
}

@test "bind flags in a user namespace: clearing a locked flag is an error" {
	add_userns
	mkdir -p "$BUNDLE/rootfs/a"
	local o
	for o in suid dev exec relatime strictatime; do
		update_config '.mounts |= map(select(.destination != "/a"))'
		bind_at /a "$o"
		set_args true
		run_ctr
		assert_failure
		assert_contains "cannot c"
		assert_contains locked
		assert_contains "/a"
		assert_nothing_left
	done
}
