"""Runs one escalation with the installed binary (QS_BINARY) and SPLUNK_HOME
set to the given directory, against the emulators."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import actionlib as al  # noqa: E402

home = sys.argv[1]
with al.harness.Emulators() as emu:
    os.makedirs(os.path.join(home, "etc", "auth"), exist_ok=True)
    with open(emu.ca, "rb") as src, open(os.path.join(home, "etc", "auth", "cacert.pem"), "wb") as dst:
        dst.write(src.read())
    res = os.path.join(emu.workdir, "results.csv.gz")
    al.write_results(res, ["rule_title", "event_id"], [{"rule_title": "Installed", "event_id": "E9"}])
    al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
    rc, out, err = al.run(al.payload(emu, res, al.base_config(emu)), home)
    incs = emu.soar_ctl("GET", "/_emu/incidents")
    print(err)
    sys.exit(0 if rc == 0 and [i["name"] for i in incs] == ["Installed"] else 1)
