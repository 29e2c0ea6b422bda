"""Runs one escalation with the installed binary (QS_BINARY) and SPLUNK_HOME
set to the given directory, against the emulators (both over HTTPS).

Usage: installed_run.py SPLUNK_HOME [LIBDIR]
LIBDIR, when given, is put on the action's LD_LIBRARY_PATH only (as splunkd
puts $SPLUNK_HOME/lib there), after the emulators have started, so the
Python side never loads what is in it; LIBDIR/openssl.cnf, when present,
becomes its OPENSSL_CONF (splunkd sets $SPLUNK_HOME/openssl/openssl.cnf)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
import actionlib as al  # noqa: E402

home = sys.argv[1]
libdir = sys.argv[2] if len(sys.argv) > 2 else None
with al.harness.Emulators() as emu:
    os.makedirs(os.path.join(home, "etc", "auth"), exist_ok=True)
    with open(emu.ca, "rb") as src, open(os.path.join(home, "etc", "auth", "cacert.pem"), "wb") as dst:
        dst.write(src.read())
    res = os.path.join(emu.workdir, "results.csv.gz")
    al.write_results(res, ["rule_title", "event_id"], [{"rule_title": "Installed", "event_id": "E9@@notable@@e9"}])
    al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
    if libdir:
        # al.run copies os.environ for the child; the emulators are
        # separate processes started above, and this process has loaded
        # its own libraries already.
        os.environ["LD_LIBRARY_PATH"] = libdir
        if os.path.exists(os.path.join(libdir, "openssl.cnf")):
            os.environ["OPENSSL_CONF"] = os.path.join(libdir, "openssl.cnf")
    try:
        rc, out, err = al.run(al.payload(emu, res, al.base_config(emu)), home)
    finally:
        os.environ.pop("LD_LIBRARY_PATH", None)
        os.environ.pop("OPENSSL_CONF", None)
    incs = emu.soar_ctl("GET", "/_emu/incidents")
    print(err)
    print("rc=%d incidents=%r" % (rc, [i["name"] for i in incs]))
    sys.exit(0 if rc == 0 and [i["name"] for i in incs] == ["Installed"] else 1)
