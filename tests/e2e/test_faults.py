"""End to end under faults: the real bin/qradar_soar --execute against the
emulators with fault injection (tests/emu/README.md). Checks the exact SOAR
requests, the cases held, the notable comments, the CAM lines and the exit
codes against issue 3's contract. QS_SOAR_BUDGET_MS keeps the retry budget
small so the whole file runs in seconds. TAP output."""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from email.utils import formatdate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

FIELDS = ["_time", "event_id", "rule_title", "rule_description", "severity", "src"]


def row(n, event_id=None, **over):
    r = {"_time": str(1714557600 + 60 * n), "event_id": "E%d@@notable@@x%d" % (n, n)
         if event_id is None else event_id, "rule_title": "Rule %d" % n,
         "rule_description": "desc %d" % n, "severity": "High", "src": "10.0.0.%d" % n}
    r.update(over)
    return r


SECRETS = {"SOAR password": al.SOAR_PASSWORD, "API key secret": al.API_KEY_SECRET,
           "splunkd session key": al.SESSION_KEY}
INCIDENTS = r"/rest/orgs/201/incidents$"
QUERY = r"/incidents/query_paged$"
PATCH = r"/rest/orgs/201/incidents/\d+$"
CONFLICT = {"success": False, "title": None, "hints": [], "field_failures": [],
            "message": "The incident could not be applied due to a conflicting edit by "
                       "another user.  The following field(s) were in conflict:  name."}
t = al.Tap()
transcript = []  # every stdout/stderr, for the secret grep
recorded = []    # every request both emulators saw, kept across resets


class Run:
    def __init__(self, rc, out, err, secs):
        self.rc, self.out, self.err, self.secs = rc, out, err, secs
        transcript.extend([out, err])


def start(emu, p, home, budget_ms=None):
    env = dict(os.environ, SPLUNK_HOME=home)
    if budget_ms:
        env["QS_SOAR_BUDGET_MS"] = str(budget_ms)
    cmd = [al.binary(), "--execute"]
    if os.environ.get("QS_VALGRIND"):
        cmd = os.environ["QS_VALGRIND"].split() + cmd
    # stdin from a file outside SPLUNK_HOME (the payload holds the session key)
    with tempfile.TemporaryFile() as fh:
        fh.write(json.dumps(p).encode())
        fh.seek(0)
        proc = subprocess.Popen(cmd, stdin=fh, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env)
    return proc, time.time()


def finish(proc, t0):
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:  # a hang is a failure of the run, not of the harness
        proc.kill()
        out, err = proc.communicate()
        err += b"\n(killed after 30 s)"
    return Run(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
               time.time() - t0)


def run(emu, p, home, budget_ms=None):
    return finish(*start(emu, p, home, budget_ms))


def reqs(emu, path=None, method=None):
    q = []
    if path:
        q.append("path=" + urllib.parse.quote(path, safe=""))
    if method:
        q.append("method=" + method)
    return emu.soar_ctl("GET", "/_emu/requests" + ("?" + "&".join(q) if q else ""))


def wait_for(fn, secs=10):
    end = time.time() + secs
    while time.time() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.02)
    return None


def fresh(emu, rows, **conf):
    """Forgets everything both emulators hold; seeds the SOAR secret; writes
    the results. Returns (payload, home)."""
    keep(emu)
    emu.soar_ctl("POST", "/_emu/reset")
    emu.splunkd_ctl("POST", "/_emu/reset")
    al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
    home = al.splunk_home(os.path.join(emu.workdir, "r%d" % len(transcript)), emu.ca)
    res = os.path.join(home, "results.csv.gz")
    al.write_results(res, FIELDS, rows)
    return al.payload(emu, res, al.base_config(emu, **conf)), home


def keep(emu):
    recorded.extend(("soar", r) for r in emu.soar_ctl("GET", "/_emu/requests"))
    recorded.extend(("splunkd", r) for r in emu.splunkd_ctl("GET", "/_emu/requests"))


def soar_calls(emu):
    """The SOAR requests of the run as "METHOD path" (login and types left out)."""
    return ["%s %s" % (r["method"], re.sub(r"/rest/orgs/201", "", r["path"]))
            for r in reqs(emu) if "/types/" not in r["path"] and "/artifact_types" not in r["path"]
            and r["path"] not in ("/rest/session", "/rest/const")]


def cases(emu):
    return emu.soar_ctl("GET", "/_emu/incidents")


def notables(emu):
    return emu.splunkd_ctl("GET", "/_emu/state").get("notable_updates", [])


def comment(u):
    return dict(u["form"]).get("comment")


def cam_lines(home):
    return [l for l in al.modalert_log(home).splitlines() if "sendmodaction" in l]


def cam_status(home, status):
    return [l for l in cam_lines(home) if 'action_status="%s"' % status in l]


def url(emu, cid):
    return "https://127.0.0.1:%d/#incidents/%d?orgId=201" % (emu.soar["port"], cid)


def no_put(emu, name):
    st = emu.soar_ctl("GET", "/_emu/state")
    t.ok(not st.get("puts"), name + ": never a whole-incident PUT", st.get("puts"))


def seed_case(emu, key, name="Old title"):
    return emu.soar_ctl("POST", "/_emu/incidents", {
        "name": name, "description": {"format": "html", "content": "<p>old</p>"},
        "discovered_date": 1714557000000, "plan_status": "A",
        "properties": {"splunk_notable_event_id": key}})[0]


# ---------------------------------------------------------------------------
def scenario_patch_409(emu):
    """A 409 on PATCH is a conflict at the database: re-read and retry."""
    p, home = fresh(emu, [row(1)])
    old = seed_case(emu, "E1@@notable@@x1")
    emu.soar_ctl("POST", "/_emu/fault", {"path": PATCH, "method": "PATCH", "status": 409})
    r = run(emu, p, home)
    name = "PATCH 409"
    t.ok(r.rc == 0, name + ": exit 0", (r.rc, r.err))
    pats = reqs(emu, PATCH, "PATCH")
    t.ok([x["status"] for x in pats] == [409, 200], name + ": PATCH again after the 409",
         [x["status"] for x in pats])
    t.ok(cases(emu)[0]["name"] == "Rule 1" and len(cases(emu)) == 1,
         name + ": the one case is updated", [c["name"] for c in cases(emu)])


def scenario_query_without_data(emu):
    """An answer that is not a query result is no reason to create a case."""
    p, home = fresh(emu, [row(1)])
    seed_case(emu, "E1@@notable@@x1")
    emu.soar_ctl("POST", "/_emu/fault", {"path": QUERY, "status": 200, "body": {"unexpected": True}})
    r = run(emu, p, home)
    name = "query answer without data"
    t.ok(r.rc == 6 and len(cases(emu)) == 1 and not reqs(emu, INCIDENTS, "POST"),
         name + ": reported (exit 6), no duplicate created", (r.rc, len(cases(emu))))


def scenario_patch_conflict_injected(emu):
    p, home = fresh(emu, [row(1)])
    old = seed_case(emu, "E1@@notable@@x1")
    emu.soar_ctl("POST", "/_emu/fault", {"path": PATCH, "method": "PATCH", "status": 200,
                                         "body": CONFLICT})
    r = run(emu, p, home)
    name = "PATCH conflict (injected)"
    t.ok(r.rc == 0, name + ": exit 0", (r.rc, r.err))
    i = "/incidents/%d" % old["id"]
    t.ok(soar_calls(emu) == ["POST /incidents/query_paged", "GET " + i, "PATCH " + i, "GET " + i,
                             "PATCH " + i, "GET %s/artifacts" % i, "POST %s/artifacts" % i,
                             "POST %s/comments" % i],
         name + ": lookup, read, PATCH refused, re-read, PATCH again, artifacts, the case's note",
         soar_calls(emu))
    c = cases(emu)
    t.ok(len(c) == 1 and c[0]["name"] == "Rule 1", name + ": the one case holds the new title",
         [(x["id"], x["name"]) for x in c])
    ups = notables(emu)
    t.ok([comment(u) for u in ups] == ["Updated case %d in QRadar SOAR\n%s" % (old["id"], url(emu, old["id"]))],
         name + ": notable comment says Updated case, with the URL", ups)
    no_put(emu, name)


def scenario_patch_conflict_bump(emu):
    """Another user edits the case between our lookup and our PATCH: the
    PATCH is held 1 s by the server; the edit lands meanwhile."""
    p, home = fresh(emu, [row(1)])
    old = seed_case(emu, "E1@@notable@@x1")
    emu.soar_ctl("POST", "/_emu/fault", {"path": PATCH, "method": "PATCH", "delay": 1.0})
    proc, t0 = start(emu, p, home)
    hit = wait_for(lambda: reqs(emu, PATCH, "PATCH"))
    emu.soar_ctl("POST", "/_emu/bump/%d" % old["id"], {"name": "Renamed by an analyst"})
    r = finish(proc, t0)
    name = "PATCH conflict (concurrent edit)"
    t.ok(hit and r.rc == 0, name + ": exit 0", (r.rc, r.err))
    st = emu.soar_ctl("GET", "/_emu/state")
    pats = st.get("patches") or []
    t.ok([x.get("success") for x in pats] == [False, True],
         name + ": the stale PATCH is refused, the re-read one applied", pats)
    t.ok(len(pats) == 2 and pats[1]["body"].get("version") == pats[1]["version_at_request"],
         name + ": the second PATCH carries the version it re-read", pats)
    t.ok(len(reqs(emu, PATCH, "GET")) == 2, name + ": the case is read, then re-read once")
    c = cases(emu)
    t.ok(len(c) == 1 and c[0]["name"] == "Rule 1", name + ": one case, mapped title applied",
         [x["name"] for x in c])
    no_put(emu, name)


def scenario_reset_on_create(emu):
    p, home = fresh(emu, [row(1)])
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "reset": True})
    r = run(emu, p, home)
    name = "reset on create"
    t.ok(r.rc == 0, name + ": exit 0", (r.rc, r.err))
    calls = soar_calls(emu)
    t.ok(calls[:4] == ["POST /incidents/query_paged", "POST /incidents",
                       "POST /incidents/query_paged", "POST /incidents"],
         name + ": create, then a query shows no case, then create again", calls)
    t.ok(len(cases(emu)) == 1, name + ": exactly one case", len(cases(emu)))
    t.ok(len(cam_status(home, "success")) >= 1 and not cam_status(home, "failure"),
         name + ": CAM success, no failure", cam_lines(home))


def scenario_reset_then_query_fails(emu):
    p, home = fresh(emu, [row(1)])
    emu.soar_ctl("POST", "/_emu/fault", [{"path": INCIDENTS, "method": "POST", "reset": True},
                                         {"path": QUERY, "after": 1, "status": 400}])
    r = run(emu, p, home)
    name = "reset on create, then the check fails"
    t.ok(r.rc != 0 and len(reqs(emu, INCIDENTS, "POST")) == 1,
         name + ": reported, never resent blind", (r.rc, soar_calls(emu)))
    t.ok(len(cam_status(home, "failure")) == 1, name + ": a CAM failure line", cam_lines(home))


def scenario_hung_server_many_rows(emu):
    """A server that stops answering: once the budget is spent, the other
    rows fail at once instead of each waiting out a request timeout."""
    p, home = fresh(emu, [row(n) for n in range(1, 7)])
    emu.soar_ctl("POST", "/_emu/fault", {"path": QUERY, "delay": 4, "count": -1})
    os.environ["QS_PARALLEL"] = "1"
    try:
        r = run(emu, p, home, budget_ms=1500)
    finally:
        del os.environ["QS_PARALLEL"]
    name = "hung server, six rows"
    t.ok(r.rc == 6, name + ": exit 6", (r.rc, r.err[-500:]))
    t.ok(r.secs < 4, name + ": ends soon after the budget, not after six timeouts", r.secs)
    fails = cam_status(home, "failure")
    t.ok(len(fails) == 6 and sum("retry budget is used up" in f for f in fails) == 5,
         name + ": a failure line per row; the later ones say the budget is used up", cam_lines(home))
    t.ok(len(reqs(emu, QUERY)) == 1, name + ": only the first row reached the server",
         len(reqs(emu, QUERY)))
    docs = queued(emu)
    t.ok(len(docs) == 6 and all(json.loads(d["body"]).get("name", "").startswith("Rule ") for d in docs),
         name + ": every row's case body is kept in the queue", docs)
    t.ok("unsent case body" not in al.modalert_log(home),
         name + ": queued bodies are not dumped into the log")
    wait_for(lambda: all(x.get("end") for x in reqs(emu, QUERY)), 6)  # the held one ends


def queued(emu):
    """The delivery queue's documents (issue 11)."""
    st = emu.splunkd_ctl("GET", "/_emu/kvstore?collection=qradar_soar_queue")
    return st["collections"]["qradar_soar_queue"]["docs"]


def scenario_slow_within_budget(emu):
    p, home = fresh(emu, [row(1)])
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "delay": 1.2})
    r = run(emu, p, home, budget_ms=8000)
    name = "slow server within the budget"
    t.ok(r.rc == 0 and r.secs >= 1.2, name + ": exit 0 after the wait", (r.rc, r.secs, r.err))
    t.ok(len(reqs(emu, INCIDENTS, "POST")) == 1 and len(cases(emu)) == 1,
         name + ": one POST, one case")


def scenario_slow_beyond_budget(emu):
    p, home = fresh(emu, [row(1)])
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "delay": 3})
    r = run(emu, p, home, budget_ms=1500)
    name = "slow server beyond the budget"
    t.ok(r.rc == 6, name + ": exit 6", (r.rc, r.err))
    t.ok(r.secs < 2.8, name + ": gives up within the budget, not the 60 s timeout", r.secs)
    fails = cam_status(home, "failure")
    # the create went out and was never answered: SOAR may still make it
    t.ok(len(fails) == 1 and 'signature="QRadar SOAR case creation outcome unknown: QRadar SOAR at 127.0.0.1:' in fails[0]
         and "timed out" in fails[0] and "the case may exist" in fails[0] and 'rid="0"' in fails[0]
         and 'action_name="qradar_soar"' in fails[0],
         name + ": one CAM failure line naming the host and the unknown outcome", cam_lines(home))
    docs = queued(emu)
    body = json.loads(docs[0]["body"]) if len(docs) == 1 else {}
    t.ok(body.get("name") == "Rule 1" and
         (body.get("properties") or {}).get("splunk_notable_event_id") == "E1@@notable@@x1"
         and docs[0]["outcome_unknown"] is True and docs[0]["state"] == "queued",
         name + ": the case body is queued, its outcome marked unknown", docs)
    t.ok("queued for replay in the KV store (outcome unknown)" in fails[0],
         name + ": the CAM line says it was queued and why", fails)
    t.ok(not notables(emu), name + ": no notable comment for a case not made")
    # let the held request finish before the next scenario resets the emulator
    wait_for(lambda: all(x.get("status") for x in reqs(emu, INCIDENTS, "POST")), 5)


def scenario_closed_case_not_reused(emu):
    p, home = fresh(emu, [row(1)])
    r1 = run(emu, p, home)
    first = cases(emu)
    emu.soar_ctl("POST", "/_emu/close/%d" % first[0]["id"])
    closed = cases(emu)[0]
    keep(emu)
    emu.splunkd_ctl("POST", "/_emu/reset")
    al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
    r2 = run(emu, p, home)
    name = "closed case"
    c = cases(emu)
    t.ok(r1.rc == 0 and r2.rc == 0 and len(c) == 2, name + ": a new case on the second run",
         (r1.rc, r2.rc, [(x["id"], x["plan_status"]) for x in c]))
    t.ok(c[0] == dict(closed, artifacts=c[0]["artifacts"], comments=c[0]["comments"]),
         name + ": the closed case is left untouched")
    t.ok(not emu.soar_ctl("GET", "/_emu/state").get("patches"), name + ": nothing patched")
    ups = notables(emu)
    t.ok(len(c) == 2 and [comment(u) for u in ups] ==
         ["QRadar SOAR Case ID: %d\n%s" % (c[1]["id"], url(emu, c[1]["id"]))],
         name + ": notable comment names the new case", ups)


def scenario_html_502(emu):
    p, home = fresh(emu, [row(1)])
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "html": True})
    r = run(emu, p, home)
    name = "HTML 502 then success"
    t.ok(r.rc == 0, name + ": exit 0", (r.rc, r.err))
    t.ok([x["status"] for x in reqs(emu, INCIDENTS, "POST")] == [502, 200],
         name + ": retried once after the 502")
    t.ok(len(cases(emu)) == 1, name + ": one case")
    t.ok("HTML error page" in r.err and "<html" not in r.err and "<html" not in al.modalert_log(home),
         name + ": the warning names an HTML page without copying it", r.err)


def scenario_retry_after(emu):
    name = "503 Retry-After"
    for label, ra, gap in (("seconds", "2", 1.9), ("HTTP-date", None, 1.9)):
        p, home = fresh(emu, [row(1)])
        if ra is None:
            ra = formatdate(time.time() + 3, usegmt=True)
        emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "status": 503,
                                             "retry_after": ra})
        r = run(emu, p, home)
        posts = reqs(emu, INCIDENTS, "POST")
        d = posts[1]["time"] - posts[0]["time"] if len(posts) == 2 else 0
        t.ok(r.rc == 0 and len(posts) == 2 and len(cases(emu)) == 1,
             "%s (%s): retried once, one case" % (name, label), (r.rc, len(posts), r.err))
        t.ok(d >= gap, "%s (%s): %.2f s between the attempts (server asked for %s)"
             % (name, label, d, ra), d)


def scenario_backoff_schedule(emu):
    p, home = fresh(emu, [row(1)])
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "status": 503,
                                         "count": -1})
    r = run(emu, p, home, budget_ms=4000)
    name = "503 forever"
    posts = reqs(emu, INCIDENTS, "POST")
    gaps = [b["time"] - a["time"] for a, b in zip(posts, posts[1:])]
    t.ok(len(posts) == 3, name + ": 3 attempts in a 4 s budget (waits 1 s, 2 s; 4 s would overrun)",
         gaps)
    t.ok(len(gaps) == 2 and 0.9 <= gaps[0] < 1.6 and 1.9 <= gaps[1] < 2.6,
         name + ": exponential backoff 1 s then 2 s", gaps)
    t.ok(r.secs < 4.5, name + ": the run ends within the budget", r.secs)
    t.ok(r.rc in (4, 6), name + ": exit code of a failed row", r.rc)
    fails = cam_status(home, "failure")
    t.ok(fails and "HTTP 503" in fails[0] and "Injected fault 503" in fails[0],
         name + ": CAM failure quotes the status and SOAR's message", cam_lines(home))
    msgs = emu.splunkd_ctl("GET", "/_emu/state").get("messages") or {}
    t.ok(any(m.get("severity") == "error" and "1 of 1 results" in m.get("value", "")
             and "1 of them waits in the delivery queue and is sent again by itself" in m.get("value", "")
             for m in msgs.values()), name + ": an error message counting the queued row is posted",
         msgs)


def scenario_session_expired(emu):
    p, home = fresh(emu, [row(1), row(2), row(3)])
    # hold the second lookup; the sessions expire while it waits
    emu.soar_ctl("POST", "/_emu/fault", {"path": QUERY, "after": 1, "delay": 0.5})
    proc, t0 = start(emu, p, home)
    hit = wait_for(lambda: len(reqs(emu, QUERY)) >= 2)
    emu.soar_ctl("POST", "/_emu/expire_sessions")
    r = finish(proc, t0)
    name = "session expired mid-run"
    logins = reqs(emu, "^/rest/session$", "POST")
    t.ok(hit and r.rc == 0, name + ": exit 0", (r.rc, r.err))
    t.ok(len(logins) == 2, name + ": exactly one re-login", len(logins))
    t.ok(all(not json.loads(x["body"]).get("interactive") for x in logins),
         name + ": never interactive")
    q = reqs(emu, QUERY)
    # rows run in parallel: any lookup in flight at the expiry may be refused;
    # each refused one is sent again, and three succeed
    st = [x["status"] for x in q]
    t.ok(st.count(200) == 3 and st.count(401) >= 1 and len(st) == 3 + st.count(401),
         name + ": the refused lookups are repeated", st)
    t.ok(len(cases(emu)) == 3, name + ": three cases")


def scenario_401_fault(emu):
    p, home = fresh(emu, [row(1)])
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "status": 401})
    r = run(emu, p, home)
    name = "401 on create"
    t.ok(r.rc == 0 and len(reqs(emu, "^/rest/session$", "POST")) == 2 and len(cases(emu)) == 1,
         name + ": one re-login, then one case", (r.rc, r.err))
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "status": 401,
                                         "count": 2})
    emu.soar_ctl("DELETE", "/_emu/requests")
    r = run(emu, al.payload(emu, p["results_file"], dict(p["configuration"], duplicates="1")), home)
    t.ok(r.rc != 0 and len(reqs(emu, "^/rest/session$", "POST")) == 2,
         name + ": a second 401 is not answered by another login", (r.rc, r.err))


def scenario_400(emu):
    p, home = fresh(emu, [row(1)])
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "status": 400,
                                         "body": {"success": False, "title": None, "hints": [],
                                                  "message": "Field 'severity_code' is bad",
                                                  "error_code": "generic"}})
    r = run(emu, p, home)
    name = "400"
    t.ok(r.rc == 4, name + ": exit 4", (r.rc, r.err))
    t.ok(len(reqs(emu, INCIDENTS, "POST")) == 1, name + ": exactly one POST /incidents")
    fails = cam_status(home, "failure")
    t.ok(len(fails) == 1 and "HTTP 400" in fails[0] and "Field 'severity_code' is bad" in fails[0],
         name + ": the CAM failure quotes SOAR's message", fails)
    t.ok(not cam_status(home, "success") or all("Invoking" in l for l in cam_status(home, "success")),
         name + ": no CAM success for the row", cam_lines(home))
    msgs = emu.splunkd_ctl("GET", "/_emu/state").get("messages") or {}
    t.ok(len(msgs) == 1 and list(msgs.values())[0].get("severity") == "error",
         name + ": one Splunk error message", msgs)


def scenario_digest(emu):
    rows = [row(1), row(2), row(3)]
    p, home = fresh(emu, rows)
    r = run(emu, p, home)
    name = "3-row digest"
    c = cases(emu)
    t.ok(r.rc == 0 and len(c) == 3, name + ": exit 0, three cases", (r.rc, len(c), r.err))
    byname = {x["name"]: x for x in c}
    ups = notables(emu)
    t.ok(all(len(u["ruleUIDs"]) == 1 for u in ups) and
         sorted(u["ruleUIDs"][0] for u in ups) == sorted(x["event_id"] for x in rows),
         name + ": one comment per row, each with exactly one ruleUIDs", ups)
    want = ["QRadar SOAR Case ID: %d\n%s" % (byname["Rule %d" % n]["id"],
                                             url(emu, byname["Rule %d" % n]["id"]))
            for n in (1, 2, 3)] if len(byname) == 3 else []
    # rows go out in parallel: the comments' order across notables is free
    t.ok(sorted(comment(u) for u in ups) == sorted(want), name + ": comments name each case and its URL",
         [comment(u) for u in ups])
    t.ok(all(dict(u["form"]).get("output_mode") in (None, "json") for u in ups),
         name + ": form-encoded notable_update")
    succ = [l for l in cam_status(home, "success") if "Invoking" not in l]
    t.ok(len(succ) == 3 and all('digest_mode="1"' in l or "digest_mode=1" in l for l in succ),
         name + ": a CAM success line per row, digest_mode 1", cam_lines(home))
    t.ok(sorted(re.search(r'rid="?(\d+)', l).group(1) for l in succ) == ["0", "1", "2"],
         name + ": rid 0, 1, 2", succ)
    t.ok(all(re.search(r'case_id="?%d' % byname["Rule %d" % (int(re.search(r'rid="?(\d+)', l).group(1)) + 1)]["id"], l)
             for l in succ) if len(byname) == 3 else False,
         name + ": each success line names its case", succ)
    no_put(emu, name)


def scenario_shared_event_id(emu):
    rows = [row(1, rule_title="First"), row(2), row(3, event_id="E1@@notable@@x1",
                                                     rule_title="First again", src="10.0.9.9")]
    p, home = fresh(emu, rows)
    r = run(emu, p, home)
    name = "rows sharing an event_id"
    c = cases(emu)
    t.ok(r.rc == 0 and len(c) == 2, name + ": two cases for three rows", (r.rc, [x["name"] for x in c]))
    first = next((x for x in c if x["properties"].get("splunk_notable_event_id") == "E1@@notable@@x1"), {})
    t.ok(first.get("name") == "First again", name + ": the later row updated the case", first.get("name"))
    t.ok(sorted(a["value"] for a in first.get("artifacts", [])) == ["10.0.0.1", "10.0.9.9"],
         name + ": the later row's artifact added", first.get("artifacts"))
    t.ok(len(reqs(emu, INCIDENTS, "POST")) == 2 and len(reqs(emu, PATCH, "PATCH")) == 1,
         name + ": two creates, one PATCH")
    ups = notables(emu)
    fid = first.get("id", -1)
    # one notable's rows stay in order (its other rows' comments may interleave)
    mine = [u for u in ups if u["ruleUIDs"] == ["E1@@notable@@x1"]]
    t.ok([comment(u).split("\n")[0] for u in mine] ==
         ["QRadar SOAR Case ID: %d" % fid, "Updated case %d in QRadar SOAR" % fid],
         name + ": created, then Updated comment", [comment(u) for u in ups])


def scenario_duplicates(emu):
    p, home = fresh(emu, [row(1), row(2)], duplicates="1")
    seed_case(emu, "E1@@notable@@x1")
    r = run(emu, p, home)
    name = "duplicates=1"
    t.ok(r.rc == 0 and len(cases(emu)) == 3, name + ": a new case per row despite an open one",
         (r.rc, r.err))
    t.ok(not reqs(emu, QUERY) and not reqs(emu, PATCH, "PATCH"), name + ": no query_paged, no PATCH",
         soar_calls(emu))
    t.ok(soar_calls(emu) == ["POST /incidents", "POST /incidents"], name + ": only the creates",
         soar_calls(emu))


def scenario_no_notable_field(emu):
    p, home = fresh(emu, [row(1), row(2)])
    emu.soar_ctl("POST", "/_emu/catalogue", {"fields_file": os.path.join(
        al.TOP, "tests", "emu", "data", "fields_no_notable.json")})
    r = run(emu, p, home)
    name = "org without splunk_notable_event_id"
    t.ok(r.rc == 0 and len(cases(emu)) == 2, name + ": exit 0, two cases", (r.rc, r.err))
    t.ok(not reqs(emu, QUERY), name + ": no query_paged", soar_calls(emu))
    bodies = [json.loads(x["body"]) for x in reqs(emu, INCIDENTS, "POST")]
    t.ok(len(bodies) == 2 and all("splunk_notable_event_id" not in (b.get("properties") or {})
                                  for b in bodies),
         name + ": created without that property", bodies)
    t.ok(len(notables(emu)) == 2, name + ": the notables still get their comments")


def secret_grep(emu_list):
    """The three secrets in no output, no file under any SPLUNK_HOME, and no
    recorded request except the login body and the Authorization header."""
    blob = "\n".join(transcript)
    for emu in emu_list:
        for root, _, files in os.walk(emu.workdir):
            if "certs" in root:
                continue
            for f in files:
                with open(os.path.join(root, f), "rb") as fh:
                    blob += fh.read().decode("utf-8", "replace")
    leaked = [k for k, v in SECRETS.items() if v in blob]
    t.ok(not leaked, "no secret in stdout, stderr or any file under SPLUNK_HOME", leaked)
    leaked = []
    for emu in emu_list:
        keep(emu)
    for side, r in recorded:
        if True:
            if True:
                hdrs = {k: v for k, v in (r.get("headers") or {}).items() if k.lower() != "authorization"}
                body = r.get("body") or ""
                if side == "soar" and r["path"] == "/rest/session" and r["method"] == "POST":
                    body = ""
                text = json.dumps([r["path"], r.get("query"), hdrs, body])
                leaked += ["%s in %s %s %s" % (k, side, r["method"], r["path"])
                           for k, v in SECRETS.items() if v in text]
    t.ok(not leaked, "no secret in any recorded request outside the login body and auth header",
         leaked)


SCENARIOS = [scenario_patch_conflict_injected, scenario_patch_conflict_bump, scenario_patch_409,
             scenario_query_without_data,
             scenario_reset_on_create, scenario_reset_then_query_fails, scenario_slow_within_budget, scenario_slow_beyond_budget,
             scenario_hung_server_many_rows,
             scenario_closed_case_not_reused, scenario_html_502, scenario_retry_after,
             scenario_backoff_schedule, scenario_session_expired, scenario_401_fault,
             scenario_400, scenario_digest, scenario_shared_event_id, scenario_duplicates,
             scenario_no_notable_field]

with al.harness.Emulators() as emu:
    for s in SCENARIOS:
        if len(sys.argv) > 1 and s.__name__ not in sys.argv[1:]:
            continue
        try:
            s(emu)
        except Exception as e:  # a crash of the harness is a failure, not a skip
            import traceback
            traceback.print_exc(file=sys.stdout)
            t.ok(False, "%s raised %r" % (s.__name__, e))
    try:
        secret_grep([emu])
    except Exception as e:
        t.ok(False, "secret grep raised %r" % e)
sys.exit(t.done())
