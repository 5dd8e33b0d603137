#!/bin/bash
# t0553-completion: `quarry completion bash` prints a script that the real
# bash sources; its completion function, called with COMP_WORDS/COMP_CWORD
# as bash's programmable completion sets them, completes commands,
# subcommands of one and two words, each (sub)command's options, global
# options before the command, and option values from their placeholders.
# The script is generated: every command `quarry --help` lists is completed,
# and every option that `quarry CMD [SUB] --help` prints is offered there.
. "$(dirname "$0")/lib.sh"

check "the script is printed" bash -c "\"\$QUARRY_BIN\" completion bash >'$T/quarry.bash'"
check "bash accepts its syntax" bash -n "$T/quarry.bash"
expect_fail 2 "only bash is known" q completion zsh
expect_fail 2 "which shell" q completion

# comp WORD…: what bash would offer for the last word, sorted, on one line.
# missing <FILE: for each line "WORD…|EXPECTED", EXPECTED unless offered.
cat >comp.sh <<'SH'
source ./quarry.bash
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_quarry
	if ((${#COMPREPLY[@]})); then printf '%s\n' "${COMPREPLY[@]}" | sort -u | paste -sd' '; fi
}
missing() {
	local words want x found
	while IFS='|' read -r words want; do
		read -ra COMP_WORDS <<<"$words"
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMPREPLY=()
		_quarry
		found=
		for x in "${COMPREPLY[@]}"; do [ "$x" != "$want" ] || found=1; done
		[ -n "$found" ] || echo "$words → $want"
	done
}
SH
comp() { bash -c '. ./comp.sh; comp "$@"' comp "$@"; }
# has WORD… :: EXPECTED…: every EXPECTED is among the completions.
has() {
	local words=() e
	while [ "$1" != :: ]; do words+=("$1"); shift; done
	shift
	for e in "$@"; do echo "${words[*]}|$e"; done >has.txt
	test -z "$(bash -c '. ./comp.sh; missing' <has.txt)"
}
check "complete -F _quarry quarry is registered" bash -c '. ./comp.sh; complete -p quarry | grep -q "_quarry"'
check "commands: 'bu' → build" test "$(comp quarry bu)" = build
check "commands: 'se' → search (a new command)" test "$(comp quarry se)" = search
check "commands: 'com' → completion" test "$(comp quarry com)" = completion
check "hidden commands are not offered" test "$(comp quarry check-)" = ""
check "subcommands of build" test "$(comp quarry build '')" = "chain list log provenance resubmit show submit cancel" -o \
	"$(comp quarry build '')" = "cancel chain list log provenance resubmit show submit"
check "two-word subcommands: 'sig m' → member" test "$(comp quarry sig m)" = member
check "… 'sig member' → add remove" test "$(comp quarry sig member '')" = "add remove"
check "options of build list, the new filters among them" has quarry build list -- :: --mine --project --package --since --sig --state --limit --json --hub
check "… and none of build submit's" test -z "$(comp quarry build list --wa)"
check "options of update list" test "$(comp quarry update list --)" = "--client-config --help --hub --json --project --sig --state --token"
check "options after positional words and other options" test "$(comp quarry sig member add mc bob --r)" = "--role"
check "global options before the command, then its subcommand" test "$(comp quarry --hub http://h --json build li)" = list
check "an option's value is not taken for the command" test "$(comp quarry --token sig bu)" = build
check "choices from the placeholder: --to testing|release" test "$(comp quarry promote 3 --to '')" = "release testing"
mkdir -p dir.d && : >file.rpmlintrc
check "files for a FILE placeholder" test "$(comp quarry policy set mc/el9 --rpmlint-config file.)" = file.rpmlintrc
check "files for FILE words (upload)" test "$(comp quarry upload mc/el9/c file.)" = file.rpmlintrc
check "no files where words are names (sig show)" test "$(comp quarry sig show file.)" = ""
check "server commands: hub's getopt options" has quarry hub -- :: --config --data-dir --listen --help
check "… without the client's global ones" test -z "$(comp quarry hub --tok)"
check "search --limit" test "$(comp quarry search python3-foo --l)" = "--limit"
check "completion bash" test "$(comp quarry completion '')" = bash

# Generated, not written: every listed command and every option its help
# prints. (config and sandbox parse their words by hand, with no table.)
# opts FILE: the options of a help text (its usage and option lines).
opts() { grep -E '^(usage:|\s+(\[|--))' "$1" | grep -oE -- '--[a-z][a-z-]+' || true; }
q --help | sed -n 's/^  \([a-z][a-z-]*\) .*/\1/p' >commands.txt
check "the help lists commands" test "$(wc -l <commands.txt)" -gt 25
: >want.txt
while read -r cmd; do
	echo "quarry ${cmd:0:3}|$cmd" >>want.txt
	case $cmd in config | sandbox) continue ;; esac
	q "$cmd" --help >help.txt 2>&1 || true
	# the subcommands the family help lists ("  quarry sig member add SIG USER")
	subs=$(sed -n "s/^  quarry $cmd \(\([a-z][a-z-]* \?\)*\).*/\1/p" help.txt | sed 's/ *$//')
	if [ -z "$subs" ]; then
		opts help.txt | sort -u | sed "s/^/quarry $cmd --|/" >>want.txt
		continue
	fi
	while read -r sub; do
		# shellcheck disable=SC2086
		q "$cmd" $sub --help >subhelp.txt 2>&1 || true
		opts subhelp.txt | sort -u | sed "s/^/quarry $cmd $sub --|/" >>want.txt
	done <<<"$subs"
done <commands.txt
check "options to look for: more than 300" test "$(wc -l <want.txt)" -gt 300
check "… among them build list --since" grep -qx -- "quarry build list --|--since" want.txt
bash -c '. ./comp.sh; missing' <want.txt >missing.txt
check "every command and option of the help is completed" test ! -s missing.txt
diag "$(cat missing.txt)"

finish
