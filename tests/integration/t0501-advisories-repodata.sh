#!/bin/bash
# t0501-advisories-repodata: what a repo's updateinfo.xml.gz holds and how it
# is published. A security update (Critical, a CVE) of one build: in
# testing, repomd.xml lists updateinfo with the checksum and size of the
# file and of the XML inside, repomd.xml.asc (over that repomd.xml)
# verifies with the SIG key, and the advisory names the package as the
# repo holds it (file name present in Packages/, its SHA-256, the source
# RPM) with Bodhi-style dates. A candidate repo holding the same build has
# no updateinfo. Publishing again changes nothing (the XML is the same
# bytes). Released, the release repo's advisory lists the signed copy
# (its SHA-256, not the build's), status stable, and the testing repo
# drops its updateinfo; dnf with repo_gpgcheck=1 reads it.
. "$(dirname "$0")/lib.sh"

start_hub "[mirror]
crawl_interval = 0
[geoip]
tor_v4 =
tor_v6 ="
q sig create cloud --short-name cloud --title "Cloud" --purpose "tests" >/dev/null
q project create cloud/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create cloud/el9/common --arch x86_64 --channel release >/dev/null
q repo create cloud/el9/cand --arch x86_64 --channel candidate >/dev/null
q policy set cloud/el9 --checks "" --auto-testing false >/dev/null
PUB=$DATA/pub/sig/9/cloud/x86_64
PKG_ARCH=noarch make_git_pkg "$T/g" ad-x 1.0 1 r9-sig-cloud-1
b=$(q build cloud/el9 "$T/g#r9-sig-cloud-1" --json | jget 'd["id"]' /dev/stdin)
check "the build completes" test "$(wait_build "$b")" = complete
q tag "$b" cloud/el9/cand >/dev/null
u=$(q update create cloud/el9 common "$b" --type security --severity Critical --title "ad-x: critical fix" \
	--ref CVE-2026-40001 --json | jget 'd["id"]' /dev/stdin)
q promote "$u" --to testing >/dev/null
ADV=$(q update show "$u" --json | jget 'd["advisory"]' /dev/stdin)

# ui REPODIR: the repodata's updateinfo as JSON (python), checked against the
# files: {"record": {...} or None, "updates": [...]}
ui() {
	python3 - "$1" <<'PY'
import gzip, hashlib, json, os, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
ns = {"r": "http://linux.duke.edu/metadata/repo"}
root = ET.parse(d + "/repodata/repomd.xml").getroot()
out = {"record": None, "updates": []}
for x in root.findall("r:data", ns):
    if x.get("type") != "updateinfo":
        continue
    href = x.find("r:location", ns).get("href")
    raw = open(d + "/" + href, "rb").read()
    xml = gzip.decompress(raw)
    out["record"] = {
        "href": href,
        "checksum_ok": x.findtext("r:checksum", namespaces=ns) == hashlib.sha256(raw).hexdigest(),
        "checksum_type": x.find("r:checksum", ns).get("type"),
        "open_ok": x.findtext("r:open-checksum", namespaces=ns) == hashlib.sha256(xml).hexdigest(),
        "size_ok": int(x.findtext("r:size", namespaces=ns)) == len(raw),
        "open_size_ok": int(x.findtext("r:open-size", namespaces=ns)) == len(xml),
    }
    for e in ET.fromstring(xml).findall("update"):
        pk = []
        for p in e.iter("package"):
            f = p.findtext("filename")
            s = p.find("sum")
            path = d + "/Packages/" + f
            pk.append({"name": p.get("name"), "src": p.get("src"), "filename": f,
                       "sum_type": s.get("type"),
                       "sum_ok": os.path.exists(path) and hashlib.sha256(open(path, "rb").read()).hexdigest() == s.text,
                       "sum": s.text})
        out["updates"].append({"id": e.findtext("id"), "type": e.get("type"), "status": e.get("status"),
            "severity": e.findtext("severity"), "title": e.findtext("title"),
            "issued": e.find("issued").get("date"), "updated": e.find("updated").get("date"),
            "refs": [(r.get("type"), r.get("id")) for r in e.iter("reference")], "packages": pk})
print(json.dumps(out))
PY
}
ui "$PUB/common-testing" >t.json
diag "$(cat t.json)"
check "testing: repomd.xml lists updateinfo" test "$(jget 'd["record"] is not None' t.json)" = True
check "… with the file's sha256 and size" test "$(jget '[d["record"][k] for k in ("checksum_ok", "size_ok", "checksum_type")]' t.json)" = '[true, true, "sha256"]'
check "… and the XML's (open-checksum, open-size)" test "$(jget '[d["record"]["open_ok"], d["record"]["open_size_ok"]]' t.json)" = '[true, true]'
jget 'd["record"]["href"]' t.json >href.txt
check "… named by its checksum, in repodata/" grep -Eq '^repodata/[0-9a-f]{64}-updateinfo\.xml\.gz$' href.txt
check "one advisory: id, type, severity, title, status" \
	test "$(jget '[(x["id"], x["type"], x["severity"], x["title"], x["status"]) for x in d["updates"]]' t.json)" = \
	"[[\"$ADV\", \"security\", \"Critical\", \"ad-x: critical fix\", \"testing\"]]"
jget 'd["updates"][0]["issued"] + "|" + d["updates"][0]["updated"]' t.json >dates.txt
check "dates as YYYY-MM-DD HH:MM:SS" \
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' dates.txt
check "the CVE reference" test "$(jget 'd["updates"][0]["refs"]' t.json)" = '[["cve", "CVE-2026-40001"]]'
check "the package as the repo holds it (name, source RPM, file, sha256 of Packages/ file)" \
	test "$(jget '[(p["name"], p["src"], p["filename"], p["sum_type"], p["sum_ok"]) for p in d["updates"][0]["packages"]]' t.json)" = \
	'[["ad-x", "ad-x-1.0-1.el9.cloud.src.rpm", "ad-x-1.0-1.el9.cloud.noarch.rpm", "sha256", true]]'
# The signature is over the repomd.xml that lists it.
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/cloud/key"
mkdir -p gnupg && chmod 700 gnupg
gpg --homedir "$T/gnupg" --batch --quiet --import key.asc 2>/dev/null
check "repomd.xml.asc verifies with the SIG key" \
	gpg --homedir "$T/gnupg" --batch --verify "$PUB/common-testing/repodata/repomd.xml.asc" "$PUB/common-testing/repodata/repomd.xml"
check "… and would not for another repomd.xml" bash -c "sed 's/updateinfo/updateinfX/' '$PUB/common-testing/repodata/repomd.xml' >other.xml; ! gpg --homedir '$T/gnupg' --batch --verify '$PUB/common-testing/repodata/repomd.xml.asc' other.xml 2>/dev/null"
ui "$PUB/cand" >c.json
check "a candidate repo with the same build has no updateinfo" test "$(jget 'd["record"]' c.json)" = None
check "… while it holds the package" in_repodata "$PUB/cand" ad-x

q publish cloud/el9/common-testing --json >pub.json
check "publishing again changes nothing (same XML, same digest)" test "$(jget '[r["changed"] for r in d["results"]]' pub.json)" = '[false]'

q promote "$u" --to release >/dev/null
ui "$PUB/common" >r.json
ui "$PUB/common-testing" >t2.json
check "released: the release repo's advisory, status stable" \
	test "$(jget '[(x["id"], x["status"]) for x in d["updates"]]' r.json)" = "[[\"$ADV\", \"stable\"]]"
art=$(q build show "$b" --json | jget '[a["sha256"] for a in d["artifacts"] if a["name"].endswith(".noarch.rpm")][0]' /dev/stdin)
check "… lists the signed copy the release repo holds (its sha256, not the build's)" \
	test "$(jget '[(p["sum_ok"], p["sum"] != "'"$art"'") for p in d["updates"][0]["packages"]]' r.json)" = '[[true, true]]'
check "the testing repo carries no update: no updateinfo" test "$(jget 'd["record"]' t2.json)" = None
cat >rel.repo <<REPO
[cloud-common]
name=cloud common
baseurl=$QUARRY_HUB/pub/sig/9/cloud/x86_64/common/
gpgcheck=1
repo_gpgcheck=1
gpgkey=file://$T/key.asc
REPO
if dnf_install rel.repo ad-x >install.log 2>&1; then
	ok "dnf installs the released package (gpgcheck=1, repo_gpgcheck=1)"
else
	fail "dnf installs the released package (gpgcheck=1, repo_gpgcheck=1)"
	diag "$(tail -n 5 install.log)"
fi
dnf -y --installroot "$DNF_ROOT" --releasever 9 --setopt=reposdir=/dev/null --config /dev/null \
	--setopt=cachedir="$DNF_ROOT.cache" -c rel.repo updateinfo list --installed >inst.txt 2>&1 || true
diag "$(cat inst.txt)"
check "dnf reads the release repo's advisory: installed" grep -Eq "^$ADV +Critical/Sec\. +ad-x-1\.0-1\.el9\.cloud\.noarch" inst.txt
finish
