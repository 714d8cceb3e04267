#!/usr/bin/env bats
# Mount destinations in the layouts real images have: symlinked directories
# (/var/run -> /run), symlinked files (/etc/localtime), dangling symlinks
# (/etc/resolv.conf -> ../run/systemd/resolve/stub-resolv.conf), unclean
# paths, mounts under earlier mounts. Resolved inside the rootfs, as runc
# does, and with runc's refusals (/proc and /sys never through a symlink,
# nothing over the rootfs itself, nothing inside /proc).

load helpers

add_mount() { update_config ".mounts += [$1]"; }

setup() {
	common_setup
	SRC="$TEST_DIR/src"
	mkdir -p "$SRC"
	echo host-data >"$SRC/file"
	R="$BUNDLE/rootfs"
}

# tmpfs JSON for DEST with a size that names it in mountinfo.
tmpfs_at() { echo "{\"destination\": \"$1\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"size=${2:-1m}\"]}"; }
file_bind_at() { echo "{\"destination\": \"$1\", \"type\": \"bind\", \"source\": \"$SRC/file\", \"options\": [\"bind\"]}"; }

@test "a destination under an absolute symlinked directory lands where it points (/var/run -> /run)" {
	mkdir -p "$R/run" "$R/var"
	ln -s /run "$R/var/run"
	add_mount "$(tmpfs_at /var/run/app)"
	set_cmd 'awk '"'"'$5 ~ /app/ { print $5 }'"'"' /proc/self/mountinfo; [ -L /var/run ] && echo still-link'
	run_ctr
	assert_success
	assert_output "/run/app
still-link"
	[ -d "$R/run/app" ]
}

@test "a destination that is a relative symlink to a directory mounts on the directory (/tmp -> private/tmp)" {
	rm -rf "$R/tmp"
	mkdir -p "$R/private/tmp"
	ln -s private/tmp "$R/tmp"
	add_mount "$(tmpfs_at /tmp 2m)"
	add_mount "$(tmpfs_at /tmp/sub 3m)"
	set_cmd 'awk '"'"'$9 == "tmpfs" && $5 ~ /tmp/ { print $5 }'"'"' /proc/self/mountinfo'
	run_ctr
	assert_success
	assert_output "/private/tmp
/private/tmp/sub"
}

@test "a file bind onto a symlink to a file mounts on the file (/etc/localtime)" {
	mkdir -p "$R/usr/share/zoneinfo"
	echo image-zone >"$R/usr/share/zoneinfo/UTC"
	ln -s /usr/share/zoneinfo/UTC "$R/etc/localtime"
	add_mount "$(file_bind_at /etc/localtime)"
	set_cmd 'cat /etc/localtime; [ -L /etc/localtime ] && echo still-link'
	run_ctr
	assert_success
	assert_output "host-data
still-link"
	[ "$(cat "$R/usr/share/zoneinfo/UTC")" = image-zone ]
}

@test "a file bind onto a dangling symlink creates its target (/etc/resolv.conf)" {
	ln -s ../run/systemd/resolve/stub-resolv.conf "$R/etc/resolv.conf"
	add_mount "$(file_bind_at /etc/resolv.conf)"
	set_cmd 'cat /etc/resolv.conf; awk '"'"'$5 ~ /resolv/ { print $5 }'"'"' /proc/self/mountinfo'
	run_ctr
	assert_success
	assert_output "host-data
/run/systemd/resolve/stub-resolv.conf"
	[ -f "$R/run/systemd/resolve/stub-resolv.conf" ]
	[ -L "$R/etc/resolv.conf" ]
}

@test "a directory mount onto a dangling symlink creates its target directory" {
	ln -s /srv/data "$R/data"
	add_mount "$(tmpfs_at /data)"
	set_cmd 'awk '"'"'$9 == "tmpfs" && $5 ~ /data/ { print $5 }'"'"' /proc/self/mountinfo'
	run_ctr
	assert_success
	assert_output /srv/data
	[ -d "$R/srv/data" ]
}

@test "a file bind onto a missing path creates a file, also under missing directories" {
	add_mount "$(file_bind_at /etc/hostname)"
	add_mount "$(file_bind_at /new/deep/file)"
	set_cmd 'cat /etc/hostname /new/deep/file; [ -f /new/deep/file ] && echo is-file'
	run_ctr
	assert_success
	assert_output "host-data
host-data
is-file"
	[ -f "$R/etc/hostname" ]
}

@test "destinations with a trailing slash, .. or // are cleaned lexically first" {
	mkdir -p "$R/var/lib" "$R/run"
	ln -s /run "$R/var/run"
	add_mount "$(tmpfs_at /mnt/x/ 2m)"
	add_mount "$(file_bind_at /etc/f1/)"
	add_mount "$(tmpfs_at /var/run/../lib/x 3m)"
	add_mount "$(tmpfs_at //a/../../b/./c 4m)"
	set_cmd 'awk '"'"'$5 ~ /^\/(mnt|etc|var|run|lib|b)\// { print $5 }'"'"' /proc/self/mountinfo; cat /etc/f1; [ -f /etc/f1 ] && echo is-file'
	run_ctr
	assert_success
	assert_output "/mnt/x
/etc/f1
/var/lib/x
/b/c
host-data
is-file"
}

@test "mounts nested under earlier mounts, also under a read-only tmpfs" {
	add_mount '{"destination": "/n", "type": "tmpfs", "source": "tmpfs", "options": ["ro", "size=1m"]}'
	add_mount "$(file_bind_at /n/f)"
	add_mount "$(tmpfs_at /n/d/e 2m)"
	set_cmd 'cat /n/f; awk '"'"'$5 ~ /^\/n/ { print $5, substr($6, 1, 2) }'"'"' /proc/self/mountinfo; touch /n/x 2>&1 || echo ro-denied'
	run_ctr
	assert_success
	assert_output "host-data
/n ro
/n/f rw
/n/d/e rw
touch: /n/x: Read-only file system
ro-denied"
}

@test "a directory mount onto a symlink to a file fails with the kernel's not a directory" {
	ln -s /etc/passwd "$R/etc/pwlink"
	touch "$R/etc/passwd"
	add_mount "$(tmpfs_at /etc/pwlink)"
	set_args true
	run_ctr
	assert_failure
	assert_contains "not a directory"
	assert_nothing_left
}

@test "a /proc or /sys destination that is a symlink is refused, not followed" {
	local d
	for d in proc sys; do
		rm -rf "$R/$d" "$R/x$d"
		mkdir "$R/x$d"
		ln -s "x$d" "$R/$d"
		set_args true
		run_ctr
		assert_failure
		assert_contains "must be mounted on ordinary directory"
		assert_nothing_left
		rm "$R/$d"
		mkdir "$R/$d"
		[ -z "$(ls -A "$R/x$d")" ] || fail "mounted through the symlink: $(ls -A "$R/x$d" | head -3)"
	done
}

@test "a proc mount below /proc or a non-proc mount on /proc is refused" {
	update_config '.mounts += [{"destination": "/proc/sys/kernel", "type": "tmpfs", "source": "tmpfs"}]'
	set_args true
	run_ctr
	assert_failure
	assert_contains "cannot be mounted because it is inside /proc"
	assert_nothing_left
	# the lxcfs files are the exception
	update_config '.mounts[-1] = {"destination": "/proc/uptime", "type": "bind", "source": "'"$SRC/file"'", "options": ["bind"]}'
	set_cmd 'cat /proc/uptime'
	run_ctr
	assert_success
	assert_output host-data
	# a symlink into /proc counts as /proc
	ln -s /proc/sys "$R/psys"
	update_config '.mounts[-1] = {"destination": "/psys/kernel", "type": "tmpfs", "source": "tmpfs"}'
	set_args true
	run_ctr
	assert_failure
	assert_contains "cannot be mounted because it is inside /proc"
	update_config '.mounts |= map(if .destination == "/proc" then .type = "tmpfs" else . end) | del(.mounts[-1])'
	run_ctr
	assert_failure
	assert_contains "cannot be mounted because it is not of type proc"
	assert_nothing_left
}

@test "a destination that resolves to the rootfs itself is refused" {
	ln -s / "$R/toroot"
	add_mount "$(tmpfs_at /toroot)"
	set_args true
	run_ctr
	assert_failure
	assert_contains "on the top of rootfs"
	assert_nothing_left
	[ -e "$R/bin/busybox" ]
}
