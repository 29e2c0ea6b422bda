"""End to end: each misconfiguration an admin can make, run the way splunkd
runs the alert action, against the emulators. For each one: the exact error
(stderr and the CAM failure line), the exit code, that a permanent failure
fails at once (no retry: counted in the emulators' request logs and in the
"retrying" warnings, never by the clock) and the Splunk message (Settings ›
Messages). No QS_SOAR_BUDGET_MS here except for the one transient failure:
a permanent failure must end without spending the default budget. TAP."""
import os
import re
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import actionlib as al  # noqa: E402

FIELDS = ["_time", "event_id", "rule_title", "severity", "src"]
ROWS = [{"_time": "1714557600", "event_id": "M1@@notable@@m", "rule_title": "Misconfigured",
         "severity": "High", "src": "10.9.0.1"}]
SEARCH = "Access - Excessive Failed Logins - Rule"
WHERE = " on the add-on's setup page"
PROXY_USER = "squid-user"
PROXY_PASSWORD = "Pr0xy-pa55!"
t = al.Tap()


class Outcome:
    def __init__(self, rc, err, log, soar_reqs, proxy_reqs, messages):
        self.rc, self.err, self.log = rc, err, log
        self.soar_reqs, self.proxy_reqs, self.messages = soar_reqs, proxy_reqs, messages

    def retries(self):
        return [l for l in self.err.splitlines() if "retrying in" in l]


def run(emu, name, conf=None, pay=None, secret_host="127.0.0.1", password=al.SOAR_PASSWORD,
        budget_ms=None):
    emu.soar_ctl("POST", "/_emu/reset")
    emu.splunkd_ctl("POST", "/_emu/reset")
    if emu.proxy:
        emu.proxy_ctl("POST", "/_emu/reset")
    home = al.splunk_home(os.path.join(emu.workdir, re.sub(r"\W+", "_", name)), emu.ca)
    res = os.path.join(home, "results.csv.gz")
    al.write_results(res, FIELDS, ROWS)
    if password is not None:
        al.seed_secret(emu, secret_host, al.SOAR_USER, password)
    return home, al.payload(emu, res, al.base_config(emu, **(conf or {})), **(pay or {})), budget_ms


def finish(emu, home, p, budget_ms):
    env_budget = os.environ.pop("QS_SOAR_BUDGET_MS", None)
    if budget_ms:
        os.environ["QS_SOAR_BUDGET_MS"] = str(budget_ms)
    try:
        rc, _, err = al.run(p, home, timeout=60)
    finally:
        os.environ.pop("QS_SOAR_BUDGET_MS", None)
        if env_budget:
            os.environ["QS_SOAR_BUDGET_MS"] = env_budget
    proxy = emu.proxy_ctl("GET", "/_emu/requests") if emu.proxy else []
    return Outcome(rc, err, al.modalert_log(home), emu.soar_ctl("GET", "/_emu/requests"), proxy,
                   emu.splunkd_ctl("GET", "/_emu/state")["messages"])


def message_name(kind, search=SEARCH):
    """The Splunk message name of a search and kind, as the README documents
    it: SA_QRadar_SOAR_<kind>_<search, [A-Za-z0-9_-] kept, else _, cut at
    64>_<FNV-1a 32 of the search name, 8 hex digits>."""
    h = 2166136261
    for b in search.encode():
        h = ((h ^ b) * 16777619) & 0xFFFFFFFF
    clean = re.sub(r"[^A-Za-z0-9_-]", "_", search)[:64]
    return "SA_QRadar_SOAR_%s_%s_%08x" % (kind, clean, h)


HINT = ("Details: $SPLUNK_HOME/var/log/splunk/qradar_soar_modalert.log and the add-on's Escalations "
        "dashboard.")


def check(name, o, rc, msg, soar_calls, retried=False, message=True):
    """msg: the exact error; soar_calls: the exact SOAR requests ("METHOD path")."""
    t.ok(o.rc == rc, "%s: exit %d" % (name, rc), (o.rc, o.err[-1500:]))
    lines = o.err.splitlines()
    t.ok(any(l.endswith(" " + msg) and l.startswith("ERROR") for l in lines),
         "%s: the ERROR line says exactly what is wrong and what to do" % name,
         "want: %s\ngot:\n%s" % (msg, o.err[-2000:]))
    cam = [l for l in o.log.splitlines() if 'action_status="failure"' in l]
    # the run's line, and each row's saying it waits in the delivery queue
    # (issue 11)
    run_cam = [l for l in cam if ' rid="' not in l]
    t.ok(len(run_cam) == 1 and ('signature="%s"' % msg.replace('"', "'")) in run_cam[0]
         and all("queued for replay" in l for l in cam if ' rid="' in l),
         "%s: one CAM failure line with that message as its signature" % name, cam or o.log[-1500:])
    calls = ["%s %s" % (r["method"], r["path"]) for r in o.soar_reqs]
    t.ok(calls == soar_calls, "%s: SOAR saw exactly %s" % (name, soar_calls or "nothing"), calls)
    if retried:
        t.ok(len(o.retries()) >= 1, "%s: retried, since it can pass by itself" % name, o.err[-1500:])
    else:
        t.ok(not o.retries(), "%s: not retried (permanent: fails at once)" % name, o.retries())
    if message:
        m = o.messages.get(message_name("failure"), {})
        rows = len([l for l in cam if ' rid="' in l])
        waits = (" %d result%s wait%s in the delivery queue and %s sent again by %s "
                 "(Escalations dashboard, Delivery queue)." % (
                     rows, "" if rows == 1 else "s", "s" if rows == 1 else "",
                     "is" if rows == 1 else "are", "itself" if rows == 1 else "themselves")) if rows else ""
        want = 'QRadar SOAR: the alert "%s" escalated nothing. %s%s %s' % (SEARCH, msg, waits, HINT)
        t.ok(list(o.messages) == [message_name("failure")] and m.get("severity") == "error"
             and m.get("value") == want,
             "%s: one Splunk message, named for the search, says the same and points at the log" % name,
             "want %s\ngot %s" % (want, o.messages))
    else:
        t.ok(o.messages == {}, "%s: no Splunk message (splunkd cannot be reached)" % name, o.messages)
    t.ok(al.SOAR_PASSWORD not in o.err + o.log and al.SESSION_KEY not in o.err + o.log,
         "%s: no secret in stderr or the log" % name)


LOGIN = ["POST /rest/session"]


def free_port():
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    with al.harness.Emulators(proxy=True, proxy_args=["--user", "%s:%s" % (PROXY_USER, PROXY_PASSWORD)]) as emu:
        port = emu.soar["port"]
        hp = "127.0.0.1:%d" % port

        name = "host with a scheme"
        o = finish(emu, *run(emu, name, {"host": "https://127.0.0.1"}, secret_host="https://127.0.0.1"))
        check(name, o, 2, 'The QRadar SOAR host "https://127.0.0.1" must not contain a scheme such as '
              'https://; give only the host name or IP address. Fix "QRadar SOAR host or IP"' + WHERE + ".", [])

        name = "host does not resolve"
        o = finish(emu, *run(emu, name, {"host": "soar.invalid"}, secret_host="soar.invalid"))
        check(name, o, 6, 'The QRadar SOAR host "soar.invalid" does not resolve: this search head finds no '
              'address for it. Check "QRadar SOAR host or IP"' + WHERE + " (and the search head's DNS).", [])

        name = "nothing listens on the port"
        closed = free_port()
        o = finish(emu, *run(emu, name, {"port": str(closed)}, budget_ms=2500))
        check(name, o, 6, 'QRadar SOAR at 127.0.0.1:%d cannot be reached: Connection refused. Check "QRadar '
              'SOAR host or IP" and "Port"%s, and that SOAR is running and this search head may connect to it.'
              % (closed, WHERE), [], retried=True)

        name = "verify = false"
        o = finish(emu, *run(emu, name, {"verify": "false"}))
        check(name, o, 2, 'verify = "false" turns certificate checks off (what IBM\'s "Connect Securely" option '
              "left), and this add-on always verifies SOAR's certificate. Submit the add-on's setup page again "
              'with "Verify SOAR\'s certificate" on; if SOAR\'s certificate is self-signed or from a private CA, '
              'also give that CA\'s PEM file as "CA bundle".', [])

        name = "CA bundle missing"
        o = finish(emu, *run(emu, name, {"verify": "/opt/certs/soar-ca.pem"}))
        check(name, o, 2, 'The CA bundle "/opt/certs/soar-ca.pem" cannot be read: No such file or directory. '
              'Give the absolute path of a PEM file the Splunk user can read as "CA bundle"' + WHERE + ".", [])

        name = "self-signed SOAR, system CAs"
        o = finish(emu, *run(emu, name, {"verify": "true"}))
        check(name, o, 6, "QRadar SOAR's certificate at %s is not trusted: unable to get local issuer "
              "certificate. If SOAR's certificate is self-signed or from a private CA, save that CA's "
              'certificate (PEM) on the search head and give its path as "CA bundle"%s.' % (hp, WHERE), [])

        name = "CA bundle of another CA"
        other = emu.certs["other-ca"]
        o = finish(emu, *run(emu, name, {"verify": other}))
        check(name, o, 6, "QRadar SOAR's certificate at %s is not trusted by the CA bundle \"%s\": unable to "
              "get local issuer certificate. Give the CA that issued SOAR's certificate as \"CA bundle\"%s."
              % (hp, other, WHERE), [])

        name = "wrong password"
        o = finish(emu, *run(emu, name, password="not-the-password"))
        check(name, o, 6, 'QRadar SOAR at 127.0.0.1 refused the login as "soar@example.com" (HTTP 401 "The '
              'email address or password you entered is incorrect. Please try again."): the email or password '
              'is wrong, or the account is locked. Enter the right "Password" (and check "Email")' + WHERE + ".",
              LOGIN)
        t.ok("not-the-password" not in o.err + o.log, "wrong password: the wrong password is not logged")

        name = "unknown organization"
        o = finish(emu, *run(emu, name, {"org": "Nope"}))
        check(name, o, 6, 'QRadar SOAR at 127.0.0.1 has no organization "Nope" that "soar@example.com" can '
              'use; it can use "Test Organization", "Disabled Org". Set "Organization" to one of them (its '
              "name, UUID or cloud account)" + WHERE + ".", LOGIN)

        name = "disabled organization"
        o = finish(emu, *run(emu, name, {"org": "Disabled Org"}))
        check(name, o, 6, 'The organization "Disabled Org" on QRadar SOAR at 127.0.0.1 is disabled. Enable it '
              'in SOAR, or set "Organization" to another organization' + WHERE + ".", LOGIN)

        via = {"proxy_host": "127.0.0.1", "proxy_port": str(emu.proxy["port"]), "proxy_user": PROXY_USER}
        proxy = "127.0.0.1:%d" % emu.proxy["port"]

        name = "proxy refuses the credentials"
        home, p, b = run(emu, name, via)
        emu.splunkd_ctl("POST", "/_emu/seed", {"passwords": [{"realm": "SA_QRadar_SOAR_proxy",
                        "username": PROXY_USER, "password": "not-the-proxy-password", "app": "SA_QRadar_SOAR"}]})
        o = finish(emu, home, p, b)
        check(name, o, 6, 'The proxy %s refused the proxy credentials (HTTP 407). Check "Proxy user" and '
              '"Proxy password"%s.' % (proxy, WHERE), [])
        t.ok([r["status"] for r in o.proxy_reqs] == [407], "%s: one CONNECT, answered 407" % name, o.proxy_reqs)

        name = "proxy refuses the tunnel"
        home, p, b = run(emu, name, via)
        emu.splunkd_ctl("POST", "/_emu/seed", {"passwords": [{"realm": "SA_QRadar_SOAR_proxy",
                        "username": PROXY_USER, "password": PROXY_PASSWORD, "app": "SA_QRadar_SOAR"}]})
        emu.proxy_ctl("POST", "/_emu/deny", {"deny": True})
        o = finish(emu, home, p, b)
        check(name, o, 6, 'The proxy %s refused the tunnel to QRadar SOAR at %s (HTTP 403). Check "Proxy '
              'host" and "Proxy port"%s, and that the proxy lets this search head reach SOAR.'
              % (proxy, hp, WHERE), [])
        t.ok([r["status"] for r in o.proxy_reqs] == [403], "%s: one CONNECT, answered 403" % name, o.proxy_reqs)

        name = "no secret stored for the user"
        o = finish(emu, *run(emu, name, {"user": "other@example.com"}))
        check(name, o, 5, 'No SOAR credential is stored for user "other@example.com" (storage/passwords realm '
              "SA_QRadar_SOAR_127.0.0.1). Enter it on the add-on's setup page and Submit.", [])

        name = "garbage server_uri"
        o = finish(emu, *run(emu, name, pay={"server_uri": "htps//garbage"}))
        check(name, o, 2, 'The payload\'s server_uri "htps//garbage" is not splunkd\'s management URL (such as '
              "https://127.0.0.1:8089): it does not start with https://. splunkd writes this value: run the "
              "action from Splunk (a saved search or sendalert), not by hand.", [], message=False)
        t.ok(not emu.splunkd_ctl("GET", "/_emu/requests"), "%s: nothing sent to splunkd" % name)

        name = "two searches failing"
        home, p, b = run(emu, name, {"org": "Nope"})
        first = finish(emu, home, p, b)
        p2 = dict(p, search_name="Threat - Other Search - Rule", sid=p["sid"] + "_2")
        rc, _, _ = al.run(p2, home)
        msgs = emu.splunkd_ctl("GET", "/_emu/state")["messages"]
        t.ok(first.rc == 6 and rc == 6 and sorted(msgs) == sorted([
            message_name("failure"), message_name("failure", "Threat - Other Search - Rule")]),
             "%s: each search keeps its own Splunk message" % name, list(msgs))
        t.ok('the alert "Threat - Other Search - Rule" escalated nothing' in
             msgs.get(message_name("failure", "Threat - Other Search - Rule"), {}).get("value", ""),
             "%s: the message names its search" % name, msgs)

    with al.harness.Emulators(soar_args=["--host", "127.0.0.2"]) as emu:
        name = "certificate issued to another name"
        o = finish(emu, *run(emu, name, {"host": "127.0.0.2"}, secret_host="127.0.0.2"))
        check(name, o, 6, "QRadar SOAR's certificate at 127.0.0.2:%d is trusted but is not issued to "
              '"127.0.0.2". Set "QRadar SOAR host or IP" to a name the certificate carries (the host name in '
              "SOAR's address in a browser)%s." % (emu.soar["port"], WHERE), [])
    return t.done()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a crash of the harness is a failure, not a skip
        t.ok(False, "the misconfiguration scenarios ran to the end: %r" % e)
        sys.exit(t.done())
