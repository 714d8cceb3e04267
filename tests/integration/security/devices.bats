#!/usr/bin/env bats
# CVE-2025-31133 / CVE-2025-52565 class: an image that brings its own /dev
# with /dev/null as a symlink or another device, or /dev/console as a
# symlink, must not turn masking or the console bind into a mount of
# something else. The defences: rootfs.devNull (the mask source must be
# the real 1:3 character device, opened without following symlinks) and
# rootfs.BindConsole (created and opened with RESOLVE_NO_SYMLINKS; the pty
# is cloned from the fd hako opened, never looked up by path), in
# libcontainer/rootfs/finish_linux.go.

load ../helpers

setup_file() {
	common_setup_file
	(cd "$REPO_ROOT" && go build -o "$FILE_DIR/recvtty" ./tests/cmd/recvtty)
}

setup() {
	common_setup
	# The image's /dev is used as it is: no tmpfs over it.
	update_config '.mounts |= map(select(.destination != "/dev"))'
	echo secret >"$BUNDLE/rootfs/etc/secret"
	update_config '.linux.maskedPaths += ["/etc/secret"]'
	# A global (not namespaced) sysctl that a redirected mask would expose
	# writable; it is put back whatever happens.
	SYSCTL=/proc/sys/kernel/printk_ratelimit_burst
	SYSCTL_HOST=$(cat "$SYSCTL")
	EXTRA_CLEANUP+=("echo $SYSCTL_HOST > $SYSCTL")
}

@test "CVE-2025-31133: /dev/null as a symlink to a host sysctl is not used as the mask" {
	rm -f "$BUNDLE/rootfs/dev/null"
	ln -s "$SYSCTL" "$BUNDLE/rootfs/dev/null"
	# With the symlink followed, /proc/timer_list (masked by default) would
	# be the global sysctl, writable.
	set_cmd "echo 1 > /proc/timer_list; echo 1 > /etc/secret; stat -c '%t:%T' /etc/secret"
	run_ctr
	if [ "$status" -eq 0 ]; then
		assert_output "1:3"
	else
		assert_contains "/dev/null"
	fi
	[ "$(cat "$SYSCTL")" = "$SYSCTL_HOST" ] || fail "host $SYSCTL changed to $(cat "$SYSCTL")"
	[ -L "$BUNDLE/rootfs/dev/null" ] || fail "the image's /dev/null was replaced"
}

@test "CVE-2025-31133: /dev/null that is another device is not used as the mask" {
	rm -f "$BUNDLE/rootfs/dev/null"
	mknod -m 666 "$BUNDLE/rootfs/dev/null" c 1 5 # /dev/zero: reads never end
	set_cmd 'head -c 8 /etc/secret | wc -c'
	run_ctr
	if [ "$status" -eq 0 ]; then
		assert_output "0"
	else
		assert_contains "/dev/null"
	fi
	[ "$(cat "$BUNDLE/rootfs/etc/secret")" = secret ]
}

@test "CVE-2025-31133: /dev/null that is a regular file is not used as the mask" {
	rm -f "$BUNDLE/rootfs/dev/null"
	echo exposed >"$BUNDLE/rootfs/dev/null"
	set_cmd 'cat /etc/secret'
	run_ctr
	if [ "$status" -eq 0 ]; then
		assert_output ""
	else
		assert_contains "/dev/null"
	fi
}

@test "CVE-2025-52565: /dev/console as a symlink does not redirect the console bind" {
	rm -f "$BUNDLE/rootfs/dev/console"
	echo untouched >"$BUNDLE/rootfs/etc/console-target"
	ln -s /etc/console-target "$BUNDLE/rootfs/dev/console"
	update_config '.process.terminal = true'
	# Only stat: a pty bound over the target would block a read.
	set_args stat -c %F /etc/console-target
	local sock="$TEST_DIR/tty.sock"
	"$FILE_DIR/recvtty" -no-stdin "$sock" </dev/null >"$TEST_DIR/tty.out" 2>&1 3>&- &
	EXTRA_CLEANUP+=("kill $!")
	wait_for_file "$sock"
	create_ctr "$CID" --console-socket "$sock"
	if [ "$status" -eq 0 ]; then
		runtime start "$CID"
		assert_success
		wait_for_status "$CID" stopped
		run tr -d '\r' <"$TEST_DIR/tty.out"
		assert_contains "regular file"
	else
		assert_contains "/dev/console"
	fi
	[ "$(cat "$BUNDLE/rootfs/etc/console-target")" = untouched ]
	[ -L "$BUNDLE/rootfs/dev/console" ] || fail "the image's /dev/console symlink was replaced"
}
