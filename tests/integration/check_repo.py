#!/usr/bin/env python3
"""check_repo.py REPODIR [KEYFILE]: verify that a published repo is whole.

repodata/repomd.xml parses; every file it lists exists with the size and
SHA-256 it states; primary.xml lists only packages present in Packages/
with their checksums; repomd.xml.asc (when KEYFILE is given) verifies with
gpgv against that key. Prints the package count; exits 1 with the reason
otherwise.
"""
import gzip
import hashlib
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

NS = {"r": "http://linux.duke.edu/metadata/repo", "c": "http://linux.duke.edu/metadata/common"}


def die(msg):
    print("check_repo: " + msg)
    sys.exit(1)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main():
    repo = sys.argv[1]
    repomd = os.path.join(repo, "repodata", "repomd.xml")
    if not os.path.isfile(repomd):
        die("no repomd.xml in " + repo)
    root = ET.parse(repomd).getroot()
    primary = None
    for data in root.findall("r:data", NS):
        loc = data.find("r:location", NS).get("href")
        path = os.path.join(repo, loc)
        if not os.path.isfile(path):
            die("repomd.xml lists %s, which is missing" % loc)
        csum = data.find("r:checksum", NS)
        if csum.get("type") == "sha256" and sha256(path) != csum.text:
            die("%s does not match its checksum" % loc)
        size = data.find("r:size", NS)
        if size is not None and os.path.getsize(path) != int(size.text):
            die("%s has the wrong size" % loc)
        if data.get("type") == "primary":
            primary = path
    if primary is None:
        die("repomd.xml has no primary")
    proot = ET.fromstring(gzip.open(primary).read())
    n = 0
    for pkg in proot.findall("c:package", NS):
        loc = pkg.find("c:location", NS).get("href")
        path = os.path.join(repo, loc)
        if not os.path.isfile(path):
            die("primary lists %s, which is missing" % loc)
        if sha256(path) != pkg.find("c:checksum", NS).text:
            die("%s does not match its checksum in primary" % loc)
        n += 1
    if int(proot.get("packages")) != n:
        die("primary says %s packages but lists %d" % (proot.get("packages"), n))
    if len(sys.argv) > 2:
        with tempfile.TemporaryDirectory() as d:
            ring = os.path.join(d, "ring.gpg")
            subprocess.run(["gpg", "--batch", "--quiet", "--homedir", d, "--no-default-keyring",
                            "--keyring", ring, "--import", sys.argv[2]], check=True,
                           stderr=subprocess.DEVNULL)
            r = subprocess.run(["gpgv", "--keyring", ring, repomd + ".asc", repomd],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if r.returncode != 0:
                die("repomd.xml.asc does not verify")
    print(n)


main()
