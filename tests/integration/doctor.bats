#!/usr/bin/env bats
# `doctor`: the host report (docs/doctor.md). It succeeds here, agrees with
# what the host is, has the documented JSON shape, refuses a bad --format
# in one line, works for an unprivileged user (rootless facts), and leaves
# nothing behind: no file, mount, cgroup, process or state root.

load helpers

setup_file() {
	common_setup_file
	[ "$RUNTIME_NAME" = runc ] && return 0
	make_test_user
}

teardown_file() {
	remove_test_user
	common_teardown_file
}

setup() {
	common_setup
	skip_if_runtime runc "runc has no doctor verb"
	skip_if_runtime crun "crun has no doctor verb"
}

# host_cgroup_mode: what /sys/fs/cgroup is, independently of hako.
host_cgroup_mode() {
	if [ -e /sys/fs/cgroup/cgroup.controllers ]; then
		echo unified
	elif [ -e /sys/fs/cgroup/unified/cgroup.controllers ]; then
		echo hybrid
	else
		echo legacy
	fi
}

# item NAME FIELD: a field of an item of the JSON report in $output.
item() { jq -r --arg n "$1" ".items[] | select(.name == \$n) | .$2" <<<"$output"; }

@test "doctor: succeeds, one line per item, the host's cgroup mode named" {
	runtime doctor
	assert_success
	local mode
	mode=$(host_cgroup_mode)
	assert_match "cgroup-mode\*? +$mode"
	[ "$mode" != hybrid ] || assert_contains "cgroup2 (no controllers) at /sys/fs/cgroup/unified"
	# Every item line is "  VERDICT  NAME  DETAIL"; a hint follows every
	# item that is not ok, and only those.
	local prev= line n=0
	while IFS= read -r line; do
		if [[ $line =~ ^\ \ (ok|info|warn|fail)\ +[a-z0-9-]+\*?\ +[^\ ] ]]; then
			n=$((n + 1))
			prev=${BASH_REMATCH[1]}
		elif [[ $line =~ ^\ +hint:\ [^\ ] ]]; then
			[ "$prev" != ok ] && [ -n "$prev" ] || fail "hint after a $prev item: $line"
			prev=
		elif [[ -n $prev && $prev != ok ]]; then
			fail "no hint after a $prev item, got: $line"
		fi
	done <<<"$output"
	[ "$n" -ge 20 ] || fail "only $n items"
	[[ ${lines[-1]} == *"(* essential). Containers can run here"* ]] || fail "last line: ${lines[-1]}"
}

@test "doctor --format json: valid, every item named and judged, a hint unless ok" {
	runtime doctor --format json
	assert_success
	jq -e . <<<"$output" >/dev/null || fail "not JSON: $output"
	[ "$(jq -r '.ready' <<<"$output")" = true ] || fail "ready: $(jq .ready <<<"$output")"
	[ "$(jq -c '.failed' <<<"$output")" = "[]" ] || fail "failed: $(jq -c .failed <<<"$output")"
	# Each item has exactly the documented fields, a known verdict, and a
	# hint exactly when it is not ok.
	local bad
	bad=$(jq -c '.items[] | select(
		(keys != ["detail","essential","group","hint","name","verdict"])
		or (.name | test("^[a-z0-9-]+$") | not)
		or ([.verdict] | inside(["ok","info","warn","fail"]) | not)
		or ((.verdict == "ok") != (.hint == ""))
		or (.detail == ""))' <<<"$output")
	[ -z "$bad" ] || fail "bad items: $bad"
	# The summary counts the items.
	[ "$(jq '.summary | .ok + .info + .warn + .fail' <<<"$output")" = "$(jq '.items | length' <<<"$output")" ] ||
		fail "summary $(jq -c .summary <<<"$output")"
	local n
	for n in kernel cgroup-mode cgroup-controllers freezer systemd user-namespaces id-map-helpers subordinate-ids \
		idmapped-mounts time-namespace pidfd clone3 seccomp seccomp-flags apparmor selinux binary-protection criu state-root; do
		[ -n "$(item "$n" verdict)" ] || fail "no item $n"
	done
	[[ $(item cgroup-mode detail) == "$(host_cgroup_mode)"* ]] || fail "cgroup-mode: $(item cgroup-mode detail)"
	# What the host has, as root.
	[ "$(item privileges verdict)" = ok ] || fail "privileges: $(item privileges detail)"
	[[ $(item seccomp detail) == *"libseccomp 2."* ]] || fail "seccomp: $(item seccomp detail)"
	[[ $(item seccomp-flags detail) == *SECCOMP_FILTER_FLAG_TSYNC* ]] || fail "seccomp-flags: $(item seccomp-flags detail)"
	[ "$(item user-namespaces verdict)" = ok ] || fail "user-namespaces: $(item user-namespaces detail)"
	[[ $(item idmapped-mounts detail) == "detached tmpfs: yes"* ]] || fail "idmapped-mounts: $(item idmapped-mounts detail)"
	if command -v criu >/dev/null; then
		[[ $(item criu detail) == "criu $(criu --version | sed -n 's/^Version: //p')"* ]] || fail "criu: $(item criu detail)"
	else
		[ "$(item criu verdict)" = warn ] || fail "criu without criu: $(item criu verdict)"
	fi
	# -f is the short form, and the text report has the same items.
	local json=$output
	runtime doctor -f json
	assert_success
	[ "$(jq -c '[.items[] | [.name, .verdict]]' <<<"$output")" = "$(jq -c '[.items[] | [.name, .verdict]]' <<<"$json")" ] ||
		fail "-f json differs"
	runtime doctor -f text
	assert_success
	[ "$(grep -cE '^  (ok|info|warn|fail) ' <<<"$output")" = "$(jq '.items | length' <<<"$json")" ] || fail "text has another item count"
}

@test "doctor: a bad --format or an argument fails in one line naming it" {
	runtime doctor --format yaml
	assert_failure
	[ "${#lines[@]}" -eq 1 ] || fail "not one line: $output"
	assert_contains "--format"
	assert_contains yaml
	runtime doctor -f xml
	assert_failure
	[ "${#lines[@]}" -eq 1 ] || fail "not one line: $output"
	assert_contains "--format"
	runtime doctor extra
	assert_failure
	assert_contains "doctor"
}

@test "doctor: an essential failure exits 1 and says which" {
	# A state root under a regular file can never be made.
	touch "$TEST_DIR/file"
	run "$RUNTIME" --root "$TEST_DIR/file/state" doctor -f json
	assert_status 1
	[ "$(jq -r '.ready' <<<"$output")" = false ] || fail "ready: $output"
	[ "$(jq -c '.failed' <<<"$output")" = '["state-root"]' ] || fail "failed: $(jq -c .failed <<<"$output")"
	run "$RUNTIME" --root "$TEST_DIR/file/state" doctor
	assert_status 1
	assert_contains "No container can start here: state-root failed."
	# --systemd-cgroup on a host where that driver cannot work.
	if [ ! -d /run/systemd/system ] || [ "$(host_cgroup_mode)" != unified ]; then
		runtime --systemd-cgroup doctor -f json
		assert_status 1
		[ "$(jq -c '.failed' <<<"$output")" = '["systemd"]' ] || fail "failed: $(jq -c .failed <<<"$output")"
	fi
}

@test "doctor: as an unprivileged user, rootless facts" {
	RL_UID=$(id -u "$RL_USER")
	XDG="$TEST_DIR/xdg"
	mkdir -p "$XDG"
	chown "$RL_USER:" "$XDG"
	chmod 0700 "$XDG"
	run as_user "$FILE_DIR/rt" doctor --format json
	assert_success
	jq -e . <<<"$output" >/dev/null || fail "not JSON: $output"
	[[ $(item privileges detail) == "uid $RL_UID ($RL_USER), not root"* ]] || fail "privileges: $(item privileges detail)"
	[ "$(item privileges verdict)" = info ] || fail "privileges verdict $(item privileges verdict)"
	# The default root of a user, under XDG_RUNTIME_DIR, is not made.
	[[ $(item state-root detail) == "$XDG/"*"does not exist yet"* ]] || fail "state-root: $(item state-root detail)"
	[ "$(item state-root verdict)" != fail ] || fail "state-root failed: $(item state-root detail)"
	[ ! -e "$XDG/$RUNTIME_NAME" ] || fail "doctor made the state root"
	# Its own subordinate ranges, user namespaces essential, what needs root said.
	[[ $(item subordinate-ids detail) == *"$RL_SUBID:65536"* ]] || fail "subordinate-ids: $(item subordinate-ids detail)"
	[ "$(item user-namespaces essential)" = true ] || fail "user-namespaces not essential for a user"
	[ "$(item user-namespaces verdict)" = ok ] || fail "user-namespaces: $(item user-namespaces detail)"
	[[ $(item idmapped-mounts detail) == "not probed (needs root"* ]] || fail "idmapped-mounts: $(item idmapped-mounts detail)"
	[ "$(item cgroup-mode essential)" = false ] || fail "cgroup-mode essential for a rootless user"
	[[ $(item binary-protection detail) == *"sealed memfd"* ]] || fail "binary-protection: $(item binary-protection detail)"
	if command -v criu >/dev/null; then
		[[ $(item criu hint) == *"need root"* ]] || fail "criu: $(item criu hint)"
	fi
	run as_user "$FILE_DIR/rt" doctor
	assert_success
	assert_contains "not root: rootless mode"
}

@test "doctor: nothing left behind (files, mounts, cgroups, processes, state root)" {
	snapshot() {
		ls -A /tmp | grep -v '^go-build' | sort
		echo ---
		cat /proc/self/mountinfo
		echo ---
		find /sys/fs/cgroup -mindepth 1 -maxdepth 3 -type d 2>/dev/null | sort
	}
	local before after
	before=$(snapshot)
	mkdir "$TEST_DIR/tmp"
	TMPDIR="$TEST_DIR/tmp" runtime doctor
	assert_success
	TMPDIR="$TEST_DIR/tmp" runtime doctor -f json
	assert_success
	after=$(snapshot)
	[ "$before" = "$after" ] || fail "changed: $(diff <(echo "$before") <(echo "$after"))"
	[ -z "$(ls -A "$TEST_DIR/tmp")" ] || fail "files in TMPDIR: $(ls -A "$TEST_DIR/tmp")"
	[ ! -e "$ROOT" ] || fail "doctor made the state root $ROOT"
	! pgrep -f -- __userns-hold >/dev/null || fail "a probe's child is left: $(pgrep -af -- __userns-hold)"
	# Quick: well under a second here.
	local t0 t1
	t0=$(date +%s%N)
	"$RUNTIME" --root "$ROOT" doctor >/dev/null
	t1=$(date +%s%N)
	[ $(((t1 - t0) / 1000000)) -lt 1000 ] || fail "took $(((t1 - t0) / 1000000)) ms"
}
