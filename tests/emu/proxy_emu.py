"""A forward proxy for the tests (Python standard library): HTTP CONNECT
tunnels only, as libcurl uses for https:// through an http:// proxy, with
optional Basic proxy authentication (RFC 7235: 407 and
Proxy-Authenticate when it is missing or wrong). Plain-HTTP control API:
GET /_emu/requests lists every CONNECT (target, user, status); POST
/_emu/deny {"deny": true} refuses every tunnel with 403.

    python3 proxy_emu.py --port 0 --control-port 0 --ready-file F [--user u:p]
"""
import argparse
import base64
import json
import os
import select
import socket
import socketserver
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class State:
    def __init__(self, user):
        self.lock = threading.Lock()
        self.user = user
        self.deny = False
        self.requests = []

    def record(self, rec):
        with self.lock:
            rec["seq"] = len(self.requests) + 1
            self.requests.append(rec)


class ProxyHandler(socketserver.StreamRequestHandler):
    def handle(self):
        st = self.server.state
        line = self.rfile.readline(8192).decode("latin-1").strip()
        headers = {}
        while True:
            h = self.rfile.readline(8192).decode("latin-1")
            if h in ("\r\n", "\n", ""):
                break
            k, _, v = h.partition(":")
            headers[k.strip().lower()] = v.strip()
        parts = line.split()
        rec = {"line": line, "target": parts[1] if len(parts) > 1 else "", "user": None}
        if len(parts) != 3 or parts[0] != "CONNECT":
            rec["status"] = 405
            st.record(rec)
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        auth = headers.get("proxy-authorization", "")
        if auth.lower().startswith("basic "):
            try:
                rec["user"] = base64.b64decode(auth[6:]).decode().partition(":")[0]
                given = base64.b64decode(auth[6:]).decode()
            except (ValueError, UnicodeDecodeError):
                given = None
        else:
            given = None
        if st.user and given != st.user:
            rec["status"] = 407
            st.record(rec)
            self.wfile.write(b"HTTP/1.1 407 Proxy Authentication Required\r\n"
                             b"Proxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
            return
        if st.deny:
            rec["status"] = 403
            st.record(rec)
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        host, _, port = rec["target"].rpartition(":")
        try:
            up = socket.create_connection((host.strip("[]"), int(port)), timeout=10)
        except (OSError, ValueError):
            rec["status"] = 502
            st.record(rec)
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        rec["status"] = 200
        st.record(rec)
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        self.pipe(self.connection, up)

    @staticmethod
    def pipe(a, b):
        socks = [a, b]
        try:
            while True:
                r, _, _ = select.select(socks, [], [], 30)
                if not r:
                    return
                for s in r:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            return
        finally:
            b.close()


class ProxyServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class Control(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def reply(self, code, obj):
        out = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self):
        st = self.server.state
        if self.path.startswith("/_emu/requests"):
            with st.lock:
                return self.reply(200, list(st.requests))
        if self.path == "/_emu/ping":
            return self.reply(200, {"ok": True})
        self.reply(404, {"error": "unknown"})

    def do_POST(self):
        st = self.server.state
        n = int(self.headers.get("Content-Length") or 0)
        obj = json.loads(self.rfile.read(n) or b"{}")
        if self.path == "/_emu/deny":
            st.deny = bool(obj.get("deny"))
            return self.reply(200, {"ok": True})
        if self.path == "/_emu/reset":
            with st.lock:
                st.requests = []
            st.deny = False
            return self.reply(200, {"ok": True})
        self.reply(404, {"error": "unknown"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--control-port", type=int, default=0)
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--user", help="user:password required (Basic)")
    a = ap.parse_args()
    state = State(a.user)
    px = ProxyServer(("127.0.0.1", a.port), ProxyHandler)
    px.state = state
    ctl = ThreadingHTTPServer(("127.0.0.1", a.control_port), Control)
    ctl.state = state
    for srv in (px, ctl):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    tmp = a.ready_file + ".tmp"
    with open(tmp, "w") as fh:
        json.dump({"port": px.server_address[1], "control_port": ctl.server_address[1],
                   "pid": os.getpid()}, fh)
    os.rename(tmp, a.ready_file)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    sys.exit(main())
