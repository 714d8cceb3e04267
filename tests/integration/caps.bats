#!/usr/bin/env bats
# The five capability sets.

load helpers

# set_caps BOUNDING EFFECTIVE PERMITTED INHERITABLE AMBIENT: each a JSON array.
set_caps() {
	update_config ".process.capabilities = {\"bounding\": $1, \"effective\": $2, \"permitted\": $3, \"inheritable\": $4, \"ambient\": $5}"
}

caps_cmd() { set_cmd 'grep ^Cap /proc/self/status | tr -s "\t" " "'; }

@test "capabilities as root: bounding, effective and permitted" {
	set_caps '["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]' '["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]' \
		'["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE"]' '[]' '[]'
	caps_cmd
	run_ctr
	assert_success
	assert_output "CapInh: 0000000000000000
CapPrm: 0000000000000421
CapEff: 0000000000000421
CapBnd: 0000000000000421
CapAmb: 0000000000000000"
}

@test "capabilities as a non-root user: ambient carries them over execve" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_caps '["CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"]' '["CAP_KILL", "CAP_NET_BIND_SERVICE"]' \
		'["CAP_KILL", "CAP_NET_BIND_SERVICE"]' '["CAP_KILL", "CAP_NET_BIND_SERVICE"]' '["CAP_KILL", "CAP_NET_BIND_SERVICE"]'
	caps_cmd
	run_ctr
	assert_success
	assert_output "CapInh: 0000000000000420
CapPrm: 0000000000000420
CapEff: 0000000000000420
CapBnd: 0000000000002421
CapAmb: 0000000000000420"
}

@test "capabilities as a non-root user without ambient: only the inheritable set stays" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_caps '["CAP_CHOWN", "CAP_KILL"]' '["CAP_KILL"]' '["CAP_KILL"]' '["CAP_KILL"]' '[]'
	caps_cmd
	run_ctr
	assert_success
	assert_output "CapInh: 0000000000000020
CapPrm: 0000000000000000
CapEff: 0000000000000000
CapBnd: 0000000000000021
CapAmb: 0000000000000000"
}

@test "the default spec capabilities" {
	set_cmd 'grep -E "^Cap(Bnd|Eff)" /proc/self/status | tr -s "\t" " "'
	run_ctr
	assert_success
	# what the spec's config asks for, computed here from the names
	local mask=0 c
	for c in $(jq -r '.process.capabilities.bounding[]' "$BUNDLE/config.json"); do
		case $c in
		CAP_AUDIT_WRITE) mask=$((mask | 1 << 29)) ;;
		CAP_KILL) mask=$((mask | 1 << 5)) ;;
		CAP_NET_BIND_SERVICE) mask=$((mask | 1 << 10)) ;;
		CAP_CHOWN) mask=$((mask | 1 << 0)) ;;
		CAP_DAC_OVERRIDE) mask=$((mask | 1 << 1)) ;;
		CAP_FOWNER) mask=$((mask | 1 << 3)) ;;
		CAP_FSETID) mask=$((mask | 1 << 4)) ;;
		CAP_SETGID) mask=$((mask | 1 << 6)) ;;
		CAP_SETUID) mask=$((mask | 1 << 7)) ;;
		CAP_SETPCAP) mask=$((mask | 1 << 8)) ;;
		CAP_NET_RAW) mask=$((mask | 1 << 13)) ;;
		CAP_SYS_CHROOT) mask=$((mask | 1 << 18)) ;;
		CAP_MKNOD) mask=$((mask | 1 << 27)) ;;
		CAP_SETFCAP) mask=$((mask | 1 << 31)) ;;
		*) skip "mask of $c not in this test's table" ;;
		esac
	done
	[ "${lines[0]}" = "CapEff: $(printf %016x $mask)" ]
	[ "${lines[1]}" = "CapBnd: $(printf %016x $mask)" ]
}

@test "a capability outside the bounding set is really missing" {
	set_caps '["CAP_KILL"]' '["CAP_KILL"]' '["CAP_KILL"]' '[]' '[]'
	set_cmd 'touch /tmp/f; chown 1000 /tmp/f 2>&1 || echo chown-denied'
	run_ctr
	assert_success
	assert_contains chown-denied

	set_caps '["CAP_CHOWN"]' '["CAP_CHOWN"]' '["CAP_CHOWN"]' '[]' '[]'
	set_cmd 'touch /tmp/f; chown 1000 /tmp/f && stat -c %u /tmp/f'
	run_ctr
	assert_success
	assert_output 1000
}

@test "an unknown capability name is a warning and is skipped" {
	# runc >= 1.2 and crun: a spec written for a newer kernel must run.
	# Only the kernel headers' spelling is a name ("cap_kill" is not).
	set_caps '["CAP_KILL", "CAP_HB_BOGUS"]' '["CAP_KILL", "cap_chown"]' '["CAP_KILL"]' '[]' '[]'
	caps_cmd
	run_ctr
	assert_success
	assert_contains "CAP_HB_BOGUS"
	assert_contains "cap_chown"
	assert_contains "CapEff: 0000000000000020"
	assert_contains "CapBnd: 0000000000000020"
}

@test "an ambient capability that cannot be raised is a warning" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_caps '["CAP_KILL", "CAP_NET_RAW"]' '["CAP_KILL"]' '["CAP_KILL"]' '["CAP_KILL"]' '["CAP_KILL", "CAP_NET_RAW"]'
	caps_cmd
	run_ctr
	assert_success
	assert_contains "CAP_NET_RAW"
	assert_contains "CapAmb: 0000000000000020"
}

@test "exec --cap adds to ambient too when the container has inheritable capabilities" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_caps '["CAP_KILL", "CAP_NET_RAW"]' '["CAP_KILL"]' '["CAP_KILL"]' '["CAP_NET_RAW"]' '[]'
	set_args sleep 600
	run_detached
	assert_success
	runtime exec --cap CAP_NET_RAW "$CID" grep -E '^Cap(Eff|Amb)' /proc/self/status
	assert_success
	assert_contains "CapEff:	0000000000002000"
	assert_contains "CapAmb:	0000000000002000"
	# -c is the short form.
	runtime exec -c CAP_NET_RAW "$CID" grep CapAmb /proc/self/status
	assert_success
	assert_contains "CapAmb:	0000000000002000"
}

@test "exec --cap without inheritable capabilities: bounding, effective, permitted only" {
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	set_caps '["CAP_KILL"]' '["CAP_KILL"]' '["CAP_KILL"]' '[]' '[]'
	set_args sleep 600
	run_detached
	assert_success
	runtime exec --cap CAP_NET_RAW "$CID" grep -E '^Cap(Eff|Bnd|Amb)' /proc/self/status
	assert_success
	assert_contains "CapEff:	0000000000000000"
	assert_contains "CapBnd:	0000000000002020"
	assert_contains "CapAmb:	0000000000000000"
}

@test "no capabilities object: the process keeps the runtime's, as in runc" {
	local bnd
	bnd=$(awk '/^CapBnd/ {print $2}' /proc/self/status)
	update_config 'del(.process.capabilities)'
	set_cmd 'grep -E "^Cap(Eff|Bnd)" /proc/self/status | tr -s "\t" " "'
	run_ctr
	assert_success
	assert_output "CapEff: $bnd
CapBnd: $bnd"
	# A non-root user loses them at execve, by the kernel's rules.
	update_config '.process.user = {"uid": 1000, "gid": 1000}'
	run_ctr
	assert_success
	assert_output "CapEff: 0000000000000000
CapBnd: $bnd"
}
