#!/bin/bash
# Kubernetes' CRI on hako: a private containerd 2.x whose CRI plugin runs
# pods through the runc shim with BinaryName = hako (and, to compare, runc
# 1.5.3), driven by crictl scenarios (tests/cri/scenarios.sh) and by critest,
# Kubernetes' CRI conformance suite. docs/cri.md has the results.
#
#   hack/test-cri.sh                  build, then scenarios and critest for hako and runc
#   hack/test-cri.sh build            only build the binaries and images (.cache/cri)
#   CRI_RUNTIMES="hako" CRI_PARTS="scenarios" hack/test-cri.sh
#   CRITEST_FOCUS='Container OOM' CRI_PARTS=critest hack/test-cri.sh
#
# Everything runs inside a network namespace made for the run (containerd,
# its CNI bridge, the image registry on 127.0.0.1:5000, the streaming
# server, crictl and critest), so the host's network is untouched and the
# pods' "host network" is that namespace. containerd's root, state, socket,
# runtime root, CNI config and logs live in one temp dir; on exit (also on
# failure) pods are removed, daemons stopped by pid, leftover shims ended by
# pid, mounts under the temp dir unmounted, new cgroups removed, the netns
# and the temp dir deleted. Each session holds /tmp/hako-suite.lock.
set -uo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=hack/lib.bash
. hack/lib.bash
TOP=$PWD
CACHE=$TOP/.cache/cri
BIN=$CACHE/bin
IMAGES=$CACHE/images
CONTAINERD_VERSION=v2.4.2
CRI_TOOLS_VERSION=v1.37.0
REF_RUNC=$TOP/.cache/ref/runc
LOCK=/tmp/hako-suite.lock
export GOFLAGS=${GOFLAGS:--buildvcs=false}

log() { echo "cri: $*" >&2; }
die() {
	log "$*"
	exit 1
}

# --- builds (no lock: no container runs) ---------------------------------

# Debian packages the CRI run needs beyond make deps: CNI plugins (bridge,
# host-local, portmap, loopback) and iptables for portmap's rules.
CRI_DEB_PKGS="containernetworking-plugins iptables jq util-linux busybox-static"

build() {
	local p missing_pkgs=""
	for p in $CRI_DEB_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing_pkgs="$missing_pkgs $p"
	done
	if [ -n "$missing_pkgs" ]; then
		log "installing$missing_pkgs"
		(export DEBIAN_FRONTEND=noninteractive && apt-get update -qq && apt-get install -y -qq $missing_pkgs >/dev/null) || die "apt-get install failed"
	fi
	mkdir -p "$BIN"
	local b missing=()
	for b in containerd containerd-shim-runc-v2 ctr; do
		[ -x "$BIN/$b" ] || missing+=("github.com/containerd/containerd/v2/cmd/$b@$CONTAINERD_VERSION")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		log "building ${missing[*]}"
		(cd /tmp && GOBIN=$BIN CGO_ENABLED=0 go install -trimpath "${missing[@]}") || die "containerd build failed"
	fi
	if [ ! -x "$BIN/crictl" ]; then
		log "building crictl $CRI_TOOLS_VERSION"
		(cd /tmp && GOBIN=$BIN CGO_ENABLED=0 go install -trimpath "sigs.k8s.io/cri-tools/cmd/crictl@$CRI_TOOLS_VERSION") || die "crictl build failed"
	fi
	if [ ! -x "$BIN/critest" ]; then
		# critest is a test binary (cri-tools' Makefile builds it with
		# go test -c); go install refuses it, so build it in the module.
		local dir
		dir=$(cd /tmp && go mod download -json "sigs.k8s.io/cri-tools@$CRI_TOOLS_VERSION" | jq -r .Dir) || die "cri-tools download failed"
		log "building critest $CRI_TOOLS_VERSION"
		(cd "$dir" && CGO_ENABLED=0 go test -c -trimpath -o "$BIN/critest" ./cmd/critest) || die "critest build failed"
	fi
	local src
	for src in pause nnp ocitool; do
		if [ ! -x "$BIN/$src" ] || [ -n "$(find tests/cri/$src -newer "$BIN/$src" -name '*.go')" ]; then
			CGO_ENABLED=0 go build -trimpath -o "$BIN/$src" "./tests/cri/$src" || die "$src build failed"
		fi
	done
	if [ ! -f "$IMAGES/index.json" ] || [ "$BIN/ocitool" -nt "$IMAGES/index.json" ] || [ "$BIN/pause" -nt "$IMAGES/index.json" ] || [ "$BIN/nnp" -nt "$IMAGES/index.json" ]; then
		rm -rf "$IMAGES" "$CACHE/images.tar"
		"$BIN/ocitool" build -busybox /bin/busybox -pause "$BIN/pause" -nnp "$BIN/nnp" -out "$IMAGES" || die "image build failed"
		tar -C "$IMAGES" -cf "$CACHE/images.tar" . || die "image tar failed"
	fi
	if [ ! -x "$REF_RUNC" ]; then
		log "building runc v1.5.3 (reference)"
		make -s "$REF_RUNC" >/dev/null || die "runc build failed"
	fi
	[ -x "$TOP/hako" ] || make -s build || die "hako build failed"
}

# --- one session: a private containerd for one runtime --------------------

runtime_path() {
	case $1 in
	hako) echo "$TOP/hako" ;;
	runc) echo "$REF_RUNC" ;;
	*) die "unknown runtime $1 (hako or runc)" ;;
	esac
}

# cgroup directories a session may create: the CRI plugin's default
# parent (k8s.io) and the scenarios' pod parent.
cgroup_snapshot() {
	find /sys/fs/cgroup -mindepth 1 -maxdepth 4 -type d \( -path '*/k8s.io*' -o -path '*/hako-cri*' \) 2>/dev/null | sort
}

write_config() {
	local runtime=$1
	mkdir -p "$T/cni" "$T/certs.d/_default" "$T/logs"
	cat >"$T/config.toml" <<EOF
version = 3
root = "$T/root"
state = "$T/state"
temp = "$T/tmp"
# Snapshotters and plugins that would touch host paths or are not needed.
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.blockfile", "io.containerd.snapshotter.v1.erofs",
  "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$T/containerd.sock"
[ttrpc]
  address = "$T/containerd.sock.ttrpc"
[debug]
  address = "$T/debug.sock"
  level = "info"

[plugins]
  [plugins.'io.containerd.internal.v1.opt']
    path = "$T/opt"
  [plugins.'io.containerd.nri.v1.nri']
    disable = false
    socket_path = "$T/nri.sock"
    plugin_path = "$T/nri/plugins"
    plugin_config_path = "$T/nri/conf.d"
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "localhost/hako-test/pause:1"
    [plugins.'io.containerd.cri.v1.images'.registry]
      config_path = "$T/certs.d"
  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false
    # No CAP_SYS_RESOURCE in the test machines' bounding set: lowering
    # oom_score_adj (the sandbox's -998) fails in hako and runc alike, so
    # clamp it to containerd's own value, as rootless setups do.
    restrict_oom_score_adj = true
    netns_mounts_under_state_dir = true
    cdi_spec_dirs = []
    enable_cdi = false
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = "$runtime"
          Root = "$T/runtime-root"
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["/usr/lib/cni"]
      conf_dir = "$T/cni"
      max_conf_num = 1
  [plugins.'io.containerd.grpc.v1.cri']
    stream_server_address = "127.0.0.1"
    stream_server_port = "10250"
EOF
	cat >"$T/crictl.yaml" <<EOF
runtime-endpoint: unix://$T/containerd.sock
image-endpoint: unix://$T/containerd.sock
timeout: 60
EOF
	# Every registry host is mirrored by ocitool serve; the mirror request
	# names the original host in ?ns=.
	cat >"$T/certs.d/_default/hosts.toml" <<EOF
[host."http://127.0.0.1:5000"]
  capabilities = ["pull", "resolve"]
EOF
	# A bridge inside the session's netns; host-local keeps its leases in
	# the temp dir. portmap serves critest's hostPort tests.
	cat >"$T/cni/10-hako-cri.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "hako-cri",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$T/cni-ipam", "ranges": [[{"subnet": "10.88.0.0/16"}]],
              "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
EOF
}

NETNS="" T="" CTRD_PID="" REG_PID="" CG_BEFORE=""

in_netns() { nsenter --net="/run/netns/$NETNS" "$@"; }

crictl_() {
	in_netns "$BIN/crictl" --config "$T/crictl.yaml" "$@"
}


session_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$CTRD_PID" ] && kill -0 "$CTRD_PID" 2>/dev/null; then
		crictl_ rm -af >/dev/null 2>&1
		crictl_ rmp -fa >/dev/null 2>&1
	fi
	stop_pid "$CTRD_PID"
	stop_pid "$REG_PID"
	if [ -n "$T" ] && [ -d "$T" ]; then
		# Shims outlive containerd by design: end the ones this session's
		# containerd started (their command line names its socket), after
		# the runtime has deleted what they ran.
		local pid id
		if [ -d "$T/runtime-root" ]; then
			for id in $(ls "$T/runtime-root/k8s.io" 2>/dev/null); do
				"$RUNTIME" --root "$T/runtime-root/k8s.io" delete -f "$id" >/dev/null 2>&1
			done
		fi
		for pid in $(pgrep -f -- "-address $T/containerd.sock" 2>/dev/null); do
			stop_pid "$pid"
		done
		local m
		for m in $(findmnt -rn -o TARGET | grep -F "$T/" | sort -r); do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		done
	fi
	# New cgroups, deepest first (a directory goes once its children do).
	local cg
	for cg in $(comm -13 <(echo "$CG_BEFORE") <(cgroup_snapshot) | awk '{print length, $0}' | sort -rn | cut -d' ' -f2-); do
		rmdir "$cg" 2>/dev/null
	done
	[ -n "$NETNS" ] && ip netns del "$NETNS" 2>/dev/null
	if [ -n "$T" ] && [ -d "$T" ]; then
		[ -n "${CRI_KEEP_LOGS:-}" ] && cp "$T/containerd.log" "$CRI_KEEP_LOGS" 2>/dev/null
		rm -rf "$T"
	fi
	exit $rc
}

session_start() {
	local name=$1
	RUNTIME=$(runtime_path "$name")
	[ -x "$RUNTIME" ] || die "$RUNTIME missing (hack/test-cri.sh build)"
	CG_BEFORE=$(cgroup_snapshot)
	T=$(mktemp -d /tmp/hako-cri.XXXXXX)
	# A user-namespaced container's root (an unmapped host ID) must be
	# able to reach its rootfs under here, as under containerd's 0711
	# /run/containerd.
	chmod 711 "$T"
	NETNS=hako-cri-$$
	trap session_cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns add "$NETNS" || die "ip netns add failed"
	ip -n "$NETNS" link set lo up
	write_config "$RUNTIME"
	# 3>&-: a daemon must not inherit the fd of a `flock FILE cmd` lock (it
	# would hold the suite lock after the command ends).
	# nsenter execs the daemon, so $! is the daemon's pid (through a shell
	# function it would be a subshell's, and the daemon would outlive it).
	nsenter --net="/run/netns/$NETNS" "$BIN/ocitool" serve -dir "$IMAGES" -listen 127.0.0.1:5000 >"$T/registry.log" 2>&1 3>&- &
	REG_PID=$!
	PATH=$BIN:$PATH nsenter --net="/run/netns/$NETNS" "$BIN/containerd" --config "$T/config.toml" >"$T/containerd.log" 2>&1 3>&- &
	CTRD_PID=$!
	local i
	for i in $(seq 100); do
		[ -S "$T/containerd.sock" ] && crictl_ info >/dev/null 2>&1 && break
		kill -0 "$CTRD_PID" 2>/dev/null || break
		sleep 0.2
	done
	crictl_ info >/dev/null 2>&1 || {
		tail -20 "$T/containerd.log" >&2
		die "containerd did not start"
	}
	in_netns "$BIN/ctr" --address "$T/containerd.sock" -n k8s.io image import \
		--all-platforms "$CACHE/images.tar" >/dev/null || die "image import failed"
	log "containerd $CONTAINERD_VERSION up (pid $CTRD_PID, BinaryName=$RUNTIME, $T, netns $NETNS)"
}

# critest skips: each with its reason (docs/cri.md lists them too).
CRITEST_SKIPS=(
	# The image is pinned by a digest of a remote manifest; an offline image
	# cannot have that digest.
	'public image with digest should be pulled and removed'
)

# critest chunks, one session (fresh containerd) and one lock each. The
# whole suite takes about three minutes, so it is one chunk; CRITEST_FOCUS
# replaces the chunks by one (e.g. 'Security Context|Container OOM').
CRITEST_CHUNKS=('.')

session_critest() { # RUNTIME OUT FOCUS
	local name=$1 out=$2 focus=$3 skip
	skip=$(
		IFS='|'
		echo "${CRITEST_SKIPS[*]}"
	)
	# critest's HostIpc specs make a SysV shm segment on the host with
	# ipcmk and leave it: remove the ones that appear during the run.
	local shm_before
	shm_before=$(awk 'NR > 1 {print $2}' /proc/sysvipc/shm | sort)
	(cd "$T" && in_netns "$BIN/critest" \
		--runtime-endpoint "unix://$T/containerd.sock" \
		--image-endpoint "unix://$T/containerd.sock" \
		--nri-socket "$T/nri.sock" \
		--ginkgo.focus="$focus" --ginkgo.skip="$skip" \
		--ginkgo.no-color --ginkgo.timeout=30m \
		--ginkgo.junit-report="$out.junit.xml" ${CRITEST_ARGS:-}) >"$out" 2>&1
	local rc=$? id
	for id in $(comm -13 <(echo "$shm_before") <(awk 'NR > 1 {print $2}' /proc/sysvipc/shm | sort)); do
		ipcrm -m "$id"
	done
	grep -E '^(Ran |(SUCCESS|FAIL)! --)' "$out" >&2
	return $rc
}

# critest_summary OUT...: "status<TAB>spec" per spec from the JUnit reports.
critest_summary() {
	local f
	for f in "$@"; do
		grep -o '<testcase name="[^"]*" classname="[^"]*" status="[^"]*"' "$f.junit.xml" 2>/dev/null |
			sed -E 's/<testcase name="\[It\] (.*)" classname="[^"]*" status="([^"]*)"/\2\t\1/' |
			grep -P '^[a-z]+\t'
	done | sed 's/&#34;/"/g; s/&quot;/"/g; s/&#39;/'"'"'/g; s/&amp;/\&/g' | sort -t$'\t' -k2
}

session() { # session RUNTIME PART OUT [FOCUS]
	local name=$1 part=$2 out=$3
	session_start "$name"
	case $part in
	scenarios)
		# shellcheck source=../tests/cri/scenarios.sh
		. tests/cri/scenarios.sh
		run_scenarios "$name" >"$out"
		;;
	critest) session_critest "$name" "$out" "$4" ;;
	*) die "unknown part $part" ;;
	esac
}

# table DIR RUNTIME...: the scenarios side by side, as docs/cri.md has them.
table() {
	local dir=$1 rt
	shift
	printf '| scenario |'
	for rt in "$@"; do printf ' %s |' "$rt"; done
	printf '\n|---|'
	for rt in "$@"; do printf -- '---|'; done
	echo
	sed -E 's/^(PASS|FAIL) //; s/ -- .*//' "$dir/scenarios.$1.txt" | while read -r name; do
		printf '| %s |' "$name"
		for rt in "$@"; do
			printf ' %s |' "$(grep -E "^(PASS|FAIL) $(printf '%s' "$name" | sed 's/[][().*+?^$|]/\\&/g')( -- |$)" "$dir/scenarios.$rt.txt" | head -n 1 | cut -d' ' -f1 | tr A-Z a-z)"
		done
		echo
	done
}

# --- main ------------------------------------------------------------------

# One function, called from the last line: bash has read the whole file
# before anything runs, so editing the script under a run cannot hurt it.
main() {

	[ "$(id -u)" -eq 0 ] || die "needs root"
	case ${1:-} in
	build)
		build
		exit
		;;
	session)
		shift
		session "$@"
		exit
		;;
	esac

	build
	RESULTS=${CRI_RESULTS:-$TOP/.cache/cri/results}
	mkdir -p "$RESULTS"
	rc=0
	RUNTIMES=${CRI_RUNTIMES:-hako runc}
	PARTS=${CRI_PARTS:-scenarios critest}
	for part in $PARTS; do
		for rt in $RUNTIMES; do
			log "== $part with $rt"
			if [ "$part" = critest ]; then
				chunks=("${CRITEST_CHUNKS[@]}")
				[ -n "${CRITEST_FOCUS:-}" ] && chunks=("$CRITEST_FOCUS")
				outs=()
				for i in "${!chunks[@]}"; do
					outs+=("$RESULTS/critest.$rt.$i.txt")
					flock "$LOCK" "$0" session "$rt" critest "$RESULTS/critest.$rt.$i.txt" "${chunks[$i]}" || rc=1
				done
				critest_summary "${outs[@]}" >"$RESULTS/critest.$rt.tsv"
				log "critest with $rt: $(cut -f1 "$RESULTS/critest.$rt.tsv" | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')"
			else
				flock "$LOCK" "$0" session "$rt" "$part" "$RESULTS/$part.$rt.txt" || rc=1
				cat "$RESULTS/$part.$rt.txt"
				grep -q '^FAIL' "$RESULTS/$part.$rt.txt" && rc=1
			fi
		done
	done
	if [[ " $PARTS " == *" scenarios "* ]]; then
		table "$RESULTS" $RUNTIMES
	fi
	if [[ " $PARTS " == *" critest "* ]] && [[ " $RUNTIMES " == *" hako "* ]] && [[ " $RUNTIMES " == *" runc "* ]]; then
		# A spec that fails with hako and not with runc is a hako bug.
		join -t$'\t' -1 2 -2 2 <(sort -t$'\t' -k2 "$RESULTS/critest.hako.tsv") <(sort -t$'\t' -k2 "$RESULTS/critest.runc.tsv") |
			awk -F'\t' '$2 != $3 {print "critest differs: hako " $2 ", runc " $3 ": " $1}'
	fi
	exit $rc
}

main "$@"
exit $?
