#!/bin/bash
# checkpoint and restore round trips with a CRIU that can dump: in a
# vm-run guest (Debian's 6.1 kernel, cgroup v2; CRIU 3.17 fails its vDSO
# checks on the host's 6.18). The host's criu binary is seen through the
# guest's read-only view of /. Checks, as TAP lines:
#   1 a full dump writes the images and removes the container (state,
#     cgroup, process); restore -d brings it back under the same ID: its
#     counting loop goes on from where it was, in a new cgroup with the
#     bundle's limits; exec works in it; delete leaves nothing;
#   2 --leave-running keeps it running; the dump is restored beside it
#     under a new ID, from a copy of the bundle;
#   3 --pre-dump, then a dump with --parent-path, restored;
#   4 bind mounts and a tmpfs: the tmpfs's content comes back, the volume
#     is bound again;
#   5 a terminal: restore sends the new pty master to --console-socket;
#   6 restore in the foreground relays the process's output (a pipe at the
#     dump) and exit code and deletes the container; restored again,
#     detached, its output goes to the restore's stdout;
#   7 a failed restore (the same ID twice) says why and leaves nothing;
#   9 lazy migration: a --lazy-pages dump serves its pages, a restore
#     under a new ID takes them through criu lazy-pages; state answers
#     meanwhile;
#  10 a network namespace joined by path is joined again; the restore's
#     cgroupsPath is where the processes land; org.criu.config is read;
#  11 stdout a host file at the dump: the same file, appended to, stands
#     in for it; another file or a pipe cannot (refused, saying why);
#  12 a file the process opened in its own rootfs as stdout is CRIU's;
#  15 root.readonly and noNewPrivileges survive a checkpoint;
#  13 a failing poststop hook after a dump is a warning; prestart hooks
#     run again at restore;
#  14 runc 1.5.3 restores hako's image (cgroup namespace);
#   8 podman container checkpoint/restore (and --export/--import) with
#     --runtime hako;
#  16 a checkpoint and a restore killed half-way (hako-faults): no CRIU
#     worker and none of its mounts left; delete --force leaves nothing;
#     the image restores again.
# Builds ./hako and recvtty on the host first. Environment: VM_RUN (path of
# vm-run).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo" || exit 1

if [ "${1:-}" != --guest ]; then
	make -s build hako-faults || exit 1
	mkdir -p .cache/vm && go build -o .cache/vm/recvtty ./tests/cmd/recvtty || exit 1
	command -v criu >/dev/null || {
		echo "ok 1 # skip checkpoint in the guest: no criu on the host (apt-get install criu)"
		exit 0
	}
	exec "${VM_RUN:-$repo/../shared/tools/vm-run}" --timeout 1200 -- "$repo/tests/vm/checkpoint.sh" --guest
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
recvtty=$repo/.cache/vm/recvtty
hako="$w/hako --root $w/state"
"$repo/tests/integration/mkbundle.sh" "$w/b" >/dev/null
(cd "$w/b" && rm -f config.json && $hako spec) || exit 1
jq '.process.terminal = false | .root.readonly = false
	| .linux.resources.pids.limit = 99
	| .process.args = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done"]' \
	"$w/b/config.json" >"$w/b/c" && mv "$w/b/c" "$w/b/config.json"

start() { # ID [BUNDLE]: run a copy of the bundle detached, wait until it counts
	local b=${2:-$w/b}
	rm -rf "$w/$1"
	cp -a "$b" "$w/$1"
	$hako run -d -b "$w/$1" "$1" </dev/null >"$w/$1.out" 2>&1 || return 1
	counting "$w/$1"
}
counting() { # BUNDLE: wait until its rootfs has a count
	local i
	for ((i = 0; i < 100; i++)); do
		[ -s "$1/rootfs/tmp/count" ] && return 0
		sleep 0.1
	done
	return 1
}
# count BUNDLE: the loop's count; the shell truncates the file before it
# writes the next number, so an empty read is retried.
count() {
	local i c
	for ((i = 0; i < 20; i++)); do
		c=$(cat "$1/rootfs/tmp/count" 2>/dev/null) || { echo 0; return; }
		[ -n "$c" ] && { echo "$c"; return; }
		sleep 0.05
	done
	echo 0
}
status() { $hako state "$1" 2>/dev/null | jq -r .status 2>/dev/null || echo none; }
# rs NAME LOG ARGS...: restore with stdout and stderr appended to LOG, the
# dumped container's own (start gives it a file: CRIU wants a file of the
# same mode in its place)
rs() {
	local name=$1 log=$2
	shift 2
	if $hako restore "$@" </dev/null >>"$log" 2>&1; then ok "$name"; else notok "$name" "$(tail -3 "$log")"; fi
}
cgroup_of() { awk -F: '$1 == 0 { print $3 }' "/proc/$1/cgroup"; }
# goes_on NAME BUNDLE BEFORE: the count goes on from BEFORE (a restart
# would count from 1 again), and keeps going.
goes_on() {
	local a b
	sleep 1
	a=$(count "$2")
	sleep 1
	b=$(count "$2")
	check "$1" "yes" "$([ "$a" -gt "$3" ] && [ "$a" -le $(($3 + 15)) ] && [ "$b" -gt "$a" ] && echo yes || echo "dumped at $3, then $a, then $b")"
}
# gone NAME ID PID CGROUP: nothing of the container is left.
gone() {
	check "$1: no state" "none" "$(status "$2")"
	check "$1: no process" "gone" "$(kill -0 "$3" 2>/dev/null && echo alive || echo gone)"
	check "$1: no cgroup" "gone" "$([ -z "$4" ] && echo "no cgroup known" || { [ -d "/sys/fs/cgroup$4" ] && echo "left: $4" || echo gone; })"
}

if criu check >/dev/null 2>&1; then ok "criu check passes in the guest"; else
	notok "criu check passes in the guest" "$(criu check 2>&1 | tail -3)"
	exit 1
fi

# 1. a full dump, restored under the same ID
start c1 || notok "c1 starts" "$(cat "$w/c1.out")"
pid=$($hako state c1 | jq .pid)
cg=$(cgroup_of "$pid")
ck "checkpoint exits 0" $hako checkpoint --image-path "$w/img1" c1
at=$(count "$w/c1")
check "the images are written (inventory, pages)" "yes" \
	"$([ -f "$w/img1/inventory.img" ] && ls "$w/img1" | grep -q '^pages-' && echo yes || ls "$w/img1")"
check "descriptors.json records the stdio" "3" "$(jq length "$w/img1/descriptors.json" 2>&1)"
gone "after a full dump" c1 "$pid" "$cg"
rs "restore -d exits 0" "$w/c1.out" -d --image-path "$w/img1" -b "$w/c1" c1
check "the restored container runs" "running" "$(status c1)"
goes_on "its loop goes on from where it was dumped" "$w/c1" "$at"
pid=$($hako state c1 | jq .pid)
cg=$(cgroup_of "$pid")
check "it has a cgroup of its own again, with the bundle's pids limit" "99" "$(cat "/sys/fs/cgroup$cg/pids.max" 2>&1)"
check "exec works in it" "ok" "$($hako exec c1 sh -c 'test -s /tmp/count && echo ok' 2>&1)"
check "ps lists its processes" "yes" "$($hako ps c1 2>&1 | grep -q sleep && echo yes || $hako ps c1 2>&1)"
ck "kill + delete -f exits 0" $hako delete -f c1
gone "after delete" c1 "$pid" "$cg"

# 2. --leave-running; the dump restored beside it under a new ID
start c2 || notok "c2 starts" "$(cat "$w/c2.out")"
# Paused, so that its files are as dumped while the bundle is copied for
# the restore beside it (CRIU checks the size of every file a process has
# open, and the dump may catch the loop writing its count).
$hako pause c2
ck "checkpoint --leave-running exits 0" $hako checkpoint --leave-running --image-path "$w/img2" c2
at=$(count "$w/c2")
check "the container still runs (paused, as it was)" "paused" "$(status c2)"
rm -rf "$w/c2b" && cp -a "$w/c2" "$w/c2b"
$hako resume c2
rs "the dump restores under a new ID beside it" "$w/c2.out" -d --image-path "$w/img2" -b "$w/c2b" c2b
check "both run" "running running" "$(status c2) $(status c2b)"
goes_on "the copy counts on from the dump" "$w/c2b" "$at"
check "in different cgroups" "yes" "$([ "$(cgroup_of "$($hako state c2 | jq .pid)")" != "$(cgroup_of "$($hako state c2b | jq .pid)")" ] && echo yes)"
$hako delete -f c2b >/dev/null 2>&1

# 3. pre-dump, then a dump on top of it, restored
ck "checkpoint --pre-dump exits 0" $hako checkpoint --pre-dump --image-path "$w/img3/pre" c2
check "a pre-dump leaves it running" "running" "$(status c2)"
ck "a dump with --parent-path on the pre-dump exits 0" $hako checkpoint --image-path "$w/img3/final" --parent-path ../pre c2
at=$(count "$w/c2")
check "the final dump links to its parent" "yes" "$([ -e "$w/img3/final/parent" ] && echo yes || ls "$w/img3/final")"
check "the container is gone" "none" "$(status c2)"
rs "the final dump restores" "$w/c2.out" -d --image-path "$w/img3/final" -b "$w/c2" c2
goes_on "and counts on" "$w/c2" "$at"
$hako delete -f c2 >/dev/null 2>&1

# 4. bind mounts and a tmpfs
mkdir -p "$w/vol"
echo data >"$w/vol/f"
# (and a cgroup namespace: its cgroup mount is CRIU's own, not external)
jq --arg v "$w/vol" '.mounts += [{destination: "/vol", type: "bind", source: $v, options: ["bind"]},
	{destination: "/scratch", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]
	| .linux.namespaces += [{type: "cgroup"}]' \
	"$w/b/config.json" >"$w/b4.json"
rm -rf "$w/b4" && cp -a "$w/b" "$w/b4" && mv "$w/b4.json" "$w/b4/config.json"
start c4 "$w/b4" || notok "c4 starts" "$(cat "$w/c4.out")"
$hako exec c4 sh -c 'echo in-tmpfs > /scratch/t' || notok "write into the tmpfs"
ck "a container with a bind mount and a tmpfs dumps" $hako checkpoint --image-path "$w/img4" c4
check "and is gone" "none" "$(status c4)"
rs "and restores" "$w/c4.out" -d --image-path "$w/img4" -b "$w/c4" c4
check "the tmpfs's content came back" "in-tmpfs" "$($hako exec c4 cat /scratch/t 2>&1)"
check "the volume is bound again" "data" "$($hako exec c4 cat /vol/f 2>&1)"
check "the volume is the host's directory" "from-host" "$(echo from-host >"$w/vol/g"; $hako exec c4 cat /vol/g 2>&1)"
check "its cgroup namespace shows its own cgroup as the root" "0::/" "$($hako exec c4 cat /proc/self/cgroup 2>&1)"
$hako delete -f c4 >/dev/null 2>&1

# 5. a terminal: the new pty master goes to the console socket
jq '.process.terminal = true | .process.args = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo n$i; echo $i > /tmp/count; sleep 0.2; done"]' \
	"$w/b/config.json" >"$w/b5.json"
rm -rf "$w/c5" && cp -a "$w/b" "$w/c5" && mv "$w/b5.json" "$w/c5/config.json"
"$recvtty" -no-stdin "$w/tty1.sock" </dev/null >"$w/tty1.out" 2>&1 &
r1=$!
for ((i = 0; i < 50; i++)); do [ -S "$w/tty1.sock" ] && break; sleep 0.1; done
$hako run -d --console-socket "$w/tty1.sock" -b "$w/c5" c5 </dev/null >"$w/c5.out" 2>&1 || notok "c5 starts" "$(cat "$w/c5.out")"
counting "$w/c5"
ck "a terminal container dumps" $hako checkpoint --image-path "$w/img5" c5
at=$(count "$w/c5")
out=$($hako restore -d --console-socket "$w/nosuch.sock" --image-path "$w/img5" -b "$w/c5" c5 </dev/null 2>&1)
check "a console socket nobody listens on is hako's error, not CRIU's" "1 yes" "$? $(echo "$out" | grep 'connect to console socket' | grep -vq 'criu failed' && echo yes || echo "$out")"
check "and leaves nothing" "none" "$(status c5)"
"$recvtty" -no-stdin "$w/tty2.sock" </dev/null >"$w/tty2.out" 2>&1 &
r2=$!
for ((i = 0; i < 50; i++)); do [ -S "$w/tty2.sock" ] && break; sleep 0.1; done
ck "restore with --console-socket exits 0" $hako restore -d --console-socket "$w/tty2.sock" --image-path "$w/img5" -b "$w/c5" c5 </dev/null
sleep 1.5
first=$(tr -d '\r' <"$w/tty2.out" | grep -m1 '^n' | tr -d n)
check "the new pty carries the output, counting on from the dump" "yes" \
	"$([ -n "$first" ] && [ "$first" -gt "$at" ] && echo yes || echo "dumped at $at, pty says: $(head -c 200 "$w/tty2.out")")"
$hako delete -f c5 >/dev/null 2>&1
kill "$r1" "$r2" 2>/dev/null

# 6. restore in the foreground: output relayed, exit code, deleted after
jq '.process.args = ["sh", "-c", "i=0; while [ $i -lt 15 ]; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done; echo out-$i; exit 7"]' \
	"$w/b/config.json" >"$w/b6.json"
rm -rf "$w/c6" && cp -a "$w/b" "$w/c6" && mv "$w/b6.json" "$w/c6/config.json"
# its stdout and stderr are a pipe (as an engine gives), which a restore
# replaces with its own stdio
$hako run -d -b "$w/c6" c6 </dev/null 2>&1 | cat >"$w/c6.out" &
counting "$w/c6" || notok "c6 starts" "$(cat "$w/c6.out")"
ck "c6 dumps" $hako checkpoint --image-path "$w/img6" c6
# a copy of its files as dumped, for the second restore below
rm -rf "$w/c6copy" && cp -a "$w/c6" "$w/c6copy"
out=$(timeout 60 $hako restore --image-path "$w/img6" -b "$w/c6" c6 </dev/null 2>&1)
st=$?
check "a foreground restore relays the output and the exit code" "7 out-15" "$st $out"
check "and deletes the container after" "none" "$(status c6)"
$hako restore -d --image-path "$w/img6" -b "$w/c6copy" c6 </dev/null >"$w/c6.log" 2>"$w/c6.err"
check "the same checkpoint restores again, detached, stdout to a file" "0 " "$? $(cat "$w/c6.err")"
for ((i = 0; i < 100; i++)); do [ "$(status c6)" = stopped ] && break; sleep 0.1; done
check "the restored process wrote into the restore's stdout" "out-15" "$(cat "$w/c6.log")"
$hako delete c6 >/dev/null 2>&1

# 7. a restore that fails leaves nothing
start c7 || notok "c7 starts" "$(cat "$w/c7.out")"
ck "c7 dumps with --leave-running" $hako checkpoint --leave-running --image-path "$w/img7" c7
out=$($hako restore -d --image-path "$w/img7" -b "$w/c7" c7 </dev/null 2>&1)
check "restoring over a live container fails, naming it" "1 yes" "$? $(echo "$out" | grep -q 'c7.*already exists\|exists' && echo yes || echo "$out")"
# the same pids cannot be restored twice into the host pid namespace:
# CRIU refuses a restore and says why; nothing of it is left behind
jq '.linux.namespaces |= map(select(.type != "pid"))' "$w/b/config.json" >"$w/b8.json"
rm -rf "$w/c8" && cp -a "$w/b" "$w/c8" && mv "$w/b8.json" "$w/c8/config.json"
$hako run -d -b "$w/c8" c8 </dev/null >"$w/c8.out" 2>&1 || notok "c8 starts" "$(cat "$w/c8.out")"
counting "$w/c8"
ck "a container in the host pid namespace dumps with --leave-running" $hako checkpoint --leave-running --image-path "$w/img8" c8
cgs_before=$(find /sys/fs/cgroup -type d | wc -l)
$hako restore -d --image-path "$w/img8" -b "$w/c8" c8b </dev/null >>"$w/c8.out" 2>&1
st=$?
out=$(tail -3 "$w/c8.out")
check "its restore while it runs fails (its pids are taken)" "1" "$st"
check "the error quotes CRIU's log" "yes" "$(echo "$out" | grep -q 'restore.log' && echo yes || echo "$out")"
check "no state is left" "none" "$(status c8b)"
check "no cgroup is left" "$cgs_before" "$(find /sys/fs/cgroup -type d | wc -l)"
check "no criu-root mount is left" "0" "$(grep -c criu-root /proc/self/mountinfo)"

# 9. lazy migration (on one host): the dump serves its pages to CRIU's
# lazy-pages daemon, and the restore under a new ID fetches them as the
# process touches them. Meanwhile the dumped container answers state
# (its lock is not held while the pages wait for the restorer).
ip link set lo up 2>/dev/null
start c9 || notok "c9 starts" "$(cat "$w/c9.out")"
mkfifo "$w/c9.status"
(
	$hako checkpoint --lazy-pages --page-server 127.0.0.1:27270 --status-fd 3 --image-path "$w/img9" c9 \
		3>"$w/c9.status" >"$w/c9.ckpt" 2>&1
	echo $? >"$w/c9.rc"
) &
ready=$(timeout 60 head -c1 "$w/c9.status" | od -An -tx1 | tr -d ' ')
check "a lazy dump writes \\0 to --status-fd when its pages are ready" "00" "$ready"
at=$(count "$w/c9")
check "state answers while the dump serves its pages" "0" "$(timeout 10 $hako state c9 >/dev/null 2>&1; echo $?)"
criu lazy-pages --page-server --address 127.0.0.1 --port 27270 --images-dir "$w/img9" -o lazy-pages.log >/dev/null 2>&1 &
lazyd=$!
rm -rf "$w/c9b" && cp -a "$w/c9" "$w/c9b"
rs "restore --lazy-pages under a new ID" "$w/c9.out" -d --lazy-pages --image-path "$w/img9" -b "$w/c9b" c9b
goes_on "the lazily restored copy counts on" "$w/c9b" "$at"
for ((i = 0; i < 300; i++)); do [ -s "$w/c9.rc" ] && break; sleep 0.1; done
check "the lazy dump ends once the pages are taken, and removes the container" "0 none" "$(cat "$w/c9.rc" 2>&1) $(status c9)"
[ -s "$w/c9.rc" ] || cat "$w/c9.ckpt"
kill "$lazyd" 2>/dev/null
$hako delete -f c9b >/dev/null 2>&1

# 10. a network namespace joined by path is the engine's: dumped as
# external and joined again at restore; the restore's bundle names
# another cgroupsPath, where the processes land; the org.criu.config
# annotation names a CRIU config file, whose settings override hako's
# (here the log file's name)
touch "$w/netns10"
unshare --net="$w/netns10" true || notok "make a network namespace to join"
printf 'log-file=custom-dump.log\n' >"$w/criu10.conf"
jq --arg ns "$w/netns10" --arg conf "$w/criu10.conf" '
	.linux.namespaces |= map(if .type == "network" then .path = $ns else . end)
	| .linux.cgroupsPath = "/hako-ckpt/c10"
	| .annotations["org.criu.config"] = $conf' "$w/b/config.json" >"$w/b10.json"
rm -rf "$w/b10" && cp -a "$w/b" "$w/b10" && mv "$w/b10.json" "$w/b10/config.json"
start c10 "$w/b10" || notok "c10 starts" "$(cat "$w/c10.out")"
ck "a container in a network namespace joined by path dumps" $hako checkpoint --image-path "$w/img10" c10
check "CRIU read the config file the annotation names" "yes" "$([ -s "$w/img10/custom-dump.log" ] && [ ! -e "$w/img10/dump.log" ] && echo yes || ls "$w/img10")"
at=$(count "$w/c10")
jq '.linux.cgroupsPath = "/hako-ckpt/c10-restored"' "$w/c10/config.json" >"$w/c10/c" && mv "$w/c10/c" "$w/c10/config.json"
rs "and restores" "$w/c10.out" -d --image-path "$w/img10" -b "$w/c10" c10
goes_on "counting on" "$w/c10" "$at"
pid=$($hako state c10 | jq .pid)
check "in the network namespace joined by path" "net:[$(stat -L -c %i "$w/netns10")]" "$(readlink "/proc/$pid/ns/net")"
check "in the cgroup the restore's bundle names" "/hako-ckpt/c10-restored" "$(cgroup_of "$pid")"
$hako delete -f c10 >/dev/null 2>&1
rmdir /sys/fs/cgroup/hako-ckpt 2>/dev/null
umount "$w/netns10" 2>/dev/null

# 11. stdout was a file outside the container (`run -d >file`): it is
# dumped as an external file. CRIU wants a file of the same mode and size
# in its place: restore's own stdout appended to the same file works,
# another file fails CRIU's check, a pipe is refused before CRIU, saying
# what to give (hako never opens a host path the image names)
jq '.process.args = ["sh", "-c", "i=0; while :; do i=$((i+1)); echo line$i; echo $i > /tmp/count; sleep 0.2; done"]' \
	"$w/b/config.json" >"$w/b11.json"
rm -rf "$w/b11" && cp -a "$w/b" "$w/b11" && mv "$w/b11.json" "$w/b11/config.json"
start c11 "$w/b11" || notok "c11 starts" "$(cat "$w/c11.out")"
ck "a container whose stdout is a host file dumps" $hako checkpoint --image-path "$w/img11" c11
$hako restore -d --image-path "$w/img11" -b "$w/c11" c11 </dev/null >"$w/c11.new" 2>"$w/c11.err"
check "restore with another file there fails, quoting CRIU's check" "1 yes" "$? $(grep -q 'has bad size' "$w/c11.err" && echo yes || cat "$w/c11.err")"
check "and leaves nothing" "none" "$(status c11)"
out=$($hako restore -d --image-path "$w/img11" -b "$w/c11" c11 </dev/null 2>&1)
check "restore with a pipe there is refused before CRIU, saying what to give" "1 yes" "$? $(echo "$out" | grep -q "CRIU needs that file, unchanged since the dump, as restore's own fd 1 (1>>$w/c11.out)" && echo yes || echo "$out")"
check "and leaves nothing" "none" "$(status c11)"
lines=$(wc -l <"$w/c11.out")
rs "restore with the dumped file itself (appended to) there" "$w/c11.out" -d --image-path "$w/img11" -b "$w/c11" c11
sleep 1
check "which gets the process's output from then on" "yes" "$([ "$(wc -l <"$w/c11.out")" -gt "$lines" ] && echo yes || tail -3 "$w/c11.out")"
$hako delete -f c11 >/dev/null 2>&1

# 12. the process sent its stdout to a file of its own (exec >/tmp/log):
# that file is the container's, CRIU dumps and reopens it
jq '.process.args = ["sh", "-c", "exec >/tmp/log; i=0; while :; do i=$((i+1)); echo line$i; echo $i > /tmp/count; sleep 0.2; done"]' \
	"$w/b/config.json" >"$w/b12.json"
rm -rf "$w/b12" && cp -a "$w/b" "$w/b12" && mv "$w/b12.json" "$w/b12/config.json"
start c12 "$w/b12" || notok "c12 starts" "$(cat "$w/c12.out")"
ck "a container writing to a file of its own dumps" $hako checkpoint --image-path "$w/img12" c12
check "that file is not external (stdin and stderr, the host's files, are)" "file null" \
	"$(jq -r '[.external[1].key, (.external[0].key, .external[2].key | .[0:4])] | map(tostring) | unique | join(" ")' "$w/img12/hako-stdio.json" 2>&1)"
nlines=$(wc -l <"$w/c12/rootfs/tmp/log")
rs "and restores" "$w/c12.out" -d --image-path "$w/img12" -b "$w/c12" c12
sleep 1
check "writing on into its own file" "yes" "$([ "$(wc -l <"$w/c12/rootfs/tmp/log")" -gt "$nlines" ] && echo yes || tail -2 "$w/c12/rootfs/tmp/log")"
$hako delete -f c12 >/dev/null 2>&1

# 15. root.readonly survives a checkpoint
jq '.root.readonly = true | .mounts += [{destination: "/tmp", type: "tmpfs", source: "tmpfs", options: ["size=1m"]}]
	| .process.args = ["sh", "-c", "while :; do sleep 0.2; done"]' "$w/b/config.json" >"$w/b15.json"
rm -rf "$w/b15" && cp -a "$w/b" "$w/b15" && mv "$w/b15.json" "$w/b15/config.json"
rm -rf "$w/c15" && cp -a "$w/b15" "$w/c15"
$hako run -d -b "$w/c15" c15 </dev/null >"$w/c15.out" 2>&1 || notok "c15 starts" "$(cat "$w/c15.out")"
check "a read-only root refuses writes" "refused" "$($hako exec c15 touch /x 2>/dev/null && echo written || echo refused)"
ck "c15 dumps" $hako checkpoint --image-path "$w/img15" c15
rs "and restores" "$w/c15.out" -d --image-path "$w/img15" -b "$w/c15" c15
check "its root still refuses writes" "refused" "$($hako exec c15 touch /x 2>/dev/null && echo written || echo refused)"
check "and process.noNewPrivileges still holds for its init" "1" "$(awk '/^NoNewPrivs/ { print $2 }' "/proc/$($hako state c15 | jq .pid)/status")"
check "and nothing was written into the rootfs" "no" "$([ -e "$w/c15/rootfs/x" ] && echo yes || echo no)"
$hako delete -f c15 >/dev/null 2>&1

# 13. a poststop hook that fails once the dump has removed the container
# is a warning: the checkpoint succeeded (runc too)
jq --arg m "$w/hooks13" '.hooks.poststop = [{path: "/bin/false"}]
	| .hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "cat >/dev/null; echo prestart >>\($m)"]}]' "$w/b/config.json" >"$w/b13.json"
rm -rf "$w/b13" && cp -a "$w/b" "$w/b13" && mv "$w/b13.json" "$w/b13/config.json"
start c13 "$w/b13" || notok "c13 starts" "$(cat "$w/c13.out")"
out=$($hako checkpoint --image-path "$w/img13" c13 2>&1)
check "a failing poststop hook after a full dump: exit 0, a warning" "0 yes" "$? $(echo "$out" | grep -q 'level=warning.*poststop' && echo yes || echo "$out")"
check "the container is gone" "none" "$(status c13)"
rs "it restores" "$w/c13.out" -d --image-path "$w/img13" -b "$w/c13" c13
check "its prestart hook ran at create and again at restore" "2" "$(grep -c prestart "$w/hooks13" 2>&1)"
$hako delete -f c13 >/dev/null 2>&1

# 14. runc 1.5.3 restores an image hako dumped (an engine may change
# runtimes between checkpoint and restore): a container with a cgroup
# namespace and pipes for stdio, as engines make them
runc=$repo/.cache/ref/runc
if [ -x "$runc" ]; then
	jq '.linux.namespaces += [{type: "cgroup"}]' "$w/b/config.json" >"$w/b14.json"
	rm -rf "$w/b14" && cp -a "$w/b" "$w/b14" && mv "$w/b14.json" "$w/b14/config.json"
	# stdio all pipes, as engines give (runc knows nothing of hako's
	# external stdio files)
	rm -rf "$w/c14" && cp -a "$w/b14" "$w/c14"
	: | $hako run -d -b "$w/c14" c14 2>&1 | cat >"$w/c14.out" &
	counting "$w/c14" || notok "c14 starts" "$(cat "$w/c14.out")"
	ck "c14 dumps" $hako checkpoint --image-path "$w/img14" c14
	at=$(count "$w/c14")
	if $runc --root "$w/runc" restore -d --image-path "$w/img14" -b "$w/c14" c14 </dev/null >>"$w/c14.out" 2>&1; then
		ok "runc restores it"
	else
		notok "runc restores it" "$(grep -a 'Error\|error' "$w/c14.out" | tail -3)"
	fi
	goes_on "and it counts on" "$w/c14" "$at"
	$runc --root "$w/runc" delete -f c14 >/dev/null 2>&1
else
	ok "runc restores hako's image # skip no runc 1.5.3 in .cache/ref"
fi

# 8. podman container checkpoint / restore on hako (podman drives the
# runtime through conmon: checkpoint --image-path --work-path, restore
# --detach --pid-file --console-socket ...), and --export / --import into
# a new container
if command -v podman >/dev/null; then
	tar -C "$w/b/rootfs" -cf "$w/image.tar" .
	pod() {
		podman --runtime "$w/hako" --root "$w/pod/storage" --runroot "$w/pod/run" --storage-driver vfs \
			--events-backend file --cgroup-manager cgroupfs --tmpdir "$w/pod/tmp" "$@"
	}
	pod import "$w/image.tar" localhost/bb:latest >/dev/null 2>&1 || notok "podman import"
	ck "podman run -d on hako" pod run -d --name p1 --network none localhost/bb \
		sh -c 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.2; done'
	sleep 2
	ck "podman container checkpoint" pod container checkpoint p1
	check "the container is exited" "exited" "$(pod inspect -f '{{.State.Status}}' p1 2>&1)"
	ck "podman container restore" pod container restore p1
	a=$(pod exec p1 cat /tmp/count 2>&1)
	sleep 1
	b=$(pod exec p1 cat /tmp/count 2>&1)
	check "it runs and counts on" "yes" "$([ "$a" -gt 5 ] && [ "$b" -gt "$a" ] && echo yes || echo "$a then $b")"
	ck "podman container checkpoint --export" pod container checkpoint --export "$w/p1.tar.gz" p1
	pod rm -f p1 >/dev/null 2>&1
	ck "podman container restore --import as a new container" pod container restore --import "$w/p1.tar.gz" --name p2
	a=$(pod exec p2 cat /tmp/count 2>&1)
	sleep 1
	b=$(pod exec p2 cat /tmp/count 2>&1)
	check "the imported one counts on" "yes" "$([ "$a" -gt 5 ] && [ "$b" -gt "$a" ] && echo yes || echo "$a then $b")"
	pod rm -a -f -t 0 >/dev/null 2>&1
else
	ok "podman container checkpoint/restore # skip no podman on the host"
fi

# 16. A checkpoint, then a restore, killed while CRIU works on them (the
# crash-point build, internal/fault: criu.request is right after CRIU got
# the dump request; criu.setup-namespaces is the restore's notification
# before the container's process runs):
# the CRIU worker dies with its hako (parent-death signal) and what it
# had mounted with it (its own mount namespace: its cgroup yard was left
# in the image directory and broke the next restore from there); the
# half-restored task (CRIU's fork, in the container's cgroup) is the
# stopped container's until delete --force, which leaves nothing; the
# image restores again.
faults="$repo/hako-faults --root $w/state"
criu_left() { pgrep -x criu >/dev/null && pgrep -ax criu || echo none; }
# criu_outside CGROUP: CRIU processes outside the container's cgroup
criu_outside() {
	local p out=""
	for p in $(pgrep -x criu); do
		[ "/sys/fs/cgroup$(cgroup_of "$p")" = "$1" ] || out="$out $p $(cgroup_of "$p")"
	done
	echo "${out:-none}"
}
criu_mounts() { grep -F /.criu. /proc/self/mountinfo || echo none; }
start c16 || notok "c16 starts" "$(cat "$w/c16.out")"
pid=$($hako state c16 | jq .pid)
cg=$(cgroup_of "$pid")
st=0
HAKO_FAULT=criu.request $faults checkpoint --image-path "$w/img16" c16 >"$w/c16.ck" 2>&1 || st=$?
check "checkpoint killed while CRIU dumps" 137 "$st"
sleep 1
check "no CRIU left after the killed checkpoint" none "$(criu_left)"
check "no mount of CRIU's left after the killed checkpoint" none "$(criu_mounts)"
s=$(status c16)
[ "$s" = paused ] && $hako resume c16
check "the container runs on (was $s)" running "$(status c16)"
ck "delete --force after the killed checkpoint" $hako delete -f c16
gone "killed checkpoint" c16 "$pid" "$cg"
st=0
HAKO_FAULT=criu.setup-namespaces $faults restore -d --image-path "$w/img1" -b "$w/c1" c17 </dev/null >>"$w/c1.out" 2>&1 || st=$?
check "restore killed at CRIU's setup-namespaces" 137 "$st"
sleep 1
cg=$(jq -r '.cgroup_paths[""] // empty' "$w/state/c17/creating.json" 2>/dev/null)
check "no CRIU worker left after the killed restore" none "$(criu_outside "$cg")"
check "no mount of CRIU's left after the killed restore" none "$(criu_mounts)"
check "the half-restored container is stopped" stopped "$(status c17)"
ck "delete --force after the killed restore" $hako delete -f c17
check "killed restore: no state" none "$(status c17)"
check "killed restore: no cgroup" gone "$([ -n "$cg" ] && [ -d "$cg" ] && echo "left: $cg" || echo gone)"
check "killed restore: no criu-root mount" none "$(grep -F "$w/state/c17" /proc/self/mountinfo || echo none)"
check "killed restore: no CRIU process" none "$(criu_left)"
check "killed restore: no cgroup yard left in the image directory" none "$(cd "$w/img1" && ls -d .criu.cgyard.* 2>/dev/null || echo none)"
rm -rf "$w/c18" && cp -a "$w/c1" "$w/c18"
rs "the image restores again after the killed restore" "$w/c18.out" -d --image-path "$w/img1" -b "$w/c18" c18
check "the restored again container is running" running "$(status c18)"
ck "delete it" $hako delete -f c18

for id in c1 c2 c2b c4 c5 c6 c7 c8 c8b c9 c9b c10 c11 c12 c13 c14 c15 c16 c17 c18; do $hako delete -f "$id" >/dev/null 2>&1; done
exit $rc
