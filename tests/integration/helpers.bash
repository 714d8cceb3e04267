#!/bin/bash
# Shared helpers for the runtime-agnostic bats suite.
#
# RUNTIME is the runtime binary under test: $REPO_ROOT/hako by default; point it
# at runc or crun (RUNTIME=runc bats tests/integration) to check the suite.
#
# Every test gets:
#   $ROOT    a private state root, passed as --root by the `runtime` wrapper
#   $BUNDLE  a bundle: rootfs (copied from a rootfs built once per file) and a
#            config.json from `$RUNTIME spec`, made non-interactive
#   $CID     a container id unique to this test
# and a teardown that kills and force-deletes every container of $ROOT, kills
# any process the test left (found by a tag in its environment), unmounts
# whatever is still mounted under the test's directory, removes cgroups named
# after $CID, and removes the directory, even when the test failed.

# From this file, not the test file: tests/integration/security/*.bats load it too.
REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
INTEGRATION_DIR="$REPO_ROOT/tests/integration"
RUNTIME=${RUNTIME:-$REPO_ROOT/hako}
if [[ "$RUNTIME" != */* ]]; then
	RUNTIME=$(command -v "$RUNTIME" || echo "$RUNTIME")
fi
RUNTIME_NAME=$(basename "$RUNTIME")
# Environment variable that marks every process the runtime starts for a test.
TAG_VAR=HAKO_BATS_TAG

# ---------------------------------------------------------------------------
# per-file and per-test setup

# setup_file: build the shared rootfs once per .bats file.
setup_file() {
	common_setup_file
}

common_setup_file() {
	if [ ! -x "$RUNTIME" ]; then
		echo "runtime binary $RUNTIME not found or not executable (set RUNTIME=...)" >&2
		return 1
	fi
	# /tmp/hako-bats.* and not $BATS_FILE_TMPDIR: bats makes its dirs 0700,
	# which a container in a user namespace (host uid 100000) cannot traverse.
	FILE_DIR=$(mktemp -d /tmp/hako-bats.XXXXXX)
	chmod 0755 "$FILE_DIR"
	export FILE_DIR
	"$INTEGRATION_DIR/mkbundle.sh" "$FILE_DIR/image" >/dev/null
	# A template config: what `$RUNTIME spec` writes, made usable without a tty
	# and with a writable rootfs (tests that want it read-only say so).
	(cd "$FILE_DIR/image" && rm -f config.json && "$RUNTIME" spec) || {
		echo "$RUNTIME spec failed" >&2
		return 1
	}
	jq '.process.terminal = false | .root.readonly = false' "$FILE_DIR/image/config.json" >"$FILE_DIR/config.json"
}

teardown_file() {
	common_teardown_file
}

common_teardown_file() {
	[ -n "${FILE_DIR:-}" ] && [ -d "$FILE_DIR" ] || return 0
	umount_under "$FILE_DIR"
	rm -rf "$FILE_DIR"
}

setup() {
	common_setup
}

common_setup() {
	TEST_DIR="$FILE_DIR/t$BATS_TEST_NUMBER"
	rm -rf "$TEST_DIR"
	mkdir -p "$TEST_DIR"
	chmod 0755 "$TEST_DIR"
	ROOT="$TEST_DIR/state"
	BUNDLE="$TEST_DIR/bundle"
	CID="hb${BATS_TEST_NUMBER}-${FILE_DIR##*.}"
	TAG="$CID"
	mkdir -p "$BUNDLE"
	cp -a "$FILE_DIR/image/rootfs" "$BUNDLE/rootfs"
	cp "$FILE_DIR/config.json" "$BUNDLE/config.json"
	# Tag the container process so that a leftover is easy to find.
	update_config '.process.env += ["'"$TAG_VAR=$TAG"'"]'
	EXTRA_IDS=()
	EXTRA_CLEANUP=()
}

teardown() {
	common_teardown
}

common_teardown() {
	[ -n "${TEST_DIR:-}" ] || return 0
	local id
	for id in $(list_ids) "$CID" "${EXTRA_IDS[@]}"; do
		"$RUNTIME" --root "$ROOT" kill "$id" KILL >/dev/null 2>&1
		"$RUNTIME" --root "$ROOT" delete -f "$id" >/dev/null 2>&1
	done
	kill_tagged
	local cmd
	for cmd in "${EXTRA_CLEANUP[@]}"; do
		eval "$cmd" >/dev/null 2>&1 || true
	done
	umount_under "$TEST_DIR"
	remove_cgroups "$CID" "${EXTRA_IDS[@]}"
	rm -rf "$TEST_DIR"
}

# Ids of the containers in $ROOT, from the runtime or, if it cannot say, from
# the directories of the root.
list_ids() {
	local ids
	if ids=$("$RUNTIME" --root "$ROOT" list -q 2>/dev/null); then
		echo "$ids"
	fi
	if [ -d "$ROOT" ]; then
		find "$ROOT" -mindepth 1 -maxdepth 1 -type d -printf '%f\n'
	fi
}

# Pids of processes whose environment carries this test's tag.
# One grep over every environ (NUL-separated entries): a tr and a grep per
# process cost ~2 s a call, in every teardown.
tagged_pids() {
	# `|| true`: none found is no failure (callers assign it under set -e).
	grep -lzx -- "$TAG_VAR=$TAG" /proc/[0-9]*/environ 2>/dev/null | cut -d/ -f3 | grep -vx "$$" || true
}

# assert_no_tagged: within 5 s, no process of this test is left (the
# kernel reaps SIGKILLed processes asynchronously).
assert_no_tagged() {
	local i
	for ((i = 0; i < 100; i++)); do
		[ -z "$(tagged_pids)" ] && return 0
		sleep 0.05
	done
	fail "processes left: $(tagged_pids)"
}

kill_tagged() {
	local pids i
	for i in 1 2 3 4 5; do
		pids=$(tagged_pids)
		[ -z "$pids" ] && return 0
		kill -9 $pids 2>/dev/null
		sleep 0.1
	done
}

# Unmount everything mounted at or below $1 (deepest first).
umount_under() {
	local dir=$1 m
	for _ in 1 2 3; do
		local mps
		mps=$(awk -v d="$dir" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r)
		[ -z "$mps" ] && return 0
		for m in $mps; do
			umount -l "$m" 2>/dev/null
		done
	done
}

cgroup_dirs() { # id...: cgroup directories named after a container id
	local id
	for id in "$@"; do
		[ -n "$id" ] || continue
		find /sys/fs/cgroup -maxdepth 6 -type d -name "$id" 2>/dev/null
	done
}

remove_cgroups() {
	local d
	for d in $(cgroup_dirs "$@" | sort -r); do
		if [ -f "$d/cgroup.procs" ]; then
			local p
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		fi
		rmdir "$d" 2>/dev/null
	done
}

# ---------------------------------------------------------------------------
# running the runtime

# runtime ARGS...: bats `run` of the runtime with this test's --root.
runtime() {
	run env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" "$@"
}

# runtime_bg FILE ARGS...: the runtime with this test's --root, stdio to FILE
# (and stdin from /dev/null), for create / run -d whose container keeps the
# stdio open: bats `run` would wait for it. $status is the runtime's exit
# status and $output the content of FILE so far.
runtime_bg() {
	local out=$1
	shift
	status=0
	env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" "$@" </dev/null >"$out" 2>&1 3>&- || status=$?
	output=$(cat "$out")
}

# ignoring SIGNALS -- CMD...: CMD with SIGNALS ignored, as nohup (HUP) or a
# background job of a script (INT, QUIT) leaves them for what it runs.
ignoring() {
	local sigs=()
	while [ "$1" != -- ]; do
		sigs+=("$1")
		shift
	done
	shift
	bash -c 'trap "" '"${sigs[*]}"'; exec "$@"' _ "$@"
}

# ignored_among FILE SIGNUM...: those of the signals whose bit is set in
# the SigIgn line of FILE (a process's status), "" for none. Only the
# signals a test ignored itself are asked about: processes started under
# Debian's GNU make 4.3 have 32 and 33 ignored, whatever the runtime.
ignored_among() {
	local mask s out=""
	mask=$(awk '/^SigIgn:/ { print $2 }' "$1")
	[ -n "$mask" ] || { echo "no SigIgn line"; return; }
	for s in "${@:2}"; do
		(((16#$mask >> (s - 1)) & 1)) && out="$out $s"
	done
	echo "${out# }"
}

# create_ctr [ID [ARGS...]]: create a container from $BUNDLE; its stdout and
# stderr (and the runtime's) go to $TEST_DIR/ID.out, see ctr_output.
create_ctr() {
	local id=${1:-$CID}
	[ $# -gt 0 ] && shift
	runtime_bg "$TEST_DIR/$id.out" create --bundle "$BUNDLE" "$@" "$id"
}

# run_bg [ID [ARGS...]]: run -d, output as for create_ctr.
run_detached() {
	local id=${1:-$CID}
	[ $# -gt 0 ] && shift
	runtime_bg "$TEST_DIR/$id.out" run -d --bundle "$BUNDLE" "$@" "$id"
}

ctr_output() { cat "$TEST_DIR/${1:-$CID}.out"; }

# run_ctr [RUNTIME-ARGS...]: foreground `run` of $BUNDLE as $CID, via bats run.
run_ctr() {
	runtime run --bundle "$BUNDLE" "$@" "$CID"
}

# update_config JQ-EXPR [BUNDLE]: edit config.json in place.
update_config() {
	local cfg="${2:-$BUNDLE}/config.json"
	jq "$1" "$cfg" >"$cfg.new" && mv "$cfg.new" "$cfg"
}

# set_args ARG...: process.args of $BUNDLE.
set_args() {
	local a
	a=$(jq -n -c '$ARGS.positional' --args -- "$@")
	update_config ".process.args = $a"
}

# set_cmd 'shell command': process.args = ["sh", "-c", CMD].
set_cmd() {
	set_args sh -c "$1"
}

# container_status ID: the status field of `state`, or "none".
container_status() {
	local s
	s=$("$RUNTIME" --root "$ROOT" state "$1" 2>/dev/null) || {
		echo none
		return
	}
	jq -r .status <<<"$s"
}

container_pid() {
	"$RUNTIME" --root "$ROOT" state "$1" 2>/dev/null | jq -r .pid
}

# wait_for_status ID STATUS [TIMEOUT-SECONDS]
wait_for_status() {
	local id=$1 want=$2 timeout=${3:-10} s i
	for ((i = 0; i < timeout * 20; i++)); do
		s=$(container_status "$id")
		[ "$s" = "$want" ] && return 0
		sleep 0.05
	done
	echo "container $id: status $s, want $want after ${timeout}s" >&2
	return 1
}

# wait_for_file FILE [TIMEOUT-SECONDS]
wait_for_file() {
	local i
	for ((i = 0; i < ${2:-10} * 20; i++)); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	echo "timed out waiting for $1" >&2
	return 1
}

# wait_output_contains ID TEXT [TIMEOUT]: wait until the container's output file holds TEXT.
wait_output_contains() {
	local i
	for ((i = 0; i < ${3:-10} * 20; i++)); do
		grep -qF -- "$2" "$TEST_DIR/$1.out" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "output of $1 never contained '$2':" >&2
	cat "$TEST_DIR/$1.out" >&2
	return 1
}

# ---------------------------------------------------------------------------
# assertions

fail() {
	echo "$@" >&2
	return 1
}

assert_success() {
	if [ "$status" -ne 0 ]; then
		echo "expected success, got status $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

assert_failure() {
	if [ "$status" -eq 0 ]; then
		echo "expected failure, got status 0; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected status $1, got $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

# assert_output TEXT: whole output equal.
assert_output() {
	if [ "$output" != "$1" ]; then
		printf 'expected output:\n%s\ngot:\n%s\n' "$1" "$output" >&2
		return 1
	fi
}

# assert_contains TEXT: output contains TEXT (case-insensitive with -i).
# start_sleeper: the container runs `sleep 600`, detached, and is running.
start_sleeper() {
	set_args sleep 600
	run_detached
	assert_success
	wait_for_status "$CID" running
}

# assert_names_field FIELD: hako's errors name the spec field at fault
# (its standard: one line naming the field or file). runc words the same
# failures its own way ("string X is not a valid action for seccomp"), so
# only hako is held to the field name; the failure itself is checked for
# every runtime by the caller.
assert_names_field() {
	[ "$RUNTIME_NAME" != hako ] || assert_contains "$1"
}

assert_contains() {
	local opt=()
	if [ "$1" = -i ]; then
		opt=(-i)
		shift
	fi
	if ! grep -qF "${opt[@]}" -- "$1" <<<"$output"; then
		printf 'expected output to contain: %s\ngot:\n%s\n' "$1" "$output" >&2
		return 1
	fi
}

assert_not_contains() {
	if grep -qF -- "$1" <<<"$output"; then
		printf 'expected output not to contain: %s\ngot:\n%s\n' "$1" "$output" >&2
		return 1
	fi
}

# assert_match REGEX: output matches the extended regex.
assert_match() {
	if ! grep -qE -- "$1" <<<"$output"; then
		printf 'expected output to match /%s/, got:\n%s\n' "$1" "$output" >&2
		return 1
	fi
}

# assert_nothing_left [ID]: no state dir, no cgroup, no process, no mount
# referencing the bundle.
assert_nothing_left() {
	local id=${1:-$CID}
	if [ -e "$ROOT/$id" ]; then
		fail "state dir $ROOT/$id left behind: $(ls -la "$ROOT/$id")"
		return 1
	fi
	local cg
	cg=$(cgroup_dirs "$id")
	[ -z "$cg" ] || {
		fail "cgroups left behind: $cg"
		return 1
	}
	# Processes carry the test's tag, not the container's: only meaningful
	# when no other container of this test is still there.
	local pids=
	if [ -z "$(list_ids | grep -vx "$id")" ]; then
		pids=$(tagged_pids)
	fi
	[ -z "$pids" ] || {
		fail "processes left behind: $(for p in $pids; do tr '\0' ' ' </proc/$p/cmdline; echo; done)"
		return 1
	}
	local m
	m=$(grep -F "$BUNDLE" /proc/self/mountinfo || true)
	[ -z "$m" ] || {
		fail "mounts left behind: $m"
		return 1
	}
}

# skip_if_runtime NAME REASON: skip where that runtime knowingly differs from
# what hako promises (each use says why).
skip_if_runtime() {
	if [ "$RUNTIME_NAME" = "$1" ]; then
		skip "$1: $2"
	fi
}

requires() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null || skip "needs $c"
	done
}

# host_ns TYPE: the host's namespace link for TYPE, e.g. "net:[4026531840]".
host_ns() { readlink "/proc/self/ns/$1"; }

# ---------------------------------------------------------------------------
# an unprivileged test user (rootless.bats, podman.bats)

RL_USER=hakobats
RL_SUBID=400000 # RL_SUBID..+65535 in /etc/subuid and /etc/subgid

# make_test_user: (re)create $RL_USER, home $FILE_DIR/home, with a
# subordinate id range, and a copy of the runtime it can reach as
# $FILE_DIR/rt (the checkout may sit under a 0700 directory). For
# setup_file; remove_test_user undoes it.
make_test_user() {
	local c
	for c in useradd userdel usermod runuser unshare nsenter; do
		command -v "$c" >/dev/null || {
			echo "needs $c" >&2
			return 1
		}
	done
	remove_test_user
	useradd -M -d "$FILE_DIR/home" -s /bin/sh "$RL_USER"
	drop_subids
	usermod --add-subuids "$RL_SUBID-$((RL_SUBID + 65535))" --add-subgids "$RL_SUBID-$((RL_SUBID + 65535))" "$RL_USER"
	mkdir -p "$FILE_DIR/home"
	chown "$RL_USER:" "$FILE_DIR/home"
	cp "$RUNTIME" "$FILE_DIR/rt"
	chmod 0755 "$FILE_DIR/rt"
}

remove_test_user() {
	id "$RL_USER" >/dev/null 2>&1 || return 0
	# Its processes first: userdel refuses a user that has some.
	local i
	for i in 1 2 3 4 5; do
		pkill -9 -u "$RL_USER" 2>/dev/null || break
		sleep 0.1
	done
	drop_subids
	userdel "$RL_USER" 2>/dev/null || true
}

# drop_subids: remove every subordinate range of $RL_USER (useradd may
# have given one of its own), so that only RL_SUBID's is known.
drop_subids() {
	local f flag start count
	for f in subuid subgid; do
		flag=--del-sub${f#sub}s
		while IFS=: read -r _ start count; do
			usermod "$flag" "$start-$((start + count - 1))" "$RL_USER" 2>/dev/null
		done < <(grep "^$RL_USER:" "/etc/$f")
	done
}

# as_user CMD...: CMD as the test user, with a login's environment and
# the test's XDG_RUNTIME_DIR ($XDG).
as_user() {
	runuser -u "$RL_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$FILE_DIR/home" USER="$RL_USER" \
		LOGNAME="$RL_USER" XDG_RUNTIME_DIR="$XDG" "$TAG_VAR=$TAG" "$@"
}
