#!/usr/bin/env python3
"""check_provenance.py SCHEMA_DIR STATEMENT.json: validate a provenance
statement against tests/schemas/in-toto-statement-v1.json and
tests/schemas/slsa-provenance-v1.json with python3-jsonschema and format
checking on.

Format checking must really check: "uri" comes from jsonschema's own
checker (python3-rfc3987 behind it); "date-time" from a strict RFC 3339
checker below when the installed jsonschema has none (Debian 12's needs a
module Debian does not package). Before the statement, the script shows
that the checker rejects a bad URI, a bad time and a local time, and that
the schemas reject a statement broken in each way the specs forbid; a
checker that accepts everything would make a pass mean nothing.

Prints "valid" or every error with its JSON path; exits 0 or 1 (2 when
the validator itself cannot run).
"""
import copy
import datetime
import json
import os
import re
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker
except ImportError as e:  # the harness reports this as a failed check
    print("check_provenance: python3-jsonschema is missing (%s): run scripts/install-deps.sh" % e)
    sys.exit(2)

RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$"
)


def rfc3339(value):
    """RFC 3339 section 5.6 date-time: the grammar, then the ranges."""
    if not isinstance(value, str):
        return True
    m = RFC3339.match(value)
    if not m:
        return False
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    if m.group(9) is not None and (int(m.group(9)) > 23 or int(m.group(10)) > 59):
        return False
    if s > 60 or h > 23 or mi > 59:
        return False
    try:
        datetime.date(y, mo, d)
    except ValueError:
        return False
    return True


def checker():
    fc = FormatChecker()
    if "date-time" not in fc.checkers:
        fc.checks("date-time")(rfc3339)
    return fc


def die(msg, code=1):
    print("check_provenance: " + msg)
    sys.exit(code)


def validator(schema_dir):
    with open(os.path.join(schema_dir, "in-toto-statement-v1.json")) as f:
        stmt = json.load(f)
    with open(os.path.join(schema_dir, "slsa-provenance-v1.json")) as f:
        prov = json.load(f)
    Draft202012Validator.check_schema(stmt)
    Draft202012Validator.check_schema(prov)
    try:  # jsonschema >= 4.18
        from referencing import Registry, Resource

        reg = Registry().with_resources(
            [(s["$id"], Resource.from_contents(s)) for s in (stmt, prov)]
        )
        return Draft202012Validator(prov, registry=reg, format_checker=checker())
    except ImportError:  # Debian 12's 4.10
        res = jsonschema.RefResolver.from_schema(prov, store={stmt["$id"]: stmt, prov["$id"]: prov})
        return Draft202012Validator(prov, resolver=res, format_checker=checker())


def errors(v, doc):
    return sorted(
        "%s: %s" % ("/".join(str(p) for p in e.absolute_path) or "(top)", e.message)
        for e in v.iter_errors(doc)
    )


def format_self_test():
    """The format checker refuses what RFC 3986 and RFC 3339 refuse."""
    fc = checker()
    for value, fmt in (("quarry", "uri"), ("git+/tmp/repo@main", "uri"), ("1700000000", "date-time"),
                       ("2026-02-30T00:00:00Z", "date-time"), ("2026-12-03 13:00:00Z", "date-time")):
        if fc.conforms(value, fmt):
            die("the format checker accepts %r as %s: format checking is off" % (value, fmt), 2)
    for value, fmt in (("https://hub.example/workers/w1", "uri"), ("pkg:rpm/gcc@12-1.el9?arch=x86_64", "uri"),
                       ("2026-12-03T13:00:11Z", "date-time")):
        if not fc.conforms(value, fmt):
            die("the format checker refuses %r as %s" % (value, fmt), 2)


def self_test(v, doc):
    """The schemas refuse statements broken in each way the specs forbid."""
    bad = []

    def broken(why, change):
        d = copy.deepcopy(doc)
        change(d)
        bad.append((why, d))

    broken("no subject", lambda d: d.__setitem__("subject", []))
    broken("a subject without digest", lambda d: d["subject"][0].pop("digest"))
    broken("an upper-case sha256", lambda d: d["subject"][0]["digest"].__setitem__(
        "sha256", d["subject"][0]["digest"]["sha256"].upper()))
    broken("a short sha256", lambda d: d["subject"][0]["digest"].__setitem__("sha256", "abc"))
    broken("an integer startedOn", lambda d: d["predicate"]["runDetails"]["metadata"].__setitem__(
        "startedOn", 1700000000))
    broken("a local-time startedOn", lambda d: d["predicate"]["runDetails"]["metadata"].__setitem__(
        "startedOn", "2026-12-03T13:00:00+01:00"))
    broken("a builder.id that is no URI", lambda d: d["predicate"]["runDetails"]["builder"].__setitem__(
        "id", "quarry"))
    broken("an upper-case host in builder.id", lambda d: d["predicate"]["runDetails"]["builder"].__setitem__(
        "id", "https://HUB.example/workers"))
    broken("no buildType", lambda d: d["predicate"]["buildDefinition"].pop("buildType"))
    broken("no externalParameters", lambda d: d["predicate"]["buildDefinition"].pop("externalParameters"))
    broken("a dependency with only a name", lambda d: d["predicate"]["buildDefinition"].__setitem__(
        "resolvedDependencies", [{"name": "spec"}]))
    broken("a wrong predicateType", lambda d: d.__setitem__("predicateType", "https://slsa.dev/provenance/v0.2"))
    broken("a wrong _type", lambda d: d.__setitem__("_type", "https://in-toto.io/Statement/v0.1"))
    for why, d in bad:
        if not errors(v, d):
            die("the schemas accept a statement with %s" % why, 2)
    return len(bad)


def main():
    if len(sys.argv) != 3:
        die("usage: check_provenance.py SCHEMA_DIR STATEMENT.json", 2)
    format_self_test()
    v = validator(sys.argv[1])
    with open(sys.argv[2]) as f:
        doc = json.load(f)
    errs = errors(v, doc)
    if errs:
        print("invalid:")
        for e in errs:
            print("  " + e)
        sys.exit(1)
    n = self_test(v, doc)
    print("valid (jsonschema %s; %d broken variants refused)" % (
        getattr(jsonschema, "__version__", "?"), n))


main()
