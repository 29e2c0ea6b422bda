#!/usr/bin/env python3
"""The layering rules of src/ (check_layers.py) on this checkout, and the
checker itself on small trees that break each rule once, so a checker
that passes everything fails here."""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECK = os.path.join(HERE, "check_layers.py")

GOOD = {
    "util/buf.h": "#include <stddef.h>\n",
    "util/buf.c": '#include "util/buf.h"\n',
    "net/http.c": '#include "util/buf.h"\n#include "net/http_internal.h"\n',
    "net/http_internal.h": "",
    "mapping/casebuild.c": '#include "util/buf.h"\n',
    "alert/main.c": '#include "net/http.h"\n#include "version.h"\nint main(void)\n{\n\treturn 0;\n}\n',
    "setup/main.c": '#include "mapping/casebuild.h"\nint main(void)\n{\n\treturn 0;\n}\n',
}
BAD = [
    ("util/log.c", '#include "net/http.h"\n', "no folder includes a layer above it"),
    ("net/soar.c", '#include "mapping/catalog.h"\n', "no folder includes a layer above it"),
    ("setup/form.c", '#include "alert/action.h"\n', "no folder includes a layer above it"),
    ("alert/run.c", '#include "buf.h"\n', "every include of ours names its folder"),
    ("alert/run.c", '#include "net/http_internal.h"\n', "internal headers stay in their folder"),
    ("alert/main.c", "int main(void)\n{\n" + "\tx();\n" * 100 + "}\n", "main.c is thin"),
    ("alert/run.c", "int main(int argc, char **argv)\n{\n}\n", "main.c is thin and the only main()"),
    ("mapping/tokens.c", "void f(char *d)\n{\n\tstrcpy(d, \"x\");\n}\n", "no banned string function"),
    ("cli/x.c", "", "every folder of src/ is a known layer"),
]


def run(tree):
    p = subprocess.run([sys.executable, CHECK, tree], capture_output=True, text=True)
    return p.returncode, p.stdout


def make(files):
    d = tempfile.mkdtemp(prefix="qs-layers-")
    for rel, text in files.items():
        os.makedirs(os.path.join(d, os.path.dirname(rel)), exist_ok=True)
        with open(os.path.join(d, rel), "w") as fh:
            fh.write(text)
    return d


n = 0
failed = 0


def ok(cond, title, detail=""):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if cond else "not ok", n, title))
    if not cond:
        failed += 1
        for line in detail.splitlines():
            print("#   " + line)


rc, out = run(os.path.join(HERE, "..", "..", "src"))
ok(rc == 0, "src/ follows the layering rules", out)
d = make(GOOD)
try:
    rc, out = run(d)
    ok(rc == 0, "a tree that follows the rules passes", out)
finally:
    shutil.rmtree(d)
for rel, text, rule in BAD:
    files = dict(GOOD)
    files[rel] = text
    d = make(files)
    try:
        rc, out = run(d)
        ok(rc != 0 and any(l.startswith("not ok") and rule in l for l in out.splitlines()),
           "%s breaking \"%s\" is caught" % (rel, rule), out)
    finally:
        shutil.rmtree(d)
print("1..%d" % n)
sys.exit(1 if failed else 0)
