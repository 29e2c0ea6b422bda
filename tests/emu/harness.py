"""Helpers for e2e tests written in Python: make certs, start/stop the emulators,
call the control API.  Usage:

    sys.path.insert(0, "tests/emu"); import harness
    with harness.Emulators() as emu:          # certs + both emulators in a temp dir
        emu.soar["port"], emu.splunkd["port"], emu.ca   # CA file for the client
        emu.soar_ctl("POST", "/_emu/fault", {"path": "/incidents$", "status": 503})
        emu.splunkd_ctl("GET", "/_emu/state")
    Emulators(proxy=True, proxy_args=["--user", "u:p"]) adds proxy_emu.py
    (CONNECT only): emu.proxy["port"], emu.proxy_ctl(...).
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

EMU = os.path.dirname(os.path.abspath(__file__))


def make_certs(d):
    subprocess.check_call(["sh", os.path.join(EMU, "mkcerts.sh"), d])
    out = {k: os.path.join(d, k + ".pem") for k in ("ca", "server", "other-ca")}
    out["key"] = os.path.join(d, "server.key")
    return out


def start(script, args, workdir, name, timeout=10):
    """Start an emulator; returns (Popen, ready dict with port/control_port/pid)."""
    ready = os.path.join(workdir, name + ".ready")
    if os.path.exists(ready):
        os.unlink(ready)
    p = subprocess.Popen([sys.executable, os.path.join(EMU, script), "--port", "0",
                          "--control-port", "0", "--ready-file", ready] + list(args))
    end = time.time() + timeout
    while time.time() < end:
        if os.path.exists(ready):
            with open(ready) as fh:
                return p, json.load(fh)
        if p.poll() is not None:
            raise RuntimeError("%s exited with status %s" % (script, p.returncode))
        time.sleep(0.05)
    p.kill()
    raise RuntimeError("%s did not become ready" % script)


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def control(port, method, path, obj=None):
    data = json.dumps(obj).encode() if obj is not None else None
    req = urllib.request.Request("http://127.0.0.1:%d%s" % (port, path), data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())
    except urllib.error.HTTPError as e:
        raise RuntimeError("control %s %s -> %s %s" % (method, path, e.code, e.read()[:300]))


class Emulators:
    """Context manager: certs + SOAR emulator + splunkd emulator (either can be skipped)."""

    def __init__(self, soar=True, splunkd=True, soar_args=(), splunkd_args=(), workdir=None,
                 proxy=False, proxy_args=()):
        self.want = (soar, splunkd)
        self.want_proxy, self.proxy_args = proxy, list(proxy_args)
        self.proxy = None
        self.soar_args, self.splunkd_args = list(soar_args), list(splunkd_args)
        self.workdir = workdir
        self.own_dir = workdir is None
        self.procs = []
        self.soar = self.splunkd = None

    def __enter__(self):
        if self.own_dir:
            self.workdir = tempfile.mkdtemp(prefix="emu-")
        self.certs = make_certs(os.path.join(self.workdir, "certs"))
        self.ca = self.certs["ca"]
        tls = ["--cert", self.certs["server"], "--key", self.certs["key"]]
        try:
            if self.want[0]:
                p, self.soar = start("soar_emu.py", tls + self.soar_args, self.workdir, "soar")
                self.procs.append(p)
            if self.want[1]:
                args = list(self.splunkd_args)
                if "--app-dir" not in args:
                    # the app's own KV store declarations and ACLs
                    top = os.path.dirname(os.path.dirname(EMU))
                    if "--collections" not in args:
                        args += ["--collections", os.path.join(top, "default", "collections.conf")]
                    if "--meta" not in args:
                        args += ["--meta", os.path.join(top, "metadata", "default.meta")]
                    if "--savedsearches" not in args:
                        args += ["--savedsearches", os.path.join(top, "default", "savedsearches.conf")]
                p, self.splunkd = start("splunkd_emu.py", tls + args, self.workdir, "splunkd")
                self.procs.append(p)
            if self.want_proxy:
                p, self.proxy = start("proxy_emu.py", self.proxy_args, self.workdir, "proxy")
                self.procs.append(p)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for p in self.procs:
            stop(p)
        if self.own_dir:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return False

    def soar_url(self):
        return "https://127.0.0.1:%d" % self.soar["port"]

    def splunkd_url(self):
        return "https://127.0.0.1:%d" % self.splunkd["port"]

    def soar_ctl(self, method, path, obj=None):
        return control(self.soar["control_port"], method, path, obj)

    def splunkd_ctl(self, method, path, obj=None):
        return control(self.splunkd["control_port"], method, path, obj)

    def proxy_ctl(self, method, path, obj=None):
        return control(self.proxy["control_port"], method, path, obj)
