#!/bin/bash
# t0190-signer: `quarry signer` as its own user (quarry-signer) holding the
# keys, the hub as another (quarry-hub) with [signing] socket. The signer
# refuses a key directory others may use or that another user owns; SIG
# creation makes the key in the signer; a publish signs repomd.xml there and
# it verifies against the published key; the hub's user can read neither
# the key directory nor a private key file, and no API answer holds private
# key material; over the real socket the signer refuses a text file and an
# RPM as repomd.xml, a text file as an RPM, and garbage, and signs a real RPM
# that rpmkeys verifies; a user outside the socket's group cannot connect.
# Rotation (by the SIG's lead; a member is refused): the new key signs the
# next publish, the old key file is still served, GET keys lists both. With
# the signer stopped (SIGTERM: clean exit, socket removed) or frozen
# (SIGSTOP: the timeout), uploads, publishes, SIG creation and rotation fail
# naming the signer, and the repodata does not change.
# Runs as root (it creates the two system users); skips otherwise (under
# CI a skip fails).
. "$(dirname "$0")/lib.sh"

if [ "$(id -u)" != 0 ] || ! command -v useradd >/dev/null || ! command -v setpriv >/dev/null; then
	skip "needs root, useradd and setpriv to run the signer and the hub as their own users"
fi
for u in quarry-signer quarry-hub; do
	if ! id "$u" >/dev/null 2>&1 &&
		! useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$u" 2>useradd.err; then
		skip "cannot create user $u: $(cat useradd.err)"
	fi
done
# The hub reaches the socket through the signer's group, and nothing more.
usermod -a -G quarry-signer quarry-hub

as_signer() { setpriv --reuid=quarry-signer --regid=quarry-signer --init-groups -- "$@"; }
as_hubuser() { setpriv --reuid=quarry-hub --regid=quarry-hub --init-groups -- "$@"; }

chmod 755 "$T"
install -d -o quarry-signer -g quarry-signer -m 755 "$T/signer"
install -d -o quarry-signer -g quarry-signer -m 750 "$T/run"
install -d -o quarry-hub -g quarry-hub -m 755 "$DATA" "$T/out"
KEYS=$T/signer/keys
SOCK=$T/run/signer.sock
SIGNER_PID=

start_signer() {
	# Not through a function: $! must be the signer itself (setpriv execs it).
	setpriv --reuid=quarry-signer --regid=quarry-signer --init-groups -- \
		"$QUARRY_BIN" signer --keys "$KEYS" --socket "$SOCK" --socket-mode 0660 \
		--socket-group quarry-signer >>signer.log 2>&1 &
	SIGNER_PID=$!
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$SIGNER_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# the signer did not start:"
	diag "$(tail -n 20 signer.log)"
	return 1
}
stop_signer() {
	local rc=0
	if [ -n "$SIGNER_PID" ]; then
		kill -CONT "$SIGNER_PID" 2>/dev/null || true
		kill "$SIGNER_PID" 2>/dev/null || true
		wait "$SIGNER_PID" 2>/dev/null || rc=$?
		SIGNER_PID=
	fi
	return $rc
}
test_cleanup() {
	stop_signer
	# the signer stops its own gpg-agent; this is for a signer that was killed
	[ -d "$KEYS" ] && as_signer gpgconf --homedir "$KEYS" --kill all >/dev/null 2>&1
	if [ "$TESTS_FAILED" -ne 0 ] && [ -s "$T/signer.log" ]; then
		echo "# last lines of signer.log:"
		tail -n 20 "$T/signer.log" | sed 's/^/#   /'
	fi
}
client() { as_hubuser "$QUARRY_BIN" signer-client --socket "$SOCK" --timeout 10 "$@"; }

# ---- the key directory must be the signer's alone ----
install -d -o quarry-signer -g quarry-signer -m 750 "$T/signer/open"
expect_fail 1 "mode 0750: group or others may use it; run 'chmod 700" \
	as_signer "$QUARRY_BIN" signer --keys "$T/signer/open" --socket "$T/run/x.sock"
install -d -o root -g root -m 700 "$T/rootkeys"
expect_fail 1 "owned by uid 0, not by this user" \
	as_signer "$QUARRY_BIN" signer --keys "$T/rootkeys" --socket "$T/run/x.sock"
[ ! -e "$T/run/x.sock" ] && ok "a refused signer leaves no socket" || fail "a refused signer leaves no socket"

start_signer
[ "$(stat -c '%a %U %G' "$KEYS")" = "700 quarry-signer quarry-signer" ] && ok "keys: 0700, the signer's" ||
	fail "keys: 0700, the signer's (got $(stat -c '%a %U %G' "$KEYS"))"
[ "$(stat -c '%a %U %G' "$SOCK")" = "660 quarry-signer quarry-signer" ] && ok "socket: 0660, group quarry-signer" ||
	fail "socket: 0660, group quarry-signer (got $(stat -c '%a %U %G' "$SOCK"))"
expect_fail 1 "another signer is listening" \
	as_signer "$QUARRY_BIN" signer --keys "$KEYS" --socket "$SOCK"

HUB_RUNAS=quarry-hub start_hub "
[signing]
socket = $SOCK
timeout = 3s
key_algo = rsa2048
[build]
embedded_worker = false"
[ "$(ps -o user= -p "$HUB_PID")" = quarry-hub ] && ok "the hub runs as quarry-hub" || fail "the hub runs as quarry-hub"
[ ! -e "$DATA/keys" ] && ok "the hub has no key directory" || fail "the hub has no key directory"

# ---- a SIG's key is made in the signer ----
check "sig create" q sig create mc --short-name mc --title "Messaging" --purpose "Chat"
FPR=$(q sig show mc --json | jget 'd["key_fingerprint"]' /dev/stdin)
grep -q "generated key $FPR" signer.log && ok "the signer generated $FPR" || fail "the signer generated the key"
as_signer gpg --homedir "$KEYS" --batch --list-secret-keys "$FPR" >/dev/null 2>&1 &&
	ok "the secret key is in the signer's keyring" || fail "the secret key is in the signer's keyring"
check "project create" q project create mc/el9 --major 9 --variant 1 --arch x86_64
check "repo create" q repo create mc/el9/common --arch x86_64
# A release repo: uploads go in by an admin's override, which the policy allows.
check "the policy allows uploads into release" q policy set mc/el9 --uploads-release true

rpm1=$(make_rpm mc-hello 1.0 1.el9.mc noarch)
check "upload + publish" q upload mc/el9/common "$rpm1" --override "signer test"
dir=$DATA/pub/sig/9/mc/x86_64/common
base=$QUARRY_HUB/pub/sig/9/mc/x86_64/common
curl -fsS "$QUARRY_HUB/pub/sig/keys/RPM-GPG-KEY-quarry-mc" -o key1.asc
curl -fsS "$QUARRY_HUB/pub/sig/keys/RPM-GPG-KEY-quarry-mc-${FPR: -16}" -o key1-fpr.asc &&
	cmp -s key1.asc key1-fpr.asc && ok "RPM-GPG-KEY-quarry-mc-${FPR: -16} is the same key" ||
	fail "RPM-GPG-KEY-quarry-mc-${FPR: -16} is the same key"
verify() { # verify KEYFILE: repomd.xml.asc as served, against KEYFILE alone
	# As librepo does: a good signature by the known key, and no bad one (a
	# signature by a key the client does not have is not an error).
	local home status rc=1
	home=$(mktemp -d "$T/gpg.XXXXXX")
	if curl -fsS "$base/repodata/repomd.xml" -o "$home/repomd.xml" &&
		curl -fsS "$base/repodata/repomd.xml.asc" -o "$home/repomd.xml.asc" &&
		gpg --homedir "$home" --batch --quiet --import "$1" 2>/dev/null; then
		status=$(gpg --homedir "$home" --batch --status-fd 1 --verify "$home/repomd.xml.asc" \
			"$home/repomd.xml" 2>/dev/null || true)
		if grep -q '^\[GNUPG:\] GOODSIG' <<<"$status" && ! grep -q '^\[GNUPG:\] BADSIG' <<<"$status"; then
			rc=0
		fi
	fi
	gpgconf --homedir "$home" --kill all >/dev/null 2>&1
	return $rc
}
verify key1.asc && ok "repomd.xml.asc verifies with the published key" || fail "repomd.xml.asc verifies with the published key"

# ---- the hub's user cannot reach the keys ----
if as_hubuser ls "$KEYS" >ls.out 2>&1; then fail "quarry-hub cannot list the keys"; else ok "quarry-hub cannot list the keys"; fi
grep -q "Permission denied" ls.out && ok "  … permission denied" || { fail "  … permission denied"; diag "$(cat ls.out)"; }
n=0
for f in "$KEYS"/private-keys-v1.d/*; do
	n=$((n + 1))
	if as_hubuser cat "$f" >/dev/null 2>&1; then fail "quarry-hub reads $(basename "$f")"; fi
done
[ "$n" -ge 1 ] && ok "quarry-hub can read none of the $n private key files" || fail "there are private key files"
# The same command as the signer lists the key: the refusal below is the user's.
check "  (quarry-signer lists the secret key with gpg)" bash -c "setpriv --reuid=quarry-signer --regid=quarry-signer --init-groups -- gpg --homedir '$KEYS' --batch --list-secret-keys | grep -q '$FPR'"
if as_hubuser gpg --homedir "$KEYS" --batch --list-secret-keys >/dev/null 2>&1; then
	fail "quarry-hub cannot use the keyring with gpg"
else
	ok "quarry-hub cannot use the keyring with gpg"
fi
if setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$QUARRY_BIN" signer-client --socket "$SOCK" export "$FPR" >nobody.out 2>&1; then
	fail "a user outside the socket's group cannot connect"
else
	grep -q "is not answering: Permission denied" nobody.out && ok "a user outside the socket's group cannot connect" ||
		{ fail "a user outside the socket's group cannot connect"; diag "$(cat nobody.out)"; }
fi

# ---- what the signer accepts, over its real socket ----
echo "please sign this" >notes.txt
chmod 644 notes.txt
cp "$dir/repodata/repomd.xml" real-repomd.xml
expect_fail 1 "the signer signs only RPM packages and repomd.xml documents: this is not a repomd.xml" \
	client sign-detached "$FPR" "$T/notes.txt" "$T/out/notes.asc"
expect_fail 1 "the signer signs only RPM packages and repomd.xml documents: this is an RPM package" \
	client sign-detached "$FPR" "$rpm1" "$T/out/rpm.asc"
expect_fail 1 "the signer signs only RPM packages and repomd.xml documents: 'notes.txt' is not an RPM file" \
	client sign-rpm "$FPR" "$T/notes.txt" "$T/out/notes.rpm"
expect_fail 1 "the signer signs only RPM packages and repomd.xml documents" \
	client sign-rpm "$FPR" "$T/real-repomd.xml" "$T/out/repomd.rpm"
[ -z "$(ls -A "$T/out")" ] &&
	ok "refusals write nothing" || fail "refusals write nothing"
python3 - "$SOCK" <<'PY' 2>/dev/null || true
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n" + b"x" * 1000)
try:
    s.recv(100)
except OSError:
    pass
PY
grep -q "does not speak the signer protocol" signer.log && ok "garbage on the socket is dropped" || fail "garbage on the socket is dropped"
check "a repomd.xml is signed (the signer still answers)" client sign-detached "$FPR" "$T/real-repomd.xml" "$T/out/real-repomd.xml.asc"
rpm2=$(make_rpm mc-extra 1.0 1.el9.mc noarch)
chmod 644 "$rpm2"
check "sign-rpm of a real RPM" client sign-rpm "$FPR" "$rpm2" "$T/out/signed.rpm"
mkdir rpmroot
rpmkeys --root "$T/rpmroot" --import key1.asc
if rpmkeys --root "$T/rpmroot" --checksig "$T/out/signed.rpm" >checksig.out 2>&1 && grep -q "signatures OK" checksig.out; then
	ok "rpmkeys --checksig: signatures OK with the published key"
else
	fail "rpmkeys --checksig: signatures OK with the published key"
	diag "$(cat checksig.out)"
fi
if rpmkeys --root "$T/rpmroot" --checksig "$rpm2" 2>/dev/null | grep -q "signatures OK"; then
	fail "the unsigned RPM has no signature"
else
	ok "the unsigned RPM has no signature"
fi

# ---- no API answer holds private key material ----
: >answers.txt
for p in sigs sigs/mc sigs/mc/key sigs/mc/keys audit sigs/mc/projects/el9/repos/common \
	sigs/mc/projects/el9/repos/common/history; do
	api GET "$p" >/dev/null
	cat "$T/body" >>answers.txt
done
cat key1.asc >>answers.txt
grep -q "BEGIN PGP PUBLIC KEY BLOCK" answers.txt && ok "answers hold the public key" || fail "answers hold the public key"
! grep -qi "PRIVATE KEY" answers.txt && ok "no answer holds PRIVATE KEY" || fail "no answer holds PRIVATE KEY"
# The signer (and what it runs) holds no network socket: every socket of its
# processes is a unix one.
net_sockets() {
	local pids inodes
	pids="$1 $(pgrep -P "$1" | tr '\n' ' ' || true)"
	inodes=$(for p in $pids; do ls -l "/proc/$p/fd" 2>/dev/null || true; done | sed -n 's/.*socket:\[\([0-9]*\)\].*/\1/p' | sort -u)
	for i in $inodes; do
		if cat /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 /proc/net/raw /proc/net/raw6 2>/dev/null |
			awk -v i="$i" '$10 == i {f = 1} END {exit !f}'; then
			echo "$i"
		fi
	done
	true
}
found=$(net_sockets "$SIGNER_PID")
[ -z "$found" ] && ok "the signer holds no network socket" || { fail "the signer holds no network socket"; diag "$found" "$(ls -l /proc/$SIGNER_PID/fd)"; }
check "  (the same probe finds the hub's TCP listener)" test -n "$(net_sockets "$HUB_PID")"

# ---- rotation ----
LEAD=$(new_user lead1 user)
MEMBER=$(new_user member1 user)
q sig member add mc lead1 --role lead >/dev/null
q sig member add mc member1 >/dev/null
QUARRY_TOKEN=$MEMBER expect_status 403 POST sigs/mc/keys/rotate
QUARRY_TOKEN=$LEAD q sig key-rotate mc >rotate.txt 2>&1 && ok "the SIG's lead rotates its key" ||
	{ fail "the SIG's lead rotates its key"; diag "$(cat rotate.txt)"; }
FPR2=$(q sig show mc --json | jget 'd["key_fingerprint"]' /dev/stdin)
[ -n "$FPR2" ] && [ "$FPR2" != "$FPR" ] && ok "a new key: $FPR2" || fail "a new key"
grep -q "$FPR2" rotate.txt && ok "key-rotate prints the new key" || fail "key-rotate prints the new key"
grep -q "new key $FPR2 for sig 'mc' (rotation)" signer.log && ok "the signer made it" || fail "the signer made it"
api GET sigs/mc/keys >/dev/null
cp "$T/body" keys.json
[ "$(jget 'len(d["keys"])' keys.json)" = 2 ] && ok "GET keys lists 2 keys" || { fail "GET keys lists 2 keys"; diag "$(cat keys.json)"; }
[ "$(jget '[k["fpr"] for k in d["keys"]]' keys.json)" = "[\"$FPR\", \"$FPR2\"]" ] && ok "  … oldest first" || fail "  … oldest first"
[[ $(jget 'd["keys"][0]["retired"]' keys.json) =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ ]] && ok "  … the old one retired" || fail "  … the old one retired"
[ "$(jget 'd["keys"][1]["retired"]' keys.json)" = None ] && ok "  … the new one current" || fail "  … the new one current"
q sig keys mc >keys.txt
grep -q "$FPR .*RPM-GPG-KEY-quarry-mc-${FPR: -16}" keys.txt && grep -q "$FPR2 .*current" keys.txt &&
	ok "quarry sig keys shows both" || { fail "quarry sig keys shows both"; diag "$(cat keys.txt)"; }
# (the whole answer first: grep -q stops at the newest entry, and the rest
# written into a closed pipe would fail the pipeline)
q audit --json >audit.json
grep -q '"sig.key.rotate"' audit.json && ok "audit: sig.key.rotate" || fail "audit: sig.key.rotate"
curl -fsS "$QUARRY_HUB/pub/sig/keys/RPM-GPG-KEY-quarry-mc" -o key2.asc
curl -fsS "$QUARRY_HUB/pub/sig/keys/RPM-GPG-KEY-quarry-mc-${FPR: -16}" -o key1-again.asc &&
	cmp -s key1.asc key1-again.asc && ok "the old key is still served" || fail "the old key is still served"
curl -fsS "$QUARRY_HUB/pub/sig/keys/RPM-GPG-KEY-quarry-mc-${FPR2: -16}" -o key2-fpr.asc &&
	cmp -s key2.asc key2-fpr.asc && ok "RPM-GPG-KEY-quarry-mc is the new key" || fail "RPM-GPG-KEY-quarry-mc is the new key"
! cmp -s key1.asc key2.asc && ok "  … not the old one" || fail "  … not the old one"
q publish mc/el9/common >pub.txt 2>&1
grep -q "changed" pub.txt && ok "the next publish rewrites the repo" || { fail "the next publish rewrites the repo"; diag "$(cat pub.txt)"; }
verify key2.asc && ok "repomd.xml.asc verifies with the new key" || fail "repomd.xml.asc verifies with the new key"
# signing.rotation_overlap (30 days by default): the old key signs repomd.xml
# too, so a client whose sig-SIG-release still holds only the old key verifies.
verify key1.asc && ok "repomd.xml.asc verifies with the old key alone too (overlap)" || fail "repomd.xml.asc verifies with the old key alone too (overlap)"
[ "$(grep -c 'BEGIN PGP SIGNATURE' "$dir/repodata/repomd.xml.asc")" = 1 ] &&
	ok "  … one armored block holding both signatures" || fail "  … one armored block holding both signatures"

# ---- the signer stopped: everything that signs fails, naming it; nothing changes ----
snapshot() { (cd "$dir" && find repodata -type f -printf '%P %s %T@\n' | sort && sha256sum repodata/repomd.xml repodata/repomd.xml.asc); }
snapshot >before.txt
if stop_signer; then ok "SIGTERM: the signer exits 0"; else fail "SIGTERM: the signer exits 0"; fi
grep -q "signer: stopping" signer.log && ok "  … after saying so" || fail "  … after saying so"
[ ! -e "$SOCK" ] && ok "  … and removes its socket" || fail "  … and removes its socket"
rpm3=$(make_rpm mc-third 1.0 1.el9.mc noarch)
t0=$(date +%s)
expect_fail 1 "the signer at '$SOCK' is not answering" q upload mc/el9/common "$rpm3" --override "signer test"
# (The refused upload left the repo as it was: a forced publish must sign.)
code=$(api POST "sigs/mc/projects/el9/repos/common/publish?force=1")
[ "$code" = 500 ] && grep -q "the signer at '$SOCK' is not answering" "$T/body" &&
	ok "a forced publish fails, naming the signer" ||
	{ fail "a forced publish fails, naming the signer (got $code)"; diag "$(cat "$T/body")"; }
expect_fail 1 "cannot create a signing key for sig 'other': the signer at '$SOCK' is not answering" \
	q sig create other --short-name ot --title Other --purpose Other
expect_fail 1 "cannot rotate the key of sig 'mc': the signer at '$SOCK' is not answering" q sig key-rotate mc
[ $(($(date +%s) - t0)) -le 5 ] && ok "  … at once" || fail "  … at once"
snapshot >after.txt
cmp -s before.txt after.txt && ok "the repodata did not change" || { fail "the repodata did not change"; diag "$(diff before.txt after.txt)"; }
[ "$(q sig keys mc --json | jget 'len(d["keys"])' /dev/stdin)" = 2 ] && ok "the key history did not change" || fail "the key history did not change"
if q sig show other >/dev/null 2>&1; then fail "no SIG 'other'"; else ok "no SIG 'other'"; fi
q sig key mc >key-down.asc 2>&1 && cmp -s key-down.asc key2.asc &&
	ok "the SIG's key is still served (from its published file)" ||
	{ fail "the SIG's key is still served (from its published file)"; diag "$(cat key-down.asc)"; }

# ---- a frozen signer: the timeout (3 s) ends the wait ----
start_signer
kill -STOP "$SIGNER_PID"
t0=$(date +%s)
code=$(api POST "sigs/mc/projects/el9/repos/common/publish?force=1")
[ "$code" = 500 ] && grep -q "the signer at '$SOCK' is not answering: timed out" "$T/body" &&
	ok "a forced publish times out, naming the signer" ||
	{ fail "a forced publish times out, naming the signer (got $code)"; diag "$(cat "$T/body")"; }
[ $(($(date +%s) - t0)) -le 10 ] && ok "  … within the timeout" || fail "  … within the timeout"
snapshot >after2.txt
cmp -s before.txt after2.txt && ok "the repodata did not change" || fail "the repodata did not change"
kill -CONT "$SIGNER_PID"

# ---- back: the dirty repo publishes, signed with the new key ----
check "upload with the signer back (signed on its way into the release repo)" q upload mc/el9/common "$rpm3" --override "signer test"
verify key2.asc && ok "repomd.xml.asc verifies with the new key" || fail "repomd.xml.asc verifies with the new key"
curl -fsS "$base/repodata/repomd.xml" -o repomd-final.xml
zcat "$dir"/repodata/*-primary.xml.gz | grep "<name>mc-third</name>" >/dev/null && ok "mc-third is published" || fail "mc-third is published"

finish
