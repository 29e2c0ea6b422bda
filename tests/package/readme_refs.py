"""Every file or folder of the app that the shipped README.md names (in
`code` spans and code blocks) is in the package: an admin told to try
samples/payload.json, or a reviewer sent to src/, finds it there.

Usage: readme_refs.py APP_DIR. Paths are taken relative to the app folder
when their first part is one of the app's own folders or files (bin/,
default/, src/ …) or a folder a repository has and a package should not
mention (tests/, scripts/ …); REST paths (storage/passwords,
data/ui/alerts/…), $SPLUNK_HOME paths and local/ (the admin's own) are not
files of the package. Exit 1 listing what is missing."""
import os
import re
import sys

APP_ROOTS = {"bin", "default", "appserver", "static", "samples", "src", "licenses", "README",
             "metadata", "lib", "tests", "scripts", "bench", "dist", "build", "README.md",
             "CONTRIBUTING.md", "Makefile", "app.manifest"}
PATH = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]*)*$")

app = sys.argv[1]
with open(os.path.join(app, "README.md"), encoding="utf-8") as fh:
    text = fh.read()
chunks = re.findall(r"`([^`\n]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
chunks += re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S)
chunks += [line for line in text.splitlines() if line.startswith("    ")]
missing = set()
for chunk in chunks:
    for tok in chunk.split():
        tok = tok.strip(",;:()'\"").rstrip(".")
        if not PATH.match(tok) or tok.split("/")[0] not in APP_ROOTS:
            continue
        if "/" not in tok and tok not in ("README.md", "CONTRIBUTING.md", "Makefile", "app.manifest"):
            continue
        if not os.path.exists(os.path.join(app, tok.rstrip("/"))):
            missing.add(tok)
for m in sorted(missing):
    print("README.md names %s, which the package lacks" % m)
sys.exit(1 if missing else 0)
