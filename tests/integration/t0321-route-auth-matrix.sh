#!/bin/bash
# t0321-route-auth-matrix: generated from the route table itself (`quarry
# api-routes`: every route with its declared authorization rule and the
# token scope it needs). Every route is called, against one real hub, by
# every role: no token, a bad token, a worker token, a plain user, the lead
# of another SIG, a member and a lead of the SIG whose objects the path
# names, a release engineer, an admin, and the admin with tokens of scope
# read and build (a route that needs more than the token's scope is
# refused with 403). A role the rule forbids gets 401 (no or bad token) or 403, and the
# call changes nothing (the database, every published repomd.xml); a role
# the rule allows never gets 401 or 403. A route without a rule fails here
# (and in the unit test test_api_routes), as does a rule that a handler
# does not enforce, or enforces after it has changed something.
. "$(dirname "$0")/lib.sh"

start_hub "[build]
worker_slots = 2
[mirror]
crawl_interval = 0"

q api-routes >routes.txt
check "the route table lists routes" test "$(wc -l <routes.txt)" -gt 50
if grep -v -E ' (public|user|self|admin|releng|sig-member|sig-lead|owner-or-sig-lead|worker) (read|build|release)$' routes.txt >undeclared.txt; then
	fail "every route declares a known rule"
	diag "$(cat undeclared.txt)"
else
	ok "every route declares a known rule"
fi

# --- fixtures: a SIG with a candidate repo, a complete build, an update, people ---
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q sig create other --short-name ot --title "Other" --purpose "tests" >/dev/null
q sig create doomed --short-name dm --title "Doomed" --purpose "retired by this test" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/cand --arch x86_64 --channel candidate >/dev/null
q repo create mc/el9/rel --arch x86_64 --channel release >/dev/null
PLAIN=$(new_user plain user)
OTHER=$(new_user olead user)
MEMBER=$(new_user member user)
LEAD=$(new_user lead user)
RELENG=$(new_user rel releng)
VICTIM=$(new_user victim user)
q sig member add other olead --role lead >/dev/null
q sig member add mc member --role member >/dev/null
q sig member add mc lead --role lead >/dev/null
q sig member add mc victim --role member >/dev/null
WORKER=$(q token create --worker wtest --description test)
ADMIN_READ=$(q token create --scope read --description test)
ADMIN_BUILD=$(q token create --scope build --description test)
TOKID=$(q token list --json | jget '[t["id"] for t in d["tokens"] if t["user"] == "victim"][0]' /dev/stdin)
PKG_ARCH=noarch make_git_pkg "$T/g1" auth-one 1.0 1
BID=$(q build mc/el9 "$T/g1#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
check "the build completes" test "$(wait_build "$BID")" = complete
q build show "$BID" --json >build.json
TASKID=$(jget 'd["tasks"][0]["id"]' build.json)
ART=$(jget '[a["name"] for a in d["artifacts"] if a["name"].endswith(".noarch.rpm")][0]' build.json)
q tag "$BID" mc/el9/cand >/dev/null
UID_=$(q update create mc/el9 rel "$BID" --json | jget 'd["id"]' /dev/stdin)
cat >mirror.yml <<'YML'
name: new.example.com
address:
  https: https://new.example.com/almalinux
update_frequency: 6h
sponsor: New Example
sponsor_url: https://new.example.com/
geolocation:
  country: fr
YML
q mirror apply mirror.yml >/dev/null
# Checks finish, then nothing moves by itself: the embedded worker is off.
for _ in $(seq 120); do
	q build show "$BID" --json | jget 'all(c["state"] in ("pass", "fail", "error") for c in d.get("checks", []))' /dev/stdin | grep -q True && break
	sleep 0.5
done
stop_hub
sed -i 's/^worker_slots = 2$/embedded_worker = false/' hub.ini
launch_hub

# --- the matrix ---
python3 - "$QUARRY_HUB" "$DATA" routes.txt >matrix.txt <<PY || true
import hashlib, http.client, json, os, sqlite3, sys, time, urllib.parse

hub, data, routes = sys.argv[1], sys.argv[2], sys.argv[3]
u = urllib.parse.urlparse(hub)
tokens = {
    "none": None, "bad": "qk_" + "0" * 64, "worker": "$WORKER", "plain": "$PLAIN",
    "other-sig": "$OTHER", "member": "$MEMBER", "lead": "$LEAD", "releng": "$RELENG",
    "admin": "$ADMIN_TOKEN", "admin-read": "$ADMIN_READ", "admin-build": "$ADMIN_BUILD",
}
# The scopes a limited token may use, by the scope a route needs.
scoped = {"admin-read": {"read"}, "admin-build": {"read", "build"}}
users = ["plain", "other-sig", "member", "lead", "releng", "admin"]
allowed = {
    "public": set(tokens),
    "user": set(users),
    # self: the test targets the victim's tokens, never the caller's own.
    "self": {"admin"},
    "admin": {"admin"},
    "releng": {"releng", "admin"},
    "sig-member": {"member", "lead", "releng", "admin"},
    "sig-lead": {"lead", "releng", "admin"},
    # the build is the admin's
    "owner-or-sig-lead": {"lead", "releng", "admin"},
    "worker": {"worker"},
}
fill = {"sigs": "mc", "projects": "el9", "repos": "cand", "members": "victim",
        "tokens": "$TOKID", "builds": "$BID", "artifacts": "$ART",
        "mirrors": "new.example.com", "updates": "$UID_", "crawls": "1",
        "upload-sessions": "0123456789abcdef0123456789abcdef", "chains": "1",
        "users": "victim"}
bodies = {
    "POST api/v1/tokens": {"user": "victim"},
    "PUT api/v1/users/*/password": {"password": "victim's password"},
    "POST api/v1/updates/*/promote": {"to": "testing"},
    "POST api/v1/worker/claim": {"name": "wtest", "arches": ["riscv64"]},
    "PUT api/v1/sigs/*/projects/*/buildroot": {"tags": [{"arch": "*", "packages": ["bash"]}]},
}

def path_of(pattern):
    segs = pattern.split("/")
    out = []
    for i, s in enumerate(segs):
        if s != "*":
            out.append(s)
        elif segs[i - 1] == "tasks":
            # the worker protocol acts on tasks it holds: none here
            out.append("999999" if segs[2] == "worker" else "$TASKID")
        elif pattern == "api/v1/sigs/*/retire":
            out.append("doomed")
        else:
            out.append(fill[segs[i - 1]])
    return "/" + "/".join(out)

def crawls_idle(db):
    # A crawl an earlier allowed call queued (a mirror approved or enabled)
    # writes in the background; wait until it ends, so that only the call
    # under test can change the state.
    # The same for checks an earlier allowed call started (POST
    # builds/*/check comes before POST crawls).
    for _ in range(1200):
        n = db.execute("SELECT count(*) FROM crawls WHERE state IN ('queued', 'running')").fetchone()[0]
        n += db.execute("SELECT count(*) FROM checks WHERE state IN ('queued', 'running')").fetchone()[0]
        if n == 0:
            return
        time.sleep(0.05)

def state():
    h = hashlib.sha256()
    db = sqlite3.connect("file:%s/quarry.db?mode=ro" % data, uri=True)
    crawls_idle(db)
    for line in db.iterdump():
        h.update(line.encode())
    db.close()
    for root, dirs, files in sorted(os.walk(data + "/pub")):
        dirs.sort()
        if root.endswith("/repodata") and "repomd.xml" in files:
            h.update(root.encode())
            h.update(open(root + "/repomd.xml", "rb").read())
    return h.hexdigest()

def call(method, path, token, body):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    hdr = {}
    if token:
        hdr["Authorization"] = "Bearer " + token
    data_ = None
    if method in ("POST", "PUT", "PATCH"):
        data_ = json.dumps(body).encode()
        hdr["Content-Type"] = "application/json"
    c.request(method, path, body=data_, headers=hdr)
    r = c.getresponse()
    text = r.read()[:300].decode(errors="replace").replace("\n", " ")
    c.close()
    return r.status, text

table = [l.split() for l in open(routes) if l.strip()]
# Routes whose allowed calls start work in the background (checks, a crawl)
# go last, so that no forbidden call is compared across that work.
late = {"POST api/v1/crawls", "POST api/v1/builds/*/check"}
table.sort(key=lambda t: (t[0] + " " + t[1]) in late)
calls = 0
for method, pattern, rule, need in table:
    key = method + " " + pattern
    path = path_of(pattern)
    body = bodies.get(key, {})
    if rule not in allowed:
        print("FAIL %s: rule '%s' is unknown" % (key, rule))
        continue
    def allows(role):
        if role in scoped:
            return rule == "public" or ("admin" in allowed[rule] and need in scoped[role])
        return role in allowed[rule]
    # Forbidden calls first: an allowed one may start work in the background
    # (a crawl, checks) that a later before/after comparison would see.
    for role in sorted(tokens, key=allows):
        ok = allows(role)
        before = state() if not ok else None
        status, text = call(method, path, tokens[role], body)
        calls += 1
        desc = "%s %s as %s (%s)" % (method, path, role, rule)
        if ok:
            if status in (401, 403):
                print("FAIL %s: allowed, got %d %s" % (desc, status, text))
            else:
                print("OK %s: allowed, %d" % (desc, status))
            continue
        want = 401 if role in ("none", "bad") else 403
        after = state()
        if status != want:
            print("FAIL %s: forbidden, want %d, got %d %s" % (desc, want, status, text))
        elif before != after:
            print("FAIL %s: forbidden (%d) but the state changed" % (desc, status))
        else:
            print("OK %s: forbidden, %d, nothing changed" % (desc, status))
print("CALLS %d" % calls)
PY
n_ok=$(grep -c '^OK ' matrix.txt || true)
n_fail=$(grep -c '^FAIL ' matrix.txt || true)
calls=$(sed -n 's/^CALLS //p' matrix.txt)
routes=$(wc -l <routes.txt)
check "every route × 11 roles was called ($routes routes, ${calls:-0} calls)" test "${calls:-0}" = "$((routes * 11))"
if [ "$n_fail" = 0 ] && [ "$n_ok" = "${calls:-x}" ]; then
	ok "every call answered as its route's rule says ($n_ok calls)"
else
	fail "every call answered as its route's rule says ($n_fail of ${calls:-?} did not)"
	{ grep '^FAIL ' matrix.txt || true; } | head -n 40 | sed 's/^/#   /'
fi
# The matrix itself can fail: a forbidden call that got through is caught.
check "the matrix saw forbidden calls refused" grep -q '^OK POST /api/v1/sigs/mc/projects/el9/repos/cand/packages as other-sig (sig-member): forbidden, 403' matrix.txt
check "a member may not set the build tags" grep -q '^OK PUT /api/v1/sigs/mc/projects/el9/buildroot as member (sig-lead): forbidden, 403' matrix.txt
check "a lead sets the build tags" grep -q '^OK PUT /api/v1/sigs/mc/projects/el9/buildroot as lead (sig-lead): allowed, 200' matrix.txt
check "a read token may not add packages" grep -q '^OK POST /api/v1/sigs/mc/projects/el9/repos/cand/packages as admin-read (sig-member): forbidden, 403' matrix.txt
check "a build token may not set the build tags" grep -q '^OK PUT /api/v1/sigs/mc/projects/el9/buildroot as admin-build (sig-lead): forbidden, 403' matrix.txt
check "a build token adds packages" grep -q '^OK POST /api/v1/sigs/mc/projects/el9/repos/cand/packages as admin-build (sig-member): allowed' matrix.txt
check "… and allowed calls let through" grep -q '^OK POST /api/v1/sigs/mc/projects/el9/repos/cand/packages as member (sig-member): allowed' matrix.txt

finish
