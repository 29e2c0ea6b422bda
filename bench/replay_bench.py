"""Delivery queue benchmark (issue 11) against the emulators on loopback:
  - queueing: one --execute run of DOCS rows while SOAR is down (every row
    becomes an unresolved document in the KV store);
  - replay: mode = replay runs, one after the other as the scheduler would
    start them, until the queue is empty (each run stops taking documents
    after its time budget). Each document costs a lease insert, a read, the
    case build against the catalog, a lookup, a create, the notable comment,
    the delete and the lease's release.
DOCS defaults to 10000 (BENCH_QUEUE_DOCS)."""
import json
import os
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
import actionlib as al  # noqa: E402

DOCS = int(os.environ.get("BENCH_QUEUE_DOCS", "10000"))


def queued(emu):
    st = emu.splunkd_ctl("GET", "/_emu/kvstore?collection=qradar_soar_queue")
    return st["collections"]["qradar_soar_queue"]["docs"]


def main():
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        res = os.path.join(emu.workdir, "bench.csv.gz")
        al.write_results(res, ["_time", "event_id", "rule_title", "rule_description", "severity", "src"],
                         [{"_time": "1714557600", "event_id": "q-%d@@notable@@b" % i,
                           "rule_title": "Queued %d" % i, "rule_description": "desc %d" % i,
                           "severity": "High", "src": "10.0.%d.%d" % (i // 250 % 250, i % 250)}
                          for i in range(DOCS)])
        emu.soar_ctl("POST", "/_emu/fault", {"path": "", "reset": True, "count": -1})
        os.environ["QS_SOAR_BUDGET_MS"] = "1000"
        t0 = time.time()
        rc, _, err = al.run(al.payload(emu, res, al.base_config(emu, num_events=str(DOCS))), home,
                            timeout=3600)
        qsecs = time.time() - t0
        del os.environ["QS_SOAR_BUDGET_MS"]
        n = len(queued(emu))
        if rc != 6 or n != DOCS:
            print("queue: the SOAR-down run did not queue every row (exit %d, %d queued): %s"
                  % (rc, n, err[-400:]))
            return 1
        emu.soar_ctl("DELETE", "/_emu/faults")
        rp = os.path.join(emu.workdir, "replay.csv.gz")
        al.write_results(rp, ["_time"], [{"_time": "1714557600"}])
        payload = al.payload(emu, rp, {"mode": "replay", "verify": emu.ca},
                             search_name="QRadar SOAR - Replay queued escalations")
        runs, t0 = 0, time.time()
        while queued(emu) and runs < 20:
            rc, _, err = al.run(payload, home, timeout=600)
            runs += 1
            if rc != 0:
                print("replay: run %d exited %d: %s" % (runs, rc, err[-400:]))
                return 1
        rsecs = time.time() - t0
        left = len(queued(emu))
        cases = emu.soar_ctl("GET", "/_emu/state").get("incident_count")
        comments = len(emu.splunkd_ctl("GET", "/_emu/state").get("notable_updates", []))
    print("queue: %d rows queued in %.1f s while SOAR was down (%.0f documents/s into the KV store)"
          % (DOCS, qsecs, DOCS / qsecs))
    print("replay: %d queued documents delivered in %.1f s over %d replay run%s: %.0f documents/s "
          "(%d cases, %d notable comments, %d left)"
          % (DOCS - left, rsecs, runs, "" if runs == 1 else "s", (DOCS - left) / rsecs, cases, comments,
             left))
    return 0 if left == 0 and cases == DOCS else 1


if __name__ == "__main__":
    sys.exit(main())
