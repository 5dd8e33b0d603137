#!/bin/bash
# t0130: a build from a git repository served over smart HTTP (git
# http-backend behind a CGI server on 127.0.0.1): libgit2 fetches the
# branch, the build completes, and an unknown ref over HTTP is refused.
. "$(dirname "$0")/lib.sh"

start_hub
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null

PKG_ARCH=noarch make_git_pkg "$T/src" webpkg 1.0 1 >/dev/null
mkdir -p "$T/www/cgi-bin" "$T/www/root"
git clone -q --bare "$T/src" "$T/www/root/webpkg.git"
chmod a+x "$T"
chmod -R a+rX "$T/www"
cat >"$T/www/cgi-bin/git" <<CGI
#!/bin/sh
export GIT_PROJECT_ROOT=$T/www/root GIT_HTTP_EXPORT_ALL=1
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
exec /usr/lib/git-core/git-http-backend
CGI
chmod 755 "$T/www/cgi-bin/git"
GPORT=$(free_port)
(cd "$T/www" && exec /usr/bin/python3 -m http.server --cgi --bind 127.0.0.1 "$GPORT" >"$T/cgi.log" 2>&1) &
CGI_PID=$!
at_cleanup kill "$CGI_PID"
for _ in $(seq 50); do
	git ls-remote "http://127.0.0.1:$GPORT/cgi-bin/git/webpkg.git" >/dev/null 2>&1 && break
	sleep 0.1
done
URL="http://127.0.0.1:$GPORT/cgi-bin/git/webpkg.git"
check "git itself can read the HTTP repository" git ls-remote "$URL"

out=$(q build mc/el9 "$URL#r9-sig-mc-1" --json 2>&1) || { echo "# $out"; false; }
id=$(jget 'd["id"]' /dev/stdin <<<"$out")
check "the build from http:// completes" test "$(wait_build "$id")" = complete
check "its commit is the branch head" test "$(q build show "$id" --json | jget 'd["commit"]' /dev/stdin)" = "$(git -C "$T/src" rev-parse HEAD)"
before=$(build_count)
expect_fail 1 "no-such-branch" q build mc/el9 "$URL#no-such-branch"
check "a refused http import stores no build" test "$(build_count)" = "$before"
finish
