#!/bin/bash
# t0530-checks-http-base: check.base_repos naming an http:// repo with
# $releasever and $basearch, as dnf takes it. A local web server serves a
# "base OS" repo holding 'basething':
#  - a build that requires basething passes closure and installable (dnf
#    gets the package file the hub fetched into its cache: the sandbox has
#    no network);
#  - `quarry check` and the API's check JSON name the repo (its URL) each
#    check used;
#  - running the checks again fetches repomd.xml only (the cache is keyed by
#    its SHA-256), a changed repo is fetched again;
#  - a repo that cannot be fetched makes closure an error naming the URL
#    and what failed, never a pass.
. "$(dirname "$0")/lib.sh"

for tool in dnf createrepo_c bwrap; do
	command -v "$tool" >/dev/null || skip "$tool is not installed"
done

mkdir -p "$T/www/9/x86_64"
cp "$(make_rpm basething 1.0 1.el9 noarch)" "$T/www/9/x86_64/"
createrepo_c -q "$T/www/9/x86_64"
WPORT=$(free_port)
python3 -m http.server --bind 127.0.0.1 --directory "$T/www" "$WPORT" >http.log 2>&1 &
WEB_PID=$!
at_cleanup kill "$WEB_PID"
for _ in $(seq 50); do
	curl -fsS "http://127.0.0.1:$WPORT/9/x86_64/repodata/repomd.xml" >/dev/null 2>&1 && break
	sleep 0.1
done
BASE_URL="http://127.0.0.1:$WPORT/\$releasever/\$basearch/"

start_hub "[check]
base_repos = $BASE_URL
[mirror]
crawl_interval = 0"
check "config check accepts an http:// base repo" q config check hub.ini
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 >/dev/null

PKG_ARCH=noarch PKG_REQUIRES=basething make_git_pkg "$T/g1" mc-onbase 1.0 1
b1=$(q build mc/el9 "$T/g1#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
check "the build completes" test "$(wait_build "$b1")" = complete
state() { # state BUILD CHECK (after the checks ended)
	api GET "builds/$1/checks" >/dev/null
	jget "[c['state'] for c in d['checks'] if c['name'] == '$2'][0]"
}
q check "$b1" --wait >check1.out 2>&1 || true
check "closure passes with the http base repo" test "$(state "$b1" closure)" = pass
[ "$(state "$b1" closure)" = pass ] || diag "$(cat check1.out)"
check "installable passes with the http base repo" test "$(state "$b1" installable)" = pass
[ "$(state "$b1" installable)" = pass ] || diag "$(q check "$b1" --output installable | tail -n 20)"
WANT_URL="http://127.0.0.1:$WPORT/9/x86_64/"
check "quarry check names the base repo each check used (its URL)" \
	grep -Eq "^ +$WANT_URL\$" check1.out
check "… and the project's repo" grep -q "common http://127.0.0.1:$PORT/pub/sig/9/mc/x86_64/common/" check1.out
api GET "builds/$b1/checks?output=0" >/dev/null
check "the API's check JSON lists the repos installable used: the project's, the base repo by URL" \
	test "$(jget "[r['url'] for c in d['checks'] if c['name'] == 'installable' for r in c['repos']]")" = "[\"http://127.0.0.1:$PORT/pub/sig/9/mc/x86_64/common/\", \"http://127.0.0.1:$WPORT/9/x86_64/\"]"
check "… and none for rpmlint" test "$(jget "[c['repos'] for c in d['checks'] if c['name'] == 'rpmlint'][0]")" = "[]"
check "installable fetched the package file it needed" \
	grep -q "fetched basething-1.0-1.el9.noarch.rpm from $WANT_URL" <(q check "$b1" --output installable)
CACHED=$(find "$DATA/cache/check-repos" -name 'basething-1.0-1.el9.noarch.rpm')
check "… into the cache under the data directory" test -n "$CACHED"

# Again: repomd.xml is fetched, the rest comes from the cache.
: >http.log
q check "$b1" --wait >/dev/null 2>&1 || true
check "the second run passes closure too" test "$(state "$b1" closure)" = pass
check "the second run fetched repomd.xml" grep -q "GET /9/x86_64/repodata/repomd.xml" http.log
lacks "… but not the primary metadata (unchanged repomd: cached)" http.log "primary.xml"
lacks "… nor the package again" http.log "basething-1.0-1.el9.noarch.rpm"
check "the output says the metadata came from the cache" grep -q "note: repo $WANT_URL: cached metadata" <(q check "$b1" --output closure)

# The repo changes: its new metadata is fetched.
cp "$(make_rpm basething2 1.0 1.el9 noarch)" "$T/www/9/x86_64/"
createrepo_c -q "$T/www/9/x86_64"
: >http.log
q check "$b1" --wait >/dev/null 2>&1 || true
check "a changed repomd.xml is fetched again (primary metadata)" grep -q "GET /9/x86_64/repodata/.*primary.xml" http.log
check "two copies in the cache now, one per repomd.xml" \
	test "$(find "$DATA/cache/check-repos" -mindepth 1 -maxdepth 1 -type d | wc -l)" = 2

# The repo disappears: an error naming the URL, not a pass.
mv "$T/www/9" "$T/www/gone"
q check "$b1" --wait >/dev/null 2>&1 || true
check "closure is an error when the base repo cannot be fetched" test "$(state "$b1" closure)" = error
SUM=$(jget "[c['summary'] for c in d['checks'] if c['name'] == 'closure'][0]")
check "… naming the URL and what failed ($SUM)" grep -q "http://127.0.0.1:$WPORT/9/x86_64/repodata/repomd.xml.*HTTP 404" <<<"$SUM"
check "installable is an error too" test "$(state "$b1" installable)" = error
finish
