#!/usr/bin/env python3
"""The README and docs/ as a newcomer meets them.

    check_docs.py SOURCE_DIR

- every relative link in README.md and docs/**/*.md names a file or folder that exists, and a
  "#heading" part names a heading of that page (GitHub's anchor rules: lower case, spaces to
  '-', punctuation dropped);
- no link in them leaves the repository (no http:// or https:// link: the docs must hold
  without the network);
- the README's first example is examples/embed.c, byte for byte (the file `make test` builds
  and runs), so the page never shows code that does not compile.
"""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else "."
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
problems = []


def anchors(path):
    """The heading anchors of a Markdown file (outside code fences)."""
    out, fence = set(), False
    for line in open(path, encoding="utf-8"):
        if line.startswith("```"):
            fence = not fence
        elif not fence and line.startswith("#"):
            text = line.lstrip("#").strip().lower()
            text = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
            out.add(text)
    return out


def pages():
    yield os.path.join(ROOT, "README.md")
    for base, _, files in os.walk(os.path.join(ROOT, "docs")):
        for f in sorted(files):
            if f.endswith(".md"):
                yield os.path.join(base, f)


def check_links(page):
    text = open(page, encoding="utf-8").read()
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code is not linked
    rel = os.path.relpath(page, ROOT)
    for target in LINK.findall(text):
        if re.match(r"[a-z]+://", target) or target.startswith("mailto:"):
            problems.append("%s: a link leaves the repository: %s" % (rel, target))
            continue
        path, _, anchor = target.partition("#")
        dest = os.path.normpath(os.path.join(os.path.dirname(page), path)) if path else page
        if not os.path.exists(dest):
            problems.append("%s: a link to a missing file: %s" % (rel, target))
        elif anchor and dest.endswith(".md") and anchor not in anchors(dest):
            problems.append("%s: a link to a missing heading: %s" % (rel, target))


def check_first_example():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    m = re.search(r"```c\n(/\*\n \* examples/embed\.c.*?)```\n", readme, flags=re.S)
    example = open(os.path.join(ROOT, "examples", "embed.c"), encoding="utf-8").read()
    if not m:
        problems.append("README.md: the first example (examples/embed.c) is missing")
    elif m.group(1) != example:
        problems.append("README.md: the first example differs from examples/embed.c: copy the "
                        "file into the README again")


def main():
    for page in pages():
        check_links(page)
    check_first_example()
    for p in problems:
        print("docs: " + p)
    if problems:
        sys.exit(1)
    print("README and docs: every link resolves, none leaves the repository, the first "
          "example is examples/embed.c")


if __name__ == "__main__":
    main()
