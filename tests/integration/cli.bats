#!/usr/bin/env bats
# Global flags and the command line itself.

load helpers

# ids of a list run with the given global flags
list_with() {
	run "$RUNTIME" "$@" list -q
}

@test "--version prints the version and the spec version" {
	run "$RUNTIME" --version
	assert_success
	assert_match 'version [0-9]'
	assert_match '^spec: [0-9]+\.[0-9]+'
}

@test "--help lists the verbs" {
	run "$RUNTIME" --help
	assert_success
	for v in create start run state list kill delete spec; do
		assert_match "^ +$v"
	done
}

@test "an unknown verb fails" {
	run "$RUNTIME" --root "$ROOT" frobnicate
	assert_failure
}

@test "an unknown global flag fails" {
	run "$RUNTIME" --no-such-flag --root "$ROOT" list
	assert_failure
}

@test "--root in the --x=y, --x y, -x y and -x=y forms" {
	create_ctr
	assert_success
	for form in "--root=$ROOT" "-root=$ROOT"; do
		list_with "$form"
		assert_success
		assert_output "$CID"
	done
	for flag in --root -root; do
		list_with "$flag" "$ROOT"
		assert_success
		assert_output "$CID"
	done
	# and another root does not see it
	mkdir -p "$TEST_DIR/empty"
	list_with --root "$TEST_DIR/empty"
	assert_success
	assert_output ""
}

@test "--log and --log-format in every form" {
	mkdir -p "$ROOT"
	local n=0
	for args in "--log=$TEST_DIR/l1 --log-format=json" "--log $TEST_DIR/l2 --log-format json" \
		"-log $TEST_DIR/l3 -log-format json" "-log=$TEST_DIR/l4 -log-format=json"; do
		n=$((n + 1))
		# shellcheck disable=SC2086
		run "$RUNTIME" --root "$ROOT" $args state nosuchcontainer
		assert_failure
		[ -s "$TEST_DIR/l$n" ] || fail "no log written with $args"
		tail -n1 "$TEST_DIR/l$n" | jq -e '.level == "error"' >/dev/null ||
			fail "last line of log $n: $(tail -n1 "$TEST_DIR/l$n")"
	done
}

@test "--debug, --systemd-cgroup and --rootless are accepted" {
	create_ctr
	assert_success
	for args in --debug -debug "--rootless false" "--rootless=false" --systemd-cgroup; do
		# shellcheck disable=SC2086
		run "$RUNTIME" $args --root "$ROOT" list -q
		assert_success
		assert_contains "$CID"
	done
}

@test "the default root is /run/<runtime name> for root" {
	[ "$(id -u)" = 0 ] || skip "needs root"
	local id="${CID}d" dir="/run/$RUNTIME_NAME"
	EXTRA_CLEANUP+=("'$RUNTIME' delete -f '$id'")
	# The runtime keeps caches under its root (.cache): a root this test
	# brought into being goes with it, unless a container lives there.
	if [ ! -e "$dir" ]; then
		EXTRA_CLEANUP+=("[ -z \"\$(ls '$dir')\" ] && rm -rf '$dir'")
	fi
	env "$TAG_VAR=$TAG" "$RUNTIME" create -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 3>&-
	[ -d "$dir/$id" ] || fail "no state dir $dir/$id"
	run "$RUNTIME" list -q
	assert_success
	assert_contains "$id"
	run "$RUNTIME" delete -f "$id"
	assert_success
	[ ! -e "$dir/$id" ]
}

@test "a verb with a missing container id fails" {
	for v in start state kill delete; do
		runtime "$v"
		assert_failure
	done
}
