#!/usr/bin/env bats
# CVE-2025-52881 class: linux.sysctl writes redirected to another file by a
# mount over /proc/sys or one of its files, or by a rootfs whose /proc is a
# symlink. The defence: rootfs.WriteSysctls (libcontainer/rootfs/
# finish_linux.go) opens /proc/sys without following symlinks, checks it is
# procfs, and opens each key beneath it with RESOLVE_NO_XDEV (no mount
# crossed) and RESOLVE_NO_SYMLINKS; mount targets are resolved in the rootfs,
# and a mount inside /proc (but the lxcfs files) or a non-procfs on /proc is
# refused before anything is written (apply_linux.go: checkProc, runc's rule).

load ../helpers

setup() {
	common_setup
	# A global sysctl a redirected write would reach; put back whatever
	# happens.
	SYSCTL=/proc/sys/kernel/printk_ratelimit_burst
	SYSCTL_HOST=$(cat "$SYSCTL")
	EXTRA_CLEANUP+=("echo $SYSCTL_HOST > $SYSCTL")
	# ip_forward of the container's own network namespace: 1 is valid for
	# it and differs from the global sysctl's value.
	[ "$SYSCTL_HOST" != 1 ] || skip "host $SYSCTL is already 1"
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	set_args cat /proc/sys/net/ipv4/ip_forward
}

# check_outcome TEXT: the container either saw its own sysctl set or create
# failed with an error containing TEXT; the host's sysctl is untouched.
check_outcome() {
	if [ "$status" -eq 0 ]; then
		assert_output 1
	else
		assert_contains "$1"
	fi
	[ "$(cat "$SYSCTL")" = "$SYSCTL_HOST" ] || fail "host $SYSCTL changed to $(cat "$SYSCTL")"
}

@test "CVE-2025-52881: a host sysctl bind-mounted over the key is not written" {
	update_config '.mounts += [{"destination": "/proc/sys/net/ipv4/ip_forward", "type": "bind",
		"source": "'"$SYSCTL"'", "options": ["bind"]}]'
	run_ctr
	check_outcome "/proc/sys/net/ipv4/ip_forward"
}

@test "CVE-2025-52881: a fake tree mounted over /proc/sys is not written" {
	local fake="$TEST_DIR/fakesys"
	mkdir -p "$fake/net/ipv4"
	echo 0 >"$fake/net/ipv4/ip_forward"
	update_config '.mounts += [{"destination": "/proc/sys", "type": "bind", "source": "'"$fake"'", "options": ["rbind"]}]'
	run_ctr
	check_outcome "/proc/sys"
	[ "$(cat "$fake/net/ipv4/ip_forward")" = 0 ] || fail "the sysctl was written into the host directory mounted over /proc/sys"
}

@test "CVE-2025-52881: a tmpfs over /proc/sys is refused" {
	update_config '.mounts += [{"destination": "/proc/sys", "type": "tmpfs", "source": "tmpfs"}]'
	run_ctr
	assert_failure
	assert_contains "/proc/sys"
	[ "$(cat "$SYSCTL")" = "$SYSCTL_HOST" ]
}

@test "CVE-2025-52881: a rootfs whose /proc is a symlink to a host path" {
	local hostdir="$TEST_DIR/hostproc"
	rm -rf "$BUNDLE/rootfs/proc"
	ln -s "$hostdir" "$BUNDLE/rootfs/proc"
	run_ctr
	check_outcome "/proc"
	# Resolved in the rootfs, the symlink never names the host directory.
	[ ! -e "$hostdir" ] || fail "the /proc mount went to the host path $hostdir"
}
