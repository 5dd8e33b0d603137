#!/bin/bash
# t0544: `quarry policy show` prints the rpmlint configuration as lines (its
# newlines are newlines, the next lines start under the first, CRLF is a
# newline too), not joined with '?'; every other control character (ESC,
# which could move a terminal's cursor; a bell) is still shown as '?'.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
embedded_worker = false"
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
printf 'addFilter("no-changelogname-tag")\r\naddFilter("invalid-license")\n# esc \033[2J bell \a end\n\n' >lint.rc
q policy set mc/el9 --rpmlint-config lint.rc >/dev/null
q policy show mc/el9 >show.txt
check "the configuration is stored as given" \
	bash -c 'cmp <("$QUARRY_BIN" policy show mc/el9 --json | python3 -c "import json,sys; sys.stdout.write(json.load(sys.stdin)[\"rpmlint_config\"])") lint.rc'
col=$(grep -b -o 'addFilter("no-changelogname-tag")' show.txt | head -1 | cut -d: -f1)
line_start=$(grep -b '^rpmlint config:' show.txt | cut -d: -f1)
indent=$((col - line_start))
check "the first line follows the label" grep -qE '^rpmlint config: +addFilter\("no-changelogname-tag"\)$' show.txt
check "the second line is a line of its own, under the first" \
	grep -qxE " {$indent}addFilter\(\"invalid-license\"\)" show.txt
check "ESC and BEL are still '?'" grep -qxE " {$indent}# esc \?\[2J bell \? end" show.txt
lacks "no ESC byte reaches the terminal" show.txt $'\033'
lacks "no CR either" show.txt $'\r'
lacks "the lines are not joined with '?'" show.txt 'tag"\)\?'
finish
