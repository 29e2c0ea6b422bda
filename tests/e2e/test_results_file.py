"""End to end: what the results file may hold. A file that is not gzip is
refused before anything is read from it (random bytes must not become
cases); a cell over the 64 MB limit makes only its row fail, naming the
row, the column and the limit, and the rows after it are escalated. TAP
output."""
import gzip
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

t = al.Tap()
LIMIT = 64 * 1024 * 1024


def not_gzip(emu, home):
    res = os.path.join(emu.workdir, "plain.csv.gz")
    with open(res, "wb") as f:
        f.write(b"event_id,rule_title\nR1@@notable@@1,Plain text\n")
    before = emu.soar_ctl("GET", "/_emu/state").get("incident_count")
    rc, out, err = al.run(al.payload(emu, res, al.base_config(emu)), home)
    t.ok(rc == 3, "not gzip: exit 3 (results file unusable)", rc)
    t.ok("is not gzip-compressed" in err and "plain.csv.gz" in err,
         "not gzip: the error names the file and says why", err[-800:])
    t.ok(emu.soar_ctl("GET", "/_emu/state").get("incident_count") == before,
         "not gzip: no case made")


def big_cell(emu, home):
    res = os.path.join(emu.workdir, "big.csv.gz")
    with gzip.open(res, "wb", compresslevel=1) as g:
        g.write(b"event_id,rule_title,_raw\n")
        g.write(b"B0@@notable@@0,Before,small\n")
        g.write(b"B1@@notable@@1,Huge,\"")
        chunk = b"x" * (1 << 20)
        for _ in range(LIMIT // len(chunk)):
            g.write(chunk)
        g.write(b"x\"\n")
        g.write(b"B2@@notable@@2,After,small\n")
    rc, out, err = al.run(al.payload(emu, res, al.base_config(emu)), home)
    t.ok(rc == 4, "cell over the limit: exit 4 (a row failed), not 3", rc)
    t.ok('row 1: the cell of column "_raw" is over the 64 MB limit' in err,
         "cell over the limit: the error names row, column and limit", err[-800:])
    titles = sorted(i.get("name") for i in emu.soar_ctl("GET", "/_emu/incidents"))
    t.ok(titles == ["After", "Before"], "cell over the limit: the rows around it became cases",
         titles)


def main():
    with al.harness.Emulators() as emu:
        home = al.splunk_home(emu.workdir, emu.ca)
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        not_gzip(emu, home)
        big_cell(emu, home)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
