#!/bin/bash
# t0561-lookaside-checkout: the lookaside as fedpkg has it. `lookaside
# upload SIG FILE… --checkout DIR` (new-sources) writes DIR/.NAME.metadata
# (NAME from SPECS/NAME.spec) in the format the hub's import reads, and
# "/SOURCES/FILE" in DIR/.gitignore once; `--append` keeps the other lines.
# The checkout, committed with the tarball in SOURCES/ (ignored), builds.
# `lookaside get [DIR]` (fedpkg sources) downloads a clone's sources into
# SOURCES/ with their hashes checked: a blob with the wrong hash is not
# left; a metadata line naming ../x or /x, or a SOURCES that is a symlink,
# is refused. Progress shows on a terminal for big files, nothing else.
. "$(dirname "$0")/lib.sh"

start_hub
q sig create mc --short-name mc --title "Messaging" --purpose "tests" >/dev/null
q project create mc/el9 --major 9 --variant 1 --arch x86_64 >/dev/null
q repo create mc/el9/cand --arch x86_64 --channel candidate >/dev/null

mkdir -p tb/foo-1.0
echo "the payload of foo" >tb/foo-1.0/payload.txt
tar -C tb -czf foo-1.0.tar.gz foo-1.0
sha=$(sha256sum foo-1.0.tar.gz | cut -d' ' -f1)
echo "extra notes" >foo-extra.txt
sha_x=$(sha256sum foo-extra.txt | cut -d' ' -f1)
CO=$T/co
PKG_ARCH=noarch PKG_SOURCE0=foo-1.0.tar.gz make_git_pkg "$CO" foo 1.0 1

# --- upload --checkout writes the metadata and .gitignore ---
q lookaside upload mc foo-1.0.tar.gz --checkout "$CO" >up.txt
check "upload still prints the line" test "$(cat up.txt)" = "$sha SOURCES/foo-1.0.tar.gz"
check ".foo.metadata is exactly the line" test "$(cat "$CO/.foo.metadata")" = "$sha SOURCES/foo-1.0.tar.gz"
check ".foo.metadata ends with a newline" test "$(tail -c1 "$CO/.foo.metadata" | od -An -c | tr -d ' ')" = '\n'
check ".gitignore has /SOURCES/foo-1.0.tar.gz" grep -qx '/SOURCES/foo-1.0.tar.gz' "$CO/.gitignore"
q lookaside upload mc foo-1.0.tar.gz --checkout "$CO" >/dev/null
check "a second upload adds no duplicate to .gitignore" test "$(grep -c 'foo-1.0.tar.gz' "$CO/.gitignore")" = 1
check "... nor to the metadata" test "$(wc -l <"$CO/.foo.metadata")" = 1
q lookaside upload mc foo-extra.txt --checkout "$CO" --append >/dev/null
check "--append keeps the other file's line and adds the new one" test "$(cat "$CO/.foo.metadata")" = "$sha SOURCES/foo-1.0.tar.gz
$sha_x SOURCES/foo-extra.txt"
check ".gitignore lists both" test "$(grep -c '^/SOURCES/' "$CO/.gitignore")" = 2
q lookaside upload mc foo-1.0.tar.gz --checkout "$CO" >/dev/null
check "without --append the metadata lists exactly the files uploaded (new-sources)" test "$(cat "$CO/.foo.metadata")" = "$sha SOURCES/foo-1.0.tar.gz"
mkdir -p "$T/nospec"
expect_fail 1 "is not a package checkout in the rpms layout" q lookaside upload mc foo-1.0.tar.gz --checkout "$T/nospec"
mkdir -p "$T/nospec/SPECS"
expect_fail 1 "holds 0 .spec files" q lookaside upload mc foo-1.0.tar.gz --checkout "$T/nospec"
expect_fail 2 "--append goes with --checkout" q lookaside upload mc foo-1.0.tar.gz --append

# --- the checkout, with the tarball in SOURCES/ (ignored), commits and builds ---
cp foo-1.0.tar.gz "$CO/SOURCES/"
qgit "$CO" add -A
qgit "$CO" commit -q -m "new sources"
check "git ignores the tarball in SOURCES/" test -z "$(qgit "$CO" ls-files SOURCES/foo-1.0.tar.gz)"
BID=$(q build mc/el9 "$CO#r9-sig-mc-1" --json | jget 'd["id"]' /dev/stdin)
state=$(wait_build "$BID")
check "the checkout builds with its lookaside source (build $BID: $state)" test "$state" = complete

# --- get: a clone's sources, hashes checked, quiet without a terminal ---
git clone -q "$CO" "$T/clone"
check "the clone has no tarball yet" test ! -e "$T/clone/SOURCES/foo-1.0.tar.gz"
q lookaside get "$T/clone" >get.out 2>get.err
check "get downloads the source into SOURCES/" cmp foo-1.0.tar.gz "$T/clone/SOURCES/foo-1.0.tar.gz"
check "get says what it got" grep -qx 'got  SOURCES/foo-1.0.tar.gz' get.out
check "get prints nothing on stderr when it is not a terminal" test ! -s get.err
(cd "$T/clone" && q lookaside get >get2.out)
check "get without DIR uses . and keeps a file whose hash is right" grep -qx 'have SOURCES/foo-1.0.tar.gz' "$T/clone/get2.out"

# --- progress on a terminal, for a big file ---
head -c $((6 << 20)) /dev/urandom >big.bin
q lookaside upload mc big.bin --checkout "$CO" --append >/dev/null
rm -rf "$T/clone2" && cp -r "$CO" "$T/clone2" && rm -f "$T/clone2/SOURCES/"*
script -qec "$QUARRY_BIN lookaside get $T/clone2 >$T/tty.out" "$T/tty.log" >/dev/null
check "on a terminal, get shows progress for the big file" grep -aq 'big.bin: 100% 6 of 6 MiB' "$T/tty.log"
lacks "... and none for the small one" "$T/tty.log" 'foo-1.0.tar.gz: +[0-9]+%'
check "... and downloads it whole" cmp big.bin "$T/clone2/SOURCES/big.bin"
rm -f "$T/clone2/SOURCES/big.bin"
q lookaside get "$T/clone2" >/dev/null 2>get3.err
check "not on a terminal: no progress" test ! -s get3.err

# --- a blob whose hash is wrong is not left ---
blob=$DATA/lookaside/sha256/${sha:0:2}/$sha
check "the hub stores the blob by SHA-256" test -f "$blob"
echo "tampered" >"$blob"
rm -f "$T/clone/SOURCES/foo-1.0.tar.gz"
expect_fail 1 "'SOURCES/foo-1.0.tar.gz' downloaded from .* has SHA-256 [0-9a-f]{64}, but the metadata says $sha: not kept" q lookaside get "$T/clone"
ls -A "$T/clone/SOURCES" >left.txt
lacks "the wrong file is not left in SOURCES/, nor a partial one" left.txt "foo-1[.]0"
cp foo-1.0.tar.gz "$blob"

# --- path safety ---
mkdir -p "$T/evil/SPECS" && touch "$T/evil/SPECS/evil.spec"
for bad in "../x" "/x" "SOURCES/../x" "SOURCES/a/b"; do
	echo "$sha $bad" >"$T/evil/.evil.metadata"
	expect_fail 1 "\.evil\.metadata:1: target '$bad' is not 'SOURCES/FILE'" q lookaside get "$T/evil"
done
check "nothing was written outside the checkout" test ! -e "$T/x" -a ! -e /x
echo "$sha SOURCES/foo-1.0.tar.gz" >"$T/evil/.evil.metadata"
mkdir -p "$T/elsewhere"
ln -s "$T/elsewhere" "$T/evil/SOURCES"
expect_fail 1 "must be a directory, not a symlink" q lookaside get "$T/evil"
check "nothing was written through the symlink" test -z "$(ls -A "$T/elsewhere")"
rm "$T/evil/SOURCES"
echo "$(printf '%064d' 0) SOURCES/nothing.tar.gz" >"$T/evil/.evil.metadata"
expect_fail 1 "'SOURCES/nothing.tar.gz' .* is not in the hub's lookaside" q lookaside get "$T/evil"
check "... and leaves no partial file" test -z "$(ls -A "$T/evil/SOURCES")"
finish
