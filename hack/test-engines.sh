#!/bin/bash
# make test-engines: hako under real engines (podman, containerd's ctr,
# docker), each configured the way docs/engines.md tells users to, with the
# same scenarios run on the reference runc 1.5.3 for comparison.
#
#   hack/test-engines.sh                 every engine, hako and runc 1.5.3,
#                                        table at the end and in docs/engines.md
#   hack/test-engines.sh --smoke         make test's subset (podman and ctr,
#                                        hako only), TAP
#   ENGINES="podman ctr" RUNTIMES="hako" hack/test-engines.sh
#
# Every engine runs fully private: its own storage, state, sockets,
# configuration and cgroup parent under a temp directory, daemons started
# and stopped by pid, no network (podman --network none, dockerd without
# bridge or iptables, containerd without CRI), images imported from a
# busybox-static rootfs (no registry). Each engine's run takes
# /tmp/hako-suite.lock (the machine runs one container suite at a time),
# with -o (daemons must not inherit the lock), except in --smoke, where
# make test as a whole is the locked unit.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.bash
. hack/lib.bash
REPO=$PWD
LOCK=/tmp/hako-suite.lock

HAKO=${HAKO:-$REPO/hako}
REF_RUNC=${REF_RUNC:-$REPO/.cache/ref/runc}
HEALTH_SECONDS=${HEALTH_SECONDS:-60}
# Engine clients, the ones that match each other: Debian's containerd
# (ctr and the runc shim beside it), Debian's dockerd and its client.
CONTAINERD=${CONTAINERD:-/usr/bin/containerd}
CTR=${CTR:-/usr/bin/ctr}
DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DOCKER=${DOCKER:-/usr/bin/docker}
# The daemons look the shim, docker-init and conmon up in PATH: Debian's.
DAEMON_PATH=/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin

ALL_SCENARIOS="exit-0 exit-1 exit-126 exit-127 stdio env workdir user read-only tmpfs bind
memory cpu pids cap-add-drop seccomp no-new-privs tty stdin exec exec-t exec-u exec-w exec-e
pause-unpause stop-timeout kill-signal restart update stats top init oom rm-f-running
rm-f-paused healthcheck"
SMOKE_SCENARIOS="exit-0 exit-127 stdio user memory exec exec-u pause-unpause rm-f-paused"

# ---------------------------------------------------------------- helpers

log() { echo "# $*" >&2; }

# note TEXT: why a scenario is not applicable or failed, for the table.
note() { echo "$*" >>"$NOTEF"; }
# na TEXT: the scenario does not apply to this engine; returns 3.
na() {
	note "$*"
	return 3
}
fail() {
	note "$*"
	echo "FAIL: $*" >&2
	return 1
}
# eq GOT WANT WHAT
eq() {
	[ "$1" = "$2" ] && return 0
	fail "$3: got '$1', want '$2'"
}
# has HAYSTACK NEEDLE WHAT
has() {
	case "$1" in *"$2"*) return 0 ;; esac
	fail "$3: '$2' not in '$1'"
}
# in_pty CMD...: CMD with a terminal as stdin/stdout (util-linux script).
in_pty() {
	local c
	c=$(printf '%q ' "$@")
	timeout 60 script -qefc "$c" /dev/null </dev/null
}

# Debian packages the engines come from, installed only when missing. On a
# machine without a policy-rc.d, one is put in place for the install so
# that the packages' own daemons are not started system-wide.
install_debs() {
	local missing="" p made=""
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing="$missing $p"
	done
	[ -n "$missing" ] || return 0
	log "installing:$missing"
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 0755 /usr/sbin/policy-rc.d && made=1
	fi
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing; } >/dev/null 2>&1
	local rc=$?
	[ -z "$made" ] || rm -f /usr/sbin/policy-rc.d
	return $rc
}

# mkimage DIR: DIR/rootfs.tar (busybox-static rootfs, for podman and docker
# import) and DIR/oci.tar (the same as an OCI image archive, for ctr).
mkimage() {
	local d=$1 oci=$1/oci layer cfg man ls cs ms
	tests/integration/mkbundle.sh "$d" >/dev/null || return 1
	# 126: a file that exists and is not executable
	printf 'not a program\n' >"$d/rootfs/bin/noexec"
	chmod 0644 "$d/rootfs/bin/noexec"
	mkdir -p "$d/rootfs/home/hako" "$d/rootfs/data"
	chown 1000:1000 "$d/rootfs/home/hako"
	tar --numeric-owner -C "$d/rootfs" -cf "$d/rootfs.tar" . || return 1
	mkdir -p "$oci/blobs/sha256"
	layer=$(sha256sum "$d/rootfs.tar" | cut -d' ' -f1)
	ls=$(stat -c %s "$d/rootfs.tar")
	cp "$d/rootfs.tar" "$oci/blobs/sha256/$layer"
	printf '{"architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
		"$(go env GOARCH 2>/dev/null || echo amd64)" "$layer" >"$d/config.json"
	cfg=$(sha256sum "$d/config.json" | cut -d' ' -f1)
	cs=$(stat -c %s "$d/config.json")
	mv "$d/config.json" "$oci/blobs/sha256/$cfg"
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"sha256:%s","size":%s}]}' \
		"$cfg" "$cs" "$layer" "$ls" >"$d/manifest.json"
	man=$(sha256sum "$d/manifest.json" | cut -d' ' -f1)
	ms=$(stat -c %s "$d/manifest.json")
	mv "$d/manifest.json" "$oci/blobs/sha256/$man"
	printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"latest"}}]}' \
		"$man" "$ms" "$IMAGE" >"$oci/index.json"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$oci/oci-layout"
	tar -C "$oci" -cf "$d/oci.tar" oci-layout index.json blobs
}

# The seccomp profile: mkdir denied with EPERM, everything else allowed.
# The same JSON is an OCI LinuxSeccomp (ctr) and a docker/podman profile.
write_seccomp() {
	cat >"$1" <<'EOF'
{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}
EOF
}

# unmount_under DIR: every mount at or below DIR, deepest first.
unmount_under() {
	local m
	for m in $(awk -v d="$1" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r); do
		umount -l "$m" 2>/dev/null
	done
}

# remove_cgroups NAME: the cgroup trees this run made, in every hierarchy.
# A monitor (conmon, a shim) may take a moment to leave its cgroup after
# its container is removed: retried for up to 10 s.
remove_cgroups() {
	local d i left
	for i in $(seq 20); do
		left=""
		for d in /sys/fs/cgroup/*/"$1" /sys/fs/cgroup/"$1"; do
			[ -d "$d" ] || continue
			find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null
			[ -d "$d" ] && left=1
		done
		[ -n "$left" ] || return 0
		sleep 0.5
	done
	log "cgroups left: $(ls -d /sys/fs/cgroup/*/"$1" 2>/dev/null | tr '\n' ' ')"
}


# wait_for SECONDS CMD...: until CMD succeeds.
wait_for() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# cgroup_file V1PATH V2FILE: the container's view of a limit, v1 or v2.
cg_read() { # shell snippet for inside the container
	echo "cat /sys/fs/cgroup/$1 2>/dev/null || cat /sys/fs/cgroup/$2"
}

# ------------------------------------------------- podman and docker alike
#
# E is the engine's client (podman or docker with this run's private
# flags); RUNX are the flags every `run`/`create` gets.

d_run() { E run --rm "${RUNX[@]}" "$@"; }

sc_dl_exit-0() { d_run "$IMAGE" true; eq $? 0 "exit status"; }
sc_dl_exit-1() { d_run "$IMAGE" false; eq $? 1 "exit status"; }
sc_dl_exit-126() {
	local out
	out=$(d_run "$IMAGE" /bin/noexec 2>&1)
	eq $? 126 "exit status ($out)"
}
sc_dl_exit-127() {
	local out
	out=$(d_run "$IMAGE" /nonexistent 2>&1)
	eq $? 127 "exit status ($out)"
}
sc_dl_stdio() {
	local out err
	out=$(d_run "$IMAGE" sh -c 'echo to-out; echo to-err >&2' 2>"$W/err")
	err=$(cat "$W/err")
	eq "$out" to-out stdout && eq "$err" to-err stderr
}
sc_dl_env() {
	local out
	out=$(d_run -e FOO=bar -e 'SP=a b' "$IMAGE" sh -c 'echo "$FOO|$SP|$PATH"')
	has "$out" "bar|a b|" env && has "$out" /bin "PATH"
}
sc_dl_workdir() {
	local out
	out=$(d_run -w /tmp "$IMAGE" pwd)
	eq "$out" /tmp "pwd"
}
sc_dl_user() {
	local out
	out=$(d_run --user 1000:1000 --group-add 2000 "$IMAGE" sh -c 'echo $(id -u) $(id -g) $(id -G)')
	has "$out" "1000 1000 " "uid gid" && has "$out" 2000 "supplementary group 2000"
}
sc_dl_read-only() {
	local out
	out=$(d_run --read-only -v "$W/vol:/data" "$IMAGE" sh -c 'touch /etc/x 2>&1; touch /data/ro-ok && echo vol-rw')
	has "$out" "Read-only file system" "write to the rootfs" && has "$out" vol-rw "write to a volume"
}
sc_dl_tmpfs() {
	local out
	out=$(d_run --tmpfs /scratch:rw,size=1m,mode=1777 "$IMAGE" sh -c 'grep " /scratch " /proc/mounts; stat -c %a /scratch; echo x >/scratch/f && echo written')
	has "$out" "tmpfs /scratch tmpfs" mount && has "$out" "size=1024k" size && has "$out" 1777 mode && has "$out" written write
}
sc_dl_bind() {
	local out
	echo from-host >"$W/vol/in"
	out=$(d_run -v "$W/vol:/data" -v "$W/vol:/ro:ro" "$IMAGE" sh -c 'cat /data/in; echo from-ctr >/data/out; echo x >/ro/y 2>&1 || echo ro-refused')
	has "$out" from-host "host file seen" && eq "$(cat "$W/vol/out" 2>/dev/null)" from-ctr "container write seen on the host" &&
		has "$out" ro-refused ":ro bind"
}
sc_dl_memory() {
	local out
	out=$(d_run --memory 64m "$IMAGE" sh -c "$(cg_read memory/memory.limit_in_bytes memory.max)")
	eq "$out" 67108864 "memory limit in the container's cgroup"
}
sc_dl_cpu() {
	local out
	out=$(d_run --cpus 0.5 --cpu-shares 512 "$IMAGE" sh -c "$(cg_read cpu/cpu.cfs_quota_us cpu.max); $(cg_read cpu/cpu.shares cpu.weight)")
	has "$out" 50000 "cpu quota" && { has "$out" 512 "cpu shares" || has "$out" 20 "cpu weight"; }
}
sc_dl_pids() {
	local out
	out=$(d_run --pids-limit 42 "$IMAGE" sh -c "$(cg_read pids/pids.max pids.max)")
	eq "$out" 42 "pids.max"
}
sc_dl_cap-add-drop() {
	local out
	out=$(d_run --cap-drop all --cap-add NET_ADMIN --cap-add SYS_TIME "$IMAGE" sh -c 'grep -E "^Cap(Eff|Bnd|Prm)" /proc/self/status')
	# CAP_NET_ADMIN is bit 12, CAP_SYS_TIME bit 25
	has "$out" "CapEff:	0000000002001000" CapEff && has "$out" "CapBnd:	0000000002001000" CapBnd || return 1
	out=$(d_run --cap-drop CHOWN "$IMAGE" sh -c 'chown 1000 /tmp 2>&1; grep CapEff /proc/self/status')
	has "$out" "Operation not permitted" "chown without CAP_CHOWN"
}
sc_dl_seccomp() {
	local out rc
	out=$(d_run --security-opt "seccomp=$W/seccomp.json" "$IMAGE" sh -c 'mkdir /tmp/d 2>&1; echo rc=$?; touch /tmp/f && echo touch-ok')
	has "$out" "Operation not permitted" "mkdir denied" && has "$out" rc=1 "mkdir status" && has "$out" touch-ok "other syscalls"
}
sc_dl_no-new-privs() {
	local out
	out=$(d_run --security-opt no-new-privileges "$IMAGE" grep NoNewPrivs /proc/self/status)
	has "$out" "NoNewPrivs:	1" "with no-new-privileges" || return 1
	out=$(d_run "$IMAGE" grep NoNewPrivs /proc/self/status)
	has "$out" "NoNewPrivs:	0" "by default"
}
sc_dl_tty() {
	local out
	out=$(in_pty "${E_CMD[@]}" run --rm -t "${RUNX[@]}" "$IMAGE" sh -c 'tty; stty size; [ -t 1 ] && echo is-a-tty')
	has "$out" /dev/pts/ "tty" && has "$out" is-a-tty "stdout is a terminal"
}
sc_dl_stdin() {
	local out
	out=$(printf 'line1\nline2\n' | d_run -i "$IMAGE" sh -c 'cat; echo done')
	eq "$out" "$(printf 'line1\nline2\ndone')" "stdin relayed to the container"
}
# dl_start NAME [OPTS...] [IMAGE CMD...]: a detached container, sleeping
# unless a command follows the image.
dl_start() {
	local n=$1 a=""
	shift
	for a; do [ "$a" = "$IMAGE" ] && break; done
	[ "$a" = "$IMAGE" ] || set -- "$@" "$IMAGE" sleep 1000
	E run -d --name "$n" "${RUNX[@]}" "$@" >/dev/null || fail "run -d $n"
}
dl_state() { E inspect -f "{{.State.$2}}" "$1" 2>/dev/null; }
dl_rm() { E rm -f "$@" >/dev/null 2>&1; }
sc_dl_exec() {
	local out
	dl_start ex || return 1
	out=$(E exec ex sh -c 'echo $$; cat /proc/1/comm; echo err >&2' 2>"$W/err")
	has "$out" sleep "exec sees the container's pid 1" && eq "$(cat "$W/err")" err "exec stderr" || return 1
	E exec ex sh -c 'exit 7'
	eq $? 7 "exec exit status"
}
sc_dl_exec-t() {
	local out
	dl_start ext || return 1
	out=$(in_pty "${E_CMD[@]}" exec -t ext sh -c 'tty; [ -t 0 ] && echo is-a-tty')
	has "$out" /dev/pts/ tty && has "$out" is-a-tty "stdin is a terminal"
}
sc_dl_exec-u() {
	local out
	dl_start exu || return 1
	out=$(E exec -u 1000:1000 exu sh -c 'echo $(id -u) $(id -g)')
	eq "$out" "1000 1000" "exec -u"
}
sc_dl_exec-w() {
	local out
	dl_start exw || return 1
	out=$(E exec -w /tmp exw pwd)
	eq "$out" /tmp "exec -w"
}
sc_dl_exec-e() {
	local out
	dl_start exe || return 1
	out=$(E exec -e FOO=exec-env exe sh -c 'echo $FOO')
	eq "$out" exec-env "exec -e"
}
sc_dl_pause-unpause() {
	local out
	dl_start pa || return 1
	E pause pa >/dev/null || { fail pause; return 1; }
	eq "$(dl_state pa Status)" paused "state after pause" || return 1
	E unpause pa >/dev/null || { fail unpause; return 1; }
	eq "$(dl_state pa Status)" running "state after unpause" || return 1
	out=$(E exec pa echo alive) && eq "$out" alive "exec after unpause"
}
sc_dl_stop-timeout() {
	local t0 t1
	dl_start st "$IMAGE" sh -c 'trap "" TERM; while :; do sleep 1; done' || return 1
	t0=$(date +%s)
	E stop -t 3 st >/dev/null || { fail stop; return 1; }
	t1=$(date +%s)
	eq "$(dl_state st ExitCode)" 137 "exit code after the timeout's SIGKILL" || return 1
	[ $((t1 - t0)) -ge 3 ] && [ $((t1 - t0)) -le 20 ] || fail "stop took $((t1 - t0))s, want 3..20"
}
sc_dl_kill-signal() {
	local out
	dl_start ki "$IMAGE" sh -c 'trap "echo got-USR1" USR1; trap "echo got-HUP" HUP; echo ready; while :; do sleep 0.2; done' || return 1
	wait_for 10 sh -c "$(printf '%q ' "${E_CMD[@]}") logs ki 2>&1 | grep -q ready"
	E kill -s USR1 ki >/dev/null && E kill -s HUP ki >/dev/null || { fail kill; return 1; }
	wait_for 10 sh -c "$(printf '%q ' "${E_CMD[@]}") logs ki 2>&1 | grep -q got-HUP"
	out=$(E logs ki 2>&1)
	has "$out" got-USR1 USR1 && has "$out" got-HUP HUP || return 1
	E kill -s KILL ki >/dev/null || { fail 'kill -s KILL'; return 1; }
	wait_for 10 sh -c "[ \"\$($(printf '%q ' "${E_CMD[@]}") inspect -f '{{.State.Status}}' ki)\" = exited ]"
	eq "$(dl_state ki ExitCode)" 137 "exit code after SIGKILL"
}
sc_dl_restart() {
	local out
	: >"$W/vol/starts"
	dl_start re -v "$W/vol:/data" "$IMAGE" sh -c 'echo start >>/data/starts; exec sleep 1000' || return 1
	wait_for 10 grep -q start "$W/vol/starts"
	E restart -t 1 re >/dev/null || { fail restart; return 1; }
	wait_for 10 sh -c "[ \$(grep -c start '$W/vol/starts') -ge 2 ]"
	eq "$(grep -c start "$W/vol/starts")" 2 "starts" && eq "$(dl_state re Status)" running "state after restart" || return 1
	out=$(E exec re cat /proc/1/comm) && eq "$out" sleep "exec after restart"
}
sc_dl_update() {
	local out
	dl_start up --memory 64m --cpus 1 || return 1
	E update --memory 96m --memory-swap 96m --cpus 0.5 up >/dev/null || { fail update; return 1; }
	out=$(E exec up sh -c "$(cg_read memory/memory.limit_in_bytes memory.max); $(cg_read cpu/cpu.cfs_quota_us cpu.max)")
	has "$out" 100663296 "memory after update" && has "$out" 50000 "cpu quota after update"
}
sc_dl_stats() {
	local out
	dl_start sa --memory 64m || return 1
	out=$(E stats --no-stream --format '{{.MemUsage}} {{.PIDs}}' sa) || { fail "stats: $out"; return 1; }
	has "$out" "64MiB" "memory limit in stats" || has "$out" "67.11MB" "memory limit in stats"
}
sc_dl_top() {
	local out
	dl_start tp || return 1
	out=$(E top tp) || { fail "top: $out"; return 1; }
	has "$out" "sleep 1000" "top lists the container's process"
}
sc_dl_init() {
	local out
	out=$(d_run --init "$IMAGE" sh -c 'cat /proc/1/comm; echo $$')
	case "$out" in
	catatonit* | podman-init* | docker-init* | tini*) [ "$(echo "$out" | tail -1)" != 1 ] || fail "sh is pid 1 with --init" ;;
	*) fail "pid 1 with --init: $out" ;;
	esac
}
sc_dl_oom() {
	local st
	dl_start oo --memory 32m --memory-swap 32m "$IMAGE" sh -c 'head -c 256m /dev/zero | tail' || return 1
	wait_for 30 sh -c "[ \"\$($(printf '%q ' "${E_CMD[@]}") inspect -f '{{.State.Status}}' oo)\" = exited ]" || { fail "still running"; return 1; }
	st=$(dl_state oo OOMKilled)
	eq "$st" true "OOMKilled (exit $(dl_state oo ExitCode))"
}
# rm_f_check NAME: rm -f leaves no container, no process, no runtime state.
dl_rm_f_check() {
	local pid
	pid=$(dl_state "$1" Pid)
	E rm -f "$1" >/dev/null || { fail "rm -f"; return 1; }
	E inspect "$1" >/dev/null 2>&1 && { fail "still there after rm -f"; return 1; }
	[ -n "$pid" ] && [ "$pid" != 0 ] && wait_for 10 sh -c "! kill -0 $pid" || true
	[ -n "$pid" ] && [ "$pid" != 0 ] && kill -0 "$pid" 2>/dev/null && { fail "process $pid survives rm -f"; return 1; }
	return 0
}
sc_dl_rm-f-running() {
	dl_start rr || return 1
	dl_rm_f_check rr
}
sc_dl_rm-f-paused() {
	dl_start rp || return 1
	E pause rp >/dev/null || { fail pause; return 1; }
	eq "$(dl_state rp Status)" paused "state" || return 1
	dl_rm_f_check rp
}

# ------------------------------------------------------------------ podman

podman_setup() {
	local rt=$1 nproc
	mkdir -p "$W/podman/tmp"
	nproc=$(ulimit -Hu)
	[ "$nproc" = unlimited ] || [ "$nproc" -gt 32768 ] && nproc=32768
	# What docs/engines.md tells users, plus this run's privacy: the
	# runtime by name, runtime_supports_json so podman passes
	# --log-format json (hako is not on podman's built-in list), no
	# network, files for logs and events (no journald here), and no
	# RLIMIT asked above this host's hard limits.
	cat >"$W/podman/containers.conf" <<EOF
[containers]
netns = "none"
log_driver = "k8s-file"
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$nproc:$nproc"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
runtime = "$RTNAME"
runtime_supports_json = ["hako", "runc", "crun"]

[engine.runtimes]
hako = ["$HAKO"]
runc = ["$REF_RUNC"]
EOF
	E_CMD=(env CONTAINERS_CONF="$W/podman/containers.conf" PATH="$DAEMON_PATH"
		podman --root "$W/podman/storage" --runroot "$W/podman/run" --tmpdir "$W/podman/tmp"
		--storage-driver overlay --events-backend file --cgroup-manager cgroupfs)
	RUNX=(--cgroup-parent "/$CGNAME" --network none)
	E import --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$W/image/rootfs.tar" "$IMAGE" >/dev/null
}
podman_teardown() {
	E rm -a -f -t 0 >/dev/null 2>&1
	E rmi -a -f >/dev/null 2>&1
	E system reset -f >/dev/null 2>&1
}
# -k: ctr run passes TERM on to the container, which may ignore it
E() { timeout -k 10 120 "${E_CMD[@]}" "$@"; }

sc_podman_healthcheck() {
	local i bad=0 n=0 out
	dl_start hc --health-cmd 'echo check >>/tmp/hc' --health-interval disable || return 1
	# podman schedules checks with systemd timers; without systemd (this
	# machine) the engine's own `healthcheck run` is driven every second.
	for i in $(seq "$HEALTH_SECONDS"); do
		E healthcheck run hc >/dev/null 2>&1 || bad=$((bad + 1))
		sleep 1
	done
	n=$(E exec hc sh -c 'wc -l </tmp/hc')
	out=$(E inspect -f '{{.State.Health.Status}}' hc 2>/dev/null || E inspect -f '{{.State.Healthcheck.Status}}' hc)
	eq "$bad" 0 "failed checks" && eq "$n" "$HEALTH_SECONDS" "checks run" && eq "$out" healthy "health status"
}
sc_podman_oom() { sc_dl_oom; }

# ------------------------------------------------------------------ docker

containerd_start() { # DIR: a private containerd, its socket DIR/containerd.sock
	local d=$1
	mkdir -p "$d"
	cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[debug]
  address = "$d/debug.sock"
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
EOF
	env PATH="$DAEMON_PATH" "$CONTAINERD" --config "$d/config.toml" >"$d/containerd.log" 2>&1 &
	echo $! >"$d/containerd.pid"
	wait_for 20 "$CTR" --address "$d/containerd.sock" version || {
		log "containerd did not start: $(tail -5 "$d/containerd.log")"
		return 1
	}
}

docker_setup() {
	local d=$W/docker
	mkdir -p "$d/cfg"
	containerd_start "$W/containerd" || return 1
	# daemon.json as docs/engines.md has it: both runtimes by path.
	cat >"$d/daemon.json" <<EOF
{
  "runtimes": {
    "hako": { "path": "$HAKO" },
    "runc-1.5.3": { "path": "$REF_RUNC" }
  },
  "default-runtime": "$RTNAME"
}
EOF
	env PATH="$DAEMON_PATH" "$DOCKERD" --config-file "$d/daemon.json" --data-root "$d/data" --exec-root "$d/exec" \
		-H "unix://$d/docker.sock" --pidfile "$d/docker.pid" --containerd "$W/containerd/containerd.sock" \
		--bridge none --iptables=false --ip6tables=false --ip-masq=false --ip-forward=false --userland-proxy=false \
		--storage-driver overlay2 --cgroup-parent "/$CGNAME" --exec-opt native.cgroupdriver=cgroupfs \
		>"$d/dockerd.log" 2>&1 &
	echo $! >"$d/dockerd.pid.bg"
	E_CMD=(env DOCKER_HOST="unix://$d/docker.sock" DOCKER_CONFIG="$d/cfg" "$DOCKER")
	RUNX=(--network none)
	wait_for 30 E version || {
		log "dockerd did not start: $(tail -5 "$d/dockerd.log")"
		return 1
	}
	E import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$W/image/rootfs.tar" "$IMAGE" >/dev/null
}
docker_teardown() {
	local c
	c=$(E ps -aq 2>/dev/null)
	[ -z "$c" ] || E rm -f $c >/dev/null 2>&1
	E rmi -f "$IMAGE" >/dev/null 2>&1
	stop_pid "$(cat "$W/docker/dockerd.pid.bg" 2>/dev/null)"
	containerd_stop "$W/containerd"
}

sc_docker_healthcheck() {
	local out n st
	dl_start hc --health-cmd 'echo check >>/tmp/hc' --health-interval 1s --health-retries 1 --health-timeout 5s || return 1
	sleep "$HEALTH_SECONDS"
	n=$(E exec hc sh -c 'wc -l </tmp/hc')
	st=$(dl_state hc Health.Status)
	out=$(dl_state hc Health.FailingStreak)
	eq "$st" healthy "health status" && eq "$out" 0 "failing streak" || return 1
	[ "$n" -ge $((HEALTH_SECONDS * 8 / 10)) ] || fail "$n checks in ${HEALTH_SECONDS}s"
}

# --------------------------------------------------------------------- ctr

containerd_stop() {
	local d=$1
	[ -e "$d/containerd.pid" ] || return 0
	stop_pid "$(cat "$d/containerd.pid")"
	rm -f "$d/containerd.pid"
}

ctr_setup() {
	containerd_start "$W/containerd" || return 1
	E_CMD=("$CTR" --address "$W/containerd/containerd.sock" --namespace "$CGNAME")
	E image import --base-name "${IMAGE%:*}" "$W/image/oci.tar" >/dev/null || return 1
	# hako as the runc shim's binary (runtime option BinaryName), its
	# state under this run's directory; cgroups at /NAMESPACE/ID (ctr's
	# default), this run's own namespace
	RUNX=(--runc-binary "$RTPATH" --runc-root "$W/runc-root" --fifo-dir "$W/fifo")
}
ctr_teardown() {
	local c
	for c in $(E task ls -q 2>/dev/null); do E task kill -s KILL "$c" >/dev/null 2>&1; done
	sleep 0.5
	for c in $(E task ls -q 2>/dev/null); do E task delete -f "$c" >/dev/null 2>&1; done
	for c in $(E container ls -q 2>/dev/null); do E container delete "$c" >/dev/null 2>&1; done
	E image rm "$IMAGE" >/dev/null 2>&1
	containerd_stop "$W/containerd"
}

# c_run ID ARGS... -- CMD...: ctr run, the id last before the command.
c_run() {
	local id=$1
	shift
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	# with --config, ctr takes the rootfs and command from the spec
	case " ${opts[*]} " in
	*" --config "*) E run "${RUNX[@]}" "${opts[@]}" "$id" ;;
	*) E run "${RUNX[@]}" "${opts[@]}" "$IMAGE" "$id" "$@" ;;
	esac
}
c_cid() { echo "c$RANDOM$RANDOM"; }
# c_spec ID JQ: an OCI config (ctr run --config) for what ctr has no flag
# for: hako spec on the unpacked image rootfs (ctr takes no image with
# --config), JQ applied.
c_spec() {
	local f=$W/spec-$1.json
	(cd "$W" && "$HAKO" spec) >/dev/null
	jq --arg cg "/$CGNAME/$1" --arg root "$W/image/rootfs" '.root = {path: $root, readonly: true} | .process.terminal = false | .linux.cgroupsPath = $cg
		| .process.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
		| '"$2" "$W/config.json" >"$f"
	rm -f "$W/config.json"
	echo "$f"
}
c_state() { E task ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }'; }
c_startd() { # ID [ARGS... --] CMD...: detached, logs to $W/log-ID
	local id=$1
	shift
	local opts=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] || set -- sleep 1000
	c_run "$id" -d --log-uri "file://$W/log-$id" "${opts[@]}" -- "$@" >/dev/null || fail "run -d $id"
}
c_gone() { # ID: task killed and deleted, container deleted
	E task kill -s KILL "$1" >/dev/null 2>&1
	E task delete -f "$1" >/dev/null 2>&1
	E container delete "$1" >/dev/null 2>&1
}

sc_ctr_exit-0() { c_run "$(c_cid)" --rm -- true; eq $? 0 "exit status"; }
sc_ctr_exit-1() { c_run "$(c_cid)" --rm -- false; eq $? 1 "exit status"; }
# ctr has no 126/127 of its own: the task fails to start and ctr returns
# the runtime's error, which must say why, as runc's does.
sc_ctr_exit-126() {
	local out id
	id=$(c_cid)
	out=$(c_run "$id" --rm -- /bin/noexec 2>&1)
	local rc=$?
	c_gone "$id"
	[ $rc -ne 0 ] || { fail "exit 0 for a non-executable file"; return 1; }
	has "$out" "permission denied" "error text"
}
sc_ctr_exit-127() {
	local out id
	id=$(c_cid)
	out=$(c_run "$id" --rm -- /nonexistent 2>&1)
	local rc=$?
	c_gone "$id"
	[ $rc -ne 0 ] || { fail "exit 0 for a missing program"; return 1; }
	has "$out" "no such file or directory" "error text"
}
sc_ctr_stdio() {
	local out
	out=$(c_run "$(c_cid)" --rm -- sh -c 'echo to-out; echo to-err >&2' 2>"$W/err")
	eq "$out" to-out stdout && eq "$(cat "$W/err")" to-err stderr
}
sc_ctr_env() {
	local out
	out=$(c_run "$(c_cid)" --rm --env FOO=bar --env 'SP=a b' -- sh -c 'echo "$FOO|$SP|$PATH"')
	has "$out" "bar|a b|" env && has "$out" /bin PATH
}
sc_ctr_workdir() {
	local out
	out=$(c_run "$(c_cid)" --rm --cwd /tmp -- pwd)
	eq "$out" /tmp pwd
}
sc_ctr_user() {
	local out id
	id=$(c_cid)
	# ctr 1.6 run has no --user: the spec carries it
	out=$(c_run "$id" --rm --config "$(c_spec "$id" '.process.user = {uid: 1000, gid: 1000, additionalGids: [2000]} | .process.args = ["sh", "-c", "echo $(id -u) $(id -g) $(id -G)"]')" --)
	has "$out" "1000 1000 " "uid gid" && has "$out" 2000 "supplementary group 2000"
}
sc_ctr_read-only() {
	local out
	out=$(c_run "$(c_cid)" --rm --read-only --mount "type=bind,src=$W/vol,dst=/data,options=rbind:rw" -- sh -c 'touch /etc/x 2>&1; touch /data/ro-ok && echo vol-rw')
	has "$out" "Read-only file system" "write to the rootfs" && has "$out" vol-rw "write to a mount"
}
sc_ctr_tmpfs() {
	local out
	out=$(c_run "$(c_cid)" --rm --mount "type=tmpfs,src=tmpfs,dst=/scratch,options=size=1m:mode=1777" -- sh -c 'grep " /scratch " /proc/mounts; stat -c %a /scratch; echo x >/scratch/f && echo written')
	has "$out" "/scratch tmpfs" mount && has "$out" "size=1024k" size && has "$out" 1777 mode && has "$out" written write
}
sc_ctr_bind() {
	local out
	echo from-host >"$W/vol/in"
	out=$(c_run "$(c_cid)" --rm --mount "type=bind,src=$W/vol,dst=/data,options=rbind:rw" --mount "type=bind,src=$W/vol,dst=/ro,options=rbind:ro" -- \
		sh -c 'cat /data/in; echo from-ctr >/data/out; echo x >/ro/y 2>&1 || echo ro-refused')
	has "$out" from-host "host file seen" && eq "$(cat "$W/vol/out" 2>/dev/null)" from-ctr "container write seen on the host" &&
		has "$out" ro-refused "ro bind"
}
# c_cg ID CONTROLLER V1FILE V2FILE: a limit in the task's cgroup, read on
# the host (ctr's default spec mounts no cgroupfs in the container).
c_cg() {
	local pid rel
	pid=$(E task ls | awk -v id="$1" '$1 == id { print $2 }')
	rel=$(awk -F: -v c="$2" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' "/proc/$pid/cgroup")
	if [ -n "$rel" ]; then
		cat "/sys/fs/cgroup/$2$rel/$3"
	else
		cat "/sys/fs/cgroup/unified$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")/$4" 2>/dev/null ||
			cat "/sys/fs/cgroup$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")/$4"
	fi
}
sc_ctr_memory() {
	local id
	id=$(c_cid)
	c_startd "$id" --memory-limit 67108864 || return 1
	eq "$(c_cg "$id" memory memory.limit_in_bytes memory.max)" 67108864 "memory limit in the task's cgroup"
}
sc_ctr_cpu() {
	local id
	id=$(c_cid)
	c_startd "$id" --cpus 0.5 --cpu-shares 512 || return 1
	has "$(c_cg "$id" cpu cpu.cfs_quota_us cpu.max)" 50000 "cpu quota" &&
		{ has "$(c_cg "$id" cpu cpu.shares cpu.weight)" 512 "cpu shares" || has "$(c_cg "$id" cpu cpu.shares cpu.weight)" 20 "cpu weight"; }
}
sc_ctr_pids() {
	local out id
	id=$(c_cid)
	# ctr 1.6 run has no pids limit flag: the spec carries it
	out=$(c_run "$id" --rm --config "$(c_spec "$id" '.linux.resources.pids = {limit: 42} | .process.args = ["sh", "-c", "'"$(cg_read pids/pids.max pids.max)"'"]')" --)
	eq "$out" 42 "pids.max"
}
sc_ctr_cap-add-drop() {
	local out
	local id
	# ctr 1.6 has no --cap-drop ALL: the spec carries exactly two
	id=$(c_cid)
	out=$(c_run "$id" --rm --config "$(c_spec "$id" '.process.capabilities = ({} | .bounding = ["CAP_NET_ADMIN", "CAP_SYS_TIME"] | .effective = .bounding | .permitted = .bounding) | .process.args = ["sh", "-c", "grep -E \"^Cap(Eff|Bnd)\" /proc/self/status"]')" --)
	has "$out" "CapEff:	0000000002001000" CapEff && has "$out" "CapBnd:	0000000002001000" CapBnd || return 1
	out=$(c_run "$(c_cid)" --rm --cap-drop CAP_CHOWN -- sh -c 'chown 1000 /tmp 2>&1')
	has "$out" "Operation not permitted" "chown after --cap-drop CAP_CHOWN"
}
sc_ctr_seccomp() {
	local out
	out=$(c_run "$(c_cid)" --rm --seccomp --seccomp-profile "$W/seccomp.json" -- sh -c 'mkdir /tmp/d 2>&1; echo rc=$?; touch /tmp/f && echo touch-ok')
	has "$out" "Operation not permitted" "mkdir denied" && has "$out" rc=1 "mkdir status" && has "$out" touch-ok "other syscalls"
}
sc_ctr_no-new-privs() {
	local out
	# ctr sets noNewPrivileges unless --allow-new-privs
	out=$(c_run "$(c_cid)" --rm -- grep NoNewPrivs /proc/self/status)
	has "$out" "NoNewPrivs:	1" "by default" || return 1
	out=$(c_run "$(c_cid)" --rm --allow-new-privs -- grep NoNewPrivs /proc/self/status)
	has "$out" "NoNewPrivs:	0" "with --allow-new-privs"
}
sc_ctr_tty() {
	local out
	out=$(in_pty "${E_CMD[@]}" run -t --rm "${RUNX[@]}" "$IMAGE" "$(c_cid)" sh -c 'tty; [ -t 1 ] && echo is-a-tty')
	has "$out" /dev/pts/ tty && has "$out" is-a-tty "stdout is a terminal"
}
sc_ctr_stdin() {
	local out
	# ctr run relays stdin but does not close the container's at EOF:
	# read what was sent
	out=$(printf 'line1\nline2\n' | c_run "$(c_cid)" --rm -- sh -c 'head -n 2; echo done')
	eq "$out" "$(printf 'line1\nline2\ndone')" "stdin relayed to the container"
}
sc_ctr_exec() {
	local out id
	id=$(c_cid)
	c_startd "$id" || return 1
	out=$(E task exec --fifo-dir "$W/fifo" --exec-id e1 "$id" sh -c 'cat /proc/1/comm; echo err >&2' 2>"$W/err")
	has "$out" sleep "exec sees the container's pid 1" && eq "$(cat "$W/err")" err "exec stderr" || return 1
	E task exec --fifo-dir "$W/fifo" --exec-id e2 "$id" sh -c 'exit 7'
	eq $? 7 "exec exit status"
}
sc_ctr_exec-t() {
	local out id
	id=$(c_cid)
	c_startd "$id" || return 1
	out=$(in_pty "${E_CMD[@]}" task exec --fifo-dir "$W/fifo" -t --exec-id et "$id" sh -c 'tty; [ -t 0 ] && echo is-a-tty')
	has "$out" /dev/pts/ tty && has "$out" is-a-tty "stdin is a terminal"
}
sc_ctr_exec-u() {
	local out id
	id=$(c_cid)
	c_startd "$id" || return 1
	out=$(E task exec --fifo-dir "$W/fifo" --exec-id eu --user 1000 "$id" sh -c 'echo $(id -u) $(id -g)')
	eq "$out" "1000 1000" "exec --user (gid from /etc/passwd)"
}
sc_ctr_exec-w() {
	local out id
	id=$(c_cid)
	c_startd "$id" || return 1
	out=$(E task exec --fifo-dir "$W/fifo" --exec-id ew --cwd /tmp "$id" pwd)
	eq "$out" /tmp "exec --cwd"
}
sc_ctr_exec-e() { na "ctr task exec has no --env"; }
sc_ctr_pause-unpause() {
	local out id
	id=$(c_cid)
	c_startd "$id" || return 1
	E task pause "$id" || { fail pause; return 1; }
	eq "$(c_state "$id")" PAUSED "state after pause" || return 1
	E task resume "$id" || { fail resume; return 1; }
	eq "$(c_state "$id")" RUNNING "state after resume" || return 1
	out=$(E task exec --fifo-dir "$W/fifo" --exec-id pa "$id" echo alive) && eq "$out" alive "exec after resume"
}
# ctr has no stop verb: what a client does (TERM, KILL after a timeout).
sc_ctr_stop-timeout() {
	local id
	id=$(c_cid)
	c_startd "$id" -- sh -c 'trap "" TERM; while :; do sleep 1; done' || return 1
	E task kill -s TERM "$id" || { fail "kill TERM"; return 1; }
	sleep 3
	eq "$(c_state "$id")" RUNNING "state 3s after an ignored SIGTERM" || return 1
	E task kill -s KILL "$id" || { fail "kill KILL"; return 1; }
	wait_for 10 sh -c "[ \"\$($(printf '%q ' "${E_CMD[@]}") task ls | awk '\$1 == \"$id\" { print \$3 }')\" = STOPPED ]"
	eq "$(c_state "$id")" STOPPED "state after SIGKILL"
}
sc_ctr_kill-signal() {
	local id
	id=$(c_cid)
	c_startd "$id" -- sh -c 'trap "echo got-USR1" USR1; trap "echo got-HUP" HUP; echo ready; while :; do sleep 0.2; done' || return 1
	wait_for 10 grep -q ready "$W/log-$id"
	E task kill -s SIGUSR1 "$id" && E task kill -s SIGHUP "$id" || { fail kill; return 1; }
	wait_for 10 grep -q got-HUP "$W/log-$id"
	has "$(cat "$W/log-$id")" got-USR1 USR1 && has "$(cat "$W/log-$id")" got-HUP HUP || return 1
	E task kill -s SIGKILL "$id" || { fail "kill -s KILL"; return 1; }
	wait_for 10 sh -c "[ \"\$($(printf '%q ' "${E_CMD[@]}") task ls | awk '\$1 == \"$id\" { print \$3 }')\" = STOPPED ]"
	eq "$(c_state "$id")" STOPPED "state after SIGKILL"
}
# restart: a new task for the same container (ctr has no restart verb)
sc_ctr_restart() {
	local id out
	id=$(c_cid)
	: >"$W/vol/starts"
	c_startd "$id" --mount "type=bind,src=$W/vol,dst=/data,options=rbind:rw" -- sh -c 'echo start >>/data/starts; exec sleep 1000' || return 1
	wait_for 10 grep -q start "$W/vol/starts"
	E task kill -s KILL "$id" && wait_for 10 sh -c "[ \"\$($(printf '%q ' "${E_CMD[@]}") task ls | awk '\$1 == \"$id\" { print \$3 }')\" = STOPPED ]"
	E task delete "$id" >/dev/null || { fail "task delete"; return 1; }
	E task start --fifo-dir "$W/fifo" -d "$id" >/dev/null || { fail "task start"; return 1; }
	wait_for 10 sh -c "[ \$(grep -c start '$W/vol/starts') -ge 2 ]"
	eq "$(grep -c start "$W/vol/starts")" 2 starts && eq "$(c_state "$id")" RUNNING "state after restart"
}
sc_ctr_update() { na "ctr 1.6 has no update verb (containerd's Update API is CRI's)"; }
sc_ctr_stats() {
	local out id
	id=$(c_cid)
	c_startd "$id" --memory-limit 67108864 || return 1
	out=$(E task metrics "$id" 2>&1) || { fail "metrics: $out"; return 1; }
	has "$out" "memory.limit_in_bytes" "memory limit in metrics" || has "$out" "memory.max" "memory limit in metrics" || return 1
	has "$out" 67108864 "the limit's value"
}
sc_ctr_top() {
	local out id pid
	id=$(c_cid)
	c_startd "$id" || return 1
	pid=$(E task ls | awk -v id="$id" '$1 == id { print $2 }')
	out=$(E task ps "$id") || { fail "ps: $out"; return 1; }
	has "$out" "$pid" "task ps lists the init pid"
}
sc_ctr_init() { na "ctr has no --init"; }
sc_ctr_oom() {
	local id out
	id=$(c_cid)
	E events >"$W/events" 2>&1 &
	local ev=$!
	sleep 0.5
	c_run "$id" --rm --memory-limit 33554432 -- sh -c 'head -c 256m /dev/zero | tail' >/dev/null 2>&1
	local rc=$?
	sleep 1
	kill "$ev" 2>/dev/null
	wait "$ev" 2>/dev/null
	eq "$rc" 137 "exit status" || return 1
	out=$(grep "/tasks/oom" "$W/events")
	has "$out" "$id" "a /tasks/oom event for the container"
}
sc_ctr_rm-f-running() {
	local id pid
	id=$(c_cid)
	c_startd "$id" || return 1
	pid=$(E task ls | awk -v id="$id" '$1 == id { print $2 }')
	E task delete -f "$id" >/dev/null || { fail "task delete -f"; return 1; }
	E container delete "$id" || { fail "container delete"; return 1; }
	wait_for 10 sh -c "! kill -0 $pid" || fail "process $pid survives"
}
sc_ctr_rm-f-paused() {
	local id pid
	id=$(c_cid)
	c_startd "$id" || return 1
	pid=$(E task ls | awk -v id="$id" '$1 == id { print $2 }')
	E task pause "$id" || { fail pause; return 1; }
	eq "$(c_state "$id")" PAUSED state || return 1
	E task delete -f "$id" >/dev/null || { fail "task delete -f of a paused task"; return 1; }
	E container delete "$id" || { fail "container delete"; return 1; }
	wait_for 10 sh -c "! kill -0 $pid" || fail "process $pid survives"
}
sc_ctr_healthcheck() {
	local id i bad=0
	id=$(c_cid)
	c_startd "$id" || return 1
	# ctr has no health checks: the exec a checker would run, every second
	for i in $(seq "$HEALTH_SECONDS"); do
		E task exec --fifo-dir "$W/fifo" --exec-id "hc$i" "$id" sh -c 'echo check >>/tmp/hc' || bad=$((bad + 1))
		sleep 1
	done
	eq "$bad" 0 "failed checks" && eq "$(E task exec --fifo-dir "$W/fifo" --exec-id hcn "$id" sh -c 'wc -l </tmp/hc')" "$HEALTH_SECONDS" "checks run"
}

# ------------------------------------------------------------- one run

# run_one ENGINE RUNTIME RESULTS SCENARIOS: set the engine up privately,
# run the scenarios, tear everything down (also on failure or interrupt).
run_one() {
	ENGINE=$1 RTNAME=$2 RESULTS=$3
	local scenarios=$4
	case "$RTNAME" in
	hako) RTPATH=$HAKO ;;
	runc) RTPATH=$REF_RUNC ;;
	esac
	[ "$ENGINE" = docker ] && [ "$RTNAME" = runc ] && RTNAME=runc-1.5.3
	W=$(mktemp -d "/tmp/hako-engines.$ENGINE.XXXXXX")
	CGNAME="hako-engines-$ENGINE-$$"
	IMAGE="localhost/hako-engines:latest"
	CN=0
	RUNS_BEFORE=$(ls -d /run/hako /run/runc /run/containerd /run/docker /etc/docker/key.json 2>/dev/null | tr '\n' ' ')
	trap 'one_cleanup "$RUNS_BEFORE"' EXIT
	trap 'exit 130' INT TERM
	mkdir -p "$W/vol" "$W/image"
	chmod 0777 "$W/vol"
	write_seccomp "$W/seccomp.json"
	mkimage "$W/image" || {
		record_all "$scenarios" skip "image: mkbundle failed"
		return 0
	}
	if ! "${ENGINE}_setup" "$RTNAME" >"$W/setup.log" 2>&1; then
		record_all "$scenarios" fail "$ENGINE setup failed: $(tail -3 "$W/setup.log" | tr '\n' ' ')"
		return 0
	fi
	local sc fn rc
	for sc in $scenarios; do
		fn=sc_${ENGINE}_$sc
		declare -F "$fn" >/dev/null || fn=sc_dl_$sc
		NOTEF=$W/note
		: >"$NOTEF"
		(set +e; "$fn") >"$W/sc.log" 2>&1
		rc=$?
		case $rc in
		0) record "$sc" pass "" ;;
		3) record "$sc" n/a "$(head -1 "$NOTEF")" ;;
		*) record "$sc" fail "$(head -1 "$NOTEF")"
			sed 's/^/#   /' "$W/sc.log" | tail -15 >&2 ;;
		esac
		[ "$ENGINE" = ctr ] || dl_rm $(E ps -aq 2>/dev/null) 
	done
}
record() { # SCENARIO RESULT NOTE
	printf '%s\t%s\t%s\t%s\t%s\n' "$ENGINE" "$1" "${RTPATH##*/}" "$2" "$3" >>"$RESULTS"
	printf '%s\t%s\t%s\t%s\n' "$ENGINE" "$1" "$RTNAME" "$2${3:+ ($3)}" >&2
}
record_all() { local s; for s in $1; do record "$s" "$2" "$3"; done; }

one_cleanup() {
	local before=$1 p
	trap - EXIT
	"${ENGINE}_teardown" >/dev/null 2>&1
	[ -e "$W/containerd/containerd.pid" ] && containerd_stop "$W/containerd"
	unmount_under "$W"
	remove_cgroups "$CGNAME"
	# runtime state roots and the shim's socket directory this run made
	for p in /run/hako /run/runc; do
		case " $before " in *" $p "*) continue ;; esac
		# nothing but the runtime's cache: no container of anyone's
		[ -z "$(ls "$p" 2>/dev/null)" ] && rm -rf "$p/.cache" && rmdir "$p" 2>/dev/null
	done
	case " $before " in *" /run/containerd "*) ;; *)
		rmdir /run/containerd/s /run/containerd/fifo /run/containerd 2>/dev/null ;;
	esac
	# dockerd's plugin socket directory ignores --exec-root
	case " $before " in *" /run/docker "*) ;; *)
		rmdir /run/docker/plugins /run/docker 2>/dev/null ;;
	esac
	case " $before " in *" /etc/docker/key.json "*) ;; *) rm -f /etc/docker/key.json ;; esac
	rm -rf "$W"
}

# ------------------------------------------------------------------ main

if [ "${1:-}" = --one ]; then
	shift
	run_one "$@"
	exit 0
fi
# --engine ENGINE RESULTS SCENARIOS: every runtime of $RUNTIMES in turn
# (one lock for the engine's whole run).
if [ "${1:-}" = --engine ]; then
	for rt in $RUNTIMES; do
		log "== $2 on $rt"
		"$0" --one "$2" "$rt" "$3" "$4"
	done
	exit 0
fi

SMOKE=""
[ "${1:-}" = --smoke ] && SMOKE=1
if [ -n "$SMOKE" ]; then
	ENGINES=${ENGINES:-podman ctr}
	RUNTIMES=${RUNTIMES:-hako}
	SCENARIOS=${SCENARIOS:-$SMOKE_SCENARIOS}
else
	# a full run (nothing narrowed) keeps its table in docs/engines.md
	[ -n "${ENGINES:-}${RUNTIMES:-}${SCENARIOS:-}" ] || ENGINES_DOC=${ENGINES_DOC:-docs/engines.md}
	ENGINES=${ENGINES:-podman ctr docker}
	RUNTIMES=${RUNTIMES:-hako runc}
	SCENARIOS=${SCENARIOS:-$ALL_SCENARIOS}
fi
SCENARIOS=$(echo $SCENARIOS)

[ "$(id -u)" = 0 ] || {
	echo "1..1"
	echo "ok 1 - engines # skip needs root"
	exit 0
}
[ -x "$HAKO" ] || { echo "$HAKO not built (make build)" >&2; exit 1; }
case " $RUNTIMES " in *" runc "*)
	[ -x "$REF_RUNC" ] || make -s "${REF_RUNC#$REPO/}" >&2 || { echo "no reference runc" >&2; exit 1; } ;;
esac

results=$(mktemp /tmp/hako-engines-results.XXXXXX)
trap 'rm -f "$results"' EXIT
# --results FILE: no runs, the TAP and table of an earlier run's results
# (lines "engine scenario runtime result note", tab-separated; kept in
# .cache/engines-results.tsv).
if [ "${1:-}" = --results ]; then
	cp "$2" "$results"
	ENGINES=""
fi
for engine in $ENGINES; do
	reason=""
	case $engine in
	# an engine already there (another vendor's package, say) is used as is
	podman) install_debs busybox-static jq
		command -v podman >/dev/null || install_debs podman conmon uidmap || reason="podman could not be installed"
		command -v podman >/dev/null || reason="podman not installed" ;;
	ctr) install_debs busybox-static jq
		[ -x "$CONTAINERD" ] && [ -x "$CTR" ] || install_debs containerd || reason="containerd could not be installed"
		[ -x "$CONTAINERD" ] && [ -x "$CTR" ] || reason="containerd not installed" ;;
	docker) install_debs busybox-static jq
		[ -x "$DOCKERD" ] && [ -x "$DOCKER" ] && [ -x "$CONTAINERD" ] || install_debs docker.io containerd || reason="docker.io could not be installed"
		[ -x "$DOCKERD" ] && [ -x "$DOCKER" ] || reason="docker.io not installed" ;;
	*) reason="unknown engine $engine" ;;
	esac
	if [ -n "$reason" ]; then
		for rt in $RUNTIMES; do
			ENGINE=$engine RTPATH=$rt RESULTS=$results RTNAME=$rt record_all "$SCENARIOS" skip "$reason"
		done
	elif [ -n "$SMOKE" ]; then
		RUNTIMES=$RUNTIMES "$0" --engine "$engine" "$results" "$SCENARIOS"
	else
		RUNTIMES=$RUNTIMES flock -o "$LOCK" "$0" --engine "$engine" "$results" "$SCENARIOS"
	fi
done

[ "${1:-}" = --results ] && ENGINES=$(cut -f1 "$results" | awk '!s[$0]++' | tr '\n' ' ')
mkdir -p "$REPO/.cache"
cp "$results" "$REPO/.cache/engines-results.tsv"
# TAP: one line per engine x scenario x runtime
n=0
echo "1..$(wc -l <"$results")"
while IFS=$'\t' read -r e s r res why; do
	n=$((n + 1))
	case $res in
	pass) echo "ok $n - $e $s on $r" ;;
	n/a) echo "ok $n - $e $s on $r # skip not applicable: $why" ;;
	skip) echo "ok $n - $e $s on $r # skip $why" ;;
	*) echo "not ok $n - $e $s on $r${why:+: $why}" ;;
	esac
done <"$results"

[ -n "$SMOKE" ] && exit 0
# The table: engine x scenario x runtime
table() {
	local rts=($RUNTIMES) e s r cell
	printf '| engine | scenario |'
	for r in "${rts[@]}"; do [ "$r" = runc ] && printf ' runc 1.5.3 |' || printf ' %s |' "$r"; done
	printf ' note |\n| --- | --- |'
	for r in "${rts[@]}"; do printf ' --- |'; done
	printf ' --- |\n'
	for e in $ENGINES; do
		for s in $SCENARIOS; do
			printf '| %s | %s |' "$e" "$s"
			local notes=""
			for r in "${rts[@]}"; do
				cell=$(awk -F'\t' -v e="$e" -v s="$s" -v r="$r" '$1 == e && $2 == s && $3 == r { print $4 "\t" $5; exit }' "$results")
				printf ' %s |' "${cell%%$'\t'*}"
				local w=${cell#*$'\t'}
				[ -z "$w" ] || case "$notes" in *"$w"*) ;; *) notes="${notes:+$notes; }$r: $w" ;; esac
			done
			# one note shared by every runtime is the engine's, not a runtime's
			[ -n "$notes" ] && [ "$(echo "$notes" | sed 's/^[^:]*: //; s/; [^:;]*: /\n/g' | sort -u | wc -l)" = 1 ] && [ "${#rts[@]}" -gt 1 ] &&
				[ "$(awk -F'\t' -v e="$e" -v s="$s" '$1 == e && $2 == s { print $5 }' "$results" | sort -u | wc -l)" = 1 ] &&
				notes="both: ${notes#*: }"
			printf ' %s |\n' "$(echo "$notes" | sed 's/|/\\|/g')"
		done
	done
}
mkdir -p "$REPO/.cache"
table | tee "$REPO/.cache/engines-table.md"
# ENGINES_DOC (a full run: docs/engines.md): the table replaces the
# one between the file's results markers, with the date and host.
if [ -n "${ENGINES_DOC:-}" ] && grep -q '^<!-- results -->$' "$ENGINES_DOC"; then
	{
		echo "<!-- results -->"
		echo "$(date -u +%Y-%m-%d), $(uname -r), $(podman --version 2>/dev/null), containerd $("$CONTAINERD" --version 2>/dev/null | awk '{print $3}'), docker $("$DOCKERD" --version 2>/dev/null | awk '{print $3}' | tr -d ,), hako $(git rev-parse --short HEAD):"
		echo
		cat "$REPO/.cache/engines-table.md"
		echo "<!-- /results -->"
	} >"$results.doc"
	awk -v f="$results.doc" '/^<!-- results -->$/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/^<!-- \/results -->$/ { skip = 0; next } !skip' "$ENGINES_DOC" >"$results.new" && cat "$results.new" >"$ENGINES_DOC"
	rm -f "$results.doc" "$results.new"
fi
