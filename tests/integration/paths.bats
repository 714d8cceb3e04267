#!/usr/bin/env bats
# maskedPaths, readonlyPaths, sysctl.

load helpers

@test "maskedPaths: a file reads empty" {
	echo secret >"$BUNDLE/rootfs/etc/secret"
	update_config '.linux.maskedPaths = ["/etc/secret"]'
	set_cmd 'cat /etc/secret; echo "[$(cat /etc/secret)]"; stat -c "%F %t:%T" /etc/secret'
	run_ctr
	assert_success
	assert_output "[]
character special file 1:3"
}

@test "maskedPaths: a directory is empty and read-only" {
	mkdir "$BUNDLE/rootfs/secretdir"
	echo secret >"$BUNDLE/rootfs/secretdir/f"
	update_config '.linux.maskedPaths = ["/secretdir"]'
	set_cmd 'echo "[$(ls -A /secretdir)]"; touch /secretdir/new 2>/dev/null || echo ro'
	run_ctr
	assert_success
	assert_output "[]
ro"
	[ "$(cat "$BUNDLE/rootfs/secretdir/f")" = secret ]
}

@test "maskedPaths: default entries in /proc are masked" {
	[ -n "$(head -c 10 /proc/timer_list 2>/dev/null)" ] || skip "host without /proc/timer_list"
	set_cmd 'cat /proc/timer_list | wc -c; stat -c "%t:%T" /proc/timer_list; ls -A /proc/acpi 2>/dev/null | wc -l'
	run_ctr
	assert_success
	assert_output "0
1:3
0"
}

@test "maskedPaths: a path that does not exist is ignored" {
	update_config '.linux.maskedPaths += ["/does/not/exist"]'
	set_args true
	run_ctr
	assert_success
}

@test "readonlyPaths: readable, not writable" {
	mkdir "$BUNDLE/rootfs/rodir"
	echo data >"$BUNDLE/rootfs/rodir/f"
	update_config '.linux.readonlyPaths = ["/rodir"]'
	set_cmd 'cat /rodir/f; { echo x > /rodir/f; } 2>/dev/null || echo ro-file; touch /rodir/new 2>/dev/null || echo ro-dir; touch /other && echo rest-rw'
	run_ctr
	assert_success
	assert_output "data
ro-file
ro-dir
rest-rw"
}

@test "readonlyPaths: /proc/sys of the default config" {
	set_cmd '{ echo 1 > /proc/sys/kernel/domainname; } 2>/dev/null || echo ro'
	run_ctr
	assert_success
	assert_output ro
}

@test "sysctl kernel.domainname in the uts namespace" {
	update_config '.linux.sysctl = {"kernel.domainname": "hb.sysctl"}'
	set_cmd 'cat /proc/sys/kernel/domainname'
	run_ctr
	assert_success
	assert_output hb.sysctl
	[ "$(cat /proc/sys/kernel/domainname)" != hb.sysctl ]
}

@test "sysctl net.ipv4.ip_forward in the network namespace" {
	host=$(cat /proc/sys/net/ipv4/ip_forward)
	want=$((1 - host))
	update_config ".linux.sysctl = {\"net.ipv4.ip_forward\": \"$want\"}"
	set_cmd 'cat /proc/sys/net/ipv4/ip_forward'
	run_ctr
	assert_success
	assert_output "$want"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
}

@test "sysctl of the host's namespace is refused" {
	update_config '.linux.namespaces |= map(select(.type != "network"))'
	update_config '.linux.sysctl = {"net.ipv4.ip_forward": "1"}'
	host=$(cat /proc/sys/net/ipv4/ip_forward)
	set_args true
	run_ctr
	assert_failure
	assert_contains "net.ipv4.ip_forward"
	[ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$host" ]
}
