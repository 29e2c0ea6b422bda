"""make demo: the main job end to end on the embedded defaults.

1. The dry run: the shipped sample notables mapped against a realistic SOAR
   field catalogue, printed as the exact case bodies.
2. The real run: a SOAR emulator and a splunkd emulator on loopback (HTTPS,
   a CA made for the occasion); bin/qradar_soar --execute escalates the
   sample, then runs again to show the update instead of a duplicate.
No Splunk, no SOAR, no network beyond 127.0.0.1."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
import actionlib as al  # noqa: E402

FIELDS = os.path.join(TOP, "tests", "emu", "data", "fields.json")
TYPES = os.path.join(TOP, "tests", "emu", "data", "artifact_types.json")


def title(t):
    print("\n\033[1m== %s ==\033[0m" % t if sys.stdout.isatty() else "\n== %s ==" % t)


def sample_payload(subst):
    with open(os.path.join(TOP, "samples", "payload.json")) as fh:
        text = fh.read()
    for k, v in subst.items():
        text = text.replace(k, json.dumps(v)[1:-1])
    return json.loads(text)


def main():
    work = tempfile.mkdtemp(prefix="qs-demo-")
    try:
        results = os.path.join(work, "results.csv.gz")
        shutil.copy(os.path.join(TOP, "samples", "results.csv.gz"), results)

        title("1. Dry run: the sample notables as SOAR case bodies (no network)")
        p = sample_payload({"@RESULTS@": results, "@SERVER_URI@": "https://127.0.0.1:8089",
                            "@SESSION_KEY@": "demo", "@SOAR_HOST@": "soar.example.com",
                            "@SOAR_PORT@": "443", "@SOAR_CA@": "true"})
        r = subprocess.run([al.binary(), "--dry-run", "--fields", FIELDS, "--artifact-types", TYPES],
                           input=json.dumps(p).encode(), capture_output=True)
        for line in r.stdout.decode().splitlines():
            print(json.dumps(json.loads(line), indent=2))
        sys.stderr.write(r.stderr.decode())
        print("dry run exit status: %d" % r.returncode)
        if r.returncode != 0:
            return 1

        with al.harness.Emulators(workdir=work) as emu:
            home = al.splunk_home(work, emu.ca)
            al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
            p = sample_payload({"@RESULTS@": results, "@SERVER_URI@": emu.splunkd_url(),
                                "@SESSION_KEY@": al.SESSION_KEY, "@SOAR_HOST@": "127.0.0.1",
                                "@SOAR_PORT@": str(emu.soar["port"]), "@SOAR_CA@": emu.ca})
            for run in (1, 2):
                title("2.%d bin/qradar_soar --execute (run %d) against the emulators" % (run, run))
                rc, _, err = al.run(p, home)
                sys.stdout.write(err)
                print("exit status: %d" % rc)
                if rc != 0:
                    return 1
            title("3. The cases as SOAR holds them")
            with open(os.path.join(TOP, "tests", "emu", "data", "artifact_types.json")) as fh:
                type_names = {t["id"]: t["name"] for t in json.load(fh)}
            for inc in emu.soar_ctl("GET", "/_emu/incidents"):
                print("case %s (vers %s): %s" % (inc["id"], inc.get("vers"), inc["name"]))
                print("   severity_code=%s discovered_date=%s notable=%s" % (
                    inc.get("severity_code"), inc.get("discovered_date"),
                    (inc.get("properties") or {}).get("splunk_notable_event_id")))
                for a in inc.get("artifacts", []):
                    print("   artifact: %s = %s" % (type_names.get(a.get("type"), a.get("type")),
                                                    a.get("value")))
            title("4. Notable comments written to Splunk ES")
            state = emu.splunkd_ctl("GET", "/_emu/state")
            for u in state.get("notable_updates", []):
                print(json.dumps(u))
            title("5. CAM status lines (qradar_soar_modalert.log)")
            for line in al.modalert_log(home).splitlines():
                if "sendmodaction" in line:
                    print(line)
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
