# shellcheck shell=bash
# crictl scenarios, sourced by hack/test-cri.sh inside a session (crictl_,
# $T, $RUNTIME, $NETNS set; containerd up with the images imported). Every
# scenario prints one line, "PASS name" or "FAIL name -- what was seen", so
# the hako and runc runs can be put side by side.

IMG=localhost/hako-test/busybox:latest
SC_CG=hako-cri-sc$$ # pods' cgroup parent, removed by the session cleanup

sc_pass() { echo "PASS $1"; }
sc_fail() { echo "FAIL $1 -- $(echo "${*:2}" | tr '\n' ' ' | sed -E 's/^E[0-9]{4} [0-9:.]+ +[0-9]+ [a-z_.]+:[0-9]+\] //' | cut -c1-700)"; }

# scenario NAME CMD...: CMD prints what it saw on failure.
scenario() {
	local name=$1 out
	shift
	if out=$("$@" 2>&1); then sc_pass "$name"; else sc_fail "$name" "$out"; fi
}

# pod_json NAME [EXTRA-linux-jq]: a pod on the host network (the session's
# netns), so no CNI is involved.
pod_json() {
	local name=$1 extra=${2:-.}
	mkdir -p "$T/logs/$name"
	jq -n --arg n "$name" --arg logs "$T/logs/$name" --arg cg "/$SC_CG" '{
		metadata: {name: $n, namespace: "hako-cri", uid: ("uid-" + $n), attempt: 0},
		log_directory: $logs,
		linux: {cgroup_parent: $cg, security_context: {namespace_options: {network: 2}}}
	}' | jq "$extra" >"$T/$name.pod.json"
	echo "$T/$name.pod.json"
}

# ctr_json NAME JQ-ARGS-FOR-COMMAND [EXTRA]: a container of busybox.
ctr_json() {
	local name=$1 cmd=$2 extra=${3:-.}
	jq -n --arg n "$name" --arg img "$IMG" --argjson cmd "$cmd" '{
		metadata: {name: $n}, image: {image: $img}, command: $cmd,
		log_path: ($n + ".log"), linux: {}
	}' | jq "$extra" >"$T/$name.ctr.json"
	echo "$T/$name.ctr.json"
}

# run_ctr POD PODJSON NAME CMD [EXTRA]: create and start, print the id.
run_ctr() {
	local c
	c=$(crictl_ create "$1" "$(ctr_json "$3" "$4" "${5:-.}")" "$2" 2>&1) || {
		echo "$c"
		return 1
	}
	crictl_ start "$c" 2>&1 >/dev/null || {
		echo "$c"
		return 1
	}
	echo "$c"
}

# wait_exit ID: until the container has exited (10 s at most).
wait_exit() {
	local i
	for i in $(seq 50); do
		[ "$(crictl_ inspect -o json "$1" | jq -r .status.state)" = CONTAINER_EXITED ] && return 0
		sleep 0.2
	done
	echo "container $1 did not exit: $(crictl_ inspect -o json "$1" | jq -c .status.state)"
	return 1
}

ctr_status() { crictl_ inspect -o json "$1" | jq -r "$2"; }

expect_eq() { # what got want
	[ "$2" = "$3" ] && return 0
	echo "$1: got '$2', want '$3'"
	return 1
}

# The long-running container most scenarios use.
sc_main() {
	local pod c p cg
	mkdir -p "/sys/fs/cgroup/pids/$SC_CG"
	# Kubernetes limits a pod's pids on the pod's cgroup (CRI has no
	# per-container pids field): a parent with pids.max 48, room for the
	# pause, the container, and an exec's runtime (runc's Go init has
	# about ten threads).
	echo 48 >"/sys/fs/cgroup/pids/$SC_CG/pids.max"
	p=$(pod_json main)
	pod=$(crictl_ runp "$p" 2>&1) && sc_pass runp || {
		sc_fail runp "$pod"
		return
	}
	scenario "pod ready" expect_eq state "$(crictl_ inspectp -o json "$pod" | jq -r .status.state)" SANDBOX_READY
	c=$(run_ctr "$pod" "$p" main '["sleep","3600"]' '.envs = [{key: "FOO", value: "bar baz"}] | .working_dir = "/tmp"
		| .linux.resources = {memory_limit_in_bytes: 67108864, cpu_period: 100000, cpu_quota: 50000, cpu_shares: 512}
		| .linux.security_context.namespace_options.pid = 1') &&
		sc_pass "create+start" || {
		sc_fail "create+start" "$c"
		return
	}
	scenario "inspect running" expect_eq state "$(ctr_status "$c" .status.state)" CONTAINER_RUNNING
	local pid
	pid=$(ctr_status "$c" .info.pid)
	scenario "inspect pid" test -d "/proc/$pid"
	scenario "exec (streaming)" expect_eq out "$(crictl_ exec "$c" echo hello 2>&1)" hello
	scenario "exec -s (sync)" expect_eq out "$(crictl_ exec -s "$c" echo hello 2>&1)" hello
	scenario "exec -t (tty)" sc_exec_tty "$c"
	# crictl 1.37 exits 1 whatever the code (its error aggregation drops
	# cli.Exit's): both errors name the code. critest checks ExecSync's exit code itself.
	scenario "exec exit code 7" sc_grep_cmd "exit code 7" crictl_ exec "$c" sh -c 'exit 7'
	scenario "exec -s non-zero exit" sc_grep_cmd "exited with 7" crictl_ exec -s "$c" sh -c 'exit 7'
	scenario "exec missing binary fails" sc_exec_missing "$c"
	scenario "env" expect_eq FOO "$(crictl_ exec "$c" sh -c 'echo $FOO' 2>&1)" "bar baz"
	scenario "workdir" expect_eq pwd "$(crictl_ exec "$c" pwd 2>&1)" /tmp
	scenario "memory limit (container view)" expect_eq memory.limit_in_bytes \
		"$(crictl_ exec "$c" cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1)" 67108864
	cg=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ {print $3}' "/proc/$pid/cgroup")
	scenario "memory limit (host cgroup file)" expect_eq "memory$cg" "$(cat "/sys/fs/cgroup/memory$cg/memory.limit_in_bytes" 2>&1)" 67108864
	scenario "cpu quota" expect_eq cpu.cfs_quota_us "$(crictl_ exec "$c" cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us 2>&1)" 50000
	scenario "cpu shares" expect_eq cpu.shares "$(crictl_ exec "$c" cat /sys/fs/cgroup/cpu/cpu.shares 2>&1)" 512
	scenario "cgroup parent" sc_in_parent "$pid"
	scenario "pids limit (pod parent)" sc_pids "$c"
	scenario "update memory" sc_update "$c"
	scenario "stats" sc_stats "$c"
	scenario "statsp" sc_statsp "$pod"
	scenario "stop (timeout, SIGKILL)" sc_stop "$c"
	scenario "rm" sc_rm "$c"
	scenario "stopp" sc_stopp "$pod"
	scenario "rmp" sc_rmp "$pod"
	scenario "nothing left" sc_nothing_left
}

sc_exec_tty() {
	local out
	# script gives crictl a terminal for -t -i.
	out=$(in_netns script -qec "$BIN/crictl --config $T/crictl.yaml exec -it $1 tty" /dev/null </dev/null 2>&1)
	echo "$out" | grep -q '/dev/pts/[0-9]' || {
		echo "no pty: $out"
		return 1
	}
}

sc_exec_missing() {
	local out rc
	out=$(crictl_ exec "$1" /nonexistent 2>&1)
	rc=$?
	[ $rc -ne 0 ] || {
		echo "rc 0: $out"
		return 1
	}
	echo "rc $rc" >&2
}

sc_in_parent() {
	grep -q ":/$SC_CG/" "/proc/$1/cgroup" || {
		cat "/proc/$1/cgroup"
		return 1
	}
}

sc_pids() {
	local out
	out=$(crictl_ exec -s "$1" sh -c 'for i in $(seq 60); do sleep 2 & done; wait' 2>&1)
	echo "$out" | grep -qiE "can't fork|resource temporarily unavailable" || {
		echo "60 forks under pids.max 48 did not fail: $out"
		return 1
	}
	# The shell gives up at the failed fork and its sleeps outlive it:
	# the next scenario's exec needs the pod's pids back.
	local i
	for i in $(seq 100); do
		[ "$(cat "/sys/fs/cgroup/pids/$SC_CG/pids.current")" -lt 16 ] && break
		sleep 0.1
	done
}

sc_update() {
	crictl_ update --memory 134217728 "$1" >/dev/null || return 1
	expect_eq memory.limit_in_bytes "$(crictl_ exec "$1" cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>&1)" 134217728
}

sc_stats() {
	local s
	s=$(crictl_ stats -o json --id "$1") || return 1
	[ "$(echo "$s" | jq -r '.stats[0].memory.workingSetBytes.value // 0')" -gt 0 ] &&
		[ "$(echo "$s" | jq -r '.stats[0].cpu.usageCoreNanoSeconds.value // 0')" -gt 0 ] || {
		echo "$s" | jq -c '.stats[0] | {cpu, memory}'
		return 1
	}
}

sc_statsp() {
	local s
	s=$(crictl_ statsp -o json --id "$1") || return 1
	[ "$(echo "$s" | jq -r '.stats[0].linux.memory.workingSetBytes.value // 0')" -gt 0 ] || {
		echo "$s" | jq -c '.stats[0].linux.memory'
		return 1
	}
}

sc_stop() {
	local t0 t1
	t0=$(date +%s)
	# sleep as PID 1 of its own pid namespace (namespace_options.pid =
	# CONTAINER) has no SIGTERM handler: the kernel ignores the signal,
	# so stop must escalate to SIGKILL after the timeout.
	crictl_ stop -t 2 "$1" >/dev/null || return 1
	t1=$(date +%s)
	expect_eq state "$(ctr_status "$1" .status.state)" CONTAINER_EXITED || return 1
	expect_eq exitCode "$(ctr_status "$1" .status.exitCode)" 137 || return 1
	[ $((t1 - t0)) -ge 2 ] || {
		echo "stopped in $((t1 - t0))s, before the timeout"
		return 1
	}
}

sc_rm() {
	crictl_ rm "$1" >/dev/null || return 1
	crictl_ inspect "$1" >/dev/null 2>&1 && {
		echo "still there"
		return 1
	}
	return 0
}

sc_stopp() {
	crictl_ stopp "$1" >/dev/null || return 1
	expect_eq state "$(crictl_ inspectp -o json "$1" | jq -r .status.state)" SANDBOX_NOTREADY
}

sc_rmp() {
	crictl_ rmp "$1" >/dev/null || return 1
	[ -z "$(crictl_ pods -q --namespace hako-cri)" ] || {
		crictl_ pods
		return 1
	}
}

# The runtime's state, the bundles' rootfs mounts and the pods' shm are gone.
sc_nothing_left() {
	local left
	left=$("$RUNTIME" --root "$T/runtime-root/k8s.io" list -q 2>/dev/null)
	[ -z "$left" ] || {
		echo "runtime still lists: $left"
		return 1
	}
	left=$(findmnt -rn -o TARGET | grep -F "$T/state" | grep -v '/netns/')
	[ -z "$left" ] || {
		echo "mounts left: $left"
		return 1
	}
}

# Exit codes and logs of containers that run to completion, one pod.
sc_oneshot() {
	local pod p c code
	p=$(pod_json oneshot)
	pod=$(crictl_ runp "$p" 2>&1) || {
		sc_fail "oneshot pod" "$pod"
		return
	}
	for code in 0 1; do
		c=$(run_ctr "$pod" "$p" "exit$code" "[\"sh\",\"-c\",\"exit $code\"]") && wait_exit "$c" >/dev/null
		scenario "exit code $code" expect_eq exitCode "$(ctr_status "$c" .status.exitCode)" "$code"
	done
	c=$(run_ctr "$pod" "$p" exit126 '["sh","-c","/etc/passwd"]') && wait_exit "$c" >/dev/null
	scenario "exit code 126 (not executable)" expect_eq exitCode "$(ctr_status "$c" .status.exitCode)" 126
	c=$(run_ctr "$pod" "$p" exit127 '["sh","-c","nonexistent-command"]') && wait_exit "$c" >/dev/null
	scenario "exit code 127 (not found)" expect_eq exitCode "$(ctr_status "$c" .status.exitCode)" 127
	scenario "missing entrypoint: start fails" sc_missing_entrypoint "$pod" "$p"
	c=$(run_ctr "$pod" "$p" logs '["sh","-c","echo to-stdout; echo to-stderr >&2"]') && wait_exit "$c" >/dev/null
	scenario "logs stdout" expect_eq stdout "$(crictl_ logs "$c" 2>/dev/null)" to-stdout
	scenario "logs stderr" expect_eq stderr "$(crictl_ logs "$c" 2>&1 >/dev/null)" to-stderr
	c=$(run_ctr "$pod" "$p" ro '["sh","-c","touch /x 2>&1; echo rc=$?"]' '.linux.security_context.readonly_rootfs = true') && wait_exit "$c" >/dev/null
	scenario "readonly rootfs" sc_grep "$c" "Read-only file system"
	c=$(run_ctr "$pod" "$p" user '["sh","-c","id -u; id -g; id -G"]' '.linux.security_context = {run_as_user: {value: 1000}, run_as_group: {value: 2000}, supplemental_groups: [3000]}') && wait_exit "$c" >/dev/null
	scenario "user and groups" expect_eq id "$(crictl_ logs "$c" 2>&1 | tr '\n' ' ')" "1000 2000 2000 3000 "
	c=$(run_ctr "$pod" "$p" caps '["sh","-c","grep CapEff /proc/self/status"]' '.linux.security_context.capabilities = {add_capabilities: ["NET_ADMIN"], drop_capabilities: ["CHOWN"]}') && wait_exit "$c" >/dev/null
	scenario "cap add/drop" sc_caps "$c"
	c=$(run_ctr "$pod" "$p" nnp '["sh","-c","grep -E \"^(NoNewPrivs|Seccomp):\" /proc/self/status"]' '.linux.security_context.no_new_privs = true | .linux.security_context.seccomp = {profile_type: 0}') && wait_exit "$c" >/dev/null
	scenario "no-new-privileges" sc_grep "$c" "NoNewPrivs:.1"
	scenario "seccomp RuntimeDefault" sc_grep "$c" "Seccomp:.2"
	mkdir -p "$T/vol" && echo from-host >"$T/vol/in"
	c=$(run_ctr "$pod" "$p" vol '["sh","-c","cat /data/in; echo from-ctr > /data/out"]' ".mounts = [{container_path: \"/data\", host_path: \"$T/vol\"}]") && wait_exit "$c" >/dev/null
	scenario "bind volume" sc_vol "$c"
	c=$(run_ctr "$pod" "$p" oom '["sh","-c","tail /dev/zero"]' '.linux.resources = {memory_limit_in_bytes: 33554432}') && wait_exit "$c" >/dev/null
	scenario "OOM reported as OOMKilled" expect_eq reason "$(ctr_status "$c" .status.reason)" OOMKilled
	crictl_ rmp -f "$pod" >/dev/null
	scenario "rmp -f" expect_eq pods "$(crictl_ pods -q --namespace hako-cri)" ""
}

sc_missing_entrypoint() {
	local c out
	c=$(crictl_ create "$1" "$(ctr_json missing '["/nonexistent"]')" "$2") || return 1
	out=$(crictl_ start "$c" 2>&1) && {
		echo "start succeeded: $out"
		return 1
	}
	echo "$out" | grep -q 'no such file' || {
		echo "start error does not name the cause: $out"
		return 1
	}
}

# sc_grep_cmd PATTERN CMD...: CMD fails and says PATTERN.
sc_grep_cmd() {
	local pat=$1 out
	shift
	out=$("$@" 2>&1) && {
		echo "succeeded: $out"
		return 1
	}
	echo "$out" | grep -q "$pat" || {
		echo "$out"
		return 1
	}
}

sc_grep() {
	local out
	out=$(crictl_ logs "$1" 2>&1)
	echo "$out" | grep -qE "$2" || {
		echo "$out"
		return 1
	}
}

sc_caps() {
	local eff
	eff=$(crictl_ logs "$1" 2>&1 | awk '{print $2}')
	# CAP_CHOWN is bit 0, CAP_NET_ADMIN bit 12.
	((0x$eff & 1)) && {
		echo "CHOWN not dropped: $eff"
		return 1
	}
	((0x$eff & (1 << 12))) || {
		echo "NET_ADMIN not added: $eff"
		return 1
	}
}

sc_vol() {
	expect_eq read "$(crictl_ logs "$1" 2>&1)" from-host || return 1
	expect_eq written "$(cat "$T/vol/out" 2>&1)" from-ctr
}

# A user-namespaced pod (Kubernetes' hostUsers: false): containerd maps
# the pod's IDs and idmaps the rootfs; root inside is an unprivileged
# host ID.
sc_userns() {
	local pod p c out host=3276800 # 50 * 65536, as kubelet allocates
	p=$(pod_json userns ".linux.security_context.namespace_options.userns_options = {mode: 0,
		uids: [{host_id: $host, container_id: 0, length: 65536}],
		gids: [{host_id: $host, container_id: 0, length: 65536}]}")
	pod=$(crictl_ runp "$p" 2>&1) && sc_pass "userns: runp" || {
		sc_fail "userns: runp" "$pod"
		return
	}
	# kubelet repeats the pod's mappings in each container's config;
	# containerd refuses a container whose mappings differ.
	c=$(run_ctr "$pod" "$p" userns '["sleep","3600"]' ".linux.security_context.namespace_options.userns_options = $(jq -c .linux.security_context.namespace_options.userns_options "$p")") && sc_pass "userns: create+start" || {
		sc_fail "userns: create+start" "$c"
		crictl_ rmp -f "$pod" >/dev/null
		return
	}
	scenario "userns: uid_map" expect_eq uid_map "$(crictl_ exec "$c" cat /proc/self/uid_map 2>&1 | tr -s ' ' | sed 's/^ //')" "0 $host 65536"
	scenario "userns: gid_map" expect_eq gid_map "$(crictl_ exec "$c" cat /proc/self/gid_map 2>&1 | tr -s ' ' | sed 's/^ //')" "0 $host 65536"
	scenario "userns: root inside" expect_eq id "$(crictl_ exec "$c" id -u 2>&1)" 0
	scenario "userns: host uid" expect_eq uid "$(awk '/^Uid:/ {print $2}' "/proc/$(ctr_status "$c" .info.pid)/status")" "$host"
	scenario "userns: write rootfs" sc_userns_write "$c"
	out=$(crictl_ exec "$c" sh -c 'echo 1 > /proc/sys/kernel/ns_last_pid' 2>&1)
	scenario "userns: no host privilege" expect_eq "write to /proc/sys (denied)" "$([ $? -ne 0 ] && echo denied || echo "allowed: $out")" denied
	crictl_ rmp -f "$pod" >/dev/null
	scenario "userns: rmp -f" expect_eq pods "$(crictl_ pods -q --namespace hako-cri)" ""
}

sc_userns_write() {
	local out
	out=$(crictl_ exec "$1" sh -c 'touch /root/f && chown 0:0 /root/f && ls -ln /root/f' 2>&1) || {
		echo "$out"
		return 1
	}
	echo "$out" | grep -qE '^-[rwx-]+ +1 +0 +0 ' || {
		echo "$out"
		return 1
	}
}

run_scenarios() {
	sc_main
	sc_oneshot
	sc_userns
}
