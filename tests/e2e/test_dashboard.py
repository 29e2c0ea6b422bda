"""End to end: the app's views, saved searches and workflow action ask only
for what the action's log really holds (issue 12, item 4).

The real bin/qradar_soar runs against the emulators through every outcome
it logs (created, updated, unchanged, a failed case note, a refused case, a
failed notable comment, SOAR down and queued, a replay that delivers, one
that gives up, a host that does not resolve; mode = sync closing, refused
and stopped), writing one
qradar_soar_modalert.log. Its lines are then read with the field
extractions the app ships (default/props.conf and transforms.conf, the
regexes applied as written there), and every query of
default/data/ui/views/*.xml and of the app's log searches in
savedsearches.conf is read (tests/lib/appviews.py): each field it takes
from the log must be one a real line carries, each literal it compares a
field with must be a value a real line has, each field it takes from the
delivery queue must be one a real queue document has. The views are
checked against Simple XML's elements, attributes and options; tokens,
drilldowns and links must name what exists. TAP."""
import datetime
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

sys.path.insert(0, os.path.join(al.TOP, "tests", "lib"))
import appviews as av  # noqa: E402
import cimlog  # noqa: E402
from splunkconf import parse_conf  # noqa: E402

APP = "SA_QRadar_SOAR"
VIEWS = os.path.join(al.TOP, "default", "data", "ui", "views")
FIELDS = ["_time", "event_id", "rule_title", "severity", "src"]
SEARCH_A = "Access - Excessive Failed Logins - Rule"
SEARCH_B = "Threat - Beaconing - Rule"
REPLAY = "QRadar SOAR - Replay queued escalations"
SYNC = "QRadar SOAR - Sync closed cases"
# views Splunk itself provides in every app's nav
SYSTEM_VIEWS = {"search", "alerts", "reports", "dashboards", "datasets", "analytics_workspace"}
t = al.Tap()


def row(n, **over):
    r = {"_time": str(1714557600 + n), "event_id": "D%d@@notable@@d%d" % (n, n), "rule_title": "Row %d" % n,
         "severity": "High", "src": "10.2.0.%d" % n}
    r.update(over)
    return r


class Runs:
    """One SPLUNK_HOME (so one log) for every run."""

    def __init__(self, emu):
        self.emu = emu
        self.home = al.splunk_home(os.path.join(emu.workdir, "dash"), emu.ca)
        self.n = 0
        self.rcs = []

    def run(self, search, rows, **conf):
        self.n += 1
        res = os.path.join(self.home, "results%d.csv.gz" % self.n)
        al.write_results(res, FIELDS, rows)
        p = al.payload(self.emu, res, al.base_config(self.emu, **conf), search_name=search,
                       sid="scheduler__admin__ES__RMD5d%d_at_1714557600_%d" % (self.n, self.n))
        rc, _out, err = al.run(p, self.home)
        self.rcs.append((search, rc, err[-300:]))
        return rc

    def replay(self):
        self.n += 1
        res = os.path.join(self.home, "replay%d.csv.gz" % self.n)
        al.write_results(res, ["_time"], [{"_time": "1714557600"}])
        p = al.payload(self.emu, res, {"mode": "replay", "verify": self.emu.ca, "queue_max_age": "7d"},
                       search_name=REPLAY, sid="scheduler__nobody__%s__RMD5replay_at_1714558200_%d" % (APP, self.n))
        rc, _out, err = al.run(p, self.home)
        self.rcs.append((REPLAY, rc, err[-300:]))
        return rc

    def sync(self):
        """mode = sync with the connection of the other runs."""
        self.n += 1
        res = os.path.join(self.home, "sync%d.csv.gz" % self.n)
        al.write_results(res, ["_time"], [{"_time": "1714557600"}])
        conf = al.base_config(self.emu, mode="sync", sync_closed="1", sync_since="1")
        p = al.payload(self.emu, res, conf, search_name=SYNC,
                       sid="scheduler__nobody__%s__RMD5sync_at_1714558200_%d" % (APP, self.n))
        rc, _out, err = al.run(p, self.home)
        self.rcs.append((SYNC, rc, err[-300:]))
        return rc


def soar_fault(emu, **f):
    emu.soar_ctl("POST", "/_emu/fault", f)


def produce(emu):
    """Runs every outcome the log knows; returns (home, log text, queue docs)."""
    al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
    r = Runs(emu)
    mapping = {"mapping_properties.nope": "$result.src$"}
    rows = [row(1, severity="Hgh"), row(2)]
    r.run(SEARCH_A, rows, **mapping)                                  # created, data left out
    r.run(SEARCH_A, rows, **mapping)                                  # unchanged
    soar_fault(emu, path=r"/comments$", method="POST", status=400, count=-1,
               body={"success": False, "message": "notes are closed", "hints": [], "error_code": "generic"})
    r.run(SEARCH_A, [row(1, src="10.2.9.9")], **mapping)              # updated, note failed
    emu.soar_ctl("DELETE", "/_emu/faults")
    soar_fault(emu, path=r"/incidents$", method="POST", status=400, count=1,
               body={"success": False, "message": "Field X is bad", "hints": [], "error_code": "generic"})
    r.run(SEARCH_B, [row(3)])                                         # failed (refused)
    emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/notable_update$", "status": 503, "count": -1})
    r.run(SEARCH_B, [row(4)])                                         # comment queued
    emu.splunkd_ctl("DELETE", "/_emu/faults")
    soar_fault(emu, path="", reset=True, count=-1)
    r.run(SEARCH_B, [row(5), row(6)])                                 # queued (SOAR down)
    emu.soar_ctl("DELETE", "/_emu/faults")
    soar_fault(emu, path=r"/incidents$", method="POST", status=400, count=1,
               body={"success": False, "message": "Field Y is bad", "hints": [], "error_code": "generic"})
    r.replay()                                                        # created, commented, dead
    emu.soar_ctl("DELETE", "/_emu/faults")
    soar_fault(emu, path="", reset=True, count=-1)
    r.run(SEARCH_A, [row(7)])                                         # queued, left there
    emu.soar_ctl("DELETE", "/_emu/faults")
    r.run(SEARCH_A, [row(8)], host="soar.does-not-resolve.invalid")   # run-level failure
    # mode = sync: the cases of rows 1 and 2 close in SOAR, then one whose
    # notable id ES refuses, then one while ES is down
    incs = emu.soar_ctl("GET", "/_emu/incidents")
    for inc in incs:
        if inc.get("properties", {}).get("splunk_notable_event_id") in ("D1@@notable@@d1", "D2@@notable@@d2"):
            emu.soar_ctl("POST", "/_emu/close/%d" % inc["id"])
    r.sync()                                                          # notable_closed
    bad = emu.soar_ctl("POST", "/_emu/incidents", {"name": "Not from a notable", "discovered_date": 1714557600000,
                                                   "properties": {"splunk_notable_event_id": "not a notable id"}})
    emu.soar_ctl("POST", "/_emu/close/%d" % bad[0]["id"])
    r.sync()                                                          # notable_refused
    late = [i for i in incs if i.get("properties", {}).get("splunk_notable_event_id") == "D4@@notable@@d4"]
    emu.soar_ctl("POST", "/_emu/close/%d" % late[0]["id"])
    emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/notable_update$", "status": 503, "count": -1})
    r.sync()                                                          # notable_not_closed
    emu.splunkd_ctl("DELETE", "/_emu/faults")
    docs = emu.splunkd_ctl("GET", "/_emu/kvstore?collection=qradar_soar_queue")
    docs = docs.get("collections", {}).get("qradar_soar_queue", {}).get("docs", [])
    return r, al.modalert_log(r.home), docs


def emitted(ex, lines):
    """field -> set of values, over every line, with the app's extractions."""
    out = {f: set() for f in av.DEFAULT_FIELDS}
    for line in lines:
        for k, vs in ex.fields(line).items():
            out.setdefault(k, set()).update(vs)
    return out


def wildcard(value):
    return "*" in value


def check_spl(spl, have, docs, lookup_fields, where):
    """Problems of one analysed query against the log's fields (have) and
    the queue's documents."""
    bad = list(spl.bad)
    doc_values = {}
    for d in docs:
        for k, v in d.items():
            doc_values.setdefault(k, set()).add(str(v))
    for field, lit, at, source in spl.uses:
        if source == "log":
            if field not in have:
                bad.append("%s: %s is in no log line" % (at, field))
            elif lit is not None and not wildcard(lit) and lit not in have[field]:
                bad.append("%s: %s=%r is in no log line (seen: %s)" % (at, field, lit, sorted(have[field])[:12]))
        elif source.startswith("lookup:"):
            name = source.split(":", 1)[1]
            if field not in lookup_fields.get(name, ()):
                bad.append("%s: %s is not in the lookup %s's fields_list" % (at, field, name))
            elif field not in doc_values:
                bad.append("%s: %s is in no queue document of the run" % (at, field))
            elif lit is not None and not wildcard(lit) and lit not in doc_values[field]:
                bad.append("%s: %s=%r is in no queue document (seen: %s)" % (at, field, lit,
                                                                            sorted(doc_values[field])))
    for field, value in spl.terms:
        if field == "index" and value not in ("_internal", "cim_modactions"):
            bad.append("%s: index=%s: the log is in _internal, or cim_modactions with Splunk_SA_CIM" % (where, value))
        elif field == "source" and not re.fullmatch(re.escape(value).replace(r"\*", ".*"), spl_log_path):
            bad.append("%s: source=%s does not match %s" % (where, value, spl_log_path))
        elif field == "sourcetype":
            bad.append("%s: sourcetype= would miss lines indexed before the app" % where)
        elif field is None and not any(value.lower() in line.lower() for line in spl_lines):
            bad.append("%s: the search word %r is in no log line" % (where, value))
    return bad


spl_log_path = ""
spl_lines = []


def lookup_fields():
    tr, _ = parse_conf(os.path.join(al.TOP, "default", "transforms.conf"))
    return {name: {f.strip() for f in st.get("fields_list", "").split(",")}
            for name, st in tr.items() if st.get("external_type") == "kvstore"}


def check_extractions(ex, home, lines):
    path = os.path.join(home, "var", "log", "splunk", "qradar_soar_modalert.log")
    t.ok(ex.stanzas == ["source::...qradar_soar_modalert.log*"] and
         av.source_matches(ex.stanzas[0][8:], path + ".1"),
         "props.conf: one source stanza binds the log and its rotated files", ex.stanzas)
    t.ok(ex.settings.get("sourcetype") == cimlog.sourcetype(path) == "modular_alerts:qradar_soar",
         "props.conf: the sourcetype is Splunk_SA_CIM's for the file, with or without SA_CIM",
         (ex.settings.get("sourcetype"), cimlog.sourcetype(path)))
    t.ok(ex.settings.get("KV_MODE") == "none" and len(ex.rules) >= 3,
         "props.conf: the shipped transforms are the whole field set (KV_MODE = none)", ex.settings)
    fmt = ex.settings.get("TIME_FORMAT", "").replace("%3N", "%f")
    look = int(ex.settings.get("MAX_TIMESTAMP_LOOKAHEAD", "0"))
    bad_time = []
    for line in lines:
        try:
            datetime.datetime.strptime(line[:look], fmt)
        except ValueError:
            bad_time.append(line[:60])
    t.ok(lines and not bad_time, "props.conf: TIME_FORMAT reads the time of every line (%d lines)" % len(lines),
         bad_time[:3])
    no_header = [l[:90] for l in lines if "log_level" not in ex.fields(l)]
    t.ok(not no_header, "transforms.conf: the header extraction reads every line", no_header[:3])
    # what Splunk_SA_CIM users get from automatic key="value" extraction
    differ = []
    for line in lines:
        if "sendmodaction - " not in line:
            continue
        want = cimlog.kv(line.split(" | ", 1)[1])
        got = {k: v[0] for k, v in ex.fields(line).items() if k in want}
        if got != want:
            differ.append(line[:120])
    t.ok(not differ, "transforms.conf: a CAM line's fields are the ones automatic key=\"value\" extraction gives",
         differ[:2])
    summ = [ex.fields(l) for l in lines if "| run summary:" in l]
    runs = {"rows", "created", "updated", "unchanged", "failed", "queued", "seconds", "search_name"}
    syncs = {"mode", "cases", "closed", "refused", "stopped", "seconds", "search_name"}
    t.ok(summ and all(runs <= set(s) or syncs <= set(s) for s in summ) and
         any(syncs <= set(s) for s in summ) and any(runs <= set(s) for s in summ),
         "transforms.conf: every run summary line (escalation or sync) yields its counts", summ[:1])


def check_negative(macros, have, docs, lk):
    """The checks below can fail: a panel asking for what the log lacks is caught."""
    s = av.Spl(macros).analyse('`qradar_soar_cam` outcome="nonsense" | stats count by nosuchfield', "probe")
    bad = check_spl(s, have, docs, lk, "probe")
    t.ok(any("nosuchfield is in no log line" in b for b in bad) and any("'nonsense'" in b for b in bad),
         "self-check: an unknown field and an unknown value are reported", bad)
    s = av.Spl(macros).analyse('`qradar_soar_cam` | stats count by outcome', "probe")
    s2 = av.Spl(macros).analyse("search case_id=1 | stats count", "post", base=s)
    t.ok(any("case_id is not a field at this point" in b for b in s2.bad),
         "self-check: a post-process search reading what its base search dropped is reported", s2.bad)
    s = av.Spl(macros).analyse("| inputlookup qradar_soar_queue where state=\"lost\" | table nope", "probe")
    bad = check_spl(s, have, docs, lk, "probe")
    t.ok(any("'lost'" in b for b in bad) and any("nope is not in the lookup" in b for b in bad),
         "self-check: a queue state or field no document has is reported", bad)
    root = av.ET.fromstring('<form version="1.1"><row><panel><tabel/></panel></row></form>')
    t.ok(av.validate_view(root), "self-check: an element Simple XML does not have is reported")


def check_view(name, root, macros, have, docs, lk):
    bad = av.validate_view(root)
    t.ok(not bad, "%s: valid Simple XML (elements, attributes, options)" % name, bad)
    tokens = av.input_tokens(root)
    set_tokens = {s.get("token") for s in root.iter("set")}
    analysed, problems, used_tokens = {}, [], set()
    for s, base in av.view_queries(root):
        q = s.find("query").text or ""
        where = "%s: %s" % (name, (s.get("id") or q[:50]))
        spl = av.Spl(macros).analyse(q, where, lk, base=analysed.get(id(base)) if base is not None else None)
        analysed[id(s)] = spl
        used_tokens |= spl.tokens
        for tag in ("earliest", "latest"):
            if s.find(tag) is not None:
                used_tokens |= set(re.findall(r"\$([^$]+)\$", s.find(tag).text or ""))
        problems += check_spl(spl, have, docs, lk, where)
    t.ok(not problems, "%s: every field and value the panels read is in the real log or queue (%d searches)"
         % (name, len(analysed)), "\n".join(problems))
    undefined = {tok for tok in used_tokens if tok not in tokens and tok not in set_tokens}
    t.ok(not undefined, "%s: every token a search uses is an input's" % name, undefined)
    bad_links = []
    for vis in list(root.iter("table")) + list(root.iter("chart")) + list(root.iter("single")):
        dd = vis.find("drilldown")
        if dd is None:
            continue
        spl = analysed.get(id(vis.find("search")))
        for st in dd.iter("set"):
            tok = st.get("token")
            if not (tok.startswith("form.") and tok[5:] in tokens):
                bad_links.append("set %s: no such input" % tok)
        for el in list(dd.iter("set")) + list(dd.iter("link")):
            for ref in re.findall(r"\$row\.([^$|]+)(?:\|[a-z])?\$", el.text or ""):
                if spl is None or spl.avail is None or ref not in spl.avail:
                    bad_links.append("$row.%s$: not a column of the table" % ref)
        for ln in dd.iter("link"):
            text = (ln.text or "").strip()
            m = re.fullmatch(r"\$row\.([^$|]+)\|n\$", text)
            if m:
                urls = have.get(m.group(1), set())
                if not urls or not all(re.match(r"^https://[^/\s]+/#incidents/\d+", u) for u in urls):
                    bad_links.append("%s: the log's values are not SOAR case URLs: %s" % (text, sorted(urls)[:3]))
            elif not re.match(r"^/app/%s/[a-z_]+" % APP, text):
                bad_links.append("link %r: neither a logged URL nor a view of the app" % text)
    t.ok(not bad_links, "%s: drilldowns set inputs and link to real columns (SOAR case URLs)" % name, bad_links)
    return tokens


def check_chart_colors(root, ex, lines):
    """The escalations chart leaves the sync's lines out (notable_status):
    it colours exactly the outcomes of the other lines."""
    colors = {}
    for o in root.iter("option"):
        if o.get("name") == "charting.fieldColors":
            colors = dict(re.findall(r'"([^"]+)"\s*:\s*(0x[0-9a-fA-F]{6})', o.text or ""))
    outcomes = set()
    for line in lines:
        f = ex.fields(line)
        if "notable_status" not in f:
            outcomes.update(f.get("outcome", []))
    t.ok(colors and set(colors) == outcomes,
         "the outcome chart colours exactly the escalation outcomes the log has", (sorted(colors), sorted(outcomes)))


def check_app(macros, have, docs, lk, tokens_of):
    app, _ = parse_conf(os.path.join(al.TOP, "default", "app.conf"))
    t.ok(app.get("ui", {}).get("is_visible") == "1", "app.conf: the app is visible")
    nav = av.ET.parse(os.path.join(al.TOP, "default", "data", "ui", "nav", "default.xml")).getroot()
    names = [v.get("name") for v in nav.iter("view")]
    ours = {os.path.splitext(f)[0] for f in os.listdir(VIEWS) if f.endswith(".xml")}
    default = [v.get("name") for v in nav.iter("view") if v.get("default") == "true"]
    t.ok(nav.tag == "nav" and all(n in ours or n in SYSTEM_VIEWS for n in names) and
         default == ["qradar_soar_escalations"] and {c.tag for c in nav} <= {"view", "collection", "a", "divider"},
         "nav: lists existing views, the Escalations dashboard first", (names, default))
    ss, _ = parse_conf(os.path.join(al.TOP, "default", "savedsearches.conf"))
    alert = ss.get("QRadar SOAR escalation failures", {})
    t.ok(alert.get("disabled") == "1" and alert.get("enableSched") == "1" and alert.get("alert.track") == "1"
         and alert.get("counttype") == "number of events" and alert.get("relation") == "greater than"
         and alert.get("quantity") == "0",
         "savedsearches.conf: the failure alert ships disabled, scheduled, tracked", alert)
    problems = []
    for name, st in ss.items():
        if "qradar_soar_" not in st.get("search", "") or "`" not in st.get("search", ""):
            continue
        spl = av.Spl(macros).analyse(st["search"], name, lk)
        problems += check_spl(spl, have, docs, lk, name)
    t.ok(alert and not problems, "savedsearches.conf: the log searches read fields and values the log has",
         "\n".join(problems))
    wf, _ = parse_conf(os.path.join(al.TOP, "default", "workflow_actions.conf"))
    w = wf.get("qradar_soar_open_case", {})
    m = re.match(r"^/app/%s/([a-z_]+)\?(.*)$" % APP, w.get("link.uri", ""))
    params = dict(p.split("=", 1) for p in m.group(2).split("&")) if m else {}
    t.ok(m and m.group(1) in tokens_of and all(k[5:] in tokens_of[m.group(1)] for k in params
                                              if k.startswith("form.")) and
         w.get("fields") == "event_id" and "event_id" in have and params.get("form.event") == "$event_id$",
         "workflow_actions.conf: a notable's event_id opens the dashboard on that notable", w)
    meta, _ = parse_conf(os.path.join(al.TOP, "metadata", "default.meta"))
    t.ok(all(meta.get(s, {}).get("export") == "system" for s in
             ("props", "transforms", "macros", "workflow_actions/qradar_soar_open_case")),
         "default.meta: extractions, macros and the workflow action apply in every app (ES, Search)")


def main():
    global spl_log_path, spl_lines
    os.environ["QS_SOAR_BUDGET_MS"] = "1500"
    os.environ["QS_PARALLEL"] = "2"
    macros = av.load_macros(al.TOP)
    lk = lookup_fields()
    with al.harness.Emulators() as emu:
        try:
            runs, log, docs = produce(emu)
        except Exception as e:  # a crash of the harness is a failure, not a skip
            t.ok(False, "producing the log raised %r" % e)
            return t.done()
        lines = [l for l in log.splitlines() if l.strip()]
        spl_log_path = os.path.join(runs.home, "var", "log", "splunk", "qradar_soar_modalert.log")
        spl_lines = lines
        ex = av.Extractor(al.TOP, spl_log_path)
        have = emitted(ex, lines)
        outcomes = have.get("outcome", set())
        t.ok({"created", "updated", "unchanged", "failed", "queued", "dead", "commented", "note_failed",
              "notable_closed", "notable_refused", "notable_not_closed"} <= outcomes
             and {"queued", "dead"} <= {d.get("state") for d in docs},
             "the runs produce every outcome and both queue states", (sorted(outcomes), runs.rcs,
                                                                       [d.get("state") for d in docs]))
        check_extractions(ex, runs.home, lines)
        check_negative(macros, have, docs, lk)
        tokens_of = {}
        for f in sorted(os.listdir(VIEWS)):
            if not f.endswith(".xml") or f == "qradar_soar_setup.xml":
                continue
            root = av.parse_view(os.path.join(VIEWS, f))
            tokens_of[f[:-4]] = check_view(f, root, macros, have, docs, lk)
            if f == "qradar_soar_escalations.xml":
                check_chart_colors(root, ex, lines)
        t.ok("qradar_soar_escalations" in tokens_of, "the Escalations dashboard exists")
        check_app(macros, have, docs, lk, tokens_of)
    return t.done()


if __name__ == "__main__":
    sys.exit(main())
