"""Splunk .conf/.meta files for the test scripts (Python standard library)."""
import os
import re


def parse_conf(path):
    """.conf grammar: [stanza] lines, key = value lines (continuation with a
    trailing backslash), # comments, blank lines. Returns {stanza: {k: v}}."""
    out, stanza, bad = {}, "default", []
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        m = re.match(r"^\[([^\]]*)\]$", s)
        if m:
            stanza = m.group(1)
            out.setdefault(stanza, {})
            continue
        m = re.match(r"^([^=\s][^=]*?)\s*=\s?(.*)$", line)
        if not m:
            bad.append("%s:%d: %r" % (os.path.basename(path), i, line))
            continue
        out.setdefault(stanza, {})[m.group(1)] = m.group(2)
    return out, bad
