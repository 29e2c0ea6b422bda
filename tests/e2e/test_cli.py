"""bin/qradar_soar's command line: --help and --version answer on stdout
with exit 0, the version is the app's (default/app.conf, both [launcher]
and [id], which must agree), and anything else is a usage error (exit 1,
the usage on stderr). TAP."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

sys.path.insert(0, os.path.join(al.TOP, "tests", "lib"))
from splunkconf import parse_conf  # noqa: E402

t = al.Tap()


def run(*args):
    cmd = [al.binary()] + list(args)
    if os.environ.get("QS_VALGRIND"):
        cmd = os.environ["QS_VALGRIND"].split() + cmd
    p = subprocess.run(cmd, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def main():
    app = parse_conf(os.path.join(al.TOP, "default", "app.conf"))[0]
    version = app.get("launcher", {}).get("version")
    t.ok(version and version == app.get("id", {}).get("version"),
         "app.conf: [launcher] and [id] carry the same version", (version, app.get("id")))

    rc, out, err = run("--version")
    t.ok(rc == 0 and out == "qradar_soar %s (SA_QRadar_SOAR)\n" % version and err == "",
         "--version: the app's version on stdout, exit 0", (rc, out, err))

    rc, out, err = run("--help")
    t.ok(rc == 0 and err == "", "--help: exit 0, nothing on stderr", (rc, err))
    t.ok(out.startswith("usage: qradar_soar --execute < payload.json\n"), "--help: starts with the usage", out[:200])
    for word in ("--execute", "--dry-run", "--fields", "--artifact-types", "--version", "Exit status",
                 "qradar_soar_modalert.log"):
        t.ok(word in out, "--help mentions %s" % word, out)
    rc2, out2, _ = run("-h")
    t.ok(rc2 == 0 and out2 == out, "-h is --help")

    for args in ([], ["--bogus"], ["--execute", "extra"], ["--version", "x"]):
        rc, out, err = run(*args)
        t.ok(rc == 1 and out == "" and err.startswith("ERROR") and "usage: qradar_soar" in err,
             "%s: usage error, exit 1, usage on stderr" % (" ".join(args) or "no argument"), (rc, out, err))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
