#!/bin/bash
# t0552-search: `quarry search NAME` (a name, or a pattern like 'python3-*')
# says which SIG, project, repo and arch hold which versions; the public
# route GET /packages?name=… behind it, bounded (limit, "truncated"), its
# parameters refused by name when malformed or unknown.
. "$(dirname "$0")/lib.sh"

# No release package: the test counts what the repos hold.
start_hub "[release_pkg]
repo ="
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q sig create ot --short-name ot --title "Other" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q project create mc/el9b --major 9 --variant 2 --arch x86_64 >/dev/null
q project create ot/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
for r in mc/el9/common mc/el9b/extras ot/el9/common; do
	q repo create "$r" --arch x86_64 --channel candidate >/dev/null
done
foo10=$(make_rpm python3-foo 1.0 1.el9.mc noarch)
foo11=$(make_rpm python3-foo 1.1 1.el9.mc noarch)
bar=$(make_rpm python3-bar 2.0 1.el9.mc x86_64)
baz=$(make_rpm perl-baz 3.0 1.el9.mc x86_64)
fooot=$(make_rpm python3-foo 0.9 2.el9.ot noarch)
check "uploads to mc/el9/common" q upload mc/el9/common "$foo10" "$foo11" "$bar" "$baz"
check "an upload to mc/el9b/extras" q upload mc/el9b/extras "$foo10"
check "an upload to ot/el9/common" q upload ot/el9/common "$fooot"

# rows ARGS…: "SIG/PROJECT/REPO ARCH VERSIONS" lines of `search --json`.
rows() { q search "$@" --json | jget '"\n".join("%s %s/%s/%s %s %s" % (p["name"], p["sig"], p["project"], p["repo"], p["arch"], ",".join(p["versions"])) for p in d["packages"])' /dev/stdin; }

rows python3-foo >foo.txt
check "python3-foo: three repos" test "$(wc -l <foo.txt)" = 3
check "… mc/el9/common holds 1.1 and 1.0 (newest added first)" grep -qx "python3-foo mc/el9/common noarch 1.1-1.el9.mc,1.0-1.el9.mc" foo.txt
check "… mc/el9b/extras holds 1.0" grep -qx "python3-foo mc/el9b/extras noarch 1.0-1.el9.mc" foo.txt
check "… ot/el9/common holds 0.9" grep -qx "python3-foo ot/el9/common noarch 0.9-2.el9.ot" foo.txt
lacks "… and not python3-bar" foo.txt "python3-bar"
rows 'python3-*' >glob.txt
check "python3-*: foo's three rows and bar's" test "$(wc -l <glob.txt)" = 4
check "… bar on x86_64" grep -qx "python3-bar mc/el9/common x86_64 2.0-1.el9.mc" glob.txt
lacks "… not perl-baz" glob.txt "perl-baz"
check "python3-?ar: bar alone" test "$(rows 'python3-?ar')" = "python3-bar mc/el9/common x86_64 2.0-1.el9.mc"
check "an exact name is not a prefix: python3-fo finds nothing" test "$(rows python3-fo)" = ""
check "the table" bash -c "\"\$QUARRY_BIN\" search python3-foo | grep -Eq '^python3-foo +mc +el9 +common +candidate +noarch +1.1-1.el9.mc,1.0-1.el9.mc'"
expect_fail 1 "no repository holds a package named 'nothing-here'" q search nothing-here

q search 'python3-*' --limit 2 --json >lim.json
check "--limit 2: two versions in all" test "$(jget 'sum(len(p["versions"]) for p in d["packages"])' lim.json)" = 2
check "… and truncated says more matched" test "$(jget 'd["truncated"]' lim.json)" = True
check "without a limit, not truncated" test "$(q search 'python3-*' --json | jget 'd["truncated"]' /dev/stdin)" = False
q search 'python3-*' --limit 2 >lim.txt 2>lim.err
check "the table says what was left out" grep -q "only the first 2 versions are shown" lim.err
expect_fail 2 "limit '0' is not a number" q search foo --limit 0
expect_fail 2 "missing argument" q search

pub() { req GET "$QUARRY_HUB/api/v1/packages?$1"; }
check "public: no token needed" test "$(pub name=perl-baz)" = 200
check "… perl-baz in mc/el9/common" test "$(jget '[(p["sig"], p["project"], p["repo"], p["channel"], p["arch"], p["versions"]) for p in d["packages"]]')" = '[["mc", "el9", "common", "candidate", "x86_64", ["3.0-1.el9.mc"]]]'
for bad in "" "name=" "name=a%20b" "name=python3-%5Bfb%5Doo" "name=foo&limit=0" "name=foo&limit=2001" "name=foo&colour=red"; do
	case $bad in *limit=*) key=limit ;; *colour*) key=colour ;; *) key=name ;; esac
	check "GET /packages?$bad → 400" test "$(pub "$bad")" = 400
	check "… naming '$key'" grep -q "'$key'" "$T/body"
done

finish
