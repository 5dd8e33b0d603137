#!/usr/bin/env python3
"""mkmmdb.py: write a small MaxMind DB (v2.0) file, for tests.

    mkmmdb.py --type TYPE [options] OUT.mmdb [CIDR=VALUE ...]
    mkmmdb.py --type TYPE [options] --from FILE OUT.mmdb

Each network maps to a record built from VALUE according to TYPE:

    country      {"country_code": VALUE}                 (@ip-location-db)
    country-iso  {"country": {"iso_code": VALUE}}        (MaxMind GeoLite2)
    asn          {"autonomous_system_number": N,         (GeoLite2-ASN)
                  "autonomous_system_organization": ORG}
                 VALUE is "N" or "N,ORG" (N a uint32, "AS" prefix allowed;
                 without ORG that key is left out)
    json         VALUE is a JSON object, written as it is: strings as utf8,
                 booleans, integers as uint32/uint64/uint128 (int32 when
                 negative), other numbers as double, arrays, maps

--from FILE reads one "CIDR,VALUE" per line ("-" is stdin; blank lines and
lines starting with '#' are skipped); networks given as arguments follow it.
A CIDR is IPv4 or IPv6 with no host bits set; a bare address is a /32 or
/128. Overlapping networks are fine: the more specific one wins whatever the
order; the same network twice: the later one wins.

The file is the format libmaxminddb reads (spec:
https://maxmind.github.io/MaxMind-DB/): ip_version 6, an IPv6 search tree
whose IPv4 networks a.b.c.d/n sit at ::a.b.c.d/(96+n), where libmaxminddb
looks up IPv4 addresses. Like MaxMind's own databases, ::ffff:0:0/96
(IPv4-mapped IPv6) is an alias of that IPv4 subtree unless --no-ipv4-alias
is given or an IPv6 network inside ::ffff:0:0/96 is written. The record size
is the smallest of 24, 28, 32 bits that fits, unless --record-size says.
Identical records are stored once; a string already in the data section is
written as a pointer to it when that is shorter. The output is byte-for-byte
reproducible: build_epoch is --epoch, else $SOURCE_DATE_EPOCH, else now.

Python 3 standard library only. Exit status 2 on bad usage or input.
"""
import argparse
import ipaddress
import json
import os
import struct
import sys
import tempfile
import time

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"

# Data section types (spec, "Output Data Section").
T_EXTENDED = 0
T_POINTER = 1
T_UTF8 = 2
T_DOUBLE = 3
T_BYTES = 4
T_UINT16 = 5
T_UINT32 = 6
T_MAP = 7
T_INT32 = 8
T_UINT64 = 9
T_UINT128 = 10
T_ARRAY = 11
T_BOOLEAN = 14


class InputError(Exception):
    pass


# ------------------------------------------------------------ data section


class Encoder:
    """Encodes values into one section. With pointers on, a string written
    before is replaced by a pointer to it when the pointer is shorter."""

    def __init__(self, pointers):
        self.buf = bytearray()
        self.pointers = pointers
        self.strings = {}  # str -> offset of its encoding in buf
        self.records = {}  # canonical record -> offset

    @staticmethod
    def _ctrl(type_, size):
        if size < 29:
            head, ext = size, b""
        elif size < 29 + 256:
            head, ext = 29, bytes([size - 29])
        elif size < 285 + 65536:
            head, ext = 30, struct.pack(">H", size - 285)
        elif size < 65821 + (1 << 24):
            head, ext = 31, struct.pack(">I", size - 65821)[1:]
        else:
            raise InputError("value too large for the MaxMind DB format")
        if type_ <= 7:
            return bytes([(type_ << 5) | head]) + ext
        return bytes([(T_EXTENDED << 5) | head, type_ - 7]) + ext

    @staticmethod
    def _pointer(offset):
        if offset < 2048:
            return bytes([0x20 | (offset >> 8), offset & 0xFF])
        if offset < 2048 + (1 << 19):
            v = offset - 2048
            return bytes([0x28 | (v >> 16), (v >> 8) & 0xFF, v & 0xFF])
        if offset < 526336 + (1 << 27):
            v = offset - 526336
            return bytes([0x30 | (v >> 24)]) + struct.pack(">I", v)[1:]
        return bytes([0x38]) + struct.pack(">I", offset)

    @staticmethod
    def _uint(type_, v, nbytes):
        raw = v.to_bytes(nbytes, "big").lstrip(b"\0")
        return Encoder._ctrl(type_, len(raw)) + raw

    def _string(self, s):
        data = s.encode("utf-8")
        enc = self._ctrl(T_UTF8, len(data)) + data
        if self.pointers and s in self.strings:
            ptr = self._pointer(self.strings[s])
            if len(ptr) < len(enc):
                self.buf += ptr
                return
        if self.pointers:
            self.strings.setdefault(s, len(self.buf))
        self.buf += enc

    def write(self, v, typed=None):
        """Append v. typed forces an integer type (T_UINT16, ...)."""
        if typed is not None:
            self.buf += self._uint(typed, v, {T_UINT16: 2, T_UINT32: 4, T_UINT64: 8}[typed])
        elif isinstance(v, str):
            self._string(v)
        elif isinstance(v, bool):
            self.buf += self._ctrl(T_BOOLEAN, int(v))
        elif isinstance(v, int):
            if 0 <= v < 1 << 32:
                self.buf += self._uint(T_UINT32, v, 4)
            elif 0 <= v < 1 << 64:
                self.buf += self._uint(T_UINT64, v, 8)
            elif 0 <= v < 1 << 128:
                self.buf += self._uint(T_UINT128, v, 16)
            elif -(1 << 31) <= v < 0:
                self.buf += self._ctrl(T_INT32, 4) + struct.pack(">i", v)
            else:
                raise InputError(f"integer {v} fits no MaxMind DB type")
        elif isinstance(v, float):
            self.buf += self._ctrl(T_DOUBLE, 8) + struct.pack(">d", v)
        elif isinstance(v, Typed):
            self.write(v.value, v.type)
        elif isinstance(v, dict):
            self.buf += self._ctrl(T_MAP, len(v))
            for k, item in v.items():
                self._string(k)
                self.write(item)
        elif isinstance(v, (list, tuple)):
            self.buf += self._ctrl(T_ARRAY, len(v))
            for item in v:
                self.write(item)
        elif v is None:
            raise InputError("null has no MaxMind DB encoding")
        else:
            raise InputError(f"cannot encode {type(v).__name__}")

    def record(self, v):
        """Offset of record v, written once however often it is used."""
        key = json.dumps(v, sort_keys=True, default=repr)
        if key not in self.records:
            self.records[key] = len(self.buf)
            self.write(v)
        return self.records[key]


class Typed:
    """An integer with an explicit type, for the metadata's uint16/uint64."""

    def __init__(self, type_, value):
        self.type, self.value = type_, value

    def __repr__(self):
        return f"Typed({self.type},{self.value})"


# ------------------------------------------------------------ search tree


class Node:
    __slots__ = ("kids",)

    def __init__(self, left=None, right=None):
        # A kid is a Node, a record offset (int) in the data section, or None.
        self.kids = [left, right]


def bits_of(net):
    """The 128-bit address and prefix length of net in the IPv6 tree."""
    if net.version == 4:
        return int(net.network_address), net.prefixlen + 96
    return int(net.network_address), net.prefixlen


def insert(root, addr, plen, value):
    """Set the record of addr/plen (plen >= 1). Networks must come shortest
    prefix first: a leaf met on the way is split into two copies of itself,
    which is what keeps a less specific network around a more specific one."""
    node = root
    for depth in range(plen - 1):
        bit = (addr >> (127 - depth)) & 1
        kid = node.kids[bit]
        if not isinstance(kid, Node):
            kid = Node(kid, kid)
            node.kids[bit] = kid
        node = kid
    node.kids[(addr >> (128 - plen)) & 1] = value


def add_ipv4_alias(root):
    """Point ::ffff:0:0/96 at the IPv4 subtree (::/96) when that is a node."""
    node = root
    for _ in range(96):
        node = node.kids[0]
        if not isinstance(node, Node):
            return
    ipv4 = node
    node = root
    for depth in range(95):
        bit = 1 if depth >= 80 else 0
        kid = node.kids[bit]
        if not isinstance(kid, Node):
            kid = Node(kid, kid)
            node.kids[bit] = kid
        node = kid
    node.kids[1] = ipv4


def number_nodes(root):
    """Breadth-first numbering of the distinct nodes (root is 0)."""
    order, ids = [root], {id(root): 0}
    i = 0
    while i < len(order):
        for kid in order[i].kids:
            if isinstance(kid, Node) and id(kid) not in ids:
                ids[id(kid)] = len(order)
                order.append(kid)
        i += 1
    return order, ids


def pack_node(left, right, record_size):
    if record_size == 24:
        return left.to_bytes(3, "big") + right.to_bytes(3, "big")
    if record_size == 28:
        mid = ((left >> 24) << 4) | (right >> 24)
        return (left & 0xFFFFFF).to_bytes(3, "big") + bytes([mid]) + (right & 0xFFFFFF).to_bytes(
            3, "big"
        )
    return left.to_bytes(4, "big") + right.to_bytes(4, "big")


# ------------------------------------------------------------ input


def parse_cidr(s):
    try:
        return ipaddress.ip_network(s.strip(), strict=True)
    except ValueError as e:
        raise InputError(f"'{s}' is not a network: {e}") from None


def make_record(kind, value):
    if kind == "country":
        return {"country_code": value}
    if kind == "country-iso":
        return {"country": {"iso_code": value}}
    if kind == "asn":
        num, _, org = value.partition(",")
        num = num.strip()
        if num[:2].upper() == "AS":
            num = num[2:]
        if not num.isdigit() or not 0 <= int(num) < 1 << 32:
            raise InputError(f"'{value}': expected an AS number 0..4294967295 [,ORGANIZATION]")
        rec = {"autonomous_system_number": Typed(T_UINT32, int(num))}
        if org.strip():
            rec["autonomous_system_organization"] = org.strip()
        return rec
    try:
        rec = json.loads(value)
    except ValueError as e:
        raise InputError(f"'{value}' is not JSON: {e}") from None
    if not isinstance(rec, dict):
        raise InputError(f"'{value}': a record must be a JSON object")
    return rec


def read_pairs(args):
    pairs = []
    if args.from_file:
        f = sys.stdin if args.from_file == "-" else open(args.from_file, encoding="utf-8")
        with f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                cidr, sep, value = line.partition(",")
                if not sep:
                    raise InputError(f"{args.from_file}:{n}: expected CIDR,VALUE")
                pairs.append((cidr, value.strip()))
    for arg in args.networks:
        cidr, sep, value = arg.partition("=")
        if not sep:
            raise InputError(f"'{arg}': expected CIDR=VALUE")
        pairs.append((cidr, value))
    return pairs


# ------------------------------------------------------------ writer


def build(pairs, kind, record_size=None, epoch=None, database_type=None, description=None,
          ipv4_alias=True):
    """The database as bytes. pairs: (CIDR string, VALUE string)."""
    data = Encoder(pointers=True)
    nets = []
    for i, (cidr, value) in enumerate(pairs):
        net = parse_cidr(cidr)
        addr, plen = bits_of(net)
        try:
            offset = data.record(make_record(kind, value))
        except InputError as e:
            raise InputError(f"{cidr}: {e}") from None
        nets.append((plen, i, addr, offset))
        if net.version == 6 and net.subnet_of(ipaddress.ip_network("::ffff:0:0/96")):
            ipv4_alias = False
    root = Node()
    for plen, _, addr, offset in sorted(nets):
        if plen == 0:  # ::/0: the root is always a node, so set both halves
            insert(root, 0, 1, offset)
            insert(root, 1 << 127, 1, offset)
        else:
            insert(root, addr, plen, offset)
    if ipv4_alias:
        add_ipv4_alias(root)

    order, ids = number_nodes(root)
    node_count = len(order)
    largest = node_count + 16 + len(data.buf)
    if record_size is None:
        record_size = next(r for r in (24, 28, 32) if largest < 1 << r)
    elif largest >= 1 << record_size:
        raise InputError(f"record size {record_size} is too small for this database")

    def rec(kid):
        if isinstance(kid, Node):
            return ids[id(kid)]
        if kid is None:
            return node_count
        return node_count + 16 + kid

    tree = bytearray()
    for node in order:
        tree += pack_node(rec(node.kids[0]), rec(node.kids[1]), record_size)

    meta = Encoder(pointers=False)
    meta.write(
        {
            "binary_format_major_version": Typed(T_UINT16, 2),
            "binary_format_minor_version": Typed(T_UINT16, 0),
            "build_epoch": Typed(T_UINT64, int(epoch if epoch is not None else time.time())),
            "database_type": database_type or f"Quarry-Test-{kind}",
            "description": {"en": description or f"Quarry test database ({kind})"},
            "ip_version": Typed(T_UINT16, 6),
            "languages": ["en"],
            "node_count": Typed(T_UINT32, node_count),
            "record_size": Typed(T_UINT16, record_size),
        }
    )
    return bytes(tree) + bytes(16) + bytes(data.buf) + METADATA_MARKER + bytes(meta.buf)


def write_atomic(path, blob):
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".mkmmdb.", dir=d)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(blob)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="mkmmdb.py",
        description="Write a small MaxMind DB (v2.0) file from CIDR=VALUE pairs.",
    )
    p.add_argument("--type", required=True, choices=["country", "country-iso", "asn", "json"])
    p.add_argument("--from", dest="from_file", metavar="FILE",
                   help='read "CIDR,VALUE" lines from FILE ("-": stdin)')
    p.add_argument("--record-size", type=int, choices=[24, 28, 32])
    p.add_argument("--epoch", type=int, help="build_epoch (default $SOURCE_DATE_EPOCH or now)")
    p.add_argument("--database-type", help="metadata database_type")
    p.add_argument("--description", help="metadata description (en)")
    p.add_argument("--no-ipv4-alias", action="store_true",
                   help="do not alias ::ffff:0:0/96 to the IPv4 subtree")
    p.add_argument("out", metavar="OUT.mmdb")
    p.add_argument("networks", nargs="*", metavar="CIDR=VALUE")
    args = p.parse_args(argv)

    epoch = args.epoch
    if epoch is None and os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        epoch = int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        blob = build(read_pairs(args), args.type, args.record_size, epoch, args.database_type,
                     args.description, not args.no_ipv4_alias)
        write_atomic(args.out, blob)
    except (InputError, OSError) as e:
        print(f"mkmmdb.py: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
