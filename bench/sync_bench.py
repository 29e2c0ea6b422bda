"""Closed-case sync benchmark (issue 14) against the emulators on loopback:
CASES cases carrying notable ids are closed in SOAR, then one mode = sync
run (a fresh process, timed from start to exit) closes their notables.
Each case costs its share of a query_paged page, one notable_update and one
write of the mark to the KV store. Reports the SOAR requests the run made
(from the SOAR emulator's request log) and the wall time.
CASES defaults to 1000 (BENCH_SYNC_CASES)."""
import os
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests", "e2e"))
import actionlib as al  # noqa: E402

CASES = int(os.environ.get("BENCH_SYNC_CASES", "1000"))
T0 = 1714557600000


def main():
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        incs = emu.soar_ctl("POST", "/_emu/incidents", [
            {"name": "Case %d" % i, "discovered_date": T0,
             "properties": {"splunk_notable_event_id": "B%05d-0A1B@@notable@@s%05d" % (i, i)}}
            for i in range(CASES)])
        for k, inc in enumerate(incs):
            # a few closings share a millisecond, as busy orgs have them
            emu.soar_ctl("POST", "/_emu/close/%d" % inc["id"], {
                "resolution_id": "Resolved", "resolution_summary": "<p>Done %d</p>" % k,
                "end_date": T0 + 60000 + k - k % 3})
        emu.soar_ctl("DELETE", "/_emu/requests")
        emu.splunkd_ctl("DELETE", "/_emu/requests")
        res = os.path.join(emu.workdir, "makeresults.csv.gz")
        al.write_results(res, ["_time"], [{"_time": "1714557600"}])
        payload = al.payload(emu, res, al.base_config(emu, mode="sync", sync_closed="1", sync_since="0"),
                             search_name="QRadar SOAR - Sync closed cases", app="SA_QRadar_SOAR")
        t0 = time.time()
        rc, _, err = al.run(payload, home, timeout=600)
        secs = time.time() - t0
        soar = emu.soar_ctl("GET", "/_emu/requests")
        sd = emu.splunkd_ctl("GET", "/_emu/requests")
        notables = emu.splunkd_ctl("GET", "/_emu/state")["notables"]
    kinds = {}
    for r in soar:
        p = r["path"]
        k = ("query_paged" if p.endswith("/query_paged") else "login" if p == "/rest/session"
             else "field definitions" if p.endswith("/types/incident/fields") else r["method"] + " " + p)
        kinds[k] = kinds.get(k, 0) + 1
    updates = sum(1 for r in sd if r["path"] == "/services/notable_update")
    marks = sum(1 for r in sd if "/qradar_soar_state" in r["path"])
    once = len(notables) == CASES and all(len(v) == 1 and v[0]["status"] == "5" for v in notables.values())
    if rc != 0 or not once:
        print("sync: the run failed or did not close every notable once (exit %d, %d notables): %s"
              % (rc, len(notables), err[-400:]))
        return 1
    print("sync: %d closed cases synced in one run in %.2f s, whole process (%.0f notables/s): "
          "%d SOAR requests (%s); %d notable_updates and %d KV store requests for the mark"
          % (CASES, secs, CASES / secs, len(soar),
             ", ".join("%d %s" % (n, k) for k, n in sorted(kinds.items())), updates, marks))
    return 0


if __name__ == "__main__":
    sys.exit(main())
