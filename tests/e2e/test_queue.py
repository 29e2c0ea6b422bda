"""End to end: the delivery queue (issue 11). The real bin/qradar_soar, run
the way splunkd runs it (--execute, payload on stdin), against the SOAR and
splunkd emulators (KV store included) with faults injected. Every scenario
ends by counting, per notable, the cases SOAR holds and the documents the
queue holds: nothing lost, nothing doubled. Prints the per-scenario figures
("# figures: …"). TAP output."""
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

FIELDS = ["_time", "event_id", "rule_title", "rule_description", "severity", "src"]
INCIDENTS = r"/rest/orgs/201/incidents$"
QUERY = r"/incidents/query_paged$"
REPLAY_SEARCH = "QRadar SOAR - Replay queued escalations"
BUDGET = 1500  # ms of SOAR retries per run: keeps the down-SOAR runs short
t = al.Tap()
transcript = []  # stdout/stderr of every run, for the secret grep
figures = []


def row(n, event_id=None):
    return {"_time": str(1714557600 + 60 * n),
            "event_id": "E%d@@notable@@q%d" % (n, n) if event_id is None else event_id,
            "rule_title": "Rule %d" % n, "rule_description": "desc <%d>" % n,
            "severity": "High", "src": "10.0.0.%d" % n}


class Run:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err
        transcript.extend([out, err])


def start(p, home, env_over=None):
    env = dict(os.environ, SPLUNK_HOME=home, QS_SOAR_BUDGET_MS=str(BUDGET))
    env.update(env_over or {})
    cmd = [al.binary(), "--execute"]
    if os.environ.get("QS_VALGRIND"):
        cmd = os.environ["QS_VALGRIND"].split() + cmd
    fh = tempfile.TemporaryFile()
    fh.write(json.dumps(p).encode())
    fh.seek(0)
    proc = subprocess.Popen(cmd, stdin=fh, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    fh.close()
    return proc


def finish(proc, timeout=120):
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += b"\n(killed after the timeout)"
    return Run(proc.returncode, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def run(p, home, env_over=None):
    return finish(start(p, home, env_over))


def fresh(emu, rows, name, **conf):
    emu.soar_ctl("POST", "/_emu/reset")
    emu.splunkd_ctl("POST", "/_emu/reset")
    al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
    home = al.splunk_home(os.path.join(emu.workdir, name), emu.ca)
    res = os.path.join(home, "results.csv.gz")
    al.write_results(res, FIELDS, rows)
    return al.payload(emu, res, al.base_config(emu, **conf)), home


def replay_payload(emu, home, **conf):
    res = os.path.join(home, "replay.csv.gz")
    al.write_results(res, ["_time"], [{"_time": "1714557600"}])
    c = {"mode": "replay", "verify": emu.ca, "queue_max_age": "7d"}
    c.update(conf)
    return al.payload(emu, res, c, search_name=REPLAY_SEARCH,
                      sid="scheduler__nobody__SA_QRadar_SOAR__RMD5replay_at_1714558200_1")


def soar_down(emu):
    emu.soar_ctl("POST", "/_emu/fault", {"path": "", "reset": True, "count": -1})


def soar_up(emu):
    emu.soar_ctl("DELETE", "/_emu/faults")


def queued(emu):
    st = emu.splunkd_ctl("GET", "/_emu/kvstore?collection=qradar_soar_queue")
    return st["collections"]["qradar_soar_queue"]["docs"]


def cases(emu):
    return emu.soar_ctl("GET", "/_emu/incidents")


def creates(emu):
    return [r for r in emu.soar_ctl("GET", "/_emu/requests?method=POST&path=" +
                                    urllib.parse.quote(INCIDENTS, safe=""))
            if r.get("status") == 200]


def settle(emu):
    """Waits until SOAR's emulator has carried out every create it was
    sent: one a killed process sent is still made after the injected delay
    (on a search head the written-ahead document's in-flight window,
    QUEUE_INFLIGHT_S, covers it; a test that skips the window must wait
    here instead, or its replay races the create)."""
    end = time.time() + 30
    while time.time() < end:
        reqs = emu.soar_ctl("GET", "/_emu/requests?method=POST&path=" +
                            urllib.parse.quote(INCIDENTS, safe=""))
        if all(r.get("status") is not None for r in reqs):
            return True
        time.sleep(0.02)
    return False


def notables(emu):
    return emu.splunkd_ctl("GET", "/_emu/state").get("notable_updates", [])


def cam_lines(home):
    return [l for l in al.modalert_log(home).splitlines() if "sendmodaction" in l]


def per_key(emu, keys):
    """{key: (cases, queued docs)} for the notables of a scenario."""
    cs, docs = cases(emu), queued(emu)
    out = {}
    for k in keys:
        out[k] = (sum(1 for c in cs if (c.get("properties") or {}).get("splunk_notable_event_id") == k),
                  sum(1 for d in docs if d.get("dedup_key") == k and d.get("kind") == "case"))
    return out


def figure(name, rows, keys, emu):
    pk = per_key(emu, keys)
    lost = sum(1 for c, q in pk.values() if c == 0 and q == 0)
    dup = sum(c - 1 for c, q in pk.values() if c > 1)
    figures.append("%s: %d rows, %d queued, %d lost, %d duplicated" % (name, rows, len(queued(emu)), lost, dup))
    return lost, dup


def spool_dir(home):
    return os.path.join(home, "var", "spool", "SA_QRadar_SOAR")


def no_secret(emu, home, name, extra=()):
    """No session key, password, API secret or cookie in any document, in
    the KV store or the spool."""
    blob = json.dumps(queued(emu))
    sd = spool_dir(home)
    if os.path.isdir(sd):
        for f in os.listdir(sd):
            with open(os.path.join(sd, f), encoding="utf-8", errors="replace") as fh:
                blob += fh.read()
    cookies = [s.get("cookie", "") for s in emu.soar_ctl("GET", "/_emu/state").get("sessions", [])
               if isinstance(s, dict)]
    secrets = [al.SOAR_PASSWORD, al.API_KEY_SECRET, al.SESSION_KEY, "JSESSIONID"] + \
        [c for c in cookies if c] + list(extra)
    found = [s for s in secrets if s and s in blob]
    t.ok(not found and blob, name + ": no session key, password, API secret or cookie in any document",
         found)


# ---------------------------------------------------------------------------

def scenario_soar_down_then_replay(emu):
    name = "SOAR down for the whole run"
    rows = [row(n) for n in range(1, 6)]
    keys = [r["event_id"] for r in rows]
    p, home = fresh(emu, rows, "down")
    soar_down(emu)
    r = run(p, home)
    docs = queued(emu)
    t.ok(r.rc == 6, name + ": exit 6 (SOAR unreachable; queued is not delivered)", (r.rc, r.err[-600:]))
    t.ok(len(docs) == 5 and sorted(d["dedup_key"] for d in docs) == sorted(keys),
         name + ": every row queued, one document each", docs)
    t.ok(all(d["state"] == "queued" and d["kind"] == "case" and d["resolved"] is False
             and d["reason"] == "SOAR unreachable" and d["attempts"] == 1 and d["last_error"]
             and d["host"] == "127.0.0.1" and d["org"] == "Test Organization"
             and d["search_name"] == p["search_name"] and d["sid"] == p["sid"]
             for d in docs), name + ": the documents say what, why and where to", docs[:1])
    inputs = json.loads(docs[0]["inputs"]) if docs else {}
    t.ok(inputs.get("templates_read") is True and "mapping_name" in inputs["payload"]["configuration"]
         and "host" not in inputs["payload"]["configuration"] and inputs["row"].get("rule_title"),
         name + ": unresolved: the templates and the row's named fields, no connection setting",
         inputs)
    no_secret(emu, home, name)
    cam = [l for l in cam_lines(home) if 'action_status="failure"' in l and 'rid="' in l]
    t.ok(len(cam) == 5 and all("queued for replay in the KV store (SOAR unreachable)" in l for l in cam),
         name + ": each row's CAM line says queued and why", cam)
    msgs = emu.splunkd_ctl("GET", "/_emu/state")["messages"]
    t.ok(any("escalated nothing" in m["value"] and "5 results wait in the delivery queue" in m["value"]
             for m in msgs.values()),
         name + ": the Splunk message counts the queued rows", msgs)
    lost, dup = figure(name, 5, keys, emu)
    t.ok(lost == 0 and dup == 0 and not cases(emu), name + ": nothing lost, nothing made", figures[-1])

    soar_up(emu)
    rp = replay_payload(emu, home)
    r = run(rp, home)
    pk = per_key(emu, keys)
    t.ok(r.rc == 0, name + ", SOAR back, replay: exit 0", (r.rc, r.err[-800:]))
    t.ok(all(v == (1, 0) for v in pk.values()), name + ", replay: every case exists once, queue empty", pk)
    t.ok(sorted(u["ruleUIDs"][0] for u in notables(emu)) == sorted(keys),
         name + ", replay: every notable commented", notables(emu))
    c = cases(emu)
    t.ok(all(x["name"].startswith("Rule ") and x["description"]["content"].startswith("<p>desc &lt;")
             for x in c), name + ", replay: the cases are built from the queued inputs (HTML escaped)",
         c[:1])
    done = [l for l in cam_lines(home) if "Replayed a queued escalation" in l and
            'action_status="success"' in l]
    t.ok(len(done) == 5 and all('orig_sid="%s"' % p["sid"] in l and "case_id=" in l for l in done),
         name + ", replay: a CAM line per delivered escalation", done[:2])
    n_posts = len(creates(emu))
    r = run(rp, home)
    t.ok(r.rc == 0 and len(creates(emu)) == n_posts and len(cases(emu)) == 5 and len(notables(emu)) == 5,
         name + ", replay again: nothing new", (r.rc, len(creates(emu)), len(cases(emu))))
    figure(name + " → replay", 5, keys, emu)


def scenario_replay_still_down(emu):
    name = "replay while SOAR is still down"
    rows = [row(n) for n in range(1, 3)]
    p, home = fresh(emu, rows, "still")
    soar_down(emu)
    run(p, home)
    rp = replay_payload(emu, home)
    before = time.time()
    r = run(rp, home)
    docs = queued(emu)
    t.ok(r.rc == 6 and len(docs) == 2, name + ": exit 6, both still queued", (r.rc, docs))
    t.ok(all(d["attempts"] == 2 and 55 <= d["next_attempt"] - before <= 70 and "127.0.0.1" in d["last_error"]
             for d in docs), name + ": attempts 2, next attempt in 60 s, last_error set", docs)
    # a long-failing one waits at most an hour
    d = dict(docs[0])
    d.update({"attempts": 20, "next_attempt": time.time() - 1})
    emu.splunkd_ctl("POST", "/_emu/kvstore/seed", {"collection": "qradar_soar_queue", "docs": [d]})
    before = time.time()
    run(rp, home)
    d2 = [x for x in queued(emu) if x["_key"] == d["_key"]][0]
    t.ok(d2["attempts"] == 21 and 3590 <= d2["next_attempt"] - before <= 3610,
         name + ": backoff capped at one hour", d2)
    r = run(rp, home)
    t.ok(r.rc == 0 and len(queued(emu)) == 2, name + ": nothing due: the next replay leaves them",
         (r.rc, r.err[-300:]))


def scenario_unanswered_create(emu):
    name = "create processed, never answered, then SOAR down"
    rows = [row(1)]
    keys = [rows[0]["event_id"]]
    p, home = fresh(emu, rows, "unanswered")
    emu.soar_ctl("POST", "/_emu/fault", [
        {"path": INCIDENTS, "method": "POST", "late": True, "reset": True},
        {"path": QUERY, "after": 1, "reset": True, "count": -1}])
    r = run(p, home)
    docs = queued(emu)
    t.ok(r.rc == 6 and len(cases(emu)) == 1, name + ": SOAR made the case; the run could not know",
         (r.rc, r.err[-400:]))
    t.ok(len(docs) == 1 and docs[0]["outcome_unknown"] is True and docs[0]["resolved"] is True
         and json.loads(docs[0]["body"])["name"] == "Rule 1",
         name + ": queued with its body, outcome unknown", docs)
    soar_up(emu)
    r = run(replay_payload(emu, home), home)
    pk = per_key(emu, keys)
    t.ok(r.rc == 0 and pk[keys[0]] == (1, 0), name + ": after the replay exactly one case, queue empty",
         (r.rc, pk, r.err[-400:]))
    t.ok(len(notables(emu)) == 1, name + ": the notable commented once", notables(emu))
    figure(name, 1, keys, emu)


def scenario_unknown_no_lookup(emu):
    name = "outcome unknown and no lookup possible (duplicates = 1)"
    rows = [row(1)]
    p, home = fresh(emu, rows, "nolookup", duplicates="1")
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "late": True, "reset": True})
    r = run(p, home)
    docs = queued(emu)
    t.ok(r.rc == 6 and len(docs) == 1 and docs[0]["outcome_unknown"] is True and docs[0]["duplicates"] is True,
         name + ": queued, outcome unknown", (r.rc, docs))
    n = len(cases(emu))
    r = run(replay_payload(emu, home), home)
    docs = queued(emu)
    t.ok(len(cases(emu)) == n and len(docs) == 1 and docs[0]["state"] == "dead"
         and "cannot be looked up" in docs[0]["dead_reason"],
         name + ": never re-sent blindly: dead, with the reason, kept", docs)
    t.ok(r.rc == 4, name + ": the replay exits 4 (a document needs a person)", r.rc)


def scenario_kv_down_spool(emu):
    name = "KV store 503 during the run"
    rows = [row(n) for n in range(1, 4)]
    keys = [r["event_id"] for r in rows]
    p, home = fresh(emu, rows, "spool")
    soar_down(emu)
    emu.splunkd_ctl("POST", "/_emu/kvstore", {"status": "starting"})
    r = run(p, home)
    sd = spool_dir(home)
    files = sorted(f for f in os.listdir(sd)) if os.path.isdir(sd) else []
    t.ok(r.rc == 6 and len(files) == 3 and all(f.endswith(".json") for f in files) and not queued(emu),
         name + ": every row in the local spool", (r.rc, files))
    t.ok(stat.S_IMODE(os.stat(sd).st_mode) == 0o700 and
         all(stat.S_IMODE(os.stat(os.path.join(sd, f)).st_mode) == 0o600 for f in files),
         name + ": spool directory 0700, files 0600")
    docs = []
    for f in files:
        with open(os.path.join(sd, f)) as fh:
            docs.append(json.load(fh))
    t.ok(sorted(d["dedup_key"] for d in docs) == sorted(keys), name + ": whole documents", docs[:1])
    no_secret(emu, home, name)
    cam = [l for l in cam_lines(home) if 'action_status="failure"' in l and 'rid="' in l]
    t.ok(len(cam) == 3 and all("queued for replay in the local spool" in l for l in cam),
         name + ": the CAM lines say the local spool", cam)
    emu.splunkd_ctl("POST", "/_emu/kvstore", {"status": "ready"})
    r = run(replay_payload(emu, home), home)
    # SOAR still down: drained into the KV store, not delivered
    t.ok(r.rc == 6 and not os.listdir(sd) and len(queued(emu)) == 3,
         name + ": the next replay drains the spool into the KV store", (r.rc, os.listdir(sd), r.err[-400:]))
    soar_up(emu)
    for d in queued(emu):
        d["next_attempt"] = time.time() - 1
        emu.splunkd_ctl("POST", "/_emu/kvstore/seed", {"collection": "qradar_soar_queue", "docs": [d]})
    r = run(replay_payload(emu, home), home)
    pk = per_key(emu, keys)
    t.ok(r.rc == 0 and all(v == (1, 0) for v in pk.values()), name + ": then delivered, once each", pk)
    figure(name, 3, keys, emu)


def scenario_comment_failed(emu):
    name = "notable_update 503"
    rows = [row(n) for n in range(1, 6)]
    keys = [r["event_id"] for r in rows]
    p, home = fresh(emu, rows, "comment")
    emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/notable_update$", "status": 503, "count": -1})
    r = run(p, home)
    docs = queued(emu)
    t.ok(r.rc == 7 and len(cases(emu)) == 5, name + ": the cases exist, exit 7", (r.rc, r.err[-300:]))
    t.ok(len(docs) == 5 and all(d["kind"] == "comment" and d["case_id"] > 0 and d["updated"] is False
                                and "body" not in d for d in docs),
         name + ": each comment queued on its own (the case is not re-sent)", docs[:1])
    cam = [l for l in cam_lines(home) if "Could not comment" in l]
    t.ok(len(cam) == 5 and all("the comment is queued for replay in the KV store" in l for l in cam),
         name + ": the CAM lines say the comment is queued", cam[:1])
    emu.splunkd_ctl("DELETE", "/_emu/faults")
    n = len(creates(emu))
    r = run(replay_payload(emu, home), home)
    t.ok(r.rc == 0 and not queued(emu) and len(creates(emu)) == n,
         name + ": the replay posts the comments only", (r.rc, len(creates(emu)), r.err[-300:]))
    ids = {c["properties"]["splunk_notable_event_id"]: c["id"] for c in cases(emu)}
    nu = notables(emu)
    t.ok(sorted(u["ruleUIDs"][0] for u in nu) == sorted(keys) and
         all("QRadar SOAR Case ID: %d" % ids[u["ruleUIDs"][0]] in dict(u["form"])["comment"] for u in nu),
         name + ": every notable gets its case's comment", nu[:1])
    figures.append("%s: 5 comments, 5 queued, 0 lost, 0 duplicated cases" % name)


ADMIN_FIX = 'fix="Fix what the message names on the add-on\'s setup page'
WAIT_FIX = 'fix="Nothing to do once SOAR and splunkd answer again'


def scenario_run_level(emu):
    # the fix each row's CAM line gives: the admin's for what only a
    # setting can mend, none for what passes by itself
    for name, setup, reason, fix in (
            ("login refused", lambda e: al.seed_secret(e, "127.0.0.1", al.SOAR_USER, "wrong-password"),
             "SOAR login refused", ADMIN_FIX),
            ("storage/passwords 503", lambda e: e.splunkd_ctl("POST", "/_emu/fault", {
                "path": "/storage/passwords", "status": 503, "count": -1}), "credential not readable",
             WAIT_FIX),
            ("credential not stored", lambda e: e.splunkd_ctl("POST", "/_emu/fault", {
                "path": "/storage/passwords", "status": 404, "count": -1}), "credential not readable",
             ADMIN_FIX)):
        rows = [row(n) for n in range(1, 6)]
        keys = [r["event_id"] for r in rows]
        p, home = fresh(emu, rows, "rl-" + name.split()[0].replace("/", ""))
        setup(emu)
        r = run(p, home)
        docs = queued(emu)
        t.ok(r.rc in (5, 6) and len(docs) == 5 and all(d["reason"] == reason for d in docs),
             "%s: every row queued (%s)" % (name, reason), (r.rc, [d.get("reason") for d in docs], r.err[-300:]))
        rows_cam = [l for l in cam_lines(home) if 'action_status="failure"' in l and 'rid="' in l]
        t.ok(len(rows_cam) == 5 and all(fix in l for l in rows_cam),
             "%s: each row's CAM line gives the fix %s…" % (name, fix), rows_cam[:2])
        no_secret(emu, home, name, extra=["wrong-password"])
        figure(name, 5, keys, emu)


def scenario_max_age(emu):
    name = "a document past queue_max_age"
    rows = [row(1)]
    p, home = fresh(emu, rows, "maxage")
    soar_down(emu)
    run(p, home)
    soar_up(emu)
    time.sleep(1.2)
    r = run(replay_payload(emu, home, queue_max_age="1s"), home)
    docs = queued(emu)
    t.ok(len(docs) == 1 and docs[0]["state"] == "dead" and "queue_max_age" in docs[0]["dead_reason"]
         and not cases(emu), name + ": dead, still there, not sent", docs)
    t.ok(r.rc == 4 and any("given up (state dead" in l for l in cam_lines(home)),
         name + ": exit 4 and a CAM line", (r.rc, cam_lines(home)[-1:]))
    r = run(replay_payload(emu, home), home)
    t.ok(r.rc == 0 and len(queued(emu)) == 1 and not cases(emu), name + ": a dead document is left alone",
         r.rc)
    bad = run(replay_payload(emu, home, queue_max_age="soon"), home)
    t.ok(bad.rc == 2 and "queue_max_age" in bad.err, name + ": a bad queue_max_age is named", bad.err[-200:])


def scenario_concurrent_processes(emu):
    name = "8 processes, one notable"
    trials, made = 20, []
    key = "E99@@notable@@same"
    p, home = fresh(emu, [row(99, event_id=key)], "conc")
    # a slow create widens the window between lookup and create
    for _ in range(trials):
        emu.soar_ctl("POST", "/_emu/reset")
        emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "delay": 0.05,
                                             "count": -1})
        procs = [start(p, home, {"QS_PARALLEL": "1"}) for _ in range(8)]
        rcs = [finish(pr).rc for pr in procs]
        made.append((len(cases(emu)), rcs))
    t.ok(all(m[0] == 1 for m in made), "%s: one case in each of %d trials" % (name, trials),
         [m[0] for m in made])
    t.ok(all(all(rc == 0 for rc in m[1]) for m in made), name + ": every process exits 0 (one created, "
         "the others updated)", [m[1] for m in made if any(m[1])][:3])
    figures.append("%s: %d trials × 8 processes, cases made per trial: %s" % (
        name, trials, sorted(set(m[0] for m in made))))


def scenario_two_replays(emu):
    name = "two replays at once"
    rows = [row(n) for n in range(1, 21)]
    keys = [r["event_id"] for r in rows]
    p, home = fresh(emu, rows, "tworeplays")
    soar_down(emu)
    run(p, home)
    soar_up(emu)
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "delay": 0.05, "count": -1})
    rp = replay_payload(emu, home)
    procs = [start(rp, home), start(rp, home)]
    rcs = [finish(pr).rc for pr in procs]
    pk = per_key(emu, keys)
    t.ok(all(v == (1, 0) for v in pk.values()) and len(creates(emu)) == 20,
         name + ": 20 documents, 20 creates, every case once, queue empty", (rcs, pk))
    t.ok(len(notables(emu)) == 20, name + ": 20 comments, none twice", len(notables(emu)))
    leases = emu.splunkd_ctl("GET", "/_emu/kvstore?collection=qradar_soar_leases")
    t.ok(not leases["collections"]["qradar_soar_leases"]["docs"], name + ": every lease released")
    figure(name, 20, keys, emu)


def scenario_sigkill(emu):
    name = "SIGKILL in the middle of a run"
    rows = [row(n) for n in range(1, 31)]
    keys = [r["event_id"] for r in rows]
    p, home = fresh(emu, rows, "kill", num_events="30")
    emu.soar_ctl("POST", "/_emu/fault", {"path": INCIDENTS, "method": "POST", "delay": 0.1, "count": -1})
    proc = start(p, home, {"QS_PARALLEL": "2"})
    made = None
    end = time.time() + 20
    while time.time() < end:
        made = len(cases(emu))
        if made >= 6:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    t.ok(settle(emu), name + ": the creates in flight at the kill are carried out")
    pk = per_key(emu, keys)
    lost = [k for k, v in pk.items() if v == (0, 0)]
    t.ok(proc.returncode == -signal.SIGKILL and 0 < len(cases(emu)) < 30,
         name + ": killed with some cases made", (proc.returncode, len(cases(emu))))
    t.ok(not lost, name + ": every row not yet delivered is in the queue", lost)
    figures.append("%s: 30 rows, %d delivered before the kill, %d in the queue, %d lost" % (
        name, len(cases(emu)), len(queued(emu)), len(lost)))
    # the run's written-ahead documents wait out the in-flight window; let
    # it pass
    for d in queued(emu):
        d["next_attempt"] = time.time() - 1
        emu.splunkd_ctl("POST", "/_emu/kvstore/seed", {"collection": "qradar_soar_queue", "docs": [d]})
    soar_up(emu)
    r = run(replay_payload(emu, home), home)
    pk = per_key(emu, keys)
    t.ok(r.rc == 0 and all(v == (1, 0) for v in pk.values()),
         name + ": after the replay every notable has exactly one case, queue empty", (r.rc, pk))
    figure(name + " → replay", 30, keys, emu)


def scenario_templates_unread(emu):
    name = "splunkd refuses the alert's parameters (scheduled search)"
    rows = [row(n) for n in range(1, 4)]
    keys = [r["event_id"] for r in rows]
    p, home = fresh(emu, rows, "unread")
    conf = al.base_config(emu)
    emu.splunkd_ctl("POST", "/_emu/seed", {
        "conf": {"alert_actions": {"qradar_soar": {"param." + k: v for k, v in conf.items()}}},
        "saved_searches": [{"owner": "admin", "app": "search", "name": "Brute Force",
                            "content": {"action.qradar_soar": "1",
                                        "action.qradar_soar.param.mapping_name": "Saved: $result.rule_title$"}}]})
    # what splunkd pre-resolves from the first row only
    p["configuration"]["mapping_name"] = "Saved: Rule 1"
    p["search_uri"] = "/servicesNS/admin/search/saved/searches/Brute%20Force"
    emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/saved/searches/", "status": 503, "count": -1})
    r = run(p, home)
    docs = queued(emu)
    inputs = [json.loads(d["inputs"]) for d in docs]
    t.ok(r.rc == 5 and len(docs) == 3 and all(d["reason"] == "splunkd not usable" for d in docs),
         name + ": every row queued, exit 5", (r.rc, [d.get("reason") for d in docs], r.err[-300:]))
    t.ok(all(i["templates_read"] is False and i["payload"]["search_uri"] == p["search_uri"]
             and "src" in i["row"] and "rule_description" in i["row"] for i in inputs),
         name + ": the payload's configuration stands in, every field of the row kept", inputs[:1])
    emu.splunkd_ctl("DELETE", "/_emu/faults")
    r = run(replay_payload(emu, home), home)
    names = sorted(c["name"] for c in cases(emu))
    t.ok(r.rc == 0 and names == ["Saved: Rule 1", "Saved: Rule 2", "Saved: Rule 3"] and not queued(emu),
         name + ": the replay reads the alert's templates: each row its own values", (r.rc, names, r.err[-300:]))
    figure(name, 3, keys, emu)


def scenario_leases(emu):
    name = "leases"
    rows = [row(n) for n in range(1, 3)]
    p, home = fresh(emu, rows, "leases")
    soar_down(emu)
    run(p, home)
    soar_up(emu)
    docs = sorted(queued(emu), key=lambda d: d["dedup_key"])
    now = time.time()
    emu.splunkd_ctl("POST", "/_emu/kvstore/seed", {"collection": "qradar_soar_leases", "docs": [
        {"_key": docs[0]["_key"], "holder": "sh02:4242:abc", "until": now + 300},
        {"_key": docs[1]["_key"], "holder": "sh02:4243:abd", "until": now - 1}]})
    r = run(replay_payload(emu, home), home)
    left = queued(emu)
    c = cases(emu)
    t.ok(r.rc == 0 and [d["_key"] for d in left] == [docs[0]["_key"]] and len(c) == 1
         and c[0]["properties"]["splunk_notable_event_id"] == docs[1]["dedup_key"],
         name + ": a held lease is respected, an expired one taken over", (r.rc, left, c))
    leases = emu.splunkd_ctl("GET", "/_emu/kvstore?collection=qradar_soar_leases")
    held = leases["collections"]["qradar_soar_leases"]["docs"]
    t.ok([l["holder"] for l in held] == ["sh02:4242:abc"], name + ": only the other replay's lease is left", held)


def scenario_replay_comment_fails(emu):
    name = "replay: the case made, the comment refused"
    rows = [row(1)]
    p, home = fresh(emu, rows, "rcomment")
    soar_down(emu)
    run(p, home)
    soar_up(emu)
    emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/notable_update$", "status": 503, "count": -1})
    r = run(replay_payload(emu, home), home)
    docs = queued(emu)
    t.ok(r.rc == 7 and len(cases(emu)) == 1 and len(docs) == 1 and docs[0]["kind"] == "comment"
         and docs[0]["case_id"] == cases(emu)[0]["id"] and docs[0]["attempts"] == 2,
         name + ": the document now only asks for the comment", (r.rc, docs))
    emu.splunkd_ctl("DELETE", "/_emu/faults")
    d = dict(docs[0], next_attempt=time.time() - 1)
    emu.splunkd_ctl("POST", "/_emu/kvstore/seed", {"collection": "qradar_soar_queue", "docs": [d]})
    n = len(creates(emu))
    r = run(replay_payload(emu, home), home)
    t.ok(r.rc == 0 and not queued(emu) and len(creates(emu)) == n and len(notables(emu)) == 1,
         name + ": then the comment alone is posted", (r.rc, len(creates(emu)), notables(emu)))


def main():
    with al.harness.Emulators() as emu:
        for sc in (scenario_soar_down_then_replay, scenario_replay_still_down, scenario_unanswered_create,
                   scenario_unknown_no_lookup, scenario_kv_down_spool, scenario_comment_failed,
                   scenario_run_level, scenario_max_age, scenario_concurrent_processes,
                   scenario_two_replays, scenario_sigkill, scenario_templates_unread, scenario_leases,
                   scenario_replay_comment_fails):
            try:
                sc(emu)
            except Exception as e:  # a crash is a failure, not a silent pass
                import traceback
                t.ok(False, "%s crashed: %s" % (sc.__name__, e), traceback.format_exc())
            finally:
                soar_up(emu)
                emu.splunkd_ctl("DELETE", "/_emu/faults")
                emu.splunkd_ctl("POST", "/_emu/kvstore", {"status": "ready"})
    leaked = [s for s in (al.SOAR_PASSWORD, al.SESSION_KEY) if any(s in x for x in transcript)]
    t.ok(not leaked, "no secret on any run's stdout or stderr", leaked)
    for f in figures:
        print("# figures: " + f)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
