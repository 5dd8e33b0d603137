#!/bin/bash
# t0100-build-git: the happy path of a build from git. A tarball goes to the
# SIG's lookaside; a git repository in the rpms layout on branch
# r9-sig-mc-1 uses it as Source0 (.NAME.metadata with its SHA-256, and in a
# second package its SHA-1); `quarry build --wait` completes on the hub's
# embedded worker; the artifacts are the SRPM and the .el9.mc RPMs; `quarry
# tag` puts them in a repo that dnf installs from /pub with repo_gpgcheck=1;
# the provenance is an in-toto Statement with a SLSA v1 predicate naming the
# commit and the RPMs' hashes; an import tag builds too; build list, show
# and log work.
. "$(dirname "$0")/lib.sh"

start_hub

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null

# ---- lookaside ----
mkdir -p tarball/mc-src-1.0
echo "the payload of mc-src" >tarball/mc-src-1.0/payload.txt
tar -C tarball -czf mc-src-1.0.tar.gz mc-src-1.0
sha256=$(sha256sum mc-src-1.0.tar.gz | cut -d' ' -f1)
sha1=$(sha1sum mc-src-1.0.tar.gz | cut -d' ' -f1)
if q lookaside upload mc mc-src-1.0.tar.gz >la.txt 2>la.err; then ok "lookaside upload"; else fail "lookaside upload"; diag "$(cat la.txt la.err)"; fi
[ "$(cat la.txt)" = "$sha256 SOURCES/mc-src-1.0.tar.gz" ] && ok "lookaside upload prints the .metadata line" ||
	{ fail "lookaside upload prints the .metadata line"; diag "$(cat la.txt)"; }
q lookaside upload mc mc-src-1.0.tar.gz --json >la.json
[ "$(jget 'd[0]["sha1"]' la.json)" = "$sha1" ] && ok "lookaside --json has the SHA-1" || { fail "lookaside --json has the SHA-1"; diag "$(cat la.json)"; }
code=$(req GET "$QUARRY_HUB/lookaside/$sha256")
[ "$code" = 200 ] && cmp -s "$T/body" mc-src-1.0.tar.gz && ok "GET /lookaside/SHA256 serves the blob" || fail "GET /lookaside/SHA256 serves the blob (got $code)"
code=$(req GET "$QUARRY_HUB/lookaside/$sha1")
[ "$code" = 200 ] && cmp -s "$T/body" mc-src-1.0.tar.gz && ok "GET /lookaside/SHA1 serves the blob" || fail "GET /lookaside/SHA1 serves the blob (got $code)"
expect_fail 1 "cannot read '.*nope.tar.gz'" q lookaside upload mc nope.tar.gz
expect_fail 2 "sig name" q lookaside upload Bad mc-src-1.0.tar.gz

# ---- a build from git (SHA-256 in .metadata) ----
PKG_SOURCE0=mc-src-1.0.tar.gz PKG_METADATA="$(cat la.txt)
" make_git_pkg "$T/repo" mc-hello 1.0 1
commit=$(qgit "$T/repo" rev-parse HEAD)
before=$(build_count)
q build mc/el9 "$T/repo#r9-sig-mc-1" --wait >build1.txt 2>build1.err && rc=0 || rc=$?
if [ "$rc" = 0 ]; then ok "build --wait completes (exit 0)"; else fail "build --wait completes (exit $rc)"; diag "$(cat build1.txt build1.err)"; fi
id=$(sed -n 's/^build \([0-9]*\) .*/\1/p' build1.txt | head -n 1)
[ -n "$id" ] && ok "build prints its id ($id)" || { fail "build prints its id"; id=1; }
grep -q "^task [0-9]* srpm src: " build1.txt && ok "--wait reports the srpm task" || { fail "--wait reports the srpm task"; diag "$(cat build1.txt)"; }
grep -q "^task [0-9]* rpm x86_64: closed" build1.txt && ok "--wait reports the rpm task closed" || fail "--wait reports the rpm task closed"
grep -q "): complete$" build1.txt && ok "--wait ends with complete" || fail "--wait ends with complete"
[ "$(build_count)" = $((before + 1)) ] && ok "one build stored" || fail "one build stored"

q build show "$id" --json >b1.json
[ "$(jget 'd["state"]' b1.json)" = complete ] && ok "build $id is complete" || fail "build $id is complete"
[ "$(jget 'd["commit"]' b1.json)" = "$commit" ] && ok "build records the commit" || fail "build records the commit"
[ "$(jget 'd["nevr"]' b1.json)" = mc-hello-1.0-1.el9.mc ] && ok "nevr mc-hello-1.0-1.el9.mc" || fail "nevr mc-hello-1.0-1.el9.mc ($(jget 'd.get("nevr")' b1.json))"
arts=$(jget '" ".join(sorted(a["name"] for a in d["artifacts"]))' b1.json)
[ "$arts" = "mc-hello-1.0-1.el9.mc.src.rpm mc-hello-1.0-1.el9.mc.x86_64.rpm" ] && ok "artifacts: the SRPM and the x86_64 RPM" ||
	{ fail "artifacts: the SRPM and the x86_64 RPM"; diag "$arts"; }
rpmsha=$(jget '[a["sha256"] for a in d["artifacts"] if a["name"].endswith(".x86_64.rpm")][0]' b1.json)
code=$(req GET "$QUARRY_HUB/api/v1/builds/$id/artifacts/mc-hello-1.0-1.el9.mc.x86_64.rpm")
[ "$code" = 200 ] && [ "$(sha256sum "$T/body" | cut -d' ' -f1)" = "$rpmsha" ] && ok "the RPM downloads with its sha256" || fail "the RPM downloads with its sha256 (got $code)"
cp "$T/body" downloaded.rpm
rpm -qp --qf '%{SOURCERPM}\n' downloaded.rpm | grep -qx mc-hello-1.0-1.el9.mc.src.rpm && ok "the RPM's source RPM" || fail "the RPM's source RPM"
rpm -qlp downloaded.rpm | grep -qx /usr/share/mc-hello/mc-src-1.0.tar.gz && ok "the RPM holds the lookaside file" || fail "the RPM holds the lookaside file"

# show, list, log in text.
q build show "$id" >show.txt
grep -q "^state: *complete" show.txt && grep -q "mc-hello-1.0-1.el9.mc.x86_64.rpm" show.txt && grep -q "^tasks:" show.txt &&
	ok "build show (text)" || { fail "build show (text)"; diag "$(cat show.txt)"; }
q build list >list.txt
grep -Eq "^$id +mc +el9 +complete +mc-hello-1.0-1.el9.mc" list.txt && ok "build list (text)" || { fail "build list (text)"; diag "$(cat list.txt)"; }
[ "$(q build list --sig mc --state complete --json | jget 'len(d["builds"])' /dev/stdin)" -ge 1 ] && ok "build list --sig --state" || fail "build list --sig --state"
[ "$(q build list --state failed --json | jget 'len(d["builds"])' /dev/stdin)" = 0 ] && ok "build list --state failed is empty" || fail "build list --state failed is empty"
[ "$(q build list --limit 1 --json | jget 'len(d["builds"])' /dev/stdin)" = 1 ] && ok "build list --limit 1" || fail "build list --limit 1"
expect_fail 2 "state 'done' is unknown" q build list --state done
q build log "$id" >log.txt
grep -q "==> task .* srpm src (closed)" log.txt && grep -q "==> task .* rpm x86_64 (closed)" log.txt && ok "build log prints every task's log" ||
	{ fail "build log prints every task's log"; diag "$(head -n 5 log.txt)"; }
grep -qi "rpmbuild\|Wrote:\|Executing" log.txt && ok "  … with rpmbuild's output" || { fail "  … with rpmbuild's output"; diag "$(head -n 10 log.txt)"; }
rpmtask=$(jget '[t["id"] for t in d["tasks"] if t["kind"] == "rpm"][0]' b1.json)
q build log "$id" "$rpmtask" >log1.txt
[ -s log1.txt ] && grep -q "mc-hello-1.0-1.el9.mc.x86_64.rpm" log1.txt && ok "build log ID TASK" || { fail "build log ID TASK"; diag "$(tail -n 5 log1.txt)"; }
timeout 20 "$QUARRY_BIN" build log "$id" "$rpmtask" --follow >log2.txt && cmp -s log1.txt log2.txt &&
	ok "build log --follow of a closed task ends" || fail "build log --follow of a closed task ends"
expect_fail 1 "not found|not part" q build log "$id" 99999
expect_fail 2 "build id" q build show abc
expect_fail 1 "not found" q build show 99999

# ---- provenance ----
q build provenance "$id" >prov.json
[ "$(jget 'd["_type"]' prov.json)" = https://in-toto.io/Statement/v1 ] && ok "provenance _type in-toto v1" || { fail "provenance _type in-toto v1"; diag "$(head -c 600 prov.json)"; }
[ "$(jget 'd["predicateType"]' prov.json)" = https://slsa.dev/provenance/v1 ] && ok "predicateType SLSA v1" || fail "predicateType SLSA v1"
grep -q "$commit" prov.json && ok "provenance names the commit" || fail "provenance names the commit"
[ "$(jget "[s['name'] for s in d['subject'] if s['digest'].get('sha256') == '$rpmsha']" prov.json)" = '["mc-hello-1.0-1.el9.mc.x86_64.rpm"]' ] &&
	ok "the RPM and its sha256 are a subject" || { fail "the RPM and its sha256 are a subject"; diag "$(jget 'd["subject"]' prov.json)"; }
grep -q "$sha256" prov.json && ok "provenance names the lookaside file's hash" || fail "provenance names the lookaside file's hash"

# ---- tag into common; dnf installs it ----
q tag "$id" mc/el9/common >tag.txt 2>tag.err || { fail "tag"; diag "$(cat tag.txt tag.err)"; }
grep -q "^accepted mc-hello-1.0-1.el9.mc.x86_64" tag.txt && ok "tag accepts the x86_64 RPM" || { fail "tag accepts the x86_64 RPM"; diag "$(cat tag.txt tag.err)"; }
grep -q "src.rpm\|\.src" tag.txt && fail "tag does not add the SRPM" || ok "tag does not add the SRPM"
grep -q "x86_64 .*changed" tag.txt && ok "tag publishes x86_64" || fail "tag publishes x86_64"
q sig key mc >RPM-GPG-KEY-quarry-mc
cat >my.repo <<REPO
[quarry-mc-common]
name=Quarry test mc common
baseurl=$QUARRY_HUB/pub/sig/9/mc/x86_64/common/
enabled=1
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/RPM-GPG-KEY-quarry-mc
metadata_expire=0
REPO
if dnf_install my.repo mc-hello >dnf1.log 2>&1; then ok "dnf installs mc-hello built from git"; else fail "dnf installs mc-hello built from git"; diag "$(tail -n 20 dnf1.log)"; fi
[ -f "$DNF_ROOT/usr/share/mc-hello/mc-src-1.0.tar.gz" ] && cmp -s "$DNF_ROOT/usr/share/mc-hello/mc-src-1.0.tar.gz" mc-src-1.0.tar.gz &&
	ok "  … with the lookaside file in it" || fail "  … with the lookaside file in it"
rpm --root "$DNF_ROOT" -q mc-hello | grep -qx mc-hello-1.0-1.el9.mc.x86_64 && ok "  … as mc-hello-1.0-1.el9.mc.x86_64" || fail "  … as mc-hello-1.0-1.el9.mc.x86_64"

# ---- SHA-1 in .metadata, noarch, and an import tag ----
PKG_ARCH=noarch PKG_SOURCE0=mc-src-1.0.tar.gz PKG_METADATA="$sha1 SOURCES/mc-src-1.0.tar.gz
" make_git_pkg "$T/repo2" mc-data 2.0 3
qgit "$T/repo2" tag -a -m "import" imports/r9-sig-mc-1/mc-data-2.0-3.el9.mc
if q build mc/el9 "$T/repo2#imports/r9-sig-mc-1/mc-data-2.0-3.el9.mc" --wait >build2.txt 2>build2.err; then
	ok "an annotated import tag builds (SHA-1 lookaside line, noarch)"
else
	fail "an annotated import tag builds (SHA-1 lookaside line, noarch)"
	diag "$(cat build2.txt build2.err)"
fi
id2=$(sed -n 's/^build \([0-9]*\) .*/\1/p' build2.txt | head -n 1)
q build show "${id2:-0}" --json >b2.json || true
arts=$(jget '" ".join(sorted(a["name"] for a in d.get("artifacts", [])))' b2.json 2>/dev/null || true)
[ "$arts" = "mc-data-2.0-3.el9.mc.noarch.rpm mc-data-2.0-3.el9.mc.src.rpm" ] && ok "noarch build: one noarch RPM and the SRPM" ||
	{ fail "noarch build: one noarch RPM and the SRPM"; diag "$arts"; }
[ "$(jget '[t["arch"] for t in d.get("tasks", []) if t["kind"] == "rpm"]' b2.json 2>/dev/null)" = '["noarch"]' ] && ok "  … built by one noarch task" || fail "  … built by one noarch task"
# A relative path is sent as an absolute one (a scratch build: mc-data-2.0-3
# has a build already, and a NEVR builds once).
(cd "$T" && q build mc/el9 "repo2#r9-sig-mc-1" --scratch --json >b3.json 2>b3.err) && ok "a relative directory builds" || { fail "a relative directory builds"; diag "$(cat "$T/b3.err")"; }
[ "$(jget 'd["source"]' b3.json 2>/dev/null)" = "$T/repo2#r9-sig-mc-1" ] && ok "  … sent as an absolute path" || fail "  … sent as an absolute path ($(jget 'd.get("source")' b3.json 2>/dev/null))"
id3=$(jget 'd["id"]' b3.json 2>/dev/null || echo 0)
[ "$(wait_build "$id3")" = complete ] && ok "  … and completes" || fail "  … and completes"
# Resubmit builds the same source again (a scratch build's; a complete
# build's NEVR is taken).
expect_fail 1 "build already exists: mc-data-2.0-3.el9.mc is build ${id2:-0}" q build resubmit "${id2:-0}"
q build resubmit "$id3" --wait >re.txt 2>re.err && ok "build resubmit --wait" || { fail "build resubmit --wait"; diag "$(cat re.txt re.err)"; }
grep -q "): complete$" re.txt && ok "  … completes" || fail "  … completes"
# The tagged noarch package joins the repo.
q tag "$id2" mc/el9/common >tag2.txt 2>&1 && grep -q "^accepted mc-data-2.0-3.el9.mc.noarch" tag2.txt && ok "tag a noarch build" || { fail "tag a noarch build"; diag "$(cat tag2.txt)"; }
q workers >workers.txt
grep -Eq "^embedded +x86_64,noarch +2 " workers.txt && ok "workers lists the embedded worker" || { fail "workers lists the embedded worker"; diag "$(cat workers.txt)"; }

# An SRPM (Release: 1%{?dist}, made without a dist) builds too.
make_git_pkg "$T/repo3" mc-fromsrpm 1.0 1
rpmbuild -bs --quiet --define "_topdir $T/rpmbuild" --define "_sourcedir $T/repo3/SOURCES" \
	--define "_srcrpmdir $T" --define "dist %{nil}" "$T/repo3/SPECS/mc-fromsrpm.spec" >srpm.log 2>&1 || diag "$(cat srpm.log)"
q build mc/el9 "$T/mc-fromsrpm-1.0-1.src.rpm" --wait >b4.txt 2>b4.err && ok "a build from an SRPM completes" || { fail "a build from an SRPM completes"; diag "$(cat b4.txt b4.err)"; }
grep -q "mc-fromsrpm-1.0-1.el9.mc.x86_64.rpm" b4.txt && ok "  … with its .el9.mc x86_64 RPM" || { fail "  … with its .el9.mc x86_64 RPM"; diag "$(cat b4.txt)"; }
expect_fail 1 "cannot read '.*missing.src.rpm'" q build mc/el9 missing.src.rpm
expect_fail 2 "not GIT_URL#REF" q build mc/el9 "$T/repo3"

finish
