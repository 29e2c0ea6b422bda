"""Data-directory cases for the dry run (tests/cases/<name>/):
  payload.json        the payload; @RESULTS@ becomes the results file path
  results.csv         optional; gzipped into a temp dir at run time
  results.csv.gz      optional; used as is (corrupt / truncated cases)
  args                optional; extra arguments (default: the emulator's
                      fields.json and artifact_types.json)
  env                 optional; KEY=VALUE lines (e.g. TZ)
  expect/stdout       expected JSON lines, compared as JSON values, in order
  expect/rc           expected exit status
  expect/stderr       optional; regexes, each must match some stderr line
  expect/prefix       optional; stdout may be any leading part of expect/stdout
Prints one TAP line per case."""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(TOP, os.environ.get("BIN", "bin"), "qradar_soar")
DEFAULT_ARGS = ["--fields", "tests/emu/data/fields.json",
                "--artifact-types", "tests/emu/data/artifact_types.json"]


def read(path, default=None):
    if not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def run_case(d, tmp):
    problems = []
    res = os.path.join(tmp, "results.csv.gz")
    if os.path.exists(os.path.join(d, "results.csv.gz")):
        shutil.copy(os.path.join(d, "results.csv.gz"), res)
    elif os.path.exists(os.path.join(d, "results.csv")):
        with open(os.path.join(d, "results.csv"), "rb") as src, gzip.open(res, "wb") as dst:
            dst.write(src.read())
    else:
        res = os.path.join(tmp, "no-such-results.csv.gz")
    payload = read(os.path.join(d, "payload.json")).replace("@RESULTS@", res).replace("@DIR@", tmp)
    per_result = os.path.join(tmp, "per_result_alert")
    os.makedirs(per_result, exist_ok=True)
    if os.path.exists(res):
        shutil.copy(res, os.path.join(per_result, "tmp_7.csv.gz"))
    args = read(os.path.join(d, "args"))
    args = args.split() if args is not None else DEFAULT_ARGS
    env = dict(os.environ)
    for line in (read(os.path.join(d, "env"), "") or "").splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            env[k.strip()] = v.strip()
    cmd = [BIN, "--dry-run"] + args
    vg = os.environ.get("QS_VALGRIND")
    if vg:
        cmd = vg.split() + cmd
    p = subprocess.run(cmd, input=payload.encode(), capture_output=True, cwd=TOP, env=env,
                       timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    err = p.stderr.decode("utf-8", "replace")
    want_rc = int(read(os.path.join(d, "expect", "rc"), "0").strip())
    if p.returncode != want_rc:
        problems.append("exit status %d, expected %d" % (p.returncode, want_rc))
    want = [json.loads(l) for l in read(os.path.join(d, "expect", "stdout"), "").splitlines() if l.strip()]
    got = []
    for l in out.splitlines():
        try:
            got.append(json.loads(l))
        except ValueError:
            problems.append("stdout line is not JSON: %r" % l[:200])
    # expect/prefix: the rows printed before a mid-file failure may stand,
    # but how many depends on the reader's buffering; any in-order prefix of
    # the expected lines is accepted then.
    prefix = os.path.exists(os.path.join(d, "expect", "prefix"))
    if (got != want[:len(got)]) if prefix else (got != want):
        problems.append("stdout differs:\n got:  %s\n want: %s" % (
            "\n       ".join(json.dumps(g, sort_keys=True) for g in got),
            "\n       ".join(json.dumps(w, sort_keys=True) for w in want)))
    for pat in (read(os.path.join(d, "expect", "stderr"), "") or "").splitlines():
        if pat.strip() and not any(re.search(pat, l) for l in err.splitlines()):
            problems.append("no stderr line matches %r; stderr:\n%s" % (pat, err))
    return problems


def main():
    cases_dir = os.path.join(TOP, "tests", "cases")
    names = sorted(n for n in os.listdir(cases_dir) if os.path.isdir(os.path.join(cases_dir, n)))
    failed = 0
    for i, name in enumerate(names, 1):
        tmp = tempfile.mkdtemp(prefix="qs-case-")
        try:
            problems = run_case(os.path.join(cases_dir, name), tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print("%sok %d - %s" % ("not " if problems else "", i, name))
        for pr in problems:
            for line in pr.splitlines():
                print("#   " + line)
        failed += bool(problems)
    print("1..%d" % len(names))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
