"""Helpers to run bin/qradar_soar the way splunkd does (payload on stdin,
Splunk-format results.csv.gz, SPLUNK_HOME with splunkd's CA) against the
emulators in tests/emu. Used by the end-to-end tests and by `make demo`."""
import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tests", "emu"))
import harness  # noqa: E402

SOAR_USER = "soar@example.com"
SOAR_PASSWORD = "Sup3r$ecret!"
API_KEY_ID = "2b8e7a1c-0000-4000-8000-00000000a11e"
API_KEY_SECRET = "k3y-s3cret/+="
SESSION_KEY = "admin-session-key"


def binary():
    if os.environ.get("QS_BINARY"):
        return os.environ["QS_BINARY"]
    return os.path.join(TOP, os.environ.get("BIN", "bin"), "qradar_soar")


def setup_driver():
    return os.path.join(TOP, os.environ.get("BIN", "bin"), "qradar_soar_setup")


def app_home(prefix):
    """A temp SPLUNK_HOME with the app installed as splunkd sees it (default/
    and bin/qradar_soar_setup), exported as SPLUNK_HOME: splunkd substitutes
    it in restmap.conf's driver, and the emulator and the driver it starts
    inherit it. Returns (workdir, home, app dir)."""
    driver = setup_driver()
    if not os.path.exists(driver):
        raise SystemExit("not ok 1 - %s is not built" % driver)
    work = tempfile.mkdtemp(prefix=prefix)
    home = os.path.join(work, "splunk")
    app = os.path.join(home, "etc", "apps", "SA_QRadar_SOAR")
    os.makedirs(os.path.join(app, "bin"))
    os.symlink(os.path.join(TOP, "default"), os.path.join(app, "default"))
    os.symlink(os.path.abspath(driver), os.path.join(app, "bin", "qradar_soar_setup"))
    os.environ["SPLUNK_HOME"] = home
    return work, home, app


def write_results(path, fields, rows):
    """Writes rows (dicts; list values are multivalues) in Splunk's format:
    every field F plus __mv_F, "$v1$;$v2$" with "$$" for "$"."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(fields + ["__mv_" + f for f in fields])
    for r in rows:
        plain, mv = [], []
        for f in fields:
            v = r.get(f, "")
            if isinstance(v, list):
                plain.append("\n".join(v))
                mv.append(";".join("$" + x.replace("$", "$$") + "$" for x in v))
            else:
                plain.append(v)
                mv.append("")
        w.writerow(plain + mv)
    with gzip.open(path, "wb") as g:
        g.write(out.getvalue().encode())


def splunk_home(workdir, ca):
    home = os.path.join(workdir, "splunk")
    os.makedirs(os.path.join(home, "etc", "auth"), exist_ok=True)
    shutil.copy(ca, os.path.join(home, "etc", "auth", "cacert.pem"))
    return home


def seed_secret(emu, host, user, password):
    emu.splunkd_ctl("POST", "/_emu/seed", {"passwords": [
        {"realm": "SA_QRadar_SOAR_" + host, "username": user, "password": password,
         "app": "SA_QRadar_SOAR"}]})


def base_config(emu, **over):
    conf = {
        "host": "127.0.0.1", "port": str(emu.soar["port"]), "org": "Test Organization",
        "user": SOAR_USER, "api_keys": "0", "verify": emu.ca, "duplicates": "0",
        "num_artifacts": "10", "num_events": "30",
        "mapping_name": "$result.rule_title$",
        "mapping_description": "<p>$result.rule_description$</p>",
        "mapping_severity_code": "$result.severity$",
        "mapping_discovered_date": "$result._time$",
        "mapping_properties.splunk_notable_event_id": "$result.event_id$",
        "artifact1": "IP Address|$result.src$|Source",
    }
    conf.update(over)
    return conf


def payload(emu, results_file, conf, **over):
    p = {
        "app": "SplunkEnterpriseSecuritySuite", "owner": "admin",
        "results_file": results_file,
        "results_link": "https://sh01:8000/app/search/@go?sid=scheduler__admin__ES__RMD5aa_at_1714557600_12",
        "server_host": "sh01", "server_uri": emu.splunkd_url(), "session_key": SESSION_KEY,
        "sid": "scheduler__admin__ES__RMD5aa_at_1714557600_12",
        "search_name": "Access - Excessive Failed Logins - Rule",
        "configuration": conf,
    }
    p.update(over)
    return p


def run(payload_obj, home, timeout=120, raw=None):
    env = dict(os.environ, SPLUNK_HOME=home)
    cmd = [binary(), "--execute"]
    vg = os.environ.get("QS_VALGRIND")
    if vg:
        cmd = vg.split() + cmd
    data = raw if raw is not None else json.dumps(payload_obj).encode()
    p = subprocess.run(cmd, input=data, capture_output=True, env=env, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def modalert_log(home):
    path = os.path.join(home, "var", "log", "splunk", "qradar_soar_modalert.log")
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, detail=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name))
        if not cond and detail is not None:
            for line in str(detail).splitlines()[:30]:
                print("#   " + line)
        sys.stdout.flush()
        return cond

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0
