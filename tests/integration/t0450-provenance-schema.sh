#!/bin/bash
# t0450-provenance-schema: a build's provenance is a valid in-toto Statement
# v1 with a SLSA Provenance v1 predicate. A package with a lookaside source
# builds from git on the embedded worker; GET /api/v1/builds/ID/provenance
# validates with python3-jsonschema (format checking on, a strict RFC 3339
# date-time checker) against tests/schemas/; then what a schema cannot say:
# the subjects are exactly the build's artifacts with the sha256 of the
# bytes the hub serves, the times are the build's own, in order, the
# builder.id is an absolute URI under the hub's public URL, the git source
# carries the commit, the lookaside file its hash at a URL that serves it,
# every task log is a byproduct that resolves. Task buildroots of both
# shapes the hub stores (the old list of NEVRA strings; the list of
# {nevra, sha256} with the repos and their repomd.xml sha256) become
# resolved dependencies with package URLs, and the statement stays valid.
# A build with no output yet has no statement (409).
. "$(dirname "$0")/lib.sh"

# The Debian python and its python3-jsonschema (not one a virtualenv puts first).
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed (scripts/install-deps.sh)"
SCHEMAS=$QUARRY_SRC/tests/schemas
# jis EXPR FILE: the python expression EXPR on d, the JSON in FILE, is true.
jis() { [ "$(jget "bool($1)" "$2")" = True ]; }
CHECK=$QUARRY_SRC/tests/integration/check_provenance.py

# validate FILE WHAT: the statement in FILE is valid (the check prints why not).
validate() {
	local file=$1 what=$2
	if "$PY" "$CHECK" "$SCHEMAS" "$file" >"$file.check" 2>&1; then
		ok "$what validates against the in-toto Statement v1 and SLSA Provenance v1 schemas"
	else
		fail "$what validates against the in-toto Statement v1 and SLSA Provenance v1 schemas"
		diag "$(head -n 30 "$file.check")"
	fi
}

start_hub

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null

mkdir -p tarball/prov-src-1.0
echo "the payload of prov-src" >tarball/prov-src-1.0/payload.txt
tar -C tarball -czf prov-src-1.0.tar.gz prov-src-1.0
la_sha=$(sha256sum prov-src-1.0.tar.gz | cut -d' ' -f1)
q lookaside upload mc prov-src-1.0.tar.gz >la.txt
PKG_SOURCE0=prov-src-1.0.tar.gz PKG_METADATA="$(cat la.txt)
" make_git_pkg "$T/repo" prov-hello 1.0 1
commit=$(qgit "$T/repo" rev-parse HEAD)

before=$(date -u +%s)
q build mc/el9 "$T/repo#r9-sig-mc-1" --wait >build.txt 2>build.err && rc=0 || rc=$?
after=$(date -u +%s)
[ "$rc" = 0 ] && ok "the build completes" || { fail "the build completes (exit $rc)"; diag "$(cat build.txt build.err)"; }
id=$(sed -n 's/^build \([0-9]*\) .*/\1/p' build.txt | head -n 1)
q build show "${id:-0}" --json >b.json

code=$(req GET "$QUARRY_HUB/api/v1/builds/$id/provenance")
cp "$T/body" prov.json
[ "$code" = 200 ] && ok "GET provenance → 200" || { fail "GET provenance → 200 (got $code)"; diag "$(head -c 400 prov.json)"; }
validate prov.json "the provenance"

# ---- subjects: the artifacts, with the digest of the bytes served ----
want=$(jget 'sorted([a["name"], a["sha256"]] for a in d["artifacts"])' b.json)
got=$(jget 'sorted([s["name"], s["digest"]["sha256"]] for s in d["subject"])' prov.json)
[ "$got" = "$want" ] && [ "$(jget 'len(d["subject"])' prov.json)" = 2 ] && ok "the subjects are the build's two artifacts with their sha256" ||
	{ fail "the subjects are the build's two artifacts with their sha256"; diag "want $want"; diag "got  $got"; }
n=0
for i in 0 1; do
	loc=$(jget "d['subject'][$i]['downloadLocation']" prov.json 2>/dev/null) || loc=
	sha=$(jget "d['subject'][$i]['digest']['sha256']" prov.json 2>/dev/null) || sha=
	if [ "$(req GET "$loc")" = 200 ] && [ "$(sha256sum "$T/body" | cut -d' ' -f1)" = "$sha" ]; then
		n=$((n + 1))
	else
		diag "subject $i: $loc does not serve bytes of sha256 $sha"
	fi
done
[ "$n" = 2 ] && ok "each subject's downloadLocation serves bytes of its digest" || fail "each subject's downloadLocation serves bytes of its digest"

# ---- times: RFC 3339 UTC, the build's, in order ----
times=$(jget '" ".join(str(int(__import__("datetime").datetime.strptime(d["predicate"]["runDetails"]["metadata"][k], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=__import__("datetime").timezone.utc).timestamp())) for k in ("startedOn", "finishedOn"))' prov.json) || times=
started=${times% *} finished=${times#* }
[ -n "$times" ] && ok "startedOn and finishedOn parse as YYYY-MM-DDTHH:MM:SSZ ($(jget 'd["predicate"]["runDetails"]["metadata"]["startedOn"]' prov.json))" ||
	fail "startedOn and finishedOn parse as YYYY-MM-DDTHH:MM:SSZ"
[ "$(jget 'd["predicate"]["runDetails"]["metadata"]["startedOn"]' prov.json)" = "$(jget 'd["created"]' b.json)" ] &&
	[ "$(jget 'd["predicate"]["runDetails"]["metadata"]["finishedOn"]' prov.json)" = "$(jget 'd["finished"]' b.json)" ] &&
	ok "they are the build's created and finished times" || fail "they are the build's created and finished times ($times)"
[ -n "$times" ] && [ "$before" -le "$started" ] && [ "$started" -le "$finished" ] && [ "$finished" -le "$after" ] &&
	ok "submit ≤ startedOn ≤ finishedOn ≤ the end of --wait" || fail "submit ≤ startedOn ≤ finishedOn ≤ the end of --wait ($before $times $after)"

# ---- builder.id, buildType, invocationId ----
bid=$(jget 'd["predicate"]["runDetails"]["builder"]["id"]' prov.json)
"$PY" -c 'import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
sys.exit(0 if p.scheme in ("http", "https") and p.netloc and p.path.startswith("/workers") else 1)' "$bid" &&
	ok "builder.id is an absolute http(s) URI ($bid)" || fail "builder.id is an absolute http(s) URI ($bid)"
[ "$bid" = "$QUARRY_HUB/workers/embedded" ] && ok "  … naming the hub and the embedded worker that ran every task" || fail "  … naming the hub and the embedded worker ($bid)"
[ "$(jget 'd["predicate"]["buildDefinition"]["buildType"]' prov.json)" = https://quarry.invalid/buildtypes/rpm/v1 ] &&
	ok "buildType is the documented rpm/v1" || fail "buildType is the documented rpm/v1"
grep -q '^`https://quarry.invalid/buildtypes/rpm/v1`' "$QUARRY_SRC/docs/buildtypes/rpm-v1.md" && ok "  … whose page is docs/buildtypes/rpm-v1.md" || fail "  … whose page is docs/buildtypes/rpm-v1.md"
[ "$(jget 'd["predicate"]["runDetails"]["metadata"]["invocationId"]' prov.json)" = "$QUARRY_HUB/api/v1/builds/$id" ] &&
	ok "invocationId is the build's URL" || fail "invocationId is the build's URL"

# ---- externalParameters and the source's resolved dependencies ----
P=prov.json
deps() { jget "[r for r in d['predicate']['buildDefinition']['resolvedDependencies'] if $1]" $P; }
jis 'd["predicate"]["buildDefinition"]["externalParameters"] == {"sig": "mc", "project": "el9", "arches": ["x86_64"], "repository": "'"$T/repo"'", "ref": "refs/heads/r9-sig-mc-1"}' $P &&
	ok "externalParameters: sig, project, arches, repository, ref" || { fail "externalParameters: sig, project, arches, repository, ref"; diag "$(jget 'd["predicate"]["buildDefinition"]["externalParameters"]' $P)"; }
jis '[r for r in d["predicate"]["buildDefinition"]["resolvedDependencies"] if r.get("name") == "source"] == [{"name": "source", "uri": "git+file://'"$T/repo"'@refs/heads/r9-sig-mc-1", "digest": {"gitCommit": "'"$commit"'"}}]' $P &&
	ok "the git source resolves to its commit (gitCommit)" || { fail "the git source resolves to its commit (gitCommit)"; diag "$(deps 'r.get("name") == "source"')"; }
spec_sha=$(sha256sum "$T/repo/SPECS/prov-hello.spec" | cut -d' ' -f1)
jis '[r["digest"] for r in d["predicate"]["buildDefinition"]["resolvedDependencies"] if r.get("name") == "SPECS/prov-hello.spec" and r["uri"] == "git+file://'"$T/repo@$commit"'#SPECS/prov-hello.spec"] == [{"sha256": "'"$spec_sha"'"}]' $P &&
	ok "the spec at that commit, with its sha256" || { fail "the spec at that commit, with its sha256"; diag "$(deps 'r.get("name", "").startswith("SPECS")')"; }
la=$(deps 'r.get("name") == "SOURCES/prov-src-1.0.tar.gz"')
jis 'len(d) == 1 and d[0]["digest"] == {"sha256": "'"$la_sha"'"}' <(echo "$la") && ok "the lookaside file with its sha256" || { fail "the lookaside file with its sha256"; diag "$la"; }
[ "$(req GET "$(jget 'd[0]["uri"]' <(echo "$la"))")" = 200 ] && cmp -s "$T/body" prov-src-1.0.tar.gz &&
	ok "  … at a URI that serves it" || fail "  … at a URI that serves it ($la)"

# ---- byproducts: every task's log ----
ntasks=$(jget 'len(d["tasks"])' b.json)
n=0
for i in $(seq 0 $((ntasks - 1))); do
	uri=$(jget "d['predicate']['runDetails']['byproducts'][$i]['uri']" prov.json 2>/dev/null) || uri=
	[ -n "$uri" ] && [ "$(req GET "$uri")" = 200 ] && [ -s "$T/body" ] && n=$((n + 1))
done
[ "$ntasks" = 2 ] && [ "$n" = 2 ] && [ "$(jget 'len(d["predicate"]["runDetails"]["byproducts"])' prov.json)" = 2 ] &&
	ok "both task logs are byproducts whose URIs serve them" || fail "both task logs are byproducts whose URIs serve them ($n of $ntasks)"

# ---- task buildroots of both shapes ----
# The embedded worker's host backend reports `rpm -qa`, empty on this Debian
# machine, and only an installroot worker reports {nevra, sha256} and the
# repos (t0410 posts such a result, for a build without output). So the
# rows of this complete build are given both shapes a task row holds, as
# the hub stores them: the old text (one NEVRA a line) and JSON text of
# {nevra, sha256}, with the repos in their own column.
srpm_task=$(jget '[t["id"] for t in d["tasks"] if t["kind"] == "srpm"][0]' b.json)
rpm_task=$(jget '[t["id"] for t in d["tasks"] if t["kind"] == "rpm"][0]' b.json)
GCC=1111111111111111111111111111111111111111111111111111111111111111
CXX=2222222222222222222222222222222222222222222222222222222222222222
sqlite3 -cmd ".timeout 5000" "$DATA/quarry.db" \
	"UPDATE tasks SET buildroot = 'bash-5.1.8-6.el9.x86_64
gpg-pubkey-fd431d51-4ae0493b
' WHERE id = $srpm_task;
	 UPDATE tasks SET buildroot = '[{\"nevra\":\"bash-5.1.8-6.el9.x86_64\",\"sha256\":\"$GCC\"},{\"nevra\":\"gcc-12.2.0-14.el9.x86_64\",\"sha256\":\"$GCC\"},{\"nevra\":\"libstdc++-devel-1:12.2.0-14.el9.x86_64\",\"sha256\":\"$CXX\"}]' WHERE id = $rpm_task;"
# The repos: in their own column (build tags' migration 7), when there.
REPOMD=3333333333333333333333333333333333333333333333333333333333333333
has_repos=0
if sqlite3 -cmd ".timeout 5000" "$DATA/quarry.db" "PRAGMA table_info(tasks)" | cut -d'|' -f2 | grep -qx buildroot_repos; then
	has_repos=1
	sqlite3 -cmd ".timeout 5000" "$DATA/quarry.db" \
		"UPDATE tasks SET buildroot_repos = '[{\"name\":\"baseos\",\"url\":\"file:///srv/el/9/BaseOS/x86_64/\",\"repomd_sha256\":\"$REPOMD\"}]' WHERE id = $rpm_task;"
fi
req GET "$QUARRY_HUB/api/v1/builds/$id/provenance" >/dev/null
cp "$T/body" prov2.json
validate prov2.json "the provenance with buildroots"
P=prov2.json
pkg() { jget "[r for r in d['predicate']['buildDefinition']['resolvedDependencies'] if r.get('name') == '$1']" $P; }
jis '[r for r in d["predicate"]["buildDefinition"]["resolvedDependencies"] if r.get("name") == "gcc-12.2.0-14.el9.x86_64"] == [{"name": "gcc-12.2.0-14.el9.x86_64", "uri": "pkg:rpm/gcc@12.2.0-14.el9?arch=x86_64", "digest": {"sha256": "'$GCC'"}, "annotations": {"kind": "buildroot-package", "tasks": ['"$rpm_task"']}}]' $P &&
	ok "a {nevra, sha256} package: its purl and sha256" || { fail "a {nevra, sha256} package: its purl and sha256"; diag "$(pkg gcc-12.2.0-14.el9.x86_64)"; }
[ "$(jget 'd[0]["uri"]' <(pkg libstdc++-devel-1:12.2.0-14.el9.x86_64))" = "pkg:rpm/libstdc%2B%2B-devel@12.2.0-14.el9?arch=x86_64&epoch=1" ] &&
	ok "  … percent-encoded, the epoch a qualifier" || { fail "  … percent-encoded, the epoch a qualifier"; diag "$(pkg libstdc++-devel-1:12.2.0-14.el9.x86_64)"; }
jis '[(r["uri"], r.get("digest"), r["annotations"]["tasks"]) for r in d] == [("pkg:rpm/bash@5.1.8-6.el9?arch=x86_64", None, ['"$srpm_task"']), ("pkg:rpm/bash@5.1.8-6.el9?arch=x86_64", {"sha256": "'$GCC'"}, ['"$rpm_task"'])]' <(pkg bash-5.1.8-6.el9.x86_64) &&
	ok "an old-shape NEVRA: its purl without digest, beside the hashed one of the other task" ||
	{ fail "an old-shape NEVRA: its purl without digest, beside the hashed one of the other task"; diag "$(pkg bash-5.1.8-6.el9.x86_64)"; }
[ "$(jget 'd[0]["uri"]' <(pkg gpg-pubkey-fd431d51-4ae0493b))" = "pkg:rpm/gpg-pubkey@fd431d51-4ae0493b" ] &&
	ok "  … and one without an arch (gpg-pubkey)" || fail "  … and one without an arch (gpg-pubkey)"

if [ "$has_repos" = 1 ]; then
	jis '[(r["uri"], r["digest"]) for r in d["predicate"]["buildDefinition"]["resolvedDependencies"] if r.get("name") == "baseos"] == [("file:///srv/el/9/BaseOS/x86_64/repodata/repomd.xml", {"sha256": "'$REPOMD'"})]' $P &&
		ok "a buildroot repo: its repomd.xml and that file's sha256" || { fail "a buildroot repo: its repomd.xml and that file's sha256"; diag "$(pkg baseos)"; }
else
	echo "# tasks have no buildroot_repos column yet: the repos are checked by the unit test test_provenance"
fi

# ---- no output, no statement ----
# A source the SRPM step cannot pack (Source2 is not in the tree): the build
# fails before any output.
make_git_pkg "$T/nosrc" prov-nosrc 1.0 1
sed -i 's/^Source1: .*/&\nSource2: not-committed.txt/' "$T/nosrc/SPECS/prov-nosrc.spec"
qgit "$T/nosrc" commit -qam "a source that is not there"
q build mc/el9 "$T/nosrc#r9-sig-mc-1" --json >nb.json
nid=$(jget 'd["id"]' nb.json)
state=$(wait_build "$nid")
arts=$(q build show "$nid" --json | jget 'len(d["artifacts"])' /dev/stdin)
[ "$state" = failed ] && [ "$arts" = 0 ] && ok "a build that fails before its SRPM has no artifact" || fail "a build that fails before its SRPM has no artifact ($state, $arts)"
code=$(req GET "$QUARRY_HUB/api/v1/builds/$nid/provenance" -H "Authorization: Bearer $ADMIN_TOKEN") || true
[ "$code" = 409 ] && grep -q "needs at least one subject" "$T/body" && ok "  … and no statement: 409" ||
	{ fail "  … and no statement: 409 (got $code)"; diag "$(head -c 300 "$T/body")"; }

finish
