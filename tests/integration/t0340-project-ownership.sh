#!/bin/bash
# t0340-project-ownership: every project owns its published paths, metalink
# ids and build branch. Projects msg/el9 (variant 1) and msg/el9v2
# (variant 2) of one SIG share the dist tag .el9.msg (the SIG's on EL 9, by
# design) and nothing else:
# - msg/el9v2 cannot create `common` (msg/el9's path /pub/sig/9/msg/ARCH/
#   common/ and metalink id sig-msg-common-9) nor `common-testing` (where
#   the updates of common go); the refusal names the project and repo. A
#   second project on variant 1 is refused (the branch r9-sig-msg-1 is
#   msg/el9's). Across SIGs, sig-foo-bar-x-9 is one metalink id whether
#   it is foo's repo bar-x or foo-bar's repo x: the second is refused.
#   On another major the name is free.
# - No operation on msg/el9v2 changes a byte under msg/el9's paths (every
#   file's name, inode and SHA-256, and the metalink's hashes): creating a
#   project, uploading a package whose file name msg/el9 also publishes
#   (other bytes), building and tagging the NVR msg/el9 built too,
#   publishing (also --force, also everything at once), an update moved to
#   testing (which creates tools-testing), to release and revoked, and
#   asking for the release package (refused: it is built in msg/el9/common,
#   one per SIG and major). Creating a repo in msg/el9v2 rebuilds that
#   release package in msg/el9/common: only sig-msg-release changes there.
# - Likewise nothing on msg/el9 changes msg/el9v2's tree (create a repo,
#   upload, tag, publish --force, the release package).
# - A pair that exists from before the rule (written into the database
#   directly) is never published over the older one: the publish of the
#   newer repo is refused naming the older one.
. "$(dirname "$0")/lib.sh"

start_hub "[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create msg --short-name msg --title "Messaging" --purpose "tests" >/dev/null
q project create msg/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create msg/el9/common --arch x86_64 >/dev/null
q repo create msg/el9/extras --arch x86_64 --channel candidate >/dev/null
check "a second project of the SIG on EL 9, variant 2" \
	q project create msg/el9v2 --major 9 --variant 2 --arch x86_64
PUB=$DATA/pub/sig/9/msg/x86_64

# --- what is refused ---
expect_fail 1 "repo 'common' is taken on EL 9: project 'msg/el9' publishes /pub/sig/9/msg/ARCH/common/ \(metalink repo sig-msg-common-9\)" \
	q repo create msg/el9v2/common --arch x86_64
expect_fail 1 "repo 'common-testing' would clash with repo 'common' of project 'msg/el9'" \
	q repo create msg/el9v2/common-testing --arch x86_64 --channel testing
expect_fail 1 "project 'msg/el9' already builds from branch r9-sig-msg-1" \
	q project create msg/el9b --major 9 --variant 1 --arch x86_64
q sig create foo --short-name foo --title "Foo" --purpose "tests" >/dev/null
q sig create foo-bar --short-name foobar --title "Foo Bar" --purpose "tests" >/dev/null
q project create foo/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q project create foo-bar/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create foo/el9/bar-x --arch x86_64 >/dev/null
expect_fail 1 "sig-foo-bar-x-9 and sig-foo-bar-x-9 name the same metalink repo" \
	q repo create foo-bar/el9/x --arch x86_64
q project create msg/el8 --major 8 --variant 1 --arch x86_64 >/dev/null
check "on EL 8 the name common is free" q repo create msg/el8/common --arch x86_64
check "msg/el9 still has its common alone" test "$(q repo list msg/el9v2 --json | jget 'len(d["repos"])' /dev/stdin)" = 0

# tree PROJECT: every file and directory under the project's published
# paths (name, type, inode, size, SHA-256) and the metalink's hashes for
# each of its repos. Dot-files included: nothing may touch them either.
tree() {
	local p=$1 r
	for r in $(q repo list "msg/$p" --json | jget '" ".join(x["name"] for x in d["repos"])' /dev/stdin); do
		echo "== $r"
		if [ -d "$PUB/$r" ]; then
			(cd "$PUB/$r" && find . -printf '%p %y %i %s\n' | sort &&
				find . -type f -exec sha256sum {} + | sort -k2)
		fi
		curl -s "$QUARRY_HUB/metalink?repo=sig-msg-$r-9&arch=x86_64" | grep -o '<hash type="sha256">[0-9a-f]*' || true
	done
}
# same PROJECT BEFORE DESC: the project's tree is what BEFORE holds.
same() {
	tree "$1" >"after.$1"
	if cmp -s "$2" "after.$1"; then
		ok "$3: msg/$1 unchanged"
	else
		fail "$3: msg/$1 unchanged"
		diff "$2" "after.$1" >"diff.$1" || true
		diag "$(sed -n 1,20p "diff.$1")"
	fi
}
nevras() { q repo show "$1" --json | jget '" ".join(sorted(p["nevra"] for p in d["packages"]))' /dev/stdin; }

# --- content in msg/el9: an upload, a build of msg-x from git ---
q upload msg/el9/extras "$(make_rpm msg-up 1.0 1.el9.msg noarch)" >/dev/null
PKG_ARCH=noarch make_git_pkg "$T/ga" msg-x 1.0 1 r9-sig-msg-1
PKG_ARCH=noarch make_git_pkg "$T/gb" msg-x 1.0 1 r9-sig-msg-2
PKG_ARCH=noarch make_git_pkg "$T/gy" msg-y 1.0 1 r9-sig-msg-2
ba=$(q build msg/el9 "$T/ga#r9-sig-msg-1" --json | jget 'd["id"]' /dev/stdin)
check "msg-x builds in msg/el9" test "$(wait_build "$ba")" = complete
q tag "$ba" msg/el9/extras >/dev/null
check "msg/el9/extras holds both" test "$(nevras msg/el9/extras)" = "msg-up-1.0-1.el9.msg.noarch msg-x-1.0-1.el9.msg.noarch"

# --- a repo created in msg/el9v2: only sig-msg-release changes in msg/el9 ---
tree el9 >el9.before-repo
rel_before=$(nevras msg/el9/common)
check "msg/el9v2 creates tools" q repo create msg/el9v2/tools --arch x86_64 --channel candidate
check "msg/el9v2 creates rel (release)" q repo create msg/el9v2/rel --arch x86_64 --channel release
rel_after=$(nevras msg/el9/common)
check "the release package was rebuilt in msg/el9/common ($rel_before → $rel_after)" \
	bash -c "[ '$rel_before' != '$rel_after' ] && [[ '$rel_after' == sig-msg-release-9-* ]]"
check "it lists tools" bash -c "rpm -qlp --dump '$PUB/common/Packages/$rel_after.rpm' >/dev/null &&
	rpm2cpio '$PUB/common/Packages/$rel_after.rpm' | cpio -i --to-stdout --quiet '*sig-msg.repo' | grep -q '^\[sig-msg-tools\]'"
# A tree listing without its "== common" section (the release package's repo).
without_common() {
	python3 - "$1" <<'PY'
import sys
out, skip = [], False
for line in open(sys.argv[1]):
    if line.startswith("== "):
        skip = line.strip() == "== common"
    if not skip:
        out.append(line)
sys.stdout.write("".join(out))
PY
}
without_common el9.before-repo >el9.before-repo.x
tree el9 >el9.after-repo
without_common el9.after-repo >el9.after-repo.x
check "creating tools changed nothing of msg/el9 outside common" cmp -s el9.before-repo.x el9.after-repo.x

# --- operations on msg/el9v2; msg/el9 unchanged after each ---
tree el9 >el9.base
q project create msg/el9v3 --major 9 --variant 3 --arch x86_64 >/dev/null
same el9 el9.base "project msg/el9v3 created"

q upload msg/el9v2/tools "$(make_rpm msg-up 1.0 1.el9.msg noarch)" >/dev/null
check "the same file name with other bytes in both projects" test \
	"$(sha256sum <"$PUB/tools/Packages/msg-up-1.0-1.el9.msg.noarch.rpm")" != \
	"$(sha256sum <"$PUB/extras/Packages/msg-up-1.0-1.el9.msg.noarch.rpm")"
same el9 el9.base "upload into msg/el9v2/tools"

bb=$(q build msg/el9v2 "$T/gb#r9-sig-msg-2" --json | jget 'd["id"]' /dev/stdin)
check "the same NVR builds in msg/el9v2" test "$(wait_build "$bb")" = complete
q tag "$bb" msg/el9v2/tools >/dev/null
check "msg/el9v2/tools holds msg-x-1.0-1.el9.msg" bash -c "[[ '$(nevras msg/el9v2/tools)' == *msg-x-1.0-1.el9.msg.noarch* ]]"
same el9 el9.base "build and tag in msg/el9v2"

q publish msg/el9v2/tools >/dev/null
check "publish --force (the API's ?force=1)" test "$(api POST "sigs/msg/projects/el9v2/repos/tools/publish?force=1")" = 200
same el9 el9.base "publish (and --force) of msg/el9v2/tools"
q publish >/dev/null
same el9 el9.base "publish of every repo"

q policy set msg/el9v2 --checks "" --auto-testing false >/dev/null
by=$(q build msg/el9v2 "$T/gy#r9-sig-msg-2" --json | jget 'd["id"]' /dev/stdin)
check "msg-y builds in msg/el9v2" test "$(wait_build "$by")" = complete
u=$(q update create msg/el9v2 rel "$by" --json | jget 'd["id"]' /dev/stdin)
same el9 el9.base "update created in msg/el9v2"
check "promote to testing" q promote "$u" --to testing
check "its testing repo is msg/el9v2/rel-testing" in_repodata "$PUB/rel-testing" msg-y
same el9 el9.base "promote to testing in msg/el9v2"
check "promote to release" q promote "$u" --to release
check "msg/el9v2/rel publishes msg-y" in_repodata "$PUB/rel" msg-y
same el9 el9.base "promote to release in msg/el9v2"
check "revoke" q revoke "$u" --reason "test"
same el9 el9.base "revoke in msg/el9v2"

expect_fail 1 "sig-msg-release of EL 9 \(one per SIG and major\) is built in repo 'msg/el9/common'" \
	q release-package msg/el9v2
same el9 el9.base "release package asked for msg/el9v2"

# --- operations on msg/el9; msg/el9v2 unchanged ---
tree el9v2 >el9v2.base
check "msg/el9 creates more" q repo create msg/el9/more --arch x86_64 --channel candidate
same el9v2 el9v2.base "repo msg/el9/more created"
q upload msg/el9/more "$(make_rpm msg-up 1.0 1.el9.msg noarch)" >/dev/null
same el9v2 el9v2.base "upload into msg/el9/more"
# A new release: one NEVR builds once in a project.
PKG_ARCH=noarch make_git_pkg "$T/gz" msg-x 1.0 2 r9-sig-msg-1
bz=$(q build msg/el9 "$T/gz#r9-sig-msg-1" --json | jget 'd["id"]' /dev/stdin)
check "msg-x builds again in msg/el9" test "$(wait_build "$bz")" = complete
q tag "$bz" msg/el9/more >/dev/null
same el9v2 el9v2.base "build and tag in msg/el9"
check "publish --force of msg/el9/extras" test "$(api POST "sigs/msg/projects/el9/repos/extras/publish?force=1")" = 200
same el9v2 el9v2.base "publish --force of msg/el9/extras"
check "the release package is rebuilt for msg/el9" q release-package msg/el9
same el9v2 el9v2.base "release package of msg/el9"
check "msg/el9/extras is whole" python3 "$QUARRY_SRC/tests/integration/check_repo.py" "$PUB/extras"

# --- a clash from before the rule: the older repo keeps its path ---
tree el9 >el9.base
stop_hub
python3 - "$DATA" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1] + "/quarry.db")
pid = db.execute("SELECT p.id FROM projects p JOIN sigs g ON g.id = p.sig_id "
                 "WHERE g.name = 'msg' AND p.name = 'el9v2'").fetchone()[0]
db.execute("INSERT INTO repos (project_id, name, channel, arches, dirty, created) "
           "VALUES (?, 'extras', 'release', 'x86_64', 1, ?)", (pid, int(time.time())))
db.commit()
PY
launch_hub
expect_fail 1 "repo 'msg/el9v2/extras' is not published: repo 'extras' of project 'msg/el9' \(created first\)" \
	q publish msg/el9v2/extras
same el9 el9.base "the hub restarted with a dirty clashing repo, and its publish asked"

finish
