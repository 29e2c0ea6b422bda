"""End to end: many rows escalated in parallel. The SOAR emulator records
when each request arrived and when it was answered, so the test can see
that requests for different notables overlap while two requests for the
same notable (its lookup, create, update, artifacts) never do, and that
rows sharing a notable become one case. TAP output."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

FIELDS = ["_time", "event_id", "rule_title", "severity", "src"]
t = al.Tap()


def rows():
    # four notables, three rows each, interleaved; the fourth one's id comes
    # in two spellings (SOAR's equals is case-insensitive: one case)
    keys = ["N0@@notable@@0", "N1@@notable@@1", "N2@@notable@@2", "abc@@notable@@3"]
    out = []
    for rnd in range(3):
        for k, key in enumerate(keys):
            if k == 3 and rnd == 1:
                key = key.upper()
            out.append({"_time": str(1714557600 + rnd), "event_id": key,
                        "rule_title": "Notable %d" % k, "severity": "High",
                        "src": "10.9.%d.%d" % (k, rnd)})
    return out


def key_of(req, case_keys):
    """The notable a SOAR request is about, or None."""
    path, body = req["path"], req.get("body") or ""
    try:
        obj = json.loads(body) if body else None
    except ValueError:
        obj = None
    if path.endswith("/incidents/query_paged") and isinstance(obj, dict):
        for f in obj.get("filters") or []:
            for c in f.get("conditions") or []:
                if c.get("field_name") == "properties.splunk_notable_event_id":
                    return str(c.get("value")).lower()
    if req["method"] == "POST" and path.endswith("/incidents") and isinstance(obj, dict):
        v = (obj.get("properties") or {}).get("splunk_notable_event_id")
        return v.lower() if isinstance(v, str) else None
    parts = path.split("/")
    if "incidents" in parts:
        i = parts.index("incidents")
        if i + 1 < len(parts) and parts[i + 1].isdigit():
            return case_keys.get(int(parts[i + 1]))
    return None


def overlap(a, b):
    return a["time"] < b["end"] and b["time"] < a["end"]


def scenario(lanes):
    name = "parallel=%s" % lanes
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        res = os.path.join(emu.workdir, "results.csv.gz")
        data = rows()
        al.write_results(res, FIELDS, data)
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        # a slow server widens every window in which two requests could meet
        emu.soar_ctl("POST", "/_emu/fault", [
            {"path": "/incidents/query_paged$", "delay": 0.06, "count": -1},
            {"path": "/incidents$", "method": "POST", "delay": 0.06, "count": -1},
            {"path": "/incidents/[0-9]+$", "method": "PATCH", "delay": 0.06, "count": -1}])
        os.environ["QS_PARALLEL"] = str(lanes)
        try:
            rc, out, err = al.run(al.payload(emu, res, al.base_config(emu)), home)
        finally:
            del os.environ["QS_PARALLEL"]
        t.ok(rc == 0, name + ": exit 0", err[-2000:])
        incs = emu.soar_ctl("GET", "/_emu/incidents")
        keys = sorted((i.get("properties") or {}).get("splunk_notable_event_id", "").lower() for i in incs)
        t.ok(len(incs) == 4, name + ": twelve rows about four notables make four cases", keys)
        t.ok(len(set(keys)) == 4, name + ": one case per notable (either spelling)", keys)
        arts = sum(len(i.get("artifacts") or []) for i in incs)
        t.ok(arts == 12, name + ": every row's artifact reached its case", arts)
        log = al.modalert_log(home)
        ok_lines = [ln for ln in log.splitlines() if 'action_status="success"' in ln
                    and "Invoking" not in ln]
        t.ok(len(ok_lines) == 12, name + ": a success CAM line per row", len(ok_lines))
        upd = [ln for ln in ok_lines if "Updated QRadar SOAR case" in ln]
        t.ok(len(upd) == 8, name + ": later rows update the case", len(upd))
        case_keys = {i["id"]: (i.get("properties") or {}).get("splunk_notable_event_id", "").lower()
                     for i in incs}
        reqs = [r for r in emu.soar_ctl("GET", "/_emu/requests") if r.get("end")]
        keyed = [(key_of(r, case_keys), r) for r in reqs]
        keyed = [(k, r) for k, r in keyed if k]
        clash = [(a["seq"], b["seq"]) for i, (ka, a) in enumerate(keyed)
                 for kb, b in keyed[i + 1:] if ka == kb and overlap(a, b)]
        t.ok(not clash, name + ": never two requests for one notable in flight at once", clash[:5])
        cross = [(a["seq"], b["seq"]) for i, (ka, a) in enumerate(keyed)
                 for kb, b in keyed[i + 1:] if ka != kb and overlap(a, b)]
        if lanes == 1:
            t.ok(not cross, name + ": one lane sends one request at a time", cross[:5])
        else:
            t.ok(len(cross) > 0, name + ": requests for different notables overlap")
        logins = [r for r in reqs if r["path"] == "/rest/session" and r["method"] == "POST"]
        t.ok(len(logins) == 1, name + ": one login for all connections", len(logins))
        fields = [r for r in reqs if "/types/" in r["path"] or r["path"].endswith("/artifact_types")]
        paths = [r["path"] for r in fields]
        t.ok(len(paths) == len(set(paths)), name + ": no catalogue fetched twice", paths)
        sd = emu.splunkd_ctl("GET", "/_emu/state")
        notes = sd.get("notable_updates") or []
        t.ok(len(notes) == 12, name + ": a notable comment per row", len(notes))


def run_with_expiry(emu, home, prefix, nrows, login_fault=None):
    """Escalates nrows slow rows with eight workers; once three cases
    exist the sessions expire (after login_fault, if any, is set on the
    login). Returns (rc, err)."""
    import threading
    import time

    res = os.path.join(emu.workdir, "results.csv.gz")
    data = [{"_time": "1714557600", "event_id": "%s%d@@notable@@x" % (prefix, i),
             "rule_title": "%s%d" % (prefix, i), "severity": "Low",
             "src": "10.8.0.%d" % i} for i in range(nrows)]
    al.write_results(res, FIELDS, data)
    al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
    emu.soar_ctl("POST", "/_emu/fault", [{"path": "/incidents", "delay": 0.05, "count": -1}])

    def expire():
        # once three cases exist (not merely three creates sent: with eight
        # workers those can all be in flight at the expiry)
        end = time.time() + 60
        while time.time() < end and (emu.soar_ctl("GET", "/_emu/state")
                                     .get("incident_count") or 0) < 3:
            time.sleep(0.02)
        if login_fault:
            emu.soar_ctl("POST", "/_emu/fault", [login_fault])
        emu.soar_ctl("POST", "/_emu/expire_sessions")
    th = threading.Thread(target=expire)
    th.start()
    os.environ["QS_PARALLEL"] = "8"
    try:
        rc, out, err = al.run(al.payload(emu, res, al.base_config(emu, num_events="100")), home)
    finally:
        del os.environ["QS_PARALLEL"]
    th.join()
    return rc, err


def scenario_relogin_once():
    """Sessions expire while eight workers are busy: exactly one re-login,
    whichever workers see the 401."""
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        rc, err = run_with_expiry(emu, home, "R", 16)
        t.ok(rc == 0, "expired session: exit 0", err[-2000:])
        st = emu.soar_ctl("GET", "/_emu/state")
        logins = emu.soar_ctl("GET", "/_emu/requests?path=^/rest/session$&method=POST")
        t.ok(len(logins) == 2, "expired session: one login, one re-login for all lanes",
             len(logins))
        hit = [r for r in emu.soar_ctl("GET", "/_emu/requests") if r.get("status") == 401]
        t.ok(len(hit) >= 1, "expired session: the expiry did hit requests in flight", len(hit))
        t.ok(st.get("incident_count") == 16, "expired session: every row became a case",
             st.get("incident_count"))


def scenario_relogin_refused():
    """Sessions expire while eight workers are busy and SOAR then refuses
    the credentials: one re-login attempt for the whole run (not one per
    worker or per row, which could lock the account); the rows left fail
    with the login's reason; cases already made stand."""
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        rc, err = run_with_expiry(emu, home, "F", 24, login_fault={
            "path": "^/rest/session$", "method": "POST", "status": 401, "count": -1,
            "body": {"success": False, "title": None, "hints": [],
                     "message": "The email address or password you entered is incorrect",
                     "error_code": "generic"}})
        logins = emu.soar_ctl("GET", "/_emu/requests?path=^/rest/session$&method=POST")
        t.ok(len(logins) == 2, "refused re-login: one login, one re-login attempt for the run",
             len(logins))
        t.ok(rc == 6, "refused re-login: exit 6 (SOAR not usable)", rc)
        made = emu.soar_ctl("GET", "/_emu/state").get("incident_count")
        failed = [ln for ln in err.splitlines() if ln.startswith("ERROR rid=")]
        t.ok(made >= 3 and failed and made + len(failed) == 24,
             "refused re-login: every row is a case or a failure naming it", (made, len(failed)))
        t.ok(failed and all("login as" in ln for ln in failed),
             "refused re-login: the failures give the login's reason", failed[:2])


def scenario_one_row_connections():
    """A one-row run needs one connection to SOAR and one to splunkd: the
    worker that escalates the row takes over the connections the run used
    to log in and read its parameters, however many workers are allowed."""
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        res = os.path.join(emu.workdir, "results.csv.gz")
        al.write_results(res, FIELDS, [{"_time": "1714557600", "event_id": "ONE@@notable@@1",
                                        "rule_title": "One", "severity": "High",
                                        "src": "10.7.0.1"}])
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        emu.splunkd_ctl("DELETE", "/_emu/requests")
        rc, out, err = al.run(al.payload(emu, res, al.base_config(emu)), home)
        t.ok(rc == 0, "one row: exit 0", err[-2000:])
        soar = {r["peer"] for r in emu.soar_ctl("GET", "/_emu/requests")}
        sd = emu.splunkd_ctl("GET", "/_emu/requests")
        t.ok(any(r["path"] == "/services/notable_update" for r in sd),
             "one row: the notable was commented on", [r["path"] for r in sd])
        t.ok(len(soar) == 1, "one row: one connection to SOAR", sorted(soar))
        t.ok(len({r["peer"] for r in sd}) == 1, "one row: one connection to splunkd",
             [(r["peer"], r["path"]) for r in sd])
        # QS_PARALLEL that is not a whole number is reported, not read as 2
        os.environ["QS_PARALLEL"] = "2x"
        try:
            rc, out, err = al.run(al.payload(emu, res, al.base_config(emu)), home)
        finally:
            del os.environ["QS_PARALLEL"]
        t.ok(rc == 0 and 'QS_PARALLEL="2x" is not a whole number; using 4 workers' in err,
             "QS_PARALLEL=2x: reported, the default used", err[-1500:])


def main():
    scenario_one_row_connections()
    scenario(4)
    scenario(1)
    scenario_relogin_once()
    scenario_relogin_refused()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
