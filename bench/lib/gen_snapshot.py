#!/usr/bin/env python3
"""gen_snapshot.py: a synthetic mirror snapshot for bench/metalink.sh.

usage: gen_snapshot.py OUT.json [--mirrors N] [--repos N] [--seed S] [--both-arches]
       [--list-requests FILE]

Writes a snapshot in the format of src/mirror/snapshot.h and prints one
line on stdout naming a representative request: "REPO ARCH IP", where IP
lies inside the subnet of a public mirror that serves REPO (so the answer
has a subnet group, then the global group: the full selection path).
--both-arches: each of the N repos exists for both arches (2N repo/arch
entries) instead of one arch each. --list-requests FILE: write every
"REPO ARCH" pair of the snapshot to FILE, one a line.
Standard library only; the output depends on the seed and flags alone.
"""
import argparse
import json
import random

# Real ISO 3166-1 codes, roughly weighted like a Linux mirror network.
COUNTRIES = [
    ("US", 14), ("DE", 10), ("FR", 5), ("GB", 5), ("NL", 4), ("CZ", 3), ("SE", 3),
    ("CH", 2), ("AT", 2), ("PL", 3), ("IT", 2), ("ES", 2), ("FI", 2), ("NO", 1),
    ("DK", 1), ("BE", 1), ("PT", 1), ("GR", 1), ("RO", 2), ("BG", 1), ("HU", 1),
    ("UA", 1), ("RU", 3), ("TR", 1), ("IL", 1), ("IN", 3), ("CN", 4), ("JP", 3),
    ("KR", 2), ("TW", 1), ("SG", 2), ("ID", 1), ("TH", 1), ("VN", 1), ("AU", 2),
    ("NZ", 1), ("CA", 3), ("MX", 1), ("BR", 3), ("AR", 1), ("CL", 1), ("ZA", 1),
    ("KE", 1), ("EG", 1),
]
ASNS = [2852, 3320, 8075, 13335, 16509, 15169, 24940, 16276, 14061, 6939, 174, 1299,
        3356, 20473, 51167, 197540, 4134, 9808]
SIGS = ["mc", "cloud", "hpc", "core", "altarch", "kernel", "security", "virt", "storage",
        "desktop", "isa", "nvidia", "ai", "web", "db", "java", "go", "rust", "gis", "science"]
REPOS = ["common", "testing", "extras", "devel", "updates"]
ARCHES = ["x86_64", "aarch64"]


def hexd(rng, n):
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--mirrors", type=int, default=1000)
    ap.add_argument("--repos", type=int, default=200)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--both-arches", action="store_true")
    ap.add_argument("--list-requests")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    now = 1_760_000_000

    repos = []
    seen = set()
    while len(repos) < a.repos * (2 if a.both_arches else 1):
        sig, repo, arch = rng.choice(SIGS), rng.choice(REPOS), rng.choice(ARCHES)
        major = rng.choice([8, 9, 10])
        name = "sig-%s-%s-%d" % (sig, repo, major)
        if a.both_arches:
            # Distinct names: repo names alone run short of 200 (20 × 5 × 3 = 300).
            name = "%s-%d" % (name, len(repos) // 2 + 1)
            arches = ARCHES
        else:
            arches = [arch]
        if any((name, x) in seen for x in arches):
            continue
        for arch in arches:
            seen.add((name, arch))
            versions = []
            t = now - rng.randrange(0, 3600)
            for _ in range(rng.randint(1, 4)):  # newest first
                versions.append({"timestamp": t, "size": rng.randint(2000, 9000),
                                 "md5": hexd(rng, 32), "sha1": hexd(rng, 40),
                                 "sha256": hexd(rng, 64), "sha512": hexd(rng, 128)})
                t -= rng.randrange(600, 86400)
            repos.append({"repo": name, "arch": arch,
                          "path": "sig/%d/%s/%s/%s/" % (major, sig, arch, repo),
                          "versions": versions})

    ccs = [c for c, w in COUNTRIES for _ in range(w)]
    mirrors = []
    candidates = []  # (mirror index, network "a.b") of public mirrors with a subnet
    for i in range(a.mirrors):
        host = "mirror%04d.%s.example.net" % (i + 1, rng.choice(["ftp", "dl", "mirrors", "pub"]))
        m = {"name": host}
        kind = rng.random()
        if kind < 0.75:
            m["http"] = "http://%s/almalinux/" % host
            m["https"] = "https://%s/almalinux/" % host
        elif kind < 0.9:
            m["https"] = "https://%s/almalinux/" % host
        else:
            m["http"] = "http://%s/almalinux/" % host
        if rng.random() < 0.3:
            m["rsync"] = "rsync://%s/almalinux/" % host
        if rng.random() < 0.97:
            m["country"] = rng.choice(ccs)
        m["asn"] = rng.sample(ASNS, rng.choice([0, 0, 1, 1, 1, 2]))
        subnets = []
        if rng.random() < 0.25:
            # a public-looking /16 (or /20) per mirror, unique by index
            a1, a2 = 20 + i // 200, i % 200
            subnets.append("%d.%d.0.0/16" % (a1, a2))
            if rng.random() < 0.5:
                subnets.append("%d.%d.16.0/20" % (a1, a2))
            if rng.random() < 0.3:
                subnets.append("2001:db8:%x::/48" % i)
        m["subnets"] = subnets
        m["private"] = bool(subnets) and rng.random() < 0.1
        m["monopoly"] = False
        m["bandwidth"] = rng.choice([10, 100, 100, 1000, 1000, 1000, 10000,
                                     rng.randint(10, 10000)])
        m["ipv4"] = True
        m["ipv6"] = rng.random() < 0.4
        serves = {}
        for r in repos:
            p = rng.random()
            if p < 0.08:
                continue  # not carried
            key = "%s/%s" % (r["repo"], r["arch"])
            vs = r["versions"]
            if p < 0.85 or len(vs) == 1:
                serves[key] = vs[0]["sha256"]
            elif p < 0.96:
                serves[key] = rng.choice(vs[1:])["sha256"]
            else:
                serves[key] = hexd(rng, 64)  # stale: never listed
        m["serves"] = serves
        if subnets and not m["private"]:
            candidates.append((i, subnets[0]))
        mirrors.append(m)

    doc = {"format": "quarry-mirror-snapshot", "version": 1, "built": now,
           "master": "https://hub.example.org", "repos": repos, "mirrors": mirrors}
    with open(a.out, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
    if a.list_requests:
        with open(a.list_requests, "w") as f:
            for r in repos:
                f.write("%s %s\n" % (r["repo"], r["arch"]))

    # The representative request: a repo, and an address in a serving mirror's subnet.
    r = repos[0]
    key = "%s/%s" % (r["repo"], r["arch"])
    for i, net in candidates:
        if mirrors[i]["serves"].get(key) == r["versions"][0]["sha256"]:
            base = net.split("/")[0].split(".")
            print(r["repo"], r["arch"], "%s.%s.%d.%d" % (base[0], base[1], 7, 42))
            return
    print(r["repo"], r["arch"], "192.0.2.1")


if __name__ == "__main__":
    main()
