#!/usr/bin/env bats
# The cgroup verbs of the hako CLI on a pure cgroup v2 host, with the fs
# driver (HAKO_CGROUP_DRIVER=fs, default) or the systemd driver
# (HAKO_CGROUP_DRIVER=systemd: --systemd-cgroup, the container in a
# transient scope). tests/vm/cgroups-v2.sh runs it in both vm-run guests
# (with systemd only the tests where the driver matters, see there); it
# also runs as is on any root shell of a cgroup v2 host.
#
# Limits are read back from the v2 files of the init's cgroup and, with
# systemd, from the unit's properties (systemctl show); enforcement is
# shown where it is cheap (pids.max, an OOM kill seen by events, a device
# the eBPF filter denies). The template config has a cgroup namespace, as
# runc's and crun's have on v2; one test checks the config without one.
#
# VM_IMAGE, when set, is a directory with rootfs/ and config.json made on
# the host (the systemd guest has no busybox, and making the rootfs there
# costs an exec per applet).

load ../integration/helpers

DRIVER=${HAKO_CGROUP_DRIVER:-fs}
GLOBAL=()
if [ "$DRIVER" = systemd ]; then
	GLOBAL=(--systemd-cgroup)
fi

setup_file() {
	if [ -n "${VM_IMAGE:-}" ]; then
		FILE_DIR=$(mktemp -d /tmp/hako-bats.XXXXXX)
		chmod 0755 "$FILE_DIR"
		export FILE_DIR
		cp -a "$VM_IMAGE" "$FILE_DIR/image"
		jq '.process.terminal = false | .root.readonly = false' "$FILE_DIR/image/config.json" >"$FILE_DIR/config.json"
	else
		common_setup_file
	fi
	jq --arg tag "$TAG_VAR=@TAG@" '.linux.namespaces += [{"type": "cgroup"}] | .process.env += [$tag]' \
		"$FILE_DIR/config.json" >"$FILE_DIR/cgns.json" && mv "$FILE_DIR/cgns.json" "$FILE_DIR/config.json"
}

setup() {
	[ -f /sys/fs/cgroup/cgroup.controllers ] ||
		skip "needs a pure cgroup v2 host (tests/vm/cgroups-v2.sh runs this file in a vm-run guest)"
	if [ "$DRIVER" = systemd ] && [ ! -d /run/systemd/system ]; then
		skip "HAKO_CGROUP_DRIVER=systemd needs systemd as PID 1"
	fi
	# common_setup, without its jq call per test: the tag is substituted
	# in the template by bash.
	TEST_DIR="$FILE_DIR/t$BATS_TEST_NUMBER"
	ROOT="$TEST_DIR/state"
	BUNDLE="$TEST_DIR/bundle"
	CID="hb${BATS_TEST_NUMBER}-${FILE_DIR##*.}"
	TAG="$CID"
	rm -rf "$TEST_DIR"
	mkdir -p "$BUNDLE"
	chmod 0755 "$TEST_DIR"
	cp -a "$FILE_DIR/image/rootfs" "$BUNDLE/rootfs"
	local cfg
	cfg=$(<"$FILE_DIR/config.json")
	printf '%s\n' "${cfg//@TAG@/$TAG}" >"$BUNDLE/config.json"
	EXTRA_IDS=()
	EXTRA_CLEANUP=()
	UNITS=()
}

# Leaner than the helpers' (execs cost 0.1-0.5 s under emulation): one
# delete --force per container left, a pure-bash process scan, and the
# systemd units only when they are still loaded.
teardown() {
	[ -n "${TEST_DIR:-}" ] || return 0
	local d id cmd
	for d in "$ROOT"/*/; do
		[ -d "$d" ] || continue
		id=$(basename "$d")
		"$RUNTIME" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
	done
	kill_tagged
	for cmd in "${EXTRA_CLEANUP[@]}"; do
		eval "$cmd" >/dev/null 2>&1 || true
	done
	umount_under "$TEST_DIR"
	if [ "$DRIVER" = systemd ]; then
		local u
		for u in "$(unit)" "${UNITS[@]}"; do
			[ "$(systemctl show -P LoadState "$u" 2>/dev/null)" = loaded ] || continue
			systemctl stop "$u" >/dev/null 2>&1 || true
			systemctl reset-failed "$u" >/dev/null 2>&1 || true
		done
	fi
	remove_cgroups "$CID" "${EXTRA_IDS[@]}"
	rm -rf "$TEST_DIR"
}

# The helpers' version execs tr and grep per process; this reads /proc
# with bash alone.
tagged_pids() {
	local f pid e
	for f in /proc/[0-9]*/environ; do
		pid=${f#/proc/}
		pid=${pid%/environ}
		[ "$pid" = "$$" ] || [ "$pid" = "$BASHPID" ] && continue
		{
			while IFS= read -r -d '' e; do
				if [ "$e" = "$TAG_VAR=$TAG" ]; then
					echo "$pid"
					break
				fi
			done <"$f"
		} 2>/dev/null
	done
}

# runtime and runtime_bg with the driver's global flags (state keeps the
# driver, so the other commands need no flag).
runtime() {
	run env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" "${GLOBAL[@]}" "$@"
}

runtime_bg() {
	local out=$1
	shift
	status=0
	env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" "${GLOBAL[@]}" "$@" </dev/null >"$out" 2>&1 3>&- || status=$?
	output=$(cat "$out")
}

# unit [ID]: the systemd scope of a container with the default cgroupsPath.
unit() { echo "hako-${1:-$CID}.scope"; }

# cg_dir [PID]: the v2 cgroup directory of PID (default: the init).
cg_dir() {
	local pid=${1:-$(container_pid "$CID")} h c p
	while IFS=: read -r h c p; do
		if [ "$h" = 0 ]; then
			echo "/sys/fs/cgroup${p%/}"
			return 0
		fi
	done <"/proc/$pid/cgroup"
	fail "no cgroup v2 line for pid $pid"
}

# assert_cg FILE VALUE: a file of the container's cgroup.
assert_cg() {
	local d got
	d=$(cg_dir) || return 1
	got=$(cat "$d/$1") || return 1
	[ "$got" = "$2" ] || fail "$1: got '$got', want '$2'"
}

# assert_unit [-u UNIT] PROPERTY=VALUE...: with the systemd driver, the
# properties of the scope (one systemctl call); nothing with the fs driver.
assert_unit() {
	[ "$DRIVER" = systemd ] || return 0
	local u
	u=$(unit)
	if [ "$1" = -u ]; then
		u=$2
		shift 2
	fi
	local args=() kv got line found
	for kv in "$@"; do
		args+=(-p "${kv%%=*}")
	done
	got=$(systemctl show "${args[@]}" "$u") || return 1
	for kv in "$@"; do
		found=
		while IFS= read -r line; do
			[ "${line%%=*}" = "${kv%%=*}" ] && found=$line
		done <<<"$got"
		[ "$found" = "$kv" ] || fail "unit $u: got '$found', want '$kv'"
	done
}

# The cgroup a container must have with the default cgroupsPath.
want_dir() {
	if [ "$DRIVER" = systemd ]; then
		echo "/sys/fs/cgroup/system.slice/$(unit "$1")"
	else
		echo "/sys/fs/cgroup/$1"
	fi
}

# assert_cgroup_gone DIR [UNIT]: the directory and, with systemd, the unit.
assert_cgroup_gone() {
	[ ! -e "$1" ] || fail "cgroup $1 left behind"
	if [ "$DRIVER" = systemd ]; then
		local u=${2:-$(unit)} st
		st=$(systemctl show -P LoadState "$u")
		[ "$st" = not-found ] || fail "unit $u left behind: LoadState=$st ActiveState=$(systemctl show -P ActiveState "$u")"
	fi
}

sleeper() {
	set_args sleep 1000
	run_detached
	assert_success
	wait_for_status "$CID" running
}

# The first block device of the guest, "MAJ:MIN".
block_dev() {
	local f d
	for f in /sys/block/*/dev; do
		[ -e "$f" ] || continue
		read -r d <"$f"
		echo "$d"
		return 0
	done
	return 1
}

# ---------------------------------------------------------------------------
# linux.resources at create

@test "create: memory, cpu, cpuset and pids limits in the v2 files (and the unit)" {
	update_config '.linux.resources = {
		"memory": {"limit": 67108864, "reservation": 33554432, "swap": 134217728},
		"cpu": {"shares": 512, "quota": 25000, "period": 50000, "burst": 1000, "cpus": "0", "mems": "0"},
		"pids": {"limit": 42}}'
	set_cmd 'cat /proc/self/cgroup /sys/fs/cgroup/memory.max; echo ready; sleep 1000'
	run_detached
	assert_success
	wait_output_contains "$CID" ready
	local d
	d=$(cg_dir)
	[ "$d" = "$(want_dir "$CID")" ] || fail "init in $d, want $(want_dir "$CID")"
	assert_cg memory.max 67108864
	assert_cg memory.low 33554432
	# v1 semantics in the spec: swap is memory+swap, v2 wants swap alone
	[ ! -e "$d/memory.swap.max" ] || assert_cg memory.swap.max 67108864
	# runc/crun's shares -> weight conversion: 512 -> 59
	assert_cg cpu.weight 59
	assert_cg cpu.max "25000 50000"
	assert_cg cpu.max.burst 1000
	assert_cg cpuset.cpus 0
	assert_cg cpuset.mems 0
	assert_cg pids.max 42
	run grep Cpus_allowed_list "/proc/$(container_pid "$CID")/status"
	assert_match 'Cpus_allowed_list:[[:space:]]+0$'
	# inside, the cgroup namespace shows the container's cgroup as the root
	run ctr_output
	assert_contains "0::/"
	assert_contains 67108864
	assert_unit MemoryMax=67108864 MemoryLow=33554432 CPUWeight=59 CPUQuotaPerSecUSec=500ms CPUQuotaPeriodUSec=50ms AllowedCPUs=0 TasksMax=42 Delegate=yes Slice=system.slice
}

@test "create: blockIO, hugepageLimits, cpu.idle and the unified map" {
	local dev=
	dev=$(block_dev) || true
	update_config '.linux.resources = {
		"blockIO": {"weight": 300},
		"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}],
		"cpu": {"idle": 1},
		"unified": {"memory.high": "104857600", "pids.max": "17"}}'
	if [ -n "$dev" ]; then
		update_config '.linux.resources.blockIO.throttleReadBpsDevice = [{"major": '"${dev%:*}"', "minor": '"${dev#*:}"', "rate": 1048576}]
			| .linux.resources.blockIO.throttleWriteIOPSDevice = [{"major": '"${dev%:*}"', "minor": '"${dev#*:}"', "rate": 100}]'
	fi
	sleeper
	local d
	d=$(cg_dir)
	if [ -e "$d/io.bfq.weight" ]; then
		run cat "$d/io.bfq.weight"
		assert_contains "default 300"
	else
		# blkio weight 300 on the 10..1000 scale is 2930 on 1..10000
		run cat "$d/io.weight"
		assert_contains "default 2930"
	fi
	if [ -n "$dev" ]; then
		run cat "$d/io.max"
		assert_contains "$dev rbps=1048576 wbps=max riops=max wiops=100"
	fi
	assert_cg hugetlb.2MB.max 4194304
	[ ! -e "$d/hugetlb.2MB.rsvd.max" ] || assert_cg hugetlb.2MB.rsvd.max 4194304
	assert_cg cpu.idle 1
	assert_cg memory.high 104857600
	assert_cg pids.max 17
	assert_unit IOWeight=2930 MemoryHigh=104857600 TasksMax=17
}

@test "create: a resource v2 cannot honour fails naming the field, nothing left" {
	local field
	for field in '"unified": {"memory.nosuch": "1"}' '"unified": {"cgroup.procs": "1"}' \
		'"hugepageLimits": [{"pageSize": "3MB", "limit": 1}]' '"cpu": {"realtimeRuntime": 1000}'; do
		update_config ".linux.resources = {$field}"
		set_args true
		runtime run --bundle "$BUNDLE" "$CID"
		assert_failure
		case $field in
		*nosuch*) assert_contains 'unified[' && assert_contains 'memory.nosuch' ;;
		*procs*) assert_contains 'unified[' && assert_contains 'cgroup.procs' ;;
		*3MB*) assert_contains "hugepageLimits[0]" ;;
		*) assert_contains "realtime" ;;
		esac
		assert_nothing_left
		assert_cgroup_gone "$(want_dir "$CID")"
	done
}

@test "create: without a cgroup namespace /sys/fs/cgroup is still the container's own cgroup" {
	update_config '.linux.namespaces |= map(select(.type != "cgroup")) | .linux.resources.pids = {"limit": 23}'
	set_cmd 'cat /sys/fs/cgroup/pids.max'
	run_ctr
	assert_success
	assert_output 23
}

@test "create: the init is cloned into its cgroup on cgroup v2 with the fs driver, moved by pid with systemd" {
	update_config '.linux.resources.pids = {"limit": 30}'
	set_args true
	runtime --debug --log "$TEST_DIR/log" run --bundle "$BUNDLE" "$CID"
	assert_success
	run cat "$TEST_DIR/log"
	if [ "$DRIVER" = systemd ]; then
		# the scope is started with the pid: no clone into it
		assert_not_contains "cloned into cgroup"
	else
		assert_contains "cloned into cgroup $(want_dir "$CID")"
		if command -v strace >/dev/null; then
			# and it is the kernel that placed it there
			strace -f -qq -e trace=clone3 -o "$TEST_DIR/strace" \
				env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" run --bundle "$BUNDLE" "$CID-2" </dev/null
			EXTRA_IDS+=("$CID-2")
			run grep -c CLONE_INTO_CGROUP "$TEST_DIR/strace"
			assert_output 1
			run grep 'CLONE_INTO_CGROUP.*= -1' "$TEST_DIR/strace"
			assert_output ""
		fi
	fi
	assert_nothing_left
}

# ---------------------------------------------------------------------------
# enforcement

@test "enforced: pids.max stops a fork loop" {
	update_config '.linux.resources.pids = {"limit": 10}'
	set_cmd 'for i in $(seq 20); do sleep 5 & done; echo loop-done'
	run_ctr
	assert_contains -i "can't fork"
	assert_contains "Resource temporarily unavailable"
}

@test "enforced: memory.max OOM-kills a hog and events reports oom" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	set_cmd 'while [ ! -e /go ]; do sleep 0.05; done
		dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo "hog-rc=$?"; sleep 1000'
	create_ctr
	assert_success
	env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" events --interval 1s "$CID" >"$TEST_DIR/events.out" 2>&1 &
	local ev=$!
	EXTRA_CLEANUP+=("kill -9 $ev")
	runtime start "$CID"
	assert_success
	sleep 0.5
	touch "$BUNDLE/rootfs/go"
	wait_output_contains "$CID" "hog-rc=" 30
	run ctr_output
	# dd's one 64M buffer cannot fit: the OOM killer picks it
	assert_contains "hog-rc=137"
	local i
	for ((i = 0; i < 100; i++)); do
		grep -q '"type":"oom"' "$TEST_DIR/events.out" && grep -q '"type":"stats"' "$TEST_DIR/events.out" && break
		sleep 0.1
	done
	kill "$ev"
	wait "$ev" || true
	run cat "$TEST_DIR/events.out"
	assert_contains '{"type":"oom","id":"'"$CID"'"'
	assert_contains '"type":"stats"'
	run grep oom_kill "$(cg_dir)/memory.events"
	assert_match '^oom_kill [1-9]'
}

@test "enforced: the eBPF filter denies a device, and update -r leaves it (as runc)" {
	# /tmp is nodev in the guests: the node lives on a tmpfs of its own
	mkdir "$BUNDLE/rootfs/kdev"
	mount -t tmpfs -o mode=755,size=64k hako-kdev "$BUNDLE/rootfs/kdev"
	mknod "$BUNDLE/rootfs/kdev/kmsg" c 1 11
	sleeper
	runtime exec "$CID" sh -c 'echo hako-vm-test > /kdev/kmsg'
	assert_failure
	assert_contains "Operation not permitted"
	runtime exec "$CID" sh -c 'echo x > /dev/null && echo null-ok'
	assert_success
	assert_contains null-ok
	# runc 1.5.3's update does not touch device rules: the filter stays.
	runtime update -r - "$CID" <<<'{"devices": [{"allow": false, "access": "rwm"},
		{"allow": true, "type": "c", "major": 1, "minor": 11, "access": "w"}]}'
	assert_success
	runtime exec "$CID" sh -c 'echo hako-vm-test > /kdev/kmsg'
	assert_failure
	assert_contains "Operation not permitted"
	runtime exec "$CID" sh -c 'echo x > /dev/null && echo null-ok'
	assert_success
}

# ---------------------------------------------------------------------------
# pause / resume, kill, delete

@test "pause freezes (cgroup.freeze), update keeps it frozen, resume thaws" {
	set_cmd 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.1; done'
	run_detached
	assert_success
	wait_for_file "$BUNDLE/rootfs/tmp/count"
	runtime pause "$CID"
	assert_success
	assert_cg cgroup.freeze 1
	run grep frozen "$(cg_dir)/cgroup.events"
	assert_output "frozen 1"
	[ "$(container_status "$CID")" = paused ] || fail "status $(container_status "$CID")"
	runtime list
	assert_match "^$CID[[:space:]]+[0-9]+[[:space:]]+paused"
	local a b
	a=$(cat "$BUNDLE/rootfs/tmp/count")
	sleep 1
	b=$(cat "$BUNDLE/rootfs/tmp/count")
	[ "$a" = "$b" ] || fail "counter moved while paused: $a -> $b"
	runtime pause "$CID"
	assert_failure
	# update applies to a paused container, which stays frozen
	runtime update --pids-limit 33 --memory 96M "$CID"
	assert_success
	assert_cg pids.max 33
	assert_cg memory.max 100663296
	assert_cg cgroup.freeze 1
	[ "$(container_status "$CID")" = paused ] || fail "status $(container_status "$CID") after update"
	runtime resume "$CID"
	assert_success
	assert_cg cgroup.freeze 0
	[ "$(container_status "$CID")" = running ] || fail "status $(container_status "$CID")"
	sleep 1
	b=$(cat "$BUNDLE/rootfs/tmp/count")
	[ "$b" -gt "$a" ] || fail "counter did not move after resume: $a -> $b"
	runtime resume "$CID"
	assert_failure
}

@test "delete --force of a paused container removes it, its cgroup and its unit" {
	sleeper
	local d
	d=$(cg_dir)
	runtime pause "$CID"
	assert_success
	runtime delete --force "$CID"
	assert_success
	runtime state "$CID"
	assert_failure
	assert_contains "does not exist"
	assert_nothing_left
	assert_cgroup_gone "$d"
}

# ---------------------------------------------------------------------------
# update

@test "update: every runc flag lands in the v2 files (and the unit)" {
	update_config '.linux.resources.memory = {"limit": 134217728}'
	sleeper
	runtime update --memory 64M --memory-reservation 32M --memory-swap 128M "$CID"
	assert_success
	assert_cg memory.max 67108864
	assert_cg memory.low 33554432
	[ ! -e "$(cg_dir)/memory.swap.max" ] || assert_cg memory.swap.max 67108864
	assert_unit MemoryMax=67108864 MemoryLow=33554432
	runtime update --cpu-shares 1024 --cpu-period 200000 --cpu-quota 50000 --cpu-burst 20000 "$CID"
	assert_success
	assert_cg cpu.weight 100
	assert_cg cpu.max "50000 200000"
	assert_cg cpu.max.burst 20000
	assert_unit CPUWeight=100 CPUQuotaPerSecUSec=250ms
	# one field alone keeps the others
	runtime update --cpu-quota 70000 "$CID"
	assert_success
	assert_cg cpu.max "70000 200000"
	assert_cg cpu.weight 100
	assert_cg memory.max 67108864
	runtime update --cpuset-cpus 1 --cpuset-mems 0 "$CID"
	assert_success
	assert_cg cpuset.cpus 1
	assert_cg cpuset.mems 0
	run grep Cpus_allowed_list "/proc/$(container_pid "$CID")/status"
	assert_match 'Cpus_allowed_list:[[:space:]]+1$'
	assert_unit AllowedCPUs=1
	runtime update --pids-limit 25 "$CID"
	assert_success
	assert_cg pids.max 25
	assert_unit TasksMax=25
	runtime update --pids-limit -1 "$CID"
	assert_success
	assert_cg pids.max max
	assert_unit TasksMax=infinity
	runtime update --blkio-weight 400 "$CID"
	assert_success
	if [ -e "$(cg_dir)/io.bfq.weight" ]; then
		run cat "$(cg_dir)/io.bfq.weight"
		assert_contains "default 400"
	else
		run cat "$(cg_dir)/io.weight"
		assert_contains "default 3940"
	fi
	runtime update --cpu-idle 1 "$CID"
	assert_success
	assert_cg cpu.idle 1
	runtime update --memory -1 --memory-swap -1 "$CID"
	assert_success
	assert_cg memory.max max
	assert_unit MemoryMax=infinity
}

@test "update: what v2 lacks fails naming the flag and changes nothing" {
	update_config '.linux.resources.pids = {"limit": 42}'
	sleeper
	runtime update --cpu-rt-period 1000000 --cpu-rt-runtime 950000 --pids-limit 7 "$CID"
	assert_failure
	assert_contains "realtime"
	assert_cg pids.max 42
	runtime update --l3-cache-schema 'L3:0=f' "$CID"
	assert_failure
	assert_contains "l3-cache-schema"
	runtime update --mem-bw-schema 'MB:0=50' "$CID"
	assert_failure
	assert_contains "mem-bw-schema"
	runtime update --memory 12Q "$CID"
	assert_failure
	assert_contains "memory"
	runtime update -r - "$CID" <<<'{"unified": {"memory.nosuch": "1"}, "pids": {"limit": 7}}'
	assert_failure
	assert_contains 'memory.nosuch'
	assert_cg pids.max 42
	echo '{"pids": {"limit": ' >"$TEST_DIR/bad.json"
	runtime update -r "$TEST_DIR/bad.json" "$CID"
	assert_failure
	assert_cg pids.max 42
	# a later flag update starts from what is applied, not from the refused
	runtime update --memory 64M "$CID"
	assert_success
	assert_cg pids.max 42
	assert_unit TasksMax=42
}

@test "update -r FILE and -r - apply a linux.resources JSON" {
	sleeper
	cat >"$TEST_DIR/res.json" <<-'EOF'
		{"memory": {"limit": 100663296, "reservation": 50331648},
		 "cpu": {"shares": 1024, "period": 100000, "quota": 30000},
		 "pids": {"limit": 77},
		 "hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}],
		 "unified": {"memory.high": "90000000"}}
	EOF
	runtime update -r "$TEST_DIR/res.json" "$CID"
	assert_success
	assert_cg memory.max 100663296
	assert_cg memory.low 50331648
	assert_cg cpu.weight 100
	assert_cg cpu.max "30000 100000"
	assert_cg pids.max 77
	# As runc 1.5.3's update: hugepageLimits (like devices, network and
	# rdma) are not updated; the limit set at create stays.
	assert_cg hugetlb.2MB.max max
	assert_cg memory.high 89997312
	assert_unit MemoryMax=100663296 TasksMax=77
	runtime update --resources - "$CID" <<<'{"memory": {"limit": 83886080}, "pids": {"limit": 55}}'
	assert_success
	assert_cg memory.max 83886080
	assert_cg memory.low 50331648
	assert_cg pids.max 55
	assert_unit MemoryMax=83886080 TasksMax=55
}

# ---------------------------------------------------------------------------
# events, ps, kill --all

@test "events --stats prints one stats object with v2 counters" {
	update_config '.linux.resources.pids = {"limit": 30} | .linux.resources.memory = {"limit": 67108864}
		| .linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 2097152}]'
	set_cmd 'sleep 1000 & sleep 1000 & i=0; while [ $i -lt 2000 ]; do i=$((i+1)); done; echo ready; wait'
	run_detached
	assert_success
	wait_output_contains "$CID" ready 20
	runtime events --stats "$CID"
	assert_success
	[ "$(wc -l <<<"$output")" -eq 1 ] || fail "more than one line: $output"
	jq -e --arg id "$CID" '.type == "stats" and .id == $id' <<<"$output" >/dev/null || fail "bad header: $output"
	jq -e '.data.pids.current == 3 and .data.pids.limit == 30' <<<"$output" >/dev/null ||
		fail "pids: $(jq -c .data.pids <<<"$output")"
	jq -e '.data.memory.usage.usage > 0 and .data.memory.usage.limit == 67108864' <<<"$output" >/dev/null ||
		fail "memory: $(jq -c .data.memory.usage <<<"$output")"
	jq -e '.data.cpu.usage.total > 0' <<<"$output" >/dev/null || fail "cpu: $(jq -c .data.cpu <<<"$output")"
	jq -e '.data.hugetlb["2MB"] | has("failcnt")' <<<"$output" >/dev/null ||
		fail "hugetlb: $(jq -c .data.hugetlb <<<"$output")"
}

@test "ps lists the container's processes; kill --all KILL of it paused kills them all" {
	set_cmd 'sleep 1001 & sleep 1002 & echo ready; wait'
	run_detached
	assert_success
	wait_output_contains "$CID" ready
	local pid d
	pid=$(container_pid "$CID")
	d=$(cg_dir)
	runtime ps "$CID"
	assert_success
	assert_match '^UID[[:space:]]+PID'
	assert_contains "sleep 1001"
	assert_contains "sleep 1002"
	assert_not_contains "bats"
	runtime ps --format json "$CID"
	assert_success
	jq -e --argjson p "$pid" 'type == "array" and length == 3 and index($p) != null' <<<"$output" >/dev/null ||
		fail "json: $output (init $pid)"
	# v2 frozen tasks die on SIGKILL; kill --all must not wait for a thaw
	runtime pause "$CID"
	assert_success
	runtime kill --all "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	local i
	for ((i = 0; i < 50; i++)); do
		[ -z "$(cat "$d/cgroup.procs" 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ -z "$(cat "$d/cgroup.procs" 2>/dev/null)" ] || fail "left in the cgroup: $(cat "$d/cgroup.procs")"
	[ -z "$(tagged_pids)" ] || fail "processes left: $(tagged_pids)"
	runtime delete "$CID"
	assert_success
	assert_nothing_left
	assert_cgroup_gone "$d"
}

# ---------------------------------------------------------------------------
# cgroupsPath

@test "cgroupsPath: fs nested absolute path / systemd slice:prefix:name, removed on delete" {
	local d u=
	if [ "$DRIVER" = systemd ]; then
		u="hakovm-$CID.scope"
		UNITS+=("$u" hakovm.slice)
		update_config '.linux.cgroupsPath = "hakovm.slice:hakovm:'"$CID"'"
			| .annotations["org.systemd.property.TimeoutStopSec"] = "uint64 7"'
		d="/sys/fs/cgroup/hakovm.slice/$u"
	else
		update_config '.linux.cgroupsPath = "/hakovm-'"$CID"'/sub/'"$CID"'"'
		EXTRA_CLEANUP+=("rmdir /sys/fs/cgroup/hakovm-$CID/sub /sys/fs/cgroup/hakovm-$CID")
		d="/sys/fs/cgroup/hakovm-$CID/sub/$CID"
	fi
	update_config '.linux.resources.pids = {"limit": 19}'
	sleeper
	[ "$(cg_dir)" = "$d" ] || fail "init in $(cg_dir), want $d"
	assert_cg pids.max 19
	assert_unit -u "$u" Slice=hakovm.slice TasksMax=19 TimeoutStopUSec=7s Delegate=yes
	runtime update --pids-limit 21 "$CID"
	assert_success
	assert_cg pids.max 21
	assert_unit -u "$u" TasksMax=21
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	runtime delete "$CID"
	assert_success
	assert_nothing_left
	assert_cgroup_gone "$d" "$u"
}
