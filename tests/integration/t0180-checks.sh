#!/bin/bash
# t0180-checks: a build's five checks (disttag, rpmlint, closure,
# installable, conflicts) run by the hub's checker when the build completes.
# A good package passes all five against an empty repo; a package without
# %{?dist} in its Release, without a %changelog and requiring a capability
# nothing provides fails disttag, rpmlint, closure and installable, each
# naming the package and the exact release, rpmlint error or capability; a
# package that requires the good one (published in the repo) and ships one
# of its files passes closure but fails conflicts (naming both packages and
# the file) and installable (dnf's file conflict). `quarry check BUILD
# --wait` runs them again (run 2); GET …/checks is public, POST …/check is
# for the SIG's members; `quarry build show` lists the checks.
. "$(dirname "$0")/lib.sh"

start_hub

q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/common --arch x86_64 --channel candidate >/dev/null

# spec_pkg DIR NAME RELEASE EXTRA_HEADER FILE_CONTENT CHANGELOG(0/1): a git
# repository in the rpms layout with a noarch package shipping
# /usr/share/mc-good/NAME.txt, or /usr/share/mc-good/README when NAME is
# mc-good or mc-clash (the file the two fight over).
spec_pkg() {
	local dir=$1 name=$2 release=$3 extra=$4 content=$5 changelog=$6 file
	case $name in mc-good | mc-clash) file=README ;; *) file=$name.txt ;; esac
	mkdir -p "$dir/SPECS"
	qgit "$dir" init -q
	qgit "$dir" checkout -q -b r9-sig-mc-1
	{
		echo "%global debug_package %{nil}"
		echo "Name: $name"
		echo "Version: 1.0"
		echo "Release: $release"
		echo "Summary: Quarry check test package $name"
		echo "License: MIT"
		echo "URL: https://quarry.invalid/"
		echo "BuildArch: noarch"
		[ -n "$extra" ] && echo "$extra"
		cat <<EOF

%description
A package for Quarry's check tests.

%prep

%build

%install
mkdir -p %{buildroot}/usr/share/mc-good
echo "$content" > %{buildroot}/usr/share/mc-good/$file

%files
/usr/share/mc-good/$file
EOF
		if [ "$changelog" = 1 ]; then
			cat <<'EOF'

%changelog
* Mon Jan 01 2024 Quarry Tests <tests@quarry.invalid> - 1.0-1
- First build.
EOF
		fi
	} >"$dir/SPECS/$name.spec"
	: >"$dir/.$name.metadata"
	qgit "$dir" add -A
	qgit "$dir" commit -q -m "$name"
}

# wait_checks ID: until no check of build ID is queued or running (60 s).
wait_checks() {
	local id=$1
	for _ in $(seq 240); do
		if q check "$id" --show --json >"$T/checks.json" 2>/dev/null &&
			[ "$(jget 'len(d["checks"]) == 5 and all(c["state"] not in ("queued", "running") for c in d["checks"])' "$T/checks.json")" = True ]; then
			return 0
		fi
		sleep 0.25
	done
	echo "# the checks of build $id did not finish:"
	diag "$(cat "$T/checks.json" 2>/dev/null)"
	return 1
}

# state ID NAME / summary ID NAME / run ID NAME: from GET /builds/ID/checks.
check_field() {
	api GET "builds/$1/checks" >/dev/null
	jget "[c['$3'] for c in d['checks'] if c['name'] == '$2'][0]"
}

build_id() { sed -n 's/^build \([0-9]*\) .*/\1/p' "$1" | head -n 1; }

spec_pkg "$T/good" mc-good '1%{?dist}' "" "the good one" 1
spec_pkg "$T/bad" mc-needy 1 "Requires: libquarry-missing.so.1()(64bit)" "needy" 0
spec_pkg "$T/clash" mc-clash '1%{?dist}' "Requires: mc-good" "the other one" 1

# The good and the bad build side by side (the embedded worker has two slots).
q build mc/el9 "$T/good#r9-sig-mc-1" >good.txt
q build mc/el9 "$T/bad#r9-sig-mc-1" >bad.txt
good=$(build_id good.txt)
bad=$(build_id bad.txt)
[ "$(wait_build "$good" 120)" = complete ] && ok "the good build completes" || fail "the good build completes"
[ "$(wait_build "$bad" 120)" = complete ] && ok "the bad build completes" || fail "the bad build completes"

# ---- the good build passes all five ----
wait_checks "$good" || true
api GET "builds/$good/checks" -H "Authorization:" >/dev/null
names=$(jget '" ".join(c["name"] for c in d["checks"])')
[ "$names" = "disttag rpmlint closure installable conflicts" ] && ok "five checks, in order" || { fail "five checks, in order"; diag "$names"; }
states=$(jget '" ".join(c["state"] for c in d["checks"])')
[ "$states" = "pass pass pass pass pass" ] && ok "the good build passes all five" ||
	{ fail "the good build passes all five ($states)"; diag "$(jget '[(c["name"], c["summary"]) for c in d["checks"]]')"; }
[ "$(jget 'sorted(d["checks"][0].keys())')" = '["finished", "name", "output", "repos", "run", "started", "state", "summary"]' ] &&
	ok "a check has name, state, summary, output, run, started, finished, repos" || { fail "check fields"; diag "$(jget 'sorted(d["checks"][0].keys())')"; }
[ "$(jget 'd["checks"][0]["run"]')" = 1 ] && ok "first run is run 1" || fail "first run is run 1"
# (grep on a variable, not on a pipe: grep -q may close it early under pipefail)
out=$(jget '[c["output"] for c in d["checks"] if c["name"] == "rpmlint"][0]')
grep -q "2 packages and 0 specfiles checked" <<<"$out" && ok "rpmlint's output is kept" || { fail "rpmlint's output is kept"; diag "$out"; }
out=$(jget '[c["output"] for c in d["checks"] if c["name"] == "installable"][0]')
grep -q "Transaction test succeeded" <<<"$out" && ok "installable ran dnf's test transaction" || { fail "installable ran dnf's test transaction"; diag "$out"; }

# ---- the bad build: disttag, rpmlint, closure, installable fail, naming what ----
wait_checks "$bad" || true
[ "$(check_field "$bad" disttag state)" = fail ] && ok "no %{?dist}: disttag fails" || fail "no %{?dist}: disttag fails ($(check_field "$bad" disttag state))"
s=$(check_field "$bad" disttag summary)
grep -q "mc-needy-1.0-1.noarch has release '1', which does not end with the project's dist tag '.el9.mc'" <<<"$s" &&
	ok "  … naming the package, its release and the dist tag" || { fail "  … naming the package, its release and the dist tag"; diag "$s"; }
[ "$(check_field "$bad" rpmlint state)" = fail ] && ok "an rpmlint error fails rpmlint" || fail "an rpmlint error fails rpmlint ($(check_field "$bad" rpmlint state))"
s=$(check_field "$bad" rpmlint summary)
grep -q "mc-needy.*E: no-changelogname-tag" <<<"$s" && ok "  … naming the package and the error" || { fail "  … naming the package and the error"; diag "$s"; }
[ "$(check_field "$bad" closure state)" = fail ] && ok "a Requires nothing provides fails closure" || fail "a Requires nothing provides fails closure"
s=$(check_field "$bad" closure summary)
[ "$s" = "mc-needy-1.0-1.noarch requires libquarry-missing.so.1()(64bit), which nothing provides" ] &&
	ok "  … naming the package and the exact capability" || { fail "  … naming the package and the exact capability"; diag "$s"; }
[ "$(check_field "$bad" installable state)" = fail ] && ok "installable fails too" || fail "installable fails too"
s=$(check_field "$bad" installable summary)
grep -q "nothing provides libquarry-missing.so.1()(64bit) needed by mc-needy-1.0-1.noarch" <<<"$s" &&
	ok "  … with dnf's reason" || { fail "  … with dnf's reason"; diag "$s"; }
[ "$(check_field "$bad" conflicts state)" = pass ] && ok "conflicts passes" || fail "conflicts passes"

# ---- conflicts: the good package in the repo, a package shipping its file ----
q tag "$good" mc/el9/common >tag.txt 2>&1 || diag "$(cat tag.txt)"
q build mc/el9 "$T/clash#r9-sig-mc-1" >clash.txt
clash=$(build_id clash.txt)
[ "$(wait_build "$clash" 120)" = complete ] && ok "the clashing build completes" || fail "the clashing build completes"
wait_checks "$clash" || true
[ "$(check_field "$clash" closure state)" = pass ] && ok "Requires: mc-good is provided by repo common" ||
	{ fail "Requires: mc-good is provided by repo common"; diag "$(check_field "$clash" closure output)"; }
out=$(check_field "$clash" closure output)
grep -q "requires mc-good: mc-good-1.0-1.el9.mc.noarch (common)" <<<"$out" &&
	ok "  … the output names the provider and its repo" || { fail "  … the output names the provider and its repo"; diag "$out"; }
[ "$(check_field "$clash" conflicts state)" = fail ] && ok "a file another package ships fails conflicts" || fail "a file another package ships fails conflicts"
s=$(check_field "$clash" conflicts summary)
[ "$s" = "mc-clash-1.0-1.el9.mc.noarch and mc-good-1.0-1.el9.mc.noarch (in repo 'common') both ship /usr/share/mc-good/README" ] &&
	ok "  … naming both packages and the file" || { fail "  … naming both packages and the file"; diag "$s"; }
[ "$(check_field "$clash" installable state)" = fail ] && ok "dnf refuses to install both" || fail "dnf refuses to install both"
s=$(check_field "$clash" installable summary)
grep -q "/usr/share/mc-good/README" <<<"$s" && ok "  … naming the file" || { fail "  … naming the file"; diag "$s"; }

# ---- quarry check: rerun, permissions, build show ----
if q check "$good" --wait >rerun.txt 2>&1; then ok "quarry check --wait: all pass (exit 0)"; else fail "quarry check --wait: all pass (exit 0)"; diag "$(cat rerun.txt)"; fi
grep -Eq "^closure +pass +2 " rerun.txt && ok "  … the table shows run 2" || { fail "  … the table shows run 2"; diag "$(cat rerun.txt)"; }
[ "$(check_field "$good" disttag run)" = 2 ] && ok "the rerun is run 2" || fail "the rerun is run 2"
expect_fail 1 "closure +fail" q check "$bad" --wait
q check "$bad" --show --output closure >closure.out
grep -q "NOTHING PROVIDES IT" closure.out && ok "check --output prints a check's full output" || { fail "check --output"; diag "$(cat closure.out)"; }
q build show "$clash" >show.txt
grep -Eq "^conflicts +fail +mc-clash" show.txt && ok "build show lists the checks" || { fail "build show lists the checks"; diag "$(cat show.txt)"; }
code=$(req GET "$QUARRY_HUB/api/v1/builds/$good/checks")
[ "$code" = 200 ] && ok "GET …/checks needs no token" || fail "GET …/checks needs no token (got $code)"
api GET "builds/$good/checks?output=0" >/dev/null
[ "$(jget '[("output" in c) for c in d["checks"]]')" = "[false, false, false, false, false]" ] &&
	ok "?output=0 leaves the outputs out" || fail "?output=0 leaves the outputs out"
outsider=$(new_user outsider user)
code=$(req POST "$QUARRY_HUB/api/v1/builds/$good/check" -H "Authorization: Bearer $outsider")
[ "$code" = 403 ] && ok "a user outside the SIG may not run checks (403)" || fail "a user outside the SIG may not run checks (got $code)"
expect_status 404 GET "builds/9999/checks"
expect_status 202 POST "builds/$good/check"
expect_fail 1 "not found" q check 9999
expect_fail 2 "build id" q check nope

finish
