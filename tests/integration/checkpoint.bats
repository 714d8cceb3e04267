#!/usr/bin/env bats
# checkpoint and restore through CRIU, on the host. CRIU 3.17 cannot dump
# on this machine's kernel (it fails its own vDSO checks), so here only
# what does not need a dump is tested: arguments refused before CRIU runs,
# a clear error carrying CRIU's log lines when CRIU refuses, the container
# left running after a failed checkpoint, nothing left after a failed
# restore. The round trips (dump, then restore) run in the vm-run guest
# (Debian's 6.1 kernel): tests/vm/checkpoint.sh.

load helpers

setup_file() {
	common_setup_file
	# a criu stand-in that says it is version 2.9
	(cd "$REPO_ROOT" && go build -o "$FILE_DIR/oldcriu" ./tests/cmd/oldcriu)
}

setup() {
	common_setup
	set_args sleep 1000
}

criu_can_dump() {
	command -v criu >/dev/null && criu check >/dev/null 2>&1
}

still_running() {
	[ "$(container_status "$CID")" = running ] || fail "the container is $(container_status "$CID"), not running"
	runtime exec "$CID" true
	assert_success
}

@test "checkpoint: bad arguments are refused before CRIU runs; the container keeps running" {
	run_detached
	assert_success
	local img="$TEST_DIR/img"
	runtime checkpoint --image-path "$img" --parent-path /abs "$CID"
	assert_failure
	assert_contains "--parent-path must be relative"
	runtime checkpoint --image-path "$img" --manage-cgroups-mode bogus "$CID"
	assert_failure
	assert_contains "manage-cgroups-mode"
	# runc makes the image directory first and leaves it behind (runc bug)
	[ "$RUNTIME_NAME" = runc ] || [ ! -e "$img" ] || fail "an image directory was made for a refused checkpoint"
	still_running
	runtime checkpoint --image-path "$img" nosuch
	assert_failure
	assert_contains "container does not exist"
}

@test "checkpoint: hako names what is wrong with --parent-path, --empty-ns, --lazy-pages and --page-server" {
	skip_if_runtime runc "passes some of these to CRIU, which then fails its own way"
	run_detached
	assert_success
	local img="$TEST_DIR/img"
	runtime checkpoint --image-path "$img" --parent-path missing "$CID"
	assert_failure
	assert_contains "--parent-path missing: no such directory"
	runtime checkpoint --image-path "$img" --empty-ns pid "$CID"
	assert_failure
	assert_contains "--empty-ns"
	runtime checkpoint --image-path "$img" --lazy-pages "$CID"
	assert_failure
	assert_contains "--lazy-pages needs"
	runtime checkpoint --image-path "$img" --page-server nowhere "$CID"
	assert_failure
	assert_contains "--page-server"
	[ ! -e "$img" ]
	still_running
}

@test "checkpoint --status-fd that is not open for writing is refused before CRIU runs" {
	skip_if_runtime runc "checks the fd only after CRIU's feature check, which fails on this host's kernel (in the guest runc says 'invalid --status-fd argument 99')"
	requires criu
	run_detached
	assert_success
	# not refused, a lazy dump would wait for a restorer nobody told
	runtime checkpoint --image-path "$TEST_DIR/img" --lazy-pages --status-fd 99 "$CID"
	assert_failure
	assert_contains "status-fd"
	assert_contains "bad file descriptor"
	still_running
}

@test "checkpoint without CRIU fails clearly and the container keeps running" {
	skip_if_runtime runc "has no --criu flag since 1.5 (it finds criu in PATH)"
	run_detached
	assert_success
	runtime --criu /nonexistent/criu checkpoint --image-path "$TEST_DIR/img" "$CID"
	assert_failure
	assert_match "/nonexistent/criu"
	still_running
}

@test "checkpoint of a container that is not running is refused" {
	create_ctr
	assert_success
	runtime checkpoint --image-path "$TEST_DIR/img" "$CID"
	assert_failure
	assert_contains -i "container cannot be checkpointed in created state"
	runtime start "$CID"
	assert_success
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	runtime checkpoint --image-path "$TEST_DIR/img" "$CID"
	assert_failure
	assert_contains -i "container cannot be checkpointed in stopped state"
}

@test "checkpoint CRIU refuses: its log lines in the error, the container keeps running" {
	requires criu
	criu_can_dump && skip "CRIU can dump on this kernel: this test is for one where it cannot"
	run_detached
	assert_success
	runtime checkpoint --image-path "$TEST_DIR/img" "$CID"
	assert_failure
	assert_contains "criu failed"
	# CRIU's own reason, quoted from its log
	assert_contains "Error (criu/"
	[ -f "$TEST_DIR/img/dump.log" ]
	still_running
	runtime checkpoint --image-path "$TEST_DIR/img2" --pre-dump "$CID"
	assert_failure
	still_running
}

# fake_image DIR: a directory that looks like a checkpoint to the checks
# before CRIU (inventory.img, descriptors.json) but is no image CRIU can
# restore.
fake_image() {
	mkdir -p "$1"
	printf 'not an image' >"$1/inventory.img"
	echo '["/dev/null","/dev/null","/dev/null"]' >"$1/descriptors.json"
}

assert_no_criu_root() {
	! grep -q "/criu-root " /proc/self/mountinfo || fail "a criu-root mount is left: $(grep criu-root /proc/self/mountinfo)"
}

@test "restore: bad arguments are refused before CRIU runs; nothing is left" {
	runtime restore -d --image-path "$TEST_DIR/nosuch" -b "$BUNDLE" "$CID"
	assert_failure
	assert_contains "nosuch"
	assert_nothing_left
	mkdir "$TEST_DIR/empty"
	runtime restore -d --image-path "$TEST_DIR/empty" -b "$BUNDLE" "$CID"
	assert_failure
	# hako: "no checkpoint there: ... inventory.img"; runc names the
	# first file it misses, descriptors.json
	assert_match "inventory.img|descriptors.json"
	assert_nothing_left
	fake_image "$TEST_DIR/img"
	runtime restore -d --image-path "$TEST_DIR/img" --manage-cgroups-mode bogus -b "$BUNDLE" "$CID"
	assert_failure
	assert_contains "manage-cgroups-mode"
	assert_nothing_left
	runtime restore -d --image-path "$TEST_DIR/img" -b "$TEST_DIR/nobundle" "$CID"
	assert_failure
	assert_contains "nobundle"
	assert_nothing_left
	assert_no_criu_root
}

@test "restore: hako names what is wrong with --lsm-profile and --empty-ns" {
	skip_if_runtime runc "passes these to CRIU, which then fails its own way"
	fake_image "$TEST_DIR/img"
	runtime restore -d --image-path "$TEST_DIR/img" --lsm-profile nolsmtype -b "$BUNDLE" "$CID"
	assert_failure
	assert_contains "--lsm-profile"
	runtime restore -d --image-path "$TEST_DIR/img" --empty-ns ipc -b "$BUNDLE" "$CID"
	assert_failure
	assert_contains "--empty-ns"
	assert_nothing_left
}

@test "restore of an image CRIU cannot read fails with CRIU's log; nothing is left" {
	requires criu
	fake_image "$TEST_DIR/img"
	runtime restore -d --image-path "$TEST_DIR/img" -b "$BUNDLE" "$CID"
	assert_failure
	# runc logs CRIU's lines as warnings before its error; hako quotes
	# them in the error itself
	assert_contains "restore.log"
	assert_contains "Error ("
	assert_nothing_left
	assert_no_criu_root
}

@test "restore under the ID of an existing container is refused; that container is untouched" {
	run_detached
	assert_success
	fake_image "$TEST_DIR/img"
	runtime restore -d --image-path "$TEST_DIR/img" -b "$BUNDLE" "$CID"
	assert_failure
	assert_contains -i "exist"
	still_running
	assert_no_criu_root
}

@test "restore in the foreground that fails leaves nothing either" {
	requires criu
	fake_image "$TEST_DIR/img"
	runtime restore --image-path "$TEST_DIR/img" -b "$BUNDLE" "$CID" </dev/null
	assert_failure
	assert_contains "restore.log"
	assert_nothing_left
	assert_no_criu_root
}

@test "a CRIU older than 3.0 is refused, naming its version; nothing dumped or made" {
	skip_if_runtime runc "has no --criu flag since 1.5 (it finds criu in PATH)"
	run_detached
	assert_success
	runtime --criu "$FILE_DIR/oldcriu" checkpoint --image-path "$TEST_DIR/img" "$CID"
	assert_failure
	assert_contains "version 2.9.0; at least 3.0 is needed"
	still_running
	fake_image "$TEST_DIR/img2"
	runtime --criu "$FILE_DIR/oldcriu" restore -d --image-path "$TEST_DIR/img2" -b "$BUNDLE" other
	assert_failure
	assert_contains "version 2.9.0"
	assert_nothing_left other
}

@test "delete after a restore killed half-way detaches its bind of the rootfs and never empties the rootfs" {
	skip_if_runtime runc "keeps its criu-root elsewhere in its state layout"
	# what a restore killed after binding the rootfs leaves: a state
	# directory without state.json, the rootfs bound at criu-root
	mkdir -p "$ROOT/$CID/criu-root"
	mount --bind "$BUNDLE/rootfs" "$ROOT/$CID/criu-root"
	EXTRA_CLEANUP+=("umount -l $ROOT/$CID/criu-root")
	local before
	before=$(find "$BUNDLE/rootfs" | wc -l)
	runtime delete -f "$CID"
	assert_success
	[ ! -e "$ROOT/$CID" ] || fail "state dir left: $(ls -la "$ROOT/$CID")"
	[ "$(find "$BUNDLE/rootfs" | wc -l)" = "$before" ] || fail "the rootfs lost files"
	[ -x "$BUNDLE/rootfs/bin/sh" ] || fail "the rootfs lost /bin/sh"
	assert_no_criu_root
}
