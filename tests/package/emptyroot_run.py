"""The packaged binaries in an otherwise empty root: nothing in it but the
two executables, a CA bundle, /etc/hosts and what reaching the emulators
takes (SPLUNK_HOME with splunkd's CA, the results file). No libc, no
loader, no /dev, no /proc, no NSS configuration: what a static musl
binary must do without. TAP output.

Usage: emptyroot_run.py APP_BIN_DIR
Enters the root with chroot as root, else with `unshare -r chroot` (an
unprivileged user namespace). When neither works the test fails under CI
(CI=true) and is skipped elsewhere.

In the root:
- escalations over HTTPS to the SOAR emulator, addressed by a name that
  only the root's /etc/hosts resolves and that SOAR's certificate carries
  (musl's resolver and host-name verification), with `verify = true`, so
  the system CA bundle is found at run time: once with the bundle where
  each distribution family keeps it (Debian, RHEL, SUSE, Alpine), once
  through an HTTP CONNECT proxy;
- a setup request (Submit) over persistconn: the splunkd emulator starts
  bin/qradar_soar_setup inside the root, as restmap.conf would, and the
  handler logs in to SOAR, reads its fields and stores the configuration
  through splunkd."""
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import actionlib as al  # noqa: E402

SOAR_NAME = "soar.portability.test"
CA_PATHS = [("Debian/Ubuntu", "etc/ssl/certs/ca-certificates.crt"),
            ("RHEL/Amazon Linux", "etc/pki/tls/certs/ca-bundle.crt"),
            ("SUSE", "etc/ssl/ca-bundle.pem"),
            ("Alpine", "etc/ssl/cert.pem")]
t = al.Tap()
bindir = os.path.abspath(sys.argv[1])
work = tempfile.mkdtemp(prefix="qs-emptyroot-")
root = os.path.join(work, "root")
seeded = set()


def reissue(certs, names):
    """SOAR's server certificate again, signed by the same test CA, for
    names that include one only the root's /etc/hosts knows."""
    d = os.path.dirname(certs["server"])
    ext = os.path.join(d, "names.ext")
    with open(ext, "w") as fh:
        fh.write("basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                 "extendedKeyUsage=serverAuth\nsubjectAltName=%s\n" % names)
    csr = os.path.join(d, "names.csr")
    subprocess.check_call(["openssl", "req", "-new", "-key", certs["key"], "-subj", "/CN=" + SOAR_NAME,
                           "-out", csr], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.check_call(["openssl", "x509", "-req", "-in", csr, "-CA", certs["ca"],
                           "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial", "-days", "2",
                           "-extfile", ext, "-out", certs["server"]],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return certs


make_certs = al.harness.make_certs
# The emulators' certificates are made by the harness; SOAR's must also
# carry the name the root resolves (the splunkd emulator is reached on
# 127.0.0.1 and verified against splunkd's CA, as on a search head).
al.harness.make_certs = lambda d: reissue(make_certs(d), "DNS:%s,DNS:localhost,IP:127.0.0.1" % SOAR_NAME)


def enter():
    """The command prefix that runs a program inside the root: chroot as
    root, else chroot in a user namespace of our own. Absolute paths: the
    programs run with an empty environment."""
    chroot = shutil.which("chroot") or "/usr/sbin/chroot"
    unshare = shutil.which("unshare")
    if os.geteuid() == 0:
        return [chroot, root]
    if unshare:
        try:
            p = subprocess.run([unshare, "-r", chroot, "/", "true"], capture_output=True, timeout=20)
            if p.returncode == 0:
                return [unshare, "-r", chroot, root]
        except (OSError, subprocess.TimeoutExpired):
            pass
    return None


def starts(prefix):
    """No arguments: the usage text and exit 1, from inside the root."""
    p = subprocess.run(prefix + ["/bin/qradar_soar"], capture_output=True, timeout=20, env={})
    return p.returncode == 1 and b"usage" in p.stderr.lower(), "rc=%d %r" % (p.returncode, p.stderr[:300])


def build_root():
    os.makedirs(os.path.join(root, "bin"))
    for b in ("qradar_soar", "qradar_soar_setup"):
        shutil.copy2(os.path.join(bindir, b), os.path.join(root, "bin", b))
    os.makedirs(os.path.join(root, "etc"))
    with open(os.path.join(root, "etc", "hosts"), "w") as fh:
        fh.write("127.0.0.1\tlocalhost %s\n::1\tlocalhost ip6-localhost\n" % SOAR_NAME)
    for d in ("splunk/etc/auth", "splunk/var/log/splunk", "work"):
        os.makedirs(os.path.join(root, d))


def put_ca(rel, ca):
    """The CA bundle at one distribution's path, and at no other."""
    for _, other in CA_PATHS:
        path = os.path.join(root, other)
        if os.path.exists(path):
            os.unlink(path)
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copy(ca, path)


def escalate(prefix, emu, title, host=SOAR_NAME, **conf):
    res = os.path.join(root, "work", "results.csv.gz")
    al.write_results(res, ["rule_title", "event_id", "src"],
                     [{"rule_title": title, "src": "10.9.8.7",
                       # an ES notable id, as notable_update accepts them
                       "event_id": "ER-%s@@notable@@1" % title.replace(" ", "-")}])
    if host not in seeded:
        al.seed_secret(emu, host, al.SOAR_USER, al.SOAR_PASSWORD)
        seeded.add(host)
    cfg = al.base_config(emu, host=host, verify="true", **conf)
    pl = al.payload(emu, "/work/results.csv.gz", cfg)
    p = subprocess.run(prefix + ["/bin/qradar_soar", "--execute"], input=json.dumps(pl).encode(),
                       capture_output=True, timeout=120, env={"SPLUNK_HOME": "/splunk"})
    names = [i["name"] for i in emu.soar_ctl("GET", "/_emu/incidents")]
    err = p.stderr.decode("utf-8", "replace")
    return p.returncode == 0 and title in names, "rc=%d %s\n%s" % (p.returncode, names, err)


def setup_request(prefix, emu):
    nwrites = len(emu.splunkd_ctl("GET", "/_emu/state")["writes"])
    emu.splunkd_ctl("POST", "/_emu/restmap", {
        "name": "qradar_soar_setup", "match": "/qradar_soar/setup", "driver": prefix[0],
        "driver_args": prefix[1:] + ["/bin/qradar_soar_setup"], "script": "qradar_soar_setup",
        "driver_env": {"SPLUNK_HOME": "/splunk"}, "cwd": "/"})
    form = {"host": SOAR_NAME, "port": str(emu.soar["port"]), "org": "Test Organization",
            "user": al.SOAR_USER, "secret": al.SOAR_PASSWORD, "api_keys": "0", "verify": "true",
            "duplicates": "0", "num_artifacts": "4", "num_events": "30"}
    req = urllib.request.Request(emu.splunkd_url() + "/servicesNS/nobody/SA_QRadar_SOAR/qradar_soar/setup",
                                 data=urllib.parse.urlencode(form).encode(), method="POST", headers={
                                     "Authorization": "Splunk " + al.SESSION_KEY,
                                     "Content-Type": "application/x-www-form-urlencoded"})
    try:
        with urllib.request.urlopen(req, context=ssl.create_default_context(cafile=emu.ca), timeout=60) as r:
            st, body = r.status, r.read()
    except urllib.error.HTTPError as e:
        st, body = e.code, e.read()
    try:
        reply = json.loads(body)
    except ValueError:
        reply = {}
    state = emu.splunkd_ctl("GET", "/_emu/state")
    stanza = state["conf"].get("alert_actions", {}).get("qradar_soar") or {}
    wrote = [w["what"] for w in state["writes"][nwrites:]]
    good = st == 200 and reply.get("success") is True and stanza.get("param.host") == SOAR_NAME and \
        any(w.startswith("passwords.") for w in wrote) and "data/ui/alerts" in wrote
    return good, "HTTP %d %s\nstanza param.host=%r; splunkd writes: %s" % (
        st, body[:600].decode("utf-8", "replace"), stanza.get("param.host"), wrote)


try:
    build_root()
    prefix = enter()
    if prefix is None:
        if os.environ.get("CI") == "true":
            t.ok(False, "the empty root can be entered (chroot as root, or unshare -r)")
        else:
            print("ok 1 # SKIP neither chroot (not root) nor unshare -r works here")
            print("1..1")
            sys.exit(0)
    else:
        good, detail = starts(prefix)
        t.ok(good, "bin/qradar_soar starts in an empty root (%s)" % " ".join(os.path.basename(x) for x in prefix[:-1]), detail)
        with al.harness.Emulators(proxy=True) as emu:
            shutil.copy(emu.ca, os.path.join(root, "splunk", "etc", "auth", "cacert.pem"))
            for i, (family, rel) in enumerate(CA_PATHS):
                put_ca(rel, emu.ca)
                good, detail = escalate(prefix, emu, "Portable %d" % i)
                t.ok(good, "HTTPS escalation in an empty root, SOAR by its /etc/hosts name, "
                     "the CA bundle at %s's /%s" % (family, rel), detail)
            # The proxy resolves the name it is asked to tunnel to outside
            # the root, where even "localhost" may be unknown (a fresh
            # debootstrap has no /etc/hosts): SOAR by its address, which
            # its certificate carries.
            put_ca(CA_PATHS[0][1], emu.ca)
            good, detail = escalate(prefix, emu, "Proxied", host="127.0.0.1", proxy_host="127.0.0.1",
                                    proxy_port=str(emu.proxy["port"]))
            tunnels = emu.proxy_ctl("GET", "/_emu/requests")
            good = good and any(x["status"] == 200 and x["target"] == "127.0.0.1:%d" % emu.soar["port"]
                                for x in tunnels)
            t.ok(good, "HTTPS escalation in an empty root through an HTTP CONNECT proxy",
                 "%s\ntunnels: %s" % (detail, tunnels))
            good, detail = setup_request(prefix, emu)
            t.ok(good, "setup Submit over persistconn with bin/qradar_soar_setup in an empty root", detail)
    sys.exit(t.done())
finally:
    shutil.rmtree(work, ignore_errors=True)
