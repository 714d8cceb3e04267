#!/usr/bin/env bats
# Default devices and linux.devices.

load helpers

@test "default character devices with their numbers" {
	set_cmd 'for d in null zero full random urandom tty; do echo "$d $(stat -c "%F %t:%T" /dev/$d)"; done'
	run_ctr
	assert_success
	assert_output "null character special file 1:3
zero character special file 1:5
full character special file 1:7
random character special file 1:8
urandom character special file 1:9
tty character special file 5:0"
}

@test "default devices work" {
	set_cmd 'echo x > /dev/null && echo null-ok
		[ "$(head -c 4 /dev/zero | od -An -tx1 | tr -d " ")" = 00000000 ] && echo zero-ok
		echo x > /dev/full 2>/dev/null || echo full-enospc
		[ "$(head -c 16 /dev/urandom | wc -c)" = 16 ] && echo urandom-ok'
	run_ctr
	assert_success
	assert_output "null-ok
zero-ok
full-enospc
urandom-ok"
}

@test "ptmx, /dev/pts, /dev/shm and the fd links" {
	set_cmd 'readlink /dev/ptmx; stat -c %F /dev/pts/ptmx
		readlink /dev/fd; readlink /dev/stdin; readlink /dev/stdout; readlink /dev/stderr
		stat -f -c %T /dev/shm; echo x > /dev/shm/f && echo shm-writable'
	run_ctr
	assert_success
	assert_output "pts/ptmx
character special file
/proc/self/fd
/proc/self/fd/0
/proc/self/fd/1
/proc/self/fd/2
tmpfs
shm-writable"
}

@test "a pty can be opened through /dev/ptmx" {
	set_cmd 'exec 3<>/dev/ptmx && ls /dev/pts'
	run_ctr
	assert_success
	assert_contains 0
	assert_contains ptmx
}

@test "no host devices beyond the defaults" {
	set_cmd 'ls /dev | sort | tr "\n" " "'
	run_ctr
	assert_success
	assert_not_contains sda
	assert_not_contains vda
	assert_not_contains kmsg
	assert_not_contains mem
}

@test "linux.devices: major, minor, mode, uid, gid" {
	update_config '.linux.devices = [{"path": "/dev/hbnull", "type": "c", "major": 1, "minor": 3, "fileMode": 438, "uid": 1000, "gid": 100},
		{"path": "/dev/sub/hbzero", "type": "c", "major": 1, "minor": 5, "fileMode": 420, "uid": 0, "gid": 0}]'
	set_cmd 'stat -c "%F %t:%T %a %u %g" /dev/hbnull /dev/sub/hbzero; echo hi > /dev/hbnull && echo write-ok'
	run_ctr
	assert_success
	assert_output "character special file 1:3 666 1000 100
character special file 1:5 644 0 0
write-ok"
}

@test "linux.devices: a device not allowed by the device cgroup cannot be opened" {
	# /dev/kmsg (1:11) is made but not allowed in linux.resources.devices
	update_config '.linux.devices = [{"path": "/dev/kmsg", "type": "c", "major": 1, "minor": 11, "fileMode": 420}]'
	set_cmd '[ -c /dev/kmsg ] && echo exists; head -c1 /dev/kmsg >/dev/null 2>&1 || echo denied'
	run_ctr
	assert_success
	assert_output "exists
denied"
}

@test "linux.devices: an entry is created, not allowed by itself" {
	[ -e /dev/fuse ] || skip "no /dev/fuse on the host"
	update_config '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 438}]'
	set_cmd '[ -c /dev/fuse ] && echo exists; (exec 3<>/dev/fuse) 2>/dev/null && echo opened || echo denied'
	run_ctr
	assert_success
	assert_output "exists
denied"
	update_config '.linux.resources.devices += [{"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}]'
	run_ctr
	assert_success
	assert_output "exists
opened"
}

@test "linux.devices: a FIFO entry is made and the container runs" {
	update_config '.linux.devices = [{"path": "/dev/hbfifo", "type": "p", "fileMode": 420}]'
	set_cmd 'stat -c "%F %a" /dev/hbfifo'
	run_ctr
	assert_success
	assert_output "fifo 644"
}
