#!/usr/bin/env python3
"""readme_tour.py: the README's "A five-minute tour" as a bash script.

    readme_tour.py README.md [--hub URL] [--demo-dir DIR] >tour.sh
    readme_tour.py README.md --list-refused

The rules (docs/TESTING.md, "The README tour"):

- The tour is the section that starts at the line "## A five-minute tour"
  and ends before the next "## " heading. Its steps are the lines of its
  fenced blocks opened by exactly "```sh" (closed by "```"), in order;
  other blocks are shown, not run.
- The script keeps the README's line numbers (every other line is blank;
  line 1 is the script's prologue), so bash's LINENO in a trace or an
  error is the README's line.
- It runs with `set -eo pipefail`, traced (set -x). A step whose line
  ends with the comment `# refused: "TEXT"` (one line, not continued with
  a backslash) must fail and print TEXT (stdout or stderr): it runs as
  `{ STEP ; }`, its output kept (and shown) apart from the trace, and the
  script stops when it succeeds or says something else.
- Lint, refused before anything runs (exit 2): `&&` or `||` in a step
  (set -e does not see a failure before them), a bare number as an
  argument of $Q other than an option's value (an id must come from a
  variable the tour captured: the demo already has build 1 and update 1).
- --hub and --demo-dir replace the demo's http://127.0.0.1:8080 and
  /var/lib/quarry-demo in the steps (QUARRY_PORT and QUARRY_DEMO_DIR of
  scripts/demo.sh).
"""
import os
import re
import shlex
import sys

HEADING = "## A five-minute tour"
NAME = "README.md"
REFUSED = re.compile(r'^(?P<cmd>.*?\S)\s+#\s*refused:\s*"(?P<msg>[^"]+)"')

PROLOGUE = (
    "set -eo pipefail; "
    "tour_out=$(mktemp); "
    "tour_refused() { "
    'echo "+ README.md:$1: $4    (refused, exit $2)"; cat "$tour_out"; '
    'if [ "$2" -eq 0 ]; then '
    'echo "tour: README.md line $1 succeeded; the README says it is refused with \\"$3\\"" >&2; exit 1; fi; '
    'if ! grep -qF -- "$3" "$tour_out"; then '
    'echo "tour: README.md line $1 was refused (exit $2) without saying \\"$3\\"" >&2; exit 1; fi; '
    'echo "tour: refused as promised: line $1"; }; '
    "trap 'echo \"tour: README.md line $LINENO failed (exit $?)\" >&2' ERR; "
    "PS4='+ README.md:$LINENO (${SECONDS}s): '; set -x"
)


def die(msg):
    print(f"readme_tour.py: {msg}", file=sys.stderr)
    sys.exit(2)


def steps(lines):
    """(line number, text) of every line of the tour's sh blocks."""
    try:
        start = lines.index(HEADING)
    except ValueError:
        die(f'no line "{HEADING}"')
    inside = False
    found = False
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if not inside and line.startswith("## "):
            break
        if not inside and line == "```sh":
            inside = found = True
        elif inside and line == "```":
            inside = False
        elif inside:
            yield i + 1, line
    if inside:
        die("a ```sh block of the tour is not closed")
    if not found:
        die("the tour has no ```sh block")


def strip_comment(line):
    """The line without a shell comment (a # after blank or at the start)."""
    m = re.search(r"(^|\s)#", line)
    return line[: m.start()] if m else line


def lint(n, line, prev):
    code = strip_comment(line)
    if "&&" in code or "||" in code:
        die(f"{NAME} line {n}: && or || in a step (set -e does not see a failure before it): {line.strip()}")
    if "$Q " in code:
        try:
            words = shlex.split(code[code.index("$Q ") :])
        except ValueError:
            return
        for i, w in enumerate(words[1:], 1):
            if w.isdigit() and not words[i - 1].startswith("--"):
                die(f"{NAME} line {n}: the id {w} is a fixed number; capture it (B=$($Q build … --json | jq -r .id)): {line.strip()}")
    if REFUSED.match(line) and (prev.endswith("\\") or line.endswith("\\")):
        die(f"{NAME} line {n}: a refused step must be one line")


def main():
    args = sys.argv[1:]
    if not args:
        die("usage: readme_tour.py README.md [--hub URL] [--demo-dir DIR] [--list-refused]")
    path = args.pop(0)
    global NAME
    NAME = os.path.basename(path)
    hub = demo = None
    list_refused = False
    while args:
        a = args.pop(0)
        if a == "--hub" and args:
            hub = args.pop(0)
        elif a == "--demo-dir" and args:
            demo = args.pop(0)
        elif a == "--list-refused":
            list_refused = True
        else:
            die(f"unknown argument {a}")
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    out = [""] * (len(lines) + 1)
    out[0] = PROLOGUE.replace("README.md", NAME)
    prev = ""
    for n, line in steps(lines):
        lint(n, line, prev)
        prev = line
        if hub:
            line = line.replace("http://127.0.0.1:8080", hub)
        if demo:
            line = line.replace("/var/lib/quarry-demo", demo)
        m = REFUSED.match(line)
        if m:
            if list_refused:
                print(f"{n}\t{m.group('msg')}")
            # Without the trace: it would print the step, and the step's
            # own words would count as its output.
            line = (
                "{ set +x; } 2>/dev/null; tour_rc=0; "
                f'{{ {m.group("cmd")} ; }} >"$tour_out" 2>&1 || tour_rc=$?; '
                f"tour_refused {n} \"$tour_rc\" {shlex.quote(m.group('msg'))} {shlex.quote(m.group('cmd'))}; set -x"
            )
        if n == 1:
            die("the tour cannot start on line 1")
        out[n - 1] = line
    if not list_refused:
        sys.stdout.write("\n".join(out).rstrip("\n") + "\n")


main()
