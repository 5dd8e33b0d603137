#!/bin/bash
# t0570-readme-tour: the README's "A five-minute tour" runs as written.
# The tour's sh blocks become one bash script (readme_tour.py; the rules in
# docs/TESTING.md, "The README tour"), run with set -eo pipefail on a hub
# loaded with the demo's content by scripts/demo-load.sh (what
# scripts/demo.sh loads), from a checkout whose build/quarry is the binary
# under test. Every step must succeed, except those marked
# `# refused: "TEXT"`, which must fail saying TEXT.
#
#   QUARRY_README=FILE   the README to take the tour from (default the
#                        source tree's), e.g. a copy with a broken step
. "$(dirname "$0")/lib.sh"

README=${QUARRY_README:-$QUARRY_SRC/README.md}
case $README in /*) ;; *) README=$OLDPWD/$README ;; esac
TOUR_PY=$QUARRY_SRC/tests/integration/readme_tour.py

# ---- the demo: a hub like scripts/demo.sh's, with the demo's content ----
start_hub
DEMO=$T/demo
mkdir -p "$DEMO"
printf '%s\n' "$ADMIN_TOKEN" >"$DEMO/admin.token"
rc=0
"$QUARRY_SRC/scripts/demo-load.sh" "$QUARRY_BIN" "$DEMO" >demo-load.log 2>&1 || rc=$?
check "the demo's content loads (scripts/demo-load.sh, exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || diag "$(tail -n 20 demo-load.log)"

# ---- the tour, extracted ----
check "the tour follows the rules and extracts from $(basename "$README")" \
	bash -c 'python3 "$1" "$2" --hub "$3" --demo-dir "$4" >"$5/tour.sh" 2>"$5/tour-extract.err"' _ \
	"$TOUR_PY" "$README" "$QUARRY_HUB" "$DEMO" "$T"
[ -s "$T/tour-extract.err" ] && diag "$(cat "$T/tour-extract.err")"
python3 "$TOUR_PY" "$README" --list-refused >refused.txt 2>/dev/null || true
nrefused=$(wc -l <refused.txt)
check "the tour has steps ($(grep -c . tour.sh) lines)" [ "$(grep -c . tour.sh)" -gt 10 ]
check "  … and steps meant to be refused ($nrefused)" [ "$nrefused" -gt 0 ]

# A checkout as the user has it after scripts/demo.sh: the source tree,
# with build/quarry the binary under test.
mkdir -p checkout/build "$T/tmp"
for f in "$QUARRY_SRC"/*; do
	case $(basename "$f") in build*) continue ;; esac
	ln -s "$f" "checkout/$(basename "$f")"
done
ln -s "$QUARRY_BIN" checkout/build/quarry

# ---- run it as a user would: one bash, fresh environment of the tour ----
rc=0
(
	cd checkout
	unset QUARRY_HUB QUARRY_TOKEN
	export TMPDIR=$T/tmp
	exec bash "$T/tour.sh"
) >tour.log 2>&1 </dev/null || rc=$?
check "every step of the tour runs as written (exit $rc)" [ "$rc" = 0 ]
if [ "$rc" != 0 ]; then
	diag "$(tail -n 25 tour.log)"
	diag "$(sed -n '/^tour: /p' tour.log)"
fi
while IFS=$'\t' read -r line msg; do
	check "$(basename "$README") line $line is refused, saying \"$msg\"" \
		grep -qx "tour: refused as promised: line $line" tour.log
done <refused.txt

finish
