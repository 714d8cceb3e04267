#!/usr/bin/env bats
# CVE-2019-5736 class: a container must never be able to write the hako
# binary through /proc/<pid>/exe of a hako process that enters it (create
# of a container joining its pid namespace, exec, a #!/proc/self/exe
# entrypoint). The defence is libcontainer/exeguard_linux.go (the init runs
# from a read-only overlay or a sealed memfd) and the non-dumpable init in
# nsenter/nsenter.c.

load ../helpers

setup() {
	common_setup
	# A private copy of the runtime: an attack that succeeds corrupts this
	# copy, not the binary other tests use, and no other test executes it
	# (a running binary cannot be written: ETXTBSY would hide the hole).
	ORIG_RUNTIME=$RUNTIME
	mkdir -p "$TEST_DIR/bin"
	cp "$RUNTIME" "$TEST_DIR/bin/$RUNTIME_NAME"
	RUNTIME="$TEST_DIR/bin/$RUNTIME_NAME"
	SUM=$(sha256sum <"$RUNTIME")
	# The attacker: every process whose executable is not the image's
	# busybox (i.e. a runtime process entering the container) is held open
	# by a child, and the script keeps appending to what it holds, which
	# only succeeds once nothing executes the file any more.
	cat >"$BUNDLE/rootfs/attack.sh" <<-'SH'
	#!/bin/sh
	log=/attack.log
	seen=" $$ "
	holders=
	while :; do
		for d in /proc/[0-9]*; do
			p=${d#/proc/}
			case "$seen" in *" $p "*) continue ;; esac
			e=$(readlink "$d/exe" 2>/dev/null) || continue
			seen="$seen$p "
			[ "$e" = /bin/busybox ] && continue
			sleep 1000 3<"$d/exe" 2>/dev/null &
			holders="$holders $!"
			echo "held $p $e" >>$log
		done
		for h in $holders; do
			if printf X 2>/dev/null >>/proc/$h/fd/3; then echo "WROTE $h" >>$log; fi
		done
	done
	SH
	chmod +x "$BUNDLE/rootfs/attack.sh"
	# The entrypoint of the original exploit: the kernel runs the exec'ing
	# process's own executable (the runtime) as the interpreter. A dynamic
	# runtime needs its loader and libraries in the image for that.
	printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil"
	chmod +x "$BUNDLE/rootfs/evil"
	local lib
	for lib in $(ldd "$RUNTIME" 2>/dev/null | grep -o '/[^ ]*'); do
		mkdir -p "$BUNDLE/rootfs$(dirname "$lib")"
		cp -L "$lib" "$BUNDLE/rootfs$lib"
	done
}

teardown() {
	RUNTIME=$ORIG_RUNTIME
	common_teardown
}

# start_attacker: the container $CID runs attack.sh as root with
# CAP_SYS_PTRACE, which passes the non-dumpable check, so only the sealed
# binary stands between it and the host file.
start_attacker() {
	update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_PTRACE"])'
	set_args /attack.sh
	run_detached
	assert_success
	wait_for_status "$CID" running
}

# assert_binary_intact: the attack saw a runtime process (so the test can
# fail), wrote nothing, and the host binary is byte-identical.
assert_binary_intact() {
	# Let the writers try again after the last runtime process is gone.
	sleep 1
	local log="$BUNDLE/rootfs/attack.log"
	[ -s "$log" ] || fail "the attacker never got hold of a runtime process"
	grep -q '^held ' "$log" || fail "the attacker never got hold of a runtime process: $(cat "$log")"
	if grep -q '^WROTE' "$log"; then
		fail "the container wrote the runtime binary: $(cat "$log")"
	fi
	[ "$(sha256sum <"$RUNTIME")" = "$SUM" ] || fail "the runtime binary changed"
}

@test "CVE-2019-5736: exec'd processes cannot be used to write the runtime binary" {
	start_attacker
	local i
	# Statuses are not checked: with a writable binary the attacker's open
	# fd makes the runtime itself fail (ETXTBSY); the verdict is below.
	for i in $(seq 8); do
		runtime exec "$CID" true
		# The exec'd process is the runtime itself: the kernel runs the
		# init's own /proc/self/exe as the interpreter.
		runtime exec "$CID" /evil
	done
	assert_binary_intact
}

@test "CVE-2019-5736: the init of a container created in the attacker's pid namespace" {
	start_attacker
	local b="$TEST_DIR/b" pid
	pid=$(container_pid "$CID")
	mkdir -p "$b"
	cp -a "$BUNDLE/rootfs" "$b/rootfs"
	jq --arg ns "/proc/$pid/ns/pid" '.process.args = ["true"] |
		.linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)' \
		"$BUNDLE/config.json" >"$b/config.json"
	EXTRA_IDS+=("$CID-b")
	# Created: the init waits, still the runtime, inside the attacker's
	# pid namespace for as long as it takes the attacker to find it.
	runtime_bg "$TEST_DIR/b.out" create --bundle "$b" "$CID-b"
	assert_success
	local i
	for i in $(seq 50); do
		grep -q '^held' "$BUNDLE/rootfs/attack.log" 2>/dev/null && break
		sleep 0.1
	done
	runtime start "$CID-b"
	assert_success
	assert_binary_intact
}

# In a user namespace the init's setresuid already makes it non-dumpable
# (fs.suid_dumpable 0), and hako's C waiting stage sets it again after its
# own execve; the next test is the one that needs nsenter's prctl. This one
# also checks the other half: the container's program is dumpable again
# after execve.
@test "in a user namespace the init is not dumpable until execve, then is" {
	update_config '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
		| .process.capabilities = {bounding: [], effective: [], permitted: [], inheritable: [], ambient: []}'
	chown -R 100000:100000 "$BUNDLE/rootfs"
	set_args sleep 600
	create_ctr
	assert_success
	local pid
	pid=$(container_pid "$CID")
	# A process of the container with the init's uid and no capability
	# may read the environ of a dumpable process of that uid, never of a
	# non-dumpable one. (Neither the owner of the init's /proc files nor a
	# host process tells: the files belong to root of the user namespace
	# the memory was made in, the container's once hako's C stage waits for
	# start, and a reader in another user namespace needs CAP_SYS_PTRACE
	# in the container's either way.)
	runtime exec "$CID" cat /proc/1/environ
	[ "$status" -ne 0 ] || fail "created init is dumpable: the container read its environ: $output"
	runtime start "$CID"
	assert_success
	wait_for_status "$CID" running
	local i
	for i in $(seq 50); do
		[ "$(cat /proc/$pid/comm)" = sleep ] && break
		sleep 0.05
	done
	runtime exec "$CID" cat /proc/1/environ
	[ "$status" -eq 0 ] || fail "container process after execve is not dumpable: $output"
}

@test "without CAP_SYS_PTRACE the container cannot even open the init's exe" {
	set_args sleep 600
	run_detached
	assert_success
	local pid b="$TEST_DIR/b"
	pid=$(container_pid "$CID")
	mkdir -p "$b"
	cp -a "$BUNDLE/rootfs" "$b/rootfs"
	jq --arg ns "/proc/$pid/ns/pid" '.process.args = ["true"] |
		.linux.namespaces |= map(if .type == "pid" then .path = $ns else . end)' \
		"$BUNDLE/config.json" >"$b/config.json"
	EXTRA_IDS+=("$CID-b")
	runtime_bg "$TEST_DIR/b.out" create --bundle "$b" "$CID-b"
	assert_success
	local init nspid
	init=$(container_pid "$CID-b")
	nspid=$(awk '/^NSpid:/ {print $NF}' /proc/$init/status)
	runtime exec "$CID" sh -c "readlink /proc/$nspid/exe || echo denied; cat /proc/$nspid/comm"
	assert_contains denied
	# The process looked at really is the waiting init.
	case $RUNTIME_NAME in
	runc) assert_contains 'runc:[2:INIT]' ;;
	*) assert_contains hako:init ;;
	esac
}
