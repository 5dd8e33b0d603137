#!/usr/bin/python3
"""web-crawl.py BASE PATH...: fetch each page, then every internal link
(a path on the same server) of every HTML page reached, each once, and
report problems one per line on stdout:
  status PATH CODE          an internal link answered 4xx/5xx
  markup PATH MESSAGE       a page is not well-formed (unclosed or
                            mismatched elements), holds a <script>, an
                            inline style= or on*= attribute
Exit 0 when nothing was found. Prints "pages N links M" on stderr."""
import sys
import urllib.error
import urllib.parse
import urllib.request
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "source", "track", "wbr"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.links, self.problems = [], [], []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.problems.append("a <script> element")
        for k, v in attrs:
            if k == "style" or k.startswith("on"):
                self.problems.append("attribute %s= on <%s>" % (k, tag))
            if k == "href" and v is not None:
                self.links.append(v)
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("</%s> closes <%s>" % (tag, self.stack[-1] if self.stack else "nothing"))
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()

    def close(self):
        super().close()
        if self.stack:
            self.problems.append("unclosed: %s" % " ".join(self.stack))


def fetch(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=30) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()


def main():
    base, todo = sys.argv[1].rstrip("/"), list(sys.argv[2:])
    seen, bad, pages = set(todo), 0, 0
    while todo:
        path = todo.pop(0)
        code, ctype, body = fetch(base, path)
        if code >= 400:
            print("status %s %d" % (path, code))
            bad += 1
            continue
        if not ctype.startswith("text/html"):
            continue
        pages += 1
        p = Page()
        p.feed(body.decode("utf-8"))
        p.close()
        for m in p.problems:
            print("markup %s %s" % (path, m))
            bad += 1
        for href in p.links:
            u = urllib.parse.urlsplit(href)
            if u.scheme or u.netloc or not u.path.startswith("/"):
                continue
            link = u.path + ("?" + u.query if u.query else "")
            if link not in seen:
                seen.add(link)
                todo.append(link)
    print("pages %d links %d" % (pages, len(seen)), file=sys.stderr)
    sys.exit(1 if bad else 0)


main()
