#!/usr/bin/env bats
# `features`: the document validates (go test checks the schema) and every
# claim holds: each listed mount option, namespace, capability, hook kind and
# seccomp action/operator/arch/flag is accepted by create, and what it says
# is disabled is refused with an error naming the field.

load helpers

setup() {
	common_setup
	skip_if_runtime runc "runc 1.1's features differ (no time namespace, checkpoint)"
	runtime features
	assert_success
	echo "$output" >"$TEST_DIR/features.json"
}

feat() { jq -r "$1" "$TEST_DIR/features.json"; }

@test "features: version range, and both ends of it are accepted" {
	[ "$(feat .ociVersionMin)" = 1.0.0 ] || fail "ociVersionMin $(feat .ociVersionMin)"
	[ "$(feat .ociVersionMax)" = 1.3.0 ] || fail "ociVersionMax $(feat .ociVersionMax)"
	set_args true
	for v in "$(feat .ociVersionMin)" "$(feat .ociVersionMax)"; do
		update_config ".ociVersion = \"$v\""
		run_ctr
		assert_success
	done
	update_config '.ociVersion = "1.4.0"'
	run_ctr
	assert_failure
	assert_contains "ociVersion"
}

@test "features: every mount option listed is accepted on a bind mount" {
	mkdir -p "$TEST_DIR/src"
	local opts
	opts=$(feat '.mountOptions | length')
	[ "$opts" -gt 40 ] || fail "only $opts mount options"
	# One mount per option; recursive attributes go on an rbind.
	jq --arg src "$TEST_DIR/src" --slurpfile f "$TEST_DIR/features.json" '
		.mounts += [$f[0].mountOptions[] | {destination: ("/mnt/" + .), type: "bind", source: $src,
			options: (if . == "bind" or . == "rbind" then [.] else ["rbind", .] end)}]' \
		"$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
	set_cmd 'grep -c " /mnt/" /proc/self/mountinfo; grep " /mnt/ro " /proc/self/mountinfo | grep -q " ro," && echo ro-is-ro'
	run_ctr
	assert_success
	[ "${lines[0]}" -ge "$opts" ] || fail "only ${lines[0]} of $opts mounts: $output"
	assert_contains ro-is-ro
}

@test "features: every namespace listed can be created at once" {
	local ns
	ns=$(feat '[.linux.namespaces[] | {type: .}]')
	update_config ".linux.namespaces = $ns"
	update_config '.linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}] | .linux.gidMappings = .linux.uidMappings'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	update_config 'del(.linux.resources) | .mounts |= map(select(.type != "cgroup"))'
	set_cmd 'for n in cgroup ipc mnt net pid time user uts; do echo "$n $(readlink /proc/self/ns/$n)"; done'
	run_ctr
	assert_success
	local n
	for n in cgroup ipc mnt net pid time user uts; do
		local inner
		inner=$(echo "$output" | awk -v n="$n" '$1 == n {print $2}')
		[ -n "$inner" ] || fail "no $n namespace line: $output"
		[ "$inner" != "$(host_ns "$n")" ] || fail "$n namespace is the host's"
	done
	[ "$(feat '.linux.namespaces | length')" -eq 8 ] || fail "namespaces: $(feat .linux.namespaces)"
}

@test "features: every capability listed (that this host holds) can be granted" {
	local bnd have=() c
	bnd=$((16#$(awk '/^CapBnd/ {print $2}' /proc/self/status)))
	local i=0
	for c in $(feat '.linux.capabilities[]'); do
		# The list is in kernel order, so the index is the number.
		if (((bnd >> i) & 1)); then have+=("$c"); fi
		i=$((i + 1))
	done
	[ "${#have[@]}" -gt 30 ] || fail "only ${#have[@]} capabilities: ${have[*]}"
	local json
	json=$(printf '%s\n' "${have[@]}" | jq -R . | jq -s -c .)
	update_config ".process.capabilities = {bounding: $json, effective: $json, permitted: $json, inheritable: $json, ambient: $json}"
	set_cmd 'grep ^CapEff /proc/self/status'
	run_ctr
	assert_success
	local want=0
	i=0
	for c in $(feat '.linux.capabilities[]'); do
		if (((bnd >> i) & 1)); then want=$((want | (1 << i))); fi
		i=$((i + 1))
	done
	assert_contains "$(printf 'CapEff:\t%016x' "$want")"
}

@test "features: every hook kind listed runs" {
	local k all=""
	for k in $(feat '.hooks[]'); do
		all="$all | .hooks.$k = [{path: \"/bin/sh\", args: [\"sh\", \"-c\", \"echo $k >> $TEST_DIR/hooks.log\"]}]"
	done
	# startContainer runs inside the container: its log is the container's.
	update_config ". $all | .hooks.startContainer[0].args[2] = \"echo startContainer >> /hooks.log\""
	set_args true
	run_ctr
	assert_success
	for k in $(feat '.hooks[]'); do
		cat "$TEST_DIR/hooks.log" "$BUNDLE/rootfs/hooks.log" 2>/dev/null | grep -qx "$k" || fail "hook $k did not run"
	done
}

@test "features: every seccomp action, operator, arch and supported flag is accepted" {
	[ "$(feat .linux.seccomp.enabled)" = true ] || fail "seccomp not enabled"
	# NOTIFY needs an agent: seccomp.bats runs it with tests/seccomp-agent.
	jq --slurpfile f "$TEST_DIR/features.json" '
		($f[0].linux.seccomp) as $s
		| ["acct", "swapon", "swapoff", "reboot", "kexec_load", "vhangup", "syslog", "iopl", "ioperm"] as $calls
		| .linux.seccomp = {
			defaultAction: "SCMP_ACT_ALLOW",
			architectures: $s.archs,
			flags: $s.supportedFlags,
			syscalls: ([$s.actions | map(select(. != "SCMP_ACT_NOTIFY" and . != "SCMP_ACT_ALLOW")) | to_entries[]
					| {names: [$calls[.key]], action: .value}]
				+ [$s.operators[] | {names: ["personality"], action: "SCMP_ACT_ERRNO", errnoRet: 1,
					args: [{index: 0, value: 4294967295, valueTwo: 0, op: .}]}]
				+ [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 1}])}' \
		"$BUNDLE/config.json" >"$BUNDLE/c.json" && mv "$BUNDLE/c.json" "$BUNDLE/config.json"
	set_cmd 'grep "^Seccomp:" /proc/self/status; mkdir /tmp/x 2>/dev/null || echo mkdir-denied'
	run_ctr
	assert_success
	assert_contains "$(printf 'Seccomp:\t2')"
	assert_contains mkdir-denied
	[ "$(feat '.linux.seccomp.actions | length')" -eq 9 ] || fail "$(feat .linux.seccomp.actions)"
}

@test "features: what is reported disabled is refused with the field named" {
	set_args true
	local field expr
	for field in intelRdt netDevices; do
		case $field in
		intelRdt) expr='.linux.intelRdt = {closID: "x"}' ;;
		netDevices) expr='.linux.netDevices = {eth9: {name: "eth9"}}' ;;
		esac
		[ "$(feat ".linux.$field.enabled")" = false ] || continue
		cp "$BUNDLE/config.json" "$TEST_DIR/saved.json"
		update_config "$expr"
		run_ctr
		assert_failure
		assert_contains "linux.$field"
		assert_nothing_left
		cp "$TEST_DIR/saved.json" "$BUNDLE/config.json"
	done
	if [ "$(feat .linux.mountExtensions.idmap.enabled)" = false ]; then
		mkdir -p "$TEST_DIR/src"
		update_config ".mounts += [{destination: \"/idm\", type: \"bind\", source: \"$TEST_DIR/src\", options: [\"bind\", \"idmap\"], uidMappings: [{containerID: 0, hostID: 1000, size: 1}], gidMappings: [{containerID: 0, hostID: 1000, size: 1}]}]"
		run_ctr
		assert_failure
		assert_contains "mounts["
		assert_nothing_left
	fi
}

@test "features: idmapped mounts, when claimed, work" {
	[ "$(feat .linux.mountExtensions.idmap.enabled)" = true ] || skip "not claimed"
	mkdir -p "$TEST_DIR/src"
	touch "$TEST_DIR/src/f"
	update_config ".mounts += [{destination: \"/idm\", type: \"bind\", source: \"$TEST_DIR/src\", options: [\"bind\", \"idmap\"], uidMappings: [{containerID: 0, hostID: 1000, size: 1}], gidMappings: [{containerID: 0, hostID: 1000, size: 1}]}]"
	set_cmd 'stat -c %u /idm/f'
	run_ctr
	assert_success
	assert_output 1000
}

@test "features: every memoryPolicy mode listed is accepted" {
	[ -e /proc/self/numa_maps ] || skip "kernel without NUMA"
	set_args true
	local m nodes
	for m in $(feat '.linux.memoryPolicy.modes[]'); do
		nodes='"0"'
		case $m in MPOL_DEFAULT | MPOL_LOCAL) nodes='""' ;; esac
		update_config ".linux.memoryPolicy = {mode: \"$m\", nodes: $nodes}"
		run_ctr
		[ "$status" -eq 0 ] || fail "$m: $output"
	done
	# NUMA_BALANCING only goes with MPOL_BIND (and PREFERRED_MANY).
	for f in $(feat '.linux.memoryPolicy.flags[]'); do
		update_config ".linux.memoryPolicy = {mode: \"MPOL_BIND\", nodes: \"0\", flags: [\"$f\"]}"
		run_ctr
		[ "$status" -eq 0 ] || fail "$f: $output"
	done
}

@test "features: checkpoint is claimed, and the checkpoint and restore verbs answer" {
	[ "$(feat '.annotations["org.hako.checkpoint.enabled"]')" = true ] || fail "checkpoint annotation: $(feat .annotations)"
	# podman decides whether a runtime can checkpoint by
	# `RUNTIME checkpoint --help` exiting 0, and can restore into a pod by
	# `RUNTIME restore --lsm-mount-context` complaining of the missing value
	runtime checkpoint --help
	assert_success
	runtime restore --lsm-mount-context
	assert_failure
	assert_contains "flag needs an argument"
}
