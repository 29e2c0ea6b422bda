"""End to end, both directions of "closing the loop" (issue 14): a notable
that fires again leaves one note on its SOAR case (note_on_update), and a
case closed in SOAR closes its notable in ES (mode = sync). The real
bin/qradar_soar against the strict emulators. TAP output."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

SEARCH = "Access - Excessive Failed Logins - Rule"
FIELDS = ["_time", "event_id", "rule_title", "rule_description", "severity", "src"]
ROW = {"_time": "1714557600", "event_id": "E1@@notable@@a1", "rule_title": "Brute force",
       "rule_description": "many failures", "severity": "High", "src": "10.0.0.1"}
t = al.Tap()


def soar_reqs(emu, path, method=None):
    q = "?path=" + path + ("&method=" + method if method else "")
    return emu.soar_ctl("GET", "/_emu/requests" + q)


def comments_of(emu, case_id):
    inc = next((i for i in emu.soar_ctl("GET", "/_emu/incidents") if i["id"] == case_id), {})
    return [c["text"]["content"] for c in inc.get("comments", [])]


def run_rows(emu, home, rows, **conf):
    res = os.path.join(emu.workdir, "results.csv.gz")
    al.write_results(res, FIELDS, rows)
    return al.run(al.payload(emu, res, al.base_config(emu, **conf)), home)


def scenario_notes():
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        rc, _, err = run_rows(emu, home, [ROW])
        t.ok(rc == 0, "note: the first run creates the case", err)
        case = emu.soar_ctl("GET", "/_emu/incidents")[0]["id"]
        t.ok(not soar_reqs(emu, "/comments$"), "note: none for a case the run created")

        rc, _, err = run_rows(emu, home, [ROW])
        t.ok(rc == 0 and not soar_reqs(emu, "/comments$"),
             "note: fired again without a change -> no note", err)

        again = dict(ROW, severity="Low", src=["10.0.0.1", "10.0.0.9"])
        later = dict(ROW, severity="Low", rule_description="still failing", src="10.0.0.10")
        rc, _, err = run_rows(emu, home, [again, later])
        notes = comments_of(emu, case)
        t.ok(rc == 0 and len(soar_reqs(emu, "/comments$", "POST")) == 1 and len(notes) == 1,
             "note: two changed rows of one case in one run -> exactly one note", (rc, err, notes))
        want = ('Splunk search "%s" fired again at 2024-05-01 10:00:00 UTC for notable E1@@notable@@a1.\n'
                "Changed fields: Severity: Low; Description: still failing\n"
                "New artifacts: IP Address 10.0.0.9; IP Address 10.0.0.10" % SEARCH)
        t.ok(notes == [want], "note: says which search fired, when, and what changed", notes)
        req = soar_reqs(emu, "/comments$", "POST")[0]
        t.ok(json.loads(req["body"]) == {"text": {"format": "text", "content": want}},
             "note: posted as a TextContentDTO in text format", req.get("body"))
        log = al.modalert_log(home)
        t.ok("added a note to QRadar SOAR case %d" % case in log, "note: logged", log[-2000:])

        emu.soar_ctl("DELETE", "/_emu/requests")
        rc, _, err = run_rows(emu, home, [dict(ROW, severity="Medium")], note_on_update="0")
        t.ok(rc == 0 and not soar_reqs(emu, "/comments$"), "note: note_on_update=0 -> no note", err)

        emu.soar_ctl("POST", "/_emu/fault", {"path": "/comments$", "method": "POST", "status": 500,
                                             "count": 1})
        rc, _, err = run_rows(emu, home, [dict(ROW, severity="High")])
        log = al.modalert_log(home)
        t.ok(rc == 7 and len(comments_of(emu, case)) == 1,
             "note: a failed note -> exit 7, the case update stands, the note is not resent",
             (rc, err))
        cam = [l for l in log.splitlines() if "sendmodaction" in l and "Could not add a note" in l]
        t.ok(len(cam) == 1 and 'action_status="failure"' in cam[0] and 'outcome="note_failed"' in cam[0]
             and 'case_id="%d"' % case in cam[0] and 'event_id="E1@@notable@@a1"' in cam[0],
             "note: a failed note gets a CAM failure line (outcome, case_id, event_id)", log.splitlines()[-3:])


# ---- a case closed in SOAR closes its notable (mode = sync) -----------------

SYNC_SEARCH = "QRadar SOAR - Sync closed cases"
T0 = 1714557600000  # closing times the tests set (epoch ms)


def notable_id(i):
    return "S%04d-0A1B@@notable@@c%04d" % (i, i)


def seed_cases(emu, first, n):
    """n open cases carrying notable ids first..first+n-1; their ids."""
    incs = [{"name": "Case of notable %d" % i, "discovered_date": T0 - 3600000,
             "properties": {"splunk_notable_event_id": notable_id(i)}}
            for i in range(first, first + n)]
    return [i["id"] for i in emu.soar_ctl("POST", "/_emu/incidents", incs)]


def close(emu, case, end_ms, resolution="Resolved", summary="Password reset; account unlocked."):
    emu.soar_ctl("POST", "/_emu/close/%d" % case, {"resolution_id": resolution,
                                                   "resolution_summary": summary, "end_date": end_ms})


def sync(emu, home, **conf):
    res = os.path.join(emu.workdir, "makeresults.csv.gz")
    al.write_results(res, ["_time"], [{"_time": "1714557600"}])
    c = al.base_config(emu, mode="sync", sync_closed="1", sync_since="0")
    c.update(conf)
    return al.run(al.payload(emu, res, c, search_name=SYNC_SEARCH, app="SA_QRadar_SOAR",
                             owner="nobody",
                             sid="scheduler__nobody__SA_QRadar_SOAR__RMD5sync_at_1714557600_7"), home)


def notables(emu):
    return emu.splunkd_ctl("GET", "/_emu/state")["notables"]


def comment(emu, case, label, summary):
    return "QRadar SOAR case %d closed: %s: %s\nhttps://127.0.0.1:%d/#incidents/%d?orgId=201" % (
        case, label, summary, emu.soar["port"], case)


def sync_env():
    emu = al.harness.Emulators()
    emu.__enter__()
    home = al.splunk_home(emu.workdir, emu.ca)
    al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
    return emu, home


def scenario_sync_off():
    emu, home = sync_env()
    try:
        cases = seed_cases(emu, 1, 2)
        close(emu, cases[0], T0)
        emu.soar_ctl("DELETE", "/_emu/requests")
        rc, _, err = sync(emu, home, sync_closed="0")
        t.ok(rc == 0 and emu.soar_ctl("GET", "/_emu/requests") == [] and not notables(emu),
             "sync: sync_closed off -> no SOAR request at all, no notable touched", (rc, err))
        log = al.modalert_log(home)
        t.ok("sync_closed is off" in log and "run summary: mode=sync cases=0 closed=0" in log,
             "sync: off says so in the log, with the run summary", log[-1500:])
    finally:
        emu.__exit__(None, None, None)


def scenario_sync_closed():
    emu, home = sync_env()
    try:
        cases = seed_cases(emu, 1, 4)
        close(emu, cases[0], T0 + 10, "Resolved", "<div class=\"rte\"><p>Password reset;</p><p>account unlocked.</p></div>")
        close(emu, cases[1], T0 + 20, "Duplicate", "Same as case %d" % cases[0])
        close(emu, cases[2], T0 + 30, "Not an Issue", "Scheduled scan")
        emu.soar_ctl("DELETE", "/_emu/requests")
        rc, _, err = sync(emu, home)
        n = notables(emu)
        want = {notable_id(1): comment(emu, cases[0], "Resolved", "Password reset; account unlocked."),
                notable_id(2): comment(emu, cases[1], "Duplicate", "Same as case %d" % cases[0]),
                notable_id(3): comment(emu, cases[2], "Not an Issue", "Scheduled scan")}
        t.ok(rc == 0 and {k: [(h["status"], h["status_label"], h["comment"]) for h in v]
                          for k, v in n.items()} == {k: [("5", "Closed", c)] for k, c in want.items()},
             "sync: three cases closed -> each notable closed once (status 5 Closed), comments exact",
             (rc, err, n))
        q = soar_reqs(emu, "/incidents/query_paged$", "POST")
        body = json.loads(q[0]["body"]) if q else {}
        t.ok(len(q) == 1 and ["return_level", "normal"] in q[0]["query"]
             and body.get("filters") == [{"conditions": [
                 {"field_name": "plan_status", "method": "equals", "value": "C"},
                 {"field_name": "properties.splunk_notable_event_id", "method": "has_a_value"},
                 {"field_name": "end_date", "method": "gte", "value": 0}]}]
             and body.get("sorts") == [{"field_name": "end_date", "type": "asc"},
                                       {"field_name": "id", "type": "asc"}],
             "sync: one query_paged for closed cases with a notable id since the mark, oldest first",
             q)
        log = al.modalert_log(home)
        cam = [l for l in log.splitlines() if "sendmodaction" in l and 'outcome="notable_closed"' in l]
        t.ok(len(cam) == 3 and all('action_status="success"' in l for l in cam)
             and 'case_id="%d"' % cases[1] in cam[1] and 'event_id="%s"' % notable_id(2) in cam[1],
             "sync: a CAM line per notable closed (case_id, event_id)", cam)
        t.ok("run summary: mode=sync cases=3 closed=3 refused=0 stopped=0" in log,
             "sync: one run summary line", log[-1500:])

        rc, _, err = sync(emu, home)
        t.ok(rc == 0 and notables(emu) == n, "sync: a second run posts no closure twice", (rc, err))

        close(emu, cases[3], T0 + 40, "Unresolved", "Could not reproduce")
        rc, _, err = sync(emu, home)
        n2 = notables(emu)
        t.ok(rc == 0 and len(n2) == 4 and n2[notable_id(4)][0]["comment"]
             == comment(emu, cases[3], "Unresolved", "Could not reproduce")
             and all(len(v) == 1 for v in n2.values()),
             "sync: a case closed after the last run -> only its notable", (rc, err, n2))

        # closed at the exact millisecond of the mark, after the mark was taken
        more = seed_cases(emu, 5, 1)
        close(emu, more[0], T0 + 40, "Resolved", "Same minute")
        rc, _, err = sync(emu, home)
        n3 = notables(emu)
        t.ok(rc == 0 and len(n3.get(notable_id(5), [])) == 1 and len(n3[notable_id(4)]) == 1,
             "sync: a case closed at the mark's millisecond is synced; the one already synced is not",
             (rc, err, n3))

        # re-opened and closed again: a new closing, synced again
        emu.soar_ctl("POST", "/_emu/reopen/%d" % cases[0])
        close(emu, cases[0], T0 + 50, "Duplicate", "Reopened by mistake")
        rc, _, err = sync(emu, home)
        h = notables(emu)[notable_id(1)]
        t.ok(rc == 0 and len(h) == 2 and h[1]["comment"] == comment(
            emu, cases[0], "Duplicate", "Reopened by mistake"),
             "sync: a case re-opened and closed again is synced again", (rc, err, h))
        st = emu.splunkd_ctl("GET", "/_emu/kvstore?collection=qradar_soar_state")
        docs = st["collections"]["qradar_soar_state"]["docs"]
        t.ok(docs and docs[0]["kind"] == "sync_closed" and docs[0]["host"] == "127.0.0.1"
             and docs[0]["org"] == "Test Organization" and int(docs[0]["end_date"]) == T0 + 50
             and docs[0]["ids"] == [cases[0]],
             "sync: the mark is one KV document per host and org: latest closing time and its cases",
             st)
    finally:
        emu.__exit__(None, None, None)


def scenario_sync_failures():
    emu, home = sync_env()
    # SOAR's retries end in 2 s, not 2 minutes
    os.environ["QS_SOAR_BUDGET_MS"] = "2000"
    try:
        cases = seed_cases(emu, 1, 150)
        for k, c in enumerate(cases):
            close(emu, c, T0 + 1000 + k, "Resolved", "Done %d" % k)
        # SOAR down: nothing posted, the mark stays
        emu.soar_ctl("POST", "/_emu/fault", {"path": "/incidents/query_paged$", "status": 503,
                                             "count": -1})
        rc, _, err = sync(emu, home)
        t.ok(rc == 6 and not notables(emu), "sync: SOAR down -> exit 6, no notable touched", (rc, err))
        emu.soar_ctl("DELETE", "/_emu/faults")
        # splunkd refusing notable_update after 30: the run stops there
        emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/notable_update$", "status": 503, "after": 30,
                                                "count": 1})
        rc, _, err = sync(emu, home)
        n = notables(emu)
        t.ok(rc == 7 and len(n) == 30 and all(len(v) == 1 for v in n.values()),
             "sync: splunkd failing mid-run -> exit 7, the 30 before it closed once", (rc, err, len(n)))
        log = al.modalert_log(home)
        t.ok('outcome="notable_not_closed"' in log and "next run tries again" in log,
             "sync: the notable not closed gets a CAM failure line", log[-2000:])
        # SOAR failing on the second page of the next run
        emu.soar_ctl("POST", "/_emu/fault", {"path": "/incidents/query_paged$", "status": 503,
                                             "after": 1, "count": -1})
        rc, _, err = sync(emu, home)
        n = notables(emu)
        # the first page: the case the last run ended on, then 99 new ones
        t.ok(rc == 6 and len(n) == 129 and all(len(v) == 1 for v in n.values()),
             "sync: SOAR failing on the second page -> exit 6, the first page's closed once",
             (rc, err, len(n)))
        emu.soar_ctl("DELETE", "/_emu/faults")
        # the KV store refusing the mark after a notable_update: kept locally
        emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/data/qradar_soar_state/", "method": "POST",
                                                "status": 503, "after": 5, "count": -1})
        rc, _, err = sync(emu, home)
        n = notables(emu)
        local = os.path.join(home, "var", "spool", "SA_QRadar_SOAR", "sync")
        t.ok(rc == 5 and len(n) == 135 and all(len(v) == 1 for v in n.values())
             and len(os.listdir(local)) == 1,
             "sync: the KV store refusing the mark -> exit 5, the run stops, the mark kept on this host",
             (rc, err, len(n)))
        emu.splunkd_ctl("DELETE", "/_emu/faults")
        emu.soar_ctl("DELETE", "/_emu/requests")
        rc, _, err = sync(emu, home)
        n = notables(emu)
        t.ok(rc == 0 and len(n) == 150 and all(len(v) == 1 for v in n.values())
             and os.listdir(local) == [],
             "sync: caught up next run: all 150 notables closed exactly once", (rc, err, len(n)))
        q = soar_reqs(emu, "/incidents/query_paged$", "POST")
        t.ok(len(q) == 1, "sync: 15 cases left -> one query_paged", len(q))
        rc, _, err = sync(emu, home)
        t.ok(rc == 0 and notables(emu) == n, "sync: and nothing more after", (rc, err))
    finally:
        os.environ.pop("QS_SOAR_BUDGET_MS", None)
        emu.__exit__(None, None, None)


def scenario_sync_refusals():
    emu, home = sync_env()
    try:
        cases = seed_cases(emu, 1, 2)
        bad = emu.soar_ctl("POST", "/_emu/incidents", [{
            "name": "Case of a plain alert", "discovered_date": T0,
            "properties": {"splunk_notable_event_id": "not a notable id"}}])[0]["id"]
        close(emu, cases[0], T0 + 1)
        close(emu, bad, T0 + 2)
        close(emu, cases[1], T0 + 3)
        rc, _, err = sync(emu, home)
        n = notables(emu)
        log = al.modalert_log(home)
        t.ok(rc == 4 and sorted(n) == [notable_id(1), notable_id(2)]
             and 'outcome="notable_refused"' in log and "Invalid rule_id" in log,
             "sync: a notable id ES refuses -> logged (CAM), passed, the others closed, exit 4",
             (rc, err, sorted(n)))
        ups = len(emu.splunkd_ctl("GET", "/_emu/state")["notable_updates"])
        reqs = emu.splunkd_ctl("GET", "/_emu/requests?path=/notable_update$")
        rc, _, err = sync(emu, home)
        t.ok(rc == 0 and len(emu.splunkd_ctl("GET", "/_emu/requests?path=/notable_update$")) == len(reqs)
             and len(emu.splunkd_ctl("GET", "/_emu/state")["notable_updates"]) == ups,
             "sync: the refused notable is not tried again", (rc, err))

        emu.soar_ctl("DELETE", "/_emu/requests")
        rc, _, err = sync(emu, home, sync_close_status="9")
        t.ok(rc == 2 and emu.soar_ctl("GET", "/_emu/requests") == []
             and "sync_close_status = 9 is not one of Enterprise Security" in err,
             "sync: a close status ES does not have -> exit 2 naming the setting, SOAR not asked", (rc, err))
        emu.splunkd_ctl("POST", "/_emu/es", {"installed": False})
        rc, _, err = sync(emu, home)
        t.ok(rc == 2 and emu.soar_ctl("GET", "/_emu/requests") == []
             and "Enterprise Security is not installed" in err,
             "sync: ES absent -> exit 2, SOAR not asked", (rc, err))
        emu.splunkd_ctl("POST", "/_emu/es", {"installed": True})
        emu.splunkd_ctl("POST", "/_emu/kvstore", {"status": "starting"})
        rc, _, err = sync(emu, home)
        t.ok(rc == 5 and emu.soar_ctl("GET", "/_emu/requests") == [] and "sync mark" in err,
             "sync: KV store not ready -> exit 5, SOAR not asked", (rc, err))
        emu.splunkd_ctl("POST", "/_emu/kvstore", {"status": "ready"})
        msgs = emu.splunkd_ctl("GET", "/_emu/state")["messages"]
        t.ok("SA_QRadar_SOAR_sync" in msgs and "KV store" in msgs["SA_QRadar_SOAR_sync"]["message"],
             "sync: a failed sync posts a Splunk message", msgs)

        # a custom status: the notables get it
        emu.splunkd_ctl("POST", "/_emu/reviewstatuses", {"id": "8", "label": "Closed in SOAR"})
        more = seed_cases(emu, 10, 1)
        close(emu, more[0], T0 + 9)
        rc, _, err = sync(emu, home, sync_close_status="8")
        h = notables(emu).get(notable_id(10), [])
        t.ok(rc == 0 and [(x["status"], x["status_label"]) for x in h] == [("8", "Closed in SOAR")],
             "sync: sync_close_status names the status the notable gets", (rc, err, h))
    finally:
        emu.__exit__(None, None, None)


def scenario_sync_odd_cases():
    """SOAR answers closed cases with fields missing or odd (no properties,
    a notable id that is no text, an unknown resolution)."""
    emu, home = sync_env()
    try:
        base = {"id": 2200, "end_date": T0 + 5, "plan_status": "C", "resolution_id": 999,
                "resolution_summary": "ok", "properties": {"splunk_notable_event_id": notable_id(99)}}
        odd = [dict({k: v for k, v in base.items() if k != "properties"}, id=2201, end_date=T0 + 1),
               dict(base, id=2202, end_date=T0 + 2, properties={"splunk_notable_event_id": 12}),
               base]
        emu.soar_ctl("POST", "/_emu/fault", {"path": "/incidents/query_paged$", "status": 200, "count": 1,
                                             "body": {"recordsTotal": 3, "data": odd}})
        rc, _, err = sync(emu, home)
        n = notables(emu)
        log = al.modalert_log(home)
        t.ok(rc == 4 and [h["comment"].split("\n")[0] for h in n.get(notable_id(99), [])]
             == ["QRadar SOAR case 2200 closed: resolution 999: ok"],
             "sync: an unknown resolution id is named by its number; cases without a notable id passed",
             (rc, err[-800:], n))
        t.ok("(null)" not in log and "QRadar SOAR case 2201 has no notable id" in log
             and "QRadar SOAR case 2202 has no notable id" in log,
             "sync: a case without a notable id is named by its case id, no (null)", log[-1500:])
    finally:
        emu.__exit__(None, None, None)


def scenario_sync_bad_mark():
    """A mark document someone edited into something else: every run stops,
    naming the document and what to do; deleting it as told recovers."""
    import ssl
    import urllib.request
    emu, home = sync_env()
    try:
        cases = seed_cases(emu, 1, 2)
        close(emu, cases[0], T0 + 1)
        rc, _, err = sync(emu, home)
        docs = emu.splunkd_ctl("GET", "/_emu/kvstore?collection=qradar_soar_state")[
            "collections"]["qradar_soar_state"]["docs"]
        key = docs[0]["_key"]
        emu.splunkd_ctl("POST", "/_emu/kvstore/seed", {"collection": "qradar_soar_state", "docs": [
            dict(docs[0], end_date="yesterday")]})
        close(emu, cases[1], T0 + 2)
        rc, _, err = sync(emu, home)
        t.ok(rc == 5 and len(notables(emu)) == 1 and key in err and "end_date" in err
             and "Delete" in err and "sync_since" in err,
             "sync: an unusable mark -> exit 5 naming its document, what is wrong and what to do",
             (rc, err[-800:]))
        url = emu.splunkd_url() + ("/servicesNS/nobody/SA_QRadar_SOAR/storage/collections/data/"
                                   "qradar_soar_state/" + key)
        req = urllib.request.Request(url, method="DELETE",
                                     headers={"Authorization": "Splunk " + al.SESSION_KEY})
        with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=emu.ca)) as r:
            st = r.status
        rc, _, err = sync(emu, home)
        n = notables(emu)
        t.ok(st == 200 and rc == 0 and len(n) == 2,
             "sync: the mark deleted as told -> the next run starts again at sync_since", (st, rc, err[-500:]))
    finally:
        emu.__exit__(None, None, None)


def scenario_sync_concurrent():
    """Two sync runs at once on one host (the scheduled one and a manual
    "Run", or two searches with mode = sync): each notable closed once."""
    import threading
    emu, home = sync_env()
    try:
        cases = seed_cases(emu, 1, 6)
        for k, c in enumerate(cases):
            close(emu, c, T0 + 10 * k)
        # ES slow to answer: both runs are in the middle at once
        emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/notable_update$", "delay": 0.5,
                                                "late": True, "count": -1})
        out = [None, None]

        def go(i):
            out[i] = sync(emu, home)
        th = [threading.Thread(target=go, args=(i,)) for i in range(2)]
        for x in th:
            x.start()
        for x in th:
            x.join()
        n = notables(emu)
        t.ok([o[0] for o in out] == [0, 0] and len(n) == 6 and all(len(v) == 1 for v in n.values()),
             "sync: two runs at once on one host -> each notable closed and commented once",
             ([o[0] for o in out], {k: len(v) for k, v in n.items()}))
        t.ok(sum("another sync run" in o[2] for o in out) == 1,
             "sync: the run that found another under way says so",
             [o[2][-600:] for o in out])
    finally:
        emu.__exit__(None, None, None)


def scenario_sync_first_run():
    emu, home = sync_env()
    try:
        import time as _t
        cases = seed_cases(emu, 1, 2)
        close(emu, cases[0], int(_t.time() * 1000) - 60000)
        rc, _, err = sync(emu, home, sync_since="")
        t.ok(rc == 0 and not notables(emu),
             "sync: first run without sync_since starts now: an earlier closure stays", (rc, err))
        emu.soar_ctl("POST", "/_emu/close/%d" % cases[1], None)
        rc, _, err = sync(emu, home, sync_since="")
        t.ok(rc == 0 and list(notables(emu)) == [notable_id(2)],
             "sync: a case closed after the first run is synced", (rc, err, notables(emu)))
        # ticked again later: sync_since moves the start forward
        close(emu, seed_cases(emu, 3, 1)[0], int(_t.time() * 1000) - 1000)
        rc, _, err = sync(emu, home, sync_since=str(int(_t.time()) + 1))
        t.ok(rc == 0 and list(notables(emu)) == [notable_id(2)],
             "sync: a later sync_since (ticked again) leaves closures before it", (rc, err))
    finally:
        emu.__exit__(None, None, None)


def main():
    print("TAP version 13")
    scenario_notes()
    scenario_sync_off()
    scenario_sync_closed()
    scenario_sync_failures()
    scenario_sync_refusals()
    scenario_sync_concurrent()
    scenario_sync_odd_cases()
    scenario_sync_bad_mark()
    scenario_sync_first_run()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
