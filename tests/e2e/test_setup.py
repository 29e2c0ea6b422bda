"""End to end: the setup handler's logic (src/setup/setup.c) behind the real
bin/qradar_soar_setup, started by the splunkd emulator from
default/restmap.conf and spoken to over persistconn, against the SOAR
emulator. Asserts on what splunkd stores (storage/passwords in clear text,
the [qradar_soar] stanza, the alert form, the configured flag, messages) and
that a failed or test setup changes nothing. TAP output."""
import json
import os
import re
import shutil
import socket
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

TOP = al.TOP
DATA = os.path.join(TOP, "tests", "emu", "data")
BASE = "/servicesNS/nobody/SA_QRadar_SOAR/qradar_soar/setup"
SECRETS = [al.SOAR_PASSWORD, al.API_KEY_SECRET, "other-pass", "Pr0xy-Secr3t"]
t = al.Tap()

work, home, app = al.app_home("setup-e2e-")
replies = []


def call(emu, method, form=None, key=al.SESSION_KEY):
    ctx = ssl.create_default_context(cafile=emu.ca)
    body = urllib.parse.urlencode(list(form.items())).encode() if form is not None else None
    url = emu.splunkd_url() + BASE + ("?output_mode=json" if method == "GET" else "")
    req = urllib.request.Request(url, data=body, method=method, headers={
        "Authorization": "Splunk " + key, "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
            st, raw = r.status, r.read()
    except urllib.error.HTTPError as e:
        st, raw = e.code, e.read()
    replies.append(raw.decode("utf-8", "replace"))
    try:
        return st, json.loads(raw)
    except ValueError:
        return st, {"raw": raw.decode("utf-8", "replace")}


def state(emu):
    return emu.splunkd_ctl("GET", "/_emu/state")


def stored(st):
    """What a setup may change: passwords, the stanza, the form, the flag."""
    return {"passwords": st["passwords"],
            "stanza": st["conf"].get("alert_actions", {}).get("qradar_soar"),
            "form": st["alert_html"], "configured": st["app"].get("configured")}


def writes(st):
    return [w for w in st["writes"] if w["what"] != "persist"]


def good_form(emu, **over):
    f = {"host": "127.0.0.1", "port": str(emu.soar["port"]), "org": "Test Organization",
         "user": al.SOAR_USER, "secret": al.SOAR_PASSWORD, "api_keys": "0", "verify": emu.ca,
         "duplicates": "0", "num_artifacts": "4", "num_events": "30"}
    f.update(over)
    return {k: v for k, v in f.items() if v is not None}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def payload(r):
    """splunkd answers with the handler's payload as the body."""
    return r[1] if isinstance(r[1], dict) else {}


def fails_cleanly(emu, name, form, status, text_re):
    before = stored(state(emu))
    nw = len(writes(state(emu)))
    r = call(emu, "POST", form)
    p = payload(r)
    t.ok(r[0] == status and p.get("success") is False, "%s: HTTP %d, success false" % (name, status),
         r)
    t.ok(re.search(text_re, p.get("text", ""), re.I), "%s: the text says why" % name, p.get("text"))
    after = state(emu)
    t.ok(stored(after) == before, "%s: passwords, stanza, form and flag unchanged" % name)
    return p, writes(after)[nw:]


try:
    with al.harness.Emulators(splunkd_args=[
            "--restmap", os.path.join(TOP, "default", "restmap.conf"), "--app-dir", app],
            proxy=True, proxy_args=["--user", "squid:Pr0xy-Secr3t"]) as emu:
        os.makedirs(os.path.join(home, "etc", "auth"), exist_ok=True)
        shutil.copy(emu.ca, os.path.join(home, "etc", "auth", "cacert.pem"))
        catalogue = json.load(open(os.path.join(DATA, "fields.json")))

        # ---- Test Organization: found, nothing written -------------------
        nw = len(writes(state(emu)))
        r = call(emu, "POST", good_form(emu, mode="test"))
        p = payload(r)
        t.ok(r[0] == 200 and p.get("success") is True, "test: 200 success", r)
        t.ok("Test Organization" in p.get("text", "") and "Nothing was saved" in p.get("text", ""),
             "test: names the org and says nothing was saved", p.get("text"))
        t.ok(re.search(r"\b39 mappable case fields and 37 artifact types", p.get("text", "")),
             "test: counts mappable fields and artifact types", p.get("text"))
        st = state(emu)
        t.ok(writes(st)[nw:] == [] and not st["passwords"] and st["alert_html"] is None,
             "test: nothing written to splunkd", writes(st)[nw:])

        # ---- a save ------------------------------------------------------
        r = call(emu, "POST", good_form(emu))
        p = payload(r)
        t.ok(r[0] == 200 and p.get("success") is True, "save: 200 success", r)
        t.ok("Setup saved" in p.get("text", "") and "Test Organization" in p.get("text", ""),
             "save: the text says what was done", p.get("text"))
        t.ok(p.get("warnings") == [], "save: no warning for a complete org", p.get("warnings"))
        st = state(emu)
        ent = "SA_QRadar_SOAR_127.0.0.1:%s:" % al.SOAR_USER
        t.ok(list(st["passwords"]) == [ent] and
             st["passwords"][ent]["clear_password"] == al.SOAR_PASSWORD and
             st["passwords"][ent]["realm"] == "SA_QRadar_SOAR_127.0.0.1",
             "save: the secret in storage/passwords under SA_QRadar_SOAR_<host>:<user>:",
             st["passwords"])
        stz = st["conf"]["alert_actions"]["qradar_soar"]
        t.ok(stz.get("param.host") == "127.0.0.1" and stz.get("param.port") == str(emu.soar["port"])
             and stz.get("param.org") == "Test Organization" and stz.get("param.user") == al.SOAR_USER
             and stz.get("param.verify") == emu.ca and stz.get("param.num_artifacts") == "4",
             "save: connection keys in the stanza", stz)
        want = ["param.mapping_" + ((d["prefix"] + ".") if d.get("prefix") else "") + d["name"]
                for d in catalogue
                if not d.get("read_only") and not d.get("deprecated")]
        t.ok(all(k in stz for k in want), "save: a mapping key per mappable field",
             [k for k in want if k not in stz])
        t.ok("param.mapping_create_date" not in stz and "param.mapping_id" not in stz
             and "param.mapping_pii.assessment" not in stz, "save: read-only fields left out")
        t.ok("param.mapping_properties.splunk_old_ref" not in stz, "save: deprecated field left out")
        t.ok(all("param.artifact%d%s" % (n, s) in stz for n in range(1, 5)
                 for s in ("", "type", "value", "description"))
             and "param.artifact5" not in stz, "save: artifact keys for 1..num_artifacts")
        t.ok(not any(v == al.SOAR_PASSWORD for v in stz.values())
             and not any("password" in k or "secret" in k for k in stz), "save: no secret in the stanza")
        html = st["alert_html"] or ""
        t.ok(all('name="action.qradar_soar.param.%s"' % k[len("param."):] in html for k in want),
             "save: the form has an input per catalogue field",
             [k for k in want if 'param.%s"' % k[len("param."):] not in html][:5])
        t.ok('<option value="Low"></option>' in html and "One of: Low, Medium, High" in html,
             "save: select choices listed in the form", re.findall(r"One of: [^.]*", html)[:3])
        t.ok(html.count('list="qradar_soar_artifact_types"') == 4 and '<option value="IP Address|"/>' in html
             and "Splunk Asset ID|" in html and "RFC 822 Email Message File" not in html,
             "save: artifact type choices offered in every row (file types left out)")
        t.ok(len(re.findall(r'name="action\.qradar_soar\.param\.artifact\d', html)) == 4
             and "artifact1type" not in html and "artifact1value" not in html,
             "save: one input per artifact row (type|value|description)")
        t.ok(all(stz.get("param.artifact%d.label" % n) == "Artifact %d" % n and
                 stz.get("param.artifact%d.description" % n, "").startswith("type|value|description")
                 for n in range(1, 5)) and "param.artifact5.label" not in stz,
             "save: ES 8.3's label and description for every artifact row written",
             {k: v for k, v in stz.items() if ".label" in k or ".description" in k})
        t.ok(re.search(r'for="qradar_soar_mapping_name">[^<]*</label>', html)
             and not re.search(r'for="qradar_soar_mapping_name">[^<]*<span class="required">', html),
             "save: the case name is not marked required (the search's name stands in)")
        t.ok("<textarea" not in html and "<select" not in html and "<script" not in html,
             "save: plain inputs only, no script")
        t.ok(al.SOAR_PASSWORD not in html and "<script" not in html, "save: no secret, no script in the form")
        t.ok(st["app"].get("configured") == "1", "save: the app is marked configured", st["app"])
        hist = st["conf"].get("qradar_soar", {}).get("last_setup", {})
        t.ok(hist.get("success") == "1" and "Setup saved" in hist.get("text", ""),
             "save: the outcome recorded in qradar_soar.conf [last_setup]", hist)
        good = stored(st)

        # ---- GET ----------------------------------------------------------
        r = call(emu, "GET")
        p = payload(r)
        t.ok(r[0] == 200 and p.get("host") == "127.0.0.1" and p.get("user") == al.SOAR_USER
             and p.get("num_artifacts") == "4" and p.get("org") == "Test Organization",
             "GET: the saved keys", p)
        t.ok((p.get("last_setup") or {}).get("success") is True
             and (p.get("last_attempt") or {}).get("success") is True,
             "GET: last_setup and last_attempt", p)
        t.ok(not any(s in json.dumps(p) for s in SECRETS) and "secret" not in p and "password" not in p,
             "GET: no secret")
        t.ok(p.get("secret_stored") is True and p.get("proxy_password_stored") is False,
             "GET: says a secret is stored for the saved host and user (not the secret)", p)

        # ---- the stored secret serves while host and user stay ------------
        nw = len(writes(state(emu)))
        r = call(emu, "POST", good_form(emu, secret="", mode="test"))
        t.ok(r[0] == 200 and payload(r).get("success") is True and writes(state(emu))[nw:] == [],
             "test without a secret: the stored one logs in; nothing written", r)
        r = call(emu, "POST", good_form(emu, secret="", num_events="45"))
        st = state(emu)
        w = writes(st)[nw:]
        t.ok(r[0] == 200 and list(st["passwords"]) == [ent] and
             st["passwords"][ent]["clear_password"] == al.SOAR_PASSWORD and
             st["conf"]["alert_actions"]["qradar_soar"].get("param.num_events") == "45" and
             not any(x["what"].startswith("passwords") for x in w),
             "save without a secret: another setting changed, the stored secret kept as it was",
             (r, [x["what"] for x in w]))
        p, w = fails_cleanly(emu, "a new user without its secret",
                             good_form(emu, secret="", user="other@example.com"), 400,
                             r'^Password: none is stored for "other@example\.com" on 127\.0\.0\.1; enter it '
                             r'\(a new host or user needs its own\)\.$')
        t.ok(p.get("field") == "secret" and [e.get("field") for e in p.get("errors", [])] == ["secret"],
             "a new user without its secret: the secret field is the one to fix", p)
        p, w = fails_cleanly(emu, "several invalid settings",
                             good_form(emu, host="https://soar", port="70000", org=" ", num_events="0"), 400,
                             r"^4 settings need a fix: QRadar SOAR host or IP must not contain a scheme such as "
                             r"https://; give only the host name or IP address; Port must be a whole number "
                             r"from 1 to 65535; Organization is empty; give the SOAR organization name; Max "
                             r"result rows per run must be a whole number from 1 to 10000\.$")
        t.ok(p.get("field") == "host" and
             [e.get("field") for e in p.get("errors", [])] == ["host", "port", "org", "num_events"],
             "several invalid settings: every one listed (field and text), the first as field", p)
        good = stored(state(emu))

        # ---- failures leave the good setup as it was ----------------------
        p, w = fails_cleanly(emu, "wrong password", good_form(emu, secret="Wr0ng-Passw0rd"), 502,
                             r'refused the login as "soar@example\.com" \(HTTP 401.*\): the email or password '
                             r'is wrong, or the account is locked\. Enter the right "Password" \(and check "Email"\)\.$')
        t.ok(p.get("field") == "secret", "wrong password: the secret field is the one to fix", p)
        st = state(emu)
        t.ok("Wr0ng-Passw0rd" not in json.dumps(st["messages"]) and
             any("QRadar SOAR setup failed" in m.get("value", "") for m in st["messages"].values()),
             "wrong password: a Splunk message, without the secret", st["messages"])
        p, w = fails_cleanly(emu, "unknown org", good_form(emu, org="No Such Org"), 502,
                             r'has no organization "No Such Org" that "soar@example\.com" can use; it can use '
                             r'"Test Organization", "Disabled Org"\. Set "Organization" to one of them')
        t.ok(p.get("field") == "org", "unknown org: the org field is the one to fix", p)
        p, w = fails_cleanly(emu, "disabled org", good_form(emu, org="Disabled Org"), 502,
                             r'The organization "Disabled Org" on QRadar SOAR at 127\.0\.0\.1 is disabled\.')
        t.ok(p.get("field") == "org", "disabled org: the org field is the one to fix", p)
        p, w = fails_cleanly(emu, "wrong CA", good_form(emu, verify=emu.certs["other-ca"]), 502,
                             r"is not trusted by the CA bundle .*other-ca\.pem\": unable to get local issuer "
                             r'certificate\. Give the CA that issued SOAR\'s certificate as "CA bundle"\.')
        t.ok(p.get("field") == "ca_file", "wrong CA: the CA bundle field is the one to fix", p)
        p, w = fails_cleanly(emu, "unreachable host", good_form(emu, port=str(free_port())), 502,
                             r'QRadar SOAR at 127\.0\.0\.1:\d+ cannot be reached: Connection refused\. '
                             r'Check "QRadar SOAR host or IP" and "Port"')
        t.ok(p.get("field") == "port", "unreachable host: the port field is highlighted", p)
        p, w = fails_cleanly(emu, "newline injection", good_form(emu, org="X\n[default]\nis_custom = 0"),
                             400, r"org")
        t.ok(p.get("field") == "org", "newline injection: the reply names the field", p)
        nw = len(writes(state(emu)))
        r = call(emu, "POST", good_form(emu, mode="test", port="0"))
        t.ok(r[0] == 400 and writes(state(emu))[nw:] == [],
             "invalid test request: 400 and not even a message written", (r, writes(state(emu))[nw:]))

        # ---- a non-admin --------------------------------------------------
        r = call(emu, "GET", key="analyst-session-key")
        t.ok(r[0] == 403, "analyst: 403 from splunkd (restmap capability)", r)

        # ---- admin mapping kept across a second setup ---------------------
        emu.splunkd_ctl("POST", "/_emu/seed", {"conf": {"alert_actions": {"qradar_soar": {
            "param.mapping_severity_code": "$result.urgency$",
            "param.artifact1": "IP Address|$result.src$|Source"}}}})
        r = call(emu, "POST", good_form(emu, num_artifacts="5"))
        stz = state(emu)["conf"]["alert_actions"]["qradar_soar"]
        t.ok(r[0] == 200 and stz.get("param.mapping_severity_code") == "$result.urgency$"
             and stz.get("param.artifact1") == "IP Address|$result.src$|Source",
             "second setup: the admin's mapping and artifact kept", (r, stz.get("param.mapping_severity_code")))
        t.ok("param.artifact5value" in stz and stz.get("param.num_artifacts") == "5",
             "second setup: rows added for a larger num_artifacts")
        t.ok("kept as set" in payload(r).get("text", ""), "second setup: the text counts kept mappings",
             payload(r).get("text"))

        # ---- API key mode: the old entity goes ---------------------------
        r = call(emu, "POST", good_form(emu, api_keys="1", user=al.API_KEY_ID, secret=al.API_KEY_SECRET))
        st = state(emu)
        ent2 = "SA_QRadar_SOAR_127.0.0.1:%s:" % al.API_KEY_ID
        t.ok(r[0] == 200 and list(st["passwords"]) == [ent2]
             and st["passwords"][ent2]["clear_password"] == al.API_KEY_SECRET,
             "api keys: the key's secret stored, the previous user's entity removed", (r, st["passwords"]))
        t.ok(st["conf"]["alert_actions"]["qradar_soar"].get("param.api_keys") == "1", "api keys: api_keys = 1")
        good = stored(st)

        # ---- a failing splunkd write rolls back --------------------------
        emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/configs/conf-alert_actions/qradar_soar$",
                                                "method": "POST", "count": 1, "status": 500})
        p, w = fails_cleanly(emu, "stanza write fault", good_form(emu), 500,
                             r"writing the \[qradar_soar\] stanza.*undone")
        t.ok(any(x["what"] == "passwords.create" for x in w) and
             any(x["what"] == "passwords.delete" for x in w),
             "stanza write fault: the new secret was written, then removed again",
             [x["what"] for x in w])
        emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/data/ui/alerts/qradar_soar$",
                                                "method": "POST", "count": 1, "status": 503})
        fails_cleanly(emu, "form write fault", good_form(emu, num_artifacts="5"), 500,
                      r"writing the alert action form.*undone")
        emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/apps/local/SA_QRadar_SOAR$",
                                                "method": "POST", "count": 1, "status": 500})
        fails_cleanly(emu, "configured flag fault", good_form(emu, user="other@example.com",
                                                              secret="other-pass", org="Other Org"),
                      500, r"marking the app configured.*undone")
        st = state(emu)
        t.ok(any("QRadar SOAR setup failed" in m.get("value", "") for m in st["messages"].values()),
             "write fault: a Splunk message")

        # ---- the notable field warning -----------------------------------
        emu.soar_ctl("POST", "/_emu/catalogue", {"fields_file": os.path.join(DATA, "fields_no_notable.json")})
        r = call(emu, "POST", good_form(emu, mode="test"))
        ws = " ".join(payload(r).get("warnings", []))
        t.ok(r[0] == 200 and "splunk_notable_event_id" in ws and "Customization Settings" in ws
             and "Text field" in ws, "no notable field: a warning saying how to create it", payload(r))
        emu.soar_ctl("POST", "/_emu/catalogue", {"fields_file": os.path.join(DATA, "fields_required.json")})
        r = call(emu, "POST", good_form(emu))
        ws = " ".join(payload(r).get("warnings", []))
        html = state(emu)["alert_html"] or ""
        t.ok(r[0] == 200 and "mapping_properties.soc_queue" in ws,
             "required custom field: a warning to map it", payload(r))
        t.ok(re.search(r'for="qradar_soar_mapping_properties_soc_queue">[^<]*<span class="required">\*',
                       html) and "Tier 1, Tier 2" in html, "required custom field: marked, choices listed")
        r = call(emu, "GET")
        t.ok((payload(r).get("last_attempt") or {}).get("warnings") == payload(r)["last_setup"]["warnings"],
             "GET: the last setup's warnings", payload(r))

        # ---- through a proxy ---------------------------------------------
        emu.soar_ctl("POST", "/_emu/catalogue", {"fields_file": os.path.join(DATA, "fields.json")})
        via = dict(proxy_host="127.0.0.1", proxy_port=str(emu.proxy["port"]), proxy_user="squid")
        p, w = fails_cleanly(emu, "wrong proxy password", good_form(emu, proxy_password="Wr0ng-pass", **via),
                             502, r'^The proxy 127\.0\.0\.1:\d+ refused the proxy credentials \(HTTP 407\)\. '
                             r'Check "Proxy user" and "Proxy password"\.$')
        t.ok(p.get("field") == "proxy_password", "wrong proxy password: the proxy password is highlighted", p)
        p, w = fails_cleanly(emu, "proxy unreachable",
                             good_form(emu, proxy_password="Pr0xy-Secr3t",
                                       **dict(via, proxy_port=str(free_port()))),
                             502, r'^The proxy 127\.0\.0\.1:\d+ cannot be reached: Connection refused\. '
                             r'Check "Proxy host" and "Proxy port"\.$')
        t.ok(p.get("field") == "proxy_host", "proxy unreachable: the proxy host is highlighted", p)
        r = call(emu, "POST", good_form(emu, proxy_password="Pr0xy-Secr3t", **via))
        st = state(emu)
        stanza = st["conf"].get("alert_actions", {}).get("qradar_soar") or {}
        t.ok(r[0] == 200 and payload(r).get("success") is True, "proxy: setup through the proxy", r)
        pe = st["passwords"].get("SA_QRadar_SOAR_proxy:squid:") or {}
        t.ok(pe.get("clear_password") == "Pr0xy-Secr3t" and pe.get("realm") == "SA_QRadar_SOAR_proxy",
             "proxy: its password is in storage/passwords", list(st["passwords"]))
        t.ok(stanza.get("param.proxy_user") == "squid" and
             not any("Pr0xy-Secr3t" in str(v) for v in stanza.values()),
             "proxy: the stanza names the proxy user, never its password")
        tunnels = emu.proxy_ctl("GET", "/_emu/requests")
        t.ok(any(x["status"] == 200 and x["user"] == "squid" for x in tunnels),
             "proxy: SOAR was reached through the tunnel", tunnels)
        g = payload(call(emu, "GET"))
        t.ok(g.get("proxy_password_stored") is True and g.get("secret_stored") is True,
             "proxy: GET says both secrets are stored", g)
        nw = len(writes(state(emu)))
        r = call(emu, "POST", good_form(emu, secret="", proxy_password="", num_artifacts="6", **via))
        st = state(emu)
        t.ok(r[0] == 200 and (st["passwords"].get("SA_QRadar_SOAR_proxy:squid:") or {}).get("clear_password") ==
             "Pr0xy-Secr3t" and not any(x["what"].startswith("passwords") for x in writes(st)[nw:]) and
             st["conf"]["alert_actions"]["qradar_soar"].get("param.num_artifacts") == "6",
             "proxy: a Submit with both secrets left empty logs in through the proxy with the stored ones, "
             "and keeps them", (r, [x["what"] for x in writes(st)[nw:]]))

        # ---- no [qradar_soar] stanza at all: created, and removed on rollback
        def rest(method, path):
            req = urllib.request.Request(emu.splunkd_url() + path + "?output_mode=json", method=method,
                                         headers={"Authorization": "Splunk " + al.SESSION_KEY})
            try:
                with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=emu.ca)) as r:
                    return r.status
            except urllib.error.HTTPError as e:
                return e.code
        sp = "/servicesNS/nobody/SA_QRadar_SOAR/configs/conf-alert_actions/qradar_soar"
        t.ok(rest("DELETE", sp) == 200 and rest("GET", sp) == 404, "no stanza: removed for the test")
        emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/data/ui/alerts/qradar_soar$", "method": "POST",
                                                "count": 1, "status": 500})
        r = call(emu, "POST", good_form(emu, proxy_password="Pr0xy-Secr3t", **via))
        t.ok(r[0] == 500 and rest("GET", sp) == 404,
             "no stanza: a failed setup removes the stanza it created", (r, rest("GET", sp)))
        r = call(emu, "POST", good_form(emu, proxy_password="Pr0xy-Secr3t", **via))
        stanza = state(emu)["conf"].get("alert_actions", {}).get("qradar_soar") or {}
        t.ok(r[0] == 200 and stanza.get("param.host") == "127.0.0.1" and "param.mapping_name" in stanza,
             "no stanza: setup creates it with every key", (r, sorted(stanza)[:5]))

        # ---- closing the loop: sync_closed enables the shipped search ----
        def sync_search(st):
            return next((x["content"] for x in st["saved_searches"]
                         if x["name"] == "QRadar SOAR - Sync closed cases"), {})
        t.ok(sync_search(state(emu)).get("disabled") == "1", "sync: the shipped search starts disabled")
        import time as _time
        t0 = int(_time.time())
        r = call(emu, "POST", good_form(emu, proxy_password="Pr0xy-Secr3t", sync_closed="1",
                                        sync_close_status="5", **via))
        st = state(emu)
        stanza = st["conf"]["alert_actions"]["qradar_soar"]
        since = stanza.get("param.sync_since", "")
        t.ok(r[0] == 200 and stanza.get("param.sync_closed") == "1"
             and stanza.get("param.sync_close_status") == "5"
             and since.isdigit() and t0 <= int(since) <= int(_time.time()),
             "sync: ticked -> sync_closed, sync_close_status and sync_since (now) in the stanza",
             (r, {k: v for k, v in stanza.items() if "sync" in k}))
        t.ok(sync_search(st).get("disabled") == "0" and any(
            w["what"] == "saved/searches/QRadar SOAR - Sync closed cases/enable" for w in st["writes"]),
             "sync: ticked -> the search enabled through saved/searches/<name>/enable", sync_search(st))
        r = call(emu, "GET")
        t.ok(payload(r).get("sync_closed") == "1" and payload(r).get("sync_close_status") == "5",
             "sync: GET shows the option ticked", payload(r))
        nw = len(writes(state(emu)))
        r = call(emu, "POST", good_form(emu, proxy_password="Pr0xy-Secr3t", sync_closed="1",
                                        sync_close_status="7", **via))
        st = state(emu)
        t.ok(r[0] == 200 and st["conf"]["alert_actions"]["qradar_soar"].get("param.sync_since") == since
             and st["conf"]["alert_actions"]["qradar_soar"].get("param.sync_close_status") == "7"
             and not [w for w in writes(st)[nw:] if w["what"].startswith("saved/searches")],
             "sync: saved again ticked -> the start stays, the search is left as it is", writes(st)[nw:])
        r = call(emu, "POST", good_form(emu, proxy_password="Pr0xy-Secr3t", sync_closed="0", **via))
        st = state(emu)
        t.ok(r[0] == 200 and st["conf"]["alert_actions"]["qradar_soar"].get("param.sync_closed") == "0"
             and sync_search(st).get("disabled") == "1",
             "sync: unticked -> sync_closed 0 and the search disabled", (r, sync_search(st)))
        emu.splunkd_ctl("POST", "/_emu/fault", {"path": "/data/ui/alerts/qradar_soar$", "method": "POST",
                                                "count": 1, "status": 500})
        p, w = fails_cleanly(emu, "sync: a failed save", good_form(emu, proxy_password="Pr0xy-Secr3t",
                                                                 sync_closed="1", **via),
                             500, r"writing the alert action form.*undone")
        t.ok(sync_search(state(emu)).get("disabled") == "1"
             and [x["what"].rsplit("/", 1)[1] for x in w if x["what"].startswith("saved/searches/")]
             == ["enable", "disable"],
             "sync: a failed save disables the search it had enabled", (sync_search(state(emu)), w))
        p, w = fails_cleanly(emu, "sync: a status label", good_form(emu, proxy_password="Pr0xy-Secr3t",
                                                                  sync_closed="1", sync_close_status="Closed",
                                                                  **via), 400,
                             r"^Notable status when the case closes must be a whole number from 0 to 99999\.$")
        t.ok(p.get("field") == "sync_close_status", "sync: the status field is the one to fix", p)

        # ---- no secret anywhere ------------------------------------------
        st = state(emu)
        leaked = []
        for root, _, files in os.walk(home):
            for fn in files:
                path = os.path.join(root, fn)
                if os.path.islink(path):
                    continue
                data = open(path, "rb").read()
                leaked += ["%s in %s" % (s, path) for s in SECRETS if s.encode() in data]
        text = "\n".join(replies) + json.dumps(st["handlers"]) + json.dumps(st["messages"])
        leaked += ["%s in a reply/stderr/message" % s for s in SECRETS if s in text]
        t.ok(not leaked, "no secret in any log under SPLUNK_HOME, reply, message or stderr", leaked)
        log = open(os.path.join(home, "var", "log", "splunk", "qradar_soar_config_handler.log")).read()
        t.ok("setup rollback: restored" in log and "refused the login" in log,
             "the log has the failures and the rollback steps")
finally:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(t.done())
