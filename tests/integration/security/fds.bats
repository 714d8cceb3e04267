#!/usr/bin/env bats
# CVE-2024-21626 class: no host fd reaches the container, and a process.cwd
# of /proc/self/fd/N cannot land outside the rootfs through an fd the
# runtime or its caller holds. The defences, in libcontainer/initproc/
# init_linux.go: closeExtraFDs (every fd above the preserved ones is
# close-on-exec before anything runs in the container) and checkCwd (the
# working directory is inside the root after chdir, or create fails).

load ../helpers

setup() {
	common_setup
	HOSTDIR="$TEST_DIR/hostdir"
	mkdir -p "$HOSTDIR"
	echo host-secret >"$HOSTDIR/secret"
	# Listed without the directory fd ls itself reads from (its link is
	# gone or names /proc/<pid>/fd by the time ls reads it).
	LIST_FDS='ls -l /proc/self/fd 2>/dev/null | awk '"'"'$(NF-1) == "->" && $NF !~ "^/proc/" {print $(NF-2)}'"'"' | tr "\n" " "'
}

# run_with_fds ARGS...: the runtime with host directories open on fds
# 5 ($HOSTDIR), 7 (/) and 9 ($TEST_DIR), as a careless caller would leave.
run_with_fds() {
	run env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" "$@" 5<"$HOSTDIR" 7</ 9<"$TEST_DIR"
}

@test "CVE-2024-21626: process.cwd /proc/self/fd/N does not escape (create)" {
	local n
	for n in 3 4 5 6 7 8 9 10 11 12; do
		update_config '.process.cwd = "/proc/self/fd/'$n'"'
		set_cmd 'pwd; cat secret 2>/dev/null; cat ./etc/hostname 2>/dev/null; ls'
		run_with_fds run --bundle "$BUNDLE" "$CID"
		if [ "$status" -eq 0 ]; then
			assert_not_contains "host-secret"
			[[ "$output" == /* ]] || fail "cwd $n: working directory outside the root: $output"
			[[ "$output" != *"(unreachable)"* ]] || fail "cwd $n: working directory outside the root: $output"
		else
			assert_names_field "cwd"
		fi
		"$RUNTIME" --root "$ROOT" delete -f "$CID" >/dev/null 2>&1 || true
	done
}

@test "CVE-2024-21626: exec --cwd /proc/self/fd/N does not escape" {
	set_args sleep 600
	run_detached
	assert_success
	wait_for_status "$CID" running
	local n
	for n in 3 4 5 6 7 8 9 10; do
		run_with_fds exec --cwd "/proc/self/fd/$n" "$CID" sh -c 'pwd; cat secret 2>/dev/null'
		if [ "$status" -eq 0 ]; then
			assert_not_contains "host-secret"
			[[ "$output" == /* ]] || fail "cwd $n: working directory outside the root: $output"
		else
			assert_names_field "cwd"
		fi
	done
}

@test "CVE-2024-21626: only stdio reaches the container's process (run and exec)" {
	set_cmd "$LIST_FDS"
	run_with_fds run --bundle "$BUNDLE" "$CID"
	assert_success
	assert_output "0 1 2 "
	"$RUNTIME" --root "$ROOT" delete -f "$CID" >/dev/null 2>&1 || true

	set_args sleep 600
	run_detached
	assert_success
	wait_for_status "$CID" running
	run_with_fds exec "$CID" sh -c "$LIST_FDS"
	assert_success
	assert_output "0 1 2 "
}

@test "CVE-2024-21626: --preserve-fds passes exactly the fds asked for" {
	set_cmd "$LIST_FDS; readlink /proc/self/fd/3"
	run env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" run --preserve-fds 1 --bundle "$BUNDLE" "$CID" 3</dev/null 5<"$HOSTDIR" 7</
	assert_success
	assert_output "0 1 2 3 /dev/null"
}
