#!/usr/bin/env python3
"""Self-tests of tests/emu/: both emulators must be as strict as the real servers.
TAP output; exit status 1 if any check fails."""
import base64
import io
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
EMU = os.path.join(HERE, "..", "emu")
sys.path.insert(0, EMU)
import persistconn  # noqa: E402

N = [0]
FAILED = [0]


def ok(cond, desc, detail=None):
    N[0] += 1
    if cond:
        print("ok %d - %s" % (N[0], desc))
    else:
        FAILED[0] += 1
        print("not ok %d - %s" % (N[0], desc))
        if detail is not None:
            for line in str(detail).splitlines()[:20]:
                print("# " + line)
    sys.stdout.flush()
    return cond


class Resp:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def __repr__(self):
        return "HTTP %s %s" % (self.status, self.body[:300])


def http(ctx, method, url, body=None, headers=None, timeout=10):
    h = dict(headers or {})
    data = None
    if body is not None:
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            data = body.encode()
        else:
            data = body
    req = urllib.request.Request(url, data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=timeout) as r:
            return Resp(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return Resp(e.code, e.headers, e.read())


def start(script, args, tmp, name):
    ready = os.path.join(tmp, name + ".ready")
    p = subprocess.Popen([sys.executable, os.path.join(EMU, script), "--port", "0",
                          "--control-port", "0", "--ready-file", ready] + args)
    for _ in range(200):
        if os.path.exists(ready):
            with open(ready) as fh:
                return p, json.load(fh)
        if p.poll() is not None:
            raise RuntimeError("%s exited with %s" % (script, p.returncode))
        time.sleep(0.05)
    p.kill()
    raise RuntimeError("%s did not become ready" % script)


def saved_conf(tmp):
    """A savedsearches.conf the app ships: a disabled scheduled alert."""
    path = os.path.join(tmp, "savedsearches.conf")
    with open(path, "w") as fh:
        fh.write("[Shipped - disabled]\ndisabled = 1\nsearch = | makeresults\nenableSched = 1\n"
                 "cron_schedule = */5 * * * *\naction.qradar_soar = 1\n")
    return path


def ctl(port, method, path, obj=None):
    r = http(None, method, "http://127.0.0.1:%d%s" % (port, path), obj)
    return r.json()


def test_persistconn_framing():
    pkt = persistconn.encode_packet(persistconn.INIT, [b"/bin/x", b"arg"], b"")
    ok(pkt == b"\x01" + b"2\n6\n/bin/x3\narg0\n", "persistconn INIT packet framing", pkt)
    pkt = persistconn.encode_packet(persistconn.BLOCK | persistconn.END, block=b'{"a":1}')
    ok(pkt == b"\x06" + b'7\n{"a":1}', "persistconn BLOCK|END packet framing", pkt)
    both = b"\n" + persistconn.encode_packet(persistconn.INIT | persistconn.BLOCK, [b"c"], b"xy", b"body")
    got = persistconn.read_packet(io.BytesIO(both))
    ok(got["command"] == [b"c"] and got["command_arg"] == b"xy" and got["block"] == b"body",
       "persistconn parser: stray newline, INIT+BLOCK in one packet", got)
    bad = False
    try:
        persistconn.read_reply(io.BytesIO(b"12x\nabc"))
    except persistconn.ProtocolError:
        bad = True
    ok(bad, "persistconn reply with a non-digit length is a protocol error")
    short = False
    try:
        persistconn.read_reply(io.BytesIO(b"10\nabc"))
    except persistconn.ProtocolError:
        short = True
    ok(short, "persistconn truncated reply is a protocol error")
    drv = [sys.executable, os.path.join(EMU, "fake_persist_driver.py")]
    for mode in ("separate", "combined"):
        ph = persistconn.PersistentHandler(drv, ["bin/qradar_soar_setup"], init_mode=mode, timeout=5)
        try:
            a = ph.request({"method": "GET", "form": []})
            b = ph.request({"method": "POST", "form": [["status", "201"]]})
            ok(a["status"] == 200 and a["payload"]["init"] == ["bin/qradar_soar_setup"]
               and b["status"] == 201 and ph.starts == 1,
               "persistconn client (%s INIT): two requests, one process" % mode, (a, b))
        finally:
            ph.stop()
    ph = persistconn.PersistentHandler([sys.executable, "-c", "import sys; sys.stdin.read(1); sys.stdout.write('3\\nab')"],
                                       ["x"], timeout=5)
    try:
        ph.request({})
        ok(False, "persistconn client: a driver that dies mid-reply raises ProtocolError")
    except persistconn.ProtocolError:
        ok(ph.proc is None, "persistconn client: a driver that dies mid-reply raises ProtocolError")


def test_soar(ctx, info, certs):
    base = "https://127.0.0.1:%d" % info["port"]
    cp = info["control_port"]
    # TLS: a client trusting only the unrelated CA must fail.
    wrong = ssl.create_default_context(cafile=os.path.join(certs, "other-ca.pem"))
    try:
        http(wrong, "GET", base + "/rest/const")
        ok(False, "SOAR: certificate from the wrong CA is rejected by the client")
    except urllib.error.URLError as e:
        ok("CERTIFICATE_VERIFY_FAILED" in str(e), "SOAR: certificate from the wrong CA is rejected by the client", e)

    r = http(ctx, "POST", base + "/rest/session", "email=soar%40example.com&password=x",
             {"Content-Type": "application/x-www-form-urlencoded"})
    ok(r.status == 415, "SOAR: login body must be JSON (415)", r)
    r = http(ctx, "POST", base + "/rest/session?include_permissions=false",
             {"email": "soar@example.com", "password": "wrong"})
    ok(r.status == 401 and r.json()["success"] is False, "SOAR: wrong password -> 401 StatusDTO", r)
    r = http(ctx, "POST", base + "/rest/session?include_permissions=false",
             {"email": "soar@example.com", "password": "Sup3r$ecret!"})
    j = r.json() or {}
    cookie = (r.headers.get("Set-Cookie") or "").split(";")[0]
    ok(r.status == 200 and cookie.startswith("JSESSIONID=") and j.get("csrf_token")
       and j["orgs"][0]["id"] == 201 and "uuid" in j["orgs"][0], "SOAR: email/password login", r)
    sess = {"Cookie": cookie, "X-sess-id": j.get("csrf_token", "")}
    r = http(ctx, "GET", base + "/rest/orgs/201/types/incident/fields", headers={"Cookie": cookie})
    ok(r.status == 401, "SOAR: cookie without X-sess-id -> 401", r)
    r = http(ctx, "GET", base + "/rest/orgs/201/types/incident/fields", headers=sess)
    ok(r.status == 200 and any(f["name"] == "splunk_notable_event_id" for f in r.json()),
       "SOAR: field catalogue with a session", r)
    r = http(ctx, "GET", base + "/rest/orgs/201/types/incident/fields/nope", headers=sess)
    ok(r.status == 404 and r.json()["success"] is False, "SOAR: unknown field -> 404 StatusDTO", r)
    r = http(ctx, "GET", base + "/rest/orgs/202", headers=sess)
    ok(r.status == 403, "SOAR: org the user is not a member of -> 403", r)
    r = http(ctx, "GET", base + "/rest/orgs/999", headers=sess)
    ok(r.status == 404, "SOAR: unknown org -> 404", r)

    basic = {"Authorization": "Basic " + base64.b64encode(
        b"2b8e7a1c-0000-4000-8000-00000000a11e:k3y-s3cret/+=").decode()}
    r = http(ctx, "GET", base + "/rest/session?include_permissions=false", headers=basic)
    ok(r.status == 200 and r.json().get("api_key_handle") is not None, "SOAR: API key login", r)
    badk = {"Authorization": "Basic " + base64.b64encode(b"2b8e7a1c-0000-4000-8000-00000000a11e:nope").decode()}
    r = http(ctx, "GET", base + "/rest/session", headers=badk)
    ok(r.status == 401, "SOAR: wrong API secret -> 401", r)
    r = http(ctx, "GET", base + "/rest/orgs/201/artifact_types", headers=basic)
    ok(r.status == 200 and any(t["name"] == "IP Address" for t in r.json()["entities"]),
       "SOAR: artifact_types entities with Basic auth", r)

    inc = {"name": "Splunk: brute force", "discovered_date": 1700000000000,
           "description": {"format": "text", "content": "x"}, "severity_code": "High",
           "properties": {"splunk_notable_event_id": "E1@@notable@@abc", "splunk_priority": "1",
                          "test_multi": [54, "2"]},
           "artifacts": [{"type": {"name": "IP Address"}, "value": "10.1.1.1"}]}
    r = http(ctx, "POST", base + "/rest/orgs/201/incidents?want_full_data=false", inc, basic)
    j = r.json() or {}
    ok(r.status == 200 and j.get("vers") == 1 and j.get("plan_status") == "A"
       and j.get("severity_code") == 52 and j["properties"]["splunk_priority"] == 54,
       "SOAR: valid incident created (labels resolved, vers 1, plan_status A)", r)
    iid = j.get("id")
    bads = [({"name": "x"}, "discovered_date"),
            ({"name": "x", "discovered_date": "2024-01-01"}, "discovered_date"),
            ({"name": "x", "discovered_date": 1, "bogus": 1}, "bogus"),
            ({"name": "x", "discovered_date": 1, "properties": {"nope": "v"}}, "nope"),
            ({"name": "x", "discovered_date": 1, "properties": {"splunk_priority": "54"}}, "splunk_priority"),
            ({"name": "x", "discovered_date": 1, "severity_code": "Critical"}, "severity_code"),
            ({"name": "x", "discovered_date": 1, "confirmed": "true"}, "confirmed"),
            ({"name": "x", "discovered_date": 1, "properties": {"splunk_category": "Legacy"}}, "Legacy"),
            ({"name": "x", "discovered_date": 1, "inc_training": True}, "inc_training"),
            ({"name": "x", "discovered_date": 1, "artifacts": [{"type": "IP Address", "value": "not an ip"}]},
             "IP Address")]
    for body, word in bads:
        r = http(ctx, "POST", base + "/rest/orgs/201/incidents", body, basic)
        j = r.json() or {}
        ok(r.status == 400 and j.get("success") is False and word in (j.get("message") or "")
           and j.get("error_code") == "generic",
           "SOAR: invalid incident rejected with 400 naming %s" % word, r)

    q = {"filters": [{"conditions": [
        {"field_name": "properties.splunk_notable_event_id", "method": "equals", "value": "E1@@NOTABLE@@abc"},
        {"field_name": "plan_status", "method": "equals", "value": "A"}]}],
        "sorts": [{"field_name": "create_date", "type": "desc"}], "start": 0, "length": 10}
    r = http(ctx, "POST", base + "/rest/orgs/201/incidents/query_paged?return_level=normal", q, basic)
    j = r.json() or {}
    ok(r.status == 200 and j.get("recordsFiltered") == 1 and j["data"][0]["id"] == iid,
       "SOAR: query_paged finds the open case by notable id", r)
    r = http(ctx, "POST", base + "/rest/orgs/201/incidents/query_paged", dict(q, length=500), basic)
    ok(r.status == 400, "SOAR: query_paged length > 100 -> 400", r)
    r = http(ctx, "POST", base + "/rest/orgs/201/incidents/query", {"filters": q["filters"]}, basic)
    ok(r.status == 200 and isinstance(r.json(), list) and len(r.json()) == 1,
       "SOAR: legacy query returns a bare array", r)

    url = base + "/rest/orgs/201/incidents/%s" % iid
    r = http(ctx, "PATCH", url, {"changes": [{"field": "properties.splunk_search_name",
                                             "old_value": {"text": None}, "new_value": {"text": "s"}}],
                                "version": 1}, basic)
    ok(r.status == 400, "SOAR: PATCH with a prefixed field handle -> 400", r)
    r = http(ctx, "PATCH", url, {"changes": [{"field": "splunk_search_name",
                                             "old_value": {"text": None}, "new_value": {"text": "s1"}}],
                                "version": 1}, basic)
    ok(r.status == 200 and r.json()["success"] is True, "SOAR: PATCH at current version succeeds", r)
    ctl(cp, "POST", "/_emu/bump/%s" % iid, {"name": "renamed by analyst"})
    r = http(ctx, "PATCH", url, {"changes": [{"field": {"name": "name"}, "old_value": {"text": "Splunk: brute force"},
                                             "new_value": {"text": "again"}}], "version": 2}, basic)
    j = r.json() or {}
    ok(r.status == 200 and j.get("success") is False and j.get("field_failures")
       and "conflicting edit" in j.get("message", ""), "SOAR: stale PATCH -> 200 success:false field_failures", r)
    r = http(ctx, "GET", url, headers=basic)
    ok(r.json()["vers"] == 3 and r.json()["name"] == "renamed by analyst", "SOAR: failed PATCH changed nothing", r)
    r = http(ctx, "PUT", url, dict(r.json(), vers=1), basic)
    ok(r.status == 409, "SOAR: PUT with stale vers -> 409", r)

    r = http(ctx, "POST", url + "/artifacts", {"type": "DNS Name", "value": "evil.example",
                                              "description": {"format": "text", "content": "d"}}, basic)
    ok(r.status == 200 and isinstance(r.json(), list) and r.json()[0]["type"] == 2,
       "SOAR: artifact POST answers an array", r)
    r = http(ctx, "POST", url + "/artifacts", {"type": "Log File", "value": "x.log"}, basic)
    ok(r.status == 400, "SOAR: file artifact type refused on the JSON endpoint", r)
    r = http(ctx, "GET", url + "/artifacts", headers=basic)
    ok(r.status == 200 and len(r.json()) == 2, "SOAR: two artifacts listed", r)
    r = http(ctx, "POST", url + "/comments", {"text": {"format": "text", "content": "hello"}}, basic)
    ok(r.status == 200 and r.json()["text"] == "hello", "SOAR: comment created", r)
    r = http(ctx, "GET", url + "/comments", headers=basic)
    ok(r.status == 200 and [c["text"] for c in r.json()] == ["hello"], "SOAR: comments listed", r)

    cur = http(ctx, "GET", url, headers=basic).json()
    close = {"field": "plan_status", "old_value": {"id": "A"}, "new_value": {"id": "C"}}
    r = http(ctx, "PATCH", url, {"changes": [close], "version": cur["vers"]}, basic)
    ok(r.status == 400 and "resolution_id" in (r.json() or {}).get("message", ""),
       "SOAR: closing without the fields required on close -> 400", r)
    r = http(ctx, "PATCH", url, {"changes": [
        close, {"field": "resolution_id", "old_value": {"id": None}, "new_value": {"id": 8}},
        {"field": "resolution_summary", "old_value": {"textarea": None},
         "new_value": {"textarea": {"format": "html", "content": "<p>dup of 1</p>"}}}],
        "version": cur["vers"]}, basic)
    ok(r.status == 200 and r.json()["success"] is True, "SOAR: closing with resolution succeeds", r)
    closed = http(ctx, "GET", url, headers=basic).json()
    ok(closed["plan_status"] == "C" and isinstance(closed.get("end_date"), int)
       and closed["resolution_id"] == 8 and closed["resolution_summary"] == "<p>dup of 1</p>",
       "SOAR: a closed case has end_date, resolution_id and resolution_summary", closed)
    qc = {"filters": [{"conditions": [
        {"field_name": "plan_status", "method": "equals", "value": "C"},
        {"field_name": "end_date", "method": "gte", "value": closed["end_date"]},
        {"field_name": "properties.splunk_notable_event_id", "method": "has_a_value"}]}],
        "sorts": [{"field_name": "end_date", "type": "asc"}], "start": 0, "length": 100}
    r = http(ctx, "POST", base + "/rest/orgs/201/incidents/query_paged?return_level=normal"
             "&field_handle=splunk_notable_event_id", qc, basic)
    j = r.json() or {}
    ok(r.status == 200 and [d["id"] for d in j.get("data", [])] == [iid]
       and list(j["data"][0]["properties"]) == ["splunk_notable_event_id"],
       "SOAR: closed cases found by end_date gte; field_handle limits properties", r)
    r = http(ctx, "PATCH", url, {"changes": [{"field": "plan_status", "old_value": {"id": "C"},
                                             "new_value": {"id": "A"}}], "version": closed["vers"]}, basic)
    reopened = http(ctx, "GET", url, headers=basic).json()
    ok(r.status == 200 and reopened["plan_status"] == "A" and reopened["end_date"] is None,
       "SOAR: re-opening clears end_date", reopened)
    j = ctl(cp, "POST", "/_emu/close/%s" % iid, {"resolution_summary": "again"})
    ok(j.get("plan_status") == "C" and j.get("resolution_id") == 8,
       "SOAR control: a re-opened case keeps its resolution; closing it again needs no new one", j)
    j = ctl(cp, "POST", "/_emu/close/%s" % iid, {})
    ok("already closed" in j.get("error", ""), "SOAR control: closing a closed case is refused", j)
    ctl(cp, "POST", "/_emu/reopen/%s" % iid)
    j = ctl(cp, "POST", "/_emu/close/%s" % iid, {"resolution_id": "Not an Issue", "resolution_summary": "fp",
                                                 "end_date": 1700000000123})
    ok(j.get("plan_status") == "C" and j.get("end_date") == 1700000000123 and j.get("resolution_id") == 9,
       "SOAR control: close with a given end_date and resolution label", j)
    j = ctl(cp, "POST", "/_emu/reopen/%s" % iid)
    ok(j.get("plan_status") == "A" and j.get("end_date") is None, "SOAR control: re-open", j)

    ctl(cp, "POST", "/_emu/fault", {"path": "/incidents/query_paged$", "status": 503, "retry_after": "1"})
    r = http(ctx, "POST", base + "/rest/orgs/201/incidents/query_paged", q, basic)
    ok(r.status == 503 and r.headers.get("Retry-After") == "1", "SOAR: injected 503 with Retry-After", r)
    r = http(ctx, "POST", base + "/rest/orgs/201/incidents/query_paged", q, basic)
    ok(r.status == 200, "SOAR: fault count consumed, next call succeeds", r)
    ctl(cp, "POST", "/_emu/fault", {"path": "/rest/const", "html": True})
    r = http(ctx, "GET", base + "/rest/const", headers=basic)
    ok(r.status == 502 and b"<html>" in r.body, "SOAR: injected HTML 502", r)
    ctl(cp, "POST", "/_emu/fault", {"path": "/rest/const", "reset": True})
    try:
        http(ctx, "GET", base + "/rest/const", headers=basic)
        ok(False, "SOAR: injected connection reset")
    except (urllib.error.URLError, ConnectionError, OSError) as e:
        ok(True, "SOAR: injected connection reset (%s)" % type(e).__name__)

    ctl(cp, "POST", "/_emu/fault", {"path": "/rest/const", "delay": 0.4})
    t0 = time.time()
    r = http(ctx, "GET", base + "/rest/const", headers=basic)
    ok(r.status == 200 and time.time() - t0 >= 0.4 and r.json()["max_page_size"] == 100,
       "SOAR: delay fault slows the normal answer", r)
    r = http(ctx, "PATCH", url, {"changes": [{"field": "severity_code", "new_value": {"text": "Low"}}],
                                 "version": 3}, basic)
    ok(r.status == 400, "SOAR: PATCH value wrapper must match the field type", r)
    r = http(ctx, "GET", base + "/rest/orgs/404", headers=sess)
    ok(r.status == 403, "SOAR: disabled org -> 403", r)

    ctl(cp, "POST", "/_emu/catalogue", {"fields_file": os.path.join(EMU, "data", "fields_required.json")})
    body = {"name": "x", "discovered_date": 1700000000000}
    r = http(ctx, "POST", base + "/rest/orgs/201/incidents", body, basic)
    ok(r.status == 400 and "soc_queue" in r.json()["message"], "SOAR: required custom field enforced", r)
    r = http(ctx, "POST", base + "/rest/orgs/201/incidents", dict(body, properties={"soc_queue": "Tier 2"}), basic)
    ok(r.status == 200 and r.json()["properties"]["soc_queue"] == 402, "SOAR: required custom field given by label", r)
    ctl(cp, "POST", "/_emu/catalogue", {"fields_file": os.path.join(EMU, "data", "fields_no_notable.json")})
    r = http(ctx, "POST", base + "/rest/orgs/201/incidents/query_paged", q, basic)
    ok(r.status == 400, "SOAR: query on a field missing from the catalogue -> 400", r)
    ctl(cp, "POST", "/_emu/catalogue", {"fields_file": os.path.join(EMU, "data", "fields.json")})

    r = http(ctx, "POST", base + "/rest/session", {"email": "soar@example.com", "password": "Sup3r$ecret!",
                                                  "interactive": True})
    ok(r.status == 200, "SOAR: interactive login accepted (like the real server)", r)
    st = ctl(cp, "GET", "/_emu/state")
    ok(st["interactive_logins"] == 1, "SOAR: interactive login recorded", st["logins"])
    ctl(cp, "POST", "/_emu/expire_sessions")
    r = http(ctx, "GET", base + "/rest/orgs/201", headers=sess)
    ok(r.status == 401, "SOAR: expired session -> 401", r)

    st = ctl(cp, "GET", "/_emu/state")
    ok(st["interactive_logins"] == 1 and len(st["puts"]) == 1, "SOAR: state records logins and PUTs", st)
    reqs = ctl(cp, "GET", "/_emu/requests?path=/incidents$&method=POST")
    ok(len(reqs) == 3 + len(bads) and "Authorization" in reqs[0]["headers"],
       "SOAR: request log filters by path and method", len(reqs))


def test_splunkd(ctx, info, tmp):
    base = "https://127.0.0.1:%d" % info["port"]
    cp = info["control_port"]
    A = {"Authorization": "Splunk admin-session-key"}
    AN = {"Authorization": "Splunk analyst-session-key"}
    FORM = "application/x-www-form-urlencoded"
    r = http(ctx, "GET", base + "/servicesNS/nobody/SA_QRadar_SOAR/storage/passwords?output_mode=json")
    ok(r.status == 401, "splunkd: no Authorization -> 401", r)
    r = http(ctx, "POST", base + "/servicesNS/nobody/SA_QRadar_SOAR/storage/passwords?output_mode=json",
             urllib.parse.urlencode({"name": "soar@example.com", "password": "s3cret", "realm": "qradar_soar"}),
             dict(A, **{"Content-Type": FORM}))
    ok(r.status == 201 and r.json()["entry"][0]["name"] == "qradar_soar:soar@example.com:",
       "splunkd: password created (201)", r)
    r = http(ctx, "POST", base + "/servicesNS/nobody/SA_QRadar_SOAR/storage/passwords?output_mode=json",
             urllib.parse.urlencode({"name": "soar@example.com", "password": "x", "realm": "qradar_soar"}),
             dict(A, **{"Content-Type": FORM}))
    ok(r.status == 409, "splunkd: duplicate password -> 409", r)
    ent = urllib.parse.quote("qradar_soar:soar@example.com:", safe="")
    u = base + "/servicesNS/nobody/SA_QRadar_SOAR/storage/passwords/%s?output_mode=json" % ent
    r = http(ctx, "GET", u, headers=A)
    ok(r.status == 200 and r.json()["entry"][0]["content"]["clear_password"] == "s3cret",
       "splunkd: password read by entity name", r)
    r = http(ctx, "GET", u, headers=AN)
    ok(r.status == 403, "splunkd: user without list_storage_passwords -> 403", r)
    r = http(ctx, "POST", u, urllib.parse.urlencode({"password": "n3w"}), dict(A, **{"Content-Type": FORM}))
    ok(r.status == 200 and r.json()["entry"][0]["content"]["clear_password"] == "n3w", "splunkd: password updated", r)

    nb = base + "/services/notable_update"
    r = http(ctx, "POST", nb, {"ruleUIDs": ["a"], "comment": "c", "output_mode": "json"}, A)
    ok(r.status == 400 and r.json()["success"] is False, "splunkd: notable_update refuses JSON bodies", r)
    r = http(ctx, "POST", nb, urllib.parse.urlencode({"comment": "c", "output_mode": "json"}),
             dict(A, **{"Content-Type": FORM}))
    ok(r.status == 200 and r.json()["success"] is False,
       "splunkd: notable_update without ruleUIDs -> success false, as ES answers", r)
    r = http(ctx, "POST", nb, urllib.parse.urlencode({"ruleUIDs": "not-a-notable", "comment": "c",
                                                      "output_mode": "json"}), dict(A, **{"Content-Type": FORM}))
    ok(r.status == 400 and r.json()["message"] == "ValueError: Invalid rule_id value.",
       "splunkd: notable_update refuses a malformed rule id as ES does", r)
    r = http(ctx, "POST", nb, urllib.parse.urlencode({"ruleUIDs": "x@@notable@@y", "status": "Closed",
                                                      "output_mode": "json"}), dict(A, **{"Content-Type": FORM}))
    ok(r.status == 400 and r.json()["message"] == "ValueError: Invalid status value.",
       "splunkd: notable_update refuses a status that is not a number", r)
    r = http(ctx, "POST", nb, urllib.parse.urlencode({"ruleUIDs": "x@@notable@@y", "status": "9",
                                                      "output_mode": "json"}), dict(A, **{"Content-Type": FORM}))
    ok(r.status == 400 and r.json()["message"] == "ValueError: Invalid status value.",
       "splunkd: notable_update refuses a status id ES does not have", r)
    rs = base + "/services/alerts/reviewstatuses?count=-1&output_mode=json"
    r = http(ctx, "GET", rs, headers=AN)
    ok(r.status == 200 and [(e["name"], e["content"]["label"], e["content"]["status_type"])
                            for e in r.json()["entry"]][4:] == [("4", "Resolved", "notable"),
                                                                 ("5", "Closed", "notable")],
       "splunkd: ES's notable statuses are served (5 = Closed)", r)
    ctl(cp, "POST", "/_emu/reviewstatuses", [{"id": "4", "disabled": "1"},
                                            {"id": "7", "label": "Closed - False Positive"}])
    r = http(ctx, "POST", nb, urllib.parse.urlencode({"ruleUIDs": "x@@notable@@z", "status": "4",
                                                      "output_mode": "json"}), dict(A, **{"Content-Type": FORM}))
    ok(r.status == 400, "splunkd: notable_update refuses a disabled status", r)
    r = http(ctx, "POST", nb, urllib.parse.urlencode({"ruleUIDs": "x@@notable@@z", "status": "7",
                                                      "output_mode": "json"}), dict(A, **{"Content-Type": FORM}))
    hist = ctl(cp, "GET", "/_emu/state")["notables"].get("x@@notable@@z", [])
    ok(r.status == 200 and [(h["status"], h["status_label"]) for h in hist] == [("7", "Closed - False Positive")],
       "splunkd: a site's own status is accepted and recorded with its label", (r, hist))
    r = http(ctx, "GET", base + "/services/alerts/reviewstatuses?output_mode=json",
             {"Authorization": "Splunk expired-key"})
    ok(r.status == 401 and r.json() == {"messages": [{"type": "WARN", "text": "call not properly authenticated"}]},
       "splunkd: a bad session key -> 401 with splunkd's WARN message", r)
    r = http(ctx, "POST", nb, urllib.parse.urlencode({"ruleUIDs": "x@@notable@@y", "output_mode": "json"}),
             dict(A, **{"Content-Type": FORM}))
    ok(r.status == 400 and "One of comment, owner, status, urgency" in r.json()["message"],
       "splunkd: notable_update with nothing to change -> 400", r)
    r = http(ctx, "POST", nb, urllib.parse.urlencode({"ruleUIDs": "x@@notable@@y", "comment": "c"}),
             {"Authorization": "Splunk user-session-key", "Content-Type": FORM})
    ok(r.status == 403, "splunkd: notable_update without edit_notable_events -> 403", r)
    r = http(ctx, "POST", nb, urllib.parse.urlencode({"ruleUIDs": "x@@notable@@y", "comment": "QRadar SOAR Case ID: 7",
                                                      "output_mode": "json"}), dict(AN, **{"Content-Type": FORM}))
    ok(r.status == 200 and r.json() and r.json()["message"] == "1 event updated successfully",
       "splunkd: notable_update form-encoded succeeds", r)
    for _ in range(2):
        r = http(ctx, "POST", nb, urllib.parse.urlencode({"ruleUIDs": "x@@notable@@y", "status": "5",
                                                          "comment": "closed", "output_mode": "json"}),
                 dict(AN, **{"Content-Type": FORM}))
    ok(r.status == 200 and r.json()["success"] is True,
       "splunkd: closing a closed notable is accepted (no transition check by id)", r)
    hist = ctl(cp, "GET", "/_emu/state")["notables"].get("x@@notable@@y", [])
    ok([(h["status"], h["comment"]) for h in hist] == [(None, "QRadar SOAR Case ID: 7"), ("5", "closed"),
                                                      ("5", "closed")],
       "splunkd: each notable's status changes are recorded in order", hist)
    ctl(cp, "POST", "/_emu/es", {"installed": False})
    r = http(ctx, "POST", nb, urllib.parse.urlencode({"ruleUIDs": "x@@notable@@y", "comment": "c"}),
             dict(AN, **{"Content-Type": FORM}))
    ok(r.status == 404, "splunkd: no Enterprise Security -> notable_update 404", r)
    r = http(ctx, "GET", rs, headers=AN)
    ok(r.status == 404, "splunkd: no Enterprise Security -> no review statuses", r)
    ctl(cp, "POST", "/_emu/es", {"installed": True})
    ss = base + "/servicesNS/nobody/SA_QRadar_SOAR/saved/searches/Shipped%20-%20disabled"
    r = http(ctx, "GET", ss + "?output_mode=json", headers=AN)
    ok(r.status == 200 and r.json()["entry"][0]["content"].get("disabled") == "1",
       "splunkd: the app's shipped saved searches are served (sync disabled)", r)
    r = http(ctx, "POST", ss + "?output_mode=json", urllib.parse.urlencode({"disabled": "0"}),
             dict(AN, **{"Content-Type": FORM}))
    ok(r.status == 403, "splunkd: enabling a saved search needs admin_all_objects", r)
    r = http(ctx, "POST", ss + "?output_mode=json", urllib.parse.urlencode({"disabled": "0"}),
             dict(A, **{"Content-Type": FORM}))
    ok(r.status == 200 and r.json()["entry"][0]["content"]["disabled"] == "0",
       "splunkd: saved search enabled by POST disabled=0", r)
    r = http(ctx, "POST", ss + "/disable?output_mode=json", "", dict(A, **{"Content-Type": FORM}))
    ok(r.status == 200 and r.json()["entry"][0]["content"]["disabled"] == "1",
       "splunkd: saved search disabled by POST .../disable", r)
    r = http(ctx, "POST", ss + "?output_mode=json", urllib.parse.urlencode({"bogus": "1"}),
             dict(A, **{"Content-Type": FORM}))
    ok(r.status == 400, "splunkd: unknown saved search argument -> 400", r)

    cu = base + "/servicesNS/nobody/SA_QRadar_SOAR/configs/conf-alert_actions/qradar_soar?output_mode=json"
    r = http(ctx, "POST", cu, urllib.parse.urlencode({"param.host": "soar.example.com", "param.port": "443"}),
             dict(A, **{"Content-Type": FORM}))
    ok(r.status == 200 and r.json()["entry"][0]["content"]["param.host"] == "soar.example.com",
       "splunkd: conf-alert_actions stanza updated", r)
    r = http(ctx, "GET", base + "/servicesNS/nobody/SA_QRadar_SOAR/alerts/alert_actions/qradar_soar?output_mode=json",
             headers=AN)
    ok(r.status == 200 and r.json()["entry"][0]["content"]["param.port"] == "443",
       "splunkd: alerts/alert_actions reflects the conf write", r)
    ctl(cp, "POST", "/_emu/seed", {"saved_searches": [{"owner": "admin", "app": "SA_QRadar_SOAR", "name": "My Alert",
                                                       "content": {"action.qradar_soar.param.name": "x"}}]})
    r = http(ctx, "GET", base + "/servicesNS/admin/SA_QRadar_SOAR/saved/searches/My%20Alert?output_mode=json", headers=A)
    ok(r.status == 200 and r.json()["entry"][0]["content"]["action.qradar_soar.param.name"] == "x",
       "splunkd: seeded saved search by search_uri", r)
    r = http(ctx, "POST", base + "/servicesNS/nobody/SA_QRadar_SOAR/messages",
             urllib.parse.urlencode({"name": "SA_QRadar_SOAR", "value": "hi", "severity": "warn"}),
             dict(A, **{"Content-Type": FORM}))
    ok(r.status == 201, "splunkd: message posted", r)
    r = http(ctx, "POST", base + "/servicesNS/nobody/SA_QRadar_SOAR/messages",
             urllib.parse.urlencode({"name": "x", "value": "hi", "severity": "fatal"}),
             dict(A, **{"Content-Type": FORM}))
    ok(r.status == 400, "splunkd: message with a bad severity -> 400", r)
    r = http(ctx, "POST", base + "/servicesNS/nobody/SA_QRadar_SOAR/storage/passwords?output_mode=json",
             urllib.parse.urlencode({"name": "u2", "password": "p"}),
             {"Authorization": "Splunk user-session-key", "Content-Type": FORM})
    ok(r.status == 403, "splunkd: password create without capability -> 403", r)
    r = http(ctx, "DELETE", u, headers=A)
    r2 = http(ctx, "GET", u, headers=A)
    ok(r.status == 200 and r2.status == 404, "splunkd: password deleted", (r, r2))
    r = http(ctx, "POST", cu, {"param.host": "x"}, A)
    ok(r.status == 400, "splunkd: conf write with a JSON body -> 400", r)

    # persistconn: the fake driver through the real HTTP path.
    ctl(cp, "POST", "/_emu/restmap", {"match": "/qradar_soar/setup",
                                       "driver": os.path.join(EMU, "fake_persist_driver.py"),
                                       "capability": "admin_all_objects", "passSystemAuth": True})
    su = base + "/servicesNS/-/SA_QRadar_SOAR/qradar_soar/setup?output_mode=json&x=1"
    r = http(ctx, "POST", su, urllib.parse.urlencode({"host": "h", "status": "200"}), dict(A, **{"Content-Type": FORM}))
    j = r.json() or {}
    e = j.get("echo", {})
    ok(r.status == 200 and e.get("method") == "POST" and ["host", "h"] in e.get("form", [])
       and e.get("session", {}).get("authtoken") == "admin-session-key"
       and e.get("server", {}).get("rest_uri") == base and e.get("ns", {}).get("app") == "SA_QRadar_SOAR"
       and ["x", "1"] in e.get("query", []) and e.get("system_authtoken"),
       "splunkd: persist handler gets the request JSON and its reply becomes the response", r)
    r = http(ctx, "GET", base + "/services/qradar_soar/setup?output_mode=json", headers=AN)
    ok(r.status == 403, "splunkd: restmap capability admin_all_objects enforced", r)
    r = http(ctx, "POST", su, urllib.parse.urlencode({"status": "400"}), dict(A, **{"Content-Type": FORM}))
    st = ctl(cp, "GET", "/_emu/state")
    ok(r.status == 400 and st["handlers"]["/qradar_soar/setup"]["starts"] == 1,
       "splunkd: handler status passed through; one persistent process", r)

    # Splunk Web: static files, views, __raw proxy with the form key.
    app = os.path.join(tmp, "app")
    os.makedirs(os.path.join(app, "appserver", "static", "js"))
    os.makedirs(os.path.join(app, "default", "data", "ui", "views"))
    with open(os.path.join(app, "appserver", "static", "js", "s.js"), "w") as fh:
        fh.write("// js\n")
    with open(os.path.join(app, "default", "data", "ui", "views", "setup_page.xml"), "w") as fh:
        fh.write('<dashboard isDashboard="false" script="js/s.js"><row><panel><html>'
                 '<div id="main_container"></div></html></panel></row></dashboard>')
    return app


def test_kvstore(ctx, info):
    base = "https://127.0.0.1:%d/servicesNS/nobody/SA_QRadar_SOAR/storage/collections" % info["port"]
    cp = info["control_port"]
    A = {"Authorization": "Splunk admin-session-key"}
    J = dict(A, **{"Content-Type": "application/json"})
    q = base + "/data/qradar_soar_queue"

    def qs(**kw):
        return q + "?" + urllib.parse.urlencode(kw)
    r = http(ctx, "GET", q)
    ok(r.status == 401, "kvstore: no Authorization -> 401", r)
    r = http(ctx, "POST", q, {"state": "queued"}, A)
    ok(r.status == 201 and len(r.json()["_key"]) == 24, "kvstore: insert -> 201 with a generated _key", r)
    k1 = r.json()["_key"]
    r = http(ctx, "POST", q, urllib.parse.urlencode({"state": "queued"}),
             dict(A, **{"Content-Type": "application/x-www-form-urlencoded"}))
    ok(r.status == 400, "kvstore: a form-encoded insert -> 400", r)
    r = http(ctx, "POST", q, b'{"state": ', J)
    ok(r.status == 400 and "JSON" in r.json()["messages"][0]["text"], "kvstore: malformed JSON -> 400", r)
    r = http(ctx, "POST", q, [{"state": "x"}], J)
    ok(r.status == 400, "kvstore: insert of an array -> 400 (batch_save takes arrays)", r)
    r = http(ctx, "POST", q, {"_key": "k/2 ü", "state": "queued", "attempts": "3", "dedup_key": "E2",
                              "next_attempt": 100}, J)
    ok(r.status == 201 and r.json() == {"_key": "k/2 ü"}, "kvstore: insert with its own _key", r)
    kq = urllib.parse.quote("k/2 ü", safe="")
    r = http(ctx, "POST", q, {"_key": "k/2 ü", "state": "other"}, J)
    ok(r.status == 409, "kvstore: a second insert of one _key -> 409", r)
    r = http(ctx, "GET", q + "/" + kq, headers=A)
    d = r.json()
    ok(r.status == 200 and d["_key"] == "k/2 ü" and d["_user"] == "nobody" and d["attempts"] == 3.0
       and isinstance(d["attempts"], float), "kvstore: GET by key; a declared number is stored as a number", r)
    r = http(ctx, "POST", q, {"state": "x", "attempts": "many"}, J)
    ok(r.status == 400 and "attempts" in r.json()["messages"][0]["text"],
       "kvstore: enforceTypes refuses a value that is not a number", r)
    r = http(ctx, "POST", q, {"state": "x", "body": {"a.b": 1}}, J)
    ok(r.status == 400, "kvstore: a field name with '.' -> 400", r)
    r = http(ctx, "GET", q + "/nope", headers=A)
    ok(r.status == 404, "kvstore: GET of an unknown key -> 404", r)
    r = http(ctx, "POST", q + "/" + kq, {"state": "dead", "attempts": 4, "dedup_key": "E2", "next_attempt": 50}, J)
    r2 = http(ctx, "GET", q + "/" + kq, headers=A)
    ok(r.status == 200 and r2.json().get("state") == "dead" and "outcome_unknown" not in r2.json()
       and r2.json()["_key"] == "k/2 ü", "kvstore: POST by key replaces the record", (r, r2))
    r = http(ctx, "POST", q + "/nope", {"state": "dead"}, J)
    ok(r.status == 404, "kvstore: replace of an unknown key -> 404", r)
    r = http(ctx, "POST", q + "/batch_save", [{"_key": "b1", "state": "queued", "next_attempt": 10},
                                             {"_key": "b2", "state": "queued", "next_attempt": 30},
                                             {"_key": k1, "state": "queued", "next_attempt": 20}], J)
    ok(r.status == 200 and r.json() == ["b1", "b2", k1], "kvstore: batch_save answers the keys in order", r)
    r = http(ctx, "GET", qs(query=json.dumps({"state": "queued", "next_attempt": {"$lte": 25}}),
                            sort="next_attempt:-1"), headers=A)
    ok(r.status == 200 and [x["_key"] for x in r.json()] == [k1, "b1"],
       "kvstore: query with $lte and a descending sort", r)
    r = http(ctx, "GET", qs(query=json.dumps({"$or": [{"state": "dead"}, {"next_attempt": {"$gt": 25}}]}),
                            sort="_key", fields="state,next_attempt"), headers=A)
    ok(r.status == 200 and r.json() == [{"_key": "b2", "state": "queued", "next_attempt": 30.0},
                                         {"_key": "k/2 ü", "state": "dead", "next_attempt": 50.0}],
       "kvstore: $or, sort by _key, fields projection keeps _key", r)
    r = http(ctx, "GET", qs(sort="next_attempt", skip=1, limit=2, fields="_key:0,_user:0,state:0"), headers=A)
    ok(r.status == 200 and r.json() == [{"next_attempt": 20.0}, {"next_attempt": 30.0}],
       "kvstore: skip, limit and exclusion", r)
    r = http(ctx, "GET", qs(query=json.dumps({"next_attempt": {"$in": [10]}})), headers=A)
    ok(r.status == 400, "kvstore: an unsupported operator ($in) -> 400", r)
    r = http(ctx, "GET", qs(query="{bad"), headers=A)
    ok(r.status == 400, "kvstore: a query that is not JSON -> 400", r)
    ctl(cp, "POST", "/_emu/kvstore", {"limits": {"max_rows_per_query": 2}})
    r = http(ctx, "GET", q, headers=A)
    ok(r.status == 200 and len(r.json()) == 2, "kvstore: max_rows_per_query cuts silently", r)
    ctl(cp, "POST", "/_emu/kvstore", {"limits": {"max_rows_per_query": 50000,
                                                 "max_documents_per_batch_save": 2}})
    r = http(ctx, "POST", q + "/batch_save", [{"state": "a"}, {"state": "b"}, {"state": "c"}], J)
    ok(r.status == 400, "kvstore: batch_save over max_documents_per_batch_save -> 400", r)
    ctl(cp, "POST", "/_emu/kvstore", {"limits": {"max_documents_per_batch_save": 1000}})
    r = http(ctx, "DELETE", qs(query=json.dumps({"state": "dead"})), headers=A)
    r2 = http(ctx, "GET", q, headers=A)
    ok(r.status == 200 and sorted(x["_key"] for x in r2.json()) == sorted(["b1", "b2", k1]),
       "kvstore: DELETE with a query deletes only the matches", (r, r2))
    r = http(ctx, "DELETE", q + "/b1", headers=A)
    r2 = http(ctx, "DELETE", q + "/b1", headers=A)
    ok(r.status == 200 and r2.status == 404, "kvstore: DELETE by key, then 404", (r, r2))
    r = http(ctx, "GET", base + "/data/no_such_collection", headers=A)
    ok(r.status == 404, "kvstore: an undeclared collection -> 404", r)
    r = http(ctx, "GET", base.replace("SA_QRadar_SOAR", "search") + "/data/qradar_soar_queue", headers=A)
    ok(r.status == 404, "kvstore: the collection exists only in its app", r)
    r = http(ctx, "GET", q, headers={"Authorization": "Splunk analyst-session-key"})
    ok(r.status == 200, "kvstore: an ess_analyst may read the queue (default.meta)", r)
    r = http(ctx, "POST", q, {"state": "x"}, {"Authorization": "Splunk user-session-key",
                                               "Content-Type": "application/json"})
    ok(r.status == 403, "kvstore: a role outside the ACL cannot write -> 403", r)
    r = http(ctx, "GET", base + "/config/qradar_soar_queue?output_mode=json", headers=A)
    ok(r.status == 200 and r.json()["entry"][0]["content"].get("field.attempts") == "number",
       "kvstore: config shows the declaration from collections.conf", r)
    ctl(cp, "POST", "/_emu/kvstore", {"status": "starting"})
    r = http(ctx, "GET", q, headers=A)
    r2 = http(ctx, "POST", q, {"state": "x"}, J)
    ok(r.status == 503 and r2.status == 503 and "initializing" in r.json()["messages"][0]["text"],
       "kvstore: not ready -> 503 on reads and writes", (r, r2))
    ctl(cp, "POST", "/_emu/kvstore", {"status": "ready"})
    ctl(cp, "POST", "/_emu/fault", {"path": "/storage/collections/data/qradar_soar_queue$", "method": "POST",
                                    "late": True, "reset": True})
    try:
        r = http(ctx, "POST", q, {"_key": "late1", "state": "queued"}, J)
    except Exception as e:  # the connection is dropped
        r = e
    r2 = http(ctx, "GET", q + "/late1", headers=A)
    ok(not isinstance(r, Resp) and r2.status == 200,
       "faults: late reset = the insert is done but its answer lost", (r, r2))
    st = ctl(cp, "GET", "/_emu/kvstore?collection=qradar_soar_queue")
    ok(len(st["collections"]["qradar_soar_queue"]["docs"]) == 3, "kvstore: control API shows the documents", st)


def main():
    print("TAP version 13")
    tmp = tempfile.mkdtemp(prefix="emu-selftest-")
    procs = []
    try:
        certs = os.path.join(tmp, "certs")
        subprocess.check_call(["sh", os.path.join(EMU, "mkcerts.sh"), certs])
        ctx = ssl.create_default_context(cafile=os.path.join(certs, "ca.pem"))
        tls = ["--cert", os.path.join(certs, "server.pem"), "--key", os.path.join(certs, "server.key")]
        test_persistconn_framing()
        p, soar = start("soar_emu.py", tls, tmp, "soar")
        procs.append(p)
        test_soar(ctx, soar, certs)
        app = os.path.join(tmp, "app")
        top = os.path.dirname(os.path.dirname(HERE))
        p, spl = start("splunkd_emu.py", tls + ["--app-dir", app, "--collections",
                                                os.path.join(top, "default", "collections.conf"),
                                                "--meta", os.path.join(top, "metadata", "default.meta"),
                                                "--savedsearches", saved_conf(tmp)],
                       tmp, "splunkd")
        procs.append(p)
        test_splunkd(ctx, spl, tmp)
        test_kvstore(ctx, spl)
        base = "https://127.0.0.1:%d" % spl["port"]
        r = http(ctx, "GET", base + "/en-US/static/app/SA_QRadar_SOAR/js/s.js")
        ok(r.status == 200 and r.body == b"// js\n", "splunkd web: static file served", r)
        r = http(ctx, "GET", base + "/en-US/static/app/SA_QRadar_SOAR/../../default/app.conf")
        ok(r.status == 404, "splunkd web: no path escape from appserver/static", r)
        ws = ctl(spl["control_port"], "POST", "/_emu/web_session", {"user": "admin"})
        r = http(ctx, "GET", base + "/en-US/app/SA_QRadar_SOAR/setup_page", headers={"Cookie": ws["cookie"]})
        ok(r.status == 200 and b'id="main_container"' in r.body and b"js/s.js" in r.body,
           "splunkd web: view rendered with its script", r)
        raw = base + "/en-US/splunkd/__raw/servicesNS/nobody/SA_QRadar_SOAR/configs/conf-app/install?output_mode=json"
        body = urllib.parse.urlencode({"is_configured": "1"})
        r = http(ctx, "POST", raw, body, {"Cookie": ws["cookie"], "Content-Type": "application/x-www-form-urlencoded"})
        ok(r.status == 401, "splunkd web: __raw POST without X-Splunk-Form-Key -> 401", r)
        r = http(ctx, "POST", raw, body, {"Cookie": ws["cookie"], "X-Splunk-Form-Key": ws["form_key"],
                                          "Content-Type": "application/x-www-form-urlencoded"})
        ok(r.status == 200 and r.json()["entry"][0]["content"]["is_configured"] == "1",
           "splunkd web: __raw POST with the form key reaches splunkd", r)
    except Exception as e:  # a crash is a failure, not a silent pass
        import traceback
        ok(False, "emulator self-test crashed: %s" % e, traceback.format_exc())
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % N[0])
    return 1 if FAILED[0] else 0


if __name__ == "__main__":
    sys.exit(main())
