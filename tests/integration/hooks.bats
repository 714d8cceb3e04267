#!/usr/bin/env bats
# OCI hooks: order, the state on stdin, where they run, failure semantics.

load helpers

# hook KIND: a hook entry appending "KIND <status from stdin> <mnt ns>" to
# $TEST_DIR/hooks.log.
hook() {
	jq -n -c --arg kind "$1" --arg log "$TEST_DIR/hooks.log" \
		'{path: "/bin/sh", args: ["sh", "-c", "read -r s; st=$(echo \"$s\" | sed -n \"s/.*\\\"status\\\":\\\"\\([a-z]*\\)\\\".*/\\1/p\"); echo \"$0 $st $(readlink /proc/self/ns/mnt)\" >> \($log)", $kind]}'
}

@test "hooks run in order, get the state on stdin, in the right namespaces" {
	local all=""
	for k in prestart createRuntime createContainer poststart poststop; do
		all="$all | .hooks.$k = [$(hook $k)]"
	done
	# startContainer runs after pivot_root: its path and its writes are the
	# container's.
	all="$all | .hooks.startContainer = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"readlink /proc/self/ns/mnt > /started\"]}]"
	update_config ". $all"
	set_args true
	run_ctr
	assert_success
	run cut -d' ' -f1 "$TEST_DIR/hooks.log"
	assert_output "$(printf 'prestart\ncreateRuntime\ncreateContainer\npoststart\npoststop')"
	[ -s "$BUNDLE/rootfs/started" ] || fail "startContainer hook did not run inside the container"
	local host_mnt
	host_mnt=$(readlink /proc/self/ns/mnt)
	# Runtime-namespace hooks see the host's mount namespace, container ones not.
	grep -qF "createRuntime creating $host_mnt" "$TEST_DIR/hooks.log" || fail "$(cat "$TEST_DIR/hooks.log")"
	grep -qF "poststop stopped $host_mnt" "$TEST_DIR/hooks.log" || fail "$(cat "$TEST_DIR/hooks.log")"
	grep "^createContainer" "$TEST_DIR/hooks.log" | grep -vqF "$host_mnt" || fail "createContainer ran in the host mount namespace"
	[ "$(cat "$BUNDLE/rootfs/started")" != "$host_mnt" ] || fail "startContainer ran in the host mount namespace"
}

@test "a failing createRuntime hook fails create and leaves nothing behind" {
	update_config '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo hook-broke >&2; exit 3"]}]'
	create_ctr
	assert_failure
	assert_nothing_left
	if [ "$RUNTIME_NAME" = hako ]; then
		# hako names the hook and keeps its stderr (the root cause).
		assert_contains "createRuntime hook #0"
		assert_contains "hook-broke"
	fi
}

@test "a hook past its timeout fails create" {
	update_config '.hooks.prestart = [{"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}]'
	create_ctr
	assert_failure
	[[ "$output" == *"timed out"* || "$output" == *"timeout"* ]] || fail "no timeout in: $output"
	assert_nothing_left
}

@test "a failing poststop hook is logged and delete still removes the container" {
	[ "$RUNTIME_NAME" = hako ] || skip "log wording differs between runtimes"
	update_config '.hooks.poststop = [{"path": "/bin/false", "args": ["false"]}]'
	set_args true
	create_ctr
	assert_success
	runtime start "$CID"
	wait_for_status "$CID" stopped
	runtime delete "$CID"
	assert_success
	assert_contains "poststop"
	[ "$(container_status "$CID")" = none ] || fail "container still there"
}
