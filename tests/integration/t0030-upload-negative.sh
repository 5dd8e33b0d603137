#!/bin/bash
# t0030-upload-negative: every bad upload is refused with a message that
# names the file and the reason, and the repository (package list and
# repodata) is left exactly as it was. Also: names with path tricks,
# malformed and oversized JSON bodies, a wrong X-Content-SHA256.
. "$(dirname "$0")/lib.sh"

# The release package (t0220) is off: this test counts what common holds.
start_hub "[release_pkg]
repo ="

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null
good=$(make_rpm good 1 1.el9.mc noarch)
check "upload a good package first" q upload mc/el9/common "$good"
before=$(repo_state mc el9 common)
[ -n "$(find "$DATA/pub/sig/9/mc/x86_64/common/repodata" -name repomd.xml)" ] && ok "repo published" || fail "repo published"

unchanged() {
	local now
	now=$(repo_state mc el9 common)
	if [ "$now" = "$before" ]; then ok "  … and the repo is unchanged"; else fail "  … and the repo is unchanged"; diag "$before" "---" "$now"; fi
}

# refused FILE REASON_RE: the CLI exits 1 naming the file and the reason.
refused() {
	local file=$1 reason=$2 base
	base=$(basename "$file")
	expect_fail 1 "^quarry: .*${base//./\\.}.*($reason)|^quarry: .*($reason).*${base//./\\.}" \
		q upload mc/el9/common "$file"
	unchanged
}

# Not an RPM at all.
echo "hello, I am not an RPM" >notanrpm.rpm
refused notanrpm.rpm "not an RPM|not a RPM|magic|lead|invalid"
# Wrong dist tag, wrong EL major in the tag, no dist tag.
refused "$(make_rpm wrongtag 1 1.el9.other noarch)" "dist|\.el9\.mc"
refused "$(make_rpm wrongmajor 1 1.el8.mc noarch)" "dist|\.el9\.mc"
refused "$(make_rpm notag 1 1 noarch)" "dist|\.el9\.mc"
# An arch the repo does not have.
refused "$(make_rpm wrongarch 1 1.el9.mc aarch64)" "arch|aarch64"
refused "$(make_rpm wrongarch2 1 1.el9.mc ppc64le)" "arch|ppc64le"
# A source RPM.
refused "$(make_srpm srcpkg 1 1.el9.mc)" "source|SRPM"
# A truncated RPM: the header cut, and the payload cut.
size=$(stat -c %s "$good")
head -c 200 "$good" >trunc-head.rpm
refused trunc-head.rpm "truncated|short|header|invalid|corrupt"
head -c $((size - 100)) "$good" >trunc-tail.rpm
refused trunc-tail.rpm "truncated|short|payload|digest|invalid|corrupt|size"
# An empty file.
: >zero.rpm
refused zero.rpm "empty|zero bytes|0 bytes|too small|truncated"

# A batch with one bad file: none stored.
good2=$(make_rpm goodtoo 1 1.el9.mc noarch)
bad=$(make_rpm badinbatch 1 1.el9.other noarch)
expect_fail 1 "^quarry: .*badinbatch" q upload mc/el9/common "$good2" "$bad"
unchanged
if find "$DATA/pub" -name 'goodtoo*' | grep -q .; then fail "goodtoo not published"; else ok "goodtoo not published"; fi
# The same file twice in one batch is fine or refused, but never stored twice.
q upload mc/el9/common "$good" "$good" >/dev/null 2>&1 || true
[ "$(jget 'len(d["packages"])' <(q repo show mc/el9/common --json))" = 1 ] && ok "a package is stored once" || fail "a package is stored once"
before=$(repo_state mc el9 common)

# X-Content-SHA256 that does not match the body.
code=$(req POST "$QUARRY_HUB/api/v1/uploads?filename=good-1-1.el9.mc.noarch.rpm" \
	-H "Authorization: Bearer $QUARRY_TOKEN" \
	-H "X-Content-SHA256: $(printf '0%.0s' $(seq 64))" --data-binary "@$good")
[ "$code" = 400 ] && ok "X-Content-SHA256 mismatch → 400" || fail "X-Content-SHA256 mismatch → 400 (got $code)"
grep -qiE "sha-?256|hash|digest|checksum" "$T/body" && ok "  … saying the hash differs" || { fail "  … saying the hash differs"; diag "$(cat "$T/body")"; }
code=$(req POST "$QUARRY_HUB/api/v1/uploads?filename=good.rpm" \
	-H "Authorization: Bearer $QUARRY_TOKEN" -H "X-Content-SHA256: nothex" --data-binary "@$good")
[ "$code" = 400 ] && ok "X-Content-SHA256 not hex → 400" || fail "X-Content-SHA256 not hex → 400 (got $code)"
# A correct one is accepted (control).
code=$(req POST "$QUARRY_HUB/api/v1/uploads?filename=good.rpm" \
	-H "Authorization: Bearer $QUARRY_TOKEN" \
	-H "X-Content-SHA256: $(sha256sum "$good" | cut -d' ' -f1)" --data-binary "@$good")
[ "$code" = 201 ] && ok "matching X-Content-SHA256 → 201" || fail "matching X-Content-SHA256 → 201 (got $code)"
[ "$(jget 'd["sha256"]')" = "$(sha256sum "$good" | cut -d' ' -f1)" ] && ok "  … with the file's sha256" || fail "  … with the file's sha256"
[ "$(jget 'd["size"]')" = "$size" ] && ok "  … and its size" || fail "  … and its size"
# A staged file that changed after staging (staging does not fsync: a crash
# may damage it) is refused when the batch is added, and nothing is stored.
code=$(req POST "$QUARRY_HUB/api/v1/uploads?filename=$(basename "$good2")" \
	-H "Authorization: Bearer $QUARRY_TOKEN" --data-binary "@$good2")
[ "$code" = 201 ] && ok "stage goodtoo" || fail "stage goodtoo (got $code)"
sid=$(jget 'd["id"]')
swapped=$(make_rpm swapped 1 1.el9.mc noarch)
if [ -f "$DATA/staging/$sid" ]; then ok "the staged file is in DATA/staging"; else fail "the staged file is in DATA/staging"; fi
cp "$swapped" "$DATA/staging/$sid"
code=$(api POST sigs/mc/projects/el9/repos/common/packages -H 'Content-Type: application/json' \
	-d "{\"uploads\":[\"$sid\"]}")
[ "$code" = 400 ] && ok "a staged file changed since staging → 400" || fail "a staged file changed since staging → 400 (got $code)"
grep -q "changed after it was staged" "$T/body" && ok "  … saying it changed after staging" ||
	{ fail "  … saying it changed after staging"; diag "$(cat "$T/body")"; }
unchanged
# Upload ids that do not exist.
code=$(api POST sigs/mc/projects/el9/repos/common/packages -H 'Content-Type: application/json' \
	-d '{"uploads":["u0000000000000000"]}')
case $code in 400 | 404) ok "unknown upload id → $code" ;; *) fail "unknown upload id → 400/404 (got $code)" ;; esac
code=$(api POST sigs/mc/projects/el9/repos/common/packages -H 'Content-Type: application/json' \
	-d '{"uploads":["../../../etc/passwd"]}')
case $code in 400 | 404) ok "upload id ../../../etc/passwd → $code" ;; *) fail "upload id ../../../etc/passwd → 400/404 (got $code)" ;; esac
expect_status 400 POST sigs/mc/projects/el9/repos/common/packages -H 'Content-Type: application/json' \
	-d '{"uploads":[]}'
expect_status 400 POST sigs/mc/projects/el9/repos/common/packages -H 'Content-Type: application/json' \
	-d '{"uploads":"u1"}'
# A file name with a path in it must not be written outside the staging area.
code=$(req POST "$QUARRY_HUB/api/v1/uploads?filename=..%2F..%2F..%2Fevil.rpm" \
	-H "Authorization: Bearer $QUARRY_TOKEN" --data-binary "@$good")
case $code in 400 | 201) ok "filename with ../ → $code" ;; *) fail "filename with ../ → 400 or 201 (got $code)" ;; esac
if find "$T" -name 'evil*' -not -path "$DATA/staging/*" | grep -q .; then fail "no evil.rpm outside staging"; else ok "no evil.rpm outside staging"; fi
unchanged

# Names with path tricks, straight to the API.
long=$(printf 'a%.0s' $(seq 40))
for name in '..' '../etc' 'a/b' 'a%2Fb' '..%2F..%2Fetc' 'a%00b' 'A' "$long" 'a.b' '-a'; do
	code=$(api GET "sigs/$name")
	case $code in 400 | 404) ok "GET sigs/$name → $code" ;; *) fail "GET sigs/$name → 400/404 (got $code)" ;; esac
done
for name in '..' '../etc' 'a/b' 'a\u0000b' 'UPPER' "$long" '' 'a b' 'a.b'; do
	code=$(api POST sigs -H 'Content-Type: application/json' \
		-d "{\"name\":\"$name\",\"short_name\":\"x\",\"title\":\"T\",\"purpose\":\"P\"}")
	[ "$code" = 400 ] && ok "create sig '$name' → 400" || fail "create sig '$name' → 400 (got $code)"
done
for short in '..' 'a/b' 'a-b' 'a\u0000' "$long" ''; do
	code=$(api POST sigs -H 'Content-Type: application/json' \
		-d "{\"name\":\"shorty\",\"short_name\":\"$short\",\"title\":\"T\",\"purpose\":\"P\"}")
	[ "$code" = 400 ] && ok "short name '$short' → 400" || fail "short name '$short' → 400 (got $code)"
done
for name in '..' '../x' 'a/b' "$long"; do
	code=$(api POST sigs/mc/projects -H 'Content-Type: application/json' \
		-d "{\"name\":\"$name\",\"major\":9,\"variant\":\"1\",\"arches\":[\"x86_64\"]}")
	[ "$code" = 400 ] && ok "create project '$name' → 400" || fail "create project '$name' → 400 (got $code)"
	code=$(api POST sigs/mc/projects/el9/repos -H 'Content-Type: application/json' \
		-d "{\"name\":\"$name\",\"arches\":[\"x86_64\"]}")
	[ "$code" = 400 ] && ok "create repo '$name' → 400" || fail "create repo '$name' → 400 (got $code)"
done
code=$(api GET "sigs/mc/projects/..%2F..%2F..%2Fetc/repos")
case $code in 400 | 404) ok "project ..%2F → $code" ;; *) fail "project ..%2F → 400/404 (got $code)" ;; esac
code=$(api POST sigs/mc/projects/el9/repos -H 'Content-Type: application/json' \
	-d '{"name":"other","arches":["aarch64"]}')
[ "$code" = 400 ] && ok "repo arch outside the project's → 400" || fail "repo arch outside the project's → 400 (got $code)"
if find "$T" -name 'etc' -newer hub.ini | grep -q .; then fail "nothing named etc created"; else ok "nothing named etc created"; fi
[ "$(jget 'sorted(s["name"] for s in d["sigs"])' <(q sig list --json))" = '["mc"]' ] && ok "only sig mc exists" || fail "only sig mc exists"

# Malformed JSON bodies.
for body in '{"name":' 'not json' '[1,2]' '{"name":"x","short_name":"x","title":"T","purpose":"P"' '{"name":123}' ''; do
	code=$(api POST sigs -H 'Content-Type: application/json' --data-binary "$body")
	[ "$code" = 400 ] && ok "malformed body '$body' → 400" || fail "malformed body '$body' → 400 (got $code)"
done
[ "$(jget 'd["error"]["code"]')" = invalid ] && ok "  … code invalid" || fail "  … code invalid"
code=$(api POST sigs/mc/projects/el9/repos/common/packages -H 'Content-Type: application/json' --data-binary '{"uploads":[')
[ "$code" = 400 ] && ok "malformed packages body → 400" || fail "malformed packages body → 400 (got $code)"
# Deeply nested JSON is refused, not a crash.
python3 -c 'print("[" * 100000 + "]" * 100000)' >deep.json
code=$(api POST sigs -H 'Content-Type: application/json' --data-binary @deep.json)
case $code in 400 | 413) ok "deeply nested JSON → $code" ;; *) fail "deeply nested JSON → 400/413 (got $code)" ;; esac

# A JSON body over 1 MiB: 413.
python3 -c 'import json; print(json.dumps({"name":"big","short_name":"big","title":"T","purpose":"x" * (1100 * 1024)}))' >big.json
code=$(api POST sigs -H 'Content-Type: application/json' --data-binary @big.json)
[ "$code" = 413 ] && ok "1.1 MiB JSON body → 413" || fail "1.1 MiB JSON body → 413 (got $code)"
[ "$(jget 'd["error"]["code"]' 2>/dev/null)" = too_large ] && ok "  … code too_large" || fail "  … code too_large"
check "the hub still answers" curl -fsS "$QUARRY_HUB/healthz"
expect_fail 1 "^quarry: .*big.*not found" q sig show big
unchanged

finish
