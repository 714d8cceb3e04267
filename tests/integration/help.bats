#!/usr/bin/env bats
# The command line's own surface: help for the program and every verb,
# usage errors, the version, flags runc has, and (hako's) shell completion,
# man pages and `make install`.

load helpers

# verbs VERB...: the verbs the runtime's --help lists.
verbs() {
	"$RUNTIME" --help | sed -n '/^COMMANDS:/,/^$/p' | awk 'NR > 1 && $1 != "" { sub(",", "", $1); print $1 }' | grep -vx -e help -e h
}

# flags_of VERB: the long flags a verb's help lists, one per line.
flags_of() {
	"$1" "$2" --help | sed -n '/^OPTIONS:/,$p' | grep -oE '^ +--[a-z0-9-]+' | tr -d ' ' | grep -vx -- --help | sort -u
}

@test "help: the program's help lists every verb, exit 0, with or without -h" {
	for args in --help -h help ""; do
		# shellcheck disable=SC2086
		run "$RUNTIME" $args
		assert_success
		assert_match '^USAGE:'
		assert_match '^GLOBAL OPTIONS:'
		for v in checkpoint create delete events exec features kill list pause ps restore resume run spec start state update; do
			assert_match "^ +$v +[a-z]"
		done
	done
}

@test "help: every verb answers -h, --help and help VERB alike, naming its usage and flags" {
	local n=0 v
	for v in $(verbs); do
		n=$((n + 1))
		run "$RUNTIME" "$v" -h
		assert_success
		local h=$output
		assert_match "^   $RUNTIME_NAME $v "
		assert_match '^USAGE:'
		run "$RUNTIME" "$v" --help
		[ "$output" = "$h" ] || fail "$v --help differs from $v -h"
		run "$RUNTIME" help "$v"
		assert_success
		[ "$output" = "$h" ] || fail "help $v differs from $v -h"
	done
	[ "$n" -ge 17 ] || fail "only $n verbs listed"
}

@test "help: an unknown verb is 'No help topic', exit 3, for VERB, help VERB and VERB -h" {
	for args in "frobnicate" "help frobnicate" "frobnicate -h"; do
		# shellcheck disable=SC2086
		run "$RUNTIME" --root "$ROOT" $args
		assert_status 3
		assert_contains "No help topic for 'frobnicate'"
	done
	[ ! -e "$ROOT" ] || fail "state root made for an unknown verb"
}

@test "help: -h after the container id prints the verb's help, exit 0" {
	for args in "delete x -h" "state x --help" "run x -h" "list -h x" "kill x KILL -h"; do
		# shellcheck disable=SC2086
		run "$RUNTIME" --root "$ROOT" $args
		assert_success
		assert_match "^   $RUNTIME_NAME ${args%% *} "
	done
	[ ! -e "$ROOT" ] || fail "state root made for help"
}

@test "help: a wrong argument count prints the verb's help and runc's error, exit 1" {
	run "$RUNTIME" --root "$ROOT" kill
	assert_status 1
	assert_match '^Incorrect Usage\.'
	# (the text log format escapes the quotes: \"kill\")
	assert_match 'kill\\?" requires a minimum of 1 argument\(s\)'
	run "$RUNTIME" --root "$ROOT" kill a b c
	assert_status 1
	assert_match 'kill\\?" requires a maximum of 2 argument\(s\)'
	run "$RUNTIME" --root "$ROOT" state a b
	assert_status 1
	assert_match 'state\\?" requires exactly 1 argument\(s\)'
	assert_match "^   $RUNTIME_NAME state "
}

@test "help: an unknown flag is refused before the verb runs, naming it" {
	run "$RUNTIME" --root "$ROOT" list --no-such-flag
	assert_status 1
	assert_contains "flag provided but not defined: -no-such-flag"
	run "$RUNTIME" --no-such-flag list
	assert_status 1
	assert_contains "flag provided but not defined: -no-such-flag"
}

@test "help: --version and -v print the version in runc's layout" {
	for f in --version -v; do
		run "$RUNTIME" "$f"
		assert_success
		assert_match "^$RUNTIME_NAME version [0-9]"
		assert_match '^spec: 1\.[0-9]+\.[0-9]+'
		assert_match '^go: go1\.'
		assert_match '^libseccomp: [0-9]+\.[0-9]+\.[0-9]+$'
	done
}

@test "help: every verb and flag of runc 1.5.3 is there, with runc's short aliases" {
	local ref="$REPO_ROOT/.cache/ref/runc"
	[ -x "$ref" ] || skip "no reference runc at $ref (make .cache/ref/runc)"
	local v missing=""
	for v in $(RUNTIME=$ref verbs); do
		"$RUNTIME" "$v" --help >/dev/null 2>&1 || { missing+=" verb:$v"; continue; }
		for f in $(flags_of "$ref" "$v"); do
			flags_of "$RUNTIME" "$v" | grep -qx -- "$f" || missing+=" $v$f"
		done
		# short aliases: "--bundle value, -b value" → -b must be there too
		for a in $("$ref" "$v" --help | sed -n '/^OPTIONS:/,$p' | grep -oE ', -[a-z]\b' | tr -d ', '); do
			"$RUNTIME" "$v" --help | grep -qE -- ", $a( |$)" || missing+=" $v:$a"
		done
	done
	[ -z "$missing" ] || fail "missing:$missing"
}

@test "help: flags may follow the container id (delete ID -f), except exec's command" {
	run "$RUNTIME" --root "$ROOT" delete no-such-ctr -f
	assert_success
	run "$RUNTIME" --root "$ROOT" delete no-such-ctr --force
	assert_success
	create_ctr
	assert_success
	run "$RUNTIME" --root "$ROOT" state "$CID"
	assert_success
	run "$RUNTIME" --root "$ROOT" list -q -f json
	assert_success
	run "$RUNTIME" --root "$ROOT" kill "$CID" KILL
	assert_success
	wait_for_status "$CID" stopped
	run "$RUNTIME" --root "$ROOT" delete "$CID" --force
	assert_success
	run "$RUNTIME" --root "$ROOT" state "$CID"
	assert_failure
}

# complete_bash WORD...: the completions bash offers for the command line
# "WORD... <TAB>" (the last word is the one being completed).
complete_bash() {
	bash -c 'source "$1"; shift; COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}; _hako; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$REPO_ROOT/contrib/completions/bash/hako" "$@"
}

@test "completion: bash completes verbs, a verb's flags and container ids (of --root)" {
	skip_if_runtime runc "runc's completion is a separate script, not generated by the binary"
	create_ctr
	assert_success
	local bin_dir="$TEST_DIR/bin"
	mkdir -p "$bin_dir"
	ln -s "$RUNTIME" "$bin_dir/hako"
	PATH="$bin_dir:$PATH"
	run complete_bash hako ch
	assert_output "checkpoint"
	run complete_bash hako --root "$ROOT" de
	assert_output "delete"
	run complete_bash hako delete --f
	assert_output "--force"
	run complete_bash hako --root "$ROOT" delete ""
	assert_output "$CID"
	run complete_bash hako --root "$ROOT" kill "${CID:0:3}"
	assert_output "$CID"
	run complete_bash hako "--root=$ROOT" kill "$CID" KI
	assert_output "KILL"
	# another root has another list
	run complete_bash hako --root "$TEST_DIR/none" delete ""
	assert_output ""
	# "--" asks for every long flag, and never runs the verb (a
	# container named --generate-bash-completion would be made here)
	run complete_bash hako --root "$ROOT" run --
	assert_contains "--bundle"
	assert_contains "--detach"
	run complete_bash hako --root "$ROOT" run -- ""
	assert_output ""
	# a flag waiting for its value gets no flags (bash offers files)
	run complete_bash hako --root "$ROOT" run -b ""
	assert_output ""
	run complete_bash hako --log ""
	assert_output ""
	run "$RUNTIME" --root "$ROOT" list -q
	assert_output "$CID"
}

@test "completion: zsh completes verbs and container ids" {
	skip_if_runtime runc "runc's completion is a separate script, not generated by the binary"
	requires zsh
	create_ctr
	assert_success
	# compadd stands in for zsh's completion system: it prints what the
	# script offers.
	local z='f=$1; shift; compadd() { shift; print -l -- "$@" }; _files() { print FILES }; words=("$@"); CURRENT=$#; source "$f"'
	run zsh -c "$z" _ "$REPO_ROOT/contrib/completions/zsh/_hako" "$RUNTIME" --root "$ROOT" delete ""
	assert_success
	assert_output "$CID"
	run zsh -c "$z" _ "$REPO_ROOT/contrib/completions/zsh/_hako" "$RUNTIME" "up"
	assert_contains "update"
	run zsh -c "$z" _ "$REPO_ROOT/contrib/completions/zsh/_hako" "$RUNTIME" --root "$ROOT" run -b ""
	assert_output "FILES"
	run zsh -c "$z" _ "$REPO_ROOT/contrib/completions/zsh/_hako" "$RUNTIME" --root "$ROOT" run "--"
	assert_contains "--bundle"
}

@test "install: make install puts the binary, a man page per verb and the completions under DESTDIR" {
	skip_if_runtime runc "tests hako's own Makefile"
	requires make go man
	local dest="$TEST_DIR/dest"
	run make -C "$REPO_ROOT" all
	assert_success
	run make -C "$REPO_ROOT" install DESTDIR="$dest" PREFIX=/usr
	assert_success
	[ -x "$dest/usr/sbin/hako" ] || fail "no binary"
	[ -f "$dest/usr/share/bash-completion/completions/hako" ] || fail "no bash completion"
	[ -f "$dest/usr/share/zsh/site-functions/_hako" ] || fail "no zsh completion"
	local v
	for v in $(verbs); do
		[ -f "$dest/usr/share/man/man8/hako-$v.8" ] || fail "no man page for $v"
	done
	# The pages say what the help says: every flag of run is in hako-run(8).
	run env MANWIDTH=100 man -l "$dest/usr/share/man/man8/hako-run.8"
	assert_success
	assert_match '^NAME'
	assert_contains "hako-run - create and run a container"
	for f in $(flags_of "$RUNTIME" run); do
		assert_contains "$f"
	done
	assert_contains "--bundle=value, -b value"
	assert_contains "(default: 0)"
	run env MANWIDTH=100 man -l "$dest/usr/share/man/man8/hako.8"
	assert_success
	assert_contains "hako-exec(8)"
	assert_match '^EXIT STATUS'
	assert_contains "system.slice:hako:434234"
	assert_contains "--systemd-cgroup"
	run make -C "$REPO_ROOT" uninstall DESTDIR="$dest" PREFIX=/usr
	assert_success
	[ -z "$(find "$dest" -type f)" ] || fail "left after uninstall: $(find "$dest" -type f)"
}
