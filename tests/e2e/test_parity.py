"""End to end: drop-in parity with IBM's add-on (issue 13), the real
binaries against the strict emulators. Each scenario is one point of the
README's "Upgrading from IBM's add-on". TAP output."""
import json
import os
import re
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

sys.path.insert(0, os.path.join(al.TOP, "tests", "lib"))
import cimlog  # noqa: E402
import kvstore  # noqa: E402  (tests/emu: its .conf reader)

NS = "/servicesNS/nobody/SA_QRadar_SOAR"
SETUP = NS + "/qradar_soar/setup"
FIELDS = ["_time", "event_id", "rule_title", "rule_description", "severity", "src"]
ROW = {"_time": "1714557600", "event_id": "E1@@notable@@a1", "rule_title": "First",
       "rule_description": "one", "severity": "High", "src": ["10.0.0.1", "10.0.0.2"]}
t = al.Tap()


def log_path(home, name):
    return os.path.join(home, "var", "log", "splunk", name + ".log")


def read(path):
    if not os.path.exists(path):
        return ""
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


def setup_call(emu, method, form=None):
    ctx = ssl.create_default_context(cafile=emu.ca)
    body = urllib.parse.urlencode(list(form.items())).encode() if form is not None else None
    url = emu.splunkd_url() + SETUP + ("?output_mode=json" if method == "GET" else "")
    req = urllib.request.Request(url, data=body, method=method, headers={
        "Authorization": "Splunk " + al.SESSION_KEY,
        "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def settle(path, before=0, want=None, wait=5.0):
    """The handler logs a request's line after its answer: wait for it."""
    end = time.time() + wait
    while time.time() < end:
        text = read(path)[before:]
        if (want is None and text) or (want is not None and want in text):
            return text
        time.sleep(0.05)
    return read(path)[before:]


def check_lines(name, path, text):
    """Every line parses with Splunk_SA_CIM's logger pattern."""
    lines = text.splitlines()
    bad = [l for l in lines if cimlog.parse(l) is None]
    t.ok(lines and not bad, "%s: every line matches Splunk_SA_CIM's logger format" % name,
         bad[:5] or "no lines")
    return [cimlog.parse(l) for l in lines if cimlog.parse(l)]


def scenario_log_format():
    ref = [cimlog.python_line(l, "x") for l in cimlog.LEVELS]
    t.ok(all(cimlog.parse(l) for l in ref),
         "the pattern matches what Python's logging writes with Splunk_SA_CIM's format", ref)
    work, home, app = al.app_home("parity-log-")
    try:
        with al.harness.Emulators(splunkd_args=[
                "--restmap", os.path.join(al.TOP, "default", "restmap.conf"), "--app-dir", app]) as emu:
            os.makedirs(os.path.join(home, "etc", "auth"), exist_ok=True)
            shutil.copy(emu.ca, os.path.join(home, "etc", "auth", "cacert.pem"))
            res = os.path.join(emu.workdir, "results.csv.gz")
            rows = [dict(ROW, event_id="E%d@@notable@@x" % i, rule_title="R%d" % i) for i in range(6)]
            rows.append(dict(ROW, event_id="", severity="Nope", rule_title=""))
            al.write_results(res, FIELDS, rows)
            al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
            conf = al.base_config(emu, mapping_severity_code="$result.severity$")
            rc, out, err = al.run(al.payload(emu, res, conf), home)
            path = log_path(home, "qradar_soar_modalert")
            t.ok(cimlog.sourcetype(path) == "modular_alerts:qradar_soar",
                 "the log keeps its name: Splunk_SA_CIM routes it to modular_alerts:qradar_soar",
                 path)
            recs = check_lines("modalert log", path, read(path))
            levels = {r["levelname"] for r in recs}
            t.ok("WARNING" in levels and "WARN" not in read(path).split(),
                 "level words as Python's logging writes them (WARNING)", levels)
            t.ok(all(r["process"] == recs[0]["process"] for r in recs) and
                 {r["threadName"] for r in recs} >= {"MainThread", "lane-0"},
                 "pid= of the run; tid= names the main thread and the workers",
                 sorted({r["threadName"] for r in recs}))
            t.ok(all(re.match(r"^[a-z_]+\.c$", r["filename"]) and int(r["lineno"]) > 0
                     for r in recs), "file= names a source file, function and line",
                 sorted({(r["filename"], r["funcName"]) for r in recs})[:8])
            cams = [cimlog.kv(r["message"]) for r in recs if r["message"].startswith("sendmodaction - ")]
            t.ok(len([c for c in cams if c.get("action_status") == "success"]) == 7 and
                 all(c.get("action_name") == "qradar_soar" and c.get("search_name") for c in cams),
                 "CAM lines: their fields as Splunk extracts them, one success per escalated row",
                 cams[:3])
            t.ok(re.search(r"^WARN ", err, re.M) and not re.search(r"^WARNING ", err, re.M),
                 "stderr keeps splunkd's level words (WARN)", err)

            # log_level = WARNING: INFO lines go, warnings and CAM lines stay
            emu.splunkd_ctl("POST", "/_emu/seed", {"conf": {"qradar_soar": {
                "logging": {"log_level": "warning"}}}})
            before = len(read(path))
            rc, out, err = al.run(al.payload(emu, res, conf), home)
            recs2 = check_lines("modalert log at WARNING", path, read(path)[before:])
            lv = {r["levelname"] for r in recs2 if not r["message"].startswith("sendmodaction")}
            t.ok(lv and "INFO" not in lv and "DEBUG" not in lv,
                 "log_level = warning: no INFO line but the CAM lines", lv)
            t.ok(len([r for r in recs2 if 'action_status="success"' in r["message"]]) == 7,
                 "log_level = warning: every CAM success line still written")
            t.ok(not re.search(r"^INFO ", err, re.M), "log_level = warning: stderr too", err)
            emu.splunkd_ctl("POST", "/_emu/seed", {"conf": {"qradar_soar": {
                "logging": {"log_level": "DEBUG"}}}})
            before = len(read(path))
            rc, out, err = al.run(al.payload(emu, res, conf), home)
            recs3 = check_lines("modalert log at DEBUG", path, read(path)[before:])
            t.ok(any(r["levelname"] == "DEBUG" for r in recs3), "log_level = DEBUG: DEBUG lines",
                 {r["levelname"] for r in recs3})
            emu.splunkd_ctl("POST", "/_emu/seed", {"conf": {"qradar_soar": {
                "logging": {"log_level": "loud"}}}})
            before = len(read(path))
            rc, out, err = al.run(al.payload(emu, res, conf), home)
            new = read(path)[before:]
            t.ok("log_level = \"loud\" is not a level" in new and " INFO pid=" in new,
                 "an unknown log_level: a warning naming it, INFO used", new[:600])

            # the setup handler's log: the same format, the same setting
            emu.splunkd_ctl("POST", "/_emu/seed", {"conf": {"qradar_soar": {
                "logging": {"log_level": "INFO"}}}})
            st, rep = setup_call(emu, "GET")
            hpath = log_path(home, "qradar_soar_config_handler")
            hrecs = check_lines("config handler log", hpath, settle(hpath, want=" by admin: status"))
            t.ok(st == 200 and any("GET" in r["message"] for r in hrecs),
                 "config handler: the request line logged at INFO", read(hpath)[-400:])
            emu.splunkd_ctl("POST", "/_emu/seed", {"conf": {"qradar_soar": {
                "logging": {"log_level": "ERROR"}}}})
            before = len(read(hpath))
            setup_call(emu, "GET")
            t.ok(settle(hpath, before, wait=1.0) == "",
                 "config handler: log_level = ERROR honoured on the next request",
                 read(hpath)[before:])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def shipped_action_defaults():
    """alert_actions.conf [qradar_soar] as this app ships it: what splunkd
    serves after the upgrade, before our setup ran (no host, org, user)."""
    conf = kvstore.parse_conf(os.path.join(al.TOP, "default", "alert_actions.conf"))
    return dict(conf["qradar_soar"])


def rest(emu, method, path, form=None):
    ctx = ssl.create_default_context(cafile=emu.ca)
    body = urllib.parse.urlencode(list(form.items())).encode() if form is not None else None
    req = urllib.request.Request(emu.splunkd_url() + path + "?output_mode=json", data=body,
                                 method=method, headers={"Authorization": "Splunk " + al.SESSION_KEY})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def scenario_upgrade_from_ibm():
    """An upgrade over IBM's add-on: splunkd holds only what IBM's setup
    stored (its [config] stanza and its credential entity) and this app's
    shipped defaults. A scheduled run escalates with them; the setup page
    pre-fills from them; a Submit stores this app's keys and leaves IBM's
    stanza as it was."""
    work, home, app = al.app_home("parity-upgrade-")
    try:
        with al.harness.Emulators(splunkd_args=[
                "--restmap", os.path.join(al.TOP, "default", "restmap.conf"), "--app-dir", app]) as emu:
            os.makedirs(os.path.join(home, "etc", "auth"), exist_ok=True)
            shutil.copy(emu.ca, os.path.join(home, "etc", "auth", "cacert.pem"))
            ibm = {"host": "127.0.0.1", "port": str(emu.soar["port"]), "org": "Test Organization",
                   "user": al.SOAR_USER, "api_keys": "0", "verify": emu.ca, "duplicates": "0",
                   "num_artifacts": "3", "num_events": "30",
                   # a key of IBM's own that this app does not read
                   "incident_file": "/opt/splunk/etc/apps/SA_QRadar_SOAR/appserver/static/resilient.json"}
            search = {"action.qradar_soar": "1",
                      "action.qradar_soar.param.mapping_name": "IBM: $result.rule_title$",
                      "action.qradar_soar.param.mapping_properties.splunk_notable_event_id":
                          "$result.event_id$",
                      "action.qradar_soar.param.artifact1type": "IP Address",
                      "action.qradar_soar.param.artifact1value": "$result.src$",
                      "action.qradar_soar.param.artifact1description": "Source",
                      # a slot beyond IBM's num_artifacts = 3: not read
                      "action.qradar_soar.param.artifact4": "DNS Name|beyond.example.com|not read"}
            emu.splunkd_ctl("POST", "/_emu/seed", {
                "conf": {"alert_actions": {"qradar_soar": shipped_action_defaults()},
                         "qradar_soar": {"config": dict(ibm)}},
                "saved_searches": [{"owner": "admin", "app": "search", "name": "IBM Alert",
                                    "content": search}]})
            al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
            res = os.path.join(emu.workdir, "results.csv.gz")
            twenty = ["10.1.0.%d" % i for i in range(1, 21)]
            al.write_results(res, FIELDS, [ROW, dict(ROW, event_id="E2@@notable@@b2", rule_title="Second",
                                                     src=twenty + ["10.1.0.1"])])
            # what splunkd hands over: the action's defaults and the search's
            # parameters, $result.x$ resolved from the first row
            conf = {k[len("param."):]: v for k, v in shipped_action_defaults().items()
                    if k.startswith("param.")}
            conf.update({k[len("action.qradar_soar.param."):]: v.replace("$result.rule_title$", "First")
                         for k, v in search.items() if k.startswith("action.qradar_soar.param.")})
            sched = dict(search_uri="/servicesNS/admin/search/saved/searches/IBM%20Alert",
                         search_name="IBM Alert")
            path = log_path(home, "qradar_soar_modalert")
            rc, out, err = al.run(al.payload(emu, res, conf, **sched), home)
            incs = emu.soar_ctl("GET", "/_emu/incidents")
            t.ok(rc == 0 and sorted(i["name"] for i in incs) == ["IBM: First", "IBM: Second"],
                 "upgrade: a scheduled run escalates with IBM's [config] stanza and credential",
                 (rc, [i["name"] for i in incs], err[-1500:]))
            arts = {i["name"]: [a["value"] for a in i["artifacts"]] for i in incs}
            t.ok(arts.get("IBM: First") == ["10.0.0.1", "10.0.0.2"] and arts.get("IBM: Second") == twenty,
                 "upgrade: the legacy trio is sent, one artifact per value (20 with num_artifacts = 3), "
                 "duplicates once, the slot beyond num_artifacts not at all", arts)
            t.ok("1 artifact slot beyond num_artifacts = 3 holds a value and is not read" in read(path),
                 "the slot not read is counted in the log", read(path)[-1500:])
            t.ok("come from IBM's add-on configuration (qradar_soar.conf [config])" in read(path),
                 "upgrade: the log says where the settings came from", read(path)[-1500:])

            # the SA-Resilient era's file name
            st = rest(emu, "DELETE", NS + "/configs/conf-qradar_soar/config")
            emu.splunkd_ctl("POST", "/_emu/seed", {"conf": {"sa_resilient": {"config": dict(ibm)}}})
            al.write_results(res, FIELDS, [dict(ROW, event_id="E3@@notable@@c3", rule_title="Third")])
            rc, out, err = al.run(al.payload(emu, res, dict(conf, mapping_name="IBM: Third"), **sched), home)
            t.ok(st == 200 and rc == 0 and "IBM: Third" in [i["name"] for i in emu.soar_ctl("GET", "/_emu/incidents")]
                 and "(sa_resilient.conf [config])" in read(path),
                 "upgrade: sa_resilient.conf [config] is read when qradar_soar.conf has none", (st, rc, err[-800:]))
            st = rest(emu, "DELETE", NS + "/configs/conf-sa_resilient/config")
            rc, out, err = al.run(al.payload(emu, res, conf, **sched), home)
            t.ok(st == 200 and rc == 2 and "not set up" in err and "qradar_soar.conf [config]" in err,
                 "neither stanza: exit 2 naming both places", (st, rc, err[-800:]))

            # IBM's "Connect Securely" unticked: its stanza says verify = false
            emu.splunkd_ctl("POST", "/_emu/seed", {"conf": {"qradar_soar": {"config": dict(ibm, verify="false")}}})
            rc, out, err = al.run(al.payload(emu, res, conf, **sched), home)
            t.ok(rc == 2 and 'verify = "false" turns certificate checks off' in err
                 and "Connect Securely" in err and "Verify SOAR's certificate" in err
                 and "come from IBM's add-on configuration (qradar_soar.conf [config])" in err,
                 "upgrade: IBM's verify = false -> exit 2 saying where it came from and what to tick", (rc, err[-1200:]))
            # this app's connection and IBM's stanza both there: ours, IBM's untouched
            emu.splunkd_ctl("POST", "/_emu/seed", {"conf": {"qradar_soar": {"config": dict(
                ibm, host="soar-old.example.com", org="Old Org", user="old@example.com", verify="false")}}})
            before = read(path)
            ours = dict(conf, host="127.0.0.1", port=str(emu.soar["port"]), org="Test Organization",
                        user=al.SOAR_USER, verify=emu.ca, mapping_name="Ours")
            al.write_results(res, FIELDS, [dict(ROW, event_id="E4@@notable@@d4", rule_title="Ours")])
            rc, out, err = al.run(al.payload(emu, res, ours), home)
            t.ok(rc == 0 and "Ours" in [i["name"] for i in emu.soar_ctl("GET", "/_emu/incidents")]
                 and "IBM's add-on configuration" not in read(path)[len(before):],
                 "upgrade: this app's settings and IBM's [config] both stored -> this app's are used",
                 (rc, err[-800:]))
            rest(emu, "DELETE", NS + "/configs/conf-qradar_soar/config")

            # the setup page: pre-filled from IBM's stanza, a Submit leaves it alone
            emu.splunkd_ctl("POST", "/_emu/seed", {"conf": {"qradar_soar": {"config": dict(ibm)}}})
            st, rep = setup_call(emu, "GET")
            p = rep.get("payload", rep)
            t.ok(st == 200 and p.get("prefilled_from") == "qradar_soar.conf [config]" and
                 all(p.get(k) == ibm[k] for k in ("host", "port", "org", "user", "verify", "num_artifacts")),
                 "setup GET: the form is pre-filled from IBM's [config] stanza", (st, rep))
            form = {k: ibm[k] for k in ("host", "port", "org", "user", "api_keys", "verify",
                                        "duplicates", "num_artifacts", "num_events")}
            form["secret"] = al.SOAR_PASSWORD
            before = emu.splunkd_ctl("GET", "/_emu/state")
            st, rep = setup_call(emu, "POST", form)
            state = emu.splunkd_ctl("GET", "/_emu/state")
            ours = state["conf"]["alert_actions"]["qradar_soar"]
            t.ok(st == 200 and ours.get("param.host") == "127.0.0.1" and ours.get("param.num_artifacts") == "3",
                 "setup Submit: this app's keys are written", (st, rep, {k: v for k, v in ours.items()
                                                                     if not k.startswith("param.mapping")}))
            t.ok(state["conf"]["qradar_soar"]["config"] == ibm and
                 not [w for w in state["writes"][len(before["writes"]):]
                      if w["what"].startswith("conf-qradar_soar/config") or
                      w["what"].startswith("conf-sa_resilient")],
                 "setup Submit: IBM's [config] stanza is left byte for byte",
                 (state["conf"]["qradar_soar"].get("config"), state["writes"][len(before["writes"]):]))
            st, rep = setup_call(emu, "GET")
            t.ok(st == 200 and "prefilled_from" not in rep.get("payload", rep),
                 "after the Submit the form shows this app's own settings", rep)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def scenario_values():
    """Values as IBM's add-on accepted them, against the strict SOAR
    emulator: 1/0 and true/false pick a select field's Yes/No choice, user
    fields take an email, "Name (email)" or an id; the stricter rules
    elsewhere still leave a bad value out with a warning."""
    data = os.path.join(al.TOP, "tests", "emu", "data")
    with open(os.path.join(data, "fields.json"), encoding="utf-8") as fh:
        fields = json.load(fh)
    harm = json.loads(json.dumps([f for f in fields if f["name"] == "severity_code"][0]))
    harm.update(id=9001, name="harmstatus_id", prefix="pii", text="Was harm done?",
                uuid="6f1c0d7e-1111-4c3a-9e55-000000009001",
                values=[dict(harm["values"][0], value=v, label=l, uuid="6f1c0d7e-2222-4c3a-9e55-00000000%04d" % v,
                             default=False) for v, l in ((1, "Yes"), (2, "No"), (3, "Unknown"))])
    with al.harness.Emulators() as emu:
        emu.soar_ctl("POST", "/_emu/catalogue", {"fields": fields + [harm]})
        home = al.splunk_home(emu.workdir, emu.ca)
        al.seed_secret(emu, "127.0.0.1", al.SOAR_USER, al.SOAR_PASSWORD)
        res = os.path.join(emu.workdir, "results.csv.gz")
        cols = ["event_id", "rule_title", "owner", "team", "harm", "severity"]
        al.write_results(res, cols, [
            {"event_id": "", "rule_title": "one", "owner": "Splunk Integration (soar@example.com)",
             "team": ["3", "Other User (other@example.com)"], "harm": "1", "severity": "High"},
            {"event_id": "", "rule_title": "two", "owner": "4", "team": "soar@example.com",
             "harm": "False", "severity": "0"}])
        conf = al.base_config(emu, duplicates="1", mapping_owner_id="$result.owner$",
                              mapping_members="$result.team$", **{"mapping_pii.harmstatus_id": "$result.harm$"})
        rc, out, err = al.run(al.payload(emu, res, conf), home)
        incs = {i["name"]: i for i in emu.soar_ctl("GET", "/_emu/incidents")}
        one, two = incs.get("one", {}), incs.get("two", {})
        t.ok(rc == 0 and one.get("owner_id") == 3 and sorted(one.get("members") or []) == [3, 4],
             "user fields: Name (email) and an id reach SOAR as the user", (rc, one.get("owner_id"),
                                                                            one.get("members"), err[-800:]))
        t.ok(two.get("owner_id") == 4 and two.get("members") == [3],
             "user fields: an id and an email", (two.get("owner_id"), two.get("members")))
        t.ok((one.get("pii") or {}).get("harmstatus_id") == 1 and (two.get("pii") or {}).get("harmstatus_id") == 2,
             "1 and False select the Yes and No choices", (one.get("pii"), two.get("pii")))
        log = al.modalert_log(home)
        warned = [l for l in log.splitlines() if " WARNING " in l and "severity_code" in l and "not a valid choice" in l]
        posts = [json.loads(r["body"]) for r in emu.soar_ctl("GET", "/_emu/requests?method=POST&path=/incidents$")]
        sent = [p for p in posts if p.get("name") == "two"]
        t.ok(sent and "severity_code" not in sent[0] and warned,
             "a select field without Yes/No choices: 0 is left out with the warning", (sent, warned[:1]))


for s in (scenario_log_format, scenario_upgrade_from_ibm, scenario_values):
    try:
        s()
    except Exception as e:  # a crash of the harness is a failure, not a skip
        t.ok(False, "%s raised %r" % (s.__name__, e))
sys.exit(t.done())
