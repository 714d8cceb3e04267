#!/usr/bin/env bats
# events --stats: the document engines decode (runc's types.Event shape).

load helpers

@test "events --stats has the shape of runc's document" {
	set_args sleep 100
	run_detached
	assert_success
	runtime events --stats "$CID"
	assert_success
	local s=$output
	[ "$(jq -r .type <<<"$s")" = stats ] || fail "$s"
	[ "$(jq -r .id <<<"$s")" = "$CID" ] || fail "$s"
	# Always present, even when not collected: {} and null.
	jq -e '.data | has("intel_rdt") and has("network_interfaces")' <<<"$s" >/dev/null || fail "$s"
	# Not part of runc's document.
	jq -e '.data.memory | has("event_count") | not' <<<"$s" >/dev/null || fail "$s"
	jq -e '.data.cpu.usage.total > 0 and (.data.pids.current >= 1) and (.data.memory.usage.usage > 0)' <<<"$s" >/dev/null || fail "$s"
	if [ -e /sys/fs/cgroup/cpuacct/cpuacct.usage_all ]; then
		# v1: per-CPU user and system time, one entry per CPU.
		jq -e '(.data.cpu.usage.percpu_user | length) == (.data.cpu.usage.percpu | length) and (.data.cpu.usage.percpu_kernel | length) == (.data.cpu.usage.percpu | length)' <<<"$s" >/dev/null || fail "$s"
	fi
}
