#!/bin/bash
# t0040-upload-publish-dnf: the happy path. A SIG, a project, a repo; upload
# a noarch and an x86_64 RPM; the signed repodata appears under /pub and
# the real dnf installs both with repo_gpgcheck=1 against the SIG's key.
# Publishing an unchanged repo writes nothing; the history has the sizes
# and the four hashes; a tampered repomd.xml is refused by dnf.
. "$(dirname "$0")/lib.sh"

# The release package (t0220) is off: this test counts what common holds.
start_hub "[release_pkg]
repo ="

check "sig create" q sig create mc --short-name mc --title "Messaging and Communication" --purpose "Chat"
check "project create" q project create mc/el9 --major 9 --variant 1 --arch x86_64
q project show mc/el9 --json >p.json
[ "$(jget 'd["dist_tag"]' p.json)" = .el9.mc ] && ok "dist tag .el9.mc" || fail "dist tag .el9.mc"
[ "$(jget 'd["branch"]' p.json)" = r9-sig-mc-1 ] && ok "branch r9-sig-mc-1" || fail "branch r9-sig-mc-1"
check "repo create" q repo create mc/el9/common --arch x86_64 --channel candidate
[ "$(jget 'd["path"]' <(q repo show mc/el9/common --json))" = "/pub/sig/9/mc/ARCH/common/" ] && ok "repo path" || fail "repo path"

noarch=$(make_rpm mc-hello 1.0 1.el9.mc noarch)
x86=$(make_rpm mc-tool 2.0 1.el9.mc x86_64 "mc-hello")
q upload mc/el9/common "$noarch" "$x86" >upload.txt 2>upload.err || { fail "upload"; diag "$(cat upload.txt upload.err)"; }
grep -q "^accepted mc-hello-1.0-1.el9.mc.noarch" upload.txt && ok "accepted mc-hello" || { fail "accepted mc-hello"; diag "$(cat upload.txt)"; }
grep -q "^accepted mc-tool-2.0-1.el9.mc.x86_64" upload.txt && ok "accepted mc-tool" || fail "accepted mc-tool"
grep -q "x86_64 .*changed" upload.txt && ok "upload published x86_64" || fail "upload published x86_64"

# The published tree.
base=$QUARRY_HUB/pub/sig/9/mc/x86_64/common
dir=$DATA/pub/sig/9/mc/x86_64/common
for f in repodata/repomd.xml repodata/repomd.xml.asc; do
	code=$(req GET "$base/$f")
	[ "$code" = 200 ] && ok "GET $f → 200" || fail "GET $f → 200 (got $code)"
done
curl -fsS "$base/repodata/repomd.xml" -o repomd.xml
curl -fsS "$base/repodata/repomd.xml.asc" -o repomd.xml.asc
cmp -s repomd.xml "$dir/repodata/repomd.xml" && ok "served repomd.xml is DATA/pub's" || fail "served repomd.xml is DATA/pub's"
for p in mc-hello-1.0-1.el9.mc.noarch.rpm mc-tool-2.0-1.el9.mc.x86_64.rpm; do
	if find "$dir/Packages" -name "$p" | grep -q .; then ok "Packages/ has $p"; else fail "Packages/ has $p"; fi
done
grep -q 'type="primary"' repomd.xml && grep -q 'type="filelists"' repomd.xml && grep -q 'type="other"' repomd.xml &&
	ok "repomd.xml lists primary, filelists, other" || fail "repomd.xml lists primary, filelists, other"

# The signature verifies with the SIG's public key.
q sig key mc >RPM-GPG-KEY-quarry-mc
mkdir -m 700 gpghome
gpg --homedir gpghome --batch --quiet --import RPM-GPG-KEY-quarry-mc 2>/dev/null
if gpg --homedir gpghome --batch --verify repomd.xml.asc repomd.xml 2>gpg.out; then ok "repomd.xml.asc verifies"; else fail "repomd.xml.asc verifies"; diag "$(cat gpg.out)"; fi
gpgconf --homedir gpghome --kill all >/dev/null 2>&1 || true

# dnf installs both, checking the repo signature.
cat >my.repo <<REPO
[quarry-mc-common]
name=Quarry test mc common
baseurl=$base/
enabled=1
gpgcheck=0
repo_gpgcheck=1
gpgkey=file://$T/RPM-GPG-KEY-quarry-mc
metadata_expire=0
REPO
if dnf_install my.repo mc-hello mc-tool >dnf1.log 2>&1; then ok "dnf installs mc-hello and mc-tool"; else fail "dnf installs mc-hello and mc-tool"; diag "$(tail -n 20 dnf1.log)"; fi
if rpm --root "$DNF_ROOT" -q mc-hello mc-tool >/dev/null 2>&1; then ok "both are in the rpmdb"; else fail "both are in the rpmdb"; fi
[ -f "$DNF_ROOT/usr/share/mc-tool/mc-tool.x86_64.txt" ] && ok "mc-tool's file is installed" || fail "mc-tool's file is installed"

# Publishing an unchanged repo writes nothing.
mtime=$(stat -c %y "$dir/repodata/repomd.xml")
inode=$(stat -c %i "$dir/repodata/repomd.xml")
sha_before=$(sha256sum "$dir/repodata/repomd.xml" | cut -d' ' -f1)
sleep 1.1
q publish mc/el9/common >pub.txt
grep -q "x86_64 .*unchanged" pub.txt && ok "publish reports unchanged" || { fail "publish reports unchanged"; diag "$(cat pub.txt)"; }
q publish mc/el9/common --json >pub.json
[ "$(jget '[r["changed"] for r in d["results"]]' pub.json)" = '[false]' ] && ok "publish --json: changed false" || { fail "publish --json: changed false"; diag "$(cat pub.json)"; }
[ "$(jget 'd["results"][0]["sha256"]' pub.json)" = "$sha_before" ] && ok "publish reports the repomd sha256" || fail "publish reports the repomd sha256"
check "publish everything (admin)" q publish
[ "$(stat -c %y "$dir/repodata/repomd.xml")" = "$mtime" ] && ok "repomd.xml mtime unchanged" || fail "repomd.xml mtime unchanged"
[ "$(stat -c %i "$dir/repodata/repomd.xml")" = "$inode" ] && ok "repomd.xml inode unchanged" || fail "repomd.xml inode unchanged"

# History: size, timestamp and the four hashes of the published repomd.xml.
q repo history mc/el9/common --json >hist.json
[ "$(jget 'len(d["publishes"])' hist.json)" = 1 ] && ok "history has one publish" || { fail "history has one publish"; diag "$(cat hist.json)"; }
[ "$(jget 'd["publishes"][0]["arch"]' hist.json)" = x86_64 ] && ok "  … for x86_64" || fail "  … for x86_64"
[ "$(jget 'd["publishes"][0]["repomd_size"]' hist.json)" = "$(stat -c %s "$dir/repodata/repomd.xml")" ] && ok "  … repomd_size" || fail "  … repomd_size"
[ "$(jget 'd["publishes"][0]["packages"]' hist.json)" = 2 ] && ok "  … 2 packages" || fail "  … 2 packages"
[[ $(jget 'd["publishes"][0]["timestamp"]' hist.json) =~ ^[0-9]+$ ]] && ok "  … timestamp" || fail "  … timestamp"
for h in md5 sha1 sha256 sha512; do
	want=$(${h}sum "$dir/repodata/repomd.xml" | cut -d' ' -f1)
	[ "$(jget "d['publishes'][0]['$h']" hist.json)" = "$want" ] && ok "  … $h" || fail "  … $h"
done
q repo history mc/el9/common >hist.txt
for h in md5 sha1 sha256 sha512; do
	grep -q "$(${h}sum "$dir/repodata/repomd.xml" | cut -d' ' -f1)" hist.txt && ok "history text shows $h" || fail "history text shows $h"
done
grep -q "$(stat -c %s "$dir/repodata/repomd.xml")" hist.txt && ok "history text shows the size" || fail "history text shows the size"

# A new package changes the repo: a second history entry, newest first.
check "upload a third package" q upload mc/el9/common "$(make_rpm mc-extra 1 1.el9.mc noarch)"
q repo history mc/el9/common --json >hist2.json
[ "$(jget 'len(d["publishes"])' hist2.json)" = 2 ] && ok "history has two publishes" || fail "history has two publishes"
[ "$(jget 'd["publishes"][0]["packages"]' hist2.json)" = 3 ] && ok "  … newest first, 3 packages" || fail "  … newest first, 3 packages"
[ "$(jget 'd["publishes"][0]["sha256"]' hist2.json)" = "$(sha256sum "$dir/repodata/repomd.xml" | cut -d' ' -f1)" ] &&
	ok "  … matching the new repomd.xml" || fail "  … matching the new repomd.xml"
[ "$(jget 'len(d["packages"])' <(q repo show mc/el9/common --json))" = 3 ] && ok "repo show lists 3 packages" || fail "repo show lists 3 packages"
if dnf_install my.repo mc-extra >dnf2.log 2>&1; then ok "dnf installs mc-extra from the new repodata"; else fail "dnf installs mc-extra"; diag "$(tail -n 20 dnf2.log)"; fi

# Tamper with the published repomd.xml: dnf (fresh cache) refuses the repo.
cp "$dir/repodata/repomd.xml" repomd.orig
printf 'x' >>"$dir/repodata/repomd.xml"
if dnf_install my.repo mc-hello >dnf3.log 2>&1; then
	fail "dnf refuses a tampered repomd.xml"
	diag "$(tail -n 20 dnf3.log)"
else
	ok "dnf refuses a tampered repomd.xml"
	grep -qiE "gpg|signature|verif" dnf3.log && ok "  … because of the signature" || { fail "  … because of the signature"; diag "$(tail -n 10 dnf3.log)"; }
fi
cat repomd.orig >"$dir/repodata/repomd.xml"
if dnf_install my.repo mc-hello >dnf4.log 2>&1; then ok "dnf accepts the restored repomd.xml"; else fail "dnf accepts the restored repomd.xml"; diag "$(tail -n 20 dnf4.log)"; fi

finish
