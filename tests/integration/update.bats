#!/usr/bin/env bats
# update as runc 1.5.3 does it on cgroup v1: its flag spellings, units and
# fix-ups, and what it leaves alone; resources that need a kernel reading
# back (cpu.shares) or a specific scheduler (BFQ).

load helpers

setup() {
	common_setup
	[ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/cpu ] ||
		skip "needs cgroup v1 controllers at /sys/fs/cgroup/<controller>"
}

# cg CTRL FILE: a file of the container's v1 cgroup of CTRL.
cg() {
	local pid path
	pid=$(container_pid "$CID")
	path=$(awk -F: -v c="$1" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	cat "/sys/fs/cgroup/$1${path%/}/$2"
}

@test "update --memory -1 lifts the limit, swap included" {
	[ -e /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes ] || skip "no swap accounting"
	update_config '.linux.resources.memory = {"limit": 67108864, "swap": 134217728}'
	start_sleeper
	runtime update --memory -1 "$CID"
	assert_success
	run cg memory memory.limit_in_bytes
	assert_output 9223372036854771712
	run cg memory memory.memsw.limit_in_bytes
	assert_output 9223372036854771712
	# and a limit again afterwards
	runtime update --memory 32M "$CID"
	assert_success
	run cg memory memory.limit_in_bytes
	assert_output 33554432
}

@test "update --cpu-idle leaves the shares alone, also twice" {
	[ -e /sys/fs/cgroup/cpu/cpu.idle ] || skip "no cpu.idle"
	update_config '.linux.resources.cpu = {"shares": 512}'
	start_sleeper
	runtime update --cpu-idle 1 "$CID"
	assert_success
	runtime update --cpu-idle 1 "$CID"
	assert_success
	run cg cpu cpu.idle
	assert_output 1
	runtime update --cpu-idle 0 "$CID"
	assert_success
	run cg cpu cpu.idle
	assert_output 0
}

@test "update --cpu-share is runc's spelling" {
	start_sleeper
	runtime update --cpu-share 300 "$CID"
	assert_success
	run cg cpu cpu.shares
	assert_output 300
}

@test "update: cpu shares the kernel clamps are refused with runc's words" {
	start_sleeper
	runtime update --cpu-share 1000000 "$CID"
	assert_failure
	assert_contains "the maximum allowed cpu-shares is 262144"
	runtime update --cpu-share 1 "$CID"
	assert_failure
	assert_contains "the minimum allowed cpu-shares is 2"
}

@test "cpu shares below the kernel's minimum fail create" {
	update_config '.linux.resources.cpu = {"shares": 1}'
	set_args true
	create_ctr
	assert_failure
	assert_contains "the minimum allowed cpu-shares is 2"
	assert_nothing_left
}

@test "update --kernel-memory is a warning, not an error" {
	start_sleeper
	runtime update --kernel-memory 100M "$CID"
	assert_success
	assert_contains "Kernel memory settings are ignored"
}

@test "update: sizes in runc's syntax" {
	start_sleeper
	runtime update --memory "1 g" "$CID"
	assert_success
	run cg memory memory.limit_in_bytes
	assert_output 1073741824
	runtime update --memory 1.5MiB "$CID"
	assert_success
	run cg memory memory.limit_in_bytes
	assert_output 1572864
	runtime update --memory 2e6 "$CID"
	assert_success
	run cg memory memory.limit_in_bytes
	assert_output 1998848
	runtime update --memory 12Q "$CID"
	assert_failure
}

@test "update -r ignores the other flags" {
	start_sleeper
	run env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" update -r - --memory 32M "$CID" <<<'{"memory": {"limit": 83886080}}'
	assert_success
	run cg memory memory.limit_in_bytes
	assert_output 83886080
}

@test "update -r leaves the device rules alone" {
	[ -d /sys/fs/cgroup/devices ] || skip "no devices controller"
	start_sleeper
	local before
	before=$(cg devices devices.list)
	run env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" update -r - "$CID" <<<'{"devices": [{"allow": true, "access": "rwm"}]}'
	assert_success
	run cg devices devices.list
	assert_output "$before"
}

@test "per-device BFQ weight goes to blkio.bfq.weight_device" {
	requires losetup
	[ -d /sys/fs/cgroup/blkio ] || skip "no blkio controller"
	truncate -s 8M "$TEST_DIR/disk.img"
	local dev
	dev=$(losetup -f --show "$TEST_DIR/disk.img") || skip "no loop device"
	EXTRA_CLEANUP+=("losetup -d $dev")
	echo bfq >"/sys/block/${dev#/dev/}/queue/scheduler" 2>/dev/null || skip "no BFQ scheduler"
	[ ! -e /sys/fs/cgroup/blkio/blkio.weight ] || skip "CFQ weights present"
	local mm
	mm=$(cat "/sys/block/${dev#/dev/}/dev")
	update_config ".linux.resources.blockIO = {\"weightDevice\": [{\"major\": ${mm%:*}, \"minor\": ${mm#*:}, \"weight\": 500}]}"
	start_sleeper
	run cg blkio blkio.bfq.weight_device
	assert_contains "$mm 500"
	run env "$TAG_VAR=$TAG" "$RUNTIME" --root "$ROOT" update -r - "$CID" <<<"{\"blockIO\": {\"weightDevice\": [{\"major\": ${mm%:*}, \"minor\": ${mm#*:}, \"weight\": 200}]}}"
	assert_success
	run cg blkio blkio.bfq.weight_device
	assert_contains "$mm 200"
}

@test "/sys/fs/cgroup in a cgroup namespace on v1 shows the container's own cgroups" {
	update_config '.linux.namespaces += [{"type": "cgroup"}] | .linux.resources.memory = {"limit": 67108864} | .linux.resources.pids = {"limit": 77}'
	set_cmd 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max; grep -c " /sys/fs/cgroup/" /proc/self/mountinfo'
	run_ctr
	assert_success
	[ "${lines[0]}" = 67108864 ] || fail "memory: $output"
	[ "${lines[1]}" = 77 ] || fail "pids: $output"
	[ "${lines[2]}" -ge 2 ] || fail "hierarchies: $output"
}
