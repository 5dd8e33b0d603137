#!/bin/bash
# t0410-build-tags: a project's build tags (what its buildroots are made
# of) through the CLI and the API: set, show, replace, and the refusals
# (a URL scheme dnf must not get, a repo the project does not have, the
# %dist macro, a member who is not a lead). The claim answer carries the
# tag with the project's own repos as /pub paths; a host-backend worker
# never gets a tagged project's task. A result's buildroot (the new
# {nevra, sha256} list and the old list of strings) and its repos are
# recorded per task and shown by `build show`. wait-repo returns 0 once a
# tagged build is published and times out, saying what is missing, before.
. "$(dirname "$0")/lib.sh"

WORKER_PIDS=()
test_cleanup() {
	local p
	for p in "${WORKER_PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
}

start_hub "[build]
embedded_worker = false
lease = 60s"

q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/cand --arch x86_64 --channel candidate >/dev/null
LEAD=$(new_user lead user)
MEMBER=$(new_user member user)
q sig member add mc lead --role lead >/dev/null
q sig member add mc member --role member >/dev/null

# ---- no tag yet ----
q project buildroot show mc/el9 >show0.txt
check "a project without tags says so" grep -q "no build tag" show0.txt
expect_status 200 GET sigs/mc/projects/el9/buildroot
check "the API shows {\"tags\":[]}" test "$(jget 'd' "$T/body")" = '{"tags": []}'

# ---- a build of the untagged project, by a real host-backend worker ----
WREAL=$(q token create --worker wreal)
mkdir -p "$T/work-wreal"
"$QUARRY_BIN" worker --hub "$QUARRY_HUB" --token "$WREAL" --name wreal --arch x86_64,noarch \
	--slots 1 --workdir "$T/work-wreal" >>"$T/wreal.log" 2>&1 &
WORKER_PIDS+=($!)
PKG_ARCH=noarch make_git_pkg "$T/g1" bt-one 1.0 1
B1=$(q build mc/el9 "$T/g1#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
check "an untagged project's build completes on a host worker" test "$(wait_build "$B1")" = complete
test_cleanup
WORKER_PIDS=()

# ---- wait-repo: times out before the build is tagged, returns 0 after ----
expect_fail 1 "does not hold build $B1 after 1 s: x86_64: 1 of 1 RPMs not in the repo \(bt-one-1.0-1.el9.mc.noarch.rpm\)" \
	q wait-repo mc/el9/cand --build "$B1" --timeout 1
q tag "$B1" mc/el9/cand >/dev/null
# --timeout 0: one look. `quarry tag` publishes before it answers.
check "wait-repo returns 0 at once after the tag (published synchronously)" q wait-repo mc/el9/cand --build "$B1" --timeout 0
check "the published metadata of the repo lists the package" in_repodata "$DATA/pub/sig/9/mc/x86_64/cand" bt-one
q wait-repo mc/el9/cand --build "$B1" --json >ready.json
check "has-build names the repomd.xml of the publish" test "$(jget 'len(d["arches"][0]["repomd_sha256"])' ready.json)" = 64
expect_fail 1 "has no RPM for|publishes not this one" q wait-repo mc/el9/cand --build "$B1" --arch aarch64 --timeout 1

# ---- set, show, replace through the CLI ----
cat >tag.json <<'EOF'
{"tags":[{"arch":"*","releasever":"9",
  "repos":[{"name":"baseos","url":"file:///srv/el/$releasever/BaseOS/$basearch/"},
           {"name":"candidate","repo":"cand"}],
  "packages":["bash","coreutils","rpm-build"],
  "macros":{"vendor":"My SIG"}}]}
EOF
QUARRY_TOKEN=$LEAD q project buildroot set mc/el9 --file tag.json >set1.txt
q project buildroot show mc/el9 >show1.txt
check "show lists the external repo" grep -q 'baseos *file:///srv/el/\$releasever/BaseOS/\$basearch/' show1.txt
check "show lists the own repo" grep -q 'candidate *@cand' show1.txt
check "show lists the packages" grep -q '^packages: bash coreutils rpm-build$' show1.txt
check "show lists the macros" grep -q '%vendor My SIG' show1.txt
q project buildroot show mc/el9 --json >show1.json
check "--json shows the contract's shape" test "$(jget 'd["tags"][0]["repos"][1]' show1.json)" = '{"name": "candidate", "repo": "cand"}'
QUARRY_TOKEN=$LEAD q project buildroot set mc/el9 --arch x86_64 --releasever 9.4 \
	--repo 'appstream=https://mirror.example/el/$releasever/AppStream/$basearch/' \
	--repo own=@cand --packages "bash make gcc" --macro 'packager=SIG lead' --macro optflags=-O2 >/dev/null
q project buildroot show mc/el9 --json >show2.json
check "set --arch adds a tag and keeps the '*' one" test "$(jget '[t["arch"] for t in d["tags"]]' show2.json)" = '["*", "x86_64"]'
check "the x86_64 tag holds what the options said" test "$(jget 'd["tags"][1]["releasever"] + " " + " ".join(d["tags"][1]["packages"]) + " " + d["tags"][1]["macros"]["packager"] + " " + d["tags"][1]["repos"][1]["repo"]' show2.json)" = "9.4 bash make gcc SIG lead cand"
QUARRY_TOKEN=$LEAD q project buildroot set mc/el9 --arch x86_64 --packages "bash" >/dev/null
q project buildroot show mc/el9 --json >show3.json
check "set replaces the arch's tag" test "$(jget 'd["tags"][1]["packages"] + [len(d["tags"][1]["repos"])]' show3.json)" = '["bash", 0]'
q project buildroot unset mc/el9 --arch x86_64 >/dev/null
check "unset removes one arch's tag" test "$(q project buildroot show mc/el9 --json | jget '[t["arch"] for t in d["tags"]]' /dev/stdin)" = '["*"]'
check "the change is audited" test "$(q audit --json --limit 500 | jget '[a["action"] for a in d["entries"]].count("project.buildroot")' /dev/stdin)" -ge 3

# ---- replace through the API ----
put() { api PUT sigs/mc/projects/el9/buildroot -H 'Content-Type: application/json' -d "$1"; }
st=$(put '{"tags":[{"arch":"x86_64","releasever":"9","packages":["bash"]}]}')
check "PUT replaces every tag (200)" test "$st" = 200
expect_status 200 GET sigs/mc/projects/el9/buildroot
check "GET shows only the new tag, with the defaults filled" test "$(jget 'd' "$T/body")" = '{"tags": [{"arch": "x86_64", "releasever": "9", "repos": [], "packages": ["bash"], "macros": {}}]}'
QUARRY_TOKEN=$LEAD q project buildroot set mc/el9 --file tag.json >/dev/null

# ---- refusals ----
st=$(put '{"tags":[{"repos":[{"name":"x","url":"ftp://example/el/"}]}]}')
check "an ftp:// URL is refused (400)" test "$st" = 400
check "… naming the field and the schemes" grep -q 'tags\[0\].repos\[0\].url: .ftp://example/el/. must start with http://, https:// or file://' "$T/body"
st=$(put '{"tags":[{"repos":[{"name":"x","repo":"nope"}]}]}')
check "an unknown own repo is refused (400)" test "$st" = 400
check "… naming it" grep -q "tags\[0\].repos\[0\].repo: 'nope' is not a repo of this project" "$T/body"
st=$(put '{"tags":[{"macros":{"dist":".el9.evil"}}]}')
check "the dist macro is refused (400)" test "$st" = 400
check "… saying why" grep -q "tags\[0\].macros.dist: %dist is always the project's dist tag" "$T/body"
st=$(put '{"tags":[{"packages":["--installroot=/"]}]}')
check "a package name that dnf would read as an option is refused (400)" test "$st" = 400
st=$(put '{"tags":[{"macros":{"vendor":"a\nb"}}]}')
check "a macro value with a newline is refused (400)" test "$st" = 400
st=$(put '{"tags":[{"repos":[{"name":"x","url":"https://e/$arch/"}]}]}')
check "a variable the worker does not replace is refused (400)" test "$st" = 400
st=$(put '{"tags":[{"arch":"aarch64"}]}')
check "an arch the project does not build is refused (400)" test "$st" = 400
expect_fail 1 "may not set this SIG's build tags: only leads of sig 'mc'.*you are a member, not a lead" \
	env QUARRY_TOKEN="$MEMBER" "$QUARRY_BIN" project buildroot set mc/el9 --packages bash
check "the refusals changed nothing" test "$(q project buildroot show mc/el9 --json | jget 'd["tags"][0]["packages"]' /dev/stdin)" = '["bash", "coreutils", "rpm-build"]'

# ---- the claim answer, and the backend filter ----
W1=$(q token create --worker w1)
PKG_ARCH=noarch make_git_pkg "$T/g2" bt-two 1.0 1
B2=$(q build mc/el9 "$T/g2#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
claim() { QUARRY_TOKEN=$W1 api POST worker/claim -H 'Content-Type: application/json' -d "{\"name\":\"w1\",\"arches\":[\"x86_64\",\"noarch\"],\"slots\":1$1}"; }
st=$(claim '')
check "a worker without a backend (host) gets no task of a tagged project (204)" test "$st" = 204
st=$(claim ',"backend":"host"')
check "a host-backend worker gets no task of a tagged project (204)" test "$st" = 204
st=$(claim ',"backend":"chroot"')
check "an unknown backend is refused (400)" test "$st" = 400
st=$(claim ',"backend":"installroot"')
check "an installroot worker gets the task (200)" test "$st" = 200
cp "$T/body" claim.json
check "the claim answers the build's SRPM task" test "$(jget 'd["task"]["kind"] + " " + str(d["task"]["build"])' claim.json)" = "srpm $B2"
check "the buildroot's own repo is a /pub path" test "$(jget 'd["task"]["buildroot"]["repos"][1]' claim.json)" = '{"name": "sig-mc-cand", "pub": "sig/9/mc/$basearch/cand/"}'
check "the external repo keeps its URL and variables" test "$(jget 'd["task"]["buildroot"]["repos"][0]["url"]' claim.json)" = 'file:///srv/el/$releasever/BaseOS/$basearch/'
check "releasever, packages and macros are the tag's" test "$(jget 'd["task"]["buildroot"]["releasever"] + " " + " ".join(d["task"]["buildroot"]["packages"]) + " " + d["task"]["buildroot"]["macros"]["vendor"]' claim.json)" = "9 bash coreutils rpm-build My SIG"
TID=$(jget 'd["task"]["id"]' claim.json)

# ---- the result's buildroot is recorded and shown ----
SHA_A=$(printf a | sha256sum | cut -d' ' -f1)
SHA_R=$(printf r | sha256sum | cut -d' ' -f1)
st=$(QUARRY_TOKEN=$W1 api POST "worker/tasks/$TID/result" -H 'Content-Type: application/json' \
	-d "{\"attempt\":1,\"state\":\"failed\",\"message\":\"test\",\"backend\":\"installroot\",\"buildroot\":[{\"nevra\":\"gcc-12.2.0-14.el9.x86_64\",\"sha256\":\"$SHA_A\"},{\"nevra\":\"make-4.3-8.el9.x86_64\",\"sha256\":\"$SHA_A\"}],\"buildroot_repos\":[{\"name\":\"baseos\",\"url\":\"file:///srv/el/9/BaseOS/x86_64/\",\"repomd_sha256\":\"$SHA_R\"}]}")
check "the result with the new buildroot shape is accepted" test "$st" = 200
q build show "$B2" --json >b2.json
check "GET /builds/ID shows the task's buildroot" test "$(jget '[t["buildroot"] for t in d["tasks"] if t["id"] == '"$TID"'][0][0]["nevra"]' b2.json)" = gcc-12.2.0-14.el9.x86_64
check "… and its repos with their repomd sha256" test "$(jget '[t["buildroot_repos"] for t in d["tasks"] if t["id"] == '"$TID"'][0][0]["repomd_sha256"]' b2.json)" = "$SHA_R"
q build show "$B2" >b2.txt
check "build show summarizes the task's buildroot" grep -q "installroot, 2 packages, repos: baseos (${SHA_R:0:12})" b2.txt
q build show "$B2" --buildroot >b2-full.txt
check "build show --buildroot lists every NEVRA with its sha256" grep -q "make-4.3-8.el9.x86_64 *$SHA_A" b2-full.txt
check "the old shape (strings, host worker) is shown too" test "$(q build show "$B1" --json | jget 'd["tasks"][0]["buildroot"] == [] or "nevra" in d["tasks"][0]["buildroot"][0]' /dev/stdin)" = True
# This build made no output, so it has no provenance statement (in-toto
# needs a subject); t0450 checks buildroots in the statement of a build that has.
check "a build without output has no provenance statement (409)" test "$(req GET "$QUARRY_HUB/api/v1/builds/$B2/provenance" -H "Authorization: Bearer $ADMIN_TOKEN")" = 409
st=$(QUARRY_TOKEN=$W1 api POST "worker/tasks/$TID/result" -H 'Content-Type: application/json' \
	-d '{"attempt":1,"state":"closed","buildroot":[{"nevra":"x","sha256":"zz"}]}')
check "a buildroot entry with a bad sha256 is refused (400)" test "$st" = 400

# ---- the embedded worker's backend ----
printf '[build]\nworker_backend = chroot\n' >bad.ini
expect_fail 1 "build.worker_backend = 'chroot': expected host or installroot" q config check bad.ini
printf '[build]\nworker_backend = installroot\n' >good.ini
check "build.worker_backend = installroot is a valid configuration" q config check good.ini

finish
