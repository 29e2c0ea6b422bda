"""End to end: the real bin/qradar_soar --execute, run the way splunkd runs
it, against the strict SOAR and splunkd emulators on loopback (HTTPS with a
CA made for the test). TAP output."""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

FIELDS = ["_time", "event_id", "rule_title", "rule_description", "severity", "src"]
ROWS = [
    {"_time": "1714557600", "event_id": "E1@@notable@@a1", "rule_title": "First",
     "rule_description": "one <b>", "severity": "High", "src": ["10.0.0.1", "10.0.0.2"]},
    {"_time": "1714557660", "event_id": "E2@@notable@@b2", "rule_title": "Second",
     "rule_description": "two", "severity": "Low", "src": "10.0.0.3"},
    {"_time": "1714557720", "event_id": "", "rule_title": "Third",
     "rule_description": "three", "severity": "Medium", "src": "10.0.0.4"},
]
SECRETS = [al.SOAR_PASSWORD, al.SESSION_KEY, al.API_KEY_SECRET]
t = al.Tap()


def requests(emu, path=None, method=None):
    q = []
    if path:
        q.append("path=" + path)
    if method:
        q.append("method=" + method)
    return emu.soar_ctl("GET", "/_emu/requests" + ("?" + "&".join(q) if q else ""))


def no_secrets(name, home, *texts):
    blob = "\n".join(texts)
    for root, _, files in os.walk(home):
        for f in files:
            try:
                with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
                    blob += fh.read()
            except OSError:
                pass
    leaked = [s for s in SECRETS if s in blob]
    t.ok(not leaked, name + ": no secret in any output or file under SPLUNK_HOME", leaked)


def scenario_create_then_update():
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        res = os.path.join(emu.workdir, "results.csv.gz")
        al.write_results(res, FIELDS, ROWS)
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        p = al.payload(emu, res, al.base_config(emu))
        rc, out, err = al.run(p, home)
        t.ok(rc == 0, "create: exit 0", err)
        incs = emu.soar_ctl("GET", "/_emu/incidents")
        t.ok(len(incs) == 3, "create: three cases", [i.get("name") for i in incs])
        first = next((i for i in incs if i["name"] == "First"), {})
        t.ok(first.get("severity_code") == 52, "create: select label mapped to its id")
        t.ok((first.get("properties") or {}).get("splunk_notable_event_id") == "E1@@notable@@a1",
             "create: notable id stored on the case")
        t.ok(sorted(a["value"] for a in first.get("artifacts", [])) == ["10.0.0.1", "10.0.0.2"],
             "create: one artifact per multivalue value", first.get("artifacts"))
        st = emu.soar_ctl("GET", "/_emu/state")
        t.ok(len(st.get("logins") or []) == 1 and not st.get("interactive_logins")
             and not any(l.get("interactive") for l in st.get("logins") or []),
             "create: exactly one non-interactive login", st.get("logins"))
        sd = emu.splunkd_ctl("GET", "/_emu/state")
        ups = sd.get("notable_updates", [])
        t.ok(len(ups) == 2, "create: a notable comment per row with event_id", ups)
        t.ok(any("QRadar SOAR Case ID: %d" % first.get("id", -1) in json.dumps(u) for u in ups),
             "create: comment names the case id", ups)
        log = al.modalert_log(home)
        t.ok(log.count('action_status="success"') >= 3, "create: a CAM success line per row", log)
        t.ok(len(requests(emu, "/types/incident/fields$", "GET")) == 1,
             "create: field definitions fetched once")
        emu.soar_ctl("DELETE", "/_emu/requests")
        rc, out2, err2 = al.run(p, home)
        t.ok(rc == 0, "update: exit 0", err2)
        incs2 = emu.soar_ctl("GET", "/_emu/incidents")
        t.ok(len(incs2) == 4, "update: notables found and updated; only the keyless row makes a new case",
             [i["name"] for i in incs2])
        first2 = next((i for i in incs2 if i["id"] == first.get("id")), {})
        t.ok(len(first2.get("artifacts", [])) == 2, "update: no duplicate artifacts",
             first2.get("artifacts"))
        st2 = emu.soar_ctl("GET", "/_emu/state")
        t.ok(not st2.get("puts"), "update: never a whole-incident PUT")
        t.ok(len(requests(emu, "/incidents/query_paged$", "POST")) == 2,
             "update: one lookup per notable row")
        sd2 = emu.splunkd_ctl("GET", "/_emu/state")
        t.ok(sd2.get("notable_updates", []) == ups,
             "unchanged re-run: no new notable comment", sd2.get("notable_updates"))
        log2 = al.modalert_log(home)
        t.ok(log2.count('outcome="unchanged"') == 2 and "unchanged: it already has every mapped value" in log2,
             "unchanged re-run: the CAM lines say unchanged", log2[-2000:])
        res3 = os.path.join(emu.workdir, "results3.csv.gz")
        al.write_results(res3, FIELDS, [dict(ROWS[0], severity="Low")] + ROWS[1:2])
        rc, out3, err3 = al.run(al.payload(emu, res3, al.base_config(emu)), home)
        ups3 = emu.splunkd_ctl("GET", "/_emu/state").get("notable_updates", [])
        new = ups3[len(ups):]
        t.ok(rc == 0 and len(new) == 1 and "Updated case %d in QRadar SOAR" % first.get("id", -1) in json.dumps(new),
             "a real update (severity changed): one comment, on that notable only", (rc, new, err3))
        no_secrets("create/update", home, out, err, out2, err2)


def scenario_duplicates_and_api_keys():
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        res = os.path.join(emu.workdir, "results.csv.gz")
        al.write_results(res, FIELDS, ROWS[:1])
        al.seed_secret(emu, "127.0.0.1", al.API_KEY_ID, al.API_KEY_SECRET)
        p = al.payload(emu, res, al.base_config(emu, api_keys="1", user=al.API_KEY_ID,
                                                  duplicates="1"))
        for _ in range(2):
            rc, out, err = al.run(p, home)
            t.ok(rc == 0, "api keys + duplicates=1: exit 0", err)
        t.ok(len(emu.soar_ctl("GET", "/_emu/incidents")) == 2, "duplicates=1: a new case each run")
        t.ok(not requests(emu, "/rest/session$", "POST"), "api keys: no POST /rest/session")
        t.ok(not requests(emu, "query_paged"), "duplicates=1: no lookup")
        reqs = requests(emu)
        t.ok(all(any(k.lower() == "authorization" and v.startswith("Basic ")
                     for k, v in (r.get("headers") or {}).items()) for r in reqs),
             "api keys: Basic auth on every request")
        no_secrets("api keys", home, out, err)


def scenario_failures():
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        res = os.path.join(emu.workdir, "results.csv.gz")
        al.write_results(res, FIELDS, ROWS[:1])
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, "wrong-password")
        p = al.payload(emu, res, al.base_config(emu))
        rc, out, err = al.run(p, home)
        log = al.modalert_log(home)
        t.ok(rc == 6, "wrong password: exit 6 (SOAR)", (rc, err))
        t.ok('action_status="failure"' in log and "login" in log, "wrong password: CAM failure says login", log)
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        rc, out, err = al.run(al.payload(emu, res, al.base_config(emu, org="Disabled Org")), home)
        t.ok(rc == 6 and "disabled" in err, "disabled org: exit 6, message says disabled", err)
        rc, out, err = al.run(al.payload(emu, res, al.base_config(emu, org="Nope")), home)
        t.ok(rc == 6 and "Test Organization" in err, "unknown org: lists the visible orgs", err)
        rc, out, err = al.run(al.payload(emu, res, al.base_config(emu, verify=emu.certs["other-ca"])), home)
        t.ok(rc == 6 and "127.0.0.1" in err, "wrong CA: TLS failure names the host", err)
        emu.soar_ctl("POST", "/_emu/fault", {"path": "/incidents$", "method": "POST", "count": 2,
                                             "status": 503})
        rc, out, err = al.run(p, home)
        t.ok(rc == 0, "SOAR 503 twice then up: case created after retries", err)
        emu.soar_ctl("POST", "/_emu/fault", {"path": "/incidents$", "method": "POST", "count": 1,
                                             "status": 400, "body": {"success": False, "title": None,
                                             "message": "Field X is bad", "hints": [],
                                             "error_code": "generic"}})
        n = len(requests(emu, "/incidents$", "POST"))
        rc, out, err = al.run(al.payload(emu, res, al.base_config(emu, duplicates="1")), home)
        t.ok(rc == 4 and "Field X is bad" in err, "400: exit 4, SOAR's message quoted", err)
        t.ok(len(requests(emu, "/incidents$", "POST")) == n + 1, "400: never retried")
        before = len(al.modalert_log(home))
        rc, out, err = al.run(None, home, raw=b'{"session_key": admin-session-key}')
        t.ok(rc == 2 and al.SESSION_KEY not in err, "unparsable payload: exit 2, the input not quoted", err)
        t.ok('action_status="failure"' in al.modalert_log(home)[before:] and
             al.SESSION_KEY not in al.modalert_log(home),
             "unparsable payload: a CAM failure line", al.modalert_log(home)[before:])
        p2 = dict(p)
        del p2["session_key"]
        rc, out, err = al.run(p2, home)
        t.ok(rc == 2, "no session_key: exit 2", err)
        rc, out, err = al.run(al.payload(emu, res, al.base_config(emu), session_key="analyst-session-key"), home)
        t.ok(rc == 5 and "list_storage_passwords" in err, "403 on the secret names the capability", err)
        no_secrets("failures", home, out, err)


def scenario_scheduled_templates():
    """Splunk pre-resolves $result.x$ from row 1 only: a scheduled run must
    read the raw templates back (saved search over the action defaults)."""
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        res = os.path.join(emu.workdir, "results.csv.gz")
        al.write_results(res, FIELDS, ROWS)
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        conf = al.base_config(emu)
        defaults = {"param." + k: v for k, v in conf.items()}
        defaults["param.mapping_name"] = "default $result.rule_title$"
        emu.splunkd_ctl("POST", "/_emu/seed", {
            "conf": {"alert_actions": {"qradar_soar": defaults}},
            "saved_searches": [{"owner": "admin", "app": "search", "name": "Brute Force",
                                "content": {"action.qradar_soar": "1",
                                            "action.qradar_soar.param.mapping_name":
                                            "Scheduled: $result.rule_title$",
                                            "action.qradar_soar.param.mapping_description":
                                            "Severity $alert.severity$ from $job.label$"}}]})
        # what splunkd pre-resolves (the first row for $result.x$; everything
        # else, such as $alert.severity$, for the whole alert)
        pre = dict(conf, mapping_name="Scheduled: First", mapping_description="Severity 4 from Brute Force")
        p = al.payload(emu, res, pre, search_uri="/servicesNS/admin/search/saved/searches/Brute%20Force")
        rc, out, err = al.run(p, home)
        names = sorted(i["name"] for i in emu.soar_ctl("GET", "/_emu/incidents"))
        t.ok(rc == 0 and names == ["Scheduled: First", "Scheduled: Second", "Scheduled: Third"],
             "scheduled: every row resolved from the saved search's raw template", (rc, names, err))
        descs = sorted((i.get("description") or {}).get("content", "") for i in emu.soar_ctl("GET", "/_emu/incidents"))
        t.ok(descs == ["Severity 4 from Brute Force"] * 3,
             "scheduled: a template without $result.x$ keeps Splunk's own expansion ($alert.*$, $job.*$)", descs)
        res2 = os.path.join(emu.workdir, "adhoc.csv.gz")
        al.write_results(res2, FIELDS, [dict(ROWS[2], event_id="")])
        rc, out, err = al.run(al.payload(emu, res2, dict(conf, mapping_name="Ad hoc $result.rule_title$",
                                                           duplicates="1")), home)
        t.ok(rc == 0 and any(i["name"] == "Ad hoc Third" for i in emu.soar_ctl("GET", "/_emu/incidents")),
             "ad hoc: the payload's configuration is used", err)


for s in (scenario_scheduled_templates, scenario_create_then_update, scenario_duplicates_and_api_keys, scenario_failures):
    try:
        s()
    except Exception as e:  # a crash of the harness is a failure, not a skip
        t.ok(False, "%s raised %r" % (s.__name__, e))
sys.exit(t.done())
