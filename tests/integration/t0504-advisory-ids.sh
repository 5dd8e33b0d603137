#!/bin/bash
# t0504-advisory-ids: an update's advisory id is SIGNAME-MAJOR-YEAR-NNNN,
# assigned in the transaction that first moves it to testing (by promote,
# by the policy's auto_testing, or straight to release when the policy
# allows it), from a counter per SIG, major and year: another SIG counts
# from 0001 too; a candidate has none; a refused promote uses no number; an
# unpushed update keeps its id and its number is never given again.
. "$(dirname "$0")/lib.sh"

start_hub "[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create cloud --short-name cloud --title "Cloud" --purpose "tests" >/dev/null
q sig create web --short-name web --title "Web" --purpose "tests" >/dev/null
q project create cloud/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q project create web/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create cloud/el9/common --arch x86_64 --channel release >/dev/null
q repo create web/el9/common --arch x86_64 --channel release >/dev/null
q policy set cloud/el9 --checks "" --auto-testing false --lead-approval true >/dev/null
q policy set web/el9 --checks "" --auto-testing false >/dev/null
YEAR=$(date -u +%Y)
declare -A B
for n in 1 2 3 4 5; do
	PKG_ARCH=noarch make_git_pkg "$T/c$n" "id-c$n" 1.0 1 r9-sig-cloud-1
	B[c$n]=$(q build cloud/el9 "$T/c$n#r9-sig-cloud-1" --json | jget 'd["id"]' /dev/stdin)
done
PKG_ARCH=noarch make_git_pkg "$T/w1" id-w1 1.0 1 r9-sig-web-1
B[w1]=$(q build web/el9 "$T/w1#r9-sig-web-1" --json | jget 'd["id"]' /dev/stdin)
for k in c1 c2 c3 c4 c5 w1; do
	check "build $k completes" test "$(wait_build "${B[$k]}")" = complete
done
mk() { q update create "$1" common "$2" --json | jget 'd["id"]' /dev/stdin; }
adv() { q update show "$1" --json | jget 'd["advisory"]' /dev/stdin; }

U1=$(mk cloud/el9 "${B[c1]}")
check "a candidate has no advisory id" test "$(adv "$U1")" = None
expect_fail 1 "rule 'approval'" q promote "$U1" --to release
check "a refused promote assigns none" test "$(adv "$U1")" = None
q promote "$U1" --to testing >/dev/null
check "the first in testing: CLOUD-9-$YEAR-0001" test "$(adv "$U1")" = "CLOUD-9-$YEAR-0001"
q update show "$U1" --json >u1.json
check "advisory_issued is when it entered testing" test "$(jget 'd["advisory_issued"] == (d["testing_since"] if isinstance(d["testing_since"], str) else __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ", __import__("time").gmtime(d["testing_since"])))' u1.json)" = True

W1=$(mk web/el9 "${B[w1]}")
q promote "$W1" --to testing >/dev/null
check "another SIG counts on its own: WEB-9-$YEAR-0001" test "$(adv "$W1")" = "WEB-9-$YEAR-0001"

U2=$(mk cloud/el9 "${B[c2]}")
q promote "$U2" --to testing >/dev/null
check "the next: CLOUD-9-$YEAR-0002" test "$(adv "$U2")" = "CLOUD-9-$YEAR-0002"
q update approve "$U1" >/dev/null
q promote "$U1" --to release >/dev/null
check "released, it keeps its id" test "$(adv "$U1")" = "CLOUD-9-$YEAR-0001"

q unpush "$U2" >/dev/null
check "unpushed, it keeps its id" test "$(adv "$U2")" = "CLOUD-9-$YEAR-0002"
U3=$(mk cloud/el9 "${B[c3]}")
q promote "$U3" --to testing >/dev/null
check "the number of an unpushed update is not given again: 0003" test "$(adv "$U3")" = "CLOUD-9-$YEAR-0003"

# auto_testing: the update enters testing as it is created, with its id.
q policy set cloud/el9 --auto-testing true >/dev/null
q update create cloud/el9 common "${B[c4]}" --json >u4.json
check "auto_testing: created in testing" test "$(jget 'd["state"]' u4.json)" = testing
check "… with the next id" test "$(jget 'd["advisory"]' u4.json)" = "CLOUD-9-$YEAR-0004"

# Straight to release (no testing days, no approval): an id too.
q policy set cloud/el9 --auto-testing false --lead-approval false --testing-days 0 >/dev/null
U5=$(mk cloud/el9 "${B[c5]}")
q promote "$U5" --to release >/dev/null
check "a candidate released directly gets an id" test "$(adv "$U5")" = "CLOUD-9-$YEAR-0005"

q update list --json >list.json
check "ids are unique" test "$(jget 'len([u["advisory"] for u in d["updates"] if u["advisory"]]) == len(set(u["advisory"] for u in d["updates"] if u["advisory"]))' list.json)" = True
check "update list shows the ADVISORY column" bash -c "\"\$QUARRY_BIN\" update list | head -1 | grep -q ADVISORY"
finish
