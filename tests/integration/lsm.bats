#!/usr/bin/env bats
# LSM labels (process.apparmorProfile, process.selinuxLabel,
# linux.mountLabel, exec --apparmor / --process-label) on a host that may
# lack the LSM: a requested profile or process label the host cannot apply
# is a clear error naming the field, an empty one is a no-op, a mount label
# without SELinux is not applied. Real confinement is checked in the
# AppArmor guest (tests/vm/apparmor.sh).

load helpers

apparmor_enabled() { [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; }
selinux_enabled() { [ "$(stat -f -c %t /sys/fs/selinux 2>/dev/null)" = f97cff8c ]; }

@test "process.apparmorProfile without AppArmor: an error naming the field, nothing left" {
	apparmor_enabled && skip "AppArmor is enabled on this host"
	skip_if_runtime runc "runc fails in its init with the kernel's EINVAL (write /proc/self/attr/exec), naming no field"
	update_config '.process.apparmorProfile = "hako-test"'
	set_args true
	create_ctr
	assert_failure
	assert_contains 'process.apparmorProfile: profile'
	assert_contains 'hako-test'
	assert_contains 'requested but AppArmor is not enabled'
	[ "$(wc -l <"$TEST_DIR/$CID.out")" -eq 1 ] || fail "more than one line: $(ctr_output)"
	assert_nothing_left
}

@test "process.selinuxLabel without SELinux: an error naming the field, nothing left" {
	selinux_enabled && skip "SELinux is enabled on this host"
	update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"'
	set_args true
	create_ctr
	assert_failure
	assert_contains -i "selinux"
	assert_nothing_left
}

@test "empty labels are a no-op" {
	update_config '.process.apparmorProfile = "" | .process.selinuxLabel = "" | .linux.mountLabel = ""'
	set_cmd 'echo ran'
	run_ctr
	assert_success
	assert_output "ran"
	assert_nothing_left
}

@test "linux.mountLabel without SELinux is accepted and not applied" {
	selinux_enabled && skip "SELinux is enabled on this host"
	skip_if_runtime runc "runc passes context= to the kernel, whose tmpfs then refuses the unknown option"
	update_config '.linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"
		| .mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]}]'
	set_cmd 'grep -c " /scratch " /proc/self/mountinfo; grep -c "context=" /proc/self/mountinfo'
	run_ctr
	# grep -c exits 1 on zero matches: the output is what matters.
	assert_output "$(printf '1\n0')"
	assert_nothing_left
}

@test "a malformed label is refused before anything is made" {
	skip_if_runtime runc "runc does not check the shape of a label (the kernel then refuses the mount)"
	update_config '.linux.mountLabel = "container_file_t"'
	set_args true
	create_ctr
	assert_failure
	assert_contains 'linux.mountLabel: '
	assert_contains 'container_file_t'
	assert_contains 'is not an SELinux context'
	assert_nothing_left
	update_config '.linux.mountLabel = "" | .process.apparmorProfile = "p\nchangeprofile unconfined"'
	create_ctr
	assert_failure
	assert_contains 'process.apparmorProfile: '
	assert_contains 'contains a NUL or newline'
	assert_nothing_left
}

@test "exec --apparmor and --process-label without the LSM: an error naming the field, the container unharmed" {
	apparmor_enabled && skip "AppArmor is enabled on this host"
	selinux_enabled && skip "SELinux is enabled on this host"
	start_sleeper
	runtime exec --apparmor hako-test "$CID" true
	assert_failure
	assert_contains -i "apparmor"
	runtime exec --process-label system_u:system_r:container_t:s0 "$CID" true
	assert_failure
	assert_contains -i "selinux"
	cat >"$TEST_DIR/process.json" <<-'JSON'
	{"args": ["true"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "apparmorProfile": "hako-test"}
	JSON
	runtime exec --process "$TEST_DIR/process.json" "$CID"
	assert_failure
	assert_contains -i "apparmor"
	# Nothing was started, and the container still takes execs.
	runtime exec "$CID" ps -o args
	assert_success
	assert_output "$(printf 'COMMAND\nsleep 600\nps -o args')"
	[ "$(container_status "$CID")" = running ] || fail "container is $(container_status "$CID")"
}
