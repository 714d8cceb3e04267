#!/bin/bash
# Shared by the rootless guest files (rootless-v2.bats, rootless-systemd.bats):
# the image, a per-test bundle of the unprivileged test user (helpers.bash:
# make_test_user, as_user) and its cleanup.

load ../integration/helpers

# rootless_setup_file: FILE_DIR with the image (VM_IMAGE, made on the host:
# the systemd guest has no busybox; else mkbundle.sh).
rootless_setup_file() {
	FILE_DIR=$(mktemp -d /tmp/hako-bats.XXXXXX)
	chmod 0755 "$FILE_DIR"
	export FILE_DIR
	if [ -n "${VM_IMAGE:-}" ]; then
		cp -a "$VM_IMAGE" "$FILE_DIR/image"
	else
		"$INTEGRATION_DIR/mkbundle.sh" "$FILE_DIR/image" >/dev/null
	fi
}

# rootless_setup XDG: this test's dirs and a bundle of the test user from
# its own `spec --rootless`, running sleep 1000; the state root is the
# user's default one, $XDG/<runtime>.
rootless_setup() {
	TEST_DIR="$FILE_DIR/t$BATS_TEST_NUMBER"
	BUNDLE="$TEST_DIR/bundle"
	CID="hb${BATS_TEST_NUMBER}-${FILE_DIR##*.}"
	TAG="$CID"
	XDG=$1
	ROOT="$XDG/$RUNTIME_NAME"
	rm -rf "$TEST_DIR"
	mkdir -p "$BUNDLE" "$XDG"
	cp -a "$FILE_DIR/image/rootfs" "$BUNDLE/rootfs"
	chown -R "$RL_USER:" "$TEST_DIR"
	chown "$RL_USER:" "$XDG"
	chmod 0700 "$XDG"
	chmod 0755 "$TEST_DIR"
	(cd "$BUNDLE" && as_user "$FILE_DIR/rt" spec --rootless) || fail "spec --rootless failed"
	update_config '.process.terminal = false | .root.readonly = false | .process.env += ["'"$TAG_VAR=$TAG"'"]
		| .process.args = ["sleep", "1000"]'
	EXTRA_IDS=()
	EXTRA_CLEANUP=()
}

# rootless_teardown [GLOBAL-FLAG...]: every container left in the user's
# root deleted by the user (with the driver's flags), tagged processes
# killed, the test's dirs removed.
rootless_teardown() {
	[ -n "${TEST_DIR:-}" ] || return 0
	local d cmd
	for d in "$ROOT"/*/; do
		[ -d "$d" ] && as_user "$FILE_DIR/rt" "$@" delete --force "$(basename "$d")" >/dev/null 2>&1
	done
	kill_tagged
	for cmd in "${EXTRA_CLEANUP[@]}"; do
		eval "$cmd" >/dev/null 2>&1 || true
	done
	rm -rf "$TEST_DIR"
}

cg_of() { # PID: the v2 cgroup directory of PID
	local h c p
	while IFS=: read -r h c p; do
		[ "$h" = 0 ] && echo "/sys/fs/cgroup${p%/}"
	done <"/proc/$1/cgroup"
}
