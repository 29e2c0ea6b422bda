#!/usr/bin/env python3
"""The layout is the architecture (CONTRIBUTING.md, "Code"): folders are
layers and a file's first lines show what it depends on. This checks what
a reader would otherwise have to trust:

- every include of ours names its folder ("net/soar.h"); the only bare
  one is the generated version.h;
- util/ includes nothing of ours outside util/; net/ and mapping/ include
  util/ and their own folder only; alert/ and setup/ (the two programs)
  never include each other;
- a folder's *_internal.h is included by its own folder only (and tests);
- each program's main.c is thin (at most MAIN_LINES lines) and is the
  only file with a main();
- no banned function (CONTRIBUTING: sprintf strcpy strcat strncpy strtok
  atoi gets sscanf) is called.

Prints TAP, one line per rule and file that breaks it, or one ok per rule.
Usage: check_layers.py [SRC] (default: this checkout's src/).
"""
import os
import re
import sys

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(TOP, "src")
ALLOWED = {
    "util": {"util"},
    "net": {"util", "net"},
    "mapping": {"util", "mapping"},
    "alert": {"util", "net", "mapping", "alert"},
    "setup": {"util", "net", "mapping", "setup"},
}
BARE_OK = {"version.h"}
MAIN_LINES = 80
BANNED = ("sprintf", "strcpy", "strcat", "strncpy", "strtok", "atoi", "gets", "sscanf")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def strip_comments_and_strings(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:\\.|[^"\\\n])*"', '""', text)


def sources():
    for folder in sorted(os.listdir(SRC)):
        d = os.path.join(SRC, folder)
        if not os.path.isdir(d):
            continue
        for name in sorted(os.listdir(d)):
            if name.endswith((".c", ".h")):
                yield folder, name, os.path.join(d, name)


def main():
    problems = {"folders": [], "named": [], "layers": [], "internal": [], "mains": [], "banned": []}
    files = list(sources())
    for folder, name, path in files:
        rel = "src/%s/%s" % (folder, name)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        if folder not in ALLOWED:
            problems["folders"].append("%s: folder %s/ is not a known layer (add it to CONTRIBUTING.md "
                                       "and to ALLOWED here)" % (rel, folder))
            continue
        for inc in INCLUDE.findall(text):
            if "/" not in inc:
                if inc not in BARE_OK:
                    problems["named"].append('%s: #include "%s" does not name its folder' % (rel, inc))
                continue
            dep = inc.split("/", 1)[0]
            if dep not in ALLOWED[folder]:
                problems["layers"].append('%s: #include "%s": %s/ may include only %s' %
                                          (rel, inc, folder, ", ".join(sorted(ALLOWED[folder]))))
            if inc.endswith("_internal.h") and dep != folder:
                problems["internal"].append('%s: #include "%s" is internal to %s/' % (rel, inc, dep))
        code = strip_comments_and_strings(text)
        has_main = re.search(r"^int\s+main\s*\(", code, re.M) is not None
        if name == "main.c":
            n = text.count("\n")
            if n > MAIN_LINES:
                problems["mains"].append("%s: %d lines; a program's main.c stays thin (at most %d): "
                                         "move the work into the library" % (rel, n, MAIN_LINES))
            if not has_main:
                problems["mains"].append("%s has no main()" % rel)
        elif has_main:
            problems["mains"].append("%s defines main(); only src/<program>/main.c does" % rel)
        for fn in BANNED:
            for m in re.finditer(r"(?<![\w.>])%s\s*\(" % fn, code):
                line = code.count("\n", 0, m.start()) + 1
                problems["banned"].append("%s:%d calls %s (banned: CONTRIBUTING.md)" % (rel, line, fn))
    titles = {
        "folders": "every folder of src/ is a known layer",
        "named": "every include of ours names its folder",
        "layers": "no folder includes a layer above it or a sibling program",
        "internal": "internal headers stay in their folder",
        "mains": "each program's main.c is thin and the only main()",
        "banned": "no banned string function is called",
    }
    n = 0
    failed = 0
    if not files:
        n += 1
        print("not ok %d - src/ holds C files (none found under %s)" % (n, SRC))
        failed += 1
    for key, title in titles.items():
        n += 1
        if problems[key]:
            failed += 1
            print("not ok %d - %s" % (n, title))
            for p in problems[key]:
                print("#   " + p)
        else:
            print("ok %d - %s (%d files)" % (n, title, len(files)))
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
