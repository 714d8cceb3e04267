#!/bin/bash
# checkpoint (the dump half of checkpoint/restore) with a CRIU that can
# dump: in a vm-run guest (Debian's 6.1 kernel; CRIU 3.17 fails its vDSO
# checks on the host's 6.18). The host's criu binary is seen through the
# guest's read-only view of /. Checks, as TAP lines: a full dump writes
# the images and removes the container (nothing left: state, cgroup,
# process); --leave-running keeps it running; --pre-dump then a dump with
# --parent-path; a container with a bind mount and a tmpfs dumps.
# restore is not implemented yet, so no round trip. Builds ./hako on the
# host first. Environment: VM_RUN (path of vm-run).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1

if [ "${1:-}" != --guest ]; then
	make -s build || exit 1
	command -v criu >/dev/null || {
		echo "ok 1 # skip checkpoint in the guest: no criu on the host (apt-get install criu)"
		exit 0
	}
	exec "${VM_RUN:-$repo/../shared/tools/vm-run}" --timeout 900 -- "$repo/tests/vm/checkpoint.sh" --guest
fi

# --- in the guest -----------------------------------------------------------
. "$repo/tests/vm/tap.bash"

# CRIU wants a devpts at /dev/pts and /dev/ptmx beside it (busybox init
# mounts neither).
mkdir -p /dev/pts
mountpoint -q /dev/pts || mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
[ -e /dev/ptmx ] || ln -s pts/ptmx /dev/ptmx

w=/tmp/ckpt
mkdir -p "$w"
cp "$repo/hako" "$w/hako"
hako="$w/hako --root $w/state"
"$repo/tests/integration/mkbundle.sh" "$w/b" >/dev/null
(cd "$w/b" && rm -f config.json && $hako spec) || exit 1
jq '.process.terminal = false | .root.readonly = false
	| .process.args = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done"]' \
	"$w/b/config.json" >"$w/b/c" && mv "$w/b/c" "$w/b/config.json"

start() { # ID: run a copy of the bundle detached, wait until it counts
	rm -rf "$w/$1"
	cp -a "$w/b" "$w/$1"
	$hako run -d -b "$w/$1" "$1" </dev/null >"$w/$1.out" 2>&1 || return 1
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$w/$1/rootfs/tmp/count" ] && return 0
		sleep 0.1
	done
	return 1
}
status() { $hako state "$1" 2>/dev/null | jq -r .status 2>/dev/null || echo none; }

if criu check >/dev/null 2>&1; then ok "criu check passes in the guest"; else
	notok "criu check passes in the guest" "$(criu check 2>&1 | tail -3)"
	exit 1
fi

# 1. a full dump: images written, the container gone with all it had
start c1 || notok "c1 starts" "$(cat "$w/c1.out")"
pid=$($hako state c1 | jq .pid)
cg=$(awk -F: '$1 == 0 { print $3 }' "/proc/$pid/cgroup")
ck "checkpoint exits 0" $hako checkpoint --image-path "$w/img1" c1
check "the images are written (inventory, pages)" "yes" \
	"$([ -f "$w/img1/inventory.img" ] && ls "$w/img1" | grep -q '^pages-' && echo yes || ls "$w/img1")"
check "descriptors.json records the stdio" "3" "$(jq length "$w/img1/descriptors.json" 2>&1)"
check "the container is gone after a full dump" "none" "$(status c1)"
check "its init is gone" "gone" "$(kill -0 "$pid" 2>/dev/null && echo alive || echo gone)"
check "its cgroup is gone" "gone" "$([ -d "/sys/fs/cgroup$cg" ] && echo "left: $cg" || echo gone)"

# 2. --leave-running
start c2 || notok "c2 starts" "$(cat "$w/c2.out")"
ck "checkpoint --leave-running exits 0" $hako checkpoint --leave-running --image-path "$w/img2" c2
check "the container still runs" "running" "$(status c2)"
a=$(cat "$w/c2/rootfs/tmp/count")
sleep 1
b=$(cat "$w/c2/rootfs/tmp/count")
check "and still counts" "yes" "$([ "$b" -gt "$a" ] && echo yes || echo "$a then $b")"

# 3. pre-dump, then a dump on top of it
ck "checkpoint --pre-dump exits 0" $hako checkpoint --pre-dump --image-path "$w/img3/pre" c2
check "a pre-dump leaves it running" "running" "$(status c2)"
ck "a dump with --parent-path on the pre-dump exits 0" $hako checkpoint --image-path "$w/img3/final" --parent-path ../pre c2
check "the final dump links to its parent" "yes" "$([ -e "$w/img3/final/parent" ] && echo yes || ls "$w/img3/final")"
check "the container is gone" "none" "$(status c2)"

# 4. bind mounts and a tmpfs are dumped as external mounts
mkdir -p "$w/vol"
echo data >"$w/vol/f"
jq --arg v "$w/vol" '.mounts += [{destination: "/vol", type: "bind", source: $v, options: ["bind"]},
	{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]' \
	"$w/b/config.json" >"$w/b/c" && mv "$w/b/c" "$w/b/config.json"
start c4 || notok "c4 starts" "$(cat "$w/c4.out")"
ck "a container with a bind mount and a tmpfs dumps" $hako checkpoint --image-path "$w/img4" c4
check "and is gone" "none" "$(status c4)"

for id in c1 c2 c4; do $hako delete -f "$id" >/dev/null 2>&1; done
exit $rc
