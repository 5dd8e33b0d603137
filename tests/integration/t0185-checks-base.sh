#!/bin/bash
# t0185-checks-base: the distribution underneath a SIG's packages. With
# check.base_repos naming a local repo ($releasever and $basearch
# replaced), a build that requires a package of that base repo passes the
# closure and installable checks; the same requirement with no base repo
# configured would fail closure (t0180); a requirement neither provides
# still fails, naming the capability.
. "$(dirname "$0")/lib.sh"

# A "base OS" repo for EL9 x86_64 with one package providing 'basething'.
mkdir -p "$T/base/9/x86_64"
cp "$(make_rpm basething 1.0 1.el9 noarch)" "$T/base/9/x86_64/"
createrepo_c -q "$T/base/9/x86_64"

start_hub "[check]
base_repos = $T/base/\$releasever/\$basearch, /nonexistent/\$basearch
[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 >/dev/null

PKG_ARCH=noarch PKG_REQUIRES=basething make_git_pkg "$T/g1" mc-onbase 1.0 1
PKG_ARCH=noarch PKG_REQUIRES="basething, nowhere-to-be-found" make_git_pkg "$T/g2" mc-offbase 1.0 1
b1=$(q build mc/el9 "$T/g1#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
b2=$(q build mc/el9 "$T/g2#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
check "build 1 completes" test "$(wait_build "$b1")" = complete
check "build 2 completes" test "$(wait_build "$b2")" = complete
state() { # state BUILD CHECK
	q check "$1" --wait >/dev/null 2>&1 || true
	api GET "builds/$1/checks" >/dev/null
	jget "[c['state'] for c in d['checks'] if c['name'] == '$2'][0]"
}
check "closure passes with the base repo" test "$(state "$b1" closure)" = pass
check "installable passes with the base repo" test "$(state "$b1" installable)" = pass
api GET "builds/$b1/checks" >/dev/null && cp "$T/body" b1.json
check "the closure output names the base repo as the provider" grep -q "base/9/x86_64" b1.json
check "a missing base repo is noted, not fatal" grep -q "nonexistent/x86_64 has no repodata" b1.json
check "closure still fails for what nothing provides" test "$(state "$b2" closure)" = fail
api GET "builds/$b2/checks" >/dev/null && cp "$T/body" b2.json
check "  … naming the capability" grep -q "requires nowhere-to-be-found, which nothing provides" b2.json
finish
