#!/usr/bin/env bats
# Bad input: one clear error, a non-zero exit, and nothing left behind (no
# state dir, no cgroup, no mount referencing the bundle, no process).

load helpers

# fails_cleanly [TEXT...]: the last runtime call failed, its output holds
# every TEXT (case-insensitive), and nothing is left of $CID.
fails_cleanly() {
	assert_failure
	local t
	for t in "$@"; do
		assert_contains -i "$t"
	done
	assert_nothing_left
}


@test "malformed config.json: truncated JSON" {
	head -c 100 "$BUNDLE/config.json" >"$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
	create_ctr
	fails_cleanly
}

@test "malformed config.json: the error gives line and column" {
	skip_if_runtime runc "runc 1.1 reports only the decoder error (unexpected EOF), without position"
	printf '{\n  "ociVersion": "1.0.2",\n  "process": {,\n}\n' >"$BUNDLE/config.json"
	create_ctr
	fails_cleanly
	assert_match '(line|:)[ ]?3'
}

@test "malformed config.json: a field of the wrong type is named" {
	update_config '.process.args = "not-an-array"'
	create_ctr
	fails_cleanly "args"
}

@test "missing config.json" {
	rm "$BUNDLE/config.json"
	create_ctr
	fails_cleanly "config.json"
}

@test "unsupported ociVersion" {
	skip_if_runtime runc "runc 1.1 does not check ociVersion"
	update_config '.ociVersion = "0.1.0"'
	set_args true
	create_ctr
	fails_cleanly "ociVersion"
	update_config '.ociVersion = "2.0.0"'
	create_ctr
	fails_cleanly "ociVersion"
}

@test "missing rootfs" {
	update_config '.root.path = "no-such-rootfs"'
	set_args true
	create_ctr
	fails_cleanly "rootfs"
}

@test "a rootfs reached through a symlink is refused, a symlinked bundle is fine" {
	set_args true
	mv "$BUNDLE/rootfs" "$TEST_DIR/realroot"
	ln -s "$TEST_DIR/realroot" "$BUNDLE/rootfs"
	create_ctr
	fails_cleanly "rootfs"
	# The same tree named by its real path works.
	update_config '.root.path = "'"$TEST_DIR/realroot"'"'
	run_ctr
	assert_success
	# A symlink on the way to the bundle is not part of root.path.
	rm "$BUNDLE/rootfs" && mv "$TEST_DIR/realroot" "$BUNDLE/rootfs"
	update_config '.root.path = "rootfs"'
	ln -s "$BUNDLE" "$TEST_DIR/bundle-link"
	runtime run --bundle "$TEST_DIR/bundle-link" "$CID"
	assert_success
}

@test "missing process" {
	update_config 'del(.process)'
	create_ctr
	fails_cleanly "process"
}

@test "bad container id: .." {
	set_args true
	create_ctr ..
	fails_cleanly
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
}

@test "bad container id: a/b" {
	set_args true
	runtime_bg "$TEST_DIR/out" create --bundle "$BUNDLE" a/b
	fails_cleanly
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
}

@test "bad container id: ../escape" {
	set_args true
	runtime_bg "$TEST_DIR/out" create --bundle "$BUNDLE" ../hb-escape
	fails_cleanly
	[ ! -e "$TEST_DIR/hb-escape" ]
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
}

@test "bad container id: empty" {
	set_args true
	runtime_bg "$TEST_DIR/out" create --bundle "$BUNDLE" ""
	fails_cleanly
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
}

@test "bad container id: over-long" {
	set_args true
	long=$(printf 'a%.0s' $(seq 1100))
	runtime_bg "$TEST_DIR/out" create --bundle "$BUNDLE" "$long"
	fails_cleanly
	[ -z "$(ls -A "$ROOT" 2>/dev/null)" ]
	[ -z "$(cgroup_dirs "$long")" ]
}

@test "duplicate container id" {
	set_args sleep 100
	create_ctr
	assert_success
	pid=$(container_pid "$CID")
	create_ctr
	assert_failure
	assert_contains "already exists"
	# the first one is untouched
	[ "$(container_status "$CID")" = created ]
	[ "$(container_pid "$CID")" = "$pid" ]
	[ "$(ls "$ROOT")" = "$CID" ]
}

@test "mount with an unknown option" {
	update_config '.mounts += [{"destination": "/hb-bogus", "type": "tmpfs", "source": "tmpfs", "options": ["hbbogus=1"]}]'
	set_args true
	create_ctr
	fails_cleanly "/hb-bogus" "invalid argument"
}

@test "mount of a source that does not exist" {
	update_config ".mounts += [{\"destination\": \"/hb-src\", \"type\": \"bind\", \"source\": \"$TEST_DIR/no-such-source\", \"options\": [\"bind\"]}]"
	set_args true
	create_ctr
	fails_cleanly "no-such-source" "no such file or directory"
}

@test "process not found" {
	set_args /hb-no-such-binary
	run_ctr
	fails_cleanly "no such file or directory"
}

@test "process not found in PATH" {
	set_args hb-no-such-command
	run_ctr
	fails_cleanly 'executable file not found in $PATH'
}

@test "start of a stopped container" {
	set_args true
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" stopped
	runtime start "$CID"
	assert_failure
	assert_contains stopped
	[ "$(container_status "$CID")" = stopped ]
	runtime delete "$CID"
	assert_success
	assert_nothing_left
}

@test "delete of a running container without --force" {
	set_args sleep 100
	create_ctr
	assert_success
	runtime start "$CID"
	assert_success
	runtime delete "$CID"
	assert_failure
	assert_match "running|not stopped"
	[ "$(container_status "$CID")" = running ]
	kill -0 "$(container_pid "$CID")"
	[ -d "$ROOT/$CID" ]
}

@test "operations on a container that does not exist" {
	mkdir -p "$ROOT"
	for v in state start kill delete; do
		runtime "$v" hb-nonexistent
		assert_failure
		assert_contains "does not exist"
	done
	[ -z "$(ls -A "$ROOT")" ]
}

@test "bundle that does not exist" {
	runtime_bg "$TEST_DIR/out" create --bundle "$TEST_DIR/no-such-bundle" "$CID"
	fails_cleanly "no such file or directory"
}
