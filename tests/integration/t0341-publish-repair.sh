#!/bin/bash
# t0341-publish-repair: `quarry publish` answers "unchanged" only when the
# directory is as the last publish left it. After a change on disk that no
# publish made it rewrites the repo, whole (check_repo.py: every file
# repomd.xml lists matches, every package of primary.xml is in Packages/
# with its checksum, repomd.xml.asc verifies): repodata/ removed,
# repomd.xml replaced by another repo's, a listed metadata file removed, one
# changed in place (same size), a Packages/ file removed. A Packages/ file
# replaced by other bytes under its name is put right by a publish with
# ?force=1. A publish of an intact repo stays "unchanged" and writes
# nothing (repomd.xml keeps its inode).
. "$(dirname "$0")/lib.sh"

start_hub
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/main --arch x86_64 --channel candidate >/dev/null
q repo create mc/el9/other --arch x86_64 --channel candidate >/dev/null
curl -fsS -o key.asc "$QUARRY_HUB/api/v1/sigs/mc/key"
q upload mc/el9/main "$(make_rpm mc-one 1.0 1.el9.mc noarch)" \
	"$(make_rpm mc-two 1.0 1.el9.mc noarch)" >/dev/null
q upload mc/el9/other "$(make_rpm mc-three 1.0 1.el9.mc noarch)" >/dev/null
R=$DATA/pub/sig/9/mc/x86_64/main
O=$DATA/pub/sig/9/mc/x86_64/other

# changed: what `quarry publish mc/el9/main` answers ("True" or "False").
changed() { q publish mc/el9/main --json | jget 'd["results"][0]["changed"]' /dev/stdin; }
# whole: the repo at $R verifies (files, checksums, signature).
whole() { python3 "$QUARRY_SRC/tests/integration/check_repo.py" "$R" key.asc >/dev/null; }
# newest: the repomd.xml SHA-256 of main's newest publish in its history.
newest() { q repo history mc/el9/main --json | jget 'd["publishes"][0]["sha256"]' /dev/stdin; }
ino() { stat -c %i "$R/repodata/repomd.xml"; }
listed() { # the location of metadata KIND in main's repomd.xml
	python3 - "$R" "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"r": "http://linux.duke.edu/metadata/repo"}
for d in ET.parse(sys.argv[1] + "/repodata/repomd.xml").getroot().findall("r:data", ns):
    if d.get("type") == sys.argv[2]:
        print(d.find("r:location", ns).get("href"))
PY
}

check "main is whole after the upload" whole
i0=$(ino)
check "an intact repo: unchanged" test "$(changed)" = False
check "an intact repo: repomd.xml not rewritten" test "$(ino)" = "$i0"

# repair DESC: publish answers changed, the repo is whole again, its
# repomd.xml is the newest publish's, and the next publish is unchanged.
repair() {
	local desc=$1 c
	c=$(changed)
	check "$desc: publish rewrites it (changed, got $c)" test "$c" = True
	check "$desc: the repo is whole again" whole
	check "$desc: repomd.xml is the newest publish's" \
		test "$(sha256sum <"$R/repodata/repomd.xml" | cut -d' ' -f1)" = "$(newest)"
	check "$desc: then unchanged" test "$(changed)" = False
}

rm -rf "$R/repodata"
repair "repodata/ removed"

cp "$O/repodata/repomd.xml" "$R/repodata/repomd.xml.new"
mv "$R/repodata/repomd.xml.new" "$R/repodata/repomd.xml"
rm -f "$R/repodata/repomd.xml.asc"
cp "$O/repodata/repomd.xml.asc" "$R/repodata/repomd.xml.asc"
# The other repo's files, so that this repomd.xml is consistent in itself.
for f in "$O"/repodata/*.xml.gz; do ln -f "$f" "$R/repodata/"; done
repair "repomd.xml replaced by another repo's"

rm -f "$R/$(listed primary)"
repair "primary removed"

f=$R/$(listed filelists)
python3 - "$f" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0xff
open(p + ".x", "wb").write(b)
PY
mv "$f.x" "$f"
repair "filelists changed in place, same size"

rm -f "$R/Packages/mc-two-1.0-1.el9.mc.noarch.rpm"
repair "a Packages/ file removed"

p=$R/Packages/mc-one-1.0-1.el9.mc.noarch.rpm
want=$(sha256sum <"$p" | cut -d' ' -f1)
cp "$(make_rpm mc-one 1.0 1.el9.mc noarch)" "$p.x"
check "the stand-in has other bytes" test "$(sha256sum <"$p.x" | cut -d' ' -f1)" != "$want"
mv "$p.x" "$p"
# An unchanged publish does not stat packages (docs/ARCHITECTURE.md: the
# cost); one with ?force=1 compares every Packages/ file with its store file.
check "a Packages/ file replaced by other bytes: publish ?force=1" \
	test "$(api POST "sigs/mc/projects/el9/repos/main/publish?force=1")" = 200
check "the published file has the uploaded bytes again" \
	test "$(sha256sum <"$p" | cut -d' ' -f1)" = "$want"
check "the repo is whole" whole
check "then unchanged" test "$(changed)" = False

finish
