#!/usr/bin/env bats
# podman on the runtime under test (--runtime), as root and rootless (an
# unprivileged user with a subordinate id range, podman's default mode):
# run, exec, stop, restart, rm, volumes, exit codes and --read-only (which
# sends tmpcopyup tmpfs mounts for /run, /tmp and /var/tmp). Everything
# podman keeps lives under this file's directory (its own --root,
# --runroot, vfs storage, no network), and the image is the test rootfs,
# imported (no registry here).

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	common_setup_file
	command -v podman >/dev/null || return 0
	make_test_user
	tar -C "$FILE_DIR/image/rootfs" -cf "$FILE_DIR/image.tar" .
	chmod 0644 "$FILE_DIR/image.tar"
	# podman asks root's containers for RLIMIT_NOFILE and RLIMIT_NPROC
	# above this host's hard limits (no CAP_SYS_RESOURCE in the bounding
	# set) and runs the runtime with RLIMIT_NPROC 32768: ask for no more.
	local nproc
	nproc=$(ulimit -Hu)
	[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
	printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' \
		"$(ulimit -Hn)" "$(ulimit -Hn)" "$nproc" "$nproc" >"$FILE_DIR/containers.conf"
	chmod 0644 "$FILE_DIR/containers.conf"
	# podman's root cgroup parent on a cgroupfs host, if this file makes it.
	find /sys/fs/cgroup -maxdepth 3 -type d -name libpod_parent >"$FILE_DIR/cgroups-before" 2>/dev/null || true
	# podman runs root's runtime without --root (and its exit command
	# cannot be given one): the runtime's default root, with its caches,
	# goes too if this file made it.
	[ -e "/run/$RUNTIME_NAME" ] || touch "$FILE_DIR/made-default-root"
}

teardown_file() {
	remove_test_user
	local r="/run/$RUNTIME_NAME"
	if [ -e "$FILE_DIR/made-default-root" ] && [ -z "$(ls "$r" 2>/dev/null)" ]; then
		rm -rf "$r"
	fi
	local d
	for d in $(find /sys/fs/cgroup -maxdepth 3 -type d -name libpod_parent 2>/dev/null); do
		grep -qx "$d" "$FILE_DIR/cgroups-before" 2>/dev/null && continue
		find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	common_teardown_file
}

setup() {
	requires podman
	common_setup
	XDG="$TEST_DIR/xdg"
	mkdir -p "$XDG"
	chmod 0700 "$XDG"
	chown -R "$RL_USER:" "$TEST_DIR"
	mkdir -p "$TEST_DIR/vol"
	chmod 0777 "$TEST_DIR/vol"
}

teardown() {
	# podman's containers, then its storage (vfs: plain directories).
	pod rm -a -f -t 0 >/dev/null 2>&1
	if [ -n "${AS_USER:-}" ]; then
		pkill -9 -u "$RL_USER" 2>/dev/null
	fi
	common_teardown
}

# pod ARGS...: podman on the runtime, with storage private to the test;
# as the test user when AS_USER is set.
pod() {
	local p=(podman --runtime "$FILE_DIR/rt" --root "$TEST_DIR/storage" --runroot "$TEST_DIR/run"
		--storage-driver vfs --events-backend file --cgroup-manager cgroupfs --tmpdir "$TEST_DIR/tmp")
	if [ -n "${AS_USER:-}" ]; then
		as_user "${p[@]}" "$@"
	else
		env "$TAG_VAR=$TAG" CONTAINERS_CONF="$FILE_DIR/containers.conf" "${p[@]}" "$@"
	fi
}

podman_scenarios() {
	run pod import "$FILE_DIR/image.tar" localhost/hako-bats:latest
	assert_success

	# --read-only: the image is read-only; /run, /tmp and /var/tmp are
	# tmpcopyup tmpfs (writable); a volume is writable.
	run pod run --rm --network none --read-only -v "$TEST_DIR/vol:/data" localhost/hako-bats \
		sh -c 'echo v >/data/f && touch /tmp/x /run/y /var/tmp/z && echo tmpok; touch /etc/nope 2>/dev/null || echo rofs'
	assert_success
	assert_contains tmpok
	assert_contains rofs
	[ "$(cat "$TEST_DIR/vol/f")" = v ]

	# exit codes: the program's own, 127 (not found), 126 (not executable)
	run -3 pod run --rm --network none localhost/hako-bats sh -c 'exit 3'
	run -127 pod run --rm --network none localhost/hako-bats /nonexistent
	run -126 pod run --rm --network none localhost/hako-bats /etc/passwd

	# a detached container: exec with user, workdir and env; top; stop;
	# start again; rm.
	run pod run -d --name "$CID" --network none localhost/hako-bats sleep 1000
	assert_success
	run pod exec -u 1000 -w /tmp -e FOO=bar "$CID" sh -c 'id -u; pwd; echo $FOO'
	assert_success
	[ "$output" = "$(printf '1000\n/tmp\nbar')" ]
	run pod top "$CID" args
	assert_success
	assert_contains "sleep 1000"
	run pod stop -t 1 "$CID"
	assert_success
	run pod inspect -f '{{.State.Status}} {{.State.ExitCode}}' "$CID"
	[ "$output" = "exited 137" ]
	run pod start "$CID"
	assert_success
	run pod exec "$CID" cat /proc/1/comm
	assert_success
	assert_contains sleep
	run pod rm -f -t 0 "$CID"
	assert_success
	run pod ps -a -q
	[ -z "$output" ]
}

@test "podman (root) on the runtime: run, exec, stop, start, rm, volumes, exit codes, --read-only" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	podman_scenarios
}

@test "rootless podman on the runtime: run, exec, stop, start, rm, volumes, exit codes, --read-only" {
	requires newuidmap newgidmap
	AS_USER=1
	podman_scenarios
	# the user's ranges were used: the image's root is the user, 1 is the
	# first subordinate id
	run pod run --rm --network none localhost/hako-bats cat /proc/self/uid_map
	assert_success
	assert_match "^ +0 +$(id -u "$RL_USER") +1$"
	assert_match "^ +1 +$RL_SUBID +65536$"
}
