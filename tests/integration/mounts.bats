#!/usr/bin/env bats
# Mounts: every kind and option, confined to the rootfs.

load helpers

# add_mount JSON: append a mount entry.
add_mount() { update_config ".mounts += [$1]"; }

# mi_opts MOUNTPOINT: "per-mount-options super-options" from the container's
# mountinfo, for use in the container command.
MI='mi() { awk -v m="$1" '"'"'$5 == m { for (i = 7; $i != "-"; i++) o = o " " $i; print $6 o " | " $(i+1) " " $(i+3); o = "" }'"'"' /proc/self/mountinfo; }; '

setup() {
	common_setup
	SRC="$TEST_DIR/src"
	mkdir -p "$SRC"
	echo host-data >"$SRC/file"
}

@test "bind mount of a host directory, created at a missing destination" {
	add_mount "{\"destination\": \"/mnt/deep/b\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [\"bind\"]}"
	set_cmd 'cat /mnt/deep/b/file; echo from-inside > /mnt/deep/b/new'
	run_ctr
	assert_success
	assert_output host-data
	[ "$(cat "$SRC/new")" = from-inside ]
}

@test "bind mount of a host file onto a file" {
	add_mount "{\"destination\": \"/etc/hb-file\", \"type\": \"bind\", \"source\": \"$SRC/file\", \"options\": [\"bind\"]}"
	set_cmd 'cat /etc/hb-file; [ -f /etc/hb-file ] && echo is-file'
	run_ctr
	assert_success
	assert_output "host-data
is-file"
}

@test "ro bind mount cannot be written" {
	add_mount "{\"destination\": \"/mnt\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [\"bind\", \"ro\"]}"
	set_cmd "$MI"'cat /mnt/file; echo x > /mnt/file && echo wrote; mi /mnt'
	run_ctr
	assert_contains host-data
	assert_not_contains wrote
	assert_match '^ro[, ].*\|'
	[ "$(cat "$SRC/file")" = host-data ]
}

@test "bind does not carry submounts, rbind does" {
	mkdir -p "$SRC/sub"
	mount -t tmpfs hbsub "$SRC/sub"
	echo sub-data >"$SRC/sub/subfile"
	add_mount "{\"destination\": \"/b\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [\"bind\"]}"
	add_mount "{\"destination\": \"/rb\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [\"rbind\"]}"
	set_cmd 'cat /b/sub/subfile 2>&1 || echo bind-empty; cat /rb/sub/subfile'
	run_ctr
	assert_success
	assert_output "cat: can't open '/b/sub/subfile': No such file or directory
bind-empty
sub-data"
}

@test "rro and rnosuid apply to submounts too, ro only to the top" {
	mkdir -p "$SRC/sub"
	mount -t tmpfs hbsub "$SRC/sub"
	add_mount "{\"destination\": \"/r\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [\"rbind\", \"rro\", \"rnosuid\"]}"
	add_mount "{\"destination\": \"/p\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [\"rbind\", \"ro\"]}"
	set_cmd "$MI"'touch /r/sub/x 2>/dev/null && echo r-sub-writable; touch /p/sub/y && echo p-sub-writable; mi /r/sub; mi /r'
	run_ctr
	assert_success
	assert_not_contains r-sub-writable
	assert_contains p-sub-writable
	[[ "${lines[1]}" =~ ^ro,.*nosuid ]] || fail "/r/sub: ${lines[1]}"
	[[ "${lines[2]}" =~ ^ro,.*nosuid ]] || fail "/r: ${lines[2]}"
}

@test "tmpfs with size and mode" {
	add_mount '{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=1770"]}'
	set_cmd "$MI"'stat -c %a /t; mi /t'
	run_ctr
	assert_success
	[ "${lines[0]}" = 1770 ]
	[[ "${lines[1]}" == *"| tmpfs "*"size=1024k"* ]] || fail "${lines[1]}"
	[[ "${lines[1]}" == *"mode=1770"* ]] || fail "${lines[1]}"
}

@test "nosuid, noexec and nodev options" {
	add_mount '{"destination": "/t", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "noexec", "nodev"]}'
	add_mount '{"destination": "/e", "type": "tmpfs", "source": "tmpfs", "options": []}'
	set_cmd "$MI"'cp /bin/busybox /t/busybox; cp /bin/busybox /e/busybox
		/e/busybox true && echo exec-ok
		/t/busybox true 2>&1 || echo noexec-denied
		mi /t'
	run_ctr
	assert_success
	assert_contains exec-ok
	assert_contains noexec-denied
	assert_contains -i "permission denied"
	local l=${lines[-1]}
	[[ "$l" == *nosuid* && "$l" == *nodev* && "$l" == *noexec* ]] || fail "$l"
}

@test "proc, sysfs, devpts, mqueue and shm mounts of the default config" {
	set_cmd "$MI"'for m in /proc /sys /dev/pts /dev/mqueue /dev/shm /dev; do mi $m; done'
	run_ctr
	assert_success
	[[ "${lines[0]}" == *"| proc "* ]] || fail "proc: ${lines[0]}"
	[[ "${lines[1]}" == ro,*"| sysfs "* ]] || fail "sys: ${lines[1]}"
	[[ "${lines[2]}" == *"| devpts "* && "${lines[2]}" == *ptmxmode=666* ]] || fail "pts: ${lines[2]}"
	[[ "${lines[3]}" == *"| mqueue "* ]] || fail "mqueue: ${lines[3]}"
	[[ "${lines[4]}" == *"| tmpfs "* ]] || fail "shm: ${lines[4]}"
	[[ "${lines[5]}" == *"| tmpfs "* ]] || fail "dev: ${lines[5]}"
}

@test "the proc mount shows the container's pid namespace" {
	set_cmd 'cat /proc/1/cmdline | tr "\0" " "; echo; cat /proc/self/stat | cut -d" " -f1'
	set_args sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo'
	run_ctr
	assert_success
	assert_output "sh -c cat /proc/1/cmdline | tr \"\\0\" \" \"; echo "
}

@test "sysfs mount shows the container's network devices" {
	set_cmd 'ls /sys/class/net'
	run_ctr
	assert_success
	assert_output lo
}

@test "cgroup mount" {
	update_config '.mounts |= map(select(.destination != "/sys/fs/cgroup"))'
	add_mount '{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}'
	set_cmd 'ls /sys/fs/cgroup | wc -l; grep -c " cgroup2\? " /proc/self/mountinfo'
	run_ctr
	assert_success
	[ "${lines[0]}" -gt 0 ]
	[ "${lines[1]}" -gt 0 ]
}

@test "overlay mount" {
	mkdir -p "$TEST_DIR/lower" "$TEST_DIR/upper" "$TEST_DIR/work"
	echo lower-data >"$TEST_DIR/lower/l"
	add_mount "{\"destination\": \"/ov\", \"type\": \"overlay\", \"source\": \"overlay\", \"options\": [\"lowerdir=$TEST_DIR/lower\", \"upperdir=$TEST_DIR/upper\", \"workdir=$TEST_DIR/work\"]}"
	set_cmd 'cat /ov/l; echo upper-data > /ov/u'
	run_ctr
	assert_success
	assert_output lower-data
	[ "$(cat "$TEST_DIR/upper/u")" = upper-data ]
	[ ! -e "$TEST_DIR/lower/u" ]
}

@test "root.readonly makes the rootfs read-only" {
	update_config '.root.readonly = true'
	set_cmd "$MI"'touch /x 2>&1 || echo ro-denied; touch /dev/shm/ok && echo shm-ok; mi /'
	run_ctr
	assert_success
	assert_contains ro-denied
	assert_contains -i "read-only file system"
	assert_contains shm-ok
	[[ "${lines[-1]}" == ro,* ]] || fail "${lines[-1]}"
	[ ! -e "$BUNDLE/rootfs/x" ]
}

@test "without root.readonly the rootfs is writable" {
	set_cmd 'touch /x && echo rw-ok'
	run_ctr
	assert_success
	assert_output rw-ok
	[ -e "$BUNDLE/rootfs/x" ]
}

@test "rootfsPropagation shared: the root mount is shared" {
	skip_if_runtime runc "runc 1.1 makes / rshared, then makes the rootfs' parent mount private for pivot_root, so a rootfs on the host's root filesystem ends private"
	update_config '.linux.rootfsPropagation = "shared"'
	set_cmd 'awk '"'"'$5 == "/"'"'"' /proc/self/mountinfo'
	run_ctr
	assert_success
	assert_contains "shared:"
}

@test "rootfsPropagation private: the root mount is private" {
	update_config '.linux.rootfsPropagation = "private"'
	set_cmd 'awk '"'"'$5 == "/"'"'"' /proc/self/mountinfo'
	run_ctr
	assert_success
	assert_not_contains "shared:"
	assert_not_contains "master:"
}

# A shared host mount at $SRC, bound into the container with PROPAGATION; the
# host then mounts below it; does the container see it?
propagation_case() {
	mount --bind "$SRC" "$SRC"
	mount --make-shared "$SRC"
	mkdir -p "$SRC/late"
	add_mount "{\"destination\": \"/prop\", \"type\": \"bind\", \"source\": \"$SRC\", \"options\": [\"rbind\", \"$1\"]}"
	set_cmd 'echo ready; for i in $(seq 50); do [ -e /prop/late/marker ] && { echo seen; exit 0; }; sleep 0.1; done; echo not-seen'
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_output_contains "$CID" ready
	mount -t tmpfs hblate "$SRC/late"
	touch "$SRC/late/marker"
	wait_for_status "$CID" stopped 15
}

@test "propagation rslave: host mounts below the source reach the container" {
	propagation_case rslave
	run ctr_output
	assert_contains seen
	assert_not_contains not-seen
}

@test "propagation rprivate: host mounts below the source do not reach the container" {
	propagation_case rprivate
	run ctr_output
	assert_contains not-seen
}

@test "a mount destination through an absolute symlink stays inside the rootfs" {
	local outside="$TEST_DIR/outside"
	mkdir -p "$outside"
	ln -s "$outside" "$BUNDLE/rootfs/escape"
	add_mount '{"destination": "/escape/sub", "type": "tmpfs", "source": "tmpfs", "options": []}'
	set_cmd 'grep -c " tmpfs " /proc/self/mountinfo'
	run_ctr
	# the runtime may resolve the symlink inside the rootfs or refuse, but the
	# host directory must not get a mount or a new entry
	[ -z "$(ls -A "$outside")" ] || fail "created on the host: $(ls -A "$outside")"
	! grep -q " $outside" /proc/self/mountinfo
	if [ "$status" -eq 0 ]; then
		# resolved in the rootfs: the directory was made there
		[ -d "$BUNDLE/rootfs$outside/sub" ]
	fi
}

@test "a mount destination through a relative symlink climbing out stays inside the rootfs" {
	local outside="$TEST_DIR/outside2"
	mkdir -p "$outside"
	ln -s "../../../../../../../../../..$outside" "$BUNDLE/rootfs/escape2"
	add_mount '{"destination": "/escape2/sub", "type": "tmpfs", "source": "tmpfs", "options": []}'
	set_args true
	run_ctr
	[ -z "$(ls -A "$outside")" ] || fail "created on the host: $(ls -A "$outside")"
	! grep -q " $outside" /proc/self/mountinfo
}

@test "a bind source symlinked in the image does not redirect a file bind" {
	# /etc/target is a symlink to a host path; binding a file onto it must
	# not overwrite the host file
	echo host-secret >"$TEST_DIR/hostfile"
	ln -s "$TEST_DIR/hostfile" "$BUNDLE/rootfs/etc/target"
	add_mount "{\"destination\": \"/etc/target\", \"type\": \"bind\", \"source\": \"$SRC/file\", \"options\": [\"bind\"]}"
	set_cmd 'echo overwritten > /etc/target; cat /etc/target'
	run_ctr
	[ "$(cat "$TEST_DIR/hostfile")" = host-secret ]
	! grep -q " $TEST_DIR/hostfile " /proc/self/mountinfo
}

@test "tmpfs without mode= over an existing directory keeps its mode, with mode= takes that" {
	mkdir -p "$BUNDLE/rootfs/data" "$BUNDLE/rootfs/st"
	chmod 0750 "$BUNDLE/rootfs/data"
	chmod 4755 "$BUNDLE/rootfs/st"
	add_mount '{"destination": "/data", "type": "tmpfs", "source": "tmpfs"}'
	add_mount '{"destination": "/st", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	add_mount '{"destination": "/own", "type": "tmpfs", "source": "tmpfs", "options": ["mode=700"]}'
	add_mount '{"destination": "/new", "type": "tmpfs", "source": "tmpfs"}'
	set_cmd 'stat -c "%n %a" /data /st /own /new'
	run_ctr
	assert_success
	assert_output "/data 750
/st 4755
/own 700
/new 1777"
}

@test "a read-only /dev tmpfs is still populated, then read-only" {
	update_config '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
	set_cmd "$MI"'ls /dev | tr "\n" " "; echo; mi /dev; touch /dev/x 2>&1 || echo ro-denied; echo ok > /dev/shm/w && cat /dev/shm/w'
	run_ctr
	assert_success
	assert_contains "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero"
	[[ "${lines[1]}" == ro,* ]] || fail "/dev: ${lines[1]}"
	assert_contains ro-denied
	[ "${lines[-1]}" = ok ]
}

@test "duplicate maskedPaths are applied once" {
	update_config '.linux.maskedPaths += ["/proc/kcore", "/proc/acpi", "/proc/acpi/", "/proc//keys", "/sys/firmware"]'
	set_cmd 'for p in /proc/kcore /proc/acpi /proc/keys /sys/firmware; do awk -v p=$p '"'"'$5 == p'"'"' /proc/self/mountinfo | wc -l; done'
	run_ctr
	assert_success
	# /proc/kcore, /proc/keys may be missing on this kernel (0)
	for l in "${lines[@]}"; do
		[ "$l" -le 1 ] || fail "masked $l times: $output"
	done
	[ "${lines[1]}" = 1 ] && [ "${lines[3]}" = 1 ]
}

@test "rootfsPropagation unbindable: the root mount is unbindable" {
	update_config '.linux.rootfsPropagation = "unbindable"'
	set_cmd 'awk '"'"'$5 == "/"'"'"' /proc/self/mountinfo'
	run_ctr
	assert_success
	assert_contains " unbindable "
}

@test "--no-pivot leaves no full host proc or sysfs: a nested user namespace cannot mount them" {
	# A proc or sysfs mount in a user namespace needs a fully visible one in
	# the mount namespace; with --no-pivot the host's stay in the namespace
	# unless the runtime removes them.
	mkdir -p "$BUNDLE/rootfs/p" "$BUNDLE/rootfs/s"
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SETFCAP"])'
	set_cmd 'unshare -Urmnpf sh -c "echo in-ns; mount -t proc proc /p && echo proc-mounted; mount -t sysfs sysfs /s && echo sysfs-mounted"; echo done'
	run_ctr --no-pivot
	assert_contains in-ns
	assert_contains done
	assert_not_contains proc-mounted
	assert_not_contains sysfs-mounted
	# the same with pivot_root, and the host's mounts are untouched
	run_ctr
	assert_not_contains proc-mounted
	mountpoint -q /proc && mountpoint -q /sys
}

@test "readonlyPaths make the top mount read-only, not the mounts below it" {
	add_mount '{"destination": "/r", "type": "tmpfs", "source": "tmpfs"}'
	add_mount '{"destination": "/r/sub", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}'
	update_config '.linux.readonlyPaths += ["/r"]'
	set_cmd 'touch /r/x 2>/dev/null || echo top-ro; touch /r/sub/x && echo sub-writable'
	run_ctr
	assert_success
	assert_output "top-ro
sub-writable"
}

@test "tmpcopyup: the tmpfs starts with a copy of the image's directory" {
	local d="$BUNDLE/rootfs/cu"
	mkdir -p "$d/sub/deeper"
	echo top >"$d/f"
	echo deep >"$d/sub/deeper/g"
	ln -s f "$d/l"
	chmod 0711 "$d"
	chmod 0604 "$d/f"
	chown 1000:1001 "$d/f"
	add_mount '{"destination": "/cu", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "size=1m"]}'
	set_cmd 'awk '"'"'$5 == "/cu" { print $9 }'"'"' /proc/self/mountinfo; stat -c "%n %a %u:%g" /cu /cu/f; cat /cu/l /cu/sub/deeper/g; readlink /cu/l; echo new > /cu/new'
	run_ctr
	assert_success
	assert_output "tmpfs
/cu 711 0:0
/cu/f 604 1000:1001
top
deep
f"
	# the image's directory is untouched
	[ ! -e "$d/new" ]
}

@test "tmpcopyup copies extended attributes and file capabilities, and copies a symlink without following it" {
	requires setfattr getfattr setcap
	skip_if_runtime runc "copies no extended attributes (podman --read-only loses file capabilities under /run, /tmp, /var/tmp)"
	local d="$BUNDLE/rootfs/cu"
	mkdir -p "$d/sub"
	cp "$BUNDLE/rootfs/bin/busybox" "$d/capbin"
	setcap cap_net_raw+ep "$d/capbin"
	echo x >"$d/f"
	setfattr -n user.hako -v file-attr "$d/f" 2>/dev/null || skip "the bundle's filesystem has no user xattrs"
	setfattr -n user.hako -v dir-attr "$d/sub"
	# a symlink pointing out of the image must arrive as a symlink
	ln -s /etc/shadow "$d/out"
	add_mount '{"destination": "/cu", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "size=4m"]}'
	set_cmd 'sleep 1000'
	run_detached
	assert_success
	local pid root
	pid=$(container_pid "$CID")
	root=/proc/$pid/root
	[ "$(getfattr --only-values -n user.hako "$root/cu/f")" = file-attr ]
	[ "$(getfattr --only-values -n user.hako "$root/cu/sub")" = dir-attr ]
	getcap "$root/cu/capbin" | grep -q cap_net_raw
	[ "$(readlink "$root/cu/out")" = /etc/shadow ]
	# the copy is the container's tmpfs, not the image's directory
	[ "$(awk '$5 == "/cu" { print $9 }' "/proc/$pid/mountinfo")" = tmpfs ]
}

@test "maskedPaths and readonlyPaths follow symlinks inside the container" {
	mkdir -p "$BUNDLE/rootfs/real"
	echo secret >"$BUNDLE/rootfs/real/f"
	ln -s /real "$BUNDLE/rootfs/lnk"
	mkdir -p "$BUNDLE/rootfs/rw"
	ln -s rw "$BUNDLE/rootfs/rwlnk"
	update_config '.linux.maskedPaths += ["/proc/mounts", "/lnk"] | .linux.readonlyPaths += ["/rwlnk"]'
	set_cmd 'wc -c < /proc/mounts; ls -A /real | wc -l; touch /rw/x 2>/dev/null || echo rw-is-ro'
	run_ctr
	assert_success
	assert_output "0
0
rw-is-ro"
	[ "$(cat "$BUNDLE/rootfs/real/f")" = secret ]
}
