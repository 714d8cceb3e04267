#!/usr/bin/env bats
# CVE-2021-30465 class: a mount destination inside a volume that the
# attacker (another container sharing the volume) swaps between a directory
# and a symlink while the victim is created. The defence: targets are
# resolved confined to the rootfs and mounted by fd, never by path
# (libcontainer/rootfs/apply_linux.go: target, attach).

load ../helpers

@test "CVE-2021-30465: symlink-exchanged mount destinations stay inside the rootfs" {
	local vol="$TEST_DIR/vol" victim="$TEST_DIR/victim"
	mkdir -p "$vol"
	# The victim: /vol from the shared volume, and a tmpfs on /vol/d.
	mkdir -p "$victim"
	cp -a "$BUNDLE/rootfs" "$victim/rootfs"
	echo intact >"$victim/rootfs/etc/marker"
	# Outside the victim's rootfs the symlink below names its /etc: a mount
	# resolved on the host instead of in the rootfs covers the victim's /etc.
	local escape="$victim/rootfs/etc"
	jq --arg vol "$vol" '.process.args = ["sh", "-c", "cat /etc/marker; awk \"\\$5 == \\\"/etc\\\"\" /proc/self/mountinfo | wc -l"] |
		.mounts += [{"destination": "/vol", "type": "bind", "source": $vol, "options": ["rbind"]},
			{"destination": "/vol/d", "type": "tmpfs", "source": "tmpfs", "options": ["size=64k"]}]' \
		"$BUNDLE/config.json" >"$victim/config.json"

	# The attacker swaps /vol/d between a directory and a symlink, as fast
	# as busybox can.
	update_config '.mounts += [{"destination": "/vol", "type": "bind", "source": "'"$vol"'", "options": ["rbind"]}]'
	set_args sh -c 'cd /vol; while :; do rm -rf d; ln -s "$0" d; rm -f d; mkdir d; done' "$escape"
	run_detached
	assert_success
	wait_for_status "$CID" running
	local mounts_before i ok=0 failed=0
	mounts_before=$(wc -l </proc/self/mountinfo)
	EXTRA_IDS+=("$CID-v")
	for i in $(seq 60); do
		runtime run --bundle "$victim" "$CID-v"
		if [ "$status" -eq 0 ]; then
			# The victim's /etc is its own and nothing is mounted on it.
			[ "$output" = "intact
0" ] || fail "run $i: victim's /etc was covered: $output"
			ok=$((ok + 1))
		else
			# A refusal must be a clear error, not a half-made container.
			[ "$failed" -gt 0 ] || echo "# first refusal: $output" >&3
			assert_contains "/vol/d"
			failed=$((failed + 1))
		fi
		"$RUNTIME" --root "$ROOT" delete -f "$CID-v" >/dev/null 2>&1 || true
	done
	echo "# $ok runs confined, $failed refused" >&3
	[ "$(cat "$victim/rootfs/etc/marker")" = intact ]
	[ "$(wc -l </proc/self/mountinfo)" = "$mounts_before" ] || fail "the host's mount table changed"
	[ "$ok" -gt 0 ] || fail "no run succeeded: the race was never exercised"
}
