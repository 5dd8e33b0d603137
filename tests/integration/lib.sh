# lib.sh: sourced by every tests/integration/tNNNN-*.sh.
#
# Each test runs in a fresh temporary directory ($T) with its own hub on a
# free port of 127.0.0.1 and its own data directory ($DATA). Results are
# printed TAP-style ("ok N - …" / "not ok N - …"); a test exits non-zero
# when any check failed or a command failed unexpectedly (set -e).
#
# Environment: QUARRY_BIN (the built binary, required), QUARRY_SRC (the
# source tree), QUARRY_KEEP=1 keeps $T for inspection.
#
# Helpers:
#   start_hub [EXTRA_INI_LINES]  init + hub; exports QUARRY_HUB, QUARRY_TOKEN
#                                (both as the user $HUB_RUNAS when set; see as_hub)
#   stop_hub, restart_hub
#   q ARGS…                      the quarry binary
#   make_rpm NAME VERSION RELEASE ARCH [REQUIRES]   prints the RPM's path
#   make_srpm NAME VERSION RELEASE                  prints the SRPM's path
#   dnf_install REPOFILE PKG…    real dnf into a fresh root ($DNF_ROOT)
#   ok DESC / fail DESC          record a result
#   check DESC CMD…              ok when CMD succeeds
#   refute DESC CMD…             ok when CMD fails
#   lacks DESC FILE PATTERN      FILE exists, not empty, no line matches PATTERN
#   expect_fail CODE PATTERN CMD…  CMD exits CODE and its output matches PATTERN
#   req METHOD URL [CURL_ARGS…]  prints the HTTP status; body in $T/body
#   api METHOD PATH [CURL_ARGS…] req on $QUARRY_HUB/api/v1/PATH with the token
#   expect_status CODE METHOD PATH [CURL_ARGS…]    api + check the status
#   new_user NAME ROLE           create a user, print a token for them
#   in_repodata DIR NAME         the published metadata at DIR lists package NAME
#   finish                       stop the hub, print the plan, exit 1 if anything failed
#   skip REASON                  the test is skipped (exit 77: ctest says "Skipped");
#                                under CI a skip fails unless skips-allowed lists it
#   test_cleanup                 define it to stop the test's own processes at exit
#   at_cleanup CMD…              run CMD at exit too (last registered, first run)
#   kill_hub [SIGNAL]            a crash trial: kill the hub (default SIGKILL) and
#                                require that it died of that signal
#
# The harness owns the EXIT trap: a test that sets its own (`trap … EXIT`)
# fails. A test fails when a check failed, a command failed unexpectedly,
# it ended without `finish`, it ran no check, the hub exited non-zero (other
# than by kill_hub), or a log in $T holds a sanitizer report.

set -Eeuo pipefail

: "${QUARRY_BIN:?set QUARRY_BIN to the quarry binary}"
: "${QUARRY_SRC:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
case $QUARRY_BIN in /*) ;; *) QUARRY_BIN=$PWD/$QUARRY_BIN ;; esac
export QUARRY_BIN QUARRY_SRC

TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/quarry-$TEST_NAME.XXXXXX")
DATA=$T/data
HUB_PID=
TESTS_RUN=0
TESTS_FAILED=0
cd "$T"

# The client must not pick up the user's own configuration.
unset QUARRY_HUB QUARRY_TOKEN QUARRY_CLIENT_CONFIG
export HOME=$T/home
mkdir -p "$HOME"

# ---- the harness: cleanup, exit status, skips ----
CLEANUPS=()
FINISHED=0
declare -A SANITIZER_SEEN=()

# at_cleanup CMD…: run CMD (as given, not through a shell) when the test exits.
at_cleanup() {
	local s
	printf -v s '%q ' "$@"
	CLEANUPS+=("$s")
}

# The EXIT trap is the harness's. `trap … EXIT` in a test would replace it
# and with it the exit status (a test whose checks failed would pass), so
# it is refused; every other trap goes through.
# shellcheck disable=SC2064 # the arguments are the caller's, passed on as given
trap() {
	local args=("$@") sigs a
	case ${1:-} in -p | -l | -lp | -pl | "") builtin trap "$@"; return ;; esac
	[ "${args[0]}" = -- ] && args=("${args[@]:1}")
	if [ ${#args[@]} -ge 2 ]; then sigs=("${args[@]:1}"); else sigs=("${args[@]}"); fi
	for a in "${sigs[@]}"; do
		case ${a^^} in
		EXIT | SIGEXIT | 0)
			TESTS_RUN=$((TESTS_RUN + 1))
			TESTS_FAILED=$((TESTS_FAILED + 1))
			echo "not ok $TESTS_RUN - $TEST_NAME sets its own EXIT trap (lib.sh owns it: define test_cleanup or use at_cleanup)"
			return 1
			;;
		esac
	done
	builtin trap "$@"
}

# sanitizer_report FILE: prints the first lines of any sanitizer report in FILE.
sanitizer_report() {
	grep -E -m 5 -- 'ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: (AddressSanitizer|LeakSanitizer)|UndefinedBehaviorSanitizer|ThreadSanitizer|MemorySanitizer|SUMMARY: [A-Za-z]+Sanitizer|\.(c|h|cc|cpp):[0-9]+(:[0-9]+)?: runtime error:' "$1" 2>/dev/null
}

# Every log the test left in $T (the hub's, the signer's, the workers', the
# CLI's): a sanitizer report in any of them fails the test, once per file.
check_sanitizer_logs() {
	local f found
	for f in "$T"/*.log "$T"/*.err; do
		[ -f "$f" ] || continue
		[ -z "${SANITIZER_SEEN[$f]:-}" ] || continue
		if found=$(sanitizer_report "$f"); then
			SANITIZER_SEEN[$f]=1
			fail "no sanitizer report in $(basename "$f")"
			diag "$found"
		fi
	done
}

# The harness's own checks at the end: the hub stops cleanly, the logs are
# clean, the EXIT trap is still ours.
_final_checks() {
	stop_hub
	check_sanitizer_logs
	if [ "$(builtin trap -p EXIT)" != "trap -- 'cleanup' EXIT" ]; then
		fail "$TEST_NAME leaves lib.sh's EXIT trap alone (found: $(builtin trap -p EXIT))"
	fi
}

cleanup() {
	local rc=$? i
	set +e
	builtin trap - ERR
	# A test's own processes (mirrors, servers): it defines test_cleanup
	# and/or registers commands with at_cleanup.
	if declare -F test_cleanup >/dev/null; then
		test_cleanup
	fi
	for ((i = ${#CLEANUPS[@]} - 1; i >= 0; i--)); do
		eval "${CLEANUPS[$i]}"
	done
	stop_hub
	if [ -d "$DATA/keys" ]; then
		gpgconf --homedir "$DATA/keys" --kill all >/dev/null 2>&1
	fi
	# Processes stopped just now (the signer, workers) wrote their last words.
	check_sanitizer_logs
	if [ "$FINISHED" != 1 ] && [ "$rc" -eq 0 ]; then
		echo "not ok - $TEST_NAME exited 0 without calling finish"
		rc=1
	fi
	if [ "$TESTS_FAILED" -ne 0 ] && { [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ]; }; then
		echo "# $TESTS_FAILED of $TESTS_RUN checks failed in $TEST_NAME"
		rc=1
	fi
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ]; then
		if [ -s "$T/hub.log" ]; then
			echo "# last lines of hub.log:"
			tail -n 30 "$T/hub.log" | sed 's/^/#   /'
		fi
	fi
	if [ "${QUARRY_KEEP:-0}" = 1 ]; then
		echo "# kept $T"
	else
		cd /
		rm -rf "$T"
	fi
	exit "$rc"
}
builtin trap cleanup EXIT
builtin trap 'echo "not ok - $TEST_NAME: command failed at line $LINENO: $BASH_COMMAND"' ERR

# skip REASON: the test cannot run here. Outside CI it exits 77 (ctest:
# "Skipped", never "Passed"). Under CI (CI set, not "false"/"0") a test that
# was expected to run fails instead, unless tests/integration/skips-allowed
# lists it (one "tNNNN-name  reason" a line).
skip() {
	local reason=$*
	if [ -n "${CI:-}" ] && [ "$CI" != false ] && [ "$CI" != 0 ] &&
		! grep -Eq "^$TEST_NAME([[:space:]]|$)" "${QUARRY_SKIPS_ALLOWED:-$QUARRY_SRC/tests/integration/skips-allowed}" 2>/dev/null; then
		fail "$TEST_NAME was skipped under CI ($reason); CI expects it to run (tests/integration/skips-allowed lists the exceptions)"
		finish
	fi
	echo "1..0 # SKIP $reason"
	FINISHED=1
	stop_hub
	exit 77
}

q() { "$QUARRY_BIN" "$@"; }

# as_hub CMD…: CMD as the user $HUB_RUNAS (and its groups) when set, else as
# ourselves. Tests that run as root use it to give the hub its own user.
as_hub() {
	if [ -n "${HUB_RUNAS:-}" ]; then
		setpriv --reuid="$HUB_RUNAS" --regid="$HUB_RUNAS" --init-groups -- "$@"
	else
		"$@"
	fi
}

ok() {
	TESTS_RUN=$((TESTS_RUN + 1))
	echo "ok $TESTS_RUN - $*"
}

fail() {
	TESTS_RUN=$((TESTS_RUN + 1))
	TESTS_FAILED=$((TESTS_FAILED + 1))
	echo "not ok $TESTS_RUN - $*"
}

# Print a diagnostic block (indented, at most 20 lines).
diag() { printf '%s\n' "$@" | head -n 20 | sed 's/^/#   /'; }

check() {
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		ok "$desc"
	else
		fail "$desc (exit $rc)"
		diag "$out"
	fi
}

# refute DESC CMD…: ok when CMD fails (a `!` cannot be passed to check, and
# inside `bash -c "! a; b"` it is lost: only b's status counts).
refute() {
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ]; then
		ok "$desc"
	else
		fail "$desc (succeeded)"
		diag "$out"
	fi
}

# lacks DESC FILE PATTERN: FILE exists, is not empty, and no line matches
# PATTERN (grep -E). Unlike `! grep`, a missing file or a grep error fails.
lacks() {
	local desc=$1 file=$2 pattern=$3 rc=0
	if [ ! -s "$file" ]; then
		fail "$desc ($file is missing or empty)"
		return 0
	fi
	grep -Eq -- "$pattern" "$file" || rc=$?
	case $rc in
	1) ok "$desc" ;;
	0)
		fail "$desc (found /$pattern/)"
		diag "$(grep -E -m 3 -- "$pattern" "$file")"
		;;
	*) fail "$desc (grep exit $rc)" ;;
	esac
}

expect_fail() {
	local code=$1 pattern=$2 out rc=0
	shift 2
	out=$("$@" 2>&1) || rc=$?
	if [ "$rc" -ne "$code" ]; then
		fail "$* exits $code (got $rc)"
		diag "$out"
	elif ! grep -Eq -- "$pattern" <<<"$out"; then
		fail "$* prints /$pattern/"
		diag "$out"
	else
		ok "$* → $code /$pattern/"
	fi
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_hub [EXTRA_INI_LINES]: write hub.ini, init, run the hub, wait for /healthz.
start_hub() {
	local token
	PORT=$(free_port)
	cat >hub.ini <<EOF
[hub]
listen = 127.0.0.1:$PORT
data_dir = $DATA
public_url = http://127.0.0.1:$PORT
${1:-}
EOF
	if ! token=$(as_hub "$QUARRY_BIN" init -c hub.ini 2>init.log); then
		echo "# quarry init failed:"
		diag "$(cat init.log)"
		return 1
	fi
	if [ -z "$token" ] || [ "$(printf '%s\n' "$token" | wc -l)" -ne 1 ]; then
		echo "# quarry init did not print the admin token alone on stdout: '$token'"
		return 1
	fi
	export QUARRY_HUB=http://127.0.0.1:$PORT
	export QUARRY_TOKEN=$token
	ADMIN_TOKEN=$token
	launch_hub
}

launch_hub() {
	# A second hub would lose track of the first (and /healthz could be the
	# first one answering).
	if [ -n "$HUB_PID" ] && kill -0 "$HUB_PID" 2>/dev/null; then
		fail "launch_hub: the hub $HUB_PID is still running (stop_hub or kill_hub first)"
		return 1
	fi
	# Not through a function: $! must be the hub itself (setpriv execs it).
	if [ -n "${HUB_RUNAS:-}" ]; then
		setpriv --reuid="$HUB_RUNAS" --regid="$HUB_RUNAS" --init-groups -- \
			"$QUARRY_BIN" hub -c hub.ini >>hub.log 2>&1 &
	else
		"$QUARRY_BIN" hub -c hub.ini >>hub.log 2>&1 &
	fi
	HUB_PID=$!
	for _ in $(seq 100); do
		if curl -fsS "$QUARRY_HUB/healthz" >/dev/null 2>&1 && kill -0 "$HUB_PID" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$HUB_PID" 2>/dev/null; then
			echo "# the hub exited:"
			diag "$(tail -n 20 hub.log)"
			HUB_PID=
			return 1
		fi
		sleep 0.1
	done
	echo "# the hub did not answer /healthz within 10 s"
	return 1
}

# stop_hub: SIGTERM; the hub must exit 0 (a crash or a leak report at
# shutdown under ASan is an exit status too). A hub that already died on
# its own fails here as well.
stop_hub() {
	local rc=0
	if [ -n "$HUB_PID" ]; then
		kill "$HUB_PID" 2>/dev/null || true
		wait "$HUB_PID" 2>/dev/null || rc=$?
		HUB_PID=
		if [ "$rc" -ne 0 ]; then
			fail "the hub exits 0 when stopped (got $rc)"
			diag "$(tail -n 20 "$T/hub.log" 2>/dev/null)"
		fi
	fi
}

# kill_hub [SIGNAL]: a crash trial. Kill the hub (SIGKILL by default) and
# wait for it; it must have died of that signal (not of a crash before).
kill_hub() {
	local sig=${1:-KILL} rc=0 want
	want=$((128 + $(kill -l "$sig")))
	if [ -z "$HUB_PID" ]; then
		fail "kill_hub: no hub running"
		return 0
	fi
	kill -"$sig" "$HUB_PID" 2>/dev/null || true
	wait "$HUB_PID" 2>/dev/null || rc=$?
	HUB_PID=
	if [ "$rc" -ne "$want" ]; then
		fail "the hub dies of SIG$sig (exit $want, got $rc)"
		diag "$(tail -n 20 "$T/hub.log" 2>/dev/null)"
	fi
}

restart_hub() {
	stop_hub
	launch_hub
}

# Crash points (the hub's phase markers, src/core/testphase.h). A test that
# uses them exports, before start_hub:
#   QUARRY_TEST_PHASE_LOG=$T/phases.log    the hub appends each phase entered
#   QUARRY_TEST_PHASE_KILL=$T/kill-at      a phase written there: the hub
#                                          SIGKILLs itself on reaching it, once
#   phase_mark                 the phase log's length now (for phase_since)
#   phase_since MARK           the last phase entered after MARK, or "none"
#   arm_crash PHASE            the hub kills itself at PHASE
#   await_hub_crash [SECONDS]  wait for that; it must die of SIGKILL
phase_mark() {
	if [ -f "$QUARRY_TEST_PHASE_LOG" ]; then wc -l <"$QUARRY_TEST_PHASE_LOG"; else echo 0; fi
}

phase_since() {
	local p=
	if [ -f "$QUARRY_TEST_PHASE_LOG" ]; then
		p=$(tail -n +$(($1 + 1)) "$QUARRY_TEST_PHASE_LOG" | tail -n 1 | cut -d' ' -f1)
	fi
	echo "${p:-none}"
}

arm_crash() {
	echo "$1" >"$QUARRY_TEST_PHASE_KILL"
}

await_hub_crash() {
	local limit=${1:-60} rc=0
	for _ in $(seq $((limit * 10))); do
		kill -0 "$HUB_PID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$HUB_PID" 2>/dev/null; then
		fail "the hub reaches the crash point $(cat "$QUARRY_TEST_PHASE_KILL" 2>/dev/null) within ${limit}s"
		rm -f "$QUARRY_TEST_PHASE_KILL"
		kill_hub
		return 0
	fi
	wait "$HUB_PID" 2>/dev/null || rc=$?
	HUB_PID=
	if [ "$rc" -ne 137 ]; then
		fail "the hub dies at the crash point by SIGKILL (exit 137, got $rc)"
		diag "$(tail -n 20 "$T/hub.log")"
	fi
}

# The spec of a tiny package; ARCH noarch gives BuildArch: noarch.
_write_spec() {
	local name=$1 version=$2 release=$3 arch=$4 requires=${5:-} spec=$6
	{
		echo "Name: $name"
		echo "Version: $version"
		echo "Release: $release"
		echo "Summary: Quarry test package $name"
		echo "License: MIT"
		[ "$arch" = noarch ] && echo "BuildArch: noarch"
		[ -n "$requires" ] && echo "Requires: $requires"
		cat <<EOF
%global debug_package %{nil}
%define __os_install_post %{nil}
%define _build_id_links none

%description
A tiny package built by Quarry's integration tests.

%install
mkdir -p %{buildroot}/usr/share/$name
echo "$name $version-$release $arch" > %{buildroot}/usr/share/$name/$name.$arch.txt

%files
/usr/share/$name
EOF
	} >"$spec"
}

# make_rpm NAME VERSION RELEASE ARCH [REQUIRES]: build and print the path.
make_rpm() {
	local name=$1 version=$2 release=$3 arch=$4 requires=${5:-}
	local top=$T/rpmbuild spec rpm
	mkdir -p "$top/SPECS"
	spec=$top/SPECS/$name-$version-$release.$arch.spec
	_write_spec "$name" "$version" "$release" "$arch" "$requires" "$spec"
	if ! rpmbuild -bb --quiet --define "_topdir $top" --target "$arch" "$spec" \
		>"$T/rpmbuild.log" 2>&1; then
		cat "$T/rpmbuild.log" >&2
		return 1
	fi
	rpm=$top/RPMS/$arch/$name-$version-$release.$arch.rpm
	[ -f "$rpm" ] || { echo "make_rpm: $rpm was not built" >&2; return 1; }
	echo "$rpm"
}

# make_srpm NAME VERSION RELEASE: a source RPM, printed path.
make_srpm() {
	local name=$1 version=$2 release=$3
	local top=$T/rpmbuild spec
	mkdir -p "$top/SPECS"
	spec=$top/SPECS/$name-$version-$release.src.spec
	_write_spec "$name" "$version" "$release" noarch "" "$spec"
	rpmbuild -bs --quiet --define "_topdir $top" "$spec" >"$T/rpmbuild.log" 2>&1 || {
		cat "$T/rpmbuild.log" >&2
		return 1
	}
	echo "$top/SRPMS/$name-$version-$release.src.rpm"
}

# dnf_install REPOFILE PKG…: install into a fresh root, kept in $DNF_ROOT.
DNF_N=0
dnf_install() {
	local repofile=$1
	shift
	# mktemp, not a counter: callers often run this in a subshell ($(…), check).
	DNF_ROOT=$(mktemp -d "$T/dnfroot.XXXXXX")
	dnf -y --installroot "$DNF_ROOT" --releasever 9 --setopt=reposdir=/dev/null \
		--config /dev/null --setopt=cachedir="$DNF_ROOT.cache" -c "$repofile" \
		install "$@"
}

# req METHOD URL [CURL_ARGS…]: print the status; the body goes to $T/body.
req() {
	local method=$1 url=$2
	shift 2
	curl -sS -o "$T/body" -w '%{http_code}' -X "$method" "$@" "$url"
}

api() {
	local method=$1 path=$2
	shift 2
	req "$method" "$QUARRY_HUB/api/v1/$path" -H "Authorization: Bearer $QUARRY_TOKEN" "$@"
}

expect_status() {
	local code=$1 got
	shift
	got=$(api "$@") || true
	if [ "$got" = "$code" ]; then
		ok "$1 $2 → $code"
	else
		fail "$1 $2 → $code (got $got)"
		diag "$(head -c 2000 "$T/body")"
	fi
}

# in_repodata DIR NAME: succeeds when the repo at DIR (a published arch
# directory) lists package NAME in its primary metadata. Removed files stay
# in Packages/ for publish.grace_period: the metadata is what counts. A repo
# never published lists nothing.
in_repodata() {
	python3 - "$1" "$2" <<'PY'
import gzip, os, re, sys, xml.etree.ElementTree as ET
d, name = sys.argv[1], sys.argv[2]
if not os.path.exists(d + "/repodata/repomd.xml"):
    sys.exit(1)
ns = {"r": "http://linux.duke.edu/metadata/repo"}
root = ET.parse(d + "/repodata/repomd.xml").getroot()
href = [x.find("r:location", ns).get("href") for x in root.findall("r:data", ns) if x.get("type") == "primary"][0]
sys.exit(0 if re.search(rb"<name>" + re.escape(name.encode()) + rb"</name>", gzip.open(d + "/" + href).read()) else 1)
PY
}

# jget EXPR [FILE]: a value from JSON (python expression on d), default $T/body.
jget() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[2]))
v = eval(sys.argv[1], {"d": d})
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1" "${2:-$T/body}"
}

new_user() {
	q user create "$1" --role "$2" >/dev/null
	q token create --user "$1" --description "test"
}

# A snapshot of what a repo holds: its package list and its repodata.
repo_state() {
	local sig=$1 project=$2 repo=$3
	q repo show "$sig/$project/$repo" --json | python3 -c 'import json, sys
print(sorted(p["sha256"] for p in json.load(sys.stdin).get("packages", [])))'
	find "$DATA/pub/sig" -path "*/$repo/repodata/*" -type f -printf '%P %s %T@\n' 2>/dev/null | sort
}

finish() {
	_final_checks
	if [ "$TESTS_RUN" -eq 0 ]; then
		fail "$TEST_NAME ran no check"
	fi
	FINISHED=1
	echo "1..$TESTS_RUN"
	if [ "$TESTS_FAILED" -ne 0 ]; then
		echo "# $TESTS_FAILED of $TESTS_RUN checks failed in $TEST_NAME"
		exit 1
	fi
	exit 0
}

# ---- builds ----
#
#   qgit DIR ARGS…              git in DIR with a fixed identity, no signing
#   make_git_pkg DIR NAME VERSION RELEASE [BRANCH]
#        a git repository in the rpms layout, committed on BRANCH (default
#        r9-sig-mc-1): SPECS/NAME.spec ("Release: RELEASE%{?dist}"),
#        SOURCES/NAME-README, .NAME.metadata. Tunables (environment):
#          PKG_ARCH=noarch      BuildArch: noarch
#          PKG_REQUIRES=CAP     Requires: CAP
#          PKG_SOURCE0=FILE     Source0: FILE (from the lookaside), installed
#          PKG_METADATA=TEXT    the content of .NAME.metadata (default empty)
#          PKG_BUILD=SHELL      the %build section (default "true")
#   wait_build ID [SECONDS]     poll until the build is no longer building
#                               (default 300 s); prints its final state
#   build_count                 how many builds the hub has stored

qgit() {
	local dir=$1
	shift
	git -C "$dir" -c user.name="Quarry Test" -c user.email=test@quarry.invalid \
		-c commit.gpgsign=false -c tag.gpgsign=false -c init.defaultBranch=main "$@"
}

make_git_pkg() {
	local dir=$1 name=$2 version=$3 release=$4 branch=${5:-r9-sig-mc-1}
	mkdir -p "$dir/SPECS" "$dir/SOURCES"
	qgit "$dir" init -q
	qgit "$dir" checkout -q -b "$branch"
	{
		echo "Name: $name"
		echo "Version: $version"
		echo "Release: $release%{?dist}"
		echo "Summary: Quarry test package $name built from git"
		echo "License: MIT"
		[ "${PKG_ARCH:-}" = noarch ] && echo "BuildArch: noarch"
		[ -n "${PKG_REQUIRES:-}" ] && echo "Requires: ${PKG_REQUIRES}"
		[ -n "${PKG_SOURCE0:-}" ] && echo "Source0: ${PKG_SOURCE0}"
		echo "Source1: $name-README"
		cat <<EOF2
%global debug_package %{nil}
%define __os_install_post %{nil}
%define _build_id_links none

%description
A tiny package built by Quarry's integration tests from git.

%prep

%build
${PKG_BUILD:-true}

%install
mkdir -p %{buildroot}/usr/share/$name
cp %{SOURCE1} %{buildroot}/usr/share/$name/README
EOF2
		[ -n "${PKG_SOURCE0:-}" ] && echo "cp %{SOURCE0} %{buildroot}/usr/share/$name/"
		cat <<EOF2

%files
/usr/share/$name
EOF2
	} >"$dir/SPECS/$name.spec"
	echo "$name $version-$release from git" >"$dir/SOURCES/$name-README"
	printf '%s' "${PKG_METADATA:-}" >"$dir/.$name.metadata"
	qgit "$dir" add -A
	qgit "$dir" commit -q -m "$name $version-$release"
}

wait_build() {
	local id=$1 limit=${2:-300} state
	for _ in $(seq $((limit * 2))); do
		state=$(q build show "$id" --json 2>/dev/null | jget 'd["state"]' /dev/stdin 2>/dev/null) || state=
		if [ -n "$state" ] && [ "$state" != building ]; then
			echo "$state"
			return 0
		fi
		sleep 0.5
	done
	echo "timeout"
	return 1
}

build_count() {
	q build list --json | jget 'len(d["builds"])' /dev/stdin
}

# ---- the generated test distribution (tests/distro/make-distro.sh) ----
# An EL-like RPM repo made of this machine's Debian packages (gcc, make,
# glibc-devel, rpm-build, bash, coreutils…; docs/TESTING.md), cached across
# runs in ${QUARRY_TEST_CACHE:-~/.cache/quarry-test} (the real home: lib.sh
# gives each test its own $HOME).
#   test_distro                   prints the repo's directory (repodata/,
#                                 Packages/), building it first when the
#                                 cache lacks it (output: $T/distro-build.log);
#                                 fails the test when building fails
#   distro_install ROOT PKG…      real dnf from that repo into ROOT (created
#                                 when missing), rpmdb in ROOT/var/lib/rpm
#   distro_run ROOT CMD…          CMD inside ROOT as the build user (uid 1000,
#                                 mockbuild) with bwrap + chroot, no network
test_distro() {
	local cache repo log=$T/distro-build.log
	cache=${QUARRY_TEST_CACHE:-$(getent passwd "$(id -u)" | cut -d: -f6)/.cache/quarry-test}
	if ! repo=$(QUARRY_TEST_CACHE=$cache "$QUARRY_SRC/tests/distro/make-distro.sh" --cached 2>>"$log"); then
		{
			echo "# building the test distribution failed (tests/distro/make-distro.sh --cached); last lines:"
			tail -n 30 "$log" | sed 's/^/#   /'
		} >&2
		return 1
	fi
	echo "$repo"
}

distro_install() {
	local root=$1 repo home=$T/distro-dnf-home
	shift
	repo=$(test_distro)
	mkdir -p "$root" "$home"
	echo '%_dbpath /var/lib/rpm' >"$home/.rpmmacros"
	: >"$T/distro-dnf.conf"
	HOME=$home dnf -y -q --installroot "$root" --releasever 9 \
		--config "$T/distro-dnf.conf" --setopt=reposdir=/dev/null \
		--setopt=cachedir="$root.dnfcache" --setopt=install_weak_deps=False \
		--nogpgcheck --repofrompath=distro,"file://$repo" --repo distro \
		install "$@"
}

distro_run() {
	local root=$1
	shift
	bwrap --bind "$root" / --dev /dev --proc /proc --perms 1777 --tmpfs /tmp \
		--unshare-pid --unshare-ipc --unshare-net --unshare-uts --hostname localhost \
		--unshare-cgroup-try --die-with-parent --cap-drop ALL \
		--cap-add CAP_SETUID --cap-add CAP_SETGID --cap-add CAP_SYS_CHROOT \
		chroot --userspec=1000:1000 / \
		env -i HOME=/builddir PATH=/usr/bin:/usr/sbin LANG=C.UTF-8 USER=mockbuild "$@"
}

# ---- update lifecycle (the t051x tests) ----
#
#   life_setup                  a hub; SIG mc, project mc/el9 (x86_64), repos
#                               cand (candidate) and rel (release; its testing
#                               repo rel-testing comes with the first update);
#                               TOK[member|lead|releng|plain|admin|none] (plain
#                               is in no SIG; none is empty); a policy without checks, waiting or
#                               automatic testing. PUB: the published arch dir.
#   life_build KEY NAME VERSION RELEASE
#                               submit a noarch git build; B[KEY]=its id
#   life_wait                   wait until every build of B completes
#   life_update BUILD…          create an update to rel (as admin); prints its id
#   life_state UPDATE           its state
#   life_snap UPDATE            state, builds, karma, comments, obsoleted_by and
#                               the repomd.xml digests of cand, rel, rel-testing
#   life_call ROLE METHOD PATH [BODY]
#                               call the API as ROLE; prints the status, body in $T/body
#   life_refused DESC ROLE WANT PATTERN UPDATE METHOD PATH [BODY]
#                               the call answers WANT with PATTERN in its body
#                               and changes nothing (life_snap of UPDATE)
#   nevras DIR                  the NEVRAs a published arch dir lists, sorted

life_setup() {
	start_hub "[build]
worker_slots = 3"
	q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
	q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
	q repo create mc/el9/cand --arch x86_64 --channel candidate >/dev/null
	q repo create mc/el9/rel --arch x86_64 --channel release >/dev/null
	declare -gA TOK B
	TOK[member]=$(new_user bob user)
	TOK[lead]=$(new_user alice user)
	TOK[releng]=$(new_user rita releng)
	TOK[plain]=$(new_user pete user)
	TOK[admin]=$ADMIN_TOKEN
	TOK[none]=
	q sig member add mc bob --role member >/dev/null
	q sig member add mc alice --role lead >/dev/null
	q policy set mc/el9 --checks "" --auto-testing false --testing-days 0 \
		--lead-approval false >/dev/null
	PUB=$DATA/pub/sig/9/mc/x86_64
}

life_build() {
	local key=$1 name=$2 version=$3 release=$4
	PKG_ARCH=noarch make_git_pkg "$T/g-$key" "$name" "$version" "$release"
	B[$key]=$(q build mc/el9 "$T/g-$key#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
}

life_wait() {
	local k
	for k in "${!B[@]}"; do
		check "build $k (${B[$k]}) completes" test "$(wait_build "${B[$k]}")" = complete
	done
}

life_update() { q update create mc/el9 rel "$@" --json | jget 'd["id"]' /dev/stdin; }
life_state() { q update show "$1" --json | jget 'd["state"]' /dev/stdin; }

life_snap() {
	q update show "$1" --json | jget '[d["state"], [b["id"] for b in d["builds"]], d["karma"], len(d["comments"]), d["obsoleted_by"], d["revoke_reason"]]' /dev/stdin
	local r
	for r in cand rel rel-testing; do
		if [ -f "$PUB/$r/repodata/repomd.xml" ]; then
			sha256sum "$PUB/$r/repodata/repomd.xml" | cut -d' ' -f1
		else
			echo "$r: none"
		fi
	done
}

life_call() {
	local role=$1 method=$2 path=$3 body=${4:-}
	if [ -n "$body" ]; then
		QUARRY_TOKEN=${TOK[$role]} api "$method" "$path" -H 'Content-Type: application/json' -d "$body" || echo curl-failed
	else
		QUARRY_TOKEN=${TOK[$role]} api "$method" "$path" || echo curl-failed
	fi
}

life_refused() {
	local desc=$1 role=$2 want=$3 pattern=$4 update=$5 method=$6 path=$7 body=${8:-}
	local before after got
	before=$(life_snap "$update")
	got=$(life_call "$role" "$method" "$path" "$body")
	after=$(life_snap "$update")
	if [ "$got" != "$want" ]; then
		fail "$desc: $role → $want (got $got)"
		diag "$(head -c 1500 "$T/body")"
	elif ! grep -Eq -- "$pattern" "$T/body"; then
		fail "$desc: $role → $want says /$pattern/"
		diag "$(head -c 1500 "$T/body")"
	else
		ok "$desc: $role → $want /$pattern/"
	fi
	if [ "$before" = "$after" ]; then
		ok "$desc: nothing changed"
	else
		fail "$desc: nothing changed"
		diag "before: $before" "after: $after"
	fi
}

nevras() {
	python3 - "$1" <<'PY'
import gzip, os, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
if not os.path.exists(d + "/repodata/repomd.xml"):
    sys.exit(0)
ns = {"r": "http://linux.duke.edu/metadata/repo", "c": "http://linux.duke.edu/metadata/common"}
root = ET.parse(d + "/repodata/repomd.xml").getroot()
href = [x.find("r:location", ns).get("href") for x in root.findall("r:data", ns) if x.get("type") == "primary"][0]
out = []
for p in ET.fromstring(gzip.open(d + "/" + href).read()).findall("c:package", ns):
    v = p.find("c:version", ns)
    out.append("%s-%s-%s.%s" % (p.find("c:name", ns).text, v.get("ver"), v.get("rel"), p.find("c:arch", ns).text))
print("\n".join(sorted(out)))
PY
}

# ---- the system's python3 ----
# The tests' python3 (jget, in_repodata, free_port, nevras, the tests' own
# scripts: hundreds of calls in a test) is the system's, /usr/bin/python3:
# the one scripts/install-deps.sh installs modules for, as dnf's is. A
# version manager first on PATH does not get in: pyenv's `python3` is a
# bash shim that costs about ten times what python3 itself costs to start
# (0.47 s of CPU a call against 0.056 s, measured under load): t0060 and
# t0513 side by side took 92 s of CPU with it, 57 s without. A function, so
# PATH (and with it every process the test starts) stays as given.
if [ -x /usr/bin/python3 ]; then
	python3() { /usr/bin/python3 "$@"; }
fi
# --- local mirrors served by nginx (t0610–t0619) ---
# serve_mirror NAME PORT: nginx on 127.0.0.1:PORT serving $T/mirrors/NAME
# (a copy of /pub), its access log in $T/NAME.log. The server's pid is
# added to MIRROR_PIDS; call stop_mirrors from test_cleanup.
MIRROR_PIDS=()
serve_mirror() {
	local name=$1 port=$2 d=$T/nginx-$1 user_line=
	[ "$(id -u)" = 0 ] && user_line="user $(id -un) $(id -gn);"
	mkdir -p "$d/tmp" "$T/mirrors/$name"
	cat >"$d/nginx.conf" <<CONF
$user_line
worker_processes 1;
daemon off;
master_process on;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 64; }
http {
	access_log $T/$name.log;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$port;
		root $T/mirrors/$name;
	}
}
CONF
	nginx -e "$d/error.log" -p "$d" -c "$d/nginx.conf" &
	MIRROR_PIDS+=($!)
	for _ in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
		sleep 0.1
	done
	echo "# nginx for mirror $name did not start:"
	diag "$(cat "$d/error.log")"
	return 1
}
stop_mirrors() {
	local p
	for p in "${MIRROR_PIDS[@]}"; do kill "$p" 2>/dev/null; done
}
# sync_mirror NAME: the mirror now holds a copy of the hub's /pub as it is.
sync_mirror() { mkdir -p "$T/mirrors/$1" && cp -a "$DATA/pub/." "$T/mirrors/$1/"; }
# ---- the web UI's tests (t0650–t0659) ----
#   web_setup      a hub (embedded worker) with demo-like content: SIGs
#                  'web' (title and purpose holding markup) and 'plain',
#                  project web/el9 with repos cand and common (release), two builds from
#                  git (B1 webhello, B2 webother), B1 tagged into cand and
#                  in update UPD (security, lead approval pending), an
#                  uploaded RPM whose summary holds markup, the three mirrors
#                  of tests/data/mirrors.d; WEB=$QUARRY_HUB
#   web_get PATH   GET $WEB/PATH: prints the status; body in $T/page,
#                  headers in $T/headers
web_setup() {
	local spec top rpm
	start_hub "[build]
worker_slots = 2"
	WEB=$QUARRY_HUB
	q sig create web --short-name web --title 'Web <script>alert(1)</script> SIG' \
		--purpose 'Pages "onerror=alert(2) & more' --status active \
		--wiki 'https://wiki.example.org/web?a=1&b="x"' >/dev/null
	q sig create plain --short-name plain --title 'Plain SIG' --purpose 'plain things' >/dev/null
	q project create web/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
	q repo create web/el9/cand --arch x86_64 --channel candidate >/dev/null
	q repo create web/el9/common --arch x86_64 --channel release >/dev/null
	q user create alice --role user >/dev/null
	q sig member add web alice --role lead >/dev/null
	q policy set web/el9 --checks "" --auto-testing false --testing-days 3 \
		--lead-approval true >/dev/null
	PKG_ARCH=noarch make_git_pkg "$T/g1" webhello 1.0 1 r9-sig-web-1
	PKG_ARCH=noarch make_git_pkg "$T/g2" webother 2.0 1 r9-sig-web-1
	B1=$(q build web/el9 "$T/g1#r9-sig-web-1" --json | jget 'd["id"]' /dev/stdin)
	B2=$(q build web/el9 "$T/g2#r9-sig-web-1" --json | jget 'd["id"]' /dev/stdin)
	top=$T/rpmbuild-web
	mkdir -p "$top/SPECS"
	spec=$top/SPECS/webmark.spec
	cat >"$spec" <<'SPEC'
Name: webmark
Version: 1.0
Release: 1.el9.web
Summary: Marked <script>alert(3)</script> "onerror=alert(4)
License: MIT
BuildArch: noarch
%global debug_package %{nil}
%description
A package whose summary holds markup.
%install
mkdir -p %{buildroot}/usr/share/webmark
echo x >%{buildroot}/usr/share/webmark/x
%files
/usr/share/webmark
SPEC
	rpmbuild -bb --quiet --define "_topdir $top" "$spec" >"$T/rpmbuild.log" 2>&1
	rpm=$top/RPMS/noarch/webmark-1.0-1.el9.web.noarch.rpm
	q upload web/el9/cand "$rpm" >/dev/null
	q mirror import "$QUARRY_SRC/tests/data/mirrors.d" >/dev/null
	[ "$(wait_build "$B1")" = complete ] || return 1
	[ "$(wait_build "$B2")" = complete ] || return 1
	q tag "$B1" web/el9/cand >/dev/null
	UPD=$(q update create web/el9 common "$B1" --notes 'first <b>release</b>' --json |
		jget 'd["id"]' /dev/stdin)
}

web_get() {
	curl -sS -o "$T/page" -D "$T/headers" -w '%{http_code}' "$WEB/${1#/}"
}
