"""End to end: the alert action through an HTTP proxy (CONNECT tunnel) with
Basic proxy authentication; the proxy password comes from storage/passwords
(realm SA_QRadar_SOAR_proxy, username = proxy user) and never shows up in a
log. splunkd is always reached directly. TAP output."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

PROXY_USER = "squid-user"
PROXY_PASSWORD = "Pr0xy-pa55!"
FIELDS = ["_time", "event_id", "rule_title", "severity", "src"]
ROWS = [{"_time": "1714557600", "event_id": "P1@@notable@@p", "rule_title": "Via proxy",
         "severity": "High", "src": "10.7.0.1"}]
t = al.Tap()


def seed_proxy_password(emu, password):
    emu.splunkd_ctl("POST", "/_emu/seed", {"passwords": [
        {"realm": "SA_QRadar_SOAR_proxy", "username": PROXY_USER, "password": password,
         "app": "SA_QRadar_SOAR"}]})


def run_case(name, stored_password, deny=False, user=PROXY_USER):
    with al.harness.Emulators(proxy=True, proxy_args=["--user", "%s:%s" % (PROXY_USER, PROXY_PASSWORD)]) as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        res = os.path.join(emu.workdir, "results.csv.gz")
        al.write_results(res, FIELDS, ROWS)
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        if stored_password is not None:
            seed_proxy_password(emu, stored_password)
        if deny:
            emu.proxy_ctl("POST", "/_emu/deny", {"deny": True})
        conf = al.base_config(emu, proxy_host="127.0.0.1", proxy_port=str(emu.proxy["port"]),
                              proxy_user=user)
        rc, out, err = al.run(al.payload(emu, res, conf), home)
        tunnels = emu.proxy_ctl("GET", "/_emu/requests")
        log = al.modalert_log(home)
        blob = out + err + log
        for root, _, files in os.walk(home):
            for f in files:
                with open(os.path.join(root, f), errors="replace") as fh:
                    blob += fh.read()
        t.ok(PROXY_PASSWORD not in blob and (stored_password or "x" * 9) not in blob,
             name + ": the proxy password is in no output or file")
        return rc, err, log, tunnels, emu.soar_ctl("GET", "/_emu/incidents")


def main():
    rc, err, log, tunnels, incs = run_case("proxy", PROXY_PASSWORD)
    t.ok(rc == 0, "proxy: exit 0", err[-1500:])
    t.ok(len(incs) == 1, "proxy: the case was created through the tunnel", len(incs))
    ok = [x for x in tunnels if x["status"] == 200]
    t.ok(len(ok) >= 1 and all(x["user"] == PROXY_USER for x in ok),
         "proxy: SOAR reached through CONNECT with the proxy user", tunnels)
    t.ok(all(x["target"].startswith("127.0.0.1:") for x in tunnels)
         and len({x["target"] for x in tunnels}) == 1,
         "proxy: only SOAR goes through the proxy (splunkd is local)", tunnels)

    rc, err, log, tunnels, incs = run_case("wrong proxy password", "not-the-password")
    t.ok(rc == 6, "wrong proxy password: exit 6 (SOAR unreachable)", (rc, err[-800:]))
    t.ok('action_status="failure"' in log and "proxy" in log.lower(),
         "wrong proxy password: the failure line names the proxy", log[-1500:])
    t.ok(not incs, "wrong proxy password: no case")

    rc, err, log, tunnels, incs = run_case("no proxy password", None)
    t.ok(rc == 5, "proxy password not stored: exit 5 before SOAR is called", (rc, err[-800:]))
    t.ok("proxy password" in log and not tunnels,
         "proxy password not stored: says so; no tunnel attempted", log[-800:])

    rc, err, log, tunnels, incs = run_case("proxy refuses", PROXY_PASSWORD, deny=True)
    t.ok(rc == 6 and "proxy" in log.lower(), "proxy refuses the tunnel: exit 6, failure names the proxy",
         (rc, log[-800:]))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
