"""End to end: bin/qradar_soar_setup started the way splunkd starts it, from
default/restmap.conf ($SPLUNK_HOME/etc/apps/SA_QRadar_SOAR/bin/…), and
spoken to over persistconn: through the splunkd emulator's REST front, and
directly over pipes for what splunkd itself never sends (broken packets).
Checks only the driver loop (src/setup/main.c, src/setup/persist.c); the setup logic has
its own tests. TAP output."""
import json
import os
import shutil
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402
import persistconn as pc  # noqa: E402  (tests/emu is on the path via actionlib)

TOP = al.TOP
DRIVER = al.setup_driver()
SECRET = "Never-Log-This-S3cret"
PROXY_PW = "Pr0xy-Never-Logged"
t = al.Tap()

work, home, app = al.app_home("persist-e2e-")


def call(emu, method, path, body=None, ctype="application/x-www-form-urlencoded",
         key=al.SESSION_KEY):
    ctx = ssl.create_default_context(cafile=emu.ca)
    req = urllib.request.Request(emu.splunkd_url() + path, data=body, method=method,
                                 headers={"Authorization": "Splunk " + key,
                                          "Content-Type": ctype})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def answered(st, body):
    """The driver answered (not the emulator's 500 for a dead or garbled
    driver) with a JSON payload."""
    if b"REST handler failed" in body:
        return False
    try:
        json.loads(body)
    except ValueError:
        return False
    return isinstance(st, int)


def handler_state(emu, match):
    return emu.splunkd_ctl("GET", "/_emu/state")["handlers"].get(match, {})


def log_text():
    path = os.path.join(home, "var", "log", "splunk", "qradar_soar_config_handler.log")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8", errors="replace") as fh:
        return fh.read()


try:
    with al.harness.Emulators(soar=False, splunkd_args=[
            "--restmap", os.path.join(TOP, "default", "restmap.conf"), "--app-dir", app]) as emu:
        # the driver trusts splunkd's CA like the real handler does
        os.makedirs(os.path.join(home, "etc", "auth"), exist_ok=True)
        shutil.copy(emu.ca, os.path.join(home, "etc", "auth", "cacert.pem"))
        base = "/servicesNS/nobody/SA_QRadar_SOAR/qradar_soar/setup"

        # many requests, one process
        results = [call(emu, "GET", base + "?output_mode=json") for _ in range(15)]
        t.ok(all(answered(st, b) for st, b in results), "15 GETs answered by the driver",
             [r[1][:200] for r in results if not answered(*r)][:3])
        t.ok(handler_state(emu, "/qradar_soar/setup").get("starts") == 1,
             "one driver process served them all", handler_state(emu, "/qradar_soar/setup"))

        # garbage bodies: answered with 400, the process lives on
        # (the emulator itself 500s on a body that is not UTF-8, so the
        # hostile bytes go percent-encoded: %FF, %00, CR/LF)
        for i, body in enumerate([b"\x00%FF%FE%%%=&&==\n[stanza]\r\n", b"host=%0A[x]&host=a&&&",
                                  b"{not json", b"secret=%00" + b"%FF" * 4096,
                                  b"host=" + b"a" * (1 << 20)]):
            st, b = call(emu, "POST", base, body)
            t.ok(answered(st, b) and st == 400, "garbage POST body %d answered with 400" % i,
                 (st, b[:300]))
        st, b = call(emu, "POST", base, b'["a", 1]', ctype="application/json")
        t.ok(answered(st, b) and st == 400, "JSON array body answered with 400", (st, b[:300]))
        st, b = call(emu, "GET", base)
        t.ok(answered(st, b), "GET after the garbage still answered", (st, b[:300]))
        t.ok(handler_state(emu, "/qradar_soar/setup").get("starts") == 1,
             "still the same driver process after the garbage")

        # a POST with secrets: none of them in the log
        form = urllib.parse.urlencode([
            ("host", "127.0.0.1"), ("port", "1"), ("org", "Test Organization"),
            ("user", "soar@example.com"), ("secret", SECRET), ("proxy_host", "127.0.0.1"),
            ("proxy_port", "1"), ("proxy_user", "pu"), ("proxy_password", PROXY_PW),
            ("mode", "test")]).encode()
        st, b = call(emu, "POST", base, form)
        t.ok(answered(st, b), "POST with a full form answered", (st, b[:300]))
        t.ok(SECRET.encode() not in b and PROXY_PW.encode() not in b, "no secret in the reply")

        # capability: a non-admin is refused by splunkd before the driver
        st, b = call(emu, "GET", base, key="analyst-session-key")
        t.ok(st == 403, "a non-admin is refused (capability admin_all_objects)", (st, b[:200]))

        # INIT and the first request in one packet
        emu.splunkd_ctl("POST", "/_emu/restmap", {
            "name": "qradar_soar_setup", "match": "/qradar_soar/setup_combined",
            "driver": os.path.join(app, "bin", "qradar_soar_setup"),
            "script": "qradar_soar_setup", "init_mode": "combined"})
        results = [call(emu, "GET", "/services/qradar_soar/setup_combined") for _ in range(3)]
        t.ok(all(answered(st, b) for st, b in results), "init_mode combined: answered",
             [r[1][:200] for r in results])
        t.ok(handler_state(emu, "/qradar_soar/setup_combined").get("starts") == 1,
             "init_mode combined: one process", handler_state(emu, "/qradar_soar/setup_combined"))

        log = log_text()
        t.ok(log is not None and "GET" in log, "the driver logs to "
             "$SPLUNK_HOME/var/log/splunk/qradar_soar_config_handler.log")
        stderr = "\n".join(handler_state(emu, "/qradar_soar/setup").get("stderr", []))
        leaks = [s for s in (SECRET, PROXY_PW, al.SESSION_KEY) if s in (log or "") + stderr]
        t.ok(not leaks, "no secret and no session key in the log or on stderr", leaks)

    # broken framing, straight over pipes (splunkd never sends it, but a
    # driver must not die or wedge on it)
    req = {"method": "GET", "rest_path": "/qradar_soar/setup", "query": [], "form": [],
           "session": {"user": "admin", "authtoken": al.SESSION_KEY},
           "server": {"rest_uri": "https://127.0.0.1:1"}}
    env = dict(os.environ)
    p = subprocess.Popen([DRIVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=env)

    def send(data):
        p.stdin.write(data)
        p.stdin.flush()

    def reply():
        return pc.read_reply(p.stdout)

    send(pc.encode_packet(pc.INIT, [b"qradar_soar_setup"]))
    t.ok(reply() == b"", "INIT answered with an empty string")
    send(pc.encode_packet(pc.BLOCK | pc.END, block=b"not json at all " + al.SESSION_KEY.encode()))
    r = json.loads(reply())
    t.ok(r.get("status") == 400 and r["payload"]["success"] is False, "non-JSON request: 400", r)
    t.ok(al.SESSION_KEY not in json.dumps(r), "the 400 does not echo the request")
    send(pc.encode_packet(pc.BLOCK | pc.END, block=b"[1,2]"))
    r = json.loads(reply())
    t.ok(r.get("status") == 400, "non-object request: 400", r)
    send(b"\x06" + b"12x\n" + b"junk")
    r = json.loads(reply())
    t.ok(r.get("status") == 400 and "length" in r["payload"]["text"], "bad length: 400 naming it", r)
    send(b"\x06" + b"999999999999\n")
    r = json.loads(reply())
    t.ok(r.get("status") == 413, "a block over 64 MB: 413 without reading it", r)
    send(b"\x06" + b"5\n" + b"{" * 5)  # INIT already done; an unparsable body
    r = json.loads(reply())
    t.ok(r.get("status") == 400, "truncated JSON in a well-framed block: 400", r)
    send(b"\n\n" + pc.encode_packet(pc.BLOCK | pc.END, block=json.dumps(req)))
    r = json.loads(reply())
    t.ok(isinstance(r.get("status"), int), "after all that, a good request is answered", r)
    send(b"\x04")  # END alone needs no answer
    send(pc.encode_packet(pc.INIT | pc.BLOCK | pc.END, [b"q"], b"", json.dumps(req)))
    t.ok(reply() == b"", "a second combined packet: INIT answered first")
    r = json.loads(reply())
    t.ok(isinstance(r.get("status"), int), "then its request", r)
    p.stdin.close()
    rc = p.wait(10)
    err = p.stderr.read().decode("utf-8", "replace")
    t.ok(rc == 0, "exit 0 when splunkd closes stdin", (rc, err[-500:]))
    t.ok(al.SESSION_KEY not in err and al.SESSION_KEY not in (log_text() or ""),
         "the session key is never logged, even from a broken request")
finally:
    shutil.rmtree(work, ignore_errors=True)
sys.exit(t.done())
