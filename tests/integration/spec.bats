#!/usr/bin/env bats
# spec: a default config.json.

load helpers

@test "spec writes a valid default config.json in the current directory" {
	cd "$TEST_DIR"
	mkdir s && cd s
	runtime spec
	assert_success
	[ -f config.json ]
	jq -e . config.json >/dev/null
	[[ "$(jq -r .ociVersion config.json)" == 1.* ]]
	[ "$(jq -r .root.path config.json)" = rootfs ]
	[ "$(jq -r '.process.args[0]' config.json)" = sh ]
	[ "$(jq -r '.linux.namespaces | map(.type) | sort | join(",")' config.json)" = "ipc,mount,network,pid,uts" ]
	[ "$(jq -r '.process.user.uid' config.json)" = 0 ]
	[ "$(jq '[.mounts[].destination] | index("/proc") != null' config.json)" = true ]
}

@test "spec -b writes into the bundle directory" {
	mkdir "$TEST_DIR/other"
	runtime spec -b "$TEST_DIR/other"
	assert_success
	jq -e . "$TEST_DIR/other/config.json" >/dev/null
	mkdir "$TEST_DIR/other2"
	cd "$TEST_DIR"
	runtime spec --bundle "$TEST_DIR/other2"
	assert_success
	jq -e . "$TEST_DIR/other2/config.json" >/dev/null
	[ ! -e "$TEST_DIR/config.json" ]
}

@test "spec refuses to overwrite an existing config.json" {
	cd "$BUNDLE"
	cp config.json before.json
	runtime spec
	assert_failure
	assert_contains "exists"
	cmp config.json before.json
}

@test "spec --rootless maps the caller's ids in a user namespace" {
	cd "$TEST_DIR"
	mkdir r && cd r
	runtime spec --rootless
	assert_success
	jq -e '.linux.namespaces | map(.type) | index("user") != null' config.json
	[ "$(jq -r '.linux.uidMappings[0].hostID' config.json)" = "$(id -u)" ]
	[ "$(jq -r '.linux.gidMappings[0].hostID' config.json)" = "$(id -g)" ]
	[ "$(jq -r '.linux.uidMappings[0].containerID' config.json)" = 0 ]
	# a rootless container cannot make a network namespace it could use
	jq -e '.linux.namespaces | map(.type) | index("network") == null' config.json
	# as runc: /sys bound from the host, read-only; no uid=/gid= options
	# (devpts' gid=5 is not mapped); /sys/fs/cgroup kept; no resources
	[ "$(jq -c '.mounts[] | select(.destination == "/sys") | [.type, .source, .options]' config.json)" = '["none","/sys",["rbind","nosuid","noexec","nodev","ro"]]' ]
	[ "$(jq '[.mounts[].options[]? | select(startswith("uid=") or startswith("gid="))] | length' config.json)" = 0 ]
	jq -e '.mounts | map(.destination) | index("/sys/fs/cgroup") != null' config.json
	jq -e '.linux.resources == null' config.json
}

@test "the spec config runs the mkbundle rootfs out of the box" {
	mkdir "$TEST_DIR/b"
	"$INTEGRATION_DIR/mkbundle.sh" "$TEST_DIR/b"
	runtime spec -b "$TEST_DIR/b"
	assert_success
	update_config '.process.terminal = false | .process.args = ["sh", "-c", "echo inside $(hostname)"]' "$TEST_DIR/b"
	runtime run -b "$TEST_DIR/b" "$CID"
	assert_success
	assert_contains "inside"
}
