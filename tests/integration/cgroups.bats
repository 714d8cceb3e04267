#!/usr/bin/env bats
# cgroups on the host (v1 controllers, cgroup2 only at /sys/fs/cgroup/unified):
# linux.resources at create, enforcement (pids, memory/oom, devices),
# pause/resume, update, events, ps, kill --all, and nothing left after delete.

load helpers

setup() {
	common_setup
	[ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/pids ] ||
		skip "needs cgroup v1 controllers at /sys/fs/cgroup/<controller>"
}

# cg_dir CTRL [PID]: the v1 directory of CTRL that PID (default: the
# container's init) is in, from /proc/PID/cgroup.
cg_dir() {
	local ctrl=$1 pid=${2:-$(container_pid "$CID")} path
	path=$(awk -F: -v c="$ctrl" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	[ -n "$path" ] || {
		echo "no $ctrl cgroup for pid $pid: $(cat "/proc/$pid/cgroup")" >&2
		return 1
	}
	echo "/sys/fs/cgroup/$ctrl${path%/}"
}

# cg_read CTRL FILE: a file of the container's cgroup.
cg_read() {
	local d
	d=$(cg_dir "$1") || return 1
	cat "$d/$2"
}

# assert_cg CTRL FILE VALUE
assert_cg() {
	local got
	got=$(cg_read "$1" "$2") || return 1
	[ "$got" = "$3" ] || fail "$1/$2: got '$got', want '$3'"
}

# A running container whose init is a long sleep.
# ---------------------------------------------------------------------------
# linux.resources at create

@test "resources: memory limit and reservation at create" {
	update_config '.linux.resources.memory = {"limit": 67108864, "reservation": 33554432}'
	start_sleeper
	assert_cg memory memory.limit_in_bytes 67108864
	assert_cg memory memory.soft_limit_in_bytes 33554432
}

@test "resources: memory swap at create" {
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting (memory.memsw.*)"
	update_config '.linux.resources.memory = {"limit": 67108864, "swap": 134217728}'
	start_sleeper
	assert_cg memory memory.limit_in_bytes 67108864
	assert_cg memory memory.memsw.limit_in_bytes 134217728
}

@test "resources: cpu shares, quota and period at create" {
	update_config '.linux.resources.cpu = {"shares": 512, "quota": 25000, "period": 50000}'
	start_sleeper
	assert_cg cpu cpu.shares 512
	assert_cg cpu cpu.cfs_quota_us 25000
	assert_cg cpu cpu.cfs_period_us 50000
}

@test "resources: cpuset cpus at create" {
	update_config '.linux.resources.cpu = {"cpus": "0"}'
	start_sleeper
	assert_cg cpuset cpuset.cpus 0
	# and the init is really confined to it
	run grep Cpus_allowed_list "/proc/$(container_pid "$CID")/status"
	assert_match 'Cpus_allowed_list:[[:space:]]+0$'
}

@test "resources: pids limit at create" {
	update_config '.linux.resources.pids = {"limit": 42}'
	start_sleeper
	assert_cg pids pids.max 42
}

@test "the container's /sys/fs/cgroup is its own cgroup, with and without a cgroup namespace" {
	update_config '.linux.resources.pids = {"limit": 42}'
	set_cmd 'cat /sys/fs/cgroup/pids/pids.max; ls /sys/fs/cgroup/pids/cgroup.sane_behavior 2>&1 | grep -c "No such"'
	# without a cgroup namespace: the container's subtree of each hierarchy
	update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
	run_ctr
	assert_success
	assert_output "42
1"
	# with one: a fresh mount shows the namespace's root, the same cgroup
	update_config '.linux.namespaces += [{"type": "cgroup"}]'
	run_ctr
	assert_success
	assert_output "42
1"
}

@test "resources: blkio weight at create" {
	local f
	for f in blkio.weight blkio.bfq.weight; do
		[ -e "/sys/fs/cgroup/blkio/$f" ] && break
		f=
	done
	[ -n "$f" ] || skip "the host's blkio controller has neither blkio.weight nor blkio.bfq.weight (no CFQ/BFQ)"
	update_config '.linux.resources.blockIO = {"weight": 300}'
	start_sleeper
	run cg_read blkio "$f"
	assert_contains 300
}

@test "resources: the init is in every v1 controller's cgroup of the container, cgroup.procs agrees" {
	start_sleeper
	local pid ctrl d
	pid=$(container_pid "$CID")
	for ctrl in memory cpu cpuset pids devices freezer; do
		[ -d "/sys/fs/cgroup/$ctrl" ] || continue
		d=$(cg_dir "$ctrl")
		[ "$d" != "/sys/fs/cgroup/$ctrl" ] || fail "$ctrl: init left in the root cgroup"
		grep -qx "$pid" "$d/cgroup.procs" || fail "$ctrl: pid $pid not in $d/cgroup.procs"
	done
}

# ---------------------------------------------------------------------------
# enforcement

@test "enforced: pids limit stops a fork loop" {
	update_config '.linux.resources.pids = {"limit": 10}'
	set_cmd 'for i in $(seq 20); do sleep 5 & done; echo loop-done'
	run_ctr
	assert_contains -i "can't fork"
	assert_contains "Resource temporarily unavailable"
}

@test "enforced: memory limit OOM-kills a hog and events reports oom" {
	update_config '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
	if [ ! -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
		update_config 'del(.linux.resources.memory.swap)'
	fi
	# tail holds the whole newline-free input in memory. The pipeline runs
	# with oom_score_adj 1000: once tail is killed, head's next pipe write can
	# hit the limit again before tail's pages are reaped, and the kernel must
	# then pick head, not the container's sh (which would lose hog-rc).
	set_cmd 'while [ ! -e /go ]; do sleep 0.05; done
		sh -c "echo 1000 >/proc/self/oom_score_adj; head -c 209715200 /dev/zero | tail >/dev/null"
		echo "hog-rc=$?"; sleep 1000'
	create_ctr
	assert_success
	env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" events --interval 1s "$CID" >"$TEST_DIR/events.out" 2>&1 &
	local ev=$!
	EXTRA_CLEANUP+=("kill -9 $ev")
	runtime start "$CID"
	assert_success
	# let events subscribe before the hog starts
	sleep 0.5
	touch "$BUNDLE/rootfs/go"
	wait_output_contains "$CID" "hog-rc=" 20
	run ctr_output
	assert_contains "hog-rc=137"
	wait_output_contains events '"type":"oom"' 10
	# --interval 1s: a stats line follows within a few seconds
	wait_output_contains events '"type":"stats"' 5
	kill "$ev"
	wait "$ev" || true
	run cat "$TEST_DIR/events.out"
	assert_contains '{"type":"oom","id":"'"$CID"'"'
	# the stream also carries the periodic stats
	assert_contains '"type":"stats"'
	# and the kernel counted an OOM kill in the container's cgroup
	run cg_read memory memory.oom_control
	assert_match '^oom_kill [1-9]'
}

@test "enforced: a device node outside the allow list cannot be opened, /dev/null can" {
	mknod "$BUNDLE/rootfs/kmsg" c 1 11
	set_cmd 'head -c1 /kmsg; echo "kmsg-rc=$?"; echo x > /dev/null && echo null-ok'
	run_ctr
	assert_success
	assert_contains "Operation not permitted"
	assert_contains "kmsg-rc=1"
	assert_contains "null-ok"
}

@test "enforced: devices.list is the default allow list, not a *:*" {
	start_sleeper
	run cg_read devices devices.list
	assert_success
	assert_not_contains "a *:* rwm"
	assert_contains "c 1:3 rwm"
	assert_contains "c 1:5 rwm"
	assert_not_contains "c 1:11"
}

# ---------------------------------------------------------------------------
# pause / resume

@test "pause freezes the container and resume thaws it" {
	set_cmd 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done'
	run_detached
	assert_success
	wait_for_file "$BUNDLE/rootfs/tmp/count"

	runtime pause "$CID"
	assert_success
	[ "$(container_status "$CID")" = paused ]
	runtime list
	assert_success
	assert_match "^$CID[[:space:]]+[0-9]+[[:space:]]+paused"
	assert_cg freezer freezer.state FROZEN

	local a b
	a=$(cat "$BUNDLE/rootfs/tmp/count")
	sleep 0.6
	b=$(cat "$BUNDLE/rootfs/tmp/count")
	[ "$a" = "$b" ] || fail "counter moved while paused: $a -> $b"

	runtime resume "$CID"
	assert_success
	[ "$(container_status "$CID")" = running ]
	assert_cg freezer freezer.state THAWED
	sleep 0.6
	b=$(cat "$BUNDLE/rootfs/tmp/count")
	[ "$b" -gt "$a" ] || fail "counter did not move after resume: $a -> $b"
}

@test "pause of a paused container and resume of a running one fail" {
	start_sleeper
	runtime resume "$CID"
	assert_failure
	runtime pause "$CID"
	assert_success
	runtime pause "$CID"
	assert_failure
	[ "$(container_status "$CID")" = paused ]
}

@test "kill KILL of a paused container stops it" {
	start_sleeper
	runtime pause "$CID"
	assert_success
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	runtime delete "$CID"
	assert_success
	assert_nothing_left
}

@test "kill --all KILL of a paused container stops it" {
	set_cmd 'sleep 1000 & sleep 1000 & echo ready; wait'
	run_detached
	assert_success
	wait_output_contains "$CID" ready
	runtime pause "$CID"
	assert_success
	runtime kill --all "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	[ -z "$(tagged_pids)" ] || fail "processes left: $(tagged_pids)"
}

@test "update of a paused container applies and it stays paused" {
	start_sleeper
	runtime pause "$CID"
	assert_success
	runtime update --pids-limit 33 --memory 96M "$CID"
	assert_success
	assert_cg pids pids.max 33
	assert_cg memory memory.limit_in_bytes 100663296
	[ "$(container_status "$CID")" = paused ]
	assert_cg freezer freezer.state FROZEN
}

@test "delete --force of a paused container removes it and its cgroups" {
	start_sleeper
	local dirs
	dirs=$(cut -d: -f3 "/proc/$(container_pid "$CID")/cgroup" | sort -u)
	runtime pause "$CID"
	assert_success
	runtime delete --force "$CID"
	assert_success
	runtime state "$CID"
	assert_failure
	assert_contains "does not exist"
	assert_nothing_left
	local ctrl
	for ctrl in memory cpu cpuset pids devices freezer blkio; do
		[ -d "/sys/fs/cgroup/$ctrl" ] || continue
		[ -z "$(find "/sys/fs/cgroup/$ctrl" -maxdepth 6 -type d -name "$CID")" ] || fail "left in $ctrl"
	done
}

# ---------------------------------------------------------------------------
# update

@test "update: memory, reservation and swap" {
	start_sleeper
	runtime update --memory 64M --memory-reservation 32M "$CID"
	assert_success
	assert_cg memory memory.limit_in_bytes 67108864
	assert_cg memory memory.soft_limit_in_bytes 33554432
	if [ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ]; then
		runtime update --memory 64M --memory-swap 128M "$CID"
		assert_success
		assert_cg memory memory.memsw.limit_in_bytes 134217728
		assert_cg memory memory.limit_in_bytes 67108864
		# lowering both at once: the order of the writes must be right
		runtime update --memory 48M --memory-swap 48M "$CID"
		assert_success
		assert_cg memory memory.limit_in_bytes 50331648
		assert_cg memory memory.memsw.limit_in_bytes 50331648
	fi
}

@test "update: cpu shares, quota and period" {
	start_sleeper
	runtime update --cpu-shares 256 "$CID"
	assert_success
	assert_cg cpu cpu.shares 256
	runtime update --cpu-period 200000 --cpu-quota 50000 "$CID"
	assert_success
	assert_cg cpu cpu.cfs_period_us 200000
	assert_cg cpu cpu.cfs_quota_us 50000
	runtime update --cpu-quota 70000 "$CID"
	assert_success
	assert_cg cpu cpu.cfs_quota_us 70000
	assert_cg cpu cpu.cfs_period_us 200000
}

@test "update: cpuset cpus" {
	start_sleeper
	runtime update --cpuset-cpus 0 "$CID"
	assert_success
	assert_cg cpuset cpuset.cpus 0
	run grep Cpus_allowed_list "/proc/$(container_pid "$CID")/status"
	assert_match 'Cpus_allowed_list:[[:space:]]+0$'
}

@test "update: pids limit" {
	start_sleeper
	runtime update --pids-limit 25 "$CID"
	assert_success
	assert_cg pids pids.max 25
	runtime update --pids-limit -1 "$CID"
	assert_success
	assert_cg pids pids.max max
}

@test "update: blkio weight" {
	local f
	for f in blkio.weight blkio.bfq.weight; do
		[ -e "/sys/fs/cgroup/blkio/$f" ] && break
		f=
	done
	[ -n "$f" ] || skip "the host's blkio controller has neither blkio.weight nor blkio.bfq.weight (no CFQ/BFQ)"
	start_sleeper
	runtime update --blkio-weight 400 "$CID"
	assert_success
	run cg_read blkio "$f"
	assert_contains 400
}

@test "update -r FILE applies a linux.resources JSON" {
	start_sleeper
	cat >"$TEST_DIR/res.json" <<-'EOF'
		{"memory": {"limit": 100663296, "reservation": 50331648},
		 "cpu": {"shares": 333, "period": 100000, "quota": 30000},
		 "pids": {"limit": 77}}
	EOF
	runtime update -r "$TEST_DIR/res.json" "$CID"
	assert_success
	assert_cg memory memory.limit_in_bytes 100663296
	assert_cg memory memory.soft_limit_in_bytes 50331648
	assert_cg cpu cpu.shares 333
	assert_cg cpu cpu.cfs_quota_us 30000
	assert_cg pids pids.max 77
}

@test "update --resources - reads the JSON from stdin" {
	start_sleeper
	run env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" update --resources - "$CID" <<<'{"memory": {"limit": 83886080}, "pids": {"limit": 55}}'
	assert_success
	assert_cg memory memory.limit_in_bytes 83886080
	assert_cg pids pids.max 55
}

@test "update -r with invalid JSON fails and changes nothing" {
	update_config '.linux.resources.pids = {"limit": 42}'
	start_sleeper
	echo '{"pids": {"limit": ' >"$TEST_DIR/bad.json"
	runtime update -r "$TEST_DIR/bad.json" "$CID"
	assert_failure
	assert_cg pids pids.max 42
}

@test "update --l3-cache-schema and --mem-bw-schema give a clear error" {
	start_sleeper
	runtime update --l3-cache-schema 'L3:0=f' "$CID"
	assert_failure
	# Names the setting; runc 1.5.3: "Intel RDT/CAT: l3 cache schema is not enabled".
	[[ "$output" =~ l3.cache.schema ]] || fail "$output"
	[[ "$output" =~ not\ (supported|enabled) ]] || fail "$output"
	runtime update --mem-bw-schema 'MB:0=50' "$CID"
	assert_failure
	[[ "$output" =~ (mem-bw-schema|memory bandwidth) ]] || fail "$output"
}

@test "update of a stopped container fails" {
	set_args true
	run_detached
	assert_success
	wait_for_status "$CID" stopped
	runtime update --memory 64M "$CID"
	assert_failure
	assert_contains -i "not running"
}

@test "update of a container that does not exist fails" {
	runtime update --memory 64M nosuch-"$CID"
	assert_failure
	assert_contains "does not exist"
}

@test "update with an invalid value fails" {
	start_sleeper
	runtime update --cpu-shares lots "$CID"
	assert_failure
	assert_contains "cpu-shares"
	runtime update --memory 12Q "$CID"
	assert_failure
	assert_contains "memory"
}

# ---------------------------------------------------------------------------
# events, ps, kill --all

@test "events --stats prints one stats object" {
	update_config '.linux.resources.pids = {"limit": 30} | .linux.resources.memory = {"limit": 67108864}'
	set_cmd 'sleep 1000 & sleep 1000 & i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo ready; wait'
	run_detached
	assert_success
	wait_output_contains "$CID" ready
	runtime events --stats "$CID"
	assert_success
	[ "$(wc -l <<<"$output")" -eq 1 ] || fail "more than one line: $output"
	jq -e --arg id "$CID" '.type == "stats" and .id == $id' <<<"$output" >/dev/null || fail "bad header: $output"
	jq -e '.data.pids.current >= 3' <<<"$output" >/dev/null || fail "pids.current: $(jq -c .data.pids <<<"$output")"
	jq -e '.data.pids.limit == 30' <<<"$output" >/dev/null || fail "pids.limit: $(jq -c .data.pids <<<"$output")"
	jq -e '.data.memory.usage.usage > 0 and .data.memory.usage.limit == 67108864' <<<"$output" >/dev/null ||
		fail "memory: $(jq -c .data.memory.usage <<<"$output")"
	jq -e '.data.cpu.usage.total > 0' <<<"$output" >/dev/null || fail "cpu: $(jq -c .data.cpu <<<"$output")"
}

@test "events of a container that does not exist fails" {
	runtime events --stats nosuch-"$CID"
	assert_failure
	assert_contains "does not exist"
}

@test "ps lists the container's processes" {
	set_cmd 'sleep 1001 & echo ready; wait'
	run_detached
	assert_success
	wait_output_contains "$CID" ready
	local pid
	pid=$(container_pid "$CID")
	runtime ps "$CID"
	assert_success
	assert_match '^UID[[:space:]]+PID'
	assert_contains "sleep 1001"
	# nothing from outside the container
	assert_not_contains "bats"
	runtime ps --format json "$CID"
	assert_success
	jq -e --argjson p "$pid" 'type == "array" and length == 2 and index($p) != null' <<<"$output" >/dev/null ||
		fail "json: $output (init $pid)"
	runtime ps "$CID" -o pid,comm
	assert_success
	assert_match "^[[:space:]]*$pid[[:space:]]+sh$"
}

@test "kill --all KILL kills every process of the container" {
	set_cmd 'sleep 1000 & sleep 1000 & sleep 1000 & echo ready; wait'
	run_detached
	assert_success
	wait_output_contains "$CID" ready
	local d
	d=$(cg_dir pids)
	[ "$(wc -l <"$d/cgroup.procs")" -eq 4 ] || fail "expected 4 processes: $(cat "$d/cgroup.procs")"
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
}

@test "delete leaves no cgroup in any controller" {
	update_config '.linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 50}'
	start_sleeper
	local dirs=() ctrl d
	for ctrl in $(ls /sys/fs/cgroup); do
		[ "$ctrl" = unified ] && continue
		d=$(cg_dir "$ctrl" 2>/dev/null) || continue
		[ "$d" = "/sys/fs/cgroup/$ctrl" ] || dirs+=("$d")
	done
	[ "${#dirs[@]}" -ge 5 ] || fail "expected the container in >= 5 controllers: ${dirs[*]}"
	runtime kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	runtime delete "$CID"
	assert_success
	for d in "${dirs[@]}"; do
		[ ! -e "$d" ] || fail "left: $d"
	done
	[ -z "$(find /sys/fs/cgroup -name "$CID" 2>/dev/null)" ] || fail "left: $(find /sys/fs/cgroup -name "$CID")"
	assert_nothing_left
}
