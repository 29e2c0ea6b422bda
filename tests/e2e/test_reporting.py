"""End to end: nothing only in the log (issue 12, items 2 and 3). The real
bin/qradar_soar --execute against the emulators:
  - a case made without some mapped data (invalid choice, unknown field,
    date, number) gets a WARNING CAM line per piece naming the field, the
    value, the problem and the fix; the run posts one Splunk message for the
    search (kind "mapping") naming the search, the field, the value, the fix
    and the log; stderr gets one WARNING per distinct problem, not per row;
  - failed rows post the search's "failure" message with the count and the
    first reason;
  - every run writes one INFO summary line with its counts;
  - a row costs two lines in the modalert log (its invocation and its
    outcome) and none on stderr when it succeeds. TAP."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402
from test_misconfig import HINT, message_name  # noqa: E402

sys.path.insert(0, os.path.join(al.TOP, "tests", "lib"))
import cimlog  # noqa: E402

FIELDS = ["_time", "event_id", "rule_title", "severity", "risk", "first_seen", "category", "src"]
SEARCH = "Access - Excessive Failed Logins - Rule"
t = al.Tap()


def row(n, **over):
    r = {"_time": str(1714557600 + n), "event_id": "R%d@@notable@@r" % n, "rule_title": "Row %d" % n,
         "severity": "High", "risk": "40", "first_seen": "2024/05/01", "category": "Access",
         "src": "10.1.0.%d" % (n % 250 + 1)}
    r.update(over)
    return r


def cam_lines(log):
    return [l for l in log.splitlines() if "sendmodaction - " in l]


def pairs(line):
    return dict(re.findall(r'(\w+)="([^"]*)"', line.split("sendmodaction - ", 1)[1]))


def setup(emu, name, rows, **conf):
    emu.soar_ctl("POST", "/_emu/reset")
    emu.splunkd_ctl("POST", "/_emu/reset")
    al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
    home = al.splunk_home(os.path.join(emu.workdir, name), emu.ca)
    res = os.path.join(home, "results.csv.gz")
    al.write_results(res, FIELDS, rows)
    base = {"mapping_properties.splunk_risk_score": "$result.risk$",
            "mapping_properties.splunk_first_seen": "$result.first_seen$",
            "mapping_properties.splunk_category": "$result.category$"}
    base.update(conf)
    return home, al.payload(emu, res, al.base_config(emu, **base))


def summary_of(text):
    m = re.findall(r"run summary: rows=(\d+) created=(\d+) updated=(\d+) unchanged=(\d+) failed=(\d+) "
                   r"queued=(\d+) seconds=([\d.]+) search_name=\"([^\"]*)\"", text)
    return m


def mapping_problems(emu):
    rows = [row(1, severity="Hgh", risk="lots", first_seen="yesterday"),
            row(2, severity="Hgh", category="Cloud"),
            row(3)]
    home, p = setup(emu, "mapping", rows, **{"mapping_properties.nope": "$result.src$"})
    # one worker: "the first case" of the message below is then row 1's
    # whatever the machine's load (parallel workers finish in any order)
    os.environ["QS_PARALLEL"] = "1"
    try:
        rc, out, err = al.run(p, home)
    finally:
        del os.environ["QS_PARALLEL"]
    log = al.modalert_log(home)
    t.ok(rc == 0, "mapping problems: the cases are made, exit 0", (rc, err[-1500:]))
    incs = {i["name"]: i for i in emu.soar_ctl("GET", "/_emu/incidents")}
    t.ok(len(incs) == 3 and incs["Row 1"].get("severity_code") != 52 and incs["Row 3"]["severity_code"] == 52,
         "mapping problems: three cases, the invalid severity left out", list(incs))
    warn = [pairs(l) for l in cam_lines(log) if 'signature="QRadar SOAR case ' in l and "lacks data" in l]
    got = sorted((w.get("rid"), w.get("field"), w.get("value"), w.get("problem")) for w in warn)
    want = sorted([("0", "severity_code", "Hgh", "invalid_choice"),
                   ("0", "properties.splunk_risk_score", "lots", "invalid_number"),
                   ("0", "properties.splunk_first_seen", "yesterday", "invalid_date"),
                   ("0", "properties.nope", "10.1.0.2", "unknown_field"),
                   ("1", "severity_code", "Hgh", "invalid_choice"),
                   ("1", "properties.splunk_category", "Cloud", "invalid_choice"),
                   ("1", "properties.nope", "10.1.0.3", "unknown_field"),
                   ("2", "properties.nope", "10.1.0.4", "unknown_field")])
    t.ok(got == want, "mapping problems: a CAM line per piece left out, naming rid, field, value, problem",
         got)
    sev = next((w for w in warn if w.get("field") == "severity_code" and w.get("rid") == "0"), {})
    t.ok(sev.get("fix") == "Make the 'Severity' mapping (mapping_severity_code) give one of the field's choices "
         "(Low, Medium, High), or add the value as a choice of the field in SOAR." and
         sev.get("case_id") == str(incs["Row 1"]["id"]) and sev.get("event_id") == "R1@@notable@@r" and
         "action_status" not in sev,
         "mapping problems: the line carries the fix, the case and the notable, and is no outcome", sev)
    t.ok(all((cimlog.parse(l) or {}).get("levelname") == "WARNING" for l in cam_lines(log)
             if "lacks data" in l), "mapping problems: the lines are WARNING lines",
         [l[:90] for l in cam_lines(log) if "lacks data" in l])
    succ = [pairs(l) for l in cam_lines(log) if 'action_status="success"' in l]
    t.ok(sorted(s.get("fields_left_out") for s in succ) == ["1", "3", "4"] and
         all(s.get("outcome") == "created" for s in succ),
         "mapping problems: the outcome lines count what each case lacks", succ)
    msgs = emu.splunkd_ctl("GET", "/_emu/state")["messages"]
    m = msgs.get(message_name("mapping"), {})
    t.ok(list(msgs) == [message_name("mapping")] and m.get("severity") == "warn",
         "mapping problems: one Splunk message for the search, a warning", msgs)
    v = m.get("value", "")
    # the problem most cases share leads: the unknown field, in all three
    t.ok(v == 'QRadar SOAR: the alert "%s" made 3 cases without some mapped data. Case %d: properties.nope: '
         'no such field in the SOAR org; skipped (value "10.1.0.2"). Fix: Remove mapping_properties.nope from '
         "the alert's QRadar SOAR action, or create that field in SOAR and run the add-on's setup page again. "
         "4 other mapping problems too. %s" % (SEARCH, incs["Row 1"]["id"], HINT),
         "mapping problems: the message names the search, the field, the value, the fix and the log", v)
    werr = [l for l in err.splitlines() if l.startswith("WARN")]
    t.ok(len(werr) == 5 and any(l.startswith("WARN") and "2 cases made without mapped data: severity_code: "
                                "\"Hgh\" is not a valid choice" in l for l in werr),
         "mapping problems: stderr has one warning per distinct problem, with its count", werr)
    s = summary_of(err)
    t.ok(s == [("3", "3", "0", "0", "0", "0", s[0][6] if s else "", SEARCH)],
         "mapping problems: one summary line (stderr) with the counts", s)
    t.ok(len(summary_of(log)) == 1, "mapping problems: ... and in the log")


def failures(emu):
    rows = [row(1), row(2), row(3)]
    home, p = setup(emu, "failures", rows)
    emu.soar_ctl("POST", "/_emu/fault", {"path": "/incidents$", "method": "POST", "after": 1, "count": 1,
                                         "status": 400, "body": {"success": False, "title": None,
                                                                 "message": "Field X is bad", "hints": [],
                                                                 "error_code": "generic"}})
    os.environ["QS_PARALLEL"] = "1"
    try:
        rc, out, err = al.run(p, home)
    finally:
        del os.environ["QS_PARALLEL"]
    log = al.modalert_log(home)
    t.ok(rc == 4, "a refused row: exit 4", (rc, err[-1000:]))
    msgs = emu.splunkd_ctl("GET", "/_emu/state")["messages"]
    m = msgs.get(message_name("failure"), {})
    t.ok(list(msgs) == [message_name("failure")] and m.get("severity") == "error" and
         m.get("value", "").startswith('QRadar SOAR: 1 of 3 results of the alert "%s" were not escalated. '
                                       'First reason: SOAR POST /rest/orgs/201/incidents?want_full_data=false on '
                                       '127.0.0.1: HTTP 400 '
                                       '"Field X is bad"' % SEARCH) and
         m.get("value", "").endswith('Their case bodies are in the log ("unsent case body"). ' + HINT),
         "a refused row: the search's failure message counts it, gives the reason and the log", msgs)
    fail = [pairs(l) for l in cam_lines(log) if 'action_status="failure"' in l]
    t.ok(len(fail) == 1 and fail[0].get("outcome") == "failed" and fail[0].get("fix", "").startswith(
        "Compare the alert's mappings with the org's fields") and fail[0].get("event_id") == "R2@@notable@@r",
         "a refused row: its CAM line has the outcome, the notable and the fix", fail)
    s = summary_of(err)
    t.ok([x[:6] for x in s] == [("3", "2", "0", "0", "1", "0")], "a refused row: the summary counts it", s)


def unchanged_and_lines(emu):
    n = 200
    rows = [row(i) for i in range(n)]
    home, p = setup(emu, "lines", rows, num_events="300")
    rc, out, err = al.run(p, home, timeout=300)
    log1 = al.modalert_log(home)
    t.ok(rc == 0 and len(emu.soar_ctl("GET", "/_emu/incidents")) == n, "200 rows: 200 cases", (rc, err[-800:]))
    lines = log1.splitlines()
    inv = [l for l in lines if 'signature="Invoking modular action"' in l]
    outc = [l for l in lines if 'action_status="success"' in l]
    t.ok(len(inv) == n and len(outc) == n and len(lines) == 2 * n + 1,
         "200 rows: the log holds 401 lines (invocation and outcome per row, one summary)",
         (len(lines), len(inv), len(outc)))
    t.ok(err.splitlines() == [l for l in err.splitlines() if "run summary:" in l] and len(err.splitlines()) == 1,
         "200 rows: stderr (splunkd.log) gets the summary line only", err.splitlines()[:5])
    ups = len(emu.splunkd_ctl("GET", "/_emu/state")["notable_updates"])
    rc, out, err = al.run(p, home, timeout=300)
    log2 = al.modalert_log(home)[len(log1):]
    t.ok(rc == 0 and len(emu.splunkd_ctl("GET", "/_emu/state")["notable_updates"]) == ups == n,
         "re-run that changed nothing: no notable comment (the first run commented each)", (rc, ups))
    s = summary_of(err)
    t.ok([x[:6] for x in s] == [(str(n), "0", "0", str(n), "0", "0")],
         "re-run: the summary counts 200 unchanged", s)
    t.ok(log2.count('outcome="unchanged"') == n, "re-run: every outcome line says unchanged")


def main():
    with al.harness.Emulators() as emu:
        for f in (mapping_problems, failures, unchanged_and_lines):
            try:
                f(emu)
            except Exception as e:  # a crash of the harness is a failure, not a skip
                t.ok(False, "%s raised %r" % (f.__name__, e))
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
