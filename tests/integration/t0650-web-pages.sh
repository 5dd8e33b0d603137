#!/bin/bash
# t0650-web-pages: the hub's web pages on demo-like content (web_setup in
# lib.sh: two SIGs, a project with candidate and release repos, two builds
# from git, an upload, an update in testing, three mirrors). Every page
# answers 200 as HTML with the CSP, nosniff and a referrer policy, shows the
# real data (the API's values), and every internal link of every page
# reached answers without 4xx/5xx; the pages are well-formed and carry no
# script, no inline style, no on*= attribute.
. "$(dirname "$0")/lib.sh"
SRC=${QUARRY_SRC:-$(cd "$(dirname "$0")/../.." && pwd)}

web_setup
q promote "$UPD" --to testing >/dev/null
# The crawl the import started has checked the candidate repo on the mirrors.
for _ in $(seq 60); do
	q mirror show mirror.example.cz --json | grep -q '"repo":"sig-web-cand-9"' && break
	sleep 0.5
done

# page_has DESC PATH TEXT…: GET PATH is 200 and the page holds each TEXT.
page_has() {
	local desc=$1 path=$2 code t missing=
	shift 2
	code=$(web_get "$path")
	for t in "$@"; do
		grep -qF -- "$t" "$T/page" || missing+="'$t' "
	done
	if [ "$code" = 200 ] && [ -z "$missing" ]; then
		ok "$desc"
	else
		fail "$desc ($path: $code; missing $missing)"
		diag "$(grep -v '^$' "$T/page" | head -c 1500)"
	fi
}

# --- every page: 200, HTML, the headers ---
PAGES=(/ /sigs /sigs/web /sigs/web/projects/el9 /sigs/web/projects/el9/repos/cand
	/sigs/web/projects/el9/repos/common "/packages?name=webhello" /packages /builds
	"/builds/$B1" /updates "/updates/$UPD" /mirrors /mirrors/mirror.example.cz /workers)
for p in "${PAGES[@]}"; do
	code=$(web_get "$p")
	missing=
	for h in "content-type: text/html; charset=utf-8" \
		"content-security-policy: default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'" \
		"x-content-type-options: nosniff" "referrer-policy: same-origin"; do
		tr -d '\r' <"$T/headers" | grep -qiF -- "$h" || missing+="[$h] "
	done
	if [ "$code" = 200 ] && [ -z "$missing" ]; then
		ok "$p: 200 with the page headers"
	else
		fail "$p: 200 with the page headers (got $code; missing $missing)"
		diag "$(cat "$T/headers")"
	fi
done
code=$(web_get /static/quarry.css)
{ [ "$code" = 200 ] && grep -qi '^content-type: text/css' "$T/headers" &&
	grep -q 'prefers-color-scheme:dark' "$T/page"; } && ok "the stylesheet: CSS with a dark look" ||
	fail "the stylesheet: CSS with a dark look (got $code)"
code=$(curl -sS -o /dev/null -w '%{http_code}' -I "$WEB/builds/$B1")
[ "$code" = 200 ] && ok "HEAD of a page: 200" || fail "HEAD of a page: 200 (got $code)"

# --- the real data ---
FPR=$(q sig show web --json | jget 'd["key_fingerprint"]' /dev/stdin)
page_has "home: the catalog with leads and projects" / 'href="/sigs/web"' 'href="/sigs/plain"' \
	'<td><a href="/builds?owner=alice">alice</a></td>' 'href="/sigs/web/projects/el9"' 'action="/packages"'
page_has "SIG: members, keys, install, repos" /sigs/web "$FPR" '<td><a href="/builds?owner=alice">alice</a></td><td>lead</td>' \
	"dnf install $WEB/pub/sig/9/web/sig-web-release.noarch.rpm" 'href="/pub/sig/9/web/sig-web.repo"' \
	'href="/sigs/web/projects/el9/repos/cand"' 'https://wiki.example.org/web?a=1&amp;b=&quot;x&quot;'
page_has "project: dist tag, branch, arches, policy" /sigs/web/projects/el9 '.el9.web' 'r9-sig-web-1' \
	'x86_64' '<dt>testing_days</dt><dd>3</dd>' 'href="/sigs/web/projects/el9/repos/common"'
api GET sigs/web/projects/el9/repos/cand/history >/dev/null
REPOMD=$(jget 'd["publishes"][0]["sha256"]')
page_has "repo: packages per arch, publish history" /sigs/web/projects/el9/repos/cand \
	'<td>1.0-1.el9.web</td><td>noarch</td>' 'href="/packages?name=webhello"' "$REPOMD"
page_has "repo: its mirrors" /sigs/web/projects/el9/repos/cand '<h2>Mirrors</h2>' \
	'href="/mirrors/mirror.example.cz"'
page_has "package search: where the package is" "/packages?name=webhello" \
	'href="/sigs/web/projects/el9/repos/cand"' '1.0-1.el9.web' '<td>noarch</td>'
page_has "package search by glob" "/packages?name=web*" '>webhello<' '>webmark<'
page_has "builds: both builds" /builds "href=\"/builds/$B1\"" "href=\"/builds/$B2\"" \
	'webother-2.0-1.el9.web'
api GET "builds/$B1" >/dev/null
RPMSHA=$(jget '[a["sha256"] for a in d["artifacts"] if a["kind"] == "rpm"][0]')
TASK=$(jget '[t["id"] for t in d["tasks"] if t["kind"] == "rpm"][0]')
page_has "build: tasks with logs, RPMs with sha256, checks, provenance" "/builds/$B1" \
	"$RPMSHA" "href=\"/api/v1/builds/$B1/tasks/$TASK/log\"" '<strong>disttag</strong>' \
	"href=\"/api/v1/builds/$B1/provenance\"" 'refs/heads/r9-sig-web-1' 'embedded'
ADV=$(q update show "$UPD" --json | jget 'd["advisory"]' /dev/stdin)
page_has "update: builds, state, the gate rule by rule, advisory" "/updates/$UPD" \
	"href=\"/builds/$B1\"" 'state-testing' 'The gate: to release' \
	'has been in testing 0 days; the policy asks for 3' "needs a SIG lead&#39;s approval" \
	'<td>builds</td><td>the update has at least one build</td><td class="met">met' "$ADV" \
	'first &lt;b&gt;release&lt;/b&gt;'
page_has "updates: the update" /updates "href=\"/updates/$UPD\"" "$ADV"
page_has "mirrors: by continent and country, private ones left out" /mirrors '<h2>Europe</h2>' \
	'href="/mirrors/mirror.example.cz"' '<td>CZ</td>' 'Unknown location' 'href="/mirrors/cloud.example.org"'
lacks "mirrors: the private mirror is not listed" "$T/page" 'private\.example\.net'
page_has "mirror page: state per repo, failures" /mirrors/mirror.example.cz 'Example University' \
	'Failures in a row' 'https://mirror.example.cz/pub/'
page_has "workers: the embedded worker" /workers '<td>embedded</td>'

# --- escaping: a SIG title and purpose, a package summary, notes with markup ---
for p in / /sigs/web; do
	page_has "$p: the SIG's title and purpose escaped" "$p" \
		'Web &lt;script&gt;alert(1)&lt;/script&gt; SIG' 'Pages &quot;onerror=alert(2) &amp; more'
	lacks "$p: no raw markup of the title or purpose" "$T/page" '<script|"onerror'
done
page_has "repo: the summary escaped" /sigs/web/projects/el9/repos/cand \
	'Marked &lt;script&gt;alert(3)&lt;/script&gt; &quot;onerror=alert(4)'
lacks "repo: no raw markup of the summary" "$T/page" '<script|"onerror'
code=$(web_get '/packages?name=%22%3E%3Cscript%3E')
{ [ "$code" = 400 ] && grep -qF 'value="&quot;&gt;&lt;script&gt;"' "$T/page"; } &&
	ok "a bad package name: 400, the value back in the form, escaped" ||
	{ fail "a bad package name: 400, the value back in the form, escaped (got $code)"; diag "$(grep -i value "$T/page")"; }
lacks "a query value: no raw markup" "$T/page" '"><script'

# --- the build list: filters and pages ---
page_has "builds: filter by package" "/builds?package=webother" "href=\"/builds/$B2\""
lacks "builds: the filter leaves the other build out" "$T/page" "href=\"/builds/$B1\""
page_has "builds: filter by sig, project, state and owner" \
	"/builds?sig=web&project=el9&state=complete&owner=admin" "href=\"/builds/$B1\"" "href=\"/builds/$B2\""
page_has "builds: a state filter that matches nothing" "/builds?state=failed" 'No build matches.'
page_has "builds: the first page of one" "/builds?per_page=1" "href=\"/builds/$B2\"" \
	"href=\"/builds?per_page=1&amp;before=$B2\""
lacks "builds: the first page of one lacks the older build" "$T/page" "href=\"/builds/$B1\""
page_has "builds: the second page of one" "/builds?per_page=1&before=$B2" "href=\"/builds/$B1\""
lacks "builds: the last page has no next link" "$T/page" 'rel="next"'
code=$(web_get "/builds?per_page=0")
[ "$code" = 400 ] && ok "builds: per_page 0 → 400" || fail "builds: per_page 0 → 400 (got $code)"
page_has "updates: filter by state" "/updates?state=testing" "href=\"/updates/$UPD\""
page_has "updates: a filter that matches nothing" "/updates?state=release" 'No update matches.'

# --- every internal link resolves; pages are well-formed, script-free ---
if /usr/bin/python3 "$SRC/tests/integration/web-crawl.py" "$WEB" "${PAGES[@]}" >crawl.out 2>crawl.err; then
	ok "crawl: every internal link answers, every page well-formed ($(cat crawl.err))"
else
	fail "crawl: every internal link answers, every page well-formed"
	diag "$(cat crawl.out crawl.err)"
fi
grep -q "^pages [1-9][0-9] " crawl.err && ok "crawl reached tens of pages" ||
	{ fail "crawl reached tens of pages"; diag "$(cat crawl.err)"; }

finish
