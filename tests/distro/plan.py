#!/usr/bin/env python3
# plan.py: the planning half of make-distro.sh (read that first).
#
#   plan.py debs            print "name version" of every Debian package the
#                           distribution is made of (the cache key's input)
#   plan.py specs WORKDIR   write WORKDIR/SPECS/*.spec and their file lists
#
# One RPM is made of one or more installed Debian packages (GROUPS), under
# an EL name where specs use one. The Debian packages that the groups' ELF
# files need (DT_NEEDED, followed to the owning package, until nothing new
# appears) become RPMs too, under their Debian names (or an EL name from
# ALIASES). Paths are rewritten to where they are on this merged-/usr
# system; the `filesystem` RPM owns /bin, /sbin, /lib, /lib64 as symlinks.
import glob
import os
import re
import subprocess
import sys

# rpm name, Debian packages (all must be installed), optional Debian
# packages (merged in when installed), extra spec lines.
GROUPS = [
    ("bash", ["bash"], [], ["Provides: /bin/sh", "Requires(pre): setup"]),
    ("coreutils", ["coreutils"], [], []),
    ("sed", ["sed"], [], []),
    ("grep", ["grep"], [], []),
    ("gawk", ["gawk"], [], ["Provides: /bin/awk /usr/bin/awk"]),
    ("findutils", ["findutils"], [], []),
    ("diffutils", ["diffutils"], [], []),
    ("tar", ["tar"], [], []),
    ("gzip", ["gzip"], [], []),
    ("xz", ["xz-utils"], [], []),
    ("cpio", ["cpio"], [], []),
    ("patch", ["patch"], [], []),
    ("make", ["make"], [], []),
    ("file", ["file"], [], []),
    ("file-libs", ["libmagic1", "libmagic-mgc"], [], []),
    ("zstd", ["zstd"], [], []),
    ("libzstd", ["libzstd1"], [], []),
    ("xz-libs", ["liblzma5"], [], []),
    ("gcc", ["gcc-12", "gcc", "libgcc-12-dev"], [],
     ["Provides: cc /usr/bin/cc", "Requires: glibc-devel binutils cpp"]),
    ("cpp", ["cpp-12", "cpp"], [], []),
    ("binutils", ["binutils", "binutils-x86-64-linux-gnu", "binutils-common",
                  "libbinutils"],
     ["libctf0", "libctf-nobfd0", "libgprofng0", "libsframe0", "libsframe1"], []),
    ("glibc", ["libc6", "libc-bin"], [],
     ["Provides: rtld(GNU_HASH) glibc-common glibc-minimal-langpack",
      "Requires: filesystem setup"]),
    ("glibc-devel", ["libc6-dev", "linux-libc-dev", "libcrypt-dev"], [],
     ["Provides: glibc-headers kernel-headers libxcrypt-devel"]),
    ("libgcc", ["libgcc-s1"], [], []),
    ("rpm", ["rpm", "rpm-common", "rpm2cpio"], [], []),
    ("rpm-libs", ["librpm9", "librpmio9"], [], []),
    ("rpm-build-libs", ["librpmbuild9"], [], []),
    ("rpm-sign-libs", ["librpmsign9"], [], []),
    ("debugedit", ["debugedit"], [], []),
    ("elfutils", ["elfutils"], [], []),
    ("elfutils-libs", ["libdw1"], [], []),
    ("elfutils-libelf", ["libelf1"], [], []),
    ("popt", ["libpopt0"], [], []),
    ("lua-libs", ["liblua5.3-0"], [], []),
    ("zlib", ["zlib1g"], [], []),
    ("bzip2-libs", ["libbz2-1.0"], [], []),
    ("libxcrypt", ["libcrypt1"], [], []),
    ("ncurses-libs", ["libtinfo6"], [], []),
    ("readline", ["libreadline8"], ["readline-common"], []),
]

# EL names for Debian packages that only the closure brings in.
ALIASES = {
    "libacl1": "libacl", "libattr1": "libattr", "libselinux1": "libselinux",
    "libpcre2-8-0": "pcre2", "libgmp10": "gmp", "libmpfr6": "mpfr",
    "libmpc3": "libmpc", "libisl23": "isl", "libssl3": "openssl-libs",
    "libcap2": "libcap", "libsqlite3-0": "sqlite-libs",
    "libgcrypt20": "libgcrypt", "libgpg-error0": "libgpg-error",
    "libaudit1": "audit-libs", "libcap-ng0": "libcap-ng",
    "libsigsegv2": "libsigsegv", "libmpfr6": "mpfr", "libzstd1": "libzstd",
    "libarchive13": "libarchive", "libnettle8": "nettle",
    "libxml2": "libxml2", "libffi8": "libffi", "libgomp1": "libgomp",
    "libstdc++6": "libstdc++", "libjansson4": "jansson",
    "libdebuginfod1": "elfutils-debuginfod-client", "libcurl3-gnutls": "libcurl",
}

# Files made by maintainer scripts or alternatives: in no dpkg list.
EXTRA_LINKS = {
    "bash": [("/usr/bin/sh", "bash")],
    "gawk": [("/usr/bin/awk", "gawk")],
    "gcc": [("/usr/bin/cc", "gcc")],
}

SKIP_PREFIXES = ("/usr/share/doc/", "/usr/share/man/", "/usr/share/info/",
                 "/usr/share/locale/", "/usr/share/lintian/", "/usr/share/bug/",
                 "/usr/share/bash-completion/", "/usr/share/doc-base/",
                 "/usr/share/gdb/", "/usr/share/mime/")
MERGED = ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
LIBDIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
           "/usr/lib/x86_64-linux-gnu/gconv"]
# Interpreters and generated dependencies outside the set.
REQUIRES_EXCLUDE = (r"^(/bin/dash|/usr/bin/dash|/usr/bin/perl|/bin/perl|"
                    r"/usr/bin/python.*|/bin/python.*|perl[(].*|perl|python.*|"
                    r"/usr/bin/tclsh.*|/usr/bin/wish.*|/bin/ksh|/usr/bin/guile.*|"
                    r"/usr/bin/lua.*|/usr/bin/make -f)$")


def die(msg):
    sys.stderr.write("plan.py: " + msg + "\n")
    sys.exit(1)


def installed():
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${Version}\t${db:Status-Abbrev}\n"],
        check=True, capture_output=True, text=True).stdout
    vers = {}
    for line in out.splitlines():
        name, ver, status = line.split("\t")
        if status.startswith("ii"):
            vers[name] = ver
    return vers


def dpkg_list(deb):
    for f in ("/var/lib/dpkg/info/%s.list" % deb, "/var/lib/dpkg/info/%s:amd64.list" % deb):
        if os.path.exists(f):
            with open(f) as fh:
                return [l.rstrip("\n") for l in fh if l.strip()]
    die("no file list for Debian package %s" % deb)


def real_path(p):
    for m in MERGED:
        if p == m or p.startswith(m + "/"):
            if os.path.islink(m):
                return "/usr" + p, True
    return p, False


def owners():
    """Every path on the system (rewritten to /usr) -> its Debian package."""
    own = {}
    for f in glob.glob("/var/lib/dpkg/info/*.list"):
        deb = os.path.basename(f)[:-5].split(":")[0]
        with open(f) as fh:
            for l in fh:
                p, _ = real_path(l.rstrip("\n"))
                own.setdefault(p, deb)
    return own


def files_of(deb):
    """(path, old_merged_path_or_None) of the regular files and symlinks."""
    res = []
    for p in dpkg_list(deb):
        rp, moved = real_path(p)
        if rp.startswith(SKIP_PREFIXES):
            continue
        if not os.path.lexists(rp):
            continue  # dpkg path-exclude (docs) or removed
        if os.path.isdir(rp) and not os.path.islink(rp):
            continue
        res.append((rp, p if moved else None))
    return res


def is_elf(p):
    if os.path.islink(p) or not os.path.isfile(p):
        return False
    try:
        with open(p, "rb") as fh:
            return fh.read(4) == b"\x7fELF"
    except OSError:
        return False


def needed(paths):
    """{soname} NEEDED by the ELF files (readelf, in batches)."""
    sonames = set()
    runpaths = set()
    paths = sorted(paths)
    for i in range(0, len(paths), 200):
        out = subprocess.run(["readelf", "-dW"] + paths[i:i + 200],
                             capture_output=True, text=True).stdout
        for m in re.finditer(r"\((NEEDED|RUNPATH|RPATH)\)\s+\S+(?: \w+)?: \[([^\]]*)\]", out):
            if m.group(1) == "NEEDED":
                sonames.add(m.group(2))
            else:
                runpaths.update(x for x in m.group(2).split(":") if x.startswith("/"))
    return sonames, runpaths


def closure(vers, own):
    """[(rpm, [debs], extra)] for the groups plus what their ELF files need."""
    groups = []
    taken = set()
    for name, debs, opt, extra in GROUPS:
        for d in debs:
            if d not in vers:
                die("Debian package %s is not installed (run scripts/install-deps.sh)" % d)
        use = debs + [d for d in opt if d in vers]
        groups.append((name, use, extra))
        taken.update(use)
    todo = [d for g in groups for d in g[1]]
    seen_elf = set()
    unresolved = set()
    while todo:
        elfs = set()
        for d in todo:
            for p, _ in files_of(d):
                if p not in seen_elf and is_elf(p):
                    elfs.add(p)
        seen_elf |= elfs
        todo = []
        sonames, runpaths = needed(elfs)
        for so in sorted(sonames):
            path = None
            for d in LIBDIRS + sorted(runpaths):
                if os.path.lexists(os.path.join(d, so)):
                    path = os.path.join(d, so)
                    break
            if path is None:
                unresolved.add(so)
                continue
            deb = own.get(path) or own.get(os.path.realpath(path))
            if deb is None:
                unresolved.add(so)
                continue
            if deb not in taken:
                taken.add(deb)
                todo.append(deb)
                groups.append((ALIASES.get(deb, deb), [deb], []))
    if unresolved:
        sys.stderr.write("plan.py: sonames with no owner (left out): %s\n" % " ".join(sorted(unresolved)))
    return groups


def rpm_version(v):
    epoch = ""
    if ":" in v:
        epoch, v = v.split(":", 1)
    if "-" in v:
        ver, rel = v.rsplit("-", 1)
    else:
        ver, rel = v, "0"
    clean = lambda s: re.sub(r"[^A-Za-z0-9._+~^]", ".", s)
    return epoch, clean(ver), clean(rel)


def spec_path(p):
    q = p.replace("%", "%%")
    # rpm globs %files lines; a lone "[" (coreutils) is taken literally.
    return '"%s"' % q


def write_specs(work):
    vers = installed()
    own = owners()
    groups = closure(vers, own)
    os.makedirs(os.path.join(work, "SPECS"), exist_ok=True)
    claimed = set()
    names = []
    for name, debs, extra in groups:
        files, old = [], []
        for d in debs:
            for p, o in files_of(d):
                if p in claimed:
                    continue
                claimed.add(p)
                files.append(p)
                if o:
                    old.append(o)
        links = [l for l in EXTRA_LINKS.get(name, []) if l[0] not in claimed]
        claimed.update(l[0] for l in links)
        # Old paths of commands (/bin/X, /sbin/X) stay resolvable.
        provides = sorted({o for o in old if re.match(r"^/s?bin/[^/]+$", o)})
        epoch, ver, rel = rpm_version(vers[debs[0]])
        listfile = os.path.join(work, "SPECS", name + ".files")
        with open(listfile, "w") as fh:
            fh.write("".join(p + "\n" for p in files))
        with open(os.path.join(work, "SPECS", name + ".spec"), "w") as fh:
            w = lambda s="": fh.write(s + "\n")
            w("Name: " + name)
            if epoch:
                w("Epoch: " + epoch)
            w("Version: " + ver)
            w("Release: " + rel)
            w("Summary: Debian's %s as an RPM" % " ".join(debs))
            w("License: Debian")
            for d in debs:
                w("Provides: debian(%s)" % d)
            for o in provides:
                w("Provides: " + o)
            for e in extra:
                w(e)
            if name not in ("filesystem", "setup"):
                w("Requires(pre): filesystem")
            w("%description")
            w("Made by Quarry's tests/distro/make-distro.sh from the Debian packages")
            w(" ".join("%s %s" % (d, vers[d]) for d in debs) + ".")
            w("%install")
            # Hard links when the build directory is on the root's file
            # system (nothing writes to them: no brp scripts, no strip),
            # else a copy.
            w("mkdir -p %{buildroot}")
            w("if ! xargs -r -d '\\n' -a %s cp -P -l --parents -t %%{buildroot} 2>/dev/null; then" % listfile)
            w("  rm -rf %{buildroot}; mkdir -p %{buildroot}")
            w("  tar -C / --no-recursion -cf - -T %s | tar -C %%{buildroot} -xpf -" % listfile)
            w("fi")
            for link, target in links:
                w("mkdir -p %%{buildroot}%s" % os.path.dirname(link))
                w("ln -sfn %s %%{buildroot}%s" % (target, link))
            w("%files")
            for p in files:
                w(spec_path(p))
            for link, _ in links:
                w(spec_path(link))
        names.append(name)
    return names


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "debs":
        vers = installed()
        groups = closure(vers, owners())
        for d in sorted({d for g in groups for d in g[1]}):
            print(d, vers[d])
    elif len(sys.argv) == 3 and sys.argv[1] == "specs":
        for n in write_specs(sys.argv[2]):
            print(n)
    else:
        die("usage: plan.py debs | plan.py specs WORKDIR")


if __name__ == "__main__":
    main()
