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

# The Go runtime keeps SIGHUP and SIGINT ignored when hako's caller ignored
# them, and a child inherits that: the hooks hako ran did (runc's do not,
# its signal handler catches every signal).
@test "hooks start with SIGHUP and SIGINT at their default action when hako's caller ignores them" {
	local all="" k
	for k in prestart createRuntime createContainer poststart poststop; do
		all="$all | .hooks.$k = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"echo $k \$(grep SigIgn /proc/self/status) >> $TEST_DIR/hooks.log\"]}]"
	done
	update_config ". $all"
	set_args true
	status=0
	ignoring HUP INT -- env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" create --bundle "$BUNDLE" "$CID" \
		</dev/null >"$TEST_DIR/$CID.out" 2>&1 3>&- || status=$?
	assert_success
	ignoring HUP INT -- env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" start "$CID"
	wait_for_status "$CID" stopped
	ignoring HUP INT -- env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" delete "$CID"
	run cat "$TEST_DIR/hooks.log"
	local kinds="prestart createRuntime createContainer poststart"
	# runc's delete has no signal handler: its poststop hooks keep them
	[ "$RUNTIME_NAME" = runc ] || kinds="$kinds poststop"
	for k in $kinds; do
		grep "^$k " "$TEST_DIR/hooks.log" | cut -d' ' -f2- >"$TEST_DIR/$k.status"
		[ "$(ignored_among "$TEST_DIR/$k.status" 1 2)" = "" ] || fail "$k: $output"
	done
}

@test "a failing createRuntime hook fails create and leaves nothing behind" {
	update_config '.hooks.createRuntime = [{"path": "/bin/sh", "args": ["sh", "-c", "echo hook-broke >&2; exit 3"]}]'
	create_ctr
	assert_failure
	assert_nothing_left
	# runc's words; hako adds the hook's path. The stderr is the root cause.
	assert_contains "error running createRuntime hook #0"
	assert_contains "exit status 3"
	assert_contains "hook-broke"
}

@test "a failing hook is named by kind and index" {
	update_config '.hooks.prestart = [{"path": "/bin/true"}, {"path": "/bin/sh", "args": ["sh", "-c", "echo said-this; exit 4"]}]'
	create_ctr
	assert_failure
	assert_contains "error running prestart hook #1"
	assert_contains "exit status 4, stdout: said-this"
	assert_nothing_left
}

@test "a failing createContainer or startContainer hook is named" {
	update_config '.hooks.createContainer = [{"path": "/bin/false"}]'
	set_args true
	create_ctr
	assert_failure
	assert_contains "error running createContainer hook #0"
	assert_nothing_left
	update_config 'del(.hooks.createContainer) | .hooks.startContainer = [{"path": "/bin/true"}, {"path": "/bin/false"}]'
	runtime run -b "$BUNDLE" "$CID"
	assert_failure
	assert_contains "error running startContainer hook #1"
}

@test "a hook past its timeout fails create" {
	update_config '.hooks.prestart = [{"path": "/bin/sleep", "args": ["sleep", "10"], "timeout": 1}]'
	create_ctr
	assert_failure
	assert_contains "error running prestart hook #0"
	assert_contains "hook ran past specified timeout of 1.0s"
	assert_nothing_left
}

@test "a failing poststop hook fails delete, which still removes the container" {
	update_config '.hooks.poststop = [{"path": "/bin/false", "args": ["false"]}]'
	set_args true
	create_ctr
	assert_success
	runtime start "$CID"
	wait_for_status "$CID" stopped
	runtime delete "$CID"
	assert_failure
	assert_contains "error running poststop hook #0"
	[ "$(container_status "$CID")" = none ] || fail "container still there"
}

# dump_hook KIND: a host hook writing its cwd, environment and stdin to
# $TEST_DIR/KIND.
dump_hook() {
	jq -n -c --arg out "$TEST_DIR/$1" \
		'{path: "/bin/sh", args: ["sh", "-c", "{ echo cwd=$(pwd); env; cat; echo; } > \($out)"]}'
}

@test "hooks without env: runtime's environment on the host, none in createContainer, the process's in startContainer" {
	local k all=""
	for k in prestart createRuntime createContainer poststart poststop; do
		all="$all | .hooks.$k = [$(dump_hook $k)]"
	done
	all="$all | .hooks.startContainer = [{\"path\": \"/bin/sh\", \"args\": [\"sh\", \"-c\", \"{ env; cat; echo; } > /startContainer\"]}]"
	update_config ". $all | .process.env += [\"IN_PROCESS=1\"]"
	set_args true
	runtime run -b "$BUNDLE" "$CID"
	assert_success
	for k in prestart createRuntime poststart poststop; do
		grep -qx "$TAG_VAR=$TAG" "$TEST_DIR/$k" || fail "$k: no runtime env: $(cat "$TEST_DIR/$k")"
	done
	! grep -q "^$TAG_VAR=" "$TEST_DIR/createContainer" || fail "createContainer got an environment: $(cat "$TEST_DIR/createContainer")"
	grep -qx IN_PROCESS=1 "$BUNDLE/rootfs/startContainer" || fail "startContainer: $(cat "$BUNDLE/rootfs/startContainer")"
	# a hook's own env replaces the default
	update_config '.hooks.prestart[0].env = ["ONLY=1"]'
	runtime run -b "$BUNDLE" "$CID"
	assert_success
	! grep -q "^$TAG_VAR=" "$TEST_DIR/prestart" || fail "prestart env: $(cat "$TEST_DIR/prestart")"
	grep -qx ONLY=1 "$TEST_DIR/prestart" || fail "prestart env: $(cat "$TEST_DIR/prestart")"
}

@test "hooks run from the bundle, createContainer from the rootfs" {
	local k all=""
	for k in prestart createRuntime createContainer poststop; do
		all="$all | .hooks.$k = [$(dump_hook $k)]"
	done
	update_config ". $all"
	set_args true
	cd /
	runtime run -b "$BUNDLE" "$CID"
	assert_success
	for k in prestart createRuntime poststop; do
		grep -qx "cwd=$BUNDLE" "$TEST_DIR/$k" || fail "$k: $(head -1 "$TEST_DIR/$k")"
	done
	grep -qx "cwd=$BUNDLE/rootfs" "$TEST_DIR/createContainer" || fail "createContainer: $(head -1 "$TEST_DIR/createContainer")"
}

@test "createContainer and startContainer see the pid as the container does" {
	update_config ".hooks.createContainer = [$(dump_hook createContainer)]"
	update_config '.hooks.startContainer = [{"path": "/bin/sh", "args": ["sh", "-c", "cat > /startContainer"]}]'
	set_args true
	runtime run -b "$BUNDLE" "$CID"
	assert_success
	run jq -c '[.status, .pid]' <(tail -n 1 "$TEST_DIR/createContainer")
	assert_output '["creating",1]'
	run jq -c '[.status, .pid]' "$BUNDLE/rootfs/startContainer"
	assert_output '["created",1]'
}
